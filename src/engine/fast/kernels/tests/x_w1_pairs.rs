//! Tests of x·W1 in 16-bit integers (`x_w1_pairs.rs`): the sums of the
//! rounded weights exactly, each rounded weight within half a step.

use super::*;
use crate::engine::testing;
use crate::random::Rng;

/// q[p, j], as the lanes hold it.
fn q(pairs: &W1Pairs, p: usize, j: usize) -> i64 {
    i64::from(pairs.lanes[(p / 2) * (pairs.hp / 8) + j / 8].0[2 * (j % 8) + p % 2])
}

/// Random bytes (a third of them dark) and weights, odd and even image
/// sizes, units past one tile of 12 registers, blocks of one register's
/// pairs up to whole images: ã1 is fl32(fl32(S)·c) + b1 with S the exact
/// sum of bytes times q (here in 64 bits), σ the bytes' sum over 255, and
/// each weight within half a step of q·s.
#[test]
fn sums_are_exact_and_weights_within_half_a_step() {
    if !testing::runs(Level::Avx2) {
        return;
    }
    let mut rng = Rng::new(11);
    for (d, h, hp, n) in [
        (784, 50, 56, 37),
        (15, 3, 8, 5),
        (33, 100, 104, 9),
        (2, 1, 8, 1),
        (9, 8, 8, 0),
    ] {
        let mut w1: Vec<f64> = (0..d * hp)
            .map(|i| {
                if i % hp < h {
                    (rng.uniform() - 0.5) * 0.2
                } else {
                    0.0
                }
            })
            .collect();
        // A column of zeros, and one of large equal weights whose sum
        // sets the step (255·Σ|q| within 2³⁰).
        for p in 0..d {
            w1[p * hp] = 0.0;
            if h > 1 {
                w1[p * hp + 1] = 3.0;
            }
        }
        let pairs = W1Pairs::new(&w1, d, hp, h, hp).expect("bounds hold");
        for p in 0..d {
            for j in 0..h {
                let step = pairs.half_step[j] * 2.0;
                let off = (q(&pairs, p, j) as f64 * step - w1[p * hp + j]).abs();
                assert!(
                    off <= step / 2.0 * (1.0 + 1e-9),
                    "d {d} pixel {p} unit {j}: {off:e}"
                );
            }
        }
        let mut x: Vec<u8> = (0..n * d)
            .map(|_| match rng.uniform() {
                u if u < 0.33 => 0,
                u => (u * 256.0) as u8,
            })
            .collect();
        if n > 0 {
            x[..d].fill(255);
        }
        let b1: Vec<f32> = (0..hp)
            .map(|j| if j < h { j as f32 * 0.01 } else { 0.0 })
            .collect();
        for block in [8 * hp * 4, 24 * 1024, 1 << 20] {
            let (mut s, mut sigma) = (PairScratch::default(), Vec::new());
            let mut a1 = vec![f32::NAN; n * hp];
            hidden_sums(&pairs, &b1, &x, n, block, &mut s, &mut a1, &mut sigma);
            assert_eq!(sigma.len(), n);
            for (i, row) in x.chunks_exact(d).enumerate() {
                let bytes: u64 = row.iter().map(|&b| u64::from(b)).sum();
                assert_eq!(sigma[i], bytes as f64 / 255.0);
                for j in 0..hp {
                    let sum: i64 = (0..d).map(|p| i64::from(row[p]) * q(&pairs, p, j)).sum();
                    assert!(sum.abs() < 1 << 31);
                    let want = sum as f32 * pairs.c[j] + b1[j];
                    let got = a1[i * hp + j];
                    assert_eq!(
                        got.to_bits(),
                        want.to_bits(),
                        "d {d} block {block} image {i} unit {j}: {got} against {want}"
                    );
                }
            }
        }
    }
}

/// Weights the fixed point cannot hold: refused.
#[test]
fn weights_out_of_bounds_are_refused() {
    let ok = vec![0.5f64; 16 * 8];
    assert!(W1Pairs::new(&ok, 16, 8, 5, 8).is_some());
    for bad in [f64::NAN, f64::INFINITY, 1e200] {
        let mut w = ok.clone();
        w[3 * 8 + 2] = bad;
        assert!(W1Pairs::new(&w, 16, 8, 5, 8).is_none(), "{bad}");
    }
    // Rows not a whole number of registers; no pixels.
    assert!(W1Pairs::new(&ok, 16, 8, 5, 12).is_none());
    assert!(W1Pairs::new(&ok, 0, 8, 5, 8).is_none());
}
