//! Checksums of data files, and the published values they are checked
//! against.
//!
//! A file is known by its size and a checksum its publisher lists: MD5 for
//! MNIST (the only figures anyone publishes for it), SHA-256 for
//! Fashion-MNIST and the embedded set. A [`FileSpec`] names a file and the
//! versions of it that are accepted; a [`FileDigest`] is what a file on disk
//! or on the wire actually is. Both checksums are always computed, so any
//! published value can be compared, and both can be shown.
//!
//! ```
//! use manabi::data::{Expected, FileDigest, FileSpec, HashKind};
//! let spec = FileSpec {
//!     name: "abc.txt",
//!     accept: &[Expected {
//!         kind: HashKind::Sha256,
//!         hex: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
//!         size: Some(3),
//!         origin: "the SHA-256 test vector",
//!     }],
//! };
//! let digest = FileDigest::of_bytes(b"abc");
//! assert_eq!(digest.md5, "900150983cd24fb0d6963f7d28e17f72");
//! assert_eq!(spec.check(&digest).map(|e| e.origin), Some("the SHA-256 test vector"));
//! assert!(spec.check(&FileDigest::of_bytes(b"abd")).is_none());
//! ```

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use md5::Md5;
use sha2::{Digest, Sha256};

/// Which checksum a published value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashKind {
    /// MD5, 32 hex digits: what MNIST's mirrors and torchvision list.
    Md5,
    /// SHA-256, 64 hex digits.
    Sha256,
}

impl fmt::Display for HashKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HashKind::Md5 => "md5",
            HashKind::Sha256 => "sha256",
        })
    }
}

/// One accepted version of a file: its published checksum and, where
/// known, its size in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expected<'a> {
    /// Which checksum `hex` is.
    pub kind: HashKind,
    /// The checksum, lowercase hex.
    pub hex: &'a str,
    /// The file's size in bytes, when published.
    pub size: Option<u64>,
    /// Who publishes this version, for messages ("Zalando's mirrors").
    pub origin: &'a str,
}

/// A file of a data set and the versions of it that are accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileSpec<'a> {
    /// The file name, e.g. `train-images-idx3-ubyte.gz`: on the mirror and on disk.
    pub name: &'a str,
    /// Versions that verify; a file matching any of them is good.
    pub accept: &'a [Expected<'a>],
}

impl<'a> FileSpec<'a> {
    /// The accepted version `digest` matches, if any: same checksum and,
    /// where the size is published, same size.
    pub fn check(&self, digest: &FileDigest) -> Option<&Expected<'a>> {
        self.accept.iter().find(|e| digest.matches(e))
    }

    /// The largest size any accepted version has, or `None` when some
    /// version's size is unknown: a download longer than this cannot verify.
    pub fn max_size(&self) -> Option<u64> {
        self.accept
            .iter()
            .map(|e| e.size)
            .try_fold(0, |max, s| s.map(|s| max.max(s)))
    }

    /// True when `size` is the size of some accepted version, or some
    /// version's size is unknown.
    pub fn size_possible(&self, size: u64) -> bool {
        self.accept.iter().any(|e| e.size.is_none_or(|s| s == size))
    }

    /// What the spec expects, for messages: `md5 f68b3c2d… (9,912,422 bytes)`.
    pub fn describe(&self) -> String {
        let parts: Vec<String> = self
            .accept
            .iter()
            .map(|e| match e.size {
                Some(s) => format!("{} {} ({s} bytes)", e.kind, e.hex),
                None => format!("{} {}", e.kind, e.hex),
            })
            .collect();
        parts.join(" or ")
    }
}

/// What a file is: its size, MD5 and SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDigest {
    /// Size in bytes.
    pub size: u64,
    /// MD5, 32 lowercase hex digits.
    pub md5: String,
    /// SHA-256, 64 lowercase hex digits.
    pub sha256: String,
}

impl FileDigest {
    /// The digest of a file, read in 64 KiB pieces.
    pub fn of_file(path: impl AsRef<Path>) -> io::Result<FileDigest> {
        let mut file = File::open(path)?;
        let mut hasher = Hasher::default();
        let mut buf = vec![0u8; 1 << 16];
        loop {
            match file.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => hasher.update(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(hasher.finish())
    }

    /// The digest of bytes in memory.
    pub fn of_bytes(bytes: &[u8]) -> FileDigest {
        let mut hasher = Hasher::default();
        hasher.update(bytes);
        hasher.finish()
    }

    /// The checksum of the given kind.
    pub fn hex(&self, kind: HashKind) -> &str {
        match kind {
            HashKind::Md5 => &self.md5,
            HashKind::Sha256 => &self.sha256,
        }
    }

    /// True when this is the version `e` describes.
    pub fn matches(&self, e: &Expected) -> bool {
        e.size.is_none_or(|s| s == self.size) && self.hex(e.kind).eq_ignore_ascii_case(e.hex)
    }
}

/// Both checksums and the byte count of a stream, fed piece by piece as it
/// arrives, so a download is verified without being read twice.
#[derive(Default, Clone)]
pub struct Hasher {
    md5: Md5,
    sha256: Sha256,
    size: u64,
}

impl Hasher {
    /// Feeds the next piece.
    pub fn update(&mut self, bytes: &[u8]) {
        self.md5.update(bytes);
        self.sha256.update(bytes);
        self.size += bytes.len() as u64;
    }

    /// Bytes fed so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The digest of everything fed.
    pub fn finish(self) -> FileDigest {
        FileDigest {
            size: self.size,
            md5: hex(&self.md5.finalize()),
            sha256: hex(&self.sha256.finalize()),
        }
    }
}

impl fmt::Debug for Hasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hasher")
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

/// Bytes as lowercase hex, as `md5sum` and `sha256sum` print them.
pub(crate) fn hex(digest: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(2 * digest.len());
    for &b in digest {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    s
}
