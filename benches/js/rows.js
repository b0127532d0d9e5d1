// The benchmark rows, in the shape of the public crdt-benchmarks suite: B1 one user,
// B2 two users editing concurrently, B3 many users each making one concurrent change,
// B4 a real editing trace. Each row is data (its input and what the result must be);
// scenarios.js runs it against a library.
//
// A text edit is `[index, deleteCount, insertText]`, the editing trace's own form.

import { Prng, seedFrom } from "./prng.js";

/** The largest number B1's lists hold: a non-negative 32-bit signed integer. */
const MAX_NUMBER = 0x7fffffff;

/** Applies one text edit; an edit with both parts deletes first, as the trace means it. */
export function applyTextEdit(replica, [index, deleteCount, insert]) {
  if (deleteCount > 0) replica.deleteText(index, deleteCount);
  if (insert.length > 0) replica.insertText(index, insert);
}

function applyListInsert(replica, { index, values }) {
  replica.insertList(index, values);
}

/** Builds random text edits against a model string, so that the expected text is known. */
function randomTextEdits(prng, start, count, nextEdit) {
  let model = start;
  const edits = [];
  for (let i = 0; i < count; i++) {
    const edit = nextEdit(model);
    const [index, deleteCount, insert] = edit;
    model = model.slice(0, index) + insert + model.slice(index + deleteCount);
    edits.push(edit);
  }
  return { edits, text: model };
}

const insertAtRandom = (prng, minLength, maxLength) => (model) => [
  prng.int(0, model.length),
  0,
  prng.word(minLength, maxLength),
];

/** Inserts a 2-10 letter word, or deletes up to 9 characters, at a random place. */
const insertOrDeleteAtRandom = (prng) => (model) => {
  const index = prng.int(0, model.length);
  if (index === model.length || prng.bool()) {
    return [index, 0, prng.word(2, 10)];
  }
  return [index, prng.int(1, Math.min(9, model.length - index)), ""];
};

function oneUserRows(n) {
  const rows = [];
  const textRow = (id, title, build) => {
    const prng = new Prng(seedFrom(id));
    const { edits, text } = build(prng);
    rows.push({ id, title, kind: "oneUser", content: "text", ops: edits, apply: applyTextEdit, expected: text });
  };
  const listRow = (id, title, build) => {
    const prng = new Prng(seedFrom(id));
    const { inserts, list } = build(prng);
    rows.push({ id, title, kind: "oneUser", content: "list", ops: inserts, apply: applyListInsert, expected: list });
  };
  const randomNumbers = (prng) => Array.from({ length: n }, () => prng.int(0, MAX_NUMBER));

  textRow("B1.1", "Append N characters", (prng) => {
    const text = prng.word(n, n);
    return { edits: [...text].map((c, i) => [i, 0, c]), text };
  });
  textRow("B1.2", "Insert string of length N", (prng) => {
    const text = prng.word(n, n);
    return { edits: [[0, 0, text]], text };
  });
  textRow("B1.3", "Prepend N characters", (prng) => {
    const text = prng.word(n, n);
    // Typing the text backwards at the start leaves it in reading order.
    return { edits: [...text].reverse().map((c) => [0, 0, c]), text };
  });
  textRow("B1.4", "Insert N characters at random positions", (prng) =>
    randomTextEdits(prng, "", n, insertAtRandom(prng, 1, 1)),
  );
  textRow("B1.5", "Insert N words at random positions", (prng) =>
    randomTextEdits(prng, "", n, insertAtRandom(prng, 2, 10)),
  );
  textRow("B1.6", "Insert string, then delete it", (prng) => {
    const text = prng.word(n, n);
    return { edits: [[0, 0, text], [0, n, ""]], text: "" };
  });
  textRow("B1.7", "Insert/Delete strings at random positions", (prng) =>
    randomTextEdits(prng, "", n, insertOrDeleteAtRandom(prng)),
  );
  listRow("B1.8", "Append N numbers", (prng) => {
    const list = randomNumbers(prng);
    return { inserts: list.map((value, index) => ({ index, values: [value] })), list };
  });
  listRow("B1.9", "Insert Array of N numbers", (prng) => {
    const list = randomNumbers(prng);
    return { inserts: [{ index: 0, values: list }], list };
  });
  listRow("B1.10", "Prepend N numbers", (prng) => {
    const numbers = randomNumbers(prng);
    return { inserts: numbers.map((value) => ({ index: 0, values: [value] })), list: numbers.reverse() };
  });
  listRow("B1.11", "Insert N numbers at random positions", (prng) => {
    const list = [];
    const inserts = [];
    for (let i = 0; i < n; i++) {
      const index = prng.int(0, list.length);
      const value = prng.int(0, MAX_NUMBER);
      list.splice(index, 0, value);
      inserts.push({ index, values: [value] });
    }
    return { inserts, list };
  });
  return rows;
}

function twoUserRows(n) {
  const rows = [];
  // Both users start from the same synced 100 characters, then edit without seeing each other.
  const row = (id, title, buildEdits) => {
    const prng = new Prng(seedFrom(id));
    const initial = prng.word(100, 100);
    const ops1 = buildEdits(prng, initial);
    const ops2 = buildEdits(prng, initial);
    // Concurrent inserts are all kept, so insert-only rows know the merged length.
    const insertOnly = [...ops1, ...ops2].every(([, deleteCount]) => deleteCount === 0);
    const expectedLength = insertOnly
      ? [...ops1, ...ops2].reduce((length, [, , insert]) => length + insert.length, initial.length)
      : undefined;
    rows.push({ id, title, kind: "twoUsers", content: "text", initial, ops1, ops2, expectedLength });
  };
  row("B2.1", "Concurrently insert string of length N at index 0", (prng) => [[0, 0, prng.word(n, n)]]);
  row("B2.2", "Concurrently insert N characters at random positions", (prng, initial) =>
    randomTextEdits(prng, initial, n, insertAtRandom(prng, 1, 1)).edits,
  );
  row("B2.3", "Concurrently insert N words at random positions", (prng, initial) =>
    randomTextEdits(prng, initial, n, insertAtRandom(prng, 3, 9)).edits,
  );
  row("B2.4", "Concurrently insert & delete", (prng, initial) =>
    randomTextEdits(prng, initial, n, insertOrDeleteAtRandom(prng)).edits,
  );
  return rows;
}

function manyUserRows(n) {
  // As in the suite: 20·⌊√N⌋ concurrent changes, up to clients² conflicts between them.
  const clients = 20 * Math.floor(Math.sqrt(n));
  const row = (id, title, content, change, check) => ({ id, title, kind: "manyUsers", content, clients, change, check });
  const oneOfTheClients = (valueOf) => (map) => {
    const values = new Set(Array.from({ length: clients }, (_, i) => JSON.stringify(valueOf(i))));
    return Object.keys(map).length === 1 && values.has(JSON.stringify(map.v));
  };
  return [
    row(
      "B3.1",
      "20√N clients concurrently set number in Map",
      "map",
      (replica, i) => replica.setMap("v", i),
      oneOfTheClients((i) => i),
    ),
    row(
      "B3.2",
      "20√N clients concurrently set Object in Map",
      "map",
      (replica, i) => replica.setMapObject("v", { name: String(i), address: "here" }),
      // Libraries that share one nested map per key merge the clients' objects field by field.
      (map) => Object.keys(map).length === 1 && map.v.address === "here" && Number(map.v.name) < clients,
    ),
    row(
      "B3.3",
      "20√N clients concurrently set String in Map",
      "map",
      (replica, i) => replica.setMap("v", String(i).repeat(clients)),
      oneOfTheClients((i) => String(i).repeat(clients)),
    ),
    row(
      "B3.4",
      "20√N clients concurrently insert text in Array",
      "list",
      (replica, i) => replica.insertList(0, [String(i)]),
      (list) => list.length === clients && new Set(list).size === clients,
    ),
    row(
      "B3.5",
      "20√N clients concurrently insert text",
      "text",
      (replica, i) => replica.insertText(0, String(i)),
      (text) => text.length === Array.from({ length: clients }, (_, i) => String(i)).join("").length,
    ),
  ];
}

function traceRows(trace) {
  return [
    {
      id: "B4",
      title: "Apply real-world editing dataset",
      kind: "trace",
      content: "text",
      txns: trace.txns,
      expected: trace.expected,
    },
  ];
}

/** Every row for `n` operations per user, and B4 when a trace input (from trace.js) is given. */
export function buildRows({ n, trace }) {
  return [...oneUserRows(n), ...twoUserRows(n), ...manyUserRows(n), ...(trace ? traceRows(trace) : [])];
}
