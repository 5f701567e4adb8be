"""How the agency pages show times: Vietnam's clock, and deadlines relative to now."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from ioc import i18n
from routing.sla import VN_TZ


def local_time(moment: datetime | None) -> str:
    """A moment on Vietnam's clock (dd/mm/yyyy hh:mm); empty for none."""
    return moment.astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M") if moment else ""


def local_date(moment: datetime) -> str:
    """A moment's date on Vietnam's clock, as an HTML date input takes it (yyyy-mm-dd)."""
    return moment.astimezone(VN_TZ).date().isoformat()


def _amount(span: timedelta) -> tuple[str, int]:
    """The unit that reads best for a span, and the (rounded down, at least 1) count of it."""
    minutes = int(span.total_seconds() // 60)
    if minutes < 60:
        return "minutes", max(minutes, 1)
    if minutes < 48 * 60:
        return "hours", minutes // 60
    return "days", minutes // (24 * 60)


def relative_due(due: datetime, now: datetime) -> str:
    """ "due in 3 hours" or "overdue by 2 days", in the reader's language."""
    ahead = due >= now
    unit, num = _amount(due - now if ahead else now - due)
    t = i18n.translations(i18n.get_locale())
    # Literal ngettext calls, so that message extraction finds each singular and plural.
    phrases: dict[tuple[str, bool], Callable[[], str]] = {
        ("minutes", True): lambda: t.ngettext(
            "due in %(num)s minute", "due in %(num)s minutes", num
        ),
        ("hours", True): lambda: t.ngettext("due in %(num)s hour", "due in %(num)s hours", num),
        ("days", True): lambda: t.ngettext("due in %(num)s day", "due in %(num)s days", num),
        ("minutes", False): lambda: t.ngettext(
            "overdue by %(num)s minute", "overdue by %(num)s minutes", num
        ),
        ("hours", False): lambda: t.ngettext(
            "overdue by %(num)s hour", "overdue by %(num)s hours", num
        ),
        ("days", False): lambda: t.ngettext(
            "overdue by %(num)s day", "overdue by %(num)s days", num
        ),
    }
    return phrases[(unit, ahead)]() % {"num": num}
