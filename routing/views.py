"""Maps: the wards (an HTML page and its GeoJSON twin), and the admin's routing explain map."""

from __future__ import annotations

import json
from typing import Annotated, Literal

import folium
from fastapi import APIRouter, Depends, Request
from sqlalchemy import select
from starlette.responses import Response

from ioc import i18n
from ioc.auth.models import Role, User
from ioc.errors import NotFound
from ioc.i18n import N_
from ioc.web import OptionalUser, SessionDep, SettingsDep, caching, maps, require_role, templating
from routing import queries
from routing.models import Category, Jurisdiction

router = APIRouter()
GEOJSON = "application/geo+json"
# Wards change only when an administrator loads new ones: an hour without asking, then a 304.
OUTLINES_CACHE = "public, max-age=3600"
LOW_DETAIL_DEG = 0.001  # about 100 m: a third of the bytes of the full map
EMPTY = '{"type": "FeatureCollection", "features": []}'


def _wants_geojson(request: Request, f: str | None) -> bool:
    return f == "geojson" or GEOJSON in request.headers.get("accept", "")


def _province(db: SessionDep, settings: SettingsDep, province: str | None) -> str | None:
    """The province asked for (404 if unknown), or the one at the configured map centre."""
    # An unknown code must stop here: folium cannot draw the tooltips of an empty collection.
    if province is None:
        return db.scalar(queries.province_at(settings.map.center_lat, settings.map.center_lon))
    if db.scalar(queries.provinces().where(Jurisdiction.code == province)) is None:
        raise NotFound(
            N_("There is no province with the code %(code)s."), field="province", code=province
        )
    return province


@router.get("/map/jurisdictions")
def jurisdictions_map(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    _: OptionalUser,
    f: str | None = None,
    province: str | None = None,
    detail: Literal["full", "low", "outline"] = "full",
) -> Response:
    """The wards of a province on a map; a click shows the ward. ``?f=geojson`` gives the data.

    Without ``province`` the page shows the province at the configured map centre, the GeoJSON
    every ward. ``detail=low`` simplifies to about 100 m, with coordinates to about 11 m: outlines
    for a small phone map; ``detail=outline`` is the same with the ward's code as only property.
    """
    if _wants_geojson(request, f):
        low = detail in ("low", "outline")
        collection = db.scalar(
            queries.wards_feature_collection(
                tolerance=LOW_DETAIL_DEG if low else queries.MAP_TOLERANCE_DEG,
                province_code=province,
                decimals=queries.LOW_DETAIL_DECIMALS if low else queries.MAP_DECIMALS,
                outline_only=detail == "outline",
            )
        )
        body = (collection or '{"features": []}').encode()
        response = caching.validated(request, body, GEOJSON, OUTLINES_CACHE)
        response.headers["Vary"] = "Accept"  # without ?f=geojson, Accept chooses the page
        return response
    province = _province(db, settings, province)
    collection = db.scalar(queries.wards_feature_collection(province_code=province))
    collection = collection or '{"features": []}'
    fmap = maps.make_map(settings.map)
    data = json.loads(collection)
    layer = folium.GeoJson(
        maps.escaped(data),
        name=i18n.gettext(N_("Wards")),
        style_function=lambda _: {"color": "#1d4ed8", "weight": 1.5, "fillOpacity": 0.08},
        highlight_function=lambda _: {"weight": 3, "fillOpacity": 0.25},
        tooltip=maps.tooltip(data),
        popup=maps.popup(
            data, ["name", "code"], [i18n.gettext(N_("Ward")), i18n.gettext(N_("Code"))]
        ),
    )
    layer.add_to(fmap)
    bounds = db.execute(queries.ward_bounds(province)).one()
    if bounds[0] is not None:
        fmap.fit_bounds([[bounds[0], bounds[1]], [bounds[2], bounds[3]]])
    return templating.render(
        request,
        "jurisdictions_map.html",
        {
            "map": maps.render(fmap, templating.csp_nonce(request)),
            "count": len(data["features"]),
            "geojson_url": f"/map/jurisdictions?f=geojson&province={province or ''}",
            "provinces": db.scalars(queries.provinces()).all(),
            "province": province,
        },
    )


def _explain_map(db: SessionDep, settings: SettingsDep, province: str | None) -> folium.Map:
    """Wards and service areas on one map, fitted to a province."""
    fmap = maps.make_map(settings.map)
    wards = maps.escaped(
        json.loads(db.scalar(queries.wards_feature_collection(province_code=province)) or EMPTY)
    )
    folium.GeoJson(
        wards,
        name=i18n.gettext(N_("Wards")),
        style_function=lambda _: {"color": "#1d4ed8", "weight": 1, "fillOpacity": 0.03},
        tooltip=maps.tooltip(wards),
    ).add_to(fmap)
    areas = maps.escaped(json.loads(db.scalar(queries.service_areas_feature_collection()) or EMPTY))
    folium.GeoJson(
        areas,
        name=i18n.gettext(N_("Service areas")),
        show=False,
        style_function=lambda _: {"color": "#b45309", "weight": 1, "fillOpacity": 0.05},
        tooltip=maps.tooltip(areas),
    ).add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    bounds = db.execute(queries.ward_bounds(province)).one()
    if bounds[0] is not None:
        fmap.fit_bounds([[bounds[0], bounds[1]], [bounds[2], bounds[3]]])
    return fmap


@router.get("/admin/routing/map")
def explain_map(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    _: Annotated[User, Depends(require_role(Role.admin))],
    province: str | None = None,
) -> Response:
    """Click the map to read where a report of the chosen category would go, and why."""
    province = _province(db, settings, province)
    fmap = _explain_map(db, settings, province)
    categories = db.scalars(
        select(Category)
        .where(Category.active, Category.geographic)
        .order_by(Category.sort_order, Category.code)
    ).all()
    context = {
        "map": maps.render(fmap, templating.csp_nonce(request)),
        "map_name": fmap.get_name(),
        "categories": categories,
        "provinces": db.scalars(queries.provinces()).all(),
        "province": province,
    }
    return templating.render(request, "routing/explain_map.html", context)
