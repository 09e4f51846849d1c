//! Integration tests: hand-made files through `Model`, every load rule and method error by
//! name, and (in `vectors`) the conformance corpus.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod affine;
mod build;
mod hostile;
mod nonfinite;
mod tables;
mod trees;
mod vectors;

use amber_codec::model::{Estimator, LinearLink};
use amber_codec::{ChecksumPolicy, Reader};
use amber_estimators::{EstimatorError, Method, Model, Prediction};
use ndarray::{Array2, array};

use build::*;

const LR: &str = "sklearn.linear_model.LinearRegression";
const LOGREG: &str = "sklearn.linear_model.LogisticRegression";
const SCALER: &str = "sklearn.preprocessing.StandardScaler";
const PIPE: &str = "sklearn.pipeline.Pipeline";

fn load(estimator: &Estimator, tensors: &[Tensor]) -> Model {
    Model::from_bytes(file(estimator, tensors)).expect("the model loads")
}

fn load_err(estimator: &Estimator, tensors: &[Tensor]) -> EstimatorError {
    Model::from_bytes(file(estimator, tensors)).expect_err("the model must be rejected")
}

/// `E_MODEL` whose context names `context`.
fn assert_model_error(estimator: &Estimator, tensors: &[Tensor], context: &str) {
    match load_err(estimator, tensors) {
        EstimatorError::Model { context: c, reason } => {
            assert!(
                c.contains(context),
                "context {c:?} ({reason}) lacks {context:?}"
            );
        }
        other => panic!("expected E_MODEL at {context}, got {other}"),
    }
}

// ---------------------------------------------------------------------------- models

fn regression_1d() -> (Estimator, Vec<Tensor>) {
    (
        estimator(
            LR,
            2,
            linear("coef_", Some("intercept_"), LinearLink::Identity, None),
        ),
        vec![
            f64s("coef_", &[2], &[1.0, 2.0]),
            f64s("intercept_", &[], &[0.5]),
        ],
    )
}

fn binary_logistic() -> (Estimator, Vec<Tensor>) {
    (
        estimator(
            LOGREG,
            2,
            linear(
                "coef_",
                Some("intercept_"),
                LinearLink::Logistic,
                ints(&[0, 1]),
            ),
        ),
        vec![
            f64s("coef_", &[1, 2], &[1.0, -1.0]),
            f64s("intercept_", &[1], &[0.0]),
        ],
    )
}

fn three_class(link: LinearLink) -> (Estimator, Vec<Tensor>) {
    (
        estimator(
            LOGREG,
            2,
            linear(
                "coef_",
                Some("intercept_"),
                link,
                strs(&["cat", "dog", "emu"]),
            ),
        ),
        vec![
            f64s("coef_", &[3, 2], &[1.0, 0.0, 0.0, 1.0, 1.0, 1.0]),
            f64s("intercept_", &[3], &[0.0, 0.0, -1.0]),
        ],
    )
}

fn standard_scaler() -> (Estimator, Vec<Tensor>) {
    let mut body = scaler(Some("mean_"), Some("scale_"));
    if let amber_codec::model::Body::StandardScaler(s) = &mut body {
        s.var = Some("var_".into());
        s.n_samples_seen = Some("n_samples_seen_".into());
    }
    (
        estimator(SCALER, 2, body),
        vec![
            f64s("mean_", &[2], &[1.0, 2.0]),
            f64s("scale_", &[2], &[2.0, 4.0]),
            f64s("var_", &[2], &[4.0, 16.0]),
            i64s("n_samples_seen_", &[], &[10]),
        ],
    )
}

/// scaler (mean [1, 2], scale [2, 2]) then binary logistic (score x0 - x1).
fn scaler_then_logistic() -> (Estimator, Vec<Tensor>) {
    let names = vec!["a".to_owned(), "b".to_owned()];
    let mut step1 = estimator(
        SCALER,
        2,
        scaler(Some("steps/s/mean_"), Some("steps/s/scale_")),
    );
    step1.feature_names_in = names.clone();
    let step2 = estimator(
        LOGREG,
        2,
        linear("steps/c/coef_", None, LinearLink::Logistic, ints(&[3, 4])),
    );
    let mut pipe = estimator(
        PIPE,
        2,
        pipeline(vec![("s", Some(step1)), ("c", Some(step2))]),
    );
    pipe.feature_names_in = names;
    (
        pipe,
        vec![
            f64s("steps/s/mean_", &[2], &[1.0, 2.0]),
            f64s("steps/s/scale_", &[2], &[2.0, 2.0]),
            f64s("steps/c/coef_", &[1, 2], &[1.0, -1.0]),
        ],
    )
}

// ---------------------------------------------------------------------------- predictions

#[test]
fn linear_regression_1d_coef_predicts_1d() {
    let (e, t) = regression_1d();
    let m = load(&e, &t);
    assert_eq!(m.methods(), vec![Method::Predict]);
    assert_eq!(m.n_features_in(), 2);
    assert_eq!(m.version(), (1, 0));
    let x = array![[1.0, 1.0], [0.0, 0.0], [2.0, -1.0]];
    assert_eq!(
        m.predict(x.view()).unwrap(),
        Prediction::Float(array![3.5, 0.5, 0.5].into_dyn())
    );
}

#[test]
fn linear_regression_2d_coef_predicts_2d() {
    let e = estimator(
        LR,
        2,
        linear("coef_", Some("intercept_"), LinearLink::Identity, None),
    );
    let t = [
        f64s("coef_", &[2, 2], &[1.0, 0.0, 0.0, 1.0]),
        f64s("intercept_", &[2], &[0.0, 10.0]),
    ];
    let m = load(&e, &t);
    let out = m.predict(array![[1.0, 2.0]].view()).unwrap();
    assert_eq!(out, Prediction::Float(array![[1.0, 12.0]].into_dyn()));
    // A single target fitted as a column ([1, n_features]) keeps its column too.
    let t = [
        f64s("coef_", &[1, 2], &[1.0, 1.0]),
        f64s("intercept_", &[1], &[0.0]),
    ];
    assert_eq!(
        load(&e, &t)
            .predict(array![[1.0, 2.0]].view())
            .unwrap()
            .shape(),
        [1, 1]
    );
}

#[test]
fn absent_intercept_is_zero() {
    let e = estimator(LR, 3, linear("coef_", None, LinearLink::Identity, None));
    let m = load(&e, &[f64s("coef_", &[3], &[1.0, 1.0, 1.0])]);
    assert_eq!(
        m.predict(array![[1.0, 2.0, 3.0]].view()).unwrap(),
        Prediction::Float(array![6.0].into_dyn())
    );
}

#[test]
fn binary_logistic_predicts_proba_and_1d_scores() {
    let (e, t) = binary_logistic();
    let m = load(&e, &t);
    assert_eq!(
        m.methods(),
        vec![
            Method::Predict,
            Method::PredictProba,
            Method::DecisionFunction
        ]
    );
    let x = array![[2.0, 1.0], [1.0, 1.0], [0.0, 3.0]];
    assert_eq!(
        m.predict(x.view()).unwrap(),
        Prediction::Int(array![1, 0, 0].into_dyn())
    );
    assert_eq!(
        m.decision_function(x.view()).unwrap(),
        array![1.0, 0.0, -3.0].into_dyn()
    );
    let p = m.predict_proba(x.view()).unwrap();
    assert_eq!(p.shape(), [3, 2]);
    assert_eq!(p.row(1), array![0.5, 0.5]);
    let p1 = 1.0 / (1.0 + (-1.0f64).exp());
    assert_eq!(p.row(0), array![1.0 - p1, p1]);
}

#[test]
fn softmax_with_string_classes_predicts_strings() {
    let (e, t) = three_class(LinearLink::Softmax);
    let m = load(&e, &t);
    // scores [3, 0, 2], [0, 5, 4], [1, 1, 1] (tie: lowest index)
    let x = array![[3.0, 0.0], [0.0, 5.0], [1.0, 1.0]];
    let labels = ["cat", "dog", "cat"].map(String::from).to_vec();
    assert_eq!(
        m.predict(x.view()).unwrap(),
        Prediction::Str(ndarray::Array1::from_vec(labels).into_dyn())
    );
    assert_eq!(m.decision_function(x.view()).unwrap().shape(), [3, 3]);
    let p = m.predict_proba(x.view()).unwrap();
    assert_eq!(p.row(2), array![1.0 / 3.0, 1.0 / 3.0, 1.0 / 3.0]);
    for row in p.rows() {
        assert!((row.sum() - 1.0).abs() < 1e-15);
    }
}

#[test]
fn ovr_logistic_normalises_expit() {
    let (e, t) = three_class(LinearLink::OvrLogistic);
    let m = load(&e, &t);
    let p = m.predict_proba(array![[0.0, 0.0]].view()).unwrap();
    // expit([0, 0, -1]) normalised.
    let q = [0.5, 0.5, 1.0 / (1.0 + 1f64.exp())];
    let sum: f64 = q.iter().sum();
    for (got, want) in p.iter().zip(q.map(|v| v / sum)) {
        assert!((got - want).abs() < 1e-15, "{got} vs {want}");
    }
}

#[test]
fn standard_scaler_transforms_bit_exact() {
    let (e, t) = standard_scaler();
    let m = load(&e, &t);
    assert_eq!(m.methods(), vec![Method::Transform]);
    let z = m.transform(array![[3.0, 6.0], [0.7, 2.3]].view()).unwrap();
    assert_eq!(z.row(0), array![1.0, 1.0]);
    assert_eq!(z[[1, 0]].to_bits(), ((0.7f64 - 1.0) / 2.0).to_bits());
    assert_eq!(z[[1, 1]].to_bits(), ((2.3f64 - 2.0) / 4.0).to_bits());
}

#[test]
fn scaler_n_samples_seen_may_be_f64_per_feature() {
    let (mut e, mut t) = standard_scaler();
    t.pop();
    t.push(f64s("n_samples_seen_", &[2], &[9.5, 10.0]));
    e.producer_type = SCALER.into();
    load(&e, &t);
}

#[test]
fn pipeline_chains_steps_and_reports_feature_names() {
    let (e, t) = scaler_then_logistic();
    let m = load(&e, &t);
    assert_eq!(
        m.methods(),
        vec![
            Method::Predict,
            Method::PredictProba,
            Method::DecisionFunction
        ]
    );
    assert_eq!(
        m.feature_names(),
        Some(&["a".to_owned(), "b".to_owned()][..])
    );
    // scaled [(5-1)/2, (4-2)/2] = [2, 1]: score 1 -> class 4.
    let x = array![[5.0, 4.0]];
    assert_eq!(
        m.decision_function(x.view()).unwrap(),
        array![1.0].into_dyn()
    );
    assert_eq!(
        m.predict(x.view()).unwrap(),
        Prediction::Int(array![4].into_dyn())
    );
}

#[test]
fn pipeline_feature_names_fall_back_to_the_first_step() {
    let (mut e, t) = scaler_then_logistic();
    e.feature_names_in.clear();
    assert_eq!(
        load(&e, &t).feature_names(),
        Some(&["a".to_owned(), "b".to_owned()][..])
    );
    let (e, t) = regression_1d();
    assert_eq!(load(&e, &t).feature_names(), None);
}

#[test]
fn pipeline_with_passthrough_first_takes_its_width_from_the_first_estimator() {
    let (inner, t) = binary_logistic();
    let e = estimator(
        PIPE,
        0,
        pipeline(vec![("skip", None), ("clf", Some(inner))]),
    );
    let m = load(&e, &t);
    assert_eq!(m.n_features_in(), 2);
    assert_eq!(
        m.predict(array![[1.0, 0.0]].view()).unwrap(),
        Prediction::Int(array![1].into_dyn())
    );
}

#[test]
fn pipeline_ending_in_passthrough_transforms_only() {
    let (inner, t) = standard_scaler();
    let e = estimator(PIPE, 2, pipeline(vec![("s", Some(inner)), ("end", None)]));
    let m = load(&e, &t);
    assert_eq!(m.methods(), vec![Method::Transform]);
    assert_eq!(
        m.transform(array![[3.0, 6.0]].view()).unwrap(),
        array![[1.0, 1.0]]
    );
}

#[test]
fn run_agrees_with_the_typed_methods() {
    let (e, t) = three_class(LinearLink::Softmax);
    let m = load(&e, &t);
    let x = array![[0.3, -0.2], [2.0, 1.0]];
    assert_eq!(
        m.run(Method::Predict, x.view()).unwrap(),
        m.predict(x.view()).unwrap()
    );
    assert_eq!(
        m.run(Method::PredictProba, x.view()).unwrap(),
        Prediction::Float(m.predict_proba(x.view()).unwrap().into_dyn())
    );
    assert_eq!(
        m.run(Method::DecisionFunction, x.view()).unwrap(),
        Prediction::Float(m.decision_function(x.view()).unwrap())
    );
}

#[test]
fn open_and_open_with_read_files() {
    let (e, t) = regression_1d();
    let path = std::env::temp_dir().join(format!("amber-estimators-{}.amber", std::process::id()));
    std::fs::write(&path, file(&e, &t)).unwrap();
    let eager = Model::open(&path).unwrap();
    let reader = Reader::builder()
        .checksums(ChecksumPolicy::Deferred)
        .build();
    let deferred = Model::open_with(&path, &reader).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(eager.manifest(), deferred.manifest());
    assert_eq!(eager.manifest().estimator.producer_type, LR);
}

#[test]
fn damaged_tensor_is_e_tensor_checksum_even_when_deferred() {
    let (e, t) = regression_1d();
    let mut bytes = file(&e, &t);
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    assert_eq!(
        Model::from_bytes(bytes.clone()).unwrap_err().code(),
        "E_TENSOR_CHECKSUM"
    );
    let path =
        std::env::temp_dir().join(format!("amber-estimators-bad-{}.amber", std::process::id()));
    std::fs::write(&path, bytes).unwrap();
    let reader = Reader::builder()
        .checksums(ChecksumPolicy::Deferred)
        .build();
    let err = Model::open_with(&path, &reader).unwrap_err();
    std::fs::remove_file(&path).unwrap();
    // The registry reads every tensor it needs at load, so the damage is still caught there.
    assert_eq!(err.code(), "E_TENSOR_CHECKSUM");
}

// ---------------------------------------------------------------------------- E_METHOD, E_INPUT

#[test]
fn e_method_names_the_estimator_and_the_method() {
    let (e, t) = regression_1d();
    let m = load(&e, &t);
    let x = Array2::zeros((1, 2));
    for (method, err) in [
        (Method::PredictProba, m.predict_proba(x.view()).unwrap_err()),
        (
            Method::DecisionFunction,
            m.decision_function(x.view()).unwrap_err(),
        ),
        (Method::Transform, m.transform(x.view()).unwrap_err()),
        (
            Method::Transform,
            m.run(Method::Transform, x.view()).unwrap_err(),
        ),
    ] {
        assert_eq!(err.code(), "E_METHOD");
        assert!(
            matches!(&err, EstimatorError::Method { estimator, method: m } if estimator == LR && *m == method)
        );
        assert!(err.to_string().contains(method.as_str()), "{err}");
    }
}

#[test]
fn e_method_on_a_scaler_and_a_classifier() {
    let (e, t) = standard_scaler();
    let x = Array2::zeros((1, 2));
    assert_eq!(
        load(&e, &t).predict(x.view()).unwrap_err().code(),
        "E_METHOD"
    );
    let (e, t) = binary_logistic();
    assert_eq!(
        load(&e, &t).transform(x.view()).unwrap_err().code(),
        "E_METHOD"
    );
}

#[test]
fn e_input_on_wrong_column_count() {
    let x = Array2::zeros((2, 3));
    for (e, t) in [
        regression_1d(),
        binary_logistic(),
        standard_scaler(),
        scaler_then_logistic(),
    ] {
        let m = load(&e, &t);
        for method in m.methods() {
            let err = m.run(method, x.view()).unwrap_err();
            assert!(
                matches!(
                    err,
                    EstimatorError::Input {
                        expected: 2,
                        found: 3
                    }
                ),
                "{method}: {err}"
            );
            assert_eq!(err.code(), "E_INPUT");
        }
    }
}

// ---------------------------------------------------------------------------- E_MODEL, by rule

#[test]
fn rejects_n_features_in_zero_on_a_leaf() {
    let (mut e, t) = regression_1d();
    e.n_features_in = 0;
    assert_model_error(&e, &t, "estimator.n_features_in");
}

#[test]
fn rejects_feature_names_count_mismatch() {
    let (mut e, t) = regression_1d();
    e.feature_names_in = vec!["only_one".into()];
    assert_model_error(&e, &t, "estimator.feature_names_in");
}

#[test]
fn rejects_coef_of_wrong_dtype() {
    let (e, mut t) = regression_1d();
    t[0] = f32s("coef_", &[2], &[1.0, 2.0]);
    assert_model_error(&e, &t, "estimator.linear.coef");
}

#[test]
fn rejects_coef_feature_count_mismatch() {
    let (mut e, t) = regression_1d();
    e.n_features_in = 3;
    assert_model_error(&e, &t, "estimator.linear.coef");
}

#[test]
fn rejects_coef_of_rank_3() {
    let (e, mut t) = regression_1d();
    t[0] = f64s("coef_", &[1, 1, 2], &[1.0, 2.0]);
    assert_model_error(&e, &t, "estimator.linear.coef");
}

#[test]
fn rejects_coef_with_no_rows() {
    let (e, mut t) = regression_1d();
    t[0] = f64s("coef_", &[0, 2], &[]);
    assert_model_error(&e, &t, "estimator.linear.coef");
}

#[test]
fn rejects_intercept_shape_mismatch() {
    // 1-D coef needs a scalar intercept; [k, n] coef needs [k].
    let (e, mut t) = regression_1d();
    t[1] = f64s("intercept_", &[1], &[0.5]);
    assert_model_error(&e, &t, "estimator.linear.intercept");
    let (e, mut t) = three_class(LinearLink::Softmax);
    t[1] = f64s("intercept_", &[2], &[0.0, 0.0]);
    assert_model_error(&e, &t, "estimator.linear.intercept");
}

#[test]
fn rejects_intercept_of_wrong_dtype() {
    let (e, mut t) = regression_1d();
    t[1] = i64s("intercept_", &[], &[1]);
    assert_model_error(&e, &t, "estimator.linear.intercept");
}

#[test]
fn rejects_identity_link_with_classes() {
    let e = estimator(
        LR,
        2,
        linear("coef_", None, LinearLink::Identity, ints(&[0, 1])),
    );
    assert_model_error(
        &e,
        &[f64s("coef_", &[2], &[1.0, 2.0])],
        "estimator.linear.classes",
    );
}

#[test]
fn rejects_classifier_link_without_classes() {
    let e = estimator(LOGREG, 2, linear("coef_", None, LinearLink::Logistic, None));
    assert_model_error(
        &e,
        &[f64s("coef_", &[1, 2], &[1.0, 2.0])],
        "estimator.linear.classes",
    );
}

#[test]
fn rejects_logistic_with_three_classes() {
    let e = estimator(
        LOGREG,
        2,
        linear("coef_", None, LinearLink::Logistic, ints(&[0, 1, 2])),
    );
    assert_model_error(
        &e,
        &[f64s("coef_", &[1, 2], &[1.0, 2.0])],
        "estimator.linear.classes",
    );
}

#[test]
fn rejects_logistic_with_two_score_rows() {
    let e = estimator(
        LOGREG,
        2,
        linear("coef_", None, LinearLink::Logistic, ints(&[0, 1])),
    );
    let t = [f64s("coef_", &[2, 2], &[1.0, 2.0, 3.0, 4.0])];
    assert_model_error(&e, &t, "estimator.linear.classes");
}

#[test]
fn rejects_multiclass_rows_classes_mismatch() {
    for link in [LinearLink::Softmax, LinearLink::OvrLogistic] {
        let e = estimator(LOGREG, 2, linear("coef_", None, link, ints(&[0, 1, 2, 3])));
        let t = [f64s("coef_", &[3, 2], &[0.0; 6])];
        assert_model_error(&e, &t, "estimator.linear.classes");
    }
}

#[test]
fn rejects_multiclass_with_1d_coef() {
    let e = estimator(
        LOGREG,
        2,
        linear("coef_", None, LinearLink::Softmax, ints(&[0, 1])),
    );
    assert_model_error(
        &e,
        &[f64s("coef_", &[2], &[1.0, 2.0])],
        "estimator.linear.classes",
    );
}

#[test]
fn rejects_repeated_class_labels() {
    let e = estimator(
        LOGREG,
        2,
        linear("coef_", None, LinearLink::Logistic, strs(&["a", "a"])),
    );
    assert_model_error(
        &e,
        &[f64s("coef_", &[1, 2], &[1.0, 2.0])],
        "estimator.linear.classes",
    );
}

#[test]
fn rejects_scaler_mean_of_wrong_shape() {
    let (e, mut t) = standard_scaler();
    t[0] = f64s("mean_", &[3], &[1.0, 2.0, 3.0]);
    assert_model_error(&e, &t, "estimator.standard_scaler.mean");
}

#[test]
fn rejects_scaler_scale_of_wrong_dtype() {
    let (e, mut t) = standard_scaler();
    t[1] = f32s("scale_", &[2], &[1.0, 2.0]);
    assert_model_error(&e, &t, "estimator.standard_scaler.scale");
}

#[test]
fn rejects_scaler_var_of_wrong_shape() {
    let (e, mut t) = standard_scaler();
    t[2] = f64s("var_", &[1, 2], &[1.0, 2.0]);
    assert_model_error(&e, &t, "estimator.standard_scaler.var");
}

#[test]
fn rejects_scaler_n_samples_seen_of_wrong_dtype_or_shape() {
    let (e, mut t) = standard_scaler();
    t[3] = f32s("n_samples_seen_", &[], &[10.0]);
    assert_model_error(&e, &t, "estimator.standard_scaler.n_samples_seen");
    t[3] = i64s("n_samples_seen_", &[3], &[10, 10, 10]);
    assert_model_error(&e, &t, "estimator.standard_scaler.n_samples_seen");
}

#[test]
fn rejects_empty_pipeline() {
    let e = estimator(PIPE, 2, pipeline(vec![]));
    assert_model_error(&e, &[], "estimator.pipeline.steps");
}

#[test]
fn rejects_repeated_or_empty_step_names() {
    let (s1, t) = standard_scaler();
    let e = estimator(PIPE, 2, pipeline(vec![("s", Some(s1)), ("s", None)]));
    assert_model_error(&e, &t, "estimator.pipeline.steps");
    let e = estimator(PIPE, 2, pipeline(vec![("", None)]));
    assert_model_error(&e, &[], "estimator.pipeline.steps");
}

#[test]
fn rejects_non_final_step_that_cannot_transform() {
    let (clf, mut t) = binary_logistic();
    let (sc, t2) = standard_scaler();
    t.extend(t2);
    let e = estimator(
        PIPE,
        2,
        pipeline(vec![("clf", Some(clf)), ("sc", Some(sc))]),
    );
    assert_model_error(&e, &t, "estimator/steps/clf");
}

#[test]
fn rejects_pipeline_width_mismatch_with_its_first_step() {
    let (sc, t) = standard_scaler();
    let e = estimator(PIPE, 3, pipeline(vec![("sc", Some(sc))]));
    assert_model_error(&e, &t, "estimator/steps/sc.n_features_in");
}

#[test]
fn rejects_feature_counts_not_chained_between_steps() {
    let (sc, mut t) = standard_scaler();
    let clf = estimator(
        LOGREG,
        3,
        linear("c", None, LinearLink::Logistic, ints(&[0, 1])),
    );
    t.push(f64s("c", &[1, 3], &[1.0, 2.0, 3.0]));
    let e = estimator(
        PIPE,
        2,
        pipeline(vec![("sc", Some(sc)), ("skip", None), ("clf", Some(clf))]),
    );
    assert_model_error(&e, &t, "estimator/steps/clf.n_features_in");
}

#[test]
fn rejects_all_passthrough_pipeline_without_n_features_in() {
    let e = estimator(PIPE, 0, pipeline(vec![("a", None)]));
    assert_model_error(&e, &[], "estimator.n_features_in");
    // With a declared width it is the identity transform.
    let e = estimator(PIPE, 2, pipeline(vec![("a", None)]));
    let m = load(&e, &[]);
    assert_eq!(
        m.transform(array![[1.0, 2.0]].view()).unwrap(),
        array![[1.0, 2.0]]
    );
}

#[test]
fn errors_inside_steps_carry_the_step_path() {
    let (mut sc, t) = standard_scaler();
    sc.feature_names_in = vec!["x".into()];
    let e = estimator(PIPE, 2, pipeline(vec![("scale", Some(sc))]));
    assert_model_error(&e, &t, "estimator/steps/scale.feature_names_in");
}
