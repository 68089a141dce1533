// What sets a node apart: the top-k features by |z-score| that Python computes per node
// (MapView's `_top_features` / `_top_scores`, both (n_nodes, top_k)).  Pure; unit-tested.

/**
 * [feature name, z-score] of `node`'s top-k scores, skipping zero and non-finite ones.
 * @param {string[]} names feature names
 * @param {Uint32Array} indices (n_nodes * k) feature indices
 * @param {Float32Array} scores (n_nodes * k) z-scores
 * @param {number} k top-k (0: none)
 * @param {number} node
 * @returns {[string, number][]}
 */
export function topFeatures(names, indices, scores, k, node) {
  if (k === 0 || indices.length < (node + 1) * k) return [];
  const out = [];
  for (let j = 0; j < k; j++) {
    const score = scores[node * k + j];
    if (Number.isFinite(score) && score !== 0) out.push([names[indices[node * k + j]] ?? "?", score]);
  }
  return out;
}
