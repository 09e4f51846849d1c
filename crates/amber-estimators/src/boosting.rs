//! Gradient-boosted trees: `GradientBoostingClassifier`/`Regressor` and
//! `HistGradientBoostingClassifier`/`Regressor` — the `Boosting` body.
//!
//! Mirrors scikit-learn 1.9.1 and 1.3.2 (`spec/estimators.md`, section "Boosting", has the
//! rules and the full math):
//! - raw scores: `sklearn/ensemble/_gb.py`, `_raw_predict`: `_raw_predict_init` (the init
//!   estimator on the float32-cast input, or zeros), then `_gradient_boosting.pyx`,
//!   `predict_stages`: for every stage and column in order, `out[i, k] += scale * value`
//!   (HistGradientBoosting: `_raw_predict`, the baseline then each predictor's leaf values,
//!   scale 1). Trees traverse as every `TREE_INPUT_F32` tree does (`tree`);
//! - init links: 1.9.1 `_gb.py`, `_init_raw_predictions` (probabilities clipped to
//!   `[eps, 1 - eps]`, then `_loss.link.link`: scipy's `logit`, half of it, or
//!   `MultinomialLogit.link`, `log(q / gmean(q))`); 1.3.2 `_gb_losses.py`,
//!   `get_init_raw_predictions` (`log(q / (1 - q))`, half of it, `log(q)`);
//! - links: `_loss/loss.py`, `predict_proba` of `HalfBinomialLoss` (`expit`),
//!   `ExponentialLoss` (`expit(2 raw)`), `HalfMultinomialLoss` (`extmath.softmax`), and
//!   `link.inverse` of `LogLink` (`exp`); 1.3.2 `_gb_losses.py`, `_raw_prediction_to_proba`
//!   (`MultinomialDeviance`: `nan_to_num(exp(raw - logsumexp(raw)))`);
//! - decisions: 1.9.1 `GradientBoostingClassifier.predict` (`raw >= 0`, argmax of raw),
//!   `HistGradientBoostingClassifier.predict` (`raw > 0`, argmax of raw); 1.3.2
//!   `_raw_prediction_to_decision` and `HistGradientBoostingClassifier.predict` (argmax of
//!   the probabilities; `raw >= 0` for the exponential loss).
//!
//! **Exactness.** Raw scores are the same IEEE operations in the same order as
//! scikit-learn's (`raw + scale * v`, one tree after the other, no fused multiply-add), so
//! `decision_function`, regressor predictions and labels decided on raw scores are
//! bit-exact when the start is a baseline or an exact init through `PREDICT` (trees).
//! Probabilities and the other init links go through `exp`, `log` and `log1p` (`f64::exp`,
//! the C library's, as scipy's `expit` and `logit` call; numpy's own SIMD routines on AVX-512
//! machines), whose results differ by an ulp between implementations: the spec compares them
//! within a tolerance ("Transcendental functions"). Sums over a row (softmax, log-sum-exp, a
//! mean of logs) follow `raw_scores`: numpy's pairwise sum ([`numpy_sum`]) for `STAGED`
//! (GradientBoosting), left to right for `HISTOGRAM` (HistGradientBoosting, whose baseline is
//! also added to `0.0`).
//!
//! **Inputs.** Trees that read float32 (`TREE_INPUT_F32`, GradientBoosting) refuse NaN,
//! infinities and values beyond float32's range with `E_INPUT`, as `_gb.py`'s
//! `validate_data(X, dtype=DTYPE)` does; float64 trees (HistGradientBoosting, whose
//! `validate_data` has `ensure_all_finite=False`) take every value: NaN goes where the
//! missing-values bit says, infinities compare as IEEE says.
//!
//! **Preprocessor.** HistGradientBoosting (scikit-learn >= 1.4) fitted on string categories
//! codes them with its `_preprocessor` (`gradient_boosting.py`, `_preprocess_X`: a
//! `ColumnTransformer` whose `OrdinalEncoder` puts each categorical column's code first,
//! unknown and missing values NaN, the numeric columns after). A body with a `preprocessor`
//! runs its `transform` first (on a [`Table`] when the input holds strings) and the trees
//! read the output, so the model's input kinds are the preprocessor's given that the trees
//! read numbers.

use std::fmt::Debug;
use std::ops::Deref;
use std::sync::Arc;

use amber_codec::model::{self, BoostingDecision, BoostingInitLink, BoostingLink};
use amber_codec::{Container, DType};
use ndarray::{Array2, ArrayD, ArrayView2, Axis};

use crate::error::{EstimatorError, Result};
use crate::finite::{self, Refuse};
use crate::linear::{Classes, argmax, expit, nan_max, take};
use crate::method::{Method, Prediction};
use crate::numerics::numpy_sum;
use crate::registry::distinct_classes;
use crate::table::{ColumnKind, Table};
use crate::traits::{
    DecisionFunction, Estimator, Predict, PredictProba, RunTable, check_kinds_chain, check_width,
};
use crate::tree::{self, TreeEnsemble};

/// How an init estimator's output becomes raw scores (`q` is the clipped probability).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum InitLink {
    /// `predict` as f64.
    Predict,
    /// `log(q / (1 - q))`.
    Logit,
    /// `0.5 * log(q / (1 - q))`.
    HalfLogit,
    /// `log(q)`, per class.
    Log,
    /// `log(q / exp(mean(log(q))))`, per class.
    SymmetricLog,
    /// scipy >= 1.15's `logit`: `log1p(s) - log1p(-s)`, `s = 2 (q - 0.5)`, on `[0.3, 0.65]`.
    LogitLog1p,
    /// `0.5 *` [`InitLink::LogitLog1p`].
    HalfLogitLog1p,
}

impl InitLink {
    /// Whether the link takes the positive class's probability (one raw column).
    fn binary(self) -> bool {
        matches!(
            self,
            Self::Logit | Self::HalfLogit | Self::LogitLog1p | Self::HalfLogitLog1p
        )
    }
}

/// Where raw scores start.
#[derive(Debug)]
enum Start {
    /// The same values for every row, one per column.
    Baseline(Vec<f64>),
    /// The init estimator's output on the float32-rounded input, through `link`.
    Init {
        estimator: Box<dyn Estimator>,
        link: InitLink,
        /// Probabilities are clipped to `[eps, 1 - eps]`.
        eps: f64,
    },
}

/// How raw scores become a classifier's probabilities.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ProbaLink {
    /// `p1 = expit(raw)`, `[1 - p1, p1]`.
    Logistic,
    /// `p1 = expit(2 raw)`, `[1 - p1, p1]`.
    HalfLogistic,
    /// `extmath.softmax`.
    Softmax,
    /// `nan_to_num(exp(raw - logsumexp(raw)))`.
    Logsumexp,
}

/// How a classifier picks its label.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Decision {
    /// One column: `raw >= 0`; several: argmax of raw.
    RawAtLeastZero,
    /// One column: `raw > 0`; several: argmax of raw.
    RawAboveZero,
    /// Argmax of the probabilities.
    ProbaArgmax,
}

/// What the model outputs.
#[derive(Debug)]
enum Output {
    /// `raw[:, 0]`, or its `exp`.
    Regressor { exp: bool },
    /// Labels, probabilities and raw scores.
    Classifier {
        classes: Classes,
        link: ProbaLink,
        decision: Decision,
    },
}

/// A validated boosting model.
#[derive(Debug)]
pub(crate) struct Boosting {
    /// Regression leaves, one value each; tree `t` adds to column `t % k`.
    trees: TreeEnsemble,
    /// Input columns.
    n_features: usize,
    /// Transforms the input into the trees' `tree_features` numeric columns; `None`: the
    /// trees read the input.
    preprocessor: Option<Box<dyn Estimator>>,
    /// Columns the trees read (the preprocessor's output, else `n_features`).
    tree_features: usize,
    /// Raw columns, `>= 1`; the tree count is a multiple of it.
    k: usize,
    /// Finite.
    scale: f64,
    start: Start,
    output: Output,
    /// `raw_scores` is `HISTOGRAM`: row sums add the columns left to right (the baseline's
    /// `0.0 +` is applied at load, in `start`).
    left_to_right: bool,
}

/// numpy's `clip`: NaN stays NaN.
fn clip(v: f64, lo: f64, hi: f64) -> f64 {
    if v.is_nan() { v } else { v.max(lo).min(hi) }
}

/// `log(q / (1 - q))`, as numpy and scikit-learn < 1.4 compute it.
fn logit(q: f64) -> f64 {
    (q / (1.0 - q)).ln()
}

/// scipy >= 1.15's `special.logit` (xsf `logit`): the plain formula away from 0.5,
/// `log1p(s) - log1p(-s)` with `s = 2 (q - 0.5)` on `[0.3, 0.65]` (NaN takes the plain one).
fn logit_log1p(q: f64) -> f64 {
    if (0.3..=0.65).contains(&q) {
        let s = 2.0 * (q - 0.5);
        s.ln_1p() - (-s).ln_1p()
    } else {
        logit(q)
    }
}

/// numpy's `nan_to_num`: NaN to 0, infinities to the largest finite values.
fn nan_to_num(v: f64) -> f64 {
    if v.is_nan() {
        0.0
    } else if v == f64::INFINITY {
        f64::MAX
    } else if v == f64::NEG_INFINITY {
        f64::MIN
    } else {
        v
    }
}

/// The sum of a row of raw-score-shaped values: numpy's pairwise sum over a C-ordered row
/// (GradientBoosting, `STAGED`), or the columns added left to right, as numpy sums the rows
/// of an F-ordered array (HistGradientBoosting, `HISTOGRAM`; `spec/estimators.md` §7.2).
fn row_sum(v: &[f64], left_to_right: bool) -> f64 {
    match v.split_first() {
        Some((first, rest)) if left_to_right => rest.iter().fold(*first, |acc, x| acc + x),
        _ => numpy_sum(v),
    }
}

/// `extmath.softmax` of one row, in place: subtract the max, exp, divide by the row sum.
fn softmax(mut row: ndarray::ArrayViewMut1<'_, f64>, left_to_right: bool) {
    let m = nan_max(row.view());
    row.mapv_inplace(|v| (v - m).exp());
    let s = row_sum(&row.to_vec(), left_to_right);
    row.mapv_inplace(|v| v / s);
}

/// scikit-learn < 1.4's multinomial probabilities of one row, in place: scipy's `logsumexp`
/// (a non-finite row max counts as 0), then `nan_to_num(exp(raw - lse))`.
fn logsumexp_proba(mut row: ndarray::ArrayViewMut1<'_, f64>, left_to_right: bool) {
    let mut m = nan_max(row.view());
    if !m.is_finite() {
        m = 0.0;
    }
    let tmp: Vec<f64> = row.iter().map(|&v| (v - m).exp()).collect();
    let lse = row_sum(&tmp, left_to_right).ln() + m;
    row.mapv_inplace(|v| nan_to_num((v - lse).exp()));
}

/// The f64 values of an init regressor's `predict` for `n` rows (`astype(np.float64)`).
fn predicted_values(p: Prediction, n: usize) -> Result<Vec<f64>> {
    let bad = |shape: &[usize]| {
        EstimatorError::model(
            "init",
            format!("predict gives shape {shape:?}, expected [{n}] or [{n}, 1]"),
        )
    };
    let fits = |shape: &[usize]| shape == [n] || shape == [n, 1];
    match p {
        Prediction::Float(a) if fits(a.shape()) => Ok(a.iter().copied().collect()),
        // i64 -> f64 rounds to nearest, as numpy's astype does.
        Prediction::Int(a) if fits(a.shape()) => Ok(a.iter().map(|&v| v as f64).collect()),
        Prediction::Float(a) => Err(bad(a.shape())),
        Prediction::Int(a) => Err(bad(a.shape())),
        Prediction::Str(_) | Prediction::Table { .. } => Err(EstimatorError::model(
            "init",
            "predict gives strings, which are not raw scores",
        )),
    }
}

/// The raw scores `[n, k]` an init estimator gives `x`: scikit-learn validated `x` as float32
/// before the init saw it, so the init runs on `(f64)(f32)x`.
fn init_raw(
    est: &dyn Estimator,
    link: InitLink,
    eps: f64,
    x: ArrayView2<'_, f64>,
    k: usize,
    left_to_right: bool,
) -> Result<Array2<f64>> {
    let n = x.nrows();
    let x32 = x.mapv(|v| f64::from(v as f32));
    let missing = |method: &str| EstimatorError::model("init", format!("has no {method}"));
    if link == InitLink::Predict {
        let p = est
            .as_predict()
            .ok_or_else(|| missing("predict"))?
            .predict(x32.view())?;
        let values = predicted_values(p, n)?;
        return Array2::from_shape_vec((n, 1), values)
            .map_err(|e| EstimatorError::model("init", e.to_string()));
    }
    let p = est
        .as_predict_proba()
        .ok_or_else(|| missing("predict_proba"))?
        .predict_proba(x32.view())?;
    let columns = if link.binary() { 2 } else { k };
    if p.dim() != (n, columns) {
        return Err(EstimatorError::model(
            "init",
            format!(
                "predict_proba gives shape {:?}, expected [{n}, {columns}]",
                p.shape()
            ),
        ));
    }
    let (lo, hi) = (eps, 1.0 - eps);
    let mut raw = Array2::zeros((n, k));
    for (mut out, row) in raw.rows_mut().into_iter().zip(p.rows()) {
        if link.binary() {
            let q = clip(row.get(1).copied().unwrap_or(f64::NAN), lo, hi);
            let v = match link {
                InitLink::Logit => logit(q),
                InitLink::HalfLogit => 0.5 * logit(q),
                InitLink::LogitLog1p => logit_log1p(q),
                _ => 0.5 * logit_log1p(q),
            };
            out.fill(v);
            continue;
        }
        let q: Vec<f64> = row.iter().map(|&v| clip(v, lo, hi)).collect();
        if link == InitLink::Log {
            out.iter_mut().zip(&q).for_each(|(o, v)| *o = v.ln());
        } else {
            // scipy's gmean: exp(mean(log(q))); np.mean divides numpy's sum by the count.
            let logs: Vec<f64> = q.iter().map(|v| v.ln()).collect();
            let gmean = (row_sum(&logs, left_to_right) / k as f64).exp();
            out.iter_mut()
                .zip(&q)
                .for_each(|(o, v)| *o = (v / gmean).ln());
        }
    }
    Ok(raw)
}

impl Boosting {
    /// `[n_samples, k]` raw scores of the input `x`: through the preprocessor when there is
    /// one, then [`Boosting::raw_of_trees_input`].
    fn raw(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        check_width(&x, self.n_features)?;
        // GradientBoosting's float32 trees: its predict methods run `validate_data` with
        // `dtype=float32` and the default `ensure_all_finite=True` before the init
        // (spec/estimators.md, Boosting rule on inputs); HistGradientBoosting's float64
        // trees take everything (`ensure_all_finite=False`).
        if self.trees.reads_f32() {
            finite::check(
                x,
                Refuse::Float32NonFinite,
                "a GradientBoosting model refuses NaN, infinities and values beyond float32's \
                 range",
            )?;
        }
        match &self.preprocessor {
            None => self.raw_of_trees_input(x),
            Some(pre) => {
                let coded = pre.as_transform().ok_or_else(no_transform)?.transform(x)?;
                self.raw_of_trees_input(coded.view())
            }
        }
    }

    /// Raw scores of a table: the preprocessor transforms it as a table (it may read
    /// strings), the trees read its numeric output.
    fn raw_of_table(&self, x: &Table) -> Result<Array2<f64>> {
        let Some(pre) = &self.preprocessor else {
            return self.raw(x.to_dense()?.view());
        };
        let coded = pre.transform_any(x).ok_or_else(no_transform)??;
        self.raw_of_trees_input(coded.to_dense()?.view())
    }

    /// `[n_samples, k]` raw scores of what the trees read: the start, then every tree's
    /// scaled leaf in tree order.
    fn raw_of_trees_input(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        check_width(&x, self.tree_features)?;
        let mut raw = match &self.start {
            Start::Baseline(b) => Array2::from_shape_fn((x.nrows(), self.k), |(_, j)| {
                b.get(j).copied().unwrap_or_default()
            }),
            Start::Init {
                estimator,
                link,
                eps,
            } => init_raw(
                estimator.as_ref(),
                *link,
                *eps,
                x,
                self.k,
                self.left_to_right,
            )?,
        };
        self.trees.add_scaled_leaves(x, self.scale, &mut raw)?;
        Ok(raw)
    }

    /// A classifier's probabilities from its raw scores.
    fn proba(&self, link: ProbaLink, raw: Array2<f64>) -> Array2<f64> {
        match link {
            ProbaLink::Logistic | ProbaLink::HalfLogistic => {
                let mut p = Array2::zeros((raw.nrows(), 2));
                for (mut row, &r) in p.rows_mut().into_iter().zip(raw.column(0)) {
                    let p1 = expit(if link == ProbaLink::Logistic {
                        r
                    } else {
                        2.0 * r
                    });
                    row.iter_mut().zip([1.0 - p1, p1]).for_each(|(o, v)| *o = v);
                }
                p
            }
            ProbaLink::Softmax | ProbaLink::Logsumexp => {
                let mut p = raw;
                for row in p.rows_mut() {
                    if link == ProbaLink::Softmax {
                        softmax(row, self.left_to_right);
                    } else {
                        logsumexp_proba(row, self.left_to_right);
                    }
                }
                p
            }
        }
    }

    fn not_a_classifier(method: &str) -> EstimatorError {
        EstimatorError::model("boosting", format!("a regressor has no {method}"))
    }
}

/// Only reachable if the registry's check that a preprocessor transforms were skipped.
fn no_transform() -> EstimatorError {
    EstimatorError::model("boosting.preprocessor", "must transform")
}

impl Boosting {
    /// `predict` from raw scores.
    fn predict_of_raw(&self, raw: Array2<f64>) -> Result<Prediction> {
        match &self.output {
            Output::Regressor { exp } => {
                let y = raw.index_axis_move(Axis(1), 0);
                Ok(Prediction::Float(
                    if *exp { y.mapv(f64::exp) } else { y }.into_dyn(),
                ))
            }
            Output::Classifier {
                classes,
                link,
                decision,
            } => {
                let first_max = |a: &Array2<f64>| -> Vec<usize> {
                    // Rows have k >= 2 entries here, so argmax is Some; 0 keeps it panic-free.
                    a.rows()
                        .into_iter()
                        .map(|row| argmax(row).unwrap_or(0))
                        .collect()
                };
                let indices = match decision {
                    Decision::RawAtLeastZero if self.k == 1 => {
                        raw.iter().map(|&r| usize::from(r >= 0.0)).collect()
                    }
                    Decision::RawAboveZero if self.k == 1 => {
                        raw.iter().map(|&r| usize::from(r > 0.0)).collect()
                    }
                    Decision::RawAtLeastZero | Decision::RawAboveZero => first_max(&raw),
                    Decision::ProbaArgmax => first_max(&self.proba(*link, raw)),
                };
                take(classes, &indices)
            }
        }
    }

    /// `predict_proba` from raw scores.
    fn proba_of_raw(&self, raw: Array2<f64>) -> Result<Array2<f64>> {
        match &self.output {
            Output::Classifier { link, .. } => Ok(self.proba(*link, raw)),
            Output::Regressor { .. } => Err(Self::not_a_classifier("predict_proba")),
        }
    }

    /// `decision_function` from raw scores.
    fn decision_of_raw(&self, raw: Array2<f64>) -> Result<ArrayD<f64>> {
        if matches!(self.output, Output::Regressor { .. }) {
            return Err(Self::not_a_classifier("decision_function"));
        }
        Ok(if self.k == 1 {
            raw.index_axis_move(Axis(1), 0).into_dyn()
        } else {
            raw.into_dyn()
        })
    }
}

impl Predict for Boosting {
    fn predict(&self, x: ArrayView2<'_, f64>) -> Result<Prediction> {
        self.predict_of_raw(self.raw(x)?)
    }
}

impl PredictProba for Boosting {
    fn predict_proba(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        if matches!(self.output, Output::Regressor { .. }) {
            return Err(Self::not_a_classifier("predict_proba"));
        }
        self.proba_of_raw(self.raw(x)?)
    }
}

impl DecisionFunction for Boosting {
    fn decision_function(&self, x: ArrayView2<'_, f64>) -> Result<ArrayD<f64>> {
        if matches!(self.output, Output::Regressor { .. }) {
            return Err(Self::not_a_classifier("decision_function"));
        }
        self.decision_of_raw(self.raw(x)?)
    }
}

impl RunTable for Boosting {
    fn run_table(&self, method: Method, x: &Table) -> Option<Result<Prediction>> {
        if !(self as &dyn Estimator).supports(method) {
            return None;
        }
        let raw = match self.raw_of_table(x) {
            Ok(raw) => raw,
            Err(e) => return Some(Err(e)),
        };
        Some(match method {
            Method::Predict => self.predict_of_raw(raw),
            Method::PredictProba => self
                .proba_of_raw(raw)
                .map(|p| Prediction::Float(p.into_dyn())),
            Method::DecisionFunction => self.decision_of_raw(raw).map(Prediction::Float),
            Method::Transform | Method::ScoreSamples => return None,
        })
    }
}

impl Estimator for Boosting {
    fn n_features_in(&self) -> usize {
        self.n_features
    }
    fn predicts_1d(&self) -> bool {
        true
    }
    /// The preprocessor's input kinds, given that the trees read numbers.
    fn input_kinds(&self) -> Vec<ColumnKind> {
        match &self.preprocessor {
            None => vec![ColumnKind::Numeric; self.n_features],
            Some(pre) => pre.input_kinds_for(Some(&vec![ColumnKind::Numeric; self.tree_features])),
        }
    }
    fn as_run_table(&self) -> Option<&dyn RunTable> {
        self.preprocessor.as_ref().map(|_| self as &dyn RunTable)
    }
    fn numeric_columns(&self, method: Method) -> Option<usize> {
        match (&self.output, method) {
            (Output::Regressor { .. }, Method::Predict) => Some(1),
            (Output::Classifier { classes, .. }, Method::Predict) => {
                classes.is_numeric().then_some(1)
            }
            (Output::Classifier { classes, .. }, Method::PredictProba) => Some(classes.len()),
            (Output::Classifier { .. }, Method::DecisionFunction) => Some(self.k),
            _ => None,
        }
    }
    fn as_predict(&self) -> Option<&dyn Predict> {
        Some(self)
    }
    fn as_predict_proba(&self) -> Option<&dyn PredictProba> {
        match self.output {
            Output::Classifier { .. } => Some(self),
            Output::Regressor { .. } => None,
        }
    }
    fn as_decision_function(&self) -> Option<&dyn DecisionFunction> {
        match self.output {
            Output::Classifier { .. } => Some(self),
            Output::Regressor { .. } => None,
        }
    }
}

// ---------------------------------------------------------------------------- loading

/// Builds the runtime of a `Boosting` body, checking every rule of `spec/estimators.md`
/// ("Boosting"). `build_nested` builds the nested init or preprocessor estimator (the
/// registry's recursion).
/// Rule 4b (`spec/estimators.md` section 7.1): the largest raw score a file may make possible.
pub(crate) const MAX_RAW_SCORE: f64 = 1e300;

/// Rule 4b: no raw score can overflow, `|start| + |scale| * (T / K) * max |V| <= MAX_RAW_SCORE`
/// (the values are finite by the trees' rule 12, the scale by rule 3).
fn check_raw_bound(
    trees: &TreeEnsemble,
    scale: f64,
    k: usize,
    start: f64,
    field: &str,
) -> Result<()> {
    let top = trees.max_abs_value()?;
    #[allow(clippy::cast_precision_loss)] // tree counts far below 2^53
    let per_column = (trees.n_trees() / k) as f64;
    let bound = start + scale.abs() * per_column * top;
    if bound <= MAX_RAW_SCORE {
        Ok(())
    } else {
        Err(EstimatorError::model(
            field,
            format!(
                "|baseline| + |scale| * {per_column} trees * max |value| is {bound:e}, above \
                 MAX_RAW_SCORE ({MAX_RAW_SCORE:e}): a raw score could overflow"
            ),
        ))
    }
}

pub(crate) fn build<B: Deref<Target = [u8]> + Debug + Send + Sync + 'static>(
    c: &Arc<Container<B>>,
    b: &model::Boosting,
    n_features: usize,
    path: &str,
    mut build_nested: impl FnMut(&model::Estimator, &str) -> Result<Box<dyn Estimator>>,
) -> Result<Boosting> {
    let field = |f: &str| format!("{path}.boosting.{f}");
    let preprocessor = match &b.preprocessor {
        None => None,
        Some(est) => {
            let pre_path = format!("{path}/preprocessor");
            let pre = build_nested(est, &pre_path)?;
            Some(preprocessor(b, pre, n_features, &pre_path, &field)?)
        }
    };
    let tree_features = preprocessor
        .as_ref()
        .map_or(n_features, |(_, width)| *width);
    let preprocessor = preprocessor.map(|(pre, _)| pre);
    let trees = tree::build_raw_trees(c, &b.trees, tree_features, &field("trees"))?;
    let k = usize::try_from(b.n_columns)
        .map_err(|_| EstimatorError::model(field("n_columns"), "does not fit in usize"))?;
    if k == 0 {
        return Err(EstimatorError::model(
            field("n_columns"),
            "must be at least 1",
        ));
    }
    if trees.n_trees() % k != 0 {
        return Err(EstimatorError::model(
            field("n_columns"),
            format!(
                "{} trees are not whole iterations of {k} (one tree per column)",
                trees.n_trees()
            ),
        ));
    }
    if !b.scale.is_finite() {
        return Err(EstimatorError::model(
            field("scale"),
            format!("must be finite, is {}", b.scale),
        ));
    }
    let output = output(b, k, &field)?;
    let histogram = b.raw_scores == Some(model::BoostingRawScores::Histogram);
    let start = match (&b.baseline, &b.init) {
        (Some(name), None) => {
            let mut base = baseline(c, name, k, &field("baseline"))?;
            if histogram {
                // HistGradientBoosting's np.zeros, then `+= baseline` (spec §7.2).
                base.iter_mut().for_each(|v| *v += 0.0);
            }
            let top = base.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            check_raw_bound(&trees, b.scale, k, top, &field("scale"))?;
            Start::Baseline(base)
        }
        (None, Some((est, link))) => {
            check_raw_bound(&trees, b.scale, k, 0.0, &field("scale"))?;
            let init_path = format!("{path}/init");
            let estimator = build_nested(est, &init_path)?;
            init(
                estimator, *link, b.init_eps, &output, k, n_features, &init_path, &field,
            )?
        }
        _ => {
            return Err(EstimatorError::model(
                field("baseline"),
                "exactly one of baseline and init must be present",
            ));
        }
    };
    Ok(Boosting {
        trees,
        n_features,
        preprocessor,
        tree_features,
        k,
        scale: b.scale,
        start,
        output,
        left_to_right: histogram,
    })
}

/// The preprocessor's rules (`spec/estimators.md`, "Boosting", rules 8-10): no init beside
/// it and no category values in the trees (the trees read its codes); it reads the model's
/// input columns and transforms them into numbers. Returns it with its output width, the
/// columns the trees read.
fn preprocessor(
    b: &model::Boosting,
    pre: Box<dyn Estimator>,
    n_features: usize,
    pre_path: &str,
    field: &dyn Fn(&str) -> String,
) -> Result<(Box<dyn Estimator>, usize)> {
    if b.init.is_some() {
        return Err(EstimatorError::model(
            field("preprocessor"),
            "a body with an init has no preprocessor",
        ));
    }
    if b.trees.category_values.is_some() {
        return Err(EstimatorError::model(
            field("trees.category_values"),
            "must be absent with a preprocessor: the trees read its codes",
        ));
    }
    let n_in = pre.n_features_in();
    if n_in != n_features {
        return Err(EstimatorError::model(
            format!("{pre_path}.n_features_in"),
            format!("is {n_in}, the boosting model's is {n_features}"),
        ));
    }
    let Some(kinds) = pre.output_kinds() else {
        return Err(EstimatorError::model(
            pre_path,
            "a preprocessor must transform",
        ));
    };
    let width = kinds.len();
    if width == 0 {
        return Err(EstimatorError::model(
            pre_path,
            "outputs no column for the trees to read",
        ));
    }
    check_kinds_chain(&kinds, &vec![ColumnKind::Numeric; width], pre_path)?;
    Ok((pre, width))
}

fn baseline<B: Deref<Target = [u8]>>(
    c: &Container<B>,
    name: &str,
    k: usize,
    context: &str,
) -> Result<Vec<f64>> {
    let view = c.tensor(name)?;
    let dtype = view.info().dtype;
    if dtype != DType::F64 {
        return Err(EstimatorError::model(
            context,
            format!("tensor {name:?} has dtype {dtype}, expected {}", DType::F64),
        ));
    }
    let shape = view.shape()?;
    if shape != [k] {
        return Err(EstimatorError::model(
            context,
            format!("tensor {name:?} has shape {shape:?}, expected [{k}] (n_columns)"),
        ));
    }
    let values: Vec<f64> = view.array::<f64>()?.iter().copied().collect();
    // Rule 4: finite, as every producer's is; an infinite start makes links that agree on
    // finite scores (1.3.2's LOGSUMEXP, 1.9.1's SOFTMAX) disagree.
    if let Some((j, v)) = values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(EstimatorError::model(
            context,
            format!("element {j} is {v}; the baseline must be finite"),
        ));
    }
    Ok(values)
}

fn output(b: &model::Boosting, k: usize, field: &dyn Fn(&str) -> String) -> Result<Output> {
    let link = match b.link {
        BoostingLink::Identity | BoostingLink::Exp => {
            if b.classes.is_some() {
                return Err(EstimatorError::model(
                    field("classes"),
                    "the regressor links IDENTITY and EXP take no classes",
                ));
            }
            if b.decision.is_some() {
                return Err(EstimatorError::model(
                    field("decision"),
                    "a regressor (link IDENTITY or EXP) has no decision",
                ));
            }
            if k != 1 {
                return Err(EstimatorError::model(
                    field("n_columns"),
                    format!("a regressor has one raw column, not {k}"),
                ));
            }
            return Ok(Output::Regressor {
                exp: b.link == BoostingLink::Exp,
            });
        }
        BoostingLink::Logistic => ProbaLink::Logistic,
        BoostingLink::HalfLogistic => ProbaLink::HalfLogistic,
        BoostingLink::Softmax => ProbaLink::Softmax,
        BoostingLink::Logsumexp => ProbaLink::Logsumexp,
    };
    let Some(classes) = b.classes.clone() else {
        return Err(EstimatorError::model(
            field("classes"),
            format!("link {:?} is a classifier's and needs classes", b.link),
        ));
    };
    let decision = match b.decision {
        Some(BoostingDecision::RawAtLeastZero) => Decision::RawAtLeastZero,
        Some(BoostingDecision::RawAboveZero) => Decision::RawAboveZero,
        Some(BoostingDecision::ProbaArgmax) => Decision::ProbaArgmax,
        None => {
            return Err(EstimatorError::model(
                field("decision"),
                "a classifier needs a decision",
            ));
        }
    };
    let m = classes.len();
    let binary = matches!(link, ProbaLink::Logistic | ProbaLink::HalfLogistic);
    if (binary && (m != 2 || k != 1)) || (!binary && (m < 2 || k != m)) {
        let rule = if binary {
            "LOGISTIC and HALF_LOGISTIC need 2 classes and one raw column"
        } else {
            "SOFTMAX and LOGSUMEXP need n_classes >= 2 raw columns, one per class"
        };
        return Err(EstimatorError::model(
            field("classes"),
            format!("{rule}; found {m} classes and {k} columns"),
        ));
    }
    let classes = distinct_classes(classes, field("classes"))?;
    Ok(Output::Classifier {
        classes,
        link,
        decision,
    })
}

#[allow(clippy::too_many_arguments)]
fn init(
    estimator: Box<dyn Estimator>,
    link: BoostingInitLink,
    eps: f64,
    output: &Output,
    k: usize,
    n_features: usize,
    init_path: &str,
    field: &dyn Fn(&str) -> String,
) -> Result<Start> {
    let n_in = estimator.n_features_in();
    if n_in != n_features {
        return Err(EstimatorError::model(
            format!("{init_path}.n_features_in"),
            format!("is {n_in}, the boosting model's is {n_features}"),
        ));
    }
    let link = match link {
        BoostingInitLink::Predict => InitLink::Predict,
        BoostingInitLink::Logit => InitLink::Logit,
        BoostingInitLink::HalfLogit => InitLink::HalfLogit,
        BoostingInitLink::Log => InitLink::Log,
        BoostingInitLink::SymmetricLog => InitLink::SymmetricLog,
        BoostingInitLink::LogitLog1p => InitLink::LogitLog1p,
        BoostingInitLink::HalfLogitLog1p => InitLink::HalfLogitLog1p,
    };
    let regressor = matches!(output, Output::Regressor { .. });
    let fits = match link {
        InitLink::Predict => regressor,
        _ if link.binary() => !regressor && k == 1,
        _ => !regressor && k >= 2,
    };
    if !fits {
        let kind = if regressor {
            "a regressor".to_owned()
        } else {
            format!("a classifier with {k} raw column(s)")
        };
        return Err(EstimatorError::model(
            field("init_link"),
            format!(
                "{link:?} does not fit {kind} (PREDICT: regressors; LOGIT, HALF_LOGIT, \
                 LOGIT_LOG1P, HALF_LOGIT_LOG1P: one column; LOG, SYMMETRIC_LOG: several)"
            ),
        ));
    }
    if link != InitLink::Predict && !(0.0..0.5).contains(&eps) {
        return Err(EstimatorError::model(
            field("init_eps"),
            format!("must be in [0, 0.5), is {eps}"),
        ));
    }
    // The init has the method its link needs, with the output it needs. Known from its
    // validated body: running it on a probe row would allocate `n_features` values, a count
    // that only a linear init's tensors back (a tree's is declared).
    let proba = link != InitLink::Predict;
    let want = match link {
        InitLink::Predict => 1,
        _ if link.binary() => 2,
        _ => k,
    };
    let got = estimator.numeric_columns(if proba {
        Method::PredictProba
    } else {
        Method::Predict
    });
    if got != Some(want) {
        let method = if proba { "predict_proba" } else { "predict" };
        let found = got.map_or_else(
            || format!("no {method} giving numbers"),
            |c| format!("{method} with {c} column(s)"),
        );
        return Err(EstimatorError::model(
            init_path,
            format!("cannot start the raw scores: it has {found}, the init link needs {want}"),
        ));
    }
    Ok(Start::Init {
        estimator,
        link,
        eps,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::method::Method;
    use crate::model::Model;
    use crate::tree::record;
    use amber_codec::model::{Body, Labels, LeafValues, LinearLink, Producer, TreeInput};
    use amber_codec::{TensorData, encode_with_input};
    use ndarray::array;

    const LEAF: u32 = u32::MAX;

    fn trees_body() -> model::TreeEnsemble {
        model::TreeEnsemble::new(
            "nodes",
            "tree_offsets",
            "values",
            TreeInput::F32,
            LeafValues::Regression,
        )
    }

    /// A stump: `x[feature] <= threshold` ? `left` : `right`.
    #[derive(Clone, Copy)]
    struct Stump(u32, f64, f64, f64);

    /// A Linear init: coef (row-major), intercept, link, classes.
    type LinearInit = (Vec<f64>, Vec<f64>, LinearLink, Option<Labels>);

    /// A model on two features whose trees are `stumps` (tree t adds to column t % k).
    struct File {
        stumps: Vec<Stump>,
        body: model::Boosting,
        baseline: Option<Vec<f64>>,
        /// A Linear init on the two features: coef [k_init, 2] and intercept.
        init: Option<LinearInit>,
        init_n_features: u64,
        /// The input schema written with a preprocessor that reads strings.
        input: Option<model::InputSchema>,
    }

    impl File {
        fn new(stumps: Vec<Stump>, k: u32, link: BoostingLink) -> Self {
            let body = model::Boosting {
                trees: trees_body(),
                n_columns: k,
                scale: 1.0,
                baseline: Some("baseline".into()),
                init: None,
                init_eps: 0.0,
                link,
                classes: None,
                decision: None,
                preprocessor: None,
                raw_scores: None,
            };
            Self {
                stumps,
                body,
                baseline: Some(vec![0.0; k as usize]),
                init: None,
                init_n_features: 2,
                input: None,
            }
        }

        /// Adds [`coded_strings`] as the preprocessor (column 1 then holds strings).
        fn with_preprocessor(mut self) -> Self {
            self.body.preprocessor = Some(Box::new(coded_strings(2)));
            let column = |kind| model::InputColumn {
                name: String::new(),
                kind,
            };
            self.input = Some(model::InputSchema {
                columns: vec![
                    column(model::ColumnKind::Numeric),
                    column(model::ColumnKind::String),
                ],
            });
            self
        }

        fn classifier(mut self, labels: Labels, decision: BoostingDecision) -> Self {
            self.body.classes = Some(labels);
            self.body.decision = Some(decision);
            self
        }

        fn bytes(&self) -> Vec<u8> {
            let mut nodes = Vec::new();
            let mut offsets = vec![0u64];
            let mut values = Vec::new();
            for (t, Stump(f, thr, left, right)) in self.stumps.iter().enumerate() {
                let s = (3 * t) as u32;
                nodes.extend(record(*thr, *f, s + 2));
                nodes.extend(record(0.0, LEAF, (2 * t) as u32));
                nodes.extend(record(0.0, LEAF, (2 * t + 1) as u32));
                offsets.push(3 * (t as u64 + 1));
                values.extend([*left, *right]);
            }
            let nodes_shape = [nodes.len() as u64 / 16, 16];
            let offsets_bytes: Vec<u8> = offsets.iter().flat_map(|v| v.to_le_bytes()).collect();
            let offsets_shape = [offsets.len() as u64];
            let values_bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
            let values_shape = [values.len() as u64, 1, 1];
            let mut tensors = vec![
                TensorData {
                    name: "nodes",
                    dtype: DType::U8,
                    shape: &nodes_shape,
                    bytes: &nodes,
                },
                TensorData {
                    name: "tree_offsets",
                    dtype: DType::U64,
                    shape: &offsets_shape,
                    bytes: &offsets_bytes,
                },
                TensorData {
                    name: "values",
                    dtype: DType::F64,
                    shape: &values_shape,
                    bytes: &values_bytes,
                },
            ];
            let mut body = self.body.clone();
            let baseline_bytes: Vec<u8>;
            let baseline_shape: [u64; 1];
            if let Some(b) = &self.baseline {
                baseline_bytes = b.iter().flat_map(|v| v.to_le_bytes()).collect();
                baseline_shape = [b.len() as u64];
                tensors.push(TensorData {
                    name: "baseline",
                    dtype: DType::F64,
                    shape: &baseline_shape,
                    bytes: &baseline_bytes,
                });
            } else {
                body.baseline = None;
            }
            let (coef_bytes, intercept_bytes): (Vec<u8>, Vec<u8>);
            let (coef_shape, intercept_shape): ([u64; 2], [u64; 1]);
            if let Some((coef, intercept, link, classes)) = &self.init {
                coef_bytes = coef.iter().flat_map(|v| v.to_le_bytes()).collect();
                intercept_bytes = intercept.iter().flat_map(|v| v.to_le_bytes()).collect();
                coef_shape = [intercept.len() as u64, self.init_n_features];
                intercept_shape = [intercept.len() as u64];
                tensors.push(TensorData {
                    name: "init/coef",
                    dtype: DType::F64,
                    shape: &coef_shape,
                    bytes: &coef_bytes,
                });
                tensors.push(TensorData {
                    name: "init/intercept",
                    dtype: DType::F64,
                    shape: &intercept_shape,
                    bytes: &intercept_bytes,
                });
                let init = model::Estimator {
                    producer_type: "init".into(),
                    params: vec![],
                    attributes: vec![],
                    n_features_in: self.init_n_features,
                    feature_names_in: vec![],
                    body: Body::Linear(model::Linear {
                        coef: "init/coef".into(),
                        intercept: Some("init/intercept".into()),
                        link: *link,
                        classes: classes.clone(),
                    }),
                };
                let init_link = body
                    .init
                    .take()
                    .map_or(BoostingInitLink::Predict, |(_, l)| l);
                body.init = Some((Box::new(init), init_link));
            }
            let estimator = model::Estimator {
                producer_type: "test".into(),
                params: vec![],
                attributes: vec![],
                n_features_in: 2,
                feature_names_in: vec![],
                body: Body::Boosting(body),
            };
            encode_with_input(
                &[],
                &Producer::default(),
                &estimator,
                self.input.as_ref(),
                &tensors,
            )
            .unwrap()
        }

        fn open(&self) -> Result<Model> {
            Model::from_bytes(self.bytes())
        }

        /// Replaces the baseline by a Linear init with `link` (its link kind set by `init_link`).
        fn with_init(
            mut self,
            coef: Vec<f64>,
            intercept: Vec<f64>,
            link: LinearLink,
            classes: Option<Labels>,
            init_link: BoostingInitLink,
            eps: f64,
        ) -> Self {
            self.baseline = None;
            self.init = Some((coef, intercept, link, classes));
            let placeholder = model::Estimator {
                producer_type: String::new(),
                params: vec![],
                attributes: vec![],
                n_features_in: 0,
                feature_names_in: vec![],
                body: Body::Pipeline(model::Pipeline { steps: vec![] }),
            };
            self.body.init = Some((Box::new(placeholder), init_link));
            self.body.init_eps = eps;
            self
        }
    }

    /// HistGradientBoosting's `_preprocessor` on `n` columns (x0 numeric, x1 strings, ...):
    /// branch "encoder" codes x1 ("a" 0, "b" 1, unknown and missing NaN), branch
    /// "numerical" passes the others through; the trees read [code(x1), x0, ...].
    fn coded_strings(n: u64) -> model::Estimator {
        let leaf = |body| model::Estimator {
            producer_type: "test".into(),
            params: vec![],
            attributes: vec![],
            n_features_in: 1,
            feature_names_in: vec![],
            body,
        };
        let encoder = leaf(Body::OrdinalEncoder(model::OrdinalEncoder {
            features: vec![model::OrdinalFeature {
                categories: model::Categories {
                    kind: model::CategoryKind::String,
                    numbers: vec![],
                    strings: vec!["a".into(), "b".into()],
                    has_none: false,
                    has_nan: false,
                    dtype: None,
                    str_width: 0,
                    numpy_strings: false,
                },
                infrequent: vec![],
            }],
            unknown: model::OrdinalUnknown::Value,
            unknown_value: f64::NAN,
            encoded_missing_value: f64::NAN,
            dtype: DType::F64,
        }));
        let branch = |name: &str, columns: Vec<u64>, estimator| model::ColumnBranch {
            name: name.into(),
            columns,
            estimator,
            drop: false,
            weight: None,
            selection: None,
        };
        let mut numerical = vec![0];
        numerical.extend(2..n);
        let mut ct = leaf(Body::ColumnTransformer(model::ColumnTransformer {
            branches: vec![
                branch("encoder", vec![1], Some(encoder)),
                branch("numerical", numerical, None),
            ],
        }));
        ct.n_features_in = n;
        ct
    }

    use crate::table::TextColumn;

    /// Two rows per probe of column 1 ("a", "b", unseen, missing), column 0 at -1 and 1.
    fn string_table() -> Table {
        let mut t = Table::new(8);
        t.push_numeric("", vec![-1.0, 1.0, -1.0, 1.0, -1.0, 1.0, -1.0, 1.0])
            .unwrap();
        let cells = [Some("a"), Some("b"), Some("zzz"), None];
        t.push_text(
            "",
            cells.iter().flat_map(|c| [*c, *c]).collect::<TextColumn>(),
        )
        .unwrap();
        t
    }

    #[test]
    fn preprocessor_codes_strings_before_the_trees() {
        // Tree 0 splits on the code (feature 0): "a" (0) left, "b" (1) right, unknown and
        // missing (NaN) right (missing bit clear). Tree 1 on x0, passed through to feature 1.
        let m = File::new(
            vec![Stump(0, 0.5, 1.0, 2.0), Stump(1, 0.0, 10.0, 20.0)],
            1,
            BoostingLink::Identity,
        )
        .with_preprocessor()
        .open()
        .unwrap();
        let kinds: Vec<ColumnKind> = m.input_columns().unwrap().iter().map(|(_, k)| *k).collect();
        assert_eq!(kinds, [ColumnKind::Numeric, ColumnKind::String]);
        let p = m.run_table(Method::Predict, &string_table()).unwrap();
        assert_eq!(floats(p), [11.0, 21.0, 12.0, 22.0, 12.0, 22.0, 12.0, 22.0]);
    }

    #[test]
    fn preprocessor_with_numbers_only_takes_a_matrix() {
        // Strings read numbers nowhere: a matrix is refused by the encoder (E_INPUT), not
        // coded as anything.
        let m = File::new(vec![Stump(0, 0.5, 1.0, 2.0)], 1, BoostingLink::Identity)
            .with_preprocessor()
            .open()
            .unwrap();
        let err = m.predict(array![[0.0, 1.0]].view()).unwrap_err();
        assert_eq!(err.code(), "E_INPUT", "{err}");
    }

    #[test]
    fn rule_preprocessor_never_with_init() {
        let f = File::new(vec![Stump(0, 0.5, 1.0, 2.0)], 1, BoostingLink::Identity)
            .with_init(
                vec![1.0, 0.0],
                vec![0.0],
                LinearLink::Identity,
                None,
                BoostingInitLink::Predict,
                0.0,
            )
            .with_preprocessor();
        assert!(model_error(f.open()).contains("no preprocessor"));
    }

    #[test]
    fn rule_preprocessor_reads_the_input_and_trees_its_output() {
        let mut f =
            File::new(vec![Stump(0, 0.5, 1.0, 2.0)], 1, BoostingLink::Identity).with_preprocessor();
        f.body.preprocessor = Some(Box::new(coded_strings(3)));
        assert!(model_error(f.open()).contains("preprocessor.n_features_in"));
        // A tree feature beyond the preprocessor's 2 output columns.
        let f =
            File::new(vec![Stump(2, 0.5, 1.0, 2.0)], 1, BoostingLink::Identity).with_preprocessor();
        assert!(model_error(f.open()).contains("trees"));
        let mut f =
            File::new(vec![Stump(0, 0.5, 1.0, 2.0)], 1, BoostingLink::Identity).with_preprocessor();
        f.body.trees.category_values = Some("values".into());
        assert!(model_error(f.open()).contains("category_values"));
    }

    fn floats(p: Prediction) -> Vec<f64> {
        match p {
            Prediction::Float(a) => a.iter().copied().collect(),
            other => panic!("{other:?}"),
        }
    }

    fn model_error(r: Result<Model>) -> String {
        match r {
            Err(EstimatorError::Model { context, reason }) => format!("{context}: {reason}"),
            other => panic!("expected E_MODEL, got {other:?}"),
        }
    }

    fn bits(v: &[f64]) -> Vec<u64> {
        v.iter().map(|x| x.to_bits()).collect()
    }

    #[test]
    fn raw_scores_add_scaled_leaves_in_tree_order_from_the_baseline() {
        // Left to right, (1e16 + 1) rounds back to 1e16 and the 1 is lost: any other order of
        // the trees would keep it.
        let mut f = File::new(
            vec![
                Stump(0, 0.5, 1.0, 2.0),
                Stump(1, 0.5, -1e16, 3.0),
                Stump(0, 10.0, 0.25, 0.0),
            ],
            1,
            BoostingLink::Identity,
        );
        f.baseline = Some(vec![1e16]);
        f.body.scale = 0.1;
        let m = f.open().unwrap();
        assert_eq!(m.methods(), vec![Method::Predict]);
        let x = array![[0.0, 0.0], [1.0, 1.0]];
        let want = [
            ((1e16 + 0.1 * 1.0) + 0.1 * -1e16) + 0.1 * 0.25,
            ((1e16 + 0.1 * 2.0) + 0.1 * 3.0) + 0.1 * 0.25,
        ];
        assert_eq!(bits(&floats(m.predict(x.view()).unwrap())), bits(&want));
    }

    #[test]
    fn trees_add_to_column_t_mod_k() {
        let f = File::new(
            vec![
                Stump(0, 0.5, 1.0, 2.0),
                Stump(0, 0.5, 10.0, 20.0),
                Stump(0, 0.5, 100.0, 200.0),
                Stump(1, 0.5, 0.5, 0.25),
                Stump(1, 0.5, 0.125, 0.0625),
                Stump(1, 0.5, 4.0, 8.0),
            ],
            3,
            BoostingLink::Softmax,
        )
        .classifier(Labels::Int(vec![3, 1, 2]), BoostingDecision::RawAtLeastZero);
        let m = f.open().unwrap();
        let d = m.decision_function(array![[0.0, 1.0]].view()).unwrap();
        assert_eq!(d, array![[1.25, 10.0625, 108.0]].into_dyn());
        assert_eq!(
            m.predict(array![[0.0, 1.0]].view()).unwrap(),
            Prediction::Int(array![2].into_dyn())
        );
    }

    fn binary(decision: BoostingDecision, link: BoostingLink, leaf: f64) -> Model {
        File::new(vec![Stump(0, 0.5, leaf, -leaf)], 1, link)
            .classifier(Labels::Str(vec!["no".into(), "yes".into()]), decision)
            .open()
            .unwrap()
    }

    fn label(m: &Model, x0: f64) -> String {
        match m.predict(array![[x0, 0.0]].view()).unwrap() {
            Prediction::Str(a) => a.iter().next().unwrap().clone(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn binary_decisions_differ_only_at_a_zero_score() {
        // raw = 0.0 exactly: >= 0 says yes, > 0 and the probability argmax (0.5, 0.5) say no.
        let at_least = binary(
            BoostingDecision::RawAtLeastZero,
            BoostingLink::Logistic,
            0.0,
        );
        let above = binary(BoostingDecision::RawAboveZero, BoostingLink::Logistic, 0.0);
        let proba = binary(BoostingDecision::ProbaArgmax, BoostingLink::Logistic, 0.0);
        assert_eq!(label(&at_least, 0.0), "yes");
        assert_eq!(label(&above, 0.0), "no");
        assert_eq!(label(&proba, 0.0), "no");
        // A tiny positive score whose expit rounds to 0.5: the probability argmax still ties.
        let tiny = binary(BoostingDecision::ProbaArgmax, BoostingLink::Logistic, 1e-17);
        assert_eq!(expit(1e-17), 0.5);
        assert_eq!(label(&tiny, 0.0), "no");
        let tiny_raw = binary(
            BoostingDecision::RawAboveZero,
            BoostingLink::Logistic,
            1e-17,
        );
        assert_eq!(label(&tiny_raw, 0.0), "yes");
        assert_eq!(label(&tiny_raw, 1.0), "no");
    }

    #[test]
    fn binary_probabilities_are_expit_of_raw_or_twice_raw() {
        let r = 0.75;
        let logistic = binary(BoostingDecision::RawAtLeastZero, BoostingLink::Logistic, r);
        let p1 = expit(r);
        assert_eq!(
            logistic.predict_proba(array![[0.0, 0.0]].view()).unwrap(),
            array![[1.0 - p1, p1]]
        );
        let half = binary(
            BoostingDecision::RawAtLeastZero,
            BoostingLink::HalfLogistic,
            r,
        );
        let p1 = 1.0 / (1.0 + (-(2.0 * r)).exp());
        assert_eq!(
            half.predict_proba(array![[0.0, 0.0]].view()).unwrap(),
            array![[1.0 - p1, p1]]
        );
        let d = half.decision_function(array![[0.0, 0.0], [1.0, 0.0]].view());
        assert_eq!(d.unwrap(), array![0.75, -0.75].into_dyn());
    }

    fn three_class(link: BoostingLink, decision: BoostingDecision, leaves: [f64; 3]) -> Model {
        File::new(
            leaves.iter().map(|&v| Stump(0, 0.5, v, 0.0)).collect(),
            3,
            link,
        )
        .classifier(Labels::Float(vec![0.5, 1.5, 2.5]), decision)
        .open()
        .unwrap()
    }

    #[test]
    fn softmax_and_logsumexp_follow_numpy_and_scipy() {
        let raw = [1.0, 3.0, -2.0];
        let x = array![[0.0, 0.0]];
        let soft = three_class(BoostingLink::Softmax, BoostingDecision::RawAtLeastZero, raw);
        let e: Vec<f64> = raw.iter().map(|v| (v - 3.0).exp()).collect();
        let s = (0.0 + e[0] + e[1]) + e[2];
        let want: Vec<f64> = e.iter().map(|v| v / s).collect();
        let got = soft.predict_proba(x.view()).unwrap();
        assert_eq!(bits(&got.iter().copied().collect::<Vec<_>>()), bits(&want));
        let lse_model = three_class(BoostingLink::Logsumexp, BoostingDecision::ProbaArgmax, raw);
        let lse = s.ln() + 3.0;
        let want: Vec<f64> = raw.iter().map(|v| (v - lse).exp()).collect();
        let got = lse_model.predict_proba(x.view()).unwrap();
        assert_eq!(bits(&got.iter().copied().collect::<Vec<_>>()), bits(&want));
        assert_eq!(
            lse_model.predict(x.view()).unwrap(),
            Prediction::Float(array![1.5].into_dyn())
        );
    }

    #[test]
    fn logsumexp_of_an_infinite_row_uses_zero_and_nan_to_num() {
        let mut row = array![f64::INFINITY, 0.0];
        logsumexp_proba(row.view_mut(), false);
        // m = inf counts as 0: exp(inf) = inf, lse = inf, exp(inf - inf) = NaN -> 0.
        assert_eq!(row, array![0.0, 0.0]);
        assert_eq!(nan_to_num(f64::INFINITY), f64::MAX);
        assert_eq!(nan_to_num(f64::NEG_INFINITY), f64::MIN);
    }

    #[test]
    fn softmax_sums_pairwise_from_eight_classes() {
        // Nine columns: numpy's pairwise order, not a left-to-right sum.
        let raw: Vec<f64> = (0..9).map(|i| f64::from(i) * 0.37 - 1.0).collect();
        let mut row = ndarray::Array1::from(raw.clone());
        softmax(row.view_mut(), false);
        let m = raw.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let e: Vec<f64> = raw.iter().map(|v| (v - m).exp()).collect();
        let s = numpy_sum(&e);
        let want: Vec<f64> = e.iter().map(|v| v / s).collect();
        assert_eq!(bits(&row.to_vec()), bits(&want));
    }

    #[test]
    fn histogram_softmax_sums_left_to_right() {
        // raw_scores HISTOGRAM (spec §7.2): ((e0 + e1) + e2) + ..., not numpy's pairwise sum;
        // for these nine columns the two orders round differently.
        let raw: Vec<f64> = (0..9).map(|i| f64::from(i) * 0.17 - 1.0).collect();
        let m = raw.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let e: Vec<f64> = raw.iter().map(|v| (v - m).exp()).collect();
        let s = e.iter().skip(1).fold(e[0], |acc, v| acc + v);
        assert_ne!(s.to_bits(), numpy_sum(&e).to_bits());
        let mut f = File::new(vec![Stump(0, 0.5, 0.0, 0.0); 9], 9, BoostingLink::Softmax)
            .classifier(
                Labels::Int((0..9).collect()),
                BoostingDecision::RawAboveZero,
            );
        f.baseline = Some(raw.clone());
        f.body.raw_scores = Some(model::BoostingRawScores::Histogram);
        let got = f
            .open()
            .unwrap()
            .predict_proba(array![[0.0, 0.0]].view())
            .unwrap();
        let want: Vec<f64> = e.iter().map(|v| v / s).collect();
        assert_eq!(bits(&got.iter().copied().collect::<Vec<_>>()), bits(&want));
    }

    #[test]
    fn histogram_raw_scores_start_from_zero_plus_the_baseline() {
        // A -0.0 baseline and -0.0 leaves: STAGED keeps -0.0 + -0.0 = -0.0; HISTOGRAM starts
        // from 0.0 + -0.0 = 0.0 (np.zeros, then +=), and 0.0 + -0.0 = 0.0.
        let file = |raw_scores| {
            let mut f = File::new(vec![Stump(0, 0.5, -0.0, -0.0)], 1, BoostingLink::Identity);
            f.baseline = Some(vec![-0.0]);
            f.body.raw_scores = raw_scores;
            floats(
                f.open()
                    .unwrap()
                    .predict(array![[0.0, 0.0]].view())
                    .unwrap(),
            )
        };
        assert_eq!(bits(&file(None)), bits(&[-0.0]));
        assert_eq!(
            bits(&file(Some(model::BoostingRawScores::Staged))),
            bits(&[-0.0])
        );
        assert_eq!(
            bits(&file(Some(model::BoostingRawScores::Histogram))),
            bits(&[0.0])
        );
    }

    #[test]
    fn multiclass_ties_go_to_the_first_class() {
        let m = three_class(
            BoostingLink::Softmax,
            BoostingDecision::RawAboveZero,
            [2.0, 2.0, 1.0],
        );
        assert_eq!(
            m.predict(array![[0.0, 0.0]].view()).unwrap(),
            Prediction::Float(array![0.5].into_dyn())
        );
    }

    #[test]
    fn regressor_exp_link() {
        let mut f = File::new(vec![Stump(0, 0.5, 0.5, 1.0)], 1, BoostingLink::Exp);
        f.baseline = Some(vec![0.25]);
        let m = f.open().unwrap();
        assert_eq!(
            floats(m.predict(array![[0.0, 0.0]].view()).unwrap()),
            vec![(0.25f64 + 0.5).exp()]
        );
    }

    #[test]
    fn init_sees_the_input_rounded_to_float32() {
        // init: predict = x0 + x1 (a Linear regressor); one tree adds nothing.
        let f = File::new(vec![Stump(0, 0.5, 0.0, 0.0)], 1, BoostingLink::Identity).with_init(
            vec![1.0, 1.0],
            vec![0.0],
            LinearLink::Identity,
            None,
            BoostingInitLink::Predict,
            0.0,
        );
        let m = f.open().unwrap();
        let x = array![[0.1, 1e-50]];
        let want = f64::from(0.1f32) + 0.0;
        assert_eq!(floats(m.predict(x.view()).unwrap()), vec![want]);
    }

    /// A binary classifier started by a logistic init whose score is `x0` (so p1 = expit(x0)).
    fn logistic_init(init_link: BoostingInitLink, eps: f64) -> Model {
        File::new(vec![Stump(1, 0.5, 0.0, 0.0)], 1, BoostingLink::Logistic)
            .classifier(Labels::Int(vec![0, 1]), BoostingDecision::RawAtLeastZero)
            .with_init(
                vec![1.0, 0.0],
                vec![0.0],
                LinearLink::Logistic,
                Some(Labels::Int(vec![0, 1])),
                init_link,
                eps,
            )
            .open()
            .unwrap()
    }

    fn decision(m: &Model, x0: f64) -> f64 {
        floats(Prediction::Float(
            m.decision_function(array![[x0, 0.0]].view()).unwrap(),
        ))[0]
    }

    #[test]
    fn binary_init_links() {
        // x0 = 0.25: p1 = expit(0.25), in [0.3, 0.65], where the log1p formula applies.
        let q = expit(0.25);
        assert!((0.3..=0.65).contains(&q));
        let s = 2.0 * (q - 0.5);
        let m = logistic_init(BoostingInitLink::Logit, 1e-7);
        assert_eq!(decision(&m, 0.25), (q / (1.0 - q)).ln() + 0.0);
        let m = logistic_init(BoostingInitLink::HalfLogit, 1e-7);
        assert_eq!(decision(&m, 0.25), 0.5 * (q / (1.0 - q)).ln() + 0.0);
        let m = logistic_init(BoostingInitLink::LogitLog1p, 1e-7);
        assert_eq!(decision(&m, 0.25), (s.ln_1p() - (-s).ln_1p()) + 0.0);
        let m = logistic_init(BoostingInitLink::HalfLogitLog1p, 1e-7);
        assert_eq!(decision(&m, 0.25), 0.5 * (s.ln_1p() - (-s).ln_1p()) + 0.0);
        // Away from 0.5 the log1p link is the plain formula.
        let q = expit(2.0);
        assert_eq!(decision(&m, 2.0), 0.5 * (q / (1.0 - q)).ln() + 0.0);
        // Probabilities are clipped to [eps, 1 - eps] first.
        let m = logistic_init(BoostingInitLink::Logit, 0.125);
        assert_eq!(decision(&m, 40.0), (0.875f64 / (1.0 - 0.875)).ln() + 0.0);
        assert_eq!(decision(&m, -40.0), (0.125f64 / (1.0 - 0.125)).ln() + 0.0);
    }

    /// A 3-class classifier started by a softmax Linear init with scores (x0, 0, -x0).
    fn softmax_init(init_link: BoostingInitLink) -> Model {
        File::new(
            vec![
                Stump(1, 0.5, 0.0, 0.0),
                Stump(1, 0.5, 0.0, 0.0),
                Stump(1, 0.5, 0.0, 0.0),
            ],
            3,
            BoostingLink::Softmax,
        )
        .classifier(Labels::Int(vec![0, 1, 2]), BoostingDecision::RawAtLeastZero)
        .with_init(
            vec![1.0, 0.0, 0.0, 0.0, -1.0, 0.0],
            vec![0.0, 0.0, 0.0],
            LinearLink::Softmax,
            Some(Labels::Int(vec![0, 1, 2])),
            init_link,
            1e-3,
        )
        .open()
        .unwrap()
    }

    #[test]
    fn multiclass_init_links() {
        let x = array![[1.5, 0.0], [-30.0, 0.0]];
        let init_proba = |x0: f64| {
            let mut p = array![[x0, 0.0, -x0]];
            crate::linear::softmax_rows(&mut p);
            p.iter()
                .map(|&v| clip(v, 1e-3, 1.0 - 1e-3))
                .collect::<Vec<f64>>()
        };
        let log = softmax_init(BoostingInitLink::Log);
        let got = log.decision_function(x.view()).unwrap();
        for (row, x0) in [1.5, -30.0].into_iter().enumerate() {
            let q = init_proba(x0);
            for c in 0..3 {
                assert_eq!(got[[row, c]], q[c].ln() + 0.0);
            }
        }
        let sym = softmax_init(BoostingInitLink::SymmetricLog);
        let got = sym.decision_function(x.view()).unwrap();
        for (row, x0) in [1.5, -30.0].into_iter().enumerate() {
            let q = init_proba(x0);
            let mean = ((0.0 + q[0].ln()) + q[1].ln() + q[2].ln()) / 3.0;
            let gm = mean.exp();
            for c in 0..3 {
                assert_eq!(got[[row, c]], (q[c] / gm).ln() + 0.0);
            }
        }
    }

    fn regressor() -> File {
        File::new(
            vec![Stump(0, 0.5, 1.0, 2.0), Stump(1, 0.5, 1.0, 2.0)],
            1,
            BoostingLink::Identity,
        )
    }

    #[test]
    fn rule_n_columns() {
        let mut f = regressor();
        f.body.n_columns = 0;
        f.baseline = Some(vec![]);
        assert!(model_error(f.open()).contains("boosting.n_columns"));
        let f = File::new(vec![Stump(0, 0.5, 1.0, 2.0); 4], 3, BoostingLink::Softmax)
            .classifier(Labels::Int(vec![0, 1, 2]), BoostingDecision::RawAtLeastZero);
        assert!(model_error(f.open()).contains("not whole iterations of 3"));
    }

    #[test]
    fn rule_scale_is_finite() {
        let mut f = regressor();
        f.body.scale = f64::NAN;
        assert!(model_error(f.open()).contains("boosting.scale"));
    }

    #[test]
    fn rule_baseline_shape_and_presence() {
        let mut f = regressor();
        f.baseline = Some(vec![0.0, 1.0]);
        assert!(model_error(f.open()).contains("expected [1]"));
        let mut f = regressor();
        f.baseline = None;
        assert!(model_error(f.open()).contains("exactly one of baseline and init"));
        // Both: a baseline tensor and an init.
        let mut f = regressor().with_init(
            vec![1.0, 1.0],
            vec![0.0],
            LinearLink::Identity,
            None,
            BoostingInitLink::Predict,
            0.0,
        );
        f.baseline = Some(vec![0.0]);
        f.body.baseline = Some("baseline".into());
        assert!(model_error(f.open()).contains("exactly one of baseline and init"));
    }

    #[test]
    fn rule_regressors_have_no_classes_and_one_column() {
        let f = regressor().classifier(Labels::Int(vec![0, 1]), BoostingDecision::ProbaArgmax);
        assert!(model_error(f.open()).contains("take no classes"));
        let mut f = regressor();
        f.body.decision = Some(BoostingDecision::RawAboveZero);
        assert!(model_error(f.open()).contains("has no decision"));
        let mut f = regressor();
        f.body.n_columns = 2;
        f.baseline = Some(vec![0.0, 0.0]);
        assert!(model_error(f.open()).contains("one raw column"));
    }

    #[test]
    fn rule_classifier_classes_fit_the_link() {
        let f = File::new(vec![Stump(0, 0.5, 1.0, 2.0)], 1, BoostingLink::Logistic);
        assert!(model_error(f.open()).contains("needs classes"));
        let mut f = File::new(vec![Stump(0, 0.5, 1.0, 2.0)], 1, BoostingLink::Logistic);
        f.body.classes = Some(Labels::Int(vec![0, 1]));
        assert!(model_error(f.open()).contains("needs a decision"));
        let f = File::new(vec![Stump(0, 0.5, 1.0, 2.0)], 1, BoostingLink::Logistic)
            .classifier(Labels::Int(vec![0, 1, 2]), BoostingDecision::ProbaArgmax);
        assert!(model_error(f.open()).contains("need 2 classes"));
        let f = File::new(vec![Stump(0, 0.5, 1.0, 2.0); 3], 3, BoostingLink::Logsumexp)
            .classifier(Labels::Int(vec![0, 1]), BoostingDecision::ProbaArgmax);
        assert!(model_error(f.open()).contains("one per class"));
        let f = File::new(vec![Stump(0, 0.5, 1.0, 2.0)], 1, BoostingLink::HalfLogistic).classifier(
            Labels::Str(vec!["a".into(), "a".into()]),
            BoostingDecision::RawAtLeastZero,
        );
        assert!(model_error(f.open()).contains("listed twice"));
    }

    #[test]
    fn rule_init_link_fits_the_model() {
        // A probability link on a regressor.
        let f = regressor().with_init(
            vec![1.0, 1.0],
            vec![0.0],
            LinearLink::Identity,
            None,
            BoostingInitLink::Logit,
            0.0,
        );
        assert!(model_error(f.open()).contains("boosting.init_link"));
        // A multiclass link on a binary classifier, and PREDICT on a classifier.
        for link in [BoostingInitLink::SymmetricLog, BoostingInitLink::Predict] {
            let f = File::new(vec![Stump(0, 0.5, 1.0, 2.0)], 1, BoostingLink::Logistic)
                .classifier(Labels::Int(vec![0, 1]), BoostingDecision::RawAtLeastZero)
                .with_init(
                    vec![1.0, 0.0],
                    vec![0.0],
                    LinearLink::Logistic,
                    Some(Labels::Int(vec![0, 1])),
                    link,
                    0.0,
                );
            assert!(model_error(f.open()).contains("boosting.init_link"));
        }
    }

    #[test]
    fn rule_init_eps_is_below_one_half() {
        for eps in [-1e-3, 0.5, f64::NAN] {
            let f = File::new(vec![Stump(0, 0.5, 1.0, 2.0)], 1, BoostingLink::Logistic)
                .classifier(Labels::Int(vec![0, 1]), BoostingDecision::RawAtLeastZero)
                .with_init(
                    vec![1.0, 0.0],
                    vec![0.0],
                    LinearLink::Logistic,
                    Some(Labels::Int(vec![0, 1])),
                    BoostingInitLink::Logit,
                    eps,
                );
            assert!(model_error(f.open()).contains("boosting.init_eps"));
        }
    }

    #[test]
    fn rule_init_has_the_method_and_the_shape() {
        // A regressor init (no predict_proba) for a classifier.
        let f = File::new(vec![Stump(0, 0.5, 1.0, 2.0)], 1, BoostingLink::Logistic)
            .classifier(Labels::Int(vec![0, 1]), BoostingDecision::RawAtLeastZero)
            .with_init(
                vec![1.0, 0.0],
                vec![0.0],
                LinearLink::Identity,
                None,
                BoostingInitLink::Logit,
                0.0,
            );
        let e = model_error(f.open());
        assert!(
            e.starts_with("estimator/init:") && e.contains("predict_proba"),
            "{e}"
        );
        // A 3-class init for a binary model: predict_proba has 3 columns, not 2.
        let f = File::new(vec![Stump(0, 0.5, 1.0, 2.0)], 1, BoostingLink::Logistic)
            .classifier(Labels::Int(vec![0, 1]), BoostingDecision::RawAtLeastZero)
            .with_init(
                vec![1.0, 0.0, 0.0, 1.0, 1.0, 1.0],
                vec![0.0, 0.0, 0.0],
                LinearLink::Softmax,
                Some(Labels::Int(vec![0, 1, 2])),
                BoostingInitLink::Logit,
                0.0,
            );
        let e = model_error(f.open());
        assert!(e.contains("3 column(s)") && e.contains("needs 2"), "{e}");
        // An init with another feature count.
        let mut f = regressor().with_init(
            vec![1.0, 1.0, 1.0],
            vec![0.0],
            LinearLink::Identity,
            None,
            BoostingInitLink::Predict,
            0.0,
        );
        f.init_n_features = 3;
        assert!(model_error(f.open()).contains("init.n_features_in"));
    }

    #[test]
    fn methods_per_kind_and_wrong_width() {
        let r = regressor().open().unwrap();
        assert_eq!(r.methods(), vec![Method::Predict]);
        let c = binary(
            BoostingDecision::RawAtLeastZero,
            BoostingLink::Logistic,
            1.0,
        );
        assert_eq!(
            c.methods(),
            vec![
                Method::Predict,
                Method::PredictProba,
                Method::DecisionFunction
            ]
        );
        assert!(matches!(
            c.predict(array![[1.0, 2.0, 3.0]].view()),
            Err(EstimatorError::Input {
                expected: 2,
                found: 3
            })
        ));
        let empty = Array2::<f64>::zeros((0, 2));
        assert_eq!(c.predict_proba(empty.view()).unwrap().shape(), [0, 2]);
    }

    #[test]
    fn clip_keeps_nan() {
        assert!(clip(f64::NAN, 0.1, 0.9).is_nan());
        assert_eq!(clip(0.0, 0.1, 0.9), 0.1);
        assert_eq!(clip(1.0, 0.1, 0.9), 0.9);
        assert!(logit_log1p(f64::NAN).is_nan());
    }
}
