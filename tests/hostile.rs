//! Every hostile file kept as a regression test (`tests/hostile/*.amber`: the reproducers of
//! issue #8 and the minimized fuzz findings; `fuzz/findings/*.amber`: the differential
//! runner's latest findings) opened with the Rust reader: opening and every method on a small
//! input must not panic, every rejection must carry one of the spec's error codes
//! (`spec/format.md` §6), and every output must have one row per sample.
//!
//! A panic is caught and reported with the file's name; an abort or a stack overflow kills
//! this test binary, which is the failure signal too (FUZZING.md).

#![allow(clippy::expect_used, clippy::indexing_slicing)]

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use amber::{Model, Prediction};
use ndarray::Array2;

/// The widest input built; a model declaring more features is opened but not run.
const MAX_COLUMNS: usize = 256;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The codes of the table in `spec/format.md` §6.
fn spec_codes() -> Vec<String> {
    let spec = std::fs::read_to_string(root().join("spec/format.md")).expect("spec/format.md");
    let codes: Vec<String> = spec
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split('`').next())
        .filter(|c| c.starts_with("E_"))
        .map(str::to_owned)
        .collect();
    assert!(
        codes.len() > 10,
        "no error-code table found in spec/format.md"
    );
    codes
}

fn hostile_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in ["tests/hostile", "fuzz/findings"] {
        let Ok(entries) = std::fs::read_dir(root().join(dir)) else {
            continue;
        };
        files.extend(
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "amber")),
        );
    }
    files.sort();
    files
}

/// Eight rows of special values: zeros, signed zero, NaN, infinities, extremes.
fn input(n: usize) -> Array2<f64> {
    let special = [
        0.0,
        -0.0,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        1e300,
        -1.5,
        f64::MIN_POSITIVE,
    ];
    Array2::from_shape_fn((special.len(), n), |(r, c)| {
        special[(r + c) % special.len()]
    })
}

fn rows(p: &Prediction) -> Option<usize> {
    match p {
        Prediction::Float(a) => a.shape().first().copied(),
        Prediction::Int(a) => a.shape().first().copied(),
        Prediction::Str(a) => a.shape().first().copied(),
        Prediction::Table { shape, .. } => Some(shape[0]),
    }
}

/// What is wrong with the reader's handling of `bytes`, if anything.
fn problems(bytes: Vec<u8>, codes: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let uncoded = |what: &str, e: &amber::EstimatorError| {
        (!codes.iter().any(|c| c == e.code()))
            .then(|| format!("{what}: `{}` is not a code of the spec: {e}", e.code()))
    };
    let model = match Model::from_bytes(bytes) {
        Ok(model) => model,
        Err(e) => return uncoded("open", &e).into_iter().collect(),
    };
    let n = model.n_features_in();
    if n > MAX_COLUMNS {
        return out;
    }
    let x = input(n);
    let x = x.view();
    let want = x.nrows();
    let results: [(&str, Result<Option<usize>, amber::EstimatorError>); 6] = [
        ("predict", model.predict(x).map(|p| rows(&p))),
        (
            "predict_proba",
            model.predict_proba(x).map(|a| Some(a.nrows())),
        ),
        (
            "predict_proba_multi",
            model
                .predict_proba_multi(x)
                .map(|v| v.iter().all(|a| a.nrows() == want).then_some(want)),
        ),
        (
            "decision_function",
            model
                .decision_function(x)
                .map(|a| a.shape().first().copied()),
        ),
        ("transform", model.transform(x).map(|a| Some(a.nrows()))),
        (
            "score_samples",
            model.score_samples(x).map(|a| Some(a.len())),
        ),
    ];
    for (method, result) in results {
        match result {
            Ok(Some(r)) if r == want => {}
            Ok(r) => out.push(format!("{method}: {r:?} output rows for {want} samples")),
            Err(e) => out.extend(uncoded(method, &e)),
        }
    }
    out
}

fn name(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string()
}

#[test]
fn hostile_files_never_panic_and_every_rejection_has_a_code() {
    let codes = spec_codes();
    let files = hostile_files();
    assert!(!files.is_empty(), "no files in tests/hostile");
    let mut failures = Vec::new();
    for path in &files {
        let bytes = std::fs::read(path).expect("a readable file");
        match catch_unwind(AssertUnwindSafe(|| problems(bytes, &codes))) {
            Ok(found) => failures.extend(found.into_iter().map(|p| format!("{}: {p}", name(path)))),
            Err(_) => failures.push(format!("{}: panicked", name(path))),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} hostile files mishandled:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}
