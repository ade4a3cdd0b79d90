//! The book's `load_mnist`: a data set as arrays of f64, ready for a network.
//!
//! ```python
//! (x_train, t_train), (x_test, t_test) = \
//!     load_mnist(normalize=True, flatten=True, one_hot_label=False)
//! ```
//!
//! becomes
//!
//! ```
//! use manabi::data::{load_mnist, Dataset, LoadOptions};
//! let (train, test) = load_mnist(&Dataset::embedded(), LoadOptions::default());
//! assert_eq!(train.x.shape(), &[8004, 784]);
//! assert_eq!(test.t.len(), 1996);
//! ```
//!
//! This copies every image into f64, eight bytes a pixel: fine for the
//! chapter's small experiments and for checking against the book. The
//! training loop works from [`Split`]'s bytes instead and scales only the
//! mini-batch it draws.

use ndarray::{Array1, Array2, ArrayD, IxDyn};

use super::dataset::{Dataset, NUM_CLASSES};
use super::split::Split;
use crate::functions::Target;

/// The three switches of the book's `load_mnist`; [`Default`] is the book's
/// default, `(normalize=True, flatten=True, one_hot_label=False)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadOptions {
    /// Scale pixels from 0–255 to 0.0–1.0 (divide by 255).
    pub normalize: bool,
    /// One row of `rows · cols` values per image, shape `(N, 784)`; otherwise
    /// `(N, 1, 28, 28)`: one channel of 28 rows of 28 pixels.
    pub flatten: bool,
    /// Labels as one-hot rows `(N, 10)` instead of class indices `(N,)`.
    pub one_hot_label: bool,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            normalize: true,
            flatten: true,
            one_hot_label: false,
        }
    }
}

/// What the network should answer for each image.
#[derive(Debug, Clone, PartialEq)]
pub enum Labels {
    /// `t: (N,)`, the class of each image (`one_hot_label=False`).
    Indices(Array1<usize>),
    /// `t: (N, 10)`, a 1.0 at each image's class and 0.0 elsewhere
    /// (`one_hot_label=True`).
    OneHot(Array2<f64>),
}

impl Labels {
    /// A view to pass to `cross_entropy_error`, `accuracy` and friends.
    pub fn target(&self) -> Target<'_> {
        match self {
            Labels::Indices(t) => Target::Labels(t.view()),
            Labels::OneHot(t) => Target::OneHot(t.view()),
        }
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        match self {
            Labels::Indices(t) => t.len(),
            Labels::OneHot(t) => t.nrows(),
        }
    }

    /// True when there are no samples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// `x[batch_mask] / 255`, `t[batch_mask]`: the chosen images as a (N, 784)
/// matrix scaled to [0, 1], and their labels — what [`load_mnist`] gives for
/// those rows, without converting the rest. A split that says what its bytes
/// stand for ([`Split::pixel_values`]) gives `v[byte]` instead of `byte / 255`.
///
/// ```
/// use manabi::data::{gather_batch, Dataset};
/// let data = Dataset::embedded();
/// let (x, t) = gather_batch(&data.train, &[0, 1, 2]);
/// assert_eq!(x.dim(), (3, 784));
/// assert!(x.iter().all(|&v| (0.0..=1.0).contains(&v)));
/// assert_eq!(t, [data.train.label(0), data.train.label(1), data.train.label(2)]);
/// ```
pub fn gather_batch(split: &Split, indices: &[usize]) -> (Array2<f64>, Vec<usize>) {
    let d = split.pixels_per_image();
    let mut x = Array2::zeros((indices.len(), d));
    let values = split
        .pixel_values()
        .copied()
        .unwrap_or_else(|| std::array::from_fn(|p| p as f64 / 255.0));
    for (mut row, &i) in x.rows_mut().into_iter().zip(indices) {
        for (v, &p) in row.iter_mut().zip(split.image(i)) {
            *v = values[usize::from(p)];
        }
    }
    let t = indices.iter().map(|&i| split.label(i)).collect();
    (x, t)
}

/// One split as arrays: the book's `(x, t)` pair.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded {
    /// Images, `(N, 784)` when flattened, else `(N, 1, 28, 28)`.
    pub x: ArrayD<f64>,
    /// Their labels.
    pub t: Labels,
}

/// The book's `load_mnist`: `(train, test)` of `ds` as f64 arrays.
///
/// ```
/// use manabi::data::{load_mnist, Dataset, Labels, LoadOptions};
/// let opts = LoadOptions { normalize: false, flatten: false, one_hot_label: true };
/// let (train, _test) = load_mnist(&Dataset::embedded(), opts);
/// assert_eq!(train.x.shape(), &[8004, 1, 28, 28]);
/// assert!(matches!(train.t, Labels::OneHot(ref t) if t.shape() == [8004, 10]));
/// ```
pub fn load_mnist(ds: &Dataset, opts: LoadOptions) -> (Loaded, Loaded) {
    (load_split(&ds.train, opts), load_split(&ds.test, opts))
}

fn load_split(split: &Split, opts: LoadOptions) -> Loaded {
    // 256 possible pixel values: look the scaled value up rather than divide.
    let scale: [f64; 256] = std::array::from_fn(|v| {
        if opts.normalize {
            v as f64 / 255.0
        } else {
            v as f64
        }
    });
    let values: Vec<f64> = split
        .images()
        .iter()
        .map(|&p| scale[usize::from(p)])
        .collect();
    let n = split.len();
    let shape = if opts.flatten {
        vec![n, split.pixels_per_image()]
    } else {
        vec![n, 1, split.rows(), split.cols()]
    };
    let x = ArrayD::from_shape_vec(IxDyn(&shape), values)
        .expect("a Split holds len · rows · cols pixels");

    let t = if opts.one_hot_label {
        let mut t = Array2::zeros((n, NUM_CLASSES));
        for (i, &label) in split.labels().iter().enumerate() {
            t[[i, usize::from(label)]] = 1.0;
        }
        Labels::OneHot(t)
    } else {
        Labels::Indices(split.labels().iter().map(|&l| usize::from(l)).collect())
    };
    Loaded { x, t }
}
