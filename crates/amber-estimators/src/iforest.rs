//! `IsolationForest`: anomaly scores from the trees' path lengths — the `IsolationForest`
//! body.
//!
//! Mirrors scikit-learn 1.9.1 and 1.3.2 alike, `sklearn/ensemble/_iforest.py`
//! (`spec/estimators.md`, section "IsolationForest", has the full math and the rules):
//! - `_compute_score_samples`: `depths` starts at `0.0` and each tree in order adds the
//!   value of the leaf the row reaches — the writer stored scikit-learn's per-leaf term
//!   `_decision_path_lengths[leaf] + _average_path_length_per_tree[leaf] - 1.0`, computed
//!   with the producer's own floats, and the trees' split features are input columns (each
//!   tree's `estimators_features_` subset resolved). The trees traverse as every
//!   `TREE_INPUT_F32` tree does (the `tree` module: `(x as f32) as f64 <= threshold`, NaN
//!   following the missing-goes-left bit), so `depths` is bit-exact. No value is refused:
//!   1.9.1's `score_samples` validates with `ensure_all_finite=False`, so an infinity or a
//!   value beyond float32's range compares as its float32 rounding, an infinity (1.3.2
//!   refused them; `spec/estimators.md`, IsolationForest rule on inputs);
//! - then `score_samples = -(2^(-(depths / denominator)))`, where a zero denominator (one
//!   training sample) makes the quotient 1 (`np.divide(..., out=np.ones_like(depths),
//!   where=denominator != 0)`), so every score is `-0.5`;
//! - `decision_function = score_samples - offset` (`IsolationForest.decision_function`);
//! - `predict`: `-1` where `decision_function < 0`, else `1`, as i64 (`np.ones_like(...,
//!   dtype=int)`, then `is_inlier[decision_func < 0] = -1`).
//!
//! **Exactness.** `2^e` is `f64::powf`, the C library's `pow`. numpy computes `2 ** a` with
//! the same `pow`, except on a CPU with AVX-512, where its `power` loop is a SIMD routine that
//! differs from `pow` by one unit in the last place on a few percent of inputs (5.1% of
//! 200,000 scores with numpy 2.4.6). So `score_samples` and `decision_function` agree with
//! scikit-learn bit for bit where numpy calls `pow`, and within 1 ulp of the score (at most
//! 1.1e-16, as scores lie in `[-1, 0)`) otherwise; `depths` itself is always exact, and so is
//! every label whose `decision_function` is not within that of 0.

use std::fmt::Debug;
use std::ops::Deref;
use std::sync::Arc;

use amber_codec::Container;
use amber_codec::model;
use ndarray::{Array1, Array2, ArrayD, ArrayView2, Axis};

use crate::error::{EstimatorError, Result};
use crate::method::{Method, Prediction};
use crate::traits::{DecisionFunction, Estimator, Predict, ScoreSamples};
use crate::tree::{self, TreeEnsemble};

/// A validated isolation forest.
#[derive(Debug)]
pub(crate) struct IsolationForest {
    /// Regression leaves holding each leaf's path-length term; features are input columns.
    trees: TreeEnsemble,
    /// `n_estimators * c(max_samples)`: finite and `>= 0`.
    denominator: f64,
    /// `offset_`: finite.
    offset: f64,
}

impl IsolationForest {
    /// `depths`: for each row, `0.0` plus each tree's leaf value, in tree order.
    fn depths(&self, x: ArrayView2<'_, f64>) -> Result<Array1<f64>> {
        let mut raw = Array2::zeros((x.nrows(), 1));
        // Scale 1: `raw += 1.0 * v` is `raw += v` exactly.
        self.trees.add_scaled_leaves(x, 1.0, &mut raw)?;
        Ok(raw.index_axis_move(Axis(1), 0))
    }

    /// The score of a row whose trees' terms sum to `depth`.
    fn score(&self, depth: f64) -> f64 {
        // np.divide(depths, denominator, out=ones, where=denominator != 0).
        let quotient = if self.denominator != 0.0 {
            depth / self.denominator
        } else {
            1.0
        };
        // The C library's pow, as numpy's `2 ** a` calls it (off AVX-512). With a constant
        // base LLVM rewrites `pow(2, y)` as `exp2(y)`, whose last bit differs on about 0.1% of
        // scores (measured: 214 of 200,000); an opaque base keeps the call to pow.
        let two = std::hint::black_box(2.0f64);
        -(two.powf(-quotient))
    }
}

impl ScoreSamples for IsolationForest {
    fn score_samples(&self, x: ArrayView2<'_, f64>) -> Result<Array1<f64>> {
        Ok(self.depths(x)?.mapv_into(|d| self.score(d)))
    }
}

impl DecisionFunction for IsolationForest {
    fn decision_function(&self, x: ArrayView2<'_, f64>) -> Result<ArrayD<f64>> {
        let offset = self.offset;
        Ok(self.score_samples(x)?.mapv_into(|s| s - offset).into_dyn())
    }
}

impl Predict for IsolationForest {
    fn predict(&self, x: ArrayView2<'_, f64>) -> Result<Prediction> {
        let offset = self.offset;
        let labels = self
            .score_samples(x)?
            .mapv(|s| if s - offset < 0.0 { -1i64 } else { 1 });
        Ok(Prediction::Int(labels.into_dyn()))
    }
}

impl Estimator for IsolationForest {
    fn predicts_1d(&self) -> bool {
        true
    }
    fn numeric_columns(&self, method: Method) -> Option<usize> {
        // predict: i64 labels -1 and 1, [n]; decision_function: [n]; no predict_proba.
        matches!(method, Method::Predict | Method::DecisionFunction).then_some(1)
    }
    fn n_features_in(&self) -> usize {
        self.trees.n_features_in()
    }
    fn as_predict(&self) -> Option<&dyn Predict> {
        Some(self)
    }
    fn as_decision_function(&self) -> Option<&dyn DecisionFunction> {
        Some(self)
    }
    fn as_score_samples(&self) -> Option<&dyn ScoreSamples> {
        Some(self)
    }
}

/// Builds the runtime of an `IsolationForest` body, checking its rules (`spec/estimators.md`,
/// "IsolationForest"): the trees' (TreeEnsemble rules, regression leaves, one output and one
/// column), a finite denominator `>= 0` and a finite offset.
pub(crate) fn build<B: Deref<Target = [u8]> + Debug + Send + Sync + 'static>(
    c: &Arc<Container<B>>,
    body: &model::IsolationForest,
    n_features: usize,
    path: &str,
) -> Result<IsolationForest> {
    let field = |f: &str| format!("{path}.isolation_forest.{f}");
    if !(body.denominator.is_finite() && body.denominator >= 0.0) {
        return Err(EstimatorError::model(
            field("denominator"),
            format!("must be finite and >= 0, is {}", body.denominator),
        ));
    }
    if !body.offset.is_finite() {
        return Err(EstimatorError::model(
            field("offset"),
            format!("must be finite, is {}", body.offset),
        ));
    }
    let trees = tree::build_raw_trees(c, &body.trees, n_features, &field("trees"))?;
    Ok(IsolationForest {
        trees,
        denominator: body.denominator,
        offset: body.offset,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::method::Method;
    use crate::model::Model;
    use crate::tree::record;
    use amber_codec::model::{Body, LeafValues, Producer, TreeInput};
    use amber_codec::{DType, TensorData, encode};
    use ndarray::array;

    const LEAF: u32 = u32::MAX;

    fn trees_body() -> model::TreeEnsemble {
        model::TreeEnsemble::new(
            "trees/nodes",
            "trees/tree_offsets",
            "trees/values",
            TreeInput::F32,
            LeafValues::Regression,
        )
    }

    /// Two trees on two features. Tree 0: x1 <= `t0` ? leaf 0 : leaf 1. Tree 1: x0 <= -1
    /// (NaN left) ? leaf 2 : leaf 3. `rows` are the leaves' rows of `values`, whose entries
    /// are path-length terms.
    fn file_with(
        t0: f64,
        rows: [u32; 4],
        denominator: f64,
        offset: f64,
        values: &[f64],
    ) -> Vec<u8> {
        let mut nodes = record(t0, 1, 2);
        nodes.extend(record(0.0, LEAF, rows[0]));
        nodes.extend(record(0.0, LEAF, rows[1]));
        nodes.extend(record(-1.0, 1 << 31, 5));
        nodes.extend(record(0.0, LEAF, rows[2]));
        nodes.extend(record(0.0, LEAF, rows[3]));
        let offsets: Vec<u8> = [0u64, 3, 6].iter().flat_map(|v| v.to_le_bytes()).collect();
        let vals: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        let n_values = values.len() as u64;
        let tensors = [
            TensorData {
                name: "trees/nodes",
                dtype: DType::U8,
                shape: &[6, 16],
                bytes: &nodes,
            },
            TensorData {
                name: "trees/tree_offsets",
                dtype: DType::U64,
                shape: &[3],
                bytes: &offsets,
            },
            TensorData {
                name: "trees/values",
                dtype: DType::F64,
                shape: &[n_values, 1, 1],
                bytes: &vals,
            },
        ];
        let estimator = model::Estimator {
            producer_type: "sklearn.ensemble.IsolationForest".into(),
            params: vec![],
            attributes: vec![],
            n_features_in: 2,
            feature_names_in: vec![],
            body: Body::IsolationForest(model::IsolationForest {
                trees: trees_body(),
                denominator,
                offset,
            }),
        };
        encode(&[], &Producer::default(), &estimator, &tensors).unwrap()
    }

    fn file(denominator: f64, offset: f64, values: &[f64; 4]) -> Vec<u8> {
        file_with(0.5, [0, 1, 2, 3], denominator, offset, values)
    }

    /// The C library's `pow(2, y)` (an opaque base: not rewritten as `exp2`).
    fn pow2(y: f64) -> f64 {
        std::hint::black_box(2.0f64).powf(y)
    }

    fn floats(p: Prediction) -> Vec<f64> {
        match p {
            Prediction::Float(a) => a.iter().copied().collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn scores_sum_the_leaf_terms_in_tree_order_then_take_the_power() {
        let m = Model::from_bytes(file(6.0, -0.5, &[1.5, 4.25, 2.0, 0.1])).unwrap();
        assert_eq!(
            m.methods(),
            vec![
                Method::Predict,
                Method::DecisionFunction,
                Method::ScoreSamples
            ]
        );
        let x = array![[0.0, 0.0], [0.0, 1.0], [f64::NAN, 1.0]];
        let depths = [0.0 + 1.5 + 0.1, 0.0 + 4.25 + 0.1, 0.0 + 4.25 + 2.0];
        let want: Vec<f64> = depths.iter().map(|d| -pow2(-(d / 6.0))).collect();
        let got = m.score_samples(x.view()).unwrap().to_vec();
        assert_eq!(got, want);
        let decision: Vec<f64> = want.iter().map(|s| s - -0.5).collect();
        assert_eq!(
            floats(m.run(Method::DecisionFunction, x.view()).unwrap()),
            decision
        );
        assert_eq!(floats(m.run(Method::ScoreSamples, x.view()).unwrap()), want);
    }

    #[test]
    fn predict_is_minus_one_below_zero_and_one_at_or_above() {
        // depths 2 and 4 over denominator 4: scores -2^-0.5 and -0.5; offset -0.5 puts the
        // second exactly at 0 (an inlier) and the first below.
        let m = Model::from_bytes(file(4.0, -0.5, &[1.0, 3.0, 1.0, 1.0])).unwrap();
        let x = array![[0.0, 0.0], [0.0, 1.0]];
        assert_eq!(
            m.decision_function(x.view()).unwrap()[1].to_bits(),
            0.0f64.to_bits()
        );
        assert_eq!(
            m.predict(x.view()).unwrap(),
            Prediction::Int(array![-1, 1].into_dyn())
        );
    }

    #[test]
    fn zero_denominator_scores_minus_one_half() {
        let m = Model::from_bytes(file(0.0, -0.5, &[0.0; 4])).unwrap();
        let x = array![[0.0, 0.0], [3.0, -7.0]];
        assert_eq!(m.score_samples(x.view()).unwrap().to_vec(), [-0.5, -0.5]);
        assert_eq!(
            m.predict(x.view()).unwrap(),
            Prediction::Int(array![1, 1].into_dyn())
        );
    }

    #[test]
    fn f64_just_above_an_f32_threshold_goes_left() {
        // scikit-learn casts X to float32: x1 one f64 step above the float32 threshold rounds
        // back onto it and goes left (leaf 0, term 1.0), not right (leaf 1, term 3.0).
        let t = f64::from(0.1f32);
        let m = Model::from_bytes(file_with(t, [0, 1, 2, 3], 6.0, -0.5, &[1.0, 3.0, 0.0, 0.0]))
            .unwrap();
        let above = f64::from_bits(t.to_bits() + 1);
        let x = array![[0.0, above], [0.0, t], [0.0, 0.4]];
        let s = m.score_samples(x.view()).unwrap();
        assert_eq!(s[0], s[1]);
        assert_ne!(s[0], s[2]);
        assert_eq!(s[0], -pow2(-((0.0 + 1.0 + 0.0) / 6.0)));
    }

    #[test]
    fn rejects_a_negative_or_nan_denominator_and_a_nan_offset() {
        for (d, o, field) in [
            (-1.0, -0.5, "denominator"),
            (f64::NAN, -0.5, "denominator"),
            (f64::INFINITY, -0.5, "denominator"),
            (1.0, f64::NAN, "offset"),
        ] {
            let err = Model::from_bytes(file(d, o, &[0.0; 4])).unwrap_err();
            assert!(
                matches!(&err, EstimatorError::Model { context, .. }
                    if context == &format!("estimator.isolation_forest.{field}")),
                "{err}"
            );
        }
    }

    #[test]
    fn trees_follow_the_tree_ensemble_rules() {
        // A leaf pointing past `values`.
        let err =
            Model::from_bytes(file_with(0.5, [0, 1, 2, 4], 1.0, -0.5, &[0.0; 4])).unwrap_err();
        assert!(
            matches!(&err, EstimatorError::Model { context, .. }
                if context.starts_with("estimator.isolation_forest.trees")),
            "{err}"
        );
        // Leaves-only values: leaf k (in record order) is row k, so leaves cannot share a row
        // or come out of order.
        for rows in [[0, 0, 1, 1], [1, 0, 2, 3]] {
            let err = Model::from_bytes(file_with(0.5, rows, 1.0, -0.5, &[0.0; 4])).unwrap_err();
            assert!(
                err.to_string().contains("prescribes row"),
                "{rows:?}: {err}"
            );
        }
        assert!(Model::from_bytes(file_with(0.5, [0, 1, 2, 3], 1.0, -0.5, &[0.0; 4])).is_ok());
    }

    #[test]
    fn wrong_width_is_e_input_for_every_method() {
        let m = Model::from_bytes(file(1.0, -0.5, &[0.0; 4])).unwrap();
        for method in m.methods() {
            let err = m.run(method, Array2::zeros((1, 3)).view()).unwrap_err();
            assert_eq!(err.code(), "E_INPUT", "{method}");
        }
    }
}
