"""Pipeline <-> the `Pipeline` body: steps in order, each a nested estimator or passthrough.

Pipeline.predict/transform/... run every step's transform in order, then the last step's
method (sklearn.pipeline.Pipeline). A passthrough step ("passthrough" or None) is the
identity. The `steps` param lives in the body; the other params (memory, verbose,
transform_input) are params as usual. n_features_in_ and feature_names_in_ are
properties of Pipeline (its first step's): they are written but not set on load.

`memory` (a cache directory for fit: None, a path, or a `joblib.Memory`) changes no
prediction. A writer records it as provenance, the path (a `joblib.Memory`'s location); a
reader does not restore it (a file does not choose where a later fit writes) and warns with
the saved path, so `set_params(memory=...)` caches again.
"""

from __future__ import annotations

import warnings
from typing import Any

from sklearn.pipeline import Pipeline

from .._errors import AmberWarning
from .._proto.amber.v1 import amber_pb2 as pb
from ._common import (
    DecodeCtx,
    EncodeCtx,
    allow,
    build,
    check_names,
    decode_estimator,
    encode_estimator,
    encode_value,
    read_attributes,
    refuse,
    register,
)


def _memory_location(memory: Any) -> str | None:
    """The cache directory `memory` names: a path as given, a joblib.Memory's location."""
    if memory is None or isinstance(memory, str):
        return memory
    location = getattr(memory, "location", None)
    return None if location is None else str(location)


def pipeline_to_proto(est: Any, msg: pb.Estimator, ctx: EncodeCtx) -> set[str]:
    # memory is the first of Pipeline's params by name, so adding it here keeps them sorted
    memory = _memory_location(est.memory)
    msg.params.add(name="memory", value=encode_value(memory, "params/memory", ctx))
    body = msg.pipeline
    body.SetInParent()
    for name, step in est.steps:
        out = body.steps.add(name=name)
        if step is None or (isinstance(step, str) and step == "passthrough"):
            out.passthrough_is_none = step is None
        else:
            out.estimator.CopyFrom(encode_estimator(step, ctx.child(f"steps/{name}/")))
    return {"steps", "memory"}


def pipeline_from_proto(msg: pb.Estimator, ctx: DecodeCtx) -> Any:
    check_names(Pipeline, [s.name for s in msg.pipeline.steps])
    steps = []
    for step in msg.pipeline.steps:
        if step.HasField("estimator"):
            steps.append((step.name, decode_estimator(step.estimator, ctx)))
        else:
            steps.append((step.name, None if step.passthrough_is_none else "passthrough"))
    return build(
        Pipeline, _without_memory(msg), ctx, read_attributes(Pipeline, msg, ctx, {}), steps=steps
    )


def _without_memory(msg: pb.Estimator) -> pb.Estimator:
    """msg without its `memory` param, after warning with the saved cache directory."""
    kept = [p for p in msg.params if p.name != "memory"]
    if len(kept) == len(msg.params):
        return msg
    saved = next(p for p in msg.params if p.name == "memory").value
    kind = saved.WhichOneof("kind")
    if kind not in ("none", "string_value"):
        raise refuse("sklearn.pipeline.Pipeline", f"param memory is a {kind}, not a path or None")
    if kind == "string_value":
        warnings.warn(
            f"sklearn.pipeline.Pipeline: the file's memory {saved.string_value[:200]!r} (a "
            "cache directory for fit) is not restored; memory is None (set_params(memory=...) "
            "to cache again)",
            AmberWarning,
            stacklevel=2,
        )
    out = pb.Estimator()
    out.CopyFrom(msg)
    del out.params[:]
    out.params.extend(kept)
    return out


# A Pipeline has no fitted attributes of its own (its n_features_in_ and feature_names_in_
# are its first step's).
allow(Pipeline, {})
register(Pipeline, "sklearn.pipeline.Pipeline", "pipeline", pipeline_to_proto, pipeline_from_proto)
