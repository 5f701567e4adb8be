// The report panel of the operators' dashboard (dashboard/operator/templates/panel.html).
// bindPanel(element) wires a panel after it is inserted: its forms are sent with fetch and the
// answer (the refreshed panel, or the panel with the error) takes its place; choosing a reject
// template fills the reason; the small map shows the place, and a click on it moves the pin of
// the "correct the place" form. bindKeys(root) lets a page without the dashboard's own key
// handling use the panel's shortcuts ([data-key]): the key focuses the element, Enter confirms.

const FORM = "form.panel-form";

function panelOf(element) {
  return element.matches(".report-panel") ? element : element.querySelector(".report-panel");
}

function fieldsOf(form) {
  return new URLSearchParams(new FormData(form));
}

function parsePanel(html) {
  const doc = new DOMParser().parseFromString(html, "text/html");
  return doc.querySelector(".report-panel");
}

function showFailure(panel, status) {
  let alert = panel.querySelector("#panel-error");
  if (!alert) {
    alert = document.createElement("p");
    alert.id = "panel-error";
    alert.className = "alert";
    alert.setAttribute("role", "alert");
    panel.querySelector(".panel-head")?.append(alert);
  }
  alert.textContent = panel.dataset.failure || `Error ${status}`;
  alert.tabIndex = -1;
  alert.focus();
}

function announce(host, panel, response) {
  const detail = {
    code: panel.dataset.code,
    state: panel.dataset.state,
    ok: response.ok,
    status: response.status,
  };
  host.dispatchEvent(new CustomEvent("panel:updated", { bubbles: true, detail }));
  const message = panel.querySelector("#panel-error") || panel.querySelector("#panel-notice");
  if (message) {
    message.tabIndex = -1;
    message.focus();
  }
}

async function send(host, form) {
  const panel = panelOf(host);
  const buttons = form.querySelectorAll("button");
  buttons.forEach((button) => { button.disabled = true; });
  let response;
  try {
    response = await fetch(form.action, {
      method: "POST",
      body: fieldsOf(form),
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch", Accept: "text/html" },
    });
  } catch (error) {
    buttons.forEach((button) => { button.disabled = false; });
    showFailure(panel, 0);
    return;
  }
  const fresh = parsePanel(await response.text());
  if (!fresh) {
    buttons.forEach((button) => { button.disabled = false; });
    showFailure(panel, response.status);
    return;
  }
  panel.replaceWith(fresh);
  bindPanel(host);
  announce(host, fresh, response);
}

function wireTemplates(panel) {
  for (const select of panel.querySelectorAll("select.reject-template")) {
    select.addEventListener("change", () => {
      const chosen = select.selectedOptions[0];
      const reason = select.form.querySelector("textarea[name=reason]");
      if (chosen && chosen.dataset.text && reason) {
        reason.value = chosen.dataset.text;  // still editable
      }
    });
  }
}

function wireMap(panel) {
  const box = panel.querySelector(".panel-map");
  const L = window.L;
  if (!box || !L || box.dataset.drawn) {
    return;
  }
  box.dataset.drawn = "1";
  const where = [Number(box.dataset.lat), Number(box.dataset.lon)];
  const map = L.map(box, { scrollWheelZoom: false }).setView(where, 16);
  if (box.dataset.tiles) {
    L.tileLayer(box.dataset.tiles, { attribution: box.dataset.attribution || "", maxZoom: 19 })
      .addTo(map);
  }
  L.circleMarker(where, { radius: 8, color: "#1d4ed8" }).addTo(map);
  const lat = panel.querySelector("#relocate-lat");
  const lon = panel.querySelector("#relocate-lon");
  if (!lat || !lon) {
    return;
  }
  let pin = null;
  map.on("click", (event) => {
    lat.value = event.latlng.lat.toFixed(6);
    lon.value = event.latlng.lng.toFixed(6);
    pin = pin || L.circleMarker(event.latlng, { radius: 8, color: "#b45309" }).addTo(map);
    pin.setLatLng(event.latlng);
    const details = lat.closest("details");
    if (details) {
      details.open = true;
    }
  });
}

export function bindPanel(element) {
  const panel = panelOf(element);
  if (!panel || panel.dataset.bound) {
    return;
  }
  panel.dataset.bound = "1";
  for (const form of panel.querySelectorAll(FORM)) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      send(element, form);
    });
  }
  wireTemplates(panel);
  wireMap(panel);
}

function typing(target) {
  return target.closest("input, textarea, select, [contenteditable]") !== null;
}

export function focusKey(root, key) {
  const target = root.querySelector(`[data-key="${CSS.escape(key)}"]`);
  if (!target) {
    return false;
  }
  const details = target.closest("details");
  if (details) {
    details.open = true;
  }
  target.focus();
  return true;
}

function help(root) {
  let box = document.getElementById("panel-keys-help");
  if (box) {
    box.remove();
    return;
  }
  box = document.createElement("ul");
  box.id = "panel-keys-help";
  box.className = "keys-help";
  for (const element of root.querySelectorAll("[data-key]")) {
    const item = document.createElement("li");
    const kbd = document.createElement("kbd");
    kbd.textContent = element.dataset.key;
    item.append(kbd, ` ${element.dataset.keyLabel || ""}`);
    box.append(item);
  }
  root.prepend(box);
}

export function bindKeys(root) {
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) {
      return;
    }
    if (event.key === "?") {
      help(root);
      event.preventDefault();
    } else if (event.key === "Escape") {
      document.getElementById("panel-keys-help")?.remove();
    } else if (event.key.length === 1 && focusKey(root, event.key.toLowerCase())) {
      event.preventDefault();
    }
  });
}
