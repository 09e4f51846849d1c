"""BaggingClassifier and BaggingRegressor through the `Bagging` body (spec/estimators.md
section 28): round trips that give scikit-learn's own outputs and attributes, the body-only
arithmetic of the Python reader and the Rust CLI against scikit-learn's, the writer's
refusals, every body rule broken (E_MODEL in both readers) and the rebuild's provenance
checks.

Expected values come from scikit-learn: the fitted originals' predict, predict_proba,
decision_function and estimators_samples_, and their members' own outputs.
"""

from __future__ import annotations

import subprocess
import tempfile
import warnings
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.ensemble import (
    AdaBoostClassifier,
    BaggingClassifier,
    BaggingRegressor,
    VotingClassifier,
)
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OrdinalEncoder, StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from test_body_rules import CLI, _rust_code
from test_roundtrip import assert_same, assert_same_estimator

import amber
from amber import _container, _tree
from amber._proto.amber.v1 import amber_pb2 as pb

#: Linear's tolerance (spec/estimators.md section 3.1): the Rust reader's LogisticRegression
#: and Ridge scores may differ from scikit-learn's in the last bits.
RTOL, ATOL = 1e-12, 1e-14
METHODS = ("predict", "predict_proba", "decision_function")
#: scikit-learn's own: an out-of-bag row no member left out (0 / 0), predict_log_proba of a
#: probability 0, an AdaBoost member fitted with zero sample weights (log 0)
pytestmark = [
    pytest.mark.filterwarnings("ignore:Some inputs do not have OOB scores"),
    pytest.mark.filterwarnings("ignore:invalid value encountered in divide:RuntimeWarning"),
    pytest.mark.filterwarnings("ignore:divide by zero encountered in log:RuntimeWarning"),
]


# ---------------------------------------------------------------------------- data


def _x(n: int, seed: int, d: int = 6) -> np.ndarray:
    return np.random.RandomState(seed).normal(size=(n, d))


def _labels(X: np.ndarray, k: int, seed: int = 9) -> np.ndarray:
    """k classes, every one represented: the argmax of k noisy linear scores."""
    rng = np.random.RandomState(seed)
    w = rng.normal(size=(X.shape[1], k))
    return np.argmax(X @ w + 0.6 * rng.normal(size=(len(X), k)), axis=1)


def _target(X: np.ndarray) -> np.ndarray:
    return X @ np.arange(1.0, X.shape[1] + 1) + 0.3 * np.random.RandomState(4).normal(size=len(X))


X_TRAIN, X_TEST = _x(300, 0), _x(80, 1)
X_TEST[0] = 0.0
X_TEST[1] = X_TRAIN[0]
NAMES = ["a", "b", "c", "d", "e", "f"]


def _dt(**kw: Any) -> DecisionTreeClassifier:
    return DecisionTreeClassifier(max_depth=5, **kw)


def _lr() -> LogisticRegression:
    return LogisticRegression(max_iter=1000)


def _fit(est: Any, y: np.ndarray, X: Any = X_TRAIN, test: Any = X_TEST) -> Callable[[], tuple]:
    return lambda: (clone(est).fit(X, y), test)


def _missing_classes() -> tuple[Any, np.ndarray]:
    """Nine classes, eight rows per member: every member sees only some of them (a member
    whose fit takes sample_weight, a tree, is fitted on every row with the others weighted
    0, and sees every class; a pipeline's fit takes the rows drawn)."""
    y = _labels(X_TRAIN, 9)
    member = make_pipeline(StandardScaler(), _dt())
    est = BaggingClassifier(member, n_estimators=12, max_samples=8, random_state=3).fit(X_TRAIN, y)
    assert any(len(m.classes_) < 9 for m in est.estimators_)
    return est, X_TEST


def _dataframe() -> tuple[Any, pd.DataFrame]:
    X = pd.DataFrame(X_TRAIN, columns=NAMES)
    est = BaggingClassifier(
        make_pipeline(StandardScaler(), _lr()), n_estimators=5, max_features=4, random_state=2
    ).fit(X, _labels(X_TRAIN, 3))
    return est, pd.DataFrame(X_TEST, columns=NAMES)


def _one_class() -> tuple[Any, np.ndarray]:
    est = BaggingClassifier(_dt(), n_estimators=3, random_state=0)
    return est.fit(X_TRAIN, np.full(len(X_TRAIN), 7)), X_TEST


CASES: dict[str, Callable[[], tuple[Any, Any]]] = {
    "trees_default": _fit(BaggingClassifier(n_estimators=6, random_state=0), _labels(X_TRAIN, 3)),
    "trees_max_features_strings": _fit(
        BaggingClassifier(_dt(), n_estimators=7, max_features=3, random_state=1),
        np.asarray(["ant", "bee", "cat", "dog"])[_labels(X_TRAIN, 4)],
    ),
    "trees_bootstrap_features": _fit(
        BaggingClassifier(
            _dt(), n_estimators=8, max_features=5, bootstrap_features=True, random_state=4
        ),
        _labels(X_TRAIN, 3),
    ),
    "trees_missing_classes": _missing_classes,
    "trees_pasting_n_jobs_1": _fit(
        BaggingClassifier(
            _dt(), n_estimators=5, max_samples=0.5, bootstrap=False, n_jobs=1, random_state=5
        ),
        _labels(X_TRAIN, 2),
    ),
    "logistic_binary": _fit(
        BaggingClassifier(_lr(), n_estimators=5, max_features=0.5, random_state=6),
        _labels(X_TRAIN, 2),
    ),
    "logistic_multiclass_bootstrap_features": _fit(
        BaggingClassifier(
            _lr(), n_estimators=6, max_features=4, bootstrap_features=True, random_state=7
        ),
        _labels(X_TRAIN, 4),
    ),
    "pipeline_dataframe": _dataframe,
    # VotingClassifier(voting="hard") has no predict_proba: each member votes for its label.
    "hard_voting_members_vote": _fit(
        BaggingClassifier(
            VotingClassifier(
                [("t1", _dt(random_state=0)), ("t2", DecisionTreeClassifier(max_depth=2))],
                voting="hard",
            ),
            n_estimators=5,
            max_samples=0.4,
            random_state=8,
        ),
        _labels(X_TRAIN, 5),
    ),
    "adaboost_members": _fit(
        BaggingClassifier(AdaBoostClassifier(n_estimators=5), n_estimators=4, random_state=9),
        _labels(X_TRAIN, 3),
    ),
    "oob_score": _fit(
        BaggingClassifier(_dt(), n_estimators=6, oob_score=True, random_state=10),
        _labels(X_TRAIN, 3),
    ),
    "one_class": _one_class,
    "regressor_trees": _fit(BaggingRegressor(n_estimators=6, random_state=0), _target(X_TRAIN)),
    "regressor_ridge_features": _fit(
        BaggingRegressor(
            Ridge(), n_estimators=6, max_features=3, bootstrap_features=True, random_state=1
        ),
        _target(X_TRAIN),
    ),
    "regressor_pipeline_oob": _fit(
        BaggingRegressor(
            make_pipeline(StandardScaler(), DecisionTreeRegressor(max_depth=4)),
            n_estimators=5,
            oob_score=True,
            random_state=2,
        ),
        _target(X_TRAIN),
    ),
}

#: Whose outputs go through a LogisticRegression or a Ridge (the Rust reader's: within
#: Linear's tolerance).
_LINEAR = {
    "logistic_binary",
    "logistic_multiclass_bootstrap_features",
    "pipeline_dataframe",
    "regressor_ridge_features",
}


def _array(X: Any) -> np.ndarray:
    return np.asarray(X, dtype=np.float64)


# ---------------------------------------------------------------------------- round trips


def _same_model(est: Any, back: Any) -> None:
    assert_same_estimator(est, back, type(est).__name__)
    if est.estimator is not None:
        assert back.estimator_ is back.estimator  # fit keeps the param itself
    for name in ("_n_samples", "_max_samples", "_max_features", "_sample_weight"):
        assert_same(getattr(est, name, "absent"), getattr(back, name, "absent"), name)
    assert_same(est._seeds, back._seeds, "_seeds")
    for i, (a, b) in enumerate(zip(est.estimators_samples_, back.estimators_samples_)):
        assert np.array_equal(a, b), f"estimators_samples_[{i}]"
    assert len(back.estimators_samples_) == len(est.estimators_samples_)


def _outputs(est: Any, X: Any) -> dict[str, np.ndarray]:
    return {m: getattr(est, m)(X) for m in (*METHODS, "predict_log_proba") if hasattr(est, m)}


@pytest.mark.parametrize("name", sorted(CASES))
def test_round_trip_gives_scikit_learns_outputs_and_attributes(name: str) -> None:
    est, X = CASES[name]()
    data = amber.dumps(est)
    back = amber.loads(data)
    _same_model(est, back)
    assert amber.dumps(back) == data
    amber.validate(data)
    want, got = _outputs(est, X), _outputs(back, X)
    assert sorted(want) == sorted(got)
    for method in want:
        with np.errstate(divide="ignore"):
            assert np.array_equal(got[method], want[method]), method


def test_a_file_of_the_default_template_keeps_estimator_none() -> None:
    est, _ = CASES["trees_default"]()
    m = _container.read_container(amber.dumps(est)).manifest.estimator
    assert [p.value.WhichOneof("kind") for p in m.params if p.name == "estimator"] == ["none"]
    assert not any(p.name == "estimator/random_state" for p in m.attributes)


def test_the_template_keeps_its_own_random_states() -> None:
    """Fit draws every member's random states; the estimator param keeps the user's."""
    template = make_pipeline(StandardScaler(), LogisticRegression(random_state=123))
    est = BaggingClassifier(template, n_estimators=3, random_state=0).fit(
        X_TRAIN, _labels(X_TRAIN, 2)
    )
    assert est.estimators_[0][-1].random_state != 123
    back = amber.loads(amber.dumps(est))
    assert back.estimator.get_params()["logisticregression__random_state"] == 123
    assert back.estimator_ is back.estimator
    assert_same_estimator(est.estimator, back.estimator, "estimator")


def test_the_members_read_their_columns_and_have_no_names() -> None:
    est, _ = CASES["pipeline_dataframe"]()
    data = amber.dumps(est)
    m = _container.read_container(data).manifest
    body = m.estimator.bagging
    assert list(m.estimator.feature_names_in) == NAMES
    assert [list(b.features) for b in body.members] == [
        [int(j) for j in f] for f in est.estimators_features_
    ]
    for b in body.members:
        assert not b.estimator.feature_names_in
        assert b.estimator.n_features_in == len(b.features) == 4
    # the members' tensors come in member order, each under estimators/<i>/
    names = [t.name for t in m.tensors]
    owners = [int(n.split("/")[1]) for n in names if n.startswith("estimators/")]
    assert owners == sorted(owners) and set(owners) == set(range(len(body.members)))
    back = amber.loads(data)
    assert list(back.feature_names_in_) == NAMES
    assert not any(hasattr(e, "feature_names_in_") for e in back.estimators_)


def test_bootstrap_features_repeat_columns() -> None:
    est, _ = CASES["trees_bootstrap_features"]()
    body = _container.read_container(amber.dumps(est)).manifest.estimator.bagging
    assert any(len(set(b.features)) < len(b.features) for b in body.members)


def test_a_bagging_inside_a_pipeline_and_a_voting() -> None:
    y = _labels(X_TRAIN, 3)
    bag = BaggingClassifier(_dt(), n_estimators=4, max_features=4, random_state=0)
    for est in (
        make_pipeline(StandardScaler(), bag),
        VotingClassifier([("bag", bag), ("tree", _dt(random_state=0))], voting="soft"),
        BaggingClassifier(bag, n_estimators=3, random_state=1),
    ):
        est.fit(X_TRAIN, y)
        data = amber.dumps(est)
        back = amber.loads(data)
        assert amber.dumps(back) == data
        for method in ("predict", "predict_proba"):
            assert np.array_equal(getattr(back, method)(X_TEST), getattr(est, method)(X_TEST))
            if CLI.exists():
                got = _rust_run(data, X_TEST, method)
                assert got is not None and np.array_equal(got, getattr(est, method)(X_TEST))


# ---------------------------------------------------------------------------- the readers


def _member_outputs(back: Any, body: pb.Bagging, X: np.ndarray, method: str) -> list:
    """Each member's `method` on its columns (predict where a classifier's member has no
    predict_proba)."""
    out = []
    for e, m in zip(back.estimators_, body.members):
        cols = X[:, list(m.features)]
        use = method if hasattr(e, method) else "predict"
        out.append(getattr(e, use)(cols))
    return out


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_python_reader_gives_scikit_learns_outputs(name: str) -> None:
    """Section 28's arithmetic from the body alone, over the members' outputs on their
    columns, is scikit-learn's bit for bit."""
    est, X = CASES[name]()
    data = amber.dumps(est)
    back = amber.loads(data)
    body = _container.read_container(data).manifest.estimator.bagging
    X = _array(X)
    if isinstance(est, BaggingRegressor):
        got = _tree.bagging_mean(body, _member_outputs(back, body, X, "predict"))
        assert np.array_equal(got, est.predict(X))
        return
    proba = _tree.bagging_proba(body, _member_outputs(back, body, X, "predict_proba"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # an array into a model with names
        assert np.array_equal(proba, est.predict_proba(X))
        assert _tree.bagging_predict(body, proba).tolist() == est.predict(X).tolist()
        if hasattr(est, "decision_function"):
            d = _tree.bagging_mean(body, _member_outputs(back, body, X, "decision_function"))
            assert np.array_equal(d, est.decision_function(X))


def _rust_run(data: bytes, X: Any, method: str, tmp: Path | None = None) -> np.ndarray | None:
    """`amber predict` of the model on X: its output, or None when the model has no such
    method (E_METHOD)."""
    d = Path(tmp or tempfile.mkdtemp())
    (d / "m.amber").write_bytes(data)
    inp, out = d / "x.npy", d / "y.npy"
    np.save(inp, _array(X))
    done = subprocess.run(
        [
            *(str(CLI), "predict", str(d / "m.amber"), "--input", str(inp)),
            *("--method", method, "--output", str(out)),
        ],
        capture_output=True,
        text=True,
    )
    if done.returncode and "E_METHOD" in done.stderr:
        return None
    assert done.returncode == 0, done.stderr
    return np.load(out)


def _close(name: str, method: str, got: np.ndarray, want: np.ndarray) -> None:
    if want.dtype.kind in "OU" or (method == "predict" and name != "regressor_ridge_features"):
        assert got.tolist() == want.tolist(), method
    elif name in _LINEAR:
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL, err_msg=method)
    else:
        assert got.dtype == np.float64 and np.array_equal(got, want), method


@pytest.mark.skipif(not CLI.exists(), reason="the release CLI is not built")
@pytest.mark.parametrize("name", sorted(CASES))
def test_rust_gives_scikit_learns_outputs(name: str, tmp_path: Path) -> None:
    """The Rust reader, from the body alone, gives scikit-learn's outputs (trees bit for bit,
    Linear members within their tolerance) on every row and on one row, and offers the
    methods scikit-learn has."""
    est, X = CASES[name]()
    data = amber.dumps(est)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        for method in METHODS:
            for rows in (_array(X), _array(X)[2:3]):
                got = _rust_run(data, rows, method, tmp_path)
                if not hasattr(est, method):
                    assert got is None, method
                    continue
                assert got is not None, method
                _close(name, method, got, np.asarray(getattr(est, method)(rows)))


@pytest.mark.skipif(not CLI.exists(), reason="the release CLI is not built")
@pytest.mark.parametrize("name", sorted(CASES))
def test_rust_accepts_every_case(name: str, tmp_path: Path) -> None:
    est, _ = CASES[name]()
    path = tmp_path / "model.amber"
    path.write_bytes(amber.dumps(est))
    assert _rust_code(path) is None


# ---------------------------------------------------------------------------- refused at save


def _refusal(est: Any) -> str:
    with pytest.raises(amber.AmberError) as err:
        amber.dumps(est)
    assert err.value.code == "E_UNSUPPORTED"
    assert type(est).__name__ in str(err.value)
    return str(err.value)


def test_an_unfitted_bagging_is_refused() -> None:
    assert "not fitted" in _refusal(BaggingClassifier())


def test_a_member_amber_cannot_save_is_named() -> None:
    est = BaggingClassifier(SVC(), n_estimators=2, random_state=0).fit(X_TRAIN, _labels(X_TRAIN, 3))
    assert "estimators/0: sklearn.svm.SVC is not supported" in _refusal(est)


def test_a_warm_start_that_changed_n_estimators_is_refused() -> None:
    est = BaggingClassifier(_dt(), n_estimators=3, warm_start=True, random_state=0)
    est.fit(X_TRAIN, _labels(X_TRAIN, 3))
    est.set_params(n_estimators=5)  # not fitted again: predict divides by 5
    text = _refusal(est)
    assert "3 fitted estimators and n_estimators=5" in text
    est.fit(X_TRAIN, _labels(X_TRAIN, 3))  # a warm start that grew it is fine
    back = amber.loads(amber.dumps(est))
    assert np.array_equal(back.predict_proba(X_TEST), est.predict_proba(X_TEST))


def test_a_member_reading_strings_is_refused() -> None:
    """scikit-learn fits the members on the validated object array: an encoder inside the
    member reads the strings, which the body's members may not."""
    rng = np.random.RandomState(0)
    X = np.column_stack([rng.choice(["x", "y", "z"], 200), rng.choice(["p", "q"], 200)])
    X = X.astype(object)
    y = (X[:, 0] == "x").astype(int)
    est = BaggingClassifier(make_pipeline(OrdinalEncoder(), _dt()), n_estimators=3).fit(X, y)
    text = _refusal(est)
    assert "member 0 reads strings" in text and "ColumnTransformer" in text


def test_an_estimator_param_changed_after_fit_is_refused() -> None:
    est, _ = CASES["trees_default"]()
    est.set_params(estimator=_lr())
    assert "estimator param does not match" in _refusal(est)


def test_a_two_dimensional_target_is_refused() -> None:
    Y = np.column_stack([_target(X_TRAIN), -_target(X_TRAIN)])
    est = BaggingRegressor(n_estimators=3, random_state=0).fit(X_TRAIN, Y)
    assert "BaggingRegressor member is a regressor whose predict is [n]" in _refusal(est)


# ---------------------------------------------------------------------------- body rules


def _mutant(name: str, edit: Callable[[pb.Manifest], None]) -> bytes:
    est, _ = CASES[name]()
    c = _container.read_container(amber.dumps(est))
    m = pb.Manifest()
    m.CopyFrom(c.manifest)
    edit(m)
    return _container.frame(m.SerializeToString(deterministic=True), bytes(c.data))


def _body(m: pb.Manifest) -> pb.Bagging:
    return m.estimator.bagging


def _member_tree(m: pb.Manifest, i: int) -> pb.TreeEnsemble:
    return _body(m).members[i].estimator.tree_ensemble


def _no_kind(m: pb.Manifest) -> None:
    _body(m).classes.ClearField("ints")
    _body(m).classes.SetInParent()


BODY_RULES: dict[str, tuple[str, Callable[[pb.Manifest], None], str]] = {
    "structure: a member without its estimator": (
        "trees_default",
        lambda m: _body(m).members[1].ClearField("estimator"),
        "bagging.members[1].estimator",
    ),
    "structure: classes of no kind": ("trees_default", _no_kind, "bagging.classes"),
    "rule 1: no member": ("trees_default", lambda m: _body(m).ClearField("members"), "members"),
    "rule 1: no class": (
        "trees_default",
        lambda m: _body(m).classes.ints.ClearField("values"),
        "bagging.classes",
    ),
    "rule 1: repeated classes": (
        "trees_default",
        lambda m: _body(m).classes.ints.values.__setitem__(2, 0),
        "bagging.classes",
    ),
    "rule 2: a feature outside the input": (
        "trees_max_features_strings",
        lambda m: _body(m).members[2].features.__setitem__(0, 6),
        "members[2].features",
    ),
    "rule 2: a member reads more columns than it has": (
        "trees_max_features_strings",
        lambda m: _body(m).members[0].features.append(0),
        "members[0].estimator.n_features_in",
    ),
    "rule 3: a member has feature names": (
        "trees_default",
        lambda m: _body(m).members[0].estimator.feature_names_in.extend(NAMES),
        "members[0].estimator",
    ),
    "rule 3: a regressor over classifiers": (
        "trees_default",
        lambda m: _body(m).ClearField("classes"),
        "BaggingRegressor member",
    ),
    "rule 4: a member's class outside the classes": (
        "trees_default",
        lambda m: _body(m).classes.ints.values.pop(),
        "class indices below 2",
    ),
    "rule 4: a member's classes not increasing": (
        "trees_default",
        lambda m: _member_tree(m, 0).classes[0].ints.values.__setitem__(slice(None), [0, 2, 1]),
        "increasing class indices",
    ),
    "rule 4: string member classes": (
        "trees_default",
        lambda m: (
            _member_tree(m, 3).classes[0].ClearField("ints")
            or _member_tree(m, 3).classes[0].strings.values.extend(["0", "1", "2"])
        ),
        "increasing class indices",
    ),
    "rule 4: a classifier over regressors": (
        "regressor_trees",
        lambda m: _body(m).classes.ints.values.extend([0, 1]),
        "increasing class indices",
    ),
}


@pytest.mark.parametrize("rule", sorted(BODY_RULES))
def test_a_body_rule_broken_is_e_model_naming_the_field(rule: str) -> None:
    case, edit, says = BODY_RULES[rule]
    data = _mutant(case, edit)
    for read in (amber.validate, amber.loads):
        with pytest.raises(amber.AmberError) as err:
            read(data)
        assert err.value.code == "E_MODEL", err.value
        assert says in str(err.value), err.value


@pytest.mark.skipif(not CLI.exists(), reason="the release CLI is not built")
@pytest.mark.parametrize("rule", sorted(BODY_RULES))
def test_rust_gives_the_same_verdict(rule: str, tmp_path: Path) -> None:
    case, edit, _ = BODY_RULES[rule]
    path = tmp_path / "model.amber"
    path.write_bytes(_mutant(case, edit))
    assert _rust_code(path) == "E_MODEL"


# ---------------------------------------------------------------------------- provenance


def _attr(m: pb.Manifest, name: str) -> pb.Value:
    return next(p.value for p in m.estimator.attributes if p.name == name)


def _param(m: pb.Manifest, name: str) -> pb.Value:
    return next(p.value for p in m.estimator.params if p.name == name)


def _template_keys(m: pb.Manifest) -> None:
    entry = _attr(m, "estimator/random_state").dict_value.entries[0]
    entry.key.string_value = "steps__random_state"


def _member_class(m: pb.Manifest) -> None:
    # a member of another class than estimator_ (a DecisionTreeClassifier): an ExtraTree
    _body(m).members[1].estimator.producer_type = "sklearn.tree.ExtraTreeClassifier"


PROVENANCE = {
    "n_estimators is not the member count": (
        "trees_default",
        lambda m: setattr(_param(m, "n_estimators"), "int_value", 7),
        "n_estimators is 7",
    ),
    "_max_features is not the members' width": (
        "trees_max_features_strings",
        lambda m: setattr(_attr(m, "_max_features"), "int_value", 2),
        "_max_features 2",
    ),
    "the template's random states name other params": (
        "pipeline_dataframe",
        _template_keys,
        "estimator/random_state",
    ),
    "a member of another class": ("trees_default", _member_class, "fit makes clones"),
    "a classifier body without classes": (
        "regressor_trees",
        lambda m: setattr(m.estimator, "producer_type", "sklearn.ensemble.BaggingClassifier"),
        "without classes",
    ),
}


@pytest.mark.parametrize("case", sorted(PROVENANCE))
def test_provenance_that_contradicts_the_body_is_e_provenance(case: str) -> None:
    name, edit, says = PROVENANCE[case]
    data = _mutant(name, edit)
    amber.validate(data)  # the body is fine
    with pytest.raises(amber.AmberError) as err:
        amber.loads(data)
    assert err.value.code == "E_PROVENANCE", err.value
    assert says in str(err.value), err.value


def test_a_file_without_the_private_state_still_predicts() -> None:
    """A file of another writer may lack what only estimators_samples_ reads."""

    def edit(m: pb.Manifest) -> None:
        keep = [p for p in m.estimator.attributes if not p.name.startswith("_")]
        del m.estimator.attributes[:]
        m.estimator.attributes.extend(keep)

    est, X = CASES["trees_bootstrap_features"]()
    back = amber.loads(_mutant("trees_bootstrap_features", edit))
    assert np.array_equal(back.predict_proba(X), est.predict_proba(X))
    assert back._max_features == est._max_features


# ---------------------------------------------------------------------------- limits


def test_a_kind_bearing_member_brings_the_input_schema_limit(tmp_path: Path) -> None:
    """A member with an imputer is kind-bearing (spec/format.md section 7, rule 5: anywhere in
    the tree), so a bagging declaring more features than MAX_UNBACKED_FEATURES is E_LIMIT in
    both readers."""
    from sklearn.impute import SimpleImputer

    member = make_pipeline(SimpleImputer(), DecisionTreeRegressor(max_depth=3))
    est = BaggingRegressor(member, n_estimators=2, max_features=2, random_state=0)
    est.fit(X_TRAIN, _target(X_TRAIN))
    c = _container.read_container(amber.dumps(est))
    m = pb.Manifest()
    m.CopyFrom(c.manifest)
    m.estimator.n_features_in = 1 << 40
    data = _container.frame(m.SerializeToString(deterministic=True), bytes(c.data))
    with pytest.raises(amber.AmberError) as err:
        amber.validate(data)
    assert err.value.code == "E_LIMIT"
    if CLI.exists():
        path = tmp_path / "model.amber"
        path.write_bytes(data)
        assert _rust_code(path) == "E_LIMIT"
