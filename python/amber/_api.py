"""The public API, mirroring joblib: dump, load, dumps, loads; plus inspect and validate."""

from __future__ import annotations

import hashlib
import mmap
import os
from typing import IO, Any, Union

from google.protobuf import json_format

from . import _container, _schema, _tree
from ._errors import AmberError, UnsupportedError
from ._proto.amber.v1 import amber_pb2 as pb
from ._version import __version__

PathOrFile = Union[str, "os.PathLike[str]", IO[bytes]]
PRODUCER_NAME = "amber-python"


def _producer() -> pb.Producer:
    import sklearn

    return pb.Producer(
        name=PRODUCER_NAME,
        version=__version__,
        library="scikit-learn",
        library_version=sklearn.__version__,
    )


def _read_bytes(source: PathOrFile | bytes | bytearray | memoryview) -> bytes | memoryview:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return source
    try:
        if hasattr(source, "read"):
            return source.read()  # type: ignore[union-attr]
        with open(source, "rb") as f:  # type: ignore[arg-type]
            return f.read()
    except OSError as exc:
        raise AmberError("E_IO", f"cannot read {source!r}: {exc}") from exc


def _check(data: bytes | bytearray | memoryview) -> _container.Container:
    """Checks 1-15 of spec/format.md; the tensor checksums run beside check 15."""
    container, checksums = _container.open_container(data)
    with checksums:
        _tree.validate(
            container.manifest,
            container.tensors,
            container.view,
            int(container.header.file_length),
        )
    return container


def dumps(estimator: Any, *, inference_only: bool = False) -> bytes:
    """The canonical Amber bytes of a fitted estimator (E_UNSUPPORTED if it has none).

    `inference_only` leaves out what predictions do not need (for trees: the training
    statistics and the values of internal nodes); `load` warns which attributes of such a
    file are not meaningful.
    """
    return b"".join(_encode(estimator, inference_only))


def _encode(estimator: Any, inference_only: bool) -> list[bytes | memoryview]:
    from ._sklearn import encode_estimator
    from ._sklearn._common import EncodeCtx, raise_refusals

    ctx = EncodeCtx(inference_only=inference_only)
    manifest = pb.Manifest(producer=_producer())
    try:
        manifest.estimator.CopyFrom(encode_estimator(estimator, ctx))
    except Exception:
        # A composition that met a refused member may fail on the placeholder it got:
        # the refusals are the cause.
        raise_refusals(estimator, ctx)
        raise
    raise_refusals(estimator, ctx)
    infos = {t.name: pb.TensorInfo(name=t.name, dtype=t.dtype, shape=t.shape) for t in ctx.tensors}
    schema = _tree.input_schema(manifest, infos)
    if schema is not None:
        manifest.input.CopyFrom(schema)
    return _container.encode_container(manifest, ctx.tensors)


class Support:
    """What `supported` answers: true when the model can be saved; `reasons` names every
    part that cannot, by its position in the model, with why."""

    def __init__(self, reasons: list[str]) -> None:
        self.reasons = reasons

    def __bool__(self) -> bool:
        return not self.reasons

    def __repr__(self) -> str:
        if not self.reasons:
            return "Support(saved as it is)"
        return "Support(cannot be saved:\n" + "".join(f"  - {r}\n" for r in self.reasons) + ")"


def supported(estimator: Any) -> Support:
    """Can `amber.dump` save this fitted model? Encodes it without writing anything and
    collects every refusal (`E_UNSUPPORTED`) rather than stopping at the first."""
    try:
        _encode(estimator, False)
    except UnsupportedError as e:
        return Support(e.reasons)
    return Support([])


def dump(estimator: Any, path: PathOrFile, *, inference_only: bool = False) -> None:
    """Write `estimator` to `path` (a path or a binary file object); see `dumps`."""
    pieces = _encode(estimator, inference_only)  # the file, piece by piece: no joined copy
    try:
        if hasattr(path, "write"):
            for piece in pieces:
                path.write(piece)  # type: ignore[union-attr]
        else:
            with open(path, "wb") as f:  # type: ignore[arg-type]
                for piece in pieces:
                    f.write(piece)
    except OSError as exc:
        raise AmberError("E_IO", f"cannot write {path!r}: {exc}") from exc


def loads(data: bytes | bytearray | memoryview) -> Any:
    """Rebuild an estimator from Amber bytes, after every check of spec/format.md."""
    from ._sklearn import decode_estimator
    from ._sklearn._common import DecodeCtx

    container, checksums = _container.open_container(data)
    # Check 15 and the rebuild run while the tensor checksums (check 14) are computed; the
    # block's end waits for them, and a checksum failure is what is raised.
    with checksums:
        _tree.validate(
            container.manifest,
            container.tensors,
            container.view,
            int(container.header.file_length),
        )
        try:
            return decode_estimator(container.manifest.estimator, DecodeCtx(container))
        except AmberError:
            raise
        except MemoryError as e:
            raise AmberError("E_LIMIT", f"rebuilding the estimator ran out of memory: {e}") from e
        except Exception as e:
            # The last safety net (spec/sklearn.md): every check of the rebuild raises
            # AmberError itself; anything else is a check still missing, and still the
            # file's fault, never the caller's.
            raise AmberError(
                "E_PROVENANCE",
                f"the estimator cannot be rebuilt ({type(e).__name__}: {e})",
            ) from e


def _map_file(path: PathOrFile | bytes | bytearray | memoryview) -> bytes | memoryview | mmap.mmap:
    """A read-only mapping of the file at `path` (its bytes when it cannot be mapped).

    Mapping (with MAP_POPULATE where there is one) saves a copy of the whole file; nothing
    the estimator keeps refers to it, so it is unmapped once the load returns.
    """
    if hasattr(path, "read") or isinstance(path, (bytes, bytearray, memoryview)):
        return _read_bytes(path)  # type: ignore[return-value]
    try:
        with open(path, "rb") as f:  # type: ignore[arg-type]
            try:
                if os.fstat(f.fileno()).st_size == 0:
                    return b""
                if hasattr(mmap, "MAP_SHARED"):
                    return mmap.mmap(
                        f.fileno(),
                        0,
                        flags=mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0),
                        prot=mmap.PROT_READ,
                    )
                return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
            except (OSError, ValueError):
                f.seek(0)
                return f.read()
    except OSError as exc:
        raise AmberError("E_IO", f"cannot read {path!r}: {exc}") from exc


def load(path: PathOrFile) -> Any:
    """Rebuild an estimator from an Amber file (a path or a binary file object)."""
    return loads(_map_file(path))


def validate(source: PathOrFile | bytes | bytearray | memoryview) -> None:
    """Run checks 1-15 of spec/format.md; raise AmberError with the first failure's code.

    Needs no scikit-learn: this is the container and the schema's rules only.
    """
    _check(_map_file(source))


def _value_dict(v: pb.Value) -> Any:
    kind = v.WhichOneof("kind")
    if kind in (None, "none"):
        return None
    if kind == "tensor":
        return {"tensor": v.tensor}
    if kind == "list_value":
        return [_value_dict(i) for i in v.list_value.items]
    if kind == "dict_value":
        return {"dict": [[_value_dict(p.key), _value_dict(p.value)] for p in v.dict_value.entries]}
    return getattr(v, kind)


def _estimator_dict(est: pb.Estimator) -> dict[str, Any]:
    body = est.WhichOneof("body")
    out: dict[str, Any] = {
        "producer_type": est.producer_type,
        "body": body,
        "n_features_in": est.n_features_in,
        "feature_names_in": list(est.feature_names_in),
        "params": {p.name: _value_dict(p.value) for p in est.params},
        "attributes": {p.name: _value_dict(p.value) for p in est.attributes},
    }
    if body == "pipeline":
        out["steps"] = [
            {
                "name": s.name,
                "estimator": _estimator_dict(s.estimator) if s.HasField("estimator") else None,
                "passthrough": not s.HasField("estimator"),
            }
            for s in est.pipeline.steps
        ]
    elif body == "voting":
        v = est.voting
        kind = v.classes.WhichOneof("kind") if v.HasField("classes") else None
        out["voting"] = {
            "rule": pb.VotingRule.Name(v.rule),
            "members": [
                {
                    "name": m.name,
                    "estimator": _estimator_dict(m.estimator) if m.HasField("estimator") else None,
                    "dropped": not m.HasField("estimator"),
                    "weight": m.weight.value if m.HasField("weight") else None,
                }
                for m in v.members
            ],
            "classes": list(getattr(v.classes, kind).values) if kind else None,
            "flatten_transform": v.flatten_transform,
        }
    elif body == "stacking":
        out["stacking"] = _stacking_dict(est.stacking)
    elif body == "calibration":
        out["calibration"] = _calibration_dict(est.calibration)
    elif body == "multiclass":
        out["multiclass"] = _multiclass_dict(est.multiclass)
    elif body == "multi_output":
        out["multi_output"] = _multi_output_dict(est.multi_output)
    elif body in _TARGET_DICTS:
        out[body] = _TARGET_DICTS[body](getattr(est, body))
    elif body in _ENSEMBLE_DICTS:
        out[body] = _ENSEMBLE_DICTS[body](getattr(est, body))
    elif body is not None:
        msg = getattr(est, body)
        out[body] = json_format.MessageToDict(msg, preserving_proto_field_name=True)
        if body == "linear" and msg.HasField("classes"):
            kind = msg.classes.WhichOneof("kind")
            out[body]["classes"] = list(getattr(msg.classes, kind).values) if kind else []
    return out


def _stacking_dict(s: pb.Stacking) -> dict[str, Any]:
    kind = s.classes.WhichOneof("kind") if s.HasField("classes") else None
    return {
        "members": [
            {
                "name": m.name,
                "estimator": _estimator_dict(m.estimator) if m.HasField("estimator") else None,
                "dropped": not m.HasField("estimator"),
                "method": pb.StackMethod.Name(m.method),
            }
            for m in s.members
        ],
        "final_estimator": _estimator_dict(s.final_estimator),
        "passthrough": s.passthrough,
        "classes": list(getattr(s.classes, kind).values) if kind else None,
    }


def _calibration_dict(c: pb.Calibration) -> dict[str, Any]:
    kind = c.classes.WhichOneof("kind") if c.HasField("classes") else None

    def calibrator(k: pb.Calibrator) -> dict[str, Any]:
        if k.WhichOneof("kind") == "sigmoid":
            return {"sigmoid": {"a": k.sigmoid.a, "b": k.sigmoid.b}}
        return {"isotonic": json_format.MessageToDict(k.isotonic, preserving_proto_field_name=True)}

    return {
        "classes": list(getattr(c.classes, kind).values) if kind else None,
        "classifiers": [
            {
                "estimator": _estimator_dict(k.estimator),
                "response": pb.CalibrationResponse.Name(k.response),
                "class_indices": [int(i) for i in k.class_indices],
                "calibrators": [calibrator(x) for x in k.calibrators],
            }
            for k in c.classifiers
        ],
    }


def _multiclass_dict(m: pb.Multiclass) -> dict[str, Any]:
    kind = m.classes.WhichOneof("kind") if m.HasField("classes") else None
    return {
        "strategy": pb.MulticlassStrategy.Name(m.strategy),
        "classes": list(getattr(m.classes, kind).values) if kind else None,
        "multilabel": m.multilabel,
        "threshold": m.threshold,
        "ties": pb.MulticlassTies.Name(m.ties),
        "code_book": m.code_book or None,
        "members": [
            {
                "score": pb.BinaryScore.Name(x.score),
                "estimator": _estimator_dict(x.estimator) if x.HasField("estimator") else None,
                "constant": x.constant if x.score == pb.BINARY_SCORE_CONSTANT else None,
            }
            for x in m.members
        ],
    }


def _multi_output_dict(m: pb.MultiOutput) -> dict[str, Any]:
    return {
        "kind": pb.MultiOutputKind.Name(m.kind),
        "members": [_estimator_dict(e) for e in m.members],
        "order": [int(o) for o in m.order],
        "chain_method": pb.ChainMethod.Name(m.chain_method),
    }


def _function_transformer_dict(f: pb.FunctionTransformer) -> dict[str, Any]:
    return {
        "func": pb.ElementwiseFunction.Name(f.func),
        "inverse_func": pb.ElementwiseFunction.Name(f.inverse_func),
        "validate": f.validate,
    }


def _transformed_target_dict(t: pb.TransformedTarget) -> dict[str, Any]:
    return {
        "regressor": _estimator_dict(t.regressor),
        "transformer": _estimator_dict(t.transformer),
        "squeeze": t.squeeze,
    }


def _threshold_dict(t: pb.ThresholdClassifier) -> dict[str, Any]:
    return {
        "estimator": _estimator_dict(t.estimator),
        "score": pb.ThresholdScore.Name(t.score),
        "positive": t.positive,
        "threshold": t.threshold,
    }


#: FunctionTransformer, TransformedTarget, ThresholdClassifier (spec/estimators.md 25-27).
_TARGET_DICTS: dict[str, Any] = {
    "function_transformer": _function_transformer_dict,
    "transformed_target": _transformed_target_dict,
    "threshold_classifier": _threshold_dict,
}


def _bagging_dict(b: pb.Bagging) -> dict[str, Any]:
    kind = b.classes.WhichOneof("kind") if b.HasField("classes") else None
    return {
        "classes": list(getattr(b.classes, kind).values) if kind else None,
        "members": [
            {"features": [int(f) for f in m.features], "estimator": _estimator_dict(m.estimator)}
            for m in b.members
        ],
    }


def _ada_boost_dict(a: pb.AdaBoost) -> dict[str, Any]:
    kind = a.classes.WhichOneof("kind") if a.HasField("classes") else None
    return {
        "algorithm": pb.AdaBoostAlgorithm.Name(a.algorithm),
        "classes": list(getattr(a.classes, kind).values) if kind else None,
        "weights": a.weights,
        "members": [_estimator_dict(e) for e in a.members],
    }


#: Bagging and AdaBoost (spec/estimators.md 28-29).
_ENSEMBLE_DICTS: dict[str, Any] = {"bagging": _bagging_dict, "ada_boost": _ada_boost_dict}


def inspect(source: PathOrFile | bytes | bytearray | memoryview) -> dict[str, Any]:
    """Describe a (checked) file: its SHA-256 (`sha256`, lowercase hex of the whole file: the
    model's stable identity), version, producer, estimator tree and tensor table."""
    data = _map_file(source)
    container = _check(data)
    m, h = container.manifest, container.header
    return {
        "format_version": f"{h.major}.{h.minor}",
        "file_length": h.file_length,
        "sha256": hashlib.sha256(data).hexdigest(),
        "required_features": list(m.required_features),
        "producer": {
            "name": m.producer.name,
            "version": m.producer.version,
            "library": m.producer.library,
            "library_version": m.producer.library_version,
        },
        "estimator": _estimator_dict(m.estimator),
        **(
            {
                "input": {
                    "columns": [
                        {"name": c.name, "kind": _schema.kind_name(c.kind)} for c in m.input.columns
                    ]
                }
            }
            if m.HasField("input")
            else {}
        ),
        "tensors": [
            {
                "name": t.name,
                "dtype": _container.dtype_name(t.dtype),
                "shape": list(t.shape),
                "offset": t.offset,
                "bytes": t.length,
                "crc32": f"{t.crc32:08x}",
            }
            for t in m.tensors
        ],
    }
