"""HistGradientBoosting on DataFrame categories: string categories keep the fitted
`_preprocessor` in `boosting.preprocessor` (spec/estimators.md 7.1 rules 8-10, 7.6).

What the round trip keeps on DataFrames (`category` and object string columns, unseen
categories, missing cells), the input schema the file records, the layout of the body, and
what a rebuild refuses. The corpus cases (tests/vectors/gen_hgb_dtype.py) run the same
models through the Rust reader.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from threadpoolctl import threadpool_limits

import amber
from amber import _container
from amber._proto.amber.v1 import amber_pb2 as pb

MODERN = hasattr(HistGradientBoostingRegressor, "_preprocess_X")  # scikit-learn >= 1.4
modern = pytest.mark.skipif(not MODERN, reason="string categories need scikit-learn >= 1.4")
CORPUS = Path(__file__).resolve().parents[2] / "tests" / "vectors" / "valid"
CITIES = ["Paris", "Lyon", "Nice", "Lille"]


@pytest.fixture(autouse=True)
def _one_thread():
    with threadpool_limits(limits=1, user_api="openmp"):
        yield


def _frame(seed: int, n: int, test: bool = False) -> pd.DataFrame:
    """x (numeric, NaN), city (strings, missing), plan (strings), grade (ints), member
    (bool); a test frame starts with unseen categories and missing cells."""
    rng = np.random.RandomState(seed)
    x = rng.randn(n)
    x[rng.rand(n) < 0.05] = np.nan
    city = rng.choice(CITIES, n).astype(object)
    city[rng.rand(n) < 0.1] = None
    plan = rng.choice(["basic", "pro", "team"], n).astype(object)
    grade = rng.choice([1, 2, 5], n)
    if test:
        city[:3] = ["Oslo", None, "Paris"]
        plan[:3] = ["pro", "enterprise", None]
        grade[3] = 4
    return pd.DataFrame(
        {
            "x": x,
            "city": pd.Series(city, dtype=object),
            "plan": pd.Series(plan, dtype=object),
            "grade": grade,
            "member": rng.rand(n) < 0.4,
        }
    )


def _y(X: pd.DataFrame, classes: int) -> np.ndarray:
    z = X["x"].fillna(0) + X["city"].map({"Paris": 1.0, "Nice": -1.0}).fillna(0.2)
    z = z + X["plan"].map({"pro": 0.8}).fillna(0) + 0.1 * X["grade"] + X["member"]
    if classes == 0:
        return z.to_numpy()
    return np.digitize(z, np.quantile(z, np.linspace(0, 1, classes + 1)[1:-1]))


def _as_categories(X: pd.DataFrame, columns) -> pd.DataFrame:
    return X.astype({c: "category" for c in columns})


def _body(data: bytes) -> tuple[pb.Boosting, Any]:
    c = _container.read_container(data)
    return c.manifest.estimator.boosting, c


def _same(est: Any, loaded: Any, X: pd.DataFrame) -> None:
    for method in ("predict", "predict_proba", "decision_function"):
        if hasattr(est, method):
            assert np.array_equal(getattr(est, method)(X), getattr(loaded, method)(X)), method


CASES = {
    "from_dtype": (
        lambda: HistGradientBoostingClassifier(
            categorical_features="from_dtype", max_iter=15, random_state=0
        ),
        ["city", "plan"],
        2,
    ),
    "from_dtype_ints_and_strings": (
        lambda: HistGradientBoostingClassifier(
            categorical_features="from_dtype", max_iter=10, random_state=1
        ),
        ["city", "plan", "grade"],
        3,
    ),
    "names": (
        lambda: HistGradientBoostingRegressor(
            categorical_features=["plan", "city"], max_iter=15, random_state=2
        ),
        None,
        0,
    ),
    "indices": (
        lambda: HistGradientBoostingRegressor(
            categorical_features=[2, 1], max_iter=10, random_state=4
        ),
        None,
        0,
    ),
    "mask": (
        lambda: HistGradientBoostingClassifier(
            categorical_features=np.array([False, True, True, False, False]),
            max_iter=15,
            random_state=3,
        ),
        None,
        2,
    ),
}


@modern
@pytest.mark.parametrize("name", sorted(CASES))
def test_string_categories_round_trip_on_dataframes(name: str) -> None:
    make, dtype_columns, classes = CASES[name]
    X, test = _frame(0, 300), _frame(1, 60, test=True)
    y = _y(X, classes)
    if dtype_columns:
        X, test = _as_categories(X, dtype_columns), _as_categories(test, dtype_columns)
    est = make().fit(X, y)
    data = amber.dumps(est)
    loaded = amber.loads(data)
    _same(est, loaded, test)
    assert amber.dumps(loaded) == data
    # The same strings in object columns (what a CSV holds) give the same outputs.
    _same(est, loaded, test.astype({c: object for c in ("city", "plan")}))
    enc = loaded._preprocessor.named_transformers_["encoder"]
    want = est._preprocessor.named_transformers_["encoder"]
    for got, exp in zip(enc.categories_, want.categories_):
        assert [type(v) for v in got] == [type(v) for v in exp] and got.tolist() == exp.tolist()
    # Every attribute, _preprocessor, _bin_mapper and _predictors included (the round-trip
    # suite's deep comparison).
    from test_roundtrip import assert_same_estimator

    assert_same_estimator(est, loaded, name)


@modern
def test_body_keeps_the_preprocessor_and_codes() -> None:
    X = _as_categories(_frame(2, 300), ["city", "plan"])
    est = HistGradientBoostingClassifier(categorical_features="from_dtype", max_iter=10).fit(
        X, _y(X, 2)
    )
    body, c = _body(amber.dumps(est))
    pre = body.preprocessor
    assert pre.producer_type == "sklearn.compose.ColumnTransformer"
    encoder, numerical = pre.column_transformer.branches
    assert (encoder.name, list(encoder.columns)) == ("encoder", [1, 2])
    assert (numerical.name, list(numerical.columns)) == ("numerical", [0, 3, 4])
    assert not numerical.HasField("estimator")
    cats = encoder.estimator.ordinal_encoder.features
    assert list(cats[0].categories.strings) == sorted(CITIES) and cats[0].categories.has_nan
    # The trees split on the preprocessor's columns: codes 0, 1 first, known codes 0..n-1.
    assert not body.trees.category_values
    assert c.array(body.trees.categorical_features).tolist() == [0, 1]
    known = c.array(body.trees.known_categories)
    assert known[0, 0] == (1 << len(CITIES)) - 1 and known[1, 0] == 0b111
    schema = amber.inspect(amber.dumps(est))["input"]["columns"]
    assert [(col["name"], col["kind"]) for col in schema] == [
        ("x", "numeric"),
        ("city", "string"),
        ("plan", "string"),
        ("grade", "numeric"),
        ("member", "numeric"),
    ]


@modern
def test_numeric_categories_need_no_preprocessor() -> None:
    X = _as_categories(_frame(3, 300), ["grade"]).drop(columns=["city", "plan"])
    est = HistGradientBoostingRegressor(categorical_features="from_dtype", max_iter=8).fit(
        X, _y(_frame(3, 300), 0)
    )
    body, c = _body(amber.dumps(est))
    assert not body.HasField("preprocessor")
    assert c.array(body.trees.category_values).tolist() == [1.0, 2.0, 5.0]


@modern
def test_none_is_a_category_of_an_object_column() -> None:
    # scikit-learn keeps None apart from NaN in an object column: None is a category (code
    # n - 1), NaN is unknown, hence missing.
    X = _frame(4, 300)
    est = HistGradientBoostingClassifier(categorical_features=["city", "plan"], max_iter=8).fit(
        X, _y(X, 2)
    )
    assert est._preprocessor.named_transformers_["encoder"].categories_[0][-1] is None
    loaded = amber.loads(amber.dumps(est))
    test = _frame(5, 40, test=True)
    _same(est, loaded, test)
    _same(est, loaded, test.fillna({"city": np.nan}))


@modern
def test_inference_only_predicts_the_same() -> None:
    X, test = _frame(6, 300), _frame(7, 60, test=True)
    X, test = _as_categories(X, ["city", "plan"]), _as_categories(test, ["city", "plan"])
    est = HistGradientBoostingClassifier(categorical_features="from_dtype", max_iter=10).fit(
        X, _y(X, 3)
    )
    small = amber.dumps(est, inference_only=True)
    with pytest.warns(amber.AmberWarning, match="inference-only"):
        loaded = amber.loads(small)
    _same(est, loaded, test)


@modern
def test_a_loaded_model_trains_on() -> None:
    X = _as_categories(_frame(8, 300), ["city", "plan"])
    y = _y(X, 2)
    est = HistGradientBoostingClassifier(
        categorical_features="from_dtype", max_iter=5, random_state=0
    ).fit(X, y)
    loaded = amber.loads(amber.dumps(est))
    est.set_params(max_iter=9, warm_start=True).fit(X, y)
    loaded.set_params(max_iter=9, warm_start=True).fit(X, y)
    _same(est, loaded, X)


def _edited(data: bytes, edit) -> bytes:
    c = _container.read_container(data)
    m = pb.Manifest()
    m.CopyFrom(c.manifest)
    edit(m)
    return _container.write_container(m, c.all_tensors())


CORPUS_FILE = CORPUS / "hgb_dtype_from_dtype-sk1.9.1" / "model.amber"


@pytest.mark.skipif(not CORPUS_FILE.exists(), reason="corpus not present")
def test_rebuild_refuses_another_preprocessor() -> None:
    data = CORPUS_FILE.read_bytes()

    def swap(m: pb.Manifest) -> None:
        branches = m.estimator.boosting.preprocessor.column_transformer.branches
        branches[0].name, branches[1].name = "numerical", "encoder"

    bad = _edited(data, swap)
    amber.validate(bad)  # a valid body: only the rebuild refuses it
    with pytest.raises(amber.AmberError) as e:
        amber.loads(bad)
    assert e.value.code == "E_PROVENANCE"
    if not MODERN:
        # scikit-learn 1.3 has neither "from_dtype" nor the encoder.
        with pytest.raises(amber.AmberError) as e:
            amber.loads(data)
        assert e.value.code == "E_PROVENANCE"


@pytest.mark.skipif(not CORPUS_FILE.exists(), reason="corpus not present")
def test_strings_never_reach_the_trees() -> None:
    data = CORPUS_FILE.read_bytes()

    def strings_out(m: pb.Manifest) -> None:
        # The encoder branch removed: its string columns pass through to the trees, which
        # the schema (recorded as string) and rule 10 refuse.
        m.estimator.boosting.preprocessor.column_transformer.branches[0].ClearField("estimator")

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(amber.AmberError) as e:
            amber.validate(_edited(data, strings_out))
        assert e.value.code == "E_MODEL"


@modern
def test_numpy_object_array_of_strings() -> None:
    # No feature names: the rebuild's stand-in input is an object array, as fit's was.
    X = _frame(9, 300)[["x", "city", "plan"]]
    test = _frame(10, 40, test=True)[["x", "city", "plan"]].to_numpy(dtype=object)
    est = HistGradientBoostingClassifier(categorical_features=[1, 2], max_iter=8).fit(
        X.to_numpy(dtype=object), _y(_frame(9, 300), 2)
    )
    data = amber.dumps(est)
    loaded = amber.loads(data)
    _same(est, loaded, test)
    assert amber.dumps(loaded) == data
    schema = amber.inspect(data)["input"]["columns"]
    assert [c["kind"] for c in schema] == ["numeric", "string", "string"]
