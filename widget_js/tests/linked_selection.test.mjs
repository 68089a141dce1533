import assert from "node:assert/strict";
import { test } from "node:test";
import { LinkedSelection, LocalSelectionModel, modelId } from "../lib/linked_selection.js";

/** A backbone-like model: set() fires change:<name> synchronously, save_changes() logs a message. */
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
  /** A message from the kernel: state changes without a save. */
  fromKernel(name, value) {
    this.state[name] = value;
    for (const handler of this.handlers.get(`change:${name}`) ?? []) handler();
  }
}

/** A fake view: draws whatever the selection holds; a gesture commits through the link. */
function fakeView(selectionModel) {
  const link = new LinkedSelection(selectionModel);
  const view = { link, drawn: link.nodes, draws: 0 };
  link.subscribe((nodes) => {
    view.drawn = nodes;
    view.draws += 1;
  });
  return view;
}

test("a widget reference resolves to its model id", () => {
  assert.equal(modelId("IPY_MODEL_abc123"), "abc123");
  assert.equal(modelId("abc123"), "abc123");
  assert.throws(() => modelId(null), TypeError);
});

test("LinkedSelection.of resolves the referenced model through the widget manager", async () => {
  const selection = new FakeModel({ nodes: [4, 2] });
  const requested = [];
  const view = {
    get: (name) => (name === "selection" ? "IPY_MODEL_sel" : undefined),
    widget_manager: {
      get_model: async (id) => {
        requested.push(id);
        return selection;
      },
    },
  };
  const link = await LinkedSelection.of(view);
  assert.deepEqual(requested, ["sel"]);
  assert.deepEqual(link.nodes, [2, 4]);
});

test("an edit in one view is drawn by every view on the same selection", () => {
  const selection = new FakeModel({ nodes: [] });
  const map = fakeView(selection);
  const planes = fakeView(selection);
  map.link.commit([5, 3]);
  assert.deepEqual(map.drawn, [3, 5]);
  assert.deepEqual(planes.drawn, [3, 5]);
  assert.deepEqual(selection.sent, [{ nodes: [3, 5] }]);
});

test("two views editing in quick succession never ping-pong", () => {
  const selection = new FakeModel({ nodes: [] });
  const map = fakeView(selection);
  const planes = fakeView(selection);
  map.link.commit([1]);
  planes.link.commit([1, 2]);
  map.link.commit([7]);
  // one message per gesture, in order, and nothing else: drawing never writes
  assert.deepEqual(selection.sent, [{ nodes: [1] }, { nodes: [1, 2] }, { nodes: [7] }]);
  assert.deepEqual(map.drawn, [7]);
  assert.deepEqual(planes.drawn, [7]);
  assert.equal(map.draws, 3);
  assert.equal(planes.draws, 3);
});

test("re-committing the current selection sends nothing", () => {
  const selection = new FakeModel({ nodes: [2, 3] });
  const map = fakeView(selection);
  assert.equal(map.link.commit([3, 2, 2]), false);
  assert.deepEqual(selection.sent, []);
  assert.equal(map.draws, 0);
});

test("a selection from the kernel is drawn by every view and not sent back", () => {
  const selection = new FakeModel({ nodes: [] });
  const map = fakeView(selection);
  const planes = fakeView(selection);
  selection.fromKernel("nodes", [9, 8]);
  assert.deepEqual(map.drawn, [8, 9]);
  assert.deepEqual(planes.drawn, [8, 9]);
  assert.deepEqual(selection.sent, []);
});

test("disposing a view's link stops its drawing but not the others'", () => {
  const selection = new FakeModel({ nodes: [] });
  const map = fakeView(selection);
  const planes = fakeView(selection);
  map.link.dispose();
  planes.link.commit([4]);
  assert.deepEqual(map.drawn, []);
  assert.deepEqual(planes.drawn, [4]);
  assert.equal(selection.handlers.get("change:nodes").size, 1);
});

test("without a widget manager the view keeps a selection of its own", async () => {
  const view = { get: (name) => (name === "selection" ? "IPY_MODEL_sel" : undefined) };
  const link = await LinkedSelection.of(view);
  assert.equal(link.shared, false);
  assert.deepEqual(link.nodes, []);
  const drawn = [];
  link.subscribe((nodes) => drawn.push(nodes));
  assert.equal(link.commit([5, 2, 5]), true);
  assert.equal(link.commit([2, 5]), false); // unchanged: nothing to draw
  assert.deepEqual(link.nodes, [2, 5]);
  assert.deepEqual(drawn, [[2, 5]]);
});

test("without a selection reference the view keeps its own, even with a widget manager", async () => {
  const requested = [];
  const view = {
    get: () => undefined,
    widget_manager: { get_model: async (id) => requested.push(id) },
  };
  const link = await LinkedSelection.of(view);
  assert.equal(link.shared, false);
  assert.deepEqual(requested, []);
});

test("a reference the widget manager cannot resolve leaves the view its own selection", async () => {
  const view = {
    get: () => "IPY_MODEL_gone",
    widget_manager: {
      get_model: async (id) => {
        throw new Error(`widget model ${id} not found`);
      },
    },
  };
  const warnings = [];
  const warn = console.warn;
  console.warn = (...args) => warnings.push(args.join(" "));
  try {
    const link = await LinkedSelection.of(view);
    assert.equal(link.shared, false);
    link.commit([1]);
    assert.deepEqual(link.nodes, [1]);
  } finally {
    console.warn = warn;
  }
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /gone.*keeps its own/);
});

test("a resolved selection is shared", async () => {
  const selection = new FakeModel({ nodes: [] });
  const view = { get: () => "IPY_MODEL_sel", widget_manager: { get_model: async () => selection } };
  assert.equal((await LinkedSelection.of(view)).shared, true);
});

test("a view's own selection stops drawing once disposed", () => {
  const own = new LocalSelectionModel([3]);
  const link = new LinkedSelection(own, false);
  let draws = 0;
  link.subscribe(() => {
    draws += 1;
  });
  link.dispose();
  own.set("nodes", [4]);
  assert.equal(draws, 0);
  assert.deepEqual(own.get("nodes"), [4]);
});
