"""Corpus cases of BaggingClassifier, BaggingRegressor (spec/estimators.md section 28),
AdaBoostClassifier and AdaBoostRegressor (section 29), imported by generate.py: one set per
scikit-learn version of CORPUS_VERSIONS (SAMME.R, 1.3.2's default, from 1.3.2 only).

A bagging's outputs are means of its members' outputs on their columns: exact given them
(trees bit for bit); over a Linear member, the members' own tolerance (their mean is within
the largest), labels exact away from a tie of the top two probabilities. An AdaBoost's
SAMME decision values and labels are exact given its members' labels (each member's margin
checked when it is a Linear); its probabilities go through an exp (`rtol = 1e-12`,
`atol = 1e-15`); SAMME.R's decision values through a log (`atol = 1e-12`: its terms reach
`(K - 1) * 36`), labels exact away from a tie; the weighted median is exact given the
members' predictions."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.ensemble import (
    AdaBoostClassifier,
    AdaBoostRegressor,
    BaggingClassifier,
    BaggingRegressor,
    VotingClassifier,
)
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

_EXACT = {"exact": True}
#: An exp (spec/estimators.md section 29, Exactness).
_EXP = {"exact": False, "rtol": 1e-12, "atol": 1e-15}
#: SAMME.R's log terms, (K - 1) * ln(p) with ln(eps) = -36: about 1e-13 absolute.
_LOG_ATOL = 1e-12


def _tol(spec: dict[str, Any]) -> tuple[float, float]:
    return (0.0, 0.0) if spec["exact"] else (float(spec["rtol"]), float(spec["atol"]))


def _loosest(g: Any, specs: list[dict[str, Any]]) -> dict[str, Any]:
    """A mean of values each within its member's tolerance: within the loosest."""
    tols = [_tol(s) for s in specs]
    if all(t == (0.0, 0.0) for t in tols):
        return dict(_EXACT)
    return {"exact": False, "rtol": g.RTOL, "atol": max(a for _, a in tols)}


def _check_margin(g: Any, scores: np.ndarray, spec: dict[str, Any], what: str) -> None:
    """Labels are compared exactly: refuse test rows whose top two scores nearly tie."""
    if spec["exact"]:
        return
    if scores.ndim == 1:
        margin = float(np.abs(scores).min())
    else:
        top = np.sort(scores, axis=1)
        margin = float((top[:, -1] - top[:, -2]).min()) if scores.shape[1] > 1 else np.inf
    slack = 4 * (spec["atol"] + g.RTOL * float(np.abs(scores).max()))
    if margin <= slack:
        raise SystemExit(f"{what}: a label is within {margin} of a tie (need > {slack})")


def _last(est: Any) -> Any:
    return est.steps[-1][1] if isinstance(est, Pipeline) else est


def bagging_methods(g: Any, est: Any, X: Any) -> dict[str, dict[str, Any]]:
    """The methods of a fitted Bagging and how each is compared (see the module's doc)."""
    x = np.asarray(X, dtype=np.float64)
    specs = [
        g._methods(m, x[:, f]) if hasattr(_last(m), "coef_") else None
        for m, f in zip(est.estimators_, est.estimators_features_)
    ]
    specs = [s if s is not None else {"predict": _EXACT, "predict_proba": _EXACT} for s in specs]
    if isinstance(est, BaggingRegressor):
        return {"predict": _loosest(g, [s["predict"] for s in specs])}
    out = {"predict": dict(_EXACT)}
    proba = _loosest(g, [s.get("predict_proba", _EXACT) for s in specs])
    _check_margin(g, est.predict_proba(X), proba, "bagging")
    out["predict_proba"] = proba
    if hasattr(est, "decision_function"):
        out["decision_function"] = _loosest(g, [s["decision_function"] for s in specs])
    return out


def ada_boost_methods(g: Any, est: Any, X: Any) -> dict[str, dict[str, Any]]:
    """The methods of a fitted AdaBoost and how each is compared (see the module's doc)."""
    if isinstance(est, AdaBoostRegressor):
        return {"predict": dict(_EXACT)}
    for m in est.estimators_:
        if hasattr(m, "coef_"):
            g._methods(m, X)  # refuses a member label near its own tie
    if getattr(est, "algorithm", "SAMME") == "SAMME.R":
        decision = {"exact": False, "rtol": g.RTOL, "atol": _LOG_ATOL}
        _check_margin(g, est.decision_function(X), decision, "SAMME.R")
    else:
        decision = dict(_EXACT)
    return {"predict": dict(_EXACT), "predict_proba": dict(_EXP), "decision_function": decision}


# ---------------------------------------------------------------------------- cases


def _tree(depth: int = 5) -> DecisionTreeClassifier:
    return DecisionTreeClassifier(max_depth=depth, random_state=0)


def _bagging_trees(g: Any):
    """Every column (estimators_features_ the identity): the tree cases' threshold rows."""
    X, y, test = g._xy_classes(g.SEED + 1300, [0, 1, 2])
    est = BaggingClassifier(_tree(), n_estimators=8, random_state=0).fit(X, y)
    return est, X, y, g._tree_test(est, test)


def _bagging_features_strings(g: Any):
    X, y, test = g._xy_classes(g.SEED + 1301, ["ant", "bee", "cat", "émeu"])
    est = BaggingClassifier(
        _tree(), n_estimators=9, max_features=3, bootstrap_features=True, random_state=1
    )
    return est.fit(X, y), X, y, test


def _bagging_missing_classes(g: Any):
    """Six classes, twelve rows per member, members whose fit takes no sample_weight (a
    pipeline): each sees some of the classes only."""
    X, y, test = g._xy_classes(g.SEED + 1302, [0, 1, 2, 3, 4, 5])
    member = Pipeline([("scale", StandardScaler()), ("tree", _tree(4))])
    est = BaggingClassifier(member, n_estimators=10, max_samples=12, random_state=2).fit(X, y)
    assert any(len(m.classes_) < 6 for m in est.estimators_)
    return est, X, y, test


def _bagging_votes(g: Any):
    """Hard VotingClassifier members: no predict_proba, each votes for its label."""
    X, y, test = g._xy_classes(g.SEED + 1303, [-1, 3, 7])
    member = VotingClassifier([("a", _tree(3)), ("b", _tree(1))], voting="hard")
    est = BaggingClassifier(member, n_estimators=6, max_features=3, random_state=3)
    return est.fit(X, y), X, y, test


def _bagging_logistic(g: Any):
    X, y, test = g._xy_classes(g.SEED + 1304, [0, 1, 2])
    est = BaggingClassifier(
        LogisticRegression(max_iter=1000), n_estimators=5, max_features=3, random_state=4
    )
    return est.fit(X, y), X, y, test


def _bagging_dataframe(g: Any):
    X, y, test = g._xy_classes(g.SEED + 1305, [0, 1], frame=True)
    est = BaggingClassifier(_tree(4), n_estimators=5, max_features=0.75, random_state=5)
    return est.fit(X, y), X, y, test


def _bagging_regressor_trees(g: Any):
    X, y, test = g._xy_regression(g.SEED + 1306)
    est = BaggingRegressor(DecisionTreeRegressor(max_depth=6), n_estimators=7, random_state=6)
    return est.fit(X, y), X, y, test


def _bagging_regressor_ridge(g: Any):
    X, y, test = g._xy_regression(g.SEED + 1307)
    est = BaggingRegressor(
        Ridge(), n_estimators=6, max_features=2, bootstrap_features=True, random_state=7
    )
    return est.fit(X, y), X, y, test


def _ada(estimator: Any, algorithm: str = "SAMME", **kw: Any) -> AdaBoostClassifier:
    if "algorithm" in AdaBoostClassifier._get_param_names():
        kw["algorithm"] = algorithm
    return AdaBoostClassifier(estimator, random_state=0, **kw)


def _ada_stumps(g: Any):
    X, y, test = g._xy_classes(g.SEED + 1310, [0, 1, 2])
    return _ada(None, n_estimators=20).fit(X, y), X, y, test


def _ada_ten_classes(g: Any, algorithm: str):
    X, y, test = g._xy_classes(g.SEED + 1311, list(range(10)))
    est = _ada(_tree(3), algorithm, n_estimators=25)
    return est.fit(X, y), X, y, test


def _ada_binary_strings(g: Any, algorithm: str):
    X, y, test = g._xy_classes(g.SEED + 1312, ["no", "yes"])
    est = _ada(_tree(2), algorithm, n_estimators=12)
    return est.fit(X, y), X, y, test


def _ada_logistic(g: Any):
    X, y, test = g._xy_classes(g.SEED + 1313, [0, 1, 2])
    est = _ada(LogisticRegression(max_iter=1000), n_estimators=5)
    return est.fit(X, y), X, y, test


def _ada_dataframe(g: Any):
    X, y, test = g._xy_classes(g.SEED + 1314, [0, 1, 2], frame=True)
    return _ada(_tree(2), n_estimators=10).fit(X, y), X, y, test


def _ada_regressor(g: Any):
    X, y, test = g._xy_regression(g.SEED + 1315)
    return AdaBoostRegressor(n_estimators=20, random_state=0).fit(X, y), X, y, test


def _ada_regressor_ties(g: Any):
    """A target of four values and deep trees: pure leaves, so member predictions tie (numpy's
    argsort orders equal values its own way; the median is the same)."""
    X, y, test = g._xy_regression(g.SEED + 1316)
    y = np.digitize(y, np.quantile(y, [0.25, 0.5, 0.75])).astype(np.float64)
    est = AdaBoostRegressor(DecisionTreeRegressor(max_depth=6), n_estimators=40, random_state=1)
    est.fit(X, y)
    predictions = np.array([m.predict(test) for m in est.estimators_]).T
    assert all(len(np.unique(r)) < len(r) for r in predictions)
    return est, X, y, test


def cases(version: str, g: Any) -> list[Any]:
    """This family's cases for `version`; `g` is the generator module (its Case, helpers)."""

    def _case(name: str, description: str, build, methods, feature_names=False) -> Any:
        return g.Case(
            f"{name}-sk{version}",
            description,
            build,
            feature_names=feature_names,
            methods=lambda est, X: methods(g, est, X),
        )

    bag, ada = bagging_methods, ada_boost_methods
    out = [
        _case(
            "bagging_trees",
            "BaggingClassifier(DecisionTreeClassifier(max_depth=5), n_estimators=8): every "
            "column, three classes, threshold rows; exact",
            lambda: _bagging_trees(g),
            bag,
        ),
        _case(
            "bagging_bootstrap_features_strings",
            "BaggingClassifier(max_features=3, bootstrap_features=True): repeated columns, "
            "string labels; exact",
            lambda: _bagging_features_strings(g),
            bag,
        ),
        _case(
            "bagging_missing_classes",
            "BaggingClassifier(Pipeline(StandardScaler, tree), max_samples=12), six classes: "
            "members that saw some classes only add into their columns; exact",
            lambda: _bagging_missing_classes(g),
            bag,
        ),
        _case(
            "bagging_hard_voting_votes",
            "BaggingClassifier of hard VotingClassifiers (no predict_proba): each member "
            "votes for its label; labels -1, 3, 7; exact",
            lambda: _bagging_votes(g),
            bag,
        ),
        _case(
            "bagging_logistic",
            "BaggingClassifier(LogisticRegression, max_features=3): probabilities and "
            "decision values averaged; Linear's tolerance",
            lambda: _bagging_logistic(g),
            bag,
        ),
        _case(
            "bagging_dataframe",
            "BaggingClassifier fitted on a DataFrame (members on arrays, without names), "
            "max_features=0.75, two classes; exact",
            lambda: _bagging_dataframe(g),
            bag,
            feature_names=True,
        ),
        _case(
            "bagging_regressor_trees",
            "BaggingRegressor(DecisionTreeRegressor(max_depth=6)): the mean of the trees; exact",
            lambda: _bagging_regressor_trees(g),
            bag,
        ),
        _case(
            "bagging_regressor_ridge",
            "BaggingRegressor(Ridge, max_features=2, bootstrap_features=True); Linear's tolerance",
            lambda: _bagging_regressor_ridge(g),
            bag,
        ),
        _case(
            "ada_boost_samme_stumps",
            "AdaBoostClassifier(algorithm='SAMME') of the default stumps, three classes: "
            "decision values exact, probabilities through exp",
            lambda: _ada_stumps(g),
            ada,
        ),
        _case(
            "ada_boost_samme_ten_classes",
            "AdaBoostClassifier(SAMME, trees of depth 3), ten classes: numpy sums each row's "
            "exponentials left to right (the decision is F-ordered)",
            lambda: _ada_ten_classes(g, "SAMME"),
            ada,
        ),
        _case(
            "ada_boost_samme_binary_strings",
            "AdaBoostClassifier(SAMME), labels 'no' and 'yes': decision [n], probabilities "
            "the softmax of [-d/2, d/2]",
            lambda: _ada_binary_strings(g, "SAMME"),
            ada,
        ),
        _case(
            "ada_boost_samme_logistic",
            "AdaBoostClassifier(LogisticRegression, SAMME): the members' labels, weighted; "
            "exact decision values given the labels",
            lambda: _ada_logistic(g),
            ada,
        ),
        _case(
            "ada_boost_dataframe",
            "AdaBoostClassifier(SAMME) fitted on a DataFrame: members on arrays, without names",
            lambda: _ada_dataframe(g),
            ada,
            feature_names=True,
        ),
        _case(
            "ada_boost_regressor",
            "AdaBoostRegressor of the default trees (max_depth=3): the weighted median; exact",
            lambda: _ada_regressor(g),
            ada,
        ),
        _case(
            "ada_boost_regressor_ties",
            "AdaBoostRegressor over a four-valued target: tied member predictions in the "
            "weighted median; exact",
            lambda: _ada_regressor_ties(g),
            ada,
        ),
    ]
    if not g._at_least(version, (1, 6)):  # SAMME.R: 1.3.2's default, removed in 1.6
        out += [
            _case(
                "ada_boost_samme_r_ten_classes",
                "AdaBoostClassifier(algorithm='SAMME.R') (before 1.6), ten classes: the "
                "members' log-probabilities; exp and log tolerance",
                lambda: _ada_ten_classes(g, "SAMME.R"),
                ada,
            ),
            _case(
                "ada_boost_samme_r_binary_strings",
                "AdaBoostClassifier(algorithm='SAMME.R') (before 1.6), labels 'no' and 'yes'",
                lambda: _ada_binary_strings(g, "SAMME.R"),
                ada,
            ),
        ]
    return out


# ---------------------------------------------------------------------------- invalid files


def _bagging(m: Any) -> Any:
    return m.estimator.bagging


def _ada_boost(m: Any) -> Any:
    return m.estimator.ada_boost


def _no_member(m: Any) -> None:
    _bagging(m).ClearField("members")


def _feature_outside(m: Any) -> None:
    _bagging(m).members[1].features[0] = 4


def _class_dropped(m: Any) -> None:
    del _bagging(m).classes.ints.values[-1]


def _member_names(m: Any) -> None:
    _bagging(m).members[0].estimator.feature_names_in.extend(["a", "b", "c", "d"])


def _no_algorithm(m: Any) -> None:
    _ada_boost(m).algorithm = 0


def _weights_not_a_vector(m: Any) -> None:
    """The weights point at a member's node values, f64 [n_rows, 1, 3]."""
    _ada_boost(m).weights = _ada_boost(m).members[0].tree_ensemble.values


def _other_classes(m: Any) -> None:
    _ada_boost(m).classes.ints.values[2] = 9


def invalid_files(
    models: dict[str, bytes], g: Any
) -> list[tuple[str, tuple[str, str, str, bytes]]]:
    """(base case, (name, code, description, bytes)): Bagging rules 1-4, AdaBoost 1-3."""
    v = g.VERSION
    files = [
        (f"bagging_trees-sk{v}", "bagging_no_member", "Bagging rule 1: no member", _no_member),
        (
            f"bagging_trees-sk{v}",
            "bagging_feature_out_of_range",
            "Bagging rule 2: members[1].features[0] is 4, n_features_in is 4",
            _feature_outside,
        ),
        (
            f"bagging_trees-sk{v}",
            "bagging_member_feature_names",
            "Bagging rule 3: members[0]'s estimator has feature names (members read arrays)",
            _member_names,
        ),
        (
            f"bagging_trees-sk{v}",
            "bagging_member_class_out_of_range",
            "Bagging rule 4: two classes, and the members' classes are 0, 1, 2",
            _class_dropped,
        ),
        (
            f"ada_boost_samme_stumps-sk{v}",
            "ada_boost_classes_without_algorithm",
            "AdaBoost rule 1: classes, and the algorithm UNSPECIFIED",
            _no_algorithm,
        ),
        (
            f"ada_boost_samme_stumps-sk{v}",
            "ada_boost_weights_not_a_vector",
            "AdaBoost rule 2: the weights name an f64 [n_rows, 1, 3] tensor",
            _weights_not_a_vector,
        ),
        (
            f"ada_boost_samme_stumps-sk{v}",
            "ada_boost_member_classes_differ",
            "AdaBoost rule 3: classes 0, 1, 9, and the members' are 0, 1, 2",
            _other_classes,
        ),
    ]
    return g.e_model_files(models, files)
