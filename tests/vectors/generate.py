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
import json
import math
import re
import sys
import warnings
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
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.tree import (  # noqa: E402
    DecisionTreeClassifier,
    DecisionTreeRegressor,
    ExtraTreeClassifier,
    ExtraTreeRegressor,
)

import amber  # noqa: E402
from amber import _container  # noqa: E402
from amber._proto.amber.v1 import amber_pb2 as pb  # noqa: E402

SEED = 20240601
N_TRAIN, N_TEST, N_FEATURES = 200, 50, 4
RTOL = 1e-12
METHODS = ("predict", "predict_proba", "decision_function", "transform")
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
    for case in cases:
        case.name = f"{case.name}-sk{version}"
    return cases


def tree_case_names(version: str) -> list[str]:
    """The names of a version's tree cases (without building them)."""
    return [c.name for c in _tree_cases(version)]


#: The scikit-learn that writes the linear cases and the invalid files.
PINNED = _pinned_version()

#: The cases this run writes: the linear ones (only under the pinned scikit-learn) and the
#: tree cases of the running version.
CASES = (LINEAR_CASES if VERSION == PINNED else []) + (
    _tree_cases(VERSION) if VERSION in CORPUS_VERSIONS else []
)


# ---------------------------------------------------------------------------- tolerances


def _pow10_ceil(x: float) -> float:
    """The smallest power of ten >= x (so a stated tolerance is at most 10x loose)."""
    return float(f"1e{math.ceil(math.log10(x))}") if x > 0 else 0.0


def _linear_step(est) -> tuple[Any, Any]:
    """(the linear estimator, a function mapping the raw input to its input)."""
    if isinstance(est, Pipeline):
        head = est[:-1]
        return est.steps[-1][1], lambda X: head.transform(X)
    return est, lambda X: X


def _score_atol(est, X: np.ndarray) -> float:
    """1e-12 x the largest sum of |terms| of any score: x_j * w_kj and the intercept.

    A sum of m terms computed in another order differs by at most about m * eps * sum|terms|
    (eps = 2.2e-16); 1e-12 leaves a margin of > 100x for these small models.
    """
    lin, head = _linear_step(est)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # a plain array into a named model
        Z = np.asarray(head(X), dtype=np.float64)
    coef = np.atleast_2d(lin.coef_)
    intercept = np.broadcast_to(np.asarray(lin.intercept_, dtype=np.float64), coef.shape[:1])
    terms = np.abs(Z) @ np.abs(coef).T + np.abs(intercept)
    return _pow10_ceil(1e-12 * float(terms.max()))


def _check_label_margins(est, X: np.ndarray, atol: float) -> None:
    """Labels are compared exactly: refuse test rows whose top two scores nearly tie."""
    lin, head = _linear_step(est)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        scores = np.asarray(lin.decision_function(head(X)))
    if scores.ndim == 1:
        margin = np.abs(scores)
    else:
        top = np.sort(scores, axis=1)
        margin = top[:, -1] - top[:, -2]
    worst = margin.min()
    slack = 4 * (atol + RTOL * np.abs(scores).max())
    if worst <= slack:
        raise SystemExit(f"a test row's label is within {worst} of a tie (need > {slack})")


def _methods(est, X: np.ndarray) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    if hasattr(est, "tree_") or hasattr(est, "estimators_"):
        # Trees: comparisons and table look-ups, sums in scikit-learn's order: bitwise.
        for method in ("predict", "predict_proba"):
            if hasattr(est, method):
                out[method] = {"exact": True}
        return out
    for method in METHODS:
        if not hasattr(est, method):
            continue
        if method == "transform":
            out[method] = {"exact": True}  # (x - mean) / scale: two IEEE operations
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
        return ".json", (json.dumps([str(v) for v in arr.tolist()], ensure_ascii=False) + "\n")
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


def write_case(w: Writer, case: Case) -> bytes:
    est, _, _, test = case.build()
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
    methods = _methods(est, X)
    for method, spec in methods.items():
        result = getattr(est, method)(Xin)
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


def write_invalid(w: Writer, models: dict[str, bytes]) -> None:
    base = invalid_base(models)
    for name, code, description, blob in invalid_files(models[base]):
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
