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

/// One split of a data set: `len()` images of `rows × cols` u8 pixels, each
/// with its label 0–9.
///
/// ```
/// use manabi::data::Split;
/// // Three 2×2 images and their labels.
/// let pixels = vec![0, 0, 0, 0, 255, 255, 255, 255, 0, 128, 0, 128];
/// let split = Split::new(pixels, vec![1, 7, 3], 2, 2)?;
/// assert_eq!(split.len(), 3);
/// assert_eq!(split.image(1), &[255, 255, 255, 255]);
/// assert_eq!(split.label(2), 3);
/// assert_eq!(split.take(2).labels(), &[1, 7]);
/// # Ok::<(), manabi::data::DataError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Split {
    images: Vec<u8>,
    labels: Vec<u8>,
    rows: usize,
    cols: usize,
    /// What each byte stands for, when it is not k/255.
    values: Option<PixelValues>,
}

/// vₖ for k = 0…255, compared bit for bit (so a split equals itself).
#[derive(Clone)]
struct PixelValues(Box<[f64; 256]>);

impl PartialEq for PixelValues {
    fn eq(&self, other: &Self) -> bool {
        self.0
            .iter()
            .zip(other.0.iter())
            .all(|(a, b)| a.to_bits() == b.to_bits())
    }
}

impl Eq for PixelValues {}

impl Split {
    /// Builds a split from `labels.len()` images laid one after another in
    /// `images`, each `rows × cols` pixels, row by row.
    ///
    /// Checks what the files would have been checked for: non-zero image
    /// size, a whole number of images, as many images as labels, and labels
    /// 0–9. Errors name the arguments `<images>` and `<labels>`.
    pub fn new(
        images: Vec<u8>,
        labels: Vec<u8>,
        rows: usize,
        cols: usize,
    ) -> Result<Split, DataError> {
        Split::with_names(
            images,
            labels,
            rows,
            cols,
            Path::new("<images>"),
            Path::new("<labels>"),
        )
    }

    /// [`Split::new`] with errors naming the files the data came from.
    pub(crate) fn with_names(
        images: Vec<u8>,
        labels: Vec<u8>,
        rows: usize,
        cols: usize,
        images_path: &Path,
        labels_path: &Path,
    ) -> Result<Split, DataError> {
        let bad_dims = |reason| DataError::BadDims {
            path: images_path.to_path_buf(),
            dims: [labels.len(), rows, cols].map(|d| d as u64).to_vec(),
            reason,
        };
        if rows == 0 || cols == 0 {
            return Err(bad_dims("a dimension is zero"));
        }
        // The checksum writes each split back as IDX headers, whose fields are u32.
        let max = u32::MAX as usize;
        if rows > max || cols > max || labels.len() > max {
            return Err(bad_dims("more than an IDX header can describe"));
        }
        let pixels_per_image = rows
            .checked_mul(cols)
            .ok_or_else(|| bad_dims("more data than this machine can address"))?;
        if !images.len().is_multiple_of(pixels_per_image) {
            return Err(DataError::PartialImage {
                path: images_path.to_path_buf(),
                len: images.len(),
                rows,
                cols,
            });
        }
        let count = images.len() / pixels_per_image;
        if count != labels.len() {
            return Err(DataError::CountMismatch {
                images_path: images_path.to_path_buf(),
                images: count,
                labels_path: labels_path.to_path_buf(),
                labels: labels.len(),
            });
        }
        if let Some(index) = labels.iter().position(|&l| l > MAX_LABEL) {
            return Err(DataError::LabelOutOfRange {
                path: labels_path.to_path_buf(),
                index,
                label: labels[index],
            });
        }
        Ok(Split {
            images,
            labels,
            rows,
            cols,
            values: None,
        })
    }

    /// The split with pixel byte k standing for `values[k]` instead of
    /// k/255 wherever a network reads it (both engines, their batches and
    /// evaluations): for images that were given as numbers, each one of at
    /// most 256 values, such as NumPy's float32 `k / 255` (the book's
    /// `load_mnist(normalize=True)`), which differs from f64 k/255 in the
    /// ninth digit, or the bytes themselves (`normalize=False`).
    ///
    /// ```
    /// use manabi::data::Split;
    /// let split = Split::new(vec![0, 3, 255, 0], vec![1, 2], 1, 2)?;
    /// assert!(split.pixel_values().is_none()); // k/255
    /// let raw = split.with_pixel_values(std::array::from_fn(|k| k as f64));
    /// assert_eq!(raw.pixel_values().unwrap()[255], 255.0);
    /// # Ok::<(), manabi::data::DataError>(())
    /// ```
    ///
    /// # Panics
    /// Unless `values[0]` is 0: zero pixels are skipped, as adding nothing.
    pub fn with_pixel_values(mut self, values: [f64; 256]) -> Split {
        assert!(
            values[0] == 0.0,
            "pixel byte 0 must stand for 0 (zero pixels are skipped), not {}",
            values[0]
        );
        self.values = Some(PixelValues(Box::new(values)));
        self
    }

    /// What each pixel byte stands for, `values[k]`, when set with
    /// [`Split::with_pixel_values`]; `None` for the book's k/255.
    pub fn pixel_values(&self) -> Option<&[f64; 256]> {
        self.values.as_ref().map(|v| &*v.0)
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// True when the split holds no sample.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Pixels in one image, `rows · cols` (784 for MNIST): the network's input size.
    pub fn pixels_per_image(&self) -> usize {
        self.rows * self.cols
    }

    /// Rows of one image (28 for MNIST).
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Columns of one image (28 for MNIST).
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// All pixels, image after image: `len() · pixels_per_image()` bytes.
    pub fn images(&self) -> &[u8] {
        &self.images
    }

    /// All labels, one per image, each 0–9.
    pub fn labels(&self) -> &[u8] {
        &self.labels
    }

    /// The split taken apart for its pixels' buffer, to be filled again.
    pub fn into_images(self) -> Vec<u8> {
        self.images
    }

    /// The pixels of image `i`, row by row.
    ///
    /// # Panics
    /// When `i >= len()`, like slice indexing.
    pub fn image(&self, i: usize) -> &[u8] {
        let n = self.pixels_per_image();
        &self.images[i * n..(i + 1) * n]
    }

    /// The label of image `i`, 0–9.
    ///
    /// # Panics
    /// When `i >= len()`, like slice indexing.
    pub fn label(&self, i: usize) -> usize {
        usize::from(self.labels[i])
    }

    /// A copy of the first `n` samples (all of them when `n >= len()`).
    pub fn take(&self, n: usize) -> Split {
        let n = n.min(self.len());
        Split {
            images: self.images[..n * self.pixels_per_image()].to_vec(),
            labels: self.labels[..n].to_vec(),
            rows: self.rows,
            cols: self.cols,
            values: self.values.clone(),
        }
    }
}

impl fmt::Debug for Split {
    // The derived form would print every pixel.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Split")
            .field("len", &self.len())
            .field("rows", &self.rows)
            .field("cols", &self.cols)
            .finish_non_exhaustive()
    }
}

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
