import assert from "node:assert/strict";
import { test } from "node:test";
import {
  cellPaths,
  clientToLattice,
  nodesInPolygon,
  nodesInRectangle,
  pointInPolygon,
  polygonPath,
  viewBoxFor,
} from "../lib/geometry.js";

// Two unit squares side by side, as Lattice(1, 2, "rect").cell_vertices() gives them.
const SQUARES = new Float32Array([
  0.5, 0.5, -0.5, 0.5, -0.5, -0.5, 0.5, -0.5, 1.5, 0.5, 0.5, 0.5, 0.5, -0.5, 1.5, -0.5,
]);

test("cell paths trace the vertices Python sent, in order", () => {
  assert.deepEqual(cellPaths(SQUARES, 2, 4), [
    "M0.5 0.5L-0.5 0.5L-0.5 -0.5L0.5 -0.5Z",
    "M1.5 0.5L0.5 0.5L0.5 -0.5L1.5 -0.5Z",
  ]);
});

test("a vertex buffer of the wrong size is rejected", () => {
  assert.throws(() => cellPaths(SQUARES, 3, 4), /expected 24 vertex coordinates for 3 cells, got 16/);
});

test("hexagon paths keep six corners", () => {
  const radius = 1 / Math.sqrt(3);
  const hexagon = new Float32Array(12);
  for (let k = 0; k < 6; k++) {
    hexagon[2 * k] = radius * Math.cos(((30 + 60 * k) * Math.PI) / 180);
    hexagon[2 * k + 1] = radius * Math.sin(((30 + 60 * k) * Math.PI) / 180);
  }
  const [d] = cellPaths(hexagon, 1, 6);
  assert.equal(d.split("L").length, 6);
  assert.ok(d.startsWith("M0.5 0.2887"));
});

test("the view box pads the extent on every side", () => {
  assert.deepEqual(viewBoxFor([-0.5, 1.5, -0.5, 0.5], 0.25), { x: -0.75, y: -0.75, width: 2.5, height: 1.5 });
});

test("client pixels map to lattice units in a letterboxed SVG (xMidYMid meet)", () => {
  const viewBox = { x: 0, y: 0, width: 2, height: 1 };
  // 400 x 400 box: scale 200 px per unit, map centred vertically (100 px bands).
  const rect = { left: 10, top: 20, width: 400, height: 400 };
  assert.deepEqual(clientToLattice(10, 120, rect, viewBox), [0, 0]);
  assert.deepEqual(clientToLattice(410, 320, rect, viewBox), [2, 1]);
  assert.deepEqual(clientToLattice(210, 220, rect, viewBox), [1, 0.5]);
});

test("point-in-polygon uses the even-odd rule", () => {
  const square = [
    [0, 0],
    [2, 0],
    [2, 2],
    [0, 2],
  ];
  assert.equal(pointInPolygon(1, 1, square), true);
  assert.equal(pointInPolygon(3, 1, square), false);
  const concave = [
    [0, 0],
    [4, 0],
    [4, 4],
    [3, 4],
    [3, 1],
    [1, 1],
    [1, 4],
    [0, 4],
  ]; // a "U"
  assert.equal(pointInPolygon(2, 3, concave), false);
  assert.equal(pointInPolygon(0.5, 3, concave), true);
});

const GRID = new Float32Array([0, 0, 1, 0, 2, 0, 0, 1, 1, 1, 2, 1]); // 2 rows x 3 cols of centres

test("a rectangle brush selects the centres inside it, corners in any order", () => {
  assert.deepEqual(nodesInRectangle(GRID, [0.5, -0.5], [2.5, 0.5]), [1, 2]);
  assert.deepEqual(nodesInRectangle(GRID, [2.5, 1.5], [-1, -1]), [0, 1, 2, 3, 4, 5]);
  assert.deepEqual(nodesInRectangle(GRID, [5, 5], [6, 6]), []);
});

test("a lasso selects the centres inside the drawn polygon", () => {
  const triangle = [
    [-0.5, -0.5],
    [3, -0.5],
    [-0.5, 3],
  ]; // hypotenuse x + y = 2.5
  assert.deepEqual(nodesInPolygon(GRID, triangle), [0, 1, 2, 3, 4]);
});

test("a lasso of fewer than three points selects nothing", () => {
  assert.deepEqual(
    nodesInPolygon(GRID, [
      [0, 0],
      [1, 1],
    ]),
    [],
  );
});

test("polygon paths close only real polygons", () => {
  assert.equal(polygonPath([]), "");
  assert.equal(
    polygonPath([
      [0, 0],
      [1, 0],
    ]),
    "M0 0L1 0",
  );
  assert.equal(
    polygonPath([
      [0, 0],
      [1, 0],
      [1, 1],
    ]),
    "M0 0L1 0L1 1Z",
  );
});
