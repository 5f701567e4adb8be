/* The reporting page, step 2: the place. The pin, the ward and street under it, the offices there.
 * The map is one tab stop: the ward outlines are drawn, not focusable, and the pin is not a stop of
 * its own; with the map focused the arrow keys move the pin (not the view) and its place is
 * announced ("Pin at <street>, <ward>"). The last place is kept on the phone for the next report. */
(function () {
  "use strict";
  var R = window.IOCReport;
  var $ = R.$;
  var T = R.T;
  var map = R.map;
  var pin = R.pin;
  var LAST_PLACE = "ioc-last-place";
  var lookups = 0;
  var lookupTimer = null;

  // Without a tile server or a base map the map is blank: ward outlines give it a frame. They are
  // not interactive: a tap goes through to the map (which moves the pin), and Chromium would make
  // every outline with a tooltip's focus listeners a tab stop. The ward's name is shown as text.
  function drawOutlines(url) {
    fetch(url).then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        var outlines = L.geoJSON(data, {
          interactive: false,
          style: { color: "#475569", weight: 1, fillColor: "#f8fafc", fillOpacity: map.iocBasemap ? 0 : 0.6 }
        }).addTo(map).bringToBack();
        // Over the base map's streets the outlines stay, without their pale fill.
        map.on("ioc:basemap", function () { outlines.setStyle({ fillOpacity: 0 }); });
      }).catch(function () { /* outlines are only a help: the pin works without them */ });
  }

  function remember(lat, lon) {
    try { localStorage.setItem(LAST_PLACE, JSON.stringify({ lat: lat, lon: lon })); } catch (error) { /* private mode */ }
  }

  function lastPlace() {
    try {
      var place = JSON.parse(localStorage.getItem(LAST_PLACE) || "null");
      return place && isFinite(place.lat) && isFinite(place.lon) ? place : null;
    } catch (error) { return null; }
  }

  function choose(lat, lon, source) {
    R.state.lat = lat;
    R.state.lon = lon;
    R.state.source = source;
    pin.setLatLng([lat, lon]);
    remember(lat, lon);
    $("place-hint").textContent = { exif: T.fromPhoto, device: T.fromDevice, map: T.fromMap }[source] || "";
  }

  R.setPlace = function (lat, lon, source) {
    choose(lat, lon, source);
    map.setView([lat, lon], Math.max(map.getZoom(), 16));
    lookupPlace();
    R.refreshNearby();
  };

  // The street under the pin, from the base map's streets: the resident checks the place by it.
  function showStreet(street) {
    pin.unbindTooltip();
    if (!street) { return; }
    pin.bindTooltip(R.textNode(street), { permanent: true, direction: "bottom", className: "pin-street" }).openTooltip();
  }

  function announce(place) {
    var where = [place.street, place.ward && place.ward.name].filter(Boolean).join(", ");
    $("pin-live").textContent = where ? R.fmt(T.pinAt, where) : T.outside;
  }

  function lookupPlace() {
    var asked = ++lookups;
    var url = "/api/v1/reports/place?lat=" + R.state.lat + "&lon=" + R.state.lon;
    fetch(url, { headers: { Accept: "application/json" } }).then(function (r) { return r.json(); }).then(function (place) {
      if (asked !== lookups) { return; }  // the pin has moved on since
      $("ward").textContent = place.address || (place.ward ? R.fmt(T.ward, place.ward.name) : T.outside);
      showStreet(place.street);
      announce(place);
      R.setOffices(place.offices);
    }).catch(function () { /* offline: the ward appears once the connection is back */ });
  }

  // Arrow keys on the focused map move the pin by 10 px (50 with Shift); Leaflet's own handler
  // (on the document) would pan the view, so the key stops here. + and - still zoom.
  var STEPS = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
  function onKey(event) {
    var step = STEPS[event.key];
    if (!step || event.altKey || event.ctrlKey || event.metaKey) { return; }
    event.preventDefault();
    event.stopPropagation();
    var size = event.shiftKey ? 50 : 10;
    var at = map.latLngToContainerPoint(pin.getLatLng()).add([step[0] * size, step[1] * size]);
    var moved = map.containerPointToLatLng(at);
    choose(moved.lat, moved.lng, "map");
    map.panInside(moved, { padding: [40, 40] });
    clearTimeout(lookupTimer);
    lookupTimer = setTimeout(function () { lookupPlace(); R.refreshNearby(); }, 300);
  }

  function makeAccessible() {
    var box = map.getContainer();
    box.setAttribute("role", "application");
    box.setAttribute("aria-label", T.mapLabel);
    box.setAttribute("aria-describedby", "map-keys ward");
    box.addEventListener("keydown", onKey, true);
  }

  pin.on("dragend", function () { var at = pin.getLatLng(); R.setPlace(at.lat, at.lng, "map"); });
  map.on("click", function (event) { R.setPlace(event.latlng.lat, event.latlng.lng, "map"); });
  if (R.cfg.outlines) { drawOutlines(R.cfg.outlines); }
  makeAccessible();
  var last = lastPlace();
  if (last) { pin.setLatLng([last.lat, last.lon]); map.setView([last.lat, last.lon], Math.max(map.getZoom(), 16)); }
  $("locate").addEventListener("click", function () {
    if (!navigator.geolocation) { $("place-hint").textContent = T.locateFailed; return; }
    $("place-hint").textContent = T.locating;
    navigator.geolocation.getCurrentPosition(function (position) {
      R.setPlace(position.coords.latitude, position.coords.longitude, "device");
    }, function () { $("place-hint").textContent = T.locateFailed; }, { enableHighAccuracy: true, timeout: 15000 });
  });
})();
