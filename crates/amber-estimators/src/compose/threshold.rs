//! `ThresholdClassifier`: scikit-learn's `FixedThresholdClassifier` and
//! `TunedThresholdClassifierCV`, a binary classifier whose positive-class score is compared
//! with a threshold (`spec/estimators.md` section 27).
//!
//! Mirrors scikit-learn 1.9.1 `sklearn/model_selection/_classification_threshold.py`
//! (`FixedThresholdClassifier.predict`, `TunedThresholdClassifierCV.predict`, and the
//! delegated `predict_proba` and `decision_function`) with `sklearn/utils/_response.py`
//! (`_get_response_values_binary`: the positive class's probability column, or the decision
//! values negated when the positive class is `classes_[0]`) and `sklearn/metrics/_scorer.py`
//! (`_threshold_scores_to_class_labels`: `y_score >= threshold`).

use amber_codec::model::{self, ThresholdScore};
use ndarray::{Array2, ArrayD, ArrayView2};

use super::members::{Input, check_reads_input, member_classes, score_column};
use crate::error::{EstimatorError, Result};
use crate::linear::{Classes, take};
use crate::method::{Method, Prediction};
use crate::registry::distinct_classes;
use crate::table::{ColumnKind, Table};
use crate::traits::{DecisionFunction, Estimator, Predict, PredictProba, RunTable};

/// A validated `FixedThresholdClassifier` or `TunedThresholdClassifierCV`.
#[derive(Debug)]
pub(crate) struct ThresholdClassifier {
    n_features_in: usize,
    estimator: Box<dyn Estimator>,
    classes: Classes,
    score: ThresholdScore,
    positive: usize,
    threshold: f64,
}

/// Builds a `ThresholdClassifier` from its body, checking rules 1-3 of section 27; `build`
/// builds the estimator at a path.
pub(crate) fn build(
    body: &model::ThresholdClassifier,
    n_features_in: usize,
    path: &str,
    mut build: impl FnMut(&model::Estimator, &str) -> Result<Box<dyn Estimator>>,
) -> Result<Box<dyn Estimator>> {
    let field = format!("{path}.threshold_classifier");
    let here = format!("{field}.estimator");
    let estimator = build(&body.estimator, &here)?;
    // Rule 1.
    check_reads_input(estimator.as_ref(), n_features_in, &here)?;
    let classes = match member_classes(&body.estimator) {
        Some(c) if c.len() == 2 => distinct_classes(c.clone(), format!("{here}.classes"))?,
        _ => {
            return Err(EstimatorError::model(
                here,
                "the estimator is a binary classifier (two classes)",
            ));
        }
    };
    if estimator.as_predict().is_none() {
        return Err(EstimatorError::model(here, "the estimator has predict"));
    }
    // Rule 2.
    let (method, width, what) = match body.score {
        ThresholdScore::PredictProba => (Method::PredictProba, 2, "predict_proba [n, 2]"),
        ThresholdScore::DecisionFunction => (Method::DecisionFunction, 1, "decision_function [n]"),
    };
    if !estimator.supports(method) || estimator.numeric_columns(method) != Some(width) {
        return Err(EstimatorError::model(
            here,
            format!("the score needs the estimator's {what}"),
        ));
    }
    // Rule 3.
    let positive = match body.positive {
        0 => 0,
        1 => 1,
        p => {
            return Err(EstimatorError::model(
                format!("{field}.positive"),
                format!("is {p}, not a class index of a binary classifier (0 or 1)"),
            ));
        }
    };
    if body.threshold.is_nan() {
        return Err(EstimatorError::model(
            format!("{field}.threshold"),
            "is NaN (no score is at or above it)",
        ));
    }
    Ok(Box::new(ThresholdClassifier {
        n_features_in,
        estimator,
        classes,
        score: body.score,
        positive,
        threshold: body.threshold,
    }))
}

impl ThresholdClassifier {
    fn predict_any(&self, x: Input<'_>) -> Result<Prediction> {
        x.check_width(self.n_features_in)?;
        let who = ("threshold_classifier", 0);
        let e = self.estimator.as_ref();
        let score = match self.score {
            ThresholdScore::PredictProba => {
                score_column(e, Method::PredictProba, Some(self.positive), x, who)?
            }
            ThresholdScore::DecisionFunction => {
                let d = score_column(e, Method::DecisionFunction, None, x, who)?;
                // `_process_decision_function`: `-1 * y_pred` for the first class.
                if self.positive == 0 {
                    d.mapv(|v| -v)
                } else {
                    d
                }
            }
        };
        let negative = 1 - self.positive;
        let picks: Vec<usize> = score
            .iter()
            .map(|&s| {
                if s >= self.threshold {
                    self.positive
                } else {
                    negative
                }
            })
            .collect();
        take(&self.classes, &picks)
    }

    /// The estimator's own `method`, delegated.
    fn delegate(&self, method: Method, x: Input<'_>) -> Result<Prediction> {
        x.check_width(self.n_features_in)?;
        x.run(self.estimator.as_ref(), method, "threshold_classifier")
    }
}

impl Predict for ThresholdClassifier {
    fn predict(&self, x: ArrayView2<'_, f64>) -> Result<Prediction> {
        self.predict_any(Input::Dense(x))
    }
}

impl PredictProba for ThresholdClassifier {
    fn predict_proba(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        crate::traits::check_width(&x, self.n_features_in)?;
        self.estimator
            .as_predict_proba()
            .ok_or_else(|| EstimatorError::model("threshold_classifier", "no predict_proba"))?
            .predict_proba(x)
    }
}

impl DecisionFunction for ThresholdClassifier {
    fn decision_function(&self, x: ArrayView2<'_, f64>) -> Result<ArrayD<f64>> {
        crate::traits::check_width(&x, self.n_features_in)?;
        self.estimator
            .as_decision_function()
            .ok_or_else(|| EstimatorError::model("threshold_classifier", "no decision_function"))?
            .decision_function(x)
    }
}

impl RunTable for ThresholdClassifier {
    fn run_table(&self, method: Method, x: &Table) -> Option<Result<Prediction>> {
        let input = Input::Table(x);
        match method {
            Method::Predict => Some(self.predict_any(input)),
            Method::PredictProba | Method::DecisionFunction if self.estimator.supports(method) => {
                Some(self.delegate(method, input))
            }
            _ => None,
        }
    }
}

impl Estimator for ThresholdClassifier {
    fn n_features_in(&self) -> usize {
        self.n_features_in
    }

    fn input_kinds(&self) -> Vec<ColumnKind> {
        self.estimator.input_kinds()
    }

    fn numeric_columns(&self, method: Method) -> Option<usize> {
        match method {
            Method::Predict => self.classes.is_numeric().then_some(1),
            Method::PredictProba | Method::DecisionFunction => {
                self.estimator.numeric_columns(method)
            }
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
        self.estimator
            .as_predict_proba()
            .map(|_| self as &dyn PredictProba)
    }

    fn as_decision_function(&self) -> Option<&dyn DecisionFunction> {
        self.estimator
            .as_decision_function()
            .map(|_| self as &dyn DecisionFunction)
    }

    fn as_run_table(&self) -> Option<&dyn RunTable> {
        Some(self)
    }
}
