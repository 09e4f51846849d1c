"""MultiOutputClassifier, MultiOutputRegressor, ClassifierChain and RegressorChain through the
`MultiOutput` body (spec/estimators.md section 24): round trips and the Rust CLI give
scikit-learn's own outputs (every method, every output), the body holds the members in
order with their tensors under `estimators/<i>/` and re-encodes to the same bytes in Rust;
the writer's refusals, every body rule broken (E_MODEL in both readers) and the rebuild's
provenance checks (E_PROVENANCE).

Expected values are the fitted originals' own outputs, never numbers of ours.
"""

from __future__ import annotations

import json
import subprocess
import warnings
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
)
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import KFold
from sklearn.multioutput import (
    ClassifierChain,
    MultiOutputClassifier,
    MultiOutputRegressor,
    RegressorChain,
)
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.svm import SVR
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from test_body_rules import CLI, _rust_code
from test_roundtrip import _same_classes, assert_same

import amber
from amber import _container
from amber._proto.amber.v1 import amber_pb2 as pb

#: ClassifierChain's chain_method (scikit-learn 1.5+; 1.3.2 chains with predict only).
CHAIN_METHOD = "chain_method" in ClassifierChain._get_param_names()
METHODS = ("predict", "predict_proba", "decision_function")
#: Linear's tolerance (spec/estimators.md section 3.1): BLAS sums in another order; a
#: chain's later members read the earlier ones' outputs, so it reaches them too.
RTOL, ATOL = 1e-12, 1e-12


def _x(n: int, seed: int) -> np.ndarray:
    return np.random.RandomState(seed).normal(size=(n, 4))


X_TRAIN, X_TEST = _x(200, 0), _x(50, 1)
X_TEST[0] = 0.0
X_TEST[1] = X_TRAIN[0]
NAMES = ["age", "income", "height", "score"]


def _binary(X: np.ndarray, k: int = 3) -> np.ndarray:
    """k binary outputs of noisy linear scores (int labels)."""
    rng = np.random.RandomState(7)
    scores = X @ rng.normal(size=(X.shape[1], k)) + 0.5 * rng.normal(size=(len(X), k))
    return (scores > 0).astype(np.int64)


def _three(X: np.ndarray) -> np.ndarray:
    """A three-class output: the score's terciles."""
    s = X[:, 0] - X[:, 2] + 0.3 * np.random.RandomState(3).normal(size=len(X))
    return np.digitize(s, np.quantile(s, [1 / 3, 2 / 3]))


def _targets(X: np.ndarray, k: int = 3) -> np.ndarray:
    rng = np.random.RandomState(11)
    return X @ rng.normal(size=(X.shape[1], k)) + 0.1 * rng.normal(size=(len(X), k)) + 2.5


def _forest(**kw: Any) -> RandomForestClassifier:
    return RandomForestClassifier(n_estimators=5, max_depth=4, random_state=0, **kw)


def _fit(est: Any, Y: Any, X: Any = X_TRAIN, test: Any = X_TEST) -> Callable[[], tuple]:
    return lambda: (clone(est).fit(X, Y), test)


def _strings() -> np.ndarray:
    """Three outputs of string labels, as a DataFrame of strings gives them (object)."""
    Y = _binary(X_TRAIN)
    columns = [np.where(Y[:, 0], "yes", "no"), np.where(Y[:, 1], "émeu", "ant"), Y[:, 2]]
    return np.stack([c.astype(str).astype(object) for c in columns], axis=1)


def _int_and_float_labels() -> tuple[Any, np.ndarray]:
    """Output 0 on int labels, output 1 on float ones (2.0, 7.0): scikit-learn's fit takes Y
    as one array, so this mix is assembled member by member; predict stacks the labels with
    np.asarray, as float64."""
    Y = _binary(X_TRAIN, 2)
    est = MultiOutputClassifier(LogisticRegression()).fit(X_TRAIN, Y)
    floats = np.where(Y[:, 1] == 1, 7.0, 2.0)
    est.estimators_[1] = LogisticRegression().fit(X_TRAIN, floats)
    est.classes_ = [m.classes_ for m in est.estimators_]
    assert est.predict(X_TEST).dtype == np.float64
    return est, X_TEST


def _table(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.RandomState(seed)
    return pd.DataFrame(
        {
            "city": rng.choice(["oslo", "rome", "lima"], n),
            "a": rng.normal(size=n),
            "plan": rng.choice(["basic", "pro"], n),
            "b": rng.normal(size=n),
        }
    )


def _tabular() -> tuple[Any, pd.DataFrame]:
    """Members that are pipelines over a DataFrame with string columns (a ColumnTransformer
    one-hot encoding them), one output of three classes: the table path of every method."""
    X = _table(240, 3)
    y = np.stack(
        [
            np.where((X["city"] == "rome") ^ (X["a"] > 0.3), "up", "down"),
            np.where(X["plan"] == "pro", 1, 0) + (X["b"] > 0.5),
        ],
        axis=1,
    ).astype(object)
    y[:, 1] = y[:, 1].astype(str)
    features = ColumnTransformer(
        [
            ("cat", OneHotEncoder(handle_unknown="ignore"), ["city", "plan"]),
            ("num", StandardScaler(), ["a", "b"]),
        ]
    )
    member = Pipeline([("f", features), ("lr", LogisticRegression())])
    return MultiOutputClassifier(member).fit(X, y), _table(40, 4)


def _frame(X: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(X, columns=NAMES)


def _chain(**params: Any) -> Callable[[], tuple]:
    member = params.pop("member", LogisticRegression())
    Y = params.pop("Y", None)
    Y = _binary(X_TRAIN) if Y is None else Y
    return _fit(ClassifierChain(member, **params), Y)


CASES: dict[str, Callable[[], tuple[Any, Any]]] = {
    "regressor_ridge": _fit(MultiOutputRegressor(Ridge()), _targets(X_TRAIN)),
    "regressor_gradient_boosting": _fit(
        MultiOutputRegressor(GradientBoostingRegressor(n_estimators=10, random_state=0)),
        _targets(X_TRAIN, 2),
    ),
    "regressor_hist_gradient_boosting": _fit(
        MultiOutputRegressor(HistGradientBoostingRegressor(max_iter=10, random_state=0)),
        _targets(X_TRAIN, 2),
    ),
    "regressor_one_output_dataframe": _fit(
        MultiOutputRegressor(DecisionTreeRegressor(max_depth=5, random_state=0)),
        _targets(X_TRAIN, 1),
        X=_frame(X_TRAIN),
        test=_frame(X_TEST),
    ),
    "classifier_logistic_ints": _fit(
        MultiOutputClassifier(LogisticRegression()),
        np.column_stack([_binary(X_TRAIN, 2), _three(X_TRAIN)]),
    ),
    "classifier_forest_ints": _fit(
        MultiOutputClassifier(_forest()), np.column_stack([_three(X_TRAIN), _binary(X_TRAIN)])
    ),
    "classifier_forest_strings": _fit(MultiOutputClassifier(_forest()), _strings()),
    "classifier_logistic_strings_dataframe": _fit(
        MultiOutputClassifier(LogisticRegression()),
        _strings(),
        X=_frame(X_TRAIN),
        test=_frame(X_TEST),
    ),
    # A DataFrame of an int and a float column: fit takes Y as one float64 array.
    "classifier_float_labels": _fit(
        MultiOutputClassifier(LogisticRegression()),
        pd.DataFrame({"a": _binary(X_TRAIN, 1)[:, 0], "b": _three(X_TRAIN) * 2.0 + 1.0}),
    ),
    "classifier_int_and_float_labels": _int_and_float_labels,
    "classifier_one_output": _fit(MultiOutputClassifier(_forest()), _three(X_TRAIN)[:, None]),
    "classifier_tabular": _tabular,
    "chain_order_none": _chain(),
    "chain_order_random": _chain(order="random", random_state=3),
    "chain_order_list": _chain(order=[2, 0, 1]),
    "chain_order_tuple": _chain(order=(1, 2, 0)),
    "chain_order_int32_array": _chain(order=np.array([1, 0, 2], dtype=np.int32)),
    "chain_cv": _chain(order=[2, 1, 0], cv=3),
    "chain_cv_splitter": _chain(cv=KFold(3, shuffle=True, random_state=0)),
    "chain_forest": _chain(member=_forest(), order="random", random_state=0),
    "chain_multiclass_member": _chain(
        member=DecisionTreeClassifier(max_depth=4, random_state=0),
        Y=np.column_stack([_three(X_TRAIN), _binary(X_TRAIN, 1)]),
    ),
    "chain_dataframe": _fit(
        ClassifierChain(make_pipeline(StandardScaler(), LogisticRegression()), order=[1, 0, 2]),
        _binary(X_TRAIN),
        X=_frame(X_TRAIN),
        test=_frame(X_TEST),
    ),
    "regressor_chain": _fit(RegressorChain(Ridge(), order=[1, 0, 2]), _targets(X_TRAIN)),
    "regressor_chain_cv_trees": _fit(
        RegressorChain(DecisionTreeRegressor(max_depth=5, random_state=0), cv=3),
        _targets(X_TRAIN, 2),
    ),
}
if CHAIN_METHOD:
    CASES.update(
        {
            "chain_predict_proba": _chain(chain_method="predict_proba", order=[1, 2, 0]),
            "chain_predict_proba_cv": _chain(chain_method="predict_proba", cv=3),
            "chain_predict_log_proba": _chain(chain_method="predict_log_proba"),
            "chain_decision_function": _chain(
                chain_method="decision_function", order="random", random_state=1
            ),
            "chain_decision_function_cv": _chain(chain_method="decision_function", cv=3),
            "chain_forest_predict_proba": _chain(member=_forest(), chain_method="predict_proba"),
            # a list: the first method the estimator has (trees have no decision_function)
            "chain_method_list": _chain(
                member=_forest(), chain_method=["decision_function", "predict_log_proba"]
            ),
            "chain_hist_gradient_boosting_decision_function": _chain(
                member=HistGradientBoostingClassifier(max_iter=8, random_state=0),
                chain_method="decision_function",
            ),
        }
    )

#: Cases whose outputs go through a Linear's arithmetic (BLAS) or numpy's log, compared
#: within RTOL/ATOL by a reader that is not scikit-learn; labels are always exact.
_TOLERANT = {
    name
    for name in CASES
    if name.startswith(("regressor_ridge", "regressor_chain", "chain_", "classifier_logistic"))
    and not name.startswith(("chain_forest", "chain_multiclass", "regressor_chain_cv_trees"))
} | {
    "classifier_float_labels",
    "classifier_int_and_float_labels",
    "classifier_tabular",
    "chain_method_list",
}


# ---------------------------------------------------------------------------- round trips


def _outputs(est: Any, X: Any) -> dict[str, Any]:
    """Every method the fitted model has that scikit-learn can run on X."""
    out = {}
    for method in METHODS:
        if not hasattr(est, method):
            continue
        try:
            out[method] = getattr(est, method)(X)
        except (ValueError, IndexError):
            continue  # scikit-learn's own refusal (a chain of three-class members' proba)
    return out


def _same_output(name: str, want: Any, got: Any, where: str, exact: bool = True) -> None:
    if isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), where
        for i, (w, g) in enumerate(zip(want, got)):
            _same_output(name, w, g, f"{where}[{i}]", exact)
        return
    want, got = np.asarray(want), np.asarray(got)
    assert want.shape == got.shape, f"{where}: {got.shape} != {want.shape}"
    if want.dtype.kind in "UOS":
        assert got.dtype.kind in "UOS" and got.tolist() == want.tolist(), where
        return
    assert want.dtype == got.dtype, f"{where}: {got.dtype} != {want.dtype}"
    if exact or want.dtype.kind in "iu":
        np.testing.assert_array_equal(got, want, err_msg=where)
    else:
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL, err_msg=where)


def _same_model(est: Any, back: Any, name: str) -> None:
    """The same class, params and fitted attributes, of the same types (a cv splitter: the
    same class and params)."""
    assert type(back) is type(est)
    pa, pb_ = est.get_params(deep=False), back.get_params(deep=False)
    if hasattr(pa.get("cv"), "split"):
        assert repr(pb_.pop("cv")) == repr(pa.pop("cv"))
    assert_same(pa, pb_, f"{name}.params")
    fitted = sorted(k for k in vars(est) if k.endswith("_") and not k.startswith("_"))
    assert fitted == sorted(k for k in vars(back) if k.endswith("_") and not k.startswith("_"))
    for k in fitted:
        a, b = getattr(est, k), getattr(back, k)
        if k == "classes_":  # one array per output (object string labels come back as str)
            assert type(b) is list and len(a) == len(b), name
            for i, (x, y) in enumerate(zip(a, b)):
                _same_classes(x, y, f"{name}.classes_[{i}]")
            continue
        assert_same(a, b, f"{name}.{k}")


@pytest.mark.parametrize("name", sorted(CASES))
def test_round_trip_gives_scikit_learns_outputs(name: str) -> None:
    est, X = CASES[name]()
    data = amber.dumps(est)
    back = amber.loads(data)
    _same_model(est, back, name)
    assert amber.dumps(back) == data
    amber.validate(data)
    want = _outputs(est, X)
    assert set(_outputs(back, X)) == set(want)
    for method, out in want.items():
        _same_output(name, out, getattr(back, method)(X), method)


def test_the_rebuilt_attributes_are_scikit_learns_objects() -> None:
    """order_ is what fit makes of the order param (the param itself for a list or an
    array), classes_ and a MultiOutput*'s feature_names_in_ are the members' own."""
    for name in ("chain_order_list", "chain_order_int32_array"):
        back = amber.loads(amber.dumps(CASES[name]()[0]))
        assert back.order_ is back.order
    for name in ("chain_order_none", "chain_order_random", "chain_order_tuple"):
        back = amber.loads(amber.dumps(CASES[name]()[0]))
        assert back.order_.dtype == np.int64
    back = amber.loads(amber.dumps(CASES["classifier_logistic_strings_dataframe"]()[0]))
    assert back.feature_names_in_ is back.estimators_[0].feature_names_in_
    assert all(c is m.classes_ for c, m in zip(back.classes_, back.estimators_))
    back = amber.loads(amber.dumps(CASES["chain_dataframe"]()[0]))
    assert list(back.feature_names_in_) == NAMES
    assert all(not hasattr(m, "feature_names_in_") for m in back.estimators_)


def test_the_body_holds_the_members_in_order_with_their_tensors() -> None:
    est, _ = CASES["chain_order_int32_array"]()
    data = amber.dumps(est)
    info = amber.inspect(data)
    body = info["estimator"]["multi_output"]
    assert body["kind"] == "MULTI_OUTPUT_KIND_CLASSIFIER_CHAIN"
    assert body["order"] == [1, 0, 2]
    assert body["chain_method"] == "CHAIN_METHOD_PREDICT"
    assert [m["n_features_in"] for m in body["members"]] == [4, 5, 6]
    names = [t["name"] for t in info["tensors"]]
    # canonical order: the members' tensors, member after member, then the params' (order)
    assert names == [
        *(
            f"estimators/{i}/{t}"
            for i in range(3)
            for t in ("coef_", "intercept_", "attributes/n_iter_")
        ),
        "params/order",
    ], names
    manifest = _container.read_container(data).manifest
    assert not any(p.name in ("estimator", "base_estimator") for p in manifest.estimator.params)
    regressor = amber.inspect(amber.dumps(CASES["regressor_ridge"]()[0]))
    body = regressor["estimator"]["multi_output"]
    assert body["kind"] == "MULTI_OUTPUT_KIND_REGRESSOR" and body["order"] == []
    assert body["chain_method"] == "CHAIN_METHOD_UNSPECIFIED"


def test_the_tabular_members_give_the_file_an_input_schema() -> None:
    est, _ = CASES["classifier_tabular"]()
    columns = amber.inspect(amber.dumps(est))["input"]["columns"]
    assert columns == [
        {"name": "city", "kind": "string"},
        {"name": "a", "kind": "numeric"},
        {"name": "plan", "kind": "string"},
        {"name": "b", "kind": "numeric"},
    ]


def test_inference_only_leaves_the_members_statistics_out() -> None:
    est, X = CASES["chain_forest"]()
    data = amber.dumps(est, inference_only=True)
    assert len(data) < len(amber.dumps(est))
    with pytest.warns(amber.AmberWarning, match="without training statistics"):
        back = amber.loads(data)
    np.testing.assert_array_equal(back.predict(X), est.predict(X))
    np.testing.assert_array_equal(back.predict_proba(X), est.predict_proba(X))


def test_a_multi_output_inside_a_pipeline() -> None:
    Y = _binary(X_TRAIN)
    est = make_pipeline(StandardScaler(), ClassifierChain(LogisticRegression(), order=[2, 1, 0]))
    est.fit(X_TRAIN, Y)
    back = amber.loads(amber.dumps(est))
    np.testing.assert_array_equal(back.predict(X_TEST), est.predict(X_TEST))
    np.testing.assert_array_equal(back.predict_proba(X_TEST), est.predict_proba(X_TEST))


# ---------------------------------------------------------------------------- the Rust CLI


def _csv(X: pd.DataFrame, path: Path) -> None:
    X.to_csv(path, index=False)


def _cli_outputs(est: Any, X: Any, tmp: Path, want: dict[str, Any]) -> dict[str, Any]:
    """`amber predict` of the methods of `want` (scikit-learn's outputs): one array, or one
    per output for a multi-output predict_proba (OUT.0.npy, OUT.1.npy, ...; OUT.npy itself
    with one)."""
    model = tmp / "model.amber"
    model.write_bytes(amber.dumps(est))
    if isinstance(X, pd.DataFrame) and any(t.kind == "O" for t in X.dtypes):
        inp = tmp / "x.csv"
        _csv(X, inp)
    else:
        inp = tmp / "x.npy"
        np.save(inp, np.asarray(X, dtype=np.float64))
    out = {}
    for method, expected in want.items():
        dest = tmp / f"{method}.npy"
        args = ["predict", str(model), "--input", str(inp), "--method", method]
        run = subprocess.run(
            [str(CLI), *args, "--output", str(dest)], capture_output=True, text=True
        )
        assert run.returncode == 0, f"{method}: {run.stderr}"
        if isinstance(expected, list) and len(expected) > 1:
            out[method] = [np.load(tmp / f"{method}.{i}.npy") for i in range(len(expected))]
        else:
            got = np.load(dest)
            out[method] = [got] if isinstance(expected, list) else got
    return out


@pytest.mark.skipif(not CLI.exists(), reason="the release CLI is not built")
@pytest.mark.parametrize("name", sorted(CASES))
def test_the_rust_cli_gives_scikit_learns_outputs(name: str, tmp_path: Path) -> None:
    est, X = CASES[name]()
    want = _outputs(est, X)
    if name == "chain_multiclass_member" and not CHAIN_METHOD:
        # scikit-learn 1.3.2's chain predict_proba reads column 1 of a three-class member's
        # probabilities (1.9.1 raises); the body offers predict_proba for [n, 2] members only.
        want.pop("predict_proba")
    got = _cli_outputs(est, X, tmp_path, want)
    assert set(got) == set(want)
    for method, out in want.items():
        _same_output(name, out, got[method], method, exact=name not in _TOLERANT)


@pytest.mark.skipif(not CLI.exists(), reason="the release CLI is not built")
def test_the_rust_cli_has_no_proba_where_scikit_learn_raises(tmp_path: Path) -> None:
    """A chain of a three-class member: predict only (scikit-learn 1.9.1 raises on
    predict_proba and decision_function; 1.3.2's predict_proba reads its column 1)."""
    est, X = CASES["chain_multiclass_member"]()
    model = tmp_path / "model.amber"
    model.write_bytes(amber.dumps(est))
    np.save(tmp_path / "x.npy", X)
    args = ["predict", str(model), "--input", str(tmp_path / "x.npy")]
    run = subprocess.run(
        [str(CLI), *args, "--method", "predict_proba"], capture_output=True, text=True
    )
    assert run.returncode != 0 and "E_METHOD" in run.stderr, run.stderr


@pytest.mark.skipif(not CLI.exists(), reason="the release CLI is not built")
@pytest.mark.parametrize("name", sorted(CASES))
def test_rust_reencodes_the_python_bytes(name: str, tmp_path: Path) -> None:
    """Canonical bytes: the Rust codec writes the Python writer's file back byte for byte
    (the members' tensors in member order, spec/format.md section 4)."""
    est, _ = CASES[name]()
    model, again = tmp_path / "model.amber", tmp_path / "again.amber"
    model.write_bytes(amber.dumps(est))
    request = {"id": 1, "op": "reencode", "model": str(model), "output": str(again)}
    run = subprocess.run(
        [str(CLI), "testee"], input=json.dumps(request) + "\n", capture_output=True, text=True
    )
    assert json.loads(run.stdout) == {"id": 1, "ok": True}, run.stdout + run.stderr
    assert again.read_bytes() == model.read_bytes()


# ---------------------------------------------------------------------------- refusals


def _refusal(est: Any) -> str:
    with pytest.raises(amber.AmberError) as err:
        amber.dumps(est)
    assert err.value.code == "E_UNSUPPORTED", err.value
    return str(err.value)


def _mixed_strings_and_numbers() -> Any:
    est = MultiOutputClassifier(LogisticRegression()).fit(X_TRAIN, _binary(X_TRAIN, 2))
    y = np.where(_binary(X_TRAIN, 2)[:, 1] == 1, "yes", "no")
    est.estimators_[1] = LogisticRegression().fit(X_TRAIN, y)
    est.classes_ = [m.classes_ for m in est.estimators_]
    return est


def _log_proba_member_without_it() -> Any:
    est = ClassifierChain(LogisticRegression(), chain_method="predict_log_proba")
    est.fit(X_TRAIN, _binary(X_TRAIN, 2))
    X_aug = np.column_stack([X_TRAIN, np.zeros(len(X_TRAIN))])
    hgb = HistGradientBoostingClassifier(max_iter=3).fit(X_aug, _binary(X_TRAIN, 2)[:, 1])
    est.estimators_[1] = hgb
    est.classes_ = [m.classes_ for m in est.estimators_]
    return est


def _order_changed() -> Any:
    est, _ = CASES["chain_order_list"]()
    return est.set_params(order=[0, 1, 2])


REFUSALS: dict[str, tuple[Callable[[], Any], list[str]]] = {
    "unfitted": (lambda: ClassifierChain(LogisticRegression()), ["not fitted"]),
    "a member Amber cannot save": (
        lambda: MultiOutputRegressor(SVR()).fit(X_TRAIN, _targets(X_TRAIN, 2)),
        ["estimators/0", "sklearn.svm.SVR", "estimators/1"],
    ),
    "labels mixing strings and numbers": (
        _mixed_strings_and_numbers,
        ["sklearn.multioutput.MultiOutputClassifier", "mix strings (output 1) and numbers"],
    ),
    "a chain of string labels": (
        lambda: ClassifierChain(LogisticRegression()).fit(X_TRAIN, _strings()[:, :1]),
        ["sklearn.multioutput.ClassifierChain", "string labels"],
    ),
    "a regressor chain of classifiers": (
        lambda: RegressorChain(LogisticRegression()).fit(X_TRAIN, _binary(X_TRAIN)),
        ["sklearn.multioutput.RegressorChain", "a member is a regressor"],
    ),
    "a multi-output regressor of classifiers": (
        lambda: MultiOutputRegressor(LogisticRegression()).fit(X_TRAIN, _binary(X_TRAIN)),
        ["sklearn.multioutput.MultiOutputRegressor", "a member is a regressor"],
    ),
    "an order changed after fit": (_order_changed, ["order param", "changed after fit"]),
}
if CHAIN_METHOD:
    REFUSALS.update(
        {
            "predict_log_proba of a member without it": (
                _log_proba_member_without_it,
                ["chain_method is 'predict_log_proba'", "member 1", "HistGradientBoosting"],
            ),
            "predict_proba of a three-class member": (
                lambda: ClassifierChain(LogisticRegression(), chain_method="predict_proba").fit(
                    X_TRAIN, np.column_stack([_binary(X_TRAIN, 1), _three(X_TRAIN)])
                ),
                ["chain_method is 'predict_proba'", "member 1"],
            ),
            "a chain_method changed after fit": (
                lambda: CASES["chain_predict_proba"]()[0].set_params(chain_method="predict"),
                ["chain_method param", "changed after fit"],
            ),
        }
    )


@pytest.mark.parametrize("name", sorted(REFUSALS))
def test_the_writer_refuses_what_the_body_cannot_hold(name: str) -> None:
    build, says = REFUSALS[name]
    text = _refusal(build())
    for s in says:
        assert s in text, text


# ---------------------------------------------------------------------------- body rules


def _mutant(name: str, edit: Callable[[pb.Manifest], None]) -> bytes:
    est, _ = CASES[name]() if name in CASES else _SOURCES[name]()
    c = _container.read_container(amber.dumps(est))
    m = pb.Manifest()
    m.CopyFrom(c.manifest)
    edit(m)
    return _container.write_container(m, c.all_tensors())


def _body(m: pb.Manifest) -> pb.MultiOutput:
    return m.estimator.multi_output


def _set(field: str, value: Any) -> Callable[[pb.Manifest], None]:
    return lambda m: setattr(_body(m), field, value)


def _one_hot_pair() -> tuple[Any, pd.DataFrame]:
    """Two members reading column "a" as strings and "b" as numbers (a one-hot encoder)."""
    X = pd.DataFrame({"a": ["p", "q", "r", "p"] * 10, "b": [1.0, 2.0, 3.0, 4.0] * 10})
    member = Pipeline([("oh", OneHotEncoder()), ("lr", LogisticRegression())])
    Y = np.stack([np.array([0, 1] * 20), np.array([0, 0, 1, 1] * 10)], axis=1)
    return MultiOutputClassifier(member).fit(X, Y), X


_SOURCES = {"one_hot_pair": _one_hot_pair}


def _swap_encoder_columns(m: pb.Manifest) -> None:
    """Member 1's encoder made to read "a" as numbers and "b" as strings."""
    features = _body(m).members[1].pipeline.steps[0].estimator.one_hot_encoder.features
    first, second = pb.OneHotFeature(), pb.OneHotFeature()
    first.CopyFrom(features[0])
    second.CopyFrom(features[1])
    features[0].CopyFrom(second)
    features[1].CopyFrom(first)


def _chain_of_a_string_reader(m: pb.Manifest) -> None:
    """A one-member chain whose member (no names of its own) one-hot encodes strings."""
    body = _body(m)
    del body.members[1]
    body.kind = pb.MULTI_OUTPUT_KIND_CLASSIFIER_CHAIN
    body.order.append(0)
    body.chain_method = pb.CHAIN_METHOD_PREDICT
    del body.members[0].feature_names_in[:]


def _member_width(i: int, width: int) -> Callable[[pb.Manifest], None]:
    def edit(m: pb.Manifest) -> None:
        _body(m).members[i].n_features_in = width

    return edit


def _member_names(m: pb.Manifest) -> None:
    names = _body(m).members[1].feature_names_in
    names[0], names[1] = names[1], names[0]


BODY_RULES: dict[str, tuple[str, Callable[[pb.Manifest], None], str]] = {
    "rule 1: kind unspecified": (
        "regressor_ridge",
        _set("kind", pb.MULTI_OUTPUT_KIND_UNSPECIFIED),
        "multi_output.kind",
    ),
    "rule 1: kind unknown": ("regressor_ridge", _set("kind", 99), "multi_output.kind"),
    "rule 1: no member": (
        "regressor_ridge",
        lambda m: _body(m).ClearField("members"),
        "multi_output.members",
    ),
    "rule 2: a classifier with an order": (
        "classifier_forest_ints",
        lambda m: _body(m).order.extend([0, 1, 2, 3]),
        "multi_output.order",
    ),
    "rule 2: a regressor with a chain method": (
        "regressor_ridge",
        _set("chain_method", pb.CHAIN_METHOD_PREDICT),
        "multi_output.order",
    ),
    "rule 2: an order repeating a member": (
        "chain_order_list",
        lambda m: _body(m).order.__setitem__(2, 2),
        "multi_output.order",
    ),
    "rule 2: an order past the members": (
        "chain_order_list",
        lambda m: _body(m).order.__setitem__(0, 3),
        "multi_output.order",
    ),
    "rule 2: an order too short": (
        "chain_order_list",
        lambda m: _body(m).order.pop(),
        "multi_output.order",
    ),
    "rule 2: a chain without a chain method": (
        "chain_order_none",
        _set("chain_method", pb.CHAIN_METHOD_UNSPECIFIED),
        "multi_output.chain_method",
    ),
    "rule 2: a chain method unknown": (
        "chain_order_none",
        _set("chain_method", 99),
        "multi_output.chain_method",
    ),
    "rule 2: a regressor chain of predict_proba": (
        "regressor_chain",
        _set("chain_method", pb.CHAIN_METHOD_PREDICT_PROBA),
        "multi_output.chain_method",
    ),
    "rule 3: a member of another width": (
        "regressor_gradient_boosting",
        _member_width(1, 5),
        "multi_output.members[1]",
    ),
    "rule 3: a chain member reading more than the earlier outputs": (
        "chain_forest",
        _member_width(2, 7),
        "multi_output.members[2]",
    ),
    "rule 3: a chain member with feature names": (
        "chain_order_none",
        lambda m: _body(m).members[0].feature_names_in.extend(NAMES),
        "multi_output.members[0]",
    ),
    "rule 3: a member's names not the composition's": (
        "classifier_logistic_strings_dataframe",
        _member_names,
        "multi_output.members[1]",
    ),
    "rule 3: a chain member reading strings": (
        "one_hot_pair",
        _chain_of_a_string_reader,
        "multi_output.members[0]",
    ),
    "rule 4: a regressor of classifiers": (
        "classifier_forest_ints",
        _set("kind", pb.MULTI_OUTPUT_KIND_REGRESSOR),
        "multi_output.members[0]",
    ),
    "rule 4: a classifier of regressors": (
        "regressor_ridge",
        _set("kind", pb.MULTI_OUTPUT_KIND_CLASSIFIER),
        "multi_output.members[0]",
    ),
    "rule 4: a regressor chain of classifiers": (
        "chain_order_none",
        _set("kind", pb.MULTI_OUTPUT_KIND_REGRESSOR_CHAIN),
        "multi_output.members[0]",
    ),
    "rule 4: a decision_function chain of trees": (
        "chain_forest",
        _set("chain_method", pb.CHAIN_METHOD_DECISION_FUNCTION),
        "multi_output.members[0]",
    ),
    "rule 4: a predict_proba chain of a three-class member": (
        "chain_multiclass_member",
        _set("chain_method", pb.CHAIN_METHOD_PREDICT_PROBA),
        "multi_output.members[0]",
    ),
    "rule 5: members reading a column as numbers and as strings": (
        "one_hot_pair",
        _swap_encoder_columns,
        "input column 0",
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


def test_a_mixed_label_body_is_valid_and_has_no_predict(tmp_path: Path) -> None:
    """Labels mixing strings and numbers: the body is valid (the writer refuses such a
    model), and a reader offers no predict (E_METHOD), only the members' probabilities."""

    def strings(m: pb.Manifest) -> None:
        _body(m).members[1].linear.classes.strings.values.extend(["no", "yes"])

    data = _mutant("classifier_logistic_ints", strings)
    amber.validate(data)
    if not CLI.exists():
        return
    path = tmp_path / "model.amber"
    path.write_bytes(data)
    np.save(tmp_path / "x.npy", X_TEST)
    base = [str(CLI), "predict", str(path), "--input", str(tmp_path / "x.npy")]
    run = subprocess.run([*base, "--method", "predict"], capture_output=True, text=True)
    assert run.returncode != 0 and "E_METHOD" in run.stderr, run.stderr
    out = tmp_path / "p.npy"
    run = subprocess.run(
        [*base, "--method", "predict_proba", "--output", str(out)], capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    assert [np.load(tmp_path / f"p.{i}.npy").shape for i in range(3)] == [(50, 2), (50, 2), (50, 3)]


# ---------------------------------------------------------------------------- provenance


def _provenance(data: bytes, says: str) -> None:
    amber.validate(data)  # the body is fine
    with pytest.raises(amber.AmberError, match=says) as err:
        amber.loads(data)
    assert err.value.code == "E_PROVENANCE", err.value


def test_a_producer_of_another_kind_is_e_provenance() -> None:
    def edit(m: pb.Manifest) -> None:
        m.estimator.producer_type = "sklearn.multioutput.MultiOutputRegressor"

    _provenance(_mutant("classifier_forest_ints", edit), "of kind MULTI_OUTPUT_KIND_CLASSIFIER")


def test_an_order_param_the_body_contradicts_is_e_provenance() -> None:
    def edit(m: pb.Manifest) -> None:
        _body(m).order[:] = [0, 2, 1]  # the order param is [2, 0, 1]

    _provenance(_mutant("chain_order_list", edit), "order")


def test_an_identity_order_is_what_order_none_gives() -> None:
    def edit(m: pb.Manifest) -> None:
        _body(m).order[:] = [2, 1, 0]

    _provenance(_mutant("chain_order_none", edit), "order")


@pytest.mark.skipif(not CHAIN_METHOD, reason="chain_method is scikit-learn 1.5+")
def test_a_chain_method_param_the_body_contradicts_is_e_provenance() -> None:
    _provenance(
        _mutant("chain_predict_proba", _set("chain_method", pb.CHAIN_METHOD_DECISION_FUNCTION)),
        "resolves to predict_proba",
    )


def test_a_body_chaining_with_what_the_params_do_not_say_is_e_provenance() -> None:
    """The members' probabilities chained, and chain_method "predict" (1.5+) or no
    chain_method at all (before 1.5, which chains with predict only)."""
    data = _mutant("chain_order_none", _set("chain_method", pb.CHAIN_METHOD_PREDICT_PROBA))
    _provenance(data, "resolves to predict" if CHAIN_METHOD else "chains with predict only")


def test_a_default_chain_method_loads_where_scikit_learn_has_none() -> None:
    """A chain_method="predict" param (what 1.5+ writes by default) is dropped without a
    warning by a scikit-learn that has no such param, and kept by one that has it."""

    def edit(m: pb.Manifest) -> None:
        params = m.estimator.params
        if not any(p.name == "chain_method" for p in params):
            params.add(name="chain_method").value.string_value = "predict"

    with warnings.catch_warnings():
        warnings.simplefilter("error", amber.AmberWarning)
        back = amber.loads(_mutant("chain_order_list", edit))
    assert hasattr(back, "chain_method") == CHAIN_METHOD


def test_a_param_the_body_holds_is_e_provenance() -> None:
    def edit(m: pb.Manifest) -> None:
        m.estimator.params.add(name="estimator").value.none.SetInParent()

    with pytest.raises(amber.AmberError) as err:
        amber.loads(_mutant("regressor_ridge", edit))
    assert err.value.code == "E_PROVENANCE" and "estimator" in str(err.value), err.value
