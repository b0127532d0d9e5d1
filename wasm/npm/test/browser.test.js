// The package in a real headless Chromium, loaded the way apps load it: a plain
// ES-module page with an import map (the default entry, and "weft/web" with init()),
// and a page built by Vite with no configuration.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const packageDir = fileURLToPath(new URL("..", import.meta.url));
const pages = join(packageDir, "test-pages");
const executablePath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const types = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm" };

let server;
let browser;
let origin;
let viteOut;

before(async () => {
  assert.ok(existsSync(executablePath), `no Chromium at ${executablePath}: scripts/test.sh installs Debian's chromium`);
  viteOut = mkdtempSync(join(tmpdir(), "weft-vite-"));
  // The Vite page finds "weft" in node_modules, as in an app that installed it.
  rmSync(join(pages, "node_modules"), { recursive: true, force: true });
  mkdirSync(join(pages, "node_modules"));
  symlinkSync(packageDir, join(pages, "node_modules", "weft"), "dir");
  execFileSync(
    process.execPath,
    [join(packageDir, "node_modules", "vite", "bin", "vite.js"), "build", join(pages, "vite"), "--outDir", viteOut, "--base", "./", "--logLevel", "warn"],
    { cwd: join(pages, "vite"), stdio: "inherit" },
  );

  // Longest prefix first; a path may not climb out of its folder.
  const routes = [
    { prefix: "/weft/", dir: packageDir },
    { prefix: "/plain/", dir: join(pages, "plain") },
    { prefix: "/vite/", dir: viteOut },
    { prefix: "/", dir: pages },
  ];
  server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url, "http://host").pathname);
    const { prefix, dir } = routes.find(({ prefix }) => path.startsWith(prefix));
    const file = normalize(join(dir, path.slice(prefix.length)));
    if (!file.startsWith(dir) || !existsSync(file)) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { "content-type": types[extname(file)] ?? "application/octet-stream" });
    response.end(readFileSync(file));
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${server.address().port}`;
  browser = await chromium.launch({
    executablePath,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
});

after(async () => {
  await browser?.close();
  server?.close();
  rmSync(viteOut, { recursive: true, force: true });
});

/** Opens `path` in a fresh context and returns the checks the page reports. */
async function checksOf(path) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (error) => problems.push(error.message));
  page.on("console", (message) => message.type() === "error" && problems.push(message.text()));
  await page.goto(origin + path);
  const result = await page.waitForFunction(() => window.weftResult, null, { timeout: 30_000 });
  const checks = await result.jsonValue();
  await context.close();
  assert.deepEqual(problems, []);
  return checks;
}

const everything = { synced: true, utf16: true, undo: true, indexedDb: true };

test("a plain ES-module page imports weft and uses it at once", async () => {
  assert.deepEqual(await checksOf("/plain/index.html"), everything);
});

test('"weft/web" refuses before init() and fetches its .wasm on init()', async () => {
  assert.deepEqual(await checksOf("/plain/web.html"), { ...everything, refusedBeforeInit: true });
});

test("a page built by Vite with no configuration works", async () => {
  assert.deepEqual(await checksOf("/vite/index.html"), everything);
});
