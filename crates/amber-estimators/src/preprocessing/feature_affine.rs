//! `FeatureAffine`: a per-feature `clip((((x - sub) / div) * mul) + add, lo, hi)`, each step
//! optional, serving `MinMaxScaler`, `MaxAbsScaler` and `RobustScaler`.
//!
//! Mirrors scikit-learn 1.9.1 `sklearn/preprocessing/_data.py`, dense branches:
//! `MinMaxScaler.transform` (`X *= scale_; X += min_`, then `np.clip(X, *feature_range)` when
//! `clip`), `MaxAbsScaler.transform` (`X /= scale_`, then `np.clip(X, -1, 1)` when `clip`) and
//! `RobustScaler.transform` (`X -= center_` when `with_centering`, then `X /= scale_` when
//! `with_scaling`). Each step is one whole-array IEEE operation, done in the body's order, so
//! the output is bit-identical to scikit-learn's. Clipping is numpy 2's `np.clip`: a value
//! below `lo` becomes `lo`, one above `hi` becomes `hi`, anything else (NaN, and a bound's
//! own value, `-0.0` at a bound of `0.0` included) is kept. numpy < 2 (under scikit-learn
//! 1.3.2) differs only there: it returns `+0.0` for `-0.0` clipped at a `0.0` bound, the
//! same number with the other sign bit. NaN inputs propagate through every step, as in scikit-learn;
//! infinities are `E_INPUT`, as the three scalers' `transform` and `inverse_transform` refuse
//! them (`check_array`/`validate_data` with `ensure_all_finite="allow-nan"`).

use std::ops::Deref;

use amber_codec::Container;
use amber_codec::model;
use ndarray::{Array1, Array2, ArrayView2, Zip};

use crate::error::{EstimatorError, Result};
use crate::finite::{self, Refuse};
use crate::registry::f64_vector;
use crate::traits::{Estimator, InverseTransform, Transform, check_width};

/// Who refuses what, in an `E_INPUT` message.
const SCALER: &str = "a MinMaxScaler, MaxAbsScaler or RobustScaler refuses infinities";

/// A validated per-feature affine map.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct FeatureAffine {
    n_features: usize,
    sub: Option<Array1<f64>>,
    div: Option<Array1<f64>>,
    mul: Option<Array1<f64>>,
    add: Option<Array1<f64>>,
    clip: Option<(f64, f64)>,
}

/// numpy 2's `clip` for one float: only values strictly outside `[lo, hi]` change, so NaN
/// and signed zeros at a zero bound are kept.
fn np_clip(x: f64, lo: f64, hi: f64) -> f64 {
    if x < lo {
        lo
    } else if x > hi {
        hi
    } else {
        x
    }
}

impl Transform for FeatureAffine {
    fn transform(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        check_width(&x, self.n_features)?;
        finite::check(x, Refuse::Infinite, SCALER)?;
        let mut z = x.to_owned();
        // Whole-array passes in the body's order, one IEEE operation each, as scikit-learn's
        // in-place numpy operations are.
        if let Some(v) = &self.sub {
            Zip::from(z.rows_mut()).for_each(|mut row| row -= v);
        }
        if let Some(v) = &self.div {
            Zip::from(z.rows_mut()).for_each(|mut row| row /= v);
        }
        if let Some(v) = &self.mul {
            Zip::from(z.rows_mut()).for_each(|mut row| row *= v);
        }
        if let Some(v) = &self.add {
            Zip::from(z.rows_mut()).for_each(|mut row| row += v);
        }
        if let Some((lo, hi)) = self.clip {
            z.mapv_inplace(|v| np_clip(v, lo, hi));
        }
        Ok(z)
    }

    fn n_features_out(&self) -> usize {
        self.n_features
    }
}

/// The producers' `inverse_transform` (dense), the steps undone in reverse order:
/// `MinMaxScaler`'s `X -= min_; X /= scale_`, `MaxAbsScaler`'s `X *= scale_`,
/// `RobustScaler`'s `X *= scale_; X += center_`. The clip is not undone (scikit-learn's
/// inverse ignores it).
impl InverseTransform for FeatureAffine {
    fn inverse_transform(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        check_width(&x, self.n_features)?;
        finite::check(x, Refuse::Infinite, SCALER)?;
        let mut z = x.to_owned();
        if let Some(v) = &self.add {
            Zip::from(z.rows_mut()).for_each(|mut row| row -= v);
        }
        if let Some(v) = &self.mul {
            Zip::from(z.rows_mut()).for_each(|mut row| row /= v);
        }
        if let Some(v) = &self.div {
            Zip::from(z.rows_mut()).for_each(|mut row| row *= v);
        }
        if let Some(v) = &self.sub {
            Zip::from(z.rows_mut()).for_each(|mut row| row += v);
        }
        Ok(z)
    }
}

impl Estimator for FeatureAffine {
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

/// Builds the runtime map, checking the FeatureAffine rules of `spec/estimators.md`.
pub(crate) fn build<B: Deref<Target = [u8]>>(
    c: &Container<B>,
    body: &model::FeatureAffine,
    n: usize,
    path: &str,
) -> Result<FeatureAffine> {
    let field = |f: &str| format!("{path}.feature_affine.{f}");
    // Rules 1 and 2: each vector is f64 [n_features] and finite; div is also > 0 (every
    // producer's divisor went through `_handle_zeros_in_scale`).
    let vector = |name: &Option<String>, f: &str, ok: fn(f64) -> bool, what: &str| {
        let Some(name) = name.as_deref() else {
            return Ok(None);
        };
        let v = f64_vector(c, name, n, &field(f))?;
        if let Some((j, x)) = v.iter().copied().enumerate().find(|&(_, x)| !ok(x)) {
            return Err(EstimatorError::model(
                field(f),
                format!("element {j} is {x}; it must be {what}"),
            ));
        }
        Ok(Some(v))
    };
    let sub = vector(&body.sub, "sub", f64::is_finite, "finite")?;
    let div = vector(
        &body.div,
        "div",
        |x| x.is_finite() && x > 0.0,
        "finite and > 0",
    )?;
    let mul = vector(&body.mul, "mul", f64::is_finite, "finite")?;
    let add = vector(&body.add, "add", f64::is_finite, "finite")?;
    // Rule 3: a clip range is two finite bounds, lo < hi (scikit-learn refuses any other
    // feature_range at fit).
    if let Some((lo, hi)) = body.clip {
        if !(lo.is_finite() && hi.is_finite() && lo < hi) {
            return Err(EstimatorError::model(
                field("clip"),
                format!("[{lo}, {hi}] must be two finite bounds with lo < hi"),
            ));
        }
    }
    Ok(FeatureAffine {
        n_features: n,
        sub,
        div,
        mul,
        add,
        clip: body.clip,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::method::Method;
    use ndarray::array;

    fn affine(sub: &[f64], div: &[f64], mul: &[f64], add: &[f64]) -> FeatureAffine {
        let v = |a: &[f64]| (!a.is_empty()).then(|| Array1::from(a.to_vec()));
        FeatureAffine {
            n_features: 2,
            sub: v(sub),
            div: v(div),
            mul: v(mul),
            add: v(add),
            clip: None,
        }
    }

    #[test]
    fn order_is_sub_div_mul_add_bit_exact() {
        // Each reordering of the steps rounds differently on these numbers; the body must
        // give (((x - s) / d) * m) + a, one rounding per step.
        let (x, s, d, m, a) = (1.4_f64, 2.0_f64, 2.4_f64, 0.4_f64, 0.2_f64);
        let want = ((x - s) / d) * m + a;
        assert_ne!(want.to_bits(), (((x - s) * m) / d + a).to_bits());
        assert_ne!(want.to_bits(), ((x - s) * (m / d) + a).to_bits());
        let f = affine(&[s, s], &[d, d], &[m, m], &[a, a]);
        let z = f.transform(array![[x, x]].view()).unwrap();
        assert_eq!(z[[0, 0]].to_bits(), want.to_bits());
    }

    #[test]
    fn min_max_is_mul_then_add() {
        // MinMaxScaler: X *= scale_; X += min_ (not a fused multiply-add, not (x - min) / r).
        let (x, k, b) = (2.7_f64, 0.2_f64, 0.2_f64);
        let f = affine(&[], &[], &[k, k], &[b, b]);
        let z = f.transform(array![[x, x]].view()).unwrap();
        assert_eq!(z[[0, 1]].to_bits(), (x * k + b).to_bits());
        assert_ne!((x * k + b).to_bits(), x.mul_add(k, b).to_bits());
    }

    #[test]
    fn absent_steps_are_skipped() {
        let x = array![[3.0, 5.0]];
        assert_eq!(affine(&[], &[], &[], &[]).transform(x.view()).unwrap(), x);
        let div = affine(&[], &[2.0, 5.0], &[], &[]);
        assert_eq!(div.transform(x.view()).unwrap(), array![[1.5, 1.0]]);
    }

    #[test]
    fn clip_follows_numpy() {
        assert_eq!(np_clip(-3.0, -1.0, 1.0), -1.0);
        assert_eq!(np_clip(3.0, -1.0, 1.0), 1.0);
        assert_eq!(np_clip(0.5, -1.0, 1.0), 0.5);
        assert!(np_clip(f64::NAN, -1.0, 1.0).is_nan());
        // A value equal to a bound is kept, sign bit included (numpy 2).
        assert_eq!(np_clip(-0.0, 0.0, 1.0).to_bits(), (-0.0_f64).to_bits());
        assert_eq!(np_clip(-0.0, -1.0, 0.0).to_bits(), (-0.0_f64).to_bits());
        assert_eq!(np_clip(0.0, -1.0, -0.0).to_bits(), 0.0_f64.to_bits());
        let mut f = affine(&[], &[], &[], &[]);
        f.clip = Some((0.0, 1.0));
        let z = f.transform(array![[-5.0, 7.0]].view()).unwrap();
        assert_eq!(z, array![[0.0, 1.0]]);
    }

    #[test]
    fn nan_propagates() {
        let mut f = affine(&[1.0, 1.0], &[2.0, 2.0], &[3.0, 3.0], &[4.0, 4.0]);
        f.clip = Some((0.0, 1.0));
        let z = f.transform(array![[f64::NAN, 0.0]].view()).unwrap();
        assert!(z[[0, 0]].is_nan());
    }

    #[test]
    fn has_transform_only() {
        let f: &dyn Estimator = &affine(&[], &[], &[], &[]);
        assert_eq!(f.methods(), vec![Method::Transform]);
    }

    #[test]
    fn wrong_width_is_e_input() {
        assert!(matches!(
            affine(&[], &[], &[], &[]).transform(array![[1.0]].view()),
            Err(EstimatorError::Input {
                expected: 2,
                found: 1
            })
        ));
    }
}
