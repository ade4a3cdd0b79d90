//! mnist-10k, the data set compiled into the crate so that training works
//! offline with no files around.
//!
//! The four gzip files of `data/mnist-10k/` (1.6 MB; provenance and licence
//! in the README beside them) are included byte for byte and decoded by the
//! same IDX reader as files on disk, so they get the same checks.

use std::path::PathBuf;

use super::dataset::{Dataset, FILE_NAMES, Source};

/// The name reports use for this data set.
pub const NAME: &str = "mnist-10k";

const FILES: [&[u8]; 4] = [
    include_bytes!("../../data/mnist-10k/train-images-idx3-ubyte.gz"),
    include_bytes!("../../data/mnist-10k/train-labels-idx1-ubyte.gz"),
    include_bytes!("../../data/mnist-10k/t10k-images-idx3-ubyte.gz"),
    include_bytes!("../../data/mnist-10k/t10k-labels-idx1-ubyte.gz"),
];

/// The embedded set's four gzip files as compiled in, each with its base
/// name (add `.gz` for the file name), in the order of [`FILE_NAMES`]: what
/// `manabi data info` checksums.
pub fn embedded_files() -> [(&'static str, &'static [u8]); 4] {
    [0, 1, 2, 3].map(|i| (FILE_NAMES[i], FILES[i]))
}

impl Dataset {
    /// The mnist-10k set compiled into the crate: 8,004 training and 1,996
    /// test images of real MNIST digits (see `data/mnist-10k/README.md`).
    ///
    /// Decoded from its gzip bytes on each call (about 10 ms in a release build).
    pub fn embedded() -> Dataset {
        let sources = [0, 1, 2, 3].map(|i| {
            let name = PathBuf::from(format!("{NAME} (embedded)/{}.gz", FILE_NAMES[i]));
            Source::Bytes(FILES[i], name)
        });
        // The bytes are fixed at compile time and the test suite decodes
        // them, so a failure here means a broken build, not bad input.
        Dataset::assemble(NAME.to_string(), sources)
            .unwrap_or_else(|e| panic!("the embedded data set does not decode: {e}"))
    }
}
