import assert from "node:assert/strict";
import { test } from "node:test";
import {
  appendPoints,
  columns,
  LagMeter,
  progressPercent,
  STATES,
  stateLabel,
  stopLabel,
} from "../lib/monitor_text.js";

test("progressPercent clamps to 0..100% and treats NaN as 0", () => {
  assert.equal(progressPercent(0.5), "50.0%");
  assert.equal(progressPercent(1.7), "100.0%");
  assert.equal(progressPercent(-1), "0.0%");
  assert.equal(progressPercent(Number.NaN), "0%");
});

test("every state has a label and the Stop button says what happens", () => {
  for (const state of STATES) assert.notEqual(stateLabel(state), state);
  assert.equal(stopLabel("stopping"), "Stopping…");
  assert.equal(stopLabel("running"), "■ Stop");
});

test("columns splits row-major rows into one array per column", () => {
  const [epochs, qe, te] = columns(new Float32Array([1, 0.5, 0.1, 2, 0.25, 0.2]), 3);
  assert.deepEqual(Array.from(epochs), [1, 2]);
  assert.deepEqual(Array.from(qe), [0.5, 0.25]);
  assert.deepEqual(Array.from(te), [Math.fround(0.1), Math.fround(0.2)]);
  assert.throws(() => columns([1, 2, 3], 2), RangeError);
});

test("appendPoints keeps the points before start and appends the new ones", () => {
  const next = appendPoints([1, 2, 3], [10, 20, 30], 3, [4, 5], [40, 50]);
  assert.deepEqual(Array.from(next.x), [1, 2, 3, 4, 5]);
  assert.deepEqual(Array.from(next.y), [10, 20, 30, 40, 50]);
  // epochs sent again from an earlier index replace what followed it (a second view, a rewrite)
  const again = appendPoints(next.x, next.y, 1, [2, 3], [21, 31]);
  assert.deepEqual(Array.from(again.x), [1, 2, 3]);
  assert.deepEqual(Array.from(again.y), [10, 21, 31]);
  // the first epochs, into empty curves
  assert.deepEqual(Array.from(appendPoints(new Float64Array(0), [], 0, [1], [9]).y), [9]);
});

test("appendPoints reports a gap instead of inventing points", () => {
  assert.equal(appendPoints([1, 2], [10, 20], 3, [4], [40]), null);
  assert.equal(appendPoints(undefined, undefined, 1, [2], [20]), null);
  assert.equal(appendPoints([1], [10], -1, [2], [20]), null);
});

test("LagMeter measures delays against the quickest one, whatever the clock offset", () => {
  const meter = new LagMeter();
  const offset = 1234.5; // the page's clock runs ahead of Python's by this many seconds
  assert.equal(meter.lag(100, (100 + offset + 0.05) * 1000), 0); // the first one sets the reference
  assert.ok(Math.abs(meter.lag(101, (101 + offset + 0.35) * 1000) - 0.3) < 1e-6);
  assert.equal(meter.lag(102, (102 + offset + 0.01) * 1000), 0); // a quicker one is the new reference
  assert.ok(Math.abs(meter.lag(103, (103 + offset + 0.51) * 1000) - 0.5) < 1e-6);
  assert.equal(meter.lag(Number.NaN, 0), 0);
});
