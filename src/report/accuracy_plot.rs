//! `accuracy.png`: accuracy on the training set (solid) and on the test set
//! (dashed), once per epoch — the book's figure 4-12.
//!
//! The two lines staying together is the picture of a network that learned
//! something general rather than memorising its training images; a training
//! line that pulls away above the test line is overfitting.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;

use super::error::ReportError;
use super::figure::{DrawResult, Figure, save_figure};
use super::font::FAMILY;
use super::style::{BLUE_DARK, ORANGE};
use crate::train::EpochRecord;

/// Figure 4-12 for a run's epoch records.
#[derive(Debug, Clone)]
pub struct AccuracyFigure<'a> {
    /// One record per evaluation.
    pub epochs: &'a [EpochRecord],
    /// The title, such as the data set's name.
    pub title: String,
}

/// Writes `stem.png` and `stem.svg` for the records `epochs`.
pub fn plot_accuracy(
    stem: &Path,
    epochs: &[EpochRecord],
    title: &str,
) -> Result<Vec<PathBuf>, ReportError> {
    save_figure(
        stem,
        &AccuracyFigure {
            epochs,
            title: title.to_string(),
        },
    )
}

impl Figure for AccuracyFigure<'_> {
    fn size(&self) -> (u32, u32) {
        (760, 520)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE)?;
        let last = self.epochs.last().map_or(1, |r| r.epoch).max(1) as f64;
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, (FAMILY, 20))
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..last, 0.0..1.0)?;
        chart
            .configure_mesh()
            .x_desc("epochs")
            .y_desc("accuracy")
            .label_style((FAMILY, 14))
            .axis_desc_style((FAMILY, 16))
            .light_line_style(WHITE.mix(0.0))
            .y_labels(11)
            .y_label_formatter(&|y| format!("{y:.1}"))
            .x_label_formatter(&|x| format!("{x:.0}"))
            .draw()?;
        let train: Vec<(f64, f64)> = self
            .epochs
            .iter()
            .map(|r| (r.epoch as f64, r.train_acc))
            .collect();
        let test: Vec<(f64, f64)> = self
            .epochs
            .iter()
            .map(|r| (r.epoch as f64, r.test_acc))
            .collect();
        let solid = BLUE_DARK.stroke_width(2);
        let dashed = ORANGE.stroke_width(2);
        chart
            .draw_series(LineSeries::new(train, solid))?
            .label("train acc")
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 24, y)], solid));
        chart
            .draw_series(DashedLineSeries::new(test, 8, 5, dashed))?
            .label("test acc")
            .legend(move |(x, y)| DashedPathElement::new([(x, y), (x + 24, y)], 8, 5, dashed));
        // Accuracy climbs towards the top: the bottom right stays empty.
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .label_font((FAMILY, 15))
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK.mix(0.3))
            .draw()?;
        Ok(())
    }
}
