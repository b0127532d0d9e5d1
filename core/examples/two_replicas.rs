//! Two replicas of a shared shopping list edit offline, concurrently, then sync over a
//! lossy in-process "network" and print what they converged to.
//!
//! Run with `cargo run -p weft-core --example two_replicas`.

use weft_core::codec::{decode, encode};
use weft_core::{
    AWSet, Causal, DeltaCrdt, Error, LWWRegister, Lattice, ORMap, PNCounter, Replica, ReplicaId,
};

/// Items by name, each with its tags; plus who last renamed the list.
type Items = Causal<ORMap<String, AWSet<String>>>;

fn main() -> Result<(), Error> {
    let (alice, bob) = (ReplicaId::new(0x5eed_a11ce), ReplicaId::new(0x5eed_0b0b));
    let mut alice_items = Replica::new(Items::new());
    let mut bob_items = Replica::new(Items::new());
    let mut alice_title = Causal::<LWWRegister<String>>::new();
    let mut bob_title = alice_title.clone();
    let mut alice_budget = PNCounter::new();
    let mut bob_budget = PNCounter::new();

    // Both start from the same list, synced once.
    let milk = alice_items.update(alice, "milk".into(), |tags, e| tags.add(e, "dairy".into()))?;
    bob_items.integrate(decode(&encode(&milk))?);

    // Offline: Alice removes milk and adds bread; Bob tags milk as urgent.
    let mut alice_outbox = vec![
        alice_items.remove(alice, &"milk".to_string())?,
        alice_items.update(alice, "bread".into(), |tags, e| {
            tags.add(e, "bakery".into())
        })?,
    ];
    let bob_outbox =
        [bob_items.update(bob, "milk".into(), |tags, e| tags.add(e, "urgent".into()))?];
    alice_title.write(alice, "Groceries".into(), 1_000)?;
    bob_title.write(bob, "Weekend shop".into(), 1_500)?;
    alice_budget.increment(alice, 50)?;
    bob_budget.decrement(bob, 20)?;

    // Alice's deltas travel out of order; the early one waits in Bob's backlog.
    alice_outbox.reverse();
    for delta in alice_outbox {
        let outcome = bob_items.integrate(decode(&encode(&delta))?);
        println!("bob integrates a delta from alice: {outcome:?}");
    }
    for delta in bob_outbox {
        alice_items.integrate(decode(&encode(&delta))?);
    }
    // The registers and counters catch up by anti-entropy: each asks for what it lacks.
    bob_title.join(alice_title.delta_since(&bob_title.version()));
    alice_title.join(bob_title.delta_since(&alice_title.version()));
    bob_budget.join(alice_budget.delta_since(&bob_budget.version()));
    alice_budget.join(bob_budget.delta_since(&alice_budget.version()));

    assert_eq!(alice_items.state(), bob_items.state());
    assert_eq!(alice_title, bob_title);
    assert_eq!(alice_budget, bob_budget);

    println!("\nboth replicas converged:");
    println!(
        "  title:  {}",
        alice_title.value().map_or("(none)", String::as_str)
    );
    println!("  budget: {}", alice_budget.value());
    for (item, tags) in alice_items.iter() {
        let tags: Vec<&str> = tags.iter().map(String::as_str).collect();
        println!("  item:   {item} [{}]", tags.join(", "));
    }
    println!("  version: {:?}", alice_items.version());
    Ok(())
}
