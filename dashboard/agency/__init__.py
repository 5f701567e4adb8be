"""The agency workspace (``/agency``): an agency's inbox and its reports' pages and actions."""

from dashboard.agency.views import router

__all__ = ["router"]
