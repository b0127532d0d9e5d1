// The public API every entry point exports: the WebAssembly classes, with the
// JavaScript conveniences a Yjs or Loro user expects, and the modules written in
// JavaScript around them.
import {
  Doc as ModuleDoc,
  SyncSession as ModuleSyncSession,
  Counter,
  Cursor,
  List,
  Map,
  MovableList,
  Text,
  UndoManager,
  weftVersion,
} from "./weft.js";
import { requireInitialized } from "./loader.js";

/** A replica of a document; see index.d.ts. */
export class Doc extends ModuleDoc {
  constructor(options) {
    requireInitialized();
    super(options);
  }

  on(event, listener) {
    super.on(event, listener);
    return () => this.off(event, listener);
  }

  fork(options) {
    const forked = new Doc(options);
    forked.import(this.export({ mode: "snapshot" }));
    return forked;
  }
}

/** The sync protocol over any transport; see index.d.ts. */
export class SyncSession extends ModuleSyncSession {
  constructor(peerId, ackDelay) {
    requireInitialized();
    super(peerId, ackDelay);
  }
}

// observe() returns the function that undoes it, as Yjs users expect.
for (const Container of [Text, Map, List, MovableList, Counter]) {
  const observe = Container.prototype.observe;
  Container.prototype.observe = function (listener) {
    observe.call(this, listener);
    return () => this.unobserve(listener);
  };
}

export { Counter, Cursor, List, Map, MovableList, Text, UndoManager, weftVersion };
export { Awareness } from "./awareness.js";
export { WebSocketProvider } from "./provider.js";
export { Lease, LockError } from "./locks.js";
export { IndexedDbPersistence } from "./indexeddb.js";
export { subscribeChanges } from "./changes.js";
