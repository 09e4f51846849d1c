//! `OneHotEncoder`: one 0/1 output per category of each column (spec/estimators.md,
//! "OneHotEncoder").
//!
//! Mirrors scikit-learn 1.9.1 `sklearn/preprocessing/_encoders.py`, `OneHotEncoder.transform`:
//! `_transform` finds each cell's category (`X_int`) and marks unknown ones (`X_mask`);
//! `_map_infrequent_categories` sends an unknown cell to the infrequent group where
//! `handle_unknown` is `infrequent_if_exist` (or `warn`) and the column has one, then maps
//! categories to grouped indices; `_drop_idx_after_grouping` removes one grouped output per
//! column (a cell of it has all zeros) and shifts the ones after it down by one. Output
//! columns are the columns' grouped outputs side by side. Every value is 0.0 or 1.0, exactly
//! scikit-learn's in any of the output dtypes (the body's dtype is for a rebuild).

use amber_codec::DType;
use amber_codec::model::{self, OneHotUnknown};
use ndarray::{Array2, ArrayView2};

use super::categories::{Found, Lookup, unknown_category, unknown_number};
use super::grouping;
use crate::encoders::Encoder;
use crate::error::{EstimatorError, Result};
use crate::table::{ColumnKind, Table};
use crate::traits::{Estimator, TableTransform, Transform, check_table_width, check_width};

/// A validated one-hot encoder.
#[derive(Clone, Debug)]
pub(crate) struct OneHot {
    columns: Vec<OneHotColumn>,
    /// `handle_unknown="error"`.
    unknown_error: bool,
    n_out: usize,
}

#[derive(Clone, Debug)]
struct OneHotColumn {
    lookup: Lookup,
    /// The first output column of this input column.
    offset: usize,
    /// Each category's output (relative to `offset`); `None` for the dropped one.
    outputs: Vec<Option<usize>>,
    /// An unknown category's output; `None` for all zeros.
    unknown: Option<usize>,
}

impl OneHotColumn {
    fn output(&self, found: Found) -> Option<Option<usize>> {
        match found {
            Found::Category(k) => self.outputs.get(k).copied(),
            Found::Unknown => Some(self.unknown),
        }
    }
}

/// Builds the runtime encoder, checking the OneHotEncoder rules.
pub(crate) fn build(body: &model::OneHotEncoder, n: usize, path: &str) -> Result<OneHot> {
    let path = format!("{path}.one_hot_encoder");
    // Rule 1: one feature per input column.
    if body.features.len() != n {
        return Err(EstimatorError::model(
            format!("{path}.features"),
            format!("has {} columns, n_features_in is {n}", body.features.len()),
        ));
    }
    // Rule 5: an output dtype scikit-learn's encoders write here.
    if !matches!(
        body.dtype,
        DType::F64 | DType::F32 | DType::I64 | DType::I32
    ) {
        return Err(EstimatorError::model(
            format!("{path}.dtype"),
            format!("{} is not f64, f32, i64 or i32", body.dtype),
        ));
    }
    let mut columns = Vec::with_capacity(n);
    let mut offset = 0;
    for (i, f) in body.features.iter().enumerate() {
        let at = format!("{path}.features[{i}]");
        let column = one_column(f, body.unknown, offset, &at)?;
        offset += column.width();
        columns.push(column);
    }
    Ok(OneHot {
        columns,
        unknown_error: body.unknown == OneHotUnknown::Error,
        n_out: offset,
    })
}

fn one_column(
    f: &model::OneHotFeature,
    unknown: OneHotUnknown,
    offset: usize,
    at: &str,
) -> Result<OneHotColumn> {
    // Rule 2: the Categories rules.
    let lookup = Lookup::build(&f.categories, &format!("{at}.categories"))?;
    // Rule 3: the infrequent group.
    let (grouped, n_grouped) = grouping(lookup.len(), &f.infrequent, &format!("{at}.infrequent"))?;
    // Rule 4: the dropped output is a grouped output.
    let drop = match f.drop {
        Some(d) if usize::try_from(d).is_ok_and(|d| d < n_grouped) => usize::try_from(d).ok(),
        Some(d) => {
            return Err(EstimatorError::model(
                format!("{at}.drop"),
                format!("{d} is not below the column's {n_grouped} grouped outputs"),
            ));
        }
        None => None,
    };
    let column_of = |g: usize| match drop {
        Some(d) if g == d => None,
        Some(d) if g > d => Some(g - 1),
        _ => Some(g),
    };
    let group = (!f.infrequent.is_empty()).then(|| n_grouped - 1);
    Ok(OneHotColumn {
        offset,
        outputs: grouped.iter().map(|&g| column_of(g)).collect(),
        unknown: match unknown {
            OneHotUnknown::Infrequent => group.and_then(column_of),
            OneHotUnknown::Error | OneHotUnknown::Zeros => None,
        },
        lookup,
    })
}

impl OneHotColumn {
    fn width(&self) -> usize {
        self.outputs.iter().flatten().max().map_or(0, |m| m + 1)
    }
}

impl OneHot {
    fn set(&self, out: &mut Array2<f64>, c: &OneHotColumn, row: usize, col: Option<usize>) {
        if let Some(cell) = col.and_then(|col| out.get_mut((row, c.offset + col))) {
            *cell = 1.0;
        }
    }
}

impl Encoder for OneHot {
    fn table_matrix(&self, x: &Table) -> Result<Array2<f64>> {
        check_table_width(x, self.columns.len())?;
        let mut out = Array2::zeros((x.n_rows(), self.n_out));
        for (j, c) in self.columns.iter().enumerate() {
            let (Some(column), name) = (x.column(j), x.label(j)) else {
                continue; // the width was checked above
            };
            c.lookup
                .each(column, &name, |row, found| match c.output(found) {
                    None => Ok(()),
                    Some(_) if found == Found::Unknown && self.unknown_error => {
                        Err(unknown_category(column, &name, row))
                    }
                    Some(col) => {
                        self.set(&mut out, c, row, col);
                        Ok(())
                    }
                })?;
        }
        Ok(out)
    }
}

impl Transform for OneHot {
    fn transform(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        check_width(&x, self.columns.len())?;
        let mut out = Array2::zeros((x.nrows(), self.n_out));
        for (j, c) in self.columns.iter().enumerate() {
            let values = x.column(j).into_iter().copied();
            c.lookup
                .each_number(values, j, |row, v, found| match c.output(found) {
                    None => Ok(()),
                    Some(_) if found == Found::Unknown && self.unknown_error => {
                        Err(unknown_number(j, row, v))
                    }
                    Some(col) => {
                        self.set(&mut out, c, row, col);
                        Ok(())
                    }
                })?;
        }
        Ok(out)
    }

    fn n_features_out(&self) -> usize {
        self.n_out
    }
}

impl Estimator for OneHot {
    fn n_features_in(&self) -> usize {
        self.columns.len()
    }
    fn as_transform(&self) -> Option<&dyn Transform> {
        Some(self)
    }
    fn as_table_transform(&self) -> Option<&dyn TableTransform> {
        Some(self)
    }
    fn input_kinds(&self) -> Vec<ColumnKind> {
        self.columns
            .iter()
            .map(|c| c.lookup.column_kind())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoders::categories::tests::{numeric, strings};
    use crate::table::TextColumn;
    use amber_codec::model::{Categories, OneHotFeature};
    use ndarray::array;

    fn feature(categories: Categories, infrequent: &[u32], drop: Option<u32>) -> OneHotFeature {
        OneHotFeature {
            categories,
            infrequent: infrequent.to_vec(),
            drop,
        }
    }

    fn encoder(features: Vec<OneHotFeature>, unknown: OneHotUnknown) -> OneHot {
        let n = features.len();
        let body = model::OneHotEncoder {
            features,
            unknown,
            dtype: DType::F64,
        };
        build(&body, n, "e").unwrap()
    }

    fn text(cells: &[Option<&str>]) -> Table {
        let mut t = Table::new(cells.len());
        t.push_text("city", TextColumn::from_iter(cells.iter().copied()))
            .unwrap();
        t
    }

    fn dense(t: &Table) -> Array2<f64> {
        t.to_dense().unwrap()
    }

    #[test]
    fn one_column_per_category_side_by_side() {
        let e = encoder(
            vec![
                feature(numeric(&[1.0, 2.0], true), &[], None),
                feature(numeric(&[0.0], false), &[], None),
            ],
            OneHotUnknown::Error,
        );
        let z = e
            .transform(array![[2.0, 0.0], [f64::NAN, -0.0]].view())
            .unwrap();
        assert_eq!(z, array![[0.0, 1.0, 0.0, 1.0], [0.0, 0.0, 1.0, 1.0]]);
    }

    #[test]
    fn infrequent_categories_share_the_last_output_and_unknown_joins_them() {
        // Categories a b c d, a and d infrequent: outputs b, c, infrequent.
        let cats = strings(&["a", "b", "c", "d"], false, false);
        let e = encoder(
            vec![feature(cats.clone(), &[0, 3], None)],
            OneHotUnknown::Infrequent,
        );
        let cells = [Some("a"), Some("b"), Some("c"), Some("d"), Some("zz"), None];
        let z = dense(&e.transform_table(&text(&cells)).unwrap());
        let want = array![
            [0.0, 0.0, 1.0],
            [1.0, 0.0, 0.0],
            [0.0, 1.0, 0.0],
            [0.0, 0.0, 1.0],
            [0.0, 0.0, 1.0],
            [0.0, 0.0, 1.0]
        ];
        assert_eq!(z, want);
        // Ignore: unknown (and missing, unseen in training) are all zeros.
        let e = encoder(vec![feature(cats, &[0, 3], None)], OneHotUnknown::Zeros);
        let z = dense(&e.transform_table(&text(&cells)).unwrap());
        assert_eq!(z.row(4).to_vec(), [0.0; 3]);
        assert_eq!(z.row(5).to_vec(), [0.0; 3]);
    }

    #[test]
    fn drop_after_grouping_shifts_the_later_outputs() {
        // Grouped outputs b, c, infrequent; drop b (0): outputs c, infrequent.
        let cats = strings(&["a", "b", "c", "d"], false, false);
        let e = encoder(
            vec![feature(cats.clone(), &[0, 3], Some(0))],
            OneHotUnknown::Infrequent,
        );
        let z = dense(
            &e.transform_table(&text(&[Some("b"), Some("c"), Some("a")]))
                .unwrap(),
        );
        assert_eq!(z, array![[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]);
        // Drop the group itself: infrequent and unknown cells are all zeros.
        let e = encoder(
            vec![feature(cats, &[0, 3], Some(2))],
            OneHotUnknown::Infrequent,
        );
        let z = dense(
            &e.transform_table(&text(&[Some("d"), Some("q"), Some("c")]))
                .unwrap(),
        );
        assert_eq!(z, array![[0.0, 0.0], [0.0, 0.0], [0.0, 1.0]]);
    }

    #[test]
    fn unknown_with_error_is_e_input_naming_column_row_and_value() {
        let e = encoder(
            vec![feature(strings(&["x"], false, false), &[], None)],
            OneHotUnknown::Error,
        );
        let err = e
            .transform_table(&text(&[Some("x"), Some("Paris")]))
            .unwrap_err();
        let msg = err.to_string();
        assert_eq!(err.code(), "E_INPUT");
        assert!(msg.contains("\"city\"") && msg.contains("row 1") && msg.contains("\"Paris\""));
        let e = encoder(
            vec![feature(numeric(&[1.0], false), &[], None)],
            OneHotUnknown::Error,
        );
        let msg = e
            .transform(array![[1.0], [7.5]].view())
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("\"#0\"") && msg.contains("row 1") && msg.contains("7.5"),
            "{msg}"
        );
    }

    #[test]
    fn string_categories_refuse_a_dense_matrix() {
        let e = encoder(
            vec![feature(strings(&["x"], false, false), &[], None)],
            OneHotUnknown::Zeros,
        );
        let err = e.transform(array![[1.0]].view()).unwrap_err();
        assert_eq!(err.code(), "E_INPUT");
        assert_eq!(e.input_kinds(), [ColumnKind::String]);
    }

    #[test]
    fn rules_1_4_5() {
        let body = |drop, dtype| model::OneHotEncoder {
            features: vec![feature(numeric(&[1.0, 2.0], false), &[], drop)],
            unknown: OneHotUnknown::Zeros,
            dtype,
        };
        let e = build(&body(None, DType::F64), 2, "e").unwrap_err();
        assert!(e.to_string().contains("features"), "{e}");
        let e = build(&body(Some(2), DType::F64), 1, "e").unwrap_err();
        assert!(e.to_string().contains("drop"), "{e}");
        let e = build(&body(None, DType::U8), 1, "e").unwrap_err();
        assert!(e.to_string().contains("dtype"), "{e}");
        assert_eq!(build(&body(Some(1), DType::I32), 1, "e").unwrap().n_out, 1);
    }
}
