"""Corpus cases of MultiOutputClassifier, MultiOutputRegressor, ClassifierChain and
RegressorChain (spec/estimators.md section 24), imported by generate.py: one set per
scikit-learn version of CORPUS_VERSIONS.

A MultiOutput*'s outputs are its members' side by side: each output is compared as the
generator compares its member alone (trees and boosting exactly, Linear within its
tolerance, labels exactly with their margins checked), the loosest member's tolerance for
the whole array. A chain member also reads the earlier members' outputs: the cases chain
exact outputs (labels with checked margins, tree probabilities, boosting decision values),
so each member's input is the same in every reader and its outputs compare as it alone on
that input; a RegressorChain of Ridge members carries each member's error into the next
ones' inputs, bounded here (`|coef|` of the chained columns times the earlier errors).
"""

from __future__ import annotations

from typing import Any

import gen_compose as compose
import gen_voting as voting
import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.multioutput import (
    ClassifierChain,
    MultiOutputClassifier,
    MultiOutputRegressor,
    RegressorChain,
)
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

_EXACT = {"exact": True}
_METHODS = ("predict", "predict_proba", "decision_function")


def _chained_inputs(est: Any, X: Any) -> list[np.ndarray]:
    """Each chain member's input, as `_BaseChain._get_predictions` builds it: the input and
    the earlier members' chain-method responses (`chain_method_`, predict before 1.5)."""
    X = np.asarray(X, dtype=np.float64)
    method = getattr(est, "chain_method_", "predict")
    features = np.zeros((len(X), len(est.estimators_)))
    out = []
    for i, member in enumerate(est.estimators_):
        x = np.hstack((X, features[:, :i]))
        out.append(x)
        if method == "predict":
            features[:, i] = member.predict(x)
        else:
            from sklearn.utils._response import _get_response_values

            features[:, i] = _get_response_values(member, x, response_method=method)[0]
    return out


def _exact_chain(est: Any, specs: list[dict[str, dict[str, Any]]]) -> None:
    """The chained responses must be compared exactly (see the module's doc)."""
    method = getattr(est, "chain_method_", "predict")
    method = "predict_proba" if method == "predict_log_proba" else method
    for i, s in enumerate(specs[:-1]):
        if not s[method]["exact"]:
            raise SystemExit(f"chain member {i}'s {method} is not exact: the next members' input")


def _regressor_chain_bound(g: Any, est: Any, inputs: list[np.ndarray]) -> dict[str, Any]:
    """A RegressorChain of Linear members: member i's prediction may be off by its own
    Linear tolerance plus |w| of each chained column times that column's error."""
    n = inputs[0].shape[1]
    errors: list[float] = []
    for i, (member, x) in enumerate(zip(est.estimators_, inputs)):
        lin, _ = g._linear_step(member)
        own = g._score_atol(member, x) + g.RTOL * float(np.abs(member.predict(x)).max())
        chained = np.abs(np.atleast_1d(lin.coef_)[n : n + i])
        errors.append(own + float(np.dot(chained, errors)))
    return {"exact": False, "rtol": g.RTOL, "atol": g._pow10_ceil(max(errors))}


def multi_output_methods(g: Any, est: Any, X: Any) -> dict[str, dict[str, Any]]:
    """The methods of a fitted MultiOutput* or chain and how each is compared (see the
    module's doc)."""
    chain = isinstance(est, (ClassifierChain, RegressorChain))
    inputs = _chained_inputs(est, X) if chain else [X] * len(est.estimators_)
    specs = [voting._member_methods(g, m, x) for m, x in zip(est.estimators_, inputs)]
    if isinstance(est, RegressorChain) and not all(s["predict"]["exact"] for s in specs):
        return {"predict": _regressor_chain_bound(g, est, inputs)}
    if chain:
        _exact_chain(est, specs)
    return {
        method: voting._side_by_side([s[method] for s in specs])
        for method in _METHODS
        if hasattr(est, method)
    }


# ---------------------------------------------------------------------------- data


def _xy_outputs(g: Any, seed: int, labels: list[list[Any]]):
    """Moderate features and one column of labels per entry of `labels` (each the argmax
    of noisy linear scores, as the generator's `_xy_classes`); an object array when some
    output's labels are strings (a DataFrame of targets gives that)."""
    train, test = g._data(seed, wide=False)
    rng = np.random.RandomState(seed + 2)
    z = (train - train.mean(axis=0)) / train.std(axis=0)
    columns = []
    for values in labels:
        w = rng.randn(train.shape[1], len(values))
        idx = np.argmax(z @ w + 0.8 * rng.randn(len(train), len(values)), axis=1)
        columns.append(np.asarray(values, dtype=object)[idx])
    Y = np.stack(columns, axis=1)
    if not any(isinstance(v, str) for values in labels for v in values):
        Y = Y.astype(np.int64)
    return train, Y, test


def _forest(**kw: Any) -> RandomForestClassifier:
    return RandomForestClassifier(n_estimators=5, max_depth=5, random_state=0, **kw)


# ---------------------------------------------------------------------------- cases


def _regressor_ridge(g: Any):
    X, y, test = g._xy_regression(g.SEED + 1000, n_targets=3)
    return MultiOutputRegressor(Ridge(alpha=0.5)).fit(X, y), X, y, test


def _regressor_boosting(g: Any, hist: bool):
    X, y, test = g._xy_regression(g.SEED + 1001, n_targets=2, frame=True)
    member = (
        HistGradientBoostingRegressor(max_iter=15, random_state=0)
        if hist
        else GradientBoostingRegressor(n_estimators=12, max_depth=3, random_state=0)
    )
    return MultiOutputRegressor(member).fit(X, y), X, y, test


def _classifier_logistic(g: Any):
    X, Y, test = _xy_outputs(g, g.SEED + 1002, [[0, 1], [-1, 3, 7], [2, 5]])
    return MultiOutputClassifier(LogisticRegression(max_iter=1000)).fit(X, Y), X, Y, test


def _classifier_forest_strings(g: Any):
    X, Y, test = _xy_outputs(g, g.SEED + 1003, [["no", "yes"], ["ant", "bee", "émeu"]])
    return MultiOutputClassifier(_forest()).fit(X, Y), X, Y, test


def _classifier_tabular(g: Any):
    """Members that are pipelines over strings with missing values (a ColumnTransformer of
    an imputed one-hot encoding and imputed numbers, then a tree); the test rows hold unseen
    categories. Input CSV only."""
    X = compose._tabular_frame(g.SEED + 1004, compose.N_TRAIN)
    z = (X["age"] - 50) / 20 + X["member"] * 0.8 + (X["region"] == "region 00") * 0.7
    noise = np.random.RandomState(g.SEED + 1005).normal(0, 0.5, (len(X), 2))
    Y = np.stack(
        [
            np.where(z + noise[:, 0] > 0, "keep", "churn"),
            np.where(X["plan"] == "plan 00", "basic", "pro"),
        ],
        axis=1,
    ).astype(object)
    Y[(z + noise[:, 1]).to_numpy() > 1.2, 1] = "premium"
    onehot = Pipeline(
        [
            ("impute", SimpleImputer(strategy="constant", fill_value="?")),
            ("onehot", OneHotEncoder(handle_unknown="ignore")),
        ]
    )
    features = ColumnTransformer(
        [
            ("cat", onehot, list(compose.CATEGORIES)),
            ("num", SimpleImputer(strategy="median"), ["age", "hours"]),
        ]
    )
    member = Pipeline(
        [("ct", features), ("tree", DecisionTreeClassifier(max_depth=5, random_state=0))]
    )
    est = MultiOutputClassifier(member).fit(X, Y)
    return est, X, Y, compose._tabular_frame(g.SEED + 1006, compose.N_TEST, unseen=True)


def _classifier_chain_logistic(g: Any):
    X, Y, test = _xy_outputs(g, g.SEED + 1007, [[0, 1], [0, 1], [0, 1]])
    est = ClassifierChain(LogisticRegression(max_iter=1000), order="random", random_state=2)
    return est.fit(X, Y), X, Y, test


def _classifier_chain_tree_cv(g: Any):
    X, Y, test = _xy_outputs(g, g.SEED + 1008, [[0, 1], [-1, 1], [0, 1]])
    est = ClassifierChain(
        DecisionTreeClassifier(max_depth=5, random_state=0), order=[2, 0, 1], cv=3
    )
    return est.fit(X, Y), X, Y, test


def _classifier_chain_forest_proba(g: Any):
    X, Y, test = _xy_outputs(g, g.SEED + 1009, [[0, 1], [0, 1], [0, 1]])
    est = ClassifierChain(_forest(), order=[1, 2, 0], chain_method="predict_proba")
    return est.fit(X, Y), X, Y, test


def _classifier_chain_hgb_decision(g: Any):
    X, Y, test = _xy_outputs(g, g.SEED + 1010, [[0, 1], [0, 1]])
    hgb = HistGradientBoostingClassifier(max_iter=10, random_state=0)
    est = ClassifierChain(hgb, chain_method="decision_function")
    return est.fit(X, Y), X, Y, test


def _regressor_chain(g: Any, tree: bool):
    X, y, test = g._xy_regression(g.SEED + 1011, n_targets=3)
    member = DecisionTreeRegressor(max_depth=6, random_state=0) if tree else Ridge(alpha=1.0)
    return RegressorChain(member, order=(1, 2, 0)).fit(X, y), X, y, test


def cases(version: str, g: Any) -> list[Any]:
    """This family's cases for `version`; `g` is the generator module (its Case, helpers)."""

    def _case(name: str, description: str, build, feature_names: bool = False) -> Any:
        return g.Case(
            f"{name}-sk{version}",
            description,
            build,
            feature_names=feature_names,
            methods=lambda est, X: multi_output_methods(g, est, X),
        )

    out = [
        _case(
            "multi_output_regressor_ridge",
            "MultiOutputRegressor(Ridge), three targets: predict [n, 3], each column a Ridge's "
            "prediction; Linear's tolerance",
            lambda: _regressor_ridge(g),
        ),
        _case(
            "multi_output_regressor_gradient_boosting",
            "MultiOutputRegressor(GradientBoostingRegressor) fitted on a DataFrame, two "
            "targets: input.csv; exact",
            lambda: _regressor_boosting(g, hist=False),
            feature_names=True,
        ),
        _case(
            "multi_output_regressor_hist_gradient_boosting",
            "MultiOutputRegressor(HistGradientBoostingRegressor) fitted on a DataFrame, two "
            "targets; exact",
            lambda: _regressor_boosting(g, hist=True),
            feature_names=True,
        ),
        _case(
            "multi_output_classifier_logistic",
            "MultiOutputClassifier(LogisticRegression): int labels, outputs of 2, 3 and 2 "
            "classes; predict i64 [n, 3], predict_proba one file per output",
            lambda: _classifier_logistic(g),
        ),
        _case(
            "multi_output_classifier_forest_strings",
            "MultiOutputClassifier(RandomForestClassifier): string labels (one non-ASCII), "
            "predict a nested JSON [n, 2] of strings, predict_proba one file per output; exact",
            lambda: _classifier_forest_strings(g),
        ),
        _case(
            "multi_output_classifier_tabular",
            "MultiOutputClassifier of pipelines over strings with missing values "
            "(ColumnTransformer: imputed one-hot, imputed numbers; then a tree), string "
            "labels; input.csv only; exact",
            lambda: _classifier_tabular(g),
        ),
        _case(
            "classifier_chain_logistic",
            "ClassifierChain(LogisticRegression, order='random'): each member reads the input "
            "and the earlier members' labels; predict, predict_proba (column 1 of each "
            "member's), decision_function [n, 3]",
            lambda: _classifier_chain_logistic(g),
        ),
        _case(
            "classifier_chain_tree_cv",
            "ClassifierChain(DecisionTreeClassifier, order=[2, 0, 1], cv=3): members fitted "
            "on cross-validated labels, labels -1 and 1 in one output; exact",
            lambda: _classifier_chain_tree_cv(g),
        ),
        _case(
            "regressor_chain_ridge",
            "RegressorChain(Ridge, order=(1, 2, 0)): each member reads the earlier "
            "predictions; Linear's tolerance carried along the chain",
            lambda: _regressor_chain(g, tree=False),
        ),
        _case(
            "regressor_chain_tree",
            "RegressorChain(DecisionTreeRegressor, order=(1, 2, 0)): trees reading the "
            "earlier trees' predictions; exact",
            lambda: _regressor_chain(g, tree=True),
        ),
    ]
    if g._at_least(version, (1, 5)):  # chain_method
        out += [
            _case(
                "classifier_chain_forest_predict_proba",
                "ClassifierChain(RandomForestClassifier, chain_method='predict_proba'): "
                "each member reads the earlier members' probabilities of class 1; exact",
                lambda: _classifier_chain_forest_proba(g),
            ),
            _case(
                "classifier_chain_hist_gradient_boosting_decision",
                "ClassifierChain(HistGradientBoostingClassifier, "
                "chain_method='decision_function'): the earlier members' raw scores; exact",
                lambda: _classifier_chain_hgb_decision(g),
            ),
        ]
    return out


# ---------------------------------------------------------------------------- invalid files


def _body(m: Any) -> Any:
    return m.estimator.multi_output


def _no_member(m: Any) -> None:
    _body(m).ClearField("members")


def _kind_unspecified(m: Any) -> None:
    _body(m).kind = 0


def _order_repeated(m: Any) -> None:
    _body(m).order[:] = [1, 1, 0]


def _regressor_chain_proba(m: Any) -> None:
    _body(m).chain_method = 2  # CHAIN_METHOD_PREDICT_PROBA


def _member_width(m: Any) -> None:
    _body(m).members[2].n_features_in = 9


def invalid_files(
    models: dict[str, bytes], g: Any
) -> list[tuple[str, tuple[str, str, str, bytes]]]:
    """(base case, (name, code, description, bytes)): MultiOutput rules 1 to 3."""
    v = g.VERSION
    files = [
        (
            f"multi_output_regressor_ridge-sk{v}",
            "multi_output_no_member",
            "MultiOutput rule 1: no member",
            _no_member,
        ),
        (
            f"multi_output_classifier_logistic-sk{v}",
            "multi_output_kind_unspecified",
            "MultiOutput rule 1: kind is UNSPECIFIED",
            _kind_unspecified,
        ),
        (
            f"regressor_chain_tree-sk{v}",
            "multi_output_order_not_a_permutation",
            "MultiOutput rule 2: a chain's order is 1, 1, 0",
            _order_repeated,
        ),
        (
            f"regressor_chain_tree-sk{v}",
            "multi_output_regressor_chain_predict_proba",
            "MultiOutput rule 2: a RegressorChain's chain_method is PREDICT_PROBA",
            _regressor_chain_proba,
        ),
        (
            f"regressor_chain_tree-sk{v}",
            "multi_output_chain_member_width",
            "MultiOutput rule 3: chain member 2 reads 9 columns, not the input's 4 and the two "
            "earlier outputs",
            _member_width,
        ),
    ]
    return g.e_model_files(models, files)
