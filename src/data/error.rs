//! What can go wrong while reading a data set, as one typed error.
//!
//! Every message is a single line that starts with the file (or folder) at
//! fault and ends with what to do about it, so the command line can print it
//! as it is and exit.

use std::io;
use std::path::PathBuf;

/// The four file names of the MNIST layout, for messages that say what a
/// data folder must hold.
const EXPECTED_FILES: &str = "train-images-idx3-ubyte, train-labels-idx1-ubyte, \
                              t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte (each .gz or raw)";

/// Which of the two IDX file types a reader expected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// `*-images-idx3-ubyte`: magic 0x00000803, dims (count, rows, cols).
    Images,
    /// `*-labels-idx1-ubyte`: magic 0x00000801, dims (count).
    Labels,
}

impl FileKind {
    /// The magic number that opens a file of this kind: two zero bytes, the
    /// element type (0x08 = unsigned byte) and the number of dimensions.
    pub const fn magic(self) -> u32 {
        match self {
            FileKind::Images => 0x0000_0803,
            FileKind::Labels => 0x0000_0801,
        }
    }

    /// The number of dimensions in the header (3 for images, 1 for labels).
    pub const fn ndims(self) -> usize {
        match self {
            FileKind::Images => 3,
            FileKind::Labels => 1,
        }
    }

    fn noun(self) -> &'static str {
        match self {
            FileKind::Images => "image",
            FileKind::Labels => "label",
        }
    }
}

impl std::fmt::Display for FileKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.noun())
    }
}

/// The environment variable that moves the cache of fetched data sets
/// (read by [`DataHome::from_env`](super::DataHome::from_env)).
pub const DATA_ENV: &str = "MANABI_DATA";

/// An error while reading or assembling a data set.
///
/// `Display` gives one line that names the file and says what to do; the
/// fields carry the same facts for code that wants to react to them.
///
/// ```
/// use manabi::data::{idx, DataError};
/// // A labels file handed to the images reader.
/// let labels = [0u8, 0, 8, 1, 0, 0, 0, 1, 7];
/// let err = idx::parse_images(&labels, "t10k-labels-idx1-ubyte").unwrap_err();
/// assert!(matches!(err, DataError::BadMagic { found: 0x0801, .. }));
/// assert!(err.to_string().starts_with("t10k-labels-idx1-ubyte: not an IDX image file"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DataError {
    /// The file could not be opened or read (missing, unreadable, a folder…).
    #[error(
        "{}: cannot read it ({error}); check the path and its permissions",
        path.display()
    )]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        error: io::Error,
    },

    /// The data folder does not exist or is not a folder.
    #[error(
        "{}: no such folder; --data-dir expects a folder holding {EXPECTED_FILES}",
        path.display()
    )]
    MissingDir {
        /// The folder that was named.
        path: PathBuf,
    },

    /// One of the four standard files is absent from the data folder.
    #[error("{}[.gz]: not found; a data folder must hold {EXPECTED_FILES}", path.display())]
    MissingFile {
        /// The file's path without the `.gz` suffix (both were tried).
        path: PathBuf,
    },

    /// The first four bytes are not the IDX magic number of the expected kind.
    #[error(
        "{}: not an IDX {kind} file (magic {found:#010x}{}, expected {expected:#010x}); \
         point --data-dir at a folder of MNIST-layout files",
        path.display(),
        magic_hint(*found)
    )]
    BadMagic {
        /// The file.
        path: PathBuf,
        /// The kind the reader expected.
        kind: FileKind,
        /// The magic number found (big-endian).
        found: u32,
        /// The magic number expected (big-endian).
        expected: u32,
    },

    /// A dimension in the header is zero, or the sizes cannot be held in memory.
    #[error(
        "{}: IDX header has unusable dimensions {} ({reason}); the file is damaged or not \
         MNIST-layout, fetch it again",
        path.display(),
        dims_text(dims)
    )]
    BadDims {
        /// The file.
        path: PathBuf,
        /// The dimensions as read from the header.
        dims: Vec<u64>,
        /// Why they are unusable.
        reason: &'static str,
    },

    /// The content ends before the size its header declares.
    #[error(
        "{}: truncated: its header declares {expected} bytes, it holds {got}; \
         the file was cut short, fetch it again",
        path.display()
    )]
    Truncated {
        /// The file.
        path: PathBuf,
        /// Bytes of IDX content (header and data, decompressed) the header declares.
        expected: u64,
        /// Bytes of IDX content actually present.
        got: u64,
    },

    /// The content goes on after the size its header declares.
    #[error(
        "{}: trailing data: {extra} byte(s) past the {expected} its header declares; \
         the file is damaged or not MNIST-layout, fetch it again",
        path.display()
    )]
    TrailingBytes {
        /// The file.
        path: PathBuf,
        /// Bytes of IDX content (header and data, decompressed) the header declares.
        expected: u64,
        /// Bytes found after them.
        extra: u64,
    },

    /// The file starts like gzip but does not decompress.
    #[error(
        "{}: corrupt gzip stream ({error}); the download is damaged, fetch it again",
        path.display()
    )]
    Gzip {
        /// The file.
        path: PathBuf,
        /// What the decompressor said.
        error: io::Error,
    },

    /// An images file and its labels file disagree on the number of samples.
    #[error(
        "{} holds {images} images but {} holds {labels} labels; \
         both files of a split must come from the same data set",
        images_path.display(),
        labels_path.display()
    )]
    CountMismatch {
        /// The images file.
        images_path: PathBuf,
        /// Its number of images.
        images: usize,
        /// The labels file.
        labels_path: PathBuf,
        /// Its number of labels.
        labels: usize,
    },

    /// A pixel buffer whose length is not a whole number of images.
    #[error(
        "{}: {len} pixel bytes is not a whole number of {rows}×{cols} images",
        path.display()
    )]
    PartialImage {
        /// Where the pixels came from.
        path: PathBuf,
        /// Number of pixel bytes.
        len: usize,
        /// Rows of one image.
        rows: usize,
        /// Columns of one image.
        cols: usize,
    },

    /// A label outside 0–9.
    #[error(
        "{}: label {label} at index {index} is outside 0–9; MNIST-layout labels are digits \
         0–9, point --data-dir at a folder of MNIST-layout files",
        path.display()
    )]
    LabelOutOfRange {
        /// The labels file.
        path: PathBuf,
        /// Position of the first bad label.
        index: usize,
        /// Its value.
        label: u8,
    },

    /// A named data set is neither in the cache nor installed by a package.
    #[error(
        "{name}: {}; {}",
        not_fetched_where(looked_in, partial.as_ref()),
        not_fetched_fix(name, *debian_package)
    )]
    NotFetched {
        /// The data set's name, e.g. `mnist`.
        name: &'static str,
        /// The folders looked in.
        looked_in: Vec<PathBuf>,
        /// A folder holding some but not all of its files, and how many.
        partial: Option<(PathBuf, usize)>,
        /// The Debian package that installs it, if any.
        debian_package: Option<&'static str>,
    },

    /// There is no folder to keep fetched data sets in.
    #[error(
        "no cache folder for data sets on this system; set {}=<folder>, \
         or name a folder of MNIST-layout files with --data-dir",
        DATA_ENV
    )]
    NoCacheDir,

    /// Train and test images have different sizes.
    #[error(
        "{} holds {}×{} images but {} holds {}×{}; \
         train and test must come from the same data set",
        train_path.display(),
        train.0,
        train.1,
        test_path.display(),
        test.0,
        test.1
    )]
    ShapeMismatch {
        /// The training images file.
        train_path: PathBuf,
        /// Its (rows, cols).
        train: (usize, usize),
        /// The test images file.
        test_path: PathBuf,
        /// Its (rows, cols).
        test: (usize, usize),
    },
}

fn not_fetched_where(looked_in: &[PathBuf], partial: Option<&(PathBuf, usize)>) -> String {
    if let Some((dir, n)) = partial {
        return format!(
            "{} holds only {n} of its 4 files (an unfinished fetch?)",
            dir.display()
        );
    }
    let folders: Vec<String> = looked_in.iter().map(|d| d.display().to_string()).collect();
    if folders.is_empty() {
        "not fetched yet".to_string()
    } else {
        format!("not fetched yet (looked in {})", folders.join(" and "))
    }
}

fn not_fetched_fix(name: &str, debian_package: Option<&str>) -> String {
    let fetch = format!("fetch it with `manabi data fetch {name}`");
    match debian_package {
        Some(p) => format!(
            "{fetch} or `apt-get install {p}`, or name a folder of its files with --data-dir"
        ),
        None => format!("{fetch}, or name a folder of its files with --data-dir"),
    }
}

fn magic_hint(found: u32) -> &'static str {
    match found {
        0x0000_0803 => " is an IDX image file",
        0x0000_0801 => " is an IDX label file",
        m if m >> 16 == 0x1f8b => " is gzip: compressed twice?",
        _ => "",
    }
}

fn dims_text(dims: &[u64]) -> String {
    dims.iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join("×")
}
