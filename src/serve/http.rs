//! Just enough HTTP/1.1 to serve a page to a browser: read one request,
//! check it strictly, answer it, close the connection.
//!
//! One request per connection (`Connection: close`) keeps the server simple
//! and its resources bounded: no keep-alive bookkeeping, no pipelining, no
//! request bodies. Anything this module does not understand is answered with
//! a 4xx status, never a panic.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// The longest request head (request line and headers) accepted.
pub const MAX_HEAD: usize = 8 * 1024;

/// An HTTP status this server sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// 200.
    Ok,
    /// 204: nothing to send (favicon).
    NoContent,
    /// 400: the request is not well-formed, or its path is not allowed.
    BadRequest,
    /// 403: the path leads outside the runs folder.
    Forbidden,
    /// 404.
    NotFound,
    /// 405: only GET and HEAD are served.
    MethodNotAllowed,
    /// 408: the request did not arrive in time.
    RequestTimeout,
    /// 414: the request target is too long.
    UriTooLong,
    /// 421: the Host header names another site (DNS rebinding guard).
    MisdirectedRequest,
    /// 431: the request head is too large.
    HeadersTooLarge,
    /// 500: a run folder could not be read.
    InternalError,
    /// 503: too many connections at once.
    Unavailable,
    /// 505: not HTTP/1.0 or HTTP/1.1.
    VersionNotSupported,
}

impl Status {
    /// The numeric code.
    pub fn code(self) -> u16 {
        match self {
            Status::Ok => 200,
            Status::NoContent => 204,
            Status::BadRequest => 400,
            Status::Forbidden => 403,
            Status::NotFound => 404,
            Status::MethodNotAllowed => 405,
            Status::RequestTimeout => 408,
            Status::UriTooLong => 414,
            Status::MisdirectedRequest => 421,
            Status::HeadersTooLarge => 431,
            Status::InternalError => 500,
            Status::Unavailable => 503,
            Status::VersionNotSupported => 505,
        }
    }

    /// The reason phrase.
    pub fn reason(self) -> &'static str {
        match self {
            Status::Ok => "OK",
            Status::NoContent => "No Content",
            Status::BadRequest => "Bad Request",
            Status::Forbidden => "Forbidden",
            Status::NotFound => "Not Found",
            Status::MethodNotAllowed => "Method Not Allowed",
            Status::RequestTimeout => "Request Timeout",
            Status::UriTooLong => "URI Too Long",
            Status::MisdirectedRequest => "Misdirected Request",
            Status::HeadersTooLarge => "Request Header Fields Too Large",
            Status::InternalError => "Internal Server Error",
            Status::Unavailable => "Service Unavailable",
            Status::VersionNotSupported => "HTTP Version Not Supported",
        }
    }
}

/// GET or HEAD: the only methods a read-only server needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// GET.
    Get,
    /// HEAD: the headers of a GET, without its body.
    Head,
}

/// A request that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// GET or HEAD.
    pub method: Method,
    /// The path, percent-decoded and split at `/`; every segment is a plain
    /// name (no empty, `.` or `..` segment, no NUL or backslash, no leading
    /// dot). `/` is the empty list.
    pub segments: Vec<String>,
    /// The `Host` header, if any.
    pub host: Option<String>,
}

/// Why a request was refused, as the status to answer with and a short
/// reason for the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The status to send.
    pub status: Status,
    /// One line saying what was wrong.
    pub reason: String,
}

impl Refusal {
    /// A refusal with `status` and `reason`.
    pub fn new(status: Status, reason: impl Into<String>) -> Self {
        Refusal {
            status,
            reason: reason.into(),
        }
    }
}

/// Reads the request head from `stream`: up to the blank line, at most
/// [`MAX_HEAD`] bytes. `Ok(None)` when the client closed without sending
/// anything. Whatever follows the head (a body, a second request) is
/// ignored: the connection closes after one answer.
pub fn read_head(stream: &mut impl Read) -> Result<Option<Vec<u8>>, Refusal> {
    let mut head = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        let n = match stream.read(&mut chunk) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return Err(Refusal::new(
                    Status::RequestTimeout,
                    "the request did not arrive in time",
                ));
            }
            Err(_) => return Ok(None),
        };
        if n == 0 {
            if head.is_empty() {
                return Ok(None);
            }
            return Err(Refusal::new(
                Status::BadRequest,
                "the connection closed in the middle of the request",
            ));
        }
        // Search only the new bytes (and the three before them) for the end.
        let from = head.len().saturating_sub(3);
        head.extend_from_slice(&chunk[..n]);
        let end = find_head_end(&head[from..]).map(|e| from + e);
        if let Some(end) = end
            && end <= MAX_HEAD
        {
            head.truncate(end);
            return Ok(Some(head));
        }
        if end.is_some() || head.len() > MAX_HEAD {
            // The request line alone too long: the target is; else the headers.
            let status = match head.iter().position(|&b| b == b'\n') {
                Some(line_end) if line_end < MAX_HEAD => Status::HeadersTooLarge,
                _ => Status::UriTooLong,
            };
            return Err(Refusal::new(status, "the request head is too large"));
        }
    }
}

/// Where the head ends (the index just past the blank line), accepting bare
/// `\n` line ends as RFC 9112 allows.
fn find_head_end(bytes: &[u8]) -> Option<usize> {
    for i in 0..bytes.len() {
        if bytes[i..].starts_with(b"\r\n\r\n") {
            return Some(i + 4);
        }
        if bytes[i..].starts_with(b"\n\n") {
            return Some(i + 2);
        }
        if bytes[i..].starts_with(b"\n\r\n") {
            return Some(i + 3);
        }
    }
    None
}

/// Parses a request head: the request line, then `Name: value` headers.
pub fn parse_head(head: &[u8]) -> Result<Request, Refusal> {
    let bad = |reason: &str| Err(Refusal::new(Status::BadRequest, reason));
    let Ok(text) = std::str::from_utf8(head) else {
        return bad("the request is not text");
    };
    let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let line = lines.next().unwrap_or("");
    let parts: Vec<&str> = line.split(' ').collect();
    let [method, target, version] = parts[..] else {
        return bad("the request line is not METHOD TARGET VERSION");
    };
    if !is_token(method) {
        return bad("the method is not a word");
    }
    match version {
        "HTTP/1.1" | "HTTP/1.0" => {}
        v if v.starts_with("HTTP/") => {
            return Err(Refusal::new(
                Status::VersionNotSupported,
                "only HTTP/1.0 and HTTP/1.1 are spoken here",
            ));
        }
        _ => return bad("the request line has no HTTP version"),
    }
    let mut host = None;
    for header in lines {
        if header.is_empty() {
            break;
        }
        let Some((name, value)) = header.split_once(':') else {
            return bad("a header line has no colon");
        };
        if !is_token(name) {
            return bad("a header name is not a word");
        }
        if name.eq_ignore_ascii_case("host") {
            if host.is_some() {
                return bad("more than one Host header");
            }
            host = Some(value.trim().to_string());
        }
    }
    let method = match method {
        "GET" => Method::Get,
        "HEAD" => Method::Head,
        _ => {
            return Err(Refusal::new(
                Status::MethodNotAllowed,
                "this server is read-only: GET and HEAD only",
            ));
        }
    };
    let segments = parse_path(target)?;
    Ok(Request {
        method,
        segments,
        host,
    })
}

/// `token` of RFC 9110: the characters a method or header name may use.
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// The path of a request target, decoded and split into checked segments.
///
/// The whole path is percent-decoded *before* it is split, so `%2f` counts
/// as a separator and `%2e%2e` as `..`: both are then refused like their
/// plain forms. The query string is ignored.
pub fn parse_path(target: &str) -> Result<Vec<String>, Refusal> {
    let bad = |reason: &str| Err(Refusal::new(Status::BadRequest, reason));
    let path = target.split(['?', '#']).next().unwrap_or("");
    if !path.starts_with('/') {
        return bad("the request target must be a path starting with /");
    }
    let Some(bytes) = percent_decode(path) else {
        return bad("the path has a malformed %-escape");
    };
    let Ok(path) = String::from_utf8(bytes) else {
        return bad("the path is not UTF-8");
    };
    let rest = &path[1..];
    if rest.is_empty() {
        return Ok(Vec::new());
    }
    let mut segments = Vec::new();
    for segment in rest.split('/') {
        if segment.is_empty() {
            return bad("the path has an empty segment (// or an absolute path)");
        }
        if segment == "." || segment == ".." {
            return bad("the path has a . or .. segment");
        }
        if segment.starts_with('.') {
            return bad("hidden names (starting with .) are not served");
        }
        if segment.contains(['\\', '\0', ':']) || segment.chars().any(char::is_control) {
            return bad("the path has a backslash, colon or control character");
        }
        segments.push(segment.to_string());
    }
    Ok(segments)
}

/// `%XX` escapes turned into bytes; `None` if one is malformed.
pub fn percent_decode(s: &str) -> Option<Vec<u8>> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            // Two hex digits exactly (from_str_radix alone would take "+f").
            if !hex.iter().all(u8::is_ascii_hexdigit) {
                return None;
            }
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Some(out)
}

/// A whole answer: status, type, body and a few extra headers.
#[derive(Debug, Clone)]
pub struct Response {
    /// The status.
    pub status: Status,
    /// `Content-Type`.
    pub content_type: &'static str,
    /// The body (not sent for HEAD).
    pub body: Vec<u8>,
    /// `Cache-Control`: `no-store` for anything that changes.
    pub cache: &'static str,
    /// Further `Name: value` headers.
    pub extra: Vec<(&'static str, String)>,
}

impl Response {
    /// 200 with `body` of type `content_type`.
    pub fn ok(content_type: &'static str, body: impl Into<Vec<u8>>) -> Self {
        Response {
            status: Status::Ok,
            content_type,
            body: body.into(),
            cache: "no-store",
            extra: Vec::new(),
        }
    }

    /// 200 with a JSON body.
    pub fn json(value: &serde_json::Value) -> Self {
        Response::ok("application/json", value.to_string())
    }

    /// An error status with a one-line plain-text body.
    pub fn error(status: Status, reason: &str) -> Self {
        let mut r = Response::ok("text/plain; charset=utf-8", format!("{reason}\n"));
        r.status = status;
        if status == Status::MethodNotAllowed {
            r.extra.push(("Allow", "GET, HEAD".into()));
        }
        r
    }

    /// Writes the response; the body only for GET.
    pub fn write_to(&self, out: &mut impl Write, method: Method) -> io::Result<()> {
        let mut head = format!(
            "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nCache-Control: {}\r\n",
            self.status.code(),
            self.status.reason(),
            self.content_type,
            self.body.len(),
            self.cache
        );
        for (name, value) in &self.extra {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str(COMMON_HEADERS);
        out.write_all(head.as_bytes())?;
        if method == Method::Get {
            out.write_all(&self.body)?;
        }
        out.flush()
    }
}

/// Sent with every answer: one request per connection, and a page that may
/// load nothing from anywhere but this server.
pub const COMMON_HEADERS: &str = "Connection: close\r\n\
    X-Content-Type-Options: nosniff\r\n\
    Referrer-Policy: no-referrer\r\n\
    Content-Security-Policy: default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'\r\n\
    \r\n";

/// Ends a connection politely: no more writing, then a short wait for what
/// the client still sends, so closing does not reset the connection before
/// it has read the answer.
pub fn close(mut stream: TcpStream) {
    let _ = stream.flush();
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
    let mut sink = [0u8; 4096];
    for _ in 0..16 {
        match stream.read(&mut sink) {
            Ok(n) if n > 0 => continue,
            _ => break,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(head: &str) -> Status {
        match parse_head(head.as_bytes()) {
            Ok(_) => Status::Ok,
            Err(r) => r.status,
        }
    }

    #[test]
    fn a_plain_get_parses() {
        let r = parse_head(b"GET /api/runs/a%20b?x=1 HTTP/1.1\r\nHost: 127.0.0.1:7878\r\n\r\n")
            .unwrap();
        assert_eq!(r.method, Method::Get);
        assert_eq!(r.segments, ["api", "runs", "a b"]);
        assert_eq!(r.host.as_deref(), Some("127.0.0.1:7878"));
        assert_eq!(
            parse_head(b"HEAD / HTTP/1.0\r\n\r\n")
                .unwrap()
                .segments
                .len(),
            0
        );
    }

    #[test]
    fn traversal_in_every_spelling_is_refused() {
        for path in [
            "/../etc/passwd",
            "/runs/../../etc/passwd",
            "/runs/%2e%2e/x",
            "/runs/%2E%2E%2Fx",
            "/runs/..%2fx",
            "//etc/passwd",
            "/runs//etc/passwd",
            "/runs/%2fetc%2fpasswd",
            "/runs/a%5c..%5cb",
            "/runs/a%00b",
            "/runs/.hidden",
            "/runs/C:/x",
            "/runs/%zz",
            "/runs/%+f",
            "/runs/%ff",
            "etc/passwd",
            "http://example.com/x",
        ] {
            assert_eq!(
                status(&format!("GET {path} HTTP/1.1\r\n\r\n")),
                Status::BadRequest,
                "{path}"
            );
        }
    }

    #[test]
    fn malformed_heads_get_their_status() {
        assert_eq!(status("HELLO\r\n\r\n"), Status::BadRequest);
        assert_eq!(status("GET / HTTP/1.1 extra\r\n\r\n"), Status::BadRequest);
        assert_eq!(
            status("GET / HTTP/2.0\r\n\r\n"),
            Status::VersionNotSupported
        );
        assert_eq!(status("POST / HTTP/1.1\r\n\r\n"), Status::MethodNotAllowed);
        assert_eq!(status("G(T / HTTP/1.1\r\n\r\n"), Status::BadRequest);
        assert_eq!(
            status("GET / HTTP/1.1\r\nno colon\r\n\r\n"),
            Status::BadRequest
        );
        assert_eq!(
            status("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
            Status::BadRequest
        );
        assert_eq!(
            parse_head(&[0xff, 0xfe, b'\r', b'\n']).unwrap_err().status,
            Status::BadRequest
        );
    }

    #[test]
    fn heads_end_at_the_blank_line() {
        let mut input: &[u8] = b"GET / HTTP/1.1\r\n\r\nbody";
        assert_eq!(
            read_head(&mut input).unwrap().unwrap(),
            b"GET / HTTP/1.1\r\n\r\n"
        );
        let mut empty: &[u8] = b"";
        assert_eq!(read_head(&mut empty).unwrap(), None);
        let mut cut: &[u8] = b"GET / HT";
        assert_eq!(read_head(&mut cut).unwrap_err().status, Status::BadRequest);
        let long = format!("GET /{} HTTP/1.1\r\n\r\n", "a".repeat(MAX_HEAD));
        let mut long = long.as_bytes();
        assert_eq!(read_head(&mut long).unwrap_err().status, Status::UriTooLong);
    }
}
