import assert from "node:assert/strict";
import { test } from "node:test";
import { planeScales, zScores } from "../lib/planes.js";

const close = (actual, expected) =>
  assert.ok(
    actual.every((v, i) => Math.abs(v - expected[i]) < 1e-5),
    `${Array.from(actual)} != ${expected}`,
  );

test("own scales: each plane over its own range, in its own units", () => {
  const values = new Float32Array([0, 10, 20, 5, 5, 6]);
  const { colorValues, ranges } = planeScales(values, 2, false);
  assert.deepEqual(Array.from(colorValues[0]), [0, 10, 20]);
  assert.deepEqual(ranges, [
    { min: 0, max: 20 },
    { min: 5, max: 6 },
  ]);
});

test("a shared scale colours z-scores over one range for every plane", () => {
  const values = new Float32Array([1, 2, 3, 10, 10, 40]);
  const { colorValues, ranges } = planeScales(values, 2, true);
  const s = Math.sqrt(2 / 3);
  close(colorValues[0], [-1 / s, 0, 1 / s]);
  assert.equal(ranges[0], ranges[1]);
  assert.ok(Math.abs(ranges[0].max - Math.sqrt(2)) < 1e-5); // the skewed plane's top z
});

test("a constant plane has z = 0 and NaN stays NaN", () => {
  const z = zScores(new Float32Array([3, 3, Number.NaN]));
  assert.deepEqual(Array.from(z.subarray(0, 2)), [0, 0]);
  assert.ok(Number.isNaN(z[2]));
});

test("shared-scale z-scores of planes around 1e8 and 1.7e9 (float64, as Python sends them)", () => {
  const values = new Float64Array([1e8 - 1, 1e8, 1e8 + 1, 1.7e9, 1.7e9 + 0.5, 1.7e9 + 2]);
  const { colorValues } = planeScales(values, 2, true);
  const s = Math.sqrt(2 / 3);
  close(colorValues[0], [-1 / s, 0, 1 / s]);
  const mean = 2.5 / 3;
  const deviations = [0, 0.5, 2].map((v) => v - mean);
  const sd = Math.sqrt(deviations.reduce((a, d) => a + d * d, 0) / 3);
  close(
    colorValues[1],
    deviations.map((d) => d / sd),
  );
});
