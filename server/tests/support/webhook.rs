//! A webhook receiver for the tests: an HTTP server on 127.0.0.1 that keeps what it
//! is sent, or refuses it on demand.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::Value as Json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Every dot (replica, counter) the change events hold, each once.
pub fn dots(events: &[Json]) -> BTreeSet<(String, u64)> {
    events
        .iter()
        .filter(|event| event["event"] == "change")
        .flat_map(|event| event["data"]["changes"].as_array().unwrap().clone())
        .flat_map(|change| {
            let replica = change["replica"].as_str().unwrap().to_string();
            let (first, last) = (
                change["first"].as_u64().unwrap(),
                change["last"].as_u64().unwrap(),
            );
            (first..=last).map(move |counter| (replica.clone(), counter))
        })
        .collect()
}

/// An HTTP receiver for webhooks: refuses with 503 while `failing`, else keeps the
/// JSON body and answers 200.
pub struct Receiver {
    pub address: std::net::SocketAddr,
    pub accepted: Arc<Mutex<Vec<Json>>>,
    /// Each accepted request's `x-weft-epoch`, in order.
    pub epochs: Arc<Mutex<Vec<u64>>>,
    pub refused: Arc<AtomicUsize>,
    pub failing: Arc<AtomicBool>,
}

impl Receiver {
    pub async fn start() -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let receiver = Receiver {
            address: listener.local_addr().unwrap(),
            accepted: Arc::default(),
            epochs: Arc::default(),
            refused: Arc::default(),
            failing: Arc::default(),
        };
        let (accepted, epochs, refused, failing) = (
            Arc::clone(&receiver.accepted),
            Arc::clone(&receiver.epochs),
            Arc::clone(&receiver.refused),
            Arc::clone(&receiver.failing),
        );
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let (head, body) = read_request(&mut stream).await;
                let status = if failing.load(Ordering::SeqCst) {
                    refused.fetch_add(1, Ordering::SeqCst);
                    "503 Service Unavailable"
                } else {
                    let epoch = header(&head, "x-weft-epoch").and_then(|v| v.parse().ok());
                    epochs.lock().unwrap().push(epoch.unwrap_or_default());
                    accepted
                        .lock()
                        .unwrap()
                        .push(serde_json::from_slice(&body).unwrap());
                    "200 OK"
                };
                let response =
                    format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
                let _ = stream.write_all(response.as_bytes()).await;
            }
        });
        receiver
    }

    /// The dots of every change delivered so far.
    pub fn delivered(&self) -> BTreeSet<(String, u64)> {
        let bodies = self.accepted.lock().unwrap().clone();
        let events: Vec<Json> = bodies
            .iter()
            .flat_map(|body| body["events"].as_array().unwrap().clone())
            .map(|event| serde_json::json!({ "event": event["type"], "data": event["data"] }))
            .collect();
        dots(&events)
    }
}

fn header(head: &str, name: &str) -> Option<String> {
    head.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.eq_ignore_ascii_case(name)
            .then(|| value.trim().to_owned())
    })
}

/// The head and body of one HTTP request with a content-length.
async fn read_request(stream: &mut tokio::net::TcpStream) -> (String, Vec<u8>) {
    let mut bytes = Vec::new();
    let mut chunk = [0; 4096];
    loop {
        let read = stream.read(&mut chunk).await.unwrap();
        bytes.extend_from_slice(&chunk[..read]);
        let text = String::from_utf8_lossy(&bytes);
        if let Some(end) = text.find("\r\n\r\n") {
            let length: usize = text[..end]
                .lines()
                .find_map(|line| {
                    line.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse().unwrap())
                })
                .unwrap_or(0);
            if bytes.len() >= end + 4 + length || read == 0 {
                return (text[..end].to_owned(), bytes[end + 4..].to_vec());
            }
        }
        if read == 0 {
            return (String::new(), Vec::new());
        }
    }
}
