//! `amber inspect`: what a file holds, for humans or as a stable JSON document.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io;
use std::path::Path;

use amber_codec::model::{
    AdaBoostAlgorithm, Boosting, BoostingDecision, BoostingInitLink, BoostingLink, ThresholdScore,
};
use amber_codec::model::{
    BinaryScore, Body, Calibration, CalibrationResponse, Calibrator, Categories, CategoryKind,
    ChainMethod, ColumnBranch, ColumnKind, ElementwiseFunction, Estimator, ImputerFill, KnnWeights,
    Labels, LeafValues, LinearLink, MissingValue, MultiOutput, MultiOutputKind, Multiclass,
    MulticlassMember, MulticlassStrategy, MulticlassTies, NormalizerNorm, OneHotUnknown,
    OrdinalUnknown, Param, StackMethod, TensorInfo, TreeEnsemble, TreeInput, Value, VotingRule,
};
use amber_codec::{Container, DType, FileBytes};
use serde::Serialize;

/// Version of the JSON document's layout; bumped on any incompatible change.
pub const JSON_VERSION: u32 = 1;

/// The JSON document `amber inspect --json` prints. Field order is fixed; see `--help`.
#[derive(Debug, Serialize)]
pub struct Report {
    /// [`JSON_VERSION`].
    pub inspect_version: u32,
    /// The path as given.
    pub file: String,
    /// File size in bytes.
    pub file_bytes: u64,
    /// SHA-256 of the whole file, lowercase hex: the model's stable identity (canonical bytes,
    /// `spec/format.md` §4), the digest `sha256sum` and `model_signing` compute.
    pub sha256: String,
    /// `"major.minor"`.
    pub format_version: String,
    /// Required features (empty in format 1.0).
    pub required_features: Vec<String>,
    /// Who wrote the file.
    pub producer: ProducerReport,
    /// Methods the Rust runtime offers for this model, or `null` when it refused the model.
    pub methods: Option<Vec<String>>,
    /// Why the runtime refused the model (`{"code", "message"}`), else `null`.
    pub model_error: Option<ModelError>,
    /// The input schema (`spec/format.md` §7): `[{"name", "kind"}]`, kinds `numeric`,
    /// `string`, `any`, `unused`; `null` when the file has none (every column numeric).
    pub input: Option<Vec<InputColumnReport>>,
    /// The root estimator.
    pub estimator: EstimatorReport,
    /// The tensor table in file order.
    pub tensors: Vec<TensorReport>,
}

/// One input column of the schema.
#[derive(Debug, Serialize)]
pub struct InputColumnReport {
    name: String,
    kind: &'static str,
}

/// A branch of a `ColumnTransformer` or member of a `FeatureUnion`.
#[derive(Debug, Serialize)]
pub struct BranchReport {
    name: String,
    /// Input column indices (empty for a `FeatureUnion` member: every column).
    columns: Vec<u64>,
    /// `estimator`, `passthrough` or `drop`.
    action: &'static str,
    weight: Option<f64>,
    /// A `Stacking` member's stack method (`predict`, `predict_proba`,
    /// `decision_function`; null for a dropped member); absent elsewhere.
    #[serde(skip_serializing_if = "Option::is_none")]
    stack_method: Option<Option<&'static str>>,
    estimator: Option<EstimatorReport>,
}

/// The producer record.
#[derive(Debug, Serialize)]
pub struct ProducerReport {
    name: String,
    version: String,
    library: String,
    library_version: String,
}

/// A runtime refusal.
#[derive(Debug, Serialize)]
pub struct ModelError {
    code: String,
    message: String,
}

/// One estimator of the tree.
#[derive(Debug, Serialize)]
pub struct EstimatorReport {
    producer_type: String,
    /// The manifest's oneof name of the body (`linear`, `boosting`, ...; `body_kind`).
    body: &'static str,
    n_features_in: u64,
    feature_names_in: Vec<String>,
    params: Vec<ParamReport>,
    attributes: Vec<ParamReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    standard_scaler: Option<ScalerReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    linear: Option<LinearReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pipeline: Option<PipelineReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tree_ensemble: Option<TreeReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    boosting: Option<BoostingReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    isolation_forest: Option<IsolationForestReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    feature_affine: Option<FeatureAffineReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    binarizer: Option<BinarizerReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    normalizer: Option<NormalizerReport>,
    /// `simple_imputer`, `missing_indicator`, `knn_imputer` bodies.
    #[serde(skip_serializing_if = "Option::is_none")]
    imputer: Option<ImputerReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    one_hot_encoder: Option<EncoderReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ordinal_encoder: Option<EncoderReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    target_encoder: Option<EncoderReport>,
    /// `ColumnTransformer` branches or `FeatureUnion` members.
    #[serde(skip_serializing_if = "Option::is_none")]
    branches: Option<Vec<BranchReport>>,
    /// A `Boosting` body's preprocessor (categories coded before the trees).
    #[serde(skip_serializing_if = "Option::is_none")]
    preprocessor: Option<Box<EstimatorReport>>,
    /// A `Voting` body's rule and classes (its members are in `branches`).
    #[serde(skip_serializing_if = "Option::is_none")]
    voting: Option<VotingReport>,
    /// A `Stacking` body's final estimator, passthrough and classes (its members are in
    /// `branches`).
    #[serde(skip_serializing_if = "Option::is_none")]
    stacking: Option<StackingReport>,
    /// A `Calibration` body's classes and calibrated classifiers.
    #[serde(skip_serializing_if = "Option::is_none")]
    calibration: Option<CalibrationReport>,
    /// A `Multiclass` body's strategy, classes and members.
    #[serde(skip_serializing_if = "Option::is_none")]
    multiclass: Option<MulticlassReport>,
    /// A `MultiOutput` body's class, chain and members.
    #[serde(skip_serializing_if = "Option::is_none")]
    multi_output: Option<MultiOutputReport>,
    /// A `TransformedTarget` body's regressor and transformer.
    #[serde(skip_serializing_if = "Option::is_none")]
    transformed_target: Option<TransformedTargetReport>,
    /// A `FunctionTransformer` body's functions.
    #[serde(skip_serializing_if = "Option::is_none")]
    function_transformer: Option<FunctionTransformerReport>,
    /// A `ThresholdClassifier` body's score, positive class, threshold and estimator.
    #[serde(skip_serializing_if = "Option::is_none")]
    threshold_classifier: Option<ThresholdReport>,
    /// A `Bagging` body's classes and members with their features.
    #[serde(skip_serializing_if = "Option::is_none")]
    bagging: Option<BaggingReport>,
    /// An `AdaBoost` body's algorithm, classes, weights and members.
    #[serde(skip_serializing_if = "Option::is_none")]
    ada_boost: Option<AdaBoostReport>,
}

/// A `Bagging` body (`BaggingClassifier`, `BaggingRegressor`).
#[derive(Debug, Serialize)]
pub struct BaggingReport {
    classes: Option<ClassesReport>,
    members: Vec<BaggingMemberReport>,
}

/// One `Bagging` member: the input columns it reads and the estimator.
#[derive(Debug, Serialize)]
pub struct BaggingMemberReport {
    features: Vec<u64>,
    estimator: EstimatorReport,
}

/// An `AdaBoost` body (`AdaBoostClassifier`, `AdaBoostRegressor`).
#[derive(Debug, Serialize)]
pub struct AdaBoostReport {
    /// `samme`, `samme_r`, or null for a regressor (weighted median).
    algorithm: Option<&'static str>,
    classes: Option<ClassesReport>,
    /// The `estimator_weights_` tensor.
    weights: String,
    members: Vec<EstimatorReport>,
}

/// A `ThresholdClassifier` body (`FixedThresholdClassifier`, `TunedThresholdClassifierCV`).
#[derive(Debug, Serialize)]
pub struct ThresholdReport {
    /// `predict_proba` or `decision_function`.
    score: &'static str,
    /// The positive class's index in the estimator's classes.
    positive: u32,
    threshold: f64,
    estimator: Box<EstimatorReport>,
}

/// A `TransformedTarget` body (`TransformedTargetRegressor`).
#[derive(Debug, Serialize)]
pub struct TransformedTargetReport {
    squeeze: bool,
    regressor: Box<EstimatorReport>,
    transformer: Box<EstimatorReport>,
}

/// A `FunctionTransformer` body: numpy's names of its functions (`None` for the identity).
#[derive(Debug, Serialize)]
pub struct FunctionTransformerReport {
    func: &'static str,
    inverse_func: &'static str,
    validate: bool,
}

/// A `MultiOutput` body (`MultiOutputClassifier`, `MultiOutputRegressor`,
/// `ClassifierChain`, `RegressorChain`).
#[derive(Debug, Serialize)]
pub struct MultiOutputReport {
    /// `classifier`, `regressor`, `classifier_chain` or `regressor_chain`.
    kind: &'static str,
    /// Chains: the output each member predicts.
    #[serde(skip_serializing_if = "Option::is_none")]
    order: Option<Vec<u64>>,
    /// Chains: `predict`, `predict_proba`, `predict_log_proba` or `decision_function`.
    #[serde(skip_serializing_if = "Option::is_none")]
    chain_method: Option<&'static str>,
    members: Vec<EstimatorReport>,
}

/// A `Multiclass` body (`OneVsRestClassifier`, `OneVsOneClassifier`,
/// `OutputCodeClassifier`).
#[derive(Debug, Serialize)]
pub struct MulticlassReport {
    /// `one_vs_rest`, `one_vs_one` or `output_code`.
    strategy: &'static str,
    classes: ClassesReport,
    multilabel: bool,
    threshold: f64,
    /// One-vs-rest: `first` or `last`.
    ties: Option<&'static str>,
    /// Output code: the code book tensor.
    code_book: Option<String>,
    members: Vec<MulticlassMemberReport>,
}

/// One member of a `Multiclass` body.
#[derive(Debug, Serialize)]
pub struct MulticlassMemberReport {
    /// `decision_function`, `predict_proba`, `predict` or `constant`.
    score: &'static str,
    /// A constant member's label.
    #[serde(skip_serializing_if = "Option::is_none")]
    constant: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    estimator: Option<EstimatorReport>,
}

/// A `Calibration` body (`CalibratedClassifierCV`).
#[derive(Debug, Serialize)]
pub struct CalibrationReport {
    classes: ClassesReport,
    classifiers: Vec<CalibratedReport>,
}

/// One calibrated classifier.
#[derive(Debug, Serialize)]
pub struct CalibratedReport {
    /// `decision_function` or `predict_proba`.
    response: &'static str,
    class_indices: Vec<u64>,
    calibrators: Vec<CalibratorReport>,
    estimator: EstimatorReport,
}

/// One calibrator: `sigmoid` with `a`, `b`, or `isotonic` with its threshold tensors.
#[derive(Debug, Serialize)]
pub struct CalibratorReport {
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    a: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    b: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    x_thresholds: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    y_thresholds: Option<String>,
}

/// A `Stacking` body (`StackingClassifier`, `StackingRegressor`).
#[derive(Debug, Serialize)]
pub struct StackingReport {
    passthrough: bool,
    classes: Option<ClassesReport>,
    final_estimator: Box<EstimatorReport>,
}

/// A `Voting` body (`VotingClassifier`, `VotingRegressor`).
#[derive(Debug, Serialize)]
pub struct VotingReport {
    /// `hard`, `soft` or `mean`.
    rule: &'static str,
    classes: Option<ClassesReport>,
    flatten_transform: bool,
}

/// An encoder body (one-hot, ordinal, target): the unknown rule, the output dtype, each
/// column.
#[derive(Debug, Serialize)]
pub struct EncoderReport {
    /// One-hot: `error`, `zeros` or `infrequent`; ordinal: `error` or `value`; target:
    /// `target_mean`.
    unknown: &'static str,
    /// Target: the values an unknown category gives, one per output of a column.
    #[serde(skip_serializing_if = "Option::is_none")]
    target_mean: Option<Vec<f64>>,
    /// Ordinal with `value`: what an unknown category becomes (null otherwise).
    unknown_value: Option<f64>,
    /// Ordinal: what the NaN category becomes (null for one-hot).
    encoded_missing_value: Option<f64>,
    dtype: String,
    columns: Vec<EncoderColumnReport>,
}

/// One input column of an encoder.
#[derive(Debug, Serialize)]
pub struct EncoderColumnReport {
    /// `numeric` or `string`.
    kind: &'static str,
    /// Categories, None's and NaN's included.
    n_categories: usize,
    has_none: bool,
    has_nan: bool,
    /// Categories in the infrequent group.
    n_infrequent: usize,
    /// One-hot: the dropped grouped output, or null.
    drop: Option<u32>,
}

fn encoder_column(c: &Categories, infrequent: &[u32], drop: Option<u32>) -> EncoderColumnReport {
    EncoderColumnReport {
        kind: match c.kind {
            CategoryKind::Numeric => "numeric",
            CategoryKind::String => "string",
        },
        n_categories: c.len(),
        has_none: c.has_none,
        has_nan: c.has_nan,
        n_infrequent: infrequent.len(),
        drop,
    }
}

/// An imputer body (spec/estimators.md section 18).
#[derive(Debug, Serialize)]
pub struct ImputerReport {
    /// `nan`, `none`, a number or a quoted string.
    missing_values: String,
    /// SimpleImputer: the fills (numbers, quoted strings); empty otherwise.
    fills: Vec<String>,
    /// SimpleImputer: columns without a statistic are kept (`keep_nan_fills`); KNN:
    /// `keep_empty_features`.
    keep_empty: bool,
    /// The indicator's `features` tensor (MissingIndicator's own, or `add_indicator`'s).
    indicator_features: Option<String>,
    /// MissingIndicator: `error_on_new`.
    error_on_new: bool,
    /// KnnImputer: `n_neighbors`, `weights` (`uniform`, `distance`, `uniform_all`) and
    /// the training rows' tensor.
    n_neighbors: Option<u64>,
    weights: Option<&'static str>,
    fit_x: Option<String>,
}

fn missing_text(m: &MissingValue) -> String {
    match m {
        MissingValue::Nan => "nan".into(),
        MissingValue::None => "none".into(),
        MissingValue::Number(v) => format!("{v:?}"),
        MissingValue::Integer(v) => format!("{v}"),
        MissingValue::Text(t) => format!("{t:?}"),
    }
}

fn imputer_report(body: &Body) -> Option<ImputerReport> {
    let mut r = ImputerReport {
        missing_values: String::new(),
        fills: Vec::new(),
        keep_empty: false,
        indicator_features: None,
        error_on_new: false,
        n_neighbors: None,
        weights: None,
        fit_x: None,
    };
    match body {
        Body::SimpleImputer(s) => {
            r.missing_values = missing_text(&s.missing_values);
            r.fills = s
                .fills
                .iter()
                .map(|f| match f {
                    ImputerFill::Number(v) => format!("{v:?}"),
                    ImputerFill::Integer(v) => format!("{v}"),
                    ImputerFill::Text(t) => format!("{t:?}"),
                })
                .collect();
            r.keep_empty = s.keep_nan_fills;
            r.indicator_features = s.indicator.as_ref().and_then(|i| i.features.clone());
        }
        Body::MissingIndicator(m) => {
            r.missing_values = missing_text(&m.missing_values);
            r.indicator_features = m.features.clone();
            r.error_on_new = m.error_on_new;
        }
        Body::KnnImputer(k) => {
            r.missing_values = missing_text(&k.missing_values);
            r.keep_empty = k.keep_empty_features;
            r.indicator_features = k.indicator.as_ref().and_then(|i| i.features.clone());
            r.n_neighbors = Some(k.n_neighbors);
            r.weights = Some(match k.weights {
                KnnWeights::Uniform => "uniform",
                KnnWeights::Distance => "distance",
                KnnWeights::UniformAll => "uniform_all",
            });
            r.fit_x = Some(k.fit_x.clone());
        }
        _ => return None,
    }
    Some(r)
}

/// A normalizer body: its norm.
#[derive(Debug, Serialize)]
pub struct NormalizerReport {
    /// `l1`, `l2` or `max`.
    norm: &'static str,
}

/// A binarizer body: its threshold.
#[derive(Debug, Serialize)]
pub struct BinarizerReport {
    threshold: f64,
}

/// A per-feature affine body: tensor names (null when a step is absent) and the clip range.
#[derive(Debug, Serialize)]
pub struct FeatureAffineReport {
    sub: Option<String>,
    div: Option<String>,
    mul: Option<String>,
    add: Option<String>,
    /// `[lo, hi]`, or null when the output is not clipped.
    clip: Option<[f64; 2]>,
}

/// A boosting body (`GradientBoosting*`, `HistGradientBoosting*`): its trees, how their
/// leaves add up to raw scores, where the raw scores start and how they become predictions.
#[derive(Debug, Serialize)]
pub struct BoostingReport {
    trees: TreeReport,
    n_columns: u32,
    scale: f64,
    /// The starting raw values' tensor, or null when `init` gives them.
    baseline: Option<String>,
    /// The init estimator, or null.
    init: Option<Box<EstimatorReport>>,
    /// How the init's output becomes raw values (`init_link_name`), or null.
    init_link: Option<&'static str>,
    init_eps: f64,
    /// `boosting_link_name`.
    link: &'static str,
    classes: Option<ClassesReport>,
    /// `raw_at_least_zero`, `raw_above_zero`, `proba_argmax`, or null for a regressor.
    decision: Option<&'static str>,
}

fn boosting_report(b: &Boosting) -> BoostingReport {
    BoostingReport {
        trees: tree_report(&b.trees),
        n_columns: b.n_columns,
        scale: b.scale,
        baseline: b.baseline.clone(),
        init: b.init.as_ref().map(|(e, _)| Box::new(estimator_report(e))),
        init_link: b.init.as_ref().map(|(_, link)| init_link_name(*link)),
        init_eps: b.init_eps,
        link: boosting_link_name(b.link),
        classes: b.classes.as_ref().map(classes_report),
        decision: b.decision.map(|d| match d {
            BoostingDecision::RawAtLeastZero => "raw_at_least_zero",
            BoostingDecision::RawAboveZero => "raw_above_zero",
            BoostingDecision::ProbaArgmax => "proba_argmax",
        }),
    }
}

/// The proto's `BoostingInitLink` names, lowercase without the prefix.
fn init_link_name(link: BoostingInitLink) -> &'static str {
    match link {
        BoostingInitLink::Predict => "predict",
        BoostingInitLink::Logit => "logit",
        BoostingInitLink::HalfLogit => "half_logit",
        BoostingInitLink::Log => "log",
        BoostingInitLink::SymmetricLog => "symmetric_log",
        BoostingInitLink::LogitLog1p => "logit_log1p",
        BoostingInitLink::HalfLogitLog1p => "half_logit_log1p",
    }
}

/// The proto's `BoostingLink` names, lowercase without the prefix.
fn boosting_link_name(link: BoostingLink) -> &'static str {
    match link {
        BoostingLink::Identity => "identity",
        BoostingLink::Exp => "exp",
        BoostingLink::Logistic => "logistic",
        BoostingLink::HalfLogistic => "half_logistic",
        BoostingLink::Softmax => "softmax",
        BoostingLink::Logsumexp => "logsumexp",
    }
}

/// An isolation forest body: its trees, the denominator and the offset.
#[derive(Debug, Serialize)]
pub struct IsolationForestReport {
    trees: TreeReport,
    denominator: f64,
    offset: f64,
}

/// A tree ensemble body: tensor names, the comparison, the kind of leaf values, the classes.
#[derive(Debug, Serialize)]
pub struct TreeReport {
    nodes: String,
    tree_offsets: String,
    values: String,
    /// `f32` or `f64`.
    input: &'static str,
    /// `regression`, `fractions` or `counts`.
    leaf_values: &'static str,
    /// One entry per output (classifiers); empty for regressors.
    classes: Vec<ClassesReport>,
    impurity: Option<String>,
    n_node_samples: Option<String>,
    weighted_n_node_samples: Option<String>,
    node_ids: Option<String>,
    values_for_every_node: bool,
}

/// A named value.
#[derive(Debug, Serialize)]
pub struct ParamReport {
    name: String,
    value: serde_json::Value,
}

/// A standard scaler body: tensor names.
#[derive(Debug, Serialize)]
pub struct ScalerReport {
    mean: Option<String>,
    scale: Option<String>,
    var: Option<String>,
    n_samples_seen: Option<String>,
}

/// A linear body.
#[derive(Debug, Serialize)]
pub struct LinearReport {
    coef: String,
    intercept: Option<String>,
    /// `identity`, `logistic`, `ovr_logistic`, `softmax`.
    link: &'static str,
    classes: Option<ClassesReport>,
}

/// Class labels.
#[derive(Debug, Serialize)]
pub struct ClassesReport {
    /// `int`, `float` or `str`.
    kind: &'static str,
    values: serde_json::Value,
}

/// A pipeline body.
#[derive(Debug, Serialize)]
pub struct PipelineReport {
    steps: Vec<StepReport>,
}

/// One step.
#[derive(Debug, Serialize)]
pub struct StepReport {
    name: String,
    passthrough: bool,
    passthrough_is_none: bool,
    estimator: Option<EstimatorReport>,
}

/// One tensor table entry.
#[derive(Debug, Serialize)]
pub struct TensorReport {
    name: String,
    dtype: &'static str,
    shape: Vec<u64>,
    /// Offset from the start of the data section.
    offset: u64,
    /// Byte length.
    bytes: u64,
    /// `0x%08x`.
    crc32: String,
}

impl Report {
    /// Builds the report. `model_check` is the runtime's verdict on the model, for `methods`.
    pub fn new(
        file: &Path,
        container: &Container<FileBytes>,
        model_check: Result<Vec<String>, (String, String)>,
    ) -> Self {
        let manifest = container.manifest();
        let (major, minor) = container.version();
        let p = &manifest.producer;
        let (methods, model_error) = match model_check {
            Ok(m) => (Some(m), None),
            Err((code, message)) => (None, Some(ModelError { code, message })),
        };
        Self {
            inspect_version: JSON_VERSION,
            file: file.display().to_string(),
            file_bytes: container.bytes().len() as u64,
            sha256: sha256_hex(container.bytes()),
            format_version: format!("{major}.{minor}"),
            required_features: manifest.required_features.clone(),
            producer: ProducerReport {
                name: p.name.clone(),
                version: p.version.clone(),
                library: p.library.clone(),
                library_version: p.library_version.clone(),
            },
            methods,
            model_error,
            input: manifest.input.as_ref().map(|s| {
                s.columns
                    .iter()
                    .map(|c| InputColumnReport {
                        name: c.name.clone(),
                        kind: kind_name(c.kind),
                    })
                    .collect()
            }),
            estimator: estimator_report(&manifest.estimator),
            tensors: manifest.tensors.iter().map(tensor_report).collect(),
        }
    }
}

/// SHA-256 of `bytes` in lowercase hex, as `sha256sum` prints it.
fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes)
        .iter()
        .fold(String::with_capacity(64), |mut hex, b| {
            let _ = write!(hex, "{b:02x}");
            hex
        })
}

fn kind_name(k: ColumnKind) -> &'static str {
    match k {
        ColumnKind::Numeric => "numeric",
        ColumnKind::String => "string",
        ColumnKind::Any => "any",
        ColumnKind::Unused => "unused",
    }
}

fn branch_reports(branches: &[ColumnBranch]) -> Vec<BranchReport> {
    branches
        .iter()
        .map(|b| BranchReport {
            name: b.name.clone(),
            columns: b.columns.clone(),
            action: match (&b.estimator, b.drop) {
                (Some(_), _) => "estimator",
                (None, true) => "drop",
                (None, false) => "passthrough",
            },
            weight: b.weight,
            stack_method: None,
            estimator: b.estimator.as_ref().map(estimator_report),
        })
        .collect()
}

fn body_kind(body: &Body) -> &'static str {
    match body {
        Body::StandardScaler(_) => "standard_scaler",
        Body::Linear(_) => "linear",
        Body::Pipeline(_) => "pipeline",
        Body::TreeEnsemble(_) => "tree_ensemble",
        Body::IsolationForest(_) => "isolation_forest",
        Body::FeatureAffine(_) => "feature_affine",
        Body::Binarizer(_) => "binarizer",
        Body::Normalizer(_) => "normalizer",
        Body::SimpleImputer(_) => "simple_imputer",
        Body::MissingIndicator(_) => "missing_indicator",
        Body::KnnImputer(_) => "knn_imputer",
        Body::OneHotEncoder(_) => "one_hot_encoder",
        Body::OrdinalEncoder(_) => "ordinal_encoder",
        Body::TargetEncoder(_) => "target_encoder",
        Body::ColumnTransformer(_) => "column_transformer",
        Body::FeatureUnion(_) => "feature_union",
        Body::Voting(_) => "voting",
        Body::Stacking(_) => "stacking",
        Body::Calibration(_) => "calibration",
        Body::Multiclass(_) => "multiclass",
        Body::MultiOutput(_) => "multi_output",
        Body::TransformedTarget(_) => "transformed_target",
        Body::FunctionTransformer(_) => "function_transformer",
        Body::ThresholdClassifier(_) => "threshold_classifier",
        Body::Bagging(_) => "bagging",
        Body::AdaBoost(_) => "ada_boost",
        Body::Boosting(_) => "boosting",
        _ => "unknown",
    }
}

fn link_name(link: LinearLink) -> &'static str {
    match link {
        LinearLink::Identity => "identity",
        LinearLink::Logistic => "logistic",
        LinearLink::OvrLogistic => "ovr_logistic",
        LinearLink::Softmax => "softmax",
    }
}

fn classes_report(c: &Labels) -> ClassesReport {
    match c {
        Labels::Int(v) => ClassesReport {
            kind: "int",
            values: v.clone().into(),
        },
        Labels::Float(v) => ClassesReport {
            kind: "float",
            values: v.clone().into(),
        },
        Labels::Str(v) => ClassesReport {
            kind: "str",
            values: v.clone().into(),
        },
    }
}

fn classes_text(classes: &ClassesReport) -> String {
    let values = match &classes.values {
        serde_json::Value::Array(items) => items
            .iter()
            .map(|item| match item {
                // Debug escapes what a terminal would not show as itself.
                serde_json::Value::String(s) => format!("{s:?}"),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    };
    format!("{values}  ({})", classes.kind)
}

fn tree_report(t: &TreeEnsemble) -> TreeReport {
    TreeReport {
        nodes: t.nodes.clone(),
        tree_offsets: t.tree_offsets.clone(),
        values: t.values.clone(),
        input: match t.input {
            TreeInput::F32 => "f32",
            TreeInput::F64 => "f64",
        },
        leaf_values: match t.leaf_values {
            LeafValues::Regression => "regression",
            LeafValues::Fractions => "fractions",
            LeafValues::Counts => "counts",
        },
        classes: t.classes.iter().map(classes_report).collect(),
        impurity: t.impurity.clone(),
        n_node_samples: t.n_node_samples.clone(),
        weighted_n_node_samples: t.weighted_n_node_samples.clone(),
        node_ids: t.node_ids.clone(),
        values_for_every_node: t.values_for_every_node,
    }
}

fn estimator_report(e: &Estimator) -> EstimatorReport {
    let params = |ps: &[Param]| {
        ps.iter()
            .map(|p| ParamReport {
                name: p.name.clone(),
                value: value_json(&p.value),
            })
            .collect()
    };
    let mut report = EstimatorReport {
        producer_type: e.producer_type.clone(),
        body: body_kind(&e.body),
        n_features_in: e.n_features_in,
        feature_names_in: e.feature_names_in.clone(),
        params: params(&e.params),
        attributes: params(&e.attributes),
        standard_scaler: None,
        linear: None,
        pipeline: None,
        tree_ensemble: None,
        boosting: None,
        isolation_forest: None,
        feature_affine: None,
        binarizer: None,
        normalizer: None,
        imputer: imputer_report(&e.body),
        one_hot_encoder: None,
        ordinal_encoder: None,
        target_encoder: None,
        branches: None,
        preprocessor: None,
        voting: None,
        stacking: None,
        calibration: None,
        multiclass: None,
        multi_output: None,
        transformed_target: None,
        function_transformer: None,
        threshold_classifier: None,
        bagging: None,
        ada_boost: None,
    };
    match &e.body {
        Body::StandardScaler(s) => {
            report.standard_scaler = Some(ScalerReport {
                mean: s.mean.clone(),
                scale: s.scale.clone(),
                var: s.var.clone(),
                n_samples_seen: s.n_samples_seen.clone(),
            });
        }
        Body::Linear(l) => {
            report.linear = Some(LinearReport {
                coef: l.coef.clone(),
                intercept: l.intercept.clone(),
                link: link_name(l.link),
                classes: l.classes.as_ref().map(classes_report),
            });
        }
        Body::TreeEnsemble(t) => report.tree_ensemble = Some(tree_report(t)),
        Body::Normalizer(n) => {
            report.normalizer = Some(NormalizerReport {
                norm: match n {
                    NormalizerNorm::L1 => "l1",
                    NormalizerNorm::L2 => "l2",
                    NormalizerNorm::Max => "max",
                },
            });
        }
        Body::Binarizer(b) => {
            report.binarizer = Some(BinarizerReport {
                threshold: b.threshold,
            });
        }
        Body::OneHotEncoder(b) => {
            report.one_hot_encoder = Some(EncoderReport {
                unknown: match b.unknown {
                    OneHotUnknown::Error => "error",
                    OneHotUnknown::Zeros => "zeros",
                    OneHotUnknown::Infrequent => "infrequent",
                },
                target_mean: None,
                unknown_value: None,
                encoded_missing_value: None,
                dtype: b.dtype.to_string(),
                columns: b
                    .features
                    .iter()
                    .map(|f| encoder_column(&f.categories, &f.infrequent, f.drop))
                    .collect(),
            });
        }
        Body::OrdinalEncoder(b) => {
            let value = b.unknown == OrdinalUnknown::Value;
            report.ordinal_encoder = Some(EncoderReport {
                unknown: if value { "value" } else { "error" },
                target_mean: None,
                unknown_value: value.then_some(b.unknown_value),
                encoded_missing_value: Some(b.encoded_missing_value),
                dtype: b.dtype.to_string(),
                columns: b
                    .features
                    .iter()
                    .map(|f| encoder_column(&f.categories, &f.infrequent, None))
                    .collect(),
            });
        }
        Body::TargetEncoder(b) => {
            report.target_encoder = Some(EncoderReport {
                unknown: "target_mean",
                target_mean: Some(b.target_mean.clone()),
                unknown_value: None,
                encoded_missing_value: None,
                dtype: "f64".into(),
                columns: b
                    .features
                    .iter()
                    .map(|f| encoder_column(&f.categories, &[], None))
                    .collect(),
            });
        }
        Body::FeatureAffine(a) => {
            report.feature_affine = Some(FeatureAffineReport {
                sub: a.sub.clone(),
                div: a.div.clone(),
                mul: a.mul.clone(),
                add: a.add.clone(),
                clip: a.clip.map(|(lo, hi)| [lo, hi]),
            });
        }
        Body::IsolationForest(i) => {
            report.isolation_forest = Some(IsolationForestReport {
                trees: tree_report(&i.trees),
                denominator: i.denominator,
                offset: i.offset,
            });
        }
        Body::ColumnTransformer(ct) => report.branches = Some(branch_reports(&ct.branches)),
        Body::FeatureUnion(fu) => report.branches = Some(branch_reports(&fu.members)),
        Body::Voting(v) => {
            report.voting = Some(VotingReport {
                rule: match v.rule {
                    VotingRule::Hard => "hard",
                    VotingRule::Soft => "soft",
                    VotingRule::Mean => "mean",
                },
                classes: v.classes.as_ref().map(classes_report),
                flatten_transform: v.flatten_transform,
            });
            report.branches = Some(
                v.members
                    .iter()
                    .map(|m| BranchReport {
                        weight: m.weight,
                        ..member_report(&m.name, m.estimator.as_ref())
                    })
                    .collect(),
            );
        }
        Body::Stacking(s) => {
            report.stacking = Some(StackingReport {
                passthrough: s.passthrough,
                classes: s.classes.as_ref().map(classes_report),
                final_estimator: Box::new(estimator_report(&s.final_estimator)),
            });
            report.branches = Some(
                s.members
                    .iter()
                    .map(|m| BranchReport {
                        stack_method: Some(m.method.map(|k| match k {
                            StackMethod::Predict => "predict",
                            StackMethod::PredictProba => "predict_proba",
                            StackMethod::DecisionFunction => "decision_function",
                        })),
                        ..member_report(&m.name, m.estimator.as_ref())
                    })
                    .collect(),
            );
        }
        Body::Calibration(k) => report.calibration = Some(calibration_report(k)),
        Body::Multiclass(m) => report.multiclass = Some(multiclass_report(m)),
        Body::MultiOutput(m) => report.multi_output = Some(multi_output_report(m)),
        Body::TransformedTarget(t) => {
            report.transformed_target = Some(TransformedTargetReport {
                squeeze: t.squeeze,
                regressor: Box::new(estimator_report(&t.regressor)),
                transformer: Box::new(estimator_report(&t.transformer)),
            });
        }
        Body::Bagging(b) => {
            report.bagging = Some(BaggingReport {
                classes: b.classes.as_ref().map(classes_report),
                members: b
                    .members
                    .iter()
                    .map(|m| BaggingMemberReport {
                        features: m.features.clone(),
                        estimator: estimator_report(&m.estimator),
                    })
                    .collect(),
            });
        }
        Body::AdaBoost(a) => {
            report.ada_boost = Some(AdaBoostReport {
                algorithm: a.algorithm.map(|k| match k {
                    AdaBoostAlgorithm::Samme => "samme",
                    AdaBoostAlgorithm::SammeR => "samme_r",
                }),
                classes: a.classes.as_ref().map(classes_report),
                weights: a.weights.clone(),
                members: a.members.iter().map(estimator_report).collect(),
            });
        }
        Body::ThresholdClassifier(t) => {
            report.threshold_classifier = Some(ThresholdReport {
                score: match t.score {
                    ThresholdScore::PredictProba => "predict_proba",
                    ThresholdScore::DecisionFunction => "decision_function",
                },
                positive: t.positive,
                threshold: t.threshold,
                estimator: Box::new(estimator_report(&t.estimator)),
            });
        }
        Body::FunctionTransformer(f) => {
            report.function_transformer = Some(FunctionTransformerReport {
                func: numpy_name(f.func),
                inverse_func: numpy_name(f.inverse_func),
                validate: f.validate,
            });
        }
        Body::Boosting(b) => {
            report.boosting = Some(boosting_report(b));
            report.preprocessor = b
                .preprocessor
                .as_deref()
                .map(|p| Box::new(estimator_report(p)));
        }
        Body::Pipeline(p) => {
            report.pipeline = Some(PipelineReport {
                steps: p
                    .steps
                    .iter()
                    .map(|s| StepReport {
                        name: s.name.clone(),
                        passthrough: s.estimator.is_none(),
                        passthrough_is_none: s.passthrough_is_none,
                        estimator: s.estimator.as_ref().map(estimator_report),
                    })
                    .collect(),
            });
        }
        _ => {}
    }
    report
}

/// A member of a composition over the whole input (`Voting`, `Stacking`): every column, an
/// estimator or dropped, no weight and no stack method unless the caller sets them.
fn member_report(name: &str, estimator: Option<&Estimator>) -> BranchReport {
    BranchReport {
        name: name.to_owned(),
        columns: Vec::new(),
        action: if estimator.is_some() {
            "estimator"
        } else {
            "drop"
        },
        weight: None,
        stack_method: None,
        estimator: estimator.map(estimator_report),
    }
}

fn multiclass_report(m: &Multiclass) -> MulticlassReport {
    let member = |m: &MulticlassMember| match m {
        MulticlassMember::Fitted { estimator, score } => MulticlassMemberReport {
            score: match score {
                BinaryScore::DecisionFunction => "decision_function",
                BinaryScore::Proba => "predict_proba",
                BinaryScore::Predict => "predict",
            },
            constant: None,
            estimator: Some(estimator_report(estimator)),
        },
        MulticlassMember::Constant(c) => MulticlassMemberReport {
            score: "constant",
            constant: Some(*c),
            estimator: None,
        },
    };
    MulticlassReport {
        strategy: match m.strategy {
            MulticlassStrategy::OneVsRest => "one_vs_rest",
            MulticlassStrategy::OneVsOne => "one_vs_one",
            MulticlassStrategy::OutputCode => "output_code",
        },
        classes: classes_report(&m.classes),
        multilabel: m.multilabel,
        threshold: m.threshold,
        ties: m.ties.map(|t| match t {
            MulticlassTies::First => "first",
            MulticlassTies::Last => "last",
        }),
        code_book: m.code_book.clone(),
        members: m.members.iter().map(member).collect(),
    }
}

/// numpy's name of an elementwise function (`None` for the identity).
fn numpy_name(f: ElementwiseFunction) -> &'static str {
    match f {
        ElementwiseFunction::Identity => "None",
        ElementwiseFunction::Log => "numpy.log",
        ElementwiseFunction::Log1p => "numpy.log1p",
        ElementwiseFunction::Log2 => "numpy.log2",
        ElementwiseFunction::Log10 => "numpy.log10",
        ElementwiseFunction::Exp => "numpy.exp",
        ElementwiseFunction::Expm1 => "numpy.expm1",
        ElementwiseFunction::Exp2 => "numpy.exp2",
        ElementwiseFunction::Sqrt => "numpy.sqrt",
        ElementwiseFunction::Cbrt => "numpy.cbrt",
        ElementwiseFunction::Square => "numpy.square",
        ElementwiseFunction::Reciprocal => "numpy.reciprocal",
        ElementwiseFunction::Negative => "numpy.negative",
        ElementwiseFunction::Absolute => "numpy.absolute",
        ElementwiseFunction::Sinh => "numpy.sinh",
        ElementwiseFunction::Arcsinh => "numpy.arcsinh",
    }
}

fn multi_output_report(m: &MultiOutput) -> MultiOutputReport {
    MultiOutputReport {
        kind: match m.kind {
            MultiOutputKind::Classifier => "classifier",
            MultiOutputKind::Regressor => "regressor",
            MultiOutputKind::ClassifierChain => "classifier_chain",
            MultiOutputKind::RegressorChain => "regressor_chain",
        },
        order: m.kind.is_chain().then(|| m.order.clone()),
        chain_method: m.chain_method.map(|c| match c {
            ChainMethod::Predict => "predict",
            ChainMethod::PredictProba => "predict_proba",
            ChainMethod::PredictLogProba => "predict_log_proba",
            ChainMethod::DecisionFunction => "decision_function",
        }),
        members: m.members.iter().map(estimator_report).collect(),
    }
}

fn calibration_report(k: &Calibration) -> CalibrationReport {
    let calibrator = |c: &Calibrator| match c {
        Calibrator::Sigmoid { a, b } => CalibratorReport {
            kind: "sigmoid",
            a: Some(*a),
            b: Some(*b),
            x_thresholds: None,
            y_thresholds: None,
        },
        Calibrator::Isotonic {
            x_thresholds,
            y_thresholds,
        } => CalibratorReport {
            kind: "isotonic",
            a: None,
            b: None,
            x_thresholds: Some(x_thresholds.clone()),
            y_thresholds: Some(y_thresholds.clone()),
        },
    };
    CalibrationReport {
        classes: classes_report(&k.classes),
        classifiers: k
            .classifiers
            .iter()
            .map(|c| CalibratedReport {
                response: match c.response {
                    CalibrationResponse::DecisionFunction => "decision_function",
                    CalibrationResponse::PredictProba => "predict_proba",
                },
                class_indices: c.class_indices.clone(),
                calibrators: c.calibrators.iter().map(calibrator).collect(),
                estimator: estimator_report(&c.estimator),
            })
            .collect(),
    }
}

/// A [`Value`] as JSON: `null`, `true`/`false`, numbers and strings as themselves (a finite
/// float always has a fraction or exponent, e.g. `1.0`), a list as an array, and tagged
/// objects for what JSON lacks: `{"float": "nan"|"inf"|"-inf"}`, `{"tuple": [...]}`,
/// `{"dict": [[key, value], ...]}`, `{"tensor": "<name>"}`.
pub fn value_json(v: &Value) -> serde_json::Value {
    use serde_json::{Value as J, json};
    match v {
        Value::None => J::Null,
        Value::Bool(b) => J::Bool(*b),
        Value::Int(i) => J::from(*i),
        Value::Float(f) if f.is_finite() => J::from(*f),
        Value::Float(f) => {
            json!({ "float": if f.is_nan() { "nan" } else if *f > 0.0 { "inf" } else { "-inf" } })
        }
        Value::Str(s) => J::from(s.as_str()),
        Value::List { items, is_tuple } => {
            let items: Vec<J> = items.iter().map(value_json).collect();
            if *is_tuple {
                json!({ "tuple": items })
            } else {
                J::Array(items)
            }
        }
        Value::Dict(entries) => json!({
            "dict": entries.iter().map(|(k, v)| json!([value_json(k), value_json(v)])).collect::<Vec<_>>()
        }),
        Value::Tensor(name) => json!({ "tensor": name }),
    }
}

fn tensor_report(t: &TensorInfo) -> TensorReport {
    TensorReport {
        name: t.name.clone(),
        dtype: t.dtype.name(),
        shape: t.shape.clone(),
        offset: t.offset,
        bytes: t.length,
        crc32: format!("{:#010x}", t.crc32),
    }
}

// ---- human-readable output ----

/// Whether a terminal shows `c` as itself: not a control character (C0, DEL, C1), not a
/// format, separator or unassigned one (bidi overrides, zero-width, line separators: what
/// `char::escape_debug` escapes), and not the backslash that starts an escape.
fn shows_as_itself(c: char) -> bool {
    if matches!(c, '"' | '\'') {
        return true;
    }
    let mut e = c.escape_debug();
    e.next() == Some(c) && e.next().is_none()
}

/// A string from the file as text output shows it: every character a terminal would not show
/// as itself (`shows_as_itself`) becomes `\u{hex}`, a backslash `\\`, so that a file cannot
/// send escape sequences to the terminal or forge lines.
fn esc(s: &str) -> Cow<'_, str> {
    if s.chars().all(|c| c != '\\' && shows_as_itself(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            c if shows_as_itself(c) => out.push(c),
            c => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
        }
    }
    Cow::Owned(out)
}

/// A one-line message for the terminal (an error that may quote names from the file): every
/// character a terminal would not show as itself, line breaks included, becomes `\u{hex}`, so a
/// file can neither send escape sequences nor forge lines. Backslashes stay as they are:
/// messages quote names with Rust's `{:?}`, which escapes them already.
pub fn printable(s: &str) -> Cow<'_, str> {
    let shown = |c: char| c == '\\' || shows_as_itself(c);
    if s.chars().all(shown) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if shown(c) {
            out.push(c);
        } else {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        }
    }
    Cow::Owned(out)
}

/// `serde_json`'s pretty printer, which escapes `"`, `\` and C0 controls, made to escape as
/// `\uXXXX` every other character `shows_as_itself` refuses (DEL, C1, bidi and zero-width
/// characters): the document decodes to the same strings and prints safely on a terminal.
struct SafeJson<'a>(serde_json::ser::PrettyFormatter<'a>);

impl serde_json::ser::Formatter for SafeJson<'_> {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        for c in fragment.chars() {
            if shows_as_itself(c) {
                let mut buf = [0u8; 4];
                w.write_all(c.encode_utf8(&mut buf).as_bytes())?;
            } else {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    write!(w, "\\u{unit:04x}")?;
                }
            }
        }
        Ok(())
    }
    fn begin_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn begin_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_value(w)
    }
}

/// The report as `--json` prints it: pretty, with every string escaped for a terminal.
pub fn to_json(report: &Report) -> serde_json::Result<String> {
    let mut out = Vec::new();
    let formatter = SafeJson(serde_json::ser::PrettyFormatter::new());
    report.serialize(&mut serde_json::Serializer::with_formatter(
        &mut out, formatter,
    ))?;
    // The serializer writes UTF-8 (non-ASCII characters as themselves or escaped).
    String::from_utf8(out).map_err(|e| serde::ser::Error::custom(e.to_string()))
}

/// Tensors with at most this many elements have their values shown inline.
const PREVIEW_ELEMENTS: usize = 8;

/// Renders the report for a terminal: a summary, the estimator tree, the tensor table.
pub fn render(report: &Report, container: &Container<FileBytes>) -> String {
    let mut out = String::new();
    let p = &report.producer;
    let none = |s: &str| {
        if s.is_empty() {
            "-".to_owned()
        } else {
            esc(s).into_owned()
        }
    };
    let producer = format!(
        "{} {} (trained with {} {})",
        none(&p.name),
        none(&p.version),
        none(&p.library),
        none(&p.library_version)
    );
    let features = if report.required_features.is_empty() {
        "(none)".to_owned()
    } else {
        let names: Vec<_> = report.required_features.iter().map(|f| esc(f)).collect();
        names.join(", ")
    };
    let methods = match (&report.methods, &report.model_error) {
        (Some(m), _) => m.join(", "),
        (None, Some(e)) => format!(
            "(none: the model is invalid: {}: {})",
            e.code,
            esc(&e.message.replace(&format!("{}: ", e.code), ""))
        ),
        (None, None) => "(none)".to_owned(),
    };
    let rows = [
        (
            "file",
            format!("{} ({} bytes)", esc(&report.file), report.file_bytes),
        ),
        ("sha256", report.sha256.clone()),
        ("format", report.format_version.clone()),
        ("producer", producer),
        ("required features", features),
        ("methods", methods),
    ];
    for (k, v) in rows {
        let _ = writeln!(out, "{:<19}{v}", format!("{k}:"));
    }
    if let Some(input) = &report.input {
        let _ = writeln!(out, "\ninput columns ({})", input.len());
        let width = input
            .iter()
            .map(|c| esc(&c.name).chars().count())
            .max()
            .unwrap_or(0);
        for (j, c) in input.iter().enumerate() {
            let _ = writeln!(out, "  [{j}] {:<width$}  {}", esc(&c.name), c.kind);
        }
    }
    out.push_str("\nestimator\n");
    render_estimator(&mut out, &report.estimator, container, 1);
    let total: u64 = report.tensors.iter().map(|t| t.bytes).sum();
    let _ = writeln!(out, "\ntensors ({}, {} bytes)", report.tensors.len(), total);
    if !report.tensors.is_empty() {
        render_tensor_table(&mut out, &report.tensors);
    }
    out
}

/// The fields of a TreeEnsemble message (a body, or the trees of an isolation forest).
fn render_trees(out: &mut String, c: &Container<FileBytes>, t: &TreeReport, pad: &str) {
    let _ = writeln!(out, "{pad}input:          {}", t.input);
    let _ = writeln!(out, "{pad}leaf values:    {}", t.leaf_values);
    for (o, classes) in t.classes.iter().enumerate() {
        let label = if t.classes.len() == 1 {
            "classes:".to_owned()
        } else {
            format!("classes[{o}]:")
        };
        let _ = writeln!(out, "{pad}{label:<16}{}", classes_text(classes));
    }
    for (k, v) in [
        ("nodes", Some(&t.nodes)),
        ("tree_offsets", Some(&t.tree_offsets)),
        ("values", Some(&t.values)),
        ("impurity", t.impurity.as_ref()),
        ("n_node_samples", t.n_node_samples.as_ref()),
        (
            "weighted_n_node_samples",
            t.weighted_n_node_samples.as_ref(),
        ),
        ("node_ids", t.node_ids.as_ref()),
    ] {
        let text = v.map_or_else(|| "(absent)".to_owned(), |n| tensor_ref(c, n));
        let label = format!("{k}:");
        let _ = writeln!(out, "{pad}{label:<15} {text}");
    }
}

/// A Boosting body's fields, its init estimator aside (`render_estimator` shows it last).
fn render_boosting(out: &mut String, c: &Container<FileBytes>, b: &BoostingReport, pad: &str) {
    let _ = writeln!(out, "{pad}link:           {}", b.link);
    if let Some(classes) = &b.classes {
        let _ = writeln!(out, "{pad}classes:        {}", classes_text(classes));
    }
    if let Some(d) = b.decision {
        let _ = writeln!(out, "{pad}decision:       {d}");
    }
    let _ = writeln!(
        out,
        "{pad}raw scores:     {} column(s), each tree's leaf value times {:?}",
        b.n_columns, b.scale
    );
    match (&b.baseline, b.init_link) {
        (Some(t), _) => {
            let _ = writeln!(out, "{pad}baseline:       {}", tensor_ref(c, t));
        }
        (None, Some(link)) => {
            let _ = writeln!(
                out,
                "{pad}baseline:       from init (link {link}, eps {:?})",
                b.init_eps
            );
        }
        (None, None) => {}
    }
    render_trees(out, c, &b.trees, pad);
}

fn render_estimator(out: &mut String, e: &EstimatorReport, c: &Container<FileBytes>, depth: usize) {
    let pad = "  ".repeat(depth);
    let type_name = if e.producer_type.is_empty() {
        Cow::Borrowed("(no producer type)")
    } else {
        esc(&e.producer_type)
    };
    let _ = writeln!(out, "{pad}type:           {type_name}");
    let _ = writeln!(out, "{pad}body:           {}", e.body);
    let _ = writeln!(out, "{pad}n_features_in:  {}", e.n_features_in);
    if !e.feature_names_in.is_empty() {
        let _ = writeln!(
            out,
            "{pad}feature names:  {}",
            e.feature_names_in
                .iter()
                .map(|n| esc(n))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if let Some(s) = &e.standard_scaler {
        for (k, v) in [
            ("mean", &s.mean),
            ("scale", &s.scale),
            ("var", &s.var),
            ("n_samples_seen", &s.n_samples_seen),
        ] {
            let text = v
                .as_deref()
                .map_or_else(|| "(absent)".to_owned(), |n| tensor_ref(c, n));
            let _ = writeln!(out, "{pad}{:<16}{text}", format!("{k}:"));
        }
    }
    if let Some(a) = &e.feature_affine {
        for (k, v) in [
            ("sub", &a.sub),
            ("div", &a.div),
            ("mul", &a.mul),
            ("add", &a.add),
        ] {
            let text = v
                .as_deref()
                .map_or_else(|| "(absent)".to_owned(), |n| tensor_ref(c, n));
            let _ = writeln!(out, "{pad}{:<16}{text}", format!("{k}:"));
        }
        let clip = a.clip.map_or_else(
            || "(absent)".to_owned(),
            |[lo, hi]| format!("[{lo:?}, {hi:?}]"),
        );
        let _ = writeln!(out, "{pad}clip:           {clip}");
    }
    if let Some(n) = &e.normalizer {
        let _ = writeln!(out, "{pad}norm:           {}", n.norm);
    }
    if let Some(r) = &e.imputer {
        let _ = writeln!(out, "{pad}missing_values: {}", r.missing_values);
        if !r.fills.is_empty() {
            let _ = writeln!(out, "{pad}fills:          [{}]", r.fills.join(", "));
        }
        if let (Some(k), Some(w)) = (r.n_neighbors, r.weights) {
            let _ = writeln!(out, "{pad}n_neighbors:    {k} ({w})");
        }
        if let Some(f) = &r.indicator_features {
            let _ = writeln!(out, "{pad}indicator:      {f}");
        }
    }
    if let Some(b) = &e.binarizer {
        let _ = writeln!(out, "{pad}threshold:      {:?}", b.threshold);
    }
    let encoder = (e.one_hot_encoder.as_ref())
        .or(e.ordinal_encoder.as_ref())
        .or(e.target_encoder.as_ref());
    if let Some(r) = encoder {
        encoder_text(out, r, &pad);
    }
    if let Some(l) = &e.linear {
        let _ = writeln!(out, "{pad}link:           {}", l.link);
        if let Some(classes) = &l.classes {
            let _ = writeln!(out, "{pad}classes:        {}", classes_text(classes));
        }
        let _ = writeln!(out, "{pad}coef:           {}", tensor_ref(c, &l.coef));
        let intercept = l
            .intercept
            .as_deref()
            .map_or_else(|| "(absent: zero)".to_owned(), |n| tensor_ref(c, n));
        let _ = writeln!(out, "{pad}intercept:      {intercept}");
    }
    if let Some(i) = &e.isolation_forest {
        let _ = writeln!(out, "{pad}denominator:    {:?}", i.denominator);
        let _ = writeln!(out, "{pad}offset:         {:?}", i.offset);
        render_trees(out, c, &i.trees, &pad);
    }
    if let Some(t) = &e.tree_ensemble {
        render_trees(out, c, t, &pad);
    }
    if let Some(b) = &e.boosting {
        render_boosting(out, c, b, &pad);
    }
    for (title, list) in [("params", &e.params), ("attributes", &e.attributes)] {
        if list.is_empty() {
            let _ = writeln!(out, "{pad}{title}:{}(none)", " ".repeat(15 - title.len()));
            continue;
        }
        let _ = writeln!(out, "{pad}{title}:");
        let names: Vec<_> = list.iter().map(|p| esc(&p.name)).collect();
        let width = names.iter().map(|n| n.chars().count()).max().unwrap_or(0);
        for (p, name) in list.iter().zip(&names) {
            let _ = writeln!(out, "{pad}  {name:<width$} = {}", value_text(&p.value, c));
        }
    }
    if let Some(v) = &e.voting {
        let flatten = if v.rule == "soft" {
            format!(", flatten_transform {}", v.flatten_transform)
        } else {
            String::new()
        };
        let _ = writeln!(out, "{pad}voting:         {}{flatten}", v.rule);
        if let Some(classes) = &v.classes {
            let _ = writeln!(out, "{pad}classes:        {}", classes_text(classes));
        }
    }
    if let Some(st) = &e.stacking {
        let _ = writeln!(out, "{pad}stacking:       passthrough {}", st.passthrough);
        if let Some(classes) = &st.classes {
            let _ = writeln!(out, "{pad}classes:        {}", classes_text(classes));
        }
    }
    if let Some(branches) = &e.branches {
        let title = if e.voting.is_some() || e.stacking.is_some() {
            "members"
        } else {
            "branches"
        };
        let _ = writeln!(out, "{pad}{title}:");
        for (i, b) in branches.iter().enumerate() {
            let cols = if b.columns.is_empty() {
                "every column".to_owned()
            } else {
                let list: Vec<String> = b.columns.iter().map(u64::to_string).collect();
                format!("columns [{}]", list.join(", "))
            };
            let weight = b
                .weight
                .map_or_else(String::new, |w| format!(", weight {w:?}"));
            let weight = match b.stack_method {
                Some(Some(m)) => format!("{weight}, stacked with {m}"),
                _ => weight,
            };
            let _ = writeln!(
                out,
                "{pad}  [{i}] {}: {}, {cols}{weight}",
                esc(&b.name),
                b.action
            );
            if let Some(inner) = &b.estimator {
                render_estimator(out, inner, c, depth + 2);
            }
        }
    }
    if let Some(k) = &e.calibration {
        let _ = writeln!(out, "{pad}classes:        {}", classes_text(&k.classes));
        let _ = writeln!(out, "{pad}classifiers:");
        for (i, k) in k.classifiers.iter().enumerate() {
            let cals: Vec<String> = k
                .calibrators
                .iter()
                .map(|cal| match (cal.a, cal.b, &cal.x_thresholds) {
                    (Some(a), Some(b), _) => format!("sigmoid(a {a:?}, b {b:?})"),
                    (_, _, Some(x)) => format!("isotonic({})", tensor_ref(c, x)),
                    _ => cal.kind.to_owned(),
                })
                .collect();
            let _ = writeln!(
                out,
                "{pad}  [{i}] {} -> classes {:?}: {}",
                k.response,
                k.class_indices,
                cals.join(", ")
            );
            render_estimator(out, &k.estimator, c, depth + 2);
        }
    }
    if let Some(m) = &e.multiclass {
        render_multiclass(out, m, c, depth);
    }
    if let Some(f) = &e.function_transformer {
        let _ = writeln!(
            out,
            "{pad}func:           {} (inverse {}){}",
            f.func,
            f.inverse_func,
            if f.validate { ", validate" } else { "" }
        );
    }
    if let Some(b) = &e.bagging {
        if let Some(classes) = &b.classes {
            let _ = writeln!(out, "{pad}classes:        {}", classes_text(classes));
        }
        let _ = writeln!(out, "{pad}members (their mean):");
        for (i, m) in b.members.iter().enumerate() {
            let _ = writeln!(out, "{pad}  [{i}] reads columns {:?}", m.features);
            render_estimator(out, &m.estimator, c, depth + 2);
        }
    }
    if let Some(a) = &e.ada_boost {
        let rule = a.algorithm.unwrap_or("weighted median");
        let _ = writeln!(out, "{pad}algorithm:      {rule}");
        if let Some(classes) = &a.classes {
            let _ = writeln!(out, "{pad}classes:        {}", classes_text(classes));
        }
        let _ = writeln!(out, "{pad}weights:        {}", tensor_ref(c, &a.weights));
        let _ = writeln!(out, "{pad}members:");
        for (i, m) in a.members.iter().enumerate() {
            let _ = writeln!(out, "{pad}  [{i}]");
            render_estimator(out, m, c, depth + 2);
        }
    }
    if let Some(t) = &e.threshold_classifier {
        let _ = writeln!(
            out,
            "{pad}predicts class [{}] where its {} >= {:?}, else the other",
            t.positive, t.score, t.threshold
        );
        let _ = writeln!(out, "{pad}estimator:");
        render_estimator(out, &t.estimator, c, depth + 1);
    }
    if let Some(t) = &e.transformed_target {
        let _ = writeln!(out, "{pad}regressor:");
        render_estimator(out, &t.regressor, c, depth + 1);
        let _ = writeln!(
            out,
            "{pad}transformer (its inverse_transform maps the predictions back{}):",
            if t.squeeze { ", [n, 1] to [n]" } else { "" }
        );
        render_estimator(out, &t.transformer, c, depth + 1);
    }
    if let Some(m) = &e.multi_output {
        let _ = writeln!(out, "{pad}kind:           {}", m.kind);
        if let (Some(order), Some(method)) = (&m.order, m.chain_method) {
            let _ = writeln!(
                out,
                "{pad}chain:          order {order:?}, each member adds its {method}"
            );
        }
        let _ = writeln!(out, "{pad}members:");
        for (i, member) in m.members.iter().enumerate() {
            let _ = writeln!(out, "{pad}  [{i}]");
            render_estimator(out, member, c, depth + 2);
        }
    }
    if let Some(st) = &e.stacking {
        let _ = writeln!(out, "{pad}final_estimator:");
        render_estimator(out, &st.final_estimator, c, depth + 1);
    }
    if let Some(p) = &e.preprocessor {
        let _ = writeln!(out, "{pad}preprocessor:");
        render_estimator(out, p, c, depth + 1);
    }
    if let Some(init) = e.boosting.as_ref().and_then(|b| b.init.as_ref()) {
        let _ = writeln!(out, "{pad}init:");
        render_estimator(out, init, c, depth + 1);
    }
    if let Some(pipeline) = &e.pipeline {
        let _ = writeln!(out, "{pad}steps:");
        for (i, step) in pipeline.steps.iter().enumerate() {
            match &step.estimator {
                None => {
                    let how = if step.passthrough_is_none {
                        "None"
                    } else {
                        "\"passthrough\""
                    };
                    let name = esc(&step.name);
                    let _ = writeln!(out, "{pad}  [{i}] {name}: passthrough ({how})");
                }
                Some(inner) => {
                    let _ = writeln!(out, "{pad}  [{i}] {}", esc(&step.name));
                    render_estimator(out, inner, c, depth + 2);
                }
            }
        }
    }
}

/// A value in Python-like notation; tensors as `<tensor name: dtype [shape]>` with their
/// values when small.
fn value_text(v: &serde_json::Value, c: &Container<FileBytes>) -> String {
    use serde_json::Value as J;
    let join = |items: &[J]| {
        items
            .iter()
            .map(|i| value_text(i, c))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match v {
        J::Null => "None".to_owned(),
        J::Bool(true) => "True".to_owned(),
        J::Bool(false) => "False".to_owned(),
        J::Number(n) => n.to_string(),
        J::String(s) => format!("{s:?}"),
        J::Array(items) => format!("[{}]", join(items)),
        J::Object(map) => {
            if let Some(J::String(f)) = map.get("float") {
                f.clone()
            } else if let Some(J::Array(items)) = map.get("tuple") {
                if items.len() == 1 {
                    format!("({},)", join(items))
                } else {
                    format!("({})", join(items))
                }
            } else if let Some(J::Array(entries)) = map.get("dict") {
                let pairs: Vec<String> = entries
                    .iter()
                    .map(|kv| match kv {
                        J::Array(kv) => match (kv.first(), kv.get(1)) {
                            (Some(k), Some(v)) => {
                                format!("{}: {}", value_text(k, c), value_text(v, c))
                            }
                            _ => "?".to_owned(),
                        },
                        _ => "?".to_owned(),
                    })
                    .collect();
                format!("{{{}}}", pairs.join(", "))
            } else if let Some(J::String(name)) = map.get("tensor") {
                tensor_ref(c, name)
            } else {
                esc(&v.to_string()).into_owned()
            }
        }
    }
}

/// `<tensor NAME: dtype [shape]>`, plus ` = [values]` for small tensors.
fn render_multiclass(
    out: &mut String,
    m: &MulticlassReport,
    c: &Container<FileBytes>,
    depth: usize,
) {
    let pad = "  ".repeat(depth);
    let _ = writeln!(out, "{pad}strategy:       {}", m.strategy);
    let _ = writeln!(out, "{pad}classes:        {}", classes_text(&m.classes));
    if m.multilabel {
        let _ = writeln!(
            out,
            "{pad}multilabel:     true (threshold {:?})",
            m.threshold
        );
    }
    if let Some(t) = m.ties {
        let _ = writeln!(out, "{pad}ties:           {t} member wins");
    }
    if let Some(book) = &m.code_book {
        let _ = writeln!(out, "{pad}code_book:      {}", tensor_ref(c, book));
    }
    let _ = writeln!(out, "{pad}members:");
    for (i, member) in m.members.iter().enumerate() {
        match (&member.estimator, member.constant) {
            (Some(inner), _) => {
                let _ = writeln!(out, "{pad}  [{i}] scored by {}", member.score);
                render_estimator(out, inner, c, depth + 2);
            }
            (None, Some(k)) => {
                let _ = writeln!(out, "{pad}  [{i}] constant {k}");
            }
            (None, None) => {}
        }
    }
}

fn tensor_ref(c: &Container<FileBytes>, name: &str) -> String {
    let Ok(view) = c.tensor(name) else {
        return format!("<tensor {name:?}: not in the table>");
    };
    let info = view.info();
    let shape: Vec<String> = info.shape.iter().map(u64::to_string).collect();
    let mut text = format!(
        "<tensor {}: {} [{}]>",
        esc(name),
        info.dtype,
        shape.join(", ")
    );
    let size = usize::try_from(info.dtype.size()).unwrap_or(1).max(1);
    let count = view.bytes().len() / size;
    if count <= PREVIEW_ELEMENTS {
        let values: Vec<String> = view
            .bytes()
            .chunks_exact(size)
            .map(|b| element_text(info.dtype, b))
            .collect();
        if info.shape.is_empty() {
            let _ = write!(text, " = {}", values.join(", "));
        } else {
            let _ = write!(text, " = [{}]", values.join(", "));
        }
    }
    text
}

fn element_text(dtype: DType, b: &[u8]) -> String {
    fn arr<const N: usize>(b: &[u8]) -> [u8; N] {
        let mut out = [0u8; N];
        out.iter_mut().zip(b).for_each(|(o, i)| *o = *i);
        out
    }
    match dtype {
        DType::F64 => format!("{:?}", f64::from_le_bytes(arr(b))),
        DType::F32 => format!("{:?}", f32::from_le_bytes(arr(b))),
        DType::I64 => i64::from_le_bytes(arr(b)).to_string(),
        DType::I32 => i32::from_le_bytes(arr(b)).to_string(),
        DType::U64 => u64::from_le_bytes(arr(b)).to_string(),
        DType::U32 => u32::from_le_bytes(arr(b)).to_string(),
        DType::U8 => u8::from_le_bytes(arr(b)).to_string(),
        DType::Bool => match b.first() {
            Some(0) => "False".to_owned(),
            Some(1) => "True".to_owned(),
            other => format!("<invalid bool {other:?}>"),
        },
    }
}

fn render_tensor_table(out: &mut String, tensors: &[TensorReport]) {
    let shape = |t: &TensorReport| {
        format!(
            "[{}]",
            t.shape
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let names: Vec<_> = tensors.iter().map(|t| esc(&t.name)).collect();
    let w_name = names
        .iter()
        .map(|n| n.chars().count())
        .max()
        .unwrap_or(0)
        .max(4);
    let w_shape = tensors
        .iter()
        .map(|t| shape(t).len())
        .max()
        .unwrap_or(0)
        .max(5);
    let w_bytes = tensors
        .iter()
        .map(|t| t.bytes.to_string().len())
        .max()
        .unwrap_or(0)
        .max(5);
    let _ = writeln!(
        out,
        "  {:<w_name$}  {:<5}  {:<w_shape$}  {:>w_bytes$}  crc32",
        "name", "dtype", "shape", "bytes"
    );
    for (t, name) in tensors.iter().zip(&names) {
        let _ = writeln!(
            out,
            "  {:<w_name$}  {:<5}  {:<w_shape$}  {:>w_bytes$}  {}",
            name,
            t.dtype,
            shape(t),
            t.bytes,
            t.crc32
        );
    }
}

fn encoder_text(out: &mut String, r: &EncoderReport, pad: &str) {
    let _ = writeln!(out, "{pad}unknown:        {}", r.unknown);
    if let Some(m) = &r.target_mean {
        let _ = writeln!(out, "{pad}target_mean:    {m:?}");
    }
    if let Some(v) = r.unknown_value {
        let _ = writeln!(out, "{pad}unknown_value:  {v:?}");
    }
    if let Some(v) = r.encoded_missing_value {
        let _ = writeln!(out, "{pad}missing_value:  {v:?}");
    }
    let _ = writeln!(out, "{pad}dtype:          {}", r.dtype);
    for (i, c) in r.columns.iter().enumerate() {
        let mut line = format!("{} {} categories", c.kind, c.n_categories);
        if c.has_none {
            line.push_str(", None");
        }
        if c.has_nan {
            line.push_str(", NaN");
        }
        if c.n_infrequent > 0 {
            let _ = write!(line, ", {} infrequent", c.n_infrequent);
        }
        if let Some(d) = c.drop {
            let _ = write!(line, ", drops output {d}");
        }
        let _ = writeln!(out, "{pad}column {i}:{:<7}{line}", "");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_map_to_json_without_ambiguity() {
        let v = Value::List {
            items: vec![
                Value::None,
                Value::Int(1),
                Value::Float(1.0),
                Value::Float(f64::NEG_INFINITY),
                Value::Str("a".into()),
                Value::List {
                    items: vec![Value::Bool(true)],
                    is_tuple: true,
                },
                Value::Dict(vec![(Value::Str("k".into()), Value::Tensor("t".into()))]),
            ],
            is_tuple: false,
        };
        assert_eq!(
            value_json(&v).to_string(),
            r#"[null,1,1.0,{"float":"-inf"},"a",{"tuple":[true]},{"dict":[["k",{"tensor":"t"}]]}]"#
        );
    }
}
