//! Files that crashed the reader (issue #8, `tests/hostile/`): each declares a huge
//! `n_features_in` (1e6 .. 2^61) that no tensor backs. Opening one aborted (a 34 GB
//! allocation), panicked (`capacity overflow`) or took 1.5 GB; now each opens in constant
//! memory (they are valid files: a width is not limited) and an input of another width is
//! `E_INPUT`. An abort or panic here fails the test binary.

use std::path::PathBuf;

use amber_estimators::Model;
use ndarray::Array2;

fn open(name: &str) -> Model {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/hostile")
        .join(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Model::from_bytes(bytes).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Opens `name`, which declares `width` features, and predicts on 3 columns: `E_INPUT`.
fn opens_and_refuses_a_narrow_input(name: &str, width: usize) {
    let m = open(name);
    assert_eq!(m.n_features_in(), width, "{name}");
    for method in m.methods() {
        let err = m
            .run(method, Array2::zeros((1, 3)).view())
            .expect_err("a 3-column input is not this model's");
        assert_eq!(err.code(), "E_INPUT", "{name} {method:?}: {err}");
    }
}

#[test]
fn hgb_categorical_1e6_features() {
    opens_and_refuses_a_narrow_input("nfeat_hgb_cat_1e6.amber", 1_000_000);
}

#[test]
fn hgb_categorical_1e8_features() {
    opens_and_refuses_a_narrow_input("nfeat_hgb_cat_1e8.amber", 100_000_000);
}

#[test]
fn hgb_categorical_2p33_features_does_not_abort() {
    opens_and_refuses_a_narrow_input("nfeat_hgb_cat_2p33.amber", 1 << 33);
}

#[test]
fn hgb_categorical_2p61_features_does_not_panic() {
    opens_and_refuses_a_narrow_input("nfeat_hgb_cat_2p61.amber", 1 << 61);
}

#[test]
fn hgb_numeric_1e8_features() {
    opens_and_refuses_a_narrow_input("nfeat_hgb_num_1e8.amber", 100_000_000);
}

#[test]
fn hgb_numeric_2p33_features() {
    opens_and_refuses_a_narrow_input("nfeat_hgb_num_2p33.amber", 1 << 33);
}

#[test]
fn gb_tree_init_1e8_features_takes_no_gigabytes() {
    opens_and_refuses_a_narrow_input("nfeat_gb_tree_init_1e8.amber", 100_000_000);
}

#[test]
fn gb_tree_init_2p33_features_does_not_abort() {
    opens_and_refuses_a_narrow_input("nfeat_gb_tree_init_2p33.amber", 1 << 33);
}

#[test]
fn gb_tree_init_2p61_features_does_not_panic() {
    opens_and_refuses_a_narrow_input("nfeat_gb_tree_init_2p61.amber", 1 << 61);
}

#[test]
fn iforest_max_features_1e6() {
    opens_and_refuses_a_narrow_input("nfeat_iforest_maxfeat_1e6.amber", 1_000_000);
}

#[test]
fn iforest_max_features_1e8() {
    opens_and_refuses_a_narrow_input("nfeat_iforest_maxfeat_1e8.amber", 100_000_000);
}

#[test]
fn iforest_max_features_2p61() {
    opens_and_refuses_a_narrow_input("nfeat_iforest_maxfeat_2p61.amber", 1 << 61);
}

#[test]
fn fuzzed_categorical_boosting_does_not_abort() {
    // A libFuzzer mutant: categorical HistGradientBoosting with n_features_in of 2^53.
    let m = open("fuzz_s2_rustcrash_b30_m95.amber");
    let err = m
        .run(m.methods()[0], Array2::zeros((1, 3)).view())
        .expect_err("a 3-column input is not this model's");
    assert_eq!(err.code(), "E_INPUT");
}

// Compositions over trees declaring 2^40 features (every member too): building one listed
// its members' column kinds, one per declared feature, and aborted on a 1 TiB allocation.
// Members that read numbers only are now not listed (`check_members_agree`).

#[test]
fn calibration_of_forests_2p40_features_does_not_abort() {
    opens_and_refuses_a_narrow_input("nfeat_2p40_calibration.amber", 1 << 40);
}

#[test]
fn one_vs_rest_of_forests_2p40_features_does_not_abort() {
    opens_and_refuses_a_narrow_input("nfeat_2p40_multiclass.amber", 1 << 40);
}

#[test]
fn multi_output_of_boosting_2p40_features_does_not_abort() {
    opens_and_refuses_a_narrow_input("nfeat_2p40_multi_output.amber", 1 << 40);
}

#[test]
fn stacking_of_trees_2p40_features_is_a_model_error() {
    // Its final estimator then declares 2^40 features too, not the members' output width.
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/hostile/nfeat_2p40_stacking.amber");
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let err = Model::from_bytes(bytes).expect_err("the final estimator's width is wrong");
    assert_eq!(err.code(), "E_MODEL", "{err}");
}
