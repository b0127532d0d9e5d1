// The demo end to end: the relay serving the built demo, two Chromium pages on one
// document typing at once, one going offline and back, both ending with the same
// text and each seeing the other's cursor. A screenshot is kept as an artifact.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync } from "node:fs";
import { createInterface } from "node:readline";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const root = fileURLToPath(new URL("../..", import.meta.url));
const relayBinary = process.env.WEFT_RELAY ?? join(root, "target", "debug", "weft-relay");
const artifacts = join(root, "target", "artifacts");

let relay;
let origin;
let browser;

before(async () => {
  assert.ok(existsSync(relayBinary), `build the relay first: ${relayBinary}`);
  assert.ok(existsSync(join(root, "web-demo", "dist", "index.html")), "build the demo first");
  relay = spawn(relayBinary, [
    "serve", "--port", "0",
    "--data-dir", mkdtempSync(join(tmpdir(), "weft-demo-")),
    "--static-dir", join(root, "web-demo", "dist"),
  ]);
  origin = await new Promise((resolve, reject) => {
    relay.on("exit", (code) => reject(new Error(`the relay exited with ${code}`)));
    createInterface({ input: relay.stdout }).on("line", (line) => {
      const address = line.match(/"address":"([^"]+)"/);
      if (address) resolve(`http://${address[1]}`);
    });
  });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
});

after(async () => {
  await browser?.close();
  relay?.kill();
});

async function open(url) {
  const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (error) => problems.push(error.message));
  await page.goto(url);
  await page.waitForSelector('#status[data-status="synced"]', { timeout: 15_000 });
  return { page, problems };
}

const textOf = (page) => page.evaluate(() => window.weftDemo.text.toString());

test("two pages edit one document, one of them offline for a while, and converge", async () => {
  const a = await open(`${origin}/`);
  const id = new URL(a.page.url()).searchParams.get("doc");
  assert.match(id, /^[0-9a-f]{8}$/, "a new document gets an id in the URL");
  const b = await open(`${origin}/?doc=${id}`);

  // Both type at the same time. Where one page's caret lands when it clicks depends
  // on what it has seen of the other's typing, so either run may end up inside the
  // other; each stays whole.
  const fromA = "Hello from A. ";
  const fromB = "Greetings from B. ";
  await Promise.all([
    a.page.locator(".cm-content").click().then(() => a.page.keyboard.type(fromA, { delay: 5 })),
    b.page.locator(".cm-content").click().then(() => b.page.keyboard.type(fromB, { delay: 5 })),
  ]);
  const typed = fromA.length + fromB.length;
  for (const { page } of [a, b]) {
    await page.waitForFunction((length) => window.weftDemo.text.toString().length === length, typed);
  }
  const merged = await textOf(a.page);
  assert.equal(await textOf(b.page), merged);
  assert.ok(merged.replace(fromB, "") === fromA || merged.replace(fromA, "") === fromB, merged);

  // B goes offline and keeps typing; A types too; B comes back.
  await b.page.locator("#offline").check();
  await b.page.waitForSelector('#status[data-status="offline"]');
  await b.page.locator(".cm-content").click();
  await b.page.keyboard.press("End");
  await b.page.keyboard.type(" Written offline.", { delay: 5 });
  await a.page.keyboard.type(" A kept going.", { delay: 5 });
  assert.ok(!(await textOf(a.page)).includes("Written offline."), "B was really offline");
  await b.page.locator("#offline").uncheck();
  await b.page.waitForSelector('#status[data-status="synced"]', { timeout: 15_000 });
  await a.page.waitForFunction(() => window.weftDemo.text.toString().includes("Written offline."));
  await b.page.waitForFunction(() => window.weftDemo.text.toString().includes("A kept going."));
  assert.equal(await textOf(a.page), await textOf(b.page));

  // Each page shows the other's caret, with its name.
  const bName = await b.page.evaluate(() => window.weftDemo.awareness.getLocalState().name);
  await a.page.waitForSelector(`.remote-caret .remote-name:text("${bName}")`, { timeout: 10_000 });
  mkdirSync(artifacts, { recursive: true });
  await a.page.screenshot({ path: join(artifacts, "web-demo.png") });
  assert.deepEqual([...a.problems, ...b.problems], []);
});

test("undo takes back this page's typing only", async () => {
  const a = await open(`${origin}/?doc=undo-check`);
  const b = await open(`${origin}/?doc=undo-check`);
  await a.page.locator(".cm-content").click();
  await a.page.keyboard.type("mine", { delay: 5 });
  await b.page.waitForFunction(() => window.weftDemo.text.toString() === "mine");
  await b.page.locator(".cm-content").click();
  await b.page.keyboard.press("End");
  await b.page.keyboard.type(" theirs", { delay: 5 });
  await a.page.waitForFunction(() => window.weftDemo.text.toString() === "mine theirs");
  await a.page.keyboard.press("Control+z");
  await a.page.waitForFunction(() => window.weftDemo.text.toString() === " theirs");
  await b.page.waitForFunction(() => window.weftDemo.text.toString() === " theirs");
});

test("edits made offline survive a reload and reach the others afterwards", async () => {
  const a = await open(`${origin}/?doc=reload-check`);
  const b = await open(`${origin}/?doc=reload-check`);
  await a.page.locator("#offline").check();
  await a.page.locator(".cm-content").click();
  await a.page.keyboard.type("kept locally", { delay: 5 });
  // IndexedDB writes are asynchronous: let them land before the page goes away.
  await a.page.waitForTimeout(300);
  assert.equal(await textOf(b.page), "", "nothing left the offline page");
  await a.page.reload();
  await a.page.waitForSelector('#status[data-status="synced"]', { timeout: 15_000 });
  assert.equal(await textOf(a.page), "kept locally");
  await b.page.waitForFunction(() => window.weftDemo.text.toString() === "kept locally");
});
