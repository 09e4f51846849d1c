"""Corpus cases of StackingClassifier and StackingRegressor (spec/estimators.md section 21),
imported by generate.py: one set per scikit-learn version of CORPUS_VERSIONS.

The final estimator's outputs are compared as the generator compares that estimator alone
on the stacked input (a tree exactly, Linear within its tolerance); `transform`, which copies
the members' outputs side by side, within the loosest member's tolerance (exact when every
member's is). A member compared within a tolerance (boosting probabilities, which go through
`exp`: spec/estimators.md section 7.4) is stacked only under a Linear final estimator, whose
tolerance is far wider than the members' (1e-15 against 1e-12 relative); the generator
refuses it under a tree, where a difference in the last bit of the input could move a split.
"""

from __future__ import annotations

from typing import Any

import gen_compose as compose
import gen_voting as voting
import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    ExtraTreesClassifier,
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    StackingClassifier,
    StackingRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler
from sklearn.tree import (
    DecisionTreeClassifier,
    DecisionTreeRegressor,
    ExtraTreeClassifier,
    ExtraTreeRegressor,
)

_EXACT = {"exact": True}


def stacking_methods(g: Any, est: Any, X: Any) -> dict[str, dict[str, Any]]:
    """The methods of a fitted Stacking and how each is compared (see the module's doc)."""
    specs = []
    for member, method in zip(est.estimators_, est.stack_method_):
        spec = voting._member_methods(g, member, X)[method]
        if not spec["exact"] and not hasattr(est.final_estimator_, "coef_"):
            raise SystemExit(
                f"member {type(member).__name__}'s {method} is compared within a tolerance: "
                "the final estimator's input would not be exact"
            )
        specs.append(spec)
    T = est.transform(X)
    final = g._methods(est.final_estimator_, T)
    out = {"predict": final["predict"], "transform": voting._side_by_side(specs)}
    for method in ("predict_proba", "decision_function"):
        if hasattr(est, method):
            out[method] = final[method]
    return out


# ---------------------------------------------------------------------------- cases


def _lr_pipeline() -> Pipeline:
    return Pipeline([("scale", StandardScaler()), ("lr", LogisticRegression(max_iter=1000))])


def _binary_passthrough(g: Any):
    X, y, test = g._xy_classes(g.SEED + 800, ["neg", "pos"])
    est = StackingClassifier(
        [
            ("tree", DecisionTreeClassifier(max_depth=5, random_state=0)),
            ("off", "drop"),
            ("hgb", HistGradientBoostingClassifier(max_iter=15, random_state=0)),
            ("forest", RandomForestClassifier(n_estimators=6, max_depth=5, random_state=1)),
        ],
        final_estimator=LogisticRegression(),
        passthrough=True,
    )
    return est.fit(X, y), X, y, test


def _multiclass_decision(g: Any):
    X, y, test = g._xy_classes(g.SEED + 801, [0, 1, 2])
    est = StackingClassifier(
        [
            ("hgb", HistGradientBoostingClassifier(max_iter=12, random_state=0)),
            ("gb", GradientBoostingClassifier(n_estimators=8, max_depth=2, random_state=0)),
        ],
        final_estimator=LogisticRegression(max_iter=1000),
        stack_method="decision_function",
    )
    return est.fit(X, y), X, y, test


def _predict_ints(g: Any):
    X, y, test = g._xy_classes(g.SEED + 802, [-1, 3, 7])
    est = StackingClassifier(
        [
            ("lr", _lr_pipeline()),
            ("tree", DecisionTreeClassifier(max_depth=4, random_state=0)),
            ("extra", ExtraTreeClassifier(random_state=2)),
            ("forest", RandomForestClassifier(n_estimators=5, max_depth=4, random_state=0)),
        ],
        final_estimator=DecisionTreeClassifier(max_depth=5, random_state=1),
        stack_method="predict",
    )
    return est.fit(X, y), X, y, test


def _regressor(g: Any):
    X, y, test = g._xy_regression(g.SEED + 803, frame=True)
    est = StackingRegressor(
        [
            ("tree", DecisionTreeRegressor(max_depth=6, random_state=0)),
            ("off", "drop"),
            ("hgb", HistGradientBoostingRegressor(max_iter=15, random_state=0)),
            ("gb", GradientBoostingRegressor(n_estimators=10, max_depth=3, random_state=0)),
            ("extra", ExtraTreeRegressor(max_depth=6, random_state=3)),
        ],
        final_estimator=Ridge(),
        passthrough=True,
    )
    return est.fit(X, y), X, y, test


def _prefit_tree_final(g: Any):
    """cv="prefit": the members are fitted beforehand and keep their classes: a forest on
    the composition's string labels, a tree on labels of its own (two of them), a dropped
    member."""
    X, y, test = g._xy_classes(g.SEED + 804, ["ant", "bee", "cat"])
    other = np.where(X[:, 0] + X[:, 2] > 0, "p", "q")
    members = [
        ("forest", ExtraTreesClassifier(n_estimators=5, max_depth=6, random_state=0).fit(X, y)),
        ("pq", DecisionTreeClassifier(max_depth=4, random_state=0).fit(X, other)),
        ("off", "drop"),
    ]
    est = StackingClassifier(
        members,
        final_estimator=DecisionTreeClassifier(max_depth=6, random_state=2),
        cv="prefit",
    )
    return est.fit(X, y), X, y, test


def _ct(encoder: Any, numbers: list[str]) -> ColumnTransformer:
    categories = Pipeline(
        [("impute", SimpleImputer(strategy="constant", fill_value="?")), ("encode", encoder)]
    )
    return ColumnTransformer(
        [
            ("num", SimpleImputer(strategy="median"), numbers),
            ("cat", categories, list(compose.CATEGORIES)),
        ]
    )


def _tabular(seed: int):
    X = compose._tabular_frame(seed, compose.N_TRAIN)
    logit = (X["age"] - 50) / 20 + X["member"] * 0.8 + (X["region"] == "region 00") * 0.7
    y = (logit + np.random.RandomState(seed + 1).normal(0, 0.5, len(X)) > 0).astype(np.int64)
    onehot = Pipeline(
        [
            ("ct", _ct(OneHotEncoder(handle_unknown="ignore"), ["age", "hours", "balance"])),
            ("tree", DecisionTreeClassifier(max_depth=5, random_state=0)),
        ]
    )
    ordinal = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)
    boosted = Pipeline(
        [
            ("ct", _ct(ordinal, ["age", "income"])),
            ("hgb", HistGradientBoostingClassifier(max_iter=12, random_state=0)),
        ]
    )
    est = StackingClassifier(
        [("onehot", onehot), ("boosted", boosted)], final_estimator=LogisticRegression()
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
            methods=lambda est, X: stacking_methods(g, est, X),
        )

    return [
        _case(
            "stacking_binary_passthrough",
            "StackingClassifier of a tree, a dropped member, HistGradientBoosting and a forest, "
            "each stacked with predict_proba without its first column (two classes), then the "
            "input (passthrough); LogisticRegression final; string labels",
            lambda: _binary_passthrough(g),
        ),
        _case(
            "stacking_multiclass_decision",
            "StackingClassifier(stack_method='decision_function') of HistGradientBoosting and "
            "GradientBoosting, three classes: [n, 3] raw scores each; LogisticRegression final",
            lambda: _multiclass_decision(g),
        ),
        _case(
            "stacking_predict_ints",
            "StackingClassifier(stack_method='predict') of a scaler + LogisticRegression "
            "pipeline, two trees and a forest: transform is the members' class indices, int64; "
            "a tree final; labels -1, 3, 7",
            lambda: _predict_ints(g),
        ),
        _case(
            "stacking_regressor_passthrough",
            "StackingRegressor of a tree, a dropped member, HistGradientBoosting, "
            "GradientBoosting and an extra tree, then the input (passthrough); Ridge final; "
            "fitted on a DataFrame",
            lambda: _regressor(g),
            feature_names=True,
        ),
        _case(
            "stacking_prefit_tree_final",
            "StackingClassifier(cv='prefit'): extra trees on the string labels, a tree on two "
            "labels of its own, a dropped member; a tree final; exact",
            lambda: _prefit_tree_final(g),
        ),
        _case(
            "stacking_tabular",
            "StackingClassifier of two pipelines over strings with missing values: imputed "
            "one-hot + a tree, imputed ordinal (unknown -1) + HistGradientBoosting; "
            "LogisticRegression final; input.csv only",
            lambda: _tabular(19),
            feature_names=True,
        ),
    ]


# ---------------------------------------------------------------------------- invalid files


def _stacking(m: Any) -> Any:
    return m.estimator.stacking


def _tree_decision_function(m: Any) -> None:
    _stacking(m).members[1].method = 3  # STACK_METHOD_DECISION_FUNCTION: a tree has none


def _string_labels_predicted(m: Any) -> None:
    _stacking(m).members[1].method = 1  # STACK_METHOD_PREDICT: its classes are "p", "q"


def _regressor_member_proba(m: Any) -> None:
    _stacking(m).members[0].method = 2  # STACK_METHOD_PREDICT_PROBA


def _member_width(m: Any) -> None:
    _stacking(m).members[2].estimator.n_features_in = 5  # the extra tree; the input has 4


def _passthrough_cleared(m: Any) -> None:
    _stacking(m).passthrough = False


def _final_classes_not_indices(m: Any) -> None:
    tree = _stacking(m).final_estimator.tree_ensemble
    tree.classes[0].ints.values[:] = [1, 2, 3]


def invalid_files(
    models: dict[str, bytes], g: Any
) -> list[tuple[str, tuple[str, str, str, bytes]]]:
    """(base case, (name, code, description, bytes)): Stacking rules 1 to 5."""
    v = g.VERSION
    files = [
        (
            f"stacking_predict_ints-sk{v}",
            "stacking_member_without_its_method",
            "Stacking rule 1: the tree member is stacked with decision_function, which a tree "
            "does not have",
            _tree_decision_function,
        ),
        (
            f"stacking_predict_ints-sk{v}",
            "stacking_member_reads_another_width",
            "Stacking rule 2: a member's n_features_in is 5, and the composition reads 4 columns",
            _member_width,
        ),
        (
            f"stacking_prefit_tree_final-sk{v}",
            "stacking_member_predicts_strings",
            "Stacking rule 3: a member whose classes are strings is stacked with predict",
            _string_labels_predicted,
        ),
        (
            f"stacking_regressor_passthrough-sk{v}",
            "stacking_regressor_member_predict_proba",
            "Stacking rule 4: a regressor's member stacked with predict_proba",
            _regressor_member_proba,
        ),
        (
            f"stacking_binary_passthrough-sk{v}",
            "stacking_final_estimator_width",
            "Stacking rule 5: passthrough cleared, so the final estimator reads 4 columns more "
            "than the members' outputs",
            _passthrough_cleared,
        ),
        (
            f"stacking_predict_ints-sk{v}",
            "stacking_final_classes_not_indices",
            "Stacking rule 5: the final tree's classes are 1, 2, 3, not the class indices 0, 1, 2",
            _final_classes_not_indices,
        ),
    ]
    return g.e_model_files(models, files)
