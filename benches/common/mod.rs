//! Synthetic models shared by the criterion benches, built by hand with the canonical writer
//! so the benches need neither Python nor files from the harness.

#![allow(dead_code)] // each bench binary uses a different part of this module

use amber_codec::model::{
    Body, Estimator, Labels, Linear, LinearLink, Pipeline, PipelineStep, Producer, StandardScaler,
};
use amber_codec::{DType, TensorData, encode};

/// Deterministic pseudo-random numbers in [-1, 1) (xorshift64*), so every run sees the same
/// bytes without a `rand` dependency.
pub struct Xorshift(u64);

impl Xorshift {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    pub fn next_f64(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let bits = self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11;
        (bits as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
    }

    pub fn vec(&mut self, n: usize) -> Vec<f64> {
        (0..n).map(|_| self.next_f64()).collect()
    }
}

pub fn f64_bytes(v: &[f64]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

pub fn producer() -> Producer {
    Producer {
        name: "amber-benches".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        library: "scikit-learn".into(),
        library_version: "1.9.1".into(),
    }
}

fn linear_estimator(
    producer_type: &str,
    prefix: &str,
    n_features: usize,
    link: LinearLink,
    classes: Option<Labels>,
) -> Estimator {
    Estimator {
        producer_type: producer_type.into(),
        params: vec![],
        attributes: vec![],
        n_features_in: n_features as u64,
        feature_names_in: vec![],
        body: Body::Linear(Linear {
            coef: format!("{prefix}coef_"),
            intercept: Some(format!("{prefix}intercept_")),
            link,
            classes,
        }),
    }
}

/// A multi-output linear regression with `coef_` of `[n_outputs, n_features]` f64: the
/// simplest container whose size is almost all tensor bytes. Used by the codec bench.
pub fn linear_regression(n_outputs: usize, n_features: usize, seed: u64) -> Vec<u8> {
    let mut rng = Xorshift::new(seed);
    let coef = f64_bytes(&rng.vec(n_outputs * n_features));
    let intercept = f64_bytes(&rng.vec(n_outputs));
    let estimator = linear_estimator(
        "sklearn.linear_model.LinearRegression",
        "",
        n_features,
        LinearLink::Identity,
        None,
    );
    encode(
        &[],
        &producer(),
        &estimator,
        &[
            TensorData {
                name: "coef_",
                dtype: DType::F64,
                shape: &[n_outputs as u64, n_features as u64],
                bytes: &coef,
            },
            TensorData {
                name: "intercept_",
                dtype: DType::F64,
                shape: &[n_outputs as u64],
                bytes: &intercept,
            },
        ],
    )
    .unwrap_or_else(|e| panic!("the synthetic linear model encodes: {e}"))
}

/// `Pipeline([StandardScaler(), LogisticRegression()])` with `n_classes` classes (softmax
/// for more than two, logistic for two): the shape of the `linear` model of
/// `../shared/bench-models.md` (100 features, 10 classes).
pub fn scaler_logistic_pipeline(n_features: usize, n_classes: usize, seed: u64) -> Vec<u8> {
    let mut rng = Xorshift::new(seed);
    let mean = f64_bytes(&rng.vec(n_features));
    let scale = f64_bytes(
        &rng.vec(n_features)
            .iter()
            .map(|v| 1.0 + v.abs())
            .collect::<Vec<_>>(),
    );
    let n_rows = if n_classes == 2 { 1 } else { n_classes };
    let coef = f64_bytes(&rng.vec(n_rows * n_features));
    let intercept = f64_bytes(&rng.vec(n_rows));
    let link = if n_classes == 2 {
        LinearLink::Logistic
    } else {
        LinearLink::Softmax
    };
    let classes = Labels::Int((0..n_classes as i64).collect());
    let scaler = Estimator {
        producer_type: "sklearn.preprocessing.StandardScaler".into(),
        params: vec![],
        attributes: vec![],
        n_features_in: n_features as u64,
        feature_names_in: vec![],
        body: Body::StandardScaler(StandardScaler {
            mean: Some("steps/scaler/mean_".into()),
            scale: Some("steps/scaler/scale_".into()),
            var: None,
            n_samples_seen: None,
        }),
    };
    let logistic = linear_estimator(
        "sklearn.linear_model.LogisticRegression",
        "steps/clf/",
        n_features,
        link,
        Some(classes),
    );
    let pipeline = Estimator {
        producer_type: "sklearn.pipeline.Pipeline".into(),
        params: vec![],
        attributes: vec![],
        n_features_in: n_features as u64,
        feature_names_in: vec![],
        body: Body::Pipeline(Pipeline {
            steps: vec![
                PipelineStep {
                    name: "scaler".into(),
                    estimator: Some(scaler),
                    passthrough_is_none: false,
                },
                PipelineStep {
                    name: "clf".into(),
                    estimator: Some(logistic),
                    passthrough_is_none: false,
                },
            ],
        }),
    };
    let nf = n_features as u64;
    encode(
        &[],
        &producer(),
        &pipeline,
        &[
            TensorData {
                name: "steps/scaler/mean_",
                dtype: DType::F64,
                shape: &[nf],
                bytes: &mean,
            },
            TensorData {
                name: "steps/scaler/scale_",
                dtype: DType::F64,
                shape: &[nf],
                bytes: &scale,
            },
            TensorData {
                name: "steps/clf/coef_",
                dtype: DType::F64,
                shape: &[n_rows as u64, nf],
                bytes: &coef,
            },
            TensorData {
                name: "steps/clf/intercept_",
                dtype: DType::F64,
                shape: &[n_rows as u64],
                bytes: &intercept,
            },
        ],
    )
    .unwrap_or_else(|e| panic!("the synthetic pipeline encodes: {e}"))
}

/// Row-major `[n_rows, n_features]` inputs in [-1, 1).
pub fn inputs(n_rows: usize, n_features: usize, seed: u64) -> ndarray::Array2<f64> {
    let mut rng = Xorshift::new(seed);
    ndarray::Array2::from_shape_vec((n_rows, n_features), rng.vec(n_rows * n_features))
        .unwrap_or_else(|e| panic!("shape matches: {e}"))
}

/// A lone `StandardScaler` over `n_features` (the `transform` family member).
pub fn standard_scaler(n_features: usize, seed: u64) -> Vec<u8> {
    let mut rng = Xorshift::new(seed);
    let mean = f64_bytes(&rng.vec(n_features));
    let scale = f64_bytes(
        &rng.vec(n_features)
            .iter()
            .map(|v| 1.0 + v.abs())
            .collect::<Vec<_>>(),
    );
    let scaler = Estimator {
        producer_type: "sklearn.preprocessing.StandardScaler".into(),
        params: vec![],
        attributes: vec![],
        n_features_in: n_features as u64,
        feature_names_in: vec![],
        body: Body::StandardScaler(StandardScaler {
            mean: Some("mean_".into()),
            scale: Some("scale_".into()),
            var: None,
            n_samples_seen: None,
        }),
    };
    let nf = n_features as u64;
    encode(
        &[],
        &producer(),
        &scaler,
        &[
            TensorData {
                name: "mean_",
                dtype: DType::F64,
                shape: &[nf],
                bytes: &mean,
            },
            TensorData {
                name: "scale_",
                dtype: DType::F64,
                shape: &[nf],
                bytes: &scale,
            },
        ],
    )
    .unwrap_or_else(|e| panic!("the synthetic scaler encodes: {e}"))
}
