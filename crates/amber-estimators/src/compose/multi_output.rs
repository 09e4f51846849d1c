//! `MultiOutput`: scikit-learn's `MultiOutputClassifier`, `MultiOutputRegressor`,
//! `ClassifierChain` and `RegressorChain`, one member per output (`spec/estimators.md`
//! section 24).
//!
//! Mirrors scikit-learn 1.9.1 `sklearn/multioutput.py`: `_MultiOutputEstimator.predict`
//! (`np.asarray([e.predict(X) for e in estimators_]).T`), `MultiOutputClassifier.
//! predict_proba` (the members' arrays, one per output), and `_BaseChain._get_predictions`
//! (each member reads `np.hstack((X, Y_feature_chain[:, :i]))`, its `chain_method_` output
//! becomes column `i` of the chain's features and its requested output column `order_[i]`
//! of the result). 1.3.2's chains compute the same with `chain_method` fixed to `predict`.

use amber_codec::model::{self, ChainMethod, MultiOutputKind};
use ndarray::{Array1, Array2, ArrayD, ArrayView2, s};

use super::members::{
    Input, check_members_agree, check_reads_input, is_regressor, member_classes, merged_kinds,
    score_column,
};
use crate::error::{EstimatorError, Result};
use crate::finite::{self, Refuse};
use crate::method::{Method, Prediction};
use crate::table::{ColumnKind, Table};
use crate::traits::{DecisionFunction, Estimator, Predict, PredictProba, RunTable};

/// The common kind of the members' labels (`np.asarray` of them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LabelKind {
    Int,
    /// Floats, or ints and floats (numpy promotes to f64).
    Float,
    Str,
    /// Strings and numbers: no `predict` (numpy would turn the numbers into strings).
    Mixed,
}

/// A validated `MultiOutput`.
#[derive(Debug)]
pub(crate) struct MultiOutput {
    n_features_in: usize,
    kind: MultiOutputKind,
    members: Vec<Box<dyn Estimator>>,
    /// Chains: the output column of each member (`order_`).
    order: Vec<usize>,
    chain_method: ChainMethod,
    labels: LabelKind,
    has_proba: bool,
    has_decision: bool,
}

/// Builds a `MultiOutput` from its body, checking rules 1-5 of section 24; `build` builds a
/// member's estimator at a path.
pub(crate) fn build(
    body: &model::MultiOutput,
    n_features_in: usize,
    path: &str,
    mut build: impl FnMut(&model::Estimator, &str) -> Result<Box<dyn Estimator>>,
) -> Result<Box<dyn Estimator>> {
    let field = format!("{path}.multi_output");
    // Rule 1.
    if body.members.is_empty() {
        return Err(EstimatorError::model(
            format!("{field}.members"),
            "there is at least one member",
        ));
    }
    let (order, chain_method) = chain(body, &field)?;
    let mut members = Vec::with_capacity(body.members.len());
    let mut kinds = Vec::with_capacity(body.members.len());
    for (i, raw) in body.members.iter().enumerate() {
        let here = format!("{field}.members[{i}]");
        let e = build(raw, &here)?;
        let width = if body.kind.is_chain() {
            n_features_in + i
        } else {
            n_features_in
        };
        check_member(raw, e.as_ref(), body.kind, chain_method, width, &here)?;
        kinds.push(label_kind(raw));
        members.push(e);
    }
    let all = |f: &dyn Fn(&dyn Estimator) -> bool| members.iter().all(|m| f(m.as_ref()));
    let classifier = matches!(
        body.kind,
        MultiOutputKind::Classifier | MultiOutputKind::ClassifierChain
    );
    let has_proba = classifier
        && all(&|e| {
            e.as_predict_proba().is_some()
                && (body.kind == MultiOutputKind::Classifier
                    || e.numeric_columns(Method::PredictProba) == Some(2))
        });
    let has_decision = body.kind == MultiOutputKind::ClassifierChain
        && all(&|e| {
            e.as_decision_function().is_some()
                && e.numeric_columns(Method::DecisionFunction) == Some(1)
        });
    let built = MultiOutput {
        n_features_in,
        kind: body.kind,
        members,
        order,
        chain_method,
        labels: common_kind(&kinds),
        has_proba,
        has_decision,
    };
    // Rule 5.
    if !body.kind.is_chain() {
        check_members_agree(&body.members, || built.merged_kinds(), &field)?;
    }
    Ok(Box::new(built))
}

/// Rule 2: a chain's `order` is a permutation of the members and it has a chain method
/// (`PREDICT` for a regressor chain); the other kinds have neither.
fn chain(body: &model::MultiOutput, field: &str) -> Result<(Vec<usize>, ChainMethod)> {
    let bad = |f: &str, why: String| Err(EstimatorError::model(format!("{field}.{f}"), why));
    if !body.kind.is_chain() {
        if !body.order.is_empty() || body.chain_method.is_some() {
            return bad(
                "order",
                "only a chain has an order and a chain method".to_owned(),
            );
        }
        return Ok((Vec::new(), ChainMethod::Predict));
    }
    let m = body.members.len();
    let mut seen = vec![false; m];
    let mut order = Vec::with_capacity(m);
    for &o in &body.order {
        match usize::try_from(o)
            .ok()
            .and_then(|o| seen.get_mut(o).map(|s| (o, s)))
        {
            Some((o, s)) if !*s => {
                *s = true;
                order.push(o);
            }
            _ => {
                return bad("order", format!("is not a permutation of 0..{m} (at {o})"));
            }
        }
    }
    if order.len() != m {
        return bad(
            "order",
            format!("has {} entries for {m} members", order.len()),
        );
    }
    match (body.kind, body.chain_method) {
        (_, None) => bad("chain_method", "a chain has a chain method".to_owned()),
        (MultiOutputKind::RegressorChain, Some(c)) if c != ChainMethod::Predict => bad(
            "chain_method",
            "a regressor chain's chain method is PREDICT".to_owned(),
        ),
        (_, Some(c)) => Ok((order, c)),
    }
}

/// Rules 3 and 4 for member `i`, which reads `width` columns.
fn check_member(
    raw: &model::Estimator,
    e: &dyn Estimator,
    kind: MultiOutputKind,
    chain_method: ChainMethod,
    width: usize,
    here: &str,
) -> Result<()> {
    check_reads_input(e, width, here)?;
    let bad = |why: &str| Err(EstimatorError::model(here, why.to_owned()));
    if kind.is_chain() {
        if !raw.feature_names_in.is_empty() {
            return bad("a chain member has no feature names (it is fitted on an array)");
        }
        if e.input_kinds().contains(&ColumnKind::String) {
            return bad("a chain member reads numbers");
        }
    }
    match kind {
        MultiOutputKind::Regressor | MultiOutputKind::RegressorChain => {
            let one = e.numeric_columns(Method::Predict) == Some(1) && e.predicts_1d();
            if !is_regressor(raw) || !one {
                return bad("a member is a regressor whose predict is [n]");
            }
        }
        MultiOutputKind::Classifier => {
            if member_classes(raw).is_none() || !e.predicts_1d() || e.as_predict().is_none() {
                return bad("a member is a classifier whose predict is [n]");
            }
        }
        MultiOutputKind::ClassifierChain => {
            let numeric = e.numeric_columns(Method::Predict) == Some(1) && e.predicts_1d();
            if member_classes(raw).is_none() || !numeric {
                return bad("a chain member is a classifier with numeric labels, predict [n]");
            }
            let (method, width, what) = match chain_method {
                ChainMethod::Predict => return Ok(()),
                ChainMethod::PredictProba | ChainMethod::PredictLogProba => {
                    (Method::PredictProba, 2, "predict_proba [n, 2]")
                }
                ChainMethod::DecisionFunction => {
                    (Method::DecisionFunction, 1, "decision_function [n]")
                }
            };
            if !e.supports(method) || e.numeric_columns(method) != Some(width) {
                return bad(&format!("the chain method needs every member's {what}"));
            }
        }
    }
    Ok(())
}

/// The kind of a classifier member's labels (`Float` for a regressor: its predictions).
fn label_kind(raw: &model::Estimator) -> LabelKind {
    match member_classes(raw) {
        Some(model::Labels::Int(_)) => LabelKind::Int,
        Some(model::Labels::Str(_)) => LabelKind::Str,
        Some(model::Labels::Float(_)) | None => LabelKind::Float,
    }
}

/// numpy's promotion of the members' label arrays stacked by `np.asarray`.
fn common_kind(kinds: &[LabelKind]) -> LabelKind {
    kinds
        .iter()
        .copied()
        .reduce(|a, b| match (a, b) {
            (x, y) if x == y => x,
            (LabelKind::Str, _)
            | (_, LabelKind::Str)
            | (LabelKind::Mixed, _)
            | (_, LabelKind::Mixed) => LabelKind::Mixed,
            _ => LabelKind::Float,
        })
        .unwrap_or(LabelKind::Float)
}

impl MultiOutput {
    fn merged_kinds(&self) -> (Vec<ColumnKind>, Option<usize>) {
        merged_kinds(self.members.iter().map(AsRef::as_ref), self.n_features_in)
    }

    /// `predict` of `MultiOutputClassifier` and `MultiOutputRegressor`: the members'
    /// `[n]` outputs as the columns of `[n, M]`, of the common label kind.
    fn side_by_side(&self, x: Input<'_>) -> Result<Prediction> {
        x.check_width(self.n_features_in)?;
        let n = x.n_rows();
        let mut parts = Vec::with_capacity(self.members.len());
        for (j, m) in self.members.iter().enumerate() {
            let p = x.run(m.as_ref(), Method::Predict, "multi_output")?;
            if p.shape() != [n] {
                return Err(super::members::member_output(
                    "multi_output",
                    j,
                    "one prediction per row [n]",
                    &p,
                ));
            }
            parts.push(p);
        }
        stack_columns(parts, self.labels, n)
    }

    /// `MultiOutputClassifier.predict_proba`: each member's array.
    fn probas(&self, x: Input<'_>) -> Result<Vec<Array2<f64>>> {
        x.check_width(self.n_features_in)?;
        self.members
            .iter()
            .enumerate()
            .map(
                |(j, m)| match x.run(m.as_ref(), Method::PredictProba, "multi_output")? {
                    Prediction::Float(p) if p.ndim() == 2 => p
                        .into_dimensionality()
                        .map_err(|e| EstimatorError::model("multi_output", e.to_string())),
                    other => Err(super::members::member_output(
                        "multi_output",
                        j,
                        "probabilities [n, n_classes]",
                        &other,
                    )),
                },
            )
            .collect()
    }

    /// `_BaseChain._get_predictions(X, output_method)`: `[n, M]` f64.
    fn chain(&self, x: ArrayView2<'_, f64>, output: Method) -> Result<Array2<f64>> {
        crate::traits::check_width(&x, self.n_features_in)?;
        // `_get_predictions` runs `validate_data` with the default `ensure_all_finite=True`
        // before any member (spec/estimators.md, MultiOutput rule on inputs).
        finite::check(
            x,
            Refuse::NonFinite,
            "a ClassifierChain or RegressorChain refuses NaN and infinities",
        )?;
        let (n, d, m) = (x.nrows(), self.n_features_in, self.members.len());
        let mut aug = Array2::<f64>::zeros((n, d + m));
        aug.slice_mut(s![.., ..d]).assign(&x);
        let mut out = Array2::<f64>::zeros((n, m));
        for (i, (e, &o)) in self.members.iter().zip(&self.order).enumerate() {
            let xi = aug.slice(s![.., ..d + i]);
            let feature = self.response(e.as_ref(), self.chain_method, xi, i)?;
            let value = match (output, self.chain_method) {
                (Method::Predict, ChainMethod::Predict)
                | (Method::PredictProba, ChainMethod::PredictProba)
                | (Method::DecisionFunction, ChainMethod::DecisionFunction) => feature.clone(),
                (Method::PredictProba, _) => {
                    self.response(e.as_ref(), ChainMethod::PredictProba, xi, i)?
                }
                (Method::DecisionFunction, _) => {
                    self.response(e.as_ref(), ChainMethod::DecisionFunction, xi, i)?
                }
                _ => self.response(e.as_ref(), ChainMethod::Predict, xi, i)?,
            };
            aug.column_mut(d + i).assign(&feature);
            out.column_mut(o).assign(&value);
        }
        Ok(out)
    }

    /// A chain member's `_get_response_values(estimator, X_aug, response_method)`: labels
    /// as f64, column 1 of its probabilities or their log, its decision values.
    fn response(
        &self,
        e: &dyn Estimator,
        method: ChainMethod,
        x: ArrayView2<'_, f64>,
        i: usize,
    ) -> Result<Array1<f64>> {
        let input = Input::Dense(x);
        let who = ("multi_output", i);
        match method {
            ChainMethod::Predict => score_column(e, Method::Predict, None, input, who),
            ChainMethod::PredictProba => score_column(e, Method::PredictProba, Some(1), input, who),
            ChainMethod::PredictLogProba => {
                score_column(e, Method::PredictProba, Some(1), input, who).map(|p| p.mapv(f64::ln))
            }
            ChainMethod::DecisionFunction => {
                score_column(e, Method::DecisionFunction, None, input, who)
            }
        }
    }

    /// A table as the chain reads it (`validate_data`: numbers only).
    fn dense(x: &Table, n_features_in: usize) -> Result<Array2<f64>> {
        crate::traits::check_table_width(x, n_features_in)?;
        x.to_dense()
    }

    fn predict_any(&self, x: Input<'_>) -> Result<Prediction> {
        if !self.kind.is_chain() {
            return self.side_by_side(x);
        }
        let out = match x {
            Input::Dense(d) => self.chain(d, Method::Predict)?,
            Input::Table(t) => {
                self.chain(Self::dense(t, self.n_features_in)?.view(), Method::Predict)?
            }
        };
        Ok(Prediction::Float(out.into_dyn()))
    }

    fn chain_any(&self, x: Input<'_>, method: Method) -> Result<Array2<f64>> {
        match x {
            Input::Dense(d) => self.chain(d, method),
            Input::Table(t) => self.chain(Self::dense(t, self.n_features_in)?.view(), method),
        }
    }

    fn proba_single(&self, x: Input<'_>) -> Result<Array2<f64>> {
        if self.kind.is_chain() {
            return self.chain_any(x, Method::PredictProba);
        }
        if self.members.len() > 1 {
            return Err(EstimatorError::MultiOutputProba {
                n_outputs: self.members.len(),
            });
        }
        let mut all = self.probas(x)?;
        all.pop()
            .ok_or_else(|| EstimatorError::model("multi_output", "no members"))
    }
}

/// The members' `[n]` predictions as the columns of one `[n, M]` array of `kind`.
fn stack_columns(parts: Vec<Prediction>, kind: LabelKind, n: usize) -> Result<Prediction> {
    let m = parts.len();
    let bad = || {
        EstimatorError::model(
            "multi_output",
            "a member's labels are not of the common kind",
        )
    };
    Ok(match kind {
        LabelKind::Int => {
            let mut out = Array2::<i64>::zeros((n, m));
            for (mut col, p) in out.columns_mut().into_iter().zip(parts) {
                let Prediction::Int(v) = p else {
                    return Err(bad());
                };
                col.assign(&v.into_shape_with_order(n).map_err(|_| bad())?);
            }
            Prediction::Int(out.into_dyn())
        }
        LabelKind::Float => {
            let mut out = Array2::<f64>::zeros((n, m));
            for (mut col, p) in out.columns_mut().into_iter().zip(parts) {
                let v: ArrayD<f64> = match p {
                    Prediction::Float(v) => v,
                    // numpy's promotion of i64 labels to f64 (exact below 2^53).
                    Prediction::Int(v) => v.mapv(|c| c as f64),
                    _ => return Err(bad()),
                };
                col.assign(&v.into_shape_with_order(n).map_err(|_| bad())?);
            }
            Prediction::Float(out.into_dyn())
        }
        LabelKind::Str => {
            let mut out = Array2::<String>::default((n, m));
            for (mut col, p) in out.columns_mut().into_iter().zip(parts) {
                let Prediction::Str(v) = p else {
                    return Err(bad());
                };
                col.assign(&v.into_shape_with_order(n).map_err(|_| bad())?);
            }
            Prediction::Str(out.into_dyn())
        }
        LabelKind::Mixed => {
            return Err(EstimatorError::model(
                "multi_output",
                "the outputs' labels mix strings and numbers",
            ));
        }
    })
}

impl Predict for MultiOutput {
    fn predict(&self, x: ArrayView2<'_, f64>) -> Result<Prediction> {
        self.predict_any(Input::Dense(x))
    }
}

impl PredictProba for MultiOutput {
    fn predict_proba(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        self.proba_single(Input::Dense(x))
    }

    fn predict_proba_multi(&self, x: ArrayView2<'_, f64>) -> Result<Vec<Array2<f64>>> {
        if self.kind.is_chain() {
            return Ok(vec![self.chain(x, Method::PredictProba)?]);
        }
        self.probas(Input::Dense(x))
    }
}

impl DecisionFunction for MultiOutput {
    fn decision_function(&self, x: ArrayView2<'_, f64>) -> Result<ArrayD<f64>> {
        Ok(self.chain(x, Method::DecisionFunction)?.into_dyn())
    }
}

impl RunTable for MultiOutput {
    fn run_table(&self, method: Method, x: &Table) -> Option<Result<Prediction>> {
        let input = Input::Table(x);
        match method {
            Method::Predict if self.labels != LabelKind::Mixed => Some(self.predict_any(input)),
            Method::PredictProba if self.has_proba => Some(
                self.proba_single(input)
                    .map(|p| Prediction::Float(p.into_dyn())),
            ),
            Method::DecisionFunction if self.has_decision => Some(
                self.chain_any(input, Method::DecisionFunction)
                    .map(|p| Prediction::Float(p.into_dyn())),
            ),
            _ => None,
        }
    }

    fn proba_multi_table(&self, x: &Table) -> Option<Result<Vec<Array2<f64>>>> {
        if !self.has_proba {
            return None;
        }
        if self.kind.is_chain() {
            return Some(
                self.chain_any(Input::Table(x), Method::PredictProba)
                    .map(|p| vec![p]),
            );
        }
        Some(self.probas(Input::Table(x)))
    }
}

impl Estimator for MultiOutput {
    fn n_features_in(&self) -> usize {
        self.n_features_in
    }

    /// `MultiOutput*`: every member reads every column, their kinds merged (rule 5); a chain
    /// reads numbers.
    fn input_kinds(&self) -> Vec<ColumnKind> {
        if self.kind.is_chain() {
            return vec![ColumnKind::Numeric; self.n_features_in];
        }
        self.merged_kinds().0
    }

    fn numeric_columns(&self, method: Method) -> Option<usize> {
        let m = self.members.len();
        match method {
            Method::Predict if matches!(self.labels, LabelKind::Int | LabelKind::Float) => Some(m),
            Method::PredictProba if self.has_proba && self.kind.is_chain() => Some(m),
            Method::PredictProba if self.has_proba && m == 1 => self
                .members
                .first()
                .and_then(|e| e.numeric_columns(Method::PredictProba)),
            Method::DecisionFunction if self.has_decision => Some(m),
            _ => None,
        }
    }

    fn as_predict(&self) -> Option<&dyn Predict> {
        (self.labels != LabelKind::Mixed).then_some(self as &dyn Predict)
    }

    fn as_predict_proba(&self) -> Option<&dyn PredictProba> {
        self.has_proba.then_some(self as &dyn PredictProba)
    }

    fn as_decision_function(&self) -> Option<&dyn DecisionFunction> {
        self.has_decision.then_some(self as &dyn DecisionFunction)
    }

    fn as_run_table(&self) -> Option<&dyn RunTable> {
        Some(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_promote_as_numpy_stacks_them() {
        use LabelKind::{Float, Int, Mixed, Str};
        assert_eq!(common_kind(&[Int, Int]), Int);
        assert_eq!(common_kind(&[Int, Float]), Float);
        assert_eq!(common_kind(&[Str, Str]), Str);
        assert_eq!(common_kind(&[Str, Int]), Mixed);
        assert_eq!(common_kind(&[Float, Int, Str]), Mixed);
    }
}
