//! Downloading data sets, against a real HTTP server on 127.0.0.1 that
//! misbehaves in every way a mirror can: a good mirror, a corrupted file, a
//! 404, a body cut short, a server that never answers, an interrupted
//! download and its retry. The files are small fakes with checksums of their
//! own; the real checksum lists are checked against the real files.

#![cfg(feature = "fetch")]

mod fashion;
mod loopback;

use std::fs;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use flate2::Compression;
use flate2::write::GzEncoder;
use manabi::data::fetch::{
    Attempt, Failure, FetchError, FetchObserver, FetchOptions, LOCK_FILE, Outcome, fetch,
};
use manabi::data::{
    Dataset, DatasetName, Expected, FASHION_MNIST, FILE_NAMES, FileDigest, FileSpec, HashKind,
    MNIST, Source,
};
use tempfile::TempDir;

use fashion::full_dir;
use loopback::{Reply, Server, closed_port_url};

// ---------------------------------------------------------------- fixtures

fn leak<T>(v: Vec<T>) -> &'static [T] {
    Box::leak(v.into_boxed_slice())
}

fn leak_str(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

/// A valid MNIST-layout data set in four small gzip files: 3 train and 2
/// test images of 2×2 pixels.
fn tiny_set() -> Vec<(String, Vec<u8>)> {
    let images = |count: u32, pixels: &[u8]| {
        let mut b = vec![0, 0, 8, 3];
        for d in [count, 2, 2] {
            b.extend_from_slice(&d.to_be_bytes());
        }
        b.extend_from_slice(pixels);
        gzip(&b)
    };
    let labels = |l: &[u8]| {
        let mut b = vec![0, 0, 8, 1];
        b.extend_from_slice(&(l.len() as u32).to_be_bytes());
        b.extend_from_slice(l);
        gzip(&b)
    };
    let contents = [
        images(3, &[0, 0, 0, 0, 255, 255, 255, 255, 9, 8, 7, 6]),
        labels(&[1, 7, 3]),
        images(2, &[1, 2, 3, 4, 5, 6, 7, 8]),
        labels(&[0, 9]),
    ];
    FILE_NAMES
        .iter()
        .zip(contents)
        .map(|(name, bytes)| (format!("{name}.gz"), bytes))
        .collect()
}

/// Specs for `files`: SHA-256 and size, except the labels files, checked
/// by MD5 as MNIST's are.
fn specs(files: &[(String, Vec<u8>)]) -> &'static [FileSpec<'static>] {
    leak(
        files
            .iter()
            .map(|(name, bytes)| {
                let d = FileDigest::of_bytes(bytes);
                let (kind, hex) = if name.contains("labels") {
                    (HashKind::Md5, d.md5)
                } else {
                    (HashKind::Sha256, d.sha256)
                };
                FileSpec {
                    name: leak_str(name.clone()),
                    accept: leak(vec![Expected {
                        kind,
                        hex: leak_str(hex),
                        size: Some(bytes.len() as u64),
                        origin: "the test set",
                    }]),
                }
            })
            .collect(),
    )
}

fn source(files: &[(String, Vec<u8>)], mirrors: &[&str]) -> Source<'static> {
    Source {
        name: "tiny",
        mirrors: leak(mirrors.iter().map(|m| leak_str(m.to_string())).collect()),
        files: specs(files),
    }
}

/// Short timeouts so that the slow cases take a second, not a minute.
fn quick() -> FetchOptions {
    FetchOptions {
        connect_timeout: Duration::from_secs(5),
        read_timeout: Duration::from_millis(400),
        ..FetchOptions::default()
    }
}

/// The folder's entries other than the lock file, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != LOCK_FILE)
        .collect();
    names.sort();
    names
}

fn all_names(files: &[(String, Vec<u8>)]) -> Vec<String> {
    let mut names: Vec<String> = files.iter().map(|(n, _)| n.clone()).collect();
    names.sort();
    names
}

/// Asserts that `dir` holds exactly `files`, byte for byte, and nothing else.
fn assert_holds(dir: &Path, files: &[(String, Vec<u8>)]) {
    assert_eq!(listing(dir), all_names(files), "{}", dir.display());
    for (name, bytes) in files {
        assert_eq!(&fs::read(dir.join(name)).unwrap(), bytes, "{name}");
    }
}

/// A copy of `files` with one byte of `target` changed (same size).
fn corrupt(files: &[(String, Vec<u8>)], target: &str) -> Vec<(String, Vec<u8>)> {
    files
        .iter()
        .map(|(n, b)| {
            let mut b = b.clone();
            if n == target {
                let mid = b.len() / 2;
                b[mid] ^= 0x40;
            }
            (n.clone(), b)
        })
        .collect()
}

fn failures(attempts: &[Attempt]) -> Vec<&Failure> {
    attempts.iter().map(|a| &a.failure).collect()
}

// ---------------------------------------------------------------- good mirror

#[test]
fn a_good_mirror_gives_four_verified_files_that_load() {
    let files = tiny_set();
    let server = Server::files(files.clone());
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path().join("tiny");
    let got = fetch(&source(&files, &[&server.url]), &dir, &quick(), &mut ()).unwrap();

    assert_eq!(got.len(), 4);
    for f in &got {
        assert_eq!(
            f.outcome,
            Outcome::Downloaded {
                url: format!("{}{}", server.url, f.name)
            }
        );
        assert!(f.failed.is_empty());
        assert_eq!(f.origin, "the test set");
    }
    assert_holds(&dir, &files);
    let ds = Dataset::from_dir(&dir).unwrap();
    assert_eq!((ds.train.len(), ds.test.len()), (3, 2));
    assert_eq!(ds.test.labels(), &[0, 9]);
}

#[test]
fn fetching_again_downloads_nothing() {
    let files = tiny_set();
    let server = Server::files(files.clone());
    let tmp = TempDir::new().unwrap();
    let src = source(&files, &[&server.url]);
    fetch(&src, tmp.path(), &quick(), &mut ()).unwrap();
    assert_eq!(server.hits(), 4);

    let again = fetch(&src, tmp.path(), &quick(), &mut ()).unwrap();
    assert_eq!(server.hits(), 4, "a verified file was downloaded again");
    assert!(again.iter().all(|f| f.outcome == Outcome::AlreadyVerified));
}

#[test]
fn user_mirrors_come_first_and_defaults_can_be_dropped() {
    let files = tiny_set();
    let src = source(
        &files,
        &["https://default.invalid/a", "https://default.invalid/b/"],
    );
    let opts = FetchOptions {
        extra_mirrors: vec!["http://127.0.0.1:1/mine".to_string()],
        ..FetchOptions::default()
    };
    assert_eq!(
        opts.mirrors(&src),
        [
            "http://127.0.0.1:1/mine/",
            "https://default.invalid/a/",
            "https://default.invalid/b/"
        ]
    );
    let only = FetchOptions {
        default_mirrors: false,
        ..opts
    };
    assert_eq!(only.mirrors(&src), ["http://127.0.0.1:1/mine/"]);
}

// ---------------------------------------------------------------- bad mirrors

#[test]
fn a_corrupted_file_is_discarded_and_the_next_mirror_used() {
    let files = tiny_set();
    let bad = Server::files(corrupt(&files, "train-images-idx3-ubyte.gz"));
    let good = Server::files(files.clone());
    let tmp = TempDir::new().unwrap();
    let got = fetch(
        &source(&files, &[&bad.url, &good.url]),
        tmp.path(),
        &quick(),
        &mut (),
    )
    .unwrap();

    let images = &got[0];
    assert_eq!(images.name, "train-images-idx3-ubyte.gz");
    assert!(
        matches!(failures(&images.failed)[..], [Failure::Checksum { .. }]),
        "{:?}",
        images.failed
    );
    assert_eq!(images.failed[0].url, format!("{}{}", bad.url, images.name));
    // The other three were fine on the first mirror.
    assert!(got[1..].iter().all(|f| f.failed.is_empty()));
    assert_holds(tmp.path(), &files);
}

#[test]
fn a_corrupted_file_on_the_only_mirror_leaves_nothing_behind() {
    let files = tiny_set();
    let bad = Server::files(corrupt(&files, "train-labels-idx1-ubyte.gz"));
    let tmp = TempDir::new().unwrap();
    let err = fetch(&source(&files, &[&bad.url]), tmp.path(), &quick(), &mut ()).unwrap_err();

    let FetchError::AllMirrorsFailed { file, attempts, .. } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(file, "train-labels-idx1-ubyte.gz");
    assert!(matches!(failures(attempts)[..], [Failure::Checksum { .. }]));
    // The first file verified and stays; the corrupt one is nowhere, not
    // even as a temporary file.
    assert_eq!(listing(tmp.path()), ["train-images-idx3-ubyte.gz"]);
    let msg = err.to_string();
    assert!(msg.contains("checksum mismatch"), "{msg}");
    assert!(
        msg.contains(&format!("{}train-labels-idx1-ubyte.gz", bad.url)),
        "{msg}"
    );
}

#[test]
fn a_404_mirror_is_skipped() {
    let files = tiny_set();
    let missing = Server::start(|_, _| Reply::Status(404));
    let good = Server::files(files.clone());
    let tmp = TempDir::new().unwrap();
    let got = fetch(
        &source(&files, &[&missing.url, &good.url]),
        tmp.path(),
        &quick(),
        &mut (),
    )
    .unwrap();
    for f in &got {
        assert_eq!(failures(&f.failed), [&Failure::Status(404)], "{}", f.name);
    }
    assert_holds(tmp.path(), &files);
}

#[test]
fn a_body_cut_short_is_discarded_with_or_without_a_declared_length() {
    let files = tiny_set();
    let sized = {
        let files = files.clone();
        Server::start(move |path, _| {
            let body = &files.iter().find(|(n, _)| n == path).unwrap().1;
            Reply::CutShort {
                body: body[..body.len() / 2].to_vec(),
                declared: body.len(),
            }
        })
    };
    let no_length = {
        let files = files.clone();
        Server::start(move |path, _| {
            let body = &files.iter().find(|(n, _)| n == path).unwrap().1;
            Reply::OkUnsized(body[..body.len() / 2].to_vec())
        })
    };
    let good = Server::files(files.clone());
    let tmp = TempDir::new().unwrap();
    let got = fetch(
        &source(&files, &[&sized.url, &no_length.url, &good.url]),
        tmp.path(),
        &quick(),
        &mut (),
    )
    .unwrap();
    for f in &got {
        let size = f.digest.size;
        match failures(&f.failed)[..] {
            [
                Failure::CutShort { got, declared },
                Failure::WrongSize { got: counted, .. },
            ] => {
                assert!(*got < size, "{}", f.name);
                assert_eq!(*declared, Some(size));
                assert_eq!(*counted, size / 2);
            }
            ref other => panic!("{}: {other:?}", f.name),
        }
    }
    assert_holds(tmp.path(), &files);
}

#[test]
fn a_declared_size_that_cannot_verify_is_refused_before_the_body() {
    let files = tiny_set();
    // An HTML page served with 200 instead of the file, as some hosts do.
    let page = b"<html>Please log in</html>".to_vec();
    let html = Server::start(move |_, _| Reply::Ok(page.clone()));
    let good = Server::files(files.clone());
    let tmp = TempDir::new().unwrap();
    let got = fetch(
        &source(&files, &[&html.url, &good.url]),
        tmp.path(),
        &quick(),
        &mut (),
    )
    .unwrap();
    assert!(
        matches!(
            failures(&got[0].failed)[..],
            [Failure::WrongSize { got: 26, .. }]
        ),
        "{:?}",
        got[0].failed
    );
    assert_holds(tmp.path(), &files);
}

#[test]
fn an_endless_body_is_cut_off_past_the_largest_published_size() {
    let files = tiny_set();
    let endless = Server::start(|_, _| Reply::OkUnsized(vec![7u8; 1 << 20]));
    let good = Server::files(files.clone());
    let tmp = TempDir::new().unwrap();
    let got = fetch(
        &source(&files, &[&endless.url, &good.url]),
        tmp.path(),
        &quick(),
        &mut (),
    )
    .unwrap();
    for f in &got {
        match failures(&f.failed)[..] {
            [Failure::WrongSize { got, .. }] => {
                // Stopped within one read of the limit, not at 1 MiB.
                assert!(*got > f.digest.size && *got <= f.digest.size + (1 << 16));
            }
            ref other => panic!("{}: {other:?}", f.name),
        }
    }
    assert_holds(tmp.path(), &files);
}

#[test]
fn a_server_that_never_answers_times_out_and_the_next_mirror_is_used() {
    let files = tiny_set();
    let silent = Server::start(|_, _| Reply::Silent(Duration::from_secs(30)));
    let good = Server::files(files.clone());
    let tmp = TempDir::new().unwrap();
    let start = Instant::now();
    let got = fetch(
        &source(&files, &[&silent.url, &good.url]),
        tmp.path(),
        &quick(),
        &mut (),
    )
    .unwrap();
    let elapsed = start.elapsed();

    for f in &got {
        assert_eq!(
            failures(&f.failed),
            [&Failure::ReadTimeout(Duration::from_millis(400))],
            "{}",
            f.name
        );
    }
    assert_holds(tmp.path(), &files);
    // Four silent connections of 30 s each, abandoned after 0.4 s each:
    // the bound is generous, the point is that it returned at all.
    assert!(elapsed < Duration::from_secs(25), "took {elapsed:?}");
}

#[test]
fn a_refused_connection_is_skipped() {
    let files = tiny_set();
    let good = Server::files(files.clone());
    let closed = closed_port_url();
    let tmp = TempDir::new().unwrap();
    let got = fetch(
        &source(&files, &[&closed, &good.url]),
        tmp.path(),
        &quick(),
        &mut (),
    )
    .unwrap();
    assert!(
        matches!(failures(&got[0].failed)[..], [Failure::Connect(_)]),
        "{:?}",
        got[0].failed
    );
    assert_holds(tmp.path(), &files);
}

#[test]
fn when_every_mirror_fails_the_error_lists_each_and_says_what_to_do() {
    let files = tiny_set();
    let missing = Server::start(|_, _| Reply::Status(403));
    let closed = closed_port_url();
    let tmp = TempDir::new().unwrap();
    let err = fetch(
        &source(&files, &[&missing.url, &closed]),
        tmp.path(),
        &quick(),
        &mut (),
    )
    .unwrap_err();
    let msg = err.to_string();
    assert!(!msg.contains('\n'), "one line: {msg}");
    for needle in [
        "tiny: train-images-idx3-ubyte.gz could not be fetched from any mirror",
        &format!("{}train-images-idx3-ubyte.gz: HTTP 403", missing.url),
        &format!("{closed}train-images-idx3-ubyte.gz: cannot connect"),
        "--mirror URL",
        "--data-dir",
        "mnist-10k",
    ] {
        assert!(msg.contains(needle), "{needle:?} missing from: {msg}");
    }
    assert!(listing(tmp.path()).is_empty());
}

#[test]
fn no_mirror_and_a_bad_mirror_are_errors() {
    let files = tiny_set();
    let tmp = TempDir::new().unwrap();
    let none = FetchOptions {
        default_mirrors: false,
        ..quick()
    };
    let err = fetch(&source(&files, &[]), tmp.path(), &none, &mut ()).unwrap_err();
    assert!(matches!(err, FetchError::NoMirrors { .. }), "{err:?}");

    let bad = FetchOptions {
        extra_mirrors: vec!["ftp://example.org/mnist/".to_string()],
        ..quick()
    };
    let err = fetch(&source(&files, &[]), tmp.path(), &bad, &mut ()).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("--mirror ftp://example.org/mnist/: ")
    );
}

// ---------------------------------------------------------------- interruptions

/// Sets the cancel flag once some bytes of a download have arrived.
struct CancelMidway(Arc<AtomicBool>);

impl FetchObserver for CancelMidway {
    fn progress(&mut self, _bytes: u64) {
        self.0.store(true, Ordering::Relaxed);
    }
}

#[test]
fn an_interrupted_download_leaves_nothing_and_a_retry_completes() {
    // One big file, so the download is still going when the flag is set.
    let big: Vec<u8> = (0..4u32 << 20)
        .map(|i| (i.wrapping_mul(2654435761) >> 24) as u8)
        .collect();
    let files = vec![("big.bin".to_string(), big)];
    let server = Server::files(files.clone());
    let src = source(&files, &[&server.url]);
    let tmp = TempDir::new().unwrap();

    let flag = Arc::new(AtomicBool::new(false));
    let opts = FetchOptions {
        cancel: Some(flag.clone()),
        ..quick()
    };
    let err = fetch(&src, tmp.path(), &opts, &mut CancelMidway(flag.clone())).unwrap_err();
    assert!(matches!(err, FetchError::Interrupted { .. }), "{err:?}");
    assert!(listing(tmp.path()).is_empty(), "{:?}", listing(tmp.path()));

    flag.store(false, Ordering::Relaxed);
    let got = fetch(&src, tmp.path(), &opts, &mut ()).unwrap();
    assert!(matches!(got[0].outcome, Outcome::Downloaded { .. }));
    assert_holds(tmp.path(), &files);
}

#[test]
fn a_connection_dropped_midway_fails_then_a_retry_completes() {
    let files = tiny_set();
    // The first request of each file is cut off; later ones are served whole.
    let server = {
        let files = files.clone();
        Server::start(move |path, n| {
            let body = files.iter().find(|(p, _)| p == path).unwrap().1.clone();
            if n == 0 {
                Reply::CutShort {
                    declared: body.len(),
                    body: body[..body.len() / 3].to_vec(),
                }
            } else {
                Reply::Ok(body)
            }
        })
    };
    let src = source(&files, &[&server.url]);
    let tmp = TempDir::new().unwrap();
    let err = fetch(&src, tmp.path(), &quick(), &mut ()).unwrap_err();
    assert!(
        matches!(err, FetchError::AllMirrorsFailed { .. }),
        "{err:?}"
    );
    assert!(listing(tmp.path()).is_empty(), "{:?}", listing(tmp.path()));

    fetch(&src, tmp.path(), &quick(), &mut ()).unwrap();
    assert_holds(tmp.path(), &files);
}

#[test]
fn leftovers_of_a_killed_fetch_are_removed_and_never_count() {
    let files = tiny_set();
    let tmp = TempDir::new().unwrap();
    // What a process killed mid-download leaves: a partial temporary file.
    let leftover = tmp.path().join(".train-images-idx3-ubyte.gz.a1B2c3.part");
    fs::write(&leftover, &files[0].1[..10]).unwrap();
    let err = Dataset::from_dir(tmp.path()).unwrap_err();
    assert!(err.to_string().contains("not found"), "{err}");

    let server = Server::files(files.clone());
    fetch(
        &source(&files, &[&server.url]),
        tmp.path(),
        &quick(),
        &mut (),
    )
    .unwrap();
    assert!(!leftover.exists());
    assert_holds(tmp.path(), &files);
}

#[test]
fn a_file_that_does_not_verify_is_replaced_only_by_one_that_does() {
    let files = tiny_set();
    let tmp = TempDir::new().unwrap();
    let target = tmp.path().join(&files[2].0);
    fs::write(&target, b"not the file").unwrap();

    // No mirror works: the old file stays as it was.
    let closed = closed_port_url();
    fetch(&source(&files, &[&closed]), tmp.path(), &quick(), &mut ()).unwrap_err();
    assert_eq!(fs::read(&target).unwrap(), b"not the file");

    let server = Server::files(files.clone());
    let got = fetch(
        &source(&files, &[&server.url]),
        tmp.path(),
        &quick(),
        &mut (),
    )
    .unwrap();
    assert!(matches!(got[2].outcome, Outcome::Downloaded { .. }));
    assert_holds(tmp.path(), &files);
}

#[test]
fn a_second_fetch_into_the_same_folder_is_refused_while_one_runs() {
    let tmp = TempDir::new().unwrap();
    let lock = fs::File::create(tmp.path().join(LOCK_FILE)).unwrap();
    lock.lock().unwrap();
    let files = tiny_set();
    let err = fetch(&source(&files, &[]), tmp.path(), &quick(), &mut ()).unwrap_err();
    assert!(matches!(err, FetchError::Busy { .. }), "{err:?}");
}

// ---------------------------------------------------------------- the real lists

#[test]
fn the_real_lists_name_the_four_files_with_well_formed_checksums() {
    for (set, src) in [
        (DatasetName::Mnist, &MNIST),
        (DatasetName::FashionMnist, &FASHION_MNIST),
    ] {
        assert_eq!(set.source(), Some(src));
        assert_eq!(src.name, set.as_str());
        let names: Vec<String> = FILE_NAMES.iter().map(|n| format!("{n}.gz")).collect();
        let listed: Vec<&str> = src.files.iter().map(|f| f.name).collect();
        assert_eq!(listed, names);
        for f in src.files {
            for e in f.accept {
                let len = match e.kind {
                    HashKind::Md5 => 32,
                    HashKind::Sha256 => 64,
                };
                assert_eq!(e.hex.len(), len, "{}", f.name);
                assert!(
                    e.hex
                        .bytes()
                        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
                );
                assert!(e.size.is_some());
            }
        }
        assert!(src.mirrors.len() >= 2);
        assert!(src.mirrors.iter().all(|m| m.ends_with('/')));
    }
    assert_eq!(
        MNIST.mirrors,
        [
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
            "https://storage.googleapis.com/cvdf-datasets/mnist/"
        ]
    );
    assert!(
        MNIST
            .files
            .iter()
            .all(|f| f.accept[0].kind == HashKind::Md5)
    );
}

/// Zalando's files are Debian's with the original file name and time put
/// back into the gzip header (the deflate data is the same): rebuilding them
/// checks the Fashion-MNIST list against both versions without a download.
#[test]
fn the_fashion_list_matches_debians_files_and_zalandos_rebuilt_from_them() {
    let Some(dir) = full_dir("the Fashion-MNIST checksums against Debian's and Zalando's files")
    else {
        return;
    };
    // When Zalando compressed each file (seconds since 1970, in the header).
    let mtimes: [u32; 4] = [1_504_176_606, 1_504_176_606, 1_504_176_627, 1_504_176_627];
    for ((spec, base), mtime) in FASHION_MNIST.files.iter().zip(FILE_NAMES).zip(mtimes) {
        let debian = fs::read(dir.join(spec.name)).unwrap();
        let d = FileDigest::of_bytes(&debian);
        assert!(
            spec.check(&d).unwrap().origin.contains("Debian"),
            "{}",
            spec.name
        );
        // gzip header: magic, deflate, FNAME flag, mtime, XFL 0, OS 3 (Unix), name.
        let mut zalando = vec![0x1f, 0x8b, 8, 8];
        zalando.extend_from_slice(&mtime.to_le_bytes());
        zalando.extend_from_slice(&[0, 3]);
        zalando.extend_from_slice(base.as_bytes());
        zalando.push(0);
        zalando.extend_from_slice(&debian[10..]);
        let z = FileDigest::of_bytes(&zalando);
        let e = spec.check(&z).expect(spec.name);
        assert!(e.origin.contains("Zalando"), "{}", spec.name);
        // Zalando's README lists these MD5 sums.
        let md5 = [
            "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
            "25c81989df183df01b3e8a0aad5dffbe",
            "bef4ecab320f06d8554ea6380940ec79",
            "bb300cfdad3c16e7a12a480ee83cd310",
        ];
        assert!(
            md5.contains(&z.md5.as_str()),
            "{}: md5 {}",
            spec.name,
            z.md5
        );
    }
}

#[test]
fn a_fetch_of_the_real_fashion_list_from_a_local_mirror_verifies() {
    let Some(dir) = full_dir("a fetch of the published Fashion-MNIST files from a loopback mirror")
    else {
        return;
    };
    let files: Vec<(String, Vec<u8>)> = FASHION_MNIST
        .files
        .iter()
        .map(|f| (f.name.to_string(), fs::read(dir.join(f.name)).unwrap()))
        .collect();
    let server = Server::files(files.clone());
    let tmp = TempDir::new().unwrap();
    let opts = FetchOptions {
        extra_mirrors: vec![server.url.clone()],
        default_mirrors: false,
        ..quick()
    };
    let got = fetch(&FASHION_MNIST, tmp.path(), &opts, &mut ()).unwrap();
    assert!(got.iter().all(|f| f.origin.contains("Debian")));
    assert_holds(tmp.path(), &files);
}
