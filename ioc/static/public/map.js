// The public map: points and clusters of the filtered public reports (GET /public/map.json),
// drawn on the folium map of the frame (named by data-map-name). A point opens its report page
// in the parent window; a cluster zooms in. No library beyond the page's Leaflet.
const body = document.getElementById("public-map");
const map = window[body.dataset.mapName];
const query = body.dataset.query;
const COLOURS = {
  assigned: "#6a1b9a", returned: "#c62828", in_progress: "#ef6c00",
  resolved: "#00838f", published: "#2e7d32", reopened: "#ad1457",
};
const layer = window.L.layerGroup().addTo(map);
let asked = 0;

function cluster(f) {
  const size = 24 + 6 * String(f.count).length;
  const icon = window.L.divIcon({
    html: `<span>${Number(f.count)}</span>`, className: "pub-cluster", iconSize: [size, size],
  });
  return window.L.marker([f.lat, f.lon], { icon })
    .on("click", () => map.setView([f.lat, f.lon], Math.min(map.getZoom() + 2, 19)));
}

function point(f) {
  const marker = window.L.circleMarker([f.lat, f.lon], {
    radius: 7, weight: 2, color: "#fff", fillOpacity: 0.9, fillColor: COLOURS[f.state] || "#1565c0",
  });
  marker.bindTooltip(String(f.code));
  return marker.on("click", () => { window.top.location.href = `/public/reports/${encodeURIComponent(f.code)}`; });
}

async function draw() {
  const ticket = ++asked;
  const b = map.getBounds();
  const clamp = (v, lo, hi) => Math.min(Math.max(v, lo), hi);
  const box = [clamp(b.getWest(), -180, 179.9), clamp(b.getSouth(), -85, 84.9),
    clamp(b.getEast(), -179.9, 180), clamp(b.getNorth(), -84.9, 85)].map((v) => v.toFixed(5));
  const params = `${query ? query + "&" : ""}bbox=${box.join(",")}&zoom=${map.getZoom()}`;
  const answer = await fetch(`/public/map.json?${params}`, { headers: { Accept: "application/json" } });
  if (!answer.ok || ticket !== asked) return;
  const data = await answer.json();
  layer.clearLayers();
  for (const f of data.features) layer.addLayer(f.code ? point(f) : cluster(f));
  body.dataset.drawn = String(data.features.length);
}

map.on("moveend", draw);
draw();
