// What the browser tests run inside a page, the way an app would: two documents
// syncing (emoji included), undo and IndexedDB persistence. The page passes in the
// weft module it imported; the checks land in window.weftResult for the test to read.
export async function exercise(weft) {
  const checks = {};
  const a = new weft.Doc({ peerId: 1n });
  const b = new weft.Doc({ peerId: 2n });
  a.on("update", (update, _origin, local) => local && b.import(update));
  b.on("update", (update, _origin, local) => local && a.import(update));
  a.getText("t").insert(0, "hello 🌍");
  b.getText("t").insert(0, "> ");
  checks.synced = a.getText("t").toString() === "> hello 🌍" && b.getText("t").toString() === a.getText("t").toString();
  checks.utf16 = a.getText("t").length === "> hello 🌍".length;

  const undo = new weft.UndoManager(a, { mergeInterval: 0 });
  a.getText("t").insert(0, "typo");
  undo.undo();
  checks.undo = b.getText("t").toString() === "> hello 🌍";

  const name = `weft-browser-${Math.random().toString(36).slice(2)}`;
  const stored = new weft.IndexedDbPersistence(name, a);
  await stored.whenSynced;
  a.getMap("m").set("saved", true);
  await stored.destroy();
  const reloaded = new weft.Doc({ peerId: 3n });
  const loading = new weft.IndexedDbPersistence(name, reloaded);
  await loading.whenSynced;
  checks.indexedDb = reloaded.getMap("m").get("saved") === true && reloaded.getText("t").toString() === "> hello 🌍";
  await loading.clearData();

  window.weftResult = checks;
}
