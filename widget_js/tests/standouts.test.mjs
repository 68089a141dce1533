import assert from "node:assert/strict";
import { test } from "node:test";
import { topFeatures } from "../lib/standouts.js";

const names = ["age", "income", "tenure"];
// 2 nodes, top 2: node 0 -> income (+2.5), age (-1.0); node 1 -> tenure (0: skipped), age (NaN: skipped)
const indices = new Uint32Array([1, 0, 2, 0]);
const scores = new Float32Array([2.5, -1, 0, Number.NaN]);

test("a node's standouts are its top-k features with their signed z-scores, in order", () => {
  assert.deepEqual(topFeatures(names, indices, scores, 2, 0), [
    ["income", 2.5],
    ["age", -1],
  ]);
});

test("zero and non-finite scores say nothing and are left out", () => {
  assert.deepEqual(topFeatures(names, indices, scores, 2, 1), []);
});

test("no top-k, or a node past the arrays, has no standouts", () => {
  assert.deepEqual(topFeatures(names, new Uint32Array(0), new Float32Array(0), 0, 0), []);
  assert.deepEqual(topFeatures(names, indices, scores, 2, 5), []);
});

test("an index outside the names reads '?' rather than failing", () => {
  assert.deepEqual(topFeatures(names, new Uint32Array([9]), new Float32Array([1]), 1, 0), [["?", 1]]);
});
