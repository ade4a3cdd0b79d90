//! The dashboard in a real browser: headless Chromium, driven by
//! chromedriver over WebDriver (a few JSON requests, sent by hand below),
//! opens the page while `manabi train --serve` runs, sees the charts' data
//! grow, waits for the end of the run, then overlays two finished runs.
//! Screenshots of the page mid-run and after it are left in Cargo's
//! target tmp folder (`target/tmp/browser/`).
//!
//! Needs `chromium` and `chromedriver` (Debian: `apt-get install chromium
//! chromium-driver`; `.ci/run` installs them). Without them the test says
//! why it did not run and passes — except under `CI=true`, where it fails.
//! `MANABI_CHROMIUM` and `MANABI_CHROMEDRIVER` name other binaries.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The first of `names` found on PATH (or the path in `env`, if set).
fn find(env: &str, names: &[&str]) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(env) {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| p.is_file())
}

fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// Kills a child process when dropped, whatever happens to the test; with
/// `group`, the process group it leads as well.
struct Reaped {
    child: Child,
    group: bool,
}

impl Drop for Reaped {
    fn drop(&mut self) {
        if self.group {
            // chromedriver leads its own process group: the browser it
            // started goes with it, even if no session ever opened.
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", self.child.id())])
                .stderr(Stdio::null())
                .status();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A WebDriver session: JSON over HTTP/1.1 to chromedriver, one request
/// per connection.
struct Driver {
    addr: SocketAddr,
    session: String,
}

fn http(addr: SocketAddr, method: &str, path: &str, body: Option<&Value>) -> Value {
    let body = body.map(Value::to_string).unwrap_or_default();
    let mut s = TcpStream::connect(addr).expect("chromedriver accepts connections");
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    // chromedriver keeps the connection open: read the head, then exactly
    // the body it announces (by length, or in chunks).
    let mut reader = BufReader::new(s);
    let mut head = String::new();
    loop {
        let mut line = String::new();
        assert!(
            reader.read_line(&mut line).unwrap() > 0,
            "chromedriver hung up"
        );
        if line == "\r\n" {
            break;
        }
        head.push_str(&line);
    }
    let lower = head.to_lowercase();
    let body = if lower.contains("transfer-encoding: chunked") {
        let mut body = Vec::new();
        loop {
            let mut size = String::new();
            reader.read_line(&mut size).unwrap();
            let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
            let mut chunk = vec![0u8; n + 2];
            reader.read_exact(&mut chunk).unwrap();
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
        String::from_utf8(body).unwrap()
    } else {
        let n: usize = lower
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        let mut body = vec![0u8; n];
        reader.read_exact(&mut body).unwrap();
        String::from_utf8(body).unwrap()
    };
    let value: Value = serde_json::from_str(&body)
        .unwrap_or_else(|e| panic!("chromedriver said {head} / {body} ({e})"));
    if let Some(error) = value["value"].get("error") {
        panic!(
            "WebDriver {method} {path}: {error}: {}",
            value["value"]["message"]
        );
    }
    value["value"].clone()
}

impl Driver {
    fn start(addr: SocketAddr, chromium: &Path, profile: &Path) -> Driver {
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--window-size=1280,900",
            &format!("--user-data-dir={}", profile.display()),
        ];
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": chromium, "args": args},
            "goog:loggingPrefs": {"browser": "ALL"},
        }}});
        let value = http(addr, "POST", "/session", Some(&caps));
        Driver {
            addr,
            session: value["sessionId"].as_str().unwrap().to_string(),
        }
    }

    fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Value {
        http(
            self.addr,
            method,
            &format!("/session/{}{path}", self.session),
            body,
        )
    }

    fn go(&self, url: &str) {
        self.call("POST", "/url", Some(&json!({ "url": url })));
    }

    fn script(&self, code: &str) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            Some(&json!({"script": code, "args": []})),
        )
    }

    fn screenshot(&self, file: &Path) {
        let b64 = self.call("GET", "/screenshot", None);
        std::fs::write(file, decode_base64(b64.as_str().unwrap())).unwrap();
    }

    /// The page's messages (errors from scripts, refused loads).
    fn console(&self) -> Vec<Value> {
        self.call("POST", "/se/log", Some(&json!({"type": "browser"})))
            .as_array()
            .cloned()
            .unwrap_or_default()
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let path = format!("/session/{}", self.session);
        let _ = std::panic::catch_unwind(|| http(self.addr, "DELETE", &path, None));
    }
}

fn decode_base64(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        _ => 63,
    };
    let clean: Vec<u8> = text.bytes().filter(|&c| c != b'=' && c != b'\n').collect();
    let mut out = Vec::with_capacity(clean.len() * 3 / 4);
    for chunk in clean.chunks(4) {
        let mut n = 0u32;
        for (k, &c) in chunk.iter().enumerate() {
            n |= u32::from(value(c)) << (18 - 6 * k);
        }
        for k in 0..chunk.len().saturating_sub(1) {
            out.push((n >> (16 - 8 * k)) as u8);
        }
    }
    out
}

/// What the page shows, read from the DOM: the status, how many points
/// each chart drew and up to where, the tiles' and the strip's version.
const LOOK: &str = r##"
const d = (id) => document.getElementById(id).dataset;
return {
  status: document.body.dataset.status,
  iter: document.getElementById("s-iter").textContent,
  loss_points: Number(d("loss-chart").points || 0),
  loss_x: Number(d("loss-chart").xMax || 0),
  epochs: Number(d("acc-chart").points || 0) / 2,
  tiles: Number(d("tiles").version || 0),
  tile_units: Number(d("tiles").units || 0),
  strip: Number(d("strip").version || 0),
  digits: document.querySelectorAll("#strip .digit").length,
  judged: document.querySelectorAll("#strip .digit.right, #strip .digit.wrong").length,
};
"##;

fn poll(driver: &Driver, what: &str, limit: Duration, until: impl Fn(&Value) -> bool) -> Value {
    let start = Instant::now();
    loop {
        let look = driver.script(LOOK);
        if until(&look) {
            return look;
        }
        assert!(
            start.elapsed() < limit,
            "waited {limit:?} for {what}: {look}"
        );
        std::thread::sleep(Duration::from_millis(150));
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn the_page_follows_a_run_in_a_real_browser() {
    let chromium = find(
        "MANABI_CHROMIUM",
        &["chromium", "chromium-browser", "google-chrome"],
    );
    let chromedriver = find("MANABI_CHROMEDRIVER", &["chromedriver"]);
    let (Some(chromium), Some(chromedriver)) = (chromium, chromedriver) else {
        let why = "chromium and chromedriver are not installed (Debian: apt-get install -y chromium chromium-driver)";
        if under_ci() {
            panic!("CI=true but {why}; .ci/run installs them");
        }
        eprintln!("browser test not run: {why}");
        return;
    };
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser");
    std::fs::create_dir_all(&shots).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let manabi = env!("CARGO_BIN_EXE_manabi");

    // A small finished run to compare with, made first.
    let small = Command::new(manabi)
        .args([
            "train",
            "--iters",
            "800",
            "--lr",
            "0.5",
            "--out",
            "runs/lr-0.5",
            "--quiet",
        ])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert!(
        small.status.success(),
        "{}",
        String::from_utf8_lossy(&small.stderr)
    );

    // The browser, ready before training starts.
    let port = free_port();
    let _driver_process = Reaped {
        child: Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts"),
        group: true,
    };
    let driver_addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let start = Instant::now();
    while TcpStream::connect(driver_addr).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "chromedriver did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let driver = Driver::start(driver_addr, &chromium, &tmp.path().join("profile"));

    // A run long enough to be watched (a few seconds on two cores).
    let mut train = Reaped {
        child: Command::new(manabi)
            .args([
                "train",
                "--serve",
                "127.0.0.1:0",
                "--iters",
                "20000",
                "--out",
                "runs/live",
                "--quiet",
            ])
            .current_dir(tmp.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
        group: false,
    };
    let mut out = BufReader::new(train.child.stdout.take().unwrap());
    let url = loop {
        let mut line = String::new();
        assert!(out.read_line(&mut line).unwrap() > 0, "no address printed");
        if let Some(url) = line.trim().strip_prefix("watch it learn: ") {
            break url.to_string();
        }
    };
    driver.go(&url);

    // Mid-run: the charts have data, and then more data.
    let first = poll(&driver, "the first epoch", Duration::from_secs(30), |v| {
        v["status"] == "running"
            && v["epochs"].as_f64() >= Some(1.0)
            && v["tiles"].as_f64() >= Some(1.0)
    });
    driver.screenshot(&shots.join("mid-run.png"));
    let later = poll(
        &driver,
        "the charts to change",
        Duration::from_secs(30),
        |v| {
            v["loss_x"].as_f64() > first["loss_x"].as_f64()
                && v["epochs"].as_f64() > first["epochs"].as_f64()
                && v["tiles"].as_f64() > first["tiles"].as_f64()
        },
    );
    assert!(
        later["loss_points"].as_f64() > first["loss_points"].as_f64(),
        "{first} → {later}"
    );
    assert_eq!(first["digits"], 20);
    assert_eq!(
        first["judged"], 20,
        "every digit of the strip has a prediction"
    );
    assert_eq!(first["tile_units"], 50);

    // The end: every iteration and evaluation is on the page.
    let end = poll(
        &driver,
        "the end of the run",
        Duration::from_secs(120),
        |v| v["status"] == "completed",
    );
    assert_eq!(end["iter"], "20,000 / 20,000");
    assert_eq!(end["epochs"], 250.0, "i % 80 == 0 for i < 20,000");
    assert_eq!(
        end["loss_x"], 19_999.0,
        "the last iteration is on the chart"
    );

    // The finished runs: both listed; tick them to overlay their curves.
    let overlay = r##"
      const boxes = document.querySelectorAll("#run-table tbody input");
      if (boxes.length < 2) return null;
      if (!boxes[0].checked) boxes[0].click();
      if (!boxes[1].checked) boxes[1].click();
      const d = document.getElementById("runs-acc-chart").dataset;
      return { runs: boxes.length, acc_points: Number(d.points || 0),
               loss_points: Number(document.getElementById("runs-loss-chart").dataset.points || 0) };
    "##;
    let start = Instant::now();
    let runs = loop {
        let v = driver.script(overlay);
        // Train and test curves of both runs: 2 × (250 + 10) points.
        if v["acc_points"] == 520 {
            break v;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "no overlay: {v}");
        std::thread::sleep(Duration::from_millis(150));
    };
    assert_eq!(runs["runs"], 2);
    assert!(runs["loss_points"].as_f64() > Some(1000.0), "{runs}");
    driver.script("window.scrollTo(0, 0); return null;");
    driver.screenshot(&shots.join("after-run.png"));
    driver.script("document.getElementById('runs').scrollIntoView(); return null;");
    driver.screenshot(&shots.join("runs.png"));

    // No script errors, no refused loads (the page loads nothing from elsewhere).
    let problems: Vec<Value> = driver
        .console()
        .into_iter()
        .filter(|m| m["level"] == "SEVERE")
        .collect();
    assert!(problems.is_empty(), "the browser console: {problems:?}");
    eprintln!("screenshots in {}", shots.display());
}
