//! Compositions: over columns, `ColumnTransformer` and `FeatureUnion` (`branches`), built and
//! validated here from their bodies (`spec/estimators.md`, "ColumnTransformer",
//! "FeatureUnion"); over predictions, `VotingClassifier` and `VotingRegressor` (`voting`,
//! "Voting"), `StackingClassifier` and `StackingRegressor` (`stacking`, "Stacking") and
//! `CalibratedClassifierCV` (`calibration`, "Calibration") and `OneVsRestClassifier`,
//! `OneVsOneClassifier`, `OutputCodeClassifier` (`multiclass`, "Multiclass") and
//! `MultiOutputClassifier`, `MultiOutputRegressor`, `ClassifierChain`, `RegressorChain`
//! (`multi_output`, "MultiOutput"), `FixedThresholdClassifier` and
//! `TunedThresholdClassifierCV` (`threshold`, "ThresholdClassifier"), `BaggingClassifier`,
//! `BaggingRegressor` (`bagging`, "Bagging"), `AdaBoostClassifier`, `AdaBoostRegressor`
//! (`ada_boost`, "AdaBoost"); over a target,
//! `TransformedTargetRegressor` (`transformed_target`, "TransformedTarget"). They share their
//! members' handling (`members`).

pub(crate) mod ada_boost;
pub(crate) mod bagging;
mod branches;
pub(crate) mod calibration;
mod members;
pub(crate) mod multi_output;
pub(crate) mod multiclass;
pub(crate) mod stacking;
pub(crate) mod threshold;
pub(crate) mod transformed_target;
pub(crate) mod voting;

use std::collections::HashSet;

use amber_codec::model::{self, ColumnBranch};

pub(crate) use branches::merge;
use branches::{Action, Branch, Branches};

use crate::error::{EstimatorError, Result};
use crate::table::ColumnKind;
use crate::traits::Estimator;

/// Builds a `ColumnTransformer` (`union = false`) or `FeatureUnion` (`union = true`) from its
/// branches, checking the body rules; `build` builds a branch's estimator at a path.
pub(crate) fn build(
    raw: &[ColumnBranch],
    n_features_in: usize,
    union: bool,
    path: &str,
    mut build: impl FnMut(&model::Estimator, &str) -> Result<Box<dyn Estimator>>,
) -> Result<Box<dyn Estimator>> {
    let field = if union {
        "feature_union.members"
    } else {
        "column_transformer.branches"
    };
    let mut names = HashSet::with_capacity(raw.len());
    let mut branches = Vec::with_capacity(raw.len());
    let mut n_out = 0usize;
    for (i, b) in raw.iter().enumerate() {
        let here = format!("{path}.{field}[{i}]");
        // Rule 1: names are non-empty and distinct.
        if b.name.is_empty() || !names.insert(b.name.as_str()) {
            return Err(EstimatorError::model(
                here,
                format!("branch name {:?} is empty or repeated", b.name),
            ));
        }
        let columns = columns(b, n_features_in, union, &here)?;
        let width = columns.as_ref().map_or(n_features_in, Vec::len);
        let action = action(b, width, &here, &mut build)?;
        let branch = Branch {
            name: b.name.clone(),
            columns,
            action,
            weight: weight(b, &here)?,
        };
        n_out = n_out
            .checked_add(branch_width(&branch, width, &here)?)
            .ok_or_else(|| EstimatorError::model(&here, "the output width overflows"))?;
        branches.push(branch);
    }
    let built = Branches::new(n_features_in, n_out, branches);
    check_agreement(&built, path)?;
    Ok(Box::new(built))
}

/// Rule 2: a `ColumnTransformer` branch's columns are input indices; a `FeatureUnion`
/// member lists none (it reads them all).
fn columns(b: &ColumnBranch, n: usize, union: bool, here: &str) -> Result<Option<Vec<usize>>> {
    if union {
        if !b.columns.is_empty() {
            return Err(EstimatorError::model(
                format!("{here}.columns"),
                "a FeatureUnion member reads every column and lists none",
            ));
        }
        return Ok(None);
    }
    let mut out = Vec::with_capacity(b.columns.len());
    for &c in &b.columns {
        match usize::try_from(c) {
            Ok(c) if c < n => out.push(c),
            _ => {
                return Err(EstimatorError::model(
                    format!("{here}.columns"),
                    format!("column {c} is not below n_features_in {n}"),
                ));
            }
        }
    }
    Ok(Some(out))
}

/// Rule 3: a dropped branch has no estimator and no weight; an estimator transforms and
/// reads exactly the branch's columns.
fn action(
    b: &ColumnBranch,
    width: usize,
    here: &str,
    build: &mut impl FnMut(&model::Estimator, &str) -> Result<Box<dyn Estimator>>,
) -> Result<Action> {
    match (&b.estimator, b.drop) {
        (Some(_), true) => Err(EstimatorError::model(
            here,
            "a dropped branch has no estimator",
        )),
        (None, true) if b.weight.is_some() => Err(EstimatorError::model(
            here,
            "a dropped branch has no weight",
        )),
        (None, true) => Ok(Action::Drop),
        (None, false) => Ok(Action::Passthrough),
        (Some(est), false) => {
            let e = build(est, &format!("{here}.estimator"))?;
            if e.output_kinds().is_none() {
                let why = if e.as_transform_prediction().is_some() {
                    // A soft VotingClassifier without flatten_transform: [members, n, classes].
                    "a branch's estimator must transform to a matrix of rows"
                } else {
                    "a branch's estimator must transform"
                };
                return Err(EstimatorError::model(format!("{here}.estimator"), why));
            }
            if e.n_features_in() != width {
                return Err(EstimatorError::model(
                    format!("{here}.estimator.n_features_in"),
                    format!(
                        "is {}, and the branch reads {width} columns",
                        e.n_features_in()
                    ),
                ));
            }
            Ok(Action::Transform(e))
        }
    }
}

/// Rule 4: a weight is finite.
fn weight(b: &ColumnBranch, here: &str) -> Result<Option<f64>> {
    match b.weight {
        Some(w) if !w.is_finite() => Err(EstimatorError::model(
            format!("{here}.weight"),
            format!("must be finite, is {w}"),
        )),
        w => Ok(w),
    }
}

/// The branch's output columns; rule 4 also: a weighted branch outputs numbers only.
fn branch_width(b: &Branch, width: usize, here: &str) -> Result<usize> {
    let kinds = match &b.action {
        Action::Drop => return Ok(0),
        Action::Passthrough => return Ok(width),
        Action::Transform(e) => e.output_kinds().unwrap_or_default(),
    };
    if b.weight.is_some() && kinds.iter().any(|&k| k != ColumnKind::Numeric) {
        return Err(EstimatorError::model(
            format!("{here}.weight"),
            "a weighted branch must output numbers, and this one can output strings",
        ));
    }
    // An empty column selection outputs nothing (scikit-learn skips it).
    Ok(if width == 0 { 0 } else { kinds.len() })
}

/// Rule 5: the branches reading a column agree on its kind (never numbers and strings).
fn check_agreement(built: &Branches, path: &str) -> Result<()> {
    let kinds = built.per_reader_kinds();
    for (c, readers) in kinds.iter().enumerate() {
        readers.iter().try_fold(ColumnKind::Unused, |acc, &k| {
            merge(acc, k).ok_or_else(|| {
                EstimatorError::model(
                    path,
                    format!("input column {c} is read as numbers by one branch and as strings by another"),
                )
            })
        })?;
    }
    Ok(())
}
