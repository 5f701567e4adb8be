"""Reading an action's form (urlencoded or multipart) within limits, and its fields one by one.

A multipart body goes through the intake's reader: the same size limits, the same spooling of
files to disk. Each bad field is an ``InvalidInput`` that names it; photos are only checked and
decoded later (``prepare_photos``), off the event loop and before the report's row is locked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import parse_qsl

from starlette.requests import Request

from ioc.errors import InvalidInput, PayloadTooLarge
from ioc.i18n import N_
from ioc.settings import IntakeSettings
from reports.intake.form import MAX_TEXT_FIELDS, Upload, read_form
from reports.lifecycle.service import ActionInput
from reports.media.image import PixelBudget
from reports.media.store import MediaLimits, PreparedPhoto, prepare_photo

# The longest value, in characters, of each field an action reads.
TEXT_LIMITS: Final = {
    "reason": 2000,
    "note": 5000,
    "agency": 64,
    "until": 40,
    "of": 32,
    "category": 64,
    "lat": 32,
    "lon": 32,
    "priority": 16,
    "version": 12,
}
MAX_URLENCODED: Final = 256 * 1024
MAX_VERSION: Final = 2**31 - 1
TOO_LONG = N_("At most %(n)s characters.")
FORM_TOO_LARGE = N_("The form is too large: at most %(kb)s KB of text can be sent.")
NOT_A_FORM = N_("Send the action as a form (multipart/form-data or urlencoded).")
ONLY_PHOTOS = N_("Only photos can be attached to an action.")


@dataclass
class ActionForm:
    """The text fields of an action (first value of each) and its spooled photos."""

    fields: dict[str, str] = field(default_factory=dict)
    photos: list[Upload] = field(default_factory=list)

    def close(self) -> None:
        """Remove the spooled files."""
        for upload in self.photos:
            upload.file.close()


async def read_action_form(request: Request, limits: IntakeSettings) -> ActionForm:
    """The form of an action; a body that is no form is refused, an empty one is no field."""
    kind = request.headers.get("content-type", "").lower()
    if kind.startswith("multipart/form-data"):
        form = await read_form(request, limits)
        if form.videos:
            form.close()
            raise InvalidInput(ONLY_PHOTOS, field="video")
        return ActionForm(form.fields, form.photos)
    body = await _body(request)
    if kind.startswith("application/x-www-form-urlencoded"):
        return ActionForm(_urlencoded(body))
    if body.strip():
        raise InvalidInput(NOT_A_FORM)
    return ActionForm()


async def _body(request: Request) -> bytes:
    """The body, refused as soon as it passes ``MAX_URLENCODED`` bytes."""
    chunks: list[bytes] = []
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > MAX_URLENCODED:
            raise PayloadTooLarge(FORM_TOO_LARGE, kb=MAX_URLENCODED // 1024)
        chunks.append(chunk)
    return b"".join(chunks)


def _urlencoded(body: bytes) -> dict[str, str]:
    """The first value of each field of an urlencoded body."""
    try:
        pairs = parse_qsl(
            body.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=MAX_TEXT_FIELDS
        )
    except ValueError:  # too many fields
        raise InvalidInput(N_("The form could not be read.")) from None
    fields: dict[str, str] = {}
    for name, value in pairs:
        fields.setdefault(name, value)
    return fields


def parse_action(fields: dict[str, str]) -> ActionInput:
    """The action's fields, checked (lengths, numbers); photos are added once decoded."""
    values = {name: fields.get(name, "").strip() for name in TEXT_LIMITS}
    for name, limit in TEXT_LIMITS.items():
        if len(values[name]) > limit:
            raise InvalidInput(TOO_LONG, field=name, n=limit)
    return ActionInput(
        reason=values["reason"],
        note=values["note"],
        agency=values["agency"] or None,
        until=values["until"] or None,
        of=values["of"] or None,
        category=values["category"] or None,
        lat=_coordinate(values["lat"], "lat", 90.0),
        lon=_coordinate(values["lon"], "lon", 180.0),
        priority=values["priority"] or None,
        version=_version(values["version"]),
    )


def _coordinate(raw: str, name: str, limit: float) -> float | None:
    """A latitude or longitude in range, or None when the field is empty."""
    if not raw:
        return None
    try:
        value = float(raw.replace(",", "."))
    except ValueError:
        raise InvalidInput(N_("Enter a number."), field=name) from None
    if not math.isfinite(value) or not -limit <= value <= limit:
        raise InvalidInput(
            N_("Enter a number between %(low)s and %(high)s."), field=name, low=-limit, high=limit
        )
    return round(value, 7) + 0.0  # about 1 cm, as at intake (subnormal numbers become zero)


def _version(raw: str) -> int | None:
    """The version the client last saw (a whole number), or None."""
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()) or int(raw) > MAX_VERSION:
        raise InvalidInput(N_("Enter a whole number."), field="version")
    return int(raw)


def prepare_photos(uploads: list[Upload], limits: MediaLimits) -> list[PreparedPhoto]:
    """Check and decode the after-photos in memory (CPU-bound: run it in a worker thread)."""
    budget = PixelBudget(limits.request_pixels)
    return [
        prepare_photo(upload.file, limits=limits, field="photos", budget=budget)
        for upload in uploads
    ]
