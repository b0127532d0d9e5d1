//! The numbers of one comparison run, and the ratios read from them.

use crate::measure::{Cell, Measure};
use crate::subject::Role;

/// A library as a column of the table.
#[derive(Clone, Debug)]
pub struct Library {
    /// Its name.
    pub name: &'static str,
    /// Whether it is weft, a peer or the baseline.
    pub role: Role,
}

/// One trace × measure: a cell per library, in library order.
#[derive(Clone, Debug)]
pub struct Row {
    /// The trace's name.
    pub trace: String,
    /// What was measured.
    pub measure: Measure,
    /// One cell per library of [`Results::libraries`].
    pub cells: Vec<Cell>,
}

/// Every number of a run, rows in the order they were added.
#[derive(Clone, Debug)]
pub struct Results {
    /// The columns.
    pub libraries: Vec<Library>,
    /// The rows.
    pub rows: Vec<Row>,
}

impl Results {
    /// No numbers yet, for these libraries.
    pub fn new(libraries: Vec<Library>) -> Self {
        Self {
            libraries,
            rows: Vec::new(),
        }
    }

    /// Adds the rows of one trace from one column per library (in library order), each
    /// the measures that library took, in the same order for every library.
    ///
    /// # Panics
    ///
    /// If there is not one column per library, or the columns list different measures.
    pub fn add_trace(&mut self, trace: &str, columns: Vec<Vec<(Measure, Cell)>>) {
        assert_eq!(
            columns.len(),
            self.libraries.len(),
            "one column per library"
        );
        let first = columns.first().expect("at least one library");
        let mut rows: Vec<Row> = first
            .iter()
            .map(|&(measure, _)| Row {
                trace: trace.to_owned(),
                measure,
                cells: Vec::with_capacity(columns.len()),
            })
            .collect();
        for column in &columns {
            assert_eq!(
                column.len(),
                rows.len(),
                "every library takes the same measures"
            );
            for (row, &(measure, cell)) in rows.iter_mut().zip(column) {
                assert_eq!(
                    row.measure, measure,
                    "every library takes the same measures"
                );
                row.cells.push(cell);
            }
        }
        self.rows.extend(rows);
    }

    /// The index of weft's column, once a weft adapter is registered.
    pub fn weft(&self) -> Option<usize> {
        self.libraries
            .iter()
            .position(|library| library.role == Role::Weft)
    }

    /// The peer (not weft, not the baseline) with the smallest number in `row`, and
    /// that number.
    pub fn best_peer(&self, row: &Row) -> Option<(usize, f64)> {
        self.libraries
            .iter()
            .zip(&row.cells)
            .enumerate()
            .filter(|(_, (library, _))| library.role == Role::Peer)
            .filter_map(|(index, (_, cell))| Some((index, (*cell)?)))
            .min_by(|(_, a), (_, b)| a.total_cmp(b))
    }

    /// weft's number in `row` divided by library `other`'s (below 1: weft is better).
    pub fn weft_over(&self, row: &Row, other: usize) -> Option<f64> {
        ratio(row.cells[self.weft()?]?, row.cells[other]?)
    }

    /// Library `library`'s number in `row` divided by the best peer's.
    pub fn over_best(&self, row: &Row, library: usize) -> Option<f64> {
        ratio(row.cells[library]?, self.best_peer(row)?.1)
    }
}

/// `numerator / denominator`, or `None` when that means nothing (a zero).
fn ratio(numerator: f64, denominator: f64) -> Option<f64> {
    (numerator > 0.0 && denominator > 0.0).then(|| numerator / denominator)
}
