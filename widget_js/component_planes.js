// ComponentPlanes: a grid of small hex maps, one per feature, on the shared selection.
//
// Wiring only: every plane is a HexMap (lib/hex_map.js) of the same lattice with a compact
// ColorBar (lib/colorbar.js); the frame and its toolbar are lib/frame.js.  A click, brush or lasso
// on any plane proposes a selection that goes to the shared Selection model exactly as on
// MapView, and every plane draws the selection from it.
//
// Test hooks: root class `somnium-planes` (data-ready="true" once drawn), one `.somnium-map`
// per plane with `data-feature="<name>"` and data-ready="true", cells with `data-neuron` /
// `data-selected` as on MapView; a plane in a feature group has `data-group="<index>"`, framed
// (`.somnium-planes__plane--grouped`) when its group has a colour.  Feature names are written with
// textContent only.

import "./component_planes.css";
import { decodeArray } from "./lib/binary.js";
import { ColorBar, SegmentLegend } from "./lib/colorbar.js";
import { formatValue, sigma } from "./lib/colors.js";
import { Disposer, make } from "./lib/dom.js";
import { ViewFrame } from "./lib/frame.js";
import { HexMap } from "./lib/hex_map.js";
import { LinkedSelection } from "./lib/linked_selection.js";
import { GEOMETRY_TRAITS, MAP_TRAITS, requireTraits, SEGMENT_TRAITS } from "./lib/model.js";
import { planeScales } from "./lib/planes.js";
import { boundaryPath, segmentFills, segmentOf } from "./lib/segments.js";
import { Tooltip, tooltipHeading, tooltipRow, tooltipTitle } from "./lib/tooltip.js";

/**
 * The synced traits this module reads (somnium/widgets/component_planes.py), all always present:
 * those of every map view (MapTraits in lib/model.js) and these.
 * @typedef {object} ComponentPlanesTraits
 * @property {string[]} _feature_names in display order
 * @property {object} _values float64 (n_planes, n_nodes), input units
 * @property {boolean} shared_scale one z-score scale for every plane, else each its own
 * @property {number} columns 0 = as many as fit
 * @property {number[]} _group_of per plane (display order): its feature group, -1 for none
 * @property {string[]} _group_names per group, for the hover card
 * @property {string[]} _group_colors per group: its frame "#rrggbb", "" for no frame
 */
const GROUP_TRAITS = ["_group_of", "_group_names", "_group_colors"];
const TRAITS = [...MAP_TRAITS, "_feature_names", "_values", "shared_scale", "columns", ...GROUP_TRAITS];
const CURRENT = "somnium-planes__tooltip-current"; // the hovered plane's line in the card

/** @param {{model: ViewModel, el: HTMLElement}} props ViewModel: see lib/model.js */
async function render({ model, el }) {
  requireTraits(model, TRAITS, "ComponentPlanes");
  const disposer = new Disposer();
  const array = (name) => decodeArray(model.get(name)).data;
  const selection = await LinkedSelection.of(model);
  disposer.add(() => selection.dispose());

  /** @type {{element: HTMLElement, map: HexMap, colorbar?: ColorBar}[]} the feature planes */
  let planes = [];
  let planeValues = [];
  let segmentPlane = null; // the "Segments" plane, first in the grid while there are segments
  let hoveredNode = null;
  const allMaps = () => [segmentPlane, ...planes].filter(Boolean).map((plane) => plane.map);

  const grid = make("div", { class: "somnium-planes__grid" });
  const hint = "Click or drag on any plane to select";
  const layout = ["status", "modes", "clear"];
  const frame = new ViewFrame({ model, el, selection, block: "somnium-planes", hint, layout, maps: allMaps });
  const { root } = frame;
  const segmentLegend = new SegmentLegend();
  root.append(frame.toolbar.element, grid, segmentLegend.element);
  frame.focusOn(grid);
  const tooltip = new Tooltip(root);

  /** The lattice geometry, with the first plane's cell paths when there is one (computed once). */
  const geometry = () => ({
    lattice: model.get("_lattice"),
    vertices: array("_cell_vertices"),
    centers: array("_cell_centers"),
    paths: planes[0]?.map.paths ?? null,
  });

  /** One small map under a title, in a `.somnium-map` box; `index` -1 is the segments plane. */
  function makePlane(index, title, shape) {
    const segments = index === -1 ? " somnium-planes__plane--segments" : "";
    const element = make("div", {
      class: `somnium-map somnium-planes__plane${segments}`,
      "data-ready": "false",
    });
    const canvas = make("div", { class: "somnium-map__canvas" });
    const label = index === -1 ? title : `Component plane: ${title}`;
    const map = new HexMap(canvas, { brushMode: model.get("brush_mode"), label });
    map.setGeometry(shape);
    map.on("select", (nodes) => selection.commit(nodes));
    map.on("hover", (hover) => onHover(index, hover));
    element.append(make("div", { class: "somnium-planes__title", title }, title), canvas);
    return { element, map };
  }

  function removePlanes(which) {
    for (const plane of which) {
      plane?.map.destroy();
      plane?.element.remove();
    }
  }

  function build() {
    removePlanes([segmentPlane, ...planes]);
    segmentPlane = null;
    planes = []; // before geometry(): the old planes' paths are stale
    const shape = geometry();
    planes = model.get("_feature_names").map((name, index) => {
      const plane = makePlane(index, name, shape);
      shape.paths = plane.map.paths; // one path computation shared by every plane
      Object.assign(plane.element.dataset, { feature: name, plane: String(index) });
      plane.colorbar = new ColorBar({ className: "somnium-planes__colorbar", compact: true });
      plane.element.append(plane.colorbar.element);
      return plane;
    });
    grid.replaceChildren(...planes.map((plane) => plane.element));
    root.dataset.wrap = planes[0]?.map.wrapKind ?? "flat";
    drawColumns();
    drawValues();
    drawSegments();
    drawGroups();
    frame.drawSelection();
    for (const plane of planes) plane.element.setAttribute("data-ready", "true");
  }

  function drawValues() {
    const data = array("_values");
    const shared = model.get("shared_scale");
    const { colorValues, ranges } = planeScales(data, planes.length, shared);
    const nNodes = planes.length > 0 ? data.length / planes.length : 0;
    planeValues = planes.map((_, p) => data.subarray(p * nNodes, (p + 1) * nNodes));
    planes.forEach((plane, p) => {
      const range = plane.map.setValues(colorValues[p], ranges[p]);
      plane.colorbar.setRange(range?.min, range?.max, shared ? sigma : formatValue);
    });
    root.dataset.scale = shared ? "shared" : "own";
    tooltip.refresh();
  }

  function drawSegments() {
    const names = model.get("_segment_names");
    const codes = array("_segment_codes");
    if (names.length === 0) {
      removePlanes([segmentPlane]);
      segmentPlane = null;
    } else if (!segmentPlane) {
      segmentPlane = makePlane(-1, "Segments", geometry());
      grid.prepend(segmentPlane.element);
      segmentPlane.element.setAttribute("data-ready", "true");
      frame.drawSelection();
    }
    const d = boundaryPath(array("_segment_edges"));
    for (const map of allMaps()) map.setBoundaries(d);
    const colors = model.get("_segment_colors");
    segmentPlane?.map.setColors(segmentFills(codes, colors, model.get("_lattice").n_nodes));
    segmentLegend.update(names, colors, codes);
    root.dataset.segments = String(names.length);
  }

  /** Frame every plane of a coloured group in its colour; `data-group` on every grouped plane. */
  function drawGroups() {
    const groupOf = model.get("_group_of");
    const colors = model.get("_group_colors");
    planes.forEach((plane, p) => {
      const group = groupOf.length === planes.length ? groupOf[p] : -1;
      const color = group >= 0 ? colors[group] : "";
      if (group >= 0) plane.element.dataset.group = String(group);
      else delete plane.element.dataset.group;
      plane.element.classList.toggle("somnium-planes__plane--grouped", Boolean(color));
      if (color) plane.element.style.setProperty("--somnium-group-color", color);
      else plane.element.style.removeProperty("--somnium-group-color");
    });
    root.dataset.groups = String(model.get("_group_names").length);
    tooltip.refresh();
  }

  function drawColumns() {
    const columns = model.get("columns");
    grid.style.gridTemplateColumns = columns > 0 ? `repeat(${columns}, minmax(0, 1fr))` : "";
  }

  /** The card: every feature of the node (and its segment), the hovered plane's line highlighted. */
  function tooltipLines(planeIndex, { node }) {
    const lines = [tooltipTitle(`Node ${node}`)];
    model.get("_feature_names").forEach((name, p) => {
      lines.push(tooltipRow(name, formatValue(planeValues[p]?.[node]), p === planeIndex ? CURRENT : ""));
    });
    const names = model.get("_segment_names");
    if (names.length > 0) {
      const segment = segmentOf(array("_segment_codes"), names, node);
      lines.push(tooltipRow("Segment", segment, planeIndex === -1 ? CURRENT : ""));
    }
    const group = planeIndex >= 0 ? (model.get("_group_of")[planeIndex] ?? -1) : -1;
    if (group >= 0) {
      const feature = model.get("_feature_names")[planeIndex];
      lines.push(tooltipHeading(`${feature} is in ${model.get("_group_names")[group] ?? "?"}`));
    }
    return lines;
  }

  function onHover(planeIndex, hover) {
    const node = hover?.node ?? null;
    if (node !== hoveredNode) {
      // echo the hovered node on every other plane
      for (const [p, plane] of planes.entries()) if (p !== planeIndex) plane.map.setHovered(node);
      if (planeIndex !== -1) segmentPlane?.map.setHovered(node);
      hoveredNode = node;
    }
    tooltip.follow(hover, (at) => tooltipLines(planeIndex, at), `${planeIndex}:${node}`);
  }

  disposer.onChange(model, [...GEOMETRY_TRAITS, "_feature_names"], build);
  disposer.onChange(model, SEGMENT_TRAITS, drawSegments);
  disposer.onChange(model, ["_values", "shared_scale"], drawValues);
  disposer.onChange(model, ["columns"], drawColumns);
  disposer.onChange(model, GROUP_TRAITS, drawGroups);

  build();
  frame.drawBrushMode();
  frame.ready();

  return () => {
    disposer.dispose();
    removePlanes([segmentPlane, ...planes]);
    tooltip.destroy();
    frame.dispose();
  };
}

export default { render };
