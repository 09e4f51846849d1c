"""FunctionTransformer <-> the `FunctionTransformer` body: a numpy function of a closed list
applied to every value, and its inverse (spec/estimators.md section 25).

Mirrors sklearn/preprocessing/_function_transformer.py (1.9.1; 1.3.2 keeps the same
attributes): `transform` is `func(X)` (`None` the identity), after `check_array` when
`validate` (NaN and infinity refused); `inverse_transform` is `inverse_func(X)`, likewise
checked. `fit` records `n_features_in_` (and `feature_names_in_` for a DataFrame) whether it
validates or not.

The body holds `func`, `inverse_func` and `validate`; the functions are named by the enum
`ElementwiseFunction`, never pickled, so any other callable (a lambda, a Python function,
another numpy function, a `functools.partial`) is refused by name, as are `kw_args` and
`inv_kw_args` that pass arguments and a callable `feature_names_out`. The rebuild restores
the numpy functions themselves as the params, `validate` from the body, the other params,
and `n_features_in_` and `feature_names_in_`. A FunctionTransformer never fitted has no
`n_features_in_`, which the body needs (every body reads a known number of columns): it is
refused, fit it first.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.preprocessing import FunctionTransformer

from .._proto.amber.v1 import amber_pb2 as pb
from ._common import (
    Bad,
    DecodeCtx,
    EncodeCtx,
    allow,
    build,
    described,
    read_attributes,
    register,
)
from .members import refuse_save

_PRODUCER = "sklearn.preprocessing.FunctionTransformer"

#: The closed list of section 25: the numpy functions (and None, the identity) a body names.
FUNCTIONS: dict[Any, int] = {
    None: pb.ELEMENTWISE_FUNCTION_IDENTITY,
    np.log: pb.ELEMENTWISE_FUNCTION_LOG,
    np.log1p: pb.ELEMENTWISE_FUNCTION_LOG1P,
    np.log2: pb.ELEMENTWISE_FUNCTION_LOG2,
    np.log10: pb.ELEMENTWISE_FUNCTION_LOG10,
    np.exp: pb.ELEMENTWISE_FUNCTION_EXP,
    np.expm1: pb.ELEMENTWISE_FUNCTION_EXPM1,
    np.exp2: pb.ELEMENTWISE_FUNCTION_EXP2,
    np.sqrt: pb.ELEMENTWISE_FUNCTION_SQRT,
    np.cbrt: pb.ELEMENTWISE_FUNCTION_CBRT,
    np.square: pb.ELEMENTWISE_FUNCTION_SQUARE,
    np.reciprocal: pb.ELEMENTWISE_FUNCTION_RECIPROCAL,
    np.negative: pb.ELEMENTWISE_FUNCTION_NEGATIVE,
    np.absolute: pb.ELEMENTWISE_FUNCTION_ABSOLUTE,
    np.sinh: pb.ELEMENTWISE_FUNCTION_SINH,
    np.arcsinh: pb.ELEMENTWISE_FUNCTION_ARCSINH,
}
#: ElementwiseFunction -> the numpy function (None for IDENTITY).
NUMPY = {code: f for f, code in FUNCTIONS.items()}
#: What a refusal names.
_LISTED = ", ".join("None" if f is None else f"np.{f.__name__}" for f in FUNCTIONS)


def function_code(f: Any) -> int | None:
    """The ElementwiseFunction of `f` (None, or one of the listed numpy ufuncs by identity);
    None when `f` is not on the list."""
    if f is None:
        return FUNCTIONS[None]
    if not isinstance(f, np.ufunc):
        return None
    for known, code in FUNCTIONS.items():
        if known is f:
            return code
    return None


def describe_function(f: Any) -> str:
    """`f` as a refusal names it: a numpy function as `np.<name>`, a function by its module
    and qualified name, anything else by its type."""
    name = getattr(f, "__name__", None)
    if isinstance(name, str) and getattr(np, name, None) is f:
        return f"np.{name}"
    qualname = getattr(f, "__qualname__", None)
    if isinstance(qualname, str):
        return f"{getattr(f, '__module__', None) or '?'}.{qualname} ({type(f).__name__})"
    return f"a {type(f).__name__}"


def refuse_function(est: Any, param: str, f: Any, how: str) -> Exception:
    return refuse_save(
        est,
        f"its {param} is {describe_function(f)}, which is not one of the numpy functions "
        f"the FunctionTransformer body names ({_LISTED}): Amber never saves code; {how}",
    )


# ---------------------------------------------------------------------------- saving


def _empty(kw: Any) -> bool:
    return kw is None or (isinstance(kw, dict) and not kw)


def function_to_proto(est: Any, msg: pb.Estimator, ctx: EncodeCtx) -> set[str]:
    how = "use one of them (kw_args cannot pass arguments)"
    for param in ("func", "inverse_func"):
        if function_code(getattr(est, param)) is None:
            raise refuse_function(est, param, getattr(est, param), how)
    for param in ("kw_args", "inv_kw_args"):
        if not _empty(getattr(est, param)):
            raise refuse_save(
                est,
                f"its {param} is {getattr(est, param)!r:.80}: the FunctionTransformer body "
                "applies each function to the values alone, with no arguments",
            )
    names_out = est.feature_names_out
    if names_out is not None and not (isinstance(names_out, str) and names_out == "one-to-one"):
        raise refuse_save(
            est,
            f"its feature_names_out is {describe_function(names_out)}: Amber never saves "
            "code; use None or 'one-to-one'",
        )
    if getattr(est, "n_features_in_", None) is None:
        raise refuse_save(
            est,
            "it is not fitted: it has no n_features_in_, and the FunctionTransformer body "
            "reads a known number of columns; fit it on data of the width it transforms",
        )
    body = msg.function_transformer
    body.func = function_code(est.func)
    body.inverse_func = function_code(est.inverse_func)
    body.validate = bool(est.validate)
    return {"func", "inverse_func", "validate"}


# ---------------------------------------------------------------------------- loading


def function_from_proto(msg: pb.Estimator, ctx: DecodeCtx) -> Any:
    body = msg.function_transformer
    attrs = read_attributes(FunctionTransformer, msg, ctx, {})
    extra = {
        "func": NUMPY[body.func],
        "inverse_func": NUMPY[body.inverse_func],
        "validate": bool(body.validate),
    }
    return build(FunctionTransformer, msg, ctx, attrs, **extra)


@described("None or an empty dict (the body passes no arguments)")
def _no_arguments(v: Any, facts: dict) -> None:
    if not _empty(v):
        raise Bad(f"is {str(v)[:60]}, not None or an empty dict")


@described("None or `one-to-one` (a callable is code, never saved)")
def _names_out(v: Any, facts: dict) -> None:
    if v is not None and not (type(v) is str and v == "one-to-one"):
        raise Bad(f"is {str(v)[:60]}, not None or 'one-to-one'")


# func, inverse_func and validate are the body's; no fitted attribute but n_features_in_
# and feature_names_in_, which the Estimator message holds.
allow(
    FunctionTransformer,
    {},
    params={
        "kw_args": _no_arguments,
        "inv_kw_args": _no_arguments,
        "feature_names_out": _names_out,
    },
)
register(
    FunctionTransformer,
    _PRODUCER,
    "function_transformer",
    function_to_proto,
    function_from_proto,
)
