//! Domain type of the `MultiOutput` body (spec/estimators.md, "MultiOutput": scikit-learn's
//! `MultiOutputClassifier`, `MultiOutputRegressor`, `ClassifierChain` and `RegressorChain`),
//! with its validating conversion from the raw manifest type beside it.

use amber_schema::raw;

use super::{Estimator, estimator_from_raw};
use crate::error::{CodecError, Result};

/// Which of the four classes the body is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MultiOutputKind {
    /// `MultiOutputClassifier`: one classifier per output, each over the input.
    Classifier,
    /// `MultiOutputRegressor`: one regressor per output, each over the input.
    Regressor,
    /// `ClassifierChain`: each classifier reads the input and the earlier members' outputs.
    ClassifierChain,
    /// `RegressorChain`: each regressor reads the input and the earlier members' outputs.
    RegressorChain,
}

impl MultiOutputKind {
    /// Whether the members form a chain.
    #[must_use]
    pub fn is_chain(self) -> bool {
        matches!(self, Self::ClassifierChain | Self::RegressorChain)
    }
}

/// What a chain member adds to the next members' input (`chain_method_`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChainMethod {
    /// `predict`.
    Predict,
    /// Column 1 of `predict_proba`.
    PredictProba,
    /// Column 1 of `predict_log_proba`.
    PredictLogProba,
    /// `decision_function`.
    DecisionFunction,
}

/// `MultiOutputClassifier`, `MultiOutputRegressor`, `ClassifierChain` or `RegressorChain`.
#[derive(Clone, Debug, PartialEq)]
pub struct MultiOutput {
    /// The class.
    pub kind: MultiOutputKind,
    /// `estimators_`, per output or in chain order.
    pub members: Vec<Estimator>,
    /// Chains: `order_`; empty otherwise.
    pub order: Vec<u64>,
    /// Chains: `chain_method_`; `None` (`UNSPECIFIED`) otherwise.
    pub chain_method: Option<ChainMethod>,
}

pub(super) fn multi_output_from_raw(
    m: raw::MultiOutput,
    path: &str,
    depth: usize,
) -> Result<MultiOutput> {
    let field = format!("{path}.multi_output");
    let kind = match raw::MultiOutputKind::try_from(m.kind) {
        Ok(raw::MultiOutputKind::Classifier) => MultiOutputKind::Classifier,
        Ok(raw::MultiOutputKind::Regressor) => MultiOutputKind::Regressor,
        Ok(raw::MultiOutputKind::ClassifierChain) => MultiOutputKind::ClassifierChain,
        Ok(raw::MultiOutputKind::RegressorChain) => MultiOutputKind::RegressorChain,
        Ok(raw::MultiOutputKind::Unspecified) | Err(_) => {
            return Err(CodecError::model(
                format!("{field}.kind"),
                format!("kind {} is unspecified or unknown", m.kind),
            ));
        }
    };
    let chain_method = match raw::ChainMethod::try_from(m.chain_method) {
        Ok(raw::ChainMethod::Unspecified) => None,
        Ok(raw::ChainMethod::Predict) => Some(ChainMethod::Predict),
        Ok(raw::ChainMethod::PredictProba) => Some(ChainMethod::PredictProba),
        Ok(raw::ChainMethod::PredictLogProba) => Some(ChainMethod::PredictLogProba),
        Ok(raw::ChainMethod::DecisionFunction) => Some(ChainMethod::DecisionFunction),
        Err(_) => {
            return Err(CodecError::model(
                format!("{field}.chain_method"),
                format!("chain method {} is unknown", m.chain_method),
            ));
        }
    };
    let members = m
        .members
        .into_iter()
        .enumerate()
        .map(|(i, e)| estimator_from_raw(e, &format!("{path}/estimators/{i}"), depth + 1))
        .collect::<Result<Vec<_>>>()?;
    Ok(MultiOutput {
        kind,
        members,
        order: m.order,
        chain_method,
    })
}

pub(super) fn multi_output_to_raw(m: MultiOutput) -> raw::MultiOutput {
    raw::MultiOutput {
        kind: match m.kind {
            MultiOutputKind::Classifier => raw::MultiOutputKind::Classifier,
            MultiOutputKind::Regressor => raw::MultiOutputKind::Regressor,
            MultiOutputKind::ClassifierChain => raw::MultiOutputKind::ClassifierChain,
            MultiOutputKind::RegressorChain => raw::MultiOutputKind::RegressorChain,
        } as i32,
        members: m.members.into_iter().map(raw::Estimator::from).collect(),
        order: m.order,
        chain_method: match m.chain_method {
            None => raw::ChainMethod::Unspecified,
            Some(ChainMethod::Predict) => raw::ChainMethod::Predict,
            Some(ChainMethod::PredictProba) => raw::ChainMethod::PredictProba,
            Some(ChainMethod::PredictLogProba) => raw::ChainMethod::PredictLogProba,
            Some(ChainMethod::DecisionFunction) => raw::ChainMethod::DecisionFunction,
        } as i32,
    }
}
