//! The lit-pixel lists, at every kernel level.

use super::*;
use crate::engine::testing;

#[test]
fn the_books_example_lists_as_the_module_says() {
    // Three images of four pixels; pixel 1 is dark in all three.
    let x = [0, 0, 9, 4, /**/ 5, 0, 0, 0, /**/ 0, 0, 0, 0];
    testing::at_each_level(|level| {
        let mut p = Panels::default();
        p.build(level, &x, &[7u8, 7, 3], 3, 4, 2); // labels 7, 7, 3; blocks of 2 pixels
        lists_exactly_the_lit_pixels(&p, &x, 4, level);
        if p.group_size() == GROUP {
            // Class 3 first; in class 7, image 1 (one lit pixel) before image 0 (two).
            assert_eq!(p.group(0), &[2, 1, 0], "{level:?}");
            assert_eq!(p.lit(0, 0), &[0], "{level:?}"); // block 0 (pixels 0, 1): pixel 0 is lit
            assert_eq!(p.lit(0, 1), &[2, 3], "{level:?}"); // block 1 (pixels 2, 3): both
        } else {
            // One image a group, in order: each its own pixels.
            assert_eq!(p.group_size(), 1, "{level:?}");
            assert_eq!([p.group(0), p.group(1), p.group(2)], [[0], [1], [2]]);
            assert_eq!(
                (p.lit(0, 0), p.lit(0, 1)),
                (&[][..], &[2, 3][..]),
                "{level:?}"
            );
            assert_eq!((p.lit(1, 0), p.lit(1, 1)), (&[0][..], &[][..]), "{level:?}");
            assert!(
                p.lit(2, 0).is_empty() && p.lit(2, 1).is_empty(),
                "{level:?}"
            );
        }
    });
}

/// Every image in exactly one group, and each (group, block) listing, in
/// order, exactly the pixels of the block that one of the group's images
/// lights.
fn lists_exactly_the_lit_pixels(p: &Panels, x: &[u8], d: usize, level: Level) {
    let n = p.n();
    assert_eq!(p.group_size(), group_for(level), "{level:?}");
    let groups = n.div_ceil(p.group_size());
    let mut seen: Vec<u32> = (0..groups).flat_map(|g| p.group(g).to_vec()).collect();
    seen.sort_unstable();
    assert_eq!(seen, (0..n as u32).collect::<Vec<_>>(), "{level:?}");
    let block = p.block;
    for g in 0..groups {
        for b in 0..p.blocks() {
            let want: Vec<u32> = (b * block..((b + 1) * block).min(d))
                .filter(|&i| p.group(g).iter().any(|&s| x[s as usize * d + i] != 0))
                .map(|i| i as u32)
                .collect();
            assert_eq!(p.lit(g, b), &want[..], "{level:?} group {g} block {b}");
        }
    }
}

#[test]
fn a_pixel_is_listed_when_any_image_of_its_group_lights_it() {
    testing::at_each_level(listed_when_any_image_lights_it);
}

fn listed_when_any_image_lights_it(level: Level) {
    // GROUP + 2 images (a whole group and one of 2) of 5 pixels, blocks
    // of 2.
    let n = GROUP + 2;
    let mut x = vec![0u8; n * 5];
    x[3] = 1; // image 0, pixel 3
    x[(GROUP - 1) * 5 + 3] = 7; // the group's last image, pixel 3
    x[(GROUP - 2) * 5] = 2; // another of the group, pixel 0
    x[(n - 1) * 5 + 4] = 255; // the last image (second group), pixel 4
    // The first GROUP images are of one class: one group (in order of
    // lit pixels, then position), the other two another.
    let mut labels = vec![4u8; n];
    labels[GROUP..].fill(9);
    let mut p = Panels::default();
    p.build(level, &x, &labels, n, 5, 2);
    assert_eq!(p.blocks(), 3);
    lists_exactly_the_lit_pixels(&p, &x, 5, level);
    let mut q = Panels::default();
    q.build(level, &x, &[] as &[u8], n, 5, 2);
    lists_exactly_the_lit_pixels(&q, &x, 5, level);
    if p.group_size() == GROUP {
        let mut first: Vec<u32> = (0..GROUP as u32)
            .filter(|&s| s != 0 && s < GROUP as u32 - 2)
            .collect();
        first.extend([0, GROUP as u32 - 2, GROUP as u32 - 1]);
        assert_eq!(p.group(0), &first[..]);
        assert_eq!(p.group(1), &[GROUP as u32, GROUP as u32 + 1]);
        assert_eq!(p.lit(0, 0), &[0]);
        assert_eq!(p.lit(0, 1), &[3]);
        assert!(p.lit(0, 2).is_empty());
        assert!(p.lit(1, 0).is_empty() && p.lit(1, 1).is_empty());
        assert_eq!(p.lit(1, 2), &[4]);
        // Without labels, the images go by lit pixels, then position.
        let dark =
            (0..n as u32).filter(|&s| ![0, GROUP - 2, GROUP - 1, n - 1].contains(&(s as usize)));
        let order: Vec<u32> = dark
            .chain([0, GROUP as u32 - 2, GROUP as u32 - 1, n as u32 - 1])
            .collect();
        assert_eq!([q.group(0), q.group(1)].concat(), order);
    } else {
        // One image a group, in order.
        assert_eq!(p.group(0), &[0]);
        assert_eq!(p.lit(0, 1), &[3]);
        assert_eq!(p.lit(n - 1, 2), &[4]);
    }
    // Rebuilt for other images, nothing of the old list remains.
    p.build(level, &[0, 0, 3], &[] as &[u8], 1, 3, 8);
    assert_eq!((p.n(), p.d(), p.blocks()), (1, 3, 1));
    assert_eq!(p.lit(0, 0), &[2]);
}

/// The vector ways of listing (AVX-512: groups of [`GROUP`], AVX2: one
/// image) give the plain way's lists, over image counts, widths and blocks
/// that leave every kind of remainder.
#[cfg(target_arch = "x86_64")]
#[test]
fn the_vector_lists_equal_the_plain_ones() {
    for (level, group) in [(Level::Avx512, GROUP), (Level::Avx2, 1)] {
        if testing::runs(level) {
            vector_lists_equal_plain_ones(level, group);
        }
    }
}

#[cfg(target_arch = "x86_64")]
fn vector_lists_equal_plain_ones(level: Level, group: usize) {
    let mut rng = crate::random::Rng::new(7);
    for &d in &[1, 17, 63, 64, 65, 130, 784] {
        for &n in &[1, 4, 5, 7, 23] {
            for &block in &[1, 5, 16, 54, 96, 1000] {
                // Sparse, dense and empty images alike.
                let x: Vec<u8> = (0..n * d)
                    .map(|i| {
                        let lit = match (i / d) % 3 {
                            0 => rng.uniform() < 0.1,
                            1 => rng.uniform() < 0.7,
                            _ => false,
                        };
                        if lit {
                            1 + (rng.uniform() * 254.0) as u8
                        } else {
                            0
                        }
                    })
                    .collect();
                // Images in a shuffled order, as sorting makes them.
                let order = rng.permutation(n).into_iter().map(|s| s as u32).collect();
                let mut plain = Panels {
                    n,
                    d,
                    block,
                    order,
                    blocks: d.div_ceil(block),
                    group,
                    ..Default::default()
                };
                plain.pixels.resize(n.div_ceil(group) * d + 16, 0);
                let mut vector = plain.clone();
                plain.list(&x);
                // SAFETY: the level was detected; x and pixels are sized
                // as it needs.
                unsafe {
                    match level {
                        Level::Avx512 => vector.list_avx512(&x),
                        _ => vector.list_avx2(&x),
                    }
                };
                let at = format!("{level:?}: d {d} n {n} block {block}");
                assert_eq!(plain.starts, vector.starts, "{at}");
                for g in 0..n.div_ceil(group) {
                    for b in 0..plain.blocks {
                        assert_eq!(plain.lit(g, b), vector.lit(g, b), "{at}");
                    }
                }
            }
        }
    }
}

/// Classes too large for the 64-bit keys sort the same way in 128.
#[test]
fn large_classes_sort_as_small_ones() {
    let mut rng = crate::random::Rng::new(4);
    let (n, d) = (23, 9);
    let x: Vec<u8> = (0..n * d).map(|_| (rng.uniform() < 0.4) as u8).collect();
    let small: Vec<usize> = (0..n).map(|_| (rng.uniform() * 3.0) as usize).collect();
    let large: Vec<usize> = small.iter().map(|&c| c + (1 << 20)).collect();
    let (mut a, mut b) = (Panels::default(), Panels::default());
    // (Groups of GROUP sort their images; groups of one keep them in order.)
    a.sort_into_groups(&x, &small, n, d, false);
    b.sort_into_groups(&x, &large, n, d, false);
    assert_eq!(a.order(), b.order());
    // Sorted by class, then lit pixels, then position.
    let lit = |s: u32| x[s as usize * d..][..d].iter().filter(|&&p| p != 0).count();
    for pair in a.order().windows(2) {
        let key = |s: u32| (small[s as usize], lit(s), s);
        assert!(key(pair[0]) < key(pair[1]));
    }
}

#[test]
fn blocks_fit_the_cache() {
    assert_eq!(Panels::block_for(64, 4, 40 * 1024), 160);
    assert_eq!(Panels::block_for(64, 8, 40 * 1024), 80);
    assert_eq!(Panels::block_for(64, 4, 24 * 1024), 96);
    assert_eq!(Panels::block_for(100_000, 8, 40 * 1024), 8);
}

#[test]
fn blocks_for_groups_of_one_leave_room_in_a_small_l1() {
    let l1 = cache::l1_data_bytes();
    for level in Level::ALL.into_iter().filter(|l| l.supported()) {
        let budget = Panels::block_bytes(level);
        assert!(
            (8 * 1024..=40 * 1024).contains(&budget),
            "{level:?}: {budget}"
        );
        match l1 {
            Some(l1) if group_for(level) == 1 => {
                assert!(
                    budget + 8 * 1024 <= l1.max(16 * 1024),
                    "{level:?}: {budget} of {l1}"
                );
                if l1 >= 48 * 1024 {
                    assert_eq!(budget, 40 * 1024, "{level:?}");
                }
            }
            _ => assert_eq!(budget, 40 * 1024, "{level:?}"),
        }
    }
}
