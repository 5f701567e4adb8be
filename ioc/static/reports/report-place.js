/* The reporting page, step 2: the place. The pin, the ward and street under it, the offices there. */
(function () {
  "use strict";
  var R = window.IOCReport;
  var $ = R.$;
  var T = R.T;
  var map = R.map;
  var pin = R.pin;

  // Without a tile server or a base map the map is blank: ward outlines and names give it a frame.
  function drawOutlines(url) {
    fetch(url).then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        var outlines = L.geoJSON(data, {
          style: { color: "#475569", weight: 1, fillColor: "#f8fafc", fillOpacity: map.iocBasemap ? 0 : 0.6 },
          // A click on a ward bubbles up to the map, which moves the pin.
          // Leaflet sets a string tooltip as HTML: a ward's name goes in as text.
          onEachFeature: function (feature, layer) { layer.bindTooltip(R.textNode(feature.properties.name), { sticky: true }); }
        }).addTo(map).bringToBack();
        // Over the base map's streets the outlines stay, without their pale fill.
        map.on("ioc:basemap", function () { outlines.setStyle({ fillOpacity: 0 }); });
      }).catch(function () { /* outlines are only a help: the pin works without them */ });
  }

  R.setPlace = function (lat, lon, source) {
    R.state.lat = lat;
    R.state.lon = lon;
    R.state.source = source;
    pin.setLatLng([lat, lon]);
    map.setView([lat, lon], Math.max(map.getZoom(), 16));
    $("place-hint").textContent = { exif: T.fromPhoto, device: T.fromDevice, map: T.fromMap }[source] || "";
    lookupPlace();
    R.refreshNearby();
  };

  // The street under the pin, from the base map's streets: the resident checks the place by it.
  function showStreet(street) {
    pin.unbindTooltip();
    if (!street) { return; }
    pin.bindTooltip(R.textNode(street), { permanent: true, direction: "bottom", className: "pin-street" }).openTooltip();
  }

  function lookupPlace() {
    var url = "/api/v1/reports/place?lat=" + R.state.lat + "&lon=" + R.state.lon;
    fetch(url, { headers: { Accept: "application/json" } }).then(function (r) { return r.json(); }).then(function (place) {
      $("ward").textContent = place.address || (place.ward ? R.fmt(T.ward, place.ward.name) : T.outside);
      showStreet(place.street);
      R.setOffices(place.offices);
    }).catch(function () { /* offline: the ward appears once the connection is back */ });
  }

  pin.on("dragend", function () { var at = pin.getLatLng(); R.setPlace(at.lat, at.lng, "map"); });
  map.on("click", function (event) { R.setPlace(event.latlng.lat, event.latlng.lng, "map"); });
  if (R.cfg.outlines) { drawOutlines(R.cfg.outlines); }
  $("locate").addEventListener("click", function () {
    if (!navigator.geolocation) { $("place-hint").textContent = T.locateFailed; return; }
    $("place-hint").textContent = T.locating;
    navigator.geolocation.getCurrentPosition(function (position) {
      R.setPlace(position.coords.latitude, position.coords.longitude, "device");
    }, function () { $("place-hint").textContent = T.locateFailed; }, { enableHighAccuracy: true, timeout: 15000 });
  });
})();
