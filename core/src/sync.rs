//! The sync protocol, with no I/O: messages in, messages out, time passed in.

mod message;
mod session;

pub use message::{MESSAGE_KIND, Message};
pub use session::{Documents, PROTOCOL_VERSION, SessionConfig, SessionEvent, SyncSession};
