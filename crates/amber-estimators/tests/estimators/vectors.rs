//! The conformance corpus, `tests/vectors/` (see its README): every valid case through
//! `Model`, every method compared with what scikit-learn computed, and every invalid file
//! rejected with its code.

use std::fs;
use std::path::{Path, PathBuf};

use amber_estimators::{Input, Method, Model, Prediction};
use ndarray::{Array2, ArrayD};
use ndarray_npy::ReadNpyExt;
use serde_json::Value;

fn corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("no corpus at {}: skipped", dir.display());
        None
    }
}

/// Sub-directories (or files with `ext`) of `dir`, sorted, so failures list in a stable order.
fn entries(dir: &Path, ext: Option<&str>) -> Vec<PathBuf> {
    let Ok(read) = fs::read_dir(dir) else {
        return vec![];
    };
    let mut out: Vec<PathBuf> = read
        .map(|e| e.unwrap().path())
        .filter(|p| match ext {
            None => p.is_dir(),
            Some(ext) => p.extension().is_some_and(|e| e == ext),
        })
        .collect();
    out.sort();
    out
}

fn json(path: &Path) -> Value {
    serde_json::from_slice(&fs::read(path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

enum Expected {
    Float(ArrayD<f64>),
    Int(ArrayD<i64>),
    Str(ArrayD<String>),
}

fn expected(path: &Path) -> Expected {
    let bytes = fs::read(path).unwrap();
    if path.extension().is_some_and(|e| e == "json") {
        // A list of labels, or a list of rows of labels (multi-output).
        let v: Value = serde_json::from_slice(&bytes).unwrap();
        let rows = v.as_array().unwrap();
        let nested = rows.first().is_some_and(Value::is_array);
        let mut shape = vec![rows.len()];
        let mut flat = vec![];
        for row in rows {
            match row {
                Value::Array(items) => {
                    flat.extend(items.iter().map(|s| s.as_str().unwrap().to_owned()));
                    if shape.len() == 1 {
                        shape.push(items.len());
                    }
                }
                s => flat.push(s.as_str().unwrap().to_owned()),
            }
        }
        assert!(!nested || shape.len() == 2);
        return Expected::Str(ArrayD::from_shape_vec(shape, flat).unwrap());
    }
    if let Ok(a) = ArrayD::<f64>::read_npy(&bytes[..]) {
        return Expected::Float(a);
    }
    Expected::Int(
        ArrayD::<i64>::read_npy(&bytes[..])
            .unwrap_or_else(|e| panic!("{}: neither f64 nor i64: {e}", path.display())),
    )
}

/// numpy's `allclose` rule, NaN equal to NaN; `exact` compares bits (up to NaN payloads).
fn float_mismatch(got: &ArrayD<f64>, want: &ArrayD<f64>, spec: &Value) -> Option<String> {
    if got.shape() != want.shape() {
        return Some(format!(
            "shape {:?}, expected {:?}",
            got.shape(),
            want.shape()
        ));
    }
    let exact = spec["exact"].as_bool().unwrap_or(false);
    let rtol = spec["rtol"].as_f64().unwrap_or(0.0);
    let atol = spec["atol"].as_f64().unwrap_or(0.0);
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        let ok = if g.is_nan() || w.is_nan() {
            g.is_nan() && w.is_nan()
        } else if exact {
            g.to_bits() == w.to_bits()
        } else {
            (g - w).abs() <= atol + rtol * w.abs()
        };
        if !ok {
            return Some(format!(
                "element {i}: {g:e}, expected {w:e} (exact {exact}, rtol {rtol}, atol {atol})"
            ));
        }
    }
    None
}

fn compare(got: Prediction, want: Expected, spec: &Value) -> Option<String> {
    match (got, want) {
        (Prediction::Float(g), Expected::Float(w)) => float_mismatch(&g, &w, spec),
        (Prediction::Int(g), Expected::Int(w)) => {
            (g != w).then(|| format!("labels {g}, expected {w}"))
        }
        (Prediction::Str(g), Expected::Str(w)) => {
            (g != w).then(|| format!("labels {g}, expected {w}"))
        }
        (g, _) => Some(format!("output of the wrong type: {g:?}")),
    }
}

#[test]
fn every_valid_vector_matches_scikit_learn() {
    let Some(root) = corpus() else { return };
    let cases = entries(&root.join("valid"), None);
    let mut failures = vec![];
    let mut checked = 0;
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let meta = json(&case.join("case.json"));
        let model = match Model::open(case.join(meta["model"].as_str().unwrap())) {
            Ok(m) => m,
            Err(e) => {
                failures.push(format!("{name}: {e}"));
                continue;
            }
        };
        // A case whose input holds strings has input.csv only: read by the model's schema.
        let (dense, table) = match meta["input"].as_str() {
            Some(input) => (
                Some(Array2::<f64>::read_npy(fs::File::open(case.join(input)).unwrap()).unwrap()),
                None,
            ),
            None => {
                let csv = fs::File::open(case.join(meta["input_csv"].as_str().unwrap())).unwrap();
                let columns = model.input_columns().unwrap();
                let table = amber_estimators::csv::read_table(csv, &columns);
                (None, Some(table.unwrap()))
            }
        };
        let x: Input<'_> = match (&dense, &table) {
            (Some(d), _) => Input::from(d),
            (_, Some(t)) => Input::from(t),
            _ => unreachable!("one of the two is read above"),
        };
        let methods = meta["methods"].as_object().unwrap();
        let listed: Vec<Method> = Method::ALL
            .into_iter()
            .filter(|m| methods.contains_key(m.as_str()))
            .collect();
        if model.methods() != listed {
            failures.push(format!(
                "{name}: methods {:?}, scikit-learn has {listed:?}",
                model.methods()
            ));
        }
        for (method, spec) in methods {
            let method: Method = method.parse().unwrap();
            let outcome = match &spec["expected"] {
                // One expected array per output: multi-output predict_proba.
                Value::Array(paths) => match model.predict_proba_multi(x) {
                    Ok(got) if got.len() != paths.len() => {
                        Some(format!("{} outputs, expected {}", got.len(), paths.len()))
                    }
                    Ok(got) => got
                        .into_iter()
                        .zip(paths)
                        .enumerate()
                        .find_map(|(o, (g, p))| {
                            let want = expected(&case.join(p.as_str().unwrap()));
                            compare(Prediction::Float(g.into_dyn()), want, spec)
                                .map(|why| format!("output {o}: {why}"))
                        }),
                    Err(e) => Some(e.to_string()),
                },
                path => {
                    let want = expected(&case.join(path.as_str().unwrap()));
                    match model.run(method, x) {
                        Ok(got) => compare(got, want, spec),
                        Err(e) => Some(e.to_string()),
                    }
                }
            };
            match outcome {
                Some(why) => failures.push(format!("{name}.{method}: {why}")),
                None => checked += 1,
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!("{checked} outputs of {} valid cases match", cases.len());
}

#[test]
fn every_invalid_vector_is_rejected_with_its_code() {
    let Some(root) = corpus() else { return };
    let mut failures = vec![];
    let files = entries(&root.join("invalid"), Some("amber"));
    for file in &files {
        let meta = json(&file.with_extension("json"));
        let want = meta["code"].as_str().unwrap();
        match Model::open(file) {
            Ok(_) => failures.push(format!("{}: loaded, expected {want}", file.display())),
            Err(e) if e.code() != want => {
                failures.push(format!("{}: {e}, expected {want}", file.display()));
            }
            Err(_) => {}
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!("{} invalid files rejected with their codes", files.len());
}
