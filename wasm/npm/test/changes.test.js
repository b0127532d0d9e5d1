// subscribeChanges against the real relay (target/debug/weft-relay, built by the
// test command before these tests): the backlog, up-to-date, live changes, resuming
// from a sequence number and from a durable cursor, and what each change did.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { WebSocket } from "ws";

import * as weft from "../dist/node.js";

const root = join(fileURLToPath(import.meta.url), "..", "..", "..", "..");
const relayBinary = process.env.WEFT_RELAY ?? join(root, "target", "debug", "weft-relay");

let relay;
let origin;

before(async () => {
  assert.ok(existsSync(relayBinary), `build the relay first: ${relayBinary}`);
  relay = spawn(relayBinary, [
    "serve", "--port", "0",
    "--data-dir", mkdtempSync(join(tmpdir(), "weft-changes-")),
    "--static-dir", tmpdir(),
  ]);
  origin = await new Promise((resolve, reject) => {
    relay.on("exit", (code) => reject(new Error(`the relay exited with ${code}`)));
    createInterface({ input: relay.stdout }).on("line", (line) => {
      const address = line.match(/"address":"([^"]+)"/);
      if (address) resolve(`http://${address[1]}`);
    });
  });
});

after(() => relay?.kill());

/** A document synced with the relay as `room`, with a helper to type into it. */
async function writer(room) {
  const doc = new weft.Doc();
  const provider = new weft.WebSocketProvider(`${origin.replace("http", "ws")}/sync`, room, doc, {
    WebSocket,
  });
  await provider.whenSynced();
  return {
    doc,
    provider,
    async type(text) {
      const body = doc.getText("body");
      body.insert(body.length, text);
      await provider.whenAcknowledged();
    },
  };
}

/** Events from `stream` until one of type `until` (included). */
async function collect(iterator, until) {
  const events = [];
  for (;;) {
    const { value, done } = await iterator.next();
    assert.ok(!done, "the stream ended early");
    events.push(value);
    if (value.type === until) return events;
  }
}

const changes = (events) => events.filter((event) => event.type === "change");

test("a change stream gives the backlog, then live changes, and resumes after the last", { timeout: 20_000 }, async () => {
  const alice = await writer("journal");
  await alice.type("one ");
  await alice.type("two ");

  const stream = weft.subscribeChanges(origin, "journal", { from: 0 });
  const iterator = stream[Symbol.asyncIterator]();
  const backlog = await collect(iterator, "up-to-date");
  assert.equal(changes(backlog).length, 2);
  assert.deepEqual(changes(backlog)[0].data.diffs[0].text, [{ insert: "one " }]);
  assert.equal(changes(backlog)[0].data.diffs[0].container.root, "body");

  await alice.type("three");
  const [live] = await collect(iterator, "change");
  assert.deepEqual(live.data.diffs[0].text, [{ retain: 8 }, { insert: "three" }]);
  assert.ok(live.seq > changes(backlog)[1].seq);
  stream.close();

  // A change's bytes rebuild the document.
  const copy = new weft.Doc();
  for (const event of [...changes(backlog), live]) {
    copy.import(Uint8Array.from(Buffer.from(event.data.update, "base64")));
  }
  assert.equal(copy.getText("body").toString(), "one two three");

  await alice.type("!");
  const resumed = weft.subscribeChanges(origin, "journal", { from: live.seq });
  const after = await collect(resumed[Symbol.asyncIterator](), "up-to-date");
  assert.deepEqual(changes(after).map((event) => event.data.diffs[0].text), [[{ retain: 13 }, { insert: "!" }]]);
  resumed.close();
  alice.provider.destroy();
});

test("a named cursor resumes after what was acknowledged", { timeout: 20_000 }, async () => {
  const bob = await writer("ledger");
  await bob.type("a");
  await bob.type("b");
  const first = weft.subscribeChanges(origin, "ledger", { cursor: "mailer" });
  const seen = changes(await collect(first[Symbol.asyncIterator](), "up-to-date"));
  assert.equal(seen.length, 2);
  await first.ack(seen[0].seq);
  first.close();

  await bob.type("c");
  const second = weft.subscribeChanges(origin, "ledger", { cursor: "mailer" });
  const again = changes(await collect(second[Symbol.asyncIterator](), "up-to-date"));
  assert.deepEqual(again.map((event) => event.seq).slice(0, 1), [seen[1].seq]);
  assert.equal(again.length, 2);
  second.close();
  await assert.rejects(weft.subscribeChanges(origin, "ledger").ack(1), /cursor/);
  bob.provider.destroy();
});

test("a stream with a cursor reopens at the cursor after a drop, as any relay of a mesh could", { timeout: 20_000 }, async () => {
  const carol = await writer("invoices");
  await carol.type("x");
  await carol.type("y");
  const opened = [];
  let drops = 1;
  // Ends the first stream's body once its backlog was read: a dropped connection.
  const dropping = async (url, init) => {
    const response = await fetch(url, init);
    if (new URL(url).pathname !== "/changes") return response;
    opened.push(new URL(url));
    if (drops === 0) return response;
    drops -= 1;
    const reader = response.body.getReader();
    const body = new ReadableStream({
      async pull(controller) {
        const { value, done } = await reader.read();
        if (done) return controller.close();
        controller.enqueue(value);
        if (new TextDecoder().decode(value).includes("up-to-date")) {
          await reader.cancel();
          controller.close();
        }
      },
    });
    return new Response(body, { status: response.status, headers: response.headers });
  };
  const stream = weft.subscribeChanges(origin, "invoices", { cursor: "billing", fetch: dropping });
  try {
    const iterator = stream[Symbol.asyncIterator]();
    const seen = changes(await collect(iterator, "up-to-date"));
    assert.equal(seen.length, 2);
    await stream.ack(seen[0].seq);

    const again = changes(await collect(iterator, "up-to-date"));
    assert.deepEqual(again.map((event) => event.seq), [seen[1].seq]);
    assert.equal(opened.length, 2);
    assert.equal(opened[1].searchParams.get("cursor"), "billing");
    assert.equal(opened[1].searchParams.get("from"), null);
  } finally {
    stream.close();
    carol.provider.destroy();
  }
});
