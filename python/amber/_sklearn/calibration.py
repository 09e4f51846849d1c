"""CalibratedClassifierCV <-> the `Calibration` body: the mean of calibrated classifiers'
probabilities, each a fitted classifier whose decision values (or probabilities) go through
one calibrator per class (spec/estimators.md section 22).

Mirrors sklearn/calibration.py (1.9.1; 1.3.2 keeps the same attributes):
`CalibratedClassifierCV.fit` keeps one `_CalibratedClassifier` per cross-validation fold
(`ensemble=True`), or one (`ensemble=False`, `cv="prefit"` before 1.8, a `FrozenEstimator`
from 1.6); `_fit_calibrator` fits one calibrator per column of the estimator's response
(`decision_function`, else `predict_proba`; a binary estimator's one column), a
`_SigmoidCalibration` (`a_`, `b_`) or an `IsotonicRegression(out_of_bounds="clip")`
(sklearn/isotonic.py: `X_thresholds_`, `y_thresholds_`, `X_min_`, `X_max_`, `f_`), and
`_CalibratedClassifier.predict_proba` writes each calibrator's output at its class's position
(`LabelEncoder().fit(classes).transform(estimator.classes_)`), then normalizes.

The body keeps `classes_` and, per calibrated classifier, the fitted estimator (a
`FrozenEstimator`'s inner one), its response method, its class indices and its calibrators.
The rebuild restores the params (`estimator`: an unfitted clone of the first classifier's
estimator, or, when the fitted estimator was given, the `FrozenEstimator` around it, or it
with `cv="prefit"` where scikit-learn has no `sklearn.frozen`), and the fitted
`calibrated_classifiers_` (real `_CalibratedClassifier`s of real calibrators, every fitted
attribute restored, `f_` built by `IsotonicRegression._build_f`), `classes_`,
`n_features_in_` and `feature_names_in_`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV, _CalibratedClassifier, _SigmoidCalibration
from sklearn.isotonic import IsotonicRegression
from sklearn.preprocessing import LabelEncoder

from .. import _schema, _tree
from .._proto.amber.v1 import amber_pb2 as pb
from ._common import (
    Bad,
    DecodeCtx,
    EncodeCtx,
    allow,
    boolean,
    build,
    check_param,
    decode_estimator,
    encode_estimator,
    read_attributes,
    refuse,
    register,
    type_name,
)
from .linear import _classes, _labels
from .members import refuse_save
from .search import SPLITTER, decode_splitter, encode_splitter, splitter_rule

try:  # scikit-learn 1.6+
    from sklearn.frozen import FrozenEstimator
except ImportError:  # pragma: no cover - 1.3.2 .. 1.5
    FrozenEstimator = None

_PRODUCER = "sklearn.calibration.CalibratedClassifierCV"
#: Attribute (the family's to restore): the `estimator` param is the fitted estimator itself,
#: a `FrozenEstimator` around it or, before scikit-learn 1.8, it with `cv="prefit"`.
GIVEN_FITTED = "estimator/fitted"
_RESPONSES = {
    _tree.DECISION_FUNCTION: pb.CALIBRATION_RESPONSE_DECISION_FUNCTION,
    _tree.PREDICT_PROBA: pb.CALIBRATION_RESPONSE_PREDICT_PROBA,
}
#: The IsotonicRegression params `_fit_calibrator` uses: what its predictions assume.
_ISOTONIC_PARAMS = {"increasing": True, "out_of_bounds": "clip", "y_max": None, "y_min": None}


# ---------------------------------------------------------------------------- saving


def _inner(estimator: Any) -> Any:
    """The fitted classifier a calibrated classifier predicts with (a FrozenEstimator's)."""
    if FrozenEstimator is not None and isinstance(estimator, FrozenEstimator):
        return estimator.estimator
    return estimator


def _given_fitted(est: Any) -> bool:
    """Whether the `estimator` param is the fitted estimator itself (FrozenEstimator, or
    `cv="prefit"` before 1.8): then there is one calibrated classifier, of that estimator."""
    frozen = FrozenEstimator is not None and isinstance(est.estimator, FrozenEstimator)
    prefit = isinstance(est.cv, str) and est.cv == "prefit"
    if not (frozen or prefit):
        return False
    ccs = est.calibrated_classifiers_
    if len(ccs) != 1 or _inner(ccs[0].estimator) is not _inner(est.estimator):
        raise refuse_save(
            est,
            "its estimator param is not the estimator fit calibrated (it was changed after "
            "fit, set_params); fit it again",
        )
    return True


def _response(estimator: Any) -> str:
    """What `_get_response_values(..., ["decision_function", "predict_proba"])` calls."""
    return (
        _tree.DECISION_FUNCTION if hasattr(estimator, "decision_function") else _tree.PREDICT_PROBA
    )


def _class_indices(est: Any, inner: Any, i: int) -> list[int]:
    """`LabelEncoder().fit(classes_).transform(estimator.classes_)`, checked."""
    try:
        indices = LabelEncoder().fit(est.classes_).transform(inner.classes_)
    except (AttributeError, ValueError) as e:
        raise refuse_save(
            est,
            f"calibrated_classifiers_[{i}].estimator's classes_ are not among classes_ ({e}); "
            "fit it again",
        ) from None
    return [int(k) for k in indices]


def _finite(est: Any, where: str, values: np.ndarray) -> None:
    if not np.all(np.isfinite(values)):
        raise refuse_save(
            est,
            f"{where} holds a value that is not finite, which the Calibration body cannot "
            "hold (spec/estimators.md section 22, rule 4); fit it again on finite data",
        )


def _sigmoid_to_proto(est: Any, cal: Any, out: pb.Calibrator, where: str) -> None:
    a, b = float(cal.a_), float(cal.b_)
    if not (math.isfinite(a) and math.isfinite(b)):
        raise refuse_save(
            est, f"{where} has a_ = {a}, b_ = {b}; a sigmoid calibrator's are finite (rule 4)"
        )
    out.sigmoid.a = a
    out.sigmoid.b = b


def _isotonic_to_proto(est: Any, cal: Any, out: pb.Calibrator, where: str, ctx: EncodeCtx) -> None:
    """X_thresholds_ and y_thresholds_ as f64 [m] tensors, after checking that the
    calibrator predicts `np.interp(np.clip(t, x[0], x[-1]), x, y)` (sklearn/isotonic.py
    `_transform`): the calibration's params, float64 strictly increasing thresholds and
    `X_min_`, `X_max_` the first and last."""
    params = {k: cal.get_params()[k] for k in _ISOTONIC_PARAMS}
    if params != _ISOTONIC_PARAMS or getattr(cal, "increasing_", None) is not True:
        raise refuse_save(
            est,
            f"{where} has params {params} (increasing_ {getattr(cal, 'increasing_', None)}), "
            f"not those CalibratedClassifierCV fits ({_ISOTONIC_PARAMS}, increasing_ True); "
            "fit it again",
        )
    x, y = cal.X_thresholds_, cal.y_thresholds_
    for name, v in (("X_thresholds_", x), ("y_thresholds_", y)):
        if not isinstance(v, np.ndarray) or v.dtype != np.float64 or v.ndim != 1 or not v.size:
            raise refuse_save(
                est,
                f"{where}.{name} is not a non-empty float64 vector (float32 thresholds make "
                "scikit-learn calibrate in float32, which the body does not describe)",
            )
        _finite(est, f"{where}.{name}", v)
    if len(x) != len(y) or not np.all(x[1:] > x[:-1]):
        raise refuse_save(
            est, f"{where}.X_thresholds_ is not strictly increasing with one y each; fit again"
        )
    if not (cal.X_min_ == x[0] and cal.X_max_ == x[-1]):
        raise refuse_save(
            est,
            f"{where}: X_min_, X_max_ ({cal.X_min_}, {cal.X_max_}) are not the first and last "
            "thresholds, which the body clips to; fit it again",
        )
    out.isotonic.x_thresholds = ctx.tensor("x_thresholds", x)
    out.isotonic.y_thresholds = ctx.tensor("y_thresholds", y)


def _calibrator_to_proto(
    est: Any, cal: Any, out: pb.Calibrator, where: str, ctx: EncodeCtx
) -> None:
    if type(cal) is _SigmoidCalibration:
        _sigmoid_to_proto(est, cal, out, where)
    elif type(cal) is IsotonicRegression:
        _isotonic_to_proto(est, cal, out, where, ctx)
    else:
        raise refuse_save(
            est,
            f"{where} is a {type_name(cal)}; the Calibration body holds method='sigmoid' "
            "and method='isotonic' calibrators",
        )


def _check_columns(est: Any, msg: pb.Estimator, ctx: EncodeCtx) -> None:
    """Rule 3 of section 22 on the fitted model, refused by name: each estimator's response
    has the columns its calibrators and class indices say (scikit-learn zips them, silently
    dropping the extra ones), and a binary calibration's estimator saw both classes."""
    infos = {t.name: pb.TensorInfo(name=t.name, dtype=t.dtype, shape=t.shape) for t in ctx.tensors}
    checker = _tree._Checker(infos, None)
    k = len(est.classes_)
    for i, c in enumerate(msg.calibration.classifiers):
        where = f"calibrated_classifiers_[{i}]"
        method = _tree.CALIBRATION_RESPONSES[c.response]
        columns = checker._output_columns(c.estimator, method)
        if k == 2:
            if list(c.class_indices) != [0, 1]:
                raise refuse_save(
                    est,
                    f"{where}.estimator saw only the classes {list(c.class_indices)} of the "
                    "two: its fold lacked a class; use fewer folds or stratified ones",
                )
            want = 2 if method == _tree.PREDICT_PROBA else 1
        else:
            want = len(c.class_indices)
        if columns != want or len(c.calibrators) != (1 if k == 2 else want):
            raise refuse_save(
                est,
                f"{where}: the estimator's {method} gives {columns} column(s), it has "
                f"{len(c.class_indices)} classes and {len(c.calibrators)} calibrators; the "
                "Calibration body needs one column per class (a multiclass decision_function "
                "other than one-vs-rest, or a fold that saw two classes of more, is refused)",
            )


def calibration_to_proto(est: Any, msg: pb.Estimator, ctx: EncodeCtx) -> set[str]:
    if not hasattr(est, "calibrated_classifiers_"):
        raise refuse_save(est, "it is not fitted; fit it first")
    if est.method not in ("sigmoid", "isotonic"):
        raise refuse_save(
            est,
            f"method is {est.method!r}; the Calibration body holds 'sigmoid' and 'isotonic' "
            "calibration (temperature scaling is not in the format yet)",
        )
    if len(est.classes_) < 2:
        raise refuse_save(est, "it has fewer than two classes; a calibration needs two")
    given = _given_fitted(est)
    body = msg.calibration
    body.SetInParent()
    body.classes.CopyFrom(_labels(est.classes_))
    refused = len(ctx.refusals)
    for i, cc in enumerate(est.calibrated_classifiers_):
        here = ctx.child(f"classifiers/{i}/")
        inner = _inner(cc.estimator)
        out = body.classifiers.add()
        out.estimator.CopyFrom(encode_estimator(inner, here))
        out.response = _RESPONSES[_response(cc.estimator)]
        out.class_indices.extend(_class_indices(est, inner, i))
        for j, cal in enumerate(cc.calibrators):
            where = f"calibrated_classifiers_[{i}].calibrators[{j}]"
            cctx = here.child(f"calibrators/{j}/")
            _calibrator_to_proto(est, cal, out.calibrators.add(), where, cctx)
    # scikit-learn's n_features_in_ is the first classifier's (absent when it has none); the
    # body's is what every classifier reads.
    msg.n_features_in = _schema.input_width(body.classifiers[0].estimator)
    if len(ctx.refusals) == refused:  # else the refused parts are placeholders
        _check_columns(est, msg, ctx)
    if given:
        msg.attributes.add(name=GIVEN_FITTED).value.bool_value = True
    consumed = {"calibrated_classifiers_", "classes_"}
    if est.estimator is not None:
        consumed.add("estimator")  # None (scikit-learn's default LinearSVC) stays a param
    return consumed | encode_splitter(est, msg, ctx)


# ---------------------------------------------------------------------------- loading


def _sigmoid(c: pb.SigmoidCalibrator) -> _SigmoidCalibration:
    cal = _SigmoidCalibration()
    cal.a_, cal.b_ = np.float64(c.a), np.float64(c.b)
    return cal


def _isotonic(c: pb.IsotonicCalibrator, ctx: DecodeCtx) -> IsotonicRegression:
    """What `IsotonicRegression(out_of_bounds="clip").fit` leaves (sklearn/isotonic.py)."""
    cal = IsotonicRegression(out_of_bounds="clip")
    x, y = ctx.array(c.x_thresholds), ctx.array(c.y_thresholds)
    cal.increasing_ = True
    cal.X_min_, cal.X_max_ = x[0], x[-1]
    cal.X_thresholds_, cal.y_thresholds_ = x, y
    cal._build_f(x, y)
    return cal


def _calibrated(
    c: pb.CalibratedClassifier, estimator: Any, classes: np.ndarray, method: str, ctx: DecodeCtx
) -> _CalibratedClassifier:
    calibrators = [
        _sigmoid(k.sigmoid) if k.WhichOneof("kind") == "sigmoid" else _isotonic(k.isotonic, ctx)
        for k in c.calibrators
    ]
    return _CalibratedClassifier(estimator, calibrators, classes=classes, method=method)


def _check_method(body: pb.Calibration, method: str) -> None:
    """The `method` param names the body's calibrators (fit made them from it)."""
    want = {"sigmoid": "sigmoid", "isotonic": "isotonic"}.get(method)
    if want is None:
        raise refuse(_PRODUCER, f"method is {method!r}, not 'sigmoid' or 'isotonic'")
    for i, c in enumerate(body.classifiers):
        for j, k in enumerate(c.calibrators):
            if k.WhichOneof("kind") != want:
                raise refuse(
                    _PRODUCER,
                    f"method is {method!r}, and classifiers[{i}].calibrators[{j}] is "
                    f"{k.WhichOneof('kind')}",
                )


def _check_fitted(body: pb.Calibration, fitted: list[Any], classes: np.ndarray) -> None:
    """What scikit-learn derives from the rebuilt estimators is the body's: the response it
    calls and where the estimator's classes are in `classes` (`_CalibratedClassifier`
    recomputes both at every predict_proba)."""
    for i, (c, estimator) in enumerate(zip(body.classifiers, fitted)):
        if _RESPONSES[_response(estimator)] != c.response:
            raise refuse(
                _PRODUCER,
                f"classifiers[{i}].response is {pb.CalibrationResponse.Name(c.response)}, and "
                f"scikit-learn calls {_response(estimator)} of a {type_name(estimator)}",
            )
        try:
            indices = LabelEncoder().fit(classes).transform(estimator.classes_)
        except (AttributeError, ValueError):
            indices = None
        if indices is None or [int(k) for k in indices] != list(c.class_indices):
            raise refuse(
                _PRODUCER,
                f"classifiers[{i}].class_indices are {list(c.class_indices)}, and the "
                "estimator's classes_ are not those of classes at them",
            )


def _given_params(msg: pb.Estimator, fitted: Any) -> tuple[pb.Estimator, dict[str, Any]]:
    """The `estimator` and `cv` params of a calibration given its fitted estimator: a
    FrozenEstimator around it where scikit-learn has one (a `cv="prefit"` of an older
    version's file becomes the default cv), else it with `cv="prefit"`."""
    out = pb.Estimator()
    out.CopyFrom(msg)
    cv = next((p for p in out.params if p.name == "cv"), None)
    prefit = cv is not None and cv.value.string_value == "prefit"
    if FrozenEstimator is not None:
        if prefit:
            out.params.remove(cv)
        return out, {"estimator": FrozenEstimator(fitted)}
    if cv is not None:
        out.params.remove(cv)
    return out, {"estimator": fitted, "cv": "prefit"}


def _resolved_ensemble(msg: pb.Estimator, given: bool) -> pb.Estimator:
    """`msg` with 1.6+'s `ensemble="auto"` replaced by what fit resolved it to (False for a
    FrozenEstimator, else True) where this scikit-learn takes a bool only (1.3.2): the
    fitted model is the same."""
    p = next((p for p in msg.params if p.name == "ensemble"), None)
    if p is None or p.value.string_value != "auto":
        return msg
    try:
        check_param(CalibratedClassifierCV, "ensemble", "auto")
        return msg
    except Bad:
        out = pb.Estimator()
        out.CopyFrom(msg)
        next(q for q in out.params if q.name == "ensemble").value.bool_value = not given
        return out


def calibration_from_proto(msg: pb.Estimator, ctx: DecodeCtx) -> Any:
    body = msg.calibration
    fitted = [decode_estimator(c.estimator, ctx) for c in body.classifiers]
    attrs = read_attributes(CalibratedClassifierCV, msg, ctx, {})
    given = bool(attrs.get(GIVEN_FITTED, False))
    msg = _resolved_ensemble(msg, given)
    extra = decode_splitter(_PRODUCER, attrs)
    if given:
        if len(fitted) != 1:
            raise refuse(
                _PRODUCER,
                f"{GIVEN_FITTED} says the estimator was given fitted, and the body has "
                f"{len(fitted)} calibrated classifiers, not one",
            )
        msg, given_extra = _given_params(msg, fitted[0])
        extra = {**({} if "cv" in given_extra else extra), **given_extra}
        if FrozenEstimator is not None:
            fitted = [given_extra["estimator"]]
    elif not any(p.name == "estimator" for p in msg.params):
        extra["estimator"] = clone(fitted[0])
    est = build(CalibratedClassifierCV, msg, ctx, attrs, **extra)
    _check_method(body, est.method)
    est.classes_ = _classes(body.classes)
    _check_fitted(body, fitted, est.classes_)
    est.calibrated_classifiers_ = [
        _calibrated(c, estimator, est.classes_, est.method, ctx)
        for c, estimator in zip(body.classifiers, fitted)
    ]
    return est


# The calibrated classifiers and classes_ come from the body; a cv splitter and whether the
# estimator was given fitted are attributes of the file. 1.3.2's `base_estimator` param
# ("deprecated") is dropped by a version without it.
allow(
    CalibratedClassifierCV,
    {SPLITTER: splitter_rule, GIVEN_FITTED: boolean},
    other_params=("base_estimator",),
)
register(
    CalibratedClassifierCV,
    _PRODUCER,
    "calibration",
    calibration_to_proto,
    calibration_from_proto,
)
