"""How the KPI pages and the bulletin write figures: rates, durations, dates."""

from __future__ import annotations

from datetime import date

from ioc import i18n
from ioc.i18n import N_
from reports.feedback.queries import Satisfaction

DASH = "—"


def rate(value: float | None) -> str:
    """A rate as a whole percentage; a dash without any result."""
    return DASH if value is None else f"{round(value * 100)}%"


def satisfaction(rated: Satisfaction) -> str:
    """A satisfaction rate with the number of ratings behind it; a dash without any."""
    if not rated.rated:
        return DASH
    return i18n.gettext(N_("%(rate)s of %(n)s ratings"), rate=rate(rated.rate), n=rated.rated)


def hours(value: float | None) -> str:
    """A duration in minutes, hours or days, as fits; a dash without any result."""
    if value is None:
        return DASH
    if value < 1:
        return i18n.gettext(N_("%(n)s min"), n=round(value * 60))
    if value < 48:
        return i18n.gettext(N_("%(n)s h"), n=f"{value:.1f}")
    return i18n.gettext(N_("%(n)s days"), n=f"{value / 24:.1f}")


def day(value: date) -> str:
    """A date as Vietnamese and English readers both read it."""
    return value.strftime("%d/%m/%Y")
