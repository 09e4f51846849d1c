"""GridSearchCV and RandomizedSearchCV: saved as a Pipeline body of one step (the refitted
best estimator), rebuilt into a search that predicts and answers as the original does
(spec/sklearn.md, "Searches")."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import loguniform
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV, KFold, RandomizedSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

import amber
from amber._container import read_container


def _data(n: int = 90, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 4))
    y = (X[:, 0] + 0.5 * X[:, 1] + rng.normal(0, 0.5, n) > 0).astype(np.int64)
    return X, y


def _grid() -> GridSearchCV:
    X, y = _data()
    pipe = Pipeline([("scale", StandardScaler()), ("lr", LogisticRegression(C=5.0))])
    grid = {"lr__C": np.array([0.01, 0.1, 1.0]), "scale__with_mean": [True, False]}
    return GridSearchCV(pipe, grid, cv=KFold(3, shuffle=True, random_state=0)).fit(X, y)


def test_a_grid_search_round_trips_with_its_answers() -> None:
    X, _ = _data(seed=1)
    search = _grid()
    data = amber.dumps(search)
    again = amber.loads(data)
    assert type(again) is GridSearchCV
    np.testing.assert_array_equal(again.predict_proba(X), search.predict_proba(X))
    assert again.best_params_ == search.best_params_
    assert again.best_index_ == search.best_index_ and again.best_score_ == search.best_score_
    assert again.n_splits_ == search.n_splits_
    assert again.score(X, search.predict(X)) == search.score(X, search.predict(X))
    for key, column in search.cv_results_.items():
        got = again.cv_results_[key]
        if isinstance(column, np.ma.MaskedArray):
            assert isinstance(got, np.ma.MaskedArray)
            np.testing.assert_array_equal(np.ma.getmaskarray(got), np.ma.getmaskarray(column))
            assert list(got.data) == list(column.data), key
        elif key == "params":
            assert got == column
        else:
            np.testing.assert_array_equal(got, column)
            assert got.dtype == column.dtype, key
    # The template keeps its own value of the searched param (C=5.0), not the best one.
    assert again.estimator.get_params()["lr__C"] == 5.0
    assert repr(again.cv) == repr(search.cv)
    assert amber.dumps(again) == data  # what is rebuilt writes the same bytes


def test_the_body_is_the_best_estimator_so_the_rust_reader_predicts_it() -> None:
    search = _grid()
    manifest = read_container(amber.dumps(search)).manifest
    steps = manifest.estimator.pipeline.steps
    assert [s.name for s in steps] == ["best_estimator_"]
    assert steps[0].estimator.producer_type == "sklearn.pipeline.Pipeline"
    assert manifest.estimator.producer_type == "sklearn.model_selection.GridSearchCV"


def test_a_randomized_search_with_two_metrics() -> None:
    X, y = _data()
    search = RandomizedSearchCV(
        LogisticRegression(),
        {"C": [0.01, 0.1, 1.0, 10.0]},
        n_iter=3,
        random_state=0,
        scoring=["accuracy", "roc_auc"],
        refit="roc_auc",
        cv=3,
    ).fit(X, y)
    again = amber.loads(amber.dumps(search))
    np.testing.assert_array_equal(again.decision_function(X), search.decision_function(X))
    assert again.multimetric_ and sorted(again.scorer_) == ["accuracy", "roc_auc"]
    assert again.best_params_ == search.best_params_


@pytest.mark.parametrize(
    ("make", "why"),
    [
        (lambda: GridSearchCV(Ridge(), {"alpha": [1.0, 2.0]}, refit=False), "no best_estimator_"),
        (
            lambda: GridSearchCV(Ridge(), {"alpha": [1.0]}, scoring=lambda e, X, y: 0.0),
            "scoring is a callable",
        ),
        (
            lambda: RandomizedSearchCV(Ridge(), {"alpha": loguniform(1e-3, 1.0)}, n_iter=2),
            "scipy distribution",
        ),
        (
            lambda: GridSearchCV(
                Pipeline([("m", Ridge())]), {"m": [Ridge(), Ridge(alpha=2.0)]}, cv=2
            ),
            "lists estimators",
        ),
        (
            lambda: GridSearchCV(
                Ridge(),
                {"alpha": [1.0]},
                cv=KFold(2, shuffle=True, random_state=np.random.RandomState(0)),
            ),
            "cv KFold.random_state",
        ),
    ],
)
def test_what_cannot_be_saved_is_refused_by_name(make, why: str) -> None:
    X, y = _data()
    search = make().fit(X, y.astype(np.float64))
    with pytest.raises(amber.AmberError, match=why) as err:
        amber.dumps(search)
    assert err.value.code == "E_UNSUPPORTED"


def test_best_params_that_contradict_the_candidates_are_e_provenance() -> None:
    from amber._container import Tensor, write_container
    from amber._proto.amber.v1 import amber_pb2 as pb

    c = read_container(amber.dumps(_grid()))
    m = pb.Manifest()
    m.CopyFrom(c.manifest)
    attr = next(a for a in m.estimator.attributes if a.name == "best_index_")
    other = next(a for a in m.estimator.attributes if a.name == "n_splits_")
    attr.value.CopyFrom(other.value)  # best_index_ := 3, another candidate
    blob = write_container(m, [Tensor(t.name, t.dtype, t.shape, t.data) for t in c.all_tensors()])
    amber.validate(blob)  # the body is untouched: every reader still predicts from it
    with pytest.raises(amber.AmberError, match="best_params_") as err:
        amber.loads(blob)
    assert err.value.code == "E_PROVENANCE"


@pytest.mark.parametrize(
    ("params", "why"),
    [({"lr__C": "high"}, "lr__C"), ({"lr__nope": 1.0}, "not a param of the estimator")],
)
def test_template_params_are_checked_before_scikit_learn_sees_them(params, why: str) -> None:
    from amber._container import Tensor, write_container
    from amber._proto.amber.v1 import amber_pb2 as pb
    from amber._sklearn._common import EncodeCtx, encode_value

    c = read_container(amber.dumps(_grid()))
    m = pb.Manifest()
    m.CopyFrom(c.manifest)
    attr = next(a for a in m.estimator.attributes if a.name == "estimator/params")
    attr.value.CopyFrom(encode_value(params, "x", EncodeCtx()))
    blob = write_container(m, [Tensor(t.name, t.dtype, t.shape, t.data) for t in c.all_tensors()])
    with pytest.raises(amber.AmberError, match=why) as err:
        amber.loads(blob)
    assert err.value.code == "E_PROVENANCE"


def _with_refit(blob: bytes, refit: object) -> bytes:
    from amber._container import Tensor, write_container
    from amber._proto.amber.v1 import amber_pb2 as pb
    from amber._sklearn._common import EncodeCtx, encode_value

    c = read_container(blob)
    m = pb.Manifest()
    m.CopyFrom(c.manifest)
    param = next(p for p in m.estimator.params if p.name == "refit")
    param.value.CopyFrom(encode_value(refit, "refit", EncodeCtx()))
    return write_container(m, [Tensor(t.name, t.dtype, t.shape, t.data) for t in c.all_tensors()])


def test_refit_false_with_a_best_estimator_is_e_provenance() -> None:
    # fit with refit=False makes no best_estimator_ (sklearn/model_selection/_search.py), so
    # a file that has one contradicts itself; the rebuilt search would not predict at all
    blob = _with_refit(amber.dumps(_grid()), False)
    amber.validate(blob)
    with pytest.raises(amber.AmberError, match="refit is False") as err:
        amber.loads(blob)
    assert err.value.code == "E_PROVENANCE"


def test_refit_must_name_one_of_several_metrics() -> None:
    X, y = _data()
    search = GridSearchCV(
        LogisticRegression(), {"C": [0.1, 1.0]}, scoring=["accuracy", "roc_auc"], refit="roc_auc"
    ).fit(X, y)
    with pytest.raises(amber.AmberError, match="does not name one of") as err:
        amber.loads(_with_refit(amber.dumps(search), True))
    assert err.value.code == "E_PROVENANCE"


def test_halving_searches_round_trip_with_their_iterations() -> None:
    from sklearn.model_selection._search_successive_halving import (
        HalvingGridSearchCV,
        HalvingRandomSearchCV,
    )

    X, y = _data(200)
    grid = HalvingGridSearchCV(
        Pipeline([("scale", StandardScaler()), ("lr", LogisticRegression())]),
        {"lr__C": [0.01, 0.1, 1.0, 10.0]},
        factor=2,
        cv=3,
        random_state=0,
    ).fit(X, y)
    # max_iter is the resource: best_params_ holds its last value, the template keeps its own
    rand = HalvingRandomSearchCV(
        LogisticRegression(max_iter=77),
        {"C": [0.01, 0.1, 1.0, 10.0, 100.0]},
        n_candidates=4,
        resource="max_iter",
        min_resources=10,
        max_resources=40,
        factor=2,
        cv=3,
        random_state=0,
    ).fit(X, y)
    for search in (grid, rand):
        again = amber.loads(amber.dumps(search))
        assert type(again) is type(search)
        np.testing.assert_array_equal(again.predict_proba(X), search.predict_proba(X))
        for name in ("n_resources_", "n_candidates_", "n_iterations_", "best_params_"):
            assert getattr(again, name) == getattr(search, name), name
        assert repr(again.get_params(deep=True)) == repr(search.get_params(deep=True))
        np.testing.assert_array_equal(again.cv_results_["iter"], search.cv_results_["iter"])
    assert amber.loads(amber.dumps(rand)).estimator.max_iter == 77
