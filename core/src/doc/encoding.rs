//! The document's binary format: updates (changes) and snapshots (state), inside
//! weft's envelope. `docs/wire-format.md` specifies the layout.
//!
//! An update stores its operations by column: the kinds of all operations, then their
//! containers (indices into a table of container names), each run-length encoded,
//! then the operations' own fields. Transactions usually touch one container with one
//! kind of operation, so both columns collapse to a run or two.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use super::change::{Change, Op, Stamp};
use super::container_id::{Base, ContainerId, Kind};
use super::state::Container;
use super::value::Value;
use super::wire::{Reader, Writer};
use crate::codec::{FORMAT_VERSION, MAGIC};
use crate::text::{read_ops, write_ops};
use crate::{Dot, Error, ReplicaId, VersionVector};

/// The envelope kind of a document update.
pub const UPDATE_KIND: u8 = 11;
/// The envelope kind of a document snapshot.
pub const SNAPSHOT_KIND: u8 = 12;

const OP_TEXT: u64 = 0;
const OP_LIST: u64 = 1;
const OP_MAP_SET: u64 = 2;
const OP_COUNTER_ADD: u64 = 3;
const OP_REGISTER_SET: u64 = 4;
const OP_MOVE: u64 = 5;
const OP_REPLACE: u64 = 6;

/// Deepest map path a container name may have; deeper names are refused so that
/// hostile input cannot make names quadratic in size.
pub(crate) const MAX_PATH: usize = 64;

pub(crate) fn envelope(kind: u8) -> Writer {
    let mut out = Writer::default();
    out.out
        .extend_from_slice(&[MAGIC[0], MAGIC[1], FORMAT_VERSION, kind]);
    out
}

/// Checks the envelope and returns a reader of the body.
pub(crate) fn open(bytes: &[u8], kind: u8) -> Result<Reader<'_>, Error> {
    let [m0, m1, version, found, body @ ..] = bytes else {
        return Err(if bytes.starts_with(&MAGIC[..bytes.len().min(2)]) {
            Error::Malformed
        } else {
            Error::NotWeft
        });
    };
    if [*m0, *m1] != MAGIC {
        return Err(Error::NotWeft);
    }
    if *version > FORMAT_VERSION {
        return Err(Error::NewerFormat {
            found: *version,
            supported: FORMAT_VERSION,
        });
    }
    if *found != kind {
        return Err(Error::WrongKind {
            expected: kind,
            found: *found,
        });
    }
    Ok(Reader::new(body))
}

pub(crate) fn write_stamp(out: &mut Writer, stamp: Stamp) {
    out.u64(stamp.lamport);
    out.u64(stamp.replica.get());
}

pub(crate) fn read_stamp(input: &mut Reader<'_>) -> Result<Stamp, Error> {
    Ok(Stamp {
        lamport: input.u64()?,
        replica: ReplicaId::new(input.u64()?),
    })
}

pub(crate) fn write_value(out: &mut Writer, value: &Value) {
    match value {
        Value::Null => out.u8(0),
        Value::Bool(false) => out.u8(1),
        Value::Bool(true) => out.u8(2),
        Value::Int(n) => {
            out.u8(3);
            out.i64(*n);
        }
        Value::Float(x) => {
            out.u8(4);
            out.out.extend_from_slice(&x.to_le_bytes());
        }
        Value::Str(s) => {
            out.u8(5);
            out.str(s);
        }
        Value::Bytes(b) => {
            out.u8(6);
            out.bytes(b);
        }
        Value::Container(kind) => {
            out.u8(7);
            out.u8(kind.code());
        }
    }
}

pub(crate) fn read_value(input: &mut Reader<'_>) -> Result<Value, Error> {
    Ok(match input.u8()? {
        0 => Value::Null,
        1 => Value::Bool(false),
        2 => Value::Bool(true),
        3 => Value::Int(input.i64()?),
        4 => {
            let bytes = input.take(8)?;
            let mut raw = [0; 8];
            raw.copy_from_slice(bytes);
            Value::Float(f64::from_le_bytes(raw))
        }
        5 => Value::Str(input.string()?),
        6 => Value::Bytes(input.bytes()?.to_vec()),
        7 => Value::Container(read_kind(input)?),
        _ => return Err(Error::Malformed),
    })
}

fn read_kind(input: &mut Reader<'_>) -> Result<Kind, Error> {
    Kind::from_code(u64::from(input.u8()?)).ok_or(Error::Malformed)
}

pub(crate) fn write_id(out: &mut Writer, id: &ContainerId) {
    out.u8(id.kind.code());
    match &id.base {
        Base::Root(name) => {
            out.u8(0);
            out.str(name);
        }
        Base::Element { op, index } => {
            out.u8(1);
            out.dot(*op);
            out.u64(u64::from(*index));
        }
    }
    out.u64(id.path.len() as u64);
    for key in &id.path {
        out.str(key);
    }
}

pub(crate) fn read_id(input: &mut Reader<'_>) -> Result<ContainerId, Error> {
    let kind = read_kind(input)?;
    let base = match input.u8()? {
        0 => Base::Root(input.string()?),
        1 => Base::Element {
            op: input.dot()?,
            index: input.u32()?,
        },
        _ => return Err(Error::Malformed),
    };
    let depth = input.count(1)?;
    if depth > MAX_PATH {
        return Err(Error::Malformed);
    }
    let mut path = Vec::with_capacity(depth);
    for _ in 0..depth {
        path.push(input.string()?);
    }
    Ok(ContainerId { base, path, kind })
}

/// Writes changes: a table of containers, the change headers, then the operations by
/// column.
pub(crate) fn write_changes<'a>(
    out: &mut Writer,
    changes: impl Iterator<Item = &'a Change> + Clone,
) {
    let mut table: BTreeMap<&ContainerId, u64> = BTreeMap::new();
    for op in changes.clone().flat_map(|change| &change.ops) {
        table.entry(op.target()).or_default();
    }
    out.u64(table.len() as u64);
    for (at, (id, index)) in table.iter_mut().enumerate() {
        *index = at as u64;
        write_id(out, id);
    }
    out.u64(changes.clone().count() as u64);
    for change in changes.clone() {
        out.u64(change.id.replica().get());
        out.u64(change.id.counter());
        out.u64(change.lamport);
        out.version(&change.deps);
        out.u64(change.ops.len() as u64);
    }
    let ops = || changes.clone().flat_map(|change| &change.ops);
    out.rle_column(ops().map(|op| match op {
        Op::Text { .. } => OP_TEXT,
        Op::List { .. } => OP_LIST,
        Op::MapSet { .. } => OP_MAP_SET,
        Op::CounterAdd { .. } => OP_COUNTER_ADD,
        Op::RegisterSet { .. } => OP_REGISTER_SET,
        Op::Move { .. } => OP_MOVE,
        Op::Replace { .. } => OP_REPLACE,
    }));
    out.rle_column(ops().map(|op| table[op.target()]));
    let mut fields = Writer::default();
    for op in ops() {
        match op {
            Op::Text { delta, .. } => write_ops(&delta.ops, &mut fields.out),
            Op::List { delta, values, .. } => {
                write_ops(&delta.ops, &mut fields.out);
                fields.u64(values.len() as u64);
                values
                    .iter()
                    .for_each(|value| write_value(&mut fields, value));
            }
            Op::MapSet { key, value, .. } => {
                fields.str(key);
                match value {
                    None => fields.u8(0),
                    Some(value) => {
                        fields.u8(1);
                        write_value(&mut fields, value);
                    }
                }
            }
            Op::CounterAdd { amount, .. } => fields.i64(*amount),
            Op::RegisterSet { value, .. } => write_value(&mut fields, value),
            Op::Move { element, delta, .. } => {
                fields.dot(*element);
                write_ops(&delta.ops, &mut fields.out);
            }
            Op::Replace { element, value, .. } => {
                fields.dot(*element);
                write_value(&mut fields, value);
            }
        }
    }
    out.bytes(&fields.out);
}

/// Reads what [`write_changes`] wrote.
pub(crate) fn read_changes(input: &mut Reader<'_>) -> Result<Vec<Change>, Error> {
    let table_len = input.count(4)?;
    let mut table = Vec::with_capacity(table_len);
    for _ in 0..table_len {
        table.push(read_id(input)?);
    }
    let count = input.count(5)?;
    let mut headers = Vec::with_capacity(count);
    let mut total: usize = 0;
    for _ in 0..count {
        let replica = ReplicaId::new(input.u64()?);
        let counter = input.u64()?;
        let lamport = input.u64()?;
        let deps = input.version()?;
        let ops = input.count(1)?;
        if ops == 0 || counter == 0 {
            return Err(Error::Malformed);
        }
        // Every operation's fields take at least one byte.
        total = total.checked_add(ops).ok_or(Error::Malformed)?;
        if total > input.remaining() {
            return Err(Error::Malformed);
        }
        headers.push((Dot::new(replica, counter), lamport, deps, ops));
    }
    let kinds = input.rle_column(total)?;
    let targets = input.rle_column(total)?;
    let mut fields = Reader::new(input.bytes()?);
    let mut columns = kinds.into_iter().zip(targets);
    let mut changes = Vec::with_capacity(count);
    for (id, lamport, deps, len) in headers {
        let mut ops = Vec::with_capacity(len);
        for (kind, target) in columns.by_ref().take(len) {
            let target = table
                .get(usize::try_from(target).map_err(|_| Error::Malformed)?)
                .ok_or(Error::Malformed)?
                .clone();
            ops.push(read_op(kind, target, &mut fields)?);
        }
        changes.push(Change {
            id,
            lamport,
            deps,
            ops,
        });
    }
    if !fields.is_empty() {
        return Err(Error::Malformed);
    }
    Ok(changes)
}

fn read_op(kind: u64, target: ContainerId, fields: &mut Reader<'_>) -> Result<Op, Error> {
    let fits = match kind {
        OP_TEXT => target.kind == Kind::Text,
        OP_LIST => matches!(target.kind, Kind::List | Kind::MovableList),
        OP_MAP_SET => target.kind == Kind::Map,
        OP_COUNTER_ADD => target.kind == Kind::Counter,
        OP_REGISTER_SET => target.kind == Kind::Register,
        OP_MOVE | OP_REPLACE => target.kind == Kind::MovableList,
        _ => return Err(Error::Malformed),
    };
    if !fits {
        return Err(Error::Invalid(
            "an operation on a container of another kind",
        ));
    }
    Ok(match kind {
        OP_TEXT => Op::Text {
            target,
            delta: fields.with_raw(read_ops)?,
        },
        OP_LIST => {
            let delta = fields.with_raw(read_ops)?;
            let count = fields.count(1)?;
            let mut values = Vec::with_capacity(count);
            for _ in 0..count {
                values.push(read_value(fields)?);
            }
            Op::List {
                target,
                delta,
                values,
            }
        }
        OP_MAP_SET => Op::MapSet {
            target,
            key: fields.string()?,
            value: if fields.bool()? {
                Some(read_value(fields)?)
            } else {
                None
            },
        },
        OP_COUNTER_ADD => Op::CounterAdd {
            target,
            amount: fields.i64()?,
        },
        OP_MOVE => Op::Move {
            target,
            element: fields.dot()?,
            delta: fields.with_raw(read_ops)?,
        },
        OP_REPLACE => Op::Replace {
            target,
            element: fields.dot()?,
            value: read_value(fields)?,
        },
        _ => Op::RegisterSet {
            target,
            value: read_value(fields)?,
        },
    })
}

/// A document's state as a snapshot holds it.
pub(crate) struct SnapshotParts {
    pub(crate) version: VersionVector,
    pub(crate) base: VersionVector,
    pub(crate) containers: BTreeMap<ContainerId, Container>,
    pub(crate) history: Vec<Change>,
}

pub(crate) fn write_snapshot<'a>(
    out: &mut Writer,
    version: &VersionVector,
    base: &VersionVector,
    containers: &BTreeMap<ContainerId, Container>,
    with_deleted: bool,
    history: impl Iterator<Item = &'a Change> + Clone,
) {
    out.version(version);
    out.version(base);
    out.u64(containers.len() as u64);
    for (id, container) in containers {
        write_id(out, id);
        container.write(with_deleted, out);
    }
    write_changes(out, history);
}

pub(crate) fn read_snapshot(input: &mut Reader<'_>) -> Result<SnapshotParts, Error> {
    let version = input.version()?;
    let base = input.version()?;
    let count = input.count(4)?;
    let mut containers = BTreeMap::new();
    for _ in 0..count {
        let id = read_id(input)?;
        let container = Container::read(id.kind, input)?;
        if containers.insert(id, container).is_some() {
            return Err(Error::Malformed);
        }
    }
    let history = read_changes(input)?;
    if !input.is_empty() {
        return Err(Error::Malformed);
    }
    Ok(SnapshotParts {
        version,
        base,
        containers,
        history,
    })
}
