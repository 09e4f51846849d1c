"""Corpus cases of FunctionTransformer, TransformedTargetRegressor (spec/estimators.md
sections 25, 26) and FixedThresholdClassifier, TunedThresholdClassifierCV (section 27, from
scikit-learn 1.5: written by 1.9.1 only), imported by generate.py: one set per scikit-learn
version of CORPUS_VERSIONS.

Tolerances. A function of section 25's list is exact (the identity, sqrt, square,
reciprocal, negative, absolute) or the C library's (the logs, exponentials, cbrt, sinh,
arcsinh), stated as the spec's `rtol = 1e-12` with `atol = 0` (NaN and infinities equal). A
TransformedTarget inverts its regressor's predictions: an exact regressor (trees) through an
exact inverse (the scalers' IEEE operations, an exact function) is exact, through a
transcendental one within `rtol = 1e-12`; a regressor compared within a tolerance `e` (a
linear model: Linear's, section 3.1) moves each output by at most
`max |inv(p +- e) - inv(p)|`, which, rounded up to a power of ten, is the case's `atol`. A
threshold classifier's labels are exact: with a linear estimator the generator refuses test
rows whose score is within four times its tolerance of the threshold; its predict_proba and
decision_function are the estimator's, compared as the estimator alone is."""

from __future__ import annotations

from typing import Any

import gen_compose as compose
import gen_voting as voting
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    MinMaxScaler,
    OneHotEncoder,
    RobustScaler,
    StandardScaler,
)
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

try:  # scikit-learn 1.5+
    from sklearn.model_selection import FixedThresholdClassifier, TunedThresholdClassifierCV
except ImportError:  # 1.3.2: no threshold cases
    FixedThresholdClassifier = TunedThresholdClassifierCV = None

_EXACT = {"exact": True}
#: Section 25's tolerance for the C library's functions.
_LIBM = {"exact": False, "rtol": 1e-12, "atol": 0.0}
#: The functions of section 25 computed by the C library (the others are exact).
_TRANSCENDENTAL = {
    np.log,
    np.log1p,
    np.log2,
    np.log10,
    np.exp,
    np.expm1,
    np.exp2,
    np.cbrt,
    np.sinh,
    np.arcsinh,
}


def _inexact(transformer: Any) -> bool:
    """Whether a transformer's inverse (or transform) goes through the C library."""
    if isinstance(transformer, Pipeline):
        return any(_inexact(s) for _, s in transformer.steps if not isinstance(s, str))
    if isinstance(transformer, FunctionTransformer):
        return any(f in _TRANSCENDENTAL for f in (transformer.func, transformer.inverse_func))
    return False


# ---------------------------------------------------------------------------- methods


def function_methods(g: Any, est: Any, X: Any) -> dict[str, dict[str, Any]]:
    """A FunctionTransformer's transform: exact, or section 25's rtol."""
    return {"transform": dict(_LIBM if est.func in _TRANSCENDENTAL else _EXACT)}


def _pipeline_ridge_methods(g: Any, est: Any, X: Any) -> dict[str, dict[str, Any]]:
    """Pipeline(FunctionTransformer(f), Ridge): each term x_j' w_j has the function's
    relative error (1e-12) plus the sum's (Linear's 1e-12 of the largest sum of |terms|):
    twice that sum, rounded up to a power of ten."""
    z = est[:-1].transform(X)
    ridge = est.steps[-1][1]
    terms = np.abs(np.asarray(z)) @ np.abs(np.atleast_2d(ridge.coef_)).T + abs(ridge.intercept_)
    return {"predict": {"exact": False, "rtol": g.RTOL, "atol": g._pow10_ceil(2e-12 * terms.max())}}


def target_methods(g: Any, est: Any, X: Any) -> dict[str, dict[str, Any]]:
    """A TransformedTarget's predict (see the module's doc)."""
    reg = voting._member_methods(g, est.regressor_, X)["predict"]
    inexact = _inexact(est.transformer_)
    if reg["exact"]:
        return {"predict": dict(_LIBM if inexact else _EXACT)}
    p = np.asarray(est.regressor_.predict(X), dtype=np.float64).reshape(len(X), -1)
    e = float(reg["atol"]) + float(reg["rtol"]) * np.abs(p)
    inv = est.transformer_.inverse_transform
    moved = np.maximum(np.abs(inv(p + e) - inv(p)), np.abs(inv(p - e) - inv(p)))
    return {"predict": {"exact": False, "rtol": g.RTOL, "atol": g._pow10_ceil(float(moved.max()))}}


def threshold_methods(g: Any, est: Any, X: Any) -> dict[str, dict[str, Any]]:
    """A threshold classifier's methods: the estimator's predict_proba and
    decision_function as the estimator alone is compared; predict exact, refusing test rows
    whose score is within four times its tolerance of the threshold."""
    from sklearn.utils.validation import _check_response_method

    inner = est.estimator_
    own = voting._member_methods(g, inner, X)
    out = {m: dict(own[m]) for m in ("predict_proba", "decision_function") if m in own}
    method = _check_response_method(inner, est._get_response_method()).__name__
    spec = own[method]
    if not spec["exact"]:
        tuned = hasattr(est, "_curve_scorer")
        pos_label = est._curve_scorer._get_pos_label() if tuned else est.pos_label
        positive = 1 if pos_label is None else int(np.flatnonzero(est.classes_ == pos_label)[0])
        r = getattr(inner, method)(X)
        s = r[:, positive] if method == "predict_proba" else (r if positive == 1 else -r)
        if hasattr(est, "best_threshold_"):
            threshold = float(est.best_threshold_)
        else:
            threshold = _fixed_threshold(est, method)
        slack = 4 * (float(spec["atol"]) + float(spec["rtol"]) * np.abs(s))
        if np.any(np.abs(s - threshold) <= slack):
            raise SystemExit("a test row's score is within rounding of the threshold")
    return {"predict": dict(_EXACT), **out}


def _fixed_threshold(est: Any, method: str) -> float:
    if isinstance(est.threshold, str):
        return 0.5 if method == "predict_proba" else 0.0
    return float(est.threshold)


# ---------------------------------------------------------------------------- cases


def _positive_target(g: Any, seed: int, n_targets: int = 1):
    """A moderate input (g._data(wide=False)) and a positive target, for the logs."""
    train, test = g._data(seed, wide=False)
    rng = np.random.RandomState(seed + 1)
    w = rng.randn(g.N_FEATURES, n_targets) * 0.3
    y = np.exp(train @ w + 0.1 * rng.randn(len(train), n_targets)) + 0.5
    return train, (y[:, 0] if n_targets == 1 else y), test


def _function_log1p_validate(g: Any):
    train, test = g._data(g.SEED + 900, wide=False)
    est = FunctionTransformer(np.log1p, np.expm1, validate=True)
    return est.fit(np.abs(train)), train, None, test


def _function_sqrt(g: Any):
    """Negative inputs give NaN (C's sqrt), zeros keep their sign."""
    train, test = g._data(g.SEED + 901, wide=False)
    return FunctionTransformer(np.sqrt).fit(np.abs(train)), train, None, test


def _function_reciprocal_dataframe(g: Any):
    train, test = g._data(g.SEED + 902, wide=False)
    X = pd.DataFrame(train, columns=g.FEATURE_NAMES)
    return FunctionTransformer(np.reciprocal, validate=True).fit(X), X, None, test


def _pipeline_log1p_ridge(g: Any):
    train, y, test = _positive_target(g, g.SEED + 903)
    est = Pipeline([("log", FunctionTransformer(np.log1p)), ("ridge", Ridge(alpha=0.5))])
    return est.fit(np.abs(train), y), train, y, np.abs(test)


def _tree(seed: int = 0) -> DecisionTreeRegressor:
    return DecisionTreeRegressor(max_depth=5, random_state=seed)


def _target(g: Any, seed: int, n_targets: int = 1, **params: Any):
    train, y, test = _positive_target(g, seed, n_targets)
    return TransformedTargetRegressor(**params).fit(train, y), train, y, test


def _target_column(g: Any, seed: int):
    train, y, test = _positive_target(g, seed)
    # (Ridge fitted on a [n, 1] target keeps a 1-D coef_ beside a [1] intercept_ in
    # scikit-learn 1.9.1, which no Linear body holds; LinearRegression keeps [1, n] and [1].)
    est = TransformedTargetRegressor(LinearRegression(), func=np.log, inverse_func=np.exp)
    return est.fit(train, y[:, None]), train, y, test


def _target_tabular(seed: int):
    X = compose._tabular_frame(seed, compose.N_TRAIN)
    y = np.exp((X["age"].fillna(50) - 50) / 40 + X["member"] * 0.3) + 1.0
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
    est = TransformedTargetRegressor(
        Pipeline([("ct", features), ("tree", _tree())]), func=np.sqrt, inverse_func=np.square
    )
    return est.fit(X, y), X, y, compose._tabular_frame(seed + 2, compose.N_TEST, unseen=True)


def _binary(g: Any, seed: int, labels: list[Any]):
    return g._xy_classes(seed, labels)


def _fixed(g: Any, seed: int, labels: list[Any], **params: Any):
    X, y, test = _binary(g, seed, labels)
    return FixedThresholdClassifier(**params).fit(X, y), X, y, test


def _tuned(g: Any, seed: int, labels: list[Any], **params: Any):
    X, y, test = _binary(g, seed, labels)
    return TunedThresholdClassifierCV(**params).fit(X, y), X, y, test


def _hgb() -> HistGradientBoostingClassifier:
    return HistGradientBoostingClassifier(max_iter=10, max_depth=3, random_state=0)


def _threshold_tabular(seed: int):
    X = compose._tabular_frame(seed, compose.N_TRAIN)
    logit = (X["age"] - 50) / 20 + X["member"] * 0.8 + (X["region"] == "region 00") * 0.7
    noise = np.random.RandomState(seed + 1).normal(0, 0.5, len(X))
    y = np.where(logit + noise > 0, "churn", "stay")
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
    est = TunedThresholdClassifierCV(Pipeline([("ct", features), ("tree", tree)]), cv=3)
    return est.fit(X, y), X, y, compose._tabular_frame(seed + 2, compose.N_TEST, unseen=True)


def cases(version: str, g: Any) -> list[Any]:
    """This family's cases for `version`; `g` is the generator module (its Case, helpers)."""

    def _case(name: str, description: str, build, methods, feature_names: bool = False) -> Any:
        return g.Case(
            f"{name}-sk{version}",
            description,
            build,
            feature_names=feature_names,
            methods=lambda est, X: methods(g, est, X),
        )

    out = [
        _case(
            "function_transformer_log1p_validate",
            "FunctionTransformer(np.log1p, np.expm1, validate=True): transform is C's log1p "
            "of every value (below -1: NaN); rtol 1e-12",
            lambda: _function_log1p_validate(g),
            function_methods,
        ),
        _case(
            "function_transformer_sqrt",
            "FunctionTransformer(np.sqrt): negative values give NaN, -0.0 stays -0.0; exact",
            lambda: _function_sqrt(g),
            function_methods,
        ),
        _case(
            "function_transformer_reciprocal_dataframe",
            "FunctionTransformer(np.reciprocal, validate=True) fitted on a DataFrame (feature "
            "names): 1.0 / x, zeros to infinities; exact",
            lambda: _function_reciprocal_dataframe(g),
            function_methods,
            feature_names=True,
        ),
        _case(
            "pipeline_function_transformer_ridge",
            "Pipeline(FunctionTransformer(np.log1p), Ridge): log1p's rtol and Linear's "
            "tolerance in the predictions",
            lambda: _pipeline_log1p_ridge(g),
            _pipeline_ridge_methods,
        ),
        _case(
            "transformed_target_log_exp_tree",
            "TransformedTargetRegressor(DecisionTreeRegressor, func=np.log, "
            "inverse_func=np.exp): C's exp of the tree's predictions; rtol 1e-12",
            lambda: _target(g, g.SEED + 910, regressor=_tree(), func=np.log, inverse_func=np.exp),
            target_methods,
        ),
        _case(
            "transformed_target_identity_linear",
            "TransformedTargetRegressor(): LinearRegression on the target as it is (the "
            "identity FunctionTransformer); Linear's tolerance",
            lambda: _target(g, g.SEED + 911),
            target_methods,
        ),
        _case(
            "transformed_target_scaler_two_targets",
            "TransformedTargetRegressor(DecisionTreeRegressor, transformer=StandardScaler()), "
            "two targets: predict [n, 2] is x * scale_ + mean_; exact",
            lambda: _target(g, g.SEED + 912, 2, regressor=_tree(), transformer=StandardScaler()),
            target_methods,
        ),
        _case(
            "transformed_target_minmax_forest",
            "TransformedTargetRegressor(RandomForestRegressor, transformer=MinMaxScaler(clip="
            "True)): (x - min_) / scale_, the clip not undone; exact",
            lambda: _target(
                g,
                g.SEED + 913,
                regressor=RandomForestRegressor(n_estimators=4, max_depth=4, random_state=0),
                transformer=MinMaxScaler(clip=True),
            ),
            target_methods,
        ),
        _case(
            "transformed_target_pipeline_transformer",
            "TransformedTargetRegressor(DecisionTreeRegressor, transformer=Pipeline("
            "FunctionTransformer(np.log1p, np.expm1), RobustScaler())): the steps' inverses, "
            "last first; rtol 1e-12",
            lambda: _target(
                g,
                g.SEED + 914,
                regressor=_tree(),
                transformer=Pipeline(
                    [("log", FunctionTransformer(np.log1p, np.expm1)), ("robust", RobustScaler())]
                ),
            ),
            target_methods,
        ),
        _case(
            "transformed_target_column_linear",
            "TransformedTargetRegressor(LinearRegression, func=np.log, inverse_func=np.exp) "
            "fitted on a "
            "[n, 1] target: predict [n, 1] (not squeezed); Linear's tolerance through exp",
            lambda: _target_column(g, g.SEED + 915),
            target_methods,
        ),
        _case(
            "transformed_target_tabular",
            "TransformedTargetRegressor(pipeline over strings with missing values: "
            "ColumnTransformer (imputed one-hot, imputed numbers) + a tree, func=np.sqrt, "
            "inverse_func=np.square); input.csv only; exact",
            lambda: _target_tabular(29),
            target_methods,
            feature_names=True,
        ),
    ]
    if not g._at_least(version, (1, 5)):  # the threshold classifiers are new in 1.5
        return out
    out += [
        _case(
            "fixed_threshold_forest_strings",
            "FixedThresholdClassifier(RandomForestClassifier, threshold=0.3), labels 'no', "
            "'yes': the probability of 'yes' at or above 0.3; exact",
            lambda: _fixed(
                g,
                g.SEED + 920,
                ["no", "yes"],
                estimator=RandomForestClassifier(n_estimators=5, max_depth=4, random_state=0),
                threshold=0.3,
            ),
            threshold_methods,
        ),
        _case(
            "fixed_threshold_first_class_decision",
            "FixedThresholdClassifier(HistGradientBoostingClassifier, response_method="
            "'decision_function', pos_label=2, threshold=0.25), labels 2, 7: the negated "
            "decision values for the first class; exact",
            lambda: _fixed(
                g,
                g.SEED + 921,
                [2, 7],
                estimator=_hgb(),
                response_method="decision_function",
                pos_label=2,
                threshold=0.25,
            ),
            threshold_methods,
        ),
        _case(
            "fixed_threshold_logistic_auto",
            "FixedThresholdClassifier(LogisticRegression): threshold 'auto' (0.5 of "
            "predict_proba); Linear's tolerance in the probabilities, labels exact",
            lambda: _fixed(g, g.SEED + 922, [0, 1], estimator=LogisticRegression()),
            threshold_methods,
        ),
        _case(
            "tuned_threshold_logistic",
            "TunedThresholdClassifierCV(LogisticRegression): balanced accuracy, "
            "best_threshold_ of predict_proba; labels exact",
            lambda: _tuned(g, g.SEED + 923, [-1, 1], estimator=LogisticRegression()),
            threshold_methods,
        ),
        _case(
            "tuned_threshold_f1_first_class",
            "TunedThresholdClassifierCV(HistGradientBoostingClassifier, scoring='f1', "
            "response_method='decision_function'), labels 1, 2: f1's pos_label 1 is the first "
            "class; exact",
            lambda: _tuned(
                g,
                g.SEED + 924,
                [1, 2],
                estimator=_hgb(),
                scoring="f1",
                response_method="decision_function",
                cv=3,
            ),
            threshold_methods,
        ),
        _case(
            "tuned_threshold_tabular",
            "TunedThresholdClassifierCV of a pipeline over strings with missing values: a "
            "ColumnTransformer (imputed one-hot, imputed numbers) + a tree, cv=3; input.csv "
            "only; exact",
            lambda: _threshold_tabular(31),
            threshold_methods,
            feature_names=True,
        ),
    ]
    return out


# ---------------------------------------------------------------------------- invalid files


def invalid_files(
    models: dict[str, bytes], g: Any
) -> list[tuple[str, tuple[str, str, str, bytes]]]:
    """(base case, (name, code, description, bytes)): the rules of sections 25-27."""
    v = g.VERSION

    def target(m: Any) -> Any:
        return m.estimator.transformed_target

    def threshold(m: Any) -> Any:
        return m.estimator.threshold_classifier

    def unspecified(m: Any) -> None:
        m.estimator.function_transformer.func = 0

    def transformer_width(m: Any) -> None:
        target(m).transformer.n_features_in = 2

    def squeezed(m: Any) -> None:
        target(m).squeeze = True

    def no_inverse(m: Any) -> None:
        t = target(m).transformer
        t.producer_type = "sklearn.preprocessing.Binarizer"
        t.binarizer.SetInParent()

    def positive(m: Any) -> None:
        threshold(m).positive = 2

    def nan_threshold(m: Any) -> None:
        threshold(m).threshold = float("nan")

    def no_decision_function(m: Any) -> None:
        threshold(m).score = 2  # THRESHOLD_SCORE_DECISION_FUNCTION, of a forest

    files = [
        (
            f"function_transformer_sqrt-sk{v}",
            "function_transformer_func_unspecified",
            "FunctionTransformer: func is ELEMENTWISE_FUNCTION_UNSPECIFIED",
            unspecified,
        ),
        (
            f"transformed_target_log_exp_tree-sk{v}",
            "transformed_target_transformer_width",
            "TransformedTarget rule 2: the transformer reads 2 columns, the regressor predicts 1",
            transformer_width,
        ),
        (
            f"transformed_target_identity_linear-sk{v}",
            "transformed_target_no_inverse",
            "TransformedTarget rule 2: the transformer is a Binarizer (no inverse)",
            no_inverse,
        ),
        (
            f"transformed_target_scaler_two_targets-sk{v}",
            "transformed_target_squeeze_two_targets",
            "TransformedTarget rule 3: squeeze with two target columns",
            squeezed,
        ),
    ]
    if FixedThresholdClassifier is not None:
        files += [
            (
                f"fixed_threshold_logistic_auto-sk{v}",
                "threshold_classifier_positive_out_of_range",
                "ThresholdClassifier rule 3: positive is 2",
                positive,
            ),
            (
                f"fixed_threshold_logistic_auto-sk{v}",
                "threshold_classifier_nan_threshold",
                "ThresholdClassifier rule 3: the threshold is NaN",
                nan_threshold,
            ),
            (
                f"fixed_threshold_forest_strings-sk{v}",
                "threshold_classifier_no_decision_function",
                "ThresholdClassifier rule 2: DECISION_FUNCTION of a forest, which has none",
                no_decision_function,
            ),
        ]
    return g.e_model_files(models, files)
