// The results as a markdown table in the suite's layout: one line per row and measure,
// one column per library.

/** The measures of every row, in the order they are printed, with their units. */
export const MEASURES = [
  ["time", "ms"],
  ["updateSize", "bytes"],
  ["encodeTime", "ms"],
  ["docSize", "bytes"],
  ["parseTime", "ms"],
  ["memUsed", "memory"],
  ["memExternal", "memory"],
];

const integer = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

function milliseconds(ms) {
  // Three significant digits below 100 ms: small documents parse in fractions of one.
  return `${ms >= 100 ? integer.format(ms) : Number(ms.toPrecision(3))} ms`;
}

function memory(bytes) {
  const magnitude = Math.abs(bytes);
  if (magnitude >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  if (magnitude >= 1e3) return `${(bytes / 1e3).toFixed(1)} kB`;
  return `${bytes} B`;
}

const FORMAT = {
  ms: milliseconds,
  bytes: (bytes) => `${integer.format(bytes)} bytes`,
  memory,
};

const count = (n) => integer.format(n);

/** What a row that did not finish shows: how far it got for its time, and nothing else. */
function unfinished(error, measure) {
  if (error.name !== "TimeLimitExceeded") return "failed";
  if (measure !== "time") return "—";
  return `> ${error.seconds} s (${count(error.done)} of ${count(error.total)} done)`;
}

/**
 * `results` maps `${rowId}/${library}` to the measures, or to the Error that stopped
 * the row for that library (a TimeLimitExceeded, or a failure).
 */
export function renderTable({ n, libraries, versions, rows, results }) {
  const lines = [
    `| N = ${n} | ${libraries.join(" | ")} |`,
    `| :- | ${libraries.map(() => "-:").join(" | ")} |`,
    `| Version | ${libraries.map((library) => versions[library]).join(" | ")} |`,
  ];
  for (const row of rows) {
    for (const [measure, unit] of MEASURES) {
      const cells = libraries.map((library) => {
        const result = results.get(`${row.id}/${library}`);
        if (result === undefined) return "";
        if (result instanceof Error) return unfinished(result, measure);
        return FORMAT[unit](result[measure]);
      });
      lines.push(`| [${row.id}] ${row.title} (${measure}) | ${cells.join(" | ")} |`);
    }
  }
  return `${lines.join("\n")}\n`;
}
