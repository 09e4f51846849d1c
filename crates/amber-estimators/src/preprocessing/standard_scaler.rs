//! `StandardScaler`: per-feature standardisation.
//!
//! Mirrors scikit-learn 1.9.1 `sklearn/preprocessing/_data.py`, `StandardScaler.transform`
//! (dense branch): `X -= mean_` when `with_mean`, then `X /= scale_` when `with_std`. The two
//! steps are done in exactly that order, element by element, each one IEEE operation, so the
//! output is bit-identical to scikit-learn's. NaN inputs propagate (scikit-learn allows NaN
//! here too); infinities are `E_INPUT`, as `transform` and `inverse_transform` refuse them
//! (`check_array(..., ensure_all_finite="allow-nan")`).
//!
//! The `mean` and `scale` arrays are copied out of the container at load (they are
//! `n_features` long), so the transform path touches no codec types.

use ndarray::{Array1, Array2, ArrayView2, Zip};

use crate::error::Result;
use crate::finite::{self, Refuse};
use crate::traits::{Estimator, InverseTransform, Transform, check_width};

/// Who refuses what, in an `E_INPUT` message.
const SCALER: &str = "a StandardScaler refuses infinities";

/// A validated standard scaler: `z = (x - mean) / scale`, each part optional.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct StandardScaler {
    n_features: usize,
    mean: Option<Array1<f64>>,
    scale: Option<Array1<f64>>,
}

impl StandardScaler {
    /// A scaler over `n_features`; `mean` and `scale`, when given, are `n_features` long
    /// (the registry checked it).
    pub(crate) fn new(
        n_features: usize,
        mean: Option<Array1<f64>>,
        scale: Option<Array1<f64>>,
    ) -> Self {
        Self {
            n_features,
            mean,
            scale,
        }
    }
}

impl Transform for StandardScaler {
    fn transform(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        check_width(&x, self.n_features)?;
        finite::check(x, Refuse::Infinite, SCALER)?;
        let mut z = x.to_owned();
        // Whole-column passes, subtraction first then division, as scikit-learn does: with
        // one operation per step the order alone decides the rounding.
        if let Some(mean) = &self.mean {
            Zip::from(z.rows_mut()).for_each(|mut row| row -= mean);
        }
        if let Some(scale) = &self.scale {
            Zip::from(z.rows_mut()).for_each(|mut row| row /= scale);
        }
        Ok(z)
    }

    fn n_features_out(&self) -> usize {
        self.n_features
    }
}

/// `StandardScaler.inverse_transform` (dense): `X *= scale_` when scaled, then
/// `X += mean_` when centred.
impl InverseTransform for StandardScaler {
    fn inverse_transform(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        check_width(&x, self.n_features)?;
        finite::check(x, Refuse::Infinite, SCALER)?;
        let mut z = x.to_owned();
        if let Some(scale) = &self.scale {
            Zip::from(z.rows_mut()).for_each(|mut row| row *= scale);
        }
        if let Some(mean) = &self.mean {
            Zip::from(z.rows_mut()).for_each(|mut row| row += mean);
        }
        Ok(z)
    }
}

impl Estimator for StandardScaler {
    fn n_features_in(&self) -> usize {
        self.n_features
    }
    fn as_transform(&self) -> Option<&dyn Transform> {
        Some(self)
    }
    fn as_inverse_transform(&self) -> Option<&dyn InverseTransform> {
        Some(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::EstimatorError;
    use crate::method::Method;
    use ndarray::array;

    #[test]
    fn subtracts_then_divides() {
        let s = StandardScaler::new(2, Some(array![1.0, -2.0]), Some(array![2.0, 4.0]));
        let z = s.transform(array![[3.0, 2.0], [1.0, -2.0]].view()).unwrap();
        assert_eq!(z, array![[1.0, 1.0], [0.0, 0.0]]);
    }

    #[test]
    fn order_is_subtract_then_divide_bit_exact() {
        // Column 0: x/s - m/s rounds differently from (x - m)/s; column 1: so does
        // (x - m) * (1/s). The scaler must give (x - m)/s, which is what scikit-learn computes.
        let (x, m, s) = ([0.7_f64, 2.0], [0.2_f64, 0.3], [0.3_f64, 0.7]);
        assert_ne!((x[0] / s[0] - m[0] / s[0]), (x[0] - m[0]) / s[0]);
        assert_ne!((x[1] - m[1]) * (1.0 / s[1]), (x[1] - m[1]) / s[1]);
        let scaler = StandardScaler::new(2, Some(array![m[0], m[1]]), Some(array![s[0], s[1]]));
        let z = scaler.transform(array![[x[0], x[1]]].view()).unwrap();
        for j in 0..2 {
            assert_eq!(z[[0, j]].to_bits(), ((x[j] - m[j]) / s[j]).to_bits());
        }
    }

    #[test]
    fn absent_parts_are_skipped() {
        let x = array![[3.0, 5.0]];
        let only_mean = StandardScaler::new(2, Some(array![1.0, 1.0]), None);
        assert_eq!(only_mean.transform(x.view()).unwrap(), array![[2.0, 4.0]]);
        let only_scale = StandardScaler::new(2, None, Some(array![2.0, 5.0]));
        assert_eq!(only_scale.transform(x.view()).unwrap(), array![[1.5, 1.0]]);
        let neither = StandardScaler::new(2, None, None);
        assert_eq!(neither.transform(x.view()).unwrap(), x);
    }

    #[test]
    fn nan_propagates() {
        let s = StandardScaler::new(1, Some(array![1.0]), Some(array![2.0]));
        assert!(s.transform(array![[f64::NAN]].view()).unwrap()[[0, 0]].is_nan());
    }

    #[test]
    fn has_transform_only() {
        let s: &dyn Estimator = &StandardScaler::new(1, None, None);
        assert_eq!(s.methods(), vec![Method::Transform]);
    }

    #[test]
    fn wrong_width_is_e_input() {
        let s = StandardScaler::new(2, None, None);
        assert!(matches!(
            s.transform(array![[1.0]].view()),
            Err(EstimatorError::Input {
                expected: 2,
                found: 1
            })
        ));
    }
}
