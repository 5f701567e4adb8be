// The operators' map layer: vector tiles of the filtered reports (GET /dashboard/tiles/z/x/y.mvt),
// drawn as Leaflet markers. Clusters show their count and zoom in when clicked; reports are
// circles coloured by state, with a red ring when overdue, and a click selects one.
//
//   const layer = reportLayer(map, {url: "/dashboard/tiles/{z}/{x}/{y}.mvt", onSelect: (code) => …});
//   layer.setQuery("state=all&category=cay-xanh");   // the dashboard's filters, as in its URL
//   layer.refresh();                                   // reload the tiles in view (live updates)
//
// Leaflet is the page's global L; the tile decoders come from the page's import map
// (dashboard/operator/importmap.py).
import { VectorTile } from "@mapbox/vector-tile";
import { PbfReader } from "pbf";

export const STATE_COLOURS = {
  submitted: "#1565c0",
  assigned: "#6a1b9a",
  returned: "#c62828",
  in_progress: "#ef6c00",
  resolved: "#00838f",
  published: "#2e7d32",
  reopened: "#ad1457",
  rejected: "#616161",
  duplicate: "#9e9d24",
};
const OVERDUE = "#d50000";
const LAYER = "reports";

// A cluster's badge: its size grows with the count's digits; overdue ones get a red border.
function clusterIcon(L, count, overdue) {
  const size = 26 + 6 * String(count).length;
  const border = overdue > 0 ? OVERDUE : "#ffffff";
  const html =
    `<span style="display:flex;align-items:center;justify-content:center;width:${size}px;` +
    `height:${size}px;border-radius:50%;background:rgba(21,101,192,.85);color:#fff;` +
    `font:600 12px/1 system-ui,sans-serif;border:3px solid ${border};box-sizing:border-box">` +
    `${Number(count)}</span>`;
  return L.divIcon({ html, className: "ioc-cluster", iconSize: [size, size] });
}

// The features of a tile as {kind, props, latlng}: tile space (0..extent) to the map's place.
function decode(map, coords, tileSize, buffer) {
  const tile = new VectorTile(new PbfReader(new Uint8Array(buffer)));
  const layer = tile.layers[LAYER];
  const found = [];
  for (let i = 0; layer && i < layer.length; i += 1) {
    const feature = layer.feature(i);
    const point = feature.loadGeometry()[0][0];
    const pixel = window.L.point(
      (coords.x + point.x / layer.extent) * tileSize.x,
      (coords.y + point.y / layer.extent) * tileSize.y,
    );
    found.push({ props: feature.properties, latlng: map.unproject(pixel, coords.z) });
  }
  return found;
}

function pointMarker(L, renderer, item, onSelect) {
  const { props } = item;
  const overdue = Number(props.overdue) === 1;
  const marker = L.circleMarker(item.latlng, {
    renderer,
    radius: 7,
    color: overdue ? OVERDUE : "#ffffff",
    weight: overdue ? 3 : 1.5,
    fillColor: STATE_COLOURS[props.state] || "#424242",
    fillOpacity: 0.9,
  });
  marker.bindTooltip(String(props.code));
  marker.on("click", () => onSelect && onSelect(String(props.code)));
  return marker;
}

function clusterMarker(L, map, item, zoom) {
  const marker = L.marker(item.latlng, {
    icon: clusterIcon(L, item.props.count, Number(item.props.overdue)),
    keyboard: true,
    title: String(item.props.count),
  });
  marker.on("click", () => map.setView(item.latlng, Math.min(zoom + 2, map.getMaxZoom())));
  return marker;
}

export function reportLayer(map, { url, onSelect, query = "" }) {
  const L = window.L;
  const renderer = L.canvas({ padding: 0.5 });
  const groups = new Map(); // tile key -> L.LayerGroup of its markers

  const ReportLayer = L.GridLayer.extend({
    options: { maxZoom: 22, maxNativeZoom: 22, updateWhenZooming: false, keepBuffer: 1 },

    initialize(options) {
      L.GridLayer.prototype.initialize.call(this, options);
      this.query = query;
      this.on("tileunload", (event) => this._forget(this._tileCoordsToKey(event.coords)));
    },

    onRemove(leafletMap) {
      for (const key of [...groups.keys()]) this._forget(key);
      L.GridLayer.prototype.onRemove.call(this, leafletMap);
    },

    tileUrl(coords) {
      const path = url.replace("{z}", coords.z).replace("{x}", coords.x).replace("{y}", coords.y);
      return this.query ? `${path}?${this.query}` : path;
    },

    createTile(coords, done) {
      const element = document.createElement("div");
      element.style.pointerEvents = "none";
      const key = this._tileCoordsToKey(coords);
      const controller = new AbortController();
      element.abort = () => controller.abort();
      fetch(this.tileUrl(coords), { credentials: "same-origin", signal: controller.signal })
        .then((response) => {
          if (response.status === 204) return null;
          if (!response.ok) throw new Error(`tile ${key}: HTTP ${response.status}`);
          return response.arrayBuffer();
        })
        .then((buffer) => {
          if (buffer) this._draw(key, coords, buffer);
          done(null, element);
        })
        .catch((error) => {
          if (error.name !== "AbortError") done(error, element);
        });
      return element;
    },

    _draw(key, coords, buffer) {
      this._forget(key);
      const group = L.layerGroup();
      for (const item of decode(map, coords, this.getTileSize(), buffer)) {
        group.addLayer(
          item.props.kind === "cluster"
            ? clusterMarker(L, map, item, coords.z)
            : pointMarker(L, renderer, item, onSelect),
        );
      }
      groups.set(key, group.addTo(map));
    },

    _forget(key) {
      const group = groups.get(key);
      if (group) {
        group.remove();
        groups.delete(key);
      }
    },

    _removeTile(key) {
      const tile = this._tiles[key];
      if (tile && tile.el.abort) tile.el.abort();
      L.GridLayer.prototype._removeTile.call(this, key);
    },

    // The dashboard's filters changed: draw the tiles in view again under the new query.
    setQuery(queryString) {
      this.query = String(queryString || "").replace(/^\?/, "");
      return this.redraw();
    },

    refresh() {
      return this.redraw();
    },

    // How many features are drawn (for the dashboard's tests and status line).
    drawnCount() {
      let count = 0;
      groups.forEach((group) => { count += group.getLayers().length; });
      return count;
    },
  });

  return new ReportLayer().addTo(map);
}
