//! Encoders: `OneHotEncoder`, `OrdinalEncoder` and `TargetEncoder`'s transform
//! (spec/estimators.md, "Categories", "OneHotEncoder", "OrdinalEncoder", "TargetEncoder"),
//! mirroring scikit-learn's `sklearn/preprocessing/_encoders.py`, `_target_encoder.py` and
//! `sklearn/utils/_encode.py`.
//!
//! Each input column has its categories ([`categories::Lookup`], hash maps for strings,
//! built once at load); a cell's category index is then mapped through the infrequent
//! grouping ([`grouping`], `_default_to_infrequent_mappings`) to the body's output. Every
//! output is a small integer or a stored value, so the outputs are exact.

pub(crate) mod categories;
pub(crate) mod one_hot;
pub(crate) mod ordinal;
pub(crate) mod target;

use ndarray::Array2;

use crate::error::{EstimatorError, Result};
use crate::table::{ColumnKind, Table};
use crate::traits::{Frame, TableTransform, Transform};

/// An encoder: a table of categories in, the matrix of numbers it builds out (its numeric
/// `transform` takes a matrix of numeric categories). Every encoder is a [`TableTransform`]
/// through it, its outputs numbers.
pub(crate) trait Encoder: Transform {
    /// The output of a table, built as the matrix it is.
    fn table_matrix(&self, x: &Table) -> Result<Array2<f64>>;
}

impl<E: Encoder> TableTransform for E {
    fn transform_table(&self, x: &Table) -> Result<Table> {
        Ok(Table::from_dense(self.table_matrix(x)?.view()))
    }

    fn transform_frame(&self, x: Frame) -> Result<Frame> {
        match x {
            Frame::Table(t) => self.table_matrix(&t).map(Frame::Dense),
            Frame::Dense(d) => self.transform(d.view()).map(Frame::Dense),
        }
    }

    fn output_kinds(&self) -> Vec<ColumnKind> {
        vec![ColumnKind::Numeric; self.n_features_out()]
    }
}

/// The grouped index of each of `n` categories when those at `infrequent` form one group,
/// and the number of grouped indices (scikit-learn's `_default_to_infrequent_mappings`):
/// the other categories keep their order, the group comes last. Checks the infrequent rule
/// (strictly ascending indices below `n`) at `path`.
pub(crate) fn grouping(n: usize, infrequent: &[u32], path: &str) -> Result<(Vec<usize>, usize)> {
    let mut is_infrequent = vec![false; n];
    let mut last = None;
    for &j in infrequent {
        let j = usize::try_from(j).unwrap_or(usize::MAX);
        if j >= n || last.is_some_and(|l| j <= l) {
            let why = if j >= n {
                format!("is not below the {n} categories")
            } else {
                "does not exceed the index before it".to_owned()
            };
            return Err(EstimatorError::model(path, format!("{j} {why}")));
        }
        if let Some(flag) = is_infrequent.get_mut(j) {
            *flag = true; // j < n, checked above
        }
        last = Some(j);
    }
    let n_frequent = n - infrequent.len();
    let mut next = 0;
    let map = is_infrequent
        .iter()
        .map(|&inf| {
            if inf {
                n_frequent
            } else {
                next += 1;
                next - 1
            }
        })
        .collect();
    Ok((map, n_frequent + usize::from(!infrequent.is_empty())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn infrequent_categories_share_the_last_index() {
        // scikit-learn's docstring example: 0, 2, 4 frequent; 1, 3, 5 infrequent.
        let (map, n) = grouping(6, &[1, 3, 5], "p").unwrap();
        assert_eq!(map, [0, 3, 1, 3, 2, 3]);
        assert_eq!(n, 4);
        assert_eq!(grouping(3, &[], "p").unwrap(), (vec![0, 1, 2], 3));
        assert_eq!(grouping(2, &[0, 1], "p").unwrap(), (vec![0, 0], 1));
    }

    #[test]
    fn infrequent_indices_ascending_and_in_range() {
        for bad in [&[3][..], &[1, 1], &[2, 1]] {
            let e = grouping(3, bad, "p.infrequent").unwrap_err();
            assert!(e.to_string().contains("p.infrequent"), "{e}");
        }
    }
}
