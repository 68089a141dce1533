// Colour scales of a grid of component planes (pure; unit-tested).

import { finiteRange } from "./colors.js";

/**
 * What each plane is coloured by, and over which range.
 *
 * - own scales (shared = false): a plane's own values over its own [min, max];
 * - shared scale (shared = true): every plane's z-scores, (v - mean) / std over
 *   its nodes (0 for a constant plane), over one [min, max] of all z-scores.
 *
 * @param {Float32Array} values n_planes * n_nodes values, plane after plane
 * @param {number} nPlanes
 * @param {boolean} shared
 * @returns {{colorValues: Float32Array[], ranges: ({min: number, max: number} | null)[]}}
 */
export function planeScales(values, nPlanes, shared) {
  const nNodes = nPlanes > 0 ? values.length / nPlanes : 0;
  const planes = Array.from({ length: nPlanes }, (_, p) => values.subarray(p * nNodes, (p + 1) * nNodes));
  if (!shared) return { colorValues: planes, ranges: planes.map((plane) => finiteRange(plane)) };
  const colorValues = planes.map(zScores);
  let range = null;
  for (const z of colorValues) {
    const r = finiteRange(z);
    if (r === null) continue;
    range = range === null ? r : { min: Math.min(range.min, r.min), max: Math.max(range.max, r.max) };
  }
  return { colorValues, ranges: planes.map(() => range) };
}

/** (v - mean) / std (population std over finite values); 0 for a constant plane, NaN stays NaN. */
export function zScores(plane) {
  let n = 0;
  let sum = 0;
  for (const v of plane) {
    if (Number.isFinite(v)) {
      n += 1;
      sum += v;
    }
  }
  const mean = n > 0 ? sum / n : 0;
  let squares = 0;
  for (const v of plane) if (Number.isFinite(v)) squares += (v - mean) ** 2;
  const std = n > 0 ? Math.sqrt(squares / n) : 0;
  const out = new Float32Array(plane.length);
  for (let i = 0; i < plane.length; i++) {
    const v = plane[i];
    out[i] = Number.isFinite(v) ? (std > 0 ? (v - mean) / std : 0) : Number.NaN;
  }
  return out;
}
