import { test } from "node:test";
import assert from "node:assert/strict";

import * as weft from "../dist/node.js";
import { applyRemoteStates } from "../dist/awareness.js";

function recordChanges(awareness) {
  const seen = [];
  awareness.on("change", (changes, origin) => seen.push({ ...changes, origin }));
  return seen;
}

test("the client id is the document's replica and nothing is shared at first", () => {
  const doc = new weft.Doc({ peerId: 42n });
  const awareness = new weft.Awareness(doc);
  assert.equal(awareness.clientId, 42n);
  assert.equal(awareness.getLocalState(), null);
  assert.deepEqual(awareness.getStates(), new Map());
});

test("local states are added, updated and removed, with change events", () => {
  const awareness = new weft.Awareness(new weft.Doc({ peerId: 7n }));
  const seen = recordChanges(awareness);

  awareness.setLocalState({ name: "ann" });
  awareness.setLocalStateField("cursor", 3);
  awareness.setLocalState({ name: "ann", cursor: 3 });
  assert.deepEqual(awareness.getLocalState(), { name: "ann", cursor: 3 });
  assert.deepEqual(awareness.getStates(), new Map([[7n, { name: "ann", cursor: 3 }]]));
  awareness.setLocalState(null);

  assert.deepEqual(seen, [
    { added: [7n], updated: [], removed: [], origin: "local" },
    { added: [], updated: [7n], removed: [], origin: "local" },
    // Setting an equal state again changes nothing, so it is not reported.
    { added: [], updated: [], removed: [7n], origin: "local" },
  ]);
  assert.deepEqual(awareness.getStates(), new Map());
});

test("a field can be set before any state exists", () => {
  const awareness = new weft.Awareness(new weft.Doc({ peerId: 7n }));
  awareness.setLocalStateField("name", "bob");
  assert.deepEqual(awareness.getLocalState(), { name: "bob" });
});

test("remote states join the local one and report as remote changes", () => {
  const awareness = new weft.Awareness(new weft.Doc({ peerId: 1n }));
  awareness.setLocalState({ name: "me" });
  const seen = recordChanges(awareness);

  awareness[applyRemoteStates]([
    [2n, { name: "two" }],
    [3n, { name: "three" }],
  ]);
  awareness[applyRemoteStates]([
    [2n, { name: "two", cursor: 5 }],
    [3n, null],
    // A state of this client echoed back does not replace the local one.
    [1n, { name: "impostor" }],
  ]);

  assert.deepEqual(seen, [
    { added: [2n, 3n], updated: [], removed: [], origin: "remote" },
    { added: [], updated: [2n], removed: [3n], origin: "remote" },
  ]);
  assert.deepEqual(
    awareness.getStates(),
    new Map([
      [2n, { name: "two", cursor: 5 }],
      [1n, { name: "me" }],
    ]),
  );
});

test("off and the returned unsubscribe both stop a listener", () => {
  const awareness = new weft.Awareness(new weft.Doc());
  let calls = 0;
  const listener = () => calls++;
  const unsubscribe = awareness.on("change", listener);
  awareness.setLocalState({ n: 1 });
  unsubscribe();
  awareness.setLocalState({ n: 2 });
  awareness.on("change", listener);
  awareness.off("change", listener);
  awareness.setLocalState({ n: 3 });
  assert.equal(calls, 1);
});

test("destroy says the client left", () => {
  const awareness = new weft.Awareness(new weft.Doc({ peerId: 9n }));
  awareness.setLocalState({ name: "ann" });
  const seen = recordChanges(awareness);
  awareness.destroy();
  assert.equal(awareness.getLocalState(), null);
  assert.deepEqual(seen, [{ added: [], updated: [], removed: [9n], origin: "local" }]);
});
