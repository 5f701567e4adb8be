// The report panel on a page of its own (/dashboard/reports/CODE): forms and shortcuts.
import { bindKeys, bindPanel } from "/static/dashboard/panel.js";

const host = document.getElementById("panel-host");
if (host) {
  bindPanel(host);
  bindKeys(host);
}
