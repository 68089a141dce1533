// Creating DOM nodes.  Text goes in through textContent only: anything a user
// provides (feature names, labels, titles) is never parsed as HTML.

export const SVG_NS = "http://www.w3.org/2000/svg";

/** An HTML element (or an SVG one with `namespace`) with attributes and optional text. */
export function make(tag, attributes = {}, text = null, namespace = null) {
  const element = namespace ? document.createElementNS(namespace, tag) : document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  if (text !== null) element.textContent = text;
  return element;
}

/** An SVG element with attributes. */
export const svg = (tag, attributes = {}) => make(tag, attributes, null, SVG_NS);

/**
 * Collects listeners so one call removes them all (a view's render() returns it).
 * `listen` is for DOM targets, `onModel` for anywidget / backbone models.
 */
export class Disposer {
  #cleanups = [];

  listen(target, type, handler, options) {
    target.addEventListener(type, handler, options);
    this.#cleanups.push(() => target.removeEventListener(type, handler, options));
  }

  onModel(model, event, handler) {
    model.on(event, handler);
    this.#cleanups.push(() => model.off(event, handler));
  }

  /** `handler` on a change of any of the traits `names`. */
  onChange(model, names, handler) {
    for (const name of names) this.onModel(model, `change:${name}`, handler);
  }

  add(cleanup) {
    this.#cleanups.push(cleanup);
  }

  dispose() {
    for (const cleanup of this.#cleanups.splice(0).reverse()) cleanup();
  }
}

/**
 * `fn` run once, in a microtask, however many times the returned function is called before it:
 * traits Python sends in one message (values and their description) then draw once.
 */
export function batched(fn) {
  let queued = false;
  return () => {
    if (queued) return;
    queued = true;
    queueMicrotask(() => {
      queued = false;
      fn();
    });
  };
}
