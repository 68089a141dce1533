// Drawing geometry, all of it taken from what Python sends: the cell polygons
// come from `Lattice.cell_vertices()` and the centres from
// `Lattice.coordinates`; nothing here knows what a hexagon is.  Lattice units
// are used as SVG user units, with y pointing down, so row 0 is at the top as
// in the static plots.

/**
 * SVG path data of every cell ("M x y L x y ... Z"), from a flat array of
 * n_nodes * n_vertices (x, y) pairs.
 * @param {Float32Array} vertices
 * @param {number} nNodes
 * @param {number} nVertices
 * @returns {string[]}
 */
export function cellPaths(vertices, nNodes, nVertices) {
  const expected = nNodes * nVertices * 2;
  if (vertices.length !== expected) {
    throw new RangeError(
      `expected ${expected} vertex coordinates for ${nNodes} cells, got ${vertices.length}`,
    );
  }
  const paths = new Array(nNodes);
  for (let node = 0; node < nNodes; node++) {
    const base = node * nVertices * 2;
    let d = `M${round(vertices[base])} ${round(vertices[base + 1])}`;
    for (let k = 1; k < nVertices; k++) {
      d += `L${round(vertices[base + 2 * k])} ${round(vertices[base + 2 * k + 1])}`;
    }
    paths[node] = `${d}Z`;
  }
  return paths;
}

function round(value) {
  return Math.round(value * 1e4) / 1e4;
}

/**
 * The SVG viewBox around the map's extent [xmin, xmax, ymin, ymax] with a margin.
 * @returns {{x: number, y: number, width: number, height: number}}
 */
export function viewBoxFor(extent, margin = 0.3) {
  const [xmin, xmax, ymin, ymax] = extent;
  return {
    x: xmin - margin,
    y: ymin - margin,
    width: xmax - xmin + 2 * margin,
    height: ymax - ymin + 2 * margin,
  };
}

/**
 * Convert a pointer position (client pixels) to lattice units, for an SVG
 * drawn with `preserveAspectRatio="xMidYMid meet"` in the box `rect`.
 * @param {number} clientX
 * @param {number} clientY
 * @param {{left: number, top: number, width: number, height: number}} rect
 * @param {{x: number, y: number, width: number, height: number}} viewBox
 * @returns {[number, number]}
 */
export function clientToLattice(clientX, clientY, rect, viewBox) {
  const scale = Math.min(rect.width / viewBox.width, rect.height / viewBox.height);
  const offsetX = rect.left + (rect.width - viewBox.width * scale) / 2;
  const offsetY = rect.top + (rect.height - viewBox.height * scale) / 2;
  return [viewBox.x + (clientX - offsetX) / scale, viewBox.y + (clientY - offsetY) / scale];
}

/**
 * Even-odd rule point-in-polygon test.
 * @param {number} x
 * @param {number} y
 * @param {[number, number][]} polygon
 */
export function pointInPolygon(x, y, polygon) {
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i];
    const [xj, yj] = polygon[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/**
 * Nodes whose centre lies in the rectangle spanned by two corners (any order).
 * @param {Float32Array} centers flat (x, y) pairs
 * @returns {number[]} ascending node indices
 */
export function nodesInRectangle(centers, [x0, y0], [x1, y1]) {
  const [left, right] = x0 < x1 ? [x0, x1] : [x1, x0];
  const [top, bottom] = y0 < y1 ? [y0, y1] : [y1, y0];
  const nodes = [];
  for (let node = 0; node < centers.length / 2; node++) {
    const x = centers[2 * node];
    const y = centers[2 * node + 1];
    if (x >= left && x <= right && y >= top && y <= bottom) nodes.push(node);
  }
  return nodes;
}

/**
 * Nodes whose centre lies inside a lasso polygon (closed implicitly).
 * @param {Float32Array} centers flat (x, y) pairs
 * @param {[number, number][]} polygon
 * @returns {number[]} ascending node indices
 */
export function nodesInPolygon(centers, polygon) {
  if (polygon.length < 3) return [];
  let [left, top, right, bottom] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const [x, y] of polygon) {
    left = Math.min(left, x);
    right = Math.max(right, x);
    top = Math.min(top, y);
    bottom = Math.max(bottom, y);
  }
  const nodes = [];
  for (let node = 0; node < centers.length / 2; node++) {
    const x = centers[2 * node];
    const y = centers[2 * node + 1];
    // The bounding-box test keeps a lasso over a 10,000-cell map cheap.
    if (x < left || x > right || y < top || y > bottom) continue;
    if (pointInPolygon(x, y, polygon)) nodes.push(node);
  }
  return nodes;
}

/** SVG path data of a polygon given as [x, y] points (open if fewer than 3). */
export function polygonPath(points) {
  if (points.length === 0) return "";
  const [first, ...rest] = points;
  return `M${round(first[0])} ${round(first[1])}${rest.map(([x, y]) => `L${round(x)} ${round(y)}`).join("")}${points.length > 2 ? "Z" : ""}`;
}
