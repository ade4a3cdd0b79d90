//! A growable array of numbers whose first number starts a 64-byte cache
//! line: W1, its gradient and the hidden layer's rows, which the kernels
//! read and write a whole register at a time.
//!
//! A `Vec` of f32 or f64 starts wherever the allocator puts it — for W1's
//! hundreds of kilobytes, 16 bytes into a page — and then every 64-byte
//! AVX-512 load of a row of W1 (56 f64 are 7 whole registers) straddles two
//! cache lines, which the processor reads as two loads. Here the numbers
//! come in [`Line`]s of 16, each aligned to 64 bytes, so a row whose length
//! is a multiple of a register starts a register at a line boundary.
//! Nothing about the numbers changes, only where they are.

use std::fmt;
use std::ops::{Deref, DerefMut};

use super::float::Float;

/// Numbers per line: 16 f32 fill 64 bytes, 16 f64 two lines of 64.
const PER_LINE: usize = 16;

/// 16 numbers, starting at a multiple of 64 bytes.
#[repr(C, align(64))]
#[derive(Clone, Copy, PartialEq)]
struct Line<F>([F; PER_LINE]);

/// `len` numbers in lines of 16 (the last line's tail unused), read and
/// written as one slice.
#[derive(Clone)]
pub struct Aligned<F> {
    lines: Vec<Line<F>>,
    len: usize,
}

impl<F: Float> Aligned<F> {
    /// `len` zeros.
    pub fn zeros(len: usize) -> Self {
        let mut a = Self::default();
        a.resize(len, F::ZERO);
        a
    }

    /// Grows to `len` numbers (new ones `value`) or shrinks to them, as
    /// `Vec::resize` does; the numbers kept keep their values.
    pub fn resize(&mut self, len: usize, value: F) {
        // No padding between lines: the numbers of consecutive lines are
        // consecutive numbers of one slice (see `Deref`).
        const {
            assert!(std::mem::size_of::<Line<F>>() == PER_LINE * std::mem::size_of::<F>());
        }
        let old = self.len;
        self.lines
            .resize(len.div_ceil(PER_LINE), Line([F::ZERO; PER_LINE]));
        self.len = len;
        if len > old {
            self[old..].fill(value);
        }
    }
}

impl<F> Default for Aligned<F> {
    fn default() -> Self {
        Aligned {
            lines: Vec::new(),
            len: 0,
        }
    }
}

impl<F> Deref for Aligned<F> {
    type Target = [F];

    fn deref(&self) -> &[F] {
        // SAFETY: a Line<F> is 16 F's (repr(C)) with no padding after
        // them (asserted in `resize`, the only way lines are added), so the
        // lines are lines.len()·16 ≥ len initialised F's in a row, and the
        // slice borrows `self`.
        unsafe { std::slice::from_raw_parts(self.lines.as_ptr() as *const F, self.len) }
    }
}

impl<F> DerefMut for Aligned<F> {
    fn deref_mut(&mut self) -> &mut [F] {
        // SAFETY: as in `deref`; the slice borrows `self` mutably.
        unsafe { std::slice::from_raw_parts_mut(self.lines.as_mut_ptr() as *mut F, self.len) }
    }
}

impl<F: fmt::Debug> fmt::Debug for Aligned<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (**self).fmt(f)
    }
}

impl<F: PartialEq> PartialEq for Aligned<F> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_numbers_start_a_line_and_resize_as_a_vec_does() {
        let mut a = Aligned::<f64>::zeros(5);
        assert_eq!(a.as_ptr() as usize % 64, 0);
        assert_eq!(&a[..], &[0.0; 5]);
        a[4] = 2.0;
        a.resize(40, 1.0);
        assert_eq!(a.as_ptr() as usize % 64, 0);
        assert_eq!(a.len(), 40);
        assert_eq!((a[4], a[5], a[39]), (2.0, 1.0, 1.0));
        a.resize(3, 7.0);
        assert_eq!(&a[..], &[0.0; 3]);
        a.resize(4, 7.0);
        assert_eq!(&a[..], &[0.0, 0.0, 0.0, 7.0]);
        let b = a.clone();
        assert_eq!(a, b);
        assert_eq!(format!("{b:?}"), "[0.0, 0.0, 0.0, 7.0]");
        let c = Aligned::<f32>::zeros(17);
        assert_eq!((c.as_ptr() as usize % 64, c.len()), (0, 17));
    }
}
