"""The body rules both readers check (spec/estimators.md), each on a small hand-built file
that the two readers used to judge differently (issue #8): Python's `amber.validate` and the
Rust CLI's `amber validate` must give the same verdict and code.

The Rust half runs when the release CLI is built (`cargo build --release -p amber-cli`).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

import amber
from amber import _container as c
from amber._proto.amber.v1 import amber_pb2 as pb

CLI = Path(__file__).resolve().parents[2] / "target" / "release" / "amber"


def _scaler(e: pb.Estimator, n: int, prefix: str) -> list[c.Tensor]:
    e.producer_type = "sklearn.preprocessing.StandardScaler"
    e.n_features_in = n
    e.standard_scaler.mean = f"{prefix}mean"
    return [c.Tensor.from_array(f"{prefix}mean", np.zeros(n))]


def _linear(e: pb.Estimator, coef: np.ndarray, prefix: str) -> list[c.Tensor]:
    e.producer_type = "sklearn.linear_model.LinearRegression"
    e.n_features_in = coef.shape[-1]
    e.linear.coef = f"{prefix}coef"
    e.linear.link = pb.LINEAR_LINK_IDENTITY
    return [c.Tensor.from_array(f"{prefix}coef", coef)]


def _stump(t: pb.TreeEnsemble, prefix: str, values: np.ndarray) -> list[c.Tensor]:
    """One stump on feature 0 with two regression leaves (rows 0 and 1)."""
    rec = np.zeros(3, dtype=[("threshold", "<f8"), ("feature", "<u4"), ("next", "<u4")])
    rec[0] = (0.5, 0, 2)
    rec[1] = (0.0, 0xFFFFFFFF, 0)
    rec[2] = (0.0, 0xFFFFFFFF, 1)
    t.nodes, t.tree_offsets, t.values = f"{prefix}nodes", f"{prefix}offsets", f"{prefix}values"
    t.input = pb.TREE_INPUT_F32
    t.leaf_values = pb.LEAF_VALUES_REGRESSION
    return [
        c.Tensor.from_array(t.nodes, rec.view(np.uint8).reshape(3, 16)),
        c.Tensor.from_array(t.tree_offsets, np.array([0, 3], dtype=np.uint64)),
        c.Tensor.from_array(t.values, values.reshape(2, 1, 1)),
    ]


def _file(m: pb.Manifest, tensors: list[c.Tensor]) -> bytes:
    m.producer.name = "hand"
    return c.write_container(m, tensors)


def pipeline_without_width_but_with_names() -> bytes:
    m = pb.Manifest()
    e = m.estimator
    e.producer_type = "sklearn.pipeline.Pipeline"
    e.feature_names_in.extend(["a", "b"])
    step = e.pipeline.steps.add(name="s")
    return _file(m, _scaler(step.estimator, 2, "s/"))


def nested_pipeline_width_mismatch() -> bytes:
    """A pipeline of width 3 whose first step is a pipeline with its width unset, whose own
    first step takes 4 features."""
    m = pb.Manifest()
    e = m.estimator
    e.producer_type = "sklearn.pipeline.Pipeline"
    e.n_features_in = 3
    inner = e.pipeline.steps.add(name="inner").estimator
    inner.producer_type = "sklearn.pipeline.Pipeline"
    return _file(m, _scaler(inner.pipeline.steps.add(name="s").estimator, 4, "s/"))


def linear_with_no_output_rows() -> bytes:
    m = pb.Manifest()
    return _file(m, _linear(m.estimator, np.zeros((0, 2)), ""))


def _boosting(m: pb.Manifest) -> tuple[pb.Boosting, list[c.Tensor]]:
    e = m.estimator
    e.producer_type = "sklearn.ensemble.GradientBoostingRegressor"
    e.n_features_in = 2
    b = e.boosting
    b.n_columns = 1
    b.scale = 0.1
    b.link = pb.BOOSTING_LINK_IDENTITY
    b.init_link = pb.BOOSTING_INIT_LINK_PREDICT
    return b, _stump(b.trees, "trees/", np.array([1.0, 2.0]))


def boosting_pipeline_init_width_mismatch() -> bytes:
    m = pb.Manifest()
    b, tensors = _boosting(m)
    b.init.producer_type = "sklearn.pipeline.Pipeline"
    step = b.init.pipeline.steps.add(name="lr").estimator
    return _file(m, tensors + _linear(step, np.ones(3), "init/"))


def boosting_isolation_forest_init() -> bytes:
    m = pb.Manifest()
    b, tensors = _boosting(m)
    init = b.init
    init.producer_type = "sklearn.ensemble.IsolationForest"
    init.n_features_in = 2
    init.isolation_forest.denominator = 1.0
    init.isolation_forest.offset = -0.5
    tensors += _stump(init.isolation_forest.trees, "init/", np.array([1.0, 2.0]))
    return _file(m, tensors)


CASES = {
    "pipeline_without_width_but_with_names": (pipeline_without_width_but_with_names, "E_MODEL"),
    "nested_pipeline_width_mismatch": (nested_pipeline_width_mismatch, "E_MODEL"),
    "linear_with_no_output_rows": (linear_with_no_output_rows, "E_MODEL"),
    "boosting_pipeline_init_width_mismatch": (boosting_pipeline_init_width_mismatch, "E_MODEL"),
    "boosting_isolation_forest_init": (boosting_isolation_forest_init, None),
}


def _python_code(blob: bytes) -> str | None:
    try:
        amber.validate(blob)
    except amber.AmberError as exc:
        return exc.code
    return None


def _rust_code(path: Path) -> str | None:
    out = subprocess.run([str(CLI), "validate", str(path)], capture_output=True, text=True)
    if out.returncode == 0:
        return None
    found = re.search(r"\bE_[A-Z_]+\b", out.stdout + out.stderr)
    return found.group(0) if found else f"no code: {out.stdout}{out.stderr}"


@pytest.mark.parametrize("name", sorted(CASES))
def test_python_verdict(name: str) -> None:
    build, code = CASES[name]
    assert _python_code(build()) == code


@pytest.mark.skipif(not CLI.exists(), reason="the release CLI is not built")
@pytest.mark.parametrize("name", sorted(CASES))
def test_rust_gives_the_same_verdict(name: str, tmp_path: Path) -> None:
    build, code = CASES[name]
    path = tmp_path / f"{name}.amber"
    path.write_bytes(build())
    assert _rust_code(path) == code
