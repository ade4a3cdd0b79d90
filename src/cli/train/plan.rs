//! What a run will be, from the flags of a new one or from the run folder
//! of one to resume: its settings, its record, its data, its folder and
//! where it picks up.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use manabi::data::Dataset;
use manabi::report::{RunConfig, RunFolder, RunStatus};
use manabi::train::{Checkpoint, Sampling, TrainConfig};

use crate::cli::run_data::load_run_data;

use super::{DEFAULT_ITERS, TrainArgs};

/// Everything a run needs once the arguments are understood.
pub(super) struct Plan {
    pub(super) config: TrainConfig,
    pub(super) record: RunConfig,
    /// The data, the training split already cut to `--train-size`.
    pub(super) data: Dataset,
    /// None with --no-save.
    pub(super) folder: Option<RunFolder>,
    pub(super) checkpoint: Option<Checkpoint>,
}

pub(super) fn plan_new(args: &TrainArgs) -> Result<Plan> {
    let config = TrainConfig {
        hidden_size: args.hidden,
        learning_rate: args.lr,
        batch_size: args.batch,
        iters: args.iters.unwrap_or(DEFAULT_ITERS),
        weight_init_std: args.weight_init_std,
        activation: args.activation,
        gradient: args.gradient,
        sampling: if args.shuffle {
            Sampling::Shuffle
        } else {
            Sampling::WithReplacement
        },
        seed: args.seed,
        precision: args.precision,
        engine: args.engine,
    };
    config.validate()?;
    let full = args.data.load()?;
    let train_size = match args.train_size {
        None => full.train.len(),
        Some(0) => bail!("--train-size 0: train on at least 1 image, such as 1000"),
        Some(n) if n > full.train.len() => bail!(
            "--train-size {n}: {} has only {} training images",
            full.name,
            full.train.len()
        ),
        Some(n) => n,
    };
    if full.train.is_empty() {
        bail!(
            "{}: the training set is empty: nothing to learn from",
            full.name
        );
    }
    // Recorded absolute, so `eval` and `--resume` find it from anywhere.
    let dir = args.data.folder()?.map(|d| d.canonicalize().unwrap_or(d));
    let record = if args.no_save {
        RunConfig::unsaved(&config, &full, train_size)
    } else {
        RunConfig::new(&config, &full, dir, train_size)
    };
    let folder = if args.no_save {
        None
    } else {
        let out = args
            .out
            .clone()
            .unwrap_or_else(|| RunFolder::timestamped(&PathBuf::from("runs")));
        Some(RunFolder::create(&out).with_context(|| format!("--out {}", out.display()))?)
    };
    let data = full.with_train_size(train_size);
    Ok(Plan {
        config,
        record,
        data,
        folder,
        checkpoint: None,
    })
}

pub(super) fn plan_resume(dir: &Path, args: &TrainArgs) -> Result<Plan> {
    let flag = || format!("--resume {}", dir.display());
    let folder = RunFolder::open(dir).with_context(flag)?;
    let saved = folder.load().with_context(flag)?;
    if saved.status == RunStatus::Diverged {
        bail!(
            "{}: this run diverged; resuming would repeat it: start a new run with a smaller --lr",
            flag()
        );
    }
    let mut record = saved.config.clone();
    let mut config = record
        .train_config(&folder.path(manabi::report::CONFIG_FILE))
        .with_context(flag)?;
    if let Some(iters) = args.iters {
        config.iters = iters;
        record.training.iters = iters;
    }
    if saved.iterations >= config.iters {
        bail!(
            "{}: the run already has {} of {} iterations; give a larger --iters to train it further",
            flag(),
            saved.iterations,
            config.iters
        );
    }
    config.validate()?;
    let full = load_run_data(&saved.config, args.data.folder()?.as_deref(), true)?;
    if record.dataset.train_size > full.train.len() {
        bail!(
            "{}: config.json asks for more training images than the data has",
            flag()
        );
    }
    let data = full.with_train_size(record.dataset.train_size);
    Ok(Plan {
        config,
        record,
        data,
        folder: Some(folder),
        checkpoint: Some(saved.checkpoint()),
    })
}
