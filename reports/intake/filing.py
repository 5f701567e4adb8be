"""The last step of filing, shared by the resident's page and Open311: store, tell, commit."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from ioc.settings import Settings
from reports.intake import service
from reports.intake.service import Intake
from reports.intake.submission import Submission
from reports.media.store import MediaStore, Prepared
from reports.notify import service as notify
from reports.tracking import status


def store_and_commit(
    db: Session,
    settings: Settings,
    sub: Submission,
    submitter: str,
    prepared: list[Prepared],
    base: str,
    *,
    with_new: Callable[[Intake], None] | None = None,
) -> Intake:
    """Write the files and rows of a submission, queue the reporter's message and commit.

    A second pass only after a concurrent request with the same Idempotency-Key won: it is then
    answered as a replay. ``with_new`` adds rows of the caller's to a new (not replayed) report.
    """
    store = MediaStore(settings.media_dir)
    for _ in range(2):
        try:
            intake = service.submit(db, store, settings, sub, submitter, prepared)
            if not intake.replayed and with_new is not None:
                with_new(intake)
            tell_reporter(db, settings, intake, base)
            db.commit()
            return intake
        except service.ConcurrentRetryError:
            db.rollback()
        except BaseException:
            db.rollback()
            raise
    raise service.IdempotencyKeyReused(field="Idempotency-Key")  # pragma: no cover


def tell_reporter(db: Session, settings: Settings, intake: Intake, base: str) -> None:
    """Queue the message with the code and the private link (lost if the answer is lost)."""
    if intake.event is not None:  # a replay was told the first time
        private = status.status_page(base, intake.report.tracking_code, intake.token)
        notify.queue_for_event(db, settings, intake.report, intake.event, status_url=private)
