//! `weft-relay`: stores weft documents durably and syncs them between clients.

mod auth;
mod connection;
mod http;
mod hub;
mod lock;
mod mesh;
mod metrics;
mod outbox;
mod serve;
mod store;
mod stream;
mod tail;
mod tools;
mod upgrade;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// The weft relay: a sync server for local-first apps.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve documents over WebSockets (`/sync`), with the web demo on the same port.
    Serve(serve::Options),
    /// Mint an access token for a document (a name, or a prefix ending in `*`); it
    /// covers locks of the same names too.
    Token {
        /// The document, or a prefix ending in `*`.
        #[arg(long)]
        doc: String,
        /// `read` or `write`.
        #[arg(long, default_value = "write")]
        scope: String,
        /// Seconds until it expires.
        #[arg(long, default_value_t = 86_400)]
        ttl: u64,
        /// The relay's secret.
        #[arg(long, env = "WEFT_SECRET", hide_env_values = true)]
        secret: String,
    },
    /// Write a document to a snapshot file.
    Export {
        #[arg(long, env = "WEFT_DATA_DIR", default_value = "./weft-data")]
        data_dir: PathBuf,
        #[arg(long)]
        doc: String,
        /// The file to write.
        #[arg(long)]
        out: PathBuf,
    },
    /// Merge a snapshot or update file into a document (the relay must be stopped).
    Import {
        #[arg(long, env = "WEFT_DATA_DIR", default_value = "./weft-data")]
        data_dir: PathBuf,
        #[arg(long)]
        doc: String,
        /// The file to read.
        #[arg(long)]
        file: PathBuf,
    },
    /// Replace every document's delta log with a snapshot (the relay must be stopped).
    Compact {
        #[arg(long, env = "WEFT_DATA_DIR", default_value = "./weft-data")]
        data_dir: PathBuf,
    },
    /// Follow a document's changes on a running relay, one JSON line per event.
    Tail {
        /// The document.
        doc: String,
        /// The relay.
        #[arg(long, env = "WEFT_URL", default_value = "http://127.0.0.1:8080")]
        url: String,
        /// Start after this sequence number (0: from the beginning), or `now`.
        #[arg(long)]
        from: Option<String>,
        /// A durable cursor: resume after the last change it acknowledged, and
        /// acknowledge each change once printed.
        #[arg(long)]
        cursor: Option<String>,
        /// Start from this version (an encoded version vector in hex): first one
        /// change with everything since.
        #[arg(long)]
        version: Option<String>,
        /// An access token for the document.
        #[arg(long, env = "WEFT_TOKEN", hide_env_values = true)]
        token: Option<String>,
    },
    /// Print the version.
    Version,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(options) => serve::run(options),
        Command::Token {
            doc,
            scope,
            ttl,
            secret,
        } => tools::token(&doc, &scope, ttl, &secret),
        Command::Export { data_dir, doc, out } => tools::export(&data_dir, &doc, &out),
        Command::Import {
            data_dir,
            doc,
            file,
        } => tools::import(&data_dir, &doc, &file),
        Command::Compact { data_dir } => tools::compact(&data_dir),
        Command::Tail {
            doc,
            url,
            from,
            cursor,
            version,
            token,
        } => tail::run(&tail::Tail {
            url,
            doc,
            from,
            cursor,
            version,
            token,
        }),
        Command::Version => {
            println!("weft-relay {}", env!("CARGO_PKG_VERSION"));
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("weft-relay: {error}");
            ExitCode::FAILURE
        }
    }
}
