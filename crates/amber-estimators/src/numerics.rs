//! Numerics shared by the bodies, each written as numpy or scikit-learn computes it so that
//! results match bit for bit where the spec says exact: numpy's pairwise summation and its
//! NaN-propagating `maximum`.

/// numpy's `add.reduce` over one contiguous row (`ndarray.sum(axis=1)`): `0.0 +` numpy's
/// pairwise summation (`pairwise_sum_DOUBLE` in `loops_utils.h.src`). Below 8 values it is a
/// plain left-to-right sum; up to 128, eight interleaved partial sums combined as
/// `((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7))`, then the remainder; above, the two halves (the first
/// a multiple of 8 long) summed recursively.
pub(crate) fn numpy_sum(a: &[f64]) -> f64 {
    0.0 + pairwise_sum(a)
}

fn pairwise_sum(a: &[f64]) -> f64 {
    const BLOCK: usize = 128;
    let n = a.len();
    if n < 8 {
        a.iter().fold(0.0, |s, &v| s + v)
    } else if n <= BLOCK {
        // n >= 8: the first eight values seed the partial sums.
        let (head, rest) = a.split_at(8);
        let mut r = [0.0f64; 8];
        r.copy_from_slice(head);
        let chunks = rest.chunks_exact(8);
        let tail = chunks.remainder();
        for chunk in chunks {
            for (acc, &v) in r.iter_mut().zip(chunk) {
                *acc += v;
            }
        }
        let [r0, r1, r2, r3, r4, r5, r6, r7] = r;
        let mut res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7));
        for &v in tail {
            res += v;
        }
        res
    } else {
        let half = n / 2;
        let (lo, hi) = a.split_at(half - half % 8);
        pairwise_sum(lo) + pairwise_sum(hi)
    }
}

/// numpy's `maximum(a, b)` (and `clip(a, b, None)`): NaN when either is NaN, unlike
/// `f64::max`, which returns the other operand.
pub(crate) fn np_maximum(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.max(b)
    }
}

/// numpy's `sum(axis=1)` of one row of an F-ordered `[n_rows, k]` array (columns stacked
/// with `np.array(...).T`, or `np.where` over a transposed comparison): the row's values
/// added left to right from the first, except when the array has one row, which is also
/// C-contiguous and summed pairwise ([`numpy_sum`]).
pub(crate) fn f_order_row_sum(row: &[f64], n_rows: usize) -> f64 {
    if n_rows == 1 {
        return numpy_sum(row);
    }
    let mut it = row.iter();
    let first = it.next().copied().unwrap_or(0.0);
    it.fold(first, |s, &v| s + v)
}

/// The numpy ufunc `f` on one float64: IEEE operations for the exact ones (`square` is
/// `x * x`, `reciprocal` `1.0 / x`, `sqrt` correctly rounded), the platform C library's
/// function for the others, which is what numpy calls for float64 on a machine without
/// AVX-512F (`spec/estimators.md`, "FunctionTransformer", gives their tolerance).
pub(crate) fn elementwise(f: amber_codec::model::ElementwiseFunction, x: f64) -> f64 {
    use amber_codec::model::ElementwiseFunction as F;
    match f {
        F::Identity => x,
        F::Log => x.ln(),
        F::Log1p => x.ln_1p(),
        F::Log2 => x.log2(),
        F::Log10 => x.log10(),
        F::Exp => x.exp(),
        F::Expm1 => x.exp_m1(),
        F::Exp2 => x.exp2(),
        F::Sqrt => x.sqrt(),
        F::Cbrt => x.cbrt(),
        F::Square => x * x,
        F::Reciprocal => 1.0 / x,
        F::Negative => -x,
        F::Absolute => x.abs(),
        F::Sinh => x.sinh(),
        F::Arcsinh => x.asinh(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numpy_sum_matches_the_pairwise_algorithm() {
        // Below 8: left to right.
        let a = [1e16, 1.0, -1e16, 1.0];
        assert_eq!(numpy_sum(&a), ((1e16 + 1.0) + -1e16) + 1.0);
        // 8..=128: eight partial sums, then the tail.
        let b: Vec<f64> = (0..11).map(|i| 0.1 * f64::from(i)).collect();
        let r: Vec<f64> = (0..8).map(|j| b[j]).collect();
        let want = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        let want = ((want + b[8]) + b[9]) + b[10];
        assert_eq!(numpy_sum(&b).to_bits(), want.to_bits());
        // Above 128: halves split at a multiple of 8.
        let c: Vec<f64> = (0..300).map(|i| 1.0 / f64::from(i + 1)).collect();
        assert_eq!(
            numpy_sum(&c).to_bits(),
            (pairwise_sum(&c[..144]) + pairwise_sum(&c[144..])).to_bits()
        );
    }

    #[test]
    fn np_maximum_propagates_nan_as_numpy_does() {
        assert!(np_maximum(f64::NAN, 0.0).is_nan());
        assert!(np_maximum(0.0, f64::NAN).is_nan());
        assert_eq!(np_maximum(-1.0, 0.0), 0.0);
        assert_eq!(np_maximum(f64::INFINITY, 0.0), f64::INFINITY);
    }
}
