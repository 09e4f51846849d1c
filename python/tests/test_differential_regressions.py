"""The differential comparison (fuzz/differential.py) on every kept hostile file.

Each `tests/hostile/*.amber` and `fuzz/findings/*.amber` goes through Python
(`amber.validate`, `amber.loads` and the methods, in a worker subprocess under a memory and a
time limit) and through the Rust testee (`amber testee`): same verdict, same error code, same
predictions, and no Python exception but AmberError. A Python E_PROVENANCE on a file both
validators accept is the rebuilding reader's own check and passes. The input is the one of the
case the file's JSON note names, else a small input of special values (FUZZING.md).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted(
    [*(ROOT / "tests" / "hostile").glob("*.amber"), *(ROOT / "fuzz" / "findings").glob("*.amber")]
)


def _differential():
    spec = importlib.util.spec_from_file_location(
        "amber_differential", ROOT / "fuzz" / "differential.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


differential = _differential()


def _rust_binary() -> Path:
    """$AMBER_BIN, else the debug `amber` built now (a no-op after `cargo test`)."""
    if os.environ.get("AMBER_BIN"):
        return Path(os.environ["AMBER_BIN"])
    if shutil.which("cargo") is None:
        pytest.fail("cargo is needed to build the Rust testee (or set AMBER_BIN)")
    subprocess.run(["cargo", "build", "--quiet", "-p", "amber-cli"], cwd=ROOT, check=True)
    return ROOT / "target" / "debug" / "amber"


@pytest.fixture(scope="module")
def readers():
    with differential.Readers(_rust_binary(), mem_mb=2048, timeout=60.0) as r:
        yield r


@pytest.fixture(scope="module")
def corpus():
    return {c.name: c for c in differential.load_corpus(ROOT / "tests" / "vectors")}


def test_there_are_hostile_files():
    assert len(FILES) >= 20


def _older_than_its_producer(path: Path) -> bool:
    """Whether the installed scikit-learn is older than the one that trained the corpus case
    the file was derived from (its JSON note names it; minimizing drops the producer)."""
    import json

    import sklearn

    def version(text: str) -> tuple[int, ...]:
        return tuple(int(part) for part in text.split(".")[:2] if part.isdigit())

    note = path.with_suffix(".json")
    case = json.loads(note.read_text("utf-8")).get("case", "") if note.exists() else ""
    meta = ROOT / "tests" / "vectors" / str(case) / "case.json"
    if not case or not meta.is_file():
        return False
    wrote = json.loads(meta.read_text("utf-8")).get("library_version", "")
    return bool(wrote) and version(sklearn.__version__) < version(wrote)


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_both_readers_agree(path: Path, readers, corpus):
    case = differential.case_for(path, corpus, readers.tmp)
    verdict = readers.compare(path.read_bytes(), case)
    refused_nan = verdict.signature is not None and all(
        "python E_INPUT, rust ok" in d for d in verdict.differences
    )
    if refused_nan and _older_than_its_producer(path):
        # An older scikit-learn refuses the NaN inputs a newer one's forests take (1.3's
        # forests have no missing-value support; python/README.md, version notes).
        pytest.skip("an older scikit-learn refuses NaN inputs that the file's producer takes")
    assert verdict.signature is None, "\n".join(verdict.differences)


def test_a_disagreement_is_found():
    """The comparison can fail: a Python verdict unlike Rust's is a finding."""
    v = differential.Verdict(python_validate="E_MODEL", rust_validate=None)
    v.differ("validate python=E_MODEL rust=ok", "validate: python E_MODEL, rust accepts")
    assert v.signature == "validate python=E_MODEL rust=ok"
    m = differential.Method("predict", None)
    import numpy as np

    a = np.array([1.0, float("nan")])
    assert differential.same_output(a, a.copy(), m) is None
    assert "values" in differential.same_output(a, np.array([1.0, 2.0]), m)
    assert "values" in differential.same_output(np.array([0.0]), np.array([-0.0]), m)
    assert "shape" in differential.same_output(a, a[:1], m)


@pytest.mark.parametrize("scale", [1.0, 20.0, 1e3, 1e6])
def test_the_softmax_bound_holds_between_scipy_logsumexp_and_sklearn_softmax(scale) -> None:
    # 1.3.2's MultinomialDeviance (exp(R - logsumexp(R))) against extmath.softmax, which a
    # newer reader computes for the same raw scores: the harness's per-row bound must hold
    from scipy.special import logsumexp
    from sklearn.utils.extmath import softmax

    rng = np.random.default_rng(int(scale))
    for k in (3, 9, 20):
        raw = rng.normal(size=(5000, k)) * scale
        old = np.nan_to_num(np.exp(raw - logsumexp(raw, axis=1)[:, np.newaxis]))
        rule = differential._softmax_loosened(differential.Method("predict_proba", None), raw)
        assert differential.same_output(old, softmax(raw.copy()), rule) is None
