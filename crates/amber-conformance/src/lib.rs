#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

pub mod array;
pub mod compare;
pub mod corpus;
mod error;
pub mod npy;
pub mod runner;
pub mod testee;

pub use array::{Array, format_float};
pub use compare::{Agreement, Mismatch, Tolerance, compare};
pub use corpus::Corpus;
pub use error::{ConformanceError, Result};
pub use runner::{Outcome, Summary, Verdict, run};
pub use testee::{InProcess, Process, Testee, TesteeError};

/// The corpus shipped with this source tree, `<workspace>/tests/vectors`.
#[must_use]
pub fn default_vectors_dir() -> std::path::PathBuf {
    let crate_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    // crates/amber-conformance -> the workspace root.
    crate_dir
        .parent()
        .and_then(std::path::Path::parent)
        .unwrap_or(crate_dir)
        .join("tests/vectors")
}
