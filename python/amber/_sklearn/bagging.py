"""BaggingClassifier and BaggingRegressor <-> the `Bagging` body: members fitted on samples of
the rows and of the columns, their outputs averaged (spec/estimators.md section 28).

Mirrors sklearn/ensemble/_bagging.py (1.9.1; 1.3.2 keeps the same attributes but
`_sample_weight`): `fit` validates the input into an array (`validate_data(dtype=None)`, so
the members have no feature names), encodes a classifier's labels
(`np.unique(y, return_inverse=True)`: `classes_`, the members fit the indices), sets
`estimator_` to the `estimator` param itself (or a new `DecisionTree*`), draws
`_seeds` and, per member, `_make_estimator(random_state=seed)` (a clone of `estimator_`
whose every `random_state` param is set from the seed) fitted on `X[:, features]` for the
columns `estimators_features_[i]` (repeated with `bootstrap_features`). `predict_proba` adds
each member's probabilities into its classes' columns (or a vote for its label when it has
no `predict_proba`), `decision_function` and `BaggingRegressor.predict` add the members'
outputs, all divided by `n_estimators`, and `predict` takes the classes at the argmax.

The body keeps the members with their columns and `classes_`. The rebuild restores the
params (`estimator`: an unfitted clone of the first member whose `random_state` params are the
template's, kept as the attribute `estimator/random_state`), `estimator_` as fit sets it
(`_validate_estimator`), and the fitted `estimators_`, `estimators_features_`, `classes_`,
`n_classes_`, `n_features_in_`, `feature_names_in_`, the `oob_*` attributes when fit made
them, and the private `_n_samples`, `_max_samples`, `_max_features`, `_seeds`,
`_sample_weight` (1.4+) from which scikit-learn recomputes `estimators_samples_` (the
property draws the rows again from the seeds), so it is the original's.

AdaBoost (`ada_boost`) shares the template's handling: `check_template`,
`write_template_states`, `rebuild_template`, `validate_template`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.ensemble import BaggingClassifier, BaggingRegressor

from .. import _schema, _tree
from .._errors import ModelError
from .._proto.amber.v1 import amber_pb2 as pb
from ._common import (
    Bad,
    DecodeCtx,
    EncodeCtx,
    Facts,
    allow,
    array,
    build,
    check_param,
    decode_estimator,
    described,
    encode_estimator,
    encode_value,
    integer,
    number,
    optional,
    read_attributes,
    refuse,
    register,
    type_name,
)
from .isolation_forest import _sample_weight_needed
from .linear import _classes, _labels
from .members import changed_after_fit, refuse_save
from .tree import _equal

#: Attribute (the family's to restore): the `random_state` params of the `estimator` param,
#: by their `get_params(deep=True)` key. Every member's were drawn from the fit's seeds
#: (`_set_random_states`), so no member holds the template's.
RANDOM_STATE = "estimator/random_state"
#: BaseBagging's private state: what `estimators_samples_` (and a warm start) read.
_PRIVATE = ("_n_samples", "_max_samples", "_max_features", "_seeds", "_sample_weight")


# ---------------------------------------------------------------------------- the template


def random_state_keys(est: Any) -> list[str]:
    """The keys `_set_random_states` sets (sklearn/ensemble/_base.py): every `random_state`
    param, nested ones too."""
    return sorted(
        k for k in est.get_params(deep=True) if k == "random_state" or k.endswith("__random_state")
    )


def _same_unfitted(a: Any, b: Any) -> bool:
    """Whether `a` is a clone of `b` but for its `random_state` params, at any depth."""
    if isinstance(a, BaseEstimator) or isinstance(b, BaseEstimator):
        if type(a) is not type(b):
            return False
        pa, pb_ = a.get_params(deep=False), b.get_params(deep=False)
        return list(pa) == list(pb_) and all(
            k == "random_state" or _same_unfitted(pa[k], pb_[k]) for k in pa
        )
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same_unfitted, a, b))
    if isinstance(a, dict):
        return (
            isinstance(b, dict)
            and list(a) == list(b)
            and all(_same_unfitted(a[k], b[k]) for k in a)
        )
    if a is None or isinstance(a, (bool, int, float, str, np.generic, np.ndarray)):
        return _equal(a, b)
    # clone deep-copies any other param (a callable, a joblib.Memory): alike, not equal.
    return type(a) is type(b)


def _fresh_template(est: Any) -> Any:
    """The `estimator_` a fit of `est`'s params makes: the `estimator` param itself, or the
    family's default (`DecisionTreeClassifier()`, `DecisionTreeRegressor(max_depth=3)`, ...)."""
    fresh = type(est)(**est.get_params(deep=False))
    validate_template(fresh)
    return fresh.estimator_


def validate_template(est: Any) -> None:
    """`est._validate_estimator` as its own fit calls it: 1.9.1's bagging passes
    `_get_estimator()`, 1.3.2's and AdaBoost take no argument."""
    if isinstance(est, (BaggingClassifier, BaggingRegressor)) and hasattr(est, "_get_estimator"):
        est._validate_estimator(est._get_estimator())
    else:
        est._validate_estimator()


def check_template(est: Any, members: list[Any]) -> None:
    """That `estimator_` is what fit made of the `estimator` param and every member a clone
    of it but for its random states (`_make_estimator`), so that the rebuilt param and
    `estimator_` are the original's."""
    template = getattr(est, "estimator_", None)
    try:
        fresh = _fresh_template(est)
    except (TypeError, ValueError) as e:
        raise refuse_save(
            est, f"its estimator param cannot be fitted ({e}); fit it again"
        ) from None
    same = template is fresh if est.estimator is not None else _same_unfitted(template, fresh)
    if not same:
        raise changed_after_fit(est, "estimator", "estimator_ is another estimator")
    for i, m in enumerate(members):
        if not _same_unfitted(m, template):
            raise changed_after_fit(
                est, "estimator", f"estimators_[{i}] is not a {type_name(template)} of its params"
            )


def write_template_states(est: Any, msg: pb.Estimator, ctx: EncodeCtx) -> set[str]:
    """The `estimator` param is the body's first member's clone; its `random_state` params
    (None, or an int: the members' were drawn at fit) are the attribute RANDOM_STATE.
    Returns the consumed names (the `estimator` param when it is set)."""
    if est.estimator is None:
        return set()  # a param: fit used the family's default
    params = est.estimator.get_params(deep=True)
    states = {k: params[k] for k in random_state_keys(est.estimator)}
    if states:
        value = encode_value(states, f"attributes/{RANDOM_STATE}", ctx)
        msg.attributes.add(name=RANDOM_STATE, value=value)
    return {"estimator"}


@described("dict of `random_state` param keys (`get_params(deep=True)`) -> None or int")
def random_states_rule(v: Any, facts: Facts) -> None:
    if type(v) is not dict or not all(type(k) is str for k in v):
        raise Bad("is not a dict of param keys")
    for k, x in v.items():
        if not (x is None or type(x) is int or isinstance(x, np.integer)):
            raise Bad(f"[{k[:60]!r}] is not None or an int")


def rebuild_template(name: str, first: Any, attrs: dict[str, Any]) -> Any:
    """The `estimator` param: an unfitted clone of the first member with the template's
    random states (the members' own are the fit's draws)."""
    template = clone(first)
    states = attrs.get(RANDOM_STATE)
    if states is None:
        return template
    if sorted(states) != random_state_keys(template):
        raise refuse(
            name,
            f"{RANDOM_STATE} names {sorted(states)[:5]}, and the members' random_state params "
            f"are {random_state_keys(template)[:5]}",
        )
    template.set_params(**{k: (None if v is None else int(v)) for k, v in states.items()})
    return template


def check_members_made(est: Any, members: list[Any], name: str) -> None:
    """What fit makes (E_PROVENANCE): `estimator_` as the params make it, and every member of
    its class."""
    try:
        validate_template(est)
    except (TypeError, ValueError) as e:
        raise refuse(name, f"its estimator param cannot be fitted: {e}") from None
    for i, m in enumerate(members):
        if type(m) is not type(est.estimator_):
            raise refuse(
                name,
                f"member {i} is a {type_name(m)}, and fit makes clones of its estimator_, a "
                f"{type_name(est.estimator_)}",
            )


def check_array_members(
    est: Any, members: list[Any], msg: pb.Estimator, ctx: EncodeCtx, at
) -> None:
    """Members are fitted on the validated array: refused by name when one has feature names
    or reads strings (scikit-learn fits a member on an object array of strings); then the
    body's rules on what was written, so that no file a reader refuses is saved."""
    infos = {t.name: pb.TensorInfo(name=t.name, dtype=t.dtype, shape=t.shape) for t in ctx.tensors}
    checker = _tree._Checker(infos, None)
    try:
        for i, (m, e) in enumerate(zip(members, at(msg))):
            if getattr(m, "feature_names_in_", None) is not None:
                raise refuse_save(
                    est,
                    f"member {i} has feature names, and scikit-learn fits the members on an "
                    "array of the input (without names): it was not made by fit; fit it again",
                )
            child = f"estimators/{i}/"
            checker.estimator(e, 2, child)
            kinds = _schema.input_kinds(e, checker.widths, child, None)
            if _schema.STRING in kinds:
                raise refuse_save(
                    est,
                    f"member {i} reads strings (input column {kinds.index(_schema.STRING)}), "
                    f"and the {msg.WhichOneof('body')} body's members read numbers: encode the "
                    "strings before the ensemble (a Pipeline of a ColumnTransformer, then it)",
                )
        _tree._Checker(infos, None).estimator(msg, 1, "")
    except ModelError as e:
        raise refuse_save(
            est, f"its body breaks a rule of spec/estimators.md: {e.message}"
        ) from None


# ---------------------------------------------------------------------------- saving


def bagging_to_proto(est: Any, msg: pb.Estimator, ctx: EncodeCtx) -> set[str]:
    classifier = isinstance(est, BaggingClassifier)
    if not hasattr(est, "estimators_"):
        raise refuse_save(est, "it is not fitted; fit it first")
    members = list(est.estimators_)
    features = list(est.estimators_features_)
    if len(members) != est.n_estimators:
        raise refuse_save(
            est,
            f"it has {len(members)} fitted estimators and n_estimators={est.n_estimators}, "
            "which scikit-learn divides their sum by (n_estimators was changed after fit, or "
            "a warm start stopped); set n_estimators to the number of estimators_ or fit again",
        )
    if len(features) != len(members):
        raise changed_after_fit(est, "estimators_features_", None)
    check_template(est, members)
    body = msg.bagging
    body.SetInParent()
    refused = len(ctx.refusals)
    for i, (m, f) in enumerate(zip(members, features)):
        out = body.members.add()
        out.estimator.CopyFrom(encode_estimator(m, ctx.child(f"estimators/{i}/")))
        f = np.asarray(f)
        if f.ndim != 1 or f.dtype.kind not in "iu" or (f.size and f.min() < 0):
            raise refuse_save(est, f"estimators_features_[{i}] is not a vector of column indices")
        out.features.extend(int(j) for j in f)
    if classifier:
        body.classes.CopyFrom(_labels(est.classes_))
    msg.n_features_in = int(est.n_features_in_)
    if len(ctx.refusals) == refused:  # else the refused parts are placeholders
        check_array_members(
            est, members, msg, ctx, lambda m: [x.estimator for x in m.bagging.members]
        )
    for name in _PRIVATE:
        if name in vars(est):
            value = encode_value(getattr(est, name), f"attributes/{name}", ctx)
            msg.attributes.add(name=name, value=value)
    consumed = {"estimators_", "estimators_features_", "estimator_", "classes_", "n_classes_"}
    return consumed | write_template_states(est, msg, ctx)


# ---------------------------------------------------------------------------- loading


def _check_private(name: str, attrs: dict[str, Any], widths: set[int]) -> None:
    """The state estimators_samples_ reads, consistent with itself and the body."""
    width = attrs.get("_max_features")
    if width is not None and widths != {int(width)}:
        raise refuse(name, f"_max_features {width}, and the members read {sorted(widths)} columns")
    n, weight = attrs.get("_n_samples"), attrs.get("_sample_weight")
    if weight is not None and (n is None or weight.shape != (int(n),)):
        raise refuse(name, f"_sample_weight of shape {weight.shape}, _n_samples {n}")


def _resolved_max_samples(msg: pb.Estimator, cls: type) -> pb.Estimator:
    """`msg` with 1.9.1's `max_samples=None` (every row: `_get_n_samples_bootstrap`) as 1.0,
    the same draw, where this scikit-learn takes no None (1.3.2): a refit draws alike."""
    p = next((p for p in msg.params if p.name == "max_samples"), None)
    if p is None or p.value.WhichOneof("kind") != "none":
        return msg
    try:
        check_param(cls, "max_samples", None)
        return msg
    except Bad:
        out = pb.Estimator()
        out.CopyFrom(msg)
        next(q for q in out.params if q.name == "max_samples").value.float_value = 1.0
        return out


def bagging_from_proto(msg: pb.Estimator, ctx: DecodeCtx, cls: type) -> Any:
    msg = _resolved_max_samples(msg, cls)
    body = msg.bagging
    name = type_name(cls)
    classifier = cls is BaggingClassifier
    if classifier != body.HasField("classes"):
        raise refuse(
            name,
            f"a {'classifier' if classifier else 'regressor'} cannot have a bagging body "
            f"{'without' if classifier else 'with'} classes",
        )
    members = [decode_estimator(m.estimator, ctx) for m in body.members]
    facts = {"n_features": int(msg.n_features_in)}
    if classifier:
        facts["n_classes"] = len(_classes(body.classes))
    attrs = read_attributes(cls, msg, ctx, facts)
    extra: dict[str, Any] = {}
    if not any(p.name == "estimator" for p in msg.params):
        extra["estimator"] = rebuild_template(name, members[0], attrs)
    est = build(cls, msg, ctx, attrs, **extra)
    if est.n_estimators != len(members):
        raise refuse(
            name,
            f"n_estimators is {est.n_estimators}, and the body has {len(members)} members "
            "(scikit-learn divides their sum by n_estimators)",
        )
    check_members_made(est, members, name)
    widths = {len(m.features) for m in body.members}
    _check_private(name, attrs, widths)
    for private in _PRIVATE:
        if private in attrs:
            setattr(est, private, attrs[private])
    if "_max_features" not in attrs and len(widths) == 1:
        est._max_features = widths.pop()
    if "_sample_weight" not in attrs and _sample_weight_needed():
        est._sample_weight = None  # a file of 1.3.2, which drew the rows without weights
    est.estimators_ = members
    est.estimators_features_ = [np.array(m.features, dtype=np.int64) for m in body.members]
    if classifier:
        est.classes_ = _classes(body.classes)
        est.n_classes_ = len(est.classes_)
    return est


_COMMON = {
    RANDOM_STATE: random_states_rule,
    "_n_samples": integer(1, 1 << 40, scalar=True),
    "_max_samples": integer(1, 1 << 40, scalar=True),
    "_max_features": integer(1, "n_features", scalar=True),
    "_seeds": array("i", (None,)),
    "_sample_weight": optional(array("f", (None,))),
    "oob_score_": number(finite=False),
}
# The members, their columns and classes_ come from the body; the template's random states,
# the private sampling state and the out-of-bag results are attributes of the file. 1.3.2's
# `base_estimator` param ("deprecated") is dropped by a version without it.
for _cls, _producer, _oob in (
    (
        BaggingClassifier,
        "sklearn.ensemble.BaggingClassifier",
        {"oob_decision_function_": array("f", (None, "n_classes"))},
    ),
    (
        BaggingRegressor,
        "sklearn.ensemble.BaggingRegressor",
        {"oob_prediction_": array("f", (None,))},
    ),
):
    allow(_cls, {**_COMMON, **_oob}, other_params=("base_estimator",))
    register(
        _cls,
        _producer,
        "bagging",
        bagging_to_proto,
        lambda msg, ctx, cls=_cls: bagging_from_proto(msg, ctx, cls),
    )
