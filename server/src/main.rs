//! `weft-relay`: the relay that stores weft documents and gossips their deltas.
//!
//! This build carries the command-line entry point; serving arrives with the relay.

use std::process::ExitCode;

fn main() -> ExitCode {
    match std::env::args().nth(1).as_deref() {
        Some("version" | "--version" | "-V") => {
            println!("weft-relay {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("usage: weft-relay version");
            ExitCode::from(2)
        }
    }
}
