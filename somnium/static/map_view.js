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
function toFloat64(data) {
  return decode(data, Float64Array, (view, offset) => view.getFloat64(offset, true));
}
function toUint32(data) {
  return decode(data, Uint32Array, (view, offset) => view.getUint32(offset, true));
}
function decodeArray(value) {
  if (value == null) return { data: new Float32Array(0), shape: [0] };
  const decoders = { float32: toFloat32, float64: toFloat64, uint32: toUint32 };
  const decoder = decoders[value.dtype];
  if (!decoder) throw new TypeError(`unsupported array dtype ${String(value.dtype)}`);
  const data = decoder(value.data);
  const expected = value.shape.reduce((a, b) => a * b, 1);
  if (data.length !== expected) {
    throw new RangeError(`array of shape [${value.shape}] needs ${expected} values, got ${data.length}`);
  }
  return { data, shape: value.shape };
}

// lib/colors.js
var VIRIDIS = [
  [68, 1, 84],
  [71, 44, 122],
  [59, 81, 139],
  [44, 113, 142],
  [33, 144, 141],
  [39, 173, 129],
  [92, 200, 99],
  [170, 220, 50],
  [253, 231, 37]
];
var DIVERGING = [
  [33, 102, 172],
  [67, 147, 195],
  [146, 197, 222],
  [209, 229, 240],
  [247, 247, 247],
  [253, 219, 199],
  [244, 165, 130],
  [214, 96, 77],
  [178, 24, 43]
];
var PALETTES = { sequential: VIRIDIS, diverging: DIVERGING };
var LUT_SIZE = 257;
function hex(channel) {
  return Math.round(channel).toString(16).padStart(2, "0");
}
function interpolate(stops, t) {
  const clamped = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0));
  const position = clamped * (stops.length - 1);
  const low = Math.min(stops.length - 2, Math.floor(position));
  const frac = position - low;
  const a = stops[low];
  const b = stops[low + 1];
  return `#${hex(a[0] + (b[0] - a[0]) * frac)}${hex(a[1] + (b[1] - a[1]) * frac)}${hex(a[2] + (b[2] - a[2]) * frac)}`;
}
var LUTS = Object.fromEntries(
  Object.entries(PALETTES).map(([name, stops]) => [
    name,
    Array.from({ length: LUT_SIZE }, (_, i) => interpolate(stops, i / (LUT_SIZE - 1)))
  ])
);
function paletteOf(name) {
  if (!(name in PALETTES)) throw new Error(`Unknown palette "${name}"`);
  return name;
}
function finiteRange(values) {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return min <= max ? { min, max } : null;
}
function rangeFor(values, palette = "sequential") {
  const range = finiteRange(values);
  if (range === null || paletteOf(palette) !== "diverging") return range;
  const magnitude = Math.max(Math.abs(range.min), Math.abs(range.max));
  return { min: -magnitude, max: magnitude };
}
function colorsFor(values, range = finiteRange(values), palette = "sequential") {
  const lut = LUTS[paletteOf(palette)];
  const out = new Array(values.length).fill(null);
  if (range === null) return out;
  const span = range.max - range.min;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    const t = span > 0 ? (v - range.min) / span : 0.5;
    out[i] = lut[Math.min(LUT_SIZE - 1, Math.max(0, Math.round(t * (LUT_SIZE - 1))))];
  }
  return out;
}
function gradientCss(palette = "sequential") {
  const stopsOf = PALETTES[paletteOf(palette)];
  const stops = stopsOf.map((_, i) => {
    const t = i / (stopsOf.length - 1);
    return `${interpolate(stopsOf, t)} ${(100 * t).toFixed(1)}%`;
  });
  return `linear-gradient(to right, ${stops.join(", ")})`;
}
function formatValue(value, integer = false) {
  if (value === null || value === void 0 || !Number.isFinite(value)) return "no data";
  if (integer) return Math.round(value).toLocaleString("en-US");
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude >= 1e6 || magnitude < 1e-3)) return value.toExponential(2);
  return String(Number(value.toPrecision(4)));
}
function sigma(value) {
  return `${value >= 0 ? "+" : "−"}${Math.abs(value).toFixed(1)}σ`;
}
function signedR(value) {
  return `r ${value >= 0 ? "+" : "−"}${Math.abs(value).toFixed(2)}`;
}

// lib/dom.js
var SVG_NS = "http://www.w3.org/2000/svg";
function make(tag, attributes = {}, text = null, namespace = null) {
  const element = namespace ? document.createElementNS(namespace, tag) : document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  if (text !== null) element.textContent = text;
  return element;
}
var svg = (tag, attributes = {}) => make(tag, attributes, null, SVG_NS);
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
function batched(fn) {
  let queued = false;
  return () => {
    if (queued) return;
    queued = true;
    queueMicrotask(() => {
      queued = false;
      fn();
    });
  };
}

// lib/segments.js
var UNASSIGNED_FILL = "#d3d3d3";
function segmentFills(codes, colors, nNodes, unassigned = UNASSIGNED_FILL) {
  const fills = new Array(nNodes).fill(unassigned);
  if (codes.length !== nNodes) return fills;
  for (let node = 0; node < nNodes; node++) {
    const code = codes[node];
    if (code > 0 && code <= colors.length) fills[node] = colors[code - 1];
  }
  return fills;
}
function segmentOf(codes, names, node) {
  const code = codes[node] ?? 0;
  return code > 0 ? names[code - 1] ?? "?" : "none";
}
function boundaryPath(edges) {
  let d = "";
  for (let i = 0; i + 3 < edges.length; i += 4) {
    d += `M${edges[i].toFixed(3)} ${edges[i + 1].toFixed(3)}L${edges[i + 2].toFixed(3)} ${edges[i + 3].toFixed(3)}`;
  }
  return d;
}
function renderSegmentLegend(legend, names, colors, codes) {
  const items = names.map((name, i) => {
    const item = make("span", { class: "somnium-segments__item", "data-segment": String(i) });
    const swatch = make("span", { class: "somnium-segments__swatch" });
    swatch.style.background = colors[i] ?? UNASSIGNED_FILL;
    item.append(swatch, make("span", { class: "somnium-segments__name" }, name));
    return item;
  });
  if (names.length > 0 && Array.prototype.some.call(codes, (code) => code === 0)) {
    const item = make("span", { class: "somnium-segments__item somnium-segments__item--none" });
    const swatch = make("span", { class: "somnium-segments__swatch" });
    swatch.style.background = UNASSIGNED_FILL;
    item.append(swatch, make("span", { class: "somnium-segments__name" }, "no segment"));
    items.push(item);
  }
  legend.replaceChildren(...items);
  legend.hidden = names.length === 0;
}

// lib/colorbar.js
function tickLabels(min, max, format = formatValue) {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return ["no data", ""];
  return [format(min), format(max)];
}
var _tickMin, _tickMid, _tickMax, _ramp, _palette, _label, _noDataKey, _emptyKey;
var ColorBar = class {
  /**
   * @param {object} options
   * @param {string} options.className the view's hook class of the bar
   * @param {boolean} [options.label] show a title before the ramp (the layer's name)
   * @param {boolean} [options.keys] show the "no data" and "empty node" swatches after it
   * @param {boolean} [options.compact] a full-width thin ramp under a small map
   */
  constructor({ className, label = false, keys = false, compact = false }) {
    __privateAdd(this, _tickMin);
    __privateAdd(this, _tickMid);
    __privateAdd(this, _tickMax);
    __privateAdd(this, _ramp);
    __privateAdd(this, _palette, "sequential");
    __privateAdd(this, _label, null);
    __privateAdd(this, _noDataKey, null);
    __privateAdd(this, _emptyKey, null);
    const variant = compact ? " somnium-colorbar--compact" : "";
    this.element = make("div", { class: `somnium-colorbar${variant} ${className}` });
    if (label) {
      __privateSet(this, _label, make("span", { class: "somnium-map__colorbar-label" }));
      this.element.append(__privateGet(this, _label));
    }
    const scale = make("div", { class: "somnium-map__colorbar-scale" });
    __privateSet(this, _ramp, make("div", { class: "somnium-map__colorbar-ramp" }));
    __privateGet(this, _ramp).style.background = gradientCss();
    const ticks = make("div", { class: "somnium-map__colorbar-ticks" });
    __privateSet(this, _tickMin, make("span", { class: "somnium-map__tick-min" }));
    __privateSet(this, _tickMid, make("span", { class: "somnium-map__tick-mid", hidden: "" }));
    __privateSet(this, _tickMax, make("span", { class: "somnium-map__tick-max" }));
    ticks.append(__privateGet(this, _tickMin), __privateGet(this, _tickMid), __privateGet(this, _tickMax));
    scale.append(__privateGet(this, _ramp), ticks);
    this.element.append(scale);
    if (keys) {
      const legend = make("span", { class: "somnium-map__legend" });
      __privateSet(this, _noDataKey, legendKey("nodata", "no data"));
      __privateSet(this, _emptyKey, legendKey("empty", "empty node (no rows)"));
      legend.append(__privateGet(this, _noDataKey), __privateGet(this, _emptyKey));
      this.element.append(legend);
    }
  }
  setLabel(text) {
    if (__privateGet(this, _label)) __privateGet(this, _label).textContent = text;
  }
  /** The ramp of `palette` ("sequential" or "diverging"); redrawn only when it changes. */
  setPalette(palette) {
    if (palette === __privateGet(this, _palette)) return;
    __privateGet(this, _ramp).style.background = gradientCss(palette);
    __privateSet(this, _palette, palette);
    this.element.dataset.palette = palette;
  }
  /**
   * Ticks at `min` and `max` written by `format`; a missing or non-finite end reads "no data".
   * A finite `mid` adds a middle tick (the zero of a diverging layer).
   */
  setRange(min, max, format = formatValue, mid = void 0) {
    [__privateGet(this, _tickMin).textContent, __privateGet(this, _tickMax).textContent] = tickLabels(min, max, format);
    const showMid = Number.isFinite(mid) && Number.isFinite(min) && Number.isFinite(max);
    __privateGet(this, _tickMid).hidden = !showMid;
    __privateGet(this, _tickMid).textContent = showMid ? format(mid) : "";
  }
  /** Show or hide the swatch of nodes with no value (`noData`) or no rows (`empty`); others stay. */
  setKeys({ noData, empty }) {
    if (__privateGet(this, _noDataKey) && noData !== void 0) __privateGet(this, _noDataKey).hidden = !noData;
    if (__privateGet(this, _emptyKey) && empty !== void 0) __privateGet(this, _emptyKey).hidden = !empty;
  }
  get hidden() {
    return this.element.hidden;
  }
  set hidden(hidden) {
    this.element.hidden = hidden;
  }
};
_tickMin = new WeakMap();
_tickMid = new WeakMap();
_tickMax = new WeakMap();
_ramp = new WeakMap();
_palette = new WeakMap();
_label = new WeakMap();
_noDataKey = new WeakMap();
_emptyKey = new WeakMap();
function legendKey(kind, text) {
  const item = make("span", { class: `somnium-map__legend-item somnium-map__legend-item--${kind}` });
  item.append(
    make("span", { class: `somnium-map__swatch somnium-map__swatch--${kind}` }),
    make("span", {}, text)
  );
  return item;
}
var SegmentLegend = class {
  constructor() {
    this.element = make("div", { class: "somnium-segments", "aria-label": "Segments" });
    this.element.hidden = true;
  }
  update(names, colors, codes) {
    renderSegmentLegend(this.element, names, colors, codes);
  }
};
function categoryFills(codes, colors, nNodes) {
  return segmentFills(codes, colors, nNodes, null);
}
function categoryText(names, codes, shares, node) {
  const code = codes[node] ?? 0;
  if (code === 0 || code > names.length) return "no data";
  const share = shares[node];
  return Number.isFinite(share) ? `${names[code - 1]} (${Math.round(100 * share)}%)` : names[code - 1];
}
var _title, _items;
var CategoryLegend = class {
  constructor() {
    __privateAdd(this, _title);
    __privateAdd(this, _items);
    this.element = make("div", { class: "somnium-categories", "aria-label": "Categories" });
    __privateSet(this, _title, make("span", { class: "somnium-categories__title" }));
    __privateSet(this, _items, make("span", { class: "somnium-categories__items" }));
    this.element.append(__privateGet(this, _title), __privateGet(this, _items));
    this.element.hidden = true;
  }
  update(title, names, colors, codes) {
    __privateGet(this, _title).textContent = title;
    const items = names.map((name, i) => {
      const item = make("span", { class: "somnium-categories__item", "data-category": String(i) });
      const swatch = make("span", { class: "somnium-categories__swatch" });
      swatch.style.background = colors[i] ?? "";
      item.append(swatch, make("span", { class: "somnium-categories__name", title: name }, name));
      return item;
    });
    if (names.length > 0 && Array.prototype.some.call(codes, (code) => code === 0)) {
      items.push(legendKey("nodata", "no data"));
    }
    __privateGet(this, _items).replaceChildren(...items);
    this.element.hidden = names.length === 0;
  }
  get hidden() {
    return this.element.hidden;
  }
  set hidden(hidden) {
    this.element.hidden = hidden;
  }
};
_title = new WeakMap();
_items = new WeakMap();
var _title2, _list;
var DetailsPanel = class {
  constructor() {
    __privateAdd(this, _title2);
    __privateAdd(this, _list);
    this.element = make("div", { class: "somnium-map__details", "aria-live": "polite" });
    __privateSet(this, _title2, make("div", { class: "somnium-map__details-title" }));
    __privateSet(this, _list, make("div", { class: "somnium-map__details-rows" }));
    this.element.append(__privateGet(this, _title2), __privateGet(this, _list));
    this.element.hidden = true;
  }
  update(details) {
    const rows = Array.isArray(details?.rows) ? details.rows : [];
    __privateGet(this, _title2).textContent = details?.title ?? "";
    __privateGet(this, _list).replaceChildren(
      ...rows.map(([name, value]) => {
        const row = make("div", { class: "somnium-map__details-row", "data-name": String(name) });
        row.append(
          make("span", { class: "somnium-map__details-name" }, String(name)),
          make("span", { class: "somnium-map__details-value" }, String(value))
        );
        return row;
      })
    );
    this.element.hidden = rows.length === 0 && !details?.title;
  }
};
_title2 = new WeakMap();
_list = new WeakMap();

// lib/emitter.js
var _handlers, _owner;
var Emitter = class {
  /** @param {string} owner the component's name, for the error message @param {string[]} events */
  constructor(owner, events) {
    __privateAdd(this, _handlers);
    __privateAdd(this, _owner);
    __privateSet(this, _owner, owner);
    __privateSet(this, _handlers, new Map(events.map((event) => [event, /* @__PURE__ */ new Set()])));
  }
  /** Call `handler(value)` on every `event`; returns the unsubscribe function. */
  on(event, handler) {
    const handlers = __privateGet(this, _handlers).get(event);
    if (!handlers) throw new Error(`${__privateGet(this, _owner)} has no "${event}" event`);
    handlers.add(handler);
    return () => handlers.delete(handler);
  }
  emit(event, value) {
    for (const handler of __privateGet(this, _handlers).get(event)) handler(value);
  }
  clear() {
    for (const handlers of __privateGet(this, _handlers).values()) handlers.clear();
  }
};
_handlers = new WeakMap();
_owner = new WeakMap();

// lib/toolbar.js
var BRUSH_MODES = [
  { mode: "rectangle", label: "Rectangle", title: "Drag to select a rectangle" },
  { mode: "lasso", label: "Lasso", title: "Drag to draw a lasso" }
];
function selectionStatus(count, hint) {
  return count === 0 ? hint : `${count} node${count === 1 ? "" : "s"} selected`;
}
var _events, _disposer, _buttons, _hint;
var Toolbar = class {
  /**
   * @param {object} options
   * @param {string} options.block the view's class prefix ("somnium-map", "somnium-planes")
   * @param {string} options.hint the status while nothing is selected
   * @param {{mode: string, label: string, title: string}[]} [options.modes]
   * @param {(string | HTMLElement)[]} [options.layout] "modes", "status", "clear" or an element, in order
   * @param {HTMLElement | null} [options.keyTarget] where Escape clears (the view's focusable root)
   */
  constructor({ block, hint, modes = BRUSH_MODES, layout = ["modes", "status", "clear"], keyTarget = null }) {
    __privateAdd(this, _events, new Emitter("Toolbar", ["brush", "clear"]));
    __privateAdd(this, _disposer, new Disposer());
    __privateAdd(this, _buttons, /* @__PURE__ */ new Map());
    __privateAdd(this, _hint);
    __privateSet(this, _hint, hint);
    this.element = make("div", { class: `somnium-toolbar ${block}__toolbar` });
    this.modes = make("div", {
      class: "somnium-toolbar__modes somnium-map__brush-modes",
      role: "group",
      "aria-label": "Brush"
    });
    for (const { mode, label, title } of modes) {
      const button = make("button", { type: "button", "data-mode": mode, title }, label);
      __privateGet(this, _disposer).listen(button, "click", () => __privateGet(this, _events).emit("brush", mode));
      __privateGet(this, _buttons).set(mode, button);
      this.modes.append(button);
    }
    this.status = make("span", { class: `somnium-toolbar__status ${block}__status`, "aria-live": "polite" });
    this.clearButton = make(
      "button",
      { type: "button", class: `somnium-toolbar__clear ${block}__clear`, title: "Clear the selection (Esc)" },
      "Clear"
    );
    __privateGet(this, _disposer).listen(this.clearButton, "click", () => __privateGet(this, _events).emit("clear", "button"));
    const parts = { modes: this.modes, status: this.status, clear: this.clearButton };
    this.element.append(
      ...layout.map((item) => {
        if (typeof item !== "string") return item;
        if (!(item in parts)) throw new Error(`Toolbar has no "${item}" control`);
        return parts[item];
      })
    );
    if (keyTarget) {
      __privateGet(this, _disposer).listen(keyTarget, "keydown", (event) => {
        if (event.key !== "Escape") return;
        __privateGet(this, _events).emit("clear", "escape");
        event.stopPropagation();
      });
    }
    this.setCount(0);
  }
  /** Subscribe to "brush" (the mode pressed) or "clear" ("button" | "escape"); returns the unsubscribe. */
  on(event, handler) {
    return __privateGet(this, _events).on(event, handler);
  }
  /** Show `mode` as the pressed one. */
  setMode(mode) {
    for (const [name, button] of __privateGet(this, _buttons)) button.setAttribute("aria-pressed", String(name === mode));
  }
  /** Show how many nodes are selected (Clear is enabled only when some are). */
  setCount(count) {
    this.status.textContent = selectionStatus(count, __privateGet(this, _hint));
    this.clearButton.disabled = count === 0;
  }
  destroy() {
    __privateGet(this, _disposer).dispose();
    __privateGet(this, _events).clear();
    this.element.remove();
  }
};
_events = new WeakMap();
_disposer = new WeakMap();
_buttons = new WeakMap();
_hint = new WeakMap();
var Choice = class {
  /** @param {{label: string, className: string, ariaLabel: string}} options */
  constructor({ label, className, ariaLabel }) {
    this.element = make("label", { class: "somnium-toolbar__field somnium-map__field" });
    this.select = make("select", { class: className, "aria-label": ariaLabel });
    this.element.append(make("span", {}, label), this.select);
  }
  /** Offer `options` ([value, label] pairs) with `value` chosen. */
  setOptions(options, value) {
    const known = Array.from(this.select.options, (option) => option.value);
    if (known.length !== options.length || known.some((current, i) => current !== options[i][0])) {
      this.select.replaceChildren(
        ...options.map(([optionValue, label]) => {
          const option = make("option", {}, label);
          option.value = optionValue;
          return option;
        })
      );
    }
    this.select.value = value;
  }
  get value() {
    return this.select.value;
  }
};

// lib/frame.js
var _disposer2, _model, _selection, _maps, _block;
var ViewFrame = class {
  /**
   * @param {object} options
   * @param {ViewModel} options.model the view's model (its `brush_mode` trait)
   * @param {HTMLElement} options.el where the root is appended
   * @param {LinkedSelection} options.selection
   * @param {string} options.block the view's hook class ("somnium-map", "somnium-planes")
   * @param {string} options.hint the toolbar's status while nothing is selected
   * @param {(string | HTMLElement)[]} options.layout the toolbar's controls (see Toolbar)
   * @param {() => HexMap[]} options.maps every map on screen, the first one
   *   counting the selection
   */
  constructor({ model, el, selection, block, hint, layout, maps }) {
    __privateAdd(this, _disposer2, new Disposer());
    __privateAdd(this, _model);
    __privateAdd(this, _selection);
    __privateAdd(this, _maps);
    __privateAdd(this, _block);
    __privateSet(this, _model, model);
    __privateSet(this, _selection, selection);
    __privateSet(this, _maps, maps);
    __privateSet(this, _block, block);
    this.root = make("div", {
      class: `somnium somnium-frame ${block}`,
      tabindex: "0",
      "data-ready": "false"
    });
    this.toolbar = new Toolbar({ block, hint, layout, keyTarget: this.root });
    el.append(this.root);
    __privateGet(this, _disposer2).add(
      this.toolbar.on("brush", (mode) => {
        model.set("brush_mode", mode);
        model.save_changes();
      })
    );
    __privateGet(this, _disposer2).add(
      this.toolbar.on("clear", () => {
        for (const map of maps()) map.cancelGesture();
        selection.commit([]);
      })
    );
    __privateGet(this, _disposer2).onModel(model, "change:brush_mode", () => this.drawBrushMode());
    __privateGet(this, _disposer2).add(selection.subscribe(() => this.drawSelection()));
  }
  /** Take the keyboard focus on a press inside `element` (the maps), so Escape reaches the view. */
  focusOn(element) {
    __privateGet(this, _disposer2).listen(element, "pointerdown", () => this.root.focus({ preventScroll: true }));
  }
  /** Show the shared selection on every map, and its size in the toolbar. */
  drawSelection() {
    const maps = __privateGet(this, _maps).call(this);
    const nodes = __privateGet(this, _selection).nodes;
    for (const map of maps) map.setSelection(nodes);
    const count = maps.length > 0 ? maps[0].selection.length : 0;
    this.root.classList.toggle(`${__privateGet(this, _block)}--has-selection`, count > 0);
    this.toolbar.setCount(count);
  }
  /** Show the model's brush mode in the toolbar and use it on every map. */
  drawBrushMode() {
    const mode = __privateGet(this, _model).get("brush_mode");
    this.toolbar.setMode(mode);
    this.root.dataset.brushMode = mode;
    for (const map of __privateGet(this, _maps).call(this)) map.setBrushMode(mode);
  }
  ready() {
    this.root.setAttribute("data-ready", "true");
  }
  dispose() {
    __privateGet(this, _disposer2).dispose();
    this.toolbar.destroy();
    this.root.remove();
  }
};
_disposer2 = new WeakMap();
_model = new WeakMap();
_selection = new WeakMap();
_maps = new WeakMap();
_block = new WeakMap();

// lib/geometry.js
function cellPaths(vertices, nNodes, nVertices) {
  const expected = nNodes * nVertices * 2;
  if (vertices.length !== expected) {
    throw new RangeError(
      `expected ${expected} vertex coordinates for ${nNodes} cells, got ${vertices.length}`
    );
  }
  const paths = new Array(nNodes);
  for (let node = 0; node < nNodes; node++) {
    const base = node * nVertices * 2;
    let d = `M${round(vertices[base])} ${round(vertices[base + 1])}`;
    for (let k = 1; k < nVertices; k++) {
      d += `L${round(vertices[base + 2 * k])} ${round(vertices[base + 2 * k + 1])}`;
    }
    paths[node] = `${d}Z`;
  }
  return paths;
}
function round(value) {
  return Math.round(value * 1e4) / 1e4;
}
function viewBoxFor(extent, margin = 0.3) {
  const [xmin, xmax, ymin, ymax] = extent;
  return {
    x: xmin - margin,
    y: ymin - margin,
    width: xmax - xmin + 2 * margin,
    height: ymax - ymin + 2 * margin
  };
}
function clientToLattice(clientX, clientY, rect, viewBox) {
  const scale = Math.min(rect.width / viewBox.width, rect.height / viewBox.height);
  const offsetX = rect.left + (rect.width - viewBox.width * scale) / 2;
  const offsetY = rect.top + (rect.height - viewBox.height * scale) / 2;
  return [viewBox.x + (clientX - offsetX) / scale, viewBox.y + (clientY - offsetY) / scale];
}
function pointInPolygon(x, y, polygon) {
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i];
    const [xj, yj] = polygon[j];
    if (yi > y !== yj > y && x < (xj - xi) * (y - yi) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}
function nodesInRectangle(centers, [x0, y0], [x1, y1]) {
  const [left, right] = x0 < x1 ? [x0, x1] : [x1, x0];
  const [top, bottom] = y0 < y1 ? [y0, y1] : [y1, y0];
  const nodes = [];
  for (let node = 0; node < centers.length / 2; node++) {
    const x = centers[2 * node];
    const y = centers[2 * node + 1];
    if (x >= left && x <= right && y >= top && y <= bottom) nodes.push(node);
  }
  return nodes;
}
function nodesInPolygon(centers, polygon) {
  if (polygon.length < 3) return [];
  let [left, top, right, bottom] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const [x, y] of polygon) {
    left = Math.min(left, x);
    right = Math.max(right, x);
    top = Math.min(top, y);
    bottom = Math.max(bottom, y);
  }
  const nodes = [];
  for (let node = 0; node < centers.length / 2; node++) {
    const x = centers[2 * node];
    const y = centers[2 * node + 1];
    if (x < left || x > right || y < top || y > bottom) continue;
    if (pointInPolygon(x, y, polygon)) nodes.push(node);
  }
  return nodes;
}
function polygonPath(points) {
  if (points.length === 0) return "";
  const [first, ...rest] = points;
  return `M${round(first[0])} ${round(first[1])}${rest.map(([x, y]) => `L${round(x)} ${round(y)}`).join("")}${points.length > 2 ? "Z" : ""}`;
}

// lib/selection.js
function normalizeSelection(nodes) {
  return Array.from(new Set(Array.from(nodes, Number))).sort((a, b) => a - b);
}
function sameSelection(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
function clickSelection(current, node, toggle) {
  if (node === null) return toggle ? current.slice() : [];
  if (!toggle) return [node];
  return current.includes(node) ? current.filter((n) => n !== node) : normalizeSelection([...current, node]);
}
function brushSelection(current, nodes, additive) {
  return normalizeSelection(additive ? [...current, ...nodes] : nodes);
}
function nodesWithCounts(counts) {
  const nodes = [];
  for (let node = 0; node < counts.length; node++) if (counts[node] > 0) nodes.push(node);
  return nodes;
}

// lib/hex_map.js
var DRAG_THRESHOLD_PX = 4;
var EMPTY_MARK_RADIUS = 0.12;
function wrapKind(lattice) {
  if (lattice.wraps_y) return "toroidal";
  if (lattice.wraps_x) return "cylindrical";
  return null;
}
function wrapLines(lattice) {
  const [xmin, xmax, ymin, ymax] = lattice.extent ?? [0, 1, 0, 1];
  const lines = [];
  if (lattice.wraps_x) lines.push([xmin, ymin, xmin, ymax], [xmax, ymin, xmax, ymax]);
  if (lattice.wraps_y) lines.push([xmin, ymin, xmax, ymin], [xmin, ymax, xmax, ymax]);
  return lines;
}
function emptyMarksPath(centers, hits, radius = EMPTY_MARK_RADIUS) {
  let d = "";
  const n = centers.length / 2;
  if (hits.length !== n) return d;
  for (let node = 0; node < n; node++) {
    if (hits[node] !== 0) continue;
    const x = centers[2 * node];
    const y = centers[2 * node + 1];
    d += `M${(x - radius).toFixed(3)} ${y.toFixed(3)}a${radius} ${radius} 0 1 0 ${2 * radius} 0a${radius} ${radius} 0 1 0 ${-2 * radius} 0`;
  }
  return d;
}
function selectionChanges(flags, nodes) {
  const next = new Uint8Array(flags.length);
  for (const node of nodes) if (node >= 0 && node < flags.length) next[node] = 1;
  const changed = [];
  for (let node = 0; node < flags.length; node++) if (next[node] !== flags[node]) changed.push(node);
  return { flags: next, changed };
}
var _events2, _cleanups2, _nNodes, _paths, _cells, _centers, _viewBox, _selection2, _flags, _hovered, _lastPointer, _frame, _drag, _brushMode, _HexMap_instances, listen_fn, propose_fn, nodeOf_fn, toLattice_fn, onPointerDown_fn, onPointerMove_fn, onFrame_fn, onPointerUp_fn, onPointerCancel_fn, onPointerLeave_fn, hover_fn, pointer_fn;
var HexMap = class {
  /**
   * @param {HTMLElement} container where the map's <svg> is appended
   * @param {{brushMode?: "rectangle" | "lasso", interactive?: boolean, label?: string}} options
   */
  constructor(container, { brushMode = "rectangle", interactive = true, label = "" } = {}) {
    __privateAdd(this, _HexMap_instances);
    __privateAdd(this, _events2, new Emitter("HexMap", ["select", "hover"]));
    __privateAdd(this, _cleanups2, []);
    __privateAdd(this, _nNodes, 0);
    __privateAdd(this, _paths, []);
    __privateAdd(this, _cells, []);
    __privateAdd(this, _centers, new Float32Array(0));
    __privateAdd(this, _viewBox, { x: 0, y: 0, width: 1, height: 1 });
    __privateAdd(this, _selection2, []);
    __privateAdd(this, _flags, new Uint8Array(0));
    __privateAdd(this, _hovered, null);
    __privateAdd(this, _lastPointer, null);
    __privateAdd(this, _frame, 0);
    __privateAdd(this, _drag, null);
    __privateAdd(this, _brushMode);
    __privateSet(this, _brushMode, brushMode);
    this.svg = svg("svg", { class: "somnium-map__svg", preserveAspectRatio: "xMidYMid meet", role: "img" });
    if (label) this.svg.setAttribute("aria-label", label);
    this.cellGroup = svg("g", { class: "somnium-map__cells" });
    this.emptyMarks = svg("path", { class: "somnium-map__empty-marks" });
    this.wrapGroup = svg("g", { class: "somnium-map__wrap" });
    this.boundaries = svg("path", { class: "somnium-map__segment-boundaries" });
    this.svg.append(this.cellGroup, this.emptyMarks, this.boundaries, this.wrapGroup);
    this.overlay = svg("svg", {
      class: "somnium-map__overlay",
      preserveAspectRatio: "xMidYMid meet",
      "aria-hidden": "true"
    });
    this.dim = svg("path", { class: "somnium-map__dim" });
    this.hoverOutline = svg("path", { class: "somnium-map__hover-outline" });
    this.brushShape = svg("path", { class: "somnium-map__brush-shape" });
    this.overlay.append(this.dim, this.hoverOutline, this.brushShape);
    container.append(this.svg, this.overlay);
    if (interactive) {
      __privateMethod(this, _HexMap_instances, listen_fn).call(this, "pointerdown", __privateMethod(this, _HexMap_instances, onPointerDown_fn));
      __privateMethod(this, _HexMap_instances, listen_fn).call(this, "pointermove", __privateMethod(this, _HexMap_instances, onPointerMove_fn));
      __privateMethod(this, _HexMap_instances, listen_fn).call(this, "pointerup", __privateMethod(this, _HexMap_instances, onPointerUp_fn));
      __privateMethod(this, _HexMap_instances, listen_fn).call(this, "pointercancel", __privateMethod(this, _HexMap_instances, onPointerCancel_fn));
      __privateMethod(this, _HexMap_instances, listen_fn).call(this, "pointerleave", __privateMethod(this, _HexMap_instances, onPointerLeave_fn));
    }
  }
  // ---------------------------------------------------------------- public API
  /** Subscribe to "select" (nodes) or "hover" ({node, clientX, clientY} | null); returns the unsubscribe. */
  on(event, handler) {
    return __privateGet(this, _events2).on(event, handler);
  }
  get nNodes() {
    return __privateGet(this, _nNodes);
  }
  /** Cell path data, so several maps of one lattice can share one computation. */
  get paths() {
    return __privateGet(this, _paths);
  }
  /** Rebuild the cells from the lattice geometry Python sends (`paths` may be shared). */
  setGeometry({ lattice, vertices, centers, paths = null }) {
    const nNodes = lattice.n_nodes ?? 0;
    __privateSet(this, _nNodes, nNodes);
    __privateSet(this, _centers, centers);
    __privateSet(this, _paths, paths ?? (nNodes > 0 ? cellPaths(vertices, nNodes, lattice.n_vertices) : []));
    const margin = lattice.wraps_x || lattice.wraps_y ? 0.45 : 0.25;
    __privateSet(this, _viewBox, viewBoxFor(lattice.extent ?? [0, 1, 0, 1], margin));
    const box = __privateGet(this, _viewBox);
    this.svg.setAttribute("viewBox", `${box.x} ${box.y} ${box.width} ${box.height}`);
    this.overlay.setAttribute("viewBox", `${box.x} ${box.y} ${box.width} ${box.height}`);
    this.svg.style.aspectRatio = `${box.width} / ${box.height}`;
    if (!this.svg.hasAttribute("aria-label")) {
      this.svg.setAttribute("aria-label", `${lattice.rows} × ${lattice.cols} ${lattice.name ?? ""} map`);
    }
    const fragment = document.createDocumentFragment();
    const cells = new Array(nNodes);
    for (let node = 0; node < nNodes; node++) {
      const cell = document.createElementNS(this.svg.namespaceURI, "path");
      cell.setAttribute("d", __privateGet(this, _paths)[node]);
      cell.setAttribute("class", "somnium-map__cell");
      cell.setAttribute("data-neuron", String(node));
      cells[node] = cell;
      fragment.append(cell);
    }
    __privateSet(this, _cells, cells);
    this.cellGroup.replaceChildren(fragment);
    this.wrapGroup.replaceChildren(
      ...wrapLines(lattice).map(
        ([x1, y1, x2, y2]) => svg("line", { x1, y1, x2, y2, class: "somnium-map__wrap-line" })
      )
    );
    this.wrapKind = wrapKind(lattice);
    __privateSet(this, _flags, new Uint8Array(nNodes));
    const selection = __privateGet(this, _selection2);
    __privateSet(this, _selection2, []);
    this.setSelection(selection);
  }
  /** Colour the cells by value over `range` (default: the values' own) on `palette` (colors.js). */
  setValues(values, range = finiteRange(values), palette = "sequential") {
    const fills = values.length === __privateGet(this, _nNodes) ? colorsFor(values, range, palette) : new Array(__privateGet(this, _nNodes)).fill(null);
    this.setColors(fills);
    return range;
  }
  /** Fill of every cell ("#rrggbb"), null for "no value" (the theme's empty fill). */
  setColors(fills) {
    for (let node = 0; node < __privateGet(this, _nNodes); node++) {
      const fill = fills[node];
      const cell = __privateGet(this, _cells)[node];
      if (fill === null || fill === void 0) {
        cell.setAttribute("data-novalue", "true");
        cell.removeAttribute("fill");
      } else {
        cell.removeAttribute("data-novalue");
        cell.setAttribute("fill", fill);
      }
    }
  }
  /** Mark the nodes with no rows (hits[node] === 0) with a ring and data-empty. */
  setEmpty(hits) {
    const known = hits.length === __privateGet(this, _nNodes);
    for (let node = 0; node < __privateGet(this, _nNodes); node++) {
      if (known && hits[node] === 0) __privateGet(this, _cells)[node].setAttribute("data-empty", "true");
      else __privateGet(this, _cells)[node].removeAttribute("data-empty");
    }
    const d = emptyMarksPath(__privateGet(this, _centers), hits);
    this.emptyMarks.setAttribute("d", d);
    return d !== "";
  }
  /** Draw the segment boundaries (path data, "" for none). */
  setBoundaries(d) {
    this.boundaries.setAttribute("d", d);
  }
  /** Show `nodes` as selected (only the cells whose state changes are touched). */
  setSelection(nodes) {
    const next = normalizeSelection(nodes).filter((node) => node >= 0 && node < __privateGet(this, _nNodes));
    if (sameSelection(next, __privateGet(this, _selection2)) && __privateGet(this, _flags).length === __privateGet(this, _nNodes)) return;
    const { flags, changed } = selectionChanges(__privateGet(this, _flags), next);
    for (const node of changed) {
      if (flags[node]) __privateGet(this, _cells)[node].setAttribute("data-selected", "true");
      else __privateGet(this, _cells)[node].removeAttribute("data-selected");
    }
    __privateSet(this, _flags, flags);
    __privateSet(this, _selection2, next);
    const selected = next.map((node) => __privateGet(this, _paths)[node]).join("");
    this.dim.setAttribute("d", next.length > 0 ? `${rectanglePath(__privateGet(this, _viewBox))}${selected}` : "");
  }
  get selection() {
    return __privateGet(this, _selection2).slice();
  }
  setBrushMode(mode) {
    __privateSet(this, _brushMode, mode);
  }
  /** Outline one node as hovered (null clears), e.g. to echo a hover from a sibling map. */
  setHovered(node) {
    this.hoverOutline.setAttribute("d", node === null ? "" : __privateGet(this, _paths)[node] ?? "");
  }
  destroy() {
    if (__privateGet(this, _frame)) cancelAnimationFrame(__privateGet(this, _frame));
    for (const cleanup of __privateGet(this, _cleanups2).splice(0)) cleanup();
    __privateGet(this, _events2).clear();
    this.svg.remove();
    this.overlay.remove();
  }
  /** Abandon a drag in progress (e.g. on Escape). */
  cancelGesture() {
    __privateSet(this, _drag, null);
    this.brushShape.setAttribute("d", "");
    this.svg.classList.remove("somnium-map__svg--brushing");
  }
};
_events2 = new WeakMap();
_cleanups2 = new WeakMap();
_nNodes = new WeakMap();
_paths = new WeakMap();
_cells = new WeakMap();
_centers = new WeakMap();
_viewBox = new WeakMap();
_selection2 = new WeakMap();
_flags = new WeakMap();
_hovered = new WeakMap();
_lastPointer = new WeakMap();
_frame = new WeakMap();
_drag = new WeakMap();
_brushMode = new WeakMap();
_HexMap_instances = new WeakSet();
// ---------------------------------------------------------------- interaction
listen_fn = function(type, method) {
  const handler = method.bind(this);
  this.svg.addEventListener(type, handler);
  __privateGet(this, _cleanups2).push(() => this.svg.removeEventListener(type, handler));
};
propose_fn = function(next) {
  if (!sameSelection(next, __privateGet(this, _selection2))) __privateGet(this, _events2).emit("select", next);
};
nodeOf_fn = function(target) {
  const value = target instanceof Element ? target.getAttribute("data-neuron") : null;
  return value === null ? null : Number(value);
};
toLattice_fn = function(event) {
  return clientToLattice(event.clientX, event.clientY, this.svg.getBoundingClientRect(), __privateGet(this, _viewBox));
};
onPointerDown_fn = function(event) {
  if (event.button !== 0) return;
  __privateSet(this, _drag, {
    pointerId: event.pointerId,
    startX: event.clientX,
    startY: event.clientY,
    node: __privateMethod(this, _HexMap_instances, nodeOf_fn).call(this, event.target),
    additive: isToggle(event),
    mode: __privateGet(this, _brushMode),
    points: [__privateMethod(this, _HexMap_instances, toLattice_fn).call(this, event)],
    brushing: false
  });
  this.svg.setPointerCapture?.(event.pointerId);
  event.preventDefault();
};
onPointerMove_fn = function(event) {
  __privateSet(this, _lastPointer, { clientX: event.clientX, clientY: event.clientY, target: event.target });
  const drag = __privateGet(this, _drag);
  if (drag && drag.pointerId === event.pointerId) {
    const moved = Math.hypot(event.clientX - drag.startX, event.clientY - drag.startY);
    if (!drag.brushing && moved >= DRAG_THRESHOLD_PX) {
      drag.brushing = true;
      __privateMethod(this, _HexMap_instances, hover_fn).call(this, null);
      this.svg.classList.add("somnium-map__svg--brushing");
    }
    if (drag.brushing) {
      const point = __privateMethod(this, _HexMap_instances, toLattice_fn).call(this, event);
      if (drag.mode === "lasso") drag.points.push(point);
      else drag.points = [drag.points[0], point];
    }
  }
  if (!__privateGet(this, _frame)) __privateSet(this, _frame, requestAnimationFrame(() => __privateMethod(this, _HexMap_instances, onFrame_fn).call(this)));
};
onFrame_fn = function() {
  __privateSet(this, _frame, 0);
  if (__privateGet(this, _drag)?.brushing) {
    this.brushShape.setAttribute("d", brushPath(__privateGet(this, _drag)));
    return;
  }
  if (__privateGet(this, _lastPointer)) __privateMethod(this, _HexMap_instances, hover_fn).call(this, __privateMethod(this, _HexMap_instances, nodeOf_fn).call(this, __privateGet(this, _lastPointer).target));
};
onPointerUp_fn = function(event) {
  const drag = __privateGet(this, _drag);
  if (!drag || drag.pointerId !== event.pointerId) return;
  __privateSet(this, _drag, null);
  this.svg.releasePointerCapture?.(event.pointerId);
  this.svg.classList.remove("somnium-map__svg--brushing");
  this.brushShape.setAttribute("d", "");
  if (drag.brushing) {
    const end = __privateMethod(this, _HexMap_instances, toLattice_fn).call(this, event);
    const nodes = drag.mode === "lasso" ? nodesInPolygon(__privateGet(this, _centers), [...drag.points, end]) : nodesInRectangle(__privateGet(this, _centers), drag.points[0], end);
    __privateMethod(this, _HexMap_instances, propose_fn).call(this, brushSelection(__privateGet(this, _selection2), nodes, drag.additive));
  } else {
    __privateMethod(this, _HexMap_instances, propose_fn).call(this, clickSelection(__privateGet(this, _selection2), drag.node, isToggle(event)));
  }
};
onPointerCancel_fn = function() {
  this.cancelGesture();
};
onPointerLeave_fn = function() {
  __privateSet(this, _lastPointer, null);
  if (!__privateGet(this, _drag)) __privateMethod(this, _HexMap_instances, hover_fn).call(this, null);
};
hover_fn = function(node) {
  if (node === __privateGet(this, _hovered)) {
    if (node !== null) __privateGet(this, _events2).emit("hover", { node, ...__privateMethod(this, _HexMap_instances, pointer_fn).call(this) });
    return;
  }
  __privateSet(this, _hovered, node);
  this.setHovered(node);
  __privateGet(this, _events2).emit("hover", node === null ? null : { node, ...__privateMethod(this, _HexMap_instances, pointer_fn).call(this) });
};
pointer_fn = function() {
  const pointer = __privateGet(this, _lastPointer);
  return pointer ? { clientX: pointer.clientX, clientY: pointer.clientY } : { clientX: 0, clientY: 0 };
};
function rectanglePath({ x, y, width, height }, margin = 1e3) {
  return `M${x - margin} ${y - margin}H${x + width + margin}V${y + height + margin}H${x - margin}Z`;
}
var isToggle = (event) => event.shiftKey || event.ctrlKey || event.metaKey;
function brushPath({ mode, points }) {
  if (mode === "lasso") return polygonPath(points);
  const [[x0, y0], [x1, y1]] = points.length > 1 ? points : [points[0], points[0]];
  return polygonPath([
    [x0, y0],
    [x1, y0],
    [x1, y1],
    [x0, y1]
  ]);
}

// lib/linked_selection.js
var PREFIX = "IPY_MODEL_";
function modelId(reference) {
  if (typeof reference !== "string" || reference === "") {
    throw new TypeError(`expected a widget reference "IPY_MODEL_<id>", got ${String(reference)}`);
  }
  return reference.startsWith(PREFIX) ? reference.slice(PREFIX.length) : reference;
}
var _nodes, _handlers2;
var LocalSelectionModel = class {
  constructor(nodes = []) {
    __privateAdd(this, _nodes);
    __privateAdd(this, _handlers2, /* @__PURE__ */ new Set());
    __privateSet(this, _nodes, normalizeSelection(nodes));
  }
  get(name) {
    return name === "nodes" ? __privateGet(this, _nodes) : void 0;
  }
  set(name, value) {
    if (name !== "nodes") return;
    __privateSet(this, _nodes, normalizeSelection(value));
    for (const handler of __privateGet(this, _handlers2)) handler(__privateGet(this, _nodes));
  }
  save_changes() {
  }
  // nothing to sync with
  on(event, handler) {
    if (event === "change:nodes") __privateGet(this, _handlers2).add(handler);
  }
  off(event, handler) {
    if (event === "change:nodes") __privateGet(this, _handlers2).delete(handler);
  }
};
_nodes = new WeakMap();
_handlers2 = new WeakMap();
var _model2, _handlers3, _onChange;
var _LinkedSelection = class _LinkedSelection {
  /**
   * @param {{get: Function, set: Function, save_changes: Function, on: Function, off: Function}} selectionModel
   * @param {boolean} [shared] whether other views may hold the same model
   */
  constructor(selectionModel, shared = true) {
    __privateAdd(this, _model2);
    __privateAdd(this, _handlers3, /* @__PURE__ */ new Set());
    __privateAdd(this, _onChange, () => {
      const nodes = this.nodes;
      for (const handler of __privateGet(this, _handlers3)) handler(nodes);
    });
    __privateSet(this, _model2, selectionModel);
    this.shared = shared;
    selectionModel.on("change:nodes", __privateGet(this, _onChange));
  }
  /**
   * Resolve the selection a view references through its `trait` (default "selection"), or, with
   * no reference or no widget manager to resolve it, a selection of the view's own (empty).
   * @returns {Promise<LinkedSelection>}
   */
  static async of(viewModel, trait = "selection") {
    const reference = viewModel.get(trait);
    const manager = viewModel.widget_manager;
    if (reference == null || reference === "" || typeof manager?.get_model !== "function") {
      return new _LinkedSelection(new LocalSelectionModel(), false);
    }
    const id = modelId(reference);
    try {
      return new _LinkedSelection(await manager.get_model(id), true);
    } catch (error) {
      console.warn(`Somnium: the shared selection ${id} is unavailable; this view keeps its own.`, error);
      return new _LinkedSelection(new LocalSelectionModel(), false);
    }
  }
  /** The selected nodes, sorted and unique. */
  get nodes() {
    return normalizeSelection(__privateGet(this, _model2).get("nodes") ?? []);
  }
  /** Call `handler(nodes)` on every change of the selection; returns the unsubscribe function. */
  subscribe(handler) {
    __privateGet(this, _handlers3).add(handler);
    return () => __privateGet(this, _handlers3).delete(handler);
  }
  /** Make `nodes` the selection; writes (and syncs) only if it differs. Returns whether it wrote. */
  commit(nodes) {
    const next = normalizeSelection(nodes);
    if (sameSelection(next, this.nodes)) return false;
    __privateGet(this, _model2).set("nodes", next);
    __privateGet(this, _model2).save_changes();
    return true;
  }
  /** Stop listening to the selection model (the model itself stays: other views share it). */
  dispose() {
    __privateGet(this, _handlers3).clear();
    __privateGet(this, _model2).off("change:nodes", __privateGet(this, _onChange));
  }
};
_model2 = new WeakMap();
_handlers3 = new WeakMap();
_onChange = new WeakMap();
var LinkedSelection = _LinkedSelection;

// lib/model.js
var GEOMETRY_TRAITS = ["_lattice", "_cell_vertices", "_cell_centers"];
var SEGMENT_TRAITS = ["_segment_codes", "_segment_names", "_segment_colors", "_segment_edges"];
var MAP_TRAITS = [...GEOMETRY_TRAITS, ...SEGMENT_TRAITS, "brush_mode"];
function requireTraits(model, names, view) {
  const missing = names.filter((name) => model.get(name) === void 0);
  if (missing.length > 0) throw new Error(`${view}: the model has no ${missing.join(", ")}`);
}

// lib/standouts.js
function topFeatures(names, indices, scores, k, node) {
  if (k === 0 || indices.length < (node + 1) * k) return [];
  const out = [];
  for (let j = 0; j < k; j++) {
    const score = scores[node * k + j];
    if (Number.isFinite(score) && score !== 0) out.push([names[indices[node * k + j]] ?? "?", score]);
  }
  return out;
}

// lib/tooltip.js
var _container, _hover, _key, _content;
var Tooltip = class {
  constructor(container) {
    __privateAdd(this, _container);
    __privateAdd(this, _hover, null);
    __privateAdd(this, _key, null);
    __privateAdd(this, _content, null);
    __privateSet(this, _container, container);
    this.element = make("div", { class: "somnium-map__tooltip", role: "tooltip", hidden: "" });
    container.append(this.element);
  }
  /** Show `children` (nodes) near the pointer, kept inside the container. */
  show(children, clientX, clientY) {
    this.element.replaceChildren(...children);
    this.element.hidden = false;
    this.move(clientX, clientY);
  }
  move(clientX, clientY) {
    const box = __privateGet(this, _container).getBoundingClientRect();
    const x = clientX - box.left;
    const y = clientY - box.top;
    const width = this.element.offsetWidth;
    const height = this.element.offsetHeight;
    const left = x + 14 + width > box.width ? Math.max(0, x - 14 - width) : x + 14;
    const top = y + 14 + height > box.height ? Math.max(0, y - 14 - height) : y + 14;
    this.element.style.transform = `translate(${left}px, ${top}px)`;
  }
  /**
   * Follow a map's hover ({node, clientX, clientY}, or null to hide): on the same `key` (default the
   * node) the card only moves; on a new one it is rebuilt from `content(hover)`.
   */
  follow(hover, content, key = hover?.node) {
    if (hover === null) {
      __privateSet(this, _hover, null);
      this.hide();
      return;
    }
    const same = __privateGet(this, _hover) !== null && key === __privateGet(this, _key);
    __privateSet(this, _hover, hover);
    __privateSet(this, _key, key);
    __privateSet(this, _content, content);
    if (same) this.move(hover.clientX, hover.clientY);
    else this.show(content(hover), hover.clientX, hover.clientY);
  }
  /** Rebuild the card in place, if one is shown (what it describes has changed). */
  refresh() {
    const hover = __privateGet(this, _hover);
    if (hover !== null) this.show(__privateGet(this, _content).call(this, hover), hover.clientX, hover.clientY);
  }
  hide() {
    this.element.hidden = true;
  }
  get visible() {
    return !this.element.hidden;
  }
  destroy() {
    this.element.remove();
  }
};
_container = new WeakMap();
_hover = new WeakMap();
_key = new WeakMap();
_content = new WeakMap();
function tooltipTitle(text, remark = "") {
  const title = make("div", { class: "somnium-map__tooltip-title" }, text);
  if (remark) title.append(make("span", { class: "somnium-map__tooltip-muted" }, remark));
  return title;
}
var tooltipHeading = (text) => make("div", { class: "somnium-map__tooltip-heading" }, text);
function tooltipRow(label, value, className = "") {
  const row = make("div", { class: `somnium-map__tooltip-row${className ? ` ${className}` : ""}` });
  row.append(
    make("span", { class: "somnium-map__tooltip-key" }, label),
    make("span", { class: "somnium-map__tooltip-value" }, value)
  );
  return row;
}

// map_view.js
var LAYER_TRAITS = [
  "_layer_values",
  "_layer_codes",
  "_layer_info",
  "_layer_options",
  "_hit_counts",
  "color"
];
var HOVER_TRAITS = ["_feature_names", "_top_features", "_top_scores", "_top_title", "_top_format"];
var ANOMALY_TRAITS = ["anomalies_only", "_anomaly_counts", "_node_scales"];
var TRAITS = [...MAP_TRAITS, ...LAYER_TRAITS, ...HOVER_TRAITS, ...ANOMALY_TRAITS, "_details"];
var WRAP_NOTES = {
  cylindrical: "Cylindrical map: the left and right edges (dashed) join.",
  toroidal: "Toroidal map: left and right edges join, and so do top and bottom (dashed)."
};
async function render({ model, el }) {
  requireTraits(model, TRAITS, "MapView");
  const disposer = new Disposer();
  const array = (name) => decodeArray(model.get(name)).data;
  const selection = await LinkedSelection.of(model);
  disposer.add(() => selection.dispose());
  const canvas = make("div", { class: "somnium-map__canvas" });
  const map = new HexMap(canvas, { brushMode: model.get("brush_mode") });
  const layerChoice = new Choice({
    label: "Colour",
    className: "somnium-map__layer",
    ariaLabel: "Colour layer"
  });
  const selectAnomalies = make(
    "button",
    {
      type: "button",
      class: "somnium-map__select-anomalies",
      title: "Select every row above the anomaly threshold (their nodes, anomalies only)"
    },
    "Select anomalies"
  );
  const anomaliesOnly = make("input", { type: "checkbox", class: "somnium-map__anomalies-only" });
  const anomaliesOnlyLabel = make("label", {
    class: "somnium-toolbar__field",
    title: "selected_rows keeps only the rows above the anomaly threshold"
  });
  anomaliesOnlyLabel.append(anomaliesOnly, make("span", {}, "anomalies only"));
  const anomalyControls = make("span", { class: "somnium-map__anomalies", hidden: "" });
  anomalyControls.append(selectAnomalies, anomaliesOnlyLabel);
  const layout = [layerChoice.element, anomalyControls, "modes", "status", "clear"];
  const hint = "Click or drag to select";
  const frame = new ViewFrame({
    model,
    el,
    selection,
    block: "somnium-map",
    hint,
    layout,
    maps: () => [map]
  });
  const { root } = frame;
  const tooltip = new Tooltip(canvas);
  const colorbar = new ColorBar({ className: "somnium-map__colorbar", label: true, keys: true });
  const segmentLegend = new SegmentLegend();
  const categoryLegend = new CategoryLegend();
  const details = new DetailsPanel();
  const wrapNote = make("span", { class: "somnium-map__wrap-note" });
  const footer = make("div", { class: "somnium-map__footer" });
  footer.append(colorbar.element, categoryLegend.element, segmentLegend.element, wrapNote, details.element);
  root.append(frame.toolbar.element, canvas, footer);
  frame.focusOn(map.svg);
  let hits = new Uint32Array(0);
  let values = new Float32Array(0);
  let anomalies = new Uint32Array(0);
  let scales = new Float32Array(0);
  function drawGeometry() {
    const lattice = model.get("_lattice");
    map.setGeometry({ lattice, vertices: array("_cell_vertices"), centers: array("_cell_centers") });
    wrapNote.textContent = map.wrapKind ? WRAP_NOTES[map.wrapKind] : "";
    root.dataset.wrap = map.wrapKind ?? "flat";
    drawHits();
    drawSegments();
    drawAnomalies();
    drawLayer();
    frame.drawSelection();
  }
  function drawAnomalies() {
    anomalies = array("_anomaly_counts");
    scales = array("_node_scales");
    anomalyControls.hidden = anomalies.length !== map.nNodes;
    const only = Boolean(model.get("anomalies_only"));
    anomaliesOnly.checked = only;
    root.dataset.anomaliesOnly = String(only);
    tooltip.refresh();
  }
  function drawSegments() {
    map.setBoundaries(boundaryPath(array("_segment_edges")));
    segmentLegend.update(model.get("_segment_names"), model.get("_segment_colors"), array("_segment_codes"));
    root.dataset.segments = String(model.get("_segment_names").length);
  }
  function drawHits() {
    hits = array("_hit_counts");
    colorbar.setKeys({ empty: map.setEmpty(hits) });
  }
  function drawLayer() {
    values = array("_layer_values");
    const info = model.get("_layer_info");
    colorbar.hidden = Boolean(info.categorical);
    categoryLegend.hidden = true;
    if (info.categorical && Array.isArray(info.categories)) {
      const codes = array("_layer_codes");
      map.setColors(categoryFills(codes, info.colors ?? [], map.nNodes));
      categoryLegend.update(info.label, info.categories, info.colors ?? [], codes);
      root.dataset.layer = "categories";
    } else if (info.categorical) {
      map.setColors(segmentFills(array("_segment_codes"), model.get("_segment_colors"), map.nNodes));
      root.dataset.layer = "segments";
    } else {
      delete root.dataset.layer;
      const palette = info.palette ?? "sequential";
      const range = map.setValues(values, rangeFor(values, palette), palette);
      const format = (value) => formatValue(value, info.integer);
      colorbar.setPalette(palette);
      colorbar.setLabel(info.label);
      colorbar.setRange(range?.min, range?.max, format, palette === "diverging" ? 0 : void 0);
      colorbar.setKeys({ noData: Array.prototype.some.call(values, (value) => !Number.isFinite(value)) });
    }
    drawLayerChoice();
    tooltip.refresh();
  }
  function drawLayerChoice() {
    layerChoice.setOptions(model.get("_layer_options"), model.get("color"));
  }
  function tooltipLines({ node }) {
    const { cols } = model.get("_lattice");
    const info = model.get("_layer_info");
    const lines = [
      tooltipTitle(`Node ${node}`, ` · row ${Math.floor(node / cols)}, col ${node % cols}`),
      tooltipRow("Hits", hits.length === map.nNodes ? formatValue(hits[node], true) : "–")
    ];
    if (info.categorical && Array.isArray(info.categories)) {
      lines.push(tooltipRow(info.label, categoryText(info.categories, array("_layer_codes"), values, node)));
    } else if (info.categorical) {
      lines.push(
        tooltipRow("Segment", segmentOf(array("_segment_codes"), model.get("_segment_names"), node))
      );
    } else if (info.key !== "hits") {
      lines.push(tooltipRow(info.label, formatValue(values[node], info.integer)));
    }
    if (anomalies.length === map.nNodes) {
      const rows = hits.length === map.nNodes ? formatValue(hits[node], true) : "–";
      lines.push(tooltipRow("Anomalies", `${formatValue(anomalies[node], true)} of ${rows} rows`));
      if (scales.length === map.nNodes)
        lines.push(tooltipRow("Typical distance (training)", formatValue(scales[node])));
    }
    const { data: indices, shape } = decodeArray(model.get("_top_features"));
    const k = shape[1] ?? 0;
    const standouts = topFeatures(model.get("_feature_names"), indices, array("_top_scores"), k, node);
    if (standouts.length > 0) lines.push(tooltipHeading(model.get("_top_title")));
    const format = model.get("_top_format") === "r" ? signedR : sigma;
    for (const [name, score] of standouts) lines.push(tooltipRow(name, format(score)));
    return lines;
  }
  const queueLayer = batched(drawLayer);
  disposer.add(map.on("select", (nodes) => selection.commit(nodes)));
  disposer.add(map.on("hover", (hover) => tooltip.follow(hover, tooltipLines)));
  disposer.listen(layerChoice.select, "change", () => {
    model.set("color", layerChoice.value);
    model.save_changes();
  });
  disposer.listen(selectAnomalies, "click", () => {
    map.cancelGesture();
    selection.commit(nodesWithCounts(anomalies));
    model.send({ action: "select_anomalies" });
  });
  disposer.listen(anomaliesOnly, "change", () => {
    model.set("anomalies_only", anomaliesOnly.checked);
    model.save_changes();
    drawAnomalies();
  });
  disposer.onChange(model, GEOMETRY_TRAITS, drawGeometry);
  disposer.onChange(model, ["_hit_counts"], drawHits);
  disposer.onChange(model, ["_layer_values", "_layer_codes", "_layer_info"], queueLayer);
  disposer.onChange(model, ["_details"], () => details.update(model.get("_details")));
  disposer.onChange(model, HOVER_TRAITS, () => tooltip.refresh());
  disposer.onChange(model, ["_layer_options", "color"], drawLayerChoice);
  disposer.onChange(model, ANOMALY_TRAITS, drawAnomalies);
  disposer.onChange(model, SEGMENT_TRAITS, () => {
    drawSegments();
    queueLayer();
  });
  frame.drawBrushMode();
  drawGeometry();
  details.update(model.get("_details"));
  frame.ready();
  return () => {
    disposer.dispose();
    frame.dispose();
    map.destroy();
    tooltip.destroy();
  };
}
var map_view_default = { render };
export {
  map_view_default as default
};
