//! The figures of the chapter's small gradient scripts, drawn from plain
//! lists of points so the examples stay about the mathematics:
//!
//! | book script | figure | function |
//! | --- | --- | --- |
//! | `ch04/gradient_1d.py` | a curve and its tangent line (fig. 4-7) | [`plot_tangent`] |
//! | `ch04/gradient_2d.py` | the negative gradient as arrows (fig. 4-9) | [`plot_gradient_field`] |
//! | `ch04/gradient_method.py` | descent paths side by side (fig. 4-10) | [`plot_descent_paths`] |

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::element::DashedPathElement;
use plotters::prelude::*;

use super::error::ReportError;
use super::figure::{DrawResult, Figure, save_figure};
use super::font::FAMILY;
use super::style::{BLUE_DARK, GREY, ORANGE, RED};

/// A range covering `values` with a margin of `pad` of its width on each
/// side (or ±1 around a single value).
fn padded(values: impl Iterator<Item = f64>, pad: f64) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if !lo.is_finite() {
        return (-1.0, 1.0);
    }
    let width = hi - lo;
    if width <= 0.0 {
        return (lo - 1.0, hi + 1.0);
    }
    (lo - pad * width, hi + pad * width)
}

fn mesh<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    x: &str,
    y: &str,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    chart
        .configure_mesh()
        .x_desc(x)
        .y_desc(y)
        .label_style((FAMILY, 14))
        .axis_desc_style((FAMILY, 16))
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    Ok(())
}

/// A curve, its tangent line and the point where they touch (gradient_1d).
#[derive(Debug, Clone)]
pub struct TangentFigure<'a> {
    /// Points (x, f(x)) of the curve.
    pub curve: &'a [(f64, f64)],
    /// Points of the tangent line.
    pub tangent: &'a [(f64, f64)],
    /// Where the tangent touches the curve.
    pub at: (f64, f64),
    /// Title above the plot.
    pub title: String,
}

/// Writes `stem.png` and `stem.svg`: `curve` (solid), `tangent` (dashed) and
/// the point `at` they share.
///
/// ```
/// let xs: Vec<f64> = (0..200).map(|i| i as f64 * 0.1).collect();
/// let f = |x: f64| 0.01 * x * x + 0.1 * x;
/// let curve: Vec<_> = xs.iter().map(|&x| (x, f(x))).collect();
/// let tangent: Vec<_> = xs.iter().map(|&x| (x, 0.2 * x - 0.25)).collect();
/// let dir = tempfile::tempdir().unwrap();
/// let stem = dir.path().join("gradient_1d");
/// manabi::report::plot_tangent(&stem, &curve, &tangent, (5.0, f(5.0)), "f(x) = 0.01x² + 0.1x").unwrap();
/// assert!(stem.with_extension("png").exists());
/// ```
pub fn plot_tangent(
    stem: &Path,
    curve: &[(f64, f64)],
    tangent: &[(f64, f64)],
    at: (f64, f64),
    title: &str,
) -> Result<Vec<PathBuf>, ReportError> {
    save_figure(
        stem,
        &TangentFigure {
            curve,
            tangent,
            at,
            title: title.to_string(),
        },
    )
}

impl Figure for TangentFigure<'_> {
    fn size(&self) -> (u32, u32) {
        (720, 520)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE)?;
        let xs = self.curve.iter().chain(self.tangent).map(|p| p.0);
        let ys = self.curve.iter().chain(self.tangent).map(|p| p.1);
        let (x0, x1) = padded(xs, 0.0);
        let (y0, y1) = padded(ys, 0.05);
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, (FAMILY, 20))
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(60)
            .build_cartesian_2d(x0..x1, y0..y1)?;
        mesh(&mut chart, "x", "f(x)")?;
        let curve = BLUE_DARK.stroke_width(2);
        let tangent = ORANGE.stroke_width(2);
        chart
            .draw_series(LineSeries::new(self.curve.iter().copied(), curve))?
            .label("f(x)")
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 24, y)], curve));
        chart
            .draw_series(DashedLineSeries::new(
                self.tangent.iter().copied(),
                8,
                5,
                tangent,
            ))?
            .label(format!("tangent at x = {}", self.at.0))
            .legend(move |(x, y)| DashedPathElement::new([(x, y), (x + 24, y)], 8, 5, tangent));
        chart.draw_series([Circle::new(self.at, 5, GREY.filled())])?;
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .label_font((FAMILY, 15))
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK.mix(0.3))
            .draw()?;
        Ok(())
    }
}

/// Arrows (x, y, dx, dy) on a grid: a vector field such as −∇f (gradient_2d).
#[derive(Debug, Clone)]
pub struct FieldFigure<'a> {
    /// Each arrow's foot (x, y) and direction (dx, dy).
    pub arrows: &'a [(f64, f64, f64, f64)],
    /// Title above the plot.
    pub title: String,
}

/// Writes `stem.png` and `stem.svg`: an arrow from every (x, y) along
/// (dx, dy). Lengths are scaled together so the longest arrow spans about one
/// grid step: relative lengths, as in `plt.quiver`, are what matter.
pub fn plot_gradient_field(
    stem: &Path,
    arrows: &[(f64, f64, f64, f64)],
    title: &str,
) -> Result<Vec<PathBuf>, ReportError> {
    save_figure(
        stem,
        &FieldFigure {
            arrows,
            title: title.to_string(),
        },
    )
}

impl Figure for FieldFigure<'_> {
    fn size(&self) -> (u32, u32) {
        (640, 640)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE)?;
        let (x0, x1) = padded(self.arrows.iter().map(|a| a.0), 0.06);
        let (y0, y1) = padded(self.arrows.iter().map(|a| a.1), 0.06);
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, (FAMILY, 20))
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(55)
            .build_cartesian_2d(x0..x1, y0..y1)?;
        mesh(&mut chart, "x0", "x1")?;
        let longest = self
            .arrows
            .iter()
            .map(|a| a.2.hypot(a.3))
            .filter(|l| l.is_finite())
            .fold(0.0, f64::max);
        let step = (x1 - x0).max(y1 - y0) / (self.arrows.len().max(1) as f64).sqrt();
        let scale = if longest > 0.0 {
            0.9 * step / longest
        } else {
            0.0
        };
        let style = GREY.stroke_width(1);
        for &(x, y, dx, dy) in self.arrows {
            let (u, v) = (dx * scale, dy * scale);
            if !(u.is_finite() && v.is_finite()) || u.hypot(v) == 0.0 {
                continue;
            }
            let (tx, ty) = (x + u, y + v);
            // Head: two strokes at ±25° back from the tip, a third of the length.
            let head = 0.3 * u.hypot(v);
            let angle = v.atan2(u);
            let wing = |da: f64| {
                let a = angle + std::f64::consts::PI + da;
                (tx + head * a.cos(), ty + head * a.sin())
            };
            chart.draw_series([
                PathElement::new([(x, y), (tx, ty)], style),
                PathElement::new([wing(0.45), (tx, ty), wing(-0.45)], style),
            ])?;
        }
        Ok(())
    }
}

/// Several descent paths, one panel each, on the same axes (gradient_method).
#[derive(Debug, Clone)]
pub struct DescentFigure<'a> {
    /// (title, path) per panel; a path is the points visited, in order.
    pub panels: &'a [(&'a str, &'a [(f64, f64)])],
    /// The x and y ranges every panel shows.
    pub range: ((f64, f64), (f64, f64)),
}

/// Writes `stem.png` and `stem.svg`: each path of `panels` in its own panel,
/// side by side on the common `range` ((x min, x max), (y min, y max)), with
/// dashed axes through the origin. Points outside the range (a diverging
/// path) are left out and counted in the panel's title.
pub fn plot_descent_paths(
    stem: &Path,
    panels: &[(&str, &[(f64, f64)])],
    range: ((f64, f64), (f64, f64)),
) -> Result<Vec<PathBuf>, ReportError> {
    save_figure(stem, &DescentFigure { panels, range })
}

impl Figure for DescentFigure<'_> {
    fn size(&self) -> (u32, u32) {
        (440 * self.panels.len().max(1) as u32, 540)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE)?;
        let ((x0, x1), (y0, y1)) = self.range;
        let inside = |&(x, y): &(f64, f64)| x >= x0 && x <= x1 && y >= y0 && y <= y1;
        for (area, &(title, path)) in root
            .split_evenly((1, self.panels.len().max(1)))
            .iter()
            .zip(self.panels)
        {
            let off = path.iter().filter(|p| !inside(p)).count();
            let caption = if off == 0 {
                title.to_string()
            } else {
                format!("{title} ({off} of {} points off the plot)", path.len())
            };
            let mut chart = ChartBuilder::on(area)
                .caption(caption, (FAMILY, 16))
                .margin(12)
                .x_label_area_size(40)
                .y_label_area_size(45)
                .build_cartesian_2d(x0..x1, y0..y1)?;
            mesh(&mut chart, "x0", "x1")?;
            let axis = GREY.mix(0.6).stroke_width(1);
            chart.draw_series([
                DashedPathElement::new([(x0, 0.0), (x1, 0.0)], 6, 4, axis),
                DashedPathElement::new([(0.0, y0), (0.0, y1)], 6, 4, axis),
            ])?;
            // Steps from a visible point, cut at the border, so a path that
            // flies off still shows which way it went. (Steps between two far
            // points are left out: clipping them would cancel huge numbers.)
            let segments = path
                .windows(2)
                .filter(|w| inside(&w[0]) || inside(&w[1]))
                .filter_map(|w| clip_segment(w[0], w[1], self.range));
            chart.draw_series(
                segments.map(|(a, b)| PathElement::new([a, b], BLUE_DARK.mix(0.5).stroke_width(1))),
            )?;
            chart.draw_series(
                path.iter()
                    .filter(|p| inside(p))
                    .map(|&p| Circle::new(p, 4, BLUE_DARK.filled())),
            )?;
            if let Some(&start) = path.first().filter(|p| inside(p)) {
                chart.draw_series([Circle::new(start, 7, RED.stroke_width(2))])?;
            }
        }
        Ok(())
    }
}

type Point = (f64, f64);

/// The part of the segment a–b inside `range` (Liang–Barsky), if any.
fn clip_segment(a: Point, b: Point, range: (Point, Point)) -> Option<(Point, Point)> {
    let ((x0, x1), (y0, y1)) = range;
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (p, q) in [
        (-dx, a.0 - x0),
        (dx, x1 - a.0),
        (-dy, a.1 - y0),
        (dy, y1 - a.1),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let t = q / p;
            if p < 0.0 {
                t0 = t0.max(t);
            } else {
                t1 = t1.min(t);
            }
        }
    }
    if t0 > t1 || t0.is_nan() || t1.is_nan() {
        return None;
    }
    let at = |t: f64| (a.0 + t * dx, a.1 + t * dy);
    Some((at(t0), at(t1)))
}

#[cfg(test)]
mod tests {
    #[test]
    fn segments_are_cut_at_the_border() {
        let range = ((-1.0, 1.0), (-1.0, 1.0));
        assert_eq!(
            super::clip_segment((0.0, 0.0), (4.0, 0.0), range),
            Some(((0.0, 0.0), (1.0, 0.0)))
        );
        assert_eq!(super::clip_segment((2.0, 2.0), (3.0, 3.0), range), None);
        assert_eq!(
            super::clip_segment((0.5, 0.5), (0.0, 0.0), range),
            Some(((0.5, 0.5), (0.0, 0.0)))
        );
    }

    use super::*;

    /// Draws the three figures from the book's functions. Set
    /// MANABI_FIGURES_DIR to a folder to keep them for a look.
    #[test]
    fn the_books_gradient_figures_draw() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = std::env::var_os("MANABI_FIGURES_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| tmp.path().to_path_buf());
        std::fs::create_dir_all(&dir).unwrap();

        // gradient_1d: f(x) = 0.01x² + 0.1x and its tangent at x = 5.
        let f = |x: f64| 0.01 * x * x + 0.1 * x;
        let xs: Vec<f64> = (0..200).map(|i| f64::from(i) * 0.1).collect();
        let curve: Vec<_> = xs.iter().map(|&x| (x, f(x))).collect();
        let tangent: Vec<_> = xs.iter().map(|&x| (x, 0.2 * x - 0.25)).collect();
        let files = plot_tangent(
            &dir.join("gradient_1d"),
            &curve,
            &tangent,
            (5.0, f(5.0)),
            "f(x) = 0.01x² + 0.1x and its tangent at x = 5",
        )
        .unwrap();

        // gradient_2d: −∇f for f(x0, x1) = x0² + x1² on a grid.
        let grid: Vec<f64> = (0..18).map(|i| -2.0 + f64::from(i) * 0.25).collect();
        let arrows: Vec<_> = grid
            .iter()
            .flat_map(|&x| grid.iter().map(move |&y| (x, y, -2.0 * x, -2.0 * y)))
            .collect();
        let field =
            plot_gradient_field(&dir.join("gradient_2d"), &arrows, "−∇f, f = x0² + x1²").unwrap();

        // gradient_method: 100 steps of x ← x − lr·∇f from (−3, 4).
        let path = |lr: f64| {
            let mut p = (-3.0f64, 4.0f64);
            let mut out = vec![p];
            for _ in 0..100 {
                p = (p.0 - lr * 2.0 * p.0, p.1 - lr * 2.0 * p.1);
                out.push(p);
            }
            out
        };
        let (good, big, small) = (path(0.1), path(10.0), path(1e-10));
        let panels: [(&str, &[(f64, f64)]); 3] = [
            ("lr = 0.1", &good),
            ("lr = 10: too large", &big),
            ("lr = 1e-10: too small", &small),
        ];
        let paths = plot_descent_paths(
            &dir.join("gradient_method"),
            &panels,
            ((-3.5, 3.5), (-4.5, 4.5)),
        )
        .unwrap();

        for file in files.iter().chain(&field).chain(&paths) {
            let bytes = std::fs::read(file).unwrap();
            assert!(bytes.len() > 1000, "{} is nearly empty", file.display());
        }
    }
}
