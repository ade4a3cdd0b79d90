//! `manabi._manabi`: the Rust half of the Python package `manabi`.
//!
//! The Python half (`python/manabi/__init__.py`) holds what the book's
//! readers touch — `TwoLayerNet` with its `params` dict, `load_mnist`,
//! `train`, the progress bar and the figures — and calls this module for
//! the arithmetic, which is manabi's library: the binding only converts
//! and checks.

mod ahead;
mod bytes;
mod data;
mod figures;
mod handed;
mod input;
mod net;
mod train;

use pyo3::prelude::*;

/// manabi's arithmetic for the Python package `manabi`.
#[pymodule]
fn _manabi(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<net::Net>()?;
    m.add_function(wrap_pyfunction!(data::load_mnist, m)?)?;
    m.add_function(wrap_pyfunction!(data::data_path, m)?)?;
    m.add_function(wrap_pyfunction!(train::train, m)?)?;
    m.add_function(wrap_pyfunction!(train::timestamped_run_dir, m)?)?;
    m.add_function(wrap_pyfunction!(figures::loss_png, m)?)?;
    m.add_function(wrap_pyfunction!(figures::accuracy_png, m)?)?;
    m.add("DEFAULT_SEED", manabi::random::DEFAULT_SEED)?;
    Ok(())
}
