//! One WebSocket connection: moves frames between the socket and the hub, enforces
//! the per-connection limits, and closes with a WebSocket close code that says why.
//! Text messages are lock requests (`lock::api`), answered here; the guards they set
//! go to the hub in order with the sync messages around them.

use std::pin::Pin;
use std::time::Duration;

use futures_util::future::{Either, Ready, ready};
use futures_util::sink::Feed;
use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc::{self, error::TrySendError};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{CloseCode, Data, OpCode};
use tokio_tungstenite::tungstenite::{Bytes, Error, Message};

use crate::http::Slot;
use crate::hub::{ConnectionId, Input, Outgoing};
use crate::lock::socket::{LockRights, SocketLocks};
use crate::outbox::OutboxReceiver;
use crate::upgrade::Socket;

/// A client says hello this soon after connecting, or is closed.
const HELLO_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a closing connection waits for the client's close frame.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);

const POLICY: CloseCode = CloseCode::Policy;
const TOO_BIG: CloseCode = CloseCode::Size;
/// Largest lock request: they are a few short fields.
const MAX_LOCK_REQUEST: usize = 4 * 1024;
/// Larger messages go out in fragments of this size, and the socket writes once
/// this much waits. Its write buffer keeps the capacity it grew to: sent whole, one
/// catch-up of a large document would stay allocated for as long as its reader is
/// connected.
pub const FRAGMENT: usize = 16 * 1024;

/// A rare future, kept on the heap rather than in every connection's task.
type Boxed<'a, T = Result<(), Error>> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Queues one binary message on the socket, in fragments when it is large; a flush
/// sends what is queued. Not an `async fn`, so that the common case, a small message,
/// adds only the socket's own feed to every connection's task.
fn feed_binary(
    socket: &mut Socket,
    bytes: Vec<u8>,
) -> Either<Feed<'_, Socket, Message>, Boxed<'_>> {
    if bytes.len() <= FRAGMENT {
        return Either::Left(socket.feed(Message::Binary(bytes.into())));
    }
    Either::Right(Box::pin(async move {
        let bytes = Bytes::from(bytes);
        let mut start = 0;
        while start < bytes.len() {
            let end = (start + FRAGMENT).min(bytes.len());
            let opcode = if start == 0 {
                Data::Binary
            } else {
                Data::Continue
            };
            let fragment = Frame::message(
                bytes.slice(start..end),
                OpCode::Data(opcode),
                end == bytes.len(),
            );
            socket.feed(Message::Frame(fragment)).await?;
            start = end;
        }
        Ok(())
    }))
}

/// Sends `first` and every message that waits behind it in one write: a burst of
/// updates costs one system call rather than one each.
async fn send_waiting(
    socket: &mut Socket,
    first: Vec<u8>,
    outgoing: &mut OutboxReceiver,
) -> Result<(), Error> {
    feed_binary(socket, first).await?;
    while let Some(bytes) = outgoing.try_recv_message() {
        feed_binary(socket, bytes).await?;
    }
    socket.flush().await
}

/// Sends a close frame and reads until the client answers it (or a moment passes),
/// so the close frame is not lost to a connection reset.
async fn close(socket: &mut Socket, code: CloseCode, reason: &str) {
    let frame = Message::Close(Some(CloseFrame {
        code,
        reason: reason.into(),
    }));
    if socket.send(frame).await.is_err() {
        return;
    }
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, async {
        while let Some(Ok(message)) = socket.next().await {
            if matches!(message, Message::Close(_)) {
                break;
            }
        }
    })
    .await;
}

/// Hands the hub a message; false once the hub is gone. Waiting for room in its
/// queue is rare, and the future that waits is large: only then is one made, boxed,
/// so that every connection's task need not keep room for it.
fn to_hub(hub: &mpsc::Sender<Input>, input: Input) -> Either<Ready<bool>, Boxed<'_, bool>> {
    match hub.try_send(input) {
        Ok(()) => Either::Left(ready(true)),
        Err(TrySendError::Closed(_)) => Either::Left(ready(false)),
        Err(TrySendError::Full(input)) => {
            Either::Right(Box::pin(async move { hub.send(input).await.is_ok() }))
        }
    }
}

/// What a connection's task is given: everything but the socket.
pub struct Connection {
    pub id: ConnectionId,
    pub hub: mpsc::Sender<Input>,
    pub outgoing: OutboxReceiver,
    pub max_message: usize,
    pub lock_rights: LockRights,
    /// Held for the connection's life: it counts towards the connection limit.
    pub slot: Slot,
}

/// Serves one upgraded socket until either side ends it. Spawned as a task of its
/// own: every idle connection keeps this future, so what it holds across its
/// awaits is kept small (the rare and large ones are boxed).
///
/// Not an `async fn`: that would move its arguments into locals and keep both
/// copies, the socket's twice over; the block below uses the captured ones in place.
#[expect(
    clippy::manual_async_fn,
    reason = "an async fn would keep its arguments twice"
)]
pub fn serve(mut socket: Socket, mut connection: Connection) -> impl Future<Output = ()> {
    async move {
        let id = connection.id;
        // Boxed and dropped at the first message: only a silent connection needs it.
        let mut hello_deadline = Some(Box::pin(tokio::time::sleep(HELLO_TIMEOUT)));
        // Made on the first lock request: most connections never send one.
        let mut lock_side: Option<Box<SocketLocks>> = None;
        let ending: Option<(CloseCode, &str)> = loop {
            tokio::select! {
                out = connection.outgoing.recv() => match out {
                    Some(Outgoing::Message(bytes)) => {
                        if send_waiting(&mut socket, bytes, &mut connection.outgoing).await.is_err() {
                            break None;
                        }
                    }
                    Some(Outgoing::Lock(text)) => {
                        if socket.send(Message::Text(text.into())).await.is_err() {
                            break None;
                        }
                    }
                    // Mesh control messages go to links between relays only.
                    Some(Outgoing::Mesh(_)) => {}
                    Some(Outgoing::Close { code, reason }) => {
                        Box::pin(close(&mut socket, code.into(), &reason)).await;
                        break None;
                    }
                    None => break Some((POLICY, "reading too slowly: reconnect to catch up")),
                },
                incoming = socket.next() => match incoming {
                    Some(Ok(Message::Binary(bytes))) => {
                        if bytes.len() > connection.max_message {
                            break Some((TOO_BIG, "message too big"));
                        }
                        hello_deadline = None;
                        // Boxed, as the lock service's futures are large: kept inline
                        // they would make every idle connection's task that much bigger.
                        if let Some(side) = &lock_side
                            && side.must_check_guards()
                            && !Box::pin(side.check_guards()).await
                        {
                            continue;
                        }
                        let received = Input::Received { id, bytes: bytes.into() };
                        if !to_hub(&connection.hub, received).await {
                            break None;
                        }
                    }
                    Some(Ok(Message::Text(text))) => {
                        if text.len() > MAX_LOCK_REQUEST {
                            break Some((TOO_BIG, "lock requests are at most 4 KiB"));
                        }
                        hello_deadline = None;
                        let side = lock_side
                            .get_or_insert_with(|| Box::new(connection.lock_rights.start()));
                        let answer = Box::pin(side.handle(id, &connection.hub, &text)).await;
                        if socket.send(Message::Text(answer.into())).await.is_err() {
                            break None;
                        }
                    }
                    Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => {}
                    Some(Ok(Message::Close(_))) | None => break None,
                    Some(Err(Error::Capacity(_))) => break Some((TOO_BIG, "message too big")),
                    Some(Err(error)) => {
                        tracing::debug!(connection = id, %error, "socket error");
                        break None;
                    }
                },
                () = async { hello_deadline.as_mut().expect("guarded").await },
                    if hello_deadline.is_some() => break Some((POLICY, "no hello in time")),
            }
        };
        if let Some((code, reason)) = ending {
            Box::pin(close(&mut socket, code, reason)).await;
        }
        to_hub(&connection.hub, Input::Closed { id }).await;
        // Given back only now, with the connection gone.
        drop(connection.slot);
    }
}
