import assert from "node:assert/strict";
import { test } from "node:test";
import { Tooltip, tooltipHeading, tooltipRow, tooltipTitle } from "../lib/tooltip.js";
import { host } from "./dom.mjs";

const text = (tooltip) => tooltip.element.textContent;

test("follow builds the card for a new node, only moves it on the same one, hides on null", () => {
  const tooltip = new Tooltip(host());
  let builds = 0;
  const content = ({ node }) => {
    builds += 1;
    return [tooltipTitle(`Node ${node}`)];
  };
  tooltip.follow({ node: 3, clientX: 5, clientY: 5 }, content);
  assert.equal(text(tooltip), "Node 3");
  assert.equal(tooltip.visible, true);
  tooltip.follow({ node: 3, clientX: 9, clientY: 9 }, content);
  assert.equal(builds, 1);
  tooltip.follow({ node: 4, clientX: 9, clientY: 9 }, content);
  assert.equal(text(tooltip), "Node 4");
  assert.equal(builds, 2);
  tooltip.follow(null, content);
  assert.equal(tooltip.visible, false);
  tooltip.follow({ node: 4, clientX: 1, clientY: 1 }, content); // back on the node: a fresh card
  assert.equal(builds, 3);
});

test("the key tells hovers apart beyond the node (the same node on another plane)", () => {
  const tooltip = new Tooltip(host());
  let builds = 0;
  const content = () => {
    builds += 1;
    return [];
  };
  tooltip.follow({ node: 1, clientX: 0, clientY: 0 }, content, "0:1");
  tooltip.follow({ node: 1, clientX: 0, clientY: 0 }, content, "2:1");
  assert.equal(builds, 2);
});

test("refresh rebuilds the shown card from the data now, and does nothing while hidden", () => {
  const tooltip = new Tooltip(host());
  let value = "1";
  const content = () => [tooltipRow("age", value)];
  tooltip.refresh(); // nothing shown yet
  assert.equal(tooltip.visible, false);
  tooltip.follow({ node: 0, clientX: 0, clientY: 0 }, content);
  value = "2";
  tooltip.refresh();
  assert.equal(tooltip.element.querySelector(".somnium-map__tooltip-value").textContent, "2");
  tooltip.follow(null, content);
  tooltip.refresh();
  assert.equal(tooltip.visible, false);
});

test("card lines are text: title with a muted remark, a heading, rows with an optional class", () => {
  const hostile = "<img src=x onerror=alert(1)>";
  const title = tooltipTitle("Node 7", ` · ${hostile}`);
  assert.equal(title.querySelector(".somnium-map__tooltip-muted").textContent, ` · ${hostile}`);
  assert.equal(tooltipTitle("Node 7").children.length, 0);
  assert.ok(tooltipHeading(hostile).classList.contains("somnium-map__tooltip-heading"));
  const row = tooltipRow(hostile, "3", "somnium-planes__tooltip-current");
  assert.deepEqual(Array.from(row.classList), [
    "somnium-map__tooltip-row",
    "somnium-planes__tooltip-current",
  ]);
  assert.equal(row.querySelector(".somnium-map__tooltip-key").textContent, hostile);
  assert.equal(row.querySelector("img"), null);
  assert.deepEqual(Array.from(tooltipRow("a", "b").classList), ["somnium-map__tooltip-row"]);
});
