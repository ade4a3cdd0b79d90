//! `manabi data`: fetch the full data sets, and take a first look at any.
//!
//! - `manabi data fetch mnist|fashion-mnist` downloads the four files from
//!   the mirrors, verified against published checksums (see
//!   `manabi::data::fetch`).
//! - `manabi data info` counts images per class, summarises the pixels,
//!   checks each file against the published checksums, and sets the size of
//!   the training set against the chapter's rule of thumb.
//! - `manabi data show --index N` draws one image as text with its label.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand, ValueEnum};

use manabi::data::{
    DataHome, Dataset, DatasetName, FileDigest, Resolved, SplitStats, embedded_files, identify,
    identify_dir, resolve, text_art,
};
use manabi::report::{class_names, fmt_count, rule_of_thumb};

use super::args::{DataArgs, choice};

/// `println!` that ignores a closed stdout (`manabi data info | head`)
/// instead of panicking.
macro_rules! out {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($t)*);
    }};
}

/// `eprintln!` that ignores a closed stderr.
macro_rules! err_line {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($t)*);
    }};
}

#[derive(Debug, Args)]
pub struct DataCommand {
    #[command(subcommand)]
    command: DataSub,
}

#[derive(Debug, Subcommand)]
enum DataSub {
    /// Download full MNIST or Fashion-MNIST, verified against published checksums.
    ///
    /// The four files go into the cache folder ($MANABI_DATA/<name>, else e.g.
    /// ~/.cache/manabi/<name>) or --data-dir. Mirrors are tried in order; a file
    /// that does not match its published checksum is discarded and the next mirror
    /// tried. Files already there and verified are not downloaded again.
    Fetch(FetchArgs),
    /// Counts per class, pixel statistics, checksums, and the rule of thumb.
    Info(InfoArgs),
    /// Draw one image as text, with its label.
    Show(ShowArgs),
    /// Print the folder `--dataset NAME` reads, for scripts (nothing is downloaded).
    ///
    /// mnist and fashion-mnist: the cache folder after `manabi data fetch NAME`,
    /// else (fashion-mnist) Debian's dataset-fashion-mnist package. An error, naming
    /// the command that fetches it, when the set is nowhere.
    Path(PathArgs),
}

/// The names of the data sets that can be fetched (those with a source).
fn fetchable() -> impl Iterator<Item = &'static str> {
    DatasetName::ALL
        .into_iter()
        .filter(|n| n.source().is_some())
        .map(DatasetName::as_str)
}

#[derive(Debug, Args)]
struct FetchArgs {
    /// The data set to download: mnist (the full MNIST digits, 60,000 train /
    /// 10,000 test, 11 MB) or fashion-mnist (Zalando's Fashion-MNIST, the
    /// same counts, 30 MB).
    #[arg(value_parser = choice::<DatasetName>(fetchable()))]
    dataset: DatasetName,
    /// Download into this folder instead of the cache; train on it with --data-dir.
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// A mirror to try first: the address of a folder holding the four files
    /// (repeat for several).
    #[arg(long = "mirror", value_name = "URL")]
    mirrors: Vec<String>,
    /// Try only the --mirror addresses, not the built-in mirrors.
    #[arg(long)]
    no_default_mirrors: bool,
    /// Seconds to wait for a connection.
    #[arg(long, value_name = "SECONDS", default_value_t = 15.0)]
    connect_timeout: f64,
    /// Seconds to wait for the next piece of data before trying the next mirror.
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0)]
    read_timeout: f64,
}

#[derive(Debug, Args)]
struct InfoArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Hidden units of the network the rule of thumb is about (the book's 784-50-10 by default).
    #[arg(long, value_name = "N", default_value_t = 50)]
    hidden: usize,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum SplitArg {
    /// The training images.
    Train,
    /// The test images.
    Test,
}

#[derive(Debug, Args)]
struct ShowArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Which image, counting from 0.
    #[arg(long, value_name = "N")]
    index: usize,
    /// The split to take it from.
    #[arg(long, value_enum, default_value = "train")]
    split: SplitArg,
}

#[derive(Debug, Args)]
struct PathArgs {
    /// The data set to find: mnist or fashion-mnist (mnist-10k is embedded in manabi).
    #[arg(value_parser = choice::<DatasetName>(DatasetName::ALL.map(DatasetName::as_str)))]
    dataset: DatasetName,
}

/// Runs `manabi data …`.
pub fn run(cmd: DataCommand) -> Result<()> {
    match cmd.command {
        DataSub::Fetch(args) => fetch(args),
        DataSub::Info(args) => info(args),
        DataSub::Show(args) => show(args),
        DataSub::Path(args) => path(args),
    }
}

#[cfg(feature = "fetch")]
fn seconds(flag: &str, v: f64) -> Result<std::time::Duration> {
    if !(v.is_finite() && v > 0.0) {
        bail!("{flag} {v}: give a number of seconds above 0, such as 30");
    }
    std::time::Duration::try_from_secs_f64(v)
        .with_context(|| format!("{flag} {v}: give a number of seconds, such as 30"))
}

#[cfg(not(feature = "fetch"))]
fn fetch(args: FetchArgs) -> Result<()> {
    let name = args.dataset;
    bail!(
        "data fetch {name}: this manabi was built without the `fetch` feature; rebuild it with \
         default features, or download the four files yourself and pass their folder with --data-dir"
    )
}

#[cfg(feature = "fetch")]
fn fetch(args: FetchArgs) -> Result<()> {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use manabi::data::fetch::{FetchOptions, Outcome, fetch};

    let name = args.dataset;
    let source = name
        .source()
        .context("only mnist and fashion-mnist are downloaded")?;
    let opts = FetchOptions {
        extra_mirrors: args.mirrors.clone(),
        default_mirrors: !args.no_default_mirrors,
        connect_timeout: seconds("--connect-timeout", args.connect_timeout)?,
        read_timeout: seconds("--read-timeout", args.read_timeout)?,
        cancel: Some(Arc::new(AtomicBool::new(false))),
    };
    opts.validate()?;
    let home = DataHome::from_env();
    let (dir, in_cache) = match &args.data_dir {
        Some(d) => (d.clone(), false),
        None => (home.cache_dir(name)?, true),
    };
    if in_cache
        && let Some(sys) = home.system_dir(name)
        && sys.is_dir()
    {
        out!(
            "note: {} already holds {name} (Debian's package), and `--dataset {name}` uses it; \
             fetching a copy anyway",
            sys.display()
        );
    }
    if let Some(cancel) = opts.cancel.clone() {
        // The first Ctrl-C stops between two pieces of a download, so the
        // partial file is deleted rather than left behind; a second one (say
        // while a connection is still being waited for) exits at once, and
        // the next fetch deletes what it left.
        let _ = ctrlc::set_handler(move || {
            if cancel.swap(true, Ordering::Relaxed) {
                std::process::exit(130);
            }
        });
    }

    out!("fetching {name} into {}", dir.display());
    let mut observer = Shown::new();
    let files = fetch(source, &dir, &opts, &mut observer);
    observer.clear();
    let files = files?;
    let downloaded = files
        .iter()
        .filter(|f| matches!(f.outcome, Outcome::Downloaded { .. }))
        .count();
    let how = if in_cache {
        format!("--dataset {name}")
    } else {
        format!("--data-dir {}", dir.display())
    };
    out!(
        "{name}: all {} files verified ({downloaded} downloaded); train on it with `manabi train {how}`",
        files.len()
    );
    Ok(())
}

/// What a fetch shows: a bar per download on a terminal, a line per event
/// otherwise.
#[cfg(feature = "fetch")]
struct Shown {
    terminal: bool,
    bar: Option<indicatif::ProgressBar>,
    current: String,
}

#[cfg(feature = "fetch")]
impl Shown {
    fn new() -> Shown {
        use std::io::IsTerminal;
        Shown {
            terminal: std::io::stderr().is_terminal(),
            bar: None,
            current: String::new(),
        }
    }

    fn say(&self, line: &str) {
        match &self.bar {
            Some(bar) => bar.suspend(|| out!("{line}")),
            None => out!("{line}"),
        }
    }

    fn warn(&self, line: &str) {
        match &self.bar {
            Some(bar) => bar.suspend(|| err_line!("{line}")),
            None => err_line!("{line}"),
        }
    }

    fn clear(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

#[cfg(feature = "fetch")]
impl manabi::data::fetch::FetchObserver for Shown {
    fn already_verified(&mut self, name: &str, path: &Path) {
        self.say(&format!("{name}: already in {}, verified", folder_of(path)));
    }

    fn replacing(&mut self, _name: &str, path: &Path) {
        self.warn(&format!(
            "manabi: warning: {}: does not match the published checksum; fetching it again",
            path.display()
        ));
    }

    fn trying(&mut self, name: &str, url: &str) {
        self.clear();
        self.current = name.to_string();
        if self.terminal {
            use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
            let style = ProgressStyle::with_template(
                "{msg} {bar:28.cyan/blue} {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}",
            )
            .expect("a valid template")
            .progress_chars("█▉▊▋▌▍▎▏ ");
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
                .with_style(style)
                .with_message(name.to_string());
            bar.suspend(|| out!("{name}: {url}"));
            self.bar = Some(bar);
        } else {
            out!("{name}: downloading {url}");
        }
    }

    fn receiving(&mut self, total: Option<u64>) {
        if let (Some(bar), Some(total)) = (&self.bar, total) {
            bar.set_length(total);
        }
    }

    fn progress(&mut self, bytes: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(bytes);
        }
    }

    fn failed(&mut self, name: &str, attempt: &manabi::data::fetch::Attempt, more: bool) {
        self.clear();
        let next = if more { "; trying the next mirror" } else { "" };
        self.warn(&format!("manabi: warning: {name}: {attempt}{next}"));
    }

    fn fetched(&mut self, name: &str, path: &Path, digest: &FileDigest, origin: &str) {
        self.clear();
        self.say(&format!(
            "{name}: {} bytes, md5 {}, sha256 {}: verified ({origin}), saved in {}",
            fmt_count(digest.size as usize),
            digest.md5,
            digest.sha256,
            folder_of(path)
        ));
    }
}

#[cfg(feature = "fetch")]
fn folder_of(path: &Path) -> String {
    path.parent()
        .map_or_else(|| ".".to_string(), |p| p.display().to_string())
}

fn path(args: PathArgs) -> Result<()> {
    let name = args.dataset;
    match resolve(name, &DataHome::from_env())? {
        Resolved::Folder(dir) => out!("{}", dir.display()),
        Resolved::Embedded => bail!(
            "data path {name}: {name} is compiled into manabi, not read from a folder; \
             its four files are data/{name}/ in manabi's source"
        ),
    }
    Ok(())
}

fn info(args: InfoArgs) -> Result<()> {
    if args.hidden == 0 {
        bail!("--hidden 0: a network needs at least 1 hidden unit, such as 50");
    }
    let folder = args.data.folder()?;
    let ds = args.data.load()?;
    let known = known_set(&ds, folder.as_deref());
    let classes = classes_of(&ds, known);
    match &folder {
        Some(dir) => out!("data set: {} (folder {})", ds.name, dir.display()),
        None => out!("data set: {} (embedded in manabi)", ds.name),
    }
    out!(
        "images: {}×{} pixels; {} train, {} test",
        ds.train.rows(),
        ds.train.cols(),
        fmt_count(ds.train.len()),
        fmt_count(ds.test.len())
    );

    let train = SplitStats::of(&ds.train);
    let test = SplitStats::of(&ds.test);
    // Digits are their own names; clothing gets its name beside the label.
    let named = classes.iter().enumerate().any(|(k, c)| *c != k.to_string());
    let label = |k: usize| {
        if named {
            format!("{k} {}", classes[k])
        } else {
            k.to_string()
        }
    };
    let width = (0..classes.len())
        .map(|k| label(k).chars().count())
        .max()
        .unwrap_or(1)
        .max(5);
    out!();
    out!("  {:<width$}  {:>8}  {:>8}", "label", "train", "test");
    for k in 0..classes.len() {
        out!(
            "  {:<width$}  {:>8}  {:>8}",
            label(k),
            fmt_count(train.per_class[k]),
            fmt_count(test.per_class[k])
        );
    }
    out!();
    out!("  pixels (0–255)   mean    std   zero (background)   255 (full ink)");
    for (split, s) in [("train", &train), ("test", &test)] {
        out!(
            "  {split:<14} {:>6.1} {:>6.1}   {:>17}   {:>14}",
            s.mean,
            s.std,
            percent(s.zero_share),
            percent(s.full_share)
        );
    }

    out!();
    out!("files:");
    let digests = file_digests(folder.as_deref())?;
    let width = digests.iter().map(|(f, _)| f.len()).max().unwrap_or(0);
    for (file, digest) in digests {
        let found = identify(&file, digest);
        let verdict = match &found.matches {
            Some((_, e)) => format!("verified: {}", e.origin),
            None => "not a published file (checked by its IDX structure only)".to_string(),
        };
        out!(
            "  {file:<width$}  {:>10} bytes  {verdict}",
            fmt_count(found.digest.size as usize)
        );
        out!(
            "      md5 {}  sha256 {}",
            found.digest.md5,
            found.digest.sha256
        );
    }
    out!("content sha256 (as runs record it): {}", ds.checksum());

    let inputs = ds.train.pixels_per_image();
    let params = inputs * args.hidden + args.hidden + args.hidden * classes.len() + classes.len();
    out!();
    out!(
        "for a {inputs}-{}-{} network (--hidden to change):",
        args.hidden,
        classes.len()
    );
    out!("{}", rule_of_thumb(ds.train.len(), params));
    Ok(())
}

fn percent(f: f64) -> String {
    format!("{:.1} %", 100.0 * f)
}

/// The data set's files and their digests: the compiled-in bytes for the
/// embedded set, the files on disk for a folder.
fn file_digests(folder: Option<&Path>) -> Result<Vec<(String, FileDigest)>> {
    let Some(dir) = folder else {
        return Ok(embedded_files()
            .iter()
            .map(|(name, bytes)| (format!("{name}.gz"), FileDigest::of_bytes(bytes)))
            .collect());
    };
    manabi::data::FILE_NAMES
        .iter()
        .map(|base| {
            let gz = dir.join(format!("{base}.gz"));
            let path = if gz.exists() { gz } else { dir.join(base) };
            let digest = FileDigest::of_file(&path)
                .with_context(|| format!("{}: cannot read it to checksum it", path.display()))?;
            let name = path
                .file_name()
                .map_or_else(|| base.to_string(), |n| n.to_string_lossy().into_owned());
            Ok((name, digest))
        })
        .collect()
}

/// The known data set this is, by its labels file, else by its name.
fn known_set(ds: &Dataset, folder: Option<&Path>) -> Option<DatasetName> {
    match folder {
        None => Some(DatasetName::Mnist10k),
        Some(dir) => identify_dir(dir).or_else(|| ds.name.parse().ok()),
    }
}

fn classes_of(ds: &Dataset, known: Option<DatasetName>) -> [&'static str; 10] {
    match known {
        Some(DatasetName::FashionMnist) => class_names("fashion-mnist"),
        Some(_) => class_names("mnist"),
        None => class_names(&ds.name),
    }
}

fn show(args: ShowArgs) -> Result<()> {
    let folder = args.data.folder()?;
    let ds = args.data.load()?;
    let classes = classes_of(&ds, known_set(&ds, folder.as_deref()));
    let (split, which) = match args.split {
        SplitArg::Train => (&ds.train, "train"),
        SplitArg::Test => (&ds.test, "test"),
    };
    if args.index >= split.len() {
        bail!(
            "--index {}: the {which} split of {} has {} images, numbered 0 to {}; \
             pick one of those (or --split {})",
            args.index,
            ds.name,
            fmt_count(split.len()),
            fmt_count(split.len().saturating_sub(1)),
            if which == "train" { "test" } else { "train" }
        );
    }
    let label = split.label(args.index);
    let name = classes[label];
    let label_text = if name == label.to_string() {
        format!("label {label}")
    } else {
        format!("label {label} ({name})")
    };
    out!("{} {which}[{}]: {label_text}", ds.name, args.index);
    out!(
        "{}",
        text_art(split.image(args.index), split.cols()).trim_end_matches('\n')
    );
    Ok(())
}
