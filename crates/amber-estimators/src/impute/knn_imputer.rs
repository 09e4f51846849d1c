//! `KNNImputer` (metric `nan_euclidean`): a missing cell gets the mean of its column over
//! the nearest training rows that have it, weighted uniformly or by inverse distance
//! (spec/estimators.md, "KnnImputer").
//!
//! Mirrors `sklearn/impute/_knn.py` (`transform`, `_calc_impute`) and
//! `sklearn/metrics/pairwise.py` (`nan_euclidean_distances`, `_euclidean_distances`), whose
//! arithmetic for a query row `x` and a training row `y`, missing cells set to 0, is
//!
//! ```text
//! d = max((-2 * (x . y) + |x|^2) + |y|^2, 0)
//! d = max((d - sum_j x_j^2 [y_j missing]) - sum_j y_j^2 [x_j missing], 0)
//! p = #{j : neither missing};  d = NaN if p == 0 else sqrt(d / p * n_features)
//! ```
//!
//! scikit-learn sums the dot products in BLAS and the squared norms in `einsum`, in orders
//! this reader does not reproduce (it sums left to right), and picks the `n_neighbors`
//! nearest with `argpartition`, whose output order (the order of the weighted sum) is not
//! specified; so outputs are compared within a tolerance (spec/estimators.md, "KnnImputer":
//! the corpus states it). Among donors at equal distance the lowest training rows are taken.

use std::cmp::Ordering;
use std::ops::Deref;

use amber_codec::Container;
use amber_codec::model::{self, KnnWeights};
use ndarray::{Array2, ArrayView1, ArrayView2, Ix2};

use super::Missing;
use super::missing_indicator::MissingIndicator;
use super::simple_imputer::nested_indicator;
use crate::error::{EstimatorError, Result};
use crate::numerics::{np_maximum, numpy_sum};
use crate::table::Table;
use crate::traits::{Estimator, Transform, check_width};

/// A validated KNN imputer.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct KnnImputer {
    n_features: usize,
    missing: Missing,
    n_neighbors: usize,
    weights: KnnWeights,
    /// Training rows, missing cells set to 0.0 (what the distance reads).
    fit_zeroed: Array2<f64>,
    /// Training rows as saved.
    fit_x: Array2<f64>,
    /// `[n_fit, n_features]` missing cells of `fit_x`.
    mask_fit: Array2<bool>,
    /// Columns with a present training cell.
    valid: Vec<bool>,
    /// Per column: the mean of its present training cells (for receivers without a
    /// defined distance to any donor), NaN for an invalid column.
    col_mean: Vec<f64>,
    keep_empty: bool,
    indicator: Option<MissingIndicator>,
}

impl KnnImputer {
    fn mask(&self, x: ArrayView2<'_, f64>) -> Result<Array2<bool>> {
        let labels = Table::new(0); // unnamed: columns are `#j` in messages
        let mut flags = Vec::with_capacity(x.len());
        for (i, row) in x.rows().into_iter().enumerate() {
            for (j, &v) in row.iter().enumerate() {
                flags.push(self.missing.number(v, &labels, j, i)?);
            }
        }
        Array2::from_shape_vec(x.dim(), flags)
            .map_err(|e| EstimatorError::model("knn_imputer", e.to_string()))
    }

    /// `nan_euclidean_distances(x, fit_x)[r]` for every training row `r`.
    fn distances(&self, x: ArrayView1<'_, f64>, mx: ArrayView1<'_, bool>) -> Vec<f64> {
        let xz: Vec<f64> = x
            .iter()
            .zip(mx)
            .map(|(&v, &m)| if m { 0.0 } else { v })
            .collect();
        let sx = xz.iter().fold(0.0, |s, &v| s + v * v);
        #[allow(clippy::cast_precision_loss)] // widths below 2^53
        let n = self.n_features as f64;
        let rows = self.fit_zeroed.rows().into_iter().zip(self.mask_fit.rows());
        rows.map(|(y, my)| {
            let (mut dot, mut sy, mut x_only, mut y_only) = (0.0, 0.0, 0.0, 0.0);
            let mut present = 0usize;
            for (((&xv, &yv), &xm), &ym) in xz.iter().zip(y).zip(mx).zip(my) {
                dot += xv * yv;
                sy += yv * yv;
                // Products with the 0/1 masks, not skipped terms: scikit-learn's np.dot of
                // a mask and the squares makes 0 * inf NaN when a square overflows.
                x_only += (xv * xv) * f64::from(u8::from(ym));
                y_only += (yv * yv) * f64::from(u8::from(xm));
                present += usize::from(!xm && !ym);
            }
            // numpy's maximum keeps a NaN (inf - inf when a value's square overflows).
            let d = np_maximum((-2.0 * dot + sx) + sy, 0.0);
            let d = np_maximum((d - x_only) - y_only, 0.0);
            #[allow(clippy::cast_precision_loss)] // counts below 2^53
            let p = present as f64;
            if present == 0 {
                f64::NAN
            } else {
                (d / p * n).sqrt()
            }
        })
        .collect()
    }

    /// The value `_calc_impute` gives column `col` from the distances `dist` of one row.
    fn impute(&self, dist: &[f64], col: usize) -> f64 {
        // (distance, training row, value) of the potential donors: rows that have `col`.
        let mut donors: Vec<(f64, usize, f64)> = self
            .mask_fit
            .column(col)
            .iter()
            .zip(self.fit_x.column(col))
            .zip(dist)
            .enumerate()
            .filter(|(_, ((m, _), _))| !**m)
            .map(|(r, ((_, &v), &d))| (d, r, v))
            .collect();
        if donors.iter().all(|(d, _, _)| d.is_nan()) {
            return self.col_mean.get(col).copied().unwrap_or(f64::NAN);
        }
        let k = self.n_neighbors.min(donors.len());
        // NaN distances last (numpy's sort order); equal distances by training row.
        donors.sort_by(|a, b| nan_last(a.0, b.0).then(a.1.cmp(&b.1)));
        donors.truncate(k);
        let d: Vec<f64> = donors.iter().map(|t| t.0).collect();
        let w = weights(&d, self.weights);
        let products: Vec<f64> = donors.iter().zip(&w).map(|(t, &w)| t.2 * w).collect();
        numpy_sum(&products) / numpy_sum(&w)
    }
}

fn nan_last(a: f64, b: f64) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
    }
}

/// `_get_weights` then `weight_matrix[isnan] = 0` (`sklearn/neighbors/_base.py`).
fn weights(d: &[f64], weights: KnnWeights) -> Vec<f64> {
    match weights {
        KnnWeights::UniformAll => vec![1.0; d.len()],
        KnnWeights::Uniform => d
            .iter()
            .map(|v| if v.is_nan() { 0.0 } else { 1.0 })
            .collect(),
        KnnWeights::Distance => {
            let inv: Vec<f64> = d.iter().map(|&v| 1.0 / v).collect();
            let any_inf = inv.iter().any(|v| v.is_infinite());
            inv.into_iter()
                .map(|w| match () {
                    () if any_inf => f64::from(u8::from(w.is_infinite())),
                    () if w.is_nan() => 0.0,
                    () => w,
                })
                .collect()
        }
    }
}

impl Transform for KnnImputer {
    fn transform(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        check_width(&x, self.n_features)?;
        let mask = self.mask(x)?;
        let mut out = x.to_owned();
        for ((row, mx), mut dst) in x.rows().into_iter().zip(mask.rows()).zip(out.rows_mut()) {
            let cols: Vec<usize> = (0..self.n_features)
                .zip(&self.valid)
                .zip(mx)
                .filter(|&((_, &v), &m)| v && m)
                .map(|((j, _), _)| j)
                .collect();
            if cols.is_empty() {
                continue;
            }
            let dist = self.distances(row, mx);
            for col in cols {
                if let Some(cell) = dst.get_mut(col) {
                    *cell = self.impute(&dist, col);
                }
            }
        }
        let mut z = Array2::zeros((x.nrows(), self.n_features_out()));
        let kept = out
            .columns()
            .into_iter()
            .zip(&self.valid)
            .filter(|(_, v)| self.keep_empty || **v);
        let mut width = 0;
        for ((src, &valid), mut dst) in kept.zip(z.columns_mut()) {
            if valid {
                dst.assign(&src);
            } // else: keep_empty_features sets the whole column to 0.0
            width += 1;
        }
        if let Some(ind) = &self.indicator {
            let mut t = Table::new(x.nrows());
            ind.columns(&Table::from_dense(x), &mut t)?;
            let dense = t.to_dense()?;
            for (src, mut dst) in dense
                .columns()
                .into_iter()
                .zip(z.columns_mut().into_iter().skip(width))
            {
                dst.assign(&src);
            }
        }
        Ok(z)
    }

    fn n_features_out(&self) -> usize {
        let kept = if self.keep_empty {
            self.n_features
        } else {
            self.valid.iter().filter(|&&v| v).count()
        };
        kept + self.indicator.as_ref().map_or(0, MissingIndicator::width)
    }
}

impl Estimator for KnnImputer {
    fn n_features_in(&self) -> usize {
        self.n_features
    }
    fn as_transform(&self) -> Option<&dyn Transform> {
        Some(self)
    }
}

/// Builds the runtime imputer, checking the KnnImputer rules of `spec/estimators.md`.
pub(crate) fn build<B: Deref<Target = [u8]>>(
    c: &Container<B>,
    body: &model::KnnImputer,
    n: usize,
    path: &str,
) -> Result<KnnImputer> {
    let field = |f: &str| format!("{path}.knn_imputer.{f}");
    let missing = Missing::from_model(&body.missing_values);
    // Rule 1: a numeric missing value.
    if !matches!(missing, Missing::Nan | Missing::Number(_)) {
        return Err(EstimatorError::model(
            field("missing_values"),
            "must be nan, number or integer",
        ));
    }
    // Rule 3.
    let n_neighbors = usize::try_from(body.n_neighbors)
        .ok()
        .filter(|&k| k >= 1)
        .ok_or_else(|| EstimatorError::model(field("n_neighbors"), "must be at least 1"))?;
    // Rule 4: shapes and dtypes.
    let fit_x = fit_rows(c, &body.fit_x, n, &field("fit_x"))?;
    let (n_fit, _) = fit_x.dim();
    let mask_flat = super::bool_tensor(c, &body.mask_fit_x, &[n_fit, n], &field("mask_fit_x"))?;
    let valid = super::bool_tensor(c, &body.valid_mask, &[n], &field("valid_mask"))?;
    let mask_fit = Array2::from_shape_vec((n_fit, n), mask_flat)
        .map_err(|e| EstimatorError::model(field("mask_fit_x"), e.to_string()))?;
    // Rules 5 and 6: the masks are fit_x's own, and its present cells are finite.
    let labels = Table::new(0);
    for (r, (xs, ms)) in fit_x.rows().into_iter().zip(mask_fit.rows()).enumerate() {
        for (j, (&v, &m)) in xs.iter().zip(ms).enumerate() {
            let is_missing = missing.number(v, &labels, j, r).map_err(|_| {
                EstimatorError::model(
                    field("fit_x"),
                    format!("cell [{r}, {j}] is {v}: neither finite nor the missing value"),
                )
            })?;
            if is_missing != m {
                return Err(EstimatorError::model(
                    field("mask_fit_x"),
                    format!("cell [{r}, {j}] is not fit_x's missing cell"),
                ));
            }
        }
    }
    let n_valid = valid.iter().filter(|&&v| v).count();
    if u64::try_from(n_valid).ok() != Some(body.n_valid) {
        return Err(EstimatorError::model(
            field("n_valid"),
            format!(
                "is {}, and valid_mask has {n_valid} true values",
                body.n_valid
            ),
        ));
    }
    for (j, (&v, ms)) in valid.iter().zip(mask_fit.columns()).enumerate() {
        if v == ms.iter().all(|&m| m) {
            return Err(EstimatorError::model(
                field("valid_mask"),
                format!("element {j} is not whether column {j} has a present cell"),
            ));
        }
    }
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
    let mut fit_zeroed = fit_x.clone();
    fit_zeroed.zip_mut_with(&mask_fit, |v, &m| {
        if m {
            *v = 0.0;
        }
    });
    let col_mean = column_means(&fit_zeroed, &mask_fit);
    Ok(KnnImputer {
        n_features: n,
        missing,
        n_neighbors,
        weights: body.weights,
        fit_zeroed,
        fit_x,
        mask_fit,
        valid,
        col_mean,
        keep_empty: body.keep_empty_features,
        indicator,
    })
}

/// Per column: `np.ma.array(fit_x[:, j], mask=mask[:, j]).mean()`, the sum of the column
/// with missing cells as 0.0 (numpy's pairwise order) over the count of present cells.
fn column_means(fit_zeroed: &Array2<f64>, mask: &Array2<bool>) -> Vec<f64> {
    fit_zeroed
        .columns()
        .into_iter()
        .zip(mask.columns())
        .map(|(v, m)| {
            #[allow(clippy::cast_precision_loss)] // counts below 2^53
            let count = m.iter().filter(|&&m| !m).count() as f64;
            numpy_sum(&v.to_vec()) / count
        })
        .collect()
}

fn fit_rows<B: Deref<Target = [u8]>>(
    c: &Container<B>,
    name: &str,
    n: usize,
    context: &str,
) -> Result<Array2<f64>> {
    let a = c
        .tensor(name)?
        .array::<f64>()
        .map_err(|e| EstimatorError::model(context, e.to_string()))?
        .into_owned();
    if a.ndim() != 2 || a.shape().get(1) != Some(&n) || a.shape().first() == Some(&0) {
        return Err(EstimatorError::model(
            context,
            format!(
                "tensor {name:?} has shape {:?}, expected [n_fit >= 1, {n}]",
                a.shape()
            ),
        ));
    }
    a.into_dimensionality::<Ix2>()
        .map_err(|e| EstimatorError::model(context, e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn knn(fit: Array2<f64>, k: usize, weights: KnnWeights) -> KnnImputer {
        let n = fit.ncols();
        let mask_fit = fit.mapv(f64::is_nan);
        let valid = mask_fit
            .columns()
            .into_iter()
            .map(|c| c.iter().any(|&m| !m))
            .collect();
        let fit_zeroed = fit.mapv(|v| if v.is_nan() { 0.0 } else { v });
        let col_mean = column_means(&fit_zeroed, &mask_fit);
        KnnImputer {
            n_features: n,
            missing: Missing::Nan,
            n_neighbors: k,
            weights,
            fit_zeroed,
            fit_x: fit,
            mask_fit,
            valid,
            col_mean,
            keep_empty: false,
            indicator: None,
        }
    }

    #[test]
    fn the_docstring_example_of_scikit_learn() {
        // sklearn/impute/_knn.py's example: KNNImputer(n_neighbors=2).fit_transform(X).
        let nan = f64::NAN;
        let x = array![
            [1.0, 2.0, nan],
            [3.0, 4.0, 3.0],
            [nan, 6.0, 5.0],
            [8.0, 8.0, 7.0]
        ];
        let z = knn(x.clone(), 2, KnnWeights::Uniform)
            .transform(x.view())
            .unwrap();
        assert_eq!(
            z,
            array![
                [1.0, 2.0, 4.0],
                [3.0, 4.0, 3.0],
                [5.5, 6.0, 5.0],
                [8.0, 8.0, 7.0]
            ]
        );
    }

    #[test]
    fn nan_euclidean_scales_by_present_coordinates() {
        // sklearn's nan_euclidean_distances docstring: [[3, nan, nan]] to [[1, 1, 1]] = sqrt(3/1 * 4).
        let imp = knn(array![[1.0, 1.0, 1.0]], 1, KnnWeights::Uniform);
        let d = imp.distances(
            array![3.0, f64::NAN, f64::NAN].view(),
            array![false, true, true].view(),
        );
        assert_eq!(d, vec![(4.0f64 * 3.0).sqrt()]);
    }

    #[test]
    fn an_overflowing_square_is_a_nan_distance_as_in_numpy() {
        // scikit-learn: fit [[1e200, 1], [2, 3]], X [[nan, 1]], n_neighbors 1 gives [[2, 1]]:
        // |y|^2 overflows, inf - inf is NaN, np.clip keeps it, and row 0 is a NaN-distance donor.
        let fit = array![[1e200, 1.0], [2.0, 3.0]];
        let z = knn(fit, 1, KnnWeights::Uniform)
            .transform(array![[f64::NAN, 1.0]].view())
            .unwrap();
        assert_eq!(z, array![[2.0, 1.0]]);
    }

    #[test]
    fn an_overflowing_square_where_both_are_present_is_still_nan() {
        // scikit-learn: fit [[2, 1e200, 7], [2, 0, 5]], X [[1, 0, nan]], n_neighbors 2
        // gives [[1, 0, 5]]: for row 0, np.dot(missing_X, YY.T) has 0 * inf, a NaN
        // distance, weight 0 (an infinite one would average 7 and 5).
        let fit = array![[2.0, 1e200, 7.0], [2.0, 0.0, 5.0]];
        let z = knn(fit, 2, KnnWeights::Uniform)
            .transform(array![[1.0, 0.0, f64::NAN]].view())
            .unwrap();
        assert_eq!(z, array![[1.0, 0.0, 5.0]]);
    }

    #[test]
    fn uniform_leaves_out_nan_distance_donors_and_uniform_all_does_not() {
        // scikit-learn issue 29079: X_train [[1, 1], [nan, 2]], X [[0, nan]], n_neighbors 2.
        let fit = array![[1.0, 1.0], [f64::NAN, 2.0]];
        let x = array![[0.0, f64::NAN]];
        assert_eq!(
            knn(fit.clone(), 2, KnnWeights::Uniform)
                .transform(x.view())
                .unwrap(),
            array![[0.0, 1.0]]
        );
        assert_eq!(
            knn(fit, 2, KnnWeights::UniformAll)
                .transform(x.view())
                .unwrap(),
            array![[0.0, 1.5]]
        );
    }

    #[test]
    fn a_zero_distance_takes_all_the_weight() {
        let fit = array![[0.0, 10.0], [1.0, 20.0], [2.0, 30.0]];
        let z = knn(fit, 3, KnnWeights::Distance)
            .transform(array![[1.0, f64::NAN]].view())
            .unwrap();
        assert_eq!(z, array![[1.0, 20.0]]);
    }

    #[test]
    fn no_defined_distance_takes_the_column_mean() {
        let fit = array![[1.0, f64::NAN], [f64::NAN, 4.0], [f64::NAN, 8.0]];
        let z = knn(fit, 1, KnnWeights::Uniform)
            .transform(array![[2.0, f64::NAN]].view())
            .unwrap();
        assert_eq!(z, array![[2.0, 6.0]]);
    }

    #[test]
    fn all_missing_training_columns_are_dropped_or_zero() {
        let fit = array![[1.0, f64::NAN], [3.0, f64::NAN]];
        let mut imp = knn(fit, 1, KnnWeights::Uniform);
        let x = array![[f64::NAN, 5.0]];
        assert_eq!(imp.transform(x.view()).unwrap(), array![[2.0]]);
        imp.keep_empty = true;
        assert_eq!(imp.transform(x.view()).unwrap(), array![[2.0, 0.0]]);
    }
}
