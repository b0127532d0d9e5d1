//! Converting between JavaScript values and the core's values, containers included.

use std::rc::Rc;

use wasm_bindgen::{JsCast, JsValue};
use weft_core::{ContainerId, Error, Kind, Value};

use crate::counter::Counter;
use crate::list::{List, MovableList};
use crate::map::Map;
use crate::shared::Shared;
use crate::text::Text;

/// The core value for a JavaScript string, number, boolean, null or `Uint8Array`. A
/// number that is a safe integer becomes an integer, any other a float.
pub fn from_js(value: &JsValue) -> Result<Value, Error> {
    if value.is_null() || value.is_undefined() {
        return Ok(Value::Null);
    }
    if let Some(text) = value.as_string() {
        return Ok(Value::Str(text));
    }
    if let Some(flag) = value.as_bool() {
        return Ok(Value::Bool(flag));
    }
    if let Some(number) = value.as_f64() {
        const SAFE: f64 = 9_007_199_254_740_991.0;
        if number.fract() == 0.0 && number.abs() <= SAFE {
            return Ok(Value::Int(number as i64));
        }
        return Ok(Value::Float(number));
    }
    if value.is_instance_of::<js_sys::Uint8Array>() {
        return Ok(Value::Bytes(
            js_sys::Uint8Array::from(value.clone()).to_vec(),
        ));
    }
    Err(Error::Invalid(
        "only strings, numbers, booleans, null and Uint8Arrays can be stored; use setContainer for nested data",
    ))
}

/// The JavaScript value of a scalar (a container shows as null: see [`handle`]).
pub fn scalar_to_js(value: &Value) -> JsValue {
    match value {
        Value::Null | Value::Container(_) => JsValue::NULL,
        Value::Bool(flag) => JsValue::from_bool(*flag),
        Value::Int(number) => JsValue::from_f64(*number as f64),
        Value::Float(number) => JsValue::from_f64(*number),
        Value::Str(text) => JsValue::from_str(text),
        Value::Bytes(bytes) => js_sys::Uint8Array::from(&bytes[..]).into(),
    }
}

/// The value of `key` in map `map` for JavaScript: a scalar, or a container handle.
pub fn map_value(shared: &Rc<Shared>, map: &ContainerId, key: &str, value: &Value) -> JsValue {
    match value {
        Value::Container(kind) => handle(shared, map.child(key, *kind)),
        scalar => scalar_to_js(scalar),
    }
}

/// The JavaScript object for container `id`.
pub fn handle(shared: &Rc<Shared>, id: ContainerId) -> JsValue {
    let shared = Rc::clone(shared);
    match id.kind {
        Kind::Text => Text::new(shared, id).into(),
        Kind::Map => Map::new(shared, id).into(),
        Kind::List => List::new(shared, id).into(),
        Kind::MovableList => MovableList::new(shared, id).into(),
        Kind::Counter => Counter::new(shared, id).into(),
        // Registers have no JavaScript type.
        Kind::Register => JsValue::NULL,
    }
}

/// The container kind JavaScript names `name`.
pub fn kind(name: &str) -> Result<Kind, Error> {
    Ok(match name {
        "text" => Kind::Text,
        "map" => Kind::Map,
        "list" => Kind::List,
        "movableList" => Kind::MovableList,
        "counter" => Kind::Counter,
        _ => {
            return Err(Error::Invalid(
                "a container kind is one of text, map, list, movableList, counter",
            ));
        }
    })
}
