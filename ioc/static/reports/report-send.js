/* The reporting page: the draft and sending. The report is kept in IndexedDB until the server
 * acknowledges it, and sent again with the same Idempotency-Key, so a retry after a lost answer
 * is one report, not two. Loaded last: it restores a saved draft and starts the page. */
(function () {
  "use strict";
  var R = window.IOCReport;
  var $ = R.$;
  var T = R.T;
  var state = R.state;
  var form = R.form;
  var retryTimer = null;
  var sending = false;

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
    var chosen = R.category();
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
    if (radio) { radio.checked = true; R.showOfficeField(radio); }
    if (f.lat) { R.setPlace(parseFloat(f.lat), parseFloat(f.lon), f.location_source || "map"); }
    R.renderPreviews();
  }

  function clearDraft() {
    return withStore("readwrite", function (store) { return store.delete("current"); }).catch(function () { return null; });
  }

  /* ---- Sending ---- */

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
    if (problem) { R.showError(problem); return; }
    if (sending) { return; }
    sending = true;
    R.showError("");
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
      if (event.lengthComputable) { var p = Math.round(100 * event.loaded / event.total); R.setProgress(R.fmt(T.sending, p), p); }
    };
    xhr.onload = function () { sending = false; answered(xhr, attempt); };
    xhr.onerror = xhr.ontimeout = function () { sending = false; retryLater(attempt); };
    R.setProgress(R.fmt(T.sending, 0), 0);
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
    R.hideProgress();
    R.showError(data.detail || T.failed);
    var field = data.field && form.querySelector("[name='" + data.field + "']");
    if (field && field.focus) { field.focus(); }
  }

  function retryLater(attempt) {
    var seconds = Math.min(60, 5 * Math.pow(2, attempt));
    R.setProgress(T.offline + " " + R.fmt(T.retryIn, seconds), null);
    retryTimer = setTimeout(function () { send(attempt + 1); }, seconds * 1000);
  }

  window.addEventListener("online", function () { if (state.key && !sending) { send(0); } });
  form.addEventListener("submit", function (event) { event.preventDefault(); send(0); });
  $("draft-send").addEventListener("click", function () { $("draft-banner").hidden = true; send(0); });
  $("draft-discard").addEventListener("click", function () { clearDraft(); $("draft-banner").hidden = true; window.location.reload(); });

  withStore("readonly", function (store) { return store.get("current"); }).then(function (draft) {
    if (draft) { restoreDraft(draft); $("draft-banner").hidden = false; }
  }).catch(function () { return null; });
})();
