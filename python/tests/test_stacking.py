"""StackingClassifier and StackingRegressor (spec/estimators.md section 21): every stack method,
binary and multiclass, passthrough, dropped and prefit members, nested compositions and
tables with strings round-trip with scikit-learn's own outputs, bit for bit; the spec's
arithmetic, computed from the body and the members alone, is scikit-learn's; the save
refusals; the body rules (E_MODEL) on mutated files; the rebuild's provenance checks."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
    StackingClassifier,
    StackingRegressor,
    VotingClassifier,
    VotingRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.svm import SVC, SVR
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor, ExtraTreeClassifier
from test_body_rules import CLI, _rust_code
from test_roundtrip import assert_same
from test_voting import (
    NAMES,
    X_TEST,
    X_TRAIN,
    _classes,
    _reframe,
    _refusal,
    _tabular_members,
    _target,
)

import amber
from amber import _container, _tree
from amber._proto.amber.v1 import amber_pb2 as pb

METHODS = ("predict", "predict_proba", "decision_function", "transform")


# ---------------------------------------------------------------------------- cases


def _lr() -> Any:
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))


def _tree_clf(depth: int = 4, seed: int = 0) -> Any:
    return DecisionTreeClassifier(max_depth=depth, random_state=seed)


def _frame(X: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(X, columns=NAMES)


def _classifier(labels: list[Any], frame: bool = False, **params: Any) -> Callable[[], tuple]:
    def build() -> tuple:
        X = _frame(X_TRAIN) if frame else X_TRAIN
        est = StackingClassifier(**params).fit(X, _classes(X_TRAIN, labels, 2))
        return est, _frame(X_TEST) if frame else X_TEST

    return build


def _regressor(frame: bool = False, **params: Any) -> Callable[[], tuple]:
    def build() -> tuple:
        X = _frame(X_TRAIN) if frame else X_TRAIN
        est = StackingRegressor(**params).fit(X, _target(X_TRAIN))
        return est, _frame(X_TEST) if frame else X_TEST

    return build


def _prefit(labels: list[str], **params: Any) -> Callable[[], tuple]:
    """cv="prefit": members fitted beforehand on string labels of their own (one on three
    other labels), which they keep; the composition's classes are `labels`."""

    def build() -> tuple:
        y = _classes(X_TRAIN, labels, 2)
        other = _classes(X_TRAIN, ["p", "q", "r"], 3)
        members = [
            ("lr", _lr().fit(X_TRAIN, y)),
            ("off", "drop"),
            ("tree", _tree_clf(5).fit(X_TRAIN, other)),
        ]
        est = StackingClassifier(members, cv="prefit", **params).fit(X_TRAIN, y)
        return est, X_TEST

    return build


THREE = [
    ("lr", _lr()),
    ("tree", _tree_clf()),
    ("forest", RandomForestClassifier(n_estimators=5, max_depth=4, random_state=0)),
]
HGB = ("hgb", HistGradientBoostingClassifier(max_iter=10, random_state=0))
REGRESSORS = [
    ("lin", LinearRegression()),
    ("tree", DecisionTreeRegressor(max_depth=5, random_state=0)),
    ("gb", GradientBoostingRegressor(n_estimators=10, random_state=0)),
]

CASES: dict[str, Callable[[], tuple]] = {
    # predict_proba of two classes: each member adds one column (the drop)
    "binary_proba_passthrough": _classifier(
        [0, 1],
        estimators=[THREE[0], ("off", "drop"), THREE[1]],
        final_estimator=LogisticRegression(),
        passthrough=True,
    ),
    "binary_decision_function": _classifier(
        ["no", "yes"],
        estimators=[("lr", LogisticRegression()), HGB],
        stack_method="decision_function",
        final_estimator=LogisticRegression(),
    ),
    # final_estimator=None: scikit-learn's LogisticRegression
    "multiclass_auto_default_final": _classifier(["a", "b", "c"], estimators=[*THREE, HGB]),
    "multiclass_decision_function_tree_final": _classifier(
        [0, 1, 2],
        estimators=[
            ("lr", LogisticRegression(max_iter=1000)),
            HGB,
            ("gb", GradientBoostingClassifier(n_estimators=5, random_state=0)),
        ],
        stack_method="decision_function",
        final_estimator=_tree_clf(5, 1),
    ),
    "multiclass_predict_proba": _classifier(
        [-1, 3, 7], estimators=THREE, stack_method="predict_proba", final_estimator=_lr()
    ),
    # integer labels of every member: transform is int64
    "predict_ints": _classifier(
        [-1, 3, 7],
        estimators=[*THREE, ("extra", ExtraTreeClassifier(random_state=3))],
        stack_method="predict",
        final_estimator=_tree_clf(6, 2),
    ),
    "predict_passthrough": _classifier(
        [0, 1, 2], estimators=THREE, stack_method="predict", passthrough=True
    ),
    # auto: the regressor has neither predict_proba nor decision_function
    "regressor_member": _classifier(
        [0, 1, 2],
        estimators=[
            THREE[0],
            ("reg", DecisionTreeRegressor(max_depth=4, random_state=0)),
            ("off", "drop"),
            THREE[1],
        ],
        final_estimator=LogisticRegression(max_iter=1000),
    ),
    "trees_exact": _classifier(
        [0, 1, 2],
        estimators=[THREE[1], THREE[2], ("extra", ExtraTreeClassifier(random_state=1))],
        final_estimator=RandomForestClassifier(n_estimators=4, max_depth=4, random_state=2),
        passthrough=True,
    ),
    "dataframe_passthrough": _classifier(
        ["x", "y"], frame=True, estimators=THREE, passthrough=True, final_estimator=_tree_clf()
    ),
    "prefit_strings_binary": _prefit(
        ["no", "yes"], stack_method="predict_proba", final_estimator=LogisticRegression()
    ),
    "prefit_strings_multiclass": _prefit(["u", "v", "w"], final_estimator=_tree_clf(5)),
    "nested": _classifier(
        [0, 1, 2],
        estimators=[
            (
                "inner",
                StackingClassifier(THREE, final_estimator=LogisticRegression(max_iter=1000)),
            ),
            ("soft", VotingClassifier(THREE, voting="soft")),
            # hard voting has no predict_proba: auto stacks its predict (class indices)
            ("hard", VotingClassifier(THREE)),
        ],
        final_estimator=_tree_clf(5),
    ),
    "cv_splitter": _classifier(
        [0, 1],
        estimators=THREE[:2],
        cv=StratifiedKFold(3, shuffle=True, random_state=0),
        final_estimator=LogisticRegression(),
    ),
    "regressor": _regressor(estimators=REGRESSORS, final_estimator=Ridge()),
    "regressor_passthrough_dropped": _regressor(
        estimators=[REGRESSORS[0], ("off", "drop"), REGRESSORS[1]],
        final_estimator=DecisionTreeRegressor(max_depth=6, random_state=0),
        passthrough=True,
    ),
    "regressor_nested_dataframe": _regressor(
        frame=True,
        estimators=[
            ("vote", VotingRegressor(REGRESSORS[:2])),
            ("stack", StackingRegressor(REGRESSORS[1:], final_estimator=LinearRegression())),
            ("ridge", make_pipeline(StandardScaler(), Ridge())),
        ],
        final_estimator=LinearRegression(),
    ),
}


def _same_output(expected: Any, got: Any, where: str) -> None:
    expected, got = np.asarray(expected), np.asarray(got)
    assert expected.dtype == got.dtype and expected.shape == got.shape, where
    np.testing.assert_array_equal(got, expected, err_msg=where)


def _same_model(est: Any, back: Any) -> None:
    """The same class, params and fitted attributes, private ones included."""
    assert type(back) is type(est)
    pa, pb_ = est.get_params(deep=False), back.get_params(deep=False)
    ca, cb = pa.pop("cv"), pb_.pop("cv")
    assert type(ca) is type(cb) and repr(ca) == repr(cb)  # a splitter has no __eq__
    assert_same(pa, pb_, "params")
    fitted = {k for k in vars(est) if k.endswith("_") and not k.startswith("_")}
    assert fitted == {k for k in vars(back) if k.endswith("_") and not k.startswith("_")}
    for k in sorted(fitted - {"named_estimators_"}):
        assert_same(getattr(est, k), getattr(back, k), k)
    assert list(back.named_estimators_) == list(est.named_estimators_)
    assert [id(m) for m in back.estimators_] == [
        id(m) for m in back.named_estimators_.values() if not isinstance(m, str)
    ]
    assert back._n_feature_outs == est._n_feature_outs
    if est.cv == "prefit":
        assert [id(m) for _, m in back.estimators if m != "drop"] == list(map(id, back.estimators_))
    if isinstance(est, StackingClassifier):
        assert back.classes_ is back._label_encoder.classes_
        assert_same(est._label_encoder.classes_, back._label_encoder.classes_, "_label_encoder")
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
            _same_output(getattr(est, method)(X[:1]), getattr(back, method)(X[:1]), method)
            ran += 1
    assert ran >= 2
    amber.validate(data)


def test_the_cases_cover_what_they_say() -> None:
    """The drop, the int64 transform, passthrough and the resolved methods are what the
    cases were built to exercise (so a case cannot silently stop covering them)."""
    est, X = CASES["binary_proba_passthrough"]()
    assert est.stack_method_ == ["predict_proba", "predict_proba"]
    assert est._n_feature_outs == [1, 1] and est.transform(X).shape == (len(X), 2 + 4)
    est, X = CASES["predict_ints"]()
    assert est.transform(X).dtype == np.int64
    est, X = CASES["predict_passthrough"]()
    assert est.transform(X).dtype == np.float64
    est, _ = CASES["regressor_member"]()
    assert est.stack_method_ == ["predict_proba", "predict", "predict_proba"]
    est, _ = CASES["nested"]()
    assert est.stack_method_ == ["predict_proba", "predict_proba", "predict"]
    est, _ = CASES["prefit_strings_binary"]()
    assert est._n_feature_outs == [1, 2]  # the three-class member loses its first column too
    est, _ = CASES["binary_decision_function"]()
    assert est._n_feature_outs == [1, 1]
    est, _ = CASES["multiclass_decision_function_tree_final"]()
    assert est._n_feature_outs == [3, 3, 3]


# ---------------------------------------------------------------------------- the spec's
# arithmetic, from the body and its members alone


def _body(data: bytes) -> pb.Estimator:
    return _container.read_container(data).manifest.estimator


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_spec_arithmetic_gives_scikit_learns_outputs(name: str) -> None:
    """The outputs computed as the spec says, from the body's fields and the members and
    final estimator alone (not scikit-learn's `_concatenate_predictions`), are scikit-learn's
    own, bit for bit; the reader's widths w_m are `_n_feature_outs`."""
    est, X = CASES[name]()
    data = amber.dumps(est)
    body = _body(data)
    back = amber.loads(data)
    s = body.stacking
    methods = [_tree.STACK_METHODS[m.method] for m in s.members if m.HasField("estimator")]
    assert methods == est.stack_method_
    infos = _container.read_container(data).tensors
    assert _tree.stack_widths(body, infos) == est._n_feature_outs
    outputs = [getattr(m, method)(X) for m, method in zip(back.estimators_, methods)]
    T = _tree.stacking_transform(s, outputs, np.asarray(X, dtype=np.float64))
    _same_output(est.transform(X), T, "transform")
    final = back.final_estimator_
    predict = _tree.stacking_predict(s, final.predict(T))
    if s.HasField("classes"):
        predict = predict.astype(est.classes_.dtype)  # numpy str of the labels' width
    _same_output(est.predict(X), predict, "predict")
    for method in ("predict_proba", "decision_function"):
        if hasattr(est, method):
            _same_output(getattr(est, method)(X), getattr(final, method)(T), method)


def test_numpy_hstack_casts_int64_to_the_nearest_float64() -> None:
    """The spec's claim on a mixed transform: numpy's hstack of int64 and float64 pieces is
    float64, each integer the nearest double (ties to even), as a cast is."""
    big = np.asarray([[2**53 + 1], [-(2**63)], [2**62 + 2**9 + 1], [7]], dtype=np.int64)
    out = np.hstack([big, np.zeros((4, 1))])
    assert out.dtype == np.float64
    assert [float(v) for v in out[:, 0]] == [float(int(v)) for v in big[:, 0]]
    assert np.hstack([big, big]).dtype == np.int64


def test_the_body_lists_every_member_in_order() -> None:
    est, _ = CASES["regressor_member"]()
    info = amber.inspect(amber.dumps(est))["estimator"]
    assert info["producer_type"] == "sklearn.ensemble.StackingClassifier"
    stacking = info["stacking"]
    assert [(m["name"], m["dropped"], m["method"]) for m in stacking["members"]] == [
        ("lr", False, "STACK_METHOD_PREDICT_PROBA"),
        ("reg", False, "STACK_METHOD_PREDICT"),
        ("off", True, "STACK_METHOD_UNSPECIFIED"),
        ("tree", False, "STACK_METHOD_PREDICT_PROBA"),
    ]
    assert stacking["classes"] == [0, 1, 2] and stacking["passthrough"] is False
    final = stacking["final_estimator"]
    assert final["producer_type"] == "sklearn.linear_model.LogisticRegression"
    assert final["n_features_in"] == 3 + 1 + 3 and final["feature_names_in"] == []
    assert info["params"] == {"cv": None, "n_jobs": None, "stack_method": "auto", "verbose": 0}
    tensors = [t["name"] for t in amber.inspect(amber.dumps(est))["tensors"]]
    assert tensors[0].startswith("estimators/lr/steps/")
    assert tensors[-1].startswith("final_estimator/")
    back = amber.loads(amber.dumps(est))
    assert back.named_estimators_["off"] == "drop" and back.estimators[2] == ("off", "drop")
    assert back.estimators_[2] is back.named_estimators_["tree"]


def test_a_none_final_estimator_stays_none() -> None:
    est, _ = CASES["multiclass_auto_default_final"]()
    info = amber.inspect(amber.dumps(est))["estimator"]
    assert info["params"]["final_estimator"] is None
    back = amber.loads(amber.dumps(est))
    assert back.final_estimator is None
    assert type(back.final_estimator_) is LogisticRegression


def test_a_cv_splitter_comes_back() -> None:
    est, _ = CASES["cv_splitter"]()
    back = amber.loads(amber.dumps(est))
    assert type(back.cv) is StratifiedKFold
    assert (back.cv.n_splits, back.cv.shuffle, back.cv.random_state) == (3, True, 0)


# ---------------------------------------------------------------------------- compositions


def test_a_stacking_step_feeds_the_next_one() -> None:
    """A Stacking is a transformer: as a pipeline's first step its transform (members'
    outputs side by side) is the next step's input; a scaler before it works as usual."""
    y = _classes(X_TRAIN, [0, 1, 2], 2)
    stack = StackingClassifier(THREE, final_estimator=LogisticRegression(max_iter=1000))
    model = Pipeline([("scale", StandardScaler()), ("stack", clone(stack))]).fit(X_TRAIN, y)
    first = Pipeline([("stack", clone(stack)), ("lr", LogisticRegression(max_iter=1000))])
    first.fit(X_TRAIN, y)
    regressor = Pipeline(
        [("stack", StackingRegressor(REGRESSORS, final_estimator=Ridge())), ("lin", Ridge())]
    ).fit(X_TRAIN, _target(X_TRAIN))
    for m in (model, first, regressor):
        back = amber.loads(amber.dumps(m))
        for method in ("predict", "predict_proba", "transform"):
            if hasattr(m, method):
                _same_output(getattr(m, method)(X_TEST), getattr(back, method)(X_TEST), method)


def test_a_stacking_is_a_voting_member() -> None:
    y = _classes(X_TRAIN, ["a", "b", "c"], 2)
    inner = StackingClassifier(THREE, final_estimator=LogisticRegression(max_iter=1000))
    est = VotingClassifier([("stack", inner), HGB], voting="soft").fit(X_TRAIN, y)
    back = amber.loads(amber.dumps(est))
    for method in ("predict", "predict_proba", "transform"):
        _same_output(getattr(est, method)(X_TEST), getattr(back, method)(X_TEST), method)
    reg = VotingRegressor(
        [("stack", StackingRegressor(REGRESSORS, final_estimator=Ridge())), REGRESSORS[0]]
    ).fit(X_TRAIN, _target(X_TRAIN))
    back = amber.loads(amber.dumps(reg))
    _same_output(reg.predict(X_TEST), back.predict(X_TEST), "predict")


def _tabular_stacking(passthrough: bool = False, final: Any = None) -> tuple[Any, pd.DataFrame]:
    X, y, members, test = _tabular_members()
    est = StackingClassifier(
        members,
        final_estimator=final if final is not None else LogisticRegression(),
        passthrough=passthrough,
    ).fit(X, y)
    return est, test


def test_a_table_with_strings_round_trips_and_records_its_schema() -> None:
    est, test = _tabular_stacking()
    data = amber.dumps(est)
    back = amber.loads(data)
    for method in ("predict", "predict_proba", "decision_function", "transform"):
        _same_output(getattr(est, method)(test), getattr(back, method)(test), method)
    kinds = {c["name"]: c["kind"] for c in amber.inspect(data)["input"]["columns"]}
    # Every member reads every column: numbers, strings, and "note" no member reads.
    assert kinds == {"x": "numeric", "city": "string", "plan": "string", "note": "unused"}


@pytest.mark.parametrize("passthrough", [False, True])
def test_with_passthrough_every_input_column_is_numeric(passthrough: bool) -> None:
    """Input kinds (spec/estimators.md section 21): the members' kinds merged, a column no
    member reads unused; with passthrough the final estimator reads every column as a
    number, so a table of numbers needs no schema."""
    X = _frame(X_TRAIN)
    member = Pipeline(
        [("ct", ColumnTransformer([("num", StandardScaler(), ["age"])])), ("lr", Ridge())]
    )
    est = StackingRegressor(
        [("m", member)], final_estimator=LinearRegression(), passthrough=passthrough
    ).fit(X, _target(X_TRAIN))
    info = amber.inspect(amber.dumps(est))
    if passthrough:
        assert "input" not in info
    else:
        kinds = [c["kind"] for c in info["input"]["columns"]]
        assert kinds == ["numeric", "unused", "unused", "unused"]
    back = amber.loads(amber.dumps(est))
    _same_output(est.predict(_frame(X_TEST)), back.predict(_frame(X_TEST)), "predict")


# ---------------------------------------------------------------------------- refused at save


def test_a_multilabel_stacking_is_refused() -> None:
    Y = np.stack([_classes(X_TRAIN, [0, 1], 2), _classes(X_TRAIN, [0, 1], 3)], axis=1)
    est = StackingClassifier(THREE[1:], final_estimator=_tree_clf()).fit(X_TRAIN, Y)
    assert isinstance(est.classes_, list)
    text = _refusal(est)
    assert "sklearn.ensemble.StackingClassifier" in text and "multilabel" in text


def test_passthrough_of_string_columns_is_refused() -> None:
    """scikit-learn fits this: its final estimator one-hot encodes the passed-through strings
    (column 4 of [2 members' outputs, x, city, plan, note]); the body's final estimator reads
    numbers (rule 6)."""
    final = Pipeline(
        [
            (
                "ct",
                ColumnTransformer(
                    [
                        (
                            "cat",
                            make_pipeline(
                                SimpleImputer(strategy="constant", fill_value="none"),
                                OneHotEncoder(handle_unknown="ignore"),
                            ),
                            [3, 4, 5],
                        )
                    ],
                    remainder="passthrough",
                ),
            ),
            ("lr", LogisticRegression()),
        ]
    )
    est, test = _tabular_stacking(passthrough=True, final=final)
    est.predict(test)  # what scikit-learn does with it
    text = _refusal(est)
    assert "passthrough=True" in text and "'city'" in text


def test_a_member_stacked_with_string_labels_is_refused() -> None:
    """cv="prefit" members keep their string classes; stacked with predict, scikit-learn
    hands the labels to a final estimator that encodes them (rule 3: numbers only)."""
    final = Pipeline(
        [
            ("ct", ColumnTransformer([("oh", OneHotEncoder(handle_unknown="ignore"), [0, 1])])),
            ("lr", LogisticRegression()),
        ]
    )
    est, X = _prefit(["no", "yes"], stack_method="predict", final_estimator=final)()
    assert est.transform(X).dtype.kind == "U"
    text = _refusal(est)
    assert "member 'lr' is stacked with predict" in text and "string class labels" in text


def test_a_member_giving_one_array_per_output_is_refused() -> None:
    Y = np.stack([_classes(X_TRAIN, [0, 1], 2), _classes(X_TRAIN, [0, 1, 2], 3)], axis=1)
    multi = _tree_clf().fit(X_TRAIN, Y)
    y = Y[:, 0]
    est = StackingClassifier([("multi", multi), ("lr", _lr().fit(X_TRAIN, y))], cv="prefit")
    est.fit(X_TRAIN, y)
    assert isinstance(multi.predict_proba(X_TEST), list)
    assert "one array per output" in _refusal(est)


def test_a_member_or_final_estimator_amber_cannot_save_is_named() -> None:
    y = _classes(X_TRAIN, [0, 1], 2)
    est = StackingClassifier([("svc", SVC()), THREE[1]]).fit(X_TRAIN, y)
    assert "estimators/svc: sklearn.svm.SVC is not supported" in _refusal(est)
    reg = StackingRegressor(REGRESSORS[:2], final_estimator=SVR()).fit(X_TRAIN, _target(X_TRAIN))
    assert "final_estimator: sklearn.svm.SVR is not supported" in _refusal(reg)


def test_the_default_stacking_regressor_round_trips() -> None:
    """scikit-learn's default final estimator of a regressor is RidgeCV."""
    reg = StackingRegressor(REGRESSORS[:2]).fit(X_TRAIN, _target(X_TRAIN))
    back = amber.loads(amber.dumps(reg))
    assert type(back.final_estimator_).__name__ == "RidgeCV"
    assert back.final_estimator_.alpha_ == reg.final_estimator_.alpha_
    for rows in (X_TEST, X_TEST[:1]):
        assert np.array_equal(back.predict(rows), reg.predict(rows))


def test_an_unfitted_or_changed_stacking_is_refused() -> None:
    assert "not fitted" in _refusal(StackingClassifier(THREE))
    est, _ = CASES["multiclass_predict_proba"]()
    est.set_params(tree="drop")
    assert "estimators param" in _refusal(est) and "changed after fit" in _refusal(est)
    est, X = CASES["multiclass_predict_proba"]()
    est.set_params(stack_method="predict")
    assert "stack_method param" in _refusal(est)
    est, X = CASES["multiclass_predict_proba"]()
    est.set_params(passthrough=True)
    with pytest.raises(ValueError):
        est.predict(X)  # the final estimator was fitted on 9 columns
    assert "passthrough or a member was changed after fit" in _refusal(est)


def test_a_member_that_transforms_in_place_is_refused() -> None:
    """scikit-learn hands every member the same X, and with passthrough hands it to the final
    estimator after the last member: a member scaling X in place (copy=False) changes what
    the ones after it read, the last one too with passthrough."""
    X = X_TRAIN.copy()
    y = _target(X)
    members = [("a", make_pipeline(StandardScaler(copy=False), Ridge())), ("b", Ridge())]
    est = StackingRegressor(members, final_estimator=Ridge()).fit(X.copy(), y)
    assert "'a' transforms in place" in _refusal(est)
    last = StackingRegressor(members[::-1], final_estimator=Ridge()).fit(X.copy(), y)
    np.testing.assert_array_equal(
        amber.loads(amber.dumps(last)).predict(X.copy()), last.predict(X.copy())
    )
    through = StackingRegressor(members[::-1], final_estimator=Ridge(), passthrough=True)
    through.fit(X.copy(), y)
    x = X.copy()
    assert not np.array_equal(through.transform(x)[:, 2:], X)  # what the refusal avoids
    assert "'a' transforms in place" in _refusal(through)
    # A file that says so anyway is refused by the rebuild (the body is fine).
    data = _reframe(last, lambda m: setattr(m.estimator.stacking, "passthrough", True))
    with pytest.raises(amber.AmberError, match="transforms in place") as err:
        amber.loads(_final_width(data, +4))
    assert err.value.code == "E_PROVENANCE"


def _final_width(data: bytes, more: int) -> bytes:
    """`data` with its final estimator (a Linear) reading `more` columns more, their
    coefficients 0."""
    c = _container.read_container(data)
    m = pb.Manifest()
    m.CopyFrom(c.manifest)
    final = m.estimator.stacking.final_estimator
    final.n_features_in += more
    arrays = {n: c.array(n) for n in c.tensors}
    coef = arrays[final.linear.coef]
    arrays[final.linear.coef] = np.concatenate([coef, np.zeros((*coef.shape[:-1], more))], -1)
    tensors = [_container.Tensor.from_array(n, a) for n, a in arrays.items()]
    return _container.write_container(m, tensors)


# ---------------------------------------------------------------------------- body rules


def _mutant(name: str, edit: Callable[[pb.Stacking], None]) -> bytes:
    est, _ = CASES[name]()
    return _reframe(est, lambda m: edit(m.estimator.stacking))


def _duplicate_names(s: pb.Stacking) -> None:
    s.members[2].name = s.members[0].name


def _empty_name(s: pb.Stacking) -> None:
    s.members[1].name = ""


def _all_dropped(s: pb.Stacking) -> None:
    for m in s.members:
        m.ClearField("estimator")
        m.method = pb.STACK_METHOD_UNSPECIFIED


def _dropped_with_method(s: pb.Stacking) -> None:
    s.members[1].method = pb.STACK_METHOD_PREDICT


def _unspecified_method(s: pb.Stacking) -> None:
    s.members[0].method = pb.STACK_METHOD_UNSPECIFIED


def _tree_decision_function(s: pb.Stacking) -> None:
    s.members[1].method = pb.STACK_METHOD_DECISION_FUNCTION  # a tree has none


def _member_width(s: pb.Stacking) -> None:
    s.members[1].estimator.n_features_in = 5


def _member_names(s: pb.Stacking) -> None:
    names = s.members[1].estimator.feature_names_in
    names[0], names[1] = names[1], names[0]


def _string_labels_predicted(s: pb.Stacking) -> None:
    s.members[0].method = pb.STACK_METHOD_PREDICT  # its classes are "no", "yes"


def _repeated_classes(s: pb.Stacking) -> None:
    s.classes.ints.values[:] = [0, 1, 1]


def _no_classes_left(s: pb.Stacking) -> None:
    s.classes.strings.values[:] = []


def _regressor_over_classifiers(s: pb.Stacking) -> None:
    s.ClearField("classes")


def _regressor_member_proba(s: pb.Stacking) -> None:
    s.members[0].method = pb.STACK_METHOD_PREDICT_PROBA


def _passthrough_flipped(s: pb.Stacking) -> None:
    s.passthrough = not s.passthrough


def _final_names(s: pb.Stacking) -> None:
    final = s.final_estimator
    final.feature_names_in.extend(f"f{i}" for i in range(final.n_features_in))


def _final_classes_not_indices(s: pb.Stacking) -> None:
    s.final_estimator.tree_ensemble.classes[0].ints.values[:] = [1, 2, 3]


def _three_to_two_classes(s: pb.Stacking) -> None:
    # the members' probabilities now lose a column each: the final reads 3 too many
    s.classes.ints.values[:] = [0, 1]


BODY_RULES: dict[str, tuple[str, Callable[[pb.Stacking], None], str]] = {
    "rule 1: duplicate names": ("nested", _duplicate_names, "stacking.members[2]"),
    "rule 1: an empty name": ("regressor", _empty_name, "stacking.members[1]"),
    "rule 1: every member dropped": ("regressor", _all_dropped, "stacking.members"),
    "rule 1: a dropped member with a method": (
        "regressor_passthrough_dropped",
        _dropped_with_method,
        "stacking.members[1].method",
    ),
    "rule 1: a member without a method": (
        "regressor",
        _unspecified_method,
        "stacking.members[0].method",
    ),
    "rule 1: a member without its method": (
        "multiclass_predict_proba",
        _tree_decision_function,
        "stacking.members[1].method: the member has no decision_function",
    ),
    "rule 2: a member reads another width": (
        "regressor",
        _member_width,
        "stacking.members[1].estimator.n_features_in",
    ),
    "rule 2: a member's names differ": (
        "dataframe_passthrough",
        _member_names,
        "stacking.members[1]: feature_names_in",
    ),
    "rule 3: a member predicts string labels": (
        "prefit_strings_binary",
        _string_labels_predicted,
        "stacking.members[0].method: the member's predict does not give one array of numbers",
    ),
    "rule 4: repeated classes": ("predict_ints", _repeated_classes, "stacking.classes"),
    "rule 4: no class": ("binary_decision_function", _no_classes_left, "stacking.classes"),
    "rule 4: a regressor over classifiers": (
        "multiclass_predict_proba",
        _regressor_over_classifiers,
        "a regressor's member is a regressor",
    ),
    "rule 4: a regressor's member stacked with predict_proba": (
        "regressor",
        _regressor_member_proba,
        "stacking.members[0]: a regressor's member",
    ),
    "rule 5: the final estimator reads another width": (
        "binary_proba_passthrough",
        _passthrough_flipped,
        "stacking.final_estimator.n_features_in",
    ),
    "rule 5: the final estimator has names": (
        "multiclass_decision_function_tree_final",
        _final_names,
        "stacking.final_estimator.feature_names_in",
    ),
    "rule 5: the final estimator's classes are not 0..K-1": (
        "multiclass_decision_function_tree_final",
        _final_classes_not_indices,
        "stacking.final_estimator: must be a classifier whose classes are the class indices",
    ),
    "rule 5: the drop changes the final estimator's width": (
        "multiclass_predict_proba",
        _three_to_two_classes,
        "stacking.final_estimator.n_features_in",
    ),
}


@pytest.mark.parametrize("rule", sorted(BODY_RULES))
def test_a_body_rule_broken_is_e_model(rule: str) -> None:
    case, edit, says = BODY_RULES[rule]
    data = _mutant(case, edit)
    for read in (amber.loads, amber.validate):
        with pytest.raises(amber.AmberError) as err:
            read(data)
        assert err.value.code == "E_MODEL", err.value
        assert says in str(err.value), err.value


def _splice(base: bytes, other: Any, put: Callable[[pb.Manifest, pb.Estimator], None]) -> bytes:
    """`base` with `other`'s estimator (its file's root, tensors renamed under "spliced/")
    put in place by `put`: files no writer makes."""
    c = _container.read_container(base)
    o = _container.read_container(amber.dumps(other))
    m = pb.Manifest()
    m.CopyFrom(c.manifest)
    renamed = {n: f"spliced/{n}" for n in o.tensors}
    est = pb.Estimator()
    est.CopyFrom(o.manifest.estimator)
    _rename_tensors(est, renamed)
    put(m, est)
    tensors = c.all_tensors() + [
        _container.Tensor(renamed[t.name], t.dtype, t.shape, t.data) for t in o.all_tensors()
    ]
    used = set(_tree.tensor_refs(m.estimator))
    return _container.write_container(m, [t for t in tensors if t.name in used])


def _rename_tensors(msg: Any, renamed: dict[str, str]) -> None:
    """Every string field or tensor Value of `msg` naming a tensor, renamed."""
    for field, value in msg.ListFields():
        if field.message_type is not None:
            for item in value if field.is_repeated else [value]:
                _rename_tensors(item, renamed)
        elif field.type == field.TYPE_STRING and not field.is_repeated and value in renamed:
            setattr(msg, field.name, renamed[value])


def _put_final(m: pb.Manifest, est: pb.Estimator) -> None:
    m.estimator.stacking.final_estimator.CopyFrom(est)


def _regressor_width() -> int:
    est, _ = CASES["regressor"]()
    return len(est.estimators_)


def _final_classifier_in_a_regressor() -> bytes:
    est, _ = CASES["regressor"]()
    w = _regressor_width()
    final = _tree_clf().fit(X_TRAIN[:, :w], _classes(X_TRAIN, [0, 1], 2))
    return _splice(amber.dumps(est), final, _put_final)


def _final_reads_strings() -> bytes:
    est, _ = CASES["regressor"]()
    w = _regressor_width()
    words = np.asarray(["a", "b", "c"], dtype=object)[np.arange(len(X_TRAIN) * w) % 3]
    final = make_pipeline(OneHotEncoder(handle_unknown="ignore"), LinearRegression())
    final.fit(words.reshape(-1, w), _target(X_TRAIN))
    return _splice(amber.dumps(est), final, _put_final)


def _final_without_predict() -> bytes:
    est, _ = CASES["regressor"]()
    final = StandardScaler().fit(X_TRAIN[:, : _regressor_width()])
    return _splice(amber.dumps(est), final, _put_final)


def _member_with_one_array_per_output() -> bytes:
    """A prefit member that is a two-output tree stacked with predict_proba (a list)."""
    est, _ = CASES["prefit_strings_binary"]()
    Y = np.stack([_classes(X_TRAIN, [0, 1], 2), _classes(X_TRAIN, [0, 1, 2], 3)], axis=1)
    multi = _tree_clf(3).fit(X_TRAIN, Y)

    def put(m: pb.Manifest, tree: pb.Estimator) -> None:
        m.estimator.stacking.members[2].estimator.CopyFrom(tree)

    return _splice(amber.dumps(est), multi, put)


def _passthrough_over_strings() -> bytes:
    """The table case with passthrough set, its final estimator widened to read the input."""
    est, _ = _tabular_stacking()

    def edit(m: pb.Manifest) -> None:
        m.estimator.stacking.passthrough = True

    data = _reframe(est, edit)
    return _final_width(data, 4)


def _kinds_conflict() -> bytes:
    """Two one-hot members; the second's encoder made to read column "a" as numbers and
    "b" as strings, the first's the other way round."""
    X = pd.DataFrame({"a": ["p", "q", "r", "p"] * 10, "b": [1.0, 2.0, 3.0, 4.0] * 10})
    member = Pipeline([("oh", OneHotEncoder()), ("lr", LogisticRegression())])
    est = StackingClassifier([("m1", member), ("m2", member)], cv=2).fit(X, np.array([0, 1] * 20))
    amber.loads(amber.dumps(est))

    def swap(m: pb.Manifest) -> None:
        features = m.estimator.stacking.members[1].estimator.pipeline.steps[0].estimator
        features = features.one_hot_encoder.features
        first, second = pb.OneHotFeature(), pb.OneHotFeature()
        first.CopyFrom(features[0])
        second.CopyFrom(features[1])
        features[0].CopyFrom(second)
        features[1].CopyFrom(first)

    return _reframe(est, swap)


def _unnamed_members_disagree() -> bytes:
    est, _ = CASES["dataframe_passthrough"]()

    def edit(m: pb.Manifest) -> None:
        # The composition has no names; the last named member's are the reference.
        m.estimator.ClearField("feature_names_in")
        names = m.estimator.stacking.members[1].estimator.feature_names_in
        names[0], names[1] = names[1], names[0]

    return _reframe(est, edit)


def _unknown_method() -> bytes:
    return _mutant("regressor", lambda s: setattr(s.members[0], "method", 9))


def _no_final_estimator() -> bytes:
    return _mutant("regressor", lambda s: s.ClearField("final_estimator"))


def _final_tensor_missing() -> bytes:
    est, _ = CASES["regressor"]()
    c = _container.read_container(amber.dumps(est))
    m = pb.Manifest()
    m.CopyFrom(c.manifest)
    m.estimator.stacking.final_estimator.linear.coef = "nowhere"
    return _container.frame(m.SerializeToString(deterministic=True), bytes(c.data))


#: Hand-made files, (bytes, the code both readers give, what the Python reader says).
FILES: dict[str, tuple[Callable[[], bytes], str | None, str]] = {
    "rule 2: unnamed composition, members' names differ": (
        _unnamed_members_disagree,
        "E_MODEL",
        "stacking.members[1]: feature_names_in",
    ),
    "rule 3: a member gives one array per output": (
        _member_with_one_array_per_output,
        "E_MODEL",
        "stacking.members[2].method: the member's predict_proba does not give one array",
    ),
    "rule 5: a classifier as a regressor's final estimator": (
        _final_classifier_in_a_regressor,
        "E_MODEL",
        "stacking.final_estimator: a regressor's final estimator is a regressor",
    ),
    "rule 5: the final estimator reads strings": (
        _final_reads_strings,
        "E_MODEL",
        "stacking.final_estimator: reads column 0 as strings",
    ),
    "rule 5: the final estimator has no predict": (
        _final_without_predict,
        "E_MODEL",
        "stacking.final_estimator: must have predict",
    ),
    "rule 6: passthrough over a column read as strings": (
        _passthrough_over_strings,
        "E_MODEL",
        "stacking.passthrough: input column 1 is read as strings",
    ),
    "rule 7: members read a column as numbers and as strings": (
        _kinds_conflict,
        "E_MODEL",
        "read as numbers by one stacking member",
    ),
    "an unknown stack method": (_unknown_method, "E_MODEL", "stacking.members[0].method 9"),
    "no final estimator": (_no_final_estimator, "E_MODEL", "stacking.final_estimator is absent"),
    "the final estimator's tensor is missing": (_final_tensor_missing, "E_TENSOR_REF", "nowhere"),
}


@pytest.mark.parametrize("name", sorted(FILES))
def test_hand_made_files(name: str) -> None:
    build, code, says = FILES[name]
    data = build()
    if code is None:
        amber.validate(data)
        return
    for read in (amber.loads, amber.validate):
        with pytest.raises(amber.AmberError) as err:
            read(data)
        assert err.value.code == code and says in str(err.value), err.value


def _rust_knows_stacking() -> bool:
    if not CLI.exists():
        return False
    import tempfile
    from pathlib import Path

    est, _ = CASES["regressor"]()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.amber"
        path.write_bytes(amber.dumps(est))
        return _rust_code(path) != "E_UNKNOWN_ESTIMATOR"


@pytest.mark.skipif(
    not _rust_knows_stacking(),
    reason="the release CLI is not built, or predates the Stacking body (rebuild it)",
)
@pytest.mark.parametrize("name", sorted(BODY_RULES) + sorted(FILES))
def test_rust_gives_the_same_verdict(name: str, tmp_path) -> None:
    if name in FILES:
        build, code, _ = FILES[name]
        data = build()
    else:
        case, edit, _ = BODY_RULES[name]
        data, code = _mutant(case, edit), "E_MODEL"
    path = tmp_path / "model.amber"
    path.write_bytes(data)
    assert _rust_code(path) == code


# ---------------------------------------------------------------------------- provenance


def _edit_params(name: str, edit: Callable[[Any], None]) -> bytes:
    est, _ = CASES[name]()
    return _reframe(est, lambda m: edit(m.estimator.params))


def _provenance(data: bytes, says: str) -> None:
    amber.validate(data)  # the body is fine
    with pytest.raises(amber.AmberError, match=says) as err:
        amber.loads(data)
    assert err.value.code == "E_PROVENANCE"


def test_a_regressor_producer_on_a_classifier_body_is_e_provenance() -> None:
    est, _ = CASES["multiclass_predict_proba"]()
    data = _reframe(
        est, lambda m: setattr(m.estimator, "producer_type", "sklearn.ensemble.StackingRegressor")
    )
    _provenance(data, "a regressor cannot have a stacking body with classes")


def test_a_param_the_body_holds_is_e_provenance() -> None:
    data = _edit_params(
        "regressor", lambda p: setattr(p.add(name="passthrough").value, "bool_value", True)
    )
    _provenance(data, "'passthrough' is in the body")


def test_a_stack_method_param_the_body_contradicts_is_e_provenance() -> None:
    def edit(params: Any) -> None:
        next(p for p in params if p.name == "stack_method").value.string_value = "predict"

    data = _edit_params("multiclass_predict_proba", edit)
    _provenance(data, "stacked with predict_proba in the body, and stack_method='predict'")


def test_a_none_final_estimator_the_body_contradicts_is_e_provenance() -> None:
    # fit with final_estimator=None uses a LogisticRegression, not the body's tree
    data = _edit_params(
        "multiclass_decision_function_tree_final",
        lambda p: p.add(name="final_estimator").value.none.SetInParent(),
    )
    _provenance(data, "final_estimator is None, so fit used a")


def test_a_kfold_holding_a_random_state_is_refused() -> None:
    y = _classes(X_TRAIN, [0, 1], 2)
    est = StackingClassifier(
        THREE[:2], cv=KFold(3, shuffle=True, random_state=np.random.RandomState(0))
    ).fit(X_TRAIN, y)
    assert "cv KFold.random_state" in _refusal(est)
