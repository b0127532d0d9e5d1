//! Counters and gauges for `/metrics`, in the Prometheus text format.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

/// Everything the relay counts. Shared by the connection tasks and the hub.
#[derive(Default)]
pub struct Metrics {
    pub connections: AtomicU64,
    pub connections_total: AtomicU64,
    pub documents_loaded: AtomicU64,
    pub deltas_in: AtomicU64,
    pub deltas_out: AtomicU64,
    pub bytes_in: AtomicU64,
    pub bytes_out: AtomicU64,
    pub refused: AtomicU64,
    pub slow_consumers: AtomicU64,
    pub store_writes: AtomicU64,
    /// Sum of the store's durable-write latencies, in microseconds.
    pub store_write_micros: AtomicU64,
    pub locks_granted: AtomicU64,
    pub fenced_writes: AtomicU64,
    pub jobs_owned: AtomicU64,
}

impl Metrics {
    pub fn add(counter: &AtomicU64, amount: u64) {
        counter.fetch_add(amount, Ordering::Relaxed);
    }

    /// The Prometheus exposition of every metric.
    pub fn render(&self) -> String {
        let metrics: [(&str, &str, &str, &AtomicU64); 14] = [
            (
                "weft_connections",
                "gauge",
                "Open WebSocket connections.",
                &self.connections,
            ),
            (
                "weft_connections_total",
                "counter",
                "WebSocket connections accepted.",
                &self.connections_total,
            ),
            (
                "weft_documents_loaded",
                "gauge",
                "Documents held in memory.",
                &self.documents_loaded,
            ),
            (
                "weft_deltas_in_total",
                "counter",
                "Updates received from clients.",
                &self.deltas_in,
            ),
            (
                "weft_deltas_out_total",
                "counter",
                "Messages sent to clients.",
                &self.deltas_out,
            ),
            (
                "weft_bytes_in_total",
                "counter",
                "Bytes received from clients.",
                &self.bytes_in,
            ),
            (
                "weft_bytes_out_total",
                "counter",
                "Bytes sent to clients.",
                &self.bytes_out,
            ),
            (
                "weft_refused_total",
                "counter",
                "Messages refused (bad input, no permission).",
                &self.refused,
            ),
            (
                "weft_slow_consumers_total",
                "counter",
                "Connections closed for reading too slowly.",
                &self.slow_consumers,
            ),
            (
                "weft_store_writes_total",
                "counter",
                "Durable writes (group commits) to the store.",
                &self.store_writes,
            ),
            (
                "weft_store_write_seconds_sum",
                "counter",
                "Time spent in durable writes.",
                &self.store_write_micros,
            ),
            (
                "weft_locks_granted_total",
                "counter",
                "Lock leases granted through this relay.",
                &self.locks_granted,
            ),
            (
                "weft_fenced_writes_total",
                "counter",
                "Writes to guarded documents refused for a stale or missing token.",
                &self.fenced_writes,
            ),
            (
                "weft_jobs_owned",
                "gauge",
                "Relay jobs (webhook deliveries) this relay owns now.",
                &self.jobs_owned,
            ),
        ];
        let mut out = String::new();
        for (name, kind, help, value) in metrics {
            let value = value.load(Ordering::Relaxed);
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            if name.ends_with("_seconds_sum") {
                let _ = writeln!(out, "{name} {}", value as f64 / 1e6);
            } else {
                let _ = writeln!(out, "{name} {value}");
            }
        }
        out
    }
}
