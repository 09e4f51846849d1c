"""Binarizer <-> the `Binarizer` body.

transform is `1.0 if x > threshold else 0.0` (sklearn.preprocessing.binarize, dense
branch: `cond = X > threshold; X[cond] = 1; X[not_cond] = 0`), one comparison per value.
The threshold lives in the body only; a rebuild takes it from there (a file that also
carries it as a param is refused, E_PROVENANCE).
"""

from __future__ import annotations

from typing import Any

from sklearn.preprocessing import Binarizer

from .._errors import UnsupportedError
from .._proto.amber.v1 import amber_pb2 as pb
from ._common import DecodeCtx, EncodeCtx, allow, build, read_attributes, register, type_name


def binarizer_to_proto(est: Any, msg: pb.Estimator, ctx: EncodeCtx) -> set[str]:
    if not hasattr(est, "n_features_in_"):
        raise UnsupportedError(f"cannot save an unfitted {type_name(est)}")
    msg.binarizer.threshold = float(est.threshold)
    msg.binarizer.SetInParent()  # a threshold of 0.0 is still this body
    return {"threshold"}


def binarizer_from_proto(msg: pb.Estimator, ctx: DecodeCtx) -> Any:
    attrs = read_attributes(Binarizer, msg, ctx, {"n_features": int(msg.n_features_in)})
    return build(Binarizer, msg, ctx, attrs, threshold=msg.binarizer.threshold)


allow(Binarizer, {})
register(
    Binarizer,
    "sklearn.preprocessing.Binarizer",
    "binarizer",
    binarizer_to_proto,
    binarizer_from_proto,
)
