//! The corpus layout of `tests/vectors/` (see `tests/vectors/README.md`): discovery and the
//! per-case JSON descriptions.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::array::Array;
use crate::compare::Tolerance;
use crate::error::{ConformanceError, Result};
use crate::npy;

/// `valid/<case>/case.json`. Paths are relative to the case directory. Unknown fields are
/// ignored, so the corpus can grow without breaking older runners.
#[derive(Clone, Debug, Deserialize)]
pub struct CaseJson {
    /// The case's name (normally its directory name).
    pub name: String,
    /// What the case covers.
    #[serde(default)]
    pub description: String,
    /// The producing class, e.g. `sklearn.linear_model.LogisticRegression`.
    #[serde(default)]
    pub producer_type: String,
    /// The training library.
    #[serde(default)]
    pub library: String,
    /// Its version.
    #[serde(default)]
    pub library_version: String,
    /// The file's format version, e.g. `"1.0"`.
    #[serde(default)]
    pub format_version: String,
    /// The model file.
    pub model: String,
    /// The input, a 2-D `.npy` array; `null` for an input holding strings, which only
    /// `input_csv` holds.
    #[serde(default)]
    pub input: Option<String>,
    /// The same input as CSV (header row: the column names, in a shuffled order), when the
    /// case has one; the only input of a case whose input holds strings.
    #[serde(default)]
    pub input_csv: Option<String>,
    /// Expected outputs by method name (`predict`, `predict_proba`, ...), in name order.
    pub methods: BTreeMap<String, MethodJson>,
}

/// Where a method's expected output is: one file, or one file per model output.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum ExpectedPaths {
    /// One array (`"expected": "expected/predict.npy"`).
    One(String),
    /// One array per output of a multi-output model, in output order
    /// (`"expected": ["expected/predict_proba.0.npy", "expected/predict_proba.1.npy"]`):
    /// `predict_proba` of a multi-output classifier, which scikit-learn returns as a list.
    PerOutput(Vec<String>),
}

/// One method's expected output.
#[derive(Clone, Debug, Deserialize)]
pub struct MethodJson {
    /// `.npy` (`f64` or `i64`) or `.json` (an array of strings); or a list of them, one per
    /// model output.
    pub expected: ExpectedPaths,
    /// Bitwise equality required.
    pub exact: bool,
    /// Relative tolerance when not exact (0 when absent).
    #[serde(default)]
    pub rtol: f64,
    /// Absolute tolerance when not exact (0 when absent).
    #[serde(default)]
    pub atol: f64,
}

impl MethodJson {
    /// The comparison rule this entry asks for.
    #[must_use]
    pub fn tolerance(&self) -> Tolerance {
        if self.exact {
            Tolerance::Exact
        } else {
            Tolerance::Close {
                rtol: self.rtol,
                atol: self.atol,
            }
        }
    }
}

/// `invalid/<name>.json`.
#[derive(Clone, Debug, Deserialize)]
pub struct InvalidJson {
    /// The error code a reader must report, e.g. `E_TRUNCATED`.
    pub code: String,
    /// What is wrong with the file.
    #[serde(default)]
    pub description: String,
}

/// A valid case: its directory and (if it parsed) its description.
#[derive(Debug)]
pub struct ValidCase {
    /// The directory name, used in report lines.
    pub name: String,
    /// `valid/<name>/`, absolute.
    pub dir: PathBuf,
    /// The parsed `case.json`, or why it could not be read.
    pub case: Result<CaseJson>,
}

impl ValidCase {
    /// A path of the case, relative to its directory, made absolute.
    #[must_use]
    pub fn path(&self, relative: &str) -> PathBuf {
        self.dir.join(relative)
    }
}

/// An invalid file and the code it must be rejected with.
#[derive(Debug)]
pub struct InvalidCase {
    /// The file stem, reported as `invalid/<name>`.
    pub name: String,
    /// `invalid/<name>.amber`, absolute.
    pub model: PathBuf,
    /// The parsed `invalid/<name>.json`, or why it could not be read.
    pub expected: Result<InvalidJson>,
}

/// Every case of a corpus directory, in name order.
#[derive(Debug)]
pub struct Corpus {
    /// The corpus root, absolute.
    pub root: PathBuf,
    /// `valid/*/`.
    pub valid: Vec<ValidCase>,
    /// `invalid/*.amber`.
    pub invalid: Vec<InvalidCase>,
}

impl Corpus {
    /// Lists the cases under `root`. A missing `valid/` or `invalid/` directory holds no cases;
    /// a missing `root` is an error. Individual case files are parsed here but their errors
    /// are kept per case, so one broken case fails alone.
    ///
    /// # Errors
    /// [`ConformanceError::Io`] when `root` or one of its directories cannot be listed.
    pub fn load(root: &Path) -> Result<Self> {
        let root = std::path::absolute(root).map_err(|e| ConformanceError::io(root, e))?;
        if !root.is_dir() {
            return Err(ConformanceError::io(
                &root,
                std::io::Error::new(std::io::ErrorKind::NotFound, "not a directory"),
            ));
        }
        let valid = list(&root.join("valid"))?
            .into_iter()
            .filter(|p| p.is_dir())
            .map(|dir| {
                let case = read_json::<CaseJson>(&dir.join("case.json"));
                ValidCase {
                    name: file_name(&dir),
                    dir,
                    case,
                }
            })
            .collect();
        let invalid = list(&root.join("invalid"))?
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "amber"))
            .map(|model| InvalidCase {
                name: model
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                expected: read_json::<InvalidJson>(&model.with_extension("json")),
                model,
            })
            .collect();
        Ok(Self {
            root,
            valid,
            invalid,
        })
    }
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The entries of `dir`, sorted; none if it does not exist.
fn list(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(ConformanceError::io(dir, e)),
    };
    let mut paths = entries
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<Vec<_>>>()
        .map_err(|e| ConformanceError::io(dir, e))?;
    paths.sort();
    Ok(paths)
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T> {
    let text = std::fs::read_to_string(path).map_err(|e| ConformanceError::io(path, e))?;
    serde_json::from_str(&text).map_err(|source| ConformanceError::Json {
        path: path.to_owned(),
        source,
    })
}

/// Reads an output or expected-output file: `.npy` (any dtype [`npy::read`] accepts) or
/// `.json` (an array of strings or numbers, nested for more than one dimension).
///
/// # Errors
/// [`ConformanceError`] when the file cannot be read or parsed.
pub fn read_array(path: &Path) -> Result<Array> {
    let bytes = std::fs::read(path).map_err(|e| ConformanceError::io(path, e))?;
    if path.extension().is_some_and(|e| e == "json") {
        let value: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|source| ConformanceError::Json {
                path: path.to_owned(),
                source,
            })?;
        json_to_array(&value).ok_or_else(|| ConformanceError::Format {
            path: path.to_owned(),
            reason: "expected a (nested) JSON array of strings or of numbers, rectangular"
                .to_owned(),
        })
    } else {
        npy::read(&bytes).map_err(|source| ConformanceError::Npy {
            path: path.to_owned(),
            source,
        })
    }
}

/// Writes `array` in the format the extension of `path` names: `.json` (a nested array of
/// strings or numbers; non-finite floats as `null`) or anything else as `.npy`.
///
/// # Errors
/// [`ConformanceError::Io`] when the file cannot be written.
pub fn write_array(path: &Path, array: &Array) -> Result<()> {
    let bytes = if path.extension().is_some_and(|e| e == "json") {
        let value = array_to_json(array);
        // Serialising a `serde_json::Value` cannot fail.
        serde_json::to_vec(&value).unwrap_or_default()
    } else {
        npy::write(array)
    };
    std::fs::write(path, bytes).map_err(|e| ConformanceError::io(path, e))
}

fn array_to_json(array: &Array) -> serde_json::Value {
    use serde_json::Value;
    let flat: Vec<Value> = match array {
        Array::Float(a) => a.iter().map(|&x| Value::from(x)).collect(),
        Array::Int(a) => a.iter().map(|&x| Value::from(x)).collect(),
        Array::Str(a) => a.iter().map(|s| Value::from(s.as_str())).collect(),
        Array::Table { table, shape } => (0..shape[0])
            .flat_map(|i| (0..shape[1]).map(move |j| (i, j)))
            .map(|(i, j)| match table.column(j) {
                Some(amber_estimators::Column::Numeric(v)) => {
                    v.get(i).map_or(Value::Null, |&x| Value::from(x))
                }
                Some(amber_estimators::Column::Text(t)) => {
                    t.get(i).map_or(Value::Null, Value::from)
                }
                None => Value::Null,
            })
            .collect(),
    };
    nest(&mut flat.into_iter(), array.shape())
}

fn nest(items: &mut impl Iterator<Item = serde_json::Value>, shape: &[usize]) -> serde_json::Value {
    match shape.split_first() {
        None => items.next().unwrap_or(serde_json::Value::Null),
        Some((&n, rest)) => serde_json::Value::Array((0..n).map(|_| nest(items, rest)).collect()),
    }
}

fn json_to_array(value: &serde_json::Value) -> Option<Array> {
    use serde_json::Value;
    // The shape is read along the first element of each level, then every leaf is checked
    // to sit at exactly that depth, so a ragged array is refused.
    let mut shape = Vec::new();
    let mut probe = value;
    while let Value::Array(items) = probe {
        shape.push(items.len());
        match items.first() {
            Some(first) => probe = first,
            None => break,
        }
    }
    let mut leaves = Vec::new();
    collect_leaves(value, &shape, &mut leaves)?;
    let dim = ndarray::IxDyn(&shape);
    if leaves.iter().all(|v| v.is_string()) {
        let values = leaves
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect();
        return ndarray::ArrayD::from_shape_vec(dim, values)
            .ok()
            .map(Array::Str);
    }
    if leaves.iter().all(|v| v.is_i64()) {
        let values = leaves.iter().filter_map(|v| v.as_i64()).collect();
        return ndarray::ArrayD::from_shape_vec(dim, values)
            .ok()
            .map(Array::Int);
    }
    let values = leaves
        .iter()
        .map(|v| {
            if v.is_null() {
                Some(f64::NAN)
            } else {
                v.as_f64()
            }
        })
        .collect::<Option<Vec<_>>>()?;
    ndarray::ArrayD::from_shape_vec(dim, values)
        .ok()
        .map(Array::Float)
}

fn collect_leaves<'a>(
    value: &'a serde_json::Value,
    shape: &[usize],
    out: &mut Vec<&'a serde_json::Value>,
) -> Option<()> {
    match (value, shape.split_first()) {
        (serde_json::Value::Array(items), Some((&n, rest))) if items.len() == n => {
            items.iter().try_for_each(|v| collect_leaves(v, rest, out))
        }
        (serde_json::Value::Array(_), _) | (_, Some(_)) => None,
        (leaf, None) => {
            out.push(leaf);
            Some(())
        }
    }
}

#[cfg(test)]
mod tests {
    use ndarray::{arr1, arr2};

    use super::*;

    #[test]
    fn json_arrays_round_trip() {
        let arrays = [
            Array::Str(arr1(&["a".to_owned(), "b".to_owned()]).into_dyn()),
            Array::Str(arr2(&[["x".to_owned()], ["y".to_owned()]]).into_dyn()),
            Array::Int(arr1(&[1, -2]).into_dyn()),
            Array::Float(arr2(&[[0.5, 1e-300]]).into_dyn()),
        ];
        for a in arrays {
            assert_eq!(json_to_array(&array_to_json(&a)), Some(a));
        }
        assert_eq!(json_to_array(&serde_json::json!([[1], [2, 3]])), None);
        assert_eq!(json_to_array(&serde_json::json!(["a", 1])), None);
        assert_eq!(
            json_to_array(&serde_json::json!([[], []])).map(|a| a.shape().to_vec()),
            Some(vec![2, 0])
        );
    }

    #[test]
    fn expected_may_list_one_path_per_output() {
        let m: MethodJson = serde_json::from_str(
            r#"{"expected": ["expected/predict_proba.0.npy", "expected/predict_proba.1.npy"],
                "exact": true}"#,
        )
        .unwrap();
        assert_eq!(
            m.expected,
            ExpectedPaths::PerOutput(vec![
                "expected/predict_proba.0.npy".into(),
                "expected/predict_proba.1.npy".into()
            ])
        );
    }

    #[test]
    fn case_json_parses_with_defaults() {
        let case: CaseJson = serde_json::from_str(
            r#"{"name": "c", "model": "model.amber", "input": "input.npy", "future_field": 1,
                "methods": {"predict": {"expected": "expected/predict.npy", "exact": true},
                            "predict_proba": {"expected": "p.npy", "exact": false, "rtol": 1e-12}}}"#,
        )
        .unwrap();
        assert_eq!(case.input_csv, None);
        assert_eq!(
            case.methods.keys().collect::<Vec<_>>(),
            ["predict", "predict_proba"]
        );
        assert_eq!(case.methods["predict"].tolerance(), Tolerance::Exact);
        assert_eq!(
            case.methods["predict"].expected,
            ExpectedPaths::One("expected/predict.npy".into())
        );
        assert_eq!(
            case.methods["predict_proba"].tolerance(),
            Tolerance::Close {
                rtol: 1e-12,
                atol: 0.0
            }
        );
    }
}
