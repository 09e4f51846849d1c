//! Hand-made model files: an estimator tree plus its tensors, written with the codec.

use amber_codec::model::{
    Body, Estimator, Labels, LeafValues, Linear, LinearLink, Pipeline, PipelineStep, Producer,
    StandardScaler, TreeEnsemble, TreeInput,
};
use amber_codec::{DType, TensorData, encode};

/// One tensor to write.
pub struct Tensor {
    pub name: String,
    pub dtype: DType,
    pub shape: Vec<u64>,
    pub bytes: Vec<u8>,
}

pub fn f64s(name: &str, shape: &[u64], values: &[f64]) -> Tensor {
    Tensor {
        name: name.to_owned(),
        dtype: DType::F64,
        shape: shape.to_vec(),
        bytes: values.iter().flat_map(|v| v.to_le_bytes()).collect(),
    }
}

pub fn f32s(name: &str, shape: &[u64], values: &[f32]) -> Tensor {
    Tensor {
        name: name.to_owned(),
        dtype: DType::F32,
        shape: shape.to_vec(),
        bytes: values.iter().flat_map(|v| v.to_le_bytes()).collect(),
    }
}

pub fn i64s(name: &str, shape: &[u64], values: &[i64]) -> Tensor {
    Tensor {
        name: name.to_owned(),
        dtype: DType::I64,
        shape: shape.to_vec(),
        bytes: values.iter().flat_map(|v| v.to_le_bytes()).collect(),
    }
}

pub fn u64s(name: &str, shape: &[u64], values: &[u64]) -> Tensor {
    Tensor {
        name: name.to_owned(),
        dtype: DType::U64,
        shape: shape.to_vec(),
        bytes: values.iter().flat_map(|v| v.to_le_bytes()).collect(),
    }
}

pub fn u32s(name: &str, shape: &[u64], values: &[u32]) -> Tensor {
    Tensor {
        name: name.to_owned(),
        dtype: DType::U32,
        shape: shape.to_vec(),
        bytes: values.iter().flat_map(|v| v.to_le_bytes()).collect(),
    }
}

/// The feature word of a leaf.
pub const LEAF: u32 = u32::MAX;
/// Bit 31 of a feature word: missing values go left.
pub const MISSING_LEFT: u32 = 1 << 31;

/// One 16-byte node record: threshold, feature word, right child or leaf row.
#[derive(Clone, Copy, Debug)]
pub struct Rec(pub f64, pub u32, pub u32);

/// An internal record.
pub fn split(feature: u32, threshold: f64, right: u32) -> Rec {
    Rec(threshold, feature, right)
}

/// A leaf record pointing at `row` of `values`.
pub fn leaf(row: u32) -> Rec {
    Rec(0.0, LEAF, row)
}

/// The `nodes` tensor, u8 `[n, 16]`.
pub fn nodes(name: &str, records: &[Rec]) -> Tensor {
    let mut bytes = Vec::with_capacity(records.len() * 16);
    for r in records {
        bytes.extend_from_slice(&r.0.to_le_bytes());
        bytes.extend_from_slice(&r.1.to_le_bytes());
        bytes.extend_from_slice(&r.2.to_le_bytes());
    }
    Tensor {
        name: name.to_owned(),
        dtype: DType::U8,
        shape: vec![records.len() as u64, 16],
        bytes,
    }
}

/// A `TreeEnsemble` body over tensors `nodes`, `tree_offsets`, `values`.
pub fn tree_ensemble(leaf_values: LeafValues, classes: Vec<Labels>) -> Body {
    Body::TreeEnsemble(TreeEnsemble {
        classes,
        ..TreeEnsemble::new(
            "nodes",
            "tree_offsets",
            "values",
            TreeInput::F32,
            leaf_values,
        )
    })
}

pub fn estimator(producer_type: &str, n_features_in: u64, body: Body) -> Estimator {
    Estimator {
        producer_type: producer_type.to_owned(),
        params: vec![],
        attributes: vec![],
        n_features_in,
        feature_names_in: vec![],
        body,
    }
}

pub fn linear(
    coef: &str,
    intercept: Option<&str>,
    link: LinearLink,
    classes: Option<Labels>,
) -> Body {
    Body::Linear(Linear {
        coef: coef.to_owned(),
        intercept: intercept.map(str::to_owned),
        link,
        classes,
    })
}

pub fn scaler(mean: Option<&str>, scale: Option<&str>) -> Body {
    Body::StandardScaler(StandardScaler {
        mean: mean.map(str::to_owned),
        scale: scale.map(str::to_owned),
        var: None,
        n_samples_seen: None,
    })
}

pub fn pipeline(steps: Vec<(&str, Option<Estimator>)>) -> Body {
    Body::Pipeline(Pipeline {
        steps: steps
            .into_iter()
            .map(|(name, estimator)| PipelineStep {
                name: name.to_owned(),
                estimator,
                passthrough_is_none: false,
            })
            .collect(),
    })
}

pub fn ints(v: &[i64]) -> Option<Labels> {
    Some(Labels::Int(v.to_vec()))
}

pub fn strs(v: &[&str]) -> Option<Labels> {
    Some(Labels::Str(v.iter().map(|s| (*s).to_owned()).collect()))
}

/// The file's bytes.
pub fn file(estimator: &Estimator, tensors: &[Tensor]) -> Vec<u8> {
    let data: Vec<TensorData<'_>> = tensors
        .iter()
        .map(|t| TensorData {
            name: &t.name,
            dtype: t.dtype,
            shape: &t.shape,
            bytes: &t.bytes,
        })
        .collect();
    let producer = Producer {
        name: "amber-estimators-tests".to_owned(),
        ..Producer::default()
    };
    encode(&[], &producer, estimator, &data).expect("a well-formed test file")
}
