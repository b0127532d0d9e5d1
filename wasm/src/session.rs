//! `SyncSession`: the sans-IO sync protocol for JavaScript transports.

use std::cell::{RefCell, RefMut};
use std::collections::BTreeMap;
use std::rc::Rc;

use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::{JsValue, wasm_bindgen};
use weft_core::sync::{Documents, SessionConfig, SessionEvent};
use weft_core::{Document, ReplicaId, sync};

use crate::doc::{Doc, version_map};
use crate::error;
use crate::shared::Shared;

/// The documents of a session, borrowed for one call.
struct Borrowed<'a>(BTreeMap<&'a str, RefMut<'a, Document>>);

impl Documents for Borrowed<'_> {
    fn document(&mut self, id: &str) -> Option<&mut Document> {
        self.0.get_mut(id).map(|doc| &mut **doc)
    }
}

/// The sync protocol with one peer over any transport: feed it the peer's messages
/// and the time, send what `takeOutgoing()` returns. Time is in milliseconds.
#[wasm_bindgen]
pub struct SyncSession {
    // Interior mutability, so that methods take `&self`: listeners that run while a
    // message is dispatched may call back into the session (to publish presence,
    // say), which a `&mut self` borrow held across the call would refuse.
    inner: RefCell<sync::SyncSession>,
    docs: RefCell<BTreeMap<String, Rc<Shared>>>,
}

fn now_ms(now: f64) -> u64 {
    now.max(0.0) as u64
}

#[wasm_bindgen]
impl SyncSession {
    /// A session speaking for replica `peerId`. With `ackDelay` (milliseconds), one
    /// acknowledgement covers the updates received that long, sent on a later tick.
    #[wasm_bindgen(constructor)]
    pub fn new(peer_id: u64, ack_delay: Option<f64>) -> SyncSession {
        let config = SessionConfig {
            ack_delay_ms: ack_delay.map_or(0, now_ms),
            ..SessionConfig::default()
        };
        SyncSession {
            inner: RefCell::new(sync::SyncSession::new(ReplicaId::new(peer_id), config)),
            docs: RefCell::default(),
        }
    }

    /// Syncs `doc` under `name` with the peer.
    pub fn subscribe(&self, now: f64, name: &str, doc: &Doc) {
        let shared = Rc::clone(doc.shared());
        self.inner
            .borrow_mut()
            .subscribe(now_ms(now), name, &shared.doc());
        self.docs.borrow_mut().insert(name.into(), shared);
    }

    /// Stops applying the peer's changes to `name`.
    pub fn unsubscribe(&self, name: &str) {
        self.docs.borrow_mut().remove(name);
    }

    /// Sends `name`'s local changes; call after local edits.
    #[wasm_bindgen(js_name = localChanged)]
    pub fn local_changed(&self, now: f64, name: &str) {
        if let Some(shared) = self.docs.borrow().get(name) {
            self.inner
                .borrow_mut()
                .local_changed(now_ms(now), name, &shared.doc());
        }
    }

    /// Handles one message from the peer. Changes it brings are imported with
    /// `origin` and dispatched to the documents' listeners.
    pub fn receive(&self, now: f64, message: &[u8], origin: JsValue) -> Result<Array, JsValue> {
        let events = {
            let docs = self.docs.borrow();
            let mut borrowed = borrow(&docs);
            self.inner
                .borrow_mut()
                .receive(now_ms(now), message, &mut borrowed)
                .map_err(error)?
        };
        self.after(events, &origin)
    }

    /// Lets time pass: resends what was not acknowledged, refreshes and expires
    /// presence.
    pub fn tick(&self, now: f64) -> Result<Array, JsValue> {
        let events = {
            let docs = self.docs.borrow();
            let mut borrowed = borrow(&docs);
            self.inner.borrow_mut().tick(now_ms(now), &mut borrowed)
        };
        self.after(events, &JsValue::UNDEFINED)
    }

    /// Sets this side's presence in `name` (null: gone).
    #[wasm_bindgen(js_name = setAwareness)]
    pub fn set_awareness(&self, now: f64, name: &str, state: Option<Vec<u8>>) {
        self.inner
            .borrow_mut()
            .set_awareness(now_ms(now), name, state);
    }

    /// Whether `name` has caught up with what the peer had when it answered.
    #[wasm_bindgen(js_name = isSynced)]
    pub fn is_synced(&self, name: &str) -> bool {
        self.inner.borrow().is_synced(name)
    }

    /// The messages to send, in order.
    #[wasm_bindgen(js_name = takeOutgoing)]
    pub fn take_outgoing(&self) -> Array {
        self.inner
            .borrow_mut()
            .take_outgoing()
            .iter()
            .map(|message| JsValue::from(Uint8Array::from(&message[..])))
            .collect()
    }
}

fn borrow(docs: &BTreeMap<String, Rc<Shared>>) -> Borrowed<'_> {
    Borrowed(
        docs.iter()
            .map(|(name, shared)| (name.as_str(), shared.doc_mut()))
            .collect(),
    )
}

impl SyncSession {
    /// Dispatches the documents' events and turns the session's events into objects.
    fn after(&self, events: Vec<SessionEvent>, origin: &JsValue) -> Result<Array, JsValue> {
        let mut result = Ok(());
        let converted = Array::new();
        for event in events {
            let object = Object::new();
            let set = |key: &str, value: &JsValue| Reflect::set(&object, &key.into(), value);
            match event {
                SessionEvent::Connected { peer } => {
                    set("type", &"connected".into())?;
                    set("peer", &JsValue::from(peer.get()))?;
                }
                SessionEvent::Changed { doc, .. } => {
                    let shared = self.docs.borrow().get(&doc).cloned();
                    if let Some(shared) = shared {
                        result = result.and(shared.dispatch(origin, false));
                    }
                    set("type", &"changed".into())?;
                    set("doc", &doc.into())?;
                }
                SessionEvent::Synced { doc } => {
                    set("type", &"synced".into())?;
                    set("doc", &doc.into())?;
                }
                SessionEvent::Acknowledged { doc, version } => {
                    set("type", &"acknowledged".into())?;
                    set("doc", &doc.into())?;
                    set("version", &version_map(&version).into())?;
                }
                SessionEvent::Awareness {
                    doc,
                    replica,
                    state,
                } => {
                    set("type", &"awareness".into())?;
                    set("doc", &doc.into())?;
                    set("peer", &JsValue::from(replica.get()))?;
                    set(
                        "state",
                        &state.map_or(JsValue::NULL, |state| Uint8Array::from(&state[..]).into()),
                    )?;
                }
                SessionEvent::Refused { error } => {
                    set("type", &"error".into())?;
                    set("message", &error.to_string().into())?;
                }
                SessionEvent::PeerError { message } => {
                    set("type", &"error".into())?;
                    set("message", &format!("the peer reported: {message}").into())?;
                    set("reported", &message.into())?;
                }
                // Messages of a newer protocol version are skipped by design.
                SessionEvent::Skipped { .. } => continue,
            }
            converted.push(&object);
        }
        result.map(|()| converted)
    }
}
