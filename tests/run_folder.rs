//! The run folder `manabi train` leaves behind: every file is there and
//! parses, a resumed run is the run it continues, and the weights file is
//! readable outside Rust (docs/python-check.md, run here when NumPy is).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use manabi::data::Dataset;
use manabi::report::{
    RunConfig, RunFolder, RunStatus, decode_png, load_weights, parse_epochs, parse_metrics,
};

fn manabi(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_manabi"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the manabi binary runs")
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let out = manabi(dir, args);
    assert!(
        out.status.success(),
        "manabi {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn read(path: impl AsRef<Path>) -> String {
    std::fs::read_to_string(path.as_ref())
        .unwrap_or_else(|e| panic!("{}: {e}", path.as_ref().display()))
}

#[test]
fn every_file_is_there_and_parses() {
    let tmp = tempfile::tempdir().unwrap();
    ok(
        tmp.path(),
        &["train", "--iters", "200", "--out", "run", "--quiet"],
    );
    let dir = tmp.path().join("run");

    let config = RunConfig::read(&dir.join("config.json")).unwrap();
    let data = Dataset::embedded();
    assert_eq!(config.dataset.name, "mnist-10k");
    assert_eq!(config.dataset.sha256, data.checksum());
    assert_eq!(config.training.iters, 200);
    assert_eq!(config.training.seed, manabi::random::DEFAULT_SEED);
    assert_eq!(config.training.precision, "f64");
    assert_eq!(config.training.gradient, "backprop");
    assert_eq!(config.manabi_version, env!("CARGO_PKG_VERSION"));
    let train = config.train_config(&dir.join("config.json")).unwrap();
    assert_eq!(train.iters, 200);

    let metrics_path = dir.join("metrics.csv");
    let loss = parse_metrics(&read(&metrics_path), &metrics_path).unwrap();
    assert_eq!(loss.len(), 200, "one row per iteration");
    assert!(loss.iter().all(|l| l.is_finite() && *l > 0.0));
    let epochs_path = dir.join("epochs.csv");
    let epochs = parse_epochs(&read(&epochs_path), &epochs_path).unwrap();
    // 8,004 images in batches of 100: an epoch every 80 iterations.
    let at: Vec<usize> = epochs.iter().map(|r| r.iteration).collect();
    assert_eq!(at, vec![0, 80, 160]);

    let saved = load_weights(&dir.join("weights.safetensors")).unwrap();
    assert_eq!(saved.params.w1.dim(), (784, 50));
    assert_eq!(saved.params.b1.len(), 50);
    assert_eq!(saved.params.w2.dim(), (50, 10));
    assert_eq!(saved.params.b2.len(), 10);
    assert_eq!(saved.metadata["iterations"], "200");
    assert_eq!(saved.metadata["status"], "completed");
    let in_weights = RunConfig::from_json(&saved.metadata["config"], Path::new("meta")).unwrap();
    assert_eq!(in_weights, config);

    let summary = read(dir.join("summary.txt"));
    assert!(summary.contains("completed: 200 of 200"), "{summary}");
    assert!(summary.contains("test acc"), "{summary}");

    for (name, size) in [("loss.png", (1200, 480)), ("accuracy.png", (760, 520))] {
        let path = dir.join(name);
        let img = decode_png(&std::fs::read(&path).unwrap(), &path).unwrap();
        assert_eq!((img.width as u32, img.height as u32), size, "{name}");
        // Not a blank page: curves, axes and text are drawn.
        let dark = img.pixels.iter().filter(|&&p| p < 128).count();
        assert!(dark > 1000, "{name} looks empty");
    }
    for name in ["loss.svg", "accuracy.svg"] {
        let svg = read(dir.join(name));
        assert!(
            svg.contains("<svg") && svg.trim_end().ends_with("</svg>"),
            "{name}"
        );
        assert!(svg.contains("<text"), "{name} has no text");
    }
    // Atomic writes leave no temporary files behind.
    let stray: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(stray.is_empty(), "{stray:?}");
}

/// (epoch, iteration, train acc, test acc): an epoch record without its time.
type Accuracies = Vec<(usize, usize, f64, f64)>;

/// The parts of a run that must not depend on where it was interrupted:
/// every loss, every accuracy (not the elapsed time) and the final weights.
fn fingerprint(dir: &Path) -> (String, Accuracies, manabi::Params) {
    let metrics = read(dir.join("metrics.csv"));
    let epochs_path = dir.join("epochs.csv");
    let epochs = parse_epochs(&read(&epochs_path), &epochs_path)
        .unwrap()
        .into_iter()
        .map(|r| (r.epoch, r.iteration, r.train_acc, r.test_acc))
        .collect();
    let params = load_weights(&dir.join("weights.safetensors"))
        .unwrap()
        .params;
    (metrics, epochs, params)
}

fn resumed_equals_uninterrupted(engine: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let common = ["--engine", engine, "--quiet"];
    let run = |args: &[&str]| ok(d, &[args, &common[..]].concat());
    run(&["train", "--iters", "300", "--out", "whole"]);
    // Stopped part-way through an epoch, then continued to the same total.
    run(&["train", "--iters", "130", "--out", "part"]);
    let out = ok(
        d,
        &["train", "--resume", "part", "--iters", "300", "--quiet"],
    );
    assert!(out.contains("resuming after iteration 130"), "{out}");

    let (whole, part) = (fingerprint(&d.join("whole")), fingerprint(&d.join("part")));
    assert_eq!(whole.0.lines().count(), 301);
    assert!(
        whole.0 == part.0,
        "the losses differ after resuming ({engine})"
    );
    assert_eq!(
        whole.1, part.1,
        "the accuracies differ after resuming ({engine})"
    );
    assert_eq!(
        whole.2, part.2,
        "the weights differ after resuming ({engine})"
    );
    let config = RunConfig::read(&d.join("part/config.json")).unwrap();
    assert_eq!(config.training.iters, 300);
    assert_eq!(config.training.engine, engine);
}

#[test]
fn a_resumed_run_is_the_uninterrupted_run_reference_engine() {
    resumed_equals_uninterrupted("reference");
}

#[test]
fn a_resumed_run_is_the_uninterrupted_run_default_engine() {
    resumed_equals_uninterrupted("fast");
}

#[test]
fn a_run_folder_loads_back_as_a_checkpoint() {
    let tmp = tempfile::tempdir().unwrap();
    ok(
        tmp.path(),
        &["train", "--iters", "90", "--out", "r", "--quiet"],
    );
    let saved = RunFolder::open(tmp.path().join("r"))
        .unwrap()
        .load()
        .unwrap();
    assert_eq!(saved.iterations, 90);
    assert_eq!(saved.status, RunStatus::Completed);
    let c = saved.checkpoint();
    assert_eq!(c.history.loss.len(), 90);
    assert_eq!(c.history.epochs.len(), 2);
    assert_eq!(c.params, saved.net.params);
}

/// The safetensors layout, byte by byte: what any reader in any language
/// relies on.
fn check_header_bytes(bytes: &[u8]) {
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    assert!(
        8 + n <= bytes.len(),
        "the header length points past the end"
    );
    let header: serde_json::Value = serde_json::from_slice(&bytes[8..8 + n]).unwrap();
    let meta = &header["__metadata__"];
    assert!(meta["config"].as_str().unwrap().contains("\"sha256\""));
    let shapes = [
        ("W1", vec![784, 50]),
        ("b1", vec![50]),
        ("W2", vec![50, 10]),
        ("b2", vec![10]),
    ];
    let mut spans = Vec::new();
    for (name, shape) in shapes {
        let t = &header[name];
        assert_eq!(t["dtype"], "F64", "{name}");
        let got: Vec<usize> = t["shape"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as usize)
            .collect();
        assert_eq!(got, shape, "{name}");
        let begin = t["data_offsets"][0].as_u64().unwrap() as usize;
        let end = t["data_offsets"][1].as_u64().unwrap() as usize;
        assert_eq!(end - begin, 8 * shape.iter().product::<usize>(), "{name}");
        spans.push((begin, end));
    }
    // The four tensors tile the data section exactly, with no gap or overlap.
    spans.sort();
    assert_eq!(spans[0].0, 0);
    assert!(spans.windows(2).all(|w| w[0].1 == w[1].0));
    assert_eq!(8 + n + spans[3].1, bytes.len());
}

/// The snippet of docs/python-check.md, as a file.
fn python_snippet(dir: &Path) -> PathBuf {
    let doc = read(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/python-check.md"));
    let start = doc.find("```python\n").expect("a python block") + "```python\n".len();
    let end = start + doc[start..].find("```").unwrap();
    let path = dir.join("check.py");
    std::fs::write(&path, &doc[start..end]).unwrap();
    path
}

#[test]
fn the_weights_read_the_same_outside_rust() {
    let tmp = tempfile::tempdir().unwrap();
    ok(
        tmp.path(),
        &["train", "--iters", "400", "--out", "r", "--quiet"],
    );
    let run = tmp.path().join("r");
    check_header_bytes(&std::fs::read(run.join("weights.safetensors")).unwrap());

    let summary = read(run.join("summary.txt"));
    let manabi_acc: f64 = summary
        .split("test acc ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|s| s.parse().ok())
        .expect("summary.txt states the test accuracy");

    // MANABI_PYTHON names another interpreter (or a missing one, to check
    // the fallback).
    let python = std::env::var("MANABI_PYTHON").unwrap_or_else(|_| "python3".into());
    let has_numpy = Command::new(&python)
        .args(["-c", "import numpy"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_numpy {
        eprintln!(
            "{python} with NumPy not found: checked the safetensors header byte by byte only"
        );
        return;
    }
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/mnist-10k");
    let out = Command::new(&python)
        .arg(python_snippet(tmp.path()))
        .arg(&run)
        .arg(&data)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // "test acc 0.9123 (1821/1996)"
    let counts = stdout
        .split('(')
        .nth(1)
        .unwrap()
        .trim_end()
        .trim_end_matches(')');
    let (correct, total) = counts.split_once('/').unwrap();
    let (correct, total): (f64, f64) = (correct.parse().unwrap(), total.parse().unwrap());
    assert_eq!(total, 1996.0);
    // Summation order may differ from NumPy's BLAS: allow one image to tip.
    assert!(
        (correct / total - manabi_acc).abs() <= 1.0 / total + 5e-5,
        "python: {stdout}, manabi: {manabi_acc}"
    );
}

/// A run whose learning rate changed mid-run (as the lab page records it):
/// `eval` and `serve` read it, `--resume` goes on with the last rate, and a
/// change that makes no sense is refused by name.
#[test]
fn learning_rate_changes_are_read_by_eval_serve_and_resume() {
    let tmp = tempfile::tempdir().unwrap();
    ok(
        tmp.path(),
        &["train", "--iters", "160", "--out", "runs/lab", "--quiet"],
    );
    let path = tmp.path().join("runs/lab/config.json");
    let text = read(&path);
    assert!(!text.contains("learning_rate_changes"), "none recorded");
    let changed = text.replace(
        "\"learning_rate\": 0.1,",
        "\"learning_rate\": 0.1,\n    \"learning_rate_changes\": [{\"iteration\": 100, \"lr\": 0.5}],",
    );
    assert_ne!(changed, text);
    std::fs::write(&path, &changed).unwrap();

    let eval = ok(tmp.path(), &["eval", "--run", "runs/lab"]);
    assert!(eval.contains("accuracy"), "{eval}");
    let record = RunConfig::read(&path).unwrap();
    assert_eq!(record.training.lr_at(99), 0.1);
    assert_eq!(record.training.lr_at(100), 0.5);

    // The list `manabi serve` gives the page carries the changes.
    let dir = manabi::serve::RunsDir::new(&tmp.path().join("runs")).unwrap();
    let list = dir.list();
    assert_eq!(
        list[0]["learning_rate_changes"],
        serde_json::json!([{"iteration": 100, "lr": 0.5}])
    );

    // Resuming continues at the rate in force at the end, and keeps the record.
    ok(
        tmp.path(),
        &["train", "--resume", "runs/lab", "--iters", "200", "--quiet"],
    );
    let resumed = RunConfig::read(&path).unwrap();
    assert_eq!(resumed.training.learning_rate_changes.len(), 1);
    assert_eq!(resumed.train_config(&path).unwrap().learning_rate, 0.5);

    // Nonsense is refused, naming the file and the change.
    std::fs::write(&path, changed.replace("\"lr\": 0.5", "\"lr\": -1")).unwrap();
    let out = manabi(tmp.path(), &["eval", "--run", "runs/lab"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("config.json") && err.contains("learning_rate_changes[0]"),
        "{err}"
    );
}
