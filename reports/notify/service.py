"""Which messages an event causes, written to the outbox in the caller's transaction."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ioc.settings import Settings
from reports.models import Report, ReportEvent


def queue_for_event(
    db: Session,
    settings: Settings,
    report: Report,
    event: ReportEvent,
    *,
    status_url: str | None = None,
) -> int:
    """Write the messages ``event`` causes (resident, agency, IOC); the number written.

    ``status_url`` is the private status link with its token, known only at intake.
    """
    return 0
