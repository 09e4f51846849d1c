//! `Multiclass`: scikit-learn's `OneVsRestClassifier`, `OneVsOneClassifier` and
//! `OutputCodeClassifier`, binary members whose scores are combined (`spec/estimators.md`
//! section 23).
//!
//! Mirrors scikit-learn 1.9.1 `sklearn/multiclass.py`: `_predict_binary` (a member's score),
//! `OneVsRestClassifier.predict` (its running `np.maximum` and `maxima == pred` winner, over
//! the members in reverse order since 1.8 and in order before: the body's `ties`),
//! `predict_proba` (positive-class probabilities, normalised by their row sum unless
//! multilabel), `decision_function`, `OneVsOneClassifier.decision_function` with
//! `sklearn/utils/multiclass.py` `_ovr_decision_function` (votes plus
//! `s / (3 * (|s| + 1))`), and `OutputCodeClassifier.predict` (the nearest code word).

use amber_codec::model::{self, BinaryScore, Labels, MulticlassStrategy, MulticlassTies};
use ndarray::{Array1, Array2, ArrayD, ArrayView2, Ix2};

use super::members::{
    self, Input, check_members_agree, check_reads_input, is_regressor, merged_kinds, score_column,
};
use crate::error::{EstimatorError, Result};
use crate::linear::{Classes, argmax, take};
use crate::method::{Method, Prediction};
use crate::numerics::{f_order_row_sum, np_maximum};
use crate::registry::{Source, distinct_classes, f64_tensor};
use crate::table::{ColumnKind, Table};
use crate::traits::{DecisionFunction, Estimator, Predict, PredictProba, RunTable};
use amber_codec::Container;

/// One entry of `estimators_`, validated.
#[derive(Debug)]
enum Member {
    /// A fitted binary estimator and the score read from it.
    Fitted {
        estimator: Box<dyn Estimator>,
        score: BinaryScore,
    },
    /// A `_ConstantPredictor`: this label and score on every row.
    Constant(i64),
}

/// How the scores are combined.
#[derive(Debug)]
enum Strategy {
    OneVsRest {
        multilabel: bool,
        ties: MulticlassTies,
    },
    OneVsOne,
    /// `code_book_`, `[n_classes, members]`.
    OutputCode(Array2<f64>),
}

/// A validated `OneVsRestClassifier`, `OneVsOneClassifier` or `OutputCodeClassifier`.
#[derive(Debug)]
pub(crate) struct Multiclass {
    n_features_in: usize,
    strategy: Strategy,
    classes: Classes,
    members: Vec<Member>,
    threshold: f64,
    /// Every member has `predict_proba` (one-vs-rest only).
    has_proba: bool,
    /// Every member has `decision_function` (one-vs-rest only; one-vs-one always has it).
    has_decision: bool,
}

/// Builds a `Multiclass` from its body, checking rules 1-6 of section 23; `build` builds a
/// member's estimator at a path.
pub(crate) fn build<B: Source>(
    c: &Container<B>,
    body: &model::Multiclass,
    n_features_in: usize,
    path: &str,
    mut build: impl FnMut(&model::Estimator, &str) -> Result<Box<dyn Estimator>>,
) -> Result<Box<dyn Estimator>> {
    let field = format!("{path}.multiclass");
    let classes = classes(body, &field)?;
    let strategy = strategy(c, body, classes.len(), &field)?;
    let want = member_count(&strategy, classes.len(), body.members.len());
    if body.members.len() != want {
        return Err(EstimatorError::model(
            format!("{field}.members"),
            format!(
                "has {} members, and this strategy over {} classes has {want}",
                body.members.len(),
                classes.len()
            ),
        ));
    }
    // Rule 4.
    if !body.threshold.is_finite() {
        return Err(EstimatorError::model(
            format!("{field}.threshold"),
            format!("must be finite, is {}", body.threshold),
        ));
    }
    let output_code = matches!(strategy, Strategy::OutputCode(_));
    let mut members = Vec::with_capacity(body.members.len());
    for (i, m) in body.members.iter().enumerate() {
        let here = format!("{field}.members[{i}]");
        members.push(member(m, output_code, n_features_in, &here, &mut build)?);
    }
    let all = |f: fn(&dyn Estimator) -> bool| {
        members.iter().all(|m| match m {
            Member::Fitted { estimator, .. } => f(estimator.as_ref()),
            Member::Constant(_) => true,
        })
    };
    let one_vs_rest = matches!(strategy, Strategy::OneVsRest { .. });
    let has_proba = one_vs_rest
        && all(|e| {
            e.as_predict_proba().is_some() && e.numeric_columns(Method::PredictProba) == Some(2)
        });
    let has_decision = matches!(strategy, Strategy::OneVsOne)
        || (one_vs_rest
            && all(|e| {
                e.as_decision_function().is_some()
                    && e.numeric_columns(Method::DecisionFunction) == Some(1)
            }));
    let built = Multiclass {
        n_features_in,
        strategy,
        classes,
        members,
        threshold: body.threshold,
        has_proba,
        has_decision,
    };
    // Rule 6.
    let raw = body
        .members
        .iter()
        .filter_map(model::MulticlassMember::estimator);
    check_members_agree(raw, || built.merged_kinds(), &field)?;
    Ok(Box::new(built))
}

/// Rule 1: at least two distinct classes; a multilabel model's are the label indices.
fn classes(body: &model::Multiclass, field: &str) -> Result<Classes> {
    let here = format!("{field}.classes");
    if body.classes.len() < 2 {
        return Err(EstimatorError::model(
            here,
            "a multiclass model has at least two classes",
        ));
    }
    if body.multilabel {
        let indices = matches!(&body.classes, Labels::Int(v)
            if v.iter().zip(0i64..).all(|(&c, i)| c == i));
        if !indices {
            return Err(EstimatorError::model(
                here,
                "a multilabel model's classes are the label indices 0..n_labels",
            ));
        }
    }
    distinct_classes(body.classes.clone(), here)
}

/// Rules 2 and 5: the strategy's own fields (multilabel and ties for one-vs-rest only, a
/// finite `[n_classes, members]` code book for output codes only).
fn strategy<B: Source>(
    c: &Container<B>,
    body: &model::Multiclass,
    n_classes: usize,
    field: &str,
) -> Result<Strategy> {
    let bad = |f: &str, why: &str| Err(EstimatorError::model(format!("{field}.{f}"), why));
    if body.strategy != MulticlassStrategy::OneVsRest {
        if body.multilabel {
            return bad("multilabel", "only a one-vs-rest model is multilabel");
        }
        if body.ties.is_some() {
            return bad("ties", "only a one-vs-rest model has a tie rule");
        }
    }
    if body.strategy != MulticlassStrategy::OutputCode && body.code_book.is_some() {
        return bad("code_book", "only an output-code model has a code book");
    }
    Ok(match body.strategy {
        MulticlassStrategy::OneVsRest => Strategy::OneVsRest {
            multilabel: body.multilabel,
            ties: match body.ties {
                Some(t) => t,
                None => return bad("ties", "a one-vs-rest model has a tie rule"),
            },
        },
        MulticlassStrategy::OneVsOne => Strategy::OneVsOne,
        MulticlassStrategy::OutputCode => {
            let Some(name) = &body.code_book else {
                return bad("code_book", "an output-code model has a code book");
            };
            let here = format!("{field}.code_book");
            let book = f64_tensor(c, name, &here)?;
            let shape = book.shape().to_vec();
            let ok =
                matches!(shape.as_slice(), [k, m] if *k == n_classes && *m == body.members.len());
            if !ok || body.members.is_empty() {
                return Err(EstimatorError::model(
                    here,
                    format!(
                        "tensor {name:?} has shape {shape:?}, expected [{n_classes}, {}] with at least one column",
                        body.members.len()
                    ),
                ));
            }
            if let Some(v) = book.iter().find(|v| !v.is_finite()) {
                return Err(EstimatorError::model(
                    here,
                    format!("holds {v}; every entry must be finite"),
                ));
            }
            let book = book
                .into_dimensionality::<Ix2>()
                .map_err(|e| EstimatorError::model(&here, e.to_string()))?;
            Strategy::OutputCode(book)
        }
    })
}

/// Rule 2: how many members the strategy has over `n_classes` classes (`found` for an output
/// code, whose count is its code book's width, checked with it).
fn member_count(strategy: &Strategy, n_classes: usize, found: usize) -> usize {
    match strategy {
        Strategy::OneVsRest {
            multilabel: false, ..
        } if n_classes == 2 => 1,
        Strategy::OneVsRest { .. } => n_classes,
        Strategy::OneVsOne => n_classes * (n_classes - 1) / 2,
        Strategy::OutputCode(_) => found,
    }
}

/// Rule 3 for one member.
fn member(
    m: &model::MulticlassMember,
    output_code: bool,
    n_features_in: usize,
    here: &str,
    build: &mut impl FnMut(&model::Estimator, &str) -> Result<Box<dyn Estimator>>,
) -> Result<Member> {
    let (raw, score) = match m {
        model::MulticlassMember::Constant(c) => {
            let ok = if output_code {
                (-1..=1).contains(c)
            } else {
                (0..=1).contains(c)
            };
            if !ok {
                return Err(EstimatorError::model(
                    format!("{here}.constant"),
                    format!("is {c}, not a label this strategy fits its members on"),
                ));
            }
            return Ok(Member::Constant(*c));
        }
        model::MulticlassMember::Fitted { estimator, score } => (estimator, *score),
    };
    let at = format!("{here}.estimator");
    let e = build(raw, &at)?;
    check_reads_input(e.as_ref(), n_features_in, &at)?;
    let bad = |why: &str| Err(EstimatorError::model(&at, why.to_owned()));
    let binary = members::member_classes(raw).is_some_and(|c| c.len() == 2);
    let zero_one = members::has_index_classes(raw, 2);
    match score {
        BinaryScore::Predict => {
            if !is_regressor(raw)
                || !e.predicts_1d()
                || e.numeric_columns(Method::Predict) != Some(1)
            {
                return bad("a PREDICT member is a regressor whose predict is [n]");
            }
        }
        BinaryScore::DecisionFunction | BinaryScore::Proba => {
            if !(zero_one || (output_code && binary)) {
                return bad(if output_code {
                    "a classifier member has two classes"
                } else {
                    "a classifier member's classes are 0 and 1 (scikit-learn fits it on a 0/1 column)"
                });
            }
            let (method, width, name) = match score {
                BinaryScore::DecisionFunction => {
                    (Method::DecisionFunction, 1, "decision_function [n]")
                }
                _ => (Method::PredictProba, 2, "predict_proba [n, 2]"),
            };
            if !e.supports(method) || e.numeric_columns(method) != Some(width) {
                return bad(&format!("the member's score needs its {name}"));
            }
            if e.numeric_columns(Method::Predict) != Some(1) {
                return bad("a classifier member predicts numeric labels [n]");
            }
        }
    }
    Ok(Member::Fitted {
        estimator: e,
        score,
    })
}

impl Multiclass {
    fn merged_kinds(&self) -> (Vec<ColumnKind>, Option<usize>) {
        let fitted = self.members.iter().filter_map(|m| match m {
            Member::Fitted { estimator, .. } => Some(estimator.as_ref()),
            Member::Constant(_) => None,
        });
        merged_kinds(fitted, self.n_features_in)
    }

    fn multilabel(&self) -> bool {
        matches!(
            self.strategy,
            Strategy::OneVsRest {
                multilabel: true,
                ..
            }
        )
    }

    /// `_predict_binary`: member `j`'s score on every row.
    fn score(&self, j: usize, m: &Member, x: Input<'_>) -> Result<Array1<f64>> {
        match m {
            Member::Constant(c) => Ok(Array1::from_elem(x.n_rows(), *c as f64)),
            Member::Fitted { estimator, score } => {
                let e = estimator.as_ref();
                match score {
                    BinaryScore::DecisionFunction => {
                        score_column(e, Method::DecisionFunction, None, x, ("multiclass", j))
                    }
                    BinaryScore::Proba => {
                        score_column(e, Method::PredictProba, Some(1), x, ("multiclass", j))
                    }
                    BinaryScore::Predict => {
                        score_column(e, Method::Predict, None, x, ("multiclass", j))
                    }
                }
            }
        }
    }

    /// Member `j`'s `method` as one column (`predict_proba[:, 1]`, `decision_function`,
    /// `predict`); a constant member's is its constant.
    fn output(&self, j: usize, m: &Member, method: Method, x: Input<'_>) -> Result<Array1<f64>> {
        match m {
            Member::Constant(c) => Ok(Array1::from_elem(x.n_rows(), *c as f64)),
            Member::Fitted { estimator, .. } => {
                let col = (method == Method::PredictProba).then_some(1);
                score_column(estimator.as_ref(), method, col, x, ("multiclass", j))
            }
        }
    }

    /// `[n, M]`: `f` of every member, side by side.
    fn stack(
        &self,
        x: Input<'_>,
        mut f: impl FnMut(usize, &Member) -> Result<Array1<f64>>,
    ) -> Result<Array2<f64>> {
        let mut out = Array2::zeros((x.n_rows(), self.members.len()));
        for (j, m) in self.members.iter().enumerate() {
            out.column_mut(j).assign(&f(j, m)?);
        }
        Ok(out)
    }

    fn predict_any(&self, x: Input<'_>) -> Result<Prediction> {
        x.check_width(self.n_features_in)?;
        match &self.strategy {
            Strategy::OneVsRest { multilabel, ties } => {
                let scores = self.stack(x, |j, m| self.score(j, m, x))?;
                if *multilabel {
                    let t = self.threshold;
                    return Ok(Prediction::Int(
                        scores.mapv(|s| i64::from(s > t)).into_dyn(),
                    ));
                }
                if self.members.len() == 1 {
                    return self.thresholded(scores.column(0).iter().copied());
                }
                let winners = one_vs_rest_winners(&scores, *ties);
                take(&self.classes, &winners)
            }
            Strategy::OneVsOne => {
                let y = self.one_vs_one(x)?;
                if self.classes.len() == 2 {
                    return self.thresholded(y.column(1).iter().copied());
                }
                let winners: Vec<usize> = y
                    .rows()
                    .into_iter()
                    .map(|r| argmax(r).unwrap_or(0))
                    .collect();
                take(&self.classes, &winners)
            }
            Strategy::OutputCode(book) => {
                let y = self.stack(x, |j, m| self.score(j, m, x))?;
                take(&self.classes, &nearest_code(&y, book))
            }
        }
    }

    /// `classes[score > threshold]` per row, two classes.
    fn thresholded(&self, scores: impl Iterator<Item = f64>) -> Result<Prediction> {
        let picks: Vec<usize> = scores.map(|s| usize::from(s > self.threshold)).collect();
        take(&self.classes, &picks)
    }

    /// `_ovr_decision_function(predictions, confidences, n_classes)`: `[n, K]`.
    fn one_vs_one(&self, x: Input<'_>) -> Result<Array2<f64>> {
        let k = self.classes.len();
        let n = x.n_rows();
        let mut votes = Array2::<f64>::zeros((n, k));
        let mut sums = Array2::<f64>::zeros((n, k));
        let mut members = self.members.iter().enumerate();
        for i in 0..k {
            for j in i + 1..k {
                let Some((idx, m)) = members.next() else {
                    return Err(EstimatorError::model("multiclass", "too few members"));
                };
                let labels = self.output(idx, m, Method::Predict, x)?;
                let conf = self.score(idx, m, x)?;
                let rows = votes.rows_mut().into_iter().zip(sums.rows_mut());
                for ((mut v, mut s), (&p, &c)) in rows.zip(labels.iter().zip(&conf)) {
                    if let Some(si) = s.get_mut(i) {
                        *si -= c;
                    }
                    if let Some(sj) = s.get_mut(j) {
                        *sj += c;
                    }
                    let voted = if p == 0.0 {
                        v.get_mut(i)
                    } else if p == 1.0 {
                        v.get_mut(j)
                    } else {
                        None
                    };
                    if let Some(count) = voted {
                        *count += 1.0;
                    }
                }
            }
        }
        votes.zip_mut_with(&sums, |v, &s| *v += s / (3.0 * (s.abs() + 1.0)));
        Ok(votes)
    }

    fn proba_any(&self, x: Input<'_>) -> Result<Array2<f64>> {
        x.check_width(self.n_features_in)?;
        let mut y = self.stack(x, |j, m| self.output(j, m, Method::PredictProba, x))?;
        if self.members.len() == 1 {
            let p = y.column(0).to_owned();
            let mut two = Array2::zeros((x.n_rows(), 2));
            two.column_mut(0).assign(&p.mapv(|v| 1.0 - v));
            two.column_mut(1).assign(&p);
            y = two;
        }
        if !self.multilabel() {
            let n = y.nrows();
            for mut row in y.rows_mut() {
                // np.sum over axis 1 of the members' stacked (F-ordered) columns.
                let sum = f_order_row_sum(&row.to_vec(), n);
                if sum != 0.0 {
                    row.mapv_inplace(|v| v / sum);
                }
            }
        }
        Ok(y)
    }

    fn decision_any(&self, x: Input<'_>) -> Result<ArrayD<f64>> {
        x.check_width(self.n_features_in)?;
        match &self.strategy {
            Strategy::OneVsOne => {
                let y = self.one_vs_one(x)?;
                Ok(if self.classes.len() == 2 {
                    y.column(1).to_owned().into_dyn()
                } else {
                    y.into_dyn()
                })
            }
            _ => {
                let y = self.stack(x, |j, m| self.output(j, m, Method::DecisionFunction, x))?;
                Ok(if self.members.len() == 1 {
                    y.column(0).to_owned().into_dyn()
                } else {
                    y.into_dyn()
                })
            }
        }
    }
}

/// One-vs-rest `predict`'s winner per row, exactly as scikit-learn runs it: `maxima` starts
/// at -inf; for each member in turn (in reverse order for `FIRST`, in order for `LAST`),
/// `maxima = np.maximum(maxima, score)` (NaN if either is) and the member wins the row where
/// `maxima == score`.
fn one_vs_rest_winners(scores: &Array2<f64>, ties: MulticlassTies) -> Vec<usize> {
    let m = scores.ncols();
    let order: Vec<usize> = match ties {
        MulticlassTies::First => (0..m).rev().collect(),
        MulticlassTies::Last => (0..m).collect(),
    };
    scores
        .rows()
        .into_iter()
        .map(|row| {
            let mut maxima = f64::NEG_INFINITY;
            let mut winner = 0;
            for &j in &order {
                let Some(&s) = row.get(j) else { continue };
                maxima = np_maximum(maxima, s);
                if maxima == s {
                    winner = j;
                }
            }
            winner
        })
        .collect()
}

/// `pairwise_distances_argmin(Y, code_book_)`: per row, the first code word at the least
/// squared distance `sum_j (y_j - c_j)^2`, summed over `j` in order.
fn nearest_code(y: &Array2<f64>, book: &Array2<f64>) -> Vec<usize> {
    y.rows()
        .into_iter()
        .map(|row| {
            let mut best = 0;
            let mut least = f64::INFINITY;
            for (k, code) in book.rows().into_iter().enumerate() {
                let d = row
                    .iter()
                    .zip(code)
                    .fold(0.0, |s, (&a, &b)| s + (a - b) * (a - b));
                if d < least {
                    best = k;
                    least = d;
                }
            }
            best
        })
        .collect()
}

impl Predict for Multiclass {
    fn predict(&self, x: ArrayView2<'_, f64>) -> Result<Prediction> {
        self.predict_any(Input::Dense(x))
    }
}

impl PredictProba for Multiclass {
    fn predict_proba(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        self.proba_any(Input::Dense(x))
    }
}

impl DecisionFunction for Multiclass {
    fn decision_function(&self, x: ArrayView2<'_, f64>) -> Result<ArrayD<f64>> {
        self.decision_any(Input::Dense(x))
    }
}

impl RunTable for Multiclass {
    fn run_table(&self, method: Method, x: &Table) -> Option<Result<Prediction>> {
        let x = Input::Table(x);
        match method {
            Method::Predict => Some(self.predict_any(x)),
            Method::PredictProba if self.has_proba => {
                Some(self.proba_any(x).map(|p| Prediction::Float(p.into_dyn())))
            }
            Method::DecisionFunction if self.has_decision => {
                Some(self.decision_any(x).map(Prediction::Float))
            }
            _ => None,
        }
    }
}

impl Estimator for Multiclass {
    fn n_features_in(&self) -> usize {
        self.n_features_in
    }

    /// Every member reads every column: the members' kinds merged (rule 6 made them agree).
    fn input_kinds(&self) -> Vec<ColumnKind> {
        self.merged_kinds().0
    }

    fn numeric_columns(&self, method: Method) -> Option<usize> {
        let k = self.classes.len();
        match method {
            Method::Predict if self.multilabel() => Some(k),
            Method::Predict => self.classes.is_numeric().then_some(1),
            Method::PredictProba if self.has_proba => Some(k),
            Method::DecisionFunction if self.has_decision => {
                let one = match self.strategy {
                    Strategy::OneVsOne => k == 2,
                    _ => self.members.len() == 1,
                };
                Some(if one { 1 } else { k })
            }
            _ => None,
        }
    }

    fn predicts_1d(&self) -> bool {
        !self.multilabel()
    }

    fn as_predict(&self) -> Option<&dyn Predict> {
        Some(self)
    }

    fn as_predict_proba(&self) -> Option<&dyn PredictProba> {
        self.has_proba.then_some(self as &dyn PredictProba)
    }

    fn as_decision_function(&self) -> Option<&dyn DecisionFunction> {
        self.has_decision.then_some(self as &dyn DecisionFunction)
    }

    fn as_run_table(&self) -> Option<&dyn RunTable> {
        Some(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn one_vs_rest_ties_go_first_or_last_and_nan_follows_np_maximum() {
        let s = array![[1.0, 3.0, 3.0], [2.0, 1.0, 0.0], [f64::NAN, 5.0, 1.0]];
        // Row 3, first: members 2 (1.0) then 1 (5.0) win; member 0 makes maxima NaN.
        assert_eq!(
            one_vs_rest_winners(&s, MulticlassTies::First),
            vec![1, 0, 1]
        );
        assert_eq!(one_vs_rest_winners(&s, MulticlassTies::Last), vec![2, 0, 0]);
        // Last: maxima is NaN from member 0 on and NaN == NaN never holds, so member 0
        // keeps the row only because the winner starts at 0.
        let late = array![[1.0, f64::NAN, 0.5]];
        assert_eq!(one_vs_rest_winners(&late, MulticlassTies::Last), vec![0]);
        // First (reverse order): member 2 then member 1 (NaN, never equal): member 2.
        assert_eq!(one_vs_rest_winners(&late, MulticlassTies::First), vec![2]);
    }

    #[test]
    fn nearest_code_takes_the_first_of_equal_distances() {
        let book = array![[1.0, -1.0], [-1.0, 1.0], [1.0, -1.0]];
        let y = array![[0.9, -0.2], [-3.0, 0.0], [0.0, 0.0]];
        assert_eq!(nearest_code(&y, &book), vec![0, 1, 0]);
    }
}
