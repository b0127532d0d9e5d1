//! The core of weft: causality and delta-state CRDTs, with no I/O.
//!
//! Everything here is a pure function of its inputs: the core reads no clock, draws no
//! randomness and touches no socket. Replica ids and timestamps come in as arguments.
//! It is `#![no_std]` with `alloc`, so it runs in browsers (WebAssembly), native apps,
//! the relay and microcontrollers alike.
//!
//! # Causality
//!
//! A [`Dot`] names one event: a [`ReplicaId`] and a counter. A [`VersionVector`] says
//! which events a replica has seen; a [`CausalContext`] adds the events seen out of
//! order. Dot stores ([`DotSet`], [`DotFun`], [`DotMap`]) hold what is live.
//!
//! # Types
//!
//! Counters ([`GCounter`], [`PNCounter`]) are plain lattices. Registers
//! ([`LWWRegister`], [`MVRegister`]), flags ([`EWFlag`], [`DWFlag`]), sets ([`AWSet`],
//! [`RWSet`]) and maps ([`ORMap`], nesting any of them) are dot stores replicated as
//! [`Causal`] states. All of them speak the same two traits:
//!
//! - [`Lattice::join`] merges a state or a delta into another;
//! - [`DeltaCrdt::delta_since`] gives exactly what a peer at a given version lacks.
//!
//! Every mutator returns a delta: a small state to send to the other replicas. A
//! [`Replica`] holds back deltas that arrive before what they build on.
//!
//! [`Text`] is collaborative plain text: a sequence CRDT whose concurrent insertions
//! never interleave, stored as run-length spans in a B-tree. Its operations travel as
//! a [`TextDelta`], and it keeps its own backlog.
//!
//! # Documents and sync
//!
//! Apps sync a [`Document`]: named containers (texts, maps, lists, movable lists,
//! counters, registers), nested in maps and lists, edited in transactions that
//! observers see as editor-style deltas, with undo, history, snapshots and
//! compaction ([`doc`]). A [`SyncSession`] speaks the sync protocol with one peer
//! over any transport, with no I/O of its own ([`sync`]). The binary format of both
//! is specified in `docs/wire-format.md`.
//!
//! ```
//! use weft_core::{ContainerId, Document, ReplicaId};
//!
//! let body = ContainerId::text("body");
//! let mut alice = Document::new(ReplicaId::new(1));
//! let mut bob = Document::new(ReplicaId::new(2));
//! alice.transact(None, |tx| tx.text_insert(&body, 0, "hello"))?;
//! bob.import(&alice.export_update(bob.version())?, None)?;
//! bob.transact(None, |tx| tx.text_insert(&body, 5, " world"))?;
//! alice.import(&bob.export_update(alice.version())?, None)?;
//! assert_eq!(alice.view().to_json(), r#"{"body":"hello world"}"#);
//! # Ok::<(), weft_core::Error>(())
//! ```
//!
//! ```
//! use weft_core::{AWSet, Causal, DeltaCrdt, Lattice, ReplicaId};
//!
//! let (alice, bob) = (ReplicaId::new(0xa11ce), ReplicaId::new(0xb0b));
//! let mut a: Causal<AWSet<&str>> = Causal::new();
//! let mut b: Causal<AWSet<&str>> = Causal::new();
//!
//! let delta = a.add(alice, "milk")?; // ship `delta` to b...
//! b.join(delta);
//! b.add(bob, "bread")?;
//!
//! // ...or let a catch up on everything it misses.
//! a.join(b.delta_since(&a.version()));
//! assert_eq!(a, b);
//! assert_eq!(a.iter().collect::<Vec<_>>(), [&"bread", &"milk"]);
//! # Ok::<(), weft_core::Error>(())
//! ```
//!
//! # Why removals carry a dot
//!
//! [`delta_since`](DeltaCrdt::delta_since) must be exact for removals too. A removal
//! that only erased dots would leave nothing a version vector could point at, and a
//! peer that missed it would keep the element forever unless it was sent the full
//! state. So every mutation, removals included, is an event with its own dot, and a
//! state remembers which dots each removal took out. The delta for a peer carries the
//! removals that peer has not seen, which is exact and needs no per-peer bookkeeping on
//! the sender; the delta-interval protocol with acknowledgements, the alternative in
//! the same paper, would need a buffer and an ack per neighbour and falls back to full
//! states for new peers. What removals remember is history, which compaction at causal
//! stability may later fold away.

#![no_std]
#![deny(missing_docs)]

extern crate alloc;

mod causal;
mod causal_context;
pub mod codec;
mod counter_ranges;
pub mod doc;
mod dot;
mod dot_store;
mod error;
mod event;
mod lattice;
mod leb128;
mod replica;
mod replica_id;
pub mod sync;
mod text;
mod types;
mod version_vector;

pub use causal::Causal;
pub use causal_context::CausalContext;
pub use doc::{ContainerId, Document, Kind, SnapshotMode, Value, View};
pub use dot::Dot;
pub use dot_store::{DotFun, DotMap, DotSet, DotStore};
pub use error::Error;
pub use event::Event;
pub use lattice::{DeltaCrdt, Lattice};
pub use replica::{Integration, Replica};
pub use replica_id::ReplicaId;
pub use sync::{SessionConfig, SessionEvent, SyncSession};
pub use text::{Character, Text, TextDelta, TextEdit, TextOp};
pub use types::{
    AWSet, DWFlag, EWFlag, GCounter, LWWRegister, MVRegister, ORMap, PNCounter, RWSet,
};
pub use version_vector::VersionVector;
