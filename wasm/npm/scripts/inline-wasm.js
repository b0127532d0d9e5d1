// Writes a module exporting the WebAssembly bytes as base64, for the entry point that
// must work without fetching a file: node inline-wasm.js <weft_bg.wasm> <out.js>
import { readFileSync, writeFileSync } from "node:fs";

const [wasmPath, outPath] = process.argv.slice(2);
const base64 = readFileSync(wasmPath).toString("base64");

writeFileSync(
  outPath,
  `// The WebAssembly module, base64-encoded by scripts/inline-wasm.js.
const base64 = "${base64}";

export function wasmBytes() {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
`,
);
