//! Reading `amber predict`'s input: a 2-D `.npy` array or a CSV file.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use amber_conformance::Array;
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
        Array::Str(_) => {
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

/// Parses one CSV cell: surrounding spaces are ignored, an empty cell is NaN, and anything
/// Rust's `f64` parser accepts is a number (`1`, `-2.5e-3`, `nan`, `NaN`, `inf`, `-Infinity`).
fn parse_cell(cell: &str) -> Option<f64> {
    let cell = cell.trim();
    if cell.is_empty() {
        Some(f64::NAN)
    } else {
        cell.parse().ok()
    }
}

/// Reads a CSV file as a float matrix, with the columns in the model's feature order.
///
/// - If any cell of the first line is not a number, that line is a header.
/// - With a header and a model fitted with feature names, columns are matched by name, in
///   any order; a missing or an extra column is an error naming them.
/// - With a header and a model without names, or without a header, columns are taken in
///   order and only their count is checked.
/// - Every line must have as many fields as the first; empty cells and `nan` are NaN.
///
/// # Errors
/// `E_IO` when the file cannot be read; `E_INPUT` for everything the rules above refuse.
pub fn read_csv(path: &Path, expect: &Expect<'_>) -> Result<Array2<f64>, CliError> {
    let file = std::fs::File::open(path).map_err(|e| CliError::io(path, e))?;
    read_csv_from(path, file, expect)
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
    let csv_error = |source| CliError::Csv {
        path: path.to_owned(),
        source,
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(source);
    let mut records = reader.records();
    let Some(first) = records.next().transpose().map_err(csv_error)? else {
        // An empty file: no samples.
        return Ok(Array2::zeros((0, expect.n_features)));
    };
    let width = first.len();
    let header: Option<Vec<String>> = if first.iter().all(|c| parse_cell(c).is_some()) {
        None
    } else {
        Some(first.iter().map(|c| c.trim().to_owned()).collect())
    };
    // For each model feature, the CSV column that holds it.
    let order: Vec<usize> = match (&header, expect.names) {
        (Some(header), Some(names)) => match_columns(path, header, names)?,
        (header, _) => {
            if width != expect.n_features {
                let what = match (header, first.position()) {
                    (Some(_), _) => "the header".to_owned(),
                    (None, Some(p)) => format!("line {}", p.line()),
                    (None, None) => "the first line".to_owned(),
                };
                return Err(CliError::FeatureCount {
                    path: path.to_owned(),
                    what,
                    found: width,
                    expected: expect.n_features,
                });
            }
            (0..width).collect()
        }
    };
    let mut values = Vec::new();
    let mut rows = 0usize;
    let data = header
        .is_none()
        .then_some(Ok(first))
        .into_iter()
        .chain(records);
    for record in data {
        let record = record.map_err(csv_error)?;
        let line = record.position().map_or(0, csv::Position::line);
        if record.len() != width {
            return Err(CliError::FieldCount {
                path: path.to_owned(),
                line,
                found: record.len(),
                expected: width,
            });
        }
        for &column in &order {
            let cell = record.get(column).unwrap_or_default();
            let value = parse_cell(cell).ok_or_else(|| CliError::Cell {
                path: path.to_owned(),
                line,
                column: column + 1,
                name: header.as_ref().and_then(|h| h.get(column).cloned()),
                value: cell.to_owned(),
            })?;
            values.push(value);
        }
        rows += 1;
    }
    // `values` holds `rows * order.len()` numbers by construction.
    Array2::from_shape_vec((rows, order.len()), values).map_err(|_| CliError::FeatureCount {
        path: path.to_owned(),
        what: "the input".to_owned(),
        found: order.len(),
        expected: expect.n_features,
    })
}

/// For each feature name, the index of the header column with that name.
fn match_columns(path: &Path, header: &[String], names: &[String]) -> Result<Vec<usize>, CliError> {
    let mut index = HashMap::with_capacity(header.len());
    for (i, name) in header.iter().enumerate() {
        if index.insert(name.as_str(), i).is_some() {
            return Err(CliError::DuplicateColumn {
                path: path.to_owned(),
                name: name.clone(),
            });
        }
    }
    let missing: Vec<String> = names
        .iter()
        .filter(|n| !index.contains_key(n.as_str()))
        .cloned()
        .collect();
    let extra: Vec<String> = header
        .iter()
        .filter(|h| !names.contains(h))
        .cloned()
        .collect();
    if !missing.is_empty() || !extra.is_empty() {
        return Err(CliError::Columns {
            path: path.to_owned(),
            missing,
            extra,
        });
    }
    Ok(names
        .iter()
        .filter_map(|n| index.get(n.as_str()).copied())
        .collect())
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
            "x.csv: the header has 3 columns, the model expects 2 features"
        );
    }

    #[test]
    fn missing_and_extra_columns_are_named() {
        let e = csv("a,c,d\n1,2,3\n", 2, Some(&["a", "b"])).unwrap_err();
        assert!(e.contains(r#"missing "b"; unexpected "c", "d""#), "{e}");
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
        assert_eq!(
            e,
            r#"x.csv: line 3, column 2 ("b"): cannot parse "x" as a number"#
        );
        let e = csv("1,2\n3\n", 2, None).unwrap_err();
        assert_eq!(e, "x.csv: line 2 has 1 fields, expected 2");
        let e = csv("1,2,3\n", 2, None).unwrap_err();
        assert_eq!(
            e,
            "x.csv: line 1 has 3 columns, the model expects 2 features"
        );
    }

    #[test]
    fn empty_inputs_have_no_rows() {
        assert_eq!(csv("", 3, None).unwrap().shape(), &[0, 3]);
        assert_eq!(csv("a,b\n", 2, Some(&["a", "b"])).unwrap().shape(), &[0, 2]);
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
