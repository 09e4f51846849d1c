//! Domain type of the `Voting` body (spec/estimators.md, "Voting": scikit-learn's
//! `VotingClassifier` and `VotingRegressor`), with its validating conversion from the raw
//! manifest type beside it.

use amber_schema::raw;

use super::{Estimator, Labels, estimator_from_raw, labels_from_raw};
use crate::error::{CodecError, Result};

/// How the members' outputs are combined.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VotingRule {
    /// `voting="hard"`: the (weighted) most-voted class index.
    Hard,
    /// `voting="soft"`: the (weighted) mean of the members' `predict_proba`.
    Soft,
    /// `VotingRegressor`: the (weighted) mean of the members' `predict`.
    Mean,
}

/// `VotingClassifier` or `VotingRegressor`: every member predicts from the whole input.
#[derive(Clone, Debug, PartialEq)]
pub struct Voting {
    /// The `estimators` param in order, dropped members included.
    pub members: Vec<VotingMember>,
    /// How the outputs are combined.
    pub rule: VotingRule,
    /// `classes_` of a classifier; the members were fitted on their indices.
    pub classes: Option<Labels>,
    /// Soft voting's `transform` is `[n, members * classes]` when true, else
    /// `[members, n, classes]`.
    pub flatten_transform: bool,
}

/// One entry of the `estimators` param.
#[derive(Clone, Debug, PartialEq)]
pub struct VotingMember {
    /// The member's name.
    pub name: String,
    /// The fitted member; `None` when it was dropped (`"drop"`).
    pub estimator: Option<Estimator>,
    /// Its entry of `weights`, when that param is set.
    pub weight: Option<f64>,
}

pub(super) fn voting_from_raw(v: raw::Voting, path: &str, depth: usize) -> Result<Voting> {
    let rule = match raw::VotingRule::try_from(v.rule) {
        Ok(raw::VotingRule::Hard) => VotingRule::Hard,
        Ok(raw::VotingRule::Soft) => VotingRule::Soft,
        Ok(raw::VotingRule::Mean) => VotingRule::Mean,
        Ok(raw::VotingRule::Unspecified) | Err(_) => {
            return Err(CodecError::model(
                format!("{path}.voting.rule"),
                format!("rule {} is unspecified or unknown", v.rule),
            ));
        }
    };
    let classes = v
        .classes
        .map(|c| labels_from_raw(c, &format!("{path}.voting.classes")))
        .transpose()?;
    let mut members = Vec::with_capacity(v.members.len());
    for m in v.members {
        let here = format!("{path}/{}", m.name);
        let estimator = m
            .estimator
            .map(|e| estimator_from_raw(e, &here, depth + 1))
            .transpose()?;
        members.push(VotingMember {
            name: m.name,
            estimator,
            weight: m.weight.map(|w| w.value),
        });
    }
    Ok(Voting {
        members,
        rule,
        classes,
        flatten_transform: v.flatten_transform,
    })
}

pub(super) fn voting_to_raw(v: Voting) -> raw::Voting {
    raw::Voting {
        members: v
            .members
            .into_iter()
            .map(|m| raw::VotingMember {
                name: m.name,
                estimator: m.estimator.map(raw::Estimator::from),
                weight: m.weight.map(|value| raw::BranchWeight { value }),
            })
            .collect(),
        rule: match v.rule {
            VotingRule::Hard => raw::VotingRule::Hard,
            VotingRule::Soft => raw::VotingRule::Soft,
            VotingRule::Mean => raw::VotingRule::Mean,
        } as i32,
        classes: v.classes.map(raw::Labels::from),
        flatten_transform: v.flatten_transform,
    }
}
