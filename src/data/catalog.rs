//! The data sets manabi knows by name, where their files are published, what
//! they must hash to, and where a fetched copy lives on this machine.
//!
//! | name | what | where it comes from |
//! | --- | --- | --- |
//! | `mnist-10k` | 8,004 / 1,996 real MNIST digits | compiled into manabi |
//! | `mnist` | the full MNIST, 60,000 / 10,000 | `manabi data fetch mnist` |
//! | `fashion-mnist` | Zalando's clothing images, 60,000 / 10,000 | `manabi data fetch fashion-mnist`, or Debian's `dataset-fashion-mnist` |
//!
//! A fetched set lives in `<cache>/<name>/`, where `<cache>` is the folder
//! named by the environment variable `MANABI_DATA`, else the platform's cache
//! folder plus `manabi` (`~/.cache/manabi` on Linux, `~/Library/Caches/manabi`
//! on macOS). Nothing is downloaded implicitly: [`resolve`] only looks.
//!
//! ```
//! use manabi::data::{DataHome, DatasetName, Resolved, resolve};
//! let home = DataHome { cache: Some("/nonexistent".into()), system: None };
//! assert!(matches!(resolve(DatasetName::Mnist10k, &home), Ok(Resolved::Embedded)));
//! let err = resolve(DatasetName::Mnist, &home).unwrap_err();
//! assert!(err.to_string().contains("manabi data fetch mnist"));
//! ```

use std::env;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use super::dataset::{FILE_NAMES, find_file};
use super::digest::{Expected, FileDigest, FileSpec, HashKind};
use super::error::{DATA_ENV, DataError};

/// Where Debian's `dataset-*` packages install data sets.
pub const DEBIAN_DATASETS: &str = "/usr/share/datasets";

/// A data set manabi knows by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DatasetName {
    /// The embedded 10,000 MNIST digits.
    Mnist10k,
    /// The full MNIST digits (LeCun, Cortes, Burges).
    Mnist,
    /// Zalando Research's Fashion-MNIST.
    FashionMnist,
}

impl DatasetName {
    /// Every name, embedded set first.
    pub const ALL: [DatasetName; 3] = [
        DatasetName::Mnist10k,
        DatasetName::Mnist,
        DatasetName::FashionMnist,
    ];

    /// The name as typed on the command line and used for its cache folder.
    pub const fn as_str(self) -> &'static str {
        match self {
            DatasetName::Mnist10k => "mnist-10k",
            DatasetName::Mnist => "mnist",
            DatasetName::FashionMnist => "fashion-mnist",
        }
    }

    /// Where its files are published, or `None` for the embedded set,
    /// which is never downloaded.
    pub const fn source(self) -> Option<&'static Source<'static>> {
        match self {
            DatasetName::Mnist10k => None,
            DatasetName::Mnist => Some(&MNIST),
            DatasetName::FashionMnist => Some(&FASHION_MNIST),
        }
    }

    /// Its four files with their accepted checksums, in the order of
    /// [`FILE_NAMES`].
    pub const fn files(self) -> &'static [FileSpec<'static>] {
        match self {
            DatasetName::Mnist10k => &MNIST_10K_FILES,
            DatasetName::Mnist => &MNIST_FILES,
            DatasetName::FashionMnist => &FASHION_FILES,
        }
    }

    /// The folder a Debian package installs it to, if there is such a package.
    pub const fn debian_package(self) -> Option<(&'static str, &'static str)> {
        match self {
            DatasetName::FashionMnist => Some(("dataset-fashion-mnist", "fashion-mnist")),
            _ => None,
        }
    }
}

impl fmt::Display for DatasetName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DatasetName {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DatasetName::ALL
            .into_iter()
            .find(|n| n.as_str() == s)
            .ok_or_else(|| {
                format!("unknown data set {s:?}; known: mnist-10k (embedded), mnist, fashion-mnist")
            })
    }
}

/// Where the files of a data set are published: mirrors tried in order, and
/// what each file must hash to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Source<'a> {
    /// The data set's name, also the name of its cache folder.
    pub name: &'a str,
    /// Base URLs, each followed by a file name to download it; tried in order.
    pub mirrors: &'a [&'a str],
    /// The files and their accepted checksums.
    pub files: &'a [FileSpec<'a>],
}

const fn md5(hex: &'static str, size: u64, origin: &'static str) -> Expected<'static> {
    Expected {
        kind: HashKind::Md5,
        hex,
        size: Some(size),
        origin,
    }
}

const fn sha256(hex: &'static str, size: u64, origin: &'static str) -> Expected<'static> {
    Expected {
        kind: HashKind::Sha256,
        hex,
        size: Some(size),
        origin,
    }
}

const MNIST_ORIGIN: &str = "MNIST as published";

/// MNIST's files: the MD5 sums every loader lists (torchvision among them)
/// and the sizes the mirrors serve.
const MNIST_FILES: [FileSpec<'static>; 4] = [
    FileSpec {
        name: "train-images-idx3-ubyte.gz",
        accept: &[md5(
            "f68b3c2dcbeaaa9fbdd348bbdeb94873",
            9_912_422,
            MNIST_ORIGIN,
        )],
    },
    FileSpec {
        name: "train-labels-idx1-ubyte.gz",
        accept: &[md5(
            "d53e105ee54ea40749a09fcbcd1e9432",
            28_881,
            MNIST_ORIGIN,
        )],
    },
    FileSpec {
        name: "t10k-images-idx3-ubyte.gz",
        accept: &[md5(
            "9fb629c4189551a2d022fa330f9573f3",
            1_648_877,
            MNIST_ORIGIN,
        )],
    },
    FileSpec {
        name: "t10k-labels-idx1-ubyte.gz",
        accept: &[md5("ec29112dd5afa0611ce80d1b7f02629c", 4_542, MNIST_ORIGIN)],
    },
];

const ZALANDO: &str = "Fashion-MNIST as Zalando publishes it";
const DEBIAN: &str = "Fashion-MNIST as Debian's dataset-fashion-mnist packs it";

/// Fashion-MNIST's files, in two versions with the same content: as
/// Zalando's mirrors serve them (Zalando lists their MD5; these are their
/// SHA-256), and as Debian's package holds them, recompressed without the
/// file name in the gzip header (23–24 bytes smaller).
const FASHION_FILES: [FileSpec<'static>; 4] = [
    FileSpec {
        name: "train-images-idx3-ubyte.gz",
        accept: &[
            sha256(
                "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
                26_421_880,
                ZALANDO,
            ),
            sha256(
                "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
                26_421_856,
                DEBIAN,
            ),
        ],
    },
    FileSpec {
        name: "train-labels-idx1-ubyte.gz",
        accept: &[
            sha256(
                "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
                29_515,
                ZALANDO,
            ),
            sha256(
                "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
                29_491,
                DEBIAN,
            ),
        ],
    },
    FileSpec {
        name: "t10k-images-idx3-ubyte.gz",
        accept: &[
            sha256(
                "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
                4_422_102,
                ZALANDO,
            ),
            sha256(
                "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
                4_422_079,
                DEBIAN,
            ),
        ],
    },
    FileSpec {
        name: "t10k-labels-idx1-ubyte.gz",
        accept: &[
            sha256(
                "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
                5_148,
                ZALANDO,
            ),
            sha256(
                "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
                5_125,
                DEBIAN,
            ),
        ],
    },
];

const MNIST_10K_ORIGIN: &str = "mnist-10k as manabi ships it";

/// The embedded set's files (`data/mnist-10k/README.md`), so a copy of them
/// in a folder is recognised too.
const MNIST_10K_FILES: [FileSpec<'static>; 4] = [
    FileSpec {
        name: "train-images-idx3-ubyte.gz",
        accept: &[sha256(
            "e77a7e9af657d41125e5b5365c9fafc4dceba97c6fe470ef780316f6b70e4c8c",
            1_291_200,
            MNIST_10K_ORIGIN,
        )],
    },
    FileSpec {
        name: "train-labels-idx1-ubyte.gz",
        accept: &[sha256(
            "fedf255991e044833d78a7df34738a4b559623e7ff9b432389276b3ac345c7e5",
            4_103,
            MNIST_10K_ORIGIN,
        )],
    },
    FileSpec {
        name: "t10k-images-idx3-ubyte.gz",
        accept: &[sha256(
            "67091848cdfbbbbddf509b54fb952f522f1b554865ffd6f06df2556e6984821b",
            322_449,
            MNIST_10K_ORIGIN,
        )],
    },
    FileSpec {
        name: "t10k-labels-idx1-ubyte.gz",
        accept: &[sha256(
            "0f8988014a8314396338430d972cca7dcec4ba966d82f7a30ca645cbe97ec8b5",
            1_052,
            MNIST_10K_ORIGIN,
        )],
    },
];

/// Full MNIST: PyTorch's S3 mirror, then the CVDF mirror on Google Cloud
/// Storage. The original yann.lecun.com address is left out: it has
/// answered 403 for years.
pub const MNIST: Source<'static> = Source {
    name: "mnist",
    mirrors: &[
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ],
    files: &MNIST_FILES,
};

/// Fashion-MNIST: Zalando's published address (plain HTTP, as Zalando
/// publishes it; the checksum makes up for it), then the copy in Zalando's
/// GitHub repository.
pub const FASHION_MNIST: Source<'static> = Source {
    name: "fashion-mnist",
    mirrors: &[
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
    ],
    files: &FASHION_FILES,
};

/// Where data sets live on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataHome {
    /// The cache of fetched sets, each in a folder of its name; `None` when
    /// the platform has no cache folder and `MANABI_DATA` is unset.
    pub cache: Option<PathBuf>,
    /// Where Debian's dataset packages install (`/usr/share/datasets`);
    /// `None` to ignore them.
    pub system: Option<PathBuf>,
}

impl DataHome {
    /// `MANABI_DATA` if set (and not empty), else the platform cache folder
    /// plus `manabi`; and Debian's `/usr/share/datasets`.
    pub fn from_env() -> DataHome {
        let cache = env::var_os(DATA_ENV)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| dirs::cache_dir().map(|d| d.join("manabi")));
        DataHome {
            cache,
            system: Some(PathBuf::from(DEBIAN_DATASETS)),
        }
    }

    /// The cache folder of `name`: where `manabi data fetch` puts it.
    pub fn cache_dir(&self, name: DatasetName) -> Result<PathBuf, DataError> {
        self.cache
            .as_ref()
            .map(|c| c.join(name.as_str()))
            .ok_or(DataError::NoCacheDir)
    }

    /// The folder a Debian package put `name` in, if that package exists
    /// for it (whether or not it is installed).
    pub fn system_dir(&self, name: DatasetName) -> Option<PathBuf> {
        let (_, folder) = name.debian_package()?;
        Some(self.system.as_ref()?.join(folder))
    }
}

/// Where a named data set's files are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// Compiled into manabi: [`Dataset::embedded`](super::Dataset::embedded).
    Embedded,
    /// A folder holding the four files: [`Dataset::from_dir`](super::Dataset::from_dir).
    Folder(PathBuf),
}

/// Finds the named data set without downloading anything: the embedded set,
/// a complete fetched copy in the cache, or (Fashion-MNIST) Debian's
/// package. A set that is nowhere is [`DataError::NotFetched`], whose
/// message says which command fetches it.
pub fn resolve(name: DatasetName, home: &DataHome) -> Result<Resolved, DataError> {
    if name == DatasetName::Mnist10k {
        return Ok(Resolved::Embedded);
    }
    let mut looked_in = Vec::new();
    let mut partial = None;
    let candidates = [
        home.cache.as_ref().map(|c| c.join(name.as_str())),
        home.system_dir(name),
    ];
    for dir in candidates.into_iter().flatten() {
        match present_files(&dir) {
            4 => return Ok(Resolved::Folder(dir)),
            0 => {}
            n => partial = partial.or(Some((dir.clone(), n))),
        }
        looked_in.push(dir);
    }
    Err(DataError::NotFetched {
        name: name.as_str(),
        looked_in,
        partial,
        debian_package: name.debian_package().map(|(p, _)| p),
    })
}

/// How many of the four MNIST-layout files `dir` holds (gzip or raw).
fn present_files(dir: &Path) -> usize {
    FILE_NAMES
        .iter()
        .filter(|name| find_file(dir, name).is_ok())
        .count()
}

/// What a data file is, compared with every published file of that name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identified {
    /// Its size and checksums.
    pub digest: FileDigest,
    /// The data set and published version it matches, if any.
    pub matches: Option<(DatasetName, Expected<'static>)>,
}

/// Compares a file's digest with the published files of the same name
/// (`file_name` as on disk, e.g. `train-images-idx3-ubyte.gz`).
pub fn identify(file_name: &str, digest: FileDigest) -> Identified {
    let matches = DatasetName::ALL.into_iter().find_map(|set| {
        set.files()
            .iter()
            .filter(|spec| spec.name == file_name)
            .find_map(|spec| spec.check(&digest).map(|e| (set, *e)))
    });
    Identified { digest, matches }
}

/// Which known data set the folder `dir` holds, judged by its training
/// labels file alone (a few kilobytes to hash): enough to tell
/// Fashion-MNIST from digits whatever the folder is called.
pub fn identify_dir(dir: &Path) -> Option<DatasetName> {
    let path = find_file(dir, FILE_NAMES[1]).ok()?;
    let name = path.file_name()?.to_str()?.to_string();
    let digest = FileDigest::of_file(&path).ok()?;
    identify(&name, digest).matches.map(|(set, _)| set)
}
