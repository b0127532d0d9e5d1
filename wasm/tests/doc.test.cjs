// The Doc and Text bindings: UTF-16 positions, updates, snapshots and errors.
const { test } = require("node:test");
const assert = require("node:assert/strict");

const { Doc } = require(process.env.WEFT_WASM_NODE);

test("text positions count UTF-16 code units, emoji included", () => {
  const doc = new Doc(1n);
  const text = doc.getText("body");
  text.insert(0, "a😀b");
  assert.equal(text.length, 4);
  text.insert(3, "-");
  assert.equal(text.toString(), "a😀-b");
  text.delete(1, 2);
  assert.equal(text.toString(), "a-b");
  assert.throws(() => text.insert(9, "x"), /past the end/);
  text.insert(1, "🙂");
  assert.throws(() => text.insert(2, "x"), /surrogate pair/);
  assert.equal(text.toString(), "a🙂-b");
});

test("two documents converge through updates delivered in any order", () => {
  const [a, b] = [new Doc(1n), new Doc(2n)];
  const updates = [];
  for (const [doc, word] of [[a, "alpha "], [b, "beta "], [a, "gamma "], [b, "delta "]]) {
    const before = doc.version();
    doc.getText("body").insert(0, word);
    updates.push([doc, doc.exportUpdate(before)]);
  }
  // Deliver each replica's updates to the other, newest first: they wait, then apply.
  for (const [from, update] of updates.reverse()) {
    (from === a ? b : a).import(update);
  }
  assert.equal(a.getText("body").toString(), b.getText("body").toString());
  assert.equal(a.getText("body").length, "alpha beta gamma delta ".length);
  assert.equal(a.toJsonString(), b.toJsonString());
});

test("a snapshot loads into a new document with the same contents", () => {
  const doc = new Doc();
  doc.getText("body").insert(0, "snapshot me");
  const copy = new Doc();
  copy.import(doc.exportSnapshot());
  assert.equal(copy.getText("body").toString(), "snapshot me");
  assert.notEqual(doc.peerId, copy.peerId);
});

test("bad bytes are an Error and the document stays usable", () => {
  const doc = new Doc(3n);
  assert.throws(() => doc.import(new Uint8Array([1, 2, 3])), (error) => {
    assert.ok(error instanceof Error);
    assert.match(error.message, /not weft data/);
    return true;
  });
  assert.throws(() => doc.exportUpdate(new Uint8Array([0x77, 0x66, 1])), Error);
  doc.getText("body").insert(0, "still here");
  assert.equal(doc.toJsonString(), '{"body":"still here"}');
});

test("maps keep the later write per key, counters add up", () => {
  const [a, b] = [new Doc(1n), new Doc(2n)];
  a.getMap("meta").set("title", "draft");
  a.getMap("meta").set("pages", 3);
  a.getMap("meta").set("ratio", 0.5);
  a.getCounter("likes").increment(2);
  b.import(a.exportUpdate());
  b.getMap("meta").set("title", "final");
  b.getMap("meta").delete("ratio");
  b.getCounter("likes").increment(-1);
  a.getCounter("likes").increment(5);
  a.import(b.exportUpdate(a.version()));
  b.import(a.exportUpdate(b.version()));
  for (const doc of [a, b]) {
    assert.equal(doc.getMap("meta").get("title"), "final");
    assert.equal(doc.getMap("meta").get("pages"), 3);
    assert.equal(doc.getMap("meta").get("ratio"), undefined);
    assert.equal(doc.getCounter("likes").value, 6);
  }
  assert.throws(() => a.getMap("meta").set("bad", {}), /only strings, numbers/);
});
