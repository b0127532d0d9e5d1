//! Core events as the JavaScript objects observers receive: text deltas in UTF-16
//! code units, list values with containers as handles, map keys in a `Map`.

use std::collections::BTreeMap;
use std::rc::Rc;

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::JsValue;
use weft_core::doc::{DeltaItem, Diff, DocEvent};
use weft_core::{ContainerId, Document, Value};

use crate::shared::Shared;
use crate::value;

/// Each container event of `event`, with the container it is about. `texts_before`
/// holds the texts whose positions differ from UTF-16 ones as they were before.
pub fn convert(
    shared: &Rc<Shared>,
    doc: &Document,
    event: &DocEvent,
    origin: &JsValue,
    texts_before: &BTreeMap<ContainerId, String>,
) -> Vec<(ContainerId, JsValue)> {
    let mut converted = Vec::new();
    for diff in &event.diffs {
        let target = &diff.target;
        let object = Object::new();
        set(&object, "target", &value::handle(shared, target.clone()));
        set(&object, "origin", origin);
        set(&object, "local", &JsValue::from_bool(event.local));
        match &diff.diff {
            Diff::Text(delta) => {
                set(&object, "kind", &"text".into());
                let before = texts_before.get(target).map(String::as_str);
                set(&object, "delta", &text_delta(delta, before));
            }
            Diff::List(delta) => {
                set(&object, "kind", &"list".into());
                set(&object, "delta", &list_delta(shared, doc, target, delta));
            }
            Diff::Map(keys) => {
                set(&object, "kind", &"map".into());
                let changed = js_sys::Map::new();
                for (key, new_value) in keys {
                    let new_value = new_value.as_ref().map_or(JsValue::UNDEFINED, |new_value| {
                        value::map_value(shared, target, key, new_value)
                    });
                    changed.set(&key.into(), &new_value);
                }
                set(&object, "keys", &changed);
            }
            Diff::Counter(increment) => {
                set(&object, "kind", &"counter".into());
                set(&object, "increment", &JsValue::from_f64(*increment as f64));
            }
            // Registers have no JavaScript type.
            Diff::Register(_) => continue,
        }
        converted.push((target.clone(), object.into()));
    }
    converted
}

fn set(object: &Object, key: &str, value: &JsValue) {
    // Setting a property of a fresh plain object cannot fail.
    let _ = Reflect::set(object, &key.into(), value);
}

fn item(key: &str, value: &JsValue) -> JsValue {
    let object = Object::new();
    set(&object, key, value);
    object.into()
}

/// A text delta in UTF-16 code units. Retained and deleted characters are measured in
/// the text as it was (`before`, when its positions differ from UTF-16 ones; else they
/// are equal), inserted ones in the inserted text.
fn text_delta(delta: &[DeltaItem<String>], before: Option<&str>) -> Array {
    let mut rest = before.map(str::chars);
    let mut units = |count: u64| match &mut rest {
        None => count,
        Some(chars) => chars
            .by_ref()
            .take(usize::try_from(count).unwrap_or(usize::MAX))
            .map(|c| c.len_utf16() as u64)
            .sum(),
    };
    let items = Array::new();
    for entry in delta {
        items.push(&match entry {
            DeltaItem::Retain(count) => item("retain", &JsValue::from_f64(units(*count) as f64)),
            DeltaItem::Delete(count) => item("delete", &JsValue::from_f64(units(*count) as f64)),
            DeltaItem::Insert(text) => item("insert", &text.into()),
        });
    }
    items
}

/// A list delta; inserted containers become handles, found at their index in the
/// list as it is now.
fn list_delta(
    shared: &Rc<Shared>,
    doc: &Document,
    target: &ContainerId,
    delta: &[DeltaItem<Vec<Value>>],
) -> Array {
    let items = Array::new();
    let mut index = 0u64;
    for entry in delta {
        items.push(&match entry {
            DeltaItem::Retain(count) => {
                index += count;
                item("retain", &JsValue::from_f64(*count as f64))
            }
            DeltaItem::Delete(count) => item("delete", &JsValue::from_f64(*count as f64)),
            DeltaItem::Insert(values) => {
                let inserted = Array::new();
                for element in values {
                    inserted.push(&match element {
                        Value::Container(_) => doc
                            .list_child(target, index)
                            .map_or(JsValue::NULL, |id| value::handle(shared, id)),
                        scalar => value::scalar_to_js(scalar),
                    });
                    index += 1;
                }
                item("insert", &inserted)
            }
        });
    }
    items
}
