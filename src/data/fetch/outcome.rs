//! What a fetch reports: how each file ended ([`Outcome`], [`Fetched`]),
//! each failed try at a mirror ([`Attempt`], [`Failure`]), and why a fetch
//! could not finish ([`FetchError`]), each error a line that says what to do.
//!
//! ```text
//! https://mirror.example/train-images-idx3-ubyte.gz: HTTP 404 Not Found
//! ```

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::time::Duration;

use crate::data::digest::FileDigest;

/// How one file of a fetch ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It was already there and verified.
    AlreadyVerified,
    /// It was downloaded from `url`.
    Downloaded {
        /// The URL it came from.
        url: String,
    },
}

/// One verified file of a finished fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// The file name.
    pub name: String,
    /// Where it is now.
    pub path: PathBuf,
    /// Its size and checksums.
    pub digest: FileDigest,
    /// The published version it matches ("Fashion-MNIST as Zalando publishes it").
    pub origin: String,
    /// Whether it was downloaded, and from where.
    pub outcome: Outcome,
    /// The mirrors that failed before one worked.
    pub failed: Vec<Attempt>,
}

/// One failed request for a file: the URL and what went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// The URL asked.
    pub url: String,
    /// What went wrong.
    pub failure: Failure,
}

impl fmt::Display for Attempt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.url, self.failure)
    }
}

/// Why a download from one mirror was abandoned.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Failure {
    /// The server answered with an HTTP error (404 not found, 403, 5xx…).
    Status(u16),
    /// No connection within the connect timeout.
    ConnectTimeout(Duration),
    /// Connected, but no data arrived within the read timeout.
    ReadTimeout(Duration),
    /// No connection: refused, host unknown, TLS failed…
    Connect(String),
    /// The connection broke in another way mid-response.
    Network(String),
    /// The connection closed before the declared `Content-Length` arrived.
    CutShort {
        /// Bytes received.
        got: u64,
        /// Bytes declared, when known.
        declared: Option<u64>,
    },
    /// The response is not the size of any published version of the file.
    WrongSize {
        /// Its size (declared up front, or counted).
        got: u64,
        /// What was expected, for the message.
        expected: String,
    },
    /// The response has the right size but not a published checksum.
    Checksum {
        /// What arrived.
        got: FileDigest,
        /// What was expected, for the message.
        expected: String,
    },
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Status(404) => write!(f, "HTTP 404 not found"),
            Failure::Status(code) => write!(f, "HTTP {code}"),
            Failure::ConnectTimeout(t) => write!(f, "no connection within {}", secs(*t)),
            Failure::ReadTimeout(t) => {
                write!(f, "connected, but no data within {}", secs(*t))
            }
            Failure::Connect(why) => write!(f, "cannot connect ({why})"),
            Failure::Network(why) => write!(f, "connection failed ({why})"),
            Failure::CutShort { got, declared } => match declared {
                Some(d) => write!(f, "connection closed after {got} of {d} bytes"),
                None => write!(f, "connection closed after {got} bytes"),
            },
            Failure::WrongSize { got, expected } => {
                write!(f, "{got} bytes, not the published file ({expected})")
            }
            Failure::Checksum { got, expected } => write!(
                f,
                "checksum mismatch: got md5 {} sha256 {}, expected {expected}; \
                 a damaged or different file, discarded",
                got.md5, got.sha256
            ),
        }
    }
}

fn secs(d: Duration) -> String {
    format!("{} s", d.as_secs_f64())
}

/// Why a fetch stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// Every mirror failed for one file.
    #[error(
        "{set}: {file} could not be fetched from any mirror: {}; {}",
        attempts_text(attempts),
        ALL_FAILED_ADVICE
    )]
    AllMirrorsFailed {
        /// The data set.
        set: String,
        /// The file that could not be fetched.
        file: String,
        /// Each mirror tried and what went wrong there.
        attempts: Vec<Attempt>,
    },

    /// There is no mirror to try.
    #[error("{set}: no mirror to try; add one with --mirror URL, or drop --no-default-mirrors")]
    NoMirrors {
        /// The data set.
        set: String,
    },

    /// A mirror is not an http(s) URL.
    #[error(
        "--mirror {url}: not an http:// or https:// address; give the folder that holds the \
         files, e.g. https://example.org/mnist/"
    )]
    BadMirror {
        /// The mirror as given.
        url: String,
    },

    /// The folder or a file in it could not be written.
    #[error(
        "{}: cannot {action} ({error}); check the folder and its permissions, \
         or fetch into another with --data-dir",
        path.display()
    )]
    Io {
        /// The folder or file.
        path: PathBuf,
        /// What was being done, e.g. "create the folder".
        action: &'static str,
        /// What the operating system said.
        error: io::Error,
    },

    /// Another fetch holds the folder's lock.
    #[error(
        "{}: another `manabi data fetch` is writing to this folder; wait for it to finish",
        path.display()
    )]
    Busy {
        /// The folder.
        path: PathBuf,
    },

    /// The cancel flag was set.
    #[error(
        "{file}: fetch interrupted; the partial download was deleted, run the same command \
         again to continue (files already verified are kept)"
    )]
    Interrupted {
        /// The file being downloaded.
        file: String,
    },
}

const ALL_FAILED_ADVICE: &str = "check the network connection or add a working mirror with \
     --mirror URL; or download the four files elsewhere and pass their folder with --data-dir; \
     or train on the embedded mnist-10k (the default, no download needed)";

fn attempts_text(attempts: &[Attempt]) -> String {
    attempts
        .iter()
        .map(Attempt::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}
