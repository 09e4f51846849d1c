"""SimpleImputer, MissingIndicator, KNNImputer (spec/estimators.md section 18): fit with
scikit-learn, dump, load, and compare transform outputs (values and dtype) after
`amber.load`, and from the Rust CLI (bit for bit, KNN within its stated tolerance); the
rebuild's refusals (spec/sklearn.md); the body rules in both readers.

The Rust checks run when a built CLI exists (target/release/amber, else target/debug/amber).
"""

from __future__ import annotations

import math
import subprocess
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.impute import KNNImputer, MissingIndicator, SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

import amber
from amber._container import read_container, write_container
from amber._proto.amber.v1 import amber_pb2 as pb
from amber._sklearn import impute

_ROOT = Path(__file__).resolve().parents[2]
CLI = next(
    (p for p in (_ROOT / "target" / d / "amber" for d in ("release", "debug")) if p.exists()),
    _ROOT / "target" / "release" / "amber",
)
#: spec/estimators.md section 18.4.
KNN_UNIFORM_RTOL, KNN_DISTANCE_RTOL = 1e-12, 1e-10


def _numbers(seed: int, n: int, p: float = 0.25) -> np.ndarray:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 5)) * [1.0, 2.0, 0.5, 1.0, 1.5] + [3.0, -1.0, 0.0, 0.0, 0.5]
    X[rng.random((n, 5)) < p] = np.nan
    X[:, 3] = np.nan  # all missing in training
    return X


def _data() -> tuple[np.ndarray, np.ndarray]:
    train, test = _numbers(1, 60), _numbers(2, 30, 0.35)
    test[0] = np.nan
    test[1] = train[0]
    test[2] = -0.0
    return train, test


def _strings(seed: int, n: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)

    def col(values: list[str]) -> pd.Series:
        out: list[Any] = list(rng.choice(values, size=n))
        for i in np.flatnonzero(rng.random(n) < 0.2):
            out[i] = np.nan
        return pd.Series(out, dtype=object)

    return pd.DataFrame(
        {
            "city": col(["Paris", "Lyon", "Nice"]),
            "grade": np.where(rng.random(n) < 0.2, np.nan, rng.integers(1, 4, n) * 1.5),
            "plan": col(["basic", "pro"]),
        }
    )


def _bits(a: np.ndarray) -> bytes:
    return np.ascontiguousarray(a, dtype=np.float64).tobytes()


def _same(a: Any, b: Any) -> None:
    """Equal values (NaN equal to NaN), dtype and shape."""
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype and a.shape == b.shape
    if a.dtype.kind == "O":
        # numpy.str_ statistics come back as str (equal values, a str subclass either way).
        def key(v: Any) -> str:
            return f"str:{v}" if isinstance(v, str) else repr(v)

        assert [key(v) for v in a.ravel()] == [key(v) for v in b.ravel()]
    else:
        assert a.tobytes() == b.tobytes()


def _roundtrip(est: Any, *inputs: Any) -> Any:
    back = amber.loads(amber.dumps(est))
    assert type(back) is type(est)
    assert repr(back.get_params()) == repr(est.get_params())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "Skipping features without..."
        for X in inputs:
            _same(back.transform(X), est.transform(X))
    return back


def _rust(model: bytes, X: Any, tmp_path: Path) -> subprocess.CompletedProcess:
    (tmp_path / "m.amber").write_bytes(model)
    if isinstance(X, pd.DataFrame):
        path, out = tmp_path / "x.csv", tmp_path / "z.csv"
        X.to_csv(path, index=False, na_rep="")
    else:
        path, out = tmp_path / "x.npy", tmp_path / "z.npy"
        np.save(path, X)
    return subprocess.run(
        [
            *(str(CLI), "predict", str(tmp_path / "m.amber"), "--input", str(path)),
            *("--method", "transform", "--output", str(out)),
        ],
        capture_output=True,
        text=True,
    )


def _rust_transform(model: bytes, X: np.ndarray, tmp_path: Path) -> np.ndarray:
    done = _rust(model, X, tmp_path)
    assert done.returncode == 0, done.stderr
    return np.load(tmp_path / "z.npy")


needs_cli = pytest.mark.skipif(not CLI.exists(), reason="no built amber CLI")

# ---------------------------------------------------------------------------- SimpleImputer

STRATEGIES = [
    {"strategy": "mean"},
    {"strategy": "median"},
    {"strategy": "most_frequent"},
    {"strategy": "constant"},
    {"strategy": "constant", "fill_value": -7.25},
]


@pytest.mark.parametrize("params", STRATEGIES, ids=lambda p: "-".join(map(str, p.values())))
@pytest.mark.parametrize("add_indicator", [False, True])
@pytest.mark.parametrize("keep_empty", [False, True])
def test_simple_imputer_numeric(params, add_indicator, keep_empty, tmp_path: Path) -> None:
    train, test = _data()
    if params["strategy"] == "most_frequent":
        train = np.round(train)
    est = SimpleImputer(**params, add_indicator=add_indicator, keep_empty_features=keep_empty)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        est.fit(train)
        want = est.transform(test)
    back = _roundtrip(est, test, train)
    _same(back.statistics_, est.statistics_)
    if CLI.exists():  # fills are copies: bit for bit
        assert _bits(_rust_transform(amber.dumps(est), test, tmp_path)) == _bits(want)


def test_simple_imputer_dataframe_keeps_names_and_outputs() -> None:
    train, test = _data()
    cols = list("abcde")
    est = SimpleImputer(strategy="median").fit(pd.DataFrame(train, columns=cols))
    back = _roundtrip(est, pd.DataFrame(test, columns=cols))
    assert list(back.feature_names_in_) == cols
    assert list(back.get_feature_names_out()) == list(est.get_feature_names_out())


@pytest.mark.parametrize(
    "params",
    [
        {"strategy": "most_frequent"},
        {"strategy": "constant"},
        {"strategy": "constant", "fill_value": "zz"},
        {"strategy": "most_frequent", "add_indicator": True},
    ],
    ids=str,
)
def test_simple_imputer_strings(params, tmp_path: Path) -> None:
    train, test = _strings(3, 80), _strings(4, 20)
    est = SimpleImputer(**params).fit(train)
    back = _roundtrip(est, test, train)
    assert back.statistics_.dtype == object
    _same(back.statistics_, est.statistics_)
    if CLI.exists() and params["strategy"] == "most_frequent":
        # Strings out: the CLI writes a table as CSV. (A constant string fill over the
        # numeric grade column mixes strings into numbers in scikit-learn; Amber reads that
        # column as text then, spec/estimators.md section 18.2.)
        done = _rust(amber.dumps(est), test, tmp_path)
        assert done.returncode == 0, done.stderr
        got = pd.read_csv(tmp_path / "z.csv", header=None, keep_default_na=False)
        want = est.transform(test)
        for j in range(want.shape[1]):
            w = want[:, j]
            g = got.iloc[:, j]
            if isinstance(w[0], str):
                assert list(g.astype(str)) == list(w)
            else:  # numbers, or the indicator's bools as 0 / 1
                assert np.array_equal(g.astype(float).to_numpy(), w.astype(float))


def test_string_imputer_feeds_an_encoder_in_rust(tmp_path: Path) -> None:
    train, test = _strings(5, 80)[["city", "plan"]], _strings(6, 20)[["city", "plan"]]
    est = Pipeline(
        [
            ("impute", SimpleImputer(strategy="constant", fill_value="none")),
            ("onehot", OneHotEncoder(sparse_output=False, handle_unknown="ignore")),
        ]
    ).fit(train)
    want = est.transform(test)
    _roundtrip(est, test)
    if CLI.exists():
        done = _rust(amber.dumps(est), test, tmp_path)
        assert done.returncode == 0, done.stderr
        got = np.loadtxt(tmp_path / "z.csv", delimiter=",", ndmin=2)
        assert _bits(got) == _bits(want)


@pytest.mark.parametrize(
    "missing, data",
    [
        (-1, "ints"),
        (-1, "int64"),
        (-1.5, "floats"),
        (None, "objects"),
        ("?", "objects"),
    ],
)
def test_simple_imputer_missing_values(missing, data, tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    if data == "objects":  # an object array: pandas would turn None into NaN
        cells = np.array(["a", "b", "c", missing], dtype=object)
        X = rng.choice(cells, size=(50, 2))
        est = SimpleImputer(missing_values=missing, strategy="most_frequent", add_indicator=True)
    elif data == "int64":  # an int array: statistics_ float64, output int64
        X = rng.integers(-1, 4, size=(50, 3))
        est = SimpleImputer(missing_values=missing, strategy="most_frequent")
    else:
        X = rng.integers(0, 4, size=(50, 3)).astype(np.float64)
        X[rng.random(X.shape) < 0.3] = missing
        est = SimpleImputer(missing_values=missing, strategy="mean", add_indicator=True)
    est.fit(X)
    back = _roundtrip(est, X)
    assert back.missing_values is missing or back.missing_values == missing
    assert type(back.missing_values) is type(missing)
    if CLI.exists() and data != "objects":
        assert _bits(_rust_transform(amber.dumps(est), X, tmp_path)) == _bits(est.transform(X))
        # scikit-learn refuses NaN when missing_values is a number; so does Rust (E_INPUT).
        bad = X.astype(np.float64)
        bad[3, 1] = np.nan
        done = _rust(amber.dumps(est), bad, tmp_path)
        assert done.returncode != 0 and "E_INPUT" in done.stderr
        assert "row 3" in done.stderr, done.stderr
        with pytest.raises(ValueError):
            est.transform(bad)


def test_simple_imputer_nan_in_the_middle_is_imputed_in_rust(tmp_path: Path) -> None:
    train, _ = _data()
    est = SimpleImputer().fit(train)
    X = np.array([[1.0, np.nan, 2.0, np.nan, 3.0]] * 3)
    if CLI.exists():
        got = _rust_transform(amber.dumps(est), X, tmp_path)
        assert _bits(got) == _bits(est.transform(X))
        assert not np.isnan(got).any()


def test_simple_imputer_refusals() -> None:
    train, _ = _data()
    train[:, 3] = 0.0
    if "callable" in str(SimpleImputer._parameter_constraints["strategy"]):  # >= 1.5
        with pytest.raises(amber.AmberError, match="callable"):
            amber.dumps(SimpleImputer(strategy=np.nanmax).fit(train))
    with pytest.raises(amber.AmberError, match=r"pandas\.NA"):
        amber.dumps(SimpleImputer(missing_values=pd.NA).fit(pd.DataFrame(train).astype("Float64")))
    with pytest.raises(amber.AmberError, match="float32"):
        amber.dumps(SimpleImputer().fit(train.astype(np.float32)))


def _edited(est: Any, edit) -> bytes:
    c = read_container(amber.dumps(est))
    m = c.manifest
    edit(m)
    return write_container(m, c.all_tensors())


def _provenance(blob: bytes) -> str:
    with pytest.raises(amber.AmberError) as info:
        amber.loads(blob)
    assert info.value.code == "E_PROVENANCE", info.value
    return str(info.value)


def test_simple_imputer_missing_values_is_the_body_not_a_param() -> None:
    train, _ = _data()

    def edit(m: pb.Manifest) -> None:
        m.estimator.params.add(name="missing_values").value.float_value = 0.0

    assert "missing_values" in _provenance(_edited(SimpleImputer().fit(train), edit))


def test_simple_imputer_drop_rule_must_match_the_params() -> None:
    train, _ = _data()

    def edit(m: pb.Manifest) -> None:
        m.estimator.simple_imputer.keep_nan_fills = True

    assert "keep_empty_features" in _provenance(_edited(SimpleImputer().fit(train), edit))


def _both_refuse(blob: bytes, code: str, tmp_path: Path) -> None:
    with pytest.raises(amber.AmberError) as info:
        amber.validate(blob)
    assert info.value.code == code, info.value
    if CLI.exists():
        (tmp_path / "m.amber").write_bytes(blob)
        done = subprocess.run(
            [str(CLI), "validate", str(tmp_path / "m.amber")], capture_output=True, text=True
        )
        assert done.returncode != 0 and code in done.stderr + done.stdout


def test_simple_imputer_rules_in_both_readers(tmp_path: Path) -> None:
    train, _ = _data()
    est = SimpleImputer(add_indicator=True).fit(train)

    def fewer(m: pb.Manifest) -> None:
        del m.estimator.simple_imputer.fills[0]

    def nan_number(m: pb.Manifest) -> None:
        m.estimator.simple_imputer.missing_values.number = math.nan

    def other_missing(m: pb.Manifest) -> None:
        m.estimator.simple_imputer.indicator.missing_values.number = 1.0

    for edit in (fewer, nan_number, other_missing):
        _both_refuse(_edited(est, edit), "E_MODEL", tmp_path)


# ---------------------------------------------------------------------------- MissingIndicator


@pytest.mark.parametrize("features", ["missing-only", "all"])
@pytest.mark.parametrize("missing", [np.nan, -1])
def test_missing_indicator(features, missing, tmp_path: Path) -> None:
    train, test = _data()
    if missing == -1:
        train, test = np.nan_to_num(train, nan=-1.0), np.nan_to_num(test, nan=-1.0)
    train[:, 4] = np.abs(np.nan_to_num(train[:, 4]))  # no missing in fit
    est = MissingIndicator(missing_values=missing, features=features, error_on_new=False)
    est.fit(train)
    back = _roundtrip(est, test, train)
    assert back.transform(test).dtype == bool  # scikit-learn's dtype, kept by the rebuild
    _same(back.features_, est.features_)
    if CLI.exists():  # Rust: 1.0 / 0.0
        got = _rust_transform(amber.dumps(est), test, tmp_path)
        assert _bits(got) == _bits(est.transform(test).astype(np.float64))


def test_missing_indicator_error_on_new_names_column_and_row(tmp_path: Path) -> None:
    train, test = _data()
    train[:, 2] = np.nan_to_num(train[:, 2])  # column 2: no missing in fit
    test[:, 2] = 1.0
    test[7, 2] = np.nan
    est = MissingIndicator().fit(train)
    with pytest.raises(ValueError, match="have missing values in transform"):
        est.transform(test)
    back = _roundtrip(est, train)
    with pytest.raises(ValueError, match="have missing values in transform"):
        back.transform(test)
    if CLI.exists():
        done = _rust(amber.dumps(est), test, tmp_path)
        assert done.returncode != 0 and "E_INPUT" in done.stderr
        assert "row 7" in done.stderr and "#2" in done.stderr, done.stderr


def test_missing_indicator_strings(tmp_path: Path) -> None:
    train, test = _strings(8, 60), _strings(9, 20)
    est = MissingIndicator(features="all").fit(train)
    _roundtrip(est, test)
    if CLI.exists():
        done = _rust(amber.dumps(est), test, tmp_path)
        assert done.returncode == 0, done.stderr
        got = np.loadtxt(tmp_path / "z.csv", delimiter=",", ndmin=2)
        assert _bits(got) == _bits(est.transform(test).astype(np.float64))


def test_missing_indicator_refusals_and_rules(tmp_path: Path) -> None:
    train, _ = _data()
    with pytest.raises(amber.AmberError, match="sparse"):
        amber.dumps(MissingIndicator(sparse=True).fit(train))
    est = MissingIndicator(features="all").fit(train)

    def param(m: pb.Manifest) -> None:
        m.estimator.params.add(name="missing_values").value.none.SetInParent()

    assert "missing_values" in _provenance(_edited(est, param))

    def error_on_new(m: pb.Manifest) -> None:
        m.estimator.missing_indicator.error_on_new = True

    assert "error_on_new" in _provenance(_edited(est, error_on_new))


# ---------------------------------------------------------------------------- KNNImputer


@pytest.mark.parametrize("weights", ["uniform", "distance"])
@pytest.mark.parametrize("n_neighbors", [1, 3, 100])
@pytest.mark.parametrize("extra", [{}, {"add_indicator": True}, {"keep_empty_features": True}])
def test_knn_imputer(weights, n_neighbors, extra, tmp_path: Path) -> None:
    train, test = _data()
    est = KNNImputer(n_neighbors=n_neighbors, weights=weights, **extra).fit(train)
    back = _roundtrip(est, test, train)
    _same(back._fit_X, est._fit_X)
    _same(back._mask_fit_X, est._mask_fit_X)
    _same(back._valid_mask, est._valid_mask)
    if CLI.exists():
        want = est.transform(test)
        got = _rust_transform(amber.dumps(est), test, tmp_path)
        rtol = KNN_DISTANCE_RTOL if weights == "distance" else KNN_UNIFORM_RTOL
        scale = float(np.nanmax(np.abs(train)))
        np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * scale)
        assert not np.isnan(got).any()


def test_knn_imputer_missing_number(tmp_path: Path) -> None:
    rng = np.random.default_rng(11)
    X = rng.uniform(0, 5, size=(40, 3))
    X[rng.random(X.shape) < 0.3] = -1.0
    est = KNNImputer(missing_values=-1, n_neighbors=2).fit(X)
    _roundtrip(est, X)
    if CLI.exists():
        got = _rust_transform(amber.dumps(est), X, tmp_path)
        np.testing.assert_allclose(got, est.transform(X), rtol=KNN_UNIFORM_RTOL, atol=1e-12)


def test_knn_imputer_refusals_and_rules(tmp_path: Path) -> None:
    train, _ = _data()
    with pytest.raises(amber.AmberError, match="metric"):
        amber.dumps(KNNImputer(metric=lambda a, b, **kw: 0.0).fit(train))
    with pytest.raises(amber.AmberError, match="weights"):
        amber.dumps(KNNImputer(weights=lambda d: d).fit(train))
    est = KNNImputer().fit(train)

    def zero(m: pb.Manifest) -> None:
        m.estimator.knn_imputer.n_neighbors = 0

    def text(m: pb.Manifest) -> None:
        m.estimator.knn_imputer.missing_values.text = "?"

    for edit in (zero, text):
        _both_refuse(_edited(est, edit), "E_MODEL", tmp_path)


def test_string_missing_value_through_rust(tmp_path: Path) -> None:
    rng = np.random.default_rng(12)
    frame = pd.DataFrame(
        {
            "city": pd.Series(list(rng.choice(["Paris", "Lyon", "?"], 40)), dtype=object),
            "plan": pd.Series(list(rng.choice(["basic", "pro", "?"], 40)), dtype=object),
        }
    )
    est = SimpleImputer(missing_values="?", strategy="most_frequent").fit(frame)
    _roundtrip(est, frame)
    if CLI.exists():
        done = _rust(amber.dumps(est), frame, tmp_path)
        assert done.returncode == 0, done.stderr
        got = pd.read_csv(tmp_path / "z.csv", header=None, keep_default_na=False)
        assert got.to_numpy().tolist() == est.transform(frame).tolist()
        # A missing cell is NaN to scikit-learn, which it refuses here; so does Rust.
        frame.loc[4, "plan"] = np.nan
        with pytest.raises(ValueError, match="NaN"):
            est.transform(frame)
        done = _rust(amber.dumps(est), frame, tmp_path)
        assert done.returncode != 0 and "E_INPUT" in done.stderr and "row 4" in done.stderr


def test_knn_imputer_dataframe(tmp_path: Path) -> None:
    train, test = _data()
    cols = ["a", "b", "c", "d", "e"]
    est = KNNImputer(n_neighbors=4, add_indicator=True).fit(pd.DataFrame(train, columns=cols))
    back = _roundtrip(est, pd.DataFrame(test, columns=cols))
    assert list(back.get_feature_names_out()) == list(est.get_feature_names_out())


def test_imputers_in_a_tabular_pipeline(tmp_path: Path) -> None:
    """The issue's pipeline: ColumnTransformer of imputed, scaled numbers, a KNN branch,
    imputed one-hot strings and a missing indicator on a string column, into a classifier;
    predicted from a CSV in Rust and after amber.load."""
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(13)
    n = 200
    frame = pd.DataFrame(
        {
            "age": np.where(rng.random(n) < 0.2, np.nan, rng.normal(40, 10, n)),
            "income": rng.normal(100, 30, n),
            "city": pd.Series(
                [c if rng.random() > 0.2 else np.nan for c in rng.choice(["a", "b", "c"], n)],
                dtype=object,
            ),
            "plan": pd.Series(list(rng.choice(["x", "y"], n)), dtype=object),
        }
    )
    y = (rng.random(n) < 0.5).astype(int)
    numbers = make_pipeline(SimpleImputer(strategy="median", add_indicator=True), StandardScaler())
    strings = make_pipeline(
        SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore")
    )
    ct = ColumnTransformer(
        [
            ("num", numbers, ["age", "income"]),
            ("knn", KNNImputer(n_neighbors=3), ["age", "income"]),
            ("cat", strings, ["city", "plan"]),
            ("miss", MissingIndicator(features="all"), ["city"]),
        ]
    )
    model = make_pipeline(ct, LogisticRegression(max_iter=1000)).fit(frame, y)
    test = frame.iloc[:40]
    want = model.predict_proba(test)
    blob = amber.dumps(model)
    kinds = {c["name"]: c["kind"] for c in amber.inspect(blob)["input"]["columns"]}
    assert kinds == {"age": "numeric", "income": "numeric", "city": "string", "plan": "string"}
    assert amber.loads(blob).predict_proba(test).tobytes() == want.tobytes()
    if CLI.exists():
        (tmp_path / "m.amber").write_bytes(blob)
        test.to_csv(tmp_path / "x.csv", index=False)
        done = subprocess.run(
            [
                *(str(CLI), "predict", str(tmp_path / "m.amber")),
                *("--input", str(tmp_path / "x.csv"), "--method", "predict_proba"),
                *("--output", str(tmp_path / "p.npy")),
            ],
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
        # The linear step's BLAS sums (spec/estimators.md section 3.1), KNN's tolerance.
        np.testing.assert_allclose(np.load(tmp_path / "p.npy"), want, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("seed", range(60))
def test_random_configurations_agree_with_scikit_learn(seed: int, tmp_path: Path) -> None:
    """Seeded random data (NaN anywhere, continuous values: no ties among KNN distances) and
    options; the rebuild bit for bit, Rust bit for bit (KNN: its tolerance), and Rust refuses
    what scikit-learn refuses (error_on_new)."""
    rng = np.random.default_rng(1000 + seed)
    n, f = int(rng.integers(1, 40)), int(rng.integers(1, 6))
    p = float(rng.random()) * 0.7
    X = rng.normal(size=(n, f)) * float(rng.choice([1.0, 100.0, 0.01]))
    X[rng.random((n, f)) < p] = np.nan
    T = np.round(rng.normal(size=(int(rng.integers(1, 20)), f)) * 3, 1)
    T[rng.random(T.shape) < p] = np.nan
    kind = seed % 3
    if kind == 0:
        strategy = str(rng.choice(["mean", "median", "most_frequent", "constant"]))
        est = SimpleImputer(
            strategy=strategy,
            add_indicator=bool(rng.random() < 0.5),
            keep_empty_features=bool(rng.random() < 0.3),
        )
    elif kind == 1:
        est = MissingIndicator(
            features=str(rng.choice(["missing-only", "all"])),
            error_on_new=bool(rng.random() < 0.5),
        )
    else:
        est = KNNImputer(
            n_neighbors=int(rng.integers(1, 8)),
            weights=str(rng.choice(["uniform", "distance"])),
            add_indicator=bool(rng.random() < 0.5),
            keep_empty_features=bool(rng.random() < 0.3),
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        est.fit(X)
        try:
            want = np.asarray(est.transform(T), dtype=np.float64)
        except ValueError:
            want = None
        model = amber.dumps(est)
        back = amber.loads(model)
        if want is None:
            with pytest.raises(ValueError):
                back.transform(T)
        else:
            assert _bits(back.transform(T)) == _bits(want)
    if not CLI.exists():
        return
    done = _rust(model, T, tmp_path)
    if want is None:
        assert done.returncode != 0 and "E_INPUT" in done.stderr
        return
    assert done.returncode == 0, done.stderr
    got = np.load(tmp_path / "z.npy")
    if kind == 2:
        if est.weights == "uniform" and not impute._UNIFORM_SKIPS_NAN:
            # UNIFORM_ALL counts donors at a NaN distance, and which of those fill the k
            # slots is numpy's selection order (spec/estimators.md section 18.4).
            return
        rtol = KNN_DISTANCE_RTOL if est.weights == "distance" else KNN_UNIFORM_RTOL
        scale = float(np.nanmax(np.abs(X))) if np.isfinite(X).any() else 1.0
        np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * scale)
    else:
        assert _bits(got) == _bits(want)
