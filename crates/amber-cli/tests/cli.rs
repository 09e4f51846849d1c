//! The `amber` binary end to end, on hand-made files and on the shared corpus.

// Test code: clippy.toml allows these in #[test] functions but not in the helpers beside them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use amber_codec::model::{
    Body, Categories, CategoryKind, ColumnKind, Estimator, ImputerFill, InputColumn, InputSchema,
    Labels, LeafValues, Linear, LinearLink, MissingValue, OneHotEncoder, OneHotFeature,
    OneHotUnknown, Param, Pipeline, PipelineStep, Producer, SimpleImputer, StandardScaler,
    TreeEnsemble, TreeInput, Value,
};
use amber_codec::{DType, TensorData, encode, encode_with_input};
use amber_conformance::corpus::ExpectedPaths;
use amber_conformance::{Array, Corpus, Process, compare, npy, run};
use ndarray::{Array2, arr2};

const BIN: &str = env!("CARGO_BIN_EXE_amber");

fn amber(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn f64_bytes(v: &[f64]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn estimator(producer_type: &str, n: u64, names: &[&str], body: Body) -> Estimator {
    Estimator {
        producer_type: producer_type.into(),
        params: vec![],
        attributes: vec![],
        n_features_in: n,
        feature_names_in: names.iter().map(|s| (*s).to_owned()).collect(),
        body,
    }
}

const NAMES: [&str; 3] = ["age", "income", "height"];

/// Pipeline(StandardScaler, LogisticRegression) with string labels and feature names.
fn pipeline_file() -> Vec<u8> {
    let scaler = estimator(
        "sklearn.preprocessing.StandardScaler",
        3,
        &NAMES,
        Body::StandardScaler(StandardScaler {
            mean: Some("steps/scale/mean_".into()),
            scale: Some("steps/scale/scale_".into()),
            var: None,
            n_samples_seen: None,
        }),
    );
    let mut clf = estimator(
        "sklearn.linear_model.LogisticRegression",
        3,
        &[],
        Body::Linear(Linear {
            coef: "steps/clf/coef_".into(),
            intercept: Some("steps/clf/intercept_".into()),
            link: LinearLink::Logistic,
            classes: Some(Labels::Str(vec!["no".into(), "yes, \"really\"".into()])),
        }),
    );
    clf.params = vec![
        Param {
            name: "C".into(),
            value: Value::Float(1.0),
        },
        Param {
            name: "max_iter".into(),
            value: Value::Int(100),
        },
        Param {
            name: "solver".into(),
            value: Value::Str("lbfgs".into()),
        },
    ];
    let mut root = estimator(
        "sklearn.pipeline.Pipeline",
        3,
        &NAMES,
        Body::Pipeline(Pipeline {
            steps: vec![
                PipelineStep {
                    name: "scale".into(),
                    estimator: Some(scaler),
                    passthrough_is_none: false,
                },
                PipelineStep {
                    name: "clf".into(),
                    estimator: Some(clf),
                    passthrough_is_none: false,
                },
            ],
        }),
    );
    root.params = vec![Param {
        name: "memory".into(),
        value: Value::None,
    }];
    let mean = f64_bytes(&[40.0, 50_000.0, 170.0]);
    let scale = f64_bytes(&[10.0, 20_000.0, 10.0]);
    let coef = f64_bytes(&[0.5, 1.5, -0.25]);
    let intercept = f64_bytes(&[0.1]);
    let producer = Producer {
        name: "amber-cli-tests".into(),
        version: "0".into(),
        library: "scikit-learn".into(),
        library_version: "1.9.1".into(),
    };
    encode(
        &[],
        &producer,
        &root,
        &[
            TensorData {
                name: "steps/scale/mean_",
                dtype: DType::F64,
                shape: &[3],
                bytes: &mean,
            },
            TensorData {
                name: "steps/scale/scale_",
                dtype: DType::F64,
                shape: &[3],
                bytes: &scale,
            },
            TensorData {
                name: "steps/clf/coef_",
                dtype: DType::F64,
                shape: &[1, 3],
                bytes: &coef,
            },
            TensorData {
                name: "steps/clf/intercept_",
                dtype: DType::F64,
                shape: &[1],
                bytes: &intercept,
            },
        ],
    )
    .unwrap()
}

/// LinearRegression with two targets and no feature names.
fn regression_file() -> Vec<u8> {
    let est = estimator(
        "sklearn.linear_model.LinearRegression",
        3,
        &[],
        Body::Linear(Linear {
            coef: "coef_".into(),
            intercept: None,
            link: LinearLink::Identity,
            classes: None,
        }),
    );
    let coef = f64_bytes(&[1.0, 2.0, 3.0, 0.1, 0.2, 0.3]);
    encode(
        &[],
        &Producer::default(),
        &est,
        &[TensorData {
            name: "coef_",
            dtype: DType::F64,
            shape: &[2, 3],
            bytes: &coef,
        }],
    )
    .unwrap()
}

/// Valid for the codec, but breaks an estimator rule: LOGISTIC with three classes.
fn bad_rule_file() -> Vec<u8> {
    let est = estimator(
        "sklearn.linear_model.LogisticRegression",
        3,
        &[],
        Body::Linear(Linear {
            coef: "coef_".into(),
            intercept: None,
            link: LinearLink::Logistic,
            classes: Some(Labels::Int(vec![0, 1, 2])),
        }),
    );
    let coef = f64_bytes(&[1.0, 2.0, 3.0]);
    encode(
        &[],
        &Producer::default(),
        &est,
        &[TensorData {
            name: "coef_",
            dtype: DType::F64,
            shape: &[1, 3],
            bytes: &coef,
        }],
    )
    .unwrap()
}

/// A two-tree, two-output forest classifier on 3 features: output 0 has classes [0, 1],
/// output 1 has ["a", "b", "c"] (values padded to 3 columns).
///
/// Tree 0: x0 <= 0.5 ? row 0 : row 1. Tree 1: x2 <= 4.5 (NaN left) ? row 2 : row 3.
fn tree_file() -> Vec<u8> {
    let rec = |t: f64, f: u32, n: u32| {
        let mut b = t.to_le_bytes().to_vec();
        b.extend(f.to_le_bytes());
        b.extend(n.to_le_bytes());
        b
    };
    let nodes: Vec<u8> = [
        rec(0.5, 0, 2),
        rec(0.0, u32::MAX, 0),
        rec(0.0, u32::MAX, 1),
        rec(4.5, 2 | 1 << 31, 5),
        rec(0.0, u32::MAX, 2),
        rec(0.0, u32::MAX, 3),
    ]
    .concat();
    let offsets: Vec<u8> = [0u64, 3, 6].iter().flat_map(|v| v.to_le_bytes()).collect();
    #[rustfmt::skip]
    let values = f64_bytes(&[
        1.0, 0.0, 0.0,   0.5, 0.25, 0.25,
        0.0, 1.0, 0.0,   0.0, 0.0, 1.0,
        0.5, 0.5, 0.0,   1.0, 0.0, 0.0,
        0.0, 1.0, 0.0,   0.0, 1.0, 0.0,
    ]);
    let root = estimator(
        "sklearn.ensemble.RandomForestClassifier",
        3,
        &[],
        Body::TreeEnsemble(TreeEnsemble {
            classes: vec![
                Labels::Int(vec![0, 1]),
                Labels::Str(vec!["a".into(), "b".into(), "c".into()]),
            ],
            ..TreeEnsemble::new(
                "nodes",
                "tree_offsets",
                "values",
                TreeInput::F32,
                LeafValues::Fractions,
            )
        }),
    );
    encode(
        &[],
        &Producer::default(),
        &root,
        &[
            TensorData {
                name: "nodes",
                dtype: DType::U8,
                shape: &[6, 16],
                bytes: &nodes,
            },
            TensorData {
                name: "tree_offsets",
                dtype: DType::U64,
                shape: &[3],
                bytes: &offsets,
            },
            TensorData {
                name: "values",
                dtype: DType::F64,
                shape: &[4, 2, 3],
                bytes: &values,
            },
        ],
    )
    .unwrap()
}

#[test]
fn multi_output_predict_proba_concatenates_csv_and_splits_npy() {
    let f = Files::new();
    let model = f.put("forest.amber", &tree_file());
    let input = f.put("x.csv", b"0,0,1\n1,0,9\n");
    let out = predict_csv(&model, &input, "predict_proba");
    assert!(out.status.success(), "{}", text(&out.stderr));
    // Row 0: tree 0 row 0, tree 1 row 2. Row 1: tree 0 row 1, tree 1 row 3.
    assert_eq!(
        text(&out.stdout),
        "0.75,0.25,0.75,0.125,0.125\n0,1,0,0.5,0.5\n"
    );
    let npy = f.path("p.npy");
    let out = amber(&[
        &"predict",
        &model,
        &"--input",
        &input,
        &"--method",
        &"predict_proba",
        &"--output",
        &npy,
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!npy.exists());
    assert_eq!(
        read_npy(&f.path("p.0.npy")),
        Array::Float(arr2(&[[0.75, 0.25], [0.0, 1.0]]).into_dyn())
    );
    assert_eq!(read_npy(&f.path("p.1.npy")).shape(), [2, 3]);
    // Outputs of different label kinds: predict is not available.
    let out = predict_csv(&model, &input, "predict");
    assert_error(&out, "E_METHOD");
}

struct Files {
    dir: tempfile::TempDir,
}

impl Files {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn put(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

fn x() -> Array2<f64> {
    arr2(&[
        [35.0, 42_000.0, 180.0],
        [52.0, 81_000.0, 160.5],
        [40.0, 50_000.0, 170.0],
    ])
}

fn read_npy(path: &Path) -> Array {
    npy::read(&std::fs::read(path).unwrap()).unwrap()
}

fn assert_error(out: &Output, code: &str) -> String {
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr: {stderr}");
    assert!(stderr.starts_with(&format!("error: {code}: ")), "{stderr}");
    stderr
}

#[test]
fn help_documents_every_command() {
    let out = amber(&[&"--help"]);
    assert!(out.status.success());
    let help = text(&out.stdout);
    for word in ["inspect", "validate", "predict", "error: <CODE>"] {
        assert!(help.contains(word), "{help}");
    }
    let help = text(&amber(&[&"predict", &"--help"]).stdout);
    for word in [
        "--method",
        "predict_proba",
        "decision_function",
        "transform",
        "header",
        "numpy unicode",
        "reshape",
    ] {
        assert!(help.contains(word), "{help}");
    }
    let help = text(&amber(&[&"inspect", &"--help"]).stdout);
    for word in ["inspect_version", "crc32", "\"tuple\""] {
        assert!(help.contains(word), "{help}");
    }
}

#[test]
fn usage_errors_exit_with_2() {
    let f = Files::new();
    let model = f.put("m.amber", &pipeline_file());
    let input = f.put("x.npy", &npy::write(&Array::Float(x().into_dyn())));
    for args in [
        vec![],
        vec!["predict", model.to_str().unwrap()],
        vec![
            "predict",
            model.to_str().unwrap(),
            "--input",
            input.to_str().unwrap(),
            "--method",
            "fit",
        ],
        vec!["predict", model.to_str().unwrap(), "--input", "x.txt"],
        vec![
            "predict",
            model.to_str().unwrap(),
            "--input",
            input.to_str().unwrap(),
            "--output",
            "o.parquet",
        ],
        vec!["validate"],
        vec!["frobnicate"],
    ] {
        let out = Command::new(BIN).args(&args).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
}

#[test]
fn inspect_shows_the_tree_and_the_tensor_table() {
    let f = Files::new();
    let model = f.put("m.amber", &pipeline_file());
    let out = amber(&[&"inspect", &model]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let human = text(&out.stdout);
    for needle in [
        "format:            1.0",
        "amber-cli-tests 0 (trained with scikit-learn 1.9.1)",
        "methods:           predict, predict_proba, decision_function",
        "sklearn.pipeline.Pipeline",
        "feature names:  age, income, height",
        "[1] clf",
        "link:           logistic",
        "solver   = \"lbfgs\"",
        "memory = None",
        "<tensor steps/clf/coef_: f64 [1, 3]> = [0.5, 1.5, -0.25]",
        "tensors (4, 80 bytes)",
    ] {
        assert!(human.contains(needle), "{needle:?} not in\n{human}");
    }
    // The table is aligned: every row's crc32 column starts at the same place.
    let rows: Vec<&str> = human
        .lines()
        .skip_while(|l| !l.starts_with("tensors"))
        .skip(1)
        .collect();
    let starts: Vec<usize> = rows
        .iter()
        .map(|r| r.rfind("0x").unwrap_or_else(|| r.rfind("crc32").unwrap()))
        .collect();
    assert!(starts.windows(2).all(|w| w[0] == w[1]), "{rows:#?}");
}

#[test]
fn inspect_json_is_a_stable_document() {
    let f = Files::new();
    let model = f.put("m.amber", &pipeline_file());
    let out = amber(&[&"inspect", &model, &"--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["inspect_version"], 1);
    assert_eq!(doc["format_version"], "1.0");
    assert_eq!(doc["producer"]["library_version"], "1.9.1");
    assert_eq!(
        doc["methods"],
        serde_json::json!(["predict", "predict_proba", "decision_function"])
    );
    assert_eq!(doc["model_error"], serde_json::Value::Null);
    let root = &doc["estimator"];
    assert_eq!(root["body"], "pipeline");
    assert_eq!(root["feature_names_in"], serde_json::json!(NAMES));
    assert_eq!(
        root["params"][0],
        serde_json::json!({"name": "memory", "value": null})
    );
    let steps = &root["pipeline"]["steps"];
    assert_eq!(
        steps[0]["estimator"]["standard_scaler"]["mean"],
        "steps/scale/mean_"
    );
    assert_eq!(
        steps[0]["estimator"]["standard_scaler"]["var"],
        serde_json::Value::Null
    );
    let clf = &steps[1]["estimator"];
    assert_eq!(clf["linear"]["link"], "logistic");
    assert_eq!(clf["linear"]["classes"]["kind"], "str");
    assert_eq!(clf["params"][0]["value"].to_string(), "1.0");
    let tensors = doc["tensors"].as_array().unwrap();
    assert_eq!(tensors.len(), 4);
    let crc = tensors[0]["crc32"].as_str().unwrap();
    assert!(crc.len() == 10 && crc.starts_with("0x"), "{crc}");
    assert_eq!(tensors[2]["shape"], serde_json::json!([1, 3]));
    assert_eq!(tensors[2]["bytes"], 24);
    assert_eq!(tensors[1]["offset"], 64);
}

#[test]
fn inspect_shows_a_model_the_runtime_refuses() {
    let f = Files::new();
    let model = f.put("bad.amber", &bad_rule_file());
    let out = amber(&[&"inspect", &model, &"--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["methods"], serde_json::Value::Null);
    assert_eq!(doc["model_error"]["code"], "E_MODEL");
}

#[test]
fn validate_reports_each_file() {
    let f = Files::new();
    let good = f.put("good.amber", &pipeline_file());
    let bytes = pipeline_file();
    let truncated = f.put("truncated.amber", &bytes[..bytes.len() - 1]);
    let rule = f.put("rule.amber", &bad_rule_file());
    let missing = f.path("missing.amber");

    let out = amber(&[&"validate", &good]);
    assert!(out.status.success());
    assert_eq!(
        text(&out.stdout),
        format!(
            "OK {}: format 1.0, 4 tensors, {} bytes\n",
            good.display(),
            bytes.len()
        )
    );

    let out = amber(&[&"validate", &good, &truncated, &rule, &missing]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{stdout}");
    assert!(lines[0].starts_with("OK "));
    assert!(
        lines[1].starts_with(&format!("FAIL {}: E_TRUNCATED: ", truncated.display())),
        "{stdout}"
    );
    assert!(
        lines[2].starts_with(&format!("FAIL {}: E_MODEL: ", rule.display())),
        "{stdout}"
    );
    assert!(
        lines[3].starts_with(&format!("FAIL {}: E_IO: ", missing.display())),
        "{stdout}"
    );
}

fn predict_csv(model: &Path, input: &Path, method: &str) -> Output {
    amber(&[&"predict", &model, &"--input", &input, &"--method", &method])
}

#[test]
fn predict_npy_and_csv_agree() {
    let f = Files::new();
    let model = f.put("m.amber", &pipeline_file());
    let npy_in = f.put("x.npy", &npy::write(&Array::Float(x().into_dyn())));
    let csv_in = f.put(
        "x.csv",
        b"age,income,height\n35,42000,180\n52,81000,160.5\n40,50000,170\n",
    );
    let shuffled = f.put(
        "s.csv",
        b"height,income,age\n180,42000,35\n160.5,81000,52\n170,50000,40\n",
    );
    let bare = f.put("b.csv", b"35,42000,180\n52,81000,160.5\n40,50000,170\n");
    for method in ["predict", "predict_proba", "decision_function"] {
        let reference = predict_csv(&model, &npy_in, method);
        assert!(reference.status.success(), "{}", text(&reference.stderr));
        for input in [&csv_in, &shuffled, &bare] {
            let out = predict_csv(&model, input, method);
            assert!(out.status.success(), "{}", text(&out.stderr));
            assert_eq!(
                text(&out.stdout),
                text(&reference.stdout),
                "{method} {}",
                input.display()
            );
        }
    }
    // String labels, quoted where CSV needs it; the scores are -1, 3.2625 and 0.1.
    let out = predict_csv(&model, &npy_in, "predict");
    assert_eq!(
        text(&out.stdout),
        "no\n\"yes, \"\"really\"\"\"\n\"yes, \"\"really\"\"\"\n"
    );
}

#[test]
fn csv_output_round_trips_exactly_to_the_npy_output() {
    let f = Files::new();
    let model = f.put("m.amber", &pipeline_file());
    let input = f.put("x.npy", &npy::write(&Array::Float(x().into_dyn())));
    let out_npy = f.path("p.npy");
    let out_csv = f.path("p.csv");
    for output in [&out_npy, &out_csv] {
        let out = amber(&[
            &"predict",
            &model,
            &"-i",
            &input,
            &"-m",
            &"predict_proba",
            &"-o",
            output,
        ]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(out.stdout.is_empty());
    }
    let Array::Float(p) = read_npy(&out_npy) else {
        panic!("not f64")
    };
    assert_eq!(p.shape(), &[3, 2]);
    let csv = std::fs::read_to_string(&out_csv).unwrap();
    let parsed: Vec<f64> = csv
        .lines()
        .flat_map(|l| l.split(',').map(|v| v.parse::<f64>().unwrap()))
        .collect();
    assert_eq!(parsed.len(), 6);
    assert!(
        p.iter()
            .zip(&parsed)
            .all(|(a, b)| a.to_bits() == b.to_bits()),
        "{csv}"
    );
}

#[test]
fn string_labels_as_npy_unicode() {
    let f = Files::new();
    let model = f.put("m.amber", &pipeline_file());
    let input = f.put("x.npy", &npy::write(&Array::Float(x().into_dyn())));
    let output = f.path("labels.npy");
    let out = amber(&[&"predict", &model, &"-i", &input, &"-o", &output]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let bytes = std::fs::read(&output).unwrap();
    assert!(text(&bytes).contains("'descr': '<U13'"));
    let Array::Str(labels) = read_npy(&output) else {
        panic!("not strings")
    };
    assert_eq!(labels.len(), 3);
    assert!(labels.iter().all(|l| l == "no" || l == "yes, \"really\""));
}

#[test]
fn npy_inputs_of_other_dtypes_are_converted() {
    let f = Files::new();
    let model = f.put("r.amber", &regression_file());
    let ints = Array::Int(arr2(&[[1, 2, 3], [-1, 0, 1]]).into_dyn());
    let int_in = f.put("i.npy", &npy::write(&ints));
    let float_in = f.put(
        "f.npy",
        &npy::write(&Array::Float(
            arr2(&[[1.0, 2.0, 3.0], [-1.0, 0.0, 1.0]]).into_dyn(),
        )),
    );
    let a = predict_csv(&model, &int_in, "predict");
    let b = predict_csv(&model, &float_in, "predict");
    assert!(a.status.success(), "{}", text(&a.stderr));
    assert_eq!(text(&a.stdout), text(&b.stdout));
    // Two targets: two columns per line.
    assert_eq!(text(&a.stdout).lines().next(), Some("14,1.4"));
}

#[test]
fn input_errors_are_e_input_and_say_what_is_wrong() {
    let f = Files::new();
    let model = f.put("m.amber", &pipeline_file());
    let reg = f.put("r.amber", &regression_file());
    let nope = f.path("nope.amber");
    let cases: Vec<(PathBuf, &Path, &str, &str, &str)> = vec![
        (
            f.put("missing.csv", b"age,height\n1,2\n"),
            &model,
            "predict",
            "E_INPUT",
            "no column \"income\"",
        ),
        (
            f.put("extra.csv", b"age,income,height,shoe\n1,2,3,4\n"),
            &model,
            "predict",
            "E_INPUT",
            "unexpected \"shoe\"",
        ),
        (
            f.put("cell.csv", b"age,income,height\n1,2,3\n4,five,6\n"),
            &model,
            "predict",
            "E_INPUT",
            "row 1, column \"income\": \"five\": not a number (line 3,",
        ),
        (
            f.put("ragged.csv", b"1,2,3\n4,5\n"),
            &model,
            "predict",
            "E_INPUT",
            "line 2 has 2 fields, expected 3",
        ),
        (
            f.put("narrow.csv", b"1,2\n"),
            &model,
            "predict",
            "E_INPUT",
            "the model expects 3 features",
        ),
        (
            f.put(
                "narrow.npy",
                &npy::write(&Array::Float(arr2(&[[1.0, 2.0]]).into_dyn())),
            ),
            &model,
            "predict",
            "E_INPUT",
            "expects 3 features",
        ),
        (
            f.put(
                "flat.npy",
                &npy::write(&Array::Float(ndarray::arr1(&[1.0, 2.0, 3.0]).into_dyn())),
            ),
            &model,
            "predict",
            "E_INPUT",
            "reshape it to (1, 3)",
        ),
        (
            f.put("text.npy", b"not numpy"),
            &model,
            "predict",
            "E_INPUT",
            "not a .npy file",
        ),
        (
            f.put("ok.npy", &npy::write(&Array::Float(x().into_dyn()))),
            &reg,
            "predict_proba",
            "E_METHOD",
            "has no method predict_proba",
        ),
        (
            f.put("nonexistent.amber.npy", b"x"),
            &nope,
            "predict",
            "E_IO",
            "nope.amber",
        ),
        (
            f.path("absent.csv"),
            &model,
            "predict",
            "E_IO",
            "absent.csv",
        ),
    ];
    for (input, model, method, code, needle) in cases {
        let out = predict_csv(model, &input, method);
        let stderr = assert_error(&out, code);
        assert!(stderr.contains(needle), "{}: {stderr}", input.display());
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn nan_cells_reach_the_model() {
    let f = Files::new();
    let input = f.put("n.csv", b"1,,nan\n");
    // A linear model refuses them as scikit-learn does, naming the first (spec/estimators.md
    // 3.1): so the empty cell was read as NaN, at row 0, column 1.
    let reg = f.put("r.amber", &regression_file());
    let out = predict_csv(&reg, &input, "predict");
    let stderr = assert_error(&out, "E_INPUT");
    assert!(stderr.contains("row 0, column 1 is NaN"), "{stderr}");
    // A tree takes them (missing values follow the split's side).
    let tree = f.put("t.amber", &tree_file());
    let out = predict_csv(&tree, &input, "predict_proba");
    assert!(out.status.success(), "{}", text(&out.stderr));
}

/// Every single-byte change and every truncation of a small valid file, fed to every
/// command: each must exit with 0 or 1, never panic (101) or die from a signal.
#[test]
fn no_command_panics_on_damaged_files() {
    let f = Files::new();
    let input = f.put("x.csv", b"1,2,3\n4,5,6\n");
    let mut variants: Vec<Vec<u8>> = Vec::new();
    for original in [pipeline_file(), tree_file()] {
        for i in 0..original.len() {
            let mut v = original.clone();
            v[i] ^= 0xff;
            variants.push(v);
            variants.push(original[..i].to_vec());
        }
        // The checksums stop the flips above early; flipping manifest bytes and fixing both
        // CRCs up sends damaged manifests through decoding and the estimator rules as well.
        let manifest_len = u64::from_le_bytes(original[16..24].try_into().unwrap()) as usize;
        for i in 64..64 + manifest_len {
            for mask in [0x01u8, 0x80] {
                let mut v = original.clone();
                v[i] ^= mask;
                let crc = crc32fast::hash(&v[64..64 + manifest_len]);
                v[48..52].copy_from_slice(&crc.to_le_bytes());
                let crc = crc32fast::hash(&v[..60]);
                v[60..64].copy_from_slice(&crc.to_le_bytes());
                variants.push(v);
            }
        }
    }
    let paths: Vec<PathBuf> = variants
        .iter()
        .enumerate()
        .map(|(i, v)| f.put(&format!("v{i}.amber"), v))
        .collect();

    // validate takes them all at once.
    let mut cmd = Command::new(BIN);
    cmd.arg("validate").args(&paths);
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let ok = text(&out.stdout)
        .lines()
        .filter(|l| l.starts_with("OK "))
        .count();
    let failed = text(&out.stdout)
        .lines()
        .filter(|l| l.starts_with("FAIL "))
        .count();
    assert_eq!(ok + failed, paths.len());
    assert!(!text(&out.stderr).contains("panicked"));

    let threads = std::thread::available_parallelism().map_or(4, usize::from);
    let chunk = paths.len().div_ceil(threads);
    std::thread::scope(|s| {
        for part in paths.chunks(chunk) {
            let input = &input;
            s.spawn(move || {
                for path in part {
                    for args in [
                        vec![&"inspect" as &dyn AsRef<std::ffi::OsStr>, path],
                        vec![&"inspect", path, &"--json"],
                        vec![
                            &"predict",
                            path,
                            &"--input",
                            input,
                            &"--method",
                            &"predict_proba",
                        ],
                    ] {
                        let out = amber(&args);
                        let code = out.status.code();
                        assert!(
                            code == Some(0) || code == Some(1),
                            "{} on {}: exit {code:?}\n{}",
                            text(args[0].as_ref().as_encoded_bytes()),
                            path.display(),
                            text(&out.stderr)
                        );
                        if code == Some(1) {
                            assert!(
                                text(&out.stderr).starts_with("error: E_"),
                                "{}",
                                text(&out.stderr)
                            );
                        }
                    }
                }
            });
        }
    });
}

fn vectors_dir() -> PathBuf {
    amber_conformance::default_vectors_dir()
}

/// Each valid case of the corpus through `amber predict` (from .npy, and from .csv when the
/// case has one) and `amber validate`; each invalid file through `amber validate`.
#[test]
fn corpus_through_the_cli() {
    let Ok(corpus) = Corpus::load(&vectors_dir()) else {
        eprintln!("no tests/vectors; skipped");
        return;
    };
    let f = Files::new();
    let mut checked = 0;
    for case in &corpus.valid {
        let json = case.case.as_ref().unwrap();
        let model = case.path(&json.model);
        let out = amber(&[&"validate", &model]);
        assert!(out.status.success(), "{}: {}", case.name, text(&out.stdout));
        let inputs = json
            .input
            .iter()
            .chain(&json.input_csv)
            .map(|p| case.path(p));
        for input in inputs {
            for (method, spec) in &json.methods {
                let output = f.path(&format!("{}-{method}.npy", case.name));
                let out = amber(&[
                    &"predict",
                    &model,
                    &"--input",
                    &input,
                    &"--method",
                    method,
                    &"--output",
                    &output,
                ]);
                assert!(
                    out.status.success(),
                    "{} {method}: {}",
                    case.name,
                    text(&out.stderr)
                );
                let (got, expected): (Vec<Array>, Vec<&String>) = match &spec.expected {
                    ExpectedPaths::One(p) => (vec![read_npy(&output)], vec![p]),
                    // One `<stem>.<o>.npy` file per output.
                    ExpectedPaths::PerOutput(ps) => (
                        (0..ps.len())
                            .map(|o| read_npy(&output.with_extension(format!("{o}.npy"))))
                            .collect(),
                        ps.iter().collect(),
                    ),
                };
                for (got, want) in got.iter().zip(expected) {
                    let want = amber_conformance::corpus::read_array(&case.path(want)).unwrap();
                    if let Err(m) = compare(got, &want, spec.tolerance()) {
                        panic!("{} {method} from {}: {m}", case.name, input.display());
                    }
                }
                checked += 1;
            }
        }
    }
    for case in &corpus.invalid {
        let code = &case.expected.as_ref().unwrap().code;
        let out = amber(&[&"validate", &case.model]);
        assert_eq!(out.status.code(), Some(1), "{}", case.name);
        let stdout = text(&out.stdout);
        assert!(
            stdout.starts_with(&format!("FAIL {}: {code}: ", case.model.display())),
            "{}: {stdout}",
            case.name
        );
        checked += 1;
    }
    eprintln!("{checked} corpus checks through the CLI");
}

/// The runner's protocol path, with `amber testee` as the testee: the corpus when present,
/// else nothing beyond the hand-made models below.
#[test]
fn amber_testee_speaks_the_protocol() {
    let command = format!("{BIN} testee");
    if let Ok(corpus) = Corpus::load(&vectors_dir()) {
        let mut failures = Vec::new();
        let summary = run(&corpus, &mut Process::spawn(&command).unwrap(), &mut |o| {
            if !o.passed() {
                failures.push(o.to_string());
            }
        });
        assert!(failures.is_empty(), "{}", failures.join("\n"));
        eprintln!("{summary}");
    }
    // Hand-made: requests and responses as the README documents them.
    let f = Files::new();
    let model = f.put("m.amber", &pipeline_file());
    let input = f.put("x.npy", &npy::write(&Array::Float(x().into_dyn())));
    let mut testee = Process::spawn(&command).unwrap();
    use amber_conformance::Testee;
    use amber_conformance::testee::OutputFormat;
    let labels = testee
        .predict(&model, &input, "predict", OutputFormat::Json)
        .unwrap();
    assert_eq!(labels.shape(), &[3]);
    let err = testee
        .predict(&model, &input, "transform", OutputFormat::Npy)
        .unwrap_err();
    assert_eq!(err.code(), "E_METHOD");
    assert_eq!(
        testee.validate(&f.path("absent.amber")).unwrap_err().code(),
        "E_IO"
    );
    assert_eq!(testee.reencode(&model).unwrap(), pipeline_file());
}

/// Characters a file's strings may hold that must not reach a terminal raw: C0 controls
/// (ESC, BEL, CR, LF), DEL, a C1 control (CSI), a bidi override, a zero-width space, and a
/// backslash (which would make an escaped and a literal `\u{..}` look alike).
const HOSTILE: &str = "a\u{1b}[31m\u{7}\r\nb\u{7f}c\u{9b}2Jd\u{202e}e\u{200b}f\\g";
/// `HOSTILE` as text output shows it.
const HOSTILE_SHOWN: &str = r"a\u{1b}[31m\u{7}\u{d}\u{a}b\u{7f}c\u{9b}2Jd\u{202e}e\u{200b}f\\g";

/// No character of `out` but newline and space that a terminal would act on or hide.
fn assert_terminal_safe(out: &str) {
    for c in out.chars() {
        let hidden = matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
        assert!(
            !hidden && (c == '\n' || !c.is_control()),
            "raw {c:?} in the output:\n{out}"
        );
    }
}

/// A linear model with `HOSTILE` in every string a file can carry: producer fields,
/// producer type, feature names, a param's name and value, a class label.
fn hostile_strings_file() -> Vec<u8> {
    let mut e = estimator(
        HOSTILE,
        1,
        &[HOSTILE],
        Body::Linear(Linear {
            coef: "coef".into(),
            intercept: None,
            link: LinearLink::Logistic,
            classes: Some(Labels::Str(vec![HOSTILE.into(), "ok".into()])),
        }),
    );
    e.params = vec![Param {
        name: HOSTILE.into(),
        value: Value::Str(HOSTILE.into()),
    }];
    let producer = Producer {
        name: HOSTILE.into(),
        version: HOSTILE.into(),
        library: HOSTILE.into(),
        library_version: HOSTILE.into(),
    };
    let coef = f64_bytes(&[0.5]);
    encode(
        &[],
        &producer,
        &e,
        &[TensorData {
            name: "coef",
            dtype: DType::F64,
            shape: &[1],
            bytes: &coef,
        }],
    )
    .unwrap()
}

#[test]
fn inspect_escapes_control_characters_in_every_string() {
    let f = Files::new();
    let model = f.put("hostile.amber", &hostile_strings_file());
    let out = amber(&[&"inspect", &model]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    assert_terminal_safe(&shown);
    for line in [
        format!(
            "producer:          {HOSTILE_SHOWN} {HOSTILE_SHOWN} (trained with {HOSTILE_SHOWN} {HOSTILE_SHOWN})"
        ),
        format!("  type:           {HOSTILE_SHOWN}"),
        format!("  feature names:  {HOSTILE_SHOWN}"),
    ] {
        assert!(
            shown.lines().any(|l| l == line),
            "no line {line:?} in\n{shown}"
        );
    }
    // Param values and labels are shown quoted, with Rust's escapes (`\n`, `\u{1b}`).
    let quoted = format!("{HOSTILE:?}");
    assert!(
        shown.contains(&format!("{HOSTILE_SHOWN} = {quoted}")),
        "{shown}"
    );
    assert!(
        shown.contains(&format!("classes:        {quoted}, \"ok\"")),
        "{shown}"
    );
}

#[test]
fn inspect_json_escapes_control_characters_and_keeps_the_strings() {
    let f = Files::new();
    let model = f.put("hostile.amber", &hostile_strings_file());
    let out = amber(&[&"inspect", &model, &"--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let raw = text(&out.stdout);
    assert_terminal_safe(&raw);
    let doc: serde_json::Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(doc["producer"]["name"], HOSTILE);
    assert_eq!(doc["estimator"]["producer_type"], HOSTILE);
    assert_eq!(doc["estimator"]["params"][0]["name"], HOSTILE);
    assert_eq!(doc["estimator"]["params"][0]["value"], HOSTILE);
    assert_eq!(doc["estimator"]["linear"]["classes"]["values"][0], HOSTILE);
}

#[test]
fn inspect_of_the_terminal_escape_reproducer_is_safe() {
    // issue #8: a producer name with OSC, BEL, clear-screen and colour sequences and a CRLF
    // that forges a line.
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/hostile/inspect_terminal_escape.amber");
    for json in [false, true] {
        let args: Vec<&dyn AsRef<std::ffi::OsStr>> = if json {
            vec![&"inspect", &path, &"--json"]
        } else {
            vec![&"inspect", &path]
        };
        let out = amber(&args);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let shown = text(&out.stdout);
        assert_terminal_safe(&shown);
        assert!(
            !shown.lines().any(|l| l.starts_with("FAKE LINE")),
            "{shown}"
        );
    }
}

#[test]
fn error_messages_quoting_the_file_are_terminal_safe() {
    // issue #8: a feature name from the file reaches the E_INPUT message of `predict`, and a
    // file name the FAIL line of `validate`; neither may carry escape sequences or line breaks.
    let f = Files::new();
    let model = f.put("hostile.amber", &hostile_strings_file());
    let csv = f.put("x.csv", b"other\n1.0\n");
    let out = amber(&[&"predict", &model, &"--input", &csv]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("E_INPUT"), "{err}");
    assert_terminal_safe(&err);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    let bad = f.put("bad\u{1b}[2J\nname.amber", b"not an amber file");
    let out = amber(&[&"validate", &bad]);
    let shown = text(&out.stdout);
    assert!(
        shown.starts_with("FAIL ") && shown.contains("E_MAGIC"),
        "{shown}"
    );
    assert_terminal_safe(&shown);
    assert_eq!(shown.trim_end().lines().count(), 1, "{shown}");
}

/// A OneHotEncoder fitted on a DataFrame: `city` (strings Lyon, Paris; `handle_unknown`
/// as given) and `size` (numbers 1, 2). Its outputs are, per row, `[city == Lyon, city ==
/// Paris, size == 1, size == 2]` (spec/estimators.md, "OneHotEncoder").
fn one_hot_file(unknown: OneHotUnknown) -> Vec<u8> {
    let categories = |kind, numbers: &[f64], strings: &[&str]| Categories {
        kind,
        numbers: numbers.to_vec(),
        strings: strings.iter().map(|s| (*s).to_owned()).collect(),
        has_none: false,
        has_nan: false,
        dtype: (kind == CategoryKind::Numeric).then_some(DType::F64),
        str_width: 0,
        numpy_strings: false,
    };
    let feature = |categories| OneHotFeature {
        categories,
        infrequent: vec![],
        drop: None,
    };
    let root = estimator(
        "sklearn.preprocessing.OneHotEncoder",
        2,
        &["city", "size"],
        Body::OneHotEncoder(OneHotEncoder {
            features: vec![
                feature(categories(CategoryKind::String, &[], &["Lyon", "Paris"])),
                feature(categories(CategoryKind::Numeric, &[1.0, 2.0], &[])),
            ],
            unknown,
            dtype: DType::F64,
        }),
    );
    let column = |name: &str, kind| InputColumn {
        name: name.into(),
        kind,
    };
    let schema = InputSchema {
        columns: vec![
            column("city", ColumnKind::String),
            column("size", ColumnKind::Numeric),
        ],
    };
    let producer = Producer {
        name: "amber-cli-tests".into(),
        version: "0".into(),
        library: "scikit-learn".into(),
        library_version: "1.9.1".into(),
    };
    encode_with_input(&[], &producer, &root, Some(&schema), &[]).unwrap()
}

fn transform(model: &Path, input: &Path, extra: &[&str]) -> Output {
    let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> =
        vec![&"predict", &model, &"-i", &input, &"-m", &"transform"];
    args.extend(extra.iter().map(|s| s as &dyn AsRef<std::ffi::OsStr>));
    amber(&args)
}

#[test]
fn string_columns_are_matched_by_header_name_in_any_order() {
    let f = Files::new();
    let model = f.put("oh.amber", &one_hot_file(OneHotUnknown::Error));
    let plain = f.put("a.csv", b"city,size\nLyon,1\nParis,2\n\"Paris\",1.0\n");
    // Shuffled, with a column the model does not read, quoting and spaces around numbers.
    let shuffled = f.put(
        "b.csv",
        b"size,note,city\n1,\"x, y\",Lyon\n 2 ,,Paris\n1e0,z,Paris\n",
    );
    let want = "1,0,1,0\n0,1,0,1\n0,1,1,0\n";
    for input in [&plain, &shuffled] {
        let out = transform(&model, input, &[]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert_eq!(text(&out.stdout), want, "{}", input.display());
    }
    // The same through .npy output.
    let npy_out = f.path("t.npy");
    let out = transform(&model, &shuffled, &["-o", npy_out.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let Array::Float(t) = read_npy(&npy_out) else {
        panic!("not f64")
    };
    assert_eq!(t.shape(), &[3, 4]);
    assert_eq!(
        t.iter().skip(8).copied().collect::<Vec<_>>(),
        [0.0, 1.0, 1.0, 0.0]
    );
}

#[test]
fn string_input_errors_name_column_row_line_and_value() {
    let f = Files::new();
    let model = f.put("oh.amber", &one_hot_file(OneHotUnknown::Error));
    let cases: Vec<(PathBuf, &str, Vec<&str>)> = vec![
        (
            f.put("missing.csv", b"size,town\n1,Lyon\n"),
            "no column \"city\"",
            vec![],
        ),
        (
            f.put("numeric.csv", b"city,size\nLyon,1\nParis,big\n"),
            "row 1, column \"size\": \"big\": not a number (line 3, data row 2",
            vec![],
        ),
        // An unseen category, in the third batch of two rows: the row and line are the
        // file's, not the batch's.
        (
            f.put(
                "unseen.csv",
                b"city,size\nLyon,1\nLyon,1\nParis,2\nParis,2\nLyon,1\nOslo,2\n",
            ),
            "line 7",
            vec!["--batch-rows", "2"],
        ),
        (
            f.put("ragged.csv", b"city,size\nLyon,1\nParis\n"),
            "line 3 has 1 fields, expected 2",
            vec![],
        ),
    ];
    for (input, needle, extra) in cases {
        let out = transform(&model, &input, &extra);
        let stderr = assert_error(&out, "E_INPUT");
        assert!(stderr.contains(needle), "{}: {stderr}", input.display());
        if input.ends_with("unseen.csv") {
            for part in ["row 5", "\"city\"", "\"Oslo\""] {
                assert!(stderr.contains(part), "{part}: {stderr}");
            }
        }
    }
    // A CSV output file is complete or absent: the batches before the failing one were
    // written to a temporary file, which is removed.
    let out_csv = f.path("out.csv");
    let input = f.path("unseen.csv");
    let out = transform(
        &model,
        &input,
        &["--batch-rows", "2", "-o", out_csv.to_str().unwrap()],
    );
    assert_error(&out, "E_INPUT");
    assert!(!out_csv.exists() && !f.path("out.csv.partial").exists());
    let good = f.put("good.csv", b"city,size\nLyon,1\nParis,2\nLyon,2\n");
    let out = transform(
        &model,
        &good,
        &["--batch-rows", "2", "-o", out_csv.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        std::fs::read_to_string(&out_csv).unwrap(),
        "1,0,1,0\n0,1,0,1\n1,0,0,1\n"
    );
    assert!(!f.path("out.csv.partial").exists());
    // handle_unknown="ignore": the unseen category is all zeros, and nothing fails.
    let ignore = f.put("oh-ignore.amber", &one_hot_file(OneHotUnknown::Zeros));
    let input = f.put("u.csv", b"city,size\nOslo,2\n");
    let out = transform(&ignore, &input, &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "0,0,0,1\n");
}

#[test]
fn batches_give_the_one_batch_output() {
    let f = Files::new();
    let model = f.put("oh.amber", &one_hot_file(OneHotUnknown::Error));
    let mut csv = String::from("size,city\n");
    for i in 0..20 {
        let city = if i % 3 == 0 { "Paris" } else { "Lyon" };
        csv.push_str(&format!("{},{city}\n", 1 + i % 2));
    }
    let input = f.put("many.csv", csv.as_bytes());
    let one = transform(&model, &input, &[]);
    assert!(one.status.success(), "{}", text(&one.stderr));
    assert_eq!(text(&one.stdout).lines().count(), 20);
    for rows in ["1", "3", "7", "20", "21"] {
        let out = transform(&model, &input, &["--batch-rows", rows]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert_eq!(text(&out.stdout), text(&one.stdout), "--batch-rows {rows}");
    }
    // The numeric pipeline too, whose proba output is two columns per row.
    let pipe = f.put("m.amber", &pipeline_file());
    let mut csv = String::from("income,height,age\n");
    for i in 0..10 {
        csv.push_str(&format!("{},{},{}\n", 40_000 + i * 1000, 160 + i, 30 + i));
    }
    let input = f.put("num.csv", csv.as_bytes());
    let base = amber(&[&"predict", &pipe, &"-i", &input, &"-m", &"predict_proba"]);
    assert!(base.status.success(), "{}", text(&base.stderr));
    let out = amber(&[
        &"predict",
        &pipe,
        &"-i",
        &input,
        &"-m",
        &"predict_proba",
        &"--batch-rows",
        &"3",
    ]);
    assert_eq!(text(&out.stdout), text(&base.stdout));
    // .npy is streamed too: the header, written last, has the whole row count.
    let (one, three) = (f.path("one.npy"), f.path("three.npy"));
    for (path, rows) in [(&one, "4096"), (&three, "3")] {
        let out = amber(&[
            &"predict",
            &pipe,
            &"-i",
            &input,
            &"-m",
            &"predict_proba",
            &"--batch-rows",
            &rows,
            &"-o",
            path,
        ]);
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let Array::Float(p) = read_npy(&three) else {
        panic!("not f64")
    };
    assert_eq!(p.shape(), &[10, 2]);
    assert_eq!(std::fs::read(&one).unwrap(), std::fs::read(&three).unwrap());
}

#[test]
fn a_model_error_in_a_later_batch_gives_the_files_row_and_line() {
    // NaN reaches a linear body in the fourth data row, which is in the second batch of 3.
    let f = Files::new();
    let reg = f.put("r.amber", &regression_file());
    let input = f.put("n.csv", b"1,2,3\n4,5,6\n7,8,9\n1,,3\n");
    let out = amber(&[&"predict", &reg, &"-i", &input, &"--batch-rows", &"3"]);
    let stderr = assert_error(&out, "E_INPUT");
    assert!(stderr.contains("line 4"), "{stderr}");
    assert!(stderr.contains("row 3, column 1 is NaN"), "{stderr}");
}

#[test]
fn progress_shows_only_when_asked_or_on_a_terminal() {
    let f = Files::new();
    let model = f.put("oh.amber", &one_hot_file(OneHotUnknown::Error));
    let input = f.put("a.csv", b"city,size\nLyon,1\nParis,2\n");
    // stderr is a pipe here: nothing unless --progress.
    let quiet = transform(&model, &input, &[]);
    assert!(quiet.status.success() && quiet.stderr.is_empty());
    let shown = transform(&model, &input, &["--progress"]);
    assert!(shown.status.success());
    assert!(
        text(&shown.stderr).contains("2 rows, "),
        "{}",
        text(&shown.stderr)
    );
    let off = transform(&model, &input, &["--progress", "--no-progress"]);
    assert!(off.stderr.is_empty(), "{}", text(&off.stderr));
    // Progress never mixes into the output.
    assert_eq!(shown.stdout, quiet.stdout);
}

/// SimpleImputer fitted on a DataFrame: `city` (strings, missing cells become "unknown")
/// and `n` (numbers, missing become 0): its transform holds strings beside numbers.
fn string_imputer_file() -> Vec<u8> {
    let root = estimator(
        "sklearn.impute.SimpleImputer",
        2,
        &["city", "n"],
        Body::SimpleImputer(SimpleImputer {
            missing_values: MissingValue::Nan,
            fills: vec![
                ImputerFill::Text("unknown".into()),
                ImputerFill::Number(0.0),
            ],
            keep_nan_fills: false,
            object_statistics: true,
            indicator: None,
        }),
    );
    let column = |name: &str, kind| InputColumn {
        name: name.into(),
        kind,
    };
    let schema = InputSchema {
        columns: vec![
            column("city", ColumnKind::String),
            column("n", ColumnKind::Numeric),
        ],
    };
    encode_with_input(&[], &Producer::default(), &root, Some(&schema), &[]).unwrap()
}

#[test]
fn a_transform_holding_strings_is_written_as_csv_cells_and_never_as_npy() {
    let f = Files::new();
    let model = f.put("imp.amber", &string_imputer_file());
    let input = f.put("x.csv", b"n,city\n1.5,\"Lyon, Rh\xc3\xb4ne\"\n,\n3,Paris\n");
    for rows in ["1", "4096"] {
        let out = transform(&model, &input, &["--batch-rows", rows]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert_eq!(
            text(&out.stdout),
            "\"Lyon, Rh\u{f4}ne\",1.5\nunknown,0\nParis,3\n"
        );
    }
    let npy_out = f.path("t.npy");
    let out = transform(&model, &input, &["-o", npy_out.to_str().unwrap()]);
    let stderr = assert_error(&out, "E_INPUT");
    assert!(stderr.contains(".npy cannot hold"), "{stderr}");
    assert!(!npy_out.exists());
}

/// The input schema and a ColumnTransformer's branches are shown, in text and in JSON, with
/// the kinds the file records (the corpus's tabular pipeline: numbers, strings, a bool).
#[test]
fn inspect_shows_the_input_schema_and_the_branches() {
    let model = vectors_dir().join("valid/column_transformer_tabular-sk1.9.1/model.amber");
    let out = amber(&[&"inspect", &model]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let human = text(&out.stdout);
    for needle in [
        "input columns (",
        "region   string",
        "age      numeric",
        "body:           column_transformer",
        "[0] num: estimator, columns [0, 1, 2, 3]",
        "[2] flag: passthrough, columns [",
    ] {
        assert!(human.contains(needle), "{needle:?} not in\n{human}");
    }
    let out = amber(&[&"inspect", &"--json", &model]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let kinds: Vec<(&str, &str)> = doc["input"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].as_str().unwrap(), c["kind"].as_str().unwrap()))
        .collect();
    assert!(kinds.contains(&("city", "string")), "{kinds:?}");
    assert!(kinds.contains(&("member", "numeric")), "{kinds:?}");
    let ct = &doc["estimator"]["pipeline"]["steps"][0]["estimator"];
    assert_eq!(ct["body"], "column_transformer");
    assert_eq!(ct["branches"][2]["action"], "passthrough");
}

#[test]
fn an_input_without_rows_is_e_input_and_writes_nothing() {
    // scikit-learn's check_array refuses 0 samples; an empty output with exit 0 would hide
    // a truncated or mis-written input.
    let f = Files::new();
    let model = f.put("m.amber", &pipeline_file());
    let empty_npy = npy::write(&Array::Float(
        Array2::<f64>::zeros((0, NAMES.len())).into_dyn(),
    ));
    let inputs = [
        f.put("empty.csv", b""),
        f.put("header.csv", format!("{}\n", NAMES.join(",")).as_bytes()),
        f.put("empty.npy", &empty_npy),
    ];
    for input in &inputs {
        let output = f.path("p.csv");
        let out = amber(&[&"predict", &model, &"-i", input, &"-o", &output]);
        assert!(!out.status.success(), "{}", input.display());
        let err = text(&out.stderr);
        assert!(
            err.contains("E_INPUT") && err.contains("no data rows"),
            "{err}"
        );
        assert!(!output.exists(), "{}", input.display());
    }
}

/// A soft `VotingClassifier`'s `transform` without `flatten_transform` is 3-D, `[members, n,
/// classes]`: written from a `.npy` input to a `.npy` output as scikit-learn returns it, and
/// refused with E_INPUT into CSV or from a CSV input (whose batches are rows).
#[test]
fn a_transform_whose_rows_are_not_its_first_axis_is_npy_to_npy_only() {
    let case = vectors_dir().join("valid/voting_soft_noflatten-sk1.9.1");
    if !case.exists() {
        eprintln!("no voting corpus case; skipped");
        return;
    }
    let (model, input) = (case.join("model.amber"), case.join("input.npy"));
    let f = Files::new();
    let out_npy = f.path("t.npy");
    let args: [&dyn AsRef<std::ffi::OsStr>; 8] = [
        &"predict",
        &model,
        &"--input",
        &input,
        &"--method",
        &"transform",
        &"--output",
        &out_npy,
    ];
    let out = amber(&args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let want = amber_conformance::corpus::read_array(&case.join("expected/transform.npy")).unwrap();
    assert_eq!(want.shape().len(), 3);
    compare(
        &read_npy(&out_npy),
        &want,
        amber_conformance::Tolerance::Exact,
    )
    .unwrap();

    let out = amber(&[
        &"predict",
        &model,
        &"--input",
        &input,
        &"--method",
        &"transform",
    ]);
    let stderr = assert_error(&out, "E_INPUT");
    assert!(stderr.contains("flatten_transform=True"), "{stderr}");
    assert!(out.stdout.is_empty());

    let Array::Float(x) = read_npy(&input) else {
        panic!("a float input")
    };
    let csv_in = f.path("x.csv");
    let rows: Vec<String> = x
        .outer_iter()
        .map(|r| {
            r.iter()
                .map(|v| format!("{v:?}"))
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect();
    std::fs::write(&csv_in, rows.join("\n") + "\n").unwrap();
    let out_csv = f.path("t2.npy");
    let out = amber(&[
        &"predict",
        &model,
        &"--input",
        &csv_in,
        &"--method",
        &"transform",
        &"--output",
        &out_csv,
    ]);
    assert_error(&out, "E_INPUT");
    assert!(!out_csv.exists(), "no output is written");
}

/// `inspect --json` shows a `Voting` body: its rule, classes and members (dropped ones too,
/// with their weights), as `gen_voting.py` built the case.
#[test]
fn inspect_json_shows_a_voting_body_and_its_members() {
    let model = vectors_dir().join("valid/voting_hard_weighted-sk1.9.1/model.amber");
    if !model.exists() {
        eprintln!("no voting corpus case; skipped");
        return;
    }
    let out = amber(&[&"inspect", &"--json", &model]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let est = &doc["estimator"];
    assert_eq!(est["body"], "voting");
    assert_eq!(est["voting"]["rule"], "hard");
    let members: Vec<(String, String)> = est["branches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            let name = b["name"].as_str().unwrap().to_owned();
            (name, b["action"].as_str().unwrap().to_owned())
        })
        .collect();
    assert!(
        members.contains(&("off".to_owned(), "drop".to_owned())),
        "{members:?}"
    );
    assert!(members.iter().filter(|(_, a)| a == "estimator").count() >= 2);
    let shown = amber(&[&"inspect", &model]);
    assert!(text(&shown.stdout).contains("voting:         hard"));
}

/// `inspect --json` shows a `Stacking` body: its members with their stack methods (a dropped
/// one too), passthrough, classes and final estimator, as `gen_stacking.py` built the case.
#[test]
fn inspect_json_shows_a_stacking_body_and_its_final_estimator() {
    let model = vectors_dir().join("valid/stacking_binary_passthrough-sk1.9.1/model.amber");
    if !model.exists() {
        eprintln!("no stacking corpus case; skipped");
        return;
    }
    let out = amber(&[&"inspect", &"--json", &model]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let est = &doc["estimator"];
    assert_eq!(est["body"], "stacking");
    assert_eq!(est["stacking"]["passthrough"], true);
    assert_eq!(
        est["stacking"]["classes"]["values"],
        serde_json::json!(["neg", "pos"])
    );
    assert_eq!(est["stacking"]["final_estimator"]["body"], "linear");
    let members: Vec<(String, serde_json::Value)> = est["branches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["name"].as_str().unwrap().to_owned(),
                b["stack_method"].clone(),
            )
        })
        .collect();
    let want = |n: &str, m: serde_json::Value| (n.to_owned(), m);
    assert_eq!(
        members,
        vec![
            want("tree", "predict_proba".into()),
            want("off", serde_json::Value::Null),
            want("hgb", "predict_proba".into()),
            want("forest", "predict_proba".into()),
        ]
    );
    let shown = text(&amber(&[&"inspect", &model]).stdout);
    assert!(
        shown.contains("stacking:       passthrough true"),
        "{shown}"
    );
    assert!(shown.contains("stacked with predict_proba"), "{shown}");
    assert!(shown.contains("final_estimator:"), "{shown}");
}
