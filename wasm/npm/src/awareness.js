// Presence of the clients editing a document: state that is shared live but never
// stored in the document. A provider carries it to the other clients.

/**
 * Applies other clients' states; for providers only, so it is kept off the public API.
 * Takes an iterable of [clientId, state or null] and emits one change event for all.
 */
export const applyRemoteStates = Symbol("weft.applyRemoteStates");

export class Awareness {
  #clientId;
  #localState = null;
  #remoteStates = new Map();
  #listeners = new Set();

  constructor(doc) {
    this.#clientId = doc.peerId;
  }

  get clientId() {
    return this.#clientId;
  }

  getLocalState() {
    return this.#localState;
  }

  setLocalState(state) {
    const previous = this.#localState;
    this.#localState = state;
    const changes = { added: [], updated: [], removed: [] };
    classify(changes, this.#clientId, previous, state);
    this.#emit(changes, "local");
  }

  setLocalStateField(field, value) {
    this.setLocalState({ ...this.#localState, [field]: value });
  }

  getStates() {
    const states = new Map(this.#remoteStates);
    if (this.#localState !== null) {
      states.set(this.#clientId, this.#localState);
    }
    return states;
  }

  on(event, listener) {
    checkEvent(event);
    this.#listeners.add(listener);
    return () => this.off(event, listener);
  }

  off(event, listener) {
    checkEvent(event);
    this.#listeners.delete(listener);
  }

  destroy() {
    this.setLocalState(null);
    this.#listeners.clear();
  }

  [applyRemoteStates](entries) {
    const changes = { added: [], updated: [], removed: [] };
    for (const [clientId, state] of entries) {
      // A provider may hear this client's own state echoed back; the local one rules.
      if (clientId === this.#clientId) {
        continue;
      }
      classify(changes, clientId, this.#remoteStates.get(clientId) ?? null, state);
      if (state === null) {
        this.#remoteStates.delete(clientId);
      } else {
        this.#remoteStates.set(clientId, state);
      }
    }
    this.#emit(changes, "remote");
  }

  #emit(changes, origin) {
    if (changes.added.length + changes.updated.length + changes.removed.length === 0) {
      return;
    }
    for (const listener of [...this.#listeners]) {
      listener(changes, origin);
    }
  }
}

function checkEvent(event) {
  if (event !== "change") {
    throw new TypeError(`Awareness has no ${JSON.stringify(event)} event`);
  }
}

/** Records how `clientId`'s state moved from `before` to `after` (null: absent). */
function classify(changes, clientId, before, after) {
  if (before === null && after !== null) {
    changes.added.push(clientId);
  } else if (before !== null && after === null) {
    changes.removed.push(clientId);
  } else if (before !== null && !jsonEqual(before, after)) {
    changes.updated.push(clientId);
  }
}

function jsonEqual(a, b) {
  if (a === b) {
    return true;
  }
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) {
    return false;
  }
  if (Array.isArray(a) !== Array.isArray(b)) {
    return false;
  }
  const keys = Object.keys(a);
  return (
    keys.length === Object.keys(b).length &&
    keys.every((key) => Object.hasOwn(b, key) && jsonEqual(a[key], b[key]))
  );
}
