//! Domain types of the imputer bodies (spec/estimators.md, "SimpleImputer",
//! "MissingIndicator", "KnnImputer"), each with its validating conversion from the raw
//! manifest type beside it.

use amber_schema::raw;

use super::non_empty;
use crate::error::{CodecError, Result};

/// The value a cell equals to count as missing (scikit-learn's `missing_values`).
#[derive(Clone, Debug, PartialEq)]
pub enum MissingValue {
    /// `np.nan`: a NaN number or a missing text cell.
    Nan,
    /// A float a numeric cell equals (never NaN).
    Number(f64),
    /// An int a numeric cell equals.
    Integer(i64),
    /// A string a text cell equals.
    Text(String),
    /// Python `None`: a missing text cell.
    None,
}

/// What one column's missing cells become (`statistics_[j]`).
#[derive(Clone, Debug, PartialEq)]
pub enum ImputerFill {
    /// A float; NaN marks a column without a statistic.
    Number(f64),
    /// An int (an entry of an object-dtype `statistics_`).
    Integer(i64),
    /// A string: the column holds text.
    Text(String),
}

/// Per-column fill of missing cells (`SimpleImputer`).
#[derive(Clone, Debug, PartialEq)]
pub struct SimpleImputer {
    /// What counts as missing.
    pub missing_values: MissingValue,
    /// One per input column.
    pub fills: Vec<ImputerFill>,
    /// When false, columns whose fill is a NaN number are dropped.
    pub keep_nan_fills: bool,
    /// `statistics_` had object dtype (provenance for a rebuild).
    pub object_statistics: bool,
    /// `add_indicator`: the indicator's columns are appended.
    pub indicator: Option<MissingIndicator>,
}

/// 1.0 where a cell is missing, else 0.0, for some columns (`MissingIndicator`).
#[derive(Clone, Debug, PartialEq)]
pub struct MissingIndicator {
    /// What counts as missing.
    pub missing_values: MissingValue,
    /// i64 `[k]` tensor: the columns whose mask is output; `None` for an empty list.
    pub features: Option<String>,
    /// A missing cell in a column not in `features` is `E_INPUT`.
    pub error_on_new: bool,
}

/// How a `KnnImputer` weights its neighbours.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KnnWeights {
    /// Every neighbour counts the same.
    Uniform,
    /// `1 / distance`; a zero distance takes all the weight.
    Distance,
    /// Uniform, donors at a NaN distance counted too (scikit-learn before 1.6).
    UniformAll,
}

/// Nearest-neighbour imputation over the training rows (`KNNImputer`).
#[derive(Clone, Debug, PartialEq)]
pub struct KnnImputer {
    /// What counts as missing: `Nan`, `Number` or `Integer`.
    pub missing_values: MissingValue,
    /// At least 1.
    pub n_neighbors: u64,
    /// Neighbour weights.
    pub weights: KnnWeights,
    /// f64 `[n_fit, n_features]` tensor.
    pub fit_x: String,
    /// bool `[n_fit, n_features]` tensor.
    pub mask_fit_x: String,
    /// bool `[n_features]` tensor.
    pub valid_mask: String,
    /// When false, columns not in `valid_mask` are dropped; else they become 0.0.
    pub keep_empty_features: bool,
    /// `add_indicator`: the indicator's columns are appended.
    pub indicator: Option<MissingIndicator>,
    /// The number of true values of `valid_mask`.
    pub n_valid: u64,
}

impl SimpleImputer {
    pub(super) fn visit_tensor_refs<'a>(&'a self, path: &str, f: &mut dyn FnMut(&str, &'a str)) {
        if let Some(i) = &self.indicator {
            i.visit_tensor_refs(path, f);
        }
    }
}

impl MissingIndicator {
    pub(super) fn visit_tensor_refs<'a>(&'a self, path: &str, f: &mut dyn FnMut(&str, &'a str)) {
        if let Some(name) = &self.features {
            f(path, name);
        }
    }
}

impl KnnImputer {
    pub(super) fn visit_tensor_refs<'a>(&'a self, path: &str, f: &mut dyn FnMut(&str, &'a str)) {
        for name in [&self.fit_x, &self.mask_fit_x, &self.valid_mask] {
            f(path, name);
        }
        if let Some(i) = &self.indicator {
            i.visit_tensor_refs(path, f);
        }
    }
}

fn missing_from_raw(raw: Option<raw::MissingValue>, context: &str) -> Result<MissingValue> {
    use raw::missing_value::Kind;
    match raw.and_then(|m| m.kind) {
        Some(Kind::Nan(_)) => Ok(MissingValue::Nan),
        Some(Kind::Number(v)) if v.is_nan() => Err(CodecError::model(
            context,
            "a NaN number is written as the nan kind",
        )),
        Some(Kind::Number(v)) => Ok(MissingValue::Number(v)),
        Some(Kind::Integer(v)) => Ok(MissingValue::Integer(v)),
        Some(Kind::Text(s)) => Ok(MissingValue::Text(s)),
        Some(Kind::None(_)) => Ok(MissingValue::None),
        None => Err(CodecError::model(context, "missing_values has no kind")),
    }
}

fn missing_to_raw(m: MissingValue) -> raw::MissingValue {
    use raw::missing_value::Kind;
    let kind = match m {
        MissingValue::Nan => Kind::Nan(raw::NoneValue {}),
        MissingValue::Number(v) => Kind::Number(v),
        MissingValue::Integer(v) => Kind::Integer(v),
        MissingValue::Text(s) => Kind::Text(s),
        MissingValue::None => Kind::None(raw::NoneValue {}),
    };
    raw::MissingValue { kind: Some(kind) }
}

pub(super) fn indicator_from_raw(m: raw::MissingIndicator, path: &str) -> Result<MissingIndicator> {
    Ok(MissingIndicator {
        missing_values: missing_from_raw(m.missing_values, &format!("{path}.missing_values"))?,
        features: non_empty(m.features),
        error_on_new: m.error_on_new,
    })
}

pub(super) fn indicator_to_raw(m: MissingIndicator) -> raw::MissingIndicator {
    raw::MissingIndicator {
        missing_values: Some(missing_to_raw(m.missing_values)),
        features: m.features.unwrap_or_default(),
        error_on_new: m.error_on_new,
    }
}

pub(super) fn simple_from_raw(s: raw::SimpleImputer, path: &str) -> Result<SimpleImputer> {
    use raw::imputer_fill::Kind;
    let mut fills = Vec::with_capacity(s.fills.len());
    for (j, fill) in s.fills.into_iter().enumerate() {
        fills.push(match fill.kind {
            Some(Kind::Number(v)) => ImputerFill::Number(v),
            Some(Kind::Integer(v)) => ImputerFill::Integer(v),
            Some(Kind::Text(t)) => ImputerFill::Text(t),
            None => {
                return Err(CodecError::model(
                    format!("{path}.fills[{j}]"),
                    "the fill has no kind",
                ));
            }
        });
    }
    Ok(SimpleImputer {
        missing_values: missing_from_raw(s.missing_values, &format!("{path}.missing_values"))?,
        fills,
        keep_nan_fills: s.keep_nan_fills,
        object_statistics: s.object_statistics,
        indicator: s
            .indicator
            .map(|i| indicator_from_raw(i, &format!("{path}.indicator")))
            .transpose()?,
    })
}

pub(super) fn simple_to_raw(s: SimpleImputer) -> raw::SimpleImputer {
    use raw::imputer_fill::Kind;
    raw::SimpleImputer {
        missing_values: Some(missing_to_raw(s.missing_values)),
        fills: s
            .fills
            .into_iter()
            .map(|f| raw::ImputerFill {
                kind: Some(match f {
                    ImputerFill::Number(v) => Kind::Number(v),
                    ImputerFill::Integer(v) => Kind::Integer(v),
                    ImputerFill::Text(t) => Kind::Text(t),
                }),
            })
            .collect(),
        keep_nan_fills: s.keep_nan_fills,
        object_statistics: s.object_statistics,
        indicator: s.indicator.map(indicator_to_raw),
    }
}

pub(super) fn knn_from_raw(k: raw::KnnImputer, path: &str) -> Result<KnnImputer> {
    let weights = match raw::KnnWeights::try_from(k.weights) {
        Ok(raw::KnnWeights::Uniform) => KnnWeights::Uniform,
        Ok(raw::KnnWeights::Distance) => KnnWeights::Distance,
        Ok(raw::KnnWeights::UniformAll) => KnnWeights::UniformAll,
        Ok(raw::KnnWeights::Unspecified) | Err(_) => {
            return Err(CodecError::model(
                format!("{path}.weights"),
                format!("{} is not a known weighting", k.weights),
            ));
        }
    };
    let tensor = |name: String, field: &str| {
        non_empty(name)
            .ok_or_else(|| CodecError::model(format!("{path}.{field}"), "the tensor is absent"))
    };
    Ok(KnnImputer {
        missing_values: missing_from_raw(k.missing_values, &format!("{path}.missing_values"))?,
        n_neighbors: k.n_neighbors,
        weights,
        fit_x: tensor(k.fit_x, "fit_x")?,
        mask_fit_x: tensor(k.mask_fit_x, "mask_fit_x")?,
        valid_mask: tensor(k.valid_mask, "valid_mask")?,
        keep_empty_features: k.keep_empty_features,
        indicator: k
            .indicator
            .map(|i| indicator_from_raw(i, &format!("{path}.indicator")))
            .transpose()?,
        n_valid: k.n_valid,
    })
}

pub(super) fn knn_to_raw(k: KnnImputer) -> raw::KnnImputer {
    raw::KnnImputer {
        missing_values: Some(missing_to_raw(k.missing_values)),
        n_neighbors: k.n_neighbors,
        weights: match k.weights {
            KnnWeights::Uniform => raw::KnnWeights::Uniform,
            KnnWeights::Distance => raw::KnnWeights::Distance,
            KnnWeights::UniformAll => raw::KnnWeights::UniformAll,
        } as i32,
        fit_x: k.fit_x,
        mask_fit_x: k.mask_fit_x,
        valid_mask: k.valid_mask,
        keep_empty_features: k.keep_empty_features,
        indicator: k.indicator.map(indicator_to_raw),
        n_valid: k.n_valid,
    }
}
