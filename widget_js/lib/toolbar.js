// Toolbar: the selection controls every map-shaped view shows, assembled from a table of
// small controls (after jupyter-scatter's Toolbar): the brush modes, a status line, Clear.
//
//   const toolbar = new Toolbar({
//     block: "somnium-map",                       // the view's class prefix, for its hooks
//     hint: "Click or drag to select",            // the status while nothing is selected
//     layout: [layerChoice.element, "modes", "status", "clear"],
//     keyTarget: root,                            // Escape inside it clears
//   });
//   toolbar.on("brush", (mode) => ...);           // a mode button was pressed
//   toolbar.on("clear", (source) => ...);         // "button" or "escape"
//   toolbar.setMode("lasso");                     // what the model says
//   toolbar.setCount(3);                          // "3 nodes selected", Clear enabled
//
// The toolbar only reports what the user asked for; the view writes the model and draws back.
// Hooks: `.<block>__toolbar`, `.<block>__status`, `.<block>__clear`, and the mode group
// `.somnium-map__brush-modes` of `button[data-mode]` with aria-pressed.  Styles: toolbar.css.

import { Disposer, make } from "./dom.js";
import { Emitter } from "./emitter.js";

/** The brush modes, in button order (the values of the views' `brush_mode` trait). */
export const BRUSH_MODES = [
  { mode: "rectangle", label: "Rectangle", title: "Drag to select a rectangle" },
  { mode: "lasso", label: "Lasso", title: "Drag to draw a lasso" },
];

/** The status line: the hint while nothing is selected, else how many nodes are. */
export function selectionStatus(count, hint) {
  return count === 0 ? hint : `${count} node${count === 1 ? "" : "s"} selected`;
}

export class Toolbar {
  #events = new Emitter("Toolbar", ["brush", "clear"]);
  #disposer = new Disposer();
  #buttons = new Map();
  #hint;

  /**
   * @param {object} options
   * @param {string} options.block the view's class prefix ("somnium-map", "somnium-planes")
   * @param {string} options.hint the status while nothing is selected
   * @param {{mode: string, label: string, title: string}[]} [options.modes]
   * @param {(string | HTMLElement)[]} [options.layout] "modes", "status", "clear" or an element, in order
   * @param {HTMLElement | null} [options.keyTarget] where Escape clears (the view's focusable root)
   */
  constructor({ block, hint, modes = BRUSH_MODES, layout = ["modes", "status", "clear"], keyTarget = null }) {
    this.#hint = hint;
    this.element = make("div", { class: `somnium-toolbar ${block}__toolbar` });
    this.modes = make("div", {
      class: "somnium-toolbar__modes somnium-map__brush-modes",
      role: "group",
      "aria-label": "Brush",
    });
    for (const { mode, label, title } of modes) {
      const button = make("button", { type: "button", "data-mode": mode, title }, label);
      this.#disposer.listen(button, "click", () => this.#events.emit("brush", mode));
      this.#buttons.set(mode, button);
      this.modes.append(button);
    }
    this.status = make("span", { class: `somnium-toolbar__status ${block}__status`, "aria-live": "polite" });
    this.clearButton = make(
      "button",
      { type: "button", class: `somnium-toolbar__clear ${block}__clear`, title: "Clear the selection (Esc)" },
      "Clear",
    );
    this.#disposer.listen(this.clearButton, "click", () => this.#events.emit("clear", "button"));
    const parts = { modes: this.modes, status: this.status, clear: this.clearButton };
    this.element.append(
      ...layout.map((item) => {
        if (typeof item !== "string") return item;
        if (!(item in parts)) throw new Error(`Toolbar has no "${item}" control`);
        return parts[item];
      }),
    );
    if (keyTarget) {
      this.#disposer.listen(keyTarget, "keydown", (event) => {
        if (event.key !== "Escape") return;
        this.#events.emit("clear", "escape");
        event.stopPropagation(); // Escape also leaves JupyterLab's command mode otherwise
      });
    }
    this.setCount(0);
  }

  /** Subscribe to "brush" (the mode pressed) or "clear" ("button" | "escape"); returns the unsubscribe. */
  on(event, handler) {
    return this.#events.on(event, handler);
  }

  /** Show `mode` as the pressed one. */
  setMode(mode) {
    for (const [name, button] of this.#buttons) button.setAttribute("aria-pressed", String(name === mode));
  }

  /** Show how many nodes are selected (Clear is enabled only when some are). */
  setCount(count) {
    this.status.textContent = selectionStatus(count, this.#hint);
    this.clearButton.disabled = count === 0;
  }

  destroy() {
    this.#disposer.dispose();
    this.#events.clear();
    this.element.remove();
  }
}

/**
 * A labelled drop-down for a toolbar ("Colour: [layer]").  The options come from the model; the
 * list is rebuilt only when they change, so an open menu is not reset by an unrelated update.
 */
export class Choice {
  /** @param {{label: string, className: string, ariaLabel: string}} options */
  constructor({ label, className, ariaLabel }) {
    this.element = make("label", { class: "somnium-toolbar__field somnium-map__field" });
    this.select = make("select", { class: className, "aria-label": ariaLabel });
    this.element.append(make("span", {}, label), this.select);
  }

  /** Offer `options` ([value, label] pairs) with `value` chosen. */
  setOptions(options, value) {
    const known = Array.from(this.select.options, (option) => option.value);
    if (known.length !== options.length || known.some((current, i) => current !== options[i][0])) {
      this.select.replaceChildren(
        ...options.map(([optionValue, label]) => {
          const option = make("option", {}, label);
          option.value = optionValue;
          return option;
        }),
      );
    }
    this.select.value = value;
  }

  get value() {
    return this.select.value;
  }
}
