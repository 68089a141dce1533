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
  const range = asByteRange(data);
  if (range === null) return new Kind(0);
  if (range.byteLength % 4 !== 0) {
    throw new RangeError(`binary buffer of ${range.byteLength} bytes is not a whole number of 4-byte values`);
  }
  const length = range.byteLength / 4;
  if (LITTLE_ENDIAN && range.byteOffset % 4 === 0) {
    return new Kind(range.buffer, range.byteOffset, length);
  }
  const view = new DataView(range.buffer, range.byteOffset, range.byteLength);
  const out = new Kind(length);
  for (let i = 0; i < length; i++) out[i] = read(view, 4 * i);
  return out;
}
function toFloat32(data) {
  return decode(data, Float32Array, (view, offset) => view.getFloat32(offset, true));
}
function toUint32(data) {
  return decode(data, Uint32Array, (view, offset) => view.getUint32(offset, true));
}
function decodeArray(value) {
  if (value == null) return { data: new Float32Array(0), shape: [0] };
  const decoders = { float32: toFloat32, uint32: toUint32 };
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
var LUT_SIZE = 256;
function hex(channel) {
  return Math.round(channel).toString(16).padStart(2, "0");
}
function viridis(t) {
  const clamped = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0));
  const position = clamped * (VIRIDIS.length - 1);
  const low = Math.min(VIRIDIS.length - 2, Math.floor(position));
  const frac = position - low;
  const a = VIRIDIS[low];
  const b = VIRIDIS[low + 1];
  return `#${hex(a[0] + (b[0] - a[0]) * frac)}${hex(a[1] + (b[1] - a[1]) * frac)}${hex(a[2] + (b[2] - a[2]) * frac)}`;
}
var LUT = Array.from({ length: LUT_SIZE }, (_, i) => viridis(i / (LUT_SIZE - 1)));
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
function colorsFor(values, range = finiteRange(values)) {
  const out = new Array(values.length).fill(null);
  if (range === null) return out;
  const span = range.max - range.min;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    const t = span > 0 ? (v - range.min) / span : 0.5;
    out[i] = LUT[Math.min(LUT_SIZE - 1, Math.max(0, Math.round(t * (LUT_SIZE - 1))))];
  }
  return out;
}
function gradientCss() {
  const stops = VIRIDIS.map((_, i) => {
    const t = i / (VIRIDIS.length - 1);
    return `${viridis(t)} ${(100 * t).toFixed(1)}%`;
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
  add(cleanup) {
    __privateGet(this, _cleanups).push(cleanup);
  }
  dispose() {
    for (const cleanup of __privateGet(this, _cleanups).splice(0).reverse()) cleanup();
  }
};
_cleanups = new WeakMap();

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
var _handlers, _cleanups2, _nNodes, _paths, _cells, _centers, _viewBox, _selection, _flags, _hovered, _lastPointer, _frame, _drag, _brushMode, _HexMap_instances, listen_fn, emit_fn, propose_fn, nodeOf_fn, toLattice_fn, onPointerDown_fn, onPointerMove_fn, onFrame_fn, onPointerUp_fn, onPointerCancel_fn, onPointerLeave_fn, hover_fn, pointer_fn;
var HexMap = class {
  /**
   * @param {HTMLElement} container where the map's <svg> is appended
   * @param {{brushMode?: "rectangle" | "lasso", interactive?: boolean, label?: string}} options
   */
  constructor(container, { brushMode = "rectangle", interactive = true, label = "" } = {}) {
    __privateAdd(this, _HexMap_instances);
    __privateAdd(this, _handlers, { select: /* @__PURE__ */ new Set(), hover: /* @__PURE__ */ new Set() });
    __privateAdd(this, _cleanups2, []);
    __privateAdd(this, _nNodes, 0);
    __privateAdd(this, _paths, []);
    __privateAdd(this, _cells, []);
    __privateAdd(this, _centers, new Float32Array(0));
    __privateAdd(this, _viewBox, { x: 0, y: 0, width: 1, height: 1 });
    __privateAdd(this, _selection, []);
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
    this.svg.append(this.cellGroup, this.emptyMarks, this.wrapGroup);
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
    const handlers = __privateGet(this, _handlers)[event];
    if (!handlers) throw new Error(`HexMap has no "${event}" event`);
    handlers.add(handler);
    return () => handlers.delete(handler);
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
    const selection = __privateGet(this, _selection);
    __privateSet(this, _selection, []);
    this.setSelection(selection);
  }
  /** Colour the cells by value on the viridis scale over `range` (default: the values' own). */
  setValues(values, range = finiteRange(values)) {
    const fills = values.length === __privateGet(this, _nNodes) ? colorsFor(values, range) : new Array(__privateGet(this, _nNodes)).fill(null);
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
  /** Show `nodes` as selected (only the cells whose state changes are touched). */
  setSelection(nodes) {
    const next = normalizeSelection(nodes).filter((node) => node >= 0 && node < __privateGet(this, _nNodes));
    if (sameSelection(next, __privateGet(this, _selection)) && __privateGet(this, _flags).length === __privateGet(this, _nNodes)) return;
    const { flags, changed } = selectionChanges(__privateGet(this, _flags), next);
    for (const node of changed) {
      if (flags[node]) __privateGet(this, _cells)[node].setAttribute("data-selected", "true");
      else __privateGet(this, _cells)[node].removeAttribute("data-selected");
    }
    __privateSet(this, _flags, flags);
    __privateSet(this, _selection, next);
    const selected = next.map((node) => __privateGet(this, _paths)[node]).join("");
    this.dim.setAttribute("d", next.length > 0 ? `${rectanglePath(__privateGet(this, _viewBox))}${selected}` : "");
  }
  get selection() {
    return __privateGet(this, _selection).slice();
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
    for (const handlers of Object.values(__privateGet(this, _handlers))) handlers.clear();
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
_handlers = new WeakMap();
_cleanups2 = new WeakMap();
_nNodes = new WeakMap();
_paths = new WeakMap();
_cells = new WeakMap();
_centers = new WeakMap();
_viewBox = new WeakMap();
_selection = new WeakMap();
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
emit_fn = function(event, value) {
  for (const handler of __privateGet(this, _handlers)[event]) handler(value);
};
propose_fn = function(next) {
  if (!sameSelection(next, __privateGet(this, _selection))) __privateMethod(this, _HexMap_instances, emit_fn).call(this, "select", next);
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
    __privateMethod(this, _HexMap_instances, propose_fn).call(this, brushSelection(__privateGet(this, _selection), nodes, drag.additive));
  } else {
    __privateMethod(this, _HexMap_instances, propose_fn).call(this, clickSelection(__privateGet(this, _selection), drag.node, isToggle(event)));
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
    if (node !== null) __privateMethod(this, _HexMap_instances, emit_fn).call(this, "hover", { node, ...__privateMethod(this, _HexMap_instances, pointer_fn).call(this) });
    return;
  }
  __privateSet(this, _hovered, node);
  this.setHovered(node);
  __privateMethod(this, _HexMap_instances, emit_fn).call(this, "hover", node === null ? null : { node, ...__privateMethod(this, _HexMap_instances, pointer_fn).call(this) });
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
var _model, _handlers2, _onChange;
var _LinkedSelection = class _LinkedSelection {
  /** @param {{get: Function, set: Function, save_changes: Function, on: Function, off: Function}} selectionModel */
  constructor(selectionModel) {
    __privateAdd(this, _model);
    __privateAdd(this, _handlers2, /* @__PURE__ */ new Set());
    __privateAdd(this, _onChange, () => {
      const nodes = this.nodes;
      for (const handler of __privateGet(this, _handlers2)) handler(nodes);
    });
    __privateSet(this, _model, selectionModel);
    selectionModel.on("change:nodes", __privateGet(this, _onChange));
  }
  /**
   * Resolve the selection a view references through its `trait` (default "selection").
   * @returns {Promise<LinkedSelection>}
   */
  static async of(viewModel, trait = "selection") {
    const id = modelId(viewModel.get(trait));
    const selectionModel = await viewModel.widget_manager.get_model(id);
    return new _LinkedSelection(selectionModel);
  }
  /** The selected nodes, sorted and unique. */
  get nodes() {
    return normalizeSelection(__privateGet(this, _model).get("nodes") ?? []);
  }
  /** Call `handler(nodes)` on every change of the selection; returns the unsubscribe function. */
  subscribe(handler) {
    __privateGet(this, _handlers2).add(handler);
    return () => __privateGet(this, _handlers2).delete(handler);
  }
  /** Make `nodes` the selection; writes (and syncs) only if it differs. Returns whether it wrote. */
  commit(nodes) {
    const next = normalizeSelection(nodes);
    if (sameSelection(next, this.nodes)) return false;
    __privateGet(this, _model).set("nodes", next);
    __privateGet(this, _model).save_changes();
    return true;
  }
  /** Stop listening to the selection model (the model itself stays: other views share it). */
  dispose() {
    __privateGet(this, _handlers2).clear();
    __privateGet(this, _model).off("change:nodes", __privateGet(this, _onChange));
  }
};
_model = new WeakMap();
_handlers2 = new WeakMap();
_onChange = new WeakMap();
var LinkedSelection = _LinkedSelection;

// lib/tooltip.js
var _container;
var Tooltip = class {
  constructor(container) {
    __privateAdd(this, _container);
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
function tooltipRow(label, value) {
  const row = make("div", { class: "somnium-map__tooltip-row" });
  row.append(
    make("span", { class: "somnium-map__tooltip-key" }, label),
    make("span", { class: "somnium-map__tooltip-value" }, value)
  );
  return row;
}

// map_view.js
var WRAP_NOTES = {
  cylindrical: "Cylindrical map: the left and right edges (dashed) join.",
  toroidal: "Toroidal map: left and right edges join, and so do top and bottom (dashed)."
};
async function render({ model, el }) {
  const disposer = new Disposer();
  const onModel = (event, handler) => disposer.onModel(model, event, handler);
  const selection = await LinkedSelection.of(model);
  disposer.add(() => selection.dispose());
  const root = make("div", { class: "somnium-map", tabindex: "0", "data-ready": "false" });
  const toolbar = make("div", { class: "somnium-map__toolbar" });
  const layerLabel = make("label", { class: "somnium-map__field" });
  layerLabel.append(make("span", {}, "Colour"));
  const layerSelect = make("select", { class: "somnium-map__layer", "aria-label": "Colour layer" });
  layerLabel.append(layerSelect);
  const brushGroup = make("div", { class: "somnium-map__brush-modes", role: "group", "aria-label": "Brush" });
  const brushButtons = {
    rectangle: make(
      "button",
      { type: "button", "data-mode": "rectangle", title: "Drag to select a rectangle" },
      "Rectangle"
    ),
    lasso: make("button", { type: "button", "data-mode": "lasso", title: "Drag to draw a lasso" }, "Lasso")
  };
  brushGroup.append(brushButtons.rectangle, brushButtons.lasso);
  const status = make("span", { class: "somnium-map__status", "aria-live": "polite" });
  const clearButton = make(
    "button",
    { type: "button", class: "somnium-map__clear", title: "Clear the selection (Esc)" },
    "Clear"
  );
  toolbar.append(layerLabel, brushGroup, status, clearButton);
  const canvas = make("div", { class: "somnium-map__canvas" });
  const map = new HexMap(canvas, { brushMode: model.get("brush_mode") });
  const tooltip = new Tooltip(canvas);
  const footer = make("div", { class: "somnium-map__footer" });
  const colorbar = make("div", { class: "somnium-map__colorbar" });
  const colorbarLabel = make("span", { class: "somnium-map__colorbar-label" });
  const colorbarScale = make("div", { class: "somnium-map__colorbar-scale" });
  const colorbarRamp = make("div", { class: "somnium-map__colorbar-ramp" });
  colorbarRamp.style.background = gradientCss();
  const colorbarTicks = make("div", { class: "somnium-map__colorbar-ticks" });
  const tickMin = make("span", { class: "somnium-map__tick-min" });
  const tickMax = make("span", { class: "somnium-map__tick-max" });
  colorbarTicks.append(tickMin, tickMax);
  colorbarScale.append(colorbarRamp, colorbarTicks);
  const legend = make("span", { class: "somnium-map__legend" });
  const noDataKey = make("span", { class: "somnium-map__legend-item somnium-map__legend-item--nodata" });
  noDataKey.append(
    make("span", { class: "somnium-map__swatch somnium-map__swatch--nodata" }),
    make("span", {}, "no data")
  );
  const emptyKey = make("span", { class: "somnium-map__legend-item somnium-map__legend-item--empty" });
  emptyKey.append(
    make("span", { class: "somnium-map__swatch somnium-map__swatch--empty" }),
    make("span", {}, "empty node (no rows)")
  );
  legend.append(noDataKey, emptyKey);
  colorbar.append(colorbarLabel, colorbarScale, legend);
  const wrapNote = make("span", { class: "somnium-map__wrap-note" });
  footer.append(colorbar, wrapNote);
  root.append(toolbar, canvas, footer);
  el.append(root);
  let nNodes = 0;
  let hits = new Uint32Array(0);
  let values = new Float32Array(0);
  let hovered = null;
  function drawGeometry() {
    const lattice = model.get("_lattice");
    nNodes = lattice.n_nodes;
    map.setGeometry({
      lattice,
      vertices: decodeArray(model.get("_cell_vertices")).data,
      centers: decodeArray(model.get("_cell_centers")).data
    });
    wrapNote.textContent = map.wrapKind ? WRAP_NOTES[map.wrapKind] : "";
    root.dataset.wrap = map.wrapKind ?? "flat";
    drawHits();
    drawLayer();
    drawSelection();
  }
  function drawHits() {
    hits = decodeArray(model.get("_hit_counts")).data;
    emptyKey.hidden = !map.setEmpty(hits);
  }
  function drawLayer() {
    values = decodeArray(model.get("_layer_values")).data;
    const info = model.get("_layer_info");
    const range = map.setValues(values);
    noDataKey.hidden = !Array.prototype.some.call(values, (v) => !Number.isFinite(v));
    colorbarLabel.textContent = info.label;
    tickMin.textContent = range ? formatValue(range.min, info.integer) : "no data";
    tickMax.textContent = range ? formatValue(range.max, info.integer) : "";
    syncLayerControl();
    if (hovered !== null) showTooltip(hovered);
  }
  function syncLayerControl() {
    const options = model.get("_layer_options");
    const known = Array.from(layerSelect.options, (option) => option.value);
    if (known.length !== options.length || known.some((value, i) => value !== options[i][0])) {
      layerSelect.replaceChildren(
        ...options.map(([value, label]) => {
          const option = make("option", {}, label);
          option.value = value;
          return option;
        })
      );
    }
    layerSelect.value = model.get("color");
  }
  function drawSelection() {
    const nodes = selection.nodes;
    map.setSelection(nodes);
    const shown = map.selection.length;
    root.classList.toggle("somnium-map--has-selection", shown > 0);
    status.textContent = shown === 0 ? "Click or drag to select" : `${shown} node${shown === 1 ? "" : "s"} selected`;
    clearButton.disabled = shown === 0;
  }
  function drawBrushMode() {
    const mode = model.get("brush_mode");
    for (const [name, button] of Object.entries(brushButtons)) {
      button.setAttribute("aria-pressed", String(name === mode));
    }
    root.dataset.brushMode = mode;
    map.setBrushMode(mode);
  }
  function showTooltip(node, pointer = null) {
    const lattice = model.get("_lattice");
    const info = model.get("_layer_info");
    const lines = [];
    const title = make("div", { class: "somnium-map__tooltip-title" }, `Node ${node}`);
    title.append(
      make(
        "span",
        { class: "somnium-map__tooltip-muted" },
        ` · row ${Math.floor(node / lattice.cols)}, col ${node % lattice.cols}`
      )
    );
    lines.push(title);
    lines.push(tooltipRow("Hits", hits.length === nNodes ? formatValue(hits[node], true) : "–"));
    if (info.key !== "hits") lines.push(tooltipRow(info.label, formatValue(values[node], info.integer)));
    const standouts = topFeatures(node);
    if (standouts.length > 0) {
      lines.push(make("div", { class: "somnium-map__tooltip-heading" }, "Sets it apart (z across nodes)"));
      for (const [name, score] of standouts) {
        lines.push(tooltipRow(name, `${score >= 0 ? "+" : "−"}${Math.abs(score).toFixed(1)}σ`));
      }
    }
    const where = pointer ?? lastPointer;
    tooltip.show(lines, where.clientX, where.clientY);
  }
  function topFeatures(node) {
    const names = model.get("_feature_names");
    const { data: indices, shape } = decodeArray(model.get("_top_features"));
    const scores = decodeArray(model.get("_top_scores")).data;
    const k = shape[1] ?? 0;
    if (k === 0 || indices.length < (node + 1) * k) return [];
    const out = [];
    for (let j = 0; j < k; j++) {
      const score = scores[node * k + j];
      if (Number.isFinite(score) && score !== 0) out.push([names[indices[node * k + j]] ?? "?", score]);
    }
    return out;
  }
  let lastPointer = { clientX: 0, clientY: 0 };
  function onHover(hover) {
    if (hover === null) {
      hovered = null;
      tooltip.hide();
      return;
    }
    lastPointer = hover;
    if (hover.node === hovered) tooltip.move(hover.clientX, hover.clientY);
    else {
      hovered = hover.node;
      showTooltip(hover.node, hover);
    }
  }
  function onKeyDown(event) {
    if (event.key === "Escape") {
      map.cancelGesture();
      selection.commit([]);
      event.stopPropagation();
    }
  }
  function onLayerChange() {
    model.set("color", layerSelect.value);
    model.save_changes();
  }
  function onBrushButton(event) {
    model.set("brush_mode", event.currentTarget.dataset.mode);
    model.save_changes();
  }
  disposer.add(map.on("select", (nodes) => selection.commit(nodes)));
  disposer.add(map.on("hover", onHover));
  disposer.listen(map.svg, "pointerdown", () => root.focus({ preventScroll: true }));
  disposer.listen(root, "keydown", onKeyDown);
  disposer.listen(layerSelect, "change", onLayerChange);
  disposer.listen(clearButton, "click", () => selection.commit([]));
  for (const button of Object.values(brushButtons)) disposer.listen(button, "click", onBrushButton);
  onModel("change:_cell_vertices", drawGeometry);
  onModel("change:_cell_centers", drawGeometry);
  onModel("change:_lattice", drawGeometry);
  onModel("change:_hit_counts", drawHits);
  let layerQueued = false;
  const queueLayer = () => {
    if (layerQueued) return;
    layerQueued = true;
    queueMicrotask(() => {
      layerQueued = false;
      drawLayer();
    });
  };
  onModel("change:_layer_values", queueLayer);
  onModel("change:_layer_info", queueLayer);
  onModel("change:_layer_options", syncLayerControl);
  onModel("change:color", syncLayerControl);
  onModel("change:brush_mode", drawBrushMode);
  disposer.add(selection.subscribe(drawSelection));
  drawBrushMode();
  drawGeometry();
  root.setAttribute("data-ready", "true");
  return () => {
    disposer.dispose();
    map.destroy();
    tooltip.destroy();
    root.remove();
  };
}
var map_view_default = { render };
export {
  map_view_default as default
};
