"""SimpleImputer, MissingIndicator, KNNImputer <-> the `SimpleImputer`, `MissingIndicator`
and `KnnImputer` bodies (spec/estimators.md, "SimpleImputer", "MissingIndicator",
"KnnImputer"; sklearn/impute/_base.py, sklearn/impute/_knn.py).

What transform reads is in the body: `missing_values`, the fitted `statistics_` (one fill
per column, saved as they are, never recomputed), which columns transform drops, the
indicator's `features_`, KNNImputer's `_fit_X`, `_mask_fit_X`, `_valid_mask`, `n_neighbors`
and `weights`. A rebuild takes those from the body (a file that also carries one of them as
a param is refused, E_PROVENANCE) and restores the private state scikit-learn's transform
reads (`_fit_dtype`, `_fill_dtype`, the indicator's `_precomputed`, `_n_features`).
"""

from __future__ import annotations

import functools
import inspect
import math
import numbers
from typing import Any

import numpy as np
from sklearn.impute import KNNImputer, MissingIndicator, SimpleImputer

from .._errors import UnsupportedError
from .._proto.amber.v1 import amber_pb2 as pb
from ._common import (
    Bad,
    DecodeCtx,
    EncodeCtx,
    allow,
    build,
    described,
    read_attributes,
    refuse,
    register,
    type_name,
)

# ---------------------------------------------------------------------------- missing_values


def missing_to_proto(est: Any, value: Any, out: pb.MissingValue) -> None:
    """scikit-learn's `missing_values` -> MissingValue (spec: "Missing values")."""
    if value is None:
        out.none.SetInParent()
    elif isinstance(value, (bool, np.bool_)):
        raise UnsupportedError(f"{type_name(est)}(missing_values={value!r}) is not saved")
    elif isinstance(value, numbers.Integral):
        out.integer = int(value)
    elif isinstance(value, numbers.Real) and math.isnan(value):
        out.nan.SetInParent()
    elif isinstance(value, numbers.Real):
        out.number = float(value)
    elif type(value) is str:
        out.text = value
    else:
        raise UnsupportedError(
            f"{type_name(est)}(missing_values={value!r}): only NaN, a number, a string or "
            "None can be saved (pandas.NA cannot)"
        )


def missing_from_proto(m: pb.MissingValue) -> Any:
    kind = m.WhichOneof("kind")
    if kind == "nan":
        return np.nan
    if kind == "none":
        return None
    return getattr(m, kind)


# ---------------------------------------------------------------------------- MissingIndicator


def _indicator_body(ind: Any, out: pb.MissingIndicator, ctx: EncodeCtx, name: str) -> None:
    features = np.asarray(ind.features_)
    if features.dtype.kind not in "iu" or features.ndim != 1:
        raise UnsupportedError(f"{type_name(ind)}.features_ must be a vector of column indices")
    missing_to_proto(ind, ind.missing_values, out.missing_values)
    if features.size:
        out.features = ctx.tensor(name, features.astype(np.int64))
    out.error_on_new = bool(ind.error_on_new) and ind.features == "missing-only"


def _indicator_features(body: pb.MissingIndicator, ctx: DecodeCtx) -> np.ndarray:
    if not body.features:
        return np.zeros(0, dtype=np.int64)
    return ctx.array(body.features).astype(np.intp)


def indicator_to_proto(est: Any, msg: pb.Estimator, ctx: EncodeCtx) -> set[str]:
    if not hasattr(est, "features_"):
        raise UnsupportedError(f"cannot save an unfitted {type_name(est)}")
    if est.sparse is True:
        raise UnsupportedError(
            f"{type_name(est)}(sparse=True) outputs a sparse matrix; Amber saves the dense "
            "output (sparse='auto' or False on dense input)"
        )
    if getattr(est, "_precomputed", False):
        raise UnsupportedError(f"{type_name(est)} fitted on a precomputed mask is not saved")
    _indicator_body(est, msg.missing_indicator, ctx, "features_")
    return {"features_", "missing_values"}


def _indicator(
    missing_values: Any, features: np.ndarray, n_features: int, **params: Any
) -> MissingIndicator:
    ind = MissingIndicator(missing_values=missing_values, **params)
    ind.features_ = features
    ind._n_features = n_features
    return ind


def indicator_from_proto(msg: pb.Estimator, ctx: DecodeCtx) -> Any:
    body = msg.missing_indicator
    n = int(msg.n_features_in)
    features = _indicator_features(body, ctx)
    attrs = read_attributes(MissingIndicator, msg, ctx, {"n_features": n})
    mv = missing_from_proto(body.missing_values)
    est = build(MissingIndicator, msg, ctx, attrs, missing_values=mv)
    if est.features == "all" and not np.array_equal(features, np.arange(n)):
        raise refuse(type_name(MissingIndicator), "features='all' but the body lists fewer")
    if bool(body.error_on_new) != (est.error_on_new is True and est.features == "missing-only"):
        raise refuse(
            type_name(MissingIndicator),
            f"the body's error_on_new={body.error_on_new} is not what error_on_new="
            f"{est.error_on_new!r}, features={est.features!r} do",
        )
    est.features_ = features
    est._n_features = n
    est._precomputed = False
    return est


# ---------------------------------------------------------------------------- SimpleImputer


def _fill(est: Any, j: int, value: Any, out: pb.ImputerFill) -> None:
    if isinstance(value, str):  # str or numpy.str_
        out.text = str(value)
    elif isinstance(value, (bool, np.bool_)):
        raise UnsupportedError(f"{type_name(est)}.statistics_[{j}] is a bool: not saved")
    elif isinstance(value, numbers.Integral):
        out.integer = int(value)
    elif isinstance(value, numbers.Real):
        out.number = float(value)
    else:
        raise UnsupportedError(
            f"{type_name(est)}.statistics_[{j}] is {type(value).__name__}: only strings and "
            "numbers can be saved"
        )


#: scikit-learn before 1.4 kept every column of a constant-strategy imputer whatever its
#: statistic (`if self.strategy == "constant" or self.keep_empty_features`).
_CONSTANT_KEEPS_ALL = 'self.strategy == "constant" or self.keep_empty_features' in (
    inspect.getsource(SimpleImputer.transform)
)


def simple_to_proto(est: Any, msg: pb.Estimator, ctx: EncodeCtx) -> set[str]:
    if not hasattr(est, "statistics_"):
        raise UnsupportedError(f"cannot save an unfitted {type_name(est)}")
    if callable(est.strategy):
        raise UnsupportedError(
            f"{type_name(est)}(strategy=<callable>): a callable strategy cannot be saved; "
            "use mean, median, most_frequent or constant"
        )
    stats = est.statistics_
    if not isinstance(stats, np.ndarray) or stats.ndim != 1 or stats.dtype.kind not in "fO":
        raise UnsupportedError(f"{type_name(est)}.statistics_ must be a float64 or object vector")
    if stats.dtype.kind == "f" and stats.dtype != np.float64:
        raise UnsupportedError(
            f"{type_name(est)} fitted on {stats.dtype} data: Amber saves imputers fitted on "
            "float64, integer or object (string) data"
        )
    fit_dtype = np.dtype(est._fit_dtype)
    if fit_dtype.kind == "f" and fit_dtype != np.float64:
        # transform casts the fills to the input's dtype (statistics.astype(_fill_dtype)):
        # float32 fills are not the saved float64 statistics.
        raise UnsupportedError(
            f"{type_name(est)} fitted on {fit_dtype} data: Amber saves imputers fitted on "
            "float64, integer or object (string) data"
        )
    if np.dtype(getattr(est, "_fill_dtype", fit_dtype)) != fit_dtype:  # both X.dtype at fit
        raise UnsupportedError(f"{type_name(est)}: _fill_dtype differs from _fit_dtype")
    body = msg.simple_imputer
    missing_to_proto(est, est.missing_values, body.missing_values)
    for j, value in enumerate(stats.tolist()):
        _fill(est, j, value, body.fills.add())
    body.keep_nan_fills = bool(est.keep_empty_features) or (
        est.strategy == "constant" and _CONSTANT_KEEPS_ALL
    )
    body.object_statistics = stats.dtype.kind == "O"
    if est.indicator_ is not None:
        _indicator_body(est.indicator_, body.indicator, ctx, "indicator_/features_")
    msg.attributes.add(name="_fit_dtype").value.string_value = fit_dtype.str
    return {"statistics_", "indicator_", "missing_values", "add_indicator"}


def _dtype_rule(v: Any, facts: dict) -> None:
    if type(v) is not str or v not in ("<f8", "<i8", "<i4", "|O", "<u8", "<u4", "|u1", "|i1"):
        raise Bad(f"is {v!r}, not a numpy dtype Amber saves")


_DTYPE = described("a numpy dtype string: <f8, <i8, <i4, <u8, <u4, |u1, |i1 or |O")(_dtype_rule)


def _statistics(body: pb.SimpleImputer) -> np.ndarray:
    values = [getattr(f, f.WhichOneof("kind")) for f in body.fills]
    if body.object_statistics:
        out = np.empty(len(values), dtype=object)
        out[:] = values
        return out
    return np.asarray(values, dtype=np.float64)


@functools.cache
def _checks_fill_dtype() -> bool:
    """Whether this scikit-learn's `SimpleImputer._validate_input` checks transform's input
    against `_fill_dtype` (1.8+) rather than `statistics_.dtype` (before 1.8)."""
    return "_fill_dtype" in inspect.getsource(SimpleImputer._validate_input)


def simple_from_proto(msg: pb.Estimator, ctx: DecodeCtx) -> Any:
    body = msg.simple_imputer
    n = int(msg.n_features_in)
    attrs = read_attributes(SimpleImputer, msg, ctx, {"n_features": n})
    if "_fit_dtype" not in attrs:
        raise refuse(type_name(SimpleImputer), "the attribute _fit_dtype is absent")
    fit_dtype = np.dtype(attrs.pop("_fit_dtype"))
    stats = _statistics(body)
    texts = any(f.WhichOneof("kind") == "text" for f in body.fills)
    if texts and fit_dtype.kind != "O":
        raise refuse(type_name(SimpleImputer), f"string fills for {fit_dtype} input")
    if not body.object_statistics and fit_dtype.kind == "O":
        raise refuse(type_name(SimpleImputer), "object input needs object statistics")
    est = build(
        SimpleImputer,
        msg,
        ctx,
        attrs,
        missing_values=missing_from_proto(body.missing_values),
        add_indicator=body.HasField("indicator"),
    )
    _check_keep(est, body)
    if stats.dtype.kind == "O" and fit_dtype.kind != "O" and not _checks_fill_dtype():
        # 1.8+ keeps a numeric input's constant fills as objects and checks `_fill_dtype`;
        # before 1.8, transform checks `statistics_.dtype` against the input's and refuses
        # objects for numbers, where its own fit kept float64 fills: the same values.
        stats = stats.astype(np.float64)
    est.statistics_ = stats
    est._fit_dtype = fit_dtype
    est._fill_dtype = fit_dtype
    est.indicator_ = None
    if body.HasField("indicator"):
        est.indicator_ = _nested_indicator(est.missing_values, body.indicator, ctx, n)
    return est


def _check_keep(est: Any, body: pb.SimpleImputer) -> None:
    """The body's drop rule is what this scikit-learn's transform does with the params."""
    keeps = bool(est.keep_empty_features) or (est.strategy == "constant" and _CONSTANT_KEEPS_ALL)
    has_nan = any(f.WhichOneof("kind") == "number" and math.isnan(f.number) for f in body.fills)
    if has_nan and keeps != body.keep_nan_fills:
        what = "keeps" if body.keep_nan_fills else "drops"
        raise refuse(
            type_name(SimpleImputer),
            f"the body {what} the columns without a statistic, and this scikit-learn's "
            f"SimpleImputer(strategy={est.strategy!r}, keep_empty_features="
            f"{est.keep_empty_features}) does not",
        )


def _nested_indicator(mv: Any, body: pb.MissingIndicator, ctx: DecodeCtx, n: int) -> Any:
    if body.error_on_new:
        raise refuse(type_name(MissingIndicator), "an imputer's indicator has error_on_new=False")
    ind = _indicator(mv, _indicator_features(body, ctx), n, error_on_new=False)
    ind._precomputed = True
    ind.n_features_in_ = n
    return ind


# ---------------------------------------------------------------------------- KNNImputer

#: Since scikit-learn 1.6 (PR #29135) uniform weights leave out donors at a NaN distance.
_UNIFORM_SKIPS_NAN = "np.ones_like(donors_dist)" in inspect.getsource(KNNImputer._calc_impute)


def uniform_all_donors(dist: np.ndarray) -> np.ndarray:
    """KNNImputer's uniform weights before scikit-learn 1.6: 1 for every donor, those at a NaN
    distance too (a rebuild's `weights` where the installed version would leave them out)."""
    return np.ones_like(dist)


def uniform_defined_donors(dist: np.ndarray) -> np.ndarray:
    """KNNImputer's uniform weights from scikit-learn 1.6: 0 for a donor at a NaN distance,
    else 1 (a rebuild's `weights` where the installed version would count them)."""
    return np.where(np.isnan(dist), 0.0, 1.0)


#: The body's weights, and what a rebuild passes as `weights` to reproduce them here.
_WEIGHTS = {
    pb.KNN_WEIGHTS_DISTANCE: "distance",
    pb.KNN_WEIGHTS_UNIFORM: "uniform" if _UNIFORM_SKIPS_NAN else uniform_defined_donors,
    pb.KNN_WEIGHTS_UNIFORM_ALL: uniform_all_donors if _UNIFORM_SKIPS_NAN else "uniform",
}


def _weights_body(est: Any) -> int:
    if est.weights == "distance":
        return pb.KNN_WEIGHTS_DISTANCE
    if est.weights is uniform_all_donors:
        return pb.KNN_WEIGHTS_UNIFORM_ALL
    if est.weights is uniform_defined_donors:
        return pb.KNN_WEIGHTS_UNIFORM
    if est.weights == "uniform":
        return pb.KNN_WEIGHTS_UNIFORM if _UNIFORM_SKIPS_NAN else pb.KNN_WEIGHTS_UNIFORM_ALL
    raise UnsupportedError(
        f"{type_name(est)}(weights={est.weights!r}): only 'uniform' and 'distance' can be saved"
    )


def knn_to_proto(est: Any, msg: pb.Estimator, ctx: EncodeCtx) -> set[str]:
    if not hasattr(est, "_fit_X"):
        raise UnsupportedError(f"cannot save an unfitted {type_name(est)}")
    if est.metric != "nan_euclidean":
        raise UnsupportedError(
            f"{type_name(est)}(metric={est.metric!r}): only 'nan_euclidean' can be saved"
        )
    weights = _weights_body(est)
    if not isinstance(est._fit_X, np.ndarray) or est._fit_X.dtype != np.float64:
        raise UnsupportedError(f"{type_name(est)} fitted on non-float64 data is not saved")
    body = msg.knn_imputer
    missing_to_proto(est, est.missing_values, body.missing_values)
    if body.missing_values.WhichOneof("kind") not in ("nan", "number", "integer"):
        raise UnsupportedError(f"{type_name(est)}: missing_values must be NaN or a number")
    body.n_neighbors = int(est.n_neighbors)
    body.weights = weights
    body.fit_x = ctx.tensor("_fit_X", est._fit_X)
    body.mask_fit_x = ctx.tensor("_mask_fit_X", np.asarray(est._mask_fit_X, dtype=bool))
    body.valid_mask = ctx.tensor("_valid_mask", np.asarray(est._valid_mask, dtype=bool))
    body.n_valid = int(np.count_nonzero(est._valid_mask))
    body.keep_empty_features = bool(est.keep_empty_features)
    if est.indicator_ is not None:
        _indicator_body(est.indicator_, body.indicator, ctx, "indicator_/features_")
    return {
        "indicator_",
        "missing_values",
        "add_indicator",
        "n_neighbors",
        "weights",
        "keep_empty_features",
    }


def knn_from_proto(msg: pb.Estimator, ctx: DecodeCtx) -> Any:
    body = msg.knn_imputer
    n = int(msg.n_features_in)
    attrs = read_attributes(KNNImputer, msg, ctx, {"n_features": n})
    # A uniform weighting this scikit-learn does not do itself is passed as the callable
    # that does it (`_get_weights` calls it on the donors' distances).
    weights = _WEIGHTS[body.weights]
    est = build(
        KNNImputer,
        msg,
        ctx,
        attrs,
        missing_values=missing_from_proto(body.missing_values),
        add_indicator=body.HasField("indicator"),
        n_neighbors=int(body.n_neighbors),
        weights=weights,
        keep_empty_features=body.keep_empty_features,
    )
    est._fit_X = ctx.array(body.fit_x)
    est._mask_fit_X = ctx.array(body.mask_fit_x)
    est._valid_mask = ctx.array(body.valid_mask)
    est.indicator_ = None
    if body.HasField("indicator"):
        est.indicator_ = _nested_indicator(est.missing_values, body.indicator, ctx, n)
    return est


# ---------------------------------------------------------------------------- input kinds


# Their input kinds are registered in amber._schema (the validator needs no scikit-learn).

allow(SimpleImputer, {"_fit_dtype": _DTYPE})
allow(MissingIndicator, {})
allow(KNNImputer, {})
register(
    SimpleImputer,
    "sklearn.impute.SimpleImputer",
    "simple_imputer",
    simple_to_proto,
    simple_from_proto,
)
register(
    MissingIndicator,
    "sklearn.impute.MissingIndicator",
    "missing_indicator",
    indicator_to_proto,
    indicator_from_proto,
)
register(KNNImputer, "sklearn.impute.KNNImputer", "knn_imputer", knn_to_proto, knn_from_proto)
