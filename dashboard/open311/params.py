"""Reading GeoReport parameters: an empty parameter is absent; W3C datetimes; comma lists;
the jurisdiction check; the lat/long/radius extension."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from ioc.errors import InvalidInput, NotFound
from ioc.i18n import N_
from ioc.settings import Settings

WINDOW = timedelta(days=90)  # the spec's default window and the longest one asked
MAX_REQUESTS = 1000  # the spec's most requests in one answer
MAX_IDS = 1000
RADIUS_DEFAULT = 1000.0  # metres, when lat/long come without a radius
RADIUS_MAX = 50_000.0
STATUSES = ("open", "closed")
# W3C note: YYYY-MM-DD, or a time with seconds (and fractions) and a zone (Z or ±hh:mm).
W3C = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2}))?$")
BAD_DATE = N_("Use a W3C datetime with a timezone, such as 2026-11-05T08:15:30+07:00.")


def value(params: Mapping[str, str], name: str) -> str | None:
    """A parameter's value, stripped; an empty one counts as absent."""
    raw = params.get(name)
    return raw.strip() or None if raw is not None else None


def check_jurisdiction(params: Mapping[str, str], settings: Settings) -> None:
    """``jurisdiction_id`` is accepted; when one is configured, another one is a 404."""
    given = value(params, "jurisdiction_id")
    wanted = settings.open311.jurisdiction_id
    if given is not None and wanted and given.lower() != wanted.lower():
        raise NotFound(N_("This jurisdiction_id is not served here."), field="jurisdiction_id")


def w3c_datetime(params: Mapping[str, str], name: str) -> datetime | None:
    """A W3C datetime (a bare date is midnight in Vietnam time); 400 if malformed."""
    raw = value(params, name)
    if raw is None:
        return None
    if not W3C.fullmatch(raw):
        raise InvalidInput(BAD_DATE, field=name)
    text = raw.replace("Z", "+00:00")
    if "T" not in text:
        text += "T00:00:00+07:00"
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(BAD_DATE, field=name) from None


def window(params: Mapping[str, str], now: datetime) -> tuple[datetime, datetime]:
    """The requested_datetime range: at most 90 days, by default the last 90 days."""
    start, end = w3c_datetime(params, "start_date"), w3c_datetime(params, "end_date")
    if start is None and end is None:
        return now - WINDOW, now
    if start is None:
        assert end is not None
        return end - WINDOW, end
    if end is None:
        return start, start + WINDOW
    if end < start:
        raise InvalidInput(N_("end_date is before start_date."), field="end_date")
    if end - start > WINDOW:
        raise InvalidInput(
            N_("At most %(days)s days between start_date and end_date."), field="end_date", days=90
        )
    return start, end


def comma_list(params: Mapping[str, str], name: str, limit: int = MAX_IDS) -> list[str]:
    """A comma-delimited parameter as a list of its non-empty items."""
    items = [item.strip() for item in (value(params, name) or "").split(",") if item.strip()]
    if len(items) > limit:
        raise InvalidInput(N_("At most %(n)s values."), field=name, n=limit)
    return items


def statuses(params: Mapping[str, str]) -> list[str]:
    """``status``: open, closed or both (comma-delimited)."""
    items = [item.lower() for item in comma_list(params, "status")]
    if any(item not in STATUSES for item in items):
        raise InvalidInput(N_("status is open or closed."), field="status")
    return items


def number(params: Mapping[str, str], name: str, low: float, high: float) -> float | None:
    """A finite number in range, or None when absent."""
    raw = value(params, name)
    if raw is None:
        return None
    try:
        parsed = float(raw)
    except ValueError:
        raise InvalidInput(N_("Enter a number."), field=name) from None
    if not math.isfinite(parsed) or not low <= parsed <= high:
        raise InvalidInput(
            N_("Enter a number between %(low)s and %(high)s."), field=name, low=low, high=high
        )
    return parsed


@dataclass(frozen=True)
class Near:
    """The lat/long/radius extension: requests within ``radius`` metres of a point."""

    lat: float
    lon: float
    radius: float


def near(params: Mapping[str, str]) -> Near | None:
    """``lat`` and ``long`` (both or neither) and ``radius`` in metres."""
    lat, lon = number(params, "lat", -90, 90), number(params, "long", -180, 180)
    radius = number(params, "radius", 1, RADIUS_MAX)
    if (lat is None) != (lon is None):
        raise InvalidInput(N_("Give both lat and long."), field="long" if lon is None else "lat")
    if lat is None or lon is None:
        if radius is not None:
            raise InvalidInput(N_("radius needs lat and long."), field="radius")
        return None
    return Near(lat, lon, radius or RADIUS_DEFAULT)
