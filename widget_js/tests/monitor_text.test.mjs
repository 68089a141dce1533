import assert from "node:assert/strict";
import { test } from "node:test";
import { progressPercent, STATES, stateLabel, stopLabel } from "../lib/monitor_text.js";

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
