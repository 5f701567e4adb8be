// The operators' dashboard: one filters form (kept in the URL) drives the map's report layer,
// the queue and the counts; the "new" strip, the side panel and the keyboard.
// The map layer (tiles.js), the live feed (live.js) and the panel's forms (panel.js) are modules
// of their own, loaded with import(): if one of them fails, the rest of the page still works.

const data = JSON.parse(document.getElementById("dashboard-data").textContent);
const form = document.getElementById("filters");
const queue = document.getElementById("queue");
const more = document.getElementById("queue-more");
const panel = document.getElementById("panel");
const panelBody = document.getElementById("panel-body");
const strip = document.getElementById("new-strip");
const help = document.getElementById("help");
const rowTemplate = document.getElementById("queue-row-template");
// Where a key is text, not a shortcut.
const TYPING = "input:not([type=checkbox]):not([type=radio]):not([type=button]):not([type=submit]):not([type=reset]), "
  + "textarea, select, [contenteditable='true']";

const state = {
  query: data.query,      // the filters as a query string (without report=)
  report: null,           // the code open in the panel
  fresh: [],              // codes announced by the live feed, newest first, not yet in the queue
  bulk: false,            // many reports changed at once: the list waits for a reload
  layer: null,            // the reports layer of tiles.js
  selection: null,        // a ring on the map around the open report
  generation: 0,          // bumps on each filter change: answers to older requests are dropped
};

// --- Small helpers -------------------------------------------------------------------------

function debounce(fn, ms) {
  let timer = 0;
  return (...args) => {
    window.clearTimeout(timer);
    timer = window.setTimeout(() => fn(...args), ms);
  };
}

// A query string as the server writes it (commas left as they are: "state=submitted,returned").
function queryText(params) {
  return params.toString().replace(/%2C/gi, ",");
}

function withParam(query, name, value) {
  const params = new URLSearchParams(query);
  params.delete(name);
  if (value) { params.set(name, value); }
  return queryText(params);
}

// "5 minutes ago", "due in 2 hours", "overdue by 3 days": the server's words, chosen as the
// server chooses them (dashboard/agency/display.py).
function amount(ms) {
  const minutes = Math.floor(Math.abs(ms) / 60000);
  if (minutes < 60) { return ["minutes", Math.max(minutes, 1)]; }
  if (minutes < 48 * 60) { return ["hours", Math.floor(minutes / 60)]; }
  return ["days", Math.floor(minutes / (24 * 60))];
}

function phrase(kind, ms) {
  const [unit, num] = amount(ms);
  const forms = data.phrases[kind][unit];
  return forms[num === 1 ? 0 : 1].replace("%(num)s", String(num));
}

function showTimes(root) {
  const now = Date.now();
  root.querySelectorAll("time[data-role=age]").forEach((el) => {
    if (el.dateTime) { el.textContent = phrase("ago", now - Date.parse(el.dateTime)); }
  });
  root.querySelectorAll("time[data-role=due]").forEach((el) => {
    if (!el.dateTime) { return; }
    const left = Date.parse(el.dateTime) - now;
    el.textContent = phrase(left >= 0 ? "due" : "overdue", left);
    el.classList.toggle("late", left < 0);
  });
}

// --- The queue ------------------------------------------------------------------------------

function part(row, role) {
  return row.querySelector(`[data-role="${role}"]`);
}

function setRowState(row, value, overdue) {
  const badge = part(row, "state");
  badge.className = `state state-${value}`;
  badge.textContent = data.states[value] || value;
  row.dataset.state = value;
  if (overdue !== undefined && overdue !== null) {
    row.dataset.overdue = overdue ? "1" : "0";
    row.classList.toggle("overdue", Boolean(overdue));
    part(row, "overdue").hidden = !overdue;
  }
}

function buildRow(item) {
  const row = rowTemplate.content.firstElementChild.cloneNode(true);
  row.dataset.code = item.code;
  row.dataset.lat = item.lat ?? "";
  row.dataset.lon = item.lon ?? "";
  const back = state.query ? `?${state.query}` : "";
  part(row, "link").href = `/dashboard/reports/${encodeURIComponent(item.code)}${back}`;
  part(row, "icon").textContent = item.category_icon || "";
  part(row, "code").textContent = item.code;
  setRowState(row, item.state, item.overdue);
  const priority = part(row, "priority");
  priority.className = `priority priority-${item.priority}`;
  priority.textContent = data.priorities[item.priority] || item.priority || "";
  priority.hidden = !item.priority || item.priority === "normal";
  part(row, "category").textContent = item.category_name || "";
  part(row, "ward").textContent = item.ward_name || "";
  part(row, "agency").textContent = item.agency_name || "";
  part(row, "age").dateTime = item.created_at || "";
  part(row, "due").dateTime = item.due_at || "";
  part(row, "due").hidden = !item.due_at;
  showTimes(row);
  return row;
}

function rowsOf(body) {
  return body.rows || [];
}

async function fetchQueue(query, after) {
  const url = `${data.urls.queue}?${withParam(query, "after", after)}`;
  const response = await fetch(url, {headers: {Accept: "application/json"}});
  const body = await response.json();
  if (!response.ok) { throw body; }
  return body;
}

function setMore(next) {
  more.dataset.next = next || "";
  more.hidden = !next;
  more.href = `/dashboard?${withParam(state.query, "after", next)}`;
}

function currentRows() {
  return Array.from(queue.querySelectorAll(".queue-row"));
}

async function reloadQueue() {
  const generation = state.generation;
  const body = await fetchQueue(state.query, null);
  if (generation !== state.generation) { return; }
  queue.replaceChildren(...rowsOf(body).map(buildRow));
  document.getElementById("queue-empty").hidden = queue.children.length > 0;
  setMore(body.next);
  markOpenRow();
}

async function loadMore(event) {
  event.preventDefault();
  const generation = state.generation;
  more.setAttribute("aria-busy", "true");
  try {
    const body = await fetchQueue(state.query, more.dataset.next);
    if (generation !== state.generation) { return; }
    const known = new Set(currentRows().map((row) => row.dataset.code));
    queue.append(...rowsOf(body).filter((item) => !known.has(item.code)).map(buildRow));
    setMore(body.next);
  } finally {
    more.removeAttribute("aria-busy");
  }
}

function select(row, {focus = true} = {}) {
  currentRows().forEach((other) => other.setAttribute("aria-selected", other === row ? "true" : "false"));
  if (row && focus) {
    part(row, "link").focus();
    row.scrollIntoView({block: "nearest"});
  }
}

function selectedRow() {
  return queue.querySelector('.queue-row[aria-selected="true"]')
    || document.activeElement?.closest?.(".queue-row") || null;
}

function move(step) {
  const rows = currentRows();
  if (!rows.length) { return; }
  const index = rows.indexOf(selectedRow());
  const next = index < 0 ? 0 : Math.min(Math.max(index + step, 0), rows.length - 1);
  select(rows[next]);
}

function markOpenRow() {
  currentRows().forEach((row) => row.classList.toggle("open", row.dataset.code === state.report));
}

// --- Counts per state -----------------------------------------------------------------------

async function reloadCounts() {
  const generation = state.generation;
  const response = await fetch(`${data.urls.counts}?${state.query}`, {headers: {Accept: "application/json"}});
  if (!response.ok || generation !== state.generation) { return; }
  const body = await response.json();
  document.querySelectorAll("#state-counts .count-chip").forEach((chip) => {
    const value = chip.dataset.state;
    part(chip, "count").textContent = String(body.counts[value] || 0);
    const active = body.active.includes(value);
    chip.classList.toggle("active", active);
    if (active) { chip.setAttribute("aria-current", "true"); } else { chip.removeAttribute("aria-current"); }
    chip.href = `/dashboard?${withParam(state.query, "state", value)}`;
  });
  document.getElementById("queue-total").textContent = body.total_text;
}

// --- Filters in the URL ---------------------------------------------------------------------

function formQuery() {
  const params = new URLSearchParams();
  for (const [name, value] of new FormData(form)) {
    const blank = typeof value !== "string" || value.trim() === "";
    if (!blank && !(name === "state" && value === "open")) { params.append(name, value.trim()); }
  }
  return queryText(params);
}

function writeUrl() {
  const query = withParam(state.query, "report", state.report);
  window.history.replaceState(null, "", query ? `/dashboard?${query}` : "/dashboard");
}

function showFilterError(problem) {
  const box = document.getElementById("filter-error");
  box.textContent = problem ? (problem.detail || problem.title || data.labels.error) : "";
  box.hidden = !problem;
  form.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
  const field = problem && (problem.field || (problem.errors && problem.errors[0] && problem.errors[0].field));
  const input = field && form.querySelector(`[name="${field}"]`);
  if (input) { input.setAttribute("aria-invalid", "true"); }
}

async function applyFilters() {
  const query = formQuery();
  if (query === state.query) { return; }
  state.query = query;
  state.generation += 1;
  writeUrl();
  try {
    await reloadQueue();
    showFilterError(null);
  } catch (problem) {
    showFilterError(problem);
    return;
  }
  state.layer?.setQuery(state.query);
  reloadCounts();
  state.fresh = [];
  state.bulk = false;
  showStrip();
}

function chooseState(event) {
  const chip = event.target.closest(".count-chip");
  if (!chip) { return; }
  event.preventDefault();
  const field = form.elements.namedItem("state");
  if (!Array.from(field.options).some((option) => option.value === chip.dataset.state)) { return; }
  field.value = chip.dataset.state;
  applyFilters();
}

// --- The side panel -------------------------------------------------------------------------

let panelModule = null;
let panelFocusKey = null;  // panel.js's focusKey(root, key), once loaded

function loadPanelModule() {
  panelModule = panelModule || import(data.modules.panel).catch((error) => {
    console.warn("panel.js unavailable", error);
    return null;
  });
  return panelModule;
}

async function bindPanel() {
  const module = await loadPanelModule();
  if (module && typeof module.focusKey === "function") { panelFocusKey = module.focusKey; }
  if (module && typeof module.bindPanel === "function") { module.bindPanel(panelBody); }
}

// After an action in the panel, its row shows the new state at once (the live feed confirms).
function panelUpdated(event) {
  const detail = event.detail || {};
  const row = detail.code && queue.querySelector(`.queue-row[data-code="${CSS.escape(detail.code)}"]`);
  if (row && detail.ok && detail.state) { setRowState(row, detail.state); }
  refreshLayer();
  refreshCounts();
}

// A link to another report inside the panel (the original of a duplicate) opens it here.
function panelLink(event) {
  const link = event.target.closest("a[data-report]");
  if (!link || event.ctrlKey || event.metaKey || event.shiftKey) { return; }
  event.preventDefault();
  openReport(link.dataset.report);
}

function placeholder(code, message) {
  const box = document.createElement("div");
  box.className = "panel-placeholder";
  const title = document.createElement("h2");
  title.textContent = code;
  const text = document.createElement("p");
  text.className = "alert";
  text.textContent = message;
  const link = document.createElement("a");
  link.href = `/dashboard/reports/${encodeURIComponent(code)}`;
  link.textContent = data.labels.full_page;
  box.append(title, text, link);
  return box;
}

async function openReport(code, {focusPanel = true} = {}) {
  state.report = code;
  writeUrl();
  markOpenRow();
  panel.hidden = false;
  document.getElementById("dash-body").classList.add("with-panel");
  leafletMap()?.invalidateSize();
  panelBody.setAttribute("aria-busy", "true");
  try {
    // The filters go along: the panel's forms carry them back (a 303 without script).
    const response = await fetch(`/dashboard/reports/${encodeURIComponent(code)}/panel?${state.query}`, {
      headers: {Accept: "text/html", "X-Requested-With": "fetch"},
    });
    if (state.report !== code) { return; }
    if (response.ok) {
      panelBody.innerHTML = await response.text();  // our own server's escaped HTML
      await bindPanel();
    } else {
      panelBody.replaceChildren(placeholder(code, response.status === 404 ? data.labels.not_found : data.labels.error));
    }
  } catch (error) {
    panelBody.replaceChildren(placeholder(code, data.labels.error));
  } finally {
    panelBody.removeAttribute("aria-busy");
  }
  showOnMap(code);
  // A key pressed while the panel loaded (f, r…) has put the focus inside: keep it there.
  if (focusPanel && !panel.contains(document.activeElement)) { panel.focus(); }
}

function closePanel() {
  if (panel.hidden) { return; }
  const code = state.report;
  state.report = null;
  panel.hidden = true;
  panelBody.replaceChildren();
  document.getElementById("dash-body").classList.remove("with-panel");
  leafletMap()?.invalidateSize();
  writeUrl();
  markOpenRow();
  state.selection?.remove();
  state.selection = null;
  const row = code && queue.querySelector(`.queue-row[data-code="${CSS.escape(code)}"]`);
  if (row) { select(row); }
}

function showOnMap(code) {
  const map = leafletMap();
  const row = queue.querySelector(`.queue-row[data-code="${CSS.escape(code)}"]`);
  const lat = Number.parseFloat(row?.dataset.lat), lon = Number.parseFloat(row?.dataset.lon);
  state.selection?.remove();
  state.selection = null;
  if (!map || !window.L || Number.isNaN(lat) || Number.isNaN(lon)) { return; }
  state.selection = window.L.circleMarker([lat, lon], {radius: 14, color: "#111827", weight: 3, fill: false, interactive: false}).addTo(map);
  if (!map.getBounds().contains([lat, lon])) { map.panTo([lat, lon]); }
}

// --- The map --------------------------------------------------------------------------------

function leafletMap() {
  const name = document.getElementById("dashboard-map").dataset.mapName;
  return window[name] || null;
}

function lazyGeoJson(url, style) {
  const L = window.L;
  let loaded = false;
  const layer = L.geoJSON(null, {
    style: () => style,
    onEachFeature: (feature, shape) => {
      const name = feature.properties && feature.properties.name;
      if (!name) { return; }
      const text = document.createElement("span");  // a string would be set as HTML
      text.textContent = String(name);
      shape.bindTooltip(text, {sticky: true});
    },
  });
  layer.on("add", async () => {
    if (loaded) { return; }
    loaded = true;
    const response = await fetch(url, {headers: {Accept: "application/geo+json"}});
    if (response.ok) { layer.addData(await response.json()); layer.bringToBack(); } else { loaded = false; }
  });
  return layer;
}

// The map's colours of the states (tiles.js) for the legend, the counts and the badges.
function useColours(colours) {
  for (const [name, colour] of Object.entries(colours || {})) {
    document.documentElement.style.setProperty(`--s-${name}`, colour);
  }
}

async function setUpMap() {
  const map = leafletMap();
  if (!map || !window.L) { return; }
  const overlays = {};
  overlays[data.labels.wards] = lazyGeoJson(data.urls.wards, {color: "#1d4ed8", weight: 1, fillOpacity: 0.02});
  overlays[data.labels.areas] = lazyGeoJson(data.urls.areas, {color: "#b45309", weight: 1, fillOpacity: 0.04, dashArray: "4 4"});
  const control = window.L.control.layers(null, overlays, {collapsed: false}).addTo(map);
  try {
    const tiles = await import(data.modules.tiles);
    useColours(tiles.STATE_COLOURS);
    const onSelect = (code) => openReport(code);
    state.layer = tiles.reportLayer(map, {url: data.urls.tiles, onSelect, query: state.query});
    if (!map.hasLayer(state.layer)) { state.layer.addTo(map); }
    control.addOverlay(state.layer, data.labels.reports);
  } catch (error) {
    console.warn("tiles.js unavailable", error);
  }
}

const refreshLayer = debounce(() => state.layer?.refresh(), 1500);
const refreshCounts = debounce(() => reloadCounts(), 1500);

// --- Live: the "new" strip and state changes in place ----------------------------------------

function matches(event) {
  const filters = filtersNow();
  if (filters.states.length && !filters.states.includes(event.state)) { return false; }
  if (filters.category.length && !filters.category.includes(event.category)) { return false; }
  if (filters.agency.length && event.agency && !filters.agency.includes(event.agency)) { return false; }
  if (filters.ward.length && event.ward_code && !filters.ward.includes(event.ward_code)) { return false; }
  return true;
}

function showStrip() {
  const count = state.fresh.length;
  strip.hidden = count === 0 && !state.bulk;
  if (state.bulk) {
    document.getElementById("new-count").textContent = data.labels.bulk;
    document.getElementById("new-codes").textContent = "";
    return;
  }
  document.getElementById("new-count").textContent = count === 0 ? ""
    : data.labels.new_count[count === 1 ? 0 : 1].replace("%(num)s", String(count));
  const shown = state.fresh.slice(0, 5).join(" ");
  document.getElementById("new-codes").textContent = count > 5 ? `${shown} …` : shown;
}

function onNew(event) {
  if (!event || !event.code || !matches(event)) { return; }
  const inQueue = queue.querySelector(`.queue-row[data-code="${CSS.escape(event.code)}"]`);
  if (!inQueue && !state.fresh.includes(event.code)) {
    state.fresh.unshift(event.code);
    showStrip();
  }
  refreshLayer();
  refreshCounts();
}

function onChange(event) {
  if (!event || !event.code) { return; }
  const row = queue.querySelector(`.queue-row[data-code="${CSS.escape(event.code)}"]`);
  if (row) {
    setRowState(row, event.state, event.overdue);
    row.classList.add("changed");
  }
  refreshLayer();
  refreshCounts();
}

// Many reports changed at once (or the feed missed some): the operator reloads the list.
function onBulk() {
  state.bulk = true;
  showStrip();
  refreshLayer();
  refreshCounts();
}

// Rows for codes the operator chose to see: the queue's own rows (same filters, q = the code).
async function openFresh() {
  if (state.bulk) {
    state.bulk = false;
    state.fresh = [];
    showStrip();
    await reloadQueue();
    return;
  }
  const codes = state.fresh.slice(0, data.fresh_limit);
  state.fresh = [];
  showStrip();
  const query = withParam(state.query, "q", null);
  const answers = await Promise.all(codes.map((code) =>
    fetchQueue(withParam(query, "q", code), null).catch(() => null)));
  const rows = answers.flatMap((body, i) => (body ? rowsOf(body).filter((item) => item.code === codes[i]) : []));
  const known = new Set(currentRows().map((row) => row.dataset.code));
  const added = rows.filter((item) => !known.has(item.code)).map(buildRow);
  added.forEach((row) => row.classList.add("fresh"));
  queue.prepend(...added);
  document.getElementById("queue-empty").hidden = queue.children.length > 0;
  if (added.length) {
    queue.scrollTop = 0;
    select(added[0]);
  }
}

function setStatus(status) {
  const box = document.getElementById("live-status");
  box.dataset.status = status;
  box.textContent = data.labels.status[status] || status;
}

async function connectLive() {
  try {
    const live = await import(data.modules.live);
    live.connect(data.urls.events, {onNew, onChange, onBulk, onStatus: setStatus});
  } catch (error) {
    console.warn("live.js unavailable", error);
    setStatus("offline");
  }
}

// --- Keyboard -------------------------------------------------------------------------------

function panelKeys() {
  if (panel.hidden) { return []; }
  return Array.from(panelBody.querySelectorAll("[data-key]"));
}

function openHelp() {
  const list = document.getElementById("help-panel-keys");
  list.replaceChildren();
  const seen = new Set();
  for (const el of panelKeys()) {
    if (seen.has(el.dataset.key)) { continue; }
    seen.add(el.dataset.key);
    const term = document.createElement("dt");
    const key = document.createElement("kbd");
    key.textContent = el.dataset.key;
    term.append(key);
    const text = document.createElement("dd");
    text.textContent = el.dataset.keyLabel || el.getAttribute("aria-label") || el.textContent.trim();
    list.append(term, text);
  }
  document.getElementById("help-panel-none").hidden = seen.size > 0;
  if (!help.open) { help.showModal(); }
}

// A modal dialog leaves the page inert, but Tab would still leave it for the browser's own
// controls: keep the focus cycling inside.
function trapFocus(event) {
  if (event.key !== "Tab") { return; }
  const focusable = Array.from(help.querySelectorAll("button, [href], input, select, textarea, [tabindex]:not([tabindex='-1'])"))
    .filter((el) => !el.disabled && !el.hidden);
  if (!focusable.length) { return; }
  const first = focusable[0], last = focusable[focusable.length - 1];
  if (event.shiftKey && (document.activeElement === first || !help.contains(document.activeElement))) {
    event.preventDefault();
    last.focus();
  } else if (!event.shiftKey && (document.activeElement === last || !help.contains(document.activeElement))) {
    event.preventDefault();
    first.focus();
  }
}

// A key of the open panel: panel.js's focusKey opens the form the element is in and focuses it
// (Enter confirms). Without panel.js: a submit button gets the focus; anything else (a button
// that opens a form, a field) is clicked or focused.
function panelKey(key) {
  const el = panelBody.querySelector(`[data-key="${CSS.escape(key)}"]`);
  if (!el || panel.hidden) { return false; }
  if (panelFocusKey) { return panelFocusKey(panelBody, key); }
  el.focus();
  const submit = el.matches("button[type=submit], input[type=submit], button:not([type])") && el.form;
  if (!submit && !el.matches(TYPING)) { el.click(); }
  return true;
}

function openSelected() {
  const row = selectedRow();
  if (row) { openReport(row.dataset.code); }
}

const GLOBAL_KEYS = {
  j: () => move(1),
  k: () => move(-1),
  "/": () => { const q = form.elements.namedItem("q"); q.focus(); q.select(); },
  n: () => { if (state.fresh.length || state.bulk) { openFresh(); } },
  "?": () => openHelp(),
};

function onKey(event) {
  if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || help.open) { return; }
  const typing = event.target.closest && event.target.closest(TYPING);
  if (event.key === "Escape") {
    if (typing) { event.target.blur(); return; }
    closePanel();
    return;
  }
  if (typing) { return; }
  if (event.key === "Enter" && event.target.closest(".queue-row")) {
    event.preventDefault();
    openReport(event.target.closest(".queue-row").dataset.code);
    return;
  }
  if (event.key === "Enter" && event.target === document.body) { openSelected(); return; }
  const action = GLOBAL_KEYS[event.key];
  if (action) { event.preventDefault(); action(); return; }
  if (event.key.length === 1 && panelKey(event.key)) { event.preventDefault(); }
}

// --- Wiring ---------------------------------------------------------------------------------

function filtersNow() {
  const params = new URLSearchParams(state.query);
  const list = (name) => params.getAll(name).flatMap((value) => value.split(",")).filter(Boolean);
  const chosen = list("state");
  let states = chosen.length ? chosen : ["open"];
  states = states.flatMap((value) => data.state_groups[value] || [value]);
  return {states, category: list("category"), agency: list("agency"), ward: list("ward")};
}

form.addEventListener("submit", (event) => { event.preventDefault(); applyFilters(); });
form.addEventListener("change", (event) => { if (event.target.name !== "q") { applyFilters(); } });
form.elements.namedItem("q").addEventListener("input", debounce(applyFilters, 400));
document.getElementById("filters-reset").addEventListener("click", (event) => {
  event.preventDefault();
  form.reset();
  Array.from(form.elements).forEach((el) => {
    if (el.type === "checkbox") { el.checked = false; } else if (el.name && el.name !== "state") { el.value = ""; }
  });
  form.elements.namedItem("state").value = "open";
  applyFilters();
});
document.getElementById("state-counts").addEventListener("click", chooseState);
more.addEventListener("click", loadMore);
queue.addEventListener("click", (event) => {
  const link = event.target.closest(".row-link");
  if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) { return; }
  event.preventDefault();
  const row = link.closest(".queue-row");
  select(row, {focus: false});
  openReport(row.dataset.code);
});
queue.addEventListener("focusin", (event) => {
  const row = event.target.closest(".queue-row");
  if (row) { select(row, {focus: false}); }
});
strip.addEventListener("click", openFresh);
document.getElementById("panel-close").addEventListener("click", closePanel);
panelBody.addEventListener("panel:updated", panelUpdated);
panelBody.addEventListener("click", panelLink);
document.addEventListener("keydown", onKey);
help.addEventListener("keydown", trapFocus);
window.setInterval(() => showTimes(queue), 60000);

showTimes(queue);
setUpMap();
connectLive();
if (data.report) { openReport(data.report, {focusPanel: false}); }
