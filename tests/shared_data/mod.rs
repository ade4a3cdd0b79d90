//! The full-size data sets in `../shared/data`, beside the crate, for the
//! tests that need real files of full size.

use std::path::{Path, PathBuf};

/// `../shared/data/fashion-mnist`; fails the test, saying what is missing,
/// when the folder is not there.
pub fn fashion_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/fashion-mnist");
    assert!(
        dir.is_dir(),
        "{}: Fashion-MNIST is missing; these tests need the shared data folder \
         (four *-idx?-ubyte.gz files) beside the crate",
        dir.display()
    );
    dir
}
