//! `Net`: the arithmetic behind `manabi.TwoLayerNet`, computed by manabi.
//!
//! The Python class keeps the book's `params` dict; every call hands it
//! over with the images, and the engine that lives as long as the network
//! (no engine built per call) compares them with its own copy and takes in
//! what changed:
//!
//! - images given as bytes plus 256 values ([`Pixels::Bytes`], such as the
//!   book's float32 `k / 255`) go to the fast engine: `loss`, `gradient`
//!   (backprop), `numerical_gradient` (its incremental central differences,
//!   equal to the book's to ~1e-12) and `accuracy`;
//! - any other images go to the reference engine's ndarray code, the
//!   book's formulas in f64: correct, and slower;
//! - `predict` is the reference's: `softmax(sigmoid(x·W1 + b1)·W2 + b2)`.

use std::sync::{Mutex, MutexGuard, TryLockError};

use ndarray::{Array1, ArrayView1};
use numpy::{IntoPyArray, PyArray2, PyArrayMethods, PyUntypedArrayMethods};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use manabi::data::{NUM_CLASSES, Split};
use manabi::engine::{self, Engine, EngineKind, GradientMethod, ImageSource, Precision};
use manabi::functions::Target;
use manabi::{Activation, Params, TwoLayerNet};

use crate::ahead::Ahead;
use crate::bytes::{k255, pool};
use crate::handed::Handed;
use crate::input::{Images, Pixels, f32_scaled, images, labels, with_params};

/// The network's engine, holding the parameters as last handed over.
struct Inner {
    /// The fast engine, f64.
    engine: Box<dyn Engine + Send>,
    /// The engine's parameters for the reference code, when `net_current`.
    net: TwoLayerNet,
    /// Whether `net` holds the engine's parameters (made again from the
    /// engine when the reference code is next wanted).
    net_current: bool,
    /// 0, 1, …, n − 1: a whole batch's indices.
    all: Vec<usize>,
    /// The batch the engine holds: its bytes, labels and values. The book
    /// asks for `loss(x_batch, t_batch)` right after
    /// `gradient(x_batch, t_batch)`: the same batch is not loaded again,
    /// and the engine's forward pass reuses the lit pixels it listed.
    batch: Option<Split>,
    /// The arrays of the gradients handed out last, written again once
    /// Python lets go of them.
    handed: Handed,
    /// The caller's update, once seen, taken ahead at each gradient.
    ahead: Ahead,
}

/// A two-layer network's arithmetic: `Net(input_size, hidden_size, output_size)`.
#[pyclass(module = "manabi._manabi", frozen)]
pub struct Net {
    sizes: (usize, usize, usize),
    inner: Mutex<Inner>,
}

/// What a call computes on a batch.
enum Task {
    Loss,
    Gradient(GradientMethod),
    Accuracy,
}

/// A task's answer.
enum Answer {
    Number(f64),
    /// A gradient computed by the reference code.
    Grads(Box<Params>),
    /// A gradient the engine holds, to be written into NumPy arrays.
    InEngine,
}

/// A call's answer, for Python.
enum Reply<'py> {
    Number(f64),
    Grads(Bound<'py, PyDict>),
}

impl Net {
    /// The engine, waited for without holding the GIL (another thread may
    /// be computing with it, and will need the GIL to return).
    fn lock(&self, py: Python<'_>) -> MutexGuard<'_, Inner> {
        loop {
            match self.inner.try_lock() {
                Ok(guard) => return guard,
                Err(TryLockError::Poisoned(p)) => return p.into_inner(),
                Err(TryLockError::WouldBlock) => py.detach(|| drop(self.inner.lock())),
            }
        }
    }

    /// `accuracy` on a whole split of the book's float32 images (each value
    /// the float32 nearest k/255, in a C-ordered (N, d) array of a
    /// megabyte or more) and labels 0–9, made into bytes a chunk at a time
    /// by the threads that count them ([`ImageSource`]): the images are
    /// read once, and each chunk's bytes are counted while still in the
    /// cache. `None` for any other arguments, or when a value is not
    /// k/255: the general path then reads them (and says what is wrong).
    /// The GIL is held meanwhile, as while any images are read.
    fn accuracy_made(
        &self,
        py: Python<'_>,
        params: &Bound<'_, PyAny>,
        x: &Bound<'_, PyAny>,
        t: &Bound<'_, PyAny>,
    ) -> PyResult<Option<f64>> {
        let (d, _, k) = self.sizes;
        let Ok(x) = x.cast::<PyArray2<f32>>() else {
            return Ok(None);
        };
        let Ok(x) = x.try_readonly() else {
            return Ok(None);
        };
        // Row-major only: a Fortran-ordered array is contiguous too.
        let (n, c_order) = (x.as_array().nrows(), x.is_c_contiguous());
        let (Ok(v), true) = (x.as_slice(), c_order && x.as_array().ncols() == d) else {
            return Ok(None);
        };
        if n * d < pool::MIN {
            return Ok(None);
        }
        let Some(t) = labels(t, n, k, false).ok().and_then(|t| split_labels(&t)) else {
            return Ok(None);
        };
        let mut guard = self.lock(py);
        guard.take_params(params, self.sizes)?;
        let values = f32_scaled().map(f64::from);
        let make =
            |first: usize, out: &mut [u8]| k255::matched_here(&v[first * d..][..out.len()], out);
        let source = ImageSource::new(d, &t, &values, &make);
        Ok(guard.engine.accuracy_of(&source))
    }

    /// Reads the arguments, hands `params` to the engine, and runs `task`
    /// without the GIL.
    fn run<'py>(
        &self,
        py: Python<'py>,
        params: &Bound<'py, PyAny>,
        x: &Bound<'py, PyAny>,
        t: &Bound<'py, PyAny>,
        task: Task,
    ) -> PyResult<Reply<'py>> {
        let (d, _, k) = self.sizes;
        let x = images(x, d, "x")?;
        let t = labels(t, x.n, k, x.single)?;
        let mut guard = self.lock(py);
        guard.take_params(params, self.sizes)?;
        let inner = &mut *guard;
        let answer = py.detach(move || compute(inner, x, &t, task))?;
        let Inner { engine, handed, .. } = &mut *guard;
        Ok(match answer {
            Answer::Number(v) => Reply::Number(v),
            Answer::Grads(g) => Reply::Grads(handed.dict(py, self.sizes, |into| {
                for ((_, from), to) in g.slices().into_iter().zip(into) {
                    to.copy_from_slice(from);
                }
            })?),
            Answer::InEngine => {
                Reply::Grads(handed.dict(py, self.sizes, |into| engine.grads_into(into))?)
            }
        })
    }
}

impl Inner {
    /// The engine takes in `params` where they differ from its own.
    fn take_params(
        &mut self,
        params: &Bound<'_, PyAny>,
        sizes: (usize, usize, usize),
    ) -> PyResult<()> {
        let (engine, ahead) = (&mut self.engine, &mut self.ahead);
        let changed = with_params(params, sizes, |values| {
            ahead.before_taking(&**engine, values);
            engine.set_params_from(values)
        })?;
        ahead.taken(changed);
        if changed {
            self.net_current = false;
        }
        Ok(())
    }

    /// The network for the reference code: the engine's parameters.
    fn net(&mut self) -> &TwoLayerNet {
        if !self.net_current {
            self.net = self.engine.net();
            self.net_current = true;
        }
        &self.net
    }
}

/// Labels `t` as a split holds them, bytes 0–9; `None` when one is not.
fn split_labels(t: &[usize]) -> Option<Vec<u8>> {
    t.iter()
        .map(|&l| {
            u8::try_from(l)
                .ok()
                .filter(|&l| usize::from(l) < NUM_CLASSES)
        })
        .collect()
}

/// `task` on the images `x` with labels `t`: the fast engine for bytes
/// (and labels 0–9, which a split holds), the reference code otherwise.
fn compute(inner: &mut Inner, x: Images, t: &[usize], task: Task) -> PyResult<Answer> {
    let (n, d) = (x.n, x.d);
    let x = match (x.pixels, split_labels(t)) {
        (Pixels::Bytes { bytes, values }, Some(labels)) => {
            let engine = &mut inner.engine;
            let split = |bytes, labels, values: &[f64; 256]| {
                Split::new(bytes, labels, 1, d)
                    .map(|s| s.with_pixel_values(*values))
                    .map_err(|e| PyValueError::new_err(e.to_string()))
            };
            if let Task::Accuracy = task {
                // The bytes' buffer back to the pool afterwards, for the
                // next call's images: the book's script evaluates the same
                // two splits every epoch, and a new buffer as large would
                // be fresh memory to fault in page by page.
                let split = split(bytes, labels, &values)?;
                let accuracy = engine.accuracy(&split);
                pool::give(split.into_images());
                return Ok(Answer::Number(accuracy));
            }
            let loaded = inner.batch.as_ref().is_some_and(|b| {
                b.images() == bytes && b.labels() == labels && b.pixel_values() == Some(&*values)
            });
            if !loaded {
                inner.batch = None;
                if inner.all.len() != n {
                    inner.all = (0..n).collect();
                }
                let batch = split(bytes, labels, &values)?;
                engine.load_batch(&batch, &inner.all);
                inner.batch = Some(batch);
                inner.ahead.new_batch();
            }
            let ahead = &mut inner.ahead;
            return Ok(match task {
                Task::Loss => Answer::Number(ahead.loss().unwrap_or_else(|| {
                    let loss = engine.loss();
                    ahead.keep_loss(loss);
                    loss
                })),
                Task::Gradient(GradientMethod::Backprop) => {
                    engine.gradient(GradientMethod::Backprop);
                    if ahead.after_gradient(&mut **engine) {
                        inner.net_current = false;
                    }
                    Answer::InEngine
                }
                Task::Gradient(method) => {
                    engine.gradient(method);
                    ahead.forget();
                    Answer::InEngine
                }
                Task::Accuracy => unreachable!("answered above"),
            });
        }
        (pixels, _) => Images {
            n,
            d,
            single: x.single,
            pixels,
        },
    };
    if let Task::Gradient(_) = task {
        // Not the engine's gradient: no update of the caller's to watch.
        inner.ahead.forget();
    }
    let matrix = x.to_matrix();
    let labels = Array1::from(t.to_vec());
    let t = Target::Labels(labels.view());
    let net = inner.net();
    Ok(match task {
        Task::Accuracy => Answer::Number(net.accuracy(&matrix, t)),
        Task::Loss => Answer::Number(net.loss(&matrix, t)),
        Task::Gradient(GradientMethod::Backprop) => {
            Answer::Grads(Box::new(net.gradient(&matrix, t)))
        }
        Task::Gradient(_) => Answer::Grads(Box::new(net.numerical_gradient(&matrix, t))),
    })
}

fn number(reply: Reply<'_>) -> f64 {
    match reply {
        Reply::Number(v) => v,
        Reply::Grads(_) => unreachable!("a task of one number"),
    }
}

fn grads(reply: Reply<'_>) -> Bound<'_, PyDict> {
    match reply {
        Reply::Grads(g) => g,
        Reply::Number(_) => unreachable!("a gradient task"),
    }
}

#[pymethods]
impl Net {
    /// The arithmetic of a `input_size`-`hidden_size`-`output_size` network
    /// with a sigmoid hidden layer.
    #[new]
    fn new(input_size: usize, hidden_size: usize, output_size: usize) -> PyResult<Self> {
        for (name, v) in [
            ("input_size", input_size),
            ("hidden_size", hidden_size),
            ("output_size", output_size),
        ] {
            if v == 0 {
                return Err(PyValueError::new_err(format!(
                    "{name} is 0: a layer needs at least 1 unit"
                )));
            }
        }
        let net = TwoLayerNet::from_params(
            Params::zeros(input_size, hidden_size, output_size),
            Activation::Sigmoid,
        );
        Ok(Net {
            sizes: (input_size, hidden_size, output_size),
            inner: Mutex::new(Inner {
                engine: engine::new(EngineKind::Fast, Precision::F64, &net),
                net,
                net_current: true,
                all: Vec::new(),
                batch: None,
                handed: Handed::default(),
                ahead: Ahead::default(),
            }),
        })
    }

    /// y = softmax(sigmoid(x·W1 + b1)·W2 + b2): (N, output_size), or
    /// (output_size,) for one image of shape (input_size,).
    fn predict<'py>(
        &self,
        py: Python<'py>,
        params: &Bound<'py, PyAny>,
        x: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let x = images(x, self.sizes.0, "x")?;
        let mut guard = self.lock(py);
        guard.take_params(params, self.sizes)?;
        let net = guard.net();
        let y = py.detach(|| net.predict(&x.to_matrix()));
        Ok(if x.single {
            let row: ArrayView1<f64> = y.row(0);
            row.to_owned().into_pyarray(py).into_any()
        } else {
            y.into_pyarray(py).into_any()
        })
    }

    /// L = −Σₙ log(yₙ[tₙ] + 1e-7) / N, the cross-entropy error of the batch.
    fn loss(
        &self,
        py: Python<'_>,
        params: &Bound<'_, PyAny>,
        x: &Bound<'_, PyAny>,
        t: &Bound<'_, PyAny>,
    ) -> PyResult<f64> {
        self.run(py, params, x, t, Task::Loss).map(number)
    }

    /// #{n : argmaxₖ yₙₖ = tₙ} / N.
    fn accuracy(
        &self,
        py: Python<'_>,
        params: &Bound<'_, PyAny>,
        x: &Bound<'_, PyAny>,
        t: &Bound<'_, PyAny>,
    ) -> PyResult<f64> {
        if let Some(accuracy) = self.accuracy_made(py, params, x, t)? {
            return Ok(accuracy);
        }
        self.run(py, params, x, t, Task::Accuracy).map(number)
    }

    /// ∂L/∂W by backpropagation, as a dict W1, b1, W2, b2.
    fn gradient<'py>(
        &self,
        py: Python<'py>,
        params: &Bound<'py, PyAny>,
        x: &Bound<'py, PyAny>,
        t: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let task = Task::Gradient(GradientMethod::Backprop);
        self.run(py, params, x, t, task).map(grads)
    }

    /// ∂L/∂θ ≈ (L(θ + h) − L(θ − h)) / 2h for every parameter, h = 1e-4.
    fn numerical_gradient<'py>(
        &self,
        py: Python<'py>,
        params: &Bound<'py, PyAny>,
        x: &Bound<'py, PyAny>,
        t: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let task = Task::Gradient(GradientMethod::NumericalFast);
        self.run(py, params, x, t, task).map(grads)
    }

    /// Whether images `x` would be computed by the fast engine (their
    /// values are bytes standing for 256 known values): `"fast"` or
    /// `"reference"`.
    fn path_for(&self, x: &Bound<'_, PyAny>) -> PyResult<&'static str> {
        let x = images(x, self.sizes.0, "x")?;
        Ok(match x.pixels {
            Pixels::Bytes { bytes, .. } => {
                pool::give(bytes);
                "fast"
            }
            Pixels::Floats(_) => "reference",
        })
    }
}
