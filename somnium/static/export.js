var __typeError = (msg) => {
  throw TypeError(msg);
};
var __accessCheck = (obj, member, msg) => member.has(obj) || __typeError("Cannot " + msg);
var __privateGet = (obj, member, getter) => (__accessCheck(obj, member, "read from private field"), getter ? getter.call(obj) : member.get(obj));
var __privateAdd = (obj, member, value) => member.has(obj) ? __typeError("Cannot add the same private member more than once") : member instanceof WeakSet ? member.add(obj) : member.set(obj, value);
var __privateSet = (obj, member, value, setter) => (__accessCheck(obj, member, "write to private field"), setter ? setter.call(obj, value) : member.set(obj, value), value);
var __privateMethod = (obj, member, method) => (__accessCheck(obj, member, "access private method"), method);

// lib/binary.js
var LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
function asByteRange(data) {
  if (data == null) return null;
  if (data instanceof ArrayBuffer) return { buffer: data, byteOffset: 0, byteLength: data.byteLength };
  if (ArrayBuffer.isView(data))
    return { buffer: data.buffer, byteOffset: data.byteOffset, byteLength: data.byteLength };
  throw new TypeError(`expected binary data (DataView, ArrayBuffer or typed array), got ${typeof data}`);
}
function decode(data, Kind, read) {
  const size = Kind.BYTES_PER_ELEMENT;
  const range = asByteRange(data);
  if (range === null) return new Kind(0);
  if (range.byteLength % size !== 0) {
    throw new RangeError(
      `binary buffer of ${range.byteLength} bytes is not a whole number of ${size}-byte values`
    );
  }
  const length = range.byteLength / size;
  if (LITTLE_ENDIAN && range.byteOffset % size === 0) {
    return new Kind(range.buffer, range.byteOffset, length);
  }
  const view = new DataView(range.buffer, range.byteOffset, range.byteLength);
  const out = new Kind(length);
  for (let i = 0; i < length; i++) out[i] = read(view, size * i);
  return out;
}
function toUint32(data) {
  return decode(data, Uint32Array, (view, offset) => view.getUint32(offset, true));
}

// lib/dom.js
function make(tag, attributes = {}, text = null, namespace = null) {
  const element = namespace ? document.createElementNS(namespace, tag) : document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  if (text !== null) element.textContent = text;
  return element;
}

// lib/selection.js
function normalizeSelection(nodes) {
  return Array.from(new Set(Array.from(nodes, Number))).sort((a, b) => a - b);
}

// lib/standin.js
function fromBase64(text) {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return new DataView(bytes.buffer);
}
function decodeEmbedded(value, buffers) {
  if (Array.isArray(value)) return value.map((item) => decodeEmbedded(item, buffers));
  if (value !== null && typeof value === "object") {
    if ("$buf" in value) {
      const buffer = buffers[value.$buf];
      if (buffer === void 0) throw new RangeError(`the page has no buffer ${value.$buf}`);
      return buffer;
    }
    const out = {};
    for (const [key, item] of Object.entries(value)) out[key] = decodeEmbedded(item, buffers);
    return out;
  }
  return value;
}
var _models;
var StandInManager = class {
  constructor() {
    __privateAdd(this, _models, /* @__PURE__ */ new Map());
  }
  register(id, model) {
    __privateGet(this, _models).set(id, model);
    return model;
  }
  async get_model(id) {
    const model = __privateGet(this, _models).get(id);
    if (model === void 0) throw new Error(`the page has no widget model ${id}`);
    return model;
  }
  /** The model registered under `id` (undefined when none). */
  model(id) {
    return __privateGet(this, _models).get(id);
  }
};
_models = new WeakMap();
var _state, _reactions, _manager, _handlers, _pending, _StandInModel_instances, emit_fn;
var StandInModel = class {
  /**
   * @param {object} state the view's synced traits, binary values already decoded
   * @param {{manager?: StandInManager | null, reactions?: object}} [options]
   */
  constructor(state, { manager = null, reactions = {} } = {}) {
    __privateAdd(this, _StandInModel_instances);
    __privateAdd(this, _state);
    __privateAdd(this, _reactions);
    __privateAdd(this, _manager);
    __privateAdd(this, _handlers, /* @__PURE__ */ new Map());
    __privateAdd(this, _pending, /* @__PURE__ */ new Map());
    __privateSet(this, _state, { ...state });
    __privateSet(this, _manager, manager);
    __privateSet(this, _reactions, reactions);
  }
  /** The widget manager (undefined on a model that has none: its views keep their own selection). */
  get widget_manager() {
    return __privateGet(this, _manager) ?? void 0;
  }
  get(name) {
    return __privateGet(this, _state)[name];
  }
  set(name, value) {
    __privateGet(this, _state)[name] = value;
    __privateGet(this, _pending).set(name, value);
    __privateMethod(this, _StandInModel_instances, emit_fn).call(this, name, value);
  }
  /** What the kernel would do with the saved writes: apply their embedded reactions. */
  save_changes() {
    const writes = [...__privateGet(this, _pending)];
    __privateGet(this, _pending).clear();
    for (const [name, value] of writes) {
      const answer = __privateGet(this, _reactions)[name]?.[String(value)];
      if (answer === void 0) continue;
      for (const [trait, traitValue] of Object.entries(answer)) {
        __privateGet(this, _state)[trait] = traitValue;
        __privateMethod(this, _StandInModel_instances, emit_fn).call(this, trait, traitValue);
      }
    }
  }
  send() {
  }
  // no kernel to send to
  on(event, handler) {
    if (!__privateGet(this, _handlers).has(event)) __privateGet(this, _handlers).set(event, /* @__PURE__ */ new Set());
    __privateGet(this, _handlers).get(event).add(handler);
  }
  off(event, handler) {
    if (event === void 0) __privateGet(this, _handlers).clear();
    else if (handler === void 0) __privateGet(this, _handlers).delete(event);
    else __privateGet(this, _handlers).get(event)?.delete(handler);
  }
};
_state = new WeakMap();
_reactions = new WeakMap();
_manager = new WeakMap();
_handlers = new WeakMap();
_pending = new WeakMap();
_StandInModel_instances = new WeakSet();
emit_fn = function(name, value) {
  for (const handler of [...__privateGet(this, _handlers).get(`change:${name}`) ?? []]) handler(value);
  for (const handler of [...__privateGet(this, _handlers).get("change") ?? []]) handler(value);
};

// export.js
var DATA_ID = "somnium-export-data";
var ROOT_ID = "somnium-export";
var SHOWN_IDS = 60;
var SHOWN_ROWS = 200;
var rowsMissingNote = "No rows are embedded in this page (export with rows= to list the rows behind the selection).";
var number = (value) => value.toLocaleString("en-US");
var plural = (count, word) => `${number(count)} ${word}${count === 1 ? "" : "s"}`;
function describeNodes(nodes) {
  if (nodes.length === 0) return "no nodes";
  const shown = nodes.slice(0, SHOWN_IDS).join(", ");
  const more = nodes.length > SHOWN_IDS ? `, … (${number(nodes.length - SHOWN_IDS)} more)` : "";
  return `${plural(nodes.length, "node")}: ${shown}${more}`;
}
var nodesText = (nodes) => `[${nodes.join(", ")}]`;
function rowsOn(bmu, nodes, nNodes) {
  const wanted = new Uint8Array(nNodes);
  for (const node of nodes) if (node >= 0 && node < nNodes) wanted[node] = 1;
  const out = [];
  for (let row = 0; row < bmu.length; row++) if (wanted[bmu[row]]) out.push(row);
  return out;
}
async function copyText(text, doc = document) {
  try {
    if (globalThis.navigator?.clipboard?.writeText && globalThis.isSecureContext) {
      await globalThis.navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
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
var _model, _rows, _nNodes, _bmu;
var SelectionPanel = class {
  constructor({ id, label, nNodes, model, rows }) {
    __privateAdd(this, _model);
    __privateAdd(this, _rows);
    __privateAdd(this, _nNodes);
    __privateAdd(this, _bmu, null);
    __privateSet(this, _model, model);
    __privateSet(this, _rows, rows);
    __privateSet(this, _nNodes, nNodes);
    this.element = make("section", { class: "somnium-export__selection", "data-selection": id });
    const line = make("div", { class: "somnium-export__selection-line" });
    this.nodes = make("span", { class: "somnium-export__nodes" });
    this.rowCount = make("span", { class: "somnium-export__row-count" });
    this.copyButton = make(
      "button",
      { type: "button", class: "somnium-export__copy", title: "Copy the selected node ids as a list" },
      "Copy node ids"
    );
    this.status = make("span", { class: "somnium-export__copy-status", "aria-live": "polite" });
    line.append(make("strong", {}, `${label}: `), this.nodes, this.rowCount, this.copyButton, this.status);
    this.fallback = make("textarea", { class: "somnium-export__copy-fallback", readonly: "", rows: "2" });
    this.fallback.hidden = true;
    this.element.append(line, this.fallback);
    if (rows) {
      __privateSet(this, _bmu, rows.bmu);
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
    return normalizeSelection(__privateGet(this, _model).get("nodes") ?? []);
  }
  draw() {
    const nodes = this.selected;
    this.nodes.textContent = describeNodes(nodes);
    this.copyButton.disabled = nodes.length === 0;
    this.status.textContent = "";
    this.fallback.hidden = true;
    if (!__privateGet(this, _rows)) return;
    const positions = rowsOn(__privateGet(this, _bmu), nodes, __privateGet(this, _nNodes));
    this.rowCount.textContent = ` · ${number(positions.length)} of ${plural(__privateGet(this, _rows).n_rows, "row")}`;
    this.drawTable(positions);
  }
  drawTable(positions) {
    const { columns, index, index_name: indexName, cells } = __privateGet(this, _rows);
    const shown = positions.slice(0, SHOWN_ROWS);
    this.tableNote.textContent = positions.length === 0 ? "Select nodes to list their rows." : positions.length > shown.length ? `The first ${number(shown.length)} of ${plural(positions.length, "selected row")}.` : `All ${plural(positions.length, "selected row")}.`;
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
    this.fallback.value = text;
    this.fallback.hidden = false;
    this.fallback.select();
    this.status.textContent = "Press Ctrl+C (⌘C) to copy the selected ids.";
  }
};
_model = new WeakMap();
_rows = new WeakMap();
_nNodes = new WeakMap();
_bmu = new WeakMap();
function styled(element, style = {}, classes = []) {
  for (const [name, value] of Object.entries(style)) element.style.setProperty(name, value);
  for (const name of classes) element.classList.add(name);
  return element;
}
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
        "data-widget": block.name
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
        block.style
      );
    default:
      return make(
        "p",
        { class: "somnium-export__note" },
        `(a part this page cannot show: ${String(block.type)})`
      );
  }
}
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
      make("p", { class: "somnium-export__error" }, `This view could not be drawn: ${error.message}`)
    );
    el.dataset.exportError = "true";
  }
}
async function boot(doc = document) {
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
      rows: rows && { ...rows, bmu: toUint32(decodeEmbedded(rows.bmu, buffers)) }
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
var export_default = { boot };
export {
  DATA_ID,
  ROOT_ID,
  SHOWN_IDS,
  SHOWN_ROWS,
  boot,
  copyText,
  export_default as default,
  describeNodes,
  nodesText,
  rowsOn
};
