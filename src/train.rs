//! Learning: the five steps of stochastic gradient descent, as a loop.
//!
//! ```text
//! repeat iters times:
//!   1. mini-batch  pick batch_size training samples at random     (sample_batch)
//!   2. loss        predict them and measure how wrong we are      (TwoLayerNet::loss)
//!   3. gradient    ∂loss/∂param for every parameter               (TwoLayerNet::gradient / numerical_gradient)
//!   4. update      param ← param − lr · gradient                  (Sgd::update)
//!   5. repeat      and once per epoch, measure train and test accuracy (evaluate)
//! ```
//!
//! This is the book's `ch04/train_neuralnet.py`. Book parity by default:
//! batches of 100 drawn *with replacement* every iteration
//! (`np.random.choice`), lr 0.1, 10,000 iterations, weights 0.01·N(0, 1),
//! the batch loss recorded *after* each update, accuracy on the whole train
//! and test sets when `i % iter_per_epoch == 0`.
//!
//! One deliberate difference: the book computes `iter_per_epoch =
//! max(train_size / batch_size, 1)` as a float, so with 8,004 training images
//! it is 80.04 and `i % 80.04 == 0` only holds at i = 0 — one evaluation in
//! 10,000 iterations, reporting an untrained network. Here it is a whole
//! number of iterations (80), so every epoch is evaluated.

use std::time::Instant;

use ndarray::Array2;

use crate::data::{Dataset, Split};
use crate::engine::{self, EngineKind};
use crate::functions::argmax;
use crate::params::Params;
use crate::random::{DEFAULT_SEED, Rng};
use crate::two_layer_net::{Activation, TwoLayerNet};

/// How the gradient of step 3 is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GradientMethod {
    /// Backpropagation (chapter 5): one forward and one backward pass.
    #[default]
    Backprop,
    /// Central differences for every parameter (chapter 4), literally: two
    /// full forward passes per parameter. Exact to ~1e-8, and very slow.
    Numerical,
    /// The same central differences, computed incrementally: nudging one
    /// weight changes one hidden unit or one output, so only that part of the
    /// loss is recomputed. Agrees with [`GradientMethod::Numerical`] to 1e-9.
    NumericalFast,
}

impl GradientMethod {
    /// The name used on the command line and in run records.
    pub fn name(self) -> &'static str {
        match self {
            GradientMethod::Backprop => "backprop",
            GradientMethod::Numerical => "numerical",
            GradientMethod::NumericalFast => "numerical-fast",
        }
    }
}

/// The floating-point type the arithmetic runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Precision {
    /// 64-bit, as the book's NumPy code effectively runs. The default.
    #[default]
    F64,
    /// 32-bit: about twice as fast; too coarse for numerical gradients
    /// (h = 1e-4 drowns in f32 rounding).
    F32,
}

impl Precision {
    /// "f64" or "f32".
    pub fn name(self) -> &'static str {
        match self {
            Precision::F64 => "f64",
            Precision::F32 => "f32",
        }
    }
}

/// How mini-batches are drawn from the training set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sampling {
    /// The book's way: `batch_size` random samples every iteration, with
    /// replacement (`np.random.choice`); an "epoch" is just a count.
    #[default]
    WithReplacement,
    /// The modern way: shuffle once per epoch and walk through the shuffled
    /// order, so every sample is seen once per epoch.
    Shuffle,
}

/// Every hyperparameter of a training run. `Default` is the book's.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainConfig {
    /// Hidden units (50).
    pub hidden_size: usize,
    /// Learning rate η (0.1).
    pub learning_rate: f64,
    /// Mini-batch size (100).
    pub batch_size: usize,
    /// Number of iterations, i.e. of updates (10,000).
    pub iters: usize,
    /// Standard deviation of the initial weights (0.01).
    pub weight_init_std: f64,
    /// Hidden activation (sigmoid).
    pub activation: Activation,
    /// How step 3 computes the gradient (backprop).
    pub gradient: GradientMethod,
    /// How step 1 draws mini-batches (with replacement).
    pub sampling: Sampling,
    /// Seed of the random generator: initial weights, then the batches.
    pub seed: u64,
    /// f64 (book parity) or f32.
    pub precision: Precision,
    /// Which implementation does the arithmetic.
    pub engine: EngineKind,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            hidden_size: 50,
            learning_rate: 0.1,
            batch_size: 100,
            iters: 10_000,
            weight_init_std: 0.01,
            activation: Activation::Sigmoid,
            gradient: GradientMethod::Backprop,
            sampling: Sampling::WithReplacement,
            seed: DEFAULT_SEED,
            precision: Precision::F64,
            engine: EngineKind::default(),
        }
    }
}

/// Why a run could not start or could not go on.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TrainError {
    /// A hyperparameter is out of range; the message names the flag.
    #[error("{flag} {value}: {reason}")]
    BadConfig {
        /// The command-line flag of the parameter.
        flag: &'static str,
        /// The value given.
        value: String,
        /// What is wrong and what to do.
        reason: &'static str,
    },
    /// The loss stopped being a number: learning diverged.
    #[error(
        "the loss became {loss} at iteration {iteration}: learning diverged; try a smaller learning rate (--lr)"
    )]
    Diverged {
        /// The iteration (0-based) whose loss was not finite.
        iteration: usize,
        /// The loss value (NaN or ±inf).
        loss: f64,
    },
    /// A checkpoint's network has other sizes than the configuration asks for.
    #[error(
        "the saved network is {saved:?} (input, hidden, output) but the configuration asks for {config:?}; resume with the same --hidden"
    )]
    CheckpointMismatch {
        /// Sizes of the saved parameters.
        saved: (usize, usize, usize),
        /// Sizes the configuration implies.
        config: (usize, usize, usize),
    },
    /// The training set is empty.
    #[error("the training set is empty: nothing to learn from")]
    EmptyTrainingSet,
}

impl TrainConfig {
    /// Checks that every hyperparameter can be trained with.
    pub fn validate(&self) -> Result<(), TrainError> {
        let bad = |flag, value: String, reason| {
            Err(TrainError::BadConfig {
                flag,
                value,
                reason,
            })
        };
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return bad(
                "--lr",
                self.learning_rate.to_string(),
                "the learning rate must be a positive number, such as 0.1",
            );
        }
        if self.batch_size == 0 {
            return bad(
                "--batch",
                "0".into(),
                "a mini-batch needs at least 1 sample, such as 100",
            );
        }
        if self.hidden_size == 0 {
            return bad(
                "--hidden",
                "0".into(),
                "the hidden layer needs at least 1 unit, such as 50",
            );
        }
        if self.iters == 0 {
            return bad(
                "--iters",
                "0".into(),
                "train for at least 1 iteration, such as 10000",
            );
        }
        if !(self.weight_init_std.is_finite() && self.weight_init_std >= 0.0) {
            return bad(
                "--weight-init-std",
                self.weight_init_std.to_string(),
                "must be a non-negative number, such as 0.01",
            );
        }
        if self.precision == Precision::F32 && self.gradient != GradientMethod::Backprop {
            return bad(
                "--precision",
                "f32".into(),
                "numerical gradients need f64 (h = 1e-4 is lost in f32 rounding); use --precision f64",
            );
        }
        if self.engine == EngineKind::Reference && self.precision == Precision::F32 {
            return bad(
                "--engine",
                "reference".into(),
                "the reference engine runs in f64 only; use --engine fast for f32",
            );
        }
        if self.engine == EngineKind::Reference && self.gradient == GradientMethod::NumericalFast {
            return bad(
                "--engine",
                "reference".into(),
                "numerical-fast is part of the fast engine; use --engine fast",
            );
        }
        Ok(())
    }

    /// Iterations per epoch: `max(⌊train_size / batch_size⌋, 1)`, in whole
    /// iterations (the book's float division would give 80.04 here).
    ///
    /// ```
    /// let config = manabi::train::TrainConfig::default(); // batch 100
    /// assert_eq!(config.iter_per_epoch(8004), 80);
    /// assert_eq!(config.iter_per_epoch(60_000), 600);
    /// assert_eq!(config.iter_per_epoch(30), 1);
    /// ```
    pub fn iter_per_epoch(&self, train_size: usize) -> usize {
        (train_size / self.batch_size).max(1)
    }
}

/// Train and test accuracy measured at one point of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct EpochRecord {
    /// Epoch number, 0 for the first measurement.
    pub epoch: usize,
    /// The iteration (0-based) after whose update this was measured.
    pub iteration: usize,
    /// Accuracy on the whole training set.
    pub train_acc: f64,
    /// Accuracy on the whole test set.
    pub test_acc: f64,
    /// Seconds since the run started.
    pub elapsed: f64,
}

/// Everything a run measured.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct History {
    /// The batch loss of every iteration (after its update, as the book records it).
    pub loss: Vec<f64>,
    /// One record per epoch (and one at iteration 0).
    pub epochs: Vec<EpochRecord>,
}

/// Hooks called while training runs: printing, progress bars, files.
pub trait Observer {
    /// After every iteration, with its (0-based) index and batch loss.
    fn on_iteration(&mut self, _iteration: usize, _loss: f64) {}
    /// After every evaluation, with the network as it is then.
    fn on_epoch(&mut self, _record: &EpochRecord, _net: &TwoLayerNet) {}
    /// Asked before every iteration; `true` ends the run early (Ctrl-C).
    fn should_stop(&mut self) -> bool {
        false
    }
}

/// An observer that does nothing.
impl Observer for () {}

/// Where a resumed run picks up: the network and history of a run that
/// stopped after `iterations` iterations.
#[derive(Debug, Clone)]
pub struct Checkpoint {
    /// The parameters after the last completed iteration.
    pub params: Params,
    /// Iterations completed.
    pub iterations: usize,
    /// What was measured so far.
    pub history: History,
}

/// A finished (or stopped) run.
#[derive(Debug, Clone)]
pub struct Trained {
    /// The network after the last iteration.
    pub net: TwoLayerNet,
    /// Losses and accuracies along the way.
    pub history: History,
    /// Iterations completed, counting those of a resumed checkpoint
    /// (fewer than asked if stopped early).
    pub iterations: usize,
}

/// Trains a [`TwoLayerNet`] on `data` with the five steps of SGD.
///
/// ```
/// use manabi::data::Dataset;
/// use manabi::train::{train, TrainConfig};
/// let data = Dataset::embedded();
/// let config = TrainConfig { iters: 200, ..TrainConfig::default() };
/// let run = train(&data, &config, &mut ()).unwrap();
/// assert_eq!(run.history.loss.len(), 200);
/// assert!(run.history.loss[199] < run.history.loss[0]);
/// ```
pub fn train(
    data: &Dataset,
    config: &TrainConfig,
    observer: &mut (dyn Observer + Send),
) -> Result<Trained, TrainError> {
    train_from(data, config, None, observer)
}

/// [`train`], continuing from a checkpoint when one is given.
///
/// A resumed run is the same run: the random stream is replayed up to the
/// checkpoint, so the batches that follow are those the uninterrupted run
/// would have drawn.
pub fn train_from(
    data: &Dataset,
    config: &TrainConfig,
    checkpoint: Option<Checkpoint>,
    observer: &mut (dyn Observer + Send),
) -> Result<Trained, TrainError> {
    config.validate()?;
    let train_set = &data.train;
    if train_set.is_empty() {
        return Err(TrainError::EmptyTrainingSet);
    }
    let mut rng = Rng::new(config.seed);
    let mut net = TwoLayerNet::with_rng(
        train_set.pixels_per_image(),
        config.hidden_size,
        10,
        config.weight_init_std,
        &mut rng,
    )
    .with_activation(config.activation);
    let iter_per_epoch = config.iter_per_epoch(train_set.len());
    let mut sampler = BatchSampler::new(config.sampling, train_set.len(), config.batch_size);
    let (mut history, first) = match checkpoint {
        None => (History::default(), 0),
        Some(c) => {
            if c.params.sizes() != net.params.sizes() {
                return Err(TrainError::CheckpointMismatch {
                    saved: c.params.sizes(),
                    config: net.params.sizes(),
                });
            }
            for _ in 0..c.iterations {
                sampler.next(&mut rng);
            }
            net.params = c.params;
            (c.history, c.iterations)
        }
    };
    let mut engine = engine::new(config, &net);
    let start = Instant::now();
    let elapsed_before = history.epochs.last().map_or(0.0, |r| r.elapsed);

    // The loop runs on a thread of the pool the engine computes with, so each
    // of its parallel steps starts at once instead of handing work over to
    // the pool and waiting to be woken up again.
    rayon::scope(|_| {
        let mut iterations = first;
        for i in first..config.iters {
            if observer.should_stop() {
                break;
            }
            // 1. mini-batch: batch_size samples picked at random
            let batch_mask = sampler.next(&mut rng);
            engine.load_batch(train_set, &batch_mask);

            // 2–3. loss and gradient with the current weights
            engine.gradient(config.gradient);

            // 4. update: W ← W − lr · ∂L/∂W
            engine.update(config.learning_rate);

            // The book records the batch loss after the update.
            let loss = engine.loss();
            history.loss.push(loss);
            iterations = i + 1;
            observer.on_iteration(i, loss);
            if !loss.is_finite() {
                return Err(TrainError::Diverged { iteration: i, loss });
            }

            // 5. once per epoch: how well does it do on data it has and hasn't seen?
            if i % iter_per_epoch == 0 {
                let record = EpochRecord {
                    epoch: i / iter_per_epoch,
                    iteration: i,
                    train_acc: engine.accuracy(&data.train),
                    test_acc: engine.accuracy(&data.test),
                    elapsed: elapsed_before + start.elapsed().as_secs_f64(),
                };
                observer.on_epoch(&record, &engine.net());
                history.epochs.push(record);
            }
        }
        Ok(Trained {
            net: engine.net(),
            history,
            iterations,
        })
    })
}

/// Draws the indices of each mini-batch.
#[derive(Debug, Clone)]
pub struct BatchSampler {
    sampling: Sampling,
    train_size: usize,
    batch_size: usize,
    /// The current epoch's order, for [`Sampling::Shuffle`].
    order: Vec<usize>,
    /// Where the next batch starts in `order`.
    cursor: usize,
}

impl BatchSampler {
    /// A sampler over `train_size` samples.
    pub fn new(sampling: Sampling, train_size: usize, batch_size: usize) -> Self {
        BatchSampler {
            sampling,
            train_size,
            batch_size,
            order: Vec::new(),
            cursor: 0,
        }
    }

    /// The indices of the next mini-batch: `rng.choice(train_size,
    /// batch_size)` (the book's `np.random.choice`), or the next slice of
    /// this epoch's shuffled order.
    ///
    /// ```
    /// use manabi::random::Rng;
    /// use manabi::train::{BatchSampler, Sampling};
    /// let mut rng = Rng::new(42);
    /// let mut sampler = BatchSampler::new(Sampling::Shuffle, 10, 5);
    /// let (mut a, mut b) = (sampler.next(&mut rng), sampler.next(&mut rng));
    /// // One epoch of shuffled batches sees every sample once.
    /// a.append(&mut b);
    /// a.sort();
    /// assert_eq!(a, (0..10).collect::<Vec<_>>());
    /// ```
    pub fn next(&mut self, rng: &mut Rng) -> Vec<usize> {
        match self.sampling {
            Sampling::WithReplacement => rng.choice(self.train_size, self.batch_size),
            Sampling::Shuffle => {
                // A new order each epoch; a last partial batch is dropped, so
                // every batch has batch_size samples.
                let batch = self.batch_size.min(self.train_size);
                if self.order.is_empty() || self.cursor + batch > self.order.len() {
                    self.order = rng.permutation(self.train_size);
                    self.cursor = 0;
                }
                let out = self.order[self.cursor..self.cursor + batch].to_vec();
                self.cursor += batch;
                out
            }
        }
    }
}

/// `x[batch_mask] / 255`, `t[batch_mask]`: the chosen images as a (N, 784)
/// matrix scaled to [0, 1] (or to the split's own
/// [`pixel_values`](Split::pixel_values)), and their labels.
///
/// ```
/// use manabi::data::Dataset;
/// let data = Dataset::embedded();
/// let (x, t) = manabi::train::gather_batch(&data.train, &[0, 1, 2]);
/// assert_eq!(x.dim(), (3, 784));
/// assert!(x.iter().all(|&v| (0.0..=1.0).contains(&v)));
/// assert_eq!(t, [data.train.label(0), data.train.label(1), data.train.label(2)]);
/// ```
pub fn gather_batch(split: &Split, indices: &[usize]) -> (Array2<f64>, Vec<usize>) {
    let d = split.pixels_per_image();
    let mut x = Array2::zeros((indices.len(), d));
    let values = split
        .pixel_values()
        .copied()
        .unwrap_or_else(|| std::array::from_fn(|p| p as f64 / 255.0));
    for (mut row, &i) in x.rows_mut().into_iter().zip(indices) {
        for (v, &p) in row.iter_mut().zip(split.image(i)) {
            *v = values[usize::from(p)];
        }
    }
    let t = indices.iter().map(|&i| split.label(i)).collect();
    (x, t)
}

/// The accuracy of `net` on a whole split, #{n : argmaxₖ yₙₖ = tₙ} / N,
/// in chunks so memory stays small.
///
/// ```
/// use manabi::{data::Dataset, TwoLayerNet};
/// let data = Dataset::embedded();
/// // Untrained, the network guesses: about one answer in ten is right.
/// let acc = manabi::train::evaluate(&TwoLayerNet::new(784, 50, 10, 0.01), &data.test);
/// assert!((0.05..0.2).contains(&acc));
/// ```
pub fn evaluate(net: &TwoLayerNet, split: &Split) -> f64 {
    if split.is_empty() {
        return 0.0;
    }
    const CHUNK: usize = 1000;
    let mut correct = 0;
    let all: Vec<usize> = (0..split.len()).collect();
    for indices in all.chunks(CHUNK) {
        let (x, t) = gather_batch(split, indices);
        let y = net.predict(&x);
        correct += (0..t.len()).filter(|&n| argmax(y.row(n)) == t[n]).count();
    }
    correct as f64 / split.len() as f64
}
