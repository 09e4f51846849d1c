//! Inference for the estimators an Amber file can hold, with no Python.
//!
//! [`Model::open`] reads a file through `amber-codec` (every check of `spec/format.md`),
//! then builds a runtime estimator from the manifest's typed body, checking every rule of
//! `spec/estimators.md` once, at load (`E_MODEL` otherwise). Prediction then only computes:
//! the runtime objects hold no codec or protobuf type. Linear models and scalers copy their
//! (small) arrays out of the container at load; tree ensembles keep the container, shared,
//! and read node records and leaf values in place from the memory-mapped file (zero-copy).
//!
//! Families, one module each, each documenting the scikit-learn code it mirrors and its exact
//! numerics: `linear` (`LinearRegression`, `Ridge`, `LogisticRegression`), `preprocessing`
//! (`StandardScaler`; `MinMaxScaler`, `MaxAbsScaler`, `RobustScaler`; `Binarizer`; `Normalizer`), `pipeline` (`Pipeline`), `tree` (`DecisionTree*`, `ExtraTree*`,
//! `RandomForest*`, `ExtraTrees*`; multi-output classifiers have
//! [`Model::predict_proba_multi`]), `iforest` (`IsolationForest`: `score_samples`,
//! `decision_function`, `predict`) and `boosting` (`GradientBoosting*`,
//! `HistGradientBoosting*`).
//!
//! Checksums are verified at open by default; `Model::open_with` and a reader built with
//! `ChecksumPolicy::Deferred` verify each tensor's on its first use instead.
//!
//! ```no_run
//! use amber_estimators::{Method, Model};
//! use ndarray::array;
//!
//! let model = Model::open("model.amber")?;
//! let x = array![[5.1, 3.5, 1.4, 0.2]];
//! if model.methods().contains(&Method::PredictProba) {
//!     println!("{}", model.predict_proba(x.view())?);
//! }
//! println!("{:?}", model.predict(x.view())?);
//! # Ok::<(), amber_estimators::EstimatorError>(())
//! ```

#![deny(missing_docs)]

mod boosting;
mod compose;
pub mod csv;
mod encoders;
mod error;
mod finite;
mod iforest;
mod impute;
mod linear;
mod method;
mod model;
mod numerics;
mod pipeline;
mod preprocessing;
mod registry;
mod schema;
mod table;
mod traits;
mod tree;

pub use error::{EstimatorError, Result};
pub use method::{Method, ParseMethodError, Prediction};
pub use model::{Input, Model};
pub use table::{Column, ColumnKind, Table, TextColumn};
