// Colour mapping of a layer's values.
//
// One perceptually uniform sequential map (viridis) serves every layer: it
// reads on both the light and the dark JupyterLab theme.  Values that are not
// finite (NaN: "no data", e.g. the quality of a node no row maps to) get no
// colour; the view gives them the theme's "empty" fill through CSS.

/** Viridis sampled at 9 evenly spaced points (matplotlib's values). */
const VIRIDIS = [
  [68, 1, 84],
  [71, 44, 122],
  [59, 81, 139],
  [44, 113, 142],
  [33, 144, 141],
  [39, 173, 129],
  [92, 200, 99],
  [170, 220, 50],
  [253, 231, 37],
];

const LUT_SIZE = 256;

function hex(channel) {
  return Math.round(channel).toString(16).padStart(2, "0");
}

/** Colour of t in [0, 1] (clamped) as "#rrggbb", interpolated between the viridis stops. */
export function viridis(t) {
  const clamped = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0));
  const position = clamped * (VIRIDIS.length - 1);
  const low = Math.min(VIRIDIS.length - 2, Math.floor(position));
  const frac = position - low;
  const a = VIRIDIS[low];
  const b = VIRIDIS[low + 1];
  return `#${hex(a[0] + (b[0] - a[0]) * frac)}${hex(a[1] + (b[1] - a[1]) * frac)}${hex(a[2] + (b[2] - a[2]) * frac)}`;
}

const LUT = Array.from({ length: LUT_SIZE }, (_, i) => viridis(i / (LUT_SIZE - 1)));

/**
 * Smallest and largest finite value, or null when there is none.
 * @param {ArrayLike<number>} values
 * @returns {{min: number, max: number} | null}
 */
export function finiteRange(values) {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < min) min = v; // NaN compares false both ways and is skipped
    if (v > max) max = v;
  }
  return min <= max ? { min, max } : null;
}

/**
 * Fill colour of every value: "#rrggbb", or null for a non-finite value.
 * A constant layer maps to the middle of the colour map.
 * @param {ArrayLike<number>} values
 * @param {{min: number, max: number} | null} range
 * @returns {(string | null)[]}
 */
export function colorsFor(values, range = finiteRange(values)) {
  const out = new Array(values.length).fill(null);
  if (range === null) return out;
  const span = range.max - range.min;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    const t = span > 0 ? (v - range.min) / span : 0.5;
    out[i] = LUT[Math.min(LUT_SIZE - 1, Math.max(0, Math.round(t * (LUT_SIZE - 1))))];
  }
  return out;
}

/** CSS linear-gradient of the colour map, left (low) to right (high). */
export function gradientCss() {
  const stops = VIRIDIS.map((_, i) => {
    const t = i / (VIRIDIS.length - 1);
    return `${viridis(t)} ${(100 * t).toFixed(1)}%`;
  });
  return `linear-gradient(to right, ${stops.join(", ")})`;
}

/**
 * Short human-readable number: integers as such when `integer`, otherwise 4
 * significant digits, switching to exponent notation for very large/small.
 */
export function formatValue(value, integer = false) {
  if (value === null || value === undefined || !Number.isFinite(value)) return "no data";
  if (integer) return Math.round(value).toLocaleString("en-US");
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude >= 1e6 || magnitude < 1e-3)) return value.toExponential(2);
  return String(Number(value.toPrecision(4)));
}

/** A z-score as "+1.2σ" / "−0.4σ" (a true minus sign), one decimal. */
export function sigma(value) {
  return `${value >= 0 ? "+" : "−"}${Math.abs(value).toFixed(1)}σ`;
}

/** A correlation as "r +0.84" / "r −0.31" (a true minus sign), two decimals. */
export function signedR(value) {
  return `r ${value >= 0 ? "+" : "−"}${Math.abs(value).toFixed(2)}`;
}
