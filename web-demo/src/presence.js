// Who else is here and where their cursor is. Each tab publishes its name, colour and
// selection through awareness; the selection travels as weft cursors, which name
// characters rather than positions, so a peer's caret stays on the right word while
// others type before it.
import { StateEffect } from "@codemirror/state";
import { Decoration, ViewPlugin, WidgetType } from "@codemirror/view";
import { Cursor } from "weft";

const refresh = StateEffect.define();

function toBase64(bytes) {
  return btoa(String.fromCharCode(...bytes));
}

function fromBase64(text) {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

class Caret extends WidgetType {
  constructor(name, color) {
    super();
    this.name = name;
    this.color = color;
  }

  eq(other) {
    return other.name === this.name && other.color === this.color;
  }

  toDOM() {
    const caret = document.createElement("span");
    caret.className = "remote-caret";
    caret.style.borderColor = this.color;
    const label = document.createElement("span");
    label.className = "remote-name";
    label.style.background = this.color;
    label.textContent = this.name;
    caret.append(label);
    return caret;
  }
}

/** Where a published cursor is in this tab, if its character has arrived. */
function place(doc, encoded) {
  try {
    return doc.getCursorPosition(Cursor.decode(fromBase64(encoded)));
  } catch {
    return undefined;
  }
}

export function presence(doc, text, awareness) {
  return ViewPlugin.fromClass(
    class {
      constructor(view) {
        this.decorations = this.build(view);
        this.stop = awareness.on("change", () => {
          // Awareness changes arrive outside CodeMirror: ask for a redraw.
          queueMicrotask(() => view.dispatch({ effects: refresh.of(null) }));
        });
        this.publish(view);
      }

      update(update) {
        if (update.selectionSet || update.docChanged || update.focusChanged) this.publish(update.view);
        this.decorations = this.build(update.view);
      }

      publish(view) {
        const { anchor, head } = view.state.selection.main;
        awareness.setLocalStateField("selection", {
          anchor: toBase64(text.getCursor(anchor).encode()),
          head: toBase64(text.getCursor(head).encode()),
        });
      }

      build(view) {
        const length = view.state.doc.length;
        const marks = [];
        for (const [client, state] of awareness.getStates()) {
          if (client === awareness.clientId || !state?.selection) continue;
          const anchor = place(doc, state.selection.anchor);
          const head = place(doc, state.selection.head);
          if (anchor === undefined || head === undefined || head > length || anchor > length) continue;
          const color = state.color ?? "#4f46e5";
          if (anchor !== head) {
            const [from, to] = anchor < head ? [anchor, head] : [head, anchor];
            marks.push([from, to, Decoration.mark({ attributes: { style: `background: ${color}33` } })]);
          }
          marks.push([head, head, Decoration.widget({ widget: new Caret(state.name ?? "someone", color), side: 1 })]);
        }
        return Decoration.set(
          marks.map(([from, to, decoration]) => decoration.range(from, to)),
          true,
        );
      }

      destroy() {
        this.stop();
      }
    },
    { decorations: (plugin) => plugin.decorations },
  );
}
