//! Data sets in the MNIST file layout: reading them, checking them, and
//! handing them to a network.
//!
//! MNIST (and Fashion-MNIST, and others that copy it) comes as four files:
//!
//! | file | holds |
//! | --- | --- |
//! | `train-images-idx3-ubyte.gz` | training images, 28×28 u8 pixels each |
//! | `train-labels-idx1-ubyte.gz` | their labels, one u8 0–9 each |
//! | `t10k-images-idx3-ubyte.gz` | test images |
//! | `t10k-labels-idx1-ubyte.gz` | their labels |
//!
//! in the IDX format ([`idx`] describes it), gzip-compressed or not. A folder
//! of these four files is a data set: [`Dataset::from_dir`] reads it. The
//! crate also carries one inside it, [`Dataset::embedded`]: mnist-10k, the
//! first 10,000 images of the MNIST training set split 8,004 / 1,996 (CC
//! BY-SA 3.0; provenance in `data/mnist-10k/README.md`), so learning works
//! with no files at all.
//!
//! | book (`dataset/mnist.py`) | here |
//! | --- | --- |
//! | `load_mnist(normalize, flatten, one_hot_label)` | [`load_mnist`] with [`LoadOptions`] |
//! | `x_train`, `t_train` | [`Loaded::x`], [`Loaded::t`] (or the u8 [`Split`]) |
//! | `x_train.shape[0]` | [`Split::len`] |
//! | `x_train[batch_mask]` (scaled) | [`gather_batch`] |
//!
//! Full MNIST and Fashion-MNIST are known by name ([`DatasetName`]):
//! [`resolve`] finds a fetched copy (or Debian's Fashion-MNIST package)
//! without downloading anything, and [`fetch`] (the `fetch` feature)
//! downloads one from its mirrors, verified against published checksums.
//! [`SplitStats`] and [`text_art`] give a learner's first look at the data.
//!
//! Every problem with the files — a wrong magic number, a truncated or
//! corrupt gzip, images and labels that disagree, a label over 9 — is a
//! [`DataError`] whose message names the file and says what to do.
//!
//! ```
//! use manabi::data::Dataset;
//! let ds = Dataset::embedded();
//! println!("{}: {} train, {} test images, sha256 {}",
//!          ds.name, ds.train.len(), ds.test.len(), ds.checksum());
//! ```

mod catalog;
mod dataset;
mod digest;
mod embedded;
mod error;
#[cfg(feature = "fetch")]
pub mod fetch;
mod huge_pages;
pub mod idx;
mod inspect;
mod load;
mod split;

pub use catalog::{
    DEBIAN_DATASETS, DataHome, DatasetName, FASHION_MNIST, Identified, MNIST, Resolved, Source,
    identify, identify_dir, resolve,
};
pub use dataset::{Dataset, FILE_NAMES, NUM_CLASSES, sha256_hex};
pub use digest::{Expected, FileDigest, FileSpec, HashKind, Hasher};
pub use embedded::embedded_files;
pub use error::{DATA_ENV, DataError, FileKind};
pub use idx::Images;
pub use inspect::{RAMP, SplitStats, text_art};
pub use load::{Labels, LoadOptions, Loaded, gather_batch, load_mnist};
pub use split::Split;
