// Named events for the lib/ components (HexMap, Toolbar): `on` returns the unsubscribe,
// and asking for an event a component does not have is a bug, so it throws.

export class Emitter {
  #handlers;
  #owner;

  /** @param {string} owner the component's name, for the error message @param {string[]} events */
  constructor(owner, events) {
    this.#owner = owner;
    this.#handlers = new Map(events.map((event) => [event, new Set()]));
  }

  /** Call `handler(value)` on every `event`; returns the unsubscribe function. */
  on(event, handler) {
    const handlers = this.#handlers.get(event);
    if (!handlers) throw new Error(`${this.#owner} has no "${event}" event`);
    handlers.add(handler);
    return () => handlers.delete(handler);
  }

  emit(event, value) {
    for (const handler of this.#handlers.get(event)) handler(value);
  }

  clear() {
    for (const handlers of this.#handlers.values()) handlers.clear();
  }
}
