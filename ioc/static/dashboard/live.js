// The operators' live feed (GET /dashboard/events, Server-Sent Events) as an ES module.
//
//   import { connect } from "/static/dashboard/live.js";
//   const feed = connect("/dashboard/events", {
//     onNew(report, id) {},     // "report.new": a report was filed
//     onChange(report, id) {},  // "report.changed": an action, an overdue mark
//     onBulk() {},              // "report.bulk": many changed at once or some were missed: reload
//     onStatus(status) {},      // "connecting", "live", "reconnecting", "closed"
//   });
//   feed.close();
//
// `report` is {id, code, state, from_state, action, category, ward, ward_code, agency, priority,
// lat, lon, overdue, at}. EventSource reconnects by itself and sends Last-Event-ID, and the
// server replays what was missed, a little more than that in fact (event ids are not committed
// in order): every id is delivered once, the ones already seen are dropped here. When the
// browser gives up (the server refused the stream, or was down too long), this module opens a
// new stream itself, with backoff, from the highest id it has seen.

const SEEN_MAX = 5000; // ids remembered for de-duplication (the replay window is far smaller)
const FIRST_DELAY_MS = 1000;
const MAX_DELAY_MS = 30000;

export function connect(url, { onNew, onChange, onBulk, onStatus } = {}) {
  const seen = new Set(); // insertion-ordered: the oldest id is the first one
  let highest = 0;
  let source = null;
  let timer = 0;
  let delay = FIRST_DELAY_MS;
  let closed = false;
  let status = "";

  function setStatus(next) {
    if (next !== status) {
      status = next;
      if (onStatus) onStatus(next);
    }
  }

  // A handler that parses the event and hands it over once per id.
  function deliver(callback) {
    return (event) => {
      const id = Number(event.lastEventId);
      if (!Number.isSafeInteger(id) || id <= 0 || seen.has(id)) return;
      seen.add(id);
      if (seen.size > SEEN_MAX) seen.delete(seen.values().next().value);
      highest = Math.max(highest, id);
      let report;
      try {
        report = JSON.parse(event.data);
      } catch {
        return;
      }
      if (callback) callback(report, id);
    };
  }

  function retryLater() {
    setStatus("reconnecting");
    window.clearTimeout(timer);
    timer = window.setTimeout(open, delay);
    delay = Math.min(delay * 2, MAX_DELAY_MS);
  }

  function open() {
    const target = new URL(url, window.location.href);
    if (highest > 0) target.searchParams.set("last_event_id", String(highest));
    source = new EventSource(target.href);
    source.addEventListener("open", () => {
      delay = FIRST_DELAY_MS;
      setStatus("live");
    });
    source.addEventListener("error", () => {
      if (closed) return;
      if (source.readyState === EventSource.CLOSED) {
        source.close(); // the browser gave up on this one: a new stream, a little later
        retryLater();
      } else {
        setStatus("reconnecting"); // EventSource retries by itself, with Last-Event-ID
      }
    });
    source.addEventListener("report.new", deliver(onNew));
    source.addEventListener("report.changed", deliver(onChange));
    source.addEventListener("report.bulk", () => {
      if (onBulk) onBulk();
    });
  }

  setStatus("connecting");
  open();
  return {
    close() {
      closed = true;
      window.clearTimeout(timer);
      if (source) source.close();
      setStatus("closed");
    },
    get status() {
      return status;
    },
    get lastId() {
      return highest;
    },
  };
}
