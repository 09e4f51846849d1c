//! Domain type of the `Multiclass` body (spec/estimators.md, "Multiclass": scikit-learn's
//! `OneVsRestClassifier`, `OneVsOneClassifier` and `OutputCodeClassifier`), with its
//! validating conversion from the raw manifest type beside it.

use amber_schema::raw;

use super::{Estimator, Labels, estimator_from_raw, labels_from_raw};
use crate::error::{CodecError, Result};

/// How the members' scores are combined.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MulticlassStrategy {
    /// `OneVsRestClassifier`: one member per class (or label).
    OneVsRest,
    /// `OneVsOneClassifier`: one member per pair of classes.
    OneVsOne,
    /// `OutputCodeClassifier`: one member per column of the code book.
    OutputCode,
}

/// Which member wins equal scores in a one-vs-rest `predict`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MulticlassTies {
    /// The first (`np.argmax`; scikit-learn 1.8 and later).
    First,
    /// The last (scikit-learn before 1.8).
    Last,
}

/// What a member's score is (`_predict_binary`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryScore {
    /// `decision_function`.
    DecisionFunction,
    /// `predict_proba[:, 1]`.
    Proba,
    /// `predict` of a regressor.
    Predict,
}

/// One entry of `estimators_`.
#[derive(Clone, Debug, PartialEq)]
pub enum MulticlassMember {
    /// A fitted binary estimator and the score read from it.
    Fitted {
        /// The estimator.
        estimator: Box<Estimator>,
        /// Its score.
        score: BinaryScore,
    },
    /// A `_ConstantPredictor`: this label and score on every row.
    Constant(i64),
}

impl MulticlassMember {
    /// The fitted estimator; `None` for a constant member.
    pub fn estimator(&self) -> Option<&Estimator> {
        match self {
            MulticlassMember::Fitted { estimator, .. } => Some(estimator),
            MulticlassMember::Constant(_) => None,
        }
    }
}

/// `OneVsRestClassifier`, `OneVsOneClassifier` or `OutputCodeClassifier`.
#[derive(Clone, Debug, PartialEq)]
pub struct Multiclass {
    /// The strategy.
    pub strategy: MulticlassStrategy,
    /// `classes_`.
    pub classes: Labels,
    /// `estimators_`, in order.
    pub members: Vec<MulticlassMember>,
    /// A multilabel `OneVsRestClassifier`.
    pub multilabel: bool,
    /// A score above it is the positive class.
    pub threshold: f64,
    /// The one-vs-rest tie rule; `None` (`UNSPECIFIED`) for the other strategies.
    pub ties: Option<MulticlassTies>,
    /// Tensor name: f64 `[n_classes, members]` `code_book_` (`OUTPUT_CODE` only).
    pub code_book: Option<String>,
}

pub(super) fn multiclass_from_raw(
    m: raw::Multiclass,
    path: &str,
    depth: usize,
) -> Result<Multiclass> {
    let field = format!("{path}.multiclass");
    let strategy = match raw::MulticlassStrategy::try_from(m.strategy) {
        Ok(raw::MulticlassStrategy::OneVsRest) => MulticlassStrategy::OneVsRest,
        Ok(raw::MulticlassStrategy::OneVsOne) => MulticlassStrategy::OneVsOne,
        Ok(raw::MulticlassStrategy::OutputCode) => MulticlassStrategy::OutputCode,
        Ok(raw::MulticlassStrategy::Unspecified) | Err(_) => {
            return Err(CodecError::model(
                format!("{field}.strategy"),
                format!("strategy {} is unspecified or unknown", m.strategy),
            ));
        }
    };
    let ties = match raw::MulticlassTies::try_from(m.ties) {
        Ok(raw::MulticlassTies::Unspecified) => None,
        Ok(raw::MulticlassTies::First) => Some(MulticlassTies::First),
        Ok(raw::MulticlassTies::Last) => Some(MulticlassTies::Last),
        Err(_) => {
            return Err(CodecError::model(
                format!("{field}.ties"),
                format!("tie rule {} is unknown", m.ties),
            ));
        }
    };
    let classes = m
        .classes
        .ok_or_else(|| CodecError::model(format!("{field}.classes"), "a classifier has classes"))
        .and_then(|l| labels_from_raw(l, &format!("{field}.classes")))?;
    let mut members = Vec::with_capacity(m.members.len());
    for (i, raw_member) in m.members.into_iter().enumerate() {
        members.push(member_from_raw(
            raw_member,
            &format!("{field}.members[{i}]"),
            &format!("{path}/estimators/{i}"),
            depth,
        )?);
    }
    Ok(Multiclass {
        strategy,
        classes,
        members,
        multilabel: m.multilabel,
        threshold: m.threshold,
        ties,
        code_book: (!m.code_book.is_empty()).then_some(m.code_book),
    })
}

fn member_from_raw(
    m: raw::MulticlassMember,
    here: &str,
    child: &str,
    depth: usize,
) -> Result<MulticlassMember> {
    let score = match raw::BinaryScore::try_from(m.score) {
        Ok(raw::BinaryScore::DecisionFunction) => Some(BinaryScore::DecisionFunction),
        Ok(raw::BinaryScore::Proba) => Some(BinaryScore::Proba),
        Ok(raw::BinaryScore::Predict) => Some(BinaryScore::Predict),
        Ok(raw::BinaryScore::Constant) => None,
        Ok(raw::BinaryScore::Unspecified) | Err(_) => {
            return Err(CodecError::model(
                format!("{here}.score"),
                format!("score {} is unspecified or unknown", m.score),
            ));
        }
    };
    match (score, m.estimator) {
        (Some(score), Some(e)) if m.constant == 0 => Ok(MulticlassMember::Fitted {
            estimator: Box::new(estimator_from_raw(e, child, depth + 1)?),
            score,
        }),
        (Some(_), Some(_)) => Err(CodecError::model(
            format!("{here}.constant"),
            "only a CONSTANT member has a constant",
        )),
        (Some(_), None) => Err(CodecError::model(
            format!("{here}.estimator"),
            "is absent, and only a CONSTANT member has none",
        )),
        (None, Some(_)) => Err(CodecError::model(
            format!("{here}.estimator"),
            "a CONSTANT member has no estimator",
        )),
        (None, None) => Ok(MulticlassMember::Constant(m.constant)),
    }
}

pub(super) fn multiclass_to_raw(m: Multiclass) -> raw::Multiclass {
    raw::Multiclass {
        strategy: match m.strategy {
            MulticlassStrategy::OneVsRest => raw::MulticlassStrategy::OneVsRest,
            MulticlassStrategy::OneVsOne => raw::MulticlassStrategy::OneVsOne,
            MulticlassStrategy::OutputCode => raw::MulticlassStrategy::OutputCode,
        } as i32,
        classes: Some(raw::Labels::from(m.classes)),
        members: m.members.into_iter().map(member_to_raw).collect(),
        multilabel: m.multilabel,
        threshold: m.threshold,
        ties: match m.ties {
            None => raw::MulticlassTies::Unspecified,
            Some(MulticlassTies::First) => raw::MulticlassTies::First,
            Some(MulticlassTies::Last) => raw::MulticlassTies::Last,
        } as i32,
        code_book: m.code_book.unwrap_or_default(),
    }
}

fn member_to_raw(m: MulticlassMember) -> raw::MulticlassMember {
    match m {
        MulticlassMember::Fitted { estimator, score } => raw::MulticlassMember {
            estimator: Some(raw::Estimator::from(*estimator)),
            score: match score {
                BinaryScore::DecisionFunction => raw::BinaryScore::DecisionFunction,
                BinaryScore::Proba => raw::BinaryScore::Proba,
                BinaryScore::Predict => raw::BinaryScore::Predict,
            } as i32,
            constant: 0,
        },
        MulticlassMember::Constant(c) => raw::MulticlassMember {
            estimator: None,
            score: raw::BinaryScore::Constant as i32,
            constant: c,
        },
    }
}
