// ViewFrame: what every map-shaped view shares around its maps (styles: frame.css).
//
//   const frame = new ViewFrame({ model, el, selection, block: "somnium-map",
//                                 hint: "Click or drag to select", layout: [...], maps: () => [map] });
//   frame.root.append(frame.toolbar.element, canvas, footer);
//   frame.focusOn(canvas);           // a press on the maps makes the view take the keys (Escape)
//   frame.ready();                   // data-ready="true"
//
// The root is `.somnium.somnium-frame.<block>` (the tokens' root class, the frame, the view's
// hook class), focusable.  The frame wires the Toolbar both ways: a mode button writes the
// model's `brush_mode`, Clear and Escape abandon any gesture and clear the selection; and it draws
// back from the model and the selection onto the toolbar and every map `maps()` returns.

import { Disposer, make } from "./dom.js";
import { Toolbar } from "./toolbar.js";

export class ViewFrame {
  #disposer = new Disposer();
  #model;
  #selection;
  #maps;
  #block;

  /**
   * @param {object} options
   * @param {ViewModel} options.model the view's model (its `brush_mode` trait)
   * @param {HTMLElement} options.el where the root is appended
   * @param {LinkedSelection} options.selection
   * @param {string} options.block the view's hook class ("somnium-map", "somnium-planes")
   * @param {string} options.hint the toolbar's status while nothing is selected
   * @param {(string | HTMLElement)[]} options.layout the toolbar's controls (see Toolbar)
   * @param {() => HexMap[]} options.maps every map on screen, the first one
   *   counting the selection
   */
  constructor({ model, el, selection, block, hint, layout, maps }) {
    this.#model = model;
    this.#selection = selection;
    this.#maps = maps;
    this.#block = block;
    this.root = make("div", {
      class: `somnium somnium-frame ${block}`,
      tabindex: "0",
      "data-ready": "false",
    });
    this.toolbar = new Toolbar({ block, hint, layout, keyTarget: this.root });
    el.append(this.root);
    this.#disposer.add(
      this.toolbar.on("brush", (mode) => {
        model.set("brush_mode", mode);
        model.save_changes();
      }),
    );
    this.#disposer.add(
      this.toolbar.on("clear", () => {
        for (const map of maps()) map.cancelGesture();
        selection.commit([]);
      }),
    );
    this.#disposer.onModel(model, "change:brush_mode", () => this.drawBrushMode());
    this.#disposer.add(selection.subscribe(() => this.drawSelection()));
  }

  /** Take the keyboard focus on a press inside `element` (the maps), so Escape reaches the view. */
  focusOn(element) {
    this.#disposer.listen(element, "pointerdown", () => this.root.focus({ preventScroll: true }));
  }

  /** Show the shared selection on every map, and its size in the toolbar. */
  drawSelection() {
    const maps = this.#maps();
    const nodes = this.#selection.nodes;
    for (const map of maps) map.setSelection(nodes);
    const count = maps.length > 0 ? maps[0].selection.length : 0;
    this.root.classList.toggle(`${this.#block}--has-selection`, count > 0);
    this.toolbar.setCount(count);
  }

  /** Show the model's brush mode in the toolbar and use it on every map. */
  drawBrushMode() {
    const mode = this.#model.get("brush_mode");
    this.toolbar.setMode(mode);
    this.root.dataset.brushMode = mode;
    for (const map of this.#maps()) map.setBrushMode(mode);
  }

  ready() {
    this.root.setAttribute("data-ready", "true");
  }

  dispose() {
    this.#disposer.dispose();
    this.toolbar.destroy();
    this.root.remove();
  }
}
