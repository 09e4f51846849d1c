//! `AdaBoost`: scikit-learn's `AdaBoostClassifier` (SAMME, and SAMME.R of scikit-learn before
//! 1.6) and `AdaBoostRegressor` (the weighted median), `spec/estimators.md` section 29.
//!
//! Mirrors scikit-learn 1.9.1 `sklearn/ensemble/_weight_boosting.py`
//! (`AdaBoostClassifier.decision_function`, `predict`, `predict_proba`,
//! `_compute_proba_from_decision`, `AdaBoostRegressor._get_median_predict`) with
//! `sklearn/utils/extmath.py` `softmax`, and 1.3.2's `_samme_proba` and SAMME.R branch. The
//! sums follow numpy's layouts: SAMME's `np.where` over a transposed comparison is
//! F-ordered, so softmax sums its rows left to right (one row: pairwise); SAMME.R's terms are
//! C-ordered and summed pairwise.

use std::collections::HashMap;

use amber_codec::Container;
use amber_codec::model::{self, AdaBoostAlgorithm};
use ndarray::{Array1, Array2, ArrayD, ArrayView1, ArrayView2};

use super::members::{self, Input, check_reads_input, is_regressor};
use crate::error::{EstimatorError, Result};
use crate::finite::{self, Refuse};
use crate::linear::{Classes, argmax, nan_max, take};
use crate::method::{Method, Prediction};
use crate::numerics::{f_order_row_sum, numpy_sum};
use crate::registry::{Source, distinct_classes, f64_vector};
use crate::table::ColumnKind;
use crate::traits::{DecisionFunction, Estimator, Predict, PredictProba};

/// A validated `AdaBoostClassifier` or `AdaBoostRegressor`.
#[derive(Debug)]
pub(crate) struct AdaBoost {
    n_features_in: usize,
    members: Vec<Box<dyn Estimator>>,
    /// `estimator_weights_`, all `W` of them.
    weights: Array1<f64>,
    /// A classifier's classes and algorithm; `None` for a regressor.
    classifier: Option<(Classes, AdaBoostAlgorithm)>,
}

/// Builds an `AdaBoost` from its body, checking rules 1-3 of section 29; `build` builds a
/// member's estimator at a path.
pub(crate) fn build<B: Source>(
    c: &Container<B>,
    body: &model::AdaBoost,
    n_features_in: usize,
    path: &str,
    mut build: impl FnMut(&model::Estimator, &str) -> Result<Box<dyn Estimator>>,
) -> Result<Box<dyn Estimator>> {
    let field = format!("{path}.ada_boost");
    // Rule 1.
    if body.members.is_empty() {
        return Err(EstimatorError::model(
            format!("{field}.members"),
            "there is at least one member",
        ));
    }
    let classifier = match (&body.classes, body.algorithm) {
        (None, None) => None,
        (Some(labels), Some(algorithm)) if labels.len() >= 2 => Some((
            distinct_classes(labels.clone(), format!("{field}.classes"))?,
            algorithm,
        )),
        (Some(_), Some(_)) => {
            return Err(EstimatorError::model(
                format!("{field}.classes"),
                "a classifier has at least two classes",
            ));
        }
        _ => {
            return Err(EstimatorError::model(
                format!("{field}.algorithm"),
                "a classifier has classes and an algorithm, a regressor neither",
            ));
        }
    };
    // Rule 2.
    let here = format!("{field}.weights");
    let w = crate::registry::f64_tensor(c, &body.weights, &here)?;
    let len = match w.shape() {
        [len] if *len >= body.members.len() => *len,
        shape => {
            return Err(EstimatorError::model(
                here,
                format!(
                    "tensor {:?} has shape {shape:?}, expected [W] with W >= {} members",
                    body.weights,
                    body.members.len()
                ),
            ));
        }
    };
    let weights = f64_vector(c, &body.weights, len, &here)?;
    if let Some(v) = weights.iter().find(|v| !v.is_finite()) {
        return Err(EstimatorError::model(
            here,
            format!("holds {v}; every weight must be finite"),
        ));
    }
    let mut members = Vec::with_capacity(body.members.len());
    for (i, raw) in body.members.iter().enumerate() {
        let at = format!("{field}.members[{i}]");
        let e = build(raw, &at)?;
        check_member(raw, e.as_ref(), classifier.as_ref(), n_features_in, &at)?;
        members.push(e);
    }
    Ok(Box::new(AdaBoost {
        n_features_in,
        members,
        weights,
        classifier,
    }))
}

/// Rule 3 for one member.
fn check_member(
    raw: &model::Estimator,
    e: &dyn Estimator,
    classifier: Option<&(Classes, AdaBoostAlgorithm)>,
    n_features_in: usize,
    here: &str,
) -> Result<()> {
    check_reads_input(e, n_features_in, here)?;
    let bad = |why: &str| Err(EstimatorError::model(here, why.to_owned()));
    // scikit-learn gives the members an array of the input's values. An estimator that is
    // not kind-bearing reads numbers by construction: its kinds (one per declared feature,
    // which no tensor need back) are not listed.
    if !raw.feature_names_in.is_empty()
        || (crate::schema::kind_bearing(raw) && e.input_kinds().contains(&ColumnKind::String))
    {
        return bad("a member reads numbers without feature names (it is fitted on an array)");
    }
    match classifier {
        None => {
            let one = e.numeric_columns(Method::Predict) == Some(1) && e.predicts_1d();
            if !is_regressor(raw) || !one {
                return bad("an AdaBoostRegressor member is a regressor whose predict is [n]");
            }
        }
        Some((classes, algorithm)) => {
            let same =
                members::member_classes(raw).is_some_and(|c| Classes::from(c.clone()) == *classes);
            if !same || !e.predicts_1d() || e.as_predict().is_none() {
                return bad(
                    "an AdaBoostClassifier member is a classifier with the composition's \
                     classes (scikit-learn fits it on the same labels) whose predict is [n]",
                );
            }
            let k = classes.len();
            if *algorithm == AdaBoostAlgorithm::SammeR
                && (e.as_predict_proba().is_none()
                    || e.numeric_columns(Method::PredictProba) != Some(k))
            {
                return bad("a SAMME.R member has predict_proba [n, n_classes]");
            }
        }
    }
    Ok(())
}

/// Each label's class index (`None` where it is no class), for comparing a member's
/// labels with `classes_` as `estimator.predict(X) == classes` does.
fn label_indices(pred: &Prediction, classes: &Classes) -> Result<Vec<Option<usize>>> {
    Ok(match (pred, classes) {
        (Prediction::Int(p), Classes::Int(c)) => {
            let at: HashMap<i64, usize> = c.iter().enumerate().map(|(i, &v)| (v, i)).collect();
            p.iter().map(|v| at.get(v).copied()).collect()
        }
        (Prediction::Str(p), Classes::Str(c)) => {
            let at: HashMap<&str, usize> =
                c.iter().enumerate().map(|(i, v)| (v.as_str(), i)).collect();
            p.iter().map(|v| at.get(v.as_str()).copied()).collect()
        }
        (Prediction::Float(p), Classes::Float(c)) => {
            p.iter().map(|v| c.iter().position(|k| k == v)).collect()
        }
        (other, _) => {
            return Err(EstimatorError::model(
                "ada_boost",
                format!(
                    "a member gave {} labels, not the classes' kind",
                    other.kind()
                ),
            ));
        }
    })
}

/// `extmath.softmax` of one row of an `[n, K]` array, in place: C-ordered (`f_order` false)
/// rows are summed pairwise, F-ordered ones as numpy reduces them ([`f_order_row_sum`]).
fn softmax_row(mut row: ndarray::ArrayViewMut1<'_, f64>, f_order: bool, n: usize) {
    let max = nan_max(row.view());
    row.mapv_inplace(|v| (v - max).exp());
    let values = row.to_vec();
    let sum = if f_order {
        f_order_row_sum(&values, n)
    } else {
        numpy_sum(&values)
    };
    row.mapv_inplace(|v| v / sum);
}

/// `_check_X`: `validate_data` with `dtype=None` and the default `ensure_all_finite=True`,
/// before any member runs (spec/estimators.md, AdaBoost rule on inputs).
fn check_input(x: Input<'_>) -> Result<()> {
    const BODY: &str = "an AdaBoost model refuses NaN and infinities";
    match x {
        Input::Dense(d) => finite::check(d, Refuse::NonFinite, BODY),
        Input::Table(t) => finite::check_table(t, Refuse::NonFinite, BODY),
    }
}

impl AdaBoost {
    fn classes(&self) -> Result<(&Classes, AdaBoostAlgorithm)> {
        self.classifier
            .as_ref()
            .map(|(c, a)| (c, *a))
            .ok_or_else(|| EstimatorError::model("ada_boost", "a regressor has no classes"))
    }

    /// `decision_function` before the two-class reduction: `[n, K]`, the members' terms
    /// summed from `0.0` member after member, divided by `numpy_sum(weights)`.
    fn scores(&self, x: Input<'_>) -> Result<Array2<f64>> {
        x.check_width(self.n_features_in)?;
        check_input(x)?;
        let (classes, algorithm) = self.classes()?;
        let (n, k) = (x.n_rows(), classes.len());
        let mut pred = Array2::<f64>::zeros((n, k));
        for (j, (m, &w)) in self.members.iter().zip(&self.weights).enumerate() {
            match algorithm {
                AdaBoostAlgorithm::Samme => {
                    let labels = x.run(m.as_ref(), Method::Predict, "ada_boost")?;
                    let at = label_indices(&labels, classes)?;
                    if at.len() != n {
                        return Err(members::member_output(
                            "ada_boost",
                            j,
                            "labels [n]",
                            &labels,
                        ));
                    }
                    // `-1 / (n_classes - 1) * w`, as Python computes it.
                    let other = -1.0 / (k - 1) as f64 * w;
                    for (mut row, hit) in pred.rows_mut().into_iter().zip(at) {
                        for (c, s) in row.iter_mut().enumerate() {
                            *s += if hit == Some(c) { w } else { other };
                        }
                    }
                }
                AdaBoostAlgorithm::SammeR => {
                    let p = match x.run(m.as_ref(), Method::PredictProba, "ada_boost")? {
                        Prediction::Float(p) if p.shape() == [n, k] => p,
                        other => {
                            return Err(members::member_output(
                                "ada_boost",
                                j,
                                "probabilities [n, n_classes]",
                                &other,
                            ));
                        }
                    };
                    let p = p
                        .into_dimensionality::<ndarray::Ix2>()
                        .map_err(|e| EstimatorError::model("ada_boost", e.to_string()))?;
                    for (mut row, prow) in pred.rows_mut().into_iter().zip(p.rows()) {
                        add_samme_r(row.view_mut(), prow, k);
                    }
                }
            }
        }
        let total = numpy_sum(&self.weights.to_vec());
        pred.mapv_inplace(|v| v / total);
        Ok(pred)
    }

    fn decision_any(&self, x: Input<'_>) -> Result<ArrayD<f64>> {
        let pred = self.scores(x)?;
        if pred.ncols() == 2 {
            // `pred[:, 0] *= -1; pred.sum(axis=1)`.
            return Ok(pred
                .rows()
                .into_iter()
                .map(|r| {
                    let mut it = r.iter();
                    let first = it.next().copied().unwrap_or(0.0);
                    -first + it.next().copied().unwrap_or(0.0)
                })
                .collect::<Array1<f64>>()
                .into_dyn());
        }
        Ok(pred.into_dyn())
    }

    fn predict_any(&self, x: Input<'_>) -> Result<Prediction> {
        if self.classifier.is_none() {
            return self.median(x);
        }
        let (classes, _) = self.classes()?;
        let d = self.decision_any(x)?;
        let winners: Vec<usize> = if classes.len() == 2 {
            d.iter().map(|&v| usize::from(v > 0.0)).collect()
        } else {
            let d = d
                .into_dimensionality::<ndarray::Ix2>()
                .map_err(|e| EstimatorError::model("ada_boost", e.to_string()))?;
            d.rows()
                .into_iter()
                .map(|r| argmax(r).unwrap_or(0))
                .collect()
        };
        take(classes, &winners)
    }

    fn proba_any(&self, x: Input<'_>) -> Result<Array2<f64>> {
        let (classes, algorithm) = self.classes()?;
        let k = classes.len();
        let d = self.decision_any(x)?;
        let n = d.shape().first().copied().unwrap_or(0);
        let mut p = if k == 2 {
            // `np.vstack([-decision, decision]).T / 2`.
            let mut two = Array2::<f64>::zeros((n, 2));
            for (mut row, &v) in two.rows_mut().into_iter().zip(d.iter()) {
                row.assign(&ndarray::arr1(&[-v / 2.0, v / 2.0]));
            }
            two
        } else {
            let k1 = (k - 1) as f64;
            d.into_dimensionality::<ndarray::Ix2>()
                .map_err(|e| EstimatorError::model("ada_boost", e.to_string()))?
                .mapv(|v| v / k1)
        };
        // SAMME's decision is F-ordered, SAMME.R's C-ordered.
        let f_order = algorithm == AdaBoostAlgorithm::Samme;
        for row in p.rows_mut() {
            softmax_row(row, f_order, n);
        }
        Ok(p)
    }

    /// `_get_median_predict`: per row, the member predictions sorted ascending (equal ones in
    /// member order, NaN last), their weights' running sum, and the prediction where it first
    /// reaches half the total.
    fn median(&self, x: Input<'_>) -> Result<Prediction> {
        x.check_width(self.n_features_in)?;
        check_input(x)?;
        let n = x.n_rows();
        let mut columns = Vec::with_capacity(self.members.len());
        for (j, m) in self.members.iter().enumerate() {
            match x.run(m.as_ref(), Method::Predict, "ada_boost")? {
                Prediction::Float(p) if p.shape() == [n] => columns.push(p),
                other => return Err(members::member_output("ada_boost", j, "values [n]", &other)),
            }
        }
        let mut out = Array1::<f64>::zeros(n);
        let mut row = Vec::with_capacity(columns.len());
        for (i, slot) in out.iter_mut().enumerate() {
            row.clear();
            row.extend(
                columns
                    .iter()
                    .map(|c| c.iter().nth(i).copied().unwrap_or(f64::NAN)),
            );
            *slot = weighted_median(&row, self.weights.view());
        }
        Ok(Prediction::Float(out.into_dyn()))
    }
}

/// One member's SAMME.R term added into `acc`: `(K - 1) * (log p - (1 / K) * sum(log p))`
/// with `p` clipped below at machine epsilon (`_samme_proba`).
fn add_samme_r(mut acc: ndarray::ArrayViewMut1<'_, f64>, p: ArrayView1<'_, f64>, k: usize) {
    let log: Vec<f64> = p
        .iter()
        .map(|&v| (if v < f64::EPSILON { f64::EPSILON } else { v }).ln())
        .collect();
    let mean = (1.0 / k as f64) * numpy_sum(&log);
    let k1 = (k - 1) as f64;
    for (s, &l) in acc.iter_mut().zip(&log) {
        *s += k1 * (l - mean);
    }
}

/// The weighted median of one row of member predictions (`weights` indexed by member).
fn weighted_median(values: &[f64], weights: ArrayView1<'_, f64>) -> f64 {
    let mut order: Vec<usize> = (0..values.len()).collect();
    // Ascending, NaN last, equal values in member order (a stable sort).
    order.sort_by(|&a, &b| {
        let (x, y) = (values.get(a).copied(), values.get(b).copied());
        match (x, y) {
            (Some(x), Some(y)) => x
                .partial_cmp(&y)
                .unwrap_or_else(|| x.is_nan().cmp(&y.is_nan())),
            _ => std::cmp::Ordering::Equal,
        }
    });
    let mut cdf = Vec::with_capacity(order.len());
    let mut acc = 0.0;
    for (i, &m) in order.iter().enumerate() {
        let w = weights.get(m).copied().unwrap_or(0.0);
        acc = if i == 0 { w } else { acc + w };
        cdf.push(acc);
    }
    let half = 0.5 * cdf.last().copied().unwrap_or(0.0);
    let at = cdf.iter().position(|&c| c >= half).unwrap_or(0);
    order
        .get(at)
        .and_then(|&m| values.get(m))
        .copied()
        .unwrap_or(f64::NAN)
}

impl Predict for AdaBoost {
    fn predict(&self, x: ArrayView2<'_, f64>) -> Result<Prediction> {
        self.predict_any(Input::Dense(x))
    }
}

impl PredictProba for AdaBoost {
    fn predict_proba(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        self.proba_any(Input::Dense(x))
    }
}

impl DecisionFunction for AdaBoost {
    fn decision_function(&self, x: ArrayView2<'_, f64>) -> Result<ArrayD<f64>> {
        self.decision_any(Input::Dense(x))
    }
}

impl Estimator for AdaBoost {
    fn n_features_in(&self) -> usize {
        self.n_features_in
    }

    fn numeric_columns(&self, method: Method) -> Option<usize> {
        match (&self.classifier, method) {
            (None, Method::Predict) => Some(1),
            (Some((c, _)), Method::Predict) => c.is_numeric().then_some(1),
            (Some((c, _)), Method::PredictProba) => Some(c.len()),
            (Some((c, _)), Method::DecisionFunction) => {
                Some(if c.len() == 2 { 1 } else { c.len() })
            }
            _ => None,
        }
    }

    fn predicts_1d(&self) -> bool {
        true
    }

    fn as_predict(&self) -> Option<&dyn Predict> {
        Some(self)
    }

    fn as_predict_proba(&self) -> Option<&dyn PredictProba> {
        self.classifier.as_ref().map(|_| self as &dyn PredictProba)
    }

    fn as_decision_function(&self) -> Option<&dyn DecisionFunction> {
        self.classifier
            .as_ref()
            .map(|_| self as &dyn DecisionFunction)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn weighted_median_takes_the_first_value_reaching_half_the_weight() {
        let w = array![1.0, 1.0, 3.0, 0.0];
        // Sorted: 1.0 (w 1), 2.0 (w 3), 5.0 (w 1): cdf 1, 4, 5; half 2.5 -> 2.0.
        assert_eq!(weighted_median(&[5.0, 1.0, 2.0], w.view()), 2.0);
        // Equal weights, two members: cdf 1, 2; half 1 -> the smaller.
        assert_eq!(weighted_median(&[3.0, 7.0], array![1.0, 1.0].view()), 3.0);
        // NaN sorts last.
        // Sorted 4, 6, NaN: cdf 1, 2, 3; half 1.5 -> 6.
        assert_eq!(
            weighted_median(&[f64::NAN, 4.0, 6.0], array![1.0, 1.0, 1.0].view()),
            6.0
        );
    }
}
