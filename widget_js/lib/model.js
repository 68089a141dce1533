// The contract between a view's entry and its model: anywidget's `model` in a notebook host, or
// a stand-in over embedded state (a standalone page) that offers the same few methods.
//
// Each entry declares the traits it reads (a typedef and a list) and checks the list once at
// render: Python always sends every one, so an entry never guesses a default, and a stand-in
// missing some state fails at once, naming what is missing.

/**
 * @typedef {object} ViewModel
 * @property {(name: string) => any} get
 * @property {(name: string, value: any) => void} set
 * @property {() => void} save_changes
 * @property {(event: string, handler: Function) => void} on
 * @property {(event: string, handler: Function) => void} off
 * @property {(content: object, callbacks?: object, buffers?: ArrayBuffer[]) => void} send
 * @property {{get_model: (id: string) => Promise<object>}} [widget_manager] resolves the shared
 *   Selection; without it (or without a `selection` reference) a view keeps its own selection
 */

/**
 * The traits every map-shaped view reads (somnium/widgets/_base.py).  Arrays arrive as
 * {dtype, shape, data: DataView} (lib/binary.js).
 * @typedef {object} MapTraits
 * @property {{rows: number, cols: number, name: string, n_nodes: number, n_vertices: number,
 *   extent: number[], wraps_x: boolean, wraps_y: boolean}} _lattice
 * @property {object} _cell_vertices float32 (n_nodes, n_vertices, 2), from the model's lattice
 * @property {object} _cell_centers float32 (n_nodes, 2)
 * @property {object} _segment_codes uint32 (n_nodes,): 0 = no segment, i + 1 = segment i; empty without segments
 * @property {string[]} _segment_names
 * @property {string[]} _segment_colors "#rrggbb" per segment
 * @property {object} _segment_edges float32 (n_edges, 4) boundary lines
 * @property {"rectangle" | "lasso"} brush_mode written by the toolbar
 * @property {string} [selection] "IPY_MODEL_<id>" of the shared Selection (absent: the view's own)
 */
export const GEOMETRY_TRAITS = ["_lattice", "_cell_vertices", "_cell_centers"];
export const SEGMENT_TRAITS = ["_segment_codes", "_segment_names", "_segment_colors", "_segment_edges"];
export const MAP_TRAITS = [...GEOMETRY_TRAITS, ...SEGMENT_TRAITS, "brush_mode"];

/** Throw, naming them, when `model` lacks any of the traits `view` reads. */
export function requireTraits(model, names, view) {
  const missing = names.filter((name) => model.get(name) === undefined);
  if (missing.length > 0) throw new Error(`${view}: the model has no ${missing.join(", ")}`);
}
