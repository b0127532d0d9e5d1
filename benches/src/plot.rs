//! The ratios of a comparison run as an SVG chart: one panel per measure, one group of
//! bars per trace, each bar growing from 1 towards its ratio on a log axis.
//!
//! With weft registered, the bars are weft / each other library, the table's ratio
//! columns. Until then they are each library / the best peer, so the chart already
//! shows how far apart the peers are.

use std::error::Error;
use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::measure::Measure;
use crate::results::{Results, Row};

/// Panels side by side.
const COLUMNS: usize = 2;
const PANEL_WIDTH: u32 = 760;
const PANEL_HEIGHT: u32 = 440;
/// Room for the title and the legend.
const HEADER_HEIGHT: u32 = 96;
/// How far either side of 1 a bar of ratio exactly 1 reaches.
const NOTCH: f64 = 1.03;
/// Series colours, readable on white.
const COLOURS: [RGBColor; 6] = [
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0xff, 0x7f, 0x0e),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0xd6, 0x27, 0x28),
    RGBColor(0x94, 0x67, 0xbd),
    RGBColor(0x8c, 0x56, 0x4b),
];

/// One kind of bar, by the index of the library it is about.
#[derive(Clone, Copy)]
enum Comparison {
    /// weft's number over this library's.
    WeftOver(usize),
    /// This library's number over the best peer's.
    OverBest(usize),
}

impl Comparison {
    /// Every bar of the chart, as the module documentation says.
    fn all(results: &Results) -> Vec<Self> {
        let libraries = 0..results.libraries.len();
        match results.weft() {
            Some(weft) => libraries
                .filter(|&index| index != weft)
                .map(Self::WeftOver)
                .collect(),
            None => libraries.map(Self::OverBest).collect(),
        }
    }

    fn label(self, results: &Results) -> String {
        match self {
            Self::WeftOver(other) => format!("weft / {}", results.libraries[other].name),
            Self::OverBest(library) => format!("{} / best peer", results.libraries[library].name),
        }
    }

    fn ratio(self, results: &Results, row: &Row) -> Option<f64> {
        match self {
            Self::WeftOver(other) => results.weft_over(row, other),
            Self::OverBest(library) => results.over_best(row, library),
        }
    }
}

/// Draws the chart of `results` into the SVG file `path`.
pub fn draw(results: &Results, path: &Path) -> Result<(), Box<dyn Error>> {
    let comparisons = Comparison::all(results);
    let measures: Vec<Measure> = Measure::SEQUENTIAL
        .into_iter()
        .chain(Measure::CONCURRENT)
        .filter(|&measure| results.rows.iter().any(|row| row.measure == measure))
        .collect();
    let panel_rows = measures.len().div_ceil(COLUMNS).max(1);
    let size = (
        PANEL_WIDTH * COLUMNS as u32,
        HEADER_HEIGHT + PANEL_HEIGHT * panel_rows as u32,
    );

    let root = SVGBackend::new(path, size).into_drawing_area();
    root.fill(&WHITE)?;
    let (header, body) = root.split_vertically(HEADER_HEIGHT);
    draw_header(&header, results, &comparisons)?;
    for (area, measure) in body
        .split_evenly((panel_rows, COLUMNS))
        .iter()
        .zip(measures)
    {
        let rows: Vec<&Row> = results
            .rows
            .iter()
            .filter(|row| row.measure == measure)
            .collect();
        draw_panel(area, measure, results, &rows, &comparisons)?;
    }
    root.present()?;
    Ok(())
}

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// The title, and one legend for every panel.
fn draw_header(
    area: &Area<'_>,
    results: &Results,
    comparisons: &[Comparison],
) -> Result<(), Box<dyn Error>> {
    let title = match results.weft() {
        Some(_) => "weft / each library: below 1, weft is better",
        None => "each library / the best peer (no weft adapter registered yet)",
    };
    let (width, _) = area.dim_in_pixel();
    area.draw(&Text::new(
        title,
        (width as i32 / 2, 16),
        ("sans-serif", 26)
            .into_font()
            .into_text_style(area)
            .pos(Pos::new(HPos::Center, VPos::Top)),
    ))?;
    let slot = width as i32 / comparisons.len().max(1) as i32;
    for (series, comparison) in comparisons.iter().enumerate() {
        let left = slot * series as i32 + 24;
        area.draw(&Rectangle::new(
            [(left, 62), (left + 16, 78)],
            colour(series).filled(),
        ))?;
        area.draw(&Text::new(
            comparison.label(results),
            (left + 24, 62),
            ("sans-serif", 17),
        ))?;
    }
    Ok(())
}

/// One measure: a group of bars per trace, first trace on top, bars in legend order.
fn draw_panel(
    area: &Area<'_>,
    measure: Measure,
    results: &Results,
    rows: &[&Row],
    comparisons: &[Comparison],
) -> Result<(), Box<dyn Error>> {
    let traces: Vec<&str> = rows.iter().map(|row| row.trace.as_str()).collect();
    // The centre of row `index`'s group on the vertical axis.
    let centre = |index: usize| (traces.len() - 1 - index) as f64;
    let band = 0.8 / comparisons.len().max(1) as f64;
    // (series, bottom, top, ratio) for every bar there is a number for.
    let bars: Vec<(usize, f64, f64, f64)> = rows
        .iter()
        .enumerate()
        .flat_map(|(index, row)| {
            comparisons
                .iter()
                .enumerate()
                .filter_map(move |(series, comparison)| {
                    let top = centre(index) + 0.4 - band * series as f64;
                    let ratio = comparison.ratio(results, row)?;
                    Some((series, top - band * 0.9, top, ratio))
                })
        })
        .collect();
    let (low, high) = bars.iter().fold((1.0_f64, 1.0_f64), |(low, high), bar| {
        (low.min(bar.3), high.max(bar.3))
    });
    let top = traces.len() as f64 - 0.5;

    let mut chart = ChartBuilder::on(area)
        .caption(measure.to_string(), ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(150)
        .build_cartesian_2d((low / 1.5..high * 1.5).log_scale(), -0.5..top)?;
    let trace_label = |y: &f64| {
        let nearest = y.round();
        let on_a_trace = (y - nearest).abs() < 1e-9 && (0.0..=top).contains(&nearest);
        if on_a_trace {
            traces[traces.len() - 1 - nearest as usize].to_owned()
        } else {
            String::new()
        }
    };
    chart
        .configure_mesh()
        .disable_y_mesh()
        .max_light_lines(1)
        .x_labels(10)
        .y_labels(traces.len() * 2 + 1)
        .y_label_formatter(&trace_label)
        .x_label_formatter(&|&ratio| axis_label(ratio))
        .x_desc("ratio, log scale")
        .draw()?;

    chart.draw_series(bars.iter().map(|&(series, bottom, top, ratio)| {
        // A ratio of exactly 1 (the best peer itself) gets a notch, not nothing.
        let (from, to) = if ratio == 1.0 {
            (1.0 / NOTCH, NOTCH)
        } else {
            (1.0, ratio)
        };
        Rectangle::new([(from, bottom), (to, top)], colour(series).filled())
    }))?;
    chart.draw_series(std::iter::once(PathElement::new(
        vec![(1.0, -0.5), (1.0, top)],
        BLACK.stroke_width(1),
    )))?;
    Ok(())
}

fn colour(series: usize) -> RGBColor {
    COLOURS[series % COLOURS.len()]
}

/// Labels 1, 2 and 5 times a power of ten only: the log axis puts a tick at every
/// digit, and their labels would overlap.
fn axis_label(ratio: f64) -> String {
    let magnitude = ratio.log10().floor();
    let mantissa = ratio / 10_f64.powf(magnitude);
    let labelled = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .any(|&round| (mantissa - round).abs() < 1e-6);
    if labelled {
        let decimals = (-magnitude).max(0.0) as usize;
        format!("{ratio:.decimals$}×")
    } else {
        String::new()
    }
}
