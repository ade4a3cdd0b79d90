//! One split of a data set: u8 images of `rows × cols` pixels, each with
//! its label 0–9, and what a byte stands for when it is not `byte / 255`.

use std::fmt;
use std::path::Path;

use super::error::DataError;
use super::idx::MAX_LABEL;

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
    pub(super) images: Vec<u8>,
    pub(super) labels: Vec<u8>,
    pub(super) rows: usize,
    pub(super) cols: usize,
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
