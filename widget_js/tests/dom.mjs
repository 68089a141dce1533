// A real DOM for the component tests (happy-dom), installed as the globals the lib/ modules use.

import { Window } from "happy-dom";

const window = new Window({ url: "http://localhost/" });
// Classes as they are; the frame functions bound to the window they belong to.
for (const name of [
  "document",
  "Element",
  "HTMLElement",
  "Event",
  "KeyboardEvent",
  "MouseEvent",
  "PointerEvent",
]) {
  globalThis[name] = window[name];
}
for (const name of ["requestAnimationFrame", "cancelAnimationFrame"]) {
  globalThis[name] = window[name].bind(window);
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
