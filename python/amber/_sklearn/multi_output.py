"""MultiOutputClassifier, MultiOutputRegressor, ClassifierChain and RegressorChain <-> the
`MultiOutput` body: one fitted member per output, each over the input, or a chain whose
members also read the earlier members' outputs (spec/estimators.md section 24).

Mirrors sklearn/multioutput.py (1.9.1; 1.3.2 keeps the same attributes but names the
chains' param `base_estimator` and has no `chain_method`): `_MultiOutputEstimator.fit`
fits a clone of `estimator` per column of `Y` (`estimators_`) and takes `n_features_in_`
and `feature_names_in_` from the first; `MultiOutputClassifier.fit` keeps each member's
`classes_`. `_BaseChain.fit` resolves `order_` from the `order` param (None: `np.array(
range(n))`; a tuple: `np.array` of it; "random": a permutation; a list or an array: the
param itself), fits member `i` on the input and the chain's first `i` columns, and
`ClassifierChain` keeps `classes_` (in chain order) and, from 1.5, `chain_method_`, what
`_check_response_method(estimator, chain_method)` resolved to; `_get_predictions` feeds
each member's `chain_method_` response to the next members.

The body keeps the kind, `estimators_`, `order_` and `chain_method_` (PREDICT for a
RegressorChain and before 1.5). The rebuild restores the params (`estimator`, or 1.3.2's
`base_estimator`: an unfitted clone of the first member) and the fitted `estimators_`,
`n_features_in_`, `feature_names_in_` (a MultiOutput*'s the first member's own array),
`classes_` (the members' own arrays), `order_` (of the type fit makes of the `order`
param) and `chain_method_`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.multioutput import (
    ClassifierChain,
    MultiOutputClassifier,
    MultiOutputRegressor,
    RegressorChain,
)

from .. import _schema, _tree
from .._errors import ModelError
from .._proto.amber.v1 import amber_pb2 as pb
from ._common import (
    DecodeCtx,
    EncodeCtx,
    allow,
    build,
    decode_estimator,
    encode_estimator,
    read_attributes,
    refuse,
    register,
    type_name,
)
from .members import changed_after_fit, refuse_save
from .search import SPLITTER, decode_splitter, encode_splitter, splitter_rule

_KINDS = {
    MultiOutputClassifier: pb.MULTI_OUTPUT_KIND_CLASSIFIER,
    MultiOutputRegressor: pb.MULTI_OUTPUT_KIND_REGRESSOR,
    ClassifierChain: pb.MULTI_OUTPUT_KIND_CLASSIFIER_CHAIN,
    RegressorChain: pb.MULTI_OUTPUT_KIND_REGRESSOR_CHAIN,
}
_CHAINS = (ClassifierChain, RegressorChain)
_CLASSIFIERS = (MultiOutputClassifier, ClassifierChain)
#: chain_method_ -> the body's ChainMethod.
_CHAIN_METHODS = {name: method for method, name in _tree.CHAIN_METHODS.items()}


def _estimator_param(cls: type) -> str:
    """The param the members are clones of: `estimator`, or the chains' before 1.7:
    `base_estimator`."""
    return "estimator" if "estimator" in cls._get_param_names() else "base_estimator"


def _has_chain_method(cls: type) -> bool:
    """Whether this scikit-learn's `cls` has the `chain_method` param (ClassifierChain 1.5+)."""
    return "chain_method" in cls._get_param_names()


# ---------------------------------------------------------------------------- saving


def _label_kind(classes: Any) -> str:
    return "strings" if np.asarray(classes).dtype.kind in "UOS" else "numbers"


def _check_classes(est: Any, members: list[Any]) -> None:
    """`classes_` is what fit kept (each member's), and a MultiOutputClassifier's labels are
    all strings or all numbers: `predict` stacks them with `np.asarray`, which turns numbers
    meeting strings into strings, a predict the body does not describe."""
    classes = getattr(est, "classes_", None)
    if not isinstance(classes, list) or len(classes) != len(members):
        raise changed_after_fit(est, "estimators_", "classes_")
    for i, (c, m) in enumerate(zip(classes, members)):
        own = getattr(m, "classes_", None)
        if own is None or not np.array_equal(np.asarray(c), np.asarray(own)):
            raise changed_after_fit(est, "estimators_", f"classes_[{i}]")
    if isinstance(est, MultiOutputClassifier):
        kinds = [_label_kind(c) for c in classes]
        if len(set(kinds)) > 1:
            s, n = kinds.index("strings"), kinds.index("numbers")
            raise refuse_save(
                est,
                f"its outputs' labels mix strings (output {s}) and numbers (output {n}): its "
                "predict stacks them with np.asarray, which turns the numbers into strings, "
                "and the MultiOutput body has no such predict; fit every output on labels of "
                "one kind (all strings or all numbers)",
            )
    elif any(_label_kind(c) == "strings" for c in classes):
        raise refuse_save(
            est,
            "a member has string labels: a ClassifierChain writes each member's predictions "
            "into a float array (its predict raises on them); fit it on numeric labels",
        )


def _order(est: Any, m: int) -> list[int]:
    """`order_`, checked to be a permutation of the members' integer indices that fit made
    of the `order` param."""
    order = est.order_
    arr = np.asarray(order)
    if arr.ndim != 1 or arr.dtype.kind not in "iu" or sorted(arr.tolist()) != list(range(m)):
        raise refuse_save(
            est,
            f"its order_ {order!r} is not a permutation of the {m} outputs' integer indices "
            "(scikit-learn cannot predict with it); give order as a list of ints",
        )
    param = est.order
    if param is None:
        fits = arr.tolist() == list(range(m))
    elif isinstance(param, str):
        fits = param == "random"
    else:
        fits = np.asarray(param).tolist() == arr.tolist()
    if not fits:
        raise changed_after_fit(est, "order", None)
    return [int(o) for o in arr]


def _chain_method(est: Any) -> str:
    """What the chain feeds the next members: `chain_method_` where scikit-learn has it
    (checked to be what fit resolves from the params), else predict."""
    if isinstance(est, RegressorChain) or not hasattr(est, "chain_method_"):
        return _tree.PREDICT
    method = est.chain_method_
    if method not in _CHAIN_METHODS:
        raise refuse_save(est, f"its chain_method_ {method!r} is not a method Amber knows")
    from sklearn.utils.validation import _check_response_method

    try:
        want = _check_response_method(
            getattr(est, _estimator_param(type(est))), est.chain_method
        ).__name__
    except (AttributeError, ValueError):
        want = None
    if method != want:
        raise changed_after_fit(est, "chain_method", None)
    return method


def multi_output_to_proto(est: Any, msg: pb.Estimator, ctx: EncodeCtx) -> set[str]:
    if not hasattr(est, "estimators_"):
        raise refuse_save(est, "it is not fitted; fit it first")
    members = list(est.estimators_)
    if not members:
        raise refuse_save(est, "it has no member (no output); fit it first")
    chain = isinstance(est, _CHAINS)
    if isinstance(est, _CLASSIFIERS):
        _check_classes(est, members)
    body = msg.multi_output
    body.SetInParent()
    body.kind = _KINDS[type(est)]
    if chain:
        body.order.extend(_order(est, len(members)))
        method = _chain_method(est)
        if method == _tree.PREDICT_LOG_PROBA:
            for i, member in enumerate(members):
                if not hasattr(member, "predict_log_proba"):
                    raise refuse_save(
                        est,
                        f"chain_method is 'predict_log_proba', and member {i} "
                        f"({type_name(member)}) has no predict_log_proba (scikit-learn's "
                        "predict raises); use chain_method='predict_proba'",
                    )
        body.chain_method = _CHAIN_METHODS[method]
    refused = len(ctx.refusals)
    for i, member in enumerate(members):
        body.members.add().CopyFrom(encode_estimator(member, ctx.child(f"estimators/{i}/")))
    # A MultiOutput*'s n_features_in_ is its first member's (absent when that one has none,
    # a pipeline starting with passthrough), a chain's its own; the body's is what the
    # members read.
    msg.n_features_in = int(getattr(est, "n_features_in_", 0)) or _schema.input_width(
        body.members[0]
    )
    if len(ctx.refusals) == refused:  # else the refused members are placeholders
        _check_body(est, msg, ctx)
    consumed = {_estimator_param(type(est)), "estimators_", "classes_", "order_", "chain_method_"}
    return consumed | (encode_splitter(est, msg, ctx) if chain else set())


def _check_body(est: Any, msg: pb.Estimator, ctx: EncodeCtx) -> None:
    """Rules 3-5 of section 24 on the fitted model, refused by name: what a chain's members
    give the chain method, then every other rule the body would break."""
    infos = {t.name: pb.TensorInfo(name=t.name, dtype=t.dtype, shape=t.shape) for t in ctx.tensors}
    checker = _tree._Checker(infos, None)
    body = msg.multi_output
    method = _tree.CHAIN_METHODS.get(body.chain_method)
    if method not in (None, _tree.PREDICT):
        need = _tree.DECISION_FUNCTION if method == _tree.DECISION_FUNCTION else _tree.PREDICT_PROBA
        width = 1 if need == _tree.DECISION_FUNCTION else 2
        for i, member in enumerate(body.members):
            if checker._output_columns(member, need) != width:
                raise refuse_save(
                    est,
                    f"chain_method is {method!r}, and member {i} does not give one {need} "
                    f"column per row{' pair' if width == 2 else ''} (a member fitted on one "
                    "class, or on three or more: scikit-learn's predict raises); use "
                    "chain_method='predict' or binary outputs",
                )
    try:
        checker.multi_output(msg, 1, "")
    except ModelError as e:
        raise refuse_save(
            est, f"the MultiOutput body cannot hold it: {e.message} (spec/estimators.md §24)"
        ) from None


# ---------------------------------------------------------------------------- loading


def _rebuilt_order(est: Any, body: pb.MultiOutput, name: str) -> Any:
    """`order_` as fit makes it of the `order` param, which must give the body's order: an
    int64 array for None, "random" and a tuple, the param itself for a list or an array."""
    order = [int(o) for o in body.order]
    param = est.order
    if param is None:
        value: Any = np.array(range(len(order)))
    elif isinstance(param, str):
        value = np.asarray(order, dtype=np.int64)
    elif isinstance(param, tuple):
        value = np.array(param)
    else:
        value = param
    arr = np.asarray(value)
    if arr.ndim != 1 or arr.dtype.kind not in "iu" or arr.tolist() != order:
        raise refuse(
            name,
            f"the order param {str(param)[:60]} makes order_ {str(value)[:60]}, and the body's "
            f"order is {order}",
        )
    return value


def _check_chains_with(cls: type, body: pb.MultiOutput, name: str) -> None:
    """A ClassifierChain of a scikit-learn without `chain_method` (before 1.5) chains with
    predict only: a body that chains with another method cannot be rebuilt there."""
    method = _tree.CHAIN_METHODS[body.chain_method]
    if cls is ClassifierChain and not _has_chain_method(cls) and method != _tree.PREDICT:
        raise refuse(
            name,
            f"the body chains with {method}, and this scikit-learn's ClassifierChain chains "
            "with predict only (chain_method is 1.5+)",
        )


def _rebuilt_chain_method(est: Any, body: pb.MultiOutput, name: str) -> None:
    """`chain_method_` where this scikit-learn has it: what fit resolves from the params,
    which must be the body's."""
    method = _tree.CHAIN_METHODS[body.chain_method]
    if not _has_chain_method(type(est)):
        return
    from sklearn.utils.validation import _check_response_method

    try:
        want = _check_response_method(
            getattr(est, _estimator_param(type(est))), est.chain_method
        ).__name__
    except (AttributeError, ValueError) as e:
        raise refuse(name, f"chain_method {est.chain_method!r}: {e}") from None
    if want != method:
        raise refuse(
            name,
            f"the body chains with {method}, and chain_method={est.chain_method!r} resolves "
            f"to {want}",
        )
    est.chain_method_ = want


def _without_default_chain_method(msg: pb.Estimator, cls: type) -> pb.Estimator:
    """`msg` without a `chain_method="predict"` param where this scikit-learn's class has no
    such param (before 1.5): the chain is the same, so it is dropped without a warning."""
    p = next((p for p in msg.params if p.name == "chain_method"), None)
    if p is None or _has_chain_method(cls) or p.value.string_value != _tree.PREDICT:
        return msg
    out = pb.Estimator()
    out.CopyFrom(msg)
    out.params.remove(next(q for q in out.params if q.name == "chain_method"))
    return out


def multi_output_from_proto(msg: pb.Estimator, ctx: DecodeCtx, cls: type) -> Any:
    body = msg.multi_output
    name = type_name(cls)
    if body.kind != _KINDS[cls]:
        raise refuse(
            name, f"its body is of kind {pb.MultiOutputKind.Name(body.kind)}, not {cls.__name__}'s"
        )
    fitted = [decode_estimator(e, ctx) for e in body.members]
    attrs = read_attributes(cls, msg, ctx, {})
    extra: dict[str, Any] = {_estimator_param(cls): clone(fitted[0])}
    chain = cls in _CHAINS
    if chain:
        _check_chains_with(cls, body, name)
        extra.update(decode_splitter(name, attrs))
        msg = _without_default_chain_method(msg, cls)
    est = build(cls, msg, ctx, attrs, **extra)
    est.estimators_ = fitted
    if cls in _CLASSIFIERS:
        est.classes_ = [m.classes_ for m in fitted]
    if chain:
        est.order_ = _rebuilt_order(est, body, name)
        if cls is ClassifierChain:
            _rebuilt_chain_method(est, body, name)
        return est
    # fit takes both from the first member, which may lack them.
    first = fitted[0]
    for attr in ("n_features_in_", "feature_names_in_"):
        if hasattr(first, attr):
            setattr(est, attr, getattr(first, attr))
        elif attr in vars(est):
            delattr(est, attr)
    return est


# Every fitted attribute comes from the body; a chain's cv splitter is an attribute of the
# file. ClassifierChain's chain_method (1.5+) is dropped by a version without it when it is
# "predict" (any other value is refused there: that version chains with predict only).
for _cls, _producer in (
    (MultiOutputClassifier, "sklearn.multioutput.MultiOutputClassifier"),
    (MultiOutputRegressor, "sklearn.multioutput.MultiOutputRegressor"),
    (ClassifierChain, "sklearn.multioutput.ClassifierChain"),
    (RegressorChain, "sklearn.multioutput.RegressorChain"),
):
    allow(
        _cls,
        {SPLITTER: splitter_rule} if _cls in _CHAINS else {},
        other_params=("chain_method",) if _cls is ClassifierChain else (),
    )
    register(
        _cls,
        _producer,
        "multi_output",
        multi_output_to_proto,
        lambda msg, ctx, cls=_cls: multi_output_from_proto(msg, ctx, cls),
    )
