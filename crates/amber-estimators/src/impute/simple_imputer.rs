//! `SimpleImputer`: each column's missing cells replaced by its fill, `statistics_[j]`
//! (spec/estimators.md, "SimpleImputer").
//!
//! Mirrors `sklearn/impute/_base.py`, `SimpleImputer.transform` (dense): columns whose
//! statistic is NaN are dropped unless kept (`keep_empty_features`; scikit-learn before 1.4
//! also kept them for `strategy="constant"`: the body's `keep_nan_fills` says which), then
//! `X[coordinates] = values` puts each kept column's fill into its missing cells, and the
//! `add_indicator` columns are appended. The fill is a copy of the saved statistic, so the
//! output is exact. A text fill reads and writes a text column: a string imputer's output is
//! strings, for the next step (an encoder) to read.

use std::ops::Deref;

use amber_codec::Container;
use amber_codec::model::{self, ImputerFill};
use ndarray::{Array2, ArrayView2};

use super::Missing;
use super::missing_indicator::{self, MissingIndicator};
use crate::error::{EstimatorError, Result};
use crate::table::{Column, ColumnKind, Table, TextColumn};
use crate::traits::{Estimator, TableTransform, Transform, check_table_width, check_width};

/// What a column's missing cells become.
#[derive(Clone, Debug, PartialEq)]
enum Fill {
    Number(f64),
    Text(String),
}

/// A validated simple imputer.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct SimpleImputer {
    n_features: usize,
    missing: Missing,
    fills: Vec<Fill>,
    /// The input columns that are output, ascending.
    kept: Vec<usize>,
    indicator: Option<MissingIndicator>,
}

impl SimpleImputer {
    fn fill_column(&self, x: &Table, j: usize) -> Result<Column> {
        let column = x.column(j).ok_or(EstimatorError::Input {
            expected: self.n_features,
            found: x.n_columns(),
        })?;
        let fill = self.fills.get(j).ok_or(EstimatorError::Input {
            expected: self.n_features,
            found: x.n_columns(),
        })?;
        match (fill, column) {
            (Fill::Number(f), Column::Numeric(v)) => {
                let mut out = Vec::with_capacity(v.len());
                for (i, &c) in v.iter().enumerate() {
                    out.push(if self.missing.number(c, x, j, i)? {
                        *f
                    } else {
                        c
                    });
                }
                Ok(Column::Numeric(out))
            }
            (Fill::Text(f), Column::Text(t)) => {
                let mut out = TextColumn::with_capacity(t.len(), 0);
                for i in 0..t.len() {
                    let cell = t.get(i);
                    out.push(if self.missing.text(cell, x, j, i)? {
                        Some(f)
                    } else {
                        cell
                    });
                }
                Ok(Column::Text(out))
            }
            (Fill::Number(_), Column::Text(t)) => Err(wrong_kind(x, j, t, "numbers")),
            (Fill::Text(_), Column::Numeric(_)) => Err(EstimatorError::ColumnKind {
                column: x.label(j),
                expected: ColumnKind::String,
                found: ColumnKind::Numeric,
            }),
        }
    }
}

fn wrong_kind(x: &Table, j: usize, t: &TextColumn, what: &str) -> EstimatorError {
    let row = (0..t.len()).find(|&i| !t.is_missing(i)).unwrap_or(0);
    EstimatorError::Value {
        column: x.label(j),
        row,
        value: x.column(j).map_or_else(String::new, |c| c.describe(row)),
        reason: format!(
            "the imputer fills this column with {what}, and strings are never converted"
        ),
    }
}

impl TableTransform for SimpleImputer {
    fn transform_table(&self, x: &Table) -> Result<Table> {
        check_table_width(x, self.n_features)?;
        let mut out = Table::new(x.n_rows());
        for &j in &self.kept {
            let name = x.names().get(j).cloned().unwrap_or_default();
            out.push(name, self.fill_column(x, j)?)?;
        }
        // A dropped column is still checked as scikit-learn checks it (its cells' validity).
        for j in (0..self.n_features).filter(|j| self.kept.binary_search(j).is_err()) {
            self.missing.mask(x, j)?;
        }
        if let Some(ind) = &self.indicator {
            ind.columns(x, &mut out)?;
        }
        Ok(out)
    }

    fn output_kinds(&self) -> Vec<ColumnKind> {
        let mut kinds: Vec<ColumnKind> = self
            .kept
            .iter()
            .filter_map(|&j| self.fills.get(j))
            .map(|f| match f {
                Fill::Number(_) => ColumnKind::Numeric,
                Fill::Text(_) => ColumnKind::String,
            })
            .collect();
        kinds.resize(
            kinds.len() + self.indicator.as_ref().map_or(0, MissingIndicator::width),
            ColumnKind::Numeric,
        );
        kinds
    }
}

impl Transform for SimpleImputer {
    fn transform(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        check_width(&x, self.n_features)?;
        self.transform_table(&Table::from_dense(x))?.to_dense()
    }

    fn n_features_out(&self) -> usize {
        self.kept.len() + self.indicator.as_ref().map_or(0, MissingIndicator::width)
    }
}

impl Estimator for SimpleImputer {
    fn n_features_in(&self) -> usize {
        self.n_features
    }
    fn as_transform(&self) -> Option<&dyn Transform> {
        // A string imputer has it too (`transform` exists), though a dense numeric input
        // cannot feed its text columns (E_INPUT): tables go through `as_table_transform`.
        Some(self)
    }
    fn input_kinds(&self) -> Vec<ColumnKind> {
        self.fills
            .iter()
            .map(|fill| match fill {
                Fill::Text(_) => ColumnKind::String,
                Fill::Number(_) => ColumnKind::Numeric,
            })
            .collect()
    }
    fn as_table_transform(&self) -> Option<&dyn TableTransform> {
        Some(self)
    }
}

/// Builds the runtime imputer, checking the SimpleImputer rules of `spec/estimators.md`.
pub(crate) fn build<B: Deref<Target = [u8]>>(
    c: &Container<B>,
    body: &model::SimpleImputer,
    n: usize,
    path: &str,
) -> Result<SimpleImputer> {
    let field = |f: &str| format!("{path}.simple_imputer.{f}");
    // Rule 3: one fill per input column.
    if body.fills.len() != n {
        return Err(EstimatorError::model(
            field("fills"),
            format!("{} fills for {n} columns", body.fills.len()),
        ));
    }
    let fills: Vec<Fill> = body
        .fills
        .iter()
        .map(|f| match f {
            ImputerFill::Number(v) => Fill::Number(*v),
            #[allow(clippy::cast_precision_loss)] // numpy's astype(float64) of the int
            ImputerFill::Integer(v) => Fill::Number(*v as f64),
            ImputerFill::Text(s) => Fill::Text(s.clone()),
        })
        .collect();
    // Rule 4: a NaN number fill drops its column unless keep_nan_fills.
    let kept = fills
        .iter()
        .enumerate()
        .filter(|(_, f)| body.keep_nan_fills || !matches!(f, Fill::Number(v) if v.is_nan()))
        .map(|(j, _)| j)
        .collect();
    let indicator = match &body.indicator {
        None => None,
        Some(ind) => Some(nested_indicator(
            c,
            ind,
            &body.missing_values,
            n,
            &field("indicator"),
        )?),
    };
    Ok(SimpleImputer {
        n_features: n,
        missing: Missing::from_model(&body.missing_values),
        fills,
        kept,
        indicator,
    })
}

/// The same missing value, bit for bit (a writer copies it; `-0.0` is not `0.0` here, as
/// the manifest's bytes differ).
fn same_missing(a: &model::MissingValue, b: &model::MissingValue) -> bool {
    use model::MissingValue as M;
    match (a, b) {
        (M::Number(x), M::Number(y)) => x.to_bits() == y.to_bits(),
        _ => a == b,
    }
}

/// An imputer's `add_indicator` columns: MissingIndicator rules, the imputer's own missing
/// value, and no `error_on_new` (rule 5 of SimpleImputer, rule 7 of KnnImputer).
pub(crate) fn nested_indicator<B: Deref<Target = [u8]>>(
    c: &Container<B>,
    ind: &model::MissingIndicator,
    missing: &model::MissingValue,
    n: usize,
    field: &str,
) -> Result<MissingIndicator> {
    if !same_missing(&ind.missing_values, missing) {
        return Err(EstimatorError::model(
            format!("{field}.missing_values"),
            "differs from the imputer's",
        ));
    }
    if ind.error_on_new {
        return Err(EstimatorError::model(
            format!("{field}.error_on_new"),
            "an imputer's indicator has none",
        ));
    }
    missing_indicator::build(c, ind, n, field)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn imputer(fills: Vec<Fill>, kept: Vec<usize>, missing: Missing) -> SimpleImputer {
        SimpleImputer {
            n_features: fills.len(),
            missing,
            fills,
            kept,
            indicator: None,
        }
    }

    #[test]
    fn missing_cells_get_the_saved_fill_bit_for_bit() {
        let fill = 0.1 + 0.2; // not a round number: copied, never recomputed
        let imp = imputer(
            vec![Fill::Number(fill), Fill::Number(-0.0)],
            vec![0, 1],
            Missing::Nan,
        );
        let z = imp
            .transform(array![[f64::NAN, f64::NAN], [5.0, 2.0]].view())
            .unwrap();
        assert_eq!(z[[0, 0]].to_bits(), fill.to_bits());
        assert_eq!(z[[0, 1]].to_bits(), (-0.0f64).to_bits());
        assert_eq!(z.row(1).to_vec(), vec![5.0, 2.0]);
    }

    #[test]
    fn nan_fills_drop_their_column_unless_kept() {
        let fills = vec![Fill::Number(1.0), Fill::Number(f64::NAN), Fill::Number(3.0)];
        let dropped = imputer(fills.clone(), vec![0, 2], Missing::Nan);
        let x = array![[f64::NAN, f64::NAN, f64::NAN]];
        assert_eq!(dropped.transform(x.view()).unwrap(), array![[1.0, 3.0]]);
        let kept = imputer(fills, vec![0, 1, 2], Missing::Nan);
        let z = kept.transform(x.view()).unwrap();
        assert!(z[[0, 1]].is_nan() && z.ncols() == 3);
    }

    #[test]
    fn a_number_missing_value_leaves_other_cells_and_refuses_nan() {
        let imp = imputer(vec![Fill::Number(7.0)], vec![0], Missing::Number(-1.0));
        assert_eq!(
            imp.transform(array![[-1.0], [2.0]].view()).unwrap(),
            array![[7.0], [2.0]]
        );
        let err = imp.transform(array![[f64::NAN]].view()).unwrap_err();
        assert_eq!(err.code(), "E_INPUT");
        let inf = imp.transform(array![[f64::INFINITY]].view()).unwrap_err();
        assert_eq!(inf.code(), "E_INPUT");
    }

    #[test]
    fn text_columns_are_filled_with_text_and_stay_text() {
        let imp = imputer(
            vec![Fill::Text("missing_value".into()), Fill::Number(2.5)],
            vec![0, 1],
            Missing::Nan,
        );
        let mut t = Table::new(2);
        t.push_text("city", TextColumn::from_iter([None, Some("Paris")]))
            .unwrap();
        t.push_numeric("age", vec![f64::NAN, 4.0]).unwrap();
        let out = imp.transform_table(&t).unwrap();
        let Some(Column::Text(city)) = out.column(0) else {
            panic!("text column expected")
        };
        assert_eq!(
            city.iter().collect::<Vec<_>>(),
            [Some("missing_value"), Some("Paris")]
        );
        assert_eq!(out.column(1), Some(&Column::Numeric(vec![2.5, 4.0])));
        assert_eq!(
            imp.output_kinds(),
            [ColumnKind::String, ColumnKind::Numeric]
        );
        assert_eq!(imp.input_kinds(), [ColumnKind::String, ColumnKind::Numeric]);
        // A numeric matrix cannot feed the text column.
        let dense = imp.transform(array![[1.0, 2.0]].view()).unwrap_err();
        assert_eq!(dense.code(), "E_INPUT");
    }

    #[test]
    fn an_indicator_with_another_signed_zero_is_another_missing_value() {
        use model::MissingValue as M;
        assert!(same_missing(&M::Number(0.0), &M::Number(0.0)));
        assert!(!same_missing(&M::Number(0.0), &M::Number(-0.0)));
        assert!(!same_missing(&M::Nan, &M::None));
    }

    #[test]
    fn a_string_missing_value_matches_equal_strings_only() {
        let imp = imputer(
            vec![Fill::Text("b".into())],
            vec![0],
            Missing::Text("?".into()),
        );
        let mut t = Table::new(2);
        t.push_text("c", TextColumn::from_iter([Some("?"), Some("a")]))
            .unwrap();
        let out = imp.transform_table(&t).unwrap();
        let Some(Column::Text(c)) = out.column(0) else {
            panic!("text column expected")
        };
        assert_eq!(c.iter().collect::<Vec<_>>(), [Some("b"), Some("a")]);
    }
}
