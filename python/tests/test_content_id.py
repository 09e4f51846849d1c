"""A file's SHA-256 is its model identity (spec/format.md, canonical encoding): `amber.inspect`
reports it as `sha256`, the same value as `amber inspect --json`, `sha256sum` and hashlib."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from test_body_rules import CLI

import amber
from conftest import VECTORS

VALID = sorted((VECTORS / "valid").glob("*/model.amber"))


def test_the_corpus_has_files() -> None:
    assert len(VALID) > 100


@pytest.mark.parametrize("path", VALID[::5], ids=lambda p: p.parent.name)
def test_inspect_sha256_is_the_files_sha256(path: Path) -> None:
    expected = hashlib.sha256(path.read_bytes()).hexdigest()
    assert amber.inspect(path)["sha256"] == expected
    assert amber.inspect(path.read_bytes())["sha256"] == expected  # bytes in: the same
    with open(path, "rb") as f:
        assert amber.inspect(f)["sha256"] == expected


def test_sha256_of_a_known_file() -> None:
    # Computed with coreutils' sha256sum; corpus files never change.
    path = VECTORS / "valid" / "gb_classifier_init_forest_multiclass-sk1.3.2" / "model.amber"
    digest = "61f77493531d0d04747c704e4c397a1c224d771b3cbedb30a6abfe11dfa251bc"
    assert amber.inspect(path)["sha256"] == digest


def test_saving_the_same_model_again_keeps_the_id(tmp_path: Path) -> None:
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(50, 3)), np.arange(50) % 2
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    a, b = tmp_path / "a.amber", tmp_path / "b.amber"
    amber.dump(model, a)
    amber.dump(amber.load(a), b)
    assert amber.inspect(a)["sha256"] == amber.inspect(b)["sha256"]
    assert amber.inspect(a)["sha256"] == hashlib.sha256(b.read_bytes()).hexdigest()


@pytest.mark.skipif(not CLI.exists(), reason="the release CLI is not built")
@pytest.mark.parametrize("path", VALID[::25], ids=lambda p: p.parent.name)
def test_rust_and_python_report_the_same_sha256(path: Path) -> None:
    out = subprocess.run(
        [str(CLI), "inspect", "--json", str(path)], capture_output=True, check=True
    )
    assert json.loads(out.stdout)["sha256"] == amber.inspect(path)["sha256"]
