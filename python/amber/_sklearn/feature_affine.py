"""MinMaxScaler, MaxAbsScaler, RobustScaler <-> the `FeatureAffine` body.

One body for the three: z = clip((((x - sub) / div) * mul) + add, lo, hi), each step
optional, in that order (spec/estimators.md, "FeatureAffine"). The dense transforms of
sklearn/preprocessing/_data.py map onto it as:

- MinMaxScaler: `X *= scale_; X += min_`, then `np.clip(X, *feature_range)` when `clip`
  (mul = scale_, add = min_, clip = feature_range);
- MaxAbsScaler: `X /= scale_`, then `np.clip(X, -1, 1)` when `clip` (1.9.1's param; div =
  scale_, clip = [-1, 1]);
- RobustScaler: `X -= center_` when with_centering, `X /= scale_` when with_scaling (sub =
  center_, div = scale_).

A rebuild takes everything transform reads from the body (scale_, min_, center_, clip and
the with_* flags) and refuses a body its class cannot express, or a clip range that is not
the class's own, with E_PROVENANCE.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.preprocessing import MaxAbsScaler, MinMaxScaler, RobustScaler

from .._errors import UnsupportedError
from .._proto.amber.v1 import amber_pb2 as pb
from ._common import (
    DecodeCtx,
    EncodeCtx,
    allow,
    array,
    build,
    integer,
    read_attributes,
    refuse,
    register,
    type_name,
)

_STEPS = ("sub", "div", "mul", "add")


def _f64(est: Any, name: str) -> np.ndarray:
    value = getattr(est, name, None)
    if not isinstance(value, np.ndarray) or value.dtype != np.float64 or value.ndim != 1:
        raise UnsupportedError(f"{type_name(est)}.{name} must be a float64 vector")
    return value


def _fitted(est: Any) -> None:
    if not hasattr(est, "n_samples_seen_"):
        raise UnsupportedError(f"cannot save an unfitted {type_name(est)}")


def minmax_to_proto(est: Any, msg: pb.Estimator, ctx: EncodeCtx) -> set[str]:
    _fitted(est)
    body = msg.feature_affine
    body.mul = ctx.tensor("scale_", _f64(est, "scale_"))
    body.add = ctx.tensor("min_", _f64(est, "min_"))
    if est.clip:
        lo, hi = float(est.feature_range[0]), float(est.feature_range[1])
        if (lo == 0.0 and np.signbit(lo)) or (hi == 0.0 and np.signbit(hi)):
            # Clip.lo and .hi have no presence: -0.0 is written as absent and reads as +0.0
            # (spec/format.md section 4), which a clipped zero would show.
            raise UnsupportedError("feature_range holds -0.0, which the Clip body cannot keep")
        body.clip.lo, body.clip.hi = lo, hi
    return {"scale_", "min_"}


def maxabs_to_proto(est: Any, msg: pb.Estimator, ctx: EncodeCtx) -> set[str]:
    _fitted(est)
    body = msg.feature_affine
    body.div = ctx.tensor("scale_", _f64(est, "scale_"))
    if getattr(est, "clip", False):
        body.clip.lo, body.clip.hi = -1.0, 1.0
    return {"scale_"}


def robust_to_proto(est: Any, msg: pb.Estimator, ctx: EncodeCtx) -> set[str]:
    if not hasattr(est, "scale_"):
        raise UnsupportedError(f"cannot save an unfitted {type_name(est)}")
    body = msg.feature_affine
    body.SetInParent()  # an empty body (neither option) is still this body
    if est.with_centering:
        body.sub = ctx.tensor("center_", _f64(est, "center_"))
    if est.with_scaling:
        body.div = ctx.tensor("scale_", _f64(est, "scale_"))
    return {"center_", "scale_"}


def _steps(cls: type, msg: pb.Estimator, allowed: tuple[str, ...]) -> dict[str, str]:
    """The body's steps, refusing one `cls`'s transform does not do."""
    body = msg.feature_affine
    present = {f: getattr(body, f) for f in _STEPS if getattr(body, f)}
    extra = sorted(set(present) - set(allowed))
    if extra:
        raise refuse(type_name(cls), f"its transform has no {'/'.join(extra)} step")
    return present


def _clip(cls: type, msg: pb.Estimator) -> tuple[float, float] | None:
    body = msg.feature_affine
    return (body.clip.lo, body.clip.hi) if body.HasField("clip") else None


def minmax_from_proto(msg: pb.Estimator, ctx: DecodeCtx) -> Any:
    steps = _steps(MinMaxScaler, msg, ("mul", "add"))
    if set(steps) != {"mul", "add"}:
        raise refuse(type_name(MinMaxScaler), "the body needs both mul (scale_) and add (min_)")
    facts = {"n_features": int(msg.n_features_in)}
    attrs = read_attributes(MinMaxScaler, msg, ctx, facts)
    est = build(MinMaxScaler, msg, ctx, attrs)
    est.scale_ = ctx.array(steps["mul"])
    est.min_ = ctx.array(steps["add"])
    pair = est.feature_range
    numbers = isinstance(pair, (tuple, list)) and all(
        isinstance(b, (int, float)) and not isinstance(b, bool) for b in pair
    )
    if not (numbers and len(pair) == 2):
        # scikit-learn's constraint is only `tuple`: fit (and clip) unpack two numbers.
        raise refuse(
            type_name(MinMaxScaler),
            f"feature_range {pair!r:.80} is not a pair of numbers (min, max)",
        )
    clip = _clip(MinMaxScaler, msg)
    if clip is not None:
        lo, hi = pair
        if (float(lo), float(hi)) != clip:
            raise refuse(
                type_name(MinMaxScaler),
                f"the body clips to {list(clip)}, its feature_range is {est.feature_range!r}",
            )
    est.clip = clip is not None
    return est


def maxabs_from_proto(msg: pb.Estimator, ctx: DecodeCtx) -> Any:
    steps = _steps(MaxAbsScaler, msg, ("div",))
    if "div" not in steps:
        raise refuse(type_name(MaxAbsScaler), "the body needs div (scale_)")
    facts = {"n_features": int(msg.n_features_in)}
    attrs = read_attributes(MaxAbsScaler, msg, ctx, facts)
    est = build(MaxAbsScaler, msg, ctx, attrs)
    est.scale_ = ctx.array(steps["div"])
    clip = _clip(MaxAbsScaler, msg)
    can_clip = "clip" in MaxAbsScaler._get_param_names()
    if clip is not None and (clip != (-1.0, 1.0) or not can_clip):
        why = "this scikit-learn's MaxAbsScaler has no clip" if not can_clip else "not [-1, 1]"
        raise refuse(type_name(MaxAbsScaler), f"the body clips to {list(clip)} ({why})")
    if can_clip:
        est.clip = clip is not None
    return est


def robust_from_proto(msg: pb.Estimator, ctx: DecodeCtx) -> Any:
    steps = _steps(RobustScaler, msg, ("sub", "div"))
    if _clip(RobustScaler, msg) is not None:
        raise refuse(type_name(RobustScaler), "its transform does not clip")
    facts = {"n_features": int(msg.n_features_in)}
    attrs = read_attributes(RobustScaler, msg, ctx, facts)
    est = build(RobustScaler, msg, ctx, attrs)
    est.center_ = ctx.array(steps["sub"]) if "sub" in steps else None
    est.scale_ = ctx.array(steps["div"]) if "div" in steps else None
    # The body decides what transform does, whatever the params said.
    est.with_centering = "sub" in steps
    est.with_scaling = "div" in steps
    return est


# What the writer leaves as attributes: the fit statistics transform does not read.
_VECTOR = array("f", ("n_features",))
_SEEN = integer(1, 1 << 62, scalar=True)
allow(
    MinMaxScaler,
    {"data_min_": _VECTOR, "data_max_": _VECTOR, "data_range_": _VECTOR, "n_samples_seen_": _SEEN},
)
allow(MaxAbsScaler, {"max_abs_": _VECTOR, "n_samples_seen_": _SEEN}, other_params=("clip",))
allow(RobustScaler, {})
for _cls, _to, _from in (
    (MinMaxScaler, minmax_to_proto, minmax_from_proto),
    (MaxAbsScaler, maxabs_to_proto, maxabs_from_proto),
    (RobustScaler, robust_to_proto, robust_from_proto),
):
    register(_cls, f"sklearn.preprocessing.{_cls.__name__}", "feature_affine", _to, _from)
