//! `Bagging`: scikit-learn's `BaggingClassifier` and `BaggingRegressor`, members on
//! samples of the rows and of the features whose outputs are averaged
//! (`spec/estimators.md` section 28).
//!
//! Mirrors scikit-learn 1.9.1 `sklearn/ensemble/_bagging.py` (1.3.2 computes the same):
//! `_parallel_predict_proba` (each member's probabilities added into its classes' columns,
//! or a vote for its label when it has no `predict_proba`), `_parallel_decision_function`,
//! `_parallel_predict_regression`, the reductions `sum(all_...) / n_estimators`, and
//! `BaggingClassifier.predict` (`classes_` at the argmax of `predict_proba`). Every member
//! reads `X[:, estimators_features_[i]]`. The sums run member after member from `0.0`, which
//! is scikit-learn's order with `n_jobs` 1 or `None` (one job).

use amber_codec::model::{self, Labels};
use ndarray::{Array2, ArrayD, ArrayView2, Axis};

use super::members::{self, is_regressor, member_classes};
use crate::error::{EstimatorError, Result};
use crate::linear::{Classes, argmax, take};
use crate::method::{Method, Prediction};
use crate::registry::distinct_classes;
use crate::traits::{DecisionFunction, Estimator, Predict, PredictProba, check_width};

/// One validated member.
#[derive(Debug)]
struct Member {
    estimator: Box<dyn Estimator>,
    features: Vec<usize>,
    /// A classifier member's classes: indices into the composition's classes.
    classes: Vec<usize>,
    has_proba: bool,
}

/// A validated `BaggingClassifier` or `BaggingRegressor`.
#[derive(Debug)]
pub(crate) struct Bagging {
    n_features_in: usize,
    members: Vec<Member>,
    /// `None` for a regressor.
    classes: Option<Classes>,
    has_decision: bool,
}

/// Builds a `Bagging` from its body, checking rules 1-4 of section 28; `build` builds a
/// member's estimator at a path.
pub(crate) fn build(
    body: &model::Bagging,
    n_features_in: usize,
    path: &str,
    mut build: impl FnMut(&model::Estimator, &str) -> Result<Box<dyn Estimator>>,
) -> Result<Box<dyn Estimator>> {
    let field = format!("{path}.bagging");
    // Rule 1.
    if body.members.is_empty() {
        return Err(EstimatorError::model(
            format!("{field}.members"),
            "there is at least one member",
        ));
    }
    let classes = match &body.classes {
        None => None,
        Some(c) if c.is_empty() => {
            return Err(EstimatorError::model(
                format!("{field}.classes"),
                "a classifier has at least one class",
            ));
        }
        Some(c) => Some(distinct_classes(c.clone(), format!("{field}.classes"))?),
    };
    let k = classes.as_ref().map_or(0, Classes::len);
    let mut members = Vec::with_capacity(body.members.len());
    for (i, m) in body.members.iter().enumerate() {
        let here = format!("{field}.members[{i}]");
        members.push(member(m, k, n_features_in, &here, &mut build)?);
    }
    // decision_function: every member has one of one shape ([n] for two classes).
    let width = if k == 2 { 1 } else { k };
    let has_decision = k > 0
        && members.iter().all(|m| {
            m.estimator.as_decision_function().is_some()
                && m.classes.len() == k
                && m.estimator.numeric_columns(Method::DecisionFunction) == Some(width)
        });
    Ok(Box::new(Bagging {
        n_features_in,
        members,
        classes,
        has_decision,
    }))
}

/// Rules 2-4 for one member of a composition with `k` classes (0: a regressor).
fn member(
    m: &model::BaggingMember,
    k: usize,
    n_features_in: usize,
    here: &str,
    build: &mut impl FnMut(&model::Estimator, &str) -> Result<Box<dyn Estimator>>,
) -> Result<Member> {
    // Rule 2.
    let mut features = Vec::with_capacity(m.features.len());
    for &f in &m.features {
        match usize::try_from(f) {
            Ok(f) if f < n_features_in => features.push(f),
            _ => {
                return Err(EstimatorError::model(
                    format!("{here}.features"),
                    format!("feature {f} is not below n_features_in {n_features_in}"),
                ));
            }
        }
    }
    let at = format!("{here}.estimator");
    let estimator = build(&m.estimator, &at)?;
    members::check_reads_input(estimator.as_ref(), features.len(), &at)?;
    // scikit-learn gives the members an array of the input's values. An estimator that is
    // not kind-bearing reads numbers by construction: its kinds (one per declared feature,
    // which no tensor need back) are not listed.
    if !m.estimator.feature_names_in.is_empty()
        || (crate::schema::kind_bearing(&m.estimator)
            && estimator
                .input_kinds()
                .contains(&crate::table::ColumnKind::String))
    {
        return Err(EstimatorError::model(
            &at,
            "a member reads numbers without feature names (it is fitted on an array)",
        ));
    }
    let bad = |why: String| Err(EstimatorError::model(&at, why));
    // Rule 3: a regressor's members.
    if k == 0 {
        let one = estimator.numeric_columns(Method::Predict) == Some(1) && estimator.predicts_1d();
        if !is_regressor(&m.estimator) || !one {
            return bad("a BaggingRegressor member is a regressor whose predict is [n]".into());
        }
        return Ok(Member {
            estimator,
            features,
            classes: Vec::new(),
            has_proba: false,
        });
    }
    // Rule 4: a classifier's members were fitted on class indices.
    let classes = match member_classes(&m.estimator) {
        Some(Labels::Int(v)) => v
            .iter()
            .map(|&c| usize::try_from(c).ok().filter(|&c| c < k))
            .collect::<Option<Vec<usize>>>()
            .filter(|v| v.windows(2).all(|w| w.first() < w.get(1))),
        _ => None,
    };
    let Some(classes) = classes else {
        return bad(format!(
            "a member's classes are increasing class indices below {k} (scikit-learn fits \
             the members on np.unique(y, return_inverse=True)'s indices)"
        ));
    };
    let has_proba = estimator.as_predict_proba().is_some();
    if has_proba && estimator.numeric_columns(Method::PredictProba) != Some(classes.len()) {
        return bad("a member's predict_proba has one column per class it has".into());
    }
    if !has_proba && (estimator.as_predict().is_none() || !estimator.predicts_1d()) {
        return bad("a member without predict_proba votes with its predict [n]".into());
    }
    Ok(Member {
        estimator,
        features,
        classes,
        has_proba,
    })
}

impl Bagging {
    /// Member `j`'s input: `X[:, features]`.
    fn columns(x: ArrayView2<'_, f64>, m: &Member) -> Array2<f64> {
        x.select(Axis(1), &m.features)
    }

    /// A member refusing a value names the bagging input's column, not its subset's.
    fn run(m: &Member, method: Method, x: ArrayView2<'_, f64>) -> Result<Prediction> {
        m.estimator
            .run(method, Self::columns(x, m).view())
            .unwrap_or_else(|| {
                Err(EstimatorError::model(
                    "bagging",
                    format!("a member has no {method}"),
                ))
            })
            .map_err(|e| e.member_columns(&m.features))
    }

    /// `predict_proba`: the members' probabilities (or votes) summed into `[n, K]`, divided
    /// by the member count.
    fn proba(&self, x: ArrayView2<'_, f64>, k: usize) -> Result<Array2<f64>> {
        check_width(&x, self.n_features_in)?;
        let n = x.nrows();
        let mut sum = Array2::<f64>::zeros((n, k));
        for (j, m) in self.members.iter().enumerate() {
            if m.has_proba {
                let p = match Self::run(m, Method::PredictProba, x)? {
                    Prediction::Float(p) if p.shape() == [n, m.classes.len()] => p,
                    other => return Err(output(j, "probabilities", &other)),
                };
                for (col, &c) in p.axis_iter(Axis(1)).zip(&m.classes) {
                    sum.column_mut(c).zip_mut_with(&col, |s, &v| *s += v);
                }
            } else {
                let labels = match Self::run(m, Method::Predict, x)? {
                    Prediction::Int(p) if p.shape() == [n] => p,
                    other => return Err(output(j, "class indices [n]", &other)),
                };
                for (mut row, &c) in sum.rows_mut().into_iter().zip(&labels) {
                    let slot = usize::try_from(c).ok().and_then(|c| row.get_mut(c));
                    let Some(slot) = slot else {
                        return Err(EstimatorError::model(
                            format!("bagging member {j}"),
                            format!("predicted class index {c}, not below {k}"),
                        ));
                    };
                    *slot += 1.0;
                }
            }
        }
        let m = self.members.len() as f64;
        sum.mapv_inplace(|v| (0.0 + v) / m);
        Ok(sum)
    }

    /// `sum(member outputs) / n_estimators` for `decision_function` and a regressor's
    /// `predict`: `0.0` plus each member's output, member after member.
    fn mean(&self, x: ArrayView2<'_, f64>, method: Method) -> Result<ArrayD<f64>> {
        check_width(&x, self.n_features_in)?;
        let mut sum: Option<ArrayD<f64>> = None;
        for (j, m) in self.members.iter().enumerate() {
            let out = match Self::run(m, method, x)? {
                Prediction::Float(p) => p,
                other => return Err(output(j, "numbers", &other)),
            };
            match &mut sum {
                None => sum = Some(out.mapv(|v| 0.0 + v)),
                Some(s) if s.shape() == out.shape() => *s += &out,
                Some(_) => {
                    return Err(output(
                        j,
                        "the first member's shape",
                        &Prediction::Float(out),
                    ));
                }
            }
        }
        let m = self.members.len() as f64;
        let sum = sum.ok_or_else(|| EstimatorError::model("bagging", "no members"))?;
        Ok(sum.mapv(|v| v / m))
    }
}

fn output(j: usize, want: &str, got: &Prediction) -> EstimatorError {
    members::member_output("bagging", j, want, got)
}

impl Predict for Bagging {
    fn predict(&self, x: ArrayView2<'_, f64>) -> Result<Prediction> {
        match &self.classes {
            None => self.mean(x, Method::Predict).map(Prediction::Float),
            Some(classes) => {
                let p = self.proba(x, classes.len())?;
                let winners: Vec<usize> = p
                    .rows()
                    .into_iter()
                    .map(|r| argmax(r).unwrap_or(0))
                    .collect();
                take(classes, &winners)
            }
        }
    }
}

impl PredictProba for Bagging {
    fn predict_proba(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        let k = self.classes.as_ref().map_or(0, Classes::len);
        self.proba(x, k)
    }
}

impl DecisionFunction for Bagging {
    fn decision_function(&self, x: ArrayView2<'_, f64>) -> Result<ArrayD<f64>> {
        self.mean(x, Method::DecisionFunction)
    }
}

impl Estimator for Bagging {
    fn n_features_in(&self) -> usize {
        self.n_features_in
    }

    fn numeric_columns(&self, method: Method) -> Option<usize> {
        let k = self.classes.as_ref().map(Classes::len);
        match (method, &self.classes) {
            (Method::Predict, None) => Some(1),
            (Method::Predict, Some(c)) => c.is_numeric().then_some(1),
            (Method::PredictProba, Some(_)) => k,
            (Method::DecisionFunction, Some(_)) if self.has_decision => {
                k.map(|k| if k == 2 { 1 } else { k })
            }
            _ => None,
        }
    }

    fn predicts_1d(&self) -> bool {
        true
    }

    fn as_predict(&self) -> Option<&dyn Predict> {
        Some(self)
    }

    fn as_predict_proba(&self) -> Option<&dyn PredictProba> {
        self.classes.as_ref().map(|_| self as &dyn PredictProba)
    }

    fn as_decision_function(&self) -> Option<&dyn DecisionFunction> {
        self.has_decision.then_some(self as &dyn DecisionFunction)
    }
}
