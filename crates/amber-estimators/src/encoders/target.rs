//! `TargetEncoder` (transform): each column's category encodings (spec/estimators.md,
//! "TargetEncoder").
//!
//! Mirrors scikit-learn 1.9.1 `sklearn/preprocessing/_target_encoder.py`,
//! `TargetEncoder.transform`: `_transform(X, handle_unknown="ignore")` finds each cell's
//! category, then `_transform_X_ordinal` copies `encodings_[e][category]` to output `e`
//! and `target_mean_` where the category is unknown. Column `i` has `k` outputs (`k` the
//! number of classes of a multiclass target, else 1), output `i * k + c` reading encoding
//! `c`. Every output is a stored f64, copied: exact.

use amber_codec::model;
use ndarray::{Array2, ArrayView2};

use super::categories::{Found, Lookup};
use crate::encoders::Encoder;
use crate::error::{EstimatorError, Result};
use crate::table::{ColumnKind, Table};
use crate::traits::{Estimator, TableTransform, Transform, check_table_width, check_width};

/// A validated target encoder.
#[derive(Clone, Debug)]
pub(crate) struct Target {
    columns: Vec<TargetColumn>,
    /// What an unknown category gives, `k` values.
    target_mean: Vec<f64>,
}

#[derive(Clone, Debug)]
struct TargetColumn {
    lookup: Lookup,
    /// `n_categories * k`.
    encodings: Vec<f64>,
}

/// Builds the runtime encoder, checking the TargetEncoder rules.
pub(crate) fn build(body: &model::TargetEncoder, n: usize, path: &str) -> Result<Target> {
    let path = format!("{path}.target_encoder");
    // Rule 1: one feature per input column.
    if body.features.len() != n {
        return Err(EstimatorError::model(
            format!("{path}.features"),
            format!("has {} columns, n_features_in is {n}", body.features.len()),
        ));
    }
    // Rule 3: k >= 1 finite target means.
    let k = body.target_mean.len();
    if k == 0 || body.target_mean.iter().any(|v| !v.is_finite()) {
        return Err(EstimatorError::model(
            format!("{path}.target_mean"),
            "must be at least one value, each finite",
        ));
    }
    let columns = body
        .features
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let at = format!("{path}.features[{i}]");
            // Rule 2: the Categories rules.
            let lookup = Lookup::build(&f.categories, &format!("{at}.categories"))?;
            // Rule 4: k finite encodings per category.
            let want = lookup.len().checked_mul(k);
            if want != Some(f.encodings.len()) || f.encodings.iter().any(|v| !v.is_finite()) {
                return Err(EstimatorError::model(
                    format!("{at}.encodings"),
                    format!(
                        "has {} values, and {} categories of {k} outputs need as many finite ones",
                        f.encodings.len(),
                        lookup.len()
                    ),
                ));
            }
            Ok(TargetColumn {
                lookup,
                encodings: f.encodings.clone(),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Target {
        columns,
        target_mean: body.target_mean.clone(),
    })
}

impl Target {
    fn n_out(&self) -> usize {
        self.columns.len() * self.target_mean.len()
    }

    /// Writes column `i`'s `k` outputs of `row`.
    fn put(&self, out: &mut Array2<f64>, c: &TargetColumn, i: usize, row: usize, found: Found) {
        let k = self.target_mean.len();
        let values = match found {
            Found::Category(j) => c.encodings.get(j * k..(j + 1) * k),
            Found::Unknown => None,
        };
        let values = values.unwrap_or(&self.target_mean);
        for (o, &v) in values.iter().enumerate() {
            if let Some(cell) = out.get_mut((row, i * k + o)) {
                *cell = v;
            }
        }
    }
}

impl Encoder for Target {
    fn table_matrix(&self, x: &Table) -> Result<Array2<f64>> {
        check_table_width(x, self.columns.len())?;
        let mut out = Array2::zeros((x.n_rows(), self.n_out()));
        for (i, c) in self.columns.iter().enumerate() {
            let (Some(column), name) = (x.column(i), x.label(i)) else {
                continue; // the width was checked above
            };
            c.lookup.each(column, &name, |row, found| {
                self.put(&mut out, c, i, row, found);
                Ok(())
            })?;
        }
        Ok(out)
    }
}

impl Transform for Target {
    fn transform(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        check_width(&x, self.columns.len())?;
        let mut out = Array2::zeros((x.nrows(), self.n_out()));
        for (i, c) in self.columns.iter().enumerate() {
            let values = x.column(i).into_iter().copied();
            c.lookup.each_number(values, i, |row, _, found| {
                self.put(&mut out, c, i, row, found);
                Ok(())
            })?;
        }
        Ok(out)
    }

    fn n_features_out(&self) -> usize {
        self.n_out()
    }
}

impl Estimator for Target {
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
    use amber_codec::model::TargetEncoderFeature;
    use ndarray::array;

    fn body(features: Vec<TargetEncoderFeature>, target_mean: &[f64]) -> model::TargetEncoder {
        model::TargetEncoder {
            features,
            target_mean: target_mean.to_vec(),
            classes: None,
        }
    }

    #[test]
    fn encodings_per_category_and_the_mean_for_unknown() {
        let f = TargetEncoderFeature {
            categories: numeric(&[1.0, 2.0], true),
            encodings: vec![0.25, 0.5, 0.75],
        };
        let e = build(&body(vec![f], &[0.4]), 1, "e").unwrap();
        let z = e
            .transform(array![[2.0], [f64::NAN], [3.0], [1.0]].view())
            .unwrap();
        assert_eq!(z, array![[0.5], [0.75], [0.4], [0.25]]);
    }

    #[test]
    fn multiclass_columns_are_k_wide_in_class_order() {
        let f = TargetEncoderFeature {
            categories: strings(&["b", "a"], false, false),
            encodings: vec![0.1, 0.9, 0.6, 0.4], // b: (0.1, 0.9), a: (0.6, 0.4)
        };
        let e = build(&body(vec![f], &[0.3, 0.7]), 1, "e").unwrap();
        let mut t = Table::new(3);
        t.push_text("s", TextColumn::from_iter([Some("a"), None, Some("b")]))
            .unwrap();
        let z = e.transform_table(&t).unwrap().to_dense().unwrap();
        assert_eq!(z, array![[0.6, 0.4], [0.3, 0.7], [0.1, 0.9]]);
    }

    #[test]
    fn rules_1_3_4() {
        let f = || TargetEncoderFeature {
            categories: numeric(&[1.0], false),
            encodings: vec![0.5],
        };
        assert!(build(&body(vec![f()], &[0.5]), 2, "e").is_err());
        let e = build(&body(vec![f()], &[]), 1, "e").unwrap_err();
        assert!(e.to_string().contains("target_mean"), "{e}");
        let e = build(&body(vec![f()], &[0.5, 0.5]), 1, "e").unwrap_err();
        assert!(e.to_string().contains("encodings"), "{e}");
        let mut g = f();
        g.encodings = vec![f64::NAN];
        assert!(build(&body(vec![g], &[0.5]), 1, "e").is_err());
    }
}
