"""YAML export and import: a round trip changes nothing; a bad file changes nothing either."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ioc.cli import main
from ioc.cli_context import CliContext
from routing.admin import yaml_io
from routing.admin.service import Actor
from routing.models import Agency, RoutingAudit

CLI = Actor("cli")


def _audit_rows(dbs: Session) -> int:
    return dbs.scalar(select(func.count()).select_from(RoutingAudit)) or 0


@pytest.fixture(scope="module")
def exported(engine: Any) -> str:
    """One export of the seeded data (it takes a few seconds: service areas are large)."""
    with Session(engine) as session:
        return yaml_io.dump(session)


def test_export_then_import_changes_nothing(dbs: Session, exported: str) -> None:
    doc = yaml.load(exported, Loader=yaml.CSafeLoader)
    assert len(doc["categories"]) == 13 and len(doc["rules"]) == 20
    assert {a["code"] for a in doc["agencies"]} >= {"dl-vungtau", "ubnd-26526", "ca-19753"}
    area = next(a for a in doc["agencies"] if a["code"] == "dl-vungtau")["service_area"]
    assert area["type"] == "MultiPolygon"
    result = yaml_io.import_text(dbs, CLI, exported)
    assert result.changed == 0 and result.unchanged == 13 + 159 + 20
    assert _audit_rows(dbs) == 0
    assert yaml_io.dump(dbs) == exported


def test_import_applies_and_audits_changes(dbs: Session, exported: str) -> None:
    doc = yaml.load(exported, Loader=yaml.CSafeLoader)
    agency = next(a for a in doc["agencies"] if a["code"] == "dl-vungtau")
    agency["name"] = "Điện lực thành phố Vũng Tàu"
    doc["days_off"] = [{"day": "2026-12-31", "working": False, "note": "Nghỉ cuối năm"}]
    doc["rules"][0]["note"] = "đã sửa"
    result = yaml_io.import_text(dbs, CLI, yaml.safe_dump(doc, allow_unicode=True))
    assert result.changed == 3
    rows = dbs.scalars(select(RoutingAudit).order_by(RoutingAudit.id)).all()
    assert [(r.entity, r.entity_key, r.action.value) for r in rows] == [
        ("agency", "dl-vungtau", "update"),
        ("rule", "1", "update"),
        ("day_off", "2026-12-31", "create"),
    ]
    assert rows[0].before and rows[0].before["name"] == "Điện lực Vũng Tàu"
    assert (
        rows[0].after is not None and "service_area" not in rows[0].after
    )  # unchanged geometry is not copied into the log


def _minimal(**sections: list[dict[str, Any]]) -> str:
    return yaml.safe_dump({"version": 1, **sections}, allow_unicode=True)


def _agency(code: str, parent: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"code": code, "name": code.upper(), "kind": "other", "parent": parent, **extra}


BOW_TIE = {
    "type": "Polygon",
    "coordinates": [[[107, 10], [108, 11], [108, 10], [107, 11], [107, 10]]],
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            _minimal(
                rules=[
                    {
                        "position": 50,
                        "category": "giao-thong",
                        "target": "agency",
                        "agency": "nobody",
                    }
                ]
            ),
            "rules[0] (rule 50).agency: unknown agency 'nobody'",
        ),
        (
            _minimal(
                rules=[
                    {
                        "position": 51,
                        "category": "no-such",
                        "target": "service_area",
                        "agency_kind": "power",
                    }
                ]
            ),
            "rules[0] (rule 51).category: unknown category 'no-such'",
        ),
        (
            _minimal(agencies=[_agency("x-a", "x-b"), _agency("x-b", "x-a")]),
            "agencies[0] (x-a).parent: a cycle of parents: x-a → x-b → x-a",
        ),
        (
            _minimal(agencies=[_agency("pc-brvt", "dl-vungtau")]),  # dl-vungtau's parent is pc-brvt
            "agencies[0] (pc-brvt).parent: a cycle of parents: pc-brvt → dl-vungtau → pc-brvt",
        ),
        (
            _minimal(agencies=[_agency("x-c", "nobody")]),
            "agencies[0] (x-c).parent: unknown agency 'nobody'",
        ),
        (
            _minimal(agencies=[_agency("x-d", service_area=BOW_TIE)]),
            "agencies[0] (x-d).service_area:",
        ),
        (
            _minimal(agencies=[_agency("x-e", kind="spaceship")]),
            "agencies[0].kind:",
        ),
        (_minimal(agencies=[_agency("x-f", jurisdiction="99999")]), "unknown ward or province"),
        ("categories: [", "YAML:"),
        ("- just a list", "the file must be a mapping"),
    ],
)
def test_a_bad_file_names_the_entry_and_changes_nothing(
    dbs: Session, exported: str, text: str, expected: str
) -> None:
    agencies = dbs.scalar(select(func.count()).select_from(Agency))
    with pytest.raises(yaml_io.RoutingImportError) as error:
        yaml_io.import_text(dbs, CLI, text)
    assert any(expected in line for line in error.value.errors), error.value.errors
    assert error.value.field is None or isinstance(error.value.field, str)
    assert dbs.scalar(select(func.count()).select_from(Agency)) == agencies
    assert _audit_rows(dbs) == 0


def test_a_file_with_many_errors_reports_them_all(dbs: Session) -> None:
    text = _minimal(
        agencies=[_agency("x-a", "x-b"), _agency("x-b", "x-a"), _agency("x-c", "nobody")],
        rules=[{"position": 60, "category": "nope", "target": "agency", "agency": "nobody"}],
    )
    with pytest.raises(yaml_io.RoutingImportError) as error:
        yaml_io.import_text(dbs, CLI, text)
    assert len(error.value.errors) >= 5


@pytest.fixture
def cli_sessions(dbs: Session) -> CliContext:
    """A CLI context bound to the test's transaction."""
    return CliContext(
        sessions=sessionmaker(bind=dbs.connection(), join_transaction_mode="create_savepoint")
    )


def test_the_cli_exports_and_imports(
    cli_sessions: CliContext, tmp_path: Path, dbs: Session, exported: str
) -> None:
    runner = CliRunner()
    out = tmp_path / "routing.yaml"
    assert (
        runner.invoke(main, ["routing", "export", "-o", str(out)], obj=cli_sessions).exit_code == 0
    )
    assert out.read_text(encoding="utf-8") == exported
    result = runner.invoke(main, ["routing", "import", str(out)], obj=cli_sessions)
    assert result.exit_code == 0 and "changed 0 records" in result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text(_minimal(agencies=[_agency("x-a", "x-b"), _agency("x-b", "x-a")]))
    failed = runner.invoke(main, ["routing", "import", str(bad)], obj=cli_sessions)
    assert failed.exit_code == 1
    assert "nothing imported" in failed.output and "a cycle of parents" in failed.output
    assert dbs.scalar(select(Agency).where(Agency.code == "x-a")) is None
