// TrainingMonitor header (anywidget module): state, progress, messages and the Stop button.
//
// The curves and the maps are bqplot figures and a MapView next to this header in an ipywidgets
// VBox.  This module also feeds the curves: Python sends only the epochs the page lacks
// ({kind: "epochs", start} with little-endian float32 rows: the epoch, then one value per curve),
// and they are appended to the bqplot line models in the browser, at most once per animation frame
// however many arrive.  A gap in the epochs asks for them again ({action: "resync", have}).  Each
// update carries Python's clock (`_sent_at`); a page that draws them late says so
// ({action: "behind"}, at most once a second) and Python sends less often.  Those are the page's
// only messages besides Stop: each one makes the kernel's status flicker.
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
import {
  appendPoints,
  columns,
  LagMeter,
  progressPercent,
  stateLabel,
  stopLabel,
} from "./lib/monitor_text.js";

/** Seconds late at which the page asks Python to send less often (at most once a second). */
const BEHIND = 0.25;

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
 * @property {number} _sent_at Python's time.time() when it sent the update
 * @property {string[]} _curves "IPY_MODEL_<id>" of the bqplot Lines, one per curve
 */
const TRAITS = ["state", "epoch", "fraction", "status", "message", "note", "stop_enabled"];

/** Appends the epochs Python sends to the curves' bqplot line models, once per animation frame. */
class CurveFeed {
  #model;
  #lines = null; // resolved asynchronously, once
  #waiting = [];
  #frame = 0;

  constructor(model) {
    this.#model = model;
    const references = model.get("_curves") ?? [];
    Promise.all(references.map((ref) => model.widget_manager.get_model(modelId(ref)))).then((lines) => {
      this.#lines = lines;
      this.#schedule();
    });
  }

  take(start, buffer) {
    this.#waiting.push([start, toFloat32(buffer)]);
    this.#schedule();
  }

  dispose() {
    cancelAnimationFrame(this.#frame);
  }

  #schedule() {
    if (this.#lines !== null && this.#waiting.length && !this.#frame) {
      this.#frame = requestAnimationFrame(() => this.#draw());
    }
  }

  #draw() {
    this.#frame = 0;
    const lines = this.#lines;
    if (lines.length === 0) return;
    let points = lines.map((line) => ({ x: line.get("x"), y: line.get("y") }));
    for (const [start, rows] of this.#waiting.splice(0)) {
      const [epochs, ...values] = columns(rows, 1 + lines.length);
      const next = points.map((held, i) => appendPoints(held.x, held.y, start, epochs, values[i]));
      if (next.some((appended) => appended === null)) {
        this.#model.send({ action: "resync", have: Math.min(...points.map((held) => held.x?.length ?? 0)) });
        break;
      }
      points = next;
    }
    for (const [i, line] of lines.entries()) line.set(points[i]);
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
  disposer.add(() => feed.dispose());
  // Measured when the update is painted; a late page asks for fewer updates.
  const meter = new LagMeter();
  let frame = 0;
  let complained = 0;
  disposer.onModel(model, "change:_sent_at", () => {
    if (frame) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      const now = Date.now();
      if (meter.lag(model.get("_sent_at"), now) > BEHIND && now - complained > 1000) {
        complained = now;
        model.send({ action: "behind" });
      }
    });
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
