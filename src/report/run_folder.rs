//! A run folder: everything one training run leaves behind, in files a
//! person, a spreadsheet or Python can open.
//!
//! ```text
//! runs/20250101-120000/
//!   config.json          every hyperparameter, seed, data set + sha256, precision, engine, version
//!   metrics.csv          iteration,loss                       (one row per iteration)
//!   epochs.csv           epoch,iteration,train_acc,test_acc,elapsed  (one row per evaluation)
//!   weights.safetensors  W1, b1, W2, b2 as F64; metadata: the config, iterations, status
//!   summary.txt          what happened, in words
//!   loss.png/.svg        figure 4-11
//!   accuracy.png/.svg    figure 4-12
//! ```
//!
//! Every file is written atomically ([`write_atomic`]). During a run the
//! folder is refreshed now and then (a checkpoint), so even a killed run
//! leaves a consistent folder behind; the CSVs are written before the
//! weights, and [`RunFolder::load`] trusts the weights' iteration count, so a
//! crash between two files loses nothing it needs.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use super::accuracy_plot::plot_accuracy;
use super::atomic::write_atomic;
use super::error::ReportError;
use super::loss_plot::plot_loss;
use super::metrics::{epochs_csv, metrics_csv, parse_epochs, parse_metrics};
use super::run_config::RunConfig;
use super::weights::{
    META_CONFIG, META_ITERATIONS, META_STATUS, SavedWeights, load_weights, weights_bytes,
};
use crate::params::Params;
use crate::train::{Checkpoint, History};
use crate::two_layer_net::TwoLayerNet;

/// `config.json`.
pub const CONFIG_FILE: &str = "config.json";
/// `metrics.csv`.
pub const METRICS_FILE: &str = "metrics.csv";
/// `epochs.csv`.
pub const EPOCHS_FILE: &str = "epochs.csv";
/// `weights.safetensors`.
pub const WEIGHTS_FILE: &str = "weights.safetensors";
/// `summary.txt`.
pub const SUMMARY_FILE: &str = "summary.txt";

/// Where a run stands, as recorded with its weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    /// Still training: a checkpoint written along the way.
    Running,
    /// Ran every iteration it was asked for.
    Completed,
    /// Stopped early by Ctrl-C; `--resume` continues it.
    Interrupted,
    /// The loss stopped being a number; the weights are the last good ones.
    Diverged,
}

impl RunStatus {
    /// The word stored in the weights' metadata.
    pub fn name(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Completed => "completed",
            RunStatus::Interrupted => "interrupted",
            RunStatus::Diverged => "diverged",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [
            RunStatus::Running,
            RunStatus::Completed,
            RunStatus::Interrupted,
            RunStatus::Diverged,
        ]
        .into_iter()
        .find(|r| r.name() == s)
    }
}

impl fmt::Display for RunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A run folder on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunFolder {
    dir: PathBuf,
}

/// A run read back from its folder.
#[derive(Debug, Clone)]
pub struct SavedRun {
    /// `config.json`.
    pub config: RunConfig,
    /// The network as saved.
    pub net: TwoLayerNet,
    /// Iterations behind the saved weights.
    pub iterations: usize,
    /// How the run ended (or that it is still going).
    pub status: RunStatus,
    /// Losses of the first `iterations` iterations and the evaluations made
    /// during them.
    pub history: History,
}

impl SavedRun {
    /// The point a resumed run continues from.
    pub fn checkpoint(&self) -> Checkpoint {
        Checkpoint {
            params: self.net.params.clone(),
            iterations: self.iterations,
            history: self.history.clone(),
        }
    }
}

impl RunFolder {
    /// Makes `dir` (and its parents) ready for a new run. An existing folder
    /// is fine if it holds no run yet.
    pub fn create(dir: impl Into<PathBuf>) -> Result<Self, ReportError> {
        let dir = dir.into();
        if dir.join(CONFIG_FILE).exists() {
            return Err(ReportError::malformed(
                &dir,
                "already holds a run; choose another folder, or continue it with --resume",
            ));
        }
        std::fs::create_dir_all(&dir).map_err(|e| ReportError::io(&dir, e))?;
        Ok(RunFolder { dir })
    }

    /// An existing run folder (it must hold a `config.json`).
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self, ReportError> {
        let dir = dir.into();
        if !dir.is_dir() {
            return Err(ReportError::malformed(&dir, "no such run folder"));
        }
        if !dir.join(CONFIG_FILE).is_file() {
            return Err(ReportError::malformed(
                &dir,
                "not a run folder: it has no config.json",
            ));
        }
        Ok(RunFolder { dir })
    }

    /// `base/YYYYMMDD-HHMMSS` (UTC), with `-2`, `-3`, … added if taken.
    pub fn timestamped(base: &Path) -> PathBuf {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let stamp = utc_stamp(secs);
        let mut dir = base.join(&stamp);
        let mut n = 2;
        while dir.exists() {
            dir = base.join(format!("{stamp}-{n}"));
            n += 1;
        }
        dir
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The path of `name` inside the folder.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Writes config, CSVs and weights: a consistent snapshot of the run
    /// after `iterations` iterations with parameters `params` (none when a
    /// run diverged before any good network was seen).
    pub fn write_state(
        &self,
        config: &RunConfig,
        history: &History,
        params: Option<&Params>,
        iterations: usize,
        status: RunStatus,
    ) -> Result<(), ReportError> {
        let json = config.to_json();
        write_atomic(&self.path(CONFIG_FILE), json.as_bytes())?;
        write_atomic(
            &self.path(METRICS_FILE),
            metrics_csv(&history.loss).as_bytes(),
        )?;
        write_atomic(
            &self.path(EPOCHS_FILE),
            epochs_csv(&history.epochs).as_bytes(),
        )?;
        if let Some(params) = params {
            let metadata = HashMap::from([
                (META_CONFIG.to_string(), json),
                (META_ITERATIONS.to_string(), iterations.to_string()),
                (META_STATUS.to_string(), status.name().to_string()),
            ]);
            write_atomic(&self.path(WEIGHTS_FILE), &weights_bytes(params, metadata))?;
        }
        Ok(())
    }

    /// Draws `loss.png/.svg` and `accuracy.png/.svg` from `history`.
    pub fn write_figures(
        &self,
        history: &History,
        title: &str,
    ) -> Result<Vec<PathBuf>, ReportError> {
        let mut files = plot_loss(&self.path("loss"), &history.loss, title)?;
        files.extend(plot_accuracy(
            &self.path("accuracy"),
            &history.epochs,
            title,
        )?);
        Ok(files)
    }

    /// Writes `summary.txt`.
    pub fn write_summary(&self, text: &str) -> Result<(), ReportError> {
        write_atomic(&self.path(SUMMARY_FILE), text.as_bytes())
    }

    /// The saved weights and what their metadata says.
    pub fn load_weights(&self) -> Result<(SavedWeights, usize, RunStatus), ReportError> {
        let path = self.path(WEIGHTS_FILE);
        let saved = load_weights(&path)?;
        let meta = |key: &str| {
            saved.metadata.get(key).ok_or_else(|| {
                ReportError::malformed(
                    &path,
                    format!("no {key:?} in the metadata: not written by manabi"),
                )
            })
        };
        let iterations = meta(META_ITERATIONS)?
            .parse()
            .map_err(|_| ReportError::malformed(&path, "the iteration count is not a number"))?;
        let status = RunStatus::parse(meta(META_STATUS)?)
            .ok_or_else(|| ReportError::malformed(&path, "unknown run status"))?;
        Ok((saved, iterations, status))
    }

    /// The run's config and saved network, with the iteration count and
    /// status stored beside the weights: all `eval` and `predict` need.
    pub fn load_net(&self) -> Result<(RunConfig, TwoLayerNet, usize, RunStatus), ReportError> {
        let config_path = self.path(CONFIG_FILE);
        let config = RunConfig::read(&config_path)?;
        let (saved, iterations, status) = self.load_weights()?;
        let activation = (config.network.activation.parse())
            .map_err(|e: String| ReportError::malformed(&config_path, e))?;
        let (i, h, o) = saved.params.sizes();
        if [i, h, o] != config.network.sizes {
            return Err(ReportError::malformed(
                self.path(WEIGHTS_FILE),
                format!(
                    "the weights are {i}-{h}-{o} but config.json says {:?}",
                    config.network.sizes
                ),
            ));
        }
        let net = TwoLayerNet {
            params: saved.params,
            activation,
        };
        Ok((config, net, iterations, status))
    }

    /// Reads the run back: config, network, and the history up to the
    /// weights' iteration.
    pub fn load(&self) -> Result<SavedRun, ReportError> {
        let (config, net, iterations, status) = self.load_net()?;
        let read = |name: &str| {
            let path = self.path(name);
            std::fs::read_to_string(&path)
                .map_err(|e| ReportError::io(&path, e))
                .map(|text| (text, path))
        };
        let (text, path) = read(METRICS_FILE)?;
        let mut loss = parse_metrics(&text, &path)?;
        if loss.len() < iterations {
            return Err(ReportError::malformed(
                &path,
                format!(
                    "{} rows but the weights come after {iterations} iterations",
                    loss.len()
                ),
            ));
        }
        loss.truncate(iterations);
        let (text, path) = read(EPOCHS_FILE)?;
        let mut epochs = parse_epochs(&text, &path)?;
        epochs.retain(|r| r.iteration < iterations);
        Ok(SavedRun {
            config,
            net,
            iterations,
            status,
            history: History { loss, epochs },
        })
    }
}

/// Seconds since 1970 (UTC) as `YYYYMMDD-HHMMSS`.
fn utc_stamp(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}-{:02}{:02}{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_calendar_dates() {
        assert_eq!(utc_stamp(0), "19700101-000000");
        // 2024-02-29 12:34:56 UTC, a leap day.
        assert_eq!(utc_stamp(1_709_210_096), "20240229-123456");
    }
}
