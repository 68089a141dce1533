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

// map_view.js
var SVG_NS = "http://www.w3.org/2000/svg";
var DRAG_THRESHOLD_PX = 4;
var WRAP_NOTES = {
  cylindrical: "Cylindrical map: the left and right edges (dashed) join.",
  toroidal: "Toroidal map: left and right edges join, and so do top and bottom (dashed)."
};
function make(tag, attributes = {}, text = null, namespace = null) {
  const element = namespace ? document.createElementNS(namespace, tag) : document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  if (text !== null) element.textContent = text;
  return element;
}
var svg = (tag, attributes = {}) => make(tag, attributes, null, SVG_NS);
function render({ model, el }) {
  const cleanups = [];
  const listen = (target, type, handler, options) => {
    target.addEventListener(type, handler, options);
    cleanups.push(() => target.removeEventListener(type, handler, options));
  };
  const onModel = (event, handler) => {
    model.on(event, handler);
    cleanups.push(() => model.off(event, handler));
  };
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
  const map = svg("svg", { class: "somnium-map__svg", preserveAspectRatio: "xMidYMid meet", role: "img" });
  const cellGroup = svg("g", { class: "somnium-map__cells" });
  const emptyMarks = svg("path", { class: "somnium-map__empty-marks" });
  const wrapGroup = svg("g", { class: "somnium-map__wrap" });
  const selectionOutline = svg("path", { class: "somnium-map__selection-outline" });
  const hoverOutline = svg("path", { class: "somnium-map__hover-outline" });
  const brushShape = svg("path", { class: "somnium-map__brush-shape" });
  map.append(cellGroup, emptyMarks, wrapGroup, selectionOutline, hoverOutline, brushShape);
  const tooltip = make("div", { class: "somnium-map__tooltip", role: "tooltip", hidden: "" });
  canvas.append(map, tooltip);
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
  let paths = [];
  let cells = [];
  let centers = new Float32Array(0);
  let hits = new Uint32Array(0);
  let values = new Float32Array(0);
  let viewBox = { x: 0, y: 0, width: 1, height: 1 };
  let selection = [];
  let selectedFlags = new Uint8Array(0);
  let hovered = null;
  let lastPointer = null;
  let hoverFrame = 0;
  let drag = null;
  const selectionFromModel = () => normalizeSelection(model.get("selected") ?? []);
  function drawGeometry() {
    const lattice = model.get("lattice") ?? {};
    nNodes = lattice.n_nodes ?? 0;
    const vertices = toFloat32(model.get("cell_vertices"));
    centers = toFloat32(model.get("cell_centers"));
    paths = nNodes > 0 ? cellPaths(vertices, nNodes, lattice.n_vertices) : [];
    viewBox = viewBoxFor(lattice.extent ?? [0, 1, 0, 1], lattice.wraps_x || lattice.wraps_y ? 0.45 : 0.25);
    map.setAttribute("viewBox", `${viewBox.x} ${viewBox.y} ${viewBox.width} ${viewBox.height}`);
    map.style.aspectRatio = `${viewBox.width} / ${viewBox.height}`;
    map.setAttribute("aria-label", `${lattice.rows} × ${lattice.cols} ${lattice.name ?? ""} map`);
    const fragment = document.createDocumentFragment();
    cells = new Array(nNodes);
    for (let node = 0; node < nNodes; node++) {
      const cell = document.createElementNS(SVG_NS, "path");
      cell.setAttribute("d", paths[node]);
      cell.setAttribute("class", "somnium-map__cell");
      cell.setAttribute("data-neuron", String(node));
      cells[node] = cell;
      fragment.append(cell);
    }
    cellGroup.replaceChildren(fragment);
    selectedFlags = new Uint8Array(nNodes);
    selection = [];
    drawWrapMarks(lattice);
    drawHits();
    drawLayer();
    drawSelection();
  }
  function drawWrapMarks(lattice) {
    const [xmin, xmax, ymin, ymax] = lattice.extent ?? [0, 1, 0, 1];
    const lines = [];
    if (lattice.wraps_x) lines.push([xmin, ymin, xmin, ymax], [xmax, ymin, xmax, ymax]);
    if (lattice.wraps_y) lines.push([xmin, ymin, xmax, ymin], [xmin, ymax, xmax, ymax]);
    wrapGroup.replaceChildren(
      ...lines.map(([x1, y1, x2, y2]) => svg("line", { x1, y1, x2, y2, class: "somnium-map__wrap-line" }))
    );
    const kind = lattice.wraps_y ? "toroidal" : lattice.wraps_x ? "cylindrical" : null;
    wrapNote.textContent = kind ? WRAP_NOTES[kind] : "";
    root.dataset.wrap = kind ?? "flat";
  }
  function drawHits() {
    hits = toUint32(model.get("hit_counts"));
    const radius = 0.12;
    let d = "";
    for (let node = 0; node < nNodes; node++) {
      if (hits.length === nNodes && hits[node] === 0) {
        const x = centers[2 * node];
        const y = centers[2 * node + 1];
        d += `M${(x - radius).toFixed(3)} ${y.toFixed(3)}a${radius} ${radius} 0 1 0 ${2 * radius} 0a${radius} ${radius} 0 1 0 ${-2 * radius} 0`;
        cells[node].setAttribute("data-empty", "true");
      } else {
        cells[node]?.removeAttribute("data-empty");
      }
    }
    emptyMarks.setAttribute("d", d);
    emptyKey.hidden = d === "";
  }
  function drawLayer() {
    values = toFloat32(model.get("layer_values"));
    const info = model.get("layer_info") ?? {};
    const range = values.length === nNodes ? finiteRange(values) : null;
    const fills = values.length === nNodes ? colorsFor(values, range) : new Array(nNodes).fill(null);
    for (let node = 0; node < nNodes; node++) {
      const fill = fills[node];
      if (fill === null) {
        cells[node].setAttribute("data-novalue", "true");
        cells[node].removeAttribute("fill");
      } else {
        cells[node].removeAttribute("data-novalue");
        cells[node].setAttribute("fill", fill);
      }
    }
    noDataKey.hidden = !fills.includes(null);
    colorbarLabel.textContent = info.label ?? "";
    tickMin.textContent = range ? formatValue(range.min, info.integer) : "no data";
    tickMax.textContent = range ? formatValue(range.max, info.integer) : "";
    syncLayerControl();
    if (hovered !== null) showTooltip(hovered);
  }
  function syncLayerControl() {
    const options = model.get("layer_options") ?? [];
    const current = model.get("color");
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
    layerSelect.value = current;
  }
  function drawSelection() {
    const next = selectionFromModel().filter((node) => node >= 0 && node < nNodes);
    const flags = new Uint8Array(nNodes);
    for (const node of next) flags[node] = 1;
    for (let node = 0; node < nNodes; node++) {
      if (flags[node] === selectedFlags[node]) continue;
      if (flags[node]) cells[node].setAttribute("data-selected", "true");
      else cells[node].removeAttribute("data-selected");
    }
    selectedFlags = flags;
    selection = next;
    selectionOutline.setAttribute("d", next.map((node) => paths[node]).join(""));
    root.classList.toggle("somnium-map--has-selection", next.length > 0);
    status.textContent = next.length === 0 ? "Click or drag to select" : `${next.length} node${next.length === 1 ? "" : "s"} selected`;
    clearButton.disabled = next.length === 0;
  }
  function drawBrushMode() {
    const mode = model.get("brush_mode") ?? "rectangle";
    for (const [name, button] of Object.entries(brushButtons)) {
      button.setAttribute("aria-pressed", String(name === mode));
    }
    root.dataset.brushMode = mode;
  }
  function showTooltip(node) {
    const lattice = model.get("lattice") ?? {};
    const info = model.get("layer_info") ?? {};
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
    if (info.key !== "hits") {
      lines.push(tooltipRow(info.label ?? "value", formatValue(values[node], info.integer)));
    }
    const standouts = topFeatures(node);
    if (standouts.length > 0) {
      lines.push(make("div", { class: "somnium-map__tooltip-heading" }, "Sets it apart (z across nodes)"));
      for (const [name, score] of standouts) {
        lines.push(tooltipRow(name, `${score >= 0 ? "+" : "−"}${Math.abs(score).toFixed(1)}σ`));
      }
    }
    tooltip.replaceChildren(...lines);
    tooltip.hidden = false;
    positionTooltip();
  }
  function tooltipRow(label, value) {
    const row = make("div", { class: "somnium-map__tooltip-row" });
    row.append(
      make("span", { class: "somnium-map__tooltip-key" }, label),
      make("span", { class: "somnium-map__tooltip-value" }, value)
    );
    return row;
  }
  function topFeatures(node) {
    const names = model.get("feature_names") ?? [];
    const k = model.get("top_k") ?? 0;
    const indices = toUint32(model.get("top_features"));
    const scores = toFloat32(model.get("top_scores"));
    if (k === 0 || indices.length < (node + 1) * k) return [];
    const out = [];
    for (let j = 0; j < k; j++) {
      const score = scores[node * k + j];
      if (Number.isFinite(score) && score !== 0) out.push([names[indices[node * k + j]] ?? "?", score]);
    }
    return out;
  }
  function positionTooltip() {
    if (!lastPointer) return;
    const box = canvas.getBoundingClientRect();
    const x = lastPointer.clientX - box.left;
    const y = lastPointer.clientY - box.top;
    const width = tooltip.offsetWidth;
    const height = tooltip.offsetHeight;
    const left = x + 14 + width > box.width ? Math.max(0, x - 14 - width) : x + 14;
    const top = y + 14 + height > box.height ? Math.max(0, y - 14 - height) : y + 14;
    tooltip.style.transform = `translate(${left}px, ${top}px)`;
  }
  function setHovered(node) {
    if (node === hovered) {
      if (node !== null) positionTooltip();
      return;
    }
    hovered = node;
    if (node === null) {
      tooltip.hidden = true;
      hoverOutline.setAttribute("d", "");
      return;
    }
    hoverOutline.setAttribute("d", paths[node]);
    showTooltip(node);
  }
  const nodeOf = (target) => {
    const value = target instanceof Element ? target.getAttribute("data-neuron") : null;
    return value === null ? null : Number(value);
  };
  const toLattice = (event) => clientToLattice(event.clientX, event.clientY, map.getBoundingClientRect(), viewBox);
  const isToggle = (event) => event.shiftKey || event.ctrlKey || event.metaKey;
  function commit(next) {
    if (sameSelection(next, selection)) return;
    model.set("selected", next);
    model.save_changes();
  }
  function onPointerDown(event) {
    if (event.button !== 0) return;
    root.focus({ preventScroll: true });
    drag = {
      pointerId: event.pointerId,
      startX: event.clientX,
      startY: event.clientY,
      node: nodeOf(event.target),
      additive: isToggle(event),
      mode: model.get("brush_mode") ?? "rectangle",
      points: [toLattice(event)],
      brushing: false
    };
    map.setPointerCapture?.(event.pointerId);
    event.preventDefault();
  }
  function onPointerMove(event) {
    lastPointer = { clientX: event.clientX, clientY: event.clientY, target: event.target };
    if (drag && drag.pointerId === event.pointerId) {
      const moved = Math.hypot(event.clientX - drag.startX, event.clientY - drag.startY);
      if (!drag.brushing && moved >= DRAG_THRESHOLD_PX) {
        drag.brushing = true;
        setHovered(null);
        root.classList.add("somnium-map--brushing");
      }
      if (drag.brushing) {
        const point = toLattice(event);
        if (drag.mode === "lasso") drag.points.push(point);
        else drag.points = [drag.points[0], point];
      }
    }
    if (!hoverFrame) hoverFrame = requestAnimationFrame(onFrame);
  }
  function onFrame() {
    hoverFrame = 0;
    if (drag?.brushing) {
      brushShape.setAttribute("d", brushPath(drag));
      return;
    }
    if (lastPointer) setHovered(nodeOf(lastPointer.target));
  }
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
  function onPointerUp(event) {
    if (!drag || drag.pointerId !== event.pointerId) return;
    const finished = drag;
    drag = null;
    map.releasePointerCapture?.(event.pointerId);
    root.classList.remove("somnium-map--brushing");
    brushShape.setAttribute("d", "");
    if (finished.brushing) {
      const end = toLattice(event);
      const nodes = finished.mode === "lasso" ? nodesInPolygon(centers, [...finished.points, end]) : nodesInRectangle(centers, finished.points[0], end);
      commit(brushSelection(selection, nodes, finished.additive));
    } else {
      commit(clickSelection(selection, finished.node, isToggle(event)));
    }
  }
  function onPointerCancel() {
    drag = null;
    brushShape.setAttribute("d", "");
    root.classList.remove("somnium-map--brushing");
  }
  function onPointerLeave() {
    lastPointer = null;
    if (!drag) setHovered(null);
  }
  function onKeyDown(event) {
    if (event.key === "Escape") {
      if (drag) onPointerCancel();
      commit([]);
      event.stopPropagation();
    }
  }
  function onLayerChange() {
    model.set("color", layerSelect.value);
    model.save_changes();
  }
  function onBrushButton(event) {
    const mode = event.currentTarget.dataset.mode;
    model.set("brush_mode", mode);
    model.save_changes();
  }
  listen(map, "pointerdown", onPointerDown);
  listen(map, "pointermove", onPointerMove);
  listen(map, "pointerup", onPointerUp);
  listen(map, "pointercancel", onPointerCancel);
  listen(map, "pointerleave", onPointerLeave);
  listen(root, "keydown", onKeyDown);
  listen(layerSelect, "change", onLayerChange);
  listen(clearButton, "click", () => commit([]));
  for (const button of Object.values(brushButtons)) listen(button, "click", onBrushButton);
  onModel("change:cell_vertices", drawGeometry);
  onModel("change:cell_centers", drawGeometry);
  onModel("change:lattice", drawGeometry);
  onModel("change:hit_counts", drawHits);
  let layerQueued = false;
  const queueLayer = () => {
    if (layerQueued) return;
    layerQueued = true;
    queueMicrotask(() => {
      layerQueued = false;
      drawLayer();
    });
  };
  onModel("change:layer_values", queueLayer);
  onModel("change:layer_info", queueLayer);
  onModel("change:layer_options", syncLayerControl);
  onModel("change:color", syncLayerControl);
  onModel("change:selected", drawSelection);
  onModel("change:brush_mode", drawBrushMode);
  drawBrushMode();
  drawGeometry();
  root.setAttribute("data-ready", "true");
  return () => {
    if (hoverFrame) cancelAnimationFrame(hoverFrame);
    for (const cleanup of cleanups) cleanup();
    root.remove();
  };
}
var map_view_default = { render };
export {
  map_view_default as default
};
