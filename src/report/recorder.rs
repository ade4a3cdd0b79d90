//! [`RunRecorder`]: the observer that keeps a run folder up to date while a
//! network trains.
//!
//! It keeps the whole history itself — every loss, every evaluation — so
//! that whatever way the run ends (finished, Ctrl-C, or a loss that became
//! NaN, where the training loop returns only an error), the folder can still
//! be written with everything measured so far. Every few seconds, at an
//! epoch boundary, it writes a checkpoint, so a killed process leaves a
//! folder that `--resume` can continue.

use std::time::{Duration, Instant};

use super::error::ReportError;
use super::run_config::RunConfig;
use super::run_folder::{RunFolder, RunStatus};
use crate::train::{EpochRecord, History, Observer};
use crate::two_layer_net::TwoLayerNet;

/// Records a run into its [`RunFolder`]; plug it into the training loop as
/// an [`Observer`].
#[derive(Debug)]
pub struct RunRecorder {
    folder: RunFolder,
    config: RunConfig,
    history: History,
    /// The network at the last evaluation whose weights were all finite,
    /// and the number of iterations behind it.
    last_good: Option<(TwoLayerNet, usize)>,
    last_checkpoint: Instant,
    interval: Duration,
    /// A checkpoint that could not be written: the run stops and reports it.
    failed: Option<ReportError>,
}

impl RunRecorder {
    /// Records into `folder` a run described by `config`, starting from
    /// `history` (empty for a new run, the saved one when resuming).
    pub fn new(folder: RunFolder, config: RunConfig, history: History) -> Self {
        RunRecorder {
            folder,
            config,
            history,
            last_good: None,
            last_checkpoint: Instant::now(),
            interval: Duration::from_secs(5),
            failed: None,
        }
    }

    /// How often checkpoints are written (at the first epoch boundary after
    /// this much time); `Duration::ZERO` writes one at every epoch.
    pub fn with_checkpoint_interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// Writes the folder's first state — config and empty CSVs — so that
    /// the folder is a run from its first second.
    pub fn start(&self) -> Result<(), ReportError> {
        self.folder
            .write_state(&self.config, &self.history, None, 0, RunStatus::Running)
    }

    /// The folder being written.
    pub fn folder(&self) -> &RunFolder {
        &self.folder
    }

    /// Everything measured so far.
    pub fn history(&self) -> &History {
        &self.history
    }

    /// The last network seen with finite weights, and its iteration count.
    pub fn last_good(&self) -> Option<&(TwoLayerNet, usize)> {
        self.last_good.as_ref()
    }

    /// Writes the final state: config, CSVs, `net`'s weights after
    /// `iterations` iterations (or the last good ones if `net` is `None`),
    /// and the figures. Returns the files of the figures.
    pub fn finish(
        self,
        net: Option<&TwoLayerNet>,
        iterations: usize,
        status: RunStatus,
    ) -> Result<Vec<std::path::PathBuf>, ReportError> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        let saved = match net {
            Some(net) => Some((&net.params, iterations)),
            None => self.last_good.as_ref().map(|(n, i)| (&n.params, *i)),
        };
        self.folder.write_state(
            &self.config,
            &self.history,
            saved.map(|s| s.0),
            saved.map_or(0, |s| s.1),
            status,
        )?;
        let d = &self.config.dataset;
        let data = if d.train_size < d.full_train_size {
            format!(
                "{} ({} training images)",
                d.name,
                super::style::fmt_count(d.train_size)
            )
        } else {
            d.name.clone()
        };
        let title = format!(
            "{data}: {}-{}-{} {}, lr {:?}, batch {}",
            self.config.network.sizes[0],
            self.config.network.sizes[1],
            self.config.network.sizes[2],
            self.config.network.activation,
            self.config.training.learning_rate,
            self.config.training.batch_size,
        );
        self.folder.write_figures(&self.history, &title)
    }
}

impl Observer for RunRecorder {
    fn on_iteration(&mut self, _iteration: usize, loss: f64) {
        self.history.loss.push(loss);
    }

    fn on_epoch(&mut self, record: &EpochRecord, net: &TwoLayerNet) {
        self.history.epochs.push(record.clone());
        let iterations = record.iteration + 1;
        if net.params.all_finite() {
            self.last_good = Some((net.clone(), iterations));
            if self.last_checkpoint.elapsed() >= self.interval && self.failed.is_none() {
                // The history already ends at this iteration: a consistent snapshot.
                if let Err(e) = self.folder.write_state(
                    &self.config,
                    &self.history,
                    Some(&net.params),
                    iterations,
                    RunStatus::Running,
                ) {
                    self.failed = Some(e);
                }
                self.last_checkpoint = Instant::now();
            }
        }
    }

    fn should_stop(&mut self) -> bool {
        self.failed.is_some()
    }
}
