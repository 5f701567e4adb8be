/* /report/sent/{code} (links of earlier versions, pages without the in-place confirmation): the
 * private link comes in the URL fragment, never sent to the server; it is shown, kept in
 * "My reports" (report-mine.js), and used to read the report's details. The copy button is
 * copy-link.js's. */
(function () {
  "use strict";
  var match = /[#&]link=([^&]+)/.exec(window.location.hash);
  if (!match) { return; }
  var link = decodeURIComponent(match[1]);
  if (link.indexOf(window.location.origin + "/r/") !== 0) { return; }
  var code = document.getElementById("tracking-code").textContent.trim();
  var a = document.getElementById("private-link");
  a.href = link;
  a.textContent = link;
  document.getElementById("private-box").hidden = false;
  if (window.IOCMine && !window.IOCMine.all().some(function (e) { return e.code === code; })) {
    window.IOCMine.add({ key: null, code: code, link: link, at: new Date().toISOString(), category: "", contact: "" });
  }
  var api = link.replace("/r/", "/api/v1/reports/").replace("?t=", "?token=");
  fetch(api, { headers: { Accept: "application/json" } })
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (report) {
      if (!report) { return; }
      var box = document.getElementById("suggestion");
      var parts = [report.status_label];
      if (report.agency) { parts.push(box.dataset.label + " " + report.agency.name); }
      if (report.ward) { parts.push(report.ward.name); }
      box.textContent = parts.join(" · ");
    }).catch(function () { /* the code and the link are what matter */ });
})();
