//! Drawing an example's figure into the folder named by `--out DIR`, where
//! the book's script would call `plt.show()`.

// Each example uses only the functions it needs.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use manabi::report::ReportError;

/// Draws `DIR/name.png` (and `.svg`) with `plot`, which is handed the path
/// without extension, and prints where the PNG went. A failure (a folder
/// that cannot be created, a file that cannot be written) is a one-line
/// error naming the example, and exit code 1.
pub fn draw(
    example: &str,
    dir: &Path,
    name: &str,
    plot: impl FnOnce(&Path) -> Result<Vec<PathBuf>, ReportError>,
) {
    let written = std::fs::create_dir_all(dir)
        .map_err(|e| format!("cannot create {}: {e}", dir.display()))
        .and_then(|()| plot(&dir.join(name)).map_err(|e| e.to_string()));
    match written {
        Ok(files) => println!("figure: {}", files[0].display()),
        Err(e) => {
            eprintln!("{example}: {e}");
            std::process::exit(1);
        }
    }
}

/// The arguments of an example whose only flag is `--out DIR`: the folder,
/// or `None` (no figure) without it.
pub fn out_flag_only() -> Result<Option<PathBuf>, String> {
    let mut out = None;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        match flag.as_str() {
            "--out" => out = Some(out_dir(args.next())?),
            _ => return Err(format!("unknown flag {flag} (flags: --out DIR)")),
        }
    }
    Ok(out)
}

/// The value of `--out`, which must be there.
pub fn out_dir(value: Option<String>) -> Result<PathBuf, String> {
    value
        .map(PathBuf::from)
        .ok_or_else(|| "--out needs a folder to draw the figure in, such as figures".to_string())
}
