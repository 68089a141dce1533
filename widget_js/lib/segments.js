// The "Segments" layer: categorical fills, boundary lines and a text-only legend.
//
// Python sends everything (somnium/widgets/_segments.py): per-node codes (0 = in no segment,
// i + 1 = segment i), one "#rrggbb" per segment, the names, and the boundary edges as
// float32 (n_edges, 4) lines.  Names go into the DOM through textContent only.

import { make } from "./dom.js";

/** Fill of the nodes in no segment (matches UNASSIGNED_COLOR in Python). */
export const UNASSIGNED_FILL = "#d3d3d3";

/** One fill per node: the segment's colour, `unassigned` for code 0 (or an unknown code). */
export function segmentFills(codes, colors, nNodes, unassigned = UNASSIGNED_FILL) {
  const fills = new Array(nNodes).fill(unassigned);
  if (codes.length !== nNodes) return fills;
  for (let node = 0; node < nNodes; node++) {
    const code = codes[node];
    if (code > 0 && code <= colors.length) fills[node] = colors[code - 1];
  }
  return fills;
}

/** The name of the segment `node` is in ("none" outside every segment), for a tooltip. */
export function segmentOf(codes, names, node) {
  const code = codes[node] ?? 0;
  return code > 0 ? (names[code - 1] ?? "?") : "none";
}

/** One SVG path of the boundary edges (x1, y1, x2, y2 per edge). */
export function boundaryPath(edges) {
  let d = "";
  for (let i = 0; i + 3 < edges.length; i += 4) {
    d += `M${edges[i].toFixed(3)} ${edges[i + 1].toFixed(3)}L${edges[i + 2].toFixed(3)} ${edges[i + 3].toFixed(3)}`;
  }
  return d;
}

/** Fill the legend element with one swatch + name per segment, and "no segment" when some node has none. */
export function renderSegmentLegend(legend, names, colors, codes) {
  const items = names.map((name, i) => {
    const item = make("span", { class: "somnium-segments__item", "data-segment": String(i) });
    const swatch = make("span", { class: "somnium-segments__swatch" });
    swatch.style.background = colors[i] ?? UNASSIGNED_FILL;
    item.append(swatch, make("span", { class: "somnium-segments__name" }, name));
    return item;
  });
  if (names.length > 0 && Array.prototype.some.call(codes, (code) => code === 0)) {
    const item = make("span", { class: "somnium-segments__item somnium-segments__item--none" });
    const swatch = make("span", { class: "somnium-segments__swatch" });
    swatch.style.background = UNASSIGNED_FILL;
    item.append(swatch, make("span", { class: "somnium-segments__name" }, "no segment"));
    items.push(item);
  }
  legend.replaceChildren(...items);
  legend.hidden = names.length === 0;
}
