//! NaN, infinities and values beyond float32's range at predict time, per family, on corpus
//! models: each body refuses (`E_INPUT` at the value's row and column) exactly what its rule
//! on inputs says (`spec/estimators.md`, section 1's table and each body's rule), and
//! computes with the rest, the other rows unchanged.

use std::path::{Path, PathBuf};

use amber_estimators::{EstimatorError, Method, Model, Prediction};
use ndarray::{Array2, Axis};
use ndarray_npy::ReadNpyExt;

/// The bad values, in the order of the `refused` masks below.
const BAD: [f64; 6] = [
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
    1e39,
    -1e39,
    // float32's largest value plus half an ulp: the first value its rounding makes infinite.
    3.402_823_567_797_336_5e38,
];
/// Refuses NaN and infinities (`ensure_all_finite=True`).
const NON_FINITE: [bool; 6] = [true, true, true, false, false, false];
/// Refuses infinities (`"allow-nan"`).
const INFINITE: [bool; 6] = [false, true, true, false, false, false];
/// Refuses what float32 rounding makes infinite (`dtype=float32`, `"allow-nan"`).
const F32_INFINITE: [bool; 6] = [false, true, true, true, true, true];
/// Refuses everything bad (`dtype=float32`, `ensure_all_finite=True`).
const ALL: [bool; 6] = [true; 6];
/// Refuses nothing (`ensure_all_finite=False`).
const NOTHING: [bool; 6] = [false; 6];

fn case(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/vectors/valid")
        .join(name);
    assert!(dir.is_dir(), "no corpus case {}", dir.display());
    dir
}

fn rows(p: &Prediction) -> Vec<String> {
    let rows = |a: &dyn Fn(usize) -> String, n: usize| (0..n).map(a).collect::<Vec<_>>();
    match p {
        Prediction::Float(a) => rows(
            &|i| {
                format!(
                    "{:?}",
                    a.index_axis(Axis(0), i)
                        .iter()
                        .map(|v| v.to_bits())
                        .collect::<Vec<_>>()
                )
            },
            a.shape()[0],
        ),
        Prediction::Int(a) => rows(&|i| format!("{:?}", a.index_axis(Axis(0), i)), a.shape()[0]),
        Prediction::Str(a) => rows(&|i| format!("{:?}", a.index_axis(Axis(0), i)), a.shape()[0]),
        other => panic!("unexpected output {other:?}"),
    }
}

/// Every method of the case's model on its first four rows with `BAD[k]` at `(row, column)`:
/// `E_INPUT` naming `(row, column)` where `refused[k]`, else the clean rows' outputs for the
/// other rows.
fn check(name: &str, column: usize, refused: [bool; 6]) {
    let dir = case(name);
    let model = Model::open(dir.join("model.amber")).unwrap();
    let file = std::fs::File::open(dir.join("input.npy")).unwrap();
    let clean = Array2::<f64>::read_npy(file).unwrap();
    let clean = clean.slice(ndarray::s![..4, ..]).to_owned();
    let row = 2;
    for method in model.methods() {
        let want = rows(&model.run(method, clean.view()).unwrap());
        for (&bad, &refuse) in BAD.iter().zip(&refused) {
            let mut x = clean.clone();
            x[[row, column]] = bad;
            let got = model.run(method, x.view());
            match (refuse, got) {
                (true, Err(e @ EstimatorError::NotFinite { .. })) => {
                    let EstimatorError::NotFinite {
                        row: r, column: c, ..
                    } = e
                    else {
                        unreachable!()
                    };
                    assert_eq!((r, c), (row, column), "{name} {method:?} {bad:e}");
                    assert_eq!(e.code(), "E_INPUT");
                    assert!(
                        e.to_string().starts_with("E_INPUT: the input's row 2"),
                        "{e}"
                    );
                }
                (false, Ok(p)) => {
                    let got = rows(&p);
                    for i in [0, 1, 3] {
                        assert_eq!(
                            got[i], want[i],
                            "{name} {method:?} {bad:e}: row {i} changed"
                        );
                    }
                }
                (refuse, got) => {
                    panic!("{name} {method:?} {bad:e}: refuse={refuse}, got {got:?}")
                }
            }
        }
    }
}

#[test]
fn linear_refuses_nan_and_infinities() {
    check("logistic_binary", 1, NON_FINITE);
    check("linear_regression_two_targets", 0, NON_FINITE);
}

#[test]
fn scalers_refuse_infinities_and_pass_nan() {
    check("standard_scaler", 1, INFINITE);
    check("robust_scaler-sk1.9.1", 1, INFINITE);
}

#[test]
fn binarizer_normalizer_and_validating_function_transformer_refuse_nan_and_infinities() {
    check("binarizer-sk1.9.1", 1, NON_FINITE);
    check("normalizer_l2-sk1.9.1", 1, NON_FINITE);
    check("function_transformer_log1p_validate-sk1.9.1", 1, NON_FINITE);
    check("function_transformer_sqrt-sk1.9.1", 1, NOTHING);
}

#[test]
fn float32_trees_refuse_what_the_cast_makes_infinite_and_take_nan() {
    check("decision_tree_classifier-sk1.9.1", 1, F32_INFINITE);
    check(
        "random_forest_regressor_two_targets-sk1.9.1",
        0,
        F32_INFINITE,
    );
}

#[test]
fn gradient_boosting_refuses_nan_infinities_and_float32_overflow() {
    check("gb_regressor_squared_error-sk1.9.1", 1, ALL);
    check("gb_regressor_init_tree-sk1.9.1", 1, ALL);
}

#[test]
fn hist_gradient_boosting_and_isolation_forests_take_every_value() {
    check("hgb_regressor_nan-sk1.9.1", 1, NOTHING);
    check("hgb_classifier_multiclass-sk1.9.1", 0, NOTHING);
    check("isolation_forest-sk1.9.1", 1, NOTHING);
}

#[test]
fn chains_refuse_nan_and_infinities_before_their_members() {
    // HistGradientBoosting members would take NaN: the chain refuses it first.
    check(
        "classifier_chain_hist_gradient_boosting_decision-sk1.9.1",
        1,
        NON_FINITE,
    );
    // Tree members add the float32 overflow.
    check("regressor_chain_tree-sk1.9.1", 1, ALL);
    // Side by side, the members decide.
    check(
        "multi_output_regressor_hist_gradient_boosting-sk1.9.1",
        1,
        NOTHING,
    );
}

#[test]
fn ada_boost_refuses_nan_and_infinities_then_its_members_decide() {
    check("ada_boost_samme_stumps-sk1.9.1", 1, ALL);
    check("ada_boost_samme_logistic-sk1.9.1", 1, NON_FINITE);
}

#[test]
fn compositions_without_a_check_of_their_own_follow_their_members() {
    // Voting of a scaler + logistic pipeline, trees and a forest: the linear step refuses
    // NaN, the trees the float32 overflow.
    check("voting_hard_weighted-sk1.9.1", 1, ALL);
    // HistGradientBoosting takes everything, the GradientBoosting member refuses it.
    check("stacking_multiclass_decision-sk1.9.1", 1, ALL);
    // A tree, HistGradientBoosting and a nested VotingRegressor: the tree's float32 rule.
    check("voting_regressor_dataframe-sk1.9.1", 1, F32_INFINITE);
}

#[test]
fn bagging_members_name_the_bagging_input_column() {
    // Every member reads every column of this case: the float32 trees decide, at the
    // bagging input's column.
    check("bagging_trees-sk1.9.1", 1, F32_INFINITE);
    // Members reading repeated subsets of 3 columns: a refused value is named by the
    // bagging input's column, never a member's own index.
    let dir = case("bagging_bootstrap_features_strings-sk1.9.1");
    let model = Model::open(dir.join("model.amber")).unwrap();
    let file = std::fs::File::open(dir.join("input.npy")).unwrap();
    let clean = Array2::<f64>::read_npy(file).unwrap();
    let mut refused = 0;
    for column in 0..clean.ncols() {
        let mut x = clean.slice(ndarray::s![..3, ..]).to_owned();
        x[[1, column]] = f64::INFINITY;
        match model.run(Method::Predict, x.view()) {
            Err(EstimatorError::NotFinite { row, column: c, .. }) => {
                assert_eq!((row, c), (1, column));
                refused += 1;
            }
            Ok(_) => {}
            Err(e) => panic!("{e}"),
        }
    }
    assert!(refused > 0);
}

#[test]
fn column_transformer_branches_name_the_composition_input_column() {
    // Pipeline(ColumnTransformer(scaler on some columns, passthrough by index), logistic):
    // the scaler refuses an infinity at the model's column; NaN passes it and the logistic
    // step refuses it.
    let dir = case("column_transformer_logistic-sk1.9.1");
    let model = Model::open(dir.join("model.amber")).unwrap();
    let file = std::fs::File::open(dir.join("input.npy")).unwrap();
    let clean = Array2::<f64>::read_npy(file).unwrap();
    for column in 0..clean.ncols() {
        for bad in [f64::INFINITY, f64::NAN] {
            let mut x = clean.slice(ndarray::s![..3, ..]).to_owned();
            x[[1, column]] = bad;
            match model.predict(x.view()) {
                Err(EstimatorError::NotFinite { row, .. }) => assert_eq!(row, 1),
                other => panic!("column {column}, {bad}: {other:?}"),
            }
        }
    }
}
