"""Shared machinery of the scikit-learn bridge: Values, params, attributes, registries.

Each family module (`linear`, `scaler`, `pipeline`) provides a pair of functions,
`<family>_to_proto(est, msg, ctx) -> consumed attribute names` and
`<family>_from_proto(msg, ctx) -> estimator`, registered in the two tables below:
`TO_PROTO` (exact class -> public producer type and to_proto) and `FROM_PROTO` (body
kind -> from_proto). Loading never imports a class named by the file: every class comes
from the fixed allow-list `PRODUCERS`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from .._container import Container, Tensor
from .._errors import AmberError, AmberWarning, UnsupportedError
from .._proto.amber.v1 import amber_pb2 as pb

_I64_MIN, _I64_MAX = -(1 << 63), (1 << 63) - 1

# Placeholders scikit-learn gives deprecated params: such a param unknown to the installed
# version was never set by the user, so it is dropped without a warning.
_SENTINELS = ("deprecated", "warn")

# Attributes that the Estimator message holds in its own fields.
_OWN_FIELDS = ("n_features_in_", "feature_names_in_")

ToProto = Callable[[Any, pb.Estimator, "EncodeCtx"], set[str]]
FromProto = Callable[[pb.Estimator, "DecodeCtx"], Any]

#: Exact class -> (public producer type, to_proto). Subclasses are not accepted: a
#: subclass may change what the fitted attributes mean.
TO_PROTO: dict[type, tuple[str, ToProto]] = {}
#: Body kind -> from_proto.
FROM_PROTO: dict[str, FromProto] = {}
#: Producer type -> class, the only classes a load can instantiate.
PRODUCERS: dict[str, type] = {}
#: Producer type -> (body kind, from_proto): a body is loaded by its own producer's family
#: first (GradientBoosting and HistGradientBoosting share the Boosting body); FROM_PROTO is
#: the fallback for other producers.
_FROM_PRODUCER: dict[str, tuple[str, FromProto]] = {}


def register(cls: type, producer_type: str, body: str, to_proto: ToProto, from_proto: FromProto):
    TO_PROTO[cls] = (producer_type, to_proto)
    FROM_PROTO[body] = from_proto
    PRODUCERS[producer_type] = cls
    _FROM_PRODUCER[producer_type] = (body, from_proto)


def type_name(obj: Any) -> str:
    """The public name of a class (its producer type when registered)."""
    cls = obj if isinstance(obj, type) else type(obj)
    if cls in TO_PROTO:
        return TO_PROTO[cls][0]
    return f"{cls.__module__}.{cls.__qualname__}"


@dataclass
class EncodeCtx:
    """Collects tensors while an estimator tree is encoded; `prefix` is the tree path."""

    tensors: list[Tensor] = field(default_factory=list)
    prefix: str = ""
    #: Leave out what predictions do not need (amber.dumps(..., inference_only=True)).
    inference_only: bool = False

    def child(self, prefix: str) -> EncodeCtx:
        return EncodeCtx(self.tensors, self.prefix + prefix, self.inference_only)

    def tensor(self, name: str, array: Any) -> str:
        full = self.prefix + name
        arr = np.asarray(array)
        if arr.dtype.kind not in "biuf":
            raise UnsupportedError(f"{full}: arrays of dtype {arr.dtype} cannot be saved")
        self.tensors.append(Tensor.from_array(full, arr))
        return full


@dataclass
class DecodeCtx:
    """The checked container an estimator tree is decoded from."""

    container: Container

    def array(self, name: str) -> np.ndarray:
        return self.container.array(name)

    def view(self, name: str) -> np.ndarray:
        """A read-only view in place (no copy): for large tensors that are copied anyway."""
        return self.container.view(name)


def encode_value(obj: Any, name: str, ctx: EncodeCtx) -> pb.Value:
    """A Python/numpy object -> Value; tensors are named `ctx.prefix + name` (section 4)."""
    v = pb.Value()
    if obj is None:
        v.none.SetInParent()
    elif isinstance(obj, bool):
        v.bool_value = obj
    elif isinstance(obj, int) and type(obj) is int:
        if not _I64_MIN <= obj <= _I64_MAX:
            raise UnsupportedError(f"{name}: integer {obj} does not fit in 64 bits")
        v.int_value = obj
    elif type(obj) is float:
        v.float_value = obj
    elif type(obj) is str:
        v.string_value = obj
    elif type(obj) in (list, tuple):
        v.list_value.SetInParent()
        v.list_value.is_tuple = type(obj) is tuple
        for i, item in enumerate(obj):
            v.list_value.items.append(encode_value(item, f"{name}/{i}", ctx))
    elif type(obj) is dict:
        v.dict_value.SetInParent()
        for i, (key, item) in enumerate(obj.items()):
            pair = v.dict_value.entries.add()
            pair.key.CopyFrom(encode_value(key, f"{name}/{i}/key", ctx))
            pair.value.CopyFrom(encode_value(item, f"{name}/{i}", ctx))
    elif isinstance(obj, (np.ndarray, np.generic)) and np.asarray(obj).dtype.kind in "biuf":
        v.tensor = ctx.tensor(name, obj)
    else:
        raise UnsupportedError(f"{name}: values of type {type_name(obj)} cannot be saved")
    return v


def decode_value(v: pb.Value, ctx: DecodeCtx) -> Any:
    kind = v.WhichOneof("kind")
    if kind == "none" or kind is None:
        return None
    if kind == "list_value":
        items = [decode_value(i, ctx) for i in v.list_value.items]
        return tuple(items) if v.list_value.is_tuple else items
    if kind == "dict_value":
        return {decode_value(p.key, ctx): decode_value(p.value, ctx) for p in v.dict_value.entries}
    if kind == "tensor":
        arr = ctx.array(v.tensor)
        # Shape [] holds a numpy scalar (what scikit-learn stores, e.g. n_samples_seen_).
        return arr[()] if arr.ndim == 0 else arr
    return getattr(v, kind)


def encode_estimator(est: Any, ctx: EncodeCtx) -> pb.Estimator:
    """Encode any supported estimator: body by its family, then params and attributes."""
    entry = TO_PROTO.get(type(est))
    if entry is None:
        supported = ", ".join(sorted(p for p, _ in TO_PROTO.values()))
        raise UnsupportedError(
            f"cannot save {type_name(est)}: not supported by this Amber version "
            f"(supported: {supported})"
        )
    producer_type, to_proto = entry
    msg = pb.Estimator(producer_type=producer_type)
    consumed = to_proto(est, msg, ctx)
    for name, value in sorted(est.get_params(deep=False).items()):
        if name not in consumed:
            msg.params.add(name=name, value=encode_value(value, f"params/{name}", ctx))
    for name, value in sorted(vars(est).items()):
        if name.endswith("_") and not name.startswith("_") and name not in consumed:
            if name in _OWN_FIELDS:
                continue
            msg.attributes.add(name=name, value=encode_value(value, f"attributes/{name}", ctx))
    n_features = _get(est, "n_features_in_")
    if n_features is not None:
        msg.n_features_in = int(n_features)
    names = _get(est, "feature_names_in_")
    if names is not None:
        msg.feature_names_in.extend(str(n) for n in names)
    return msg


def _get(est: Any, name: str) -> Any:
    # Pipeline exposes these as properties that raise when the first step lacks them.
    try:
        return getattr(est, name, None)
    except (AttributeError, TypeError, ValueError):
        return None


def decode_estimator(msg: pb.Estimator, ctx: DecodeCtx) -> Any:
    body = msg.WhichOneof("body")
    own = _FROM_PRODUCER.get(msg.producer_type)
    from_proto = own[1] if own is not None and own[0] == body else FROM_PROTO.get(body or "")
    if from_proto is None:
        raise AmberError("E_UNKNOWN_ESTIMATOR", f"no scikit-learn family for body {body!r}")
    return from_proto(msg, ctx)


def build(cls: type, msg: pb.Estimator, ctx: DecodeCtx, **extra: Any) -> Any:
    """Instantiate an allow-listed `cls` with the file's params, then set its attributes.

    If `msg.producer_type` is not `cls` (a fallback for a foreign producer), the file's
    params and attributes belong to another class and are dropped with an AmberWarning.
    Params this scikit-learn version does not know are dropped with an AmberWarning too.
    """
    own = PRODUCERS.get(msg.producer_type) is cls
    if not own:
        warnings.warn(
            f"producer type {msg.producer_type!r} is not known; loading its "
            f"{msg.WhichOneof('body')} body as {type_name(cls)} without its params and "
            "attributes",
            AmberWarning,
            stacklevel=4,
        )
    known = set(cls._get_param_names())
    params = dict(extra)
    for p in msg.params if own else ():
        if p.name in known:
            params[p.name] = decode_value(p.value, ctx)
        elif p.value.WhichOneof("kind") == "string_value" and p.value.string_value in _SENTINELS:
            pass  # a deprecated param left at its placeholder (e.g. base_estimator in 1.3)
        else:
            warnings.warn(
                f"{type_name(cls)} in this scikit-learn version has no param {p.name!r}; dropped",
                AmberWarning,
                stacklevel=4,
            )
    est = cls(**params)
    for p in msg.attributes if own else ():
        setattr(est, p.name, decode_value(p.value, ctx))
    if not isinstance(getattr(cls, "n_features_in_", None), property):
        if msg.n_features_in:
            est.n_features_in_ = int(msg.n_features_in)
        if msg.feature_names_in:
            est.feature_names_in_ = np.asarray(list(msg.feature_names_in), dtype=object)
    return est
