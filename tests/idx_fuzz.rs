//! Fuzzing the IDX reader on stable Rust: arbitrary bytes, and valid files
//! damaged the ways files get damaged (bit flips, truncation, header fields
//! rewritten, bytes inserted, deleted or appended), raw and gzip, from
//! memory and from disk.
//!
//! Each input must give either a well-formed result or a typed error —
//! never a panic — and the largest single allocation while reading it must
//! stay within what its actual bytes justify, whatever its header claims.
//!
//! CI runs a modest number of cases; for a long run set `MANABI_FUZZ_CASES`:
//!
//! ```text
//! MANABI_FUZZ_CASES=2000000 cargo test --release --test idx_fuzz -- --nocapture
//! ```
//!
//! The coverage-guided counterpart (nightly, cargo-fuzz) is `fuzz/`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::Write;
use std::mem::discriminant;

use flate2::Compression;
use flate2::write::GzEncoder;
use manabi::data::{DataError, Images, idx};
use proptest::prelude::*;
use proptest::sample::Index;

// ---------------------------------------------------------------- allocation probe

/// The system allocator, recording per thread the largest single request.
struct Probe;

thread_local! {
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

fn note(size: usize) {
    // `try_with`: the allocator also runs while thread-locals are torn down.
    let _ = LARGEST.try_with(|l| l.set(l.get().max(size)));
}

// SAFETY: every call is passed straight to the system allocator.
unsafe impl GlobalAlloc for Probe {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        // SAFETY: the caller's promises, passed on unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        // SAFETY: the caller's promises, passed on unchanged.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's promises, passed on unchanged.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size);
        // SAFETY: the caller's promises, passed on unchanged.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static PROBE: Probe = Probe;

/// Runs `f` and returns its result with the largest allocation it made.
fn largest_allocation<T>(f: impl FnOnce() -> T) -> (T, usize) {
    LARGEST.with(|l| l.set(0));
    let out = f();
    (out, LARGEST.with(Cell::get))
}

/// What reading `input` may allocate at once: its decoded content, which
/// deflate bounds at 1032 bytes per byte of input, plus the reader's and
/// the decompressor's fixed buffers.
fn allocation_bound(input: &[u8]) -> usize {
    let content = if input.starts_with(&[0x1f, 0x8b]) {
        input.len() * 1032
    } else {
        input.len()
    };
    content + (1 << 20)
}

// ---------------------------------------------------------------- files

fn images_file(count: u32, rows: u32, cols: u32, pixels: &[u8]) -> Vec<u8> {
    let mut b = vec![0, 0, 8, 3];
    for d in [count, rows, cols] {
        b.extend_from_slice(&d.to_be_bytes());
    }
    b.extend_from_slice(pixels);
    b
}

fn labels_file(labels: &[u8]) -> Vec<u8> {
    let mut b = vec![0, 0, 8, 1];
    b.extend_from_slice(&(labels.len() as u32).to_be_bytes());
    b.extend_from_slice(labels);
    b
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

fn valid_images() -> impl Strategy<Value = Vec<u8>> {
    (1..6u32, 1..6u32, 1..6u32).prop_flat_map(|(n, r, c)| {
        proptest::collection::vec(any::<u8>(), (n * r * c) as usize)
            .prop_map(move |px| images_file(n, r, c, &px))
    })
}

fn valid_labels() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(0..10u8, 1..40).prop_map(|l| labels_file(&l))
}

/// One way a file gets damaged.
#[derive(Debug, Clone)]
enum Damage {
    FlipBit(Index, u8),
    Truncate(Index),
    /// Rewrites the 4-byte big-endian header field `field` (0 = magic).
    Header(usize, u32),
    Insert(Index, u8),
    Delete(Index),
    Append(Vec<u8>),
}

fn header_value() -> impl Strategy<Value = u32> {
    prop_oneof![
        Just(0),
        Just(1),
        Just(u32::MAX),
        Just(0x0000_0803),
        Just(0x0000_0801),
        Just(60_000),
        0..64u32,
        any::<u32>(),
    ]
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        (any::<Index>(), 0..8u8).prop_map(|(i, b)| Damage::FlipBit(i, b)),
        any::<Index>().prop_map(Damage::Truncate),
        (0..4usize, header_value()).prop_map(|(f, v)| Damage::Header(f, v)),
        (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Damage::Insert(i, b)),
        any::<Index>().prop_map(Damage::Delete),
        proptest::collection::vec(any::<u8>(), 1..8).prop_map(Damage::Append),
    ]
}

fn apply(mut bytes: Vec<u8>, damages: &[Damage]) -> Vec<u8> {
    for d in damages {
        match d {
            Damage::FlipBit(i, b) if !bytes.is_empty() => {
                let at = i.index(bytes.len());
                bytes[at] ^= 1 << b;
            }
            Damage::Truncate(i) => {
                let at = i.index(bytes.len() + 1);
                bytes.truncate(at);
            }
            Damage::Header(field, v) => {
                let at = field * 4;
                if bytes.len() >= at + 4 {
                    bytes[at..at + 4].copy_from_slice(&v.to_be_bytes());
                }
            }
            Damage::Insert(i, b) => {
                let at = i.index(bytes.len() + 1);
                bytes.insert(at, *b);
            }
            Damage::Delete(i) if !bytes.is_empty() => {
                let at = i.index(bytes.len());
                bytes.remove(at);
            }
            Damage::Append(tail) => bytes.extend_from_slice(tail),
            _ => {}
        }
    }
    bytes
}

/// A damaged file: a valid one (images or labels), damaged before or after
/// gzip compression, or not compressed at all.
fn damaged_file() -> impl Strategy<Value = Vec<u8>> {
    let base = prop_oneof![valid_images(), valid_labels()];
    let damages = proptest::collection::vec(damage(), 0..4);
    (base, damages, 0..3u8).prop_map(|(file, damages, how)| match how {
        0 => apply(file, &damages),
        1 => gzip(&apply(file, &damages)),
        _ => apply(gzip(&file), &damages),
    })
}

fn arbitrary_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..64),
        // Valid magic numbers in front of noise reach past the first check.
        (
            prop_oneof![Just(0x0803u32), Just(0x0801u32)],
            proptest::collection::vec(any::<u8>(), 0..64)
        )
            .prop_map(|(magic, rest)| {
                let mut b = magic.to_be_bytes().to_vec();
                b.extend(rest);
                b
            }),
        // Gzip magic in front of noise: the decompressor's error paths.
        proptest::collection::vec(any::<u8>(), 0..64).prop_map(|rest| {
            let mut b = vec![0x1f, 0x8b, 8, 0];
            b.extend(rest);
            b
        }),
    ]
}

// ---------------------------------------------------------------- the properties

fn check_images(input: &[u8], r: &Result<Images, DataError>) -> Result<(), TestCaseError> {
    if let Ok(im) = r {
        prop_assert!(im.count > 0 && im.rows > 0 && im.cols > 0);
        prop_assert_eq!(im.pixels.len(), im.count * im.rows * im.cols);
        if !input.starts_with(&[0x1f, 0x8b]) {
            // A raw file decodes to exactly itself.
            prop_assert_eq!(input.len(), 16 + im.pixels.len());
            prop_assert_eq!(&input[16..], &im.pixels[..]);
        }
    }
    Ok(())
}

fn check_labels(input: &[u8], r: &Result<Vec<u8>, DataError>) -> Result<(), TestCaseError> {
    if let Ok(labels) = r {
        prop_assert!(!labels.is_empty());
        prop_assert!(labels.iter().all(|&l| l <= idx::MAX_LABEL));
        if !input.starts_with(&[0x1f, 0x8b]) {
            prop_assert_eq!(&input[8..], &labels[..]);
        }
    }
    Ok(())
}

fn same<T: PartialEq + std::fmt::Debug>(
    mem: &Result<T, DataError>,
    disk: &Result<T, DataError>,
) -> Result<(), TestCaseError> {
    match (mem, disk) {
        (Ok(a), Ok(b)) => prop_assert_eq!(a, b),
        (Err(a), Err(b)) => prop_assert_eq!(discriminant(a), discriminant(b), "{} / {}", a, b),
        _ => prop_assert!(false, "memory and disk disagree: {:?} / {:?}", mem, disk),
    }
    Ok(())
}

/// Reads `input` every way there is and checks each result.
fn read_every_way(input: &[u8]) -> Result<(), TestCaseError> {
    let bound = allocation_bound(input);
    let (images, peak) = largest_allocation(|| idx::parse_images(input, "input"));
    prop_assert!(
        peak <= bound,
        "allocated {} bytes for {} input bytes",
        peak,
        input.len()
    );
    check_images(input, &images)?;
    let (labels, peak) = largest_allocation(|| idx::parse_labels(input, "input"));
    prop_assert!(
        peak <= bound,
        "allocated {} bytes for {} input bytes",
        peak,
        input.len()
    );
    check_labels(input, &labels)?;

    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), input).unwrap();
    let (from_disk, peak) = largest_allocation(|| idx::read_images(file.path()));
    prop_assert!(
        peak <= bound,
        "allocated {} bytes for {} input bytes",
        peak,
        input.len()
    );
    same(&images, &from_disk)?;
    let (from_disk, peak) = largest_allocation(|| idx::read_labels(file.path()));
    prop_assert!(
        peak <= bound,
        "allocated {} bytes for {} input bytes",
        peak,
        input.len()
    );
    same(&labels, &from_disk)?;
    Ok(())
}

/// Cases per property: 256 in CI, `MANABI_FUZZ_CASES` for a long run.
fn config() -> ProptestConfig {
    let cases = std::env::var("MANABI_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    ProptestConfig {
        cases,
        max_shrink_iters: 10_000,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_bytes_never_panic_nor_overallocate(input in arbitrary_bytes()) {
        read_every_way(&input)?;
    }

    #[test]
    fn damaged_files_never_panic_nor_overallocate(input in damaged_file()) {
        read_every_way(&input)?;
    }

    #[test]
    fn undamaged_files_read_back(file in prop_oneof![valid_images(), valid_labels()], zip in any::<bool>()) {
        let input = if zip { gzip(&file) } else { file.clone() };
        let is_images = file[3] == 3;
        if is_images {
            let im = idx::parse_images(&input, "input");
            prop_assert!(im.is_ok(), "{:?}", im);
            prop_assert_eq!(&im.unwrap().pixels[..], &file[16..]);
        } else {
            let labels = idx::parse_labels(&input, "input");
            prop_assert!(labels.is_ok(), "{:?}", labels);
            prop_assert_eq!(&labels.unwrap()[..], &file[8..]);
        }
    }
}

// ---------------------------------------------------------------- fixed cases

/// The headers that would cost the most if trusted: each must be refused
/// as truncated, having allocated next to nothing.
#[test]
fn giant_headers_are_refused_without_allocating_for_them() {
    let cases = [
        images_file(u32::MAX, u32::MAX, u32::MAX, &[1, 2, 3]),
        images_file(4_000_000_000, 28, 28, &[0; 100]),
        images_file(60_000, 28, 28, &[0; 784]),
    ];
    for raw in cases {
        for input in [raw.clone(), gzip(&raw)] {
            let (r, peak) = largest_allocation(|| idx::parse_images(&input, "giant"));
            assert!(
                matches!(
                    r,
                    Err(DataError::Truncated { .. } | DataError::BadDims { .. })
                ),
                "{r:?}"
            );
            assert!(peak <= allocation_bound(&input), "allocated {peak} bytes");
        }
    }
    let labels = [0, 0, 8, 1, 0xff, 0xff, 0xff, 0xff, 1, 2];
    let (r, peak) = largest_allocation(|| idx::parse_labels(&labels, "giant"));
    assert!(matches!(r, Err(DataError::Truncated { .. })), "{r:?}");
    assert!(peak <= allocation_bound(&labels), "allocated {peak} bytes");
}

/// Found by the coverage-guided fuzzer (`fuzz/`) within seconds against a
/// reader changed to reserve up to 1 GiB from the header: a 54-byte gzip
/// file (its checksum wrong) whose header claims images it does not hold.
/// The reader must refuse it having allocated about its size, not the claim.
#[test]
fn regression_gzip_claiming_more_than_it_holds() {
    let input: [u8; 54] = [
        0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x01, 0x63, 0x60, 0xe0, 0x60, 0x66,
        0x60, 0x60, 0x60, 0x14, 0x02, 0x62, 0x4f, 0xd3, 0x97, 0x61, 0x07, 0x39, 0x14, 0xdd, 0x6b,
        0x01, 0x00, 0x00, 0x00, 0x06, 0x03, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04,
    ];
    let (r, peak) = largest_allocation(|| idx::parse_images(&input, "found"));
    assert!(r.is_err(), "{r:?}");
    assert!(peak <= allocation_bound(&input), "allocated {peak} bytes");
    read_every_way(&input).unwrap();
}
