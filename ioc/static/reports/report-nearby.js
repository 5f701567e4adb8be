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
    parts.push(R.fmt(T.metres, item.distance_m));
    parts.push(item.verified ? (item.description || item.status_label) : item.category.name + " · " + T.waiting);
    parts.push(R.fmt(T.hoursAgo, item.age_hours));
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
      if (!answer.ok) { R.showError(answer.data.detail || T.failed); return; }
      button.disabled = true;
      button.textContent = answer.data.tracking_code ? R.fmt(T.followed, answer.data.tracking_code) : T.followedWaiting;
    }).catch(function () { R.showError(T.failed); });
  }

})();
