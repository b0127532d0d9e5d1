// Built by Vite with no configuration and no plugin: "weft" must just work, imported
// by name as apps do (a bundler must keep the entry's loading of the module).
import { Doc, IndexedDbPersistence, UndoManager } from "weft";
import { exercise } from "../app.js";

exercise({ Doc, IndexedDbPersistence, UndoManager }).catch((error) => (window.weftResult = { error: String(error) }));
