// A static page that loads a built view bundle the way anywidget does
// (fetch the text -> Blob URL -> import()) and renders it with a fake model.
//
// window.harness.mount(state, options) renders the view; state is the
// widget's synced state with bytes traits as {"$bytes": "<base64>"} (see
// tests/support/harness/harness_server.py).  The fake model records every save_changes()
// so tests can read what the browser would send to Python.

const DARK_THEME = {
  "--jp-layout-color0": "#111111",
  "--jp-layout-color1": "#212121",
  "--jp-layout-color2": "#424242",
  "--jp-layout-color3": "#616161",
  "--jp-ui-font-color0": "rgba(255, 255, 255, 1)",
  "--jp-ui-font-color1": "rgba(255, 255, 255, 0.87)",
  "--jp-ui-font-color2": "rgba(255, 255, 255, 0.54)",
  "--jp-ui-inverse-font-color1": "rgba(0, 0, 0, 0.8)",
  "--jp-border-color1": "#616161",
  "--jp-border-color2": "#424242",
  "--jp-brand-color1": "#42a5f5",
};

export class FakeModel {
  constructor(state) {
    this.state = { ...state };
    this.listeners = new Map();
    this.pending = {};
    this.saved = [];
    this.sent = [];
  }
  get(name) {
    return this.state[name];
  }
  set(name, value) {
    this.state[name] = value;
    this.pending[name] = value;
    this.emit(`change:${name}`, value);
  }
  save_changes() {
    this.saved.push(JSON.parse(JSON.stringify(this.pending)));
    this.pending = {};
  }
  send(content, callbacks, buffers) {
    this.sent.push({ content, buffers });
  }
  on(event, handler) {
    if (!this.listeners.has(event)) this.listeners.set(event, new Set());
    this.listeners.get(event).add(handler);
  }
  off(event, handler) {
    if (!event) this.listeners.clear();
    else if (!handler) this.listeners.delete(event);
    else this.listeners.get(event)?.delete(handler);
  }
  emit(event, value) {
    for (const handler of this.listeners.get(event) ?? []) handler(value);
    if (event.startsWith("change:")) for (const handler of this.listeners.get("change") ?? []) handler(value);
  }
  /** What a message from the kernel does: update state and fire change events. */
  fromPython(changes) {
    for (const [name, value] of Object.entries(decodeState(changes))) {
      this.state[name] = value;
      this.emit(`change:${name}`, value);
    }
  }
  listenerCount() {
    let count = 0;
    for (const handlers of this.listeners.values()) count += handlers.size;
    return count;
  }
}

/** Base64 -> DataView, optionally at an odd byte offset (as a kernel buffer may be). */
function toDataView(base64, unaligned) {
  const binary = atob(base64);
  const offset = unaligned ? 1 : 0;
  const bytes = new Uint8Array(binary.length + offset);
  for (let i = 0; i < binary.length; i++) bytes[i + offset] = binary.charCodeAt(i);
  return new DataView(bytes.buffer, offset, binary.length);
}

function decodeState(state, unaligned = false) {
  const out = {};
  for (const [name, value] of Object.entries(state)) {
    out[name] = value && typeof value === "object" && "$bytes" in value ? toDataView(value.$bytes, unaligned) : value;
  }
  return out;
}

export function applyTheme(theme) {
  const dark = theme === "dark";
  for (const [name, value] of Object.entries(DARK_THEME)) {
    if (dark) document.documentElement.style.setProperty(name, value);
    else document.documentElement.style.removeProperty(name);
  }
  document.body.dataset.jpThemeLight = String(!dark);
  document.body.dataset.jpThemeName = dark ? "JupyterLab Dark" : "JupyterLab Light";
}

async function loadBundle(name) {
  const [js, css] = await Promise.all([
    fetch(`./static/${name}.js`).then((response) => response.text()),
    fetch(`./static/${name}.css`).then((response) => (response.ok ? response.text() : "")),
  ]);
  const style = document.createElement("style");
  style.textContent = css;
  document.head.append(style);
  const url = URL.createObjectURL(new Blob([js], { type: "text/javascript" }));
  try {
    const module = await import(url);
    return module.default ?? module;
  } finally {
    URL.revokeObjectURL(url);
  }
}

const nextPaint = () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));

/**
 * Render a view into #host.  Resolves with timings in ms: loading the bundle,
 * the synchronous render() call, and render() start to the frame after the
 * first paint (the double requestAnimationFrame).
 */
async function mount(state, { bundle = "map_view", theme = "light", unaligned = false, width = null } = {}) {
  applyTheme(theme);
  const host = document.getElementById("host");
  if (width) host.style.width = `${width}px`;
  const model = new FakeModel(decodeState(state, unaligned));
  const loadStarted = performance.now();
  const widget = await loadBundle(bundle);
  const renderStarted = performance.now();
  const cleanup = await widget.render({ model, el: host });
  const rendered = performance.now();
  window.harness.model = model;
  window.harness.cleanup = cleanup;
  await nextPaint();
  return {
    loadMs: renderStarted - loadStarted,
    renderMs: rendered - renderStarted,
    firstPaintMs: performance.now() - renderStarted,
  };
}

window.harness = { mount, applyTheme, model: null, cleanup: null };
window.harnessReady = true;
