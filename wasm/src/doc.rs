//! `Doc`: a weft document for JavaScript.

use std::rc::Rc;

use js_sys::{Function, Reflect, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::{JsValue, wasm_bindgen};
use weft_core::{ContainerId, Document, Error, ReplicaId, SnapshotMode, VersionVector, codec};

use crate::counter::Counter;
use crate::cursor::Cursor;
use crate::list::{List, MovableList};
use crate::map::Map;
use crate::shared::Shared;
use crate::text::Text;
use crate::{error, json};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = Math)]
    fn random() -> f64;
}

/// A random 53-bit replica id, the way Yjs and Loro pick theirs.
fn random_peer() -> u64 {
    let high = (random() * f64::from(1u32 << 21)) as u64;
    let low = (random() * f64::from(u32::MAX)) as u64;
    (high << 32 | low).max(1)
}

/// The `peerId` of an options object: a bigint or a safe integer, else random.
fn peer_of(options: &JsValue) -> Result<ReplicaId, JsValue> {
    let peer = if options.is_object() {
        Reflect::get(options, &"peerId".into())?
    } else {
        JsValue::UNDEFINED
    };
    if peer.is_undefined() {
        return Ok(ReplicaId::new(random_peer()));
    }
    let id = if peer.is_bigint() {
        u64::try_from(peer).ok()
    } else {
        peer.as_f64()
            .filter(|id| id.fract() == 0.0 && *id >= 0.0 && *id <= 9_007_199_254_740_991.0)
            .map(|id| id as u64)
    };
    match id {
        Some(id) if id > 0 => Ok(ReplicaId::new(id)),
        _ => Err(error(Error::Invalid(
            "peerId is a positive bigint or safe integer",
        ))),
    }
}

fn bytes(data: &[u8]) -> Uint8Array {
    Uint8Array::from(data)
}

/// A replica of a document: named root containers, synced as one.
#[wasm_bindgen]
pub struct Doc {
    shared: Rc<Shared>,
}

impl Doc {
    pub(crate) fn shared(&self) -> &Rc<Shared> {
        &self.shared
    }

    fn refuse_inside_transaction(&self, what: &'static str) -> Result<(), JsValue> {
        if self.shared.doc().in_transaction() {
            return Err(error(Error::Invalid(what)));
        }
        Ok(())
    }
}

#[wasm_bindgen]
impl Doc {
    /// A new, empty document, edited as `options.peerId` (random if not given).
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<Doc, JsValue> {
        let replica = peer_of(&options)?;
        Ok(Doc {
            shared: Shared::new(Document::new(replica)),
        })
    }

    /// The replica this document edits as.
    #[wasm_bindgen(getter, js_name = peerId)]
    pub fn peer_id(&self) -> u64 {
        self.shared.doc().replica().get()
    }

    /// The root text `name`.
    #[wasm_bindgen(js_name = getText)]
    pub fn get_text(&self, name: &str) -> Text {
        Text::new(Rc::clone(&self.shared), ContainerId::text(name))
    }

    /// The root map `name`.
    #[wasm_bindgen(js_name = getMap)]
    pub fn get_map(&self, name: &str) -> Map {
        Map::new(Rc::clone(&self.shared), ContainerId::map(name))
    }

    /// The root list `name`.
    #[wasm_bindgen(js_name = getList)]
    pub fn get_list(&self, name: &str) -> List {
        List::new(Rc::clone(&self.shared), ContainerId::list(name))
    }

    /// The root movable list `name`.
    #[wasm_bindgen(js_name = getMovableList)]
    pub fn get_movable_list(&self, name: &str) -> MovableList {
        MovableList::new(Rc::clone(&self.shared), ContainerId::movable_list(name))
    }

    /// The root counter `name`.
    #[wasm_bindgen(js_name = getCounter)]
    pub fn get_counter(&self, name: &str) -> Counter {
        Counter::new(Rc::clone(&self.shared), ContainerId::counter(name))
    }

    /// Runs `edit`: its edits become one change and one event per container. Nested
    /// calls join the outer one. Returns what `edit` returns; if it throws, the edits
    /// made so far stay (as in Yjs) and the exception goes on.
    pub fn transact(&self, edit: &Function, origin: JsValue) -> Result<JsValue, JsValue> {
        if self.shared.doc().in_transaction() {
            return edit.call0(&JsValue::UNDEFINED);
        }
        self.shared
            .doc_mut()
            .begin(origin.as_string().as_deref())
            .map_err(error)?;
        let result = edit.call0(&JsValue::UNDEFINED);
        self.shared.doc_mut().commit();
        let dispatched = self.shared.dispatch(&origin, true);
        let value = result?;
        dispatched?;
        Ok(value)
    }

    /// Calls `listener` on `"update"` (update bytes, origin, local) or `"change"`
    /// (container events, origin, local).
    #[wasm_bindgen(js_name = on)]
    pub fn add_listener(&self, event: &str, listener: Function) -> Result<(), JsValue> {
        match event {
            "update" => self.shared.on_update(listener),
            "change" => self.shared.on_change(listener),
            _ => {
                return Err(error(Error::Invalid(
                    "events are \"update\" and \"change\"",
                )));
            }
        }
        Ok(())
    }

    /// Stops calling `listener`.
    #[wasm_bindgen(js_name = off)]
    pub fn remove_listener(&self, _event: &str, listener: &Function) {
        self.shared.off(listener);
    }

    /// What this document holds, encoded: what a peer passes as `from` to export
    /// exactly what this side lacks.
    pub fn version(&self) -> Uint8Array {
        bytes(&codec::encode(self.shared.doc().version()))
    }

    /// What this document holds as a version vector: each replica's id and how many
    /// of its changes are here.
    #[wasm_bindgen(js_name = versionVector)]
    pub fn version_vector(&self) -> js_sys::Map {
        version_map(self.shared.doc().version())
    }

    /// An update (`{ mode: "update", from? }`), a snapshot (`{ mode: "snapshot" }`)
    /// or a snapshot without history (`{ mode: "shallow-snapshot" }`).
    pub fn export(&self, options: JsValue) -> Result<Uint8Array, JsValue> {
        self.refuse_inside_transaction("export after transact, not inside it")?;
        let mode = Reflect::get(&options, &"mode".into())?.as_string();
        let doc = self.shared.doc();
        let exported = match mode.as_deref() {
            Some("update") => {
                let from = Reflect::get(&options, &"from".into())?;
                let from = if from.is_undefined() {
                    VersionVector::new()
                } else {
                    let from: Uint8Array = from.dyn_into().map_err(|_| {
                        error(Error::Invalid("from is a Uint8Array from version()"))
                    })?;
                    codec::decode(&from.to_vec()).map_err(error)?
                };
                doc.export_update(&from).map_err(error)?
            }
            Some("snapshot") => doc.export_snapshot(SnapshotMode::Full),
            Some("shallow-snapshot") => doc.export_snapshot(SnapshotMode::Shallow),
            _ => {
                return Err(error(Error::Invalid(
                    "mode is \"update\", \"snapshot\" or \"shallow-snapshot\"",
                )));
            }
        };
        Ok(bytes(&exported))
    }

    /// Applies an update or a snapshot from any replica, in any order.
    pub fn import(&self, update: &[u8], origin: JsValue) -> Result<(), JsValue> {
        self.refuse_inside_transaction("import after transact, not inside it")?;
        let imported = self
            .shared
            .doc_mut()
            .import(update, origin.as_string().as_deref());
        self.shared.dispatch(&origin, false)?;
        imported.map(|_| ()).map_err(error)
    }

    /// How many received changes wait for changes not seen yet.
    #[wasm_bindgen(getter, js_name = pendingCount)]
    pub fn pending_count(&self) -> u32 {
        self.shared.doc().pending_len() as u32
    }

    /// Where `cursor` is now, in UTF-16 code units; undefined if its character has not
    /// reached this replica.
    #[wasm_bindgen(js_name = getCursorPosition)]
    pub fn get_cursor_position(&self, cursor: &Cursor) -> Option<u32> {
        let doc = self.shared.doc();
        let position = doc.cursor_position(cursor.inner())?;
        Some(crate::utf16::to_units(
            doc.text(&cursor.inner().container),
            position,
        ))
    }

    /// Every root container as plain data.
    #[wasm_bindgen(js_name = toJSON)]
    pub fn to_json(&self) -> JsValue {
        json::of_document(&self.shared.doc())
    }
}

/// A version vector as JS sees it: replica (bigint) to counter.
pub(crate) fn version_map(version: &weft_core::VersionVector) -> js_sys::Map {
    let vector = js_sys::Map::new();
    for (replica, counter) in version.iter() {
        vector.set(
            &JsValue::from(replica.get()),
            &JsValue::from_f64(counter as f64),
        );
    }
    vector
}
