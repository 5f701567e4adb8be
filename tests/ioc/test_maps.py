"""Every folium map: self-hosted scripts, the base map's script (renderer loaded lazily), and the
city switch from ``map.cities``, translated and safely embedded."""

from __future__ import annotations

import json
import re

import pytest
from pydantic import ValidationError

from ioc import i18n
from ioc.settings import SHIPPED_CITIES, City, MapSettings, Settings
from ioc.web import maps


def rendered(config: MapSettings, locale: str = "vi") -> maps.RenderedMap:
    i18n.set_locale(locale)
    try:
        return maps.render(maps.make_map(config), "n0nce")
    finally:
        i18n.set_locale(i18n.DEFAULT_LOCALE)


def switch_options(script: str) -> dict[str, object]:
    found = re.search(r"iocBasemap\.cities\(map_\w+, (\{.*?\})\); \}", script)
    assert found, script
    options: dict[str, object] = json.loads(found[1])
    return options


def test_the_page_loads_the_base_map_script_but_not_the_renderer() -> None:
    page = rendered(MapSettings())
    assert re.search(
        r'<script nonce="n0nce" src="/static/basemap/basemap.js\?v=\w{12}">', page.header
    )
    assert "/static/basemap/basemap.css" in page.header
    assert "protomaps-leaflet.js" not in page.header  # basemap.js adds it when a map exists
    assert re.search(f'"renderer": "{re.escape(maps.RENDERER_JS)}\\?v=\\w{{12}}"', page.script)


def test_the_default_switch_offers_the_shipped_cities_in_vietnamese() -> None:
    options = switch_options(rendered(MapSettings()).script)
    assert options["label"] == "Chuyển đến thành phố"
    assert options["cities"] == [city.model_dump() for city in SHIPPED_CITIES]
    assert [c["name"] for c in options["cities"]] == ["Vũng Tàu", "Huế"]
    assert switch_options(rendered(MapSettings(), "en").script)["label"] == "Go to a city"


def test_a_raster_tile_server_keeps_the_switch_but_draws_no_vector_map() -> None:
    page = rendered(MapSettings(tile_url="https://tiles.city.vn/{z}/{x}/{y}.png"))
    assert "iocBasemap.attach" not in page.script
    assert switch_options(page.script)["cities"]


@pytest.mark.parametrize("cities", [[], [City(name="Huế", lat=16.46, lon=107.58)]])
def test_fewer_than_two_cities_show_no_switch(cities: list[City]) -> None:
    assert "iocBasemap.cities" not in rendered(MapSettings(cities=cities)).script


def test_a_city_s_name_cannot_break_out_of_the_script() -> None:
    evil = City(name="</script><script>alert(1)</script>", lat=10.0, lon=107.0)
    page = rendered(MapSettings(cities=[evil, *SHIPPED_CITIES]))
    assert "</script>" not in page.script
    assert switch_options(page.script)["cities"][0]["name"] == evil.name  # type: ignore[index]


def test_cities_come_from_the_environment_and_are_checked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("IOC_MAP__CITIES", '[{"name": "Đà Nẵng", "lat": 16.05, "lon": 108.2}]')
    assert Settings(_env_file=None).map.cities == [City(name="Đà Nẵng", lat=16.05, lon=108.2)]
    monkeypatch.setenv("IOC_MAP__CITIES", '[{"name": "Đà Nẵng", "lat": 116.05, "lon": 108.2}]')
    with pytest.raises(ValidationError):
        Settings(_env_file=None)
