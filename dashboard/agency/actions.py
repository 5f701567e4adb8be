"""The agency's action forms: read within limits, CSRF-checked, photos decoded off the event
loop and before the row is locked, then the one lifecycle function, committed or rolled back.

Bad input shows the page again with the message (422; 409 when the report moved on; 413 for
files too large): nothing is changed and no file is written, since ``apply_action`` stores the
after-photos only once every check has passed.
"""

from __future__ import annotations

import hmac
from functools import partial

import anyio
import anyio.to_thread
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from dashboard.agency import page
from ioc.auth import csrf
from ioc.errors import Conflict, CsrfFailed, InvalidInput, InvalidMedia, PayloadTooLarge
from ioc.i18n import N_
from ioc.settings import IntakeSettings, Settings
from reports.deps import staff_report
from reports.intake.form import MAX_TEXT_FIELDS, IntakeForm, read_form
from reports.intake.service import media_limits
from reports.lifecycle.rules import Action
from reports.lifecycle.service import ActionInput, Actor, apply_action
from reports.media.image import PixelBudget
from reports.media.store import MB, MediaStore, PreparedPhoto, prepare_photo

# Refused to the page's form, shown again with the message; other errors get their error page.
SHOWN_AGAIN = (InvalidInput, Conflict, PayloadTooLarge)
TEXT_FIELDS = ("reason", "note", "until")
MAX_URLENCODED_BYTES = MB
STALE_FORM = N_("The form is out of date. Reload the page and try again.")
ONLY_PHOTOS = N_("Only photos can be added to a result.")


async def read_action_form(request: Request, limits: IntakeSettings) -> IntakeForm:
    """The form's text fields and photos (multipart, spooled, within the intake's limits)."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        return await read_form(request, limits)
    form = IntakeForm()
    if content_type.startswith("application/x-www-form-urlencoded"):
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_URLENCODED_BYTES:
            raise PayloadTooLarge()
        data = await request.form(max_files=0, max_fields=MAX_TEXT_FIELDS)
        for name, value in data.multi_items():
            if isinstance(value, str):
                form.fields.setdefault(name, value)
    return form


def check_csrf(request: Request, form: IntakeForm) -> None:
    """Refuse a form without the token of a page of ours (as ``ioc.auth.csrf.verify`` does)."""
    cookie = request.cookies.get(csrf.COOKIE)
    sent = request.headers.get(csrf.HEADER) or form.fields.get(csrf.FIELD)
    if not cookie or not sent:
        raise CsrfFailed()
    expected = csrf.form_token(request.app.state.settings.secret_key, cookie)
    if not hmac.compare_digest(expected, sent):
        raise CsrfFailed()


def action_input(form: IntakeForm, photos: list[PreparedPhoto]) -> ActionInput:
    """What the lifecycle reads from the form."""
    version_text = form.fields.get("version", "").strip()
    if version_text and not version_text.isdigit():
        raise InvalidInput(STALE_FORM, field="version")
    return ActionInput(
        reason=form.fields.get("reason", ""),
        note=form.fields.get("note", ""),
        until=form.fields.get("until") or None,
        version=int(version_text) if version_text else None,
        photos=photos,
    )


def _decode(db: Session, form: IntakeForm, limits: IntakeSettings) -> list[PreparedPhoto]:
    """Check and decode the after-photos, with no transaction held open while it runs."""
    db.commit()  # read-only so far: gives the connection back during the CPU-bound work
    if form.videos:
        raise InvalidMedia(ONLY_PHOTOS, field="photos")
    media = media_limits(limits)
    budget = PixelBudget(media.request_pixels)
    return [
        prepare_photo(upload.file, limits=media, field="photos", budget=budget)
        for upload in form.photos
    ]


def _cpu_limiter(request: Request, size: int) -> anyio.CapacityLimiter:
    """The intake's limiter of photo decoding in this worker (the same cores do both)."""
    state = request.app.state
    if getattr(state, "intake_limiter", None) is None:
        state.intake_limiter = anyio.CapacityLimiter(max(1, size))
    limiter: anyio.CapacityLimiter = state.intake_limiter
    return limiter


async def run(
    request: Request,
    db: Session,
    settings: Settings,
    actor: Actor,
    report_id: int,
    code: str,
    action: str,
    form: IntakeForm,
) -> Response:
    """Decode the photos (for a result), apply the action, and answer with a redirect or the
    page shown again."""
    values = {name: form.fields.get(name, "") for name in TEXT_FIELDS}
    photos: list[PreparedPhoto] = []
    try:
        if action == Action.resolve.value and (form.photos or form.videos):
            limiter = _cpu_limiter(request, settings.intake.concurrency)
            photos = await anyio.to_thread.run_sync(
                _decode, db, form, settings.intake, limiter=limiter
            )
        data = action_input(form, photos)
    except SHOWN_AGAIN as error:
        again = partial(_shown_again, request, db, settings, actor, code, action, values, error)
        return await anyio.to_thread.run_sync(again)
    return await anyio.to_thread.run_sync(
        lambda: _apply(request, db, settings, actor, (report_id, code), action, data, values)
    )


def _apply(
    request: Request,
    db: Session,
    settings: Settings,
    actor: Actor,
    report: tuple[int, str],
    action: str,
    data: ActionInput,
    values: dict[str, str],
) -> Response:
    """One transaction: the action committed, or nothing (and the form shown again)."""
    report_id, code = report
    store = MediaStore(settings.media_dir)
    try:
        apply_action(db, settings, report_id, action, actor, data, store=store)
        db.commit()
    except SHOWN_AGAIN as error:
        db.rollback()
        return _shown_again(request, db, settings, actor, code, action, values, error)
    except BaseException:
        db.rollback()
        raise
    return RedirectResponse(f"/agency/reports/{code}?done={action}", status_code=303)


def _shown_again(
    request: Request,
    db: Session,
    settings: Settings,
    actor: Actor,
    code: str,
    action: str,
    values: dict[str, str],
    error: InvalidInput | Conflict | PayloadTooLarge,
) -> Response:
    """The page as it is now (another agency's by now: 404), the refused form with its message."""
    report = staff_report(db, actor, code)
    return page.render(
        request, db, settings, actor, report, error=error, action=action, values=values
    )
