//! Linear models: `LinearRegression`, `Ridge`, `LogisticRegression` (and any other producer
//! of an affine score followed by one of the links below).
//!
//! Mirrors scikit-learn 1.9.1:
//! - scores: `sklearn/linear_model/_base.py`, `LinearModel._decision_function` (regressors,
//!   `X @ coef_ + intercept_` or `X @ coef_.T + intercept_`) and
//!   `LinearClassifierMixin.decision_function` (classifiers; one score column is flattened
//!   to 1-D);
//! - labels: `LinearClassifierMixin.predict`: `classes_[scores > 0]` for one column, else
//!   `classes_[argmax(scores, axis=1)]` (numpy's argmax: the first maximum, or the first NaN);
//! - `LOGISTIC` and `OVR_LOGISTIC`: `LinearClassifierMixin._predict_proba_lr`, with
//!   `scipy.special.expit(s) = 1 / (1 + exp(-s))` (xsf's `expit`, no branch), OvR rows
//!   normalised by their sum and an all-zero row made uniform;
//! - `SOFTMAX`: `sklearn/linear_model/_logistic.py`, `LogisticRegression.predict_proba` with
//!   `sklearn/utils/extmath.py`, `softmax`: subtract the row max, exp, divide by the row sum.
//!
//! Numerics: a score is a plain f64 dot product, `((x[0]*c[0] + x[1]*c[1]) + ...) + b`,
//! summed over features in index order with no fused multiply-add, then the intercept added.
//! BLAS (which scikit-learn calls through numpy's `@`) blocks and vectorises that sum in an
//! order of its own, so float outputs can differ from scikit-learn's in the last bits: this is
//! why linear float outputs carry a tolerance (the corpus uses `rtol = 1e-12`). Row sums of
//! probabilities are sequential too (numpy may sum long rows pairwise). `exp` is
//! the platform's `f64::exp`; numpy's vectorised `exp` (softmax) may differ by an ulp.
//! Labels can differ only when scores tie within that rounding.
//!
//! Inputs are not checked for finiteness: NaN and infinities propagate through the IEEE
//! arithmetic (scikit-learn would refuse them in `validate_data`); a NaN score predicts
//! `classes[0]` in the binary case and the first NaN column otherwise, as numpy does.
//!
//! `coef` and `intercept` are copied out of the container at load into owned arrays: they are
//! `n_outputs * n_features` numbers, and the copy keeps the predict path free of codec types.

use ndarray::{Array1, Array2, ArrayD, ArrayView1, ArrayView2, Axis};

use crate::error::{EstimatorError, Result};
use crate::finite::{self, Refuse};
use crate::method::{Method, Prediction};
use crate::traits::{DecisionFunction, Estimator, Predict, PredictProba, check_width};

/// `scores = x @ coef.T + intercept`, `coef` as `[n_outputs, n_features]`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Affine {
    coef: Array2<f64>,
    /// `coef` transposed to `[n_features, n_outputs]`, standard layout, so that the inner loop
    /// of [`Affine::scores`] walks it contiguously.
    coef_t: Vec<f64>,
    intercept: Array1<f64>,
}

/// Rows scored together. Each score is still its own chain of additions in feature order (so
/// the result is bit-identical to [`dot`] row by row); interleaving `ROWS * n_outputs`
/// independent chains lets the CPU overlap them instead of waiting on one serial chain.
const ROWS: usize = 4;

impl Affine {
    /// `coef` is `[n_outputs, n_features]`, `intercept` `[n_outputs]` (the registry checked
    /// both; a scalar intercept is the one value of a one-output model).
    pub(crate) fn new(coef: Array2<f64>, intercept: Array1<f64>) -> Self {
        let coef_t = coef.t().iter().copied().collect();
        Self {
            coef,
            coef_t,
            intercept,
        }
    }

    fn n_features(&self) -> usize {
        self.coef.ncols()
    }

    fn n_outputs(&self) -> usize {
        self.coef.nrows()
    }

    /// `[n_samples, n_outputs]` scores, each summed in feature order then offset:
    /// `((0.0 + x[0]*c[0]) + x[1]*c[1] + ...) + b`, exactly as [`dot`] computes it.
    fn scores(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        check_width(&x, self.n_features())?;
        let (n, k, f) = (x.nrows(), self.n_outputs(), self.n_features());
        let x = x.as_standard_layout();
        let mut out = Array2::zeros((n, k));
        let (Some(xs), Some(os)) = (x.as_slice(), out.as_slice_mut()) else {
            // Both are in standard layout (just made so, or freshly allocated); this branch
            // only keeps the proof local.
            return Err(EstimatorError::Model {
                context: "linear".to_owned(),
                reason: "internal: non-contiguous arrays".to_owned(),
            });
        };
        // scikit-learn's check_array refuses NaN and infinity before any linear model
        // (spec/estimators.md, Linear rule on inputs).
        finite::check(
            x.view(),
            Refuse::NonFinite,
            "a linear model refuses NaN and infinities",
        )?;
        if f == 0 || k == 0 {
            for o in os.chunks_exact_mut(k.max(1)) {
                o.iter_mut()
                    .zip(&self.intercept)
                    .for_each(|(o, &b)| *o = 0.0 + b);
            }
            return Ok(out);
        }
        let mut acc = vec![0.0f64; ROWS * k];
        for (x_rows, o_rows) in xs.chunks(ROWS * f).zip(os.chunks_mut(ROWS * k)) {
            let rows = x_rows.len() / f;
            let acc = acc.get_mut(..rows * k).unwrap_or_default();
            acc.fill(0.0);
            for (j, c_j) in self.coef_t.chunks_exact(k).enumerate() {
                for (x_row, a_row) in x_rows.chunks_exact(f).zip(acc.chunks_exact_mut(k)) {
                    let xj = x_row.get(j).copied().unwrap_or_default();
                    for (a, &c) in a_row.iter_mut().zip(c_j) {
                        *a += xj * c;
                    }
                }
            }
            for (o_row, a_row) in o_rows.chunks_exact_mut(k).zip(acc.chunks_exact(k)) {
                for ((o, &a), &b) in o_row.iter_mut().zip(a_row).zip(&self.intercept) {
                    *o = a + b;
                }
            }
        }
        Ok(out)
    }
}

/// `sum_j x[j] * c[j]` in index order, starting from `0.0`, one rounding per operation: the
/// reference for [`Affine::scores`].
#[cfg(test)]
fn dot(x: ArrayView1<'_, f64>, c: ArrayView1<'_, f64>) -> f64 {
    x.iter().zip(c).fold(0.0, |s, (&a, &b)| s + a * b)
}

/// scipy's `expit`: `1 / (1 + exp(-s))`, computed exactly so, without a branch on the sign.
pub(crate) fn expit(s: f64) -> f64 {
    1.0 / (1.0 + (-s).exp())
}

/// numpy's `argmax` over one row: the index of the first NaN if there is one, else of the
/// first maximum. `None` only for an empty row.
pub(crate) fn argmax(row: ArrayView1<'_, f64>) -> Option<usize> {
    let mut it = row.iter().enumerate();
    let (mut best, mut max) = it.next().map(|(i, &v)| (i, v))?;
    for (i, &v) in it {
        if max.is_nan() {
            break;
        }
        if v > max || v.is_nan() {
            best = i;
            max = v;
        }
    }
    Some(best)
}

/// `extmath.softmax` on each row, in place: subtract the row max (NaN if any entry is NaN, as
/// `np.max` gives), exponentiate, divide by the row sum.
pub(crate) fn softmax_rows(p: &mut Array2<f64>) {
    for mut row in p.rows_mut() {
        let max = nan_max(row.view());
        row.mapv_inplace(|v| (v - max).exp());
        let sum: f64 = row.iter().fold(0.0, |s, &v| s + v);
        row.mapv_inplace(|v| v / sum);
    }
}

/// numpy's `max` over a row: NaN if any entry is NaN, else the largest entry.
pub(crate) fn nan_max(row: ArrayView1<'_, f64>) -> f64 {
    row.iter().fold(f64::NEG_INFINITY, |m, &v| {
        if m.is_nan() || v.is_nan() {
            f64::NAN
        } else if v > m {
            v
        } else {
            m
        }
    })
}

/// `_predict_proba_lr`'s multiclass branch on each row, in place: expit, then divide by the
/// row sum; a row whose sum is exactly zero becomes uniform, `1 / n_classes`.
pub(crate) fn ovr_normalise_rows(p: &mut Array2<f64>) {
    let n_classes = p.ncols() as f64;
    for mut row in p.rows_mut() {
        row.mapv_inplace(expit);
        let sum: f64 = row.iter().fold(0.0, |s, &v| s + v);
        if sum == 0.0 {
            row.fill(1.0 / n_classes);
        } else {
            row.mapv_inplace(|v| v / sum);
        }
    }
}

/// A regressor: `predict` returns the scores.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Regressor {
    affine: Affine,
    /// `coef` was 1-D: predictions are `[n_samples]` (else `[n_samples, n_outputs]`).
    one_d: bool,
}

impl Regressor {
    /// `one_d` when the stored `coef` was `[n_features]`.
    pub(crate) fn new(affine: Affine, one_d: bool) -> Self {
        Self { affine, one_d }
    }
}

impl Predict for Regressor {
    fn predict(&self, x: ArrayView2<'_, f64>) -> Result<Prediction> {
        let scores = self.affine.scores(x)?;
        Ok(Prediction::Float(if self.one_d {
            scores.index_axis_move(Axis(1), 0).into_dyn()
        } else {
            scores.into_dyn()
        }))
    }
}

impl Estimator for Regressor {
    fn n_features_in(&self) -> usize {
        self.affine.n_features()
    }
    fn predicts_1d(&self) -> bool {
        self.one_d
    }
    fn numeric_columns(&self, method: Method) -> Option<usize> {
        match (method, self.one_d) {
            (Method::Predict, true) => Some(1),
            (Method::Predict, false) => Some(self.affine.n_outputs()),
            _ => None,
        }
    }
    fn as_predict(&self) -> Option<&dyn Predict> {
        Some(self)
    }
}

/// How a classifier's scores become probabilities.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ClassLink {
    /// One score column, two classes: `p1 = expit(s)`, `[1 - p1, p1]`.
    Logistic,
    /// One column per class: expit, normalised by the row sum.
    OvrLogistic,
    /// One column per class: softmax.
    Softmax,
}

/// Class labels in output-column order, of the type `predict` returns. (A copy of the
/// manifest's labels, so that the predict path holds no codec type.)
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Classes {
    /// Integer labels.
    Int(Vec<i64>),
    /// Float labels.
    Float(Vec<f64>),
    /// String labels.
    Str(Vec<String>),
}

impl Classes {
    /// The number of classes.
    pub(crate) fn len(&self) -> usize {
        match self {
            Classes::Int(v) => v.len(),
            Classes::Float(v) => v.len(),
            Classes::Str(v) => v.len(),
        }
    }

    /// Whether the labels are numbers (ints or floats), which can be raw scores.
    pub(crate) fn is_numeric(&self) -> bool {
        !matches!(self, Classes::Str(_))
    }
}

/// A linear classifier.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Classifier {
    affine: Affine,
    link: ClassLink,
    classes: Classes,
}

impl Classifier {
    /// The registry checked that `classes` fits the link and the number of score columns.
    pub(crate) fn new(affine: Affine, link: ClassLink, classes: Classes) -> Self {
        Self {
            affine,
            link,
            classes,
        }
    }

    /// The label of each row: `scores > 0` for one column, else the argmax.
    fn label_indices(&self, scores: &Array2<f64>) -> Vec<usize> {
        if scores.ncols() == 1 {
            // Exactly `scores > 0`: 0.0, -0.0 and NaN all give classes[0].
            scores.iter().map(|&s| usize::from(s > 0.0)).collect()
        } else {
            // Rows are non-empty (ncols >= 2), so argmax is Some; 0 keeps this panic-free.
            scores
                .rows()
                .into_iter()
                .map(|row| argmax(row).unwrap_or(0))
                .collect()
        }
    }
}

/// The labels at `indices`, as a 1-D array of the classes' type. Indices come from score
/// columns, and the registry made `classes` cover every column; `get` keeps that local.
pub(crate) fn take(classes: &Classes, indices: &[usize]) -> Result<Prediction> {
    fn pick<T: Clone>(values: &[T], indices: &[usize]) -> Result<ArrayD<T>> {
        indices
            .iter()
            .map(|&i| {
                values.get(i).cloned().ok_or_else(|| {
                    EstimatorError::model("classes", format!("no class for output column {i}"))
                })
            })
            .collect::<Result<Array1<T>>>()
            .map(Array1::into_dyn)
    }
    Ok(match classes {
        Classes::Int(v) => Prediction::Int(pick(v, indices)?),
        Classes::Float(v) => Prediction::Float(pick(v, indices)?),
        Classes::Str(v) => Prediction::Str(pick(v, indices)?),
    })
}

impl Predict for Classifier {
    fn predict(&self, x: ArrayView2<'_, f64>) -> Result<Prediction> {
        let scores = self.affine.scores(x)?;
        take(&self.classes, &self.label_indices(&scores))
    }
}

impl DecisionFunction for Classifier {
    fn decision_function(&self, x: ArrayView2<'_, f64>) -> Result<ArrayD<f64>> {
        let scores = self.affine.scores(x)?;
        Ok(if scores.ncols() == 1 {
            scores.index_axis_move(Axis(1), 0).into_dyn()
        } else {
            scores.into_dyn()
        })
    }
}

impl PredictProba for Classifier {
    fn predict_proba(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        let scores = self.affine.scores(x)?;
        Ok(match self.link {
            ClassLink::Logistic => {
                let mut p = Array2::zeros((scores.nrows(), 2));
                for (row, &s) in p.rows_mut().into_iter().zip(&scores) {
                    let p1 = expit(s);
                    row.into_iter()
                        .zip([1.0 - p1, p1])
                        .for_each(|(o, v)| *o = v);
                }
                p
            }
            ClassLink::OvrLogistic => {
                let mut p = scores;
                ovr_normalise_rows(&mut p);
                p
            }
            ClassLink::Softmax => {
                let mut p = scores;
                softmax_rows(&mut p);
                p
            }
        })
    }
}

impl Estimator for Classifier {
    fn n_features_in(&self) -> usize {
        self.affine.n_features()
    }
    fn predicts_1d(&self) -> bool {
        true
    }
    fn numeric_columns(&self, method: Method) -> Option<usize> {
        match method {
            Method::Predict => self.classes.is_numeric().then_some(1),
            Method::PredictProba => Some(self.classes.len()),
            // One score column ([n]) for two classes, else one per class.
            Method::DecisionFunction => Some(self.affine.n_outputs()),
            Method::Transform | Method::ScoreSamples => None,
        }
    }
    fn as_predict(&self) -> Option<&dyn Predict> {
        Some(self)
    }
    fn as_predict_proba(&self) -> Option<&dyn PredictProba> {
        Some(self)
    }
    fn as_decision_function(&self) -> Option<&dyn DecisionFunction> {
        Some(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::method::Method;
    use ndarray::{Array, array};

    fn affine(coef: Array2<f64>, intercept: Array1<f64>) -> Affine {
        Affine::new(coef, intercept)
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-15 * b.abs().max(1.0)
    }

    /// The blocked scorer is bit-identical to the reference dot product, row by row, for
    /// row counts that are and are not multiples of the block, one and several outputs, and
    /// an input that is not in standard layout.
    #[test]
    fn blocked_scores_equal_reference_dot_bitwise() {
        // A deterministic spread of magnitudes and signs (xorshift), so that the order of
        // additions matters for the last bits.
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let unit = (state >> 11) as f64 / (1u64 << 53) as f64;
            (unit - 0.5) * 10f64.powi((state % 9) as i32 - 4)
        };
        for (n, k, f) in [
            (1, 1, 1),
            (5, 1, 7),
            (8, 3, 13),
            (11, 4, 2),
            (0, 2, 3),
            (3, 2, 0),
        ] {
            let coef = Array::from_shape_fn((k, f), |_| next());
            let intercept = Array::from_shape_fn(k, |_| next());
            let x = Array::from_shape_fn((n, f), |_| next());
            let a = affine(coef.clone(), intercept.clone());
            let got = a.scores(x.view()).expect("scores");
            let got_t = a
                .scores(x.t().to_owned().t())
                .expect("scores of a transposed view");
            for i in 0..n {
                for j in 0..k {
                    let want = dot(x.row(i), coef.row(j)) + intercept[j];
                    assert_eq!(got[[i, j]].to_bits(), want.to_bits(), "n={n} k={k} f={f}");
                    assert_eq!(got_t[[i, j]].to_bits(), want.to_bits());
                }
            }
        }
    }

    #[test]
    fn dot_sums_in_feature_order_then_adds_intercept() {
        // Left to right, (1e16 + 1) rounds back to 1e16 and the 1 is lost; any other order
        // (pairwise, BLAS blocks) would keep it. The intercept comes last.
        let a = affine(array![[1.0, 1.0, 1.0]], array![0.5]);
        let s = a.scores(array![[1e16, 1.0, -1e16]].view()).unwrap();
        assert_eq!(s, array![[0.5]]);
    }

    #[test]
    fn expit_is_one_over_one_plus_exp() {
        assert_eq!(expit(0.0), 0.5);
        assert_eq!(expit(3f64.ln()), 1.0 / (1.0 + (-(3f64.ln())).exp()));
        assert!(close(expit(3f64.ln()), 0.75));
        assert_eq!(expit(-800.0), 0.0);
        assert_eq!(expit(800.0), 1.0);
        assert!(expit(f64::NAN).is_nan());
    }

    #[test]
    fn argmax_ties_go_to_the_lowest_index() {
        assert_eq!(argmax(array![1.0, 3.0, 3.0].view()), Some(1));
        assert_eq!(argmax(array![2.0, 2.0, 2.0].view()), Some(0));
        assert_eq!(argmax(array![-0.0, 0.0].view()), Some(0));
        assert_eq!(argmax(Array1::<f64>::zeros(0).view()), None);
    }

    #[test]
    fn argmax_takes_the_first_nan_as_numpy_does() {
        assert_eq!(argmax(array![1.0, f64::NAN, 5.0, f64::NAN].view()), Some(1));
        assert_eq!(argmax(array![f64::NAN, 5.0].view()), Some(0));
    }

    #[test]
    fn softmax_of_known_vectors() {
        let mut p = array![[1.0, 2.0, 3.0], [0.0, 0.0, 0.0], [1000.0, 1000.0, -1000.0]];
        softmax_rows(&mut p);
        let e = [(-2f64).exp(), (-1f64).exp(), 1.0];
        let z: f64 = e.iter().sum();
        for (got, want) in p.row(0).iter().zip(e.map(|v| v / z)) {
            assert!(close(*got, want), "{got} vs {want}");
        }
        assert!(close(p[[0, 0]], 0.090_030_573_170_380_46));
        assert_eq!(p.row(1), array![1.0 / 3.0, 1.0 / 3.0, 1.0 / 3.0]);
        // The row max is subtracted first, so large scores do not overflow.
        assert_eq!(p.row(2), array![0.5, 0.5, 0.0]);
    }

    #[test]
    fn softmax_row_with_nan_is_all_nan() {
        let mut p = array![[1.0, f64::NAN]];
        softmax_rows(&mut p);
        assert!(p.iter().all(|v| v.is_nan()));
    }

    #[test]
    fn ovr_normalises_by_the_row_sum() {
        // expit(0) = 0.5, expit(ln 3) = 0.75: sum 1.25, so 0.4 and 0.6.
        let mut p = array![[0.0, 3f64.ln()]];
        ovr_normalise_rows(&mut p);
        assert!(close(p[[0, 0]], 0.4) && close(p[[0, 1]], 0.6), "{p}");
    }

    #[test]
    fn ovr_all_zero_row_becomes_uniform() {
        // expit(-800) underflows to exactly 0 in every column.
        let mut p = array![[-800.0, -800.0, -800.0], [0.0, 0.0, 0.0]];
        ovr_normalise_rows(&mut p);
        assert_eq!(p.row(0), array![1.0 / 3.0, 1.0 / 3.0, 1.0 / 3.0]);
        assert_eq!(p.row(1), array![1.0 / 3.0, 1.0 / 3.0, 1.0 / 3.0]);
    }

    fn binary(link: ClassLink) -> Classifier {
        // score = x0 - x1
        Classifier::new(
            affine(array![[1.0, -1.0]], array![0.0]),
            link,
            Classes::Str(vec!["no".into(), "yes".into()]),
        )
    }

    #[test]
    fn binary_threshold_is_strictly_greater_than_zero() {
        let c = binary(ClassLink::Logistic);
        // (A NaN row is E_INPUT, as in scikit-learn: test_linear_refuses_non_finite_input...)
        let x = array![[1.0, 1.0], [0.0, 1e-300], [1e-300, 0.0]];
        let labels = ["no", "no", "yes"].map(String::from);
        assert_eq!(
            c.predict(x.view()).unwrap(),
            Prediction::Str(Array::from_vec(labels.to_vec()).into_dyn())
        );
    }

    #[test]
    fn binary_negative_zero_score_is_class_zero() {
        // 0 * -1 + 0 = 0.0 + -0.0 ... and a -0.0 intercept: the score's sign bit must not
        // matter, `-0.0 > 0` is false.
        let c = Classifier::new(
            affine(array![[-1.0]], array![-0.0]),
            ClassLink::Logistic,
            Classes::Int(vec![7, 9]),
        );
        assert_eq!(
            c.predict(array![[0.0]].view()).unwrap(),
            Prediction::Int(array![7].into_dyn())
        );
    }

    #[test]
    fn logistic_proba_is_one_minus_p_and_p() {
        let c = binary(ClassLink::Logistic);
        let p = c.predict_proba(array![[3f64.ln(), 0.0]].view()).unwrap();
        let p1 = expit(3f64.ln());
        assert_eq!(p, array![[1.0 - p1, p1]]);
    }

    #[test]
    fn binary_decision_function_is_1d() {
        let c = binary(ClassLink::Logistic);
        let d = c
            .decision_function(array![[3.0, 1.0], [0.0, 2.0]].view())
            .unwrap();
        assert_eq!(d, array![2.0, -2.0].into_dyn());
    }

    fn three_classes(link: ClassLink) -> Classifier {
        Classifier::new(
            affine(
                array![[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]],
                array![0.0, 0.0, -1.0],
            ),
            link,
            Classes::Float(vec![0.5, 1.5, 2.5]),
        )
    }

    #[test]
    fn multiclass_predict_is_argmax_with_ties_to_the_lowest() {
        let c = three_classes(ClassLink::Softmax);
        // scores: [2, 1, 2] (tie 0/2), [1, 3, 3] (tie 1/2), [0, 0, -1] (tie 0/1)
        let x = array![[2.0, 1.0], [1.0, 3.0], [0.0, 0.0]];
        assert_eq!(
            c.predict(x.view()).unwrap(),
            Prediction::Float(array![0.5, 1.5, 0.5].into_dyn())
        );
        let d = c.decision_function(x.view()).unwrap();
        assert_eq!(d.shape(), [3, 3]);
    }

    #[test]
    fn multiclass_proba_rows_sum_to_one() {
        for link in [ClassLink::Softmax, ClassLink::OvrLogistic] {
            let c = three_classes(link);
            let p = c
                .predict_proba(array![[0.3, -1.2], [4.0, 2.0]].view())
                .unwrap();
            assert_eq!(p.shape(), [2, 3]);
            for row in p.rows() {
                assert!(close(row.sum(), 1.0), "{link:?} {row}");
            }
        }
    }

    #[test]
    fn regressor_output_rank_follows_coef() {
        let x = array![[1.0, 2.0], [3.0, 4.0]];
        let one_d = Regressor::new(affine(array![[1.0, 1.0]], array![0.5]), true);
        assert_eq!(
            one_d.predict(x.view()).unwrap(),
            Prediction::Float(array![3.5, 7.5].into_dyn())
        );
        let two_d = Regressor::new(affine(array![[1.0, 1.0]], array![0.5]), false);
        assert_eq!(
            two_d.predict(x.view()).unwrap(),
            Prediction::Float(array![[3.5], [7.5]].into_dyn())
        );
        let multi = Regressor::new(
            affine(array![[1.0, 0.0], [0.0, 1.0]], array![0.0, 1.0]),
            false,
        );
        assert_eq!(
            multi.predict(x.view()).unwrap(),
            Prediction::Float(array![[1.0, 3.0], [3.0, 5.0]].into_dyn())
        );
    }

    #[test]
    fn methods_per_kind() {
        let r: &dyn Estimator = &Regressor::new(affine(array![[1.0]], array![0.0]), true);
        assert_eq!(r.methods(), vec![Method::Predict]);
        let c: &dyn Estimator = &binary(ClassLink::Logistic);
        assert_eq!(
            c.methods(),
            vec![
                Method::Predict,
                Method::PredictProba,
                Method::DecisionFunction
            ]
        );
    }

    #[test]
    fn wrong_width_is_e_input() {
        let c = three_classes(ClassLink::Softmax);
        assert!(matches!(
            c.predict(array![[1.0, 2.0, 3.0]].view()),
            Err(EstimatorError::Input {
                expected: 2,
                found: 3
            })
        ));
    }

    #[test]
    fn empty_input_gives_empty_outputs() {
        let c = three_classes(ClassLink::Softmax);
        let x = Array2::<f64>::zeros((0, 2));
        assert_eq!(c.predict(x.view()).unwrap().shape(), [0]);
        assert_eq!(c.predict_proba(x.view()).unwrap().shape(), [0, 3]);
    }

    #[test]
    fn test_linear_refuses_non_finite_input_as_scikit_learn_does() {
        let a = affine(array![[1.0, 2.0]], array![0.5]);
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let x = array![[1.0, 2.0], [3.0, bad]];
            match a.scores(x.view()) {
                Err(EstimatorError::NotFinite { row, column, .. }) => {
                    assert_eq!((row, column), (1, 1));
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
        assert!(a.scores(array![[1.0, 2.0]].view()).is_ok());
    }
}
