//! A grid of small pictures with captions: the layout behind `weights.png`
//! (W1's hidden units) and `mistakes.png` (the worst errors).

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::figure::{DrawResult, Figure};
use super::font::FAMILY;

/// One picture of the grid and the lines of text under it.
#[derive(Debug, Clone, PartialEq)]
pub struct Tile {
    /// `rows · cols` pixels, row by row.
    pub pixels: Vec<RGBColor>,
    /// Caption lines and their colours.
    pub caption: Vec<(String, RGBColor)>,
}

/// Pictures of `rows × cols` pixels, each drawn `scale` times larger, laid
/// out `columns` to a row under a title.
#[derive(Debug, Clone, PartialEq)]
pub struct TileGrid {
    /// Pixel rows of each picture.
    pub rows: usize,
    /// Pixel columns of each picture.
    pub cols: usize,
    /// Screen pixels per picture pixel.
    pub scale: u32,
    /// Pictures per row of the grid.
    pub columns: usize,
    /// Width of each grid cell in screen pixels (at least the picture's).
    pub cell_width: u32,
    /// Title at the top.
    pub title: String,
    /// A line of explanation under the title.
    pub note: String,
    /// The pictures.
    pub tiles: Vec<Tile>,
}

const MARGIN: u32 = 16;
const HEADER: u32 = 64;
const LINE: u32 = 17;
const GAP: u32 = 10;

impl TileGrid {
    fn caption_lines(&self) -> u32 {
        self.tiles
            .iter()
            .map(|t| t.caption.len())
            .max()
            .unwrap_or(0) as u32
    }

    fn cell(&self) -> (u32, u32) {
        let w = self.cell_width.max(self.cols as u32 * self.scale) + GAP;
        let h = self.rows as u32 * self.scale + self.caption_lines() * LINE + GAP + 4;
        (w, h)
    }

    fn grid_rows(&self) -> u32 {
        self.tiles.len().div_ceil(self.columns.max(1)) as u32
    }
}

impl Figure for TileGrid {
    fn size(&self) -> (u32, u32) {
        let (cw, ch) = self.cell();
        let columns = self.columns.min(self.tiles.len()).max(1) as u32;
        let w = (2 * MARGIN + columns * cw).max(560);
        (w, 2 * MARGIN + HEADER + self.grid_rows().max(1) * ch)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE)?;
        let m = MARGIN as i32;
        root.draw_text(&self.title, &(FAMILY, 20).into_font().color(&BLACK), (m, m))?;
        root.draw_text(
            &self.note,
            &(FAMILY, 14).into_font().color(&RGBColor(80, 80, 80)),
            (m, m + 30),
        )?;
        let (cw, ch) = self.cell();
        let s = self.scale as i32;
        let picture_w = self.cols as i32 * s;
        let columns = self.columns.max(1);
        for (k, tile) in self.tiles.iter().enumerate() {
            let x0 = m + (k % columns) as i32 * cw as i32;
            let y0 = m + HEADER as i32 + (k / columns) as i32 * ch as i32;
            // Centre the picture in its cell.
            let px = x0 + (cw as i32 - GAP as i32 - picture_w) / 2;
            for (i, &color) in tile.pixels.iter().enumerate() {
                let (r, c) = ((i / self.cols) as i32, (i % self.cols) as i32);
                let (x, y) = (px + c * s, y0 + r * s);
                root.draw(&Rectangle::new([(x, y), (x + s, y + s)], color.filled()))?;
            }
            let bottom = y0 + self.rows as i32 * s;
            root.draw(&Rectangle::new(
                [(px - 1, y0 - 1), (px + picture_w, bottom)],
                RGBColor(160, 160, 160).stroke_width(1),
            ))?;
            let centre = x0 + (cw as i32 - GAP as i32) / 2;
            for (line, (text, color)) in tile.caption.iter().enumerate() {
                let style = (FAMILY, 13)
                    .into_font()
                    .color(color)
                    .pos(Pos::new(HPos::Center, VPos::Top));
                root.draw_text(
                    text,
                    &style,
                    (centre, bottom + 4 + line as i32 * LINE as i32),
                )?;
            }
        }
        Ok(())
    }
}
