//! `MissingIndicator`: 1.0 where a cell is missing, else 0.0, for the columns in
//! `features` (spec/estimators.md, "MissingIndicator").
//!
//! Mirrors `sklearn/impute/_base.py`, `MissingIndicator.transform` (dense, `sparse="auto"`):
//! `imputer_mask = _get_mask(X, missing_values)`; with `features="missing-only"` and
//! `error_on_new`, a column with a missing cell that `features_` does not list is an error;
//! the output is `imputer_mask[:, features_]`. scikit-learn's output is bool; here it is f64
//! 1.0 / 0.0 (exact). The same runtime gives the `add_indicator` columns of both imputers
//! (`error_on_new=False` there).

use std::ops::Deref;

use amber_codec::Container;
use amber_codec::model;
use ndarray::{Array2, ArrayView2};

use super::Missing;
use crate::error::{EstimatorError, Result};
use crate::table::{ColumnKind, Table};
use crate::traits::{Estimator, TableTransform, Transform, check_table_width, check_width};

/// A validated missing indicator.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct MissingIndicator {
    n_features: usize,
    missing: Missing,
    /// Strictly ascending column indices below `n_features`.
    features: Vec<usize>,
    error_on_new: bool,
}

impl MissingIndicator {
    /// The output columns' count.
    pub(crate) fn width(&self) -> usize {
        self.features.len()
    }

    /// The indicator columns of `x` (already `n_features` wide), named after the input's
    /// (`missingindicator_<name>`, unnamed when the input's is). Every column's cells are
    /// checked, as scikit-learn's input validation checks the whole input.
    pub(crate) fn columns(&self, x: &Table, out: &mut Table) -> Result<()> {
        let masks = (0..self.n_features)
            .map(|j| self.missing.mask(x, j))
            .collect::<Result<Vec<_>>>()?;
        if self.error_on_new {
            self.check_new(x, &masks)?;
        }
        for (&j, mask) in self
            .features
            .iter()
            .zip(self.features.iter().filter_map(|&j| masks.get(j)))
        {
            let name = match x.names().get(j) {
                Some(n) if !n.is_empty() => format!("missingindicator_{n}"),
                _ => String::new(),
            };
            out.push_numeric(name, mask.iter().map(|&m| f64::from(m)).collect())?;
        }
        Ok(())
    }

    /// `error_on_new`: `E_INPUT` at the first missing cell of a column `features` leaves out.
    fn check_new(&self, x: &Table, masks: &[Vec<bool>]) -> Result<()> {
        let new = masks
            .iter()
            .enumerate()
            .filter(|(j, _)| self.features.binary_search(j).is_err());
        for (j, mask) in new {
            if let Some(row) = mask.iter().position(|&m| m) {
                return Err(EstimatorError::Value {
                    column: x.label(j),
                    row,
                    value: x
                        .column(j)
                        .map_or_else(|| "missing".into(), |c| c.describe(row)),
                    reason: "the column had no missing values in fit and MissingIndicator \
                             has error_on_new=True (scikit-learn raises here)"
                        .into(),
                });
            }
        }
        Ok(())
    }
}

impl TableTransform for MissingIndicator {
    fn transform_table(&self, x: &Table) -> Result<Table> {
        check_table_width(x, self.n_features)?;
        let mut out = Table::new(x.n_rows());
        self.columns(x, &mut out)?;
        Ok(out)
    }

    fn output_kinds(&self) -> Vec<ColumnKind> {
        vec![ColumnKind::Numeric; self.features.len()]
    }
}

impl Transform for MissingIndicator {
    fn transform(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        check_width(&x, self.n_features)?;
        self.transform_table(&Table::from_dense(x))?.to_dense()
    }

    fn n_features_out(&self) -> usize {
        self.features.len()
    }
}

impl Estimator for MissingIndicator {
    fn n_features_in(&self) -> usize {
        self.n_features
    }
    fn as_transform(&self) -> Option<&dyn Transform> {
        Some(self)
    }
    fn input_kinds(&self) -> Vec<ColumnKind> {
        vec![self.missing.kind(); self.n_features]
    }
    fn as_table_transform(&self) -> Option<&dyn TableTransform> {
        Some(self)
    }
}

/// Builds a missing indicator over `n` columns, checking MissingIndicator rules 2 and 3 of
/// `spec/estimators.md` (`field` names the body in messages).
pub(crate) fn build<B: Deref<Target = [u8]>>(
    c: &Container<B>,
    body: &model::MissingIndicator,
    n: usize,
    field: &str,
) -> Result<MissingIndicator> {
    let features = match &body.features {
        None => Vec::new(),
        Some(name) => features(c, name, n, &format!("{field}.features"))?,
    };
    Ok(MissingIndicator {
        n_features: n,
        missing: Missing::from_model(&body.missing_values),
        features,
        error_on_new: body.error_on_new,
    })
}

/// Rule 2: `features` is an i64 `[k]` tensor of strictly ascending indices below `n`.
fn features<B: Deref<Target = [u8]>>(
    c: &Container<B>,
    name: &str,
    n: usize,
    context: &str,
) -> Result<Vec<usize>> {
    let view = c.tensor(name)?;
    let a = view
        .array::<i64>()
        .map_err(|e| EstimatorError::model(context, e.to_string()))?;
    if a.ndim() != 1 {
        return Err(EstimatorError::model(
            context,
            format!("tensor {name:?} has shape {:?}, expected [k]", a.shape()),
        ));
    }
    let mut out: Vec<usize> = Vec::with_capacity(a.len());
    for (i, &f) in a.iter().enumerate() {
        let ok = usize::try_from(f)
            .ok()
            .filter(|&f| f < n && out.last().is_none_or(|&prev| prev < f));
        let Some(f) = ok else {
            return Err(EstimatorError::model(
                context,
                format!(
                    "element {i} is {f}: features must be strictly ascending column indices \
                     below {n}"
                ),
            ));
        };
        out.push(f);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::TextColumn;
    use ndarray::array;

    fn indicator(missing: Missing, features: Vec<usize>, error_on_new: bool) -> MissingIndicator {
        MissingIndicator {
            n_features: 3,
            missing,
            features,
            error_on_new,
        }
    }

    #[test]
    fn nan_cells_are_one_for_the_listed_features() {
        let x = array![[f64::NAN, 1.0, 2.0], [0.0, f64::NAN, f64::NAN]];
        let z = indicator(Missing::Nan, vec![0, 2], false)
            .transform(x.view())
            .unwrap();
        assert_eq!(z, array![[1.0, 0.0], [0.0, 1.0]]);
    }

    #[test]
    fn error_on_new_names_the_column_and_row() {
        let x = array![[0.0, 1.0, 2.0], [0.0, f64::NAN, 3.0]];
        let err = indicator(Missing::Nan, vec![0], true)
            .transform(x.view())
            .unwrap_err();
        assert_eq!(err.code(), "E_INPUT");
        let text = err.to_string();
        assert!(text.contains("row 1") && text.contains("#1"), "{text}");
        // Without error_on_new the new column is not output, and nothing is refused.
        let z = indicator(Missing::Nan, vec![0], false)
            .transform(x.view())
            .unwrap();
        assert_eq!(z, array![[0.0], [0.0]]);
    }

    #[test]
    fn a_number_missing_value_refuses_nan_as_scikit_learn_does() {
        let x = array![[-1.0, 1.0, f64::NAN]];
        let err = indicator(Missing::Number(-1.0), vec![0], false).transform(x.view());
        assert_eq!(err.unwrap_err().code(), "E_INPUT");
        let ok = indicator(Missing::Number(-1.0), vec![0, 1], false)
            .transform(array![[-1.0, 1.0, 2.0]].view())
            .unwrap();
        assert_eq!(ok, array![[1.0, 0.0]]);
    }

    #[test]
    fn text_cells_match_a_string_or_the_missing_cell() {
        let mut t = Table::new(3);
        t.push_text(
            "a",
            TextColumn::from_iter([Some("?"), Some("x"), Some("?")]),
        )
        .unwrap();
        t.push_text("b", TextColumn::from_iter([None, Some("y"), Some("z")]))
            .unwrap();
        t.push_numeric("c", vec![1.0, 2.0, 3.0]).unwrap();
        let q = indicator(Missing::Text("?".into()), vec![0], false);
        // A string missing value: the missing cell in column b is refused (NaN in scikit-learn).
        assert_eq!(q.transform_table(&t).unwrap_err().code(), "E_INPUT");
        let n = indicator(Missing::Nan, vec![0, 1], false);
        let z = n.transform_table(&t).unwrap().to_dense().unwrap();
        assert_eq!(z, array![[0.0, 1.0], [0.0, 0.0], [0.0, 0.0]]);
        assert_eq!(
            n.transform_table(&t).unwrap().names(),
            ["missingindicator_a", "missingindicator_b"]
        );
    }
}
