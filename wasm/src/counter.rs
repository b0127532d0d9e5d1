//! `Counter`: a counter container.

use std::rc::Rc;

use wasm_bindgen::prelude::{JsValue, wasm_bindgen};
use weft_core::{ContainerId, Error};

use crate::error;
use crate::shared::Shared;

/// A number that replicas add to concurrently; no increment is lost.
#[wasm_bindgen]
pub struct Counter {
    pub(crate) shared: Rc<Shared>,
    pub(crate) id: ContainerId,
}

impl Counter {
    pub(crate) fn new(shared: Rc<Shared>, id: ContainerId) -> Self {
        Self { shared, id }
    }
}

/// The integer JavaScript number `amount`, refusing fractions and unsafe integers.
fn whole(amount: f64) -> Result<i64, JsValue> {
    const SAFE: f64 = 9_007_199_254_740_991.0;
    if amount.fract() != 0.0 || amount.abs() > SAFE {
        return Err(error(Error::Invalid("a counter counts in safe integers")));
    }
    Ok(amount as i64)
}

#[wasm_bindgen]
impl Counter {
    /// Adds `amount` (1 if not given).
    pub fn increment(&self, amount: Option<f64>) -> Result<(), JsValue> {
        let amount = whole(amount.unwrap_or(1.0))?;
        self.shared.edit(|tx| tx.counter_add(&self.id, amount))
    }

    /// Subtracts `amount` (1 if not given).
    pub fn decrement(&self, amount: Option<f64>) -> Result<(), JsValue> {
        let amount = whole(amount.unwrap_or(1.0))?;
        self.shared.edit(|tx| tx.counter_add(&self.id, -amount))
    }

    /// The current value.
    #[wasm_bindgen(getter)]
    pub fn value(&self) -> f64 {
        self.shared.doc().counter(&self.id) as f64
    }

    /// The value, for `JSON.stringify`.
    #[wasm_bindgen(js_name = toJSON)]
    pub fn to_json(&self) -> f64 {
        self.value()
    }
}
