"""ColumnTransformer and FeatureUnion: every selector, remainder and weight round-trips
with identical outputs and feature names, and the input schema says which columns hold
strings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, make_pipeline, make_union
from sklearn.preprocessing import MaxAbsScaler, MinMaxScaler, RobustScaler, StandardScaler

import amber


def _frame(n: int = 80, seed: int = 0) -> pd.DataFrame:
    rng = np.random.RandomState(seed)
    return pd.DataFrame(
        {
            "a": rng.normal(size=n),
            "b": rng.uniform(0, 10, n),
            "c": rng.normal(5, 2, n),
            "d": rng.randint(0, 4, n).astype(float),
            "flag": rng.uniform(size=n) < 0.4,
        }
    )


SELECTORS = {
    "names": ["a", "c"],
    "one name": ["b"],
    "indices": [0, 2],
    "slice": slice(1, 3),
    "mask": np.array([True, False, True, False, False]),
    "selector": make_column_selector(pattern="^[ab]$"),
}


def _same(a, b) -> None:
    a = a.toarray() if hasattr(a, "toarray") else np.asarray(a)
    b = b.toarray() if hasattr(b, "toarray") else np.asarray(b)
    assert a.shape == b.shape and a.dtype == b.dtype
    if a.dtype == object:  # a passed-through bool beside numbers: compare the objects
        assert a.tolist() == b.tolist()
    else:
        assert a.tobytes() == b.tobytes()


@pytest.mark.parametrize("selector", list(SELECTORS), ids=list(SELECTORS))
@pytest.mark.parametrize("remainder", ["drop", "passthrough", "estimator"])
def test_column_transformer_round_trips(selector: str, remainder: str) -> None:
    X = _frame()
    rem = MinMaxScaler() if remainder == "estimator" else remainder
    ct = ColumnTransformer(
        [("scale", StandardScaler(), SELECTORS[selector]), ("robust", RobustScaler(), ["d"])],
        remainder=rem,
        transformer_weights={"robust": 3.0},
    ).fit(X)
    back = amber.loads(amber.dumps(ct))
    _same(back.transform(X), ct.transform(X))
    assert list(back.get_feature_names_out()) == list(ct.get_feature_names_out())
    assert amber.dumps(back) == amber.dumps(ct)


@pytest.mark.parametrize("verbose", [True, False])
def test_feature_names_out_and_sparse_flag_survive(verbose: bool) -> None:
    X = _frame()
    ct = ColumnTransformer(
        [("x", MaxAbsScaler(), ["a"]), ("y", "passthrough", ["flag"])],
        verbose_feature_names_out=verbose,
        sparse_threshold=0.0,
    ).fit(X)
    back = amber.loads(amber.dumps(ct))
    assert list(back.get_feature_names_out()) == list(ct.get_feature_names_out())
    assert back.sparse_output_ == ct.sparse_output_
    _same(back.transform(X), ct.transform(X))


def test_pipeline_of_column_transformer_predicts_the_same() -> None:
    X = _frame()
    y = (X["a"] + X["flag"] > 0.5).astype(int)
    ct = ColumnTransformer([("s", StandardScaler(), ["a", "b"]), ("f", "passthrough", ["flag"])])
    model = make_pipeline(ct, LogisticRegression()).fit(X, y)
    back = amber.loads(amber.dumps(model))
    _same(back.predict_proba(X), model.predict_proba(X))
    _same(back.predict(X), model.predict(X))


def test_numeric_models_record_no_schema() -> None:
    X = _frame()
    ct = ColumnTransformer([("s", StandardScaler(), ["a"])], remainder="passthrough").fit(X)
    y = (X["a"] > 0).astype(int)
    model = make_pipeline(ct, LogisticRegression()).fit(X, y)
    assert "input" not in amber.inspect(amber.dumps(model))


def test_dropped_and_passed_through_columns_are_in_the_schema() -> None:
    X = _frame()
    ct = ColumnTransformer([("s", StandardScaler(), ["a"]), ("p", "passthrough", ["b"])]).fit(X)
    schema = amber.inspect(amber.dumps(ct))["input"]["columns"]
    kinds = {c["name"]: c["kind"] for c in schema}
    # "a" is scaled (numbers); "b" goes to the output as it is; c, d, flag are dropped.
    assert kinds == {
        "a": "numeric",
        "b": "any",
        "c": "unused",
        "d": "unused",
        "flag": "unused",
    }


def test_feature_union_round_trips() -> None:
    X = _frame()[["a", "b", "c"]]
    fu = FeatureUnion(
        [("s", StandardScaler()), ("m", MinMaxScaler()), ("p", "passthrough"), ("x", "drop")],
        transformer_weights={"m": 0.5},
    ).fit(X)
    back = amber.loads(amber.dumps(fu))
    _same(back.transform(X), fu.transform(X))
    assert list(back.get_feature_names_out()) == list(fu.get_feature_names_out())
    union = make_union(StandardScaler(), RobustScaler()).fit(X)
    _same(amber.loads(amber.dumps(union)).transform(X), union.transform(X))


def test_an_unfitted_branch_is_refused_by_name() -> None:
    X = _frame()
    ct = ColumnTransformer([("s", StandardScaler(), ["a"]), ("e", RobustScaler(), [])]).fit(X)
    with pytest.raises(amber.AmberError, match=r"'e'.*selects no columns"):
        amber.dumps(ct)


def test_a_file_whose_schema_lies_is_refused() -> None:
    from amber import _container
    from amber._proto.amber.v1 import amber_pb2 as pb

    X = _frame()
    ct = ColumnTransformer([("s", StandardScaler(), ["a"]), ("p", "passthrough", ["b"])]).fit(X)
    c = _container.read_container(amber.dumps(ct))
    m = pb.Manifest()
    m.CopyFrom(c.manifest)
    m.input.columns[0].kind = pb.COLUMN_KIND_STRING
    bad = _container.frame(m.SerializeToString(deterministic=True), bytes(c.data))
    with pytest.raises(amber.AmberError) as e:
        amber.loads(bad)
    assert e.value.code == "E_MODEL" and "input.columns[0].kind" in str(e.value)


@pytest.mark.parametrize("where", ["scaler", "column_transformer", "pipeline"])
def test_set_output_pandas_is_restored(where: str) -> None:
    X = _frame()[["a", "b"]]
    est = {
        "scaler": StandardScaler(),
        "column_transformer": ColumnTransformer(
            [("s", StandardScaler(), ["a"])], remainder="passthrough"
        ),
        "pipeline": make_pipeline(MinMaxScaler(), StandardScaler()),
    }[where]
    est.set_output(transform="pandas").fit(X)
    back = amber.loads(amber.dumps(est))
    got, want = back.transform(X), est.transform(X)
    assert isinstance(got, pd.DataFrame)
    assert got.equals(want) and list(got.columns) == list(want.columns)
    assert amber.dumps(back) == amber.dumps(est)


def test_a_union_member_that_transforms_in_place_is_refused() -> None:
    # scikit-learn hands every member the same array: with copy=False the first member's
    # output becomes the second's input, so the union's output depends on member order.
    X = _frame().select_dtypes("number").to_numpy()
    union = FeatureUnion([("mm", MinMaxScaler(copy=False)), ("std", StandardScaler())]).fit(X)
    probe = X.copy()
    in_sklearn = union.transform(probe)
    clean = FeatureUnion([("mm", MinMaxScaler()), ("std", StandardScaler())]).fit(X)
    assert not np.allclose(in_sklearn, clean.transform(X))  # the behaviour the refusal avoids
    with pytest.raises(amber.AmberError, match="'mm' transforms in place") as err:
        amber.dumps(union)
    assert err.value.code == "E_UNSUPPORTED"
    # The last member may: nothing reads the array after it.
    last = FeatureUnion([("std", StandardScaler()), ("mm", MinMaxScaler(copy=False))]).fit(X)
    np.testing.assert_array_equal(
        amber.loads(amber.dumps(last)).transform(X.copy()), last.transform(X.copy())
    )
