"""The two formats of GeoReport v2: JSON (bare arrays) and XML (with its declaration), errors
as the spec's array, W3C datetimes in Vietnam time, and the route class that answers every
domain error of these routes in that shape."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable, Coroutine, Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

from ioc import i18n
from ioc.errors import DomainError, NotFound
from ioc.i18n import N_

VN = ZoneInfo("Asia/Ho_Chi_Minh")
FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
# The element of each item of a list, by the list's element (the spec's examples).
ITEMS = {
    "services": "service",
    "service_requests": "request",
    "service_request_updates": "request_update",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
}
UNKNOWN_FORMAT = N_("Unknown format: use .json or .xml.")
# The intake's field names as the spec names them.
FIELDS = {
    "category": "service_code",
    "lon": "long",
    "name": "first_name",
    "photos": "media",
    "video": "media",
    "videos": "media",
    "office": "attribute[office]",
}
# The spec: 404 for what does not exist, 403 for a missing or wrong api_key, 400 for any other
# error (a too large body included); 429 (the rate limit) and 503 (retry soon) keep theirs.
KEPT = frozenset({403, 404, 429, 503})

Item = Mapping[str, Any]


def w3c(moment: datetime | None) -> str | None:
    """A W3C datetime in Vietnam time with its offset: 2026-11-05T08:15:30+07:00."""
    return moment.astimezone(VN).isoformat(timespec="seconds") if moment else None


def check_format(fmt: str) -> str:
    """``json`` or ``xml``; anything else is a 404 (the resource does not exist)."""
    if fmt not in FORMATS:
        raise NotFound(UNKNOWN_FORMAT)
    return fmt


def _text(value: Any) -> str | None:
    """An element's text: booleans as true/false, None as an empty element."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _fill(parent: ET.Element, name: str, value: Any) -> None:
    """Add ``value`` under ``parent`` as element ``name`` (lists and mappings nest)."""
    element = ET.SubElement(parent, name)
    if isinstance(value, Mapping):
        for key, inner in value.items():
            _fill(element, key, inner)
    elif isinstance(value, Sequence) and not isinstance(value, str):
        for inner in value:
            _fill(element, ITEMS[name], inner)
    else:
        element.text = _text(value)


def to_xml(root: str, body: Item | Sequence[Item]) -> bytes:
    """A document: the declaration, then ``root`` with the items (or the mapping's fields)."""
    element = ET.Element(root)
    if isinstance(body, Mapping):
        for key, value in body.items():
            _fill(element, key, value)
    else:
        for item in body:
            _fill(element, ITEMS[root], item)
    content: bytes = ET.tostring(element, encoding="utf-8", xml_declaration=False)
    return DECLARATION + content


def respond(fmt: str, root: str, body: Item | Sequence[Item], status: int = 200) -> Response:
    """The body in the asked format: a JSON array or object, or XML under ``root``."""
    if fmt == "xml":
        content = to_xml(root, body)
    else:
        content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(content, status_code=status, media_type=FORMATS[fmt])


def error_response(request: Request, error: DomainError) -> Response:
    """The spec's error array, in the format of the path (XML unless it ends in .json)."""
    status = error.status if error.status in KEPT else 403 if error.status == 401 else 400
    detail = i18n.gettext(error.detail, **error.params)
    if error.field:
        detail = f"{FIELDS.get(error.field, error.field)}: {detail}"
    fmt = "json" if request.url.path.endswith(".json") else "xml"
    response = respond(fmt, "errors", [{"code": status, "description": detail}], status)
    if error.retry_after:
        response.headers["Retry-After"] = str(error.retry_after)
    return response


def _validation(error: RequestValidationError) -> DomainError:
    """FastAPI's own validation (a path parameter) as a 400."""
    first = error.errors()[0] if error.errors() else {}
    field = ".".join(str(part) for part in first.get("loc", ())[1:]) or None
    return DomainError(N_("This value is not valid."), field=field)


Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class Open311Route(APIRoute):
    """Routes whose errors are the spec's error array rather than an RFC 9457 problem."""

    def get_route_handler(self) -> Handler:
        """The usual handler, with domain and validation errors answered in Open311's shape."""
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handler(request)
            except DomainError as error:
                return error_response(request, error)
            except RequestValidationError as error:
                return error_response(request, _validation(error))

        return answer
