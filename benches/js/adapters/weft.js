// weft: the npm package built from wasm/ (its API is wasm/npm/index.d.ts). Each edit
// outside `transact` is a transaction of its own, and the doc's "update" event hands
// out the bytes to send for it.

import * as weft from "weft";
import { packageVersion } from "./index.js";

export const name = "weft";
export const version = packageVersion("weft");

class WeftReplica {
  constructor(doc) {
    this.doc = doc;
    this.wtext = doc.getText("text");
    this.wlist = doc.getList("list");
    this.wmap = doc.getMap("map");
  }

  onLocalUpdate(fn) {
    // Imports fire "update" too (for relaying); only local transactions are sent.
    this.doc.on("update", (update, _origin, local) => {
      if (local) fn(update);
    });
  }

  transact(fn) {
    this.doc.transact(fn);
  }

  insertText(index, string) {
    this.wtext.insert(index, string);
  }

  deleteText(index, length) {
    this.wtext.delete(index, length);
  }

  insertList(index, values) {
    // List.insert takes one value; a transaction makes the values one change.
    this.doc.transact(() => {
      for (let i = 0; i < values.length; i++) this.wlist.insert(index + i, values[i]);
    });
  }

  setMap(key, value) {
    this.wmap.set(key, value);
  }

  setMapObject(key, object) {
    this.doc.transact(() => {
      const nested = this.wmap.setContainer(key, "map");
      for (const [k, v] of Object.entries(object)) nested.set(k, v);
    });
  }

  applyUpdates(updates) {
    for (const update of updates) this.doc.import(update);
  }

  encode() {
    return this.doc.export({ mode: "snapshot" });
  }

  text() {
    return this.wtext.toString();
  }

  list() {
    return this.wlist.toJSON();
  }

  map() {
    return this.wmap.toJSON();
  }

  free() {
    this.doc.free();
  }
}

export function create(peer) {
  return new WeftReplica(new weft.Doc({ peerId: peer }));
}

export function load(bytes) {
  const doc = new weft.Doc();
  doc.import(bytes);
  return new WeftReplica(doc);
}
