//! `config.json`: everything needed to know — and to repeat — how a run was
//! made: every hyperparameter, the seed, the data set and its checksum, the
//! precision, the engine, the gradient method and the manabi version.
//!
//! [`RunConfig`] is the file's content; [`RunConfig::train_config`] turns it
//! back into the [`TrainConfig`] a resumed run continues with.

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
            },
        }
    }

    /// The training configuration recorded here. `path` names the file in
    /// errors.
    pub fn train_config(&self, path: &Path) -> Result<TrainConfig, ReportError> {
        let t = &self.training;
        let bad = |e: String| ReportError::malformed(path, e);
        Ok(TrainConfig {
            hidden_size: self.network.sizes[1],
            learning_rate: t.learning_rate,
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
        serde_json::from_str(text)
            .map_err(|e| ReportError::malformed(path, format!("not a manabi config.json: {e}")))
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
    fn unknown_names_are_errors_naming_the_file() {
        let data = Dataset::embedded();
        let mut record = RunConfig::new(&TrainConfig::default(), &data, None, 10);
        record.training.engine = "quantum".into();
        let err = record.train_config(Path::new("x/config.json")).unwrap_err();
        assert!(err.to_string().contains("x/config.json"), "{err}");
        assert!(err.to_string().contains("quantum"), "{err}");
    }
}
