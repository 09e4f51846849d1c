"""Corpus cases of ColumnTransformer and FeatureUnion (spec/estimators.md sections 16-17),
imported by generate.py: one set per scikit-learn version of CORPUS_VERSIONS."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import (
    MaxAbsScaler,
    MinMaxScaler,
    OneHotEncoder,
    RobustScaler,
    StandardScaler,
)

N_TRAIN, N_TEST = 300, 60
NUMERIC = ["age", "hours", "income", "balance"]


def _numeric_frame(seed: int, n: int) -> pd.DataFrame:
    rng = np.random.RandomState(seed)
    return pd.DataFrame(
        {
            "age": rng.randint(18, 90, n).astype(np.float64),
            "hours": np.round(rng.normal(40, 12, n), 1),
            "income": np.round(rng.lognormal(10.5, 0.8, n), 2),
            "balance": np.round(rng.normal(0, 5000, n), 2),
            "member": rng.uniform(size=n) < 0.3,
        }
    )


def _xy(seed: int) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    X = _numeric_frame(seed, N_TRAIN)
    z = (X["age"] - 50) / 20 + (X["hours"] - 40) / 12 + X["member"] * 0.8
    y = (z + np.random.RandomState(seed + 1).normal(0, 0.5, N_TRAIN) > 0).astype(np.int64)
    test = _numeric_frame(seed + 2, N_TEST)
    test.iloc[0, :4] = 0.0  # a row of zeros, then a training row bit for bit
    test.iloc[1] = X.iloc[0]
    return X, y, test


def _fit(est: Any, seed: int, target: str = "class"):
    X, y, test = _xy(seed)
    if target == "value":
        y = X["age"].to_numpy() * 0.5 + X["hours"].to_numpy()
    est.fit(X, y)
    return est, X, y, test


def _ct_transform(seed: int) -> Any:
    ct = ColumnTransformer(
        [
            ("std", StandardScaler(), ["age", "hours"]),
            ("mm", MinMaxScaler(clip=True), slice(2, 4)),
            ("flag", "passthrough", ["member"]),
        ],
        remainder="drop",
        transformer_weights={"mm": 2.5},
    )
    return _fit(ct, seed)


def _ct_remainder(seed: int) -> Any:
    ct = ColumnTransformer(
        [
            ("sel", RobustScaler(), make_column_selector(pattern="^(age|income)$")),
            ("mask", MaxAbsScaler(), np.array([False, True, False, False, False])),
            ("skip", "drop", ["balance"]),
        ],
        remainder=StandardScaler(),
        verbose_feature_names_out=False,
    )
    return _fit(ct, seed)


def _ct_pipeline(seed: int) -> Any:
    ct = ColumnTransformer(
        [("num", StandardScaler(), NUMERIC), ("flag", "passthrough", [4])],
        remainder="drop",
    )
    return _fit(Pipeline([("ct", ct), ("lr", LogisticRegression(max_iter=1000))]), seed)


def _ct_ridge_passthrough_remainder(seed: int) -> Any:
    ct = ColumnTransformer([("num", MinMaxScaler(), [0, 1])], remainder="passthrough")
    return _fit(Pipeline([("ct", ct), ("ridge", Ridge(alpha=0.5))]), seed, target="value")


def _union(seed: int) -> Any:
    fu = FeatureUnion(
        [
            ("std", StandardScaler()),
            ("mm", MinMaxScaler()),
            ("same", "passthrough"),
            ("no", "drop"),
        ],
        transformer_weights={"mm": 0.5, "same": 2.0},
    )
    return _fit(fu, seed)


def _union_of_compositions(seed: int) -> Any:
    """A FeatureUnion whose members are compositions (a pipeline around a ColumnTransformer,
    a ColumnTransformer), then a GridSearchCV as the last pipeline step."""
    from sklearn.model_selection import GridSearchCV

    ct = ColumnTransformer(
        [("num", StandardScaler(), ["age", "hours"]), ("flag", "passthrough", ["member"])]
    )
    fu = FeatureUnion(
        [
            ("scaled", Pipeline([("ct", ct), ("mm", MinMaxScaler())])),
            ("income", ColumnTransformer([("robust", RobustScaler(), ["income", "balance"])])),
        ],
        transformer_weights={"income": 0.5},
    )
    search = GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, cv=3)
    est, X, y, test = _fit(Pipeline([("union", fu), ("lr", search)]), seed)
    search = est.named_steps["lr"]
    search.refit_time_ = 0.0  # timings are provenance: zeroed so the bytes repeat
    for key in search.cv_results_:
        if key.endswith("_time"):
            search.cv_results_[key] = search.cv_results_[key] * 0.0
    return est, X, y, test


CATEGORIES = {"region": 4, "plan": 6, "city": 12}


def _tabular_frame(seed: int, n: int, unseen: bool = False) -> pd.DataFrame:
    """Numbers with missing values, string categories with missing values (None), a bool."""
    rng = np.random.RandomState(seed)
    X = _numeric_frame(seed, n)
    for name in ("hours", "income"):
        X.loc[rng.uniform(size=n) < 0.08, name] = np.nan
    for name, k in CATEGORIES.items():
        p = 1.0 / np.arange(1, k + 1)
        values = np.array([f"{name} {i:02d}" for i in range(k)], dtype=object)
        col = values[rng.choice(k, size=n, p=p / p.sum())]
        col[rng.uniform(size=n) < 0.05] = None
        if unseen:
            col[:3] = [f"{name} unseen", 'Zürich, "quoted"', f"{name} 00"]
        X[name] = col
    return X


def _tabular(seed: int) -> Any:
    X = _tabular_frame(seed, N_TRAIN)
    logit = (X["age"] - 50) / 20 + X["member"] * 0.8 + (X["region"] == "region 00") * 0.7
    y = (logit + np.random.RandomState(seed + 1).normal(0, 0.5, N_TRAIN) > 0).astype(np.int64)
    ct = ColumnTransformer(
        [
            (
                "num",
                Pipeline(
                    [("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]
                ),
                ["age", "hours", "income", "balance"],
            ),
            (
                "cat",
                Pipeline(
                    [
                        ("impute", SimpleImputer(strategy="constant", fill_value="missing")),
                        ("onehot", OneHotEncoder(handle_unknown="ignore")),
                    ]
                ),
                list(CATEGORIES),
            ),
            ("flag", "passthrough", ["member"]),
        ]
    )
    est = Pipeline([("ct", ct), ("lr", LogisticRegression(max_iter=1000))]).fit(X, y)
    return est, X, y, _tabular_frame(seed + 2, N_TEST, unseen=True)


def cases(version: str, g: Any) -> list[Any]:
    """This family's cases for `version`; `g` is the generator module (its Case, _methods)."""

    def _case(name: str, description: str, build, version: str) -> Any:
        return g.Case(f"{name}-sk{version}", description, build, feature_names=True)

    return [
        g.Case(
            f"column_transformer_tabular-sk{version}",
            "the tabular pipeline: imputed and scaled numbers, imputed one-hot strings (unseen "
            "ones ignored), a passed-through bool, LogisticRegression; input.csv only",
            lambda: _tabular(16),
            feature_names=True,
            methods=lambda est, frame: g._methods(est, frame),
        ),
        _case(
            "column_transformer_weights",
            "ColumnTransformer by names and slice, a weight, passthrough of a bool column, "
            "remainder drop",
            lambda: _ct_transform(11),
            version,
        ),
        _case(
            "column_transformer_remainder_estimator",
            "make_column_selector, a boolean mask, a dropped column, remainder=StandardScaler()",
            lambda: _ct_remainder(12),
            version,
        ),
        _case(
            "column_transformer_logistic",
            "Pipeline(ColumnTransformer(scaler, passthrough by index), LogisticRegression)",
            lambda: _ct_pipeline(13),
            version,
        ),
        _case(
            "column_transformer_ridge_remainder_passthrough",
            "Pipeline(ColumnTransformer(MinMaxScaler, remainder passthrough), Ridge)",
            lambda: _ct_ridge_passthrough_remainder(14),
            version,
        ),
        _case(
            "feature_union",
            "FeatureUnion of two scalers, passthrough and drop, with weights",
            lambda: _union(15),
            version,
        ),
        _case(
            "feature_union_of_compositions",
            "Pipeline(FeatureUnion(Pipeline(ColumnTransformer, MinMaxScaler), weighted "
            "ColumnTransformer), GridSearchCV(LogisticRegression)): compositions nested three "
            "deep, a search as a step",
            lambda: _union_of_compositions(17),
            version,
        ),
    ]


# ---------------------------------------------------------------------------- invalid files


def _rename_in_step(m: Any) -> None:
    # The pipeline's names stay; its first step (the ColumnTransformer) and that step's
    # scaler both call column 0 "years": only the pipeline-to-step rule is broken.
    ct = m.estimator.pipeline.steps[0].estimator
    ct.feature_names_in[0] = "years"
    ct.column_transformer.branches[0].estimator.feature_names_in[0] = "years"


def _swap_branch_names(m: Any) -> None:
    names = m.estimator.column_transformer.branches[0].estimator.feature_names_in
    names[0], names[1] = names[1], names[0]


def _reverse_member_names(m: Any) -> None:
    names = m.estimator.feature_union.members[0].estimator.feature_names_in
    flipped = list(reversed(names))
    del names[:]
    names.extend(flipped)


def _unknown_column_kind(m: Any) -> None:
    m.input.columns[0].kind = 7  # not a ColumnKind


def invalid_files(
    models: dict[str, bytes], g: Any
) -> list[tuple[str, tuple[str, str, str, bytes]]]:
    """(base case, (name, code, description, bytes)): the rule of the names a composition
    passes on (spec/estimators.md section 1), once per composition body."""
    v = g.VERSION
    files = [
        (
            f"column_transformer_logistic-sk{v}",
            "pipeline_first_step_names_differ",
            "the pipeline's first step names column 0 'years', the pipeline 'age'",
            _rename_in_step,
        ),
        (
            f"column_transformer_weights-sk{v}",
            "column_transformer_branch_names_differ",
            "a branch reads columns age, hours; its scaler's feature_names_in are hours, age",
            _swap_branch_names,
        ),
        (
            f"feature_union-sk{v}",
            "feature_union_member_names_differ",
            "a FeatureUnion member's feature_names_in are the union's reversed",
            _reverse_member_names,
        ),
        (
            f"column_transformer_tabular-sk{v}",
            "input_column_kind_unknown",
            "input.columns[0].kind is 7, no ColumnKind (checked at the end of pass 1)",
            _unknown_column_kind,
        ),
    ]
    return g.e_model_files(models, files)
