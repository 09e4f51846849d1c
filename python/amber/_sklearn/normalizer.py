"""Normalizer <-> the `Normalizer` body.

transform divides each row by its norm (sklearn.preprocessing.normalize, dense branch:
l1 `sum(abs(X), axis=1)`, l2 `row_norms(X)`, max `max(abs(X), axis=1)`, then
`_handle_zeros_in_scale` and `X /= norms[:, None]`). The norm lives in the body only; a
rebuild takes it from there (a file that also carries it as a param is refused,
E_PROVENANCE).
"""

from __future__ import annotations

from typing import Any

from sklearn.preprocessing import Normalizer

from .._errors import UnsupportedError
from .._proto.amber.v1 import amber_pb2 as pb
from ._common import DecodeCtx, EncodeCtx, allow, build, read_attributes, register, type_name

_NORMS = {"l1": pb.NORMALIZER_NORM_L1, "l2": pb.NORMALIZER_NORM_L2, "max": pb.NORMALIZER_NORM_MAX}
_NAMES = {v: k for k, v in _NORMS.items()}


def normalizer_to_proto(est: Any, msg: pb.Estimator, ctx: EncodeCtx) -> set[str]:
    if not hasattr(est, "n_features_in_"):
        raise UnsupportedError(f"cannot save an unfitted {type_name(est)}")
    if est.norm not in _NORMS:
        raise UnsupportedError(f"{type_name(est)}(norm={est.norm!r}) is not a norm Amber knows")
    msg.normalizer.norm = _NORMS[est.norm]
    return {"norm"}


def normalizer_from_proto(msg: pb.Estimator, ctx: DecodeCtx) -> Any:
    attrs = read_attributes(Normalizer, msg, ctx, {"n_features": int(msg.n_features_in)})
    # Check 15 has refused an unknown norm (E_MODEL) before any rebuild.
    return build(Normalizer, msg, ctx, attrs, norm=_NAMES[msg.normalizer.norm])


allow(Normalizer, {})
register(
    Normalizer,
    "sklearn.preprocessing.Normalizer",
    "normalizer",
    normalizer_to_proto,
    normalizer_from_proto,
)
