//! The prediction methods a model may offer, and what they return.

use std::fmt;
use std::str::FromStr;

use ndarray::ArrayD;

use crate::table::Table;

/// A prediction method, named as in scikit-learn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    /// `predict`: labels for classifiers, values for regressors.
    Predict,
    /// `predict_proba`: one probability column per class.
    PredictProba,
    /// `decision_function`: the raw scores of a classifier.
    DecisionFunction,
    /// `transform`: the output of a transformer.
    Transform,
    /// `score_samples`: a per-sample score (an outlier detector's, e.g. `IsolationForest`).
    ScoreSamples,
}

impl Method {
    /// Every method, in the order `amber inspect` lists them.
    pub const ALL: [Method; 5] = [
        Method::Predict,
        Method::PredictProba,
        Method::DecisionFunction,
        Method::Transform,
        Method::ScoreSamples,
    ];

    /// scikit-learn's name: `"predict"`, `"predict_proba"`, `"decision_function"`,
    /// `"transform"` or `"score_samples"`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Predict => "predict",
            Self::PredictProba => "predict_proba",
            Self::DecisionFunction => "decision_function",
            Self::Transform => "transform",
            Self::ScoreSamples => "score_samples",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not one of [`Method::ALL`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown method {name:?}; expected one of predict, predict_proba, decision_function, \
     transform, score_samples"
)]
pub struct ParseMethodError {
    /// The name given.
    pub name: String,
}

impl FromStr for Method {
    type Err = ParseMethodError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| ParseMethodError { name: s.to_owned() })
    }
}

/// The output of a method. Labels keep the type of the model's classes.
#[derive(Clone, Debug, PartialEq)]
pub enum Prediction {
    /// Floating-point values: regression outputs, probabilities, scores, transforms, and
    /// labels of a classifier with float classes.
    Float(ArrayD<f64>),
    /// Labels of a classifier with integer classes.
    Int(ArrayD<i64>),
    /// Labels of a classifier with string classes.
    Str(ArrayD<String>),
    /// The output of a `transform` whose columns hold strings (an imputer filling strings):
    /// the columns, and their `[n_rows, n_columns]`.
    Table {
        /// The output columns (numbers and strings).
        table: Table,
        /// `[n_rows, n_columns]`.
        shape: [usize; 2],
    },
}

impl Prediction {
    /// The element kind, as used in messages: `f64`, `i64` or `str`.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Float(_) => "f64",
            Self::Int(_) => "i64",
            Self::Str(_) => "str",
            Self::Table { .. } => "table",
        }
    }

    /// The output's shape.
    #[must_use]
    pub fn shape(&self) -> &[usize] {
        match self {
            Self::Float(a) => a.shape(),
            Self::Int(a) => a.shape(),
            Self::Str(a) => a.shape(),
            Self::Table { shape, .. } => shape,
        }
    }

    /// The rows of `parts`, one after the other (chunks of one input, in order).
    ///
    /// # Errors
    /// `E_MODEL` when the parts are not of one kind and shape (never for chunks of one
    /// model's output).
    pub fn concatenate(parts: Vec<Prediction>) -> crate::Result<Prediction> {
        use ndarray::{Axis, concatenate};
        let bad = |e: String| crate::EstimatorError::model("output", e);
        let mut iter = parts.into_iter();
        let Some(first) = iter.next() else {
            return Err(bad("no rows".into()));
        };
        let rest: Vec<Prediction> = iter.collect();
        macro_rules! stack {
            ($variant:ident, $a:expr) => {{
                let mut views = vec![$a.view()];
                for p in &rest {
                    match p {
                        Prediction::$variant(b) => views.push(b.view()),
                        other => return Err(bad(format!("a part is {}", other.kind()))),
                    }
                }
                Prediction::$variant(concatenate(Axis(0), &views).map_err(|e| bad(e.to_string()))?)
            }};
        }
        Ok(match &first {
            Prediction::Float(a) => stack!(Float, a),
            Prediction::Int(a) => stack!(Int, a),
            Prediction::Str(a) => stack!(Str, a),
            Prediction::Table { table, .. } => {
                let mut tables = vec![table.clone()];
                for p in &rest {
                    match p {
                        Prediction::Table { table, .. } => tables.push(table.clone()),
                        other => return Err(bad(format!("a part is {}", other.kind()))),
                    }
                }
                Prediction::from_table(Table::stack(&tables)?)
            }
        })
    }

    /// A transform's output table: a `Float` matrix when every column holds numbers, else
    /// the table itself.
    #[must_use]
    pub fn from_table(table: Table) -> Prediction {
        if table.is_numeric() {
            if let Ok(dense) = table.to_dense() {
                return Prediction::Float(dense.into_dyn());
            }
        }
        let shape = [table.n_rows(), table.n_columns()];
        Prediction::Table { table, shape }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for m in Method::ALL {
            assert_eq!(m.as_str().parse::<Method>(), Ok(m));
            assert_eq!(m.to_string(), m.as_str());
        }
    }

    #[test]
    fn unknown_name_lists_the_valid_ones() {
        let err = "predict_log_proba".parse::<Method>().unwrap_err();
        let msg = err.to_string();
        for m in Method::ALL {
            assert!(msg.contains(m.as_str()), "{msg}");
        }
    }
}
