"""GradientBoostingClassifier/Regressor: the file's layout and arithmetic against
scikit-learn's, what is refused, inference-only files, warm starts after a load, loading a
file whose init arithmetic is another version's, and the Boosting body rules.

The corpus cases (tests/vectors/generate.py, `_gb_cases`) also run through
test_roundtrip.py; these tests cover what a corpus case cannot show.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pytest
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.ensemble import (
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    RandomForestClassifier,
)
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

import amber
from amber import _container
from amber._proto.amber.v1 import amber_pb2 as pb
from amber._sklearn import gradient_boosting as gb
from amber._tree import LEAF, NODE_RECORD
from conftest import GENERATOR

#: scikit-learn >= 1.4: GradientBoosting uses sklearn._loss (`_init_raw_predictions`).
MODERN = gb._new_loss_module() is not None


def _xy(seed: int = 0, n: int = 200, classes: int = 0):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, 4) * np.array([1.0, 10.0, 0.1, 3.0])
    score = X[:, 0] + 0.1 * X[:, 1] - 5 * X[:, 2] + 0.3 * rng.randn(n)
    if not classes:
        return X, score
    edges = np.quantile(score, np.linspace(0, 1, classes + 1)[1:-1])
    return X, np.searchsorted(edges, score)


def _test_rows(seed: int = 1) -> np.ndarray:
    return _xy(seed, n=60)[0]


def _manifest(data: bytes) -> pb.Manifest:
    return _container.read_container(data).manifest


def _load(data: bytes) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", amber.AmberWarning)
        return amber.loads(data)


def _same_outputs(a: Any, b: Any, X: np.ndarray) -> None:
    for method in ("predict", "predict_proba", "decision_function"):
        assert hasattr(a, method) == hasattr(b, method), method
        if hasattr(a, method):
            x, y = getattr(a, method)(X), getattr(b, method)(X)
            assert x.dtype == y.dtype and np.array_equal(x, y), method


# ---------------------------------------------------------------------------- layout


def test_trees_are_stage_after_stage_and_scale_is_the_learning_rate() -> None:
    X, y = _xy(classes=3)
    est = GradientBoostingClassifier(n_estimators=4, max_depth=2, learning_rate=0.3).fit(X, y)
    data = amber.dumps(est)
    body = _manifest(data).estimator.boosting
    assert body.n_columns == 3 and body.scale == 0.3
    container = _container.read_container(data)
    offsets = container.array(body.trees.tree_offsets)
    records = container.array(body.trees.nodes).reshape(-1).view(NODE_RECORD)
    values = container.array(body.trees.values)
    assert len(offsets) == 4 * 3 + 1
    for t, tree in enumerate(est.estimators_.ravel()):
        assert tree is est.estimators_[t // 3, t % 3]
        recs = records[offsets[t] : offsets[t + 1]]
        # The leaves' values, in preorder, are the tree's leaf values (one per leaf).
        leaf = recs["feature"] == LEAF
        mine = values[recs["next"][leaf], 0, 0]
        theirs = tree.tree_.value[tree.tree_.children_left == -1, 0, 0]
        assert np.array_equal(np.sort(mine), np.sort(theirs))


def test_baseline_is_scikit_learns_own_init_raw_prediction() -> None:
    for est, (X, y) in [
        (GradientBoostingClassifier(n_estimators=3), _xy(classes=2)),
        (GradientBoostingClassifier(n_estimators=3), _xy(classes=4)),
        (GradientBoostingClassifier(n_estimators=3, loss="exponential"), _xy(classes=2)),
        (GradientBoostingRegressor(n_estimators=3, loss="quantile", alpha=0.3), _xy()),
    ]:
        est.fit(X, y)
        data = amber.dumps(est)
        body = _manifest(data).estimator.boosting
        baseline = _container.read_container(data).array(body.baseline)
        want = est._raw_predict_init(np.zeros((2, 4), dtype=np.float32))
        assert baseline.tobytes() == want[0].tobytes() == want[1].tobytes()
        assert not body.HasField("init")


def test_links_and_decisions_follow_the_version() -> None:
    X, y2 = _xy(classes=2)
    _, y3 = _xy(classes=3)
    cases = {
        "log_loss2": (
            GradientBoostingClassifier(n_estimators=2).fit(X, y2),
            pb.BOOSTING_LINK_LOGISTIC,
        ),
        "exp": (
            GradientBoostingClassifier(n_estimators=2, loss="exponential").fit(X, y2),
            pb.BOOSTING_LINK_HALF_LOGISTIC,
        ),
        "log_loss3": (
            GradientBoostingClassifier(n_estimators=2).fit(X, y3),
            pb.BOOSTING_LINK_SOFTMAX if MODERN else pb.BOOSTING_LINK_LOGSUMEXP,
        ),
    }
    for name, (est, link) in cases.items():
        body = _manifest(amber.dumps(est)).estimator.boosting
        assert body.link == link, name
        if MODERN or name == "exp":
            assert body.decision == pb.BOOSTING_DECISION_RAW_AT_LEAST_ZERO, name
        else:
            assert body.decision == pb.BOOSTING_DECISION_PROBA_ARGMAX, name
    reg = GradientBoostingRegressor(n_estimators=2).fit(*_xy())
    body = _manifest(amber.dumps(reg)).estimator.boosting
    assert body.link == pb.BOOSTING_LINK_IDENTITY
    assert body.decision == pb.BOOSTING_DECISION_UNSPECIFIED
    assert not body.HasField("classes")


def test_custom_init_is_nested_with_its_link() -> None:
    X, y = _xy(classes=3)
    init = RandomForestClassifier(n_estimators=2, max_depth=3, random_state=0)
    est = GradientBoostingClassifier(n_estimators=3, init=init).fit(X, y)
    data = amber.dumps(est)
    m = _manifest(data).estimator
    assert not m.boosting.baseline
    assert m.boosting.init.producer_type == "sklearn.ensemble.RandomForestClassifier"
    if MODERN:
        assert m.boosting.init_link == pb.BOOSTING_INIT_LINK_SYMMETRIC_LOG
        assert m.boosting.init_eps == np.finfo(np.float64).eps
    else:
        assert m.boosting.init_link == pb.BOOSTING_INIT_LINK_LOG
        assert m.boosting.init_eps == np.finfo(np.float32).eps
    # The param is the init itself, not a separate param.
    assert "init" not in [p.name for p in m.params]
    loaded = amber.loads(data)
    assert loaded.init is loaded.init_
    assert type(loaded.init_) is RandomForestClassifier
    _same_outputs(est, loaded, _test_rows())


@pytest.mark.skipif(not MODERN, reason="scipy's logit of scikit-learn >= 1.4's binary link")
def test_binary_custom_init_link_is_what_scipys_logit_computes() -> None:
    from scipy.special import logit

    qs = np.linspace(0.25, 0.7, 1001)
    got = logit(qs)
    want = {
        pb.BOOSTING_INIT_LINK_LOGIT_LOG1P: [gb._logit_log1p(q) for q in qs],
        pb.BOOSTING_INIT_LINK_LOGIT: [math.log(q / (1 - q)) for q in qs],
    }[gb._scipy_logit()]
    assert np.array_equal(got, want)
    X, y = _xy(classes=2)
    init = DecisionTreeClassifier(max_depth=2, random_state=0)
    est = GradientBoostingClassifier(n_estimators=2, init=init).fit(X, y)
    assert _manifest(amber.dumps(est)).estimator.boosting.init_link == gb._scipy_logit()


def test_dummy_init_passed_as_param_stays_the_param() -> None:
    X, y = _xy(classes=2)
    est = GradientBoostingClassifier(n_estimators=2, init=DummyClassifier(strategy="prior"))
    est.fit(X, y)
    data = amber.dumps(est)
    loaded = amber.loads(data)
    assert loaded.init is loaded.init_ and type(loaded.init_) is DummyClassifier
    assert amber.dumps(loaded) == data
    _same_outputs(est, loaded, _test_rows())
    est = GradientBoostingRegressor(n_estimators=2).fit(*_xy())
    loaded = amber.loads(amber.dumps(est))
    assert loaded.init is None and type(loaded.init_) is DummyRegressor
    assert loaded.init_.constant_.tobytes() == est.init_.constant_.tobytes()


# ---------------------------------------------------------------------------- refusals


def test_refused_init_estimators_name_their_type() -> None:
    X, y = _xy()
    stratified = GradientBoostingClassifier(
        n_estimators=2, init=DummyClassifier(strategy="stratified", random_state=0)
    ).fit(X, (y > 0).astype(int))
    with pytest.raises(amber.AmberError, match="DummyClassifier") as e:
        amber.dumps(stratified)
    assert e.value.code == "E_UNSUPPORTED"
    scaled = GradientBoostingRegressor(
        n_estimators=2,
        init=Pipeline([("s", StandardScaler()), ("t", DecisionTreeRegressor(max_depth=2))]),
    ).fit(X, y)
    with pytest.raises(amber.AmberError, match=r"sklearn\.pipeline\.Pipeline.*float32"):
        amber.dumps(scaled)
    linear = GradientBoostingRegressor(n_estimators=2, init=LinearRegression()).fit(X, y)
    with pytest.raises(amber.AmberError, match=r"LinearRegression.*float32 coefficients"):
        amber.dumps(linear)


def test_unfitted_is_refused() -> None:
    with pytest.raises(amber.AmberError, match="unfitted"):
        amber.dumps(GradientBoostingRegressor())


def test_a_pipeline_of_a_tree_is_a_valid_init() -> None:
    X, y = _xy()
    init = Pipeline([("pass", "passthrough"), ("t", DecisionTreeRegressor(max_depth=3))])
    est = GradientBoostingRegressor(n_estimators=3, init=init).fit(X, y)
    loaded = amber.loads(amber.dumps(est))
    _same_outputs(est, loaded, _test_rows())


# ---------------------------------------------------------------------------- state


def test_inference_only_drops_training_statistics() -> None:
    X, y = _xy(classes=3)
    est = GradientBoostingClassifier(n_estimators=20, subsample=0.8, random_state=0).fit(X, y)
    full, small = amber.dumps(est), amber.dumps(est, inference_only=True)
    assert len(small) < 0.6 * len(full)
    names = {a.name for a in _manifest(small).estimator.attributes}
    assert not names & {"train_score_", "oob_scores_", "oob_improvement_", "_rng"}
    with pytest.warns(amber.AmberWarning, match="inference-only"):
        loaded = amber.loads(small)
    assert not hasattr(loaded, "train_score_")
    _same_outputs(est, loaded, _test_rows())
    assert amber.dumps(loaded, inference_only=True) == small


def test_warm_start_after_a_load_continues_as_the_original() -> None:
    X, y = _xy(classes=2)
    est = GradientBoostingClassifier(
        n_estimators=5, subsample=0.6, max_features=2, warm_start=True, random_state=3
    ).fit(X, y)
    loaded = amber.loads(amber.dumps(est))
    for model in (est, loaded):
        model.set_params(n_estimators=9)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            model.fit(X, y)
    assert amber.dumps(loaded) == amber.dumps(est)
    _same_outputs(est, loaded, _test_rows())


# ---------------------------------------------------------------------------- other versions


def _fix_baseline(est: Any, baseline: np.ndarray) -> None:
    """Make `est` start from `baseline` as a file from another version would."""
    if MODERN:
        est._loss.link = gb._FixedBaselineLink(est._loss.link, baseline)
    else:
        est._loss = gb._OldLossInit(est._loss, baseline, None)


def test_a_baseline_the_installed_version_would_not_compute_is_kept() -> None:
    X, y = _xy(classes=3)
    est = GradientBoostingClassifier(n_estimators=3).fit(X, y)
    stock = est.decision_function(_test_rows())
    other = est._raw_predict_init(np.zeros((1, 4), dtype=np.float32))[0] + [0.5, -0.25, 0.0]
    _fix_baseline(est, other)
    data = amber.dumps(est)
    baseline = _container.read_container(data).array(_manifest(data).estimator.boosting.baseline)
    assert np.array_equal(baseline, other)
    loaded = amber.loads(data)
    got = loaded.decision_function(_test_rows())
    assert np.array_equal(got, est.decision_function(_test_rows()))
    assert not np.array_equal(got, stock)
    assert amber.dumps(loaded) == data


def test_an_init_link_of_another_version_is_computed_at_load() -> None:
    X, y = _xy(classes=3)
    init = DecisionTreeClassifier(max_depth=2, random_state=0)
    est = GradientBoostingClassifier(n_estimators=3, init=init).fit(X, y)
    other = (
        (pb.BOOSTING_INIT_LINK_LOG, gb.EPS32)
        if MODERN
        else (pb.BOOSTING_INIT_LINK_SYMMETRIC_LOG, gb.EPS64)
    )
    if MODERN:
        est._loss.link = gb._ProducerInitLink(est._loss.link, *other)
    else:
        est._loss = gb._OldLossInit(est._loss, None, other)
    data = amber.dumps(est)
    body = _manifest(data).estimator.boosting
    assert (body.init_link, body.init_eps) == other
    loaded = amber.loads(data)
    X_test = _test_rows()
    raw = loaded.decision_function(X_test)
    proba = init.predict_proba(X_test.astype(np.float32))
    start = gb.init_raw(*other, proba)
    trees = raw - start
    assert np.allclose(trees, est.decision_function(X_test) - start, atol=1e-12)
    assert np.array_equal(raw, est.decision_function(X_test))
    assert amber.dumps(loaded) == data


# ---------------------------------------------------------------------------- rules


def _edited(data: bytes, edit) -> bytes:
    return GENERATOR._edit_manifest(data, lambda m: edit(m.estimator.boosting))


@pytest.fixture(scope="module")
def binary_file() -> bytes:
    X, y = _xy(classes=2)
    return amber.dumps(GradientBoostingClassifier(n_estimators=4, max_depth=2).fit(X, y))


@pytest.fixture(scope="module")
def init_file() -> bytes:
    X, y = _xy(classes=3)
    init = DecisionTreeClassifier(max_depth=2, random_state=0)
    return amber.dumps(GradientBoostingClassifier(n_estimators=2, init=init).fit(X, y))


def _set(field: str, value: Any):
    return lambda b: setattr(b, field, value)


@pytest.mark.parametrize(
    "edit,match",
    [
        (_set("n_columns", 0), "n_columns must be at least 1"),
        (_set("n_columns", 3), "4 trees are not whole iterations of 3"),
        (_set("n_columns", 2), "classes: 2 classes and 2 columns"),
        (_set("scale", math.nan), "scale must be finite"),
        (_set("link", pb.BOOSTING_LINK_IDENTITY), "take no classes"),
        (_set("decision", pb.BOOSTING_DECISION_UNSPECIFIED), "needs a decision"),
        (lambda b: b.ClearField("classes"), "needs classes"),
        (lambda b: b.classes.ints.values.append(7), "classes"),
        (lambda b: b.classes.ints.values.__setitem__(1, 0), "repeated class labels"),
        (_set("baseline", ""), "exactly one of baseline and init"),
    ],
)
def test_body_rules(binary_file: bytes, edit, match: str) -> None:
    bad = _edited(binary_file, edit)
    with pytest.raises(amber.AmberError, match=match) as e:
        amber.loads(bad)
    assert e.value.code == "E_MODEL"


@pytest.mark.parametrize(
    "edit,match",
    [
        (_set("init_link", pb.BOOSTING_INIT_LINK_PREDICT), "does not fit"),
        (_set("init_link", pb.BOOSTING_INIT_LINK_LOGIT), "does not fit"),
        (_set("init_eps", 0.5), r"init_eps must be in \[0, 0.5\)"),
        (_set("init_eps", -1e-9), "init_eps"),
        (lambda b: setattr(b.init, "n_features_in", 3), "n_features_in"),
    ],
)
def test_init_rules(init_file: bytes, edit, match: str) -> None:
    bad = _edited(init_file, edit)
    with pytest.raises(amber.AmberError, match=match) as e:
        amber.loads(bad)
    assert e.value.code == "E_MODEL"


def test_an_init_without_predict_proba_is_refused(init_file: bytes) -> None:
    X, y = _xy()
    regressor = amber.dumps(DecisionTreeRegressor(max_depth=2).fit(X, y))
    tree = _manifest(regressor).estimator

    def swap(m: pb.Manifest) -> None:
        m.estimator.boosting.init.CopyFrom(tree)

    # The regressor's tensor names are the boosting model's own: a valid tree regressor,
    # whose predict_proba the SYMMETRIC_LOG/LOG init link needs and does not find.
    with pytest.raises(amber.AmberError, match="predict_proba has no such method") as e:
        amber.loads(GENERATOR._edit_manifest(init_file, swap))
    assert e.value.code == "E_MODEL"


def test_the_emulated_logit_gives_scipys_values_at_the_edges() -> None:
    # a hostile init probability of 0, 1 or outside [0, 1] (init_eps = 0) reached math.log
    # and raised ValueError under scikit-learn 1.3.2; scipy's logit gives -inf, inf, NaN
    from scipy.special import logit

    from amber._sklearn.gradient_boosting import _logit_log1p

    for q in (0.0, 1.0, -0.5, 1.5, float("nan"), 5e-324, 0.999999):
        ours, theirs = _logit_log1p(q), float(logit(q))
        assert ours == theirs or (np.isnan(ours) and np.isnan(theirs)), q
