// Time and memory measurement.

import { Worker } from "node:worker_threads";

/** Runs fn once and returns [its result, wall-clock milliseconds]. */
export function timed(fn) {
  const start = performance.now();
  const result = fn();
  return [result, performance.now() - start];
}

/** Collects garbage; the benchmark refuses to run without it, since memory numbers would be noise. */
export function collectGarbage() {
  if (typeof global.gc !== "function") {
    throw new Error("run node with --expose-gc: node --expose-gc benches/js/run.js");
  }
  global.gc();
}

/** The memory that garbage collection cannot take back: V8's heap, and memory outside it. */
export function liveMemory() {
  // An array buffer's memory (a WebAssembly module's bytes, say) is released only by the
  // collection after the one that found its object dead.
  collectGarbage();
  collectGarbage();
  const { heapUsed, external } = process.memoryUsage();
  return { heapUsed, external };
}

/**
 * The memory a loaded document holds: `heapUsed` after loading it and reading its
 * `content` ("text", "list" or "map") minus before, with the document still referenced. It runs in a fresh worker thread, one per document:
 * WebAssembly memory only ever grows, so in a process that has already run other rows
 * a load may fit in memory those rows freed and show nothing. `external` (which holds
 * WebAssembly memory and array buffers) is measured the same way; for the WebAssembly
 * libraries it is where the document lives, rounded up to 64 KiB pages and including
 * what the load allocated and freed on the way.
 */
export function measureLoadedMemory(library, bytes, content) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./memory-worker.js", import.meta.url), {
      workerData: { library, bytes, content },
    });
    let result;
    worker.once("message", (message) => {
      result = message;
    });
    worker.once("error", reject);
    worker.once("exit", (code) => {
      if (result) resolve(result);
      else reject(new Error(`the memory worker for ${library} exited with code ${code}`));
    });
  });
}
