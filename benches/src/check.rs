//! The correctness check behind every measure: a number only counts if the document
//! it was measured on holds the right text.

use crate::measure::Measure;

/// Panics, naming the library, trace and measure and showing the first difference,
/// unless `actual` equals `expected`.
pub fn text(library: &str, trace: &str, measure: Measure, actual: &str, expected: &str) {
    if actual == expected {
        return;
    }
    let same = actual
        .chars()
        .zip(expected.chars())
        .take_while(|(a, e)| a == e)
        .count();
    let around = |text: &str| -> String {
        text.chars()
            .skip(same.saturating_sub(20))
            .take(40)
            .collect()
    };
    panic!(
        "{library} got the wrong text in \"{measure}\" on {trace}: {} characters instead of {}, \
         first difference at character {same}\n  expected: …{:?}…\n  actual:   …{:?}…",
        actual.chars().count(),
        expected.chars().count(),
        around(expected),
        around(actual),
    );
}
