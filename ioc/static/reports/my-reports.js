/* /my-reports: the reports sent from this phone (report-mine.js), newest first, each with its
 * private link, its state read through that link, and "send the link again" where a phone
 * number or an email was given. Nothing here leaves the phone but those two requests. */
(function () {
  "use strict";
  var Mine = window.IOCMine;
  var T = window.IOC_MINE_TEXT;
  var list = document.getElementById("my-reports");
  var READ_STATES = 20;  // the state of the newest ones is read; older ones keep their link

  function fmt(text, value) { return String(text).replace("{n}", value); }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function when(iso) {
    var at = new Date(iso);
    return isNaN(at.getTime()) ? "" : at.toLocaleString(document.documentElement.lang || "vi");
  }

  function readState(entry, node) {
    var token = Mine.tokenOf(entry.link);
    if (!token) { return; }
    fetch("/api/v1/reports/" + encodeURIComponent(entry.code) + "?token=" + encodeURIComponent(token), { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (report) { if (report && report.status_label) { node.textContent = report.status_label; } })
      .catch(function () { return null; });
  }

  function resendBox(entry) {
    var box = el("div", "resend");
    box.appendChild(el("span", "", fmt(T.resendTo, entry.contact)));
    var button = el("button", "chip", T.resend);
    button.type = "button";
    button.setAttribute("aria-label", fmt(T.resendCode, entry.code));
    var said = el("span", "", "");
    said.setAttribute("role", "status");
    button.addEventListener("click", function () {
      button.disabled = true;
      Mine.resend(entry).then(function (answer) {
        said.textContent = answer.status === 202 ? T.resent : (answer.data.detail || T.resendFailed);
        button.disabled = answer.status === 202;
      }, function () { said.textContent = T.resendFailed; button.disabled = false; });
    });
    box.appendChild(button);
    box.appendChild(said);
    return box;
  }

  function item(entry, index) {
    var li = el("li", "card");
    li.appendChild(el("strong", "tracking-code", entry.code));
    li.appendChild(el("span", "", [entry.category, when(entry.at)].filter(Boolean).join(" · ")));
    var state = el("span", "state", "");
    li.appendChild(state);
    var open = el("a", "chip", T.open);
    open.href = entry.link;
    li.appendChild(open);
    if (entry.contact) { li.appendChild(resendBox(entry)); }
    var forget = el("button", "chip", T.forget);
    forget.type = "button";
    forget.setAttribute("aria-label", fmt(T.forgetCode, entry.code));
    forget.addEventListener("click", function () { Mine.forget(entry.code); render(); });
    li.appendChild(forget);
    if (index < READ_STATES) { readState(entry, state); }
    return li;
  }

  function render() {
    var entries = Mine.all();
    list.textContent = "";
    entries.forEach(function (entry, index) { list.appendChild(item(entry, index)); });
    document.getElementById("my-reports-empty").hidden = entries.length > 0;
  }

  render();
})();
