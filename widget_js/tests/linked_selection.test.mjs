import assert from "node:assert/strict";
import { test } from "node:test";
import { LinkedSelection, modelId } from "../lib/linked_selection.js";

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
