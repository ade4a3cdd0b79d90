//! Tests of the fast engine's memory layout (`layout.rs`).

use super::*;

#[test]
fn the_layout_round_trips() {
    let net = TwoLayerNet::new(7, 19, 3, 1.0);
    // 19 units padded to one register: 16 f32 or 8 f64 with AVX-512,
    // 8 or 4 with AVX2, 4 or 2 at 128 bits.
    for (level, f32_hp, f64_hp) in [
        (Level::Avx512, 32, 24),
        (Level::Avx2, 24, 20),
        (Level::Baseline, 20, 20),
    ] {
        assert_eq!(FastNet::<f32>::from_net_at(&net, level).hp, f32_hp);
        assert_eq!(FastNet::<f64>::from_net_at(&net, level).hp, f64_hp);
    }
    let fast = FastNet::<f64>::from_net_at(&net, Level::Avx512);
    assert_eq!(fast.to_net(), net);
    // Padding units have zero weights in and out.
    for i in 0..7 {
        for j in 19..24 {
            assert_eq!(fast.w1[fast.w1_index(i, j)], 0.0);
        }
    }
    assert!(fast.w2[19 * 3..].iter().all(|&w| w == 0.0));
    // Parameter p of the book's order is found where locate says.
    let mut fast = fast;
    let p = 5 * 19 + 4; // W1[5, 4]
    assert_eq!(*fast.at(fast.locate(p)), net.params.w1[[5, 4]]);
    assert_eq!(*fast.at(fast.locate(7 * 19 + 2)), net.params.b1[2]);
    assert_eq!(
        *fast.at(fast.locate(7 * 19 + 19 + 3 * 3 + 1)),
        net.params.w2[[3, 1]]
    );
}

#[test]
fn set_params_from_says_whether_anything_changed_bit_for_bit() {
    let net = TwoLayerNet::new(7, 19, 3, 1.0);
    let mut params = net.params.clone();
    let mut fast = FastNet::<f64>::from_net_at(&net, Level::Avx512);
    let bits = |p: &Params| {
        p.slices()
            .map(|(_, v)| v.iter().map(|x| x.to_bits()).collect())
    };
    let hand = |fast: &mut FastNet<f64>, p: &Params| {
        let changed = fast.set_params_from(p.slices().map(|(_, v)| v));
        let held: [Vec<u64>; 4] = bits(&fast.to_params());
        assert_eq!(held, bits(p));
        changed
    };
    assert!(!hand(&mut fast, &params));
    // One number anywhere, the last of each array among them.
    for (at, name) in [
        (0, "W1"),
        (7 * 19 - 1, "W1"),
        (18, "b1"),
        (56, "W2"),
        (2, "b2"),
    ] {
        let before = params.clone();
        let (_, v) = params
            .slices_mut()
            .into_iter()
            .find(|(n, _)| *n == name)
            .unwrap();
        v[at] += 0.5;
        assert!(hand(&mut fast, &params), "{name}[{at}]");
        assert!(!hand(&mut fast, &params), "{name}[{at}] again");
        params = before;
        assert!(hand(&mut fast, &params));
    }
    // Bits, not values: −0 differs from 0, and a NaN is the same NaN.
    params.b2[1] = 0.0;
    hand(&mut fast, &params);
    params.b2[1] = -0.0;
    assert!(hand(&mut fast, &params));
    params.b2[1] = f64::NAN;
    assert!(hand(&mut fast, &params));
    assert!(!hand(&mut fast, &params), "the same NaN");
    // The padding stays zero.
    assert!((0..7).all(|i| (19..24).all(|j| fast.w1[fast.w1_index(i, j)] == 0.0)));
    // In f32, a change f32 cannot hold changes nothing.
    let mut narrow = FastNet::<f32>::from_net_at(&net, Level::Avx512);
    let mut tiny = net.params.clone();
    tiny.w1[[3, 3]] = f64::from(tiny.w1[[3, 3]] as f32) * (1.0 + 1e-12);
    assert!(!narrow.set_params_from(tiny.slices().map(|(_, v)| v)));
    tiny.w1[[3, 3]] += 1e-3;
    assert!(narrow.set_params_from(tiny.slices().map(|(_, v)| v)));
}
