//! The lit bytes of a row: eight at a time, and counted with AVX-512.

use super::*;
#[cfg(target_arch = "x86_64")]
use crate::engine::fast::kernels::Level;
#[cfg(target_arch = "x86_64")]
use crate::engine::testing;

/// Eight pixels at a time list what one at a time would, over every
/// start, end and mix of lit and dark bytes (128 and 255 included: the
/// top bit alone, and all bits).
#[test]
fn lit_pixels_eight_at_a_time_are_those_one_at_a_time() {
    let mut rng = crate::random::Rng::new(11);
    for case in 0..400 {
        let len = case % 67;
        let row: Vec<u8> = (0..len)
            .map(|_| match (rng.uniform() * 5.0) as u32 {
                0 => 128,
                1 => 255,
                2 => 1 + (rng.uniform() * 254.0) as u8,
                _ => 0,
            })
            .collect();
        for from in 0..len.min(9) {
            let to = len - (case % 3).min(len - from);
            let mut pixels = vec![u32::MAX; len + 8];
            let n = append_lit(&row, from, to, &mut pixels, 0);
            let want: Vec<u32> = (from..to)
                .filter(|&i| row[i] != 0)
                .map(|i| i as u32)
                .collect();
            assert_eq!(&pixels[..n], &want[..], "row {row:?} from {from} to {to}");
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[test]
fn the_vector_count_of_lit_pixels_equals_the_plain_one() {
    if !testing::runs(Level::Avx512) {
        return;
    }
    let mut rng = crate::random::Rng::new(9);
    for len in (0..200).chain([784, 1000]) {
        let row: Vec<u8> = (0..len)
            .map(|_| {
                if rng.uniform() < 0.5 {
                    0
                } else {
                    1 + (rng.uniform() * 254.0) as u8
                }
            })
            .collect();
        let plain = row.iter().filter(|&&p| p != 0).count() as u32;
        // SAFETY: AVX-512 (with POPCNT) was detected.
        assert_eq!(unsafe { lit_avx512(&row) }, plain, "{len} pixels");
    }
}
