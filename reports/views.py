"""Citizen pages: the reporting page, the confirmation, and the status page of a report."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

import folium
from fastapi import APIRouter, Form, Request
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from ioc import i18n
from ioc.auth.models import User
from ioc.errors import Conflict, Forbidden, InvalidInput
from ioc.i18n import N_
from ioc.settings import Settings
from ioc.web import (
    CsrfProtected,
    OptionalUser,
    SessionDep,
    SettingsDep,
    WriteSessionDep,
    maps,
    templating,
)
from reports import queries
from reports.deps import base_url, load_report
from reports.feedback.page import RatingForm, rating_form
from reports.lifecycle.form import TEXT_LIMITS, TOO_LONG
from reports.lifecycle.schemas import ReopenIn
from reports.lifecycle.service import ActionInput, Actor, apply_action
from reports.lifecycle.view import ReopenForm, reopen_again, reopen_form
from reports.models import OPEN_STATES, ActorKind, Report
from reports.tracking import status
from reports.tracking.codes import BAD_TOKEN, token_matches
from routing.sla import VN_TZ

router = APIRouter()
MAX_NOTE = TEXT_LIMITS["note"]
MAX_VIDEO_SECONDS_HINT = N_(
    "Up to %(photos)s photos and one video (at most %(seconds)s s, %(mb)s MB)."
)


# Tiles hold one line at 360 px: a short name per shipped category (a city's own keep their name).
SHORT_NAMES = {
    "giao-thong": N_("Roads"),
    "trat-tu-do-thi": N_("Urban order"),
    "ve-sinh-moi-truong": N_("Rubbish"),
    "cap-nuoc": N_("Water"),
    "thoat-nuoc": N_("Flooding"),
    "chieu-sang": N_("Street lights"),
    "cay-xanh": N_("Trees"),
    "vien-thong": N_("Telecom"),
    "an-ninh-trat-tu": N_("Public order"),
    "thai-do-phuc-vu": N_("Officials"),
    "ho-so-cham-tre": N_("Dossiers"),
}


def short_name(code: str, name: str) -> str:
    """A category's name on its tile: its short name if it has one, else its name."""
    short = SHORT_NAMES.get(code)
    return i18n.gettext(short) if short else name


def _place_map(settings: Settings, nonce: str) -> tuple[maps.RenderedMap, str, str]:
    """The map of the place step: a draggable pin; the page script moves it and reads it."""
    fmap = maps.make_map(settings.map, zoom_start=max(settings.map.zoom, 13))
    # keyboard=False: the pin is no tab stop of its own; the focused map moves it with the arrows.
    pin = folium.Marker(
        (settings.map.center_lat, settings.map.center_lon),
        draggable=True,
        keyboard=False,
        title=i18n.gettext(N_("Drag the pin to the place")),
        alt=i18n.gettext(N_("Pin")),
    )
    pin.add_to(fmap)
    return maps.render(fmap, nonce), fmap.get_name(), pin.get_name()


@router.get("/report")
def report_page(
    request: Request, db: SessionDep, settings: SettingsDep, _: OptionalUser
) -> Response:
    """The reporting page: photo or video → place → what and who."""
    locale = i18n.get_locale()
    categories = [
        {
            "code": c.code,
            "name": c.name(locale),
            "short": short_name(c.code, c.name(locale)),
            "icon": c.icon,
            "geographic": c.geographic,
        }
        for c in db.scalars(queries.categories())
    ]
    rendered, map_name, pin_name = _place_map(settings, templating.csp_nonce(request))
    limits = settings.intake
    context: dict[str, Any] = {
        "categories": categories,
        "map": rendered,
        "map_name": map_name,
        "pin_name": pin_name,
        # No tile server (nothing may come from another host): ward outlines give the pin a frame.
        "outlines_url": None
        if settings.map.tile_url
        else "/map/jurisdictions?f=geojson&detail=outline",
        "limits": limits,
        "media_hint": i18n.gettext(
            MAX_VIDEO_SECONDS_HINT,
            photos=limits.max_photos,
            seconds=limits.video_seconds,
            mb=limits.video_mb,
        ),
    }
    return templating.render(request, "report_new.html", context)


@router.get("/my-reports")
def my_reports_page(request: Request, _: OptionalUser) -> Response:
    """ "My reports": those sent from this phone, listed by its script from the phone's storage."""
    return templating.render(request, "my_reports.html", {})


@router.get("/report/sent/{tracking_code}")
def sent_page(request: Request, db: SessionDep, user: OptionalUser, tracking_code: str) -> Response:
    """The confirmation: the code, and the private link (its token stays in the URL fragment).

    The page itself knows only the code: its script reads the rest through the private link.
    """
    report = load_report(request, db, tracking_code, None, user)
    shown = status.report_status(db, report, None, base_url(request), user)
    return templating.render(request, "report_sent.html", {"report": shown})


@router.get("/r/{tracking_code}")
def status_page(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    user: OptionalUser,
    tracking_code: str,
    t: str | None = None,
) -> Response:
    """The status page of a report: public facts, or everything through the private link."""
    report = load_report(request, db, tracking_code, t, user)
    return render_status(request, db, report, t, user, reopen_form(db, report, settings, t))


def render_status(
    request: Request,
    db: Session,
    report: Report,
    t: str | None,
    user: User | None,
    reopen: ReopenForm | None,
    code: int = 200,
    *,
    rating: RatingForm | None = None,
) -> Response:
    """The status page; the private link's holder also gets the rating form (or ``rating``)."""
    shown = status.report_status(db, report, t, base_url(request), user)
    settings: Settings = request.app.state.settings
    context = {
        "report": shown,
        "open": report.state in OPEN_STATES,
        "tz": VN_TZ,
        "reopen": reopen,
        "rating": rating or rating_form(db, report, settings, t),
    }
    return templating.render(request, "report_status.html", context, status=code)


@router.post("/r/{tracking_code}/reopen", dependencies=[CsrfProtected])
def reopen(
    request: Request,
    db: WriteSessionDep,
    settings: SettingsDep,
    tracking_code: str,
    form: Annotated[ReopenIn, Form()],
) -> Response:
    """The resident reopens a published report from the private status page (the token)."""
    report = load_report(request, db, tracking_code, form.t or None, None)
    if not form.t or not token_matches(db, report, form.t):
        raise Forbidden(BAD_TOKEN, field="t")
    try:
        if len(form.note) > MAX_NOTE:
            raise InvalidInput(TOO_LONG, field="note", n=MAX_NOTE)
        data = ActionInput(note=form.note)
        apply_action(db, settings, report.id, "reopen", Actor(ActorKind.resident), data)
    except (InvalidInput, Conflict) as error:
        db.rollback()  # nothing changed; the page is drawn again with the message
        report = load_report(request, db, tracking_code, form.t, None)
        message = i18n.gettext(error.detail, **error.params)
        again = reopen_again(report, settings, form.t, form.note, message)
        return render_status(request, db, report, form.t, None, again, error.status)
    url = f"/r/{tracking_code}?{urlencode({'t': form.t})}"
    return RedirectResponse(url, status_code=303)
