//! Fuzz target for the IDX reader: any bytes, as an images file and as a
//! labels file, from memory and from disk.
//!
//! Beyond "never panics", it checks what a reader promises: a decoded file
//! holds exactly what its header declares, labels are digits, a raw file
//! decodes to itself, and reading from disk (a streaming path) agrees with
//! reading from memory. libFuzzer's `-malloc_limit_mb` turns an allocation
//! sized from an unchecked header into a reported crash.

#![no_main]

use std::mem::discriminant;
use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use manabi::data::{DataError, Images, idx};

/// One scratch file per fuzzing process, rewritten for each input.
fn scratch() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        std::env::temp_dir().join(format!("manabi-fuzz-{}.idx", std::process::id()))
    })
}

fn check_images(data: &[u8], r: &Result<Images, DataError>) {
    if let Ok(im) = r {
        assert!(im.count > 0 && im.rows > 0 && im.cols > 0);
        assert_eq!(im.pixels.len(), im.count * im.rows * im.cols);
        if !data.starts_with(&[0x1f, 0x8b]) {
            assert_eq!(data.len(), 16 + im.pixels.len());
            assert_eq!(&data[16..], &im.pixels[..]);
        }
    }
}

fn check_labels(data: &[u8], r: &Result<Vec<u8>, DataError>) {
    if let Ok(labels) = r {
        assert!(!labels.is_empty());
        assert!(labels.iter().all(|&l| l <= idx::MAX_LABEL));
        if !data.starts_with(&[0x1f, 0x8b]) {
            assert_eq!(&data[8..], &labels[..]);
        }
    }
}

/// Same verdict from disk as from memory: the same value, or the same kind of error.
fn same<T: PartialEq + std::fmt::Debug>(mem: &Result<T, DataError>, disk: &Result<T, DataError>) {
    match (mem, disk) {
        (Ok(a), Ok(b)) => assert_eq!(a, b),
        (Err(a), Err(b)) => assert_eq!(discriminant(a), discriminant(b), "{a} / {b}"),
        _ => panic!("memory and disk disagree: {mem:?} / {disk:?}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let images = idx::parse_images(data, "fuzz");
    check_images(data, &images);
    let labels = idx::parse_labels(data, "fuzz");
    check_labels(data, &labels);

    let path = scratch();
    std::fs::write(path, data).expect("write the scratch file");
    same(&images, &idx::read_images(path));
    same(&labels, &idx::read_labels(path));
});
