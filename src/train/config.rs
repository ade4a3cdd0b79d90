//! A training run's hyperparameters: the book's values by default, and the
//! checks that each can be trained with.
//!
//! ```text
//! hidden 50, lr 0.1, batch 100, iters 10,000, weight_init_std 0.01, seed 42,
//! sigmoid, backprop, f64, batches drawn with replacement
//! ```

use crate::engine::{EngineKind, GradientMethod, Precision};
use crate::random::DEFAULT_SEED;
use crate::two_layer_net::Activation;

use super::Sampling;

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
