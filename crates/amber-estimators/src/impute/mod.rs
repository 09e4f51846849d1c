//! The `sklearn.impute` family, one file per body: `simple_imputer` (`SimpleImputer`),
//! `missing_indicator` (`MissingIndicator`, also the `add_indicator` columns of both
//! imputers) and `knn_imputer` (`KNNImputer`). They mirror scikit-learn's
//! `sklearn/impute/_base.py` and `sklearn/impute/_knn.py` (1.3.2 to 1.9.1).
//!
//! What counts as missing (`missing_values`, `sklearn/utils/_mask.py` `_get_mask`) is one
//! [`Missing`] test per cell: a NaN model value matches a NaN number or a missing text cell
//! (pandas' `None` and `NaN` in an object column are both one missing cell here); a number
//! matches equal numbers; a string matches equal strings; `None` matches a missing text cell.
//! A cell scikit-learn's input check refuses is `E_INPUT` naming its column and row: an
//! infinite number, or a missing cell (NaN) where the model's missing value is not NaN.

pub(crate) mod knn_imputer;
pub(crate) mod missing_indicator;
pub(crate) mod simple_imputer;

use std::ops::Deref;

use amber_codec::model::MissingValue;
use amber_codec::{Container, DType};

use crate::error::{EstimatorError, Result};
use crate::table::{Column, ColumnKind, Table};

/// The runtime missing-value test.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Missing {
    /// NaN numbers and missing text cells.
    Nan,
    /// Numbers equal to it (an int model value converted to f64, as numpy compares them).
    Number(f64),
    /// Text cells equal to it.
    Text(String),
    /// Missing text cells (Python `None`).
    NoneCell,
}

impl Missing {
    pub(crate) fn from_model(m: &MissingValue) -> Self {
        match m {
            MissingValue::Nan => Self::Nan,
            MissingValue::Number(v) => Self::Number(*v),
            #[allow(clippy::cast_precision_loss)] // numpy compares an int to floats as f64
            MissingValue::Integer(v) => Self::Number(*v as f64),
            MissingValue::Text(s) => Self::Text(s.clone()),
            MissingValue::None => Self::NoneCell,
        }
    }

    /// Whether a NaN number (or a missing text cell) is this model's missing value.
    fn takes_missing_cells(&self) -> bool {
        matches!(self, Self::Nan | Self::NoneCell)
    }

    /// Whether the numeric cell `x` is missing; `E_INPUT` for a cell scikit-learn refuses.
    pub(crate) fn number(&self, x: f64, column: &Table, j: usize, row: usize) -> Result<bool> {
        if x.is_nan() {
            if self.takes_missing_cells() {
                return Ok(true);
            }
            return Err(refused(column, j, row, "missing", self));
        }
        if x.is_infinite() {
            return Err(EstimatorError::Value {
                column: column.label(j),
                row,
                value: format!("{x}"),
                reason: "scikit-learn's imputers refuse infinite values".into(),
            });
        }
        Ok(matches!(self, Self::Number(v) if x == *v))
    }

    /// Whether the text cell `s` is missing; `E_INPUT` for a missing cell scikit-learn refuses.
    pub(crate) fn text(
        &self,
        s: Option<&str>,
        table: &Table,
        j: usize,
        row: usize,
    ) -> Result<bool> {
        match (s, self) {
            (None, m) if m.takes_missing_cells() => Ok(true),
            (None, m) => Err(refused(table, j, row, "missing", m)),
            (Some(s), Self::Text(t)) => Ok(s == t),
            (Some(_), _) => Ok(false),
        }
    }

    /// The missing mask of column `j` of `x`, one flag per row.
    pub(crate) fn mask(&self, x: &Table, j: usize) -> Result<Vec<bool>> {
        match x.column(j) {
            Some(Column::Numeric(v)) => v
                .iter()
                .enumerate()
                .map(|(i, &c)| self.number(c, x, j, i))
                .collect(),
            Some(Column::Text(t)) => (0..t.len()).map(|i| self.text(t.get(i), x, j, i)).collect(),
            None => Err(EstimatorError::Input {
                expected: j + 1,
                found: x.n_columns(),
            }),
        }
    }

    /// What a column read only for its missing cells may hold.
    pub(crate) fn kind(&self) -> ColumnKind {
        match self {
            Self::Nan => ColumnKind::Any,
            Self::Number(_) => ColumnKind::Numeric,
            Self::Text(_) | Self::NoneCell => ColumnKind::String,
        }
    }
}

fn refused(x: &Table, j: usize, row: usize, value: &str, m: &Missing) -> EstimatorError {
    let what = match m {
        Missing::Nan | Missing::NoneCell => "NaN".to_owned(),
        Missing::Number(v) => format!("{v}"),
        Missing::Text(s) => format!("{s:?}"),
    };
    EstimatorError::Value {
        column: x.label(j),
        row,
        value: value.into(),
        reason: format!(
            "the model's missing value is {what}, and scikit-learn refuses NaN (a missing \
             cell) here"
        ),
    }
}

/// The bool tensor `name` of exactly `n` elements, each byte 0 or 1.
pub(crate) fn bool_tensor<B: Deref<Target = [u8]>>(
    c: &Container<B>,
    name: &str,
    shape: &[usize],
    context: &str,
) -> Result<Vec<bool>> {
    let view = c.tensor(name)?;
    if view.info().dtype != DType::Bool {
        return Err(EstimatorError::model(
            context,
            format!(
                "tensor {name:?} has dtype {}, expected bool",
                view.info().dtype
            ),
        ));
    }
    let found = view.shape()?;
    if found != shape {
        return Err(EstimatorError::model(
            context,
            format!("tensor {name:?} has shape {found:?}, expected {shape:?}"),
        ));
    }
    view.bytes()
        .iter()
        .enumerate()
        .map(|(i, &b)| match b {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(EstimatorError::model(
                context,
                format!("element {i} of {name:?} is the byte {b}, not a bool"),
            )),
        })
        .collect()
}
