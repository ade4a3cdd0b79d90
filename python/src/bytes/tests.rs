//! The matcher against a literal search for each value's k, on every class
//! of value it meets, compiled for any processor and for AVX2: both must
//! give the same answer.

use super::*;

/// The literal answer: for each value the first k with `value(k) = v`;
/// `None` if some value has none.
fn search<T: Pixel>(values: &[T], value: impl Fn(T) -> T, from: fn(u8) -> T) -> Option<Vec<u8>> {
    values
        .iter()
        .map(|&v| (0..=255u8).find(|&k| value(from(k)) == v))
        .collect()
}

/// Images of `n` values (three of 784, and a chunk's tail) covering every
/// byte, and the same with one value changed at a few places: in the first
/// chunk, the middle one and the tail.
fn cases<T: Pixel>(k: impl Fn(u8) -> T, odd: &[(&'static str, T)]) -> Vec<(String, Vec<T>)> {
    let n = 3 * 784 + 5;
    let image: Vec<T> = (0..n).map(|i| k(((i * 7919) % 256) as u8)).collect();
    let mut all = vec![("every byte".to_string(), image.clone())];
    for &(what, v) in odd {
        for at in [0, n / 2, n - 1] {
            let mut x = image.clone();
            x[at] = v;
            all.push((format!("{what} at {at}"), x));
        }
    }
    all
}

/// Both compilations against the search. Where AVX2 cannot be checked,
/// says so on standard error (and fails under CI=true).
fn check<T: Pixel + std::fmt::Debug>(
    cases: &[(String, Vec<T>)],
    scale: T,
    value: impl Fn(T) -> T + Copy,
    from: fn(u8) -> T,
) {
    let wants: Vec<Option<Vec<u8>>> = cases.iter().map(|(_, x)| search(x, value, from)).collect();
    // The cases hold both answers.
    let matched = wants.iter().filter(|w| w.is_some()).count();
    assert!(
        matched > 0 && matched < cases.len(),
        "{matched} of {} matched",
        cases.len()
    );
    for ((what, x), want) in cases.iter().zip(&wants) {
        assert_eq!(&as_bytes_scalar(x, scale, value), want, "scalar: {what}");
    }
    #[cfg(target_arch = "x86_64")]
    for ((what, x), want) in cases.iter().zip(&wants) {
        match as_bytes_avx2(x, scale, value) {
            Some(got) => assert_eq!(&got, want, "AVX2: {what}"),
            None => return not_checked("this processor lacks AVX2"),
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    not_checked("not an x86-64 processor");
}

fn not_checked(why: &str) {
    eprintln!("not checked: the AVX2 image matcher against the scalar one ({why})");
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true: the AVX2 image matcher must be checked ({why})"
    );
}

#[test]
fn float32_k_over_255_and_whole_numbers_alike_on_avx2_and_without() {
    let tiny = f32::from_bits(1);
    let odd = [
        ("−0", -0.0),
        ("NaN", f32::NAN),
        ("+∞", f32::INFINITY),
        ("−∞", f32::NEG_INFINITY),
        ("0.5 (k + ½)", 0.5),
        ("2", 2.0),
        ("−1/255", -1.0 / 255.0),
        ("the smallest subnormal", tiny),
        (
            "1/255 + 1 ulp",
            f32::from_bits((1.0f32 / 255.0).to_bits() + 1),
        ),
        ("255/255 − 1 ulp", f32::from_bits(1.0f32.to_bits() - 1)),
    ];
    let scaled = cases(|k| f32::from(k) / 255.0, &odd);
    check(&scaled, 255.0, |k| k / 255.0, f32::from);
    let whole = cases(
        f32::from,
        &[
            ("NaN", f32::NAN),
            ("0.5", 0.5),
            ("256", 256.0),
            ("−0", -0.0),
        ],
    );
    check(&whole, 1.0, |k| k, f32::from);
}

#[test]
fn float64_values_alike_on_avx2_and_without() {
    let odd = [
        ("−0", -0.0),
        ("NaN", f64::NAN),
        ("+∞", f64::INFINITY),
        ("0.5 (k + ½)", 0.5),
        (
            "1/255 + 1 ulp",
            f64::from_bits((1.0f64 / 255.0).to_bits() + 1),
        ),
        ("float32 1/255", f64::from(1.0f32 / 255.0)),
    ];
    let f64s = cases(|k| f64::from(k) / 255.0, &odd);
    check(&f64s, 255.0, |k| k / 255.0, f64::from);
    // NumPy's float32 k/255 promoted to float64: the book's images.
    let value = |k: f64| f64::from(k as f32 / 255.0);
    let promoted = cases(|k| value(f64::from(k)), &odd);
    check(&promoted, 255.0, value, f64::from);
}

#[test]
fn k_over_255_gives_k() {
    let x: Vec<f32> = (0..=255u8).map(|k| f32::from(k) / 255.0).collect();
    let want: Vec<u8> = (0..=255).collect();
    assert_eq!(as_bytes(&x, 255.0, |k| k / 255.0), Some(want));
    assert_eq!(as_bytes(&[0.5f32], 255.0, |k| k / 255.0), None);
}

#[test]
fn a_large_array_matched_in_parallel_chunks_alike() {
    let n = PARALLEL + 3 * 784 + 5;
    let x: Vec<f32> = (0..n).map(|i| ((i * 7919) % 256) as f32 / 255.0).collect();
    let want = as_bytes_scalar(&x, 255.0, |k| k / 255.0);
    assert!(want.is_some());
    assert_eq!(as_bytes(&x, 255.0, |k| k / 255.0), want);
    for at in [0, n / 2, n - 1] {
        let mut odd = x.clone();
        odd[at] = 0.5;
        assert_eq!(as_bytes(&odd, 255.0, |k| k / 255.0), None, "0.5 at {at}");
    }
}

/// The division's answer for one float32: its byte when it is k/255.
fn by_division(v: f32) -> Option<u8> {
    let mut out = [0u8];
    matched(&[v], 255.0, |k| k / 255.0, &mut out).then_some(out[0])
}

/// Both compilations of the k/255 matcher against the division, value by
/// value: around every k/255 and every power of two (a few thousand
/// floats each side), the odd classes, and random bit patterns.
#[test]
fn k255_matches_as_the_division_does() {
    let mut values: Vec<f32> = Vec::new();
    let around = |v: f32, n: u32, values: &mut Vec<f32>| {
        let b = v.to_bits();
        values.extend((b.saturating_sub(n)..=b.saturating_add(n)).map(f32::from_bits));
    };
    for k in 0..=255u8 {
        around(f32::from(k) / 255.0, 2048, &mut values);
    }
    for e in -150..=2 {
        around(2f32.powi(e), 64, &mut values);
        around(-(2f32.powi(e)), 4, &mut values);
    }
    values.extend([
        0.0,
        -0.0,
        f32::NAN,
        -f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
    ]);
    values.extend([
        f32::MAX,
        f32::MIN,
        f32::MIN_POSITIVE,
        f32::from_bits(1),
        2.0,
        256.0,
    ]);
    let mut bits = 0x2545_f491_u32;
    for _ in 0..1_000_000 {
        // xorshift32: every class of bit pattern, in [0, 1] and outside.
        bits ^= bits << 13;
        bits ^= bits >> 17;
        bits ^= bits << 5;
        values.push(f32::from_bits(bits));
        values.push(f32::from_bits(bits & 0x3fff_ffff));
    }
    let ones = values.iter().filter(|&&v| by_division(v).is_some()).count();
    assert!(ones >= 256 && ones < values.len() / 2, "{ones} matched");
    // Whole blocks of 32 (and of 16), one odd value at a time: the AVX2
    // and AVX-512 paths.
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::is_x86_feature_detected as has;
        type Matcher = unsafe fn(&[f32], &mut [u8]) -> bool;
        let paths: [(&str, bool, Matcher); 2] = [
            (
                "AVX2 and FMA",
                has!("avx2") && has!("fma"),
                k255::matched_fma,
            ),
            (
                "AVX-512F",
                has!("avx512f") && has!("avx512bw"),
                k255::matched_avx512,
            ),
        ];
        for (name, present, matcher) in paths {
            if !present && name == "AVX-512F" {
                // Many x86-64 processors have AVX2 only: no failure on CI.
                eprintln!("not checked: the AVX-512 k/255 matcher (this processor lacks AVX-512F)");
                continue;
            }
            if !present {
                not_checked(&format!("this processor lacks {name}"));
                continue;
            }
            // 64 values: AVX-512's four registers at a time; 48: one at a
            // time.
            for len in [64, 48] {
                let base: Vec<f32> = (0..len as u8).map(|k| f32::from(k * 3) / 255.0).collect();
                for (i, &v) in values.iter().enumerate() {
                    let mut x = base.clone();
                    let at = i % len;
                    x[at] = v;
                    let mut out = vec![0u8; len];
                    // SAFETY: the processor has what `matcher` needs (checked above).
                    let got = unsafe { matcher(&x, &mut out) }.then_some(out[at]);
                    let bits = v.to_bits();
                    assert_eq!(
                        got,
                        by_division(v),
                        "{name}: {v:e} ({bits:#010x}) at {at} of {len}"
                    );
                    if got.is_some() {
                        let want: Vec<u8> = (0..len)
                            .map(|j| if j == at { out[at] } else { j as u8 * 3 })
                            .collect();
                        assert_eq!(out, want, "{name}");
                    }
                }
            }
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    not_checked("not an x86-64 processor");
    // Whole arrays, in chunks and in parallel, as the images come.
    let n = PARALLEL + 3 * 784 + 5;
    let x: Vec<f32> = (0..n).map(|i| ((i * 7919) % 256) as f32 / 255.0).collect();
    assert_eq!(k255_bytes(&x), as_bytes_scalar(&x, 255.0, |k| k / 255.0));
    let mut odd = x.clone();
    odd[n - 1] = 0.5;
    assert_eq!(k255_bytes(&odd), None);
}
