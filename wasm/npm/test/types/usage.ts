// Compiled by types.test.js with the strictest settings: the declarations must accept
// what apps write and refuse what they must not.
import {
  Awareness,
  Doc,
  IndexedDbPersistence,
  LockError,
  Text,
  UndoManager,
  WebSocketProvider,
  subscribeChanges,
  type ListDelta,
  type TextDelta,
  type Value,
} from "weft";

const doc = new Doc({ peerId: 1n });
const text: Text = doc.getText("body");
text.insert(0, "hi");
const unobserve: () => void = text.observe((event) => {
  const delta: TextDelta = event.delta;
  const local: boolean = event.local;
  void [delta, local];
});
unobserve();
doc.getList("l").observe((event) => {
  const delta: ListDelta = event.delta;
  void delta;
});
doc.getMap("m").observe((event) => {
  const changed: Value | undefined = event.keys.get("k");
  void changed;
});
const nested: Text = doc.getMap("m").setContainer("note", "text");
nested.insert(0, "x");
const count: number = doc.getCounter("c").value;
const board = doc.getMovableList("board");
board.push("todo");
board.move(0, 0);
const first: Value | undefined = board.get(0);
const items: number = doc.getList("l").length + board.length;
void [first, items];
const stop = doc.on("update", (update: Uint8Array, _origin: unknown, local: boolean) => void [update, local]);
stop();
doc.on("change", (events) => events.forEach((event) => void event.kind));
const result: number = doc.transact(() => 42, "origin");
const update: Uint8Array = doc.export({ mode: "update", from: doc.version() });
doc.import(update);
const position: number | undefined = doc.getCursorPosition(text.getCursor(1, -1));
const undo = new UndoManager(doc, { origin: "user", mergeInterval: 300 });
const undone: boolean = undo.undo();
const awareness = new Awareness(doc);
awareness.setLocalState({ name: "ada", cursor: { anchor: 1 } });
const provider = new WebSocketProvider("ws://localhost:8080", "room", doc, { awareness, token: () => "t", durability: 2 });
provider.on("status", ({ status }) => void (status === "connected"));
provider.on("synced", (synced: boolean) => void synced);
provider.on("acknowledged", ({ room, version, durability }) => void [room.length, version.get(1n), durability + 1]);
void provider.whenAcknowledged().then(() => provider.acknowledged().size);
provider.on("fenced", ({ room, message }) => void [room?.length, message.length]);
void (async () => {
  const lease = await provider.lock("invoices", { ttl: 30_000, mode: "correctness", wait: false });
  await lease.guard("room");
  const token: number = lease.token;
  lease.signal.addEventListener("abort", () => void token);
  await lease.release();
})().catch((error: unknown) => void (error instanceof LockError && error.code === "held" && error.holder?.token));
const unwatch: () => void = provider.watchLock("invoices", (holder) => void holder?.expires);
unwatch();
const stream = subscribeChanges("http://localhost:8080", "room", { version: doc.version() });
void (async () => {
  for await (const event of stream) {
    if (event.type === "change") {
      const replica: string | undefined = event.data.changes[0]?.replica;
      void [replica, event.data.diffs.length, event.seq + 1];
      await stream.ack(event.seq);
    }
  }
  stream.close();
})();
void new IndexedDbPersistence("room", doc).whenSynced.then((persistence) => persistence.destroy());
void [count, result, position, undone];

// @ts-expect-error: values are scalars; nested data goes through setContainer
doc.getMap("m").set("k", { nested: true });
// @ts-expect-error: export needs a mode
doc.export({});
// @ts-expect-error: the event names are "update" and "change"
doc.on("updated", () => {});
// @ts-expect-error: from is a sequence number or "now"
subscribeChanges("http://localhost:8080", "room", { from: "start" });
// @ts-expect-error: a plain list cannot move elements
doc.getList("l").move(0, 1);
// @ts-expect-error: a text event has no keys
text.observe((event) => event.keys);
