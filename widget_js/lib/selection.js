// Selection logic, independent of the DOM.  A selection is a sorted array of
// unique node indices -- the same form the Python `selected` trait holds.

/** Sorted unique copy of any iterable of node indices. */
export function normalizeSelection(nodes) {
  return Array.from(new Set(Array.from(nodes, Number))).sort((a, b) => a - b);
}

/** Whether two normalised selections hold the same nodes. */
export function sameSelection(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Selection after a click.
 * - plain click on a node: that node alone;
 * - shift/ctrl/meta click on a node: toggle it in or out;
 * - plain click on empty space: nothing selected;
 * - modifier click on empty space: unchanged.
 * @param {number[]} current normalised selection
 * @param {number | null} node the clicked node, or null for empty space
 * @param {boolean} toggle whether shift, ctrl or meta was held
 */
export function clickSelection(current, node, toggle) {
  if (node === null) return toggle ? current.slice() : [];
  if (!toggle) return [node];
  return current.includes(node) ? current.filter((n) => n !== node) : normalizeSelection([...current, node]);
}

/**
 * Selection after a brush (rectangle or lasso) covering `nodes`: replaces the
 * selection, or adds to it when shift/ctrl/meta was held as the drag started.
 */
export function brushSelection(current, nodes, additive) {
  return normalizeSelection(additive ? [...current, ...nodes] : nodes);
}

/** The nodes whose count is positive (e.g. the nodes holding an anomaly), as a selection. */
export function nodesWithCounts(counts) {
  const nodes = [];
  for (let node = 0; node < counts.length; node++) if (counts[node] > 0) nodes.push(node);
  return nodes;
}
