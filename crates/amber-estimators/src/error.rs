//! The estimators' error type. Every variant maps to one stable code of `spec/format.md` §6.

use amber_codec::CodecError;

use crate::method::Method;

/// `Result` with [`EstimatorError`] as the default error.
pub type Result<T, E = EstimatorError> = std::result::Result<T, E>;

/// Why a model could not be loaded, or a prediction could not be made.
///
/// [`code`](EstimatorError::code) gives the spec's stable error code; the message starts with
/// it too. `Debug` prints the message as `Display` does (`E_INPUT: ...`), because that is what
/// Rust shows for an error returned from `main` (`Error: {:?}`) or unwrapped; the structured
/// form is the variant itself, its fields public.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum EstimatorError {
    /// The container was rejected; the code is the codec's.
    #[error(transparent)]
    Codec(#[from] CodecError),
    /// The model has no such method (e.g. `predict_proba` on a regressor): `E_METHOD`.
    #[error("E_METHOD: {estimator} has no method {method}")]
    Method {
        /// The root estimator's producer type (or its body kind when that is empty).
        estimator: String,
        /// The method asked for.
        method: Method,
    },
    /// `predict_proba` on a model with several outputs, which has one probability array per
    /// output: `E_METHOD`. [`Model::predict_proba_multi`](crate::Model::predict_proba_multi)
    /// returns them.
    #[error(
        "E_METHOD: the model has {n_outputs} outputs, and predict_proba gives one array per \
         output: call predict_proba_multi"
    )]
    MultiOutputProba {
        /// The number of outputs.
        n_outputs: usize,
    },
    /// The input does not have the model's number of features: `E_INPUT`.
    #[error("E_INPUT: the model expects {expected} features, the input has {found}")]
    Input {
        /// `n_features_in` of the model.
        expected: usize,
        /// Columns of the input.
        found: usize,
    },
    /// A NaN, an infinity or a value beyond float32's range where the body's scikit-learn
    /// input check refuses it (`spec/estimators.md` gives each body's rule): `E_INPUT`.
    #[error(
        "E_INPUT: the input's row {row}, column {column} is {value:?}, and {body}, as scikit-learn does"
    )]
    NotFinite {
        /// 0-based row of the first such value, in row-major order.
        row: usize,
        /// 0-based column of the input of the body that refuses it (for a composition's
        /// member reading a subset of its input, mapped back to the composition's column).
        column: usize,
        /// The value.
        value: f64,
        /// Who refuses it and what it refuses, a clause (e.g. "a linear model refuses NaN and
        /// infinities").
        body: &'static str,
    },
    /// A cell the model cannot take: a string in a numeric column, a category unseen in
    /// training where the encoder refuses unknown ones, a missing value where none may be.
    #[error("E_INPUT: row {row}, column {column:?}: {value}: {reason}")]
    Value {
        /// The column's name (`#j` when unnamed).
        column: String,
        /// The row, from 0 within the call's input.
        row: usize,
        /// The cell as text (`missing` for a missing cell; strings quoted).
        value: String,
        /// What the model needed instead.
        reason: String,
    },
    /// A column the model reads is not in the input (matched by name).
    #[error("E_INPUT: the input has no column {column:?}, which the model reads ({kind} values)")]
    MissingColumn {
        /// The column's name.
        column: String,
        /// What the model reads from it.
        kind: crate::table::ColumnKind,
    },
    /// A column of the wrong kind for the model's input schema.
    #[error(
        "E_INPUT: column {column:?} holds {found} values, and the model reads {expected} values there"
    )]
    ColumnKind {
        /// The column's name.
        column: String,
        /// The schema's kind.
        expected: crate::table::ColumnKind,
        /// What the input's column holds.
        found: crate::table::ColumnKind,
    },
    /// A table that is not well formed (columns of different lengths, a name given twice).
    #[error("E_INPUT: {reason}")]
    Table {
        /// What is wrong.
        reason: String,
    },
    /// The estimator tree breaks a body rule of `spec/estimators.md`: `E_MODEL`.
    #[error("E_MODEL: {context}: {reason}")]
    Model {
        /// Estimator path and field, e.g. `estimator/steps/clf.linear.coef`.
        context: String,
        /// The broken rule.
        reason: String,
    },
}

impl std::fmt::Debug for EstimatorError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

impl EstimatorError {
    /// The error of rows starting at `offset` of a larger input, with its row numbers made
    /// the larger input's.
    #[must_use]
    pub fn shifted_rows(self, offset: usize) -> Self {
        match self {
            Self::Value {
                column,
                row,
                value,
                reason,
            } => Self::Value {
                column,
                row: row + offset,
                value,
                reason,
            },
            Self::NotFinite {
                row,
                column,
                value,
                body,
            } => Self::NotFinite {
                row: row + offset,
                column,
                value,
                body,
            },
            other => other,
        }
    }

    /// The error of a member that reads a subset of a composition's input columns (a
    /// `ColumnTransformer` branch, a bagging member), with a refused value's column made
    /// the composition's: `columns[j]` for the member's column `j`.
    pub(crate) fn member_columns(self, columns: &[usize]) -> Self {
        match self {
            Self::NotFinite {
                row,
                column,
                value,
                body,
            } => Self::NotFinite {
                row,
                column: columns.get(column).copied().unwrap_or(column),
                value,
                body,
            },
            other => other,
        }
    }

    /// The stable error code of `spec/format.md` §6, e.g. `"E_MODEL"`.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::Codec(e) => e.code(),
            Self::Method { .. } | Self::MultiOutputProba { .. } => "E_METHOD",
            Self::Input { .. }
            | Self::NotFinite { .. }
            | Self::Value { .. }
            | Self::MissingColumn { .. }
            | Self::ColumnKind { .. }
            | Self::Table { .. } => "E_INPUT",
            Self::Model { .. } => "E_MODEL",
        }
    }

    /// Shorthand for an [`EstimatorError::Model`].
    pub(crate) fn model(context: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Model {
            context: context.into(),
            reason: reason.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_messages_agree() {
        let cases = [
            (
                EstimatorError::Codec(CodecError::model("x", "y")),
                "E_MODEL",
            ),
            (
                EstimatorError::Method {
                    estimator: "sklearn.linear_model.Ridge".into(),
                    method: Method::PredictProba,
                },
                "E_METHOD",
            ),
            (
                EstimatorError::Input {
                    expected: 3,
                    found: 2,
                },
                "E_INPUT",
            ),
            (
                EstimatorError::NotFinite {
                    row: 0,
                    column: 1,
                    value: f64::INFINITY,
                    body: "a linear model refuses NaN and infinities",
                },
                "E_INPUT",
            ),
            (EstimatorError::model("estimator", "bad"), "E_MODEL"),
            (
                EstimatorError::MultiOutputProba { n_outputs: 2 },
                "E_METHOD",
            ),
        ];
        for (error, code) in cases {
            assert_eq!(error.code(), code);
            assert!(error.to_string().starts_with(code), "{error}");
        }
    }

    #[test]
    fn debug_reads_as_the_message_with_its_code() {
        // What `fn main() -> amber::Result<()>` prints after `Error: `.
        let e = EstimatorError::Input {
            expected: 3,
            found: 2,
        };
        assert_eq!(
            format!("{e:?}"),
            "E_INPUT: the model expects 3 features, the input has 2"
        );
        assert_eq!(format!("{e:#?}"), format!("{e:?}"));
        let e = EstimatorError::from(CodecError::Truncated {
            expected: 64,
            found: 3,
        });
        assert_eq!(
            format!("{e:?}"),
            "E_TRUNCATED: file is 3 bytes, expected at least 64"
        );
        let r: Result<()> = Err(EstimatorError::model("estimator.linear", "no coef"));
        assert_eq!(format!("{r:?}"), "Err(E_MODEL: estimator.linear: no coef)");
    }

    #[test]
    fn a_member_column_is_mapped_to_the_composition_column() {
        let e = EstimatorError::NotFinite {
            row: 3,
            column: 1,
            value: f64::NAN,
            body: "b",
        };
        match e.member_columns(&[4, 7, 9]) {
            EstimatorError::NotFinite { row, column, .. } => assert_eq!((row, column), (3, 7)),
            other => panic!("{other:?}"),
        }
        let other = EstimatorError::Input {
            expected: 2,
            found: 1,
        };
        assert!(matches!(
            other.member_columns(&[5]),
            EstimatorError::Input { .. }
        ));
    }

    #[test]
    fn codec_errors_keep_their_code() {
        let e = EstimatorError::from(CodecError::Truncated {
            expected: 64,
            found: 3,
        });
        assert_eq!(e.code(), "E_TRUNCATED");
    }
}
