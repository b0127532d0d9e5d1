// SyncSession in JavaScript: two sessions over an in-memory link, and listeners that
// call back into the session while a message is being handled.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Doc, SyncSession } from "../dist/node.js";

function link(a, b) {
  let moved = true;
  while (moved) {
    moved = false;
    for (const [from, to] of [[a, b], [b, a]]) {
      for (const message of from.session.takeOutgoing()) {
        moved = true;
        to.events.push(...to.session.receive(Date.now(), message, to.session));
      }
    }
  }
}

function side(peerId) {
  const doc = new Doc({ peerId });
  const session = new SyncSession(peerId);
  session.subscribe(Date.now(), "notes", doc);
  return { doc, session, events: [] };
}

test("two sessions sync a document and its presence", () => {
  const [a, b] = [side(1n), side(2n)];
  a.doc.getText("t").insert(0, "hello");
  a.session.localChanged(Date.now(), "notes");
  link(a, b);
  assert.equal(b.doc.getText("t").toString(), "hello");
  assert.ok(a.session.isSynced("notes") && b.session.isSynced("notes"));
  b.session.setAwareness(Date.now(), "notes", new Uint8Array([7]));
  link(a, b);
  const presence = a.events.find((event) => event.type === "awareness");
  assert.deepEqual([presence.peer, [...presence.state]], [2n, [7]]);
});

test("a listener may call the session while it handles a message", () => {
  const [a, b] = [side(1n), side(2n)];
  link(a, b);
  // As an editor does: a remote change moves the cursor, which is published at once.
  b.doc.getText("t").observe(() => b.session.setAwareness(Date.now(), "notes", new Uint8Array([1])));
  a.doc.getText("t").insert(0, "x");
  a.session.localChanged(Date.now(), "notes");
  link(a, b);
  assert.equal(b.doc.getText("t").toString(), "x");
  assert.ok(a.events.some((event) => event.type === "awareness" && event.peer === 2n));
});
