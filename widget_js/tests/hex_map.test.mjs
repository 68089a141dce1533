import assert from "node:assert/strict";
import { test } from "node:test";
import { brushPath, emptyMarksPath, selectionChanges, wrapKind, wrapLines } from "../lib/hex_map.js";

const flat = { extent: [0, 4, 0, 3], wraps_x: false, wraps_y: false };

test("wrapKind names how a lattice wraps", () => {
  assert.equal(wrapKind(flat), null);
  assert.equal(wrapKind({ ...flat, wraps_x: true }), "cylindrical");
  assert.equal(wrapKind({ ...flat, wraps_x: true, wraps_y: true }), "toroidal");
});

test("wrap lines mark the joined edges of the extent", () => {
  assert.deepEqual(wrapLines(flat), []);
  assert.deepEqual(wrapLines({ ...flat, wraps_x: true }), [
    [0, 0, 0, 3],
    [4, 0, 4, 3],
  ]);
  assert.equal(wrapLines({ ...flat, wraps_x: true, wraps_y: true }).length, 4);
});

test("empty marks ring exactly the nodes without hits", () => {
  const centers = new Float32Array([0, 0, 1, 0, 2, 0]);
  const d = emptyMarksPath(centers, new Uint32Array([0, 5, 0]), 0.1);
  assert.equal((d.match(/M/g) ?? []).length, 2);
  assert.ok(d.startsWith("M-0.100 0.000"));
  assert.ok(d.includes("M1.900 0.000"));
  assert.equal(emptyMarksPath(centers, new Uint32Array(0)), ""); // no hit counts: no marks
});

test("selectionChanges touches only the cells whose state flips", () => {
  const { flags, changed } = selectionChanges(new Uint8Array([1, 1, 0, 0]), [1, 2, 9]);
  assert.deepEqual(Array.from(flags), [0, 1, 1, 0]);
  assert.deepEqual(changed, [0, 2]); // node 9 is out of range and ignored
});

test("the rectangle brush is drawn from its two corners", () => {
  assert.equal(
    brushPath({
      mode: "rectangle",
      points: [
        [0, 0],
        [2, 1],
      ],
    }),
    "M0 0L2 0L2 1L0 1Z",
  );
  assert.equal(
    brushPath({
      mode: "lasso",
      points: [
        [0, 0],
        [1, 0],
        [1, 1],
      ],
    }),
    "M0 0L1 0L1 1Z",
  );
});

test("the dimming rectangle reaches past the view box so its edge is never drawn", async () => {
  const { rectanglePath } = await import("../lib/hex_map.js");
  assert.equal(rectanglePath({ x: 0, y: 0, width: 4, height: 3 }, 1), "M-1 -1H5V4H-1Z");
  assert.ok(rectanglePath({ x: 0, y: 0, width: 4, height: 3 }).startsWith("M-1000 -1000"));
});
