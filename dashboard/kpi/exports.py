"""Exports of the filtered reports (the dashboard's filters): CSV and XLSX, streamed.

CSV is written row by row from a server-side cursor while it is sent, so a million rows never
sit in memory; no cap. XLSX is written by XlsxWriter in ``constant_memory`` mode into a temporary
file, which is sent and then deleted; a sheet holds at most 1,048,576 rows, so an XLSX export
stops at ``XLSX_MAX_ROWS`` and says so in its last row (the CSV has them all). Never the
reporter's identity: the columns are the report's facts only.
"""

from __future__ import annotations

import csv
import functools
import io
import os
import tempfile
from collections.abc import Iterator
from datetime import datetime
from typing import Any, Final

import xlsxwriter
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from dashboard.operator.filters import Filters, conditions, is_overdue
from ioc import i18n
from ioc.i18n import N_
from reports.models import Report
from routing.models import Agency, Category, Jurisdiction
from routing.sla import VN_TZ

COLUMNS: Final = (
    "code",
    "received",
    "category",
    "ward",
    "agency",
    "state",
    "priority",
    "due",
    "overdue",
    "forwarded",
    "resolved",
    "published",
    "lat",
    "lon",
)
BATCH: Final = 2000  # rows fetched from the server-side cursor at a time
XLSX_MAX_ROWS: Final = 1_048_574  # a sheet's limit, less the header and the "cut" row
TRUNCATED = N_("Cut at %(n)s rows (the sheet's limit): export CSV for every row.")


@functools.cache
def _base() -> Select[*tuple[Any, ...]]:
    """The export's columns over every report (filters are added per request)."""
    return (
        select(
            Report.tracking_code,
            Report.created_at,
            Category.name_vi,
            Category.name_en,
            Jurisdiction.full_name.label("ward_name"),
            Agency.name.label("agency_name"),
            Report.state,
            Report.priority,
            Report.due_at,
            is_overdue().label("late"),
            Report.forwarded_at,
            Report.resolved_at,
            Report.published_at,
            func.ST_Y(Report.location).label("lat"),
            func.ST_X(Report.location).label("lon"),
        )
        .join(Category, Category.id == Report.category_id)
        .outerjoin(Jurisdiction, Jurisdiction.id == Report.ward_id)
        .outerjoin(Agency, Agency.id == Report.agency_id)
        .order_by(Report.id)
    )


def statement(filters: Filters, limit: int | None = None) -> Select[*tuple[Any, ...]]:
    """The filtered reports, oldest first, streamed from a server-side cursor."""
    stmt = _base().where(*conditions(filters))
    if limit is not None:
        stmt = stmt.limit(limit)
    return stmt.execution_options(yield_per=BATCH)


def _time(value: datetime | None) -> str:
    return value.astimezone(VN_TZ).strftime("%Y-%m-%d %H:%M") if value else ""


def values(row: Any, english: bool) -> list[Any]:
    """One report's cells, times in Vietnam time."""
    return [
        row.tracking_code,
        _time(row.created_at),
        row.name_en if english else row.name_vi,
        row.ward_name or "",
        row.agency_name or "",
        row.state.value,
        row.priority.value,
        _time(row.due_at),
        1 if row.late else 0,
        _time(row.forwarded_at),
        _time(row.resolved_at),
        _time(row.published_at),
        round(float(row.lat), 6),
        round(float(row.lon), 6),
    ]


def csv_chunks(db: Session, filters: Filters, english: bool) -> Iterator[bytes]:
    """The CSV, a batch at a time; UTF-8 with a BOM, so that spreadsheets read Vietnamese."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    yield ("\ufeff" + out.getvalue()).encode()
    with db.execute(statement(filters)) as result:  # closes the cursor if the client goes away
        for rows in result.partitions():
            out.seek(0)
            out.truncate()
            writer.writerows(values(row, english) for row in rows)
            yield out.getvalue().encode()


def xlsx_file(db: Session, filters: Filters, cap: int = XLSX_MAX_ROWS) -> str:
    """Write the XLSX into a temporary file and return its path (the caller deletes it)."""
    handle, path = tempfile.mkstemp(prefix="ioc-export-", suffix=".xlsx")
    os.close(handle)
    try:
        _write_xlsx(db, filters, path, cap)
    except BaseException:
        os.unlink(path)
        raise
    return path


def _write_xlsx(db: Session, filters: Filters, path: str, cap: int) -> None:
    english = i18n.get_locale() == "en"
    book = xlsxwriter.Workbook(path, {"constant_memory": True, "tmpdir": tempfile.gettempdir()})
    try:
        sheet = book.add_worksheet("reports")
        bold = book.add_format({"bold": True})
        sheet.write_row(0, 0, COLUMNS, bold)
        with db.execute(statement(filters, cap + 1)) as result:
            for written, row in enumerate(result, start=1):
                if written > cap:
                    sheet.write(written, 0, i18n.gettext(TRUNCATED, n=cap))
                    break
                sheet.write_row(written, 0, values(row, english))
        sheet.freeze_panes(1, 0)
    finally:
        book.close()
