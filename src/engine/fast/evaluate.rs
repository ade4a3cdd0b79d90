//! Evaluation: step 5, the accuracy on a whole split.
//!
//! ```text
//! accuracy = #{n : argmaxₖ a2[n, k] = tₙ} / N,   a2 = h(x·W1 + b1)·W2 + b2   (N, k)
//! x = byte / 255, or v[byte] for a split with its own pixel values v
//! ```
//!
//! The softmax keeps the order of the scores, so the argmax of a2 is the
//! argmax of y, and evaluation stops before it. In f64, x·W1 is summed in
//! f32, and with AVX2 (f32 too) in 16-bit integers, each image checked
//! and the close ones evaluated again exactly ([`super::evaluate_narrow`]). The images go in chunks to
//! the threads; a count does not depend on which thread counted what.

use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};

use rayon::prelude::*;

use crate::data::Split;
use crate::engine::ImageSource;
use crate::two_layer_net::TwoLayerNet;

use super::batch::scale_for;
use super::evaluate_narrow::Narrow;
use super::forward::list_and_sum;
use super::functions::{LANES, activate, side_by_side};
use super::kernels::aligned::Aligned;
use super::kernels::float::Float;
use super::kernels::panel::{GROUP, Panels};
use super::kernels::x_w1_pairs::PairScratch;
use super::kernels::{kernel, level, prefetch};
use super::layout::FastNet;
use super::team;

/// Samples per parallel task in evaluation (whole groups of [`GROUP`]).
/// Each chunk's groups are made of its images sorted by class and lit
/// pixels, so the more images a chunk has, the more alike a group's are:
/// a group of five lists 1.33 times its images' own lit pixels in chunks
/// of 300 Fashion-MNIST images, against 1.41 in chunks of 100. Evaluation
/// of the 70,000 images (f64, in-process A/B, medians of 11–15): AVX-512
/// 22.0 → 20.9 ms, AMX 11.8 → 11.1 ms (fewer short tiles too); 200 and 400
/// measured between.
const EVAL_GRAIN: usize = 60 * GROUP;

/// The accuracy of `net` on `split`, #{n : argmaxₖ yₙₖ = tₙ} / N: the one
/// every report prints (the training loop's epochs, `manabi train`'s last
/// line, `manabi eval`, the pages), computed by the fast engine's kernels in
/// f64 (x·W1 summed in f32 where that provably changes no answer: see
/// `src/engine/fast/evaluate_narrow.rs`). Its answers are those of the book's [`TwoLayerNet::accuracy`] on
/// the whole split (tests check it). An empty split has accuracy 0.
///
/// # Panics
/// If `split`'s images do not have as many pixels as `net` has inputs.
///
/// ```
/// use manabi::{data::Dataset, TwoLayerNet};
/// let data = Dataset::embedded();
/// // Untrained, the network guesses: about one answer in ten is right.
/// let acc = manabi::engine::evaluate(&TwoLayerNet::new(784, 50, 10, 0.01), &data.test);
/// assert!((0.05..0.2).contains(&acc));
/// ```
pub fn evaluate(net: &TwoLayerNet, split: &Split) -> f64 {
    let inputs = net.params.sizes().0;
    assert!(
        split.is_empty() || split.pixels_per_image() == inputs,
        "evaluate: the network takes {inputs} pixels, the images have {}",
        split.pixels_per_image()
    );
    accuracy(&FastNet::<f64>::from_net(net), split)
}

/// The buffers one thread of an evaluation reuses from chunk to chunk.
#[derive(Debug, Clone, Default)]
pub(crate) struct EvalScratch<F> {
    pub(super) panels: Panels,
    pub(super) a1: Aligned<F>,
    pub(super) z1: Aligned<F>,
    pub(super) a2: Vec<F>,
    /// An f64 evaluation's hidden sums made in f32 ([`Narrow`]), their
    /// activations and scores.
    pub(super) narrow: Aligned<f32>,
    pub(super) narrow_z1: Aligned<f32>,
    pub(super) narrow_a2: Vec<f32>,
    /// The same sums made in integers with AVX2, and each image's σ.
    pub(super) pairs: PairScratch,
    pub(super) sigma: Vec<f64>,
    /// The bytes of the chunk of made images being counted.
    pub(super) made: Vec<u8>,
    /// The images [`Narrow`] could not settle, their pixels and labels.
    pub(super) recheck: Vec<u32>,
    pub(super) recheck_x: Vec<u8>,
    pub(super) recheck_t: Vec<u8>,
}

/// The fraction of `split` whose most probable class is the label.
pub fn accuracy<F: Float>(net: &FastNet<F>, split: &Split) -> f64 {
    accuracy_in(net, split, &mut Default::default())
}

/// [`accuracy`] with buffers kept from one evaluation to the next (no new
/// memory, so no page faults, at each epoch). The images go in chunks to
/// whichever of the two [`team`] threads is free (the helper is already
/// spinning during training); with more than two threads in the pool, to
/// the pool's threads.
pub(crate) fn accuracy_in<F: Float>(
    net: &FastNet<F>,
    split: &Split,
    scratch: &mut [EvalScratch<F>; 2],
) -> f64 {
    let (d, labels) = (split.pixels_per_image(), split.labels());
    let pixels = Pixels::Bytes(split.images());
    count_in(net, d, labels, split.pixel_values(), pixels, scratch)
        .map_or(0.0, |correct| correct as f64 / labels.len().max(1) as f64)
}

/// [`accuracy_in`] on images `source` makes a chunk at a time, each
/// thread into a buffer of its own: `None` when it could not make one.
pub(crate) fn accuracy_of<F: Float>(
    net: &FastNet<F>,
    source: &ImageSource<'_>,
    scratch: &mut [EvalScratch<F>; 2],
) -> Option<f64> {
    let (d, labels) = (source.pixels_per_image(), source.labels());
    let values = Some(source.pixel_values());
    let correct = count_in(net, d, labels, values, Pixels::Made(source), scratch)?;
    Some(correct as f64 / labels.len().max(1) as f64)
}

/// Where an evaluation's images are: bytes in memory, or made chunk by
/// chunk.
#[derive(Clone, Copy)]
enum Pixels<'a> {
    Bytes(&'a [u8]),
    Made(&'a ImageSource<'a>),
}

/// How many of the images (`labels.len()` of `d` pixels, each byte
/// standing for `values[byte]`, or byte / 255) `net` labels correctly;
/// `None` when made images could not be.
fn count_in<F: Float>(
    net: &FastNet<F>,
    d: usize,
    t: &[u8],
    values: Option<&[f64; 256]>,
    pixels: Pixels<'_>,
    scratch: &mut [EvalScratch<F>; 2],
) -> Option<usize> {
    let n = t.len();
    if n == 0 {
        return Some(0);
    }
    // In f64, the hidden sums in f32 where that settles the answer.
    let narrow = Narrow::new(net, values);
    let count = |s: &mut EvalScratch<F>, x: &[u8], t: &[u8]| match &narrow {
        Some(narrow) => narrow.count_correct(net, x, t, values, s),
        None => {
            let EvalScratch {
                panels, a1, z1, a2, ..
            } = s;
            count_correct(net, x, t, values, panels, a1, z1, a2)
        }
    };
    // One made image that could not be ends every thread's work.
    let failed = AtomicBool::new(false);
    // The images of a chunk, counted: from memory, or made into `made`.
    let chunk = |s: &mut EvalScratch<F>, made: &mut Vec<u8>, images: Range<usize>| {
        let t = &t[images.clone()];
        match pixels {
            Pixels::Bytes(x) => Some(count(s, &x[images.start * d..images.end * d], t)),
            Pixels::Made(source) => {
                made.resize(images.len() * d, 0);
                if failed.load(Relaxed) || !source.make(images.start, made) {
                    failed.store(true, Relaxed);
                    return None;
                }
                Some(count(s, made, t))
            }
        }
    };
    let chunks = n.div_ceil(EVAL_GRAIN);
    let images = |c: usize| c * EVAL_GRAIN..((c + 1) * EVAL_GRAIN).min(n);
    let correct = if rayon::current_num_threads() > 2 {
        (0..chunks)
            .into_par_iter()
            .map_init(
                || (EvalScratch::default(), Vec::new()),
                |(s, made), c| chunk(s, made, images(c)),
            )
            .sum()
    } else {
        // Chunks handed out in turn: a thread that finishes early takes
        // more. A count does not depend on who counted what. Each thread
        // claims its next chunk before counting one, and asks for that
        // chunk's images meanwhile (3 % off an evaluation: the images come
        // from memory, a chunk at a time).
        let next = AtomicUsize::new(0);
        let work = |s: &mut EvalScratch<F>| {
            let mut made = std::mem::take(&mut s.made);
            let mut correct = Some(0);
            let mut c = next.fetch_add(1, Relaxed);
            while c < chunks && correct.is_some() {
                let after = next.fetch_add(1, Relaxed);
                if let (Pixels::Bytes(x), true) = (pixels, after < chunks) {
                    let after = images(after);
                    prefetch(&x[after.start * d..after.end * d]);
                }
                correct = correct
                    .zip(chunk(s, &mut made, images(c)))
                    .map(|(a, b)| a + b);
                c = after;
            }
            s.made = made;
            correct
        };
        let [mine, helpers] = scratch;
        let (mut first, mut second) = (None, None);
        team::join(|| first = work(mine), || second = work(helpers));
        first.zip(second).map(|(a, b)| a + b)
    };
    correct.filter(|_| !failed.load(Relaxed))
}

kernel! {
    /// How many of the images `x` the network labels correctly, a byte
    /// standing for `values[byte]` (`byte / 255` without them).
    pub(super) fn count_correct<F: Float>(
        net: &FastNet<F>,
        x: &[u8],
        labels: &[u8],
        values: Option<&[f64; 256]>,
        panels: &mut Panels,
        a1: &mut Aligned<F>,
        z1: &mut Aligned<F>,
        a2: &mut Vec<F>,
    ) -> usize {
        let (n, hp, k) = (labels.len(), net.hp, net.k);
        let scale = scale_for::<F>(values);
        a1.resize(n * hp, F::ZERO);
        z1.resize(n * hp, F::ZERO);
        a2.resize(n * k, F::ZERO);
        list_and_sum(net, x, labels, panels, &scale, values.is_none(), a1);
        activate(net.activation, &a1[..n * hp], &mut z1[..n * hp]);
        net.output_layer().rows(level(), z1, n, a2);
        // softmax keeps the order of the scores, so the argmax of the
        // scores is the argmax of the probabilities.
        correct_rows(&a2[..n * k], k, labels)
    }
}

/// How many of the rows of `k` scores in `a` have their [`argmax`] at
/// their label (one per row in `labels`): [`LANES`] rows side by side, each
/// compared class by class in a lane of its own, as [`argmax`] compares.
///
#[inline(always)]
pub(crate) fn correct_rows<F: Float>(a: &[F], k: usize, labels: &[u8]) -> usize {
    let n = labels.len();
    assert!(a.len() >= n * k);
    let side_by_side = side_by_side(n, k);
    let mut correct = 0;
    for (rows, labels) in a[..side_by_side * k]
        .chunks_exact(LANES * k)
        .zip(labels.chunks_exact(LANES))
    {
        let mut best = [F::ZERO; LANES];
        let mut at = [0u32; LANES];
        for j in 0..LANES {
            best[j] = rows[j * k];
        }
        for c in 1..k {
            for j in 0..LANES {
                let v = rows[j * k + c];
                if v > best[j] {
                    best[j] = v;
                    at[j] = c as u32;
                }
            }
        }
        for j in 0..LANES {
            correct += (at[j] == labels[j] as u32) as usize;
        }
    }
    let rest = a[side_by_side * k..n * k].chunks_exact(k.max(1));
    correct
        + rest
            .zip(&labels[side_by_side..])
            .filter(|(a, l)| argmax(a) == **l as usize)
            .count()
}

/// Index of the largest value (the first on ties).
#[inline(always)]
pub(crate) fn argmax<F: Float>(a: &[F]) -> usize {
    let mut best = 0;
    for (i, &v) in a.iter().enumerate() {
        if v > a[best] {
            best = i;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows side by side count what row-by-row argmax counts, ties and
    /// NaN included.
    fn correct_rows_match<F: Float>() {
        let mut rng = crate::random::Rng::new(6);
        for &k in &[1, 2, 10, 16, 17] {
            for &n in &[0, 1, 15, 16, 17, 50] {
                // Few distinct scores, so ties are common.
                let mut a: Vec<F> = (0..n * k)
                    .map(|_| F::from_f64((rng.uniform() * 4.0).floor()))
                    .collect();
                if n * k > 3 {
                    a[0] = F::from_f64(f64::NAN);
                    a[n * k - 2] = F::from_f64(f64::NAN);
                }
                for _ in 0..5 {
                    let labels: Vec<u8> =
                        (0..n).map(|_| (rng.uniform() * k as f64) as u8).collect();
                    let one = a.chunks_exact(k).zip(&labels);
                    let one = one.filter(|(a, l)| argmax(a) == **l as usize).count();
                    assert_eq!(correct_rows(&a, k, &labels), one, "{} k {k} n {n}", F::NAME);
                }
            }
        }
    }

    #[test]
    fn correct_rows_equal_argmax_per_row() {
        correct_rows_match::<f32>();
        correct_rows_match::<f64>();
    }
}
