"""Pipeline <-> the `Pipeline` body: steps in order, each a nested estimator or passthrough.

Pipeline.predict/transform/... run every step's transform in order, then the last step's
method (sklearn.pipeline.Pipeline). A passthrough step ("passthrough" or None) is the
identity. The `steps` param lives in the body; the other params (memory, verbose,
transform_input) are params as usual. n_features_in_ and feature_names_in_ are
properties of Pipeline (its first step's): they are written but not set on load.
"""

from __future__ import annotations

from typing import Any

from sklearn.pipeline import Pipeline

from .._proto.amber.v1 import amber_pb2 as pb
from ._common import (
    DecodeCtx,
    EncodeCtx,
    allow,
    build,
    check_names,
    decode_estimator,
    encode_estimator,
    read_attributes,
    register,
)


def pipeline_to_proto(est: Any, msg: pb.Estimator, ctx: EncodeCtx) -> set[str]:
    body = msg.pipeline
    body.SetInParent()
    for name, step in est.steps:
        out = body.steps.add(name=name)
        if step is None or (isinstance(step, str) and step == "passthrough"):
            out.passthrough_is_none = step is None
        else:
            out.estimator.CopyFrom(encode_estimator(step, ctx.child(f"steps/{name}/")))
    return {"steps"}


def pipeline_from_proto(msg: pb.Estimator, ctx: DecodeCtx) -> Any:
    check_names(Pipeline, [s.name for s in msg.pipeline.steps])
    steps = []
    for step in msg.pipeline.steps:
        if step.HasField("estimator"):
            steps.append((step.name, decode_estimator(step.estimator, ctx)))
        else:
            steps.append((step.name, None if step.passthrough_is_none else "passthrough"))
    return build(Pipeline, msg, ctx, read_attributes(Pipeline, msg, ctx, {}), steps=steps)


# A Pipeline has no fitted attributes of its own (its n_features_in_ and feature_names_in_
# are its first step's).
allow(Pipeline, {})
register(Pipeline, "sklearn.pipeline.Pipeline", "pipeline", pipeline_to_proto, pipeline_from_proto)
