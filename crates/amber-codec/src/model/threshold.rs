//! Domain type of the `ThresholdClassifier` body (spec/estimators.md, "ThresholdClassifier":
//! scikit-learn's `FixedThresholdClassifier` and `TunedThresholdClassifierCV`), with its
//! validating conversion from the raw manifest type beside it.

use amber_schema::raw;

use super::{Estimator, estimator_from_raw};
use crate::error::{CodecError, Result};

/// The score a `ThresholdClassifier` compares with its threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThresholdScore {
    /// The positive class's column of `predict_proba`.
    PredictProba,
    /// `decision_function`, negated when the positive class is the first.
    DecisionFunction,
}

/// `FixedThresholdClassifier` or `TunedThresholdClassifierCV`.
#[derive(Clone, Debug, PartialEq)]
pub struct ThresholdClassifier {
    /// `estimator_`.
    pub estimator: Box<Estimator>,
    /// The score compared.
    pub score: ThresholdScore,
    /// The positive class's index in the estimator's classes.
    pub positive: u32,
    /// A score at or above it predicts the positive class.
    pub threshold: f64,
}

pub(super) fn threshold_from_raw(
    t: raw::ThresholdClassifier,
    path: &str,
    depth: usize,
) -> Result<ThresholdClassifier> {
    let field = format!("{path}.threshold_classifier");
    let score = match raw::ThresholdScore::try_from(t.score) {
        Ok(raw::ThresholdScore::PredictProba) => ThresholdScore::PredictProba,
        Ok(raw::ThresholdScore::DecisionFunction) => ThresholdScore::DecisionFunction,
        Ok(raw::ThresholdScore::Unspecified) | Err(_) => {
            return Err(CodecError::model(
                format!("{field}.score"),
                format!("score {} is unspecified or unknown", t.score),
            ));
        }
    };
    let estimator = t
        .estimator
        .ok_or_else(|| CodecError::model(format!("{field}.estimator"), "is absent"))?;
    Ok(ThresholdClassifier {
        estimator: Box::new(estimator_from_raw(
            *estimator,
            &format!("{path}/estimator"),
            depth + 1,
        )?),
        score,
        positive: t.positive,
        threshold: t.threshold,
    })
}

pub(super) fn threshold_to_raw(t: ThresholdClassifier) -> raw::ThresholdClassifier {
    raw::ThresholdClassifier {
        estimator: Some(Box::new(raw::Estimator::from(*t.estimator))),
        score: match t.score {
            ThresholdScore::PredictProba => raw::ThresholdScore::PredictProba,
            ThresholdScore::DecisionFunction => raw::ThresholdScore::DecisionFunction,
        } as i32,
        positive: t.positive,
        threshold: t.threshold,
    }
}
