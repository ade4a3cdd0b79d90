//! The chapter's figures as PNG bytes, drawn by manabi's own plotting (the
//! pictures `manabi train` writes into a run folder).

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use manabi::report::{AccuracyFigure, LossFigure, png_bytes};
use manabi::train::EpochRecord;

/// Figure 4-11: the loss of every iteration, the whole run and its first
/// 1,000 iterations.
#[pyfunction]
#[pyo3(signature = (loss, title=String::new()))]
pub fn loss_png<'py>(
    py: Python<'py>,
    loss: Vec<f64>,
    title: String,
) -> PyResult<Bound<'py, PyBytes>> {
    if loss.is_empty() {
        return Err(PyValueError::new_err(
            "train_loss_list is empty: nothing to draw",
        ));
    }
    let figure = LossFigure {
        loss: &loss,
        subtitle: title,
    };
    let png = py
        .detach(|| png_bytes(&figure).map_err(|e| e.to_string()))
        .map_err(PyValueError::new_err)?;
    Ok(PyBytes::new(py, &png))
}

/// Figure 4-12: train and test accuracy at each epoch.
#[pyfunction]
#[pyo3(signature = (train_acc, test_acc, title=String::new()))]
pub fn accuracy_png<'py>(
    py: Python<'py>,
    train_acc: Vec<f64>,
    test_acc: Vec<f64>,
    title: String,
) -> PyResult<Bound<'py, PyBytes>> {
    if train_acc.len() != test_acc.len() || train_acc.is_empty() {
        return Err(PyValueError::new_err(format!(
            "train_acc_list and test_acc_list need one value per epoch each, and at least one: got {} and {}",
            train_acc.len(),
            test_acc.len()
        )));
    }
    let epochs: Vec<EpochRecord> = train_acc
        .iter()
        .zip(&test_acc)
        .enumerate()
        .map(|(epoch, (&train_acc, &test_acc))| EpochRecord {
            epoch,
            iteration: epoch,
            train_acc,
            test_acc,
            elapsed: 0.0,
        })
        .collect();
    let figure = AccuracyFigure {
        epochs: &epochs,
        title,
    };
    let png = py
        .detach(|| png_bytes(&figure).map_err(|e| e.to_string()))
        .map_err(PyValueError::new_err)?;
    Ok(PyBytes::new(py, &png))
}
