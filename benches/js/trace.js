// The automerge-paper editing trace: every keystroke of the LaTeX source of a paper,
// from shared/traces beside the repository (CC BY 4.0). WEFT_TRACES points elsewhere.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";

const TRACES =
  process.env.WEFT_TRACES ?? fileURLToPath(new URL("../../../shared/traces", import.meta.url));

const ASCII = /^[\x00-\x7f]*$/;

/**
 * Loads a sequential trace as `{ txns, endContent }`, where `txns` is an array of
 * patch lists and each patch is `[position, deleteCount, insertText]`.
 *
 * The trace counts positions in Unicode scalar values while every library here counts
 * UTF-16 code units; the two agree only on ASCII text, so anything else is refused
 * rather than replayed at the wrong positions.
 */
export function loadTrace(name = "automerge-paper") {
  const path = join(TRACES, "sequential_traces", `${name}.json.gz`);
  const { startContent, endContent, txns } = JSON.parse(gunzipSync(readFileSync(path)).toString("utf8"));
  if (startContent !== "") {
    throw new Error(`${path}: expected an empty startContent`);
  }
  const patchLists = txns.map((txn) => txn.patches);
  for (const patches of patchLists) {
    for (const [, , insert] of patches) {
      if (!ASCII.test(insert)) {
        throw new Error(`${path}: non-ASCII insert ${JSON.stringify(insert)}; positions would not be UTF-16`);
      }
    }
  }
  if (!ASCII.test(endContent)) {
    throw new Error(`${path}: non-ASCII endContent`);
  }
  return { name, txns: patchLists, endContent };
}

/** Applies patch lists to a plain string: the reference for a prefix of the trace. */
function replayOnString(txns) {
  const chars = [];
  for (const patches of txns) {
    for (const [position, deleteCount, insert] of patches) {
      chars.splice(position, deleteCount, ...insert);
    }
  }
  return chars.join("");
}

/**
 * The trace as a benchmark replays it: all of it, checked against the trace's own
 * `endContent`, or (for a quick run) its first `txnCount` transactions, checked
 * against a plain-string replay of them.
 */
export function traceInput(trace, txnCount) {
  if (txnCount === undefined || txnCount >= trace.txns.length) {
    return { txns: trace.txns, expected: trace.endContent };
  }
  const txns = trace.txns.slice(0, txnCount);
  return { txns, expected: replayOnString(txns) };
}
