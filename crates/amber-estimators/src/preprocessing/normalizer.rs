//! `Normalizer`: each row divided by its norm.
//!
//! Mirrors scikit-learn 1.9.1 `sklearn/preprocessing/_data.py`, `normalize` (dense branch,
//! which `Normalizer.transform` calls): `norms` is `sum(abs(X), axis=1)` (l1),
//! `row_norms(X)` = `sqrt(einsum("ij,ij->i", X, X))` (l2) or `max(abs(X), axis=1)` (max);
//! then `_handle_zeros_in_scale(norms)` (a norm below `10 * eps` becomes 1) and
//! `X /= norms[:, None]`. The division is one IEEE operation per value. The max norm is
//! exact; the l1 sum is numpy's pairwise order for a contiguous row (`numerics::numpy_sum`),
//! exact below 8 features; the l2 sum of squares uses the same order, while numpy's einsum
//! uses SIMD lanes, so l2 outputs may differ by an ulp or two (the spec's tolerance). NaN and
//! infinite inputs are `E_INPUT`, as `Normalizer.transform`'s `validate_data`
//! (`ensure_all_finite=True`) refuses them.

use amber_codec::model::NormalizerNorm;
use ndarray::{Array2, ArrayView1, ArrayView2};

use crate::error::Result;
use crate::finite::{self, Refuse};
use crate::numerics::numpy_sum;
use crate::traits::{Estimator, Transform, check_width};

/// `_handle_zeros_in_scale`'s bound: `10 * np.finfo(np.float64).eps`.
const NEAR_ZERO: f64 = 10.0 * f64::EPSILON;

/// A validated row normalizer.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Normalizer {
    norm: NormalizerNorm,
    n_features: usize,
}

impl Normalizer {
    pub(crate) fn new(norm: NormalizerNorm, n_features: usize) -> Self {
        Self { norm, n_features }
    }

    fn row_norm(&self, row: ArrayView1<'_, f64>) -> f64 {
        let norm = match self.norm {
            NormalizerNorm::L1 => numpy_sum(&row.iter().map(|v| v.abs()).collect::<Vec<_>>()),
            NormalizerNorm::L2 => numpy_sum(&row.iter().map(|v| v * v).collect::<Vec<_>>()).sqrt(),
            // np.max propagates NaN.
            NormalizerNorm::Max => row.iter().map(|v| v.abs()).fold(f64::NEG_INFINITY, |m, v| {
                if v > m || v.is_nan() || m.is_nan() {
                    if m.is_nan() { m } else { v }
                } else {
                    m
                }
            }),
        };
        if norm < NEAR_ZERO { 1.0 } else { norm }
    }
}

impl Transform for Normalizer {
    fn transform(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        check_width(&x, self.n_features)?;
        finite::check(
            x,
            Refuse::NonFinite,
            "a Normalizer refuses NaN and infinities",
        )?;
        let mut z = x.to_owned();
        for mut row in z.rows_mut() {
            let norm = self.row_norm(row.view());
            row.mapv_inplace(|v| v / norm);
        }
        Ok(z)
    }

    fn n_features_out(&self) -> usize {
        self.n_features
    }
}

impl Estimator for Normalizer {
    fn n_features_in(&self) -> usize {
        self.n_features
    }
    fn as_transform(&self) -> Option<&dyn Transform> {
        Some(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::method::Method;
    use ndarray::array;

    fn t(norm: NormalizerNorm, x: Array2<f64>) -> Array2<f64> {
        Normalizer::new(norm, x.ncols())
            .transform(x.view())
            .unwrap()
    }

    #[test]
    fn each_norm_divides_its_row() {
        let x = array![[3.0, -4.0], [0.5, 0.5]];
        assert_eq!(
            t(NormalizerNorm::L1, x.clone()),
            array![[3.0 / 7.0, -4.0 / 7.0], [0.5, 0.5]]
        );
        assert_eq!(
            t(NormalizerNorm::L2, x.clone()),
            array![[0.6, -0.8], [0.5 / 0.5_f64.sqrt(), 0.5 / 0.5_f64.sqrt()]]
        );
        assert_eq!(t(NormalizerNorm::Max, x), array![[0.75, -1.0], [1.0, 1.0]]);
    }

    #[test]
    fn near_zero_norms_leave_the_row_unchanged() {
        // _handle_zeros_in_scale: a norm below 10 * eps is replaced by 1.
        let x = array![[0.0, -0.0], [1e-300, 1e-16]];
        for norm in [NormalizerNorm::L1, NormalizerNorm::L2, NormalizerNorm::Max] {
            let z = t(norm, x.clone());
            assert_eq!(z[[0, 1]].to_bits(), (-0.0_f64).to_bits());
            assert_eq!(z.row(1), x.row(1));
        }
    }

    #[test]
    fn l1_sums_pairwise_from_eight_features() {
        let row: Vec<f64> = (0..9).map(|i| 1.0 + f64::from(i) * 1e-16 * 3.0).collect();
        let x = Array2::from_shape_vec((1, 9), row.clone()).unwrap();
        let z = t(NormalizerNorm::L1, x);
        assert_eq!(z[[0, 0]].to_bits(), (row[0] / numpy_sum(&row)).to_bits());
    }

    #[test]
    fn nan_and_infinite_inputs_are_refused_as_validate_data_does() {
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let x = array![[2.0, 0.0], [bad, 1.0]];
            let got = Normalizer::new(NormalizerNorm::L2, 2).transform(x.view());
            assert!(
                matches!(
                    got,
                    Err(crate::error::EstimatorError::NotFinite {
                        row: 1,
                        column: 0,
                        ..
                    })
                ),
                "{bad}: {got:?}"
            );
        }
        // Finite values beyond float32's range are float64 values like any other.
        assert_eq!(
            t(NormalizerNorm::Max, array![[1e39, -2e39]]),
            array![[0.5, -1.0]]
        );
    }

    #[test]
    fn has_transform_only() {
        let n: &dyn Estimator = &Normalizer::new(NormalizerNorm::L2, 2);
        assert_eq!(n.methods(), vec![Method::Transform]);
    }
}
