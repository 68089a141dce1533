var __typeError = (msg) => {
  throw TypeError(msg);
};
var __accessCheck = (obj, member, msg) => member.has(obj) || __typeError("Cannot " + msg);
var __privateGet = (obj, member, getter) => (__accessCheck(obj, member, "read from private field"), getter ? getter.call(obj) : member.get(obj));
var __privateAdd = (obj, member, value) => member.has(obj) ? __typeError("Cannot add the same private member more than once") : member instanceof WeakSet ? member.add(obj) : member.set(obj, value);
var __privateSet = (obj, member, value, setter) => (__accessCheck(obj, member, "write to private field"), setter ? setter.call(obj, value) : member.set(obj, value), value);
var __privateMethod = (obj, member, method) => (__accessCheck(obj, member, "access private method"), method);

// lib/binary.js
var LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
function asByteRange(data) {
  if (data == null) return null;
  if (data instanceof ArrayBuffer) return { buffer: data, byteOffset: 0, byteLength: data.byteLength };
  if (ArrayBuffer.isView(data))
    return { buffer: data.buffer, byteOffset: data.byteOffset, byteLength: data.byteLength };
  throw new TypeError(`expected binary data (DataView, ArrayBuffer or typed array), got ${typeof data}`);
}
function decode(data, Kind, read) {
  const size = Kind.BYTES_PER_ELEMENT;
  const range = asByteRange(data);
  if (range === null) return new Kind(0);
  if (range.byteLength % size !== 0) {
    throw new RangeError(
      `binary buffer of ${range.byteLength} bytes is not a whole number of ${size}-byte values`
    );
  }
  const length = range.byteLength / size;
  if (LITTLE_ENDIAN && range.byteOffset % size === 0) {
    return new Kind(range.buffer, range.byteOffset, length);
  }
  const view = new DataView(range.buffer, range.byteOffset, range.byteLength);
  const out = new Kind(length);
  for (let i = 0; i < length; i++) out[i] = read(view, size * i);
  return out;
}
function toFloat32(data) {
  return decode(data, Float32Array, (view, offset) => view.getFloat32(offset, true));
}

// lib/dom.js
function make(tag, attributes = {}, text = null, namespace = null) {
  const element = namespace ? document.createElementNS(namespace, tag) : document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  if (text !== null) element.textContent = text;
  return element;
}
var _cleanups;
var Disposer = class {
  constructor() {
    __privateAdd(this, _cleanups, []);
  }
  listen(target, type, handler, options) {
    target.addEventListener(type, handler, options);
    __privateGet(this, _cleanups).push(() => target.removeEventListener(type, handler, options));
  }
  onModel(model, event, handler) {
    model.on(event, handler);
    __privateGet(this, _cleanups).push(() => model.off(event, handler));
  }
  /** `handler` on a change of any of the traits `names`. */
  onChange(model, names, handler) {
    for (const name of names) this.onModel(model, `change:${name}`, handler);
  }
  add(cleanup) {
    __privateGet(this, _cleanups).push(cleanup);
  }
  dispose() {
    for (const cleanup of __privateGet(this, _cleanups).splice(0).reverse()) cleanup();
  }
};
_cleanups = new WeakMap();

// lib/linked_selection.js
var PREFIX = "IPY_MODEL_";
function modelId(reference) {
  if (typeof reference !== "string" || reference === "") {
    throw new TypeError(`expected a widget reference "IPY_MODEL_<id>", got ${String(reference)}`);
  }
  return reference.startsWith(PREFIX) ? reference.slice(PREFIX.length) : reference;
}

// lib/monitor_text.js
function progressPercent(fraction) {
  const value = Number(fraction);
  if (!Number.isFinite(value)) return "0%";
  return `${(Math.min(1, Math.max(0, value)) * 100).toFixed(1)}%`;
}
function stopLabel(state) {
  if (state === "stopping") return "Stopping…";
  if (state === "stopped") return "Stopped";
  return "■ Stop";
}
function stateLabel(state) {
  const labels = {
    idle: "Idle",
    running: "Training",
    stopping: "Stopping",
    stopped: "Stopped",
    done: "Done",
    error: "Error"
  };
  return labels[state] ?? String(state);
}
function columns(rows, width) {
  if (!(width > 0) || rows.length % width !== 0) {
    throw new RangeError(`${rows.length} values are not whole rows of ${width}`);
  }
  const n = rows.length / width;
  const out = Array.from({ length: width }, () => new Float64Array(n));
  for (let i = 0; i < n; i++) for (let j = 0; j < width; j++) out[j][i] = rows[i * width + j];
  return out;
}
function appendPoints(x, y, start, newX, newY) {
  const held = Math.min(x?.length ?? 0, y?.length ?? 0);
  if (!Number.isInteger(start) || start < 0 || start > held) return null;
  const outX = new Float64Array(start + newX.length);
  const outY = new Float64Array(start + newY.length);
  for (let i = 0; i < start; i++) {
    outX[i] = x[i];
    outY[i] = y[i];
  }
  outX.set(newX, start);
  outY.set(newY, start);
  return { x: outX, y: outY };
}
var _least;
var LagMeter = class {
  constructor() {
    __privateAdd(this, _least, Number.POSITIVE_INFINITY);
  }
  lag(sentAtSeconds, nowMs) {
    const delay = nowMs / 1e3 - Number(sentAtSeconds);
    if (!Number.isFinite(delay)) return 0;
    __privateSet(this, _least, Math.min(__privateGet(this, _least), delay));
    return delay - __privateGet(this, _least);
  }
};
_least = new WeakMap();

// training_monitor.js
var BEHIND = 0.25;
var TRAITS = ["state", "epoch", "fraction", "status", "message", "note", "stop_enabled"];
var _model, _lines, _waiting, _frame, _CurveFeed_instances, schedule_fn, draw_fn;
var CurveFeed = class {
  constructor(model) {
    __privateAdd(this, _CurveFeed_instances);
    __privateAdd(this, _model);
    __privateAdd(this, _lines, null);
    // resolved asynchronously, once
    __privateAdd(this, _waiting, []);
    __privateAdd(this, _frame, 0);
    __privateSet(this, _model, model);
    const references = model.get("_curves") ?? [];
    Promise.all(references.map((ref) => model.widget_manager.get_model(modelId(ref)))).then((lines) => {
      __privateSet(this, _lines, lines);
      __privateMethod(this, _CurveFeed_instances, schedule_fn).call(this);
    });
  }
  take(start, buffer) {
    __privateGet(this, _waiting).push([start, toFloat32(buffer)]);
    __privateMethod(this, _CurveFeed_instances, schedule_fn).call(this);
  }
  dispose() {
    cancelAnimationFrame(__privateGet(this, _frame));
  }
};
_model = new WeakMap();
_lines = new WeakMap();
_waiting = new WeakMap();
_frame = new WeakMap();
_CurveFeed_instances = new WeakSet();
schedule_fn = function() {
  if (__privateGet(this, _lines) !== null && __privateGet(this, _waiting).length && !__privateGet(this, _frame)) {
    __privateSet(this, _frame, requestAnimationFrame(() => __privateMethod(this, _CurveFeed_instances, draw_fn).call(this)));
  }
};
draw_fn = function() {
  __privateSet(this, _frame, 0);
  const lines = __privateGet(this, _lines);
  if (lines.length === 0) return;
  let points = lines.map((line) => ({ x: line.get("x"), y: line.get("y") }));
  for (const [start, rows] of __privateGet(this, _waiting).splice(0)) {
    const [epochs, ...values] = columns(rows, 1 + lines.length);
    const next = points.map((held, i) => appendPoints(held.x, held.y, start, epochs, values[i]));
    if (next.some((appended) => appended === null)) {
      __privateGet(this, _model).send({ action: "resync", have: Math.min(...points.map((held) => held.x?.length ?? 0)) });
      break;
    }
    points = next;
  }
  for (const [i, line] of lines.entries()) line.set(points[i]);
};
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
    title: "Stop training at the end of the current epoch"
  });
  row.append(badge, status, button);
  const track = make("div", {
    class: "somnium-monitor__track",
    role: "progressbar",
    "aria-valuemin": "0",
    "aria-valuemax": "100"
  });
  const bar = make("div", { class: "somnium-monitor__bar" });
  track.append(bar);
  const message = make("div", { class: "somnium-monitor__message" });
  const note = make("div", { class: "somnium-monitor__note" });
  root.append(row, track, message, note);
  el.append(root);
  let requested = false;
  const draw = () => {
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
  const meter = new LagMeter();
  let frame = 0;
  let complained = 0;
  disposer.onModel(model, "change:_sent_at", () => {
    if (frame) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      const now = Date.now();
      if (meter.lag(model.get("_sent_at"), now) > BEHIND && now - complained > 1e3) {
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
var training_monitor_default = { render };
export {
  training_monitor_default as default
};
