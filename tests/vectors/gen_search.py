"""Corpus cases of GridSearchCV, RandomizedSearchCV and the halving searches (spec/sklearn.md,
"Searches"): a Pipeline body of one step, the refitted best estimator. Imported by
generate.py: one set per scikit-learn version of CORPUS_VERSIONS."""

from __future__ import annotations

from typing import Any

import gen_compose as compose
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, KFold, RandomizedSearchCV
from sklearn.model_selection._search_successive_halving import (
    HalvingGridSearchCV,
    HalvingRandomSearchCV,
)
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler


def _timeless(search: Any) -> Any:
    """The fitted search with its timings (refit_time_, the *_time columns) set to 0, so that
    the generator writes the same bytes on every run; they are provenance only."""
    search.refit_time_ = 0.0
    for key in search.cv_results_:
        if key.endswith("_time"):
            search.cv_results_[key] = search.cv_results_[key] * 0.0
    return search


def _grid_pipeline(seed: int) -> Any:
    search = GridSearchCV(
        Pipeline([("scale", StandardScaler()), ("lr", LogisticRegression(C=5.0))]),
        {"lr__C": [0.01, 0.1, 1.0], "scale__with_mean": [True, False]},
        cv=KFold(3, shuffle=True, random_state=0),
        scoring="roc_auc",
    )
    est, X, y, test = compose._fit(search, seed)
    return _timeless(est), X, y, test


def _randomized_hgb(seed: int) -> Any:
    search = RandomizedSearchCV(
        HistGradientBoostingRegressor(max_iter=20, random_state=0),
        {"max_depth": [2, 3, None], "learning_rate": [0.05, 0.1, 0.3]},
        n_iter=4,
        cv=3,
        random_state=1,
        scoring=["neg_mean_squared_error", "r2"],
        refit="r2",
    )
    est, X, y, test = compose._fit(search, seed, target="value")
    return _timeless(est), X, y, test


def _grid_tabular(seed: int) -> Any:
    pipe, X, y, test = compose._tabular(seed)
    search = GridSearchCV(pipe, {"lr__C": [0.1, 1.0]}, cv=3).fit(X, y)
    return _timeless(search), X, y, test


def _halving_grid(seed: int) -> Any:
    search = HalvingGridSearchCV(
        Pipeline([("scale", StandardScaler()), ("lr", LogisticRegression())]),
        {"lr__C": [0.01, 0.1, 1.0, 10.0], "scale__with_std": [True, False]},
        factor=2,
        cv=3,
        random_state=0,
    )
    est, X, y, test = compose._fit(search, seed)
    return _timeless(est), X, y, test


def _halving_random_hgb(seed: int) -> Any:
    search = HalvingRandomSearchCV(
        HistGradientBoostingClassifier(random_state=0),
        {"max_depth": [2, 3, None], "learning_rate": [0.05, 0.1, 0.3]},
        n_candidates=4,
        resource="max_iter",
        min_resources=5,
        max_resources=20,
        factor=2,
        cv=3,
        random_state=2,
    )
    est, X, y, test = compose._fit(search, seed)
    return _timeless(est), X, y, test


def cases(version: str, g: Any) -> list[Any]:
    """This family's cases for `version`; `g` is the generator module (its Case, _methods)."""
    return [
        g.Case(
            f"grid_search_pipeline-sk{version}",
            "GridSearchCV over a StandardScaler + LogisticRegression pipeline (two params, a "
            "KFold splitter, roc_auc); the body is the refitted best pipeline",
            lambda: _grid_pipeline(21),
            feature_names=True,
        ),
        g.Case(
            f"randomized_search_hgb-sk{version}",
            "RandomizedSearchCV over HistGradientBoostingRegressor, two metrics, refit on r2",
            lambda: _randomized_hgb(22),
            feature_names=True,
        ),
        g.Case(
            f"grid_search_tabular-sk{version}",
            "GridSearchCV over the tabular pipeline (strings, missing values); input.csv only",
            lambda: _grid_tabular(23),
            feature_names=True,
            methods=lambda est, frame: g._methods(est, frame),
        ),
        g.Case(
            f"halving_grid_search_pipeline-sk{version}",
            "HalvingGridSearchCV (resource n_samples, factor 2) over a StandardScaler + "
            "LogisticRegression pipeline; n_resources_ and n_candidates_ per iteration",
            lambda: _halving_grid(24),
            feature_names=True,
        ),
        g.Case(
            f"halving_random_search_hgb-sk{version}",
            "HalvingRandomSearchCV over HistGradientBoostingClassifier with max_iter as the "
            "resource (5 to 20); best_params_ holds the last max_iter",
            lambda: _halving_random_hgb(25),
            feature_names=True,
        ),
    ]
