//! How a run ended, and what is said and written then: the results, the
//! overfitting verdict, the figures, the closing JSON event, and the exit
//! status (finished, stopped with Ctrl-C, or diverged).

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use serde_json::json;

use manabi::TwoLayerNet;
use manabi::engine;
use manabi::report::{RunStatus, RunSummary, Verdict, fmt_count, overfitting_verdict};
use manabi::train::{TrainError, Trained};

use crate::cli::progress::{Mode, finite_or_null};

use super::Run;

/// How a run ended: its network (none if it diverged), iterations, status.
struct Ending {
    net: Option<TwoLayerNet>,
    iterations: usize,
    status: RunStatus,
    /// For a diverged run: the iteration whose loss was not finite, and that loss.
    diverged: Option<(usize, f64)>,
}

impl Ending {
    /// The ending of a run of `iters` iterations that returned `result`.
    fn of(result: Result<Trained, TrainError>, iters: usize) -> Result<Ending> {
        Ok(match result {
            Ok(run) => Ending {
                status: if run.iterations < iters {
                    RunStatus::Interrupted
                } else {
                    RunStatus::Completed
                },
                net: Some(run.net),
                iterations: run.iterations,
                diverged: None,
            },
            Err(TrainError::Diverged { iteration, loss }) => Ending {
                net: None,
                iterations: iteration + 1,
                status: RunStatus::Diverged,
                diverged: Some((iteration, loss)),
            },
            Err(e) => return Err(e.into()),
        })
    }
}

/// After a run: the run folder completed (weights, figures, summary), the
/// last lines on the screen (and the JSON end event), the page told, and
/// the exit status.
pub(super) fn report(run: Run, mode: Mode) -> Result<()> {
    let Run {
        config,
        record,
        data,
        folder,
        first,
        result,
        seconds,
        mut progress,
        recorder,
        history,
        live,
        stop,
    } = run;
    progress.finish();
    let ending = Ending::of(result, config.iters)?;
    let history = recorder.as_ref().map_or(&history, |r| r.history());
    let last_loss = history.loss.last().copied();
    let epochs = history.epochs.clone();
    // The weights that are saved: the final network, or for a diverged run
    // the last one seen with finite weights.
    let (saved_net, saved_iterations) = match (&ending.net, recorder.as_ref()) {
        (Some(n), _) => (Some(n.clone()), ending.iterations),
        (None, Some(r)) => r
            .last_good()
            .map_or((None, 0), |(n, i)| (Some(n.clone()), *i)),
        (None, None) => (None, 0),
    };
    let figures = match recorder {
        Some(r) => r.finish(ending.net.as_ref(), ending.iterations, ending.status)?,
        None => Vec::new(),
    };
    // Accuracy of the saved f64 weights, as anyone loading them will measure it.
    let final_accuracy = saved_net.as_ref().map(|n| {
        (
            engine::evaluate(n, &data.train),
            engine::evaluate(n, &data.test),
        )
    });
    let verdict = final_accuracy.map(|(train, test)| overfitting_verdict(train, test, &epochs));
    let summary = RunSummary {
        config: &record,
        status: ending.status,
        iterations: saved_iterations,
        diverged: ending.diverged,
        final_accuracy,
        last_loss,
        verdict: verdict.as_ref(),
        seconds,
        iterations_here: ending.iterations.saturating_sub(first),
    };
    if let Some(folder) = &folder {
        folder.write_summary(&summary.text())?;
    }
    let dir = folder.as_ref().map(|f| f.dir().to_path_buf());
    let say = |line: &str| progress.say(line);
    say_results(&summary, &figures, dir.as_deref(), say);
    if mode == Mode::Json {
        println!("{}", end_event(&summary, dir.as_deref()));
    }
    if let Some((server, observer)) = live {
        server.finish(observer, ending.status.name(), &stop, say);
    }
    exit_as(&ending, config.iters, dir.as_deref())
}

/// The lines that end a run: accuracies, the verdict, the files written,
/// and how to look inside.
fn say_results(summary: &RunSummary, figures: &[PathBuf], dir: Option<&Path>, say: impl Fn(&str)) {
    if let Some((train, test)) = summary.final_accuracy {
        say(&format!(
            "done: {} iterations in {:.2} s; train acc {:.4}, test acc {:.4}, last batch loss {:.4}",
            fmt_count(summary.iterations),
            summary.seconds,
            train,
            test,
            summary.last_loss.unwrap_or(f64::NAN)
        ));
    }
    if let Some(v) = summary.verdict {
        say(&v.text);
    }
    let Some(dir) = dir else { return };
    let names: Vec<String> = figures
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "png"))
        .filter_map(|f| f.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    say(&format!(
        "wrote {}: config.json, metrics.csv, epochs.csv, {}summary.txt, {}",
        dir.display(),
        if summary.final_accuracy.is_some() {
            "weights.safetensors, "
        } else {
            ""
        },
        names.join(", ")
    ));
    if summary.status == RunStatus::Completed {
        say(&format!("look inside: manabi eval --run {}", dir.display()));
    }
}

/// `--json`'s last line: how the run ended.
fn end_event(summary: &RunSummary, dir: Option<&Path>) -> serde_json::Value {
    let verdict: Option<&Verdict> = summary.verdict;
    json!({
        "event": "end",
        "status": summary.status.name(),
        "iterations": summary.iterations,
        "train_acc": summary.final_accuracy.map(|a| a.0),
        "test_acc": summary.final_accuracy.map(|a| a.1),
        "loss": summary.last_loss.map_or(serde_json::Value::Null, finite_or_null),
        "overfits": verdict.map(|v| v.overfits),
        "run_dir": dir.map(|d| d.display().to_string()),
    })
}

/// The exit of a run of `iters` iterations: success when it completed, an
/// error when it diverged, 130 (as a shell reports Ctrl-C) when it was
/// interrupted, saying how to continue.
fn exit_as(ending: &Ending, iters: usize, dir: Option<&Path>) -> Result<()> {
    match (ending.status, ending.diverged) {
        (RunStatus::Diverged, Some((iteration, loss))) => {
            let diverged = TrainError::Diverged { iteration, loss };
            match dir {
                Some(dir) => bail!(
                    "{diverged}; the run folder {} holds what was measured up to then",
                    dir.display()
                ),
                None => bail!("{diverged}"),
            }
        }
        (RunStatus::Interrupted, _) => {
            let done = format!(
                "manabi: interrupted after {} of {} iterations",
                fmt_count(ending.iterations),
                fmt_count(iters)
            );
            match dir {
                Some(dir) => eprintln!(
                    "{done}; {} is complete; continue with: manabi train --resume {}",
                    dir.display(),
                    dir.display()
                ),
                None => eprintln!("{done}"),
            }
            // 128 + SIGINT, as a shell reports a program stopped by Ctrl-C.
            std::process::exit(130)
        }
        _ => Ok(()),
    }
}
