//! What can go wrong while writing or reading a run folder, as one-line
//! messages that name the file at fault.

use std::path::PathBuf;

/// A run-folder file could not be written, read or understood.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The operating system refused a read or write.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// A file's content is not what manabi writes there.
    #[error("{path}: {reason}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What is wrong, and where in the file.
        reason: String,
    },
    /// A figure could not be drawn.
    #[error("{path}: could not draw the figure: {reason}")]
    Plot {
        /// The figure's file.
        path: PathBuf,
        /// What the drawing library said.
        reason: String,
    },
}

impl ReportError {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        ReportError::Io {
            path: path.into(),
            source,
        }
    }

    /// A content error in `path`.
    pub fn malformed(path: impl Into<PathBuf>, reason: impl Into<String>) -> Self {
        ReportError::Malformed {
            path: path.into(),
            reason: reason.into(),
        }
    }
}
