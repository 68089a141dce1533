// A hover card that follows the pointer inside a positioned container.
// Content is built from text only (see dom.js).

import { make } from "./dom.js";

export class Tooltip {
  #container;

  constructor(container) {
    this.#container = container;
    this.element = make("div", { class: "somnium-map__tooltip", role: "tooltip", hidden: "" });
    container.append(this.element);
  }

  /** Show `children` (nodes) near the pointer, kept inside the container. */
  show(children, clientX, clientY) {
    this.element.replaceChildren(...children);
    this.element.hidden = false;
    this.move(clientX, clientY);
  }

  move(clientX, clientY) {
    const box = this.#container.getBoundingClientRect();
    const x = clientX - box.left;
    const y = clientY - box.top;
    const width = this.element.offsetWidth;
    const height = this.element.offsetHeight;
    const left = x + 14 + width > box.width ? Math.max(0, x - 14 - width) : x + 14;
    const top = y + 14 + height > box.height ? Math.max(0, y - 14 - height) : y + 14;
    this.element.style.transform = `translate(${left}px, ${top}px)`;
  }

  hide() {
    this.element.hidden = true;
  }

  get visible() {
    return !this.element.hidden;
  }

  destroy() {
    this.element.remove();
  }
}

/** A "key ... value" line of a tooltip. */
export function tooltipRow(label, value) {
  const row = make("div", { class: "somnium-map__tooltip-row" });
  row.append(
    make("span", { class: "somnium-map__tooltip-key" }, label),
    make("span", { class: "somnium-map__tooltip-value" }, value),
  );
  return row;
}
