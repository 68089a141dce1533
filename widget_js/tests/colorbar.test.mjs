import assert from "node:assert/strict";
import { test } from "node:test";
import "./dom.mjs";
import { ColorBar, SegmentLegend, tickLabels } from "../lib/colorbar.js";
import { formatValue, gradientCss, sigma } from "../lib/colors.js";
import { UNASSIGNED_FILL } from "../lib/segments.js";

const ticks = (bar) => [
  bar.element.querySelector(".somnium-map__tick-min").textContent,
  bar.element.querySelector(".somnium-map__tick-max").textContent,
];

test("tick labels: both ends formatted, or 'no data' without a finite range", () => {
  assert.deepEqual(tickLabels(0.5, 12), ["0.5", "12"]);
  assert.deepEqual(tickLabels(-1.24, 2, sigma), ["−1.2σ", "+2.0σ"]);
  assert.deepEqual(tickLabels(undefined, undefined), ["no data", ""]);
  assert.deepEqual(tickLabels(Number.NaN, 3), ["no data", ""]);
});

test("setRange writes the two ticks with the format given", () => {
  const bar = new ColorBar({ className: "somnium-map__colorbar", label: true });
  bar.setRange(1234.5, 98765, (value) => formatValue(value, true));
  assert.deepEqual(ticks(bar), ["1,235", "98,765"]);
  bar.setRange(null, null);
  assert.deepEqual(ticks(bar), ["no data", ""]);
});

test("the full bar: label, viridis ramp, ticks and keys, under the view's hook class", () => {
  const bar = new ColorBar({ className: "somnium-map__colorbar", label: true, keys: true });
  assert.ok(bar.element.classList.contains("somnium-map__colorbar"));
  assert.ok(!bar.element.classList.contains("somnium-colorbar--compact"));
  const hostile = "<img src=x onerror=alert(1)>";
  bar.setLabel(hostile);
  assert.equal(bar.element.querySelector(".somnium-map__colorbar-label").textContent, hostile);
  assert.equal(bar.element.querySelector("img"), null);
  const ramp = bar.element.querySelector(".somnium-map__colorbar-ramp");
  assert.equal(ramp.style.background.replaceAll(" ", ""), gradientCss().replaceAll(" ", ""));
  assert.ok(bar.element.querySelector(".somnium-map__legend-item--nodata"));
  assert.ok(bar.element.querySelector(".somnium-map__legend-item--empty"));
});

test("setKeys shows or hides each swatch, leaving the other as it was", () => {
  const bar = new ColorBar({ className: "somnium-map__colorbar", keys: true });
  const noData = bar.element.querySelector(".somnium-map__legend-item--nodata");
  const empty = bar.element.querySelector(".somnium-map__legend-item--empty");
  bar.setKeys({ noData: true, empty: false });
  assert.deepEqual([noData.hidden, empty.hidden], [false, true]);
  bar.setKeys({ empty: true });
  assert.deepEqual([noData.hidden, empty.hidden], [false, false]);
  bar.setKeys({ noData: false });
  assert.deepEqual([noData.hidden, empty.hidden], [true, false]);
});

test("the compact bar has no label and no keys", () => {
  const bar = new ColorBar({ className: "somnium-planes__colorbar", compact: true });
  assert.ok(bar.element.classList.contains("somnium-planes__colorbar"));
  assert.ok(bar.element.classList.contains("somnium-colorbar--compact"));
  assert.equal(bar.element.querySelector(".somnium-map__colorbar-label"), null);
  assert.equal(bar.element.querySelector(".somnium-map__legend"), null);
  bar.setLabel("ignored"); // nothing to write into, and no error
  bar.setKeys({ noData: true });
  bar.hidden = true;
  assert.equal(bar.element.hidden, true);
});

test("the segment legend names each segment as text, adds 'no segment' when a node has none", () => {
  const legend = new SegmentLegend();
  assert.equal(legend.element.hidden, true);
  const hostile = "<script>alert(1)</script>";
  legend.update(["left", hostile], ["#112233", "#445566"], new Uint32Array([1, 2, 0]));
  assert.equal(legend.element.hidden, false);
  const names = Array.from(legend.element.querySelectorAll(".somnium-segments__name"), (n) => n.textContent);
  assert.deepEqual(names, ["left", hostile, "no segment"]);
  assert.equal(legend.element.querySelector("script"), null);
  const none = legend.element.querySelector(".somnium-segments__item--none .somnium-segments__swatch");
  assert.equal(none.style.background, UNASSIGNED_FILL);
  legend.update(["left"], ["#112233"], new Uint32Array([1, 1, 1]));
  assert.equal(legend.element.querySelector(".somnium-segments__item--none"), null);
  legend.update([], [], new Uint32Array(0));
  assert.equal(legend.element.hidden, true);
});

// ------------------------------------------------------------ a layer of categories; details
import { CategoryLegend, categoryFills, categoryText, DetailsPanel } from "../lib/colorbar.js";
import { signedR } from "../lib/colors.js";

test("category fills: the colour of code - 1, null (the theme's no-data fill) for 0 or an unknown code", () => {
  const colors = ["#111111", "#222222"];
  assert.deepEqual(categoryFills(new Uint32Array([1, 0, 2, 3]), colors, 4), [
    "#111111",
    null,
    "#222222",
    null,
  ]);
  assert.deepEqual(categoryFills(new Uint32Array([1]), colors, 3), [null, null, null]); // wrong length
});

test("category text: the most frequent value and its share, or 'no data'", () => {
  const names = ["Adelie", "Gentoo"];
  const codes = new Uint32Array([2, 0, 1]);
  const shares = new Float32Array([0.754, Number.NaN, 1]);
  assert.equal(categoryText(names, codes, shares, 0), "Gentoo (75%)");
  assert.equal(categoryText(names, codes, shares, 1), "no data");
  assert.equal(categoryText(names, codes, shares, 2), "Adelie (100%)");
});

test("the category legend: title, one item per category as text, 'no data' when a node has none", () => {
  const legend = new CategoryLegend();
  assert.equal(legend.element.hidden, true);
  const hostile = "<img src=x onerror=alert(1)>";
  legend.update(
    "species (most frequent)",
    ["a", hostile],
    ["#111111", "#222222"],
    new Uint32Array([1, 2, 0]),
  );
  assert.equal(legend.element.hidden, false);
  const items = [...legend.element.querySelectorAll(".somnium-categories__item")];
  assert.deepEqual(
    items.map((item) => [item.dataset.category, item.textContent]),
    [
      ["0", "a"],
      ["1", hostile],
    ],
  );
  assert.equal(legend.element.querySelector("img"), null);
  assert.equal(
    legend.element.querySelector(".somnium-categories__title").textContent,
    "species (most frequent)",
  );
  assert.ok(legend.element.querySelector(".somnium-map__legend-item--nodata"));
  legend.update("x", ["a"], ["#111111"], new Uint32Array([1, 1]));
  assert.equal(legend.element.querySelector(".somnium-map__legend-item--nodata"), null);
  legend.update("x", [], [], new Uint32Array(0));
  assert.equal(legend.element.hidden, true);
});

test("the details panel: a title and name/value lines as text; hidden when empty", () => {
  const panel = new DetailsPanel();
  assert.equal(panel.element.hidden, true);
  const hostile = "<b>x</b>";
  panel.update({
    title: "Drivers of 3 selected nodes",
    rows: [
      [hostile, "r +0.80"],
      ["b", "r −0.20"],
    ],
  });
  assert.equal(panel.element.hidden, false);
  const rows = [...panel.element.querySelectorAll(".somnium-map__details-row")];
  assert.deepEqual(
    rows.map((row) => [row.dataset.name, row.textContent]),
    [
      [hostile, `${hostile}r +0.80`],
      ["b", "br −0.20"],
    ],
  );
  assert.equal(panel.element.querySelector("b"), null);
  panel.update({});
  assert.equal(panel.element.hidden, true);
});

test("a correlation reads 'r +0.84' with a true minus sign", () => {
  assert.equal(signedR(0.8412), "r +0.84");
  assert.equal(signedR(-0.305), "r −0.30");
});

test("a diverging bar shows its ramp and a middle tick at zero", () => {
  const bar = new ColorBar({ className: "somnium-map__colorbar", label: true });
  const mid = bar.element.querySelector(".somnium-map__tick-mid");
  assert.equal(mid.hidden, true);
  bar.setPalette("diverging");
  bar.setRange(-0.25, 0.25, formatValue, 0);
  assert.deepEqual(ticks(bar), ["-0.25", "0.25"]);
  assert.equal(mid.hidden, false);
  assert.equal(mid.textContent, "0");
  assert.equal(bar.element.dataset.palette, "diverging");
  const ramp = bar.element.querySelector(".somnium-map__colorbar-ramp");
  assert.equal(ramp.style.background.replaceAll(" ", ""), gradientCss("diverging").replaceAll(" ", ""));
  bar.setPalette("sequential");
  bar.setRange(1, 2);
  assert.equal(mid.hidden, true);
  assert.equal(ramp.style.background.replaceAll(" ", ""), gradientCss().replaceAll(" ", ""));
});
