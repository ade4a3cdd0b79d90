//! `loss.png`: the loss of every mini-batch as learning goes on — the
//! book's figure 4-11, with the whole run on the left and the first 1,000
//! iterations, where the loss falls fastest, on the right.
//!
//! Each mini-batch is a different random sample, so the raw loss is noisy; a
//! darker line gives its moving average over 100 iterations, which shows
//! the trend the noise hides.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use super::error::ReportError;
use super::figure::{DrawResult, Figure, save_figure};
use super::font::FAMILY;
use super::style::{BLUE_DARK, BLUE_LIGHT, fmt_count};

/// Iterations shown in the zoomed panel.
pub const ZOOM_ITERS: usize = 1_000;
/// Window of the running mean.
const MEAN_WINDOW: usize = 100;

/// Figure 4-11 for the losses `loss[i]` of iterations i = 0, 1, ….
#[derive(Debug, Clone)]
pub struct LossFigure<'a> {
    /// The batch loss of every iteration.
    pub loss: &'a [f64],
    /// A line under the panels' titles, such as the data set's name.
    pub subtitle: String,
}

/// Writes `stem.png` and `stem.svg` for the losses `loss`.
pub fn plot_loss(stem: &Path, loss: &[f64], subtitle: &str) -> Result<Vec<PathBuf>, ReportError> {
    save_figure(
        stem,
        &LossFigure {
            loss,
            subtitle: subtitle.to_string(),
        },
    )
}

impl Figure for LossFigure<'_> {
    fn size(&self) -> (u32, u32) {
        (1200, 480)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE)?;
        let root = root.titled(&self.subtitle, (FAMILY, 20))?;
        let (left, right) = root.split_horizontally(610);
        let n = self.loss.len();
        let mean = moving_average(self.loss, MEAN_WINDOW);
        panel(
            &left,
            &format!("loss over all {} iterations", fmt_count(n)),
            self.loss,
            &mean,
            n,
        )?;
        let zoom = n.min(ZOOM_ITERS);
        panel(
            &right,
            &format!("the first {} iterations", fmt_count(zoom)),
            &self.loss[..zoom],
            &mean[..zoom],
            zoom,
        )?;
        Ok(())
    }
}

fn panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    loss: &[f64],
    mean: &[f64],
    iters: usize,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let top = loss
        .iter()
        .copied()
        .filter(|l| l.is_finite())
        .fold(0.0f64, f64::max);
    let y_max = if top > 0.0 { top * 1.05 } else { 1.0 };
    let x_max = iters.max(2) as f64 - 1.0;
    let mut chart = ChartBuilder::on(area)
        .caption(title, (FAMILY, 18))
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(55)
        .build_cartesian_2d(0.0..x_max, 0.0..y_max)?;
    chart
        .configure_mesh()
        .x_desc("iteration")
        .y_desc("loss")
        .label_style((FAMILY, 14))
        .axis_desc_style((FAMILY, 16))
        .light_line_style(WHITE.mix(0.0))
        .x_label_formatter(&|x| fmt_count(x.round() as usize))
        .draw()?;
    // Each pixel column gets the lowest and highest loss it covers, so a
    // long run draws fast and the noise band keeps its true height.
    let raw = envelope(loss, 1500);
    chart
        .draw_series(LineSeries::new(raw, BLUE_LIGHT.stroke_width(1)))?
        .label("batch loss")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLUE_LIGHT.stroke_width(2)));
    let smooth = envelope(mean, 1500);
    chart
        .draw_series(LineSeries::new(smooth, BLUE_DARK.stroke_width(2)))?
        .label(format!("moving average of {MEAN_WINDOW}"))
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLUE_DARK.stroke_width(2)));
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font((FAMILY, 14))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .draw()?;
    Ok(())
}

/// The moving average of `values` over a window of `window` values centred
/// on each index (shorter at the ends); values that are not finite are left
/// out. Centred, so the smooth line lies on the noise instead of lagging it.
///
/// ```
/// let m = manabi::report::moving_average(&[1.0, 3.0, 5.0, 7.0], 3);
/// assert_eq!(m, vec![2.0, 3.0, 5.0, 6.0]);
/// ```
pub fn moving_average(values: &[f64], window: usize) -> Vec<f64> {
    let n = values.len();
    let half = window / 2;
    // Prefix sums of the finite values and of their count.
    let mut sum = vec![0.0; n + 1];
    let mut count = vec![0usize; n + 1];
    for (i, &v) in values.iter().enumerate() {
        let ok = v.is_finite();
        sum[i + 1] = sum[i] + if ok { v } else { 0.0 };
        count[i + 1] = count[i] + usize::from(ok);
    }
    (0..n)
        .map(|i| {
            let (lo, hi) = (i.saturating_sub(half), (i + window - half).min(n));
            let c = count[hi] - count[lo];
            if c > 0 {
                (sum[hi] - sum[lo]) / c as f64
            } else {
                f64::NAN
            }
        })
        .collect()
}

/// At most `2 · buckets` points tracing `values`: each bucket's lowest and
/// highest finite value in order, or every point when there are few.
fn envelope(values: &[f64], buckets: usize) -> Vec<(f64, f64)> {
    let finite = |&(_, v): &(f64, f64)| v.is_finite();
    if values.len() <= 2 * buckets {
        return values
            .iter()
            .enumerate()
            .map(|(i, &v)| (i as f64, v))
            .filter(finite)
            .collect();
    }
    let size = values.len().div_ceil(buckets);
    let mut out = Vec::with_capacity(2 * buckets);
    for (b, chunk) in values.chunks(size).enumerate() {
        let start = b * size;
        let points = chunk.iter().enumerate().map(|(i, &v)| (start + i, v));
        let points = points.filter(|(_, v)| v.is_finite());
        let lo = points.clone().min_by(|a, b| a.1.total_cmp(&b.1));
        let hi = points.max_by(|a, b| a.1.total_cmp(&b.1));
        if let (Some(lo), Some(hi)) = (lo, hi) {
            let (first, second) = if lo.0 <= hi.0 { (lo, hi) } else { (hi, lo) };
            out.push((first.0 as f64, first.1));
            out.push((second.0 as f64, second.1));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moving_average_skips_what_is_not_a_number() {
        let m = moving_average(&[1.0, f64::NAN, 3.0], 3);
        assert_eq!(m, vec![1.0, 2.0, 3.0]);
    }

    #[test]
    fn envelope_keeps_extremes() {
        let v: Vec<f64> = (0..10_000)
            .map(|i| if i == 4321 { 9.0 } else { 1.0 })
            .collect();
        let e = envelope(&v, 100);
        assert!(e.len() <= 200);
        assert!(e.iter().any(|&(x, y)| x == 4321.0 && y == 9.0));
    }
}
