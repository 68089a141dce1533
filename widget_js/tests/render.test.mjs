// render() of the built bundles (somnium/static/, what anywidget loads) on a real DOM, with a
// model stand-in that has no widget manager: the contract a standalone page relies on.

import assert from "node:assert/strict";
import { after, test } from "node:test";
import { host } from "./dom.mjs";

const mapView = (await import("../../somnium/static/map_view.js")).default;
const componentPlanes = (await import("../../somnium/static/component_planes.js")).default;

/** An array trait as Python sends it: {dtype, shape, data: DataView of little-endian values}. */
function array(dtype, shape, values) {
  const typed = dtype === "float32" ? new Float32Array(values) : new Uint32Array(values);
  return { dtype, shape, data: new DataView(typed.buffer) };
}

/** The traits every map view carries, for a 2 x 2 map of unit squares without segments. */
function mapTraits() {
  const centers = [0.5, 0.5, 1.5, 0.5, 0.5, 1.5, 1.5, 1.5];
  const vertices = [0, 1, 2, 3].flatMap((node) => {
    const [x, y] = [centers[2 * node], centers[2 * node + 1]];
    return [x - 0.5, y - 0.5, x + 0.5, y - 0.5, x + 0.5, y + 0.5, x - 0.5, y + 0.5];
  });
  return {
    _lattice: {
      rows: 2,
      cols: 2,
      name: "rect",
      n_nodes: 4,
      n_vertices: 4,
      extent: [0, 2, 0, 2],
      wraps_x: false,
      wraps_y: false,
    },
    _cell_vertices: array("float32", [4, 4, 2], vertices),
    _cell_centers: array("float32", [4, 2], centers),
    _segment_codes: array("uint32", [0], []),
    _segment_names: [],
    _segment_colors: [],
    _segment_edges: array("float32", [0, 4], []),
    brush_mode: "rectangle",
  };
}

/** anywidget's model methods over plain state, with no widget_manager (a standalone page). */
class StandIn {
  constructor(state) {
    this.state = state;
    this.handlers = new Map();
    this.saved = [];
  }
  get(name) {
    return this.state[name];
  }
  set(name, value) {
    this.state[name] = value;
    for (const handler of this.handlers.get(`change:${name}`) ?? []) handler();
  }
  save_changes() {
    this.saved.push(true);
  }
  send() {}
  on(event, handler) {
    if (!this.handlers.has(event)) this.handlers.set(event, new Set());
    this.handlers.get(event).add(handler);
  }
  off(event, handler) {
    this.handlers.get(event)?.delete(handler);
  }
  listeners() {
    return [...this.handlers.values()].reduce((total, handlers) => total + handlers.size, 0);
  }
}

function mapViewState() {
  return {
    ...mapTraits(),
    _layer_values: array("float32", [4], [1, 2, Number.NaN, 4]),
    _layer_info: { key: "age", label: "age", integer: false },
    _layer_options: [
      ["umatrix", "U-matrix"],
      ["age", "age"],
    ],
    _hit_counts: array("uint32", [4], [3, 0, 1, 2]),
    _feature_names: ["age"],
    _top_features: array("uint32", [4, 1], [0, 0, 0, 0]),
    _top_scores: array("float32", [4, 1], [1, -1, 0, 2]),
    _top_title: "Sets it apart (z across nodes)",
    _top_format: "sigma",
    _layer_codes: array("uint32", [0], []),
    _details: {},
    color: "age",
    anomalies_only: false,
    _anomaly_counts: array("uint32", [0], []),
    _node_scales: array("float32", [0], []),
  };
}

function click(cell) {
  const options = { button: 0, pointerId: 7, bubbles: true };
  cell.dispatchEvent(new PointerEvent("pointerdown", options));
  cell.dispatchEvent(new PointerEvent("pointerup", options));
}

const cleanups = [];
after(() => {
  for (const cleanup of cleanups) cleanup();
});

test("MapView draws and selects on its own when the model has no widget manager", async () => {
  const el = host();
  const model = new StandIn(mapViewState());
  const cleanup = await mapView.render({ model, el });
  cleanups.push(cleanup);
  const root = el.querySelector(".somnium-map");
  assert.deepEqual(Array.from(root.classList), ["somnium", "somnium-frame", "somnium-map"]);
  assert.equal(root.getAttribute("data-ready"), "true");
  assert.equal(root.querySelectorAll("[data-neuron]").length, 4);
  assert.equal(root.querySelector(".somnium-map__tick-min").textContent, "1");
  assert.equal(root.querySelector(".somnium-map__tick-max").textContent, "4");
  click(root.querySelector('[data-neuron="2"]'));
  assert.deepEqual(
    Array.from(root.querySelectorAll('[data-selected="true"]'), (cell) => cell.dataset.neuron),
    ["2"],
  );
  assert.equal(root.querySelector(".somnium-map__status").textContent, "1 node selected");
  assert.deepEqual(model.saved, []); // the selection is the view's own: nothing to sync
});

test("MapView paints a layer of categories, names them in a legend and hides the colour bar", async () => {
  const el = host();
  const model = new StandIn({
    ...mapViewState(),
    _layer_values: array("float32", [4], [0.75, 1, Number.NaN, 0.5]),
    _layer_codes: array("uint32", [4], [2, 1, 0, 2]),
    _layer_info: {
      key: "species",
      label: "species (most frequent)",
      integer: false,
      categorical: true,
      categories: ["Adelie", "Gentoo"],
      colors: ["#4e79a7", "#f28e2b"],
    },
    _details: { title: "Drivers", rows: [["age", "r +0.50"]] },
  });
  cleanups.push(await mapView.render({ model, el }));
  const root = el.querySelector(".somnium-map");
  assert.equal(root.dataset.layer, "categories");
  assert.equal(root.querySelector(".somnium-map__colorbar").hidden, true);
  const legend = root.querySelector(".somnium-categories");
  assert.equal(legend.hidden, false);
  assert.deepEqual(
    Array.from(legend.querySelectorAll(".somnium-categories__item"), (item) => item.textContent),
    ["Adelie", "Gentoo"],
  );
  const fill = (node) => root.querySelector(`[data-neuron="${node}"]`).getAttribute("fill");
  assert.deepEqual([0, 1, 3].map(fill), ["#f28e2b", "#4e79a7", "#f28e2b"]); // Gentoo, Adelie, Gentoo
  assert.equal(root.querySelector('[data-neuron="2"]').getAttribute("data-novalue"), "true");
  assert.equal(root.querySelector(".somnium-map__details-name").textContent, "age");
});

test("ComponentPlanes draws and selects on its own when the model has no widget manager", async () => {
  const el = host();
  const model = new StandIn({
    ...mapTraits(),
    _feature_names: ["a", "b"],
    _values: array("float32", [2, 4], [1, 2, 3, 4, 8, 6, 4, 2]),
    shared_scale: false,
    columns: 0,
    _group_of: [],
    _group_names: [],
    _group_colors: [],
  });
  const cleanup = await componentPlanes.render({ model, el });
  cleanups.push(cleanup);
  const planes = el.querySelectorAll(".somnium-planes .somnium-map");
  assert.deepEqual(
    Array.from(planes, (plane) => plane.dataset.feature),
    ["a", "b"],
  );
  assert.equal(el.querySelector(".somnium-planes__plane--grouped"), null);
  model.set("_group_of", [0, 0]);
  model.set("_group_names", ["Group 1 (2 features)"]);
  model.set("_group_colors", ["#4e79a7"]);
  assert.deepEqual(
    Array.from(planes, (plane) => [
      plane.dataset.group,
      plane.style.getPropertyValue("--somnium-group-color"),
    ]),
    [
      ["0", "#4e79a7"],
      ["0", "#4e79a7"],
    ],
  );
  assert.equal(el.querySelectorAll(".somnium-planes__plane--grouped").length, 2);
  click(planes[1].querySelector('[data-neuron="3"]'));
  for (const plane of planes) {
    assert.deepEqual(
      Array.from(plane.querySelectorAll('[data-selected="true"]'), (cell) => cell.dataset.neuron),
      ["3"],
    );
  }
  assert.equal(el.querySelector(".somnium-planes__status").textContent, "1 node selected");
});

test("a model missing traits fails at once, naming them", async () => {
  const state = mapViewState();
  delete state._hit_counts;
  delete state._segment_names;
  await assert.rejects(
    mapView.render({ model: new StandIn(state), el: host() }),
    /MapView: the model has no _segment_names, _hit_counts/,
  );
});

test("the cleanup removes every listener render added, and the view", async () => {
  const el = host();
  const model = new StandIn(mapViewState());
  const cleanup = await mapView.render({ model, el });
  assert.ok(model.listeners() > 0);
  cleanup();
  assert.equal(model.listeners(), 0);
  assert.equal(el.children.length, 0);
});
