// Keeps a document in IndexedDB as a log of updates, one record each, folded into a
// single snapshot record when the log grows long.

import { Doc } from "./weft.js";

const STORE = "updates";

/** Past this many records the log is replaced by one snapshot. */
const COMPACT_AFTER = 500;

export class IndexedDbPersistence {
  #name;
  #doc;
  #unsubscribe;
  #whenSynced;
  #db = null;
  /** Updates to store once the database is open and loaded. */
  #queued = [];
  #records = 0;
  /** Settles when every write so far is committed; rejects if one failed. */
  #writes = Promise.resolve();

  constructor(name, doc) {
    this.#name = name;
    this.#doc = doc;
    // What the document holds already (say, synced before it was persisted) is in
    // no update to come, so it is stored as one of its own.
    if (hasChanges(doc)) {
      this.#queued.push(doc.export({ mode: "update" }));
    }
    this.#unsubscribe = doc.on("update", (update, origin) => {
      // What this class imports from the database is stored already.
      if (origin === this) {
        return;
      }
      if (this.#db) {
        this.#store([update]);
      } else {
        this.#queued.push(update);
      }
    });
    this.#whenSynced = this.#load().then(() => this);
  }

  get whenSynced() {
    return this.#whenSynced;
  }

  async clearData() {
    await this.destroy();
    await request(globalThis.indexedDB.deleteDatabase(this.#name));
  }

  async destroy() {
    this.#unsubscribe();
    try {
      await this.whenSynced;
    } finally {
      const db = this.#db;
      this.#db = null;
      try {
        await this.#writes;
      } finally {
        // Closing waits for running transactions, so nothing written is cut short.
        db?.close();
      }
    }
  }

  async #load() {
    const open = globalThis.indexedDB.open(this.#name, 1);
    open.onupgradeneeded = () => open.result.createObjectStore(STORE, { autoIncrement: true });
    const db = await request(open);
    const records = await request(db.transaction(STORE, "readonly").objectStore(STORE).getAll());
    for (const record of records) {
      this.#doc.import(record, this);
    }
    this.#db = db;
    this.#records = records.length;
    const queued = this.#queued;
    this.#queued = [];
    if (queued.length > 0) {
      this.#store(queued);
    } else if (this.#records > COMPACT_AFTER) {
      this.#compact();
    }
  }

  #store(updates) {
    const transaction = this.#db.transaction(STORE, "readwrite");
    const store = transaction.objectStore(STORE);
    for (const update of updates) {
      store.add(update);
    }
    this.#track(transaction);
    this.#records += updates.length;
    if (this.#records > COMPACT_AFTER) {
      this.#compact();
    }
  }

  #compact() {
    const transaction = this.#db.transaction(STORE, "readwrite");
    const store = transaction.objectStore(STORE);
    const read = store.getAll();
    read.onsuccess = () => {
      // Another tab may have added records this document has not seen: take them in
      // before they are replaced, so the snapshot holds everything stored.
      for (const record of read.result) {
        this.#doc.import(record, this);
      }
      store.clear();
      store.add(this.#doc.export({ mode: "snapshot" }));
    };
    this.#track(transaction);
    this.#records = 1;
  }

  #track(transaction) {
    this.#writes = Promise.all([this.#writes, committed(transaction)]);
    // A failed write surfaces from destroy(); until then it is not an unhandled rejection.
    this.#writes.catch(() => {});
  }
}

/** The version of a document without changes, worked out on first use. */
let emptyVersion;

/** Whether `doc` holds any change; versions are encoded canonically, so bytes compare. */
function hasChanges(doc) {
  if (emptyVersion === undefined) {
    const empty = new Doc();
    emptyVersion = empty.version();
    empty.free();
  }
  const version = doc.version();
  return version.length !== emptyVersion.length || version.some((byte, i) => byte !== emptyVersion[i]);
}

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function committed(transaction) {
  return new Promise((resolve, reject) => {
    transaction.oncomplete = () => resolve();
    transaction.onerror = () => reject(transaction.error);
    transaction.onabort = () => reject(transaction.error ?? new Error("IndexedDB transaction aborted"));
  });
}
