// The package's entry points, loaded the way apps load them: by package name from a
// project that depends on weft, each in a fresh Node process.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const packageDir = fileURLToPath(new URL("..", import.meta.url));
const app = mkdtempSync(join(tmpdir(), "weft-app-"));
mkdirSync(join(app, "node_modules"));
symlinkSync(packageDir, join(app, "node_modules", "weft"), "dir");
writeFileSync(join(app, "package.json"), JSON.stringify({ type: "module" }));

/** Runs `source` as an ES module inside the app; returns what it prints. */
function run(source) {
  const file = join(app, `main-${Math.random().toString(36).slice(2)}.js`);
  writeFileSync(file, source);
  return execFileSync(process.execPath, [file], { cwd: app, encoding: "utf8" }).trim();
}

const edit = `
  const doc = new Doc({ peerId: 1n });
  doc.getText("t").insert(0, "ready");
  console.log(isInitialized(), doc.getText("t").toString());`;

test('"weft" resolves to the Node entry, ready on import', () => {
  assert.equal(run(`import { Doc, isInitialized } from "weft";${edit}`), "true ready");
});

test("the zero-configuration browser entry needs no init and no top-level await", () => {
  const entry = join(packageDir, "dist", "browser.js");
  assert.equal(run(`import { Doc, isInitialized } from ${JSON.stringify(entry)};${edit}`), "true ready");
});

test('"weft/web" explains itself before init() and works after it', () => {
  const output = run(`
    import { readFile } from "node:fs/promises";
    import { Doc, init, isInitialized } from "weft/web";
    try { new Doc(); } catch (error) { console.log(error.message); }
    await init(await readFile(new URL(import.meta.resolve("weft/weft.wasm"))));
    ${edit}`);
  const [refusal, result] = output.split("\n");
  assert.match(refusal, /await init\(\) first/);
  assert.equal(result, "true ready");
});

test('"weft/slim" asks for the module and takes bytes', () => {
  const output = run(`
    import { readFileSync } from "node:fs";
    import { Doc, init, initSync, isInitialized } from "weft/slim";
    await init().catch((error) => console.log(error.message));
    initSync(readFileSync(new URL(import.meta.resolve("weft/weft.wasm"))));
    ${edit}`);
  const [refusal, result] = output.split("\n");
  assert.match(refusal, /pass init\(\) the module/);
  assert.equal(result, "true ready");
});
