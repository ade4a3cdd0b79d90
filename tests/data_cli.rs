//! `manabi data fetch|info|show` and `--dataset`, run as a user would: the
//! binary, its output and exit code, with the cache moved into a temporary
//! folder (`MANABI_DATA`) and mirrors served from 127.0.0.1.
//!
//! Also the library's resolution of data set names, with Debian's data set
//! folder moved into a temporary folder too.

mod fashion;
mod loopback;

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use manabi::data::{DataError, DataHome, DatasetName, FILE_NAMES, RAMP, Resolved, resolve};
use tempfile::TempDir;

use fashion::{full_dir, slice_dir};
use loopback::{Server, closed_port_url};

/// Runs `manabi args…` with its cache in `cache`.
fn manabi(cache: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_manabi"))
        .args(args)
        .env("MANABI_DATA", cache)
        .output()
        .expect("run manabi")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn ok(o: Output) -> String {
    assert!(o.status.success(), "failed: {}", stderr(&o));
    stdout(&o)
}

/// The one-line error of a failed run (its last line on stderr).
fn error(o: Output) -> String {
    assert_eq!(o.status.code(), Some(1), "stdout: {}", stdout(&o));
    let err = stderr(&o);
    assert!(!err.contains("panicked"), "{err}");
    let last = err.lines().last().unwrap_or_default().to_string();
    assert!(last.starts_with("manabi: error: "), "{err}");
    last
}

/// `dir`, made to hold copies of the four files in `from`.
fn copy_set(from: &Path, dir: &Path) {
    fs::create_dir_all(dir).unwrap();
    for name in FILE_NAMES {
        let file = format!("{name}.gz");
        fs::copy(from.join(&file), dir.join(&file)).unwrap();
    }
}

/// `dir`, made to hold copies of the Fashion-MNIST slice shipped with the tests.
fn fashion_copy(dir: &Path) {
    copy_set(&slice_dir(), dir);
}

// ---------------------------------------------------------------- data info

#[test]
fn info_on_the_embedded_set_counts_checks_and_applies_the_rule_of_thumb() {
    let cache = TempDir::new().unwrap();
    let out = ok(manabi(cache.path(), &["data", "info"]));
    for needle in [
        "data set: mnist-10k (embedded in manabi)",
        "images: 28×28 pixels; 8,004 train, 1,996 test",
        "  label     train      test",
        "  1           902       225",
        "train            33.4   78.7              80.9 %",
        "train-images-idx3-ubyte.gz   1,291,200 bytes  verified: mnist-10k as manabi ships it",
        "sha256 e77a7e9af657d41125e5b5365c9fafc4dceba97c6fe470ef780316f6b70e4c8c",
        "content sha256 (as runs record it): \
         6ebcb0415ca3e5020466fb0251feff51544afb71ba9a96f22ab21415df195ee3",
        "for a 784-50-10 network",
        "rule of thumb: 39,760 parameters want about 397,600 training samples",
        "8,004 is 2% of that",
    ] {
        assert!(out.contains(needle), "{needle:?} missing from:\n{out}");
    }
    // Ten class rows whose counts add up.
    let train: usize = out
        .lines()
        .skip_while(|l| !l.starts_with("  label"))
        .skip(1)
        .take(10)
        .map(|l| {
            l.split_whitespace()
                .nth(1)
                .unwrap()
                .replace(',', "")
                .parse::<usize>()
                .unwrap()
        })
        .sum();
    assert_eq!(train, 8004);
}

#[test]
fn info_on_fashion_mnist_names_the_classes() {
    let cache = TempDir::new().unwrap();
    let dir = slice_dir();
    let out = ok(manabi(
        cache.path(),
        &[
            "data",
            "info",
            "--data-dir",
            dir.to_str().unwrap(),
            "--hidden",
            "100",
        ],
    ));
    for needle in [
        "images: 28×28 pixels; 300 train, 100 test",
        "  0 T-shirt/top        32         8",
        "  9 Ankle boot         25         6",
        "train-labels-idx1-ubyte.gz         177 bytes  not a published file",
        "zero (background)",
        "for a 784-100-10 network",
        "79,510 parameters",
    ] {
        assert!(out.contains(needle), "{needle:?} missing from:\n{out}");
    }
}

#[test]
fn info_on_fashion_mnist_recognises_the_published_files() {
    let Some(dir) = full_dir("`data info` recognising Debian's Fashion-MNIST files") else {
        return;
    };
    let cache = TempDir::new().unwrap();
    let out = ok(manabi(
        cache.path(),
        &["data", "info", "--data-dir", dir.to_str().unwrap()],
    ));
    for needle in [
        "images: 28×28 pixels; 60,000 train, 10,000 test",
        "  9 Ankle boot      6,000     1,000",
        "verified: Fashion-MNIST as Debian's dataset-fashion-mnist packs it",
        "60,000 is 15% of that",
    ] {
        assert!(out.contains(needle), "{needle:?} missing from:\n{out}");
    }
    // Fashion-MNIST by its training labels, whatever the folder is called.
    let mine = cache.path().join("mine");
    copy_set(&dir, &mine);
    let out = ok(manabi(
        cache.path(),
        &["data", "info", "--data-dir", mine.to_str().unwrap()],
    ));
    assert!(out.contains("Ankle boot"), "{out}");
}

#[test]
fn info_on_files_nobody_published_says_so() {
    let cache = TempDir::new().unwrap();
    let dir = cache.path().join("mine");
    fashion_copy(&dir);
    // A valid data set, decompressed, but not a published file.
    let labels = dir.join("t10k-labels-idx1-ubyte.gz");
    let raw = {
        use std::io::Read;
        let mut d = flate2::read::GzDecoder::new(fs::File::open(&labels).unwrap());
        let mut v = Vec::new();
        d.read_to_end(&mut v).unwrap();
        v
    };
    fs::remove_file(&labels).unwrap();
    fs::write(dir.join("t10k-labels-idx1-ubyte"), raw).unwrap();
    let out = ok(manabi(
        cache.path(),
        &["data", "info", "--data-dir", dir.to_str().unwrap()],
    ));
    assert!(
        out.contains("t10k-labels-idx1-ubyte             108 bytes  not a published file"),
        "{out}"
    );
    // Unknown labels in a folder of no known name: digits, not clothes.
    assert!(out.contains("data set: mine"), "{out}");
    assert!(!out.contains("Ankle boot"), "{out}");
}

#[test]
fn info_refuses_a_network_without_hidden_units() {
    let cache = TempDir::new().unwrap();
    let err = error(manabi(cache.path(), &["data", "info", "--hidden", "0"]));
    assert!(err.contains("--hidden 0"), "{err}");
}

// ---------------------------------------------------------------- data show

#[test]
fn show_draws_an_image_with_its_label() {
    let cache = TempDir::new().unwrap();
    let out = ok(manabi(
        cache.path(),
        &["data", "show", "--index", "3", "--split", "test"],
    ));
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some("mnist-10k test[3]: label 3"));
    let art: Vec<&str> = lines.collect();
    assert_eq!(art.len(), 28);
    assert!(art.iter().all(|l| l.chars().count() == 56));
    assert!(art.iter().all(|l| l.chars().all(|c| RAMP.contains(c))));
    // Ink in the middle rows, none in the top one.
    assert!(art[0].trim().is_empty());
    assert!(art[14].contains('@'));
}

#[test]
fn show_names_fashion_classes() {
    let cache = TempDir::new().unwrap();
    let dir = slice_dir();
    let out = ok(manabi(
        cache.path(),
        &[
            "data",
            "show",
            "--index",
            "0",
            "--data-dir",
            dir.to_str().unwrap(),
        ],
    ));
    assert!(
        out.starts_with("fashion-mnist train[0]: label 9 (Ankle boot)\n"),
        "{out}"
    );
}

#[test]
fn show_outside_the_split_is_an_error_naming_the_range() {
    let cache = TempDir::new().unwrap();
    let err = error(manabi(cache.path(), &["data", "show", "--index", "8004"]));
    assert!(
        err.contains(
            "--index 8004: the train split of mnist-10k has 8,004 images, numbered 0 to 8,003"
        ),
        "{err}"
    );
}

// ---------------------------------------------------------------- --dataset

#[test]
fn a_set_not_fetched_says_which_command_fetches_it() {
    let cache = TempDir::new().unwrap();
    for cmd in [
        &["train", "--dataset", "mnist"][..],
        &["data", "info", "--dataset", "mnist"],
    ] {
        let err = error(manabi(cache.path(), cmd));
        let folder = cache.path().join("mnist");
        assert_eq!(
            err,
            format!(
                "manabi: error: mnist: not fetched yet (looked in {}); fetch it with \
                 `manabi data fetch mnist`, or name a folder of its files with --data-dir",
                folder.display()
            )
        );
    }
}

#[test]
fn a_half_fetched_set_is_reported_as_such() {
    let cache = TempDir::new().unwrap();
    let dir = cache.path().join("mnist");
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("train-images-idx3-ubyte.gz"), b"x").unwrap();
    fs::write(dir.join("train-labels-idx1-ubyte.gz"), b"x").unwrap();
    let err = error(manabi(
        cache.path(),
        &["data", "info", "--dataset", "mnist"],
    ));
    assert!(err.contains("holds only 2 of its 4 files"), "{err}");
    assert!(err.contains("`manabi data fetch mnist`"), "{err}");
}

#[test]
fn dataset_and_data_dir_exclude_each_other() {
    let cache = TempDir::new().unwrap();
    let o = manabi(
        cache.path(),
        &["train", "--dataset", "mnist", "--data-dir", "x"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("cannot be used with"), "{}", stderr(&o));
}

#[test]
fn train_on_a_cached_set_records_its_folder() {
    let cache = TempDir::new().unwrap();
    fashion_copy(&cache.path().join("fashion-mnist"));
    let run = cache.path().join("run");
    ok(manabi(
        cache.path(),
        &[
            "train",
            "--dataset",
            "fashion-mnist",
            "--iters",
            "1",
            "--quiet",
            "--out",
            run.to_str().unwrap(),
        ],
    ));
    let config = fs::read_to_string(run.join("config.json")).unwrap();
    let recorded = cache.path().join("fashion-mnist").canonicalize().unwrap();
    assert!(config.contains("\"name\": \"fashion-mnist\""), "{config}");
    assert!(
        config.contains(&format!("\"dir\": \"{}\"", recorded.display())),
        "{config}"
    );
}

// ---------------------------------------------------------------- data fetch

/// The four `.gz` files of `dir`, by name, as a mirror serves them.
fn served(dir: &Path) -> Vec<(String, Vec<u8>)> {
    FILE_NAMES
        .iter()
        .map(|n| {
            let name = format!("{n}.gz");
            let bytes = fs::read(dir.join(&name)).unwrap();
            (name, bytes)
        })
        .collect()
}

#[test]
fn fetch_refuses_files_that_are_not_the_published_ones() {
    // A mirror serving the slice: well-formed Fashion-MNIST files, but not
    // the published ones, so none may be kept.
    let cache = TempDir::new().unwrap();
    let server = Server::files(served(&slice_dir()));
    let err = error(manabi(
        cache.path(),
        &[
            "data",
            "fetch",
            "fashion-mnist",
            "--mirror",
            server.url.as_str(),
            "--no-default-mirrors",
        ],
    ));
    for needle in [
        "fashion-mnist: train-images-idx3-ubyte.gz could not be fetched from any mirror",
        &server.url,
    ] {
        assert!(err.contains(needle), "{needle:?} missing from: {err}");
    }
    assert!(server.hits() >= 1);
    let left: Vec<_> = fs::read_dir(cache.path().join("fashion-mnist"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != manabi::data::fetch::LOCK_FILE)
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn fetch_from_a_mirror_then_use_it_by_name() {
    let Some(dir) =
        full_dir("`data fetch fashion-mnist` from a loopback mirror of the published files")
    else {
        return;
    };
    let cache = TempDir::new().unwrap();
    let files = served(&dir);
    let server = Server::files(files);
    let fetch = [
        "data",
        "fetch",
        "fashion-mnist",
        "--mirror",
        server.url.as_str(),
        "--no-default-mirrors",
    ];
    let out = ok(manabi(cache.path(), &fetch));
    let dir = cache.path().join("fashion-mnist");
    // Where Debian's package is installed, a note says a copy is fetched anyway.
    let debian = Path::new("/usr/share/datasets/fashion-mnist");
    let out = match out.split_once('\n') {
        Some((note, rest)) if debian.is_dir() => {
            assert!(
                note.starts_with(&format!(
                    "note: {} already holds fashion-mnist",
                    debian.display()
                )),
                "{out}"
            );
            rest.to_string()
        }
        _ => out,
    };
    assert!(
        out.starts_with(&format!("fetching fashion-mnist into {}\n", dir.display())),
        "{out}"
    );
    assert!(
        out.contains(
            "t10k-labels-idx1-ubyte.gz: 5,125 bytes, md5 0d30e22e447f3c33dab9ed536400ac01, sha256 \
             8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05: verified \
             (Fashion-MNIST as Debian's dataset-fashion-mnist packs it)"
        ),
        "{out}"
    );
    assert!(
        out.ends_with(
            "fashion-mnist: all 4 files verified (4 downloaded); train on it with \
             `manabi train --dataset fashion-mnist`\n"
        ),
        "{out}"
    );
    assert_eq!(server.hits(), 4);

    // Again: nothing downloaded.
    let again = ok(manabi(cache.path(), &fetch));
    assert!(again.contains("(0 downloaded)"), "{again}");
    assert_eq!(server.hits(), 4);

    let shown = ok(manabi(
        cache.path(),
        &["data", "show", "--dataset", "fashion-mnist", "--index", "0"],
    ));
    assert!(
        shown.starts_with("fashion-mnist train[0]: label 9 (Ankle boot)"),
        "{shown}"
    );
}

#[test]
fn fetch_with_every_mirror_failing_lists_them_and_leaves_nothing() {
    let cache = TempDir::new().unwrap();
    let closed = closed_port_url();
    let o = manabi(
        cache.path(),
        &[
            "data",
            "fetch",
            "mnist",
            "--mirror",
            &closed,
            "--no-default-mirrors",
        ],
    );
    let err = error(o);
    for needle in [
        "manabi: error: mnist: train-images-idx3-ubyte.gz could not be fetched from any mirror: ",
        &format!("{closed}train-images-idx3-ubyte.gz: cannot connect"),
        "--data-dir",
        "mnist-10k",
    ] {
        assert!(err.contains(needle), "{needle:?} missing from: {err}");
    }
    let left: Vec<_> = fs::read_dir(cache.path().join("mnist"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != manabi::data::fetch::LOCK_FILE)
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn fetch_flags_are_checked_before_anything_happens() {
    let cache = TempDir::new().unwrap();
    let err = error(manabi(
        cache.path(),
        &["data", "fetch", "mnist", "--read-timeout", "0"],
    ));
    assert!(
        err.contains("--read-timeout 0: give a number of seconds above 0"),
        "{err}"
    );
    let err = error(manabi(
        cache.path(),
        &["data", "fetch", "mnist", "--mirror", "ftp://x/"],
    ));
    assert!(
        err.contains("--mirror ftp://x/: not an http:// or https:// address"),
        "{err}"
    );
    let err = error(manabi(
        cache.path(),
        &["data", "fetch", "mnist", "--no-default-mirrors"],
    ));
    assert!(err.contains("mnist: no mirror to try"), "{err}");
    assert!(fs::read_dir(cache.path()).unwrap().all(|e| {
        let p = e.unwrap().path();
        // At most the empty folder of the last attempt, never a data file.
        p.is_dir()
            && fs::read_dir(&p)
                .unwrap()
                .all(|f| f.unwrap().file_name() == manabi::data::fetch::LOCK_FILE)
    }));
}

// ---------------------------------------------------------------- resolve (library)

#[test]
fn resolve_prefers_a_complete_cache_then_debians_package() {
    let root = TempDir::new().unwrap();
    let home = DataHome {
        cache: Some(root.path().join("cache")),
        system: Some(root.path().join("datasets")),
    };
    assert_eq!(
        resolve(DatasetName::Mnist10k, &home).unwrap(),
        Resolved::Embedded
    );

    let err = resolve(DatasetName::FashionMnist, &home).unwrap_err();
    assert!(matches!(err, DataError::NotFetched { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains(
            "`manabi data fetch fashion-mnist` or `apt-get install dataset-fashion-mnist`"
        ),
        "{msg}"
    );

    let debian = root.path().join("datasets/fashion-mnist");
    fashion_copy(&debian);
    assert_eq!(
        resolve(DatasetName::FashionMnist, &home).unwrap(),
        Resolved::Folder(debian)
    );
    // MNIST has no such package.
    assert!(resolve(DatasetName::Mnist, &home).is_err());

    let cached = root.path().join("cache/fashion-mnist");
    fashion_copy(&cached);
    assert_eq!(
        resolve(DatasetName::FashionMnist, &home).unwrap(),
        Resolved::Folder(cached)
    );
}

#[test]
fn without_a_cache_folder_the_error_says_how_to_name_one() {
    let home = DataHome {
        cache: None,
        system: None,
    };
    let err = home.cache_dir(DatasetName::Mnist).unwrap_err();
    assert!(
        err.to_string().contains("set MANABI_DATA=<folder>"),
        "{err}"
    );
    assert!(resolve(DatasetName::Mnist, &home).is_err());
}
