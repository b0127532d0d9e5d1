//! `Cursor`: a position in a text that moves with the text's edits.

use js_sys::Uint8Array;
use wasm_bindgen::prelude::{JsValue, wasm_bindgen};
use weft_core::doc;

use crate::error;

/// A position in a text that follows local and remote edits. Ask a document where it
/// is with `doc.getCursorPosition(cursor)`.
#[wasm_bindgen]
pub struct Cursor {
    inner: doc::Cursor,
}

impl Cursor {
    pub(crate) fn new(inner: doc::Cursor) -> Self {
        Self { inner }
    }

    pub(crate) fn inner(&self) -> &doc::Cursor {
        &self.inner
    }
}

#[wasm_bindgen]
impl Cursor {
    /// The cursor as bytes, to store or send to peers.
    pub fn encode(&self) -> Uint8Array {
        Uint8Array::from(&self.inner.encode()[..])
    }

    /// Reads bytes `encode` wrote.
    pub fn decode(bytes: &[u8]) -> Result<Cursor, JsValue> {
        doc::Cursor::decode(bytes).map(Cursor::new).map_err(error)
    }
}
