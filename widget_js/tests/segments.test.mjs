import assert from "node:assert/strict";
import { test } from "node:test";
import { boundaryPath, segmentFills, UNASSIGNED_FILL } from "../lib/segments.js";

test("codes map to the segment colours, 0 to the neutral grey", () => {
  const fills = segmentFills(new Uint32Array([0, 1, 2, 1]), ["#111111", "#222222"], 4);
  assert.deepEqual(fills, [UNASSIGNED_FILL, "#111111", "#222222", "#111111"]);
});

test("an unknown code or a length mismatch falls back to grey", () => {
  assert.deepEqual(segmentFills(new Uint32Array([3]), ["#111111"], 1), [UNASSIGNED_FILL]);
  assert.deepEqual(segmentFills(new Uint32Array(0), ["#111111"], 2), [UNASSIGNED_FILL, UNASSIGNED_FILL]);
});

test("boundary edges become one move-line path", () => {
  assert.equal(
    boundaryPath(new Float32Array([0, 0, 1, 0, 1, 1, 2, 1])),
    "M0.000 0.000L1.000 0.000M1.000 1.000L2.000 1.000",
  );
  assert.equal(boundaryPath(new Float32Array(0)), "");
});
