//! `weights.png`: what each hidden unit looks at.
//!
//! Hidden unit j computes a1[j] = Σᵢ x[i]·W1[i, j] + b1[j]: column j of W1
//! holds one weight per input pixel, so drawn as a 28×28 picture it shows
//! which pixels push the unit up (red) and which push it down (blue). After
//! training, many units show stroke-like blobs: parts of digits.

use std::path::{Path, PathBuf};

use ndarray::Array2;
use plotters::style::RGBColor;

use super::error::ReportError;
use super::figure::save_png;
use super::image_grid::{Tile, TileGrid};

/// Colour of a weight scaled to [-1, 1]: blue below 0, white at 0, red above.
pub fn diverging(v: f64) -> RGBColor {
    let v = if v.is_finite() {
        v.clamp(-1.0, 1.0)
    } else {
        0.0
    };
    let (end, t) = if v < 0.0 {
        ((33.0, 102.0, 172.0), -v)
    } else {
        ((178.0, 24.0, 43.0), v)
    };
    let mix = |e: f64| (255.0 + (e - 255.0) * t).round() as u8;
    RGBColor(mix(end.0), mix(end.1), mix(end.2))
}

/// Writes `stem.png`: every column of `w1` (input, hidden) as a
/// `rows × cols` tile, each scaled to its own largest |weight|.
pub fn plot_weights(
    stem: &Path,
    w1: &Array2<f64>,
    image_shape: (usize, usize),
) -> Result<PathBuf, ReportError> {
    let (rows, cols) = image_shape;
    if rows * cols != w1.nrows() {
        return Err(ReportError::malformed(
            stem.with_extension("png"),
            format!(
                "W1 has {} rows, which are not {rows}×{cols} images",
                w1.nrows()
            ),
        ));
    }
    let hidden = w1.ncols();
    let tiles = (0..hidden)
        .map(|j| {
            let column = w1.column(j);
            let top = largest_magnitude(column);
            let scale = if top > 0.0 { 1.0 / top } else { 0.0 };
            Tile {
                pixels: column.iter().map(|&w| diverging(w * scale)).collect(),
                caption: vec![(format!("unit {j}"), RGBColor(90, 90, 90))],
            }
        })
        .collect();
    let scale = if hidden > 100 { 2 } else { 3 };
    let grid = TileGrid {
        rows,
        cols,
        scale,
        columns: if hidden <= 50 { 10 } else { 20 },
        cell_width: 0,
        title: format!("W1: the {hidden} hidden units, one {rows}×{cols} tile each"),
        note: "red: a bright pixel there raises the unit's input; blue: lowers it; white: ignored (each tile scaled to its largest weight)".into(),
        tiles,
    };
    save_png(stem, &grid)
}

/// The largest finite |w| of one hidden unit's incoming weights: the scale
/// both the PNG tiles and the live page's tiles draw a unit at.
pub fn largest_magnitude(column: ndarray::ArrayView1<f64>) -> f64 {
    column
        .iter()
        .map(|w| w.abs())
        .filter(|w| w.is_finite())
        .fold(0.0, f64::max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_run_blue_white_red() {
        assert_eq!(diverging(0.0), RGBColor(255, 255, 255));
        assert_eq!(diverging(1.0), RGBColor(178, 24, 43));
        assert_eq!(diverging(-1.0), RGBColor(33, 102, 172));
        assert_eq!(diverging(f64::NAN), RGBColor(255, 255, 255));
    }
}
