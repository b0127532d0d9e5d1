//! The comparison as a markdown table, with a legend.

use crate::measure::{Cell, Measure, Unit};
use crate::results::Results;
use crate::subject::Role;

/// The table of every number in `results` and its ratio columns, then a legend.
/// `runs` is how many timed runs each median comes from.
pub fn markdown(results: &Results, runs: usize) -> String {
    let weft = results.weft();
    let others: Vec<usize> = (0..results.libraries.len())
        .filter(|&index| Some(index) != weft)
        .collect();

    let mut header = vec!["trace".to_owned(), "measure".to_owned()];
    header.extend(
        results
            .libraries
            .iter()
            .map(|library| library.name.to_owned()),
    );
    match weft {
        Some(weft) => {
            let weft = results.libraries[weft].name;
            header.push(format!("{weft} / best peer"));
            header.extend(
                others
                    .iter()
                    .map(|&other| format!("{weft} / {}", results.libraries[other].name)),
            );
        }
        None => header.push("best peer".to_owned()),
    }

    let mut lines = vec![line(&header), line(&vec!["---".to_owned(); header.len()])];
    for row in &results.rows {
        let unit = row.measure.unit();
        let mut cells = vec![
            row.trace.clone(),
            format!("{} ({})", row.measure, unit_name(unit)),
        ];
        cells.extend(row.cells.iter().map(|&cell| format_cell(cell, unit)));
        match weft {
            Some(weft) => {
                cells.push(format_ratio(results.over_best(row, weft)));
                cells.extend(
                    others
                        .iter()
                        .map(|&other| format_ratio(results.weft_over(row, other))),
                );
            }
            None => cells.push(results.best_peer(row).map_or_else(
                || "—".to_owned(),
                |(best, _)| results.libraries[best].name.to_owned(),
            )),
        }
        lines.push(line(&cells));
    }

    lines.push(String::new());
    lines.push(format!(
        "Times are the median of {runs} runs, in milliseconds; sizes and memory are in \
         bytes. Smaller is better everywhere{}. \"—\": the library has no such operation.",
        if weft.is_some() {
            ", and a ratio below 1 means weft is better"
        } else {
            ""
        },
    ));
    let baselines: Vec<&str> = results
        .libraries
        .iter()
        .filter(|library| library.role == Role::Baseline)
        .map(|library| library.name)
        .collect();
    if !baselines.is_empty() {
        lines.push(format!(
            "The best peer is the best CRDT: {} is no CRDT (the physical limit of local \
             editing) and never counts as one.",
            baselines.join(", ")
        ));
    }
    lines.push(String::new());
    lines.extend(
        Measure::SEQUENTIAL
            .into_iter()
            .chain(Measure::CONCURRENT)
            .filter(|&measure| results.rows.iter().any(|row| row.measure == measure))
            .map(|measure| format!("- **{measure}**: {}.", measure.description())),
    );
    lines.push(String::new());
    lines.join("\n")
}

fn line(cells: &[String]) -> String {
    format!("| {} |", cells.join(" | "))
}

fn unit_name(unit: Unit) -> &'static str {
    match unit {
        Unit::Milliseconds => "ms",
        Unit::Bytes => "bytes",
    }
}

fn format_cell(cell: Cell, unit: Unit) -> String {
    match (cell, unit) {
        (Some(ms), Unit::Milliseconds) => format_millis(ms),
        (Some(bytes), Unit::Bytes) => format_bytes(bytes),
        (None, _) => "—".to_owned(),
    }
}

/// About three significant digits: the noise of a shared machine is larger.
fn format_millis(ms: f64) -> String {
    if ms >= 100.0 {
        format!("{ms:.0}")
    } else if ms >= 10.0 {
        format!("{ms:.1}")
    } else if ms >= 1.0 {
        format!("{ms:.2}")
    } else {
        format!("{ms:.3}")
    }
}

/// Whole bytes, thousands separated, so that sizes are exact and readable.
fn format_bytes(bytes: f64) -> String {
    let digits = format!("{bytes:.0}");
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

fn format_ratio(ratio: Option<f64>) -> String {
    ratio.map_or_else(|| "—".to_owned(), |ratio| format!("{ratio:.2}×"))
}
