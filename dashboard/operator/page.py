"""The operator page's parts: the filters form's choices, counts per state, the queue's rows as
shown, and the words the page's script needs (labels, time phrases, addresses)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from dashboard.agency.display import relative_due
from dashboard.agency.labels import PRIORITY_LABELS
from dashboard.operator.filters import ALL_STATES, DEFAULT_STATES, Filters, conditions
from dashboard.operator.queue import QueueRow
from ioc import i18n
from ioc.i18n import N_
from reports.geo.cells import LEVELS
from reports.geo.models import ReportCell, ReportCellDaily
from reports.models import STATE_LABELS, Report, ReportState
from routing.models import CURRENT_VINTAGE, Agency, Category, Jurisdiction, JurisdictionLevel

URLS = {
    "queue": "/dashboard/queue.json",
    "counts": "/dashboard/counts.json",
    "tiles": "/dashboard/tiles/{z}/{x}/{y}.mvt",
    "events": "/dashboard/events",
    "areas": "/dashboard/layers/service-areas.geojson",
}
MODULES = {
    "tiles": "/static/dashboard/tiles.js",
    "live": "/static/dashboard/live.js",
    "panel": "/static/dashboard/panel.js",
}
COARSEST_LEVEL = min(LEVELS)  # the grid's coarsest level: every report, in the fewest cells
FRESH_LIMIT = 20  # new reports shown at once from the strip (the rest wait for a reload)
GLOBAL_KEYS: tuple[tuple[str, str], ...] = (
    ("j", N_("Next report in the queue")),
    ("k", N_("Previous report in the queue")),
    ("Enter", N_("Open the selected report")),
    ("/", N_("Search")),
    ("n", N_("Show the new reports")),
    ("Esc", N_("Close the report (or this help)")),
    ("?", N_("This help")),
)
LIVE_STATUS = {
    "connecting": N_("Connecting…"),
    "live": N_("Live"),
    "reconnecting": N_("Reconnecting…"),
    "offline": N_("Live updates unavailable"),
    "closed": N_("Live updates unavailable"),
}


def form_options(db: Session) -> dict[str, list[tuple[str, str]]]:
    """The choices of the filters form, in the reader's language."""
    english = i18n.get_locale() == "en"
    categories = db.execute(
        select(Category.code, Category.icon, Category.name_vi, Category.name_en)
        .where(Category.active)
        .order_by(Category.sort_order, Category.code)
    )
    agencies = db.execute(
        select(Agency.code, Agency.name).where(Agency.active).order_by(Agency.name, Agency.code)
    )
    wards = db.execute(
        select(Jurisdiction.code, Jurisdiction.full_name)
        .where(
            Jurisdiction.level == JurisdictionLevel.ward,
            Jurisdiction.vintage == CURRENT_VINTAGE,
        )
        .order_by(Jurisdiction.full_name, Jurisdiction.code)
    )
    return {
        "states": [
            ("open", i18n.gettext(N_("Open reports"))),
            ("all", i18n.gettext(N_("Every state"))),
        ]
        + [(s.value, i18n.gettext(STATE_LABELS[s])) for s in ALL_STATES],
        "categories": [
            (code, f"{icon} {(name_en or name_vi) if english else name_vi}")
            for code, icon, name_vi, name_en in categories
        ],
        "agencies": [(code, name) for code, name in agencies],
        "wards": [(code, name) for code, name in wards],
        "priorities": [(p.value, i18n.gettext(label)) for p, label in PRIORITY_LABELS.items()],
    }


def state_choice(f: Filters) -> tuple[str, str]:
    """The state select's value, and a label when it is none of its options (several states)."""
    if f.all_states:
        return "all", ""
    if f.states == DEFAULT_STATES:
        return "open", ""
    if len(f.states) == 1:
        return f.states[0].value, ""
    names = ", ".join(i18n.gettext(STATE_LABELS[s]) for s in f.states)
    return ",".join(s.value for s in f.states), names


def chosen(f: Filters) -> dict[str, Any]:
    """The form's current values."""
    state, custom = state_choice(f)
    return {
        "state": state,
        "state_custom": custom,
        "category": [ref.code for ref in f.categories],
        "agency": [ref.code for ref in f.agencies],
        "ward": [ref.code for ref in f.wards],
        "priority": [p.value for p in f.priorities],
        "since": f.since.isoformat() if f.since else "",
        "until": f.until.isoformat() if f.until else "",
        "overdue": f.overdue,
        "text": f.text,
    }


def state_counts(db: Session, f: Filters) -> dict[str, int]:
    """Reports per state under every filter but the state."""
    query = _counts_from_cells(f)
    if query is None:
        where = conditions(replace(f, states=ALL_STATES))
        query = select(Report.state, func.count()).where(*where).group_by(Report.state)
    return {state.value: int(count) for state, count in db.execute(query)}


def _counts_from_cells(f: Filters) -> Select[ReportState, int] | None:
    """The counts from the map's grid (a few hundred rows, not a scan of every report), when
    the filters are ones the grid keeps: category and dates. None for any other filter."""
    if f.agencies or f.wards or f.priorities or f.overdue or f.text:
        return None
    if f.since is None and f.until is None:
        cells = select(ReportCell.state, func.sum(ReportCell.n)).where(
            ReportCell.level == COARSEST_LEVEL
        )
        if f.categories:
            cells = cells.where(ReportCell.category_id.in_(f.category_ids))
        return cells.group_by(ReportCell.state)
    daily = select(ReportCellDaily.state, func.sum(ReportCellDaily.n)).where(
        ReportCellDaily.level == COARSEST_LEVEL
    )
    if f.categories:
        daily = daily.where(ReportCellDaily.category_id.in_(f.category_ids))
    if f.since:
        daily = daily.where(ReportCellDaily.day >= f.since)
    if f.until:
        daily = daily.where(ReportCellDaily.day <= f.until)
    return daily.group_by(ReportCellDaily.state)


def counts_view(f: Filters, counts: dict[str, int]) -> dict[str, Any]:
    """The counts as the page shows them: a chip per state, and the total of the chosen states."""
    total = sum(counts.get(s.value, 0) for s in f.states)
    chips = [
        {
            "state": s.value,
            "label": i18n.gettext(STATE_LABELS[s]),
            "count": counts.get(s.value, 0),
            "active": s in f.states and not f.all_states,
            "query": _with_state(f, s),
        }
        for s in ALL_STATES
    ]
    t = i18n.translations(i18n.get_locale())
    total_text = t.ngettext("%(num)s report", "%(num)s reports", total) % {"num": total}
    return {"chips": chips, "total": total, "total_text": total_text}


def _with_state(f: Filters, state: ReportState) -> str:
    return replace(f, states=(state,)).query_string()


def age_text(created: datetime, now: datetime) -> str:
    """How long ago a report came in ("5 minutes ago"), in the reader's language."""
    minutes = max(int((now - created).total_seconds() // 60), 1)
    t = i18n.translations(i18n.get_locale())
    if minutes < 60:
        return t.ngettext("%(num)s minute ago", "%(num)s minutes ago", minutes) % {"num": minutes}
    if minutes < 48 * 60:
        hours = minutes // 60
        return t.ngettext("%(num)s hour ago", "%(num)s hours ago", hours) % {"num": hours}
    days = minutes // (24 * 60)
    return t.ngettext("%(num)s day ago", "%(num)s days ago", days) % {"num": days}


def row_view(row: QueueRow, now: datetime) -> dict[str, Any]:
    """A queue row with its labels and times in words."""
    return {
        "code": row.code,
        "state": row.state.value,
        "state_label": i18n.gettext(STATE_LABELS[row.state]),
        "priority": row.priority.value,
        "priority_label": i18n.gettext(PRIORITY_LABELS[row.priority]),
        "category_icon": row.category_icon or "",
        "category_name": row.category_name or "",
        "ward_name": row.ward_name or "",
        "agency_name": row.agency_name or "",
        "overdue": bool(row.overdue),
        "lat": row.lat,
        "lon": row.lon,
        "created_iso": row.created_at.isoformat(),
        "age": age_text(row.created_at, now),
        "due_iso": row.due_at.isoformat() if row.due_at else "",
        "due_text": relative_due(row.due_at, now) if row.due_at else "",
    }


# The row that the page's <template> is made of (dashboard.js fills in a copy).
BLANK_ROW: dict[str, Any] = {"overdue": False} | dict.fromkeys(
    [
        "code",
        "state",
        "state_label",
        "priority",
        "priority_label",
        "category_icon",
        "category_name",
        "ward_name",
        "agency_name",
        "lat",
        "lon",
        "created_iso",
        "age",
        "due_iso",
        "due_text",
    ],
    "",
)


def _forms(one: str, many: str) -> list[str]:
    """A plural phrase's singular and plural in the reader's language (for the script)."""
    t = i18n.translations(i18n.get_locale())
    return [t.ngettext(one, many, 1), t.ngettext(one, many, 2)]


def phrases() -> dict[str, dict[str, list[str]]]:
    """The time phrases of the queue, for the script that keeps them current."""
    table: Sequence[tuple[str, str, str, str]] = (
        ("ago", "minutes", "%(num)s minute ago", "%(num)s minutes ago"),
        ("ago", "hours", "%(num)s hour ago", "%(num)s hours ago"),
        ("ago", "days", "%(num)s day ago", "%(num)s days ago"),
        ("due", "minutes", "due in %(num)s minute", "due in %(num)s minutes"),
        ("due", "hours", "due in %(num)s hour", "due in %(num)s hours"),
        ("due", "days", "due in %(num)s day", "due in %(num)s days"),
        ("overdue", "minutes", "overdue by %(num)s minute", "overdue by %(num)s minutes"),
        ("overdue", "hours", "overdue by %(num)s hour", "overdue by %(num)s hours"),
        ("overdue", "days", "overdue by %(num)s day", "overdue by %(num)s days"),
    )
    found: dict[str, dict[str, list[str]]] = {}
    for kind, unit, one, many in table:
        found.setdefault(kind, {})[unit] = _forms(one, many)
    return found


def _labels() -> dict[str, Any]:
    text: Callable[[str], str] = i18n.gettext
    return {
        "error": text(N_("The answer could not be loaded.")),
        "not_found": text(N_("There is no report with this tracking code.")),
        "full_page": text(N_("Open the report on its own page")),
        "wards": text(N_("Wards")),
        "areas": text(N_("Service areas")),
        "reports": text(N_("Reports")),
        "status": {key: text(label) for key, label in LIVE_STATUS.items()},
        "new_count": _forms("%(num)s new report:", "%(num)s new reports:"),
        "bulk": text(N_("Many reports changed: reload the list")),
    }


def page_data(f: Filters, report: str | None, wards_url: str) -> dict[str, Any]:
    """What dashboard.js reads from the page."""
    return {
        "query": f.query_string(),
        "report": report,
        "states": {s.value: i18n.gettext(label) for s, label in STATE_LABELS.items()},
        "priorities": {p.value: i18n.gettext(label) for p, label in PRIORITY_LABELS.items()},
        "state_groups": {
            "open": [s.value for s in DEFAULT_STATES],
            "all": [s.value for s in ALL_STATES],
        },
        "phrases": phrases(),
        "labels": _labels(),
        "urls": URLS | {"wards": wards_url},
        "modules": MODULES,
        "fresh_limit": FRESH_LIMIT,
    }


def keys() -> list[tuple[str, str]]:
    """The page's own shortcuts, for the help dialog."""
    return [(key, i18n.gettext(text)) for key, text in GLOBAL_KEYS]
