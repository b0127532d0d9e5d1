//! What every handle of one document shares: the core document, the listeners, the
//! undo managers, and the dispatch of events after each change.
//!
//! Listeners run after the change is complete and no borrow of the document is held,
//! so they may read and edit the document; edits they make are dispatched after
//! theirs, in the same loop.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, VecDeque};
use std::rc::{Rc, Weak};

use js_sys::{Array, Function, Uint8Array};
use wasm_bindgen::JsValue;
use weft_core::doc::{DocEvent, Transaction, UndoManager};
use weft_core::{ContainerId, Document, Error, Kind};

use crate::events;

#[derive(Default)]
struct Listeners {
    update: Vec<Function>,
    change: Vec<Function>,
    observers: Vec<(ContainerId, Function)>,
}

/// One document and everything attached to it.
pub struct Shared {
    doc: RefCell<Document>,
    listeners: RefCell<Listeners>,
    undo_managers: RefCell<Vec<Weak<RefCell<UndoManager>>>>,
    /// The contents of texts whose positions differ from UTF-16 positions, as they
    /// were after the last dispatch: events need them to measure deletions in UTF-16.
    texts_before: RefCell<BTreeMap<ContainerId, String>>,
    /// Changes taken from the document, waiting for their listeners: a change made
    /// by a listener waits for the listeners of the one before it.
    queue: RefCell<VecDeque<Batch>>,
    dispatching: Cell<bool>,
    /// Whether the document keeps its changes for `update` listeners.
    recording_updates: Cell<bool>,
}

/// What one call changed, with the origin and locality the call gives it.
struct Batch {
    events: Vec<DocEvent>,
    update: Option<Vec<u8>>,
    origin: JsValue,
    local: bool,
}

impl Shared {
    pub fn new(doc: Document) -> Rc<Self> {
        let shared = Rc::new(Self {
            doc: RefCell::new(doc),
            listeners: RefCell::default(),
            undo_managers: RefCell::default(),
            texts_before: RefCell::default(),
            queue: RefCell::default(),
            dispatching: Cell::new(false),
            recording_updates: Cell::new(false),
        });
        shared.record_what_is_listened_to();
        shared
    }

    pub fn doc(&self) -> std::cell::Ref<'_, Document> {
        self.doc.borrow()
    }

    pub fn doc_mut(&self) -> std::cell::RefMut<'_, Document> {
        self.doc.borrow_mut()
    }

    /// Runs a local edit (inside `transact`'s transaction, or as one of its own) and
    /// dispatches its events unless a transaction is still open.
    pub fn edit<R>(
        self: &Rc<Self>,
        edit: impl FnOnce(&mut Transaction<'_>) -> Result<R, Error>,
    ) -> Result<R, JsValue> {
        let result = self.doc.borrow_mut().edit(edit);
        self.dispatch(&JsValue::UNDEFINED, true)?;
        result.map_err(crate::error)
    }

    pub fn on_update(&self, listener: Function) {
        self.listeners.borrow_mut().update.push(listener);
        self.record_what_is_listened_to();
    }

    pub fn on_change(&self, listener: Function) {
        self.listeners.borrow_mut().change.push(listener);
        self.record_what_is_listened_to();
    }

    pub fn off(&self, listener: &Function) {
        let mut listeners = self.listeners.borrow_mut();
        listeners.update.retain(|known| known != listener);
        listeners.change.retain(|known| known != listener);
        drop(listeners);
        self.record_what_is_listened_to();
    }

    pub fn observe(&self, id: &ContainerId, listener: Function) {
        self.listeners
            .borrow_mut()
            .observers
            .push((id.clone(), listener));
        self.record_what_is_listened_to();
    }

    pub fn unobserve(&self, id: &ContainerId, listener: &Function) {
        self.listeners
            .borrow_mut()
            .observers
            .retain(|(known, function)| known != id || function != listener);
        self.record_what_is_listened_to();
    }

    pub fn add_undo_manager(&self, manager: &Rc<RefCell<UndoManager>>) {
        self.undo_managers.borrow_mut().push(Rc::downgrade(manager));
        self.record_what_is_listened_to();
    }

    pub fn remove_undo_manager(&self, manager: &Rc<RefCell<UndoManager>>) {
        let target = Rc::downgrade(manager);
        self.undo_managers
            .borrow_mut()
            .retain(|known| !known.ptr_eq(&target) && known.strong_count() > 0);
        self.record_what_is_listened_to();
    }

    /// Events and updates cost time to work out: the document records them only
    /// while someone listens. Turning events on again needs a fresh copy of the texts
    /// whose positions differ from UTF-16 ones.
    fn record_what_is_listened_to(&self) {
        let listeners = self.listeners.borrow();
        let updates = !listeners.update.is_empty();
        let needed = !listeners.change.is_empty()
            || !listeners.observers.is_empty()
            || self
                .undo_managers
                .borrow()
                .iter()
                .any(|manager| manager.strong_count() > 0);
        drop(listeners);
        let mut doc = self.doc.borrow_mut();
        if updates != self.recording_updates.replace(updates) {
            doc.set_updates(updates);
        }
        let was_on = doc.events_enabled();
        doc.set_events(needed);
        if needed && !was_on {
            let mut texts = self.texts_before.borrow_mut();
            texts.clear();
            for id in doc.container_ids().filter(|id| id.kind == Kind::Text) {
                remember_text(&doc, id, &mut texts);
            }
        }
    }

    /// Tells listeners and undo managers about everything since the last dispatch:
    /// `origin` and `local` describe the call that made the change. Called while
    /// listeners run (they edited the document), it queues the change behind the one
    /// being dispatched.
    pub fn dispatch(self: &Rc<Self>, origin: &JsValue, local: bool) -> Result<(), JsValue> {
        self.take_batch(origin, local);
        if self.dispatching.replace(true) {
            return Ok(());
        }
        let mut first_error = None;
        loop {
            let Some(batch) = self.queue.borrow_mut().pop_front() else {
                break;
            };
            if let Err(error) = self.notify(batch) {
                first_error.get_or_insert(error);
            }
        }
        self.dispatching.set(false);
        first_error.map_or(Ok(()), Err)
    }

    /// Takes the document's events and update, unless a transaction is still open.
    fn take_batch(&self, origin: &JsValue, local: bool) {
        let mut doc = self.doc.borrow_mut();
        if doc.in_transaction() {
            return;
        }
        let events = doc.take_events();
        let update = doc.take_update();
        drop(doc);
        if events.is_empty() && update.is_none() {
            return;
        }
        self.queue.borrow_mut().push_back(Batch {
            events,
            update,
            origin: origin.clone(),
            local,
        });
    }

    fn notify(self: &Rc<Self>, batch: Batch) -> Result<(), JsValue> {
        self.record_for_undo(&batch.events);
        let mut result = Ok(());
        for event in &batch.events {
            result = result.and(self.notify_event(event, &batch.origin));
        }
        if let Some(update) = batch.update {
            let bytes = JsValue::from(Uint8Array::from(&update[..]));
            let local = JsValue::from_bool(batch.local);
            let listeners = self.listeners.borrow().update.clone();
            for listener in listeners {
                let called = listener.call3(&JsValue::UNDEFINED, &bytes, &batch.origin, &local);
                result = result.and(called.map(drop));
            }
        }
        result
    }

    fn record_for_undo(&self, events: &[DocEvent]) {
        let now = js_sys::Date::now() as u64;
        let managers: Vec<_> = self
            .undo_managers
            .borrow()
            .iter()
            .filter_map(Weak::upgrade)
            .collect();
        for manager in managers {
            let mut manager = manager.borrow_mut();
            for event in events {
                manager.record(event, now);
            }
        }
    }

    fn notify_event(self: &Rc<Self>, event: &DocEvent, origin: &JsValue) -> Result<(), JsValue> {
        let converted = {
            let doc = self.doc.borrow();
            let mut texts = self.texts_before.borrow_mut();
            let converted = events::convert(self, &doc, event, origin, &texts);
            for diff in &event.diffs {
                if diff.target.kind == Kind::Text {
                    remember_text(&doc, &diff.target, &mut texts);
                }
            }
            converted
        };
        let listeners = {
            let listeners = self.listeners.borrow();
            (listeners.observers.clone(), listeners.change.clone())
        };
        let (observers, change) = listeners;
        let mut result = Ok(());
        let all = Array::new();
        for (target, event) in &converted {
            all.push(event);
            for (_, listener) in observers.iter().filter(|(id, _)| id == target) {
                if let Err(error) = listener.call1(&JsValue::UNDEFINED, event) {
                    result = result.and(Err(error));
                }
            }
        }
        if all.length() > 0 {
            let local = JsValue::from_bool(event.local);
            for listener in change {
                if let Err(error) = listener.call3(&JsValue::UNDEFINED, &all, origin, &local) {
                    result = result.and(Err(error));
                }
            }
        }
        result
    }
}

/// Keeps a copy of a text whose positions differ from UTF-16 ones.
fn remember_text(doc: &Document, id: &ContainerId, texts: &mut BTreeMap<ContainerId, String>) {
    match doc.text(id) {
        Some(text) if !text.positions_match_utf16() => {
            texts.insert(id.clone(), text.to_string());
        }
        _ => {
            texts.remove(id);
        }
    }
}
