//! `manabi train`, `eval` and `predict` as a user meets them: what they
//! print, how they fail, and what Ctrl-C leaves behind.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use manabi::data::Dataset;
use manabi::report::{load_weights, parse_metrics};

fn manabi(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_manabi"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
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

/// Runs a command that must fail; returns its stderr.
fn fails(dir: &Path, args: &[&str]) -> String {
    let out = manabi(dir, args);
    assert!(!out.status.success(), "manabi {args:?} should fail");
    String::from_utf8(out.stderr).unwrap()
}

/// Our own errors are one line naming the flag or file: `manabi: error: …`.
fn one_line_error(stderr: &str, mentions: &str) {
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.contains("warning:")).collect();
    assert_eq!(lines.len(), 1, "not one line: {stderr}");
    assert!(lines[0].starts_with("manabi: error: "), "{stderr}");
    assert!(lines[0].contains(mentions), "{mentions:?} not in {stderr}");
}

#[test]
fn plain_progress_states_the_rule_of_thumb_and_the_verdict() {
    let tmp = tempfile::tempdir().unwrap();
    let out = ok(tmp.path(), &["train", "--iters", "200", "--out", "r"]);
    // Off a terminal: one plain line per epoch, the book's format inside it.
    let epochs: Vec<&str> = out.lines().filter(|l| l.starts_with("epoch")).collect();
    assert_eq!(epochs.len(), 3, "{out}");
    assert!(epochs[1].contains("train acc, test acc |"), "{out}");
    assert!(
        out.contains("rule of thumb: 39,760 parameters want about 397,600"),
        "{out}"
    );
    assert!(out.contains("8,004 is 2% of that"), "{out}");
    assert!(out.contains("overfitting") || out.contains("gap"), "{out}");
    assert!(out.contains("done: 200 iterations"), "{out}");
    assert!(!out.contains('\x1b'), "no terminal codes off a terminal");
}

#[test]
fn json_prints_one_object_per_epoch_and_nothing_else_on_stdout() {
    let tmp = tempfile::tempdir().unwrap();
    let out = ok(
        tmp.path(),
        &["train", "--iters", "200", "--out", "r", "--json"],
    );
    let objects: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}")))
        .collect();
    assert_eq!(objects.len(), 4, "3 epochs and the end: {out}");
    for (k, o) in objects[..3].iter().enumerate() {
        assert_eq!(o["event"], "epoch");
        assert_eq!(o["epoch"], k);
        assert_eq!(o["iteration"], 80 * k);
        let acc = o["test_acc"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&acc));
        assert!(o["loss"].as_f64().unwrap() > 0.0);
    }
    let end = &objects[3];
    assert_eq!(end["event"], "end");
    assert_eq!(end["status"], "completed");
    assert_eq!(end["iterations"], 200);
    assert!(end["overfits"].is_boolean());
}

#[test]
fn train_size_trains_on_the_first_images() {
    let tmp = tempfile::tempdir().unwrap();
    let out = ok(
        tmp.path(),
        &[
            "train",
            "--train-size",
            "250",
            "--iters",
            "20",
            "--out",
            "r",
        ],
    );
    assert!(out.contains("250 of 8,004 train"), "{out}");
    // 250 images in batches of 100: an epoch every 2 iterations.
    assert_eq!(out.lines().filter(|l| l.starts_with("epoch")).count(), 10);
    let config = manabi::report::RunConfig::read(&tmp.path().join("r/config.json")).unwrap();
    assert_eq!(config.dataset.train_size, 250);
    assert_eq!(config.dataset.full_train_size, 8004);
    assert_eq!(config.training.iter_per_epoch, 2);
}

#[test]
fn bad_flags_are_one_line_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    one_line_error(&fails(d, &["train", "--lr", "-1", "--out", "a"]), "--lr -1");
    one_line_error(&fails(d, &["train", "--lr", "NaN", "--out", "a"]), "--lr");
    one_line_error(
        &fails(d, &["train", "--batch", "0", "--out", "a"]),
        "--batch 0",
    );
    one_line_error(
        &fails(d, &["train", "--iters", "0", "--out", "a"]),
        "--iters 0",
    );
    one_line_error(&fails(d, &["train", "--train-size", "0"]), "--train-size 0");
    one_line_error(
        &fails(d, &["train", "--train-size", "99999"]),
        "--train-size 99999",
    );
    one_line_error(
        &fails(d, &["train", "--resume", "nowhere"]),
        "--resume nowhere",
    );
    one_line_error(
        &fails(d, &["train", "--data-dir", "nowhere"]),
        "--data-dir nowhere",
    );
    one_line_error(&fails(d, &["eval", "--run", "nowhere"]), "--run nowhere");
    // A failed flag check creates no folder.
    assert!(!d.join("a").exists());

    ok(d, &["train", "--iters", "5", "--out", "done", "--quiet"]);
    one_line_error(
        &fails(d, &["train", "--iters", "5", "--out", "done"]),
        "already holds a run",
    );
    one_line_error(
        &fails(d, &["train", "--resume", "done"]),
        "give a larger --iters",
    );
    // clap's own message for flags that contradict each other.
    let out = manabi(d, &["train", "--resume", "done", "--lr", "0.5"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.starts_with("error: the argument '--resume <DIR>' cannot be used with '--lr <LR>'"),
        "{err}"
    );
}

#[test]
fn a_diverging_run_stops_with_the_iteration_and_keeps_its_folder() {
    let tmp = tempfile::tempdir().unwrap();
    // The sigmoid keeps the loss bounded for most learning rates; at 1e308
    // the weights overflow within a few iterations and the loss is NaN.
    let out = manabi(
        tmp.path(),
        &["train", "--lr", "1e308", "--iters", "200", "--out", "nan"],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    one_line_error(&err, "at iteration ");
    assert!(err.contains("the loss became"), "{err}");
    assert!(err.contains("smaller learning rate (--lr)"), "{err}");
    let iteration: usize = err
        .split("at iteration ")
        .nth(1)
        .and_then(|s| s.split(':').next())
        .and_then(|s| s.parse().ok())
        .expect("the iteration is named");

    let dir = tmp.path().join("nan");
    let metrics = std::fs::read_to_string(dir.join("metrics.csv")).unwrap();
    let loss = parse_metrics(&metrics, &dir.join("metrics.csv")).unwrap();
    assert_eq!(loss.len(), iteration + 1, "every loss up to the bad one");
    assert!(!loss[iteration].is_finite());
    let summary = std::fs::read_to_string(dir.join("summary.txt")).unwrap();
    assert!(summary.contains("diverged"), "{summary}");
    assert!(dir.join("loss.png").exists() && dir.join("config.json").exists());
    if dir.join("weights.safetensors").exists() {
        let saved = load_weights(&dir.join("weights.safetensors")).unwrap();
        assert_eq!(saved.metadata["status"], "diverged");
        assert!(saved.params.all_finite(), "the last good weights are kept");
    }
    // Resuming cannot help: it says so.
    one_line_error(
        &fails(tmp.path(), &["train", "--resume", "nan", "--iters", "300"]),
        "diverged",
    );
}

/// Sends SIGINT to a running process, as Ctrl-C in a terminal does.
fn interrupt(pid: u32) {
    let status = Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
}

#[test]
fn ctrl_c_leaves_a_complete_run_folder_that_resumes() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let mut child = Command::new(env!("CARGO_BIN_EXE_manabi"))
        .args(["train", "--iters", "1000000", "--out", "stopped", "--quiet"])
        .current_dir(d)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    // Wait for the first epoch line: by then the handler is installed and
    // training is under way.
    loop {
        let line = lines.next().expect("an epoch line before the end").unwrap();
        if line.starts_with("epoch") {
            break;
        }
    }
    interrupt(child.id());
    let rest: Vec<String> = lines.map(|l| l.unwrap()).collect();
    // A guard, not a timing assertion: a run that ignored SIGINT would
    // otherwise keep the suite waiting for a million iterations.
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("manabi did not stop after SIGINT");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted after"), "{stderr}");
    assert!(stderr.contains("--resume stopped"), "{stderr}");
    assert!(rest.iter().any(|l| l.starts_with("done:")), "{rest:?}");

    let dir = d.join("stopped");
    for name in [
        "config.json",
        "metrics.csv",
        "epochs.csv",
        "weights.safetensors",
        "summary.txt",
        "loss.png",
        "loss.svg",
        "accuracy.png",
        "accuracy.svg",
    ] {
        assert!(dir.join(name).is_file(), "{name} missing");
    }
    let saved = load_weights(&dir.join("weights.safetensors")).unwrap();
    assert_eq!(saved.metadata["status"], "interrupted");
    let stopped_at: usize = saved.metadata["iterations"].parse().unwrap();
    let metrics = std::fs::read_to_string(dir.join("metrics.csv")).unwrap();
    let loss = parse_metrics(&metrics, &dir.join("metrics.csv")).unwrap();
    assert!((1..1_000_000).contains(&stopped_at));
    assert_eq!(
        loss.len(),
        stopped_at,
        "metrics.csv ends where the weights are"
    );

    // Wherever it stopped, resuming gives the run that never stopped.
    let total = (stopped_at + 100).to_string();
    ok(
        d,
        &["train", "--resume", "stopped", "--iters", &total, "--quiet"],
    );
    ok(
        d,
        &["train", "--iters", &total, "--out", "straight", "--quiet"],
    );
    let read = |run: &str| std::fs::read_to_string(d.join(run).join("metrics.csv")).unwrap();
    assert!(read("stopped") == read("straight"), "resumed losses differ");
    let weights = |run: &str| {
        load_weights(&d.join(run).join("weights.safetensors"))
            .unwrap()
            .params
    };
    assert_eq!(weights("stopped"), weights("straight"));
}

/// One trained run shared by the eval and predict tests.
fn trained_run() -> &'static Path {
    static RUN: OnceLock<tempfile::TempDir> = OnceLock::new();
    RUN.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap();
        ok(
            tmp.path(),
            &["train", "--iters", "1500", "--out", "r", "--quiet"],
        );
        tmp
    })
    .path()
}

#[test]
fn eval_prints_the_confusion_matrix_and_draws_the_model() {
    let base = trained_run();
    let out = ok(base, &["eval", "--run", "r", "--mistakes", "12"]);
    assert!(out.contains("confusion matrix"), "{out}");
    assert!(out.contains("per-class accuracy"), "{out}");
    // Ten rows of the matrix whose counts add up to the test set.
    let total: usize = out
        .lines()
        .skip_while(|l| !l.starts_with("confusion matrix"))
        .skip(2)
        .take(10)
        .flat_map(|l| {
            l.split_whitespace()
                .skip(1)
                .filter_map(|c| c.parse::<usize>().ok())
                .collect::<Vec<_>>()
        })
        .sum();
    assert_eq!(total, 1996, "{out}");
    // One accuracy: eval prints what train reported for the same weights.
    let dir = base.join("r");
    let summary = std::fs::read_to_string(dir.join("summary.txt")).unwrap();
    let trained = summary
        .split("test acc ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("{summary}"));
    assert!(
        out.contains(&format!("accuracy {trained}")),
        "train said {trained}:\n{out}"
    );
    for name in ["mistakes.png", "weights.png"] {
        let path = dir.join(name);
        let img = manabi::report::decode_png(&std::fs::read(&path).unwrap(), &path).unwrap();
        assert!(
            img.width > 500 && img.height > 300,
            "{name}: {}×{}",
            img.width,
            img.height
        );
    }
    assert!(
        std::fs::read_to_string(dir.join("eval.txt"))
            .unwrap()
            .contains("confusion matrix")
    );
}

/// `image` (28×28) drawn `scale` times larger as black ink on white paper,
/// in the middle of a larger canvas, as a P2 PGM.
fn paper_pgm(image: &[u8], scale: usize, margin: usize) -> String {
    let side = 28 * scale + 2 * margin;
    let mut s = format!("P2\n# a digit on paper\n{side} {side}\n255\n");
    for y in 0..side {
        let row: Vec<String> = (0..side)
            .map(|x| {
                let inside = |v: usize| v >= margin && v < margin + 28 * scale;
                let p = if inside(x) && inside(y) {
                    image[(y - margin) / scale * 28 + (x - margin) / scale]
                } else {
                    0
                };
                (255 - p).to_string()
            })
            .collect();
        s.push_str(&row.join(" "));
        s.push('\n');
    }
    s
}

#[test]
fn predict_reads_a_digit_as_mnist_would() {
    let base = trained_run();
    let data = Dataset::embedded();
    // Test images 0 and 1 of mnist-10k: a 7 and a 2 (see eval's output).
    for i in [0, 1] {
        let label = data.test.label(i);
        let image = data.test.image(i);
        // As stored: a 28×28 P5, taken as is.
        let mut p5 = b"P5\n28 28\n255\n".to_vec();
        p5.extend_from_slice(image);
        let small = base.join(format!("digit{i}.pgm"));
        std::fs::write(&small, p5).unwrap();
        // Larger, inverted and off-centre: scaled and centred first.
        let big = base.join(format!("paper{i}.pgm"));
        std::fs::write(&big, paper_pgm(image, 3, 17)).unwrap();
        for file in [&small, &big] {
            let out = ok(base, &["predict", "--run", "r", file.to_str().unwrap()]);
            let ranked: Vec<(usize, f64)> = out
                .lines()
                .skip(1)
                .map(|l| {
                    let mut w = l.split_whitespace();
                    (
                        w.next().unwrap().parse().unwrap(),
                        w.next().unwrap().parse().unwrap(),
                    )
                })
                .collect();
            assert_eq!(ranked.len(), 10, "{out}");
            assert!(
                ranked.windows(2).all(|w| w[0].1 >= w[1].1),
                "best first: {out}"
            );
            let sum: f64 = ranked.iter().map(|r| r.1).sum();
            assert!((sum - 1.0).abs() < 1e-3, "probabilities: {out}");
            assert_eq!(ranked[0].0, label, "{}: {out}", file.display());
        }
    }
    let blank = base.join("blank.pgm");
    std::fs::write(&blank, "P2 40 40 255\n".to_string() + &"255 ".repeat(1600)).unwrap();
    one_line_error(
        &fails(base, &["predict", "--run", "r", "blank.pgm"]),
        "blank",
    );
    std::fs::write(base.join("junk.png"), b"not an image").unwrap();
    one_line_error(
        &fails(base, &["predict", "--run", "r", "junk.png"]),
        "junk.png",
    );
    one_line_error(
        &fails(base, &["predict", "--run", "r", "missing.png"]),
        "missing.png",
    );
}

/// f32 on the AVX-512 FMA kernels (`MANABI_SIMD=avx512`) and with the
/// processor's best (AMX where it has it, the same FMA kernels elsewhere):
/// each run names its kernels, and the two train alike — the same losses to
/// the last bits, bit for bit when both ran the same kernels. On an AMX
/// machine this is also what keeps the FMA path of f32 (lit-pixel lists,
/// the loss pass reusing them, evaluation) under test.
#[test]
fn f32_trains_alike_on_every_kernel() {
    let tmp = tempfile::tempdir().unwrap();
    let run = |simd: Option<&str>, out: &str| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_manabi"));
        cmd.args([
            "train",
            "--iters",
            "300",
            "--precision",
            "f32",
            "--quiet",
            "--out",
            out,
        ])
        .current_dir(tmp.path())
        .stdin(Stdio::null());
        match simd {
            Some(level) => cmd.env("MANABI_SIMD", level),
            None => cmd.env_remove("MANABI_SIMD"),
        };
        let done = cmd.output().expect("the manabi binary runs");
        assert!(
            done.status.success(),
            "{}",
            String::from_utf8_lossy(&done.stderr)
        );
        let dir = tmp.path().join(out);
        let config = std::fs::read_to_string(dir.join("config.json")).unwrap();
        let path = dir.join("metrics.csv");
        let metrics = parse_metrics(&std::fs::read_to_string(&path).unwrap(), &path).unwrap();
        (config, metrics)
    };
    let (fma_config, fma) = run(Some("avx512"), "fma");
    let (best_config, best) = run(None, "best");
    // Each run names its kernels: the levels this test exercised.
    for config in [&fma_config, &best_config] {
        let kernels = config
            .split("\"kernels\": \"")
            .nth(1)
            .and_then(|k| k.split('"').next());
        manabi::engine::testing::exercised(kernels.unwrap_or_else(|| panic!("{config}")));
    }
    assert!(!fma_config.contains("\"kernels\": \"amx\""), "{fma_config}");
    let amx = best_config.contains("\"kernels\": \"amx\"");
    assert_eq!(fma.len(), 300);
    assert_eq!(best.len(), 300);
    for (i, (a, b)) in fma.iter().zip(&best).enumerate() {
        if amx {
            assert!(
                (a - b).abs() <= 1e-4 * a.abs(),
                "iteration {i}: FMA {a}, AMX {b}"
            );
        } else {
            assert_eq!(a.to_bits(), b.to_bits(), "iteration {i}");
        }
    }
}
