//! Finished runs: a folder of run folders, read-only, and nothing outside it.
//!
//! A run is named by its folder's name (`runs/20250101-120000` is run
//! `20250101-120000`). Every path is built from a checked name, then
//! resolved with `canonicalize` — which follows every symbolic link — and
//! served only if the result still lies inside the runs folder. Only the
//! files a run folder holds are served (CSV, JSON, text, PNG, SVG and the
//! weights), one level deep.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::http::{Refusal, Status};
use crate::report::page::{epoch_record, loss_points, thin, tiles};
use crate::report::{
    CONFIG_FILE, EPOCHS_FILE, META_ITERATIONS, META_STATUS, METRICS_FILE, RunConfig, WEIGHTS_FILE,
    load_weights, parse_epochs, parse_metrics,
};

/// Loss points sent per finished run: plenty for a chart, small enough to
/// overlay a dozen runs.
pub const RUN_POINTS: usize = 5_000;

/// The largest safetensors header read to learn a run's status.
const MAX_WEIGHTS_HEADER: u64 = 1 << 20;

/// A folder of run folders, as served.
#[derive(Debug, Clone)]
pub struct RunsDir {
    /// The folder, canonical: every path served must start with it.
    root: PathBuf,
}

/// A file ready to be sent.
#[derive(Debug)]
pub struct ServedFile {
    /// The open file.
    pub file: File,
    /// Its length in bytes.
    pub len: u64,
    /// Its `Content-Type`.
    pub content_type: &'static str,
}

impl RunsDir {
    /// The runs folder `dir`; it must exist.
    pub fn new(dir: &Path) -> std::io::Result<RunsDir> {
        let root = dir.canonicalize()?;
        if !root.is_dir() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotADirectory,
                "not a folder",
            ));
        }
        Ok(RunsDir { root })
    }

    /// The folder served (canonical).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `path` resolved through every link, if it stays inside the runs
    /// folder: 404 if it does not exist, 403 if it leads outside.
    fn resolve(&self, path: &Path) -> Result<PathBuf, Refusal> {
        let real = path
            .canonicalize()
            .map_err(|_| Refusal::new(Status::NotFound, "no such run or file"))?;
        if real.starts_with(&self.root) {
            Ok(real)
        } else {
            Err(Refusal::new(
                Status::Forbidden,
                "that path leads outside the runs folder",
            ))
        }
    }

    /// The folder of run `id`: a sub-folder holding a `config.json`.
    pub fn run_dir(&self, id: &str) -> Result<PathBuf, Refusal> {
        check_name(id)?;
        let dir = self.resolve(&self.root.join(id))?;
        // Only folders manabi wrote: a config.json of another program does
        // not make a folder a run.
        if dir == self.root || RunConfig::read(&dir.join(CONFIG_FILE)).is_err() {
            return Err(Refusal::new(Status::NotFound, "no such run"));
        }
        Ok(dir)
    }

    /// Every run, newest first (run folders are named by date and time):
    /// what it was, how it ended, where its accuracy stopped.
    pub fn list(&self) -> Value {
        let mut ids: Vec<String> = std::fs::read_dir(&self.root)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|id| self.run_dir(id).is_ok())
            .collect();
        ids.sort_unstable_by(|a, b| b.cmp(a));
        Value::Array(
            ids.iter()
                .filter_map(|id| {
                    let dir = self.run_dir(id).ok()?;
                    Some(summary(id, &dir))
                })
                .collect(),
        )
    }

    /// One run's config, loss curve (thinned to [`RUN_POINTS`]) and epochs.
    pub fn run(&self, id: &str) -> Result<Value, Refusal> {
        let dir = self.run_dir(id)?;
        let config = read_json(&dir.join(CONFIG_FILE))?;
        let loss = match read_text(&dir, METRICS_FILE)? {
            Some((text, path)) => parse_metrics(&text, &path).map_err(unreadable)?,
            None => Vec::new(),
        };
        let epochs = match read_text(&dir, EPOCHS_FILE)? {
            Some((text, path)) => parse_epochs(&text, &path).map_err(unreadable)?,
            None => Vec::new(),
        };
        let points: Vec<(usize, f64)> = loss.iter().copied().enumerate().collect();
        let (status, _) = weights_status(&dir);
        Ok(json!({
            "id": id,
            "config": config,
            "status": status,
            "iterations": loss.len(),
            "loss": loss_points(&thin(&points, RUN_POINTS)),
            "epochs": epochs.iter().map(epoch_record).collect::<Vec<_>>(),
        }))
    }

    /// W1 of run `id` as tiles (see [`tiles`]).
    pub fn weights(&self, id: &str) -> Result<Value, Refusal> {
        let dir = self.run_dir(id)?;
        let path = self.resolve(&dir.join(WEIGHTS_FILE))?;
        let config = RunConfig::read(&dir.join(CONFIG_FILE)).map_err(unreadable)?;
        let saved = load_weights(&path).map_err(unreadable)?;
        let [rows, cols] = config.dataset.image_shape;
        tiles(&saved.params.w1, rows, cols)
            .ok_or_else(|| Refusal::new(Status::NotFound, "W1 is not made of images"))
    }

    /// The file `name` of run `id`, opened, if it is one a run folder holds.
    pub fn file(&self, id: &str, name: &str) -> Result<ServedFile, Refusal> {
        check_name(name)?;
        let content_type = content_type(name).ok_or_else(|| {
            Refusal::new(
                Status::NotFound,
                "only a run's csv, json, txt, png, svg and safetensors files are served",
            )
        })?;
        let dir = self.run_dir(id)?;
        let path = self.resolve(&dir.join(name))?;
        let file =
            File::open(&path).map_err(|_| Refusal::new(Status::NotFound, "no such run or file"))?;
        let meta = file
            .metadata()
            .map_err(|_| Refusal::new(Status::NotFound, "no such run or file"))?;
        if !meta.is_file() {
            return Err(Refusal::new(Status::NotFound, "not a file"));
        }
        Ok(ServedFile {
            file,
            len: meta.len(),
            content_type,
        })
    }
}

/// A name of one path component: no separators, no `.`/`..`, not hidden.
/// (Request paths are checked the same way when parsed; this guards the
/// library's own callers too.)
fn check_name(name: &str) -> Result<(), Refusal> {
    let ok = !name.is_empty()
        && !name.starts_with('.')
        && !name.contains(['/', '\\', '\0', ':'])
        && !Path::new(name).is_absolute();
    if ok {
        Ok(())
    } else {
        Err(Refusal::new(Status::BadRequest, "not a plain name"))
    }
}

/// The `Content-Type` of a file a run folder may hold.
fn content_type(name: &str) -> Option<&'static str> {
    let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match ext.as_str() {
        "csv" => "text/csv; charset=utf-8",
        "json" => "application/json",
        "txt" => "text/plain; charset=utf-8",
        "png" => "image/png",
        "svg" => "image/svg+xml",
        "safetensors" => "application/octet-stream",
        _ => return None,
    })
}

/// A run folder's file could not be read: the server's fault, not the
/// request's.
fn unreadable(e: impl std::fmt::Display) -> Refusal {
    Refusal::new(Status::InternalError, e.to_string())
}

fn read_json(path: &Path) -> Result<Value, Refusal> {
    let text = std::fs::read_to_string(path).map_err(|e| unreadable(e.to_string()))?;
    serde_json::from_str(&text).map_err(|e| unreadable(format!("{}: {e}", path.display())))
}

/// The text of `name` in `dir`, `None` if it is not there (yet).
fn read_text(dir: &Path, name: &str) -> Result<Option<(String, PathBuf)>, Refusal> {
    let path = dir.join(name);
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(Some((text, path))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(unreadable(format!("{}: {e}", path.display()))),
    }
}

/// How a run ended and after how many iterations, from the metadata at the
/// head of its weights file (without reading the weights): "running" when
/// there are no weights yet.
fn weights_status(dir: &Path) -> (String, Option<usize>) {
    let read = || -> Option<(String, Option<usize>)> {
        let mut f = File::open(dir.join(WEIGHTS_FILE)).ok()?;
        let mut len = [0u8; 8];
        f.read_exact(&mut len).ok()?;
        let n = u64::from_le_bytes(len);
        if n > MAX_WEIGHTS_HEADER {
            return None;
        }
        let mut header = vec![0u8; n as usize];
        f.read_exact(&mut header).ok()?;
        let header: Value = serde_json::from_slice(&header).ok()?;
        let meta = header.get("__metadata__")?;
        let status = meta.get(META_STATUS)?.as_str()?.to_string();
        let iterations = meta
            .get(META_ITERATIONS)
            .and_then(Value::as_str)
            .and_then(|s| s.parse().ok());
        Some((status, iterations))
    };
    if !dir.join(WEIGHTS_FILE).exists() {
        return ("running".into(), None);
    }
    read().unwrap_or_else(|| ("unreadable".into(), None))
}

/// One line of the run list.
fn summary(id: &str, dir: &Path) -> Value {
    let config = match RunConfig::read(&dir.join(CONFIG_FILE)) {
        Ok(c) => c,
        Err(e) => return json!({ "id": id, "error": e.to_string() }),
    };
    let last = read_text(dir, EPOCHS_FILE)
        .ok()
        .flatten()
        .and_then(|(text, path)| parse_epochs(&text, &path).ok())
        .and_then(|e| e.last().cloned());
    let (status, iterations) = weights_status(dir);
    let t = &config.training;
    json!({
        "id": id,
        "dataset": config.dataset.name,
        "train_size": config.dataset.train_size,
        "sizes": config.network.sizes,
        "activation": config.network.activation,
        "learning_rate": t.learning_rate,
        "learning_rate_changes": t.learning_rate_changes,
        "batch_size": t.batch_size,
        "iters": t.iters,
        "gradient": t.gradient,
        "sampling": t.sampling,
        "precision": t.precision,
        "engine": t.engine,
        "seed": t.seed,
        "status": status,
        "iterations": iterations,
        "last_epoch": last.as_ref().map(epoch_record),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_run_files_have_a_type() {
        assert_eq!(content_type("loss.PNG"), Some("image/png"));
        assert_eq!(
            content_type("weights.safetensors"),
            Some("application/octet-stream")
        );
        assert_eq!(content_type("run.sh"), None);
        assert_eq!(content_type("Makefile"), None);
        assert!(check_name("..").is_err());
        assert!(check_name("a/b").is_err());
        assert!(check_name("/etc").is_err());
        assert!(check_name("20250101-120000").is_ok());
    }
}
