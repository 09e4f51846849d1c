"""Corpus cases of VotingClassifier and VotingRegressor (spec/estimators.md section 20),
imported by generate.py: one set per scikit-learn version of CORPUS_VERSIONS.

A composition's outputs carry its members' tolerances: each member's methods are compared as
the generator compares that member alone (exact trees, Linear's tolerance, boosting's), and
the combination adds its own exact arithmetic (numpy's order, section 20). A weighted mean
of values each within `atol_m + rtol_m * |v|` is within `sum |w_m| (atol_m + rtol_m |v_m|) /
|sum w|`: that bound, rounded up to a power of ten, is the case's `atol`; labels are exact,
and the generator refuses test rows whose top two soft-vote probabilities are closer than
four times it."""

from __future__ import annotations

from typing import Any

import gen_compose as compose
import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    ExtraTreesClassifier,
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    VotingClassifier,
    VotingRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor, ExtraTreeRegressor

_EXACT = {"exact": True}


def _tol(spec: dict[str, Any]) -> tuple[float, float]:
    """(rtol, atol) of a method's comparison: (0, 0) when exact."""
    return (0.0, 0.0) if spec["exact"] else (float(spec["rtol"]), float(spec["atol"]))


def _member_methods(g: Any, est: Any, X: Any) -> dict[str, dict[str, Any]]:
    """How a member alone is compared: a Voting by this module's rule; a pipeline ending in
    a tree or boosting model as that model on the steps' output (the exact transformers:
    scalers, imputers, encoders, ColumnTransformer); anything else as the generator does."""
    if isinstance(est, (VotingClassifier, VotingRegressor)):
        return voting_methods(g, est, X)
    if isinstance(est, Pipeline) and not hasattr(est.steps[-1][1], "coef_"):
        return _member_methods(g, est.steps[-1][1], est[:-1].transform(X))
    return g._methods(est, X)


def _combined(g: Any, specs: list[dict[str, Any]], weights: np.ndarray, values: list) -> dict:
    """The tolerance of `sum_m w_m v_m / sum w` from the members' own (`values[m]`: their
    outputs, for the relative part)."""
    tols = [_tol(s) for s in specs]
    if all(t == (0.0, 0.0) for t in tols):
        return dict(_EXACT)
    bound = sum(
        abs(w) * (atol + rtol * np.abs(np.asarray(v, dtype=np.float64)))
        for w, (rtol, atol), v in zip(weights, tols, values)
    ) / abs(float(np.sum(weights)))
    return {"exact": False, "rtol": g.RTOL, "atol": g._pow10_ceil(float(np.max(bound)))}


def _side_by_side(specs: list[dict[str, Any]]) -> dict[str, Any]:
    """A transform that copies the members' outputs: the loosest member's tolerance."""
    tols = [_tol(s) for s in specs]
    if all(t == (0.0, 0.0) for t in tols):
        return dict(_EXACT)
    return {
        "exact": False,
        "rtol": max(r for r, _ in tols),
        "atol": max(a for _, a in tols),
    }


def voting_methods(g: Any, est: Any, X: Any) -> dict[str, dict[str, Any]]:
    """The methods of a fitted Voting and how each is compared (see the module's doc)."""
    members = list(est.estimators_)
    weights = est._weights_not_none
    w = np.ones(len(members)) if weights is None else np.asarray(weights, dtype=np.float64)
    specs = [_member_methods(g, m, X) for m in members]
    if isinstance(est, VotingRegressor):
        values = [m.predict(X) for m in members]
        predict = [s["predict"] for s in specs]
        return {"predict": _combined(g, predict, w, values), "transform": _side_by_side(predict)}
    if est.voting == "hard":
        for m, s in zip(members, specs):
            # the members' labels (their own margins checked) are counted exactly
            assert s["predict"]["exact"], type(m).__name__
        return {"predict": dict(_EXACT), "transform": dict(_EXACT)}
    proba = [s["predict_proba"] for s in specs]
    values = [m.predict_proba(X) for m in members]
    spec = _combined(g, proba, w, values)
    if not spec["exact"]:
        p = np.sort(est.predict_proba(X), axis=1)
        margin = float((p[:, -1] - p[:, -2]).min()) if p.shape[1] > 1 else np.inf
        slack = 4 * (spec["atol"] + g.RTOL)
        if margin <= slack:
            raise SystemExit(f"a soft-vote label is within {margin} of a tie (need > {slack})")
    return {"predict": dict(_EXACT), "predict_proba": spec, "transform": _side_by_side(proba)}


# ---------------------------------------------------------------------------- cases


def _lr_pipeline() -> Pipeline:
    return Pipeline([("scale", StandardScaler()), ("lr", LogisticRegression(max_iter=1000))])


def _hard_weighted(g: Any):
    X, y, test = g._xy_classes(g.SEED + 700, [-1, 3, 7])
    est = VotingClassifier(
        [
            ("lr", _lr_pipeline()),
            ("tree", DecisionTreeClassifier(max_depth=5, random_state=0)),
            ("off", "drop"),
            ("forest", RandomForestClassifier(n_estimators=7, max_depth=5, random_state=0)),
        ],
        # lr + tree against forest is 2 against 2: ties go to the first index
        weights=[1.0, 1.0, 9.0, 2.0],
    )
    return est.fit(X, y), X, y, test


def _soft_flatten(g: Any):
    X, y, test = g._xy_classes(g.SEED + 701, ["cat", "dog", "émeu"])
    est = VotingClassifier(
        [
            ("lr", LogisticRegression(max_iter=1000)),
            ("tree", DecisionTreeClassifier(max_depth=4, random_state=0)),
            ("hgb", HistGradientBoostingClassifier(max_iter=15, random_state=0)),
        ],
        voting="soft",
        weights=[2.0, -0.5, 1.5],
    )
    return est.fit(X, y), X, y, test


def _soft_noflatten(g: Any):
    X, y, test = g._xy_classes(g.SEED + 702, [0, 1, 2])
    est = VotingClassifier(
        [
            ("tree", DecisionTreeClassifier(max_depth=6, random_state=0)),
            ("forest", RandomForestClassifier(n_estimators=5, random_state=1)),
            ("extra", ExtraTreesClassifier(n_estimators=4, max_depth=5, random_state=2)),
        ],
        voting="soft",
        flatten_transform=False,
    )
    return est.fit(X, y), X, y, test


def _regressor_weighted(g: Any):
    X, y, test = g._xy_regression(g.SEED + 703)
    est = VotingRegressor(
        [
            ("lin", Pipeline([("scale", StandardScaler()), ("lin", LinearRegression())])),
            ("tree", DecisionTreeRegressor(max_depth=6, random_state=0)),
            ("off", "drop"),
            ("gb", GradientBoostingRegressor(n_estimators=15, max_depth=3, random_state=0)),
        ],
        weights=[0.5, 2.0, 1.0, 1.5],
    )
    return est.fit(X, y), X, y, test


def _regressor_dataframe(g: Any):
    X, y, test = g._xy_regression(g.SEED + 704, frame=True)
    est = VotingRegressor(
        [
            ("tree", DecisionTreeRegressor(max_depth=5, random_state=0)),
            ("hgb", HistGradientBoostingRegressor(max_iter=15, random_state=0)),
            (
                "inner",
                VotingRegressor(
                    [
                        ("extra", ExtraTreeRegressor(max_depth=6, random_state=3)),
                        ("stump", DecisionTreeRegressor(max_depth=1, random_state=0)),
                    ],
                    weights=[3.0, 1.0],
                ),
            ),
        ]
    )
    return est.fit(X, y), X, y, test


def _tabular(seed: int):
    X = compose._tabular_frame(seed, compose.N_TRAIN)
    logit = (X["age"] - 50) / 20 + X["member"] * 0.8 + (X["region"] == "region 00") * 0.7
    y = (logit + np.random.RandomState(seed + 1).normal(0, 0.5, len(X)) > 0).astype(np.int64)
    numbers = ["age", "hours", "income", "balance"]
    onehot = Pipeline(
        [
            (
                "ct",
                ColumnTransformer(
                    [
                        (
                            "num",
                            Pipeline(
                                [
                                    ("impute", SimpleImputer(strategy="median")),
                                    ("scale", StandardScaler()),
                                ]
                            ),
                            numbers,
                        ),
                        (
                            "cat",
                            Pipeline(
                                [
                                    ("impute", SimpleImputer(strategy="constant", fill_value="?")),
                                    ("onehot", OneHotEncoder(handle_unknown="ignore")),
                                ]
                            ),
                            list(compose.CATEGORIES),
                        ),
                        ("flag", "passthrough", ["member"]),
                    ]
                ),
            ),
            ("lr", LogisticRegression(max_iter=1000)),
        ]
    )
    ordinal = Pipeline(
        [
            (
                "ct",
                ColumnTransformer(
                    [
                        (
                            "cat",
                            Pipeline(
                                [
                                    ("impute", SimpleImputer(strategy="constant", fill_value="?")),
                                    (
                                        "ordinal",
                                        OrdinalEncoder(
                                            handle_unknown="use_encoded_value", unknown_value=-1
                                        ),
                                    ),
                                ]
                            ),
                            ["region", "city"],
                        ),
                        ("num", SimpleImputer(strategy="median"), ["age", "hours"]),
                    ]
                ),
            ),
            ("tree", DecisionTreeClassifier(max_depth=5, random_state=0)),
        ]
    )
    est = VotingClassifier(
        [("onehot", onehot), ("ordinal", ordinal)], voting="soft", weights=[1.0, 2.0]
    ).fit(X, y)
    return est, X, y, compose._tabular_frame(seed + 2, compose.N_TEST, unseen=True)


def cases(version: str, g: Any) -> list[Any]:
    """This family's cases for `version`; `g` is the generator module (its Case, _methods)."""

    def _case(name: str, description: str, build, feature_names: bool = False) -> Any:
        return g.Case(
            f"{name}-sk{version}",
            description,
            build,
            feature_names=feature_names,
            methods=lambda est, X: voting_methods(g, est, X),
        )

    return [
        _case(
            "voting_hard_weighted",
            "VotingClassifier(voting='hard'): a scaler + LogisticRegression pipeline, a tree, a "
            "dropped member, a forest; weights (ties go to the first index), labels -1, 3, 7",
            lambda: _hard_weighted(g),
        ),
        _case(
            "voting_soft_flatten",
            "VotingClassifier(voting='soft'): LogisticRegression, a tree (negative weight), "
            "HistGradientBoosting; string labels; transform [n, 3 * 3]",
            lambda: _soft_flatten(g),
        ),
        _case(
            "voting_soft_noflatten",
            "VotingClassifier(voting='soft', flatten_transform=False) of a tree and two "
            "forests: transform is [3, n, 3]; exact",
            lambda: _soft_noflatten(g),
        ),
        _case(
            "voting_regressor_weighted",
            "VotingRegressor: scaler + LinearRegression, a tree, a dropped member, "
            "GradientBoosting; weights",
            lambda: _regressor_weighted(g),
        ),
        _case(
            "voting_regressor_dataframe",
            "VotingRegressor of a tree, HistGradientBoosting and a weighted VotingRegressor, "
            "fitted on a DataFrame; exact",
            lambda: _regressor_dataframe(g),
            feature_names=True,
        ),
        _case(
            "voting_tabular",
            "VotingClassifier(voting='soft') of two pipelines over strings with missing "
            "values: ColumnTransformer (imputed one-hot, scaled numbers, a bool) + "
            "LogisticRegression, ColumnTransformer (imputed ordinal, unknown -1) + a tree; "
            "input.csv only",
            lambda: _tabular(18),
            feature_names=True,
        ),
    ]


# ---------------------------------------------------------------------------- invalid files


def _voting(m: Any) -> Any:
    return m.estimator.voting


def _weight_missing(m: Any) -> None:
    _voting(m).members[1].ClearField("weight")


def _classes_not_indices(m: Any) -> None:
    tree = _voting(m).members[1].estimator.tree_ensemble
    tree.classes[0].ints.values[:] = [1, 2, 3]


def _weights_sum_zero(m: Any) -> None:
    members = _voting(m).members
    members[0].weight.value, members[1].weight.value, members[2].weight.value = 1.0, 1.0, -2.0


def _regressor_with_classes(m: Any) -> None:
    _voting(m).classes.floats.values[:] = [0.0, 1.0]


def _every_member_dropped(m: Any) -> None:
    for member in _voting(m).members:
        member.ClearField("estimator")


def invalid_files(
    models: dict[str, bytes], g: Any
) -> list[tuple[str, tuple[str, str, str, bytes]]]:
    """(base case, (name, code, description, bytes)): Voting rules 1, 2, 3, 5 and 6."""
    v = g.VERSION
    files = [
        (
            f"voting_hard_weighted-sk{v}",
            "voting_weight_missing",
            "Voting rule 2: member 1 has no weight, the others have one",
            _weight_missing,
        ),
        (
            f"voting_hard_weighted-sk{v}",
            "voting_member_classes_not_indices",
            "Voting rule 5: the tree member's classes are 1, 2, 3, not the indices 0, 1, 2",
            _classes_not_indices,
        ),
        (
            f"voting_soft_flatten-sk{v}",
            "voting_soft_weights_sum_zero",
            "Voting rule 6: soft voting whose weights 1, 1, -2 sum to 0",
            _weights_sum_zero,
        ),
        (
            f"voting_regressor_weighted-sk{v}",
            "voting_regressor_with_classes",
            "Voting rule 3: a MEAN (regressor) body with classes",
            _regressor_with_classes,
        ),
        (
            f"voting_regressor_weighted-sk{v}",
            "voting_every_member_dropped",
            "Voting rule 1: every member is dropped",
            _every_member_dropped,
        ),
    ]
    return g.e_model_files(models, files)
