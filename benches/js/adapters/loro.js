// Loro: LoroDoc with getText, getList and getMap. An edit becomes a change when the doc
// commits, so each edit outside `transact` is followed by commit(). The update of each
// commit comes from subscribeLocalUpdates, which yields the same bytes as
// export({ mode: "update", from }) with the version before the commit, without the
// cost of reading the version around every edit.

import { LoroDoc, LoroMap } from "loro-crdt";
import { packageVersion } from "./index.js";

export const name = "loro";
export const version = packageVersion("loro-crdt");

class LoroReplica {
  constructor(doc) {
    this.doc = doc;
    this.ltext = doc.getText("text");
    this.llist = doc.getList("list");
    this.lmap = doc.getMap("map");
    this.depth = 0;
  }

  onLocalUpdate(fn) {
    this.doc.subscribeLocalUpdates(fn);
  }

  transact(fn) {
    this.depth++;
    try {
      fn();
    } finally {
      this.depth--;
    }
    this.commit();
  }

  commit() {
    if (this.depth === 0) this.doc.commit();
  }

  insertText(index, string) {
    this.ltext.insert(index, string);
    this.commit();
  }

  deleteText(index, length) {
    this.ltext.delete(index, length);
    this.commit();
  }

  insertList(index, values) {
    // LoroList inserts one value per call; one commit makes them one change.
    this.transact(() => {
      for (let i = 0; i < values.length; i++) this.llist.insert(index + i, values[i]);
    });
  }

  setMap(key, value) {
    this.lmap.set(key, value);
    this.commit();
  }

  setMapObject(key, object) {
    this.transact(() => {
      const nested = this.lmap.setContainer(key, new LoroMap());
      for (const [k, v] of Object.entries(object)) nested.set(k, v);
    });
  }

  applyUpdates(updates) {
    this.doc.importBatch(updates);
  }

  encode() {
    return this.doc.export({ mode: "snapshot" });
  }

  text() {
    return this.ltext.toString();
  }

  list() {
    return this.llist.toJSON();
  }

  map() {
    return this.lmap.toJSON();
  }

  free() {
    this.doc.free();
  }
}

export function create(peer) {
  const doc = new LoroDoc();
  doc.setPeerId(peer);
  return new LoroReplica(doc);
}

export function load(bytes) {
  return new LoroReplica(LoroDoc.fromSnapshot(bytes));
}
