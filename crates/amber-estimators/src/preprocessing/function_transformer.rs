//! `FunctionTransformer` with `func` and `inverse_func` from the spec's closed list of numpy
//! functions (`spec/estimators.md` section 25).
//!
//! Mirrors scikit-learn 1.9.1 `sklearn/preprocessing/_function_transformer.py`:
//! `transform` and `inverse_transform` check the input with `check_array` when `validate`
//! (NaN and infinity refused) and apply the function to every value (`func(X)`; `None` is
//! the identity).

use amber_codec::model::{self, ElementwiseFunction};
use ndarray::{Array2, ArrayView2};

use crate::error::Result;
use crate::finite::{self, Refuse};
use crate::numerics::elementwise;
use crate::traits::{Estimator, InverseTransform, Transform, check_width};

/// A validated `FunctionTransformer`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct FunctionTransformer {
    n_features: usize,
    func: ElementwiseFunction,
    inverse_func: ElementwiseFunction,
    validate: bool,
}

impl FunctionTransformer {
    pub(crate) fn new(f: &model::FunctionTransformer, n_features: usize) -> Self {
        Self {
            n_features,
            func: f.func,
            inverse_func: f.inverse_func,
            validate: f.validate,
        }
    }

    fn apply(&self, f: ElementwiseFunction, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        check_width(&x, self.n_features)?;
        if self.validate {
            finite::check(
                x,
                Refuse::NonFinite,
                "a FunctionTransformer with validate=True refuses NaN and infinities",
            )?;
        }
        Ok(x.mapv(|v| elementwise(f, v)))
    }
}

impl Transform for FunctionTransformer {
    fn transform(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        self.apply(self.func, x)
    }

    fn n_features_out(&self) -> usize {
        self.n_features
    }
}

impl InverseTransform for FunctionTransformer {
    fn inverse_transform(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        self.apply(self.inverse_func, x)
    }
}

impl Estimator for FunctionTransformer {
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
    use ndarray::array;

    #[test]
    fn applies_the_function_and_its_inverse_and_validates() {
        let f = FunctionTransformer::new(
            &model::FunctionTransformer {
                func: ElementwiseFunction::Log1p,
                inverse_func: ElementwiseFunction::Expm1,
                validate: true,
            },
            2,
        );
        let x = array![[0.5, 3.0]];
        let z = f.transform(x.view()).unwrap();
        assert_eq!(z, array![[0.5f64.ln_1p(), 3.0f64.ln_1p()]]);
        let back = f.inverse_transform(z.view()).unwrap();
        assert_eq!(back, z.mapv(f64::exp_m1));
        let bad = array![[1.0, 2.0], [f64::NAN, 0.0]];
        assert!(matches!(
            f.transform(bad.view()),
            Err(EstimatorError::NotFinite {
                row: 1,
                column: 0,
                ..
            })
        ));
    }
}
