//! `Voting`: scikit-learn's `VotingClassifier` and `VotingRegressor`, members over the whole
//! input whose predictions are combined (`spec/estimators.md` section 20).
//!
//! Mirrors scikit-learn 1.9.1 `sklearn/ensemble/_voting.py` (1.3.2 computes the same):
//! `_predict` (`np.asarray([est.predict(X) for est in estimators_]).T`), `_collect_probas`,
//! hard voting's `np.argmax(np.bincount(x, weights=_weights_not_none))` per row mapped
//! through `le_.inverse_transform`, soft voting's and the regressor's `np.average` over the
//! members, and `transform`. numpy sums the members' terms left to right from `0.0`, except
//! where the output has a single element, which it reduces with its pairwise sum
//! ([`numpy_sum`]); the weights' sum is always pairwise. Measured against `np.average` in
//! `python/tests/test_voting.py`.

use amber_codec::model::{self, Labels, VotingRule};
use ndarray::{Array1, Array2, Array3, ArrayView2, Axis};

use super::members::{
    self, Input, check_members_agree, check_names, check_reads_input, has_index_classes,
    is_regressor, merged_kinds,
};
use crate::error::{EstimatorError, Result};
use crate::linear::{Classes, argmax, take};
use crate::method::{Method, Prediction};
use crate::numerics::numpy_sum;
use crate::registry::distinct_classes;
use crate::table::{ColumnKind, Table};
use crate::traits::{
    Estimator, Predict, PredictProba, RunTable, TableTransform, Transform, TransformPrediction,
};

/// How a validated `Voting` combines its members.
#[derive(Debug)]
enum Rule {
    /// The most-voted class index, as a label.
    Hard(Classes),
    /// The mean of the members' probabilities.
    Soft { classes: Classes, flatten: bool },
    /// The mean of the members' predictions.
    Mean,
}

/// A validated `VotingClassifier` or `VotingRegressor`.
#[derive(Debug)]
pub(crate) struct Voting {
    n_features_in: usize,
    /// The members that are not dropped, in body order.
    members: Vec<Box<dyn Estimator>>,
    /// Their weights (`_weights_not_none`), when the `weights` param is set.
    weights: Option<Vec<f64>>,
    rule: Rule,
}

/// Builds a `Voting` from its body, checking rules 1-7 of section 20; `build` builds a
/// member's estimator at a path.
pub(crate) fn build(
    v: &model::Voting,
    n_features_in: usize,
    path: &str,
    mut build: impl FnMut(&model::Estimator, &str) -> Result<Box<dyn Estimator>>,
) -> Result<Box<dyn Estimator>> {
    let field = format!("{path}.voting");
    let weights = weights(v, &field)?;
    let rule = rule(v, &field)?;
    let n_classes = match &rule {
        Rule::Hard(c) | Rule::Soft { classes: c, .. } => c.len(),
        Rule::Mean => 0,
    };
    let mut members = Vec::with_capacity(v.members.len());
    for (i, m) in v.members.iter().enumerate() {
        let Some(est) = &m.estimator else { continue };
        let here = format!("{field}.members[{i}].estimator");
        let e = build(est, &here)?;
        check_member(est, e.as_ref(), &rule, n_classes, n_features_in, &here)?;
        members.push(e);
    }
    // Rule 1: at least one member is not dropped.
    if members.is_empty() {
        return Err(EstimatorError::model(
            format!("{field}.members"),
            "every member is dropped (scikit-learn needs at least one)",
        ));
    }
    // Rule 6: soft and mean voting divide by the weights' sum.
    if let (Some(w), Rule::Soft { .. } | Rule::Mean) = (&weights, &rule) {
        if numpy_sum(w) == 0.0 {
            return Err(EstimatorError::model(
                format!("{field}.members"),
                "the weights sum to zero (numpy's average raises ZeroDivisionError)",
            ));
        }
    }
    let built = Voting {
        n_features_in,
        members,
        weights,
        rule,
    };
    // Rule 7: the members agree on each column's kind.
    let raw = v.members.iter().filter_map(|m| m.estimator.as_ref());
    check_members_agree(raw, || built.merged_kinds(), &field)?;
    Ok(Box::new(built))
}

/// Rules 1 and 2: distinct non-empty names; every member weighted (each weight finite) or
/// none. The weights returned are those of the members that are not dropped.
fn weights(v: &model::Voting, field: &str) -> Result<Option<Vec<f64>>> {
    let names = v.members.iter().map(|m| m.name.as_str());
    check_names(names, &format!("{field}.members"))?;
    let weighted = v.members.iter().filter(|m| m.weight.is_some()).count();
    if weighted == 0 {
        return Ok(None);
    }
    if weighted != v.members.len() {
        return Err(EstimatorError::model(
            format!("{field}.members"),
            format!(
                "{weighted} of {} members have a weight: every member has one or none does",
                v.members.len()
            ),
        ));
    }
    let mut out = Vec::with_capacity(v.members.len());
    for (i, m) in v.members.iter().enumerate() {
        let w = m.weight.unwrap_or_default();
        if !w.is_finite() {
            return Err(EstimatorError::model(
                format!("{field}.members[{i}].weight"),
                format!("must be finite, is {w}"),
            ));
        }
        if m.estimator.is_some() {
            out.push(w);
        }
    }
    Ok(Some(out))
}

/// Rule 3: a classifier rule has distinct classes, a regressor none and no flattening.
fn rule(v: &model::Voting, field: &str) -> Result<Rule> {
    let classes = |c: &Option<Labels>| -> Result<Classes> {
        let c = c.clone().ok_or_else(|| {
            EstimatorError::model(format!("{field}.classes"), "a classifier has classes")
        })?;
        if c.is_empty() {
            return Err(EstimatorError::model(
                format!("{field}.classes"),
                "a classifier has at least one class",
            ));
        }
        distinct_classes(c, format!("{field}.classes"))
    };
    Ok(match v.rule {
        VotingRule::Hard => Rule::Hard(classes(&v.classes)?),
        VotingRule::Soft => Rule::Soft {
            classes: classes(&v.classes)?,
            flatten: v.flatten_transform,
        },
        VotingRule::Mean => {
            if v.classes.is_some() || v.flatten_transform {
                return Err(EstimatorError::model(
                    field,
                    "a VotingRegressor (rule MEAN) has no classes and no flatten_transform",
                ));
            }
            Rule::Mean
        }
    })
}

/// Rules 4 and 5 for one member that is not dropped.
fn check_member(
    raw: &model::Estimator,
    e: &dyn Estimator,
    rule: &Rule,
    n_classes: usize,
    n_features_in: usize,
    here: &str,
) -> Result<()> {
    check_reads_input(e, n_features_in, here)?;
    let bad = |why: &str| Err(EstimatorError::model(here, why.to_owned()));
    if e.as_predict().is_none() {
        return bad("a member must have predict");
    }
    match rule {
        Rule::Hard(_) | Rule::Soft { .. } => {
            if !has_index_classes(raw, n_classes) {
                return bad(&format!(
                    "a member's classes must be the class indices 0..{n_classes} \
                     (scikit-learn fits the members on le_.transform(y))"
                ));
            }
            let proba_ok = e.as_predict_proba().is_some()
                && e.numeric_columns(Method::PredictProba) == Some(n_classes);
            if matches!(rule, Rule::Soft { .. }) && !proba_ok {
                return bad(&format!(
                    "soft voting needs every member's predict_proba, with {n_classes} columns"
                ));
            }
        }
        Rule::Mean => {
            let one = e.numeric_columns(Method::Predict) == Some(1) && e.predicts_1d();
            if !is_regressor(raw) || !one {
                return bad("a VotingRegressor member is a regressor whose predict is [n]");
            }
        }
    }
    Ok(())
}

impl Voting {
    /// Each input column's kind, the members' kinds merged, and the first conflict.
    fn merged_kinds(&self) -> (Vec<ColumnKind>, Option<usize>) {
        merged_kinds(self.members.iter().map(AsRef::as_ref), self.n_features_in)
    }

    fn n_classes(&self) -> usize {
        match &self.rule {
            Rule::Hard(c) | Rule::Soft { classes: c, .. } => c.len(),
            Rule::Mean => 0,
        }
    }

    /// `method` of member `m` on the input.
    fn run_member(m: &dyn Estimator, method: Method, x: Input<'_>) -> Result<Prediction> {
        x.run(m, method, "voting")
    }

    fn check_input(&self, x: Input<'_>) -> Result<()> {
        x.check_width(self.n_features_in)
    }

    /// `_predict` of a classifier: `[n, M]` class indices, each checked below `n_classes`.
    fn indices(&self, x: Input<'_>) -> Result<Array2<i64>> {
        let (n, k) = (x.n_rows(), self.n_classes());
        let mut out = Array2::zeros((n, self.members.len()));
        for (j, m) in self.members.iter().enumerate() {
            let p = match Self::run_member(m.as_ref(), Method::Predict, x)? {
                Prediction::Int(p) if p.shape() == [n] => p,
                other => return Err(member_output(j, "class indices [n]", &other)),
            };
            for (slot, &c) in out.column_mut(j).iter_mut().zip(&p) {
                if usize::try_from(c).map_or(true, |c| c >= k) {
                    return Err(EstimatorError::model(
                        format!("voting member {j}"),
                        format!("predicted class index {c}, not below {k}"),
                    ));
                }
                *slot = c;
            }
        }
        Ok(out)
    }

    /// `_collect_probas`: each member's `[n, K]` probabilities.
    fn probas(&self, x: Input<'_>) -> Result<Vec<Array2<f64>>> {
        let shape = [x.n_rows(), self.n_classes()];
        self.members
            .iter()
            .enumerate()
            .map(
                |(j, m)| match Self::run_member(m.as_ref(), Method::PredictProba, x)? {
                    Prediction::Float(p) if p.shape() == shape => p
                        .into_dimensionality()
                        .map_err(|e| EstimatorError::model("voting", e.to_string())),
                    other => Err(member_output(j, "probabilities [n, n_classes]", &other)),
                },
            )
            .collect()
    }

    /// `_predict` of a regressor: `[n, M]` predictions.
    fn values(&self, x: Input<'_>) -> Result<Array2<f64>> {
        let n = x.n_rows();
        let mut out = Array2::zeros((n, self.members.len()));
        for (j, m) in self.members.iter().enumerate() {
            match Self::run_member(m.as_ref(), Method::Predict, x)? {
                Prediction::Float(p) if p.shape() == [n] => out.column_mut(j).assign(&p),
                other => return Err(member_output(j, "values [n]", &other)),
            }
        }
        Ok(out)
    }

    /// Hard voting's winners: per row, the first largest (weighted) count.
    fn hard_winners(&self, indices: &Array2<i64>) -> Vec<usize> {
        let ones = vec![1.0; self.members.len()];
        let weights = self.weights.as_deref().unwrap_or(&ones);
        indices
            .rows()
            .into_iter()
            .map(|row| {
                // `indices` checked every value to be in 0..n_classes, so each fits a bin.
                let bins = row.iter().map(|&c| c as usize + 1).max().unwrap_or(1);
                let mut counts = Array1::<f64>::zeros(bins);
                for (&c, &w) in row.iter().zip(weights) {
                    if let Some(count) = counts.get_mut(c as usize) {
                        *count += w;
                    }
                }
                argmax(counts.view()).unwrap_or(0)
            })
            .collect()
    }

    fn predict_any(&self, x: Input<'_>) -> Result<Prediction> {
        self.check_input(x)?;
        match &self.rule {
            Rule::Hard(classes) => take(classes, &self.hard_winners(&self.indices(x)?)),
            Rule::Soft { classes, .. } => {
                let p = average(&self.probas(x)?, self.weights.as_deref());
                let winners: Vec<usize> = p
                    .rows()
                    .into_iter()
                    .map(|r| argmax(r).unwrap_or(0))
                    .collect();
                take(classes, &winners)
            }
            Rule::Mean => {
                let columns: Vec<Array2<f64>> = self
                    .values(x)?
                    .columns()
                    .into_iter()
                    .map(|c| c.to_owned().insert_axis(Axis(1)))
                    .collect();
                let mean = average(&columns, self.weights.as_deref());
                Ok(Prediction::Float(
                    mean.index_axis_move(Axis(1), 0).into_dyn(),
                ))
            }
        }
    }

    fn proba_any(&self, x: Input<'_>) -> Result<Array2<f64>> {
        self.check_input(x)?;
        Ok(average(&self.probas(x)?, self.weights.as_deref()))
    }

    /// `transform` as scikit-learn returns it.
    fn transform_any(&self, x: Input<'_>) -> Result<Prediction> {
        self.check_input(x)?;
        Ok(match &self.rule {
            Rule::Hard(_) => Prediction::Int(self.indices(x)?.into_dyn()),
            Rule::Soft { flatten: true, .. } => Prediction::Float(self.flat(x)?.into_dyn()),
            Rule::Soft { flatten: false, .. } => {
                let parts = self.probas(x)?;
                let (n, k) = (x.n_rows(), self.n_classes());
                let mut out = Array3::zeros((parts.len(), n, k));
                for (mut slab, p) in out.outer_iter_mut().zip(&parts) {
                    slab.assign(p);
                }
                Prediction::Float(out.into_dyn())
            }
            Rule::Mean => Prediction::Float(self.values(x)?.into_dyn()),
        })
    }

    /// Soft voting's flattened transform: the members' probabilities side by side.
    fn flat(&self, x: Input<'_>) -> Result<Array2<f64>> {
        let parts = self.probas(x)?;
        let views: Vec<ArrayView2<'_, f64>> = parts.iter().map(|p| p.view()).collect();
        ndarray::concatenate(Axis(1), &views)
            .map_err(|e| EstimatorError::model("voting", e.to_string()))
    }

    /// `transform` as the f64 matrix a next step reads (`None` for a 3-D output).
    fn transform_matrix(&self, x: Input<'_>) -> Result<Array2<f64>> {
        self.check_input(x)?;
        match &self.rule {
            // Class indices are below 2^53: exact as f64.
            Rule::Hard(_) => Ok(self.indices(x)?.mapv(|c| c as f64)),
            Rule::Soft { .. } => self.flat(x),
            Rule::Mean => self.values(x),
        }
    }

    fn has_matrix_transform(&self) -> bool {
        !matches!(self.rule, Rule::Soft { flatten: false, .. })
    }
}

fn member_output(j: usize, want: &str, got: &Prediction) -> EstimatorError {
    members::member_output("voting", j, want, got)
}

/// `np.average(parts, axis=0, weights)` over `M` arrays of one shape: `0.0` plus the terms
/// (`p * w`, or `p`) member after member, or numpy's pairwise sum when the output has a
/// single element; divided by the weights' pairwise sum, or by `M`.
fn average(parts: &[Array2<f64>], weights: Option<&[f64]>) -> Array2<f64> {
    let Some(first) = parts.first() else {
        return Array2::zeros((0, 0));
    };
    let ones = vec![1.0; parts.len()];
    let (factors, denominator) = match weights {
        Some(w) => (w, numpy_sum(w)),
        None => (ones.as_slice(), parts.len() as f64),
    };
    // Without weights numpy adds `p`, not `p * 1.0`: the same value.
    if first.len() == 1 {
        let terms: Vec<f64> = parts
            .iter()
            .zip(factors)
            .map(|(p, &w)| p.iter().next().copied().unwrap_or(0.0) * w)
            .collect();
        return Array2::from_elem(first.raw_dim(), numpy_sum(&terms) / denominator);
    }
    let mut sum = Array2::<f64>::zeros(first.raw_dim());
    for (p, &w) in parts.iter().zip(factors) {
        sum.zip_mut_with(p, |s, &v| *s += v * w);
    }
    sum.mapv_inplace(|s| s / denominator);
    sum
}

impl Predict for Voting {
    fn predict(&self, x: ArrayView2<'_, f64>) -> Result<Prediction> {
        self.predict_any(Input::Dense(x))
    }
}

impl PredictProba for Voting {
    fn predict_proba(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        self.proba_any(Input::Dense(x))
    }
}

impl TransformPrediction for Voting {
    fn transform_prediction(&self, x: ArrayView2<'_, f64>) -> Result<Prediction> {
        self.transform_any(Input::Dense(x))
    }
}

impl Transform for Voting {
    fn transform(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        self.transform_matrix(Input::Dense(x))
    }

    fn n_features_out(&self) -> usize {
        let m = self.members.len();
        match self.rule {
            Rule::Soft { .. } => m * self.n_classes(),
            Rule::Hard(_) | Rule::Mean => m,
        }
    }
}

impl TableTransform for Voting {
    fn transform_table(&self, x: &Table) -> Result<Table> {
        self.transform_matrix(Input::Table(x))
            .map(|d| Table::from_dense(d.view()))
    }

    fn output_kinds(&self) -> Vec<ColumnKind> {
        vec![ColumnKind::Numeric; self.n_features_out()]
    }
}

impl RunTable for Voting {
    fn run_table(&self, method: Method, x: &Table) -> Option<Result<Prediction>> {
        let x = Input::Table(x);
        match method {
            Method::Predict => Some(self.predict_any(x)),
            Method::PredictProba if matches!(self.rule, Rule::Soft { .. }) => {
                Some(self.proba_any(x).map(|p| Prediction::Float(p.into_dyn())))
            }
            Method::Transform => Some(self.transform_any(x)),
            _ => None,
        }
    }
}

impl Estimator for Voting {
    fn n_features_in(&self) -> usize {
        self.n_features_in
    }

    /// Every member reads every column: the members' kinds merged (rule 7 made them agree).
    fn input_kinds(&self) -> Vec<ColumnKind> {
        self.merged_kinds().0
    }

    fn numeric_columns(&self, method: Method) -> Option<usize> {
        match (&self.rule, method) {
            (Rule::Hard(c) | Rule::Soft { classes: c, .. }, Method::Predict) => {
                c.is_numeric().then_some(1)
            }
            (Rule::Soft { classes, .. }, Method::PredictProba) => Some(classes.len()),
            (Rule::Mean, Method::Predict) => Some(1),
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
        matches!(self.rule, Rule::Soft { .. }).then_some(self as &dyn PredictProba)
    }

    fn as_transform(&self) -> Option<&dyn Transform> {
        self.has_matrix_transform()
            .then_some(self as &dyn Transform)
    }

    fn as_transform_prediction(&self) -> Option<&dyn TransformPrediction> {
        Some(self)
    }

    fn as_table_transform(&self) -> Option<&dyn TableTransform> {
        self.has_matrix_transform()
            .then_some(self as &dyn TableTransform)
    }

    fn as_run_table(&self) -> Option<&dyn RunTable> {
        Some(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linear::{Affine, ClassLink, Classifier, Regressor};
    use ndarray::array;

    /// A binary logistic member on one feature: score `a * x + b`.
    fn member(a: f64, b: f64) -> Box<dyn Estimator> {
        Box::new(Classifier::new(
            Affine::new(array![[a]], array![b]),
            ClassLink::Logistic,
            Classes::Int(vec![0, 1]),
        ))
    }

    fn voting(rule: Rule, weights: Option<Vec<f64>>) -> Voting {
        Voting {
            n_features_in: 1,
            members: vec![member(1.0, 0.0), member(-1.0, 0.5), member(2.0, -3.0)],
            weights,
            rule,
        }
    }

    #[test]
    fn hard_votes_count_weights_and_ties_go_to_the_first_index() {
        let labels = Classes::Str(vec!["no".into(), "yes".into()]);
        // x = 1: member votes 1, 1 (score -0.5 <= 0 -> 0... see below), 0.
        let v = voting(Rule::Hard(labels), Some(vec![1.0, 1.0, 2.0]));
        let x = array![[1.0]];
        let idx = v.indices(Input::Dense(x.view())).unwrap();
        // Scores: 1.0 > 0 -> 1; -0.5 -> 0; -1.0 -> 0.
        assert_eq!(idx, array![[1, 0, 0]]);
        // Counts: bin 0 = 1 + 2, bin 1 = 1.
        assert_eq!(v.hard_winners(&idx), vec![0]);
        let tie = voting(
            Rule::Hard(Classes::Int(vec![0, 1])),
            Some(vec![3.0, 1.0, 2.0]),
        );
        // Counts 3 and 3: the first index wins.
        assert_eq!(tie.hard_winners(&idx), vec![0]);
    }

    #[test]
    fn average_sums_left_to_right_or_pairwise_for_one_element() {
        // Ten one-element parts: numpy's pairwise order (eight partial sums), which here
        // differs from the left-to-right sum.
        let vals = [1e16, 1.0, -1e16, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0];
        let parts: Vec<Array2<f64>> = vals.iter().map(|&v| array![[v]]).collect();
        let left = vals.iter().fold(0.0, |s, &v| s + v);
        let got = average(&parts, None)[[0, 0]];
        assert_eq!(got.to_bits(), (numpy_sum(&vals) / 10.0).to_bits());
        assert_ne!(got, left / 10.0);
        // Two elements: left to right from 0.0.
        let parts: Vec<Array2<f64>> = vals.iter().map(|&v| array![[v, v]]).collect();
        assert_eq!(average(&parts, None)[[0, 1]], left / 10.0);
        // Weighted: products summed, divided by the pairwise sum of the weights.
        let w = [2.0, 0.5, 1.0];
        let parts = vec![array![[0.1, 0.2]], array![[0.3, 0.4]], array![[0.5, 0.6]]];
        let want = (((0.0 + 0.1 * 2.0) + 0.3 * 0.5) + 0.5 * 1.0) / numpy_sum(&w);
        assert_eq!(average(&parts, Some(&w))[[0, 0]].to_bits(), want.to_bits());
    }

    #[test]
    fn methods_follow_the_rule() {
        let hard = voting(Rule::Hard(Classes::Int(vec![0, 1])), None);
        let e: &dyn Estimator = &hard;
        assert_eq!(e.methods(), vec![Method::Predict, Method::Transform]);
        let out = e
            .run(Method::Transform, array![[1.0]].view())
            .unwrap()
            .unwrap();
        assert_eq!(out, Prediction::Int(array![[1, 0, 0]].into_dyn()));
        let soft = voting(
            Rule::Soft {
                classes: Classes::Int(vec![0, 1]),
                flatten: false,
            },
            None,
        );
        let e: &dyn Estimator = &soft;
        assert_eq!(
            e.methods(),
            vec![Method::Predict, Method::PredictProba, Method::Transform]
        );
        assert!(e.as_transform().is_none());
        let out = e
            .run(Method::Transform, array![[1.0], [2.0]].view())
            .unwrap()
            .unwrap();
        assert_eq!(out.shape(), [3, 2, 2]);
    }

    #[test]
    fn regressor_means_predictions() {
        let r = |a: f64| -> Box<dyn Estimator> {
            Box::new(Regressor::new(Affine::new(array![[a]], array![0.0]), true))
        };
        let v = Voting {
            n_features_in: 1,
            members: vec![r(1.0), r(2.0), r(4.0)],
            weights: None,
            rule: Rule::Mean,
        };
        let out = v.predict(array![[1.0], [0.5]].view()).unwrap();
        let want = array![(0.0 + 1.0 + 2.0 + 4.0) / 3.0, (0.0 + 0.5 + 1.0 + 2.0) / 3.0];
        assert_eq!(out, Prediction::Float(want.into_dyn()));
        assert!(matches!(
            v.predict(array![[1.0, 2.0]].view()),
            Err(EstimatorError::Input {
                expected: 1,
                found: 2
            })
        ));
    }
}
