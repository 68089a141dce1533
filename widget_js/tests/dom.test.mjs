import assert from "node:assert/strict";
import { test } from "node:test";
import { sigma } from "../lib/colors.js";
import { batched, Disposer, make } from "../lib/dom.js";
import { Emitter } from "../lib/emitter.js";
import { segmentOf } from "../lib/segments.js";
import { host } from "./dom.mjs";

test("make writes text as text, never as markup", () => {
  const hostile = "<img src=x onerror=alert(1)>";
  const element = make("span", { class: "a", "data-x": 3 }, hostile);
  assert.equal(element.textContent, hostile);
  assert.equal(element.querySelector("img"), null);
  assert.equal(element.getAttribute("data-x"), "3");
});

test("a batched function runs once after any number of calls in one task", async () => {
  let runs = 0;
  const draw = batched(() => {
    runs += 1;
  });
  draw();
  draw();
  draw();
  assert.equal(runs, 0);
  await Promise.resolve();
  assert.equal(runs, 1);
  draw();
  await Promise.resolve();
  assert.equal(runs, 2);
});

test("Disposer.onChange listens to each trait and dispose removes them all", () => {
  const handlers = new Map();
  const model = {
    on: (event, handler) => handlers.set(event, handler),
    off: (event, handler) => handlers.get(event) === handler && handlers.delete(event),
  };
  const disposer = new Disposer();
  const element = host();
  let clicks = 0;
  disposer.listen(element, "click", () => {
    clicks += 1;
  });
  disposer.onChange(model, ["a", "b"], () => {});
  assert.deepEqual([...handlers.keys()], ["change:a", "change:b"]);
  disposer.dispose();
  element.click();
  assert.equal(handlers.size, 0);
  assert.equal(clicks, 0);
});

test("an Emitter calls its handlers until they unsubscribe, and refuses unknown events", () => {
  const events = new Emitter("Thing", ["select"]);
  const seen = [];
  const off = events.on("select", (value) => seen.push(value));
  events.emit("select", 1);
  off();
  events.emit("select", 2);
  assert.deepEqual(seen, [1]);
  assert.throws(() => events.on("hover", () => {}), /Thing has no "hover" event/);
});

test("segmentOf names a node's segment, 'none' outside every segment", () => {
  const codes = new Uint32Array([0, 1, 2, 7]);
  const names = ["left", "right"];
  assert.deepEqual(
    [0, 1, 2, 3, 9].map((node) => segmentOf(codes, names, node)),
    ["none", "left", "right", "?", "none"],
  );
});

test("sigma writes a z-score with its sign and a true minus", () => {
  assert.equal(sigma(1.26), "+1.3σ");
  assert.equal(sigma(0), "+0.0σ");
  assert.equal(sigma(-0.44), "−0.4σ");
});
