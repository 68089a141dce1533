// Colour mapping of a layer's values.
//
// One perceptually uniform sequential map (viridis) serves every layer: it
// reads on both the light and the dark JupyterLab theme.  Signed layers (a
// difference, such as the drift layer) use a diverging map instead (ColorBrewer's
// RdBu, blue for negative, red for positive, pale grey at zero) over a range
// symmetric around zero, so zero always sits in the middle.  Values that are not
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

/** ColorBrewer RdBu (reversed: negative blue, positive red) at 9 evenly spaced points. */
const DIVERGING = [
  [33, 102, 172],
  [67, 147, 195],
  [146, 197, 222],
  [209, 229, 240],
  [247, 247, 247],
  [253, 219, 199],
  [244, 165, 130],
  [214, 96, 77],
  [178, 24, 43],
];

/** The palettes a layer may ask for (`_layer_info.palette`), each a list of stops. */
const PALETTES = { sequential: VIRIDIS, diverging: DIVERGING };

// Odd, so the middle of a palette (a diverging layer's zero) is one of its entries.
const LUT_SIZE = 257;

function hex(channel) {
  return Math.round(channel).toString(16).padStart(2, "0");
}

function interpolate(stops, t) {
  const clamped = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0));
  const position = clamped * (stops.length - 1);
  const low = Math.min(stops.length - 2, Math.floor(position));
  const frac = position - low;
  const a = stops[low];
  const b = stops[low + 1];
  return `#${hex(a[0] + (b[0] - a[0]) * frac)}${hex(a[1] + (b[1] - a[1]) * frac)}${hex(a[2] + (b[2] - a[2]) * frac)}`;
}

/** Colour of t in [0, 1] (clamped) as "#rrggbb", interpolated between the viridis stops. */
export function viridis(t) {
  return interpolate(VIRIDIS, t);
}

/** Colour of t in [0, 1] (clamped; 0.5 is zero) of the diverging palette, as "#rrggbb". */
export function diverging(t) {
  return interpolate(DIVERGING, t);
}

const LUTS = Object.fromEntries(
  Object.entries(PALETTES).map(([name, stops]) => [
    name,
    Array.from({ length: LUT_SIZE }, (_, i) => interpolate(stops, i / (LUT_SIZE - 1))),
  ]),
);

function paletteOf(name) {
  if (!(name in PALETTES)) throw new Error(`Unknown palette "${name}"`);
  return name;
}

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
 * The range a palette spreads over the values: their finite range, or for the diverging palette
 * the range symmetric around zero that holds them (`{min: -m, max: m}`, m the largest magnitude).
 * @param {ArrayLike<number>} values
 * @param {string} [palette] "sequential" or "diverging"
 * @returns {{min: number, max: number} | null}
 */
export function rangeFor(values, palette = "sequential") {
  const range = finiteRange(values);
  if (range === null || paletteOf(palette) !== "diverging") return range;
  const magnitude = Math.max(Math.abs(range.min), Math.abs(range.max));
  return { min: -magnitude, max: magnitude };
}

/**
 * Fill colour of every value: "#rrggbb", or null for a non-finite value.
 * A constant layer maps to the middle of the colour map (zero, on the diverging one).
 * @param {ArrayLike<number>} values
 * @param {{min: number, max: number} | null} range
 * @param {string} [palette] "sequential" (viridis) or "diverging"
 * @returns {(string | null)[]}
 */
export function colorsFor(values, range = finiteRange(values), palette = "sequential") {
  const lut = LUTS[paletteOf(palette)];
  const out = new Array(values.length).fill(null);
  if (range === null) return out;
  const span = range.max - range.min;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    const t = span > 0 ? (v - range.min) / span : 0.5;
    out[i] = lut[Math.min(LUT_SIZE - 1, Math.max(0, Math.round(t * (LUT_SIZE - 1))))];
  }
  return out;
}

/** CSS linear-gradient of a palette, left (low) to right (high). */
export function gradientCss(palette = "sequential") {
  const stopsOf = PALETTES[paletteOf(palette)];
  const stops = stopsOf.map((_, i) => {
    const t = i / (stopsOf.length - 1);
    return `${interpolate(stopsOf, t)} ${(100 * t).toFixed(1)}%`;
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
