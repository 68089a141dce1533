// TrainingMonitor header (anywidget module): state, progress, messages and the Stop button.
//
// The curves and the maps are bqplot figures and a MapView next to this header in an ipywidgets
// VBox.  This module also feeds the curves: Python sends only the epochs the page lacks
// ({kind: "epochs", start} with little-endian float32 rows: the epoch, then one value per curve),
// and they are appended to the bqplot line models in the browser.  Once an update is drawn the page
// acknowledges it ({action: "ack", seq}); Python keeps at most one update in flight, so the page
// never falls behind.  A gap in the epochs asks for them again ({action: "resync", have}).
//
// Test hooks (relied upon by the JupyterLab tests):
//   root element classes `somnium somnium-monitor` with `data-state` (idle, running, stopping,
//   stopped, done, error) and `data-epoch` (last epoch shown, cumulative over the model's fits);
//   the Stop button is `button[data-action="stop"]`; `data-ready="true"` once drawn.
//
// A click only sends {action: "stop"}; Python decides the state. All text goes through
// textContent.

import "./training_monitor.css";
import { toFloat32 } from "./lib/binary.js";
import { Disposer, make } from "./lib/dom.js";
import { modelId } from "./lib/linked_selection.js";
import { appendPoints, columns, progressPercent, stateLabel, stopLabel } from "./lib/monitor_text.js";

/**
 * The synced traits this module reads (see somnium/widgets/training_monitor.py, _MonitorHeader).
 * @typedef {object} MonitorTraits
 * @property {string} state
 * @property {number} epoch
 * @property {number} fraction
 * @property {string} status
 * @property {string} message
 * @property {string} note
 * @property {boolean} stop_enabled
 * @property {number} _seq the update's number, acknowledged once drawn
 * @property {string[]} _curves "IPY_MODEL_<id>" of the bqplot Lines, one per curve
 */
const TRAITS = ["state", "epoch", "fraction", "status", "message", "note", "stop_enabled"];

/** Appends the epochs Python sends to the curves' bqplot line models (resolved once, asynchronously). */
class CurveFeed {
  #model;
  #lines = null;
  #waiting = [];

  constructor(model) {
    this.#model = model;
    const references = model.get("_curves") ?? [];
    Promise.all(references.map((ref) => model.widget_manager.get_model(modelId(ref)))).then((lines) => {
      this.#lines = lines;
      for (const [start, rows] of this.#waiting.splice(0)) this.#append(start, rows);
    });
  }

  take(start, buffer) {
    const rows = toFloat32(buffer);
    if (this.#lines === null) this.#waiting.push([start, rows]);
    else this.#append(start, rows);
  }

  #append(start, rows) {
    const lines = this.#lines;
    if (lines.length === 0) return;
    const [epochs, ...values] = columns(rows, 1 + lines.length);
    const next = lines.map((line, i) => appendPoints(line.get("x"), line.get("y"), start, epochs, values[i]));
    if (next.some((points) => points === null)) {
      const held = Math.min(...lines.map((line) => line.get("x")?.length ?? 0));
      this.#model.send({ action: "resync", have: held });
      return;
    }
    for (const [i, line] of lines.entries()) line.set(next[i]);
  }
}

function render({ model, el }) {
  const disposer = new Disposer();
  const root = make("div", { class: "somnium somnium-monitor", "data-state": "idle", "data-epoch": "0" });
  const row = make("div", { class: "somnium-monitor__row" });
  const badge = make("span", { class: "somnium-monitor__badge" });
  const status = make("span", { class: "somnium-monitor__status", "aria-live": "polite" });
  const button = make("button", {
    type: "button",
    class: "somnium-monitor__stop",
    "data-action": "stop",
    title: "Stop training at the end of the current epoch",
  });
  row.append(badge, status, button);
  const track = make("div", {
    class: "somnium-monitor__track",
    role: "progressbar",
    "aria-valuemin": "0",
    "aria-valuemax": "100",
  });
  const bar = make("div", { class: "somnium-monitor__bar" });
  track.append(bar);
  const message = make("div", { class: "somnium-monitor__message" });
  const note = make("div", { class: "somnium-monitor__note" });
  root.append(row, track, message, note);
  el.append(root);

  let requested = false;
  const draw = () => {
    /** @type {MonitorTraits} */
    const t = Object.fromEntries(TRAITS.map((name) => [name, model.get(name)]));
    if (t.state !== "running") requested = false;
    root.dataset.state = t.state;
    root.dataset.epoch = String(t.epoch);
    badge.textContent = stateLabel(t.state);
    status.textContent = t.status;
    const percent = progressPercent(t.fraction);
    bar.style.width = percent;
    track.setAttribute("aria-valuenow", percent.replace("%", ""));
    message.textContent = t.message;
    message.hidden = !t.message;
    note.textContent = t.note;
    note.hidden = !t.note;
    button.disabled = !t.stop_enabled || requested;
    button.textContent = requested ? stopLabel("stopping") : stopLabel(t.state);
  };
  disposer.listen(button, "click", () => {
    if (button.disabled) return;
    requested = true;
    model.send({ action: "stop" });
    draw();
  });
  for (const name of TRAITS) disposer.onModel(model, `change:${name}`, draw);

  const feed = new CurveFeed(model);
  disposer.onModel(model, "msg:custom", (content, buffers) => {
    if (content?.kind === "epochs" && buffers?.length) feed.take(content.start, buffers[0]);
  });
  // Python sends the new epochs, then the header with its number: acknowledge once it is painted.
  let frame = 0;
  disposer.onModel(model, "change:_seq", () => {
    cancelAnimationFrame(frame);
    frame = requestAnimationFrame(() => model.send({ action: "ack", seq: model.get("_seq") }));
  });
  disposer.add(() => cancelAnimationFrame(frame));

  draw();
  root.dataset.ready = "true";
  return () => {
    disposer.dispose();
    root.remove();
  };
}

export default { render };
