//! The sample lists of xᵀ·δ, made every way, equal the plain ones.

#[cfg(target_arch = "x86_64")]
use super::*;
#[cfg(target_arch = "x86_64")]
use crate::engine::testing;

/// The AVX-512 and AVX2 sample lists of ∂L/∂W1 equal the plain ones, over
/// sample counts and pixel ranges that leave every kind of remainder.
#[cfg(target_arch = "x86_64")]
#[test]
fn the_vector_sample_lists_equal_the_plain_ones() {
    let levels: Vec<Level> = [Level::Avx512, Level::Avx2]
        .into_iter()
        .filter(|&level| testing::runs(level))
        .collect();
    let mut rng = crate::random::Rng::new(11);
    let d = 300;
    for &n in &[1, 7, 16, 17, 100] {
        // Images alternately sparse, dense and dark.
        let x: Vec<u8> = (0..n * d)
            .map(|i| {
                let p = [0.05, 0.6, 0.0][(i / d) % 3];
                if rng.uniform() < p {
                    1 + (rng.uniform() * 254.0) as u8
                } else {
                    0
                }
            })
            .collect();
        for &(first, groups) in &[(0, 1), (3, 31), (0, 32), (17, 33), (1, 70), (0, 75)] {
            let size = groups * (n + 1) + 16;
            let mut plain = vec![u32::MAX; size];
            sample_lists::<PIXELS>(&x, n, d, first, groups, &mut plain);
            for &level in &levels {
                let mut vector = vec![u32::MAX; size];
                // SAFETY: the level was detected; first + 4·groups ≤ d, and
                // the lists have the room they need.
                unsafe {
                    match level {
                        Level::Avx512 => sample_lists_avx512(&x, n, d, first, groups, &mut vector),
                        _ => sample_lists_avx2(&x, n, d, first, groups, &mut vector),
                    }
                };
                for g in 0..groups {
                    let at = g * (n + 1);
                    let len = plain[at] as usize;
                    assert_eq!(
                        &plain[at..=at + len],
                        &vector[at..=at + len],
                        "{level:?}: n {n}, first {first}, group {g} of {groups}"
                    );
                }
            }
        }
    }
}

/// The one-pixel sample lists made 8 × 8 at a time equal the plain ones,
/// over sample counts, first pixels and pixel counts that leave every
/// kind of remainder (samples past a multiple of 8, pixels past one).
#[test]
fn one_pixel_lists_eight_by_eight_equal_the_plain_ones() {
    let mut rng = crate::random::Rng::new(12);
    let d = 300;
    for &n in &[1, 7, 8, 9, 16, 23, 100] {
        let x: Vec<u8> = (0..n * d)
            .map(|i| {
                let p = [0.05, 0.6, 0.0, 1.0][(i / d) % 4];
                if rng.uniform() < p {
                    1 + (rng.uniform() * 254.0) as u8
                } else {
                    0
                }
            })
            .collect();
        for &(first, pixels) in &[
            (0, 1),
            (3, 8),
            (0, 9),
            (17, 64),
            (1, 70),
            (0, 299),
            (5, 295),
        ] {
            let size = pixels * (n + 1) + 16;
            let (mut plain, mut eights) = (vec![u32::MAX; size], vec![u32::MAX; size]);
            super::sample_lists::<1>(&x, n, d, first, pixels, &mut plain);
            super::sample_lists_one(&x, n, d, first, pixels, &mut eights);
            for p in 0..pixels {
                let at = p * (n + 1);
                let len = plain[at] as usize;
                assert_eq!(
                    &plain[at..=at + len],
                    &eights[at..=at + len],
                    "n {n}, first {first}, pixel {p} of {pixels}"
                );
            }
        }
    }
}
