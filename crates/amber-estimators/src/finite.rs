//! The input checks scikit-learn runs before a body computes (`validate_data` and
//! `check_array` in `sklearn/utils/validation.py`), so that a reader refuses with `E_INPUT`
//! exactly where scikit-learn raises `Input X contains NaN` or `Input X contains infinity or
//! a value too large for dtype('float32')`, and computes everywhere else.
//!
//! Two arguments of `check_array` decide what it refuses: `ensure_all_finite` (`True`: NaN
//! and infinities; `"allow-nan"`: infinities only; `False`: nothing) and `dtype` (`float32`
//! for the trees: the cast happens first, so a finite float64 beyond float32's range becomes
//! an infinity and is refused with it). Each body names its rule ([`Refuse`]) in
//! `spec/estimators.md`, with the scikit-learn file it comes from.

use ndarray::ArrayView2;

use crate::error::{EstimatorError, Result};
use crate::table::{Column, Table};

/// What a body's input check refuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refuse {
    /// NaN and infinities: `ensure_all_finite=True` on float64 (linear models, `Binarizer`,
    /// `Normalizer`, chains, AdaBoost).
    NonFinite,
    /// Infinities only: `ensure_all_finite="allow-nan"` on float64 (the scalers).
    Infinite,
    /// Values whose float32 rounding is infinite (infinities, and `|x|` above float32's
    /// largest value by half an ulp or more): `dtype=float32`, `"allow-nan"` (tree
    /// ensembles).
    Float32Infinite,
    /// NaN, and values whose float32 rounding is infinite: `dtype=float32`,
    /// `ensure_all_finite=True` (GradientBoosting).
    Float32NonFinite,
}

impl Refuse {
    /// Whether the check refuses `v`. The float32 rounding is Rust's `as f32`, IEEE
    /// round-to-nearest-even as numpy's `astype(np.float32)`: `3.4028235677973366e38`
    /// (float32's largest value plus half an ulp) is the first positive value it makes
    /// infinite.
    #[inline]
    pub(crate) fn refuses(self, v: f64) -> bool {
        match self {
            Self::NonFinite => !v.is_finite(),
            Self::Infinite => v.is_infinite(),
            #[allow(clippy::cast_possible_truncation)] // the float32 cast is the rule
            Self::Float32Infinite => (v as f32).is_infinite(),
            #[allow(clippy::cast_possible_truncation)] // the float32 cast is the rule
            Self::Float32NonFinite => !(v as f32).is_finite(),
        }
    }
}

/// `E_INPUT` ([`EstimatorError::NotFinite`]) at the first value of `x`, in row-major order,
/// that `refuse` refuses; `body` says who refuses it and why, for the message.
pub(crate) fn check(x: ArrayView2<'_, f64>, refuse: Refuse, body: &'static str) -> Result<()> {
    if let Some(xs) = x.as_slice() {
        let f = x.ncols().max(1);
        return match xs.iter().position(|&v| refuse.refuses(v)) {
            Some(i) => Err(EstimatorError::NotFinite {
                row: i / f,
                column: i % f,
                value: xs.get(i).copied().unwrap_or(f64::NAN),
                body,
            }),
            None => Ok(()),
        };
    }
    for ((row, column), &value) in x.indexed_iter() {
        if refuse.refuses(value) {
            return Err(EstimatorError::NotFinite {
                row,
                column,
                value,
                body,
            });
        }
    }
    Ok(())
}

/// [`check`] on a table. A table of numbers is checked as the matrix it is; one holding
/// strings is what numpy makes an object array of, whose `ensure_all_finite` check only
/// looks for missing cells (`_object_dtype_isnan`): a NaN number or a missing string is
/// refused where `refuse` refuses NaN, and an infinity passes.
pub(crate) fn check_table(x: &Table, refuse: Refuse, body: &'static str) -> Result<()> {
    let numeric = x.is_numeric();
    if !numeric && !refuse.refuses(f64::NAN) {
        return Ok(());
    }
    for row in 0..x.n_rows() {
        for column in 0..x.n_columns() {
            let value = match x.column(column) {
                Some(Column::Numeric(v)) => v.get(row).copied().unwrap_or(0.0),
                Some(Column::Text(t)) if t.is_missing(row) => f64::NAN,
                _ => continue,
            };
            let refused = if numeric {
                refuse.refuses(value)
            } else {
                value.is_nan()
            };
            if refused {
                return Err(EstimatorError::NotFinite {
                    row,
                    column,
                    value,
                    body,
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::TextColumn;
    use ndarray::array;

    /// The largest float64 that float32 rounding keeps finite, and the next one up.
    const F32_EDGE: f64 = 3.402_823_567_797_336_5e38;

    #[test]
    fn each_rule_refuses_what_check_array_refuses() {
        let below = f64::from_bits(F32_EDGE.to_bits() - 1);
        let cases = [
            (f64::NAN, [true, false, false, true]),
            (f64::INFINITY, [true, true, true, true]),
            (f64::NEG_INFINITY, [true, true, true, true]),
            (1e39, [false, false, true, true]),
            (-1e39, [false, false, true, true]),
            (F32_EDGE, [false, false, true, true]),
            (below, [false, false, false, false]),
            (f64::from(f32::MAX), [false, false, false, false]),
            (f64::MAX, [false, false, true, true]),
            (0.0, [false, false, false, false]),
        ];
        let rules = [
            Refuse::NonFinite,
            Refuse::Infinite,
            Refuse::Float32Infinite,
            Refuse::Float32NonFinite,
        ];
        for (v, want) in cases {
            for (rule, w) in rules.iter().zip(want) {
                assert_eq!(rule.refuses(v), w, "{rule:?} on {v:e}");
            }
        }
    }

    #[test]
    fn the_first_refused_value_in_row_major_order_is_named() {
        let x = array![
            [1.0, 2.0, 3.0],
            [4.0, f64::NAN, f64::INFINITY],
            [f64::INFINITY, 0.0, 0.0]
        ];
        let at = |x: ArrayView2<'_, f64>, r| match check(x, r, "b") {
            Err(EstimatorError::NotFinite { row, column, .. }) => Some((row, column)),
            Ok(()) => None,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(at(x.view(), Refuse::NonFinite), Some((1, 1)));
        assert_eq!(at(x.view(), Refuse::Infinite), Some((1, 2)));
        // A non-contiguous view (the transpose) is walked in its own row-major order.
        assert_eq!(at(x.t(), Refuse::Infinite), Some((0, 2)));
        assert_eq!(at(array![[1.0, 1e39]].view(), Refuse::Infinite), None);
        assert_eq!(
            at(array![[1.0, 1e39]].view(), Refuse::Float32Infinite),
            Some((0, 1))
        );
        assert_eq!(at(array![[f64::NAN]].view(), Refuse::Float32Infinite), None);
    }

    #[test]
    fn a_table_with_strings_is_checked_as_an_object_array() {
        let mut text = TextColumn::with_capacity(2, 8);
        text.push(Some("a"));
        text.push(None);
        let mut t = Table::new(2);
        t.push_numeric("x", vec![f64::INFINITY, 1.0]).unwrap();
        t.push_text("s", text).unwrap();
        // The infinity passes (numpy's object-array check only looks for NaN); the missing
        // string does not.
        match check_table(&t, Refuse::NonFinite, "b") {
            Err(EstimatorError::NotFinite { row, column, .. }) => assert_eq!((row, column), (1, 1)),
            other => panic!("{other:?}"),
        }
        assert!(check_table(&t, Refuse::Infinite, "b").is_ok());
        let mut numbers = Table::new(2);
        numbers
            .push_numeric("x", vec![1.0, f64::NEG_INFINITY])
            .unwrap();
        match check_table(&numbers, Refuse::Infinite, "b") {
            Err(EstimatorError::NotFinite { row, column, .. }) => assert_eq!((row, column), (1, 0)),
            other => panic!("{other:?}"),
        }
    }
}
