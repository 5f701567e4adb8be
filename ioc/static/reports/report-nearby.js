/* The reporting page: the duplicate hint, reports of the same category already sent nearby. */
(function () {
  "use strict";
  var R = window.IOCReport;
  var $ = R.$;
  var T = R.T;

  R.refreshNearby = function () {
    var chosen = R.category();
    if (!chosen || R.state.lat === null) { return; }
    var url = "/api/v1/reports/nearby?lat=" + R.state.lat + "&lon=" + R.state.lon + "&category=" + encodeURIComponent(chosen.value);
    fetch(url, { headers: { Accept: "application/json" } }).then(function (r) { return r.ok ? r.json() : { items: [] }; }).then(function (found) {
      var list = $("nearby-list");
      list.textContent = "";
      found.items.forEach(function (item) { list.appendChild(nearbyItem(item)); });
      $("nearby").hidden = found.items.length === 0;
    }).catch(function () { $("nearby").hidden = true; });
  };

  // An unverified report comes without code, place or content (DOMAIN.md, Privacy): its
  // category, a rounded distance, its age and a follow_url that carries an opaque handle.
  // A verified one is public: its state, a few words, its public thumbnail and public page.
  // Each item starts with a heading (screen readers jump between them), and its button's name
  // says which report it follows.
  function nearbyItem(item) {
    var li = document.createElement("li");
    if (item.thumbnail_url) {
      var img = document.createElement("img");
      img.src = item.thumbnail_url;
      img.alt = "";
      img.loading = "lazy";
      img.width = 64;
      img.height = 64;
      li.appendChild(img);
    }
    var text = document.createElement("div");
    text.className = "nearby-text";
    var what = element("h4", "nearby-what");
    var icon = R.textNode(item.category.icon + " ");
    icon.setAttribute("aria-hidden", "true");
    what.appendChild(icon);
    what.appendChild(element("strong", "", item.category.name));
    what.appendChild(R.textNode(" · " + (item.verified ? item.status_label : T.waiting)));
    text.appendChild(what);
    var where = R.fmt(T.metres, item.distance_m) + " · " + item.age_label;
    text.appendChild(element("p", "nearby-when", where));
    if (item.verified && item.description) { text.appendChild(element("p", "nearby-desc", item.description)); }
    if (item.verified && item.public_page) {
      var link = element("a", "", R.fmt(T.seeReport, item.tracking_code));
      link.href = item.public_page;
      link.target = "_blank";
      link.rel = "noopener";
      text.appendChild(link);
    }
    li.appendChild(text);
    var button = element("button", "chip follow", T.follow);
    button.type = "button";
    button.setAttribute("aria-label", T.follow + ": " + item.category.name + ", " + where);
    button.addEventListener("click", function () { follow(item, button); });
    li.appendChild(button);
    return li;
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = String(text); }
    return node;
  }

  function follow(item, button) {
    var body = { name: $("name").value || null, phone: $("phone").value || null, email: $("email").value || null };
    fetch(item.follow_url, {
      method: "POST", headers: { "Content-Type": "application/json", Accept: "application/json" }, body: JSON.stringify(body)
    }).then(function (r) { return r.json().then(function (data) { return { ok: r.ok, data: data }; }); }).then(function (answer) {
      if (!answer.ok) { R.showStepError("what", answer.data.detail || T.failed); return; }
      button.disabled = true;
      button.removeAttribute("aria-label");  // the new text says it all, and is announced
      button.textContent = answer.data.tracking_code ? R.fmt(T.followed, answer.data.tracking_code) : T.followedWaiting;
    }).catch(function () { R.showStepError("what", T.failed); });
  }

})();
