//! The tile products: S = 2¹⁶·(S₂ − 128·Σx) + 2⁸·S₁ + S₀, each plane's
//! sum S_b = x·q_b an exact integer product of bytes, 16 images × 16 units ×
//! 64 pixels per instruction; then a1 = fl32(S·step) + b1.

use std::sync::OnceLock;

use super::super::Level;
use super::planes::{KB, T, W1Planes};

/// Whether x·W1 in f32 runs on AMX here: the processor has the tile and
/// int8 instructions (and AVX-512 VBMI, which all of those have), the
/// AVX-512 kernels are in use (`MANABI_SIMD` does not ask for less, nor
/// `avx512`, which keeps the FMA kernels), and Linux granted this process
/// the tile state.
pub fn available() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    *AVAILABLE.get_or_init(|| {
        super::super::level() == Level::Avx512
            && std::env::var("MANABI_SIMD").as_deref() != Ok("avx512")
            && detect()
    })
}

#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
fn detect() -> bool {
    // CPUID.(EAX=7, ECX=0):EDX bit 24 AMX-TILE, bit 25 AMX-INT8.
    let leaf = std::arch::x86_64::__cpuid_count(7, 0);
    if leaf.edx & (1 << 24) == 0
        || leaf.edx & (1 << 25) == 0
        || !std::arch::is_x86_feature_detected!("avx512vbmi")
    {
        return false;
    }
    // arch_prctl(ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA): Linux 5.16 and
    // later hand the 8 KiB of tile state to processes that ask.
    const ARCH_REQ_XCOMP_PERM: libc::c_long = 0x1023;
    const XFEATURE_XTILEDATA: libc::c_long = 18;
    // SAFETY: this request only changes which state the kernel saves for us.
    unsafe {
        libc::syscall(
            libc::SYS_arch_prctl,
            ARCH_REQ_XCOMP_PERM,
            XFEATURE_XTILEDATA,
        ) == 0
    }
}

#[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
fn detect() -> bool {
    false
}

/// The tile configuration: palette 1, eight tiles of 16 rows × 64 bytes.
#[repr(C, align(64))]
struct Config([u8; 64]);

impl Config {
    fn new() -> Self {
        let mut c = [0u8; 64];
        c[0] = 1;
        for t in 0..8 {
            c[16 + 2 * t] = 64;
            c[48 + t] = 16;
        }
        Config(c)
    }

    /// For the last images, `rows` < 32 of them: the row tile they end in
    /// (and its two tiles of sums) only that many rows tall, so that its
    /// loads and products do no more than they need.
    fn tail(rows: usize) -> Self {
        let mut c = Config::new();
        // Tiles 0, 1 and 4 are the first row tile's, 2, 3 and 5 the second's.
        let (tiles, tall) = if rows > T {
            ([2, 3, 5], rows - T)
        } else {
            ([0, 1, 4], rows)
        };
        for t in tiles {
            c.0[48 + t] = tall as u8;
        }
        c
    }
}

/// Scratch for [`x_w1`]: the sums of a pair of row tiles, and room to
/// copy the images of a tile that would read past the end of x.
#[derive(Debug, Default, Clone)]
pub(crate) struct Scratch {
    sums: Vec<i32>,
    rows: Vec<u8>,
}

/// a1 = x·W1 + b1 for the `n` images in `x` (rows of d bytes); `a1` gets n
/// rows of hp. See the module's formula.
pub(crate) fn x_w1(
    planes: &W1Planes,
    x: &[u8],
    n: usize,
    b1: &[f32],
    a1: &mut [f32],
    scratch: &mut Scratch,
) {
    assert!(x.len() >= n * planes.d && a1.len() >= n * planes.hp && b1.len() >= planes.hp);
    assert!(available() && planes.kt > 0);
    // SAFETY: `available()` said the processor has AVX-512 and AMX, and
    // Linux gave the tile state to this process.
    #[cfg(target_arch = "x86_64")]
    unsafe {
        tile_products(planes, x, n, b1, a1, scratch)
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = scratch;
}

/// [`x_w1`] on the tile unit, the tile configuration loaded and released
/// around it.
///
/// # Safety
/// The processor must have AMX-TILE and AMX-INT8, and Linux must have
/// granted this process the tile state ([`available`]).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")]
unsafe fn tile_products(
    planes: &W1Planes,
    x: &[u8],
    n: usize,
    b1: &[f32],
    a1: &mut [f32],
    scratch: &mut Scratch,
) {
    let (d, hp, kt, cols) = (planes.d, planes.hp, planes.kt, planes.cols);
    scratch.sums.resize(2 * T * cols, 0);
    // A tile reads kt·64 bytes of each row from its start: past its d into
    // the next row (times zero rows of the planes), and past x at its end.
    let over = kt * KB - d;
    scratch.rows.resize(2 * T * d + over, 0);
    let config = Config::new();
    // SAFETY: the caller's.
    unsafe { std::arch::asm!("ldtilecfg [{}]", in(reg) config.0.as_ptr(), options(nostack)) };
    let mut first = 0;
    while first < n {
        let rows = (n - first).min(2 * T);
        // A tile reads its 16 rows from x in place if the reads stay inside
        // x; else the images left are copied, once for the pair (rows past
        // them are read, and their sums dropped).
        let fits = |tile: usize| (first + tile * T + T) * d + over <= x.len();
        let copy = |rows_: &mut Vec<u8>, from: usize| {
            let left = first + rows - from;
            rows_[..left * d].copy_from_slice(&x[from * d..(first + rows) * d]);
            rows_.as_ptr()
        };
        let (a0, a1p) = if !fits(0) {
            let a0 = copy(&mut scratch.rows, first);
            // SAFETY: the copy holds 32 rows of d bytes and `over` more.
            (a0, (rows > T).then(|| unsafe { a0.add(T * d) }))
        } else if rows > T && !fits(1) {
            (
                x[first * d..].as_ptr(),
                Some(copy(&mut scratch.rows, first + T)),
            )
        } else {
            (
                x[first * d..].as_ptr(),
                (rows > T).then(|| x[(first + T) * d..].as_ptr()),
            )
        };
        if rows < 2 * T && !rows.is_multiple_of(T) {
            // The last pair (the loop ends with it): its short tile.
            let tail = Config::tail(rows);
            // SAFETY: as for the first configuration.
            unsafe { std::arch::asm!("ldtilecfg [{}]", in(reg) tail.0.as_ptr(), options(nostack)) };
        }
        for u in (0..cols / T).step_by(2) {
            let b = planes.bytes[planes.tile(u, 0)..].as_ptr() as *const u8;
            // SAFETY: each row tile's 16 rows of kt·64 bytes are inside x or
            // the copy (see `fits`); tiles u and u + 1 of the planes hold
            // kt blocks of 1024 bytes each; the sums hold 32 rows of `cols`.
            unsafe {
                let sums = scratch.sums.as_mut_ptr().add(u * T);
                match a1p {
                    Some(a1p) => pair(a0, a1p, d, b, kt, sums, cols * 4),
                    None => single(a0, d, b, kt, sums, cols * 4),
                }
            }
        }
        combine(
            planes,
            &scratch.sums,
            rows,
            b1,
            &mut a1[first * hp..(first + rows) * hp],
        );
        first += rows;
    }
    // SAFETY: as for ldtilecfg; no tile is used after this.
    unsafe { std::arch::asm!("tilerelease", options(nostack)) };
}

/// S = 2¹⁶·(S₂ − 128·Σx) + 2⁸·S₁ + S₀ for `rows` rows of sums, and
/// a1 = fl32(S·step) + b1 (b1 alone for the padding units).
#[inline(always)]
fn combine(planes: &W1Planes, sums: &[i32], rows: usize, b1: &[f32], a1: &mut [f32]) {
    let (h, hp, cols) = (planes.h, planes.hp, planes.cols);
    let g = h / T;
    let sum = |s0: i32, s1: i32, s2: i32, ones: i32| {
        ((i64::from(s2) - 128 * i64::from(ones)) << 16) + (i64::from(s1) << 8) + i64::from(s0)
    };
    for (row, a) in sums
        .chunks_exact(cols)
        .zip(a1.chunks_exact_mut(hp))
        .take(rows)
    {
        let ones = row[planes.ones()];
        // Whole groups of 16 units: three tiles' columns side by side.
        let groups = row.chunks_exact(3 * T).zip(a.chunks_exact_mut(T));
        let steps = planes.step.chunks_exact(T).zip(b1.chunks_exact(T));
        for ((c, a), (step, b1)) in groups.zip(steps).take(g) {
            let c: &[i32; 3 * T] = c.try_into().expect("3 tiles");
            let (a, step, b1): (&mut [f32; T], &[f64; T], &[f32; T]) = (
                a.try_into().expect("16 units"),
                step.try_into().expect("16 units"),
                b1.try_into().expect("16 units"),
            );
            for j in 0..T {
                let s = sum(c[j], c[T + j], c[2 * T + j], ones);
                a[j] = (s as f64 * step[j]) as f32 + b1[j];
            }
        }
        for j in T * g..h {
            let s = sum(
                row[planes.col(0, j)],
                row[planes.col(1, j)],
                row[planes.col(2, j)],
                ones,
            );
            a[j] = (s as f64 * planes.step[j]) as f32 + b1[j];
        }
        a[h..hp].copy_from_slice(&b1[h..hp]);
    }
}

/// Two row tiles (16 images from `a0`, 16 from `a1`, rows `sa` bytes
/// apart) times two column tiles (`b`, then `b` + kt·1024) over kt pixel
/// blocks: four tiles of sums stored at `c` (rows `sc` bytes apart), those
/// of `a1` 16 rows below.
///
/// # Safety
/// The tile configuration must be loaded; the reads and the stores must be
/// in bounds as described.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn pair(
    a0: *const u8,
    a1: *const u8,
    sa: usize,
    b: *const u8,
    kt: usize,
    c: *mut i32,
    sc: usize,
) {
    // SAFETY: the caller's.
    unsafe {
        std::arch::asm!(
            "tilezero tmm0",
            "tilezero tmm1",
            "tilezero tmm2",
            "tilezero tmm3",
            "2:",
            "tileloadd tmm4, [{a0} + {sa}*1]",
            "tileloadd tmm6, [{b0} + {sb}*1]",
            "tdpbuud tmm0, tmm4, tmm6",
            "tileloadd tmm5, [{a1} + {sa}*1]",
            "tdpbuud tmm2, tmm5, tmm6",
            "tileloadd tmm7, [{b1} + {sb}*1]",
            "tdpbuud tmm1, tmm4, tmm7",
            "tdpbuud tmm3, tmm5, tmm7",
            "add {a0}, 64",
            "add {a1}, 64",
            "add {b0}, 1024",
            "add {b1}, 1024",
            "dec {k}",
            "jnz 2b",
            "tilestored [{c0} + {sc}*1], tmm0",
            "tilestored [{c0} + {sc}*1 + 64], tmm1",
            "tilestored [{c1} + {sc}*1], tmm2",
            "tilestored [{c1} + {sc}*1 + 64], tmm3",
            a0 = inout(reg) a0 => _,
            a1 = inout(reg) a1 => _,
            b0 = inout(reg) b => _,
            b1 = inout(reg) b.add(kt * 1024) => _,
            k = inout(reg) kt => _,
            sa = in(reg) sa,
            sb = in(reg) 64usize,
            c0 = in(reg) c,
            c1 = in(reg) (c as *mut u8).add(T * sc),
            sc = in(reg) sc,
            options(nostack),
        )
    }
}

/// [`pair`] for one row tile (16 images from `a0`): two tiles of sums.
///
/// # Safety
/// As for [`pair`].
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn single(a0: *const u8, sa: usize, b: *const u8, kt: usize, c: *mut i32, sc: usize) {
    // SAFETY: the caller's.
    unsafe {
        std::arch::asm!(
            "tilezero tmm0",
            "tilezero tmm1",
            "2:",
            "tileloadd tmm4, [{a0} + {sa}*1]",
            "tileloadd tmm6, [{b0} + {sb}*1]",
            "tdpbuud tmm0, tmm4, tmm6",
            "tileloadd tmm7, [{b1} + {sb}*1]",
            "tdpbuud tmm1, tmm4, tmm7",
            "add {a0}, 64",
            "add {b0}, 1024",
            "add {b1}, 1024",
            "dec {k}",
            "jnz 2b",
            "tilestored [{c0} + {sc}*1], tmm0",
            "tilestored [{c0} + {sc}*1 + 64], tmm1",
            a0 = inout(reg) a0 => _,
            b0 = inout(reg) b => _,
            b1 = inout(reg) b.add(kt * 1024) => _,
            k = inout(reg) kt => _,
            sa = in(reg) sa,
            sb = in(reg) 64usize,
            c0 = in(reg) c,
            sc = in(reg) sc,
            options(nostack),
        )
    }
}
