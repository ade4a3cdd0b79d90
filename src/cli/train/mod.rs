//! `manabi train`: the chapter's experiment, `ch04/train_neuralnet.py`, with
//! a run folder that keeps everything it measured.
//!
//! A run shows its progress (a bar on a terminal, plain epoch lines
//! otherwise, JSON with `--json`), states the overfitting rule of thumb
//! before it starts and the verdict when it ends, and leaves a run folder
//! (`runs/<timestamp>/` or `--out DIR`) however it ends: finished, stopped
//! with Ctrl-C (continue it with `--resume DIR`), or diverged.
//!
//! Here: the flags, and the run from start to end; what a run will be
//! (new or resumed) is worked out in [`plan`], and how it ended is told and
//! recorded in [`ending`].

use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use anyhow::Result;
use clap::Args;

use manabi::data::Dataset;
use manabi::engine::{EngineKind, GradientMethod, Precision};
use manabi::random::DEFAULT_SEED;
use manabi::report::{RunConfig, RunFolder, RunRecorder, fmt_count, rule_of_thumb};
use manabi::serve::LiveObserver;
use manabi::train::{
    EpochRecord, History, Observer, Sampling, TrainConfig, TrainError, Trained, train_from,
};
use manabi::{Activation, TwoLayerNet};

use super::args::{DataArgs, choice};
use super::progress::{Mode, Progress};
use super::serve::LiveServer;

mod ending;
mod plan;

use ending::report;
use plan::{Plan, plan_new, plan_resume};

/// Iterations when `--iters` is not given: the book's 10,000.
const DEFAULT_ITERS: usize = 10_000;

#[derive(Debug, Args)]
pub struct TrainArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Hidden units.
    #[arg(long, default_value_t = 50, conflicts_with = "resume")]
    hidden: usize,
    /// Learning rate η: each update moves the weights by η × gradient.
    #[arg(
        long,
        default_value_t = 0.1,
        allow_negative_numbers = true,
        conflicts_with = "resume"
    )]
    lr: f64,
    /// Mini-batch size: samples per iteration.
    #[arg(long, default_value_t = 100, conflicts_with = "resume")]
    batch: usize,
    /// Iterations (updates) to run [default: 10000]. With --resume: the new
    /// total, to train a finished run further.
    #[arg(long)]
    iters: Option<usize>,
    /// Train on the first N training images only: with few images the
    /// network can memorise them, and train and test accuracy part (overfitting).
    #[arg(long, value_name = "N", conflicts_with = "resume")]
    train_size: Option<usize>,
    /// Seed of the random generator (initial weights, then batches).
    #[arg(long, default_value_t = DEFAULT_SEED, conflicts_with = "resume")]
    seed: u64,
    /// Standard deviation of the initial weights.
    #[arg(
        long,
        default_value_t = 0.01,
        allow_negative_numbers = true,
        conflicts_with = "resume"
    )]
    weight_init_std: f64,
    /// Hidden activation: sigmoid (chapter 4) or relu (chapter 5).
    #[arg(long, default_value_t = Activation::default(), conflicts_with = "resume",
          value_parser = choice::<Activation>(Activation::ALL.map(Activation::name)))]
    activation: Activation,
    /// How to compute the gradient: backprop (chapter 5), numerical (central
    /// differences, two full forward passes per parameter, chapter 4), or
    /// numerical-fast (the same differences, computed incrementally).
    #[arg(long, default_value_t = GradientMethod::default(), conflicts_with = "resume",
          value_parser = choice::<GradientMethod>(GradientMethod::ALL.map(GradientMethod::name)))]
    gradient: GradientMethod,
    /// Floating-point precision of the arithmetic: f64 (book parity) or f32
    /// (faster; backprop only).
    #[arg(long, default_value_t = Precision::default(), conflicts_with = "resume",
          value_parser = choice::<Precision>(Precision::ALL.map(Precision::name)))]
    precision: Precision,
    /// Which implementation does the arithmetic: fast (hand-written kernels
    /// that skip zero pixels and use both cores) or reference (the book's
    /// code as written in TwoLayerNet: ndarray, f64).
    #[arg(long, default_value_t = EngineKind::default(), conflicts_with = "resume",
          value_parser = choice::<EngineKind>(EngineKind::ALL.map(EngineKind::name)))]
    engine: EngineKind,
    /// Shuffle once per epoch and walk through it, instead of drawing every batch with replacement (the book's way).
    #[arg(long, conflicts_with = "resume")]
    shuffle: bool,
    /// The run folder to write: config.json, metrics.csv, epochs.csv,
    /// weights.safetensors, summary.txt, loss.png, accuracy.png
    /// [default: runs/<date-time>].
    #[arg(long, value_name = "DIR", conflicts_with = "resume")]
    out: Option<PathBuf>,
    /// Write no run folder: only the lines on the screen (for timing runs).
    #[arg(long, conflicts_with_all = ["out", "resume"])]
    no_save: bool,
    /// Continue the run in DIR (stopped with Ctrl-C, or finished: then give a
    /// larger --iters) from its saved weights and step, with the same batches
    /// an uninterrupted run would have drawn.
    #[arg(long, value_name = "DIR")]
    resume: Option<PathBuf>,
    /// No progress bar: one plain line per epoch.
    #[arg(long)]
    quiet: bool,
    /// One JSON object per epoch (and one at the end) on stdout; other messages go to stderr.
    #[arg(long)]
    json: bool,
    /// Watch it learn in the browser: serve a live page of the loss, the
    /// accuracy, W1 and predictions at ADDR (HOST:PORT or PORT; default
    /// 127.0.0.1:7878, this machine only). The page stays up after the run
    /// until Ctrl-C.
    #[arg(long, value_name = "ADDR", num_args = 0..=1, default_missing_value = super::serve::default_addr())]
    serve: Option<String>,
}
pub fn run(args: TrainArgs) -> Result<()> {
    if cfg!(debug_assertions) {
        eprintln!(
            "manabi: warning: this is a debug build, many times slower than a release build; \
             use `cargo run --release -- train` or an installed manabi"
        );
    }
    let mode = Mode::choose(args.quiet, args.json);
    // Bound first: a port in use is reported before anything is loaded or written.
    let listener = match &args.serve {
        Some(addr) => Some(super::serve::bind("--serve", addr)?),
        None => None,
    };
    let plan = match &args.resume {
        Some(dir) => plan_resume(dir, &args)?,
        None => plan_new(&args)?,
    };
    execute(plan, mode, listener)
}

/// The observers of a run: the screen, the run folder, the browser, and Ctrl-C.
struct Observers {
    progress: Progress,
    /// With --serve: feeds the live page.
    live: Option<LiveObserver>,
    /// None with --no-save.
    recorder: Option<RunRecorder>,
    /// What was measured, kept here when there is no recorder.
    history: History,
    stop: Arc<AtomicBool>,
}

impl Observer for Observers {
    fn on_iteration(&mut self, iteration: usize, loss: f64) {
        self.progress.on_iteration(iteration, loss);
        if let Some(live) = &mut self.live {
            live.on_iteration(iteration, loss);
        }
        match &mut self.recorder {
            Some(r) => r.on_iteration(iteration, loss),
            None => self.history.loss.push(loss),
        }
    }

    fn on_epoch(&mut self, record: &EpochRecord, net: &TwoLayerNet) {
        self.progress.on_epoch(record, net);
        if let Some(live) = &mut self.live {
            live.on_epoch(record, net);
        }
        match &mut self.recorder {
            Some(r) => r.on_epoch(record, net),
            None => self.history.epochs.push(record.clone()),
        }
    }

    fn should_stop(&mut self) -> bool {
        self.stop.load(Ordering::Relaxed) || self.recorder.as_mut().is_some_and(|r| r.should_stop())
    }
}

/// Ctrl-C sets the flag the training loop checks before every iteration, so
/// the run ends cleanly and the folder is written; a second Ctrl-C quits at
/// once (files already written stay whole: they are renamed into place).
fn ctrl_c_flag() -> Arc<AtomicBool> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let installed = ctrlc::set_handler(move || {
        if flag.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
    });
    if let Err(e) = installed {
        eprintln!("manabi: warning: Ctrl-C will end the run without saving it: {e}");
    }
    stop
}

/// A run: say what it is, train, report how it went.
fn execute(plan: Plan, mode: Mode, listener: Option<TcpListener>) -> Result<()> {
    let stop = ctrl_c_flag();
    let first = plan.checkpoint.as_ref().map_or(0, |c| c.iterations);
    let progress = Progress::new(mode, plan.config.iters, first, plan.config.batch_size);
    announce(&plan, first, &progress);
    let run = train_observed(plan, progress, listener, stop)?;
    report(run, mode)
}

/// The lines before a run: its data, network, SGD settings, the
/// overfitting rule of thumb, and where it is written.
fn announce(plan: &Plan, first: usize, progress: &Progress) {
    let Plan {
        config,
        record,
        data,
        folder,
        ..
    } = plan;
    let say = |line: String| progress.say(&line);
    let [input, hidden, output] = record.network.sizes;
    let params = record.network.parameters;
    say(format!(
        "data: {} ({} of {} train / {} test images, {} pixels each)",
        data.name,
        fmt_count(data.train.len()),
        fmt_count(record.dataset.full_train_size),
        fmt_count(data.test.len()),
        input
    ));
    say(format!(
        "net: {input}-{hidden}-{output} {}, {} parameters; {} gradient, {}, {} engine, {}",
        config.activation,
        fmt_count(params),
        config.gradient,
        config.precision,
        config.engine,
        config.engine.kernels_in_words(config.precision)
    ));
    say(format!(
        "sgd: lr {:?}, batch {} ({}), {} iterations, {} per epoch, seed {}",
        config.learning_rate,
        config.batch_size,
        match config.sampling {
            Sampling::WithReplacement => "drawn with replacement",
            Sampling::Shuffle => "shuffled per epoch",
        },
        fmt_count(config.iters),
        config.iter_per_epoch(data.train.len()),
        config.seed
    ));
    say(rule_of_thumb(data.train.len(), params));
    if first > 0 {
        say(format!(
            "resuming after iteration {} of {}",
            fmt_count(first),
            fmt_count(config.iters)
        ));
    }
    if let Some(folder) = folder {
        say(format!("run folder: {}", folder.dir().display()));
    }
}

/// A run as it ended, with what its report needs.
struct Run {
    config: TrainConfig,
    record: RunConfig,
    data: Dataset,
    folder: Option<RunFolder>,
    /// Iterations done before this process (a resumed run).
    first: usize,
    result: Result<Trained, TrainError>,
    /// Seconds spent in training in this process.
    seconds: f64,
    progress: Progress,
    recorder: Option<RunRecorder>,
    /// What was measured, when there is no recorder to keep it.
    history: History,
    /// With --serve: the page's server and its observer.
    live: Option<(LiveServer, LiveObserver)>,
    stop: Arc<AtomicBool>,
}

/// Trains, watched by the observers: the screen, the run folder, the
/// browser (with --serve), and Ctrl-C (`stop`).
fn train_observed(
    plan: Plan,
    progress: Progress,
    listener: Option<TcpListener>,
    stop: Arc<AtomicBool>,
) -> Result<Run> {
    let Plan {
        config,
        record,
        data,
        folder,
        checkpoint,
    } = plan;
    let first = checkpoint.as_ref().map_or(0, |c| c.iterations);
    let history = checkpoint
        .as_ref()
        .map(|c| c.history.clone())
        .unwrap_or_default();
    let (live, live_observer) = match listener {
        Some(l) => {
            let run_folder = folder.as_ref().map(|f| f.dir());
            let say = |line: &str| progress.say(line);
            let (server, observer) =
                super::serve::start_live(l, &record, &config, &data, &history, run_folder, say)?;
            (Some(server), Some(observer))
        }
        None => (None, None),
    };
    let recorder = match &folder {
        Some(folder) => {
            let recorder = RunRecorder::new(folder.clone(), record.clone(), history.clone());
            recorder.start()?;
            Some(recorder)
        }
        None => None,
    };
    let mut observers = Observers {
        progress,
        live: live_observer,
        recorder,
        history,
        stop: stop.clone(),
    };
    let start = Instant::now();
    let result = train_from(&data, &config, checkpoint, &mut observers);
    let seconds = start.elapsed().as_secs_f64();
    let Observers {
        progress,
        recorder,
        history,
        live: live_observer,
        ..
    } = observers;
    Ok(Run {
        config,
        record,
        data,
        folder,
        first,
        result,
        seconds,
        progress,
        recorder,
        history,
        live: live.zip(live_observer),
        stop,
    })
}
