// The colour bar of a numeric layer and the legends of categorical ones (segments; values).
//
//   const bar = new ColorBar({ className: "somnium-map__colorbar", label: true, keys: true });
//   bar.setLabel("age");
//   bar.setPalette("diverging");                  // the ramp of another palette (colors.js)
//   bar.setRange(range?.min, range?.max, (v) => formatValue(v, true));   // "no data" without a range
//   bar.setRange(-m, m, format, 0);               // and a middle tick (a diverging layer's zero)
//   bar.setKeys({ noData: true, empty: false });   // which grey swatches the map shows (either)
//   const legend = new SegmentLegend();
//   legend.update(names, colors, codes);          // hidden while there are no segments
//   const categories = new CategoryLegend();
//   categories.update(title, names, colors, codes);   // a layer of categories; hidden without names
//
// Hooks kept from the views: `.somnium-map__colorbar-label`, `.somnium-map__tick-min`,
// `.somnium-map__tick-max`, the root's `className`; the legend is `.somnium-segments` (segments.js);
// a layer's categories are `.somnium-categories` with one `[data-category]` item each.
// Everything is text (textContent).  Styles: colorbar.css.

import { formatValue, gradientCss } from "./colors.js";
import { make } from "./dom.js";
import { renderSegmentLegend, segmentFills } from "./segments.js";

/** The tick texts of a range: "no data" and "" when there is no finite range. */
export function tickLabels(min, max, format = formatValue) {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return ["no data", ""];
  return [format(min), format(max)];
}

export class ColorBar {
  #tickMin;
  #tickMid;
  #tickMax;
  #ramp;
  #palette = "sequential";
  #label = null;
  #noDataKey = null;
  #emptyKey = null;

  /**
   * @param {object} options
   * @param {string} options.className the view's hook class of the bar
   * @param {boolean} [options.label] show a title before the ramp (the layer's name)
   * @param {boolean} [options.keys] show the "no data" and "empty node" swatches after it
   * @param {boolean} [options.compact] a full-width thin ramp under a small map
   */
  constructor({ className, label = false, keys = false, compact = false }) {
    const variant = compact ? " somnium-colorbar--compact" : "";
    this.element = make("div", { class: `somnium-colorbar${variant} ${className}` });
    if (label) {
      this.#label = make("span", { class: "somnium-map__colorbar-label" });
      this.element.append(this.#label);
    }
    const scale = make("div", { class: "somnium-map__colorbar-scale" });
    this.#ramp = make("div", { class: "somnium-map__colorbar-ramp" });
    this.#ramp.style.background = gradientCss();
    const ticks = make("div", { class: "somnium-map__colorbar-ticks" });
    this.#tickMin = make("span", { class: "somnium-map__tick-min" });
    this.#tickMid = make("span", { class: "somnium-map__tick-mid", hidden: "" });
    this.#tickMax = make("span", { class: "somnium-map__tick-max" });
    ticks.append(this.#tickMin, this.#tickMid, this.#tickMax);
    scale.append(this.#ramp, ticks);
    this.element.append(scale);
    if (keys) {
      const legend = make("span", { class: "somnium-map__legend" });
      this.#noDataKey = legendKey("nodata", "no data");
      this.#emptyKey = legendKey("empty", "empty node (no rows)");
      legend.append(this.#noDataKey, this.#emptyKey);
      this.element.append(legend);
    }
  }

  setLabel(text) {
    if (this.#label) this.#label.textContent = text;
  }

  /** The ramp of `palette` ("sequential" or "diverging"); redrawn only when it changes. */
  setPalette(palette) {
    if (palette === this.#palette) return;
    this.#ramp.style.background = gradientCss(palette);
    this.#palette = palette;
    this.element.dataset.palette = palette;
  }

  /**
   * Ticks at `min` and `max` written by `format`; a missing or non-finite end reads "no data".
   * A finite `mid` adds a middle tick (the zero of a diverging layer).
   */
  setRange(min, max, format = formatValue, mid = undefined) {
    [this.#tickMin.textContent, this.#tickMax.textContent] = tickLabels(min, max, format);
    const showMid = Number.isFinite(mid) && Number.isFinite(min) && Number.isFinite(max);
    this.#tickMid.hidden = !showMid;
    this.#tickMid.textContent = showMid ? format(mid) : "";
  }

  /** Show or hide the swatch of nodes with no value (`noData`) or no rows (`empty`); others stay. */
  setKeys({ noData, empty }) {
    if (this.#noDataKey && noData !== undefined) this.#noDataKey.hidden = !noData;
    if (this.#emptyKey && empty !== undefined) this.#emptyKey.hidden = !empty;
  }

  get hidden() {
    return this.element.hidden;
  }

  set hidden(hidden) {
    this.element.hidden = hidden;
  }
}

function legendKey(kind, text) {
  const item = make("span", { class: `somnium-map__legend-item somnium-map__legend-item--${kind}` });
  item.append(
    make("span", { class: `somnium-map__swatch somnium-map__swatch--${kind}` }),
    make("span", {}, text),
  );
  return item;
}

/** One swatch and name per segment (and "no segment" when some node has none); hidden without segments. */
export class SegmentLegend {
  constructor() {
    this.element = make("div", { class: "somnium-segments", "aria-label": "Segments" });
    this.element.hidden = true;
  }

  update(names, colors, codes) {
    renderSegmentLegend(this.element, names, colors, codes);
  }
}

/** The fill of every node of a layer of categories: the colour of code - 1, null (no value) for 0. */
export function categoryFills(codes, colors, nNodes) {
  return segmentFills(codes, colors, nNodes, null);
}

/** "Adelie (75%)": a node's most frequent value and its share, or "no data" (code 0). */
export function categoryText(names, codes, shares, node) {
  const code = codes[node] ?? 0;
  if (code === 0 || code > names.length) return "no data";
  const share = shares[node];
  return Number.isFinite(share) ? `${names[code - 1]} (${Math.round(100 * share)}%)` : names[code - 1];
}

/**
 * The legend of a layer of categories: its title, then one swatch and name per category (most
 * frequent first, as Python orders them) and "no data" when some node has no value.
 */
export class CategoryLegend {
  #title;
  #items;

  constructor() {
    this.element = make("div", { class: "somnium-categories", "aria-label": "Categories" });
    this.#title = make("span", { class: "somnium-categories__title" });
    this.#items = make("span", { class: "somnium-categories__items" });
    this.element.append(this.#title, this.#items);
    this.element.hidden = true;
  }

  update(title, names, colors, codes) {
    this.#title.textContent = title;
    const items = names.map((name, i) => {
      const item = make("span", { class: "somnium-categories__item", "data-category": String(i) });
      const swatch = make("span", { class: "somnium-categories__swatch" });
      swatch.style.background = colors[i] ?? "";
      item.append(swatch, make("span", { class: "somnium-categories__name", title: name }, name));
      return item;
    });
    if (names.length > 0 && Array.prototype.some.call(codes, (code) => code === 0)) {
      items.push(legendKey("nodata", "no data"));
    }
    this.#items.replaceChildren(...items);
    this.element.hidden = names.length === 0;
  }

  get hidden() {
    return this.element.hidden;
  }

  set hidden(hidden) {
    this.element.hidden = hidden;
  }
}

/**
 * A titled list of "name ... value" lines under a map (e.g. the drivers of the selected nodes);
 * hidden without lines.  `update({title, rows: [[name, value], ...]})`, all text.
 */
export class DetailsPanel {
  #title;
  #list;

  constructor() {
    this.element = make("div", { class: "somnium-map__details", "aria-live": "polite" });
    this.#title = make("div", { class: "somnium-map__details-title" });
    this.#list = make("div", { class: "somnium-map__details-rows" });
    this.element.append(this.#title, this.#list);
    this.element.hidden = true;
  }

  update(details) {
    const rows = Array.isArray(details?.rows) ? details.rows : [];
    this.#title.textContent = details?.title ?? "";
    this.#list.replaceChildren(
      ...rows.map(([name, value]) => {
        const row = make("div", { class: "somnium-map__details-row", "data-name": String(name) });
        row.append(
          make("span", { class: "somnium-map__details-name" }, String(name)),
          make("span", { class: "somnium-map__details-value" }, String(value)),
        );
        return row;
      }),
    );
    this.element.hidden = rows.length === 0 && !details?.title;
  }
}
