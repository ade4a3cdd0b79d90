//! Atomic file writes: a file is either its old self or its complete new
//! self, never half-written.
//!
//! The bytes go to a hidden temporary file in the same folder, are flushed
//! to disk, and the temporary file is then renamed over the target. A rename
//! within one file system replaces the target in a single step, so a crash,
//! a full disk or a second Ctrl-C can leave a stray `.NAME.tmp` behind but
//! never a truncated `NAME`.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::error::ReportError;

/// Writes `bytes` to `path` through a temporary file and a rename.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("hello.txt");
/// manabi::report::write_atomic(&path, b"hello").unwrap();
/// assert_eq!(std::fs::read(&path).unwrap(), b"hello");
/// ```
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    let tmp = temp_path(path);
    let result = (|| {
        let mut file = File::create(&tmp)?;
        file.write_all(bytes)?;
        // On disk before the rename makes it visible: otherwise a power cut
        // could leave the new name pointing at an empty file.
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    result.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        ReportError::io(path, e)
    })
}

/// `dir/.NAME.tmp`: hidden, and in the same folder so the rename stays on
/// one file system.
fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.tmp"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.csv");
        write_atomic(&path, b"old").unwrap();
        write_atomic(&path, b"new content").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new content");
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn a_missing_folder_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("no/such/dir/a.csv");
        let err = write_atomic(&path, b"x").unwrap_err().to_string();
        assert!(err.contains("a.csv"), "{err}");
    }
}
