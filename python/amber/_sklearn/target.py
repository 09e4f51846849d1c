"""TransformedTargetRegressor <-> the `TransformedTarget` body: a regressor fitted on the
transformed target, whose predictions go back through the target transformer's
`inverse_transform` (spec/estimators.md section 26).

Mirrors sklearn/compose/_target.py (1.9.1; 1.3.2 keeps the same attributes): `fit` records
`_training_dim` (the target's ndim), fits `transformer_` on the target as a column matrix
(`_fit_transformer`: a clone of the `transformer` param, or `FunctionTransformer(func,
inverse_func, validate=True, check_inverse=check_inverse)`, which 1.9.1 sets to
`set_output(transform="default")`), and `regressor_` (a clone of `regressor`, or
`LinearRegression()` when it is None) on the transformed target, squeezed to 1-D when the
target was; `predict` is `transformer_.inverse_transform` of the regressor's predictions as
a column matrix, squeezed back when `_training_dim == 1`. `n_features_in_` is a property
(the regressor's), `feature_names_in_` the regressor's, set at fit.

The body keeps `regressor_`, `transformer_` and the squeeze. The params: `func` and
`inverse_func` are the body's (its transformer's functions) and `transformer` too when it
was given; a `transformer` param of None (the default) stays a param, which tells the
rebuild to make `func`/`inverse_func` of the body's FunctionTransformer; `regressor` is the
body's unless None (then fit used LinearRegression, which the body's must be). The rebuild
restores `regressor` (an unfitted clone of `regressor_`), `transformer` (an unfitted clone
of `transformer_`) or `func`/`inverse_func` (the numpy functions), `check_inverse`, and the
fitted `regressor_`, `transformer_`, `_training_dim` (1 with the squeeze, else 2) and
`feature_names_in_`.
"""

from __future__ import annotations

from typing import Any

from sklearn.base import clone
from sklearn.compose import TransformedTargetRegressor
from sklearn.linear_model import LinearRegression
from sklearn.preprocessing import FunctionTransformer

from .. import _schema, _tree
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
from .function_transformer import function_code, refuse_function
from .members import changed_after_fit, refuse_save, restore_feature_names

_PRODUCER = "sklearn.compose.TransformedTargetRegressor"


# ---------------------------------------------------------------------------- saving


def _built_from_functions(est: Any, t: Any) -> bool:
    """Whether `t` is the FunctionTransformer `_fit_transformer` builds from the params."""
    return (
        type(t) is FunctionTransformer
        and t.func is est.func
        and t.inverse_func is est.inverse_func
        and t.validate is True
        and t.accept_sparse is False
        and t.check_inverse == est.check_inverse
        and t.kw_args is None
        and t.inv_kw_args is None
        and t.feature_names_out is None
    )


def _check_fitted(est: Any) -> None:
    """The refusals of what the body does not describe, before anything is encoded."""
    if not hasattr(est, "regressor_") or not hasattr(est, "transformer_"):
        raise refuse_save(est, "it is not fitted; fit it first")
    if est._training_dim not in (1, 2):
        raise refuse_save(
            est,
            f"it was fitted on a {est._training_dim}-D target; the TransformedTarget body "
            "describes 1-D and 2-D targets",
        )
    if est.transformer is not None:
        if est.func is not None or est.inverse_func is not None:
            raise changed_after_fit(est, "func", "transformer and func are both set")
        if type(est.transformer_) is not type(est.transformer):
            raise changed_after_fit(est, "transformer", None)
    else:
        how = "use one of them, or a transformer (a scaler) with inverse_transform"
        for param in ("func", "inverse_func"):
            f = getattr(est, param)
            if function_code(f) is None:
                raise refuse_function(est, param, f, how)
        if not _built_from_functions(est, est.transformer_):
            raise changed_after_fit(est, "func", "transformer_ is not the one they make")
    default = LinearRegression if est.regressor is None else type(est.regressor)
    if type(est.regressor_) is not default:
        raise changed_after_fit(est, "regressor", None)


def _check_body(est: Any, msg: pb.Estimator, ctx: EncodeCtx) -> None:
    """Rules 1-3 of section 26 on the fitted model, refused by name: a regressor whose
    predict gives numbers, a transformer with an inverse Amber describes, of the
    regressor's output width."""
    infos = {t.name: pb.TensorInfo(name=t.name, dtype=t.dtype, shape=t.shape) for t in ctx.tensors}
    body = msg.transformed_target
    k = _tree.regressor_width(body.regressor, infos)
    if k is None:
        raise refuse_save(
            est,
            f"its regressor_ is a {type_name(est.regressor_)}, whose predict does not give "
            "numbers (a regressor's); the TransformedTarget body inverts a regressor's "
            "predictions",
        )
    if not _tree.has_inverse(body.transformer):
        raise refuse_save(
            est,
            f"its transformer_ is a {type_name(est.transformer_)}, which Amber saves without "
            "an inverse_transform: the TransformedTarget body inverts a FunctionTransformer, "
            "a StandardScaler, MinMaxScaler, MaxAbsScaler, RobustScaler or a Pipeline of "
            "them (spec/estimators.md section 26, rule 2)",
        )
    width = _schema.input_width(body.transformer)
    if width and width != k:
        raise refuse_save(
            est,
            f"its transformer_ reads {width} columns and its regressor_ predicts {k}: one "
            "of them was changed after fit; fit it again",
        )
    if not width:  # a pipeline of passthrough steps: the identity on k columns
        body.transformer.n_features_in = k


def transformed_target_to_proto(est: Any, msg: pb.Estimator, ctx: EncodeCtx) -> set[str]:
    _check_fitted(est)
    body = msg.transformed_target
    refused = len(ctx.refusals)
    body.regressor.CopyFrom(encode_estimator(est.regressor_, ctx.child("regressor/")))
    body.transformer.CopyFrom(encode_estimator(est.transformer_, ctx.child("transformer/")))
    body.squeeze = est._training_dim == 1
    # scikit-learn's n_features_in_ is the regressor's (absent when that one has none, a
    # pipeline starting with passthrough); the body's is what the regressor reads.
    msg.n_features_in = _schema.input_width(body.regressor)
    if len(ctx.refusals) == refused:  # else the refused parts are placeholders
        _check_body(est, msg, ctx)
    consumed = {"regressor_", "transformer_", "func", "inverse_func"}
    if est.transformer is not None:
        consumed.add("transformer")  # None (fit's FunctionTransformer) stays a param
    if est.regressor is not None:
        consumed.add("regressor")  # None (fit's LinearRegression) stays a param
    return consumed


# ---------------------------------------------------------------------------- loading


def _params(msg: pb.Estimator) -> set[str]:
    return {p.name for p in msg.params}


def transformed_target_from_proto(msg: pb.Estimator, ctx: DecodeCtx) -> Any:
    body = msg.transformed_target
    regressor = decode_estimator(body.regressor, ctx)
    transformer = decode_estimator(body.transformer, ctx)
    attrs = read_attributes(TransformedTargetRegressor, msg, ctx, {})
    given = _params(msg)
    extra: dict[str, Any] = {}
    if "regressor" not in given:
        extra["regressor"] = clone(regressor)
    functions = "transformer" in given  # transformer=None: fit built a FunctionTransformer
    if not functions:
        extra["transformer"] = clone(transformer)
    elif type(transformer) is FunctionTransformer:
        extra["func"], extra["inverse_func"] = transformer.func, transformer.inverse_func
    est = build(TransformedTargetRegressor, msg, ctx, attrs, **extra)
    if functions and not _built_from_functions(est, transformer):
        raise refuse(
            _PRODUCER,
            f"transformer is None, so fit made transformer_ a FunctionTransformer of func "
            f"and inverse_func (validate=True, check_inverse={est.check_inverse}), and the "
            f"body's transformer is {transformer!r:.200}",
        )
    if est.regressor is None and type(regressor) is not LinearRegression:
        raise refuse(
            _PRODUCER,
            f"regressor is None, so fit used a LinearRegression, and the body's regressor "
            f"is a {type_name(regressor)}",
        )
    est.regressor_ = regressor
    est.transformer_ = transformer
    est._training_dim = 1 if body.squeeze else 2
    # n_features_in_ is scikit-learn's property (the regressor's); feature_names_in_, which
    # fit copies from the regressor, is the body's (section 26, rule 1).
    restore_feature_names(est, msg.feature_names_in)
    return est


# Every fitted attribute comes from the body (`_training_dim` from its squeeze).
allow(TransformedTargetRegressor, {})
register(
    TransformedTargetRegressor,
    _PRODUCER,
    "transformed_target",
    transformed_target_to_proto,
    transformed_target_from_proto,
)
