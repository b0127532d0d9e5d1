// Loads the Node build of the module and checks it reports the crate's version.
const { test } = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");

const weft = require(process.env.WEFT_WASM_NODE);

test("the module loads and reports the workspace version", () => {
  const manifest = fs.readFileSync(path.join(__dirname, "..", "..", "Cargo.toml"), "utf8");
  const version = manifest.match(/^version = "([^"]+)"/m)[1];
  assert.equal(weft.weftVersion(), version);
});
