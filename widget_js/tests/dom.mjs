// A real DOM for the component tests (happy-dom), installed as the globals the lib/ modules use.

import { Window } from "happy-dom";

const window = new Window({ url: "http://localhost/" });
const GLOBALS = [
  "document",
  "Element",
  "HTMLElement",
  "Event",
  "KeyboardEvent",
  "MouseEvent",
  "PointerEvent",
];
for (const name of [...GLOBALS, "requestAnimationFrame", "cancelAnimationFrame"]) {
  globalThis[name] =
    typeof window[name] === "function" && !GLOBALS.includes(name) ? window[name].bind(window) : window[name];
}

export { window };

/** A fresh element attached to the document body, for one test. */
export function host() {
  const element = document.createElement("div");
  document.body.append(element);
  return element;
}

/** Press a key inside `target` (the event bubbles, as a real key press does). */
export function press(target, key) {
  const event = new KeyboardEvent("keydown", { key, bubbles: true, cancelable: true });
  target.dispatchEvent(event);
  return event;
}
