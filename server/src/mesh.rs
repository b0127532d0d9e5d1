//! The mesh: relays that keep each other's documents up to date, so a client on any
//! of them sees the edits made on every other, and an edit can be stored on several
//! machines before its author hears it is safe.
//!
//! - Membership and failure detection are chitchat's gossip (`membership`).
//! - Each pair of relays keeps one link (`link`) speaking the ordinary sync protocol:
//!   each relay is subscribed, on every link, to the documents it holds in memory,
//!   so live changes flow as they do to clients, and a reconnected link catches up
//!   from version vectors.
//! - Anti-entropy (`digest`) finds the documents that differ although nobody has
//!   them open (a relay that was down or cut off), and syncs exactly those.
//! - Quorum acknowledgements live in the hub: a client that asks for a durability of
//!   `w` is acknowledged once `w` relays acknowledged its changes, each only after
//!   writing them durably.

pub mod digest;
pub mod link;
pub mod membership;
pub mod view;

pub use digest::{Digests, MeshMessage};
pub use membership::{MeshConfig, join};
pub use view::MeshView;
