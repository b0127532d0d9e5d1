// How each kind of row runs against one library, and what is measured:
//
//   time        B1: the user's edits, update events included; B2: both users' edits and
//               the exchange of their updates both ways; B3: one replica merging every
//               client's update; B4: replaying the trace, one transaction per trace
//               transaction.
//   updateSize  the bytes of every update the edits emitted (B2: both users'; B3: all clients').
//   encodeTime  encoding the final document, history included.
//   docSize     the bytes of that encoding.
//   parseTime   loading the encoding into a new document, up to reading its contents
//               (a library that decodes lazily pays when the contents are read).
//
// Every document that a row produces, the loaded one included, is checked against the
// row's expected contents; a mismatch throws.

import { applyTextEdit } from "./rows.js";
import { timed } from "./measure.js";

/** A row stopped at the time limit: a library too slow for it, which still gets a line in the table. */
export class TimeLimitExceeded extends Error {
  constructor(seconds, done, total, unit) {
    super(`stopped at the ${seconds} s limit after ${done} of ${total} ${unit}`);
    this.name = "TimeLimitExceeded";
    this.seconds = seconds;
    this.done = done;
    this.total = total;
  }
}

/** Runs `step` on each item, giving up once `timeLimit` seconds have passed. */
function eachWithinLimit(items, timeLimit, unit, step) {
  const deadline = performance.now() + timeLimit * 1000;
  for (let i = 0; i < items.length; i++) {
    if (performance.now() > deadline) throw new TimeLimitExceeded(timeLimit, i, items.length, unit);
    step(items[i]);
  }
}

/** Records the bytes of a replica's local updates, keeping them when a peer will need them. */
function recordUpdates(replica, { keep }) {
  const log = { updates: [], bytes: 0 };
  replica.onLocalUpdate((update) => {
    log.bytes += update.byteLength;
    if (keep) log.updates.push(update);
  });
  return log;
}

function describe(value) {
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 80 ? `${json.slice(0, 80)}... (${json.length} characters of JSON)` : json;
}

function expectContent(actual, expected, what) {
  if (typeof expected === "string") {
    if (actual === expected) return;
    let at = 0;
    while (at < expected.length && actual?.[at] === expected[at]) at++;
    throw new Error(
      `${what}: text differs at ${at} (length ${actual?.length}, expected ${expected.length}): ` +
        `${describe(actual?.slice(at, at + 20))} instead of ${describe(expected.slice(at, at + 20))}`,
    );
  }
  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
    throw new Error(`${what}: ${describe(actual)} instead of ${describe(expected)}`);
  }
}

const CONTENT = {
  text: (replica) => replica.text(),
  list: (replica) => replica.list(),
  map: (replica) => replica.map(),
};

/** B1: one user edits; a second replica applies the updates and must end up the same. */
function oneUser(adapter, row, timeLimit) {
  const writer = adapter.create(1);
  const log = recordUpdates(writer, { keep: true });
  const [, time] = timed(() => eachWithinLimit(row.ops, timeLimit, "edits", (op) => row.apply(writer, op)));
  expectContent(CONTENT[row.content](writer), row.expected, "the editing replica");
  const reader = adapter.create(2);
  reader.applyUpdates(log.updates);
  expectContent(CONTENT[row.content](reader), row.expected, "the replica that applied the updates");
  reader.free();
  return { time, updateSize: log.bytes, doc: writer, expected: row.expected };
}

/** B2: two synced users each edit in one transaction, unaware of the other, then exchange updates. */
function twoUsers(adapter, row) {
  const first = adapter.create(1);
  const second = adapter.create(2);
  const firstLog = recordUpdates(first, { keep: true });
  const secondLog = recordUpdates(second, { keep: true });
  first.insertText(0, row.initial);
  second.applyUpdates(firstLog.updates);
  expectContent(second.text(), row.initial, "the second user after the initial sync");
  // The initial text is setup: neither its time nor its update is measured.
  firstLog.updates = [];
  firstLog.bytes = 0;

  const [, time] = timed(() => {
    first.transact(() => {
      for (const edit of row.ops1) applyTextEdit(first, edit);
    });
    second.transact(() => {
      for (const edit of row.ops2) applyTextEdit(second, edit);
    });
    first.applyUpdates(secondLog.updates);
    second.applyUpdates(firstLog.updates);
  });
  const merged = first.text();
  expectContent(second.text(), merged, "the two users after syncing");
  if (row.expectedLength !== undefined && merged.length !== row.expectedLength) {
    throw new Error(`the merged text has ${merged.length} characters, expected ${row.expectedLength}`);
  }
  second.free();
  return { time, updateSize: firstLog.bytes + secondLog.bytes, doc: first, expected: merged };
}

/** B3: many clients each make one change without seeing the others; one replica merges them all. */
function manyUsers(adapter, row) {
  const clients = [];
  const updates = [];
  for (let i = 0; i < row.clients; i++) {
    const client = adapter.create(i + 1);
    client.onLocalUpdate((update) => updates.push(update));
    row.change(client, i);
    clients.push(client);
  }
  if (updates.length < row.clients) {
    throw new Error(`${row.clients} clients emitted only ${updates.length} updates`);
  }
  const receiver = adapter.create(row.clients + 1);
  const [, time] = timed(() => receiver.applyUpdates(updates));
  const merged = CONTENT[row.content](receiver);
  if (!row.check(merged)) {
    throw new Error(`the merged ${row.content} is not a valid outcome: ${describe(merged)}`);
  }
  // A client that merges the same updates must agree, its own change included.
  clients[0].applyUpdates(updates);
  expectContent(CONTENT[row.content](clients[0]), merged, "a client that merged every update");
  for (const client of clients) client.free();
  const updateSize = updates.reduce((sum, update) => sum + update.byteLength, 0);
  return { time, updateSize, doc: receiver, expected: merged };
}

/** B4: one user replays the editing trace. */
function trace(adapter, row, timeLimit) {
  const doc = adapter.create(1);
  // 260k updates need not be kept: no peer receives them here, only their size counts.
  const log = recordUpdates(doc, { keep: false });
  const [, time] = timed(() =>
    eachWithinLimit(row.txns, timeLimit, "transactions", (patches) =>
      doc.transact(() => {
        for (const edit of patches) applyTextEdit(doc, edit);
      }),
    ),
  );
  expectContent(doc.text(), row.expected, "the replayed trace");
  return { time, updateSize: log.bytes, doc, expected: row.expected };
}

const KINDS = { oneUser, twoUsers, manyUsers, trace };

/**
 * Runs one row against one library and returns its measures and the document's
 * encoding (for the memory measurement, which runs elsewhere). A row of one user's
 * many edits (B1, B4) still running after `timeLimit` seconds throws TimeLimitExceeded.
 */
export function runRow(adapter, row, timeLimit) {
  const { time, updateSize, doc, expected } = KINDS[row.kind](adapter, row, timeLimit);
  const [bytes, encodeTime] = timed(() => doc.encode());
  doc.free();
  const read = CONTENT[row.content];
  const [[loaded, content], parseTime] = timed(() => {
    const loaded = adapter.load(bytes);
    return [loaded, read(loaded)];
  });
  loaded.free();
  expectContent(content, expected, "the document loaded from its encoding");
  return { time, updateSize, encodeTime, docSize: bytes.byteLength, parseTime, bytes };
}
