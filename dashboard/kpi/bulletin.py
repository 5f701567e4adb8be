"""The daily bulletin (điểm tin hằng ngày): a day's figures, the agencies, the missed deadlines
and the notable reports; as a printable page and as a Word document (python-docx)."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from typing import Any, Final

from docx import Document
from sqlalchemy import Integer, Select, and_, cast, or_, select
from sqlalchemy.orm import Session

from dashboard.kpi import display, histogram, page
from dashboard.kpi import queries as q
from dashboard.kpi.figures import period_figures, today
from dashboard.kpi.period import Sort
from ioc import i18n
from ioc.i18n import N_
from reports.lifecycle.labels import ACTION_LABELS
from reports.models import STATE_LABELS, Report, ReportEvent
from routing.models import Agency, Category, Jurisdiction
from routing.sla import VN_TZ, Priority

LIST_LIMIT: Final = 100
NOTABLE_LIMIT: Final = 30
STAGES = {"verify": N_("verification"), "accept": N_("acceptance"), "resolve": N_("result")}
FIGURES = (
    ("intake", N_("Received from residents")),
    ("forwarded", N_("Forwarded to agencies")),
    ("resolved", N_("Results published")),
    ("on_time_rate", N_("Results on time")),
    ("median", N_("Median time to result")),
    ("overdue", N_("Deadlines missed")),
    ("returned", N_("Returned by agencies")),
    ("reopened", N_("Reopened by residents")),
    ("satisfaction", N_("Satisfaction with the results published")),
)


def _range(day: date) -> tuple[datetime, datetime]:
    start = q.day_start(day)
    return start, start + timedelta(days=1)


def missed(day: date) -> Select[*tuple[Any, ...]]:
    """The deadlines missed that day: the report, whose stage, the agency, the deadline."""
    start, end = _range(day)
    agency_id = cast(ReportEvent.payload["agency"].astext, Integer)
    return (
        select(
            Report.tracking_code,
            Report.state,
            ReportEvent.payload["stage"].astext.label("stage"),
            ReportEvent.payload["due"].astext.label("due"),
            Category.name_vi,
            Category.name_en,
            Jurisdiction.full_name.label("ward_name"),
            Agency.name.label("agency_name"),
        )
        .join(Report, Report.id == ReportEvent.report_id)
        .join(Category, Category.id == Report.category_id)
        .outerjoin(Jurisdiction, Jurisdiction.id == Report.ward_id)
        .outerjoin(Agency, Agency.id == agency_id)
        .where(ReportEvent.action == "overdue", ReportEvent.at >= start, ReportEvent.at < end)
        .order_by(ReportEvent.at, ReportEvent.id)
        .limit(LIST_LIMIT)
    )


def notable(day: date) -> Select[*tuple[Any, ...]]:
    """That day's urgent reports, returns and reopenings, with what was said."""
    start, end = _range(day)
    return (
        select(
            ReportEvent.action,
            ReportEvent.note,
            Report.tracking_code,
            Report.state,
            Category.name_vi,
            Category.name_en,
            Jurisdiction.full_name.label("ward_name"),
        )
        .join(Report, Report.id == ReportEvent.report_id)
        .join(Category, Category.id == Report.category_id)
        .outerjoin(Jurisdiction, Jurisdiction.id == Report.ward_id)
        .where(
            ReportEvent.at >= start,
            ReportEvent.at < end,
            or_(
                ReportEvent.action.in_(("return", "reopen")),
                and_(ReportEvent.action == "submit", Report.priority == Priority.urgent),
            ),
        )
        .order_by(ReportEvent.at, ReportEvent.id)
        .limit(NOTABLE_LIMIT)
    )


def _category(row: Any) -> str:
    return str(row.name_en if i18n.get_locale() == "en" else row.name_vi)


def _state(row: Any) -> str:
    return i18n.gettext(STATE_LABELS[row.state])


def context(db: Session, day: date, now: datetime) -> dict[str, Any]:
    """The bulletin of one Vietnam day, in the current language."""
    figures = period_figures(db, day, day, now)
    tally = figures.total
    values = tally.counts | {"on_time_rate": tally.on_time_rate, "median": tally.median_hours}
    shown = {
        "on_time_rate": display.rate(tally.on_time_rate),
        "median": display.hours(tally.median_hours),
        "satisfaction": display.satisfaction(figures.total_satisfaction),
    }
    lines = [
        (i18n.gettext(label), shown[key] if key in shown else str(values[key]))
        for key, label in FIGURES
    ]
    missed_rows = [_missed(row) for row in db.execute(missed(day))]
    notable_rows = [_notable(row) for row in db.execute(notable(day))]
    return {
        "day": day,
        "day_text": display.day(day),
        "is_today": day == today(now),
        "figures": lines,
        "headline": page.headline(db, now) if day == today(now) else None,
        "rows": page.agency_rows(db, figures, Sort()),
        "missed": missed_rows,
        "notable": notable_rows,
        "limit": LIST_LIMIT,
        "precision": histogram.PRECISION_PERCENT,
    }


def _missed(row: Any) -> dict[str, str]:
    due = datetime.fromisoformat(row.due).astimezone(VN_TZ) if row.due else None
    return {
        "code": row.tracking_code,
        "category": _category(row),
        "ward": row.ward_name or "",
        "agency": row.agency_name or i18n.gettext(N_("IOC")),
        "stage": i18n.gettext(STAGES.get(row.stage, row.stage or "")),
        "due": due.strftime("%d/%m/%Y %H:%M") if due else "",
        "state": _state(row),
    }


def _notable(row: Any) -> dict[str, str]:
    label = N_("Urgent report") if row.action == "submit" else ACTION_LABELS.get(row.action, "")
    return {
        "code": row.tracking_code,
        "what": i18n.gettext(label),
        "category": _category(row),
        "ward": row.ward_name or "",
        "note": row.note or "",
        "state": _state(row),
    }


def docx_bytes(ctx: dict[str, Any]) -> bytes:
    """The bulletin as a Word document."""
    doc = Document()
    doc.add_heading(i18n.gettext(N_("Daily bulletin")) + f" — {ctx['day_text']}", level=0)
    _table(doc, [i18n.gettext(N_("Figure")), i18n.gettext(N_("Value"))], ctx["figures"])
    doc.add_heading(i18n.gettext(N_("Agencies")), level=1)
    _table(doc, _agency_header(), [_agency_cells(row) for row in ctx["rows"]])
    doc.add_heading(i18n.gettext(N_("Deadlines missed")), level=1)
    missed_keys = ("code", "category", "ward", "agency", "stage", "due", "state")
    _table(doc, _missed_header(), [[item[k] for k in missed_keys] for item in ctx["missed"]])
    doc.add_heading(i18n.gettext(N_("Notable reports")), level=1)
    keys = ("code", "what", "category", "ward", "note", "state")
    _table(doc, _notable_header(), [[item[k] for k in keys] for item in ctx["notable"]])
    note = N_("Medians are read from a histogram of durations: within about %(p)s%% of the exact.")
    doc.add_paragraph(i18n.gettext(note, p=ctx["precision"]))
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _table(doc: Any, header: list[str], rows: list[Any]) -> None:
    """A table with a header row; a line saying "none" when there are no rows."""
    if not rows:
        doc.add_paragraph(i18n.gettext(N_("None.")))
        return
    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Light Grid Accent 1"
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = text
    for row in rows:
        for cell, value in zip(table.add_row().cells, row, strict=True):
            cell.text = str(value)


def _agency_header() -> list[str]:
    names = (N_("Agency"), N_("Received"), N_("Results"), N_("On time"), N_("Overdue"))
    more = (N_("Median time"), N_("Returned"), N_("Reopened"), N_("Satisfaction"))
    return [i18n.gettext(name) for name in (*names, *more)]


def _agency_cells(row: page.AgencyRow) -> list[str]:
    return [
        row.name,
        str(row.received),
        str(row.resolved),
        display.rate(row.on_time_rate),
        str(row.overdue),
        display.hours(row.median),
        str(row.returned),
        str(row.reopened),
        display.rate(row.satisfaction),
    ]


def _missed_header() -> list[str]:
    names = (N_("Code"), N_("Category"), N_("Ward"), N_("Agency"), N_("Stage"), N_("Deadline"))
    return [i18n.gettext(name) for name in (*names, N_("State now"))]


def _notable_header() -> list[str]:
    names = (N_("Code"), N_("What"), N_("Category"), N_("Ward"), N_("Note"), N_("State now"))
    return [i18n.gettext(name) for name in names]
