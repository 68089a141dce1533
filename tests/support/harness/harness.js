// A static page that loads a built view bundle the way anywidget does
// (fetch the text -> Blob URL -> import()) and renders it with a fake model.
//
// window.harness.mount(state, options) renders one view; state is the
// widget's synced state with bytes as {"$bytes": "<base64>"} at any depth (see
// tests/support/harness/harness_server.py).  options.models holds the other
// widget models the view references ({model_id: state}, e.g. its Selection):
// they live in one registry that every fake model's widget_manager.get_model
// resolves, as in JupyterLab.  window.harness.mountMany(views, options) renders
// several views on one page sharing those models.  Every fake model records
// its save_changes() so tests can read what the browser would send to Python.

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

/** What anywidget's model.widget_manager offers: get_model(id) -> Promise<model>. */
export class FakeWidgetManager {
  constructor() {
    this.models = new Map();
  }
  register(id, model) {
    this.models.set(id, model);
    return model;
  }
  async get_model(id) {
    const model = this.models.get(id);
    if (!model) throw new Error(`widget model ${id} not found`);
    return model;
  }
}

export class FakeModel {
  constructor(state, widgetManager = new FakeWidgetManager()) {
    this.widget_manager = widgetManager;
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

function decodeValue(value, unaligned) {
  if (Array.isArray(value)) return value.map((item) => decodeValue(item, unaligned));
  if (value && typeof value === "object") {
    if ("$bytes" in value) return toDataView(value.$bytes, unaligned);
    return decodeState(value, unaligned);
  }
  return value;
}

function decodeState(state, unaligned = false) {
  const out = {};
  for (const [name, value] of Object.entries(state)) out[name] = decodeValue(value, unaligned);
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

const loaded = new Map();
function bundleFor(name) {
  if (!loaded.has(name)) loaded.set(name, loadBundle(name));
  return loaded.get(name);
}

function registerModels(models, unaligned) {
  const manager = new FakeWidgetManager();
  for (const [id, state] of Object.entries(models)) manager.register(id, new FakeModel(decodeState(state, unaligned), manager));
  window.harness.manager = manager;
  window.harness.models = manager.models;
  return manager;
}

/**
 * Render a view into #host.  Resolves with timings in ms: loading the bundle,
 * render() until its promise settles (data-ready), and render() start to the
 * frame after the first paint (the double requestAnimationFrame).
 */
async function mount(state, { bundle = "map_view", theme = "light", unaligned = false, width = null, models = {} } = {}) {
  applyTheme(theme);
  const host = document.getElementById("host");
  if (width) host.style.width = `${width}px`;
  const manager = registerModels(models, unaligned);
  const model = new FakeModel(decodeState(state, unaligned), manager);
  const loadStarted = performance.now();
  const widget = await bundleFor(bundle);
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

/**
 * Render several views, each into its own child of #host, on shared models.
 * views: [{state, bundle}]; window.harness.views[i] = {model, cleanup}.
 * Resolves with each view's render time in ms.
 */
async function mountMany(views, { theme = "light", width = null, models = {} } = {}) {
  applyTheme(theme);
  const host = document.getElementById("host");
  if (width) host.style.width = `${width}px`;
  const manager = registerModels(models, false);
  window.harness.views = [];
  const times = [];
  for (const [index, { state, bundle }] of views.entries()) {
    const el = document.createElement("div");
    el.className = "harness-view";
    el.dataset.view = String(index);
    host.append(el);
    const model = new FakeModel(decodeState(state), manager);
    const widget = await bundleFor(bundle);
    const started = performance.now();
    const cleanup = await widget.render({ model, el });
    times.push(performance.now() - started);
    window.harness.views.push({ model, cleanup });
  }
  await nextPaint();
  return times;
}

window.harness = { mount, mountMany, applyTheme, model: null, cleanup: null, models: new Map(), views: [] };
window.harnessReady = true;
