// lib/monitor_text.js
function progressPercent(fraction) {
  const value = Number(fraction);
  if (!Number.isFinite(value)) return "0%";
  return `${(Math.min(1, Math.max(0, value)) * 100).toFixed(1)}%`;
}
function stopLabel(state) {
  if (state === "stopping") return "Stopping…";
  if (state === "stopped") return "Stopped";
  return "■ Stop";
}
function stateLabel(state) {
  const labels = {
    idle: "Idle",
    running: "Training",
    stopping: "Stopping",
    stopped: "Stopped",
    done: "Done",
    error: "Error"
  };
  return labels[state] ?? String(state);
}

// training_monitor.js
function make(tag, attributes = {}, text = null) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  if (text !== null) element.textContent = text;
  return element;
}
function render({ model, el }) {
  const root = make("div", { class: "somnium-monitor", "data-state": "idle", "data-epoch": "0" });
  const row = make("div", { class: "somnium-monitor__row" });
  const badge = make("span", { class: "somnium-monitor__badge" });
  const status = make("span", { class: "somnium-monitor__status", "aria-live": "polite" });
  const button = make("button", {
    type: "button",
    class: "somnium-monitor__stop",
    "data-action": "stop",
    title: "Stop training at the end of the current epoch"
  });
  row.append(badge, status, button);
  const track = make("div", {
    class: "somnium-monitor__track",
    role: "progressbar",
    "aria-valuemin": "0",
    "aria-valuemax": "100"
  });
  const bar = make("div", { class: "somnium-monitor__bar" });
  track.append(bar);
  const message = make("div", { class: "somnium-monitor__message" });
  const note = make("div", { class: "somnium-monitor__note" });
  root.append(row, track, message, note);
  el.append(root);
  let requested = false;
  const draw = () => {
    const t = {
      state: model.get("state"),
      epoch: model.get("epoch"),
      fraction: model.get("fraction"),
      status: model.get("status"),
      message: model.get("message"),
      note: model.get("note"),
      stop_enabled: model.get("stop_enabled")
    };
    if (t.state !== "running") requested = false;
    root.dataset.state = t.state;
    root.dataset.epoch = String(t.epoch);
    badge.textContent = stateLabel(t.state);
    status.textContent = t.status;
    const percent = progressPercent(t.fraction);
    bar.style.width = percent;
    track.setAttribute("aria-valuenow", percent.replace("%", ""));
    message.textContent = t.message;
    message.hidden = !t.message;
    note.textContent = t.note;
    note.hidden = !t.note;
    button.disabled = !t.stop_enabled || requested;
    button.textContent = requested ? stopLabel("stopping") : stopLabel(t.state);
  };
  const onClick = () => {
    if (button.disabled) return;
    requested = true;
    model.send({ action: "stop" });
    draw();
  };
  const traits = ["state", "epoch", "fraction", "status", "message", "note", "stop_enabled"];
  button.addEventListener("click", onClick);
  for (const name of traits) model.on(`change:${name}`, draw);
  draw();
  root.dataset.ready = "true";
  return () => {
    button.removeEventListener("click", onClick);
    for (const name of traits) model.off(`change:${name}`, draw);
    root.remove();
  };
}
var training_monitor_default = { render };
export {
  training_monitor_default as default
};
