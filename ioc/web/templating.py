"""Jinja2 templates shared by every package, with gettext from the request's locale."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import partial
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from ioc import i18n
from ioc.auth import csrf
from ioc.web import assets, caching

IOC_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
SCRIPT_TAG = re.compile(r"<script(?=[\s>])", re.IGNORECASE)


def csp_nonce(request: Request) -> str:
    """This response's CSP nonce (set by ``ioc.web.middleware.RequestContext``)."""
    return str(getattr(request.state, "csp_nonce", ""))


def with_nonce(html: str, nonce: str) -> str:
    """HTML whose every ``<script>`` tag carries the nonce (for markup rendered by libraries)."""
    return SCRIPT_TAG.sub(f'<script nonce="{nonce}"', html)


def make_environment(extra_dirs: Iterable[Path] = ()) -> Environment:
    """One environment: the frame from ``ioc/templates``, pages from the feature packages."""
    loaders = [FileSystemLoader(str(IOC_TEMPLATES))]
    loaders += [FileSystemLoader(str(path)) for path in extra_dirs]
    env = Environment(
        loader=ChoiceLoader(loaders),
        autoescape=select_autoescape(["html", "xml"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["static_url"] = partial(caching.static_url, assets.STATIC_DIR)
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda message: i18n.translations(i18n.get_locale()).gettext(message),
        ngettext=lambda s, p, n: i18n.translations(i18n.get_locale()).ngettext(s, p, n),
        newstyle=True,
    )
    return env


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, status: int = 200
) -> HTMLResponse:
    """Render a page; every page gets the locale, the signed-in user and a CSRF token."""
    env: Environment = request.app.state.templates
    token = csrf.ensure_cookie_value(request)
    values = {
        "request": request,
        "locale": i18n.get_locale(),
        "user": getattr(request.state, "user", None),
        "csrf_token": csrf.form_token(request.app.state.settings.secret_key, token),
        "demo": request.app.state.settings.demo,
        "csp_nonce": csp_nonce(request),
    }
    values.update(context or {})
    response = HTMLResponse(env.get_template(template).render(values), status_code=status)
    csrf.set_cookie(request, response, token)
    return response
