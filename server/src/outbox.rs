//! A connection's queue of outgoing messages: the hub pushes without blocking, the
//! connection's task pops. Nothing is allocated until the first message and nothing
//! per message (tokio's channel keeps a block of 32 slots per channel, over a
//! kilobyte for every idle connection).
//!
//! The queue is bounded in bytes, not messages: a reader that keeps up may still be
//! handed a burst of hundreds of small updates at once (one batch of the hub), while
//! a reader that does not keep up is found out by what it makes the relay hold.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::Notify;

use crate::hub::Outgoing;

struct Shared {
    queue: Mutex<Queue>,
    ready: Notify,
}

struct Queue {
    messages: VecDeque<Outgoing>,
    /// What the waiting messages weigh, by [`weight`].
    bytes: usize,
    /// The hub's end is gone: once the queue is drained, the connection ends.
    closed: bool,
}

impl Queue {
    fn pop(&mut self) -> Option<Outgoing> {
        let message = self.messages.pop_front()?;
        self.bytes -= weight(&message);
        if self.messages.is_empty() {
            // Most connections idle between messages: they keep no buffer.
            self.messages = VecDeque::new();
        }
        Some(message)
    }
}

impl Shared {
    fn queue(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// What a waiting message costs the relay: its bytes and its slot in the queue.
fn weight(message: &Outgoing) -> usize {
    let payload = match message {
        Outgoing::Message(bytes) => bytes.len(),
        Outgoing::Mesh(text) | Outgoing::Lock(text) => text.len(),
        Outgoing::Close { reason, .. } => reason.len(),
    };
    payload + size_of::<Outgoing>()
}

/// A queue that takes messages while those waiting weigh less than `limit` bytes:
/// the hub's end and the connection's. Any one message fits in a queue below the
/// limit, however large (a catch-up may carry a whole document).
pub fn outbox(limit: usize) -> (OutboxSender, OutboxReceiver) {
    let shared = Arc::new(Shared {
        queue: Mutex::new(Queue {
            messages: VecDeque::new(),
            bytes: 0,
            closed: false,
        }),
        ready: Notify::new(),
    });
    (
        OutboxSender {
            shared: Arc::clone(&shared),
            limit,
        },
        OutboxReceiver { shared },
    )
}

/// The hub's end; dropping it ends the connection once it has sent what is queued.
pub struct OutboxSender {
    shared: Arc<Shared>,
    limit: usize,
}

/// The queue is full: the connection reads too slowly.
#[derive(Debug)]
pub struct Full;

impl OutboxSender {
    pub fn try_send(&self, message: Outgoing) -> Result<(), Full> {
        {
            let mut queue = self.shared.queue();
            if queue.bytes >= self.limit {
                return Err(Full);
            }
            queue.bytes += weight(&message);
            queue.messages.push_back(message);
        }
        self.shared.ready.notify_one();
        Ok(())
    }
}

impl Drop for OutboxSender {
    fn drop(&mut self) {
        self.shared.queue().closed = true;
        self.shared.ready.notify_one();
    }
}

/// The connection's end.
pub struct OutboxReceiver {
    shared: Arc<Shared>,
}

impl OutboxReceiver {
    /// The next message if one waits and is a sync message (the others are for
    /// [`recv`](Self::recv)).
    pub fn try_recv_message(&mut self) -> Option<Vec<u8>> {
        let mut queue = self.shared.queue();
        let Some(Outgoing::Message(_)) = queue.messages.front() else {
            return None;
        };
        match queue.pop() {
            Some(Outgoing::Message(bytes)) => Some(bytes),
            _ => None,
        }
    }

    /// The next message, or `None` once the hub's end is gone and the queue empty.
    /// Cancel-safe: the queue, not the wake-up, says what is there.
    pub async fn recv(&mut self) -> Option<Outgoing> {
        loop {
            let ready = self.shared.ready.notified();
            {
                let mut queue = self.shared.queue();
                if let Some(message) = queue.pop() {
                    return Some(message);
                }
                if queue.closed {
                    return None;
                }
            }
            ready.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn messages_come_out_in_order_until_the_sender_is_gone() {
        let (sender, mut receiver) = outbox(2 * weight(&Outgoing::Message(vec![0])));
        sender.try_send(Outgoing::Message(vec![1])).unwrap();
        sender.try_send(Outgoing::Message(vec![2])).unwrap();
        assert!(sender.try_send(Outgoing::Message(vec![3])).is_err());
        assert!(matches!(receiver.recv().await, Some(Outgoing::Message(m)) if m == [1]));
        sender.try_send(Outgoing::Message(vec![3])).unwrap();
        drop(sender);
        assert!(matches!(receiver.recv().await, Some(Outgoing::Message(m)) if m == [2]));
        assert!(matches!(receiver.recv().await, Some(Outgoing::Message(m)) if m == [3]));
        assert!(receiver.recv().await.is_none());
    }

    #[tokio::test]
    async fn a_waiting_receiver_wakes_for_a_message_sent_from_another_thread() {
        let (sender, mut receiver) = outbox(1024);
        let waiting = tokio::spawn(async move { receiver.recv().await });
        tokio::task::yield_now().await;
        std::thread::spawn(move || sender.try_send(Outgoing::Message(vec![7])).unwrap())
            .join()
            .unwrap();
        assert!(matches!(waiting.await.unwrap(), Some(Outgoing::Message(m)) if m == [7]));
    }

    #[tokio::test]
    async fn the_limit_counts_bytes_and_lets_one_large_message_through() {
        let (sender, mut receiver) = outbox(1_000);
        for _ in 0..10 {
            sender.try_send(Outgoing::Message(vec![0; 10])).unwrap();
        }
        sender.try_send(Outgoing::Message(vec![0; 5_000])).unwrap();
        assert!(sender.try_send(Outgoing::Message(vec![0; 1])).is_err());
        for _ in 0..11 {
            receiver.recv().await.unwrap();
        }
        sender.try_send(Outgoing::Message(vec![0; 1])).unwrap();
    }

    #[tokio::test]
    async fn waiting_sync_messages_are_taken_up_to_the_first_other_one() {
        let (sender, mut receiver) = outbox(1_000);
        sender.try_send(Outgoing::Message(vec![1])).unwrap();
        sender.try_send(Outgoing::Message(vec![2])).unwrap();
        sender.try_send(Outgoing::Lock("event".into())).unwrap();
        sender.try_send(Outgoing::Message(vec![3])).unwrap();
        assert_eq!(receiver.try_recv_message(), Some(vec![1]));
        assert_eq!(receiver.try_recv_message(), Some(vec![2]));
        assert_eq!(receiver.try_recv_message(), None);
        assert!(matches!(receiver.recv().await, Some(Outgoing::Lock(_))));
        assert_eq!(receiver.try_recv_message(), Some(vec![3]));
        assert_eq!(receiver.try_recv_message(), None);
    }
}
