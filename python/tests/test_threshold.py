"""FixedThresholdClassifier and TunedThresholdClassifierCV through the `ThresholdClassifier`
body (spec/estimators.md section 27; scikit-learn 1.5+): response_method auto,
predict_proba and decision_function; pos_label None, the first class and the second; the
threshold "auto", a number, the tuned best threshold; string and int labels; a
FrozenEstimator, cv="prefit", an unfitted wrapper of a fitted estimator. Round trips that
give scikit-learn's own outputs, the Python reader's arithmetic and the Rust CLI's against
scikit-learn's, the writer's refusals and every body rule broken.

Expected values come from scikit-learn: the fitted originals' predict, predict_proba and
decision_function.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
import pytest

model_selection = pytest.importorskip("sklearn.model_selection")
if not hasattr(model_selection, "FixedThresholdClassifier"):
    pytest.skip("the threshold classifiers are new in scikit-learn 1.5", allow_module_level=True)

from sklearn.base import clone  # noqa: E402
from sklearn.compose import ColumnTransformer  # noqa: E402
from sklearn.ensemble import (  # noqa: E402
    HistGradientBoostingClassifier,
    RandomForestClassifier,
    StackingClassifier,
    VotingClassifier,
)
from sklearn.frozen import FrozenEstimator  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import f1_score, make_scorer  # noqa: E402
from sklearn.model_selection import (  # noqa: E402
    FixedThresholdClassifier,
    KFold,
    StratifiedKFold,
    TunedThresholdClassifierCV,
)
from sklearn.pipeline import Pipeline, make_pipeline  # noqa: E402
from sklearn.preprocessing import OneHotEncoder, StandardScaler  # noqa: E402
from test_body_rules import CLI, _rust_code  # noqa: E402
from test_function_transformer import rust_reencodes, rust_run  # noqa: E402
from test_roundtrip import _fitted, assert_same  # noqa: E402

import amber  # noqa: E402
from amber import _container, _tree  # noqa: E402
from amber._proto.amber.v1 import amber_pb2 as pb  # noqa: E402

needs_cli = pytest.mark.skipif(not CLI.exists(), reason="the release CLI is not built")
METHODS = ("predict", "predict_proba", "decision_function")
#: Linear's tolerance (spec/estimators.md section 3.1) for a LogisticRegression's scores.
RTOL, ATOL = 1e-12, 1e-13

X_TRAIN = np.random.RandomState(0).normal(size=(240, 4))
X_TEST = np.random.RandomState(1).normal(size=(60, 4))


def _labels(X: np.ndarray, labels: list[Any]) -> np.ndarray:
    score = X[:, 0] + 0.6 * X[:, 1] + 0.8 * np.random.RandomState(9).normal(size=len(X)) - 0.4
    return np.asarray(labels)[(score > 0).astype(int)]


def _forest() -> RandomForestClassifier:
    return RandomForestClassifier(n_estimators=5, max_depth=4, random_state=0)


def _hgb() -> HistGradientBoostingClassifier:
    return HistGradientBoostingClassifier(max_iter=10, max_depth=3, random_state=0)


def _fit(est: Any, labels: list[Any]) -> Callable[[], tuple[Any, Any]]:
    return lambda: (clone(est).fit(X_TRAIN, _labels(X_TRAIN, labels)), X_TEST)


def _frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.RandomState(seed)
    return pd.DataFrame(
        {
            "city": rng.choice(["oslo", "rome", "lima"], n),
            "a": rng.normal(size=n),
            "b": rng.normal(size=n),
        }
    )


def _dataframe() -> tuple[Any, Any]:
    X = _frame(240, 3)
    y = np.where((X["city"] == "rome") ^ (X["a"] > 0.3), "yes", "no")
    features = ColumnTransformer(
        [("city", OneHotEncoder(), ["city"]), ("num", StandardScaler(), ["a", "b"])]
    )
    est = TunedThresholdClassifierCV(
        Pipeline([("f", features), ("lr", LogisticRegression())]), cv=3, scoring="f1_macro"
    )
    return est.fit(X, y), _frame(50, 4)


def _frozen_fixed() -> tuple[Any, Any]:
    lr = LogisticRegression().fit(X_TRAIN, _labels(X_TRAIN, ["no", "yes"]))
    est = FixedThresholdClassifier(FrozenEstimator(lr), threshold=0.7, pos_label="no")
    return est.fit(X_TRAIN, _labels(X_TRAIN, ["no", "yes"])), X_TEST


def _unfitted_wrapper() -> tuple[Any, Any]:
    forest = _forest().fit(X_TRAIN, _labels(X_TRAIN, [3, 8]))
    return FixedThresholdClassifier(forest, threshold=0.35), X_TEST


def _frozen_unfitted() -> tuple[Any, Any]:
    lr = LogisticRegression().fit(X_TRAIN, _labels(X_TRAIN, [0, 1]))
    return FixedThresholdClassifier(
        FrozenEstimator(lr), response_method="decision_function"
    ), X_TEST


def _prefit_tuned() -> tuple[Any, Any]:
    y = _labels(X_TRAIN, [0, 1])
    lr = LogisticRegression().fit(X_TRAIN[:120], y[:120])
    est = TunedThresholdClassifierCV(lr, cv="prefit", refit=False, scoring="f1")
    return est.fit(X_TRAIN[120:], y[120:]), X_TEST


def _frozen_tuned() -> tuple[Any, Any]:
    y = _labels(X_TRAIN, ["a", "b"])
    hgb = _hgb().fit(X_TRAIN[:120], y[:120])
    est = TunedThresholdClassifierCV(FrozenEstimator(hgb), cv=3, store_cv_results=True)
    return est.fit(X_TRAIN[120:], y[120:]), X_TEST


def _fixed(**params: Any) -> Any:
    return FixedThresholdClassifier(**params)


CASES: dict[str, Callable[[], tuple[Any, Any]]] = {
    "fixed_auto_logistic": _fit(_fixed(estimator=LogisticRegression()), [0, 1]),
    "fixed_number_forest_strings": _fit(_fixed(estimator=_forest(), threshold=0.3), ["cat", "dog"]),
    "fixed_first_class_proba": _fit(
        _fixed(estimator=LogisticRegression(), threshold=0.4, pos_label=-1), [-1, 1]
    ),
    "fixed_second_class_decision": _fit(
        _fixed(
            estimator=LogisticRegression(),
            threshold=-0.5,
            pos_label="yes",
            response_method="decision_function",
        ),
        ["no", "yes"],
    ),
    "fixed_first_class_decision_hgb": _fit(
        _fixed(estimator=_hgb(), threshold=0.25, pos_label=2, response_method="decision_function"),
        [2, 7],
    ),
    "fixed_auto_decision": _fit(
        _fixed(estimator=_hgb(), response_method="decision_function"), [0, 1]
    ),
    "fixed_int_threshold_pipeline": _fit(
        _fixed(
            estimator=make_pipeline(StandardScaler(), LogisticRegression()),
            threshold=0,
            response_method="decision_function",
        ),
        [0, 1],
    ),
    "fixed_infinite_threshold": _fit(
        _fixed(estimator=_forest(), threshold=float("inf")), ["x", "y"]
    ),
    "fixed_frozen": _frozen_fixed,
    "fixed_unfitted_wrapper": _unfitted_wrapper,
    "fixed_frozen_unfitted": _frozen_unfitted,
    "tuned_default_logistic": _fit(TunedThresholdClassifierCV(LogisticRegression()), [0, 1]),
    "tuned_f1_first_class": _fit(
        TunedThresholdClassifierCV(LogisticRegression(), scoring="f1", cv=4), [1, 2]
    ),
    "tuned_decision_strings": _fit(
        TunedThresholdClassifierCV(
            _hgb(), response_method="decision_function", cv=KFold(3), store_cv_results=True
        ),
        ["no", "yes"],
    ),
    "tuned_holdout_forest": _fit(
        TunedThresholdClassifierCV(
            _forest(), cv=0.3, refit=False, random_state=0, thresholds=np.linspace(0, 1, 21)
        ),
        [0, 1],
    ),
    "tuned_splitter_thresholds": _fit(
        TunedThresholdClassifierCV(
            LogisticRegression(),
            cv=StratifiedKFold(3, shuffle=True, random_state=1),
            thresholds=25,
            scoring="precision",
        ),
        [-1, 1],
    ),
    "tuned_prefit": _prefit_tuned,
    "tuned_frozen": _frozen_tuned,
    "tuned_dataframe": _dataframe,
}
_BUILT: dict[str, tuple[Any, Any]] = {}


def _case(name: str) -> tuple[Any, Any]:
    """A copy of the case's fitted model and its test input (each case is fitted once: the
    tuned ones cross-validate)."""
    if name not in _BUILT:
        _BUILT[name] = CASES[name]()
    return copy.deepcopy(_BUILT[name])


#: Whose scores come from a LogisticRegression (Linear's tolerance).
LINEAR = {
    "fixed_auto_logistic",
    "fixed_first_class_proba",
    "fixed_second_class_decision",
    "fixed_int_threshold_pipeline",
    "fixed_frozen",
    "fixed_frozen_unfitted",
    "tuned_default_logistic",
    "tuned_f1_first_class",
    "tuned_splitter_thresholds",
    "tuned_prefit",
    "tuned_dataframe",
}


def _same(est: Any, back: Any, name: str) -> None:
    pa, pb_ = est.get_params(deep=False), back.get_params(deep=False)
    if hasattr(pa.get("cv"), "split"):  # a splitter: the same class and params
        assert repr(pb_.pop("cv")) == repr(pa.pop("cv"))
    assert_same(pa, pb_, f"{name}.params")
    fa, fb = _fitted(est), _fitted(back)
    assert sorted(fa) == sorted(fb), name
    for k in fa:
        assert_same(fa[k], fb[k], f"{name}.{k}")
    assert list(back.classes_) == list(est.classes_)
    for own in ("n_features_in_", "feature_names_in_"):
        assert hasattr(back, own) == hasattr(est, own), own
    if isinstance(est, TunedThresholdClassifierCV):
        assert repr(back._curve_scorer) == repr(est._curve_scorer)
        assert back._curve_scorer._get_pos_label() == est._curve_scorer._get_pos_label()
        assert type(back.best_threshold_) is type(est.best_threshold_)
    if isinstance(est.estimator, FrozenEstimator):
        assert isinstance(back.estimator, FrozenEstimator)
        assert (getattr(back, "estimator_", None) is back.estimator) == (
            getattr(est, "estimator_", None) is est.estimator
        )


def _methods(est: Any) -> list[str]:
    return [m for m in METHODS if hasattr(est, m)]


@pytest.mark.parametrize("name", sorted(CASES))
def test_round_trip_gives_scikit_learns_outputs(name: str) -> None:
    est, X = _case(name)
    data = amber.dumps(est)
    back = amber.loads(data)
    _same(est, back, name)
    assert amber.dumps(back) == data
    amber.validate(data)
    assert _methods(back) == _methods(est)
    for method in _methods(est):
        assert np.array_equal(getattr(back, method)(X), getattr(est, method)(X)), method


def _response(est: Any, body: pb.ThresholdClassifier, X: Any) -> np.ndarray:
    e = getattr(est, "estimator_", est.estimator)
    return getattr(e, _tree.THRESHOLD_SCORES[body.score])(X)


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_python_reader_gives_scikit_learns_labels(name: str) -> None:
    est, X = _case(name)
    body = _container.read_container(amber.dumps(est)).manifest.estimator.threshold_classifier
    got = _tree.threshold_predict(body, est.classes_, _response(est, body, X))
    assert got.tolist() == est.predict(X).tolist()


def test_the_body_holds_what_predict_resolves() -> None:
    def body(name: str) -> pb.ThresholdClassifier:
        est, _ = _case(name)
        return _container.read_container(amber.dumps(est)).manifest.estimator.threshold_classifier

    proba, decision = pb.THRESHOLD_SCORE_PREDICT_PROBA, pb.THRESHOLD_SCORE_DECISION_FUNCTION
    expect = {
        "fixed_auto_logistic": (proba, 1, 0.5),
        "fixed_first_class_proba": (proba, 0, 0.4),
        "fixed_second_class_decision": (decision, 1, -0.5),
        "fixed_first_class_decision_hgb": (decision, 0, 0.25),
        "fixed_auto_decision": (decision, 1, 0.0),
        "fixed_infinite_threshold": (proba, 1, float("inf")),
        "fixed_frozen": (proba, 0, 0.7),
    }
    for name, (score, positive, threshold) in expect.items():
        b = body(name)
        assert (b.score, b.positive, b.threshold) == (score, positive, threshold), name
    tuned, _ = _case("tuned_f1_first_class")
    b = body("tuned_f1_first_class")
    # f1's pos_label defaults to 1: here the first class
    assert b.positive == 0 and b.threshold == tuned.best_threshold_


@needs_cli
@pytest.mark.parametrize("name", sorted(CASES))
def test_rust_gives_scikit_learns_outputs(name: str, tmp_path: Path) -> None:
    est, X = _case(name)
    data = amber.dumps(est)
    rows = X.iloc[:1] if isinstance(X, pd.DataFrame) else X[:1]
    for method in METHODS:
        for inp in (X, rows):
            got = rust_run(data, inp, method, tmp_path)
            if not hasattr(est, method):
                assert got == "E_METHOD", method
                continue
            want = getattr(est, method)(inp)
            if method == "predict":
                assert np.asarray(got).tolist() == want.tolist(), method
            elif name in LINEAR:
                np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL, err_msg=method)
            else:
                assert np.array_equal(got, want), method


@needs_cli
@pytest.mark.parametrize("name", sorted(CASES))
def test_rust_writes_the_same_bytes(name: str, tmp_path: Path) -> None:
    est, _ = _case(name)
    data = amber.dumps(est)
    assert rust_reencodes(data, tmp_path) == data


def test_tensors_are_the_estimators_under_estimator() -> None:
    est, _ = _case("fixed_auto_logistic")
    info = amber.inspect(amber.dumps(est))
    assert [t["name"] for t in info["tensors"]] == [
        "estimator/coef_",
        "estimator/intercept_",
        "estimator/attributes/n_iter_",
    ]
    assert info["estimator"]["threshold_classifier"] == {
        "estimator": info["estimator"]["threshold_classifier"]["estimator"],
        "score": "THRESHOLD_SCORE_PREDICT_PROBA",
        "positive": 1,
        "threshold": 0.5,
    }
    est, _ = _case("tuned_dataframe")
    kinds = [c["kind"] for c in amber.inspect(amber.dumps(est))["input"]["columns"]]
    assert kinds == ["string", "numeric", "numeric"]


def test_a_threshold_classifier_inside_other_compositions(tmp_path: Path) -> None:
    y = _labels(X_TRAIN, [0, 1])
    fixed = FixedThresholdClassifier(_forest(), threshold=0.3)
    for est in (
        make_pipeline(StandardScaler(), clone(fixed)),
        VotingClassifier([("fixed", clone(fixed)), ("lr", LogisticRegression())], voting="soft"),
        StackingClassifier([("fixed", clone(fixed)), ("hgb", _hgb())], cv=3),
    ):
        est.fit(X_TRAIN, y)
        data = amber.dumps(est)
        back = amber.loads(data)
        assert amber.dumps(back) == data
        assert np.array_equal(back.predict(X_TEST), est.predict(X_TEST))
        if CLI.exists():
            assert np.array_equal(rust_run(data, X_TEST, "predict", tmp_path), est.predict(X_TEST))


# ---------------------------------------------------------------------------- refused at save


def _refusal(est: Any) -> str:
    with pytest.raises(amber.AmberError) as err:
        amber.dumps(est)
    assert err.value.code == "E_UNSUPPORTED"
    assert "ThresholdClassifier" in str(err.value)
    return str(err.value)


def test_a_callable_scoring_is_refused_by_name() -> None:
    scorer = make_scorer(f1_score, pos_label="no")
    est = TunedThresholdClassifierCV(LogisticRegression(), scoring=scorer, cv=3)
    est.fit(X_TRAIN, _labels(X_TRAIN, ["no", "yes"]))
    text = _refusal(est)
    assert "its scoring is a callable" in text and "never saves code" in text


def test_a_nan_threshold_is_refused() -> None:
    est, _ = _case("fixed_auto_logistic")
    est.set_params(threshold=float("nan"))
    assert "threshold is NaN" in _refusal(est)


def test_a_pos_label_that_is_no_class_is_refused() -> None:
    est, X = _case("fixed_auto_logistic")
    est.set_params(pos_label="one")
    with pytest.raises(ValueError, match="pos_label"):
        est.predict(X)
    assert "not one of the estimator's classes" in _refusal(est)


def test_unfitted_models_are_refused() -> None:
    assert "not fitted" in _refusal(FixedThresholdClassifier(LogisticRegression()))
    assert "not fitted" in _refusal(TunedThresholdClassifierCV(LogisticRegression()))


def test_an_estimator_changed_after_fit_is_refused() -> None:
    est, _ = _case("fixed_auto_logistic")
    est.set_params(estimator=_forest())
    assert "changed after fit" in _refusal(est)


def test_an_estimator_amber_cannot_save_is_named() -> None:
    from sklearn.svm import SVC

    est = FixedThresholdClassifier(SVC()).fit(X_TRAIN, _labels(X_TRAIN, [0, 1]))
    assert "estimator: sklearn.svm.SVC is not supported" in _refusal(est)


# ---------------------------------------------------------------------------- body rules


def _mutant(name: str, edit: Callable[[pb.Manifest], None]) -> bytes:
    est, _ = _case(name)
    c = _container.read_container(amber.dumps(est))
    m = pb.Manifest()
    m.CopyFrom(c.manifest)
    edit(m)
    return _container.write_container(m, c.all_tensors())


def _body(m: pb.Manifest) -> pb.ThresholdClassifier:
    return m.estimator.threshold_classifier


def _regressor(m: pb.Manifest) -> None:
    linear = _body(m).estimator.linear
    linear.link = pb.LINEAR_LINK_IDENTITY
    linear.ClearField("classes")


BODY_RULES: dict[str, tuple[str, Callable[[pb.Manifest], None], str]] = {
    "no estimator": (
        "fixed_auto_logistic",
        lambda m: _body(m).ClearField("estimator"),
        "threshold_classifier.estimator",
    ),
    "score unspecified": (
        "fixed_auto_logistic",
        lambda m: setattr(_body(m), "score", pb.THRESHOLD_SCORE_UNSPECIFIED),
        "threshold_classifier.score",
    ),
    "rule 1: the estimator reads another width": (
        "fixed_auto_logistic",
        lambda m: setattr(m.estimator, "n_features_in", 5),
        "n_features_in",
    ),
    "rule 1: the estimator is a regressor": (
        "fixed_auto_logistic",
        _regressor,
        "threshold_classifier.estimator",
    ),
    "rule 1: repeated classes": (
        "fixed_number_forest_strings",
        lambda m: _body(m).estimator.tree_ensemble.classes[0].strings.values.__setitem__(1, "cat"),
        "classes",
    ),
    "rule 2: a forest has no decision_function": (
        "fixed_number_forest_strings",
        lambda m: setattr(_body(m), "score", pb.THRESHOLD_SCORE_DECISION_FUNCTION),
        "threshold_classifier.estimator",
    ),
    "rule 3: positive 2": (
        "fixed_auto_logistic",
        lambda m: setattr(_body(m), "positive", 2),
        "threshold_classifier.positive",
    ),
    "rule 3: a NaN threshold": (
        "fixed_auto_logistic",
        lambda m: setattr(_body(m), "threshold", float("nan")),
        "threshold_classifier.threshold",
    ),
}


@pytest.mark.parametrize("rule", sorted(BODY_RULES))
def test_a_body_rule_broken_is_e_model_naming_the_field(rule: str, tmp_path: Path) -> None:
    case, edit, says = BODY_RULES[rule]
    data = _mutant(case, edit)
    for read in (amber.validate, amber.loads):
        with pytest.raises(amber.AmberError) as err:
            read(data)
        assert err.value.code == "E_MODEL", err.value
        assert says in str(err.value), err.value
    if CLI.exists():
        path = tmp_path / "m.amber"
        path.write_bytes(data)
        assert _rust_code(path) == "E_MODEL"


def _param(m: pb.Manifest, name: str) -> pb.Value:
    p = next((p for p in m.estimator.params if p.name == name), None)
    return p.value if p is not None else m.estimator.params.add(name=name).value


PROVENANCE: dict[str, tuple[str, Callable[[pb.Manifest], None], str]] = {
    "pos_label another class": (
        "fixed_first_class_proba",
        lambda m: setattr(_param(m, "pos_label"), "int_value", 1),
        "positive is 0",
    ),
    "a threshold param that is not the body's": (
        "fixed_number_forest_strings",
        lambda m: setattr(_param(m, "threshold"), "float_value", 0.6),
        "threshold is 0.3",
    ),
    "response_method the other": (
        "fixed_auto_logistic",
        lambda m: setattr(_param(m, "response_method"), "string_value", "decision_function"),
        "score is THRESHOLD_SCORE_PREDICT_PROBA",
    ),
    "a scoring whose pos_label is another class": (
        "tuned_f1_first_class",
        lambda m: setattr(_param(m, "scoring"), "string_value", "balanced_accuracy"),
        "positive is 0",
    ),
    "positive not the scorer's": (
        "tuned_default_logistic",
        lambda m: setattr(_body(m), "positive", 0),
        "positive is 0",
    ),
    "estimator/fitted on a tuned model": (
        "tuned_default_logistic",
        lambda m: setattr(
            m.estimator.attributes.add(name="estimator/fitted").value, "bool_value", True
        ),
        "estimator/fitted",
    ),
}


@pytest.mark.parametrize("name", sorted(PROVENANCE))
def test_provenance_that_contradicts_the_body_is_e_provenance(name: str) -> None:
    case, edit, says = PROVENANCE[name]
    data = _mutant(case, edit)
    amber.validate(data)  # the body is fine
    with pytest.raises(amber.AmberError) as err:
        amber.loads(data)
    assert err.value.code == "E_PROVENANCE" and says in str(err.value), err.value
