// The link between a view and the shared Selection model (somnium.widgets.Selection).
//
// A view's `selection` trait arrives as "IPY_MODEL_<id>"; the model behind it
// is resolved once with `model.widget_manager.get_model(id)` (as lonboard
// resolves its layers).  Every view on the page then holds the same JS model
// object: a view writes with set("nodes") + save_changes() and every view,
// itself included, redraws from `change:nodes`.  There is no per-view copy
// of the selection, so there is nothing to keep in step and nothing to echo:
//   - a view writes only when a gesture changes the set (`commit` compares);
//   - drawing a selection never writes;
//   - the kernel's echo of an older message is dropped by @jupyter-widgets/base
//     while a newer one is in flight, so quick successive edits cannot bounce
//     back as a stale selection.
// Where there is no reference or no widget manager to ask (a standalone page whose model stand-in
// has none), or the reference cannot be resolved, the view keeps a selection of its own (`shared` false).

import { normalizeSelection, sameSelection } from "./selection.js";

const PREFIX = "IPY_MODEL_";

/** The model id inside a widget reference ("IPY_MODEL_<id>" -> "<id>"). */
export function modelId(reference) {
  if (typeof reference !== "string" || reference === "") {
    throw new TypeError(`expected a widget reference "IPY_MODEL_<id>", got ${String(reference)}`);
  }
  return reference.startsWith(PREFIX) ? reference.slice(PREFIX.length) : reference;
}

/** A selection model of one view alone: the get/set/on/off/save_changes a Selection model offers. */
export class LocalSelectionModel {
  #nodes;
  #handlers = new Set();

  constructor(nodes = []) {
    this.#nodes = normalizeSelection(nodes);
  }

  get(name) {
    return name === "nodes" ? this.#nodes : undefined;
  }

  set(name, value) {
    if (name !== "nodes") return;
    this.#nodes = normalizeSelection(value);
    for (const handler of this.#handlers) handler(this.#nodes);
  }

  save_changes() {} // nothing to sync with

  on(event, handler) {
    if (event === "change:nodes") this.#handlers.add(handler);
  }

  off(event, handler) {
    if (event === "change:nodes") this.#handlers.delete(handler);
  }
}

export class LinkedSelection {
  #model;
  #handlers = new Set();
  #onChange = () => {
    const nodes = this.nodes;
    for (const handler of this.#handlers) handler(nodes);
  };

  /**
   * @param {{get: Function, set: Function, save_changes: Function, on: Function, off: Function}} selectionModel
   * @param {boolean} [shared] whether other views may hold the same model
   */
  constructor(selectionModel, shared = true) {
    this.#model = selectionModel;
    this.shared = shared;
    selectionModel.on("change:nodes", this.#onChange);
  }

  /**
   * Resolve the selection a view references through its `trait` (default "selection"), or, with
   * no reference or no widget manager to resolve it, a selection of the view's own (empty).
   * @returns {Promise<LinkedSelection>}
   */
  static async of(viewModel, trait = "selection") {
    const reference = viewModel.get(trait);
    const manager = viewModel.widget_manager;
    if (reference == null || reference === "" || typeof manager?.get_model !== "function") {
      return new LinkedSelection(new LocalSelectionModel(), false);
    }
    const id = modelId(reference);
    try {
      return new LinkedSelection(await manager.get_model(id), true);
    } catch (error) {
      console.warn(`Somnium: the shared selection ${id} is unavailable; this view keeps its own.`, error);
      return new LinkedSelection(new LocalSelectionModel(), false);
    }
  }

  /** The selected nodes, sorted and unique. */
  get nodes() {
    return normalizeSelection(this.#model.get("nodes") ?? []);
  }

  /** Call `handler(nodes)` on every change of the selection; returns the unsubscribe function. */
  subscribe(handler) {
    this.#handlers.add(handler);
    return () => this.#handlers.delete(handler);
  }

  /** Make `nodes` the selection; writes (and syncs) only if it differs. Returns whether it wrote. */
  commit(nodes) {
    const next = normalizeSelection(nodes);
    if (sameSelection(next, this.nodes)) return false;
    this.#model.set("nodes", next);
    this.#model.save_changes();
    return true;
  }

  /** Stop listening to the selection model (the model itself stays: other views share it). */
  dispose() {
    this.#handlers.clear();
    this.#model.off("change:nodes", this.#onChange);
  }
}
