//! Amber: portable, checksummed model files. Train in scikit-learn, save with
//! `amber.dump(estimator, "model.amber")`, and predict here with no Python.
//!
//! [`Model::open`] verifies the whole file (framing, every checksum, every rule of the spec)
//! before anything is predicted; errors carry the spec's stable codes ([`EstimatorError::code`]).
//! Outputs have scikit-learn's shapes and types: labels keep the type of the classes
//! ([`Prediction`]), a binary `decision_function` is 1-D, and so on.
//!
//! `ndarray` is re-exported as [`amber::ndarray`](ndarray), so the arrays you pass are of
//! the version Amber uses, with no separate dependency to keep in step. Errors print as
//! `E_CODE: message` (their `Debug` too, which is what `main` shows when it returns one).
//!
//! ```no_run
//! use amber::ndarray::array;
//! use amber::{Method, Model, Prediction};
//!
//! let model = Model::open("model.amber")?;
//! let x = array![[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]];
//! match model.predict(x.view())? {
//!     Prediction::Str(labels) => println!("labels: {labels}"),
//!     Prediction::Int(labels) => println!("labels: {labels}"),
//!     Prediction::Float(values) => println!("values: {values}"),
//!     Prediction::Table { table, .. } => println!("columns: {:?}", table.names()),
//! }
//! if model.methods().contains(&Method::PredictProba) {
//!     println!("{}", model.predict_proba(x.view())?);
//! }
//! # Ok::<(), amber::EstimatorError>(())
//! ```
//!
//! Tree ensembles (decision trees and forests) are bit-exact with scikit-learn 1.9.1 and
//! 1.3.2, read their node records in place from the memory-mapped file, and predict batches
//! on every core; a multi-output classifier's probabilities, one array per output, come from
//! [`Model::predict_proba_multi`].
//!
//! A model fitted on a DataFrame with string columns takes a [`Table`]: named columns of
//! numbers or strings, matched to the model's input schema by name, in any order
//! ([`Model::input_columns`] lists it); [`csv::TableReader`] reads a CSV into tables, batch by
//! batch:
//!
//! ```no_run
//! use amber::{Model, Table, TextColumn};
//!
//! let model = Model::open("tabular.amber")?;
//! let mut x = Table::new(2);
//! x.push_numeric("age", vec![41.0, f64::NAN])?; // NaN is missing
//! x.push_text("city", TextColumn::from_iter([Some("Paris"), None]))?;
//! let proba = model.predict_proba(&x)?; // every method takes a &Table or a matrix
//! for (name, kind) in model.input_columns()?.iter() {
//!     println!("{name}: {kind}"); // numeric, string, any, unused
//! }
//! println!("{proba}");
//! # Ok::<(), amber::EstimatorError>(())
//! ```
//!
//! The format is specified in `spec/format.md` and `spec/estimators.md`; a configurable
//! [`Reader`] (limits, deferred checksums) goes to [`Model::open_with`]. With
//! [`ChecksumPolicy::Deferred`] each tensor's CRC-32 is verified on its first use rather than
//! at open (for a forest: the node records while they are validated at open, the leaf values
//! at the first prediction), so a large forest opens in time proportional to its node count:
//!
//! ```no_run
//! use amber::{ChecksumPolicy, Model, Reader};
//!
//! let reader = Reader::builder().checksums(ChecksumPolicy::Deferred).build();
//! let forest = Model::open_with("forest.amber", &reader)?;
//! # Ok::<(), amber::EstimatorError>(())
//! ```

#![deny(missing_docs)]

pub use amber_codec::{ChecksumPolicy, CodecError, Manifest, Reader};
#[doc(inline)]
pub use amber_estimators::csv;
pub use amber_estimators::{
    Column, ColumnKind, EstimatorError, Input, Method, Model, Prediction, Result, Table, TextColumn,
};
/// The `ndarray` crate at the version Amber's inputs and outputs use: build inputs with
/// `amber::ndarray::array!` or `amber::ndarray::Array2` and no dependency of your own.
pub use ndarray;

/// The error every fallible call returns: [`EstimatorError`] (codec errors included), whose
/// `Debug` and `Display` both read `E_CODE: message`.
pub type Error = EstimatorError;

/// The README's Rust examples, compiled by `cargo test` (as doctests) so that they cannot go
/// stale; `tests/readme.rs` checks they use nothing but `amber`.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
