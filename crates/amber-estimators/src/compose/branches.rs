//! `ColumnTransformer` and `FeatureUnion`: branches whose outputs are put side by side.
//!
//! Mirrors scikit-learn 1.9.1 `sklearn/compose/_column_transformer.py`
//! (`ColumnTransformer.transform`: each fitted transformer of `transformers_` is called on
//! `_safe_indexing(X, columns, axis=1)`, dropped and empty selections skipped, every output
//! multiplied by its `transformer_weights` entry when there is one (`_transform_one`), and
//! the outputs concatenated with `np.hstack` in `transformers_` order, the remainder last)
//! and `sklearn/pipeline.py` (`FeatureUnion.transform`: the same over the whole input).
//! Concatenation copies values, and a weight is one IEEE multiplication, so the output is
//! exact. scikit-learn may return a sparse matrix (`sparse_threshold`); the values are the
//! same, and Amber always returns them dense.

use std::sync::Arc;

use ndarray::{Array2, ArrayView2, Axis, s};

use crate::error::{EstimatorError, Result};
use crate::method::{Method, Prediction};
use crate::table::{Column, ColumnKind, Table};
use crate::traits::{Estimator, Frame, RunTable, TableTransform, Transform, check_width};

/// What a branch does with its columns.
#[derive(Debug)]
pub(crate) enum Action {
    /// Outputs them as they are.
    Passthrough,
    /// Outputs nothing.
    Drop,
    /// Outputs the estimator's `transform`.
    Transform(Box<dyn Estimator>),
}

/// One validated branch.
#[derive(Debug)]
pub(crate) struct Branch {
    pub(crate) name: String,
    /// Input columns read, in order; `None` for a `FeatureUnion` member (every column).
    pub(crate) columns: Option<Vec<usize>>,
    pub(crate) action: Action,
    pub(crate) weight: Option<f64>,
}

impl Branch {
    /// Whether the branch outputs anything: scikit-learn skips dropped branches and empty
    /// column selections.
    fn is_active(&self) -> bool {
        !matches!(self.action, Action::Drop) && self.columns.as_ref().is_none_or(|c| !c.is_empty())
    }

    /// Kinds of the output columns, given the kinds of the branch's input columns.
    pub(crate) fn output_kinds(&self, inputs: &[ColumnKind]) -> Vec<ColumnKind> {
        match &self.action {
            Action::Drop => Vec::new(),
            // A weight multiplies: the columns are numbers.
            Action::Passthrough if self.weight.is_some() => vec![ColumnKind::Numeric; inputs.len()],
            Action::Passthrough => vec![ColumnKind::Any; inputs.len()],
            Action::Transform(e) => e.output_kinds().unwrap_or_default(),
        }
    }
}

/// A validated `ColumnTransformer` or `FeatureUnion`.
#[derive(Debug)]
pub(crate) struct Branches {
    n_features_in: usize,
    n_features_out: usize,
    branches: Vec<Branch>,
}

impl Branches {
    /// The registry checked the branches: columns in range, each estimator transforms and
    /// reads as many columns as it is given, weighted branches output numbers only, and
    /// `n_features_out` is the sum of the active branches' outputs.
    pub(crate) fn new(n_features_in: usize, n_features_out: usize, branches: Vec<Branch>) -> Self {
        Self {
            n_features_in,
            n_features_out,
            branches,
        }
    }

    /// The input columns of branch `b`, as indices.
    fn columns_of<'a>(&self, b: &'a Branch) -> Box<dyn Iterator<Item = usize> + 'a> {
        match &b.columns {
            Some(c) => Box::new(c.iter().copied()),
            None => Box::new(0..self.n_features_in),
        }
    }

    /// One branch's output on `x`, weighted.
    fn branch_output(b: &Branch, x: &Frame) -> Result<Frame> {
        let input = match (x, &b.columns) {
            (x, None) => x.clone(),
            (Frame::Table(t), Some(c)) => Frame::Table(t.select(c)?),
            (Frame::Dense(d), Some(c)) => Frame::Dense(d.select(Axis(1), c)),
        };
        let out = match &b.action {
            Action::Drop => return Ok(Frame::Dense(Array2::zeros((x.n_rows(), 0)))),
            Action::Passthrough => input,
            Action::Transform(e) => e
                .transform_frame(input)
                .ok_or_else(|| {
                    EstimatorError::model(&b.name, "a branch's estimator must transform")
                })?
                // A value the branch's estimator refuses is named by the composition's column.
                .map_err(|err| match &b.columns {
                    Some(c) => err.member_columns(c),
                    None => err,
                })?,
        };
        match (b.weight, out) {
            (None, out) => Ok(out),
            (Some(w), Frame::Dense(d)) => Ok(Frame::Dense(d.mapv(|a| a * w))),
            (Some(w), Frame::Table(t)) => weighted(&t, w, &b.name).map(Frame::Table),
        }
    }

    /// The branches' outputs side by side: written into one matrix when every part holds
    /// numbers (the usual case: no copy per column), else a table of the parts' columns.
    fn concatenate(&self, n_rows: usize, parts: Vec<Frame>) -> Result<Frame> {
        let numeric = parts.iter().all(|p| match p {
            Frame::Dense(_) => true,
            Frame::Table(t) => t.is_numeric(),
        });
        if !numeric {
            let mut out = Table::new(n_rows);
            for part in parts {
                for (_, column) in part.into_table().shared_columns() {
                    out.push_shared(String::new(), Arc::clone(column));
                }
            }
            return Ok(Frame::Table(out));
        }
        let width = parts.iter().map(Frame::n_columns).sum();
        let mut out = Array2::zeros((n_rows, width));
        let mut at = 0;
        for part in parts {
            let w = part.n_columns();
            let block = match part {
                Frame::Dense(d) => d,
                Frame::Table(t) => t.to_dense()?,
            };
            out.slice_mut(s![.., at..at + w]).assign(&block);
            at += w;
        }
        Ok(Frame::Dense(out))
    }
}

/// Every value times `w` (`res * weight` in `_transform_one`).
fn weighted(t: &Table, w: f64, name: &str) -> Result<Table> {
    let mut out = Table::new(t.n_rows());
    for j in 0..t.n_columns() {
        let Some(Column::Numeric(v)) = t.column(j) else {
            // The registry refuses a weight on a branch that can output strings.
            return Err(EstimatorError::model(
                name,
                "a weighted branch output strings",
            ));
        };
        let name = t.names().get(j).cloned().unwrap_or_default();
        out.push(name, Column::Numeric(v.iter().map(|&a| a * w).collect()))?;
    }
    Ok(out)
}

impl Branches {
    /// For each input column, what each active branch reading it reads there.
    fn reads(&self, demand: Option<&[ColumnKind]>) -> Vec<Vec<ColumnKind>> {
        let mut reads = vec![Vec::new(); self.n_features_in];
        let mut at = 0;
        for b in self.branches.iter().filter(|b| b.is_active()) {
            let cols: Vec<usize> = self.columns_of(b).collect();
            let (kinds, width) = match &b.action {
                Action::Drop => continue,
                Action::Passthrough => {
                    let given = |i: usize| demand.and_then(|d| d.get(at + i).copied());
                    let kinds = (0..cols.len())
                        .map(|i| match b.weight {
                            // A weight multiplies: the columns are numbers.
                            Some(_) => ColumnKind::Numeric,
                            None => given(i).unwrap_or(ColumnKind::Any),
                        })
                        .collect();
                    (kinds, cols.len())
                }
                Action::Transform(e) => {
                    let width = e.output_kinds().map_or(0, |k| k.len());
                    let inner = demand.and_then(|d| d.get(at..at + width));
                    (e.input_kinds_for(inner), width)
                }
            };
            at += width;
            for (&c, k) in cols.iter().zip(kinds) {
                if let Some(r) = reads.get_mut(c) {
                    r.push(k);
                }
            }
        }
        reads
    }

    /// [`Branches::reads`] without a demand, for the registry's agreement rule.
    pub(crate) fn per_reader_kinds(&self) -> Vec<Vec<ColumnKind>> {
        self.reads(None)
    }
}

impl TableTransform for Branches {
    fn transform_table(&self, x: &Table) -> Result<Table> {
        Ok(self.transform_frame(Frame::Table(x.clone()))?.into_table())
    }

    fn transform_frame(&self, x: Frame) -> Result<Frame> {
        if x.n_columns() != self.n_features_in {
            return Err(EstimatorError::Input {
                expected: self.n_features_in,
                found: x.n_columns(),
            });
        }
        let n_rows = x.n_rows();
        let parts = self
            .branches
            .iter()
            .filter(|b| b.is_active())
            .map(|b| Self::branch_output(b, &x))
            .collect::<Result<Vec<_>>>()?;
        self.concatenate(n_rows, parts)
    }

    fn output_kinds(&self) -> Vec<ColumnKind> {
        let mut kinds = Vec::with_capacity(self.n_features_out);
        for b in self.branches.iter().filter(|b| b.is_active()) {
            let inputs: Vec<ColumnKind> = self.columns_of(b).map(|_| ColumnKind::Any).collect();
            kinds.extend(b.output_kinds(&inputs));
        }
        kinds
    }
}

impl RunTable for Branches {
    fn run_table(&self, method: Method, x: &Table) -> Option<Result<Prediction>> {
        (method == Method::Transform).then(|| {
            self.transform_frame(Frame::Table(x.clone()))
                .map(Frame::into_prediction)
        })
    }
}

impl Transform for Branches {
    fn transform(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        check_width(&x, self.n_features_in)?;
        match self.transform_frame(Frame::Dense(x.to_owned()))? {
            Frame::Dense(d) => Ok(d),
            Frame::Table(t) => t.to_dense(),
        }
    }

    fn n_features_out(&self) -> usize {
        self.n_features_out
    }
}

impl Estimator for Branches {
    fn n_features_in(&self) -> usize {
        self.n_features_in
    }

    fn input_kinds(&self) -> Vec<ColumnKind> {
        self.input_kinds_for(None)
    }

    /// Each column's kind is what the branches reading it read (a passed-through column:
    /// what the demand on its output position is, `Any` without one); a column no branch
    /// outputs from is `Unused`. The registry checked that the branches agree.
    fn input_kinds_for(&self, demand: Option<&[ColumnKind]>) -> Vec<ColumnKind> {
        self.reads(demand)
            .into_iter()
            .map(|readers| {
                readers
                    .into_iter()
                    .fold(ColumnKind::Unused, |acc, k| merge(acc, k).unwrap_or(acc))
            })
            .collect()
    }

    fn as_transform(&self) -> Option<&dyn Transform> {
        Some(self)
    }

    fn as_table_transform(&self) -> Option<&dyn TableTransform> {
        Some(self)
    }

    fn as_run_table(&self) -> Option<&dyn RunTable> {
        Some(self)
    }
}

/// Two readers' kinds of one column: `None` when they conflict (numbers and strings).
pub(crate) fn merge(a: ColumnKind, b: ColumnKind) -> Option<ColumnKind> {
    use ColumnKind::{Any, Numeric, String, Unused};
    match (a, b) {
        (Unused, k) | (k, Unused) | (Any, k) | (k, Any) => Some(k),
        (Numeric, Numeric) => Some(Numeric),
        (String, String) => Some(String),
        (Numeric, String) | (String, Numeric) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::preprocessing::StandardScaler;
    use crate::table::TextColumn;
    use ndarray::array;

    fn scaler() -> Box<dyn Estimator> {
        Box::new(StandardScaler::new(1, Some(array![1.0]), Some(array![2.0])))
    }

    fn ct() -> Branches {
        let branches = vec![
            Branch {
                name: "num".into(),
                columns: Some(vec![2]),
                action: Action::Transform(scaler()),
                weight: Some(3.0),
            },
            Branch {
                name: "skip".into(),
                columns: Some(vec![1]),
                action: Action::Drop,
                weight: None,
            },
            Branch {
                name: "pass".into(),
                columns: Some(vec![0, 2]),
                action: Action::Passthrough,
                weight: None,
            },
        ];
        Branches::new(3, 3, branches)
    }

    #[test]
    fn branches_concatenate_in_order_with_weights() {
        // num: (x2 - 1) / 2 * 3; pass: x0, x2.
        let out = ct().transform(array![[10.0, 20.0, 5.0]].view()).unwrap();
        assert_eq!(out, array![[6.0, 10.0, 5.0]]);
    }

    #[test]
    fn dropped_columns_are_unused_and_may_hold_anything() {
        let c = ct();
        let e: &dyn Estimator = &c;
        assert_eq!(
            e.input_kinds(),
            [ColumnKind::Any, ColumnKind::Unused, ColumnKind::Numeric]
        );
        let mut t = Table::new(1);
        t.push_numeric("a", vec![10.0]).unwrap();
        t.push_text("b", TextColumn::from_iter([Some("x")]))
            .unwrap();
        t.push_numeric("c", vec![5.0]).unwrap();
        let out = e.run_table(Method::Transform, &t).unwrap().unwrap();
        assert_eq!(out, Prediction::Float(array![[6.0, 10.0, 5.0]].into_dyn()));
    }

    #[test]
    fn passthrough_takes_the_demand_on_its_output() {
        let c = ct();
        let e: &dyn Estimator = &c;
        let demand = [ColumnKind::Numeric, ColumnKind::String, ColumnKind::Numeric];
        assert_eq!(
            e.input_kinds_for(Some(&demand)),
            [ColumnKind::String, ColumnKind::Unused, ColumnKind::Numeric]
        );
    }

    #[test]
    fn kinds_merge_and_conflict() {
        assert_eq!(
            merge(ColumnKind::Unused, ColumnKind::String),
            Some(ColumnKind::String)
        );
        assert_eq!(
            merge(ColumnKind::Any, ColumnKind::Numeric),
            Some(ColumnKind::Numeric)
        );
        assert_eq!(merge(ColumnKind::Numeric, ColumnKind::String), None);
    }
}
