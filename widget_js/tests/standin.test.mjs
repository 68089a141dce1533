// The standalone page's model stand-in (lib/standin.js) and the page runtime (export.js, built):
// the ViewModel contract of lib/model.js over embedded state, and a page booted from its JSON.

import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeEmbedded, fromBase64, StandInManager, StandInModel } from "../lib/standin.js";
import { host, window } from "./dom.mjs";

const page = await import("../../somnium/static/export.js");

const base64 = (bytes) => Buffer.from(bytes).toString("base64");

test("fromBase64 gives the bytes as a DataView", () => {
  const view = fromBase64(base64(new Uint8Array(new Float32Array([1.5, -2]).buffer)));
  assert.ok(view instanceof DataView);
  assert.equal(view.byteLength, 8);
  assert.equal(view.getFloat32(0, true), 1.5);
  assert.equal(view.getFloat32(4, true), -2);
});

test("decodeEmbedded replaces buffer references at any depth and refuses unknown ones", () => {
  const buffers = [fromBase64(base64([1, 2, 3, 4]))];
  const decoded = decodeEmbedded(
    { a: { dtype: "uint32", data: { $buf: 0 } }, b: [{ $buf: 0 }, 3], c: "x" },
    buffers,
  );
  assert.equal(decoded.a.data, buffers[0]);
  assert.equal(decoded.b[0], buffers[0]);
  assert.deepEqual([decoded.b[1], decoded.c, decoded.a.dtype], [3, "x", "uint32"]);
  assert.throws(() => decodeEmbedded({ $buf: 5 }, buffers), /no buffer 5/);
});

test("a write fires change events and, once saved, its embedded reaction as the kernel would", () => {
  const reactions = { color: { age: { _layer_info: { key: "age" }, _layer_values: "A" } } };
  const model = new StandInModel({ color: "umatrix", _layer_info: { key: "umatrix" } }, { reactions });
  const seen = [];
  const onColor = () => seen.push(`color=${model.get("color")}`);
  model.on("change:color", onColor);
  model.on("change:_layer_info", () => seen.push(`info=${model.get("_layer_info").key}`));
  model.set("color", "age");
  assert.deepEqual(seen, ["color=age"]); // nothing answered before save_changes
  model.save_changes();
  assert.deepEqual(seen, ["color=age", "info=age"]);
  assert.equal(model.get("_layer_values"), "A");
  model.save_changes(); // nothing pending: nothing answered twice
  assert.equal(seen.length, 2);
  model.set("color", "unknown"); // no embedded answer: the write just stays
  model.save_changes();
  assert.equal(model.get("_layer_info").key, "age");
  model.off("change:color", onColor);
  model.set("color", "age");
  assert.equal(seen.filter((line) => line.startsWith("color")).length, 2);
  assert.doesNotThrow(() => model.send({ action: "stop" }));
});

test("the manager resolves the page's models; a model without one has no widget_manager", async () => {
  const manager = new StandInManager();
  const selection = manager.register("sel", new StandInModel({ nodes: [1] }));
  const view = new StandInModel({ selection: "IPY_MODEL_sel" }, { manager });
  assert.equal(await view.widget_manager.get_model("sel"), selection);
  await assert.rejects(view.widget_manager.get_model("nope"), /no widget model nope/);
  assert.equal(new StandInModel({}).widget_manager, undefined);
});

test("the page's helpers: the selection line, the copied text, the rows on a selection", () => {
  assert.equal(page.describeNodes([]), "no nodes");
  assert.equal(page.describeNodes([4]), "1 node: 4");
  const many = Array.from({ length: page.SHOWN_IDS + 5 }, (_, i) => i);
  assert.match(page.describeNodes(many), /^65 nodes: 0, 1, .*, 59, … \(5 more\)$/);
  assert.equal(page.nodesText([3, 10, 12]), "[3, 10, 12]");
  const bmu = new Uint32Array([2, 0, 2, 1, 5, 0]);
  assert.deepEqual(page.rowsOn(bmu, [0, 2], 6), [0, 1, 2, 5]);
  assert.deepEqual(page.rowsOn(bmu, [9], 6), []); // out of range: no rows
});

/** A view bundle stand-in: records the model it is given and draws the shared selection. */
function recordingView(log) {
  return {
    async render({ model, el }) {
      const selection = await model.widget_manager.get_model(
        model.get("selection").slice("IPY_MODEL_".length),
      );
      log.push({ model, selection });
      el.append(window.document.createElement("span"));
    },
  };
}

test("boot builds the page from its JSON: panels, linked views, rows, text only", async () => {
  const { document } = window;
  document.body.replaceChildren();
  const script = document.createElement("script");
  script.type = "application/json";
  script.id = page.DATA_ID;
  const bmu = base64(new Uint8Array(new Uint32Array([0, 1, 1, 3]).buffer));
  script.textContent = JSON.stringify({
    title: "<b>Title</b>",
    about: "about",
    notes: ["a note"],
    layout: [
      {
        type: "box",
        direction: "row",
        name: "HBox",
        style: { width: "50%" },
        children: [
          { type: "view", model: "m1", name: "MapView", style: {} },
          { type: "view", model: "m2", name: "ComponentPlanes", style: {} },
          { type: "text", text: "<i>label</i>", name: "Label", style: {} },
        ],
      },
    ],
    models: {
      m1: { bundle: "fake", state: { selection: "IPY_MODEL_s", data: { $buf: 0 } }, reactions: {} },
      m2: { bundle: "fake", state: { selection: "IPY_MODEL_s" }, reactions: {} },
    },
    selections: { s: { nodes: [1], n_nodes: 4, rows: "r", label: "Selection" } },
    rows: {
      r: {
        columns: ["<x>"],
        index_name: "id",
        index: ["a", "b", "c", "d"],
        cells: [["1", "2", "3", "4"]],
        n_rows: 4,
        bmu: { $buf: 0 },
        note: "rows note",
      },
    },
    buffers: [bmu],
  });
  const root = document.createElement("main");
  root.id = page.ROOT_ID;
  document.body.append(script, root);
  const log = [];
  globalThis.__somniumViews = new Map([["fake", recordingView(log)]]);
  await page.boot(document);

  assert.equal(document.documentElement.dataset.exportReady, "true");
  assert.equal(root.querySelector(".somnium-export__title").textContent, "<b>Title</b>");
  assert.equal(root.querySelectorAll("b, i").length, 0);
  assert.equal(log.length, 2);
  assert.equal(log[0].selection, log[1].selection); // one Selection model: the views are linked
  assert.ok(log[0].model.get("data") instanceof DataView);
  const box = root.querySelector(".somnium-export__box--row");
  assert.equal(box.style.width, "50%");
  assert.equal(box.querySelectorAll(".somnium-export__view").length, 2);
  assert.equal(box.querySelector(".somnium-export__text").textContent, "<i>label</i>");

  const nodes = root.querySelector(".somnium-export__nodes");
  const count = root.querySelector(".somnium-export__row-count");
  assert.equal(nodes.textContent, "1 node: 1");
  assert.equal(count.textContent, " · 2 of 4 rows");
  log[1].selection.set("nodes", [0, 3]); // a gesture in one view
  assert.equal(nodes.textContent, "2 nodes: 0, 3");
  assert.equal(count.textContent, " · 2 of 4 rows");
  const cells = Array.from(root.querySelectorAll("table.somnium-export__rows tbody tr"), (tr) =>
    Array.from(tr.children, (cell) => cell.textContent),
  );
  assert.deepEqual(cells, [
    ["a", "1"],
    ["d", "4"],
  ]);
  assert.equal(root.querySelector("table.somnium-export__rows thead th:last-child").textContent, "<x>");
  delete globalThis.__somniumViews;
});

test("a view that fails to draw says so in its slot and the page still gets ready", async () => {
  const { document } = window;
  document.body.replaceChildren();
  delete document.documentElement.dataset.exportReady;
  const script = document.createElement("script");
  script.id = page.DATA_ID;
  script.textContent = JSON.stringify({
    title: "t",
    about: "",
    notes: [],
    layout: [{ type: "view", model: "m", name: "MapView", style: {} }],
    models: { m: { bundle: "missing", state: {}, reactions: {} } },
    selections: {},
    rows: {},
    buffers: [],
  });
  const root = host();
  root.id = page.ROOT_ID;
  document.body.append(script);
  const errors = [];
  const original = console.error;
  console.error = (...args) => errors.push(args);
  try {
    await page.boot(document);
  } finally {
    console.error = original;
  }
  assert.equal(document.documentElement.dataset.exportReady, "true");
  assert.match(root.querySelector(".somnium-export__error").textContent, /no bundle missing/);
  assert.equal(errors.length, 1);
});
