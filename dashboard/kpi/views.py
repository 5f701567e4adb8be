"""The supervisors' pages (``/dashboard/kpi``, the daily bulletin) and the reports' exports."""

from __future__ import annotations

import os
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from sqlalchemy.orm import Session
from starlette.background import BackgroundTask
from starlette.responses import FileResponse, Response, StreamingResponse

from dashboard.kpi import bulletin, display, exports, page
from dashboard.kpi.figures import today
from dashboard.kpi.period import SORT_KEYS, Period, Sort, parse_day, parse_period, parse_sort, query
from dashboard.operator.deps import OperatorUser, SupervisorUser
from dashboard.operator.filters import FiltersDep
from ioc import i18n
from ioc.db import utcnow
from ioc.errors import InvalidInput
from ioc.i18n import N_
from ioc.web import SessionDep, templating

router = APIRouter(prefix="/dashboard")
Text = Annotated[str | None, Query(max_length=32)]
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _helpers() -> dict[str, Any]:
    return {"rate": display.rate, "hours": display.hours, "date_text": display.day}


@router.get("/kpi")
def kpi_page(
    request: Request,
    db: SessionDep,
    user: SupervisorUser,
    first: Annotated[str | None, Query(alias="from", max_length=32)] = None,
    last: Annotated[str | None, Query(alias="to", max_length=32)] = None,
    sort: Text = None,
    order: Text = None,
) -> Response:
    """Today's headline, the agencies' ranking over a period (default 30 days), the trends."""
    now = utcnow()
    period = parse_period(first, last, today(now))
    ranking = parse_sort(sort, order)
    context = page.context(db, period, ranking, now) | _helpers()
    current = today(now)
    context |= {
        "sort_links": {key: _sort_link(period, ranking, key) for key in SORT_KEYS},
        "presets": _presets(current),
        "query": query(period, ranking),
    }
    return templating.render(request, "kpi/page.html", context)


def _sort_link(period: Period, ranking: Sort, key: str) -> str:
    """The link of a column's header: by this column, the other way round if it is the sort."""
    descending = key != "agency"
    if ranking.key == key:
        descending = not ranking.descending
    return "/dashboard/kpi?" + query(period, Sort(key, descending))


def _presets(current: date) -> list[tuple[str, str]]:
    """Links to the usual periods: 7 and 30 days, this month, a year."""

    def link(first: date) -> str:
        return f"/dashboard/kpi?from={first.isoformat()}&to={current.isoformat()}"

    return [
        (i18n.gettext(N_("Today")), link(current)),
        (i18n.gettext(N_("7 days")), link(current - timedelta(days=6))),
        (i18n.gettext(N_("30 days")), link(current - timedelta(days=29))),
        (i18n.gettext(N_("This month")), link(current.replace(day=1))),
        (i18n.gettext(N_("365 days")), link(current - timedelta(days=364))),
    ]


def _bulletin_context(db: Session, day: str | None) -> dict[str, Any]:
    now = utcnow()
    current = today(now)
    chosen = parse_day(day, "day") or current
    try:  # the same limits as a period's
        parse_period(chosen.isoformat(), chosen.isoformat(), current)
    except InvalidInput as error:
        raise InvalidInput(error.detail, field="day", **error.params) from None
    return bulletin.context(db, chosen, now)


@router.get("/kpi/bulletin")
def bulletin_page(
    request: Request, db: SessionDep, user: SupervisorUser, day: Text = None
) -> Response:
    """The day's bulletin as a page that prints on A4."""
    context = _bulletin_context(db, day) | _helpers()
    return templating.render(request, "kpi/bulletin.html", context)


@router.get("/kpi/bulletin.docx")
def bulletin_docx(db: SessionDep, user: SupervisorUser, day: Text = None) -> Response:
    """The day's bulletin as a Word document."""
    context = _bulletin_context(db, day)
    name = f"diem-tin-{context['day'].isoformat()}.docx"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(bulletin.docx_bytes(context), media_type=DOCX, headers=headers)


@router.get("/export.csv")
def export_csv(db: SessionDep, user: OperatorUser, filters: FiltersDep) -> Response:
    """The filtered reports as CSV, streamed as they are read."""
    name = f"phan-anh-{today(utcnow()).isoformat()}.csv"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    chunks = exports.csv_chunks(db, filters, english=i18n.get_locale() == "en")
    return StreamingResponse(chunks, media_type="text/csv; charset=utf-8", headers=headers)


@router.get("/export.xlsx")
def export_xlsx(db: SessionDep, user: OperatorUser, filters: FiltersDep) -> Response:
    """The filtered reports as an XLSX workbook (written to a temporary file, then sent)."""
    path = exports.xlsx_file(db, filters)
    name = f"phan-anh-{today(utcnow()).isoformat()}.xlsx"
    return FileResponse(
        path, media_type=XLSX, filename=name, background=BackgroundTask(os.unlink, path)
    )
