"""The rating API's bodies."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class RatingFormIn(BaseModel):
    """The rating form of the private status page (checked by the service)."""

    t: str = ""  # the private status token, as in the page's address
    value: str = ""
    comment: str = ""


class RatingBody(BaseModel):
    """A rating sent to the API: ``satisfied``, ``accepted`` or ``dissatisfied``, a comment."""

    value: str
    comment: str = ""
    token: str | None = None  # the private status token (or the query's ``token``)


class RatingOut(BaseModel):
    """The resident's rating of the report's current publication."""

    tracking_code: str
    value: str
    value_label: str
    comment: str
    published_at: datetime
    created_at: datetime
    updated_at: datetime
    changeable_until: datetime
