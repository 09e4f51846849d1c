"""CalibratedClassifierCV through the `Calibration` body (spec/estimators.md section 22):
round trips that give scikit-learn's own outputs, the body-only arithmetic of the Python
reader against scikit-learn's, the writer's refusals and every body rule broken.

Expected values come from scikit-learn: the fitted original's predict_proba and predict,
`IsotonicRegression.predict` and `_SigmoidCalibration.predict` themselves.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.calibration import CalibratedClassifierCV, _CalibratedClassifier, _SigmoidCalibration
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    RandomForestClassifier,
    StackingClassifier,
    VotingClassifier,
)
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils.fixes import parse_version
from test_body_rules import CLI, _rust_code
from test_roundtrip import assert_same

import amber
from amber import _container, _tree
from amber._proto.amber.v1 import amber_pb2 as pb

try:
    from sklearn.frozen import FrozenEstimator
except ImportError:  # scikit-learn < 1.6: cv="prefit" instead
    FrozenEstimator = None

SK = parse_version(sklearn.__version__)
#: Linear's tolerance (spec/estimators.md section 3.1), which sigmoid calibration carries
#: (its exp; and a rebuilt LogisticRegression's scores may differ in the last bit).
RTOL, ATOL = 1e-12, 1e-15


def _x(n: int, seed: int) -> np.ndarray:
    return np.random.RandomState(seed).normal(size=(n, 4))


def _labels(X: np.ndarray, k: int) -> np.ndarray:
    """k classes from a noisy score, every class well represented."""
    score = X[:, 0] + 0.5 * X[:, 1] + 0.3 * np.random.RandomState(9).normal(size=len(X))
    return np.searchsorted(np.quantile(score, np.linspace(0, 1, k + 1)[1:-1]), score)


X_TRAIN, X_TEST = _x(240, 0), _x(60, 1)


def _forest(**kw: Any) -> RandomForestClassifier:
    return RandomForestClassifier(n_estimators=4, max_depth=4, random_state=0, **kw)


def _fit(est: Any, y: np.ndarray, X: Any = X_TRAIN, test: Any = X_TEST) -> Callable[[], tuple]:
    return lambda: (est.fit(X, y), test)


def _missing_class_fold() -> tuple[Any, np.ndarray]:
    """4 classes sorted (rows 0-79 class 0, 80-119 class 1, 120-179 class 2, 180-239 class
    3): KFold(3)'s folds test on rows 0-79, 80-159, 160-239, so their estimators never see
    class 0, class 1, class 3 (class_indices [1, 2, 3], [0, 2, 3], [0, 1, 2])."""
    y = np.sort(np.tile([0, 1, 2, 3], 60))
    y[:80] = 0
    X = X_TRAIN + y[:, None] * 0.7
    est = CalibratedClassifierCV(_forest(), method="isotonic", cv=KFold(3)).fit(X, y)
    assert list(est.calibrated_classifiers_[0].estimator.classes_) == [1, 2, 3]
    return est, X_TEST + 1.0


def _given_fitted() -> tuple[Any, np.ndarray]:
    y = _labels(X_TRAIN, 3)
    lr = LogisticRegression().fit(X_TRAIN[:120], y[:120])
    given = FrozenEstimator(lr) if FrozenEstimator is not None else lr
    kw = {} if FrozenEstimator is not None else {"cv": "prefit"}
    return CalibratedClassifierCV(given, method="isotonic", **kw).fit(
        X_TRAIN[120:], y[120:]
    ), X_TEST


def _table(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.RandomState(seed)
    return pd.DataFrame(
        {
            "city": rng.choice(["oslo", "rome", "lima"], n),
            "a": rng.normal(size=n),
            "b": rng.normal(size=n),
        }
    )


def _dataframe() -> tuple[Any, pd.DataFrame]:
    X = _table(240, 3)
    y = np.where((X["city"] == "rome") ^ (X["a"] > 0.3), "yes", "no")
    features = ColumnTransformer(
        [("city", OneHotEncoder(), ["city"]), ("num", StandardScaler(), ["a", "b"])]
    )
    est = CalibratedClassifierCV(Pipeline([("f", features), ("lr", LogisticRegression())]), cv=3)
    return est.fit(X, y), _table(50, 4)


CASES: dict[str, Callable[[], tuple[Any, Any]]] = {
    "sigmoid_binary_logistic": _fit(
        CalibratedClassifierCV(LogisticRegression(), cv=3), _labels(X_TRAIN, 2)
    ),
    "isotonic_binary_forest": _fit(
        CalibratedClassifierCV(_forest(), method="isotonic", cv=4), _labels(X_TRAIN, 2)
    ),
    "isotonic_multiclass_hgb": _fit(
        CalibratedClassifierCV(
            HistGradientBoostingClassifier(max_iter=8, random_state=0), method="isotonic", cv=3
        ),
        _labels(X_TRAIN, 3),
    ),
    "sigmoid_multiclass_forest_strings": _fit(
        CalibratedClassifierCV(_forest(), cv=3), np.array(["lo", "mid", "hi"])[_labels(X_TRAIN, 3)]
    ),
    "sigmoid_multiclass_logistic_no_ensemble": _fit(
        CalibratedClassifierCV(LogisticRegression(), cv=3, ensemble=False), _labels(X_TRAIN, 4)
    ),
    "isotonic_pipeline": _fit(
        CalibratedClassifierCV(
            make_pipeline(StandardScaler(), LogisticRegression()), method="isotonic"
        ),
        _labels(X_TRAIN, 2),
    ),
    "isotonic_fold_missing_a_class": _missing_class_fold,
    "given_fitted": _given_fitted,
    "dataframe_column_transformer": _dataframe,
}

#: Whose outputs go through a sigmoid, or a rebuilt LogisticRegression.
_LINEAR = {
    "sigmoid_binary_logistic",
    "sigmoid_multiclass_forest_strings",
    "sigmoid_multiclass_logistic_no_ensemble",
    "isotonic_pipeline",
    "given_fitted",
    "dataframe_column_transformer",
}


def _close(name: str, want: np.ndarray, got: np.ndarray, where: str) -> None:
    assert want.dtype == got.dtype and want.shape == got.shape, where
    if name in _LINEAR:
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL, err_msg=where)
    else:
        np.testing.assert_array_equal(got, want, err_msg=where)


def _same_calibrator(a: Any, b: Any, where: str) -> None:
    assert type(a) is type(b), where
    assert_same(a.get_params(), b.get_params(), f"{where}.params")
    va = {k: v for k, v in vars(a).items() if k != "f_"}
    vb = {k: v for k, v in vars(b).items() if k != "f_"}
    assert sorted(va) == sorted(vb), where
    for k in va:
        # 1.3.2's a_ and b_ are floats, 1.9.1's numpy float64: the rebuild's are float64.
        x, y = (float(va[k]), float(vb[k])) if k in ("a_", "b_") else (va[k], vb[k])
        assert_same(x, y, f"{where}.{k}")
    if hasattr(a, "f_"):
        t = np.linspace(a.X_min_ - 1, a.X_max_ + 1, 97)
        assert np.array_equal(
            a.f_(np.clip(t, a.X_min_, a.X_max_)), b.f_(np.clip(t, a.X_min_, a.X_max_))
        )


def _same_model(est: Any, back: Any) -> None:
    assert type(back) is CalibratedClassifierCV
    pa, pb_ = est.get_params(deep=False), back.get_params(deep=False)
    if hasattr(pa["cv"], "split"):  # a splitter: the same class and params
        assert repr(pb_.pop("cv")) == repr(pa.pop("cv"))
    assert_same(pa, pb_, "params")
    fitted = {k for k in vars(est) if k.endswith("_") and not k.startswith("_")}
    assert fitted == {k for k in vars(back) if k.endswith("_") and not k.startswith("_")}
    assert list(back.classes_) == list(est.classes_)
    for k in sorted(fitted - {"calibrated_classifiers_", "classes_"}):
        assert_same(getattr(est, k), getattr(back, k), k)
    assert len(back.calibrated_classifiers_) == len(est.calibrated_classifiers_)
    for i, (a, b) in enumerate(zip(est.calibrated_classifiers_, back.calibrated_classifiers_)):
        assert type(b) is _CalibratedClassifier and b.method == a.method
        assert b.classes is back.classes_
        assert_same(a.estimator, b.estimator, f"calibrated_classifiers_[{i}].estimator")
        assert len(a.calibrators) == len(b.calibrators)
        for j, (x, y) in enumerate(zip(a.calibrators, b.calibrators)):
            _same_calibrator(x, y, f"calibrated_classifiers_[{i}].calibrators[{j}]")


@pytest.mark.parametrize("name", sorted(CASES))
def test_round_trip_gives_scikit_learns_outputs(name: str) -> None:
    est, X = CASES[name]()
    data = amber.dumps(est)
    back = amber.loads(data)
    _same_model(est, back)
    assert amber.dumps(back) == data
    amber.validate(data)
    _close(name, est.predict_proba(X), back.predict_proba(X), "predict_proba")
    np.testing.assert_array_equal(back.predict(X), est.predict(X))


def _reader_proba(data: bytes, back: Any, X: Any) -> np.ndarray:
    """The Python reader's predict_proba: the body's arithmetic over the responses of the
    (rebuilt) estimators, with the body's response method."""
    c = _container.read_container(data)
    body = c.manifest.estimator.calibration
    responses = [
        getattr(cc.estimator, _tree.CALIBRATION_RESPONSES[k.response])(X)
        for cc, k in zip(back.calibrated_classifiers_, body.classifiers)
    ]
    return _tree.calibration_proba(body, c.array, responses)


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_python_reader_gives_scikit_learns_probabilities(name: str) -> None:
    est, X = CASES[name]()
    data = amber.dumps(est)
    back = amber.loads(data)
    proba = _reader_proba(data, back, X)
    _close(name, est.predict_proba(X), proba, "predict_proba")
    body = _container.read_container(data).manifest.estimator.calibration
    got = _tree.calibration_predict(body, est.predict_proba(X))
    assert got.tolist() == est.predict(X).tolist()


def test_a_missing_class_is_a_proper_subset_of_class_indices() -> None:
    est, _ = _missing_class_fold()
    body = _container.read_container(amber.dumps(est)).manifest.estimator.calibration
    assert [list(c.class_indices) for c in body.classifiers] == [
        [1, 2, 3],
        [0, 2, 3],
        [0, 1, 2],
    ]
    assert [len(c.calibrators) for c in body.classifiers] == [3, 3, 3]


def test_the_body_holds_the_responses_and_names_tensors_depth_first() -> None:
    est, _ = CASES["isotonic_multiclass_hgb"]()
    c = _container.read_container(amber.dumps(est))
    body = c.manifest.estimator.calibration
    assert [k.response for k in body.classifiers] == [pb.CALIBRATION_RESPONSE_DECISION_FUNCTION] * 3
    names = [t.name for t in c.manifest.tensors]
    own = [n for n in names if "/calibrators/" in n]
    assert own == [
        f"classifiers/{i}/calibrators/{j}/{f}"
        for i in range(3)
        for j in range(3)
        for f in ("x_thresholds", "y_thresholds")
    ]
    # Each classifier's estimator's tensors come before its calibrators'.
    for i in range(3):
        first_own = names.index(f"classifiers/{i}/calibrators/0/x_thresholds")
        theirs = [
            k
            for k, n in enumerate(names)
            if n.startswith(f"classifiers/{i}/") and "/calibrators/" not in n
        ]
        assert theirs and max(theirs) < first_own
    forest, _ = CASES["isotonic_binary_forest"]()
    body = _container.read_container(amber.dumps(forest)).manifest.estimator.calibration
    assert {k.response for k in body.classifiers} == {pb.CALIBRATION_RESPONSE_PREDICT_PROBA}


def test_a_calibration_inside_a_pipeline_and_a_voting() -> None:
    y = _labels(X_TRAIN, 3)
    cal = CalibratedClassifierCV(_forest(), method="isotonic", cv=3)
    for est in (
        make_pipeline(StandardScaler(), cal),
        VotingClassifier(
            [("cal", cal), ("tree", DecisionTreeClassifier(random_state=0))], voting="soft"
        ),
    ):
        est.fit(X_TRAIN, y)
        data = amber.dumps(est)
        back = amber.loads(data)
        assert amber.dumps(back) == data
        np.testing.assert_array_equal(back.predict_proba(X_TEST), est.predict_proba(X_TEST))
        np.testing.assert_array_equal(back.predict(X_TEST), est.predict(X_TEST))


def test_a_calibration_as_a_stacking_member() -> None:
    y = _labels(X_TRAIN, 3)
    cal = CalibratedClassifierCV(_forest(), method="isotonic", cv=3)
    est = StackingClassifier(
        [("cal", cal), ("tree", DecisionTreeClassifier(max_depth=3, random_state=0))],
        final_estimator=DecisionTreeClassifier(max_depth=3, random_state=0),
        cv=3,
    ).fit(X_TRAIN, y)
    back = amber.loads(amber.dumps(est))
    np.testing.assert_array_equal(back.predict_proba(X_TEST), est.predict_proba(X_TEST))
    np.testing.assert_array_equal(back.transform(X_TEST), est.transform(X_TEST))


# ---------------------------------------------------------------------------- calibrators


def _spec_interp(t: float, x: np.ndarray, y: np.ndarray) -> float:
    """Section 22's ISOTONIC, written out: clip, then the segment's slope times the offset."""
    u = min(max(t, x[0]), x[-1])
    j = int(np.searchsorted(x, u, side="right")) - 1
    if j == len(x) - 1 or x[j] == u:
        return float(y[j])
    s = (y[j + 1] - y[j]) / (x[j + 1] - x[j])
    return float(s * (u - x[j]) + y[j])


def _isotonic_body(x: np.ndarray, y: np.ndarray) -> tuple[pb.Calibrator, Callable]:
    cal = pb.Calibrator()
    cal.isotonic.x_thresholds, cal.isotonic.y_thresholds = "x", "y"
    return cal, {"x": x, "y": y}.__getitem__


@pytest.mark.parametrize("seed", range(6))
def test_isotonic_is_np_interp_of_the_clipped_value(seed: int) -> None:
    rng = np.random.RandomState(seed)
    n = [1, 2, 5, 40, 200, 7][seed]
    iso = IsotonicRegression(out_of_bounds="clip").fit(rng.normal(size=n), rng.uniform(size=n))
    x, y = iso.X_thresholds_, iso.y_thresholds_
    mids = (x[1:] + x[:-1]) / 2 if len(x) > 1 else x
    t = np.concatenate([x, mids, [x[0] - 3, x[-1] + 3, -1e300, 1e300], rng.normal(size=50) * 2])
    want = iso.predict(t)
    cal, data = _isotonic_body(x, y)
    got = _tree._calibrate(cal, data, t)
    assert want.tobytes() == got.tobytes()
    spec = np.asarray([_spec_interp(v, x, y) for v in t])
    assert want.tobytes() == spec.tobytes()


def test_isotonic_refuses_values_that_are_not_finite() -> None:
    cal, data = _isotonic_body(np.array([0.0, 1.0]), np.array([0.2, 0.8]))
    for bad in (np.nan, np.inf):
        with pytest.raises(amber.AmberError) as err:
            _tree._calibrate(cal, data, np.array([0.5, bad]))
        assert err.value.code == "E_INPUT"
        iso = IsotonicRegression(out_of_bounds="clip").fit([0.0, 1.0], [0.2, 0.8])
        with pytest.raises(ValueError):
            iso.predict(np.array([0.5, bad]))


def test_sigmoid_is_expit_of_minus_a_t_plus_b() -> None:
    rng = np.random.RandomState(3)
    t = np.concatenate([rng.normal(size=200) * 5, [0.0, -800.0, 800.0]])
    for a, b in ((-1.7, 0.02), (2.5, -3.0), (0.0, 0.0)):
        sig = _SigmoidCalibration()
        sig.a_, sig.b_ = a, b
        cal = pb.Calibrator()
        cal.sigmoid.a, cal.sigmoid.b = a, b
        np.testing.assert_allclose(
            _tree._calibrate(cal, None, t), sig.predict(t), rtol=RTOL, atol=ATOL
        )


# ---------------------------------------------------------------------------- refused at save


def _refusal(est: Any) -> str:
    with pytest.raises(amber.AmberError) as err:
        amber.dumps(est)
    assert err.value.code == "E_UNSUPPORTED"
    assert "CalibratedClassifierCV" in str(err.value)
    return str(err.value)


@pytest.mark.skipif(parse_version("1.8") > SK, reason="method='temperature' is new in 1.8")
def test_temperature_scaling_is_refused() -> None:
    est = CalibratedClassifierCV(LogisticRegression(), method="temperature", cv=3)
    est.fit(X_TRAIN, _labels(X_TRAIN, 3))
    assert "'temperature'" in _refusal(est)


def test_an_estimator_amber_cannot_save_is_named() -> None:
    est = CalibratedClassifierCV(SVC(decision_function_shape="ovo"), cv=3).fit(
        X_TRAIN, _labels(X_TRAIN, 3)
    )
    assert "classifiers/0: sklearn.svm.SVC is not supported" in _refusal(est)
    default = CalibratedClassifierCV(cv=3).fit(X_TRAIN, _labels(X_TRAIN, 2))  # LinearSVC
    assert "LinearSVC is not supported" in _refusal(default)


def test_a_binary_fold_that_saw_one_class_is_refused() -> None:
    y = np.sort(_labels(X_TRAIN, 2))
    y[:100] = 0
    est = CalibratedClassifierCV(_forest(), cv=KFold(2))
    try:
        est.fit(X_TRAIN, y)
    except ValueError as e:  # 1.9.1: _get_response_values refuses it at fit
        assert "need classifier with two classes" in str(e)
        return
    # 1.3.2 fits it: the fold's probabilities have no column 1, so it has no calibrator.
    assert len(est.calibrated_classifiers_[0].estimator.classes_) == 1
    assert "saw only the classes [1]" in _refusal(est)


def _tampered(name: str, edit: Callable[[Any], None]) -> Any:
    est, _ = CASES[name]()
    edit(est)
    return est


def _drop_a_calibrator(est: Any) -> None:
    del est.calibrated_classifiers_[0].calibrators[-1]


def _one_class(est: Any) -> None:
    est.classes_ = est.classes_[:1]


def _nan_a(est: Any) -> None:
    est.calibrated_classifiers_[1].calibrators[0].a_ = np.nan


def _inf_threshold(est: Any) -> None:
    est.calibrated_classifiers_[0].calibrators[0].y_thresholds_[0] = np.inf


def _x_max_moved(est: Any) -> None:
    est.calibrated_classifiers_[0].calibrators[0].X_max_ += 1.0


def _raising(est: Any) -> None:
    est.calibrated_classifiers_[0].calibrators[0].out_of_bounds = "nan"


def _float32(est: Any) -> None:
    cal = est.calibrated_classifiers_[0].calibrators[0]
    cal.X_thresholds_ = cal.X_thresholds_.astype(np.float32)


REFUSALS = {
    "a calibrator too few": ("isotonic_multiclass_hgb", _drop_a_calibrator, "2 calibrators"),
    "fewer than two classes": ("isotonic_binary_forest", _one_class, "fewer than two classes"),
    "a NaN a_": ("sigmoid_binary_logistic", _nan_a, "a_ = nan"),
    "an infinite threshold": ("isotonic_binary_forest", _inf_threshold, "not finite"),
    "X_max_ not the last threshold": ("isotonic_binary_forest", _x_max_moved, "X_max_"),
    "out_of_bounds not clip": ("isotonic_binary_forest", _raising, "out_of_bounds"),
    "float32 thresholds": ("isotonic_binary_forest", _float32, "float64"),
}


@pytest.mark.parametrize("name", sorted(REFUSALS))
def test_the_writer_refuses_what_the_body_cannot_hold(name: str) -> None:
    case, edit, says = REFUSALS[name]
    text = _refusal(_tampered(case, edit))
    assert says in text, text


def test_an_unfitted_calibration_is_refused() -> None:
    assert "not fitted" in _refusal(CalibratedClassifierCV(LogisticRegression()))


# ---------------------------------------------------------------------------- body rules


def _mutant(name: str, edit: Callable[[pb.Manifest], None], tensors: list | None = None) -> bytes:
    est, _ = CASES[name]()
    c = _container.read_container(amber.dumps(est))
    m = pb.Manifest()
    m.CopyFrom(c.manifest)
    edit(m)
    if not tensors:  # framed as is: the writer would refuse some of these
        return _container.frame(m.SerializeToString(deterministic=True), bytes(c.data))
    return _container.write_container(m, [*c.all_tensors(), *tensors])


def _body(m: pb.Manifest) -> pb.Calibration:
    return m.estimator.calibration


def _tensor(name: str, array: np.ndarray) -> Any:
    return _container.Tensor.from_array(name, array)


#: Tensors a mutant's first isotonic calibrator is pointed at, one per threshold list.
_THRESHOLDS: list = []


def _thresholds(x: list, y: list) -> Callable[[pb.Manifest], None]:
    """Points the first isotonic calibrator at new x and y tensors (added by `_rule_file`)."""

    def edit(m: pb.Manifest) -> None:
        iso = _body(m).classifiers[0].calibrators[0].isotonic
        iso.x_thresholds, iso.y_thresholds = "bad/x", "bad/y"
        _THRESHOLDS[:] = [_tensor("bad/x", np.asarray(x)), _tensor("bad/y", np.asarray(y))]

    return edit


BODY_RULES: dict[str, tuple[str, Callable[[pb.Manifest], None], list, str]] = {
    "rule 1: one class": (
        "isotonic_binary_forest",
        lambda m: _body(m).classes.ints.values.pop(),
        [],
        "calibration.classes",
    ),
    "rule 1: repeated classes": (
        "isotonic_multiclass_hgb",
        lambda m: _body(m).classes.ints.values.__setitem__(2, 1),
        [],
        "calibration.classes",
    ),
    "rule 1: no classifier": (
        "isotonic_binary_forest",
        lambda m: _body(m).ClearField("classifiers"),
        [],
        "calibration.classifiers",
    ),
    "rule 1: no classes": (
        "isotonic_binary_forest",
        lambda m: _body(m).ClearField("classes"),
        [],
        "calibration.classes",
    ),
    "rule 2: an estimator reads another width": (
        "isotonic_binary_forest",
        lambda m: setattr(m.estimator, "n_features_in", 5),
        [],
        "n_features_in",
    ),
    "rule 2: the estimator is a regressor": (
        "sigmoid_binary_logistic",
        lambda m: (
            setattr(_body(m).classifiers[0].estimator.linear, "link", pb.LINEAR_LINK_IDENTITY)
            or _body(m).classifiers[0].estimator.linear.ClearField("classes")
        ),
        [],
        "classifiers[0].estimator",
    ),
    "rule 2: response unspecified": (
        "isotonic_binary_forest",
        lambda m: setattr(_body(m).classifiers[1], "response", pb.CALIBRATION_RESPONSE_UNSPECIFIED),
        [],
        "classifiers[1].response",
    ),
    "rule 2: a forest has no decision_function": (
        "isotonic_binary_forest",
        lambda m: setattr(
            _body(m).classifiers[0], "response", pb.CALIBRATION_RESPONSE_DECISION_FUNCTION
        ),
        [],
        "classifiers[0].response",
    ),
    "rule 3: class_indices not increasing": (
        "isotonic_multiclass_hgb",
        lambda m: _body(m).classifiers[2].class_indices.__setitem__(0, 2),
        [],
        "classifiers[2].class_indices",
    ),
    "rule 3: a class index out of range": (
        "isotonic_multiclass_hgb",
        lambda m: _body(m).classifiers[0].class_indices.__setitem__(2, 3),
        [],
        "classifiers[0].class_indices",
    ),
    "rule 3: binary class_indices not [0, 1]": (
        "isotonic_binary_forest",
        lambda m: _body(m).classifiers[0].class_indices.pop(),
        [],
        "classifiers[0].class_indices",
    ),
    "rule 3: a calibrator too many": (
        "sigmoid_binary_logistic",
        lambda m: setattr(_body(m).classifiers[0].calibrators.add().sigmoid, "a", 1.0),
        [],
        "classifiers[0].calibrators",
    ),
    "rule 3: response columns differ from the class indices": (
        "isotonic_multiclass_hgb",
        lambda m: (
            _body(m).classifiers[1].class_indices.pop() or _body(m).classifiers[1].calibrators.pop()
        ),
        [],
        "classifiers[1].response",
    ),
    "rule 4: a NaN sigmoid": (
        "sigmoid_binary_logistic",
        lambda m: setattr(_body(m).classifiers[2].calibrators[0].sigmoid, "b", float("nan")),
        [],
        "classifiers[2].calibrators[0].sigmoid",
    ),
    "rule 4: x_thresholds not increasing": (
        "isotonic_binary_forest",
        _thresholds([0.0, 0.5, 0.5, 1.0], [0.1, 0.2, 0.3, 0.4]),
        _THRESHOLDS,
        "classifiers[0].calibrators[0].isotonic.x_thresholds",
    ),
    "rule 4: an infinite y threshold": (
        "isotonic_binary_forest",
        _thresholds([0.0, 1.0, 2.0, 3.0], [0.1, np.inf, 0.3, 0.4]),
        _THRESHOLDS,
        "classifiers[0].calibrators[0].isotonic.y_thresholds",
    ),
    "rule 4: thresholds of two lengths": (
        "isotonic_binary_forest",
        _thresholds([0.0, 1.0, 2.0], [0.1, 0.2]),
        _THRESHOLDS,
        "classifiers[0].calibrators[0].isotonic",
    ),
    "rule 4: i64 thresholds": (
        "isotonic_binary_forest",
        _thresholds([0, 1], [0.1, 0.2]),
        _THRESHOLDS,
        "classifiers[0].calibrators[0].isotonic.x_thresholds",
    ),
}


def test_an_isotonic_calibrator_without_its_tensor_is_e_tensor_ref() -> None:
    def edit(m: pb.Manifest) -> None:
        _body(m).classifiers[0].calibrators[0].isotonic.x_thresholds = ""

    data = _mutant("isotonic_binary_forest", edit)
    with pytest.raises(amber.AmberError) as err:
        amber.validate(data)
    assert err.value.code == "E_TENSOR_REF"
    if CLI.exists():
        path = Path(tempfile.mkdtemp()) / "model.amber"
        path.write_bytes(data)
        assert _rust_code(path) == "E_TENSOR_REF"


def _rule_file(rule: str) -> bytes:
    case, edit, tensors, _ = BODY_RULES[rule]
    return _mutant(case, edit, tensors)


@pytest.mark.parametrize("rule", sorted(BODY_RULES))
def test_a_body_rule_broken_is_e_model_naming_the_field(rule: str) -> None:
    data = _rule_file(rule)
    says = BODY_RULES[rule][3]
    for read in (amber.validate, amber.loads):
        with pytest.raises(amber.AmberError) as err:
            read(data)
        assert err.value.code == "E_MODEL", err.value
        assert says in str(err.value), err.value


def test_a_method_param_that_contradicts_the_calibrators_is_e_provenance() -> None:
    def edit(m: pb.Manifest) -> None:
        p = next(p for p in m.estimator.params if p.name == "method")
        p.value.string_value = "sigmoid"

    data = _mutant("isotonic_binary_forest", edit)
    amber.validate(data)  # the body is fine
    with pytest.raises(amber.AmberError, match="isotonic") as err:
        amber.loads(data)
    assert err.value.code == "E_PROVENANCE"


def test_class_indices_that_are_not_the_estimators_classes_are_e_provenance() -> None:
    def edit(m: pb.Manifest) -> None:
        _body(m).classifiers[0].class_indices[:] = [0, 1, 3]  # the estimator saw 1, 2, 3

    data = _mutant("isotonic_fold_missing_a_class", edit)
    amber.validate(data)  # the body is fine: scikit-learn would compute [1, 2, 3]
    with pytest.raises(amber.AmberError, match="class_indices") as err:
        amber.loads(data)
    assert err.value.code == "E_PROVENANCE"


@pytest.mark.skipif(not CLI.exists(), reason="the release CLI is not built")
@pytest.mark.parametrize("rule", sorted(BODY_RULES))
def test_rust_gives_the_same_verdict(rule: str, tmp_path) -> None:
    path = tmp_path / "model.amber"
    path.write_bytes(_rule_file(rule))
    assert _rust_code(path) == "E_MODEL"


@pytest.mark.skipif(not CLI.exists(), reason="the release CLI is not built")
@pytest.mark.parametrize("name", sorted(CASES))
def test_rust_accepts_every_case(name: str, tmp_path) -> None:
    est, _ = CASES[name]()
    path = tmp_path / "model.amber"
    path.write_bytes(amber.dumps(est))
    assert _rust_code(path) is None
