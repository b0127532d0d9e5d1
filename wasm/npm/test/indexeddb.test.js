import "fake-indexeddb/auto";
import { test } from "node:test";
import assert from "node:assert/strict";

import * as weft from "../dist/node.js";

let databases = 0;

/** A database name no other test uses. */
function freshName() {
  databases += 1;
  return `weft-test-${databases}`;
}

/** Opens `name` in a new document and waits for what is stored to be loaded. */
async function reopen(name) {
  const doc = new weft.Doc();
  const persistence = new weft.IndexedDbPersistence(name, doc);
  assert.equal(await persistence.whenSynced, persistence);
  return { doc, persistence };
}

/** How many records the database `name` holds. */
function recordCount(name) {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open(name);
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      const count = db.transaction("updates").objectStore("updates").count();
      count.onerror = () => reject(count.error);
      count.onsuccess = () => {
        db.close();
        resolve(count.result);
      };
    };
  });
}

test("edits are stored and load into a fresh document", async () => {
  const name = freshName();
  const { doc, persistence } = await reopen(name);
  doc.getText("body").insert(0, "hello");
  doc.getText("body").insert(5, " world");
  doc.getMap("meta").set("title", "greeting");
  await persistence.destroy();

  const { doc: loaded, persistence: again } = await reopen(name);
  assert.deepEqual(loaded.toJSON(), { body: "hello world", meta: { title: "greeting" } });
  await again.destroy();
});

test("edits made before the database is open are stored too", async () => {
  const name = freshName();
  const doc = new weft.Doc();
  const persistence = new weft.IndexedDbPersistence(name, doc);
  doc.getText("body").insert(0, "early");
  await persistence.whenSynced;
  doc.getText("body").insert(5, " and late");
  await persistence.destroy();

  const { doc: loaded, persistence: again } = await reopen(name);
  assert.equal(loaded.getText("body").toString(), "early and late");
  await again.destroy();
});

test("what the document held before it was persisted is stored too", async () => {
  const name = freshName();
  const doc = new weft.Doc();
  doc.getText("body").insert(0, "synced earlier");
  const persistence = new weft.IndexedDbPersistence(name, doc);
  await persistence.whenSynced;
  doc.getMap("meta").set("saved", true);
  await persistence.destroy();

  const { doc: loaded, persistence: again } = await reopen(name);
  assert.deepEqual(loaded.toJSON(), { body: "synced earlier", meta: { saved: true } });
  await again.destroy();
  // An empty document adds nothing when it opens.
  assert.equal(await recordCount(name), 2);
});

test("updates imported from elsewhere are stored, loaded ones are not stored again", async () => {
  const name = freshName();
  const { doc, persistence } = await reopen(name);
  const peer = new weft.Doc();
  peer.getText("body").insert(0, "from a peer");
  doc.import(peer.export({ mode: "update" }));
  await persistence.destroy();
  assert.equal(await recordCount(name), 1);

  const { doc: loaded, persistence: again } = await reopen(name);
  assert.equal(loaded.getText("body").toString(), "from a peer");
  await again.destroy();
  assert.equal(await recordCount(name), 1);
});

test("a long log is compacted into a snapshot that keeps the content", async () => {
  const name = freshName();
  const { doc, persistence } = await reopen(name);
  const text = doc.getText("body");
  let expected = "";
  for (let i = 0; i < 600; i++) {
    const char = String.fromCharCode(97 + (i % 26));
    text.insert(i, char);
    expected += char;
  }
  await persistence.destroy();
  // One snapshot after the 501st update, then one record per update since.
  assert.ok((await recordCount(name)) <= 100);

  const { doc: loaded, persistence: again } = await reopen(name);
  assert.equal(loaded.getText("body").toString(), expected);
  await again.destroy();
});

test("clearData deletes the stored document", async () => {
  const name = freshName();
  const { doc, persistence } = await reopen(name);
  doc.getText("body").insert(0, "secret");
  await persistence.clearData();
  assert.ok(!(await indexedDB.databases()).some((db) => db.name === name));

  const { doc: loaded, persistence: again } = await reopen(name);
  assert.equal(loaded.getText("body").toString(), "");
  await again.destroy();
});

test("after destroy, edits are no longer stored", async () => {
  const name = freshName();
  const { doc, persistence } = await reopen(name);
  doc.getText("body").insert(0, "kept");
  await persistence.destroy();
  doc.getText("body").insert(4, " dropped");

  const { doc: loaded, persistence: again } = await reopen(name);
  assert.equal(loaded.getText("body").toString(), "kept");
  await again.destroy();
});
