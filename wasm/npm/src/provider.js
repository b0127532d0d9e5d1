// Syncs documents with a weft relay over one WebSocket. The protocol itself lives in
// SyncSession (sans-IO); this class owns the socket, the clock and reconnection.

import { SyncSession } from "./weft.js";
import { Awareness, applyRemoteStates } from "./awareness.js";
import { Locks } from "./locks.js";

/** How often the session gets the time, for retries and presence refresh and expiry. */
const TICK_INTERVAL = 1000;
/**
 * How long acknowledgements of the relay's updates wait, so that one covers a burst:
 * over a WebSocket they only stop the relay's retries, which wait longer.
 */
const ACK_DELAY = 500;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class WebSocketProvider {
  #url;
  #room;
  #token;
  #durability;
  #minBackoff;
  #maxBackoff;
  #WebSocket;
  #awareness;
  #ownsAwareness;
  #unobserveAwareness;

  /** room name -> { doc, unsubscribe } */
  #docs = new Map();
  #listeners = new Map();
  #status = "disconnected";
  #synced = false;
  #syncedWaiters = [];
  /** room name -> what the relay acknowledged holding (replica -> counter) */
  #acknowledged = new Map();
  /** { room, version, resolve } waiting for an acknowledgement that covers version */
  #acknowledgedWaiters = [];

  /** Whether the user wants a connection, so a dropped one is reopened. */
  #wanted = false;
  /** Counts connection attempts, so a token that resolves late can tell it is stale. */
  #attempt = 0;
  #failures = 0;
  #reconnectTimer = null;
  #tickTimer = null;
  #socket = null;
  #session = null;
  #locks = new Locks(
    (text) => this.#socket?.readyState === 1 && this.#socket.send(text),
    () => this.#socket?.readyState === 1 && this.#session !== null,
  );

  constructor(url, room, doc, options = {}) {
    this.#url = url;
    this.#room = room;
    this.#token = options.token;
    this.#durability = options.durability ?? 1;
    if (!Number.isInteger(this.#durability) || this.#durability < 1 || this.#durability > 16) {
      throw new RangeError("durability is a number of relays from 1 to 16");
    }
    this.#minBackoff = options.minBackoff ?? 500;
    this.#maxBackoff = options.maxBackoff ?? 10_000;
    this.#WebSocket = options.WebSocket ?? globalThis.WebSocket;
    this.#ownsAwareness = options.awareness === undefined;
    this.#awareness = options.awareness ?? new Awareness(doc);
    this.#unobserveAwareness = this.#awareness.on("change", (_changes, origin) => {
      if (origin === "local") {
        this.#sendAwareness(this.#awareness.getLocalState());
      }
    });
    this.addDoc(room, doc);
    if (options.connect ?? true) {
      this.connect();
    }
  }

  get awareness() {
    return this.#awareness;
  }

  get status() {
    return this.#status;
  }

  get synced() {
    return this.#synced;
  }

  /** How many relays store a change before the relay acknowledges it. */
  get durability() {
    return this.#durability;
  }

  /** What the relay acknowledged holding of `room`, on `durability` relays. */
  acknowledged(room = this.#room) {
    return new Map(this.#acknowledged.get(room) ?? []);
  }

  /** Resolves once the relay acknowledges everything `room`'s document holds now. */
  whenAcknowledged(room = this.#room) {
    const entry = this.#docs.get(room);
    if (!entry) {
      return Promise.reject(new Error(`room ${JSON.stringify(room)} is not synced by this provider`));
    }
    const version = entry.doc.versionVector();
    if (includes(this.#acknowledged.get(room), version)) {
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#acknowledgedWaiters.push({ room, version, resolve }));
  }

  /**
   * Takes the lock `name` on the relay: resolves with a lease (renewed while held,
   * with a fencing token), waiting while someone else holds it unless `wait` is false.
   */
  lock(name, options) {
    return this.#locks.acquire(name, options);
  }

  /** Calls `listener` with the holder of `name` (a lease, or null) now and at every change. */
  watchLock(name, listener, options) {
    return this.#locks.watch(name, listener, options);
  }

  whenSynced() {
    if (this.#synced) {
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#syncedWaiters.push(resolve));
  }

  addDoc(room, doc) {
    if (this.#docs.has(room)) {
      throw new Error(`room ${JSON.stringify(room)} is already synced by this provider`);
    }
    const unsubscribe = doc.on("update", (_update, origin) => {
      // The session's own imports carry this provider as their origin: the peer has
      // them already. Everything else (local edits, loads from storage) goes out.
      if (origin !== this && this.#session) {
        this.#session.localChanged(Date.now(), room);
        this.#flush();
      }
    });
    this.#docs.set(room, { doc, unsubscribe });
    if (this.#session) {
      this.#session.subscribe(Date.now(), room, doc);
      this.#flush();
      this.#setSynced(false);
    }
  }

  removeDoc(room) {
    const entry = this.#docs.get(room);
    if (!entry) {
      return;
    }
    entry.unsubscribe();
    this.#docs.delete(room);
    if (this.#session) {
      this.#session.unsubscribe(room);
      this.#updateSynced();
    }
  }

  connect() {
    this.#wanted = true;
    if (this.#status === "disconnected" && this.#reconnectTimer === null) {
      this.#open();
    }
  }

  disconnect() {
    this.#wanted = false;
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = null;
    // Invalidates a connection attempt still waiting for its token.
    this.#attempt += 1;
    const socket = this.#socket;
    if (socket) {
      // Tell the others this client left instead of letting its presence time out.
      if (this.#session && this.#awareness.getLocalState() !== null) {
        this.#session.setAwareness(Date.now(), this.#room, null);
        this.#flush();
      }
      this.#closed(socket);
      socket.close();
    } else {
      this.#setStatus("disconnected");
    }
  }

  destroy() {
    this.disconnect();
    for (const { unsubscribe } of this.#docs.values()) {
      unsubscribe();
    }
    this.#docs.clear();
    this.#unobserveAwareness();
    if (this.#ownsAwareness) {
      this.#awareness.destroy();
    }
    this.#locks.destroy();
    this.#listeners.clear();
  }

  on(event, listener) {
    if (!this.#listeners.has(event)) {
      this.#listeners.set(event, new Set());
    }
    this.#listeners.get(event).add(listener);
    return () => this.off(event, listener);
  }

  off(event, listener) {
    this.#listeners.get(event)?.delete(listener);
  }

  #emit(event, value) {
    for (const listener of [...(this.#listeners.get(event) ?? [])]) {
      listener(value);
    }
  }

  async #open() {
    const attempt = ++this.#attempt;
    this.#setStatus("connecting");
    let url = this.#url;
    if (this.#token !== undefined) {
      let token;
      try {
        token = typeof this.#token === "function" ? await this.#token() : this.#token;
      } catch (error) {
        if (attempt === this.#attempt) {
          this.#emit("error", asError(error));
          this.#setStatus("disconnected");
          this.#scheduleReconnect();
        }
        return;
      }
      if (attempt !== this.#attempt) {
        return;
      }
      url += `${url.includes("?") ? "&" : "?"}token=${encodeURIComponent(token)}`;
    }
    if (this.#durability > 1) {
      url += `${url.includes("?") ? "&" : "?"}durability=${this.#durability}`;
    }
    let socket;
    try {
      socket = new this.#WebSocket(url);
    } catch (error) {
      // A malformed or forbidden URL: trying again would fail the same way.
      this.#wanted = false;
      this.#emit("error", asError(error));
      this.#setStatus("disconnected");
      return;
    }
    socket.binaryType = "arraybuffer";
    this.#socket = socket;
    socket.addEventListener("open", () => socket === this.#socket && this.#opened());
    socket.addEventListener("message", (event) => socket === this.#socket && this.#message(event.data));
    socket.addEventListener("close", () => {
      if (socket === this.#socket) {
        this.#closed(socket);
        this.#scheduleReconnect();
      }
    });
    // A failed socket also closes, and the close handler reconnects; the listener must
    // exist all the same, as Node's `ws` throws errors nobody listens to.
    socket.addEventListener("error", () => {});
  }

  #opened() {
    const now = Date.now();
    this.#session = new SyncSession(this.#awareness.clientId, ACK_DELAY);
    // Guards precede the sync messages that could carry guarded writes.
    this.#locks.opened();
    for (const [room, { doc }] of this.#docs) {
      this.#session.subscribe(now, room, doc);
    }
    const state = this.#awareness.getLocalState();
    if (state !== null) {
      this.#session.setAwareness(now, this.#room, encodeState(state));
    }
    this.#flush();
    this.#tickTimer = setInterval(() => {
      this.#handle(this.#session.tick(Date.now()));
      this.#flush();
    }, TICK_INTERVAL);
    this.#setStatus("connected");
  }

  #message(data) {
    if (typeof data === "string") {
      if (!this.#locks.receive(data)) {
        this.#emit("error", new Error("the relay sent a text message that is not a lock message"));
      }
      return;
    }
    if (!(data instanceof ArrayBuffer)) {
      this.#emit("error", new Error("the relay sent a message of an unknown kind"));
      return;
    }
    let events;
    try {
      events = this.#session.receive(Date.now(), new Uint8Array(data), this);
    } catch (error) {
      // One unreadable message does not end the connection: the session's retries
      // recover whatever it carried.
      this.#emit("error", asError(error));
      return;
    } finally {
      this.#flush();
    }
    this.#handle(events);
  }

  #handle(events) {
    for (const event of events) {
      switch (event.type) {
        case "connected":
          // The relay speaks the protocol: from here on a drop starts over at minBackoff.
          this.#failures = 0;
          break;
        case "synced":
          this.#updateSynced();
          break;
        case "acknowledged":
          this.#onAcknowledged(event.doc, event.version);
          break;
        case "awareness":
          if (event.doc === this.#room) {
            this.#applyRemoteAwareness(event.peer, event.state);
          }
          break;
        case "error":
          if (event.reported?.startsWith("fenced: ")) {
            this.#emit("fenced", { room: fencedRoom(event.reported), message: event.reported });
          } else {
            this.#emit("error", new Error(event.message));
          }
          break;
      }
    }
  }

  #onAcknowledged(room, version) {
    const held = this.#acknowledged.get(room) ?? new Map();
    for (const [replica, counter] of version) {
      held.set(replica, Math.max(held.get(replica) ?? 0, counter));
    }
    this.#acknowledged.set(room, held);
    this.#acknowledgedWaiters = this.#acknowledgedWaiters.filter((waiter) => {
      const done = waiter.room === room && includes(held, waiter.version);
      if (done) {
        waiter.resolve();
      }
      return !done;
    });
    this.#emit("acknowledged", { room, version: new Map(held), durability: this.#durability });
  }

  #applyRemoteAwareness(peer, bytes) {
    let state = null;
    if (bytes !== null) {
      try {
        state = JSON.parse(decoder.decode(bytes));
      } catch (error) {
        this.#emit("error", asError(error));
        return;
      }
    }
    this.#awareness[applyRemoteStates]([[peer, state]]);
  }

  #sendAwareness(state) {
    if (this.#session) {
      this.#session.setAwareness(Date.now(), this.#room, state === null ? null : encodeState(state));
      this.#flush();
    }
  }

  #flush() {
    const socket = this.#socket;
    const messages = this.#session?.takeOutgoing() ?? [];
    if (!socket || socket.readyState !== socket.OPEN) {
      return;
    }
    for (const message of messages) {
      socket.send(message);
    }
  }

  /** Forgets the connection of `socket`; whatever closes it reconnects or not. */
  #closed(socket) {
    if (socket !== this.#socket) {
      return;
    }
    clearInterval(this.#tickTimer);
    this.#tickTimer = null;
    this.#socket = null;
    this.#locks.closed();
    this.#session?.free();
    this.#session = null;
    const others = [...this.#awareness.getStates().keys()].filter((id) => id !== this.#awareness.clientId);
    this.#awareness[applyRemoteStates](others.map((id) => [id, null]));
    this.#setSynced(false);
    this.#setStatus("disconnected");
  }

  #scheduleReconnect() {
    if (!this.#wanted) {
      return;
    }
    // Full jitter: a uniform delay up to the exponential cap, so clients a relay
    // dropped together do not all come back at once.
    const cap = Math.min(this.#maxBackoff, this.#minBackoff * 2 ** this.#failures);
    this.#failures += 1;
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = null;
      this.#open();
    }, Math.random() * cap);
  }

  #updateSynced() {
    const session = this.#session;
    this.#setSynced(session !== null && [...this.#docs.keys()].every((room) => session.isSynced(room)));
  }

  #setSynced(synced) {
    if (synced === this.#synced) {
      return;
    }
    this.#synced = synced;
    this.#emit("synced", synced);
    if (synced) {
      const waiters = this.#syncedWaiters;
      this.#syncedWaiters = [];
      for (const resolve of waiters) {
        resolve();
      }
    }
  }

  #setStatus(status) {
    if (status === this.#status) {
      return;
    }
    this.#status = status;
    this.#emit("status", { status });
  }
}

function encodeState(state) {
  return encoder.encode(JSON.stringify(state));
}

/** The room a fencing refusal names: `fenced: "room" is guarded ...`. */
function fencedRoom(message) {
  const quoted = message.slice("fenced: ".length).match(/^"(?:[^"\\]|\\.)*"/);
  try {
    return quoted ? JSON.parse(quoted[0]) : null;
  } catch {
    return null;
  }
}

function asError(error) {
  return error instanceof Error ? error : new Error(String(error));
}

/** Whether version vector `held` includes `wanted` (both replica -> counter). */
function includes(held, wanted) {
  for (const [replica, counter] of wanted) {
    if ((held?.get(replica) ?? 0) < counter) {
      return false;
    }
  }
  return true;
}
