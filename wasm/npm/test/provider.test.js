import { test } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import { WebSocket, WebSocketServer } from "ws";

import * as weft from "../dist/node.js";

const decoder = new TextDecoder();

/**
 * The room a subscribe message names (docs/wire-format.md: the "wf" envelope of kind
 * 13, type 1, then the document as a LEB128 length and UTF-8), else undefined. The
 * relay needs it to have the room's document ready before its session reads the message.
 */
function subscribedRoom(bytes) {
  const [w, f, , kind, type] = bytes;
  if (w !== 0x77 || f !== 0x66 || kind !== 13 || type !== 1) {
    return undefined;
  }
  let length = 0;
  let offset = 5;
  for (let shift = 0; offset < bytes.length; shift += 7) {
    const byte = bytes[offset++];
    length += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) {
      break;
    }
  }
  return decoder.decode(bytes.subarray(offset, offset + length));
}

/**
 * A relay for the tests: per connection a SyncSession, per room a document created on
 * first subscribe; a change one connection brings is passed on to the others in the
 * room, and presence messages are fanned out as they are (the latest per client is
 * replayed to whoever joins later).
 */
class Relay {
  rooms = new Map();
  tokens = [];
  durabilities = [];
  connections = 0;

  static async start() {
    const relay = new Relay();
    relay.server = new WebSocketServer({ port: 0 });
    await once(relay.server, "listening");
    relay.url = `ws://127.0.0.1:${relay.server.address().port}/sync`;
    relay.server.on("connection", (socket, request) => relay.#accept(socket, request));
    return relay;
  }

  #accept(socket, request) {
    this.connections += 1;
    const query = new URL(request.url, "ws://relay").searchParams;
    this.tokens.push(query.get("token"));
    this.durabilities.push(query.get("durability"));
    const connection = { socket, session: new weft.SyncSession(1n), rooms: new Set(), peer: null };
    socket.on("message", (data) => {
      const bytes = new Uint8Array(data);
      const name = subscribedRoom(bytes);
      if (name !== undefined && !connection.rooms.has(name)) {
        this.#join(connection, name);
      }
      for (const event of connection.session.receive(Date.now(), bytes, connection)) {
        if (event.type === "connected") {
          connection.peer = event.peer;
        } else if (event.type === "awareness") {
          this.#fanOutPresence(connection, event, bytes);
        }
      }
      flush(connection);
    });
    socket.on("close", () => {
      for (const name of connection.rooms) {
        const room = this.rooms.get(name);
        room.members.delete(connection);
        room.presence.delete(connection.peer);
      }
      connection.session.free();
    });
    flush(connection);
  }

  #join(connection, name) {
    let room = this.rooms.get(name);
    if (!room) {
      const doc = new weft.Doc();
      room = { doc, members: new Set(), presence: new Map() };
      doc.on("update", (_update, origin) => {
        for (const member of room.members) {
          if (member !== origin) {
            member.session.localChanged(Date.now(), name);
            flush(member);
          }
        }
      });
      this.rooms.set(name, room);
    }
    connection.rooms.add(name);
    room.members.add(connection);
    connection.session.subscribe(Date.now(), name, room.doc);
    for (const message of room.presence.values()) {
      connection.socket.send(message);
    }
  }

  #fanOutPresence(connection, event, bytes) {
    const room = this.rooms.get(event.doc);
    room.presence.set(event.peer, bytes);
    for (const member of room.members) {
      if (member !== connection) {
        member.socket.send(bytes);
      }
    }
  }

  /** Sends `data` as it is to every client. */
  sendRaw(data) {
    for (const socket of this.server.clients) {
      socket.send(data);
    }
  }

  /** Cuts every connection without a closing handshake, as a crash would. */
  dropAll() {
    for (const socket of this.server.clients) {
      socket.terminate();
    }
  }

  async close() {
    this.dropAll();
    this.server.close();
    await once(this.server, "close");
  }
}

function flush(connection) {
  for (const message of connection.session.takeOutgoing()) {
    connection.socket.send(message);
  }
}

/** Resolves once `check()` holds, checking again on every call of the subscribed listener. */
function until(subscribe, check) {
  return new Promise((resolve) => {
    if (check()) {
      resolve();
      return;
    }
    const unsubscribe = subscribe(() => {
      if (check()) {
        unsubscribe();
        resolve();
      }
    });
  });
}

function untilText(doc, expected, name = "body") {
  return until(
    (listener) => doc.on("update", listener),
    () => doc.getText(name).toString() === expected,
  );
}

function untilStatus(provider, status) {
  return until(
    (listener) => provider.on("status", listener),
    () => provider.status === status,
  );
}

/** Sets up a relay and opens providers against it; everything is closed after the test. */
async function setUp(t) {
  const relay = await Relay.start();
  const providers = [];
  t.after(async () => {
    for (const provider of providers) {
      provider.destroy();
    }
    await relay.close();
  });
  const open = (room, doc, options = {}) => {
    const provider = new weft.WebSocketProvider(relay.url, room, doc, { WebSocket, minBackoff: 5, maxBackoff: 20, ...options });
    providers.push(provider);
    return provider;
  };
  return { relay, open };
}

test("two providers sync a text both ways", { timeout: 10_000 }, async (t) => {
  const { open } = await setUp(t);
  const docA = new weft.Doc();
  const docB = new weft.Doc();
  docA.getText("body").insert(0, "offline ");

  const providerA = open("notes", docA);
  const providerB = open("notes", docB);
  await Promise.all([providerA.whenSynced(), providerB.whenSynced()]);
  await untilText(docB, "offline ");

  docA.getText("body").insert(8, "hello");
  await untilText(docB, "offline hello");
  docB.getText("body").insert(13, " world");
  await untilText(docA, "offline hello world");
});

test("the durability asked for reaches the relay, and acknowledgements say what it holds", { timeout: 10_000 }, async (t) => {
  const { relay, open } = await setUp(t);
  const doc = new weft.Doc();
  const provider = open("ledger", doc, { durability: 2 });
  assert.equal(provider.durability, 2);
  await provider.whenSynced();
  const events = [];
  provider.on("acknowledged", (event) => events.push(event));

  doc.getText("body").insert(0, "paid");
  await provider.whenAcknowledged();
  assert.deepEqual(relay.durabilities, ["2"]);
  const held = provider.acknowledged("ledger");
  for (const [replica, counter] of doc.versionVector()) {
    assert.ok(held.get(replica) >= counter);
  }
  assert.ok(events.some((event) => event.room === "ledger" && event.durability === 2));
  await provider.whenAcknowledged();

  assert.throws(() => open("other", new weft.Doc(), { durability: 0 }), RangeError);
  await assert.rejects(provider.whenAcknowledged("unknown"));
});

test("status and synced events follow the connection", { timeout: 10_000 }, async (t) => {
  const { open } = await setUp(t);
  const provider = open("notes", new weft.Doc(), { connect: false });
  const statuses = [];
  const synced = [];
  provider.on("status", ({ status }) => statuses.push(status));
  provider.on("synced", (value) => synced.push(value));
  assert.equal(provider.status, "disconnected");
  assert.equal(provider.synced, false);

  provider.connect();
  await provider.whenSynced();
  assert.equal(provider.synced, true);
  assert.equal(provider.status, "connected");

  provider.disconnect();
  assert.equal(provider.status, "disconnected");
  assert.equal(provider.synced, false);
  assert.deepEqual(statuses, ["connecting", "connected", "disconnected"]);
  assert.deepEqual(synced, [true, false]);
});

test("providers reconnect after the relay drops them, and catch up", { timeout: 10_000 }, async (t) => {
  const { relay, open } = await setUp(t);
  const docA = new weft.Doc();
  const docB = new weft.Doc();
  const providerA = open("notes", docA);
  const providerB = open("notes", docB);
  await Promise.all([providerA.whenSynced(), providerB.whenSynced()]);
  const statuses = [];
  providerA.on("status", ({ status }) => statuses.push(status));

  relay.dropAll();
  await untilStatus(providerA, "disconnected");
  // Edited while offline: goes out once the connection is back.
  docA.getText("body").insert(0, "while away");

  await untilText(docB, "while away");
  assert.equal(providerA.status, "connected");
  assert.deepEqual(statuses, ["disconnected", "connecting", "connected"]);
  assert.equal(relay.connections, 4);
});

test("the token reaches the relay, asked again on every connect", { timeout: 10_000 }, async (t) => {
  const { relay, open } = await setUp(t);
  let calls = 0;
  const provider = open("notes", new weft.Doc(), {
    token: async () => `key ${++calls}/&=`,
  });
  await provider.whenSynced();
  relay.dropAll();
  await untilStatus(provider, "disconnected");
  await provider.whenSynced();

  const fixed = open("notes", new weft.Doc(), { token: "plain" });
  await fixed.whenSynced();
  assert.deepEqual(relay.tokens, ["key 1/&=", "key 2/&=", "plain"]);
});

test("a token that fails is reported and asked again", { timeout: 10_000 }, async (t) => {
  const { relay, open } = await setUp(t);
  let calls = 0;
  const provider = open("notes", new weft.Doc(), {
    connect: false,
    token: async () => {
      calls += 1;
      if (calls === 1) {
        throw new Error("token service down");
      }
      return "second try";
    },
  });
  const errors = [];
  provider.on("error", (error) => errors.push(error.message));
  provider.connect();
  await provider.whenSynced();
  assert.deepEqual(errors, ["token service down"]);
  assert.deepEqual(relay.tokens, ["second try"]);
});

test("many rooms share one socket", { timeout: 10_000 }, async (t) => {
  const { relay, open } = await setUp(t);
  const [notesA, todoA, notesB, todoB] = [1, 2, 3, 4].map(() => new weft.Doc());
  const providerA = open("notes", notesA);
  const providerB = open("notes", notesB);
  providerB.addDoc("todo", todoB);
  await providerA.whenSynced();

  const synced = [];
  providerA.on("synced", (value) => synced.push(value));
  providerA.addDoc("todo", todoA);
  assert.equal(providerA.synced, false);
  await Promise.all([providerA.whenSynced(), providerB.whenSynced()]);
  assert.deepEqual(synced, [false, true]);

  notesA.getText("body").insert(0, "note");
  todoA.getText("body").insert(0, "todo");
  await Promise.all([untilText(notesB, "note"), untilText(todoB, "todo")]);
  todoB.getText("body").insert(4, "!");
  await untilText(todoA, "todo!");
  assert.equal(relay.connections, 2);

  providerA.removeDoc("todo");
  todoA.getText("body").insert(0, "local ");
  notesA.getText("body").insert(4, "s");
  // The socket keeps order: once the later notes edit is in, a todo edit would be too.
  await untilText(notesB, "notes");
  assert.equal(todoB.getText("body").toString(), "todo!");
});

test("awareness reaches the other client and goes when it disconnects", { timeout: 10_000 }, async (t) => {
  const { open } = await setUp(t);
  const docA = new weft.Doc();
  const docB = new weft.Doc();
  const providerA = open("notes", docA);
  providerA.awareness.setLocalState({ name: "ann" });
  await providerA.whenSynced();

  const providerB = open("notes", docB);
  const changes = [];
  providerB.awareness.on("change", (change, origin) => changes.push({ ...change, origin }));
  const states = () => providerB.awareness.getStates();
  await until((listener) => providerB.awareness.on("change", listener), () => states().has(docA.peerId));
  assert.deepEqual(states().get(docA.peerId), { name: "ann" });

  providerA.awareness.setLocalStateField("cursor", 4);
  await until(
    (listener) => providerB.awareness.on("change", listener),
    () => states().get(docA.peerId)?.cursor === 4,
  );

  providerA.disconnect();
  await until((listener) => providerB.awareness.on("change", listener), () => !states().has(docA.peerId));
  assert.deepEqual(changes, [
    { added: [docA.peerId], updated: [], removed: [], origin: "remote" },
    { added: [], updated: [docA.peerId], removed: [], origin: "remote" },
    { added: [], updated: [], removed: [docA.peerId], origin: "remote" },
  ]);
});

test("a dropped connection forgets the other clients' presence", { timeout: 10_000 }, async (t) => {
  const { relay, open } = await setUp(t);
  const docA = new weft.Doc();
  const docB = new weft.Doc();
  const providerA = open("notes", docA);
  const providerB = open("notes", docB);
  providerA.awareness.setLocalState({ name: "ann" });
  providerB.awareness.setLocalState({ name: "bob" });
  await until((listener) => providerA.awareness.on("change", listener), () => providerA.awareness.getStates().size === 2);

  const removed = until(
    (listener) => providerA.awareness.on("change", listener),
    () => providerA.awareness.getStates().size === 1,
  );
  relay.dropAll();
  await removed;
  assert.deepEqual(providerA.awareness.getStates(), new Map([[docA.peerId, { name: "ann" }]]));
});

test("an unreadable message is reported and the provider goes on", { timeout: 10_000 }, async (t) => {
  const { relay, open } = await setUp(t);
  const docA = new weft.Doc();
  const docB = new weft.Doc();
  const providerA = open("notes", docA);
  const providerB = open("notes", docB);
  await Promise.all([providerA.whenSynced(), providerB.whenSynced()]);
  const errors = [];
  providerB.on("error", (error) => errors.push(error));

  relay.sendRaw(new Uint8Array([0x77, 0x66, 1, 13, 2, 0xff]));
  relay.sendRaw("not binary");
  docA.getText("body").insert(0, "still here");
  await untilText(docB, "still here");
  assert.equal(errors.length, 2);
  assert.ok(errors.every((error) => error instanceof Error));
  assert.equal(providerB.status, "connected");
});

test("destroy closes the connection for good", { timeout: 10_000 }, async (t) => {
  const { relay, open } = await setUp(t);
  const provider = open("notes", new weft.Doc());
  await provider.whenSynced();
  const [socket] = relay.server.clients;
  provider.destroy();
  assert.equal(provider.status, "disconnected");
  await once(socket, "close");
  assert.equal(relay.connections, 1);
});
