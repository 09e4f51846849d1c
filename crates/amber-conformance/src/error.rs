//! The runner's error type: problems with the corpus or the testee harness itself, as opposed
//! to a testee's wrong answers (those are [`crate::Verdict::Fail`]s).

use std::path::{Path, PathBuf};

/// `Result` with [`ConformanceError`] as the default error.
pub type Result<T, E = ConformanceError> = std::result::Result<T, E>;

/// Why the corpus or a file in it could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConformanceError {
    /// A file or directory could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A JSON file is not valid JSON or lacks a required field.
    #[error("{path}: {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// The parser's error.
        source: serde_json::Error,
    },
    /// A `.npy` file could not be read.
    #[error("{path}: {source}")]
    Npy {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        source: crate::npy::NpyError,
    },
    /// A file parsed but does not have the expected structure.
    #[error("{path}: {reason}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The testee subprocess could not be started or stopped speaking the protocol.
    #[error("testee: {0}")]
    Testee(String),
}

impl ConformanceError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_owned(),
            source,
        }
    }
}
