//! Domain types of the `FunctionTransformer` body (spec/estimators.md, "FunctionTransformer")
//! and of the `TransformedTarget` body ("TransformedTarget": scikit-learn's
//! `TransformedTargetRegressor`), with their validating conversions from the raw manifest
//! types beside them.

use amber_schema::raw;

use super::{Estimator, estimator_from_raw};
use crate::error::{CodecError, Result};

/// A numpy function of one value, from the spec's closed list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)] // Each variant is the numpy function of the same name.
pub enum ElementwiseFunction {
    /// `None`: the value itself.
    Identity,
    Log,
    Log1p,
    Log2,
    Log10,
    Exp,
    Expm1,
    Exp2,
    Sqrt,
    Cbrt,
    Square,
    Reciprocal,
    Negative,
    Absolute,
    Sinh,
    Arcsinh,
}

/// `FunctionTransformer` with `func` and `inverse_func` from the closed list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FunctionTransformer {
    /// `func`.
    pub func: ElementwiseFunction,
    /// `inverse_func`.
    pub inverse_func: ElementwiseFunction,
    /// `validate`: NaN and infinity are refused.
    pub validate: bool,
}

/// `TransformedTargetRegressor`.
#[derive(Clone, Debug, PartialEq)]
pub struct TransformedTarget {
    /// `regressor_`.
    pub regressor: Box<Estimator>,
    /// `transformer_`.
    pub transformer: Box<Estimator>,
    /// A `[n, 1]` result is returned as `[n]`.
    pub squeeze: bool,
}

fn function_from_raw(v: i32, here: &str) -> Result<ElementwiseFunction> {
    use raw::ElementwiseFunction as R;
    Ok(match R::try_from(v) {
        Ok(R::Identity) => ElementwiseFunction::Identity,
        Ok(R::Log) => ElementwiseFunction::Log,
        Ok(R::Log1p) => ElementwiseFunction::Log1p,
        Ok(R::Log2) => ElementwiseFunction::Log2,
        Ok(R::Log10) => ElementwiseFunction::Log10,
        Ok(R::Exp) => ElementwiseFunction::Exp,
        Ok(R::Expm1) => ElementwiseFunction::Expm1,
        Ok(R::Exp2) => ElementwiseFunction::Exp2,
        Ok(R::Sqrt) => ElementwiseFunction::Sqrt,
        Ok(R::Cbrt) => ElementwiseFunction::Cbrt,
        Ok(R::Square) => ElementwiseFunction::Square,
        Ok(R::Reciprocal) => ElementwiseFunction::Reciprocal,
        Ok(R::Negative) => ElementwiseFunction::Negative,
        Ok(R::Absolute) => ElementwiseFunction::Absolute,
        Ok(R::Sinh) => ElementwiseFunction::Sinh,
        Ok(R::Arcsinh) => ElementwiseFunction::Arcsinh,
        Ok(R::Unspecified) | Err(_) => {
            return Err(CodecError::model(
                here,
                format!("function {v} is unspecified or unknown"),
            ));
        }
    })
}

fn function_to_raw(f: ElementwiseFunction) -> i32 {
    use raw::ElementwiseFunction as R;
    (match f {
        ElementwiseFunction::Identity => R::Identity,
        ElementwiseFunction::Log => R::Log,
        ElementwiseFunction::Log1p => R::Log1p,
        ElementwiseFunction::Log2 => R::Log2,
        ElementwiseFunction::Log10 => R::Log10,
        ElementwiseFunction::Exp => R::Exp,
        ElementwiseFunction::Expm1 => R::Expm1,
        ElementwiseFunction::Exp2 => R::Exp2,
        ElementwiseFunction::Sqrt => R::Sqrt,
        ElementwiseFunction::Cbrt => R::Cbrt,
        ElementwiseFunction::Square => R::Square,
        ElementwiseFunction::Reciprocal => R::Reciprocal,
        ElementwiseFunction::Negative => R::Negative,
        ElementwiseFunction::Absolute => R::Absolute,
        ElementwiseFunction::Sinh => R::Sinh,
        ElementwiseFunction::Arcsinh => R::Arcsinh,
    }) as i32
}

pub(super) fn function_transformer_from_raw(
    f: raw::FunctionTransformer,
    path: &str,
) -> Result<FunctionTransformer> {
    let field = format!("{path}.function_transformer");
    Ok(FunctionTransformer {
        func: function_from_raw(f.func, &format!("{field}.func"))?,
        inverse_func: function_from_raw(f.inverse_func, &format!("{field}.inverse_func"))?,
        validate: f.validate,
    })
}

pub(super) fn function_transformer_to_raw(f: FunctionTransformer) -> raw::FunctionTransformer {
    raw::FunctionTransformer {
        func: function_to_raw(f.func),
        inverse_func: function_to_raw(f.inverse_func),
        validate: f.validate,
    }
}

pub(super) fn transformed_target_from_raw(
    t: raw::TransformedTarget,
    path: &str,
    depth: usize,
) -> Result<TransformedTarget> {
    let field = format!("{path}.transformed_target");
    let child = |e: Option<Box<raw::Estimator>>, name: &str| {
        let e = e.ok_or_else(|| CodecError::model(format!("{field}.{name}"), "is absent"))?;
        estimator_from_raw(*e, &format!("{path}/{name}"), depth + 1).map(Box::new)
    };
    Ok(TransformedTarget {
        regressor: child(t.regressor, "regressor")?,
        transformer: child(t.transformer, "transformer")?,
        squeeze: t.squeeze,
    })
}

pub(super) fn transformed_target_to_raw(t: TransformedTarget) -> raw::TransformedTarget {
    raw::TransformedTarget {
        regressor: Some(Box::new(raw::Estimator::from(*t.regressor))),
        transformer: Some(Box::new(raw::Estimator::from(*t.transformer))),
        squeeze: t.squeeze,
    }
}
