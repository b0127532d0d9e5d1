// Documents: transactions, update events, export and import in any order, errors,
// and recovery from a panic.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Doc, isInitialized, weftVersion } from "../dist/node.js";
import { __panicForTests } from "../dist/weft.js";

function shuffled(items, seed) {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    seed = (seed * 16807) % 2147483647;
    const j = seed % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

test("the node entry loads the module on import", () => {
  assert.equal(isInitialized(), true);
  assert.match(weftVersion(), /^\d+\.\d+\.\d+/);
});

test("peer ids are given or random, and must be positive integers", () => {
  assert.equal(new Doc({ peerId: 42n }).peerId, 42n);
  assert.equal(new Doc({ peerId: 7 }).peerId, 7n);
  const random = new Doc().peerId;
  assert.ok(random > 0n && random < 2n ** 53n);
  assert.throws(() => new Doc({ peerId: -1 }), /peerId/);
  assert.throws(() => new Doc({ peerId: 1.5 }), /peerId/);
});

test("a transaction makes one update and one event per container, with its origin", () => {
  const doc = new Doc({ peerId: 1n });
  const updates = [];
  const changes = [];
  const off = doc.on("update", (update, origin, local) => updates.push({ update, origin, local }));
  doc.on("change", (events, origin) => changes.push({ kinds: events.map((e) => e.kind).sort(), origin }));
  const result = doc.transact(() => {
    doc.getText("t").insert(0, "ab");
    doc.getText("t").insert(2, "c");
    doc.getMap("m").set("k", 1);
    doc.transact(() => doc.getCounter("c").increment(5)); // joins the outer one
    assert.equal(doc.getText("t").toString(), "abc", "reads inside see the edits");
    return "done";
  }, "toolbar");
  assert.equal(result, "done");
  assert.equal(updates.length, 1);
  assert.deepEqual([updates[0].origin, updates[0].local], ["toolbar", true]);
  assert.deepEqual(changes, [{ kinds: ["counter", "map", "text"], origin: "toolbar" }]);

  off();
  doc.getText("t").insert(0, "x");
  assert.equal(updates.length, 1, "unsubscribed");
});

test("an exception inside transact keeps the edits made before it and goes on", () => {
  const doc = new Doc({ peerId: 1n });
  let updates = 0;
  doc.on("update", () => updates++);
  assert.throws(
    () =>
      doc.transact(() => {
        doc.getText("t").insert(0, "kept");
        throw new Error("app bug");
      }),
    /app bug/,
  );
  assert.equal(doc.getText("t").toString(), "kept");
  assert.equal(updates, 1);
  doc.getText("t").insert(4, "!");
  assert.equal(updates, 2, "the document is not stuck in the transaction");
});

test("documents converge through updates delivered in random order, repeated", () => {
  const docs = [1n, 2n, 3n].map((peerId) => new Doc({ peerId }));
  const sent = [];
  for (const doc of docs) doc.on("update", (update, _origin, local) => local && sent.push(update));
  for (let round = 0; round < 30; round++) {
    const doc = docs[round % 3];
    const text = doc.getText("body");
    text.insert(round % 2 ? 0 : text.length, `${round}😀 `);
    if (round % 4 === 3) text.delete(0, String(round).length);
    doc.getList("items").push(round);
    doc.getCounter("n").increment();
  }
  const replicas = [1n, 2n, 3n].map((peerId, i) => {
    const doc = new Doc({ peerId: peerId + 10n });
    for (const update of shuffled([...sent, ...sent.slice(0, 5)], 17 + i)) doc.import(update);
    assert.equal(doc.pendingCount, 0);
    return doc;
  });
  // The editing replicas also catch up with one another.
  for (const doc of docs) for (const update of sent) doc.import(update);
  const expected = JSON.stringify(docs[0].toJSON());
  for (const doc of [...docs, ...replicas]) assert.equal(JSON.stringify(doc.toJSON()), expected);
  assert.equal(docs[0].getCounter("n").value, 30);
  assert.equal(docs[0].getList("items").length, 30);
});

test("export and import round-trip updates, snapshots and shallow snapshots", () => {
  const a = new Doc({ peerId: 1n });
  a.getText("t").insert(0, "hello 🌍");
  a.getMap("m").setContainer("inner", "list").push("x");
  const version = a.version();
  a.getText("t").insert(0, "> ");

  const b = new Doc({ peerId: 2n });
  b.import(a.export({ mode: "update", from: undefined }));
  assert.deepEqual(b.toJSON(), a.toJSON());

  const since = a.export({ mode: "update", from: version });
  const all = a.export({ mode: "update" });
  assert.ok(since.length < all.length, "an update from a version holds only what is newer");

  for (const mode of ["snapshot", "shallow-snapshot"]) {
    const c = new Doc({ peerId: 3n });
    c.import(a.export({ mode }));
    assert.deepEqual(c.toJSON(), a.toJSON(), mode);
    c.getText("t").insert(0, "*");
    a.import(c.export({ mode: "update", from: a.version() }));
    assert.equal(a.getText("t").toString(), c.getText("t").toString());
  }
  const forked = a.fork({ peerId: 9n });
  assert.deepEqual(forked.toJSON(), a.toJSON());
  assert.equal(forked.peerId, 9n);
});

test("bad input gives a clear Error and loses nothing", () => {
  const doc = new Doc({ peerId: 1n });
  doc.getText("t").insert(0, "safe");
  const good = doc.export({ mode: "update" });
  assert.throws(() => doc.import(new Uint8Array([1, 2, 3, 4, 5])), /not weft data/);
  assert.throws(() => doc.import(good.slice(0, good.length - 3)), Error);
  assert.throws(() => doc.export({ mode: "everything" }), /mode is/);
  assert.throws(() => doc.export({ mode: "update", from: new Uint8Array([9]) }), Error);
  assert.throws(() => doc.getMap("m").set("k", { nested: true }), /setContainer/);
  assert.throws(() => doc.getMap("m").setContainer("k", "tree"), /container kind/);
  assert.throws(() => doc.transact(() => doc.import(good)), /inside/);
  assert.equal(doc.getText("t").toString(), "safe");
  for (let seed = 1; seed < 200; seed++) {
    const mangled = good.slice();
    mangled[seed % mangled.length] ^= seed;
    try {
      new Doc({ peerId: 2n }).import(mangled);
    } catch (error) {
      assert.ok(error instanceof Error);
    }
  }
});

test("a panic inside the module leaves it working for new documents", (t) => {
  const errors = [];
  t.mock.method(console, "error", (message) => errors.push(message));
  assert.throws(() => __panicForTests(), WebAssembly.RuntimeError);
  assert.match(errors.join("\n"), /weft panicked/);
  const doc = new Doc({ peerId: 5n });
  doc.getText("t").insert(0, "still working");
  assert.equal(doc.getText("t").toString(), "still working");
});

test("an edit made by a listener is its own local change, dispatched after the one it answers", () => {
  const [a, b] = [new Doc({ peerId: 1n }), new Doc({ peerId: 2n })];
  const seen = [];
  b.on("update", (update, origin, local) => {
    seen.push({ origin, local });
    // Answer every remote change with a local one, as an app reacting to peers does.
    if (!local) b.getMap("m").set("acknowledged", true);
  });
  b.getText("t").observe((event) => seen.push({ text: event.origin }));
  a.getText("t").insert(0, "hi");
  b.import(a.export({ mode: "update" }), "network");
  assert.deepEqual(seen, [{ text: "network" }, { origin: "network", local: false }, { origin: undefined, local: true }]);
  assert.equal(b.getMap("m").get("acknowledged"), true);
});

test("versionVector shows how many changes of each replica a document holds", () => {
  const [a, b] = [new Doc({ peerId: 1n }), new Doc({ peerId: 2n })];
  a.getText("t").insert(0, "ab");
  a.getText("t").insert(2, "c");
  b.getText("t").insert(0, "x");
  b.import(a.export({ mode: "update" }));
  // A transaction counts one per operation: "ab" and "c" are two.
  assert.deepEqual([...b.versionVector()].sort(), [[1n, 2], [2n, 1]]);
});
