//! A small WebDriver client for the browser tests: chromedriver and
//! headless Chromium, driven with a few JSON requests over HTTP sent by
//! hand (no client library). `Browser::start` finds both binaries; without
//! them a test says why it did not run — except under `CI=true`, where it
//! fails. `MANABI_CHROMIUM` and `MANABI_CHROMEDRIVER` name other binaries.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The first of `names` found on PATH (or the path in `env`, if set).
pub fn find(env: &str, names: &[&str]) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(env) {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| p.is_file())
}

pub fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// Kills a child process when dropped, whatever happens to the test; with
/// `group`, the process group it leads as well.
pub struct Reaped {
    pub child: Child,
    pub group: bool,
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
pub struct Driver {
    addr: SocketAddr,
    session: String,
}

pub fn http(addr: SocketAddr, method: &str, path: &str, body: Option<&Value>) -> Value {
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
    pub fn start(addr: SocketAddr, chromium: &Path, profile: &Path) -> Driver {
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

    pub fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Value {
        http(
            self.addr,
            method,
            &format!("/session/{}{path}", self.session),
            body,
        )
    }

    pub fn go(&self, url: &str) {
        self.call("POST", "/url", Some(&json!({ "url": url })));
    }

    pub fn script(&self, code: &str) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            Some(&json!({"script": code, "args": []})),
        )
    }

    pub fn screenshot(&self, file: &Path) {
        let b64 = self.call("GET", "/screenshot", None);
        std::fs::write(file, decode_base64(b64.as_str().unwrap())).unwrap();
    }

    /// The page's messages (errors from scripts, refused loads).
    pub fn console(&self) -> Vec<Value> {
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

pub fn decode_base64(text: &str) -> Vec<u8> {
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

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// chromedriver and a browser session in `profile`, or `None` (with a line
/// saying why) when either binary is missing outside CI. Under `CI=true` a
/// missing binary fails the test. The session downloads into `downloads`
/// without asking.
pub fn launch(profile: &Path, downloads: &Path) -> Option<(Reaped, Driver)> {
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
        return None;
    };
    let port = free_port();
    let process = Reaped {
        child: Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts"),
        group: true,
    };
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let start = Instant::now();
    while TcpStream::connect(addr).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "chromedriver did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let driver = Driver::start_with(addr, &chromium, profile, Some(downloads));
    Some((process, driver))
}

impl Driver {
    /// A session whose downloads land in `downloads` without a prompt.
    pub fn start_with(
        addr: SocketAddr,
        chromium: &Path,
        profile: &Path,
        downloads: Option<&Path>,
    ) -> Driver {
        let driver = Driver::start(addr, chromium, profile);
        if let Some(dir) = downloads {
            std::fs::create_dir_all(dir).unwrap();
            // Chromium's own command (chromedriver passes it through).
            driver.call(
                "POST",
                "/goog/cdp/execute",
                Some(&json!({
                    "cmd": "Browser.setDownloadBehavior",
                    "params": {"behavior": "allow", "downloadPath": dir, "eventsEnabled": true},
                })),
            );
        }
        driver
    }

    /// The WebDriver reference of the first element matching `css`.
    pub fn element(&self, css: &str) -> Value {
        let found = self.call(
            "POST",
            "/element",
            Some(&json!({"using": "css selector", "value": css})),
        );
        found.as_object().unwrap().values().next().unwrap().clone()
    }

    /// Clicks the first element matching `css`, as a person would.
    pub fn click(&self, css: &str) {
        let id = self.element(css);
        self.call(
            "POST",
            &format!("/element/{}/click", id.as_str().unwrap()),
            Some(&json!({})),
        );
    }

    /// Draws one stroke with a pen on the element `css`: pointer down at
    /// the first point, through the others, up at the last; points are
    /// offsets in CSS pixels from the element's centre.
    pub fn stroke(&self, css: &str, points: &[(i64, i64)]) {
        // Offsets from the element's centre, on the viewport's coordinates.
        let centre = self.call(
            "POST",
            "/execute/sync",
            Some(&json!({
                "script": "const e = document.querySelector(arguments[0]); e.scrollIntoView({block: 'center'}); \
                           const r = e.getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2];",
                "args": [css],
            })),
        );
        let (cx, cy) = (
            centre[0].as_f64().unwrap().round() as i64,
            centre[1].as_f64().unwrap().round() as i64,
        );
        let points: Vec<(i64, i64)> = points.iter().map(|&(x, y)| (cx + x, cy + y)).collect();
        let origin = "viewport";
        let mut actions = vec![json!({
            "type": "pointerMove", "duration": 0, "origin": origin,
            "x": points[0].0, "y": points[0].1,
        })];
        actions.push(json!({"type": "pointerDown", "button": 0}));
        for &(x, y) in &points[1..] {
            actions.push(json!({
                "type": "pointerMove", "duration": 40, "origin": origin, "x": x, "y": y,
            }));
        }
        actions.push(json!({"type": "pointerUp", "button": 0}));
        self.call(
            "POST",
            "/actions",
            Some(&json!({"actions": [{
                "type": "pointer", "id": "pen",
                "parameters": {"pointerType": "pen"},
                "actions": actions,
            }]})),
        );
    }
}

/// A static file server for a test: the files of one folder on
/// 127.0.0.1, one thread per connection, GET and HEAD only. Every answer
/// carries the headers that make a page cross-origin isolated (so
/// TensorFlow.js may use threads). It counts what it serves, so a test
/// knows everything a page loaded, the worker's fetches included.
pub struct StaticServer {
    pub addr: SocketAddr,
    pub served: std::sync::Arc<std::sync::Mutex<Vec<(String, u64)>>>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl StaticServer {
    pub fn start(root: &Path) -> StaticServer {
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::sync::{Arc, Mutex};
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let served = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (root, tally, halt) = (root.to_path_buf(), served.clone(), stop.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if halt.load(Ordering::Relaxed) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let (root, tally) = (root.clone(), tally.clone());
                std::thread::spawn(move || {
                    let _ = serve_one(stream, &root, &tally);
                });
            }
        });
        StaticServer { addr, served, stop }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Bytes served so far, and the paths.
    pub fn total(&self) -> (u64, Vec<String>) {
        let served = self.served.lock().unwrap();
        (
            served.iter().map(|(_, n)| n).sum(),
            served.iter().map(|(p, _)| p.clone()).collect(),
        )
    }
}

impl Drop for StaticServer {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let _ = TcpStream::connect(self.addr);
    }
}

fn serve_one(
    stream: TcpStream,
    root: &Path,
    tally: &std::sync::Mutex<Vec<(String, u64)>>,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header == "\r\n" {
            break;
        }
    }
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
    let path = target.split(['?', '#']).next().unwrap_or("/");
    let path = if path.ends_with('/') {
        format!("{path}index.html")
    } else {
        path.to_string()
    };
    let file = root.join(path.trim_start_matches('/'));
    let mut stream = stream;
    let ok = !path.contains("..") && file.is_file() && (method == "GET" || method == "HEAD");
    if !ok {
        let body = "not found";
        write!(
            stream,
            "HTTP/1.1 404 Not Found\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )?;
        return Ok(());
    }
    let bytes = std::fs::read(&file)?;
    let kind = match file.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "wasm" => "application/wasm",
        "svg" => "image/svg+xml",
        "json" => "application/json",
        _ => "application/octet-stream",
    };
    write!(
        stream,
        "HTTP/1.1 200 OK\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nCache-Control: no-store\r\n\
         Cross-Origin-Opener-Policy: same-origin\r\nCross-Origin-Embedder-Policy: require-corp\r\n\
         Connection: close\r\n\r\n",
        bytes.len()
    )?;
    if method == "GET" {
        stream.write_all(&bytes)?;
        tally
            .lock()
            .unwrap()
            .push((path.clone(), bytes.len() as u64));
    }
    stream.flush()
}
