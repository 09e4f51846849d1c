//! Inference latency and throughput of every estimator family Amber can run, on synthetic
//! models built with the canonical writer (no Python needed).
//!
//! Groups:
//! - `inference-single-row`: one `[1, n_features]` row per call (latency; throughput is in
//!   rows/s);
//! - `inference-batch-10k`: 10,000 rows per call (throughput in rows/s).
//!
//! Families today: linear (regression, binary logistic, multinomial softmax), the standard
//! scaler, pipelines of them, and tree ensembles (random forests). Add a case here when a
//! family lands in `amber-estimators`.
//!
//! Run: `cargo bench --bench inference` (add `-- --quick` for a rough figure).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use std::hint::black_box;
use std::time::Duration;

use amber::{Method, Model};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const BATCH_ROWS: usize = 10_000;

/// `(name, model bytes, n_features, methods to time)`.
fn cases() -> Vec<(&'static str, Vec<u8>, usize, Vec<Method>)> {
    vec![
        (
            // The `linear` bench model's shape: scaler + 10-class softmax, 100 features.
            "scaler+softmax-100x10",
            common::scaler_logistic_pipeline(100, 10, 11),
            100,
            vec![Method::Predict, Method::PredictProba],
        ),
        (
            "scaler+logistic-20x2",
            common::scaler_logistic_pipeline(20, 2, 12),
            20,
            vec![Method::Predict, Method::PredictProba],
        ),
        (
            "linear-regression-100",
            common::linear_regression(1, 100, 13),
            100,
            vec![Method::Predict],
        ),
        (
            "standard-scaler-100",
            common::standard_scaler(100, 14),
            100,
            vec![Method::Transform],
        ),
        (
            // The `rf_clf` bench model's shape: 100 trees of ~2,750 records, 20 features.
            "forest-clf-100x20",
            common::random_forest(100, 1_600.0, 20, Some(2), 15),
            20,
            vec![Method::Predict, Method::PredictProba],
        ),
        (
            // The `rf_big` bench model's shape: 100 trees of ~50,000 records (80 MB).
            "forest-reg-100x20-big",
            common::random_forest(100, 29_000.0, 20, None, 16),
            20,
            vec![Method::Predict],
        ),
    ]
}

fn bench_inference(c: &mut Criterion) {
    let cases: Vec<_> = cases()
        .into_iter()
        .map(|(name, bytes, n_features, methods)| {
            let model = Model::from_bytes(bytes).expect("the synthetic model loads");
            (name, model, n_features, methods)
        })
        .collect();

    let mut single = c.benchmark_group("inference-single-row");
    single
        .throughput(Throughput::Elements(1))
        .sample_size(50)
        .measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_millis(500));
    for (name, model, n_features, methods) in &cases {
        let x = common::inputs(1, *n_features, 21);
        for &method in methods {
            single.bench_function(format!("{name}/{method}"), |b| {
                b.iter(|| model.run(method, black_box(x.view())).unwrap());
            });
        }
    }
    single.finish();

    let mut batch = c.benchmark_group("inference-batch-10k");
    batch
        .throughput(Throughput::Elements(BATCH_ROWS as u64))
        .sample_size(20)
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_millis(500));
    for (name, model, n_features, methods) in &cases {
        let x = common::inputs(BATCH_ROWS, *n_features, 22);
        for &method in methods {
            batch.bench_function(format!("{name}/{method}"), |b| {
                b.iter(|| model.run(method, black_box(x.view())).unwrap());
            });
        }
    }
    batch.finish();
}

criterion_group!(benches, bench_inference);
criterion_main!(benches);
