"""The one definition of a public report and its public fields (public site, Open311, open data).

A report is public once the IOC has verified it (``PUBLIC_STATES``); rejected and duplicate
reports never are. The columns below are all the public may see of it: never the reporter's
name, phone or email, the submitter key, tokens, or a media file's original. The agency's answer,
the publication date and the on-time flag belong to the current cycle: they show only while the
report's state is ``published`` (a reopened report's old answer is not its result).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, literal_column, select, true

from reports.models import PUBLIC_STATES, Report, ReportState
from routing.models import Agency, Category, Jurisdiction

# Migration 0011_public indexes to_tsvector('simple', ioc_unaccent(description)) of public reports.
SIMPLE: ColumnElement[Any] = literal_column("'simple'::regconfig")
WORDS = func.to_tsvector(SIMPLE, func.ioc_unaccent(Report.description))
MAX_SEARCH_WORDS = 8
_WORD = re.compile(r"\w+")


def _published(column: Any, label: str) -> ColumnElement[Any]:
    """The column while the report is published, else NULL."""
    return case((Report.state == ReportState.published, column), else_=None).label(label)


@functools.cache
def _public_reports() -> Select[*tuple[Any, ...]]:
    """Built once: callers add filters, order and limit to a copy (statements are immutable)."""
    return (
        select(
            Report.id.label("id"),
            Report.tracking_code.label("code"),
            Report.state.label("state"),
            Category.code.label("category_code"),
            Category.name_vi.label("category_vi"),
            Category.name_en.label("category_en"),
            Jurisdiction.code.label("ward_code"),
            Jurisdiction.full_name.label("ward_name"),
            Agency.code.label("agency_code"),
            Agency.name.label("agency_name"),
            func.ST_Y(Report.location).label("lat"),
            func.ST_X(Report.location).label("lon"),
            Report.description.label("description"),
            Report.created_at.label("created_at"),
            Report.forwarded_at.label("forwarded_at"),
            Report.resolve_by.label("resolve_by"),
            _published(Report.published_at, "published_at"),
            _published(Report.on_time, "on_time"),
            _published(Report.result_text, "result_text"),
            Report.updated_at.label("updated_at"),
        )
        .select_from(Report)
        .join(Category, Category.id == Report.category_id)
        .outerjoin(Jurisdiction, Jurisdiction.id == Report.ward_id)
        .outerjoin(Agency, Agency.id == Report.agency_id)
        .where(public_condition())
    )


def public_condition() -> ColumnElement[bool]:
    """The report is public: verified by the IOC, not rejected nor a duplicate."""
    # Literal values, not parameters: a generic plan must still see that the partial indexes of
    # migration 0011_public apply.
    return Report.state.in_([literal_column(f"'{state.value}'") for state in sorted(PUBLIC_STATES)])


def public_reports() -> Select[*tuple[Any, ...]]:
    """Public reports with their public fields, unordered and unlimited."""
    return _public_reports()


def public_report(code: str) -> Select[*tuple[Any, ...]]:
    """One public report by tracking code (no row: unknown or not public)."""
    return _public_reports().where(Report.tracking_code == code.strip().upper())


def search_words(value: str) -> list[str]:
    """The words of a search (at most 8); the database drops their tone marks."""
    normalised = unicodedata.normalize("NFC", value)
    return _WORD.findall(normalised)[:MAX_SEARCH_WORDS]


def search_condition(value: str) -> ColumnElement[bool]:
    """Every word of ``value`` is a word of the description, tone marks and case ignored.

    The query goes through the same ``ioc_unaccent`` as the index, so "vung tau" and "Vũng Tàu"
    find each other, and "duong" finds "đường". Words only: "duon" does not find "đường".
    """
    words = search_words(value)
    if not words:
        return true()
    query = func.plainto_tsquery(SIMPLE, func.ioc_unaccent(" ".join(words)))
    return WORDS.bool_op("@@")(query)
