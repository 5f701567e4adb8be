"""Leaflet maps built with folium, loading only the app's own copies of scripts and styles."""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from typing import Any

import folium
from branca.element import MacroElement
from jinja2 import Template

from ioc import i18n
from ioc.i18n import N_
from ioc.settings import City, MapSettings
from ioc.web import assets, caching
from ioc.web.templating import with_nonce

LEAFLET_JS = [("leaflet", "/static/vendor/leaflet/leaflet.js")]
LEAFLET_CSS = [("leaflet_css", "/static/vendor/leaflet/leaflet.css")]
# The base map's script (the city switch, and the self-hosted base map where one is built). The
# renderer, protomaps-leaflet (128 KB), is loaded by it only once /basemap/tiles.json says that
# the server has a base map: a server without one sends no renderer.
BASEMAP_JS = [("ioc_basemap", "/static/basemap/basemap.js")]
BASEMAP_CSS = [("ioc_basemap_css", "/static/basemap/basemap.css")]
RENDERER_JS = "/static/vendor/protomaps-leaflet/protomaps-leaflet.js"
CITY_SWITCH_LABEL = N_("Go to a city")


def _versioned(url: str) -> str:
    """A static file's URL carrying its content hash (``ioc.web.caching``)."""
    return caching.static_url(assets.STATIC_DIR, url)


class SelfHostedBasemap(MacroElement):
    """Asks the page's base map script to draw the app's own vector tiles under this map.

    The script looks for the base map at run time (``/basemap/tiles.json``) and loads the
    renderer only then, so a page needs no database or file access to offer it; without one,
    nothing is drawn and nothing more is loaded.
    """

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "SelfHostedBasemap"
        self.options = {"renderer": _versioned(RENDERER_JS)}

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "if (window.iocBasemap) {"
        " window.iocBasemap.attach({{ this._parent.get_name() }}, {{ this.options|tojson }}); }"
        "{% endmacro %}"
    )


class CitySwitch(MacroElement):
    """Buttons that recentre the map on each city the system covers (``map.cities``)."""

    def __init__(self, cities: list[City]) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "CitySwitch"
        self.options = {
            "cities": [city.model_dump() for city in cities],
            "label": i18n.gettext(CITY_SWITCH_LABEL),
        }

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "if (window.iocBasemap) {"
        " window.iocBasemap.cities({{ this._parent.get_name() }}, {{ this.options|tojson }}); }"
        "{% endmacro %}"
    )


ZOOM_IN = N_("Zoom in")
ZOOM_OUT = N_("Zoom out")
LEAFLET_TITLE = N_("A JavaScript library for interactive maps")
# folium's header forbids zooming the page (WCAG 1.4.4): the page's own viewport meta stays.
FOLIUM_VIEWPORT = re.compile(r"<meta name=\"viewport\"[^>]*user-scalable=no[^>]*>\s*", re.S)


class LeafletLabels(MacroElement):
    """Leaflet's control labels (zoom buttons, the attribution prefix) in the page's language."""

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "LeafletLabels"
        title = html.escape(i18n.gettext(LEAFLET_TITLE))
        labels = {
            "zoomIn": i18n.gettext(ZOOM_IN),
            "zoomOut": i18n.gettext(ZOOM_OUT),
            "prefix": f'<a href="https://leafletjs.com" title="{title}">Leaflet</a>',
        }
        # As JSON inside a script: "</" is escaped so that no name can close the element.
        self.labels = json.dumps(labels, ensure_ascii=False).replace("</", "<\\/")

    # Leaflet 1.9 listens for focus on every shape with a hover tooltip, and Chromium then makes
    # each SVG shape a tab stop (70 ward outlines before the pin): the listeners are left out, so
    # a map is one tab stop and its tooltips stay on hover and tap.
    _template = Template(
        "{% macro script(this, kwargs) %}"
        "L.Layer.prototype._addFocusListenersOnLayer = function () {};"
        "(function (m, t) {"
        " var z = m.zoomControl;"
        " if (z) { [[z._zoomInButton, t.zoomIn], [z._zoomOutButton, t.zoomOut]]"
        ".forEach(function (b) { b[0].title = b[1]; b[0].setAttribute('aria-label', b[1]); }); }"
        " if (m.attributionControl) { m.attributionControl.setPrefix(t.prefix); }"
        "})({{ this._parent.get_name() }}, {{ this.labels }});"
        "{% endmacro %}"
    )


@dataclass(frozen=True)
class RenderedMap:
    """The three pieces of a folium map for embedding in a page of ours."""

    header: str
    html: str
    script: str


def make_map(config: MapSettings, **options: Any) -> folium.Map:
    """A map whose scripts are self-hosted, drawn over the configured tile server if there is
    one, else over the app's own base map (where one has been built)."""
    tiles: Any = None
    if config.tile_url:
        tiles = folium.TileLayer(
            tiles=config.tile_url, attr=config.tile_attribution or " ", max_zoom=19
        )
    options.setdefault("location", (config.center_lat, config.center_lon))
    options.setdefault("zoom_start", config.zoom)
    fmap = folium.Map(tiles=tiles, control_scale=True, **options)
    # Instance attributes shadow folium's CDN defaults (jQuery, Bootstrap, Font Awesome).
    # Versioned URLs (``?v=<content hash>``): cached for a year, no request on a repeat visit.
    fmap.default_js = [(name, _versioned(url)) for name, url in LEAFLET_JS + BASEMAP_JS]
    fmap.default_css = [(name, _versioned(url)) for name, url in LEAFLET_CSS + BASEMAP_CSS]
    if not config.tile_url:
        SelfHostedBasemap().add_to(fmap)
    LeafletLabels().add_to(fmap)
    if len(config.cities) > 1:
        CitySwitch(config.cities).add_to(fmap)
    return fmap


def render(fmap: folium.Map, nonce: str) -> RenderedMap:
    """Render a map into header, body and script fragments, its scripts carrying the CSP nonce.

    folium has no nonce support of its own; ``script`` is bare code that the page wraps in a
    ``<script nonce>`` of its own.
    """
    root: Any = fmap.get_root()
    root.render()
    return RenderedMap(
        header=with_nonce(FOLIUM_VIEWPORT.sub("", root.header.render()), nonce),
        html=with_nonce(root.html.render(), nonce),
        script=root.script.render(),
    )


def escaped(collection: dict[str, Any]) -> dict[str, Any]:
    """A GeoJSON FeatureCollection whose string properties are HTML-escaped.

    folium's ``GeoJsonTooltip`` and ``GeoJsonPopup`` build their table as HTML and set it with
    ``innerHTML``: names from the database (an agency's, a ward's) must arrive as text.
    """
    features = [
        {
            **feature,
            "properties": {
                key: html.escape(value) if isinstance(value, str) else value
                for key, value in (feature.get("properties") or {}).items()
            },
        }
        for feature in collection.get("features") or []
    ]
    return {**collection, "features": features}


def tooltip(collection: dict[str, Any], field: str = "name") -> folium.GeoJsonTooltip | None:
    """A tooltip of one property, or none for an empty layer (folium refuses a field it cannot
    find in the data, which an empty FeatureCollection never has)."""
    if not collection.get("features"):
        return None
    return folium.GeoJsonTooltip(fields=[field], labels=False)


def popup(
    collection: dict[str, Any], fields: list[str], aliases: list[str]
) -> folium.GeoJsonPopup | None:
    """A popup of some properties, or none for an empty layer (as for ``tooltip``)."""
    if not collection.get("features"):
        return None
    return folium.GeoJsonPopup(fields=fields, aliases=aliases)
