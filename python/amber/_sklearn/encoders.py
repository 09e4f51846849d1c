"""OneHotEncoder, OrdinalEncoder, TargetEncoder <-> the `OneHotEncoder`, `OrdinalEncoder`,
`TargetEncoder` bodies.

Both find each cell's category among `categories_[i]` and map it through the infrequent
grouping (sklearn/preprocessing/_encoders.py, `_BaseEncoder._transform` and
`_map_infrequent_categories`, over sklearn/utils/_encode.py). The bodies hold what
transform reads: per column the categories (a `Categories` message: numbers or strings,
then None, then NaN, in scikit-learn's order), the infrequent indices
(`_infrequent_indices`), for OneHotEncoder the dropped output (`_drop_idx_after_grouping`)
and the unknown rule, for OrdinalEncoder the unknown and missing values; the output dtype.

A rebuild sets those attributes and derives the others with scikit-learn's own code
(`_check_infrequent_enabled`, `_set_drop_idx`, `_compute_n_features_outs`), then checks
that the params say what the body says (E_PROVENANCE otherwise): the same drop indices,
the same handle_unknown, infrequent groups only where min_frequency/max_categories enable
them. The `categories` and `drop` params are saved as lists of plain values (arrays become
lists); `dtype` lives in the body only.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np
import sklearn
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, TargetEncoder

from .._errors import UnsupportedError
from .._proto.amber.v1 import amber_pb2 as pb
from ._common import (
    DecodeCtx,
    EncodeCtx,
    allow,
    build,
    decode_value,
    encode_value,
    read_attributes,
    refuse,
    register,
    string,
    type_name,
)
from .linear import _classes, _labels

#: The output dtypes an encoder body holds (spec/estimators.md, "OneHotEncoder" rule 5).
_OUTPUT = {
    np.dtype(np.float64): pb.DTYPE_F64,
    np.dtype(np.float32): pb.DTYPE_F32,
    np.dtype(np.int64): pb.DTYPE_I64,
    np.dtype(np.int32): pb.DTYPE_I32,
}
_OUTPUT_TYPES = {
    pb.DTYPE_F64: np.float64,
    pb.DTYPE_F32: np.float32,
    pb.DTYPE_I64: np.int64,
    pb.DTYPE_I32: np.int32,
}
#: numpy dtypes of numeric categories ("Categories" rule 3).
_CATEGORY_DTYPES = {
    np.dtype(np.float64): pb.DTYPE_F64,
    np.dtype(np.float32): pb.DTYPE_F32,
    np.dtype(np.int64): pb.DTYPE_I64,
    np.dtype(np.int32): pb.DTYPE_I32,
    np.dtype(np.uint8): pb.DTYPE_U8,
    np.dtype(np.uint32): pb.DTYPE_U32,
    np.dtype(np.uint64): pb.DTYPE_U64,
    np.dtype(np.bool_): pb.DTYPE_BOOL,
}
_CATEGORY_NUMPY = {v: k for k, v in _CATEGORY_DTYPES.items()}
_EXACT_INT = 2**53


@functools.cache
def _warn_rule() -> int | None:
    """What this scikit-learn's `handle_unknown="warn"` (1.6+) does with an unknown category
    where infrequent ones exist: 1.8+ encodes it as infrequent (as "infrequent_if_exist"),
    1.6 and 1.7 as zeros (`_map_infrequent_categories` tests for "infrequent_if_exist"
    only). Measured on a two-category fit; None where "warn" is not an option."""
    import warnings

    enc = OneHotEncoder(handle_unknown="warn", min_frequency=2, sparse_output=False)
    try:
        enc.fit(np.array([["a"], ["a"], ["b"]], dtype=object))
    except (ValueError, TypeError):
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        row = enc.transform(np.array([["c"]], dtype=object))
    return pb.ONE_HOT_UNKNOWN_INFREQUENT if row.any() else pb.ONE_HOT_UNKNOWN_ZEROS


_ONE_HOT_UNKNOWN = {
    "error": pb.ONE_HOT_UNKNOWN_ERROR,
    "ignore": pb.ONE_HOT_UNKNOWN_ZEROS,
    "infrequent_if_exist": pb.ONE_HOT_UNKNOWN_INFREQUENT,
}


def _unknown_rule(handle_unknown: Any) -> int | None:
    """The body's unknown rule for this scikit-learn's `handle_unknown`."""
    if handle_unknown == "warn":
        return _warn_rule()
    return _ONE_HOT_UNKNOWN.get(handle_unknown)


_ONE_HOT_UNKNOWN_NAME = {
    pb.ONE_HOT_UNKNOWN_ERROR: "error",
    pb.ONE_HOT_UNKNOWN_ZEROS: "ignore",
    pb.ONE_HOT_UNKNOWN_INFREQUENT: "infrequent_if_exist",
}


def _is_nan(v: Any) -> bool:
    return isinstance(v, (float, np.floating)) and math.isnan(v)


# ---------------------------------------------------------------------------- categories


def categories_to_proto(cats: np.ndarray, where: str) -> pb.Categories:
    """`categories_[i]` -> a Categories message (E_UNSUPPORTED for what it cannot hold)."""
    msg = pb.Categories()
    if cats.dtype.kind in "biuf":
        _numeric_to_proto(cats, msg, where)
    elif cats.dtype.kind == "U":
        msg.kind = pb.CATEGORY_KIND_STRING
        msg.strings.extend(str(s) for s in cats)
        msg.str_width = max(cats.dtype.itemsize // 4, 1)
    elif cats.dtype.kind == "O":
        _objects_to_proto(list(cats), msg, where)
    else:
        raise UnsupportedError(f"{where}: categories of dtype {cats.dtype} cannot be saved")
    if not msg.numbers and not msg.strings and not msg.has_none and not msg.has_nan:
        raise UnsupportedError(f"{where}: a column without categories cannot be saved")
    return msg


def _numeric_to_proto(cats: np.ndarray, msg: pb.Categories, where: str) -> None:
    code = _CATEGORY_DTYPES.get(cats.dtype)
    if code is None:
        raise UnsupportedError(
            f"{where}: numeric categories of dtype {cats.dtype} cannot be saved (Amber saves "
            "float64, float32, int64, int32, uint8, uint32, uint64 and bool ones)"
        )
    values = cats.astype(np.float64)
    if cats.dtype.kind in "iu" and np.any(np.abs(cats.astype(object)) > _EXACT_INT):
        raise UnsupportedError(f"{where}: integer categories beyond 2^53 cannot be saved")
    if values.size and np.isnan(values[-1]):
        msg.has_nan = True
        values = values[:-1]
    if not np.all(np.isfinite(values)) or np.any(values[1:] <= values[:-1]):
        raise UnsupportedError(
            f"{where}: numeric categories must be finite and ascending (NaN last) to be saved"
        )
    msg.kind = pb.CATEGORY_KIND_NUMERIC
    msg.numbers.extend(float(v) for v in values)
    msg.dtype = code


def _objects_to_proto(items: list, msg: pb.Categories, where: str) -> None:
    if items and _is_nan(items[-1]):
        msg.has_nan = True
        items = items[:-1]
    if items and items[-1] is None:
        msg.has_none = True
        items = items[:-1]
    for v in items:
        if not isinstance(v, str):
            raise UnsupportedError(
                f"{where}: a category {v!r} of type {type(v).__name__} in an object column "
                "cannot be saved: Amber saves strings (with None and NaN last) or numbers in "
                "a numeric dtype; fit on a numeric column or on strings"
            )
    msg.kind = pb.CATEGORY_KIND_STRING
    msg.strings.extend(str(v) for v in items)
    # pandas' str columns give numpy.str_ objects; a mix is saved as str.
    msg.numpy_strings = bool(items) and all(type(v) is np.str_ for v in items)


def categories_from_proto(msg: pb.Categories) -> np.ndarray:
    """The `categories_[i]` array a Categories message describes (its rules checked)."""
    if msg.kind == pb.CATEGORY_KIND_NUMERIC:
        values = list(msg.numbers) + ([math.nan] if msg.has_nan else [])
        return np.array(values, dtype=np.float64).astype(_CATEGORY_NUMPY[msg.dtype])
    if msg.str_width:
        return np.array(list(msg.strings), dtype=f"<U{msg.str_width}")
    items: list[Any] = [np.str_(v) for v in msg.strings] if msg.numpy_strings else list(msg.strings)
    if msg.has_none:
        items.append(None)
    if msg.has_nan:
        items.append(np.nan)
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out


# ---------------------------------------------------------------------------- shared steps


def _plain(v: Any) -> Any:
    """A param value as plain Python values (numpy arrays and scalars -> lists, items)."""
    if isinstance(v, np.ndarray):
        return [_plain(x) for x in v.tolist()]
    if isinstance(v, (list, tuple)):
        return type(v)(_plain(x) for x in v)
    if isinstance(v, np.generic):
        return v.item()
    return v


def _params(est: Any, msg: pb.Estimator, ctx: EncodeCtx, body: set[str]) -> set[str]:
    """Writes every param but those in `body` (sorted by name, plain values); returns them
    all as consumed."""
    params = est.get_params(deep=False)
    for name, value in sorted(params.items()):
        if name in body:
            continue
        if name in ("categories", "drop"):
            value = _plain(value)
        msg.params.add(name=name, value=encode_value(value, f"params/{name}", ctx))
    return set(params)


def _output_dtype(est: Any) -> int:
    try:
        dtype = np.dtype(est.dtype)
    except TypeError:
        dtype = None
    if dtype not in _OUTPUT:
        raise UnsupportedError(
            f"{type_name(est)}(dtype={est.dtype!r}) cannot be saved: Amber saves the output "
            "dtypes float64, float32, int64 and int32"
        )
    return _OUTPUT[dtype]


def _fitted(est: Any) -> None:
    if not hasattr(est, "categories_"):
        raise UnsupportedError(f"cannot save an unfitted {type_name(est)}")


def _infrequent(est: Any) -> list:
    if getattr(est, "_infrequent_enabled", False):
        return list(est._infrequent_indices)
    return [None] * len(est.categories_)


def _add_feature(features: Any, est: Any, i: int, infrequent: Any) -> Any:
    f = features.add()
    f.categories.CopyFrom(categories_to_proto(est.categories_[i], f"{type_name(est)} column {i}"))
    if infrequent is not None:
        f.infrequent.extend(int(j) for j in infrequent)
    return f


def _restore_infrequent(est: Any, features: Any, n_cats: list[int]) -> None:
    """`_infrequent_enabled` from the params, `_infrequent_indices` and
    `_default_to_infrequent_mappings` from the body (scikit-learn's
    `_fit_infrequent_category_mapping`)."""
    est._check_infrequent_enabled()
    groups = [list(f.infrequent) for f in features]
    if not est._infrequent_enabled:
        if any(groups):
            raise refuse(
                type_name(est),
                "the body groups infrequent categories, and neither min_frequency nor "
                "max_categories is set",
            )
        return
    est._infrequent_indices = [np.array(g, dtype=np.intp) if g else None for g in groups]
    mappings = []
    for g, n in zip(groups, n_cats):
        if not g:
            mappings.append(None)
            continue
        mapping = np.empty(n, dtype=np.int64)
        n_frequent = n - len(g)
        mapping[g] = n_frequent
        mapping[np.setdiff1d(np.arange(n), g)] = np.arange(n_frequent)
        mappings.append(mapping)
    est._default_to_infrequent_mappings = mappings


def _restore_features(est: Any, msg: pb.Estimator, features: Any) -> None:
    if len(features) != msg.n_features_in:
        raise refuse(type_name(est), "the body has not one column per input feature")
    est.categories_ = [categories_from_proto(f.categories) for f in features]


# ---------------------------------------------------------------------------- OneHotEncoder


def one_hot_to_proto(est: Any, msg: pb.Estimator, ctx: EncodeCtx) -> set[str]:
    _fitted(est)
    body = msg.one_hot_encoder
    body.SetInParent()
    drops = getattr(est, "_drop_idx_after_grouping", None)
    for i, infrequent in enumerate(_infrequent(est)):
        f = _add_feature(body.features, est, i, infrequent)
        if drops is not None and drops[i] is not None:
            f.drop = int(drops[i])
    unknown = _unknown_rule(est.handle_unknown)
    if unknown is None:
        raise UnsupportedError(f"{type_name(est)}(handle_unknown={est.handle_unknown!r})")
    body.unknown = unknown
    body.dtype = _output_dtype(est)
    return _params(est, msg, ctx, {"dtype"}) | {"categories_", "drop_idx_"}


def one_hot_from_proto(msg: pb.Estimator, ctx: DecodeCtx) -> Any:
    body = msg.one_hot_encoder
    attrs = read_attributes(OneHotEncoder, msg, ctx, {"n_features": int(msg.n_features_in)})
    est = build(OneHotEncoder, msg, ctx, attrs, dtype=_OUTPUT_TYPES[body.dtype])
    name = type_name(OneHotEncoder)
    given = [decode_value(p.value, ctx) for p in msg.params if p.name == "handle_unknown"]
    if not given or (given == ["warn"] and _unknown_rule(est.handle_unknown) != body.unknown):
        # No param, or another version's "warn" that this version reads otherwise (or not
        # at all): the explicit option that computes the body's rule.
        est.handle_unknown = _ONE_HOT_UNKNOWN_NAME[body.unknown]
    if _unknown_rule(est.handle_unknown) != body.unknown:
        raise refuse(
            name,
            f"handle_unknown={est.handle_unknown!r}, and the body's unknown rule is "
            f"{pb.OneHotUnknown.Name(body.unknown)}",
        )
    _restore_features(est, msg, body.features)
    _restore_infrequent(est, body.features, [len(c) for c in est.categories_])
    try:
        est._set_drop_idx()
    except (ValueError, TypeError) as e:
        raise refuse(name, f"its drop param does not fit the body's categories ({e})") from None
    after = est._drop_idx_after_grouping
    derived = [None] * len(body.features) if after is None else list(after)
    stored = [int(f.drop) if f.HasField("drop") else None for f in body.features]
    if [None if d is None else int(d) for d in derived] != stored:
        raise refuse(name, f"drop={est.drop!r} drops {derived}, and the body drops {stored}")
    est._n_features_outs = est._compute_n_features_outs()
    return est


# ---------------------------------------------------------------------------- OrdinalEncoder


def ordinal_to_proto(est: Any, msg: pb.Estimator, ctx: EncodeCtx) -> set[str]:
    _fitted(est)
    body = msg.ordinal_encoder
    body.SetInParent()
    for i, infrequent in enumerate(_infrequent(est)):
        f = _add_feature(body.features, est, i, infrequent)
        missing = getattr(est, "_missing_indices", {}).get(i)
        if missing is not None and not (
            f.categories.has_nan and missing == len(est.categories_[i]) - 1
        ):
            raise UnsupportedError(f"{type_name(est)} column {i}: NaN must be its last category")
    if est.handle_unknown == "use_encoded_value":
        body.unknown = pb.ORDINAL_UNKNOWN_VALUE
        body.unknown_value = _integer_or_nan(est, "unknown_value", est.unknown_value)
    elif est.handle_unknown == "error":
        body.unknown = pb.ORDINAL_UNKNOWN_ERROR
    else:
        raise UnsupportedError(f"{type_name(est)}(handle_unknown={est.handle_unknown!r})")
    body.encoded_missing_value = _integer_or_nan(
        est, "encoded_missing_value", est.encoded_missing_value
    )
    body.dtype = _output_dtype(est)
    consumed = {"dtype", "handle_unknown", "unknown_value", "encoded_missing_value"}
    return _params(est, msg, ctx, consumed) | {"categories_"}


def _integer_or_nan(est: Any, name: str, v: Any) -> float:
    if _is_nan(v):
        return math.nan
    integer = isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))
    if integer and abs(int(v)) <= _EXACT_INT:
        return float(v)
    raise UnsupportedError(
        f"{type_name(est)}({name}={v!r}): Amber saves integers up to 2^53 or NaN"
    )


def _int_or_nan(v: float) -> Any:
    return np.nan if math.isnan(v) else int(v)


def ordinal_from_proto(msg: pb.Estimator, ctx: DecodeCtx) -> Any:
    body = msg.ordinal_encoder
    attrs = read_attributes(OrdinalEncoder, msg, ctx, {"n_features": int(msg.n_features_in)})
    value = body.unknown == pb.ORDINAL_UNKNOWN_VALUE
    est = build(
        OrdinalEncoder,
        msg,
        ctx,
        attrs,
        dtype=_OUTPUT_TYPES[body.dtype],
        handle_unknown="use_encoded_value" if value else "error",
        unknown_value=_int_or_nan(body.unknown_value) if value else None,
        encoded_missing_value=_int_or_nan(body.encoded_missing_value),
    )
    _restore_features(est, msg, body.features)
    nan = {
        i: len(c) - 1
        for i, (c, f) in enumerate(zip(est.categories_, body.features))
        if f.categories.has_nan
    }
    _restore_infrequent(
        est, body.features, [len(c) - (i in nan) for i, c in enumerate(est.categories_)]
    )
    est._missing_indices = nan
    return est


# ---------------------------------------------------------------------------- TargetEncoder
#
# transform only (sklearn/preprocessing/_target_encoder.py, `transform` and
# `_transform_X_ordinal`): each column's k encodings of its category, `target_mean_` for an
# unknown one. fit_transform's cross fitting is a training-time method, not saved.

_TARGET_TYPES = ("binary", "continuous", "multiclass")
_SKLEARN = tuple(int(p) for p in sklearn.__version__.split(".")[:2])


def target_to_proto(est: Any, msg: pb.Estimator, ctx: EncodeCtx) -> set[str]:
    _fitted(est)
    if est.target_type_ not in _TARGET_TYPES:
        raise UnsupportedError(f"{type_name(est)}.target_type_ {est.target_type_!r}")
    mean = np.atleast_1d(np.asarray(est.target_mean_, dtype=np.float64))
    k = mean.size
    if len(est.encodings_) != k * len(est.categories_):
        raise UnsupportedError(
            f"{type_name(est)}: {len(est.encodings_)} encodings_ for {k} outputs"
        )
    body = msg.target_encoder
    body.SetInParent()
    for i, cats in enumerate(est.categories_):
        f = body.features.add()
        f.categories.CopyFrom(categories_to_proto(cats, f"{type_name(est)} column {i}"))
        encs = [np.asarray(e, dtype=np.float64) for e in est.encodings_[i * k : (i + 1) * k]]
        if any(e.shape != (len(cats),) for e in encs):
            raise UnsupportedError(
                f"{type_name(est)} column {i}: encodings_ do not fit categories_"
            )
        f.encodings.extend(float(v) for v in np.stack(encs, axis=1).reshape(-1))
    body.target_mean.extend(float(v) for v in mean)
    classes = getattr(est, "classes_", None)
    if classes is not None:
        body.classes.CopyFrom(_labels(classes))
    body_attrs = {"categories_", "encodings_", "target_mean_", "classes_"}
    return _params(est, msg, ctx, set()) | body_attrs


def target_from_proto(msg: pb.Estimator, ctx: DecodeCtx) -> Any:
    body = msg.target_encoder
    attrs = read_attributes(TargetEncoder, msg, ctx, {"n_features": int(msg.n_features_in)})
    est = build(TargetEncoder, msg, ctx, attrs)
    name = type_name(TargetEncoder)
    _restore_features(est, msg, body.features)
    k = len(body.target_mean)
    target_type = attrs.get("target_type_") or ("multiclass" if k > 1 else None)
    if target_type is None:
        target_type = "binary" if body.HasField("classes") else "continuous"
    if (target_type == "multiclass") != (k > 1):
        raise refuse(name, f"target_type_ {target_type!r} with {k} outputs per column")
    if k > 1 and _SKLEARN < (1, 4):
        raise refuse(name, f"scikit-learn {sklearn.__version__} has no multiclass targets (1.4+)")
    est.target_type_ = target_type
    encodings = []
    for f in body.features:
        table = np.asarray(f.encodings, dtype=np.float64).reshape(-1, k)
        encodings += [np.ascontiguousarray(table[:, c]) for c in range(k)]
    est.encodings_ = encodings
    mean = np.asarray(body.target_mean, dtype=np.float64)
    est.target_mean_ = mean if target_type == "multiclass" else mean[0]
    if body.HasField("classes"):
        est.classes_ = _classes(body.classes)
        if target_type == "multiclass" and len(est.classes_) != k:
            raise refuse(name, f"{len(est.classes_)} classes for {k} outputs per column")
    elif target_type == "multiclass":
        # transform's one column per class needs them (sklearn/preprocessing/_target_encoder.py)
        raise refuse(name, f"a multiclass target with {k} outputs per column and no classes")
    elif target_type == "continuous" and _SKLEARN >= (1, 4):
        est.classes_ = None  # 1.4+ (multiclass support) sets it, None for a continuous target
    est._infrequent_enabled = False
    return est


allow(TargetEncoder, {"target_type_": string(*_TARGET_TYPES)})
register(
    TargetEncoder,
    "sklearn.preprocessing.TargetEncoder",
    "target_encoder",
    target_to_proto,
    target_from_proto,
)
allow(OneHotEncoder, {}, other_params=("sparse",))  # sparse: 1.3.2's deprecated alias
allow(OrdinalEncoder, {})
register(
    OneHotEncoder,
    "sklearn.preprocessing.OneHotEncoder",
    "one_hot_encoder",
    one_hot_to_proto,
    one_hot_from_proto,
)
register(
    OrdinalEncoder,
    "sklearn.preprocessing.OrdinalEncoder",
    "ordinal_encoder",
    ordinal_to_proto,
    ordinal_from_proto,
)
