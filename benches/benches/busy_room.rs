//! What a client spends on each keystroke that arrives in a busy room: 100 writers
//! who have all seen each other type, then 1,000 keystrokes among them, each its own
//! update as a relay forwards it, applied one by one by a replica that started from
//! the room's state. weft and yrs side by side, on the same edits; each also prints
//! its bytes per keystroke and the memory its replica holds for each one received.

use criterion::measurement::WallTime;
use criterion::{BatchSize, BenchmarkGroup, Criterion, criterion_group, criterion_main};
use weft_core::{ContainerId, Document, ReplicaId, SnapshotMode};
use weft_testkit::alloc_counter::{self, CountingAllocator};
use yrs::updates::decoder::Decode;
use yrs::{ReadTxn, StateVector, Text, Transact, Update};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

const WRITERS: u64 = 100;
const KEYSTROKES: u64 = 1_000;

/// The room's state once every writer typed, and the keystrokes after it, each typed
/// by the next writer at the end of the text.
struct Room {
    start: Vec<u8>,
    keystrokes: Vec<Vec<u8>>,
}

fn body() -> ContainerId {
    ContainerId::text("body")
}

/// Writer `n`'s id: spread over 53 bits, as the JavaScript packages of both pick them,
/// so that ids take their real room on the wire.
fn id(n: u64) -> u64 {
    (n.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 11) | 1
}

/// `writer` types at the end of the text, having seen the whole room.
fn weft_type(room: &mut Document, writer: u64) -> Vec<u8> {
    let mut author = room.fork(ReplicaId::new(id(writer)));
    let before = author.version().clone();
    let end = author.text(&body()).map_or(0, |text| text.len());
    author
        .transact(None, |tx| tx.text_insert(&body(), end, "x"))
        .expect("typing at the end");
    let update = author.export_update(&before).expect("a change since");
    room.import(&update, None).expect("the room takes it");
    update
}

fn weft_room() -> Room {
    let mut room = Document::new(ReplicaId::new(id(WRITERS + 1)));
    room.set_events(false);
    for writer in 1..=WRITERS {
        weft_type(&mut room, writer);
    }
    let start = room.export_snapshot(SnapshotMode::Full);
    let keystrokes = (0..KEYSTROKES)
        .map(|n| weft_type(&mut room, 1 + n % WRITERS))
        .collect();
    Room { start, keystrokes }
}

fn yrs_room() -> Room {
    let room = yrs::Doc::with_client_id(id(WRITERS + 1));
    room.get_or_insert_text("body");
    let type_as = |writer: u64| {
        let author = yrs::Doc::with_client_id(id(writer));
        let text = author.get_or_insert_text("body");
        let state = room
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        author
            .transact_mut()
            .apply_update(Update::decode_v1(&state).expect("a state"))
            .expect("the author takes the room's state");
        let mut txn = author.transact_mut();
        let end = text.len(&txn);
        text.insert(&mut txn, end, "x");
        let update = txn.encode_update_v1();
        room.transact_mut()
            .apply_update(Update::decode_v1(&update).expect("an update"))
            .expect("the room takes it");
        update
    };
    (1..=WRITERS).for_each(|writer| {
        type_as(writer);
    });
    let start = room
        .transact()
        .encode_state_as_update_v1(&StateVector::default());
    let keystrokes = (0..KEYSTROKES).map(|n| type_as(1 + n % WRITERS)).collect();
    Room { start, keystrokes }
}

fn weft_replica(room: &Room) -> Document {
    let mut replica = Document::from_snapshot(ReplicaId::new(id(WRITERS + 2)), &room.start)
        .expect("the room's state");
    replica.set_events(false);
    replica
}

fn weft_apply(replica: &mut Document, room: &Room) {
    for keystroke in &room.keystrokes {
        replica.import(keystroke, None).expect("a keystroke");
    }
}

fn yrs_replica(room: &Room) -> yrs::Doc {
    let replica = yrs::Doc::with_client_id(id(WRITERS + 2));
    replica.get_or_insert_text("body");
    replica
        .transact_mut()
        .apply_update(Update::decode_v1(&room.start).expect("a state"))
        .expect("the room's state");
    replica
}

fn yrs_apply(replica: &mut yrs::Doc, room: &Room) {
    for keystroke in &room.keystrokes {
        let update = Update::decode_v1(keystroke).expect("an update");
        replica
            .transact_mut()
            .apply_update(update)
            .expect("a keystroke");
    }
}

/// One library's part: prints the bytes of a keystroke's update and the memory
/// `apply` makes a replica hold per keystroke (counted from after `replica` loaded
/// the room's state), then times `apply`.
fn measure<R>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    library: &str,
    room: &Room,
    replica: fn(&Room) -> R,
    apply: fn(&mut R, &Room),
) {
    let bytes: usize = room.keystrokes.iter().map(Vec::len).sum();
    let mut held = replica(room);
    let before = alloc_counter::allocated();
    apply(&mut held, room);
    let memory = alloc_counter::allocated().saturating_sub(before);
    drop(held);
    println!(
        "{library}: {} bytes per keystroke, {} bytes of memory per keystroke received",
        bytes as u64 / KEYSTROKES,
        memory as u64 / KEYSTROKES
    );
    let name = format!("{library}: apply 1,000 keystrokes of 100 writers");
    group.bench_function(name, |b| {
        b.iter_batched(
            || replica(room),
            |mut replica| {
                apply(&mut replica, room);
                replica
            },
            BatchSize::LargeInput,
        );
    });
}

fn busy_room(c: &mut Criterion) {
    let mut group = c.benchmark_group("busy_room");
    group.sample_size(20);
    measure(&mut group, "weft", &weft_room(), weft_replica, weft_apply);
    measure(&mut group, "yrs", &yrs_room(), yrs_replica, yrs_apply);
    group.finish();
}

criterion_group!(benches, busy_room);
criterion_main!(benches);
