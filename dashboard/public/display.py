"""What the public pages show of a report: labels, dates, photos as responsive images, steps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ioc import i18n
from ioc.i18n import N_
from reports.lifecycle.labels import ACTION_LABELS
from reports.media.image import DISPLAY_SIDE, THUMBNAIL_SIDE
from reports.media.serving import video_mime
from reports.models import STATE_LABELS, ReportMedia, ReportState
from reports.tracking.status import media_url
from routing.sla import VN_TZ

# The widths the list and the report page give a photo: a phone's width, two columns on a desk.
SIZES = "(max-width: 640px) 100vw, 480px"


def shown(moment: datetime | None) -> str:
    """A moment in Vietnam's time, as the city writes it."""
    return moment.astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M") if moment else ""


def state_label(state: ReportState | str) -> str:
    """A state's name in the reader's language."""
    return i18n.gettext(STATE_LABELS[ReportState(state)])


def category(row: Any) -> str:
    """The category's name in the reader's language."""
    return str(row.category_en if i18n.get_locale() == "en" else row.category_vi)


def _fit(width: int, height: int, side: int) -> tuple[int, int]:
    """A derivative's size: the picture scaled to fit ``side`` (never enlarged)."""
    scale = min(1.0, side / max(width, height, 1))
    return max(1, round(width * scale)), max(1, round(height * scale))


@dataclass(frozen=True)
class Picture:
    """A public photo or a video's poster, with what ``srcset`` and ``<video>`` need."""

    thumbnail_url: str
    display_url: str
    thumbnail_width: int
    display_width: int
    width: int  # the display derivative's, for the img's width/height (no layout shift)
    height: int
    video_url: str | None = None
    video_type: str | None = None

    @property
    def srcset(self) -> str:
        """Both derivatives with their widths."""
        small = f"{self.thumbnail_url} {self.thumbnail_width}w"
        return f"{small}, {self.display_url} {self.display_width}w"


def picture(item: ReportMedia) -> Picture:
    """A media row's public derivatives (the original is never named)."""
    thumb_w, _ = _fit(item.width, item.height, THUMBNAIL_SIDE)
    width, height = _fit(item.width, item.height, DISPLAY_SIDE)
    video = item.video_path if item.kind == "video" else None
    return Picture(
        thumbnail_url=media_url("", item.thumbnail_path),
        display_url=media_url("", item.display_path),
        thumbnail_width=thumb_w,
        display_width=width,
        width=width,
        height=height,
        video_url=media_url("", video) if video else None,
        video_type=video_mime(video) if video else None,
    )


def before_after(media: list[ReportMedia]) -> tuple[list[Picture], list[Picture]]:
    """The resident's media, and the after-photos of the latest result reported."""
    before = [picture(m) for m in media if m.stage == "report"]
    results = [m for m in media if m.stage == "result"]
    latest = max((m.event_id or 0 for m in results), default=0)
    return before, [picture(m) for m in results if (m.event_id or 0) == latest]


def steps(rows: Any) -> list[dict[str, str]]:
    """The public timeline: when, and what happened (no actor, no note)."""
    return [
        {
            "at": shown(at),
            "action": action,
            "label": i18n.gettext(ACTION_LABELS.get(action, STATE_LABELS[ReportState(to_state)])),
        }
        for at, action, to_state in rows
    ]


def percent(rate: float | None) -> str:
    """A rate as a whole percentage, or a dash."""
    return "–" if rate is None else f"{round(rate * 100)}%"


def hours(value: float | None) -> str:
    """A duration in hours, or days past two days."""
    if value is None:
        return "–"
    if value >= 48:
        return i18n.gettext(N_("%(n)s days"), n=f"{value / 24:.1f}")
    return i18n.gettext(N_("%(n)s hours"), n=f"{value:.1f}")
