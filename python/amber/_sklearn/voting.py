"""VotingClassifier and VotingRegressor <-> the `Voting` body: members that each predict from
the whole input, their outputs combined member after member (spec/estimators.md section 20).

VotingClassifier (sklearn/ensemble/_voting.py) encodes `y` with a LabelEncoder (`le_`) and
fits a clone of each estimator on the class indices; `predict` is the (weighted) most-voted
index of the members' predictions (`voting="hard"`, `np.bincount`) or the argmax of
`np.average` of their `predict_proba` (`voting="soft"`), mapped back through `le_`.
VotingRegressor's `predict` is `np.average` of the members' predictions. Both average with
`_weights_not_none`: the `weights` of the members that are not `"drop"`.

The body keeps the `estimators` param in order: each member's name, its fitted estimator
(`estimators_`, in the same order) or none for `"drop"`, and its weight; then the rule
(`voting`, or MEAN for the regressor), `classes_` and `flatten_transform`. The rebuild
restores `estimators` (each member's unfitted clone, or `"drop"`), `weights` (a list of
floats), `voting`, `flatten_transform`, and the fitted `estimators_`, `named_estimators_`
(a Bunch, `"drop"` for a dropped member), `le_`, `classes_` and `feature_names_in_`;
`n_features_in_` is scikit-learn's property (the first member's).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from sklearn.ensemble import VotingClassifier, VotingRegressor
from sklearn.preprocessing import LabelEncoder

from .. import _schema
from .._proto.amber.v1 import amber_pb2 as pb
from ._common import (
    DecodeCtx,
    EncodeCtx,
    allow,
    build,
    check_names,
    encode_estimator,
    read_attributes,
    refuse,
    register,
    type_name,
)
from .compose import _check_union_copies
from .linear import _classes, _labels
from .members import (
    fitted_members,
    is_drop,
    rebuild_members,
    refuse_save,
    restore_feature_names,
)

_RULES = {"hard": pb.VOTING_RULE_HARD, "soft": pb.VOTING_RULE_SOFT}
_VOTING = {rule: name for name, rule in _RULES.items()}


def _weights(est: Any, members: list[tuple[str, Any]]) -> list[float] | None:
    """The `weights` param as floats, one per member (dropped ones included), each finite;
    for soft voting and the regressor, those of the members that are not dropped must not
    sum to 0 (numpy's `average` raises ZeroDivisionError on every call)."""
    if est.weights is None:
        return None
    try:
        raw = list(est.weights)
        weights = [float(w) for w in raw]
    except (TypeError, ValueError):
        raise refuse_save(
            est, "its weights are not a list of numbers; give one float per member"
        ) from None
    if any(isinstance(w, (str, bytes, complex, np.complexfloating)) for w in raw):
        raise refuse_save(est, "its weights are not real numbers; give one float per member")
    if len(weights) != len(members):
        raise refuse_save(
            est,
            f"it has {len(weights)} weights for {len(members)} estimators; give one per "
            "estimator (dropped ones included)",
        )
    for i, w in enumerate(weights):
        if not math.isfinite(w):
            raise refuse_save(
                est, f"weights[{i}] is {w}, not finite; give every member a finite weight"
            )
    hard = isinstance(est, VotingClassifier) and est.voting == "hard"
    kept = np.asarray([w for w, (_, m) in zip(weights, members) if not is_drop(m)])
    if not hard and float(np.sum(kept)) == 0.0:
        raise refuse_save(
            est,
            "the weights of the members that are not dropped sum to 0, so numpy's average "
            "raises ZeroDivisionError on every prediction; change the weights",
        )
    return weights


def voting_to_proto(est: Any, msg: pb.Estimator, ctx: EncodeCtx) -> set[str]:
    classifier = isinstance(est, VotingClassifier)
    members = fitted_members(est)
    # scikit-learn hands every member the same X: one that transforms it in place changes
    # what the members after it read (as in a FeatureUnion, spec/sklearn.md section 3).
    _check_union_copies(members, lambda why: refuse_save(est, why))
    weights = _weights(est, members)
    body = msg.voting
    body.SetInParent()
    if classifier:
        if est.voting not in _RULES:
            raise refuse_save(est, f"voting is {est.voting!r}, not 'hard' or 'soft'")
        body.rule = _RULES[est.voting]
        if est.voting == "soft":
            for name, member in members:
                if not is_drop(member) and not hasattr(member, "predict_proba"):
                    raise refuse_save(
                        est,
                        f"member {name!r} ({type_name(member)}) has no predict_proba, which "
                        "soft voting averages (so its predict fails in scikit-learn too); "
                        "use voting='hard' or another member",
                    )
        body.classes.CopyFrom(_labels(est.classes_))
        body.flatten_transform = bool(est.flatten_transform)
    else:
        body.rule = pb.VOTING_RULE_MEAN
    for i, (name, member) in enumerate(members):
        out = body.members.add(name=name)
        if not is_drop(member):
            out.estimator.CopyFrom(encode_estimator(member, ctx.child(f"estimators/{name}/")))
        if weights is not None:
            out.weight.value = weights[i]
    # scikit-learn's n_features_in_ is the first member's (absent when that one has none, a
    # pipeline starting with passthrough); the body's is what every member reads.
    first = next((m.estimator for m in body.members if m.HasField("estimator")), None)
    if first is not None:
        msg.n_features_in = _schema.input_width(first)
    consumed = {"estimators", "weights", "estimators_", "named_estimators_"}
    if classifier:
        consumed |= {"voting", "flatten_transform", "le_", "classes_"}
    return consumed


def voting_from_proto(msg: pb.Estimator, ctx: DecodeCtx, cls: type) -> Any:
    body = msg.voting
    name = type_name(cls)
    classifier = cls is VotingClassifier
    if classifier != (body.rule != pb.VOTING_RULE_MEAN):
        raise refuse(
            name,
            f"a {'classifier' if classifier else 'regressor'} cannot have a voting body with "
            f"rule {pb.VotingRule.Name(body.rule)}",
        )
    check_names(cls, [m.name for m in body.members])
    estimators, fitted, named = rebuild_members(body.members, ctx)
    _check_union_copies(estimators, lambda why: refuse(name, why))
    weights = [m.weight.value for m in body.members if m.HasField("weight")]
    extra: dict[str, Any] = {"estimators": estimators, "weights": weights or None}
    if classifier:
        extra["voting"] = _VOTING[body.rule]
        extra["flatten_transform"] = body.flatten_transform
    est = build(cls, msg, ctx, read_attributes(cls, msg, ctx, {}), **extra)
    try:
        # What fit checks (sklearn/ensemble/_base.py): a classifier's members are
        # classifiers, a regressor's regressors.
        est._validate_estimators()
    except ValueError as e:
        raise refuse(name, str(e)) from None
    est.estimators_ = fitted
    est.named_estimators_ = named
    if classifier:
        est.le_ = LabelEncoder()
        est.le_.classes_ = _classes(body.classes)
        est.classes_ = est.le_.classes_
    restore_feature_names(est, msg.feature_names_in)
    return est


# Every fitted attribute comes from the body: none is an attribute of the file.
for _cls, _producer in (
    (VotingClassifier, "sklearn.ensemble.VotingClassifier"),
    (VotingRegressor, "sklearn.ensemble.VotingRegressor"),
):
    allow(_cls, {})
    register(
        _cls,
        _producer,
        "voting",
        voting_to_proto,
        lambda msg, ctx, cls=_cls: voting_from_proto(msg, ctx, cls),
    )
