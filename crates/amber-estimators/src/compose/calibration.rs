//! `Calibration`: scikit-learn's `CalibratedClassifierCV`, the mean of calibrated
//! classifiers' probabilities (`spec/estimators.md` section 22).
//!
//! Mirrors scikit-learn 1.9.1 `sklearn/calibration.py`: `CalibratedClassifierCV.predict_proba`
//! (`mean_proba += proba` classifier after classifier, then `/= len(...)`) and `predict`,
//! `_CalibratedClassifier.predict_proba` (one calibrator per response column written at its
//! class's position, the binary complement or the row normalization with its uniform
//! fallback, then values just above 1 set to 1), `_SigmoidCalibration.predict`
//! (`expit(-(a_ * T + b_))`), and `sklearn/isotonic.py` `IsotonicRegression._transform` with
//! `out_of_bounds="clip"` (`np.clip` to the thresholds, then scipy's `interp1d`, which is
//! `np.interp` for float64 data). 1.3.2 computes the same.

use std::ops::Deref;

use amber_codec::Container;
use amber_codec::model::{self, CalibrationResponse};
use ndarray::{Array1, Array2, ArrayD, ArrayView2, Axis, Ix2};

use super::members::{Input, check_reads_input, member_classes, merged_kinds};
use crate::error::{EstimatorError, Result};
use crate::linear::{Classes, argmax, expit, take};
use crate::method::{Method, Prediction};
use crate::numerics::numpy_sum;
use crate::registry::{distinct_classes, f64_tensor};
use crate::table::{ColumnKind, Table};
use crate::traits::{Estimator, Predict, PredictProba, RunTable};

/// A per-class calibrator.
#[derive(Debug)]
enum Calibrator {
    /// `expit(-(a * t + b))`.
    Sigmoid { a: f64, b: f64 },
    /// `np.interp(clip(t, x[0], x[m-1]), x, y)`, `x` strictly increasing.
    Isotonic { x: Array1<f64>, y: Array1<f64> },
}

impl Calibrator {
    /// The calibrated value of one response value `t`; `None` where scikit-learn raises
    /// (an isotonic calibrator given a value that is not finite).
    fn apply(&self, t: f64) -> Option<f64> {
        match self {
            Calibrator::Sigmoid { a, b } => Some(expit(-(a * t + b))),
            Calibrator::Isotonic { x, y } => t.is_finite().then(|| interp(t, x, y)),
        }
    }
}

/// `np.interp(clip(t, x[0], x[m-1]), x, y)` for `x` strictly increasing (rule 4), in numpy's
/// operations (`numpy/_core/src/multiarray/compiled_base.c`, `arr_interp`): the value at a
/// threshold is its `y`; between thresholds `slope * (u - x[j]) + y[j]`.
fn interp(t: f64, x: &Array1<f64>, y: &Array1<f64>) -> f64 {
    let m = x.len();
    let (Some(&lo), Some(&hi)) = (x.first(), x.last()) else {
        return f64::NAN;
    };
    let u = if t < lo {
        lo
    } else if t > hi {
        hi
    } else {
        t
    };
    // `j`: the last threshold at or below `u` (`x[0] <= u` after the clip).
    let below = x.as_slice().map_or_else(
        || x.iter().take_while(|&&v| v <= u).count(),
        |s| s.partition_point(|&v| v <= u),
    );
    // None only for a NaN `u`, which `Calibrator::apply` never passes: NaN, as numpy gives.
    let Some(j) = below.checked_sub(1) else {
        return f64::NAN;
    };
    if j + 1 >= m || x[j] == u {
        return y[j];
    }
    let slope = (y[j + 1] - y[j]) / (x[j + 1] - x[j]);
    slope * (u - x[j]) + y[j]
}

/// One `_CalibratedClassifier`, validated.
#[derive(Debug)]
struct Calibrated {
    estimator: Box<dyn Estimator>,
    response: Method,
    /// Where each calibrator writes in the `[n, K]` probabilities.
    targets: Vec<usize>,
    calibrators: Vec<Calibrator>,
}

/// A validated `CalibratedClassifierCV`.
#[derive(Debug)]
pub(crate) struct Calibration {
    n_features_in: usize,
    classes: Classes,
    classifiers: Vec<Calibrated>,
}

/// Builds a `Calibration` from its body, checking rules 1-4 of section 22; `build` builds a
/// classifier's estimator at a path.
pub(crate) fn build<B: Deref<Target = [u8]>>(
    c: &Container<B>,
    body: &model::Calibration,
    n_features_in: usize,
    path: &str,
    mut build: impl FnMut(&model::Estimator, &str) -> Result<Box<dyn Estimator>>,
) -> Result<Box<dyn Estimator>> {
    let field = format!("{path}.calibration");
    // Rule 1.
    if body.classes.len() < 2 {
        return Err(EstimatorError::model(
            format!("{field}.classes"),
            "a calibrated classifier has at least two classes",
        ));
    }
    let classes = distinct_classes(body.classes.clone(), format!("{field}.classes"))?;
    if body.classifiers.is_empty() {
        return Err(EstimatorError::model(
            format!("{field}.classifiers"),
            "there is at least one calibrated classifier",
        ));
    }
    let mut classifiers = Vec::with_capacity(body.classifiers.len());
    for (i, k) in body.classifiers.iter().enumerate() {
        let here = format!("{field}.classifiers[{i}]");
        let estimator = build(&k.estimator, &format!("{here}.estimator"))?;
        classifiers.push(calibrated(
            c,
            k,
            estimator,
            classes.len(),
            n_features_in,
            &here,
        )?);
    }
    super::members::check_members_agree(
        body.classifiers.iter().map(|k| &k.estimator),
        || {
            merged_kinds(
                classifiers.iter().map(|k| k.estimator.as_ref()),
                n_features_in,
            )
        },
        &field,
    )?;
    Ok(Box::new(Calibration {
        n_features_in,
        classes,
        classifiers,
    }))
}

/// Rules 2-4 for one calibrated classifier.
fn calibrated<B: Deref<Target = [u8]>>(
    c: &Container<B>,
    k: &model::CalibratedClassifier,
    estimator: Box<dyn Estimator>,
    n_classes: usize,
    n_features_in: usize,
    here: &str,
) -> Result<Calibrated> {
    check_reads_input(
        estimator.as_ref(),
        n_features_in,
        &format!("{here}.estimator"),
    )?;
    let response = match k.response {
        CalibrationResponse::DecisionFunction => Method::DecisionFunction,
        CalibrationResponse::PredictProba => Method::PredictProba,
    };
    let bad = |f: &str, why: String| Err(EstimatorError::model(format!("{here}.{f}"), why));
    if member_classes(&k.estimator).is_none() {
        return bad(
            "estimator",
            "must be a classifier (scikit-learn reads its classes_)".into(),
        );
    }
    if !estimator.supports(response) {
        return bad("response", format!("the estimator has no {response}"));
    }
    let increasing = k
        .class_indices
        .iter()
        .zip(k.class_indices.iter().skip(1))
        .all(|(a, b)| a < b);
    let in_range = k.class_indices.iter().all(|&i| i < n_classes as u64);
    if !increasing || !in_range {
        return bad(
            "class_indices",
            format!("must be strictly increasing and below {n_classes}"),
        );
    }
    let columns = estimator.numeric_columns(response);
    let (want_columns, targets) = if n_classes == 2 {
        if k.class_indices != [0, 1] {
            return bad("class_indices", "must be [0, 1] for two classes".into());
        }
        // A binary estimator's probabilities: the calibrator reads column 1.
        let want = if response == Method::PredictProba {
            2
        } else {
            1
        };
        (want, vec![1])
    } else {
        let targets: Vec<usize> = k.class_indices.iter().map(|&i| i as usize).collect();
        (targets.len(), targets)
    };
    if columns != Some(want_columns) {
        return bad(
            "response",
            format!(
                "the estimator's {response} gives {}, and the calibrators need {want_columns}",
                columns.map_or_else(
                    || "no single array".to_owned(),
                    |c| format!("{c} column(s)")
                )
            ),
        );
    }
    if k.calibrators.len() != targets.len() {
        return bad(
            "calibrators",
            format!(
                "has {} entries, one per class index ({}) is needed",
                k.calibrators.len(),
                targets.len()
            ),
        );
    }
    let calibrators = k
        .calibrators
        .iter()
        .enumerate()
        .map(|(j, cal)| calibrator(c, cal, &format!("{here}.calibrators[{j}]")))
        .collect::<Result<Vec<_>>>()?;
    Ok(Calibrated {
        estimator,
        response,
        targets,
        calibrators,
    })
}

/// Rule 4 for one calibrator.
fn calibrator<B: Deref<Target = [u8]>>(
    c: &Container<B>,
    cal: &model::Calibrator,
    here: &str,
) -> Result<Calibrator> {
    match cal {
        model::Calibrator::Sigmoid { a, b } => {
            if !(a.is_finite() && b.is_finite()) {
                return Err(EstimatorError::model(
                    here,
                    format!("a sigmoid's a and b are finite, are {a} and {b}"),
                ));
            }
            Ok(Calibrator::Sigmoid { a: *a, b: *b })
        }
        model::Calibrator::Isotonic {
            x_thresholds,
            y_thresholds,
        } => {
            let vector = |name: &str, f: &str| -> Result<Array1<f64>> {
                let at = format!("{here}.{f}");
                let a = f64_tensor(c, name, &at)?;
                let ok = a.ndim() == 1 && !a.is_empty() && a.iter().all(|v| v.is_finite());
                if !ok {
                    return Err(EstimatorError::model(
                        at,
                        format!("tensor {name:?} must be f64 [m], m >= 1, every value finite"),
                    ));
                }
                a.into_dimensionality()
                    .map_err(|e| EstimatorError::model(here, e.to_string()))
            };
            let x = vector(x_thresholds, "x_thresholds")?;
            let y = vector(y_thresholds, "y_thresholds")?;
            if x.len() != y.len() || !x.iter().zip(x.iter().skip(1)).all(|(a, b)| a < b) {
                return Err(EstimatorError::model(
                    here,
                    "x_thresholds is strictly increasing, with one y_thresholds value each",
                ));
            }
            Ok(Calibrator::Isotonic { x, y })
        }
    }
}

impl Calibrated {
    /// `_CalibratedClassifier.predict_proba`: `[n, n_classes]`.
    fn proba(&self, x: Input<'_>, n_classes: usize) -> Result<Array2<f64>> {
        let n = x.n_rows();
        let r = match x.run(self.estimator.as_ref(), self.response, "calibration")? {
            Prediction::Float(r) => as_matrix(r, n)?,
            other => {
                return Err(EstimatorError::model(
                    "calibration",
                    format!("the estimator gave {} {:?}", other.kind(), other.shape()),
                ));
            }
        };
        // A binary estimator's probabilities: its column 1; else every column in order.
        let first = usize::from(n_classes == 2 && self.response == Method::PredictProba);
        if r.ncols() != first + self.calibrators.len() {
            return Err(EstimatorError::model(
                "calibration",
                format!(
                    "the estimator's {} gave {} columns, not {}",
                    self.response,
                    r.ncols(),
                    first + self.calibrators.len()
                ),
            ));
        }
        let mut proba = Array2::<f64>::zeros((n, n_classes));
        for (j, (cal, &target)) in self.calibrators.iter().zip(&self.targets).enumerate() {
            let column = r.column(first + j);
            for (slot, &t) in proba.column_mut(target).iter_mut().zip(column) {
                *slot = cal.apply(t).ok_or_else(|| {
                    EstimatorError::model(
                        "calibration",
                        format!(
                            "the estimator's {} gave {t}, which an isotonic calibrator refuses \
                             (scikit-learn raises: Input contains NaN or infinity)",
                            self.response
                        ),
                    )
                })?;
            }
        }
        normalize(&mut proba);
        Ok(proba)
    }
}

/// A `[n]` or `[n, c]` output as `[n, c]`.
fn as_matrix(r: ArrayD<f64>, n: usize) -> Result<Array2<f64>> {
    let out = if r.ndim() == 1 {
        r.into_shape_with_order((n, 1))
            .map_err(|e| EstimatorError::model("calibration", e.to_string()))
    } else {
        r.into_dimensionality::<Ix2>()
            .map_err(|e| EstimatorError::model("calibration", e.to_string()))
    }?;
    if out.nrows() != n {
        return Err(EstimatorError::model(
            "calibration",
            format!("the estimator gave {} rows for {n}", out.nrows()),
        ));
    }
    Ok(out)
}

/// The binary complement, or each row divided by its `numpy_sum` (uniform `1 / K` where the
/// sum is 0); then values in `(1, 1 + 1e-5]` become 1.
fn normalize(proba: &mut Array2<f64>) {
    let k = proba.ncols();
    if k == 2 {
        let ones = proba.column(1).mapv(|p1| 1.0 - p1);
        proba.column_mut(0).assign(&ones);
    } else {
        let uniform = 1.0 / k as f64;
        for mut row in proba.rows_mut() {
            let values: Vec<f64> = row.iter().copied().collect();
            let d = numpy_sum(&values);
            if d == 0.0 {
                row.fill(uniform);
            } else {
                row.mapv_inplace(|v| v / d);
            }
        }
    }
    proba.mapv_inplace(|v| if 1.0 < v && v <= 1.0 + 1e-5 { 1.0 } else { v });
}

impl Calibration {
    fn proba_any(&self, x: Input<'_>) -> Result<Array2<f64>> {
        x.check_width(self.n_features_in)?;
        let k = self.classes.len();
        let mut mean = Array2::<f64>::zeros((x.n_rows(), k));
        for c in &self.classifiers {
            mean += &c.proba(x, k)?;
        }
        let m = self.classifiers.len() as f64;
        mean.mapv_inplace(|v| v / m);
        Ok(mean)
    }

    fn predict_any(&self, x: Input<'_>) -> Result<Prediction> {
        let p = self.proba_any(x)?;
        let winners: Vec<usize> = p
            .axis_iter(Axis(0))
            .map(|r| argmax(r).unwrap_or(0))
            .collect();
        take(&self.classes, &winners)
    }
}

impl Predict for Calibration {
    fn predict(&self, x: ArrayView2<'_, f64>) -> Result<Prediction> {
        self.predict_any(Input::Dense(x))
    }
}

impl PredictProba for Calibration {
    fn predict_proba(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        self.proba_any(Input::Dense(x))
    }
}

impl RunTable for Calibration {
    fn run_table(&self, method: Method, x: &Table) -> Option<Result<Prediction>> {
        let x = Input::Table(x);
        match method {
            Method::Predict => Some(self.predict_any(x)),
            Method::PredictProba => {
                Some(self.proba_any(x).map(|p| Prediction::Float(p.into_dyn())))
            }
            _ => None,
        }
    }
}

impl Estimator for Calibration {
    fn n_features_in(&self) -> usize {
        self.n_features_in
    }

    /// Every estimator reads every column: their kinds merged (rule 2 made them agree).
    fn input_kinds(&self) -> Vec<ColumnKind> {
        merged_kinds(
            self.classifiers.iter().map(|k| k.estimator.as_ref()),
            self.n_features_in,
        )
        .0
    }

    fn numeric_columns(&self, method: Method) -> Option<usize> {
        match method {
            Method::Predict => self.classes.is_numeric().then_some(1),
            Method::PredictProba => Some(self.classes.len()),
            _ => None,
        }
    }

    fn predicts_1d(&self) -> bool {
        true
    }

    fn as_predict(&self) -> Option<&dyn Predict> {
        Some(self)
    }

    fn as_predict_proba(&self) -> Option<&dyn PredictProba> {
        Some(self)
    }

    fn as_run_table(&self) -> Option<&dyn RunTable> {
        Some(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linear::{Affine, ClassLink, Classifier};
    use ndarray::array;

    #[test]
    fn isotonic_is_numpy_interp_after_the_clip() {
        let (x, y) = (array![0.0, 1.0, 3.0], array![0.1, 0.5, 0.9]);
        // At a threshold: its y; outside: clipped to the end values.
        for (t, want) in [(0.0, 0.1), (1.0, 0.5), (3.0, 0.9), (-5.0, 0.1), (7.0, 0.9)] {
            assert_eq!(interp(t, &x, &y).to_bits(), f64::to_bits(want), "t = {t}");
        }
        // Between: slope (y[j+1] - y[j]) / (x[j+1] - x[j]) times (u - x[j]), plus y[j].
        let slope = (0.9 - 0.5) / (3.0 - 1.0);
        assert_eq!(
            interp(2.5, &x, &y).to_bits(),
            (slope * 1.5 + 0.5_f64).to_bits()
        );
        let slope = (0.5 - 0.1) / 1.0;
        assert_eq!(
            interp(0.3, &x, &y).to_bits(),
            (slope * 0.3 + 0.1_f64).to_bits()
        );
        // One threshold: its y everywhere.
        assert_eq!(interp(-1.0, &array![2.0], &array![0.25]), 0.25);
        let iso = Calibrator::Isotonic { x, y };
        assert_eq!(iso.apply(f64::NAN), None);
        assert_eq!(iso.apply(f64::INFINITY), None);
    }

    #[test]
    fn rows_are_normalized_with_the_uniform_fallback_and_the_clip_near_one() {
        let mut p = array![[0.2, 0.2, 0.6], [0.0, 0.0, 0.0], [1.0 + 1e-6, 0.0, 0.0]];
        normalize(&mut p);
        let d = 0.2 + 0.2 + 0.6;
        assert_eq!(p.row(0).to_vec(), vec![0.2 / d, 0.2 / d, 0.6 / d]);
        assert_eq!(p.row(1).to_vec(), vec![1.0 / 3.0; 3]);
        // (1 + 1e-6) / (1 + 1e-6) is 1 already; a value just above 1 after division is set to 1.
        assert!(p.iter().all(|&v| v <= 1.0));
        let mut above = Array2::from_elem((1, 3), 0.0);
        above[[0, 0]] = 1.0;
        above[[0, 1]] = -1e-7;
        normalize(&mut above);
        assert_eq!(above[[0, 0]], 1.0, "1 / (1 - 1e-7) is set to 1");
        let mut binary = array![[0.0, 0.3]];
        normalize(&mut binary);
        assert_eq!(binary.row(0).to_vec(), vec![1.0 - 0.3, 0.3]);
    }

    #[test]
    fn binary_sigmoid_classifiers_are_averaged() {
        let logistic = |a: f64| -> Box<dyn Estimator> {
            Box::new(Classifier::new(
                Affine::new(array![[a]], array![0.0]),
                ClassLink::Logistic,
                Classes::Int(vec![0, 1]),
            ))
        };
        let calibrated = |w: f64, a: f64, b: f64| Calibrated {
            estimator: logistic(w),
            response: Method::DecisionFunction,
            targets: vec![1],
            calibrators: vec![Calibrator::Sigmoid { a, b }],
        };
        let c = Calibration {
            n_features_in: 1,
            classes: Classes::Str(vec!["a".into(), "b".into()]),
            classifiers: vec![calibrated(2.0, -1.5, 0.25), calibrated(-1.0, -0.5, 0.0)],
        };
        let x = array![[0.5], [-2.0]];
        let p = c.predict_proba(x.view()).unwrap();
        for (i, &v) in x.column(0).iter().enumerate() {
            // Decision values 2v and -v; p1 = expit(-(a * s + b)); p0 = 1 - p1.
            let one = |s: f64, a: f64, b: f64| expit(-(a * s + b));
            let p1 = [one(2.0 * v, -1.5, 0.25), one(-v, -0.5, 0.0)];
            let want1 = (0.0 + p1[0] + p1[1]) / 2.0;
            let want0 = (0.0 + (1.0 - p1[0]) + (1.0 - p1[1])) / 2.0;
            assert_eq!(p[[i, 1]].to_bits(), want1.to_bits());
            assert_eq!(p[[i, 0]].to_bits(), want0.to_bits());
        }
        let e: &dyn Estimator = &c;
        assert_eq!(e.methods(), vec![Method::Predict, Method::PredictProba]);
        let want: Vec<usize> = p.rows().into_iter().map(|r| argmax(r).unwrap()).collect();
        assert_eq!(
            c.predict(x.view()).unwrap(),
            take(&c.classes, &want).unwrap()
        );
    }
}
