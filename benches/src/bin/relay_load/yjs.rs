//! A Yjs client (yrs) for the peers' servers: the Yjs WebSocket server (y-websocket's
//! protocol: one room per URL path) and Hocuspocus (the same sync messages, each
//! prefixed with its document's name, after an authentication message). It types and
//! applies updates as a browser's Y.Doc would, so that the servers are measured under
//! the load the weft relay gets.

use std::error::Error;
use std::time::Instant;

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message as Frame;
use yrs::encoding::read::{Cursor, Read};
use yrs::encoding::write::Write;
use yrs::updates::decoder::Decode;
use yrs::{Doc, ReadTxn, StateVector, Text, TextRef, Transact, Update};

use super::{LoadClient, Received, Relay, Server, Socket, connect};

/// Message types both servers use.
const SYNC: u64 = 0;
/// Hocuspocus's own message types: authentication, and a sync message answering one
/// of the client's.
const AUTH: u64 = 2;
const SYNC_REPLY: u64 = 4;
/// Sync message types.
const STEP_1: u64 = 0;
const STEP_2: u64 = 1;
const UPDATE: u64 = 2;
/// Hocuspocus's authentication message types.
const TOKEN: u64 = 0;
const AUTHENTICATED: u64 = 2;

/// Which server's framing a client speaks.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Dialect {
    YWebsocket,
    Hocuspocus,
}

pub struct Client {
    socket: Socket,
    dialect: Dialect,
    /// The room; Hocuspocus's messages name it.
    name: String,
    doc: Doc,
    text: TextRef,
    outgoing: Vec<Vec<u8>>,
    /// Whether the server's answer to this client's first sync step came.
    synced: bool,
}

impl Client {
    async fn open(url: &str, name: String, dialect: Dialect) -> Result<Client, Box<dyn Error>> {
        let socket = connect(url).await?;
        let doc = Doc::with_client_id(rand::random::<u64>() >> 11 | 1);
        let text = doc.get_or_insert_text("body");
        let mut client = Client {
            socket,
            dialect,
            name,
            doc,
            text,
            outgoing: Vec::new(),
            synced: false,
        };
        if dialect == Dialect::Hocuspocus {
            let mut auth = client.header(AUTH);
            auth.write_var(TOKEN);
            auth.write_string("");
            client.outgoing.push(auth);
        }
        let state = client.doc.transact().state_vector();
        client.send_sync(
            SYNC,
            STEP_1,
            &yrs::updates::encoder::Encode::encode_v1(&state),
        );
        client.flush().await?;
        while !client.synced {
            let frame = client
                .socket
                .next()
                .await
                .ok_or("closed in the handshake")??;
            if let Frame::Binary(bytes) = frame {
                client.handle(&bytes)?;
                client.flush().await?;
            }
        }
        Ok(client)
    }

    /// A message's start: the document's name for Hocuspocus, then the type.
    fn header(&self, kind: u64) -> Vec<u8> {
        let mut message = Vec::new();
        if self.dialect == Dialect::Hocuspocus {
            message.write_string(&self.name);
        }
        message.write_var(kind);
        message
    }

    fn send_sync(&mut self, kind: u64, step: u64, payload: &[u8]) {
        let mut message = self.header(kind);
        message.write_var(step);
        message.write_buf(payload);
        self.outgoing.push(message);
    }

    /// Handles one message from the server.
    fn handle(&mut self, bytes: &[u8]) -> Result<(), Box<dyn Error>> {
        let mut reader = Cursor::new(bytes);
        if self.dialect == Dialect::Hocuspocus {
            reader.read_string()?;
        }
        match reader.read_var::<u64>()? {
            SYNC | SYNC_REPLY => match reader.read_var::<u64>()? {
                STEP_1 => {
                    let state = StateVector::decode_v1(reader.read_buf()?)?;
                    let diff = self.doc.transact().encode_diff_v1(&state);
                    self.send_sync(SYNC, STEP_2, &diff);
                }
                STEP_2 | UPDATE => {
                    let update = Update::decode_v1(reader.read_buf()?)?;
                    self.doc.transact_mut().apply_update(update)?;
                    self.synced = true;
                }
                other => return Err(format!("unknown sync message {other}").into()),
            },
            AUTH if reader.read_var::<u64>()? != AUTHENTICATED => {
                return Err("the server refused the authentication".into());
            }
            // Awareness, Hocuspocus's note that it applied an update, and the rest:
            // nothing this client needs.
            _ => {}
        }
        Ok(())
    }
}

impl LoadClient for Client {
    async fn join(relay: &Relay, doc: String, _clock: Instant) -> Result<Self, Box<dyn Error>> {
        let dialect = match relay.server {
            Server::Hocuspocus => Dialect::Hocuspocus,
            _ => Dialect::YWebsocket,
        };
        Client::open(&relay.url(&doc), doc, dialect).await
    }

    fn socket(&mut self) -> &mut Socket {
        &mut self.socket
    }

    fn type_marker(&mut self, marker: &str) -> Option<u64> {
        let update = {
            let mut txn = self.doc.transact_mut();
            let end = self.text.len(&txn);
            self.text.insert(&mut txn, end, marker);
            txn.encode_update_v1()
        };
        self.send_sync(SYNC, UPDATE, &update);
        // Neither server acknowledges durability: nothing to wait for.
        None
    }

    fn receive(&mut self, bytes: &[u8]) -> Received {
        match self.handle(bytes) {
            Ok(()) => Received::default(),
            Err(_) => Received {
                acknowledged: None,
                errors: 1,
            },
        }
    }

    fn tick(&mut self) {}

    async fn flush(&mut self) -> Result<(), tokio_tungstenite::tungstenite::Error> {
        if self.outgoing.is_empty() {
            return Ok(());
        }
        for message in self.outgoing.drain(..) {
            self.socket.feed(Frame::Binary(message.into())).await?;
        }
        self.socket.flush().await
    }
}
