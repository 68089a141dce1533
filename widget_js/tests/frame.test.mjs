import assert from "node:assert/strict";
import { test } from "node:test";
import { ViewFrame } from "../lib/frame.js";
import { HexMap } from "../lib/hex_map.js";
import { LinkedSelection } from "../lib/linked_selection.js";
import { host, press } from "./dom.mjs";

/** A backbone-like model: set() fires change:<name> synchronously, save_changes() logs what it sends. */
class FakeModel {
  constructor(state) {
    this.state = { ...state };
    this.handlers = new Map();
    this.pending = {};
    this.sent = [];
  }
  get(name) {
    return this.state[name];
  }
  set(name, value) {
    this.state[name] = value;
    this.pending[name] = value;
    for (const handler of this.handlers.get(`change:${name}`) ?? []) handler();
  }
  save_changes() {
    this.sent.push(this.pending);
    this.pending = {};
  }
  on(event, handler) {
    if (!this.handlers.has(event)) this.handlers.set(event, new Set());
    this.handlers.get(event).add(handler);
  }
  off(event, handler) {
    this.handlers.get(event)?.delete(handler);
  }
  listeners() {
    let count = 0;
    for (const handlers of this.handlers.values()) count += handlers.size;
    return count;
  }
}

/** A 2 x 2 map of unit squares (the geometry Python would send). */
function squareMap(container) {
  const lattice = {
    rows: 2,
    cols: 2,
    name: "rect",
    n_nodes: 4,
    n_vertices: 4,
    extent: [0, 2, 0, 2],
    wraps_x: false,
    wraps_y: false,
  };
  const centers = new Float32Array([0.5, 0.5, 1.5, 0.5, 0.5, 1.5, 1.5, 1.5]);
  const vertices = new Float32Array(
    Array.from({ length: 4 }, (_, node) => {
      const [x, y] = [centers[2 * node], centers[2 * node + 1]];
      return [x - 0.5, y - 0.5, x + 0.5, y - 0.5, x + 0.5, y + 0.5, x - 0.5, y + 0.5];
    }).flat(),
  );
  const map = new HexMap(container);
  map.setGeometry({ lattice, vertices, centers });
  return map;
}

function setup({ nodes = [] } = {}) {
  const el = host();
  const model = new FakeModel({ brush_mode: "rectangle" });
  const selectionModel = new FakeModel({ nodes });
  const selection = new LinkedSelection(selectionModel);
  const maps = [];
  const frame = new ViewFrame({
    model,
    el,
    selection,
    block: "somnium-planes",
    hint: "Click or drag on any plane to select",
    layout: ["status", "modes", "clear"],
    maps: () => maps,
  });
  const canvas = document.createElement("div");
  frame.root.append(frame.toolbar.element, canvas);
  maps.push(squareMap(canvas), squareMap(canvas));
  frame.drawBrushMode();
  frame.drawSelection();
  return { el, model, selectionModel, selection, frame, maps, canvas };
}

const selected = (map) =>
  Array.from(map.svg.querySelectorAll('[data-selected="true"]'), (c) => Number(c.dataset.neuron));
const pressed = (frame) => frame.toolbar.modes.querySelector('[aria-pressed="true"]').dataset.mode;

test("the root carries the token class, the frame and the view's hook class, and is focusable", () => {
  const { el, frame } = setup();
  assert.equal(frame.root.parentElement, el);
  assert.deepEqual(Array.from(frame.root.classList), ["somnium", "somnium-frame", "somnium-planes"]);
  assert.equal(frame.root.getAttribute("tabindex"), "0");
  assert.equal(frame.root.getAttribute("data-ready"), "false");
  frame.ready();
  assert.equal(frame.root.getAttribute("data-ready"), "true");
});

test("a mode button writes brush_mode to the model, and the model's value is what is drawn", () => {
  const { model, frame } = setup();
  assert.equal(pressed(frame), "rectangle");
  frame.toolbar.modes.querySelector('[data-mode="lasso"]').click();
  assert.deepEqual(model.sent, [{ brush_mode: "lasso" }]);
  assert.equal(pressed(frame), "lasso");
  assert.equal(frame.root.dataset.brushMode, "lasso");
  model.set("brush_mode", "rectangle"); // from Python
  assert.equal(pressed(frame), "rectangle");
});

test("a change of the shared selection is drawn on every map and counted in the toolbar", () => {
  const { selectionModel, frame, maps } = setup();
  assert.equal(frame.toolbar.status.textContent, "Click or drag on any plane to select");
  selectionModel.set("nodes", [3, 1]);
  assert.deepEqual(maps.map(selected), [
    [1, 3],
    [1, 3],
  ]);
  assert.equal(frame.toolbar.status.textContent, "2 nodes selected");
  assert.ok(frame.root.classList.contains("somnium-planes--has-selection"));
  assert.equal(frame.toolbar.clearButton.disabled, false);
});

test("Clear empties the shared selection with one message", () => {
  const { selectionModel, frame, maps } = setup({ nodes: [0, 2] });
  assert.deepEqual(selected(maps[1]), [0, 2]);
  frame.toolbar.clearButton.click();
  assert.deepEqual(selectionModel.sent, [{ nodes: [] }]);
  assert.deepEqual(maps.map(selected), [[], []]);
  assert.equal(frame.toolbar.clearButton.disabled, true);
  assert.ok(!frame.root.classList.contains("somnium-planes--has-selection"));
});

test("Escape abandons a brush in progress on any map and clears the selection", () => {
  const { selectionModel, maps } = setup({ nodes: [1] });
  const svg = maps[1].svg;
  svg.dispatchEvent(
    new PointerEvent("pointerdown", { button: 0, pointerId: 1, clientX: 0, clientY: 0, bubbles: true }),
  );
  svg.dispatchEvent(
    new PointerEvent("pointermove", { pointerId: 1, clientX: 30, clientY: 30, bubbles: true }),
  );
  assert.ok(svg.classList.contains("somnium-map__svg--brushing"));
  press(svg, "Escape");
  assert.ok(!svg.classList.contains("somnium-map__svg--brushing"));
  assert.deepEqual(selectionModel.sent, [{ nodes: [] }]);
  // the abandoned drag proposes nothing when the button comes up
  svg.dispatchEvent(new PointerEvent("pointerup", { pointerId: 1, clientX: 30, clientY: 30, bubbles: true }));
  assert.deepEqual(selectionModel.sent, [{ nodes: [] }]);
});

test("a press on the maps gives the view the keyboard focus", () => {
  const { frame, canvas, maps } = setup();
  frame.focusOn(canvas);
  maps[0].svg.dispatchEvent(new PointerEvent("pointerdown", { button: 0, pointerId: 2, bubbles: true }));
  assert.equal(document.activeElement, frame.root);
});

test("dispose removes every listener it added and the root", () => {
  const { model, selectionModel, frame, selection } = setup();
  const before = selectionModel.listeners();
  frame.dispose();
  assert.equal(model.listeners(), 0);
  assert.equal(frame.root.isConnected, false);
  selectionModel.set("nodes", [2]); // no longer drawn: nothing throws, the toolbar is gone
  assert.equal(selectionModel.listeners(), before); // the selection's own listener is the view's to drop
  selection.dispose();
  assert.equal(selectionModel.listeners(), 0);
});
