//! The runner end to end: over the shipped corpus, and over a small corpus built here whose
//! every outcome is known.

// Test code: clippy.toml allows these in #[test] functions but not in the helpers beside them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::path::Path;

use amber_codec::model::{Body, Estimator, Labels, Linear, LinearLink, Producer};
use amber_codec::{DType, TensorData, encode};
use amber_conformance::{Array, Corpus, InProcess, Outcome, npy, run};
use ndarray::{arr1, arr2};

fn vectors() -> Option<Corpus> {
    let corpus = Corpus::load(&amber_conformance::default_vectors_dir()).ok()?;
    (!corpus.valid.is_empty() || !corpus.invalid.is_empty()).then_some(corpus)
}

#[test]
fn shipped_corpus_passes_in_process() {
    let Some(corpus) = vectors() else {
        eprintln!("tests/vectors is empty or absent; nothing to run");
        return;
    };
    let mut failures = Vec::new();
    let summary = run(&corpus, &mut InProcess, &mut |o: &Outcome| {
        if !o.passed() {
            failures.push(o.to_string());
        }
    });
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(summary.passed > 0);
}

fn f64_bytes(v: &[f64]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// `y = 1*x0 + 2*x1 + 0.5`: every output is exact in binary floating point.
fn regression_file() -> Vec<u8> {
    let estimator = Estimator {
        producer_type: "sklearn.linear_model.LinearRegression".into(),
        params: vec![],
        attributes: vec![],
        n_features_in: 2,
        feature_names_in: vec![],
        body: Body::Linear(Linear {
            coef: "coef_".into(),
            intercept: Some("intercept_".into()),
            link: LinearLink::Identity,
            classes: None,
        }),
    };
    let coef = f64_bytes(&[1.0, 2.0]);
    let intercept = f64_bytes(&[0.5]);
    encode(
        &[],
        &Producer::default(),
        &estimator,
        &[
            TensorData {
                name: "coef_",
                dtype: DType::F64,
                shape: &[2],
                bytes: &coef,
            },
            TensorData {
                name: "intercept_",
                dtype: DType::F64,
                shape: &[],
                bytes: &intercept,
            },
        ],
    )
    .unwrap()
}

/// A binary classifier with string labels: score `x0 - x1`.
fn classifier_file() -> Vec<u8> {
    let estimator = Estimator {
        producer_type: "sklearn.linear_model.LogisticRegression".into(),
        params: vec![],
        attributes: vec![],
        n_features_in: 2,
        feature_names_in: vec![],
        body: Body::Linear(Linear {
            coef: "coef_".into(),
            intercept: None,
            link: LinearLink::Logistic,
            classes: Some(Labels::Str(vec!["cat".into(), "dog".into()])),
        }),
    };
    let coef = f64_bytes(&[1.0, -1.0]);
    encode(
        &[],
        &Producer::default(),
        &estimator,
        &[TensorData {
            name: "coef_",
            dtype: DType::F64,
            shape: &[1, 2],
            bytes: &coef,
        }],
    )
    .unwrap()
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// A corpus with 6 passing and 4 failing checks, each known.
fn synthetic_corpus() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let x = Array::Float(arr2(&[[1.0, 2.0], [3.0, -4.0], [0.25, 0.0]]).into_dyn());

    // A regression case: one exact method, one that is wrong on purpose.
    let reg = root.join("valid/regression");
    write(&reg.join("model.amber"), &regression_file());
    write(&reg.join("input.npy"), &npy::write(&x));
    write(
        &reg.join("expected/predict.npy"),
        &npy::write(&Array::Float(arr1(&[5.5, -4.5, 0.75]).into_dyn())),
    );
    write(
        &reg.join("case.json"),
        br#"{"name": "regression", "model": "model.amber", "input": "input.npy",
             "methods": {"predict": {"expected": "expected/predict.npy", "exact": true},
                         "transform": {"expected": "expected/predict.npy", "exact": true}}}"#,
    );

    // A classifier with string labels (.json) and a tolerance on probabilities.
    let clf = root.join("valid/strings");
    write(&clf.join("model.amber"), &classifier_file());
    write(&clf.join("input.npy"), &npy::write(&x));
    write(
        &clf.join("expected/predict.json"),
        br#"["cat", "dog", "dog"]"#,
    );
    let p1: Vec<f64> = [-1.0f64, 7.0, 0.25]
        .iter()
        .map(|s| 1.0 / (1.0 + (-s).exp()))
        .collect();
    let proba = arr2(&[
        [1.0 - p1[0], p1[0]],
        [1.0 - p1[1], p1[1]],
        [1.0 - p1[2], p1[2]],
    ]);
    write(
        &clf.join("expected/predict_proba.npy"),
        &npy::write(&Array::Float(proba.into_dyn())),
    );
    write(
        &clf.join("case.json"),
        br#"{"name": "strings", "model": "model.amber", "input": "input.npy", "input_csv": null,
             "methods": {"predict": {"expected": "expected/predict.json", "exact": true},
                         "predict_proba": {"expected": "expected/predict_proba.npy", "exact": false,
                                           "rtol": 1e-12, "atol": 1e-15}}}"#,
    );

    // A case.json without its required fields.
    write(
        &root.join("valid/broken/case.json"),
        br#"{"name": "broken"}"#,
    );

    // Invalid files: one stated right, one stated wrong, one that is in fact valid.
    let truncated = &regression_file()[..100];
    write(&root.join("invalid/truncated.amber"), truncated);
    write(
        &root.join("invalid/truncated.json"),
        br#"{"code": "E_TRUNCATED", "description": "cut"}"#,
    );
    write(&root.join("invalid/wrong_code.amber"), truncated);
    write(
        &root.join("invalid/wrong_code.json"),
        br#"{"code": "E_MAGIC"}"#,
    );
    write(&root.join("invalid/not_invalid.amber"), &regression_file());
    write(
        &root.join("invalid/not_invalid.json"),
        br#"{"code": "E_MODEL"}"#,
    );
    dir
}

#[test]
fn synthetic_corpus_gives_the_expected_report() {
    let dir = synthetic_corpus();
    let corpus = Corpus::load(dir.path()).unwrap();
    let mut lines = Vec::new();
    let summary = run(&corpus, &mut InProcess, &mut |o: &Outcome| {
        lines.push(o.to_string())
    });
    let lines: Vec<String> = lines
        .into_iter()
        .map(|l| match l.find(" (max abs diff") {
            Some(i) if l.starts_with("PASS") => l[..i].to_owned(),
            _ => l,
        })
        .collect();
    let short: Vec<&str> = lines
        .iter()
        .map(|l| l.split(": ").next().unwrap())
        .collect();
    assert_eq!(
        short,
        [
            "FAIL broken",
            "PASS regression predict",
            "FAIL regression transform",
            "PASS regression reencode",
            "PASS strings predict",
            "PASS strings predict_proba",
            "PASS strings reencode",
            "FAIL invalid/not_invalid",
            "PASS invalid/truncated E_TRUNCATED",
            "FAIL invalid/wrong_code",
        ],
        "{lines:#?}"
    );
    assert!(lines[2].contains("E_METHOD"), "{}", lines[2]);
    assert_eq!(
        lines[7],
        "FAIL invalid/not_invalid: expected E_MODEL, got ok"
    );
    assert!(
        lines[9].starts_with("FAIL invalid/wrong_code: expected E_MAGIC, got E_TRUNCATED"),
        "{}",
        lines[9]
    );
    assert_eq!(summary.to_string(), "6 passed, 4 failed");
}

#[test]
fn binary_prints_one_line_per_check_and_a_summary() {
    let bin = env!("CARGO_BIN_EXE_amber-conformance");
    let dir = synthetic_corpus();
    let out = std::process::Command::new(bin)
        .arg("--vectors")
        .arg(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 11, "{stdout}");
    assert_eq!(lines.last(), Some(&"6 passed, 4 failed"));
    assert!(
        lines[..10]
            .iter()
            .all(|l| l.starts_with("PASS ") || l.starts_with("FAIL "))
    );

    let empty = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(bin)
        .arg("--vectors")
        .arg(empty.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "0 passed, 0 failed\n"
    );

    let out = std::process::Command::new(bin)
        .args(["--vectors", "/nonexistent/vectors"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = std::process::Command::new(bin)
        .arg("--vectors")
        .arg(dir.path())
        .args(["--testee", "/nonexistent/testee --flag"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// A case whose input is only a CSV (`"input": null`, as for inputs holding strings) runs on
/// it, its columns matched to the model's by header name; a case with no input fails alone.
#[test]
fn csv_only_cases_run_on_input_csv_by_header_name() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    // y = 1*a + 2*b + 0.5, fitted with names: the CSV gives b before a.
    let mut named = amber_estimators::Model::from_bytes(regression_file())
        .unwrap()
        .manifest()
        .estimator
        .clone();
    named.feature_names_in = vec!["a".into(), "b".into()];
    let coef = f64_bytes(&[1.0, 2.0]);
    let intercept = f64_bytes(&[0.5]);
    let file = encode(
        &[],
        &Producer::default(),
        &named,
        &[
            TensorData {
                name: "coef_",
                dtype: DType::F64,
                shape: &[2],
                bytes: &coef,
            },
            TensorData {
                name: "intercept_",
                dtype: DType::F64,
                shape: &[],
                bytes: &intercept,
            },
        ],
    )
    .unwrap();
    let case = root.join("valid/csv_only");
    write(&case.join("model.amber"), &file);
    write(&case.join("input.csv"), b"b,a\n2,1\n-4,3\n0,0.25\n");
    write(
        &case.join("expected/predict.npy"),
        &npy::write(&Array::Float(arr1(&[5.5, -4.5, 0.75]).into_dyn())),
    );
    write(
        &case.join("case.json"),
        br#"{"name": "csv_only", "model": "model.amber", "input": null, "input_csv": "input.csv",
             "methods": {"predict": {"expected": "expected/predict.npy", "exact": true}}}"#,
    );
    let none = root.join("valid/no_input");
    write(&none.join("model.amber"), &file);
    write(
        &none.join("case.json"),
        br#"{"name": "no_input", "model": "model.amber", "input": null,
             "methods": {"predict": {"expected": "expected/predict.npy", "exact": true}}}"#,
    );
    let corpus = Corpus::load(root).unwrap();
    let mut lines = Vec::new();
    run(&corpus, &mut InProcess, &mut |o: &Outcome| {
        lines.push(o.to_string())
    });
    assert_eq!(
        lines[0], "PASS csv_only predict (max abs diff 0)",
        "{lines:#?}"
    );
    assert!(
        lines[2].starts_with("FAIL no_input: case.json: neither input nor input_csv"),
        "{lines:#?}"
    );
}

/// `tests/vectors/README.md`'s table of invalid files names every file of `invalid/`, and
/// nothing else: a stranger reads what each file breaks there.
#[test]
fn readme_lists_every_invalid_file() {
    let dir = amber_conformance::default_vectors_dir();
    let Ok(readme) = std::fs::read_to_string(dir.join("README.md")) else {
        eprintln!("tests/vectors/README.md is absent; nothing to check");
        return;
    };
    let table = readme
        .split("\n## Invalid files\n")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("an \"Invalid files\" section");
    let mut listed: Vec<String> = table
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split(" |").next())
        .flat_map(|names| names.split(", ").map(|n| n.trim_matches('`').to_owned()))
        .collect();
    listed.sort();
    let mut files: Vec<String> = std::fs::read_dir(dir.join("invalid"))
        .expect("tests/vectors/invalid")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|n| n.strip_suffix(".amber").map(str::to_owned))
        .collect();
    files.sort();
    assert_eq!(listed, files);
}
