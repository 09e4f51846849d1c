"""The scikit-learn bridge: one module per family, registered in `_common`'s tables."""

from . import linear, pipeline, scaler, tree  # noqa: F401  (registration side effects)
from ._common import FROM_PROTO, PRODUCERS, TO_PROTO, decode_estimator, encode_estimator

__all__ = ["FROM_PROTO", "PRODUCERS", "TO_PROTO", "decode_estimator", "encode_estimator"]
