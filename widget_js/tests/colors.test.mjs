import assert from "node:assert/strict";
import { test } from "node:test";
import {
  colorsFor,
  diverging,
  finiteRange,
  formatValue,
  gradientCss,
  rangeFor,
  viridis,
} from "../lib/colors.js";

test("viridis ends at matplotlib's first and last colours", () => {
  assert.equal(viridis(0), "#440154");
  assert.equal(viridis(1), "#fde725");
});

test("viridis clamps values outside [0, 1]", () => {
  assert.equal(viridis(-3), viridis(0));
  assert.equal(viridis(7), viridis(1));
});

test("finiteRange ignores NaN and infinities", () => {
  assert.deepEqual(finiteRange([NaN, 3, -1, NaN, 2]), { min: -1, max: 3 });
  assert.equal(finiteRange([NaN, NaN]), null);
  assert.equal(finiteRange([]), null);
});

test("the smallest value gets the low end of the map and the largest the high end", () => {
  const colors = colorsFor(new Float32Array([10, 20, 15]));
  assert.equal(colors[0], viridis(0));
  assert.equal(colors[1], viridis(1));
  assert.notEqual(colors[2], colors[0]);
  assert.notEqual(colors[2], colors[1]);
});

test("non-finite values get no colour (drawn as no data)", () => {
  const colors = colorsFor([1, NaN, 2]);
  assert.equal(colors[1], null);
  assert.ok(colors[0] && colors[2]);
});

test("a constant layer maps to the middle colour", () => {
  const colors = colorsFor([5, 5, 5]);
  assert.equal(new Set(colors).size, 1);
  assert.notEqual(colors[0], viridis(0));
});

test("colours are monotone along the map (brightness rises with value)", () => {
  const luminance = (hex) => {
    const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const colors = colorsFor(Array.from({ length: 50 }, (_, i) => i));
  for (let i = 1; i < colors.length; i++) assert.ok(luminance(colors[i]) >= luminance(colors[i - 1]) - 1e-9);
});

test("the colour-bar gradient runs through the map's stops", () => {
  const css = gradientCss();
  assert.match(css, /^linear-gradient\(to right, #440154 0\.0%/);
  assert.match(css, /#fde725 100\.0%\)$/);
});

test("values format compactly", () => {
  assert.equal(formatValue(NaN), "no data");
  assert.equal(formatValue(1234.5678), "1235");
  assert.equal(formatValue(0.123456), "0.1235");
  assert.equal(formatValue(12345678), "1.23e+7");
  assert.equal(formatValue(1234567, true), "1,234,567");
  assert.equal(formatValue(0), "0");
});

test("the diverging palette runs blue to red through pale grey at its middle", () => {
  assert.equal(diverging(0), "#2166ac");
  assert.equal(diverging(0.5), "#f7f7f7");
  assert.equal(diverging(1), "#b2182b");
});

test("a diverging range is symmetric around zero, so zero gets the middle colour", () => {
  assert.deepEqual(rangeFor([-0.1, 0.4, Number.NaN], "diverging"), { min: -0.4, max: 0.4 });
  assert.deepEqual(rangeFor([0.1, 0.3], "diverging"), { min: -0.3, max: 0.3 });
  assert.deepEqual(rangeFor([-0.1, 0.4]), { min: -0.1, max: 0.4 });
  assert.equal(rangeFor([Number.NaN], "diverging"), null);
  const values = [-0.4, 0, 0.4, 0.2];
  const colors = colorsFor(values, rangeFor(values, "diverging"), "diverging");
  assert.deepEqual(colors.slice(0, 3), [diverging(0), diverging(0.5), diverging(1)]);
  // all positive: the smallest is still above the middle, never the blue end
  const positive = colorsFor([0.1, 0.3], rangeFor([0.1, 0.3], "diverging"), "diverging");
  assert.notEqual(positive[0], diverging(0));
  assert.equal(positive[1], diverging(1));
});

test("an unknown palette is refused", () => {
  assert.throws(() => colorsFor([1], { min: 0, max: 1 }, "rainbow"), /Unknown palette "rainbow"/);
  assert.throws(() => gradientCss("rainbow"), /Unknown palette/);
});
