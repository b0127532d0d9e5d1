//! `Map`: a map container.

use std::rc::Rc;

use js_sys::Array;
use wasm_bindgen::prelude::{JsValue, wasm_bindgen};
use weft_core::ContainerId;

use crate::shared::Shared;
use crate::{error, json, value};

/// String keys to values; concurrent writes to one key: the later one wins.
#[wasm_bindgen]
pub struct Map {
    pub(crate) shared: Rc<Shared>,
    pub(crate) id: ContainerId,
}

impl Map {
    pub(crate) fn new(shared: Rc<Shared>, id: ContainerId) -> Self {
        Self { shared, id }
    }
}

#[wasm_bindgen]
impl Map {
    /// Sets `key` to a scalar.
    pub fn set(&self, key: &str, value: JsValue) -> Result<(), JsValue> {
        let value = value::from_js(&value).map_err(error)?;
        self.shared.edit(|tx| tx.map_set(&self.id, key, value))
    }

    /// Puts a new container of `kind` at `key` and returns it.
    #[wasm_bindgen(js_name = setContainer)]
    pub fn set_container(&self, key: &str, kind: &str) -> Result<JsValue, JsValue> {
        let kind = value::kind(kind).map_err(error)?;
        let id = self
            .shared
            .edit(|tx| tx.map_insert_container(&self.id, key, kind))?;
        Ok(value::handle(&self.shared, id))
    }

    /// The value at `key`, or undefined.
    pub fn get(&self, key: &str) -> JsValue {
        let found = self.shared.doc().map_get(&self.id, key).cloned();
        found.map_or(JsValue::UNDEFINED, |found| {
            value::map_value(&self.shared, &self.id, key, &found)
        })
    }

    /// Whether `key` has a value.
    pub fn has(&self, key: &str) -> bool {
        self.shared.doc().map_get(&self.id, key).is_some()
    }

    /// Deletes `key`.
    pub fn delete(&self, key: &str) -> Result<(), JsValue> {
        self.shared.edit(|tx| tx.map_delete(&self.id, key))
    }

    /// The keys, in order.
    pub fn keys(&self) -> Array {
        self.shared
            .doc()
            .map_entries(&self.id)
            .map(|(key, _)| JsValue::from_str(key))
            .collect()
    }

    /// How many keys have values.
    #[wasm_bindgen(getter)]
    pub fn size(&self) -> u32 {
        self.shared.doc().map_entries(&self.id).count() as u32
    }

    /// The map as JSON, nested containers included.
    #[wasm_bindgen(js_name = toJSON)]
    pub fn to_json(&self) -> JsValue {
        json::of(&self.shared.doc(), &self.id)
    }
}
