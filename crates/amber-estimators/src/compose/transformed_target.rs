//! `TransformedTarget`: scikit-learn's `TransformedTargetRegressor`, a regressor whose
//! predictions go back through the target transformer's `inverse_transform`
//! (`spec/estimators.md` section 26).
//!
//! Mirrors scikit-learn 1.9.1 `sklearn/compose/_target.py` `TransformedTargetRegressor.
//! predict` (1.3.2 computes the same): `pred = regressor_.predict(X)`, reshaped to `[n, 1]`
//! when 1-D, `transformer_.inverse_transform(pred)`, squeezed back to `[n]` when the
//! regressor was fitted on a 1-D target and the result has one column.

use amber_codec::model;
use ndarray::{Array2, ArrayView2, Axis, Ix1, Ix2};

use super::members::{Input, is_regressor};
use crate::error::{EstimatorError, Result};
use crate::method::{Method, Prediction};
use crate::table::{ColumnKind, Table};
use crate::traits::{Estimator, Predict, RunTable};

/// A validated `TransformedTargetRegressor`.
#[derive(Debug)]
pub(crate) struct TransformedTarget {
    n_features_in: usize,
    regressor: Box<dyn Estimator>,
    transformer: Box<dyn Estimator>,
    squeeze: bool,
}

/// Builds a `TransformedTarget` from its body, checking rules 1-3 of section 26; `build`
/// builds a child estimator at a path.
pub(crate) fn build(
    body: &model::TransformedTarget,
    n_features_in: usize,
    path: &str,
    mut build: impl FnMut(&model::Estimator, &str) -> Result<Box<dyn Estimator>>,
) -> Result<Box<dyn Estimator>> {
    let field = format!("{path}.transformed_target");
    let here = format!("{field}.regressor");
    let regressor = build(&body.regressor, &here)?;
    // Rule 1.
    super::members::check_reads_input(regressor.as_ref(), n_features_in, &here)?;
    let width = regressor.numeric_columns(Method::Predict);
    let Some(width) = width.filter(|_| is_regressor(&body.regressor)) else {
        return Err(EstimatorError::model(
            here,
            "the regressor is a regressor with a numeric predict",
        ));
    };
    // Rule 2.
    let here = format!("{field}.transformer");
    let transformer = build(&body.transformer, &here)?;
    if transformer.as_inverse_transform().is_none() {
        return Err(EstimatorError::model(
            here,
            "the transformer has inverse_transform (a FunctionTransformer, a scaler, or a \
             pipeline of them)",
        ));
    }
    if transformer.n_features_in() != width {
        return Err(EstimatorError::model(
            format!("{here}.n_features_in"),
            format!(
                "is {}, and the regressor predicts {width} values per row",
                transformer.n_features_in()
            ),
        ));
    }
    // Rule 3.
    if body.squeeze && width != 1 {
        return Err(EstimatorError::model(
            format!("{field}.squeeze"),
            format!("a target of {width} columns is not squeezed to one"),
        ));
    }
    Ok(Box::new(TransformedTarget {
        n_features_in,
        regressor,
        transformer,
        squeeze: body.squeeze,
    }))
}

impl TransformedTarget {
    fn predict_any(&self, x: Input<'_>) -> Result<Prediction> {
        x.check_width(self.n_features_in)?;
        let pred = match x.run(
            self.regressor.as_ref(),
            Method::Predict,
            "transformed_target",
        )? {
            Prediction::Float(p) => p,
            other => {
                return Err(super::members::member_output(
                    "transformed_target",
                    0,
                    "numbers",
                    &other,
                ));
            }
        };
        let as_matrix: Array2<f64> = match pred.ndim() {
            1 => pred
                .into_dimensionality::<Ix1>()
                .map(|p| p.insert_axis(Axis(1)))
                .map_err(|e| EstimatorError::model("transformed_target", e.to_string()))?,
            _ => pred
                .into_dimensionality::<Ix2>()
                .map_err(|e| EstimatorError::model("transformed_target", e.to_string()))?,
        };
        let inverse = self.inverse(as_matrix.view())?;
        Ok(Prediction::Float(if self.squeeze && inverse.ncols() == 1 {
            inverse.index_axis_move(Axis(1), 0).into_dyn()
        } else {
            inverse.into_dyn()
        }))
    }

    fn inverse(&self, pred: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        self.transformer
            .as_inverse_transform()
            .ok_or_else(|| EstimatorError::model("transformed_target", "no inverse_transform"))?
            .inverse_transform(pred)
    }
}

impl Predict for TransformedTarget {
    fn predict(&self, x: ArrayView2<'_, f64>) -> Result<Prediction> {
        self.predict_any(Input::Dense(x))
    }
}

impl RunTable for TransformedTarget {
    fn run_table(&self, method: Method, x: &Table) -> Option<Result<Prediction>> {
        (method == Method::Predict).then(|| self.predict_any(Input::Table(x)))
    }
}

impl Estimator for TransformedTarget {
    fn n_features_in(&self) -> usize {
        self.n_features_in
    }

    fn input_kinds(&self) -> Vec<ColumnKind> {
        self.regressor.input_kinds()
    }

    fn numeric_columns(&self, method: Method) -> Option<usize> {
        match method {
            Method::Predict => self.regressor.numeric_columns(Method::Predict),
            _ => None,
        }
    }

    /// `[n]` exactly when squeezed (fitted on a 1-D target); `[n, k]` otherwise.
    fn predicts_1d(&self) -> bool {
        self.squeeze
    }

    fn as_predict(&self) -> Option<&dyn Predict> {
        Some(self)
    }

    fn as_run_table(&self) -> Option<&dyn RunTable> {
        Some(self)
    }
}
