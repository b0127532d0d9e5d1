// Automerge: one Automerge.change per edit (or per `transact`); the update a peer is
// sent is that change's bytes (getLastLocalChange), merged with applyChanges.

import * as Automerge from "@automerge/automerge";
import { packageVersion } from "./index.js";

export const name = "automerge";
export const version = packageVersion("@automerge/automerge");

// Automerge's root containers are ordinary keys of the root map: replicas that each
// created "text" themselves would hold different objects under one key, and only one
// would win. So every replica starts from the same first change, as replicas of one
// document do.
const GENESIS = Automerge.save(Automerge.from({ text: "", list: [], map: {} }, { actor: actorOf(0) }));

function actorOf(peer) {
  return peer.toString(16).padStart(32, "0");
}

// A string stored in Automerge is collaborative text unless wrapped: the other
// libraries store list elements and map values as plain values, and so does this one.
// (As text, B3.3's 1540 concurrent long strings exhaust Automerge's 4 GiB of memory.)
function scalar(value) {
  return typeof value === "string" ? new Automerge.ImmutableString(value) : value;
}

// Plain JSON, so ImmutableStrings read back as the strings they hold.
function plain(value) {
  return JSON.parse(JSON.stringify(value));
}

class AutomergeReplica {
  constructor(doc) {
    this.doc = doc;
    this.draft = null;
    this.listeners = [];
  }

  onLocalUpdate(fn) {
    this.listeners.push(fn);
  }

  transact(fn) {
    if (this.draft) {
      fn();
      return;
    }
    this.doc = Automerge.change(this.doc, (draft) => {
      this.draft = draft;
      try {
        fn();
      } finally {
        this.draft = null;
      }
    });
    if (this.listeners.length > 0) {
      const change = Automerge.getLastLocalChange(this.doc);
      for (const fn of this.listeners) fn(change);
    }
  }

  insertText(index, string) {
    this.transact(() => Automerge.splice(this.draft, ["text"], index, 0, string));
  }

  deleteText(index, length) {
    this.transact(() => Automerge.splice(this.draft, ["text"], index, length));
  }

  insertList(index, values) {
    this.transact(() => this.draft.list.insertAt(index, ...values.map(scalar)));
  }

  setMap(key, value) {
    this.transact(() => {
      this.draft.map[key] = scalar(value);
    });
  }

  setMapObject(key, object) {
    this.transact(() => {
      this.draft.map[key] = Object.fromEntries(Object.entries(object).map(([k, v]) => [k, scalar(v)]));
    });
  }

  applyUpdates(updates) {
    [this.doc] = Automerge.applyChanges(this.doc, updates);
  }

  encode() {
    return Automerge.save(this.doc);
  }

  text() {
    return this.doc.text;
  }

  list() {
    return plain(this.doc.list);
  }

  map() {
    return plain(this.doc.map);
  }

  free() {
    Automerge.free(this.doc);
  }
}

export function create(peer) {
  return new AutomergeReplica(Automerge.load(GENESIS, { actor: actorOf(peer) }));
}

export function load(bytes) {
  return new AutomergeReplica(Automerge.load(bytes));
}
