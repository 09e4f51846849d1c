//! The CLI's own failures, and how every error is reported with its spec code.

use std::path::PathBuf;

use amber_codec::CodecError;
use amber_conformance::npy::NpyError;
use amber_estimators::EstimatorError;

/// A failure of the CLI itself (reading an input, writing an output). Model failures are the
/// codec's and the estimators' own errors.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A file could not be read or written: `E_IO`.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file (`-` for stdout).
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The input `.npy` is not a readable numpy file: `E_INPUT`.
    #[error("{}: {source}", path.display())]
    Npy {
        /// The input.
        path: PathBuf,
        /// What is wrong with it.
        source: NpyError,
    },
    /// The input `.npy` holds strings: `E_INPUT`.
    #[error("{}: holds strings; the input must be numbers", path.display())]
    NpyStrings {
        /// The input.
        path: PathBuf,
    },
    /// The input array is not 2-D: `E_INPUT`.
    #[error("{}: input has shape {shape:?}; it must be 2-D (samples x features){hint}", path.display(), hint = rank_hint(shape))]
    Rank {
        /// The input.
        path: PathBuf,
        /// Its shape.
        shape: Vec<usize>,
    },
    /// An output whose first axis is not the rows (a soft `VotingClassifier`'s `transform`
    /// with `flatten_transform=False`, `[members, n, classes]`), asked for from a CSV input
    /// (read in batches of rows) or into a CSV output: `E_INPUT`.
    #[error(
        "{method} gives an array of shape {shape:?} whose rows are its second axis (a soft \
         VotingClassifier's transform with flatten_transform=False is [members, n, classes]); \
         the CLI writes it only from a .npy input to a .npy output (or save the model with \
         flatten_transform=True: the same numbers as [n, members * classes])"
    )]
    RowsNotFirst {
        /// The method.
        method: amber_estimators::Method,
        /// The output's shape (of the first batch).
        shape: Vec<usize>,
    },
    /// The input CSV is malformed (bad quoting, invalid UTF-8): `E_INPUT`.
    #[error("{}: {source}", path.display())]
    Csv {
        /// The input.
        path: PathBuf,
        /// The CSV reader's error.
        source: csv::Error,
    },
    /// The CSV header does not name the model's features: `E_INPUT`.
    #[error("{}: the header does not match the model's feature names: {}", path.display(), columns_message(missing, extra))]
    Columns {
        /// The input.
        path: PathBuf,
        /// Features of the model with no column.
        missing: Vec<String>,
        /// Columns that are not features of the model.
        extra: Vec<String>,
    },
    /// The CSV header names a column twice: `E_INPUT`.
    #[error("{}: column {name:?} appears more than once in the header", path.display())]
    DuplicateColumn {
        /// The input.
        path: PathBuf,
        /// The repeated name.
        name: String,
    },
    /// The input does not have as many columns as the model has features: `E_INPUT`.
    #[error("{}: {what} has {found} columns, the model expects {expected} features", path.display())]
    FeatureCount {
        /// The input.
        path: PathBuf,
        /// `the header`, `line 3`, ...
        what: String,
        /// Columns found.
        found: usize,
        /// `n_features_in` of the model.
        expected: usize,
    },
    /// A CSV line has a different number of fields than the first: `E_INPUT`.
    #[error("{}: line {line} has {found} fields, expected {expected}", path.display())]
    FieldCount {
        /// The input.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// Fields on that line.
        found: usize,
        /// Fields of the first line.
        expected: usize,
    },
    /// The CSV input does not fit the model (`amber_estimators::csv`'s rules: a missing
    /// column, a bad cell, a ragged line, ...); the code is the reader's (`E_INPUT`, or
    /// `E_IO` when reading fails).
    #[error("{}: {source}", path.display())]
    Table {
        /// The input.
        path: PathBuf,
        /// What the reader refused.
        source: EstimatorError,
    },
    /// A transform's output holds strings, which a float or label `.npy` cannot: `E_INPUT`.
    #[error("{}: the output holds strings beside numbers (a table), which .npy cannot hold; write it as CSV (--output OUT.csv)", path.display())]
    NpyTable {
        /// The requested output.
        path: PathBuf,
    },
    /// A CSV cell is not a number: `E_INPUT`.
    #[error("{}: line {line}, column {column}{}: cannot parse {value:?} as a number", path.display(), name.as_ref().map(|n| format!(" ({n:?})")).unwrap_or_default())]
    Cell {
        /// The input.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// 1-based column number.
        column: usize,
        /// The column's header name, if there is a header.
        name: Option<String>,
        /// The cell.
        value: String,
    },
}

fn rank_hint(shape: &[usize]) -> String {
    match shape {
        [n] => format!(
            "; reshape it to (1, {n}) for one sample or ({n}, 1) for one feature, as scikit-learn requires"
        ),
        _ => String::new(),
    }
}

fn columns_message(missing: &[String], extra: &[String]) -> String {
    let list = |v: &[String]| {
        v.iter()
            .map(|s| format!("{s:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match (missing.is_empty(), extra.is_empty()) {
        (false, false) => format!("missing {}; unexpected {}", list(missing), list(extra)),
        (false, true) => format!("missing {}", list(missing)),
        (true, _) => format!("unexpected {}", list(extra)),
    }
}

impl CliError {
    /// The spec's code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Io { .. } => "E_IO",
            Self::Npy { .. }
            | Self::NpyStrings { .. }
            | Self::Rank { .. }
            | Self::Csv { .. }
            | Self::Columns { .. }
            | Self::DuplicateColumn { .. }
            | Self::FeatureCount { .. }
            | Self::FieldCount { .. }
            | Self::NpyTable { .. }
            | Self::RowsNotFirst { .. }
            | Self::Cell { .. } => "E_INPUT",
            Self::Table { source, .. } => source.code(),
        }
    }

    /// An `E_IO` failure on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
}

/// The spec code of an error: the first coded error in its chain. Every error the commands
/// return is coded; an uncoded one can only be an I/O error from a library, hence `E_IO`.
pub fn code_of(error: &anyhow::Error) -> &'static str {
    error
        .chain()
        .find_map(|e| {
            e.downcast_ref::<CliError>()
                .map(CliError::code)
                .or_else(|| e.downcast_ref::<EstimatorError>().map(EstimatorError::code))
                .or_else(|| e.downcast_ref::<CodecError>().map(CodecError::code))
        })
        .unwrap_or("E_IO")
}

/// `<CODE>: <message>`, the message without the code its own text may already start with.
pub fn describe(error: &anyhow::Error) -> String {
    let code = code_of(error);
    // The chain, `context: cause: cause`, skipping a cause whose text its parent's message
    // already includes (thiserror messages often embed their source).
    let mut text = String::new();
    for cause in error.chain() {
        let message = cause.to_string();
        let message = message.replace(&format!("{code}: "), "");
        if text.contains(&message) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&message);
    }
    format!("{code}: {text}")
}

/// Whether the error is a closed stdout (`amber ... | head`), which is not worth a message.
pub fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_come_from_the_chain_and_are_not_repeated() {
        let e = anyhow::Error::new(EstimatorError::Input {
            expected: 3,
            found: 2,
        });
        assert_eq!(
            describe(&e),
            "E_INPUT: the model expects 3 features, the input has 2"
        );
        let e = anyhow::Error::new(CodecError::Truncated {
            expected: 64,
            found: 3,
        })
        .context("reading m.amber");
        assert_eq!(code_of(&e), "E_TRUNCATED");
        assert_eq!(
            describe(&e),
            "E_TRUNCATED: reading m.amber: file is 3 bytes, expected at least 64"
        );
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "gone");
        let e = anyhow::Error::new(CliError::io("x.npy", io));
        assert_eq!(describe(&e), "E_IO: x.npy: gone");
        let e = anyhow::Error::new(CliError::Columns {
            path: "x.csv".into(),
            missing: vec!["a".into()],
            extra: vec!["b".into(), "c".into()],
        });
        assert_eq!(
            describe(&e),
            r#"E_INPUT: x.csv: the header does not match the model's feature names: missing "a"; unexpected "b", "c""#
        );
    }

    #[test]
    fn one_dimensional_input_gets_a_reshape_hint() {
        let e = CliError::Rank {
            path: "x.npy".into(),
            shape: vec![4],
        };
        assert!(e.to_string().contains("reshape it to (1, 4)"), "{e}");
    }
}
