//! The book's `load_mnist`, and finding a data set by name the way the
//! command line's `--dataset` and `--data-dir` do.

use std::path::PathBuf;

use ndarray::{Dimension, IxDyn};
use numpy::{Element, PyArray, PyArray1, PyArray2, PyArrayDyn, PyArrayMethods};
use pyo3::exceptions::{PyFileNotFoundError, PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyTuple;

use manabi::data::{
    DataError, DataHome, Dataset, DatasetName, NUM_CLASSES, Resolved, Split, resolve,
};

use crate::input::f32_scaled;

/// A data set's error as a Python exception: `FileNotFoundError` for a set
/// that is nowhere (its message says how to fetch it), `OSError` otherwise.
pub fn data_error(e: DataError) -> PyErr {
    match e {
        DataError::NotFetched { .. } => PyFileNotFoundError::new_err(e.to_string()),
        e => PyOSError::new_err(e.to_string()),
    }
}

/// The data set `dataset` (a name: "mnist-10k", "mnist", "fashion-mnist")
/// or the folder `data_dir`, and the folder it was read from (`None` for
/// the embedded set). Loaded without the GIL.
pub fn load_dataset(
    py: Python<'_>,
    dataset: Option<&str>,
    data_dir: Option<PathBuf>,
) -> PyResult<(Dataset, Option<PathBuf>)> {
    let dir = match (dataset, data_dir) {
        (Some(_), Some(_)) => {
            return Err(PyValueError::new_err(
                "give dataset or data_dir, not both: data_dir is a folder of the four MNIST-layout files",
            ));
        }
        (_, Some(dir)) => Some(dir),
        (name, None) => {
            let name: DatasetName = name
                .unwrap_or("mnist-10k")
                .parse()
                .map_err(|e: String| PyValueError::new_err(format!("dataset: {e}")))?;
            match resolve(name, &DataHome::from_env()).map_err(data_error)? {
                Resolved::Embedded => None,
                Resolved::Folder(dir) => Some(dir),
            }
        }
    };
    py.detach(|| match dir {
        None => Ok((Dataset::embedded(), None)),
        Some(dir) => {
            let data = Dataset::from_dir(&dir).map_err(data_error)?;
            Ok((data, Some(dir.canonicalize().unwrap_or(dir))))
        }
    })
}

/// One split as the book's `(x, t)`.
fn split_arrays<'py>(
    py: Python<'py>,
    split: &Split,
    normalize: bool,
    flatten: bool,
    one_hot_label: bool,
) -> PyResult<Bound<'py, PyTuple>> {
    let n = split.len();
    let shape = if flatten {
        vec![n, split.pixels_per_image()]
    } else {
        vec![n, 1, split.rows(), split.cols()]
    };
    // Arrays from NumPy's own allocator, as the book's loader makes them:
    // NumPy asks Linux for 2 MiB pages for an array of 4 MiB and more, so
    // the 100 random rows a batch takes miss the processor's cache of
    // address translations less often (`x_train[batch_mask]` ~12 % faster
    // than on an allocation of Rust's, which gets 4 KiB pages).
    let x = if normalize {
        // As the book: x.astype(np.float32), then /= 255.0 in float32.
        let scaled = f32_scaled();
        let x = PyArrayDyn::<f32>::zeros(py, IxDyn(&shape), false);
        fill(&x, split.images(), |p| scaled[usize::from(p)])?;
        x.into_any()
    } else {
        let x = PyArrayDyn::<u8>::zeros(py, IxDyn(&shape), false);
        fill(&x, split.images(), |p| p)?;
        x.into_any()
    };
    let t = if one_hot_label {
        let t = PyArray2::<f64>::zeros(py, [n, NUM_CLASSES], false);
        {
            let mut t = t.readwrite();
            let mut t = t.as_array_mut();
            for (i, &label) in split.labels().iter().enumerate() {
                t[[i, usize::from(label)]] = 1.0;
            }
        }
        t.into_any()
    } else {
        let t = PyArray1::<u8>::zeros(py, n, false);
        fill(&t, split.labels(), |l| l)?;
        t.into_any()
    };
    PyTuple::new(py, [x, t])
}

/// Writes `f(v)` for each of `values` into `array`, a new C-ordered array
/// of as many elements.
fn fill<T: Element, D: Dimension, V: Copy>(
    array: &Bound<'_, PyArray<T, D>>,
    values: &[V],
    f: impl Fn(V) -> T,
) -> PyResult<()> {
    let mut array = array.readwrite();
    let out = array
        .as_slice_mut()
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    for (o, &v) in out.iter_mut().zip(values) {
        *o = f(v);
    }
    Ok(())
}

/// `((x_train, t_train), (x_test, t_test))` as the book's `load_mnist`
/// returns them.
#[pyfunction]
#[pyo3(signature = (normalize=true, flatten=true, one_hot_label=false, dataset=None, data_dir=None))]
pub fn load_mnist<'py>(
    py: Python<'py>,
    normalize: bool,
    flatten: bool,
    one_hot_label: bool,
    dataset: Option<&str>,
    data_dir: Option<PathBuf>,
) -> PyResult<Bound<'py, PyTuple>> {
    let (data, _) = load_dataset(py, dataset, data_dir)?;
    let train = split_arrays(py, &data.train, normalize, flatten, one_hot_label)?;
    let test = split_arrays(py, &data.test, normalize, flatten, one_hot_label)?;
    PyTuple::new(py, [train, test])
}

/// The folder `dataset` is read from, or `None` for the embedded set;
/// `FileNotFoundError` when it is nowhere.
#[pyfunction]
pub fn data_path(dataset: &str) -> PyResult<Option<PathBuf>> {
    let name: DatasetName = dataset
        .parse()
        .map_err(|e: String| PyValueError::new_err(format!("dataset: {e}")))?;
    Ok(
        match resolve(name, &DataHome::from_env()).map_err(data_error)? {
            Resolved::Embedded => None,
            Resolved::Folder(dir) => Some(dir),
        },
    )
}
