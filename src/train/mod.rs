//! Learning: the five steps of stochastic gradient descent, as a loop.
//!
//! ```text
//! repeat iters times:                                                  Trainer::step
//!   1. mini-batch  pick batch_size training samples at random          BatchSampler::next, Engine::load_batch
//!   2. loss        predict them and measure how wrong we are           TwoLayerNet::loss
//!   3. gradient    ∂loss/∂param for every parameter                    Engine::gradient (TwoLayerNet::gradient / numerical_gradient)
//!   4. update      param ← param − lr · gradient, and the loss after   Engine::update_and_loss (Sgd::update)
//!   5. repeat      and once per epoch, train and test accuracy         Trainer::evaluate (engine::evaluate)
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

use std::borrow::Borrow;
use std::time::Duration;

use crate::data::Dataset;
use crate::engine::{self, Engine};
use crate::params::Params;
use crate::random::Rng;
use crate::two_layer_net::TwoLayerNet;

mod config;
mod sampler;

pub use config::{TrainConfig, TrainError};
pub use sampler::{BatchSampler, Sampling};

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
    /// Seconds spent training (iterations and evaluations) since the run
    /// started, counting those before a resume.
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

/// [`train`], continuing from a checkpoint when one is given: a loop over
/// [`Trainer::step`], with an evaluation once per epoch.
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
    let mut trainer = Trainer::new(data, config, checkpoint)?;
    // The loop runs on a thread of the pool the engine computes with, so each
    // of its parallel steps starts at once instead of handing work over to
    // the pool and waiting to be woken up again.
    rayon::scope(|_| {
        while !trainer.done() {
            if observer.should_stop() {
                break;
            }
            // 1–4. a mini-batch, its gradient, the update, the loss after it
            let loss = trainer.step();
            let i = trainer.iterations() - 1;
            observer.on_iteration(i, loss);
            if !loss.is_finite() {
                return Err(TrainError::Diverged { iteration: i, loss });
            }

            // 5. repeat; once per epoch: how well does it do on data it has
            // and hasn't seen?
            if trainer.evaluation_due() {
                let record = trainer.evaluate();
                observer.on_epoch(&record, &trainer.net());
            }
        }
        Ok(trainer.finish())
    })
}

/// A training run that moves one mini-batch at a time: [`train_from`] is a
/// loop over it, and a caller that wants to pause, step, look at the network
/// or change the learning rate between iterations drives it directly.
///
/// `D` is how the trainer holds the data: `&Dataset`, or an owner such as
/// `Arc<Dataset>`. For the fast engine's speed, call [`Trainer::step`] from a
/// thread of rayon's pool (inside `rayon::scope`, as [`train_from`] does).
///
/// ```
/// use manabi::data::Dataset;
/// use manabi::train::{TrainConfig, Trainer};
/// let data = Dataset::embedded();
/// let mut trainer = Trainer::new(&data, &TrainConfig::default(), None).unwrap();
/// let first = trainer.step(); // one mini-batch: steps 1 to 4
/// for _ in 0..299 {
///     trainer.step();
/// }
/// trainer.set_learning_rate(0.05).unwrap(); // mid-run
/// let last = trainer.step();
/// assert!(last < first);
/// assert_eq!(trainer.iterations(), 301);
/// let record = trainer.evaluate(); // step 5, now: from a guess (0.1) upwards
/// assert!(record.test_acc > 0.4);
/// assert_eq!(trainer.history().epochs.len(), 1);
/// ```
pub struct Trainer<D> {
    data: D,
    config: TrainConfig,
    rng: Rng,
    sampler: BatchSampler,
    engine: Box<dyn Engine + Send>,
    history: History,
    /// Iterations completed, counting those of a resumed checkpoint.
    iterations: usize,
    iter_per_epoch: usize,
    /// Seconds of training before this trainer started (a resumed run).
    elapsed_before: f64,
    /// Time spent in `step` and `evaluate`.
    busy: Duration,
}

impl<D: Borrow<Dataset>> Trainer<D> {
    /// A run of `config` on `data`'s training split, from scratch (weights
    /// drawn from the seed) or from `checkpoint`.
    pub fn new(
        data: D,
        config: &TrainConfig,
        checkpoint: Option<Checkpoint>,
    ) -> Result<Self, TrainError> {
        config.validate()?;
        let train_set = &data.borrow().train;
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
        let (history, iterations) = match checkpoint {
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
        let engine = engine::new(config.engine, config.precision, &net);
        let elapsed_before = history.epochs.last().map_or(0.0, |r| r.elapsed);
        Ok(Trainer {
            data,
            config: config.clone(),
            rng,
            sampler,
            engine,
            history,
            iterations,
            iter_per_epoch,
            elapsed_before,
            busy: Duration::ZERO,
        })
    }

    /// One iteration, steps 1 to 4; returns its batch loss (also appended
    /// to the history). A loss that is not finite means learning diverged:
    /// [`train_from`] stops there.
    pub fn step(&mut self) -> f64 {
        let started = stopwatch();
        // 1. mini-batch: batch_size samples picked at random
        let batch_mask = self.sampler.next(&mut self.rng);
        let train_set = &self.data.borrow().train;
        self.engine.load_batch(train_set, &batch_mask);

        // 2–3. loss and gradient with the current weights
        self.engine.gradient(self.config.gradient);

        // 4. update: W ← W − lr · ∂L/∂W; the book records the batch loss
        // after the update, and the engine computes both in one pass
        let loss = self.engine.update_and_loss(self.config.learning_rate);
        self.history.loss.push(loss);
        self.iterations += 1;
        self.busy += started();
        loss
    }

    /// Whether the book evaluates after the iteration just run: it does when
    /// `i % iter_per_epoch == 0`, i the iteration's 0-based index.
    pub fn evaluation_due(&self) -> bool {
        self.iterations > 0 && (self.iterations - 1).is_multiple_of(self.iter_per_epoch)
    }

    /// Step 5: the accuracy on the whole training and test splits now,
    /// appended to the history. Measured after the last iteration run (the
    /// first, 0, before any).
    pub fn evaluate(&mut self) -> EpochRecord {
        let started = stopwatch();
        let data = self.data.borrow();
        let train_acc = self.engine.accuracy(&data.train);
        let test_acc = self.engine.accuracy(&data.test);
        self.busy += started();
        let iteration = self.iterations.saturating_sub(1);
        let record = EpochRecord {
            epoch: iteration / self.iter_per_epoch,
            iteration,
            train_acc,
            test_acc,
            elapsed: self.elapsed_before + self.busy.as_secs_f64(),
        };
        self.history.epochs.push(record.clone());
        record
    }

    /// Sets the learning rate η of the iterations to come.
    pub fn set_learning_rate(&mut self, lr: f64) -> Result<(), TrainError> {
        TrainConfig {
            learning_rate: lr,
            ..self.config.clone()
        }
        .validate()?;
        self.config.learning_rate = lr;
        Ok(())
    }

    /// The network as it is now.
    pub fn net(&self) -> TwoLayerNet {
        self.engine.net()
    }

    /// The losses and accuracies measured so far.
    pub fn history(&self) -> &History {
        &self.history
    }

    /// Iterations completed, counting those of a resumed checkpoint.
    pub fn iterations(&self) -> usize {
        self.iterations
    }

    /// The configuration, with the learning rate as it is now.
    pub fn config(&self) -> &TrainConfig {
        &self.config
    }

    /// Whether the iterations the configuration asks for are done.
    pub fn done(&self) -> bool {
        self.iterations >= self.config.iters
    }

    /// The run as it stands: the network, the history, the iteration count.
    pub fn finish(self) -> Trained {
        Trained {
            net: self.engine.net(),
            history: self.history,
            iterations: self.iterations,
        }
    }
}

/// A stopwatch: the time since it was started, when called. A browser's
/// wasm32 has no clock (`Instant::now` panics there): its stopwatch says
/// zero, and the lab (`web/`) records the time its page measured instead.
fn stopwatch() -> impl FnOnce() -> Duration {
    #[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
    {
        let started = std::time::Instant::now();
        move || started.elapsed()
    }
    #[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
    {
        || Duration::ZERO
    }
}
