//! `OrdinalEncoder`: each column's category index (spec/estimators.md, "OrdinalEncoder").
//!
//! Mirrors scikit-learn 1.9.1 `sklearn/preprocessing/_encoders.py`, `OrdinalEncoder.transform`:
//! `_transform` finds each cell's category (`X_int`, unknown cells marked in `X_mask`), maps
//! categories through the infrequent grouping (the NaN category is left out of it,
//! `ignore_category_indices=_missing_indices`), `X_int.astype(dtype)`, then the NaN
//! category's cells become `encoded_missing_value` and, with
//! `handle_unknown="use_encoded_value"`, unknown cells `unknown_value`. Each output is a
//! small integer or one of those two values, rounded once to the output dtype (f32: to the
//! nearest f32), as numpy's assignment rounds it.

use amber_codec::DType;
use amber_codec::model::{self, OrdinalUnknown};
use ndarray::{Array2, ArrayView2};

use super::categories::{Found, Lookup, unknown_category, unknown_number};
use super::grouping;
use crate::encoders::Encoder;
use crate::error::{EstimatorError, Result};
use crate::table::{ColumnKind, Table};
use crate::traits::{Estimator, TableTransform, Transform, check_table_width, check_width};

/// A validated ordinal encoder.
#[derive(Clone, Debug)]
pub(crate) struct Ordinal {
    columns: Vec<OrdinalColumn>,
    /// What an unknown cell becomes; `None`: `E_INPUT`.
    unknown: Option<f64>,
}

#[derive(Clone, Debug)]
struct OrdinalColumn {
    lookup: Lookup,
    /// Each category's output, in the output dtype.
    codes: Vec<f64>,
}

/// The largest integer every smaller one of which an f64 holds exactly.
const EXACT_INT: f64 = 9_007_199_254_740_992.0;

/// `v` as the output dtype holds it (rule 6 keeps integers in range).
fn in_dtype(v: f64, dtype: DType) -> f64 {
    match dtype {
        // numpy rounds to the nearest f32 when it assigns or casts.
        #[allow(clippy::cast_possible_truncation)]
        DType::F32 => f64::from(v as f32),
        _ => v,
    }
}

/// Builds the runtime encoder, checking the OrdinalEncoder rules.
pub(crate) fn build(body: &model::OrdinalEncoder, n: usize, path: &str) -> Result<Ordinal> {
    let path = format!("{path}.ordinal_encoder");
    // Rule 1: one feature per input column.
    if body.features.len() != n {
        return Err(EstimatorError::model(
            format!("{path}.features"),
            format!("has {} columns, n_features_in is {n}", body.features.len()),
        ));
    }
    let columns = body
        .features
        .iter()
        .enumerate()
        .map(|(i, f)| one_column(f, body, &format!("{path}.features[{i}]")))
        .collect::<Result<Vec<_>>>()?;
    check_values(body, &columns, &path)?;
    Ok(Ordinal {
        unknown: (body.unknown == OrdinalUnknown::Value)
            .then(|| in_dtype(body.unknown_value, body.dtype)),
        columns,
    })
}

fn one_column(
    f: &model::OrdinalFeature,
    body: &model::OrdinalEncoder,
    at: &str,
) -> Result<OrdinalColumn> {
    // Rule 2: the Categories rules.
    let lookup = Lookup::build(&f.categories, &format!("{at}.categories"))?;
    let nan = lookup.nan_index();
    // Rule 3: the infrequent group, among the categories but NaN's.
    let grouped_n = lookup.len() - usize::from(nan.is_some());
    let (grouped, _) = grouping(grouped_n, &f.infrequent, &format!("{at}.infrequent"))?;
    #[allow(clippy::cast_precision_loss)] // indices below MAX categories, far below 2^53
    let mut codes: Vec<f64> = grouped.iter().map(|&g| g as f64).collect();
    if nan.is_some() {
        codes.push(body.encoded_missing_value);
    }
    Ok(OrdinalColumn {
        codes: codes.into_iter().map(|v| in_dtype(v, body.dtype)).collect(),
        lookup,
    })
}

/// Rules 4-6: unknown_value, encoded_missing_value and the output dtype.
fn check_values(body: &model::OrdinalEncoder, columns: &[OrdinalColumn], path: &str) -> Result<()> {
    // An integer is a Python int in scikit-learn: no -0.0 (it would come out as -0.0 here and
    // as 0.0 from the rebuilt encoder).
    let integer_or_nan = |v: f64| {
        v.is_nan()
            || (v.fract() == 0.0 && v.abs() <= EXACT_INT && !(v == 0.0 && v.is_sign_negative()))
    };
    match body.unknown {
        OrdinalUnknown::Value if !integer_or_nan(body.unknown_value) => {
            return Err(EstimatorError::model(
                format!("{path}.unknown_value"),
                format!(
                    "{} is neither an integer (|v| <= 2^53) nor NaN",
                    body.unknown_value
                ),
            ));
        }
        OrdinalUnknown::Error if body.unknown_value.to_bits() != 0 => {
            return Err(EstimatorError::model(
                format!("{path}.unknown_value"),
                format!(
                    "is {}, and 0 without ORDINAL_UNKNOWN_VALUE",
                    body.unknown_value
                ),
            ));
        }
        _ => {}
    }
    if !integer_or_nan(body.encoded_missing_value) {
        return Err(EstimatorError::model(
            format!("{path}.encoded_missing_value"),
            format!(
                "{} is neither an integer (|v| <= 2^53) nor NaN",
                body.encoded_missing_value
            ),
        ));
    }
    let range = match body.dtype {
        DType::F64 | DType::F32 => return Ok(()),
        DType::I64 => -EXACT_INT..=EXACT_INT,
        DType::I32 => -2_147_483_648.0..=2_147_483_647.0,
        other => {
            return Err(EstimatorError::model(
                format!("{path}.dtype"),
                format!("{other} is not f64, f32, i64 or i32"),
            ));
        }
    };
    let any_nan = columns.iter().any(|c| c.lookup.nan_index().is_some());
    let used = [
        (body.unknown == OrdinalUnknown::Value).then_some(("unknown_value", body.unknown_value)),
        any_nan.then_some(("encoded_missing_value", body.encoded_missing_value)),
    ];
    for (field, v) in used.into_iter().flatten() {
        if !range.contains(&v) {
            return Err(EstimatorError::model(
                format!("{path}.{field}"),
                format!("{v} is not a {} value", body.dtype),
            ));
        }
    }
    Ok(())
}

impl Ordinal {
    fn code(&self, c: &OrdinalColumn, found: Found) -> Option<f64> {
        match found {
            Found::Category(k) => c.codes.get(k).copied(),
            Found::Unknown => self.unknown,
        }
    }
}

/// `out[row, j] = v` (in range: `out` has a row per input row and a column per feature).
fn put(out: &mut Array2<f64>, row: usize, j: usize, v: f64) {
    if let Some(cell) = out.get_mut((row, j)) {
        *cell = v;
    }
}

impl Encoder for Ordinal {
    fn table_matrix(&self, x: &Table) -> Result<Array2<f64>> {
        check_table_width(x, self.columns.len())?;
        let mut out = Array2::zeros((x.n_rows(), self.columns.len()));
        for (j, c) in self.columns.iter().enumerate() {
            let (Some(column), name) = (x.column(j), x.label(j)) else {
                continue; // the width was checked above
            };
            c.lookup.each(column, &name, |row, found| {
                let code = self.code(c, found);
                put(
                    &mut out,
                    row,
                    j,
                    code.ok_or_else(|| unknown_category(column, &name, row))?,
                );
                Ok(())
            })?;
        }
        Ok(out)
    }
}

impl Transform for Ordinal {
    fn transform(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        check_width(&x, self.columns.len())?;
        let mut out = Array2::zeros((x.nrows(), self.columns.len()));
        for (j, c) in self.columns.iter().enumerate() {
            let values = x.column(j).into_iter().copied();
            c.lookup.each_number(values, j, |row, v, found| {
                let code = self.code(c, found);
                put(
                    &mut out,
                    row,
                    j,
                    code.ok_or_else(|| unknown_number(j, row, v))?,
                );
                Ok(())
            })?;
        }
        Ok(out)
    }

    fn n_features_out(&self) -> usize {
        self.columns.len()
    }
}

impl Estimator for Ordinal {
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
    use amber_codec::model::{Categories, OrdinalFeature};
    use ndarray::array;

    fn body(features: Vec<(Categories, Vec<u32>)>) -> model::OrdinalEncoder {
        model::OrdinalEncoder {
            features: features
                .into_iter()
                .map(|(categories, infrequent)| OrdinalFeature {
                    categories,
                    infrequent,
                })
                .collect(),
            unknown: OrdinalUnknown::Error,
            unknown_value: 0.0,
            encoded_missing_value: f64::NAN,
            dtype: DType::F64,
        }
    }

    fn text(cells: &[Option<&str>]) -> Table {
        let mut t = Table::new(cells.len());
        t.push_text("s", TextColumn::from_iter(cells.iter().copied()))
            .unwrap();
        t
    }

    #[test]
    fn codes_missing_and_unknown_values() {
        // scikit-learn's docstring example: a b c d + NaN, a and d infrequent,
        // unknown_value 3, encoded_missing_value 4.
        let mut b = body(vec![(
            strings(&["a", "b", "c", "d"], false, true),
            vec![0, 3],
        )]);
        b.unknown = OrdinalUnknown::Value;
        b.unknown_value = 3.0;
        b.encoded_missing_value = 4.0;
        let e = build(&b, 1, "e").unwrap();
        let cells = [Some("a"), Some("b"), Some("c"), Some("d"), Some("e"), None];
        let z = e
            .transform_table(&text(&cells))
            .unwrap()
            .to_dense()
            .unwrap();
        assert_eq!(z.column(0).to_vec(), [2.0, 0.0, 1.0, 2.0, 3.0, 4.0]);
    }

    #[test]
    fn nan_default_and_a_none_category_keeps_its_index() {
        // x y None NaN, the None category infrequent with y: codes x 0, group 1.
        let cats = strings(&["x", "y"], true, true);
        let e = build(&body(vec![(cats, vec![1, 2])]), 1, "e").unwrap();
        let z = e
            .transform_table(&text(&[Some("y"), None, Some("x")]))
            .unwrap();
        let z = z.to_dense().unwrap();
        assert_eq!((z[[0, 0]], z[[2, 0]]), (1.0, 0.0));
        assert!(z[[1, 0]].is_nan());
        let mut b = body(vec![(strings(&["x", "y"], true, false), vec![])]);
        b.unknown = OrdinalUnknown::Value;
        b.unknown_value = -1.0;
        let e = build(&b, 1, "e").unwrap();
        let z = e
            .transform_table(&text(&[None]))
            .unwrap()
            .to_dense()
            .unwrap();
        assert_eq!(z[[0, 0]], -1.0); // a missing cell is NaN, which None is not
    }

    #[test]
    fn unknown_with_error_is_e_input() {
        let e = build(&body(vec![(numeric(&[1.0, 2.0], false), vec![])]), 1, "e").unwrap();
        assert_eq!(
            e.transform(array![[2.0], [1.0]].view()).unwrap(),
            array![[1.0], [0.0]]
        );
        let err = e.transform(array![[f64::NAN]].view()).unwrap_err();
        assert!(
            err.to_string().contains("NaN") && err.code() == "E_INPUT",
            "{err}"
        );
        assert!(err.to_string().contains("had none in training"), "{err}");
    }

    #[test]
    fn f32_output_rounds_the_stored_values() {
        let mut b = body(vec![(numeric(&[1.0], false), vec![])]);
        b.unknown = OrdinalUnknown::Value;
        b.unknown_value = 16_777_217.0; // 2^24 + 1: no f32 holds it
        b.dtype = DType::F32;
        let e = build(&b, 1, "e").unwrap();
        assert_eq!(
            e.transform(array![[5.0]].view()).unwrap()[[0, 0]],
            16_777_216.0
        );
    }

    #[test]
    fn rules_3_to_6() {
        let bad_infrequent = body(vec![(numeric(&[1.0], true), vec![1])]);
        assert!(
            build(&bad_infrequent, 1, "e")
                .unwrap_err()
                .to_string()
                .contains("infrequent")
        );
        let mut b = body(vec![(numeric(&[1.0], true), vec![])]);
        b.unknown = OrdinalUnknown::Value;
        b.unknown_value = 0.5;
        assert!(
            build(&b, 1, "e")
                .unwrap_err()
                .to_string()
                .contains("unknown_value")
        );
        b.unknown = OrdinalUnknown::Error;
        b.unknown_value = 1.0;
        assert!(
            build(&b, 1, "e")
                .unwrap_err()
                .to_string()
                .contains("unknown_value")
        );
        b.unknown_value = 0.0;
        b.encoded_missing_value = f64::INFINITY;
        assert!(
            build(&b, 1, "e")
                .unwrap_err()
                .to_string()
                .contains("encoded_missing")
        );
        b.encoded_missing_value = f64::NAN;
        b.dtype = DType::I64;
        assert!(
            build(&b, 1, "e")
                .unwrap_err()
                .to_string()
                .contains("encoded_missing")
        );
        b.encoded_missing_value = -1.0;
        assert!(build(&b, 1, "e").is_ok());
        b.dtype = DType::U8;
        assert!(build(&b, 1, "e").unwrap_err().to_string().contains("dtype"));
    }
}
