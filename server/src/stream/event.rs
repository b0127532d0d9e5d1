//! A stored delta as a change event for server-side consumers: JSON with the
//! document, the sequence number, the version after it, the changes it holds (by
//! author and counters, to deduplicate by dot), what it did in editor terms, and
//! the delta's bytes.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value as Json, json};
use weft_core::doc::{Base, ContainerDiff, DeltaItem, Diff, DocEvent, decode_update};
use weft_core::{ContainerId, Kind, ReplicaId, Value, VersionVector};

/// Replica ids are 64-bit: strings, so that JavaScript reads them whole.
pub fn version(version: &VersionVector) -> Json {
    let entries: Map<String, Json> = version
        .iter()
        .map(|(replica, counter)| (replica.get().to_string(), json!(counter)))
        .collect();
    Json::Object(entries)
}

/// Reads what [`version`] writes; `None` for anything else.
pub fn parse_version(json: &Json) -> Option<VersionVector> {
    let mut version = VersionVector::new();
    for (replica, counter) in json.as_object()? {
        let replica = replica.parse::<u64>().ok()?;
        version.advance(ReplicaId::new(replica), counter.as_u64()?);
    }
    Some(version)
}

fn kind(kind: Kind) -> &'static str {
    match kind {
        Kind::Text => "text",
        Kind::Map => "map",
        Kind::List => "list",
        Kind::MovableList => "movable-list",
        Kind::Counter => "counter",
        Kind::Register => "register",
    }
}

fn container(id: &ContainerId) -> Json {
    let mut object = Map::new();
    match &id.base {
        Base::Root(name) => {
            object.insert("root".into(), json!(name));
        }
        Base::Element { op, index } => {
            let element = format!("{}@{}:{index}", op.replica().get(), op.counter());
            object.insert("element".into(), json!(element));
        }
    }
    if !id.path.is_empty() {
        object.insert("path".into(), json!(id.path));
    }
    object.insert("kind".into(), json!(kind(id.kind)));
    Json::Object(object)
}

/// A value; bytes as base64, a new child container as `{"container": kind}`.
fn value(value: &Value) -> Json {
    match value {
        Value::Null => Json::Null,
        Value::Bool(value) => json!(value),
        Value::Int(value) => json!(value),
        Value::Float(value) => json!(value),
        Value::Str(value) => json!(value),
        Value::Bytes(bytes) => json!({ "bytes": STANDARD.encode(bytes) }),
        Value::Container(of) => json!({ "container": kind(*of) }),
    }
}

/// Quill-style: `{insert}`, `{retain}`, `{delete}`; positions count characters.
fn delta<T>(items: &[DeltaItem<T>], insert: impl Fn(&T) -> Json) -> Json {
    items
        .iter()
        .map(|item| match item {
            DeltaItem::Retain(n) => json!({ "retain": n }),
            DeltaItem::Insert(content) => json!({ "insert": insert(content) }),
            DeltaItem::Delete(n) => json!({ "delete": n }),
        })
        .collect()
}

fn diff(change: &ContainerDiff) -> Json {
    let target = container(&change.target);
    match &change.diff {
        Diff::Text(items) => json!({ "container": target, "text": delta(items, |s| json!(s)) }),
        Diff::List(items) => json!({
            "container": target,
            "list": delta(items, |values| values.iter().map(value).collect()),
        }),
        Diff::Map(keys) => {
            let keys: Map<String, Json> = keys
                .iter()
                .map(|(key, new)| (key.clone(), new.as_ref().map_or(Json::Null, value)))
                .collect();
            json!({ "container": target, "map": keys })
        }
        Diff::Counter(by) => json!({ "container": target, "counter": by }),
        Diff::Register(new) => json!({ "container": target, "register": value(new) }),
    }
}

/// The event for the delta `bytes`, stored as `seq`, after which the consumer's copy
/// of `doc` is at `after`, having done `events`.
pub fn change(
    doc: &str,
    seq: u64,
    bytes: &[u8],
    after: &VersionVector,
    events: &[DocEvent],
) -> Json {
    let changes: Vec<Json> = decode_update(bytes)
        .map(|changes| {
            changes
                .iter()
                .map(|change| {
                    json!({
                        "replica": change.id.replica().get().to_string(),
                        "first": change.id.counter(),
                        "last": change.last_counter(),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let diffs: Vec<Json> = events
        .iter()
        .flat_map(|event| event.diffs.iter().map(diff))
        .collect();
    json!({
        "doc": doc,
        "seq": seq,
        "version": version(after),
        "changes": changes,
        "diffs": diffs,
        "update": STANDARD.encode(bytes),
    })
}

/// What a consumer that asked for changes compacted away gets instead: the
/// snapshot they were folded into, up to `seq`.
pub fn snapshot(doc: &str, seq: u64, bytes: &[u8], at: &VersionVector) -> Json {
    json!({
        "doc": doc,
        "seq": seq,
        "version": version(at),
        "snapshot": STANDARD.encode(bytes),
    })
}
