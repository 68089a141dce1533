// The model stand-in of a standalone page (somnium/widgets/_export.py): the ViewModel contract of
// lib/model.js (get/set/on/off/save_changes/send/widget_manager) over state embedded in the page.
//
// What Python would answer is embedded too, as "reactions": when a view writes trait `name` with
// `value` and saves, the stand-in applies `reactions[name][value]` ({trait: value}) as if the kernel
// had sent it (MapView's colour menu: `color` -> that layer's `_layer_values` and `_layer_info`).
// A write with no reaction just stays in the page; `send` goes nowhere (there is no kernel).
//
// Binary values travel in the page as base64 strings in one `buffers` list, referenced from the
// state as {"$buf": index} (identical buffers, such as the geometry of two views of one map, are
// stored once); they reach the views as DataViews, as anywidget hands them over.

/** The bytes of a base64 string, as a DataView. */
export function fromBase64(text) {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return new DataView(bytes.buffer);
}

/** `value` with every {"$buf": i} replaced by `buffers[i]` (DataViews), at any depth. */
export function decodeEmbedded(value, buffers) {
  if (Array.isArray(value)) return value.map((item) => decodeEmbedded(item, buffers));
  if (value !== null && typeof value === "object") {
    if ("$buf" in value) {
      const buffer = buffers[value.$buf];
      if (buffer === undefined) throw new RangeError(`the page has no buffer ${value.$buf}`);
      return buffer;
    }
    const out = {};
    for (const [key, item] of Object.entries(value)) out[key] = decodeEmbedded(item, buffers);
    return out;
  }
  return value;
}

/** The registry `widget_manager.get_model(id)` resolves: the page's Selection models. */
export class StandInManager {
  #models = new Map();

  register(id, model) {
    this.#models.set(id, model);
    return model;
  }

  async get_model(id) {
    const model = this.#models.get(id);
    if (model === undefined) throw new Error(`the page has no widget model ${id}`);
    return model;
  }

  /** The model registered under `id` (undefined when none). */
  model(id) {
    return this.#models.get(id);
  }
}

export class StandInModel {
  #state;
  #reactions;
  #manager;
  #handlers = new Map();
  #pending = new Map();

  /**
   * @param {object} state the view's synced traits, binary values already decoded
   * @param {{manager?: StandInManager | null, reactions?: object}} [options]
   */
  constructor(state, { manager = null, reactions = {} } = {}) {
    this.#state = { ...state };
    this.#manager = manager;
    this.#reactions = reactions;
  }

  /** The widget manager (undefined on a model that has none: its views keep their own selection). */
  get widget_manager() {
    return this.#manager ?? undefined;
  }

  get(name) {
    return this.#state[name];
  }

  set(name, value) {
    this.#state[name] = value;
    this.#pending.set(name, value);
    this.#emit(name, value);
  }

  /** What the kernel would do with the saved writes: apply their embedded reactions. */
  save_changes() {
    const writes = [...this.#pending];
    this.#pending.clear();
    for (const [name, value] of writes) {
      const answer = this.#reactions[name]?.[String(value)];
      if (answer === undefined) continue;
      for (const [trait, traitValue] of Object.entries(answer)) {
        this.#state[trait] = traitValue;
        this.#emit(trait, traitValue);
      }
    }
  }

  send() {} // no kernel to send to

  on(event, handler) {
    if (!this.#handlers.has(event)) this.#handlers.set(event, new Set());
    this.#handlers.get(event).add(handler);
  }

  off(event, handler) {
    if (event === undefined) this.#handlers.clear();
    else if (handler === undefined) this.#handlers.delete(event);
    else this.#handlers.get(event)?.delete(handler);
  }

  #emit(name, value) {
    for (const handler of [...(this.#handlers.get(`change:${name}`) ?? [])]) handler(value);
    for (const handler of [...(this.#handlers.get("change") ?? [])]) handler(value);
  }
}
