/* The reporting page: the draft, sending, and the confirmation. The report is kept in IndexedDB
 * until the server acknowledges it, and sent again with the same Idempotency-Key, so a retry after
 * a lost answer is one report, not two (the server replays its first answer). On the answer the
 * page shows the confirmation in place (it never navigates away to learn the result) and keeps
 * the report in "My reports" (report-mine.js), which also marks its key as acknowledged: a draft
 * with that key is never offered again. A file the server refuses is named, dropped from the
 * state and the draft, and the rest can be sent. Loaded last: it restores a draft and starts. */
(function () {
  "use strict";
  var R = window.IOCReport;
  var $ = R.$;
  var T = R.T;
  var state = R.state;
  var form = R.form;
  var retryTimer = null;
  var sending = false;
  var done = false;  // acknowledged: nothing is sent again from this page
  var Mine = window.IOCMine;
  // The step that shows the server's error about a field.
  var FIELD_STEP = { photos: "media", video: "media", description: "media", lat: "place", lon: "place", category: "what", office: "what" };

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
    var draft = { key: state.key, signature: signature, fields: values, photos: state.photos.map(function (p) { return p.blob; }), names: state.photos.map(function (p) { return p.name || ""; }), video: state.video };
    return withStore("readwrite", function (store) { return store.put(draft, "current"); }).catch(function () { return null; });
  }

  function restoreDraft(draft) {
    state.key = draft.key;
    state.signature = draft.signature;
    var names = draft.names || [];
    state.photos = draft.photos.map(function (blob, index) { return { blob: blob, gps: null, name: names[index] || "" }; });
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
    state.photos.forEach(function (photo, index) { data.append("photos", photo.blob, photo.name || "photo-" + (index + 1) + ".jpg"); });
    if (state.video) { data.append("video", state.video, state.video.name || "video"); }
    return data;
  }

  function send(attempt) {
    var values = fields();
    var problem = check(values);
    if (done) { return; }
    if (problem) { stepError(problem); return; }
    if (sending) { return; }
    sending = true;
    clearErrors();
    clearTimeout(retryTimer);
    retryTimer = null;
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
    if (xhr.status === 201 && data.tracking_code) { acknowledged(data); return; }
    if (xhr.status >= 500 || xhr.status === 408 || xhr.status === 0 || xhr.status === 201) { retryLater(attempt); return; }
    R.hideProgress();
    if (refusedFile(data)) { return; }
    var step = FIELD_STEP[data.field];
    if (R.showStepError && step) { R.showStepError(step, data.detail || T.failed); return; }
    R.showError(data.detail || T.failed);
    var field = data.field && form.querySelector("[name='" + data.field + "']");
    if (field && field.focus) { field.focus(); }
  }

  /* The server has the report. Before anything else, "My reports" records it (synchronously, in
   * localStorage) with its Idempotency-Key, so that its draft is never offered again even if
   * clearing IndexedDB below fails or the page closes now; then the confirmation, in place. */
  function acknowledged(data) {
    done = true;
    clearTimeout(retryTimer);
    var values = fields();
    var chosen = R.category();
    var label = chosen && chosen.closest("label");
    label = label && (label.querySelector(".name") || label);
    var entry = {
      key: state.key,
      code: data.tracking_code,
      link: data.links.private_status_page,
      at: new Date().toISOString(),
      category: label ? label.textContent.trim() : values.category,
      contact: [Mine.mask(values.phone), Mine.mask(values.email)].filter(Boolean).join(", ")
    };
    Mine.add(entry);
    state.key = null;
    state.signature = null;
    clearDraft();
    R.hideProgress();
    showConfirmation(data, entry);
  }

  /* A photo or the video the server refused (its answer names it): dropped from the state and
   * from the saved draft, named at the media step; the rest can be sent as it is. */
  function refusedFile(data) {
    var field = data.field;
    var index = data.file_index;
    if ((field !== "photos" && field !== "video") || typeof index !== "number") { return false; }
    if (field === "photos" && !state.photos[index]) { return false; }
    if (field === "video" && !state.video) { return false; }
    var label = R.fileLabel(field, index);
    if (data.file_name && label.indexOf(data.file_name) < 0) { label += " (" + data.file_name + ")"; }
    R.removeFile(field, index);  // saves the draft again without it (R.onMediaChanged)
    R.mediaError(R.fmt(T.fileRefused, label) + " " + (data.detail || "") + " " + T.sendWithout);
    return true;
  }

  /* ---- The confirmation, in place of the form ---- */

  function showConfirmation(data, entry) {
    form.hidden = true;
    $("draft-banner").hidden = true;
    $("confirmation-code").textContent = data.tracking_code;
    var link = $("confirmation-link");
    link.href = data.links.private_status_page;
    link.textContent = data.links.private_status_page;
    $("confirmation-public").href = "/r/" + encodeURIComponent(data.tracking_code);
    var parts = [];
    if (data.agency) { parts.push(T.suggested + " " + data.agency.name); }
    if (data.ward) { parts.push(data.ward.name); }
    $("confirmation-route").textContent = parts.join(" · ");
    offerResend(entry);
    var box = $("confirmation");
    box.hidden = false;
    document.title = $("confirmation-title").textContent.trim() + " · " + data.tracking_code;
    $("confirmation-title").focus();
  }

  function offerResend(entry) {
    if (!entry || !entry.contact) { return; }
    $("confirmation-resend-to").textContent = R.fmt(T.resendTo, entry.contact);
    $("confirmation-resend").hidden = false;
    var button = $("confirmation-resend-button");
    var said = $("confirmation-resend-status");
    button.onclick = function () {
      button.disabled = true;
      Mine.resend(entry).then(function (answer) {
        said.textContent = answer.status === 202 ? T.resent : (answer.data.detail || T.resendFailed);
        button.disabled = answer.status === 202;
      }, function () { said.textContent = T.resendFailed; button.disabled = false; });
    };
  }

  function stepError(message) {
    var step = (R.STEP_OF || {})[Object.keys(T).filter(function (k) { return T[k] === message; })[0]];
    if (R.showStepError && step) { R.showStepError(step, message); } else { R.showError(message); }
  }

  function clearErrors() {
    if (R.clearStepErrors) { R.clearStepErrors(); } else { R.showError(""); }
  }

  function retryLater(attempt) {
    var seconds = Math.min(60, 5 * Math.pow(2, attempt));
    R.setProgress(T.offline + " " + R.fmt(T.retryIn, seconds), null);
    retryTimer = setTimeout(function () { send(attempt + 1); }, seconds * 1000);
  }

  window.addEventListener("online", function () { if (state.key && !sending && !done && retryTimer) { send(0); } });
  form.addEventListener("submit", function (event) { event.preventDefault(); send(0); });
  $("draft-send").addEventListener("click", function () { $("draft-banner").hidden = true; send(0); });
  $("draft-discard").addEventListener("click", function () { clearDraft(); $("draft-banner").hidden = true; window.location.reload(); });

  // A file removed (or refused) after a draft was kept: the draft loses it too.
  R.onMediaChanged = function () { if (state.key && !done && !sending) { saveDraft(fields()); } };

  withStore("readonly", function (store) { return store.get("current"); }).then(function (draft) {
    // form.dataset.draft says what became of a kept draft (tests wait for it).
    if (!draft) { form.dataset.draft = "none"; return; }
    if (Mine.acknowledged(draft.key)) { form.dataset.draft = "acknowledged"; clearDraft(); return; }
    restoreDraft(draft);
    $("draft-banner").hidden = false;
    form.dataset.draft = "restored";
  }).catch(function () { form.dataset.draft = "none"; });
})();
