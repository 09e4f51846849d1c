//! `Stacking`: scikit-learn's `StackingClassifier` and `StackingRegressor`, members over the
//! whole input whose outputs, side by side, are the final estimator's input
//! (`spec/estimators.md` section 21).
//!
//! Mirrors scikit-learn 1.9.1 `sklearn/ensemble/_stacking.py` (1.3.2 computes the same):
//! `_transform` (each member's `stack_method_` on `X`), `_concatenate_predictions` (a 1-D
//! output as one column, the first probability column dropped in a binary classifier,
//! `np.hstack` with `X` after them under `passthrough`), `StackingClassifier.predict`
//! (`_label_encoder.inverse_transform(final_estimator_.predict(...))`), `predict_proba`,
//! `decision_function`, and `StackingRegressor.predict`. The composition does no arithmetic
//! of its own.

use amber_codec::model::{self, StackMethod};
use ndarray::{Array2, ArrayView2, Axis};

use super::members::{
    Input, check_agreement, check_names, check_reads_input, has_index_classes, is_regressor,
    member_output, merged_kinds,
};
use crate::error::{EstimatorError, Result};
use crate::linear::{Classes, take};
use crate::method::{Method, Prediction};
use crate::registry::distinct_classes;
use crate::table::{ColumnKind, Table};
use crate::traits::{
    DecisionFunction, Estimator, Predict, PredictProba, RunTable, TableTransform, Transform,
    TransformPrediction,
};

/// One member that is not dropped, with its stack method and output width `w_m`.
#[derive(Debug)]
struct Member {
    estimator: Box<dyn Estimator>,
    method: Method,
    /// `w_m`: the columns it adds to the final estimator's input.
    width: usize,
}

/// A validated `StackingClassifier` or `StackingRegressor`.
#[derive(Debug)]
pub(crate) struct Stacking {
    n_features_in: usize,
    /// The members that are not dropped, in body order.
    members: Vec<Member>,
    /// `PREDICT_PROBA` outputs lose their first column (a classifier with two classes).
    drop_first: bool,
    passthrough: bool,
    final_estimator: Box<dyn Estimator>,
    /// `classes_` of a classifier (the final estimator predicts their indices).
    classes: Option<Classes>,
    /// Each input column's kind, the members' kinds merged (numeric with `passthrough`);
    /// `None` when every member reads numbers only (not listed: one kind per declared
    /// feature, which no tensor need back).
    kinds: Option<Vec<ColumnKind>>,
}

/// Builds a `Stacking` from its body, checking rules 1-7 of section 21; `build` builds a
/// nested estimator at a path.
pub(crate) fn build(
    s: &model::Stacking,
    n_features_in: usize,
    path: &str,
    mut build: impl FnMut(&model::Estimator, &str) -> Result<Box<dyn Estimator>>,
) -> Result<Box<dyn Estimator>> {
    let field = format!("{path}.stacking");
    check_names(
        s.members.iter().map(|m| m.name.as_str()),
        &format!("{field}.members"),
    )?;
    let classes = classes(s, &field)?;
    let drop_first = classes.as_ref().is_some_and(|c| c.len() == 2);
    let mut members = Vec::with_capacity(s.members.len());
    for (i, m) in s.members.iter().enumerate() {
        let here = format!("{field}.members[{i}]");
        let Some((raw, method)) = stacked(m, &here)? else {
            continue;
        };
        let estimator = build(raw, &format!("{here}.estimator"))?;
        check_reads_input(
            estimator.as_ref(),
            n_features_in,
            &format!("{here}.estimator"),
        )?;
        if classes.is_none() && (method != Method::Predict || !is_regressor(raw)) {
            return Err(EstimatorError::model(
                &here,
                "a StackingRegressor member is a regressor stacked with predict (rule 4)",
            ));
        }
        let width = width(estimator.as_ref(), method, drop_first, &here)?;
        members.push(Member {
            estimator,
            method,
            width,
        });
    }
    // Rule 1: at least one member is not dropped.
    if members.is_empty() {
        return Err(EstimatorError::model(
            format!("{field}.members"),
            "every member is dropped (scikit-learn needs at least one)",
        ));
    }
    // Rule 7: the members agree on each column's kind (only members that read columns by
    // kind can disagree, or read strings that passthrough would refuse).
    let bearing = s
        .members
        .iter()
        .filter_map(|m| m.estimator.as_ref())
        .any(crate::schema::kind_bearing);
    let kinds = if bearing {
        let (mut kinds, conflict) =
            merged_kinds(members.iter().map(|m| m.estimator.as_ref()), n_features_in);
        check_agreement(conflict, &field)?;
        if s.passthrough {
            kinds = passthrough_kinds(kinds, &field)?;
        }
        Some(kinds)
    } else {
        None
    };
    let meta_width = members
        .iter()
        .try_fold(0usize, |acc, m| acc.checked_add(m.width))
        .and_then(|w| w.checked_add(if s.passthrough { n_features_in } else { 0 }))
        .ok_or_else(|| EstimatorError::model(&field, "the final estimator's width overflows"))?;
    let final_estimator = final_estimator(s, meta_width, classes.as_ref(), &field, &mut build)?;
    Ok(Box::new(Stacking {
        n_features_in,
        members,
        drop_first,
        passthrough: s.passthrough,
        final_estimator,
        classes,
        kinds,
    }))
}

/// Rule 4: a classifier's classes are at least one, distinct.
fn classes(s: &model::Stacking, field: &str) -> Result<Option<Classes>> {
    let Some(c) = s.classes.clone() else {
        return Ok(None);
    };
    if c.is_empty() {
        return Err(EstimatorError::model(
            format!("{field}.classes"),
            "a classifier has at least one class",
        ));
    }
    distinct_classes(c, format!("{field}.classes")).map(Some)
}

/// Rule 1 for one member: `None` for a dropped member (whose method is unspecified), else
/// the member and the method it is stacked with.
fn stacked<'a>(
    m: &'a model::StackingMember,
    here: &str,
) -> Result<Option<(&'a model::Estimator, Method)>> {
    let method = m.method.map(|k| match k {
        StackMethod::Predict => Method::Predict,
        StackMethod::PredictProba => Method::PredictProba,
        StackMethod::DecisionFunction => Method::DecisionFunction,
    });
    match (&m.estimator, method) {
        (None, None) => Ok(None),
        (Some(e), Some(method)) => Ok(Some((e, method))),
        (None, Some(_)) => Err(EstimatorError::model(
            format!("{here}.method"),
            "a dropped member has no stack method",
        )),
        (Some(_), None) => Err(EstimatorError::model(
            format!("{here}.method"),
            "is unspecified: a member is stacked with predict, predict_proba or decision_function",
        )),
    }
}

/// Rules 1 and 3: the member has its method, and its output is one array of numbers of a
/// known width; a binary classifier's probabilities lose their first column.
fn width(e: &dyn Estimator, method: Method, drop_first: bool, here: &str) -> Result<usize> {
    if !e.supports(method) {
        return Err(EstimatorError::model(
            format!("{here}.method"),
            format!("the member has no {method}"),
        ));
    }
    let columns = e.numeric_columns(method).ok_or_else(|| {
        EstimatorError::model(
            format!("{here}.method"),
            format!(
                "the member's {method} does not give one array of numbers \
                 (string labels, or one array per output)"
            ),
        )
    })?;
    Ok(match method {
        Method::PredictProba if drop_first => columns.saturating_sub(1),
        _ => columns,
    })
}

/// Rule 6: with `passthrough` every input column is read as numbers.
fn passthrough_kinds(kinds: Vec<ColumnKind>, field: &str) -> Result<Vec<ColumnKind>> {
    kinds
        .into_iter()
        .enumerate()
        .map(|(c, k)| match k {
            ColumnKind::String => Err(EstimatorError::model(
                format!("{field}.passthrough"),
                format!(
                    "input column {c} is read as strings, and passthrough gives every column \
                     to the final estimator as a number"
                ),
            )),
            _ => Ok(ColumnKind::Numeric),
        })
        .collect()
}

/// Rule 5: the final estimator reads the `width` numeric columns of the members' outputs
/// (and the input), has no feature names and has `predict`; a classifier's predicts the class
/// indices, a regressor's is a regressor.
fn final_estimator(
    s: &model::Stacking,
    width: usize,
    classes: Option<&Classes>,
    field: &str,
    build: &mut impl FnMut(&model::Estimator, &str) -> Result<Box<dyn Estimator>>,
) -> Result<Box<dyn Estimator>> {
    let here = format!("{field}.final_estimator");
    let raw = s.final_estimator.as_ref();
    let bad = |why: String| Err(EstimatorError::model(&here, why));
    if !raw.feature_names_in.is_empty() {
        return bad("has feature_names_in, and scikit-learn fits it on a numpy array".into());
    }
    let e = build(raw, &here)?;
    if e.n_features_in() != width {
        return bad(format!(
            "reads {} columns, and the members' outputs{} are {width}",
            e.n_features_in(),
            if s.passthrough { " and the input" } else { "" }
        ));
    }
    if let Some(c) = e
        .input_kinds()
        .iter()
        .position(|&k| k == ColumnKind::String)
    {
        return bad(format!(
            "reads column {c} as strings, and it is given numbers"
        ));
    }
    if e.as_predict().is_none() {
        return bad("must have predict".into());
    }
    match classes {
        Some(c) if !has_index_classes(raw, c.len()) => bad(format!(
            "must be a classifier whose classes are the class indices 0..{} \
             (scikit-learn fits it on _label_encoder.transform(y))",
            c.len()
        )),
        None if !is_regressor(raw) => {
            bad("a StackingRegressor's final estimator is a regressor".into())
        }
        _ => Ok(e),
    }
}

/// One member's output as columns of the final estimator's input.
enum Piece {
    Int(Array2<i64>),
    Float(Array2<f64>),
}

impl Stacking {
    /// Each member's output, `[n, w_m]`: a `[n]` output as one column, a binary
    /// classifier's probabilities without their first column.
    fn pieces(&self, x: Input<'_>) -> Result<Vec<Piece>> {
        x.check_width(self.n_features_in)?;
        let n = x.n_rows();
        let mut out = Vec::with_capacity(self.members.len());
        for (j, m) in self.members.iter().enumerate() {
            let got = x.run(m.estimator.as_ref(), m.method, "stacking")?;
            let drop = usize::from(m.method == Method::PredictProba && self.drop_first);
            let want = m.width + drop;
            let fits = |shape: &[usize]| match shape {
                [rows] => *rows == n && want == 1,
                [rows, cols] => *rows == n && *cols == want,
                _ => false,
            };
            let wanted = || format!("numbers [n, {want}]");
            let piece = match got {
                Prediction::Int(a) if fits(a.shape()) => Piece::Int(as_columns(a, n, drop)?),
                Prediction::Float(a) if fits(a.shape()) => Piece::Float(as_columns(a, n, drop)?),
                other => return Err(member_output("stacking", j, &wanted(), &other)),
            };
            out.push(piece);
        }
        Ok(out)
    }

    /// `_concatenate_predictions` as the f64 matrix the final estimator reads.
    fn meta(&self, x: Input<'_>) -> Result<Array2<f64>> {
        self.meta_of(self.pieces(x)?, x)
    }

    /// The f64 matrix of `pieces` (the members' outputs on `x`), `x` after them with
    /// `passthrough`.
    fn meta_of(&self, pieces: Vec<Piece>, x: Input<'_>) -> Result<Array2<f64>> {
        let mut parts: Vec<Array2<f64>> = pieces
            .into_iter()
            .map(|p| match p {
                // numpy's int64 -> float64 cast: the nearest double, as `as` rounds.
                Piece::Int(a) => a.mapv(|v| v as f64),
                Piece::Float(a) => a,
            })
            .collect();
        if self.passthrough {
            parts.push(match x {
                Input::Dense(x) => x.to_owned(),
                Input::Table(t) => t.to_dense()?,
            });
        }
        concatenate(&parts)
    }

    /// `transform` as scikit-learn returns it: i64 when every piece is (never with
    /// `passthrough`: the input is f64), else f64.
    fn transform_any(&self, x: Input<'_>) -> Result<Prediction> {
        let pieces = self.pieces(x)?;
        let all_int = pieces.iter().all(|p| matches!(p, Piece::Int(_)));
        if all_int && !self.passthrough {
            let ints: Vec<Array2<i64>> = pieces
                .into_iter()
                .filter_map(|p| match p {
                    Piece::Int(a) => Some(a),
                    Piece::Float(_) => None,
                })
                .collect();
            return concatenate(&ints).map(|a| Prediction::Int(a.into_dyn()));
        }
        self.meta_of(pieces, x)
            .map(|m| Prediction::Float(m.into_dyn()))
    }

    /// `method` of the final estimator on the members' outputs.
    fn run_final(&self, method: Method, x: Input<'_>) -> Result<Prediction> {
        let meta = self.meta(x)?;
        self.final_estimator
            .run(method, meta.view())
            .unwrap_or_else(|| {
                Err(EstimatorError::model(
                    "stacking",
                    format!("the final estimator has no {method}"),
                ))
            })
    }

    fn predict_any(&self, x: Input<'_>) -> Result<Prediction> {
        let out = self.run_final(Method::Predict, x)?;
        let Some(classes) = &self.classes else {
            return Ok(out);
        };
        // Rule 5 made the final estimator's classes the indices 0..n_classes.
        let indices = match &out {
            Prediction::Int(p) if p.ndim() == 1 => p
                .iter()
                .map(|&i| usize::try_from(i).ok().filter(|&i| i < classes.len()))
                .collect::<Option<Vec<usize>>>(),
            _ => None,
        };
        match indices {
            Some(indices) => take(classes, &indices),
            None => Err(EstimatorError::model(
                "stacking final estimator",
                format!(
                    "gave {} {:?}, not class indices below {}",
                    out.kind(),
                    out.shape(),
                    classes.len()
                ),
            )),
        }
    }

    fn float_final(&self, method: Method, x: Input<'_>) -> Result<ndarray::ArrayD<f64>> {
        match self.run_final(method, x)? {
            Prediction::Float(p) => Ok(p),
            other => Err(EstimatorError::model(
                "stacking final estimator",
                format!("gave {} {:?} from {method}", other.kind(), other.shape()),
            )),
        }
    }

    fn final_has(&self, method: Method) -> bool {
        self.classes.is_some() && self.final_estimator.supports(method)
    }

    fn n_transform_columns(&self) -> usize {
        let w: usize = self.members.iter().map(|m| m.width).sum();
        w + if self.passthrough {
            self.n_features_in
        } else {
            0
        }
    }
}

/// A member's output as `[n, w]`: a `[n]` output as one column, the first `drop` columns
/// left out.
fn as_columns<T: Clone>(a: ndarray::ArrayD<T>, n: usize, drop: usize) -> Result<Array2<T>> {
    let a = if a.ndim() == 1 {
        a.into_shape_with_order((n, 1))
            .map_err(|e| EstimatorError::model("stacking", e.to_string()))?
    } else {
        a.into_dimensionality()
            .map_err(|e| EstimatorError::model("stacking", e.to_string()))?
    };
    Ok(if drop == 0 {
        a
    } else {
        a.slice_axis(Axis(1), (drop..).into()).to_owned()
    })
}

/// `np.hstack` of `[n, w]` parts.
fn concatenate<T: Clone>(parts: &[Array2<T>]) -> Result<Array2<T>> {
    let views: Vec<ArrayView2<'_, T>> = parts.iter().map(|p| p.view()).collect();
    ndarray::concatenate(Axis(1), &views)
        .map_err(|e| EstimatorError::model("stacking", e.to_string()))
}

impl Predict for Stacking {
    fn predict(&self, x: ArrayView2<'_, f64>) -> Result<Prediction> {
        self.predict_any(Input::Dense(x))
    }
}

impl PredictProba for Stacking {
    fn predict_proba(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        self.float_final(Method::PredictProba, Input::Dense(x))?
            .into_dimensionality()
            .map_err(|e| EstimatorError::model("stacking final estimator", e.to_string()))
    }
}

impl DecisionFunction for Stacking {
    fn decision_function(&self, x: ArrayView2<'_, f64>) -> Result<ndarray::ArrayD<f64>> {
        self.float_final(Method::DecisionFunction, Input::Dense(x))
    }
}

impl TransformPrediction for Stacking {
    fn transform_prediction(&self, x: ArrayView2<'_, f64>) -> Result<Prediction> {
        self.transform_any(Input::Dense(x))
    }
}

impl Transform for Stacking {
    fn transform(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        self.meta(Input::Dense(x))
    }

    fn n_features_out(&self) -> usize {
        self.n_transform_columns()
    }
}

impl TableTransform for Stacking {
    fn transform_table(&self, x: &Table) -> Result<Table> {
        self.meta(Input::Table(x))
            .map(|d| Table::from_dense(d.view()))
    }

    fn output_kinds(&self) -> Vec<ColumnKind> {
        vec![ColumnKind::Numeric; self.n_transform_columns()]
    }
}

impl RunTable for Stacking {
    fn run_table(&self, method: Method, x: &Table) -> Option<Result<Prediction>> {
        let x = Input::Table(x);
        match method {
            Method::Predict => Some(self.predict_any(x)),
            Method::PredictProba | Method::DecisionFunction if self.final_has(method) => {
                Some(self.float_final(method, x).map(Prediction::Float))
            }
            Method::Transform => Some(self.transform_any(x)),
            _ => None,
        }
    }
}

impl Estimator for Stacking {
    fn n_features_in(&self) -> usize {
        self.n_features_in
    }

    fn input_kinds(&self) -> Vec<ColumnKind> {
        self.kinds
            .clone()
            .unwrap_or_else(|| vec![ColumnKind::Numeric; self.n_features_in])
    }

    fn numeric_columns(&self, method: Method) -> Option<usize> {
        match (&self.classes, method) {
            (Some(c), Method::Predict) => c.is_numeric().then_some(1),
            (Some(_), Method::PredictProba | Method::DecisionFunction) => self
                .final_has(method)
                .then(|| self.final_estimator.numeric_columns(method))
                .flatten(),
            (None, Method::Predict) => self.final_estimator.numeric_columns(method),
            _ => None,
        }
    }

    fn predicts_1d(&self) -> bool {
        self.classes.is_some() || self.final_estimator.predicts_1d()
    }

    fn as_predict(&self) -> Option<&dyn Predict> {
        Some(self)
    }

    fn as_predict_proba(&self) -> Option<&dyn PredictProba> {
        self.final_has(Method::PredictProba)
            .then_some(self as &dyn PredictProba)
    }

    fn as_decision_function(&self) -> Option<&dyn DecisionFunction> {
        self.final_has(Method::DecisionFunction)
            .then_some(self as &dyn DecisionFunction)
    }

    fn as_transform(&self) -> Option<&dyn Transform> {
        Some(self)
    }

    fn as_transform_prediction(&self) -> Option<&dyn TransformPrediction> {
        Some(self)
    }

    fn as_table_transform(&self) -> Option<&dyn TableTransform> {
        Some(self)
    }

    fn as_run_table(&self) -> Option<&dyn RunTable> {
        Some(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linear::{Affine, ClassLink, Classifier, Regressor};
    use ndarray::{Array1, array};

    /// A binary logistic classifier on `a.len()` features: score `a . x + b`.
    fn logistic(a: Array1<f64>, b: f64, classes: Classes) -> Box<dyn Estimator> {
        let n = a.len();
        let coef = a.into_shape_with_order((1, n)).unwrap();
        Box::new(Classifier::new(
            Affine::new(coef, array![b]),
            ClassLink::Logistic,
            classes,
        ))
    }

    fn member(estimator: Box<dyn Estimator>, method: Method, width: usize) -> Member {
        Member {
            estimator,
            method,
            width,
        }
    }

    /// Two binary members stacked with `method`, a logistic final estimator on
    /// `final_width` columns.
    fn binary(method: Method, passthrough: bool) -> Stacking {
        let idx = || Classes::Int(vec![0, 1]);
        let width = 1;
        let members = vec![
            member(logistic(array![1.0], 0.0, idx()), method, width),
            member(logistic(array![-2.0], 0.5, idx()), method, width),
        ];
        let final_width = 2 + usize::from(passthrough);
        let weights = Array1::from_iter((0..final_width).map(|i| 1.5 - i as f64));
        Stacking {
            n_features_in: 1,
            members,
            drop_first: true,
            passthrough,
            final_estimator: logistic(weights, -0.25, idx()),
            classes: Some(Classes::Str(vec!["no".into(), "yes".into()])),
            kinds: None,
        }
    }

    fn run(s: &Stacking, method: Method, x: &Array2<f64>) -> Prediction {
        (s as &dyn Estimator)
            .run(method, x.view())
            .unwrap()
            .unwrap()
    }

    #[test]
    fn binary_probabilities_lose_their_first_column_and_feed_the_final_estimator() {
        let s = binary(Method::PredictProba, false);
        let x = array![[-1.0], [0.25], [3.0]];
        // The spec's T: each member's predict_proba without its first column.
        let mut want = Array2::zeros((3, 2));
        for (j, m) in s.members.iter().enumerate() {
            let p = m
                .estimator
                .as_predict_proba()
                .unwrap()
                .predict_proba(x.view())
                .unwrap();
            want.column_mut(j).assign(&p.column(1));
        }
        assert_eq!(
            run(&s, Method::Transform, &x),
            Prediction::Float(want.clone().into_dyn())
        );
        // predict: classes[final.predict(T)]; predict_proba: final.predict_proba(T).
        let fin = s.final_estimator.as_ref();
        let idx = match fin.run(Method::Predict, want.view()).unwrap().unwrap() {
            Prediction::Int(p) => p
                .iter()
                .map(|&i| usize::try_from(i).unwrap())
                .collect::<Vec<_>>(),
            other => panic!("{other:?}"),
        };
        let labels = take(s.classes.as_ref().unwrap(), &idx).unwrap();
        assert_eq!(run(&s, Method::Predict, &x), labels);
        assert_eq!(
            run(&s, Method::PredictProba, &x),
            fin.run(Method::PredictProba, want.view()).unwrap().unwrap()
        );
        assert_eq!(
            run(&s, Method::DecisionFunction, &x),
            fin.run(Method::DecisionFunction, want.view())
                .unwrap()
                .unwrap()
        );
    }

    #[test]
    fn passthrough_appends_the_input_after_the_members() {
        let s = binary(Method::DecisionFunction, true);
        let x = array![[-1.0], [2.0]];
        let Prediction::Float(t) = run(&s, Method::Transform, &x) else {
            panic!("f64 transform");
        };
        let t: Array2<f64> = t.into_dimensionality().unwrap();
        assert_eq!(t.shape(), [2, 3]);
        for (j, m) in s.members.iter().enumerate() {
            let d = m
                .estimator
                .run(Method::DecisionFunction, x.view())
                .unwrap()
                .unwrap();
            let Prediction::Float(d) = d else { panic!() };
            assert_eq!(t.column(j).into_dyn(), d);
        }
        assert_eq!(t.column(2), x.column(0));
        assert_eq!((&s as &dyn Estimator).n_features_in(), 1);
        assert_eq!(s.n_features_out(), 3);
    }

    #[test]
    fn predict_of_integer_labels_transforms_to_i64_and_f64_with_passthrough() {
        let s = binary(Method::Predict, false);
        let x = array![[-1.0], [0.1], [2.0]];
        let got = run(&s, Method::Transform, &x);
        // Member 1: x > 0; member 2: -2x + 0.5 > 0.
        let want = array![[0_i64, 1], [1, 1], [1, 0]];
        assert_eq!(got, Prediction::Int(want.clone().into_dyn()));
        // The final estimator reads the same integers as f64.
        assert_eq!(
            s.meta(Input::Dense(x.view())).unwrap(),
            want.mapv(|v| v as f64)
        );
        let p = binary(Method::Predict, true);
        assert!(matches!(
            run(&p, Method::Transform, &x),
            Prediction::Float(_)
        ));
    }

    #[test]
    fn a_regressor_has_predict_and_transform_only() {
        let r = |a: f64| -> Box<dyn Estimator> {
            Box::new(Regressor::new(Affine::new(array![[a]], array![0.0]), true))
        };
        let s = Stacking {
            n_features_in: 1,
            members: vec![
                member(r(2.0), Method::Predict, 1),
                member(r(-1.0), Method::Predict, 1),
            ],
            drop_first: false,
            passthrough: false,
            final_estimator: Box::new(Regressor::new(
                Affine::new(array![[0.5, 0.25]], array![1.0]),
                true,
            )),
            classes: None,
            kinds: None,
        };
        let e: &dyn Estimator = &s;
        assert_eq!(e.methods(), vec![Method::Predict, Method::Transform]);
        let x = array![[1.0], [4.0]];
        // T = [2x, -x]; predict = 0.5 * 2x + 0.25 * -x + 1.
        let want = x.column(0).mapv(|v| 0.5 * (2.0 * v) + 0.25 * (-v) + 1.0);
        assert_eq!(
            run(&s, Method::Predict, &x),
            Prediction::Float(want.into_dyn())
        );
        assert!(matches!(
            e.run(Method::Predict, array![[1.0, 2.0]].view()),
            Some(Err(EstimatorError::Input {
                expected: 1,
                found: 2
            }))
        ));
    }
}
