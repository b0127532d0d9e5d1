//! `Text`: a text container, with JavaScript's UTF-16 positions.

use std::rc::Rc;

use wasm_bindgen::prelude::{JsValue, wasm_bindgen};
use weft_core::ContainerId;
use weft_core::doc::Side;

use crate::cursor::Cursor;
use crate::shared::Shared;
use crate::{error, utf16};

/// A text inside a document. Positions and lengths count UTF-16 code units, as
/// JavaScript strings do.
#[wasm_bindgen]
pub struct Text {
    pub(crate) shared: Rc<Shared>,
    pub(crate) id: ContainerId,
}

impl Text {
    pub(crate) fn new(shared: Rc<Shared>, id: ContainerId) -> Self {
        Self { shared, id }
    }

    fn chars(&self, units: u32) -> Result<u64, JsValue> {
        utf16::to_chars(self.shared.doc().text(&self.id), units).map_err(error)
    }
}

#[wasm_bindgen]
impl Text {
    /// Inserts `text` at `index`.
    pub fn insert(&self, index: u32, text: &str) -> Result<(), JsValue> {
        let position = self.chars(index)?;
        self.shared
            .edit(|tx| tx.text_insert(&self.id, position, text))
    }

    /// Deletes `length` code units from `index` on.
    pub fn delete(&self, index: u32, length: u32) -> Result<(), JsValue> {
        let start = self.chars(index)?;
        let end = self.chars(index.saturating_add(length))?;
        if end == start {
            return Ok(());
        }
        self.shared
            .edit(|tx| tx.text_delete(&self.id, start, end - start))
    }

    /// The text's length in UTF-16 code units.
    #[wasm_bindgen(getter)]
    pub fn length(&self) -> u32 {
        utf16::len(self.shared.doc().text(&self.id))
    }

    /// The text.
    #[wasm_bindgen(js_name = toString)]
    pub fn to_js_string(&self) -> String {
        self.shared
            .doc()
            .text(&self.id)
            .map_or_else(String::new, ToString::to_string)
    }

    /// The text, for `JSON.stringify`.
    #[wasm_bindgen(js_name = toJSON)]
    pub fn to_json(&self) -> String {
        self.to_js_string()
    }

    /// A cursor before the character at `index` (`side` 1, the default), or after
    /// the character before it (`side` -1).
    #[wasm_bindgen(js_name = getCursor)]
    pub fn get_cursor(&self, index: u32, side: Option<i32>) -> Result<Cursor, JsValue> {
        let side = match side {
            None | Some(1) => Side::Before,
            Some(-1) => Side::After,
            Some(_) => return Err(error(weft_core::Error::Invalid("side is 1 or -1"))),
        };
        let position = self.chars(index)?;
        let cursor = self
            .shared
            .doc()
            .cursor(&self.id, position, side)
            .map_err(error)?;
        Ok(Cursor::new(cursor))
    }
}
