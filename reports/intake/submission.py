"""The fields of a submission, checked one by one; each error names its field."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from ioc.errors import InvalidInput
from ioc.i18n import N_
from reports.intake.form import TEXT_LIMITS, IntakeForm, too_long
from reports.media.source import Source
from reports.models import LocationSource

MAX_DESCRIPTION = TEXT_LIMITS["description"]
PHONE = re.compile(r"^\+?[0-9][0-9 .\-]{6,18}[0-9]$")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
FALSE = frozenset({"0", "false", "off", "no"})
MAX_KEY = 128


@dataclass(frozen=True)
class Submission:
    """A checked submission, before its media are processed."""

    category: str
    description: str
    lat: float | None
    lon: float | None
    location_source: LocationSource | None
    office: str | None
    name: str | None
    phone: str | None
    email: str | None
    keep_private: bool
    photos: list[Source]  # spooled uploads (or bytes, for the seed)
    video: Source | None
    idempotency_key: str | None
    fingerprint: str
    # The files' names as the client gave them, in order (photos, then the video): an error
    # about one file names it (``reports.intake.service.prepare_media``).
    file_names: tuple[str, ...] = ()


def parse_submission(form: IntakeForm, idempotency_key: str | None) -> Submission:
    """Check every field of a submission; the first problem is raised as InvalidInput."""
    fields = {name: value.strip() for name, value in form.fields.items()}
    for name, limit in TEXT_LIMITS.items():
        if len(fields.get(name, "")) > limit:
            raise too_long(name)
    category = fields.get("category", "")
    if not category:
        raise InvalidInput(N_("Choose a category."), field="category")
    description = fields.get("description", "")
    if not description and not form.photos and not form.videos:
        raise InvalidInput(N_("Describe the problem or add a photo."), field="description")
    lat, lon = _coordinate(fields, "lat", 90.0), _coordinate(fields, "lon", 180.0)
    if (lat is None) != (lon is None):
        raise InvalidInput(
            N_("Give both latitude and longitude."), field="lon" if lon is None else "lat"
        )
    return Submission(
        category=category,
        description=description,
        lat=lat,
        lon=lon,
        location_source=_source(fields.get("location_source", "")),
        office=fields.get("office") or None,
        name=fields.get("name") or None,
        phone=_matching(fields, "phone", PHONE, N_("Enter a phone number (digits only).")),
        email=_matching(fields, "email", EMAIL, N_("Enter an email address such as ten@vidu.vn.")),
        keep_private=_flag(fields.get("private", "")),
        photos=[upload.file for upload in form.photos],
        video=form.videos[0].file if form.videos else None,
        idempotency_key=_key(idempotency_key),
        fingerprint=form.fingerprint(),
        file_names=tuple(upload.filename for upload in (*form.photos, *form.videos)),
    )


def _coordinate(fields: dict[str, str], name: str, limit: float) -> float | None:
    """A latitude or longitude in range, or None when the field is empty."""
    raw = fields.get(name, "").replace(",", ".")
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise InvalidInput(N_("Enter a number."), field=name) from None
    if not math.isfinite(value) or not -limit <= value <= limit:
        raise InvalidInput(
            N_("Enter a number between %(low)s and %(high)s."), field=name, low=-limit, high=limit
        )
    return round(value, 7) + 0.0  # about 1 cm; subnormal numbers (5e-324) become zero


def _source(raw: str) -> LocationSource | None:
    """Where the page says the place came from (unknown values are ignored)."""
    try:
        return LocationSource(raw) if raw else None
    except ValueError:
        return None


def _matching(
    fields: dict[str, str], name: str, pattern: re.Pattern[str], message: str
) -> str | None:
    """An optional field that must match a pattern when given."""
    value = fields.get(name, "")
    if value and not pattern.fullmatch(value):
        raise InvalidInput(message, field=name)
    return value or None


def _flag(raw: str) -> bool:
    """ "Keep my identity from the agency": on unless clearly turned off."""
    return raw.lower() not in FALSE


def _key(raw: str | None) -> str | None:
    """The Idempotency-Key header: printable ASCII, at most 128 characters."""
    if raw is None:
        return None
    key = raw.strip().strip('"')
    if not key or len(key) > MAX_KEY or not key.isascii() or not key.isprintable():
        raise InvalidInput(
            N_("The Idempotency-Key header must be 1 to %(n)s printable characters."),
            field="Idempotency-Key",
            n=MAX_KEY,
        )
    return key
