//! Tree ensembles built by hand: predictions from the spec's math, the zero-copy and
//! deferred-checksum paths on a mapped file, and every load rule of `spec/estimators.md`
//! ("TreeEnsemble") by name.

use amber_codec::model::{Body, Estimator, LeafValues, TreeInput};
use amber_codec::{ChecksumPolicy, Reader};
use amber_estimators::{Method, Model, Prediction};
use ndarray::{Array2, array};

use crate::build::*;
use crate::{assert_model_error, load};

const RF: &str = "sklearn.ensemble.RandomForestClassifier";
const RFR: &str = "sklearn.ensemble.RandomForestRegressor";

/// Two trees on two features.
///
/// Tree 0 (records 0..5): x0 <= 0.5 (NaN left) ? (x1 <= 0 ? row 0 : row 1) : row 2.
/// Tree 1 (records 5..8): x1 <= 1 ? row 3 : row 4.
fn records() -> Vec<Rec> {
    vec![
        split(MISSING_LEFT, 0.5, 4),
        split(1, 0.0, 3),
        leaf(0),
        leaf(1),
        leaf(2),
        split(1, 1.0, 7),
        leaf(3),
        leaf(4),
    ]
}

const FRACTIONS: [f64; 15] = [
    1.0, 0.0, 0.0, // row 0
    0.0, 1.0, 0.0, // row 1
    0.2, 0.2, 0.6, // row 2
    0.5, 0.25, 0.25, // row 3
    0.0, 0.0, 1.0, // row 4
];

fn forest_classifier() -> (Estimator, Vec<Tensor>) {
    (
        estimator(
            RF,
            2,
            tree_ensemble(LeafValues::Fractions, vec![ints(&[10, 20, 30]).unwrap()]),
        ),
        vec![
            nodes("nodes", &records()),
            u64s("tree_offsets", &[3], &[0, 5, 8]),
            f64s("values", &[5, 1, 3], &FRACTIONS),
        ],
    )
}

fn forest_regressor() -> (Estimator, Vec<Tensor>) {
    (
        estimator(RFR, 2, tree_ensemble(LeafValues::Regression, vec![])),
        vec![
            nodes("nodes", &records()),
            u64s("tree_offsets", &[3], &[0, 5, 8]),
            f64s("values", &[5, 1, 1], &[1.0, 2.0, 3.0, 10.0, 20.0]),
        ],
    )
}

fn inputs() -> Array2<f64> {
    array![[0.0, -1.0], [f64::NAN, 2.0], [1.0, 0.5]]
}

fn mean2(a: f64, b: f64) -> f64 {
    ((0.0 + a) + b) / 2.0
}

#[test]
fn forest_classifier_averages_its_trees() {
    let (e, t) = forest_classifier();
    let m = load(&e, &t);
    assert_eq!(m.methods(), vec![Method::Predict, Method::PredictProba]);
    let p = m.predict_proba(inputs().view()).unwrap();
    let want = array![
        [mean2(1.0, 0.5), mean2(0.0, 0.25), mean2(0.0, 0.25)],
        [mean2(0.0, 0.0), mean2(1.0, 0.0), mean2(0.0, 1.0)],
        [mean2(0.2, 0.5), mean2(0.2, 0.25), mean2(0.6, 0.25)],
    ];
    assert_eq!(p, want);
    // Row 1 ties classes 20 and 30 at 0.5: the lowest index wins.
    assert_eq!(
        m.predict(inputs().view()).unwrap(),
        Prediction::Int(array![10, 20, 30].into_dyn())
    );
    let multi = m.predict_proba_multi(inputs().view()).unwrap();
    assert_eq!(multi, vec![want]);
}

#[test]
fn forest_regressor_averages_its_trees() {
    let (e, t) = forest_regressor();
    let m = load(&e, &t);
    assert_eq!(m.methods(), vec![Method::Predict]);
    assert_eq!(
        m.predict(inputs().view()).unwrap(),
        Prediction::Float(array![mean2(1.0, 10.0), mean2(2.0, 20.0), mean2(3.0, 10.0)].into_dyn())
    );
    assert_eq!(
        m.predict_proba(inputs().view()).unwrap_err().code(),
        "E_METHOD"
    );
}

#[test]
fn single_tree_with_counts() {
    // Tree 0 alone; leaves hold weighted counts (scikit-learn < 1.4).
    let e = estimator(
        "sklearn.tree.DecisionTreeClassifier",
        2,
        tree_ensemble(LeafValues::Counts, vec![strs(&["a", "b"]).unwrap()]),
    );
    let t = [
        nodes("nodes", &records()[..5]),
        u64s("tree_offsets", &[2], &[0, 5]),
        f64s("values", &[3, 1, 2], &[3.0, 1.0, 0.0, 0.0, 2.0, 6.0]),
    ];
    let m = load(&e, &t);
    let p = m.predict_proba(inputs().view()).unwrap();
    // Row 1 sums to 0: divided by 1, it stays [0, 0].
    assert_eq!(
        p,
        array![[3.0 / 4.0, 1.0 / 4.0], [0.0, 0.0], [2.0 / 8.0, 6.0 / 8.0]]
    );
    assert_eq!(
        m.predict(inputs().view()).unwrap(),
        Prediction::Str(array!["a".to_owned(), "a".to_owned(), "b".to_owned()].into_dyn())
    );
}

fn multi_output() -> (Estimator, Vec<Tensor>) {
    // Two outputs: 2 classes (ints) and 3 classes (ints), C = 3; one tree, a stump on x1.
    let e = estimator(
        "sklearn.tree.ExtraTreeClassifier",
        2,
        tree_ensemble(
            LeafValues::Fractions,
            vec![ints(&[0, 1]).unwrap(), ints(&[5, 6, 7]).unwrap()],
        ),
    );
    let t = vec![
        nodes("nodes", &[split(1, 0.0, 2), leaf(0), leaf(1)]),
        u64s("tree_offsets", &[2], &[0, 3]),
        f64s(
            "values",
            &[2, 2, 3],
            &[0.25, 0.75, 0.0, 0.2, 0.3, 0.5, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0],
        ),
    ];
    (e, t)
}

#[test]
fn multi_output_classifier_has_one_proba_array_per_output() {
    let (e, t) = multi_output();
    let m = load(&e, &t);
    let x = array![[0.0, -1.0], [0.0, 1.0]];
    assert_eq!(
        m.predict(x.view()).unwrap(),
        Prediction::Int(array![[1, 7], [0, 6]].into_dyn())
    );
    let p = m.predict_proba_multi(x.view()).unwrap();
    assert_eq!(
        p,
        vec![
            array![[0.25, 0.75], [1.0, 0.0]],
            array![[0.2, 0.3, 0.5], [0.0, 1.0, 0.0]]
        ]
    );
    let err = m.predict_proba(x.view()).unwrap_err();
    assert_eq!(err.code(), "E_METHOD");
    assert!(err.to_string().contains("predict_proba_multi"), "{err}");
    assert_eq!(
        m.run(Method::PredictProba, x.view()).unwrap_err().code(),
        "E_METHOD"
    );
}

#[test]
fn a_forest_can_end_a_pipeline() {
    let (clf, mut t) = forest_classifier();
    let scaler = estimator(
        "sklearn.preprocessing.StandardScaler",
        2,
        scaler(None, Some("steps/s/scale_")),
    );
    t.push(f64s("steps/s/scale_", &[2], &[2.0, 2.0]));
    let e = estimator(
        "sklearn.pipeline.Pipeline",
        2,
        pipeline(vec![("s", Some(scaler)), ("f", Some(clf))]),
    );
    let m = load(&e, &t);
    let x = array![[0.0, -2.0], [f64::NAN, 4.0], [2.0, 1.0]];
    assert_eq!(
        m.predict(x.view()).unwrap(),
        Prediction::Int(array![10, 20, 30].into_dyn())
    );
    assert_eq!(m.predict_proba_multi(x.view()).unwrap().len(), 1);
}

/// `n` copies of tree 0, each with its own three value rows, row 0 of the first holding
/// `marker`: large enough (16 bytes a record) to be memory-mapped when opened from disk.
fn big_forest(n: u64, marker: f64) -> Vec<u8> {
    let mut recs = vec![];
    let mut offsets = vec![0];
    let mut values = vec![];
    for k in 0..n {
        let base = (k * 5) as u32;
        let row = (k * 3) as u32;
        recs.extend([
            split(MISSING_LEFT, 0.5, base + 4),
            split(1, 0.0, base + 3),
            leaf(row),
            leaf(row + 1),
            leaf(row + 2),
        ]);
        offsets.push((k + 1) * 5);
        values.extend([if k == 0 { marker } else { 1.0 }, 2.0, 3.0]);
    }
    let e = estimator(RFR, 2, tree_ensemble(LeafValues::Regression, vec![]));
    file(
        &e,
        &[
            nodes("nodes", &recs),
            u64s("tree_offsets", &[n + 1], &offsets),
            f64s("values", &[n * 3, 1, 1], &values),
        ],
    )
}

#[test]
fn mapped_forest_predicts_and_checks_value_checksums_at_open() {
    let marker = 0.123_456_789;
    let bytes = big_forest(2000, marker);
    assert!(bytes.len() > 64 << 10, "big enough to be mapped");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("forest.amber");
    std::fs::write(&path, &bytes).unwrap();
    let m = Model::open(&path).unwrap();
    let x = array![[0.0, -1.0], [0.0, 1.0], [1.0, 0.0]];
    let mut sum0 = 0.0 + marker;
    for _ in 1..2000 {
        sum0 += 1.0;
    }
    assert_eq!(
        m.predict(x.view()).unwrap(),
        Prediction::Float(array![sum0 / 2000.0, 2.0, 3.0].into_dyn())
    );

    // Damage one byte of the values: a default open refuses the file, and so does a
    // deferred one, since rule 8 (finite values) reads the values at open.
    let at = bytes
        .windows(8)
        .position(|w| w == marker.to_le_bytes())
        .unwrap();
    let mut damaged = bytes.clone();
    damaged[at] ^= 1;
    std::fs::write(&path, &damaged).unwrap();
    assert_eq!(Model::open(&path).unwrap_err().code(), "E_TENSOR_CHECKSUM");
    let deferred = Reader::builder()
        .checksums(ChecksumPolicy::Deferred)
        .build();
    assert_eq!(
        Model::open_with(&path, &deferred).unwrap_err().code(),
        "E_TENSOR_CHECKSUM"
    );

    // Node records are checked record by record at open, so their checksum is verified
    // there even when deferred.
    let mut record = 0.5f64.to_le_bytes().to_vec();
    record.extend(MISSING_LEFT.to_le_bytes());
    record.extend(4u32.to_le_bytes());
    let at = bytes.windows(16).position(|w| w == record).unwrap();
    let mut damaged = bytes;
    damaged[at + 7] ^= 0x40;
    std::fs::write(&path, &damaged).unwrap();
    let err = Model::open_with(&path, &deferred).unwrap_err();
    assert_eq!(err.code(), "E_TENSOR_CHECKSUM");
}

#[test]
fn batch_equals_rows_one_by_one() {
    let bytes = big_forest(300, 0.5);
    let m = Model::from_bytes(bytes).unwrap();
    let n = 5000;
    let x = Array2::from_shape_fn((n, 2), |(i, j)| {
        if i % 17 == 0 && j == 0 {
            f64::NAN
        } else {
            ((i * 31 + j * 7) % 23) as f64 / 11.0 - 1.0
        }
    });
    let Prediction::Float(batch) = m.predict(x.view()).unwrap() else {
        panic!("floats expected")
    };
    for i in 0..n {
        let Prediction::Float(one) = m.predict(x.slice(ndarray::s![i..=i, ..])).unwrap() else {
            panic!("floats expected")
        };
        assert_eq!(one[[0]].to_bits(), batch[[i]].to_bits(), "row {i}");
    }
}

// ---------------------------------------------------------------------------- rules

fn with_tensor(t: &mut [Tensor], replacement: Tensor) {
    let slot = t.iter_mut().find(|x| x.name == replacement.name).unwrap();
    *slot = replacement;
}

fn tree_mut(e: &mut Estimator) -> &mut amber_codec::model::TreeEnsemble {
    match &mut e.body {
        Body::TreeEnsemble(t) => t,
        _ => panic!("not a tree ensemble"),
    }
}

#[test]
fn rejects_nodes_of_wrong_dtype_or_shape() {
    let (e, mut t) = forest_classifier();
    with_tensor(&mut t, f64s("nodes", &[8, 2], &[0.0; 16]));
    assert_model_error(&e, &t, "estimator.tree_ensemble.nodes");
    let (e, mut t) = forest_classifier();
    let mut n = nodes("nodes", &records());
    n.shape = vec![16, 8];
    with_tensor(&mut t, n);
    assert_model_error(&e, &t, "estimator.tree_ensemble.nodes");
}

#[test]
fn rejects_empty_nodes() {
    let (e, mut t) = forest_classifier();
    with_tensor(&mut t, nodes("nodes", &[]));
    assert_model_error(&e, &t, "estimator.tree_ensemble.nodes");
}

#[test]
fn rejects_tree_offsets_without_a_tree() {
    let (e, mut t) = forest_classifier();
    with_tensor(&mut t, u64s("tree_offsets", &[1], &[0]));
    assert_model_error(&e, &t, "estimator.tree_ensemble.tree_offsets");
}

#[test]
fn rejects_tree_offsets_of_wrong_dtype() {
    let (e, mut t) = forest_classifier();
    with_tensor(&mut t, i64s("tree_offsets", &[3], &[0, 5, 8]));
    assert_model_error(&e, &t, "estimator.tree_ensemble.tree_offsets");
}

#[test]
fn rejects_tree_offsets_not_from_zero() {
    let (e, mut t) = forest_classifier();
    with_tensor(&mut t, u64s("tree_offsets", &[3], &[1, 5, 8]));
    assert_model_error(&e, &t, "estimator.tree_ensemble.tree_offsets");
}

#[test]
fn rejects_tree_offsets_not_strictly_increasing() {
    let (e, mut t) = forest_classifier();
    with_tensor(&mut t, u64s("tree_offsets", &[4], &[0, 5, 5, 8]));
    assert_model_error(&e, &t, "estimator.tree_ensemble.tree_offsets");
}

#[test]
fn rejects_tree_offsets_not_ending_at_n_nodes() {
    let (e, mut t) = forest_classifier();
    with_tensor(&mut t, u64s("tree_offsets", &[3], &[0, 5, 7]));
    assert_model_error(&e, &t, "estimator.tree_ensemble.tree_offsets");
    with_tensor(&mut t, u64s("tree_offsets", &[3], &[0, 5, 9]));
    assert_model_error(&e, &t, "estimator.tree_ensemble.tree_offsets");
}

#[test]
fn rejects_values_of_wrong_rank_or_dtype() {
    let (e, mut t) = forest_classifier();
    with_tensor(&mut t, f64s("values", &[5, 3], &FRACTIONS));
    assert_model_error(&e, &t, "estimator.tree_ensemble.values");
    with_tensor(&mut t, f32s("values", &[5, 1, 3], &[0.0; 15]));
    assert_model_error(&e, &t, "estimator.tree_ensemble.values");
}

#[test]
fn rejects_values_without_outputs_or_columns() {
    let (e, mut t) = forest_classifier();
    with_tensor(&mut t, f64s("values", &[5, 0, 3], &[]));
    assert_model_error(&e, &t, "estimator.tree_ensemble.values");
    let (e, mut t) = forest_regressor();
    with_tensor(&mut t, f64s("values", &[5, 1, 0], &[]));
    assert_model_error(&e, &t, "estimator.tree_ensemble.values");
}

#[test]
fn rejects_regressor_with_classes() {
    let (mut e, t) = forest_regressor();
    tree_mut(&mut e).classes = vec![ints(&[0]).unwrap()];
    assert_model_error(&e, &t, "estimator.tree_ensemble.classes");
}

#[test]
fn rejects_regressor_with_more_than_one_column() {
    let (e, mut t) = forest_regressor();
    with_tensor(&mut t, f64s("values", &[5, 1, 2], &[0.0; 10]));
    assert_model_error(&e, &t, "estimator.tree_ensemble.values");
}

#[test]
fn rejects_classifier_with_classes_for_another_output_count() {
    let (mut e, t) = forest_classifier();
    tree_mut(&mut e).classes.push(ints(&[1, 2]).unwrap());
    assert_model_error(&e, &t, "estimator.tree_ensemble.classes");
    tree_mut(&mut e).classes.clear();
    assert_model_error(&e, &t, "estimator.tree_ensemble.classes");
}

#[test]
fn rejects_more_classes_than_columns() {
    let (mut e, t) = forest_classifier();
    tree_mut(&mut e).classes = vec![ints(&[1, 2, 3, 4]).unwrap()];
    assert_model_error(&e, &t, "estimator.tree_ensemble.classes");
}

#[test]
fn rejects_an_output_without_classes() {
    let (mut e, t) = forest_classifier();
    tree_mut(&mut e).classes = vec![ints(&[]).unwrap()];
    assert_model_error(&e, &t, "estimator.tree_ensemble.classes");
}

#[test]
fn rejects_repeated_classes() {
    let (mut e, t) = forest_classifier();
    tree_mut(&mut e).classes = vec![strs(&["a", "b", "a"]).unwrap()];
    assert_model_error(&e, &t, "estimator.tree_ensemble.classes");
}

#[test]
fn accepts_fewer_classes_than_columns() {
    // A multi-output model pads the smaller outputs: here one output uses 2 of 3 columns.
    let (mut e, mut t) = forest_classifier();
    tree_mut(&mut e).classes = vec![ints(&[1, 2]).unwrap()];
    let padded = [
        1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.4, 0.6, 0.0, 0.5, 0.5, 0.0, 0.0, 1.0, 0.0,
    ];
    with_tensor(&mut t, f64s("values", &[5, 1, 3], &padded));
    let m = load(&e, &t);
    assert_eq!(m.predict_proba(inputs().view()).unwrap().shape(), [3, 2]);
    // The padding column must be 0 (a reader that takes the argmax over every column, as
    // scikit-learn's single multi-output tree does, would otherwise pick it).
    let (e, t) = (e, {
        let mut t = t;
        with_tensor(&mut t, f64s("values", &[5, 1, 3], &FRACTIONS));
        t
    });
    assert_model_error(&e, &t, "estimator.tree_ensemble.values");
}

#[test]
fn rejects_non_finite_values() {
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let (e, mut t) = forest_regressor();
        with_tensor(
            &mut t,
            f64s("values", &[5, 1, 1], &[1.0, 2.0, bad, 10.0, 20.0]),
        );
        assert_model_error(&e, &t, "estimator.tree_ensemble.values");
    }
}

#[test]
fn rejects_negative_class_weights() {
    let (e, mut t) = forest_classifier();
    let mut v = FRACTIONS;
    v[4] = -0.5;
    with_tensor(&mut t, f64s("values", &[5, 1, 3], &v));
    assert_model_error(&e, &t, "estimator.tree_ensemble.values");
}

#[test]
fn rejects_a_leaf_row_other_than_the_prescribed_one() {
    // Leaves only: leaf k in record order is row k (here two leaves swap their rows).
    let mut r = records();
    r[2] = leaf(1);
    r[3] = leaf(0);
    let (e, t) = with_records(&r);
    assert_model_error(&e, &t, "estimator.tree_ensemble.nodes");
    // Leaves only: one row per leaf, no more.
    let (e, mut t) = forest_classifier();
    let mut v = FRACTIONS.to_vec();
    v.extend([1.0, 0.0, 0.0]);
    with_tensor(&mut t, f64s("values", &[6, 1, 3], &v));
    assert_model_error(&e, &t, "estimator.tree_ensemble.values");
}

fn with_records(recs: &[Rec]) -> (Estimator, Vec<Tensor>) {
    let (e, mut t) = forest_classifier();
    with_tensor(&mut t, nodes("nodes", recs));
    (e, t)
}

#[test]
fn rejects_leaf_row_out_of_range() {
    let mut r = records();
    r[7] = leaf(5);
    let (e, t) = with_records(&r);
    assert_model_error(&e, &t, "estimator.tree_ensemble.nodes");
}

#[test]
fn rejects_feature_out_of_range() {
    let mut r = records();
    r[5] = split(2, 1.0, 7);
    let (e, t) = with_records(&r);
    assert_model_error(&e, &t, "estimator.tree_ensemble.nodes");
    // The missing-goes-left bit is not part of the index, but the other 31 bits are.
    r[5] = split(MISSING_LEFT | 2, 1.0, 7);
    let (e, t) = with_records(&r);
    assert_model_error(&e, &t, "estimator.tree_ensemble.nodes");
}

#[test]
fn rejects_internal_node_without_room_for_its_left_child() {
    // The last record of tree 0 is internal: its left child would be tree 1's root.
    let mut r = records();
    r[4] = split(0, 0.0, 4);
    let (e, t) = with_records(&r);
    assert_model_error(&e, &t, "estimator.tree_ensemble.nodes");
}

#[test]
fn rejects_back_pointer_cycle() {
    // Record 1's right child is record 0: a cycle if it were followed.
    let mut r = records();
    r[1] = split(1, 0.0, 0);
    let (e, t) = with_records(&r);
    assert_model_error(&e, &t, "estimator.tree_ensemble.nodes");
    // A node that is its own right child.
    r[1] = split(1, 0.0, 1);
    let (e, t) = with_records(&r);
    assert_model_error(&e, &t, "estimator.tree_ensemble.nodes");
}

#[test]
fn rejects_right_child_equal_to_the_left() {
    let mut r = records();
    r[1] = split(1, 0.0, 2);
    let (e, t) = with_records(&r);
    assert_model_error(&e, &t, "estimator.tree_ensemble.nodes");
}

#[test]
fn rejects_right_child_outside_its_tree() {
    // Record 0's right child is tree 1's root: inside the file, outside the tree.
    let mut r = records();
    r[0] = split(0, 0.5, 5);
    let (e, t) = with_records(&r);
    assert_model_error(&e, &t, "estimator.tree_ensemble.nodes");
    // Past the last record.
    let mut r = records();
    r[5] = split(1, 1.0, 8);
    let (e, t) = with_records(&r);
    assert_model_error(&e, &t, "estimator.tree_ensemble.nodes");
}

#[test]
fn rejects_values_for_every_node_with_fewer_rows() {
    let (mut e, t) = forest_classifier();
    tree_mut(&mut e).values_for_every_node = true;
    assert_model_error(&e, &t, "estimator.tree_ensemble.values");
    // With one row per node, a leaf's row being its own record's, it loads.
    let (mut e, mut t) = forest_classifier();
    tree_mut(&mut e).values_for_every_node = true;
    let mut r = records();
    for i in [2, 3, 4, 6, 7] {
        r[i] = leaf(i as u32);
    }
    with_tensor(&mut t, nodes("nodes", &r));
    let mut v = FRACTIONS.to_vec();
    v.extend([0.0; 9]);
    with_tensor(&mut t, f64s("values", &[8, 1, 3], &v));
    load(&e, &t);
    // Every node's row, but a leaf pointing at another leaf's row: E_MODEL.
    r[2] = leaf(3);
    with_tensor(&mut t, nodes("nodes", &r));
    assert_model_error(&e, &t, "estimator.tree_ensemble.nodes");
}

fn with_provenance() -> (Estimator, Vec<Tensor>) {
    let (mut e, mut t) = forest_classifier();
    let body = tree_mut(&mut e);
    body.impurity = Some("impurity".into());
    body.n_node_samples = Some("n_node_samples".into());
    body.weighted_n_node_samples = Some("weighted_n_node_samples".into());
    body.node_ids = Some("node_ids".into());
    t.extend([
        f64s("impurity", &[8], &[0.5; 8]),
        i64s("n_node_samples", &[8], &[4; 8]),
        f64s("weighted_n_node_samples", &[8], &[4.0; 8]),
        u32s("node_ids", &[8], &[0, 1, 3, 4, 2, 0, 2, 1]),
    ]);
    (e, t)
}

#[test]
fn provenance_tensors_load() {
    let (e, t) = with_provenance();
    load(&e, &t);
}

#[test]
fn rejects_impurity_of_wrong_shape() {
    let (e, mut t) = with_provenance();
    with_tensor(&mut t, f64s("impurity", &[7], &[0.5; 7]));
    assert_model_error(&e, &t, "estimator.tree_ensemble.impurity");
}

#[test]
fn rejects_n_node_samples_of_wrong_dtype() {
    let (e, mut t) = with_provenance();
    with_tensor(&mut t, f64s("n_node_samples", &[8], &[4.0; 8]));
    assert_model_error(&e, &t, "estimator.tree_ensemble.n_node_samples");
}

#[test]
fn rejects_weighted_n_node_samples_of_wrong_dtype() {
    let (e, mut t) = with_provenance();
    with_tensor(&mut t, i64s("weighted_n_node_samples", &[8], &[4; 8]));
    assert_model_error(&e, &t, "estimator.tree_ensemble.weighted_n_node_samples");
}

#[test]
fn rejects_node_ids_of_wrong_dtype() {
    let (e, mut t) = with_provenance();
    with_tensor(&mut t, u64s("node_ids", &[8], &[0, 1, 3, 4, 2, 0, 2, 1]));
    assert_model_error(&e, &t, "estimator.tree_ensemble.node_ids");
}

#[test]
fn rejects_node_ids_that_are_not_a_permutation_per_tree() {
    let (e, mut t) = with_provenance();
    // Tree 1 has 3 records: id 3 is out of its range.
    with_tensor(&mut t, u32s("node_ids", &[8], &[0, 1, 3, 4, 2, 0, 3, 1]));
    assert_model_error(&e, &t, "estimator.tree_ensemble.node_ids");
    // Tree 0 repeats id 1.
    with_tensor(&mut t, u32s("node_ids", &[8], &[0, 1, 1, 4, 2, 0, 2, 1]));
    assert_model_error(&e, &t, "estimator.tree_ensemble.node_ids");
}

#[test]
fn rejects_node_ids_whose_root_is_not_node_0() {
    // scikit-learn starts every traversal at node 0, this format at a tree's first record.
    let (e, mut t) = with_provenance();
    with_tensor(&mut t, u32s("node_ids", &[8], &[0, 1, 3, 4, 2, 1, 2, 0]));
    assert_model_error(&e, &t, "estimator.tree_ensemble.node_ids");
}

#[test]
fn rejects_zero_n_features_in() {
    let (mut e, t) = forest_classifier();
    e.n_features_in = 0;
    assert_model_error(&e, &t, "estimator.n_features_in");
}

#[test]
fn f64_input_compares_as_is() {
    // x0 is the float64 just above 0.5: as float32 it would be 0.5 and go left; compared as
    // is it goes right.
    let (mut e, t) = forest_regressor();
    tree_mut(&mut e).input = TreeInput::F64;
    let m = load(&e, &t);
    let x0 = f64::from_bits(0.5f64.to_bits() + 1);
    assert_eq!(
        m.predict(array![[x0, -1.0]].view()).unwrap(),
        Prediction::Float(array![mean2(3.0, 10.0)].into_dyn())
    );
}
