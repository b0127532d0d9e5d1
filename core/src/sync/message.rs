//! The messages of the sync protocol, and their encoding.

use alloc::string::String;
use alloc::vec::Vec;

use crate::doc::{envelope, envelope_with_room, open};
use crate::{Error, ReplicaId, VersionVector};

/// The envelope kind of a sync message.
pub const MESSAGE_KIND: u8 = 13;

const HELLO: u8 = 0;
const SUBSCRIBE: u8 = 1;
const UPDATE: u8 = 2;
const ACK: u8 = 3;
const AWARENESS: u8 = 4;
const ERROR: u8 = 5;

/// One message of the sync protocol.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    /// The first message each side sends.
    Hello {
        /// The protocol version the sender speaks.
        protocol: u32,
        /// The sender's replica.
        replica: ReplicaId,
    },
    /// Starts syncing a document: "this is what I have".
    Subscribe {
        /// The document.
        doc: String,
        /// The sender's version of it.
        version: VersionVector,
    },
    /// Changes (an encoded update) or a whole state (an encoded snapshot).
    Update {
        /// The document.
        doc: String,
        /// Numbers the sender's updates of this document, for acknowledgements.
        seq: u64,
        /// Whether this answers a subscribe: after it, the receiver is in sync.
        catch_up: bool,
        /// The update or snapshot.
        payload: Vec<u8>,
    },
    /// The receiver applied (and, at a relay, stored) updates up to `seq`.
    Ack {
        /// The document.
        doc: String,
        /// The last update acknowledged.
        seq: u64,
        /// The acknowledging side's version afterwards.
        version: VersionVector,
    },
    /// Presence: a replica's ephemeral state (cursor, name), or its departure.
    Awareness {
        /// The document.
        doc: String,
        /// Whose state.
        replica: ReplicaId,
        /// Grows with each new state of that replica; older ones are ignored.
        clock: u64,
        /// The state, or `None` when the replica left.
        state: Option<Vec<u8>>,
    },
    /// The sender refuses something, and says why.
    Error {
        /// A description for people.
        message: String,
    },
    /// A message type from a newer protocol, skipped.
    Unknown {
        /// Its type tag.
        tag: u8,
    },
}

/// An update message, encoded straight from borrowed parts into a buffer of the
/// right size: a relay encodes one for every subscriber of every change.
pub(crate) fn encode_update(doc: &str, seq: u64, catch_up: bool, payload: &[u8]) -> Vec<u8> {
    // Tag, three lengths or numbers of at most ten bytes each, and the flag.
    let mut out = envelope_with_room(MESSAGE_KIND, doc.len() + payload.len() + 32);
    out.u8(UPDATE);
    out.str(doc);
    out.u64(seq);
    out.u8(u8::from(catch_up));
    out.bytes(payload);
    out.out
}

impl Message {
    /// The message in weft's envelope.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = envelope(MESSAGE_KIND);
        match self {
            Message::Hello { protocol, replica } => {
                out.u8(HELLO);
                out.u64(u64::from(*protocol));
                out.u64(replica.get());
            }
            Message::Subscribe { doc, version } => {
                out.u8(SUBSCRIBE);
                out.str(doc);
                out.version(version);
            }
            Message::Update {
                doc,
                seq,
                catch_up,
                payload,
            } => return encode_update(doc, *seq, *catch_up, payload),
            Message::Ack { doc, seq, version } => {
                out.u8(ACK);
                out.str(doc);
                out.u64(*seq);
                out.version(version);
            }
            Message::Awareness {
                doc,
                replica,
                clock,
                state,
            } => {
                out.u8(AWARENESS);
                out.str(doc);
                out.u64(replica.get());
                out.u64(*clock);
                match state {
                    None => out.u8(0),
                    Some(state) => {
                        out.u8(1);
                        out.bytes(state);
                    }
                }
            }
            Message::Error { message } => {
                out.u8(ERROR);
                out.str(message);
            }
            Message::Unknown { tag } => out.u8(*tag),
        }
        out.out
    }

    /// Decodes a message. Total: any bytes give a message or an error. A type tag this
    /// build does not know gives [`Message::Unknown`], whatever follows it.
    pub fn decode(bytes: &[u8]) -> Result<Self, Error> {
        let mut input = open(bytes, MESSAGE_KIND)?;
        let message = match input.u8()? {
            HELLO => Message::Hello {
                protocol: input.u32()?,
                replica: ReplicaId::new(input.u64()?),
            },
            SUBSCRIBE => Message::Subscribe {
                doc: input.string()?,
                version: input.version()?,
            },
            UPDATE => Message::Update {
                doc: input.string()?,
                seq: input.u64()?,
                catch_up: input.bool()?,
                payload: input.bytes()?.to_vec(),
            },
            ACK => Message::Ack {
                doc: input.string()?,
                seq: input.u64()?,
                version: input.version()?,
            },
            AWARENESS => Message::Awareness {
                doc: input.string()?,
                replica: ReplicaId::new(input.u64()?),
                clock: input.u64()?,
                state: if input.bool()? {
                    Some(input.bytes()?.to_vec())
                } else {
                    None
                },
            },
            ERROR => Message::Error {
                message: input.string()?,
            },
            tag => return Ok(Message::Unknown { tag }),
        };
        if !input.is_empty() {
            return Err(Error::Malformed);
        }
        Ok(message)
    }
}
