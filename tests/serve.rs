//! The dashboard's server over real HTTP on 127.0.0.1: every endpoint, the
//! event stream during a training run, path traversal in its many
//! spellings, malformed requests, and clients that stall or vanish while
//! the network trains.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::{Arc, OnceLock, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

use manabi::data::Dataset;
use manabi::report::{RunConfig, RunFolder, RunStatus};
use manabi::serve::{App, Limits, Live, LiveObserver, LiveRun, RunsDir, Server};
use manabi::train::{EpochRecord, History, Observer, TrainConfig, Trained, train};
use manabi::{TwoLayerNet, report::class_names};

// ------------------------------------------------------------------ helpers

/// An answer: status code, head (lower-cased), body.
struct Reply {
    status: u16,
    head: String,
    body: Vec<u8>,
}

impl Reply {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
    fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|l| {
            let (n, v) = l.split_once(':')?;
            (n.trim() == name).then(|| v.trim().to_string())
        })
    }
}

/// Sends `request` as raw bytes and reads the whole answer.
fn raw(addr: SocketAddr, request: &[u8]) -> Reply {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let _ = s.write_all(request);
    let mut all = Vec::new();
    // The server may close before reading everything we sent: a reset
    // after the answer arrived is fine.
    let _ = s.read_to_end(&mut all);
    let split = all
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no head in {:?}", String::from_utf8_lossy(&all)));
    let head = String::from_utf8_lossy(&all[..split]).to_lowercase();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status in {head}"));
    Reply {
        status,
        head,
        body: all[split + 4..].to_vec(),
    }
}

fn get(addr: SocketAddr, path: &str) -> Reply {
    raw(
        addr,
        format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").as_bytes(),
    )
}

/// A short real run, trained once for all tests.
fn trained() -> &'static (Dataset, TrainConfig, Trained) {
    static RUN: OnceLock<(Dataset, TrainConfig, Trained)> = OnceLock::new();
    RUN.get_or_init(|| {
        let data = Dataset::embedded();
        let config = TrainConfig {
            iters: 200,
            ..TrainConfig::default()
        };
        let run = train(&data, &config, &mut ()).unwrap();
        (data, config, run)
    })
}

/// Writes the run folder `dir` as `manabi train` would, plus a picture.
fn write_run(dir: &Path) {
    let (data, config, run) = trained();
    let folder = RunFolder::create(dir).unwrap();
    let record = RunConfig::new(config, data, None, data.train.len());
    folder
        .write_state(
            &record,
            &run.history,
            Some(&run.net.params),
            run.iterations,
            RunStatus::Completed,
        )
        .unwrap();
    folder.write_summary("status: completed\n").unwrap();
    std::fs::write(dir.join("loss.png"), b"\x89PNG\r\n\x1a\nnot really").unwrap();
}

fn live_for(data: &Dataset, config: &TrainConfig) -> Arc<Live> {
    let record = RunConfig::new(config, data, None, data.train.len());
    Live::new(LiveRun {
        config: serde_json::to_value(&record).unwrap(),
        iters: config.iters,
        batch_size: config.batch_size,
        iter_per_epoch: config.iter_per_epoch(data.train.len()),
        test: &data.test,
        classes: class_names(&data.name),
        history: &History::default(),
    })
}

fn serve(app: App) -> Server {
    serve_with(app, Limits::default())
}

fn serve_with(app: App, limits: Limits) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    Server::start_with(listener, app, limits).unwrap()
}

/// A folder of two runs, and a server with it and a live run.
fn fixture() -> (tempfile::TempDir, Server) {
    let tmp = tempfile::tempdir().unwrap();
    let runs = tmp.path().join("runs");
    write_run(&runs.join("20250101-120000"));
    write_run(&runs.join("20250102-120000"));
    let (data, config, _) = trained();
    let server = serve(App {
        live: Some(live_for(data, config)),
        runs: Some(RunsDir::new(&runs).unwrap()),
    });
    (tmp, server)
}

/// Server-sent events, read one by one.
struct Events {
    reader: BufReader<TcpStream>,
}

impl Events {
    fn open(addr: SocketAddr) -> Events {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        s.write_all(b"GET /api/live/events HTTP/1.1\r\nHost: localhost\r\n\r\n")
            .unwrap();
        let mut reader = BufReader::new(s);
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        assert!(line.starts_with("HTTP/1.1 200"), "{line}");
        loop {
            line.clear();
            reader.read_line(&mut line).unwrap();
            if line.to_lowercase().starts_with("content-type:") {
                assert!(line.contains("text/event-stream"), "{line}");
            }
            if line == "\r\n" {
                break;
            }
        }
        Events { reader }
    }

    /// The next event's name and data; `None` when the stream ends.
    fn next(&mut self) -> Option<(String, Value)> {
        let (mut name, mut data) = (String::new(), String::new());
        loop {
            let mut line = String::new();
            if self.reader.read_line(&mut line).ok()? == 0 {
                return None;
            }
            let line = line.trim_end_matches('\n');
            if line.is_empty() {
                if !data.is_empty() {
                    return Some((name, serde_json::from_str(&data).unwrap()));
                }
            } else if let Some(n) = line.strip_prefix("event: ") {
                name = n.to_string();
            } else if let Some(d) = line.strip_prefix("data: ") {
                data.push_str(d);
            }
        }
    }
}

/// Lets a test watch a run closely: sleeps a little every iteration.
struct Slow(LiveObserver, Duration);

impl Observer for Slow {
    fn on_iteration(&mut self, i: usize, loss: f64) {
        thread::sleep(self.1);
        self.0.on_iteration(i, loss);
    }
    fn on_epoch(&mut self, r: &EpochRecord, net: &TwoLayerNet) {
        self.0.on_epoch(r, net);
    }
}

// ------------------------------------------------------------------ endpoints

#[test]
fn every_endpoint_answers() {
    let (_tmp, server) = fixture();
    let a = server.addr();

    let page = get(a, "/");
    assert_eq!(page.status, 200);
    assert!(
        page.header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    assert!(page.text().contains("<canvas id=\"loss-chart\""));
    // Everything from this server: no address of another in the page.
    assert!(!page.text().contains("http://") && !page.text().contains("https://"));
    assert!(
        page.header("content-security-policy")
            .unwrap()
            .contains("default-src 'self'")
    );
    for (path, kind) in [
        ("/app.js", "text/javascript"),
        ("/chart.js", "text/javascript"),
        ("/style.css", "text/css"),
        ("/favicon.svg", "image/svg+xml"),
    ] {
        let r = get(a, path);
        assert_eq!(r.status, 200, "{path}");
        assert!(
            r.header("content-type").unwrap().starts_with(kind),
            "{path}"
        );
        assert_eq!(
            r.header("content-length").unwrap(),
            r.body.len().to_string()
        );
    }
    assert_eq!(get(a, "/favicon.ico").status, 204);

    let info = get(a, "/api/info").json();
    assert_eq!(info["live"], true);
    assert_eq!(info["runs"], true);

    let live = get(a, "/api/live").json();
    assert_eq!(live["iters"], 200);
    assert_eq!(live["status"], "running");
    assert_eq!(live["config"]["network"]["sizes"][1], 50);
    assert_eq!(live["strip"]["labels"].as_array().unwrap().len(), 20);
    assert_eq!(live["loss"].as_array().unwrap().len(), 0);

    let mut events = Events::open(a);
    let (name, snapshot) = events.next().unwrap();
    assert_eq!(name, "snapshot");
    assert_eq!(snapshot["iters"], 200);

    let list = get(a, "/api/runs").json();
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["20250102-120000", "20250101-120000"], "newest first");
    assert_eq!(list[0]["status"], "completed");
    assert_eq!(list[0]["iterations"], 200);
    assert_eq!(list[0]["learning_rate"], 0.1);
    assert_eq!(list[0]["last_epoch"]["iteration"], 160);
    assert!((0.0..=1.0).contains(&list[0]["last_epoch"]["test_acc"].as_f64().unwrap()));

    let run = get(a, "/api/runs/20250101-120000").json();
    assert_eq!(run["loss"].as_array().unwrap().len(), 200);
    assert_eq!(run["epochs"].as_array().unwrap().len(), 3);
    assert_eq!(run["config"]["training"]["iters"], 200);

    let tiles = get(a, "/api/runs/20250101-120000/weights").json();
    assert_eq!(
        (tiles["rows"].clone(), tiles["units"].clone()),
        (28.into(), 50.into())
    );
    assert_eq!(tiles["data"].as_str().unwrap().len(), 784 * 50 / 3 * 4 + 4);

    let csv = get(a, "/runs/20250101-120000/metrics.csv");
    assert_eq!(csv.status, 200);
    assert!(csv.text().starts_with("iteration,loss\n0,"));
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    assert_eq!(
        get(a, "/runs/20250101-120000/loss.png")
            .header("content-type")
            .unwrap(),
        "image/png"
    );
    let weights = get(a, "/runs/20250101-120000/weights.safetensors");
    assert_eq!(weights.status, 200);
    assert_eq!(
        weights.body.len().to_string(),
        weights.header("content-length").unwrap()
    );
    assert_eq!(
        get(a, "/runs/20250101-120000/summary.txt").text(),
        "status: completed\n"
    );

    // HEAD: the same head, no body.
    let head = raw(a, b"HEAD /api/runs HTTP/1.1\r\nHost: localhost\r\n\r\n");
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert!(
        head.header("content-length")
            .unwrap()
            .parse::<usize>()
            .unwrap()
            > 100
    );

    for missing in [
        "/nope",
        "/api/nope",
        "/api/runs/nope",
        "/api/runs/nope/weights",
        "/runs/20250101-120000/nope.csv",
        "/runs/nope/metrics.csv",
        "/runs/20250101-120000",
    ] {
        assert_eq!(get(a, missing).status, 404, "{missing}");
    }
}

#[test]
fn a_server_without_a_live_run_or_runs_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let only_runs = serve(App {
        live: None,
        runs: Some(RunsDir::new(tmp.path()).unwrap()),
    });
    let a = only_runs.addr();
    assert_eq!(get(a, "/api/info").json()["live"], false);
    assert_eq!(get(a, "/api/live").status, 404);
    assert_eq!(get(a, "/api/live/events").status, 404);
    assert_eq!(get(a, "/api/runs").json(), serde_json::json!([]));

    let (data, config, _) = trained();
    let only_live = serve(App {
        live: Some(live_for(data, config)),
        runs: None,
    });
    let a = only_live.addr();
    assert_eq!(get(a, "/api/runs").status, 404);
    assert_eq!(get(a, "/runs/x/metrics.csv").status, 404);
    assert_eq!(get(a, "/").status, 200);
}

// ------------------------------------------------------------------ the stream

#[test]
fn the_stream_delivers_every_epoch_during_a_run() {
    let data = Dataset::embedded();
    let config = TrainConfig {
        iters: 400,
        ..TrainConfig::default()
    };
    let live = live_for(&data, &config);
    let server = serve(App {
        live: Some(live.clone()),
        runs: None,
    });
    let addr = server.addr();

    let (connected, ready) = mpsc::channel();
    let client = thread::spawn(move || {
        let mut events = Events::open(addr);
        let first = events.next().unwrap();
        connected.send(()).unwrap();
        let mut all = vec![first];
        while let Some(e) = events.next() {
            all.push(e);
        }
        all
    });
    ready.recv_timeout(Duration::from_secs(20)).unwrap();
    // ~2 ms per iteration: the run lasts about a second, several updates.
    let mut observer = Slow(LiveObserver::new(live), Duration::from_millis(2));
    train(&data, &config, &mut observer).unwrap();
    observer.0.finish("completed");
    let events = client.join().unwrap();

    let (name, snapshot) = &events[0];
    assert_eq!(name, "snapshot");
    assert_eq!(snapshot["status"], "running");
    assert!(snapshot["epochs"].as_array().unwrap().is_empty());
    let updates: Vec<&Value> = events[1..]
        .iter()
        .map(|(n, v)| {
            assert_eq!(n, "update");
            v
        })
        .collect();
    assert!(updates.len() >= 2, "{} updates", updates.len());
    // Epoch records arrived while the run was going, not only at the end.
    assert!(
        updates
            .iter()
            .any(|u| u["status"] == "running" && !u["epochs"].as_array().unwrap().is_empty())
    );
    let epochs: Vec<u64> = updates
        .iter()
        .flat_map(|u| u["epochs"].as_array().unwrap().clone())
        .map(|r| r["epoch"].as_u64().unwrap())
        .collect();
    assert_eq!(epochs, [0, 1, 2, 3, 4], "each epoch once, in order");
    let iterations: Vec<u64> = updates
        .iter()
        .flat_map(|u| u["loss"].as_array().unwrap().clone())
        .map(|p| p[0].as_u64().unwrap())
        .collect();
    assert_eq!(iterations, (0..400).collect::<Vec<u64>>(), "each loss once");
    let last = updates.last().unwrap();
    assert_eq!(last["status"], "completed");
    assert_eq!(last["progress"]["iteration"], 400);
    let net = updates.iter().rev().find_map(|u| u.get("net")).unwrap();
    assert_eq!(net["predictions"].as_array().unwrap().len(), 20);
    assert_eq!(net["tiles"]["units"], 50);

    // A page opened afterwards gets the whole run at once, then the end.
    let mut late = Events::open(addr);
    let (_, s) = late.next().unwrap();
    assert_eq!(s["status"], "completed");
    assert_eq!(s["loss"].as_array().unwrap().len(), 400);
    assert_eq!(s["epochs"].as_array().unwrap().len(), 5);
    assert!(late.next().is_none(), "the stream ends with the run");
}

#[test]
fn stalled_and_vanished_clients_never_hold_up_training() {
    let data = Dataset::embedded();
    let config = TrainConfig {
        iters: 1_000,
        ..TrainConfig::default()
    };
    let live = live_for(&data, &config);
    let server = serve_with(
        App {
            live: Some(live.clone()),
            runs: None,
        },
        Limits {
            read_timeout: Duration::from_secs(1),
            write_timeout: Duration::from_millis(500),
            ..Limits::default()
        },
    );
    let addr = server.addr();
    // Opens the stream and never reads a byte of it.
    let mut stalled = TcpStream::connect(addr).unwrap();
    stalled
        .write_all(b"GET /api/live/events HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    // Sends half a request and waits.
    let mut half = TcpStream::connect(addr).unwrap();
    half.write_all(b"GET /api/li").unwrap();
    // Reads the first event and hangs up.
    let mut quitter = Events::open(addr);
    quitter.next().unwrap();
    drop(quitter);

    let mut observer = LiveObserver::new(live);
    let plain = {
        let t = Instant::now();
        train(&data, &config, &mut ()).unwrap();
        t.elapsed()
    };
    let watched = Instant::now();
    train(&data, &config, &mut observer).unwrap();
    let watched = watched.elapsed();
    observer.finish("completed");
    // Nothing waited on the clients: the watched run takes about as long
    // as the plain one (generous bounds for a busy machine).
    assert!(
        watched < plain * 3 + Duration::from_secs(2),
        "watched {watched:?}, plain {plain:?}"
    );

    // The half request timed out with 408; the server still answers.
    let mut answer = String::new();
    half.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let _ = half.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert_eq!(get(addr, "/api/live").json()["status"], "completed");
    drop(stalled);
}

#[test]
fn too_many_streams_are_turned_away() {
    let (data, config, _) = trained();
    let server = serve_with(
        App {
            live: Some(live_for(data, config)),
            runs: None,
        },
        Limits {
            max_streams: 2,
            ..Limits::default()
        },
    );
    let a = server.addr();
    let _one = Events::open(a);
    let _two = Events::open(a);
    assert_eq!(get(a, "/api/live/events").status, 503);
    assert_eq!(get(a, "/api/live").status, 200);
}

// ------------------------------------------------------------------ safety

#[test]
fn nothing_outside_the_runs_folder_is_served() {
    let (tmp, server) = fixture();
    let a = server.addr();
    let runs = tmp.path().join("runs");
    // A secret beside the runs folder, and a "run" outside it.
    let outside = tmp.path().join("outside");
    write_run(&outside);
    std::fs::write(outside.join("secret.csv"), "SECRET-MARKER\n").unwrap();
    std::fs::write(tmp.path().join("secret.csv"), "SECRET-MARKER\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::symlink;
        symlink(&outside, runs.join("escape")).unwrap();
        symlink(
            outside.join("secret.csv"),
            runs.join("20250101-120000").join("leak.csv"),
        )
        .unwrap();
        // A link that stays inside is fine.
        symlink(
            runs.join("20250102-120000").join("metrics.csv"),
            runs.join("20250101-120000").join("other.csv"),
        )
        .unwrap();
        assert_eq!(get(a, "/runs/20250101-120000/other.csv").status, 200);
        assert_eq!(get(a, "/runs/escape/secret.csv").status, 403);
        assert_eq!(get(a, "/runs/escape/metrics.csv").status, 403);
        assert_eq!(get(a, "/api/runs/escape").status, 403);
        assert_eq!(get(a, "/api/runs/escape/weights").status, 403);
        assert_eq!(get(a, "/runs/20250101-120000/leak.csv").status, 403);
        let listed = get(a, "/api/runs").text();
        assert!(!listed.contains("escape"), "{listed}");
    }
    let secret_path = tmp.path().join("secret.csv");
    let absolute = secret_path.to_str().unwrap();
    for path in [
        "/../secret.csv".to_string(),
        "/runs/../secret.csv".into(),
        "/runs/20250101-120000/../../secret.csv".into(),
        "/runs/%2e%2e/secret.csv".into(),
        "/runs/20250101-120000/%2e%2e/%2e%2e/secret.csv".into(),
        "/runs/20250101-120000/..%2f..%2fsecret.csv".into(),
        "/runs/%2E%2E%2Foutside/secret.csv".into(),
        "/runs/20250101-120000/..%5c..%5csecret.csv".into(),
        "/api/runs/..".into(),
        "/api/runs/%2e%2e%2foutside".into(),
        format!("/{absolute}"),
        format!("/runs/{absolute}"),
        format!("/runs/20250101-120000/{}", absolute.replace('/', "%2f")),
        format!("/runs{absolute}"),
        "/runs/.%2e/secret.csv".into(),
        "/runs/20250101-120000/.%00./secret.csv".into(),
    ] {
        let r = get(a, &path);
        assert!(
            (400..500).contains(&r.status),
            "{path} answered {}",
            r.status
        );
        assert!(!r.text().contains("SECRET-MARKER"), "{path} leaked");
    }
    // Absolute-form targets are not paths here.
    let r = raw(
        a,
        format!("GET file://{absolute} HTTP/1.1\r\nHost: localhost\r\n\r\n").as_bytes(),
    );
    assert_eq!(r.status, 400);
    let r = raw(
        a,
        b"GET http://127.0.0.1/runs/escape/secret.csv HTTP/1.1\r\n\r\n",
    );
    assert_eq!(r.status, 400);
}

#[test]
fn malformed_requests_get_4xx_and_the_server_carries_on() {
    let (_tmp, server) = fixture();
    let a = server.addr();
    let long_path = format!("GET /{} HTTP/1.1\r\n\r\n", "a".repeat(20_000));
    let long_header = format!("GET / HTTP/1.1\r\nX-Big: {}\r\n\r\n", "b".repeat(20_000));
    let cases: Vec<(&[u8], u16)> = vec![
        (b"HELLO\r\n\r\n", 400),
        (b"\r\n\r\n", 400),
        (b"GET\r\n\r\n", 400),
        (b"GET / HTTP/1.1 x\r\n\r\n", 400),
        (b"GET / FTP/1.0\r\n\r\n", 400),
        (b"GET / HTTP/2.0\r\n\r\n", 505),
        (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505),
        (
            b"POST /api/runs HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello",
            405,
        ),
        (b"PUT /runs/x/metrics.csv HTTP/1.1\r\n\r\n", 405),
        (b"DELETE /runs/x HTTP/1.1\r\n\r\n", 405),
        (b"G@T / HTTP/1.1\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nno colon here\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\n: empty name\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
        (b"GET /%zz HTTP/1.1\r\n\r\n", 400),
        (b"GET /%f HTTP/1.1\r\n\r\n", 400),
        (b"GET /%ff%fe HTTP/1.1\r\n\r\n", 400),
        (b"GET /\xff\xfe HTTP/1.1\r\n\r\n", 400),
        (b"GET * HTTP/1.1\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: evil.example\r\n\r\n", 421),
        (
            b"GET /api/runs HTTP/1.1\r\nHost: evil.example:7878\r\n\r\n",
            421,
        ),
        (long_path.as_bytes(), 414),
        (long_header.as_bytes(), 431),
    ];
    for (request, status) in cases {
        let r = raw(a, request);
        assert_eq!(
            r.status,
            status,
            "{:?}",
            String::from_utf8_lossy(&request[..request.len().min(60)])
        );
        if status == 405 {
            assert_eq!(r.header("allow").as_deref(), Some("get, head"));
        }
    }
    // A connection closed without a word, and bytes that are not HTTP.
    drop(TcpStream::connect(a).unwrap());
    let mut s = TcpStream::connect(a).unwrap();
    let _ = s.write_all(&[0u8, 1, 2, 3, 255, 254, b'\n', b'\n']);
    drop(s);
    // HTTP/1.0 without a Host header is fine, as are bare \n line ends.
    assert_eq!(raw(a, b"GET /api/info HTTP/1.0\r\n\r\n").status, 200);
    assert_eq!(
        raw(a, b"GET /api/info HTTP/1.1\nHost: localhost\n\n").status,
        200
    );
    // Still standing.
    assert_eq!(get(a, "/api/runs").status, 200);
}

// ------------------------------------------------------------------ the commands

/// `manabi ARGS` in `dir`, with stdout piped.
fn spawn(dir: &Path, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_manabi"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Reads stdout lines until one holds the page's address.
fn url_of(out: &mut BufReader<ChildStdout>) -> (SocketAddr, Vec<String>) {
    let mut seen = Vec::new();
    loop {
        let mut line = String::new();
        assert!(
            out.read_line(&mut line).unwrap() > 0,
            "no address printed: {seen:?}"
        );
        if let Some(url) = line.trim().strip_prefix("watch it learn: http://") {
            let addr = url.trim_end_matches('/').parse().unwrap();
            return (addr, seen);
        }
        seen.push(line);
    }
}

/// Reads stdout until a line starts with `prefix`; all lines read.
fn read_until(out: &mut BufReader<ChildStdout>, prefix: &str) -> Vec<String> {
    let mut seen = Vec::new();
    loop {
        let mut line = String::new();
        assert!(
            out.read_line(&mut line).unwrap() > 0,
            "no line starting {prefix:?} in {seen:?}"
        );
        let done = line.starts_with(prefix);
        seen.push(line);
        if done {
            return seen;
        }
    }
}

#[test]
fn train_serve_streams_the_run_and_survives_a_client_that_hangs_up() {
    let tmp = tempfile::tempdir().unwrap();
    let mut child = spawn(
        tmp.path(),
        &[
            "train",
            "--serve",
            "127.0.0.1:0",
            "--iters",
            "4000",
            "--out",
            "runs/r",
            "--quiet",
        ],
    );
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let (addr, before) = url_of(&mut out);
    assert!(addr.ip().is_loopback());
    assert!(before.iter().any(|l| l.starts_with("run folder: runs/r")));

    // One page hangs up after the snapshot; another follows to the end.
    let mut quitter = Events::open(addr);
    let mut follower = Events::open(addr);
    quitter.next().unwrap();
    drop(quitter);
    let mut epochs = 0;
    let mut status = String::new();
    while let Some((_, v)) = follower.next() {
        epochs += v["epochs"].as_array().unwrap().len();
        status = v["status"].as_str().unwrap().to_string();
    }
    assert_eq!(status, "completed");
    // i % 80 == 0 for i < 4000: 50 evaluations, each delivered once.
    assert_eq!(epochs, 50);

    let lines = read_until(&mut out, "the page stays up at http://");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("done: 4,000 iterations")),
        "{lines:?}"
    );
    // The finished run is among the runs the page offers.
    let list = get(addr, "/api/runs").json();
    assert_eq!(list[0]["id"], "r");
    assert_eq!(list[0]["status"], "completed");
    child.kill().unwrap();
    child.wait().unwrap();
}

fn fails(dir: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_manabi"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success(), "manabi {args:?} should fail");
    let err = String::from_utf8(out.stderr).unwrap();
    let lines: Vec<&str> = err.lines().filter(|l| !l.contains("warning:")).collect();
    assert_eq!(lines.len(), 1, "not one line: {err}");
    lines[0].to_string()
}

#[test]
fn bad_addresses_and_folders_are_one_line_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let addr = format!("127.0.0.1:{port}");
    let e = fails(tmp.path(), &["train", "--serve", &addr, "--iters", "10"]);
    assert!(
        e.contains(&format!("--serve {addr}: the port is in use")),
        "{e}"
    );
    assert!(
        e.contains(&format!("--serve 127.0.0.1:{}", port + 1)),
        "{e}"
    );
    assert!(
        !tmp.path().join("runs").exists(),
        "nothing written before the port was free"
    );

    let e = fails(
        tmp.path(),
        &["train", "--serve", "nowhere", "--iters", "10"],
    );
    assert!(e.contains("--serve nowhere: not an address"), "{e}");
    let e = fails(tmp.path(), &["serve", "--addr", &addr]);
    assert!(
        e.contains(&format!("--addr {addr}: the port is in use")),
        "{e}"
    );
    let e = fails(tmp.path(), &["serve", "missing", "--addr", "127.0.0.1:0"]);
    assert!(e.contains("missing: no such folder"), "{e}");
    write_run(&tmp.path().join("runs").join("one"));
    let e = fails(tmp.path(), &["serve", "runs/one", "--addr", "127.0.0.1:0"]);
    assert!(
        e.contains("one run's folder") && e.contains("manabi serve runs"),
        "{e}"
    );
}

#[test]
fn serve_shows_finished_runs() {
    let tmp = tempfile::tempdir().unwrap();
    write_run(&tmp.path().join("runs").join("a"));
    write_run(&tmp.path().join("runs").join("b"));
    let mut child = spawn(tmp.path(), &["serve", "--addr", "127.0.0.1:0"]);
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let (addr, before) = url_of(&mut out);
    assert!(
        before[0].starts_with("serving 2 runs from runs"),
        "{before:?}"
    );
    assert_eq!(get(addr, "/api/info").json()["live"], false);
    assert_eq!(get(addr, "/api/runs").json().as_array().unwrap().len(), 2);
    assert_eq!(get(addr, "/api/live").status, 404);
    assert_eq!(get(addr, "/").status, 200);
    child.kill().unwrap();
    child.wait().unwrap();
}
