"""Translations: gettext catalogs managed by Babel, Vietnamese first, English as a switch."""

from __future__ import annotations

from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

from babel.support import NullTranslations, Translations

LOCALES = ("vi", "en")
DEFAULT_LOCALE = "vi"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"

_current: ContextVar[str] = ContextVar("locale", default=DEFAULT_LOCALE)


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "mark, translate later"
    """Mark a message for extraction; it is translated where it is shown."""
    return message


@lru_cache
def translations(locale: str) -> NullTranslations:
    """The compiled catalog of a locale (English message ids are their own translation)."""
    return Translations.load(str(LOCALE_DIR), [locale], domain="messages")


def set_locale(locale: str) -> None:
    """Set the locale of the current request or task."""
    _current.set(locale if locale in LOCALES else DEFAULT_LOCALE)


def get_locale() -> str:
    """The locale of the current request or task."""
    return _current.get()


def gettext(message: str, **params: object) -> str:
    """Translate into the current locale and fill ``%(name)s`` placeholders."""
    text = translations(get_locale()).gettext(message)
    return text % params if params else text


def negotiate(accept_language: str | None) -> str | None:
    """The best supported locale named in an Accept-Language header, if any."""
    if not accept_language:
        return None
    ranked: list[tuple[float, str]] = []
    for part in accept_language.split(","):
        pieces = part.strip().split(";q=")
        tag = pieces[0].strip().lower().split("-")[0]
        try:
            quality = float(pieces[1]) if len(pieces) > 1 else 1.0
        except ValueError:
            quality = 0.0
        if tag in LOCALES:
            ranked.append((quality, tag))
    return max(ranked)[1] if ranked else None
