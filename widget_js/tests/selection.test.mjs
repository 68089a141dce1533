import assert from "node:assert/strict";
import { test } from "node:test";
import {
  brushSelection,
  clickSelection,
  nodesWithCounts,
  normalizeSelection,
  sameSelection,
} from "../lib/selection.js";

test("selections are normalised to sorted unique indices", () => {
  assert.deepEqual(normalizeSelection([5, 1, 5, 3]), [1, 3, 5]);
  assert.deepEqual(normalizeSelection(new Set([2, 10])), [2, 10]);
});

test("a plain click selects that node alone", () => {
  assert.deepEqual(clickSelection([1, 2, 3], 7, false), [7]);
  assert.deepEqual(clickSelection([7], 7, false), [7]);
});

test("a modifier click adds a node that is not selected", () => {
  assert.deepEqual(clickSelection([1, 9], 4, true), [1, 4, 9]);
});

test("a modifier click removes a node that is selected", () => {
  assert.deepEqual(clickSelection([1, 4, 9], 4, true), [1, 9]);
});

test("a plain click on empty space clears the selection", () => {
  assert.deepEqual(clickSelection([1, 4], null, false), []);
});

test("a modifier click on empty space keeps the selection", () => {
  assert.deepEqual(clickSelection([1, 4], null, true), [1, 4]);
});

test("a brush replaces the selection", () => {
  assert.deepEqual(brushSelection([1, 2], [8, 5], false), [5, 8]);
});

test("a brush with a modifier adds to the selection", () => {
  assert.deepEqual(brushSelection([1, 5], [8, 5], true), [1, 5, 8]);
});

test("an empty brush without modifier clears", () => {
  assert.deepEqual(brushSelection([1, 5], [], false), []);
});

test("sameSelection compares element by element", () => {
  assert.equal(sameSelection([1, 2], [1, 2]), true);
  assert.equal(sameSelection([1, 2], [1, 3]), false);
  assert.equal(sameSelection([1], [1, 2]), false);
});

test("the nodes with a positive count form a selection", () => {
  assert.deepEqual(nodesWithCounts(new Uint32Array([0, 2, 0, 1])), [1, 3]);
  assert.deepEqual(nodesWithCounts([]), []);
});
