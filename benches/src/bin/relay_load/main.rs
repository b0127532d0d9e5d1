//! Load test of the relay: memory per idle connection, and the rate, CPU cost and
//! latency of fanning edits out to the other clients of a room. The same load runs
//! against the peers' servers, the Yjs WebSocket server and Hocuspocus, with Yjs
//! clients.
//!
//! ```text
//! cargo build --release -p weft-relay -p weft-benches --bin weft-relay --bin relay_load
//! target/release/relay_load [--quick] [--server weft|yjs|hocuspocus] [--relay PATH]
//!                           [--connections N] [--clients N] [--rooms N] [--seconds S]
//!                           [--rate R,R...]
//! ```
//!
//! The tool starts the server itself, so that it can read the server's memory and
//! CPU time from `/proc`, and kills it at the end. Every client runs in this process on
//! one thread: they share one clock, so an edit's latency to each peer is a
//! difference of two readings of it. The results are markdown tables on stdout;
//! progress goes to stderr.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::error::Error;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::rc::Rc;
use std::time::{Duration, Instant};

mod yjs;

use futures_util::{FutureExt, SinkExt, StreamExt, stream};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::time::{Interval, MissedTickBehavior};
use tokio_tungstenite::tungstenite::Message as Frame;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async_with_config};
use weft_core::sync::Message;
use weft_core::{ContainerId, Document, ReplicaId, SessionConfig, SessionEvent, SyncSession};

const USAGE: &str = "usage: relay_load [--quick] [--server weft|yjs|hocuspocus] [--relay PATH]
                  [--connections N] [--clients N] [--rooms N] [--seconds S]
                  [--rate R,R...]

  --server       the server to load: the weft relay (default), the Yjs WebSocket
                 server (y-websocket 1.5) or Hocuspocus, both from benches/relay-peers
                 (npm install there first), driven by Yjs clients
  --relay        the relay binary (default target/release/weft-relay)
  --connections  idle connections for the memory measure (default 10000; 0 skips it)
  --clients      clients that type, spread over the rooms (default 1000)
  --rooms        documents the typing clients share (default 10)
  --seconds      how long they type, per rate (default 10)
  --rate         edits per second per client; a list runs one fan-out per rate,
                 each with fresh connections and documents (default 0.05,0.1,0.15)
  --quick        a smoke run: 200 idle connections, 100 clients, 2 seconds";

/// Documents the idle connections subscribe to.
const IDLE_DOCUMENTS: usize = 100;
/// Connections opening at once: enough to keep the relay busy without
/// overflowing its listen backlog.
const CONNECTING_AT_ONCE: usize = 128;
/// Time for a connection to open and finish its handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);
/// Time the relay gets after the last idle connection opened before its memory is
/// read: allocations made while serving the handshakes settle.
const SETTLE: Duration = Duration::from_secs(2);
/// Time between the last client connecting and the first edit.
const TYPING_DELAY: Duration = Duration::from_millis(200);
/// After typing stops: how long to wait for the last deliveries and acknowledgements.
const DRAIN_LIMIT: Duration = Duration::from_secs(5);
/// Linux reports CPU time in `/proc` in ticks of 1/USER_HZ seconds; USER_HZ is 100
/// on every architecture this tool is meant for.
const TICKS_PER_SECOND: u64 = 100;
/// The session's acknowledgement delay and tick, as the npm package's provider has
/// them.
const ACK_DELAY_MS: u64 = 500;
const SESSION_TICK: Duration = Duration::from_secs(1);
/// The delivery p99 the table's verdict column compares with.
const P99_TARGET: Duration = Duration::from_millis(10);

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|arg| arg == "--help" || arg == "-h") {
        println!("Load test of the weft relay.\n\n{USAGE}");
        return ExitCode::SUCCESS;
    }
    let options = match Options::parse(args.into_iter()) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}\n\n{USAGE}");
            return ExitCode::FAILURE;
        }
    };
    let result = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Box::<dyn Error>::from)
        .and_then(|runtime| tokio::task::LocalSet::new().block_on(&runtime, run(&options)));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("relay_load: {error}");
            ExitCode::FAILURE
        }
    }
}

/// The servers this tool can load.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Server {
    Weft,
    Yjs,
    Hocuspocus,
}

impl Server {
    fn parse(name: &str) -> Result<Self, String> {
        match name {
            "weft" => Ok(Server::Weft),
            "yjs" => Ok(Server::Yjs),
            "hocuspocus" => Ok(Server::Hocuspocus),
            other => Err(format!(
                "--server: {other:?} is none of weft, yjs, hocuspocus"
            )),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Server::Weft => "weft relay",
            Server::Yjs => "Yjs WebSocket server",
            Server::Hocuspocus => "Hocuspocus",
        }
    }
}

/// The command line.
struct Options {
    server: Server,
    relay: PathBuf,
    connections: usize,
    clients: usize,
    rooms: usize,
    seconds: f64,
    rates: Vec<f64>,
}

impl Options {
    fn parse(mut args: impl Iterator<Item = String>) -> Result<Self, String> {
        let mut server = Server::Weft;
        let mut relay = PathBuf::from("target/release/weft-relay");
        let mut quick = false;
        let (mut connections, mut clients, mut rooms, mut seconds) = (None, None, None, None);
        let mut rates = vec![0.05, 0.1, 0.15];
        while let Some(arg) = args.next() {
            let mut value = || args.next().ok_or(format!("{arg} needs a value"));
            match arg.as_str() {
                "--quick" => quick = true,
                "--server" => server = Server::parse(&value()?)?,
                "--relay" => relay = PathBuf::from(value()?),
                "--connections" => connections = Some(number(&arg, &value()?)?),
                "--clients" => clients = Some(number(&arg, &value()?)?),
                "--rooms" => rooms = Some(number(&arg, &value()?)?),
                "--seconds" => seconds = Some(number(&arg, &value()?)?),
                "--rate" => {
                    rates = value()?
                        .split(',')
                        .map(|rate| number(&arg, rate.trim()))
                        .collect::<Result<_, _>>()?;
                }
                other => return Err(format!("unknown argument {other:?}")),
            }
        }
        let options = Self {
            server,
            relay,
            connections: connections.unwrap_or(if quick { 200 } else { 10_000 }),
            clients: clients.unwrap_or(if quick { 100 } else { 1_000 }),
            rooms: rooms.unwrap_or(10),
            seconds: seconds.unwrap_or(if quick { 2.0 } else { 10.0 }),
            rates,
        };
        if options.rooms == 0 || options.clients < 2 * options.rooms {
            return Err("every room needs at least two clients".into());
        }
        if options.seconds <= 0.0 || options.rates.iter().any(|rate| *rate <= 0.0) {
            return Err("--seconds and --rate must be above zero".into());
        }
        Ok(options)
    }
}

fn number<T: std::str::FromStr>(option: &str, text: &str) -> Result<T, String> {
    text.parse()
        .map_err(|_| format!("{option}: {text:?} is not a number"))
}

async fn run(options: &Options) -> Result<(), Box<dyn Error>> {
    match options.server {
        Server::Weft => run_with::<Client>(options).await,
        Server::Yjs | Server::Hocuspocus => run_with::<yjs::Client>(options).await,
    }
}

async fn run_with<C: LoadClient>(options: &Options) -> Result<(), Box<dyn Error>> {
    let mut relay = Relay::start(options.server, &options.relay)?;
    eprintln!(
        "{} (pid {}) at {}",
        options.server.name(),
        relay.pid(),
        relay.address,
    );
    let idle = if options.connections > 0 {
        Some(idle_memory::<C>(&relay, options.connections).await?)
    } else {
        None
    };
    let mut fan_outs = Vec::new();
    for (phase, &rate) in options.rates.iter().enumerate() {
        fan_outs.push(fan_out::<C>(&relay, options, phase, rate).await?);
    }
    relay.check_alive()?;
    println!("{}\n", options.server.name());

    if let Some(idle) = idle {
        println!("{}", idle.table());
    }
    println!("{}", FanOut::tables(options, &fan_outs));
    Ok(())
}

// ---------------------------------------------------------------------------------
// The relay process

/// A server this tool started on a free port (the weft relay with a data folder of
/// its own); killed, and its folder removed, on drop.
struct Relay {
    server: Server,
    child: Child,
    address: SocketAddr,
    data_dir: PathBuf,
}

impl Relay {
    fn start(server: Server, binary: &Path) -> Result<Relay, Box<dyn Error>> {
        let data_dir = std::env::temp_dir().join(format!("weft-relay-load-{}", std::process::id()));
        std::fs::create_dir_all(&data_dir)?;
        let mut command = match server {
            Server::Weft => {
                let mut command = Command::new(binary);
                command
                    .args(["serve", "--host", "127.0.0.1", "--port", "0", "--data-dir"])
                    .arg(&data_dir)
                    .arg("--static-dir")
                    .arg(&data_dir)
                    .env("WEFT_LOG", "info");
                command
            }
            Server::Yjs | Server::Hocuspocus => {
                let script = match server {
                    Server::Yjs => "y-websocket.js",
                    _ => "hocuspocus.js",
                };
                let mut command = Command::new("node");
                command
                    .arg(
                        Path::new(env!("CARGO_MANIFEST_DIR"))
                            .join("relay-peers")
                            .join(script),
                    )
                    .arg("0");
                command
            }
        };
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|error| format!("starting the {}: {error}", server.name()))?;
        let stdout = child.stdout.take().expect("stdout is piped");
        // Dropped on an early return: kills the child and removes the folder.
        let mut relay = Relay {
            server,
            child,
            address: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir,
        };
        let mut lines = BufReader::new(stdout).lines();
        relay.address = loop {
            let line = lines.next().ok_or("the server exited before listening")??;
            if let Some(rest) = line.split("\"address\":\"").nth(1) {
                break rest.split('"').next().unwrap_or_default().parse()?;
            }
            if let Some(port) = line.strip_prefix("listening on ") {
                break SocketAddr::from(([127, 0, 0, 1], port.trim().parse()?));
            }
        };
        // Keep reading its logs so that it never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Ok(relay)
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Where a client of `doc` connects: one URL for every document on the relay and
    /// on Hocuspocus, which name documents in their messages; a room per path on the
    /// Yjs server.
    fn url(&self, doc: &str) -> String {
        match self.server {
            Server::Weft => format!("ws://{}/sync", self.address),
            Server::Yjs => format!("ws://{}/{doc}", self.address),
            Server::Hocuspocus => format!("ws://{}/", self.address),
        }
    }

    /// An error if the relay is no longer running: the numbers would be a crash's.
    fn check_alive(&mut self) -> Result<(), Box<dyn Error>> {
        match self.child.try_wait()? {
            Some(status) => Err(format!("the relay exited during the run: {status}").into()),
            None => Ok(()),
        }
    }

    /// Resident memory, from `VmRSS` in `/proc/<pid>/status`.
    fn rss(&self) -> Result<u64, Box<dyn Error>> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))?;
        let kib = status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|rest| {
                rest.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<u64>()
                    .ok()
            })
            .ok_or("no VmRSS in /proc status")?;
        Ok(kib * 1024)
    }

    /// The relay's counters and gauges, from its `/metrics` page (none for the peers'
    /// servers, which have no such page). A blocking read: the page is small and
    /// local.
    fn metrics(&self) -> Result<HashMap<String, f64>, Box<dyn Error>> {
        if self.server != Server::Weft {
            return Ok(HashMap::new());
        }
        let mut stream = std::net::TcpStream::connect(self.address)?;
        stream.write_all(b"GET /metrics HTTP/1.0\r\n\r\n")?;
        let mut response = String::new();
        stream.read_to_string(&mut response)?;
        let (_, body) = response
            .split_once("\r\n\r\n")
            .ok_or("no body in the /metrics response")?;
        Ok(body
            .lines()
            .filter(|line| !line.starts_with('#'))
            .filter_map(|line| {
                let (name, value) = line.split_once(' ')?;
                Some((name.to_string(), value.parse().ok()?))
            })
            .collect())
    }

    /// CPU time used so far: by the whole relay, and by its hub thread (the one
    /// thread that runs every sync session and writes to the store).
    fn cpu(&self) -> Result<RelayCpu, Box<dyn Error>> {
        let (_, all) = cpu_time(&format!("/proc/{}/stat", self.pid()))?;
        let mut hub = Duration::ZERO;
        for task in std::fs::read_dir(format!("/proc/{}/task", self.pid()))? {
            let (name, time) = cpu_time(&task?.path().join("stat").to_string_lossy())?;
            if name == "weft-hub" {
                hub = time;
            }
        }
        Ok(RelayCpu { all, hub })
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

/// CPU time of the relay: all its threads, and its hub thread alone.
struct RelayCpu {
    all: Duration,
    hub: Duration,
}

/// A process's or thread's name and CPU time (user and system) from its `stat` file.
fn cpu_time(path: &str) -> Result<(String, Duration), Box<dyn Error>> {
    let stat = std::fs::read_to_string(path)?;
    // The name is in parentheses and may itself hold spaces and parentheses.
    let open = stat.find('(').ok_or("malformed stat")?;
    let close = stat.rfind(')').ok_or("malformed stat")?;
    let name = stat[open + 1..close].to_string();
    // After the name come the fields from the third on: utime and stime are the
    // 14th and 15th.
    let fields: Vec<&str> = stat[close + 1..].split_whitespace().collect();
    let field = |number: usize| -> Result<u64, Box<dyn Error>> {
        Ok(fields.get(number - 3).ok_or("short stat")?.parse()?)
    };
    Ok((name, ticks(field(14)? + field(15)?)))
}

fn ticks(count: u64) -> Duration {
    Duration::from_micros(count * 1_000_000 / TICKS_PER_SECOND)
}

// ---------------------------------------------------------------------------------
// Clients

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Opens a WebSocket as the clients of every server here do.
async fn connect(url: &str) -> Result<Socket, tokio_tungstenite::tungstenite::Error> {
    // Each connection keeps a read buffer this large: small, so that ten thousand of
    // them stay cheap, and large enough to read many frames at once.
    let config = WebSocketConfig::default().read_buffer_size(16 * 1024);
    // Without Nagle's algorithm, as browsers send: an edit leaves at once.
    let (socket, _) = connect_async_with_config(url, Some(config), true).await?;
    Ok(socket)
}

/// What the load needs of a client, whichever server it speaks to.
trait LoadClient: Sized + 'static {
    /// Connects to `relay` for `doc`, and returns once the server sent the document.
    async fn join(relay: &Relay, doc: String, clock: Instant) -> Result<Self, Box<dyn Error>>;
    fn socket(&mut self) -> &mut Socket;
    /// Appends `marker` to the room's text and queues the update; the counter whose
    /// durable acknowledgement to wait for, when the server gives them.
    fn type_marker(&mut self, marker: &str) -> Option<u64>;
    /// Handles a message from the server.
    fn receive(&mut self, bytes: &[u8]) -> Received;
    /// What a client does on its timer, once a second.
    fn tick(&mut self);
    /// Sends what is queued, in one write.
    async fn flush(&mut self) -> Result<(), tokio_tungstenite::tungstenite::Error>;
}

/// What a message from the server said.
#[derive(Default)]
struct Received {
    /// This client's changes up to this counter are durable.
    acknowledged: Option<u64>,
    /// Errors the server reported, or messages this client could not use.
    errors: usize,
}

fn body() -> ContainerId {
    ContainerId::text("body")
}

/// A client subscribed to one document: its sync session with the relay over a
/// socket of its own, and its copy of the document.
struct Client {
    socket: Socket,
    session: SyncSession,
    docs: BTreeMap<String, Document>,
    doc: String,
    replica: ReplicaId,
    clock: Instant,
}

impl LoadClient for Client {
    /// Connects, says hello, subscribes to `doc`, and handles what arrives until the
    /// relay has subscribed back: only then does the session send local changes.
    async fn join(relay: &Relay, doc: String, clock: Instant) -> Result<Client, Box<dyn Error>> {
        let socket = connect(&relay.url(&doc)).await?;
        // Random 53-bit ids, as the JavaScript package picks them, so that version
        // vectors on the wire are as large as real clients make them.
        let replica = ReplicaId::new((rand::random::<u64>() >> 11) | 1);
        let mut document = Document::new(replica);
        // Nothing here observes the document: no events to work out.
        document.set_events(false);
        let mut client = Client {
            socket,
            // Acknowledging as the npm package's provider does: one acknowledgement
            // for the updates of half a second, sent on the session's tick.
            session: SyncSession::new(
                replica,
                SessionConfig {
                    ack_delay_ms: ACK_DELAY_MS,
                    ..SessionConfig::default()
                },
            ),
            docs: BTreeMap::from([(doc.clone(), document)]),
            doc,
            replica,
            clock,
        };
        client
            .session
            .subscribe(client.now(), &client.doc, &client.docs[&client.doc]);
        client.flush().await?;
        loop {
            let frame = client
                .socket
                .next()
                .await
                .ok_or("closed in the handshake")??;
            let Frame::Binary(bytes) = frame else {
                continue;
            };
            let message = Message::decode(&bytes)?;
            if let Message::Error { message } = &message {
                return Err(format!("the relay refused: {message}").into());
            }
            client.session_receive(&bytes)?;
            client.flush().await?;
            // The relay subscribes back right after answering the subscribe.
            if matches!(message, Message::Subscribe { .. }) {
                return Ok(client);
            }
        }
    }

    fn socket(&mut self) -> &mut Socket {
        &mut self.socket
    }

    fn type_marker(&mut self, marker: &str) -> Option<u64> {
        let now = self.now();
        let document = self.docs.get_mut(&self.doc).expect("joined with it");
        let end = document.text(&body()).map_or(0, |text| text.len());
        document
            .transact(None, |tx| tx.text_insert(&body(), end, marker))
            .expect("appending to a text");
        let counter = document.version().get(self.replica);
        self.session.local_changed(now, &self.doc, document);
        Some(counter)
    }

    fn receive(&mut self, bytes: &[u8]) -> Received {
        let Ok(events) = self.session_receive(bytes) else {
            return Received {
                acknowledged: None,
                errors: 1,
            };
        };
        let mut received = Received::default();
        for event in events {
            match event {
                SessionEvent::Acknowledged { version, .. } => {
                    let counter = version.get(self.replica);
                    received.acknowledged = received.acknowledged.max(Some(counter));
                }
                SessionEvent::Refused { .. } | SessionEvent::PeerError { .. } => {
                    received.errors += 1;
                }
                _ => {}
            }
        }
        received
    }

    fn tick(&mut self) {
        let now = self.now();
        self.session.tick(now, &mut self.docs);
    }

    /// Sends what the session has to send, in one write.
    async fn flush(&mut self) -> Result<(), tokio_tungstenite::tungstenite::Error> {
        let messages = self.session.take_outgoing();
        if messages.is_empty() {
            return Ok(());
        }
        for message in messages {
            self.socket.feed(Frame::Binary(message.into())).await?;
        }
        self.socket.flush().await
    }
}

impl Client {
    /// The session's clock: milliseconds.
    fn now(&self) -> u64 {
        self.clock.elapsed().as_millis() as u64
    }

    fn session_receive(&mut self, bytes: &[u8]) -> Result<Vec<SessionEvent>, weft_core::Error> {
        let now = self.now();
        self.session.receive(now, bytes, &mut self.docs)
    }
}

/// Opens one client per entry of `docs`, a bounded number at a time, in order.
async fn join_all<C: LoadClient>(
    relay: &Relay,
    docs: Vec<String>,
) -> Result<Vec<C>, Box<dyn Error>> {
    let clock = Instant::now();
    let joins = docs.into_iter().map(|doc| async move {
        tokio::time::timeout(HANDSHAKE_TIMEOUT, C::join(relay, doc, clock))
            .await
            .map_err(|_| "a handshake timed out")?
    });
    stream::iter(joins)
        .buffered(CONNECTING_AT_ONCE)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect()
}

// ---------------------------------------------------------------------------------
// Idle memory

/// What the idle phase measured: the relay's resident memory before and after.
struct IdleMemory {
    connections: usize,
    before: u64,
    after: u64,
    opening: Duration,
}

/// Opens `connections` clients that subscribe, each to one of [`IDLE_DOCUMENTS`],
/// and then do nothing; the relay's resident memory before and after.
async fn idle_memory<C: LoadClient>(
    relay: &Relay,
    connections: usize,
) -> Result<IdleMemory, Box<dyn Error>> {
    let before = relay.rss()?;
    let started = Instant::now();
    let docs = (0..connections)
        .map(|i| format!("idle-{}", i % IDLE_DOCUMENTS))
        .collect();
    let clients: Vec<C> = join_all(relay, docs).await?;
    let opening = started.elapsed();
    eprintln!("idle: {connections} connections open in {opening:.1?}");
    // Nothing arrives for an idle client, so none needs reading meanwhile.
    tokio::time::sleep(SETTLE).await;
    let after = relay.rss()?;
    for mut client in clients {
        let _ = client.socket().close(None).await;
    }
    // The next phase starts on a server that has let go of these connections (the
    // peers' servers say nothing of them: they get the time it may take).
    let closing = Instant::now();
    while relay.metrics()?.get("weft_connections") != Some(&0.0) && closing.elapsed() < SETTLE * 5 {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(IdleMemory {
        connections,
        before,
        after,
        opening,
    })
}

impl IdleMemory {
    fn table(&self) -> String {
        let growth = self.after.saturating_sub(self.before);
        let mut out = String::from(
            "| idle connections | relay RSS before | relay RSS after | growth per connection | \
             open + handshake |\n\
             |---:|---:|---:|---:|---:|\n",
        );
        out += &format!(
            "| {} | {:.1} MiB | {:.1} MiB | {:.1} KiB | {:.2} s |\n",
            self.connections,
            mib(self.before),
            mib(self.after),
            growth as f64 / 1024.0 / self.connections as f64,
            self.opening.as_secs_f64(),
        );
        out
    }
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

// ---------------------------------------------------------------------------------
// Fan-out

/// What the typing clients share: one clock, and what they sent and received.
struct Recorder {
    clock: Instant,
    /// Each client's edits, by the edit's sequence number.
    edits: RefCell<Vec<Vec<Edit>>>,
    /// From an edit's sending to its arrival at one peer, for every delivery (µs).
    deliveries: RefCell<Vec<u32>>,
    /// From an edit's sending to the relay's durable acknowledgement of it (µs).
    acks: RefCell<Vec<u32>>,
    /// Clients whose connection ended before the phase did.
    lost: Cell<usize>,
    /// Errors the relay reported, or refusals of what it sent.
    errors: Cell<usize>,
}

impl Recorder {
    fn micros(&self) -> u64 {
        self.clock.elapsed().as_micros() as u64
    }

    fn edit_count(&self) -> usize {
        self.edits.borrow().iter().map(Vec::len).sum()
    }
}

/// One edit: when it was sent (microseconds on the clock), and how long it took to
/// reach the first and the last of the peers it reached.
#[derive(Clone, Copy)]
struct Edit {
    sent: u64,
    first: Option<u32>,
    last: Option<u32>,
}

/// A client that types into its room and counts the peers' edits reaching it.
struct Typist<C> {
    client: C,
    index: u32,
    recorder: Rc<Recorder>,
    /// For each peer, the sequence number after its last edit seen here, so that an
    /// edit sent again is not counted again.
    seen: HashMap<u32, u32>,
    /// Own edits the relay has not acknowledged yet: the edit's counter, and when
    /// it was sent.
    unacked: VecDeque<(u64, u64)>,
}

impl<C: LoadClient> Typist<C> {
    /// Types on every tick of `ticker` until `typing_end`, reading all along, until
    /// `stop` says the phase is over.
    async fn run(
        mut self,
        mut ticker: Interval,
        typing_end: tokio::time::Instant,
        mut stop: watch::Receiver<bool>,
    ) {
        // Real clients' ticks are not in step: each starts at a random point.
        let phase = SESSION_TICK.mul_f64(rand::random::<f64>());
        let mut session_ticker =
            tokio::time::interval_at(tokio::time::Instant::now() + phase, SESSION_TICK);
        loop {
            tokio::select! {
                frame = self.client.socket().next() => {
                    let arrived = self.recorder.micros();
                    // Frames that arrived meanwhile are answered with the same write.
                    let mut frames = vec![frame];
                    while matches!(frames.last(), Some(Some(Ok(_))))
                        && let Some(frame) = self.client.socket().next().now_or_never()
                    {
                        frames.push(frame);
                    }
                    // One thread serves every client: the others woken with this one
                    // note their frames' arrival before this one spends time on its
                    // own, or the last peer of a room would wait for the other 98 to
                    // apply the same edit.
                    tokio::task::yield_now().await;
                    for frame in frames {
                        if !self.on_frame(frame, arrived) {
                            self.recorder.lost.set(self.recorder.lost.get() + 1);
                            return;
                        }
                    }
                }
                _ = ticker.tick() => {
                    // Late ticks too are cut off at the end, which the count of
                    // deliveries to expect is taken at.
                    if tokio::time::Instant::now() < typing_end {
                        self.type_edit();
                    }
                }
                _ = session_ticker.tick() => self.client.tick(),
                _ = stop.changed() => {
                    let _ = self.client.socket().close(None).await;
                    return;
                }
            }
            if self.client.flush().await.is_err() {
                self.recorder.lost.set(self.recorder.lost.get() + 1);
                return;
            }
        }
    }

    /// Appends a marker naming this client and the edit's number to the text.
    fn type_edit(&mut self) {
        let seq = self.recorder.edits.borrow()[self.index as usize].len();
        let acknowledgeable = self.client.type_marker(&format!("#{}:{seq}# ", self.index));
        let sent = self.recorder.micros();
        self.recorder.edits.borrow_mut()[self.index as usize].push(Edit {
            sent,
            first: None,
            last: None,
        });
        if let Some(counter) = acknowledgeable {
            self.unacked.push_back((counter, sent));
        }
    }

    /// Handles one frame (or the socket's end) that arrived at `arrived`; whether the
    /// connection is still open.
    fn on_frame(
        &mut self,
        frame: Option<Result<Frame, tokio_tungstenite::tungstenite::Error>>,
        arrived: u64,
    ) -> bool {
        let bytes = match frame {
            Some(Ok(Frame::Binary(bytes))) => bytes,
            Some(Ok(Frame::Close(_)) | Err(_)) | None => return false,
            Some(Ok(_)) => return true,
        };
        self.count_deliveries(&bytes, arrived);
        let received = self.client.receive(&bytes);
        let errors = &self.recorder.errors;
        errors.set(errors.get() + received.errors);
        if let Some(counter) = received.acknowledged {
            self.acknowledged(counter, arrived);
        }
        true
    }

    /// Finds the peers' markers in a frame. Updates carry inserted text as UTF-8, so
    /// this needs no decoding of the document.
    fn count_deliveries(&mut self, bytes: &[u8], now: u64) {
        let mut edits = self.recorder.edits.borrow_mut();
        let mut deliveries = self.recorder.deliveries.borrow_mut();
        for_each_marker(bytes, |client, seq| {
            // The relay may echo a client's own edit back to it.
            if client == self.index {
                return;
            }
            let Some(edit) = edits
                .get_mut(client as usize)
                .and_then(|edits| edits.get_mut(seq as usize))
            else {
                return;
            };
            let next = self.seen.entry(client).or_default();
            if seq >= *next {
                *next = seq + 1;
                let latency = micros_u32(now - edit.sent);
                deliveries.push(latency);
                edit.first = Some(edit.first.map_or(latency, |first| first.min(latency)));
                edit.last = Some(edit.last.map_or(latency, |last| last.max(latency)));
            }
        });
    }

    /// The relay holds this client's edits up to `counter` durably.
    fn acknowledged(&mut self, counter: u64, now: u64) {
        let mut acks = self.recorder.acks.borrow_mut();
        while let Some(&(edit, sent)) = self.unacked.front()
            && edit <= counter
        {
            acks.push(micros_u32(now - sent));
            self.unacked.pop_front();
        }
    }
}

fn micros_u32(micros: u64) -> u32 {
    u32::try_from(micros).unwrap_or(u32::MAX)
}

/// Calls `found` with the client and sequence number of every `#client:seq#` in
/// `bytes`.
fn for_each_marker(bytes: &[u8], mut found: impl FnMut(u32, u32)) {
    let mut rest = bytes;
    while let Some(start) = rest.iter().position(|&byte| byte == b'#') {
        rest = &rest[start + 1..];
        if let Some((client, seq, len)) = marker(rest) {
            found(client, seq);
            rest = &rest[len..];
        }
    }
}

/// `client:seq#` at the start of `bytes`: the two numbers and the length read.
fn marker(bytes: &[u8]) -> Option<(u32, u32, usize)> {
    let (client, first) = decimal(bytes)?;
    if bytes.get(first) != Some(&b':') {
        return None;
    }
    let (seq, second) = decimal(&bytes[first + 1..])?;
    let len = first + 1 + second;
    (bytes.get(len) == Some(&b'#')).then_some((client, seq, len + 1))
}

/// The decimal number at the start of `bytes`, and its length.
fn decimal(bytes: &[u8]) -> Option<(u32, usize)> {
    let len = bytes
        .iter()
        .take(9)
        .take_while(|b| b.is_ascii_digit())
        .count();
    let digits = std::str::from_utf8(&bytes[..len]).ok()?;
    Some((digits.parse().ok()?, len))
}

/// What one fan-out phase measured.
struct FanOut {
    rate: f64,
    typing: Duration,
    edits: usize,
    expected: usize,
    /// Latencies of every delivery, sorted.
    deliveries: Vec<u32>,
    /// For each edit, the latency to the first of its peers, sorted.
    first: Vec<u32>,
    /// For each edit, the latency to the last of its peers, sorted.
    last: Vec<u32>,
    /// Durable-acknowledgement latencies, sorted.
    acks: Vec<u32>,
    before: Sample,
    after: Sample,
    lost: usize,
    errors: usize,
}

/// What the relay and this tool had used at one moment.
struct Sample {
    at: Instant,
    relay: RelayCpu,
    tool: Duration,
    /// CPU time of the whole machine, every process counted: what the relay and
    /// this tool did not use went to others, which the relay competed with.
    machine: Duration,
    /// The relay's `/metrics`, by name.
    counters: HashMap<String, f64>,
}

impl Sample {
    fn take(relay: &Relay) -> Result<Sample, Box<dyn Error>> {
        Ok(Sample {
            at: Instant::now(),
            relay: relay.cpu()?,
            tool: cpu_time("/proc/self/stat")?.1,
            machine: machine_cpu()?,
            counters: relay.metrics()?,
        })
    }
}

/// CPU time of every core so far, from the first line of `/proc/stat`: everything
/// but idle and waiting for input or output.
fn machine_cpu() -> Result<Duration, Box<dyn Error>> {
    let stat = std::fs::read_to_string("/proc/stat")?;
    let counts: Vec<u64> = stat
        .lines()
        .next()
        .and_then(|line| line.strip_prefix("cpu "))
        .ok_or("no cpu line in /proc/stat")?
        .split_whitespace()
        .map(str::parse)
        .collect::<Result<_, _>>()?;
    // Guest time, which follows, is counted in user time already.
    let [user, nice, system, _idle, _iowait, irq, softirq, steal, ..] = counts[..] else {
        return Err("a short cpu line in /proc/stat".into());
    };
    Ok(ticks(user + nice + system + irq + softirq + steal))
}

/// Clients in rooms, each typing `rate` edits a second for the set time; every
/// edit is delivered to the room's other clients.
async fn fan_out<C: LoadClient>(
    relay: &Relay,
    options: &Options,
    phase: usize,
    rate: f64,
) -> Result<FanOut, Box<dyn Error>> {
    let clients = options.clients;
    let room_of = |client: usize| client % options.rooms;
    let docs = (0..clients)
        .map(|client| format!("room-{phase}-{}", room_of(client)))
        .collect();
    let joined: Vec<C> = join_all(relay, docs).await?;
    eprintln!("fan-out at {rate}/s per client: {clients} clients joined");

    let recorder = Rc::new(Recorder {
        clock: Instant::now(),
        edits: RefCell::new(vec![Vec::new(); clients]),
        deliveries: RefCell::default(),
        acks: RefCell::default(),
        lost: Cell::new(0),
        errors: Cell::new(0),
    });
    let period = Duration::from_secs_f64(1.0 / rate);
    let start = tokio::time::Instant::now() + TYPING_DELAY;
    let typing_end = start + Duration::from_secs_f64(options.seconds);
    let (stop, stopped) = watch::channel(false);
    let mut tasks = Vec::with_capacity(clients);
    for (index, client) in joined.into_iter().enumerate() {
        // Spread the clients' ticks evenly over the period: a steady stream of
        // edits, not a burst every period.
        let first = start + period.mul_f64(index as f64 / clients as f64);
        let mut ticker = tokio::time::interval_at(first, period);
        // An overloaded tool types less rather than catching up in bursts; the
        // table shows the rate achieved.
        ticker.set_missed_tick_behavior(MissedTickBehavior::Skip);
        let typist = Typist {
            client,
            index: index as u32,
            recorder: Rc::clone(&recorder),
            seen: HashMap::new(),
            unacked: VecDeque::new(),
        };
        tasks.push(tokio::task::spawn_local(typist.run(
            ticker,
            typing_end,
            stopped.clone(),
        )));
    }

    tokio::time::sleep_until(start).await;
    let before = Sample::take(relay)?;
    tokio::time::sleep_until(typing_end).await;
    let typing = before.at.elapsed();
    // Every edit reaches every other client of its room, and is acknowledged.
    let mut room_size = vec![0; options.rooms];
    for client in 0..clients {
        room_size[room_of(client)] += 1;
    }
    let expected: usize = recorder
        .edits
        .borrow()
        .iter()
        .enumerate()
        .map(|(client, edits)| edits.len() * (room_size[room_of(client)] - 1))
        .sum();
    let drain_end = tokio::time::Instant::now() + DRAIN_LIMIT;
    while tokio::time::Instant::now() < drain_end
        && (recorder.deliveries.borrow().len() < expected
            || recorder.acks.borrow().len() < recorder.edit_count())
    {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let after = Sample::take(relay)?;

    let _ = stop.send(true);
    for task in tasks {
        task.await?;
    }
    let mut deliveries = recorder.deliveries.take();
    deliveries.sort_unstable();
    let mut acks = recorder.acks.take();
    acks.sort_unstable();
    let edits = recorder.edits.take().concat();
    let mut first: Vec<u32> = edits.iter().filter_map(|edit| edit.first).collect();
    first.sort_unstable();
    let mut last: Vec<u32> = edits.iter().filter_map(|edit| edit.last).collect();
    last.sort_unstable();
    let result = FanOut {
        rate,
        typing,
        edits: edits.len(),
        expected,
        deliveries,
        first,
        last,
        acks,
        before,
        after,
        lost: recorder.lost.get(),
        errors: recorder.errors.get(),
    };
    eprintln!(
        "fan-out at {rate}/s per client: {} edits, {} of {} deliveries",
        result.edits,
        result.deliveries.len(),
        result.expected
    );
    Ok(result)
}

impl FanOut {
    /// How much a counter of the relay's `/metrics` grew during the phase (`None`
    /// for the peers' servers, which have no such page).
    fn counter(&self, name: &str) -> Option<f64> {
        if self.after.counters.is_empty() {
            return None;
        }
        let value = |sample: &Sample| sample.counters.get(name).copied().unwrap_or(0.0);
        Some(value(&self.after) - value(&self.before))
    }

    /// A share of one core over the phase.
    fn cpu_share(&self, cpu: Duration) -> String {
        let wall = self.after.at - self.before.at;
        format!("{:.0}%", 100.0 * cpu.as_secs_f64() / wall.as_secs_f64())
    }

    /// An amount per delivery.
    fn per_delivery(&self, amount: Option<f64>, unit: &str) -> String {
        match (amount, self.deliveries.len()) {
            (None, _) | (_, 0) => "n/a".into(),
            (Some(amount), delivered) => format!("{:.1}{unit}", amount / delivered as f64),
        }
    }

    /// Two tables: what the clients saw, and what it cost the relay.
    fn tables(options: &Options, runs: &[FanOut]) -> String {
        let mut out = format!(
            "{} clients in {} rooms ({} per room), typing for {} s\n\n",
            options.clients,
            options.rooms,
            options.clients / options.rooms,
            options.seconds,
        );
        out += "| edits/s per client | edits/s target | edits/s achieved | deliveries/s | \
                delivered | delivery p50 | delivery p99 | delivery max | p99 < 10 ms | \
                first peer p50 | last peer p50 | durable ack p50 | durable ack p99 | \
                lost connections | errors |\n\
                |---:|---:|---:|---:|---:|---:|---:|---:|:---:|---:|---:|---:|---:|---:|---:|\n";
        for run in runs {
            let typing = run.typing.as_secs_f64();
            let delivered = run.deliveries.len();
            let p99 = percentile(&run.deliveries, 99.0);
            let verdict = match p99 {
                Some(p99) if u128::from(p99) < P99_TARGET.as_micros() => "yes",
                Some(_) => "no",
                None => "n/a",
            };
            out += &format!(
                "| {} | {:.0} | {:.0} | {:.0} | {:.2}% | {} | {} | {} | {verdict} | \
                 {} | {} | {} | {} | {} | {} |\n",
                run.rate,
                run.rate * options.clients as f64,
                run.edits as f64 / typing,
                delivered as f64 / typing,
                100.0 * delivered as f64 / run.expected.max(1) as f64,
                millis(percentile(&run.deliveries, 50.0)),
                millis(p99),
                millis(run.deliveries.last().copied()),
                millis(percentile(&run.first, 50.0)),
                millis(percentile(&run.last, 50.0)),
                millis(percentile(&run.acks, 50.0)),
                millis(percentile(&run.acks, 99.0)),
                run.lost,
                run.errors,
            );
        }
        out += "\nCPU as a share of one core, over the typing and the wait for the last \
                deliveries after it; the relay's counters from its `/metrics`\n\n\
                | edits/s per client | relay CPU per delivery | relay CPU | hub thread | \
                other relay threads | tool CPU | other processes CPU | group commits/s | \
                mean commit | messages out per delivery | bytes in per delivery | \
                bytes out per delivery |\n\
                |---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
        for run in runs {
            let tool = run.after.tool - run.before.tool;
            let machine = run.after.machine - run.before.machine;
            let relay = RelayCpu {
                all: run.after.relay.all - run.before.relay.all,
                hub: run.after.relay.hub - run.before.relay.hub,
            };
            let commits = run.counter("weft_store_writes_total");
            let commit_seconds = run.counter("weft_store_write_seconds_sum");
            let (commits_per_second, mean_commit) = match (commits, commit_seconds) {
                (Some(commits), Some(seconds)) => (
                    format!(
                        "{:.0}",
                        commits / (run.after.at - run.before.at).as_secs_f64()
                    ),
                    (commits > 0.0).then(|| (seconds / commits * 1e6) as u32),
                ),
                _ => ("n/a".into(), None),
            };
            let hub = match options.server {
                Server::Weft => run.cpu_share(relay.hub),
                _ => "n/a".into(),
            };
            out += &format!(
                "| {} | {} | {} | {hub} | {} | {} | {} | {commits_per_second} | {} | {} | {} | {} |\n",
                run.rate,
                run.per_delivery(Some(relay.all.as_secs_f64() * 1e6), " µs"),
                run.cpu_share(relay.all),
                run.cpu_share(relay.all - relay.hub),
                run.cpu_share(tool),
                run.cpu_share(machine.saturating_sub(relay.all + tool)),
                millis(mean_commit),
                run.per_delivery(run.counter("weft_deltas_out_total"), ""),
                run.per_delivery(run.counter("weft_bytes_in_total"), " B"),
                run.per_delivery(run.counter("weft_bytes_out_total"), " B"),
            );
        }
        out
    }
}

/// The nearest-rank percentile of sorted values.
fn percentile(sorted: &[u32], percent: f64) -> Option<u32> {
    let rank = (percent / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len().max(1)) - 1).copied()
}

fn millis(micros: Option<u32>) -> String {
    micros.map_or_else(
        || "n/a".into(),
        |micros| format!("{:.2} ms", f64::from(micros) / 1000.0),
    )
}
