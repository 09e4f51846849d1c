"""StackingClassifier and StackingRegressor <-> the `Stacking` body: members that each predict
from the whole input with their stack method, their outputs side by side (then the input
itself, with `passthrough`) the input of a final estimator (spec/estimators.md section 21).

Mirrors sklearn/ensemble/_stacking.py (1.9.1; 1.3.2 keeps the same attributes): `fit`
resolves each member's `stack_method_` (`_BaseStacking._method_name`: "auto" is the first of
predict_proba, decision_function and predict the member has), fits clones of the members on
the whole input (or keeps the members themselves, `cv="prefit"`) and `final_estimator_` on
their cross-validated outputs; `_transform` and `_concatenate_predictions` place the
members' outputs side by side (a 1-D output as one column, a binary classifier's
probabilities without their first column) and `predict` is the final estimator's.
StackingClassifier fits the members (but prefit ones) and the final estimator on the class
indices of its `_label_encoder` and maps the final prediction back through it.

The body keeps the `estimators` param in order: each member's name, its fitted estimator
(`estimators_`) or none for `"drop"`, and its entry of `stack_method_`; then
`final_estimator_`, `passthrough` and `classes_`. The rebuild restores `estimators` (each
member's unfitted clone, `"drop"` kept; with `cv="prefit"` the fitted members themselves),
`final_estimator` (an unfitted clone of `final_estimator_`, or None when it was None: the
param is then saved as such), `passthrough`, and the fitted `estimators_`,
`named_estimators_`, `final_estimator_`, `stack_method_`, `_n_feature_outs`,
`_label_encoder`, `classes_` and `feature_names_in_`; `n_features_in_` is scikit-learn's
property (the first member's).
"""

from __future__ import annotations

from typing import Any

from sklearn.base import clone
from sklearn.ensemble import StackingClassifier, StackingRegressor
from sklearn.preprocessing import LabelEncoder

from .. import _schema, _tree
from .._proto.amber.v1 import amber_pb2 as pb
from ._common import (
    DecodeCtx,
    EncodeCtx,
    allow,
    build,
    check_names,
    decode_estimator,
    encode_estimator,
    read_attributes,
    refuse,
    register,
    type_name,
)
from .compose import _check_union_copies
from .linear import _classes, _labels
from .members import (
    changed_after_fit,
    fitted_members,
    is_drop,
    rebuild_members,
    refuse_save,
    restore_feature_names,
)
from .search import SPLITTER, decode_splitter, encode_splitter, splitter_rule

_METHODS = {name: method for method, name in _tree.STACK_METHODS.items()}


# ---------------------------------------------------------------------------- saving


def _stack_methods(est: Any, members: list[tuple[str, Any]]) -> list[str | None]:
    """`stack_method_` per entry of the `estimators` param (None for a dropped member),
    checked to be what fit resolved from the current `stack_method` param: fit asks each
    entry of `estimators` (`_method_name`), so a param changed after fit would name methods
    the fitted members were not stacked with."""
    fitted = list(est.stack_method_)
    if len(fitted) != sum(not is_drop(m) for _, m in members):
        raise changed_after_fit(est, "estimators", None)
    out: list[str | None] = []
    resolved = iter(fitted)
    for name, template in est.estimators:
        if is_drop(template):
            out.append(None)
            continue
        method = next(resolved)
        try:
            want = est._method_name(name, template, est.stack_method)
        except ValueError:
            want = None
        if method != want or method not in _METHODS:
            raise changed_after_fit(est, "stack_method", f"member {name!r}")
        out.append(method)
    return out


def stacking_to_proto(est: Any, msg: pb.Estimator, ctx: EncodeCtx) -> set[str]:
    classifier = isinstance(est, StackingClassifier)
    members = fitted_members(est)
    if classifier and isinstance(est.classes_, list):
        raise refuse_save(
            est,
            "it is multilabel (fitted on a label-indicator matrix: classes_ is a list, one "
            "array per output), and the Stacking body has one list of classes; fit one "
            "StackingClassifier per output",
        )
    # scikit-learn hands every member the same X, then (passthrough) the final estimator.
    _check_union_copies(
        members, lambda why: refuse_save(est, why), read_after=bool(est.passthrough)
    )
    methods = _stack_methods(est, members)
    body = msg.stacking
    body.SetInParent()
    refused = len(ctx.refusals)
    for (name, member), method in zip(members, methods):
        out = body.members.add(name=name)
        if not is_drop(member):
            out.estimator.CopyFrom(encode_estimator(member, ctx.child(f"estimators/{name}/")))
            out.method = _METHODS[method]
    final = encode_estimator(est.final_estimator_, ctx.child("final_estimator/"))
    body.final_estimator.CopyFrom(final)
    body.passthrough = bool(est.passthrough)
    if classifier:
        body.classes.CopyFrom(_labels(est.classes_))
    # scikit-learn's n_features_in_ is the first member's (absent when that one has none, a
    # pipeline starting with passthrough); the body's is what every member reads.
    first = next(m.estimator for m in body.members if m.HasField("estimator"))
    msg.n_features_in = _schema.input_width(first)
    if len(ctx.refusals) == refused:  # else the refused parts are placeholders
        _check_outputs(est, msg, ctx)
    consumed = {"estimators", "passthrough", "estimators_", "named_estimators_"}
    consumed |= {"final_estimator_", "stack_method_", "classes_"}
    if est.final_estimator is not None:
        # None (scikit-learn's default final estimator) stays a param.
        consumed.add("final_estimator")
    return consumed | encode_splitter(est, msg, ctx)


def _check_outputs(est: Any, msg: pb.Estimator, ctx: EncodeCtx) -> None:
    """What the body's rules 3, 5 and 6 need of the fitted model, refused by name: every
    member's stacked output is one array of numbers, passthrough hands over numeric columns
    only, and the final estimator reads what the members and passthrough give."""
    infos = {t.name: pb.TensorInfo(name=t.name, dtype=t.dtype, shape=t.shape) for t in ctx.tensors}
    body = msg.stacking
    active = [m for m in body.members if m.HasField("estimator")]
    widths = _tree.stack_widths(msg, infos)
    for m, width in zip(active, widths):
        if width is None:
            method = _tree.STACK_METHODS[m.method]
            gives = (
                "one array per output (a multi-output classifier)"
                if method == _tree.PREDICT_PROBA
                else "its string class labels (cv='prefit' keeps a member's own classes)"
            )
            raise refuse_save(
                est,
                f"member {m.name!r} is stacked with {method}, which gives {gives}; the final "
                "estimator of a Stacking body reads numbers, one array per member: stack it "
                "with predict_proba, or fit it on numeric labels",
            )
    total = sum(widths)
    if body.passthrough:
        strings = _tree.string_columns(msg, infos)
        if strings:
            names = getattr(est, "feature_names_in_", None)
            column = repr(str(names[strings[0]])) if names is not None else str(strings[0])
            raise refuse_save(
                est,
                f"passthrough=True hands the input's string column {column} to the final "
                "estimator, and the final estimator of a Stacking body reads numbers: use "
                "passthrough=False, or a member that encodes the column",
            )
        total += int(msg.n_features_in)
    reads = _schema.input_width(body.final_estimator)
    if reads != total:
        raise refuse_save(
            est,
            f"its final estimator reads {reads} columns, and the members' outputs"
            f"{' and the input' if body.passthrough else ''} are {total}: passthrough or a "
            "member was changed after fit; fit it again",
        )


# ---------------------------------------------------------------------------- loading


def stacking_from_proto(msg: pb.Estimator, ctx: DecodeCtx, cls: type) -> Any:
    body = msg.stacking
    name = type_name(cls)
    classifier = cls is StackingClassifier
    if classifier != body.HasField("classes"):
        raise refuse(
            name,
            f"a {'classifier' if classifier else 'regressor'} cannot have a stacking body "
            f"{'without' if classifier else 'with'} classes",
        )
    check_names(cls, [m.name for m in body.members])
    estimators, fitted, named = rebuild_members(body.members, ctx)
    final = decode_estimator(body.final_estimator, ctx)
    extra: dict[str, Any] = {"estimators": estimators, "passthrough": body.passthrough}
    if not any(p.name == "final_estimator" for p in msg.params):
        extra["final_estimator"] = clone(final)
    attrs = read_attributes(cls, msg, ctx, {})
    extra.update(decode_splitter(name, attrs))
    est = build(cls, msg, ctx, attrs, **extra)
    if isinstance(est.cv, str) and est.cv == "prefit":
        # fit keeps the given members as estimators_ (they are the same objects)
        est.estimators = [(n, named[n]) for n, _ in estimators]
    _check_union_copies(est.estimators, lambda why: refuse(name, why), read_after=est.passthrough)
    _check_final(est, final, name)
    est.estimators_ = fitted
    est.named_estimators_ = named
    est.stack_method_ = _rebuilt_methods(est, body, name)
    est.final_estimator_ = final
    est._n_feature_outs = _tree.stack_widths(msg, ctx.container.tensors)
    if classifier:
        est._label_encoder = LabelEncoder()
        est._label_encoder.classes_ = _classes(body.classes)
        est.classes_ = est._label_encoder.classes_
    restore_feature_names(est, msg.feature_names_in)
    return est


def _check_final(est: Any, final: Any, name: str) -> None:
    """What fit checks (sklearn/ensemble/_stacking.py `_validate_estimators`,
    `_validate_final_estimator`): members (a regressor's are regressors), and a classifier's
    final estimator a classifier, a regressor's a regressor. With `final_estimator=None`,
    fit used scikit-learn's default (LogisticRegression, RidgeCV): the body's is one."""
    try:
        est._validate_estimators()
        est._validate_final_estimator()  # sets final_estimator_ to a clone of the param
    except ValueError as e:
        raise refuse(name, str(e)) from None
    if est.final_estimator is None and type(est.final_estimator_) is not type(final):
        raise refuse(
            name,
            f"final_estimator is None, so fit used a {type_name(est.final_estimator_)}, and "
            f"the body's final estimator is a {type_name(final)}",
        )


def _rebuilt_methods(est: Any, body: pb.Stacking, name: str) -> list[str]:
    """`stack_method_` from the body (the members that are not dropped), each what fit
    resolves from the `stack_method` param for that entry of `estimators` (`_method_name`)."""
    out = []
    for m, (member_name, template) in zip(body.members, est.estimators):
        if is_drop(template):
            continue
        method = _tree.STACK_METHODS[m.method]
        try:
            want = est._method_name(member_name, template, est.stack_method)
        except ValueError as e:
            raise refuse(name, str(e)) from None
        if method != want:
            raise refuse(
                name,
                f"member {member_name!r} is stacked with {method} in the body, and "
                f"stack_method={est.stack_method!r} resolves to {want} for it",
            )
        out.append(method)
    return out


# Every fitted attribute comes from the body; a cv splitter is an attribute of the file.
for _cls, _producer in (
    (StackingClassifier, "sklearn.ensemble.StackingClassifier"),
    (StackingRegressor, "sklearn.ensemble.StackingRegressor"),
):
    allow(_cls, {SPLITTER: splitter_rule})
    register(
        _cls,
        _producer,
        "stacking",
        stacking_to_proto,
        lambda msg, ctx, cls=_cls: stacking_from_proto(msg, ctx, cls),
    )
