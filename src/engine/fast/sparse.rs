//! A whole split as its non-zero pixels, found once per run.
//!
//! Every evaluation reads every image, and every batch copies a hundred; finding
//! the non-zero pixels once and keeping them (2 bytes of index and 1 of value
//! each) turns both into a walk over what matters.

use rayon::prelude::*;

use crate::data::Split;

use super::batch::push_nonzeros;

/// The largest image the sparse form can index (pixel numbers are u16).
pub const MAX_PIXELS: usize = 1 << 16;

/// The non-zero pixels and the labels of every sample of a split.
#[derive(Debug, Clone)]
pub struct SparseSplit {
    /// Sample `s` owns entries `start[s]..start[s + 1]`.
    start: Vec<usize>,
    /// Pixel number of each entry.
    pixel: Vec<u16>,
    /// Pixel byte of each entry (never 0).
    byte: Vec<u8>,
    /// Label of each sample.
    labels: Vec<u8>,
    /// Pixels per image.
    d: usize,
    /// Which split this was made from (its pixel buffer's address and size).
    origin: (usize, usize),
}

impl SparseSplit {
    /// Finds the non-zero pixels of every image of `split`, in parallel.
    ///
    /// Images must have at most [`MAX_PIXELS`] pixels.
    pub fn new(split: &Split) -> Self {
        let d = split.pixels_per_image();
        assert!(
            d <= MAX_PIXELS,
            "images of {d} pixels are too large for the sparse form"
        );
        let images = split.images();
        // Two passes, both parallel: count each image's non-zero pixels, then
        // write them straight into their place (no intermediate copies, so
        // the peak memory is the result itself).
        let counts: Vec<usize> = images
            .par_chunks(d.max(1))
            .map(|image| image.iter().filter(|&&b| b != 0).count())
            .collect();
        let mut start = Vec::with_capacity(counts.len() + 1);
        start.push(0);
        for c in &counts {
            start.push(start.last().copied().unwrap_or(0) + c);
        }
        let total = *start.last().unwrap_or(&0);
        let (mut pixel, mut byte) = (vec![0u16; total], vec![0u8; total]);
        const CHUNK: usize = 1000;
        let mut tasks = Vec::new();
        let (mut p_rest, mut b_rest) = (&mut pixel[..], &mut byte[..]);
        for first in (0..counts.len()).step_by(CHUNK) {
            let end = (first + CHUNK).min(counts.len());
            let len = start[end] - start[first];
            let (p, pr) = std::mem::take(&mut p_rest).split_at_mut(len);
            let (b, br) = std::mem::take(&mut b_rest).split_at_mut(len);
            (p_rest, b_rest) = (pr, br);
            tasks.push((first, end, p, b));
        }
        tasks.into_par_iter().for_each(|(first, end, p, b)| {
            let (mut pixels, mut bytes) = (Vec::new(), Vec::new());
            let mut at = 0;
            for image in images[first * d..end * d].chunks_exact(d.max(1)) {
                pixels.clear();
                bytes.clear();
                push_nonzeros(image, &mut pixels, &mut bytes);
                p[at..at + pixels.len()].copy_from_slice(&pixels);
                b[at..at + bytes.len()].copy_from_slice(&bytes);
                at += pixels.len();
            }
        });
        SparseSplit {
            start,
            pixel,
            byte,
            labels: split.labels().to_vec(),
            d,
            origin: (images.as_ptr() as usize, images.len()),
        }
    }

    /// True when this was made from `split`.
    pub fn is_of(&self, split: &Split) -> bool {
        self.origin == (split.images().as_ptr() as usize, split.images().len())
    }

    /// Pixels per image.
    pub fn pixels_per_image(&self) -> usize {
        self.d
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// True when there are no samples.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The non-zero pixels of sample `s`: their numbers and bytes.
    #[inline]
    pub fn row(&self, s: usize) -> (&[u16], &[u8]) {
        let r = self.start[s]..self.start[s + 1];
        (&self.pixel[r.clone()], &self.byte[r])
    }

    /// Where sample `s`'s entries start (and `s − 1`'s end).
    #[inline]
    pub fn entry(&self, s: usize) -> usize {
        self.start[s]
    }

    /// The bytes of the entries `range`.
    #[inline]
    pub fn bytes(&self, range: std::ops::Range<usize>) -> &[u8] {
        &self.byte[range]
    }

    /// The label of sample `s`.
    #[inline]
    pub fn label(&self, s: usize) -> usize {
        self.labels[s] as usize
    }

    /// Fraction of pixels that are non-zero.
    pub fn density(&self) -> f64 {
        self.pixel.len() as f64 / (self.len() * self.d).max(1) as f64
    }
}
