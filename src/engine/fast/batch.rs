//! A mini-batch, kept as the images' own bytes.
//!
//! The chosen images are copied side by side as they are stored, one byte
//! per pixel: 100 images are 78 KB, which stays in the processor's cache for
//! every pass over the batch, where a float copy would be 4–8 times larger.
//! Each pass scales a pixel to `byte / 255` through a 256-entry table, the
//! exact value the book's `x / 255.0` gives.

use crate::data::Split;

use super::float::Float;

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
    /// What each byte stands for, when not k/255: the split's
    /// [`pixel_values`](Split::pixel_values).
    pub values: Option<[f64; 256]>,
}

impl Batch {
    /// Fills the batch with the samples `indices` of `split` (`x[batch_mask]`).
    ///
    /// The images are scattered over the data set, so the copy waits on
    /// memory; the two halves of the batch are copied by two threads
    /// ([`super::team`]), each waiting for its own. (The data set lies on
    /// large pages, [`crate::data`], so finding an image's address costs
    /// no extra wait; asking for the images ahead of the copy, tried too,
    /// measured slower.)
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
        super::team::join(|| copy(rows, first), || copy(rows_b, second));
    }

    /// The bytes of sample `s`.
    #[inline(always)]
    pub fn row(&self, s: usize) -> &[u8] {
        &self.pixels[s * self.d..(s + 1) * self.d]
    }

    /// What each byte of this batch stands for, in `F`.
    pub fn scale<F: Float>(&self) -> [F; 256] {
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

/// `values[byte]` for every byte, in `F`; [`scale_table`] without values.
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
