//! What `manabi train` shows while it learns: a progress bar on a terminal,
//! one plain line per epoch otherwise, or one JSON object per epoch.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use serde_json::json;

use manabi::TwoLayerNet;
use manabi::train::{EpochRecord, Observer};

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A live bar (iteration, loss, samples/s, ETA) with epoch lines above it.
    Bar,
    /// One line of text per epoch.
    Lines,
    /// One JSON object per epoch, on stdout; everything else on stderr.
    Json,
}

impl Mode {
    /// The bar on a terminal unless asked for quiet or JSON output.
    pub fn choose(quiet: bool, json: bool) -> Mode {
        if json {
            Mode::Json
        } else if quiet || !std::io::stderr().is_terminal() {
            Mode::Lines
        } else {
            Mode::Bar
        }
    }
}

/// Shows the run's progress; an [`Observer`].
pub struct Progress {
    mode: Mode,
    bar: Option<ProgressBar>,
    last_loss: f64,
}

impl Progress {
    /// Progress of a run of `iters` iterations of `batch` samples, starting
    /// after iteration `first` (0 for a new run).
    pub fn new(mode: Mode, iters: usize, first: usize, batch: usize) -> Progress {
        let bar = (mode == Mode::Bar).then(|| {
            let per_sample = move |s: &ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{:.0} samples/s", s.per_sec() * batch as f64);
            };
            let style = ProgressStyle::with_template(
                "{bar:28.cyan/blue} iter {pos}/{len}  loss {msg}  {samples_per_sec}  ETA {eta}",
            )
            .expect("a valid template")
            .with_key("samples_per_sec", per_sample)
            .progress_chars("█▉▊▋▌▍▎▏ ");
            let bar =
                ProgressBar::with_draw_target(Some(iters as u64), ProgressDrawTarget::stderr())
                    .with_style(style);
            bar.set_position(first as u64);
            bar.set_message("…");
            bar
        });
        Progress {
            mode,
            bar,
            last_loss: f64::NAN,
        }
    }

    /// Prints a line of text where it belongs: stdout, or stderr when stdout
    /// is reserved for JSON; above the bar when there is one.
    pub fn say(&self, line: &str) {
        match (&self.bar, self.mode) {
            (Some(bar), _) => bar.suspend(|| println!("{line}")),
            (None, Mode::Json) => eprintln!("{line}"),
            (None, _) => println!("{line}"),
        }
    }

    /// Removes the bar before the end-of-run report.
    pub fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

impl Observer for Progress {
    fn on_iteration(&mut self, iteration: usize, loss: f64) {
        self.last_loss = loss;
        if let Some(bar) = &self.bar {
            bar.set_position(iteration as u64 + 1);
            // A new message string every iteration would cost more than the
            // bar is worth; the bar redraws only ~15 times a second anyway.
            if iteration.is_multiple_of(25) {
                bar.set_message(format!("{loss:.4}"));
            }
        }
    }

    fn on_epoch(&mut self, r: &EpochRecord, _net: &TwoLayerNet) {
        if self.mode == Mode::Json {
            let line = json!({
                "event": "epoch",
                "epoch": r.epoch,
                "iteration": r.iteration,
                "loss": finite_or_null(self.last_loss),
                "train_acc": r.train_acc,
                "test_acc": r.test_acc,
                "elapsed": r.elapsed,
            });
            println!("{line}");
        } else {
            self.say(&format!(
                "epoch {:>4}  iter {:>7}  train acc, test acc | {:.4}, {:.4}  (loss {:.4}, {:.1} s)",
                r.epoch, r.iteration, r.train_acc, r.test_acc, self.last_loss, r.elapsed
            ));
        }
    }
}

/// JSON has no NaN or infinity: those become `null`.
pub fn finite_or_null(v: f64) -> serde_json::Value {
    if v.is_finite() {
        json!(v)
    } else {
        serde_json::Value::Null
    }
}
