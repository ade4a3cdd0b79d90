//! Watching a network learn in the browser: a small read-only web server
//! for the live run (`manabi train --serve`) and for finished runs
//! (`manabi serve`).
//!
//! | path | answer |
//! | --- | --- |
//! | `/` `/app.js` `/panels.js` `/draw.js` `/i18n.js` `/chart.js` `/style.css` `/favicon.svg` | the page, built into the program ([`assets`]) |
//! | `/api/info` | what this server has: a live run, a runs folder |
//! | `/api/live` | the live run so far: config, loss points, epochs, latest network, status |
//! | `/api/live/weights` | the latest network's W1, b1, W2, b2 (f64, base64), for the page's own forward pass (draw a digit) |
//! | `/api/live/events` | the same as server-sent events: a `snapshot`, then `update`s (≤ 2 a second) until the run ends |
//! | `/api/runs` | the finished runs, newest first |
//! | `/api/runs/ID` | one run's config, loss curve and epochs |
//! | `/api/runs/ID/weights` | its W1 as 28×28 tiles |
//! | `/runs/ID/FILE` | a file of its folder (csv, json, txt, png, svg, safetensors) |
//!
//! Written on `std::net` alone: one thread per connection, one request per
//! connection, strict parsing ([`http`]), timeouts on every read and write,
//! and bounded numbers of connections and streams. A page that stops
//! reading is dropped after [`WRITE_TIMEOUT`]; it never slows the training,
//! which only ever *tries* to take a lock ([`live`]).
//!
//! Safe by default: the command line binds to 127.0.0.1 unless told
//! otherwise, and on a loopback address requests must name a loopback host
//! (a guard against DNS rebinding). Only GET and HEAD are answered;
//! nothing is written.

pub mod assets;
pub mod http;
pub mod live;
pub mod runs;

use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use serde_json::json;

pub use http::{Method, Request, Response, Status};
pub use live::{Cursor, Live, LiveObserver, LiveRun};
pub use runs::RunsDir;

use http::{COMMON_HEADERS, Refusal};

/// The port `--serve` and `manabi serve` use when none is given.
pub const DEFAULT_PORT: u16 = 7878;
/// How long a client may take to send its request.
pub const READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one write may wait for a client to read; past it the client is
/// dropped.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(5);
/// Connections served at once; more are answered 503.
pub const MAX_CONNECTIONS: usize = 64;
/// Event streams open at once; more are answered 503.
pub const MAX_STREAMS: usize = 16;
/// The shortest time between two updates on a stream: a page redraws at
/// most this often, whatever the speed of training. Twice a second is
/// smooth enough to watch, and a browser redrawing on the same two cores as
/// the training costs it half what four times a second does.
pub const UPDATE_EVERY: Duration = Duration::from_millis(500);
/// A comment line is sent after this much silence, so a vanished client is
/// noticed even when nothing happens.
const PING_EVERY: Duration = Duration::from_secs(15);

/// What a server serves: a live run, a folder of finished runs, or both.
#[derive(Debug, Clone, Default)]
pub struct App {
    /// The run being trained, if any.
    pub live: Option<Arc<Live>>,
    /// The folder of finished runs, if any.
    pub runs: Option<RunsDir>,
}

/// Timeouts and bounds of a server; [`Limits::default`] is what the
/// command line uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// How long a client may take to send its request ([`READ_TIMEOUT`]).
    pub read_timeout: Duration,
    /// How long one write may wait for the client ([`WRITE_TIMEOUT`]).
    pub write_timeout: Duration,
    /// Connections served at once ([`MAX_CONNECTIONS`]).
    pub max_connections: usize,
    /// Event streams open at once ([`MAX_STREAMS`]).
    pub max_streams: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            read_timeout: READ_TIMEOUT,
            write_timeout: WRITE_TIMEOUT,
            max_connections: MAX_CONNECTIONS,
            max_streams: MAX_STREAMS,
        }
    }
}

/// A running server; stops when dropped.
#[derive(Debug)]
pub struct Server {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

/// Parses the address of `--serve` or `--addr`: `HOST:PORT`, `[IPv6]:PORT`,
/// or a bare `PORT` (on 127.0.0.1). `flag` names the flag in the error.
pub fn parse_addr(flag: &str, text: &str) -> Result<SocketAddr, String> {
    let text = text.trim();
    if let Ok(port) = text.parse::<u16>() {
        return Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port));
    }
    // `localhost` may resolve to ::1 and 127.0.0.1: prefer the latter,
    // which every browser reaches.
    let addrs: Vec<SocketAddr> = text
        .to_socket_addrs()
        .map(Iterator::collect)
        .unwrap_or_default();
    let found = addrs
        .iter()
        .find(|a| a.is_ipv4())
        .or(addrs.first())
        .copied();
    found.ok_or_else(|| {
        format!(
            "{flag} {text}: not an address; give HOST:PORT or PORT, such as 127.0.0.1:{DEFAULT_PORT}"
        )
    })
}

/// Binds `addr`; the error is one line naming `flag`, the address and what
/// to do.
pub fn bind(flag: &str, addr: SocketAddr) -> Result<TcpListener, String> {
    TcpListener::bind(addr).map_err(|e| {
        let next = SocketAddr::new(addr.ip(), addr.port().wrapping_add(1).max(1));
        match e.kind() {
            io::ErrorKind::AddrInUse => format!(
                "{flag} {addr}: the port is in use (another manabi serve?); give another, such as {flag} {next}"
            ),
            io::ErrorKind::AddrNotAvailable => format!(
                "{flag} {addr}: this machine has no such address; use 127.0.0.1 (this machine only) or 0.0.0.0 (every network)"
            ),
            io::ErrorKind::PermissionDenied => format!(
                "{flag} {addr}: not allowed to listen there (ports below 1024 need privileges); use a port such as {DEFAULT_PORT}"
            ),
            _ => format!("{flag} {addr}: cannot listen: {e}"),
        }
    })
}

impl Server {
    /// Serves `app` on `listener` from a background thread.
    pub fn start(listener: TcpListener, app: App) -> io::Result<Server> {
        Server::start_with(listener, app, Limits::default())
    }

    /// [`Server::start`] with other timeouts and bounds.
    pub fn start_with(listener: TcpListener, app: App, limits: Limits) -> io::Result<Server> {
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let shared = Arc::new(Shared {
            app,
            loopback_only: addr.ip().is_loopback(),
            limits,
            stop: stop.clone(),
            connections: AtomicUsize::new(0),
            streams: AtomicUsize::new(0),
        });
        let accept = thread::Builder::new()
            .name("manabi-serve".into())
            .spawn(move || accept_loop(listener, shared))?;
        Ok(Server {
            addr,
            stop,
            accept: Some(accept),
        })
    }

    /// The address listened on (with the real port when 0 was asked for).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The page's address, to open in a browser. For 0.0.0.0 it names this
    /// machine's loopback address; other machines use its network address.
    pub fn url(&self) -> String {
        let ip = match self.addr.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        format!("http://{}/", SocketAddr::new(ip, self.addr.port()))
    }

    /// Stops accepting connections; open streams end within a second.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if self.stop.swap(true, Ordering::SeqCst) {
            return;
        }
        // Wake the accept loop with a connection of our own.
        let mut wake = self.addr;
        if wake.ip().is_unspecified() {
            wake.set_ip(match wake.ip() {
                IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
            });
        }
        let _ = TcpStream::connect_timeout(&wake, Duration::from_secs(1));
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// What every connection thread shares.
struct Shared {
    app: App,
    loopback_only: bool,
    limits: Limits,
    stop: Arc<AtomicBool>,
    connections: AtomicUsize,
    streams: AtomicUsize,
}

/// Counts one unit of a limited resource while alive.
struct Slot<'a>(&'a AtomicUsize);

impl<'a> Slot<'a> {
    fn take(counter: &'a AtomicUsize, max: usize) -> Option<Slot<'a>> {
        let before = counter.fetch_add(1, Ordering::SeqCst);
        let slot = Slot(counter);
        (before < max).then_some(slot)
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = stream else {
            // Out of file descriptors and the like: wait, don't spin.
            thread::sleep(Duration::from_millis(50));
            continue;
        };
        let shared = shared.clone();
        let spawned = thread::Builder::new()
            .name("manabi-http".into())
            .stack_size(256 * 1024)
            .spawn(move || serve_connection(stream, &shared));
        if spawned.is_err() {
            thread::sleep(Duration::from_millis(50));
        }
    }
}

fn serve_connection(mut stream: TcpStream, shared: &Shared) {
    let limits = shared.limits;
    let _ = stream.set_read_timeout(Some(limits.read_timeout));
    let _ = stream.set_write_timeout(Some(limits.write_timeout));
    let _ = stream.set_nodelay(true);
    let Some(_slot) = Slot::take(&shared.connections, limits.max_connections) else {
        let _ = Response::error(Status::Unavailable, "too many connections; try again")
            .write_to(&mut stream, Method::Get);
        http::close(stream);
        return;
    };
    let request = match http::read_head(&mut stream).and_then(|head| match head {
        Some(head) => http::parse_head(&head).map(Some),
        None => Ok(None),
    }) {
        Ok(Some(r)) => r,
        Ok(None) => return,
        Err(refusal) => {
            let _ =
                Response::error(refusal.status, &refusal.reason).write_to(&mut stream, Method::Get);
            http::close(stream);
            return;
        }
    };
    let method = request.method;
    match route(shared, &request) {
        Ok(Answer::Whole(response)) => {
            let _ = response.write_to(&mut stream, method);
        }
        Ok(Answer::File(file)) => {
            let _ = send_file(&mut stream, file, method);
        }
        Ok(Answer::Events(live)) => match Slot::take(&shared.streams, limits.max_streams) {
            Some(_stream_slot) => {
                let _ = send_events(&mut stream, &live, method, &shared.stop);
            }
            None => {
                let _ = Response::error(Status::Unavailable, "too many open pages; close one")
                    .write_to(&mut stream, method);
            }
        },
        Err(refusal) => {
            let _ = Response::error(refusal.status, &refusal.reason).write_to(&mut stream, method);
        }
    }
    http::close(stream);
}

/// How a request is answered.
enum Answer {
    Whole(Response),
    File(runs::ServedFile),
    Events(Arc<Live>),
}

/// Is `host` (a Host header's value) this machine by a loopback name?
fn is_loopback_host(host: &str) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        host.rsplit_once(':').map_or(host, |(h, _)| h)
    };
    name.eq_ignore_ascii_case("localhost")
        || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn route(shared: &Shared, request: &Request) -> Result<Answer, Refusal> {
    if shared.loopback_only
        && let Some(host) = &request.host
        && !is_loopback_host(host)
    {
        return Err(Refusal::new(
            Status::MisdirectedRequest,
            "this server answers only to localhost / 127.0.0.1",
        ));
    }
    let app = &shared.app;
    let no_live = || Refusal::new(Status::NotFound, "no run is training here");
    let no_runs = || Refusal::new(Status::NotFound, "no runs folder is served here");
    let seg: Vec<&str> = request.segments.iter().map(String::as_str).collect();
    let whole = |r: Response| Ok(Answer::Whole(r));
    match seg[..] {
        [] => whole(assets::response("index.html").expect("the page is built in")),
        ["favicon.ico"] => {
            let mut r = Response::ok("image/x-icon", Vec::new());
            r.status = Status::NoContent;
            whole(r)
        }
        [name] if assets::response(name).is_some() => {
            whole(assets::response(name).expect("just checked"))
        }
        ["api", "info"] => whole(Response::json(&json!({
            "version": env!("CARGO_PKG_VERSION"),
            "live": app.live.is_some(),
            "runs": app.runs.is_some(),
        }))),
        ["api", "live"] => {
            let live = app.live.as_ref().ok_or_else(no_live)?;
            whole(Response::json(&live.snapshot(&mut Cursor::default())))
        }
        ["api", "live", "weights"] => {
            let live = app.live.as_ref().ok_or_else(no_live)?;
            let weights = live.weights().ok_or_else(|| {
                Refusal::new(
                    Status::NotFound,
                    "no network yet: wait for the first evaluation",
                )
            })?;
            whole(Response::json(&weights))
        }
        ["api", "live", "events"] => {
            let live = app.live.as_ref().ok_or_else(no_live)?;
            Ok(Answer::Events(live.clone()))
        }
        ["api", "runs"] => {
            let runs = app.runs.as_ref().ok_or_else(no_runs)?;
            whole(Response::json(&runs.list()))
        }
        ["api", "runs", id] => {
            let runs = app.runs.as_ref().ok_or_else(no_runs)?;
            whole(Response::json(&runs.run(id)?))
        }
        ["api", "runs", id, "weights"] => {
            let runs = app.runs.as_ref().ok_or_else(no_runs)?;
            whole(Response::json(&runs.weights(id)?))
        }
        ["runs", id, name] => {
            let runs = app.runs.as_ref().ok_or_else(no_runs)?;
            Ok(Answer::File(runs.file(id, name)?))
        }
        _ => Err(Refusal::new(Status::NotFound, "no such page")),
    }
}

fn send_file(stream: &mut TcpStream, file: runs::ServedFile, method: Method) -> io::Result<()> {
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: {}\r\nContent-Length: {}\r\nCache-Control: no-cache\r\n{}",
        file.content_type, file.len, COMMON_HEADERS
    );
    stream.write_all(head.as_bytes())?;
    if method == Method::Get {
        // A file growing while it is sent (a run writing its CSV) must not
        // send more than the length announced.
        io::copy(&mut io::Read::take(file.file, file.len), stream)?;
    }
    stream.flush()
}

/// One server-sent event: `event: NAME` and the JSON on one `data:` line.
fn write_event(stream: &mut TcpStream, name: &str, data: &serde_json::Value) -> io::Result<()> {
    let text = format!("event: {name}\ndata: {data}\n\n");
    stream.write_all(text.as_bytes())?;
    stream.flush()
}

/// The live run as a stream: a `snapshot`, then an `update` whenever there
/// is news (at most every [`UPDATE_EVERY`]) until the run ends. Returns
/// when the run has ended, the server stops, or the client is gone (a write
/// fails or times out).
fn send_events(
    stream: &mut TcpStream,
    live: &Live,
    method: Method,
    stop: &AtomicBool,
) -> io::Result<()> {
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n{COMMON_HEADERS}"
    );
    stream.write_all(head.as_bytes())?;
    if method == Method::Head {
        return stream.flush();
    }
    // A dropped stream is reopened by the browser after 2 s.
    stream.write_all(b"retry: 2000\n\n")?;
    let mut cursor = Cursor::default();
    write_event(stream, "snapshot", &live.snapshot(&mut cursor))?;
    let mut last_write = Instant::now();
    while !cursor.done {
        if stop.load(Ordering::SeqCst) {
            return Ok(());
        }
        if live.wait(&cursor, Duration::from_millis(500)) {
            // Let news gather: one update per UPDATE_EVERY at most.
            let since = last_write.elapsed();
            if since < UPDATE_EVERY {
                thread::sleep(UPDATE_EVERY - since);
            }
            write_event(stream, "update", &live.update(&mut cursor))?;
            last_write = Instant::now();
        } else if last_write.elapsed() >= PING_EVERY {
            stream.write_all(b": ping\n\n")?;
            stream.flush()?;
            last_write = Instant::now();
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_parse_with_defaults() {
        assert_eq!(
            parse_addr("--serve", "8000").unwrap(),
            "127.0.0.1:8000".parse().unwrap()
        );
        assert_eq!(
            parse_addr("--serve", "0.0.0.0:80").unwrap(),
            "0.0.0.0:80".parse().unwrap()
        );
        assert_eq!(
            parse_addr("--serve", "[::1]:9").unwrap(),
            "[::1]:9".parse().unwrap()
        );
        assert!(
            parse_addr("--serve", "localhost:7878")
                .unwrap()
                .ip()
                .is_loopback()
        );
        let e = parse_addr("--serve", "nowhere").unwrap_err();
        assert!(e.starts_with("--serve nowhere: not an address"), "{e}");
        assert!(parse_addr("--serve", "1.2.3.4:99999").is_err());
    }

    #[test]
    fn only_loopback_hosts_pass_the_rebinding_guard() {
        for host in [
            "localhost",
            "localhost:7878",
            "127.0.0.1:1",
            "[::1]:7878",
            "127.1.2.3",
        ] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in [
            "evil.example",
            "evil.example:7878",
            "10.0.0.1",
            "[fe80::1]:80",
            "",
        ] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }
}
