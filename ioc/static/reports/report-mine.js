/* "My reports": the reports sent from this phone, with their private links, kept in the phone's
 * localStorage (never sent anywhere). An entry also marks its draft's Idempotency-Key as
 * acknowledged by the server, so that a draft with that key is never offered again.
 * Used by the reporting page, the confirmation page and /my-reports (window.IOCMine). */
(function () {
  "use strict";
  var STORE = "ioc-my-reports";
  var KEEP = 100;

  function all() {
    try {
      var found = JSON.parse(window.localStorage.getItem(STORE) || "[]");
      return Array.isArray(found) ? found.filter(function (e) { return e && e.code && e.link; }) : [];
    } catch (error) { return []; }
  }

  function save(entries) {
    try { window.localStorage.setItem(STORE, JSON.stringify(entries.slice(0, KEEP))); return true; } catch (error) { return false; }
  }

  /* Newest first; an entry with the same code replaces the older one (a replayed answer). */
  function add(entry) {
    var kept = all().filter(function (e) { return e.code !== entry.code; });
    kept.unshift(entry);
    return save(kept);
  }

  function acknowledged(key) {
    return !!key && all().some(function (e) { return e.key === key; });
  }

  function forget(code) { return save(all().filter(function (e) { return e.code !== code; })); }

  function tokenOf(link) {
    var match = /[?&]t=([^&#]+)/.exec(link || "");
    return match ? decodeURIComponent(match[1]) : "";
  }

  /* Ask the server to send the private link again; resolves to {status, data}. */
  function resend(entry) {
    return fetch("/api/v1/reports/" + encodeURIComponent(entry.code) + "/resend-link", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ token: tokenOf(entry.link) })
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) { return { status: response.status, data: data }; });
    });
  }

  /* A phone number or address shown in part: enough to recognise, not to copy. */
  function mask(value) {
    if (!value) { return ""; }
    var at = value.indexOf("@");
    if (at > 0) { return value.slice(0, Math.min(2, at)) + "…" + value.slice(at); }
    return value.length > 4 ? "…" + value.slice(-4) : value;
  }

  window.IOCMine = { all: all, add: add, acknowledged: acknowledged, forget: forget, resend: resend, mask: mask, tokenOf: tokenOf };
})();
