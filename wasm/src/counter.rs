//! `Counter`: a counter container of a `Doc`.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::prelude::{JsError, wasm_bindgen};
use weft_core::{ContainerId, Document};

/// A number replicas add to; concurrent additions all count.
#[wasm_bindgen]
pub struct Counter {
    doc: Rc<RefCell<Document>>,
    id: ContainerId,
}

impl Counter {
    pub(crate) fn new(doc: Rc<RefCell<Document>>, id: ContainerId) -> Self {
        Self { doc, id }
    }
}

#[wasm_bindgen]
impl Counter {
    /// Adds `amount` (negative: subtracts).
    pub fn increment(&self, amount: i32) -> Result<(), JsError> {
        self.doc
            .borrow_mut()
            .transact(None, |tx| tx.counter_add(&self.id, i64::from(amount)))?;
        Ok(())
    }

    /// The current value.
    #[wasm_bindgen(getter)]
    pub fn value(&self) -> f64 {
        self.doc.borrow().counter(&self.id) as f64
    }
}
