//! `mistakes.png`: the test images a network got wrong while being most
//! sure of itself — often badly written digits, sometimes wrong labels.

use std::path::{Path, PathBuf};

use plotters::style::RGBColor;

use super::analysis::Prediction;
use super::error::ReportError;
use super::figure::save_png;
use super::image_grid::{Tile, TileGrid};
use crate::data::Split;

/// Writes `stem.png`: each mistake's image from `split` (as stored: white
/// ink on black for MNIST), its true class and the network's answer.
pub fn plot_mistakes(
    stem: &Path,
    split: &Split,
    mistakes: &[Prediction],
    classes: &[&str; 10],
    title: &str,
) -> Result<PathBuf, ReportError> {
    let name = |c: usize| classes.get(c).copied().unwrap_or("?");
    let tiles = mistakes
        .iter()
        .map(|m| Tile {
            pixels: split
                .image(m.index)
                .iter()
                .map(|&p| RGBColor(p, p, p))
                .collect(),
            caption: vec![
                (format!("true: {}", name(m.label)), RGBColor(0, 0, 0)),
                (
                    format!("said: {} {:.0}%", name(m.predicted), 100.0 * m.confidence),
                    RGBColor(190, 30, 30),
                ),
                (format!("test #{}", m.index), RGBColor(120, 120, 120)),
            ],
        })
        .collect();
    let grid = TileGrid {
        rows: split.rows(),
        cols: split.cols(),
        scale: 4,
        columns: 8,
        cell_width: 140,
        title: title.to_string(),
        note: "the wrong answers the network was most sure of, most confident first".into(),
        tiles,
    };
    save_png(stem, &grid)
}
