//! The `sklearn.preprocessing` family, one file per body: `standard_scaler`
//! (`StandardScaler`) and `feature_affine` (`MinMaxScaler`, `MaxAbsScaler`, `RobustScaler`,
//! which share one per-feature arithmetic), `binarizer` (`Binarizer`), `normalizer`
//! (`Normalizer`) and `function_transformer` (`FunctionTransformer`).

pub(crate) mod binarizer;
pub(crate) mod feature_affine;
pub(crate) mod function_transformer;
pub(crate) mod normalizer;
pub(crate) mod standard_scaler;

pub(crate) use standard_scaler::StandardScaler;
