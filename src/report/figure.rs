//! Drawing a figure once and saving it as PNG and SVG.
//!
//! Each chart implements [`Figure`]: it draws on whatever plotters backend it
//! is handed. [`save_figure`] hands it a bitmap (encoded to PNG here, with
//! the `png` crate) and an SVG string, and writes both files atomically.

use std::error::Error;
use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use super::atomic::write_atomic;
use super::error::ReportError;
use super::font::register_font;

/// What drawing returns: plotters' errors, boxed so that any backend's fit.
pub type DrawResult = Result<(), Box<dyn Error>>;

/// A chart that can draw itself on any plotters backend.
pub trait Figure {
    /// Width and height in pixels.
    fn size(&self) -> (u32, u32);
    /// Draws on `root`, which covers [`Figure::size`].
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static;
}

/// Writes `stem.png` and `stem.svg` (`stem` without extension); returns
/// their paths.
pub fn save_figure(stem: &Path, figure: &impl Figure) -> Result<Vec<PathBuf>, ReportError> {
    let png = stem.with_extension("png");
    let svg = stem.with_extension("svg");
    write_atomic(&png, &png_bytes(figure).map_err(|e| plot_error(&png, e))?)?;
    write_atomic(
        &svg,
        svg_string(figure)
            .map_err(|e| plot_error(&svg, e))?
            .as_bytes(),
    )?;
    Ok(vec![png, svg])
}

/// Writes `stem.png` only: for pictures made of pixels, whose SVG would
/// hold one rectangle per pixel.
pub fn save_png(stem: &Path, figure: &impl Figure) -> Result<PathBuf, ReportError> {
    let png = stem.with_extension("png");
    write_atomic(&png, &png_bytes(figure).map_err(|e| plot_error(&png, e))?)?;
    Ok(png)
}

fn plot_error(path: &Path, e: Box<dyn Error>) -> ReportError {
    ReportError::Plot {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

/// The figure as PNG bytes.
pub fn png_bytes(figure: &impl Figure) -> Result<Vec<u8>, Box<dyn Error>> {
    register_font();
    let (w, h) = figure.size();
    let mut rgb = vec![255u8; 3 * w as usize * h as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
        figure.draw(&root)?;
        root.present()?;
    }
    encode_png(&rgb, w, h)
}

/// The figure as SVG text.
pub fn svg_string(figure: &impl Figure) -> Result<String, Box<dyn Error>> {
    register_font();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, figure.size()).into_drawing_area();
        figure.draw(&root)?;
        root.present()?;
    }
    Ok(svg)
}

/// 8-bit RGB pixels, row by row, as a PNG file's bytes.
pub fn encode_png(rgb: &[u8], width: u32, height: u32) -> Result<Vec<u8>, Box<dyn Error>> {
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header()?;
        writer.write_image_data(rgb)?;
        writer.finish()?;
    }
    Ok(out)
}
