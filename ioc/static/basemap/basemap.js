/* The self-hosted base map under a Leaflet map: the app's own vector tiles (/basemap/tiles.json,
 * built by `ioc basemap build`), drawn by protomaps-leaflet with the browser's own fonts, so no
 * glyph server is needed. A quiet style: pale land, soft water, white streets with Vietnamese
 * names, so that reports stay readable on top. Where no base map exists (tiles.json answers 404)
 * or outside its bounds, the map keeps its ward outlines alone, and the renderer (128 KB) is
 * never loaded: it is added to the page, with the page's CSP nonce, only once tiles.json answers.
 *
 * Also the city switch: one button per city the system covers (settings `map.cities`), which
 * recentres the map on that city's streets.
 *
 *   iocBasemap.attach(map, {renderer: url});   // folium's map script calls these (ioc/web/maps.py)
 *   iocBasemap.cities(map, {cities: [{name, lat, lon, zoom}], label: "…"});
 *   map.on("ioc:basemap", function (event) { ... event.layer ... });   // once it is drawn
 *   map.on("ioc:city", function (event) { ... event.city ... });   // a city button was pressed
 */
(function () {
  "use strict";
  var ATTRIBUTION = "© OpenStreetMap contributors";
  var C = {
    land: "#f3f1ec", water: "#c5dbe6", waterLine: "#a9c8d8", park: "#dde8d2", wood: "#d3e2c8",
    landuse: "#ece8e1", school: "#efe6da", hospital: "#f2e2e2", building: "#e3ded6",
    buildingLine: "#d6d0c6", casing: "#d2ccc0", road: "#ffffff", major: "#fdf6e3",
    path: "#c9c2b6", label: "#5b5750", place: "#3d3a35", halo: "#ffffff"
  };

  function kind(values) {
    return function (z, feature) { return values.indexOf(feature.props.kind) >= 0; };
  }
  // Widths grow with the zoom: a road class's width at z12, doubling every zoom up to z16.
  function widthFrom(base) {
    return function (z) { return Math.max(0.5, base * Math.pow(1.6, z - 12)); };
  }

  function areaRules(P) {
    return [
      { dataLayer: "landuse", symbolizer: new P.PolygonSymbolizer({ fill: C.park }), filter: kind(["park", "grass", "pitch", "cemetery"]) },
      { dataLayer: "landuse", symbolizer: new P.PolygonSymbolizer({ fill: C.wood }), filter: kind(["wood", "scrub", "wetland"]) },
      { dataLayer: "landuse", symbolizer: new P.PolygonSymbolizer({ fill: C.school }), filter: kind(["school"]) },
      { dataLayer: "landuse", symbolizer: new P.PolygonSymbolizer({ fill: C.hospital }), filter: kind(["hospital"]) },
      { dataLayer: "landuse", symbolizer: new P.PolygonSymbolizer({ fill: C.landuse }), filter: kind(["commercial", "industrial", "military", "farmland"]) },
      { dataLayer: "water", symbolizer: new P.PolygonSymbolizer({ fill: C.water }), filter: function (z, f) { return f.geomType === 3; } },
      { dataLayer: "water", symbolizer: new P.LineSymbolizer({ color: C.waterLine, width: widthFrom(1) }), filter: function (z, f) { return f.geomType === 2; } },
      { dataLayer: "buildings", symbolizer: new P.PolygonSymbolizer({ fill: C.building, stroke: C.buildingLine, width: 0.5 }) }
    ];
  }

  function roadRules(P) {
    var minor = kind(["minor_road"]);
    var major = kind(["major_road", "highway"]);
    return [
      { dataLayer: "roads", symbolizer: new P.LineSymbolizer({ color: C.path, width: 1, dash: [3, 2] }), filter: kind(["path"]), minzoom: 15 },
      { dataLayer: "roads", symbolizer: new P.LineSymbolizer({ color: C.casing, width: widthFrom(1.6), lineCap: "round" }), filter: minor, minzoom: 13 },
      { dataLayer: "roads", symbolizer: new P.LineSymbolizer({ color: C.casing, width: widthFrom(2.8), lineCap: "round" }), filter: major },
      { dataLayer: "roads", symbolizer: new P.LineSymbolizer({ color: C.road, width: widthFrom(1), lineCap: "round" }), filter: minor },
      { dataLayer: "roads", symbolizer: new P.LineSymbolizer({ color: C.major, width: widthFrom(2), lineCap: "round" }), filter: major }
    ];
  }

  function labelRules(P) {
    var font = "sans-serif";
    return [
      { dataLayer: "places", symbolizer: new P.CenteredTextSymbolizer({ fill: C.place, stroke: C.halo, width: 2, fontFamily: font, fontWeight: 600, fontSize: 13 }) },
      { dataLayer: "roads", symbolizer: new P.LineLabelSymbolizer({ fill: C.label, stroke: C.halo, width: 2, fontFamily: font, fontSize: 12 }), filter: kind(["major_road", "highway"]), minzoom: 13 },
      { dataLayer: "roads", symbolizer: new P.LineLabelSymbolizer({ fill: C.label, stroke: C.halo, width: 2, fontFamily: font, fontSize: 11 }), filter: kind(["minor_road"]), minzoom: 15 },
      { dataLayer: "water", symbolizer: new P.LineLabelSymbolizer({ fill: "#4a7890", stroke: C.halo, width: 2, fontFamily: font, fontStyle: "italic", fontSize: 12 }), filter: function (z, f) { return f.geomType === 2; } },
      { dataLayer: "pois", symbolizer: new P.CenteredTextSymbolizer({ fill: "#7a756c", stroke: C.halo, width: 2, fontFamily: font, fontSize: 10 }), minzoom: 16 }
    ];
  }

  function draw(map, tilejson) {
    var P = window.protomapsL;
    var b = tilejson.bounds;
    var layer = P.leafletLayer({
      url: tilejson.tiles[0],
      paintRules: areaRules(P).concat(roadRules(P)),
      labelRules: labelRules(P),
      backgroundColor: C.land,
      bounds: [[b[1], b[0]], [b[3], b[2]]],
      // Data zooms start at the archive's; tiles are drawn from the zoom above (levelDiff 1).
      minZoom: tilejson.minzoom + 1,
      maxDataZoom: tilejson.maxzoom,
      attribution: ATTRIBUTION
    });
    layer.addTo(map);
    layer.bringToBack();
    map.iocBasemap = layer;
    map.fire("ioc:basemap", { layer: layer });
  }

  // The page's nonce, read while a nonced script runs (browsers hide the attribute afterwards).
  function pageNonce() {
    var script = document.currentScript || document.querySelector("script[nonce]");
    return (script && script.nonce) || "";
  }

  var loading = null;
  function loadRenderer(url, nonce) {
    if (window.protomapsL) { return Promise.resolve(window.protomapsL); }
    if (!loading) {
      loading = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = url;
        if (nonce) { script.nonce = nonce; }
        script.onload = function () { return window.protomapsL ? resolve(window.protomapsL) : reject(new Error(url)); };
        script.onerror = function () { loading = null; reject(new Error(url)); };
        document.head.appendChild(script);
      });
    }
    return loading;
  }

  function attach(map, options) {
    if (!window.fetch || !window.Promise) { return; }
    var renderer = (options && options.renderer) || "/static/vendor/protomaps-leaflet/protomaps-leaflet.js";
    var nonce = pageNonce();
    fetch("/basemap/tiles.json", { headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (tilejson) {
        if (!tilejson || !tilejson.tiles) { return null; }
        return loadRenderer(renderer, nonce).then(function () { draw(map, tilejson); });
      })
      .catch(function (error) {  // the ward outlines remain
        if (window.console) { console.warn("base map not drawn:", error); }
      });
  }

  // One button per city, in a Leaflet bar under the zoom buttons: a tap recentres the map there.
  function cities(map, options) {
    var list = (options && options.cities) || [];
    if (list.length < 2) { return; }
    var Switch = L.Control.extend({
      options: { position: "topleft" },
      onAdd: function () {
        var bar = L.DomUtil.create("div", "leaflet-bar ioc-cities");
        bar.setAttribute("role", "group");
        bar.setAttribute("aria-label", options.label || "");
        list.forEach(function (city) { bar.appendChild(cityButton(map, city)); });
        L.DomEvent.disableClickPropagation(bar);
        return bar;
      }
    });
    map.iocCities = new Switch().addTo(map);
  }

  function cityButton(map, city) {
    var button = L.DomUtil.create("button", "ioc-city");
    button.type = "button";
    button.textContent = city.name;
    button.setAttribute("data-city", city.name);
    function go() {
      map.setView([city.lat, city.lon], city.zoom || 14, { animate: false });
      map.fire("ioc:city", { city: city });
    }
    L.DomEvent.on(button, "click", function (event) {
      L.DomEvent.preventDefault(event);
      // Leaflet drops a new view asked for during a zoom animation (a page fitting its outlines
      // on load, say): move once that animation has ended.
      if (map._animatingZoom) { map.once("zoomend", go); } else { go(); }
    });
    return button;
  }

  window.iocBasemap = { attach: attach, cities: cities };
})();
