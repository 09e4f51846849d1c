"""The scikit-learn bridge: one module per family, registered in `_common`'s tables."""

# hist_gradient_boosting must come after gradient_boosting (sorted order does it): its
# `boosting` loader hands the bodies that are not its own to the one registered before it.
from . import (  # noqa: F401  (registration side effects)
    ada_boost,
    bagging,
    binarizer,
    calibration,
    compose,
    encoders,
    feature_affine,
    function_transformer,
    gradient_boosting,
    hist_gradient_boosting,
    impute,
    isolation_forest,
    linear,
    multi_output,
    multiclass,
    normalizer,
    pipeline,
    scaler,
    search,
    stacking,
    target,
    threshold,
    tree,
    voting,
)
from ._common import FROM_PROTO, PRODUCERS, TO_PROTO, decode_estimator, encode_estimator

__all__ = ["FROM_PROTO", "PRODUCERS", "TO_PROTO", "decode_estimator", "encode_estimator"]
