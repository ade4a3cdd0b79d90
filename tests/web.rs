//! The lab (`web/`, built by `scripts/web.sh`) in headless Chromium, served
//! from 127.0.0.1 by a plain static file server, as a reader would open it:
//!
//! - settings out of range and a learning rate that is not a number get a
//!   message on the page, and the engine stays usable;
//! - the book's experiment on mnist-10k trains to the end (test accuracy at
//!   least 0.93), paused and stepped one mini-batch at a time on the way;
//! - a digit drawn with a pen is read by the network as it is now;
//! - the run downloads as a run folder that `manabi eval --run` reads, and
//!   its metrics are those `manabi train` gives at the 128-bit kernel level
//!   (`MANABI_SIMD=baseline`);
//! - a learning rate changed mid-run is recorded where `manabi` reads it;
//! - the book's numerical gradient runs on its tiny subset;
//! - the page loads nothing from elsewhere, and at most 3 MB in all.
//!
//! Screenshots of the English and Japanese pages go to
//! `target/tmp/web/` (`MANABI_WEB_SHOTS=docs/figures` puts them where the
//! README shows them).
//!
//! Needs Chromium and chromedriver (as `tests/browser.rs`) and the
//! wasm32-unknown-unknown target (`rustup target add
//! wasm32-unknown-unknown`); without them the test says why it did not run,
//! and under `CI=true` it fails. `.ci/run` installs what is missing.
//!
//! `cargo test --release --test web -- --ignored speed --nocapture` times the
//! page against TensorFlow.js and the command line (`scripts/bench-web.sh`).

mod webdriver;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use webdriver::{Driver, StaticServer, under_ci};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn tmp_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Whether rustc can build for the browser here.
fn has_wasm_target() -> bool {
    let sysroot = Command::new("rustc")
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    sysroot.is_some_and(|s| {
        Path::new(&s)
            .join("lib/rustlib/wasm32-unknown-unknown")
            .is_dir()
    })
}

/// The site, built by `scripts/web.sh` once per run of this test binary
/// (cargo rebuilds nothing when nothing changed), or `None` with a line
/// saying why (a failure under CI).
fn site() -> Option<PathBuf> {
    static SITE: OnceLock<Option<PathBuf>> = OnceLock::new();
    SITE.get_or_init(|| {
        if !has_wasm_target() {
            let why = "the wasm32-unknown-unknown target is not installed (rustup target add wasm32-unknown-unknown)";
            assert!(!under_ci(), "CI=true but {why}; .ci/run installs it");
            eprintln!("lab test not run: {why}");
            return None;
        }
        let dist = tmp_dir("web").join("dist");
        let started = Instant::now();
        let out = Command::new("bash")
            .arg(root().join("scripts/web.sh"))
            .arg(&dist)
            .current_dir(root())
            .output()
            .expect("bash runs scripts/web.sh");
        assert!(
            out.status.success(),
            "scripts/web.sh failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        eprintln!(
            "{} ({:.1} s)",
            String::from_utf8_lossy(&out.stdout).trim(),
            started.elapsed().as_secs_f64()
        );
        Some(dist)
    })
    .clone()
}

/// The page's state, read from the DOM and the lab's own objects.
const LOOK: &str = r##"
const body = document.body.dataset;
const s = window.manabi || {};
const last = s.epochs && s.epochs.length ? s.epochs[s.epochs.length - 1] : null;
return {
  status: body.status,
  ready_ms: Number(body.readyMs || 0),
  first_ms: Number(body.firstIterationMs || 0),
  iteration: s.progress ? s.progress.iteration : 0,
  epochs: s.epochs ? s.epochs.length : 0,
  test_acc: last ? last.test_acc : null,
  train_acc: last ? last.train_acc : null,
  runs: Number(body.runs || 0),
  message: document.getElementById("message").textContent,
  alarm: document.getElementById("message").className === "error",
  lr_changes: s.lrChanges || [],
  answer: (document.getElementById("draw") || {dataset: {}}).dataset.answer || "",
  kernels: window.lab && window.lab.info ? window.lab.info.kernels : null,
};
"##;

fn look(driver: &Driver) -> Value {
    driver.script(LOOK)
}

fn wait(driver: &Driver, what: &str, limit: Duration, until: impl Fn(&Value) -> bool) -> Value {
    let start = Instant::now();
    loop {
        let v = look(driver);
        if until(&v) {
            return v;
        }
        assert!(start.elapsed() < limit, "waited {limit:?} for {what}: {v}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Types `text` into the input `id`, as a person replacing its value.
fn set(driver: &Driver, id: &str, text: &str) {
    driver.call(
        "POST",
        "/execute/sync",
        Some(&json!({
            "script": "const e = document.getElementById(arguments[0]); e.value = arguments[1]; \
                       e.dispatchEvent(new Event('input')); e.dispatchEvent(new Event('change')); return null;",
            "args": [id, text],
        })),
    );
}

/// The files of the newest `.zip` in `dir` (a stored zip, as the page
/// writes it), after waiting for one to appear.
fn unzip_download(dir: &Path, dest: &Path) -> PathBuf {
    let start = Instant::now();
    let zip = loop {
        let found = std::fs::read_dir(dir).ok().and_then(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .find(|p| p.extension().is_some_and(|e| e == "zip"))
        });
        if let Some(p) = found {
            break p;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no download in {}",
            dir.display()
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    // The browser renames the file into place once complete.
    std::thread::sleep(Duration::from_millis(300));
    let bytes = std::fs::read(&zip).unwrap();
    let u16_at = |i: usize| u16::from_le_bytes([bytes[i], bytes[i + 1]]) as usize;
    let u32_at = |i: usize| u32::from_le_bytes(bytes[i..i + 4].try_into().unwrap()) as usize;
    let mut folder = None;
    let mut at = 0;
    while u32_at(at) == 0x0403_4b50 {
        assert_eq!(u16_at(at + 8), 0, "stored, not compressed");
        let size = u32_at(at + 18);
        let name_len = u16_at(at + 26);
        let name = std::str::from_utf8(&bytes[at + 30..at + 30 + name_len]).unwrap();
        let data = &bytes[at + 30 + name_len..at + 30 + name_len + size];
        let path = dest.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, data).unwrap();
        folder = Some(path.parent().unwrap().to_path_buf());
        at += 30 + name_len + size;
    }
    std::fs::remove_file(&zip).unwrap();
    folder.expect("files in the zip")
}

fn manabi(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_manabi"))
        .args(args)
        .envs(env.iter().copied())
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "manabi {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn read(path: &Path) -> String {
    let mut s = String::new();
    std::fs::File::open(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .read_to_string(&mut s)
        .unwrap();
    s
}

/// `epochs.csv` without its last column (seconds: they differ run to run).
fn without_timings(csv: &str) -> String {
    csv.lines()
        .map(|l| l.rsplit_once(',').map_or(l, |(a, _)| a))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The seven of tests/browser.rs.
const SEVEN: [(i64, i64); 6] = [
    (-70, -90),
    (70, -90),
    (50, -40),
    (25, 10),
    (5, 60),
    (-5, 100),
];

#[test]
fn the_lab_trains_steps_reads_and_downloads() {
    let Some(dist) = site() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let downloads = tmp.path().join("downloads");
    let Some((_chromedriver, driver)) = webdriver::launch(&tmp.path().join("profile"), &downloads)
    else {
        return;
    };
    let server = StaticServer::start(&dist);
    let shots = std::env::var_os("MANABI_WEB_SHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| tmp_dir("web"));
    std::fs::create_dir_all(&shots).unwrap();

    let opened = Instant::now();
    driver.go(&server.url("/?lang=en"));
    let ready = wait(&driver, "the engine", Duration::from_secs(60), |v| {
        v["status"] == "ready"
    });
    eprintln!(
        "lab: engine ready {:.0} ms after opening the page (kernels {})",
        ready["ready_ms"], ready["kernels"]
    );

    // Bad input: a message, no run, and the page still works.
    set(&driver, "iters", "ten");
    driver.click("#train");
    let v = wait(&driver, "a message", Duration::from_secs(5), |v| {
        v["alarm"] == true
    });
    assert!(v["message"].as_str().unwrap().contains("ten"), "{v}");
    assert_eq!(v["status"], "ready");
    set(&driver, "iters", "10000");
    set(&driver, "lr", "NaN");
    driver.click("#train");
    let v = wait(&driver, "a message", Duration::from_secs(5), |v| {
        v["message"].as_str().unwrap().contains("NaN")
    });
    assert_eq!(v["alarm"], true);
    set(&driver, "lr", "0.1");
    set(&driver, "hidden", "0");
    driver.click("#train");
    let v = wait(&driver, "a message", Duration::from_secs(5), |v| {
        v["message"].as_str().unwrap().contains("out of range")
    });
    assert_eq!(v["status"], "ready");
    // The engine checks too: settings the page would refuse, sent straight
    // to the worker, come back as a message rather than a stuck worker.
    driver.script(
        "window.lab.worker.postMessage({type: 'start', settings: {hidden: 50, lr: -1, batch: 100, \
         iters: 10, std: 0.01, seed: 1, activation: 'sigmoid', gradient: 'backprop'}}); return null;",
    );
    let v = wait(
        &driver,
        "the engine's message",
        Duration::from_secs(5),
        |v| v["message"].as_str().unwrap().contains("learning rate"),
    );
    assert_eq!(v["alarm"], true, "{v}");
    driver.click("#defaults");

    // The book's experiment, paused and stepped on the way.
    driver.click("#train");
    let v = wait(&driver, "some training", Duration::from_secs(60), |v| {
        v["iteration"].as_u64() > Some(300)
    });
    eprintln!(
        "lab: first iteration {:.0} ms after opening the page",
        v["first_ms"]
    );
    driver.click("#pause");
    let paused = wait(&driver, "the pause", Duration::from_secs(10), |v| {
        v["status"] == "paused"
    });
    std::thread::sleep(Duration::from_millis(300));
    let at = look(&driver)["iteration"].as_u64().unwrap();
    assert_eq!(
        at,
        paused["iteration"].as_u64().unwrap(),
        "a paused run stays where it is"
    );
    driver.click("#step");
    wait(&driver, "one step", Duration::from_secs(10), |v| {
        v["iteration"].as_u64() == Some(at + 1)
    });
    driver.click("#step");
    wait(&driver, "another step", Duration::from_secs(10), |v| {
        v["iteration"].as_u64() == Some(at + 2) && v["status"] == "paused"
    });

    // A digit, drawn while the run is paused: read by the network as it is.
    driver.stroke("#draw .pad", &SEVEN[..2]);
    driver.stroke("#draw .pad", &SEVEN[1..]);
    let v = wait(&driver, "an answer", Duration::from_secs(10), |v| {
        v["answer"] != ""
    });
    eprintln!("lab: the drawing reads as {} mid-run", v["answer"]);

    driver.click("#resume");
    let end = wait(
        &driver,
        "the end of the run",
        Duration::from_secs(600),
        |v| v["runs"] == 1,
    );
    assert_eq!(end["status"], "completed", "{end}");
    assert_eq!(end["iteration"], 10_000);
    assert_eq!(end["epochs"], 125);
    let test_acc = end["test_acc"].as_f64().unwrap();
    assert!(
        test_acc >= 0.93,
        "the book's experiment: test acc {test_acc}"
    );
    let finished = driver.script("return window.lab.runs[0].busy_ms;");
    eprintln!(
        "lab: 10,000 iterations and 125 evaluations in {:.2} s of engine time; test acc {test_acc:.4}",
        finished.as_f64().unwrap() / 1000.0
    );
    // The answer follows the network: it was asked again when it changed.
    assert!(
        driver
            .script("return window.manabiDraw.last.answered;")
            .as_u64()
            > Some(1),
        "the drawing is read again as the network learns"
    );
    driver.script("window.scrollTo(0, 0); return null;");
    driver.screenshot(&shots.join("lab-en.png"));

    // Download the run: a run folder `manabi eval` reads.
    driver.click("#run-table button.download");
    let folder = unzip_download(&downloads, &tmp.path().join("unzipped"));
    let eval = manabi(
        tmp.path(),
        &["eval", "--run", folder.to_str().unwrap()],
        &[],
    );
    assert!(
        eval.contains("after 10,000 iterations (completed)"),
        "{eval}"
    );
    let config = read(&folder.join("config.json"));
    let record: Value = serde_json::from_str(&config).unwrap();
    let kernels = record["training"]["kernels"].as_str().unwrap().to_string();
    assert_eq!(
        Some(kernels.as_str()),
        ready["kernels"].as_str(),
        "the page's run records the kernels its engine ran"
    );

    // The same numbers as the command line at the same kernel level.
    manabi(
        tmp.path(),
        &["train", "--iters", "10000", "--out", "cli", "--quiet"],
        &[("MANABI_SIMD", "baseline")],
    );
    let cli = tmp.path().join("cli");
    let same_loss = read(&folder.join("metrics.csv")) == read(&cli.join("metrics.csv"));
    let same_epochs = without_timings(&read(&folder.join("epochs.csv")))
        == without_timings(&read(&cli.join("epochs.csv")));
    assert!(
        same_loss && same_epochs,
        "the page's run and manabi train (MANABI_SIMD=baseline) differ: metrics.csv same {same_loss}, epochs.csv same {same_epochs}"
    );
    eprintln!("lab: metrics.csv and epochs.csv equal the command line's, bit for bit");

    // The Japanese page.
    driver.script(
        "const s = document.getElementById('lang'); s.value = 'ja'; s.dispatchEvent(new Event('change')); return null;",
    );
    let title =
        driver.script("return document.querySelector('[data-i18n=\"lab.train\"]').textContent;");
    assert_eq!(title, "学習");
    driver.script("window.scrollTo(0, 0); return null;");
    driver.screenshot(&shots.join("lab-ja.png"));
    driver.script(
        "const s = document.getElementById('lang'); s.value = 'en'; s.dispatchEvent(new Event('change')); return null;",
    );

    // A learning rate changed mid-run, recorded where manabi reads it.
    set(&driver, "iters", "400");
    driver.click("#step");
    wait(&driver, "a paused run", Duration::from_secs(10), |v| {
        v["status"] == "paused" && v["iteration"] == 1
    });
    driver.click("#step");
    wait(&driver, "a step", Duration::from_secs(10), |v| {
        v["iteration"] == 2
    });
    set(&driver, "lr-now", "0.5");
    driver.click("#apply-lr");
    wait(&driver, "the change", Duration::from_secs(10), |v| {
        v["message"].as_str().unwrap().contains("0.5")
    });
    driver.click("#resume");
    let v = wait(&driver, "the second run", Duration::from_secs(120), |v| {
        v["runs"] == 2
    });
    assert_eq!(v["lr_changes"], json!([{"iteration": 2, "lr": 0.5}]), "{v}");
    driver.click("#run-table tbody tr:first-child button.download");
    let folder = unzip_download(&downloads, &tmp.path().join("unzipped-lr"));
    let record = manabi::report::RunConfig::read(&folder.join("config.json")).unwrap();
    assert_eq!(
        record.training.learning_rate_changes,
        [manabi::report::LearningRateChange {
            iteration: 2,
            lr: 0.5
        }]
    );
    assert_eq!(record.training.learning_rate, 0.1);
    manabi(
        tmp.path(),
        &["eval", "--run", folder.to_str().unwrap()],
        &[],
    );

    // The book's numerical gradient, on its tiny subset.
    driver.script(
        "const g = document.getElementById('gradient'); g.value = 'numerical'; g.dispatchEvent(new Event('change')); return null;",
    );
    let note = driver.script("return document.getElementById('gradient-note').textContent;");
    assert!(note.as_str().unwrap().contains("7,960"), "{note}");
    set(&driver, "iters", "3");
    driver.click("#train");
    let v = wait(
        &driver,
        "the numerical run",
        Duration::from_secs(300),
        |v| v["runs"] == 3,
    );
    assert_eq!(v["status"], "completed", "{v}");
    let summary = driver.script("return window.lab.runs[0].summary;");
    assert_eq!(summary["gradient"], "numerical");
    assert_eq!(summary["train_size"], 100);
    assert_eq!(summary["sizes"], json!([784, 10, 10]));

    // Everything came from this origin, and not much of it.
    let problems: Vec<Value> = driver
        .console()
        .into_iter()
        .filter(|m| m["level"] == "SEVERE")
        .collect();
    assert!(problems.is_empty(), "the browser console: {problems:?}");
    let (bytes, paths) = server.total();
    let mut unique = paths.clone();
    unique.sort();
    unique.dedup();
    let first_load: u64 = {
        let served = server.served.lock().unwrap();
        let mut seen = std::collections::HashSet::new();
        served
            .iter()
            .filter(|(p, _)| seen.insert(p.clone()))
            .map(|(_, n)| n)
            .sum()
    };
    eprintln!(
        "lab: the page loaded {} files, {:.2} MB ({} requests, {:.2} MB in all, reloads included); {:.1} s",
        unique.len(),
        first_load as f64 / 1e6,
        paths.len(),
        bytes as f64 / 1e6,
        opened.elapsed().as_secs_f64()
    );
    assert!(
        first_load <= 3_000_000,
        "everything the page loads ≤ 3 MB: {first_load}"
    );
}

/// The TensorFlow.js page of `bench/tfjs/` with its library files (from
/// `npm ci` there) and the mnist-10k files, in one folder to serve.
fn tfjs_site() -> Option<PathBuf> {
    let bench = root().join("bench/tfjs");
    let modules = bench.join("node_modules/@tensorflow");
    if !modules.is_dir() {
        eprintln!("TensorFlow.js not installed: cd bench/tfjs && npm ci");
        return None;
    }
    let dir = tmp_dir("tfjs");
    std::fs::create_dir_all(dir.join("data")).unwrap();
    let copy = |from: PathBuf, to: &str| {
        std::fs::copy(&from, dir.join(to)).unwrap_or_else(|e| panic!("{}: {e}", from.display()));
    };
    copy(bench.join("index.html"), "index.html");
    copy(bench.join("bench.js"), "bench.js");
    copy(modules.join("tfjs/dist/tf.min.js"), "tf.min.js");
    let wasm = modules.join("tfjs-backend-wasm/dist");
    copy(
        wasm.join("tf-backend-wasm.min.js"),
        "tf-backend-wasm.min.js",
    );
    for f in [
        "tfjs-backend-wasm.wasm",
        "tfjs-backend-wasm-simd.wasm",
        "tfjs-backend-wasm-threaded-simd.wasm",
    ] {
        copy(wasm.join(f), f);
    }
    for f in [
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    ] {
        copy(root().join("data/mnist-10k").join(f), &format!("data/{f}"));
    }
    Some(dir)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// The seed workload (10,000 iterations, 125 evaluations on mnist-10k) by
/// the lab, by TensorFlow.js with each backend, and by the command line on
/// one thread at the 128-bit level, interleaved, `MANABI_BENCH_ROUNDS`
/// rounds (3; TensorFlow.js's CPU backend, at over ten minutes a run, in
/// the first round only); `MANABI_BENCH=lab,wasm,wasm-1,cpu,webgl,native`
/// picks some (wasm-1: the WASM backend on one thread). Prints a table of
/// medians.
#[test]
#[ignore = "minutes of timing: scripts/bench-web.sh runs it"]
fn speed() {
    let rounds: usize = std::env::var("MANABI_BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3);
    let chosen =
        std::env::var("MANABI_BENCH").unwrap_or_else(|_| "lab,wasm,cpu,webgl,native".into());
    let want = |what: &str| chosen.split(',').any(|c| c == what);
    let tmp = tempfile::tempdir().unwrap();
    let Some((_chromedriver, driver)) =
        webdriver::launch(&tmp.path().join("profile"), &tmp.path().join("downloads"))
    else {
        return;
    };
    let lab = if want("lab") { site() } else { None };
    let lab_server = lab.as_ref().map(|d| StaticServer::start(d));
    let tfjs = tfjs_site();
    let tfjs_server = tfjs.as_ref().map(|d| StaticServer::start(d));
    let mut times: std::collections::BTreeMap<String, Vec<f64>> = Default::default();
    let mut notes: std::collections::BTreeMap<String, String> = Default::default();
    for round in 0..rounds {
        if let Some(server) = &lab_server {
            driver.go(&server.url("/?lang=en&run=1"));
            wait(&driver, "the lab's run", Duration::from_secs(900), |v| {
                v["runs"] == 1
            });
            let run = driver.script("return window.lab.runs[0];");
            let wall = run["wall_ms"].as_f64().unwrap() / 1000.0;
            let v = look(&driver);
            notes.insert(
                "lab".into(),
                format!(
                    "manabi.wasm ({}), test acc {:.4}, ready {:.0} ms, first iteration {:.0} ms after opening",
                    v["kernels"].as_str().unwrap_or("?"),
                    v["test_acc"].as_f64().unwrap_or(f64::NAN),
                    v["ready_ms"],
                    v["first_ms"]
                ),
            );
            eprintln!("round {round}: lab {wall:.2} s");
            times.entry("lab".into()).or_default().push(wall);
        }
        if let Some(server) = &tfjs_server {
            for (backend, query) in [
                ("wasm", "backend=wasm"),
                ("wasm-1", "backend=wasm&threads=1"),
                ("cpu", "backend=cpu"),
                ("webgl", "backend=webgl"),
            ] {
                // The CPU backend takes minutes: once is enough.
                if !want(backend) || (backend == "cpu" && round > 0) {
                    continue;
                }
                driver.go(&server.url(&format!("/?{query}")));
                let start = Instant::now();
                let result = loop {
                    let r = driver.script("return document.body.dataset.result || null;");
                    if let Some(text) = r.as_str() {
                        break serde_json::from_str::<Value>(text).unwrap();
                    }
                    assert!(
                        start.elapsed() < Duration::from_secs(1800),
                        "TensorFlow.js {backend} did not finish"
                    );
                    std::thread::sleep(Duration::from_millis(200));
                };
                let key = format!("tfjs-{backend}");
                if let Some(e) = result.get("error") {
                    notes.insert(key, format!("did not run: {e}"));
                    eprintln!("round {round}: TensorFlow.js {backend} did not run: {e}");
                    continue;
                }
                let s = result["seconds"].as_f64().unwrap();
                eprintln!("round {round}: TensorFlow.js {backend} {s:.2} s ({result})");
                notes.insert(key.clone(), result.to_string());
                times.entry(key).or_default().push(s);
            }
        }
        if want("native") {
            let out = Command::new(env!("CARGO_BIN_EXE_manabi"))
                .args(["train", "--iters", "10000", "--no-save", "--quiet"])
                .env("MANABI_SIMD", "baseline")
                .env("RAYON_NUM_THREADS", "1")
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&out.stdout).to_string()
                + &String::from_utf8_lossy(&out.stderr);
            let seconds = text
                .lines()
                .find_map(|l| l.split_once("iterations in ").map(|(_, r)| r))
                .and_then(|r| r.split(' ').next())
                .and_then(|s| s.parse::<f64>().ok())
                .unwrap_or_else(|| panic!("no time in: {text}"));
            eprintln!("round {round}: native 1 thread baseline {seconds:.2} s");
            times.entry("native".into()).or_default().push(seconds);
        }
    }
    println!("\n| runner | median s | rounds | ratio to the lab |");
    println!("| --- | --- | --- | --- |");
    let lab_median = times.get("lab").map(|v| median(v.clone()));
    for (name, v) in &times {
        let m = median(v.clone());
        let ratio = lab_median.map_or("–".into(), |l| format!("{:.2}×", m / l));
        println!("| {name} | {m:.2} | {} | {ratio} |", v.len());
    }
    for (name, note) in &notes {
        println!("{name}: {note}");
    }
}
