//! What Python hands over, read and checked: images `x`, labels `t` and the
//! `params` dict. Every refusal is a Python exception that names the
//! argument and says what is wrong; arrays of another dtype, strided,
//! Fortran-ordered or non-contiguous are converted, not refused.
//!
//! Images whose every value is one of 256 known values become bytes plus
//! those values ([`Pixels::Bytes`]): what the fast engine reads. The book's
//! `load_mnist(normalize=True)` gives float32 `k / 255`; NumPy promotes it
//! to float64 where it meets the weights, so those are the values used,
//! exactly. Any other images are kept as f64 ([`Pixels::Floats`]).

use std::borrow::Cow;

use ndarray::{Array2, ArrayViewD};
use numpy::prelude::*;
use numpy::{PyArrayDyn, PyUntypedArray};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::bytes::{as_bytes, k255_bytes};

/// The images of one call, `n` rows of `d` values.
pub struct Images {
    /// Number of images.
    pub n: usize,
    /// Values per image.
    pub d: usize,
    /// One image given as a 1-D array (the book's `predict(x)` then
    /// returns a 1-D array).
    pub single: bool,
    /// The values.
    pub pixels: Pixels,
}

/// Images as bytes standing for 256 values, or as plain f64.
pub enum Pixels {
    /// Byte k stands for `values[k]` (`values[0]` is 0).
    Bytes {
        /// n rows of d bytes.
        bytes: Vec<u8>,
        /// What each byte stands for.
        values: Box<[f64; 256]>,
    },
    /// Any other numbers, as f64: (n, d).
    Floats(Array2<f64>),
}

impl Images {
    /// The images as an (n, d) f64 matrix.
    pub fn to_matrix(&self) -> Array2<f64> {
        match &self.pixels {
            Pixels::Floats(x) => x.clone(),
            Pixels::Bytes { bytes, values } => Array2::from_shape_fn((self.n, self.d), |(i, j)| {
                values[usize::from(bytes[i * self.d + j])]
            }),
        }
    }
}

/// NumPy's float32 `k / 255`: the book's `load_mnist(normalize=True)`.
pub fn f32_scaled() -> [f32; 256] {
    std::array::from_fn(|k| k as f32 / 255.0)
}

/// `obj` as a NumPy array (`np.asarray` for anything else, such as a list).
fn as_array<'py>(obj: &Bound<'py, PyAny>, name: &str) -> PyResult<Bound<'py, PyUntypedArray>> {
    if let Ok(a) = obj.cast::<PyUntypedArray>() {
        return Ok(a.clone());
    }
    let np = obj.py().import("numpy")?;
    let converted = np.call_method1("asarray", (obj,)).map_err(|e| {
        PyTypeError::new_err(format!(
            "{name} must be a NumPy array (or convertible to one): {e}"
        ))
    })?;
    Ok(converted.cast_into::<PyUntypedArray>()?)
}

/// `a.astype(dtype)`.
fn astype<'py>(a: &Bound<'py, PyUntypedArray>, dtype: &str) -> PyResult<Bound<'py, PyAny>> {
    a.call_method1("astype", (dtype,))
}

/// An array's dtype: the three read in place, and its kind (b'f', b'i',
/// b'u', b'b', …). Compared with NumPy's own dtypes, not by name: the name
/// is made by Python code, several microseconds a call, and is wanted only
/// in an error message ([`dtype_name`]).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Dtype {
    U8,
    F32,
    F64,
    Other,
}

/// `a`'s dtype and kind.
fn dtype(a: &Bound<'_, PyUntypedArray>) -> (Dtype, u8) {
    let py = a.py();
    let dtype = a.dtype();
    let is = |other: Bound<'_, numpy::PyArrayDescr>| dtype.is_equiv_to(&other);
    let which = if is(numpy::dtype::<u8>(py)) {
        Dtype::U8
    } else if is(numpy::dtype::<f32>(py)) {
        Dtype::F32
    } else if is(numpy::dtype::<f64>(py)) {
        Dtype::F64
    } else {
        Dtype::Other
    };
    (which, dtype.kind())
}

/// `a`'s dtype as Python writes it (`float32`, `<U1`), for messages.
fn dtype_name(a: &Bound<'_, PyUntypedArray>) -> String {
    a.dtype().to_string()
}

/// A float array's values in row-major order: borrowed when contiguous,
/// copied in logical order otherwise (strided, Fortran-ordered, negative steps).
fn with_values<T: numpy::Element + Copy, R>(
    a: &Bound<'_, PyArrayDyn<T>>,
    f: impl FnOnce(&[T]) -> R,
) -> PyResult<R> {
    let ro = a.try_readonly()?;
    let view: ArrayViewD<'_, T> = ro.as_array();
    // Row-major only: a Fortran-ordered array is contiguous too, column by column.
    match view.as_slice() {
        Some(s) => Ok(f(s)),
        None => {
            let v: Vec<T> = view.iter().copied().collect();
            Ok(f(&v))
        }
    }
}

/// `f` on `a`'s values as f64 in row-major order: read in place when they
/// are float64 (`dtype`), else converted first (`a.astype("float64")`).
fn with_f64<R>(
    a: &Bound<'_, PyUntypedArray>,
    dtype: Dtype,
    f: impl FnOnce(&[f64]) -> R,
) -> PyResult<R> {
    if dtype == Dtype::F64 {
        return with_values(a.cast::<PyArrayDyn<f64>>()?, f);
    }
    let owned = astype(a, "float64")?.cast_into::<PyArrayDyn<f64>>()?;
    with_values(&owned, f)
}

/// A shape as Python writes it: `(784, 50)`, `(50,)`.
pub fn shape_text(shape: &[usize]) -> String {
    match shape {
        [one] => format!("({one},)"),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// The first position of a value that is not finite, as "[row, column]".
fn first_not_finite(values: &[f64], d: usize, single: bool) -> Option<String> {
    let at = values.iter().position(|v| !v.is_finite())?;
    Some(if single {
        format!("[{at}] is {}", values[at])
    } else {
        format!("[{}, {}] is {}", at / d, at % d, values[at])
    })
}

/// Reads `x`: (N, d) or (d,), numbers, finite, not empty.
pub fn images(obj: &Bound<'_, PyAny>, d: usize, name: &str) -> PyResult<Images> {
    let a = as_array(obj, name)?;
    let shape = a.shape().to_vec();
    let (n, single) = match shape[..] {
        [_] => (1, true),
        [rows, _] => (rows, false),
        _ => {
            return Err(PyValueError::new_err(format!(
                "{name} has shape {}: give (N, {d}) images, one per row, or one image of shape ({d},) \
                 (load_mnist(flatten=True), or x.reshape(len(x), -1))",
                shape_text(&shape)
            )));
        }
    };
    let cols = *shape.last().unwrap();
    if cols != d {
        return Err(PyValueError::new_err(format!(
            "{name} has {cols} values per image but the network takes {d} (its input_size): shape {}",
            shape_text(&shape)
        )));
    }
    if n == 0 || d == 0 {
        return Err(PyValueError::new_err(format!(
            "{name} is empty (shape {}): give at least one image",
            shape_text(&shape)
        )));
    }
    let (dtype, kind) = dtype(&a);
    let pixels = match (dtype, kind) {
        (Dtype::U8, _) => {
            let a = a.cast::<PyArrayDyn<u8>>()?;
            let bytes = with_values(a, |v| v.to_vec())?;
            Pixels::Bytes {
                bytes,
                values: Box::new(std::array::from_fn(|k| k as f64)),
            }
        }
        (Dtype::F32, _) => {
            let a = a.cast::<PyArrayDyn<f32>>()?;
            with_values(a, |v| {
                let f32s = f32_scaled();
                if let Some(bytes) = k255_bytes(v) {
                    Ok(Pixels::Bytes {
                        bytes,
                        values: Box::new(f32s.map(f64::from)),
                    })
                } else if let Some(bytes) = as_bytes(v, 1.0, |k| k) {
                    Ok(Pixels::Bytes {
                        bytes,
                        values: Box::new(std::array::from_fn(|k| k as f64)),
                    })
                } else {
                    let values: Vec<f64> = v.iter().map(|&x| f64::from(x)).collect();
                    floats(values, n, d, single, name)
                }
            })??
        }
        (_, b'f' | b'i' | b'u' | b'b') => with_f64(&a, dtype, |v| {
            type Value = fn(f64) -> f64;
            let tables: [(Value, f64); 3] = [
                (|k| k / 255.0, 255.0),
                (|k| f64::from(k as f32 / 255.0), 255.0),
                (|k| k, 1.0),
            ];
            for (value, scale) in tables {
                if let Some(bytes) = as_bytes(v, scale, value) {
                    return Ok(Pixels::Bytes {
                        bytes,
                        values: Box::new(std::array::from_fn(|k| value(k as f64))),
                    });
                }
            }
            floats(v.to_vec(), n, d, single, name)
        })??,
        _ => {
            return Err(PyTypeError::new_err(format!(
                "{name} has dtype {}: give real numbers (float32, float64 or integers)",
                dtype_name(&a)
            )));
        }
    };
    Ok(Images {
        n,
        d,
        single,
        pixels,
    })
}

fn floats(values: Vec<f64>, n: usize, d: usize, single: bool, name: &str) -> PyResult<Pixels> {
    if let Some(at) = first_not_finite(&values, d, single) {
        return Err(PyValueError::new_err(format!(
            "{name}{at}: every value must be a finite number"
        )));
    }
    Ok(Pixels::Floats(
        Array2::from_shape_vec((n, d), values).expect("n · d values"),
    ))
}

/// Reads `t` for `n` images and `k` classes: labels (N,) of integers
/// 0 ≤ t < k, or one-hot rows (N, k) (read as their argmax, as the book's
/// `cross_entropy_error` and `accuracy` do); for one image (`single`), also a
/// single label or one one-hot row of shape (k,).
pub fn labels(obj: &Bound<'_, PyAny>, n: usize, k: usize, single: bool) -> PyResult<Vec<usize>> {
    let name = "t";
    let a = as_array(obj, name)?;
    let shape = a.shape().to_vec();
    let (dtype, kind) = dtype(&a);
    let one_hot = match shape[..] {
        [rows, cols] if rows == n && cols == k => true,
        [len] if single && len == k && k > 1 => true,
        [len] if len == n => false,
        [] if single => false,
        _ => {
            let want = if single {
                format!("a label, ({k},) one-hot, or (1,) / (1, {k})")
            } else {
                format!("({n},) labels or ({n}, {k}) one-hot rows")
            };
            return Err(PyValueError::new_err(format!(
                "{name} has shape {} for {n} image(s) and {k} classes: give {want}",
                shape_text(&shape)
            )));
        }
    };
    if one_hot {
        if !matches!(kind, b'f' | b'i' | b'u' | b'b') {
            return Err(PyTypeError::new_err(format!(
                "{name} has dtype {}: one-hot rows must be numbers",
                dtype_name(&a)
            )));
        }
        return with_f64(&a, dtype, |v| {
            v.chunks_exact(k)
                .enumerate()
                .map(|(row, r)| {
                    one_hot_label(r).ok_or_else(|| {
                        PyValueError::new_err(format!(
                            "{name}[{row}] is not one-hot (a single 1, zeros elsewhere): {r:?}"
                        ))
                    })
                })
                .collect::<PyResult<Vec<usize>>>()
        })?;
    }
    if !matches!(kind, b'i' | b'u') {
        return Err(PyTypeError::new_err(format!(
            "{name} has dtype {}: labels must be integers (such as uint8 from load_mnist), \
             or give one-hot rows of shape ({n}, {k})",
            dtype_name(&a)
        )));
    }
    let check = |i: usize, label: i64| {
        usize::try_from(label)
            .ok()
            .filter(|&l| l < k)
            .ok_or_else(|| {
                PyValueError::new_err(format!(
                    "{name}[{i}] is {label}: a label must be 0 to {} (the network has {k} classes)",
                    k - 1
                ))
            })
    };
    if dtype == Dtype::U8 {
        let a = a.cast::<PyArrayDyn<u8>>()?;
        return with_values(a, |v| {
            v.iter()
                .enumerate()
                .map(|(i, &label)| check(i, i64::from(label)))
                .collect::<PyResult<Vec<usize>>>()
        })?;
    }
    let a = astype(&a, "int64")?.cast_into::<PyArrayDyn<i64>>()?;
    with_values(&a, |v| {
        v.iter()
            .enumerate()
            .map(|(i, &label)| check(i, label))
            .collect::<PyResult<Vec<usize>>>()
    })?
}

/// The class of a one-hot row: where its single 1 is, when every other
/// value is 0.
fn one_hot_label(row: &[f64]) -> Option<usize> {
    let (mut at, mut ones, mut zeros) = (0, 0, 0);
    for (c, &x) in row.iter().enumerate() {
        if x == 1.0 {
            at = c;
            ones += 1;
        } else if x == 0.0 {
            zeros += 1;
        }
    }
    (ones == 1 && zeros == row.len() - 1).then_some(at)
}

/// `f` on `params` (a dict of W1, b1, W2, b2 for a `d`-`h`-`k` network,
/// shapes checked) as four row-major f64 slices: read in place when
/// float64 and C-contiguous (no copy: the engine compares them with what it
/// holds and copies only what changed), other float dtypes and layouts
/// converted first.
pub fn with_params<R>(
    obj: &Bound<'_, PyAny>,
    (d, h, k): (usize, usize, usize),
    f: impl FnOnce([&[f64]; 4]) -> R,
) -> PyResult<R> {
    let dict = obj.cast::<PyDict>().map_err(|_| {
        PyTypeError::new_err(format!(
            "params must be a dict of W1, b1, W2, b2, not {}",
            obj.get_type()
                .name()
                .map_or("this".into(), |n| n.to_string())
        ))
    })?;
    let wanted: [(&str, &[usize]); 4] =
        [("W1", &[d, h]), ("b1", &[h]), ("W2", &[h, k]), ("b2", &[k])];
    let mut arrays = Vec::with_capacity(4);
    for (name, want) in wanted {
        let value = dict.get_item(name)?.ok_or_else(|| {
            PyValueError::new_err(format!(
                "params['{name}'] is missing (the book's names: W1, b1, W2, b2)"
            ))
        })?;
        let array = match value.cast::<PyArrayDyn<f64>>() {
            Ok(a) => a.clone(),
            Err(_) => {
                let np = obj.py().import("numpy")?;
                np.call_method1("asarray", (&value, "float64"))
                    .and_then(|a| Ok(a.cast_into::<PyArrayDyn<f64>>()?))
                    .map_err(|e| {
                        PyTypeError::new_err(format!(
                            "params['{name}'] must be an array of numbers: {e}"
                        ))
                    })?
            }
        };
        if array.shape() != want {
            return Err(PyValueError::new_err(format!(
                "params['{name}'] has shape {}, but the network's {name} is {}",
                shape_text(array.shape()),
                shape_text(want)
            )));
        }
        arrays.push(array);
    }
    let readonly = arrays
        .iter()
        .map(|a| a.try_readonly())
        .collect::<Result<Vec<_>, _>>()?;
    // Row-major only: a Fortran-ordered array is contiguous too, column by column.
    let values: Vec<Cow<'_, [f64]>> = readonly
        .iter()
        .map(|r| {
            let view: ArrayViewD<'_, f64> = r.as_array();
            match view.to_slice() {
                Some(s) => Cow::Borrowed(s),
                None => Cow::Owned(view.iter().copied().collect()),
            }
        })
        .collect();
    Ok(f([&values[0], &values[1], &values[2], &values[3]]))
}
