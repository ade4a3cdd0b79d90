//! The docs run as written: every command the guided tours (`docs/tour.md`,
//! `docs/tour.ja.md`) and the two front doors (`README.md`, `README.ja.md`) show is
//! run here, in order, and what it prints is compared with what the page
//! says it prints.
//!
//! How a page marks its blocks:
//!
//! | fence | meaning |
//! | --- | --- |
//! | ```` ```sh ```` | commands, run in order in one fresh folder per page |
//! | ```` ```sh slow ```` | run only with `MANABI_DOCS_SLOW=1` (`scripts/docs.sh` sets it): minutes, too long for every test run |
//! | ```` ```sh no-run ```` | shown, never run: needs data the repository does not carry, or is `cargo test` itself |
//! | ```` ```text ```` right after a run block | its standard output, compared line by line; numbers to 1e-9 relative |
//! | ```` ```text varies ```` | the same with every number masked: timings, speed-ups, anything machine-dependent |
//! | ```` ```rust excerpt=FILE ```` | code quoted from FILE: every line must still be in it (`// …` lines mark cuts) |
//!
//! A line `…` in an output block stands for any number of lines. The runs of
//! lines between the cuts must appear in the output in order: the first at
//! the start unless the block starts with `…`, the last at the end unless it
//! ends with `…`. When updating, each run is redone from the lines of the
//! new output it matches with numbers masked. A comment
//! `<!-- from: PATH -->` right before an image names the file the commands
//! above it drew (PATH is relative to the page's run folder); the test checks
//! the commands did draw it.
//!
//! `cargo` in the commands is `cargo run --release [--example NAME] [-- ARGS]`;
//! a stand-in on `PATH` runs the binaries this test was built with, so what
//! runs is what `cargo run` would run, without building anything again.
//!
//! `MANABI_DOCS_UPDATE=1` rewrites the output blocks from this run and copies
//! the figures into place instead of comparing: `scripts/docs.sh` does that.
//! The pages then show exactly what the code prints.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The pages whose commands run; the two tours share theirs.
const TOURS: [&str; 2] = ["docs/tour.md", "docs/tour.ja.md"];
const README_JA: &str = "README.ja.md";
/// The front door: its first command's output is pasted under it.
const README: &str = "README.md";
/// Pages whose links must lead somewhere.
const LINKED: [&str; 5] = [
    "README.md",
    "docs/tour.md",
    "docs/tour.ja.md",
    "README.ja.md",
    "docs/numpy.md",
];

/// A command that runs longer than this is stuck (a server, a prompt).
const COMMAND_TIMEOUT: Duration = Duration::from_secs(600);

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn env_flag(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|v| !v.is_empty() && v != "0")
}

// ---------------------------------------------------------------- parsing

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Run {
    Always,
    Slow,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compare {
    Exact,
    Varies,
}

#[derive(Debug, Clone)]
enum Item {
    /// A ```sh block.
    Commands { run: Run, text: String, line: usize },
    /// A ```text block right after a ```sh block; `first`..`end` are the
    /// indices of its content lines in the page.
    Output {
        compare: Compare,
        lines: Vec<String>,
        first: usize,
        end: usize,
        line: usize,
    },
    /// `<!-- from: PATH -->` before `![…](DEST)`.
    Figure {
        from: String,
        dest: String,
        line: usize,
    },
    /// A ```rust excerpt=FILE block.
    Excerpt {
        file: String,
        lines: Vec<String>,
        line: usize,
    },
}

struct Page {
    path: PathBuf,
    lines: Vec<String>,
    items: Vec<Item>,
}

fn parse(rel: &str) -> Page {
    let path = root().join(rel);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut items = Vec::new();
    let mut i = 0;
    // Whether the last thing seen (blank lines and comments aside) was a
    // command block, so that a text block is its output.
    let mut after_commands = false;
    while i < lines.len() {
        let line = &lines[i];
        if let Some(info) = line.strip_prefix("```").filter(|s| !s.starts_with('`')) {
            let words: Vec<&str> = info.split_whitespace().collect();
            let start = i + 1;
            let mut end = start;
            while end < lines.len() && lines[end].trim_end() != "```" {
                end += 1;
            }
            assert!(end < lines.len(), "{rel}:{}: unclosed code block", i + 1);
            let body: Vec<String> = lines[start..end].to_vec();
            match words.first().copied() {
                Some("sh") => {
                    let run = if words.contains(&"no-run") {
                        Run::Never
                    } else if words.contains(&"slow") {
                        Run::Slow
                    } else {
                        Run::Always
                    };
                    items.push(Item::Commands {
                        run,
                        text: body.join("\n"),
                        line: i + 1,
                    });
                    after_commands = true;
                }
                Some("text") if after_commands => {
                    let compare = if words.contains(&"varies") {
                        Compare::Varies
                    } else {
                        Compare::Exact
                    };
                    items.push(Item::Output {
                        compare,
                        lines: body,
                        first: start,
                        end,
                        line: i + 1,
                    });
                    after_commands = false;
                }
                Some("rust") => {
                    if let Some(file) = words.iter().find_map(|w| w.strip_prefix("excerpt=")) {
                        items.push(Item::Excerpt {
                            file: file.to_string(),
                            lines: body,
                            line: i + 1,
                        });
                    }
                    after_commands = false;
                }
                _ => after_commands = false,
            }
            i = end + 1;
            continue;
        }
        let trimmed = line.trim();
        if let Some(from) = trimmed
            .strip_prefix("<!-- from:")
            .and_then(|s| s.strip_suffix("-->"))
        {
            let image = lines[i + 1..]
                .iter()
                .find(|l| !l.trim().is_empty())
                .and_then(|l| image_target(l))
                .unwrap_or_else(|| {
                    panic!(
                        "{rel}:{}: `<!-- from: … -->` must come right before an image",
                        i + 1
                    )
                });
            items.push(Item::Figure {
                from: from.trim().to_string(),
                dest: image,
                line: i + 1,
            });
        } else if !(trimmed.is_empty() || trimmed.starts_with("<!--")) {
            after_commands = false;
        }
        i += 1;
    }
    Page { path, lines, items }
}

/// `![alt](target)` → `target`.
fn image_target(line: &str) -> Option<String> {
    let start = line.find("![")?;
    let rest = &line[start..];
    let open = rest.find("](")? + 2;
    let close = rest[open..].find(')')? + open;
    Some(rest[open..close].to_string())
}

/// The commands of a page, comments and blank lines aside, with how they run.
fn command_lines(page: &Page) -> Vec<(Run, String)> {
    page.items
        .iter()
        .filter_map(|item| match item {
            Item::Commands { run, text, .. } => Some((*run, text)),
            _ => None,
        })
        .flat_map(|(run, text)| {
            text.lines()
                .map(|l| l.trim())
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(move |l| (run, l.to_string()))
                .collect::<Vec<_>>()
        })
        .collect()
}

// -------------------------------------------------------------- comparing

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Text(String),
    Number(f64),
}

/// A line cut into numbers and the text between them. A number starts with
/// a digit (or a minus sign before one) that does not continue a word, so
/// `W1`, `x0` and `f64` stay text; `8,004`, `2.5e-7` and `-0.25` are numbers.
fn tokens(line: &str) -> Vec<Token> {
    let chars: Vec<char> = line.chars().collect();
    let mut out = Vec::new();
    let mut text = String::new();
    let mut i = 0;
    let word_char = |c: char| c.is_alphanumeric() || c == '_';
    while i < chars.len() {
        let prev = if i > 0 { Some(chars[i - 1]) } else { None };
        let starts_word = prev.is_none_or(|p| !word_char(p) && p != '.');
        let digit_at = |j: usize| chars.get(j).is_some_and(|c| c.is_ascii_digit());
        let starts_number = starts_word && (digit_at(i) || (chars[i] == '-' && digit_at(i + 1)));
        if !starts_number {
            text.push(chars[i]);
            i += 1;
            continue;
        }
        let mut j = i + 1;
        while j < chars.len() {
            let c = chars[j];
            if c.is_ascii_digit() {
                j += 1;
            } else if c == ',' && (1..=3).all(|k| digit_at(j + k)) && !digit_at(j + 4) {
                j += 4;
            } else if c == '.' && digit_at(j + 1) {
                j += 2;
            } else if (c == 'e' || c == 'E')
                && (digit_at(j + 1)
                    || (matches!(chars.get(j + 1), Some('+' | '-')) && digit_at(j + 2)))
            {
                j += if digit_at(j + 1) { 2 } else { 3 };
            } else {
                break;
            }
        }
        let s: String = chars[i..j].iter().filter(|&&c| c != ',').collect();
        if !text.is_empty() {
            out.push(Token::Text(std::mem::take(&mut text)));
        }
        out.push(Token::Number(s.parse().unwrap_or(f64::NAN)));
        i = j;
    }
    if !text.is_empty() {
        out.push(Token::Text(text));
    }
    out
}

fn same_line(shown: &str, got: &str, compare: Compare) -> bool {
    let (shown, got) = (mask_kernels(shown), mask_kernels(got));
    let (a, b) = (tokens(shown.trim_end()), tokens(got.trim_end()));
    a.len() == b.len()
        && a.iter().zip(&b).all(|pair| match pair {
            (Token::Text(x), Token::Text(y)) => match compare {
                Compare::Exact => x == y,
                Compare::Varies => {
                    x.split_whitespace().eq(y.split_whitespace())
                        && x.starts_with(' ') == y.starts_with(' ')
                        && x.ends_with(' ') == y.ends_with(' ')
                }
            },
            (Token::Number(x), Token::Number(y)) => match compare {
                Compare::Exact => x == y || (x - y).abs() <= 1e-9 * x.abs().max(y.abs()),
                Compare::Varies => true,
            },
            _ => false,
        })
}

/// `line` with the kernel level `train` names ("…, avx512 kernels",
/// "…, baseline kernels (SSE2)") made `LEVEL kernels`: it is the
/// processor's, not the page's.
fn mask_kernels(line: &str) -> String {
    let Some(at) = line.find(" kernels") else {
        return line.to_string();
    };
    let start = line[..at].rfind(", ").map_or(0, |i| i + 2);
    let mut end = at + " kernels".len();
    if line[end..].starts_with(" (")
        && let Some(close) = line[end..].find(')')
    {
        end += close + 1;
    }
    format!("{}LEVEL kernels{}", &line[..start], &line[end..])
}

/// An output block cut at its `…` lines: the runs of lines it shows, and
/// whether it starts or ends with `…` (more output before or after).
struct Segments<'a> {
    runs: Vec<&'a [String]>,
    open_start: bool,
    open_end: bool,
}

fn segments(lines: &[String]) -> Segments<'_> {
    let is_cut = |l: &String| l.trim() == "…";
    Segments {
        runs: lines.split(is_cut).filter(|run| !run.is_empty()).collect(),
        open_start: lines.first().is_some_and(is_cut),
        open_end: lines.last().is_some_and(is_cut),
    }
}

/// Where each run of `shown` sits in `got`: the first run at the start
/// (unless the block starts with `…`), the last at the end (unless it ends
/// with `…`), the others at their first match in between, in order.
fn locate(shown: &[String], got: &[String], compare: Compare) -> Result<Vec<usize>, String> {
    let seg = segments(shown);
    if seg.runs.is_empty() {
        return Ok(Vec::new());
    }
    let matches_at = |run: &[String], k: usize| {
        k + run.len() <= got.len()
            && run
                .iter()
                .zip(&got[k..])
                .all(|(s, g)| same_line(s, g, compare))
    };
    let first_difference = |run: &[String], k: usize| {
        let i = run
            .iter()
            .zip(got.get(k..).unwrap_or_default())
            .position(|(s, g)| !same_line(s, g, compare));
        match i {
            Some(i) => format!(
                "the page shows\n    {}\nthe command printed\n    {}",
                run[i],
                got[k + i]
            ),
            None => format!(
                "the page shows {} lines from line {}, the command printed {} in all",
                run.len(),
                k + 1,
                got.len()
            ),
        }
    };
    let last = seg.runs.len() - 1;
    let mut at = Vec::new();
    let mut pos = 0;
    for (i, run) in seg.runs.iter().enumerate() {
        let k = if i == 0 && !seg.open_start {
            if !matches_at(run, 0) {
                return Err(first_difference(run, 0));
            }
            0
        } else if i == last && !seg.open_end {
            let k = got.len().checked_sub(run.len()).filter(|&k| k >= pos);
            match k {
                Some(k) if matches_at(run, k) => k,
                Some(k) => return Err(first_difference(run, k)),
                None => return Err(first_difference(run, pos)),
            }
        } else {
            match (pos..got.len()).find(|&k| matches_at(run, k)) {
                Some(k) => k,
                None => {
                    return Err(format!(
                        "the command printed nothing like these lines (after line {pos}):\n    {}",
                        run.join("\n    ")
                    ));
                }
            }
        };
        if seg.runs.len() == 1 && !seg.open_start && !seg.open_end && run.len() != got.len() {
            return Err(format!(
                "the page shows {} lines, the command printed {}",
                run.len(),
                got.len()
            ));
        }
        at.push(k);
        pos = k + run.len();
    }
    Ok(at)
}

/// Why `got` does not match the block `shown`, if it does not.
fn mismatch(shown: &[String], got: &[String], compare: Compare) -> Option<String> {
    locate(shown, got, compare).err()
}

/// The block `shown` redone from `got`, keeping its `…` cuts: each run of
/// lines is replaced by the lines of `got` it matches in structure.
fn updated(shown: &[String], got: &[String]) -> Result<Vec<String>, String> {
    let seg = segments(shown);
    if seg.runs.len() <= 1 && !seg.open_start && !seg.open_end {
        return Ok(got.to_vec());
    }
    let at = locate(shown, got, Compare::Varies).map_err(|e| {
        format!("cannot tell which lines of the new output the block shows; edit it by hand:\n{e}")
    })?;
    let mut out = Vec::new();
    if seg.open_start {
        out.push("…".to_string());
    }
    for (i, (run, k)) in seg.runs.iter().zip(at).enumerate() {
        if i > 0 {
            out.push("…".to_string());
        }
        out.extend_from_slice(&got[k..k + run.len()]);
    }
    if seg.open_end {
        out.push("…".to_string());
    }
    Ok(out)
}

// ---------------------------------------------------------------- running

/// A folder where a page's commands run, with `cargo` standing in for the
/// real one.
struct Session {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    bin: PathBuf,
}

/// `target/<profile>/examples`, beside this test's `target/<profile>/deps`.
fn examples_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary knows its path");
    exe.parent()
        .and_then(Path::parent)
        .expect("the test binary lives in target/<profile>/deps")
        .join("examples")
}

impl Session {
    fn new() -> Session {
        let tmp = tempfile::tempdir().expect("a temporary folder");
        let dir = tmp.path().join("manabi");
        let bin = tmp.path().join("bin");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::create_dir_all(&bin).unwrap();
        let cargo = bin.join("cargo");
        std::fs::write(
            &cargo,
            r#"#!/bin/sh
# `cargo run --release [--example NAME] [-- ARGS]`, run from the binaries
# tests/docs.rs was built with.
if [ "$1" != run ] || [ "$2" != --release ]; then
  echo "tests/docs.rs: only \`cargo run --release …\` can run here (mark the block no-run): cargo $*" >&2
  exit 127
fi
shift 2
exe="$MANABI_BIN"
if [ "$1" = --example ]; then
  exe="$MANABI_EXAMPLES/$2"
  if [ ! -x "$exe" ]; then
    echo "tests/docs.rs: example $2 is not built: run \`cargo test --release\` (or \`cargo build --release --examples\`)" >&2
    exit 127
  fi
  shift 2
fi
if [ "$#" -gt 0 ]; then
  if [ "$1" != -- ]; then
    echo "tests/docs.rs: expected -- before the program's arguments: $*" >&2
    exit 127
  fi
  shift
fi
exec "$exe" "$@"
"#,
        )
        .unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&cargo, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        Session {
            _tmp: tmp,
            dir,
            bin,
        }
    }

    /// Runs a block of commands with `sh -e`; returns its standard output,
    /// or panics with everything it printed if it fails.
    fn run(&self, page: &str, line: usize, text: &str) -> Vec<String> {
        let path = format!(
            "{}:{}",
            self.bin.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let start = Instant::now();
        let mut child = Command::new("sh")
            .arg("-ec")
            .arg(text)
            .current_dir(&self.dir)
            .env("PATH", path)
            .env("MANABI_BIN", env!("CARGO_BIN_EXE_manabi"))
            .env("MANABI_EXAMPLES", examples_dir())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("sh runs");
        // Read both pipes on threads so a chatty command cannot block on a full one.
        let mut stdout = child.stdout.take().unwrap();
        let mut stderr = child.stderr.take().unwrap();
        let out = std::thread::spawn(move || {
            let mut s = String::new();
            stdout.read_to_string(&mut s).ok();
            s
        });
        let err = std::thread::spawn(move || {
            let mut s = String::new();
            stderr.read_to_string(&mut s).ok();
            s
        });
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if start.elapsed() > COMMAND_TIMEOUT {
                child.kill().ok();
                child.wait().ok();
                panic!("{page}:{line}: still running after {COMMAND_TIMEOUT:?}:\n{text}");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let (stdout, stderr) = (out.join().unwrap(), err.join().unwrap());
        eprintln!(
            "{page}:{line}: {:.1} s  {}",
            start.elapsed().as_secs_f64(),
            text.lines()
                .find(|l| !l.trim_start().starts_with('#'))
                .unwrap_or("")
        );
        assert!(
            status.success(),
            "{page}:{line}: the commands failed ({status}):\n{text}\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
        );
        let mut lines: Vec<String> = stdout.lines().map(|l| l.trim_end().to_string()).collect();
        while lines.last().is_some_and(|l| l.is_empty()) {
            lines.pop();
        }
        lines
    }
}

/// Runs `pages[0]`'s commands and checks (or, updating, rewrites) the
/// outputs and figures of every page in `pages`, which must all show the
/// same commands.
fn run_pages(pages: &[&str]) {
    let update = env_flag("MANABI_DOCS_UPDATE");
    // Updating runs the slow commands too, unless MANABI_DOCS_SLOW=0 says not.
    let slow = match std::env::var_os("MANABI_DOCS_SLOW") {
        Some(_) => env_flag("MANABI_DOCS_SLOW"),
        None => update,
    };
    let mut parsed: Vec<Page> = pages.iter().map(|p| parse(p)).collect();
    let reference = command_lines(&parsed[0]);
    assert!(!reference.is_empty(), "{}: no commands found", pages[0]);
    for (page, rel) in parsed.iter().zip(pages).skip(1) {
        let commands = command_lines(page);
        if commands != reference {
            let first = reference
                .iter()
                .zip(&commands)
                .find(|(a, b)| a != b)
                .map(|(a, b)| format!("{a:?}\nvs\n{b:?}"))
                .unwrap_or_else(|| format!("{} vs {} commands", reference.len(), commands.len()));
            panic!(
                "{rel} must show the same commands as {}, in the same order; first difference:\n{first}",
                pages[0]
            );
        }
    }

    // Run the first page's blocks in order; remember each run block's output.
    let session = Session::new();
    let mut outputs: Vec<Option<Vec<String>>> = Vec::new();
    let mut skipped_slow = false;
    let mut problems = Vec::new();
    let mut figures_to_copy = Vec::new();
    for item in &parsed[0].items {
        match item {
            Item::Commands { run, text, line } => {
                let runs = match run {
                    Run::Always => true,
                    Run::Slow => slow,
                    Run::Never => false,
                };
                skipped_slow |= *run == Run::Slow && !runs;
                outputs.push(runs.then(|| session.run(pages[0], *line, text)));
            }
            Item::Figure { from, dest, line } => {
                let drawn = session.dir.join(from);
                let dest = parsed[0].path.parent().unwrap().join(dest);
                if drawn.is_file() {
                    figures_to_copy.push((drawn, dest));
                } else if !skipped_slow {
                    problems.push(format!(
                        "{}:{line}: the commands above did not draw {from}",
                        pages[0]
                    ));
                }
            }
            _ => {}
        }
    }

    // Each page's output blocks belong to its run blocks in order.
    for (page, rel) in parsed.iter_mut().zip(pages) {
        let mut block = 0usize;
        let mut replacements = Vec::new();
        for item in &page.items {
            match item {
                Item::Commands { .. } => block += 1,
                Item::Output {
                    compare,
                    lines,
                    first,
                    end,
                    line,
                } => {
                    let Some(Some(got)) = outputs.get(block - 1) else {
                        continue;
                    };
                    if update {
                        match updated(lines, got) {
                            Ok(new) => replacements.push((*first, *end, new)),
                            Err(why) => problems.push(format!("{rel}:{line}: {why}")),
                        }
                    } else if let Some(why) = mismatch(lines, got, *compare) {
                        problems.push(format!(
                            "{rel}:{line}: the output differs from what the command prints \
                             (run scripts/docs.sh to refresh the docs):\n{why}"
                        ));
                    }
                }
                Item::Excerpt { file, lines, line } => {
                    if let Some(why) = excerpt_problem(file, lines) {
                        problems.push(format!("{rel}:{line}: {why}"));
                    }
                }
                Item::Figure { dest, line, .. } => {
                    let dest_path = page.path.parent().unwrap().join(dest);
                    if !update && !dest_path.is_file() {
                        problems.push(format!(
                            "{rel}:{line}: {dest} is missing (run scripts/docs.sh)"
                        ));
                    }
                }
            }
        }
        if update && !replacements.is_empty() {
            for (first, end, new) in replacements.into_iter().rev() {
                page.lines.splice(first..end, new);
            }
            let mut text = page.lines.join("\n");
            text.push('\n');
            std::fs::write(&page.path, text).unwrap();
        }
    }
    if update {
        for (drawn, dest) in figures_to_copy {
            std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
            std::fs::copy(&drawn, &dest).unwrap_or_else(|e| {
                panic!("cannot copy {} to {}: {e}", drawn.display(), dest.display())
            });
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

/// Why an excerpt no longer matches its file, if it does not.
fn excerpt_problem(file: &str, lines: &[String]) -> Option<String> {
    let source = match std::fs::read_to_string(root().join(file)) {
        Ok(s) => s,
        Err(e) => return Some(format!("cannot read {file}: {e}")),
    };
    let have: BTreeSet<&str> = source.lines().map(str::trim).collect();
    lines
        .iter()
        .map(|l| l.trim())
        .filter(|l| !l.is_empty() && !l.starts_with("// …"))
        .find(|l| !have.contains(l))
        .map(|l| format!("this line of the excerpt is no longer in {file}:\n    {l}"))
}

// ------------------------------------------------------------------ tests

/// Release binaries only: in a debug build the chapter's training run alone
/// takes minutes.
fn release_build() -> bool {
    if cfg!(debug_assertions) {
        eprintln!(
            "tests/docs.rs runs the docs' commands with release binaries: use `cargo test --release`"
        );
        return false;
    }
    true
}

#[cfg(unix)]
#[test]
fn the_tours_run_as_written() {
    if release_build() {
        run_pages(&TOURS);
    }
}

#[cfg(unix)]
#[test]
fn the_japanese_readme_runs_as_written() {
    if release_build() {
        run_pages(&[README_JA]);
    }
}

#[cfg(unix)]
#[test]
fn the_readme_runs_as_written() {
    if release_build() {
        run_pages(&[README]);
    }
}

/// Every relative link of the docs leads to a file, and every function the
/// NumPy crib sheet points to is still defined where it says.
#[test]
fn links_lead_somewhere() {
    let mut problems = String::new();
    for rel in LINKED {
        let path = root().join(rel);
        let text = std::fs::read_to_string(&path).unwrap();
        let base = path.parent().unwrap();
        for (n, line) in text.lines().enumerate() {
            let mut rest = line;
            while let Some(k) = rest.find("](") {
                let label_start = rest[..k].rfind('[').map_or(0, |i| i + 1);
                let label = &rest[label_start..k];
                let after = &rest[k + 2..];
                let Some(close) = after.find(')') else { break };
                let target = &after[..close];
                rest = &after[close..];
                if target.contains("://") || target.starts_with("mailto:") {
                    continue;
                }
                let (file, anchor) = target.split_once('#').unwrap_or((target, ""));
                let resolved = if file.is_empty() {
                    path.clone()
                } else {
                    base.join(file)
                };
                if !resolved.exists() {
                    let _ = writeln!(problems, "{rel}:{}: {target} does not exist", n + 1);
                    continue;
                }
                if !anchor.is_empty() && !anchors(&resolved).contains(anchor) {
                    let _ = writeln!(
                        problems,
                        "{rel}:{}: no heading makes the anchor #{anchor}",
                        n + 1
                    );
                }
                // [`Name::method`](file.rs): the file defines `fn method`,
                // `struct Name`, `enum Name`, `const NAME` or `trait Name`.
                let code = label.strip_prefix('`').and_then(|l| l.strip_suffix('`'));
                if let (Some(code), true) = (code, rel == "docs/numpy.md" && file.ends_with(".rs"))
                {
                    let name = code.rsplit("::").next().unwrap().trim_end_matches("()");
                    let source = std::fs::read_to_string(&resolved).unwrap();
                    let defined = [
                        "fn ",
                        "struct ",
                        "enum ",
                        "const ",
                        "trait ",
                        "macro_rules! ",
                    ]
                    .iter()
                    .any(|kw| {
                        source.match_indices(&format!("{kw}{name}")).any(|(i, m)| {
                            let next = source[i + m.len()..].chars().next();
                            next.is_none_or(|c| !(c.is_alphanumeric() || c == '_'))
                        })
                    });
                    if !defined {
                        let _ = writeln!(
                            problems,
                            "{rel}:{}: {file} does not define `{name}` any more",
                            n + 1
                        );
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{problems}");
}

/// The anchors GitHub gives a Markdown file's headings: lower case, spaces
/// to hyphens, punctuation and symbols (`.`, `:`, `(`, `=`, `²` …) dropped.
fn anchors(path: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut in_code = false;
    let mut out = BTreeSet::new();
    for line in text.lines() {
        if line.starts_with("```") {
            in_code = !in_code;
        }
        if in_code {
            continue;
        }
        if let Some(heading) = line
            .trim_start_matches('#')
            .strip_prefix(' ')
            .filter(|_| line.starts_with('#'))
        {
            out.insert(slug(heading));
        }
    }
    out
}

fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|&c| c.is_alphabetic() || c.is_ascii_digit() || c == ' ' || c == '-' || c == '_')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

#[test]
fn headings_make_githubs_anchors() {
    assert_eq!(slug("5. Minimising f(x) = x²"), "5-minimising-fx--x");
    assert_eq!(slug("12. 高速版: 誤差逆伝播法"), "12-高速版-誤差逆伝播法");
}

#[test]
fn numbers_are_told_from_words() {
    use Token::{Number as N, Text as T};
    assert_eq!(
        tokens("W1 2.301e-10 of 8,004 (x0 = -3)"),
        vec![
            T("W1 ".into()),
            N(2.301e-10),
            T(" of ".into()),
            N(8004.0),
            T(" (x0 = ".into()),
            N(-3.0),
            T(")".into())
        ]
    );
    assert_eq!(
        tokens("784-50-10 f64"),
        vec![
            N(784.0),
            T("-".into()),
            N(50.0),
            T("-".into()),
            N(10.0),
            T(" f64".into())
        ]
    );
    assert!(same_line(
        "in 1.51 s; 9690× faster",
        "in 12.30 s; 10,234× faster",
        Compare::Varies
    ));
    assert!(!same_line("in 1.51 s", "in 1.51 ms", Compare::Varies));
    assert!(same_line(
        "d = 0.1999999999990898",
        "d = 0.19999999999909",
        Compare::Exact
    ));
    assert!(!same_line("acc 0.9444", "acc 0.9445", Compare::Exact));
}

#[test]
fn an_ellipsis_stands_for_any_lines() {
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let shown = s(&["a 1", "…", "z 9"]);
    let got = s(&["a 2", "b", "c", "z 8"]);
    assert_eq!(mismatch(&shown, &got, Compare::Varies), None);
    assert!(mismatch(&shown, &got, Compare::Exact).is_some());
    assert_eq!(updated(&shown, &got).unwrap(), s(&["a 2", "…", "z 8"]));
    assert!(mismatch(&shown, &s(&["a 1"]), Compare::Varies).is_some());
    // Open at both ends: the shown line may be anywhere.
    let shown = s(&["…", "done: 1 s", "…"]);
    let got = s(&["x", "done: 2 s", "y"]);
    assert_eq!(mismatch(&shown, &got, Compare::Varies), None);
    assert_eq!(updated(&shown, &got).unwrap(), s(&["…", "done: 2 s", "…"]));
    assert!(mismatch(&shown, &s(&["x", "y"]), Compare::Varies).is_some());
    // Without `…` every line is shown.
    assert!(mismatch(&s(&["a"]), &s(&["a", "b"]), Compare::Exact).is_some());
    assert_eq!(
        mismatch(&s(&["a", "b"]), &s(&["a", "b"]), Compare::Exact),
        None
    );
}
