//! Downloading a data set's files: from a list of mirrors, verified against
//! published checksums, written atomically into a folder.
//!
//! For each file of a [`Source`]:
//!
//! 1. If the folder already holds it and it verifies, it is kept: running a
//!    fetch again only downloads what is missing.
//! 2. Otherwise the mirrors are tried in order (those the user adds first).
//!    Each download streams into a temporary file beside the target
//!    (`.NAME.XXXXXX.part`) while its MD5 and SHA-256 are computed; a
//!    response whose declared or actual size no published version has is
//!    abandoned as soon as that is clear.
//! 3. Only a download that matches a published checksum is renamed into
//!    place. Anything else — an HTTP error, a timeout, a body cut short, an
//!    error page served as the file — is deleted, and the next mirror is
//!    tried. A failed or interrupted fetch therefore never leaves a file
//!    that later counts as fetched.
//!
//! Timeouts bound every wait: connecting, and each read of the response, so
//! a server that accepts a connection and then says nothing cannot hang the
//! fetch. A lock file (`.manabi-fetch.lock`) keeps two fetches out of the
//! same folder, which also makes every `.part` file found at the start a
//! leftover of an interrupted run, safe to delete.
//!
//! The checksums and mirrors are data ([`Source`], [`FileSpec`]), so tests
//! can serve small files of their own from a server on 127.0.0.1.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::catalog::Source;
use super::digest::{FileDigest, FileSpec, Hasher};

mod outcome;

pub use outcome::{Attempt, Failure, FetchError, Fetched, Outcome};

/// The lock file that keeps two fetches out of one folder.
pub const LOCK_FILE: &str = ".manabi-fetch.lock";

/// How a fetch reaches the mirrors.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// Base URLs tried before the source's own mirrors (`--mirror`).
    pub extra_mirrors: Vec<String>,
    /// Whether to try the source's own mirrors after `extra_mirrors`.
    pub default_mirrors: bool,
    /// Longest wait for a connection (name lookup included).
    pub connect_timeout: Duration,
    /// Longest wait for any single read: the response's first bytes, or the
    /// next piece of its body.
    pub read_timeout: Duration,
    /// Set to stop the fetch between two pieces of a download (Ctrl-C).
    pub cancel: Option<Arc<AtomicBool>>,
}

impl Default for FetchOptions {
    /// The source's mirrors, 15 s to connect, 30 s per read.
    fn default() -> Self {
        FetchOptions {
            extra_mirrors: Vec::new(),
            default_mirrors: true,
            connect_timeout: Duration::from_secs(15),
            read_timeout: Duration::from_secs(30),
            cancel: None,
        }
    }
}

impl FetchOptions {
    /// Checks that every extra mirror is an http(s) address:
    /// [`FetchError::BadMirror`] otherwise.
    pub fn validate(&self) -> Result<(), FetchError> {
        match self
            .extra_mirrors
            .iter()
            .find(|m| !(m.starts_with("http://") || m.starts_with("https://")))
        {
            Some(bad) => Err(FetchError::BadMirror { url: bad.clone() }),
            None => Ok(()),
        }
    }

    /// The mirrors in the order they are tried, each ending in `/`.
    pub fn mirrors(&self, source: &Source) -> Vec<String> {
        let defaults = source.mirrors.iter().filter(|_| self.default_mirrors);
        self.extra_mirrors
            .iter()
            .map(String::as_str)
            .chain(defaults.copied())
            .map(|m| {
                if m.ends_with('/') {
                    m.to_string()
                } else {
                    format!("{m}/")
                }
            })
            .collect()
    }
}

/// What a fetch reports as it goes; every method does nothing by default.
pub trait FetchObserver {
    /// `name` is already in the folder and verifies: not downloaded again.
    fn already_verified(&mut self, _name: &str, _path: &Path) {}
    /// `name` is in the folder but does not verify; it is fetched again and
    /// replaced only by a copy that does.
    fn replacing(&mut self, _name: &str, _path: &Path) {}
    /// Asking `url` for `name`.
    fn trying(&mut self, _name: &str, _url: &str) {}
    /// The server answered; `total` is its declared size, if any.
    fn receiving(&mut self, _total: Option<u64>) {}
    /// `bytes` of the body have arrived so far.
    fn progress(&mut self, _bytes: u64) {}
    /// That attempt failed; `more` tells whether another mirror is left to try.
    fn failed(&mut self, _name: &str, _attempt: &Attempt, _more: bool) {}
    /// `name` arrived, verified, and is now at `path`.
    fn fetched(&mut self, _name: &str, _path: &Path, _digest: &FileDigest, _origin: &str) {}
}

/// An observer that ignores everything.
impl FetchObserver for () {}

/// Fetches every file of `source` into `dir` (created if needed), skipping
/// those already there and verified. Returns the four verified files, or
/// the first file no mirror could provide.
///
/// Errors: [`FetchError::AllMirrorsFailed`] (which lists each URL tried and
/// why it failed), [`FetchError::NoMirrors`], [`FetchError::BadMirror`],
/// [`FetchError::Io`] for the local folder, [`FetchError::Busy`] and
/// [`FetchError::Interrupted`].
pub fn fetch(
    source: &Source,
    dir: &Path,
    opts: &FetchOptions,
    observer: &mut dyn FetchObserver,
) -> Result<Vec<Fetched>, FetchError> {
    opts.validate()?;
    let mirrors = opts.mirrors(source);
    let io_err = |path: &Path, action| {
        let path = path.to_path_buf();
        move |error| FetchError::Io {
            path,
            action,
            error,
        }
    };
    fs::create_dir_all(dir).map_err(io_err(dir, "create the folder"))?;
    let lock_path = dir.join(LOCK_FILE);
    let lock = File::create(&lock_path).map_err(io_err(&lock_path, "create the lock file"))?;
    match lock.try_lock() {
        Ok(()) => {}
        Err(fs::TryLockError::WouldBlock) => {
            return Err(FetchError::Busy {
                path: dir.to_path_buf(),
            });
        }
        Err(fs::TryLockError::Error(e)) => {
            return Err(io_err(&lock_path, "lock the folder")(e));
        }
    }
    remove_leftovers(dir, source.files);

    let agent = agent(opts);
    let mut fetched = Vec::with_capacity(source.files.len());
    for spec in source.files {
        let target = dir.join(spec.name);
        if target.exists() {
            let digest = FileDigest::of_file(&target).map_err(io_err(&target, "read"))?;
            if let Some(e) = spec.check(&digest) {
                observer.already_verified(spec.name, &target);
                fetched.push(Fetched {
                    name: spec.name.to_string(),
                    path: target,
                    digest,
                    origin: e.origin.to_string(),
                    outcome: Outcome::AlreadyVerified,
                    failed: Vec::new(),
                });
                continue;
            }
            observer.replacing(spec.name, &target);
        }
        if mirrors.is_empty() {
            return Err(FetchError::NoMirrors {
                set: source.name.to_string(),
            });
        }
        let mut failed = Vec::new();
        let mut done = None;
        for (i, mirror) in mirrors.iter().enumerate() {
            let url = format!("{mirror}{}", spec.name);
            observer.trying(spec.name, &url);
            match download(&agent, &url, spec, dir, &target, opts, observer)? {
                Ok((digest, origin)) => {
                    observer.fetched(spec.name, &target, &digest, &origin);
                    done = Some((url, digest, origin));
                    break;
                }
                Err(failure) => {
                    let attempt = Attempt { url, failure };
                    observer.failed(spec.name, &attempt, i + 1 < mirrors.len());
                    failed.push(attempt);
                }
            }
        }
        let Some((url, digest, origin)) = done else {
            return Err(FetchError::AllMirrorsFailed {
                set: source.name.to_string(),
                file: spec.name.to_string(),
                attempts: failed,
            });
        };
        fetched.push(Fetched {
            name: spec.name.to_string(),
            path: target,
            digest,
            origin,
            outcome: Outcome::Downloaded { url },
            failed,
        });
    }
    Ok(fetched)
}

/// Deletes `.NAME.*.part` files of this source: with the lock held, no
/// other fetch is writing them, so they are what an interrupted run left.
fn remove_leftovers(dir: &Path, files: &[FileSpec]) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let ours = files
            .iter()
            .any(|f| name.starts_with(&format!(".{}.", f.name)) && name.ends_with(".part"));
        if ours {
            // A leftover that cannot be removed is harmless: it never counts as data.
            let _ = fs::remove_file(entry.path());
        }
    }
}

fn agent(opts: &FetchOptions) -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_resolve(Some(opts.connect_timeout))
        .timeout_connect(Some(opts.connect_timeout))
        .timeout_send_request(Some(opts.read_timeout))
        .timeout_per_read(Some(opts.read_timeout))
        .timeout_per_write(Some(opts.read_timeout))
        .user_agent(concat!("manabi/", env!("CARGO_PKG_VERSION")))
        .build()
        .into()
}

/// One attempt at one URL. The outer `Result` is a local problem that ends
/// the whole fetch; the inner one, a mirror's failure.
fn download(
    agent: &ureq::Agent,
    url: &str,
    spec: &FileSpec,
    dir: &Path,
    target: &Path,
    opts: &FetchOptions,
    observer: &mut dyn FetchObserver,
) -> Result<Result<(FileDigest, String), Failure>, FetchError> {
    let response = match agent
        .get(url)
        // The bytes of the .gz file itself, not a transfer-encoded copy.
        .header("Accept-Encoding", "identity")
        .call()
    {
        Ok(r) => r,
        Err(e) => return Ok(Err(failure(e, opts, 0, None))),
    };
    let declared = response.body().content_length();
    if let Some(n) = declared
        && !spec.size_possible(n)
    {
        return Ok(Err(Failure::WrongSize {
            got: n,
            expected: spec.describe(),
        }));
    }
    observer.receiving(declared);

    let temp_err = |error| FetchError::Io {
        path: dir.to_path_buf(),
        action: "write a temporary file in the folder",
        error,
    };
    // Dropped (and so deleted) on every path but the rename below.
    let prefix = format!(".{}.", spec.name);
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".part");
    // Data files are readable like any other file the user makes (the
    // umask applies), not private as temporary files default to.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644));
    let mut temp = builder.tempfile_in(dir).map_err(temp_err)?;
    let mut body = response.into_body().into_reader();
    let mut hasher = Hasher::default();
    let mut buf = vec![0u8; 1 << 16];
    let limit = spec.max_size();
    loop {
        if opts
            .cancel
            .as_ref()
            .is_some_and(|c| c.load(Ordering::Relaxed))
        {
            return Err(FetchError::Interrupted {
                file: spec.name.to_string(),
            });
        }
        let n = match body.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Ok(Err(failure(e.into(), opts, hasher.size(), declared)));
            }
        };
        hasher.update(&buf[..n]);
        temp.write_all(&buf[..n]).map_err(temp_err)?;
        observer.progress(hasher.size());
        if let Some(limit) = limit
            && hasher.size() > limit
        {
            return Ok(Err(Failure::WrongSize {
                got: hasher.size(),
                expected: format!("at most {limit} bytes"),
            }));
        }
    }
    let got = hasher.size();
    if let Some(d) = declared
        && got < d
    {
        return Ok(Err(Failure::CutShort {
            got,
            declared: Some(d),
        }));
    }
    let digest = hasher.finish();
    let Some(expected) = spec.check(&digest) else {
        return Ok(Err(if spec.size_possible(digest.size) {
            Failure::Checksum {
                got: digest,
                expected: spec.describe(),
            }
        } else {
            Failure::WrongSize {
                got: digest.size,
                expected: spec.describe(),
            }
        }));
    };
    let origin = expected.origin.to_string();

    let persist_err = |error| FetchError::Io {
        path: target.to_path_buf(),
        action: "move the verified download into place",
        error,
    };
    // On disk before it has a name that counts as fetched.
    temp.as_file().sync_all().map_err(persist_err)?;
    temp.persist(target).map_err(|e| persist_err(e.error))?;
    sync_dir(dir);
    Ok(Ok((digest, origin)))
}

/// Makes the rename itself durable; where folders cannot be synced, the
/// rename is still atomic, which is what matters for correctness.
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// A mirror's failure from ureq's error; `got` bytes of a body of
/// `declared` bytes had arrived.
fn failure(e: ureq::Error, opts: &FetchOptions, got: u64, declared: Option<u64>) -> Failure {
    use ureq::Timeout;
    match e {
        ureq::Error::StatusCode(code) => Failure::Status(code),
        ureq::Error::Timeout(Timeout::Resolve | Timeout::Connect) => {
            Failure::ConnectTimeout(opts.connect_timeout)
        }
        ureq::Error::Timeout(_) => Failure::ReadTimeout(opts.read_timeout),
        ureq::Error::HostNotFound => Failure::Connect("host not found; offline?".to_string()),
        ureq::Error::ConnectionFailed => Failure::Connect("connection failed".to_string()),
        ureq::Error::Io(io) => match io.kind() {
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => {
                Failure::ReadTimeout(opts.read_timeout)
            }
            io::ErrorKind::UnexpectedEof => Failure::CutShort { got, declared },
            io::ErrorKind::ConnectionRefused => Failure::Connect("connection refused".to_string()),
            io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted
                if got > 0 || declared.is_some() =>
            {
                Failure::CutShort { got, declared }
            }
            _ => Failure::Network(io.to_string()),
        },
        other => Failure::Network(other.to_string()),
    }
}
