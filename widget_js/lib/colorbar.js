// The colour bar of a numeric layer and the legend of a categorical one (the segments).
//
//   const bar = new ColorBar({ className: "somnium-map__colorbar", label: true, keys: true });
//   bar.setLabel("age");
//   bar.setPalette("diverging");                  // the ramp of another palette (colors.js)
//   bar.setRange(range?.min, range?.max, (v) => formatValue(v, true));   // "no data" without a range
//   bar.setRange(-m, m, format, 0);               // and a middle tick (a diverging layer's zero)
//   bar.setKeys({ noData: true, empty: false });   // which grey swatches the map shows (either)
//   const legend = new SegmentLegend();
//   legend.update(names, colors, codes);          // hidden while there are no segments
//
// Hooks kept from the views: `.somnium-map__colorbar-label`, `.somnium-map__tick-min`,
// `.somnium-map__tick-max`, the root's `className`; the legend is `.somnium-segments` (segments.js).
// Everything is text (textContent).  Styles: colorbar.css.

import { formatValue, gradientCss } from "./colors.js";
import { make } from "./dom.js";
import { renderSegmentLegend } from "./segments.js";

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
