//! Converting between JavaScript values and the core's scalar values.

use wasm_bindgen::JsValue;
use weft_core::{Error, Value};

/// The core value for a JavaScript string, number, boolean or null. A number that
/// is a safe integer becomes an integer, any other a float.
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
    Err(Error::Invalid(
        "only strings, numbers, booleans and null can be stored",
    ))
}

/// The JavaScript value of a core value; a nested container shows as null.
pub fn to_js(value: &Value) -> JsValue {
    match value {
        Value::Null | Value::Container(_) => JsValue::NULL,
        Value::Bool(flag) => JsValue::from_bool(*flag),
        Value::Int(number) => JsValue::from_f64(*number as f64),
        Value::Float(number) => JsValue::from_f64(*number),
        Value::Str(text) => JsValue::from_str(text),
        Value::Bytes(bytes) => JsValue::from(bytes.clone()),
    }
}
