"""HistGradientBoostingClassifier/Regressor: what the round trip keeps, the layout of the
file (input columns, category codes), what is refused, and inference-only files.

The corpus cases (tests/vectors/generate.py, `_hgb_cases`) also run through
test_roundtrip.py; these tests cover what a corpus case cannot show.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from threadpoolctl import threadpool_limits

import amber
from amber import _container
from amber._proto.amber.v1 import amber_pb2 as pb
from amber._tree import CATEGORICAL, LEAF, NODE_RECORD

MODERN = hasattr(HistGradientBoostingRegressor, "_preprocess_X")  # scikit-learn >= 1.4


@pytest.fixture(autouse=True)
def _one_thread():
    """One OpenMP thread: these small fits and predictions run many times slower when their
    threads compete with other processes for the cores."""
    with threadpool_limits(limits=1, user_api="openmp"):
        yield


def _data(seed: int = 0, n: int = 300):
    """Features 0 and 2 numeric (2 with NaN), 1 and 3 categorical (3 with NaN)."""
    rng = np.random.RandomState(seed)
    X = rng.randn(n, 4)
    X[:, 1] = rng.randint(0, 6, n)
    X[:, 3] = rng.choice([0.0, 2.0, 3.0, 7.0, 40.0], n)
    X[rng.rand(n) < 0.1, 2] = np.nan
    X[rng.rand(n) < 0.1, 3] = np.nan
    effect = {0.0: -3.0, 2.0: 4.0, 3.0: 0.5, 7.0: -1.0, 40.0: 6.0}
    y = X[:, 0] * 2.0 + np.sin(X[:, 1]) * 3.0 + np.array([effect.get(v, 1.5) for v in X[:, 3]])
    return X, y


def _test_rows(X: np.ndarray) -> np.ndarray:
    """Training rows, then every probe value in each categorical column of a few rows."""
    probes = [0, 1, 2, 5, 6, 7, 40, 41, np.nan, -1, -0.0, 2.5, 300, 1e10]
    rows = [X[:40]]
    for f in (1, 3):
        block = np.repeat(X[:3], len(probes), axis=0)
        block[:, f] = np.tile(probes, 3)
        rows.append(block)
    return np.concatenate(rows)


def _roundtrip(est: Any, X: np.ndarray, methods=("predict",), **options) -> Any:
    data = amber.dumps(est, **options)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", amber.AmberWarning)
        loaded = amber.loads(data)
    for method in methods:
        a, b = getattr(est, method)(X), getattr(loaded, method)(X)
        assert a.dtype == b.dtype and np.array_equal(a, b), method
    return loaded


def _same_predictors(a: Any, b: Any) -> None:
    pa = [p for it in a._predictors for p in it]
    pb_ = [p for it in b._predictors for p in it]
    assert len(pa) == len(pb_)
    for x, y in zip(pa, pb_):
        assert x.nodes.dtype == y.nodes.dtype
        assert x.nodes.tobytes() == y.nodes.tobytes()
        assert np.array_equal(x.raw_left_cat_bitsets, y.raw_left_cat_bitsets)
        assert np.array_equal(x.binned_left_cat_bitsets, y.binned_left_cat_bitsets)


def _body(data: bytes) -> tuple[pb.Boosting, Any]:
    c = _container.read_container(data)
    return c.manifest.estimator.boosting, c


@pytest.mark.parametrize(
    "loss,params",
    [
        ("squared_error", {}),
        ("absolute_error", {}),
        ("quantile", {"quantile": 0.3}),
        ("poisson", {}),
        ("gamma", {}),
    ],
)
def test_regressor_losses_roundtrip_exactly(loss: str, params: dict) -> None:
    X, y = _data(1)
    y = np.exp(y / 10.0) if loss in ("poisson", "gamma") else y
    est = HistGradientBoostingRegressor(loss=loss, max_iter=12, random_state=0, **params)
    est.fit(X, y)
    loaded = _roundtrip(est, _test_rows(X))
    _same_predictors(est, loaded)
    assert np.array_equal(est._baseline_prediction, loaded._baseline_prediction)
    assert type(est._loss) is type(loaded._loss)
    assert est._loss.constant_hessian == loaded._loss.constant_hessian
    assert loaded.n_iter_ == est.n_iter_
    body, _ = _body(amber.dumps(est))
    link = pb.BOOSTING_LINK_EXP if loss in ("poisson", "gamma") else pb.BOOSTING_LINK_IDENTITY
    assert (body.link, body.n_columns, body.scale) == (link, 1, 1.0)
    assert body.trees.input == pb.TREE_INPUT_F64
    assert not body.HasField("classes") and body.decision == pb.BOOSTING_DECISION_UNSPECIFIED


def test_classifiers_roundtrip_with_labels_and_early_stopping() -> None:
    X, y = _data(2)
    labels = np.where(y > np.median(y), "yes", "no")
    binary = HistGradientBoostingClassifier(max_iter=10, random_state=0).fit(X, labels)
    three = np.digitize(y, np.quantile(y, [0.33, 0.66])) * 5 - 1  # {-1, 4, 9}
    multi = HistGradientBoostingClassifier(
        max_iter=200, early_stopping=True, n_iter_no_change=2, random_state=0
    ).fit(X, three, sample_weight=np.linspace(0.5, 2.0, len(y)))
    assert multi.n_iter_ < 200
    methods = ("predict", "predict_proba", "decision_function")
    for est, link, k in (
        (binary, pb.BOOSTING_LINK_LOGISTIC, 1),
        (multi, pb.BOOSTING_LINK_SOFTMAX, 3),
    ):
        loaded = _roundtrip(est, _test_rows(X), methods)
        _same_predictors(est, loaded)
        assert loaded.classes_.tolist() == est.classes_.tolist()
        assert np.array_equal(loaded.train_score_, est.train_score_)
        assert np.array_equal(loaded.validation_score_, est.validation_score_)
        assert loaded.do_early_stopping_ == est.do_early_stopping_
        body, _ = _body(amber.dumps(est))
        assert (body.link, body.n_columns) == (link, k)
        decision = (
            pb.BOOSTING_DECISION_RAW_ABOVE_ZERO if MODERN else pb.BOOSTING_DECISION_PROBA_ARGMAX
        )
        assert body.decision == decision
    assert multi._fitted_with_sw and _roundtrip(multi, X[:5])._fitted_with_sw


def _records(body: pb.Boosting, c: Any) -> np.ndarray:
    return c.view(body.trees.nodes).reshape(-1).view(NODE_RECORD)


@pytest.mark.parametrize("spec", [[1, 3], [False, True, False, True]])
def test_categorical_splits_name_input_columns(spec: list) -> None:
    X, y = _data(3)
    est = HistGradientBoostingRegressor(max_iter=15, categorical_features=spec, random_state=0)
    est.fit(X, y)
    loaded = _roundtrip(est, _test_rows(X))
    _same_predictors(est, loaded)
    data = amber.dumps(est)
    body, c = _body(data)
    t = body.trees
    assert c.array(t.categorical_features).tolist() == [1, 3]
    records = _records(body, c)
    inner = records["feature"] != LEAF
    cat = inner & ((records["feature"] & CATEGORICAL) != 0)
    assert cat.any()
    # Categorical records split on input columns 1 and 3, numeric ones on 0 and 2, whatever
    # order the trees saw the columns in.
    features = records["feature"] & (CATEGORICAL - 1)
    assert set(features[cat].tolist()) <= {1, 3}
    assert set(features[inner & ~cat].tolist()) <= {0, 2}
    if MODERN:  # the encoder's categories: codes are positions among them
        values = c.array(t.category_values)
        offsets = c.array(t.category_value_offsets)
        assert values[offsets[0] : offsets[1]].tolist() == [0, 1, 2, 3, 4, 5]
        assert values[offsets[1] : offsets[2]].tolist() == [0, 2, 3, 7, 40]
        assert loaded._preprocessor is not None
        assert np.array_equal(loaded._is_categorical_remapped, est._is_categorical_remapped)
    else:  # the raw value is the code
        assert not t.category_values
    assert amber.dumps(loaded) == data


@pytest.mark.skipif(not MODERN, reason="scikit-learn >= 1.4 ordinal-encodes categories")
def test_float_and_negative_categories_are_values() -> None:
    rng = np.random.RandomState(4)
    levels = np.array([-1.0, 0.0, 0.5, 1000.0, 1e6])
    X = np.column_stack([rng.randn(300), levels[rng.randint(0, 5, 300)]])
    y = X[:, 0] + np.array([3.0, -2.0, 5.0, 0.0, -4.0])[np.searchsorted(levels, X[:, 1])]
    est = HistGradientBoostingRegressor(max_iter=10, categorical_features=[1]).fit(X, y)
    probes = [-1, -0.0, 0.0, 0.5, np.nextafter(0.5, 1), 1000, 1000.0000001, 2, np.nan, 1e6]
    Xt = np.column_stack([np.zeros(len(probes)), probes])
    _roundtrip(est, Xt)
    body, c = _body(amber.dumps(est))
    assert c.array(body.trees.category_values).tolist() == levels.tolist()


@pytest.mark.skipif(not MODERN, reason="categorical dtypes are read from scikit-learn 1.4 on")
def test_pandas_categories_numbers_kept_strings_coded() -> None:
    rng = np.random.RandomState(5)
    df = pd.DataFrame(
        {
            "a": rng.randn(300),
            "d": pd.Categorical(rng.choice([3, 7, 9], 300)),
            "c": pd.Categorical(rng.choice(["x", "y"], 300)),
        }
    )
    y = df["a"] + (df["d"] == 7) * 3.0 + (df["c"] == "x")
    numbers = df.drop(columns=["c"])
    est = HistGradientBoostingRegressor(max_iter=8).fit(numbers, y)
    loaded = _roundtrip(est, numbers)
    enc = loaded._preprocessor.named_transformers_["encoder"]
    assert enc.categories_[0].dtype == np.int64 and enc.categories_[0].tolist() == [3, 7, 9]
    # The file takes float64 inputs: the category values themselves.
    floats = pd.DataFrame(numbers.to_numpy(dtype=np.float64), columns=numbers.columns)
    assert np.array_equal(loaded.predict(floats), est.predict(numbers))
    # String categories: the body keeps the preprocessor (test_hgb_dtype.py has the rest).
    strings = HistGradientBoostingRegressor(max_iter=3).fit(df, y)
    body, _ = _body(amber.dumps(strings))
    assert body.HasField("preprocessor") and not body.trees.category_values
    _roundtrip(strings, df)


def test_inference_only_is_smaller_and_predicts_the_same() -> None:
    X, y = _data(6)
    est = HistGradientBoostingClassifier(
        max_iter=10, categorical_features=[1, 3], random_state=0
    ).fit(X, np.digitize(y, [-1.0, 1.0, 3.0]))
    full, small = amber.dumps(est), amber.dumps(est, inference_only=True)
    assert len(small) < 0.7 * len(full)
    with pytest.warns(amber.AmberWarning, match="inference-only"):
        loaded = amber.loads(small)
    Xt = _test_rows(X)
    for method in ("predict", "predict_proba", "decision_function"):
        assert np.array_equal(getattr(est, method)(Xt), getattr(loaded, method)(Xt))
    assert amber.dumps(loaded, inference_only=True) == small
    body, _ = _body(small)
    assert not body.trees.values_for_every_node and not body.trees.n_node_samples
    # The category bits of the binned sets come back; the missing-values bin is not known.
    for p, q in zip(
        [p for it in est._predictors for p in it], [p for it in loaded._predictors for p in it]
    ):
        mask = np.ones(8, dtype=np.uint32)
        mask[:] = 0xFFFFFFFF
        mask[7] = 0x7FFFFFFF  # bin 255, the missing-values bin with max_bins=255
        assert np.array_equal(p.binned_left_cat_bitsets & mask, q.binned_left_cat_bitsets)


def test_warm_start_after_load_continues_identically() -> None:
    X, y = _data(7)
    est = HistGradientBoostingRegressor(
        max_iter=4, warm_start=True, random_state=0, **({"max_features": 0.5} if MODERN else {})
    ).fit(X, y)
    loaded = amber.loads(amber.dumps(est))
    est.set_params(max_iter=7).fit(X, y)
    loaded.set_params(max_iter=7).fit(X, y)
    assert loaded.n_iter_ == est.n_iter_ == 7
    assert np.array_equal(loaded.predict(X), est.predict(X))


def test_refused() -> None:
    X, y = _data(8)
    with pytest.raises(amber.AmberError, match="unfitted"):
        amber.dumps(HistGradientBoostingRegressor())
    from sklearn._loss.loss import HalfSquaredError

    custom = HistGradientBoostingRegressor(loss=HalfSquaredError(), max_iter=2).fit(X, y)
    with pytest.raises(amber.AmberError, match="only losses named by a string"):
        amber.dumps(custom)
    one_class = HistGradientBoostingClassifier(max_iter=2).fit(X, np.zeros(len(y)))
    with pytest.raises(amber.AmberError, match="at least two classes"):
        amber.dumps(one_class)


def test_unknown_producer_is_refused() -> None:
    X, y = _data(9)
    est = HistGradientBoostingClassifier(max_iter=5, random_state=0).fit(X, (y > 0).astype(int))
    c = _container.read_container(amber.dumps(est))
    c.manifest.estimator.producer_type = "other.Booster"
    data = _container.frame(c.manifest.SerializeToString(deterministic=True), bytes(c.data))
    with pytest.raises(amber.AmberError, match=r"other\.Booster") as info:
        amber.loads(data)
    assert info.value.code == "E_PROVENANCE"
