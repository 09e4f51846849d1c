#!/usr/bin/env python3
"""Generate the conformance corpus in tests/vectors/ (see README.md there).

    python tests/vectors/generate.py [--out DIR]

Trains every case with fixed seeds, saves it with the Python writer, and records the
outputs scikit-learn itself computes. Writes only the cases of the running scikit-learn:
the linear cases and the invalid files under the version python/requirements-dev.txt pins,
the tree cases (valid/<case>-sk<version>/) under each version of CORPUS_VERSIONS. Derives
the invalid files from a valid one, each damaged in exactly one way (every other checksum
recomputed, so the intended check is the one that fires), and checks each file against the
Python reader before writing it.
Deterministic: two runs on the same versions give identical bytes. Prints what it writes.
"""

from __future__ import annotations

import argparse
import inspect
import json
import math
import re
import sys
import warnings
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent / "python"))

import pandas as pd  # noqa: E402
import sklearn  # noqa: E402
from sklearn.ensemble import (  # noqa: E402
    ExtraTreesClassifier,
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    IsolationForest,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge, RidgeCV  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import (  # noqa: E402
    Binarizer,
    MaxAbsScaler,
    MinMaxScaler,
    Normalizer,
    RobustScaler,
    StandardScaler,
)
from sklearn.tree import (  # noqa: E402
    DecisionTreeClassifier,
    DecisionTreeRegressor,
    ExtraTreeClassifier,
    ExtraTreeRegressor,
)

import amber  # noqa: E402
from amber import _container, _tree  # noqa: E402
from amber._container import MAX_ESTIMATORS, MAX_MANIFEST_ITEMS, MAX_TENSORS  # noqa: E402
from amber._proto.amber.v1 import amber_pb2 as pb  # noqa: E402

SEED = 20240601
N_TRAIN, N_TEST, N_FEATURES = 200, 50, 4
RTOL = 1e-12
METHODS = ("predict", "predict_proba", "decision_function", "transform", "score_samples")
FEATURE_NAMES = ["age", "income", "height_cm", "score"]


def _json(obj: Any) -> str:
    return json.dumps(obj, indent=2, sort_keys=False) + "\n"


# ---------------------------------------------------------------------------- data


def _data(seed: int, wide: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Train and test matrices; the first test rows are chosen values (see _special_rows).

    `wide` features span scales 0.1 to 100 and offsets up to 1000 (regression, scalers);
    the others are moderate, so that lbfgs converges on unscaled classification data.
    """
    rng = np.random.RandomState(seed)
    if wide:
        scales, offsets = np.array([1.0, 10.0, 0.1, 100.0]), np.array([0.5, -20.0, 3.0, 1000.0])
    else:
        scales, offsets = np.array([1.0, 3.0, 0.5, 2.0]), np.array([0.5, -2.0, 1.0, 0.0])
    n_features = len(scales)
    train = rng.randn(N_TRAIN, n_features) * scales + offsets
    test = rng.randn(N_TEST, n_features) * scales + offsets
    test[:6] = _special_rows(train)
    return train, test


def _special_rows(train: np.ndarray) -> np.ndarray:
    n = train.shape[1]
    return np.array(
        [
            np.zeros(n),  # all zero: scores are the intercepts
            np.full(n, -0.0),  # negative zero
            train[0],  # a training row, bit for bit
            train.mean(axis=0),  # the column means: a scaler maps these to (about) 0
            np.full(n, 1e-300),  # tiny values
            np.linspace(-3.0, 3.0, n) * 7.0,  # moderate round values
        ]
    )


# ---------------------------------------------------------------------------- cases


@dataclass
class Case:
    name: str
    description: str
    build: Callable[[], tuple[Any, Any, Any, np.ndarray]]  # -> (estimator, X, y, X_test)
    feature_names: bool = False
    #: Keyword arguments of amber.dumps (e.g. inference_only).
    dump_options: dict[str, Any] | None = None
    #: For table inputs: (estimator, input frame) -> {method: {"exact": ..., ...}}.
    methods: Callable[[Any, Any], dict[str, dict[str, Any]]] | None = None


def _xy_regression(seed: int, n_targets: int = 1, frame: bool = False):
    train, test = _data(seed)
    rng = np.random.RandomState(seed + 1)
    w = rng.randn(N_FEATURES, n_targets)
    y = train @ w + 2.5 + 0.1 * rng.randn(N_TRAIN, n_targets)
    y = y[:, 0] if n_targets == 1 else y
    X = pd.DataFrame(train, columns=FEATURE_NAMES) if frame else train
    return X, y, test


def _xy_classes(seed: int, labels: list[Any], frame: bool = False):
    train, test = _data(seed, wide=False)
    rng = np.random.RandomState(seed + 2)
    z = (train - train.mean(axis=0)) / train.std(axis=0)
    w = rng.randn(N_FEATURES, len(labels))
    idx = np.argmax(z @ w + 0.8 * rng.randn(N_TRAIN, len(labels)), axis=1)
    y = np.asarray(labels)[idx]
    X = pd.DataFrame(train, columns=FEATURE_NAMES) if frame else train
    return X, y, test


def _scaler_data(seed: int):
    train, test = _data(seed)
    train[:, 2] = 7.0  # a constant feature: variance 0, scale_ replaced by 1
    return train, test


def _fit(est, X, y, test):
    return est.fit(X, y) if y is not None else est.fit(X), X, y, test


def _case_scaler(name, description, **params):
    def build():
        train, test = _scaler_data(SEED + 1)
        return _fit(StandardScaler(**params), train, None, test)

    return Case(name, description, build)


LINEAR_CASES = [
    _case_scaler(
        "standard_scaler",
        "StandardScaler, default params; feature 2 is constant in training (scale_ 1).",
    ),
    _case_scaler(
        "standard_scaler_no_mean",
        "StandardScaler(with_mean=False): divides only; mean_ is kept as an attribute.",
        with_mean=False,
    ),
    _case_scaler(
        "standard_scaler_no_std",
        "StandardScaler(with_std=False): subtracts only; no scale_.",
        with_std=False,
    ),
    Case(
        "linear_regression",
        "LinearRegression, one target: coef_ [n_features], intercept_ [].",
        lambda: _fit(LinearRegression(), *_xy_regression(SEED + 10)),
    ),
    Case(
        "linear_regression_two_targets",
        "LinearRegression, two targets: coef_ [2, n_features], intercept_ [2].",
        lambda: _fit(LinearRegression(), *_xy_regression(SEED + 11, n_targets=2)),
    ),
    Case(
        "linear_regression_no_intercept",
        "LinearRegression(fit_intercept=False): the intercept tensor is absent (zero).",
        lambda: _fit(LinearRegression(fit_intercept=False), *_xy_regression(SEED + 12)),
    ),
    Case(
        "ridge",
        "Ridge(alpha=0.5), one target.",
        lambda: _fit(Ridge(alpha=0.5), *_xy_regression(SEED + 20)),
    ),
    Case(
        "ridge_array_alpha",
        "Ridge with one alpha per target (a tensor param), two targets.",
        lambda: _fit(Ridge(alpha=np.array([0.1, 10.0])), *_xy_regression(SEED + 21, 2)),
    ),
    Case(
        "ridge_dataframe",
        "Ridge fitted on a pandas DataFrame: feature_names_in_ is set.",
        lambda: _fit(Ridge(alpha=2.0), *_xy_regression(SEED + 22, frame=True)),
        feature_names=True,
    ),
    Case(
        "ridgecv",
        "RidgeCV over three alphas (leave-one-out): predicts as Ridge with the chosen alpha_.",
        lambda: _fit(RidgeCV(alphas=(0.1, 1.0, 10.0)), *_xy_regression(SEED + 23)),
    ),
    Case(
        "ridgecv_per_target",
        "RidgeCV(alpha_per_target=True), two targets: alpha_ is an array, coef_ [2, n].",
        lambda: _fit(RidgeCV(alpha_per_target=True), *_xy_regression(SEED + 24, 2)),
    ),
    Case(
        "logistic_binary",
        "LogisticRegression, binary, int labels {0, 1}: LOGISTIC link.",
        lambda: _fit(LogisticRegression(), *_xy_classes(SEED + 30, [0, 1])),
    ),
    Case(
        "logistic_multiclass",
        "LogisticRegression, 4 int classes {-1, 2, 5, 7}: SOFTMAX (multinomial) link.",
        lambda: _fit(LogisticRegression(C=0.5), *_xy_classes(SEED + 31, [-1, 2, 5, 7])),
    ),
    Case(
        "logistic_string_labels",
        "LogisticRegression, 3 string classes: predict gives strings (expected as JSON).",
        lambda: _fit(
            LogisticRegression(),
            *_xy_classes(SEED + 32, ["cat", "dog", "émeu"]),
        ),
    ),
    Case(
        "logistic_float_labels",
        "LogisticRegression, 3 float classes {-1.0, 0.0, 2.0}: predict gives float64.",
        lambda: _fit(LogisticRegression(), *_xy_classes(SEED + 33, [-1.0, 0.0, 2.0])),
    ),
    Case(
        "pipeline_scaler_logistic_dataframe",
        "Pipeline(StandardScaler, LogisticRegression multiclass) fitted on a DataFrame.",
        lambda: _fit(
            Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression())]),
            *_xy_classes(SEED + 40, [0, 1, 2], frame=True),
        ),
        feature_names=True,
    ),
    Case(
        "pipeline_passthrough",
        "Pipeline(scaler, 'passthrough', None, LogisticRegression binary): identity steps.",
        lambda: _fit(
            Pipeline(
                [
                    ("scale", StandardScaler()),
                    ("skip", "passthrough"),
                    ("nothing", None),
                    ("clf", LogisticRegression(class_weight={0: 1.0, 1: 2.0})),
                ]
            ),
            *_xy_classes(SEED + 41, [0, 1]),
        ),
    ),
]


# ---------------------------------------------------------------------------- tree cases

#: The scikit-learn versions whose tree cases the corpus holds (valid/<case>-sk<version>/).
#: Each is written by this script running under that version (tests/vectors/README.md).
CORPUS_VERSIONS = ("1.3.2", "1.9.1")
VERSION = sklearn.__version__


def _pinned_version() -> str:
    """The scikit-learn of python/requirements-dev.txt: the one that writes the linear cases."""
    pins = (HERE.parent.parent / "python" / "requirements-dev.txt").read_text("utf-8")
    for line in pins.splitlines():
        if line.startswith("scikit-learn=="):
            return line.split("==", 1)[1].strip()
    raise SystemExit("python/requirements-dev.txt pins no scikit-learn")


def _at_least(version: str, minimum: tuple[int, ...]) -> bool:
    numbers = re.findall(r"\d+", version)[: len(minimum)]
    return tuple(int(p) for p in numbers) >= minimum


def _f32_neighbours(t: float) -> list[float]:
    """Float64 inputs around a float64 threshold `t`, chosen for the float32 cast.

    `t` itself, its float64 neighbours, the float32 values nearest to it and theirs, and
    float64 values just above `t` that still round to a float32 <= t (or just below that
    round above it): a reader that compares in float64 gets these wrong.
    """
    t32 = np.float32(t)
    lo = t32 if float(t32) <= t else np.nextafter(t32, np.float32(-np.inf))
    hi = np.nextafter(lo, np.float32(np.inf))
    out = [t, float(np.nextafter(t, np.inf)), float(np.nextafter(t, -np.inf))]
    for v in (lo, hi, np.nextafter(lo, np.float32(-np.inf)), np.nextafter(hi, np.float32(np.inf))):
        out += [
            float(v),
            float(np.nextafter(float(v), np.inf)),
            float(np.nextafter(float(v), -np.inf)),
        ]
    mid = (float(lo) + float(hi)) / 2.0
    out += [mid, float(np.nextafter(mid, np.inf)), float(np.nextafter(mid, -np.inf))]
    return out


def _first_tree(est) -> Any:
    return est.estimators_[0] if hasattr(est, "estimators_") else est


def _threshold_rows(est, test: np.ndarray, n_paths: int = 3) -> np.ndarray:
    """Rows that put one feature exactly at, and around, a threshold on a test row's path.

    For the first `n_paths` test rows of the random part, each internal node on the row's
    path in the first tree gets the row with that node's feature replaced by each value of
    `_f32_neighbours(threshold)`; the other features keep the row on the path.
    """
    tree = _first_tree(est).tree_
    rows, crossing = [], 0
    for base in test[6 : 6 + n_paths]:
        x32 = base.astype(np.float32)[None, :]
        path = tree.decision_path(x32).indices
        for node in path:
            if tree.children_left[node] == -1:
                continue
            f, t = int(tree.feature[node]), float(tree.threshold[node])
            for v in _f32_neighbours(t):
                row = base.copy()
                row[f] = v
                rows.append(row)
                crossing += (v <= t) != (float(np.float32(v)) <= t)
    if not crossing:
        raise SystemExit("no threshold row is decided differently in float32 and float64")
    return np.array(rows)


def _accepts_nan(est, test: np.ndarray) -> bool:
    row = test[:1].copy()
    row[0, 1] = np.nan
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            est.predict(_named(est, row))
    except ValueError:
        return False
    return True


def _named(est, X: np.ndarray) -> Any:
    names = getattr(est, "feature_names_in_", None)
    return pd.DataFrame(X, columns=list(names)) if names is not None else X


def _nan_rows(test: np.ndarray) -> np.ndarray:
    rows = np.repeat(test[6:10], 3, axis=0)
    rows[0::3, 0] = np.nan
    rows[1::3, 1] = np.nan
    rows[2::3, :] = np.nan
    return rows


def _tree_test(est, test: np.ndarray) -> np.ndarray:
    """The tree cases' test rows: the usual ones, threshold rows, and NaN rows when accepted."""
    parts = [test, _threshold_rows(est, test)]
    if _accepts_nan(est, test):
        parts.append(_nan_rows(test))
    return np.ascontiguousarray(np.concatenate(parts), dtype=np.float64)


def _with_nan(X: Any, seed: int) -> Any:
    """About 15% NaN in features 1 and 3 (a DataFrame stays one)."""
    rng = np.random.RandomState(seed)
    arr = np.array(X, dtype=np.float64)
    for f in (1, 3):
        arr[rng.rand(arr.shape[0]) < 0.15, f] = np.nan
    return pd.DataFrame(arr, columns=list(X.columns)) if isinstance(X, pd.DataFrame) else arr


def _tree_fit(est, X, y, test, sample_weight=None):
    if sample_weight is None:
        est.fit(X, y)
    else:
        est.fit(X, y, sample_weight=sample_weight)
    return est, X, y, _tree_test(est, test)


def _tree_clf(est, seed, labels, frame=False, nan=False, weights=False):
    def build():
        X, y, test = _xy_classes(seed, labels, frame)
        if nan:
            X = _with_nan(X, seed)
        w = np.random.RandomState(seed + 3).uniform(0.1, 3.0, len(y)) if weights else None
        return _tree_fit(est, X, y, test, w)

    return build


def _tree_reg(est, seed, n_targets=1, nan=False):
    def build():
        X, y, test = _xy_regression(seed, n_targets)
        if nan:
            X = _with_nan(X, seed)
        return _tree_fit(est, X, y, test)

    return build


def _two_output_classes(seed: int):
    """Two class outputs: 3 int classes and 2 int classes (values padded to 3 columns)."""
    X, y0, test = _xy_classes(seed, [0, 1, 2])
    _, y1, _ = _xy_classes(seed + 5, [-1, 4])
    return X, np.column_stack([y0, y1]), test


def _proba_ties():
    """Two fully grown trees on noisy binary labels: where they disagree, the mean is
    [0.5, 0.5] exactly, and predict takes the first class (numpy's argmax)."""
    X, y, test = _xy_classes(SEED + 209, [0, 1])
    rng = np.random.RandomState(SEED + 210)
    y = np.where(rng.rand(len(y)) < 0.3, 1 - y, y)
    est, X, y, test = _tree_fit(RandomForestClassifier(n_estimators=2, random_state=4), X, y, test)
    proba = est.predict_proba(test)
    if not np.any(proba[:, 0] == proba[:, 1]):
        raise SystemExit("random_forest_proba_ties: no test row ties")
    return est, X, y, test


def _tree_cases(version: str) -> list[Case]:
    """The tree cases of one scikit-learn version, named <case>-sk<version>."""
    nan_forest = _at_least(version, (1, 4))  # RandomForest* trains on NaN from 1.4
    cases = [
        Case(
            "decision_tree_classifier",
            "DecisionTreeClassifier, 3 int classes {0, 1, 2}, fully grown.",
            _tree_clf(DecisionTreeClassifier(random_state=0), SEED + 200, [0, 1, 2]),
        ),
        Case(
            "decision_tree_regressor",
            "DecisionTreeRegressor(max_depth=6), one target.",
            _tree_reg(DecisionTreeRegressor(max_depth=6, random_state=0), SEED + 201),
        ),
        Case(
            "extra_tree_classifier",
            "ExtraTreeClassifier (random splits), 3 int classes.",
            _tree_clf(ExtraTreeClassifier(random_state=1), SEED + 202, [0, 1, 2]),
        ),
        Case(
            "extra_tree_regressor",
            "ExtraTreeRegressor(min_samples_leaf=3), one target.",
            _tree_reg(ExtraTreeRegressor(min_samples_leaf=3, random_state=1), SEED + 203),
        ),
        Case(
            "random_forest_classifier",
            "RandomForestClassifier(class_weight='balanced'), 3 string classes: "
            "non-integer weighted leaf values.",
            _tree_clf(
                RandomForestClassifier(n_estimators=8, class_weight="balanced", random_state=2),
                SEED + 204,
                ["cat", "dog", "émeu"],
            ),
        ),
        Case(
            "random_forest_regressor_two_targets",
            "RandomForestRegressor(max_depth=5), two targets: values [n, 2, 1].",
            _tree_reg(
                RandomForestRegressor(n_estimators=6, max_depth=5, random_state=3),
                SEED + 205,
                n_targets=2,
            ),
        ),
        Case(
            "extra_trees_classifier",
            "ExtraTreesClassifier, 4 int classes, bootstrap of half the rows, oob_score.",
            _tree_clf(
                ExtraTreesClassifier(
                    n_estimators=12,
                    bootstrap=True,
                    max_samples=0.5,
                    oob_score=True,
                    random_state=4,
                ),
                SEED + 206,
                [-1, 2, 5, 7],
            ),
        ),
        Case(
            "decision_tree_best_first",
            "DecisionTreeClassifier(max_leaf_nodes=12): best-first node order, node_ids.",
            _tree_clf(
                DecisionTreeClassifier(max_leaf_nodes=12, random_state=5), SEED + 207, [0, 1, 2]
            ),
        ),
        Case(
            "random_forest_multi_output_classifier",
            "RandomForestClassifier on two outputs (3 and 2 classes): predict [n, 2], "
            "predict_proba a list of two arrays.",
            lambda: _tree_fit(
                RandomForestClassifier(n_estimators=5, max_depth=6, random_state=6),
                *_two_output_classes(SEED + 208),
            ),
        ),
        Case(
            "random_forest_proba_ties",
            "RandomForestClassifier of 2 trees voting opposite on some rows: mean probabilities "
            "tie at 0.5 and predict takes the first class.",
            _proba_ties,
        ),
        Case(
            "decision_tree_sample_weight",
            "DecisionTreeClassifier fitted with non-integer sample_weight, 3 classes.",
            _tree_clf(
                DecisionTreeClassifier(max_depth=7, random_state=7),
                SEED + 211,
                [0, 1, 2],
                weights=True,
            ),
        ),
        Case(
            "random_forest_inference_only",
            "RandomForestClassifier saved with inference_only=True: leaf values only, no "
            "training statistics.",
            _tree_clf(
                RandomForestClassifier(n_estimators=5, max_leaf_nodes=20, random_state=8),
                SEED + 212,
                [0, 1, 2],
            ),
            dump_options={"inference_only": True},
        ),
        Case(
            "decision_tree_dataframe",
            "DecisionTreeRegressor fitted on a DataFrame: feature names, input.csv.",
            lambda: _tree_fit(
                DecisionTreeRegressor(max_depth=5, random_state=9),
                *_xy_regression(SEED + 213, frame=True),
            ),
            feature_names=True,
        ),
        Case(
            "decision_tree_nan",
            "DecisionTreeClassifier trained with NaN in features 1 and 3: missing values go "
            "left or right per node.",
            _tree_clf(
                DecisionTreeClassifier(max_depth=6, random_state=10),
                SEED + 214,
                [0, 1, 2],
                nan=True,
            ),
        ),
    ]
    if nan_forest:
        cases.append(
            Case(
                "random_forest_nan",
                "RandomForestRegressor trained with NaN in features 1 and 3 (scikit-learn >= 1.4).",
                _tree_reg(
                    RandomForestRegressor(n_estimators=5, max_depth=6, random_state=11),
                    SEED + 215,
                    nan=True,
                ),
            )
        )
    cases.extend(_affine_cases(version))
    cases.extend(_iforest_cases(version))
    cases.extend(_hgb_cases(version))
    cases.extend(_gb_cases(version))
    for case in cases:
        case.name = f"{case.name}-sk{version}"
    return cases


# ---------------------------------------------------------------------------- feature affine


def _affine_data(seed: int, zero: float = 7.0, nan: bool = False, frame: bool = False):
    """Scaler data: feature 2 constant (`zero` in training: range, max |x| and IQR 0, so
    the scale is 1), test rows past the training range (x 3 and shifted, for clip), NaN rows
    and, with `nan`, NaN in training too."""
    train, test = _data(seed)
    train[:, 2] = zero
    if nan:
        train = _with_nan(train, seed + 1)
    wide = test[6:16] * 3.0 - np.array([5.0, 50.0, 1.0, 2000.0])
    test = np.ascontiguousarray(np.concatenate([test, wide, _nan_rows(test)]))
    X = pd.DataFrame(train, columns=FEATURE_NAMES) if frame else train
    return X, None, test


def _affine(est, seed: int, **data: Any):
    return lambda: _fit(est, *_affine_data(seed, **data))


def _affine_cases(version: str) -> list[Case]:
    """MinMaxScaler, MaxAbsScaler, RobustScaler: the FeatureAffine body (written per
    version, as the tree cases: <case>-sk<version>)."""
    cases = [
        Case(
            "minmax_scaler",
            "MinMaxScaler, defaults (no clip): test rows outside the training range leave "
            "[0, 1]; feature 2 constant (range 0, scale_ from 1); NaN passes through.",
            _affine(MinMaxScaler(), SEED + 300),
        ),
        Case(
            "minmax_scaler_clip",
            "MinMaxScaler(feature_range=(-1, 2), clip=True), NaN in training (ignored by the "
            "fit): out-of-range rows are clipped to [-1, 2]; NaN stays NaN.",
            _affine(MinMaxScaler(feature_range=(-1, 2), clip=True), SEED + 301, nan=True),
        ),
        Case(
            "minmax_scaler_range",
            "MinMaxScaler(feature_range=(-3.5, 0.25)), no clip.",
            _affine(MinMaxScaler(feature_range=(-3.5, 0.25)), SEED + 302),
        ),
        Case(
            "maxabs_scaler",
            "MaxAbsScaler: feature 2 is all zero in training (max |x| 0, scale_ 1); NaN in "
            "training and test.",
            _affine(MaxAbsScaler(), SEED + 303, zero=0.0, nan=True),
        ),
        Case(
            "robust_scaler",
            "RobustScaler, defaults: (x - median) / IQR; feature 2 constant (IQR 0, scale_ 1); "
            "NaN in training (ignored by the fit) and test.",
            _affine(RobustScaler(), SEED + 304, nan=True),
        ),
        Case(
            "robust_scaler_no_centering",
            "RobustScaler(with_centering=False, quantile_range=(10, 90)): divides only.",
            _affine(RobustScaler(with_centering=False, quantile_range=(10.0, 90.0)), SEED + 305),
        ),
        Case(
            "robust_scaler_no_scaling",
            "RobustScaler(with_scaling=False): subtracts the median only.",
            _affine(RobustScaler(with_scaling=False), SEED + 306),
        ),
        Case(
            "robust_scaler_unit_variance",
            "RobustScaler(unit_variance=True, quantile_range=(20, 75)), on a DataFrame: scale_ "
            "divided by the normal's quantile spread.",
            _affine(
                RobustScaler(unit_variance=True, quantile_range=(20.0, 75.0)),
                SEED + 307,
                frame=True,
            ),
            feature_names=True,
        ),
        Case(
            "pipeline_minmax_logistic_dataframe",
            "Pipeline(MinMaxScaler(clip=True), LogisticRegression multiclass) on a DataFrame.",
            lambda: _fit(
                Pipeline([("scale", MinMaxScaler(clip=True)), ("clf", LogisticRegression())]),
                *_xy_classes(SEED + 308, [0, 1, 2], frame=True),
            ),
            feature_names=True,
        ),
    ]
    # Binarizer: scikit-learn refuses NaN here, so no NaN rows; the test rows hold values at
    # the threshold (0.0 and -0.0 for the default, 2.5 itself for the other).
    train, test = _data(SEED + 310)
    at = test.copy()
    at[::3, 1] = 2.5
    cases += [
        Case(
            "binarizer",
            "Binarizer, default threshold 0.0: x > 0 is 1.0, zeros and -0.0 are 0.0.",
            lambda: _fit(Binarizer(), train, None, test),
        ),
        Case(
            "binarizer_threshold_dataframe",
            "Binarizer(threshold=2.5) on a DataFrame; feature 1 is exactly 2.5 in every third "
            "test row (not above: 0.0).",
            lambda: _fit(
                Binarizer(threshold=2.5), pd.DataFrame(train, columns=FEATURE_NAMES), None, at
            ),
            feature_names=True,
        ),
    ]
    # Normalizer: no NaN rows either (refused); the first test rows hold all-zero, -0.0 and
    # 1e-300 rows (norm below 10 * eps: left as they are).
    wide_train, wide_test = np.hstack([train] * 3), np.hstack([test] * 3)
    wide_test[6:9] *= np.linspace(0.5, 2.0, wide_test.shape[1])
    cases += [
        Case(
            f"normalizer_{norm}",
            f"Normalizer(norm={norm!r}): each row divided by its {norm} norm.",
            lambda norm=norm: _fit(Normalizer(norm=norm), train, None, test),
        )
        for norm in ("l1", "l2", "max")
    ]
    cases += [
        Case(
            "normalizer_l1_wide",
            "Normalizer(norm='l1') on 12 features: the row sum is numpy's pairwise order "
            "(eight partial sums) on a C-ordered input.",
            lambda: _fit(Normalizer(norm="l1"), wide_train, None, wide_test),
        ),
        Case(
            "normalizer_max_dataframe",
            "Normalizer(norm='max') on a DataFrame.",
            lambda: _fit(
                Normalizer(norm="max"), pd.DataFrame(train, columns=FEATURE_NAMES), None, test
            ),
            feature_names=True,
        ),
    ]
    if _at_least(version, (1, 9)):  # MaxAbsScaler.clip: in 1.9.1, not in 1.3.2
        cases.append(
            Case(
                "maxabs_scaler_clip",
                "MaxAbsScaler(clip=True) (a param of newer scikit-learn): out-of-range rows "
                "are clipped to [-1, 1].",
                _affine(MaxAbsScaler(clip=True), SEED + 309),
            )
        )
    return cases


# ---------------------------------------------------------------------------- isolation forests

#: score_samples and decision_function of an IsolationForest end in numpy's `2 ** x`, which
#: a reader's pow may round the other way (1 ulp of a score in [-1, 0), spec/estimators.md,
#: "IsolationForest"): they are compared within this absolute tolerance, labels exactly.
IFOREST_ATOL = 1e-15


def _iforest_columns(est, t: int) -> np.ndarray:
    """The input columns tree `t` reads, in its own feature order."""
    if est._max_features != est.n_features_in_:
        return np.asarray(est.estimators_features_[t], dtype=np.int64)
    return np.arange(est.n_features_in_)


def _iforest_threshold_rows(est, test: np.ndarray, n_paths: int = 3) -> np.ndarray:
    """`_threshold_rows` for the first tree of an IsolationForest, whose features are a
    subset of the input columns; none when the tree is a single leaf (max_samples=1)."""
    tree, cols = est.estimators_[0].tree_, _iforest_columns(est, 0)
    if tree.node_count == 1:
        return np.empty((0, test.shape[1]))
    rows, crossing = [], 0
    for base in test[6 : 6 + n_paths]:
        path = tree.decision_path(base[cols].astype(np.float32)[None, :]).indices
        for node in path:
            if tree.children_left[node] == -1:
                continue
            f, t = int(cols[tree.feature[node]]), float(tree.threshold[node])
            for v in _f32_neighbours(t):
                row = base.copy()
                row[f] = v
                rows.append(row)
                crossing += (v <= t) != (float(np.float32(v)) <= t)
    if not crossing:
        raise SystemExit("no threshold row is decided differently in float32 and float64")
    return np.array(rows)


def _iforest_fit(est, seed: int, frame: bool = False, nan: bool = False):
    def build():
        train, test = _data(seed)
        X: Any = pd.DataFrame(train, columns=FEATURE_NAMES) if frame else train
        if nan:
            X = _with_nan(X, seed)
        est.fit(X)
        parts = [test, _iforest_threshold_rows(est, test)]
        if _accepts_nan(est, test):
            parts.append(_nan_rows(test))
        return est, X, None, np.ascontiguousarray(np.concatenate(parts), dtype=np.float64)

    return build


def _iforest_scores_libm(est, X: np.ndarray) -> np.ndarray:
    """score_samples as scikit-learn computes it, but with the C library's pow (what
    Python's math.pow and Rust's f64::powf call) in place of numpy's `2 ** x`."""
    from sklearn.ensemble._iforest import _average_path_length

    x32 = X.astype(np.float32)
    depths = np.zeros(X.shape[0])
    for t, tree in enumerate(est.estimators_):
        leaves = tree.tree_.apply(np.ascontiguousarray(x32[:, _iforest_columns(est, t)]))
        d, a = est._decision_path_lengths[t], est._average_path_length_per_tree[t]
        depths += d[leaves] + a[leaves] - 1.0
    denominator = len(est.estimators_) * _average_path_length([est._max_samples])[0]
    q = depths / denominator if denominator != 0 else np.ones_like(depths)
    return -np.array([math.pow(2.0, -v) for v in q])


def _iforest_methods(est, X: np.ndarray) -> dict[str, dict[str, Any]]:
    """Labels exact; scores within IFOREST_ATOL. Refuses test rows whose label another
    correctly rounded pow could flip: |decision_function| must exceed 4 x IFOREST_ATOL, or
    the C library's pow must give the very same decision (rows exactly at 0 whose power is
    exact, e.g. 2 ** -1)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # a plain array into a named model
        decision = est.decision_function(_named(est, X))
        scores = est.score_samples(_named(est, X))
    libm = _iforest_scores_libm(est, X)
    if np.any(np.abs(libm - scores) > IFOREST_ATOL):
        raise SystemExit("an isolation-forest score differs from libm's by more than the atol")
    near = np.abs(decision) <= 4 * IFOREST_ATOL
    if np.any(near & (libm - est.offset_ != decision)):
        raise SystemExit("a test row's isolation-forest label is within rounding of a tie")
    close = {"exact": False, "rtol": 0.0, "atol": IFOREST_ATOL}
    return {"predict": {"exact": True}, "decision_function": close, "score_samples": close}


def _iforest_cases(version: str) -> list[Case]:
    """IsolationForest cases (written as tree cases: <case>-sk<version>)."""
    cases = [
        Case(
            "isolation_forest",
            "IsolationForest, defaults: contamination='auto' (offset_ -0.5), max_samples='auto'.",
            _iforest_fit(IsolationForest(n_estimators=25, random_state=0), SEED + 400),
        ),
        Case(
            "isolation_forest_contamination",
            "IsolationForest(contamination=0.1, max_samples=64): offset_ a percentile of the "
            "training scores.",
            _iforest_fit(
                IsolationForest(n_estimators=30, contamination=0.1, max_samples=64, random_state=1),
                SEED + 401,
            ),
        ),
        Case(
            "isolation_forest_max_features",
            "IsolationForest(max_features=0.5, max_samples=0.6, bootstrap=True): each tree "
            "reads 2 of the 4 columns (feature indices remapped in the file).",
            _iforest_fit(
                IsolationForest(
                    n_estimators=20,
                    max_features=0.5,
                    max_samples=0.6,
                    bootstrap=True,
                    contamination=0.05,
                    random_state=2,
                ),
                SEED + 402,
            ),
        ),
        Case(
            "isolation_forest_dataframe",
            "IsolationForest(max_features=3) fitted on a DataFrame: feature names, input.csv.",
            _iforest_fit(
                IsolationForest(n_estimators=15, max_features=3, contamination=0.2, random_state=3),
                SEED + 403,
                frame=True,
            ),
            feature_names=True,
        ),
        Case(
            "isolation_forest_inference_only",
            "IsolationForest(max_features=0.75) saved with inference_only=True: leaf terms "
            "only, no tree_.value, statistics or per-node averages.",
            _iforest_fit(
                IsolationForest(
                    n_estimators=12, max_features=0.75, contamination=0.15, random_state=4
                ),
                SEED + 404,
            ),
            dump_options={"inference_only": True},
        ),
        Case(
            "isolation_forest_one_sample",
            "IsolationForest(max_samples=1): one-leaf trees, denominator 0, every score -0.5.",
            _iforest_fit(
                IsolationForest(n_estimators=5, max_samples=1, random_state=5), SEED + 405
            ),
        ),
    ]
    if _at_least(version, (1, 9)):  # 1.3.2's IsolationForest refuses NaN
        cases.append(
            Case(
                "isolation_forest_nan",
                "IsolationForest trained with NaN in features 1 and 3 (scikit-learn 1.9.1).",
                _iforest_fit(
                    IsolationForest(n_estimators=20, contamination=0.1, random_state=6),
                    SEED + 406,
                    nan=True,
                ),
            )
        )
    return cases


# ---------------------------------------------------------------------- hist gradient boosting

#: HistGradientBoosting outputs that go through exp (the EXP link, every probability):
#: numpy's SIMD exp, the C library's and a reader's may each differ by an ulp, which the
#: link's few roundings keep within a few ulps (spec/estimators.md, "Transcendental
#: functions"). Each case's outputs are checked against the C library's exp (what Rust's
#: f64::exp calls) within these; LOGISTIC (scipy's expit, the C library's exp) must match it
#: exactly.
HGB_RTOL = 1e-15
HGB_ATOL = 1e-15


def _hgb_columns(est) -> np.ndarray:
    """The input column of each feature the trees split on: scikit-learn >= 1.4 puts the
    categorical columns first (its `_preprocessor`), 1.3 keeps the input order."""
    n = int(est.n_features_in_)
    if getattr(est, "_preprocessor", None) is None:
        return np.arange(n)
    is_cat = np.asarray(est.is_categorical_, dtype=bool)
    return np.concatenate([np.flatnonzero(is_cat), np.flatnonzero(~is_cat)])


def _hgb_goes_left(est, predictor, i: int, x: float) -> bool:
    """Where `_predict_one_from_raw_data` sends the value `x` (an input value of a known
    category, or NaN) at node `i`: the category's code, coded as scikit-learn does."""
    node = predictor.nodes[i]
    if math.isnan(x):
        return bool(node["missing_go_to_left"])
    if not node["is_categorical"]:
        return x <= node["num_threshold"]
    code = int(x)
    if getattr(est, "_preprocessor", None) is not None:
        rank = int(np.sum(est._bin_mapper.is_categorical_[: node["feature_idx"]]))
        categories = est._preprocessor.named_transformers_["encoder"].categories_[rank]
        code = int(np.flatnonzero(categories == x)[0])
    word = predictor.raw_left_cat_bitsets[node["bitset_idx"], code // 32]
    return bool((int(word) >> (code % 32)) & 1)


def _hgb_first_tree_value(est, row: np.ndarray) -> float:
    """The first tree's value for one input row, by scikit-learn's own traversal."""
    X = _named(est, row[None, :])
    if hasattr(est, "_preprocess_X"):  # >= 1.4: the columns the trees see
        X = est._preprocess_X(X, reset=False)
    known, f_idx_map = est._bin_mapper.make_known_categories_bitsets()
    X = np.ascontiguousarray(X, dtype=np.float64)
    return float(est._predictors[0][0].predict(X, known, f_idx_map, 1)[0])


def _hgb_threshold_rows(est, test: np.ndarray, n_paths: int = 3) -> np.ndarray:
    """`_threshold_rows` for the first tree of a HistGradientBoosting model (numeric splits
    compare float64 values: `_f32_neighbours` also catches a reader that rounds to float32),
    following each row down the tree through numeric and categorical splits."""
    predictor = est._predictors[0][0]
    nodes = predictor.nodes
    columns = _hgb_columns(est)
    rows, crossing = [], 0
    for base in test[6 : 6 + n_paths]:
        i = 0
        while not nodes["is_leaf"][i]:
            f, t = int(columns[nodes["feature_idx"][i]]), float(nodes["num_threshold"][i])
            if not nodes["is_categorical"][i] and math.isfinite(t):
                for v in _f32_neighbours(t):
                    row = base.copy()
                    row[f] = v
                    rows.append(row)
                    crossing += (v <= t) != (float(np.float32(v)) <= t)
            left = _hgb_goes_left(est, predictor, i, float(base[f]))
            i = int(nodes["left"][i] if left else nodes["right"][i])
        if predictor.nodes["value"][i] != _hgb_first_tree_value(est, base):
            raise SystemExit("the threshold rows' walk left scikit-learn's path")
    if not crossing:
        raise SystemExit("no threshold row is decided differently in float32 and float64")
    return np.array(rows)


#: Values put into a categorical column of the test rows: known categories, one never seen,
#: NaN, negative values (missing), and non-integers and values >= 256 that scikit-learn 1.3
#: casts to a uint8 code (2.5 -> 2, 261 -> 5, 1e10 -> 0) and >= 1.4 finds unknown (missing).
_HGB_CATEGORY_PROBES = np.array([0, 2, 5, 13, 40, 41, 1, np.nan, -1, -0.0, -0.5, 2.5, 7.9, 261])
_HGB_LARGE_PROBES = np.array([296, 1e10, 2.0**31 - 243, 2.0**31])


def _hgb_category_rows(
    test: np.ndarray, features: list[int], version: str, probes: list[float] | None = None
) -> np.ndarray:
    """Each probe value in each categorical column of a few test rows (+-inf too for 1.3:
    scikit-learn >= 1.4's encoder refuses infinite values)."""
    if probes is None:
        probes = [*_HGB_CATEGORY_PROBES, *_HGB_LARGE_PROBES]
        if not _at_least(version, (1, 4)):
            probes += [np.inf, -np.inf]
    rows = []
    for base in test[6:9]:
        for f in features:
            for v in probes:
                row = base.copy()
                row[f] = v
                rows.append(row)
    return np.array(rows)


def _hgb_categorical_xy(seed: int, frame: bool = False):
    """Regression data whose features 1 and 3 are categories (1: 0..7; 3: eight values up to
    40, 10% NaN), with y depending on them."""
    X, y, test = _xy_regression(seed, frame=False)
    rng = np.random.RandomState(seed + 7)
    c1 = rng.randint(0, 8, N_TRAIN)
    levels = np.array([0.0, 2.0, 3.0, 5.0, 7.0, 11.0, 13.0, 40.0])
    c3 = levels[rng.randint(0, levels.size, N_TRAIN)]
    effect1 = rng.randn(8) * 20.0
    effect3 = dict(zip(levels, rng.randn(levels.size) * 30.0))
    y = y + effect1[c1] + np.array([effect3[v] for v in c3])
    X[:, 1], X[:, 3] = c1, c3
    X[rng.rand(N_TRAIN) < 0.1, 3] = np.nan
    test[:, 1] = rng.randint(0, 8, test.shape[0])
    test[:, 3] = levels[rng.randint(0, levels.size, test.shape[0])]
    test[:6, 1] = test[:6, 3] = 0.0  # the special rows keep a known category
    Xf: Any = pd.DataFrame(X, columns=FEATURE_NAMES) if frame else X
    return Xf, y, test


def _hgb_fit(est, X, y, test, version: str, sample_weight=None, categorical=(), probes=None):
    if sample_weight is None:
        est.fit(X, y)
    else:
        est.fit(X, y, sample_weight=sample_weight)
    if categorical and not any(
        p.nodes["is_categorical"][~p.nodes["is_leaf"].astype(bool)].any()
        for it in est._predictors
        for p in it
    ):
        raise SystemExit("a categorical case has no categorical split")
    parts = [test, _hgb_threshold_rows(est, test), _nan_rows(test)]
    if categorical:
        parts.append(_hgb_category_rows(test, list(categorical), version, probes))
    return est, X, y, np.ascontiguousarray(np.concatenate(parts), dtype=np.float64)


def _hgb_reg(est, seed: int, version: str, target=None, nan=False, weights=False):
    def build():
        X, y, test = _xy_regression(seed)
        if target is not None:
            y = target(y, np.random.RandomState(seed + 4))
        if nan:
            X = _with_nan(X, seed)
        w = np.random.RandomState(seed + 3).uniform(0.1, 3.0, len(y)) if weights else None
        return _hgb_fit(est, X, y, test, version, w)

    return build


def _hgb_clf(est, seed: int, labels, version: str, nan=False, weights=False):
    def build():
        X, y, test = _xy_classes(seed, labels)
        if nan:
            X = _with_nan(X, seed)
        w = np.random.RandomState(seed + 3).uniform(0.1, 3.0, len(y)) if weights else None
        return _hgb_fit(est, X, y, test, version, w)

    return build


def _hgb_categorical(est, seed: int, version: str, frame: bool = False, labels=None):
    """`labels` (classifiers): y is cut at its quantiles into that many classes."""

    def build():
        X, y, test = _hgb_categorical_xy(seed, frame)
        if labels is not None:
            cuts = np.quantile(y, np.linspace(0, 1, len(labels) + 1)[1:-1])
            y = np.asarray(labels)[np.digitize(y, cuts)]
        return _hgb_fit(est, X, y, test, version, categorical=(1, 3))

    return build


def _hgb_early_stopping(version: str):
    def build():
        est = HistGradientBoostingClassifier(
            max_iter=300,
            early_stopping=True,
            validation_fraction=0.25,
            n_iter_no_change=3,
            learning_rate=0.3,
            random_state=5,
        )
        X, y, test = _xy_classes(SEED + 506, [0, 1, 2])
        out = _hgb_fit(est, X, y, test, version)
        if not est.n_iter_ < est.max_iter:
            raise SystemExit("hgb_early_stopping did not stop early")
        return out

    return build


#: The categories of hgb_categorical_values: negative, fractional, large (any float64 is a
#: category from scikit-learn 1.4 on), and probes around them.
_HGB_VALUES = np.array([-1.0, 0.0, 0.5, 3.0, 1000.0, 1e6])
_HGB_VALUE_PROBES = [
    *_HGB_VALUES,
    *np.nextafter(_HGB_VALUES, np.inf),
    *np.nextafter(_HGB_VALUES, -np.inf),
    *[-0.0, 2.0, 44.0, 300.0, np.nan, 1000.5, -1.5],
]


def _hgb_categorical_values(version: str):
    """Regression on features 0 and 2 (categories _HGB_VALUES, 10% NaN)."""

    def build():
        X, y, test = _xy_regression(SEED + 511)
        rng = np.random.RandomState(SEED + 512)
        codes = rng.randint(0, _HGB_VALUES.size, N_TRAIN)
        y = y + (rng.randn(_HGB_VALUES.size) * 40.0)[codes]
        X[:, 2] = _HGB_VALUES[codes]
        X[rng.rand(N_TRAIN) < 0.1, 2] = np.nan
        test[:, 2] = _HGB_VALUES[rng.randint(0, _HGB_VALUES.size, test.shape[0])]
        est = HistGradientBoostingRegressor(max_iter=25, categorical_features=[2], random_state=11)
        return _hgb_fit(est, X, y, test, version, categorical=(2,), probes=_HGB_VALUE_PROBES)

    return build


def _exp(x: np.ndarray) -> np.ndarray:
    """The C library's exp (math.exp), element by element."""
    return np.array([math.exp(v) for v in np.asarray(x, dtype=np.float64).ravel()]).reshape(
        np.shape(x)
    )


def _hgb_methods(est, X: np.ndarray) -> dict[str, dict[str, Any]]:
    """Raw scores, labels and binary probabilities exact; what goes through numpy's exp
    within HGB_RTOL/HGB_ATOL, checked against the C library's exp here. Labels of a model
    whose predict compares probabilities (1.3) must not be within rounding of a tie."""
    Xin = _named(est, X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # a plain array into a named model
        raw = est._raw_predict(Xin)
        out: dict[str, dict[str, Any]] = {}
        close = {"exact": False, "rtol": HGB_RTOL, "atol": HGB_ATOL}

        def within(got: np.ndarray, libm: np.ndarray, what: str, atol: float) -> None:
            if np.any(np.abs(got - libm) > atol + HGB_RTOL * np.abs(libm)):
                worst = float(np.max(np.abs(got - libm)))
                raise SystemExit(f"{what} differs from the C library's exp by {worst}")

        if not hasattr(est, "classes_"):
            pred = est.predict(Xin)
            if type(est._loss.link).__name__ == "LogLink":
                within(pred, _exp(raw[:, 0]), "an exp-link prediction", 0.0)
                out["predict"] = {**close, "atol": 0.0}
            else:
                out["predict"] = {"exact": True}
            return out
        proba = est.predict_proba(Xin)
        if raw.shape[1] == 1:
            p1 = 1.0 / (1.0 + _exp(-raw[:, 0]))
            libm = np.column_stack([1.0 - p1, p1])
        else:
            e = _exp(raw - raw.max(axis=1)[:, None])
            s = np.zeros(e.shape[0])
            for k in range(e.shape[1]):
                s = s + e[:, k]  # scikit-learn sums the F-ordered columns in turn
            libm = e / s[:, None]
        if raw.shape[1] == 1 and not np.array_equal(proba, libm):
            raise SystemExit("a binary probability is not 1 / (1 + exp(-raw)), C library's exp")
        within(proba, libm, "a probability", HGB_ATOL)
        if "self.predict_proba(" in inspect.getsource(type(est).predict):
            top = np.sort(libm, axis=1)
            if np.any(top[:, -1] - top[:, -2] <= 4 * (HGB_ATOL + HGB_RTOL)):
                raise SystemExit("a test row's label is within rounding of a probability tie")
    out["predict"] = {"exact": True}
    # Every probability goes through exp (LOGISTIC: scipy's expit, the C library's; SOFTMAX:
    # numpy's), whose results differ by an ulp between libms: within the tolerance.
    out["predict_proba"] = close
    out["decision_function"] = {"exact": True}
    return out


def _hgb_cases(version: str) -> list[Case]:
    """HistGradientBoosting cases (written as tree cases: <case>-sk<version>)."""
    R, C = HistGradientBoostingRegressor, HistGradientBoostingClassifier
    cases = [
        Case(
            "hgb_regressor_nan",
            "HistGradientBoostingRegressor (squared_error) trained with NaN in features 1 and 3.",
            _hgb_reg(R(max_iter=40, random_state=0), SEED + 500, version, nan=True),
        ),
        Case(
            "hgb_regressor_poisson",
            "HistGradientBoostingRegressor(loss='poisson'): EXP link.",
            _hgb_reg(
                R(loss="poisson", max_iter=30, random_state=1),
                SEED + 501,
                version,
                target=lambda y, rng: rng.poisson(np.exp(y / np.abs(y).max() * 2.0 + 1.0)),
            ),
        ),
        Case(
            "hgb_regressor_gamma",
            "HistGradientBoostingRegressor(loss='gamma'), positive y: EXP link.",
            _hgb_reg(
                R(loss="gamma", max_iter=30, random_state=2),
                SEED + 502,
                version,
                target=lambda y, rng: np.exp(y / np.abs(y).max()) * rng.gamma(2.0, 1.0, len(y)),
            ),
        ),
        Case(
            "hgb_regressor_quantile",
            "HistGradientBoostingRegressor(loss='quantile', quantile=0.8): leaves refitted to "
            "the quantile.",
            _hgb_reg(
                R(loss="quantile", quantile=0.8, max_iter=25, random_state=3), SEED + 503, version
            ),
        ),
        Case(
            "hgb_regressor_absolute_error",
            "HistGradientBoostingRegressor(loss='absolute_error'), fitted with sample_weight.",
            _hgb_reg(
                R(loss="absolute_error", max_iter=25, random_state=4),
                SEED + 504,
                version,
                weights=True,
            ),
        ),
        Case(
            "hgb_classifier_binary",
            "HistGradientBoostingClassifier, 2 string classes: LOGISTIC link, one raw column.",
            _hgb_clf(C(max_iter=30, random_state=6), SEED + 505, ["no", "yes"], version),
        ),
        Case(
            "hgb_classifier_multiclass",
            "HistGradientBoostingClassifier, 4 int classes {-1, 2, 5, 7}, sample_weight and "
            "NaN in training: SOFTMAX, 4 trees per iteration.",
            _hgb_clf(
                C(max_iter=20, random_state=7),
                SEED + 507,
                [-1, 2, 5, 7],
                version,
                nan=True,
                weights=True,
            ),
        ),
        Case(
            "hgb_classifier_ten_classes",
            "HistGradientBoostingClassifier, 10 int classes: scikit-learn's softmax sums the "
            "10 columns left to right (its raw scores are Fortran-ordered).",
            _hgb_clf(C(max_iter=8, random_state=12), SEED + 513, list(range(10)), version),
        ),
        Case(
            "hgb_early_stopping",
            "HistGradientBoostingClassifier(early_stopping=True), 3 classes: stops before "
            "max_iter; train_score_ and validation_score_ saved.",
            _hgb_early_stopping(version),
        ),
        Case(
            "hgb_categorical",
            "HistGradientBoostingRegressor(categorical_features=[1, 3]) on numpy: categorical "
            "splits; test rows with unknown, NaN, negative, non-integer and large categories.",
            _hgb_categorical(
                R(max_iter=30, categorical_features=[1, 3], random_state=8), SEED + 508, version
            ),
        ),
        Case(
            "hgb_categorical_dataframe",
            "HistGradientBoostingClassifier on a DataFrame, categorical_features by name "
            "(income, score): feature names, input.csv.",
            _hgb_categorical(
                C(max_iter=20, categorical_features=["income", "score"], random_state=9),
                SEED + 509,
                version,
                frame=True,
                labels=["high", "low"],
            ),
            feature_names=True,
        ),
        Case(
            "hgb_inference_only",
            "HistGradientBoostingClassifier (3 classes, categorical features 1 and 3) saved "
            "with inference_only=True: leaf values only, no training statistics.",
            _hgb_categorical(
                C(max_iter=15, categorical_features=[1, 3], random_state=10),
                SEED + 510,
                version,
                labels=[0, 1, 2],
            ),
            dump_options={"inference_only": True},
        ),
    ]
    if _at_least(version, (1, 4)):  # 1.3 takes only integer categories below max_bins
        cases.append(
            Case(
                "hgb_categorical_values",
                "HistGradientBoostingRegressor, feature 2 categorical with the categories -1, "
                "0, 0.5, 3, 1000, 1e6 (category_values): test rows at, beside and between "
                "them.",
                _hgb_categorical_values(version),
            )
        )
    return cases


# ---------------------------------------------------------------------- gradient boosting

#: Tolerances of GradientBoosting outputs that go through exp or log (numpy's SIMD ones on
#: AVX-512 machines, the C library's, a reader's: each may differ by an ulp): every
#: probability, and the raw scores of a custom init whose link takes logs
#: (spec/estimators.md, "Transcendental functions" and "Boosting").
GB_RTOL = 1e-15
GB_ATOL = 1e-15


def _gb_libm_init(init_link: int, eps: float, output: np.ndarray) -> np.ndarray:
    """What a reader computes from an init's output (spec/estimators.md, "Boosting"), with
    the C library's log and log1p (math.log, math.log1p) and numpy's pairwise sums."""
    from amber._sklearn.gradient_boosting import _logit_log1p

    if init_link == pb.BOOSTING_INIT_LINK_PREDICT:
        return np.asarray(output).astype(np.float64).reshape(len(output), -1)
    binary = init_link in (
        pb.BOOSTING_INIT_LINK_LOGIT,
        pb.BOOSTING_INIT_LINK_HALF_LOGIT,
        pb.BOOSTING_INIT_LINK_LOGIT_LOG1P,
        pb.BOOSTING_INIT_LINK_HALF_LOGIT_LOG1P,
    )
    q = np.clip(np.asarray(output, dtype=np.float64), eps, 1 - eps)
    if binary:
        plain = init_link in (pb.BOOSTING_INIT_LINK_LOGIT, pb.BOOSTING_INIT_LINK_HALF_LOGIT)
        f = (lambda v: math.log(v / (1 - v))) if plain else _logit_log1p
        half = init_link in (
            pb.BOOSTING_INIT_LINK_HALF_LOGIT,
            pb.BOOSTING_INIT_LINK_HALF_LOGIT_LOG1P,
        )
        return np.array([[0.5 * f(v) if half else f(v)] for v in q[:, 1]])
    logs = np.array([[math.log(v) for v in row] for row in q])
    if init_link == pb.BOOSTING_INIT_LINK_LOG:
        return logs
    out = np.empty_like(q)
    for i, row in enumerate(q):
        gmean = math.exp(np.add.reduce(logs[i]) / q.shape[1])
        out[i] = [math.log(v / gmean) for v in row]
    return out


def _gb_reference(est, X: np.ndarray) -> dict[str, np.ndarray]:
    """Every output of a GradientBoosting model as the spec computes it, with the C library's
    transcendental functions: raw scores (init, then each tree's scaled leaf in order), then
    the link and the decision. Returns {method: expected reader output}."""
    from amber._sklearn import gradient_boosting as gb

    link, decision, init_link, eps = gb._semantics(est)
    X32 = np.ascontiguousarray(X, dtype=np.float32)
    n, k = X.shape[0], est.estimators_.shape[1]
    init = est.init_
    if isinstance(init, str) or gb._constant_dummy(init):
        raw = np.tile(gb._baseline(est), (n, 1))
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            out = (
                init.predict(X32)
                if init_link == pb.BOOSTING_INIT_LINK_PREDICT
                else (init.predict_proba(X32))
            )
        raw = _gb_libm_init(init_link, eps, out)
    scale = float(est.learning_rate)
    for stage in est.estimators_:
        for c, tree in enumerate(stage):
            raw[:, c] = raw[:, c] + scale * tree.tree_.predict(X32).reshape(n, -1)[:, 0]
    if link == pb.BOOSTING_LINK_IDENTITY:
        return {"predict": raw[:, 0]}
    if link in (pb.BOOSTING_LINK_LOGISTIC, pb.BOOSTING_LINK_HALF_LOGISTIC):
        r = raw[:, 0] if link == pb.BOOSTING_LINK_LOGISTIC else 2.0 * raw[:, 0]
        p1 = np.array([1.0 / (1.0 + math.exp(-v)) for v in r])
        proba = np.column_stack([1.0 - p1, p1])
    else:
        proba = np.empty_like(raw)
        for i, row in enumerate(raw):
            m = row.max()
            if link == pb.BOOSTING_LINK_SOFTMAX:
                e = np.array([math.exp(v - m) for v in row])
                proba[i] = e / np.add.reduce(e)
            else:
                m = m if math.isfinite(m) else 0.0
                lse = math.log(np.add.reduce(np.array([math.exp(v - m) for v in row]))) + m
                proba[i] = np.nan_to_num(np.array([math.exp(v - lse) for v in row]))
    if decision == pb.BOOSTING_DECISION_PROBA_ARGMAX:
        index = np.argmax(proba, axis=1)
    elif k == 1:
        at_least = decision == pb.BOOSTING_DECISION_RAW_AT_LEAST_ZERO
        index = (raw[:, 0] >= 0 if at_least else raw[:, 0] > 0).astype(int)
    else:
        index = np.argmax(raw, axis=1)
    return {
        "predict": est.classes_[index],
        "predict_proba": proba,
        "decision_function": raw[:, 0] if k == 1 else raw,
    }


def _gb_methods(est, X: np.ndarray) -> dict[str, dict[str, Any]]:
    """Exact where the spec's arithmetic is the same IEEE operations as scikit-learn's and no
    transcendental function comes in (raw scores from a baseline or a tree init's predict;
    labels), within GB_RTOL/GB_ATOL where exp or log do. Checks both
    against `_gb_reference` here, and that no label is decided within that tolerance."""
    from amber._sklearn import gradient_boosting as gb

    _, decision, init_link, _ = gb._semantics(est)
    ref = _gb_reference(est, X)
    custom = not (isinstance(est.init_, str) or gb._constant_dummy(est.init_))
    # Exact only without a transcendental function: a baseline, or a tree init's predict
    # (PREDICT). Every other init link takes a log (LOGIT_LOG1P: the C library's log and
    # log1p), and every probability an exp, whose results differ by an ulp between libms
    # (spec/estimators.md section 7.4): within GB_RTOL/GB_ATOL.
    raw_exact = not custom or (
        init_link == pb.BOOSTING_INIT_LINK_PREDICT and not hasattr(est.init_, "coef_")
    )
    proba_exact = False
    close = {"exact": False, "rtol": GB_RTOL, "atol": GB_ATOL}
    out: dict[str, dict[str, Any]] = {}
    for method, exact in (
        ("predict", raw_exact),
        ("predict_proba", proba_exact),
        ("decision_function", raw_exact),
    ):
        if method not in ref:
            continue
        got = getattr(est, method)(X)
        want = ref[method]
        if method == "predict" and hasattr(est, "classes_"):
            if not np.array_equal(got, want):
                raise SystemExit(f"{method}: the spec's labels differ from scikit-learn's")
            out[method] = {"exact": True}
            continue
        diff = np.abs(np.asarray(got) - want)
        if exact and np.any(diff != 0):
            raise SystemExit(f"{method} should be exact, differs by {float(diff.max())}")
        if not exact and np.any(diff > GB_ATOL + GB_RTOL * np.abs(want)):
            raise SystemExit(f"{method} differs from the spec's by {float(diff.max())}")
        out[method] = {"exact": True} if exact else close
    if hasattr(est, "classes_") and not (
        raw_exact and decision != pb.BOOSTING_DECISION_PROBA_ARGMAX
    ):
        # Labels decided on inexact numbers: refuse rows within rounding of a tie.
        basis = (
            ref["predict_proba"]
            if decision == pb.BOOSTING_DECISION_PROBA_ARGMAX
            else (
                np.column_stack([np.zeros(len(X)), ref["decision_function"]])
                if np.ndim(ref["decision_function"]) == 1
                else ref["decision_function"]
            )
        )
        top = np.sort(basis, axis=1)
        slack = 4 * (GB_ATOL + GB_RTOL * float(np.abs(basis).max()))
        if np.any(top[:, -1] - top[:, -2] <= slack):
            raise SystemExit("a test row's label is within rounding of a tie")
    return out


def _gb_fit(est, X, y, test, sample_weight=None):
    if sample_weight is None:
        est.fit(X, y)
    else:
        est.fit(X, y, sample_weight=sample_weight)
    # Threshold rows from the first tree (GradientBoosting refuses NaN: no NaN rows).
    rows = _threshold_rows(est.estimators_[0, 0], test)
    return est, X, y, np.ascontiguousarray(np.concatenate([test, rows]), dtype=np.float64)


def _gb_reg(est, seed: int):
    def build():
        X, y, test = _xy_regression(seed)
        return _gb_fit(est, X, y, test)

    return build


def _gb_clf(est, seed: int, labels: list[Any], weights: bool = False):
    def build():
        X, y, test = _xy_classes(seed, labels)
        w = np.random.RandomState(seed + 3).uniform(0.1, 3.0, len(y)) if weights else None
        return _gb_fit(est, X, y, test, w)

    return build


def _gb_cases(version: str) -> list[Case]:
    """GradientBoosting cases (written as tree cases: <case>-sk<version>)."""
    R, C = GradientBoostingRegressor, GradientBoostingClassifier
    cases = [
        Case(
            "gb_regressor_squared_error",
            "GradientBoostingRegressor (squared_error): raw = mean + 0.1 * each tree in turn.",
            _gb_reg(R(n_estimators=40, max_depth=3, random_state=0), SEED + 600),
        ),
        Case(
            "gb_regressor_absolute_error",
            "GradientBoostingRegressor(loss='absolute_error'): starts from the median.",
            _gb_reg(R(loss="absolute_error", n_estimators=30, random_state=1), SEED + 601),
        ),
        Case(
            "gb_regressor_huber",
            "GradientBoostingRegressor(loss='huber', alpha=0.8).",
            _gb_reg(R(loss="huber", alpha=0.8, n_estimators=30, random_state=2), SEED + 602),
        ),
        Case(
            "gb_regressor_quantile",
            "GradientBoostingRegressor(loss='quantile', alpha=0.25): starts from the quantile.",
            _gb_reg(R(loss="quantile", alpha=0.25, n_estimators=30, random_state=3), SEED + 603),
        ),
        Case(
            "gb_regressor_subsample",
            "GradientBoostingRegressor(subsample=0.6, max_features=2): oob_scores_.",
            _gb_reg(R(n_estimators=30, subsample=0.6, max_features=2, random_state=4), SEED + 604),
        ),
        Case(
            "gb_regressor_init_zero",
            "GradientBoostingRegressor(init='zero', learning_rate=0.3): raw starts at 0.",
            _gb_reg(R(init="zero", learning_rate=0.3, n_estimators=30, random_state=5), SEED + 605),
        ),
        Case(
            "gb_regressor_init_tree",
            "GradientBoostingRegressor(init=DecisionTreeRegressor(max_depth=3)): a nested init "
            "estimator run on the float32-rounded input.",
            _gb_reg(
                R(
                    init=DecisionTreeRegressor(max_depth=3, random_state=0),
                    n_estimators=20,
                    random_state=9,
                ),
                SEED + 606,
            ),
        ),
        Case(
            "gb_regressor_early_stopping",
            "GradientBoostingRegressor(n_iter_no_change=3): fewer stages than n_estimators.",
            _gb_reg(
                R(
                    n_estimators=300,
                    learning_rate=0.3,
                    n_iter_no_change=3,
                    validation_fraction=0.2,
                    random_state=6,
                ),
                SEED + 607,
            ),
        ),
        Case(
            "gb_classifier_binary_strings",
            "GradientBoostingClassifier (log_loss), string labels: LOGISTIC.",
            _gb_clf(C(n_estimators=30, random_state=0), SEED + 610, ["neg", "pos"]),
        ),
        Case(
            "gb_classifier_multiclass",
            "GradientBoostingClassifier (log_loss), 4 int classes: one tree per class per stage.",
            _gb_clf(C(n_estimators=20, max_depth=2, random_state=1), SEED + 611, [0, 1, 2, 3]),
        ),
        Case(
            "gb_classifier_nine_classes",
            "GradientBoostingClassifier on 9 classes: row sums in numpy's pairwise order.",
            _gb_clf(
                C(n_estimators=5, max_depth=2, random_state=2), SEED + 612, list(range(10, 19))
            ),
        ),
        Case(
            "gb_classifier_exponential",
            "GradientBoostingClassifier(loss='exponential'), labels {-1, 1}: HALF_LOGISTIC.",
            _gb_clf(C(loss="exponential", n_estimators=30, random_state=3), SEED + 613, [-1, 1]),
        ),
        Case(
            "gb_classifier_sample_weight",
            "GradientBoostingClassifier fitted with non-integer sample_weight, 3 classes.",
            _gb_clf(C(n_estimators=15, random_state=4), SEED + 614, [0, 1, 2], weights=True),
        ),
        Case(
            "gb_classifier_subsample_best_first",
            "GradientBoostingClassifier(subsample=0.7, max_leaf_nodes=6): best-first trees "
            "(node_ids), oob_scores_.",
            _gb_clf(
                C(n_estimators=20, subsample=0.7, max_leaf_nodes=6, random_state=5),
                SEED + 615,
                ["a", "b"],
            ),
        ),
        Case(
            "gb_classifier_init_zero",
            "GradientBoostingClassifier(init='zero'), 3 classes.",
            _gb_clf(C(init="zero", n_estimators=15, random_state=6), SEED + 616, [0, 1, 2]),
        ),
        Case(
            "gb_classifier_init_tree_binary",
            "GradientBoostingClassifier(init=DecisionTreeClassifier(max_depth=2)): the tree's "
            "probabilities clipped, then the logit.",
            _gb_clf(
                C(
                    init=DecisionTreeClassifier(max_depth=2, random_state=0),
                    n_estimators=15,
                    random_state=10,
                ),
                SEED + 617,
                [0, 1],
            ),
        ),
        Case(
            "gb_classifier_init_tree_exponential",
            "GradientBoostingClassifier(loss='exponential', init=DecisionTreeClassifier): half "
            "the logit.",
            _gb_clf(
                C(
                    loss="exponential",
                    init=DecisionTreeClassifier(max_depth=3, random_state=0),
                    n_estimators=15,
                    random_state=11,
                ),
                SEED + 618,
                ["x", "y"],
            ),
        ),
        Case(
            "gb_classifier_init_forest_multiclass",
            "GradientBoostingClassifier(init=RandomForestClassifier), 3 classes: log of the "
            "forest's probabilities.",
            _gb_clf(
                C(
                    init=RandomForestClassifier(n_estimators=4, max_depth=3, random_state=0),
                    n_estimators=10,
                    random_state=7,
                ),
                SEED + 619,
                [0, 1, 2],
            ),
        ),
        Case(
            "gb_classifier_inference_only",
            "GradientBoostingClassifier saved with inference_only=True: leaf values only.",
            _gb_clf(C(n_estimators=20, random_state=8), SEED + 620, [0, 1, 2]),
            dump_options={"inference_only": True},
        ),
    ]
    if not _at_least(version, (1, 4)):
        # From 1.4 an init is fitted on float32 input with float32 coefficients, which no
        # Linear body holds; 1.3's LogisticRegression keeps float64 ones.
        cases.append(
            Case(
                "gb_classifier_init_logistic",
                "GradientBoostingClassifier(init=LogisticRegression()) (scikit-learn < 1.4).",
                _gb_clf(
                    C(init=LogisticRegression(), n_estimators=10, random_state=12),
                    SEED + 621,
                    [0, 1],
                ),
            )
        )
    return cases


#: The per-version cases of the newer families, each a module beside this file with a
#: `cases(version, generate) -> list[Case]` (written once per scikit-learn version of
#: CORPUS_VERSIONS, named `<case>-sk<version>`, like the tree cases). A family adds its
#: module here.
FAMILY_MODULES = [
    "gen_compose",
    "gen_impute",
    "gen_encoders",
    "gen_hgb_dtype",
    "gen_search",
    "gen_voting",
    "gen_stacking",
    "gen_calibration",
    "gen_target",
    "gen_multiclass",
    "gen_multi_output",
    "gen_ensembles",
]


def _family_modules() -> list[Any]:
    import importlib

    sys.path.insert(0, str(HERE))
    return [importlib.import_module(name) for name in FAMILY_MODULES]


def _family_cases(version: str) -> list[Case]:
    out: list[Case] = []
    for module in _family_modules():
        # Each module builds its cases with this module's helpers, passed in (importing
        # the generator from the module would run it twice).
        out += module.cases(version, sys.modules[__name__])
    return out


def tree_case_names(version: str) -> list[str]:
    """The names of a version's per-version cases (trees and the newer families), without
    building them."""
    return [c.name for c in _tree_cases(version) + _family_cases(version)]


#: The scikit-learn that writes the linear cases and the invalid files.
PINNED = _pinned_version()

#: The cases this run writes: the linear ones (only under the pinned scikit-learn) and the
#: tree cases of the running version.
CASES = (LINEAR_CASES if VERSION == PINNED else []) + (
    _tree_cases(VERSION) + _family_cases(VERSION) if VERSION in CORPUS_VERSIONS else []
)


# ---------------------------------------------------------------------------- tolerances


def _pow10_ceil(x: float) -> float:
    """The smallest power of ten >= x (so a stated tolerance is at most 10x loose)."""
    return float(f"1e{math.ceil(math.log10(x))}") if x > 0 else 0.0


def _linear_step(est) -> tuple[Any, Any]:
    """(the linear estimator, a function mapping the raw input to its input); a search is
    its best estimator."""
    if hasattr(est, "best_estimator_"):
        return _linear_step(est.best_estimator_)
    if isinstance(est, Pipeline):
        head = est[:-1]
        lin, inner = _linear_step(est.steps[-1][1])
        return lin, lambda X: inner(head.transform(X))
    return est, lambda X: X


def _score_atol(est, X: np.ndarray) -> float:
    """1e-12 x the largest sum of |terms| of any score: x_j * w_kj and the intercept.

    A sum of m terms computed in another order differs by at most about m * eps * sum|terms|
    (eps = 2.2e-16); 1e-12 leaves a margin of > 100x for these small models.
    """
    lin, head = _linear_step(est)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # a plain array into a named model
        Z = head(X)
    Z = np.asarray(Z.toarray() if hasattr(Z, "toarray") else Z, dtype=np.float64)
    coef = np.atleast_2d(lin.coef_)
    intercept = np.broadcast_to(np.asarray(lin.intercept_, dtype=np.float64), coef.shape[:1])
    terms = np.abs(Z) @ np.abs(coef).T + np.abs(intercept)
    return _pow10_ceil(1e-12 * float(terms.max()))


def _check_label_margins(est, X: np.ndarray, atol: float) -> None:
    """Labels are compared exactly: refuse test rows whose top two scores nearly tie."""
    lin, head = _linear_step(est)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        scores = np.asarray(lin.decision_function(head(X)))  # sparse or dense: same scores
    if scores.ndim == 1:
        margin = np.abs(scores)
    else:
        top = np.sort(scores, axis=1)
        margin = top[:, -1] - top[:, -2]
    worst = margin.min()
    slack = 4 * (atol + RTOL * np.abs(scores).max())
    if worst <= slack:
        raise SystemExit(f"a test row's label is within {worst} of a tie (need > {slack})")


#: Normalizer(norm="l2"): numpy's einsum sums the squares in SIMD lanes, an order a reader
#: need not reproduce; the outputs (|z| <= 1) are compared within this tolerance.
NORMALIZER_L2_TOL = 1e-15


def _methods(est, X: Any) -> dict[str, dict[str, Any]]:
    """`X` is the test input as the model takes it (a DataFrame for a model fitted on one:
    a ColumnTransformer selects by name); the tree families compute on its array."""
    out: dict[str, dict[str, Any]] = {}
    if hasattr(est, "best_estimator_") and hasattr(est, "cv_results_"):
        # A search predicts with its refitted best estimator, and compares as it does.
        return _methods(est.best_estimator_, X)
    if (
        isinstance(X, pd.DataFrame)
        and all(t.kind in "biuf" for t in X.dtypes)
        and (
            hasattr(est, "tree_")
            or hasattr(est, "estimators_")
            or hasattr(est, "_predictors")
            or isinstance(est, IsolationForest)
        )
    ):
        X = X.to_numpy(dtype=np.float64)
    if isinstance(est, IsolationForest):
        return _iforest_methods(est, X)
    if isinstance(est, (HistGradientBoostingClassifier, HistGradientBoostingRegressor)):
        return _hgb_methods(est, X)
    if isinstance(est, (GradientBoostingClassifier, GradientBoostingRegressor)):
        return _gb_methods(est, X)
    if hasattr(est, "tree_") or hasattr(est, "estimators_"):
        # Trees: comparisons and table look-ups, sums in scikit-learn's order: bitwise.
        for method in ("predict", "predict_proba"):
            if hasattr(est, method):
                out[method] = {"exact": True}
        return out
    for method in METHODS:
        if not hasattr(est, method):
            continue
        if method == "transform" and isinstance(est, Normalizer) and est.norm == "l2":
            # einsum's SIMD sum of squares, in an order of its own (spec/estimators.md
            # section 12): outputs are at most 1 in magnitude and differ by an ulp or two.
            out[method] = {"exact": False, "rtol": NORMALIZER_L2_TOL, "atol": NORMALIZER_L2_TOL}
            continue
        if method == "transform":
            # StandardScaler, FeatureAffine, Binarizer, Normalizer l1/max: one IEEE operation
            # per step, in numpy's order.
            out[method] = {"exact": True}
            continue
        atol = _score_atol(est, X)
        is_classifier = hasattr(est, "classes_")
        if method == "predict" and is_classifier:
            _check_label_margins(est, X, atol)
            out[method] = {"exact": True}
        elif method == "predict_proba":
            # |d proba| <= 2 max |d score| for the logistic and softmax links.
            out[method] = {"exact": False, "rtol": RTOL, "atol": _pow10_ceil(2 * atol)}
        else:
            out[method] = {"exact": False, "rtol": RTOL, "atol": atol}
    return out


# ---------------------------------------------------------------------------- writing


class Writer:
    def __init__(self, root: Path) -> None:
        self.root = root

    def write(self, rel: str, data: bytes) -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        print(f"wrote {path}")

    def npy(self, rel: str, arr: np.ndarray) -> None:
        import io

        buf = io.BytesIO()
        np.save(buf, arr, allow_pickle=False)
        self.write(rel, buf.getvalue())


def _expected(arr: Any) -> tuple[str, bytes | np.ndarray]:
    arr = np.asarray(arr)
    if arr.dtype.kind in "UO":
        # Nested lists for more than one axis (a multi-output classifier's labels [n, k]).
        if arr.ndim > 1:
            labels = np.vectorize(str, otypes=[object])(arr).tolist()
        else:
            labels = [str(v) for v in arr.tolist()]
        return ".json", (json.dumps(labels, ensure_ascii=False) + "\n")
    if arr.dtype.kind in "iub":
        return ".npy", arr.astype(np.int64)
    return ".npy", arr.astype(np.float64)


def _csv(names: list[str], X: np.ndarray, seed: int) -> bytes:
    order = np.random.RandomState(seed).permutation(len(names))
    if list(order) == list(range(len(names))):
        order = order[::-1]
    lines = [",".join(names[i] for i in order)]
    lines += [",".join(repr(float(row[i])) for i in order) for row in X]
    return ("\n".join(lines) + "\n").encode()


def _is_table(test: Any) -> bool:
    """A test input with string (object, str or category) columns: written as CSV only."""
    return isinstance(test, pd.DataFrame) and any(
        t.kind in "OUS" or str(t) in ("category", "string") for t in test.dtypes
    )


def _table_csv(test: pd.DataFrame, seed: int) -> bytes:
    """tests/vectors/README.md, "Table inputs": columns in a shuffled order, RFC 4180
    quoting, numbers as Python's repr, booleans as True/False, a missing cell empty."""
    import csv
    import io

    from pandas._libs.parsers import STR_NA_VALUES

    names = list(test.columns)
    order = np.random.RandomState(seed).permutation(len(names))
    if list(order) == list(range(len(names))):
        order = order[::-1]
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\n")
    out.writerow([names[i] for i in order])
    for row in test.itertuples(index=False):
        cells = []
        for i in order:
            v = row[i]
            if v is None or (isinstance(v, float) and math.isnan(v)):
                cells.append("")
            elif isinstance(v, (bool, np.bool_)):
                cells.append("True" if v else "False")
            elif isinstance(v, (int, float, np.integer, np.floating)):
                cells.append(repr(float(v)))
            else:
                text = str(v)
                # spec/format.md 7.1: the empty cell, NA, null, ... read as missing.
                assert text not in STR_NA_VALUES, f"{text!r} cannot be written (it is missing)"
                cells.append(text)
        out.writerow(cells)
    return buf.getvalue().encode()


def read_table_csv(data: bytes, est: Any) -> pd.DataFrame:
    """What a reader makes of `_table_csv` (README, "Table inputs"; spec/format.md 7.1):
    strings where the model's schema says string, numbers elsewhere, pandas' default missing
    strings (the empty cell, NA, null, ...) missing (NaN)."""
    import io

    schema = amber.inspect(amber.dumps(est)).get("input") or {}
    strings = [c["name"] for c in schema.get("columns", []) if c["kind"] == "string"]
    frame = pd.read_csv(io.BytesIO(data), dtype={n: object for n in strings})
    return frame


def write_case(w: Writer, case: Case) -> bytes:
    est, _, _, test = case.build()
    if _is_table(test):
        return write_table_case(w, case, est, test)
    X = np.ascontiguousarray(test, dtype=np.float64)
    base = f"valid/{case.name}"
    options = case.dump_options or {}
    model = amber.dumps(est, **options)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", amber.AmberWarning)  # inference-only files warn
        assert amber.dumps(amber.loads(model), **options) == model, case.name
    w.write(f"{base}/model.amber", model)
    w.npy(f"{base}/input.npy", X)
    names = list(getattr(est, "feature_names_in_", [])) if case.feature_names else []
    if names:
        w.write(f"{base}/input.csv", _csv(names, X, SEED))
    Xin = pd.DataFrame(X, columns=names) if names else X
    methods = case.methods(est, Xin) if case.methods else _methods(est, Xin)
    for method, spec in methods.items():
        result = getattr(est, method)(Xin)
        if spec.pop("as_f64", False):  # a bool mask a reader gives as 1.0 / 0.0
            result = np.asarray(result, dtype=np.float64)
        # A multi-output predict_proba is a list of arrays: one file per output.
        parts = [(f"{method}.{i}", r) for i, r in enumerate(result)]
        if not isinstance(result, list):
            parts = [(method, result)]
        rels = []
        for stem, part in parts:
            ext, value = _expected(part)
            rel = f"expected/{stem}{ext}"
            if ext == ".json":
                w.write(f"{base}/{rel}", value.encode())  # type: ignore[union-attr]
            else:
                w.npy(f"{base}/{rel}", value)  # type: ignore[arg-type]
            rels.append(rel)
        expected: Any = rels if isinstance(result, list) else rels[0]
        methods[method] = {"expected": expected, **spec}
    meta = {
        "name": case.name,
        "description": case.description,
        "producer_type": amber.inspect(model)["estimator"]["producer_type"],
        "library": "scikit-learn",
        "library_version": sklearn.__version__,
        "format_version": "1.0",
        "model": "model.amber",
        "input": "input.npy",
        "input_csv": "input.csv" if names else None,
        "methods": methods,
    }
    w.write(f"{base}/case.json", _json(meta).encode())
    return model


def write_table_case(w: Writer, case: Case, est: Any, test: pd.DataFrame) -> bytes:
    """A case whose input holds strings: `input.csv` only (`"input": null`), the expected
    outputs computed by scikit-learn on the CSV as a reader reads it."""
    base = f"valid/{case.name}"
    options = case.dump_options or {}
    model = amber.dumps(est, **options)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", amber.AmberWarning)  # inference-only files warn
        assert amber.dumps(amber.loads(model), **options) == model, case.name
    w.write(f"{base}/model.amber", model)
    data = _table_csv(test, SEED)
    w.write(f"{base}/input.csv", data)
    frame = read_table_csv(data, est)[list(est.feature_names_in_)]
    methods = case.methods(est, frame) if case.methods else {}
    for method, spec in methods.items():
        result = getattr(est, method)(frame)
        # A multi-output predict_proba is a list of arrays: one file per output.
        parts = [(f"{method}.{i}", r) for i, r in enumerate(result)]
        if not isinstance(result, list):
            parts = [(method, result)]
        rels = []
        for stem, part in parts:
            ext, value = _expected(part)
            rel = f"expected/{stem}{ext}"
            if ext == ".json":
                w.write(f"{base}/{rel}", value.encode())  # type: ignore[union-attr]
            else:
                w.npy(f"{base}/{rel}", value)  # type: ignore[arg-type]
            rels.append(rel)
        methods[method] = {"expected": rels if isinstance(result, list) else rels[0], **spec}
    meta = {
        "name": case.name,
        "description": case.description,
        "producer_type": amber.inspect(model)["estimator"]["producer_type"],
        "library": "scikit-learn",
        "library_version": sklearn.__version__,
        "format_version": "1.0",
        "model": "model.amber",
        "input": None,
        "input_csv": "input.csv",
        "methods": methods,
    }
    w.write(f"{base}/case.json", _json(meta).encode())
    return model


# ---------------------------------------------------------------------------- invalid files


def _parts(model: bytes) -> tuple[_container.Header, pb.Manifest, bytes]:
    c = _container.read_container(model)
    return c.header, c.manifest, bytes(c.data)


def _reframe(manifest: pb.Manifest, data: bytes, **header: Any) -> bytes:
    return _container.frame(manifest.SerializeToString(deterministic=True), data, **header)


def _edit_manifest(model: bytes, edit: Callable[[pb.Manifest], None]) -> bytes:
    _, m, data = _parts(model)
    edit(m)
    return _reframe(m, data)


def _edit_header(model: bytes, **fields: Any) -> bytes:
    h, _, _ = _parts(model)
    values = {k: v for k, v in h.__dict__.items() if k != "header_crc32"}
    values.update(fields)
    return _container.pack_header(**values) + model[64:]


def _flip(data: bytes, at: int, bit: int = 0) -> bytes:
    out = bytearray(data)
    out[at] ^= 1 << bit
    return bytes(out)


def _set_attr(path: str, value: Any) -> Callable[[pb.Manifest], None]:
    def edit(m: pb.Manifest) -> None:
        obj: Any = m
        *parents, last = path.split(".")
        for p in parents:
            obj = obj[int(p)] if p.isdigit() else getattr(obj, p)
        if isinstance(obj, pb.TensorInfo) and last == "shape":
            del obj.shape[:]
            obj.shape.extend(value)
        else:
            setattr(obj, last, value)

    return edit


#: Cases an invalid file may be derived from, in order of preference.
INVALID_BASES = ("logistic_binary", "logistic_float_labels", "logistic_multiclass")


def _usable_base(model: bytes) -> bool:
    """A linear body, >= 3 tensors and manifest padding (not every manifest length has it)."""
    h, m, _ = _parts(model)
    return (
        m.estimator.WhichOneof("body") == "linear"
        and len(m.tensors) >= 3
        and (64 + h.manifest_length) % 64 != 0
    )


def invalid_base(models: dict[str, bytes]) -> str:
    for name in INVALID_BASES:
        if _usable_base(models[name]):
            return name
    raise SystemExit(f"none of {INVALID_BASES} can serve as the base of the invalid files")


def invalid_files(model: bytes) -> list[tuple[str, str, str, bytes]]:
    """(name, code, description, bytes) for each invalid file, derived from `model`.

    `model` is a LogisticRegression (tensors coef_, intercept_ and attributes/n_iter_)
    whose manifest is followed by padding: see `_usable_base`.
    """
    h, m, data = _parts(model)
    assert _usable_base(model)
    first = m.tensors[0]
    pad_at = 64 + h.manifest_length  # first manifest padding byte
    gap_at = h.data_offset + first.offset + first.length  # first data padding byte
    wrong_magic = b"\x89AMX\r\n\x1a\n"
    out = [
        (
            "bad_magic",
            "E_MAGIC",
            "byte 3 of the magic changed (header CRC recomputed)",
            _edit_header(model, magic=wrong_magic),
        ),
        (
            "text_mode_crlf",
            "E_MAGIC",
            "every LF turned into CRLF, as a text-mode transfer does",
            model.replace(b"\n", b"\r\n"),
        ),
        ("empty_file", "E_TRUNCATED", "zero bytes (a prefix of the magic)", b""),
        ("truncated_header", "E_TRUNCATED", "only the first 40 bytes of the header", model[:40]),
        (
            "truncated_data",
            "E_TRUNCATED",
            "the last 5 bytes of the data section removed",
            model[:-5],
        ),
        ("trailing_bytes", "E_TRAILING_BYTES", "one zero byte appended", model + b"\0"),
        (
            "header_bit_flip",
            "E_HEADER_CHECKSUM",
            "one bit of data_length flipped, CRC kept",
            _flip(model, 32, 3),
        ),
        (
            "unknown_major",
            "E_VERSION",
            "major version 2 (header CRC recomputed)",
            _edit_header(model, major=2),
        ),
        (
            "reserved_flags",
            "E_HEADER",
            "flags = 1 (header CRC recomputed)",
            _edit_header(model, flags=1),
        ),
        (
            "reserved_header_bytes",
            "E_HEADER",
            "reserved bytes 52..60 not zero (CRC recomputed)",
            _edit_header(model, reserved=b"\0\0\0\0\0\0\0\x01"),
        ),
        (
            "bad_data_offset",
            "E_HEADER",
            "data_offset + 64, file_length to match (CRC recomputed)",
            _edit_header(model, data_offset=h.data_offset + 64, file_length=h.file_length + 64),
        ),
        (
            "manifest_bit_flip",
            "E_MANIFEST_CHECKSUM",
            "one bit of the manifest flipped",
            _flip(model, 64 + h.manifest_length // 2, 1),
        ),
        (
            "nonzero_padding",
            "E_PADDING",
            "the first padding byte after the manifest is 1",
            _flip(model, pad_at),
        ),
        (
            "manifest_not_protobuf",
            "E_MANIFEST_DECODE",
            "the manifest is a length-delimited field cut short (manifest CRC valid)",
            _container.frame(b"\x0a\x10not protobuf", data),
        ),
        (
            "unknown_required_feature",
            "E_FEATURE",
            "required_features lists x-unknown-feature",
            _edit_manifest(model, lambda m: m.required_features.append("x-unknown-feature")),
        ),
        (
            "empty_tensor_name",
            "E_TENSOR_NAME",
            "tensor 1 has an empty name",
            _edit_manifest(model, _set_attr("tensors.1.name", "")),
        ),
        (
            "duplicate_tensor_name",
            "E_TENSOR_NAME",
            "tensor 1 has the name of tensor 0",
            _edit_manifest(model, _set_attr("tensors.1.name", first.name)),
        ),
        (
            "unknown_dtype",
            "E_DTYPE",
            "tensor 0 has dtype 99",
            _edit_manifest(model, _set_attr("tensors.0.dtype", 99)),
        ),
        (
            "rank_too_high",
            "E_LIMIT",
            "tensor 1 has shape [1]*9 (rank 9 > MAX_RANK 8)",
            _edit_manifest(model, _set_attr("tensors.1.shape", [1] * 9)),
        ),
        (
            "bad_tensor_length",
            "E_SHAPE",
            "tensor 0's length is 8 more than its shape needs",
            _edit_manifest(model, _set_attr("tensors.0.length", first.length + 8)),
        ),
        (
            "misaligned_tensor_offset",
            "E_TENSOR_LAYOUT",
            "tensor 1's offset moved by 8 bytes",
            _edit_manifest(model, _set_attr("tensors.1.offset", m.tensors[1].offset + 8)),
        ),
        (
            "bad_data_length",
            "E_TENSOR_LAYOUT",
            "64 zero bytes after the last tensor, inside data_length",
            _container.frame(m.SerializeToString(deterministic=True), data + bytes(64)),
        ),
        (
            "nonzero_data_padding",
            "E_PADDING",
            "the first padding byte after tensor 0 is 1",
            _flip(model, gap_at),
        ),
        (
            "tensor_bit_flip",
            "E_TENSOR_CHECKSUM",
            "one bit of tensor 0 flipped",
            _flip(model, h.data_offset + 3, 6),
        ),
        (
            "no_estimator",
            "E_MODEL",
            "the manifest has no estimator",
            _edit_manifest(model, lambda m: m.ClearField("estimator")),
        ),
        (
            "no_estimator_body",
            "E_UNKNOWN_ESTIMATOR",
            "the estimator has no body",
            _edit_manifest(model, lambda m: m.estimator.ClearField("linear")),
        ),
        (
            "missing_tensor_ref",
            "E_TENSOR_REF",
            "linear.coef names a tensor not in the table",
            _edit_manifest(model, _set_attr("estimator.linear.coef", "no_such_tensor")),
        ),
        (
            "unspecified_link",
            "E_MODEL",
            "linear.link is LINEAR_LINK_UNSPECIFIED",
            _edit_manifest(model, _set_attr("estimator.linear.link", 0)),
        ),
    ]
    return [(name, code, desc, blob) for name, code, desc, blob in out]


#: The tree case the TreeEnsemble-rule invalid files are derived from.
TREE_INVALID_BASE = "decision_tree_regressor"


def _edit_tensor(model: bytes, name: str, edit: Callable[[np.ndarray], None]) -> bytes:
    """`model` with tensor `name`'s bytes changed by `edit` (in place, on a writable copy of
    its elements) and its CRC-32 recomputed, so only the estimator rules can object."""
    _, m, data = _parts(model)
    buf = bytearray(data)
    info = next(t for t in m.tensors if t.name == name)
    dtype = {pb.DTYPE_U8: "<u1", pb.DTYPE_U32: "<u4", pb.DTYPE_U64: "<u8", pb.DTYPE_F64: "<f8"}
    view = np.frombuffer(
        buf,
        dtype=dtype[info.dtype],
        count=info.length // np.dtype(dtype[info.dtype]).itemsize,
        offset=info.offset,
    )
    arr = view.copy()
    edit(arr)
    buf[info.offset : info.offset + info.length] = arr.tobytes()
    info.crc32 = zlib.crc32(bytes(buf[info.offset : info.offset + info.length]))
    return _reframe(m, bytes(buf))


def tree_invalid_files(model: bytes) -> list[tuple[str, str, str, bytes]]:
    """(name, code, description, bytes): one broken TreeEnsemble rule each
    (spec/estimators.md section 5.2), every checksum recomputed."""
    _, m, _ = _parts(model)
    t = m.estimator.tree_ensemble
    n_features = m.estimator.n_features_in

    def records(edit: Callable[[np.ndarray], None]) -> Callable[[np.ndarray], None]:
        def on_bytes(raw: np.ndarray) -> None:
            rec = raw.view(_tree.NODE_RECORD)
            edit(rec)

        return on_bytes

    def first(rec: np.ndarray, leaf: bool) -> int:
        return int(np.flatnonzero((rec["feature"] == _tree.LEAF) == leaf)[0])

    def right_child_points_back(rec: np.ndarray) -> None:
        i = first(rec, leaf=False)
        rec["next"][i] = i  # a cycle: the right child is the node itself

    def leaf_row_out_of_range(rec: np.ndarray) -> None:
        n_rows = next(x for x in m.tensors if x.name == t.values).shape[0]
        rec["next"][first(rec, leaf=True)] = n_rows

    def feature_out_of_range(rec: np.ndarray) -> None:
        i = first(rec, leaf=False)
        rec["feature"][i] = (rec["feature"][i] & _tree.MISSING_LEFT) | n_features

    def categorical_without_categories(rec: np.ndarray) -> None:
        rec["feature"][first(rec, leaf=False)] |= _tree.CATEGORICAL

    def offsets_not_increasing(off: np.ndarray) -> None:
        off[-1] = off[-2]  # the last tree is empty

    return [
        (
            "tree_right_child_cycle",
            "E_MODEL",
            "TreeEnsemble rule 6: an internal node's right child is the node itself",
            _edit_tensor(model, t.nodes, records(right_child_points_back)),
        ),
        (
            "tree_leaf_row_out_of_range",
            "E_MODEL",
            "TreeEnsemble rule 6: a leaf points one past the last row of values",
            _edit_tensor(model, t.nodes, records(leaf_row_out_of_range)),
        ),
        (
            "tree_feature_out_of_range",
            "E_MODEL",
            "TreeEnsemble rule 6: a split on feature n_features_in",
            _edit_tensor(model, t.nodes, records(feature_out_of_range)),
        ),
        (
            "tree_categorical_without_categories",
            "E_MODEL",
            "TreeEnsemble rule 11: a categorical split in a model without categories",
            _edit_tensor(model, t.nodes, records(categorical_without_categories)),
        ),
        (
            "tree_empty_tree",
            "E_MODEL",
            "TreeEnsemble rule 2: tree_offsets ends on a repeated value (an empty tree)",
            _edit_tensor(model, t.tree_offsets, offsets_not_increasing),
        ),
    ]


def _records_of(model: bytes) -> tuple[pb.TreeEnsemble, np.ndarray]:
    """The TreeEnsemble of `model` (a tree case) and a copy of its node records."""
    c = _container.read_container(model)
    t = c.manifest.estimator.tree_ensemble
    return t, c.view(t.nodes).reshape(-1).view(_tree.NODE_RECORD).copy()


def tree_value_invalid_files(
    models: dict[str, bytes],
) -> list[tuple[str, tuple[str, str, str, bytes]]]:
    """(base case, (name, code, description, bytes)): TreeEnsemble rules 7, 8, 10 and 12 of
    spec/estimators.md section 5.2 (leaf rows, node ids, known categories, values), each
    broken once on a tree case that has what the rule is about; every checksum recomputed."""
    out = []

    def case(base: str, name: str, description: str, edit) -> None:
        full = f"{base}-sk{VERSION}"
        out.append((full, (name, "E_MODEL", description, edit(models[full]))))

    def leaves(model: bytes) -> tuple[pb.TreeEnsemble, np.ndarray, np.ndarray]:
        t, rec = _records_of(model)
        return t, rec, np.flatnonzero(rec["feature"] == _tree.LEAF)

    def swap_two_leaf_rows(model: bytes) -> bytes:
        t, _, leaf = leaves(model)
        a, b = int(leaf[0]), int(leaf[1])

        def edit(raw: np.ndarray) -> None:
            rec = raw.view(_tree.NODE_RECORD)
            rec["next"][a], rec["next"][b] = rec["next"][b], rec["next"][a]

        return _edit_tensor(model, t.nodes, edit)

    def set_value(model: bytes, output: int, column: int, value: float) -> bytes:
        t, rec, leaf = leaves(model)
        c = _container.read_container(model)
        _, n_outputs, n_columns = c.view(t.values).shape
        at = (int(rec["next"][leaf[0]]) * n_outputs + output) * n_columns + column

        def edit(values: np.ndarray) -> None:
            values[at] = value

        return _edit_tensor(model, t.values, edit)

    def root_id_not_zero(model: bytes) -> bytes:
        t, rec, _ = leaves(model)
        inner = int(np.flatnonzero(rec["feature"][1:] != _tree.LEAF)[0]) + 1

        def edit(ids: np.ndarray) -> None:
            ids[0], ids[inner] = ids[inner], ids[0]

        return _edit_tensor(model, t.node_ids, edit)

    case(
        "decision_tree_regressor",
        "tree_leaf_row_not_prescribed",
        "TreeEnsemble rule 7: values_for_every_node, and two leaves point at each other's "
        "row instead of their own node's",
        swap_two_leaf_rows,
    )
    case(
        "random_forest_inference_only",
        "tree_leaves_only_rows_out_of_order",
        "TreeEnsemble rule 7: leaves-only values, and the first two leaves point at each "
        "other's row instead of their rank",
        swap_two_leaf_rows,
    )
    case(
        "decision_tree_regressor",
        "tree_leaf_value_nan",
        "TreeEnsemble rule 12: a leaf's value is NaN",
        lambda m: set_value(m, 0, 0, float("nan")),
    )
    case(
        "decision_tree_regressor",
        "tree_leaf_value_infinite",
        "TreeEnsemble rule 12: a leaf's value is +infinity",
        lambda m: set_value(m, 0, 0, float("inf")),
    )
    case(
        "decision_tree_classifier",
        "tree_classifier_negative_value",
        "TreeEnsemble rule 12: a classifier leaf's class weight is negative",
        lambda m: set_value(m, 0, 0, -0.25),
    )
    case(
        "random_forest_multi_output_classifier",
        "tree_classifier_nonzero_padding",
        "TreeEnsemble rule 12: the padding column of a 2-class output (of 3 columns) is not 0",
        lambda m: set_value(m, 1, 2, 0.5),
    )

    def known_code_0_unknown(model: bytes) -> bytes:
        t = _container.read_container(model).manifest.estimator.boosting.trees

        def edit(words: np.ndarray) -> None:
            words[0] &= ~np.uint32(1)  # feature row 0: code 0 (its first value) not known

        return _edit_tensor(model, t.known_categories, edit)

    case(
        "hgb_categorical",
        "tree_known_categories_not_the_codes",
        "TreeEnsemble rule 10: with category_values, a feature's known categories leave out "
        "code 0, one of its values' codes",
        known_code_0_unknown,
    )

    def numeric_split_on_categorical(model: bytes) -> bytes:
        c = _container.read_container(model)
        t = c.manifest.estimator.boosting.trees
        cats = c.view(t.categorical_features)
        rec = c.view(t.nodes).reshape(-1).view(_tree.NODE_RECORD)
        inner = (rec["feature"] != _tree.LEAF) & ((rec["feature"] & _tree.CATEGORICAL) == 0)
        i = int(np.flatnonzero(inner)[0])

        def edit(raw: np.ndarray) -> None:
            r = raw.view(_tree.NODE_RECORD)
            r["feature"][i] = (r["feature"][i] & _tree.MISSING_LEFT) | np.uint32(cats[0])

        return _edit_tensor(model, t.nodes, edit)

    case(
        "hgb_categorical",
        "tree_numeric_split_on_categorical_feature",
        "TreeEnsemble rule 11: a numeric split on a feature of categorical_features",
        numeric_split_on_categorical,
    )

    def scaler_element(field: str, value: float) -> Callable[[bytes], bytes]:
        def edit_model(model: bytes) -> bytes:
            name = getattr(
                _container.read_container(model).manifest.estimator.standard_scaler, field
            )

            def edit(values: np.ndarray) -> None:
                values[1] = value

            return _edit_tensor(model, name, edit)

        return edit_model

    out.append(
        (
            "standard_scaler",
            (
                "scaler_mean_nan",
                "E_MODEL",
                "StandardScaler rule 2: an element of mean is NaN",
                scaler_element("mean", float("nan"))(models["standard_scaler"]),
            ),
        )
    )
    out.append(
        (
            "standard_scaler",
            (
                "scaler_scale_zero",
                "E_MODEL",
                "StandardScaler rule 2: an element of scale is -0.0 (scales are finite and > 0)",
                scaler_element("scale", -0.0)(models["standard_scaler"]),
            ),
        )
    )

    def affine_element(field: str, value: float) -> Callable[[bytes], bytes]:
        def edit_model(model: bytes) -> bytes:
            body = _container.read_container(model).manifest.estimator.feature_affine
            name = getattr(body, field)

            def edit(values: np.ndarray) -> None:
                values[1] = value

            return _edit_tensor(model, name, edit)

        return edit_model

    def affine_width(model: bytes) -> bytes:
        def edit(m: pb.Manifest) -> None:
            m.estimator.n_features_in = N_FEATURES + 1

        return _edit_manifest(model, edit)

    def affine_clip_reversed(model: bytes) -> bytes:
        def edit(m: pb.Manifest) -> None:
            clip = m.estimator.feature_affine.clip
            clip.lo, clip.hi = clip.hi, clip.lo

        return _edit_manifest(model, edit)

    def norm_unspecified(model: bytes) -> bytes:
        def edit(m: pb.Manifest) -> None:
            m.estimator.normalizer.norm = pb.NORMALIZER_NORM_UNSPECIFIED

        return _edit_manifest(model, edit)

    def binarizer_nan(model: bytes) -> bytes:
        def edit(m: pb.Manifest) -> None:
            m.estimator.binarizer.threshold = float("nan")

        return _edit_manifest(model, edit)

    for base, name, description, damage in (
        (
            "normalizer_l2",
            "normalizer_norm_unspecified",
            "Normalizer rule 1: norm is NORMALIZER_NORM_UNSPECIFIED (0), not a known norm",
            norm_unspecified,
        ),
        (
            "binarizer",
            "binarizer_threshold_nan",
            "Binarizer rule 1: the threshold is NaN",
            binarizer_nan,
        ),
        (
            "minmax_scaler",
            "affine_wrong_width",
            "FeatureAffine rule 1: n_features_in is 5, the mul and add vectors have 4 elements",
            affine_width,
        ),
        (
            "minmax_scaler",
            "affine_add_nan",
            "FeatureAffine rule 2: an element of add is NaN",
            affine_element("add", float("nan")),
        ),
        (
            "maxabs_scaler",
            "affine_div_zero",
            "FeatureAffine rule 2: an element of div is 0.0 (divisors are finite and > 0)",
            affine_element("div", 0.0),
        ),
        (
            "minmax_scaler_clip",
            "affine_clip_reversed",
            "FeatureAffine rule 3: the clip range is [2, -1] (lo must be below hi)",
            affine_clip_reversed,
        ),
    ):
        full = f"{base}-sk{VERSION}"
        out.append((full, (name, "E_MODEL", description, damage(models[full]))))

    def baseline_infinite(model: bytes) -> bytes:
        name = _container.read_container(model).manifest.estimator.boosting.baseline

        def edit(values: np.ndarray) -> None:
            values[0] = float("inf")

        return _edit_tensor(model, name, edit)

    full = f"hgb_classifier_binary-sk{VERSION}"
    out.append(
        (
            full,
            (
                "boosting_baseline_infinite",
                "E_MODEL",
                "Boosting rule 4: the baseline is +infinity",
                baseline_infinite(models[full]),
            ),
        )
    )
    case(
        "decision_tree_best_first",
        "tree_root_node_id_not_zero",
        "TreeEnsemble rule 8: node_ids gives the tree's first record an id other than 0",
        root_id_not_zero,
    )
    return out


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(number: int, wire: int, payload: bytes = b"") -> bytes:
    """One field at the byte level: tag, then for wire type 2 the length and payload."""
    tag = _varint(number << 3 | wire)
    return tag + (_varint(len(payload)) + payload if wire == 2 else payload)


def _bytes_without(msg: Any, *fields: str) -> bytes:
    copy = type(msg)()
    copy.CopyFrom(msg)
    for f in fields:
        copy.ClearField(f)
    return copy.SerializeToString(deterministic=True)


def _with_raw(model: bytes, manifest_tail: bytes = b"", estimator_tail: bytes = b"") -> bytes:
    """`model` with raw bytes appended to its manifest and to its root estimator message."""
    _, m, data = _parts(model)
    est = m.estimator.SerializeToString(deterministic=True) + estimator_tail
    raw = _bytes_without(m, "estimator") + _field(4, 2, est) + manifest_tail
    return _container.frame(raw, data)


def _nested_lists(levels: int) -> bytes:
    """A Param whose Value holds `levels` nested one-item lists around an empty Value."""
    value = b""
    for _ in range(levels):
        value = _field(6, 2, _field(1, 2, value))  # Value.list_value { items: [value] }
    return _field(1, 2, b"zz") + _field(2, 2, value)  # Param { name, value }


def wire_invalid_files(model: bytes) -> list[tuple[str, str, str, bytes]]:
    """The strict wire profile (spec/format.md section 3.1) and check 10's limits, each
    broken once at the byte level; the manifest CRC is recomputed."""
    _, m, data = _parts(model)
    est = m.estimator
    linear = est.linear
    linear_raw = _bytes_without(linear, "link") + _field(3, 0, _varint((1 << 32) + 2))
    est_enum = _bytes_without(est, "linear") + _field(17, 2, linear_raw)
    overlong = _bytes_without(est, "n_features_in") + _field(4, 0, b"\x84\x00")
    producer = m.producer.SerializeToString(deterministic=True)
    step = _field(1, 2, _field(2, 2, b""))  # Pipeline.steps { estimator: {} }
    many_estimators = _field(18, 2, step * (MAX_ESTIMATORS + 1))
    return [
        (
            "wire_known_field_wrong_type",
            "E_MANIFEST_DECODE",
            "Manifest.producer (a message) written as a varint (W4)",
            _container.frame(_bytes_without(m, "producer") + _field(2, 0, b"\x01"), data),
        ),
        (
            "wire_singular_field_twice",
            "E_MANIFEST_DECODE",
            "Manifest.producer appears twice (W7; a runtime would merge them)",
            _with_raw(model, manifest_tail=_field(2, 2, producer)),
        ),
        (
            "wire_second_oneof_member",
            "E_MANIFEST_DECODE",
            "the estimator sets standard_scaler beside linear (W7)",
            _with_raw(model, estimator_tail=_field(16, 2, b"")),
        ),
        (
            "wire_overlong_varint",
            "E_MANIFEST_DECODE",
            "Estimator.n_features_in written as 0x84 0x00, not in shortest form (W2)",
            _container.frame(_bytes_without(m, "estimator") + _field(4, 2, overlong), data),
        ),
        (
            "wire_varint_above_64_bits",
            "E_MANIFEST_DECODE",
            "an unknown varint field whose 10th byte is 2 (W2)",
            _with_raw(model, manifest_tail=_field(15, 0, b"\xff" * 9 + b"\x02")),
        ),
        (
            "wire_invalid_utf8",
            "E_MANIFEST_DECODE",
            "a required_features entry is the byte 0xff (W6)",
            _with_raw(model, manifest_tail=_field(1, 2, b"\xff")),
        ),
        (
            "wire_bool_above_one",
            "E_MANIFEST_DECODE",
            "a param's Value.bool_value is 2 (W5)",
            _with_raw(
                model, estimator_tail=_field(2, 2, _field(1, 2, b"zz") + _field(2, 2, b"\x10\x02"))
            ),
        ),
        (
            "wire_enum_above_32_bits",
            "E_MANIFEST_DECODE",
            "Linear.link is 2^32 + 2, which a runtime would truncate to 2 (W5)",
            _container.frame(_bytes_without(m, "estimator") + _field(4, 2, est_enum), data),
        ),
        (
            "wire_group",
            "E_MANIFEST_DECODE",
            "an unknown field of wire type 3, a group start (W1)",
            _with_raw(model, manifest_tail=_varint(15 << 3 | 3)),
        ),
        (
            "wire_unknown_field_past_end",
            "E_MANIFEST_DECODE",
            "an unknown length-delimited field announcing more bytes than remain (W3)",
            _with_raw(model, manifest_tail=_varint(15 << 3 | 2) + _varint(100)),
        ),
        (
            "wire_message_depth_above_limit",
            "E_MANIFEST_DECODE",
            "a param's value nests 49 lists: a message at depth 102 > MAX_MESSAGE_DEPTH (W8)",
            _with_raw(model, estimator_tail=_field(2, 2, _nested_lists(49))),
        ),
        (
            "too_many_tensors",
            "E_LIMIT",
            f"{MAX_TENSORS + 1} tensor entries (empty ones): more than MAX_TENSORS, counted "
            "before decoding",
            _container.frame(_field(3, 2, b"") * (MAX_TENSORS + 1), b""),
        ),
        (
            "too_many_manifest_items",
            "E_LIMIT",
            f"a tensor entry whose packed shape has {MAX_MANIFEST_ITEMS} elements: more than "
            "MAX_MANIFEST_ITEMS items, counted before decoding",
            _with_raw(
                model, manifest_tail=_field(3, 2, _field(3, 2, b"\x01" * MAX_MANIFEST_ITEMS))
            ),
        ),
        (
            "too_many_estimators",
            "E_LIMIT",
            f"a pipeline of {MAX_ESTIMATORS + 1} empty steps: more than MAX_ESTIMATORS",
            _container.frame(_field(4, 2, many_estimators), b""),
        ),
        (
            "tensor_dimension_2p63",
            "E_SHAPE",
            "tensor 0 has shape [2^63, 0]: zero elements, but a dimension of 2^63 or more",
            _edit_manifest(model, _set_attr("tensors.0.shape", [1 << 63, 0])),
        ),
    ]


def e_model_files(
    models: dict[str, bytes], files: list[tuple[str, str, str, Callable[[pb.Manifest], None]]]
) -> list[tuple[str, tuple[str, str, str, bytes]]]:
    """A family's rule-breaking files, (base case, (name, "E_MODEL", description, bytes)),
    from (base case, name, description, edit): `edit` changes a copy of the base's manifest
    and the container is written again around the same tensors. The canonical writer lays
    out the table and data; the manifest is then the edited one as it is, a field without
    presence set to -0.0 included (the writer would omit it, spec/format.md section 4)."""
    out = []
    for base, name, description, edit in files:
        c = _container.read_container(models[base])
        m = pb.Manifest()
        m.CopyFrom(c.manifest)
        edit(m)
        _, laid_out, data = _parts(_container.write_container(m, c.all_tensors()))
        del m.tensors[:]
        m.tensors.extend(laid_out.tensors)
        _tree.canonicalize(m)
        out.append((base, (name, "E_MODEL", description, _reframe(m, data))))
    return out


def linear_value_invalid_files(
    models: dict[str, bytes],
) -> list[tuple[str, tuple[str, str, str, bytes]]]:
    """(base case, (name, code, description, bytes)): Linear rule 8 of spec/estimators.md
    section 3 (finite coefficients), broken once in each tensor, and Boosting rule 4b
    (no raw score can overflow)."""

    def set_first(value: float) -> Callable[[np.ndarray], None]:
        def edit(arr: np.ndarray) -> None:
            arr[0] = value

        return edit

    gb = f"gb_regressor_squared_error-sk{VERSION}"
    return [
        (
            gb,
            (
                "boosting_raw_score_can_overflow",
                "E_MODEL",
                "Boosting rule 4b: scale 1e308, so |scale| * trees * max |value| is above "
                "MAX_RAW_SCORE (a raw score could overflow)",
                _edit_manifest(models[gb], _set_attr("estimator.boosting.scale", 1e308)),
            ),
        ),
        (
            "logistic_binary",
            (
                "linear_coef_nan",
                "E_MODEL",
                "Linear rule 8: coef_[0] is NaN",
                _edit_tensor(models["logistic_binary"], "coef_", set_first(float("nan"))),
            ),
        ),
        (
            "linear_regression",
            (
                "linear_intercept_infinite",
                "E_MODEL",
                "Linear rule 8: the intercept is -inf",
                _edit_tensor(models["linear_regression"], "intercept_", set_first(float("-inf"))),
            ),
        ),
    ]


#: One invalid file per enum field that spec/format.md section 3.2 requires set, left
#: UNSPECIFIED (0) in a valid case that has it (the fields whose UNSPECIFIED is refused by
#: a body rule rather than by check 15's pass 1, and those the older files below already
#: cover, are not repeated): (name, base case, field path, code, what the description says).
ENUM_UNSPECIFIED = (
    (
        "tensor_dtype_unspecified",
        "logistic_binary",
        "tensors.0.dtype",
        "E_DTYPE",
        "tensors[0].dtype is DTYPE_UNSPECIFIED (check 12)",
    ),
    (
        "input_column_kind_unspecified",
        "column_transformer_weights",
        "input.columns.0.kind",
        "E_MODEL",
        "input.columns[0].kind is COLUMN_KIND_UNSPECIFIED (check 15, end of pass 1)",
    ),
    (
        "one_hot_encoder_dtype_unspecified",
        "one_hot_encoder_numeric",
        "estimator.one_hot_encoder.dtype",
        "E_MODEL",
        "OneHotEncoder.dtype is DTYPE_UNSPECIFIED",
    ),
    (
        "ordinal_encoder_unknown_unspecified",
        "ordinal_encoder_unknown_nan",
        "estimator.ordinal_encoder.unknown",
        "E_MODEL",
        "OrdinalEncoder.unknown is ORDINAL_UNKNOWN_UNSPECIFIED",
    ),
    (
        "ordinal_encoder_dtype_unspecified",
        "ordinal_encoder_unknown_nan",
        "estimator.ordinal_encoder.dtype",
        "E_MODEL",
        "OrdinalEncoder.dtype is DTYPE_UNSPECIFIED",
    ),
    (
        "voting_rule_unspecified",
        "voting_hard_weighted",
        "estimator.voting.rule",
        "E_MODEL",
        "Voting.rule is VOTING_RULE_UNSPECIFIED",
    ),
    (
        "multiclass_strategy_unspecified",
        "multiclass_ovr_binary",
        "estimator.multiclass.strategy",
        "E_MODEL",
        "Multiclass.strategy is MULTICLASS_STRATEGY_UNSPECIFIED",
    ),
    (
        "multiclass_member_score_unspecified",
        "multiclass_ovr_binary",
        "estimator.multiclass.members.0.score",
        "E_MODEL",
        "Multiclass.members[0].score is BINARY_SCORE_UNSPECIFIED",
    ),
    (
        "function_transformer_inverse_func_unspecified",
        "function_transformer_log1p_validate",
        "estimator.function_transformer.inverse_func",
        "E_MODEL",
        "FunctionTransformer.inverse_func is ELEMENTWISE_FUNCTION_UNSPECIFIED",
    ),
    (
        "threshold_classifier_score_unspecified",
        "fixed_threshold_logistic_auto",
        "estimator.threshold_classifier.score",
        "E_MODEL",
        "ThresholdClassifier.score is THRESHOLD_SCORE_UNSPECIFIED",
    ),
    (
        "tree_input_unspecified",
        "decision_tree_best_first",
        "estimator.tree_ensemble.input",
        "E_MODEL",
        "TreeEnsemble.input is TREE_INPUT_UNSPECIFIED",
    ),
    (
        "tree_leaf_values_unspecified",
        "decision_tree_best_first",
        "estimator.tree_ensemble.leaf_values",
        "E_MODEL",
        "TreeEnsemble.leaf_values is LEAF_VALUES_UNSPECIFIED",
    ),
    (
        "boosting_link_unspecified",
        "gb_regressor_absolute_error",
        "estimator.boosting.link",
        "E_MODEL",
        "Boosting.link is BOOSTING_LINK_UNSPECIFIED",
    ),
    (
        "boosting_init_link_unspecified",
        "gb_classifier_init_tree_exponential",
        "estimator.boosting.init_link",
        "E_MODEL",
        "Boosting.init_link is BOOSTING_INIT_LINK_UNSPECIFIED beside an init",
    ),
    (
        "boosting_classifier_decision_unspecified",
        "gb_classifier_binary_strings",
        "estimator.boosting.decision",
        "E_MODEL",
        "Boosting rule 6: a classifier's decision is BOOSTING_DECISION_UNSPECIFIED (allowed by "
        "check 15's pass 1, refused by the body's rule)",
    ),
    (
        "stacking_member_method_unspecified",
        "stacking_prefit_tree_final",
        "estimator.stacking.members.0.method",
        "E_MODEL",
        "Stacking: a member with an estimator has method STACK_METHOD_UNSPECIFIED (only a "
        "dropped member's may be)",
    ),
)


def enum_invalid_files(
    models: dict[str, bytes],
) -> list[tuple[str, tuple[str, str, str, bytes]]]:
    """(base case, (name, code, description, bytes)) of ENUM_UNSPECIFIED."""
    out = []
    for name, base, path, code, description in ENUM_UNSPECIFIED:
        case = base if base in models else f"{base}-sk{VERSION}"
        out.append(
            (case, (name, code, description, _edit_manifest(models[case], _set_attr(path, 0))))
        )
    return out


def invalid_cases(
    models: dict[str, bytes],
) -> list[tuple[str, tuple[str, str, str, bytes]]]:
    """(base case, (name, code, description, bytes)) of every invalid file."""
    base = invalid_base(models)
    tree_base = f"{TREE_INVALID_BASE}-sk{VERSION}"
    files = [(base, f) for f in invalid_files(models[base])]
    files += [(tree_base, f) for f in tree_invalid_files(models[tree_base])]
    files += tree_value_invalid_files(models)
    files += linear_value_invalid_files(models)
    files += [(base, f) for f in wire_invalid_files(models[base])]
    files += enum_invalid_files(models)
    for module in _family_modules():  # a family's own invalid files, where it has them
        if hasattr(module, "invalid_files"):
            files += module.invalid_files(models, sys.modules[__name__])
    return files


def write_invalid(w: Writer, models: dict[str, bytes]) -> None:
    for base, (name, code, description, blob) in invalid_cases(models):
        try:
            amber.validate(blob)
        except amber.AmberError as exc:
            if exc.code != code:
                raise SystemExit(f"invalid/{name}: expected {code}, got {exc}") from None
        else:
            raise SystemExit(f"invalid/{name}: expected {code}, the reader accepts it")
        w.write(f"invalid/{name}.amber", blob)
        meta = {"code": code, "description": description, "derived_from": f"valid/{base}"}
        w.write(f"invalid/{name}.json", _json(meta).encode())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate tests/vectors/")
    parser.add_argument("--out", type=Path, default=HERE, help="output root (default: here)")
    args = parser.parse_args(argv)
    w = Writer(args.out.resolve())
    if not CASES:
        raise SystemExit(
            f"scikit-learn {VERSION} writes no cases: the linear cases need "
            f"{PINNED}, the tree cases one of {CORPUS_VERSIONS}"
        )
    models = {case.name: write_case(w, case) for case in CASES}
    if VERSION == PINNED:
        write_invalid(w, models)
    return 0


if __name__ == "__main__":
    sys.exit(main())
