//! [`Array`]: the outputs a testee produces and a case expects, whatever their element type.

/// An n-dimensional array of one of the three kinds of values a model can output: floats
/// (`predict_proba`, regressors, `transform`), integer labels and string labels.
///
/// It is `amber_estimators::Prediction` itself, so that expected outputs read from files and
/// outputs computed in-process or by a subprocess compare on equal terms.
pub type Array = amber_estimators::Prediction;

/// Formats a float with the fewest digits that parse back to the same value, in the notation
/// a reader expects: positional for magnitudes in `[1e-5, 1e16)` (`0.25`, `3`), scientific
/// outside it (`1e-7`, `1.5e300`) rather than hundreds of zeros. `NaN`, `inf` and `-inf` are
/// spelled as numpy, pandas and Rust's `str::parse` all accept them.
#[must_use]
pub fn format_float(x: f64) -> String {
    let magnitude = x.abs();
    if x.is_nan() {
        "NaN".to_owned()
    } else if magnitude == 0.0 || (1e-5..1e16).contains(&magnitude) || x.is_infinite() {
        // Rust's Display for f64 is the shortest representation that round-trips.
        format!("{x}")
    } else {
        // LowerExp is also shortest-round-trip.
        format!("{x:e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_float_round_trips() {
        let values = [
            0.0,
            -0.0,
            0.1,
            1.0 / 3.0,
            1e-7,
            -2.5e-300,
            1e300,
            123_456_789.0,
            f64::MAX,
            f64::MIN_POSITIVE,
            5e-324,
            1e16,
            9_999_999_999_999_998.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ];
        for x in values {
            let s = format_float(x);
            let back: f64 = s.parse().unwrap_or(f64::NAN);
            assert_eq!(back.to_bits(), x.to_bits(), "{x} printed as {s}");
        }
        assert!(format_float(f64::NAN).parse::<f64>().is_ok_and(f64::is_nan));
    }

    #[test]
    fn format_float_is_short() {
        assert_eq!(format_float(0.25), "0.25");
        assert_eq!(format_float(3.0), "3");
        assert_eq!(format_float(1e-7), "1e-7");
        assert_eq!(format_float(1.5e300), "1.5e300");
        assert_eq!(format_float(f64::NAN), "NaN");
        assert_eq!(format_float(f64::NEG_INFINITY), "-inf");
    }
}
