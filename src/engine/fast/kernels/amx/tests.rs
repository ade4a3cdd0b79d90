//! The planes hold W1, and the tile products are the exact sums.

use super::planes::KB;
use super::planes::W1Planes;
use super::tiles::{Scratch, x_w1};
use crate::engine::testing;

/// Numbers in [0, 1) from a seed, the same on every machine.
fn uniform(seed: &mut u64) -> f64 {
    *seed = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (*seed >> 11) as f64 / (1u64 << 53) as f64
}

/// W1 of d × hp (h units, padded) whose columns span many sizes: column
/// j's weights are up to 2^(j mod 9 − 6), some columns are zero, one
/// holds a weight exactly at a power of two.
fn weights(d: usize, h: usize, hp: usize, seed: &mut u64) -> Vec<f32> {
    let mut w = vec![0.0f32; d * hp];
    for p in 0..d {
        for j in 0..h {
            if j % 7 == 6 {
                continue;
            }
            let size = 2f64.powi(j as i32 % 9 - 6);
            w[p * hp + j] = ((2.0 * uniform(seed) - 1.0) * size) as f32;
        }
    }
    w[3 * hp + 1] = 0.5;
    w
}

#[test]
fn the_planes_hold_w1_in_24_bits() {
    let mut seed = 1;
    for (d, h, hp) in [(784, 50, 64), (100, 16, 16), (64, 48, 48), (70, 11, 16)] {
        let w = weights(d, h, hp, &mut seed);
        let planes = W1Planes::new(&w, d, h, hp);
        for j in 0..h {
            let s = planes.step(j) * 255.0;
            let top = (0..d).map(|p| w[p * hp + j].abs()).fold(0.0f32, f32::max);
            // The step is the smallest power of two that keeps every
            // weight of the column within 24 bits.
            if top > 0.0 {
                assert!(f64::from(top) < s * 8_388_608.0 && f64::from(top) >= s * 4_194_304.0);
            }
            for p in 0..d {
                let back = f64::from(planes.q(p, j)) * s;
                let err = (back - f64::from(w[p * hp + j])).abs();
                assert!(
                    err <= s / 2.0,
                    "W1[{p}, {j}] = {} came back as {back}",
                    w[p * hp + j]
                );
            }
            // Pixels past d, up to the last block of 64, are zeros.
            for p in d..d.next_multiple_of(KB) {
                assert_eq!(planes.q(p, j), 0);
            }
        }
        let mut moved = w.clone();
        moved.iter_mut().for_each(|w| *w *= -3.0);
        let mut again = planes.clone();
        again.refill(&moved);
        let fresh = W1Planes::new(&moved, d, h, hp);
        for p in 0..d {
            for j in 0..h {
                assert_eq!(again.q(p, j), fresh.q(p, j));
                assert_eq!(again.step(j), fresh.step(j));
            }
        }
    }
}

/// A weight whose scaled value rounds up to 2²³ stays in 24 bits (it
/// moves by half a step); its negative is −2²³ exactly.
#[test]
fn a_weight_just_below_a_power_of_two_keeps_24_bits() {
    let mut w = vec![0.0f32; 64 * 16];
    w[0] = 1.0 - f32::EPSILON / 2.0;
    w[16] = -(1.0 - f32::EPSILON / 2.0);
    w[32] = 0.5;
    let planes = W1Planes::new(&w, 64, 16, 16);
    assert_eq!(planes.step(0), 2f64.powi(-23) / 255.0);
    assert_eq!(
        (planes.q(0, 0), planes.q(1, 0), planes.q(2, 0)),
        ((1 << 23) - 1, -(1 << 23), 1 << 22)
    );
    if testing::runs_amx() {
        let x: Vec<u8> = (0..64).map(|p| [255, 255, 3][p % 3]).collect();
        let (mut a1, b1) = (vec![0.0f32; 16], vec![0.0f32; 16]);
        x_w1(&planes, &x, 1, &b1, &mut a1, &mut Scratch::default());
        let s = 255 * i64::from((1 << 23) - 1) - 255 * (1 << 23) + 3 * (1 << 22);
        assert_eq!(a1[0], (s as f64 * planes.step(0)) as f32);
    }
}

/// The AVX-512 fill and the plain one write the same bytes, for weights
/// not finite too.
#[test]
fn both_fills_agree() {
    let mut seed = 3;
    for (d, h, hp) in [
        (784, 50, 64),
        (70, 11, 16),
        (100, 37, 48),
        (130, 20, 32),
        (64, 3, 16),
    ] {
        let mut w = weights(d, h, hp, &mut seed);
        w[5 * hp + 2] = f32::NAN;
        w[9 * hp + 7] = f32::INFINITY;
        let planes = W1Planes::new(&w, d, h, hp);
        let mut plain = planes.clone();
        plain.bytes.iter_mut().for_each(|line| line.0 = [0; 64]);
        plain.tops(&w);
        plain.steps_from_tops();
        plain.fill(&w);
        // The column of ones is written once, by `new`.
        let ones = planes.ones();
        for p in 0..d {
            assert_eq!(planes.byte(ones, p), 1);
            for col in 0..ones {
                assert_eq!(
                    planes.byte(col, p),
                    plain.byte(col, p),
                    "pixel {p}, column {col}"
                );
            }
        }
    }
}

#[test]
fn a_column_of_quarters_is_quarters_in_24_bits() {
    // W1 of 64 pixels × 16 units, every weight 0.25: a column's step is 2⁻²⁴.
    let planes = W1Planes::new(&vec![0.25_f32; 64 * 16], 64, 16, 16);
    assert_eq!(planes.q(3, 5), 1 << 22);
    assert_eq!(planes.step(5), 2f64.powi(-24) / 255.0);
}

#[test]
fn a_column_with_a_weight_not_finite_gives_nan() {
    let mut w = vec![0.25f32; 64 * 16];
    w[5 * 16 + 2] = f32::INFINITY;
    w[9 * 16 + 7] = f32::NAN;
    let planes = W1Planes::new(&w, 64, 16, 16);
    assert!(planes.step(2).is_nan() && planes.step(7).is_nan());
    assert_eq!(planes.step(3), 2f64.powi(-24) / 255.0);
}

/// The tile products give the exact integer sums, rounded as the
/// module says, bit for bit: images in whole tiles and in a tail, read
/// in place and from the copy, for several d and hp.
#[test]
fn the_tile_products_are_the_exact_sums() {
    if !testing::runs_amx() {
        // Nothing here can run the tile instructions: the f32 kernels are
        // the FMA ones, which other tests check.
        return;
    }
    let mut seed = 7;
    for (d, h, hp, n) in [
        // Images so small that both row tiles of a pair are copied.
        (8, 1, 16, 17),
        (10, 3, 16, 20),
        (31, 5, 16, 17),
        (784, 50, 64, 50),
        (784, 50, 64, 100),
        (784, 64, 64, 80),
        (100, 16, 16, 37),
        (64, 48, 48, 33),
        (70, 11, 16, 17),
        (784, 50, 64, 1),
    ] {
        let w = weights(d, h, hp, &mut seed);
        let b1: Vec<f32> = (0..hp).map(|j| j as f32 * 0.01 - 0.2).collect();
        // Half the pixels zero, the rest any byte.
        let x: Vec<u8> = (0..n * d)
            .map(|_| {
                if uniform(&mut seed) < 0.5 {
                    0
                } else {
                    (uniform(&mut seed) * 256.0) as u8
                }
            })
            .collect();
        let planes = W1Planes::new(&w, d, h, hp);
        let mut a1 = vec![f32::NAN; n * hp];
        x_w1(&planes, &x, n, &b1, &mut a1, &mut Scratch::default());
        for i in 0..n {
            for j in 0..hp {
                // The padding units past h: b1 alone.
                let want = if j < h {
                    let s: i64 = (0..d)
                        .map(|p| i64::from(x[i * d + p]) * i64::from(planes.q(p, j)))
                        .sum();
                    (s as f64 * planes.step(j)) as f32 + b1[j]
                } else {
                    b1[j]
                };
                assert_eq!(
                    a1[i * hp + j].to_bits(),
                    want.to_bits(),
                    "d {d} h {h} hp {hp}: image {i}, unit {j}"
                );
            }
        }
    }
}
