//! Synthetic models shared by the criterion benches, built by hand with the canonical writer
//! so the benches need neither Python nor files from the harness.

#![allow(dead_code)] // each bench binary uses a different part of this module

use amber_codec::model::{
    Body, Estimator, Labels, LeafValues, Linear, LinearLink, Pipeline, PipelineStep, Producer,
    StandardScaler, TreeEnsemble, TreeInput,
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
/// A `StandardScaler` over tensors `{prefix}mean_` and `{prefix}scale_`.
fn scaler_estimator(n_features: usize, prefix: &str) -> Estimator {
    Estimator {
        producer_type: "sklearn.preprocessing.StandardScaler".into(),
        params: vec![],
        attributes: vec![],
        n_features_in: n_features as u64,
        feature_names_in: vec![],
        body: Body::StandardScaler(StandardScaler {
            mean: Some(format!("{prefix}mean_")),
            scale: Some(format!("{prefix}scale_")),
            var: None,
            n_samples_seen: None,
        }),
    }
}

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
    let scaler = scaler_estimator(n_features, "steps/scaler/");
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
    let scaler = scaler_estimator(n_features, "");
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

/// A random forest of `n_trees` random trees over `n_features` features, in the file's
/// preorder record layout (`spec/estimators.md`, "TreeEnsemble"): `n_classes` = `Some(k)` for
/// a `RandomForestClassifier` with `FRACTIONS` leaves, `None` for a `RandomForestRegressor`.
///
/// Each tree is grown like a fitted one from `samples` notional training samples: a node
/// splits its samples at a random fraction in [0.1, 0.9] and becomes a leaf below 2 samples,
/// and its threshold sends that same fraction of [`inputs`] (uniform in [-1, 1)) left. So
/// trees are unbalanced like fitted ones, with about `0.86 * samples` leaves: 1,600 samples
/// give the `rf_clf` bench model's size (about 2,750 records, 44 KB, a tree), 29,000 that of
/// `rf_big` (about 50,000 records, 800 KB, a tree: 80 MB in all, far larger than the caches).
pub fn random_forest(
    n_trees: usize,
    samples: f64,
    n_features: usize,
    n_classes: Option<usize>,
    seed: u64,
) -> Vec<u8> {
    fn grow(
        rng: &mut Xorshift,
        samples: f64,
        n_features: usize,
        nodes: &mut Vec<u8>,
        n_leaves: &mut u32,
    ) {
        let at = nodes.len();
        if samples < 2.0 {
            nodes.extend(0.0f64.to_le_bytes());
            nodes.extend(u32::MAX.to_le_bytes());
            nodes.extend(n_leaves.to_le_bytes());
            *n_leaves += 1;
            return;
        }
        let fraction = 0.5 + 0.4 * rng.next_f64();
        let feature = ((rng.next_f64() + 1.0) / 2.0 * n_features as f64) as u32;
        nodes.extend((2.0 * fraction - 1.0).to_le_bytes());
        nodes.extend(feature.min(n_features as u32 - 1).to_le_bytes());
        nodes.extend(0u32.to_le_bytes()); // the right child, patched below
        grow(rng, samples * fraction, n_features, nodes, n_leaves);
        let right = (nodes.len() / 16) as u32;
        nodes[at + 12..at + 16].copy_from_slice(&right.to_le_bytes());
        grow(rng, samples * (1.0 - fraction), n_features, nodes, n_leaves);
    }

    let mut rng = Xorshift::new(seed);
    let mut nodes = Vec::new();
    let mut offsets = vec![0u64];
    let mut n_leaves = 0u32;
    for _ in 0..n_trees {
        grow(&mut rng, samples, n_features, &mut nodes, &mut n_leaves);
        offsets.push((nodes.len() / 16) as u64);
    }
    let columns = n_classes.unwrap_or(1);
    let values: Vec<f64> = match n_classes {
        // Class fractions: each leaf's row sums to 1.
        Some(k) => (0..n_leaves)
            .flat_map(|_| {
                let w: Vec<f64> = (0..k).map(|_| 1.0 + rng.next_f64()).collect();
                let sum: f64 = w.iter().sum();
                w.into_iter().map(move |v| v / sum)
            })
            .collect(),
        None => rng
            .vec(n_leaves as usize)
            .iter()
            .map(|v| 100.0 * v)
            .collect(),
    };
    let (producer_type, leaf_values, classes) = match n_classes {
        Some(k) => (
            "sklearn.ensemble.RandomForestClassifier",
            LeafValues::Fractions,
            vec![Labels::Int((0..k as i64).collect())],
        ),
        None => (
            "sklearn.ensemble.RandomForestRegressor",
            LeafValues::Regression,
            vec![],
        ),
    };
    let estimator = Estimator {
        producer_type: producer_type.into(),
        params: vec![],
        attributes: vec![],
        n_features_in: n_features as u64,
        feature_names_in: vec![],
        body: Body::TreeEnsemble(TreeEnsemble {
            classes,
            ..TreeEnsemble::new(
                "nodes",
                "tree_offsets",
                "values",
                TreeInput::F32,
                leaf_values,
            )
        }),
    };
    let offsets: Vec<u8> = offsets.iter().flat_map(|v| v.to_le_bytes()).collect();
    encode(
        &[],
        &producer(),
        &estimator,
        &[
            TensorData {
                name: "nodes",
                dtype: DType::U8,
                shape: &[(nodes.len() / 16) as u64, 16],
                bytes: &nodes,
            },
            TensorData {
                name: "tree_offsets",
                dtype: DType::U64,
                shape: &[(n_trees + 1) as u64],
                bytes: &offsets,
            },
            TensorData {
                name: "values",
                dtype: DType::F64,
                shape: &[u64::from(n_leaves), 1, columns as u64],
                bytes: &f64_bytes(&values),
            },
        ],
    )
    .unwrap_or_else(|e| panic!("the synthetic forest encodes: {e}"))
}
