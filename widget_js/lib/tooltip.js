// A hover card that follows the pointer inside a positioned container.
// Content is built from text only (see dom.js).
//
//   tooltip.follow(hover, (hover) => lines, key);   // a map's "hover": null hides it
//   tooltip.refresh();                              // the data under it changed: rebuild

import { make } from "./dom.js";

export class Tooltip {
  #container;
  #hover = null;
  #key = null;
  #content = null;

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

  /**
   * Follow a map's hover ({node, clientX, clientY}, or null to hide): on the same `key` (default the
   * node) the card only moves; on a new one it is rebuilt from `content(hover)`.
   */
  follow(hover, content, key = hover?.node) {
    if (hover === null) {
      this.#hover = null;
      this.hide();
      return;
    }
    const same = this.#hover !== null && key === this.#key;
    this.#hover = hover;
    this.#key = key;
    this.#content = content;
    if (same) this.move(hover.clientX, hover.clientY);
    else this.show(content(hover), hover.clientX, hover.clientY);
  }

  /** Rebuild the card in place, if one is shown (what it describes has changed). */
  refresh() {
    const hover = this.#hover;
    if (hover !== null) this.show(this.#content(hover), hover.clientX, hover.clientY);
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

/** The card's first line ("Node 12"), with an optional muted remark after it. */
export function tooltipTitle(text, remark = "") {
  const title = make("div", { class: "somnium-map__tooltip-title" }, text);
  if (remark) title.append(make("span", { class: "somnium-map__tooltip-muted" }, remark));
  return title;
}

/** A muted sub-heading inside the card. */
export const tooltipHeading = (text) => make("div", { class: "somnium-map__tooltip-heading" }, text);

/** A "key ... value" line of a tooltip, with an extra class (e.g. to highlight it) when given. */
export function tooltipRow(label, value, className = "") {
  const row = make("div", { class: `somnium-map__tooltip-row${className ? ` ${className}` : ""}` });
  row.append(
    make("span", { class: "somnium-map__tooltip-key" }, label),
    make("span", { class: "somnium-map__tooltip-value" }, value),
  );
  return row;
}
