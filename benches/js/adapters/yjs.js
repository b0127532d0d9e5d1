// Yjs: Y.Doc with Y.Text, Y.Array and Y.Map; updates from the doc's "update" event.

import * as Y from "yjs";
import { packageVersion } from "./index.js";

export const name = "yjs";
export const version = packageVersion("yjs");

class YjsReplica {
  constructor(doc) {
    this.doc = doc;
    this.ytext = doc.getText("text");
    this.ylist = doc.getArray("list");
    this.ymap = doc.getMap("map");
  }

  onLocalUpdate(fn) {
    // Applying a remote update fires "update" too; only local edits are sent.
    this.doc.on("update", (update, _origin, _doc, transaction) => {
      if (transaction.local) fn(update);
    });
  }

  transact(fn) {
    this.doc.transact(fn);
  }

  insertText(index, string) {
    this.ytext.insert(index, string);
  }

  deleteText(index, length) {
    this.ytext.delete(index, length);
  }

  insertList(index, values) {
    this.ylist.insert(index, values);
  }

  setMap(key, value) {
    this.ymap.set(key, value);
  }

  setMapObject(key, object) {
    // One transaction, so the nested map arrives with its entries in one update.
    this.doc.transact(() => {
      const nested = new Y.Map();
      this.ymap.set(key, nested);
      for (const [k, v] of Object.entries(object)) nested.set(k, v);
    });
  }

  applyUpdates(updates) {
    this.doc.transact(() => {
      for (const update of updates) Y.applyUpdate(this.doc, update);
    });
  }

  encode() {
    return Y.encodeStateAsUpdate(this.doc);
  }

  text() {
    return this.ytext.toString();
  }

  list() {
    return this.ylist.toArray();
  }

  map() {
    return this.ymap.toJSON();
  }

  free() {
    this.doc.destroy();
  }
}

export function create(peer) {
  const doc = new Y.Doc();
  doc.clientID = peer;
  return new YjsReplica(doc);
}

export function load(bytes) {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, bytes);
  return new YjsReplica(doc);
}
