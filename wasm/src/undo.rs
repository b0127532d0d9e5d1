//! `UndoManager`: undo and redo of this replica's own edits.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::Reflect;
use wasm_bindgen::prelude::{JsValue, wasm_bindgen};
use weft_core::doc::{self, REDO_ORIGIN, UNDO_ORIGIN};

use crate::doc::Doc;
use crate::error;
use crate::shared::Shared;

/// Undo and redo of this replica's own edits; other replicas' edits stay.
#[wasm_bindgen]
pub struct UndoManager {
    shared: Rc<Shared>,
    inner: Rc<RefCell<doc::UndoManager>>,
}

#[wasm_bindgen]
impl UndoManager {
    /// Tracks `doc`'s local transactions: those with `options.origin` (every one if
    /// not given), merging those closer than `options.mergeInterval` ms (500).
    #[wasm_bindgen(constructor)]
    pub fn new(doc: &Doc, options: JsValue) -> Result<UndoManager, JsValue> {
        let (origin, interval) = if options.is_object() {
            (
                Reflect::get(&options, &"origin".into())?.as_string(),
                Reflect::get(&options, &"mergeInterval".into())?.as_f64(),
            )
        } else {
            (None, None)
        };
        let mut manager = doc::UndoManager::new(origin.as_deref());
        if let Some(interval) = interval {
            manager = manager.with_merge_interval(interval.max(0.0) as u64);
        }
        let inner = Rc::new(RefCell::new(manager));
        let shared = Rc::clone(doc.shared());
        shared.add_undo_manager(&inner);
        Ok(UndoManager { shared, inner })
    }

    /// Undoes the last step; returns whether anything changed.
    pub fn undo(&self) -> Result<bool, JsValue> {
        self.step(UNDO_ORIGIN, |manager, doc| manager.undo(doc))
    }

    /// Redoes the last step undone; returns whether anything changed.
    pub fn redo(&self) -> Result<bool, JsValue> {
        self.step(REDO_ORIGIN, |manager, doc| manager.redo(doc))
    }

    /// Whether there is a step to undo.
    #[wasm_bindgen(js_name = canUndo)]
    pub fn can_undo(&self) -> bool {
        self.inner.borrow().can_undo()
    }

    /// Whether there is a step to redo.
    #[wasm_bindgen(js_name = canRedo)]
    pub fn can_redo(&self) -> bool {
        self.inner.borrow().can_redo()
    }

    /// Makes the next transaction a step of its own.
    #[wasm_bindgen(js_name = stopCapturing)]
    pub fn stop_capturing(&self) {
        self.inner.borrow_mut().stop_capturing();
    }

    /// Stops tracking the document.
    pub fn destroy(&self) {
        self.shared.remove_undo_manager(&self.inner);
    }
}

impl UndoManager {
    fn step(
        &self,
        origin: &str,
        step: impl FnOnce(
            &mut doc::UndoManager,
            &mut weft_core::Document,
        ) -> Result<bool, weft_core::Error>,
    ) -> Result<bool, JsValue> {
        if self.shared.doc().in_transaction() {
            return Err(error(weft_core::Error::Invalid(
                "undo and redo after transact, not inside it",
            )));
        }
        let changed = step(&mut self.inner.borrow_mut(), &mut self.shared.doc_mut());
        self.shared.dispatch(&JsValue::from_str(origin), true)?;
        changed.map_err(error)
    }
}
