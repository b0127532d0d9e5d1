//! `weft-relay tail`: follows a document's change stream on a running relay and
//! prints every event as one JSON line (`{"event", "id", "data"}`), for people and
//! for pipes into `jq`. With `--cursor`, it is a durable consumer: it acknowledges
//! each change once printed, and starts again after the last one it acknowledged.

use std::io::Write;

use http_body_util::{BodyExt, Empty};
use hyper::Request;
use hyper::body::Bytes;
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use serde_json::{Value as Json, json};
use tokio::net::TcpStream;

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

/// What to follow.
pub struct Tail {
    /// `http://host:port` of the relay.
    pub url: String,
    pub doc: String,
    /// A sequence number or `now`.
    pub from: Option<String>,
    /// A named durable cursor.
    pub cursor: Option<String>,
    /// An encoded version vector, in hex: first the changes since it.
    pub version: Option<String>,
    pub token: Option<String>,
}

/// Percent-encodes a query value (everything but RFC 3986's unreserved characters).
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(byte).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

/// One HTTP/1.1 connection to the relay at `authority`.
async fn connect(authority: &str) -> Result<http1::SendRequest<Empty<Bytes>>> {
    let stream = TcpStream::connect(authority).await?;
    let (sender, connection) = http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    Ok(sender)
}

/// A Server-Sent Event as it arrived.
#[derive(Debug, Default, PartialEq)]
struct SseEvent {
    event: String,
    id: Option<String>,
    data: String,
}

/// Splits a Server-Sent Events body into events, however its chunks fall.
#[derive(Default)]
struct SseParser {
    buffer: String,
}

impl SseParser {
    fn feed(&mut self, chunk: &str) -> Vec<SseEvent> {
        self.buffer.push_str(chunk);
        // Line ends may be CRLF, and a chunk may end between the two.
        if self.buffer.contains("\r\n") {
            self.buffer = self.buffer.replace("\r\n", "\n");
        }
        let mut events = Vec::new();
        while let Some(end) = self.buffer.find("\n\n") {
            let block: String = self.buffer.drain(..end + 2).collect();
            let mut event = SseEvent {
                event: "message".into(),
                ..SseEvent::default()
            };
            let mut data = Vec::new();
            for line in block.lines() {
                let (field, value) = line.split_once(':').unwrap_or((line, ""));
                let value = value.strip_prefix(' ').unwrap_or(value);
                match field {
                    "event" => event.event = value.into(),
                    "id" => event.id = Some(value.into()),
                    "data" => data.push(value),
                    _ => {}
                }
            }
            if !data.is_empty() {
                event.data = data.join("\n");
                events.push(event);
            }
        }
        events
    }
}

pub fn run(tail: &Tail) -> Result {
    let authority = tail
        .url
        .strip_prefix("http://")
        .ok_or("the relay's URL starts with http:// (put TLS in front with a proxy)")?
        .trim_end_matches('/')
        .to_string();
    let mut path = format!("/changes?doc={}", encode(&tail.doc));
    match (&tail.from, &tail.cursor, &tail.version) {
        (Some(from), None, None) => path += &format!("&from={}", encode(from)),
        (None, Some(cursor), None) => path += &format!("&cursor={}", encode(cursor)),
        (None, None, Some(version)) => path += &format!("&version={}", encode(version)),
        (None, None, None) => path += "&from=now",
        _ => return Err("give one of --from, --cursor and --version".into()),
    }
    if let Some(token) = &tail.token {
        path += &format!("&token={}", encode(token));
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(follow(tail, &authority, &path))
}

async fn follow(tail: &Tail, authority: &str, path: &str) -> Result {
    let mut sender = connect(authority).await?;
    let request = Request::get(path)
        .header("host", authority)
        .header("accept", "text/event-stream")
        .body(Empty::<Bytes>::new())?;
    let response = sender.send_request(request).await?;
    let status = response.status();
    let mut body = response.into_body();
    if !status.is_success() {
        let text = body.collect().await?.to_bytes();
        return Err(format!("{status}: {}", String::from_utf8_lossy(&text).trim()).into());
    }
    let mut acks = match &tail.cursor {
        Some(_) => Some(connect(authority).await?),
        None => None,
    };
    let mut parser = SseParser::default();
    let mut stdout = std::io::stdout();
    while let Some(frame) = body.frame().await {
        let Ok(chunk) = frame?.into_data() else {
            continue;
        };
        for event in parser.feed(&String::from_utf8_lossy(&chunk)) {
            let data: Json = serde_json::from_str(&event.data).unwrap_or(Json::Null);
            let line = json!({ "event": event.event, "id": event.id, "data": data });
            writeln!(stdout, "{line}")?;
            stdout.flush()?;
            if let (Some(acks), Some(cursor), "change") = (&mut acks, &tail.cursor, &*event.event) {
                let seq = data["seq"]
                    .as_u64()
                    .ok_or("a change without a sequence number")?;
                acknowledge(acks, authority, tail, cursor, seq).await?;
            }
        }
    }
    Ok(())
}

/// Stores the cursor after a change was printed.
async fn acknowledge(
    sender: &mut http1::SendRequest<Empty<Bytes>>,
    authority: &str,
    tail: &Tail,
    cursor: &str,
    seq: u64,
) -> Result {
    let mut path = format!(
        "/cursors?doc={}&name={}&seq={seq}",
        encode(&tail.doc),
        encode(cursor)
    );
    if let Some(token) = &tail.token {
        path += &format!("&token={}", encode(token));
    }
    let request = Request::post(path)
        .header("host", authority)
        .body(Empty::<Bytes>::new())?;
    let response = sender.send_request(request).await?;
    if !response.status().is_success() {
        return Err(format!("acknowledging {seq}: {}", response.status()).into());
    }
    response.into_body().collect().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_whole_however_the_chunks_fall() {
        let body = "event: change\nid: 7\ndata: {\"seq\":7}\n\n: keep-alive\n\nevent: up-to-date\r\ndata: {}\r\n\r\n";
        for split in 0..body.len() {
            let (a, b) = body.split_at(split);
            let mut parser = SseParser::default();
            let mut events = parser.feed(a);
            events.extend(parser.feed(b));
            assert_eq!(
                events,
                [
                    SseEvent {
                        event: "change".into(),
                        id: Some("7".into()),
                        data: "{\"seq\":7}".into(),
                    },
                    SseEvent {
                        event: "up-to-date".into(),
                        id: None,
                        data: "{}".into(),
                    },
                ],
                "split at {split}"
            );
        }
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(encode("team/notes & more"), "team%2Fnotes%20%26%20more");
        assert_eq!(encode("plain-name_1.~"), "plain-name_1.~");
    }
}
