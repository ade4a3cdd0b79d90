//! The lab's requests: one run at a time on the embedded mnist-10k, driven
//! an iteration at a time through the library's [`Trainer`], answered in
//! the JSON the dashboard already reads (`assets/dashboard/panels.js`).
//!
//! | request | answer |
//! | --- | --- |
//! | `{"op": "info"}` | version, kernels, the data set, classes, defaults and limits of the settings |
//! | `{"op": "start", "settings": {…}}` | the run's snapshot: config, strip of test digits, … |
//! | `{"op": "run", "iters": n}` | an update after up to n more iterations (and the evaluations due) |
//! | `{"op": "progress"}` | where the run is |
//! | `{"op": "set_lr", "lr": x}` | `{iteration, lr}`: the rate from the next iteration on |
//! | `{"op": "predict", "pixels": [784 bytes]}` | `{probs}` of the network as it is now (null before a run) |
//! | `{"op": "stop"}` | the run ends where it is |
//! | `{"op": "files", "status": s}` | the run folder's files, its summary, curves and W1 tiles |
//!
//! The loop is the command line's (`train_from`): step, and when the book
//! evaluates (`i % iter_per_epoch == 0`), evaluate; a loss that is not
//! finite ends the run as diverged. So a run here gives the metrics
//! `manabi train` gives for the same settings at the same kernel level.

use std::collections::HashMap;
use std::sync::Arc;

use manabi::data::Dataset;
use manabi::engine::{self, EngineKind, GradientMethod, Precision};
use manabi::report::page::{
    base64, epoch_record, loss_points, loss_value, pick_strip, strip_predictions, thin, tiles,
};
use manabi::report::{
    LearningRateChange, META_CONFIG, META_ITERATIONS, META_STATUS, RunConfig, RunStatus,
    RunSummary, class_names, epochs_csv, metrics_csv, overfitting_verdict, weights_bytes,
};
use manabi::train::{Sampling, TrainConfig, Trainer};
use manabi::{Activation, TwoLayerNet};
use serde_json::{Value, json};

/// Most hidden units, iterations and the like a page may ask for: enough
/// for every experiment of the chapter, few enough that memory stays small.
const MAX_HIDDEN: usize = 1000;
const MAX_ITERS: usize = 1_000_000;
const MAX_LR: f64 = 1000.0;
const MAX_STD: f64 = 10.0;
/// Seeds a page can write exactly (JavaScript's integers).
const MAX_SEED: u64 = (1 << 53) - 1;
/// The book's numerical gradient runs on this many training images only,
/// with at most these many hidden units, batch and iterations: each
/// iteration costs two forward passes per parameter.
const NUMERICAL_IMAGES: usize = 100;
const NUMERICAL_HIDDEN: usize = 10;
const NUMERICAL_BATCH: usize = 10;
const NUMERICAL_ITERS: usize = 200;
/// Loss points of a finished run kept for the overlay.
const RUN_POINTS: usize = 2000;

/// The lab: the data set, and the run being trained, if any.
pub struct Lab {
    data: Arc<Dataset>,
    sha256: String,
    strip: (Vec<u8>, Vec<usize>),
    run: Option<Run>,
}

struct Run {
    trainer: Trainer<Arc<Dataset>>,
    record: RunConfig,
    /// Losses and evaluations already sent to the page.
    sent_loss: usize,
    sent_epochs: usize,
    /// Bumped at every evaluation; sent when it changed.
    net_version: u64,
    sent_net: u64,
    /// The network at the last evaluation whose weights were all finite,
    /// with its iteration count: what a diverged run saves.
    last_good: Option<(TwoLayerNet, usize)>,
    /// The network for drawings, kept until the next iteration.
    net_cache: Option<(usize, TwoLayerNet)>,
    /// "completed", "diverged" or "stopped" once ended.
    ended: Option<&'static str>,
    diverged: Option<(usize, f64)>,
    /// Milliseconds the page measured, for the records' `elapsed`.
    busy_ms: f64,
}

impl Default for Lab {
    fn default() -> Self {
        Self::new()
    }
}

fn get<'a>(request: &'a Value, key: &str) -> Result<&'a Value, String> {
    request
        .get(key)
        .ok_or_else(|| format!("the request has no {key:?}"))
}

/// A whole number between `lo` and `hi` from field `key` of `settings`.
fn whole(settings: &Value, key: &str, what: &str, lo: u64, hi: u64) -> Result<u64, String> {
    let v = get(settings, key)?;
    let n = v
        .as_u64()
        .or_else(|| {
            v.as_f64()
                .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f <= MAX_SEED as f64)
                .map(|f| f as u64)
        })
        .ok_or_else(|| format!("{what}: {v} is not a whole number"))?;
    if n < lo || n > hi {
        return Err(format!("{what}: {n} is out of range; give {lo} to {hi}"));
    }
    Ok(n)
}

/// A number above 0 and at most `hi` from field `key` of `settings`.
fn positive(settings: &Value, key: &str, what: &str, hi: f64) -> Result<f64, String> {
    let v = get(settings, key)?;
    let x = v
        .as_f64()
        .ok_or_else(|| format!("{what}: {v} is not a number"))?;
    if !(x.is_finite() && x > 0.0 && x <= hi) {
        return Err(format!(
            "{what}: {x} is out of range; give a number above 0, at most {hi}"
        ));
    }
    Ok(x)
}

impl Lab {
    /// The lab with the embedded data set decoded.
    pub fn new() -> Lab {
        let data = Dataset::embedded();
        let sha256 = data.checksum();
        let strip = pick_strip(&data.test);
        Lab {
            data: Arc::new(data),
            sha256,
            strip,
            run: None,
        }
    }

    /// Answers one request (see the module's table).
    pub fn handle(&mut self, request: &Value) -> Result<Value, String> {
        let op = get(request, "op")?
            .as_str()
            .ok_or("the request's op is not a name")?;
        match op {
            "info" => Ok(self.info()),
            "start" => self.start(get(request, "settings")?),
            "run" => {
                let n = get(request, "iters")?
                    .as_u64()
                    .ok_or("iters is not a whole number")?;
                if let Some(ms) = request.get("elapsed_ms").and_then(Value::as_f64) {
                    self.run_mut()?.busy_ms = ms;
                }
                self.advance(n as usize)
            }
            "progress" => Ok(self.run_ref()?.progress()),
            "set_lr" => {
                let lr = get(request, "lr")?.as_f64().ok_or("lr is not a number")?;
                self.set_lr(lr)
            }
            "predict" => self.predict(get(request, "pixels")?),
            "stop" => {
                let run = self.run_mut()?;
                run.ended.get_or_insert("stopped");
                Ok(json!({ "status": run.status() }))
            }
            "files" => self.files(),
            other => Err(format!("unknown request {other:?}")),
        }
    }

    fn run_ref(&self) -> Result<&Run, String> {
        self.run
            .as_ref()
            .ok_or_else(|| "no run yet: start one".to_string())
    }

    fn run_mut(&mut self) -> Result<&mut Run, String> {
        self.run
            .as_mut()
            .ok_or_else(|| "no run yet: start one".to_string())
    }

    fn info(&self) -> Value {
        let d = TrainConfig::default();
        let data = &self.data;
        json!({
            "version": env!("CARGO_PKG_VERSION"),
            "kernels": EngineKind::Fast.kernels(Precision::F64),
            "dataset": {
                "name": data.name,
                "train_size": data.train.len(),
                "test_size": data.test.len(),
                "rows": data.test.rows(),
                "cols": data.test.cols(),
            },
            "classes": class_names(&data.name),
            "defaults": {
                "hidden": d.hidden_size,
                "lr": d.learning_rate,
                "batch": d.batch_size,
                "iters": d.iters,
                "activation": d.activation.name(),
                "std": d.weight_init_std,
                "seed": d.seed,
                "gradient": d.gradient.name(),
            },
            "limits": {
                "hidden": [1, MAX_HIDDEN],
                "lr": [0, MAX_LR],
                "batch": [1, data.train.len()],
                "iters": [1, MAX_ITERS],
                "std": [0, MAX_STD],
                "seed": [0, MAX_SEED],
            },
            "numerical": {
                "train_size": NUMERICAL_IMAGES,
                "max_hidden": NUMERICAL_HIDDEN,
                "max_batch": NUMERICAL_BATCH,
                "max_iters": NUMERICAL_ITERS,
                "defaults": { "hidden": NUMERICAL_HIDDEN, "batch": 5, "iters": 20 },
            },
        })
    }

    /// The settings as a training configuration and the training images to
    /// use, or a message naming what is wrong.
    fn settings(&self, s: &Value) -> Result<(TrainConfig, usize), String> {
        let gradient: GradientMethod = get(s, "gradient")?.as_str().unwrap_or("").parse()?;
        let numerical = gradient == GradientMethod::Numerical;
        let train_size = if numerical {
            NUMERICAL_IMAGES
        } else {
            self.data.train.len()
        };
        let (max_hidden, max_batch, max_iters) = if numerical {
            (NUMERICAL_HIDDEN, NUMERICAL_BATCH, NUMERICAL_ITERS)
        } else {
            (MAX_HIDDEN, train_size, MAX_ITERS)
        };
        let activation: Activation = get(s, "activation")?.as_str().unwrap_or("").parse()?;
        let config = TrainConfig {
            hidden_size: whole(s, "hidden", "hidden units", 1, max_hidden as u64)? as usize,
            learning_rate: positive(s, "lr", "learning rate", MAX_LR)?,
            batch_size: whole(s, "batch", "batch size", 1, max_batch as u64)? as usize,
            iters: whole(s, "iters", "iterations", 1, max_iters as u64)? as usize,
            weight_init_std: positive(s, "std", "weight-init std", MAX_STD)?,
            activation,
            gradient,
            sampling: Sampling::WithReplacement,
            seed: whole(s, "seed", "seed", 0, MAX_SEED)?,
            precision: Precision::F64,
            engine: EngineKind::Fast,
        };
        config.validate().map_err(|e| e.to_string())?;
        Ok((config, train_size))
    }

    fn start(&mut self, settings: &Value) -> Result<Value, String> {
        let (config, train_size) = self.settings(settings)?;
        let full = &self.data;
        let data = if train_size < full.train.len() {
            Arc::new(Dataset {
                name: full.name.clone(),
                train: full.train.take(train_size),
                test: full.test.clone(),
            })
        } else {
            full.clone()
        };
        let mut record = RunConfig::unsaved(&config, full, train_size);
        record.dataset.sha256 = self.sha256.clone();
        let trainer = Trainer::new(data.clone(), &config, None).map_err(|e| e.to_string())?;
        self.run = Some(Run {
            trainer,
            record,
            sent_loss: 0,
            sent_epochs: 0,
            net_version: 0,
            sent_net: 0,
            last_good: None,
            net_cache: None,
            ended: None,
            diverged: None,
            busy_ms: 0.0,
        });
        let (images, labels) = &self.strip;
        let run = self.run.as_mut().expect("just started");
        let mut snapshot = json!({
            "config": serde_json::to_value(&run.record).expect("a record is JSON"),
            "iters": config.iters,
            "batch_size": config.batch_size,
            "iter_per_epoch": config.iter_per_epoch(train_size),
            "first": 0,
            "classes": class_names(&full.name),
            "strip": {
                "rows": full.test.rows(),
                "cols": full.test.cols(),
                "labels": labels,
                "images": base64(images),
            },
        });
        let update = run.update(&self.strip, full.test.rows(), full.test.cols());
        if let (Value::Object(s), Value::Object(u)) = (&mut snapshot, update) {
            s.extend(u);
        }
        Ok(snapshot)
    }

    /// Up to `n` iterations of the command line's loop.
    fn advance(&mut self, n: usize) -> Result<Value, String> {
        let (rows, cols) = (self.data.test.rows(), self.data.test.cols());
        let run = self.run.as_mut().ok_or("no run yet: start one")?;
        for _ in 0..n {
            if run.ended.is_some() {
                break;
            }
            if run.trainer.done() {
                run.ended = Some("completed");
                break;
            }
            // 1–4. a mini-batch, its gradient, the update, the loss after it
            let loss = run.trainer.step();
            run.net_cache = None;
            let i = run.trainer.iterations() - 1;
            if !loss.is_finite() {
                run.ended = Some("diverged");
                run.diverged = Some((i, loss));
                break;
            }
            // 5. once per epoch: accuracy on the training and test sets
            if run.trainer.evaluation_due() {
                run.trainer.evaluate();
                run.net_version += 1;
                let net = run.trainer.net();
                if net.params.all_finite() {
                    run.last_good = Some((net, i + 1));
                }
            }
        }
        if run.ended.is_none() && run.trainer.done() {
            run.ended = Some("completed");
        }
        Ok(run.update(&self.strip, rows, cols))
    }

    fn set_lr(&mut self, lr: f64) -> Result<Value, String> {
        let run = self.run_mut()?;
        if run.ended.is_some() {
            return Err("the run has ended: start a new one".into());
        }
        if !(lr.is_finite() && lr > 0.0 && lr <= MAX_LR) {
            return Err(format!(
                "learning rate: {lr} is out of range; give a number above 0, at most {MAX_LR}"
            ));
        }
        run.trainer
            .set_learning_rate(lr)
            .map_err(|e| e.to_string())?;
        let iteration = run.trainer.iterations();
        let t = &mut run.record.training;
        if iteration == 0 {
            // Before the first iteration: the run simply starts at this rate.
            t.learning_rate = lr;
        } else {
            // Two changes before the same iteration: the later one holds.
            t.learning_rate_changes.retain(|c| c.iteration != iteration);
            t.learning_rate_changes
                .push(LearningRateChange { iteration, lr });
        }
        Ok(json!({ "iteration": iteration, "lr": lr }))
    }

    fn predict(&mut self, pixels: &Value) -> Result<Value, String> {
        let Some(run) = self.run.as_mut() else {
            return Ok(json!({ "probs": null }));
        };
        let pixels: Vec<u8> = serde_json::from_value(pixels.clone())
            .map_err(|_| "pixels: not a list of bytes".to_string())?;
        let d = self.data.test.pixels_per_image();
        if pixels.len() != d {
            return Err(format!(
                "pixels: {} values where {d} were expected",
                pixels.len()
            ));
        }
        let iterations = run.trainer.iterations();
        if run.net_cache.as_ref().is_none_or(|(i, _)| *i != iterations) {
            run.net_cache = Some((iterations, run.trainer.net()));
        }
        let (_, net) = run.net_cache.as_ref().expect("just filled");
        let x = ndarray_row(&pixels);
        let y = net.predict(&x);
        Ok(json!({ "probs": y.row(0).to_vec(), "iteration": iterations }))
    }

    /// The run folder's files (`config.json`, `metrics.csv`, `epochs.csv`,
    /// `weights.safetensors`, `summary.txt`) as base64, with the line of the
    /// runs table, the curves for the overlay and W1's tiles.
    fn files(&mut self) -> Result<Value, String> {
        let data = self.data.clone();
        let run = self.run.as_mut().ok_or("no run yet: start one")?;
        let status = match run.ended {
            Some("completed") => RunStatus::Completed,
            Some("diverged") => RunStatus::Diverged,
            _ => RunStatus::Interrupted,
        };
        let iterations = run.trainer.iterations();
        let history = run.trainer.history().clone();
        let saved = if status == RunStatus::Diverged {
            run.last_good.clone()
        } else {
            Some((run.trainer.net(), iterations))
        };
        let config_json = run.record.to_json();
        let mut files = serde_json::Map::new();
        files.insert("config.json".into(), json!(base64(config_json.as_bytes())));
        files.insert(
            "metrics.csv".into(),
            json!(base64(metrics_csv(&history.loss).as_bytes())),
        );
        files.insert(
            "epochs.csv".into(),
            json!(base64(epochs_csv(&history.epochs).as_bytes())),
        );
        let train_size = run.record.dataset.train_size;
        let train = data.train.take(train_size.min(data.train.len()));
        let final_accuracy = saved.as_ref().map(|(net, _)| {
            (
                engine::evaluate(net, &train),
                engine::evaluate(net, &data.test),
            )
        });
        if let Some((net, n)) = &saved {
            let metadata = HashMap::from([
                (META_CONFIG.to_string(), config_json.clone()),
                (META_ITERATIONS.to_string(), n.to_string()),
                (META_STATUS.to_string(), status.name().to_string()),
            ]);
            files.insert(
                "weights.safetensors".into(),
                json!(base64(&weights_bytes(&net.params, metadata))),
            );
        }
        let verdict = final_accuracy.map(|(tr, te)| overfitting_verdict(tr, te, &history.epochs));
        let summary = RunSummary {
            config: &run.record,
            status,
            iterations: saved.as_ref().map_or(0, |s| s.1),
            diverged: run.diverged,
            final_accuracy,
            last_loss: history.loss.last().copied(),
            verdict: verdict.as_ref(),
            seconds: run.busy_ms / 1000.0,
            iterations_here: iterations,
        };
        files.insert(
            "summary.txt".into(),
            json!(base64(summary.text().as_bytes())),
        );
        let t = &run.record.training;
        let points: Vec<(usize, f64)> = history.loss.iter().copied().enumerate().collect();
        let [rows, cols] = run.record.dataset.image_shape;
        Ok(json!({
            "files": files,
            "summary": {
                "dataset": run.record.dataset.name,
                "train_size": train_size,
                "sizes": run.record.network.sizes,
                "activation": run.record.network.activation,
                "learning_rate": t.learning_rate,
                "learning_rate_changes": t.learning_rate_changes,
                "batch_size": t.batch_size,
                "iters": t.iters,
                "gradient": t.gradient,
                "sampling": t.sampling,
                "precision": t.precision,
                "engine": t.engine,
                "kernels": t.kernels,
                "seed": t.seed,
                "iterations": iterations,
                "last_epoch": history.epochs.last().map(epoch_record),
                "final_accuracy": final_accuracy,
            },
            "data": {
                "config": serde_json::to_value(&run.record).expect("a record is JSON"),
                "loss": loss_points(&thin(&points, RUN_POINTS)),
                "epochs": history.epochs.iter().map(epoch_record).collect::<Vec<_>>(),
            },
            "tiles": saved.as_ref().and_then(|(net, _)| tiles(&net.params.w1, rows, cols)),
        }))
    }
}

fn ndarray_row(pixels: &[u8]) -> ndarray::Array2<f64> {
    ndarray::Array2::from_shape_fn((1, pixels.len()), |(_, i)| f64::from(pixels[i]) / 255.0)
}

impl Run {
    fn status(&self) -> &'static str {
        self.ended.unwrap_or("running")
    }

    fn progress(&self) -> Value {
        let iteration = self.trainer.iterations();
        let per_epoch = self.record.training.iter_per_epoch.max(1);
        json!({
            "iteration": iteration,
            "epoch": iteration.saturating_sub(1) / per_epoch,
            "loss": self.trainer.history().loss.last().map_or(Value::Null, |&l| loss_value(l)),
        })
    }

    /// What changed since the last update: new losses and evaluations, the
    /// network's answers on the strip and its tiles if it was evaluated
    /// since, the learning-rate changes and the status.
    fn update(&mut self, strip: &(Vec<u8>, Vec<usize>), rows: usize, cols: usize) -> Value {
        let history = self.trainer.history();
        let loss: Vec<(usize, f64)> = history.loss[self.sent_loss..]
            .iter()
            .enumerate()
            .map(|(k, &l)| (self.sent_loss + k, l))
            .collect();
        let mut epochs: Vec<Value> = history.epochs[self.sent_epochs..]
            .iter()
            .map(epoch_record)
            .collect();
        // The engine has no clock here: the page's time stands in.
        for e in &mut epochs {
            if e["elapsed"].as_f64() == Some(0.0) {
                e["elapsed"] = json!(self.busy_ms / 1000.0);
            }
        }
        self.sent_loss = history.loss.len();
        self.sent_epochs = history.epochs.len();
        let mut out = json!({
            "progress": self.progress(),
            "loss": loss_points(&loss),
            "epochs": epochs,
            "status": self.status(),
            "learning_rate_changes": self.record.training.learning_rate_changes,
        });
        if self.net_version != self.sent_net {
            self.sent_net = self.net_version;
            let net = self.trainer.net();
            let predictions = strip_predictions(&net, &strip.0, strip.1.len());
            out["net"] = json!({
                "version": self.net_version,
                "predictions": predictions,
                "tiles": tiles(&net.params.w1, rows, cols),
            });
        }
        out
    }
}
