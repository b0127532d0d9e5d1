// provider.lock against the real relay (target/debug/weft-relay, built by the test
// command before these tests): waiting for a lock, fencing a holder whose lease
// lapsed, watching holders, and guards that survive a reconnection.
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
let url;

before(async () => {
  assert.ok(existsSync(relayBinary), `build the relay first: ${relayBinary}`);
  relay = spawn(relayBinary, [
    "serve", "--port", "0",
    "--data-dir", mkdtempSync(join(tmpdir(), "weft-locks-")),
    "--static-dir", tmpdir(),
  ]);
  url = await new Promise((resolve, reject) => {
    relay.on("exit", (code) => reject(new Error(`the relay exited with ${code}`)));
    createInterface({ input: relay.stdout }).on("line", (line) => {
      const address = line.match(/"address":"([^"]+)"/);
      if (address) resolve(`ws://${address[1]}/sync`);
    });
  });
});

after(() => relay?.kill());

const providers = [];
after(() => providers.forEach((provider) => provider.destroy()));

async function client(room) {
  const doc = new weft.Doc();
  const provider = new weft.WebSocketProvider(url, room, doc, { WebSocket, minBackoff: 5, maxBackoff: 20 });
  providers.push(provider);
  await provider.whenSynced();
  return {
    doc,
    provider,
    type(text) {
      const body = doc.getText("body");
      body.insert(body.length, text);
    },
  };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

test("a waiting lock is granted when the holder releases, with a larger token", async () => {
  const a = await client("locks-a");
  const b = await client("locks-b");
  const first = await a.provider.lock("job", { ttl: 5_000 });
  assert.equal(first.held, true);
  await assert.rejects(b.provider.lock("job", { wait: false }), (error) => {
    assert.equal(error.code, "held");
    assert.equal(error.holder.token, first.token);
    return true;
  });
  const waiting = b.provider.lock("job", { ttl: 5_000 });
  await sleep(100);
  await first.release();
  const second = await waiting;
  assert.ok(second.token > first.token);
  assert.equal(first.held, false);
  await second.release();
});

test("a lease is renewed while held and lost once renewals stop", async () => {
  const a = await client("locks-renew");
  const lease = await a.provider.lock("renewed", { ttl: 1_000 });
  await sleep(1_500);
  // Renewed past its ttl: still this holder's.
  await assert.rejects(a.provider.lock("renewed", { wait: false }), { code: "held" });
  lease.stopRenewing();
  await sleep(1_200);
  await assert.rejects(lease.renew(), { code: "lost" });
  assert.equal(lease.held, false);
  assert.equal(lease.signal.aborted, true);
});

test("watchers see the holder now and at every change", async () => {
  const a = await client("locks-watch-a");
  const b = await client("locks-watch-b");
  const seen = [];
  const unwatch = b.provider.watchLock("watched", (holder) => seen.push(holder?.holder ?? null));
  await sleep(100);
  const lease = await a.provider.lock("watched", { holder: "alice" });
  await sleep(100);
  // A second listener on the same connection hears the holder at once too.
  const late = await new Promise((resolve) => {
    const stop = b.provider.watchLock("watched", (holder) => {
      stop();
      resolve(holder?.holder);
    });
  });
  assert.equal(late, "alice");
  await lease.release();
  await sleep(100);
  unwatch();
  assert.deepEqual(seen, [null, "alice", null]);
});

test("a holder whose lease lapsed is fenced off the document it guarded", async () => {
  const paused = await client("ledger");
  const lease = await paused.provider.lock("ledger-lock", { ttl: 1_000 });
  await lease.guard("ledger");
  paused.type("first;");
  await paused.provider.whenAcknowledged();

  // The holder stops renewing (a long pause); someone else takes over.
  lease.stopRenewing();
  await sleep(1_200);
  const next = await client("ledger");
  const taken = await next.provider.lock("ledger-lock", { ttl: 10_000 });
  assert.ok(taken.token > lease.token);
  await taken.guard("ledger");
  next.type("second;");
  await next.provider.whenAcknowledged();

  const fenced = new Promise((resolve) => paused.provider.on("fenced", resolve));
  paused.type("stale;");
  const refusal = await fenced;
  assert.equal(refusal.room, "ledger");
  assert.match(refusal.message, /latest token/);

  const reader = await client("ledger");
  assert.equal(reader.doc.getText("body").toString(), "first;second;");
  await taken.release();
});

test("guards are shown again after a reconnection", async () => {
  const writer = await client("report");
  const lease = await writer.provider.lock("report-lock", { ttl: 10_000 });
  await lease.guard("report");
  writer.type("before;");
  await writer.provider.whenAcknowledged();
  writer.provider.disconnect();
  writer.type("offline;");
  writer.provider.connect();
  await writer.provider.whenAcknowledged();
  const reader = await client("report");
  assert.equal(reader.doc.getText("body").toString(), "before;offline;");
  await lease.release();
});
