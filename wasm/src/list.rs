//! `List` and `MovableList`: sequence containers. Both read the same way; they differ
//! in how they are edited.

use std::rc::Rc;

use js_sys::Array;
use wasm_bindgen::prelude::{JsValue, wasm_bindgen};
use weft_core::{ContainerId, Document, Value};

use crate::shared::Shared;
use crate::{error, json, value};

/// The element at `index` for JavaScript.
fn element(shared: &Rc<Shared>, id: &ContainerId, index: u32) -> JsValue {
    let doc = shared.doc();
    element_of(shared, &doc, id, u64::from(index))
}

fn element_of(shared: &Rc<Shared>, doc: &Document, id: &ContainerId, index: u64) -> JsValue {
    match doc.list_get(id, index) {
        None => JsValue::UNDEFINED,
        Some(Value::Container(_)) => doc
            .list_child(id, index)
            .map_or(JsValue::NULL, |child| value::handle(shared, child)),
        Some(scalar) => value::scalar_to_js(scalar),
    }
}

fn elements(shared: &Rc<Shared>, id: &ContainerId) -> Array {
    let doc = shared.doc();
    (0..doc.list_len(id))
        .map(|index| element_of(shared, &doc, id, index))
        .collect()
}

fn length(shared: &Shared, id: &ContainerId) -> u32 {
    shared.doc().list_len(id) as u32
}

fn scalar(value: &JsValue) -> Result<Value, JsValue> {
    value::from_js(value).map_err(error)
}

/// A sequence of values; concurrent inserts at one place never interleave.
#[wasm_bindgen]
pub struct List {
    pub(crate) shared: Rc<Shared>,
    pub(crate) id: ContainerId,
}

impl List {
    pub(crate) fn new(shared: Rc<Shared>, id: ContainerId) -> Self {
        Self { shared, id }
    }
}

#[wasm_bindgen]
impl List {
    /// Inserts a scalar at `index`.
    pub fn insert(&self, index: u32, value: JsValue) -> Result<(), JsValue> {
        let value = scalar(&value)?;
        self.shared
            .edit(|tx| tx.list_insert(&self.id, u64::from(index), vec![value]))
    }

    /// Inserts a new container of `kind` at `index` and returns it.
    #[wasm_bindgen(js_name = insertContainer)]
    pub fn insert_container(&self, index: u32, kind: &str) -> Result<JsValue, JsValue> {
        let kind = value::kind(kind).map_err(error)?;
        let id = self
            .shared
            .edit(|tx| tx.list_insert_container(&self.id, u64::from(index), kind))?;
        Ok(value::handle(&self.shared, id))
    }

    /// Appends a scalar.
    pub fn push(&self, value: JsValue) -> Result<(), JsValue> {
        let value = scalar(&value)?;
        self.shared.edit(|tx| tx.list_push(&self.id, value))
    }

    /// Deletes `length` elements (1 if not given) from `index` on.
    pub fn delete(&self, index: u32, length: Option<u32>) -> Result<(), JsValue> {
        let length = u64::from(length.unwrap_or(1));
        self.shared
            .edit(|tx| tx.list_delete(&self.id, u64::from(index), length))
    }
}

/// A list whose elements can also be moved and replaced in place.
#[wasm_bindgen]
pub struct MovableList {
    pub(crate) shared: Rc<Shared>,
    pub(crate) id: ContainerId,
}

impl MovableList {
    pub(crate) fn new(shared: Rc<Shared>, id: ContainerId) -> Self {
        Self { shared, id }
    }
}

#[wasm_bindgen]
impl MovableList {
    /// Inserts a scalar at `index`.
    pub fn insert(&self, index: u32, value: JsValue) -> Result<(), JsValue> {
        let value = scalar(&value)?;
        self.shared
            .edit(|tx| tx.movable_insert(&self.id, u64::from(index), vec![value]))
    }

    /// Inserts a new container of `kind` at `index` and returns it.
    #[wasm_bindgen(js_name = insertContainer)]
    pub fn insert_container(&self, index: u32, kind: &str) -> Result<JsValue, JsValue> {
        let kind = value::kind(kind).map_err(error)?;
        let id = self
            .shared
            .edit(|tx| tx.movable_insert_container(&self.id, u64::from(index), kind))?;
        Ok(value::handle(&self.shared, id))
    }

    /// Appends a scalar.
    pub fn push(&self, value: JsValue) -> Result<(), JsValue> {
        let value = scalar(&value)?;
        let len = self.shared.doc().list_len(&self.id);
        self.shared
            .edit(|tx| tx.movable_insert(&self.id, len, vec![value]))
    }

    /// Deletes `length` elements (1 if not given) from `index` on.
    pub fn delete(&self, index: u32, length: Option<u32>) -> Result<(), JsValue> {
        let length = u64::from(length.unwrap_or(1));
        self.shared
            .edit(|tx| tx.movable_delete(&self.id, u64::from(index), length))
    }

    /// Moves the element at `from` so that it ends up at index `to`.
    #[wasm_bindgen(js_name = move)]
    pub fn move_element(&self, from: u32, to: u32) -> Result<(), JsValue> {
        self.shared
            .edit(|tx| tx.movable_move(&self.id, u64::from(from), u64::from(to)))
    }

    /// Replaces the element at `index` with a scalar.
    pub fn set(&self, index: u32, value: JsValue) -> Result<(), JsValue> {
        let value = scalar(&value)?;
        self.shared
            .edit(|tx| tx.movable_set(&self.id, u64::from(index), value))
    }
}

/// The reading side, the same for both kinds of list.
macro_rules! readable_sequence {
    ($($list:ident),*) => {$(
        #[wasm_bindgen]
        impl $list {
            /// The element at `index`, or undefined.
            pub fn get(&self, index: u32) -> JsValue {
                element(&self.shared, &self.id, index)
            }

            /// How many elements.
            #[wasm_bindgen(getter)]
            pub fn length(&self) -> u32 {
                length(&self.shared, &self.id)
            }

            /// The elements, containers as handles.
            #[wasm_bindgen(js_name = toArray)]
            pub fn to_array(&self) -> Array {
                elements(&self.shared, &self.id)
            }

            /// The list as JSON, nested containers included.
            #[wasm_bindgen(js_name = toJSON)]
            pub fn to_json(&self) -> JsValue {
                json::of(&self.shared.doc(), &self.id)
            }
        }
    )*};
}

readable_sequence!(List, MovableList);
