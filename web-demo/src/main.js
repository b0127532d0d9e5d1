// The demo page: one weft document per URL, synced through the relay that serves
// this page, kept in IndexedDB, edited in CodeMirror.
import { EditorState } from "@codemirror/state";
import { EditorView, drawSelection, keymap } from "@codemirror/view";
import { defaultKeymap } from "@codemirror/commands";
import { Awareness, Doc, IndexedDbPersistence, UndoManager, WebSocketProvider } from "weft";

import { EDITOR_ORIGIN, weftBinding } from "./binding.js";
import { presence } from "./presence.js";

const NAMES = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Leslie", "Donald", "Margaret", "Ken", "Radia"];
const COLORS = ["#4f46e5", "#db2777", "#059669", "#d97706", "#0284c7", "#7c3aed", "#dc2626", "#0d9488"];
const pick = (items) => items[Math.floor(Math.random() * items.length)];

/** The document named in the URL, or a new one whose name goes into the URL. */
function documentId() {
  const url = new URL(location.href);
  let id = url.searchParams.get("doc");
  if (!id) {
    id = crypto.randomUUID().slice(0, 8);
    url.searchParams.set("doc", id);
    history.replaceState(null, "", url);
  }
  return id;
}

const id = documentId();
const doc = new Doc();
const text = doc.getText("body");
const persistence = new IndexedDbPersistence(`weft-demo-${id}`, doc);
const awareness = new Awareness(doc);
const me = { name: pick(NAMES), color: pick(COLORS) };
awareness.setLocalState(me);
const scheme = location.protocol === "https:" ? "wss" : "ws";
const provider = new WebSocketProvider(`${scheme}://${location.host}/sync`, id, doc, { awareness });
const undoManager = new UndoManager(doc, { origin: EDITOR_ORIGIN });

await persistence.whenSynced;
const view = new EditorView({
  parent: document.getElementById("editor"),
  state: EditorState.create({
    doc: text.toString(),
    extensions: [
      weftBinding(doc, text, undoManager),
      presence(doc, text, awareness),
      keymap.of(defaultKeymap),
      drawSelection(),
      EditorView.lineWrapping,
      EditorView.contentAttributes.of({ "aria-label": "Shared text" }),
    ],
  }),
});
view.focus();

// Status: offline by choice or by network, connecting/syncing, or synced.
const status = document.getElementById("status");
const offline = document.getElementById("offline");
function showStatus() {
  const [state, label] = offline.checked
    ? ["offline", "offline (editing locally)"]
    : provider.status !== "connected"
      ? ["connecting", provider.status === "connecting" ? "connecting" : "offline"]
      : provider.synced
        ? ["synced", "synced"]
        : ["connecting", "syncing"];
  status.dataset.status = state;
  status.textContent = label;
}
provider.on("status", showStatus);
provider.on("synced", showStatus);
offline.addEventListener("change", () => {
  if (offline.checked) provider.disconnect();
  else provider.connect();
  showStatus();
});
showStatus();

document.getElementById("copy").addEventListener("click", async (event) => {
  await navigator.clipboard.writeText(location.href);
  event.target.textContent = "Copied";
  setTimeout(() => (event.target.textContent = "Copy link"), 1500);
});
document.getElementById("open").href = location.href;

// The side panel: who is here, and the version vector.
function swatch(color) {
  const span = document.createElement("span");
  span.className = "swatch";
  span.style.background = color;
  return span;
}

function showPeers() {
  document.getElementById("me").replaceChildren(swatch(me.color), `${me.name} (replica ${doc.peerId})`);
  const items = [];
  for (const [client, state] of awareness.getStates()) {
    if (client === awareness.clientId || !state) continue;
    const item = document.createElement("li");
    item.append(swatch(state.color ?? "#999"), state.name ?? `replica ${client}`);
    items.push(item);
  }
  if (items.length === 0) {
    const alone = document.createElement("li");
    alone.textContent = "nobody else yet: open the link in another tab";
    items.push(alone);
  }
  document.getElementById("peers").replaceChildren(...items);
}

function showVersion() {
  const rows = [...doc.versionVector()].map(([replica, counter]) => {
    const row = document.createElement("tr");
    const name = document.createElement("td");
    name.textContent = replica === doc.peerId ? `${replica} (this tab)` : String(replica);
    const count = document.createElement("td");
    count.textContent = String(counter);
    row.append(name, count);
    return row;
  });
  document.getElementById("version").replaceChildren(...rows);
}

awareness.on("change", showPeers);
doc.on("update", showVersion);
showPeers();
showVersion();

// For the end-to-end test and for poking around in the console.
window.weftDemo = { doc, text, provider, awareness, view };
