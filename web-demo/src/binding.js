// Keeps a CodeMirror editor and a weft text identical, both ways. Edits typed here
// become weft transactions with the editor's origin (so the undo manager tracks them
// and the observer below skips them); every other change of the text (peers, undo,
// IndexedDB) becomes a CodeMirror change annotated as coming from weft, so it is not
// sent back.
import { Annotation } from "@codemirror/state";
import { ViewPlugin, keymap } from "@codemirror/view";

export const EDITOR_ORIGIN = "editor";

const fromWeft = Annotation.define();

/** CodeMirror changes, in the old document's positions, for a weft text delta. */
function changesOf(delta) {
  const changes = [];
  let at = 0;
  for (const op of delta) {
    if ("retain" in op) {
      at += op.retain;
    } else if ("delete" in op) {
      changes.push({ from: at, to: at + op.delete });
      at += op.delete;
    } else {
      changes.push({ from: at, insert: op.insert });
    }
  }
  return changes;
}

export function weftBinding(doc, text, undoManager) {
  const sync = ViewPlugin.fromClass(
    class {
      constructor(view) {
        this.stop = text.observe((event) => {
          if (event.origin === EDITOR_ORIGIN) return;
          view.dispatch({ changes: changesOf(event.delta), annotations: fromWeft.of(true) });
        });
      }

      update(update) {
        for (const transaction of update.transactions) {
          if (!transaction.docChanged || transaction.annotation(fromWeft)) continue;
          // Each transaction's positions refer to the document before it, which is
          // what the weft text holds at this point.
          doc.transact(() => {
            let shift = 0;
            transaction.changes.iterChanges((fromA, toA, _fromB, _toB, inserted) => {
              const from = fromA + shift;
              if (toA > fromA) text.delete(from, toA - fromA);
              if (inserted.length > 0) text.insert(from, inserted.toString());
              shift += inserted.length - (toA - fromA);
            });
          }, EDITOR_ORIGIN);
        }
      }

      destroy() {
        this.stop();
      }
    },
  );
  const undoKeys = keymap.of([
    { key: "Mod-z", run: () => (undoManager.undo(), true), preventDefault: true },
    { key: "Mod-y", run: () => (undoManager.redo(), true), preventDefault: true },
    { key: "Mod-Shift-z", run: () => (undoManager.redo(), true), preventDefault: true },
  ]);
  return [sync, undoKeys];
}
