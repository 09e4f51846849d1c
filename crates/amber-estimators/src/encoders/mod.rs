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

use crate::error::{EstimatorError, Result};

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
