// Runs the crdt-benchmarks-shaped rows for every library in one Node process and prints
// a markdown table.
//
//   node --expose-gc benches/js/run.js [--quick] [--only weft,yjs] [--rows B1,B4] [--out file.md]
//                                      [--time-limit seconds]
//
// --quick: N = 600 and the trace's first 2,000 transactions, for a run of well under a minute.
// --only: the libraries to run (default: weft, yjs, loro, automerge).
// --rows: row ids or groups ("B1" is B1.1-B1.11, "B3.2" is that row alone).
// --out: also write the table to this file.
// --time-limit: stop a B1 or B4 row of a library after this long (default 90 s); the
//   table shows how far it got, so one slow library cannot hold up the whole run.

import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { LIBRARIES, loadAdapter } from "./adapters/index.js";
import { collectGarbage, measureLoadedMemory } from "./measure.js";
import { buildRows } from "./rows.js";
import { runRow, TimeLimitExceeded } from "./scenarios.js";
import { renderTable } from "./table.js";
import { loadTrace, traceInput } from "./trace.js";

const FULL = { n: 6000, traceTxns: undefined };
const QUICK = { n: 600, traceTxns: 2000 };
// Every selected row runs once on this small input before measuring, so that the first
// rows do not pay for JIT compilation and WebAssembly tier-up that later rows do not.
const WARMUP = { n: 60, traceTxns: 500 };

const list = (value) => value.split(",").map((item) => item.trim()).filter(Boolean);

function parseOptions() {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      only: { type: "string" },
      rows: { type: "string" },
      out: { type: "string" },
      "time-limit": { type: "string", default: "90" },
    },
  });
  const timeLimit = Number(values["time-limit"]);
  if (!(timeLimit > 0)) throw new Error(`--time-limit takes a positive number of seconds`);
  return {
    size: values.quick ? QUICK : FULL,
    libraries: values.only ? list(values.only) : LIBRARIES,
    rowFilter: values.rows ? list(values.rows) : undefined,
    out: values.out,
    timeLimit,
  };
}

/** Whether a row id is selected: "B1" selects B1.1-B1.11, "B1.1" only B1.1. */
function selected(rowFilter, id) {
  return rowFilter === undefined || rowFilter.some((wanted) => id === wanted || id.startsWith(`${wanted}.`));
}

function rowsFor({ n, traceTxns }, rowFilter, trace) {
  const input = trace ? traceInput(trace, traceTxns) : undefined;
  return buildRows({ n, trace: input }).filter((row) => selected(rowFilter, row.id));
}

async function loadAdapters(libraries) {
  const adapters = {};
  for (const library of libraries) {
    try {
      adapters[library] = await loadAdapter(library);
    } catch (error) {
      throw new Error(`cannot load ${library} (--only leaves it out): ${error.message}`, { cause: error });
    }
  }
  return adapters;
}

async function main() {
  const options = parseOptions();
  collectGarbage();
  const adapters = await loadAdapters(options.libraries);
  const trace = selected(options.rowFilter, "B4") ? loadTrace("automerge-paper") : undefined;
  const rows = rowsFor(options.size, options.rowFilter, trace);
  if (rows.length === 0) throw new Error(`no row matches --rows ${options.rowFilter.join(",")}`);

  for (const row of rowsFor(WARMUP, options.rowFilter, trace)) {
    for (const library of options.libraries) runRow(adapters[library], row, options.timeLimit);
  }

  const results = new Map();
  let failures = 0;
  for (const row of rows) {
    // Libraries take turns on each row, so that none runs on a machine the others warmed or tired.
    for (const library of options.libraries) {
      collectGarbage();
      try {
        const { bytes, ...measures } = runRow(adapters[library], row, options.timeLimit);
        const memory = await measureLoadedMemory(library, bytes, row.content);
        results.set(`${row.id}/${library}`, { ...measures, memUsed: memory.heapUsed, memExternal: memory.external });
        console.error(`${row.id} ${library}: ${Math.round(measures.time)} ms`);
      } catch (error) {
        results.set(`${row.id}/${library}`, error);
        if (error instanceof TimeLimitExceeded) {
          console.error(`TIMED OUT ${row.id} ${library}: ${error.message}`);
        } else {
          failures++;
          console.error(`FAILED ${row.id} ${library}: ${error.stack}`);
        }
      }
    }
  }

  const versions = Object.fromEntries(options.libraries.map((library) => [library, adapters[library].version]));
  const table = renderTable({ n: options.size.n, libraries: options.libraries, versions, rows, results });
  process.stdout.write(table);
  if (options.out) writeFileSync(options.out, table);
  if (failures > 0) {
    console.error(`${failures} row(s) failed; see FAILED above`);
    process.exitCode = 1;
  }
}

await main();
