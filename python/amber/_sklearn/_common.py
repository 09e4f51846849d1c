"""Shared machinery of the scikit-learn bridge: Values, params, attributes, registries.

Each family module (`linear`, `scaler`, `pipeline`, ...) provides a pair of functions,
`<family>_to_proto(est, msg, ctx) -> consumed attribute names` and
`<family>_from_proto(msg, ctx) -> estimator`, registered in the tables below: `TO_PROTO`
(exact class -> public producer type and to_proto) and `_FROM_PRODUCER` (producer type ->
its body kind and from_proto). Loading never imports a class named by the file: every class
comes from the fixed allow-list `PRODUCERS`, and an unknown producer type, or one whose
body is another kind, is E_PROVENANCE (spec/sklearn.md). Each class also has an allow-list
of the params and attributes a file may carry for it (`allow`), every one with a rule.
"""

from __future__ import annotations

import inspect
import math
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from .._container import Container, Tensor
from .._errors import AmberError, AmberWarning, ProvenanceError, UnsupportedError
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
#: only (GradientBoosting and HistGradientBoosting share the Boosting body).
_FROM_PRODUCER: dict[str, tuple[str, FromProto]] = {}


def register(cls: type, producer_type: str, body: str, to_proto: ToProto, from_proto: FromProto):
    TO_PROTO[cls] = (producer_type, to_proto)
    # The first family of a body (a search writes a Pipeline body too).
    FROM_PROTO.setdefault(body, from_proto)
    PRODUCERS[producer_type] = cls
    _FROM_PRODUCER[producer_type] = (body, from_proto)


def type_name(obj: Any) -> str:
    """The public name of a class: its producer type when registered, else the shortest
    public module path that exports it (`sklearn.svm.SVC`, not `sklearn.svm._classes.SVC`)."""
    cls = obj if isinstance(obj, type) else type(obj)
    if cls in TO_PROTO:
        return TO_PROTO[cls][0]
    return public_name(cls)


def public_name(cls: type) -> str:
    """`cls` by the shortest prefix of its module, among modules already imported (nothing
    is imported here), that exports it under its own name; else its full path."""
    import sys

    parts = cls.__module__.split(".")
    for end in range(1, len(parts) + 1):
        module = sys.modules.get(".".join(parts[:end]))
        if module is not None and getattr(module, cls.__qualname__, None) is cls:
            return f"{module.__name__}.{cls.__qualname__}"
    return f"{cls.__module__}.{cls.__qualname__}"


@dataclass
class EncodeCtx:
    """Collects tensors while an estimator tree is encoded; `prefix` is the tree path."""

    tensors: list[Tensor] = field(default_factory=list)
    prefix: str = ""
    #: Leave out what predictions do not need (amber.dumps(..., inference_only=True)).
    inference_only: bool = False
    #: Every refusal met so far, as (where, why): encoding goes on past a refused estimator
    #: so that one error names them all (`raise_refusals`).
    refusals: list[tuple[str, str]] = field(default_factory=list)

    def child(self, prefix: str) -> EncodeCtx:
        return EncodeCtx(self.tensors, self.prefix + prefix, self.inference_only, self.refusals)

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

    @property
    def file_length(self) -> int:
        return int(self.container.header.file_length)


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


#: Hashable values a dict key may decode to (scikit-learn's dict params: class_weight).
_KEY_TYPES = (type(None), bool, int, float, str, tuple)


def decode_value(v: pb.Value, ctx: DecodeCtx) -> Any:
    kind = v.WhichOneof("kind")
    if kind == "none" or kind is None:
        return None
    if kind == "list_value":
        items = [decode_value(i, ctx) for i in v.list_value.items]
        return tuple(items) if v.list_value.is_tuple else items
    if kind == "dict_value":
        out = {}
        for p in v.dict_value.entries:
            key = decode_value(p.key, ctx)
            if not isinstance(key, _KEY_TYPES) or (
                isinstance(key, tuple) and not all(isinstance(k, _KEY_TYPES[:-1]) for k in key)
            ):
                raise ProvenanceError(f"a dict key of type {type(key).__name__} is not hashable")
            if key in out:
                raise ProvenanceError(f"the dict key {key!r} appears twice")
            out[key] = decode_value(p.value, ctx)
        return out
    if kind == "tensor":
        try:
            arr = ctx.array(v.tensor)
        except AmberError as e:
            if e.code != "E_MODEL":
                raise
            # A param's or attribute's tensor whose bytes are not its dtype's values (a bool
            # byte of 2): only a rebuild reads it.
            raise ProvenanceError(e.message) from None
        # Shape [] holds a numpy scalar (what scikit-learn stores, e.g. n_samples_seen_).
        return arr[()] if arr.ndim == 0 else arr
    return getattr(v, kind)


def encode_estimator(est: Any, ctx: EncodeCtx) -> pb.Estimator:
    """Encode any supported estimator: body by its family, then params and attributes."""
    entry = TO_PROTO.get(type(est))
    if entry is None:
        ctx.refusals.append(
            (ctx.prefix, f"{type_name(est)} is not supported by this Amber version")
        )
        return pb.Estimator(producer_type=type_name(est))  # never written: the dump fails
    producer_type, to_proto = entry
    msg = pb.Estimator(producer_type=producer_type)
    try:
        consumed = to_proto(est, msg, ctx)
        for name, value in sorted(est.get_params(deep=False).items()):
            if name not in consumed:
                msg.params.add(name=name, value=encode_value(value, f"params/{name}", ctx))
        for name, value in sorted(vars(est).items()):
            if name.endswith("_") and not name.startswith("_") and name not in consumed:
                if name in _OWN_FIELDS:
                    continue
                value = encode_value(value, f"attributes/{name}", ctx)
                msg.attributes.add(name=name, value=value)
    except UnsupportedError as e:
        why = e.message.removeprefix("cannot save ")
        ctx.refusals.append((ctx.prefix, why))
        return msg
    output = getattr(est, OUTPUT_CONFIG, None)
    if output:
        # set_output(transform=...): provenance (Rust returns arrays either way).
        msg.attributes.add(name=OUTPUT_CONFIG, value=encode_value(dict(output), OUTPUT_CONFIG, ctx))
    n_features = _get(est, "n_features_in_")
    if n_features is not None:
        msg.n_features_in = int(n_features)
    names = _get(est, "feature_names_in_")
    if names is not None:
        msg.feature_names_in.extend(str(n) for n in names)
    return msg


#: Where a user finds what is supported (named in every refusal).
SUPPORT_TABLE = (
    "the supported classes are listed in README.md ('What it does today') and "
    "spec/sklearn.md section 2; amber.supported(model) checks a model before saving"
)


def raise_refusals(est: Any, ctx: EncodeCtx) -> None:
    """One E_UNSUPPORTED naming every refused estimator of the tree, by its position."""
    if not ctx.refusals:
        return
    reasons = [f"{where.rstrip('/') or '<root>'}: {why}" for where, why in ctx.refusals]
    if len(ctx.refusals) == 1 and not ctx.refusals[0][0]:
        error = UnsupportedError(f"cannot save: {ctx.refusals[0][1]}; {SUPPORT_TABLE}")
    else:
        lines = "".join(f"\n  - {r}" for r in reasons)
        error = UnsupportedError(
            f"cannot save this {type_name(est)}: {len(reasons)} part(s) cannot be saved:"
            f"{lines}\n{SUPPORT_TABLE}"
        )
    error.reasons = reasons
    raise error


def _get(est: Any, name: str) -> Any:
    # Pipeline exposes these as properties that raise when the first step lacks them.
    try:
        return getattr(est, name, None)
    except (AttributeError, TypeError, ValueError):
        return None


def decode_estimator(msg: pb.Estimator, ctx: DecodeCtx) -> Any:
    """Rebuild the object of `msg.producer_type`, which must be allow-listed for its body."""
    body = msg.WhichOneof("body")
    own = _FROM_PRODUCER.get(msg.producer_type)
    if own is None:
        raise ProvenanceError(
            f"producer type {msg.producer_type!r} is not a class Amber can rebuild "
            f"(it rebuilds {', '.join(sorted(_FROM_PRODUCER))}); {_BODY_STILL_USABLE}"
        )
    if own[0] != body:
        raise ProvenanceError(
            f"producer type {msg.producer_type!r} does not make a {body!r} body (its body is "
            f"{own[0]!r}); {_BODY_STILL_USABLE}"
        )
    check_features(msg.producer_type, int(msg.n_features_in), ctx.file_length)
    return own[1](msg, ctx)


_BODY_STILL_USABLE = (
    "the body can still be predicted from with a reader that predicts from the body alone "
    "(the Rust reader, `amber predict`)"
)


def refuse(producer: str, what: str) -> ProvenanceError:
    """E_PROVENANCE for a file whose provenance contradicts its body."""
    return ProvenanceError(f"{producer}: {what}; {_BODY_STILL_USABLE}")


# ---------------------------------------------------------------------------- allow-lists
#
# Every registered class has an allow-list (`allow`): the params and attributes a file may
# carry for it, each attribute with a rule. A rule is `rule(value, facts)`, which raises
# `Bad` with what is wrong; `facts` are what the body says (n_features, n_outputs, ...),
# computed by the family before anything of the file reaches scikit-learn. spec/sklearn.md
# lists the rules.

Facts = dict
Rule = Callable[[Any, Facts], None]


class Bad(Exception):
    """A value breaks a rule (turned into E_PROVENANCE naming the class and the name)."""


def described(text: str) -> Callable[[Rule], Rule]:
    """Attach the rule's wording in spec/sklearn.md (`rule.text`)."""

    def mark(rule: Rule) -> Rule:
        rule.text = text  # type: ignore[attr-defined]
        return rule

    return mark


def text(rule: Rule) -> str:
    return getattr(rule, "text", getattr(rule, "__name__", "?"))


def _bound(spec: Any) -> str:
    if spec is None:
        return ""
    if isinstance(spec, int) and spec >= 1 << 16 and (spec & (spec - 1)) == 0:
        return f"2^{spec.bit_length() - 1}"
    if isinstance(spec, int) and spec + 1 >= 1 << 16 and ((spec + 1) & spec) == 0:
        return f"2^{spec.bit_length()} - 1"
    return str(spec)


@dataclass
class AllowList:
    """What a file may carry for one class."""

    #: Attribute name -> rule (names with "/" or "_" first are the family's to restore).
    attributes: dict[str, Rule]
    #: Params of other scikit-learn versions (1.3.2 .. 1.9.1) than the installed one.
    other_params: frozenset[str] = frozenset()
    #: Param name -> a rule on top of scikit-learn's `_parameter_constraints`.
    params: dict[str, Rule] = field(default_factory=dict)
    #: Another version's name of a param or attribute -> the installed version's name for
    #: the same thing (RidgeCV's `cv_values_` is `cv_results_` from 1.5).
    aliases: dict[str, str] = field(default_factory=dict)
    #: Params whose `None` is another version's "not set" (RidgeCV's store_cv_results in
    #: 1.5 and 1.6): where this version refuses None, its default stands.
    none_placeholders: frozenset[str] = frozenset()


ALLOW: dict[type, AllowList] = {}

#: Params that some scikit-learn version Amber writes (1.3.2 .. 1.9.1) has and another lacks,
#: by class name: a file may carry them whichever version is installed (one that does not
#: know them drops them, see `build`).
OTHER_VERSIONS_PARAMS: dict[str, tuple[str, ...]] = {
    "LinearRegression": ("tol",),  # 1.7+
    "LogisticRegression": ("multi_class",),  # removed in 1.8
    "Pipeline": ("transform_input",),  # 1.6+
    "ColumnTransformer": ("force_int_remainder_cols",),  # 1.5 to 1.8
    # 1.5+: names only; its default (True) is what older versions do, anything else warns.
    "FeatureUnion": ("verbose_feature_names_out",),
    # The chains' member param before 1.7 ("deprecated" in 1.7 and 1.8, gone in 1.9).
    "ClassifierChain": ("base_estimator",),
    "RegressorChain": ("base_estimator",),
    "HistGradientBoostingClassifier": ("max_features",),  # 1.4+
    "HistGradientBoostingRegressor": ("max_features",),
    **{
        name: ("monotonic_cst",)  # 1.4+
        for name in (
            "DecisionTreeClassifier",
            "DecisionTreeRegressor",
            "ExtraTreeClassifier",
            "ExtraTreeRegressor",
            "RandomForestClassifier",
            "RandomForestRegressor",
            "ExtraTreesClassifier",
            "ExtraTreesRegressor",
        )
    },
}


def _logistic_penalty(params: dict[str, Any]) -> Any:
    """LogisticRegression(penalty="deprecated") (1.8+) as `fit` resolves it there
    (linear_model/_logistic.py): from l1_ratio, and None when C is infinite."""
    if params.get("C", 1.0) == math.inf:
        return None
    ratio = params.get("l1_ratio", 0.0)
    return "l2" if ratio in (None, 0) else "l1" if ratio == 1 else "elasticnet"


#: Class name -> param -> what another version's placeholder means, in the installed
#: version's terms, given the file's other (checked) params. Used where the installed
#: version refuses the placeholder, so that `clone(model).fit` trains as the saver would.
PLACEHOLDER_MEANINGS: dict[str, dict[str, Callable[[dict[str, Any]], Any]]] = {
    "LogisticRegression": {"penalty": _logistic_penalty},
    # 1.9 deprecates `criterion` ("It has no effect"): its trees use "squared_error".
    "GradientBoostingClassifier": {"criterion": lambda _: "squared_error"},
    "GradientBoostingRegressor": {"criterion": lambda _: "squared_error"},
}


def allow(
    cls: type,
    attributes: dict[str, Rule],
    *,
    other_params=(),
    params=None,
    aliases=None,
    none_placeholders=(),
) -> None:
    for name in attributes:
        if name.startswith("__") or (not name.startswith("_") and hasattr(cls, name.split("/")[0])):
            raise AssertionError(f"{cls.__name__}.{name} can never be allow-listed")
    rules = {k: v for k, v in COMMON_PARAMS.items() if k in cls._get_param_names()}
    rules.update(params or {})
    other = {*other_params, *OTHER_VERSIONS_PARAMS.get(cls.__name__, ())}
    ALLOW[cls] = AllowList(
        dict(attributes), frozenset(other), rules, dict(aliases or {}), frozenset(none_placeholders)
    )


def _what(v: Any) -> str:
    if isinstance(v, np.ndarray):
        return f"an array of dtype {v.dtype} and shape {v.shape}"
    text = repr(v)
    return f"{type(v).__name__} {text[:60]}{'...' if len(text) > 60 else ''}"


def _fact(spec: Any, facts: Facts) -> Any:
    if isinstance(spec, str):
        return facts[spec]
    if callable(spec):
        return spec(facts)
    return spec


def integer(lo: Any = None, hi: Any = None, *, scalar: bool = False) -> Rule:
    """An int (with `scalar`, also a numpy integer scalar) in [lo, hi] (ints or fact names)."""

    def rule(v: Any, facts: Facts) -> None:
        if not (type(v) is int or (scalar and isinstance(v, np.integer))):
            raise Bad(f"is {_what(v)}, not an int")
        low, high = _fact(lo, facts), _fact(hi, facts)
        if (low is not None and v < low) or (high is not None and v > high):
            raise Bad(f"is {v}, outside [{low}, {high}]")

    what = "int" + (" (or numpy int scalar)" if scalar else "")
    if lo is not None or hi is not None:
        what += f" in [{_bound(lo) or '-inf'}, {_bound(hi) or 'inf'}]"
    return described(what)(rule)


def number(lo: float | None = None, hi: float | None = None, *, finite: bool = True) -> Rule:
    """A float or int (not a bool; numpy scalars too), finite unless told, in [lo, hi]."""

    def rule(v: Any, facts: Facts) -> None:
        if isinstance(v, (bool, np.bool_)) or not isinstance(
            v, (int, float, np.integer, np.floating)
        ):
            raise Bad(f"is {_what(v)}, not a number")
        if finite and not math.isfinite(float(v)):
            raise Bad(f"is {v}, not finite")
        if (lo is not None and not v >= lo) or (hi is not None and not v <= hi):
            raise Bad(f"is {v}, outside [{lo}, {hi}]")

    what = "finite number" if finite else "number (NaN, inf allowed)"
    if lo is not None or hi is not None:
        what += f" in [{lo}, {hi}]"
    return described(what)(rule)


@described("bool")
def boolean(v: Any, facts: Facts) -> None:
    if not isinstance(v, (bool, np.bool_)):
        raise Bad(f"is {_what(v)}, not a bool")


def string(*choices: str) -> Rule:
    def rule(v: Any, facts: Facts) -> None:
        if type(v) is not str:
            raise Bad(f"is {_what(v)}, not a string")
        if choices and v not in choices:
            raise Bad(f"is {v[:60]!r}, not one of {', '.join(map(repr, choices))}")

    if not choices:
        return described("string")(rule)
    if len(choices) > 8:
        return described(f"one of {len(choices)} strings")(rule)
    return described("one of " + ", ".join(f"`{c}`" for c in choices))(rule)


@described("None")
def none(v: Any, facts: Facts) -> None:
    if v is not None:
        raise Bad(f"is {_what(v)}, not None")


def one_of(*rules: Rule) -> Rule:
    def rule(v: Any, facts: Facts) -> None:
        errors = []
        for r in rules:
            try:
                r(v, facts)
                return
            except Bad as e:
                errors.append(str(e))
        raise Bad(errors[0] if len(set(errors)) == 1 else "; or ".join(dict.fromkeys(errors)))

    return described(" or ".join(text(r) for r in rules))(rule)


def optional(r: Rule) -> Rule:
    return one_of(none, r)


#: n_jobs sizes the thread pools of predict (forests): a thousand threads at most; 0 means
#: nothing to joblib (which raises at predict).
N_JOBS = optional(one_of(integer(-1024, -1), integer(1, 1024)))
#: Params every family shares.
COMMON_PARAMS = {"n_jobs": N_JOBS}


def array(kinds: str, shape: tuple, *, finite: bool = False) -> Rule:
    """A numpy array of a dtype kind in `kinds` whose shape is `shape` (ints, fact names,
    or None for any length); `finite` floats only."""

    def rule(v: Any, facts: Facts) -> None:
        if not isinstance(v, np.ndarray) or v.dtype.kind not in kinds:
            raise Bad(f"is {_what(v)}, not an array of kind {kinds!r}")
        want = tuple(_fact(d, facts) for d in shape)
        if v.ndim != len(want) or any(w is not None and w != d for w, d in zip(want, v.shape)):
            raise Bad(f"has shape {v.shape}, not {tuple('*' if w is None else w for w in want)}")
        if finite and v.dtype.kind == "f" and not np.all(np.isfinite(v)):
            raise Bad("holds a value that is not finite")

    dims = ", ".join("*" if d is None else str(d) for d in shape)
    what = f"array ({'/'.join(_KINDS[k] for k in kinds)}) of shape [{dims}]"
    return described(what + (", finite" if finite else ""))(rule)


_KINDS = {"f": "float", "i": "int", "u": "uint", "b": "bool"}


def sequence(item: Rule, length: Any = None, *, tuple_: bool = False) -> Rule:
    """A list (a tuple with `tuple_`) of `length` items (int, fact name, None: any)."""

    def rule(v: Any, facts: Facts) -> None:
        if type(v) is not (tuple if tuple_ else list):
            raise Bad(f"is {_what(v)}, not a {'tuple' if tuple_ else 'list'}")
        n = _fact(length, facts)
        if n is not None and len(v) != n:
            raise Bad(f"has {len(v)} items, not {n}")
        for i, x in enumerate(v):
            try:
                item(x, facts)
            except Bad as e:
                raise Bad(f"[{i}] {e}") from None

    n = "" if length is None else f"{length} items "
    return described(f"{'tuple' if tuple_ else 'list'} of {n}({text(item)})")(rule)


def record(*items: Rule, tuple_: bool = True) -> Rule:
    """A tuple (a list without `tuple_`) of exactly these items, each by its rule."""

    def rule(v: Any, facts: Facts) -> None:
        if type(v) is not (tuple if tuple_ else list) or len(v) != len(items):
            raise Bad(f"is {_what(v)}, not a {'tuple' if tuple_ else 'list'} of {len(items)}")
        for i, (x, r) in enumerate(zip(v, items)):
            try:
                r(x, facts)
            except Bad as e:
                raise Bad(f"[{i}] {e}") from None

    return described("tuple (" + "; ".join(text(r) for r in items) + ")")(rule)


def mapping(fields: dict[str, Rule], optional_keys: tuple[str, ...] = ()) -> Rule:
    """A dict with exactly the string keys of `fields` (but `optional_keys`), each value by
    its rule."""

    def rule(v: Any, facts: Facts) -> None:
        if type(v) is not dict:
            raise Bad(f"is {_what(v)}, not a dict")
        missing = [k for k in fields if k not in v and k not in optional_keys]
        if missing:
            raise Bad(f"lacks the key {missing[0]!r}")
        for k, x in v.items():
            if k not in fields:
                raise Bad(f"has the key {str(k)[:60]!r}, which is not allowed")
            try:
                fields[k](x, facts)
            except Bad as e:
                raise Bad(f"[{k!r}] {e}") from None

    return described("dict {" + "; ".join(f"`{k}`: {text(r)}" for k, r in fields.items()) + "}")(
        rule
    )


def same(name: str, r: Rule | None = None) -> Rule:
    """The value (after `r`) equals the body's `facts[name]`: one truth (spec/sklearn.md)."""

    def rule(v: Any, facts: Facts) -> None:
        if r is not None:
            r(v, facts)
        want = facts[name]
        if not _same(v, want):
            raise Bad(f"is {_what(v)}, but the body says {_what(want)}")

    prefix = "" if r is None else text(r) + ", "
    return described(f"{prefix}**equal to the body's {name}**")(rule)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape or (a.dtype.kind in "US") != (b.dtype.kind in "US"):
            return False
        return bool(np.array_equal(a, b))
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        return (
            isinstance(a, (list, tuple))
            and isinstance(b, (list, tuple))
            and len(a) == len(b)
            and all(map(_same, a, b))
        )
    if isinstance(a, (bool, np.bool_)) != isinstance(b, (bool, np.bool_)):
        return False
    return bool(a == b)


#: The attribute set_output() sets: {"transform": "default" | "pandas" | "polars"} (and
#: "fit_transform" in some versions), restored through set_output, never setattr.
OUTPUT_CONFIG = "_sklearn_output_config"
_OUTPUT_CHOICES = ("default", "pandas", "polars")


@described('dict of "transform"/"fit_transform" -> "default", "pandas" or "polars"')
def _output_config(v: Any, facts: Facts) -> None:
    if type(v) is not dict or not v:
        raise Bad(f"is {_what(v)}, not a non-empty dict")
    for k, x in v.items():
        if k not in ("transform", "fit_transform") or x not in _OUTPUT_CHOICES:
            raise Bad(f"has {str(k)[:40]!r}: {str(x)[:40]!r}")


def read_attributes(cls: type, msg: pb.Estimator, ctx: DecodeCtx, facts: Facts) -> dict[str, Any]:
    """Every attribute of `msg`, decoded and checked against `cls`'s allow-list (and the
    set_output config, which any class with `set_output` may carry)."""
    rules = dict(ALLOW[cls].attributes)
    if hasattr(cls, "set_output"):
        rules[OUTPUT_CONFIG] = _output_config
    aliases = ALLOW[cls].aliases
    out: dict[str, Any] = {}
    for p in msg.attributes:
        name = aliases.get(p.name, p.name)
        rule = rules.get(name)
        if rule is None:
            raise refuse(type_name(cls), f"the attribute {p.name[:80]!r} is not one Amber can set")
        if name in out:
            raise refuse(type_name(cls), f"the attribute {name!r} appears twice")
        value = decode_value(p.value, ctx)
        try:
            rule(value, facts)
        except Bad as e:
            raise refuse(type_name(cls), f"{p.name} {e}") from None
        out[name] = value
    return out


def check_features(producer: str, n: int, file_length: int) -> None:
    """E_PROVENANCE when the estimator declares more features than MAX_UNBACKED_FEATURES
    (spec/sklearn.md): a rebuild allocates per-feature state that no tensor of the file
    backs (HistGradientBoosting's categorical masks and maps, IsolationForest's feature
    sets, GradientBoosting's probe row, a tree's feature_importances_)."""
    limit = max_unbacked_features(file_length)
    if n > limit:
        raise AmberError(
            "E_PROVENANCE",
            f"{producer}: n_features_in {n} exceeds MAX_UNBACKED_FEATURES ({limit} for a file "
            f"of {file_length} bytes): rebuilding it would allocate per-feature state that no "
            "tensor of the file backs; a reader that predicts from the body alone (the Rust "
            "reader, amber predict) needs none",
        )


#: spec/sklearn.md, MAX_UNBACKED_FEATURES: max(2**20, 16 * file_length).
UNBACKED_FEATURES_FLOOR = 1 << 20
UNBACKED_FEATURES_PER_BYTE = 16


def max_unbacked_features(file_length: int) -> int:
    return max(UNBACKED_FEATURES_FLOOR, UNBACKED_FEATURES_PER_BYTE * int(file_length))


def build(cls: type, msg: pb.Estimator, ctx: DecodeCtx, attrs: dict[str, Any], **extra: Any) -> Any:
    """Instantiate the allow-listed `cls` with the file's checked params (and `extra`), then
    set its checked public attributes (`attrs`, from `read_attributes`); names with "/" or
    a leading "_" are the family's to restore.

    Params: only names of `cls` in some scikit-learn version Amber writes (else
    E_PROVENANCE); each must satisfy this scikit-learn's `_parameter_constraints` and the
    allow-list's rule. A param this version does not know is dropped: silently when it holds
    a deprecated placeholder ("deprecated", "warn"), else with an AmberWarning; a known param
    holding such a placeholder that this version refuses is dropped silently too.
    """
    params = read_params(cls, msg, ctx)
    for name, value in extra.items():
        if name in params:
            raise refuse(type_name(cls), f"the param {name!r} is in the body, not a param")
        params[name] = value
    required = [
        p.name
        for p in inspect.signature(cls.__init__).parameters.values()
        if p.name != "self"
        and p.default is inspect.Parameter.empty
        and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    ]
    missing = [name for name in required if name not in params]
    if missing:
        raise refuse(
            type_name(cls), f"the param {missing[0]!r}, which the class requires, is missing"
        )
    est = cls(**params)
    for name, value in attrs.items():
        if "/" not in name and not name.startswith("_"):
            setattr(est, name, value)
    if OUTPUT_CONFIG in attrs:
        est.set_output(transform=attrs[OUTPUT_CONFIG].get("transform"))
        est._sklearn_output_config = dict(attrs[OUTPUT_CONFIG])
    if not isinstance(getattr(cls, "n_features_in_", None), property):
        if msg.n_features_in:
            est.n_features_in_ = int(msg.n_features_in)
        if msg.feature_names_in:
            est.feature_names_in_ = np.asarray(list(msg.feature_names_in), dtype=object)
    return est


def check_names(cls: type, names: list[str]) -> None:
    """E_PROVENANCE for step or branch names scikit-learn's compositions refuse
    (`_BaseComposition._validate_names`): repeated, a constructor argument's name, or
    containing "__" (the separator of nested params)."""
    params = set(cls._get_param_names())
    seen: set[str] = set()
    for name in names:
        if name in seen or name in params or "__" in name:
            raise refuse(
                type_name(cls),
                f"the step name {name[:80]!r} is repeated, a param's name or contains '__', "
                "which scikit-learn refuses",
            )
        seen.add(name)


def check_param(cls: type, name: str, value: Any) -> None:
    """`value` satisfies this scikit-learn's `cls._parameter_constraints[name]` (Bad if not)."""
    from sklearn.utils._param_validation import (
        InvalidParameterError,
        validate_parameter_constraints,
    )

    constraints = getattr(cls, "_parameter_constraints", {})
    if name not in constraints:
        return
    try:
        validate_parameter_constraints(
            {name: constraints[name]}, {name: value}, caller_name=cls.__name__
        )
    except InvalidParameterError as e:
        raise Bad(f"is {_what(value)}: {e}") from None


def params_of(cls: type, also: dict[str, Rule] | None = None) -> Rule:
    """A dict of `cls`'s params (a nested object's, kept as an attribute), each satisfying
    this scikit-learn's constraints or the rule in `also` (values of other versions); names
    it does not know are refused."""
    also = also or {}

    def rule(v: Any, facts: Facts) -> None:
        if type(v) is not dict:
            raise Bad(f"is {_what(v)}, not a dict")
        known = set(cls._get_param_names())
        other = OTHER_VERSIONS_PARAMS.get(cls.__name__, ())
        for k, x in v.items():
            if k in other and k not in known:
                continue  # another version's param: dropped by whoever builds the object
            if k not in known:
                raise Bad(f"has the key {str(k)[:60]!r}, not a param of {cls.__name__}")
            try:
                check_param(cls, k, x)
            except Bad as e:
                if k not in also:
                    raise Bad(f"[{k!r}] {e}") from None
                try:
                    also[k](x, facts)
                except Bad:
                    raise Bad(f"[{k!r}] {e}") from None

    extra = "".join(f"; `{k}` also {text(r)}" for k, r in also.items())
    return described(f"dict of {cls.__name__} params, by its constraints{extra}")(rule)


def _is_sentinel(value: Any) -> bool:
    """scikit-learn's placeholder of a deprecated param ("deprecated", "warn")."""
    return type(value) is str and value in _SENTINELS


def read_params(cls: type, msg: pb.Estimator, ctx: DecodeCtx) -> dict[str, Any]:
    """The file's params of `cls`, checked (see `build`)."""
    entry = ALLOW[cls]
    known = set(cls._get_param_names())
    out: dict[str, Any] = {}
    seen: set[str] = set()
    deferred: list[str] = []
    for p in msg.params:
        name = entry.aliases.get(p.name, p.name)
        if name not in known and p.name not in entry.other_params:
            raise refuse(type_name(cls), f"{p.name[:80]!r} is not a param of this class")
        if p.name in seen:
            raise refuse(type_name(cls), f"the param {p.name!r} appears twice")
        seen.add(p.name)
        value = decode_value(p.value, ctx)
        placeholder = _is_sentinel(value) or (value is None and name in entry.none_placeholders)
        if name != p.name and placeholder:
            continue  # another version's placeholder under its old name: never set
        if name not in known:
            if not placeholder:
                warnings.warn(
                    f"{type_name(cls)} in this scikit-learn version has no param {p.name!r}; "
                    "dropped",
                    AmberWarning,
                    stacklevel=5,
                )
            continue
        try:
            check_param(cls, name, value)
            rule = entry.params.get(name)
            if rule is not None:
                rule(value, {})
        except Bad as e:
            if placeholder:
                # Another version's placeholder of a param it deprecates (1.9.1 writes
                # LogisticRegression(penalty="deprecated")), which this version does not
                # accept: the user never set it. What it meant in the saving version, said
                # in this version's terms (PLACEHOLDER_MEANINGS), else this version's default.
                if name in PLACEHOLDER_MEANINGS.get(cls.__name__, {}):
                    deferred.append(name)
                continue
            raise refuse(type_name(cls), f"param {p.name} {e}") from None
        if name in out:
            if placeholder:
                continue
            if not _is_sentinel(out[name]):
                raise refuse(type_name(cls), f"the param {name!r} is given under two names")
        out[name] = value
    for name in deferred:
        value = PLACEHOLDER_MEANINGS[cls.__name__][name](out)
        try:
            check_param(cls, name, value)
        except Bad:
            continue  # this version cannot say it either: its default stands
        out[name] = value
    return out
