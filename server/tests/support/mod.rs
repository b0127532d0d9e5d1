//! A relay in a child process and clients that speak weft's sync protocol to it over
//! real sockets on 127.0.0.1.

// Each test file uses a part of this.
#![allow(dead_code)]

pub mod etcd;
pub mod mesh;
pub mod proxy;
pub mod webhook;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message as Frame;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};
use weft_core::{
    ContainerId, Document, ReplicaId, SessionConfig, SessionEvent, SyncSession, VersionVector,
};

/// A fresh, empty folder for one test's data.
pub fn temporary_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "weft-relay-{name}-{}-{}",
        std::process::id(),
        rand::random::<u32>()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A running `weft-relay serve`.
pub struct Relay {
    child: Child,
    pub address: SocketAddr,
}

impl Relay {
    /// Starts a relay on a free port with its data in `data_dir`.
    pub fn start(data_dir: &Path, extra: &[&str]) -> Relay {
        Self::start_with_env(data_dir, extra, &[])
    }

    /// [`start`](Self::start) with more environment variables.
    pub fn start_with_env(data_dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> Relay {
        let mut child = Command::new(env!("CARGO_BIN_EXE_weft-relay"))
            .args(["serve", "--port", "0", "--data-dir"])
            .arg(data_dir)
            .args(["--static-dir"])
            .arg(data_dir)
            .args(extra)
            .env("WEFT_LOG", "info")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the relay binary starts");
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let address = loop {
            let line = lines
                .next()
                .expect("the relay says where it listens")
                .unwrap();
            if let Some(rest) = line.split("\"address\":\"").nth(1) {
                break rest.split('"').next().unwrap().parse().unwrap();
            }
        };
        // Keep draining its logs so it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Relay { child, address }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Its resident memory, from `/proc`.
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap();
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap()
    }

    pub fn url(&self, token: Option<&str>) -> String {
        match token {
            Some(token) => format!("ws://{}/sync?token={token}", self.address),
            None => format!("ws://{}/sync", self.address),
        }
    }

    /// SIGKILL: no chance to flush anything.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// SIGSTOP: it reads nothing until [`resume`](Self::resume), so what clients send
    /// meanwhile waits in its sockets and arrives at once.
    pub fn pause(&self) {
        self.signal("-STOP");
    }

    pub fn resume(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, signal: &str) {
        let sent = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
    }

    /// SIGTERM, then waits for the graceful exit.
    pub fn stop(mut self) -> std::process::ExitStatus {
        self.signal("-TERM");
        self.child.wait().unwrap()
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A plain HTTP POST of a JSON body: the status line and the body.
pub async fn post(relay: &Relay, path: &str, body: &serde_json::Value) -> (String, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let body = body.to_string();
    let mut stream = TcpStream::connect(relay.address).await.unwrap();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: relay\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    (head.lines().next().unwrap_or_default().into(), body.into())
}

/// A plain HTTP GET: the status line and the body.
pub async fn get(relay: &Relay, path: &str) -> (String, String) {
    get_with_headers(relay, path, "").await
}

/// A plain HTTP GET with more header lines (each ending in CRLF): the status line
/// and the body.
pub async fn get_with_headers(relay: &Relay, path: &str, headers: &str) -> (String, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = TcpStream::connect(relay.address).await.unwrap();
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: relay\r\n{headers}Connection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    (head.lines().next().unwrap_or_default().into(), body.into())
}

pub fn body() -> ContainerId {
    ContainerId::text("body")
}

/// A client: its documents and its session with the relay.
pub struct Client {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
    pub session: SyncSession,
    pub docs: BTreeMap<String, Document>,
    replica: ReplicaId,
    started: std::time::Instant,
    pub events: Vec<SessionEvent>,
    pub errors: Vec<String>,
    /// Text messages (lock answers and events), in order.
    pub texts: Vec<serde_json::Value>,
    pub closed: Option<CloseFrame>,
}

impl Client {
    pub async fn connect(url: &str, replica: u64) -> Result<Client, String> {
        let (socket, _) = connect_async(url)
            .await
            .map_err(|error| error.to_string())?;
        let replica = ReplicaId::new(replica);
        let mut client = Client {
            socket,
            session: SyncSession::new(replica, SessionConfig::default()),
            docs: BTreeMap::new(),
            replica,
            started: std::time::Instant::now(),
            events: Vec::new(),
            errors: Vec::new(),
            texts: Vec::new(),
            closed: None,
        };
        client.flush().await;
        Ok(client)
    }

    fn now(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    pub async fn subscribe(&mut self, doc: &str) {
        let now = self.now();
        let document = self
            .docs
            .entry(doc.into())
            .or_insert_with(|| Document::new(self.replica));
        self.session.subscribe(now, doc, document);
        self.flush().await;
    }

    pub async fn type_text(&mut self, doc: &str, text: &str) {
        let now = self.now();
        let document = self.docs.get_mut(doc).unwrap();
        let end = document.text(&body()).map_or(0, |text| text.len());
        document
            .transact(None, |tx| tx.text_insert(&body(), end, text))
            .unwrap();
        self.session.local_changed(now, doc, document);
        self.flush().await;
    }

    pub fn text(&self, doc: &str) -> String {
        self.docs[doc]
            .text(&body())
            .map_or_else(String::new, ToString::to_string)
    }

    pub async fn send_raw(&mut self, frame: Frame) {
        let _ = self.socket.send(frame).await;
    }

    pub async fn flush(&mut self) {
        for message in self.session.take_outgoing() {
            if self
                .socket
                .send(Frame::Binary(message.into()))
                .await
                .is_err()
            {
                return;
            }
        }
    }

    /// Handles what arrives until `done` holds or `limit` passes; whether it held.
    pub async fn pump_until(&mut self, limit: Duration, done: impl Fn(&Client) -> bool) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        while !done(self) {
            let frame = match tokio::time::timeout_at(deadline, self.socket.next()).await {
                Err(_) => return false,
                Ok(None | Some(Err(_))) => return done(self),
                Ok(Some(Ok(frame))) => frame,
            };
            match frame {
                Frame::Binary(bytes) => {
                    if let Ok(weft_core::sync::Message::Error { message }) =
                        weft_core::sync::Message::decode(&bytes)
                    {
                        self.errors.push(message);
                    }
                    let now = self.now();
                    if let Ok(events) = self.session.receive(now, &bytes, &mut self.docs) {
                        self.events.extend(events);
                    }
                    self.flush().await;
                }
                Frame::Close(frame) => {
                    self.closed = frame;
                    return done(self);
                }
                Frame::Text(text) => {
                    self.texts.push(serde_json::from_str(&text).unwrap());
                }
                _ => {}
            }
        }
        true
    }

    /// Sends a lock request (its `id` set here) and waits for the answer.
    pub async fn lock_request(&mut self, mut request: serde_json::Value) -> serde_json::Value {
        let id = rand::random::<u32>();
        request["id"] = id.into();
        self.send_raw(Frame::Text(request.to_string().into())).await;
        let answered = |c: &Client| c.texts.iter().any(|text| text["id"] == id);
        assert!(self.pump_until(Duration::from_secs(10), answered).await);
        let at = self.texts.iter().position(|text| text["id"] == id).unwrap();
        self.texts.remove(at)
    }

    /// Handles whatever arrives within a moment, as a client always reading would.
    pub async fn settle(&mut self) {
        self.pump_until(Duration::from_millis(200), |_| false).await;
    }

    /// Waits until the relay acknowledges holding all of `doc` as this client has it.
    pub async fn wait_until_held(&mut self, doc: &str) -> bool {
        let held = self.docs[doc].version().clone();
        self.pump_until(Duration::from_secs(10), |c| {
            c.acknowledged(doc).includes(&held)
        })
        .await
    }

    /// What the relay acknowledged holding durably of `doc`.
    pub fn acknowledged(&self, doc: &str) -> VersionVector {
        self.session.acknowledged(doc).cloned().unwrap_or_default()
    }
}
