//! The FeatureAffine body (`MinMaxScaler`, `MaxAbsScaler`, `RobustScaler`): its rules at load,
//! one named test each, and a transform through a whole file.

use amber_codec::model::{Body, Estimator, FeatureAffine};
use amber_estimators::Model;
use ndarray::array;

use crate::assert_model_error;
use crate::build::*;

const MINMAX: &str = "sklearn.preprocessing.MinMaxScaler";

/// A MinMaxScaler-shaped body: mul, add and a clip to [0, 1].
fn minmax() -> (Estimator, Vec<Tensor>) {
    let body = Body::FeatureAffine(FeatureAffine {
        sub: Some("center_".into()),
        div: Some("div_".into()),
        mul: Some("scale_".into()),
        add: Some("min_".into()),
        clip: Some((0.0, 1.0)),
    });
    (
        estimator(MINMAX, 2, body),
        vec![
            f64s("center_", &[2], &[0.0, 1.0]),
            f64s("div_", &[2], &[1.0, 2.0]),
            f64s("scale_", &[2], &[0.5, 0.25]),
            f64s("min_", &[2], &[0.5, 0.0]),
        ],
    )
}

fn clip_of(e: &mut Estimator, lo: f64, hi: f64) {
    if let Body::FeatureAffine(a) = &mut e.body {
        a.clip = Some((lo, hi));
    }
}

#[test]
fn feature_affine_transforms_in_body_order_and_clips() {
    let (e, t) = minmax();
    let model = Model::from_bytes(file(&e, &t)).unwrap();
    let x = array![[0.5, 5.0], [-4.0, -3.0], [f64::NAN, 1.0]];
    let z = model.transform(x.view()).unwrap();
    // (((x - sub) / div) * mul) + add, then clip to [0, 1].
    assert_eq!(z[[0, 0]], 0.75);
    assert_eq!(z[[0, 1]], 0.5);
    assert_eq!(z[[1, 0]], 0.0);
    assert_eq!(z[[1, 1]], 0.0);
    assert!(z[[2, 0]].is_nan());
    assert_eq!(z[[2, 1]], 0.0);
}

#[test]
fn rejects_feature_affine_vector_of_wrong_shape_or_dtype() {
    let (e, mut t) = minmax();
    t[0] = f64s("center_", &[3], &[1.0, 2.0, 3.0]);
    assert_model_error(&e, &t, "estimator.feature_affine.sub");
    let (e, mut t) = minmax();
    t[3] = f32s("min_", &[2], &[1.0, 2.0]);
    assert_model_error(&e, &t, "estimator.feature_affine.add");
}

#[test]
fn rejects_feature_affine_non_finite_vectors() {
    for (i, field) in [(0, "sub"), (2, "mul"), (3, "add")] {
        let (e, mut t) = minmax();
        let name = ["center_", "div_", "scale_", "min_"][i];
        t[i] = f64s(name, &[2], &[1.0, f64::NAN]);
        assert_model_error(&e, &t, &format!("estimator.feature_affine.{field}"));
        t[i] = f64s(name, &[2], &[f64::INFINITY, 1.0]);
        assert_model_error(&e, &t, &format!("estimator.feature_affine.{field}"));
    }
}

#[test]
fn rejects_feature_affine_div_not_positive() {
    for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let (e, mut t) = minmax();
        t[1] = f64s("div_", &[2], &[1.0, bad]);
        assert_model_error(&e, &t, "estimator.feature_affine.div");
    }
}

#[test]
fn rejects_feature_affine_clip_not_ordered_or_not_finite() {
    for (lo, hi) in [
        (1.0, 1.0),
        (2.0, 1.0),
        (f64::NAN, 1.0),
        (0.0, f64::INFINITY),
    ] {
        let (mut e, t) = minmax();
        clip_of(&mut e, lo, hi);
        assert_model_error(&e, &t, "estimator.feature_affine.clip");
    }
}
