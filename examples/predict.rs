//! Open a model and run every method it has.
//!
//! ```text
//! cargo run --example predict -- MODEL.amber INPUT.npy   # a saved model, an f64 [n, d] input
//! cargo run --example predict                            # a tiny model built in memory
//! ```

use amber::{Method, Model, Prediction};
use ndarray::{Array2, array};
use ndarray_npy::ReadNpyExt;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (model, x) = match args.as_slice() {
        [model, input] => (
            Model::open(model)?,
            Array2::<f64>::read_npy(std::fs::File::open(input)?)?,
        ),
        [] => (
            Model::from_bytes(demo_model()?)?,
            array![[0.0, 0.0], [2.0, 1.0], [-1.0, 3.0]],
        ),
        _ => return Err("usage: predict [MODEL.amber INPUT.npy]".into()),
    };
    let est = &model.manifest().estimator;
    println!(
        "{} (format {}.{}), {} features, methods: {:?}",
        est.producer_type,
        model.version().0,
        model.version().1,
        model.n_features_in(),
        model.methods()
    );
    for method in model.methods() {
        if method == Method::PredictProba {
            // One array per output (one for a single-output model).
            for (o, p) in model.predict_proba_multi(x.view())?.iter().enumerate() {
                println!("{method} (output {o}):\n{p}");
            }
            continue;
        }
        match model.run(method, x.view())? {
            Prediction::Float(a) => println!("{method}:\n{a}"),
            Prediction::Int(a) => println!("{method}:\n{a}"),
            Prediction::Str(a) => println!("{method}:\n{a}"),
            Prediction::Table { table, shape } => println!("{method} {shape:?}:\n{table:?}"),
        }
    }
    Ok(())
}

/// A binary LogisticRegression on two features, `score = x0 - x1 + 0.5`, written with the
/// codec's canonical writer: what `amber.dumps` would give for such a model.
fn demo_model() -> Result<Vec<u8>, amber::CodecError> {
    use amber_codec::model::{Body, Estimator, Labels, Linear, LinearLink, Producer};
    use amber_codec::{DType, TensorData, encode};

    let coef: Vec<u8> = [1.0f64, -1.0]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let intercept = 0.5f64.to_le_bytes();
    let estimator = Estimator {
        producer_type: "sklearn.linear_model.LogisticRegression".into(),
        params: vec![],
        attributes: vec![],
        n_features_in: 2,
        feature_names_in: vec![],
        body: Body::Linear(Linear {
            coef: "coef_".into(),
            intercept: Some("intercept_".into()),
            link: LinearLink::Logistic,
            classes: Some(Labels::Str(vec!["no".into(), "yes".into()])),
        }),
    };
    let tensors = [
        TensorData {
            name: "coef_",
            dtype: DType::F64,
            shape: &[1, 2],
            bytes: &coef,
        },
        TensorData {
            name: "intercept_",
            dtype: DType::F64,
            shape: &[1],
            bytes: &intercept,
        },
    ];
    encode(&[], &Producer::default(), &estimator, &tensors)
}
