"""The Frictionless Data Package descriptor (``/open-data/datapackage.json``) of the live files.

Generated from the data dictionary, so that a validator (``frictionless validate``) checks the
CSV against the same fields that the page documents.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from dashboard.opendata.fields import (
    ATTRIBUTION,
    FIELDS,
    LICENCE_ID,
    LICENCE_TITLE,
    LICENCE_URL,
    PUBLISHER,
    STATE_VALUES,
)
from routing.models import Category


def _schema() -> dict[str, Any]:
    """The CSV's Table Schema: every column, its type and meaning."""
    columns: list[dict[str, Any]] = []
    for field in FIELDS:
        column: dict[str, Any] = {
            "name": field.name,
            "type": field.type,
            "description": field.en,
            "description_vi": field.vi,
            "example": field.example,
        }
        if field.type == "datetime":
            column["format"] = "any"  # ISO 8601 with the +07:00 offset
        elif field.format != "default":
            column["format"] = field.format
        if field.name == "state":
            column["constraints"] = {"required": True, "enum": list(STATE_VALUES)}
        columns.append(column)
    return {"fields": columns, "primaryKey": ["code"], "missingValues": [""]}


def descriptor(base: str) -> dict[str, Any]:
    """The package: its licence, its publisher, the CSV (with its schema) and the GeoJSON."""
    return {
        "profile": "tabular-data-package",
        "name": "phan-anh-hien-truong",
        "title": "Phản ánh hiện trường — public reports / public field reports",
        "homepage": f"{base}/open-data",
        "licenses": [{"name": LICENCE_ID, "path": LICENCE_URL, "title": LICENCE_TITLE}],
        "sources": [{"title": PUBLISHER, "path": f"{base}/open-data"}],
        "attribution": ATTRIBUTION,
        "resources": [
            {
                "name": "reports",
                "path": f"{base}/open-data/reports.csv",
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8-sig",
                "schema": _schema(),
            },
            {
                "name": "reports-geojson",
                "path": f"{base}/open-data/reports.geojson",
                "format": "geojson",
                "mediatype": "application/geo+json",
            },
        ],
    }


def categories() -> Select[str, str, str]:
    """The categories' codes and names, for the page's note on the ``category`` filter."""
    return select(Category.code, Category.name_vi, Category.name_en).order_by(Category.code)
