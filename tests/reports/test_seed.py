"""Demo reports go through the real intake, land at their places and are filed once."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ioc.settings import Settings
from reports.intake.seed import DEMO_REPORTS, load_demo_reports
from reports.models import Report, ReportMedia, ReportState


def test_demo_reports_are_filed_once_with_their_photos(
    dbs: Session, settings: Settings, tmp_path: Path
) -> None:
    local = settings.model_copy(update={"media_dir": tmp_path})
    before = dbs.scalar(select(func.count()).select_from(Report)) or 0
    assert load_demo_reports(dbs, local) == len(DEMO_REPORTS)
    assert load_demo_reports(dbs, local) == 0  # seeding again changes nothing
    dbs.flush()
    assert dbs.scalar(select(func.count()).select_from(Report)) == before + len(DEMO_REPORTS)
    reports = dbs.scalars(
        select(Report).where(Report.description == DEMO_REPORTS[0].description)
    ).all()
    assert len(reports) == 1 and reports[0].state == ReportState.submitted
    assert reports[0].suggested_agency_id is not None  # routed within the seeded wards
    photo = dbs.scalar(select(ReportMedia).where(ReportMedia.report_id == reports[0].id))
    assert photo is not None and (tmp_path / photo.display_path).is_file()
