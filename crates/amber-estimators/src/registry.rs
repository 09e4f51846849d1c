//! The registry: one `match` over the manifest's estimator body builds the runtime estimator,
//! checking every body rule of `spec/estimators.md` on the way (each broken rule is `E_MODEL`
//! with the estimator path and field as context).
//!
//! Adding a family means one new module and one new arm here. After this, nothing downstream
//! sees a codec or protobuf type: a linear model's or scaler's tensors are copied into owned
//! `ndarray` arrays (`n_outputs * n_features` numbers, small next to any input); a tree
//! ensemble, whose arrays can be hundreds of megabytes, keeps the container (shared) and reads
//! its node records and leaf values in place (see `tree`).

use std::collections::HashSet;
use std::fmt::Debug;
use std::ops::Deref;
use std::sync::Arc;

use amber_codec::model::{self, Body, Labels, LinearLink};
use amber_codec::{CodecError, Container, DType};
use ndarray::{Array1, Array2, ArrayD, Ix1, Ix2};

use crate::boosting;
use crate::compose;
use crate::encoders;
use crate::error::{EstimatorError, Result};
use crate::iforest;
use crate::impute;
use crate::linear::{Affine, ClassLink, Classes, Classifier, Regressor};
use crate::pipeline::Pipeline;
use crate::preprocessing::StandardScaler;
use crate::preprocessing::function_transformer::FunctionTransformer;
use crate::preprocessing::{binarizer, feature_affine, normalizer};
use crate::traits::{Estimator, check_kinds_chain};
use crate::tree;

/// What a container's bytes may be held in: anything that derefs to bytes and can be shared
/// across threads for as long as a model lives (a tree runtime keeps the container).
pub(crate) trait Source: Deref<Target = [u8]> + Debug + Send + Sync + 'static {}
impl<B: Deref<Target = [u8]> + Debug + Send + Sync + 'static> Source for B {}

/// Builds the runtime estimator of `container`'s manifest, validating it.
pub(crate) fn build<B: Source>(container: &Arc<Container<B>>) -> Result<Box<dyn Estimator>> {
    build_estimator(container, &container.manifest().estimator, "estimator")
}

fn build_estimator<B: Source>(
    c: &Arc<Container<B>>,
    est: &model::Estimator,
    path: &str,
) -> Result<Box<dyn Estimator>> {
    let declared = declared_n_features(est, path)?;
    check_member_names(est, path)?;
    let leaf_n = || {
        declared.ok_or_else(|| {
            EstimatorError::model(format!("{path}.n_features_in"), "must be at least 1")
        })
    };
    Ok(match &est.body {
        Body::StandardScaler(s) => Box::new(standard_scaler(c, s, leaf_n()?, path)?),
        Body::Linear(l) => linear(c, l, leaf_n()?, path)?,
        Body::Pipeline(p) => Box::new(pipeline(c, p, declared, path)?),
        Body::TreeEnsemble(t) => Box::new(tree::build(c, t, leaf_n()?, path)?),
        Body::IsolationForest(i) => Box::new(iforest::build(c, i, leaf_n()?, path)?),
        Body::FeatureAffine(a) => Box::new(feature_affine::build(c, a, leaf_n()?, path)?),
        Body::Binarizer(b) => Box::new(binarizer::build(b, leaf_n()?, path)?),
        Body::Normalizer(n) => Box::new(normalizer::Normalizer::new(*n, leaf_n()?)),
        Body::SimpleImputer(s) => Box::new(impute::simple_imputer::build(c, s, leaf_n()?, path)?),
        Body::MissingIndicator(m) => Box::new(impute::missing_indicator::build(
            c,
            m,
            leaf_n()?,
            &format!("{path}.missing_indicator"),
        )?),
        Body::KnnImputer(k) => Box::new(impute::knn_imputer::build(c, k, leaf_n()?, path)?),
        Body::OneHotEncoder(b) => Box::new(encoders::one_hot::build(b, leaf_n()?, path)?),
        Body::OrdinalEncoder(b) => Box::new(encoders::ordinal::build(b, leaf_n()?, path)?),
        Body::TargetEncoder(b) => Box::new(encoders::target::build(b, leaf_n()?, path)?),
        Body::ColumnTransformer(ct) => {
            compose::build(&ct.branches, leaf_n()?, false, path, |e, p| {
                build_estimator(c, e, p)
            })?
        }
        Body::FeatureUnion(fu) => compose::build(&fu.members, leaf_n()?, true, path, |e, p| {
            build_estimator(c, e, p)
        })?,
        Body::Voting(v) => {
            compose::voting::build(v, leaf_n()?, path, |e, p| build_estimator(c, e, p))?
        }
        Body::Stacking(s) => {
            compose::stacking::build(s, leaf_n()?, path, |e, p| build_estimator(c, e, p))?
        }
        Body::Calibration(k) => {
            compose::calibration::build(c, k, leaf_n()?, path, |e, p| build_estimator(c, e, p))?
        }
        Body::Multiclass(m) => {
            compose::multiclass::build(c, m, leaf_n()?, path, |e, p| build_estimator(c, e, p))?
        }
        Body::MultiOutput(m) => {
            compose::multi_output::build(m, leaf_n()?, path, |e, p| build_estimator(c, e, p))?
        }
        Body::TransformedTarget(t) => {
            compose::transformed_target::build(t, leaf_n()?, path, |e, p| build_estimator(c, e, p))?
        }
        Body::FunctionTransformer(f) => Box::new(FunctionTransformer::new(f, leaf_n()?)),
        Body::ThresholdClassifier(t) => {
            compose::threshold::build(t, leaf_n()?, path, |e, p| build_estimator(c, e, p))?
        }
        Body::Bagging(b) => {
            compose::bagging::build(b, leaf_n()?, path, |e, p| build_estimator(c, e, p))?
        }
        Body::AdaBoost(a) => {
            compose::ada_boost::build(c, a, leaf_n()?, path, |e, p| build_estimator(c, e, p))?
        }
        Body::Boosting(b) => Box::new(boosting::build(c, b, leaf_n()?, path, |e, p| {
            build_estimator(c, e, p)
        })?),
        // A body the codec knows and this crate does not yet.
        _ => {
            return Err(CodecError::UnknownEstimator {
                context: path.to_owned(),
                producer_type: est.producer_type.clone(),
            }
            .into());
        }
    })
}

/// A composition with names gives its members DataFrames of named columns, and scikit-learn's
/// members check those names against their own `feature_names_in`: a pipeline's first step
/// gets every column, a `ColumnTransformer` branch its own columns, a `FeatureUnion` member
/// every column. A member that has names must have those (`spec/estimators.md` section 1).
fn check_member_names(est: &model::Estimator, path: &str) -> Result<()> {
    let members = whole_input_members(est, path);
    let mut names = &est.feature_names_in;
    if names.is_empty() {
        // scikit-learn's feature_names_in_ of a composition over the whole input: a
        // FeatureUnion's, a CalibratedClassifierCV's and a OneVsRest/OneVsOne/OutputCode
        // classifier's and a MultiOutput*'s are their first member's, a Voting*'s
        // and a Stacking*'s their last named member's.
        let inherited = match &est.body {
            Body::Voting(_) | Body::Stacking(_) => members
                .iter()
                .rfind(|(_, e)| !e.feature_names_in.is_empty()),
            _ => members.first(),
        };
        if let Some(e) = inherited.map(|(_, e)| *e) {
            names = &e.feature_names_in;
        }
    }
    if names.is_empty() {
        return Ok(());
    }
    let check = |member: &model::Estimator, want: &mut dyn Iterator<Item = &str>, at: String| {
        let own = &member.feature_names_in;
        if own.is_empty() || own.iter().map(String::as_str).eq(want) {
            Ok(())
        } else {
            Err(EstimatorError::model(
                format!("{at}.feature_names_in"),
                "are not the names of the columns the composition gives it",
            ))
        }
    };
    let all = || names.iter().map(String::as_str);
    match &est.body {
        Body::Pipeline(p) => {
            if let Some(step) = p.steps.first() {
                if let Some(first) = &step.estimator {
                    check(first, &mut all(), format!("{path}/steps/{}", step.name))?;
                }
            }
        }
        Body::ColumnTransformer(ct) => {
            for (i, b) in ct.branches.iter().enumerate() {
                let Some(member) = &b.estimator else { continue };
                // A column out of range is the branch rule's to report (section 16, rule 2).
                let picked: Option<Vec<&str>> = b
                    .columns
                    .iter()
                    .map(|&c| usize::try_from(c).ok().and_then(|c| names.get(c)))
                    .map(|n| n.map(String::as_str))
                    .collect();
                if let Some(picked) = picked {
                    let at = format!("{path}.column_transformer.branches[{i}].estimator");
                    check(member, &mut picked.into_iter(), at)?;
                }
            }
        }
        _ => {
            for (at, member) in members {
                check(member, &mut all(), at)?;
            }
        }
    }
    Ok(())
}

/// The members of a composition that hands each of them the whole input (`FeatureUnion`,
/// `Voting`, `Stacking`, `Calibration`, `Multiclass`, `MultiOutput*`), with the field path of each, dropped ones left out;
/// empty for any other body.
fn whole_input_members<'a>(
    est: &'a model::Estimator,
    path: &str,
) -> Vec<(String, &'a model::Estimator)> {
    let listed = |field: &str, members: Vec<Option<&'a model::Estimator>>| {
        members
            .into_iter()
            .enumerate()
            .filter_map(|(i, m)| Some((format!("{path}.{field}[{i}].estimator"), m?)))
            .collect()
    };
    match &est.body {
        Body::FeatureUnion(fu) => listed(
            "feature_union.members",
            fu.members.iter().map(|m| m.estimator.as_ref()).collect(),
        ),
        Body::Voting(v) => listed(
            "voting.members",
            v.members.iter().map(|m| m.estimator.as_ref()).collect(),
        ),
        Body::Stacking(s) => listed(
            "stacking.members",
            s.members.iter().map(|m| m.estimator.as_ref()).collect(),
        ),
        Body::Calibration(k) => listed(
            "calibration.classifiers",
            k.classifiers.iter().map(|c| Some(&c.estimator)).collect(),
        ),
        Body::Multiclass(m) => listed(
            "multiclass.members",
            m.members
                .iter()
                .map(model::MulticlassMember::estimator)
                .collect(),
        ),
        Body::TransformedTarget(t) => vec![(
            format!("{path}.transformed_target.regressor"),
            t.regressor.as_ref(),
        )],
        Body::ThresholdClassifier(t) => vec![(
            format!("{path}.threshold_classifier.estimator"),
            t.estimator.as_ref(),
        )],
        // A chain's members read the input and earlier outputs, without names (rule 3).
        Body::MultiOutput(m) if !m.kind.is_chain() => {
            listed("multi_output.members", m.members.iter().map(Some).collect())
        }
        _ => Vec::new(),
    }
}

/// The labels as runtime classes, refusing a label listed twice (rule 7 of
/// `spec/estimators.md` section 3, which every classifier body shares).
pub(crate) fn distinct_classes(classes: Labels, field: String) -> Result<Classes> {
    if let Some(label) = repeated_label(&classes) {
        return Err(EstimatorError::model(
            field,
            format!("class {label} is listed twice"),
        ));
    }
    Ok(Classes::from(classes))
}

/// `n_features_in`, `None` when 0 (unset: allowed for a pipeline only), and the rule that
/// `feature_names_in` is empty or has one name per feature.
fn declared_n_features(est: &model::Estimator, path: &str) -> Result<Option<usize>> {
    let n = usize::try_from(est.n_features_in).map_err(|_| {
        EstimatorError::model(format!("{path}.n_features_in"), "does not fit in usize")
    })?;
    let names = est.feature_names_in.len();
    if names != 0 && names != n {
        return Err(EstimatorError::model(
            format!("{path}.feature_names_in"),
            format!("has {names} names for n_features_in {n}"),
        ));
    }
    // Distinct: scikit-learn never fits on repeated column names, and a table's columns
    // are matched by them.
    let mut seen = HashSet::with_capacity(names);
    if let Some(name) = est
        .feature_names_in
        .iter()
        .find(|n| !seen.insert(n.as_str()))
    {
        return Err(EstimatorError::model(
            format!("{path}.feature_names_in"),
            format!("names {name:?} twice"),
        ));
    }
    Ok((n != 0).then_some(n))
}

/// The tensor `name`, checked to be `dtype`, with its shape.
fn tensor_shape<B: Deref<Target = [u8]>>(
    c: &Container<B>,
    name: &str,
    dtype: DType,
    context: &str,
) -> Result<Vec<usize>> {
    let view = c.tensor(name)?;
    let found = view.info().dtype;
    if found != dtype {
        return Err(EstimatorError::model(
            context,
            format!("tensor {name:?} has dtype {found}, expected {dtype}"),
        ));
    }
    Ok(view.shape()?)
}

/// The f64 tensor `name`, copied out of the container.
pub(crate) fn f64_tensor<B: Deref<Target = [u8]>>(
    c: &Container<B>,
    name: &str,
    context: &str,
) -> Result<ArrayD<f64>> {
    tensor_shape(c, name, DType::F64, context)?;
    Ok(c.tensor(name)?.array::<f64>()?.into_owned())
}

/// An f64 tensor of shape exactly `[n]`.
pub(crate) fn f64_vector<B: Deref<Target = [u8]>>(
    c: &Container<B>,
    name: &str,
    n: usize,
    context: &str,
) -> Result<Array1<f64>> {
    let a = f64_tensor(c, name, context)?;
    if a.shape() != [n] {
        return Err(shape_error(context, name, a.shape(), &format!("[{n}]")));
    }
    a.into_dimensionality::<Ix1>()
        .map_err(|e| EstimatorError::model(context, e.to_string()))
}

fn shape_error(context: &str, name: &str, found: &[usize], expected: &str) -> EstimatorError {
    EstimatorError::model(
        context,
        format!("tensor {name:?} has shape {found:?}, expected {expected}"),
    )
}

fn standard_scaler<B: Deref<Target = [u8]>>(
    c: &Container<B>,
    s: &model::StandardScaler,
    n: usize,
    path: &str,
) -> Result<StandardScaler> {
    let field = |f: &str| format!("{path}.standard_scaler.{f}");
    let mean = s
        .mean
        .as_deref()
        .map(|name| f64_vector(c, name, n, &field("mean")))
        .transpose()?;
    let scale = s
        .scale
        .as_deref()
        .map(|name| f64_vector(c, name, n, &field("scale")))
        .transpose()?;
    // Rule 2: scikit-learn's mean_ is finite and its scale_ positive (zeros replaced by 1).
    // A NaN mean or a zero scale would make every transformed value NaN or infinite, which
    // a rebuilt pipeline's next step refuses and a reader that does not check passes on.
    let broken = |values: &Option<Array1<f64>>, ok: fn(f64) -> bool| {
        values
            .as_ref()
            .and_then(|v| v.iter().copied().enumerate().find(|&(_, x)| !ok(x)))
    };
    if let Some((j, v)) = broken(&mean, f64::is_finite) {
        return Err(EstimatorError::model(
            field("mean"),
            format!("element {j} is {v}; it must be finite"),
        ));
    }
    if let Some((j, v)) = broken(&scale, |x| x.is_finite() && x > 0.0) {
        return Err(EstimatorError::model(
            field("scale"),
            format!("element {j} is {v}; it must be finite and > 0"),
        ));
    }
    // Provenance only, but a file that lies about them is still malformed.
    if let Some(name) = &s.var {
        let shape = tensor_shape(c, name, DType::F64, &field("var"))?;
        if shape != [n] {
            return Err(shape_error(&field("var"), name, &shape, &format!("[{n}]")));
        }
    }
    if let Some(name) = &s.n_samples_seen {
        let context = field("n_samples_seen");
        let view = c.tensor(name)?;
        let dtype = view.info().dtype;
        if !matches!(dtype, DType::I64 | DType::F64) {
            return Err(EstimatorError::model(
                context,
                format!("tensor {name:?} has dtype {dtype}, expected i64 or f64"),
            ));
        }
        let shape = view.shape()?;
        if !(shape.is_empty() || shape == [n]) {
            return Err(shape_error(&context, name, &shape, &format!("[] or [{n}]")));
        }
    }
    Ok(StandardScaler::new(n, mean, scale))
}

fn linear<B: Deref<Target = [u8]>>(
    c: &Container<B>,
    l: &model::Linear,
    n: usize,
    path: &str,
) -> Result<Box<dyn Estimator>> {
    let field = |f: &str| format!("{path}.linear.{f}");
    let coef = f64_tensor(c, &l.coef, &field("coef"))?;
    let one_d = coef.ndim() == 1;
    let coef_shape = coef.shape().to_vec();
    let coef: Array2<f64> = match coef.shape() {
        [f] if *f == n => coef.into_shape_with_order((1, n)),
        [k, f] if *f == n && *k >= 1 => coef.into_dimensionality::<Ix2>(),
        found => {
            return Err(shape_error(
                &field("coef"),
                &l.coef,
                found,
                &format!("[{n}] or [n_outputs >= 1, {n}] (n_features_in is {n})"),
            ));
        }
    }
    .map_err(|e| EstimatorError::model(field("coef"), e.to_string()))?;
    let k = coef.nrows();
    let intercept = match &l.intercept {
        None => Array1::zeros(k),
        Some(name) => {
            let b = f64_tensor(c, name, &field("intercept"))?;
            let expected: &[usize] = if one_d { &[] } else { &[k] };
            if b.shape() != expected {
                return Err(shape_error(
                    &field("intercept"),
                    name,
                    b.shape(),
                    &format!("{expected:?} (coef has shape {:?})", coef_shape),
                ));
            }
            // `[]` holds one element, `[k]` k: either way, the k intercepts in order.
            Array1::from_iter(b.iter().copied())
        }
    };
    // Rule 8: finite. A fit gives finite coefficients; a NaN or infinite one times an input
    // zero is NaN here, where scikit-learn's product over a sparse input skips the zero.
    if !coef.iter().all(|v| v.is_finite()) {
        return Err(EstimatorError::model(field("coef"), "must be finite"));
    }
    if !intercept.iter().all(|v| v.is_finite()) {
        return Err(EstimatorError::model(field("intercept"), "must be finite"));
    }
    let affine = Affine::new(coef, intercept);
    let link = match l.link {
        LinearLink::Identity => {
            if l.classes.is_some() {
                return Err(EstimatorError::model(
                    field("classes"),
                    "link IDENTITY is a regressor and takes no classes",
                ));
            }
            return Ok(Box::new(Regressor::new(affine, one_d)));
        }
        LinearLink::Logistic => ClassLink::Logistic,
        LinearLink::OvrLogistic => ClassLink::OvrLogistic,
        LinearLink::Softmax => ClassLink::Softmax,
    };
    let Some(classes) = l.classes.clone() else {
        return Err(EstimatorError::model(
            field("classes"),
            format!("link {link:?} is a classifier's and needs classes"),
        ));
    };
    let m = classes.len();
    let fits = match link {
        ClassLink::Logistic => m == 2 && k == 1,
        ClassLink::OvrLogistic | ClassLink::Softmax => m >= 2 && !one_d && k == m,
    };
    if !fits {
        let rule = match link {
            ClassLink::Logistic => "LOGISTIC needs 2 classes and one score column",
            ClassLink::OvrLogistic | ClassLink::Softmax => {
                "OVR_LOGISTIC and SOFTMAX need n_classes >= 2 and coef [n_classes, n_features]"
            }
        };
        return Err(EstimatorError::model(
            field("classes"),
            format!("{rule}; found {m} classes and coef of shape {coef_shape:?}"),
        ));
    }
    let classes = distinct_classes(classes, field("classes"))?;
    Ok(Box::new(Classifier::new(affine, link, classes)))
}

fn pipeline<B: Source>(
    c: &Arc<Container<B>>,
    p: &model::Pipeline,
    declared: Option<usize>,
    path: &str,
) -> Result<Pipeline> {
    let steps_context = format!("{path}.pipeline.steps");
    if p.steps.is_empty() {
        return Err(EstimatorError::model(
            steps_context,
            "a pipeline needs at least one step",
        ));
    }
    let mut names = HashSet::with_capacity(p.steps.len());
    if let Some(bad) = p
        .steps
        .iter()
        .find(|s| s.name.is_empty() || !names.insert(s.name.as_str()))
    {
        return Err(EstimatorError::model(
            steps_context,
            format!("step name {:?} is empty or repeated", bad.name),
        ));
    }
    let bearing = p
        .steps
        .iter()
        .filter_map(|s| s.estimator.as_ref())
        .any(crate::schema::kind_bearing);
    // `None` until known: a pipeline may leave n_features_in unset (scikit-learn has none
    // when the first step is passthrough); it is then its first estimator's.
    let mut width = declared;
    let mut built: Vec<(String, Option<Box<dyn Estimator>>)> = Vec::with_capacity(p.steps.len());
    for (i, step) in p.steps.iter().enumerate() {
        let Some(inner) = &step.estimator else {
            built.push((step.name.clone(), None));
            continue;
        };
        let step_path = format!("{path}/steps/{}", step.name);
        let runtime = build_estimator(c, inner, &step_path)?;
        let n_in = runtime.n_features_in();
        match width {
            Some(w) if w != n_in => {
                let source = if built.iter().any(|(_, e)| e.is_some()) {
                    format!("the previous step outputs {w} features")
                } else {
                    format!("the pipeline's n_features_in is {w}")
                };
                return Err(EstimatorError::model(
                    format!("{step_path}.n_features_in"),
                    format!("is {n_in}, but {source}"),
                ));
            }
            _ => {}
        }
        // Rule 6: a step's output kinds feed the next step (strings never reach numbers).
        // Only a kind-bearing pipeline has kinds to chain, and its widths are bounded
        // (`schema::check_limit`); a numeric one's may be unbacked, so none are listed.
        if bearing {
            if let Some(prev) = built.iter().rev().find_map(|(_, e)| e.as_deref()) {
                if let Some(given) = prev.output_kinds() {
                    check_kinds_chain(&given, &runtime.input_kinds(), &step_path)?;
                }
            }
        }
        width = Some(match runtime.as_transform() {
            Some(t) => t.n_features_out(),
            None if i + 1 < p.steps.len() => {
                let why = if runtime.as_transform_prediction().is_some() {
                    // A soft VotingClassifier without flatten_transform: [members, n, classes].
                    "its transform is not a matrix of rows a next step can read".to_owned()
                } else {
                    format!("this one has {}", describe(&runtime.methods()))
                };
                return Err(EstimatorError::model(
                    step_path,
                    format!("every step but the last must transform; {why}"),
                ));
            }
            None => n_in,
        });
        built.push((step.name.clone(), Some(runtime)));
    }
    let n_in = declared
        .or_else(|| {
            built
                .iter()
                .find_map(|(_, e)| e.as_ref().map(|e| e.n_features_in()))
        })
        .ok_or_else(|| {
            EstimatorError::model(
                format!("{path}.n_features_in"),
                "must be at least 1 when every step is passthrough",
            )
        })?;
    let n_out = width.unwrap_or(n_in);
    let last = built.pop().and_then(|(_, e)| e);
    Ok(Pipeline::new(n_in, n_out, built, last))
}

fn describe(methods: &[crate::method::Method]) -> String {
    if methods.is_empty() {
        return "no methods".to_owned();
    }
    methods
        .iter()
        .map(|m| m.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A label that occurs twice, if any. Floats compare by value (`0.0 == -0.0`; NaN never
/// equals anything). `O(m log m)`, so a hostile file with many labels costs little.
pub(crate) fn repeated_label(classes: &Labels) -> Option<String> {
    match classes {
        Labels::Int(v) => {
            let mut seen = HashSet::with_capacity(v.len());
            v.iter().find(|x| !seen.insert(**x)).map(i64::to_string)
        }
        Labels::Str(v) => {
            let mut seen = HashSet::with_capacity(v.len());
            v.iter()
                .find(|x| !seen.insert(x.as_str()))
                .map(|x| format!("{x:?}"))
        }
        Labels::Float(v) => {
            let mut sorted: Vec<f64> = v.iter().copied().filter(|x| !x.is_nan()).collect();
            sorted.sort_by(f64::total_cmp);
            sorted.windows(2).find_map(|w| match w {
                [a, b] if a == b => Some(a.to_string()),
                _ => None,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn estimator(n_features_in: u64, names: &[&str]) -> model::Estimator {
        model::Estimator {
            producer_type: String::new(),
            params: vec![],
            attributes: vec![],
            n_features_in,
            feature_names_in: names.iter().map(|s| (*s).to_owned()).collect(),
            body: Body::Pipeline(model::Pipeline { steps: vec![] }),
        }
    }

    #[test]
    fn zero_n_features_in_is_unset() {
        assert_eq!(declared_n_features(&estimator(0, &[]), "e").unwrap(), None);
        assert_eq!(
            declared_n_features(&estimator(3, &[]), "e").unwrap(),
            Some(3)
        );
    }

    #[test]
    fn feature_names_need_one_per_feature() {
        assert!(declared_n_features(&estimator(2, &["a", "b"]), "e").is_ok());
        let err = declared_n_features(&estimator(2, &["a"]), "e").unwrap_err();
        assert!(
            matches!(err, EstimatorError::Model { ref context, .. } if context == "e.feature_names_in")
        );
    }

    #[test]
    fn repeated_labels_are_found_per_type() {
        assert_eq!(repeated_label(&Labels::Int(vec![1, 2, 3])), None);
        assert_eq!(
            repeated_label(&Labels::Int(vec![1, 2, 1])),
            Some("1".into())
        );
        let s = |v: &[&str]| Labels::Str(v.iter().map(|s| (*s).to_owned()).collect());
        assert_eq!(repeated_label(&s(&["a", "b"])), None);
        assert_eq!(repeated_label(&s(&["a", "b", "a"])), Some("\"a\"".into()));
    }

    #[test]
    fn float_labels_compare_by_value() {
        assert_eq!(repeated_label(&Labels::Float(vec![0.5, 1.5])), None);
        assert!(repeated_label(&Labels::Float(vec![0.0, 1.0, -0.0])).is_some());
        // NaN equals nothing, itself included (as in Python's set of floats).
        assert_eq!(
            repeated_label(&Labels::Float(vec![f64::NAN, f64::NAN])),
            None
        );
    }
}
