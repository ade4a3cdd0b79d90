//! Which bytes of a row of pixels are lit (not zero): where, and how many.
//!
//! ```text
//! lit_bits(8 bytes) = Σⱼ [byteⱼ ≠ 0]·2ʲ,   LIT_AT[m] = the set bits of m in order,   LIT_COUNT[m] = how many
//! ```
//!
//! The tables and bit tricks that the lists of [`super::panel`] (each
//! image's lit pixels) and of [`super::sample_lists`] (each pixel's lit
//! samples) are made with, eight at a time and without a branch.

/// Appends to `pixels` from `len` on the indices of the bytes of
/// `row[from..to]` that are not zero, in order; returns the new length.
/// `pixels` needs room for 8 numbers past the last one written.
///
/// Without a branch (whether a pixel is lit follows no pattern a processor
/// could predict), eight pixels at a time: their eight "lit" bits make one
/// byte m, and [`LIT_AT`]`[m]` says where its lit pixels are. All eight
/// slots are written; the length moves on by how many are lit.
#[inline(always)]
pub(super) fn append_lit(
    row: &[u8],
    from: usize,
    to: usize,
    pixels: &mut [u32],
    mut len: usize,
) -> usize {
    let mut i = from;
    while i + 8 <= to {
        let m = lit_bits(u64::from_le_bytes(row[i..i + 8].try_into().unwrap())) as usize;
        let (at, slots) = (&LIT_AT[m], &mut pixels[len..len + 8]);
        for j in 0..8 {
            slots[j] = (i + at[j] as usize) as u32;
        }
        len += LIT_COUNT[m] as usize;
        i += 8;
    }
    for i in i..to {
        pixels[len] = i as u32;
        len += (row[i] != 0) as usize;
    }
    len
}

/// For each byte m, how many of its bits are set (a load, where the
/// processor may have no instruction that counts them).
pub(super) static LIT_COUNT: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut m = 0;
    while m < 256 {
        table[m] = (m as u8).count_ones() as u8;
        m += 1;
    }
    table
};

/// Which of the 8 bytes of `v` (little-endian) are not zero: bit j for
/// byte j.
#[inline(always)]
pub(super) fn lit_bits(v: u64) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    // The top bit of each byte that is not zero: its low 7 bits plus
    // 0x7f carry into it, or it was set already.
    let top = (v | (v & LOW7).wrapping_add(LOW7)) & !LOW7;
    byte_bits(top >> 7)
}

/// Bit 0 of each of the 8 bytes of `v` (little-endian), gathered: bit j for
/// byte j. The other bits of `v` are ignored.
#[inline(always)]
pub(super) fn byte_bits(v: u64) -> u64 {
    // Byte j's bit (bit 8j) to bit 56 + j by one multiply, then down to bit j.
    (v & 0x0101_0101_0101_0101).wrapping_mul(0x0102_0408_1020_4080) >> 56
}

/// The positions of the set bits of byte `m` ([`LIT_AT`]), each plus
/// `first`, as 8 numbers of an AVX2 register (the slots past the last lit
/// one hold `first`), and how many are lit.
///
/// # Safety
/// The processor must have AVX2.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(super) unsafe fn lit_at_avx2(m: usize, first: usize) -> (std::arch::x86_64::__m256i, usize) {
    use std::arch::x86_64::*;
    let m = m & 0xff;
    // SAFETY: 8 bytes of the table's row m; the caller's AVX2.
    let at = unsafe {
        let at = _mm256_cvtepu8_epi32(_mm_loadl_epi64(LIT_AT[m].as_ptr().cast()));
        _mm256_add_epi32(at, _mm256_set1_epi32(first as i32))
    };
    (at, LIT_COUNT[m] as usize)
}

/// For each byte m, the positions of its set bits, lowest first (the
/// slots after the last are 0).
pub(super) static LIT_AT: [[u8; 8]; 256] = {
    let mut table = [[0u8; 8]; 256];
    let mut m = 0;
    while m < 256 {
        let (mut bit, mut at) = (0, 0);
        while bit < 8 {
            if m & (1 << bit) != 0 {
                table[m][at] = bit as u8;
                at += 1;
            }
            bit += 1;
        }
        m += 1;
    }
    table
};

/// How many pixels of `row` are not zero; with `avx512` (the level in
/// use), 64 at a time.
#[inline(always)]
pub(super) fn lit_pixels(row: &[u8], avx512: bool) -> u32 {
    #[cfg(target_arch = "x86_64")]
    if avx512 {
        // SAFETY: `avx512` is true only for a supported AVX-512 level,
        // which includes AVX-512 BW and POPCNT.
        return unsafe { lit_avx512(row) };
    }
    let _ = avx512;
    let mut lit = 0u32;
    for &p in row {
        lit += (p != 0) as u32;
    }
    lit
}

/// How many pixels of `row` are not zero, 64 at a time: a bit per pixel,
/// counted.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,popcnt")]
#[inline]
pub(super) fn lit_avx512(row: &[u8]) -> u32 {
    use std::arch::x86_64::*;
    let mut lit = 0;
    let mut at = 0;
    while at < row.len() {
        let count = (row.len() - at).min(64);
        let keep: u64 = if count == 64 { !0 } else { (1u64 << count) - 1 };
        // SAFETY: the bytes at..at + count of `row`; the rest are masked.
        let v = unsafe { _mm512_maskz_loadu_epi8(keep, row.as_ptr().add(at) as *const i8) };
        lit += _mm512_test_epi8_mask(v, v).count_ones();
        at += 64;
    }
    lit
}

#[cfg(test)]
#[path = "tests/lit.rs"]
mod tests;
