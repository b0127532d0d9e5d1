// The hand-written declarations: strict TypeScript accepts what apps write and refuses
// misuse (types/usage.ts), and the public API never falls back to `any`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const packageDir = fileURLToPath(new URL("..", import.meta.url));

test("the declarations type-check an app's code under strict settings", () => {
  const tsc = fileURLToPath(new URL("../node_modules/typescript/bin/tsc", import.meta.url));
  const project = fileURLToPath(new URL("types/tsconfig.json", import.meta.url));
  execFileSync(process.execPath, [tsc, "-p", project], { cwd: packageDir, encoding: "utf8" });
});

test("no `any` in the public API", () => {
  const declarations = readFileSync(new URL("../index.d.ts", import.meta.url), "utf8")
    .split("\n")
    .filter((line) => !line.trim().startsWith("//") && !line.trim().startsWith("*") && !line.trim().startsWith("/**"));
  assert.deepEqual(declarations.filter((line) => /\bany\b/.test(line)), []);
});
