"""Reasons for rejecting a report, kept as editable templates (the operators pick one and edit it).

The resident reads the reason (DOMAIN.md): each template has a Vietnamese and an English text, and
the panel fills in the one of the resident's language. Migration 0010_triage seeds the defaults.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Boolean, Integer, Select, String, Text, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from ioc.db import Base, TimestampMixin
from ioc.errors import InvalidInput, NotFound
from ioc.i18n import N_, get_locale

TITLE_MAX = 120
TEXT_MAX = 2000


class RejectTemplate(TimestampMixin, Base):
    """A reason for rejecting, in both languages; the list shows them by ``position``."""

    __tablename__ = "reject_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(Integer, index=True)
    title_vi: Mapped[str] = mapped_column(String(TITLE_MAX))
    title_en: Mapped[str] = mapped_column(String(TITLE_MAX))
    text_vi: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def title(self) -> str:
        """The title in the reader's language."""
        return self.title_en if get_locale() == "en" else self.title_vi

    def text(self, locale: str) -> str:
        """The reason in the resident's language (Vietnamese unless they wrote in English)."""
        return self.text_en if locale == "en" else self.text_vi


def listed(*, active_only: bool) -> Select[RejectTemplate]:
    """The templates in the order operators see them."""
    stmt = select(RejectTemplate).order_by(RejectTemplate.position, RejectTemplate.id)
    return stmt.where(RejectTemplate.active) if active_only else stmt


@dataclass(frozen=True)
class TemplateIn:
    """A template as the admin form sends it."""

    title_vi: str
    title_en: str
    text_vi: str
    text_en: str
    active: bool = True


def _clean(value: str, field: str, limit: int) -> str:
    text = value.strip()
    if not text:
        raise InvalidInput(N_("This field is required."), field=field)
    if len(text) > limit:
        raise InvalidInput(N_("At most %(max)s characters."), field=field, max=limit)
    return text


def checked(data: TemplateIn) -> TemplateIn:
    """The form's fields trimmed; InvalidInput naming the first missing or too long one."""
    return TemplateIn(
        title_vi=_clean(data.title_vi, "title_vi", TITLE_MAX),
        title_en=_clean(data.title_en, "title_en", TITLE_MAX),
        text_vi=_clean(data.text_vi, "text_vi", TEXT_MAX),
        text_en=_clean(data.text_en, "text_en", TEXT_MAX),
        active=data.active,
    )


def get(db: Session, template_id: int) -> RejectTemplate:
    """A template by id, or 404."""
    found = db.get(RejectTemplate, template_id)
    if found is None:
        raise NotFound(N_("There is no such reason template."), field="template")
    return found


def save(db: Session, data: TemplateIn, template_id: int | None = None) -> RejectTemplate:
    """Add a template (last in the list) or change one."""
    data = checked(data)
    if template_id is None:
        last = db.scalar(select(func.max(RejectTemplate.position)))
        row = RejectTemplate(position=(last or 0) + 1)
        db.add(row)
    else:
        row = get(db, template_id)
    row.title_vi, row.title_en = data.title_vi, data.title_en
    row.text_vi, row.text_en, row.active = data.text_vi, data.text_en, data.active
    db.flush()
    return row


def move(db: Session, template_id: int, step: int) -> None:
    """Swap a template with its neighbour above (-1) or below (+1); nothing at either end."""
    rows = list(db.scalars(listed(active_only=False).with_for_update()))
    index = next((i for i, row in enumerate(rows) if row.id == template_id), None)
    if index is None:
        raise NotFound(N_("There is no such reason template."), field="template")
    other = index + step
    if not 0 <= other < len(rows):
        return
    rows[index], rows[other] = rows[other], rows[index]
    for position, row in enumerate(rows, start=1):
        row.position = position
    db.flush()
