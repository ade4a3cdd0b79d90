//! A data set in memory: a training split and a test split of u8 images with
//! their labels, read from a folder or from the copy compiled into the crate.
//!
//! Pixels stay bytes (0–255). A 60,000-image training set is 47 MB this way
//! instead of 376 MB as f64, and the training loop scales only the rows of
//! each mini-batch while it gathers them, touching 8× less memory.

use std::fmt;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::error::DataError;
use super::idx::{self, MAX_LABEL};
use super::split::Split;

/// The base names of the four files of the MNIST layout, in the order
/// train images, train labels, test images, test labels.
pub const FILE_NAMES: [&str; 4] = [
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
];

/// Number of classes in an MNIST-layout data set (the digits 0–9).
pub const NUM_CLASSES: usize = MAX_LABEL as usize + 1;

/// A named data set: a training split to learn from and a test split to
/// measure how well that learning generalises.
///
/// ```
/// use manabi::data::Dataset;
/// let ds = Dataset::embedded();
/// assert_eq!(ds.name, "mnist-10k");
/// assert_eq!((ds.train.len(), ds.test.len()), (8004, 1996));
/// assert_eq!(ds.train.pixels_per_image(), 784);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dataset {
    /// What to call it in reports: the folder name, or `mnist-10k`.
    pub name: String,
    /// The images to learn from.
    pub train: Split,
    /// The images held out to measure generalisation.
    pub test: Split,
}

impl Dataset {
    /// The same data set with its training split cut to its first `n`
    /// images (unchanged when `n >= train.len()`), as `--train-size` asks.
    ///
    /// ```
    /// use manabi::data::Dataset;
    /// let data = Dataset::embedded().with_train_size(500);
    /// assert_eq!((data.train.len(), data.test.len()), (500, 1996));
    /// ```
    pub fn with_train_size(self, n: usize) -> Dataset {
        let Dataset { name, train, test } = self;
        let train = if n < train.len() {
            train.take(n)
        } else {
            train
        };
        Dataset { name, train, test }
    }

    /// Reads a folder holding the four MNIST-layout files
    /// ([`FILE_NAMES`]), each gzip (`NAME.gz`, tried first) or raw (`NAME`).
    ///
    /// The name of the data set is the folder's name. Errors name the folder
    /// or file at fault: [`DataError::MissingDir`], [`DataError::MissingFile`],
    /// any error of [`idx::read_images`] and [`idx::read_labels`], and
    /// [`DataError::CountMismatch`] / [`DataError::ShapeMismatch`] when the
    /// files do not belong together.
    ///
    /// ```
    /// use manabi::data::{Dataset, DataError};
    /// let err = Dataset::from_dir("no/such/folder").unwrap_err();
    /// assert!(matches!(err, DataError::MissingDir { .. }));
    /// ```
    pub fn from_dir(dir: impl AsRef<Path>) -> Result<Dataset, DataError> {
        let dir = dir.as_ref();
        if !dir.is_dir() {
            return Err(DataError::MissingDir {
                path: dir.to_path_buf(),
            });
        }
        let [train_images, train_labels, test_images, test_labels] =
            FILE_NAMES.map(|name| find_file(dir, name));
        let sources = [
            Source::File(train_images?),
            Source::File(train_labels?),
            Source::File(test_images?),
            Source::File(test_labels?),
        ];
        Dataset::assemble(folder_name(dir), sources)
    }

    /// Decodes four sources (as [`FILE_NAMES`]) into a data set. The training
    /// images, the bulk of the work, decode on a second thread meanwhile,
    /// or after the rest where there are no threads (a browser's wasm32).
    pub(crate) fn assemble(name: String, sources: [Source; 4]) -> Result<Dataset, DataError> {
        let [train_images, train_labels, test_images, test_labels] = &sources;
        let (train_pixels, rest) = std::thread::scope(|s| {
            let train = std::thread::Builder::new()
                .spawn_scoped(s, || train_images.images())
                .ok();
            let rest = (|| {
                Ok::<_, DataError>((
                    train_labels.labels()?,
                    test_images.images()?,
                    test_labels.labels()?,
                ))
            })();
            let train = match train {
                Some(thread) => thread
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                None => train_images.images(),
            };
            (train, rest)
        });
        let train_pixels = train_pixels?;
        let (train_labels_v, test_pixels, test_labels_v) = rest?;

        if (train_pixels.rows, train_pixels.cols) != (test_pixels.rows, test_pixels.cols) {
            return Err(DataError::ShapeMismatch {
                train_path: train_images.path().to_path_buf(),
                train: (train_pixels.rows, train_pixels.cols),
                test_path: test_images.path().to_path_buf(),
                test: (test_pixels.rows, test_pixels.cols),
            });
        }
        let train = Split::with_names(
            train_pixels.pixels,
            train_labels_v,
            train_pixels.rows,
            train_pixels.cols,
            train_images.path(),
            train_labels.path(),
        )?;
        let test = Split::with_names(
            test_pixels.pixels,
            test_labels_v,
            test_pixels.rows,
            test_pixels.cols,
            test_images.path(),
            test_labels.path(),
        )?;
        Ok(Dataset { name, train, test })
    }

    /// SHA-256 of the data set's content, as 64 lowercase hex digits.
    ///
    /// It covers the decoded IDX content (header and data) of the four files
    /// in the order of [`FILE_NAMES`], so gzip or raw files with the same
    /// content give the same checksum, and the same figure comes out of
    ///
    /// ```text
    /// zcat train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz \
    ///      t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz | sha256sum
    /// ```
    ///
    /// A split cut with [`Split::take`] hashes as the files its first `n`
    /// samples would make. Loading does not compute it; each call hashes the
    /// content afresh (about 45 ms for the 55 MB of Fashion-MNIST on a CPU
    /// with SHA instructions).
    pub fn checksum(&self) -> String {
        let mut hasher = Sha256::new();
        for split in [&self.train, &self.test] {
            hasher.update(idx::images_header(split.len(), split.rows, split.cols));
            hasher.update(&split.images);
            hasher.update(idx::labels_header(split.len()));
            hasher.update(&split.labels);
        }
        hex(&hasher.finalize())
    }
}

/// SHA-256 of `bytes` as 64 lowercase hex digits, as `sha256sum` prints it.
///
/// ```
/// assert_eq!(
///     manabi::data::sha256_hex(b"abc"),
///     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
/// );
/// ```
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(digest: &[u8]) -> String {
    use fmt::Write;
    let mut s = String::with_capacity(2 * digest.len());
    for b in digest {
        // Writing into a String cannot fail.
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Where one of the four files comes from: a path, or bytes compiled in
/// (with the name that stands for them in errors).
pub(crate) enum Source {
    File(PathBuf),
    Bytes(&'static [u8], PathBuf),
}

impl Source {
    fn path(&self) -> &Path {
        match self {
            Source::File(p) | Source::Bytes(_, p) => p,
        }
    }

    fn images(&self) -> Result<idx::Images, DataError> {
        match self {
            Source::File(p) => idx::read_images(p),
            Source::Bytes(b, name) => idx::parse_images(b, name),
        }
    }

    fn labels(&self) -> Result<Vec<u8>, DataError> {
        match self {
            Source::File(p) => idx::read_labels(p),
            Source::Bytes(b, name) => idx::parse_labels(b, name),
        }
    }
}

/// `dir/NAME.gz` if it exists, else `dir/NAME`.
pub(crate) fn find_file(dir: &Path, name: &str) -> Result<PathBuf, DataError> {
    let gz = dir.join(format!("{name}.gz"));
    if gz.exists() {
        return Ok(gz);
    }
    let raw = dir.join(name);
    if raw.exists() {
        return Ok(raw);
    }
    Err(DataError::MissingFile { path: raw })
}

/// The folder's own name; `.` and `..` are resolved first so a run from
/// inside the folder still gets a meaningful name.
fn folder_name(dir: &Path) -> String {
    let named = |p: &Path| p.file_name().map(|n| n.to_string_lossy().into_owned());
    named(dir)
        .or_else(|| dir.canonicalize().ok().as_deref().and_then(named))
        .unwrap_or_else(|| dir.display().to_string())
}
