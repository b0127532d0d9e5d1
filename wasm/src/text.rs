//! `Text`: a text container of a `Doc`, with JavaScript's UTF-16 positions.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::prelude::{JsError, wasm_bindgen};
use weft_core::{ContainerId, Document};

use crate::utf16;

/// A text inside a document. Positions and lengths count UTF-16 code units, as
/// JavaScript strings do.
#[wasm_bindgen]
pub struct Text {
    doc: Rc<RefCell<Document>>,
    id: ContainerId,
}

impl Text {
    pub(crate) fn new(doc: Rc<RefCell<Document>>, id: ContainerId) -> Self {
        Self { doc, id }
    }

    fn content(&self) -> String {
        self.doc
            .borrow()
            .text(&self.id)
            .map_or_else(String::new, ToString::to_string)
    }
}

#[wasm_bindgen]
impl Text {
    /// Inserts `text` at `index`.
    pub fn insert(&self, index: u32, text: &str) -> Result<(), JsError> {
        let position = utf16::char_index(&self.content(), index)?;
        self.doc
            .borrow_mut()
            .transact(None, |tx| tx.text_insert(&self.id, position, text))?;
        Ok(())
    }

    /// Deletes `len` code units from `index` on.
    pub fn delete(&self, index: u32, len: u32) -> Result<(), JsError> {
        let content = self.content();
        let start = utf16::char_index(&content, index)?;
        let end = utf16::char_index(&content, index.saturating_add(len))?;
        if end > start {
            self.doc
                .borrow_mut()
                .transact(None, |tx| tx.text_delete(&self.id, start, end - start))?;
        }
        Ok(())
    }

    /// The text's length in UTF-16 code units.
    #[wasm_bindgen(getter)]
    pub fn length(&self) -> u32 {
        utf16::len(&self.content())
    }

    /// The text.
    #[wasm_bindgen(js_name = toString)]
    pub fn to_js_string(&self) -> String {
        self.content()
    }
}
