//! Step 1, the mini-batch: which training samples each iteration takes.
//!
//! ```text
//! with replacement (the book):  batch = rng.choice(train_size, batch_size)
//! shuffle:                      order = rng.permutation(train_size) once per epoch,
//!                               batch = the next batch_size of order
//! ```

use crate::random::Rng;

/// How mini-batches are drawn from the training set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sampling {
    /// The book's way: `batch_size` random samples every iteration, with
    /// replacement (`np.random.choice`); an "epoch" is just a count.
    #[default]
    WithReplacement,
    /// The modern way: shuffle once per epoch and walk through the shuffled
    /// order, so every sample is seen once per epoch.
    Shuffle,
}

impl Sampling {
    /// Both ways, the book's first.
    pub const ALL: [Sampling; 2] = [Sampling::WithReplacement, Sampling::Shuffle];

    /// The name used in run records: "with-replacement" or "shuffle".
    pub fn name(self) -> &'static str {
        match self {
            Sampling::WithReplacement => "with-replacement",
            Sampling::Shuffle => "shuffle",
        }
    }
}

/// Its [`name`](Sampling::name).
impl std::fmt::Display for Sampling {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The sampling of that [`name`](Sampling::name).
///
/// ```
/// use manabi::train::Sampling;
/// assert_eq!("shuffle".parse::<Sampling>(), Ok(Sampling::Shuffle));
/// ```
impl std::str::FromStr for Sampling {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        crate::names::parse(s, &Self::ALL, Self::name, "sampling")
    }
}

/// Draws the indices of each mini-batch.
#[derive(Debug, Clone)]
pub struct BatchSampler {
    sampling: Sampling,
    train_size: usize,
    batch_size: usize,
    /// The current epoch's order, for [`Sampling::Shuffle`].
    order: Vec<usize>,
    /// Where the next batch starts in `order`.
    cursor: usize,
}

impl BatchSampler {
    /// A sampler over `train_size` samples.
    pub fn new(sampling: Sampling, train_size: usize, batch_size: usize) -> Self {
        BatchSampler {
            sampling,
            train_size,
            batch_size,
            order: Vec::new(),
            cursor: 0,
        }
    }

    /// The indices of the next mini-batch: `rng.choice(train_size,
    /// batch_size)` (the book's `np.random.choice`), or the next slice of
    /// this epoch's shuffled order.
    ///
    /// ```
    /// use manabi::random::Rng;
    /// use manabi::train::{BatchSampler, Sampling};
    /// let mut rng = Rng::new(42);
    /// let mut sampler = BatchSampler::new(Sampling::Shuffle, 10, 5);
    /// let (mut a, mut b) = (sampler.next(&mut rng), sampler.next(&mut rng));
    /// // One epoch of shuffled batches sees every sample once.
    /// a.append(&mut b);
    /// a.sort();
    /// assert_eq!(a, (0..10).collect::<Vec<_>>());
    /// ```
    pub fn next(&mut self, rng: &mut Rng) -> Vec<usize> {
        match self.sampling {
            Sampling::WithReplacement => rng.choice(self.train_size, self.batch_size),
            Sampling::Shuffle => {
                // A new order each epoch; a last partial batch is dropped, so
                // every batch has batch_size samples.
                let batch = self.batch_size.min(self.train_size);
                if self.order.is_empty() || self.cursor + batch > self.order.len() {
                    self.order = rng.permutation(self.train_size);
                    self.cursor = 0;
                }
                let out = self.order[self.cursor..self.cursor + batch].to_vec();
                self.cursor += batch;
                out
            }
        }
    }
}
