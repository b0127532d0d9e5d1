//! `Map`: a map container of a `Doc`.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::JsValue;
use wasm_bindgen::prelude::{JsError, wasm_bindgen};
use weft_core::{ContainerId, Document};

use crate::value::{from_js, to_js};

/// String keys to values; concurrent writes to one key: the later one wins.
#[wasm_bindgen]
pub struct Map {
    doc: Rc<RefCell<Document>>,
    id: ContainerId,
}

impl Map {
    pub(crate) fn new(doc: Rc<RefCell<Document>>, id: ContainerId) -> Self {
        Self { doc, id }
    }
}

#[wasm_bindgen]
impl Map {
    /// Sets `key` to a string, number, boolean or null.
    pub fn set(&self, key: &str, value: JsValue) -> Result<(), JsError> {
        let value = from_js(&value)?;
        self.doc
            .borrow_mut()
            .transact(None, |tx| tx.map_set(&self.id, key, value))?;
        Ok(())
    }

    /// The value of `key`, or undefined.
    pub fn get(&self, key: &str) -> JsValue {
        self.doc
            .borrow()
            .map_get(&self.id, key)
            .map_or(JsValue::UNDEFINED, to_js)
    }

    /// Deletes `key`.
    pub fn delete(&self, key: &str) -> Result<(), JsError> {
        self.doc
            .borrow_mut()
            .transact(None, |tx| tx.map_delete(&self.id, key))?;
        Ok(())
    }
}
