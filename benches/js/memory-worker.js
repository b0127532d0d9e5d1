// Loads one encoded document in a fresh thread and reports the memory it holds (see
// measureLoadedMemory in measure.js).

import { parentPort, workerData } from "node:worker_threads";
import { loadAdapter } from "./adapters/index.js";
import { liveMemory } from "./measure.js";

const { library, bytes, content } = workerData;
const adapter = await loadAdapter(library);
// A first document may set up state the library keeps for all documents; that is not this one's.
adapter.create(1).free();

const before = liveMemory();
const replica = adapter.load(bytes);
// Reading the contents makes a library that decodes lazily hold what it would hold in use.
replica[content]();
const after = liveMemory();

parentPort.postMessage({
  heapUsed: after.heapUsed - before.heapUsed,
  external: after.external - before.external,
});
// Freed only after the second reading, so the document is alive while it is taken.
replica.free();
