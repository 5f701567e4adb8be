"""Fixtures of the dashboard tests: those of the intake and lifecycle tests (filing a report,
actors of each kind, applying actions)."""

from tests.reports.conftest import media_root, post  # noqa: F401 - fixtures used by these tests
from tests.reports.lifecycle.conftest import act, cast, filed  # noqa: F401
