// ComponentPlanes: a grid of small hex maps, one per feature, on the shared selection.
//
// Every plane is a HexMap (lib/hex_map.js) of the same lattice; a click, brush
// or lasso on any plane proposes a selection that goes to the shared Selection
// model exactly as on MapView, and every plane draws the selection from it.
//
// Test hooks: root class `somnium-planes` (data-ready="true" once drawn), one
// `.somnium-map` per plane with `data-feature="<name>"` and data-ready="true",
// cells with `data-neuron` / `data-selected` as on MapView.
// Feature names are written with textContent only.

import "./component_planes.css";
import { decodeArray } from "./lib/binary.js";
import { formatValue, gradientCss } from "./lib/colors.js";
import { Disposer, make } from "./lib/dom.js";
import { HexMap } from "./lib/hex_map.js";
import { LinkedSelection } from "./lib/linked_selection.js";
import { planeScales } from "./lib/planes.js";
import { Tooltip, tooltipRow } from "./lib/tooltip.js";

/**
 * The synced traits this module reads (see somnium/widgets/component_planes.py).
 * @typedef {object} ComponentPlanesModel
 * @property {object} _lattice
 * @property {object} _cell_vertices float32 (n_nodes, n_vertices, 2)
 * @property {object} _cell_centers float32 (n_nodes, 2)
 * @property {string[]} _feature_names in display order
 * @property {object} _values float32 (n_planes, n_nodes), input units
 * @property {boolean} shared_scale
 * @property {number} columns 0 = as many as fit
 * @property {"rectangle" | "lasso"} brush_mode
 * @property {string} selection "IPY_MODEL_<id>"
 */

async function render({ model, el }) {
  const disposer = new Disposer();
  const selection = await LinkedSelection.of(model);
  disposer.add(() => selection.dispose());

  const root = make("div", { class: "somnium-planes", tabindex: "0", "data-ready": "false" });
  const toolbar = make("div", { class: "somnium-planes__toolbar" });
  const brushGroup = make("div", { class: "somnium-map__brush-modes", role: "group", "aria-label": "Brush" });
  const brushButtons = {
    rectangle: make("button", { type: "button", "data-mode": "rectangle" }, "Rectangle"),
    lasso: make("button", { type: "button", "data-mode": "lasso" }, "Lasso"),
  };
  brushGroup.append(brushButtons.rectangle, brushButtons.lasso);
  const status = make("span", { class: "somnium-planes__status", "aria-live": "polite" });
  const clearButton = make("button", { type: "button", class: "somnium-planes__clear" }, "Clear");
  toolbar.append(status, brushGroup, clearButton);
  const grid = make("div", { class: "somnium-planes__grid" });
  root.append(toolbar, grid);
  el.append(root);
  const tooltip = new Tooltip(root);

  /** @type {{element: HTMLElement, map: HexMap, tickMin: HTMLElement, tickMax: HTMLElement}[]} */
  let planes = [];
  let planeValues = [];
  let hovered = null;

  function build() {
    for (const plane of planes) plane.map.destroy();
    const lattice = model.get("_lattice");
    const names = model.get("_feature_names");
    const vertices = decodeArray(model.get("_cell_vertices")).data;
    const centers = decodeArray(model.get("_cell_centers")).data;
    const fragment = document.createDocumentFragment();
    let paths = null;
    planes = names.map((name, index) => {
      const element = make("div", { class: "somnium-map somnium-planes__plane", "data-ready": "false" });
      element.dataset.feature = name;
      element.dataset.plane = String(index);
      const title = make("div", { class: "somnium-planes__title", title: name }, name);
      const canvas = make("div", { class: "somnium-map__canvas" });
      const map = new HexMap(canvas, {
        brushMode: model.get("brush_mode"),
        label: `Component plane: ${name}`,
      });
      map.setGeometry({ lattice, vertices, centers, paths });
      paths = map.paths; // one path computation shared by every plane
      const bar = make("div", { class: "somnium-planes__colorbar" });
      const ramp = make("div", { class: "somnium-map__colorbar-ramp" });
      ramp.style.background = gradientCss();
      const ticks = make("div", { class: "somnium-map__colorbar-ticks" });
      const tickMin = make("span", { class: "somnium-map__tick-min" });
      const tickMax = make("span", { class: "somnium-map__tick-max" });
      ticks.append(tickMin, tickMax);
      bar.append(ramp, ticks);
      element.append(title, canvas, bar);
      fragment.append(element);
      disposer.add(map.on("select", (nodes) => selection.commit(nodes)));
      disposer.add(map.on("hover", (hover) => onHover(index, hover)));
      return { element, map, tickMin, tickMax };
    });
    grid.replaceChildren(fragment);
    root.dataset.wrap = planes[0]?.map.wrapKind ?? "flat";
    drawColumns();
    drawValues();
    drawSelection();
    for (const plane of planes) plane.element.setAttribute("data-ready", "true");
  }

  function drawValues() {
    const { data } = decodeArray(model.get("_values"));
    const shared = model.get("shared_scale");
    const { colorValues, ranges } = planeScales(data, planes.length, shared);
    const nNodes = planes.length > 0 ? data.length / planes.length : 0;
    planeValues = planes.map((_, p) => data.subarray(p * nNodes, (p + 1) * nNodes));
    planes.forEach((plane, p) => {
      const range = plane.map.setValues(colorValues[p], ranges[p]);
      const format = (value) =>
        shared ? `${value >= 0 ? "+" : "−"}${Math.abs(value).toFixed(1)}σ` : formatValue(value);
      plane.tickMin.textContent = range ? format(range.min) : "no data";
      plane.tickMax.textContent = range ? format(range.max) : "";
    });
    root.dataset.scale = shared ? "shared" : "own";
    if (hovered !== null) showTooltip(hovered.plane, hovered);
  }

  function drawColumns() {
    const columns = model.get("columns");
    grid.style.gridTemplateColumns = columns > 0 ? `repeat(${columns}, minmax(0, 1fr))` : "";
  }

  function drawSelection() {
    const nodes = selection.nodes;
    for (const plane of planes) plane.map.setSelection(nodes);
    const shown = planes[0]?.map.selection.length ?? 0;
    root.classList.toggle("somnium-planes--has-selection", shown > 0);
    status.textContent =
      shown === 0
        ? "Click or drag on any plane to select"
        : `${shown} node${shown === 1 ? "" : "s"} selected`;
    clearButton.disabled = shown === 0;
  }

  function drawBrushMode() {
    const mode = model.get("brush_mode");
    for (const [name, button] of Object.entries(brushButtons)) {
      button.setAttribute("aria-pressed", String(name === mode));
    }
    for (const plane of planes) plane.map.setBrushMode(mode);
  }

  // ------------------------------------------------------------------ hover: every feature of the node
  function showTooltip(planeIndex, { node, clientX, clientY }) {
    const names = model.get("_feature_names");
    const lines = [make("div", { class: "somnium-map__tooltip-title" }, `Node ${node}`)];
    names.forEach((name, p) => {
      const row = tooltipRow(name, formatValue(planeValues[p]?.[node]));
      if (p === planeIndex) row.classList.add("somnium-planes__tooltip-current");
      lines.push(row);
    });
    tooltip.show(lines, clientX, clientY);
  }

  function onHover(planeIndex, hover) {
    const node = hover?.node ?? null;
    if (hovered?.node !== node) {
      for (const [p, plane] of planes.entries()) if (p !== planeIndex) plane.map.setHovered(node);
    }
    if (hover === null) {
      hovered = null;
      tooltip.hide();
      return;
    }
    if (hovered?.node === node && hovered.plane === planeIndex) tooltip.move(hover.clientX, hover.clientY);
    else showTooltip(planeIndex, hover);
    hovered = { plane: planeIndex, ...hover };
  }

  // ------------------------------------------------------------------ wiring
  disposer.listen(root, "keydown", (event) => {
    if (event.key !== "Escape") return;
    for (const plane of planes) plane.map.cancelGesture();
    selection.commit([]);
    event.stopPropagation();
  });
  disposer.listen(grid, "pointerdown", () => root.focus({ preventScroll: true }));
  disposer.listen(clearButton, "click", () => selection.commit([]));
  for (const button of Object.values(brushButtons)) {
    disposer.listen(button, "click", (event) => {
      model.set("brush_mode", event.currentTarget.dataset.mode);
      model.save_changes();
    });
  }
  for (const name of ["_lattice", "_cell_vertices", "_cell_centers", "_feature_names"]) {
    disposer.onModel(model, `change:${name}`, build);
  }
  disposer.onModel(model, "change:_values", drawValues);
  disposer.onModel(model, "change:shared_scale", drawValues);
  disposer.onModel(model, "change:columns", drawColumns);
  disposer.onModel(model, "change:brush_mode", drawBrushMode);
  disposer.add(selection.subscribe(drawSelection));

  build();
  drawBrushMode();
  root.setAttribute("data-ready", "true");

  return () => {
    disposer.dispose();
    for (const plane of planes) plane.map.destroy();
    tooltip.destroy();
    root.remove();
  };
}

export default { render };
