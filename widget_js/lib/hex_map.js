// HexMap: the one hex-map component every map-shaped view draws with
// (MapView, each plane of ComponentPlanes, later the training monitor).
//
//   const map = new HexMap(container, { brushMode: "rectangle" });
//   map.setGeometry({ lattice, vertices, centers });   // from Python, never recomputed
//   map.setValues(values, range, palette);              // or map.setColors(fills)
//   map.setEmpty(hitCounts);
//   map.setSelection(nodes);
//   const off = map.on("select", (nodes) => ...);       // the selection a gesture asks for
//   map.on("hover", (hover) => ...);                    // {node, clientX, clientY} or null
//   map.destroy();
//
// Cells are SVG <path>s carrying the test hooks `data-neuron="<index>"` and,
// when selected, `data-selected="true"`.  Gestures: click replaces the
// selection, Shift/Ctrl/Meta-click toggles a node, dragging draws a rectangle
// or a lasso (replacing, or adding with a modifier held as the drag starts).
// The component only proposes a selection ("select"); the view decides what
// to do with it (the linked views write it to the shared Selection model).

import { colorsFor, finiteRange } from "./colors.js";
import { svg } from "./dom.js";
import { Emitter } from "./emitter.js";
import {
  cellPaths,
  clientToLattice,
  nodesInPolygon,
  nodesInRectangle,
  polygonPath,
  viewBoxFor,
} from "./geometry.js";
import { brushSelection, clickSelection, normalizeSelection, sameSelection } from "./selection.js";

const DRAG_THRESHOLD_PX = 4;
const EMPTY_MARK_RADIUS = 0.12;

/** "toroidal", "cylindrical" or null for a flat map. */
export function wrapKind(lattice) {
  if (lattice.wraps_y) return "toroidal";
  if (lattice.wraps_x) return "cylindrical";
  return null;
}

/** The dashed edges that mark where a wrapping map joins, as [x1, y1, x2, y2] lines. */
export function wrapLines(lattice) {
  const [xmin, xmax, ymin, ymax] = lattice.extent ?? [0, 1, 0, 1];
  const lines = [];
  if (lattice.wraps_x) lines.push([xmin, ymin, xmin, ymax], [xmax, ymin, xmax, ymax]);
  if (lattice.wraps_y) lines.push([xmin, ymin, xmax, ymin], [xmin, ymax, xmax, ymax]);
  return lines;
}

/** One path of small rings on the nodes no row maps to (hits === 0). */
export function emptyMarksPath(centers, hits, radius = EMPTY_MARK_RADIUS) {
  let d = "";
  const n = centers.length / 2;
  if (hits.length !== n) return d;
  for (let node = 0; node < n; node++) {
    if (hits[node] !== 0) continue;
    const x = centers[2 * node];
    const y = centers[2 * node + 1];
    d += `M${(x - radius).toFixed(3)} ${y.toFixed(3)}a${radius} ${radius} 0 1 0 ${2 * radius} 0a${radius} ${radius} 0 1 0 ${-2 * radius} 0`;
  }
  return d;
}

/** Nodes whose selected state differs between the flags and the new selection, plus the new flags. */
export function selectionChanges(flags, nodes) {
  const next = new Uint8Array(flags.length);
  for (const node of nodes) if (node >= 0 && node < flags.length) next[node] = 1;
  const changed = [];
  for (let node = 0; node < flags.length; node++) if (next[node] !== flags[node]) changed.push(node);
  return { flags: next, changed };
}

export class HexMap {
  #events = new Emitter("HexMap", ["select", "hover"]);
  #cleanups = [];
  #nNodes = 0;
  #paths = [];
  #cells = [];
  #centers = new Float32Array(0);
  #viewBox = { x: 0, y: 0, width: 1, height: 1 };
  #selection = [];
  #flags = new Uint8Array(0);
  #hovered = null;
  #lastPointer = null;
  #frame = 0;
  #drag = null;
  #brushMode;

  /**
   * @param {HTMLElement} container where the map's <svg> is appended
   * @param {{brushMode?: "rectangle" | "lasso", interactive?: boolean, label?: string}} options
   */
  constructor(container, { brushMode = "rectangle", interactive = true, label = "" } = {}) {
    this.#brushMode = brushMode;
    this.svg = svg("svg", { class: "somnium-map__svg", preserveAspectRatio: "xMidYMid meet", role: "img" });
    if (label) this.svg.setAttribute("aria-label", label);
    this.cellGroup = svg("g", { class: "somnium-map__cells" });
    this.emptyMarks = svg("path", { class: "somnium-map__empty-marks" });
    this.wrapGroup = svg("g", { class: "somnium-map__wrap" });
    this.boundaries = svg("path", { class: "somnium-map__segment-boundaries" });
    this.svg.append(this.cellGroup, this.emptyMarks, this.boundaries, this.wrapGroup);
    // What changes on every gesture is drawn on top, in its own layer (see hex_map.css).
    this.overlay = svg("svg", {
      class: "somnium-map__overlay",
      preserveAspectRatio: "xMidYMid meet",
      "aria-hidden": "true",
    });
    // One path both dims the unselected cells and outlines the selected ones (half the path data
    // to parse on a selection change): the whole view box, grown so its own edge stays out of
    // sight, with the selected cells cut out (even-odd) and stroked.
    this.dim = svg("path", { class: "somnium-map__dim" });
    this.hoverOutline = svg("path", { class: "somnium-map__hover-outline" });
    this.brushShape = svg("path", { class: "somnium-map__brush-shape" });
    this.overlay.append(this.dim, this.hoverOutline, this.brushShape);
    container.append(this.svg, this.overlay);
    if (interactive) {
      this.#listen("pointerdown", this.#onPointerDown);
      this.#listen("pointermove", this.#onPointerMove);
      this.#listen("pointerup", this.#onPointerUp);
      this.#listen("pointercancel", this.#onPointerCancel);
      this.#listen("pointerleave", this.#onPointerLeave);
    }
  }

  // ---------------------------------------------------------------- public API
  /** Subscribe to "select" (nodes) or "hover" ({node, clientX, clientY} | null); returns the unsubscribe. */
  on(event, handler) {
    return this.#events.on(event, handler);
  }

  get nNodes() {
    return this.#nNodes;
  }

  /** Cell path data, so several maps of one lattice can share one computation. */
  get paths() {
    return this.#paths;
  }

  /** Rebuild the cells from the lattice geometry Python sends (`paths` may be shared). */
  setGeometry({ lattice, vertices, centers, paths = null }) {
    const nNodes = lattice.n_nodes ?? 0;
    this.#nNodes = nNodes;
    this.#centers = centers;
    this.#paths = paths ?? (nNodes > 0 ? cellPaths(vertices, nNodes, lattice.n_vertices) : []);
    const margin = lattice.wraps_x || lattice.wraps_y ? 0.45 : 0.25;
    this.#viewBox = viewBoxFor(lattice.extent ?? [0, 1, 0, 1], margin);
    const box = this.#viewBox;
    this.svg.setAttribute("viewBox", `${box.x} ${box.y} ${box.width} ${box.height}`);
    this.overlay.setAttribute("viewBox", `${box.x} ${box.y} ${box.width} ${box.height}`);
    this.svg.style.aspectRatio = `${box.width} / ${box.height}`;
    if (!this.svg.hasAttribute("aria-label")) {
      this.svg.setAttribute("aria-label", `${lattice.rows} × ${lattice.cols} ${lattice.name ?? ""} map`);
    }
    // One DOM build into a fragment; listeners live on the <svg> (delegation).
    const fragment = document.createDocumentFragment();
    const cells = new Array(nNodes);
    for (let node = 0; node < nNodes; node++) {
      const cell = document.createElementNS(this.svg.namespaceURI, "path");
      cell.setAttribute("d", this.#paths[node]);
      cell.setAttribute("class", "somnium-map__cell");
      cell.setAttribute("data-neuron", String(node));
      cells[node] = cell;
      fragment.append(cell);
    }
    this.#cells = cells;
    this.cellGroup.replaceChildren(fragment);
    this.wrapGroup.replaceChildren(
      ...wrapLines(lattice).map(([x1, y1, x2, y2]) =>
        svg("line", { x1, y1, x2, y2, class: "somnium-map__wrap-line" }),
      ),
    );
    this.wrapKind = wrapKind(lattice);
    this.#flags = new Uint8Array(nNodes);
    const selection = this.#selection;
    this.#selection = [];
    this.setSelection(selection);
  }

  /** Colour the cells by value over `range` (default: the values' own) on `palette` (colors.js). */
  setValues(values, range = finiteRange(values), palette = "sequential") {
    const fills =
      values.length === this.#nNodes ? colorsFor(values, range, palette) : new Array(this.#nNodes).fill(null);
    this.setColors(fills);
    return range;
  }

  /** Fill of every cell ("#rrggbb"), null for "no value" (the theme's empty fill). */
  setColors(fills) {
    for (let node = 0; node < this.#nNodes; node++) {
      const fill = fills[node];
      const cell = this.#cells[node];
      if (fill === null || fill === undefined) {
        cell.setAttribute("data-novalue", "true");
        cell.removeAttribute("fill");
      } else {
        cell.removeAttribute("data-novalue");
        cell.setAttribute("fill", fill);
      }
    }
  }

  /** Mark the nodes with no rows (hits[node] === 0) with a ring and data-empty. */
  setEmpty(hits) {
    const known = hits.length === this.#nNodes;
    for (let node = 0; node < this.#nNodes; node++) {
      if (known && hits[node] === 0) this.#cells[node].setAttribute("data-empty", "true");
      else this.#cells[node].removeAttribute("data-empty");
    }
    const d = emptyMarksPath(this.#centers, hits);
    this.emptyMarks.setAttribute("d", d);
    return d !== "";
  }

  /** Draw the segment boundaries (path data, "" for none). */
  setBoundaries(d) {
    this.boundaries.setAttribute("d", d);
  }

  /** Show `nodes` as selected (only the cells whose state changes are touched). */
  setSelection(nodes) {
    const next = normalizeSelection(nodes).filter((node) => node >= 0 && node < this.#nNodes);
    if (sameSelection(next, this.#selection) && this.#flags.length === this.#nNodes) return;
    const { flags, changed } = selectionChanges(this.#flags, next);
    for (const node of changed) {
      if (flags[node]) this.#cells[node].setAttribute("data-selected", "true");
      else this.#cells[node].removeAttribute("data-selected");
    }
    this.#flags = flags;
    this.#selection = next;
    const selected = next.map((node) => this.#paths[node]).join("");
    this.dim.setAttribute("d", next.length > 0 ? `${rectanglePath(this.#viewBox)}${selected}` : "");
  }

  get selection() {
    return this.#selection.slice();
  }

  setBrushMode(mode) {
    this.#brushMode = mode;
  }

  /** Outline one node as hovered (null clears), e.g. to echo a hover from a sibling map. */
  setHovered(node) {
    this.hoverOutline.setAttribute("d", node === null ? "" : (this.#paths[node] ?? ""));
  }

  destroy() {
    if (this.#frame) cancelAnimationFrame(this.#frame);
    for (const cleanup of this.#cleanups.splice(0)) cleanup();
    this.#events.clear();
    this.svg.remove();
    this.overlay.remove();
  }

  // ---------------------------------------------------------------- interaction
  #listen(type, method) {
    const handler = method.bind(this);
    this.svg.addEventListener(type, handler);
    this.#cleanups.push(() => this.svg.removeEventListener(type, handler));
  }

  #propose(next) {
    if (!sameSelection(next, this.#selection)) this.#events.emit("select", next);
  }

  #nodeOf(target) {
    const value = target instanceof Element ? target.getAttribute("data-neuron") : null;
    return value === null ? null : Number(value);
  }

  #toLattice(event) {
    return clientToLattice(event.clientX, event.clientY, this.svg.getBoundingClientRect(), this.#viewBox);
  }

  #onPointerDown(event) {
    if (event.button !== 0) return;
    this.#drag = {
      pointerId: event.pointerId,
      startX: event.clientX,
      startY: event.clientY,
      node: this.#nodeOf(event.target),
      additive: isToggle(event),
      mode: this.#brushMode,
      points: [this.#toLattice(event)],
      brushing: false,
    };
    this.svg.setPointerCapture?.(event.pointerId);
    event.preventDefault();
  }

  #onPointerMove(event) {
    this.#lastPointer = { clientX: event.clientX, clientY: event.clientY, target: event.target };
    const drag = this.#drag;
    if (drag && drag.pointerId === event.pointerId) {
      const moved = Math.hypot(event.clientX - drag.startX, event.clientY - drag.startY);
      if (!drag.brushing && moved >= DRAG_THRESHOLD_PX) {
        drag.brushing = true;
        this.#hover(null);
        this.svg.classList.add("somnium-map__svg--brushing");
      }
      if (drag.brushing) {
        const point = this.#toLattice(event);
        if (drag.mode === "lasso") drag.points.push(point);
        else drag.points = [drag.points[0], point];
      }
    }
    if (!this.#frame) this.#frame = requestAnimationFrame(() => this.#onFrame());
  }

  #onFrame() {
    this.#frame = 0;
    if (this.#drag?.brushing) {
      this.brushShape.setAttribute("d", brushPath(this.#drag));
      return;
    }
    if (this.#lastPointer) this.#hover(this.#nodeOf(this.#lastPointer.target));
  }

  #onPointerUp(event) {
    const drag = this.#drag;
    if (!drag || drag.pointerId !== event.pointerId) return;
    this.#drag = null;
    this.svg.releasePointerCapture?.(event.pointerId);
    this.svg.classList.remove("somnium-map__svg--brushing");
    this.brushShape.setAttribute("d", "");
    if (drag.brushing) {
      const end = this.#toLattice(event);
      const nodes =
        drag.mode === "lasso"
          ? nodesInPolygon(this.#centers, [...drag.points, end])
          : nodesInRectangle(this.#centers, drag.points[0], end);
      this.#propose(brushSelection(this.#selection, nodes, drag.additive));
    } else {
      this.#propose(clickSelection(this.#selection, drag.node, isToggle(event)));
    }
  }

  #onPointerCancel() {
    this.cancelGesture();
  }

  /** Abandon a drag in progress (e.g. on Escape). */
  cancelGesture() {
    this.#drag = null;
    this.brushShape.setAttribute("d", "");
    this.svg.classList.remove("somnium-map__svg--brushing");
  }

  #onPointerLeave() {
    this.#lastPointer = null;
    if (!this.#drag) this.#hover(null);
  }

  #hover(node) {
    if (node === this.#hovered) {
      if (node !== null) this.#events.emit("hover", { node, ...this.#pointer() });
      return;
    }
    this.#hovered = node;
    this.setHovered(node);
    this.#events.emit("hover", node === null ? null : { node, ...this.#pointer() });
  }

  #pointer() {
    const pointer = this.#lastPointer;
    return pointer ? { clientX: pointer.clientX, clientY: pointer.clientY } : { clientX: 0, clientY: 0 };
  }
}

/** The view box grown by `margin` on every side, as a closed path (the dimming cuts cells out of it). */
export function rectanglePath({ x, y, width, height }, margin = 1000) {
  return `M${x - margin} ${y - margin}H${x + width + margin}V${y + height + margin}H${x - margin}Z`;
}

const isToggle = (event) => event.shiftKey || event.ctrlKey || event.metaKey;

/** Path of the brush being drawn: the lasso's points, or the rectangle of two corners. */
export function brushPath({ mode, points }) {
  if (mode === "lasso") return polygonPath(points);
  const [[x0, y0], [x1, y1]] = points.length > 1 ? points : [points[0], points[0]];
  return polygonPath([
    [x0, y0],
    [x1, y0],
    [x1, y1],
    [x0, y1],
  ]);
}
