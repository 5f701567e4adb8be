"""The named streets of the base map's extracts, for saying where a place is."""

from __future__ import annotations

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from ioc.db import Base


class Street(Base):
    """One named OpenStreetMap road way (its id is the way's), as a line in WGS 84.

    Derived from OpenStreetMap: the table is under the ODbL like the tiles (routing/data/NOTICE.md).
    """

    __tablename__ = "streets"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(200))
    highway: Mapped[str] = mapped_column(String(32))
    geom: Mapped[WKBElement] = mapped_column(
        Geometry("LINESTRING", srid=4326, spatial_index=True), nullable=False
    )
