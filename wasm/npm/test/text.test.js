// Text: UTF-16 positions (emoji included), events in UTF-16, cursors.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Cursor, Doc } from "../dist/node.js";

/** A fixed-seed generator, so a failure can be replayed. */
function random(seed) {
  return () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
}

test("positions and lengths count UTF-16 code units, as JavaScript strings do", () => {
  const text = new Doc({ peerId: 1n }).getText("body");
  text.insert(0, "a😀b");
  assert.equal(text.length, 4);
  text.insert(3, "-");
  assert.equal(text.toString(), "a😀-b");
  text.delete(1, 2);
  assert.equal(text.toString(), "a-b");
  text.insert(1, "🙂");
  assert.throws(() => text.insert(2, "x"), /surrogate pair/);
  assert.throws(() => text.insert(9, "x"), /past the end/);
  assert.equal(text.toString(), "a🙂-b", "a refused edit changes nothing");
});

test("random edits with emoji match a plain JavaScript string", () => {
  const next = random(7);
  const text = new Doc({ peerId: 1n }).getText("body");
  const pieces = ["a", "é", "字", "😀", "👩‍👩‍👧", "xyz", "🙂🙂"];
  let expected = "";
  // Positions are only ever at code point boundaries, as an editor's are.
  const boundary = (at) => (at > 0 && at < expected.length && /[\uDC00-\uDFFF]/.test(expected[at]) ? at - 1 : at);
  for (let step = 0; step < 500; step++) {
    if (expected.length > 0 && next() < 0.35) {
      const start = boundary(Math.floor(next() * expected.length));
      const end = boundary(Math.min(expected.length, start + 1 + Math.floor(next() * 4)));
      text.delete(start, end - start);
      expected = expected.slice(0, start) + expected.slice(end);
    } else {
      const at = boundary(Math.floor(next() * (expected.length + 1)));
      const piece = pieces[Math.floor(next() * pieces.length)];
      text.insert(at, piece);
      expected = expected.slice(0, at) + piece + expected.slice(at);
    }
    assert.equal(text.length, expected.length);
  }
  assert.equal(text.toString(), expected);
});

test("observers get Quill-style deltas in UTF-16 that replay the change", () => {
  const [a, b] = [new Doc({ peerId: 1n }), new Doc({ peerId: 2n })];
  const replay = { a: "", b: "" };
  const apply = (content, delta) => {
    let at = 0;
    for (const op of delta) {
      if ("retain" in op) at += op.retain;
      else if ("insert" in op) {
        content = content.slice(0, at) + op.insert + content.slice(at);
        at += op.insert.length;
      } else content = content.slice(0, at) + content.slice(at + op.delete);
    }
    return content;
  };
  a.getText("t").observe((event) => (replay.a = apply(replay.a, event.delta)));
  b.getText("t").observe((event) => {
    assert.equal(event.local, false);
    assert.equal(event.origin, "network");
    replay.b = apply(replay.b, event.delta);
  });
  a.on("update", (update, origin, local) => {
    if (local) b.import(update, "network");
  });
  const text = a.getText("t");
  text.insert(0, "hello 😀 world");
  text.delete(6, 3);
  text.insert(6, "🎉🎉");
  a.transact(() => {
    text.delete(0, 1);
    text.insert(0, "H");
  });
  assert.equal(replay.a, text.toString());
  assert.equal(replay.b, text.toString());
  assert.equal(b.getText("t").toString(), "Hello 🎉🎉world");
});

test("a cursor follows local and remote edits and survives a round trip as bytes", () => {
  const [a, b] = [new Doc({ peerId: 1n }), new Doc({ peerId: 2n })];
  a.getText("t").insert(0, "😀 hello");
  b.import(a.export({ mode: "update" }));
  const cursor = a.getText("t").getCursor(3); // before "hello"
  b.getText("t").insert(0, "🙂 ");
  a.getText("t").insert(3, "big ");
  a.import(b.export({ mode: "update", from: a.version() }));
  const content = a.getText("t").toString();
  assert.equal(content, "🙂 😀 big hello");
  assert.equal(content.slice(a.getCursorPosition(cursor)), "hello", "it keeps to the character after it");

  const decoded = Cursor.decode(cursor.encode());
  b.import(a.export({ mode: "update", from: b.version() }));
  assert.equal(b.getCursorPosition(decoded), a.getCursorPosition(cursor));
  assert.throws(() => Cursor.decode(new Uint8Array([1, 2, 3])), /not weft data/);
});
