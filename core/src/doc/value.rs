//! The values a document holds, and its JSON view.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::{self, Write};

use super::container_id::Kind;

/// A value stored in a map, list or register: a scalar, or a new container.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// JSON's null.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// A string.
    Str(String),
    /// Bytes.
    Bytes(Vec<u8>),
    /// A child container of this kind; its name follows from where the value sits.
    Container(Kind),
}

impl From<&str> for Value {
    fn from(value: &str) -> Self {
        Self::Str(value.into())
    }
}

impl From<String> for Value {
    fn from(value: String) -> Self {
        Self::Str(value)
    }
}

impl From<i64> for Value {
    fn from(value: i64) -> Self {
        Self::Int(value)
    }
}

impl From<f64> for Value {
    fn from(value: f64) -> Self {
        Self::Float(value)
    }
}

impl From<bool> for Value {
    fn from(value: bool) -> Self {
        Self::Bool(value)
    }
}

/// A read-only tree of a document's current contents, with containers resolved.
#[derive(Clone, Debug, PartialEq)]
pub enum View {
    /// JSON's null.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// A string, or a text container's contents.
    Str(String),
    /// Bytes.
    Bytes(Vec<u8>),
    /// A list's elements.
    List(Vec<View>),
    /// A map's entries.
    Map(BTreeMap<String, View>),
}

impl View {
    /// The view as JSON text. Bytes become an array of numbers; a float that JSON
    /// cannot hold (NaN, infinities) becomes null.
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        self.write_json(&mut out)
            .expect("writing to a String cannot fail");
        out
    }

    fn write_json(&self, out: &mut String) -> fmt::Result {
        match self {
            View::Null => out.write_str("null"),
            View::Bool(value) => write!(out, "{value}"),
            View::Int(value) => write!(out, "{value}"),
            View::Float(value) if value.is_finite() => write!(out, "{value:?}"),
            View::Float(_) => out.write_str("null"),
            View::Str(value) => write_json_string(out, value),
            View::Bytes(bytes) => {
                out.write_char('[')?;
                for (at, byte) in bytes.iter().enumerate() {
                    if at > 0 {
                        out.write_char(',')?;
                    }
                    write!(out, "{byte}")?;
                }
                out.write_char(']')
            }
            View::List(items) => {
                out.write_char('[')?;
                for (at, item) in items.iter().enumerate() {
                    if at > 0 {
                        out.write_char(',')?;
                    }
                    item.write_json(out)?;
                }
                out.write_char(']')
            }
            View::Map(entries) => {
                out.write_char('{')?;
                for (at, (key, item)) in entries.iter().enumerate() {
                    if at > 0 {
                        out.write_char(',')?;
                    }
                    write_json_string(out, key)?;
                    out.write_char(':')?;
                    item.write_json(out)?;
                }
                out.write_char('}')
            }
        }
    }
}

fn write_json_string(out: &mut String, value: &str) -> fmt::Result {
    out.write_char('"')?;
    for c in value.chars() {
        match c {
            '"' => out.write_str("\\\"")?,
            '\\' => out.write_str("\\\\")?,
            '\n' => out.write_str("\\n")?,
            '\r' => out.write_str("\\r")?,
            '\t' => out.write_str("\\t")?,
            c if u32::from(c) < 0x20 => write!(out, "\\u{:04x}", u32::from(c))?,
            c => out.write_char(c)?,
        }
    }
    out.write_char('"')
}
