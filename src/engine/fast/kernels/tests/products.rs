//! The tiled products equal plain sums, at every kernel level this
//! processor has.

use super::float::Float;
use super::panel::Panels;
use super::x_w1::x_w1;
use super::xt_delta::xt_delta;
use super::z1_w2::W2;
use super::{Level, even_tiles};
use crate::engine::testing;
use crate::random::Rng;

/// x·W1 + b1 and xᵀ·δ of n images of 37 pixels, mostly zero, with h
/// hidden units padded to hp, against the same sums term by term (fused
/// where the level fuses): every tile shape and every leftover row and
/// pixel is exercised (an odd n leaves one image out of x·W1's pairs).
fn tiled_products_match<F: Float>(level: Level, n: usize, h: usize, pad_bytes: usize) {
    let mut rng = Rng::new(4);
    let pad = pad_bytes / std::mem::size_of::<F>();
    let (d, hp) = (37, h.div_ceil(pad) * pad);
    let mut w1 = vec![F::ZERO; d * hp];
    let mut b1 = vec![F::ZERO; hp];
    for i in 0..d {
        for j in 0..h {
            w1[i * hp + j] = F::from_f64(rng.standard_normal());
        }
    }
    for b in &mut b1[..h] {
        *b = F::from_f64(rng.standard_normal());
    }
    // A third of the pixels lit; in batches of more than 16 images, the
    // last pixels lit in every image: xᵀ·δ's last tile of pixels then
    // lists every sample (43: more numbers written past its list than fit
    // in it), and the one pixel left after it must not read them.
    let x: Vec<u8> = (0..n * d)
        .map(|e| {
            if rng.below(3) == 0 || (n > 16 && e % d >= d - 5) {
                1 + rng.below(255) as u8
            } else {
                0
            }
        })
        .collect();
    let scale: [F; 256] = std::array::from_fn(|b| F::from_pixel(b as u8));
    let fused = level.fused();
    let madd = |acc: F, v: F, w: F| {
        if fused {
            v.mul_add(w, acc)
        } else {
            acc + v * w
        }
    };
    let mut a1 = vec![F::ZERO; n * hp];
    // Blocks of 5 pixels: partial sums cross blocks, and the 10 images
    // are whole groups and images alone.
    let mut panels = Panels::default();
    panels.build(level, &x, &[] as &[u8], n, d, 5);
    x_w1(level, &w1, &b1, d, hp, h, &x, &panels, &scale, &mut a1);
    for s in 0..n {
        for j in 0..h {
            let mut want = F::ZERO;
            for i in 0..d {
                if x[s * d + i] != 0 {
                    want = madd(want, scale[x[s * d + i] as usize], w1[i * hp + j]);
                }
            }
            want += b1[j];
            let got = a1[s * hp + j];
            assert_eq!(got, want, "{level:?} {} h {h} sample {s} unit {j}", F::NAME);
        }
    }
    // The padding units of da1 are zero, as the engine's are.
    let da1: Vec<F> = (0..n * hp)
        .map(|e| {
            let v = rng.standard_normal();
            F::from_f64(if e % hp < h { v } else { 0.0 })
        })
        .collect();
    let mut dw1 = vec![F::ZERO; d * hp];
    xt_delta(level, &x, n, d, &da1, h, &scale, 0, &mut dw1);
    for i in 0..d {
        for j in 0..hp {
            let mut want = F::ZERO;
            for s in 0..n {
                if x[s * d + i] != 0 {
                    want = madd(want, scale[x[s * d + i] as usize], da1[s * hp + j]);
                }
            }
            let got = dw1[i * hp + j];
            assert_eq!(got, want, "{level:?} {} h {h} pixel {i} unit {j}", F::NAME);
        }
    }
}

#[test]
fn the_tiled_products_equal_plain_sums() {
    // Hidden layers whose padded width leaves every tail of 1, 2 or 3
    // registers after the wide tiles, and one, two or three tiles of one
    // image or one pixel, or pairs of images of 1 to 7 registers, in both
    // precisions; batches of more than 16 images too; padded to 64 bytes and to
    // the level's own register (as the engine pads for the level in use).
    testing::at_each_level(|level| {
        for pad_bytes in [64, level.register_bytes()] {
            for (n, h) in [7, 10, 43]
                .into_iter()
                .flat_map(|n| [5, 16, 40, 49, 50, 63, 80, 100, 120].map(|h| (n, h)))
            {
                tiled_products_match::<f32>(level, n, h, pad_bytes);
                tiled_products_match::<f64>(level, n, h, pad_bytes);
            }
        }
    });
}

/// Every class count up to past the 16 lanes, sample counts around the 2
/// and 4 samples at a time: each row as `output` gives it.
fn outputs_match<F: Float>(level: Level) {
    let mut rng = Rng::new(9);
    let (h, hp) = (21, 24);
    for k in [1, 3, 8, 10, 16, 17] {
        let w: Vec<F> = (0..hp * k)
            .map(|i| {
                if i < h * k {
                    F::from_f64(rng.standard_normal())
                } else {
                    F::ZERO
                }
            })
            .collect();
        let b: Vec<F> = (0..k).map(|_| F::from_f64(rng.standard_normal())).collect();
        let w2 = W2 {
            w: &w,
            b: &b,
            h,
            hp,
            k,
        };
        for n in 0..8 {
            let z1: Vec<F> = (0..n * hp)
                .map(|_| F::from_f64(rng.standard_normal()))
                .collect();
            let mut rows = vec![F::ZERO; n * k + 3];
            w2.rows(level, &z1, n, &mut rows);
            for s in 0..n {
                let mut one = vec![F::ZERO; k];
                w2.output(&z1[s * hp..][..hp], &mut one);
                let row = &rows[s * k..][..k];
                assert_eq!(
                    row,
                    &one[..],
                    "{level:?} {} k {k} n {n} sample {s}",
                    F::NAME
                );
            }
            // Nothing written past the n rows.
            assert!(rows[n * k..].iter().all(|&v| v == F::ZERO));
        }
    }
}

#[test]
fn output_rows_equal_output_per_sample() {
    testing::at_each_level(|level| {
        outputs_match::<f32>(level);
        outputs_match::<f64>(level);
    });
}

/// Tiles cover every register once, in order, none wider than asked, and
/// as few and as even as can be.
#[test]
fn even_tiles_split_the_registers_evenly() {
    assert_eq!(even_tiles(16, 13).collect::<Vec<_>>(), [(0, 8), (8, 8)]);
    assert_eq!(even_tiles(7, 4).collect::<Vec<_>>(), [(0, 4), (4, 3)]);
    assert_eq!(even_tiles(25, 13).collect::<Vec<_>>(), [(0, 13), (13, 12)]);
    for regs in 0..60 {
        for most in 1..15 {
            let tiles: Vec<_> = even_tiles(regs, most).collect();
            assert_eq!(tiles.len(), regs.div_ceil(most), "{regs} by {most}");
            let mut next = 0;
            for &(first, width) in &tiles {
                assert!(
                    first == next && width >= 1 && width <= most,
                    "{regs} by {most}"
                );
                next += width;
            }
            assert_eq!(next, regs);
            let widths = tiles.iter().map(|t| t.1);
            assert!(widths.clone().max().unwrap_or(0) - widths.min().unwrap_or(0) <= 1);
        }
    }
}
