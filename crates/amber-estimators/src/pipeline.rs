//! `Pipeline`: steps applied in order.
//!
//! Mirrors scikit-learn 1.9.1 `sklearn/pipeline.py`, `Pipeline.predict`, `predict_proba`,
//! `decision_function`, `score_samples` and `transform`: every step but the last transforms `X` in turn, and
//! the method is then called on the last step (for `transform`, the last step transforms
//! too). Passthrough steps (`"passthrough"` or `None`) pass `X` on unchanged; a pipeline whose
//! last step is passthrough has `transform` only. A pipeline has a method when its last step
//! has it (scikit-learn's `available_if(_final_estimator_has(...))`).
//!
//! The registry checked at load that every non-final step transforms and that feature counts
//! chain from step to step, so a pipeline adds no numerics of its own.

use ndarray::{Array1, Array2, ArrayD, ArrayView2, CowArray, Ix2};

use crate::error::{EstimatorError, Result};
use crate::method::{Method, Prediction};
use crate::table::{ColumnKind, Table};
use crate::traits::{
    DecisionFunction, Estimator, Frame, InverseTransform, Predict, PredictProba, RunTable,
    ScoreSamples, TableTransform, Transform, TransformPrediction, check_table_width, check_width,
};

/// A validated pipeline. `None` steps are passthrough.
#[derive(Debug)]
pub(crate) struct Pipeline {
    n_features_in: usize,
    /// Columns of `transform`'s output (the last transforming step's, or the input's).
    n_features_out: usize,
    /// All steps but the last; each is passthrough or transforms.
    head: Vec<(String, Option<Box<dyn Estimator>>)>,
    /// The last step.
    last: Option<Box<dyn Estimator>>,
}

impl Pipeline {
    /// The registry checked that every `head` estimator transforms and feature counts chain.
    pub(crate) fn new(
        n_features_in: usize,
        n_features_out: usize,
        head: Vec<(String, Option<Box<dyn Estimator>>)>,
        last: Option<Box<dyn Estimator>>,
    ) -> Self {
        Self {
            n_features_in,
            n_features_out,
            head,
            last,
        }
    }

    /// `X` through every step but the last.
    fn through_head<'a>(&self, x: ArrayView2<'a, f64>) -> Result<CowArray<'a, f64, Ix2>> {
        check_width(&x, self.n_features_in)?;
        let mut xt = CowArray::from(x);
        for (name, step) in &self.head {
            let Some(step) = step else { continue };
            let transform = step.as_transform().ok_or_else(|| {
                EstimatorError::model(format!("steps/{name}"), "a non-final step must transform")
            })?;
            xt = CowArray::from(transform.transform(xt.view())?);
        }
        Ok(xt)
    }

    fn last(&self) -> Option<&dyn Estimator> {
        self.last.as_deref()
    }

    /// A frame through every step but the last: each step transforms it as a table (steps
    /// that read strings) or as a matrix (once every column holds numbers).
    fn frame_through_head(&self, x: Frame) -> Result<Frame> {
        if x.n_columns() != self.n_features_in {
            return Err(EstimatorError::Input {
                expected: self.n_features_in,
                found: x.n_columns(),
            });
        }
        let mut xt = x;
        for (name, step) in &self.head {
            let Some(step) = step else { continue };
            xt = step.transform_frame(xt).ok_or_else(|| {
                EstimatorError::model(format!("steps/{name}"), "a non-final step must transform")
            })??;
        }
        Ok(xt)
    }

    /// The steps, passthrough ones as `None`, in order.
    fn steps(&self) -> impl DoubleEndedIterator<Item = Option<&dyn Estimator>> {
        self.head
            .iter()
            .map(|(_, e)| e.as_deref())
            .chain(std::iter::once(self.last()))
    }
}

impl RunTable for Pipeline {
    fn run_table(&self, method: Method, x: &Table) -> Option<Result<Prediction>> {
        if !(self as &dyn Estimator).supports(method) {
            return None;
        }
        let xt = match self.frame_through_head(Frame::Table(x.clone())) {
            Ok(xt) => xt,
            Err(e) => return Some(Err(e)),
        };
        match self.last() {
            None => Some(Ok(xt.into_prediction())),
            Some(last) => last.run_frame(method, xt),
        }
    }

    fn proba_multi_table(&self, x: &Table) -> Option<Result<Vec<Array2<f64>>>> {
        let last = self.last()?;
        let proba = last.as_predict_proba()?;
        let xt = match self.frame_through_head(Frame::Table(x.clone())) {
            Ok(xt) => xt,
            Err(e) => return Some(Err(e)),
        };
        match xt {
            Frame::Dense(d) => Some(proba.predict_proba_multi(d.view())),
            Frame::Table(t) => match last.as_run_table() {
                Some(r) => r.proba_multi_table(&t),
                None => Some(
                    check_table_width(&t, last.n_features_in())
                        .and_then(|()| t.to_dense())
                        .and_then(|d| proba.predict_proba_multi(d.view())),
                ),
            },
        }
    }
}

impl TableTransform for Pipeline {
    fn transform_table(&self, x: &Table) -> Result<Table> {
        Ok(self.transform_frame(Frame::Table(x.clone()))?.into_table())
    }

    fn transform_frame(&self, x: Frame) -> Result<Frame> {
        let xt = self.frame_through_head(x)?;
        match self.last() {
            None => Ok(xt),
            Some(last) => last
                .transform_frame(xt)
                .ok_or_else(|| missing("transform"))?,
        }
    }

    fn output_kinds(&self) -> Vec<ColumnKind> {
        // The last transforming step's kinds; the input's when every step is passthrough.
        self.steps()
            .rev()
            .flatten()
            .find_map(|e| e.output_kinds())
            .unwrap_or_else(|| (self as &dyn Estimator).input_kinds())
    }
}

impl Predict for Pipeline {
    fn predict(&self, x: ArrayView2<'_, f64>) -> Result<Prediction> {
        let last = self.last().and_then(|e| e.as_predict());
        let last = last.ok_or_else(|| missing("predict"))?;
        last.predict(self.through_head(x)?.view())
    }
}

impl PredictProba for Pipeline {
    fn predict_proba(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        let last = self.last().and_then(|e| e.as_predict_proba());
        let last = last.ok_or_else(|| missing("predict_proba"))?;
        last.predict_proba(self.through_head(x)?.view())
    }

    fn predict_proba_multi(&self, x: ArrayView2<'_, f64>) -> Result<Vec<Array2<f64>>> {
        let last = self.last().and_then(|e| e.as_predict_proba());
        let last = last.ok_or_else(|| missing("predict_proba"))?;
        last.predict_proba_multi(self.through_head(x)?.view())
    }
}

impl DecisionFunction for Pipeline {
    fn decision_function(&self, x: ArrayView2<'_, f64>) -> Result<ArrayD<f64>> {
        let last = self.last().and_then(|e| e.as_decision_function());
        let last = last.ok_or_else(|| missing("decision_function"))?;
        last.decision_function(self.through_head(x)?.view())
    }
}

impl ScoreSamples for Pipeline {
    fn score_samples(&self, x: ArrayView2<'_, f64>) -> Result<Array1<f64>> {
        let last = self.last().and_then(|e| e.as_score_samples());
        let last = last.ok_or_else(|| missing("score_samples"))?;
        last.score_samples(self.through_head(x)?.view())
    }
}

impl TransformPrediction for Pipeline {
    fn transform_prediction(&self, x: ArrayView2<'_, f64>) -> Result<Prediction> {
        let last = self.last().and_then(|e| e.as_transform_prediction());
        let last = last.ok_or_else(|| missing("transform"))?;
        last.transform_prediction(self.through_head(x)?.view())
    }
}

impl Transform for Pipeline {
    fn transform(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        let xt = self.through_head(x)?;
        match &self.last {
            None => Ok(xt.into_owned()),
            Some(last) => last
                .as_transform()
                .ok_or_else(|| missing("transform"))?
                .transform(xt.view()),
        }
    }

    fn n_features_out(&self) -> usize {
        self.n_features_out
    }
}

/// Only reachable if a method is called that `as_*` did not offer.
fn missing(method: &str) -> EstimatorError {
    EstimatorError::model("pipeline", format!("the last step has no {method}"))
}

impl Estimator for Pipeline {
    fn n_features_in(&self) -> usize {
        self.n_features_in
    }
    fn input_kinds(&self) -> Vec<ColumnKind> {
        self.input_kinds_for(None)
    }
    /// From the last step back: each step's input kinds are the demand on the step before.
    fn input_kinds_for(&self, demand: Option<&[ColumnKind]>) -> Vec<ColumnKind> {
        let mut demand: Option<Vec<ColumnKind>> = demand.map(<[ColumnKind]>::to_vec);
        for step in self.steps().rev().flatten() {
            demand = Some(step.input_kinds_for(demand.as_deref()));
        }
        demand.unwrap_or_else(|| vec![ColumnKind::Any; self.n_features_in])
    }
    fn as_table_transform(&self) -> Option<&dyn TableTransform> {
        self.as_transform().map(|_| self as &dyn TableTransform)
    }
    fn as_run_table(&self) -> Option<&dyn RunTable> {
        Some(self)
    }
    fn numeric_columns(&self, method: Method) -> Option<usize> {
        self.last()?.numeric_columns(method)
    }
    fn predicts_1d(&self) -> bool {
        self.last().is_some_and(|e| e.predicts_1d())
    }
    fn as_transform_prediction(&self) -> Option<&dyn TransformPrediction> {
        self.last()?
            .as_transform_prediction()
            .map(|_| self as &dyn TransformPrediction)
    }
    fn as_predict(&self) -> Option<&dyn Predict> {
        self.last()?.as_predict().map(|_| self as &dyn Predict)
    }
    fn as_predict_proba(&self) -> Option<&dyn PredictProba> {
        self.last()?
            .as_predict_proba()
            .map(|_| self as &dyn PredictProba)
    }
    fn as_decision_function(&self) -> Option<&dyn DecisionFunction> {
        self.last()?
            .as_decision_function()
            .map(|_| self as &dyn DecisionFunction)
    }
    fn as_transform(&self) -> Option<&dyn Transform> {
        match self.last() {
            None => Some(self),
            Some(last) => last.as_transform().map(|_| self as &dyn Transform),
        }
    }
    fn as_score_samples(&self) -> Option<&dyn ScoreSamples> {
        self.last()?
            .as_score_samples()
            .map(|_| self as &dyn ScoreSamples)
    }
    fn as_inverse_transform(&self) -> Option<&dyn InverseTransform> {
        self.steps()
            .flatten()
            .all(|e| e.as_inverse_transform().is_some())
            .then_some(self as &dyn InverseTransform)
    }
}

/// `Pipeline.inverse_transform`: every step's that is not passthrough, last step first.
impl InverseTransform for Pipeline {
    fn inverse_transform(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        let mut z = x.to_owned();
        for step in self.steps().rev().flatten() {
            let inverse = step
                .as_inverse_transform()
                .ok_or_else(|| missing("inverse_transform"))?;
            z = inverse.inverse_transform(z.view())?;
        }
        if z.ncols() != self.n_features_in {
            return Err(EstimatorError::model(
                "pipeline",
                format!(
                    "inverse_transform gave {} columns, not {}",
                    z.ncols(),
                    self.n_features_in
                ),
            ));
        }
        Ok(z)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linear::{Affine, ClassLink, Classes, Classifier};
    use crate::method::Method;
    use crate::preprocessing::StandardScaler;
    use ndarray::array;

    fn scaler() -> Box<dyn Estimator> {
        Box::new(StandardScaler::new(
            2,
            Some(array![1.0, 2.0]),
            Some(array![2.0, 2.0]),
        ))
    }

    fn classifier() -> Box<dyn Estimator> {
        Box::new(Classifier::new(
            Affine::new(array![[1.0, -1.0]], array![0.0]),
            ClassLink::Logistic,
            Classes::Int(vec![0, 1]),
        ))
    }

    #[test]
    fn steps_apply_in_order() {
        let p = Pipeline::new(
            2,
            2,
            vec![("scale".into(), Some(scaler())), ("skip".into(), None)],
            Some(classifier()),
        );
        // scaled: [(5-1)/2, (4-2)/2] = [2, 1]; score 2 - 1 = 1.
        let d = p.decision_function(array![[5.0, 4.0]].view()).unwrap();
        assert_eq!(d, array![1.0].into_dyn());
        assert_eq!(
            (&p as &dyn Estimator).methods(),
            vec![
                Method::Predict,
                Method::PredictProba,
                Method::DecisionFunction
            ]
        );
    }

    #[test]
    fn passthrough_last_step_transforms_only() {
        let p = Pipeline::new(2, 2, vec![("scale".into(), Some(scaler()))], None);
        let e: &dyn Estimator = &p;
        assert_eq!(e.methods(), vec![Method::Transform]);
        assert_eq!(
            p.transform(array![[3.0, 4.0]].view()).unwrap(),
            array![[1.0, 1.0]]
        );
    }

    #[test]
    fn transformer_last_step_transforms() {
        let p = Pipeline::new(2, 2, vec![], Some(scaler()));
        let e: &dyn Estimator = &p;
        assert_eq!(e.methods(), vec![Method::Transform]);
        assert!(e.run(Method::Predict, array![[0.0, 0.0]].view()).is_none());
    }

    #[test]
    fn wrong_width_is_e_input() {
        let p = Pipeline::new(2, 2, vec![], Some(classifier()));
        assert!(matches!(
            p.predict(array![[1.0]].view()),
            Err(EstimatorError::Input {
                expected: 2,
                found: 1
            })
        ));
    }
}
