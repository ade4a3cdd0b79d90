//! The data layer against real files and against every kind of bad file:
//! the embedded mnist-10k, the slice of Fashion-MNIST shipped with the tests
//! and the full set where this machine has it, hand-made IDX files that are wrong in one way each, and `load_mnist`.

mod fashion;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use fashion::{full_dir, slice_dir};
use flate2::Compression;
use flate2::write::GzEncoder;
use manabi::data::{DataError, Dataset, FILE_NAMES, Labels, LoadOptions, Split, idx, load_mnist};
use tempfile::TempDir;

/// `zcat` of the four files, in `FILE_NAMES` order, piped to `sha256sum`.
const MNIST_10K_SHA256: &str = "6ebcb0415ca3e5020466fb0251feff51544afb71ba9a96f22ab21415df195ee3";
const FASHION_SHA256: &str = "14410854cf7a289477dcfc7df3f8ec24741e281cdcc425ede0d9a748ca630214";

// ---------------------------------------------------------------- file builders

fn images_file(count: u32, rows: u32, cols: u32, pixels: &[u8]) -> Vec<u8> {
    let mut b = vec![0, 0, 8, 3];
    for d in [count, rows, cols] {
        b.extend_from_slice(&d.to_be_bytes());
    }
    b.extend_from_slice(pixels);
    b
}

fn labels_file(count: u32, labels: &[u8]) -> Vec<u8> {
    let mut b = vec![0, 0, 8, 1];
    b.extend_from_slice(&count.to_be_bytes());
    b.extend_from_slice(labels);
    b
}

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// `n` images of 2×3 pixels whose pixels count up from `seed`.
fn pixels(n: usize, seed: u8) -> Vec<u8> {
    (0..n * 6).map(|i| seed.wrapping_add(i as u8)).collect()
}

/// A small valid set: 4 train and 2 test images of 2×3 pixels.
fn small_set() -> [Vec<u8>; 4] {
    [
        images_file(4, 2, 3, &pixels(4, 0)),
        labels_file(4, &[3, 1, 4, 1]),
        images_file(2, 2, 3, &pixels(2, 100)),
        labels_file(2, &[5, 9]),
    ]
}

/// Writes the four files into a fresh folder, gzipped (`NAME.gz`) or raw.
fn write_set(files: &[Vec<u8>; 4], gzip: bool) -> TempDir {
    let dir = TempDir::new().unwrap();
    for (name, bytes) in FILE_NAMES.iter().zip(files) {
        if gzip {
            std::fs::write(dir.path().join(format!("{name}.gz")), gz(bytes)).unwrap();
        } else {
            std::fs::write(dir.path().join(name), bytes).unwrap();
        }
    }
    dir
}

fn write_file(dir: &TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// The message is one line and names `path`.
fn assert_names(err: &DataError, path: &Path) {
    let msg = err.to_string();
    assert!(!msg.contains('\n'), "message is not one line: {msg:?}");
    assert!(
        msg.contains(&path.display().to_string()),
        "message does not name {}: {msg}",
        path.display()
    );
}

// ------------------------------------------------------------------ real data

#[test]
fn embedded_set_is_mnist_10k() {
    let ds = Dataset::embedded();
    assert_eq!(ds.name, "mnist-10k");
    assert_eq!(ds.train.len(), 8004);
    assert_eq!(ds.test.len(), 1996);
    for split in [&ds.train, &ds.test] {
        assert_eq!((split.rows(), split.cols()), (28, 28));
        assert_eq!(split.pixels_per_image(), 784);
        assert_eq!(split.images().len(), split.len() * 784);
        let mut seen = [0usize; 10];
        for &l in split.labels() {
            seen[usize::from(l)] += 1; // panics on a label over 9
        }
        assert!(seen.iter().all(|&n| n > 0), "a digit is missing: {seen:?}");
        // Real scans: background 0 and full ink 255 both occur.
        assert_eq!(split.images().iter().min(), Some(&0));
        assert_eq!(split.images().iter().max(), Some(&255));
    }
    // Stratified split: every 5th image of each digit went to test.
    assert_eq!(ds.train.len() + ds.test.len(), 10_000);
}

#[test]
fn embedded_checksum_matches_zcat_sha256sum() {
    assert_eq!(Dataset::embedded().checksum(), MNIST_10K_SHA256);
}

#[test]
fn embedded_decodes_like_the_files_on_disk() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/mnist-10k");
    let from_disk = Dataset::from_dir(&dir).unwrap();
    assert_eq!(from_disk, Dataset::embedded());
}

#[test]
fn the_fashion_slice_holds_its_first_images() {
    let ds = Dataset::from_dir(slice_dir()).unwrap();
    assert_eq!(ds.name, "fashion-mnist");
    assert_eq!((ds.train.len(), ds.test.len()), (300, 100));
    assert_eq!((ds.train.rows(), ds.train.cols()), (28, 28));
    // The first training image is an ankle boot, the first test image too.
    assert_eq!((ds.train.label(0), ds.test.label(0)), (9, 9));
    let mut per_class = [0usize; 10];
    for &l in ds.train.labels() {
        per_class[usize::from(l)] += 1;
    }
    assert_eq!(per_class, [32, 33, 31, 29, 29, 31, 33, 30, 27, 25]);
}

#[test]
fn fashion_mnist_from_dir() {
    let Some(dir) = full_dir("Fashion-MNIST's 60,000 / 10,000 images and content checksum") else {
        return;
    };
    let ds = Dataset::from_dir(dir).unwrap();
    assert_eq!(ds.name, "fashion-mnist");
    assert_eq!(ds.train.len(), 60_000);
    assert_eq!(ds.test.len(), 10_000);
    assert_eq!((ds.train.rows(), ds.train.cols()), (28, 28));
    assert_eq!((ds.test.rows(), ds.test.cols()), (28, 28));
    assert_eq!(ds.checksum(), FASHION_SHA256);
    // Fashion-MNIST is balanced: 6,000 training images per class.
    let mut per_class = [0usize; 10];
    for &l in ds.train.labels() {
        per_class[usize::from(l)] += 1;
    }
    assert_eq!(per_class, [6000; 10]);
}

/// Run with `cargo test --release --test data_idx -- --ignored --nocapture`.
#[test]
#[ignore = "timing; meaningful in a release build"]
fn fashion_mnist_load_time() {
    let Some(dir) = full_dir("the load time of Fashion-MNIST") else {
        return;
    };
    Dataset::from_dir(&dir).unwrap(); // warm the page cache
    let mut best = Duration::MAX;
    let mut best_sum = Duration::MAX;
    for _ in 0..5 {
        let t = Instant::now();
        let ds = Dataset::from_dir(&dir).unwrap();
        best = best.min(t.elapsed());
        let t = Instant::now();
        assert_eq!(ds.checksum(), FASHION_SHA256);
        best_sum = best_sum.min(t.elapsed());
    }
    println!("Fashion-MNIST from_dir: best of 5 {best:?}; checksum {best_sum:?}");
    assert!(best < Duration::from_millis(300), "loading took {best:?}");
}

// ------------------------------------------------------------ good small sets

#[test]
fn gzip_and_raw_read_the_same() {
    let files = small_set();
    let raw = Dataset::from_dir(write_set(&files, false).path()).unwrap();
    let gzip = Dataset::from_dir(write_set(&files, true).path()).unwrap();
    assert_eq!((&raw.train, &raw.test), (&gzip.train, &gzip.test));
    assert_eq!(raw.train.len(), 4);
    assert_eq!(raw.train.image(1), &pixels(4, 0)[6..12]);
    assert_eq!(raw.test.label(1), 9);

    // The checksum is over the decoded content, so compression does not change it…
    assert_eq!(raw.checksum(), gzip.checksum());
    // …and it is sha256 of the four raw files one after another.
    assert_eq!(raw.checksum(), manabi::data::sha256_hex(&files.concat()));
}

#[test]
fn gzip_is_detected_by_magic_not_by_name() {
    let dir = TempDir::new().unwrap();
    let files = small_set();
    let raw_named_gz = write_file(&dir, "a.gz", &files[0]);
    let gz_named_raw = write_file(&dir, "b", &gz(&files[0]));
    let a = idx::read_images(&raw_named_gz).unwrap();
    let b = idx::read_images(&gz_named_raw).unwrap();
    assert_eq!(a, b);
    assert_eq!((a.count, a.rows, a.cols), (4, 2, 3));
}

#[test]
fn concatenated_gzip_members_read_whole() {
    let files = small_set();
    let (head, tail) = files[1].split_at(5);
    let two_members = [gz(head), gz(tail)].concat();
    assert_eq!(idx::parse_labels(&two_members, "x").unwrap(), [3, 1, 4, 1]);
}

#[test]
fn take_cuts_the_first_samples() {
    let ds = Dataset::embedded();
    let small = ds.train.take(100);
    assert_eq!(small.len(), 100);
    assert_eq!(small.images(), &ds.train.images()[..100 * 784]);
    assert_eq!(small.labels(), &ds.train.labels()[..100]);
    assert_eq!(ds.train.take(1_000_000), ds.train);
    assert!(ds.train.take(0).is_empty());
}

// ---------------------------------------------------------------- bad files

#[test]
fn wrong_magic() {
    let dir = TempDir::new().unwrap();
    let mut bytes = images_file(1, 1, 1, &[0]);
    bytes[3] = 0x04;
    let path = write_file(&dir, "img", &bytes);
    let err = idx::read_images(&path).unwrap_err();
    assert!(
        matches!(
            err,
            DataError::BadMagic {
                found: 0x0804,
                expected: 0x0803,
                ..
            }
        ),
        "{err:?}"
    );
    assert_names(&err, &path);
    assert!(err.to_string().contains("not an IDX image file"));

    // A gzip file compressed twice shows gzip's magic after one inflate.
    let path = write_file(&dir, "twice.gz", &gz(&gz(&images_file(1, 1, 1, &[0]))));
    let err = idx::read_images(&path).unwrap_err();
    assert!(
        matches!(err, DataError::BadMagic { found, .. } if found >> 16 == 0x1f8b),
        "{err:?}"
    );
    assert_names(&err, &path);
}

#[test]
fn labels_file_given_as_images_and_back() {
    let dir = TempDir::new().unwrap();
    let labels = write_file(
        &dir,
        "t10k-labels-idx1-ubyte.gz",
        &gz(&labels_file(1, &[7])),
    );
    let err = idx::read_images(&labels).unwrap_err();
    assert!(
        matches!(err, DataError::BadMagic { found: 0x0801, .. }),
        "{err:?}"
    );
    assert_names(&err, &labels);
    assert!(err.to_string().contains("is an IDX label file"), "{err}");

    let images = write_file(&dir, "img", &images_file(1, 1, 1, &[0]));
    let err = idx::read_labels(&images).unwrap_err();
    assert!(
        matches!(
            err,
            DataError::BadMagic {
                found: 0x0803,
                expected: 0x0801,
                ..
            }
        ),
        "{err:?}"
    );
    assert_names(&err, &images);
}

#[test]
fn zero_dims() {
    let dir = TempDir::new().unwrap();
    for (name, bytes) in [
        ("zero-count", images_file(0, 28, 28, &[])),
        ("zero-rows", images_file(3, 0, 28, &[])),
        ("zero-cols", images_file(3, 28, 0, &[])),
    ] {
        let path = write_file(&dir, name, &bytes);
        let err = idx::read_images(&path).unwrap_err();
        assert!(matches!(err, DataError::BadDims { .. }), "{name}: {err:?}");
        assert_names(&err, &path);
    }
    let path = write_file(&dir, "zero-labels.gz", &gz(&labels_file(0, &[])));
    let err = idx::read_labels(&path).unwrap_err();
    assert!(matches!(err, DataError::BadDims { .. }), "{err:?}");
    assert_names(&err, &path);
}

#[test]
fn truncated_body_raw_and_gzip() {
    let dir = TempDir::new().unwrap();
    // Three 2×3 images declared, two and a half present.
    let bytes = images_file(3, 2, 3, &pixels(3, 0)[..15]);
    for (name, content) in [("raw", bytes.clone()), ("gzip", gz(&bytes))] {
        let path = write_file(&dir, name, &content);
        let err = idx::read_images(&path).unwrap_err();
        assert!(
            matches!(
                err,
                DataError::Truncated {
                    expected: 34,
                    got: 31,
                    ..
                }
            ),
            "{name}: {err:?}"
        );
        assert_names(&err, &path);
        // In memory too.
        let err = idx::parse_images(&content, &path).unwrap_err();
        assert!(
            matches!(
                err,
                DataError::Truncated {
                    expected: 34,
                    got: 31,
                    ..
                }
            ),
            "{err:?}"
        );
    }
}

#[test]
fn truncated_header_and_empty_file() {
    let dir = TempDir::new().unwrap();
    for (name, bytes, got) in [
        ("empty", vec![], 0),
        ("magic-only", vec![0, 0, 8, 3], 4),
        ("half-header", images_file(1, 1, 1, &[])[..10].to_vec(), 10),
    ] {
        let path = write_file(&dir, name, &bytes);
        let err = idx::read_images(&path).unwrap_err();
        assert!(
            matches!(err, DataError::Truncated { expected: 16, got: g, .. } if g == got),
            "{name}: {err:?}"
        );
        assert_names(&err, &path);
    }
    let path = write_file(&dir, "one-byte", &[0x1f]);
    let err = idx::read_labels(&path).unwrap_err();
    assert!(
        matches!(
            err,
            DataError::Truncated {
                expected: 8,
                got: 1,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn gzip_stream_cut_in_half() {
    let dir = TempDir::new().unwrap();
    let whole = gz(&images_file(50, 28, 28, &vec![7; 50 * 784]));
    let path = write_file(
        &dir,
        "train-images-idx3-ubyte.gz",
        &whole[..whole.len() / 2],
    );
    let err = idx::read_images(&path).unwrap_err();
    assert!(matches!(err, DataError::Gzip { .. }), "{err:?}");
    assert_names(&err, &path);
    assert!(err.to_string().contains("corrupt gzip"), "{err}");

    // Only the 8-byte trailer (CRC and length) missing.
    let path = write_file(&dir, "no-trailer.gz", &whole[..whole.len() - 8]);
    let err = idx::read_images(&path).unwrap_err();
    assert!(matches!(err, DataError::Gzip { .. }), "{err:?}");
}

#[test]
fn garbage_gzip() {
    let dir = TempDir::new().unwrap();
    let mut bytes = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];
    bytes.extend((0..200u32).map(|i| (i * 37 % 251) as u8));
    let path = write_file(&dir, "garbage.gz", &bytes);
    let err = idx::read_labels(&path).unwrap_err();
    assert!(matches!(err, DataError::Gzip { .. }), "{err:?}");
    assert_names(&err, &path);

    // A flipped byte in the middle of a valid stream: inflate or CRC catches it.
    let mut flipped = gz(&images_file(20, 28, 28, &pixels(20 * 784 / 6, 3)));
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0x55;
    let path = write_file(&dir, "flipped.gz", &flipped);
    let err = idx::read_images(&path).unwrap_err();
    assert!(matches!(err, DataError::Gzip { .. }), "{err:?}");
}

#[test]
fn trailing_bytes() {
    let dir = TempDir::new().unwrap();
    let mut bytes = labels_file(3, &[1, 2, 3]);
    bytes.extend_from_slice(&[0; 5]);
    for (name, content) in [("raw", bytes.clone()), ("gzip", gz(&bytes))] {
        let path = write_file(&dir, name, &content);
        let err = idx::read_labels(&path).unwrap_err();
        assert!(
            matches!(
                err,
                DataError::TrailingBytes {
                    expected: 11,
                    extra: 5,
                    ..
                }
            ),
            "{name}: {err:?}"
        );
        assert_names(&err, &path);
    }
    // Bytes after the gzip stream that are not another gzip member.
    let mut after = gz(&labels_file(3, &[1, 2, 3]));
    after.extend_from_slice(b"junk");
    let path = write_file(&dir, "after.gz", &after);
    let err = idx::read_labels(&path).unwrap_err();
    assert!(matches!(err, DataError::Gzip { .. }), "{err:?}");
}

#[test]
fn huge_header_over_tiny_body_is_truncated_quickly() {
    let dir = TempDir::new().unwrap();
    let bytes = images_file(4_000_000_000, 28, 28, &[1, 2, 3]);
    let expected = 16 + 4_000_000_000u64 * 784;
    let gz_bytes = gz(&bytes);
    let start = Instant::now();
    for (name, content) in [("raw", &bytes), ("gzip", &gz_bytes)] {
        let path = write_file(&dir, name, content);
        let err = idx::read_images(&path).unwrap_err();
        assert!(
            matches!(err, DataError::Truncated { expected: e, got: 19, .. } if e == expected),
            "{name}: {err:?}"
        );
        assert_names(&err, &path);
        let err = idx::parse_images(content, name).unwrap_err();
        assert!(
            matches!(err, DataError::Truncated { got: 19, .. }),
            "{err:?}"
        );
    }
    // Reserving 3 TB would abort or crawl; growing as bytes arrive is instant.
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );

    // Dimensions whose product no file could hold.
    let err =
        idx::parse_images(&images_file(u32::MAX, u32::MAX, u32::MAX, &[]), "big").unwrap_err();
    assert!(matches!(err, DataError::BadDims { .. }), "{err:?}");
    let err = idx::parse_labels(&labels_file(u32::MAX, &[1]), "many").unwrap_err();
    assert!(
        matches!(err, DataError::Truncated { got: 9, .. }),
        "{err:?}"
    );
}

#[test]
fn label_out_of_range() {
    let dir = TempDir::new().unwrap();
    let path = write_file(&dir, "labels.gz", &gz(&labels_file(4, &[0, 9, 10, 3])));
    let err = idx::read_labels(&path).unwrap_err();
    assert!(
        matches!(
            err,
            DataError::LabelOutOfRange {
                index: 2,
                label: 10,
                ..
            }
        ),
        "{err:?}"
    );
    assert_names(&err, &path);

    let mut files = small_set();
    files[3] = labels_file(2, &[5, 200]);
    let set = write_set(&files, true);
    let err = Dataset::from_dir(set.path()).unwrap_err();
    assert!(
        matches!(
            err,
            DataError::LabelOutOfRange {
                index: 1,
                label: 200,
                ..
            }
        ),
        "{err:?}"
    );
    assert_names(&err, &set.path().join("t10k-labels-idx1-ubyte.gz"));
}

#[test]
fn counts_that_disagree() {
    let mut files = small_set();
    files[1] = labels_file(3, &[3, 1, 4]);
    let set = write_set(&files, true);
    let err = Dataset::from_dir(set.path()).unwrap_err();
    assert!(
        matches!(
            err,
            DataError::CountMismatch {
                images: 4,
                labels: 3,
                ..
            }
        ),
        "{err:?}"
    );
    assert_names(&err, &set.path().join("train-images-idx3-ubyte.gz"));
    assert_names(&err, &set.path().join("train-labels-idx1-ubyte.gz"));
}

#[test]
fn train_and_test_image_sizes_disagree() {
    let mut files = small_set();
    files[2] = images_file(2, 3, 2, &pixels(2, 100));
    let set = write_set(&files, false);
    let err = Dataset::from_dir(set.path()).unwrap_err();
    assert!(
        matches!(
            err,
            DataError::ShapeMismatch {
                train: (2, 3),
                test: (3, 2),
                ..
            }
        ),
        "{err:?}"
    );
    assert_names(&err, &set.path().join("train-images-idx3-ubyte"));
    assert_names(&err, &set.path().join("t10k-images-idx3-ubyte"));
}

#[test]
fn missing_file_and_folder() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("nope-images-idx3-ubyte.gz");
    let err = idx::read_images(&path).unwrap_err();
    assert!(
        matches!(&err, DataError::Io { error, .. } if error.kind() == std::io::ErrorKind::NotFound),
        "{err:?}"
    );
    assert_names(&err, &path);

    let folder = dir.path().join("no-such-folder");
    let err = Dataset::from_dir(&folder).unwrap_err();
    assert!(matches!(err, DataError::MissingDir { .. }), "{err:?}");
    assert_names(&err, &folder);
    assert!(err.to_string().contains("t10k-labels-idx1-ubyte"), "{err}");

    // A file where the folder should be.
    let file = write_file(&dir, "a-file", b"x");
    let err = Dataset::from_dir(&file).unwrap_err();
    assert!(matches!(err, DataError::MissingDir { .. }), "{err:?}");

    // A folder where a file should be.
    let set = write_set(&small_set(), true);
    let train_images = set.path().join("train-images-idx3-ubyte.gz");
    std::fs::remove_file(&train_images).unwrap();
    std::fs::create_dir(&train_images).unwrap();
    let err = Dataset::from_dir(set.path()).unwrap_err();
    assert!(matches!(err, DataError::Io { .. }), "{err:?}");
    assert_names(&err, &train_images);

    // Three of the four files.
    let set = write_set(&small_set(), true);
    std::fs::remove_file(set.path().join("t10k-images-idx3-ubyte.gz")).unwrap();
    let err = Dataset::from_dir(set.path()).unwrap_err();
    assert!(matches!(err, DataError::MissingFile { .. }), "{err:?}");
    assert_names(&err, &set.path().join("t10k-images-idx3-ubyte"));
    assert!(err.to_string().contains("train-labels-idx1-ubyte"), "{err}");
}

#[test]
fn split_new_checks_its_arguments() {
    assert!(Split::new(vec![0; 12], vec![1, 2], 2, 3).is_ok());
    let err = Split::new(vec![0; 12], vec![1, 2, 3], 2, 3).unwrap_err();
    assert!(
        matches!(
            err,
            DataError::CountMismatch {
                images: 2,
                labels: 3,
                ..
            }
        ),
        "{err:?}"
    );
    let err = Split::new(vec![0; 13], vec![1, 2], 2, 3).unwrap_err();
    assert!(
        matches!(err, DataError::PartialImage { len: 13, .. }),
        "{err:?}"
    );
    let err = Split::new(vec![0; 12], vec![1, 11], 2, 3).unwrap_err();
    assert!(
        matches!(
            err,
            DataError::LabelOutOfRange {
                index: 1,
                label: 11,
                ..
            }
        ),
        "{err:?}"
    );
    let err = Split::new(vec![], vec![], 0, 3).unwrap_err();
    assert!(matches!(err, DataError::BadDims { .. }), "{err:?}");
}

// ------------------------------------------------------------------ load_mnist

#[test]
fn load_mnist_default_is_the_books() {
    let opts = LoadOptions::default();
    assert!(opts.normalize && opts.flatten && !opts.one_hot_label);

    let ds = Dataset::embedded();
    let (train, test) = load_mnist(&ds, opts);
    assert_eq!(train.x.shape(), &[8004, 784]);
    assert_eq!(test.x.shape(), &[1996, 784]);
    let min = train.x.iter().copied().fold(f64::INFINITY, f64::min);
    let max = train.x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    assert_eq!((min, max), (0.0, 1.0));
    // x_train[5, 300] == pixel / 255
    let p = ds.train.image(5)[300];
    assert_eq!(train.x[[5, 300]], f64::from(p) / 255.0);

    let Labels::Indices(t) = &train.t else {
        panic!("expected class indices, got {:?}", train.t)
    };
    assert_eq!(t.len(), 8004);
    assert!(
        t.iter()
            .zip(ds.train.labels())
            .all(|(&a, &b)| a == usize::from(b))
    );
    let target = test.t.target();
    assert_eq!(target.len(), 1996);
    assert_eq!(target.label(7), ds.test.label(7));
}

#[test]
fn load_mnist_unnormalized_and_unflattened() {
    let ds = Dataset::embedded();
    let opts = LoadOptions {
        normalize: false,
        flatten: false,
        one_hot_label: false,
    };
    let (train, test) = load_mnist(&ds, opts);
    assert_eq!(train.x.shape(), &[8004, 1, 28, 28]);
    assert_eq!(test.x.shape(), &[1996, 1, 28, 28]);
    let max = train.x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    assert_eq!(max, 255.0);
    // x[i, 0, r, c] is pixel r·28 + c of image i, as a whole number.
    for (i, r, c) in [(0, 14, 14), (123, 5, 20), (8003, 27, 0)] {
        assert_eq!(
            train.x[[i, 0, r, c]],
            f64::from(ds.train.image(i)[r * 28 + c])
        );
    }
}

#[test]
fn load_mnist_one_hot() {
    let ds = Dataset::embedded();
    let opts = LoadOptions {
        one_hot_label: true,
        ..LoadOptions::default()
    };
    let (_, test) = load_mnist(&ds, opts);
    let Labels::OneHot(t) = &test.t else {
        panic!("expected one-hot rows, got {:?}", test.t)
    };
    assert_eq!(t.shape(), &[1996, 10]);
    for (i, row) in t.rows().into_iter().enumerate() {
        assert_eq!(row.sum(), 1.0, "row {i}");
        assert_eq!(manabi::functions::argmax(row), ds.test.label(i), "row {i}");
    }
    assert!(matches!(
        test.t.target(),
        manabi::functions::Target::OneHot(_)
    ));
}
