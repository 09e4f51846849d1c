//! `Binarizer`: elementwise `1.0 if x > threshold else 0.0`.
//!
//! Mirrors scikit-learn 1.9.1 `sklearn/preprocessing/_data.py`, `binarize` (dense branch):
//! `cond = X > threshold; X[cond] = 1; X[not_cond] = 0`. One comparison per value, so the
//! output is exact. NaN and infinite inputs are `E_INPUT`, as `Binarizer.transform`'s
//! `validate_data` (`ensure_all_finite=True`) refuses them.

use amber_codec::model;
use ndarray::{Array2, ArrayView2};

use crate::error::{EstimatorError, Result};
use crate::finite::{self, Refuse};
use crate::traits::{Estimator, Transform, check_width};

/// A validated binarizer.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Binarizer {
    n_features: usize,
    threshold: f64,
}

impl Transform for Binarizer {
    fn transform(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        check_width(&x, self.n_features)?;
        finite::check(
            x,
            Refuse::NonFinite,
            "a Binarizer refuses NaN and infinities",
        )?;
        let t = self.threshold;
        Ok(x.mapv(|v| if v > t { 1.0 } else { 0.0 }))
    }

    fn n_features_out(&self) -> usize {
        self.n_features
    }
}

impl Estimator for Binarizer {
    fn n_features_in(&self) -> usize {
        self.n_features
    }
    fn as_transform(&self) -> Option<&dyn Transform> {
        Some(self)
    }
}

/// Builds the runtime binarizer, checking the Binarizer rule of `spec/estimators.md`.
pub(crate) fn build(body: &model::Binarizer, n: usize, path: &str) -> Result<Binarizer> {
    // Rule 1: a finite threshold (scikit-learn's `binarize` refuses any other, so such a
    // file describes no model scikit-learn can run).
    if !body.threshold.is_finite() {
        return Err(EstimatorError::model(
            format!("{path}.binarizer.threshold"),
            format!("must be finite, is {}", body.threshold),
        ));
    }
    Ok(Binarizer {
        n_features: n,
        threshold: body.threshold,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::method::Method;
    use ndarray::array;

    fn binarizer(threshold: f64) -> Binarizer {
        Binarizer {
            n_features: 3,
            threshold,
        }
    }

    #[test]
    fn strictly_above_is_one() {
        let z = binarizer(0.5)
            .transform(array![[0.5, 0.6, -1.0], [0.5000000000000001, 1e300, 9.0]].view())
            .unwrap();
        assert_eq!(z, array![[0.0, 1.0, 0.0], [1.0, 1.0, 1.0]]);
    }

    #[test]
    fn signed_zero_is_not_above_zero() {
        let z = binarizer(0.0)
            .transform(array![[-0.0, 0.0, 1e-300]].view())
            .unwrap();
        assert_eq!(z, array![[0.0, 0.0, 1.0]]);
        assert_eq!(z[[0, 0]].to_bits(), 0.0_f64.to_bits());
    }

    #[test]
    fn nan_and_infinite_inputs_are_refused_as_validate_data_does() {
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let x = array![[0.0, 1.0, 2.0], [1.0, 2.0, bad]];
            match binarizer(-1.0).transform(x.view()) {
                Err(
                    e @ EstimatorError::NotFinite {
                        row: 1, column: 2, ..
                    },
                ) => {
                    assert_eq!(e.code(), "E_INPUT");
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
    }

    #[test]
    fn rejects_threshold_not_finite() {
        for threshold in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert!(matches!(
                build(&model::Binarizer { threshold }, 3, "estimator"),
                Err(EstimatorError::Model { context, .. })
                    if context == "estimator.binarizer.threshold"
            ));
        }
        assert!(build(&model::Binarizer { threshold: 1.0 }, 3, "estimator").is_ok());
    }

    #[test]
    fn has_transform_only() {
        let b: &dyn Estimator = &binarizer(0.0);
        assert_eq!(b.methods(), vec![Method::Transform]);
    }
}
