//! A tiny HTTP/1.1 server on 127.0.0.1 for the download tests: each
//! request is answered by a function of its path and its number, with a
//! good file, an HTTP error, a body cut short, or silence.
//!
//! It only ever listens on the loopback address, answers one request per
//! connection, and holds a silent connection for a bounded time.

#![allow(dead_code)] // each test file uses its own part of it

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

/// How the server answers one request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// 200 with this body and its Content-Length.
    Ok(Vec<u8>),
    /// 200 with this body, no Content-Length: the end of the body is the
    /// end of the connection.
    OkUnsized(Vec<u8>),
    /// An HTTP error with a short HTML page, as real servers send.
    Status(u16),
    /// 200 declaring `declared` bytes, then only `body`, then the
    /// connection closes.
    CutShort {
        /// What is actually sent.
        body: Vec<u8>,
        /// The Content-Length announced.
        declared: usize,
    },
    /// Accept the connection, read the request, and say nothing (for at
    /// most the given time).
    Silent(Duration),
}

/// A running server: its base URL and how many requests it has seen.
pub struct Server {
    /// `http://127.0.0.1:PORT/`
    pub url: String,
    hits: Arc<AtomicUsize>,
}

impl Server {
    /// Starts a server whose reply to request number `n` (from 0) for
    /// `path` (without the leading `/`) is `route(path, n)`.
    pub fn start(route: impl Fn(&str, usize) -> Reply + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a port on 127.0.0.1");
        let addr: SocketAddr = listener.local_addr().expect("the bound address");
        let hits = Arc::new(AtomicUsize::new(0));
        let route = Arc::new(route);
        let counter = hits.clone();
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let n = counter.fetch_add(1, Ordering::SeqCst);
                let route = route.clone();
                // A thread per connection, so a silent one blocks nobody.
                thread::spawn(move || answer(stream, n, &*route));
            }
        });
        Server {
            url: format!("http://{addr}/"),
            hits,
        }
    }

    /// Serves `files` (name, bytes) with 200, anything else with 404.
    pub fn files(files: Vec<(String, Vec<u8>)>) -> Server {
        Server::start(move |path, _| {
            files
                .iter()
                .find(|(name, _)| name == path)
                .map_or(Reply::Status(404), |(_, body)| Reply::Ok(body.clone()))
        })
    }

    /// Requests received so far.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

/// A base URL on which nothing listens: connecting is refused at once.
pub fn closed_port_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a port on 127.0.0.1");
    let addr = listener.local_addr().expect("the bound address");
    drop(listener);
    format!("http://{addr}/")
}

fn answer(mut stream: TcpStream, n: usize, route: &(dyn Fn(&str, usize) -> Reply + Send + Sync)) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let Some(path) = read_request_path(&mut stream) else {
        return;
    };
    let reply = route(&path, n);
    let _ = match reply {
        Reply::Ok(body) => respond(&mut stream, 200, Some(body.len()), &body),
        Reply::OkUnsized(body) => respond(&mut stream, 200, None, &body),
        Reply::Status(code) => {
            let page = format!("<html><body><h1>{code}</h1></body></html>");
            respond(&mut stream, code, Some(page.len()), page.as_bytes())
        }
        Reply::CutShort { body, declared } => respond(&mut stream, 200, Some(declared), &body),
        Reply::Silent(hold) => {
            thread::sleep(hold);
            Ok(())
        }
    };
    let _ = stream.flush();
    let _ = stream.shutdown(Shutdown::Both);
}

/// Reads the request head and returns the path without its leading `/`.
fn read_request_path(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).ok()?;
        if n == 0 || head.len() > 64 * 1024 {
            return None;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let line = String::from_utf8_lossy(&head);
    let target = line.split_whitespace().nth(1)?;
    Some(target.trim_start_matches('/').to_string())
}

fn respond(
    stream: &mut TcpStream,
    code: u16,
    length: Option<usize>,
    body: &[u8],
) -> std::io::Result<()> {
    let reason = match code {
        200 => "OK",
        403 => "Forbidden",
        404 => "Not Found",
        _ => "Error",
    };
    let mut head = format!(
        "HTTP/1.1 {code} {reason}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n"
    );
    if let Some(len) = length {
        head.push_str(&format!("Content-Length: {len}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)
}
