//! The mini-batch as the fast engine holds it: the images' own bytes.
//!
//! ```text
//! Batch     x: (n, d) bytes, one per pixel      t: (n,) labels      v: (256,) what a byte stands for
//! ```
//!
//! The batch keeps the images' own bytes: 100 images are 78 KB, which stays
//! in the processor's cache for every pass over the batch, where a float
//! copy would be 4–8 times larger. Each pass scales a pixel to `byte / 255`
//! through a 256-entry table ([`scale_table`]), the exact value the book's
//! `x / 255.0` gives — or to `v[byte]` when the split says what its bytes
//! stand for ([`Split::pixel_values`], such as NumPy's float32 `k / 255`;
//! [`scale_for`]).

use crate::data::Split;

use super::kernels::float::Float;
use super::team;

/// The images and labels of one mini-batch.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    /// Samples in the batch.
    pub n: usize,
    /// Pixels per image.
    pub d: usize,
    /// The images, `n` rows of `d` bytes.
    pub pixels: Vec<u8>,
    /// Correct class of each sample.
    pub labels: Vec<usize>,
    /// What each byte stands for when not `byte / 255`: the split's
    /// [`pixel_values`](Split::pixel_values).
    pub values: Option<[f64; 256]>,
}

impl Batch {
    /// Fills the batch with the samples `indices` of `split` (`x[batch_mask]`).
    ///
    /// The two halves of the batch are copied by two threads
    /// ([`super::team`]). The images are scattered over the data set (which
    /// lies on large pages, `data/huge_pages.rs`, so finding an image's
    /// address costs no extra wait; asking for them ahead of the copy,
    /// tried, measured slower); the batch's own lines were read by the other
    /// thread for ∂L/∂W1, and the loss pass asks for them back beforehand
    /// ([`super::forward`]).
    pub fn fill_from(&mut self, split: &Split, indices: &[usize]) {
        let d = split.pixels_per_image();
        self.n = indices.len();
        self.d = d;
        self.pixels.resize(self.n * d, 0);
        self.labels.clear();
        self.labels.extend(indices.iter().map(|&i| split.label(i)));
        self.values = split.pixel_values().copied();
        let half = self.n / 2;
        let (rows, rows_b) = self.pixels.split_at_mut(half * d);
        let (first, second) = indices.split_at(half);
        let copy = |rows: &mut [u8], which: &[usize]| {
            for (row, &i) in rows.chunks_exact_mut(d.max(1)).zip(which) {
                row.copy_from_slice(split.image(i));
            }
        };
        team::join(|| copy(rows, first), || copy(rows_b, second));
    }

    /// The bytes of sample `s`.
    #[inline(always)]
    pub(crate) fn row(&self, s: usize) -> &[u8] {
        &self.pixels[s * self.d..(s + 1) * self.d]
    }

    /// What each byte of this batch stands for, in `F` ([`scale_for`]).
    pub(crate) fn scale<F: Float>(&self) -> [F; 256] {
        scale_for(self.values.as_ref())
    }

    /// Number of non-zero pixels.
    pub fn nnz(&self) -> usize {
        self.pixels.iter().filter(|&&b| b != 0).count()
    }
}

/// `byte / 255` for every byte, in `F`.
pub fn scale_table<F: Float>() -> [F; 256] {
    std::array::from_fn(|b| F::from_pixel(b as u8))
}

/// `v[byte]` for every byte, in `F`, when `values` says what the bytes
/// stand for ([`Split::pixel_values`]); [`scale_table`] without.
pub fn scale_for<F: Float>(values: Option<&[f64; 256]>) -> [F; 256] {
    match values {
        Some(v) => v.map(F::from_f64),
        None => scale_table(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_holds_its_samples_in_order() {
        let images: Vec<u8> = [vec![0, 5, 0], vec![0; 3], vec![7, 0, 2]].concat();
        let split = Split::new(images, vec![4, 5, 6], 1, 3).unwrap();
        let mut b = Batch::default();
        b.fill_from(&split, &[2, 1, 0, 2]);
        assert_eq!((b.n, b.d), (4, 3));
        assert_eq!(b.labels, vec![6, 5, 4, 6]);
        assert_eq!(b.row(0), &[7, 0, 2]);
        assert_eq!(b.row(2), &[0, 5, 0]);
        assert_eq!(b.nnz(), 5);
        let scale = scale_table::<f64>();
        assert_eq!(scale[255], 1.0);
        assert_eq!(scale[5], 5.0 / 255.0);
    }
}
