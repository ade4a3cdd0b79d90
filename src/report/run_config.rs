//! `config.json`: everything needed to know — and to repeat — how a run was
//! made: every hyperparameter, the seed, the data set and its checksum, the
//! precision, the engine, the gradient method and the manabi version.
//!
//! [`RunConfig`] is the file's content; [`RunConfig::train_config`] turns it
//! back into the [`TrainConfig`] a resumed run continues with.
//!
//! A run whose learning rate was changed while it trained (the lab page's
//! "learning rate from the next iteration") records each change in
//! `training.learning_rate_changes`:
//!
//! ```json
//! "learning_rate": 0.1,
//! "learning_rate_changes": [{"iteration": 2000, "lr": 0.5}]
//! ```
//!
//! `learning_rate` is the rate the run started with, and each change holds
//! from its (0-based) iteration on. Runs without changes leave the field
//! out, so their `config.json` is as it always was, and older records read
//! as runs without changes.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::error::ReportError;
use crate::data::Dataset;
use crate::train::TrainConfig;

/// The content of `config.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunConfig {
    /// The version of manabi that made the run.
    pub manabi_version: String,
    /// "release" or "debug": debug builds are many times slower.
    pub build: String,
    /// What the network learned from.
    pub dataset: DatasetRecord,
    /// The network's shape.
    pub network: NetworkRecord,
    /// How it learned.
    pub training: TrainingRecord,
}

/// The data set of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetRecord {
    /// Its name: the folder's name, or `mnist-10k` for the embedded set.
    pub name: String,
    /// The folder it was read from (absolute), or `null` for the embedded set.
    pub dir: Option<PathBuf>,
    /// SHA-256 of the whole data set's content ([`Dataset::checksum`]), before
    /// any `--train-size` cut.
    pub sha256: String,
    /// Training samples used: the first `train_size` of the training split.
    pub train_size: usize,
    /// Training samples the data set has.
    pub full_train_size: usize,
    /// Test samples.
    pub test_size: usize,
    /// Rows and columns of one image.
    pub image_shape: [usize; 2],
}

/// The network of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetworkRecord {
    /// Input, hidden and output sizes, e.g. `[784, 50, 10]`.
    pub sizes: [usize; 3],
    /// Hidden activation: "sigmoid" or "relu".
    pub activation: String,
    /// Numbers the network learns.
    pub parameters: usize,
}

/// The hyperparameters of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingRecord {
    /// Learning rate η.
    pub learning_rate: f64,
    /// Mini-batch size.
    pub batch_size: usize,
    /// Iterations asked for.
    pub iters: usize,
    /// Iterations between two evaluations.
    pub iter_per_epoch: usize,
    /// Standard deviation of the initial weights.
    pub weight_init_std: f64,
    /// "backprop", "numerical" or "numerical-fast".
    pub gradient: String,
    /// "with-replacement" (the book's) or "shuffle".
    pub sampling: String,
    /// Seed of the random generator.
    pub seed: u64,
    /// "f64" or "f32".
    pub precision: String,
    /// "fast" or "reference".
    pub engine: String,
    /// The kernels that ran (see [`crate::engine::EngineKind::kernels`]); empty in records
    /// written before it was kept.
    #[serde(default)]
    pub kernels: String,
    /// Changes of the learning rate made while the run trained, in the
    /// order of their iterations; empty (and left out of the file) for a
    /// run that kept `learning_rate` throughout.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub learning_rate_changes: Vec<LearningRateChange>,
}

/// A learning rate set while a run trained: iterations from `iteration`
/// (0-based, the first one run with it) on use `lr`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LearningRateChange {
    /// The first iteration run with the new rate.
    pub iteration: usize,
    /// The new learning rate η.
    pub lr: f64,
}

impl TrainingRecord {
    /// The learning rate iteration `i` (0-based) ran with.
    ///
    /// ```
    /// use manabi::report::{LearningRateChange, RunConfig};
    /// use manabi::train::TrainConfig;
    /// let data = manabi::data::Dataset::embedded();
    /// let mut record = RunConfig::new(&TrainConfig::default(), &data, None, 8004);
    /// record.training.learning_rate_changes = vec![LearningRateChange { iteration: 100, lr: 0.5 }];
    /// assert_eq!(record.training.lr_at(99), 0.1);
    /// assert_eq!(record.training.lr_at(100), 0.5);
    /// ```
    pub fn lr_at(&self, i: usize) -> f64 {
        self.learning_rate_changes
            .iter()
            .rev()
            .find(|c| c.iteration <= i)
            .map_or(self.learning_rate, |c| c.lr)
    }

    /// The learning rate in force after the last change (the starting one
    /// if none): what a resumed run continues with.
    pub fn final_lr(&self) -> f64 {
        self.learning_rate_changes
            .last()
            .map_or(self.learning_rate, |c| c.lr)
    }

    /// Checks the changes: each rate finite and above 0, each iteration
    /// after the one before (and after 0: a rate from the start is
    /// `learning_rate`) and at most `iters`. The message names the change.
    pub fn check_learning_rate_changes(&self) -> Result<(), String> {
        let mut after = 0;
        for (k, c) in self.learning_rate_changes.iter().enumerate() {
            let which = format!(
                "learning_rate_changes[{k}] (iteration {}, lr {})",
                c.iteration, c.lr
            );
            if !(c.lr.is_finite() && c.lr > 0.0) {
                return Err(format!(
                    "{which}: the learning rate must be a number above 0"
                ));
            }
            if c.iteration <= after {
                return Err(format!(
                    "{which}: changes must come in order of iteration, after iteration 0"
                ));
            }
            if c.iteration > self.iters {
                return Err(format!("{which}: past the run's {} iterations", self.iters));
            }
            after = c.iteration;
        }
        Ok(())
    }
}

impl RunConfig {
    /// The record of a run of `config` on `data`, whose training split was
    /// cut to `train_size` samples from `full` (the data set as loaded).
    pub fn new(
        config: &TrainConfig,
        full: &Dataset,
        dir: Option<PathBuf>,
        train_size: usize,
    ) -> Self {
        Self::with_sha256(config, full, dir, train_size, full.checksum())
    }

    /// [`RunConfig::new`] for a run that saves nothing (`train --no-save`):
    /// no record is written, so the data set's SHA-256 (0.05 s for
    /// Fashion-MNIST) is not computed, and `dataset.sha256` is empty.
    pub fn unsaved(config: &TrainConfig, full: &Dataset, train_size: usize) -> Self {
        Self::with_sha256(config, full, None, train_size, String::new())
    }

    fn with_sha256(
        config: &TrainConfig,
        full: &Dataset,
        dir: Option<PathBuf>,
        train_size: usize,
        sha256: String,
    ) -> Self {
        let input = full.train.pixels_per_image();
        let h = config.hidden_size;
        RunConfig {
            manabi_version: env!("CARGO_PKG_VERSION").to_string(),
            build: if cfg!(debug_assertions) {
                "debug"
            } else {
                "release"
            }
            .to_string(),
            dataset: DatasetRecord {
                name: full.name.clone(),
                dir,
                sha256,
                train_size,
                full_train_size: full.train.len(),
                test_size: full.test.len(),
                image_shape: [full.train.rows(), full.train.cols()],
            },
            network: NetworkRecord {
                sizes: [input, h, 10],
                activation: config.activation.to_string(),
                parameters: input * h + h + h * 10 + 10,
            },
            training: TrainingRecord {
                learning_rate: config.learning_rate,
                batch_size: config.batch_size,
                iters: config.iters,
                iter_per_epoch: config.iter_per_epoch(train_size),
                weight_init_std: config.weight_init_std,
                gradient: config.gradient.to_string(),
                sampling: config.sampling.to_string(),
                seed: config.seed,
                precision: config.precision.to_string(),
                engine: config.engine.to_string(),
                kernels: config.engine.kernels(config.precision).to_string(),
                learning_rate_changes: Vec::new(),
            },
        }
    }

    /// The training configuration recorded here, with the learning rate in
    /// force at the end (after the last change, if any): what a resumed
    /// run continues with. `path` names the file in errors.
    pub fn train_config(&self, path: &Path) -> Result<TrainConfig, ReportError> {
        let t = &self.training;
        let bad = |e: String| ReportError::malformed(path, e);
        Ok(TrainConfig {
            hidden_size: self.network.sizes[1],
            learning_rate: t.final_lr(),
            batch_size: t.batch_size,
            iters: t.iters,
            weight_init_std: t.weight_init_std,
            activation: self.network.activation.parse().map_err(bad)?,
            gradient: t.gradient.parse().map_err(bad)?,
            sampling: t.sampling.parse().map_err(bad)?,
            seed: t.seed,
            precision: t.precision.parse().map_err(bad)?,
            engine: t.engine.parse().map_err(bad)?,
        })
    }

    /// The file's text: pretty JSON, so a reader can open it.
    pub fn to_json(&self) -> String {
        // Plain data with string keys: serialising cannot fail.
        serde_json::to_string_pretty(self).expect("a RunConfig serialises") + "\n"
    }

    /// Parses the text of a `config.json`; `path` names the file in errors.
    pub fn from_json(text: &str, path: &Path) -> Result<Self, ReportError> {
        let record: RunConfig = serde_json::from_str(text)
            .map_err(|e| ReportError::malformed(path, format!("not a manabi config.json: {e}")))?;
        record
            .training
            .check_learning_rate_changes()
            .map_err(|e| ReportError::malformed(path, e))?;
        Ok(record)
    }

    /// Reads a `config.json`.
    pub fn read(path: &Path) -> Result<Self, ReportError> {
        let text = std::fs::read_to_string(path).map_err(|e| ReportError::io(path, e))?;
        Self::from_json(&text, path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{EngineKind, GradientMethod, Precision};
    use crate::train::Sampling;
    use crate::two_layer_net::Activation;

    #[test]
    fn round_trips_every_setting() {
        let config = TrainConfig {
            hidden_size: 7,
            learning_rate: 0.25,
            batch_size: 3,
            iters: 11,
            weight_init_std: 0.5,
            activation: Activation::Relu,
            gradient: GradientMethod::NumericalFast,
            sampling: Sampling::Shuffle,
            seed: 9,
            precision: Precision::F64,
            engine: EngineKind::Reference,
        };
        let data = Dataset::embedded();
        let record = RunConfig::new(&config, &data, None, 100);
        let path = Path::new("config.json");
        let back = RunConfig::from_json(&record.to_json(), path).unwrap();
        assert_eq!(back, record);
        assert_eq!(back.train_config(path).unwrap(), config);
        assert_eq!(back.training.iter_per_epoch, 33);
        assert_eq!(back.network.parameters, 784 * 7 + 7 + 70 + 10);
        assert_eq!(back.training.kernels, "ndarray");
        // A record written before the kernels were kept still reads.
        let old = record
            .to_json()
            .replace("\"kernels\": \"ndarray\"", "\"other\": 0");
        assert_ne!(old, record.to_json());
        let old = RunConfig::from_json(&old, path).unwrap();
        assert_eq!(old.training.kernels, "");
        assert_eq!(old.train_config(path).unwrap(), config);
        // A run that saves nothing records the same, but for the checksum.
        let mut unsaved = RunConfig::unsaved(&config, &data, 100);
        assert_eq!(unsaved.dataset.sha256, "");
        unsaved.dataset.sha256 = data.checksum();
        assert_eq!(unsaved, record);
    }

    #[test]
    fn learning_rate_changes_round_trip_and_are_checked() {
        let data = Dataset::embedded();
        let path = Path::new("runs/lab/config.json");
        let mut record = RunConfig::new(&TrainConfig::default(), &data, None, 8004);
        // Without changes the field is not written at all.
        assert!(!record.to_json().contains("learning_rate_changes"));
        record.training.learning_rate_changes = vec![
            LearningRateChange {
                iteration: 2000,
                lr: 0.5,
            },
            LearningRateChange {
                iteration: 5000,
                lr: 0.05,
            },
        ];
        let text = record.to_json();
        assert!(text.contains("\"learning_rate_changes\""), "{text}");
        let back = RunConfig::from_json(&text, path).unwrap();
        assert_eq!(back, record);
        let t = &back.training;
        assert_eq!(
            [
                t.lr_at(0),
                t.lr_at(1999),
                t.lr_at(2000),
                t.lr_at(4999),
                t.lr_at(9999)
            ],
            [0.1, 0.1, 0.5, 0.5, 0.05]
        );
        // A resumed run goes on with the rate in force at the end.
        assert_eq!(back.train_config(path).unwrap().learning_rate, 0.05);

        let bad = |changes: &str| {
            let text = record.to_json().replace(
                &serde_json::to_string_pretty(&record.training.learning_rate_changes)
                    .unwrap()
                    .replace('\n', "\n    "),
                changes,
            );
            assert_ne!(text, record.to_json(), "the test edits the record");
            RunConfig::from_json(&text, path).unwrap_err().to_string()
        };
        let out_of_order =
            bad(r#"[{"iteration": 5000, "lr": 0.5}, {"iteration": 2000, "lr": 0.1}]"#);
        assert!(
            out_of_order.contains("runs/lab/config.json"),
            "{out_of_order}"
        );
        assert!(
            out_of_order.contains("learning_rate_changes[1]"),
            "{out_of_order}"
        );
        assert!(out_of_order.contains("order"), "{out_of_order}");
        let zero = bad(r#"[{"iteration": 10, "lr": 0}]"#);
        assert!(zero.contains("above 0"), "{zero}");
        let past = bad(r#"[{"iteration": 10001, "lr": 0.2}]"#);
        assert!(past.contains("past the run's 10000 iterations"), "{past}");
        let at_start = bad(r#"[{"iteration": 0, "lr": 0.2}]"#);
        assert!(at_start.contains("after iteration 0"), "{at_start}");
        let not_a_number = bad(r#"[{"iteration": 10, "lr": "fast"}]"#);
        assert!(
            not_a_number.contains("not a manabi config.json"),
            "{not_a_number}"
        );
    }

    #[test]
    fn unknown_names_are_errors_naming_the_file() {
        let data = Dataset::embedded();
        let mut record = RunConfig::new(&TrainConfig::default(), &data, None, 10);
        record.training.engine = "quantum".into();
        let err = record.train_config(Path::new("x/config.json")).unwrap_err();
        assert!(err.to_string().contains("x/config.json"), "{err}");
        assert!(err.to_string().contains("quantum"), "{err}");
    }
}
