// Locks on the relay, spoken as JSON text messages on the provider's WebSocket beside
// the binary sync messages: leases with fencing tokens, renewed while held, and guards
// that make the relay refuse writes to a document from anyone without the latest token.

/** Renewals happen this often within a lease's ttl. */
const RENEWALS_PER_TTL = 3;
/** How long a lock request waits for the relay's answer before it counts as lost. */
const REQUEST_TIMEOUT = 10_000;

// What the lock client calls on its leases, kept off their public surface.
const startRenewing = Symbol("startRenewing");
const lose = Symbol("lose");

/** Why a lock request failed; `code` is the relay's (held, lost, forbidden, ...). */
export class LockError extends Error {
  constructor(code, message, holder) {
    super(message);
    this.name = "LockError";
    this.code = code;
    this.holder = holder ?? null;
  }
}

/** A held lock: its fencing token orders it after every earlier holder's. */
export class Lease {
  #locks;
  #renewTimer = null;
  #lost = new AbortController();
  #released = false;

  constructor(locks, lease, mode, ttl) {
    this.#locks = locks;
    this.name = lease.name;
    this.token = lease.token;
    this.holder = lease.holder;
    this.expires = lease.expires;
    this.mode = mode;
    this.ttl = ttl;
  }

  /** Aborted when the lease is lost: stop the guarded work. */
  get signal() {
    return this.#lost.signal;
  }

  get held() {
    return !this.#released && !this.#lost.signal.aborted;
  }

  /** Writes to `room` from this provider show this lease's token from now on. */
  async guard(room) {
    await this.#locks.guard(room, this);
  }

  get guardedRooms() {
    return this.#locks.roomsGuardedBy(this);
  }

  async renew() {
    try {
      const answer = await this.#locks.request({ op: "renew", name: this.name, token: this.token, ttl: this.ttl, mode: this.mode });
      this.expires = answer.lease.expires;
    } catch (error) {
      if (error.code === "lost") {
        this[lose](error);
      }
      throw error;
    }
  }

  async release() {
    if (this.#released) {
      return;
    }
    this.#released = true;
    this.stopRenewing();
    this.#locks.forget(this);
    if (!this.#lost.signal.aborted) {
      await this.#locks.request({ op: "release", name: this.name, token: this.token, mode: this.mode });
    }
  }

  [startRenewing](interval) {
    this.stopRenewing();
    this.#renewTimer = setInterval(() => {
      this.renew().catch(() => {
        // A lost lease aborts its signal; a dropped connection tries again on the
        // next round, and the lease is lost if it expires meanwhile.
        if (Date.now() >= this.expires) {
          this[lose](new LockError("lost", `the lease on ${JSON.stringify(this.name)} expired`));
        }
      });
    }, interval);
  }

  stopRenewing() {
    clearInterval(this.#renewTimer);
    this.#renewTimer = null;
  }

  [lose](reason) {
    this.stopRenewing();
    this.#locks.forget(this);
    if (!this.#lost.signal.aborted) {
      this.#lost.abort(reason);
    }
  }
}

/** One provider's lock requests, watches and guards. */
export class Locks {
  #send;
  #isOpen;
  #nextId = 1;
  /** id -> { request, resolve, reject, timer }: sent when timer is set */
  #pending = new Map();
  /** `${mode}\u0000${name}` -> the listeners for that lock's holder changes */
  #watchers = new Map();
  /** room -> lease whose token guards it */
  #guards = new Map();
  #leases = new Set();

  constructor(send, isOpen) {
    this.#send = send;
    this.#isOpen = isOpen;
  }

  /** Sends `request` and resolves with the relay's answer (a LockError if refused). */
  request(request) {
    return new Promise((resolve, reject) => {
      const id = this.#nextId++;
      const entry = { request: { ...request, id }, resolve, reject, timer: null };
      this.#pending.set(id, entry);
      if (this.#isOpen()) {
        this.#transmit(entry);
      }
    });
  }

  #transmit(entry) {
    entry.timer = setTimeout(() => {
      this.#pending.delete(entry.request.id);
      entry.reject(new LockError("unavailable", "the relay did not answer the lock request in time"));
    }, REQUEST_TIMEOUT);
    this.#send(JSON.stringify(entry.request));
  }

  async acquire(name, { ttl = 10_000, mode = "correctness", holder, wait = true, signal } = {}) {
    // A holder id of this call's own tells a grant whose answer a dropped connection
    // lost; a name the app chose may be another client's too.
    const own = holder === undefined;
    holder ??= globalThis.crypto.randomUUID();
    for (;;) {
      signal?.throwIfAborted();
      try {
        const answer = await this.request({ op: "acquire", name, holder, ttl, mode });
        return this.#held(answer.lease, mode, ttl);
      } catch (error) {
        if (own && error.code === "held" && error.holder?.holder === holder) {
          return this.#held(error.holder, mode, ttl);
        }
        if (!wait || !["held", "unavailable"].includes(error.code)) {
          throw error;
        }
        await this.#freed(name, mode, error.holder, signal);
      }
    }
  }

  #held(lease, mode, ttl) {
    const held = new Lease(this, lease, mode, ttl);
    this.#leases.add(held);
    held[startRenewing](Math.max(100, Math.floor(ttl / RENEWALS_PER_TTL)));
    return held;
  }

  /** Resolves when `name` may be free: its holder left, or its lease's expiry came. */
  #freed(name, mode, holder, signal) {
    return new Promise((resolve) => {
      const wait = holder ? Math.max(0, holder.expires - Date.now()) : 500;
      const done = () => {
        clearTimeout(timer);
        unwatch();
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, wait + Math.random() * 100);
      const unwatch = this.watch(name, (current) => current === null && done(), { mode });
      signal?.addEventListener("abort", done);
    });
  }

  /** Calls `listener` with the holder (a lease, or null) now and at every change. */
  watch(name, listener, { mode = "correctness" } = {}) {
    const key = `${mode}\u0000${name}`;
    let listeners = this.#watchers.get(key);
    if (listeners) {
      // The relay follows it for this connection already: ask who holds it now.
      this.request({ op: "holder", name, mode })
        .then((answer) => listeners.has(listener) && listener(answer.holder ?? null))
        .catch(() => {});
    } else {
      listeners = new Set();
      this.#watchers.set(key, listeners);
      this.request({ op: "watch", name, mode })
        .then((answer) => this.#notify(key, answer.holder))
        .catch(() => {});
    }
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0 && this.#watchers.get(key) === listeners) {
        this.#watchers.delete(key);
        this.request({ op: "unwatch", name, mode }).catch(() => {});
      }
    };
  }

  #notify(key, holder) {
    for (const listener of [...(this.#watchers.get(key) ?? [])]) {
      listener(holder ?? null);
    }
  }

  async guard(room, lease) {
    this.#guards.set(room, lease);
    await this.request({ op: "guard", name: lease.name, doc: room, token: lease.token });
  }

  roomsGuardedBy(lease) {
    return [...this.#guards].filter(([, guard]) => guard === lease).map(([room]) => room);
  }

  forget(lease) {
    this.#leases.delete(lease);
    for (const [room, guard] of this.#guards) {
      if (guard === lease) {
        this.#guards.delete(room);
      }
    }
  }

  /**
   * A new connection: guards go first, before any sync message could carry a guarded
   * write; then watches, then the requests that waited.
   */
  opened() {
    for (const [room, lease] of this.#guards) {
      this.#send(JSON.stringify({ op: "guard", name: lease.name, doc: room, token: lease.token }));
    }
    for (const key of this.#watchers.keys()) {
      const [mode, name] = key.split("\u0000");
      this.request({ op: "watch", name, mode })
        .then((answer) => this.#notify(key, answer.holder))
        .catch(() => {});
    }
    for (const entry of this.#pending.values()) {
      if (entry.timer === null) {
        this.#transmit(entry);
      }
    }
  }

  /** The connection dropped: requests in flight may or may not have happened. */
  closed() {
    for (const [id, entry] of this.#pending) {
      if (entry.timer !== null) {
        clearTimeout(entry.timer);
        this.#pending.delete(id);
        entry.reject(new LockError("unavailable", "the connection to the relay dropped"));
      }
    }
  }

  /** A text message from the relay; false if it is not a lock message. */
  receive(text) {
    let message;
    try {
      message = JSON.parse(text);
    } catch {
      return false;
    }
    if (message === null || typeof message !== "object") {
      return false;
    }
    if (message.watch !== undefined) {
      for (const key of this.#watchers.keys()) {
        if (key.endsWith(`\u0000${message.watch}`)) {
          this.#notify(key, message.holder);
        }
      }
      return true;
    }
    // Answers to guards sent on reconnecting carry no id: a refusal means the lease
    // is gone, which the relay says again when a write is refused.
    const entry = this.#pending.get(message.id);
    if (!entry) {
      return true;
    }
    this.#pending.delete(message.id);
    clearTimeout(entry.timer);
    if (message.error !== undefined) {
      entry.reject(new LockError(message.error, message.message, message.holder));
    } else {
      entry.resolve(message);
    }
    return true;
  }

  destroy() {
    for (const lease of this.#leases) {
      lease.stopRenewing();
    }
    for (const entry of this.#pending.values()) {
      clearTimeout(entry.timer);
      entry.reject(new LockError("unavailable", "the provider was destroyed"));
    }
    this.#pending.clear();
  }
}
