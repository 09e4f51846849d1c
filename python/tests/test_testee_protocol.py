"""The Python testee against the protocol of tests/vectors/README.md ("Testee protocol"):
how a request's output paths must match the arrays a method gives."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.multioutput import MultiOutputClassifier
from sklearn.tree import DecisionTreeClassifier

import amber
from amber import testee


def _files(tmp_path: Path) -> tuple[str, str, str]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    Y = np.column_stack([X[:, 0] > 0, X[:, 1] > 0]).astype(int)
    multi = MultiOutputClassifier(DecisionTreeClassifier(max_depth=2)).fit(X, Y)
    single = DecisionTreeClassifier(max_depth=2).fit(X, Y[:, 0])
    paths = tmp_path / "multi.amber", tmp_path / "single.amber", tmp_path / "x.npy"
    amber.dump(multi, paths[0])
    amber.dump(single, paths[1])
    np.save(paths[2], X[:5])
    return str(paths[0]), str(paths[1]), str(paths[2])


def _code(req: dict) -> str | None:
    resp = testee.handle({"id": 1, "op": "predict", "method": "predict_proba", **req})
    assert resp["id"] == 1
    return None if resp["ok"] else resp["code"]


def test_output_paths_match_the_method_arrays(tmp_path: Path) -> None:
    multi, single, x = _files(tmp_path)
    out = [str(tmp_path / f"p.{k}.npy") for k in range(3)]
    # One path for a method giving one array per output: E_METHOD.
    assert _code({"model": multi, "input": x, "output": out[0]}) == "E_METHOD"
    # A list of another length than the outputs: E_REQUEST, nothing written.
    assert _code({"model": multi, "input": x, "output": out}) == "E_REQUEST"
    assert not any(Path(p).exists() for p in out)
    # As many paths as outputs.
    assert _code({"model": multi, "input": x, "output": out[:2]}) is None
    assert [np.load(p).shape for p in out[:2]] == [(5, 2), (5, 2)]
    # One array counts as a list of one.
    assert _code({"model": single, "input": x, "output": [out[2]]}) is None
    assert np.load(out[2]).shape == (5, 2)
    assert _code({"model": single, "input": x, "output": out[:2]}) == "E_REQUEST"
