/* The reporting page: photo or video -> place -> what and who. Vanilla JS, no build step.
 *
 * Weak links: photos are downscaled here (long side <= 1600 px, JPEG) before upload; the report
 * is kept in IndexedDB until the server acknowledges it, and sent again with the same
 * Idempotency-Key, so a retry after a lost answer is one report, not two. */
(function () {
  "use strict";
  var cfg = window.IOC_REPORT;
  var T = cfg.text;
  var MAX_SIDE = 1600;
  var KEEP_AS_IS_BYTES = 700 * 1024;
  var map = cfg.map;
  var pin = cfg.pin;
  var form = document.getElementById("report-form");
  var $ = function (id) { return document.getElementById(id); };
  var state = { photos: [], video: null, lat: null, lon: null, source: null, key: null, signature: null };
  var retryTimer = null;
  var sending = false;

  function fmt(text, value) { return String(text).replace("{n}", value); }
  function textNode(text) { var span = document.createElement("span"); span.textContent = String(text); return span; }

  // Without a tile server or a base map the map is blank: ward outlines and names give it a frame.
  function drawOutlines(url) {
    fetch(url).then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        var outlines = L.geoJSON(data, {
          style: { color: "#475569", weight: 1, fillColor: "#f8fafc", fillOpacity: map.iocBasemap ? 0 : 0.6 },
          // A click on a ward bubbles up to the map, which moves the pin.
          // Leaflet sets a string tooltip as HTML: a ward's name goes in as text.
          onEachFeature: function (feature, layer) { layer.bindTooltip(textNode(feature.properties.name), { sticky: true }); }
        }).addTo(map).bringToBack();
        // Over the base map's streets the outlines stay, without their pale fill.
        map.on("ioc:basemap", function () { outlines.setStyle({ fillOpacity: 0 }); });
      }).catch(function () { /* outlines are only a help: the pin works without them */ });
  }

  /* ---- EXIF GPS, read before any downscaling (a canvas drops EXIF) ---- */
  function exifGps(buffer) {
    var view = new DataView(buffer);
    if (view.byteLength < 4 || view.getUint16(0) !== 0xFFD8) { return null; }
    var offset = 2;
    while (offset + 4 <= view.byteLength) {
      var marker = view.getUint16(offset);
      if ((marker & 0xFF00) !== 0xFF00 || marker === 0xFFDA) { return null; }
      var length = view.getUint16(offset + 2);
      if (marker === 0xFFE1 && view.getUint32(offset + 4) === 0x45786966) {
        return tiffGps(view, offset + 10);
      }
      offset += 2 + length;
    }
    return null;
  }

  function tiffGps(view, start) {
    var little = view.getUint16(start) === 0x4949;
    var u16 = function (at) { return view.getUint16(start + at, little); };
    var u32 = function (at) { return view.getUint32(start + at, little); };
    var ifd = u32(4);
    var gps = null;
    for (var i = 0; i < u16(ifd); i++) {
      if (u16(ifd + 2 + i * 12) === 0x8825) { gps = u32(ifd + 2 + i * 12 + 8); }
    }
    if (gps === null) { return null; }
    var tags = {};
    for (var j = 0; j < u16(gps); j++) {
      var entry = gps + 2 + j * 12;
      var tag = u16(entry);
      if (tag === 1 || tag === 3) { tags[tag] = String.fromCharCode(view.getUint8(start + entry + 8)); }
      if ((tag === 2 || tag === 4) && u16(entry + 2) === 5 && u32(entry + 4) === 3) {
        var at = u32(entry + 8);
        tags[tag] = [0, 1, 2].map(function (k) { return u32(at + k * 8) / u32(at + k * 8 + 4); });
      }
    }
    if (!tags[2] || !tags[4]) { return null; }
    var lat = tags[2][0] + tags[2][1] / 60 + tags[2][2] / 3600;
    var lon = tags[4][0] + tags[4][1] / 60 + tags[4][2] / 3600;
    if (tags[1] === "S") { lat = -lat; }
    if (tags[3] === "W") { lon = -lon; }
    if (!isFinite(lat) || !isFinite(lon) || Math.abs(lat) > 90 || Math.abs(lon) > 180 || (lat === 0 && lon === 0)) { return null; }
    return { lat: lat, lon: lon };
  }

  /* ---- Photos: GPS first, then a downscaled JPEG ---- */
  function prepare(file) {
    return file.arrayBuffer().then(function (buffer) {
      var gps = null;
      try { gps = exifGps(buffer); } catch (error) { gps = null; }
      return createImageBitmap(file).then(function (bitmap) {
        var side = Math.max(bitmap.width, bitmap.height);
        if (file.type === "image/jpeg" && side <= MAX_SIDE && file.size <= KEEP_AS_IS_BYTES) {
          return { blob: file, gps: gps };  // small enough: the server strips its metadata
        }
        var scale = Math.min(1, MAX_SIDE / side);
        var canvas = document.createElement("canvas");
        canvas.width = Math.round(bitmap.width * scale);
        canvas.height = Math.round(bitmap.height * scale);
        canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
        return new Promise(function (resolve) {
          canvas.toBlob(function (blob) { resolve({ blob: blob || file, gps: gps }); }, "image/jpeg", 0.85);
        });
      }, function () { return { blob: file, gps: gps }; });  // e.g. HEIC: the server converts it
    });
  }

  function addPhotos(files) {
    var room = cfg.maxPhotos - state.photos.length;
    if (files.length > room) { showError(fmt(T.tooManyPhotos, cfg.maxPhotos)); }
    var chosen = Array.prototype.slice.call(files, 0, Math.max(room, 0));
    setProgress(T.preparing, null);
    return Promise.all(chosen.map(prepare)).then(function (items) {
      items.forEach(function (item) {
        state.photos.push(item);
        if (item.gps && state.lat === null) { setPlace(item.gps.lat, item.gps.lon, "exif"); }
      });
      hideProgress();
      renderPreviews();
    });
  }

  function renderPreviews() {
    var list = $("previews");
    list.textContent = "";
    state.photos.forEach(function (item, index) {
      var li = document.createElement("li");
      var img = document.createElement("img");
      img.src = URL.createObjectURL(item.blob);
      img.alt = "";
      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "chip";
      remove.textContent = T.remove;
      remove.addEventListener("click", function () { state.photos.splice(index, 1); renderPreviews(); });
      li.appendChild(img);
      li.appendChild(remove);
      list.appendChild(li);
    });
    if (state.video) {
      var li = document.createElement("li");
      li.textContent = "🎥 " + (state.video.name || "video");
      list.appendChild(li);
    }
  }

  /* ---- Place ---- */
  function setPlace(lat, lon, source) {
    state.lat = lat;
    state.lon = lon;
    state.source = source;
    pin.setLatLng([lat, lon]);
    map.setView([lat, lon], Math.max(map.getZoom(), 16));
    $("place-hint").textContent = { exif: T.fromPhoto, device: T.fromDevice, map: T.fromMap }[source] || "";
    lookupPlace();
    refreshNearby();
  }

  // The street under the pin, from the base map's streets: the resident checks the place by it.
  function showStreet(street) {
    pin.unbindTooltip();
    if (!street) { return; }
    pin.bindTooltip(textNode(street), { permanent: true, direction: "bottom", className: "pin-street" }).openTooltip();
  }

  function lookupPlace() {
    var url = "/api/v1/reports/place?lat=" + state.lat + "&lon=" + state.lon;
    fetch(url, { headers: { Accept: "application/json" } }).then(function (r) { return r.json(); }).then(function (place) {
      $("ward").textContent = place.address || (place.ward ? fmt(T.ward, place.ward.name) : T.outside);
      showStreet(place.street);
      var select = $("office");
      select.textContent = "";
      place.offices.forEach(function (office) {
        var option = document.createElement("option");
        option.value = office.code;
        option.textContent = office.name;
        select.appendChild(option);
      });
    }).catch(function () { /* offline: the ward appears once the connection is back */ });
  }

  pin.on("dragend", function () { var at = pin.getLatLng(); setPlace(at.lat, at.lng, "map"); });
  map.on("click", function (event) { setPlace(event.latlng.lat, event.latlng.lng, "map"); });
  if (cfg.outlines) { drawOutlines(cfg.outlines); }
  $("locate").addEventListener("click", function () {
    if (!navigator.geolocation) { $("place-hint").textContent = T.locateFailed; return; }
    $("place-hint").textContent = T.locating;
    navigator.geolocation.getCurrentPosition(function (position) {
      setPlace(position.coords.latitude, position.coords.longitude, "device");
    }, function () { $("place-hint").textContent = T.locateFailed; }, { enableHighAccuracy: true, timeout: 15000 });
  });

  /* ---- Category, the office field and the duplicate hint ---- */
  function category() {
    var checked = form.querySelector("input[name=category]:checked");
    return checked ? checked : null;
  }

  form.addEventListener("change", function (event) {
    if (event.target.name !== "category") { return; }
    $("office-field").hidden = event.target.dataset.geographic !== "false";
    refreshNearby();
  });

  function refreshNearby() {
    var chosen = category();
    if (!chosen || state.lat === null) { return; }
    var url = "/api/v1/reports/nearby?lat=" + state.lat + "&lon=" + state.lon + "&category=" + encodeURIComponent(chosen.value);
    fetch(url, { headers: { Accept: "application/json" } }).then(function (r) { return r.ok ? r.json() : { items: [] }; }).then(function (found) {
      var list = $("nearby-list");
      list.textContent = "";
      found.items.forEach(function (item) { list.appendChild(nearbyItem(item)); });
      $("nearby").hidden = found.items.length === 0;
    }).catch(function () { $("nearby").hidden = true; });
  }

  // An unverified report comes without code, place or content (DOMAIN.md, Privacy): its
  // category, a rounded distance, its age and a follow_url that carries an opaque handle.
  function nearbyItem(item) {
    var li = document.createElement("li");
    if (item.thumbnail_url) {
      var img = document.createElement("img");
      img.src = item.thumbnail_url;
      img.alt = "";
      li.appendChild(img);
    }
    var text = document.createElement("div");
    var parts = item.tracking_code ? [item.tracking_code] : [];
    parts.push(fmt(T.metres, item.distance_m));
    parts.push(item.verified ? (item.description || item.status_label) : item.category.name + " · " + T.waiting);
    parts.push(fmt(T.hoursAgo, item.age_hours));
    text.textContent = parts.join(" · ");
    li.appendChild(text);
    var button = document.createElement("button");
    button.type = "button";
    button.className = "chip follow";
    button.textContent = T.follow;
    button.addEventListener("click", function () { follow(item, button); });
    li.appendChild(button);
    return li;
  }

  function follow(item, button) {
    var body = { name: $("name").value || null, phone: $("phone").value || null, email: $("email").value || null };
    fetch(item.follow_url, {
      method: "POST", headers: { "Content-Type": "application/json", Accept: "application/json" }, body: JSON.stringify(body)
    }).then(function (r) { return r.json().then(function (data) { return { ok: r.ok, data: data }; }); }).then(function (answer) {
      if (!answer.ok) { showError(answer.data.detail || T.failed); return; }
      button.disabled = true;
      button.textContent = answer.data.tracking_code ? fmt(T.followed, answer.data.tracking_code) : T.followedWaiting;
    }).catch(function () { showError(T.failed); });
  }

  /* ---- The draft, kept in IndexedDB until the server acknowledges it ---- */
  function withStore(mode, work) {
    return new Promise(function (resolve, reject) {
      if (!window.indexedDB) { resolve(null); return; }
      var opening = indexedDB.open("ioc-report", 1);
      opening.onupgradeneeded = function () { opening.result.createObjectStore("drafts"); };
      opening.onerror = function () { resolve(null); };
      opening.onsuccess = function () {
        var tx = opening.result.transaction("drafts", mode);
        var request = work(tx.objectStore("drafts"));
        tx.oncomplete = function () { resolve(request ? request.result : null); };
        tx.onerror = function () { reject(tx.error); };
      };
    });
  }

  function fields() {
    var chosen = category();
    return {
      category: chosen ? chosen.value : "",
      description: $("description").value.trim(),
      office: $("office-field").hidden ? "" : $("office").value,
      name: $("name").value.trim(),
      phone: $("phone").value.trim(),
      email: $("email").value.trim(),
      private: $("private").checked ? "true" : "false",
      lat: state.lat === null ? "" : state.lat.toFixed(7),
      lon: state.lon === null ? "" : state.lon.toFixed(7),
      location_source: state.source || ""
    };
  }

  function newKey() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function saveDraft(values) {
    // One key per report: a changed report is a new request, a resent one keeps its key.
    var signature = JSON.stringify([values, state.photos.map(function (p) { return p.blob.size; }), state.video && state.video.size]);
    if (!state.key || signature !== state.signature) { state.key = newKey(); state.signature = signature; }
    var draft = { key: state.key, signature: signature, fields: values, photos: state.photos.map(function (p) { return p.blob; }), video: state.video };
    return withStore("readwrite", function (store) { return store.put(draft, "current"); }).catch(function () { return null; });
  }

  function restoreDraft(draft) {
    state.key = draft.key;
    state.signature = draft.signature;
    state.photos = draft.photos.map(function (blob) { return { blob: blob, gps: null }; });
    state.video = draft.video;
    var f = draft.fields;
    ["description", "name", "phone", "email"].forEach(function (name) { $(name).value = f[name] || ""; });
    $("private").checked = f.private !== "false";
    var radio = form.querySelector("input[name=category][value='" + f.category + "']");
    if (radio) { radio.checked = true; $("office-field").hidden = radio.dataset.geographic !== "false"; }
    if (f.lat) { setPlace(parseFloat(f.lat), parseFloat(f.lon), f.location_source || "map"); }
    renderPreviews();
  }

  function clearDraft() {
    return withStore("readwrite", function (store) { return store.delete("current"); }).catch(function () { return null; });
  }

  /* ---- Sending ---- */
  function showError(message) { var box = $("form-error"); box.textContent = message; box.hidden = !message; }
  function setProgress(text, percent) {
    $("progress-box").hidden = false;
    $("progress-text").textContent = text;
    if (percent === null) { $("progress").removeAttribute("value"); } else { $("progress").value = percent; }
  }
  function hideProgress() { $("progress-box").hidden = true; }

  function check(values) {
    if (!values.lat) { return T.needPlace; }
    if (!values.category) { return T.needCategory; }
    if (!values.description && !state.photos.length && !state.video) { return T.needContent; }
    if (!$("office-field").hidden && !values.office) { return T.needOffice; }
    return "";
  }

  function body(values) {
    var data = new FormData();
    Object.keys(values).forEach(function (name) { if (values[name] !== "") { data.append(name, values[name]); } });
    state.photos.forEach(function (photo, index) { data.append("photos", photo.blob, "photo-" + (index + 1) + ".jpg"); });
    if (state.video) { data.append("video", state.video, state.video.name || "video"); }
    return data;
  }

  function send(attempt) {
    var values = fields();
    var problem = check(values);
    if (problem) { showError(problem); return; }
    if (sending) { return; }
    sending = true;
    showError("");
    clearTimeout(retryTimer);
    saveDraft(values).then(function () { upload(values, attempt || 0); });
  }

  function upload(values, attempt) {
    var xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/v1/reports");
    xhr.setRequestHeader("Idempotency-Key", state.key);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.timeout = 180000;
    xhr.upload.onprogress = function (event) {
      if (event.lengthComputable) { var p = Math.round(100 * event.loaded / event.total); setProgress(fmt(T.sending, p), p); }
    };
    xhr.onload = function () { sending = false; answered(xhr, attempt); };
    xhr.onerror = xhr.ontimeout = function () { sending = false; retryLater(attempt); };
    setProgress(fmt(T.sending, 0), 0);
    xhr.send(body(values));
  }

  function answered(xhr, attempt) {
    var data = {};
    try { data = JSON.parse(xhr.responseText); } catch (error) { data = {}; }
    if (xhr.status === 201) {
      clearDraft().then(function () {
        window.location.href = "/report/sent/" + data.tracking_code + "#link=" + encodeURIComponent(data.links.private_status_page);
      });
      return;
    }
    if (xhr.status >= 500 || xhr.status === 408 || xhr.status === 0) { retryLater(attempt); return; }
    hideProgress();
    showError(data.detail || T.failed);
    var field = data.field && form.querySelector("[name='" + data.field + "']");
    if (field && field.focus) { field.focus(); }
  }

  function retryLater(attempt) {
    var seconds = Math.min(60, 5 * Math.pow(2, attempt));
    setProgress(T.offline + " " + fmt(T.retryIn, seconds), null);
    retryTimer = setTimeout(function () { send(attempt + 1); }, seconds * 1000);
  }

  window.addEventListener("online", function () { if (state.key && !sending) { send(0); } });
  form.addEventListener("submit", function (event) { event.preventDefault(); send(0); });
  $("photos").addEventListener("change", function (event) { addPhotos(event.target.files); event.target.value = ""; });
  $("video").addEventListener("change", function (event) {
    var file = event.target.files[0];
    if (file && file.size > cfg.maxVideoMb * 1024 * 1024) { showError(fmt(T.videoTooLarge, cfg.maxVideoMb)); return; }
    state.video = file || null;
    renderPreviews();
  });
  $("draft-send").addEventListener("click", function () { $("draft-banner").hidden = true; send(0); });
  $("draft-discard").addEventListener("click", function () { clearDraft(); $("draft-banner").hidden = true; window.location.reload(); });

  withStore("readonly", function (store) { return store.get("current"); }).then(function (draft) {
    if (draft) { restoreDraft(draft); $("draft-banner").hidden = false; }
  }).catch(function () { return null; });
  window.IOC_REPORT_STATE = state;  // for tests and debugging
})();
