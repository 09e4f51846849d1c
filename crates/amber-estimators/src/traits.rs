//! The method traits every runtime estimator implements a subset of.
//!
//! One small trait per method. A family implements only the methods it has; [`Estimator`]
//! ties them together for dynamic dispatch (a pipeline holds `Box<dyn Estimator>` steps) and
//! its `as_*` defaults say "no such method", so `methods()` and `E_METHOD` follow from the
//! implementations and cannot drift from them.
//!
//! Every implementation checks the input's column count first ([`check_width`]), so a runtime
//! object is safe to call on its own, not only through a validated pipeline.

use std::fmt::Debug;

use ndarray::{Array1, Array2, ArrayD, ArrayView2};

use crate::error::{EstimatorError, Result};
use crate::method::{Method, Prediction};
use crate::table::{ColumnKind, Table};

/// `predict`.
pub(crate) trait Predict {
    /// Labels (classifiers) or values (regressors), shaped as scikit-learn shapes them.
    fn predict(&self, x: ArrayView2<'_, f64>) -> Result<Prediction>;
}

/// `predict_proba`.
pub(crate) trait PredictProba {
    /// `[n_samples, n_classes]` probabilities, columns in class order.
    fn predict_proba(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>>;
    /// One `[n_samples, n_classes_o]` array per output; one array for a single-output model.
    fn predict_proba_multi(&self, x: ArrayView2<'_, f64>) -> Result<Vec<Array2<f64>>> {
        Ok(vec![self.predict_proba(x)?])
    }
}

/// `decision_function`.
pub(crate) trait DecisionFunction {
    /// `[n_samples]` for one score column, `[n_samples, n_outputs]` otherwise.
    fn decision_function(&self, x: ArrayView2<'_, f64>) -> Result<ArrayD<f64>>;
}

/// `transform`.
pub(crate) trait Transform {
    /// `[n_samples, n_features_out]`.
    fn transform(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>>;
    /// Columns of the output, for chaining feature counts through a pipeline at load.
    fn n_features_out(&self) -> usize;
}

/// `transform` whose output is not the f64 `[n_samples, n_features_out]` matrix of
/// [`Transform`]: a hard `VotingClassifier`'s i64 class indices, a soft one's
/// `[members, n_samples, n_classes]` without `flatten_transform`. Where an estimator has
/// both, this is what its caller gets and [`Transform`] what a next step reads.
pub(crate) trait TransformPrediction {
    /// The output, typed and shaped as scikit-learn's.
    fn transform_prediction(&self, x: ArrayView2<'_, f64>) -> Result<Prediction>;
}

/// `inverse_transform`, for what reads it (a `TransformedTargetRegressor`'s transformer):
/// not one of the five methods a caller runs.
pub(crate) trait InverseTransform {
    /// `[n_samples, n_features_in]`: the input `transform` would have mapped to `x`.
    fn inverse_transform(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>>;
}

/// `score_samples`.
pub(crate) trait ScoreSamples {
    /// `[n_samples]`: one score per sample.
    fn score_samples(&self, x: ArrayView2<'_, f64>) -> Result<Array1<f64>>;
}

/// `transform` of columns of any kind: an estimator that reads strings (an encoder, a string
/// imputer) or routes columns (a pipeline, `ColumnTransformer`). The input's columns are in
/// the estimator's input order (the model matched them to its schema by name).
pub(crate) trait TableTransform {
    /// The transformed columns; they may hold strings (an imputer's fill values).
    fn transform_table(&self, x: &Table) -> Result<Table>;
    /// The kinds of the output columns, `n_features_out` of them.
    fn output_kinds(&self) -> Vec<ColumnKind>;
    /// [`TableTransform::transform_table`] on a [`Frame`], giving a matrix when every
    /// output column holds numbers; estimators that build their output as a matrix (the
    /// encoders) or route frames (pipelines, `ColumnTransformer`) override it to skip the
    /// table.
    fn transform_frame(&self, x: Frame) -> Result<Frame> {
        Frame::from_table(self.transform_table(&x.into_table())?)
    }
}

/// Data between steps: a matrix while every column holds numbers (the arithmetic of most
/// steps, without a copy per column), a table where some column holds strings.
#[derive(Clone, Debug)]
pub(crate) enum Frame {
    /// Every column numbers.
    Dense(Array2<f64>),
    /// Named columns, some of them strings.
    Table(Table),
}

impl Frame {
    /// A table as a frame: a matrix when every column holds numbers.
    pub(crate) fn from_table(t: Table) -> Result<Frame> {
        if t.is_numeric() {
            t.to_dense().map(Frame::Dense)
        } else {
            Ok(Frame::Table(t))
        }
    }

    /// The frame as a table.
    pub(crate) fn into_table(self) -> Table {
        match self {
            Frame::Dense(d) => Table::from_dense(d.view()),
            Frame::Table(t) => t,
        }
    }

    /// The frame as a prediction (a `transform`'s output).
    pub(crate) fn into_prediction(self) -> Prediction {
        match self {
            Frame::Dense(d) => Prediction::Float(d.into_dyn()),
            Frame::Table(t) => Prediction::from_table(t),
        }
    }

    /// Rows.
    pub(crate) fn n_rows(&self) -> usize {
        match self {
            Frame::Dense(d) => d.nrows(),
            Frame::Table(t) => t.n_rows(),
        }
    }

    /// Columns.
    pub(crate) fn n_columns(&self) -> usize {
        match self {
            Frame::Dense(d) => d.ncols(),
            Frame::Table(t) => t.n_columns(),
        }
    }
}

/// Every method on a table, for estimators that route columns to other estimators
/// (pipelines, `ColumnTransformer`), so that a step reading strings gets them.
pub(crate) trait RunTable {
    /// Runs `method` on `x`; `None` when the estimator does not have it.
    fn run_table(&self, method: Method, x: &Table) -> Option<Result<Prediction>>;
    /// `predict_proba` on `x` as one array per output ([`PredictProba::predict_proba_multi`]
    /// for a table); by default the one array of [`RunTable::run_table`].
    fn proba_multi_table(&self, x: &Table) -> Option<Result<Vec<Array2<f64>>>> {
        let p = self.run_table(Method::PredictProba, x)?;
        Some(p.and_then(|p| {
            match p {
                Prediction::Float(a) => a
                    .into_dimensionality()
                    .map(|m| vec![m])
                    .map_err(|e| EstimatorError::model("predict_proba", e.to_string())),
                other => Err(EstimatorError::model(
                    "predict_proba",
                    format!("gave {}, not probabilities", other.kind()),
                )),
            }
        }))
    }
}

/// A runtime estimator: its input width and the methods it has.
pub(crate) trait Estimator: Debug + Send + Sync {
    /// Columns the input must have.
    fn n_features_in(&self) -> usize;
    /// `Some` when the estimator has `predict`.
    fn as_predict(&self) -> Option<&dyn Predict> {
        None
    }
    /// `Some` when the estimator has `predict_proba`.
    fn as_predict_proba(&self) -> Option<&dyn PredictProba> {
        None
    }
    /// `Some` when the estimator has `decision_function`.
    fn as_decision_function(&self) -> Option<&dyn DecisionFunction> {
        None
    }
    /// `Some` when the estimator has `transform`.
    fn as_transform(&self) -> Option<&dyn Transform> {
        None
    }
    /// `Some` when the estimator has `score_samples`.
    fn as_score_samples(&self) -> Option<&dyn ScoreSamples> {
        None
    }
    /// `Some` when the estimator has `inverse_transform` of numbers.
    fn as_inverse_transform(&self) -> Option<&dyn InverseTransform> {
        None
    }
    /// `Some` when the estimator's `transform` gives its caller something other than an f64
    /// matrix (see [`TransformPrediction`]).
    fn as_transform_prediction(&self) -> Option<&dyn TransformPrediction> {
        None
    }
    /// Whether `predict` gives a 1-D `[n_samples]` array (not `[n_samples, n_outputs]`, even
    /// with one output): what a `VotingRegressor` member must give.
    fn predicts_1d(&self) -> bool {
        false
    }
    /// What each input column must hold (`spec/format.md` §7): all numeric unless the
    /// estimator reads strings.
    fn input_kinds(&self) -> Vec<ColumnKind> {
        vec![ColumnKind::Numeric; self.n_features_in()]
    }
    /// [`Estimator::input_kinds`], given what reads this estimator's `transform` output
    /// (`demand`, one kind per output column; `None` when the output goes to the caller).
    /// Only estimators that pass columns through as they are (`ColumnTransformer`'s
    /// passthrough, pipelines around one) use it: a passed-through column holds what its
    /// reader reads.
    fn input_kinds_for(&self, demand: Option<&[ColumnKind]>) -> Vec<ColumnKind> {
        let _ = demand;
        self.input_kinds()
    }
    /// `Some` when the estimator transforms columns of any kind. An estimator with this
    /// also has [`Estimator::as_transform`] (for dense numeric input), with the same
    /// `n_features_out`.
    fn as_table_transform(&self) -> Option<&dyn TableTransform> {
        None
    }
    /// `Some` when the estimator routes a table's columns to other estimators.
    fn as_run_table(&self) -> Option<&dyn RunTable> {
        None
    }
    /// The columns of what `predict`, `predict_proba` or `decision_function` returns, known
    /// from the validated body without running it: `Some(1)` for a `[n]` output, `Some(c)`
    /// for `[n, c]`; `None` without the method, when it gives strings (`predict`), when it
    /// has no single-array output, or for another method. A boosting init and a stacking's
    /// members are checked with it, so that no probe input of a declared width has to be
    /// allocated.
    fn numeric_columns(&self, method: Method) -> Option<usize> {
        let _ = method;
        None
    }
}

impl dyn Estimator + '_ {
    /// Whether the estimator has `method`.
    pub(crate) fn supports(&self, method: Method) -> bool {
        match method {
            Method::Predict => self.as_predict().is_some(),
            Method::PredictProba => self.as_predict_proba().is_some(),
            Method::DecisionFunction => self.as_decision_function().is_some(),
            Method::Transform => {
                self.as_transform().is_some() || self.as_transform_prediction().is_some()
            }
            Method::ScoreSamples => self.as_score_samples().is_some(),
        }
    }

    /// The methods the estimator has, in [`Method::ALL`] order.
    pub(crate) fn methods(&self) -> Vec<Method> {
        Method::ALL
            .into_iter()
            .filter(|&m| self.supports(m))
            .collect()
    }

    /// Runs `method`; `None` when the estimator does not have it.
    pub(crate) fn run(&self, method: Method, x: ArrayView2<'_, f64>) -> Option<Result<Prediction>> {
        Some(match method {
            Method::Predict => self.as_predict()?.predict(x),
            Method::PredictProba => self
                .as_predict_proba()?
                .predict_proba(x)
                .map(|p| Prediction::Float(p.into_dyn())),
            Method::DecisionFunction => self
                .as_decision_function()?
                .decision_function(x)
                .map(Prediction::Float),
            Method::Transform => match self.as_transform_prediction() {
                Some(t) => t.transform_prediction(x),
                None => self
                    .as_transform()?
                    .transform(x)
                    .map(|t| Prediction::Float(t.into_dyn())),
            },
            Method::ScoreSamples => self
                .as_score_samples()?
                .score_samples(x)
                .map(|s| Prediction::Float(s.into_dyn())),
        })
    }
}

impl dyn Estimator + '_ {
    /// Runs `method` on a table whose columns are in this estimator's input order: routed
    /// by a pipeline or `ColumnTransformer`, transformed as a table by an estimator that
    /// reads strings, else given to the numeric method as a matrix (`E_INPUT` when a column
    /// holds strings). `None` when the estimator does not have `method`.
    pub(crate) fn run_table(&self, method: Method, x: &Table) -> Option<Result<Prediction>> {
        if let Some(router) = self.as_run_table() {
            return router.run_table(method, x);
        }
        if method == Method::Transform {
            if let Some(t) = self.as_table_transform() {
                return Some(t.transform_table(x).map(Prediction::from_table));
            }
        }
        if !self.supports(method) {
            return None;
        }
        check_table_width(x, self.n_features_in()).map_or_else(
            |e| Some(Err(e)),
            |()| match x.to_dense() {
                Ok(dense) => self.run(method, dense.view()),
                Err(e) => Some(Err(e)),
            },
        )
    }

    /// `transform` on a table, giving a table: as a table where the estimator reads strings,
    /// else through its numeric `transform`. `None` when it does not transform.
    pub(crate) fn transform_any(&self, x: &Table) -> Option<Result<Table>> {
        if let Some(t) = self.as_table_transform() {
            return Some(t.transform_table(x));
        }
        let numeric = self.as_transform()?;
        Some(
            check_table_width(x, self.n_features_in())
                .and_then(|()| x.to_dense())
                .and_then(|dense| numeric.transform(dense.view()))
                .map(|out| Table::from_dense(out.view())),
        )
    }

    /// `transform` on a frame: a router (pipeline, `ColumnTransformer`) routes it; a table
    /// holding strings goes to an estimator that reads tables; numbers go through the
    /// numeric `transform` as a matrix. `None` when the estimator does not transform.
    pub(crate) fn transform_frame(&self, x: Frame) -> Option<Result<Frame>> {
        let table = self.as_table_transform();
        let router = self.as_run_table().is_some();
        let numeric = self.as_transform();
        Some(match (table, numeric, x) {
            (None, None, _) => return None,
            (Some(t), _, x) if router => t.transform_frame(x),
            (Some(t), None, x) => t.transform_frame(x),
            (Some(t), Some(_), Frame::Table(x)) if !x.is_numeric() => {
                t.transform_frame(Frame::Table(x))
            }
            (_, Some(n), Frame::Table(x)) => check_table_width(&x, self.n_features_in())
                .and_then(|()| x.to_dense())
                .and_then(|d| n.transform(d.view()).map(Frame::Dense)),
            (_, Some(n), Frame::Dense(d)) => n.transform(d.view()).map(Frame::Dense),
        })
    }

    /// Runs `method` on a frame (the output of the steps before it).
    pub(crate) fn run_frame(&self, method: Method, x: Frame) -> Option<Result<Prediction>> {
        match x {
            Frame::Dense(d) => self.run(method, d.view()),
            Frame::Table(t) => self.run_table(method, &t),
        }
    }

    /// The kinds of `transform`'s output columns (`None` without `transform`).
    pub(crate) fn output_kinds(&self) -> Option<Vec<ColumnKind>> {
        if let Some(t) = self.as_table_transform() {
            return Some(t.output_kinds());
        }
        let n = self.as_transform()?.n_features_out();
        Some(vec![ColumnKind::Numeric; n])
    }
}

/// `E_INPUT` unless the table has exactly `expected` columns.
pub(crate) fn check_table_width(x: &Table, expected: usize) -> Result<()> {
    if x.n_columns() == expected {
        Ok(())
    } else {
        Err(EstimatorError::Input {
            expected,
            found: x.n_columns(),
        })
    }
}

/// `E_MODEL` at `context` unless columns of kinds `given` can feed a step reading `wanted`:
/// as many, and each given kind accepted (a string column never feeds a numeric one).
pub(crate) fn check_kinds_chain(
    given: &[ColumnKind],
    wanted: &[ColumnKind],
    context: &str,
) -> Result<()> {
    if given.len() != wanted.len() {
        return Err(EstimatorError::model(
            context,
            format!(
                "gives {} columns to a step that reads {}",
                given.len(),
                wanted.len()
            ),
        ));
    }
    for (j, (&g, &w)) in given.iter().zip(wanted).enumerate() {
        // `Any` given is a passed-through input column: the schema makes it what `w` reads.
        let fits = matches!(
            (g, w),
            (ColumnKind::Any, _)
                | (_, ColumnKind::Any | ColumnKind::Unused)
                | (ColumnKind::Numeric, ColumnKind::Numeric)
                | (ColumnKind::String, ColumnKind::String)
        );
        if !fits {
            return Err(EstimatorError::model(
                context,
                format!("column {j} is {g}, and the next step reads {w} values there"),
            ));
        }
    }
    Ok(())
}

/// `E_INPUT` unless `x` has exactly `expected` columns.
pub(crate) fn check_width(x: &ArrayView2<'_, f64>, expected: usize) -> Result<()> {
    if x.ncols() == expected {
        Ok(())
    } else {
        Err(EstimatorError::Input {
            expected,
            found: x.ncols(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    /// Has `transform` only: the identity on two columns.
    #[derive(Debug)]
    struct Identity;

    impl Transform for Identity {
        fn transform(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
            check_width(&x, 2)?;
            Ok(x.to_owned())
        }
        fn n_features_out(&self) -> usize {
            2
        }
    }

    impl Estimator for Identity {
        fn n_features_in(&self) -> usize {
            2
        }
        fn as_transform(&self) -> Option<&dyn Transform> {
            Some(self)
        }
    }

    #[test]
    fn methods_follow_the_implementations() {
        let e: &dyn Estimator = &Identity;
        assert_eq!(e.methods(), vec![Method::Transform]);
        assert!(
            e.run(Method::Predict, Array2::zeros((1, 2)).view())
                .is_none()
        );
        let out = e.run(Method::Transform, Array2::ones((3, 2)).view());
        assert!(matches!(out, Some(Ok(Prediction::Float(a))) if a.shape() == [3, 2]));
    }

    #[test]
    fn wrong_width_is_e_input() {
        let e: &dyn Estimator = &Identity;
        let out = e.run(Method::Transform, Array2::zeros((1, 3)).view());
        assert!(matches!(
            out,
            Some(Err(EstimatorError::Input {
                expected: 2,
                found: 3
            }))
        ));
    }
}
