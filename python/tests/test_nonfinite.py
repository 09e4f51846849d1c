"""NaN, infinite and too-large inputs at predict time (issue #15; spec/estimators.md, each
body's "rule on inputs"): for every supported class, fitted by scikit-learn and written with
`amber.dump`, the Rust CLI (`amber predict`) refuses with `E_INPUT`, naming the row and the
column, exactly where the installed scikit-learn raises `ValueError` on the same input, and
gives scikit-learn's own outputs where scikit-learn predicts.

Nothing here is hard-coded: which inputs are refused and what the outputs are comes from
running scikit-learn in the test. Each bad value goes to row 2, column 1 of a 4-row input
(the other cells finite); compositions whose member reads a subset of the columns put it
where that member reads it.
"""

from __future__ import annotations

import functools
import re
import subprocess
import tempfile
import warnings
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest
import sklearn
from sklearn import ensemble as E
from sklearn import impute as I
from sklearn import linear_model as L
from sklearn import preprocessing as P
from sklearn import tree as T
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.multiclass import OneVsOneClassifier, OneVsRestClassifier, OutputCodeClassifier
from sklearn.multioutput import (
    ClassifierChain,
    MultiOutputClassifier,
    MultiOutputRegressor,
    RegressorChain,
)
from sklearn.pipeline import FeatureUnion, make_pipeline
from test_body_rules import CLI

import amber

VERSION = tuple(int(p) for p in sklearn.__version__.split(".")[:2])
needs_cli = pytest.mark.skipif(not CLI.exists(), reason="the release CLI is not built")

#: The bad values: NaN, both infinities, and finite float64 values beyond float32's range
#: (which the trees' float32 cast makes infinite).
BAD = {"nan": np.nan, "+inf": np.inf, "-inf": -np.inf, "1e39": 1e39, "-1e39": -1e39}
METHODS = ("predict", "predict_proba", "decision_function", "transform", "score_samples")
ROW, COLUMN = 2, 1

_rng = np.random.RandomState(0)
X = _rng.rand(80, 4) * 4
YC = (X[:, 0] + X[:, 1] > 4).astype(int) + (X[:, 2] > 2)  # three classes
YB = (X[:, 0] > 2).astype(int)
YR = X @ np.array([1.0, 2.0, -1.0, 0.5])
YM = np.c_[YB, (X[:, 3] > 2).astype(int)]
YRR = np.c_[YR, -YR]
XN = X.copy()
XN[::7, 1] = np.nan  # NaN in training
XI = np.floor(X)  # integer-valued, for the encoders


def _hgb_c() -> Any:
    return E.HistGradientBoostingClassifier(max_iter=5, random_state=0)


def _hgb_r() -> Any:
    return E.HistGradientBoostingRegressor(max_iter=5, random_state=0)


def _tree_c() -> Any:
    return T.DecisionTreeClassifier(max_depth=4, random_state=0)


def _samme() -> dict:
    return {"algorithm": "SAMME"} if VERSION < (1, 6) else {}


#: (name, estimator factory, y or None, training X). Every family and composition of the
#: Rust reader: a member that takes NaN (HistGradientBoosting) shows that the composition
#: itself does not check, or does.
CASES: list[tuple[str, Callable[[], Any], Any, np.ndarray]] = [
    ("standard_scaler", P.StandardScaler, None, X),
    ("min_max_scaler_clip", lambda: P.MinMaxScaler(clip=True), None, X),
    ("max_abs_scaler", P.MaxAbsScaler, None, X),
    ("robust_scaler", P.RobustScaler, None, X),
    ("binarizer", lambda: P.Binarizer(threshold=1.0), None, X),
    ("normalizer", P.Normalizer, None, X),
    ("function_transformer", lambda: P.FunctionTransformer(np.log1p), None, X),
    (
        "function_transformer_validate",
        lambda: P.FunctionTransformer(np.log1p, validate=True),
        None,
        X,
    ),
    ("linear_regression", L.LinearRegression, YR, X),
    ("logistic_regression", L.LogisticRegression, YC, X),
    ("decision_tree_classifier", _tree_c, YC, X),
    ("decision_tree_classifier_nan_fit", _tree_c, YC, XN),
    ("decision_tree_regressor", lambda: T.DecisionTreeRegressor(max_depth=5), YR, X),
    ("extra_tree_classifier", lambda: T.ExtraTreeClassifier(random_state=0), YC, X),
    ("random_forest_classifier", lambda: E.RandomForestClassifier(5, random_state=0), YC, X),
    ("random_forest_regressor", lambda: E.RandomForestRegressor(5, random_state=0), YR, X),
    ("extra_trees_regressor", lambda: E.ExtraTreesRegressor(5, random_state=0), YR, X),
    ("isolation_forest", lambda: E.IsolationForest(n_estimators=5, random_state=0), None, X),
    ("gradient_boosting_classifier", lambda: E.GradientBoostingClassifier(n_estimators=5), YC, X),
    ("gradient_boosting_regressor", lambda: E.GradientBoostingRegressor(n_estimators=5), YR, X),
    ("hgb_classifier", _hgb_c, YC, X),
    ("hgb_regressor_nan_fit", _hgb_r, YR, XN),
    ("simple_imputer", I.SimpleImputer, None, XN),
    ("simple_imputer_minus_one", lambda: I.SimpleImputer(missing_values=-1.0), None, X),
    ("missing_indicator", lambda: I.MissingIndicator(features="all"), None, XN),
    ("knn_imputer", I.KNNImputer, None, XN),
    (
        "one_hot_encoder",
        lambda: P.OneHotEncoder(handle_unknown="ignore", sparse_output=False),
        None,
        XI,
    ),
    (
        "ordinal_encoder",
        lambda: P.OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1),
        None,
        XI,
    ),
    ("target_encoder", lambda: P.TargetEncoder(random_state=0), YR, XI),
    (
        "pipeline_imputer_logistic",
        lambda: make_pipeline(I.SimpleImputer(), L.LogisticRegression()),
        YC,
        X,
    ),
    ("pipeline_scaler_tree", lambda: make_pipeline(P.StandardScaler(), _tree_c()), YC, X),
    (
        "column_transformer",
        lambda: ColumnTransformer(
            [("s", P.StandardScaler(), [2, 1]), ("b", P.Binarizer(), [3])], remainder="drop"
        ),
        None,
        X,
    ),
    (
        "feature_union",
        lambda: FeatureUnion([("a", P.StandardScaler()), ("b", P.Normalizer())]),
        None,
        X,
    ),
    (
        "voting_soft_hgb_tree",
        lambda: E.VotingClassifier([("h", _hgb_c()), ("t", _tree_c())], voting="soft"),
        YC,
        X,
    ),
    ("voting_regressor_hgb", lambda: E.VotingRegressor([("h", _hgb_r())]), YR, X),
    (
        "stacking_hgb_passthrough",
        lambda: E.StackingClassifier([("h", _hgb_c())], final_estimator=_hgb_c(), passthrough=True),
        YC,
        X,
    ),
    ("calibration_hgb", lambda: CalibratedClassifierCV(_hgb_c(), cv=3), YC, X),
    ("one_vs_rest_hgb", lambda: OneVsRestClassifier(_hgb_c()), YC, X),
    ("one_vs_one_hgb", lambda: OneVsOneClassifier(_hgb_c()), YC, X),
    ("output_code_hgb", lambda: OutputCodeClassifier(_hgb_c(), random_state=0), YC, X),
    ("multi_output_classifier_hgb", lambda: MultiOutputClassifier(_hgb_c()), YM, X),
    ("multi_output_regressor_hgb", lambda: MultiOutputRegressor(_hgb_r()), YRR, X),
    ("classifier_chain_hgb", lambda: ClassifierChain(_hgb_c()), YM, X),
    ("regressor_chain_hgb", lambda: RegressorChain(_hgb_r()), YRR, X),
    (
        "transformed_target_hgb",
        lambda: TransformedTargetRegressor(_hgb_r(), func=np.log1p, inverse_func=np.expm1),
        np.abs(YR),
        X,
    ),
    (
        "bagging_trees_feature_subsets",
        lambda: E.BaggingClassifier(_tree_c(), n_estimators=4, max_features=2, random_state=0),
        YC,
        X,
    ),
    ("bagging_hgb", lambda: E.BaggingRegressor(_hgb_r(), n_estimators=3, random_state=0), YR, X),
    ("ada_boost_trees", lambda: E.AdaBoostClassifier(n_estimators=3, **_samme()), YC, X),
    ("ada_boost_hgb", lambda: E.AdaBoostClassifier(_hgb_c(), n_estimators=2, **_samme()), YC, X),
]
if VERSION >= (1, 5):
    from sklearn.model_selection import FixedThresholdClassifier

    CASES.append(("fixed_threshold_hgb", lambda: FixedThresholdClassifier(_hgb_c()), YB, X))

#: What older scikit-learn versions (1.3.2 measured) refuse and the file's body cannot say:
#: NaN in forests and extra trees (taken from 1.4 and 1.6 on), everything bad in an
#: isolation forest; a reader follows 1.9.1 (spec/estimators.md, section 1 and the
#: TreeEnsemble and IsolationForest rules on inputs).
OLD_REFUSALS = {
    "extra_tree_classifier": {"nan"},
    "random_forest_classifier": {"nan"},
    "random_forest_regressor": {"nan"},
    "extra_trees_regressor": {"nan"},
    "bagging_trees_feature_subsets": {"nan"},
    "isolation_forest": set(BAD),
}


@functools.cache
def _model_file(name: str) -> tuple[Any, Path]:
    """The case fitted by scikit-learn, and its file written by `amber.dump`."""
    factory, y, x = next((f, y, x) for n, f, y, x in CASES if n == name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = factory()
        est = est.fit(x) if y is None else est.fit(x, y)
    path = Path(tempfile.mkdtemp()) / f"{name}.amber"
    amber.dump(est, path)
    return est, path


def _cli(model: Path, x: np.ndarray, method: str) -> tuple[int, str, Any]:
    """`amber predict`'s exit code, stderr and output (a list of arrays for the
    `predict_proba` of a multi-output classifier, one file per output)."""
    d = Path(tempfile.mkdtemp())
    np.save(d / "x.npy", x)
    out = d / "y.npy"
    done = subprocess.run(
        [
            *(str(CLI), "predict", str(model), "--input", str(d / "x.npy")),
            *("--method", method, "--output", str(out)),
        ],
        capture_output=True,
        text=True,
    )
    if done.returncode:
        return done.returncode, done.stderr, None
    if out.exists():
        return 0, done.stderr, np.load(out)
    return 0, done.stderr, [np.load(p) for p in sorted(d.glob("y.*.npy"))]


def _bad_input(name: str, value: float) -> np.ndarray:
    x = np.array(XI[:4] if name.endswith("_encoder") else X[:4])
    x[ROW, COLUMN] = value
    return x


def _sklearn(est: Any, method: str, x: np.ndarray) -> tuple[bool, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return True, getattr(est, method)(x)
        except ValueError as e:
            return False, str(e)


def _assert_same(got: np.ndarray, want: Any) -> None:
    want = np.asarray(want)
    assert got.shape == want.shape
    if want.dtype.kind in "fc":
        np.testing.assert_allclose(
            got, want.astype(np.float64), rtol=1e-12, atol=1e-12, equal_nan=True
        )
    else:
        assert got.tolist() == want.tolist()


PARAMS = [
    pytest.param(name, method, tag, id=f"{name}-{method}-{tag}")
    for name, factory, y, x in CASES
    for method in METHODS
    if hasattr(factory(), method)  # (a fitted estimator may still lack it: skipped below)
    for tag in BAD
]


@needs_cli
@pytest.mark.parametrize(("name", "method", "tag"), PARAMS)
def test_the_cli_refuses_where_scikit_learn_does_and_predicts_as_it_does(name, method, tag):
    est, model = _model_file(name)
    if not hasattr(est, method):
        pytest.skip(f"{type(est).__name__} has no {method}")
    x = _bad_input(name, BAD[tag])
    ok, want = _sklearn(est, method, x)
    code, stderr, got = _cli(model, x, method)
    if ok:
        assert code == 0, f"scikit-learn predicts, the CLI refused: {stderr}"
        if isinstance(want, list):
            assert len(got) == len(want)
            for g, w in zip(got, want):
                _assert_same(g, w)
        else:
            _assert_same(got, want)
        return
    if code == 0 and VERSION < (1, 9) and tag in OLD_REFUSALS.get(name, ()):
        pytest.skip(f"scikit-learn {sklearn.__version__} refuses {tag} here, 1.9.1 does not")
    assert code != 0, f"scikit-learn raised ({want}), the CLI predicted {got!r}"
    assert "E_INPUT" in stderr, stderr
    # The row and column where the value is, as the CLI names them (a refused number by
    # position, an encoder's or imputer's cell by its column's label).
    assert re.search(rf"row {ROW}\b", stderr), stderr
    assert re.search(rf'column (?:{COLUMN}\b|"(?:#|x){COLUMN}")', stderr), stderr


@needs_cli
def test_a_pipeline_step_fed_an_overflow_names_the_step_input():
    """A `Linear` step after a scaler whose output overflows to infinity: scikit-learn's
    LogisticRegression refuses it, so does the CLI (the value is finite in the input)."""
    est = make_pipeline(P.StandardScaler(), L.LogisticRegression()).fit(X / 10, YC)
    path = Path(tempfile.mkdtemp()) / "m.amber"
    amber.dump(est, path)
    x = np.array(X[:3] / 10)
    x[1, 3] = 1.7e308  # (x - mean) / scale overflows: the scale is about 0.12
    ok, _ = _sklearn(est, "predict", x)
    assert not ok
    code, stderr, _ = _cli(path, x, "predict")
    assert code != 0 and "E_INPUT" in stderr and "row 1, column 3" in stderr, stderr
