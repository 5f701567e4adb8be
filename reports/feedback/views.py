"""Rating a published result: the private status page's form and its JSON twin.

Both need a private token of the report (the reporter's or a follower's): a wrong one is 403,
nothing else tells who the resident is. Refusals change nothing: the form is drawn again with
the message and the status (409 not published or too late, 422 a bad value or comment); the API
answers an RFC 9457 problem.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Body, Form, Request
from sqlalchemy.orm import Session
from starlette.responses import JSONResponse, RedirectResponse, Response

from ioc import i18n
from ioc.errors import Conflict, Forbidden, InvalidInput, NotFound
from ioc.i18n import N_
from ioc.settings import Settings
from ioc.web import CsrfProtected, SessionDep, SettingsDep, WriteSessionDep
from reports.deps import load_report
from reports.feedback import service
from reports.feedback.models import Rating
from reports.feedback.page import RatingForm, label, rating_form
from reports.feedback.schemas import RatingBody, RatingFormIn, RatingOut
from reports.lifecycle.view import reopen_form
from reports.models import Report
from reports.tracking.codes import BAD_TOKEN, Holder, token_holder
from reports.views import render_status

router = APIRouter()
NO_RATING = N_("You have not rated this result yet.")


def _holder(request: Request, db: Session, code: str, token: str | None) -> tuple[Report, Holder]:
    """The report and who holds the token; 403 without a right one (404 for no report)."""
    report = load_report(request, db, code, token or None, None)
    holder = token_holder(db, report, token) if token else None
    if holder is None:
        raise Forbidden(BAD_TOKEN, field="token")
    return report, holder


@router.post("/r/{tracking_code}/rating", dependencies=[CsrfProtected])
def rate_page(
    request: Request,
    db: WriteSessionDep,
    settings: SettingsDep,
    tracking_code: str,
    form: Annotated[RatingFormIn, Form()],
) -> Response:
    """The resident rates (or rates again) from the private status page."""
    report, holder = _holder(request, db, tracking_code, form.t)
    sent = service.RatingIn(form.value, form.comment)
    try:
        service.rate(db, settings, report.id, holder, sent)
    except (InvalidInput, Conflict) as error:
        db.rollback()  # nothing changed; the page is drawn again with the message
        return _again(request, db, settings, (tracking_code, form), error)
    url = f"/r/{tracking_code}?{urlencode({'t': form.t})}#rating"
    return RedirectResponse(url, status_code=303)


def _again(
    request: Request,
    db: Session,
    settings: Settings,
    sent: tuple[str, RatingFormIn],
    error: InvalidInput | Conflict,
) -> Response:
    """The status page again, the form keeping what was sent, with the message."""
    code, form = sent
    report = load_report(request, db, code, form.t, None)
    message = i18n.gettext(error.detail, **error.params)
    shown = rating_form(db, report, settings, form.t)
    if shown is None:  # no longer published: the message alone
        shown = RatingForm(token=form.t, until=None, open=False)
    shown.error, shown.comment = message, form.comment
    shown.chosen = form.value or shown.chosen
    reopen = reopen_form(db, report, settings, form.t)
    return render_status(request, db, report, form.t, None, reopen, error.status, rating=shown)


def _out(report: Report, rating: Rating, settings: Settings) -> RatingOut:
    until = service.change_until(report, settings)
    return RatingOut(
        tracking_code=report.tracking_code,
        value=rating.value.value,
        value_label=label(rating.value.value),
        comment=rating.comment,
        published_at=rating.published_at,
        created_at=rating.created_at,
        updated_at=rating.updated_at,
        changeable_until=until or rating.published_at,
    )


@router.post("/api/v1/reports/{tracking_code}/rating", response_model=RatingOut)
def rate_api(
    request: Request,
    db: WriteSessionDep,
    settings: SettingsDep,
    tracking_code: str,
    body: Annotated[RatingBody, Body()],
    token: str | None = None,
) -> Response:
    """Rate the published result with a private token: 201 the first time, 200 for a change.

    409 before publication or when the time to change it is over; 422 for a value other than
    ``satisfied``, ``accepted``, ``dissatisfied`` or a comment too long; 403 for a wrong token.
    """
    report, holder = _holder(request, db, tracking_code, token or body.token)
    sent = service.RatingIn(body.value, body.comment)
    rating, new = service.rate(db, settings, report.id, holder, sent)
    shown = _out(report, rating, settings).model_dump(mode="json")
    return JSONResponse(shown, status_code=201 if new else 200)


@router.get("/api/v1/reports/{tracking_code}/rating", response_model=RatingOut)
def rating_api(
    request: Request, db: SessionDep, settings: SettingsDep, tracking_code: str, token: str = ""
) -> RatingOut:
    """The token holder's rating of the current publication; 404 if they have not rated."""
    report, holder = _holder(request, db, tracking_code, token)
    rating = service.current(db, report, holder)
    if rating is None:
        raise NotFound(NO_RATING, field="value")
    return _out(report, rating, settings)
