"""The estimator tree: canonical ordering (spec section 4) and check 15 (section 3).

Knows the schema's estimator bodies, but not scikit-learn: whatever the body rules of
spec/estimators.md say can be checked without the producing library lives here.
"""

from __future__ import annotations

from typing import Iterator, Mapping

from ._errors import ModelError
from ._proto.amber.v1 import amber_pb2 as pb

#: Default 32. Stops deeply nested estimators or values from exhausting a recursive
#: reader's stack. The root estimator, and a param's or attribute's own value, are at
#: depth 1.
MAX_DEPTH = 32

#: Body kinds this reader knows, with the body fields (in tag order) that name tensors.
BODY_TENSOR_FIELDS: dict[str, tuple[str, ...]] = {
    "standard_scaler": ("mean", "scale", "var", "n_samples_seen"),
    "linear": ("coef", "intercept"),
    "pipeline": (),
}


def _sort_params(params) -> None:  # a RepeatedCompositeFieldContainer of Param
    items = []
    for p in params:
        c = pb.Param()
        c.CopyFrom(p)
        items.append(c)
    items.sort(key=lambda p: p.name.encode("utf-8"))
    del params[:]
    params.extend(items)


def canonicalize(manifest: pb.Manifest) -> None:
    """Sort every estimator's params and attributes by name (byte-wise UTF-8), in place."""
    if manifest.HasField("estimator"):
        stack = [manifest.estimator]
        while stack:
            est = stack.pop()
            _sort_params(est.params)
            _sort_params(est.attributes)
            if est.WhichOneof("body") == "pipeline":
                stack.extend(s.estimator for s in est.pipeline.steps if s.HasField("estimator"))


def value_refs(value: pb.Value) -> Iterator[str]:
    """Tensor names a Value refers to, depth first."""
    kind = value.WhichOneof("kind")
    if kind == "tensor":
        yield value.tensor
    elif kind == "list_value":
        for item in value.list_value.items:
            yield from value_refs(item)
    elif kind == "dict_value":
        for pair in value.dict_value.entries:
            yield from value_refs(pair.key)
            yield from value_refs(pair.value)


def tensor_refs(est: pb.Estimator) -> Iterator[str]:
    """Tensor names in canonical order: body fields in tag order, params, attributes."""
    body = est.WhichOneof("body")
    if body == "pipeline":
        for step in est.pipeline.steps:
            if step.HasField("estimator"):
                yield from tensor_refs(step.estimator)
    elif body in BODY_TENSOR_FIELDS:
        msg = getattr(est, body)
        for field in BODY_TENSOR_FIELDS[body]:
            name = getattr(msg, field)
            if name:
                yield name
    for p in est.params:
        yield from value_refs(p.value)
    for p in est.attributes:
        yield from value_refs(p.value)


def _value_depth(value: pb.Value, depth: int, where: str) -> None:
    if depth > MAX_DEPTH:
        raise ModelError("E_LIMIT", f"{where}: value nested deeper than MAX_DEPTH {MAX_DEPTH}")
    kind = value.WhichOneof("kind")
    if kind == "list_value":
        for item in value.list_value.items:
            _value_depth(item, depth + 1, where)
    elif kind == "dict_value":
        for pair in value.dict_value.entries:
            _value_depth(pair.key, depth + 1, where)
            _value_depth(pair.value, depth + 1, where)


class _Checker:
    def __init__(self, tensors: Mapping[str, pb.TensorInfo]) -> None:
        self.tensors = tensors

    def ref(self, name: str, where: str) -> None:
        if name not in self.tensors:
            raise ModelError("E_TENSOR_REF", f"{where} refers to tensor {name!r}, not in the table")

    def tensor(self, name: str, where: str, dtypes: tuple[int, ...], ranks: tuple[int, ...]):
        info = self.tensors[name]
        if info.dtype not in dtypes:
            allowed = "/".join(pb.DType.Name(d) for d in dtypes)
            raise ModelError("E_MODEL", f"{where}: tensor {name!r} must be {allowed}")
        if len(info.shape) not in ranks:
            raise ModelError(
                "E_MODEL", f"{where}: tensor {name!r} has rank {len(info.shape)}, expected {ranks}"
            )
        return tuple(info.shape)

    def estimator(self, est: pb.Estimator, depth: int, path: str) -> int | None:
        """Check one estimator and its children; return its output width when known."""
        where = f"estimator {path or '<root>'}"
        if depth > MAX_DEPTH:
            raise ModelError("E_LIMIT", f"{where}: nested deeper than MAX_DEPTH {MAX_DEPTH}")
        for group in (est.params, est.attributes):
            for p in group:
                _value_depth(p.value, 1, f"{where}, {p.name!r}")
        body = est.WhichOneof("body")
        if body is None:
            raise ModelError(
                "E_UNKNOWN_ESTIMATOR",
                f"{where} ({est.producer_type!r}) has no body this reader knows",
            )
        for field in BODY_TENSOR_FIELDS[body]:
            name = getattr(getattr(est, body), field)
            if name:
                self.ref(name, f"{where}, {body}.{field}")
        out = None
        if body == "pipeline":
            out = self.pipeline(est, depth, path)
        for group, label in ((est.params, "param"), (est.attributes, "attribute")):
            for p in group:
                for name in value_refs(p.value):
                    self.ref(name, f"{where}, {label} {p.name!r}")
        if (
            est.feature_names_in
            and est.n_features_in
            and (len(est.feature_names_in) != est.n_features_in)
        ):
            raise ModelError(
                "E_MODEL",
                f"{where}: {len(est.feature_names_in)} feature names for "
                f"n_features_in {est.n_features_in}",
            )
        if body in ("linear", "standard_scaler") and est.n_features_in == 0:
            raise ModelError("E_MODEL", f"{where}: n_features_in must be at least 1")
        if (
            body == "pipeline"
            and est.n_features_in == 0
            and not any(step.HasField("estimator") for step in est.pipeline.steps)
        ):
            raise ModelError(
                "E_MODEL", f"{where}: an all-passthrough pipeline must set n_features_in"
            )
        if body == "linear":
            return self.linear(est, where)
        if body == "standard_scaler":
            return self.scaler(est, where)
        return out

    def _n_features(self, est: pb.Estimator, n: int, where: str) -> None:
        if est.n_features_in and est.n_features_in != n:
            raise ModelError(
                "E_MODEL", f"{where}: n_features_in {est.n_features_in} but the body has {n}"
            )

    def linear(self, est: pb.Estimator, where: str) -> None:
        lin = est.linear
        if not lin.coef:
            raise ModelError("E_MODEL", f"{where}: linear.coef is absent")
        coef = self.tensor(lin.coef, where, (pb.DTYPE_F64,), (1, 2))
        n_out = 1 if len(coef) == 1 else coef[0]
        self._n_features(est, coef[-1], where)
        if lin.intercept:
            icpt = self.tensor(lin.intercept, where, (pb.DTYPE_F64,), (0, 1))
            if (len(coef) == 1 and icpt != ()) or (len(coef) == 2 and icpt != (n_out,)):
                raise ModelError(
                    "E_MODEL", f"{where}: intercept shape {list(icpt)} for coef {list(coef)}"
                )
        if lin.link not in pb.LinearLink.values() or lin.link == pb.LINEAR_LINK_UNSPECIFIED:
            raise ModelError("E_MODEL", f"{where}: linear.link {lin.link} is not a known link")
        kind = lin.classes.WhichOneof("kind") if lin.HasField("classes") else None
        if lin.link == pb.LINEAR_LINK_IDENTITY:
            if kind is not None:
                raise ModelError("E_MODEL", f"{where}: a regression body has classes")
            return None
        if kind is None:
            raise ModelError("E_MODEL", f"{where}: a classifier body has no classes")
        labels = list(getattr(lin.classes, kind).values)
        if len(set(labels)) != len(labels):
            raise ModelError("E_MODEL", f"{where}: repeated class labels")
        if lin.link == pb.LINEAR_LINK_LOGISTIC:
            if len(labels) != 2 or n_out != 1:
                raise ModelError(
                    "E_MODEL",
                    f"{where}: a logistic body needs 2 classes and one score column, "
                    f"got {len(labels)} and {n_out}",
                )
        elif len(labels) < 2 or len(coef) != 2 or n_out != len(labels):
            raise ModelError(
                "E_MODEL",
                f"{where}: {len(labels)} classes need coef [{len(labels)}, n_features], "
                f"got {list(coef)}",
            )
        return None

    def scaler(self, est: pb.Estimator, where: str) -> int | None:
        s = est.standard_scaler
        widths = set()
        for field in ("mean", "scale", "var"):
            name = getattr(s, field)
            if name:
                widths.add(self.tensor(name, where, (pb.DTYPE_F64,), (1,))[0])
        if s.n_samples_seen:
            shape = self.tensor(s.n_samples_seen, where, (pb.DTYPE_I64, pb.DTYPE_F64), (0, 1))
            widths.update(shape)
        if len(widths) > 1:
            raise ModelError("E_MODEL", f"{where}: scaler tensors disagree on the feature count")
        if est.n_features_in:
            self._n_features(est, next(iter(widths), est.n_features_in), where)
            return est.n_features_in
        return next(iter(widths), None)

    def pipeline(self, est: pb.Estimator, depth: int, path: str) -> int | None:
        where = f"estimator {path or '<root>'}"
        steps = est.pipeline.steps
        if not steps:
            raise ModelError("E_MODEL", f"{where}: a pipeline has no steps")
        names: set[str] = set()
        width = est.n_features_in or None
        for i, step in enumerate(steps):
            if not step.name or step.name in names:
                raise ModelError(
                    "E_MODEL", f"{where}: step {i} name {step.name!r} empty or repeated"
                )
            names.add(step.name)
            if not step.HasField("estimator"):
                continue
            child = step.estimator
            child_path = f"{path}steps/{step.name}/"
            if width is not None and child.n_features_in and child.n_features_in != width:
                raise ModelError(
                    "E_MODEL",
                    f"{where}: step {step.name!r} takes {child.n_features_in} features, "
                    f"the previous step gives {width}",
                )
            out = self.estimator(child, depth + 1, child_path)
            last = i == len(steps) - 1
            if not last and not _transforms(child):
                raise ModelError(
                    "E_MODEL", f"{where}: step {step.name!r} is not last but does not transform"
                )
            width = out if out is not None else (child.n_features_in or None)
        return width


def _transforms(est: pb.Estimator) -> bool:
    body = est.WhichOneof("body")
    if body == "standard_scaler":
        return True
    if body == "pipeline":
        last = est.pipeline.steps[-1]
        return not last.HasField("estimator") or _transforms(last.estimator)
    return False


def validate(manifest: pb.Manifest, tensors: Mapping[str, pb.TensorInfo]) -> None:
    """Check 15 of spec/format.md: the estimator tree, depth first."""
    if not manifest.HasField("estimator"):
        raise ModelError("E_MODEL", "the manifest has no estimator")
    # Three passes, as spec/format.md check 15 orders them, so that a file with several
    # defects gets the same code from every implementation.
    _structure(manifest.estimator, 1, "")
    for name in tensor_refs(manifest.estimator):
        if name not in tensors:
            raise ModelError(
                "E_TENSOR_REF", f"the estimator refers to tensor {name!r}, not in the table"
            )
    _Checker(tensors).estimator(manifest.estimator, 1, "")


_KNOWN_LINKS = frozenset(v for v in pb.LinearLink.values() if v != pb.LINEAR_LINK_UNSPECIFIED)


def _value_structure(value: pb.Value, depth: int, where: str) -> None:
    if depth > MAX_DEPTH:
        raise ModelError("E_LIMIT", f"{where}: value nested deeper than MAX_DEPTH {MAX_DEPTH}")
    kind = value.WhichOneof("kind")
    if kind is None:
        raise ModelError("E_MODEL", f"{where}: value has no kind")
    if kind == "list_value":
        for item in value.list_value.items:
            _value_structure(item, depth + 1, where)
    elif kind == "dict_value":
        for pair in value.dict_value.entries:
            _value_structure(pair.key, depth + 1, where)
            _value_structure(pair.value, depth + 1, where)


def _structure(est: pb.Estimator, depth: int, path: str) -> None:
    """Pass 1 of check 15: depth limits, kinds and enum values set, bodies known."""
    where = f"estimator {path or '<root>'}"
    if depth > MAX_DEPTH:
        raise ModelError("E_LIMIT", f"{where}: nested deeper than MAX_DEPTH {MAX_DEPTH}")
    for group in (est.params, est.attributes):
        for p in group:
            _value_structure(p.value, 1, f"{where}, {p.name!r}")
    body = est.WhichOneof("body")
    if body is None:
        raise ModelError(
            "E_UNKNOWN_ESTIMATOR",
            f"{where} ({est.producer_type!r}) has no body this reader knows",
        )
    if body == "linear":
        lin = est.linear
        if lin.link not in _KNOWN_LINKS:
            raise ModelError("E_MODEL", f"{where}: linear.link {lin.link} is not a known link")
        if lin.HasField("classes") and lin.classes.WhichOneof("kind") is None:
            raise ModelError("E_MODEL", f"{where}: linear.classes has no kind")
        if not lin.coef:
            raise ModelError("E_MODEL", f"{where}: linear.coef is absent")
    elif body == "pipeline":
        for step in est.pipeline.steps:
            if step.HasField("estimator"):
                _structure(step.estimator, depth + 1, f"{path}steps/{step.name}/")
