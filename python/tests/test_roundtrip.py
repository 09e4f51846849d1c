"""One parametrised round trip over every supported estimator case."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

import amber
from conftest import GENERATOR

METHODS = ("predict", "predict_proba", "decision_function", "transform")


def _extra_cases() -> list[tuple[str, Any]]:
    g = GENERATOR

    def reg(est, n_targets=1, frame=False):
        return lambda: g._fit(est, *g._xy_regression(g.SEED + 100, n_targets, frame))

    def clf(est, labels, frame=False):
        return lambda: g._fit(est, *g._xy_classes(g.SEED + 101, labels, frame))

    def scaler(est, frame=False):
        train, test = g._data(g.SEED + 102)
        X = pd.DataFrame(train, columns=g.FEATURE_NAMES) if frame else train
        return lambda: g._fit(est, X, None, test)

    return [
        ("scaler_no_mean_no_std", scaler(StandardScaler(with_mean=False, with_std=False))),
        ("scaler_dataframe", scaler(StandardScaler(), frame=True)),
        ("ridge_no_intercept_two_targets", reg(Ridge(fit_intercept=False), 2)),
        ("ridge_column_target", reg(Ridge(), 1)),
        (
            "logistic_no_intercept_multiclass",
            clf(LogisticRegression(fit_intercept=False), [0, 1, 2]),
        ),
        ("logistic_no_intercept_binary", clf(LogisticRegression(fit_intercept=False), [3, 9])),
        ("logistic_string_binary_dataframe", clf(LogisticRegression(), ["no", "yes"], True)),
        ("logistic_random_state_tol", clf(LogisticRegression(random_state=3, tol=1e-6), [0, 1])),
        (
            "pipeline_last_passthrough",
            scaler(Pipeline([("scale", StandardScaler()), ("end", "passthrough")])),
        ),
        (
            "pipeline_nested_dataframe",
            reg(
                Pipeline(
                    [
                        ("inner", Pipeline([("s", StandardScaler()), ("p", None)])),
                        ("ridge", Ridge(alpha=np.array([0.5]))),
                    ]
                ),
                frame=True,
            ),
        ),
        ("linear_positive", reg(LinearRegression(positive=True))),
    ]


CASES = [(c.name, c.build) for c in GENERATOR.CASES] + _extra_cases()


def assert_same(a: Any, b: Any, where: str) -> None:
    """Equal values of the same type; arrays of the same dtype and shape (NaN == NaN)."""
    if isinstance(a, BaseEstimator):
        assert_same_estimator(a, b, where)
        return
    assert type(a) is type(b), f"{where}: {type(a).__name__} != {type(b).__name__}"
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape, f"{where}: {a.dtype}{a.shape}"
        assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), where
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, dict):
        assert list(a) == list(b), where
        for k in a:
            assert_same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b), where
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def _fitted(est: Any) -> dict[str, Any]:
    return {k: v for k, v in vars(est).items() if k.endswith("_") and not k.startswith("_")}


def assert_same_estimator(a: Any, b: Any, where: str) -> None:
    assert type(a) is type(b), where
    assert_same(a.get_params(deep=False), b.get_params(deep=False), f"{where}.params")
    fa, fb = _fitted(a), _fitted(b)
    assert sorted(fa) == sorted(fb), where
    for k in fa:
        x, y = fa[k], fb[k]
        if k == "classes_" and x.dtype == object:
            # Documented: object string labels come back as numpy str.
            assert y.dtype.kind == "U" and x.tolist() == y.tolist(), where
            continue
        assert_same(x, y, f"{where}.{k}")


def _input(est: Any, X: np.ndarray) -> Any:
    names = getattr(est, "feature_names_in_", None)
    return pd.DataFrame(X, columns=list(names)) if names is not None else X


@pytest.mark.parametrize("name,build", CASES, ids=[c[0] for c in CASES])
def test_roundtrip(name: str, build: Any) -> None:
    est, _, _, X_test = build()
    data = amber.dumps(est)
    assert amber.dumps(est) == data, "dumps is not deterministic"
    loaded = amber.loads(data)
    assert amber.dumps(loaded) == data, "dumps(loads(b)) != b"
    assert_same_estimator(est, loaded, name)
    X = _input(est, X_test)
    ran = 0
    for method in METHODS:
        assert hasattr(est, method) == hasattr(loaded, method), method
        if hasattr(est, method):
            expected, got = getattr(est, method)(X), getattr(loaded, method)(X)
            assert np.asarray(expected).dtype == np.asarray(got).dtype or method == "predict"
            assert np.array_equal(expected, got), f"{name}.{method}"
            ran += 1
    assert ran > 0
    amber.validate(data)
    info = amber.inspect(data)
    assert info["format_version"] == "1.0"
    assert info["producer"]["name"] == "amber-python"
    assert info["estimator"]["producer_type"] == GENERATOR_PRODUCERS[type(est)]


GENERATOR_PRODUCERS = {
    StandardScaler: "sklearn.preprocessing.StandardScaler",
    LinearRegression: "sklearn.linear_model.LinearRegression",
    Ridge: "sklearn.linear_model.Ridge",
    LogisticRegression: "sklearn.linear_model.LogisticRegression",
    Pipeline: "sklearn.pipeline.Pipeline",
}


def test_dump_and_load_files(tmp_path) -> None:
    est, _, _, X = GENERATOR.CASES[0].build()
    path = tmp_path / "m.amber"
    amber.dump(est, path)
    assert path.read_bytes() == amber.dumps(est)
    assert np.array_equal(amber.load(path).transform(X), est.transform(X))
    with open(path, "rb") as f:
        assert np.array_equal(amber.load(f).transform(X), est.transform(X))
    amber.validate(str(path))
    assert amber.inspect(path)["tensors"][0]["name"] == "mean_"


def test_tensor_names_and_order() -> None:
    """Section 4: body fields in tag order, then params, then attributes; steps prefixed."""
    g = GENERATOR
    est, *_ = g._fit(
        Pipeline([("s", StandardScaler()), ("r", Ridge(alpha=np.array([1.0, 2.0])))]),
        *g._xy_regression(g.SEED, 2),
    )
    names = [t["name"] for t in amber.inspect(amber.dumps(est))["tensors"]]
    assert names == [
        "steps/s/mean_",
        "steps/s/scale_",
        "steps/s/var_",
        "steps/s/n_samples_seen_",
        "steps/r/coef_",
        "steps/r/intercept_",
        "steps/r/params/alpha",
    ]


class _Custom(BaseEstimator):
    pass


def test_unsupported_estimator_names_type() -> None:
    with pytest.raises(amber.AmberError) as info:
        amber.dumps(_Custom())
    assert info.value.code == "E_UNSUPPORTED"
    assert "test_roundtrip._Custom" in str(info.value)


def test_unsupported_subclass_is_refused() -> None:
    from sklearn.linear_model import LogisticRegressionCV

    with pytest.raises(amber.AmberError, match="LogisticRegressionCV") as info:
        amber.dumps(LogisticRegressionCV())
    assert info.value.code == "E_UNSUPPORTED"


def test_unsupported_param_names_param_and_type() -> None:
    g = GENERATOR
    est, *_ = g._fit(
        LogisticRegression(random_state=np.random.RandomState(0)), *g._xy_classes(1, [0, 1])
    )
    with pytest.raises(amber.AmberError, match=r"params/random_state.*RandomState") as info:
        amber.dumps(est)
    assert info.value.code == "E_UNSUPPORTED"


def test_unfitted_estimator_is_unsupported() -> None:
    with pytest.raises(amber.AmberError, match="unfitted") as info:
        amber.dumps(Ridge())
    assert info.value.code == "E_UNSUPPORTED"


def test_unknown_producer_falls_back_with_warning() -> None:
    from amber import _container
    from amber._proto.amber.v1 import amber_pb2 as pb

    g = GENERATOR
    est, _, _, X = g._fit(Ridge(alpha=3.0), *g._xy_regression(5))
    c = _container.read_container(amber.dumps(est))
    m = pb.Manifest()
    m.CopyFrom(c.manifest)
    m.estimator.producer_type = "otherlib.SomeLinearModel"
    data = _container.write_container(m, c.all_tensors())
    with pytest.warns(amber.AmberWarning, match="otherlib.SomeLinearModel"):
        loaded = amber.loads(data)
    assert type(loaded) is LinearRegression
    assert np.array_equal(loaded.predict(X), est.predict(X))


def test_never_uses_pickle_or_joblib() -> None:
    from pathlib import Path

    for path in Path(amber.__file__).parent.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for word in ("import pickle", "import joblib", "from joblib", "__import__", "importlib"):
            assert word not in text, f"{path}: {word}"
