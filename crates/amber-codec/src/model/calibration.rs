//! Domain type of the `Calibration` body (spec/estimators.md, "Calibration": scikit-learn's
//! `CalibratedClassifierCV`), with its validating conversion from the raw manifest type
//! beside it.

use amber_schema::raw;

use super::{Estimator, Labels, estimator_from_raw, labels_from_raw};
use crate::error::{CodecError, Result};

/// `CalibratedClassifierCV`: the mean of its calibrated classifiers' probabilities.
#[derive(Clone, Debug, PartialEq)]
pub struct Calibration {
    /// `classes_`.
    pub classes: Labels,
    /// `calibrated_classifiers_`, in order.
    pub classifiers: Vec<CalibratedClassifier>,
}

/// What a calibrated classifier's calibrators read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CalibrationResponse {
    /// `decision_function`.
    DecisionFunction,
    /// `predict_proba`.
    PredictProba,
}

/// One `_CalibratedClassifier`: a fitted classifier and one calibrator per response column.
#[derive(Clone, Debug, PartialEq)]
pub struct CalibratedClassifier {
    /// The fitted classifier.
    pub estimator: Estimator,
    /// The method the calibrators read.
    pub response: CalibrationResponse,
    /// Where each of the estimator's classes is in [`Calibration::classes`].
    pub class_indices: Vec<u64>,
    /// One per response column.
    pub calibrators: Vec<Calibrator>,
}

/// A per-class calibrator.
#[derive(Clone, Debug, PartialEq)]
pub enum Calibrator {
    /// `_SigmoidCalibration`: `expit(-(a * t + b))`.
    Sigmoid {
        /// `a_`.
        a: f64,
        /// `b_`.
        b: f64,
    },
    /// `IsotonicRegression(out_of_bounds="clip")`: `np.interp` over its thresholds.
    Isotonic {
        /// Tensor name: f64 `[m]` `X_thresholds_`.
        x_thresholds: String,
        /// Tensor name: f64 `[m]` `y_thresholds_`.
        y_thresholds: String,
    },
}

pub(super) fn calibration_from_raw(
    c: raw::Calibration,
    path: &str,
    depth: usize,
) -> Result<Calibration> {
    let field = format!("{path}.calibration");
    let classes = c
        .classes
        .ok_or_else(|| CodecError::model(format!("{field}.classes"), "a classifier has classes"))
        .and_then(|l| labels_from_raw(l, &format!("{field}.classes")))?;
    let mut classifiers = Vec::with_capacity(c.classifiers.len());
    for (i, k) in c.classifiers.into_iter().enumerate() {
        let here = format!("{field}.classifiers[{i}]");
        let response = match raw::CalibrationResponse::try_from(k.response) {
            Ok(raw::CalibrationResponse::DecisionFunction) => CalibrationResponse::DecisionFunction,
            Ok(raw::CalibrationResponse::PredictProba) => CalibrationResponse::PredictProba,
            Ok(raw::CalibrationResponse::Unspecified) | Err(_) => {
                return Err(CodecError::model(
                    format!("{here}.response"),
                    format!("response {} is unspecified or unknown", k.response),
                ));
            }
        };
        let estimator = k
            .estimator
            .ok_or_else(|| CodecError::model(format!("{here}.estimator"), "is absent"))
            .and_then(|e| estimator_from_raw(e, &format!("{path}/classifiers/{i}"), depth + 1))?;
        let calibrators = k
            .calibrators
            .into_iter()
            .enumerate()
            .map(|(j, cal)| calibrator_from_raw(cal, &format!("{here}.calibrators[{j}]")))
            .collect::<Result<Vec<_>>>()?;
        classifiers.push(CalibratedClassifier {
            estimator,
            response,
            class_indices: k.class_indices,
            calibrators,
        });
    }
    Ok(Calibration {
        classes,
        classifiers,
    })
}

fn calibrator_from_raw(c: raw::Calibrator, here: &str) -> Result<Calibrator> {
    match c.kind {
        Some(raw::calibrator::Kind::Sigmoid(s)) => Ok(Calibrator::Sigmoid { a: s.a, b: s.b }),
        Some(raw::calibrator::Kind::Isotonic(i)) => Ok(Calibrator::Isotonic {
            x_thresholds: i.x_thresholds,
            y_thresholds: i.y_thresholds,
        }),
        None => Err(CodecError::model(
            here,
            "a calibrator is sigmoid or isotonic",
        )),
    }
}

pub(super) fn calibration_to_raw(c: Calibration) -> raw::Calibration {
    raw::Calibration {
        classes: Some(raw::Labels::from(c.classes)),
        classifiers: c
            .classifiers
            .into_iter()
            .map(|k| raw::CalibratedClassifier {
                estimator: Some(raw::Estimator::from(k.estimator)),
                response: match k.response {
                    CalibrationResponse::DecisionFunction => {
                        raw::CalibrationResponse::DecisionFunction
                    }
                    CalibrationResponse::PredictProba => raw::CalibrationResponse::PredictProba,
                } as i32,
                class_indices: k.class_indices,
                calibrators: k
                    .calibrators
                    .into_iter()
                    .map(|cal| raw::Calibrator {
                        kind: Some(match cal {
                            Calibrator::Sigmoid { a, b } => {
                                raw::calibrator::Kind::Sigmoid(raw::SigmoidCalibrator { a, b })
                            }
                            Calibrator::Isotonic {
                                x_thresholds,
                                y_thresholds,
                            } => raw::calibrator::Kind::Isotonic(raw::IsotonicCalibrator {
                                x_thresholds,
                                y_thresholds,
                            }),
                        }),
                    })
                    .collect(),
            })
            .collect(),
    }
}
