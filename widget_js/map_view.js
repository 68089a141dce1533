// MapView: the interactive hex map of a fitted Somnium SOM (anywidget module).
//
// Python sends the geometry (cell polygons and centres from the model's
// lattice) and the colour layer as binary float32 buffers; the browser draws
// one SVG <path> per cell and sends back only the selection (node indices).
//
// Test hooks (relied upon by the browser and JupyterLab tests):
//   root element class `somnium-map`, `data-ready="true"` once drawn,
//   every cell carries `data-neuron="<index>"`, selected cells `data-selected="true"`.
//
// Everything user-provided (feature names, layer labels) is written with
// textContent, never as HTML.

import "./map_view.css";
import { toFloat32, toUint32 } from "./lib/binary.js";
import { colorsFor, finiteRange, formatValue, gradientCss } from "./lib/colors.js";
import {
  cellPaths,
  clientToLattice,
  nodesInPolygon,
  nodesInRectangle,
  polygonPath,
  viewBoxFor,
} from "./lib/geometry.js";
import { brushSelection, clickSelection, normalizeSelection, sameSelection } from "./lib/selection.js";

const SVG_NS = "http://www.w3.org/2000/svg";
const DRAG_THRESHOLD_PX = 4;
const WRAP_NOTES = {
  cylindrical: "Cylindrical map: the left and right edges (dashed) join.",
  toroidal: "Toroidal map: left and right edges join, and so do top and bottom (dashed).",
};

/** Create an element (HTML or SVG) with attributes and optional text content. */
function make(tag, attributes = {}, text = null, namespace = null) {
  const element = namespace ? document.createElementNS(namespace, tag) : document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  if (text !== null) element.textContent = text;
  return element;
}

const svg = (tag, attributes = {}) => make(tag, attributes, null, SVG_NS);

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

  // ------------------------------------------------------------------ DOM skeleton
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
      "Rectangle",
    ),
    lasso: make("button", { type: "button", "data-mode": "lasso", title: "Drag to draw a lasso" }, "Lasso"),
  };
  brushGroup.append(brushButtons.rectangle, brushButtons.lasso);
  const status = make("span", { class: "somnium-map__status", "aria-live": "polite" });
  const clearButton = make(
    "button",
    { type: "button", class: "somnium-map__clear", title: "Clear the selection (Esc)" },
    "Clear",
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
    make("span", {}, "no data"),
  );
  const emptyKey = make("span", { class: "somnium-map__legend-item somnium-map__legend-item--empty" });
  emptyKey.append(
    make("span", { class: "somnium-map__swatch somnium-map__swatch--empty" }),
    make("span", {}, "empty node (no rows)"),
  );
  legend.append(noDataKey, emptyKey);
  colorbar.append(colorbarLabel, colorbarScale, legend);
  const wrapNote = make("span", { class: "somnium-map__wrap-note" });
  footer.append(colorbar, wrapNote);
  root.append(toolbar, canvas, footer);
  el.append(root);

  // ------------------------------------------------------------------ state
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

  // ------------------------------------------------------------------ drawing
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

    // One DOM build: every cell into a fragment, attached once; listeners
    // live on the root (event delegation), not on the cells.
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
      ...lines.map(([x1, y1, x2, y2]) => svg("line", { x1, y1, x2, y2, class: "somnium-map__wrap-line" })),
    );
    const kind = lattice.wraps_y ? "toroidal" : lattice.wraps_x ? "cylindrical" : null;
    wrapNote.textContent = kind ? WRAP_NOTES[kind] : "";
    root.dataset.wrap = kind ?? "flat";
  }

  function drawHits() {
    hits = toUint32(model.get("hit_counts"));
    // Empty nodes get a small ring, all drawn as one path, on every layer.
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
        }),
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
    status.textContent =
      next.length === 0
        ? "Click or drag to select"
        : `${next.length} node${next.length === 1 ? "" : "s"} selected`;
    clearButton.disabled = next.length === 0;
  }

  function drawBrushMode() {
    const mode = model.get("brush_mode") ?? "rectangle";
    for (const [name, button] of Object.entries(brushButtons)) {
      button.setAttribute("aria-pressed", String(name === mode));
    }
    root.dataset.brushMode = mode;
  }

  // ------------------------------------------------------------------ tooltip
  function showTooltip(node) {
    const lattice = model.get("lattice") ?? {};
    const info = model.get("layer_info") ?? {};
    const lines = [];
    const title = make("div", { class: "somnium-map__tooltip-title" }, `Node ${node}`);
    title.append(
      make(
        "span",
        { class: "somnium-map__tooltip-muted" },
        ` · row ${Math.floor(node / lattice.cols)}, col ${node % lattice.cols}`,
      ),
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
      make("span", { class: "somnium-map__tooltip-value" }, value),
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

  // ------------------------------------------------------------------ interaction
  const nodeOf = (target) => {
    const value = target instanceof Element ? target.getAttribute("data-neuron") : null;
    return value === null ? null : Number(value);
  };
  const toLattice = (event) =>
    clientToLattice(event.clientX, event.clientY, map.getBoundingClientRect(), viewBox);
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
      brushing: false,
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
      [x0, y1],
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
      const nodes =
        finished.mode === "lasso"
          ? nodesInPolygon(centers, [...finished.points, end])
          : nodesInRectangle(centers, finished.points[0], end);
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
  // Python sends layer_values and layer_info together: recolour once.
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

export default { render };
