// Maps, lists, movable lists and counters, nested; their events; undo and redo.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Doc, Map as WeftMap, Text, UndoManager } from "../dist/node.js";

function synced(a, b) {
  b.import(a.export({ mode: "update", from: b.version() }));
  a.import(b.export({ mode: "update", from: a.version() }));
}

test("maps hold scalars and containers; concurrent children merge", () => {
  const [a, b] = [new Doc({ peerId: 1n }), new Doc({ peerId: 2n })];
  const map = a.getMap("settings");
  map.set("theme", "dark");
  map.set("size", 12);
  map.set("ratio", 1.5);
  map.set("on", true);
  map.set("nothing", null);
  map.set("raw", new Uint8Array([1, 2]));
  assert.deepEqual(map.get("raw"), new Uint8Array([1, 2]));
  assert.equal(map.get("missing"), undefined);
  assert.equal(map.has("nothing"), true);
  map.delete("nothing");
  assert.deepEqual(map.keys(), ["on", "ratio", "raw", "size", "theme"]);
  assert.equal(map.size, 5);

  // Both replicas create the same child list at once: one list, both items.
  a.getMap("root").setContainer("todo", "list").push("from a");
  b.getMap("root").setContainer("todo", "list").push("from b");
  synced(a, b);
  assert.deepEqual(a.getMap("root").get("todo").toArray().sort(), ["from a", "from b"]);
  assert.deepEqual(a.toJSON(), b.toJSON());
  assert.ok(a.getMap("root").setContainer("note", "text") instanceof Text);
  assert.ok(a.getMap("root").setContainer("meta", "map") instanceof WeftMap);
});

test("map events list the keys that changed with their new values", () => {
  const doc = new Doc({ peerId: 1n });
  const seen = [];
  const map = doc.getMap("m");
  const stop = map.observe((event) => seen.push([...event.keys.entries()]));
  map.set("a", 1);
  doc.transact(() => {
    map.set("b", "x");
    map.delete("a");
  });
  stop();
  map.set("c", 3);
  assert.deepEqual(seen, [[["a", 1]], [["a", undefined], ["b", "x"]]]);
});

test("lists insert, delete and nest; events replay the change", () => {
  const [a, b] = [new Doc({ peerId: 1n }), new Doc({ peerId: 2n })];
  const list = a.getList("items");
  let mirror = [];
  b.getList("items").observe((event) => {
    let at = 0;
    for (const op of event.delta) {
      if ("retain" in op) at += op.retain;
      else if ("insert" in op) {
        mirror.splice(at, 0, ...op.insert.map((v) => (typeof v === "object" && v !== null ? "container" : v)));
        at += op.insert.length;
      } else mirror.splice(at, op.delete);
    }
  });
  list.push(1);
  list.push(2);
  list.insert(0, "zero");
  list.insertContainer(1, "text").insert(0, "nested");
  list.delete(2);
  synced(a, b);
  assert.deepEqual(list.toJSON(), ["zero", "nested", 2]);
  assert.deepEqual(b.getList("items").toJSON(), ["zero", "nested", 2]);
  assert.deepEqual(mirror, ["zero", "container", 2]);
  assert.equal(b.getList("items").get(1).toString(), "nested");
  assert.throws(() => list.delete(5), /past the end|out of/);
});

test("movable lists move and replace, and converge under concurrent moves", () => {
  const [a, b] = [new Doc({ peerId: 1n }), new Doc({ peerId: 2n })];
  const list = a.getMovableList("tasks");
  for (const task of ["a", "b", "c", "d"]) list.push(task);
  synced(a, b);
  list.move(0, 3);
  b.getMovableList("tasks").move(0, 1);
  b.getMovableList("tasks").set(2, "C");
  synced(a, b);
  const result = a.getMovableList("tasks").toJSON();
  assert.deepEqual(result, b.getMovableList("tasks").toJSON());
  assert.deepEqual([...result].sort(), ["C", "a", "b", "d"], "a moved element is never duplicated");
});

test("counters add up concurrent increments and refuse fractions", () => {
  const [a, b] = [new Doc({ peerId: 1n }), new Doc({ peerId: 2n })];
  const increments = [];
  b.getCounter("likes").observe((event) => increments.push(event.increment));
  a.getCounter("likes").increment();
  a.getCounter("likes").increment(4);
  b.getCounter("likes").decrement(2);
  synced(a, b);
  assert.equal(a.getCounter("likes").value, 3);
  assert.equal(b.getCounter("likes").value, 3);
  assert.deepEqual(increments, [-2, 5]);
  assert.throws(() => a.getCounter("likes").increment(0.5), /safe integers/);
});

test("undo takes back this replica's steps only, and redo puts them back", () => {
  const [a, b] = [new Doc({ peerId: 1n }), new Doc({ peerId: 2n })];
  const undo = new UndoManager(a, { mergeInterval: 0 });
  const text = a.getText("t");
  text.insert(0, "hello");
  a.getMap("m").set("k", "v");
  synced(a, b);
  b.getText("t").insert(0, "remote ");
  synced(a, b);
  assert.equal(text.toString(), "remote hello");
  assert.equal(undo.canUndo(), true);
  assert.equal(undo.undo(), true);
  assert.deepEqual(a.getMap("m").toJSON(), {});
  assert.equal(undo.undo(), true);
  assert.equal(text.toString(), "remote ");
  assert.equal(undo.undo(), false);
  assert.equal(undo.redo(), true);
  assert.equal(text.toString(), "remote hello");
  synced(a, b);
  assert.equal(b.getText("t").toString(), "remote hello");
});

test("undo scoped to an origin ignores other transactions; steps merge within the interval", () => {
  const doc = new Doc({ peerId: 1n });
  const undo = new UndoManager(doc, { origin: "user", mergeInterval: 60_000 });
  const text = doc.getText("t");
  doc.transact(() => text.insert(0, "a"), "user");
  doc.transact(() => text.insert(1, "b"), "user");
  doc.transact(() => text.insert(2, "!"), "autoformat");
  undo.undo();
  assert.equal(text.toString(), "!", "both user steps were one, the other origin stays");
  undo.destroy();
  text.insert(0, "x");
  assert.equal(undo.canUndo(), false);
});
