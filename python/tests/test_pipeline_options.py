"""The rest of issue #12's pipeline items: a Pipeline with `memory` (a fit-time cache: not
restored, with a warning) or `transform_input` (a fit-time routing param), and a
FeatureUnion whose members are compositions over predictions (VotingClassifier and
StackingClassifier transforms). Each round-trips through amber.load with scikit-learn's own
outputs and runs in the Rust CLI within the members' tolerance."""

from __future__ import annotations

import subprocess
import warnings
from typing import Any

import numpy as np
import pytest
import sklearn
from sklearn.ensemble import (
    RandomForestClassifier,
    StackingClassifier,
    VotingClassifier,
    VotingRegressor,
)
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import FeatureUnion, Pipeline, make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler
from sklearn.tree import DecisionTreeRegressor
from test_body_rules import CLI

import amber

RNG = np.random.RandomState(7)
X = RNG.normal(size=(240, 5))
Y = (X[:, 0] + 0.5 * X[:, 1] - X[:, 2] > 0).astype(int) + (X[:, 3] > 1.0)
Y_REG = X @ np.array([1.0, -2.0, 0.5, 0.0, 3.0]) + RNG.normal(scale=0.1, size=240)
SK_VERSION = tuple(int(p) for p in sklearn.__version__.split(".")[:2])


def _forest() -> Any:
    return RandomForestClassifier(n_estimators=5, max_depth=4, random_state=0)


def _memory(tmp_path) -> Any:
    return Pipeline(
        [("scale", StandardScaler()), ("lr", LogisticRegression())], memory=str(tmp_path)
    ).fit(X, Y)


def _transform_input() -> Any:
    return Pipeline(
        [("scale", StandardScaler()), ("lr", LogisticRegression())], transform_input=None
    ).fit(X, Y)


def _union_of_voting() -> Any:
    vote = VotingClassifier([("lr", LogisticRegression()), ("rf", _forest())], voting="soft")
    union = FeatureUnion([("vote", vote), ("scaled", StandardScaler())])
    return make_pipeline(union, LogisticRegression(max_iter=500)).fit(X, Y)


def _union_of_stacking() -> Any:
    stack = StackingClassifier([("lr", LogisticRegression()), ("rf", _forest())], cv=3)
    union = FeatureUnion([("stack", stack), ("minmax", MinMaxScaler())])
    return make_pipeline(union, LogisticRegression(max_iter=500)).fit(X, Y)


def _union_of_voting_regressor() -> Any:
    vote = VotingRegressor([("ridge", Ridge()), ("tree", DecisionTreeRegressor(max_depth=3))])
    union = FeatureUnion([("vote", vote), ("scaled", StandardScaler())])
    return make_pipeline(union, Ridge()).fit(X, Y_REG)


CASES = {
    "union_of_voting": _union_of_voting,
    "union_of_stacking": _union_of_stacking,
    "union_of_voting_regressor": _union_of_voting_regressor,
}


def _methods(est: Any) -> list[str]:
    return [m for m in ("predict", "predict_proba") if hasattr(est, m)]


def _same_outputs(a: Any, b: Any) -> None:
    for m in _methods(a):
        np.testing.assert_array_equal(getattr(a, m)(X), getattr(b, m)(X), err_msg=m)


@pytest.mark.parametrize("name", sorted(CASES))
def test_union_of_compositions_round_trips(name: str) -> None:
    est = CASES[name]()
    _same_outputs(est, amber.loads(amber.dumps(est)))


def test_memory_is_not_restored_and_says_so(tmp_path) -> None:
    est = _memory(tmp_path)
    data = amber.dumps(est)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        back = amber.loads(data)
    assert back.memory is None
    assert any("memory" in str(w.message) for w in caught), [str(w.message) for w in caught]
    _same_outputs(est, back)


@pytest.mark.skipif(SK_VERSION < (1, 6), reason="transform_input is new in scikit-learn 1.6")
def test_transform_input_round_trips() -> None:
    est = _transform_input()
    back = amber.loads(amber.dumps(est))
    assert back.transform_input is None
    _same_outputs(est, back)


def _cli(est: Any, method: str, tmp_path) -> np.ndarray:
    model, x, out = tmp_path / "m.amber", tmp_path / "x.npy", tmp_path / "out.npy"
    model.write_bytes(amber.dumps(est))
    np.save(x, X)
    cmd = [str(CLI), "predict", str(model), "--input", str(x), "--method", method]
    subprocess.run([*cmd, "--output", str(out)], check=True, capture_output=True)
    return np.load(out)


@pytest.mark.skipif(not CLI.exists(), reason="the release CLI is not built")
@pytest.mark.parametrize("name", sorted(CASES))
def test_union_of_compositions_in_the_cli(name: str, tmp_path) -> None:
    est = CASES[name]()
    for method in _methods(est):
        got, want = _cli(est, method, tmp_path), getattr(est, method)(X)
        if method == "predict" and want.dtype.kind in "iu":
            # Labels: the members' linear probabilities are within 1e-12, and no row of
            # this data lies that close to a decision boundary.
            np.testing.assert_array_equal(got, want)
        else:
            # Linear members (spec/estimators.md section 3.1's tolerance).
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
