"""StandardScaler <-> the `StandardScaler` body.

transform is z = (x - mean_) / scale_ (sklearn.preprocessing.StandardScaler.transform:
`X -= self.mean_` if with_mean, then `X /= self.scale_` if with_std): two IEEE
operations, so every implementation gets bitwise-identical output. The body holds mean
only when it is subtracted and scale only when it divides; a mean_ computed but not
subtracted (with_mean=False) goes to the attributes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.preprocessing import StandardScaler

from .._errors import UnsupportedError
from .._proto.amber.v1 import amber_pb2 as pb
from ._common import (
    DecodeCtx,
    EncodeCtx,
    allow,
    array,
    build,
    none,
    optional,
    read_attributes,
    register,
    type_name,
)


def _f64(est: Any, name: str) -> np.ndarray | None:
    value = getattr(est, name, None)
    if value is not None and (
        not isinstance(value, np.ndarray) or value.dtype != np.float64 or value.ndim != 1
    ):
        raise UnsupportedError(f"{type_name(est)}.{name} must be a float64 vector")
    return value


def scaler_to_proto(est: Any, msg: pb.Estimator, ctx: EncodeCtx) -> set[str]:
    if not hasattr(est, "n_samples_seen_"):
        raise UnsupportedError(f"cannot save an unfitted {type_name(est)}")
    body = msg.standard_scaler
    consumed = set()
    mean, scale, var = _f64(est, "mean_"), _f64(est, "scale_"), _f64(est, "var_")
    if est.with_mean and mean is not None:
        body.mean = ctx.tensor("mean_", mean)
        consumed.add("mean_")
    if est.with_std and scale is not None:
        body.scale = ctx.tensor("scale_", scale)
        consumed.add("scale_")
    if var is not None:
        body.var = ctx.tensor("var_", var)
        consumed.add("var_")
    seen = np.asarray(est.n_samples_seen_)
    if seen.dtype.kind in "iu":
        seen = seen.astype(np.int64)
    if seen.dtype not in (np.int64, np.float64) or seen.ndim > 1:
        raise UnsupportedError(f"{type_name(est)}.n_samples_seen_ of dtype {seen.dtype}")
    body.n_samples_seen = ctx.tensor("n_samples_seen_", seen)
    consumed.add("n_samples_seen_")
    return consumed


def _n_features(msg: pb.Estimator, ctx: DecodeCtx) -> int:
    body = msg.standard_scaler
    for name in (body.mean, body.scale, body.var):
        if name:
            return int(ctx.view(name).shape[0])
    return int(msg.n_features_in)


def scaler_from_proto(msg: pb.Estimator, ctx: DecodeCtx) -> Any:
    body = msg.standard_scaler
    facts = {"n_features": _n_features(msg, ctx)}
    attrs = read_attributes(StandardScaler, msg, ctx, facts)
    est = build(StandardScaler, msg, ctx, attrs)
    for field, attr in (("mean", "mean_"), ("scale", "scale_"), ("var", "var_")):
        name = getattr(body, field)
        if name:
            setattr(est, attr, ctx.array(name))
        elif not hasattr(est, attr):
            setattr(est, attr, None)
    if body.n_samples_seen:
        seen = ctx.array(body.n_samples_seen)
        est.n_samples_seen_ = seen[()] if seen.ndim == 0 else seen
    # The body decides what transform does, whatever the params said.
    est.with_mean = bool(body.mean)
    est.with_std = bool(body.scale)
    return est


# What the writer leaves as attributes: what the body does not hold because transform does
# not use it (mean_ without with_mean; None for a scale_ or var_ not computed).
_VECTOR = array("f", ("n_features",))
allow(
    StandardScaler,
    {"mean_": optional(_VECTOR), "scale_": none, "var_": optional(_VECTOR)},
)
register(
    StandardScaler,
    "sklearn.preprocessing.StandardScaler",
    "standard_scaler",
    scaler_to_proto,
    scaler_from_proto,
)
