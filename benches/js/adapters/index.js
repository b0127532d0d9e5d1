// The libraries under test, each behind one small adapter so that the benchmark rows
// are written once.
//
// An adapter module exports `name`, `version`, `create(peer)` and `load(bytes)`. Both
// functions return a replica with:
//
//   onLocalUpdate(fn)          fn(bytes) after each local transaction: what a peer is sent
//   transact(fn)               the edits made in fn become one transaction (one update)
//   insertText(index, string)  on the text "text"; outside transact, one transaction per call
//   deleteText(index, length)
//   insertList(index, values)  numbers or strings into the list "list"
//   setMap(key, value)         a number or string into the map "map"
//   setMapObject(key, object)  a nested map holding object's entries, at "map"[key]
//   applyUpdates(updates)      merges updates from other replicas, in one go where the library can
//   encode()                   the whole document with its history, as stored or sent to a new peer
//   text(), list(), map()      contents, as a string, an array and a plain object
//   free()                     releases the replica's memory now
//
// `create(peer)` takes a small positive integer that is unique among live replicas, so
// that concurrent conflicts resolve the same way in every run.

import { readFileSync } from "node:fs";

/** Every library, in the order of the table's columns. */
export const LIBRARIES = ["weft", "yjs", "loro", "automerge"];

/** Imports an adapter by its column name; only the libraries that run are loaded. */
export async function loadAdapter(name) {
  if (!LIBRARIES.includes(name)) {
    throw new Error(`unknown library ${JSON.stringify(name)}; known: ${LIBRARIES.join(", ")}`);
  }
  return import(`./${name}.js`);
}

/** The installed version of an npm package, read from its package.json. */
export function packageVersion(packageName) {
  const path = new URL(`../node_modules/${packageName}/package.json`, import.meta.url);
  return JSON.parse(readFileSync(path, "utf8")).version;
}
