"""Linear family: LinearRegression, Ridge, RidgeCV, LogisticRegression <-> the `Linear` body.

scores = X @ coef.T + intercept (sklearn.linear_model._base.LinearModel._decision_function
and LinearClassifierMixin.decision_function), then the link:
- LinearRegression, Ridge, RidgeCV: IDENTITY;
- LogisticRegression, binary: LOGISTIC (LinearClassifierMixin._predict_proba_lr);
- LogisticRegression, multiclass: SOFTMAX (multinomial, every solver but liblinear), or
  OVR_LOGISTIC on scikit-learn versions that still have multi_class='ovr' (or liblinear).
Arrays are stored with their exact shapes (coef_ [n] or [k, n], intercept_ [] or [k]),
so the rebuilt object is identical. A Python float intercept_ of 0.0 (fit_intercept=False
on regressors) is written as an absent intercept and restored as that float.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge, RidgeCV

from .._errors import AmberError, UnsupportedError
from .._proto.amber.v1 import amber_pb2 as pb
from ._common import (
    PRODUCERS,
    DecodeCtx,
    EncodeCtx,
    allow,
    array,
    build,
    integer,
    number,
    one_of,
    optional,
    read_attributes,
    refuse,
    register,
    string,
    type_name,
)

#: An attribute recording that coef_ ran along its first axis in memory (column-major, as
#: scikit-learn's multinomial LogisticRegression and Ridge's default solvers leave it): the
#: rebuild restores that layout, so that `X @ coef_.T` takes the same BLAS path (for one
#: row, numpy calls gemv, whose transposed and plain kernels sum in different orders).
COEF_ORDER = "coef_/order"

_REGRESSORS = {
    "sklearn.linear_model.LinearRegression": LinearRegression,
    "sklearn.linear_model.Ridge": Ridge,
    "sklearn.linear_model.RidgeCV": RidgeCV,
}
_CLASSIFIERS = {"sklearn.linear_model.LogisticRegression": LogisticRegression}


def logistic_link(est: Any) -> int:
    """The link scikit-learn's predict_proba uses for this fitted LogisticRegression."""
    n_classes = len(est.classes_)
    binary = n_classes <= 2
    multi_class = getattr(est, "multi_class", "auto")  # removed in scikit-learn 1.8
    if multi_class in ("deprecated", "warn"):
        multi_class = "auto"
    ovr = multi_class == "ovr" or (
        multi_class == "auto" and (binary or getattr(est, "solver", None) == "liblinear")
    )
    if ovr:
        return pb.LINEAR_LINK_LOGISTIC if binary else pb.LINEAR_LINK_OVR_LOGISTIC
    if binary:
        # Old scikit-learn: softmax over [-s, s]; no Amber link computes that.
        raise UnsupportedError(
            "cannot save a binary LogisticRegression with multi_class='multinomial'"
        )
    return pb.LINEAR_LINK_SOFTMAX


def _labels(classes: np.ndarray) -> pb.Labels:
    labels = pb.Labels()
    classes = np.asarray(classes)
    kind = classes.dtype.kind
    if kind in "iu" and (classes.size == 0 or int(classes.max()) < 2**63):
        labels.ints.values.extend(int(c) for c in classes)
    elif kind == "f":
        labels.floats.values.extend(float(c) for c in classes)
    elif kind == "U" or (kind == "O" and all(type(c) is str for c in classes)):
        labels.strings.values.extend(str(c) for c in classes)
    else:
        raise UnsupportedError(f"classes_ of dtype {classes.dtype} cannot be saved")
    return labels


def _classes(labels: pb.Labels) -> np.ndarray:
    kind = labels.WhichOneof("kind")
    values = list(getattr(labels, kind).values)
    if kind == "ints":
        return np.asarray(values, dtype=np.int64)
    if kind == "floats":
        return np.asarray(values, dtype=np.float64)
    return np.asarray(values, dtype=str)


def linear_to_proto(est: Any, msg: pb.Estimator, ctx: EncodeCtx) -> set[str]:
    if not hasattr(est, "coef_"):
        raise UnsupportedError(f"cannot save an unfitted {type_name(est)}")
    coef = est.coef_
    if not isinstance(coef, np.ndarray) or coef.dtype != np.float64 or coef.ndim not in (1, 2):
        raise UnsupportedError(f"{type_name(est)}.coef_ must be a float64 array of rank 1 or 2")
    body = msg.linear
    body.coef = ctx.tensor("coef_", coef)
    intercept = est.intercept_
    if type(intercept) is float and intercept == 0.0 and not np.signbit(intercept):
        pass  # absent: all zero, restored as the Python float 0.0
    else:
        arr = np.asarray(intercept)
        want = () if coef.ndim == 1 else (coef.shape[0],)
        if arr.dtype != np.float64 or arr.shape != want:
            raise UnsupportedError(
                f"{type_name(est)}.intercept_ of dtype {arr.dtype} and shape {arr.shape} "
                f"cannot be saved with coef_ of shape {coef.shape}"
            )
        body.intercept = ctx.tensor("intercept_", intercept)
    if _column_major(coef):
        msg.attributes.add(name=COEF_ORDER).value.string_value = "F"
    consumed = {"coef_", "intercept_"}
    if isinstance(est, LogisticRegression):
        body.link = logistic_link(est)
        body.classes.CopyFrom(_labels(est.classes_))
        consumed.add("classes_")
    else:
        body.link = pb.LINEAR_LINK_IDENTITY
    return consumed


def _column_major(coef: np.ndarray) -> bool:
    """Whether a 2-D coef_ has unit stride along its first axis and not its second."""
    if coef.ndim != 2 or coef.shape[0] < 2 or coef.shape[1] < 2:
        return False
    return coef.strides[0] == coef.itemsize and coef.strides[1] != coef.itemsize


def _class_for(msg: pb.Estimator) -> type:
    """The producer's class, which must fit the body's link (E_PROVENANCE otherwise)."""
    link = msg.linear.link
    cls = _REGRESSORS.get(msg.producer_type) or _CLASSIFIERS[msg.producer_type]
    regressor = msg.producer_type in _REGRESSORS
    if regressor != (link == pb.LINEAR_LINK_IDENTITY) or regressor == msg.linear.HasField(
        "classes"
    ):
        raise refuse(
            msg.producer_type,
            f"a {'regressor' if regressor else 'classifier'} cannot have a linear body with "
            f"link {pb.LinearLink.Name(link)}{'' if regressor else ' or without classes'}",
        )
    return cls


def _facts(msg: pb.Estimator, ctx: DecodeCtx) -> dict[str, Any]:
    coef = ctx.view(msg.linear.coef)
    return {
        "n_features": int(coef.shape[-1]) if coef.ndim else 0,
        "n_targets": int(coef.shape[0]) if coef.ndim == 2 else 1,
    }


def linear_from_proto(msg: pb.Estimator, ctx: DecodeCtx) -> Any:
    body = msg.linear
    cls = _class_for(msg)
    facts = _facts(msg, ctx)
    attrs = read_attributes(cls, msg, ctx, facts)
    est = build(cls, msg, ctx, attrs)
    est.coef_ = ctx.array(body.coef)
    if attrs.get(COEF_ORDER) == "F":
        if est.coef_.ndim != 2:
            raise refuse(type_name(cls), f"{COEF_ORDER} is for a 2-D coef_")
        est.coef_ = np.asfortranarray(est.coef_)
    if body.intercept:
        intercept = ctx.array(body.intercept)
        est.intercept_ = intercept[()] if intercept.ndim == 0 else intercept
    elif cls is LogisticRegression:
        est.intercept_ = np.zeros(1 if est.coef_.ndim == 1 else est.coef_.shape[0])
    else:
        est.intercept_ = 0.0
    if cls is LogisticRegression:
        est.classes_ = _classes(body.classes)
        if body.link == pb.LINEAR_LINK_LOGISTIC and est.coef_.ndim == 1:
            est.coef_ = est.coef_[None, :]
        got = logistic_link(est)
        if got != body.link:
            raise AmberError(
                "E_PROVENANCE",
                f"this scikit-learn's LogisticRegression would use {pb.LinearLink.Name(got)}, "
                f"the file says {pb.LinearLink.Name(body.link)}",
            )
    return est


# What the writer leaves as attributes (scikit-learn 1.3.2 .. 1.9.1): fit's diagnostics.
allow(
    LinearRegression,
    {
        COEF_ORDER: string("F"),
        "rank_": integer(0, "n_features", scalar=True),
        "singular_": array("f", (None,)),
    },
)
allow(
    Ridge,
    {
        COEF_ORDER: string("F"),
        "n_iter_": optional(array("iu", (None,))),
        "solver_": string("auto", "svd", "cholesky", "lsqr", "sparse_cg", "sag", "saga", "lbfgs"),
    },
)
# RidgeCV predicts as Ridge (LinearModel._decision_function); what its search found stays as
# attributes: the chosen alpha_ (one per target with alpha_per_target), best_score_, and the
# leave-one-out values with store_cv_results (1.5+; store_cv_values, cv_values_ before).
_PER_TARGET = one_of(number(finite=False), array("f", (None,)))
_CV_VALUES = optional(one_of(array("f", (None, None)), array("f", (None, None, None))))
# 1.5 renamed store_cv_values / cv_values_ to store_cv_results / cv_results_ (1.5 and 1.6 keep
# the old param as a "deprecated" placeholder and the old attribute as a property): a file of
# either naming loads under the installed version's names.
_CV_NEW = "store_cv_results" in RidgeCV._get_param_names()
_CV_ATTR = "cv_results_" if _CV_NEW else "cv_values_"
_CV_OLD = {"store_cv_values": "store_cv_results", "cv_values_": "cv_results_"}
allow(
    RidgeCV,
    {
        COEF_ORDER: string("F"),
        "alpha_": one_of(number(0.0, None), array("f", (None,), finite=True)),
        "best_score_": _PER_TARGET,
        _CV_ATTR: _CV_VALUES,
    },
    aliases=_CV_OLD if _CV_NEW else {new: old for old, new in _CV_OLD.items()},
    none_placeholders=("store_cv_results", "store_cv_values"),
)
allow(LogisticRegression, {COEF_ORDER: string("F"), "n_iter_": array("iu", (None,))})
register(
    LinearRegression,
    "sklearn.linear_model.LinearRegression",
    "linear",
    linear_to_proto,
    linear_from_proto,
)
register(Ridge, "sklearn.linear_model.Ridge", "linear", linear_to_proto, linear_from_proto)
register(RidgeCV, "sklearn.linear_model.RidgeCV", "linear", linear_to_proto, linear_from_proto)
register(
    LogisticRegression,
    "sklearn.linear_model.LogisticRegression",
    "linear",
    linear_to_proto,
    linear_from_proto,
)
assert set(_REGRESSORS) | set(_CLASSIFIERS) <= set(PRODUCERS)
