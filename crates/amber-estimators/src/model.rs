//! [`Model`]: an opened file plus its runtime estimator, ready to predict.

use std::borrow::Cow;
use std::path::Path;
use std::sync::Arc;

use amber_codec::model::Body;
use amber_codec::{Container, FileBytes, Manifest, Reader};
use ndarray::{Array1, Array2, ArrayD, ArrayView2};

use crate::error::{EstimatorError, Result};
use crate::method::{Method, Prediction};
use crate::registry;
use crate::schema;
use crate::table::{ColumnKind, Table};
use crate::traits::Estimator;

/// A validated model: the container (its manifest, checksums verified) and the estimator
/// tree built from it, every rule of `spec/estimators.md` checked.
///
/// Opening does all the work; the prediction methods only compute. A `Model` is `Send` and
/// `Sync`: share one across threads.
///
/// The file is memory-mapped when it is large, and tree ensembles read their node records
/// and leaf values straight from the map (no copy, no parsing): opening a large forest costs
/// its checksums plus one pass over its nodes.
#[derive(Debug)]
pub struct Model {
    /// Shared with the runtime estimators that read tensors in place (trees).
    container: Arc<Container<FileBytes>>,
    root: Box<dyn Estimator>,
    /// The input columns: the file's schema, or `None` for a model whose every column is
    /// numeric (listed on demand from the feature names: its width may be unbacked).
    columns: Option<Vec<(String, ColumnKind)>>,
}

/// What a prediction method takes: a matrix of numbers (columns in the model's input
/// order) or a [`Table`] (columns matched by name, in any order; strings where the model
/// reads them). `&Array2<f64>`, `ArrayView2<f64>` and `&Table` convert into it.
#[derive(Clone, Copy, Debug)]
pub enum Input<'a> {
    /// `[n_samples, n_features_in]` numbers.
    Dense(ArrayView2<'a, f64>),
    /// Named columns.
    Table(&'a Table),
}

impl<'a> From<ArrayView2<'a, f64>> for Input<'a> {
    fn from(x: ArrayView2<'a, f64>) -> Self {
        Input::Dense(x)
    }
}

impl<'a> From<&'a Array2<f64>> for Input<'a> {
    fn from(x: &'a Array2<f64>) -> Self {
        Input::Dense(x.view())
    }
}

impl<'a> From<&'a Table> for Input<'a> {
    fn from(x: &'a Table) -> Self {
        Input::Table(x)
    }
}

impl Model {
    /// Opens a file with the default [`Reader`]: every limit and every checksum checked.
    ///
    /// # Errors
    /// The first failed check of `spec/format.md` §3 (the codec's code), or `E_MODEL` for a
    /// body that breaks `spec/estimators.md`.
    pub fn open(path: impl AsRef<Path>) -> Result<Model> {
        Self::open_with(path, &Reader::default())
    }

    /// Opens a file with a configured [`Reader`] (limits, deferred checksums).
    ///
    /// With `Reader::builder().checksums(ChecksumPolicy::Deferred).build()` opening verifies
    /// the header and manifest checksums and every structural rule, but a tensor's CRC-32 only
    /// when the tensor is first used: by the model's validation (a tree's node records and
    /// leaf values, which the body rules read element by element anyway) or by the first
    /// prediction. Training statistics that no rule reads (a tree's impurities and sample
    /// counts) are then never checksummed; a damaged tensor is reported
    /// (`E_TENSOR_CHECKSUM`) by the call that first touches it.
    ///
    /// ```no_run
    /// use amber_codec::{ChecksumPolicy, Reader};
    /// use amber_estimators::Model;
    ///
    /// let reader = Reader::builder().checksums(ChecksumPolicy::Deferred).build();
    /// let model = Model::open_with("forest.amber", &reader)?;
    /// # Ok::<(), amber_estimators::EstimatorError>(())
    /// ```
    ///
    /// # Errors
    /// As [`Model::open`].
    pub fn open_with(path: impl AsRef<Path>, reader: &Reader) -> Result<Model> {
        Self::from_container(reader.open(path)?)
    }

    /// Reads a model held in memory with the default [`Reader`].
    ///
    /// # Errors
    /// As [`Model::open`], without `E_IO`.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Model> {
        Self::from_container(Reader::default().read(FileBytes::Owned(bytes))?)
    }

    fn from_container(container: Container<FileBytes>) -> Result<Model> {
        let container = Arc::new(container);
        schema::check_limit(container.manifest(), container.bytes().len())?;
        let root = registry::build(&container)?;
        let columns = schema::columns(container.manifest(), root.as_ref())?;
        Ok(Model {
            container,
            root,
            columns,
        })
    }

    /// The model's input columns, in input order: each name (empty for a model fitted
    /// without names) and what it holds (`spec/format.md` §7). A CSV or a [`Table`] is
    /// matched to these by name.
    ///
    /// # Errors
    /// `E_LIMIT` when the model declares more columns than can be listed (a file that
    /// declares billions of features and backs none of them).
    pub fn input_columns(&self) -> Result<Cow<'_, [(String, ColumnKind)]>> {
        match &self.columns {
            Some(c) => Ok(Cow::Borrowed(c)),
            None => Ok(Cow::Owned(schema::numeric_columns(
                self.manifest(),
                self.n_features_in(),
            )?)),
        }
    }

    /// Runs `method` on a table, its columns matched to the model's by name (any order;
    /// extra columns ignored; a column no step reads may be absent).
    ///
    /// # Errors
    /// `E_INPUT` for a missing column, a column of the wrong kind, or a cell a step cannot
    /// take (naming column, row and value); otherwise as [`Model::run`].
    pub fn run_table(&self, method: Method, x: &Table) -> Result<Prediction> {
        let x = schema::resolve(&self.input_columns()?, x)?;
        if !self.root.supports(method) {
            return Err(self.no_method(method));
        }
        if x.is_numeric() {
            // Every column holds numbers: the matrix path is the same arithmetic, faster.
            return self.run(method, x.to_dense()?.view());
        }
        if x.n_rows() <= TABLE_CHUNK_ROWS {
            return self.run_table_rows(method, &x);
        }
        // Large tables go through in row chunks: each step's matrices stay small enough for
        // the allocator to reuse (not map and unmap them per call) and for the caches.
        let mut parts = Vec::with_capacity(x.n_rows().div_ceil(TABLE_CHUNK_ROWS));
        for start in (0..x.n_rows()).step_by(TABLE_CHUNK_ROWS) {
            let end = (start + TABLE_CHUNK_ROWS).min(x.n_rows());
            let part = self
                .run_table_rows(method, &x.rows(start..end))
                .map_err(|e| e.shifted_rows(start))?;
            parts.push(part);
        }
        Prediction::concatenate(parts)
    }

    fn run_table_rows(&self, method: Method, x: &Table) -> Result<Prediction> {
        self.root
            .run_table(method, x)
            .unwrap_or_else(|| Err(self.no_method(method)))
    }

    /// A table's rows as the matrix the numeric methods take, when every column the model
    /// reads holds numbers; `None` when some column holds strings.
    fn dense_of(&self, x: &Table) -> Result<Option<Array2<f64>>> {
        let x = schema::resolve(&self.input_columns()?, x)?;
        if x.is_numeric() {
            x.to_dense().map(Some)
        } else {
            Ok(None)
        }
    }

    /// Runs `method` on any input, as a [`Prediction`].
    fn run_input(&self, method: Method, x: Input<'_>) -> Result<Prediction> {
        self.run(method, x)
    }

    /// The validated manifest: producer, tensor table and the estimator tree.
    #[must_use]
    pub fn manifest(&self) -> &Manifest {
        self.container.manifest()
    }

    /// The file's format version, `(major, minor)`.
    #[must_use]
    pub fn version(&self) -> (u16, u16) {
        self.container.version()
    }

    /// Columns an input must have.
    #[must_use]
    pub fn n_features_in(&self) -> usize {
        self.root.n_features_in()
    }

    /// The input's column names: the root estimator's `feature_names_in`, or for a pipeline
    /// without its own, its first non-passthrough step's. `None` when fitted without names.
    #[must_use]
    pub fn feature_names(&self) -> Option<&[String]> {
        schema::feature_names(&self.manifest().estimator)
    }

    /// The methods this model has, in [`Method::ALL`] order.
    #[must_use]
    pub fn methods(&self) -> Vec<Method> {
        self.root.methods()
    }

    /// Runs `method` on `x` (`[n_samples, n_features_in]`).
    ///
    /// # Errors
    /// `E_METHOD` when the model has no such method, `E_INPUT` when `x` has the wrong number
    /// of columns.
    pub fn run<'a>(&self, method: Method, x: impl Into<Input<'a>>) -> Result<Prediction> {
        match x.into() {
            Input::Dense(x) => self
                .root
                .run(method, x)
                .unwrap_or_else(|| Err(self.no_method(method))),
            Input::Table(t) => self.run_table(method, t),
        }
    }

    /// Labels (classifiers, in the classes' type) or values (regressors): `[n_samples]`, or
    /// `[n_samples, n_outputs]` for a regressor whose `coef` is 2-D.
    ///
    /// # Errors
    /// As [`Model::run`].
    pub fn predict<'a>(&self, x: impl Into<Input<'a>>) -> Result<Prediction> {
        match x.into() {
            Input::Dense(x) => {
                let e = self.root.as_predict();
                e.ok_or_else(|| self.no_method(Method::Predict))?.predict(x)
            }
            Input::Table(t) => self.run_table(Method::Predict, t),
        }
    }

    /// Class probabilities, `[n_samples, n_classes]`.
    ///
    /// # Errors
    /// As [`Model::run`]; also `E_METHOD` for a classifier with several outputs, which has
    /// one probability array per output: [`Model::predict_proba_multi`] returns them.
    pub fn predict_proba<'a>(&self, x: impl Into<Input<'a>>) -> Result<Array2<f64>> {
        match x.into() {
            Input::Dense(x) => {
                let e = self.root.as_predict_proba();
                e.ok_or_else(|| self.no_method(Method::PredictProba))?
                    .predict_proba(x)
            }
            t @ Input::Table(_) => matrix(self.run_input(Method::PredictProba, t)?),
        }
    }

    /// Class probabilities of every output: one `[n_samples, n_classes_o]` array per output,
    /// in output order (scikit-learn's list for a multi-output classifier); a single-output
    /// model gives a one-element vector holding what [`Model::predict_proba`] returns.
    ///
    /// # Errors
    /// As [`Model::run`].
    pub fn predict_proba_multi<'a>(&self, x: impl Into<Input<'a>>) -> Result<Vec<Array2<f64>>> {
        let e = self.root.as_predict_proba();
        let e = e.ok_or_else(|| self.no_method(Method::PredictProba))?;
        match x.into() {
            Input::Dense(x) => e.predict_proba_multi(x),
            Input::Table(t) => match self.dense_of(t)? {
                Some(x) => e.predict_proba_multi(x.view()),
                // Strings go through the table path: a router (pipeline, multi-output
                // classifier) gives one array per output, anything else its one array.
                None => match self.root.as_run_table() {
                    Some(router) => {
                        let x = schema::resolve(&self.input_columns()?, t)?;
                        router
                            .proba_multi_table(&x)
                            .unwrap_or_else(|| Err(self.no_method(Method::PredictProba)))
                    }
                    None => Ok(vec![matrix(self.run_table(Method::PredictProba, t)?)?]),
                },
            },
        }
    }

    /// Classifier scores: `[n_samples]` with one score column (binary), else
    /// `[n_samples, n_classes]`.
    ///
    /// # Errors
    /// As [`Model::run`].
    pub fn decision_function<'a>(&self, x: impl Into<Input<'a>>) -> Result<ArrayD<f64>> {
        match x.into() {
            Input::Dense(x) => {
                let e = self.root.as_decision_function();
                e.ok_or_else(|| self.no_method(Method::DecisionFunction))?
                    .decision_function(x)
            }
            t @ Input::Table(_) => floats(self.run_input(Method::DecisionFunction, t)?),
        }
    }

    /// A transformer's output as an f64 matrix, `[n_samples, n_features_out]` (a hard
    /// `VotingClassifier`'s class indices as floats). [`Model::run`] with
    /// [`Method::Transform`] gives the output typed and shaped as scikit-learn's (i64 class
    /// indices; a soft `VotingClassifier`'s `[members, n_samples, n_classes]` without
    /// `flatten_transform`, which has no matrix form and is `E_METHOD` here).
    ///
    /// # Errors
    /// As [`Model::run`].
    pub fn transform<'a>(&self, x: impl Into<Input<'a>>) -> Result<Array2<f64>> {
        let e = self.root.as_transform();
        let e = e.ok_or_else(|| self.no_method(Method::Transform))?;
        match x.into() {
            Input::Dense(x) => e.transform(x),
            t @ Input::Table(_) => match self.run_input(Method::Transform, t)? {
                Prediction::Int(a) => matrix(Prediction::Float(a.mapv(|v| v as f64))),
                other => matrix(other),
            },
        }
    }

    /// Per-sample scores of an outlier detector (`IsolationForest`: the opposite of the
    /// anomaly score; the lower, the more abnormal), `[n_samples]`.
    ///
    /// # Errors
    /// As [`Model::run`].
    pub fn score_samples<'a>(&self, x: impl Into<Input<'a>>) -> Result<Array1<f64>> {
        match x.into() {
            Input::Dense(x) => {
                let e = self.root.as_score_samples();
                e.ok_or_else(|| self.no_method(Method::ScoreSamples))?
                    .score_samples(x)
            }
            t @ Input::Table(_) => floats(self.run_input(Method::ScoreSamples, t)?)?
                .into_dimensionality()
                .map_err(|e| EstimatorError::model("score_samples", e.to_string())),
        }
    }

    pub(crate) fn no_method(&self, method: Method) -> EstimatorError {
        let est = &self.manifest().estimator;
        let estimator = if est.producer_type.is_empty() {
            match est.body {
                Body::StandardScaler(_) => "a standard_scaler body",
                Body::Linear(_) => "a linear body",
                Body::Pipeline(_) => "a pipeline body",
                Body::TreeEnsemble(_) => "a tree_ensemble body",
                Body::IsolationForest(_) => "an isolation_forest body",
                Body::FeatureAffine(_) => "a feature_affine body",
                Body::Binarizer(_) => "a binarizer body",
                Body::Normalizer(_) => "a normalizer body",
                Body::SimpleImputer(_) => "a simple_imputer body",
                Body::MissingIndicator(_) => "a missing_indicator body",
                Body::KnnImputer(_) => "a knn_imputer body",
                Body::OneHotEncoder(_) => "a one_hot_encoder body",
                Body::OrdinalEncoder(_) => "an ordinal_encoder body",
                Body::TargetEncoder(_) => "a target_encoder body",
                _ => "this estimator",
            }
            .to_owned()
        } else {
            est.producer_type.clone()
        };
        EstimatorError::Method { estimator, method }
    }
}

/// Rows per chunk of [`Model::run_table`] on a large table.
const TABLE_CHUNK_ROWS: usize = 1024;

/// A prediction that must be numbers, as they are.
fn floats(p: Prediction) -> Result<ArrayD<f64>> {
    match p {
        Prediction::Float(a) => Ok(a),
        other => Err(EstimatorError::model(
            "output",
            format!("is {}, not numbers", other.kind()),
        )),
    }
}

/// A prediction that must be a matrix of numbers.
fn matrix(p: Prediction) -> Result<Array2<f64>> {
    floats(p)?
        .into_dimensionality()
        .map_err(|e| EstimatorError::model("output", e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Model>();
    }

    /// What `numeric_columns` says a boosting init's `predict` and `predict_proba` give is
    /// what running them gives, on every corpus model (the init check relies on it).
    #[test]
    fn numeric_columns_are_the_shapes_methods_give() {
        let root =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors/valid");
        let mut checked = 0;
        for case in std::fs::read_dir(root).unwrap() {
            let dir = case.unwrap().path();
            if !dir.join("input.npy").exists() {
                continue; // an input with strings (input.csv only): not a boosting init
            }
            let model = Model::from_bytes(std::fs::read(dir.join("model.amber")).unwrap()).unwrap();
            let x: ndarray::Array2<f64> = ndarray_npy::read_npy(dir.join("input.npy")).unwrap();
            let x = x.slice(ndarray::s![..1, ..]);
            for method in [
                Method::Predict,
                Method::PredictProba,
                Method::DecisionFunction,
            ] {
                let said = model.root.numeric_columns(method);
                let got = match model.root.run(method, x) {
                    Some(Ok(Prediction::Float(a))) => Some(a.shape().to_vec()),
                    Some(Ok(Prediction::Int(a))) => Some(a.shape().to_vec()),
                    _ => None,
                };
                let want = got.map(|s| match s.as_slice() {
                    [_] => 1,
                    [_, c] => *c,
                    other => panic!("{}: shape {other:?}", dir.display()),
                });
                assert_eq!(said, want, "{} {method:?}", dir.display());
                checked += 1;
            }
        }
        assert!(checked > 100, "{checked} methods checked");
    }

    #[test]
    fn garbage_bytes_are_a_codec_error() {
        let err = Model::from_bytes(b"not amber".to_vec()).unwrap_err();
        assert_eq!(err.code(), "E_MAGIC");
    }

    #[test]
    fn missing_file_is_e_io() {
        let err = Model::open("/nonexistent/model.amber").unwrap_err();
        assert_eq!(err.code(), "E_IO");
    }
}
