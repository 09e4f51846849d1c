"""OneVsRestClassifier, OneVsOneClassifier and OutputCodeClassifier through the `Multiclass`
body (spec/estimators.md section 23): round trips that give scikit-learn's own outputs, the
Rust CLI's outputs against scikit-learn's, the body-only arithmetic of the Python reader
against scikit-learn's, the one-vs-rest tie rule of each scikit-learn version, the writer's
refusals, every body rule broken (E_MODEL in both readers) and the rebuild's provenance
checks.

Expected values come from scikit-learn: the fitted originals' predict, predict_proba and
decision_function, and, for the tie rule of the other version, its `predict` loop as that
version's sklearn/multiclass.py writes it.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    RandomForestClassifier,
    StackingClassifier,
    VotingClassifier,
)
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.multiclass import (
    OneVsOneClassifier,
    OneVsRestClassifier,
    OutputCodeClassifier,
    _ConstantPredictor,
    _predict_binary,
)
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils.fixes import parse_version
from test_body_rules import CLI, _rust_code
from test_roundtrip import assert_same_estimator

import amber
from amber import _container, _tree
from amber._proto.amber.v1 import amber_pb2 as pb

SK = parse_version(sklearn.__version__)
#: scikit-learn 1.8 reversed OneVsRestClassifier.predict's loop: the first equal score wins.
FIRST = SK.release[:2] >= (1, 8)
#: Linear's tolerance (spec/estimators.md section 3.1): a rebuilt LogisticRegression's scores
#: in the Rust reader may differ from scikit-learn's in the last bits.
RTOL, ATOL = 1e-12, 1e-14
METHODS = ("predict", "predict_proba", "decision_function")
#: fit warns of every constant label (the multilabel cases have some on purpose)
pytestmark = pytest.mark.filterwarnings("ignore:Label .* is present in all training examples")


# ---------------------------------------------------------------------------- data


def _x(n: int, seed: int) -> np.ndarray:
    return np.random.RandomState(seed).normal(size=(n, 4))


def _labels(X: np.ndarray, k: int, seed: int = 9) -> np.ndarray:
    """k classes, every one well represented: the argmax of k noisy linear scores."""
    rng = np.random.RandomState(seed)
    return np.argmax(X @ rng.normal(size=(4, k)) + 0.7 * rng.normal(size=(len(X), k)), axis=1)


X_TRAIN, X_TEST = _x(300, 0), _x(80, 1)
X_TEST[0] = 0.0
X_TEST[1] = X_TRAIN[0]
NAMES = ["age", "income", "height", "score"]


def _words(k: int) -> np.ndarray:
    return np.asarray([f"c{i:02d}" for i in range(k)])


def _indicator(first_constant: bool) -> np.ndarray:
    """Five labels: three that vary, one always 1 and one always 0 in training (each a
    `_ConstantPredictor`); with `first_constant` the always-0 label comes first, so
    `estimators_[0]` is a constant and the threshold 0.5."""
    y = _labels(X_TRAIN, 3)
    varying = [(y == 0) | (X_TRAIN[:, 0] > 1), y == 1, (y == 2) | (X_TRAIN[:, 1] > 0.5)]
    ones, zeros = np.ones(len(y), bool), np.zeros(len(y), bool)
    cols = (
        [zeros, *varying, ones]
        if first_constant
        else [varying[0], varying[1], ones, varying[2], zeros]
    )
    return np.stack(cols, axis=1).astype(np.int64)


def _lr() -> LogisticRegression:
    return LogisticRegression(max_iter=1000)


def _forest(**kw: Any) -> RandomForestClassifier:
    return RandomForestClassifier(n_estimators=5, max_depth=4, random_state=0, **kw)


def _fit(est: Any, y: np.ndarray, X: Any = X_TRAIN, test: Any = X_TEST) -> Callable[[], tuple]:
    return lambda: (clone(est).fit(X, y), test)


def _table(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.RandomState(seed)
    return pd.DataFrame(
        {
            "city": rng.choice(["oslo", "rome", "lima", "pune"], n),
            "a": rng.normal(size=n),
            "b": rng.normal(size=n),
        }
    )


def _dataframe() -> tuple[Any, pd.DataFrame]:
    X = _table(300, 3)
    score = (X["city"] == "rome") * 1.2 + X["a"] - 0.5 * X["b"]
    y = np.asarray(["lo", "mid", "hi"])[np.digitize(score, [-0.3, 0.6])]
    features = ColumnTransformer(
        [
            ("city", OneHotEncoder(handle_unknown="ignore"), ["city"]),
            ("num", StandardScaler(), ["a", "b"]),
        ]
    )
    est = OneVsRestClassifier(Pipeline([("f", features), ("lr", _lr())]))
    return est.fit(X, y), _table(60, 4)


def _ovo_dataframe() -> tuple[Any, pd.DataFrame]:
    """OneVsOne validates X itself: it has the names, its members were fitted on an array."""
    X = pd.DataFrame(X_TRAIN, columns=NAMES)
    est = OneVsOneClassifier(make_pipeline(StandardScaler(), _lr())).fit(X, _labels(X_TRAIN, 3))
    assert not hasattr(est.estimators_[0], "feature_names_in_")
    return est, pd.DataFrame(X_TEST, columns=NAMES)


def _ties() -> tuple[Any, np.ndarray]:
    """Deep trees on random labels: many test rows where several members' probabilities are
    equal (most often all 0), so which member wins is the version's tie rule."""
    rng = np.random.RandomState(7)
    X, y = rng.normal(size=(300, 2)), rng.randint(0, 4, 300)
    est = OneVsRestClassifier(DecisionTreeClassifier(random_state=0)).fit(X, y)
    return est, rng.normal(size=(200, 2))


CASES: dict[str, Callable[[], tuple[Any, Any]]] = {
    "ovr_logistic_3": _fit(OneVsRestClassifier(_lr()), _labels(X_TRAIN, 3)),
    "ovr_logistic_12_strings": _fit(OneVsRestClassifier(_lr()), _words(12)[_labels(X_TRAIN, 12)]),
    "ovr_binary_strings": _fit(
        OneVsRestClassifier(_lr()), np.asarray(["no", "yes"])[_labels(X_TRAIN, 2)]
    ),
    "ovr_multilabel": _fit(OneVsRestClassifier(_lr()), _indicator(first_constant=False)),
    "ovr_multilabel_first_constant": _fit(
        OneVsRestClassifier(_lr()), _indicator(first_constant=True)
    ),
    "ovr_forest": _fit(OneVsRestClassifier(_forest()), _labels(X_TRAIN, 4)),
    "ovr_tree_12": _fit(
        OneVsRestClassifier(DecisionTreeClassifier(max_depth=5, random_state=0)),
        _labels(X_TRAIN, 12),
    ),
    "ovr_forest_multilabel": _fit(OneVsRestClassifier(_forest()), _indicator(first_constant=True)),
    "ovr_ridge": _fit(OneVsRestClassifier(Ridge()), _labels(X_TRAIN, 3)),
    "ovr_hgb": _fit(
        OneVsRestClassifier(HistGradientBoostingClassifier(max_iter=8, random_state=0)),
        _labels(X_TRAIN, 3),
    ),
    "ovr_pipeline_dataframe": _dataframe,
    "ovr_ties": _ties,
    "ovo_logistic_2": _fit(OneVsOneClassifier(_lr()), _labels(X_TRAIN, 2)),
    "ovo_logistic_4": _fit(OneVsOneClassifier(_lr()), _labels(X_TRAIN, 4)),
    "ovo_forest_5_strings": _fit(OneVsOneClassifier(_forest()), _words(5)[_labels(X_TRAIN, 5)]),
    # two classes, a member without decision_function: its decision value (a vote plus the
    # transformed probability) is thresholded at 0.5
    "ovo_forest_2": _fit(OneVsOneClassifier(_forest()), _labels(X_TRAIN, 2)),
    "ovo_ridge": _fit(OneVsOneClassifier(Ridge()), _labels(X_TRAIN, 3)),
    "ovo_dataframe": _ovo_dataframe,
    "output_code_logistic_15": _fit(
        OutputCodeClassifier(_lr(), code_size=1.5, random_state=0), _labels(X_TRAIN, 4)
    ),
    "output_code_forest_07": _fit(
        OutputCodeClassifier(_forest(), code_size=0.7, random_state=1), _labels(X_TRAIN, 5)
    ),
    "output_code_constant": _fit(
        OutputCodeClassifier(_lr(), code_size=4, random_state=3), _labels(X_TRAIN, 3)
    ),
    "output_code_tree_strings": _fit(
        OutputCodeClassifier(
            DecisionTreeClassifier(max_depth=4, random_state=0), code_size=2, random_state=2
        ),
        _words(4)[_labels(X_TRAIN, 4)],
    ),
}

#: Cases whose scores are a LogisticRegression's or a Ridge's (Linear's tolerance in Rust) or
#: go through numpy's exp (HistGradientBoosting's probabilities); the others are trees and
#: boosting raw scores, bit for bit.
_LINEAR = {
    "ovr_logistic_3",
    "ovr_logistic_12_strings",
    "ovr_binary_strings",
    "ovr_multilabel",
    "ovr_multilabel_first_constant",
    "ovr_ridge",
    "ovr_hgb",
    "ovr_pipeline_dataframe",
    "ovo_logistic_2",
    "ovo_logistic_4",
    "ovo_ridge",
    "ovo_dataframe",
    "output_code_logistic_15",
    "output_code_constant",
}


def _ours(name: str) -> Any:
    return CASES[name]()


def _works(est: Any, method: str, X: Any) -> bool:
    """Whether `method` of `est` runs on X: one-vs-rest offers what `estimators_[0]` has and
    raises AttributeError at the call when another member lacks it (a forest beside a
    constant first member has no decision_function); the body offers it only when every
    member with an estimator has it (spec/estimators.md section 23, Methods)."""
    if not hasattr(est, method):
        return False
    try:
        with np.errstate(invalid="ignore"):
            getattr(est, method)(X[:1])
    except AttributeError:
        return False
    return True


def _one_row(est: Any, X: Any) -> Any:
    """A one-row input: the first row whose one-vs-rest probabilities numpy sums to another
    value alone (pairwise, [1, M] contiguous) than among many rows (left to right), where
    there is one; else the first row."""
    i = 0
    if (
        isinstance(est, OneVsRestClassifier)
        and not est.multilabel_
        and _works(est, "predict_proba", X)
    ):
        Y = np.array([e.predict_proba(X)[:, 1] for e in est.estimators_]).T
        alone = np.array([np.sum(Y[j : j + 1], axis=1)[0] for j in range(len(Y))])
        differ = np.flatnonzero(alone != np.sum(Y, axis=1))
        i = int(differ[0]) if len(differ) else 0
    return X[i : i + 1]


def _close(name: str, want: Any, got: np.ndarray, where: str) -> None:
    want = np.asarray(want)
    if want.dtype.kind in "OU":
        want = want.astype(str)
    assert want.shape == got.shape, f"{where}: {want.shape} != {got.shape}"
    if want.dtype.kind == "f" and name in _LINEAR:
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL, err_msg=where)
    else:
        assert want.dtype.kind == got.dtype.kind or want.dtype.kind in "iub", where
        np.testing.assert_array_equal(got, want, err_msg=where)


# ---------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("name", sorted(CASES))
def test_round_trip_gives_scikit_learns_outputs(name: str, tmp_path: Path) -> None:
    """The rebuilt object is the original (every fitted attribute, label_binarizer_ and
    _ConstantPredictor members included) and predicts as it does, on many rows and on one."""
    est, X = _ours(name)
    amber.dump(est, tmp_path / "m.amber")
    back = amber.load(tmp_path / "m.amber")
    data = (tmp_path / "m.amber").read_bytes()
    assert amber.dumps(est) == data
    assert_same_estimator(est, back, name)
    assert amber.dumps(back) == data
    amber.validate(data)
    ran = 0
    for method in METHODS:
        assert hasattr(back, method) == hasattr(est, method), method
        assert _works(back, method, X) == _works(est, method, X), method
        if not _works(est, method, X):
            continue
        with np.errstate(invalid="ignore"):  # 1.3.2's predict_proba divides a 0 row sum
            for rows in (X, _one_row(est, X)):
                want, got = getattr(est, method)(rows), getattr(back, method)(rows)
                assert want.dtype == got.dtype, method
                assert np.array_equal(want, got, equal_nan=want.dtype.kind == "f"), method
        ran += 1
    assert ran >= 1


def test_the_cases_cover_what_they_say() -> None:
    """Constant members, thresholds, scores and ties are what the cases were built for."""

    def body(name: str) -> pb.Multiclass:
        est, _ = _ours(name)
        return _container.read_container(amber.dumps(est)).manifest.estimator.multiclass

    scores = {name: [m.score for m in body(name).members] for name in CASES}
    assert set(scores["ovr_logistic_3"]) == {pb.BINARY_SCORE_DECISION_FUNCTION}
    assert set(scores["ovr_forest"]) == {pb.BINARY_SCORE_PROBA}
    assert set(scores["ovr_ridge"]) == {pb.BINARY_SCORE_PREDICT}
    assert set(scores["ovo_ridge"]) == {pb.BINARY_SCORE_PREDICT}
    assert scores["ovr_multilabel"][2] == scores["ovr_multilabel"][4] == pb.BINARY_SCORE_CONSTANT
    assert [m.constant for m in body("ovr_multilabel").members] == [0, 0, 1, 0, 0]
    assert scores["ovr_multilabel_first_constant"][0] == pb.BINARY_SCORE_CONSTANT
    assert pb.BINARY_SCORE_CONSTANT in scores["output_code_constant"]
    assert {m.constant for m in body("output_code_constant").members} == {-1, 0, 1}
    assert body("ovr_multilabel").threshold == 0.0
    assert body("ovr_multilabel_first_constant").threshold == 0.5
    assert body("ovr_forest").threshold == 0.5
    assert body("ovo_logistic_2").threshold == 0.0
    assert body("ovo_forest_2").threshold == 0.5
    assert len(body("ovr_binary_strings").members) == 1
    assert len(body("ovo_logistic_4").members) == 6
    assert len(body("output_code_forest_07").members) == 3  # int(5 * 0.7)
    tie = pb.MULTICLASS_TIES_FIRST if FIRST else pb.MULTICLASS_TIES_LAST
    assert body("ovr_ties").ties == tie
    assert body("ovo_logistic_4").ties == pb.MULTICLASS_TIES_UNSPECIFIED
    est, X = _ours("ovr_ties")
    assert _tied_rows(est, X).sum() > 20


def test_the_body_names_tensors_member_by_member_then_the_code_book() -> None:
    est, _ = _ours("output_code_constant")
    data = amber.dumps(est)
    names = [t["name"] for t in amber.inspect(data)["tensors"]]
    fitted = [i for i, m in enumerate(est.estimators_) if type(m) is not _ConstantPredictor]
    want = [
        f"estimators/{i}/{t}" for i in fitted for t in ("coef_", "intercept_", "attributes/n_iter_")
    ]
    member_names = [n for n in names if n.startswith("estimators/")]
    assert want == member_names  # member after member, in order
    assert names[-1] == "code_book" and names.index("code_book") > max(
        names.index(n) for n in member_names
    )
    info = amber.inspect(data)["estimator"]
    assert info["producer_type"] == "sklearn.multiclass.OutputCodeClassifier"
    assert info["params"] == {"code_size": 4, "n_jobs": None, "random_state": 3}
    mc = info["multiclass"]
    assert mc["strategy"] == "MULTICLASS_STRATEGY_OUTPUT_CODE" and mc["code_book"] == "code_book"
    assert [m["constant"] for m in mc["members"] if m["estimator"] is None] == [
        int(m.y_[0]) for m in est.estimators_ if type(m) is _ConstantPredictor
    ]
    book = _container.read_container(data).array("code_book")
    assert book.dtype == np.float64 and np.array_equal(book, est.code_book_)


def test_a_multiclass_inside_a_pipeline_a_voting_and_a_stacking() -> None:
    y = _labels(X_TRAIN, 3)
    ovr = OneVsRestClassifier(_forest())
    for est in (
        make_pipeline(StandardScaler(), clone(ovr)),
        VotingClassifier(
            [("ovr", clone(ovr)), ("tree", DecisionTreeClassifier(random_state=0))],
            voting="soft",
        ),
        StackingClassifier(
            [("ovr", clone(ovr)), ("ovo", OneVsOneClassifier(_forest()))],
            final_estimator=DecisionTreeClassifier(max_depth=3, random_state=0),
            cv=3,
        ),
    ):
        est.fit(X_TRAIN, y)
        data = amber.dumps(est)
        back = amber.loads(data)
        assert amber.dumps(back) == data
        for method in ("predict", "predict_proba", "transform"):
            if hasattr(est, method):
                assert np.array_equal(getattr(back, method)(X_TEST), getattr(est, method)(X_TEST))
                if CLI.exists():
                    got = _rust_run(data, X_TEST, method)
                    assert got is not None and np.array_equal(got, getattr(est, method)(X_TEST))


# ---------------------------------------------------------------------------- the Rust CLI


def _rust_run(data: bytes, X: Any, method: str, tmp: Path | None = None) -> np.ndarray | None:
    """`amber predict` of the model on X (a CSV for a DataFrame): its output, or None when
    the model has no such method (E_METHOD)."""
    import tempfile

    d = Path(tmp or tempfile.mkdtemp())
    (d / "m.amber").write_bytes(data)
    if isinstance(X, pd.DataFrame):
        inp = d / "x.csv"
        X.to_csv(inp, index=False)
    else:
        inp = d / "x.npy"
        np.save(inp, np.asarray(X, dtype=np.float64))
    out = d / "y.npy"
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


def _zero_rows(est: Any, X: Any) -> np.ndarray:
    """Rows whose one-vs-rest probabilities sum to 0 (1.3.2 divides them: NaN)."""
    if not isinstance(est, OneVsRestClassifier) or est.multilabel_:
        return np.zeros(len(X), bool)
    Y = np.array([e.predict_proba(X)[:, 1] for e in est.estimators_]).T
    return Y.sum(axis=1) == 0 if Y.shape[1] > 1 else np.zeros(len(X), bool)


@pytest.mark.skipif(not CLI.exists(), reason="the release CLI is not built")
@pytest.mark.parametrize("name", sorted(CASES))
def test_rust_gives_scikit_learns_outputs(name: str, tmp_path: Path) -> None:
    """The Rust reader, from the body alone, gives scikit-learn's outputs (labels exactly,
    trees bit for bit, Linear scores within its tolerance) on every row and on one row, and
    offers the methods scikit-learn has."""
    est, X = _ours(name)
    data = amber.dumps(est)
    for method in METHODS:
        for rows in (X, _one_row(est, X)):
            got = _rust_run(data, rows, method, tmp_path)
            offered = _works(est, method, X)
            if not offered:
                assert got is None, method
                continue
            assert got is not None, method
            with np.errstate(invalid="ignore"):
                want = getattr(est, method)(rows)
            if method == "predict_proba" and not FIRST:
                # 1.3.2 divides a row whose sum is 0 (NaN); the body leaves it (spec 23)
                zero = _zero_rows(est, rows)
                assert np.isnan(want[zero]).all() and (got[zero] == 0).all()
                want = np.where(zero[:, None], 0.0, want)
            _close(name, want, got, f"{method} on {len(rows)} rows")


def _tied_rows(est: Any, X: Any) -> np.ndarray:
    """Rows where two or more one-vs-rest members give the same largest score."""
    scores = np.array([_predict_binary(e, X) for e in est.estimators_]).T
    return (scores == scores.max(axis=1, keepdims=True)).sum(axis=1) > 1


def _loop_before_1_8(est: Any, X: Any) -> np.ndarray:
    """OneVsRestClassifier.predict's multiclass loop as scikit-learn 1.3.2 writes it
    (sklearn/multiclass.py): the last of equal scores wins."""
    n_samples = len(X)
    maxima = np.empty(n_samples, dtype=float)
    maxima.fill(-np.inf)
    argmaxima = np.zeros(n_samples, dtype=int)
    for i, e in enumerate(est.estimators_):
        pred = _predict_binary(e, X)
        np.maximum(maxima, pred, out=maxima)
        argmaxima[maxima == pred] = i
    return est.classes_[argmaxima]


def _loop_since_1_8(est: Any, X: Any) -> np.ndarray:
    """The same loop as scikit-learn 1.9.1 writes it: in reverse, the first score wins."""
    n_samples = len(X)
    maxima = np.empty(n_samples, dtype=float)
    maxima.fill(-np.inf)
    argmaxima = np.zeros(n_samples, dtype=int)
    n_classes = len(est.estimators_)
    for i, e in enumerate(reversed(est.estimators_)):
        pred = _predict_binary(e, X)
        np.maximum(maxima, pred, out=maxima)
        argmaxima[maxima == pred] = n_classes - i - 1
    return est.classes_[argmaxima]


def _with_ties(data: bytes, ties: int) -> bytes:
    c = _container.read_container(data)
    m = pb.Manifest()
    m.CopyFrom(c.manifest)
    m.estimator.multiclass.ties = ties
    return _container.frame(m.SerializeToString(deterministic=True), bytes(c.data))


def test_each_tie_rule_is_its_versions_loop() -> None:
    """Equal scores: the running scikit-learn's predict is its own loop, and the body's
    rule (written by this version) picks the same member in the Python reader's arithmetic;
    the other rule is the other version's loop."""
    est, X = _ours("ovr_ties")
    tied = _tied_rows(est, X)
    mine, other = (
        (_loop_since_1_8, _loop_before_1_8) if FIRST else (_loop_before_1_8, _loop_since_1_8)
    )
    assert np.array_equal(est.predict(X), mine(est, X))
    assert not np.array_equal(mine(est, X)[tied], other(est, X)[tied])
    body = _container.read_container(amber.dumps(est)).manifest.estimator.multiclass
    S = np.array([_predict_binary(e, X) for e in est.estimators_]).T
    assert np.array_equal(_tree.multiclass_predict(body, S), est.predict(X))
    flipped = pb.Multiclass()
    flipped.CopyFrom(body)
    flipped.ties = pb.MULTICLASS_TIES_LAST if FIRST else pb.MULTICLASS_TIES_FIRST
    assert np.array_equal(_tree.multiclass_predict(flipped, S), other(est, X))


@pytest.mark.skipif(not CLI.exists(), reason="the release CLI is not built")
def test_rust_follows_the_bodys_tie_rule(tmp_path: Path) -> None:
    est, X = _ours("ovr_ties")
    data = amber.dumps(est)
    assert np.array_equal(_rust_run(data, X, "predict", tmp_path), est.predict(X))
    mine, other = (
        (_loop_since_1_8, _loop_before_1_8) if FIRST else (_loop_before_1_8, _loop_since_1_8)
    )
    rule = {True: pb.MULTICLASS_TIES_FIRST, False: pb.MULTICLASS_TIES_LAST}
    assert np.array_equal(_rust_run(_with_ties(data, rule[not FIRST]), X, "predict"), other(est, X))
    assert np.array_equal(_rust_run(_with_ties(data, rule[FIRST]), X, "predict"), mine(est, X))


# ---------------------------------------------------------------------------- the spec's
# arithmetic, from the body and its members alone


def _member_outputs(body: pb.Multiclass, members: list[Any], X: Any) -> tuple:
    """Per member, in order: its score as the body says (`constant` for a constant), its
    positive-class probability where it has predict_proba, and its predict."""
    if body.strategy == pb.MULTICLASS_STRATEGY_ONE_VS_ONE:
        X = np.asarray(X)  # one-vs-one hands its members the validated array
    n = len(X)
    scores, positive, labels = [], [], []
    for m, e in zip(body.members, members):
        if m.score == pb.BINARY_SCORE_CONSTANT:
            scores.append(np.full(n, float(m.constant)))
            positive.append(np.full(n, float(m.constant)))
            labels.append(np.full(n, float(m.constant)))
            continue
        out = getattr(e, _tree.MULTICLASS_SCORES[m.score])(X)
        scores.append(out[:, 1] if m.score == pb.BINARY_SCORE_PROBA else out)
        positive.append(e.predict_proba(X)[:, 1] if hasattr(e, "predict_proba") else None)
        labels.append(e.predict(X))
    stack = lambda cols: np.stack(cols, axis=1) if all(c is not None for c in cols) else None  # noqa: E731
    return stack(scores), stack(positive), stack(labels)


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_spec_arithmetic_gives_scikit_learns_outputs(name: str) -> None:
    """predict, predict_proba and decision_function computed as section 23 says, from the
    body's fields and the members' outputs alone (not scikit-learn's loops), are
    scikit-learn's own, bit for bit, on many rows and on one (whose row sums numpy adds
    pairwise: the 12-class cases)."""
    est, X = _ours(name)
    data = amber.dumps(est)
    c = _container.read_container(data)
    body = c.manifest.estimator.multiclass
    back = amber.loads(data)
    for rows in (X, _one_row(est, X)):
        S, P, L = _member_outputs(body, list(back.estimators_), rows)
        want = est.predict(rows)
        got = _tree.multiclass_predict(body, S, c.array, L)
        assert np.array_equal(np.asarray(got).astype(want.dtype), want), "predict"
        if body.strategy == pb.MULTICLASS_STRATEGY_ONE_VS_ONE:
            got = _tree.multiclass_ovo_decision(body, L, S)
            want = est.decision_function(rows)
            got = got[:, 1] if len(est.classes_) == 2 else got
            assert got.tobytes() == want.tobytes(), "decision_function"
        if hasattr(est, "predict_proba"):
            with np.errstate(invalid="ignore"):
                want = est.predict_proba(rows)
            got = _tree.multiclass_proba(body, P)
            if not FIRST:
                zero = _zero_rows(est, rows)
                want = np.where(zero[:, None], 0.0, want)
            assert got.tobytes() == want.tobytes(), "predict_proba"


def test_one_row_sums_are_numpys_pairwise_sum() -> None:
    """The spec's claim on one-vs-rest predict_proba: numpy sums a [n, M] row left to right,
    but a single row ([1, M], contiguous) pairwise, which differs from left to right for
    twelve members (measured: some rows of ovr_tree_12 differ in the last bit)."""
    est, X = _ours("ovr_tree_12")
    Y = np.array([e.predict_proba(X)[:, 1] for e in est.estimators_]).T
    left = Y[:, 0].copy()
    for j in range(1, Y.shape[1]):
        left = left + Y[:, j]
    assert np.array_equal(np.sum(Y, axis=1), left)
    ones = np.array([np.sum(Y[i : i + 1], axis=1)[0] for i in range(len(Y))])
    assert np.array_equal(ones, np.array([np.sum(row) for row in Y]))
    assert not np.array_equal(ones, left)  # so the one-row calls above test the other order
    rng = np.random.RandomState(0)
    R = rng.uniform(size=(400, 12))
    pairwise = np.array([np.sum(R[i : i + 1], axis=1)[0] for i in range(len(R))])
    rowwise = R[:, 0].copy()
    for j in range(1, 12):
        rowwise = rowwise + R[:, j]
    assert not np.array_equal(pairwise, rowwise)  # the two orders are not the same


# ---------------------------------------------------------------------------- refused at save


def _refusal(est: Any, who: str) -> str:
    with pytest.raises(amber.AmberError) as err:
        amber.dumps(est)
    assert err.value.code == "E_UNSUPPORTED"
    assert who in str(err.value)
    return str(err.value)


def test_a_sparse_target_is_refused() -> None:
    import scipy.sparse as sp

    est = OneVsRestClassifier(_lr()).fit(X_TRAIN, sp.csr_matrix(_indicator(False)[:, :2]))
    assert est.label_binarizer_.sparse_input_
    assert "sparse label matrix" in _refusal(est, "sklearn.multiclass.OneVsRestClassifier")


def test_a_single_class_is_refused() -> None:
    est = OneVsRestClassifier(_lr()).fit(X_TRAIN, np.zeros(len(X_TRAIN), dtype=np.int64))
    assert "single class" in _refusal(est, "sklearn.multiclass.OneVsRestClassifier")


def test_a_precomputed_kernel_is_refused() -> None:
    K = X_TRAIN @ X_TRAIN.T
    est = OneVsOneClassifier(SVC(kernel="precomputed")).fit(K, _labels(X_TRAIN, 3))
    assert est.pairwise_indices_ is not None
    text = _refusal(est, "sklearn.multiclass.OneVsOneClassifier")
    assert "pairwise_indices_" in text and "SVC" not in text


def test_a_member_amber_cannot_save_is_named() -> None:
    est = OneVsRestClassifier(SVC()).fit(X_TRAIN, _labels(X_TRAIN, 3))
    assert "estimators/0: sklearn.svm.SVC is not supported" in _refusal(est, "SVC")


def test_a_member_without_a_score_is_refused() -> None:
    """A hard VotingClassifier has neither decision_function nor predict_proba: scikit-learn's
    predict fails too."""
    hard = VotingClassifier([("a", _forest()), ("b", DecisionTreeClassifier(random_state=0))])
    est = OneVsRestClassifier(hard).fit(X_TRAIN, _labels(X_TRAIN, 3))
    with pytest.raises(AttributeError):
        est.predict(X_TEST)
    assert "neither decision_function nor predict_proba" in _refusal(est, "estimators_[0]")


def test_every_member_constant_is_refused() -> None:
    est, _ = _ours("ovr_multilabel")
    est.estimators_ = [e for e in est.estimators_ if type(e) is _ConstantPredictor]
    est.label_binarizer_ = clone(est.label_binarizer_).fit(np.eye(2, dtype=np.int64))
    est.classes_ = est.label_binarizer_.classes_
    assert "every member is a constant" in _refusal(est, "OneVsRestClassifier")


def test_an_estimator_param_changed_after_fit_is_refused() -> None:
    est, _ = _ours("ovr_logistic_3")
    est.set_params(estimator=_forest())
    assert "changed after fit" in _refusal(est, "estimators_[0]")


def test_an_unfitted_model_is_refused() -> None:
    for cls in (OneVsRestClassifier, OneVsOneClassifier, OutputCodeClassifier):
        assert "not fitted" in _refusal(cls(_lr()), cls.__name__)


def test_a_member_transforming_in_place_is_refused() -> None:
    member = make_pipeline(StandardScaler(copy=False), _lr())
    est = OneVsRestClassifier(member).fit(X_TRAIN.copy(), _labels(X_TRAIN, 3))
    assert "in place" in _refusal(est, "estimators_[0]")


# ---------------------------------------------------------------------------- body rules


def _mutant(name: str, edit: Callable[[pb.Manifest], None], extra: list | None = None) -> bytes:
    """The case's file with its manifest edited (framed as is: the writer would refuse
    some of these), or written again with `extra` tensors."""
    est, _ = _ours(name)
    c = _container.read_container(amber.dumps(est))
    m = pb.Manifest()
    m.CopyFrom(c.manifest)
    edit(m)
    if not extra:
        return _container.frame(m.SerializeToString(deterministic=True), bytes(c.data))
    return _container.write_container(m, [*c.all_tensors(), *extra])


def _mc(m: pb.Manifest) -> pb.Multiclass:
    return m.estimator.multiclass


def _set(path: str, value: Any) -> Callable[[pb.Manifest], None]:
    """Set a field of the body by a dotted path (`members.0.score`)."""

    def edit(m: pb.Manifest) -> None:
        obj: Any = _mc(m)
        *parents, last = path.split(".")
        for p in parents:
            obj = obj[int(p)] if p.isdigit() else getattr(obj, p)
        setattr(obj, last, value)

    return edit


def _drop_member(i: int) -> Callable[[pb.Manifest], None]:
    def edit(m: pb.Manifest) -> None:
        del _mc(m).members[i]

    return edit


def _add_member(m: pb.Manifest) -> None:
    _mc(m).members.add().CopyFrom(_mc(m).members[0])


def _member_width(m: pb.Manifest) -> None:
    _mc(m).members[1].estimator.n_features_in = 5


def _forest_classes(m: pb.Manifest) -> None:
    _mc(m).members[1].estimator.tree_ensemble.classes[0].ints.values[:] = [1, 2]


def _swap_member_names(m: pb.Manifest) -> None:
    step = _mc(m).members[1].estimator
    names = step.feature_names_in
    names[0], names[1] = names[1], names[0]


def _a_code_book_elsewhere(m: pb.Manifest) -> None:
    _mc(m).code_book = _mc(m).members[0].estimator.linear.coef


_BAD_BOOK: list = []


def _code_book(values: np.ndarray) -> Callable[[pb.Manifest], None]:
    def edit(m: pb.Manifest) -> None:
        _mc(m).code_book = "bad/code_book"
        _BAD_BOOK[:] = [_container.Tensor.from_array("bad/code_book", values)]

    return edit


def _book(name: str) -> np.ndarray:
    est, _ = _ours(name)
    return est.code_book_


def _book_with_nan() -> np.ndarray:
    book = _book("output_code_logistic_15").copy()
    book[1, 2] = np.nan
    return book


BODY_RULES: dict[str, tuple[str, Callable[[pb.Manifest], None], list, str]] = {
    "rule 1: one class": (
        "ovr_binary_strings",
        lambda m: _mc(m).classes.strings.values.pop(),
        [],
        "multiclass.classes",
    ),
    "rule 1: repeated classes": (
        "ovr_logistic_3",
        lambda m: _mc(m).classes.ints.values.__setitem__(2, 1),
        [],
        "multiclass.classes",
    ),
    "rule 1: multilabel classes not the label indices": (
        "ovr_multilabel",
        lambda m: _mc(m).classes.ints.values.__setitem__(0, 7),
        [],
        "multiclass.classes",
    ),
    "rule 1: no classes": (
        "ovo_logistic_4",
        lambda m: _mc(m).ClearField("classes"),
        [],
        "multiclass.classes",
    ),
    "rule 2: one-vs-rest, a member too few": (
        "ovr_logistic_3",
        _drop_member(1),
        [],
        "multiclass.members",
    ),
    "rule 2: one-vs-one, a member too many": (
        "ovo_logistic_4",
        _add_member,
        [],
        "multiclass.members",
    ),
    "rule 2: two classes, not multilabel, two members": (
        "ovr_binary_strings",
        _add_member,
        [],
        "multiclass.members",
    ),
    "rule 2: strategy unspecified": (
        "ovo_logistic_4",
        _set("strategy", pb.MULTICLASS_STRATEGY_UNSPECIFIED),
        [],
        "multiclass.strategy",
    ),
    "rule 2: strategy unknown": ("ovr_forest", _set("strategy", 9), [], "multiclass.strategy"),
    "rule 3: a member reads another width": (
        "ovr_forest",
        _member_width,
        [],
        "multiclass.members[1].estimator.n_features_in",
    ),
    "rule 3: a classifier scored by predict": (
        "ovr_logistic_3",
        _set("members.0.score", pb.BINARY_SCORE_PREDICT),
        [],
        "multiclass.members[0].estimator: a PREDICT member is a regressor",
    ),
    "rule 3: a forest scored by decision_function": (
        "ovr_forest",
        _set("members.2.score", pb.BINARY_SCORE_DECISION_FUNCTION),
        [],
        "multiclass.members[2].estimator: the member's score needs its decision_function",
    ),
    "rule 3: a regressor scored by predict_proba": (
        "ovr_ridge",
        _set("members.0.score", pb.BINARY_SCORE_PROBA),
        [],
        "multiclass.members[0].estimator: a classifier member's classes are 0 and 1",
    ),
    "rule 3: a member's classes are not 0 and 1": (
        "ovr_forest",
        _forest_classes,
        [],
        "multiclass.members[1].estimator: a classifier member's classes are 0 and 1",
    ),
    "rule 3: a constant of 2": (
        "ovr_multilabel",
        _set("members.2.constant", 2),
        [],
        "multiclass.members[2].constant",
    ),
    "rule 3: a one-vs-rest constant of -1": (
        "ovr_multilabel",
        _set("members.4.constant", -1),
        [],
        "multiclass.members[4].constant",
    ),
    "rule 3: an output-code constant of 2": (
        "output_code_constant",
        lambda m: setattr(
            next(x for x in _mc(m).members if x.score == pb.BINARY_SCORE_CONSTANT), "constant", 2
        ),
        [],
        ".constant: is 2",
    ),
    "rule 3: a constant member with an estimator": (
        "ovr_logistic_3",
        _set("members.1.score", pb.BINARY_SCORE_CONSTANT),
        [],
        "multiclass.members[1].estimator: a CONSTANT member has no estimator",
    ),
    "rule 3: a fitted member with a constant": (
        "ovr_logistic_3",
        _set("members.0.constant", 1),
        [],
        "multiclass.members[0].constant",
    ),
    "rule 3: a fitted member without its estimator": (
        "ovo_logistic_4",
        lambda m: _mc(m).members[3].ClearField("estimator"),
        [],
        "multiclass.members[3].estimator: is absent",
    ),
    "rule 3: a score unspecified": (
        "ovr_forest",
        _set("members.0.score", pb.BINARY_SCORE_UNSPECIFIED),
        [],
        "multiclass.members[0].score",
    ),
    "rule 3: a member's feature names differ": (
        "ovr_pipeline_dataframe",
        _swap_member_names,
        [],
        "feature_names_in",
    ),
    "rule 4: a NaN threshold": (
        "ovr_multilabel",
        _set("threshold", float("nan")),
        [],
        "multiclass.threshold",
    ),
    "rule 4: an infinite threshold": (
        "ovo_logistic_2",
        _set("threshold", float("-inf")),
        [],
        "multiclass.threshold",
    ),
    "rule 5: a multilabel one-vs-one": (
        "ovo_logistic_4",
        _set("multilabel", True),
        [],
        "multiclass.multilabel",
    ),
    "rule 5: a one-vs-one with a tie rule": (
        "ovo_forest_5_strings",
        _set("ties", pb.MULTICLASS_TIES_FIRST),
        [],
        "multiclass.ties",
    ),
    "rule 5: a one-vs-rest without a tie rule": (
        "ovr_logistic_3",
        _set("ties", pb.MULTICLASS_TIES_UNSPECIFIED),
        [],
        "multiclass.ties",
    ),
    "rule 5: a tie rule unknown": ("ovr_logistic_3", _set("ties", 7), [], "multiclass.ties"),
    "rule 5: a one-vs-rest with a code book": (
        "ovr_logistic_3",
        _a_code_book_elsewhere,
        [],
        "multiclass.code_book: only an output-code model",
    ),
    "rule 5: an output code without its code book": (
        "output_code_logistic_15",
        _set("code_book", ""),
        [],
        "multiclass.code_book: an output-code model has a code book",
    ),
    "rule 5: a code book of another width": (
        "output_code_logistic_15",
        _drop_member(0),
        [],
        "multiclass.code_book",
    ),
    "rule 5: a code book with a NaN": (
        "output_code_logistic_15",
        lambda m: _code_book(_book_with_nan())(m),
        _BAD_BOOK,
        "multiclass.code_book: every entry must be finite",
    ),
    "rule 5: an i64 code book": (
        "output_code_logistic_15",
        lambda m: _code_book(_book("output_code_logistic_15").astype(np.int64))(m),
        _BAD_BOOK,
        "multiclass.code_book",
    ),
    "rule 5: a transposed code book": (
        "output_code_logistic_15",
        lambda m: _code_book(np.ascontiguousarray(_book("output_code_logistic_15").T))(m),
        _BAD_BOOK,
        "multiclass.code_book",
    ),
}


def _rule_file(rule: str) -> bytes:
    case, edit, extra, _ = BODY_RULES[rule]
    return _mutant(case, edit, extra)


@pytest.mark.parametrize("rule", sorted(BODY_RULES))
def test_a_body_rule_broken_is_e_model_naming_the_field(rule: str) -> None:
    data = _rule_file(rule)
    says = BODY_RULES[rule][3]
    for read in (amber.validate, amber.loads):
        with pytest.raises(amber.AmberError) as err:
            read(data)
        assert err.value.code == "E_MODEL", err.value
        assert says in str(err.value), err.value


def _kinds_conflict() -> bytes:
    """Two one-hot members; the second's encoder made to read column "a" as numbers and
    "b" as strings, the first's the other way round (section 23 rule 6)."""
    X = pd.DataFrame({"a": ["p", "q", "r", "p"] * 10, "b": [1.0, 2.0, 3.0, 4.0] * 10})
    member = Pipeline([("oh", OneHotEncoder()), ("lr", LogisticRegression())])
    est = OneVsRestClassifier(member).fit(X, np.array([0, 1, 2, 2] * 10))

    def swap(m: pb.Manifest) -> None:
        encoder = _mc(m).members[1].estimator.pipeline.steps[0].estimator
        features = encoder.one_hot_encoder.features
        first, second = pb.OneHotFeature(), pb.OneHotFeature()
        first.CopyFrom(features[0])
        second.CopyFrom(features[1])
        features[0].CopyFrom(second)
        features[1].CopyFrom(first)

    c = _container.read_container(amber.dumps(est))
    m = pb.Manifest()
    m.CopyFrom(c.manifest)
    swap(m)
    return _container.frame(m.SerializeToString(deterministic=True), bytes(c.data))


def _missing_code_book() -> bytes:
    return _mutant("output_code_forest_07", _set("code_book", "nowhere"))


#: Hand-made files, (bytes, the code both readers give, what the Python reader says).
FILES: dict[str, tuple[Callable[[], bytes], str, str]] = {
    "rule 6: members read a column as numbers and as strings": (
        _kinds_conflict,
        "E_MODEL",
        "read as numbers by one multiclass member",
    ),
    "a code book naming no tensor": (_missing_code_book, "E_TENSOR_REF", "nowhere"),
}


@pytest.mark.parametrize("name", sorted(FILES))
def test_hand_made_files(name: str) -> None:
    build, code, says = FILES[name]
    data = build()
    for read in (amber.loads, amber.validate):
        with pytest.raises(amber.AmberError) as err:
            read(data)
        assert err.value.code == code and says in str(err.value), err.value


@pytest.mark.skipif(not CLI.exists(), reason="the release CLI is not built")
@pytest.mark.parametrize("name", sorted(BODY_RULES) + sorted(FILES))
def test_rust_gives_the_same_verdict(name: str, tmp_path: Path) -> None:
    if name in FILES:
        build, code, _ = FILES[name]
        data = build()
    else:
        data, code = _rule_file(name), "E_MODEL"
    path = tmp_path / "model.amber"
    path.write_bytes(data)
    assert _rust_code(path) == code


@pytest.mark.skipif(not CLI.exists(), reason="the release CLI is not built")
@pytest.mark.parametrize("name", sorted(CASES))
def test_rust_accepts_every_case(name: str, tmp_path: Path) -> None:
    est, _ = _ours(name)
    path = tmp_path / "model.amber"
    path.write_bytes(amber.dumps(est))
    assert _rust_code(path) is None


# ---------------------------------------------------------------------------- provenance


def _provenance(data: bytes, says: str) -> None:
    amber.validate(data)  # the body is fine
    with pytest.raises(amber.AmberError, match=says) as err:
        amber.loads(data)
    assert err.value.code == "E_PROVENANCE"


def test_a_producer_of_another_strategy_is_e_provenance() -> None:
    data = _mutant(
        "ovo_logistic_4",
        lambda m: setattr(m.estimator, "producer_type", "sklearn.multiclass.OutputCodeClassifier"),
    )
    _provenance(data, "strategy is MULTICLASS_STRATEGY_ONE_VS_ONE")


def test_a_score_scikit_learn_would_not_read_is_e_provenance() -> None:
    # the body is fine (a logistic member has predict_proba), and scikit-learn reads its
    # decision_function
    data = _mutant("ovr_logistic_3", _set("members.1.score", pb.BINARY_SCORE_PROBA))
    _provenance(data, "members\\[1\\].score is BINARY_SCORE_PROBA")


def test_a_threshold_scikit_learn_would_not_use_is_e_provenance() -> None:
    data = _mutant("ovr_multilabel_first_constant", _set("threshold", 0.0))
    _provenance(data, "thresholds estimators_\\[0\\]")


def test_unsorted_one_vs_rest_classes_are_e_provenance() -> None:
    """scikit-learn's label_binarizer_ sorts the classes, and classes_ is its."""

    def edit(m: pb.Manifest) -> None:
        v = _mc(m).classes.strings.values
        v[0], v[1] = v[1], v[0]

    _provenance(_mutant("ovr_logistic_12_strings", edit), "not sorted")


def test_every_member_constant_in_a_file_is_e_provenance() -> None:
    def edit(m: pb.Manifest) -> None:
        mc = _mc(m)
        kept = [x for x in mc.members if x.score == pb.BINARY_SCORE_CONSTANT]
        del mc.members[:]
        mc.members.extend(kept)
        mc.classes.ints.values[:] = [0, 1]

    est, _ = _ours("ovr_multilabel")
    c = _container.read_container(amber.dumps(est))
    m = pb.Manifest()
    m.CopyFrom(c.manifest)
    edit(m)
    _provenance(_container.write_container(m, c.all_tensors()), "every member is a constant")
