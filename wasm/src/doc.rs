//! `Doc`: a weft document for JavaScript.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::prelude::{JsError, wasm_bindgen};
use weft_core::{ContainerId, Document, ReplicaId, SnapshotMode, VersionVector, codec};

use crate::counter::Counter;
use crate::map::Map;
use crate::text::Text;

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

/// A replica of a document: named containers, synced as one.
#[wasm_bindgen]
pub struct Doc {
    inner: Rc<RefCell<Document>>,
}

#[wasm_bindgen]
impl Doc {
    /// A new, empty document, edited as `peerId` (a random one if not given).
    #[wasm_bindgen(constructor)]
    pub fn new(peer_id: Option<u64>) -> Doc {
        let replica = ReplicaId::new(peer_id.unwrap_or_else(random_peer));
        Doc {
            inner: Rc::new(RefCell::new(Document::new(replica))),
        }
    }

    /// The replica this document edits as.
    #[wasm_bindgen(getter, js_name = peerId)]
    pub fn peer_id(&self) -> u64 {
        self.inner.borrow().replica().get()
    }

    /// The root text `name`.
    #[wasm_bindgen(js_name = getText)]
    pub fn get_text(&self, name: &str) -> Text {
        Text::new(Rc::clone(&self.inner), ContainerId::text(name))
    }

    /// The root map `name`.
    #[wasm_bindgen(js_name = getMap)]
    pub fn get_map(&self, name: &str) -> Map {
        Map::new(Rc::clone(&self.inner), ContainerId::map(name))
    }

    /// The root counter `name`.
    #[wasm_bindgen(js_name = getCounter)]
    pub fn get_counter(&self, name: &str) -> Counter {
        Counter::new(Rc::clone(&self.inner), ContainerId::counter(name))
    }

    /// The changes this document holds, encoded: what a peer passes to
    /// `exportUpdate` to receive exactly what it lacks.
    pub fn version(&self) -> Vec<u8> {
        codec::encode(self.inner.borrow().version())
    }

    /// Every change a document at `from` (a `version()`; nothing: an empty
    /// document) lacks.
    #[wasm_bindgen(js_name = exportUpdate)]
    pub fn export_update(&self, from: Option<Vec<u8>>) -> Result<Vec<u8>, JsError> {
        let from = match from {
            Some(bytes) => codec::decode::<VersionVector>(&bytes)?,
            None => VersionVector::new(),
        };
        Ok(self.inner.borrow().export_update(&from)?)
    }

    /// The whole document, history included.
    #[wasm_bindgen(js_name = exportSnapshot)]
    pub fn export_snapshot(&self) -> Vec<u8> {
        self.inner.borrow().export_snapshot(SnapshotMode::Full)
    }

    /// Applies an update or a snapshot from any replica, in any order.
    pub fn import(&self, bytes: &[u8]) -> Result<(), JsError> {
        self.inner.borrow_mut().import(bytes, None)?;
        Ok(())
    }

    /// The whole document as JSON text.
    #[wasm_bindgen(js_name = toJsonString)]
    pub fn to_json_string(&self) -> String {
        self.inner.borrow().view().to_json()
    }
}
