//! What the compositions over predictions (`Voting`, `Stacking`) share: members that each
//! read the whole input, which may be a matrix or a table with strings, and the body-level
//! questions asked of a member (its classes, whether it is a regressor).

use std::collections::HashSet;

use amber_codec::model::{self, Labels, VotingRule};
use ndarray::{Array1, ArrayView2, Axis};

use super::branches::merge;
use crate::error::{EstimatorError, Result};
use crate::method::{Method, Prediction};
use crate::table::{ColumnKind, Table};
use crate::traits::{Estimator, check_table_width, check_width};

/// The input as the members take it: a matrix, or a table with the members' columns.
#[derive(Clone, Copy)]
pub(crate) enum Input<'a> {
    Dense(ArrayView2<'a, f64>),
    Table(&'a Table),
}

impl Input<'_> {
    pub(crate) fn n_rows(self) -> usize {
        match self {
            Input::Dense(x) => x.nrows(),
            Input::Table(t) => t.n_rows(),
        }
    }

    /// `E_INPUT` unless the input has `expected` columns.
    pub(crate) fn check_width(self, expected: usize) -> Result<()> {
        match self {
            Input::Dense(x) => check_width(&x, expected),
            Input::Table(t) => check_table_width(t, expected),
        }
    }

    /// `method` of member `m` (named `who` in the error) on the input.
    pub(crate) fn run(self, m: &dyn Estimator, method: Method, who: &str) -> Result<Prediction> {
        let out = match self {
            Input::Dense(x) => m.run(method, x),
            Input::Table(t) => m.run_table(method, t),
        };
        out.unwrap_or_else(|| {
            Err(EstimatorError::model(
                who,
                format!("a member has no {method}"),
            ))
        })
    }
}

/// One float column of member `j` (of the composition `who`)'s `method` output on `x`: a `[n]` output (labels as f64:
/// exact below 2^53 in magnitude, as numpy's cast), or column `col` of an `[n, k]` one.
/// `E_MODEL` for any other shape.
pub(crate) fn score_column(
    m: &dyn Estimator,
    method: Method,
    col: Option<usize>,
    x: Input<'_>,
    (who, j): (&str, usize),
) -> Result<Array1<f64>> {
    let n = x.n_rows();
    let out = x.run(m, method, who)?;
    match (&out, col) {
        (Prediction::Float(p), None) if p.shape() == [n] => Ok(p.iter().copied().collect()),
        (Prediction::Int(p), None) if p.shape() == [n] => Ok(p.iter().map(|&v| v as f64).collect()),
        (Prediction::Float(p), Some(c)) if p.ndim() == 2 && p.shape().first() == Some(&n) => {
            if c >= p.shape().get(1).copied().unwrap_or(0) {
                return Err(member_output(who, j, "one score per row", &out));
            }
            Ok(p.index_axis(Axis(1), c).iter().copied().collect())
        }
        _ => Err(member_output(who, j, "one score per row", &out)),
    }
}

/// `E_MODEL` at `at`: member `j` gave `got`, not the `want` its composition needs.
pub(crate) fn member_output(at: &str, j: usize, want: &str, got: &Prediction) -> EstimatorError {
    EstimatorError::model(
        format!("{at} member {j}"),
        format!("gave {} {:?}, not {want}", got.kind(), got.shape()),
    )
}

/// Member names are non-empty and distinct (`field` is the members' list).
pub(crate) fn check_names<'a>(
    names: impl ExactSizeIterator<Item = &'a str>,
    field: &str,
) -> Result<()> {
    let mut seen = HashSet::with_capacity(names.len());
    for (i, name) in names.enumerate() {
        if name.is_empty() || !seen.insert(name) {
            return Err(EstimatorError::model(
                format!("{field}[{i}]"),
                format!("member name {name:?} is empty or repeated"),
            ));
        }
    }
    Ok(())
}

/// A member that is not dropped reads the composition's input: `E_MODEL` unless its
/// `n_features_in` is the composition's.
pub(crate) fn check_reads_input(e: &dyn Estimator, n_features_in: usize, here: &str) -> Result<()> {
    if e.n_features_in() == n_features_in {
        return Ok(());
    }
    Err(EstimatorError::model(
        format!("{here}.n_features_in"),
        format!(
            "is {}, and the composition reads {n_features_in} columns",
            e.n_features_in()
        ),
    ))
}

/// Each input column's kind, the members' kinds merged in member order (a conflicting kind
/// leaves the column as it was), and the first column where two members conflict.
pub(crate) fn merged_kinds<'a>(
    members: impl IntoIterator<Item = &'a dyn Estimator>,
    n_features_in: usize,
) -> (Vec<ColumnKind>, Option<usize>) {
    let mut kinds = vec![ColumnKind::Unused; n_features_in];
    let mut conflict = None;
    for m in members {
        for (c, (acc, k)) in kinds.iter_mut().zip(m.input_kinds()).enumerate() {
            match merge(*acc, k) {
                Some(merged) => *acc = merged,
                None => conflict = conflict.or(Some(c)),
            }
        }
    }
    (kinds, conflict)
}

/// Rule "the members agree on each column's kind", checked only where a member reads
/// columns by kind (`schema::kind_bearing`): members that read numbers only agree by
/// construction, and listing their kinds (one per declared feature, which no tensor need
/// back) could allocate without bound. `E_MODEL` at `field` on a conflict.
pub(crate) fn check_members_agree<'a>(
    raw: impl IntoIterator<Item = &'a model::Estimator>,
    merged: impl FnOnce() -> (Vec<ColumnKind>, Option<usize>),
    field: &str,
) -> Result<()> {
    if !raw.into_iter().any(crate::schema::kind_bearing) {
        return Ok(());
    }
    check_agreement(merged().1, field)
}

/// `E_MODEL` at `field` when two members read input column `conflict` as different kinds.
pub(crate) fn check_agreement(conflict: Option<usize>, field: &str) -> Result<()> {
    match conflict {
        None => Ok(()),
        Some(c) => Err(EstimatorError::model(
            field,
            format!("input column {c} is read as numbers by one member and as strings by another"),
        )),
    }
}

/// Whether a member is a regressor (what scikit-learn's `VotingRegressor` and
/// `StackingRegressor` take): a `Linear`, `TreeEnsemble` or `Boosting` without classes, a
/// `VotingRegressor`, `StackingRegressor`, `TransformedTargetRegressor`,
/// `MultiOutputRegressor`, `RegressorChain`, `BaggingRegressor` or `AdaBoostRegressor`, or a
/// pipeline whose last step is one.
pub(crate) fn is_regressor(est: &model::Estimator) -> bool {
    match &est.body {
        model::Body::Linear(l) => l.classes.is_none(),
        model::Body::TreeEnsemble(t) => t.classes.is_empty(),
        model::Body::Boosting(b) => b.classes.is_none(),
        model::Body::Voting(v) => v.rule == VotingRule::Mean,
        model::Body::Stacking(s) => s.classes.is_none(),
        model::Body::TransformedTarget(_) => true,
        model::Body::Bagging(b) => b.classes.is_none(),
        model::Body::AdaBoost(a) => a.classes.is_none(),
        model::Body::MultiOutput(m) => matches!(
            m.kind,
            model::MultiOutputKind::Regressor | model::MultiOutputKind::RegressorChain
        ),
        model::Body::Pipeline(p) => p
            .steps
            .last()
            .and_then(|s| s.estimator.as_ref())
            .is_some_and(is_regressor),
        _ => false,
    }
}

/// A member's classes: its body's (`Linear`, a one-output `TreeEnsemble`, `Boosting`,
/// `Voting`, `Stacking`, `Calibration`, a `Multiclass` that is not multilabel, a
/// `ThresholdClassifier`'s estimator's, `Bagging`, `AdaBoost`) or its pipeline's last step's; `None` for a regressor
/// or a transformer.
pub(crate) fn member_classes(est: &model::Estimator) -> Option<&Labels> {
    match &est.body {
        model::Body::Linear(l) => l.classes.as_ref(),
        model::Body::TreeEnsemble(t) => match t.classes.as_slice() {
            [one] => Some(one),
            _ => None,
        },
        model::Body::Boosting(b) => b.classes.as_ref(),
        model::Body::Voting(v) => v.classes.as_ref(),
        model::Body::Stacking(s) => s.classes.as_ref(),
        model::Body::Calibration(c) => Some(&c.classes),
        model::Body::Multiclass(m) if !m.multilabel => Some(&m.classes),
        model::Body::ThresholdClassifier(t) => member_classes(&t.estimator),
        model::Body::Bagging(b) => b.classes.as_ref(),
        model::Body::AdaBoost(a) => a.classes.as_ref(),
        model::Body::Pipeline(p) => member_classes(p.steps.last()?.estimator.as_ref()?),
        _ => None,
    }
}

/// Whether `est` is a classifier whose classes are the indices `0 .. n_classes` in order
/// (what scikit-learn's label-encoding compositions fit their members on).
pub(crate) fn has_index_classes(est: &model::Estimator, n_classes: usize) -> bool {
    matches!(member_classes(est), Some(Labels::Int(v))
        if v.len() == n_classes && v.iter().zip(0i64..).all(|(&c, i)| c == i))
}
