//! Validated domain types for the manifest's estimator tree.
//!
//! Each is obtained from the generated `amber_schema::raw` type only through a conversion
//! that validates it (known enum values, present bodies, nesting within [`MAX_DEPTH`]); the
//! way back to the raw type cannot fail. Tensor references are plain names here: the
//! container checks that each names a tensor in its table.

use amber_schema::raw;

use crate::error::{CodecError, Result};
use crate::limits::MAX_DEPTH;
use crate::tensor::DType;

mod encoders;
pub use encoders::{
    Categories, CategoryKind, OneHotEncoder, OneHotFeature, OneHotUnknown, OrdinalEncoder,
    OrdinalFeature, OrdinalUnknown, TargetEncoder, TargetEncoderFeature,
};

mod voting;
pub use voting::{Voting, VotingMember, VotingRule};

mod stacking;
pub use stacking::{StackMethod, Stacking, StackingMember};

mod calibration;
mod ensemble;
mod function;
mod multi_output;
mod multiclass;
mod threshold;
pub use calibration::{CalibratedClassifier, Calibration, CalibrationResponse, Calibrator};
pub use ensemble::{AdaBoost, AdaBoostAlgorithm, Bagging, BaggingMember};
pub use function::{ElementwiseFunction, FunctionTransformer, TransformedTarget};
pub use multi_output::{ChainMethod, MultiOutput, MultiOutputKind};
pub use multiclass::{
    BinaryScore, Multiclass, MulticlassMember, MulticlassStrategy, MulticlassTies,
};
pub use threshold::{ThresholdClassifier, ThresholdScore};

mod impute;
pub use impute::{
    ImputerFill, KnnImputer, KnnWeights, MissingIndicator, MissingValue, SimpleImputer,
};

/// Who wrote a file. Informational only.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Producer {
    /// The writing implementation, e.g. `amber-python`.
    pub name: String,
    /// Its version.
    pub version: String,
    /// The library the model was trained with, e.g. `scikit-learn`.
    pub library: String,
    /// That library's version.
    pub library_version: String,
}

/// One entry of the tensor table, validated against the canonical layout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TensorInfo {
    /// Unique name.
    pub name: String,
    /// Element type.
    pub dtype: DType,
    /// Row-major dimensions; empty for a scalar.
    pub shape: Vec<u64>,
    /// Offset from the start of the data section.
    pub offset: u64,
    /// Byte length.
    pub length: u64,
    /// CRC-32 of the bytes.
    pub crc32: u32,
}

/// An estimator: provenance plus the typed body that determines its predictions.
#[derive(Clone, Debug, PartialEq)]
pub struct Estimator {
    /// The producing class, e.g. `sklearn.linear_model.Ridge`. Provenance only.
    pub producer_type: String,
    /// Hyper-parameters, sorted by name.
    pub params: Vec<Param>,
    /// Fitted attributes the body does not hold, sorted by name.
    pub attributes: Vec<Param>,
    /// Number of input features.
    pub n_features_in: u64,
    /// Input feature names; empty when fitted without names.
    pub feature_names_in: Vec<String>,
    /// How to predict.
    pub body: Body,
}

/// A named [`Value`].
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    /// The name.
    pub name: String,
    /// The value.
    pub value: Value,
}

/// A dynamically typed value (hyper-parameters and extra fitted attributes).
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// Python's `None`.
    None,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A string.
    Str(String),
    /// A list, or a tuple when `is_tuple`.
    List {
        /// The items.
        items: Vec<Value>,
        /// Whether the original was a tuple.
        is_tuple: bool,
    },
    /// A dictionary, in insertion order.
    Dict(Vec<(Value, Value)>),
    /// An n-dimensional array, by tensor name.
    Tensor(String),
}

/// Class labels, in output-column order.
#[derive(Clone, Debug, PartialEq)]
pub enum Labels {
    /// Integer labels.
    Int(Vec<i64>),
    /// Float labels.
    Float(Vec<f64>),
    /// String labels.
    Str(Vec<String>),
}

impl Labels {
    /// Number of classes.
    #[must_use]
    pub fn len(&self) -> usize {
        match self {
            Self::Int(v) => v.len(),
            Self::Float(v) => v.len(),
            Self::Str(v) => v.len(),
        }
    }

    /// Whether there are no classes.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The typed estimator bodies.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Body {
    /// Per-feature standardisation.
    StandardScaler(StandardScaler),
    /// Branches over input columns, outputs side by side.
    ColumnTransformer(ColumnTransformer),
    /// Members over the whole input, outputs side by side.
    FeatureUnion(FeatureUnion),
    /// Members over the whole input, predictions combined (`VotingClassifier`,
    /// `VotingRegressor`).
    Voting(Voting),
    /// Members over the whole input whose outputs side by side feed a final estimator
    /// (`StackingClassifier`, `StackingRegressor`).
    Stacking(Stacking),
    /// Calibrated classifiers whose probabilities are averaged (`CalibratedClassifierCV`).
    Calibration(Calibration),
    /// Binary members whose scores are combined (`OneVsRestClassifier`,
    /// `OneVsOneClassifier`, `OutputCodeClassifier`).
    Multiclass(Multiclass),
    /// One member per output (`MultiOutputClassifier`, `MultiOutputRegressor`,
    /// `ClassifierChain`, `RegressorChain`).
    MultiOutput(MultiOutput),
    /// A regressor whose predictions go through a target transformer's inverse
    /// (`TransformedTargetRegressor`).
    TransformedTarget(TransformedTarget),
    /// A numpy function applied to every value (`FunctionTransformer`).
    FunctionTransformer(FunctionTransformer),
    /// A binary classifier whose score is compared with a threshold
    /// (`FixedThresholdClassifier`, `TunedThresholdClassifierCV`).
    ThresholdClassifier(ThresholdClassifier),
    /// Members on samples of the rows and features, averaged (`BaggingClassifier`,
    /// `BaggingRegressor`).
    Bagging(Bagging),
    /// Members combined by boosting weights (`AdaBoostClassifier`, `AdaBoostRegressor`).
    AdaBoost(AdaBoost),
    /// An affine model with a link.
    Linear(Linear),
    /// Steps applied in order.
    Pipeline(Pipeline),
    /// Decision trees whose outputs are averaged (one tree, or a forest).
    TreeEnsemble(TreeEnsemble),
    /// Gradient-boosted trees.
    Boosting(Boosting),
    /// Anomaly scores from path lengths.
    IsolationForest(IsolationForest),
    /// Per-feature `clip((((x - sub) / div) * mul) + add, lo, hi)`, each step optional.
    FeatureAffine(FeatureAffine),
    /// Elementwise `1.0 if x > threshold else 0.0`.
    Binarizer(Binarizer),
    /// Each row divided by its norm.
    Normalizer(NormalizerNorm),
    /// One 0/1 output per category of each column.
    OneHotEncoder(OneHotEncoder),
    /// Each column's category index.
    OrdinalEncoder(OrdinalEncoder),
    /// Each column's category encodings.
    TargetEncoder(TargetEncoder),
    /// Missing cells replaced by a per-column fill.
    SimpleImputer(SimpleImputer),
    /// 1.0 where a cell is missing, for some columns.
    MissingIndicator(MissingIndicator),
    /// Missing cells replaced by their nearest training rows' mean.
    KnnImputer(KnnImputer),
}

/// The norm a Normalizer body divides each row by (spec/estimators.md, "Normalizer").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NormalizerNorm {
    /// `sum |x|`.
    L1,
    /// `sqrt(sum x^2)`.
    L2,
    /// `max |x|`.
    Max,
}

/// Elementwise threshold (spec/estimators.md, "Binarizer").
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Binarizer {
    /// Values strictly above it become 1.0, all others 0.0.
    pub threshold: f64,
}

/// Per-feature affine map: subtract, divide, multiply, add, then clip, each step optional
/// and applied in that order (spec/estimators.md, "FeatureAffine").
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FeatureAffine {
    /// f64 `[n_features]`, subtracted first.
    pub sub: Option<String>,
    /// f64 `[n_features]`, divides second.
    pub div: Option<String>,
    /// f64 `[n_features]`, multiplies third.
    pub mul: Option<String>,
    /// f64 `[n_features]`, added fourth.
    pub add: Option<String>,
    /// `(lo, hi)`: the result is clipped to `[lo, hi]` last.
    pub clip: Option<(f64, f64)>,
}

/// `z = (x - mean) / scale`, each part optional.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StandardScaler {
    /// f64 `[n_features]`, when the mean is subtracted.
    pub mean: Option<String>,
    /// f64 `[n_features]`, when scaled.
    pub scale: Option<String>,
    /// f64 `[n_features]` variance (provenance).
    pub var: Option<String>,
    /// i64 or f64, `[]` or `[n_features]`: samples seen (provenance).
    pub n_samples_seen: Option<String>,
}

/// How a linear model's scores become predictions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinearLink {
    /// Regression.
    Identity,
    /// Binary logistic.
    Logistic,
    /// One-vs-rest logistic, normalised.
    OvrLogistic,
    /// Multinomial softmax.
    Softmax,
}

/// `scores = X @ coef^T + intercept`, then `link`.
#[derive(Clone, Debug, PartialEq)]
pub struct Linear {
    /// f64 `[n_features]` or `[n_outputs, n_features]`.
    pub coef: String,
    /// f64 `[]` or `[n_outputs]`; none means zero.
    pub intercept: Option<String>,
    /// The link.
    pub link: LinearLink,
    /// Classes, for classifiers.
    pub classes: Option<Labels>,
}

/// How a tree compares an input value with a threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TreeInput {
    /// `(x as f32) as f64 <= threshold`.
    F32,
    /// `x <= threshold`.
    F64,
}

/// What the leaf values of a tree ensemble are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeafValues {
    /// Regression outputs.
    Regression,
    /// Class fractions.
    Fractions,
    /// Weighted class counts, normalised per tree.
    Counts,
}

/// Decision trees whose outputs are averaged; see `spec/estimators.md`.
#[derive(Clone, Debug, PartialEq)]
pub struct TreeEnsemble {
    /// u8 `[n_nodes, 16]` node records.
    pub nodes: String,
    /// u64 `[n_trees + 1]` tree boundaries in `nodes`.
    pub tree_offsets: String,
    /// f64 `[n_rows, n_outputs, n_columns]` leaf values.
    pub values: String,
    /// The comparison.
    pub input: TreeInput,
    /// What `values` holds.
    pub leaf_values: LeafValues,
    /// The classes of each output (classifiers); empty for regressors.
    pub classes: Vec<Labels>,
    /// f64 `[n_nodes]` (provenance).
    pub impurity: Option<String>,
    /// i64 `[n_nodes]` (provenance).
    pub n_node_samples: Option<String>,
    /// f64 `[n_nodes]` (provenance).
    pub weighted_n_node_samples: Option<String>,
    /// u32 `[n_nodes]`: the producer's node id of each record (provenance).
    pub node_ids: Option<String>,
    /// Whether `values` has a row per node rather than per leaf.
    pub values_for_every_node: bool,
    /// u32 `[n_sets, 8]`: the category sets of categorical splits.
    pub categories: Option<String>,
    /// u32 `[n_categorical_features, 8]`: the categories seen in training.
    pub known_categories: Option<String>,
    /// u32 `[n_categorical_features]`: the feature of each row of `known_categories`.
    pub categorical_features: Option<String>,
    /// f64 `[total]`: each categorical feature's category values in code order.
    pub category_values: Option<String>,
    /// u64 `[n_categorical_features + 1]`: where each feature's values start and end.
    pub category_value_offsets: Option<String>,
}

/// How an init estimator's output becomes the starting raw scores.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BoostingInitLink {
    /// `predict(X)` as is.
    Predict,
    /// `log(p / (1 - p))` of the clipped positive-class probability.
    Logit,
    /// Half of [`Self::Logit`].
    HalfLogit,
    /// `log(p)` of the clipped probabilities.
    Log,
    /// `log(p / gmean(p))`: the symmetric multinomial logit.
    SymmetricLog,
    /// [`Self::Logit`] with `log1p(s) - log1p(-s)`, `s = 2 (p - 0.5)`, for `0.3 <= p <= 0.65`.
    LogitLog1p,
    /// Half of [`Self::LogitLog1p`].
    HalfLogitLog1p,
}

/// How boosted raw scores become predictions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BoostingLink {
    /// The raw score.
    Identity,
    /// `exp(raw)`.
    Exp,
    /// Binary: `p1 = expit(raw)`.
    Logistic,
    /// Binary: `p1 = expit(2 raw)`.
    HalfLogistic,
    /// Multiclass softmax, shifted by the row maximum.
    Softmax,
    /// Multiclass: `exp(raw - logsumexp(raw))`.
    Logsumexp,
}

/// How a boosted classifier picks its label.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BoostingDecision {
    /// Binary: `raw >= 0`; multiclass: argmax of raw.
    RawAtLeastZero,
    /// Binary: `raw > 0`; multiclass: argmax of raw.
    RawAboveZero,
    /// Argmax of the probabilities.
    ProbaArgmax,
}

/// How a boosted model's raw scores are held, which fixes two roundings
/// (`spec/estimators.md` §7.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BoostingRawScores {
    /// GradientBoosting: raw scores start as the baseline itself; a row sum is numpy's
    /// pairwise sum.
    Staged,
    /// HistGradientBoosting: raw scores start as `0.0 + baseline[k]`; a row sum adds the
    /// columns left to right.
    Histogram,
}

/// Gradient-boosted trees; see `spec/estimators.md`.
#[derive(Clone, Debug, PartialEq)]
pub struct Boosting {
    /// The trees (regression leaves, one output, one column).
    pub trees: TreeEnsemble,
    /// Raw columns: tree `t` adds to column `t % n_columns`.
    pub n_columns: u32,
    /// Leaf values are added as `raw += scale * v`.
    pub scale: f64,
    /// f64 `[n_columns]`: the starting raw values, when `init` is absent.
    pub baseline: Option<String>,
    /// The init estimator and how its output becomes raw values.
    pub init: Option<(Box<Estimator>, BoostingInitLink)>,
    /// The clip bound of the init link.
    pub init_eps: f64,
    /// How raw scores become predictions.
    pub link: BoostingLink,
    /// Classes, for classifiers.
    pub classes: Option<Labels>,
    /// How a classifier picks its label; `None` for regressors.
    pub decision: Option<BoostingDecision>,
    /// Transforms the input before the trees, which read its output; never with `init`.
    pub preprocessor: Option<Box<Estimator>>,
    /// How the raw scores are held; `None` (unspecified, every file written before the
    /// field) reads as [`BoostingRawScores::Staged`].
    pub raw_scores: Option<BoostingRawScores>,
}

/// An isolation forest; see `spec/estimators.md`.
#[derive(Clone, Debug, PartialEq)]
pub struct IsolationForest {
    /// The trees: each leaf's value is its path-length contribution.
    pub trees: TreeEnsemble,
    /// `n_estimators * c(max_samples)`; 0 (one training sample) makes every score -0.5.
    pub denominator: f64,
    /// `decision_function = score_samples - offset`.
    pub offset: f64,
}

/// The model's input columns (`spec/format.md` §7): names and kinds, in input order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InputSchema {
    /// One per input column.
    pub columns: Vec<InputColumn>,
}

/// One input column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputColumn {
    /// The column's name.
    pub name: String,
    /// What it holds.
    pub kind: ColumnKind,
}

/// What an input column holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ColumnKind {
    /// Numbers (NaN is missing).
    Numeric,
    /// Strings or missing cells.
    String,
    /// Numbers or strings (passed through as they are).
    Any,
    /// Read by no step: the input may omit it.
    Unused,
}

/// `ColumnTransformer`: branches read input columns; outputs are concatenated in order.
#[derive(Clone, Debug, PartialEq)]
pub struct ColumnTransformer {
    /// `transformers_` in order, the remainder last.
    pub branches: Vec<ColumnBranch>,
}

/// `FeatureUnion`: every member transforms the whole input; outputs are concatenated.
#[derive(Clone, Debug, PartialEq)]
pub struct FeatureUnion {
    /// The members in order (their `columns` are empty: each reads every input column).
    pub members: Vec<ColumnBranch>,
}

/// One branch of a [`ColumnTransformer`] or member of a [`FeatureUnion`].
#[derive(Clone, Debug, PartialEq)]
pub struct ColumnBranch {
    /// The branch's name.
    pub name: String,
    /// Input column indices, in the order the branch reads them.
    pub columns: Vec<u64>,
    /// The estimator; `None` with `drop` false is passthrough.
    pub estimator: Option<Estimator>,
    /// The branch outputs nothing.
    pub drop: bool,
    /// Every output value is multiplied by it.
    pub weight: Option<f64>,
    /// Provenance: the columns as the user gave them.
    pub selection: Option<Value>,
}

/// Steps applied in order.
#[derive(Clone, Debug, PartialEq)]
pub struct Pipeline {
    /// The steps.
    pub steps: Vec<PipelineStep>,
}

/// One pipeline step.
#[derive(Clone, Debug, PartialEq)]
pub struct PipelineStep {
    /// The step's name.
    pub name: String,
    /// `None` for a passthrough step.
    pub estimator: Option<Estimator>,
    /// For passthrough: whether the original was `None` rather than `"passthrough"`.
    pub passthrough_is_none: bool,
}

impl Estimator {
    /// The estimators directly inside this one (pipeline steps, branches, members, a
    /// boosting init or preprocessor, a final estimator), in body order.
    pub fn nested(&self) -> Vec<&Estimator> {
        match &self.body {
            Body::Pipeline(p) => p
                .steps
                .iter()
                .filter_map(|s| s.estimator.as_ref())
                .collect(),
            Body::ColumnTransformer(ColumnTransformer { branches })
            | Body::FeatureUnion(FeatureUnion { members: branches }) => branches
                .iter()
                .filter_map(|b| b.estimator.as_ref())
                .collect(),
            Body::Voting(v) => v
                .members
                .iter()
                .filter_map(|m| m.estimator.as_ref())
                .collect(),
            Body::Stacking(s) => s
                .members
                .iter()
                .filter_map(|m| m.estimator.as_ref())
                .chain([s.final_estimator.as_ref()])
                .collect(),
            Body::Calibration(c) => c.classifiers.iter().map(|k| &k.estimator).collect(),
            Body::Multiclass(m) => m
                .members
                .iter()
                .filter_map(MulticlassMember::estimator)
                .collect(),
            Body::MultiOutput(m) => m.members.iter().collect(),
            Body::TransformedTarget(t) => vec![t.regressor.as_ref(), t.transformer.as_ref()],
            Body::ThresholdClassifier(t) => vec![t.estimator.as_ref()],
            Body::Bagging(b) => b.members.iter().map(|m| &m.estimator).collect(),
            Body::AdaBoost(a) => a.members.iter().collect(),
            Body::Boosting(b) => b
                .init
                .iter()
                .map(|(e, _)| e.as_ref())
                .chain(b.preprocessor.as_deref())
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Calls `f(context, name)` for every tensor this estimator (and its children) refers to,
    /// in the canonical order of `spec/format.md` §4.
    pub fn visit_tensor_refs<'a>(&'a self, path: &str, f: &mut dyn FnMut(&str, &'a str)) {
        match &self.body {
            Body::StandardScaler(s) => {
                for name in [&s.mean, &s.scale, &s.var, &s.n_samples_seen]
                    .into_iter()
                    .flatten()
                {
                    f(path, name);
                }
            }
            Body::Linear(l) => {
                f(path, &l.coef);
                if let Some(name) = &l.intercept {
                    f(path, name);
                }
            }
            Body::TreeEnsemble(t) => t.visit_tensor_refs(path, f),
            Body::Boosting(b) => {
                b.trees.visit_tensor_refs(path, f);
                if let Some(name) = &b.baseline {
                    f(path, name);
                }
                if let Some((init, _)) = &b.init {
                    init.visit_tensor_refs(&format!("{path}/init"), f);
                }
                if let Some(pre) = &b.preprocessor {
                    pre.visit_tensor_refs(&format!("{path}/preprocessor"), f);
                }
            }
            Body::IsolationForest(i) => i.trees.visit_tensor_refs(path, f),
            Body::Binarizer(_)
            | Body::Normalizer(_)
            | Body::OneHotEncoder(_)
            | Body::OrdinalEncoder(_)
            | Body::TargetEncoder(_) => {}
            Body::SimpleImputer(s) => s.visit_tensor_refs(path, f),
            Body::MissingIndicator(m) => m.visit_tensor_refs(path, f),
            Body::KnnImputer(k) => k.visit_tensor_refs(path, f),
            Body::FeatureAffine(a) => {
                for name in [&a.sub, &a.div, &a.mul, &a.add].into_iter().flatten() {
                    f(path, name);
                }
            }
            Body::Pipeline(p) => {
                for step in &p.steps {
                    if let Some(est) = &step.estimator {
                        est.visit_tensor_refs(&format!("{path}/steps/{}", step.name), f);
                    }
                }
            }
            Body::Voting(v) => {
                for m in &v.members {
                    if let Some(est) = &m.estimator {
                        est.visit_tensor_refs(&format!("{path}/{}", m.name), f);
                    }
                }
            }
            Body::Stacking(s) => {
                for m in &s.members {
                    if let Some(est) = &m.estimator {
                        est.visit_tensor_refs(&format!("{path}/{}", m.name), f);
                    }
                }
                s.final_estimator
                    .visit_tensor_refs(&format!("{path}/final_estimator"), f);
            }
            Body::Calibration(c) => {
                for (i, k) in c.classifiers.iter().enumerate() {
                    let here = format!("{path}/classifiers/{i}");
                    k.estimator.visit_tensor_refs(&here, f);
                    for cal in &k.calibrators {
                        if let Calibrator::Isotonic {
                            x_thresholds,
                            y_thresholds,
                        } = cal
                        {
                            f(&here, x_thresholds);
                            f(&here, y_thresholds);
                        }
                    }
                }
            }
            Body::Multiclass(m) => {
                for (i, member) in m.members.iter().enumerate() {
                    if let Some(estimator) = member.estimator() {
                        estimator.visit_tensor_refs(&format!("{path}/estimators/{i}"), f);
                    }
                }
                if let Some(name) = &m.code_book {
                    f(path, name);
                }
            }
            Body::MultiOutput(m) => {
                for (i, estimator) in m.members.iter().enumerate() {
                    estimator.visit_tensor_refs(&format!("{path}/estimators/{i}"), f);
                }
            }
            Body::TransformedTarget(t) => {
                t.regressor
                    .visit_tensor_refs(&format!("{path}/regressor"), f);
                t.transformer
                    .visit_tensor_refs(&format!("{path}/transformer"), f);
            }
            Body::FunctionTransformer(_) => {}
            Body::ThresholdClassifier(t) => {
                t.estimator
                    .visit_tensor_refs(&format!("{path}/estimator"), f);
            }
            Body::Bagging(b) => {
                for (i, m) in b.members.iter().enumerate() {
                    m.estimator
                        .visit_tensor_refs(&format!("{path}/estimators/{i}"), f);
                }
            }
            Body::AdaBoost(a) => {
                for (i, estimator) in a.members.iter().enumerate() {
                    estimator.visit_tensor_refs(&format!("{path}/estimators/{i}"), f);
                }
                f(path, &a.weights);
            }
            Body::ColumnTransformer(ColumnTransformer { branches })
            | Body::FeatureUnion(FeatureUnion { members: branches }) => {
                for b in branches {
                    let here = format!("{path}/{}", b.name);
                    if let Some(est) = &b.estimator {
                        est.visit_tensor_refs(&here, f);
                    }
                    if let Some(v) = &b.selection {
                        v.visit_tensor_refs(&here, f);
                    }
                }
            }
        }
        for p in self.params.iter().chain(&self.attributes) {
            p.value.visit_tensor_refs(path, f);
        }
    }
}

impl TreeEnsemble {
    /// A body over the tensors `nodes`, `tree_offsets` and `values`, with no classes, no
    /// training statistics, no categorical splits and values for leaves only: what a
    /// single-output regressor needs (set the other fields with struct update syntax).
    pub fn new(
        nodes: impl Into<String>,
        tree_offsets: impl Into<String>,
        values: impl Into<String>,
        input: TreeInput,
        leaf_values: LeafValues,
    ) -> Self {
        Self {
            nodes: nodes.into(),
            tree_offsets: tree_offsets.into(),
            values: values.into(),
            input,
            leaf_values,
            classes: Vec::new(),
            impurity: None,
            n_node_samples: None,
            weighted_n_node_samples: None,
            node_ids: None,
            values_for_every_node: false,
            categories: None,
            known_categories: None,
            categorical_features: None,
            category_values: None,
            category_value_offsets: None,
        }
    }

    fn visit_tensor_refs<'a>(&'a self, path: &str, f: &mut dyn FnMut(&str, &'a str)) {
        for name in [&self.nodes, &self.tree_offsets, &self.values] {
            f(path, name);
        }
        for name in [
            &self.categories,
            &self.known_categories,
            &self.categorical_features,
            &self.category_values,
            &self.category_value_offsets,
            &self.impurity,
            &self.n_node_samples,
            &self.weighted_n_node_samples,
            &self.node_ids,
        ]
        .into_iter()
        .flatten()
        {
            f(path, name);
        }
    }
}

impl Value {
    fn visit_tensor_refs<'a>(&'a self, path: &str, f: &mut dyn FnMut(&str, &'a str)) {
        match self {
            Self::Tensor(name) => f(path, name),
            Self::List { items, .. } => items.iter().for_each(|v| v.visit_tensor_refs(path, f)),
            Self::Dict(entries) => entries.iter().for_each(|(k, v)| {
                k.visit_tensor_refs(path, f);
                v.visit_tensor_refs(path, f);
            }),
            Self::None | Self::Bool(_) | Self::Int(_) | Self::Float(_) | Self::Str(_) => {}
        }
    }
}

// ---- raw -> domain (validating) ----

fn non_empty(s: String) -> Option<String> {
    if s.is_empty() { None } else { Some(s) }
}

fn depth_check(depth: usize) -> Result<()> {
    if depth > MAX_DEPTH {
        return Err(CodecError::Limit {
            what: "nesting depth",
            limit: MAX_DEPTH as u64,
            found: depth as u64,
        });
    }
    Ok(())
}

impl From<raw::Producer> for Producer {
    fn from(p: raw::Producer) -> Self {
        Self {
            name: p.name,
            version: p.version,
            library: p.library,
            library_version: p.library_version,
        }
    }
}

impl TryFrom<raw::Estimator> for Estimator {
    type Error = CodecError;

    fn try_from(raw: raw::Estimator) -> Result<Self> {
        estimator_from_raw(raw, "estimator", 1)
    }
}

fn estimator_from_raw(raw: raw::Estimator, path: &str, depth: usize) -> Result<Estimator> {
    depth_check(depth)?;
    let params = params_from_raw(raw.params, path)?;
    let attributes = params_from_raw(raw.attributes, path)?;
    let Some(body) = raw.body else {
        return Err(CodecError::UnknownEstimator {
            context: path.to_owned(),
            producer_type: raw.producer_type,
        });
    };
    let body = match body {
        raw::estimator::Body::StandardScaler(s) => Body::StandardScaler(StandardScaler {
            mean: non_empty(s.mean),
            scale: non_empty(s.scale),
            var: non_empty(s.var),
            n_samples_seen: non_empty(s.n_samples_seen),
        }),
        raw::estimator::Body::Linear(l) => {
            let link = match raw::LinearLink::try_from(l.link) {
                Ok(raw::LinearLink::Identity) => LinearLink::Identity,
                Ok(raw::LinearLink::Logistic) => LinearLink::Logistic,
                Ok(raw::LinearLink::OvrLogistic) => LinearLink::OvrLogistic,
                Ok(raw::LinearLink::Softmax) => LinearLink::Softmax,
                Ok(raw::LinearLink::Unspecified) | Err(_) => {
                    return Err(CodecError::model(
                        format!("{path}.linear.link"),
                        format!("link {} is unspecified or unknown", l.link),
                    ));
                }
            };
            let classes = l
                .classes
                .map(|c| labels_from_raw(c, &format!("{path}.linear.classes")))
                .transpose()?;
            if l.coef.is_empty() {
                return Err(CodecError::model(
                    format!("{path}.linear.coef"),
                    "coef must name a tensor",
                ));
            }
            Body::Linear(Linear {
                coef: l.coef,
                intercept: non_empty(l.intercept),
                link,
                classes,
            })
        }
        raw::estimator::Body::TreeEnsemble(t) => {
            Body::TreeEnsemble(tree_from_raw(t, &format!("{path}.tree_ensemble"))?)
        }
        raw::estimator::Body::Boosting(b) => Body::Boosting(boosting_from_raw(*b, path, depth)?),
        raw::estimator::Body::IsolationForest(i) => {
            let context = format!("{path}.isolation_forest");
            let trees = i.trees.ok_or_else(|| {
                CodecError::model(format!("{context}.trees"), "trees are missing")
            })?;
            Body::IsolationForest(IsolationForest {
                trees: tree_from_raw(trees, &format!("{context}.trees"))?,
                denominator: i.denominator,
                offset: i.offset,
            })
        }
        raw::estimator::Body::Normalizer(n) => {
            Body::Normalizer(match raw::NormalizerNorm::try_from(n.norm) {
                Ok(raw::NormalizerNorm::L1) => NormalizerNorm::L1,
                Ok(raw::NormalizerNorm::L2) => NormalizerNorm::L2,
                Ok(raw::NormalizerNorm::Max) => NormalizerNorm::Max,
                Ok(raw::NormalizerNorm::Unspecified) | Err(_) => {
                    return Err(CodecError::model(
                        format!("{path}.normalizer.norm"),
                        format!("{} is not a known norm", n.norm),
                    ));
                }
            })
        }
        raw::estimator::Body::Binarizer(b) => Body::Binarizer(Binarizer {
            threshold: b.threshold,
        }),
        raw::estimator::Body::OneHotEncoder(b) => Body::OneHotEncoder(encoders::one_hot_from_raw(
            b,
            &format!("{path}.one_hot_encoder"),
        )?),
        raw::estimator::Body::OrdinalEncoder(b) => Body::OrdinalEncoder(
            encoders::ordinal_from_raw(b, &format!("{path}.ordinal_encoder"))?,
        ),
        raw::estimator::Body::TargetEncoder(b) => Body::TargetEncoder(encoders::target_from_raw(
            b,
            &format!("{path}.target_encoder"),
        )?),
        raw::estimator::Body::SimpleImputer(s) => Body::SimpleImputer(impute::simple_from_raw(
            s,
            &format!("{path}.simple_imputer"),
        )?),
        raw::estimator::Body::MissingIndicator(m) => Body::MissingIndicator(
            impute::indicator_from_raw(m, &format!("{path}.missing_indicator"))?,
        ),
        raw::estimator::Body::KnnImputer(k) => {
            Body::KnnImputer(impute::knn_from_raw(k, &format!("{path}.knn_imputer"))?)
        }
        raw::estimator::Body::FeatureAffine(a) => Body::FeatureAffine(FeatureAffine {
            sub: non_empty(a.sub),
            div: non_empty(a.div),
            mul: non_empty(a.mul),
            add: non_empty(a.add),
            clip: a.clip.map(|c| (c.lo, c.hi)),
        }),
        raw::estimator::Body::Pipeline(p) => {
            let mut steps = Vec::with_capacity(p.steps.len());
            for step in p.steps {
                let step_path = format!("{path}/steps/{}", step.name);
                let estimator = step
                    .estimator
                    .map(|e| estimator_from_raw(e, &step_path, depth + 1))
                    .transpose()?;
                steps.push(PipelineStep {
                    name: step.name,
                    estimator,
                    passthrough_is_none: step.passthrough_is_none,
                });
            }
            Body::Pipeline(Pipeline { steps })
        }
        raw::estimator::Body::ColumnTransformer(ct) => Body::ColumnTransformer(ColumnTransformer {
            branches: branches_from_raw(ct.branches, path, depth)?,
        }),
        raw::estimator::Body::FeatureUnion(fu) => Body::FeatureUnion(FeatureUnion {
            members: branches_from_raw(fu.members, path, depth)?,
        }),
        raw::estimator::Body::Voting(v) => Body::Voting(voting::voting_from_raw(v, path, depth)?),
        raw::estimator::Body::Stacking(s) => {
            Body::Stacking(stacking::stacking_from_raw(*s, path, depth)?)
        }
        raw::estimator::Body::Calibration(c) => {
            Body::Calibration(calibration::calibration_from_raw(c, path, depth)?)
        }
        raw::estimator::Body::Multiclass(m) => {
            Body::Multiclass(multiclass::multiclass_from_raw(m, path, depth)?)
        }
        raw::estimator::Body::MultiOutput(m) => {
            Body::MultiOutput(multi_output::multi_output_from_raw(m, path, depth)?)
        }
        raw::estimator::Body::TransformedTarget(t) => {
            Body::TransformedTarget(function::transformed_target_from_raw(*t, path, depth)?)
        }
        raw::estimator::Body::FunctionTransformer(f) => {
            Body::FunctionTransformer(function::function_transformer_from_raw(f, path)?)
        }
        raw::estimator::Body::ThresholdClassifier(t) => {
            Body::ThresholdClassifier(threshold::threshold_from_raw(*t, path, depth)?)
        }
        raw::estimator::Body::Bagging(b) => {
            Body::Bagging(ensemble::bagging_from_raw(b, path, depth)?)
        }
        raw::estimator::Body::AdaBoost(a) => {
            Body::AdaBoost(ensemble::ada_boost_from_raw(a, path, depth)?)
        }
    };
    Ok(Estimator {
        producer_type: raw.producer_type,
        params,
        attributes,
        n_features_in: raw.n_features_in,
        feature_names_in: raw.feature_names_in,
        body,
    })
}

fn branches_from_raw(
    raw: Vec<raw::ColumnBranch>,
    path: &str,
    depth: usize,
) -> Result<Vec<ColumnBranch>> {
    let mut out = Vec::with_capacity(raw.len());
    for b in raw {
        let here = format!("{path}/{}", b.name);
        let estimator = b
            .estimator
            .map(|e| estimator_from_raw(e, &here, depth + 1))
            .transpose()?;
        let selection = b
            .selection
            .map(|v| value_from_raw(Some(v), &here, 1))
            .transpose()?;
        out.push(ColumnBranch {
            name: b.name,
            columns: b.columns,
            estimator,
            drop: b.drop,
            weight: b.weight.map(|w| w.value),
            selection,
        });
    }
    Ok(out)
}

fn branches_to_raw(branches: Vec<ColumnBranch>) -> Vec<raw::ColumnBranch> {
    branches
        .into_iter()
        .map(|b| raw::ColumnBranch {
            name: b.name,
            columns: b.columns,
            estimator: b.estimator.map(raw::Estimator::from),
            drop: b.drop,
            weight: b.weight.map(|value| raw::BranchWeight { value }),
            selection: b.selection.map(raw::Value::from),
        })
        .collect()
}

impl TryFrom<raw::InputSchema> for InputSchema {
    type Error = CodecError;

    fn try_from(raw: raw::InputSchema) -> Result<Self> {
        let mut columns = Vec::with_capacity(raw.columns.len());
        for (j, c) in raw.columns.into_iter().enumerate() {
            let kind = match raw::ColumnKind::try_from(c.kind) {
                Ok(raw::ColumnKind::Numeric) => ColumnKind::Numeric,
                Ok(raw::ColumnKind::String) => ColumnKind::String,
                Ok(raw::ColumnKind::Any) => ColumnKind::Any,
                Ok(raw::ColumnKind::Unused) => ColumnKind::Unused,
                Ok(raw::ColumnKind::Unspecified) | Err(_) => {
                    return Err(CodecError::model(
                        format!("input.columns[{j}].kind"),
                        format!("kind {} is unspecified or unknown", c.kind),
                    ));
                }
            };
            columns.push(InputColumn { name: c.name, kind });
        }
        Ok(Self { columns })
    }
}

impl From<InputSchema> for raw::InputSchema {
    fn from(s: InputSchema) -> Self {
        Self {
            columns: s
                .columns
                .into_iter()
                .map(|c| raw::InputColumn {
                    name: c.name,
                    kind: match c.kind {
                        ColumnKind::Numeric => raw::ColumnKind::Numeric,
                        ColumnKind::String => raw::ColumnKind::String,
                        ColumnKind::Any => raw::ColumnKind::Any,
                        ColumnKind::Unused => raw::ColumnKind::Unused,
                    } as i32,
                })
                .collect(),
        }
    }
}

fn params_from_raw(raw: Vec<raw::Param>, path: &str) -> Result<Vec<Param>> {
    raw.into_iter()
        .map(|p| {
            let context = format!("{path}.{}", p.name);
            Ok(Param {
                value: value_from_raw(p.value, &context, 1)?,
                name: p.name,
            })
        })
        .collect()
}

fn value_from_raw(raw: Option<raw::Value>, context: &str, depth: usize) -> Result<Value> {
    use raw::value::Kind;
    depth_check(depth)?;
    let Some(kind) = raw.and_then(|v| v.kind) else {
        return Err(CodecError::model(context, "value has no kind"));
    };
    Ok(match kind {
        Kind::None(_) => Value::None,
        Kind::BoolValue(b) => Value::Bool(b),
        Kind::IntValue(i) => Value::Int(i),
        Kind::FloatValue(f) => Value::Float(f),
        Kind::StringValue(s) => Value::Str(s),
        Kind::ListValue(l) => Value::List {
            items: l
                .items
                .into_iter()
                .map(|v| value_from_raw(Some(v), context, depth + 1))
                .collect::<Result<_>>()?,
            is_tuple: l.is_tuple,
        },
        Kind::DictValue(d) => Value::Dict(
            d.entries
                .into_iter()
                .map(|e| {
                    Ok((
                        value_from_raw(e.key, context, depth + 1)?,
                        value_from_raw(e.value, context, depth + 1)?,
                    ))
                })
                .collect::<Result<_>>()?,
        ),
        Kind::Tensor(name) => Value::Tensor(name),
    })
}

fn tree_from_raw(t: raw::TreeEnsemble, context: &str) -> Result<TreeEnsemble> {
    let input = match raw::TreeInput::try_from(t.input) {
        Ok(raw::TreeInput::F32) => TreeInput::F32,
        Ok(raw::TreeInput::F64) => TreeInput::F64,
        Ok(raw::TreeInput::Unspecified) | Err(_) => {
            return Err(CodecError::model(
                format!("{context}.input"),
                format!("input {} is unspecified or unknown", t.input),
            ));
        }
    };
    let leaf_values = match raw::LeafValues::try_from(t.leaf_values) {
        Ok(raw::LeafValues::Regression) => LeafValues::Regression,
        Ok(raw::LeafValues::Fractions) => LeafValues::Fractions,
        Ok(raw::LeafValues::Counts) => LeafValues::Counts,
        Ok(raw::LeafValues::Unspecified) | Err(_) => {
            return Err(CodecError::model(
                format!("{context}.leaf_values"),
                format!("leaf_values {} is unspecified or unknown", t.leaf_values),
            ));
        }
    };
    let classes = t
        .classes
        .into_iter()
        .map(|c| labels_from_raw(c, &format!("{context}.classes")))
        .collect::<Result<Vec<_>>>()?;
    for (field, name) in [
        ("nodes", &t.nodes),
        ("tree_offsets", &t.tree_offsets),
        ("values", &t.values),
    ] {
        if name.is_empty() {
            return Err(CodecError::model(
                format!("{context}.{field}"),
                format!("{field} must name a tensor"),
            ));
        }
    }
    Ok(TreeEnsemble {
        nodes: t.nodes,
        tree_offsets: t.tree_offsets,
        values: t.values,
        input,
        leaf_values,
        classes,
        impurity: non_empty(t.impurity),
        n_node_samples: non_empty(t.n_node_samples),
        weighted_n_node_samples: non_empty(t.weighted_n_node_samples),
        node_ids: non_empty(t.node_ids),
        values_for_every_node: t.values_for_every_node,
        categories: non_empty(t.categories),
        known_categories: non_empty(t.known_categories),
        categorical_features: non_empty(t.categorical_features),
        category_values: non_empty(t.category_values),
        category_value_offsets: non_empty(t.category_value_offsets),
    })
}

fn boosting_from_raw(b: raw::Boosting, path: &str, depth: usize) -> Result<Boosting> {
    let context = format!("{path}.boosting");
    let trees = b
        .trees
        .ok_or_else(|| CodecError::model(format!("{context}.trees"), "trees are missing"))?;
    let trees = tree_from_raw(trees, &format!("{context}.trees"))?;
    let link = match raw::BoostingLink::try_from(b.link) {
        Ok(raw::BoostingLink::Identity) => BoostingLink::Identity,
        Ok(raw::BoostingLink::Exp) => BoostingLink::Exp,
        Ok(raw::BoostingLink::Logistic) => BoostingLink::Logistic,
        Ok(raw::BoostingLink::HalfLogistic) => BoostingLink::HalfLogistic,
        Ok(raw::BoostingLink::Softmax) => BoostingLink::Softmax,
        Ok(raw::BoostingLink::Logsumexp) => BoostingLink::Logsumexp,
        Ok(raw::BoostingLink::Unspecified) | Err(_) => {
            return Err(CodecError::model(
                format!("{context}.link"),
                format!("link {} is unspecified or unknown", b.link),
            ));
        }
    };
    let decision = match raw::BoostingDecision::try_from(b.decision) {
        Ok(raw::BoostingDecision::Unspecified) => None,
        Ok(raw::BoostingDecision::RawAtLeastZero) => Some(BoostingDecision::RawAtLeastZero),
        Ok(raw::BoostingDecision::RawAboveZero) => Some(BoostingDecision::RawAboveZero),
        Ok(raw::BoostingDecision::ProbaArgmax) => Some(BoostingDecision::ProbaArgmax),
        Err(_) => {
            return Err(CodecError::model(
                format!("{context}.decision"),
                format!("decision {} is unknown", b.decision),
            ));
        }
    };
    let raw_scores = match raw::BoostingRawScores::try_from(b.raw_scores) {
        Ok(raw::BoostingRawScores::Unspecified) => None,
        Ok(raw::BoostingRawScores::Staged) => Some(BoostingRawScores::Staged),
        Ok(raw::BoostingRawScores::Histogram) => Some(BoostingRawScores::Histogram),
        Err(_) => {
            return Err(CodecError::model(
                format!("{context}.raw_scores"),
                format!("raw_scores {} is unknown", b.raw_scores),
            ));
        }
    };
    let init = match b.init {
        None => None,
        Some(e) => {
            let link = match raw::BoostingInitLink::try_from(b.init_link) {
                Ok(raw::BoostingInitLink::Predict) => BoostingInitLink::Predict,
                Ok(raw::BoostingInitLink::Logit) => BoostingInitLink::Logit,
                Ok(raw::BoostingInitLink::HalfLogit) => BoostingInitLink::HalfLogit,
                Ok(raw::BoostingInitLink::Log) => BoostingInitLink::Log,
                Ok(raw::BoostingInitLink::SymmetricLog) => BoostingInitLink::SymmetricLog,
                Ok(raw::BoostingInitLink::LogitLog1p) => BoostingInitLink::LogitLog1p,
                Ok(raw::BoostingInitLink::HalfLogitLog1p) => BoostingInitLink::HalfLogitLog1p,
                Ok(raw::BoostingInitLink::Unspecified) | Err(_) => {
                    return Err(CodecError::model(
                        format!("{context}.init_link"),
                        format!("init_link {} is unspecified or unknown", b.init_link),
                    ));
                }
            };
            let est = estimator_from_raw(*e, &format!("{path}/init"), depth + 1)?;
            Some((Box::new(est), link))
        }
    };
    let classes = b
        .classes
        .map(|c| labels_from_raw(c, &format!("{context}.classes")))
        .transpose()?;
    let preprocessor = b
        .preprocessor
        .map(|e| estimator_from_raw(*e, &format!("{path}/preprocessor"), depth + 1))
        .transpose()?
        .map(Box::new);
    Ok(Boosting {
        trees,
        n_columns: b.n_columns,
        scale: b.scale,
        baseline: non_empty(b.baseline),
        init,
        init_eps: b.init_eps,
        link,
        classes,
        decision,
        preprocessor,
        raw_scores,
    })
}

fn labels_from_raw(raw: raw::Labels, context: &str) -> Result<Labels> {
    use raw::labels::Kind;
    match raw.kind {
        Some(Kind::Ints(v)) => Ok(Labels::Int(v.values)),
        Some(Kind::Floats(v)) => Ok(Labels::Float(v.values)),
        Some(Kind::Strings(v)) => Ok(Labels::Str(v.values)),
        None => Err(CodecError::model(context, "labels have no kind")),
    }
}

// ---- domain -> raw (infallible) ----

impl From<Producer> for raw::Producer {
    fn from(p: Producer) -> Self {
        Self {
            name: p.name,
            version: p.version,
            library: p.library,
            library_version: p.library_version,
        }
    }
}

impl From<TensorInfo> for raw::TensorInfo {
    fn from(t: TensorInfo) -> Self {
        Self {
            name: t.name,
            dtype: raw::DType::from(t.dtype) as i32,
            shape: t.shape,
            offset: t.offset,
            length: t.length,
            crc32: t.crc32,
        }
    }
}

impl From<Estimator> for raw::Estimator {
    fn from(e: Estimator) -> Self {
        let body = match e.body {
            Body::StandardScaler(s) => raw::estimator::Body::StandardScaler(raw::StandardScaler {
                mean: s.mean.unwrap_or_default(),
                scale: s.scale.unwrap_or_default(),
                var: s.var.unwrap_or_default(),
                n_samples_seen: s.n_samples_seen.unwrap_or_default(),
            }),
            Body::Linear(l) => raw::estimator::Body::Linear(raw::Linear {
                coef: l.coef,
                intercept: l.intercept.unwrap_or_default(),
                link: match l.link {
                    LinearLink::Identity => raw::LinearLink::Identity,
                    LinearLink::Logistic => raw::LinearLink::Logistic,
                    LinearLink::OvrLogistic => raw::LinearLink::OvrLogistic,
                    LinearLink::Softmax => raw::LinearLink::Softmax,
                } as i32,
                classes: l.classes.map(raw::Labels::from),
            }),
            Body::TreeEnsemble(t) => raw::estimator::Body::TreeEnsemble(t.into()),
            Body::Boosting(b) => {
                let (init, init_link) = match b.init {
                    None => (None, raw::BoostingInitLink::Unspecified),
                    Some((e, link)) => (
                        Some(Box::new(raw::Estimator::from(*e))),
                        match link {
                            BoostingInitLink::Predict => raw::BoostingInitLink::Predict,
                            BoostingInitLink::Logit => raw::BoostingInitLink::Logit,
                            BoostingInitLink::HalfLogit => raw::BoostingInitLink::HalfLogit,
                            BoostingInitLink::Log => raw::BoostingInitLink::Log,
                            BoostingInitLink::SymmetricLog => raw::BoostingInitLink::SymmetricLog,
                            BoostingInitLink::LogitLog1p => raw::BoostingInitLink::LogitLog1p,
                            BoostingInitLink::HalfLogitLog1p => {
                                raw::BoostingInitLink::HalfLogitLog1p
                            }
                        },
                    ),
                };
                raw::estimator::Body::Boosting(Box::new(raw::Boosting {
                    trees: Some(b.trees.into()),
                    n_columns: b.n_columns,
                    scale: b.scale,
                    baseline: b.baseline.unwrap_or_default(),
                    init,
                    init_link: init_link as i32,
                    link: match b.link {
                        BoostingLink::Identity => raw::BoostingLink::Identity,
                        BoostingLink::Exp => raw::BoostingLink::Exp,
                        BoostingLink::Logistic => raw::BoostingLink::Logistic,
                        BoostingLink::HalfLogistic => raw::BoostingLink::HalfLogistic,
                        BoostingLink::Softmax => raw::BoostingLink::Softmax,
                        BoostingLink::Logsumexp => raw::BoostingLink::Logsumexp,
                    } as i32,
                    classes: b.classes.map(raw::Labels::from),
                    decision: match b.decision {
                        None => raw::BoostingDecision::Unspecified,
                        Some(BoostingDecision::RawAtLeastZero) => {
                            raw::BoostingDecision::RawAtLeastZero
                        }
                        Some(BoostingDecision::RawAboveZero) => raw::BoostingDecision::RawAboveZero,
                        Some(BoostingDecision::ProbaArgmax) => raw::BoostingDecision::ProbaArgmax,
                    } as i32,
                    init_eps: b.init_eps,
                    preprocessor: b.preprocessor.map(|e| Box::new(raw::Estimator::from(*e))),
                    raw_scores: match b.raw_scores {
                        None => raw::BoostingRawScores::Unspecified,
                        Some(BoostingRawScores::Staged) => raw::BoostingRawScores::Staged,
                        Some(BoostingRawScores::Histogram) => raw::BoostingRawScores::Histogram,
                    } as i32,
                }))
            }
            Body::IsolationForest(i) => {
                raw::estimator::Body::IsolationForest(raw::IsolationForest {
                    trees: Some(i.trees.into()),
                    denominator: i.denominator,
                    offset: i.offset,
                })
            }
            Body::Normalizer(n) => raw::estimator::Body::Normalizer(raw::Normalizer {
                norm: match n {
                    NormalizerNorm::L1 => raw::NormalizerNorm::L1,
                    NormalizerNorm::L2 => raw::NormalizerNorm::L2,
                    NormalizerNorm::Max => raw::NormalizerNorm::Max,
                } as i32,
            }),
            Body::Binarizer(b) => raw::estimator::Body::Binarizer(raw::Binarizer {
                threshold: b.threshold,
            }),
            Body::OneHotEncoder(b) => {
                raw::estimator::Body::OneHotEncoder(encoders::one_hot_to_raw(b))
            }
            Body::OrdinalEncoder(b) => {
                raw::estimator::Body::OrdinalEncoder(encoders::ordinal_to_raw(b))
            }
            Body::TargetEncoder(b) => {
                raw::estimator::Body::TargetEncoder(encoders::target_to_raw(b))
            }
            Body::SimpleImputer(s) => raw::estimator::Body::SimpleImputer(impute::simple_to_raw(s)),
            Body::MissingIndicator(m) => {
                raw::estimator::Body::MissingIndicator(impute::indicator_to_raw(m))
            }
            Body::KnnImputer(k) => raw::estimator::Body::KnnImputer(impute::knn_to_raw(k)),
            Body::FeatureAffine(a) => raw::estimator::Body::FeatureAffine(raw::FeatureAffine {
                sub: a.sub.unwrap_or_default(),
                div: a.div.unwrap_or_default(),
                mul: a.mul.unwrap_or_default(),
                add: a.add.unwrap_or_default(),
                clip: a.clip.map(|(lo, hi)| raw::Clip { lo, hi }),
            }),
            Body::ColumnTransformer(ct) => {
                raw::estimator::Body::ColumnTransformer(raw::ColumnTransformer {
                    branches: branches_to_raw(ct.branches),
                })
            }
            Body::FeatureUnion(fu) => raw::estimator::Body::FeatureUnion(raw::FeatureUnion {
                members: branches_to_raw(fu.members),
            }),
            Body::Voting(v) => raw::estimator::Body::Voting(voting::voting_to_raw(v)),
            Body::Stacking(s) => {
                raw::estimator::Body::Stacking(Box::new(stacking::stacking_to_raw(s)))
            }
            Body::Calibration(c) => {
                raw::estimator::Body::Calibration(calibration::calibration_to_raw(c))
            }
            Body::Multiclass(m) => {
                raw::estimator::Body::Multiclass(multiclass::multiclass_to_raw(m))
            }
            Body::MultiOutput(m) => {
                raw::estimator::Body::MultiOutput(multi_output::multi_output_to_raw(m))
            }
            Body::TransformedTarget(t) => raw::estimator::Body::TransformedTarget(Box::new(
                function::transformed_target_to_raw(t),
            )),
            Body::FunctionTransformer(f) => {
                raw::estimator::Body::FunctionTransformer(function::function_transformer_to_raw(f))
            }
            Body::ThresholdClassifier(t) => {
                raw::estimator::Body::ThresholdClassifier(Box::new(threshold::threshold_to_raw(t)))
            }
            Body::Bagging(b) => raw::estimator::Body::Bagging(ensemble::bagging_to_raw(b)),
            Body::AdaBoost(a) => raw::estimator::Body::AdaBoost(ensemble::ada_boost_to_raw(a)),
            Body::Pipeline(p) => raw::estimator::Body::Pipeline(raw::Pipeline {
                steps: p
                    .steps
                    .into_iter()
                    .map(|s| raw::PipelineStep {
                        name: s.name,
                        estimator: s.estimator.map(raw::Estimator::from),
                        passthrough_is_none: s.passthrough_is_none,
                    })
                    .collect(),
            }),
        };
        Self {
            producer_type: e.producer_type,
            params: e.params.into_iter().map(raw::Param::from).collect(),
            attributes: e.attributes.into_iter().map(raw::Param::from).collect(),
            n_features_in: e.n_features_in,
            feature_names_in: e.feature_names_in,
            body: Some(body),
        }
    }
}

impl From<TreeEnsemble> for raw::TreeEnsemble {
    fn from(t: TreeEnsemble) -> Self {
        Self {
            nodes: t.nodes,
            tree_offsets: t.tree_offsets,
            values: t.values,
            input: match t.input {
                TreeInput::F32 => raw::TreeInput::F32,
                TreeInput::F64 => raw::TreeInput::F64,
            } as i32,
            leaf_values: match t.leaf_values {
                LeafValues::Regression => raw::LeafValues::Regression,
                LeafValues::Fractions => raw::LeafValues::Fractions,
                LeafValues::Counts => raw::LeafValues::Counts,
            } as i32,
            classes: t.classes.into_iter().map(raw::Labels::from).collect(),
            impurity: t.impurity.unwrap_or_default(),
            n_node_samples: t.n_node_samples.unwrap_or_default(),
            weighted_n_node_samples: t.weighted_n_node_samples.unwrap_or_default(),
            node_ids: t.node_ids.unwrap_or_default(),
            values_for_every_node: t.values_for_every_node,
            categories: t.categories.unwrap_or_default(),
            known_categories: t.known_categories.unwrap_or_default(),
            categorical_features: t.categorical_features.unwrap_or_default(),
            category_values: t.category_values.unwrap_or_default(),
            category_value_offsets: t.category_value_offsets.unwrap_or_default(),
        }
    }
}

impl From<Param> for raw::Param {
    fn from(p: Param) -> Self {
        Self {
            name: p.name,
            value: Some(p.value.into()),
        }
    }
}

impl From<Value> for raw::Value {
    fn from(v: Value) -> Self {
        use raw::value::Kind;
        let kind = match v {
            Value::None => Kind::None(raw::NoneValue {}),
            Value::Bool(b) => Kind::BoolValue(b),
            Value::Int(i) => Kind::IntValue(i),
            Value::Float(f) => Kind::FloatValue(f),
            Value::Str(s) => Kind::StringValue(s),
            Value::List { items, is_tuple } => Kind::ListValue(raw::ValueList {
                items: items.into_iter().map(raw::Value::from).collect(),
                is_tuple,
            }),
            Value::Dict(entries) => Kind::DictValue(raw::ValueDict {
                entries: entries
                    .into_iter()
                    .map(|(k, v)| raw::ValuePair {
                        key: Some(k.into()),
                        value: Some(v.into()),
                    })
                    .collect(),
            }),
            Value::Tensor(name) => Kind::Tensor(name),
        };
        Self { kind: Some(kind) }
    }
}

impl From<Labels> for raw::Labels {
    fn from(l: Labels) -> Self {
        use raw::labels::Kind;
        let kind = match l {
            Labels::Int(values) => Kind::Ints(raw::IntLabels { values }),
            Labels::Float(values) => Kind::Floats(raw::FloatLabels { values }),
            Labels::Str(values) => Kind::Strings(raw::StringLabels { values }),
        };
        Self { kind: Some(kind) }
    }
}
