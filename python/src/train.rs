//! `manabi.train`: the book's training loop run by manabi, as
//! `manabi train` runs it, with the GIL released.
//!
//! The loop runs on a thread of its own. The calling thread waits without
//! the GIL, and every ~50 ms (and after every epoch) takes it back to check
//! for Ctrl-C (`KeyboardInterrupt`: the loop stops before its next
//! iteration and what was learned so far is returned) and to call the
//! progress callback. Other Python threads run meanwhile.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use numpy::IntoPyArray;
use pyo3::exceptions::{PyKeyboardInterrupt, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use manabi::TwoLayerNet;
use manabi::engine;
use manabi::random::DEFAULT_SEED;
use manabi::report::{
    RunConfig, RunFolder, RunRecorder, RunStatus, RunSummary, overfitting_verdict,
};
use manabi::train::{
    EpochRecord, History, Observer, Sampling, TrainConfig, TrainError, train_from,
};

use crate::data::load_dataset;

/// How often the waiting thread takes the GIL back.
const POLL: Duration = Duration::from_millis(50);

/// What the loop has done so far, for the progress display.
#[derive(Default)]
struct State {
    iteration: usize,
    loss: f64,
    /// Evaluations so far, and the last one.
    epochs: usize,
    last: Option<(f64, f64)>,
    /// An evaluation not yet shown.
    fresh_epoch: bool,
    finished: bool,
}

/// Between the loop's thread and the waiting one.
#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    changed: Condvar,
    stop: AtomicBool,
}

/// The loop's observer: the history (or the run folder's recorder), the
/// last network evaluated, the state shown, and the stop flag.
struct Watch {
    shared: Arc<Shared>,
    recorder: Option<RunRecorder>,
    history: History,
    /// The last network evaluated with finite weights, and its iterations.
    last_net: Option<(TwoLayerNet, usize)>,
}

impl Observer for Watch {
    fn on_iteration(&mut self, iteration: usize, loss: f64) {
        match &mut self.recorder {
            Some(r) => r.on_iteration(iteration, loss),
            None => self.history.loss.push(loss),
        }
        let mut s = self.shared.state.lock().unwrap_or_else(|p| p.into_inner());
        s.iteration = iteration + 1;
        s.loss = loss;
    }

    fn on_epoch(&mut self, record: &EpochRecord, net: &TwoLayerNet) {
        match &mut self.recorder {
            Some(r) => r.on_epoch(record, net),
            None => self.history.epochs.push(record.clone()),
        }
        if net.params.all_finite() {
            self.last_net = Some((net.clone(), record.iteration + 1));
        }
        let mut s = self.shared.state.lock().unwrap_or_else(|p| p.into_inner());
        s.epochs += 1;
        s.last = Some((record.train_acc, record.test_acc));
        s.fresh_epoch = true;
        self.shared.changed.notify_all();
    }

    fn should_stop(&mut self) -> bool {
        self.shared.stop.load(Ordering::Relaxed)
            || self.recorder.as_mut().is_some_and(|r| r.should_stop())
    }
}

/// The choice named `value` (parsed by the library, as the command line
/// parses it), or a `ValueError` naming the argument and the choices.
fn parse<T: std::str::FromStr<Err = String>>(name: &str, value: &str) -> PyResult<T> {
    value
        .parse()
        .map_err(|e| PyValueError::new_err(format!("{name}: {e}")))
}

/// The command line's flag names in [`TrainError::BadConfig`], as this
/// function's argument names.
fn argument_name(flag: &str) -> &str {
    match flag {
        "--lr" => "learning_rate",
        "--batch" => "batch_size",
        "--hidden" => "hidden_size",
        "--iters" => "iters_num",
        "--weight-init-std" => "weight_init_std",
        "--precision" => "precision",
        "--engine" => "engine",
        other => other,
    }
}

/// Trains a network and returns a dict of what was learned and measured
/// (see `manabi.train` for the arguments).
#[pyfunction]
#[pyo3(signature = (
    dataset=None, data_dir=None, iters_num=10_000, batch_size=100, learning_rate=0.1,
    hidden_size=50, weight_init_std=0.01, train_size=None, seed=DEFAULT_SEED,
    gradient="backprop", precision="f64", engine="fast", activation="sigmoid",
    shuffle=false, out=None, progress=None,
))]
#[allow(clippy::too_many_arguments)]
pub fn train<'py>(
    py: Python<'py>,
    dataset: Option<&str>,
    data_dir: Option<PathBuf>,
    iters_num: usize,
    batch_size: usize,
    learning_rate: f64,
    hidden_size: usize,
    weight_init_std: f64,
    train_size: Option<usize>,
    seed: u64,
    gradient: &str,
    precision: &str,
    engine: &str,
    activation: &str,
    shuffle: bool,
    out: Option<PathBuf>,
    progress: Option<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let config = TrainConfig {
        hidden_size,
        learning_rate,
        batch_size,
        iters: iters_num,
        weight_init_std,
        activation: parse("activation", activation)?,
        gradient: parse("gradient", gradient)?,
        sampling: if shuffle {
            Sampling::Shuffle
        } else {
            Sampling::WithReplacement
        },
        seed,
        precision: parse("precision", precision)?,
        engine: parse("engine", engine)?,
    };
    if let Err(TrainError::BadConfig {
        flag,
        value,
        reason,
    }) = config.validate()
    {
        return Err(PyValueError::new_err(format!(
            "{}={value}: {reason}",
            argument_name(flag)
        )));
    }
    if !learning_rate.is_finite() {
        return Err(PyValueError::new_err(
            "learning_rate must be a finite number",
        ));
    }
    let (full, dir) = load_dataset(py, dataset, data_dir)?;
    if full.train.is_empty() {
        return Err(PyValueError::new_err(format!(
            "{}: the training set is empty: nothing to learn from",
            full.name
        )));
    }
    let train_size = match train_size {
        None => full.train.len(),
        Some(0) => {
            return Err(PyValueError::new_err(
                "train_size=0: train on at least 1 image, such as 1000",
            ));
        }
        Some(n) if n > full.train.len() => {
            return Err(PyValueError::new_err(format!(
                "train_size={n}: {} has only {} training images",
                full.name,
                manabi::report::fmt_count(full.train.len())
            )));
        }
        Some(n) => n,
    };
    let (record, folder) = match out {
        Some(out) => {
            let folder =
                RunFolder::create(&out).map_err(|e| PyValueError::new_err(format!("out: {e}")))?;
            (
                RunConfig::new(&config, &full, dir, train_size),
                Some(folder),
            )
        }
        None => (RunConfig::unsaved(&config, &full, train_size), None),
    };
    let data = full.with_train_size(train_size);
    let recorder = match &folder {
        Some(folder) => {
            let r = RunRecorder::new(folder.clone(), record.clone(), History::default());
            r.start()
                .map_err(|e| PyValueError::new_err(format!("out: {e}")))?;
            Some(r)
        }
        None => None,
    };
    let shared = Arc::new(Shared::default());
    let mut watch = Watch {
        shared: shared.clone(),
        recorder,
        history: History::default(),
        last_net: None,
    };

    let start = Instant::now();
    let mut interrupted = false;
    let mut raised: Option<PyErr> = None;
    let result = std::thread::scope(|scope| {
        let (data, config, watch, shared_loop) = (&data, &config, &mut watch, shared.clone());
        let worker = scope.spawn(move || {
            let result = train_from(data, config, None, watch);
            let mut s = shared_loop.state.lock().unwrap_or_else(|p| p.into_inner());
            s.finished = true;
            shared_loop.changed.notify_all();
            result
        });
        loop {
            let (finished, snapshot) = py.detach(|| {
                let s = shared.state.lock().unwrap_or_else(|p| p.into_inner());
                let (mut s, _) = shared
                    .changed
                    .wait_timeout_while(s, POLL, |s| !s.finished && !s.fresh_epoch)
                    .unwrap_or_else(|p| p.into_inner());
                let epoch = std::mem::take(&mut s.fresh_epoch);
                (s.finished, (s.iteration, s.loss, s.epochs, s.last, epoch))
            });
            if let Err(e) = py.check_signals() {
                shared.stop.store(true, Ordering::Relaxed);
                if e.is_instance_of::<PyKeyboardInterrupt>(py) {
                    interrupted = true;
                } else {
                    raised.get_or_insert(e);
                }
            }
            if let (Some(callback), None) = (&progress, &raised) {
                let (iteration, loss, epochs, last, epoch) = snapshot;
                let (train_acc, test_acc) = last.unzip();
                let args = (
                    iteration, iters_num, loss, epochs, train_acc, test_acc, epoch, finished,
                );
                if let Err(e) = callback.call1(args) {
                    shared.stop.store(true, Ordering::Relaxed);
                    if e.is_instance_of::<PyKeyboardInterrupt>(py) {
                        interrupted = true;
                    } else {
                        raised = Some(e);
                    }
                }
            }
            if finished {
                break;
            }
        }
        worker.join().expect("the training thread does not panic")
    });
    let seconds = start.elapsed().as_secs_f64();
    if let Some(e) = raised {
        return Err(e);
    }

    let Watch {
        recorder,
        history,
        last_net,
        ..
    } = watch;
    let (net, iterations, status, diverged) = match result {
        Ok(run) => {
            let status = if run.iterations < config.iters {
                RunStatus::Interrupted
            } else {
                RunStatus::Completed
            };
            (Some(run.net), run.iterations, status, None)
        }
        Err(TrainError::Diverged { iteration, loss }) => (
            None,
            iteration + 1,
            RunStatus::Diverged,
            Some((iteration, loss)),
        ),
        Err(e) => return Err(PyValueError::new_err(e.to_string())),
    };
    let history = recorder.as_ref().map_or(history, |r| r.history().clone());
    // The network returned: the last one, or for a diverged run the last
    // one evaluated with finite weights.
    let (saved, saved_iterations) = match (&net, last_net) {
        (Some(net), _) => (Some(net.clone()), iterations),
        (None, Some((net, i))) => (Some(net), i),
        (None, None) => (None, 0),
    };
    let dir = match (recorder, &folder) {
        (Some(recorder), Some(folder)) => {
            recorder
                .finish(net.as_ref(), iterations, status)
                .map_err(|e| PyValueError::new_err(format!("out: {e}")))?;
            // The one accuracy every report prints, as `manabi train` prints it.
            let final_accuracy = saved.as_ref().map(|n| {
                py.detach(|| {
                    (
                        engine::evaluate(n, &data.train),
                        engine::evaluate(n, &data.test),
                    )
                })
            });
            let verdict = final_accuracy
                .map(|(train, test)| overfitting_verdict(train, test, &history.epochs));
            let summary = RunSummary {
                config: &record,
                status,
                iterations: saved_iterations,
                diverged,
                final_accuracy,
                last_loss: history.loss.last().copied(),
                verdict: verdict.as_ref(),
                seconds,
                iterations_here: iterations,
            };
            folder
                .write_summary(&summary.text())
                .map_err(|e| PyValueError::new_err(format!("out: {e}")))?;
            Some(folder.dir().to_path_buf())
        }
        _ => None,
    };

    let out = PyDict::new(py);
    let epochs = &history.epochs;
    let column = |f: fn(&EpochRecord) -> f64| epochs.iter().map(f).collect::<Vec<f64>>();
    out.set_item("train_loss_list", history.loss.clone().into_pyarray(py))?;
    out.set_item("train_acc_list", column(|r| r.train_acc).into_pyarray(py))?;
    out.set_item("test_acc_list", column(|r| r.test_acc).into_pyarray(py))?;
    out.set_item(
        "epoch_iterations",
        epochs
            .iter()
            .map(|r| r.iteration as u64)
            .collect::<Vec<_>>()
            .into_pyarray(py),
    )?;
    out.set_item("epoch_seconds", column(|r| r.elapsed).into_pyarray(py))?;
    let params = match &saved {
        Some(net) => {
            let p = PyDict::new(py);
            for (name, value) in net.params.slices() {
                let shape = net.params.get(name).expect("a book name").shape().to_vec();
                let array = numpy::ndarray::ArrayD::from_shape_vec(shape, value.to_vec())
                    .expect("the parameter's own shape");
                p.set_item(name, array.into_pyarray(py))?;
            }
            Some(p)
        }
        None => None,
    };
    out.set_item("params", params)?;
    out.set_item("iterations", iterations)?;
    out.set_item(
        "interrupted",
        interrupted || status == RunStatus::Interrupted,
    )?;
    out.set_item("diverged", diverged)?;
    out.set_item("run_dir", dir)?;
    out.set_item("seconds", seconds)?;
    out.set_item("dataset", data.name.clone())?;
    out.set_item("train_size", data.train.len())?;
    out.set_item("iter_per_epoch", config.iter_per_epoch(data.train.len()))?;
    out.set_item("kernels", config.engine.kernels(config.precision))?;
    Ok(out)
}

/// A new run folder's path under `base`, named by the date and time
/// (`runs/<date-time>`, as `manabi train` names them).
#[pyfunction]
pub fn timestamped_run_dir(base: PathBuf) -> PathBuf {
    RunFolder::timestamped(&base)
}
