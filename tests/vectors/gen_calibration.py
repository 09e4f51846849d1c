"""Corpus cases of CalibratedClassifierCV (spec/estimators.md section 22), imported by
generate.py: one set per scikit-learn version of CORPUS_VERSIONS.

The calibration's arithmetic is exact given its estimators' responses, but for the exp of a
sigmoid calibrator. So: isotonic calibration of exact responses (tree probabilities,
HistGradientBoosting decision values) is exact; a sigmoid calibrator carries the C
library's exp (`rtol = 1e-12`, `atol = 1e-15`) and, over a `LogisticRegression`'s decision
values, their Linear tolerance `atol_s` times its slope `|a| / 4`. The row normalization of
three or more classes divides by `d` (the row's sum): an error `e` of each value becomes at
most `e (K + 1) / d^2`. That bound, rounded up to a power of ten, is the case's `atol`;
labels are exact, and the generator refuses test rows whose top two probabilities are
within four times it."""

from __future__ import annotations

from typing import Any

import gen_compose as compose
import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder
from sklearn.tree import DecisionTreeClassifier

try:
    from sklearn.frozen import FrozenEstimator
except ImportError:  # scikit-learn < 1.6: cv="prefit"
    FrozenEstimator = None

_EXACT = {"exact": True}
#: A sigmoid calibrator's exp (scipy's expit calls the C library's).
_EXP_ATOL = 1e-15


def _inner(estimator: Any) -> Any:
    return (
        estimator.estimator
        if FrozenEstimator and isinstance(estimator, FrozenEstimator)
        else estimator
    )


def _response_error(g: Any, cc: Any, X: Any) -> float:
    """How far a reader's response of this calibrated classifier may be from
    scikit-learn's: 0 for trees and HistGradientBoosting, else (a LogisticRegression, or a
    pipeline ending in one) its decision values' Linear atol."""
    est = _inner(cc.estimator)
    last = est.steps[-1][1] if isinstance(est, Pipeline) else est
    if not hasattr(last, "coef_"):
        return 0.0
    return g._score_atol(est, X)


def calibration_methods(g: Any, est: Any, X: Any) -> dict[str, dict[str, Any]]:
    """The methods of a fitted CalibratedClassifierCV and how each is compared (see the
    module's doc)."""
    k = len(est.classes_)
    bound = 0.0
    for cc in est.calibrated_classifiers_:
        delta = _response_error(g, cc, X)
        if est.method == "isotonic":
            assert delta == 0.0, "isotonic calibration of a Linear score has no fixed bound"
            continue
        slope = max(abs(float(c.a_)) for c in cc.calibrators) / 4
        e = _EXP_ATOL + slope * delta
        if k > 2:
            d = _row_sums(cc, X)
            e = e * (k + 1) / float(d.min()) ** 2
        bound = max(bound, e)
    if bound == 0.0:
        return {"predict": dict(_EXACT), "predict_proba": dict(_EXACT)}
    spec = {"exact": False, "rtol": g.RTOL, "atol": g._pow10_ceil(bound)}
    p = np.sort(est.predict_proba(X), axis=1)
    margin = float((p[:, -1] - p[:, -2]).min())
    slack = 4 * (spec["atol"] + g.RTOL)
    if margin <= slack:
        raise SystemExit(f"a calibrated label is within {margin} of a tie (need > {slack})")
    return {"predict": dict(_EXACT), "predict_proba": spec}


def _row_sums(cc: Any, X: Any) -> np.ndarray:
    """The sums a calibrated classifier's rows are divided by (before the division)."""
    method = "decision_function" if hasattr(cc.estimator, "decision_function") else "predict_proba"
    r = np.asarray(getattr(cc.estimator, method)(X)).reshape(len(X), -1)
    return np.sum([c.predict(r[:, j]) for j, c in enumerate(cc.calibrators)], axis=0)


# ---------------------------------------------------------------------------- cases


def _forest() -> RandomForestClassifier:
    return RandomForestClassifier(n_estimators=6, max_depth=5, random_state=0)


def _sigmoid_binary_logistic(g: Any):
    X, y, test = g._xy_classes(g.SEED + 800, [0, 1])
    est = CalibratedClassifierCV(LogisticRegression(max_iter=1000), cv=3)
    return est.fit(X, y), X, y, test


def _isotonic_binary_forest(g: Any):
    X, y, test = g._xy_classes(g.SEED + 801, [-1, 1])
    est = CalibratedClassifierCV(_forest(), method="isotonic", cv=3)
    return est.fit(X, y), X, y, test


def _isotonic_multiclass_hgb(g: Any):
    X, y, test = g._xy_classes(g.SEED + 802, [0, 1, 2])
    hgb = HistGradientBoostingClassifier(max_iter=10, max_depth=3, random_state=0)
    est = CalibratedClassifierCV(hgb, method="isotonic", cv=3, ensemble=True)
    return est.fit(X, y), X, y, test


def _sigmoid_multiclass_strings(g: Any):
    X, y, test = g._xy_classes(g.SEED + 803, ["ant", "bee", "cat", "émeu"])
    est = CalibratedClassifierCV(_forest(), cv=3, ensemble=False)
    return est.fit(X, y), X, y, test


def _given_fitted(g: Any):
    """The estimator fitted on one half, calibrated on the other: a FrozenEstimator (1.6+) or
    cv="prefit" (before)."""
    X, y, test = g._xy_classes(g.SEED + 804, [0, 1, 2])
    half = len(X) // 2
    forest = _forest().fit(X[:half], y[:half])
    if FrozenEstimator is not None:
        est = CalibratedClassifierCV(FrozenEstimator(forest), method="isotonic")
    else:
        est = CalibratedClassifierCV(forest, method="isotonic", cv="prefit")
    return est.fit(X[half:], y[half:]), X, y, test


def _tabular(seed: int):
    X = compose._tabular_frame(seed, compose.N_TRAIN)
    logit = (X["age"] - 50) / 20 + X["member"] * 0.8 + (X["region"] == "region 00") * 0.7
    y = (logit + np.random.RandomState(seed + 1).normal(0, 0.5, len(X)) > 0).astype(np.int64)
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
    tree = DecisionTreeClassifier(max_depth=5, random_state=0)
    est = CalibratedClassifierCV(
        Pipeline([("ct", features), ("tree", tree)]), method="isotonic", cv=3
    )
    return est.fit(X, y), X, y, compose._tabular_frame(seed + 2, compose.N_TEST, unseen=True)


def cases(version: str, g: Any) -> list[Any]:
    """This family's cases for `version`; `g` is the generator module (its Case, helpers)."""

    def _case(name: str, description: str, build, feature_names: bool = False) -> Any:
        return g.Case(
            f"{name}-sk{version}",
            description,
            build,
            feature_names=feature_names,
            methods=lambda est, X: calibration_methods(g, est, X),
        )

    given = "FrozenEstimator" if FrozenEstimator is not None else "cv='prefit'"
    return [
        _case(
            "calibration_sigmoid_binary_logistic",
            "CalibratedClassifierCV(LogisticRegression, cv=3): three sigmoid-calibrated "
            "classifiers over decision values; Linear's tolerance through the sigmoid",
            lambda: _sigmoid_binary_logistic(g),
        ),
        _case(
            "calibration_isotonic_binary_forest",
            "CalibratedClassifierCV(RandomForestClassifier, method='isotonic', cv=3): labels "
            "-1, 1; the forest's probabilities (column 1) through np.interp; exact",
            lambda: _isotonic_binary_forest(g),
        ),
        _case(
            "calibration_isotonic_multiclass_hgb",
            "CalibratedClassifierCV(HistGradientBoostingClassifier, method='isotonic', cv=3, "
            "ensemble=True): three classes, decision values per class, rows normalized; exact",
            lambda: _isotonic_multiclass_hgb(g),
        ),
        _case(
            "calibration_sigmoid_multiclass_strings",
            "CalibratedClassifierCV(RandomForestClassifier, cv=3, ensemble=False): string "
            "labels, four classes, sigmoid over the probabilities, rows normalized",
            lambda: _sigmoid_multiclass_strings(g),
        ),
        _case(
            "calibration_given_fitted",
            f"CalibratedClassifierCV({given}) of a forest fitted on the other half, "
            "method='isotonic': one calibrated classifier; exact",
            lambda: _given_fitted(g),
        ),
        _case(
            "calibration_tabular",
            "CalibratedClassifierCV of a pipeline over strings with missing values: a "
            "ColumnTransformer (imputed one-hot, imputed numbers) + a tree, "
            "method='isotonic', cv=3; input.csv only; exact",
            lambda: _tabular(19),
            feature_names=True,
        ),
    ]


# ---------------------------------------------------------------------------- invalid files


def _body(m: Any) -> Any:
    return m.estimator.calibration


def _one_class(m: Any) -> None:
    _body(m).classes.ints.values[:] = [-1]


def _response_unspecified(m: Any) -> None:
    _body(m).classifiers[1].response = 0


def _class_indices_not_increasing(m: Any) -> None:
    _body(m).classifiers[0].class_indices[:] = [0, 2, 1]


def _sigmoid_b_nan(m: Any) -> None:
    _body(m).classifiers[2].calibrators[0].sigmoid.b = float("nan")


def _calibrator_missing(m: Any) -> None:
    del _body(m).classifiers[0].calibrators[-1]


def invalid_files(
    models: dict[str, bytes], g: Any
) -> list[tuple[str, tuple[str, str, str, bytes]]]:
    """(base case, (name, code, description, bytes)): Calibration rules 1 to 4."""
    v = g.VERSION
    files = [
        (
            f"calibration_isotonic_binary_forest-sk{v}",
            "calibration_one_class",
            "Calibration rule 1: classes has one entry",
            _one_class,
        ),
        (
            f"calibration_isotonic_binary_forest-sk{v}",
            "calibration_response_unspecified",
            "Calibration rule 2: classifiers[1].response is UNSPECIFIED",
            _response_unspecified,
        ),
        (
            f"calibration_isotonic_multiclass_hgb-sk{v}",
            "calibration_class_indices_not_increasing",
            "Calibration rule 3: classifiers[0].class_indices are 0, 2, 1",
            _class_indices_not_increasing,
        ),
        (
            f"calibration_isotonic_multiclass_hgb-sk{v}",
            "calibration_calibrator_missing",
            "Calibration rule 3: classifiers[0] has two calibrators for three response columns",
            _calibrator_missing,
        ),
        (
            f"calibration_sigmoid_binary_logistic-sk{v}",
            "calibration_sigmoid_nan",
            "Calibration rule 4: classifiers[2].calibrators[0].sigmoid.b is NaN",
            _sigmoid_b_nan,
        ),
    ]
    return g.e_model_files(models, files)
