"""reports.publication: what is public, its fields, the tone-insensitive search, "on time"."""

from __future__ import annotations

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from reports import publication
from reports.models import _PUBLIC_WHERE, PUBLIC_STATES, Report
from tests.dashboard.public.conftest import World, copies

FIELDS = [
    "id",
    "code",
    "state",
    "category_code",
    "category_vi",
    "category_en",
    "ward_code",
    "ward_name",
    "agency_code",
    "agency_name",
    "lat",
    "lon",
    "description",
    "created_at",
    "forwarded_at",
    "resolve_by",
    "published_at",
    "on_time",
    "result_text",
    "updated_at",
]


def _codes(dbs: Session, *conditions: object) -> set[str]:
    statement = publication.public_reports().where(*conditions)  # type: ignore[arg-type]
    return {row.code for row in dbs.execute(statement)}


def test_only_verified_reports_are_public(dbs: Session, world: World) -> None:
    codes = _codes(dbs)
    assert {world.published.tracking_code, world.late.tracking_code} <= codes
    assert world.in_progress.tracking_code in codes
    for hidden in (world.submitted, world.rejected, world.duplicate):
        assert hidden.tracking_code not in codes
        assert dbs.execute(publication.public_report(hidden.tracking_code)).first() is None


def test_the_public_fields_and_nothing_else(dbs: Session, world: World) -> None:
    row = dbs.execute(publication.public_report(world.published.tracking_code.lower())).one()
    assert list(row._mapping) == FIELDS
    assert row.state == "published" and row.on_time is True
    assert row.result_text == "Đã vá xong mặt đường"
    assert row.ward_name == "Phường Tam Thắng" and row.category_code == "giao-thong"
    assert abs(row.lat - 10.3736) < 1e-6 and abs(row.lon - 107.095) < 1e-6
    assert row.updated_at == row.published_at


def test_a_late_result_is_not_on_time_and_an_open_one_has_no_result(
    dbs: Session, world: World
) -> None:
    late = dbs.execute(publication.public_report(world.late.tracking_code)).one()
    assert late.on_time is False and late.published_at is not None
    open_ = dbs.execute(publication.public_report(world.in_progress.tracking_code)).one()
    assert open_.on_time is None and open_.result_text is None and open_.published_at is None
    assert open_.ward_name == "Phường Phú Xuân"


def test_search_ignores_tone_marks_and_case(dbs: Session, world: World) -> None:
    published, late = world.published.tracking_code, world.late.tracking_code
    assert _codes(dbs, publication.search_condition("vung tau")) == {published}
    assert _codes(dbs, publication.search_condition("VŨNG TÀU")) == {published}
    assert _codes(dbs, publication.search_condition("duong")) >= {published, late}
    assert _codes(dbs, publication.search_condition("đường vo thi sau")) == {published}
    assert _codes(dbs, publication.search_condition("dai noi")) == {world.in_progress.tracking_code}
    assert _codes(dbs, publication.search_condition("xyzzy")) == set()  # unverified
    assert _codes(dbs, publication.search_condition("duon")) & {published, late} == set()


def test_search_of_nothing_or_punctuation_finds_everything_public(
    dbs: Session, world: World
) -> None:
    assert _codes(dbs, publication.search_condition(" ,;!' ")) == _codes(dbs)
    assert _codes(dbs, publication.search_condition("a & b | !c :* ('")) == set()


def test_decomposed_tone_marks_are_found_too(dbs: Session, world: World) -> None:
    import unicodedata

    decomposed = unicodedata.normalize("NFD", "Vũng Tàu")
    assert _codes(dbs, publication.search_condition(decomposed)) == {world.published.tracking_code}


def test_the_partial_indexes_name_the_public_states(dbs: Session) -> None:
    assert sorted(PUBLIC_STATES) == sorted(
        _PUBLIC_WHERE.split("(")[1].rstrip(")").replace("'", "").split(", ")
    )
    found = dbs.scalar(
        text("SELECT count(*) FROM pg_indexes WHERE indexname LIKE 'ix_reports_public_%'")
    )
    assert found == 2


def test_the_search_uses_the_index(dbs: Session, world: World) -> None:
    statement = (
        publication.public_reports()
        .where(publication.search_condition("vung tau"))
        .order_by(Report.created_at.desc())
        .limit(50)
    )
    compiled = statement.compile(dbs.get_bind(), compile_kwargs={"literal_binds": True})
    copies(dbs, world.late, 5000)
    plan = "\n".join(row[0] for row in dbs.execute(text(f"EXPLAIN {compiled}")))
    assert "Bitmap Index Scan on ix_reports_public_words" in plan, plan
    assert dbs.scalar(select(Report.on_time).where(Report.id == world.published.id)) is True
