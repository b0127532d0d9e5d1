// Follows a document's change stream on a relay (GET /changes, Server-Sent Events):
// for server-side consumers such as indexers, notifications and agents. Works
// wherever fetch streams its body (Node 18+, browsers), and resumes by itself after
// a dropped connection, from the last change it delivered.

const decoder = new TextDecoder();

/** The relay's HTTP base from a ws(s):// or http(s):// URL, without a path. */
function httpBase(url) {
  const parsed = new URL(url);
  if (parsed.protocol === "ws:") parsed.protocol = "http:";
  if (parsed.protocol === "wss:") parsed.protocol = "https:";
  return parsed.origin;
}

function hex(bytes) {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** Splits a Server-Sent Events body into events, however its chunks fall. */
class SseParser {
  #buffer = "";

  feed(text) {
    this.#buffer = (this.#buffer + text).replaceAll("\r\n", "\n");
    const events = [];
    let end;
    while ((end = this.#buffer.indexOf("\n\n")) >= 0) {
      const block = this.#buffer.slice(0, end);
      this.#buffer = this.#buffer.slice(end + 2);
      let type = "message";
      let id = null;
      const data = [];
      for (const line of block.split("\n")) {
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? "" : line.slice(colon + 1);
        if (value.startsWith(" ")) value = value.slice(1);
        if (field === "event") type = value;
        else if (field === "id") id = value;
        else if (field === "data") data.push(value);
      }
      if (data.length > 0) {
        events.push({ type, id, data: JSON.parse(data.join("\n")) });
      }
    }
    return events;
  }
}

const sleep = (ms, signal) =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });

/**
 * Follows `doc` on the relay at `url`; see index.d.ts. An async iterable of
 * `{ type, seq, data }` events, closed with `close()`.
 */
export function subscribeChanges(url, doc, options = {}) {
  const base = httpBase(url);
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const controller = new AbortController();
  options.signal?.addEventListener("abort", () => controller.abort());
  let from = options.from ?? (options.version || options.cursor ? undefined : "now");

  async function token() {
    return typeof options.token === "function" ? options.token() : options.token;
  }

  async function* events() {
    let failures = 0;
    let version = options.version;
    while (!controller.signal.aborted) {
      const params = new URLSearchParams({ doc });
      if (from !== undefined) params.set("from", String(from));
      else if (version) params.set("version", hex(version));
      else params.set("cursor", options.cursor);
      const secret = await token();
      if (secret !== undefined) params.set("token", secret);
      let response;
      try {
        response = await fetchImpl(`${base}/changes?${params}`, {
          headers: { accept: "text/event-stream" },
          signal: controller.signal,
        });
      } catch (error) {
        if (controller.signal.aborted) return;
        failures += 1;
        await sleep(Math.min(10_000, 250 * 2 ** failures), controller.signal);
        continue;
      }
      if (!response.ok) {
        const text = (await response.text()).trim();
        throw new Error(`the relay refused the change stream (${response.status}): ${text}`);
      }
      failures = 0;
      const parser = new SseParser();
      const reader = response.body.getReader();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          for (const event of parser.feed(decoder.decode(value, { stream: true }))) {
            const seq = event.data.seq ?? (event.id === null ? undefined : Number(event.id));
            // A dropped connection resumes after the last change delivered; with a
            // cursor, after the last one acknowledged, which the relay keeps (and
            // with etcd every relay of a mesh: sequence numbers are each relay's own).
            if (options.cursor === undefined && (event.type === "change" || event.type === "snapshot")) {
              from = seq;
              version = undefined;
            }
            yield { type: event.type, seq, data: event.data };
          }
        }
      } catch (error) {
        if (controller.signal.aborted) return;
      }
      if (options.cursor !== undefined) {
        from = undefined;
        version = undefined;
      } else if (from === undefined) {
        from = "now";
      }
      failures += 1;
      await sleep(Math.min(10_000, 250 * 2 ** failures), controller.signal);
    }
  }

  const iterator = events();
  return {
    [Symbol.asyncIterator]: () => iterator,
    /** Stores that this consumer processed the document up to `seq` (with `cursor`). */
    async ack(seq) {
      if (options.cursor === undefined) {
        throw new Error("ack needs the cursor option: a named cursor stores where a consumer is");
      }
      const params = new URLSearchParams({ doc, name: options.cursor, seq: String(seq) });
      const secret = await token();
      if (secret !== undefined) params.set("token", secret);
      const response = await fetchImpl(`${base}/cursors?${params}`, { method: "POST" });
      if (!response.ok) {
        throw new Error(`the relay refused the acknowledgement (${response.status})`);
      }
    },
    close() {
      controller.abort();
    },
  };
}
