"""AdaBoostClassifier and AdaBoostRegressor through the `AdaBoost` body (spec/estimators.md
section 29): round trips that give scikit-learn's own outputs and attributes, the body-only
arithmetic of the Python reader (bit for bit) and the Rust CLI against scikit-learn's, the
order in which numpy sums the softmax's rows, the weighted median with tied predictions,
the writer's refusals, every body rule broken (E_MODEL in both readers) and the rebuild's
provenance checks.

Expected values come from scikit-learn: the fitted originals' predict, predict_proba,
decision_function and staged_* outputs, and their members' own outputs.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.ensemble import AdaBoostClassifier, AdaBoostRegressor
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from test_bagging import _labels, _refusal, _rust_run
from test_body_rules import CLI, _rust_code
from test_roundtrip import assert_same_estimator

import amber
from amber import _container, _tree
from amber._proto.amber.v1 import amber_pb2 as pb

#: scikit-learn before 1.6 computes SAMME.R (1.3.2's default algorithm).
SAMME_R = hasattr(AdaBoostClassifier, "_boost_real")
#: exp and log (numpy's against the C library's), spec/estimators.md section 29, Exactness;
#: a Linear member's scores (section 3.1).
RTOL, ATOL = 1e-12, 1e-15
METHODS = ("predict", "predict_proba", "decision_function")
STAGED = ("staged_predict", "staged_predict_proba", "staged_decision_function")
#: scikit-learn's own: 1.4-1.5's algorithm deprecation, its staged_* handing a validated
#: array to a model fitted on a DataFrame, predict_log_proba of a probability 0
pytestmark = [
    pytest.mark.filterwarnings("ignore::FutureWarning"),
    pytest.mark.filterwarnings("ignore:X does not have valid feature names:UserWarning"),
    pytest.mark.filterwarnings("ignore:divide by zero encountered in log:RuntimeWarning"),
]


# ---------------------------------------------------------------------------- data


def _x(n: int, seed: int, d: int = 5) -> np.ndarray:
    return np.random.RandomState(seed).normal(size=(n, d))


X_TRAIN, X_TEST = _x(400, 0), _x(120, 1)
X_TEST[0] = 0.0
X_TEST[1] = X_TRAIN[0]
NAMES = ["a", "b", "c", "d", "e"]


def _ada(estimator: Any = None, **kw: Any) -> AdaBoostClassifier:
    """AdaBoostClassifier with SAMME (1.3.2's default is SAMME.R)."""
    if "algorithm" in AdaBoostClassifier._get_param_names():
        kw.setdefault("algorithm", "SAMME")
    return AdaBoostClassifier(estimator, random_state=0, **kw)


def _fit(est: Any, y: np.ndarray, X: Any = X_TRAIN, test: Any = X_TEST) -> Callable[[], tuple]:
    return lambda: (clone(est).fit(X, y), test)


def _early_stop() -> tuple[Any, np.ndarray]:
    """A first member that is perfect stops the boosting: one member, 8 weights."""
    y = (X_TRAIN[:, 0] > 0).astype(int)
    est = _ada(DecisionTreeClassifier(max_depth=1), n_estimators=8).fit(X_TRAIN, y)
    assert len(est.estimators_) == 1 and len(est.estimator_weights_) == 8
    return est, X_TEST


def _dataframe() -> tuple[Any, pd.DataFrame]:
    X = pd.DataFrame(X_TRAIN, columns=NAMES)
    est = _ada(DecisionTreeClassifier(max_depth=2), n_estimators=12).fit(X, _labels(X_TRAIN, 3))
    return est, pd.DataFrame(X_TEST, columns=NAMES)


def _ties_target() -> np.ndarray:
    """A target of four values: deep trees' leaves are pure, so each row's member
    predictions tie (about 30 of 40 members share a value with another)."""
    return np.digitize(X_TRAIN[:, 0] + 0.5 * X_TRAIN[:, 1], [-1.0, 0.0, 1.0]).astype(np.float64)


CASES: dict[str, Callable[[], tuple[Any, Any]]] = {
    "samme_stumps_3": _fit(_ada(n_estimators=20), _labels(X_TRAIN, 3)),
    "samme_trees_10_classes": _fit(
        _ada(DecisionTreeClassifier(max_depth=3), n_estimators=25), _labels(X_TRAIN, 10)
    ),
    "samme_binary": _fit(
        _ada(DecisionTreeClassifier(max_depth=2), n_estimators=15), _labels(X_TRAIN, 2)
    ),
    "samme_strings": _fit(
        _ada(DecisionTreeClassifier(max_depth=2), n_estimators=15),
        np.asarray(["ant", "bee", "cat", "dog"])[_labels(X_TRAIN, 4)],
    ),
    "samme_logistic": _fit(
        _ada(LogisticRegression(max_iter=500), n_estimators=6), _labels(X_TRAIN, 3)
    ),
    "samme_logistic_binary_strings": _fit(
        _ada(LogisticRegression(max_iter=500), n_estimators=5),
        np.asarray(["no", "yes"])[_labels(X_TRAIN, 2)],
    ),
    "samme_early_stop": _early_stop,
    "samme_dataframe": _dataframe,
    "regressor_default": _fit(
        AdaBoostRegressor(n_estimators=20, random_state=0), X_TRAIN @ np.arange(1.0, 6.0)
    ),
    "regressor_ties": _fit(
        AdaBoostRegressor(DecisionTreeRegressor(max_depth=6), n_estimators=40, random_state=1),
        _ties_target(),
    ),
    "regressor_square_loss": _fit(
        AdaBoostRegressor(n_estimators=15, loss="square", learning_rate=0.5, random_state=2),
        np.sin(X_TRAIN[:, 0]) + X_TRAIN[:, 1],
    ),
    "regressor_ridge": _fit(
        AdaBoostRegressor(Ridge(), n_estimators=8, random_state=3), X_TRAIN @ np.arange(1.0, 6.0)
    ),
}
if SAMME_R:
    CASES.update(
        {
            "samme_r_trees_10_classes": _fit(
                _ada(DecisionTreeClassifier(max_depth=3), n_estimators=25, algorithm="SAMME.R"),
                _labels(X_TRAIN, 10),
            ),
            "samme_r_binary": _fit(
                _ada(DecisionTreeClassifier(max_depth=2), n_estimators=10, algorithm="SAMME.R"),
                _labels(X_TRAIN, 2),
            ),
            "samme_r_logistic": _fit(
                _ada(LogisticRegression(max_iter=500), n_estimators=5, algorithm="SAMME.R"),
                _labels(X_TRAIN, 3),
            ),
        }
    )

#: Whose member outputs are a Linear's (the Rust reader's: within Linear's tolerance).
_LINEAR = {"samme_logistic", "samme_logistic_binary_strings", "samme_r_logistic", "regressor_ridge"}


def _array(X: Any) -> np.ndarray:
    return np.asarray(X, dtype=np.float64)


def _algorithm(body: pb.AdaBoost) -> str:
    return pb.AdaBoostAlgorithm.Name(body.algorithm)


# ---------------------------------------------------------------------------- round trips


def _outputs(est: Any, X: Any) -> dict[str, Any]:
    out = {m: getattr(est, m)(X) for m in (*METHODS, "predict_log_proba") if hasattr(est, m)}
    for m in STAGED:
        if hasattr(est, m):
            out[m] = list(getattr(est, m)(X))
    return out


@pytest.mark.parametrize("name", sorted(CASES))
def test_round_trip_gives_scikit_learns_outputs_and_attributes(name: str) -> None:
    est, X = CASES[name]()
    data = amber.dumps(est)
    back = amber.loads(data)
    assert_same_estimator(est, back, type(est).__name__)
    if est.estimator is not None:
        assert back.estimator_ is back.estimator
    assert amber.dumps(back) == data
    amber.validate(data)
    want, got = _outputs(est, X), _outputs(back, X)
    assert sorted(want) == sorted(got)
    with np.errstate(divide="ignore"):
        for method in want:
            a, b = want[method], got[method]
            if isinstance(a, list):
                assert len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b))
            else:
                assert np.array_equal(a, b), method
    if hasattr(est.estimators_[0], "feature_importances_"):
        assert np.array_equal(back.feature_importances_, est.feature_importances_)


def test_the_body_holds_every_weight_and_the_algorithm() -> None:
    est, _ = _early_stop()
    c = _container.read_container(amber.dumps(est))
    body = c.manifest.estimator.ada_boost
    assert len(body.members) == 1
    assert np.array_equal(c.array(body.weights), est.estimator_weights_)
    assert c.array(body.weights)[1:].tolist() == [0.0] * 7
    assert _algorithm(body) == "ADA_BOOST_ALGORITHM_SAMME"
    # the members' tensors first, under estimators/<i>/, then the weights
    names = [t.name for t in c.manifest.tensors]
    assert names.index(body.weights) > max(
        i for i, n in enumerate(names) if n.startswith("estimators/")
    )
    reg, _ = CASES["regressor_default"]()
    body = _container.read_container(amber.dumps(reg)).manifest.estimator.ada_boost
    assert _algorithm(body) == "ADA_BOOST_ALGORITHM_UNSPECIFIED" and not body.HasField("classes")


def test_members_have_no_names_and_the_composition_has_the_frames() -> None:
    est, _ = _dataframe()
    m = _container.read_container(amber.dumps(est)).manifest.estimator
    assert list(m.feature_names_in) == NAMES
    assert all(not e.feature_names_in for e in m.ada_boost.members)
    back = amber.loads(amber.dumps(est))
    assert list(back.feature_names_in_) == NAMES


def test_the_template_keeps_its_own_random_states() -> None:
    est = _ada(DecisionTreeClassifier(max_depth=2, random_state=42), n_estimators=4)
    est.fit(X_TRAIN, _labels(X_TRAIN, 3))
    assert est.estimators_[0].random_state != 42
    back = amber.loads(amber.dumps(est))
    assert back.estimator.random_state == 42 and back.estimator_ is back.estimator


def test_an_ada_boost_inside_a_pipeline_and_a_calibration() -> None:
    from sklearn.calibration import CalibratedClassifierCV

    y = _labels(X_TRAIN, 3)
    ada = _ada(DecisionTreeClassifier(max_depth=2), n_estimators=6)
    for est in (
        make_pipeline(StandardScaler(), ada),
        CalibratedClassifierCV(ada, method="isotonic", cv=3),
    ):
        est.fit(X_TRAIN, y)
        data = amber.dumps(est)
        back = amber.loads(data)
        assert amber.dumps(back) == data
        for method in ("predict", "predict_proba"):
            assert np.array_equal(getattr(back, method)(X_TEST), getattr(est, method)(X_TEST))
        if CLI.exists():
            np.testing.assert_allclose(
                _rust_run(data, X_TEST, "predict_proba"),
                est.predict_proba(X_TEST),
                rtol=RTOL,
                atol=1e-12,
            )


# ---------------------------------------------------------------------------- the readers


def _member_outputs(back: Any, body: pb.AdaBoost, X: Any) -> list:
    if not body.HasField("classes"):
        return [e.predict(X) for e in back.estimators_]
    method = "predict_proba" if body.algorithm == pb.ADA_BOOST_ALGORITHM_SAMME_R else "predict"
    return [getattr(e, method)(X) for e in back.estimators_]


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_python_reader_gives_scikit_learns_outputs_bit_for_bit(name: str) -> None:
    """Section 29's arithmetic from the body alone, over the members' outputs, is
    scikit-learn's bit for bit (numpy's exp and log on both sides), on every row and on one
    row."""
    est, X = CASES[name]()
    data = amber.dumps(est)
    back = amber.loads(data)
    c = _container.read_container(data)
    body = c.manifest.estimator.ada_boost
    weights = c.array(body.weights)
    X = _array(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # an array into a model with names
        for rows in (X, X[3:4]):
            outputs = _member_outputs(back, body, rows)
            if not body.HasField("classes"):
                got = _tree.ada_boost_median(weights, np.array(outputs).T)
                assert np.array_equal(got, est.predict(rows))
                continue
            d = _tree.ada_boost_decision(body, weights, outputs)
            assert np.array_equal(d, est.decision_function(rows))
            assert _tree.ada_boost_predict(body, d).tolist() == est.predict(rows).tolist()
            assert np.array_equal(_tree.ada_boost_proba(body, d), est.predict_proba(rows))


def _softmax(v: np.ndarray, in_order: bool) -> np.ndarray:
    e = np.exp(v - np.max(v, axis=1)[:, None])
    out = np.empty_like(e)
    for i, row in enumerate(e):
        t = row[0]
        if in_order:
            for x in row[1:]:
                t = t + x
        else:
            t = np.sum(np.ascontiguousarray(row))
        out[i] = row / t
    return out


@pytest.mark.parametrize(
    "name", ["samme_trees_10_classes"] + (["samme_r_trees_10_classes"] if SAMME_R else [])
)
def test_numpy_sums_the_softmax_rows_in_the_order_the_spec_says(name: str) -> None:
    """Section 29: SAMME's decision is F-ordered, so numpy sums each row's exponentials left
    to right, but a one-row call's row is contiguous and summed pairwise; SAMME.R's decision
    is C-ordered, summed pairwise. With ten classes the two orders differ: the other order
    misses scikit-learn's bits on some row."""
    est, X = CASES[name]()
    k = len(est.classes_)
    samme = name.startswith("samme_trees")
    d = est.decision_function(X)
    assert d.flags.f_contiguous == samme and d.flags.c_contiguous == (not samme)
    want = est.predict_proba(X)
    assert np.array_equal(_softmax(d / (k - 1), in_order=samme), want)
    assert not np.array_equal(_softmax(d / (k - 1), in_order=not samme), want)
    # one row at a time: contiguous, pairwise (the first row whose two sums differ)
    rows = [
        i
        for i in range(len(X))
        if not np.array_equal(
            _softmax(d[i : i + 1] / (k - 1), True), _softmax(d[i : i + 1] / (k - 1), False)
        )
    ]
    assert rows, "no row tells the two orders apart"
    one = X[rows[0] : rows[0] + 1]
    assert np.array_equal(
        _softmax(d[rows[0] : rows[0] + 1] / (k - 1), False), est.predict_proba(one)
    )


def test_tied_member_predictions_give_scikit_learns_weighted_median() -> None:
    est, X = CASES["regressor_ties"]()
    predictions = np.array([e.predict(X) for e in est.estimators_]).T
    tied = [len(np.unique(r)) < len(r) for r in predictions]
    assert sum(tied) == len(X)  # every row has equal member predictions
    # ... and numpy's argsort (not stable beyond 16 values) orders them its own way: the
    # running sums still cross half the total at the same value
    got = _tree.ada_boost_median(est.estimator_weights_, predictions)
    assert np.array_equal(got, est.predict(X))
    if CLI.exists():
        assert np.array_equal(_rust_run(amber.dumps(est), X, "predict"), est.predict(X))


def _margin_ok(est: Any, X: np.ndarray, slack: float) -> np.ndarray:
    """Rows whose label a reader's decision within `slack` cannot change."""
    d = est.decision_function(X)
    if d.ndim == 1:
        return np.abs(d) > slack
    top = np.sort(d, axis=1)
    return top[:, -1] - top[:, -2] > slack


@pytest.mark.skipif(not CLI.exists(), reason="the release CLI is not built")
@pytest.mark.parametrize("name", sorted(CASES))
def test_rust_gives_scikit_learns_outputs(name: str, tmp_path: Path) -> None:
    """The Rust reader, from the body alone: SAMME decision values and labels bit for bit
    over exact members, probabilities (exp) and SAMME.R (log) within rtol 1e-12, the
    weighted median exactly; every row and one row."""
    est, X = CASES[name]()
    data = amber.dumps(est)
    samme_r = getattr(est, "algorithm", "SAMME") == "SAMME.R"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        for rows in (_array(X), _array(X)[3:4]):
            for method in METHODS:
                got = _rust_run(data, rows, method, tmp_path)
                if not hasattr(est, method):
                    assert got is None, method
                    continue
                want = np.asarray(getattr(est, method)(rows))
                assert got is not None and got.shape == want.shape, method
                if method == "predict" and isinstance(est, AdaBoostClassifier):
                    ok = _margin_ok(est, rows, 1e-9) if samme_r else np.ones(len(rows), bool)
                    assert got[ok].tolist() == want[ok].tolist()
                elif method == "predict_proba" or samme_r or name in _LINEAR:
                    np.testing.assert_allclose(got, want, rtol=RTOL, atol=1e-12, err_msg=method)
                else:
                    assert np.array_equal(got, want), method


@pytest.mark.skipif(not CLI.exists(), reason="the release CLI is not built")
@pytest.mark.parametrize("name", sorted(CASES))
def test_rust_accepts_every_case(name: str, tmp_path: Path) -> None:
    est, _ = CASES[name]()
    path = tmp_path / "model.amber"
    path.write_bytes(amber.dumps(est))
    assert _rust_code(path) is None


# ---------------------------------------------------------------------------- refused at save


def test_an_unfitted_ada_boost_is_refused() -> None:
    assert "not fitted" in _refusal(AdaBoostRegressor())


def test_one_class_is_refused() -> None:
    est = _ada(n_estimators=3).fit(X_TRAIN, np.zeros(len(X_TRAIN), dtype=int))
    assert est.n_classes_ == 1
    assert "fitted on one class" in _refusal(est)


def test_a_member_amber_cannot_save_is_named() -> None:
    est = _ada(SVC(), n_estimators=2).fit(X_TRAIN[:80], _labels(X_TRAIN[:80], 2))
    assert "estimators/0: sklearn.svm.SVC is not supported" in _refusal(est)


def test_a_member_that_transforms_in_place_is_refused() -> None:
    member = make_pipeline(StandardScaler(copy=False), DecisionTreeRegressor(max_depth=2))
    est = AdaBoostRegressor(member, n_estimators=3, random_state=0).fit(
        X_TRAIN, X_TRAIN @ np.arange(1.0, 6.0)
    )
    assert "transforms in place (copy=False)" in _refusal(est)


def test_an_estimator_param_changed_after_fit_is_refused() -> None:
    est, _ = CASES["samme_stumps_3"]()
    est.set_params(estimator=DecisionTreeClassifier(max_depth=3))
    assert "estimator param does not match" in _refusal(est)


def test_weights_that_are_not_finite_are_refused() -> None:
    est, _ = CASES["samme_binary"]()
    est.estimator_weights_[2] = np.nan
    assert "estimator_weights_" in _refusal(est)


# ---------------------------------------------------------------------------- body rules


def _mutant(name: str, edit: Callable[[pb.Manifest], None], tensors: list | None = None) -> bytes:
    est, _ = CASES[name]()
    c = _container.read_container(amber.dumps(est))
    m = pb.Manifest()
    m.CopyFrom(c.manifest)
    edit(m)
    if not tensors:
        return _container.frame(m.SerializeToString(deterministic=True), bytes(c.data))
    return _container.write_container(m, [*c.all_tensors(), *tensors])


def _body(m: pb.Manifest) -> pb.AdaBoost:
    return m.estimator.ada_boost


#: A tensor a mutant's weights are pointed at (added by `_rule_file`).
_WEIGHTS: list = []


def _weights(values: Any) -> Callable[[pb.Manifest], None]:
    def edit(m: pb.Manifest) -> None:
        _body(m).weights = "bad/weights"
        _WEIGHTS[:] = [_container.Tensor.from_array("bad/weights", np.asarray(values))]

    return edit


def _no_kind(m: pb.Manifest) -> None:
    _body(m).classes.ClearField("ints")
    _body(m).classes.SetInParent()


SAMME_R_ALGORITHM = pb.ADA_BOOST_ALGORITHM_SAMME_R


def _hard_voting_member(m: pb.Manifest) -> None:
    """Member 0 (a tree of classes 0, 1, 2) wrapped in a hard VotingClassifier of the same
    classes: a classifier without predict_proba (AdaBoostClassifier cannot fit one: its fit
    takes no sample_weight), which SAMME may combine."""
    member = _body(m).members[0]
    tree = pb.Estimator()
    tree.CopyFrom(member)
    member.Clear()
    member.producer_type = "sklearn.ensemble.VotingClassifier"
    member.n_features_in = tree.n_features_in
    member.voting.rule = pb.VOTING_RULE_HARD
    member.voting.classes.ints.values.extend([0, 1, 2])
    member.voting.members.add(name="t").estimator.CopyFrom(tree)


def test_samme_combines_a_member_without_predict_proba() -> None:
    amber.validate(_mutant("samme_stumps_3", _hard_voting_member))


BODY_RULES: dict[str, tuple[str, Callable[[pb.Manifest], None], list, str]] = {
    "structure: classes of no kind": ("samme_stumps_3", _no_kind, [], "ada_boost.classes"),
    "structure: an unknown algorithm": (
        "samme_stumps_3",
        lambda m: setattr(_body(m), "algorithm", 7),
        [],
        "ada_boost.algorithm",
    ),
    "rule 1: no member": (
        "samme_stumps_3",
        lambda m: _body(m).ClearField("members"),
        [],
        "members",
    ),
    "rule 1: classes without an algorithm": (
        "samme_stumps_3",
        lambda m: setattr(_body(m), "algorithm", 0),
        [],
        "algorithm",
    ),
    "rule 1: an algorithm without classes": (
        "regressor_default",
        lambda m: setattr(_body(m), "algorithm", 1),
        [],
        "algorithm",
    ),
    "rule 1: one class": (
        "samme_binary",
        lambda m: _body(m).classes.ints.values.pop(),
        [],
        "at least two classes",
    ),
    "rule 1: repeated classes": (
        "samme_stumps_3",
        lambda m: _body(m).classes.ints.values.__setitem__(2, 1),
        [],
        "ada_boost.classes",
    ),
    "rule 2: i64 weights": ("samme_stumps_3", _weights(np.arange(20)), _WEIGHTS, "weights"),
    "rule 2: fewer weights than members": (
        "samme_stumps_3",
        _weights(np.ones(19)),
        _WEIGHTS,
        "W >= 20",
    ),
    "rule 2: weights of rank 2": (
        "samme_stumps_3",
        _weights(np.ones((20, 1))),
        _WEIGHTS,
        "weights",
    ),
    "rule 2: a NaN weight": (
        "samme_stumps_3",
        _weights(np.r_[np.ones(19), np.nan]),
        _WEIGHTS,
        "finite",
    ),
    "rule 3: a member reads another width": (
        "samme_stumps_3",
        lambda m: setattr(m.estimator, "n_features_in", 4),
        [],
        "n_features_in",
    ),
    "rule 3: a member has feature names": (
        "samme_stumps_3",
        lambda m: _body(m).members[1].feature_names_in.extend(NAMES),
        [],
        "members[1]",
    ),
    "rule 3: a member's classes are not the composition's": (
        "samme_stumps_3",
        lambda m: _body(m).classes.ints.values.__setitem__(2, 5),
        [],
        "composition's classes",
    ),
    "rule 3: a SAMME.R member without predict_proba": (
        "samme_stumps_3",
        lambda m: _hard_voting_member(m) or setattr(_body(m), "algorithm", SAMME_R_ALGORITHM),
        [],
        "SAMME.R member",
    ),
    "rule 3: a regressor over classifiers": (
        "samme_stumps_3",
        lambda m: _body(m).ClearField("classes") or setattr(_body(m), "algorithm", 0),
        [],
        "AdaBoostRegressor member",
    ),
    "rule 3: a classifier over regressors": (
        "regressor_default",
        lambda m: (
            _body(m).classes.floats.values.extend([0.0, 1.0]) or setattr(_body(m), "algorithm", 1)
        ),
        [],
        "composition's classes",
    ),
}


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


@pytest.mark.skipif(not CLI.exists(), reason="the release CLI is not built")
@pytest.mark.parametrize("rule", sorted(BODY_RULES))
def test_rust_gives_the_same_verdict(rule: str, tmp_path: Path) -> None:
    path = tmp_path / "model.amber"
    path.write_bytes(_rule_file(rule))
    assert _rust_code(path) == "E_MODEL"


def test_weights_without_a_tensor_are_e_tensor_ref(tmp_path: Path) -> None:
    data = _mutant("samme_stumps_3", lambda m: setattr(_body(m), "weights", ""))
    with pytest.raises(amber.AmberError) as err:
        amber.validate(data)
    assert err.value.code == "E_TENSOR_REF"
    if CLI.exists():
        path = tmp_path / "model.amber"
        path.write_bytes(data)
        assert _rust_code(path) == "E_TENSOR_REF"


# ---------------------------------------------------------------------------- provenance


def _attr(m: pb.Manifest, name: str) -> pb.Value:
    return next(p.value for p in m.estimator.attributes if p.name == name)


PROVENANCE = {
    "a member of another class": (
        "samme_stumps_3",
        lambda m: setattr(_body(m).members[2], "producer_type", "sklearn.tree.ExtraTreeClassifier"),
        "fit makes clones",
    ),
    "a classifier body under a regressor's name": (
        "samme_stumps_3",
        lambda m: setattr(m.estimator, "producer_type", "sklearn.ensemble.AdaBoostRegressor"),
        "with classes",
    ),
}
if not SAMME_R:
    PROVENANCE["SAMME.R, which this scikit-learn no longer computes"] = (
        "samme_trees_10_classes",
        lambda m: setattr(_body(m), "algorithm", pb.ADA_BOOST_ALGORITHM_SAMME_R),
        "no longer computes",
    )


@pytest.mark.parametrize("case", sorted(PROVENANCE))
def test_provenance_that_contradicts_the_body_is_e_provenance(case: str) -> None:
    name, edit, says = PROVENANCE[case]
    data = _mutant(name, edit)
    amber.validate(data)  # the body is fine
    with pytest.raises(amber.AmberError) as err:
        amber.loads(data)
    assert err.value.code == "E_PROVENANCE", err.value
    assert says in str(err.value), err.value


@pytest.mark.skipif(not SAMME_R, reason="SAMME.R is computed before scikit-learn 1.6")
def test_an_algorithm_param_comes_from_the_body() -> None:
    """The algorithm is the body's, never a param: a file of a version without the param
    (1.9.1's, SAMME) rebuilds as SAMME where the param exists, whose default is SAMME.R."""

    def edit(m: pb.Manifest) -> None:
        keep = [p for p in m.estimator.params if p.name != "base_estimator"]  # as 1.9.1 writes
        del m.estimator.params[:]
        m.estimator.params.extend(keep)

    est, X = CASES["samme_stumps_3"]()
    data = amber.dumps(est)
    assert not any(
        p.name == "algorithm" for p in _container.read_container(data).manifest.estimator.params
    )
    back = amber.loads(_mutant("samme_stumps_3", edit))
    assert back.algorithm == "SAMME"
    assert np.array_equal(back.predict_proba(X), est.predict_proba(X))


def test_a_member_declaring_many_features_lists_no_kinds(tmp_path: Path) -> None:
    """A member that is not kind-bearing reads numbers by construction: its 2^40 declared
    features (no tensor backs them) are not listed one kind each; it is refused for what it is
    (a Normalizer is no regressor), E_MODEL, in both readers."""

    def edit(m: pb.Manifest) -> None:
        m.estimator.n_features_in = 1 << 40
        member = _body(m).members[0]
        member.Clear()
        member.producer_type = "sklearn.preprocessing.Normalizer"
        member.n_features_in = 1 << 40
        member.normalizer.norm = pb.NORMALIZER_NORM_L2

    data = _mutant("regressor_default", edit)
    with pytest.raises(amber.AmberError) as err:
        amber.validate(data)
    assert err.value.code == "E_MODEL" and "AdaBoostRegressor member" in str(err.value)
    if CLI.exists():
        path = tmp_path / "model.amber"
        path.write_bytes(data)
        assert _rust_code(path) == "E_MODEL"
