//! Domain types of the `Bagging` body (spec/estimators.md, "Bagging": scikit-learn's
//! `BaggingClassifier` and `BaggingRegressor`) and of the `AdaBoost` body ("AdaBoost":
//! `AdaBoostClassifier`, `AdaBoostRegressor`), with their validating conversions from the
//! raw manifest types beside them.

use amber_schema::raw;

use super::{Estimator, Labels, estimator_from_raw, labels_from_raw};
use crate::error::{CodecError, Result};

/// `BaggingClassifier` or `BaggingRegressor`.
#[derive(Clone, Debug, PartialEq)]
pub struct Bagging {
    /// `estimators_` with `estimators_features_`.
    pub members: Vec<BaggingMember>,
    /// `classes_` of a classifier.
    pub classes: Option<Labels>,
}

/// One member of a `Bagging`.
#[derive(Clone, Debug, PartialEq)]
pub struct BaggingMember {
    /// The fitted member.
    pub estimator: Estimator,
    /// The input columns it reads, in order.
    pub features: Vec<u64>,
}

/// How an `AdaBoostClassifier` combines its members.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdaBoostAlgorithm {
    /// The members' labels, weighted.
    Samme,
    /// The members' log-probabilities.
    SammeR,
}

/// `AdaBoostClassifier` or `AdaBoostRegressor`.
#[derive(Clone, Debug, PartialEq)]
pub struct AdaBoost {
    /// `estimators_`.
    pub members: Vec<Estimator>,
    /// Tensor name: f64 `[W]` `estimator_weights_`.
    pub weights: String,
    /// `classes_` of a classifier.
    pub classes: Option<Labels>,
    /// A classifier's algorithm; `None` (`UNSPECIFIED`) for a regressor.
    pub algorithm: Option<AdaBoostAlgorithm>,
}

pub(super) fn bagging_from_raw(b: raw::Bagging, path: &str, depth: usize) -> Result<Bagging> {
    let field = format!("{path}.bagging");
    let classes = b
        .classes
        .map(|c| labels_from_raw(c, &format!("{field}.classes")))
        .transpose()?;
    let mut members = Vec::with_capacity(b.members.len());
    for (i, m) in b.members.into_iter().enumerate() {
        let estimator = m.estimator.ok_or_else(|| {
            CodecError::model(format!("{field}.members[{i}].estimator"), "is absent")
        })?;
        members.push(BaggingMember {
            estimator: estimator_from_raw(estimator, &format!("{path}/estimators/{i}"), depth + 1)?,
            features: m.features,
        });
    }
    Ok(Bagging { members, classes })
}

pub(super) fn bagging_to_raw(b: Bagging) -> raw::Bagging {
    raw::Bagging {
        members: b
            .members
            .into_iter()
            .map(|m| raw::BaggingMember {
                estimator: Some(raw::Estimator::from(m.estimator)),
                features: m.features,
            })
            .collect(),
        classes: b.classes.map(raw::Labels::from),
    }
}

pub(super) fn ada_boost_from_raw(a: raw::AdaBoost, path: &str, depth: usize) -> Result<AdaBoost> {
    let field = format!("{path}.ada_boost");
    let classes = a
        .classes
        .map(|c| labels_from_raw(c, &format!("{field}.classes")))
        .transpose()?;
    let algorithm = match raw::AdaBoostAlgorithm::try_from(a.algorithm) {
        Ok(raw::AdaBoostAlgorithm::Unspecified) => None,
        Ok(raw::AdaBoostAlgorithm::Samme) => Some(AdaBoostAlgorithm::Samme),
        Ok(raw::AdaBoostAlgorithm::SammeR) => Some(AdaBoostAlgorithm::SammeR),
        Err(_) => {
            return Err(CodecError::model(
                format!("{field}.algorithm"),
                format!("algorithm {} is unknown", a.algorithm),
            ));
        }
    };
    let members = a
        .members
        .into_iter()
        .enumerate()
        .map(|(i, e)| estimator_from_raw(e, &format!("{path}/estimators/{i}"), depth + 1))
        .collect::<Result<Vec<_>>>()?;
    Ok(AdaBoost {
        members,
        weights: a.weights,
        classes,
        algorithm,
    })
}

pub(super) fn ada_boost_to_raw(a: AdaBoost) -> raw::AdaBoost {
    raw::AdaBoost {
        members: a.members.into_iter().map(raw::Estimator::from).collect(),
        weights: a.weights,
        classes: a.classes.map(raw::Labels::from),
        algorithm: match a.algorithm {
            None => raw::AdaBoostAlgorithm::Unspecified,
            Some(AdaBoostAlgorithm::Samme) => raw::AdaBoostAlgorithm::Samme,
            Some(AdaBoostAlgorithm::SammeR) => raw::AdaBoostAlgorithm::SammeR,
        } as i32,
    }
}
