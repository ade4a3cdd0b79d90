//! A first look at a data set: how many images of each class, what the
//! pixels are like, and an image drawn as text.
//!
//! ```
//! use manabi::data::{Dataset, SplitStats, text_art};
//! let ds = Dataset::embedded();
//! let stats = SplitStats::of(&ds.train);
//! assert_eq!(stats.per_class.iter().sum::<usize>(), 8004);
//! assert!(stats.zero_share > 0.7); // most of an MNIST image is background
//! let art = text_art(ds.train.image(0), ds.train.cols());
//! assert_eq!(art.lines().count(), 28);
//! ```

use super::dataset::NUM_CLASSES;
use super::split::Split;

/// Ten shades from background to full ink, one character each: pixel value
/// `v` (0–255) is drawn as `RAMP[v · 10 / 256]`.
pub const RAMP: &str = " .:-=+*#%@";

/// Counts and pixel statistics of one split.
#[derive(Debug, Clone, PartialEq)]
pub struct SplitStats {
    /// Number of images.
    pub count: usize,
    /// Images of each class, label 0 to 9.
    pub per_class: [usize; NUM_CLASSES],
    /// Mean pixel value, 0–255.
    pub mean: f64,
    /// Standard deviation of the pixel values, 0–255.
    pub std: f64,
    /// Share of pixels that are exactly 0 (background), 0–1.
    pub zero_share: f64,
    /// Share of pixels that are exactly 255 (full ink), 0–1.
    pub full_share: f64,
}

impl SplitStats {
    /// Counts labels and summarises the pixels of `split` (one pass, from a
    /// histogram of the 256 possible values, so exact).
    pub fn of(split: &Split) -> SplitStats {
        let mut per_class = [0usize; NUM_CLASSES];
        for &l in split.labels() {
            per_class[usize::from(l)] += 1;
        }
        let mut histogram = [0u64; 256];
        for &p in split.images() {
            histogram[usize::from(p)] += 1;
        }
        let n = split.images().len() as f64;
        let (sum, sum_sq) = histogram
            .iter()
            .enumerate()
            .fold((0.0, 0.0), |(s, q), (v, &c)| {
                let (v, c) = (v as f64, c as f64);
                (s + v * c, q + v * v * c)
            });
        let share = |c: u64| if n > 0.0 { c as f64 / n } else { 0.0 };
        let mean = if n > 0.0 { sum / n } else { 0.0 };
        let var = if n > 0.0 {
            (sum_sq / n - mean * mean).max(0.0)
        } else {
            0.0
        };
        SplitStats {
            count: split.len(),
            per_class,
            mean,
            std: var.sqrt(),
            zero_share: share(histogram[0]),
            full_share: share(histogram[255]),
        }
    }
}

/// An image as text, one line per pixel row, two characters per pixel (a
/// character cell is about twice as tall as wide, so the image keeps its
/// shape), shaded with [`RAMP`].
///
/// ```
/// // A 2×2 image: background, faint / mid, full ink.
/// assert_eq!(manabi::data::text_art(&[0, 30, 128, 255], 2), "  ..\n++@@\n");
/// ```
pub fn text_art(pixels: &[u8], cols: usize) -> String {
    let ramp: Vec<char> = RAMP.chars().collect();
    let mut s = String::with_capacity(pixels.len() * 2 + pixels.len() / cols.max(1) + 1);
    for row in pixels.chunks(cols.max(1)) {
        for &p in row {
            let c = ramp[usize::from(p) * ramp.len() / 256];
            s.push(c);
            s.push(c);
        }
        s.push('\n');
    }
    s
}
