//! Reading `amber predict`'s input: a 2-D `.npy` array, or a CSV file streamed in batches
//! (`amber_estimators::csv`).

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use amber_codec::CodecError;
use amber_conformance::Array;
use amber_estimators::csv::{CsvOptions, ExtraColumns, TableReader};
use amber_estimators::{ColumnKind, EstimatorError};
use ndarray::{Array2, Ix2};

use crate::error::CliError;

/// What the model says about its input, to check and order the columns.
#[derive(Debug)]
pub struct Expect<'a> {
    /// `n_features_in`.
    pub n_features: usize,
    /// Feature names, when the model was fitted with them.
    pub names: Option<&'a [String]>,
}

/// Reads the `.npy` at `path` as a float matrix. `f8` is used as is; `f4` and integer or
/// boolean dtypes are converted to `f64` (exactly, but for integers beyond 2^53).
///
/// # Errors
/// `E_IO` when the file cannot be read; `E_INPUT` when it is not a numeric 2-D array.
pub fn read_npy(path: &Path) -> Result<Array2<f64>, CliError> {
    let bytes = std::fs::read(path).map_err(|e| CliError::io(path, e))?;
    npy_from_bytes(path, &bytes)
}

/// Parses `.npy` bytes as a float matrix, by the rules of [`read_npy`]; `path` only names the
/// input in errors.
///
/// # Errors
/// `E_INPUT` when the bytes are not a numeric 2-D array.
pub fn npy_from_bytes(path: &Path, bytes: &[u8]) -> Result<Array2<f64>, CliError> {
    let array = amber_conformance::npy::read(bytes).map_err(|source| CliError::Npy {
        path: path.to_owned(),
        source,
    })?;
    let x = match array {
        Array::Float(x) => x,
        Array::Int(x) => x.mapv(|v| v as f64),
        Array::Str(_) | Array::Table { .. } => {
            return Err(CliError::NpyStrings {
                path: path.to_owned(),
            });
        }
    };
    let shape = x.shape().to_vec();
    x.into_dimensionality::<Ix2>().map_err(|_| CliError::Rank {
        path: path.to_owned(),
        shape,
    })
}

/// Opens a CSV input for streaming: the header (or first line) read and matched to the
/// model's input `columns` by `amber_estimators::csv`'s rules, with `options`' batch size,
/// delimiter and header rule (`amber predict --batch-rows`, `--delimiter`, `--header`,
/// `--no-header`). A model whose every column is numeric refuses columns it does not read
/// (as scikit-learn's estimators do); others ignore them (as `ColumnTransformer` does).
///
/// # Errors
/// `E_IO` when the file cannot be read; `E_INPUT` when it has no line or its first line does
/// not fit the model.
pub fn open_csv(
    path: &Path,
    columns: &[(String, ColumnKind)],
    options: CsvOptions,
) -> Result<TableReader<BufReader<File>>, CliError> {
    let file = File::open(path).map_err(|e| CliError::io(path, e))?;
    open_csv_from(
        path,
        BufReader::with_capacity(1 << 20, file),
        columns,
        options,
    )
}

/// [`open_csv`] over any source; `path` only names the input in errors.
///
/// # Errors
/// As [`open_csv`].
pub fn open_csv_from<R: Read>(
    path: &Path,
    source: R,
    columns: &[(String, ColumnKind)],
    options: CsvOptions,
) -> Result<TableReader<R>, CliError> {
    let extra = if columns.iter().all(|(_, k)| *k == ColumnKind::Numeric) {
        ExtraColumns::Refuse
    } else {
        ExtraColumns::Ignore
    };
    options
        .extra_columns(extra)
        .open(source, columns)
        .map_err(|e| table_error(path, e))
}

/// A CSV reader's error, on `path`: an I/O failure is `E_IO` on the file, the rest `E_INPUT`.
pub fn table_error(path: &Path, error: EstimatorError) -> CliError {
    match error {
        EstimatorError::Codec(CodecError::Io { source, .. }) => CliError::io(path, source),
        source => CliError::Table {
            path: path.to_owned(),
            source,
        },
    }
}

/// The model's input columns as [`Expect`] describes them: named when it has names, all
/// numeric.
fn columns_of(expect: &Expect<'_>) -> Vec<(String, ColumnKind)> {
    match expect.names {
        Some(names) => names
            .iter()
            .map(|n| (n.clone(), ColumnKind::Numeric))
            .collect(),
        None => vec![(String::new(), ColumnKind::Numeric); expect.n_features],
    }
}

/// Reads a CSV file as a float matrix, with the columns in the model's feature order, by
/// the rules of `amber_estimators::csv` (default options) for a model whose columns are all
/// numeric:
///
/// - The first line is a header when it names the model's features or when one of its
///   cells is not a number; otherwise it is data.
/// - With a header and a model fitted with feature names, columns are matched by name
///   (exactly), in any order; a missing or an extra column is an error naming it.
/// - With a header and a model without names, or without a header, columns are taken in
///   order and only their count is checked.
/// - Every line must have as many fields as the first; empty cells, `nan`, `NA`, `null` and
///   pandas' other missing strings are NaN.
/// - A file without a data row is an error.
///
/// # Errors
/// `E_IO` when the file cannot be read; `E_INPUT` for everything the rules above refuse.
pub fn read_csv(path: &Path, expect: &Expect<'_>) -> Result<Array2<f64>, CliError> {
    let file = File::open(path).map_err(|e| CliError::io(path, e))?;
    read_csv_from(path, BufReader::new(file), expect)
}

/// Reads CSV text from `source` by the rules of [`read_csv`]; `path` only names the input in
/// errors.
///
/// # Errors
/// `E_INPUT` for everything [`read_csv`]'s rules refuse.
pub fn read_csv_from(
    path: &Path,
    source: impl Read,
    expect: &Expect<'_>,
) -> Result<Array2<f64>, CliError> {
    let columns = columns_of(expect);
    let reader = open_csv_from(
        path,
        source,
        &columns,
        CsvOptions::default().batch_rows(usize::MAX),
    )?;
    let table = reader.read_all().map_err(|e| table_error(path, e))?;
    table.to_dense().map_err(|e| table_error(path, e))
}

#[cfg(test)]
mod tests {
    use ndarray::arr2;

    use super::*;

    fn csv(text: &str, n: usize, names: Option<&[&str]>) -> Result<Array2<f64>, String> {
        let names: Option<Vec<String>> = names.map(|v| v.iter().map(|s| (*s).to_owned()).collect());
        let expect = Expect {
            n_features: n,
            names: names.as_deref(),
        };
        read_csv_from(Path::new("x.csv"), text.as_bytes(), &expect).map_err(|e| e.to_string())
    }

    fn same(a: &Array2<f64>, b: &Array2<f64>) -> bool {
        a.shape() == b.shape() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
    }

    #[test]
    fn no_header_takes_columns_in_order() {
        let x = csv("1,2\n3, 4e0\n", 2, Some(&["a", "b"])).unwrap();
        assert_eq!(x, arr2(&[[1.0, 2.0], [3.0, 4.0]]));
    }

    #[test]
    fn header_matches_names_in_any_order() {
        let x = csv("b,a\n2,1\n4,3\n", 2, Some(&["a", "b"])).unwrap();
        assert_eq!(x, arr2(&[[1.0, 2.0], [3.0, 4.0]]));
    }

    #[test]
    fn header_without_model_names_only_counts() {
        let x = csv("p,q\n1,2\n", 2, None).unwrap();
        assert_eq!(x, arr2(&[[1.0, 2.0]]));
        let e = csv("p,q,r\n1,2,3\n", 2, None).unwrap_err();
        assert_eq!(
            e,
            "x.csv: E_INPUT: the header has 3 columns, the model expects 2 features"
        );
    }

    #[test]
    fn missing_and_extra_columns_are_named() {
        let e = csv("a,c,d\n1,2,3\n", 2, Some(&["a", "b"])).unwrap_err();
        assert!(e.contains(r#"no column "b""#), "{e}");
        let e = csv("a,c,b,d\n1,2,3,4\n", 2, Some(&["a", "b"])).unwrap_err();
        assert!(e.contains(r#"unexpected "c", "d""#), "{e}");
        let e = csv("a,b,a\n1,2,3\n", 2, Some(&["a", "b"])).unwrap_err();
        assert!(e.contains(r#"column "a" appears more than once"#), "{e}");
    }

    #[test]
    fn empty_cells_and_nan_are_nan() {
        let x = csv("1,,nan\nNaN,inf,-2\n", 3, None).unwrap();
        let nan = f64::NAN;
        assert!(same(
            &x.mapv(|v| if v.is_nan() { nan } else { v }),
            &arr2(&[[1.0, nan, nan], [nan, f64::INFINITY, -2.0]])
        ));
    }

    #[test]
    fn bad_cells_and_ragged_lines_say_where() {
        let e = csv("a,b\n1,2\n3,x\n", 2, Some(&["a", "b"])).unwrap_err();
        assert!(
            e.starts_with(
                r#"x.csv: E_INPUT: row 1, column "b": "x": not a number (line 3, data row 2 counting from 1)"#
            ),
            "{e}"
        );
        let e = csv("1,2\n3\n", 2, None).unwrap_err();
        assert_eq!(e, "x.csv: E_INPUT: line 2 has 1 fields, expected 2");
        let e = csv("1,2,3\n", 2, None).unwrap_err();
        assert_eq!(
            e,
            "x.csv: E_INPUT: line 1 has 3 columns, the model expects 2 features"
        );
    }

    #[test]
    fn inputs_without_rows_are_refused() {
        for (text, names) in [("", None), ("a,b\n", Some(&["a", "b"][..]))] {
            let e = csv(text, 2, names).unwrap_err();
            assert!(e.contains("E_INPUT") && e.contains("no data rows"), "{e}");
        }
    }

    #[test]
    fn pandas_missing_strings_are_nan_and_a_header_of_the_names_is_a_header() {
        let x = csv("NA,null,N/A\n#N/A,None,\n", 3, None).unwrap();
        assert!(x.iter().all(|v| v.is_nan()) && x.nrows() == 2);
        let x = csv("2,1\n5,6\n", 2, Some(&["1", "2"])).unwrap();
        assert_eq!(x, arr2(&[[6.0, 5.0]]));
    }

    #[test]
    fn full_precision_survives() {
        let v = 0.1f64 + 0.2;
        let x = csv(
            &format!("{v},{}\n", amber_conformance::format_float(1e-300)),
            2,
            None,
        )
        .unwrap();
        assert_eq!(x[[0, 0]].to_bits(), v.to_bits());
        assert_eq!(x[[0, 1]].to_bits(), 1e-300f64.to_bits());
    }
}
