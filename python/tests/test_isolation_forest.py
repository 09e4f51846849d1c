"""IsolationForest: the body's arithmetic against scikit-learn's, round trips, inference-only
files, the feature remapping and the body rules."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import IsolationForest
from sklearn.ensemble._iforest import _average_path_length
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

import amber
from amber import _container
from amber._proto.amber.v1 import amber_pb2 as pb
from amber._sklearn.isolation_forest import _fit_addend
from amber._tree import FEATURE_BITS, LEAF, NODE_RECORD

METHODS = ("score_samples", "decision_function", "predict")
#: Private attributes scikit-learn needs to predict or to give estimators_samples_.
PRIVATE = (
    "_max_samples",
    "_max_features",
    "_n_samples",
    "_seeds",
    "_average_path_length_per_tree",
    "_decision_path_lengths",
)


def _data(seed: int = 0, n: int = 300) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.RandomState(seed)
    scale = np.array([1.0, 10.0, 0.1, 100.0, 3.0])
    return rng.randn(n, 5) * scale, rng.randn(120, 5) * scale * 1.5


CONFIGS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "contamination": {"contamination": 0.1},
    "max_samples_int": {"max_samples": 40, "contamination": 0.05},
    "max_samples_float": {"max_samples": 0.3},
    "max_features_float": {"max_features": 0.6, "contamination": 0.2},
    "max_features_int": {"max_features": 2},
    "bootstrap": {"bootstrap": True, "max_features": 0.8, "contamination": 0.1},
    "one_sample": {"max_samples": 1},
}


def _fit(params: dict[str, Any], frame: bool = False, **fit: Any) -> tuple[Any, Any]:
    train, test = _data()
    est = IsolationForest(n_estimators=12, random_state=7, **params)
    if frame:
        cols = [f"f{i}" for i in range(train.shape[1])]
        est.fit(pd.DataFrame(train, columns=cols), **fit)
        return est, pd.DataFrame(test, columns=cols)
    return est.fit(train, **fit), test


def _same_outputs(a: Any, b: Any, X: Any) -> None:
    for method in METHODS:
        x, y = getattr(a, method)(X), getattr(b, method)(X)
        assert x.dtype == y.dtype and x.shape == y.shape, method
        assert x.tobytes() == y.tobytes(), method


def _same(a: Any, b: Any, where: str) -> None:
    if isinstance(a, (tuple, list)):
        assert type(a) is type(b) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _same(x, y, f"{where}[{i}]")
    elif isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape, where
        assert a.tobytes() == b.tobytes(), where
    else:
        assert type(a) is type(b) and a == b, where


def _body(data: bytes) -> tuple[pb.Estimator, _container.Container]:
    c = _container.read_container(data)
    return c.manifest.estimator, c


@pytest.mark.parametrize("name", list(CONFIGS))
def test_round_trip_is_identical(name: str) -> None:
    est, X = _fit(CONFIGS[name])
    data = amber.dumps(est)
    loaded = amber.loads(data)
    assert amber.dumps(loaded) == data
    _same_outputs(est, loaded, X)
    for attr in (*PRIVATE, "max_samples_", "offset_", "estimators_features_"):
        _same(getattr(est, attr), getattr(loaded, attr), attr)
    for a, b in zip(est.estimators_, loaded.estimators_):
        assert a.get_params() == b.get_params()
        _same(a.tree_.value, b.tree_.value, "tree_.value")
        _same(a.tree_.n_node_samples, b.tree_.n_node_samples, "n_node_samples")
    assert est.estimator_.get_params() == loaded.estimator_.get_params()
    _same(est.estimators_samples_, loaded.estimators_samples_, "estimators_samples_")


def test_dataframe_and_sample_weight() -> None:
    w = np.random.RandomState(1).uniform(0.1, 3.0, 300)
    est, X = _fit({"max_features": 0.6, "contamination": 0.1}, frame=True, sample_weight=w)
    loaded = amber.loads(amber.dumps(est))
    assert list(loaded.feature_names_in_) == list(est.feature_names_in_)
    _same_outputs(est, loaded, X)
    _same(est.estimators_samples_, loaded.estimators_samples_, "estimators_samples_")


def test_body_holds_scikit_learns_per_leaf_terms_and_denominator() -> None:
    est, X = _fit({"max_features": 0.6})
    msg, c = _body(amber.dumps(est))
    body = msg.isolation_forest
    assert body.denominator == len(est.estimators_) * _average_path_length([est._max_samples])[0]
    assert body.offset == est.offset_
    values = c.view(body.trees.values).reshape(-1)
    offsets = c.view(body.trees.tree_offsets).astype(np.int64)
    for t in range(len(est.estimators_)):
        want = est._decision_path_lengths[t] + est._average_path_length_per_tree[t] - 1.0
        # values_for_every_node: rows are the tree's node ids (preorder for these trees).
        got = values[offsets[t] : offsets[t + 1]]
        assert got.tobytes() == want.tobytes()
    # The sum of a row's leaf terms over the trees, in order from 0.0, then -2 ** -(d / den).
    depths = np.zeros(len(X))
    for t, tree in enumerate(est.estimators_):
        cols = est.estimators_features_[t]
        leaves = tree.apply(X[:, cols].astype(np.float32))
        depths += values[offsets[t] + leaves]
    assert np.array_equal(-(2 ** -(depths / body.denominator)), est.score_samples(X))


def test_split_features_are_input_columns() -> None:
    est, _ = _fit({"max_features": 2})
    msg, c = _body(amber.dumps(est))
    records = c.view(msg.isolation_forest.trees.nodes).reshape(-1).view(NODE_RECORD)
    offsets = c.view(msg.isolation_forest.trees.tree_offsets).astype(np.int64)
    remapped = 0
    for t, tree in enumerate(est.estimators_):
        rec = records[offsets[t] : offsets[t + 1]]
        inner = rec["feature"] != LEAF
        local = tree.tree_.feature[tree.tree_.feature >= 0]  # node order = preorder here
        got = rec["feature"][inner] & FEATURE_BITS
        assert np.array_equal(got, est.estimators_features_[t][local])
        remapped += int(np.any(got != local))
    assert remapped > 0


def test_inference_only_is_smaller_and_predicts_the_same() -> None:
    for params in ({"contamination": 0.1}, {"max_features": 0.6, "max_samples": 0.5}):
        est, X = _fit(params)
        full, small = amber.dumps(est), amber.dumps(est, inference_only=True)
        assert len(small) < 0.5 * len(full)
        with pytest.warns(amber.AmberWarning, match="inference-only"):
            loaded = amber.loads(small)
        _same_outputs(est, loaded, X)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", amber.AmberWarning)
            assert amber.dumps(loaded, inference_only=True) == small
        msg, _ = _body(small)
        names = {a.name for a in msg.attributes}
        assert "estimators_/tree_.value" not in names
        assert "_average_path_length_per_tree" not in names


def test_fit_addend_reproduces_every_term_exactly() -> None:
    rng = np.random.RandomState(3)
    n = rng.randint(2, 20000, 20000)
    d = rng.randint(1, 15, n.shape[0])
    v = d + _average_path_length(n) - 1.0
    a = _fit_addend(d, v)
    assert ((d + a) - 1.0).tobytes() == v.tobytes()


def test_pipeline_with_a_scaler() -> None:
    train, test = _data()
    est = Pipeline(
        [("s", StandardScaler()), ("if", IsolationForest(n_estimators=8, random_state=0))]
    ).fit(train)
    loaded = amber.loads(amber.dumps(est))
    _same_outputs(est, loaded, test)


def test_nan_inputs_where_scikit_learn_accepts_them() -> None:
    est, X = _fit({"contamination": 0.1})
    X = X.copy()
    X[::3, 1] = np.nan
    try:
        est.score_samples(X)
    except ValueError:
        pytest.skip("this scikit-learn refuses NaN in IsolationForest")
    _same_outputs(est, amber.loads(amber.dumps(est)), X)


def _edited(data: bytes, edit) -> bytes:
    c = _container.read_container(data)
    m = pb.Manifest()
    m.CopyFrom(c.manifest)
    edit(m.estimator.isolation_forest)
    return _container.frame(m.SerializeToString(deterministic=True), bytes(c.data))


@pytest.mark.parametrize(
    "field,value",
    [
        ("denominator", -1.0),
        ("denominator", math.nan),
        ("denominator", math.inf),
        ("offset", math.nan),
    ],
)
def test_body_rules(field: str, value: float) -> None:
    est, _ = _fit({})
    bad = _edited(amber.dumps(est), lambda b: setattr(b, field, value))
    with pytest.raises(amber.AmberError, match=f"isolation_forest.{field}") as info:
        amber.validate(bad)
    assert info.value.code == "E_MODEL"


def test_trees_must_be_regression_with_one_column() -> None:
    est, _ = _fit({})
    bad = _edited(
        amber.dumps(est), lambda b: setattr(b.trees, "leaf_values", pb.LEAF_VALUES_FRACTIONS)
    )
    with pytest.raises(amber.AmberError) as info:
        amber.validate(bad)
    assert info.value.code == "E_MODEL"


def test_changed_trees_are_refused() -> None:
    est, _ = _fit({})
    est.estimators_[3].set_params(max_depth=2)
    with pytest.raises(amber.AmberError, match="tree 3") as info:
        amber.dumps(est)
    assert info.value.code == "E_UNSUPPORTED"


def test_unfitted_is_refused() -> None:
    with pytest.raises(amber.AmberError, match="unfitted"):
        amber.dumps(IsolationForest())
