"""AdaBoostClassifier and AdaBoostRegressor <-> the `AdaBoost` body: members combined by their
boosting weights (spec/estimators.md section 29).

Mirrors sklearn/ensemble/_weight_boosting.py (1.9.1, and 1.3.2's `algorithm` param with
its default "SAMME.R"): `fit` validates the input into an array (`validate_data(dtype=None)`,
so the members have no feature names), sets `estimator_` to the `estimator` param itself (or
`DecisionTreeClassifier(max_depth=1)`, `DecisionTreeRegressor(max_depth=3)`), and boosts
`n_estimators` times a `_make_estimator(random_state=...)` (a clone of `estimator_` whose
every `random_state` param is drawn), fitted on the labels themselves (so a member's classes
are the composition's), keeping `estimator_weights_` and `estimator_errors_` (zeros and ones
past an early stop, whose members are not kept). `decision_function` sums, member after
member, `np.where(predict == classes, w, -1 / (K - 1) * w)` (SAMME) or `_samme_proba`
(1.3.2's SAMME.R), divided by the weights' sum; `predict_proba` is `softmax` of it
(`_compute_proba_from_decision`); `AdaBoostRegressor.predict` is the weighted median
(`_get_median_predict`).

The body keeps the members, `estimator_weights_`, `classes_` and the algorithm. The rebuild
restores the params (`estimator` as a bagging's, with `estimator/random_state`; 1.3.2's
`algorithm` from the body, which a version without the param computes as SAMME and refuses
for SAMME.R), `estimator_` as fit sets it, and the fitted `estimators_`,
`estimator_weights_`, `estimator_errors_`, `classes_`, `n_classes_`, `n_features_in_` and
`feature_names_in_`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.ensemble import AdaBoostClassifier, AdaBoostRegressor

from .._proto.amber.v1 import amber_pb2 as pb
from ._common import (
    DecodeCtx,
    EncodeCtx,
    allow,
    array,
    build,
    decode_estimator,
    encode_estimator,
    read_attributes,
    refuse,
    register,
    type_name,
)
from .bagging import (
    RANDOM_STATE,
    check_array_members,
    check_members_made,
    check_template,
    random_states_rule,
    rebuild_template,
    write_template_states,
)
from .compose import _check_union_copies
from .linear import _classes, _labels
from .members import refuse_save

_ALGORITHMS = {"SAMME": pb.ADA_BOOST_ALGORITHM_SAMME, "SAMME.R": pb.ADA_BOOST_ALGORITHM_SAMME_R}
_NAMES = {v: k for k, v in _ALGORITHMS.items()}


def _samme_r_computed(cls: type) -> bool:
    """Whether this scikit-learn's AdaBoostClassifier computes SAMME.R (before 1.6)."""
    return hasattr(cls, "_boost_real")


# ---------------------------------------------------------------------------- saving


def _algorithm(est: Any) -> int:
    """What the fitted classifier computes: 1.3.2's `algorithm`; SAMME where the param is
    gone (1.6+ deprecates it: "deprecated" is SAMME)."""
    name = getattr(est, "algorithm", "SAMME")
    if name in ("SAMME", "deprecated") or (name == "SAMME.R" and not _samme_r_computed(type(est))):
        return pb.ADA_BOOST_ALGORITHM_SAMME
    if name == "SAMME.R":
        return pb.ADA_BOOST_ALGORITHM_SAMME_R
    raise refuse_save(est, f"its algorithm is {name!r}, not 'SAMME' or 'SAMME.R'")


def _weights(est: Any, n_members: int) -> np.ndarray:
    w = getattr(est, "estimator_weights_", None)
    if (
        not isinstance(w, np.ndarray)
        or w.dtype != np.float64
        or w.ndim != 1
        or len(w) < n_members
        or not np.all(np.isfinite(w))
    ):
        raise refuse_save(
            est,
            "its estimator_weights_ is not a finite float64 vector with one weight per member "
            "at least (it was changed after fit); fit it again",
        )
    return w


def ada_boost_to_proto(est: Any, msg: pb.Estimator, ctx: EncodeCtx) -> set[str]:
    classifier = isinstance(est, AdaBoostClassifier)
    if not hasattr(est, "estimators_"):
        raise refuse_save(est, "it is not fitted; fit it first")
    members = list(est.estimators_)
    if classifier and int(est.n_classes_) < 2:
        raise refuse_save(
            est,
            "it was fitted on one class: its decision_function is zeros and its predict_proba "
            "ones, which the AdaBoost body (two classes or more) does not describe; fit it on "
            "two classes or more",
        )
    if not members:
        raise refuse_save(est, "it has no fitted estimator; fit it again")
    weights = _weights(est, len(members))
    check_template(est, members)
    # Every member is handed the same array: one that transforms it in place (copy=False)
    # changes what the members after it read.
    _check_union_copies(
        [(f"estimators_[{i}]", m) for i, m in enumerate(members)], lambda why: refuse_save(est, why)
    )
    body = msg.ada_boost
    body.SetInParent()
    refused = len(ctx.refusals)
    for i, m in enumerate(members):
        body.members.add().CopyFrom(encode_estimator(m, ctx.child(f"estimators/{i}/")))
    body.weights = ctx.tensor("estimator_weights_", weights)
    consumed = {"estimators_", "estimator_weights_", "estimator_", "algorithm"}
    if classifier:
        body.classes.CopyFrom(_labels(est.classes_))
        body.algorithm = _algorithm(est)
        consumed |= {"classes_", "n_classes_"}
    msg.n_features_in = int(est.n_features_in_)
    if len(ctx.refusals) == refused:  # else the refused parts are placeholders
        check_array_members(est, members, msg, ctx, lambda m: list(m.ada_boost.members))
    return consumed | write_template_states(est, msg, ctx)


# ---------------------------------------------------------------------------- loading


def ada_boost_from_proto(msg: pb.Estimator, ctx: DecodeCtx, cls: type) -> Any:
    body = msg.ada_boost
    name = type_name(cls)
    classifier = cls is AdaBoostClassifier
    if classifier != body.HasField("classes"):
        raise refuse(
            name,
            f"a {'classifier' if classifier else 'regressor'} cannot have an AdaBoost body "
            f"{'without' if classifier else 'with'} classes",
        )
    members = [decode_estimator(e, ctx) for e in body.members]
    weights = ctx.array(body.weights)
    attrs = read_attributes(cls, msg, ctx, {"n_weights": int(weights.shape[0])})
    extra: dict[str, Any] = {}
    if not any(p.name == "estimator" for p in msg.params):
        extra["estimator"] = rebuild_template(name, members[0], attrs)
    if classifier:
        samme_r = body.algorithm == pb.ADA_BOOST_ALGORITHM_SAMME_R
        if samme_r and not _samme_r_computed(cls):
            raise refuse(
                name,
                "its algorithm is SAMME.R, which this scikit-learn no longer computes (it was "
                "removed in 1.6)",
            )
        if "algorithm" in cls._get_param_names():
            extra["algorithm"] = _NAMES[body.algorithm]
    est = build(cls, msg, ctx, attrs, **extra)
    check_members_made(est, members, name)
    _check_union_copies(
        [(f"estimators_[{i}]", m) for i, m in enumerate(members)], lambda why: refuse(name, why)
    )
    est.estimators_ = members
    est.estimator_weights_ = weights
    if classifier:
        est.classes_ = _classes(body.classes)
        est.n_classes_ = len(est.classes_)
    return est


# The members, their weights, classes_ and the algorithm come from the body; the template's
# random states and estimator_errors_ are attributes of the file. 1.3.2's `base_estimator`
# param ("deprecated") is dropped by a version without it.
for _cls, _producer in (
    (AdaBoostClassifier, "sklearn.ensemble.AdaBoostClassifier"),
    (AdaBoostRegressor, "sklearn.ensemble.AdaBoostRegressor"),
):
    allow(
        _cls,
        {RANDOM_STATE: random_states_rule, "estimator_errors_": array("f", ("n_weights",))},
        other_params=("base_estimator",),
    )
    register(
        _cls,
        _producer,
        "ada_boost",
        ada_boost_to_proto,
        lambda msg, ctx, cls=_cls: ada_boost_from_proto(msg, ctx, cls),
    )
