//! The gradient's NumPy arrays, written again once Python has let go of
//! them.
//!
//! The book's loop asks for a new gradient every iteration
//! (`grad = network.gradient(x_batch, t_batch)`) and lets go of the one
//! before when `grad` is bound to the new one. New arrays every call are
//! 313 KB of W1 (the book's 784 × 50 in float64) in memory the processor
//! must first fetch to write. So the binding keeps the arrays of the last
//! [`KEPT`] gradients it handed out, and a set that nobody else holds is
//! written again and handed out in a new dict:
//!
//! ```text
//! free  ⇔  for each of W1, b1, W2, b2: reference count 1 (only this list's),
//!          its shape, float64, C-contiguous, writeable
//! ```
//!
//! With a reference count of 1 no Python code can reach the array (a
//! view, a memoryview or a dict holding it counts), so writing it again is
//! unseen: the same reasoning by which NumPy reuses temporaries in
//! `a + b + c`. The other conditions catch an array whose shape, dtype,
//! strides or flags were changed in place before it was let go of.

use numpy::{
    Element, IxDyn, PyArrayDescrMethods, PyArrayDyn, PyArrayMethods, PyUntypedArrayMethods,
};
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// Gradients whose arrays are kept: the book's loop holds one while the
/// next is made, so two sets are enough for every other one to be free.
pub const KEPT: usize = 2;

/// The arrays of the gradients handed out last (W1, b1, W2, b2 each).
#[derive(Default)]
pub struct Handed {
    sets: Vec<[Py<PyArrayDyn<f64>>; 4]>,
}

impl Handed {
    /// A dict of W1, b1, W2, b2 for a `d`-`h`-`k` network, the arrays of a
    /// free kept set (or new ones) written by `fill`.
    pub fn dict<'py>(
        &mut self,
        py: Python<'py>,
        (d, h, k): (usize, usize, usize),
        fill: impl FnOnce([&mut [f64]; 4]),
    ) -> PyResult<Bound<'py, PyDict>> {
        let shapes: [&[usize]; 4] = [&[d, h], &[h], &[h, k], &[k]];
        let set = match self.sets.iter().position(|s| free(py, s, shapes)) {
            Some(at) => &self.sets[at],
            None => {
                let new =
                    shapes.map(|shape| PyArrayDyn::<f64>::zeros(py, IxDyn(shape), false).unbind());
                if self.sets.len() >= KEPT {
                    self.sets.remove(0);
                }
                self.sets.push(new);
                &self.sets[self.sets.len() - 1]
            }
        };
        let arrays = set.each_ref().map(|a| a.bind(py).clone());
        {
            let [w1, b1, w2, b2] = arrays.each_ref().map(|a| a.try_readwrite());
            let (mut w1, mut b1, mut w2, mut b2) = (w1?, b1?, w2?, b2?);
            fill([
                w1.as_slice_mut()?,
                b1.as_slice_mut()?,
                w2.as_slice_mut()?,
                b2.as_slice_mut()?,
            ]);
        }
        let dict = PyDict::new(py);
        for (name, array) in ["W1", "b1", "W2", "b2"].into_iter().zip(arrays) {
            dict.set_item(name, array)?;
        }
        Ok(dict)
    }
}

/// Whether nobody but the list holds the arrays of `set`, each still of
/// its shape in `shapes`, float64, C-contiguous and writeable.
fn free(py: Python<'_>, set: &[Py<PyArrayDyn<f64>>; 4], shapes: [&[usize]; 4]) -> bool {
    set.iter().zip(shapes).all(|(array, shape)| {
        let a = array.bind(py);
        // SAFETY: `array` is a live object (the list holds it) and the GIL
        // is held, so its count cannot change under us.
        let count = unsafe { pyo3::ffi::Py_REFCNT(a.as_ptr()) };
        count == 1
            && a.shape() == shape
            && a.dtype().is_equiv_to(&f64::get_dtype(py))
            && a.is_c_contiguous()
            && a.try_readwrite().is_ok()
    })
}
