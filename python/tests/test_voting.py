"""VotingClassifier and VotingRegressor (spec/estimators.md section 20): every voting rule,
weight and member kind round-trips with scikit-learn's own outputs, bit for bit; the save
refusals; the body rules (E_MODEL) on mutated files; and the spec's claims about numpy's
order of arithmetic in `np.average`, measured against numpy itself."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
    VotingClassifier,
    VotingRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor, ExtraTreeClassifier
from test_body_rules import CLI, _rust_code
from test_roundtrip import assert_same

import amber
from amber import _container
from amber._proto.amber.v1 import amber_pb2 as pb

METHODS = ("predict", "predict_proba", "decision_function", "transform", "score_samples")


# ---------------------------------------------------------------------------- data


def _x(n: int, seed: int) -> np.ndarray:
    rng = np.random.RandomState(seed)
    return rng.normal(size=(n, 4)) * [1.0, 3.0, 0.5, 2.0] + [0.5, -2.0, 1.0, 0.0]


def _classes(X: np.ndarray, labels: list[Any], seed: int) -> np.ndarray:
    rng = np.random.RandomState(seed)
    z = (X - X.mean(axis=0)) / X.std(axis=0)
    score = z @ rng.normal(size=(4, len(labels))) + 0.8 * rng.normal(size=(len(X), len(labels)))
    return np.asarray(labels)[np.argmax(score, axis=1)]


def _target(X: np.ndarray) -> np.ndarray:
    return X @ [1.5, -0.5, 2.0, 0.25] + 3.0 + np.random.RandomState(5).normal(0, 0.1, len(X))


X_TRAIN, X_TEST = _x(240, 0), _x(60, 1)
X_TEST[0] = 0.0
X_TEST[1] = X_TRAIN[0]
NAMES = ["age", "income", "height", "score"]


def _lr() -> Any:
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))


def _classifier(labels: list[Any], frame: bool = False, **params: Any) -> Callable[[], tuple]:
    def build() -> tuple:
        X = pd.DataFrame(X_TRAIN, columns=NAMES) if frame else X_TRAIN
        est = VotingClassifier(**params).fit(X, _classes(X_TRAIN, labels, 2))
        return est, pd.DataFrame(X_TEST, columns=NAMES) if frame else X_TEST

    return build


def _regressor(frame: bool = False, **params: Any) -> Callable[[], tuple]:
    def build() -> tuple:
        X = pd.DataFrame(X_TRAIN, columns=NAMES) if frame else X_TRAIN
        est = VotingRegressor(**params).fit(X, _target(X_TRAIN))
        return est, pd.DataFrame(X_TEST, columns=NAMES) if frame else X_TEST

    return build


THREE = [
    ("lr", _lr()),
    ("tree", DecisionTreeClassifier(max_depth=5, random_state=0)),
    ("forest", RandomForestClassifier(n_estimators=5, max_depth=4, random_state=0)),
]
HGB = ("hgb", HistGradientBoostingClassifier(max_iter=10, random_state=0))

CASES: dict[str, Callable[[], tuple]] = {
    "hard": _classifier([0, 1, 2], estimators=THREE),
    "hard_weighted": _classifier([-1, 3, 7], estimators=THREE, weights=[2, 1, 0.5]),
    "hard_negative_weights": _classifier([0, 1, 2], estimators=THREE, weights=[1.0, -2.0, 0.5]),
    # numpy's bincount takes any weights; only soft voting and the regressor divide by them
    "hard_zero_sum_weights": _classifier([0, 1, 2], estimators=THREE, weights=[1.0, -1.0, 0.0]),
    "hard_dropped": _classifier(
        [0, 1, 2], estimators=[THREE[0], ("off", "drop"), THREE[1]], weights=[1.0, 5.0, 2.0]
    ),
    "hard_strings": _classifier(["no", "yes", "maybe"], estimators=THREE),
    "soft": _classifier([0, 1, 2], estimators=THREE, voting="soft"),
    "soft_weighted_flatten": _classifier(
        [0, 1, 2], estimators=[*THREE, HGB], voting="soft", weights=[0.2, 1.0, 3.0, 1.5]
    ),
    "soft_no_flatten": _classifier(
        [0, 1, 2],
        estimators=[*THREE, HGB],
        voting="soft",
        weights=[1, 2, 3, 4],
        flatten_transform=False,
    ),
    "soft_negative_weights": _classifier(
        [0, 1, 2], estimators=THREE, voting="soft", weights=[2.0, -0.5, 1.0]
    ),
    "soft_dropped_strings": _classifier(
        ["ab", "cd"],
        estimators=[("a", "drop"), ("lr", LogisticRegression()), HGB],
        voting="soft",
        weights=[0.0, 1.0, 2.0],
    ),
    "hard_binary": _classifier(
        [0, 1], estimators=[("t", ExtraTreeClassifier(random_state=3)), ("lr", _lr())]
    ),
    "soft_dataframe": _classifier(
        [0, 1, 2], frame=True, estimators=[*THREE, HGB], voting="soft", weights=[1, 1, 2, 1]
    ),
    "hard_dataframe": _classifier(["x", "y", "z"], frame=True, estimators=THREE),
    "soft_nine_members": _classifier(
        [0, 1, 2],
        estimators=[
            (f"t{i}", DecisionTreeClassifier(max_depth=i + 1, random_state=i)) for i in range(9)
        ],
        voting="soft",
    ),
    "nested_voting": _classifier(
        [0, 1, 2],
        estimators=[
            ("inner", VotingClassifier(THREE, voting="soft", weights=[1.0, 2.0, 3.0])),
            ("hard", VotingClassifier(THREE)),
            ("lr", LogisticRegression(max_iter=1000)),
        ],
    ),
    "soft_nested_voting": _classifier(
        ["a", "b", "c"],
        estimators=[("inner", VotingClassifier(THREE, voting="soft")), HGB],
        voting="soft",
        weights=[3.0, 1.0],
    ),
    "search_member": _classifier(
        [0, 1],
        estimators=[
            ("grid", GridSearchCV(DecisionTreeClassifier(random_state=0), {"max_depth": [2, 4]})),
            THREE[0],
        ],
        voting="soft",
    ),
    "regressor": _regressor(
        estimators=[
            ("lin", LinearRegression()),
            ("tree", DecisionTreeRegressor(max_depth=5, random_state=0)),
            ("gb", GradientBoostingRegressor(n_estimators=10, random_state=0)),
        ]
    ),
    "regressor_weighted": _regressor(
        estimators=[
            ("ridge", make_pipeline(StandardScaler(), Ridge())),
            ("off", "drop"),
            ("tree", DecisionTreeRegressor(max_depth=5, random_state=0)),
        ],
        weights=[0.25, 9.0, 1.25],
    ),
    "regressor_dataframe_nested": _regressor(
        frame=True,
        estimators=[
            (
                "inner",
                VotingRegressor(
                    [("a", LinearRegression()), ("b", DecisionTreeRegressor(random_state=0))]
                ),
            ),
            ("lin", LinearRegression()),
        ],
        weights=[1, 3],
    ),
}


def _same_output(expected: Any, got: Any, where: str) -> None:
    expected, got = np.asarray(expected), np.asarray(got)
    assert expected.dtype == got.dtype and expected.shape == got.shape, where
    np.testing.assert_array_equal(got, expected, err_msg=where)


def _has_logistic(est: Any) -> bool:
    return any(isinstance(v, LogisticRegression) for v in est.get_params(deep=True).values())


def _same_model(est: Any, back: Any) -> None:
    """The same class, params and fitted attributes; `weights` come back as floats."""
    assert type(back) is type(est)
    pa, pb_ = est.get_params(deep=False), back.get_params(deep=False)
    wa, wb = pa.pop("weights"), pb_.pop("weights")
    assert wb == (None if wa is None else [float(w) for w in wa])
    assert_same(pa, pb_, "params")
    fitted = {k for k in vars(est) if k.endswith("_") and not k.startswith("_")}
    assert fitted == {k for k in vars(back) if k.endswith("_") and not k.startswith("_")}
    for k in sorted(fitted - {"estimators_", "named_estimators_"}):
        assert_same(getattr(est, k), getattr(back, k), k)
    assert list(back.named_estimators_) == list(est.named_estimators_)
    assert [id(m) for m in back.estimators_] == [
        id(m) for m in back.named_estimators_.values() if not isinstance(m, str)
    ]
    for name, member in est.named_estimators_.items():
        got = back.named_estimators_[name]
        if hasattr(member, "cv_results_"):  # a search: test_search compares its answers
            assert type(got) is type(member) and got.best_params_ == member.best_params_
        else:
            assert_same(member, got, f"named_estimators_[{name!r}]")
    if isinstance(est, VotingClassifier):
        assert back.classes_ is back.le_.classes_
    assert back.n_features_in_ == est.n_features_in_


@pytest.mark.parametrize("name", sorted(CASES))
def test_round_trip_gives_scikit_learns_outputs(name: str) -> None:
    est, X = CASES[name]()
    data = amber.dumps(est)
    back = amber.loads(data)
    _same_model(est, back)
    assert amber.dumps(back) == data
    ran = 0
    for method in METHODS:
        assert hasattr(back, method) == hasattr(est, method), method
        if hasattr(est, method):
            _same_output(getattr(est, method)(X), getattr(back, method)(X), method)
            # One row: numpy's one-element sums are pairwise (section 20).
            one, again = getattr(est, method)(X[:1]), getattr(back, method)(X[:1])
            if _has_logistic(est) and method != "predict":
                # A rebuilt LogisticRegression's coef_ is C-ordered where lbfgs left it
                # F-ordered, and BLAS multiplies one row of each in another order: its
                # scores (and probabilities) may differ in the last bit (Linear's rtol).
                np.testing.assert_allclose(again, one, rtol=1e-12, atol=1e-15)
            else:
                _same_output(one, again, method)
            ran += 1
    assert ran >= 2
    amber.validate(data)


def test_the_body_lists_every_member_in_order() -> None:
    est, _ = CASES["hard_dropped"]()
    info = amber.inspect(amber.dumps(est))["estimator"]
    assert info["producer_type"] == "sklearn.ensemble.VotingClassifier"
    voting = info["voting"]
    assert voting["rule"] == "VOTING_RULE_HARD" and voting["classes"] == [0, 1, 2]
    assert [(m["name"], m["dropped"], m["weight"]) for m in voting["members"]] == [
        ("lr", False, 1.0),
        ("off", True, 5.0),
        ("tree", False, 2.0),
    ]
    assert voting["members"][0]["estimator"]["producer_type"] == "sklearn.pipeline.Pipeline"
    assert info["params"] == {"n_jobs": None, "verbose": False}
    tensors = [t["name"] for t in amber.inspect(amber.dumps(est))["tensors"]]
    assert tensors[0].startswith("estimators/lr/steps/")
    back = amber.loads(amber.dumps(est))
    assert back.named_estimators_["off"] == "drop"
    assert back.estimators[1] == ("off", "drop")
    assert back.estimators_[1] is back.named_estimators_["tree"]


def test_a_voting_step_feeds_the_next_one() -> None:
    """A flattened soft vote's transform is a table: a pipeline can fit on it."""
    voting = VotingClassifier(THREE, voting="soft")
    model = Pipeline([("vote", voting), ("lr", LogisticRegression())])
    y = _classes(X_TRAIN, [0, 1, 2], 2)
    model.fit(X_TRAIN, y)
    back = amber.loads(amber.dumps(model))
    _same_output(model.predict_proba(X_TEST), back.predict_proba(X_TEST), "predict_proba")


def _tabular(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.RandomState(seed)
    city = np.array(["Oslo", "Lima", "Pune", "Kyiv"], dtype=object)[rng.randint(0, 4, n)]
    city[rng.uniform(size=n) < 0.1] = None
    return pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "city": city,
            "plan": np.array(["a", "b"], dtype=object)[rng.randint(0, 2, n)],
            "note": np.array(["u", "v"], dtype=object)[rng.randint(0, 2, n)],
        }
    )


def _tabular_members() -> tuple[pd.DataFrame, np.ndarray, list[tuple[str, Any]], pd.DataFrame]:
    """Training rows, labels, two member pipelines over strings with missing values (one-hot
    + LogisticRegression, ordinal + a tree) and test rows with an unseen city."""
    X = _tabular(200, 0)
    y = np.where((X["x"] > 0) ^ (X["city"] == "Oslo"), "up", "down")
    onehot = Pipeline(
        [
            (
                "ct",
                ColumnTransformer(
                    [
                        ("num", StandardScaler(), ["x"]),
                        (
                            "cat",
                            make_pipeline(
                                SimpleImputer(strategy="constant", fill_value="none"),
                                OneHotEncoder(handle_unknown="ignore"),
                            ),
                            ["city", "plan"],
                        ),
                    ]
                ),
            ),
            ("lr", LogisticRegression()),
        ]
    )
    ordinal = Pipeline(
        [
            (
                "ct",
                ColumnTransformer(
                    [
                        (
                            "cat",
                            OrdinalEncoder(
                                handle_unknown="use_encoded_value",
                                unknown_value=-1,
                                encoded_missing_value=-2,
                            ),
                            ["city"],
                        ),
                        ("num", "passthrough", ["x"]),
                    ]
                ),
            ),
            ("tree", DecisionTreeClassifier(max_depth=4, random_state=0)),
        ]
    )
    test = _tabular(40, 1)
    test.loc[0, "city"] = "Rome"  # unseen: ignored by one member, -1 for the other
    return X, y, [("onehot", onehot), ("ordinal", ordinal)], test


def _tabular_voting(voting: str) -> tuple[Any, pd.DataFrame]:
    X, y, members, test = _tabular_members()
    return VotingClassifier(members, voting=voting).fit(X, y), test


@pytest.mark.parametrize("voting", ["hard", "soft"])
def test_a_table_with_strings_round_trips_and_records_its_schema(voting: str) -> None:
    est, test = _tabular_voting(voting)
    data = amber.dumps(est)
    back = amber.loads(data)
    for method in ("predict", "predict_proba", "transform"):
        if hasattr(est, method):
            _same_output(getattr(est, method)(test), getattr(back, method)(test), method)
    kinds = {c["name"]: c["kind"] for c in amber.inspect(data)["input"]["columns"]}
    # Every member reads every column: numbers, strings, and "note" no member reads.
    assert kinds == {"x": "numeric", "city": "string", "plan": "string", "note": "unused"}


# ---------------------------------------------------------------------------- refused at save


def _refusal(est: Any) -> str:
    with pytest.raises(amber.AmberError) as err:
        amber.dumps(est)
    assert err.value.code == "E_UNSUPPORTED"
    return str(err.value)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_a_weight_that_is_not_finite_is_refused(bad: float) -> None:
    est, _ = _classifier([0, 1], estimators=THREE, weights=[1.0, bad, 1.0])()
    text = _refusal(est)
    assert "sklearn.ensemble.VotingClassifier" in text and "weights[1]" in text


@pytest.mark.parametrize(
    "build",
    [
        _classifier([0, 1], estimators=THREE, voting="soft", weights=[1.0, -1.0, 0.0]),
        # the dropped member's weight is not part of the sum numpy divides by
        _classifier(
            [0, 1],
            estimators=[THREE[0], ("off", "drop"), THREE[1]],
            voting="soft",
            weights=[2.0, 5.0, -2.0],
        ),
        _regressor(
            estimators=[("a", LinearRegression()), ("b", DecisionTreeRegressor(random_state=0))],
            weights=[0.5, -0.5],
        ),
    ],
    ids=["soft", "soft_dropped", "regressor"],
)
def test_weights_that_sum_to_zero_are_refused_where_numpy_divides(build) -> None:
    est, X = build()
    with pytest.raises(ZeroDivisionError):
        est.predict(X)  # what scikit-learn does with them
    assert "sum to 0" in _refusal(est)


def test_a_member_amber_cannot_save_is_named() -> None:
    est = VotingClassifier([("svc", SVC()), THREE[1]]).fit(X_TRAIN, _classes(X_TRAIN, [0, 1], 2))
    assert "estimators/svc: sklearn.svm.SVC is not supported" in _refusal(est)


def test_soft_voting_over_a_member_without_predict_proba_is_refused() -> None:
    inner = VotingClassifier(THREE)  # hard: no predict_proba
    est, X = _classifier([0, 1], estimators=[("inner", inner), THREE[0]], voting="soft")()
    with pytest.raises(AttributeError):
        est.predict(X)
    assert "'inner'" in _refusal(est)


def test_an_unfitted_or_changed_voting_is_refused() -> None:
    assert "not fitted" in _refusal(VotingClassifier(THREE))
    est, _ = CASES["hard"]()
    est.set_params(tree="drop")
    assert "changed after fit" in _refusal(est)


def test_a_member_that_transforms_in_place_is_refused() -> None:
    # scikit-learn hands every member the same X: a member scaling it in place (copy=False)
    # changes what the members after it read, so its output depends on member order.
    X = X_TRAIN.copy()
    y = _target(X)
    members = [("a", make_pipeline(StandardScaler(copy=False), Ridge())), ("b", Ridge())]
    est = VotingRegressor(members).fit(X.copy(), y)
    a, b = est.named_estimators_["a"], est.named_estimators_["b"]
    clean = (0.0 + a.predict(X.copy()) + b.predict(X.copy())) / 2
    assert not np.array_equal(est.predict(X.copy()), clean)  # what the refusal avoids
    assert "'a' transforms in place" in _refusal(est)
    # The last member may: nothing reads X after it.
    last = VotingRegressor(members[::-1]).fit(X.copy(), y)
    np.testing.assert_array_equal(
        amber.loads(amber.dumps(last)).predict(X.copy()), last.predict(X.copy())
    )
    # A file that says so anyway is refused by the rebuild (the body is fine).
    c = _container.read_container(amber.dumps(last))
    m = pb.Manifest()
    m.CopyFrom(c.manifest)
    first, second = pb.VotingMember(), pb.VotingMember()
    first.CopyFrom(m.estimator.voting.members[0])
    second.CopyFrom(m.estimator.voting.members[1])
    m.estimator.voting.members[0].CopyFrom(second)
    m.estimator.voting.members[1].CopyFrom(first)
    data = _container.frame(m.SerializeToString(deterministic=True), bytes(c.data))
    amber.validate(data)
    with pytest.raises(amber.AmberError, match="transforms in place") as err:
        amber.loads(data)
    assert err.value.code == "E_PROVENANCE"


# ---------------------------------------------------------------------------- body rules


def _mutant(name: str, edit: Callable[[pb.Voting], None]) -> bytes:
    est, _ = CASES[name]()
    c = _container.read_container(amber.dumps(est))
    m = pb.Manifest()
    m.CopyFrom(c.manifest)
    edit(m.estimator.voting)
    return _container.frame(m.SerializeToString(deterministic=True), bytes(c.data))


def _no_weight(v: pb.Voting) -> None:
    v.members[1].ClearField("weight")


def _nan_weight(v: pb.Voting) -> None:
    v.members[0].weight.value = float("nan")


def _classes_not_indices(v: pb.Voting) -> None:
    lr = v.members[0].estimator.pipeline.steps[-1].estimator.linear
    lr.classes.ints.values[:] = [1, 2, 3]


def _zero_sum(v: pb.Voting) -> None:
    v.members[0].weight.value, v.members[1].weight.value = 1.0, -2.0
    v.members[2].weight.value, v.members[3].weight.value = 0.5, 0.5


def _duplicate_names(v: pb.Voting) -> None:
    v.members[2].name = v.members[0].name


def _empty_name(v: pb.Voting) -> None:
    v.members[1].name = ""


def _all_dropped(v: pb.Voting) -> None:
    for m in v.members:
        m.ClearField("estimator")


def _mean_with_classes(v: pb.Voting) -> None:
    v.classes.ints.values[:] = [0, 1]


def _mean_flattens(v: pb.Voting) -> None:
    v.flatten_transform = True


def _hard_without_classes(v: pb.Voting) -> None:
    v.ClearField("classes")


def _repeated_classes(v: pb.Voting) -> None:
    v.classes.ints.values[:] = [0, 1, 1]


def _soft_over_regressor(v: pb.Voting) -> None:
    v.rule = pb.VOTING_RULE_SOFT
    v.classes.ints.values[:] = [0]


def _regressor_over_classifiers(v: pb.Voting) -> None:
    v.rule = pb.VOTING_RULE_MEAN
    v.ClearField("classes")
    v.flatten_transform = False


def _unspecified_rule(v: pb.Voting) -> None:
    v.rule = pb.VOTING_RULE_UNSPECIFIED


def _member_width(v: pb.Voting) -> None:
    v.members[1].estimator.n_features_in = 5


def _member_names(v: pb.Voting) -> None:
    names = v.members[1].estimator.feature_names_in
    names[0], names[1] = names[1], names[0]


def _member_names_without_own(m: pb.Manifest) -> None:
    # The composition has no names; the last named member's are the reference.
    m.estimator.ClearField("feature_names_in")
    names = m.estimator.voting.members[0].estimator.feature_names_in
    names[0], names[1] = names[1], names[0]


def _unnamed_members_disagree() -> bytes:
    est, _ = CASES["soft_dataframe"]()
    return _reframe(est, _member_names_without_own)


def _outlier_detector_member() -> bytes:
    """A VotingRegressor whose second member is an IsolationForest (no producer writes one:
    scikit-learn's fit refuses it, VotingRegressor takes regressors, and so does the writer's
    own check): the forest's estimator and tensors spliced into a regressor's file."""
    from sklearn.ensemble import IsolationForest

    est, _ = CASES["regressor"]()
    c = _container.read_container(amber.dumps(est))
    forest = _container.read_container(
        amber.dumps(IsolationForest(n_estimators=5, random_state=0).fit(X_TRAIN))
    )
    m = pb.Manifest()
    m.CopyFrom(c.manifest)
    m.estimator.voting.members[1].estimator.CopyFrom(forest.manifest.estimator)
    return _container.write_container(m, [*c.all_tensors(), *forest.all_tensors()])


def _fewer_proba_columns(v: pb.Voting) -> None:
    # the nine trees' classes stay 0..2; the composition now has two classes
    v.classes.ints.values[:] = [0, 1]


BODY_RULES = {
    "rule 1: duplicate names": ("hard", _duplicate_names),
    "rule 1: an empty name": ("hard_dropped", _empty_name),
    "rule 1: every member dropped": ("hard", _all_dropped),
    "rule 2: one member without a weight": ("hard_weighted", _no_weight),
    "rule 2: a NaN weight": ("soft_weighted_flatten", _nan_weight),
    "rule 3: MEAN with classes": ("regressor", _mean_with_classes),
    "rule 3: MEAN with flatten_transform": ("regressor", _mean_flattens),
    "rule 3: HARD without classes": ("hard", _hard_without_classes),
    "rule 3: repeated classes": ("hard", _repeated_classes),
    "rule 3: rule unspecified": ("hard", _unspecified_rule),
    "rule 4: a member reads another width": ("hard", _member_width),
    "rule 4: a member's names differ": ("soft_dataframe", _member_names),
    "rule 5: member classes are not 0..K-1": ("hard", _classes_not_indices),
    "rule 5: SOFT over regressors": ("regressor", _soft_over_regressor),
    "rule 5: MEAN over classifiers": ("hard", _regressor_over_classifiers),
    "rule 5: members' classes are not the composition's": (
        "soft_nine_members",
        _fewer_proba_columns,
    ),
    "rule 6: weights sum to zero": ("soft_weighted_flatten", _zero_sum),
}


@pytest.mark.parametrize("rule", sorted(BODY_RULES))
def test_a_body_rule_broken_is_e_model(rule: str) -> None:
    case, edit = BODY_RULES[rule]
    data = _mutant(case, edit)
    for read in (amber.loads, amber.validate):
        with pytest.raises(amber.AmberError) as err:
            read(data)
        assert err.value.code == "E_MODEL", err.value
        assert "voting" in str(err.value) or "members" in str(err.value), err.value


def _reframe(est: Any, edit: Callable[[pb.Manifest], None]) -> bytes:
    c = _container.read_container(amber.dumps(est))
    m = pb.Manifest()
    m.CopyFrom(c.manifest)
    edit(m)
    return _container.frame(m.SerializeToString(deterministic=True), bytes(c.data))


def _hard_zero_sum() -> bytes:
    # 2 - 2.5 + 0.5 == 0: hard voting counts, it does not divide
    return _mutant("hard_weighted", lambda v: setattr(v.members[1].weight, "value", -2.5))


def _kinds_conflict() -> bytes:
    """Two one-hot members; the second's encoder made to read column "a" as numbers and
    "b" as strings, the first's the other way round."""
    X = pd.DataFrame({"a": ["p", "q", "r", "p"] * 10, "b": [1.0, 2.0, 3.0, 4.0] * 10})
    member = Pipeline([("oh", OneHotEncoder()), ("lr", LogisticRegression())])
    est = VotingClassifier([("m1", member), ("m2", member)]).fit(X, np.array([0, 1] * 20))
    amber.loads(amber.dumps(est))

    def swap(m: pb.Manifest) -> None:
        features = m.estimator.voting.members[1].estimator.pipeline.steps[0].estimator
        features = features.one_hot_encoder.features
        first, second = pb.OneHotFeature(), pb.OneHotFeature()
        first.CopyFrom(features[0])
        second.CopyFrom(features[1])
        features[0].CopyFrom(second)
        features[1].CopyFrom(first)

    return _reframe(est, swap)


def _soft_over_hard() -> bytes:
    # the nested hard vote of "nested_voting" has no predict_proba
    return _mutant("nested_voting", lambda v: setattr(v, "rule", pb.VOTING_RULE_SOFT))


def _unflattened_step() -> bytes:
    """A soft vote whose transform is [M, n, K] as a pipeline's first step."""
    model = Pipeline(
        [("vote", VotingClassifier(THREE, voting="soft")), ("lr", LogisticRegression())]
    )
    model.fit(X_TRAIN, _classes(X_TRAIN, [0, 1, 2], 2))

    def unflatten(m: pb.Manifest) -> None:
        m.estimator.pipeline.steps[0].estimator.voting.flatten_transform = False

    return _reframe(model, unflatten)


def _nested(depth: int) -> Callable[[], bytes]:
    """A VotingRegressor of two trees wrapped in votes of one member each, so that the trees
    sit at `depth` (MAX_DEPTH is 32, spec/format.md check 15). Params and attributes are
    left out: theirs would nest the messages deeper than MAX_MESSAGE_DEPTH (100, check 10)
    before the estimators reach MAX_DEPTH."""

    def build() -> bytes:
        est = VotingRegressor(
            [(n, DecisionTreeRegressor(max_depth=2, random_state=0)) for n in "ab"]
        ).fit(X_TRAIN, _target(X_TRAIN))

        def wrap(m: pb.Manifest) -> None:
            stack = [m.estimator]
            while stack:
                e = stack.pop()
                del e.params[:]
                del e.attributes[:]
                stack.extend(x.estimator for x in e.voting.members if x.HasField("estimator"))
            for _ in range(depth - 2):
                outer = pb.Estimator()
                outer.producer_type = "sklearn.ensemble.VotingRegressor"
                outer.n_features_in = 4
                outer.voting.rule = pb.VOTING_RULE_MEAN
                outer.voting.members.add(name="v").estimator.CopyFrom(m.estimator)
                m.estimator.CopyFrom(outer)

        return _reframe(est, wrap)

    return build


#: Hand-made files, (bytes, the code both readers give, what the Python reader says).
FILES: dict[str, tuple[Callable[[], bytes], str | None, str]] = {
    "hard voting with weights summing to 0": (_hard_zero_sum, None, ""),
    "rule 7: members read a column as numbers and as strings": (
        _kinds_conflict,
        "E_MODEL",
        "read as numbers by one member",
    ),
    "rule 5: SOFT over a hard vote (no predict_proba)": (
        _soft_over_hard,
        "E_MODEL",
        "predict_proba",
    ),
    "rule 4: unnamed composition, members' names differ": (
        _unnamed_members_disagree,
        "E_MODEL",
        "feature_names_in",
    ),
    "rule 5: MEAN over an outlier detector": (_outlier_detector_member, "E_MODEL", "regressor"),
    "members at MAX_DEPTH": (_nested(32), None, ""),
    "members below MAX_DEPTH": (_nested(33), "E_LIMIT", "MAX_DEPTH"),
    # The spec does not say (reported): a [M, n, K] output is no table a step can read.
    "a soft vote without flatten_transform as a step": (
        _unflattened_step,
        "E_MODEL",
        "does not transform",
    ),
}


@pytest.mark.parametrize("name", sorted(FILES))
def test_hand_made_files(name: str) -> None:
    build, code, says = FILES[name]
    data = build()
    if code is None:
        amber.validate(data)
        return
    with pytest.raises(amber.AmberError, match=says) as err:
        amber.validate(data)
    assert err.value.code == code


@pytest.mark.skipif(not CLI.exists(), reason="the release CLI is not built")
@pytest.mark.parametrize("name", sorted(BODY_RULES) + sorted(FILES))
def test_rust_gives_the_same_verdict(name: str, tmp_path) -> None:
    if name in FILES:
        build, code, _ = FILES[name]
        data = build()
    else:
        data, code = _mutant(*BODY_RULES[name]), "E_MODEL"
    path = tmp_path / "model.amber"
    path.write_bytes(data)
    assert _rust_code(path) == code


# ---------------------------------------------------------------------------- provenance


def test_a_regressor_producer_on_a_classifier_body_is_e_provenance() -> None:
    est, _ = CASES["hard"]()
    c = _container.read_container(amber.dumps(est))
    m = pb.Manifest()
    m.CopyFrom(c.manifest)
    m.estimator.producer_type = "sklearn.ensemble.VotingRegressor"
    data = _container.frame(m.SerializeToString(deterministic=True), bytes(c.data))
    amber.validate(data)  # the body is fine
    with pytest.raises(amber.AmberError, match="rule VOTING_RULE_HARD") as err:
        amber.loads(data)
    assert err.value.code == "E_PROVENANCE"


def test_a_param_the_body_holds_is_e_provenance() -> None:
    est, _ = CASES["soft"]()
    c = _container.read_container(amber.dumps(est))
    m = pb.Manifest()
    m.CopyFrom(c.manifest)
    m.estimator.params.add(name="voting").value.string_value = "hard"
    data = _container.write_container(m, c.all_tensors())
    with pytest.raises(amber.AmberError, match="'voting' is in the body") as err:
        amber.loads(data)
    assert err.value.code == "E_PROVENANCE"


# ---------------------------------------------------------------------------- numpy's order


def _pairwise(a: list[float]) -> float:
    """numpy's pairwise_sum_DOUBLE (spec/estimators.md section 5.4)."""
    n = len(a)
    if n < 8:
        out = 0.0
        for x in a:
            out += x
        return out
    if n <= 128:
        r = list(a[:8])
        i = 8
        while i < n - n % 8:
            for j in range(8):
                r[j] += a[i + j]
            i += 8
        out = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
        for x in a[i:]:
            out += x
        return out
    half = n // 2
    half -= half % 8
    return _pairwise(a[:half]) + _pairwise(a[half:])


def numpy_sum(a: list[float]) -> float:
    return 0.0 + _pairwise(a)


def _left_to_right(terms: list[float]) -> float:
    out = 0.0
    for t in terms:
        out += t
    return out


def _bits(a: np.ndarray) -> bytes:
    return np.ascontiguousarray(a, dtype=np.float64).tobytes()


def _values(rng: np.random.RandomState, shape: tuple[int, ...]) -> np.ndarray:
    """Values of mixed sign and magnitude, some -0.0 and 0.0: the order shows in the bits."""
    v = rng.uniform(-1.0, 1.0, shape) * 10.0 ** rng.randint(-8, 9, shape)
    v[rng.uniform(size=shape) < 0.05] = -0.0
    v[rng.uniform(size=shape) < 0.02] = 0.0
    return v


MEMBERS = [*range(1, 21), 40]


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("m", MEMBERS)
def test_soft_voting_averages_in_the_spec_order(m: int, weighted: bool) -> None:
    """predict_proba: `np.average(probas, axis=0, weights)` over `np.asarray` of the members'
    [n, K] outputs (VotingClassifier._collect_probas) is `0.0` plus the members' terms left
    to right, except for a one-element output (numpy_sum); over numpy_sum(weights) or M."""
    rng = np.random.RandomState(1000 + m)
    for n in (1, 2, 3, 100):
        for k in (1, 2, 3):
            probas = np.asarray([_values(rng, (n, k)) for _ in range(m)])
            w = list(rng.uniform(-2.0, 3.0, m)) if weighted else None
            got = np.average(probas, axis=0, weights=w)
            want = np.empty((n, k))
            for i in range(n):
                for j in range(k):
                    terms = [probas[t, i, j] * (w[t] if w else 1.0) for t in range(m)]
                    s = numpy_sum(terms) if n * k == 1 else _left_to_right(terms)
                    want[i, j] = s / (numpy_sum(w) if w else float(m))
            assert got.shape == (n, k) and _bits(got) == _bits(want), (n, k)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("m", MEMBERS)
def test_the_regressor_averages_in_the_spec_order(m: int, weighted: bool) -> None:
    """predict: `np.average(P, axis=1, weights)` of P = `np.asarray(predictions).T`
    (_BaseVoting._predict) is `0.0` plus the members' terms left to right per row, except
    for a one-row call (numpy_sum); over numpy_sum(weights) or M."""
    rng = np.random.RandomState(2000 + m)
    for n in (1, 2, 3, 100):
        P = np.asarray([_values(rng, (n,)) for _ in range(m)]).T
        w = list(rng.uniform(-2.0, 3.0, m)) if weighted else None
        got = np.average(P, axis=1, weights=w)
        want = np.empty(n)
        for i in range(n):
            terms = [P[i, t] * (w[t] if w else 1.0) for t in range(m)]
            s = numpy_sum(terms) if n == 1 else _left_to_right(terms)
            want[i] = s / (numpy_sum(w) if w else float(m))
        assert got.shape == (n,) and _bits(got) == _bits(want), n


def test_the_sums_are_never_negative_zero() -> None:
    """0.0 + (-0.0) is 0.0: the spec's sums start at 0.0, in both of numpy's orders."""
    for m in (2, 9):
        zeros = np.full((m, 1, 1), -0.0)
        assert not np.signbit(np.average(zeros, axis=0))[0, 0]
        assert not np.signbit(np.average(np.full((m, 3, 2), -0.0), axis=0)).any()
        assert not np.signbit(np.average(np.full((1, m), -0.0), axis=1))[0]


def test_hard_voting_counts_in_the_spec_order() -> None:
    """`np.bincount(P[i], weights)`: max(P[i]) + 1 bins from 0.0, weights added in member
    order; the winner is the first largest count (np.argmax)."""
    rng = np.random.RandomState(7)
    for m in (1, 2, 5, 9, 40):
        for _ in range(50):
            row = rng.randint(0, 4, m)
            w = list(rng.uniform(-2.0, 3.0, m) * 10.0 ** rng.randint(-5, 6))
            counts = [0.0] * (int(row.max()) + 1)
            for t in range(m):
                counts[row[t]] += w[t]
            got = np.bincount(row, weights=w)
            assert _bits(got) == _bits(np.asarray(counts))
            assert np.argmax(got) == counts.index(max(counts))
