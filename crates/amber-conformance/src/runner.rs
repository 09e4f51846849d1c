//! The runner: every check of a corpus against one [`Testee`], as a stream of [`Outcome`]s.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::array::format_float;
use crate::compare::compare;
use crate::corpus::{Corpus, ExpectedPaths, InvalidCase, MethodJson, ValidCase, read_array};
use crate::testee::{OutputFormat, Testee, TesteeError, guard};

/// The verdict of one check.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// The check passed; `note` is printed after the subject (e.g. `(max abs diff 0)`).
    Pass {
        /// Extra detail for the report line.
        note: Option<String>,
    },
    /// The check failed.
    Fail {
        /// Why.
        reason: String,
    },
}

/// One check and its verdict. The `subject` (`<case> <method>`, `<case> reencode`,
/// `invalid/<name>`) is stable, so it can key a list of known failures.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// What was checked.
    pub subject: String,
    /// How it went.
    pub verdict: Verdict,
}

impl Outcome {
    fn pass(subject: String, note: Option<String>) -> Self {
        Self {
            subject,
            verdict: Verdict::Pass { note },
        }
    }

    fn fail(subject: String, reason: impl fmt::Display) -> Self {
        Self {
            subject,
            verdict: Verdict::Fail {
                reason: reason.to_string(),
            },
        }
    }

    /// Whether the check passed.
    #[must_use]
    pub fn passed(&self) -> bool {
        matches!(self.verdict, Verdict::Pass { .. })
    }
}

/// `PASS <subject>[ <note>]` or `FAIL <subject>: <reason>`.
impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.verdict {
            Verdict::Pass { note: None } => write!(f, "PASS {}", self.subject),
            Verdict::Pass { note: Some(note) } => write!(f, "PASS {} {note}", self.subject),
            // Keep the report one line per check whatever the testee's message holds.
            Verdict::Fail { reason } => {
                write!(f, "FAIL {}: {}", self.subject, reason.replace('\n', " "))
            }
        }
    }
}

/// The counts of a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Checks that passed.
    pub passed: usize,
    /// Checks that failed.
    pub failed: usize,
}

impl Summary {
    /// Counts one outcome.
    pub fn add(&mut self, outcome: &Outcome) {
        if outcome.passed() {
            self.passed += 1;
        } else {
            self.failed += 1;
        }
    }
}

/// `N passed, N failed`: the report's closing line.
impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} passed, {} failed", self.passed, self.failed)
    }
}

/// Runs every check of `corpus` against `testee`, calling `report` with each outcome as it is
/// decided: valid cases in name order (each method in name order, then `reencode`), then
/// invalid files in name order.
pub fn run(corpus: &Corpus, testee: &mut dyn Testee, report: &mut dyn FnMut(&Outcome)) -> Summary {
    let mut summary = Summary::default();
    let mut emit = |outcome: Outcome| {
        summary.add(&outcome);
        report(&outcome);
    };
    for case in &corpus.valid {
        check_valid(case, testee, &mut emit);
    }
    for case in &corpus.invalid {
        emit(check_invalid(case, testee));
    }
    summary
}

fn check_valid(case: &ValidCase, testee: &mut dyn Testee, emit: &mut dyn FnMut(Outcome)) {
    let json = match &case.case {
        Ok(json) => json,
        Err(e) => return emit(Outcome::fail(case.name.clone(), format!("case.json: {e}"))),
    };
    let model = case.path(&json.model);
    // The `.npy` when there is one; a case whose input holds strings has only its CSV.
    let Some(input) = json.input.as_ref().or(json.input_csv.as_ref()) else {
        return emit(Outcome::fail(
            case.name.clone(),
            "case.json: neither input nor input_csv is given",
        ));
    };
    let input = case.path(input);
    for (method, spec) in &json.methods {
        let subject = format!("{} {method}", case.name);
        emit(check_method(
            case, testee, &model, &input, method, spec, subject,
        ));
    }
    let subject = format!("{} reencode", case.name);
    let original = match std::fs::read(&model) {
        Ok(bytes) => bytes,
        Err(e) => return emit(Outcome::fail(subject, format!("{}: {e}", model.display()))),
    };
    emit(match guard(|| testee.reencode(&model)) {
        Err(e) => Outcome::fail(subject, e),
        Ok(bytes) if bytes == original => Outcome::pass(subject, None),
        Ok(bytes) => {
            let at = bytes
                .iter()
                .zip(&original)
                .position(|(a, b)| a != b)
                .unwrap_or(bytes.len().min(original.len()));
            Outcome::fail(
                subject,
                format!(
                    "re-encoded bytes differ from the original at offset {at} ({} bytes, original {})",
                    bytes.len(),
                    original.len()
                ),
            )
        }
    });
}

/// One method of a valid case: one expected array, or one per model output.
fn check_method(
    case: &ValidCase,
    testee: &mut dyn Testee,
    model: &Path,
    input: &Path,
    method: &str,
    spec: &MethodJson,
    subject: String,
) -> Outcome {
    let paths: Vec<PathBuf> = match &spec.expected {
        ExpectedPaths::One(p) => vec![case.path(p)],
        ExpectedPaths::PerOutput(ps) => ps.iter().map(|p| case.path(p)).collect(),
    };
    let mut expected = Vec::with_capacity(paths.len());
    for path in &paths {
        match read_array(path) {
            Ok(a) => expected.push(a),
            Err(e) => return Outcome::fail(subject, format!("cannot read expected output: {e}")),
        }
    }
    let formats: Vec<OutputFormat> = paths.iter().map(|p| OutputFormat::of(p)).collect();
    let got = match (&spec.expected, formats.as_slice()) {
        (ExpectedPaths::One(_), &[format]) => {
            guard(|| testee.predict(model, input, method, format)).map(|a| vec![a])
        }
        _ => guard(|| testee.predict_per_output(model, input, method, &formats)),
    };
    let got = match got {
        Ok(got) => got,
        Err(e) => return Outcome::fail(subject, e),
    };
    if got.len() != expected.len() {
        return Outcome::fail(
            subject,
            format!("{} output arrays, expected {}", got.len(), expected.len()),
        );
    }
    let per_output = matches!(spec.expected, ExpectedPaths::PerOutput(_));
    let mut max_abs_diff = 0.0f64;
    for (k, (g, w)) in got.iter().zip(&expected).enumerate() {
        match compare(g, w, spec.tolerance()) {
            Ok(agreement) => max_abs_diff = max_abs_diff.max(agreement.max_abs_diff),
            Err(mismatch) if per_output => {
                return Outcome::fail(subject, format!("output {k}: {mismatch}"));
            }
            Err(mismatch) => return Outcome::fail(subject, mismatch),
        }
    }
    let outputs = if per_output {
        format!(", {} outputs", got.len())
    } else {
        String::new()
    };
    Outcome::pass(
        subject,
        Some(format!(
            "(max abs diff {}{outputs})",
            format_float(max_abs_diff)
        )),
    )
}

fn check_invalid(case: &InvalidCase, testee: &mut dyn Testee) -> Outcome {
    let subject = format!("invalid/{}", case.name);
    let expected = match &case.expected {
        Ok(json) => &json.code,
        Err(e) => return Outcome::fail(subject, format!("{}.json: {e}", case.name)),
    };
    match guard(|| testee.validate(&case.model)) {
        Ok(()) => Outcome::fail(subject, format!("expected {expected}, got ok")),
        Err(TesteeError::Rejected { code, .. }) if code == *expected => {
            Outcome::pass(subject, Some(code))
        }
        Err(TesteeError::Rejected { code, message }) => Outcome::fail(
            subject,
            format!("expected {expected}, got {code} ({message})"),
        ),
        Err(e @ TesteeError::Harness(_)) => Outcome::fail(
            subject,
            format!("expected {expected}, got a harness failure: {e}"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_lines_have_the_documented_format() {
        let pass = Outcome::pass("c predict".into(), Some("(max abs diff 0)".into()));
        assert_eq!(pass.to_string(), "PASS c predict (max abs diff 0)");
        assert_eq!(
            Outcome::pass("c reencode".into(), None).to_string(),
            "PASS c reencode"
        );
        let fail = Outcome::fail("invalid/x".into(), "expected E_MAGIC, got ok\nmore");
        assert_eq!(
            fail.to_string(),
            "FAIL invalid/x: expected E_MAGIC, got ok more"
        );
        let mut s = Summary::default();
        s.add(&pass);
        s.add(&fail);
        assert_eq!(s.to_string(), "1 passed, 1 failed");
    }
}
