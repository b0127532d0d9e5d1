//! Containers as plain JavaScript data, by way of the core's JSON view.

use wasm_bindgen::JsValue;
use weft_core::{ContainerId, Document};

/// Container `id` as plain data.
pub fn of(doc: &Document, id: &ContainerId) -> JsValue {
    parse(&doc.view_of(id).to_json())
}

/// The whole document as plain data.
pub fn of_document(doc: &Document) -> JsValue {
    parse(&doc.view().to_json())
}

fn parse(json: &str) -> JsValue {
    // The core writes valid JSON.
    js_sys::JSON::parse(json).unwrap_or(JsValue::NULL)
}
