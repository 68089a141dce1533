// MapView: the interactive hex map of a fitted Somnium SOM (anywidget module).
//
// Python sends the geometry (cell polygons and centres from the model's
// lattice) and the colour layer as binary float32 arrays; the map is drawn by
// the shared HexMap component, and the selection lives in the shared
// Selection model (lib/linked_selection.js), so every view given the same
// selection shows and edits the same nodes.
//
// Test hooks (relied upon by the browser and JupyterLab tests):
//   root element class `somnium-map`, `data-ready="true"` once drawn,
//   every cell carries `data-neuron="<index>"`, selected cells `data-selected="true"`.
//
// Everything user-provided (feature names, layer labels) is written with
// textContent, never as HTML.

import "./map_view.css";
import { decodeArray } from "./lib/binary.js";
import { formatValue, gradientCss } from "./lib/colors.js";
import { Disposer, make } from "./lib/dom.js";
import { HexMap } from "./lib/hex_map.js";
import { LinkedSelection } from "./lib/linked_selection.js";
import { Tooltip, tooltipRow } from "./lib/tooltip.js";

const WRAP_NOTES = {
  cylindrical: "Cylindrical map: the left and right edges (dashed) join.",
  toroidal: "Toroidal map: left and right edges join, and so do top and bottom (dashed).",
};

/**
 * The synced traits this module reads (see somnium/widgets/map_view.py).
 * @typedef {object} MapViewModel
 * @property {object} _lattice rows, cols, name, n_nodes, n_vertices, extent, wraps_x, wraps_y
 * @property {object} _cell_vertices float32 (n_nodes, n_vertices, 2)
 * @property {object} _cell_centers float32 (n_nodes, 2)
 * @property {object} _layer_values float32 (n_nodes,)
 * @property {{key: string, label: string, integer: boolean}} _layer_info
 * @property {[string, string][]} _layer_options
 * @property {object} _hit_counts uint32 (n_nodes,) or empty
 * @property {string[]} _feature_names
 * @property {object} _top_features uint32 (n_nodes, top_k)
 * @property {object} _top_scores float32 (n_nodes, top_k)
 * @property {string} color
 * @property {"rectangle" | "lasso"} brush_mode
 * @property {string} selection "IPY_MODEL_<id>" of the shared Selection
 */

async function render({ model, el }) {
  const disposer = new Disposer();
  const onModel = (event, handler) => disposer.onModel(model, event, handler);
  const selection = await LinkedSelection.of(model);
  disposer.add(() => selection.dispose());

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
  let hits = new Uint32Array(0);
  let values = new Float32Array(0);
  let hovered = null;

  // ------------------------------------------------------------------ drawing
  function drawGeometry() {
    const lattice = model.get("_lattice");
    nNodes = lattice.n_nodes;
    map.setGeometry({
      lattice,
      vertices: decodeArray(model.get("_cell_vertices")).data,
      centers: decodeArray(model.get("_cell_centers")).data,
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
        }),
      );
    }
    layerSelect.value = model.get("color");
  }

  function drawSelection() {
    const nodes = selection.nodes;
    map.setSelection(nodes);
    const shown = map.selection.length;
    root.classList.toggle("somnium-map--has-selection", shown > 0);
    status.textContent =
      shown === 0 ? "Click or drag to select" : `${shown} node${shown === 1 ? "" : "s"} selected`;
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

  // ------------------------------------------------------------------ tooltip
  function showTooltip(node, pointer = null) {
    const lattice = model.get("_lattice");
    const info = model.get("_layer_info");
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

  // ------------------------------------------------------------------ interaction
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
  // Python sends _layer_values and _layer_info together: recolour once.
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

export default { render };
