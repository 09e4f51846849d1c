"""FixedThresholdClassifier and TunedThresholdClassifierCV <-> the `ThresholdClassifier`
body: a binary classifier whose positive-class score is compared with a threshold
(spec/estimators.md section 27). Both classes exist from scikit-learn 1.5; on an older one
this module registers nothing.

Mirrors sklearn/model_selection/_classification_threshold.py (1.9.1): `predict` takes the
estimator's response with `_get_response_values_binary` (sklearn/utils/_response.py: the
first of `predict_proba`, `decision_function` the estimator has for `response_method="auto"`;
the positive class's probability column, or the decision values negated when the positive
class is `classes_[0]`) and `_threshold_scores_to_class_labels` (sklearn/metrics/_scorer.py:
the positive class where the score is at or above the threshold). The positive class is
`pos_label` (FixedThresholdClassifier's param; TunedThresholdClassifierCV's scorer's,
`_curve_scorer._get_pos_label()`: a `pos_label` its metric takes by default, such as f1's
1), `classes_[1]` when it is None. The threshold is FixedThresholdClassifier's (`"auto"`:
0.5 for probabilities, 0.0 for decision values) or TunedThresholdClassifierCV's
`best_threshold_`. `classes_`, `predict_proba` and `decision_function` are the estimator's.

The body keeps `estimator_` (a `FrozenEstimator`'s inner estimator), the score method, the
positive class's index and the threshold. The rebuild restores `estimator` (an unfitted
clone of `estimator_`; the `FrozenEstimator` around it when one was given, attribute
`estimator/frozen`; the fitted estimator itself with `cv="prefit"`, or for a
FixedThresholdClassifier never fitted around a fitted estimator, attribute
`estimator/fitted`, which has no `estimator_`), the other params (a `cv` splitter as the
attribute `cv/splitter`), the fitted `estimator_`, `n_features_in_` and `feature_names_in_`
(where the estimator has them, as fit copies them), and TunedThresholdClassifierCV's
`best_threshold_`, `best_score_`, `cv_results_` and `_curve_scorer` (made from `scoring`,
`response_method` and `thresholds` as fit makes it). The body's score method, positive
class and threshold must be what scikit-learn derives from the rebuilt object
(E_PROVENANCE otherwise).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from sklearn.base import clone

from .. import _schema, _tree
from .._proto.amber.v1 import amber_pb2 as pb
from ._common import (
    Bad,
    DecodeCtx,
    EncodeCtx,
    allow,
    array,
    boolean,
    build,
    decode_estimator,
    described,
    encode_estimator,
    mapping,
    number,
    read_attributes,
    refuse,
    register,
    type_name,
)
from .members import changed_after_fit, refuse_save
from .search import SPLITTER, decode_splitter, encode_splitter, splitter_rule

try:  # scikit-learn 1.5+
    from sklearn.model_selection import FixedThresholdClassifier, TunedThresholdClassifierCV
except ImportError:  # pragma: no cover - 1.3.2 .. 1.4
    FixedThresholdClassifier = TunedThresholdClassifierCV = None
try:  # scikit-learn 1.6+
    from sklearn.frozen import FrozenEstimator
except ImportError:  # pragma: no cover - 1.5
    FrozenEstimator = None

#: Attribute (the family's to restore): the `estimator` param (and `estimator_`) is a
#: `FrozenEstimator` around the body's estimator.
FROZEN = "estimator/frozen"
#: Attribute: a FixedThresholdClassifier never fitted, whose `estimator` param is the
#: fitted estimator it predicts with (it has no `estimator_`).
GIVEN_FITTED = "estimator/fitted"
_SCORES = {
    _tree.PREDICT_PROBA: pb.THRESHOLD_SCORE_PREDICT_PROBA,
    _tree.DECISION_FUNCTION: pb.THRESHOLD_SCORE_DECISION_FUNCTION,
}


def _frozen(e: Any) -> bool:
    return FrozenEstimator is not None and isinstance(e, FrozenEstimator)


def _inner(e: Any) -> Any:
    return e.estimator if _frozen(e) else e


def _tuned(est: Any) -> bool:
    return TunedThresholdClassifierCV is not None and isinstance(est, TunedThresholdClassifierCV)


def _prefit(est: Any) -> bool:
    return _tuned(est) and isinstance(est.cv, str) and est.cv == "prefit"


def _response_method(est: Any, estimator: Any) -> str | None:
    """The method `_get_response_values_binary` calls on `estimator` for this object's
    `response_method`; None when it has none."""
    from sklearn.utils.validation import _check_response_method

    try:
        return _check_response_method(estimator, est._get_response_method()).__name__
    except AttributeError:
        return None


def _pos_label(est: Any) -> Any:
    """The positive class `predict` uses: FixedThresholdClassifier's `pos_label`,
    TunedThresholdClassifierCV's scorer's."""
    if _tuned(est):
        return est._curve_scorer._get_pos_label()
    return est.pos_label


def _positive(classes: np.ndarray, pos_label: Any) -> int | None:
    """The positive class's index in `classes` (1 for None, `classes_[-1]`); None when
    `pos_label` is not a class (scikit-learn's predict then raises)."""
    if pos_label is None:
        return 1
    try:
        if pos_label not in classes.tolist():
            return None
        return int(np.flatnonzero(classes == pos_label)[0])
    except (TypeError, ValueError, IndexError):
        return None


def _threshold(est: Any, method: str) -> float:
    if _tuned(est):
        return float(est.best_threshold_)
    if isinstance(est.threshold, str) and est.threshold == "auto":
        return 0.5 if method == _tree.PREDICT_PROBA else 0.0
    return float(est.threshold)


# ---------------------------------------------------------------------------- saving


def _predicting(est: Any) -> tuple[Any, bool]:
    """The estimator `predict` uses (`estimator_`, or for a FixedThresholdClassifier never
    fitted its fitted `estimator` param) and whether it is that param, checked to be what
    fit made of the param."""
    fitted = getattr(est, "estimator_", None)
    if fitted is None:
        from sklearn.exceptions import NotFittedError
        from sklearn.utils.validation import check_is_fitted

        if _tuned(est):
            raise refuse_save(est, "it is not fitted; fit it first")
        try:
            check_is_fitted(est.estimator)
        except (NotFittedError, TypeError):
            raise refuse_save(est, "it is not fitted and neither is its estimator") from None
        return est.estimator, True
    if _frozen(est.estimator) or _prefit(est):
        # fit keeps the estimator param itself (cv="prefit"; FrozenEstimator's clone is it)
        if fitted is not est.estimator:
            raise changed_after_fit(est, "estimator", None)
    elif type(fitted) is not type(est.estimator):
        raise changed_after_fit(est, "estimator", None)
    return fitted, False


def threshold_to_proto(est: Any, msg: pb.Estimator, ctx: EncodeCtx) -> set[str]:
    estimator, given = _predicting(est)
    inner = _inner(estimator)
    classes = np.asarray(getattr(inner, "classes_", []))
    if classes.ndim != 1 or len(classes) != 2:
        raise refuse_save(
            est,
            f"its estimator has {len(classes)} classes; a threshold classifier's is binary",
        )
    if _tuned(est) and callable(est.scoring):
        raise refuse_save(
            est,
            f"its scoring is a callable ({type_name(est.scoring)}): Amber never saves code; "
            "use a scorer's name (sklearn.metrics.get_scorer_names()), or keep the tuned "
            "threshold in a FixedThresholdClassifier(FrozenEstimator(tuned.estimator_), "
            "threshold=tuned.best_threshold_)",
        )
    method = _response_method(est, estimator)
    if method not in _SCORES:
        raise refuse_save(
            est,
            f"its estimator has no {est.response_method} method scikit-learn's predict "
            "calls; fit it again",
        )
    positive = _positive(classes, _pos_label(est))
    if positive is None:
        raise refuse_save(
            est,
            f"its positive class {_pos_label(est)!r:.60} is not one of the estimator's "
            f"classes {classes.tolist()!r:.80}, so its predict raises; set pos_label to one",
        )
    threshold = _threshold(est, method)
    if math.isnan(threshold):
        raise refuse_save(
            est,
            "its threshold is NaN (no score is at or above it: every prediction is the "
            "negative class), which the ThresholdClassifier body does not hold (rule 3)",
        )
    body = msg.threshold_classifier
    body.estimator.CopyFrom(encode_estimator(inner, ctx.child("estimator/")))
    body.score = _SCORES[method]
    body.positive = positive
    body.threshold = threshold
    if _frozen(estimator):
        msg.attributes.add(name=FROZEN).value.bool_value = True
    if given:
        msg.attributes.add(name=GIVEN_FITTED).value.bool_value = True
    # scikit-learn's n_features_in_ is the estimator's (absent when that one has none); the
    # body's is what the estimator reads.
    msg.n_features_in = _schema.input_width(body.estimator)
    consumed = {"estimator", "estimator_", "best_threshold_"}
    if _tuned(est) and not isinstance(est.cv, float):
        consumed |= encode_splitter(est, msg, ctx)
    return consumed


# ---------------------------------------------------------------------------- loading


def _estimators(cls: type, fitted: Any, attrs: dict[str, Any], prefit: bool) -> tuple[Any, Any]:
    """The `estimator` param and `estimator_` (None: not fitted) of the rebuild."""
    name = type_name(cls)
    if attrs.get(FROZEN):
        if FrozenEstimator is None:
            raise refuse(name, f"{FROZEN}: this scikit-learn has no sklearn.frozen")
        fitted = FrozenEstimator(fitted)
    if attrs.get(GIVEN_FITTED):
        if cls is not FixedThresholdClassifier:
            raise refuse(name, f"{GIVEN_FITTED}: only a FixedThresholdClassifier is unfitted")
        return fitted, None
    if prefit or attrs.get(FROZEN):
        return fitted, fitted  # fit keeps the param itself
    return clone(fitted), fitted


def _check_body(est: Any, body: pb.ThresholdClassifier, predicting: Any) -> None:
    """What scikit-learn's predict derives from the rebuilt object is the body's: the
    method it calls, the positive class, the threshold."""
    name = type_name(est)
    method = _response_method(est, predicting)
    if method not in _SCORES or _SCORES[method] != body.score:
        raise refuse(
            name,
            f"score is {pb.ThresholdScore.Name(body.score)}, and with response_method="
            f"{est.response_method!r} scikit-learn calls {method} of the estimator",
        )
    classes = np.asarray(_inner(predicting).classes_)
    positive = _positive(classes, _pos_label(est))
    if positive != body.positive:
        raise refuse(
            name,
            f"positive is {body.positive}, and the positive class {_pos_label(est)!r:.60} is "
            f"at {positive} in the estimator's classes",
        )
    want = _threshold(est, method)
    if not want == body.threshold:
        raise refuse(name, f"threshold is {body.threshold}, and its params say {want}")


def threshold_from_proto(msg: pb.Estimator, ctx: DecodeCtx, cls: type) -> Any:
    body = msg.threshold_classifier
    name = type_name(cls)
    fitted = decode_estimator(body.estimator, ctx)
    attrs = read_attributes(cls, msg, ctx, {})
    tuned = cls is TunedThresholdClassifierCV
    extra: dict[str, Any] = decode_splitter(name, attrs) if tuned else {}
    cv = next((p.value for p in msg.params if p.name == "cv"), None)
    prefit = tuned and cv is not None and cv.string_value == "prefit"
    estimator, estimator_ = _estimators(cls, fitted, attrs, prefit)
    extra["estimator"] = estimator
    est = build(cls, msg, ctx, attrs, **extra)
    if estimator_ is not None:
        est.estimator_ = estimator_
    if tuned:
        if "best_score_" not in attrs:
            raise refuse(name, "the attribute 'best_score_' is missing")
        est.best_threshold_ = np.float64(body.threshold)
        try:
            est._curve_scorer = est._get_curve_scorer()
        except (ValueError, TypeError) as e:
            raise refuse(name, f"its scorer cannot be made from its params ({e})") from None
    _check_body(est, body, estimator if estimator_ is None else estimator_)
    # fit copies n_features_in_ and feature_names_in_ from the estimator where it has them.
    for own in ("n_features_in_", "feature_names_in_"):
        if estimator_ is None or not _has(estimator_, own):
            est.__dict__.pop(own, None)
    return est


def _has(e: Any, name: str) -> bool:
    try:
        return hasattr(e, name)
    except Exception:  # a pipeline's property may raise more than AttributeError
        return False


@described("dict {`thresholds`, `scores`}: float arrays of one length [*]")
def _cv_results(v: Any, facts: dict) -> None:
    vector = array("f", (None,))
    mapping({"thresholds": vector, "scores": vector})(v, facts)
    if len(v["thresholds"]) != len(v["scores"]):
        raise Bad("has thresholds and scores of different lengths")


if FixedThresholdClassifier is not None:
    # The estimator, its score, the positive class and the threshold are the body's.
    allow(FixedThresholdClassifier, {FROZEN: boolean, GIVEN_FITTED: boolean})
    allow(
        TunedThresholdClassifierCV,
        {
            FROZEN: boolean,
            SPLITTER: splitter_rule,
            "best_score_": number(finite=False),
            "cv_results_": _cv_results,
        },
    )
    for _cls in (FixedThresholdClassifier, TunedThresholdClassifierCV):
        register(
            _cls,
            f"sklearn.model_selection.{_cls.__name__}",
            "threshold_classifier",
            threshold_to_proto,
            lambda msg, ctx, cls=_cls: threshold_from_proto(msg, ctx, cls),
        )
