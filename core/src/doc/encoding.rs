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
use super::typing::Typing;
use super::value::Value;
use super::wire::{Reader, Writer};
use crate::codec::{FORMAT_VERSION, MAGIC};
use crate::text::{read_ops_with, write_ops_with};
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
/// A text insert going on from the one before it in the run: see [`Typing`].
const OP_TYPED: u64 = 7;

/// Highest Lamport time a change or snapshot may carry: far beyond any real
/// history, and far enough below `u64::MAX` that counting on from it never overflows.
pub(crate) const MAX_LAMPORT: u64 = 1 << 62;

/// Deepest map path a container name may have; deeper names are refused so that
/// hostile input cannot make names quadratic in size.
pub(crate) const MAX_PATH: usize = 64;

pub(crate) fn envelope(kind: u8) -> Writer {
    envelope_with_room(kind, 0)
}

/// An envelope with room for `body` more bytes, for callers that know the size.
pub(crate) fn envelope_with_room(kind: u8, body: usize) -> Writer {
    let header = [MAGIC[0], MAGIC[1], FORMAT_VERSION, kind];
    let mut out = Writer {
        out: Vec::with_capacity(header.len() + body),
    };
    out.out.extend_from_slice(&header);
    out
}

/// Checks the envelope and returns a reader of the body.
pub(crate) fn open(bytes: &[u8], kind: u8) -> Result<Reader<'_>, Error> {
    crate::codec::open(bytes, kind).map(Reader::new)
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

/// The kind column's value for `op`.
fn op_kind(op: &Op) -> u64 {
    match op {
        Op::Text { .. } => OP_TEXT,
        Op::List { .. } => OP_LIST,
        Op::MapSet { .. } => OP_MAP_SET,
        Op::CounterAdd { .. } => OP_COUNTER_ADD,
        Op::RegisterSet { .. } => OP_REGISTER_SET,
        Op::Move { .. } => OP_MOVE,
        Op::Replace { .. } => OP_REPLACE,
    }
}

/// Appends the operation's own fields, naming the replicas of text operations by
/// the numbers `name` gives them.
fn write_op_fields(op: &Op, fields: &mut Writer, name: &mut dyn FnMut(ReplicaId) -> u64) {
    match op {
        Op::Text { delta, .. } => write_ops_with(&delta.ops, &mut fields.out, name),
        Op::List { delta, values, .. } => {
            write_ops_with(&delta.ops, &mut fields.out, name);
            fields.u64(values.len() as u64);
            values.iter().for_each(|value| write_value(fields, value));
        }
        Op::MapSet { key, value, .. } => {
            fields.str(key);
            match value {
                None => fields.u8(0),
                Some(value) => {
                    fields.u8(1);
                    write_value(fields, value);
                }
            }
        }
        Op::CounterAdd { amount, .. } => fields.i64(*amount),
        Op::RegisterSet { value, .. } => write_value(fields, value),
        Op::Move { element, delta, .. } => {
            fields.dot(*element);
            write_ops_with(&delta.ops, &mut fields.out, name);
        }
        Op::Replace { element, value, .. } => {
            fields.dot(*element);
            write_value(fields, value);
        }
    }
}

/// Container names by number, as runs refer to them.
#[derive(Clone, Debug, Default)]
pub(crate) struct Table {
    ids: Vec<ContainerId>,
    index: BTreeMap<ContainerId, u64>,
}

impl Table {
    pub(crate) fn intern(&mut self, id: &ContainerId) -> u64 {
        if let Some(&at) = self.index.get(id) {
            return at;
        }
        let at = self.ids.len() as u64;
        self.ids.push(id.clone());
        self.index.insert(id.clone(), at);
        at
    }

    fn get(&self, at: u64) -> Result<&ContainerId, Error> {
        usize::try_from(at)
            .ok()
            .and_then(|at| self.ids.get(at))
            .ok_or(Error::Malformed)
    }
}

/// Consecutive changes of one replica, stored encoded by column: what a document
/// keeps as history. Changes merge into one run when nothing came between them (the
/// later one depends on exactly the earlier one's dependencies and the earlier one,
/// and continues its counters and Lamport times), which makes the run a valid change
/// in itself; a replica typing alone keeps a single run.
#[derive(Clone, Debug)]
pub(crate) struct Run {
    pub(crate) id: Dot,
    pub(crate) lamport: u64,
    pub(crate) deps: VersionVector,
    pub(crate) len: u64,
    /// The replicas its text operations name, by number: the author first.
    replicas: Vec<ReplicaId>,
    kinds: Vec<(u64, u64)>,
    /// Container numbers in the history's table.
    targets: Vec<(u64, u64)>,
    fields: Vec<u8>,
    /// Where its last text insert stopped, for the next one to be written as typed.
    typing: Option<Typing>,
}

impl Run {
    pub(crate) fn new(change: &Change, table: &mut Table) -> Self {
        Self::with_deps(change, change.deps.clone(), table)
    }

    /// [`new`](Self::new), taking the change's dependencies rather than copying
    /// them.
    pub(crate) fn taking_deps(change: &mut Change, table: &mut Table) -> Self {
        let deps = core::mem::take(&mut change.deps);
        Self::with_deps(change, deps, table)
    }

    fn with_deps(change: &Change, deps: VersionVector, table: &mut Table) -> Self {
        let mut run = Self {
            id: change.id,
            lamport: change.lamport,
            deps,
            len: 0,
            replicas: alloc::vec![change.id.replica()],
            kinds: Vec::new(),
            targets: Vec::new(),
            fields: Vec::new(),
            typing: None,
        };
        run.push_ops(&change.ops, table);
        run
    }

    pub(crate) fn last_counter(&self) -> u64 {
        self.id.counter() + self.len - 1
    }

    /// Whether `change` continues this run with nothing between them: it builds on
    /// the run's last change alone, or (as replicas that name their whole version
    /// write it) on that and exactly what the run builds on.
    pub(crate) fn continues_with(&self, change: &Change) -> bool {
        let replica = self.id.replica();
        let last = self.last_counter();
        let on_last_alone = change.deps.len() == 1 && change.deps.get(replica) == last;
        change.id == Dot::new(replica, last + 1)
            && change.lamport == self.lamport + self.len
            && (on_last_alone
                || change.deps.len() == self.deps.len() + usize::from(self.deps.get(replica) == 0)
                    && change.deps.iter().all(|(other, counter)| {
                        if other == replica {
                            counter == last
                        } else {
                            counter == self.deps.get(other)
                        }
                    }))
    }

    pub(crate) fn append(&mut self, change: &Change, table: &mut Table) {
        self.push_ops(&change.ops, table);
    }

    fn push_ops(&mut self, ops: &[Op], table: &mut Table) {
        let mut fields = Writer {
            out: core::mem::take(&mut self.fields),
        };
        let replicas = &mut self.replicas;
        let mut name = |replica: ReplicaId| match replicas.iter().position(|&r| r == replica) {
            Some(at) => at as u64,
            None => {
                replicas.push(replica);
                replicas.len() as u64 - 1
            }
        };
        for op in ops {
            let target = table.intern(op.target());
            let typed = self
                .typing
                .and_then(|typing| typing.continued_by(op, target));
            match typed {
                Some(text) => {
                    push_rle(&mut self.kinds, OP_TYPED);
                    fields.str(text);
                }
                None => {
                    push_rle(&mut self.kinds, op_kind(op));
                    write_op_fields(op, &mut fields, &mut name);
                }
            }
            push_rle(&mut self.targets, target);
            self.typing = Typing::after(op, target);
        }
        self.fields = fields.out;
        self.len += ops.len() as u64;
    }

    /// The run as one change, its operations decoded.
    pub(crate) fn to_change(&self, table: &Table) -> Result<Change, Error> {
        let mut fields = Reader::new(&self.fields);
        let mut ops = Vec::new();
        let kinds = self
            .kinds
            .iter()
            .flat_map(|&(k, n)| core::iter::repeat_n(k, n as usize));
        let targets = self
            .targets
            .iter()
            .flat_map(|&(t, n)| core::iter::repeat_n(t, n as usize));
        let mut typing = None;
        for (kind, number) in kinds.zip(targets) {
            let target = table.get(number)?.clone();
            let op = read_any_op(kind, number, target, typing, &mut fields, &self.replicas)?;
            typing = Typing::after(&op, number);
            ops.push(op);
        }
        Ok(Change {
            id: self.id,
            lamport: self.lamport,
            deps: self.deps.clone(),
            ops,
        })
    }
}

fn push_rle(column: &mut Vec<(u64, u64)>, value: u64) {
    match column.last_mut() {
        Some((last, count)) if *last == value => *count += 1,
        _ => column.push((value, 1)),
    }
}

/// Writes changes: a table of containers, the change headers, then the operations by
/// column.
pub(crate) fn write_changes<'a>(out: &mut Writer, changes: impl Iterator<Item = &'a Change>) {
    let mut table = Table::default();
    let runs: Vec<Run> = changes.map(|change| Run::new(change, &mut table)).collect();
    write_runs(out, runs.iter(), &table);
}

/// Writes runs, each as one change, with the containers they use.
pub(crate) fn write_runs<'a>(
    out: &mut Writer,
    runs: impl Iterator<Item = &'a Run> + Clone,
    table: &Table,
) {
    // The table written holds the containers used, in name order, so the bytes do not
    // depend on the order a document first met its containers.
    let mut used: BTreeMap<&ContainerId, u64> = BTreeMap::new();
    for run in runs.clone() {
        for &(target, _) in &run.targets {
            if let Ok(id) = table.get(target) {
                used.insert(id, 0);
            }
        }
    }
    out.u64(used.len() as u64);
    for (at, (id, index)) in used.iter_mut().enumerate() {
        *index = at as u64;
        write_id(out, id);
    }
    out.u64(runs.clone().count() as u64);
    for run in runs.clone() {
        out.u64(run.id.replica().get());
        out.u64(run.id.counter());
        out.u64(run.lamport);
        out.version(&run.deps);
        out.u64(run.len);
        out.u64(run.replicas.len() as u64 - 1);
        for replica in &run.replicas[1..] {
            out.u64(replica.get());
        }
    }
    out.rle_runs(runs.clone().flat_map(|run| run.kinds.iter().copied()));
    out.rle_runs(runs.clone().flat_map(|run| {
        run.targets.iter().map(|&(target, count)| {
            let id = table
                .get(target)
                .expect("a run's containers are in its table");
            (used[id], count)
        })
    }));
    out.u64(runs.clone().map(|run| run.fields.len() as u64).sum());
    for run in runs {
        out.out.extend_from_slice(&run.fields);
    }
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
        if ops == 0 || counter == 0 || lamport.saturating_add(ops as u64) > MAX_LAMPORT {
            return Err(Error::Malformed);
        }
        // Every operation's fields take at least one byte.
        total = total.checked_add(ops).ok_or(Error::Malformed)?;
        if total > input.remaining() {
            return Err(Error::Malformed);
        }
        let others = input.count(1)?;
        let mut replicas = Vec::with_capacity(others + 1);
        replicas.push(replica);
        for _ in 0..others {
            replicas.push(ReplicaId::new(input.u64()?));
        }
        headers.push((Dot::new(replica, counter), lamport, deps, ops, replicas));
    }
    let kinds = input.rle_column(total)?;
    let targets = input.rle_column(total)?;
    let mut fields = Reader::new(input.bytes()?);
    let mut columns = kinds.into_iter().zip(targets);
    let mut changes = Vec::with_capacity(count);
    for (id, lamport, deps, len, replicas) in headers {
        let mut ops = Vec::with_capacity(len);
        let mut typing = None;
        for (kind, number) in columns.by_ref().take(len) {
            let target = table
                .get(usize::try_from(number).map_err(|_| Error::Malformed)?)
                .ok_or(Error::Malformed)?
                .clone();
            let op = read_any_op(kind, number, target, typing, &mut fields, &replicas)?;
            typing = Typing::after(&op, number);
            ops.push(op);
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

/// Reads an operation of any kind; a typed one from where `typing` stands.
fn read_any_op(
    kind: u64,
    number: u64,
    target: ContainerId,
    typing: Option<Typing>,
    fields: &mut Reader<'_>,
    replicas: &[ReplicaId],
) -> Result<Op, Error> {
    if kind == OP_TYPED {
        Typing::read(typing, number, target, fields)
    } else {
        read_op(kind, target, fields, replicas)
    }
}

fn read_op(
    kind: u64,
    target: ContainerId,
    fields: &mut Reader<'_>,
    replicas: &[ReplicaId],
) -> Result<Op, Error> {
    let replica = |at: u64| {
        usize::try_from(at)
            .ok()
            .and_then(|at| replicas.get(at).copied())
            .ok_or(Error::Malformed)
    };
    let read_ops = |input: &mut &[u8]| read_ops_with(input, &replica);
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

/// Writes a snapshot body; `history` writes the history part.
pub(crate) fn write_snapshot(
    out: &mut Writer,
    version: &VersionVector,
    base: &VersionVector,
    containers: &BTreeMap<ContainerId, Container>,
    with_deleted: bool,
    history: impl FnOnce(&mut Writer),
) {
    out.version(version);
    out.version(base);
    out.u64(containers.len() as u64);
    for (id, container) in containers {
        write_id(out, id);
        container.write(with_deleted, out);
    }
    history(out);
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
