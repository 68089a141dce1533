import assert from "node:assert/strict";
import { test } from "node:test";
import { BRUSH_MODES, Choice, selectionStatus, Toolbar } from "../lib/toolbar.js";
import { host, press } from "./dom.mjs";

const options = { block: "somnium-map", hint: "Click or drag to select" };

test("the status reads the hint, then a count with its plural", () => {
  assert.equal(selectionStatus(0, "Pick nodes"), "Pick nodes");
  assert.equal(selectionStatus(1, "Pick nodes"), "1 node selected");
  assert.equal(selectionStatus(12, "Pick nodes"), "12 nodes selected");
});

test("the controls come in the layout's order, with the view's hook classes", () => {
  const field = document.createElement("label");
  const toolbar = new Toolbar({ ...options, layout: [field, "modes", "status", "clear"] });
  const children = Array.from(toolbar.element.children);
  assert.deepEqual(children, [field, toolbar.modes, toolbar.status, toolbar.clearButton]);
  assert.ok(toolbar.element.classList.contains("somnium-map__toolbar"));
  assert.ok(toolbar.status.classList.contains("somnium-map__status"));
  assert.ok(toolbar.clearButton.classList.contains("somnium-map__clear"));
  assert.ok(toolbar.modes.classList.contains("somnium-map__brush-modes"));
  const planes = new Toolbar({ block: "somnium-planes", hint: "", layout: ["status", "modes", "clear"] });
  assert.equal(planes.element.firstElementChild, planes.status);
  assert.ok(planes.status.classList.contains("somnium-planes__status"));
  assert.ok(!planes.status.classList.contains("somnium-map__status"));
});

test("an unknown control in the layout is an error, not a silent gap", () => {
  assert.throws(() => new Toolbar({ ...options, layout: ["modes", "zoom"] }), /no "zoom" control/);
});

test("one button per mode; setMode presses exactly one", () => {
  const toolbar = new Toolbar(options);
  const buttons = Array.from(toolbar.modes.querySelectorAll("button[data-mode]"));
  assert.deepEqual(
    buttons.map((button) => button.dataset.mode),
    BRUSH_MODES.map(({ mode }) => mode),
  );
  toolbar.setMode("lasso");
  assert.deepEqual(
    buttons.map((button) => button.getAttribute("aria-pressed")),
    ["false", "true"],
  );
  toolbar.setMode("rectangle");
  assert.deepEqual(
    buttons.map((button) => button.getAttribute("aria-pressed")),
    ["true", "false"],
  );
});

test("a mode button reports the mode it asks for, and does not press itself", () => {
  const toolbar = new Toolbar(options);
  toolbar.setMode("rectangle");
  const asked = [];
  toolbar.on("brush", (mode) => asked.push(mode));
  toolbar.modes.querySelector('[data-mode="lasso"]').click();
  assert.deepEqual(asked, ["lasso"]);
  // the model decides: until setMode, the pressed button is still the model's
  assert.equal(toolbar.modes.querySelector('[data-mode="lasso"]').getAttribute("aria-pressed"), "false");
});

test("setCount writes the status and enables Clear only with a selection", () => {
  const toolbar = new Toolbar(options);
  assert.equal(toolbar.status.textContent, "Click or drag to select");
  assert.equal(toolbar.clearButton.disabled, true);
  toolbar.setCount(3);
  assert.equal(toolbar.status.textContent, "3 nodes selected");
  assert.equal(toolbar.clearButton.disabled, false);
  toolbar.setCount(0);
  assert.equal(toolbar.clearButton.disabled, true);
});

test("Clear and Escape inside the key target both ask to clear; Escape stops there", () => {
  const root = host();
  const toolbar = new Toolbar({ ...options, keyTarget: root });
  root.append(toolbar.element);
  const asked = [];
  toolbar.on("clear", (source) => asked.push(source));
  toolbar.setCount(2);
  toolbar.clearButton.click();
  let reachedDocument = false;
  const onDocument = () => {
    reachedDocument = true;
  };
  document.addEventListener("keydown", onDocument);
  press(toolbar.status, "Escape");
  press(root, "a");
  assert.deepEqual(asked, ["button", "escape"]);
  assert.equal(reachedDocument, true); // only the "a": Escape did not propagate past the view
  reachedDocument = false;
  press(root, "Escape");
  assert.equal(reachedDocument, false);
  document.removeEventListener("keydown", onDocument);
});

test("destroy removes the listeners and the element", () => {
  const root = host();
  const toolbar = new Toolbar({ ...options, keyTarget: root });
  root.append(toolbar.element);
  const asked = [];
  toolbar.on("clear", (source) => asked.push(source));
  const clear = toolbar.clearButton;
  toolbar.destroy();
  clear.disabled = false;
  clear.click();
  press(root, "Escape");
  assert.deepEqual(asked, []);
  assert.equal(toolbar.element.isConnected, false);
});

test("an unknown event name is an error", () => {
  assert.throws(() => new Toolbar(options).on("zoom", () => {}), /no "zoom" event/);
});

test("a Choice offers the options as text and rebuilds them only when they change", () => {
  const choice = new Choice({ label: "Colour", className: "somnium-map__layer", ariaLabel: "Colour layer" });
  const hostile = "<img src=x onerror=alert(1)>";
  choice.setOptions(
    [
      ["umatrix", "U-matrix"],
      ["x", hostile],
    ],
    "x",
  );
  assert.equal(choice.value, "x");
  assert.deepEqual(
    Array.from(choice.select.options, (option) => option.textContent),
    ["U-matrix", hostile],
  );
  assert.equal(choice.element.querySelector("img"), null);
  const first = choice.select.options[0];
  choice.setOptions(
    [
      ["umatrix", "U-matrix"],
      ["x", hostile],
    ],
    "umatrix",
  );
  assert.equal(choice.select.options[0], first); // same list: the same option elements
  assert.equal(choice.value, "umatrix");
  choice.setOptions([["hits", "Hits"]], "hits");
  assert.deepEqual(
    Array.from(choice.select.options, (option) => option.value),
    ["hits"],
  );
});
