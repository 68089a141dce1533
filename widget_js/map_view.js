// MapView: the interactive hex map of a fitted Somnium SOM (anywidget module).
//
// Wiring only: the map is lib/hex_map.js, the frame and its toolbar lib/frame.js, the colour bar
// and the legends lib/colorbar.js, the selection the shared Selection model
// (lib/linked_selection.js), so every view given the same selection shows and edits the same nodes.
//
// Test hooks (relied upon by the browser and JupyterLab tests):
//   root element class `somnium-map`, `data-ready="true"` once drawn,
//   every cell carries `data-neuron="<index>"`, selected cells `data-selected="true"`;
//   the anomaly controls `.somnium-map__select-anomalies` (button) and
//   `.somnium-map__anomalies-only` (checkbox), shown once the anomaly counts are known;
//   `data-anomalies-only="true"` on the root while the row filter is on.
// Everything user-provided (feature names, layer labels) is written with textContent.

import "./map_view.css";
import { decodeArray } from "./lib/binary.js";
import {
  CategoryLegend,
  ColorBar,
  categoryFills,
  categoryText,
  DetailsPanel,
  SegmentLegend,
} from "./lib/colorbar.js";
import { formatValue, rangeFor, sigma, signedR } from "./lib/colors.js";
import { batched, Disposer, make } from "./lib/dom.js";
import { ViewFrame } from "./lib/frame.js";
import { HexMap } from "./lib/hex_map.js";
import { LinkedSelection } from "./lib/linked_selection.js";
import { GEOMETRY_TRAITS, MAP_TRAITS, requireTraits, SEGMENT_TRAITS } from "./lib/model.js";
import { boundaryPath, segmentFills, segmentOf } from "./lib/segments.js";
import { nodesWithCounts } from "./lib/selection.js";
import { topFeatures } from "./lib/standouts.js";
import { Choice } from "./lib/toolbar.js";
import { Tooltip, tooltipHeading, tooltipRow, tooltipTitle } from "./lib/tooltip.js";

/**
 * The synced traits this module reads (somnium/widgets/map_view.py), all always present: those of
 * every map view (MapTraits in lib/model.js) and these.
 * @typedef {object} MapViewTraits
 * @property {object} _layer_values float64 (n_nodes,), NaN = no value; a layer of categories: the
 *   share of each node's most frequent value
 * @property {object} _layer_codes uint32 (n_nodes,): a layer of categories' most frequent value + 1
 *   per node (0: none); empty for other layers
 * @property {{key: string, label: string, integer: boolean, categorical?: true, categories?: string[],
 *   colors?: string[]}} _layer_info `categorical` with `categories`: a layer of values (codes in
 *   _layer_codes, one colour each); `categorical` alone: the segments layer (_segment_codes)
 * @property {[string, string][]} _layer_options [key, label] per colour layer
 * @property {object} _hit_counts uint32 (n_nodes,), empty without rows
 * @property {string} color the shown layer's key, written by the menu
 * @property {string[]} _feature_names
 * @property {object} _top_features uint32 (n_nodes, top_k) feature indices
 * @property {object} _top_scores float32 (n_nodes, top_k) z-scores (or correlations)
 * @property {string} _top_title the hover card's heading of those features
 * @property {"sigma" | "r"} _top_format how their scores read: "+1.2σ", or a signed "r +0.84"
 * @property {{title?: string, rows?: [string, string][]}} _details lines under the map (e.g. the
 *   drivers of the selected nodes); empty: none
 * @property {boolean} anomalies_only the row filter of selected_rows, written by the controls
 * @property {object} _anomaly_counts uint32 (n_nodes,) rows above the threshold; empty until known
 * @property {object} _node_scales float32 (n_nodes,) each node's typical training distance; empty until known
 */
const LAYER_TRAITS = [
  "_layer_values",
  "_layer_codes",
  "_layer_info",
  "_layer_options",
  "_hit_counts",
  "color",
];
const HOVER_TRAITS = ["_feature_names", "_top_features", "_top_scores", "_top_title", "_top_format"];
const ANOMALY_TRAITS = ["anomalies_only", "_anomaly_counts", "_node_scales"];
const TRAITS = [...MAP_TRAITS, ...LAYER_TRAITS, ...HOVER_TRAITS, ...ANOMALY_TRAITS, "_details"];

const WRAP_NOTES = {
  cylindrical: "Cylindrical map: the left and right edges (dashed) join.",
  toroidal: "Toroidal map: left and right edges join, and so do top and bottom (dashed).",
};

/** @param {{model: ViewModel, el: HTMLElement}} props ViewModel: see lib/model.js */
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
    ariaLabel: "Colour layer",
  });
  const selectAnomalies = make(
    "button",
    {
      type: "button",
      class: "somnium-map__select-anomalies",
      title: "Select every row above the anomaly threshold (their nodes, anomalies only)",
    },
    "Select anomalies",
  );
  const anomaliesOnly = make("input", { type: "checkbox", class: "somnium-map__anomalies-only" });
  const anomaliesOnlyLabel = make("label", {
    class: "somnium-toolbar__field",
    title: "selected_rows keeps only the rows above the anomaly threshold",
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
    maps: () => [map],
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
      // a layer of values by their most frequent value: one colour each, named in its legend
      const codes = array("_layer_codes");
      map.setColors(categoryFills(codes, info.colors ?? [], map.nNodes));
      categoryLegend.update(info.label, info.categories, info.colors ?? [], codes);
      root.dataset.layer = "categories";
    } else if (info.categorical) {
      // the segments layer: one colour per segment, named in the segment legend
      map.setColors(segmentFills(array("_segment_codes"), model.get("_segment_colors"), map.nNodes));
      root.dataset.layer = "segments";
    } else {
      delete root.dataset.layer;
      const palette = info.palette ?? "sequential";
      const range = map.setValues(values, rangeFor(values, palette), palette);
      const format = (value) => formatValue(value, info.integer);
      colorbar.setPalette(palette);
      colorbar.setLabel(info.label);
      colorbar.setRange(range?.min, range?.max, format, palette === "diverging" ? 0 : undefined);
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
      tooltipRow("Hits", hits.length === map.nNodes ? formatValue(hits[node], true) : "–"),
    ];
    if (info.categorical && Array.isArray(info.categories)) {
      lines.push(tooltipRow(info.label, categoryText(info.categories, array("_layer_codes"), values, node)));
    } else if (info.categorical) {
      lines.push(
        tooltipRow("Segment", segmentOf(array("_segment_codes"), model.get("_segment_names"), node)),
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

  // Python sends _layer_values and _layer_info together: recolour once.
  const queueLayer = batched(drawLayer);
  disposer.add(map.on("select", (nodes) => selection.commit(nodes)));
  disposer.add(map.on("hover", (hover) => tooltip.follow(hover, tooltipLines)));
  disposer.listen(layerChoice.select, "change", () => {
    model.set("color", layerChoice.value);
    model.save_changes();
  });
  disposer.listen(selectAnomalies, "click", () => {
    map.cancelGesture();
    selection.commit(nodesWithCounts(anomalies)); // drawn at once (and in a page without a kernel)
    // Python selects the nodes and turns the filter on in one step: two writes to two models (the
    // selection's and this one's) could reach it in either order.
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

export default { render };
