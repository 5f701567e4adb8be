/* The reporting page: photo or video -> place -> what and who. Vanilla JS, no build step.
 *
 * The page's scripts share one namespace, window.IOCReport (R), each file adding its step:
 *   report-core.js    configuration, state and the small helpers every step uses;
 *   report-media.js   photos (GPS first, then downscaled) and the video;
 *   report-place.js   the map, the pin, the ward and street under it;
 *   report-what.js    the category and the office;
 *   report-nearby.js  the duplicate hint (reports already sent nearby);
 *   report-send.js    the draft kept on the phone, sending with retries, the answer.
 * report-send.js is loaded last and starts the page. */
(function () {
  "use strict";
  var R = window.IOCReport = {};
  R.cfg = window.IOC_REPORT;
  R.T = R.cfg.text;
  R.map = R.cfg.map;
  R.pin = R.cfg.pin;
  R.form = document.getElementById("report-form");
  R.$ = function (id) { return document.getElementById(id); };
  R.state = { photos: [], video: null, lat: null, lon: null, source: null, key: null, signature: null };
  R.fmt = function (text, value) { return String(text).replace("{n}", value); };
  R.textNode = function (text) { var span = document.createElement("span"); span.textContent = String(text); return span; };

  R.showError = function (message) { var box = R.$("form-error"); box.textContent = message; box.hidden = !message; };
  R.setProgress = function (text, percent) {
    R.$("progress-box").hidden = false;
    R.$("progress-text").textContent = text;
    if (percent === null) { R.$("progress").removeAttribute("value"); } else { R.$("progress").value = percent; }
  };
  R.hideProgress = function () { R.$("progress-box").hidden = true; };

  /* Errors appear AT their step: R.showStepError("media" | "place" | "what" | "send", message)
   * writes the message in that step's error element (#error-<step>), scrolls to it and moves the
   * focus there (role=alert announces it); an unknown step falls back to the one beside "Gửi".
   * R.clearStepErrors() hides them all. The check() messages map: needContent -> "media" (a photo
   * or a description), needPlace -> "place", needCategory and needOffice -> "what". */
  R.STEP_OF = { needContent: "media", needPlace: "place", needCategory: "what", needOffice: "what" };
  R.showStepError = function (step, message) {
    var box = R.$("error-" + step) || R.$("form-error");
    box.textContent = message;
    box.hidden = !message;
    if (!message) { return; }
    box.setAttribute("tabindex", "-1");
    box.scrollIntoView({ block: "center" });
    box.focus({ preventScroll: true });
  };
  R.clearStepErrors = function () {
    Array.prototype.forEach.call(document.querySelectorAll(".step-error, #form-error"), function (box) {
      box.textContent = "";
      box.hidden = true;
    });
  };
  window.IOC_REPORT_STATE = R.state;  // for tests and debugging
})();
