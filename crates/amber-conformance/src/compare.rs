//! The comparison rule of the corpus: when does an output match the expected one?
//!
//! - Kinds must agree (floats with floats, integer labels with integer labels, strings with
//!   strings) and shapes must be equal.
//! - [`Tolerance::Exact`]: every value is bitwise equal (so `-0.0 != 0.0`), except that any
//!   NaN equals any NaN; labels are equal.
//! - [`Tolerance::Close`]: every float satisfies `|got - exp| <= atol + rtol * |exp|`, NaN
//!   matches only NaN and an infinity only the same infinity. Integer and string labels are
//!   always compared exactly.

use std::fmt;

use ndarray::Dimension;

use crate::array::{Array, format_float};

/// How closely an output must match.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Tolerance {
    /// Bitwise equality (NaN equals NaN).
    Exact,
    /// `|got - exp| <= atol + rtol * |exp|` elementwise.
    Close {
        /// Relative tolerance.
        rtol: f64,
        /// Absolute tolerance.
        atol: f64,
    },
}

/// A match, with the largest absolute difference seen (0 for labels and exact matches).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Agreement {
    /// `max |got - exp|` over the elements where both are finite numbers.
    pub max_abs_diff: f64,
}

/// Why an output does not match.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Mismatch {
    /// Different element kinds (e.g. `f64` output where `i64` labels were expected).
    Kind {
        /// The output's kind.
        got: &'static str,
        /// The expected kind.
        expected: &'static str,
    },
    /// Different shapes.
    Shape {
        /// The output's shape.
        got: Vec<usize>,
        /// The expected shape.
        expected: Vec<usize>,
    },
    /// Some values differ beyond the tolerance.
    Values {
        /// How many elements differ.
        count: usize,
        /// Out of how many.
        total: usize,
        /// The largest absolute difference among them (infinite for a NaN/number mismatch).
        max_abs_diff: f64,
        /// Where the largest difference is.
        worst_index: Vec<usize>,
        /// The output value there.
        got: String,
        /// The expected value there.
        expected: String,
    },
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Kind { got, expected } => {
                write!(f, "output has {got} values, expected {expected}")
            }
            Self::Shape { got, expected } => {
                write!(f, "output shape {got:?}, expected {expected:?}")
            }
            Self::Values {
                count,
                total,
                max_abs_diff,
                worst_index,
                got,
                expected,
            } => write!(
                f,
                "{count} of {total} values differ; max abs diff {} at {worst_index:?}: got {got}, expected {expected}",
                format_float(*max_abs_diff)
            ),
        }
    }
}

/// Compares an output with the expected one under the corpus rule (see the module docs).
///
/// # Errors
/// The [`Mismatch`] describing the first kind of disagreement found.
pub fn compare(got: &Array, expected: &Array, tolerance: Tolerance) -> Result<Agreement, Mismatch> {
    if got.shape() != expected.shape() {
        if got.kind() != expected.kind() {
            return Err(Mismatch::Kind {
                got: got.kind(),
                expected: expected.kind(),
            });
        }
        return Err(Mismatch::Shape {
            got: got.shape().to_vec(),
            expected: expected.shape().to_vec(),
        });
    }
    let mut acc = Accumulator::default();
    match (got, expected) {
        (Array::Float(g), Array::Float(e)) => {
            for ((index, &g), &e) in g.indexed_iter().zip(e.iter()) {
                let (ok, diff) = float_agrees(g, e, tolerance);
                acc.add(ok, diff, || {
                    (index.slice().to_vec(), format_float(g), format_float(e))
                });
            }
        }
        (Array::Int(g), Array::Int(e)) => {
            for ((index, &g), &e) in g.indexed_iter().zip(e.iter()) {
                // i64 differences can overflow i64; as f64 they are only approximate, which is
                // fine for a report.
                let diff = (i128::from(g) - i128::from(e)).unsigned_abs() as f64;
                acc.add(g == e, diff, || {
                    (index.slice().to_vec(), g.to_string(), e.to_string())
                });
            }
        }
        (Array::Str(g), Array::Str(e)) => {
            for ((index, g), e) in g.indexed_iter().zip(e.iter()) {
                let ok = g == e;
                acc.add(ok, if ok { 0.0 } else { f64::INFINITY }, || {
                    (index.slice().to_vec(), format!("{g:?}"), format!("{e:?}"))
                });
            }
        }
        _ => {
            return Err(Mismatch::Kind {
                got: got.kind(),
                expected: expected.kind(),
            });
        }
    }
    acc.finish(got.shape().iter().product())
}

/// Whether one float agrees, and the absolute difference to report (0 when both are NaN or
/// the same infinity, infinite when only one is NaN).
fn float_agrees(got: f64, exp: f64, tolerance: Tolerance) -> (bool, f64) {
    if got.is_nan() || exp.is_nan() {
        let ok = got.is_nan() && exp.is_nan();
        return (ok, if ok { 0.0 } else { f64::INFINITY });
    }
    let diff = if got == exp { 0.0 } else { (got - exp).abs() };
    let ok = match tolerance {
        Tolerance::Exact => got.to_bits() == exp.to_bits(),
        Tolerance::Close { rtol, atol } => {
            if got.is_infinite() || exp.is_infinite() {
                got == exp
            } else {
                diff <= atol + rtol * exp.abs()
            }
        }
    };
    (ok, diff)
}

#[derive(Default)]
struct Accumulator {
    max_abs_diff: f64,
    failures: usize,
    worst: Option<(f64, Vec<usize>, String, String)>,
}

impl Accumulator {
    fn add(
        &mut self,
        ok: bool,
        diff: f64,
        describe: impl FnOnce() -> (Vec<usize>, String, String),
    ) {
        if diff.is_finite() && diff > self.max_abs_diff {
            self.max_abs_diff = diff;
        }
        if !ok {
            self.failures += 1;
            // The first failure is always recorded, even with a difference of 0 (a bitwise
            // mismatch such as -0.0 vs 0.0).
            if self.worst.as_ref().is_none_or(|(worst, ..)| diff > *worst) {
                let (index, got, expected) = describe();
                self.worst = Some((diff, index, got, expected));
            }
        }
    }

    fn finish(self, total: usize) -> Result<Agreement, Mismatch> {
        match self.worst {
            None => Ok(Agreement {
                max_abs_diff: self.max_abs_diff,
            }),
            Some((max_abs_diff, worst_index, got, expected)) => Err(Mismatch::Values {
                count: self.failures,
                total,
                max_abs_diff,
                worst_index,
                got,
                expected,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use ndarray::{ArrayD, IxDyn, arr1, arr2};

    use super::*;

    fn f(v: &[f64]) -> Array {
        Array::Float(arr1(v).into_dyn())
    }

    const CLOSE: Tolerance = Tolerance::Close {
        rtol: 1e-12,
        atol: 1e-15,
    };

    #[test]
    fn exact_is_bitwise_and_nan_equals_nan() {
        let a = f(&[1.0, f64::NAN, f64::INFINITY]);
        assert_eq!(
            compare(&a, &a, Tolerance::Exact),
            Ok(Agreement { max_abs_diff: 0.0 })
        );
        // A NaN with another payload is still NaN.
        let other_nan = f(&[1.0, f64::from_bits(0x7ff8_0000_0000_0001), f64::INFINITY]);
        assert!(compare(&other_nan, &a, Tolerance::Exact).is_ok());
        let err = compare(&f(&[1.0 + f64::EPSILON]), &f(&[1.0]), Tolerance::Exact).unwrap_err();
        assert!(matches!(err, Mismatch::Values { count: 1, .. }), "{err}");
    }

    #[test]
    fn exact_distinguishes_signed_zeros() {
        let err = compare(&f(&[-0.0]), &f(&[0.0]), Tolerance::Exact).unwrap_err();
        assert!(matches!(err, Mismatch::Values { max_abs_diff, .. } if max_abs_diff == 0.0));
        assert!(compare(&f(&[-0.0]), &f(&[0.0]), CLOSE).is_ok());
    }

    #[test]
    fn nan_only_matches_nan() {
        let err = compare(&f(&[f64::NAN]), &f(&[1.0]), CLOSE).unwrap_err();
        assert!(matches!(err, Mismatch::Values { max_abs_diff, .. } if max_abs_diff.is_infinite()));
        assert!(compare(&f(&[1.0]), &f(&[f64::NAN]), CLOSE).is_err());
        assert!(compare(&f(&[f64::NAN]), &f(&[f64::NAN]), CLOSE).is_ok());
    }

    #[test]
    fn infinities_match_only_themselves() {
        let tol = Tolerance::Close {
            rtol: 1.0,
            atol: f64::INFINITY,
        };
        assert!(compare(&f(&[f64::INFINITY]), &f(&[f64::INFINITY]), tol).is_ok());
        assert!(compare(&f(&[f64::NEG_INFINITY]), &f(&[f64::INFINITY]), tol).is_err());
        assert!(compare(&f(&[1e308]), &f(&[f64::INFINITY]), tol).is_err());
    }

    #[test]
    fn tolerance_edge_is_inclusive() {
        // |got - exp| == atol + rtol * |exp| exactly passes; one ulp more fails.
        let tol = Tolerance::Close {
            rtol: 0.5,
            atol: 0.25,
        };
        assert!(compare(&f(&[3.25]), &f(&[2.0]), tol).is_ok());
        assert!(compare(&f(&[0.75]), &f(&[2.0]), tol).is_ok());
        assert!(compare(&f(&[3.25f64.next_up()]), &f(&[2.0]), tol).is_err());
        // rtol scales with the expected value, not the output.
        let tol = Tolerance::Close {
            rtol: 1.0,
            atol: 0.0,
        };
        assert!(compare(&f(&[0.0]), &f(&[1.0]), tol).is_ok());
        assert!(compare(&f(&[1.0]), &f(&[0.0]), tol).is_err());
    }

    #[test]
    fn reports_max_diff_and_worst_index() {
        let got = Array::Float(arr2(&[[1.0, 2.0], [3.0, 4.5]]).into_dyn());
        let exp = Array::Float(arr2(&[[1.0, 2.1], [3.0, 4.0]]).into_dyn());
        match compare(&got, &exp, CLOSE) {
            Err(Mismatch::Values {
                count,
                total,
                max_abs_diff,
                worst_index,
                got,
                expected,
            }) => {
                assert_eq!((count, total), (2, 4));
                assert_eq!(max_abs_diff, 0.5);
                assert_eq!(worst_index, vec![1, 1]);
                assert_eq!((got.as_str(), expected.as_str()), ("4.5", "4"));
            }
            other => panic!("{other:?}"),
        }
        let ok = compare(&f(&[1.0, 2.0 + 1e-13]), &f(&[1.0, 2.0]), CLOSE).unwrap();
        assert!(ok.max_abs_diff > 0.0 && ok.max_abs_diff < 1e-12);
    }

    #[test]
    fn shapes_and_kinds_must_agree() {
        let row = Array::Float(arr2(&[[1.0, 2.0]]).into_dyn());
        let flat = f(&[1.0, 2.0]);
        assert!(matches!(
            compare(&row, &flat, CLOSE),
            Err(Mismatch::Shape { .. })
        ));
        let ints = Array::Int(arr1(&[1, 2]).into_dyn());
        assert!(matches!(
            compare(&ints, &flat, Tolerance::Exact),
            Err(Mismatch::Kind { .. })
        ));
        let empty = Array::Float(ArrayD::zeros(IxDyn(&[0, 3])));
        assert!(compare(&empty, &empty, Tolerance::Exact).is_ok());
    }

    #[test]
    fn labels_compare_exactly_whatever_the_tolerance() {
        let strs = |v: &[&str]| {
            Array::Str(arr1(&v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>()).into_dyn())
        };
        assert!(compare(&strs(&["a", "b"]), &strs(&["a", "b"]), Tolerance::Exact).is_ok());
        let err = compare(&strs(&["a", "c"]), &strs(&["a", "b"]), CLOSE).unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"1 of 2 values differ; max abs diff inf at [1]: got "c", expected "b""#
        );
        let ints = |v: &[i64]| Array::Int(arr1(v).into_dyn());
        let loose = Tolerance::Close {
            rtol: 1.0,
            atol: 10.0,
        };
        assert!(compare(&ints(&[1, 2]), &ints(&[1, 3]), loose).is_err());
        assert!(compare(&ints(&[i64::MIN]), &ints(&[i64::MAX]), Tolerance::Exact).is_err());
    }
}
