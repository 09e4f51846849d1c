//! Domain type of the `Stacking` body (spec/estimators.md, "Stacking": scikit-learn's
//! `StackingClassifier` and `StackingRegressor`), with its validating conversion from the raw
//! manifest type beside it.

use amber_schema::raw;

use super::{Estimator, Labels, estimator_from_raw, labels_from_raw};
use crate::error::{CodecError, Result};

/// The method a member is stacked with (its entry of `stack_method_`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StackMethod {
    /// `predict`.
    Predict,
    /// `predict_proba`.
    PredictProba,
    /// `decision_function`.
    DecisionFunction,
}

/// `StackingClassifier` or `StackingRegressor`: the members' outputs side by side are the
/// final estimator's input.
#[derive(Clone, Debug, PartialEq)]
pub struct Stacking {
    /// The `estimators` param in order, dropped members included.
    pub members: Vec<StackingMember>,
    /// The fitted `final_estimator_`.
    pub final_estimator: Box<Estimator>,
    /// `passthrough`: the input's columns follow the members' outputs.
    pub passthrough: bool,
    /// `classes_` of a classifier; the final estimator was fitted on their indices.
    pub classes: Option<Labels>,
}

/// One entry of the `estimators` param.
#[derive(Clone, Debug, PartialEq)]
pub struct StackingMember {
    /// The member's name.
    pub name: String,
    /// The fitted member; `None` when it was dropped (`"drop"`).
    pub estimator: Option<Estimator>,
    /// Its stack method; `None` (`UNSPECIFIED`) for a dropped member.
    pub method: Option<StackMethod>,
}

pub(super) fn stacking_from_raw(s: raw::Stacking, path: &str, depth: usize) -> Result<Stacking> {
    let field = format!("{path}.stacking");
    let classes = s
        .classes
        .map(|c| labels_from_raw(c, &format!("{field}.classes")))
        .transpose()?;
    let final_raw = s.final_estimator.ok_or_else(|| {
        CodecError::model(
            format!("{field}.final_estimator"),
            "a stacking has a final estimator",
        )
    })?;
    let final_estimator =
        estimator_from_raw(*final_raw, &format!("{path}/final_estimator"), depth + 1)?;
    let mut members = Vec::with_capacity(s.members.len());
    for (i, m) in s.members.into_iter().enumerate() {
        let method = match raw::StackMethod::try_from(m.method) {
            Ok(raw::StackMethod::Unspecified) => None,
            Ok(raw::StackMethod::Predict) => Some(StackMethod::Predict),
            Ok(raw::StackMethod::PredictProba) => Some(StackMethod::PredictProba),
            Ok(raw::StackMethod::DecisionFunction) => Some(StackMethod::DecisionFunction),
            Err(_) => {
                return Err(CodecError::model(
                    format!("{field}.members[{i}].method"),
                    format!("stack method {} is unknown", m.method),
                ));
            }
        };
        let here = format!("{path}/{}", m.name);
        let estimator = m
            .estimator
            .map(|e| estimator_from_raw(e, &here, depth + 1))
            .transpose()?;
        members.push(StackingMember {
            name: m.name,
            estimator,
            method,
        });
    }
    Ok(Stacking {
        members,
        final_estimator: Box::new(final_estimator),
        passthrough: s.passthrough,
        classes,
    })
}

pub(super) fn stacking_to_raw(s: Stacking) -> raw::Stacking {
    raw::Stacking {
        members: s
            .members
            .into_iter()
            .map(|m| raw::StackingMember {
                name: m.name,
                estimator: m.estimator.map(raw::Estimator::from),
                method: match m.method {
                    None => raw::StackMethod::Unspecified,
                    Some(StackMethod::Predict) => raw::StackMethod::Predict,
                    Some(StackMethod::PredictProba) => raw::StackMethod::PredictProba,
                    Some(StackMethod::DecisionFunction) => raw::StackMethod::DecisionFunction,
                } as i32,
            })
            .collect(),
        final_estimator: Some(Box::new(raw::Estimator::from(*s.final_estimator))),
        passthrough: s.passthrough,
        classes: s.classes.map(raw::Labels::from),
    }
}
