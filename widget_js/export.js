// The runtime of a standalone page written by somnium.widgets.to_html (somnium/widgets/_export.py).
//
// The page holds, in this order: the embedded state (a <script type="application/json">), the
// views' own bundles (each ends by registering its default export in globalThis.__somniumViews
// under its anywidget id instead of exporting it), and this module, which then:
//   - gives every view a StandInModel (lib/standin.js) over its embedded state, with a widget
//     manager that resolves the page's Selection models, so views that share a Selection in Python
//     stay linked in the page;
//   - lays the views out as their ipywidgets boxes were, with the bqplot charts as the pictures
//     Python drew and labels as text;
//   - says what each selection is (node ids; with embedded rows, how many rows and which) and copies
//     the node ids.
// Everything from the embedded state is written with textContent (lib/dom.js's make).
//
// Test hooks: <html data-somnium-export> (set by Python) gets data-export-ready="true" once every
// view has rendered; `.somnium-export__selection[data-selection]` holds `.somnium-export__nodes`,
// `.somnium-export__row-count`, `button.somnium-export__copy`, `.somnium-export__copy-status` and
// `table.somnium-export__rows`.

import "./export.css";
import { toUint32 } from "./lib/binary.js";
import { make } from "./lib/dom.js";
import { normalizeSelection } from "./lib/selection.js";
import { decodeEmbedded, fromBase64, StandInManager, StandInModel } from "./lib/standin.js";

export const DATA_ID = "somnium-export-data";
export const ROOT_ID = "somnium-export";
/** Node ids written out in the selection line (all of them are copied). */
export const SHOWN_IDS = 60;
/** Selected rows shown in the table (the count covers all of them). */
export const SHOWN_ROWS = 200;

const rowsMissingNote =
  "No rows are embedded in this page (export with rows= to list the rows behind the selection).";

const number = (value) => value.toLocaleString("en-US");
const plural = (count, word) => `${number(count)} ${word}${count === 1 ? "" : "s"}`;

/** "12 nodes: 3, 4, 5" (the first SHOWN_IDS ids, then how many more). */
export function describeNodes(nodes) {
  if (nodes.length === 0) return "no nodes";
  const shown = nodes.slice(0, SHOWN_IDS).join(", ");
  const more = nodes.length > SHOWN_IDS ? `, … (${number(nodes.length - SHOWN_IDS)} more)` : "";
  return `${plural(nodes.length, "node")}: ${shown}${more}`;
}

/** What the copy button puts on the clipboard: the ids as a Python / JSON list. */
export const nodesText = (nodes) => `[${nodes.join(", ")}]`;

/** Positions of the rows whose node is in `nodes` (ascending). */
export function rowsOn(bmu, nodes, nNodes) {
  const wanted = new Uint8Array(nNodes);
  for (const node of nodes) if (node >= 0 && node < nNodes) wanted[node] = 1;
  const out = [];
  for (let row = 0; row < bmu.length; row++) if (wanted[bmu[row]]) out.push(row);
  return out;
}

/** Copy `text`: the Clipboard API where the page may use it, else a selected textarea + "copy". */
export async function copyText(text, doc = document) {
  try {
    if (globalThis.navigator?.clipboard?.writeText && globalThis.isSecureContext) {
      await globalThis.navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // a file:// page may be refused the Clipboard API: fall back below
  }
  const area = make("textarea", { readonly: "", class: "somnium-export__copy-area" });
  area.value = text;
  doc.body.append(area);
  area.select();
  let copied = false;
  try {
    copied = doc.execCommand("copy");
  } catch {
    copied = false;
  }
  area.remove();
  return copied;
}

/** One selection's panel: the nodes, the rows behind them (when embedded) and the copy button. */
class SelectionPanel {
  #model;
  #rows;
  #nNodes;
  #bmu = null;

  constructor({ id, label, nNodes, model, rows }) {
    this.#model = model;
    this.#rows = rows;
    this.#nNodes = nNodes;
    this.element = make("section", { class: "somnium-export__selection", "data-selection": id });
    const line = make("div", { class: "somnium-export__selection-line" });
    this.nodes = make("span", { class: "somnium-export__nodes" });
    this.rowCount = make("span", { class: "somnium-export__row-count" });
    this.copyButton = make(
      "button",
      { type: "button", class: "somnium-export__copy", title: "Copy the selected node ids as a list" },
      "Copy node ids",
    );
    this.status = make("span", { class: "somnium-export__copy-status", "aria-live": "polite" });
    line.append(make("strong", {}, `${label}: `), this.nodes, this.rowCount, this.copyButton, this.status);
    this.fallback = make("textarea", { class: "somnium-export__copy-fallback", readonly: "", rows: "2" });
    this.fallback.hidden = true;
    this.element.append(line, this.fallback);
    if (rows) {
      // Closed at first: the panel stays one line at the top of the page while the views scroll.
      this.#bmu = rows.bmu;
      this.table = make("table", { class: "somnium-export__rows" });
      this.tableNote = make("p", { class: "somnium-export__rows-note" });
      const details = make("details", { class: "somnium-export__rows-box" });
      details.append(make("summary", {}, "Selected rows"), this.tableNote, this.table);
      this.element.append(details);
    }
    this.element.append(make("p", { class: "somnium-export__note" }, rows ? rows.note : rowsMissingNote));
    this.copyButton.addEventListener("click", () => this.copy());
    model.on("change:nodes", () => this.draw());
    this.draw();
  }

  get selected() {
    return normalizeSelection(this.#model.get("nodes") ?? []);
  }

  draw() {
    const nodes = this.selected;
    this.nodes.textContent = describeNodes(nodes);
    this.copyButton.disabled = nodes.length === 0;
    this.status.textContent = "";
    this.fallback.hidden = true;
    if (!this.#rows) return;
    const positions = rowsOn(this.#bmu, nodes, this.#nNodes);
    this.rowCount.textContent = ` · ${number(positions.length)} of ${plural(this.#rows.n_rows, "row")}`;
    this.drawTable(positions);
  }

  drawTable(positions) {
    const { columns, index, index_name: indexName, cells } = this.#rows;
    const shown = positions.slice(0, SHOWN_ROWS);
    this.tableNote.textContent =
      positions.length === 0
        ? "Select nodes to list their rows."
        : positions.length > shown.length
          ? `The first ${number(shown.length)} of ${plural(positions.length, "selected row")}.`
          : `All ${plural(positions.length, "selected row")}.`;
    if (positions.length === 0) {
      this.table.replaceChildren();
      return;
    }
    const head = make("tr");
    for (const name of [indexName, ...columns]) head.append(make("th", { scope: "col" }, name));
    const body = make("tbody");
    for (const row of shown) {
      const tr = make("tr");
      tr.append(make("th", { scope: "row" }, index[row]));
      for (const column of cells) tr.append(make("td", {}, column[row]));
      body.append(tr);
    }
    const thead = make("thead");
    thead.append(head);
    this.table.replaceChildren(thead, body);
  }

  async copy() {
    const nodes = this.selected;
    const text = nodesText(nodes);
    if (await copyText(text)) {
      this.status.textContent = `Copied ${plural(nodes.length, "node id")}.`;
      return;
    }
    // Neither the Clipboard API nor "copy" is allowed here: offer the text, selected.
    this.fallback.value = text;
    this.fallback.hidden = false;
    this.fallback.select();
    this.status.textContent = "Press Ctrl+C (⌘C) to copy the selected ids.";
  }
}

/** Apply a layout's style (a few flex and size properties Python read from the widget's layout) and classes. */
function styled(element, style = {}, classes = []) {
  for (const [name, value] of Object.entries(style)) element.style.setProperty(name, value);
  for (const name of classes) element.classList.add(name);
  return element;
}

/** The page's part for one layout block (see _export.py's _Page.walk). */
function buildBlock(block, page) {
  switch (block.type) {
    case "view": {
      const el = make("div", { class: "somnium-export__view", "data-widget": block.name });
      page.pending.push({ el, block });
      return styled(el, block.style);
    }
    case "box": {
      const box = make("div", {
        class: `somnium-export__box somnium-export__box--${block.direction}`,
        "data-widget": block.name,
      });
      for (const child of block.children) box.append(buildBlock(child, page));
      return styled(box, block.style, block.classes);
    }
    case "picture": {
      const figure = make("figure", { class: "somnium-export__picture", "data-widget": block.name });
      const image = make("img", { class: "somnium-export__picture-image" });
      image.alt = block.alt;
      image.src = `data:image/svg+xml;base64,${block.svg}`;
      figure.append(image, make("figcaption", {}, block.caption));
      return styled(figure, block.style, block.classes);
    }
    case "text":
      return styled(
        make("div", { class: "somnium-export__text", "data-widget": block.name }, block.text),
        block.style,
      );
    default:
      return make(
        "p",
        { class: "somnium-export__note" },
        `(a part this page cannot show: ${String(block.type)})`,
      );
  }
}

/** Render one view with its bundle's render(), on a stand-in model; errors stay in its slot. */
async function renderView({ el, block }, data, buffers, manager) {
  const entry = data.models[block.model];
  const view = globalThis.__somniumViews?.get(entry.bundle);
  try {
    if (!view) throw new Error(`the page has no bundle ${entry.bundle}`);
    const state = decodeEmbedded(entry.state, buffers);
    const reactions = decodeEmbedded(entry.reactions ?? {}, buffers);
    const model = new StandInModel(state, { manager, reactions });
    await view.render({ model, el });
  } catch (error) {
    console.error("Somnium export: a view failed to render", error);
    el.append(
      make("p", { class: "somnium-export__error" }, `This view could not be drawn: ${error.message}`),
    );
    el.dataset.exportError = "true";
  }
}

/** Build the page from the embedded state: header, selection panels, the views. */
export async function boot(doc = document) {
  const script = doc.getElementById(DATA_ID);
  const root = doc.getElementById(ROOT_ID);
  if (!script || !root) return;
  const data = JSON.parse(script.textContent);
  const buffers = data.buffers.map(fromBase64);
  const manager = new StandInManager();

  const header = make("header", { class: "somnium-export__header" });
  header.append(make("h1", { class: "somnium-export__title" }, data.title));
  header.append(make("p", { class: "somnium-export__about" }, data.about));
  for (const note of data.notes) header.append(make("p", { class: "somnium-export__note" }, note));
  root.append(header);

  for (const [id, selection] of Object.entries(data.selections)) {
    const model = manager.register(id, new StandInModel({ nodes: selection.nodes }));
    const rows = selection.rows === null ? null : data.rows[selection.rows];
    const panel = new SelectionPanel({
      id,
      label: selection.label,
      nNodes: selection.n_nodes,
      model,
      rows: rows && { ...rows, bmu: toUint32(decodeEmbedded(rows.bmu, buffers)) },
    });
    root.append(panel.element);
  }

  const page = { pending: [] };
  const content = make("div", { class: "somnium-export__content" });
  for (const block of data.layout) content.append(buildBlock(block, page));
  root.append(content);
  for (const slot of page.pending) await renderView(slot, data, buffers, manager);
  doc.documentElement.dataset.exportReady = "true";
}

if (typeof document !== "undefined" && document.getElementById(DATA_ID)) boot();

export default { boot };
