//! Fashion-MNIST for the tests: a slice the project ships, and the full set
//! where a user's machine has it.
//!
//! - [`slice_dir`]: the first 300 training and 100 test images, in
//!   `tests/data/fashion-mnist` (MIT, see the README there). Enough for
//!   class names, `data show`, `data info` on a folder of Fashion files.
//! - [`full_dir`]: the whole 60,000 / 10,000, found where `--dataset
//!   fashion-mnist` finds it (`$MANABI_DATA/fashion-mnist`, the cache, or
//!   Debian's `dataset-fashion-mnist` package), for what only the full set
//!   shows: published checksums, accuracy. Where it is absent the test says
//!   in one line what it did not check, and passes; under `CI=true` it
//!   fails instead.

#![allow(dead_code)] // each test file uses some of these

use std::io::Write as _;
use std::path::{Path, PathBuf};

use manabi::data::{DataHome, DatasetName, Resolved, resolve};

/// The slice of Fashion-MNIST shipped with the tests.
pub fn slice_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fashion-mnist")
}

/// True when the environment says this is a CI run (`CI` set, and not to
/// `false` or `0`).
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// The folder of the full Fashion-MNIST, or `None` (after one line on the
/// terminal naming `what` was not checked and how to get the data). Under
/// `CI=true` a missing set fails the test.
pub fn full_dir(what: &str) -> Option<PathBuf> {
    match resolve(DatasetName::FashionMnist, &DataHome::from_env()) {
        Ok(Resolved::Folder(dir)) => Some(dir),
        other => {
            let why = match other {
                Err(e) => e.to_string(),
                Ok(_) => "fashion-mnist: not found".to_string(),
            };
            let line = format!("not checked: {what}; it needs the full set, and {why}");
            assert!(!in_ci(), "CI=true but {line}; .ci/run installs it");
            // Straight to the terminal: the test harness hides what a
            // passing test prints with `eprintln!`.
            let _ = writeln!(std::io::stderr(), "{line}");
            None
        }
    }
}
