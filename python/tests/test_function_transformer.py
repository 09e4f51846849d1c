"""FunctionTransformer through the `FunctionTransformer` body (spec/estimators.md section
25): every function of the closed list, validate on and off, arrays and DataFrames, as a
pipeline step and a ColumnTransformer branch; round trips that give scikit-learn's own
outputs, the Python reader's arithmetic and the Rust CLI's against scikit-learn's (exact
functions bit for bit, the C library's within the spec's rtol = 1e-12, NaN and infinities
alike), validate=True refusing NaN (E_INPUT), the writer's refusals by name and every body
rule broken (E_MODEL from both readers).

Expected values come from scikit-learn: the fitted originals' transform and
inverse_transform (and the pipelines' predict).
"""

from __future__ import annotations

import functools
import pickle
import subprocess
import tempfile
import warnings
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import Ridge
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler
from sklearn.tree import DecisionTreeRegressor
from test_body_rules import CLI, _rust_code
from test_roundtrip import assert_same_estimator

import amber
from amber import _container, _tree
from amber._proto.amber.v1 import amber_pb2 as pb
from amber._sklearn.function_transformer import FUNCTIONS

#: Section 25's tolerance for the C library's functions (NaN and infinities equal).
RTOL = 1e-12
needs_cli = pytest.mark.skipif(not CLI.exists(), reason="the release CLI is not built")

#: Each function of the list with the inputs of its domain (a positive one for the logs and
#: sqrt, a moderate one for the exponentials).
_POSITIVE = ("log", "log2", "log10", "sqrt")
_MODERATE = ("exp", "expm1", "exp2", "sinh")
NAMES = [("identity" if f is None else f.__name__) for f in FUNCTIONS]


def _numpy(name: str) -> Any:
    return None if name == "identity" else getattr(np, name)


def _x(name: str, n: int, seed: int) -> np.ndarray:
    x = np.random.RandomState(seed).normal(size=(n, 3)) * np.array([1.0, 3.0, 0.2])
    if name in _POSITIVE:
        return np.abs(x) + 0.05
    if name == "log1p":
        return np.abs(x) - 0.5
    if name in _MODERATE:
        return np.clip(x, -4.0, 4.0)
    return x


def _code(name: str) -> int:
    return FUNCTIONS[_numpy(name)]


#: Values at the edges of the functions' domains: zeros, -1, infinities, NaN, huge, tiny.
SPECIAL = np.array(
    [
        [0.0, -0.0, -1.0],
        [np.inf, -np.inf, np.nan],
        [1e-300, 1e300, -1e300],
        [710.0, -745.5, 1024.5],
        [5e-324, -5e-324, 2.0],
    ]
)


def same_values(want: np.ndarray, got: np.ndarray, exact: bool, where: str = "") -> None:
    """Section 25's comparison: the same NaNs and infinities; finite values bit for bit
    (signed zeros too) when exact, else within |got - want| <= RTOL * |want|."""
    want, got = np.asarray(want, dtype=np.float64), np.asarray(got, dtype=np.float64)
    assert want.shape == got.shape, where
    assert np.array_equal(np.isnan(want), np.isnan(got)), where
    finite = np.isfinite(want)
    assert np.array_equal(want[~finite & ~np.isnan(want)], got[~finite & ~np.isnan(want)]), where
    w, g = want[finite], got[finite]
    if exact:
        assert np.array_equal(w, g) and np.array_equal(np.signbit(w), np.signbit(g)), where
    else:
        assert np.all(np.abs(g - w) <= RTOL * np.abs(w)), (where, np.max(np.abs(g - w)))


# ---------------------------------------------------------------------------- the Rust CLI


def rust_run(data: bytes, X: Any, method: str, tmp: Path | None = None) -> Any:
    """`amber predict` of the model on X (a CSV for a DataFrame): its output array, or the
    error code when it fails."""
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
    if done.returncode:
        import re

        found = re.search(r"\bE_[A-Z_]+\b", done.stderr)
        return found.group(0) if found else done.stderr
    return np.load(out)


def rust_reencodes(data: bytes, tmp: Path) -> bytes:
    """The Rust writer's bytes for the file (`amber testee`'s reencode)."""
    import json

    (tmp / "in.amber").write_bytes(data)
    request = {"id": 1, "op": "reencode", "model": str(tmp / "in.amber")}
    request["output"] = str(tmp / "out.amber")
    done = subprocess.run(
        [str(CLI), "testee"], input=json.dumps(request) + "\n", capture_output=True, text=True
    )
    assert json.loads(done.stdout.splitlines()[0])["ok"], done.stdout
    return (tmp / "out.amber").read_bytes()


# ---------------------------------------------------------------------------- round trips


def _fit_function(name: str, validate: bool, inverse: str | None = None) -> Any:
    ft = FunctionTransformer(
        _numpy(name), None if inverse is None else _numpy(inverse), validate=validate
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # check_inverse's "not strictly inverse"
        return ft.fit(_x(name, 40, 0))


def _same(est: Any, back: Any) -> None:
    assert_same_estimator(est, back, type(est).__name__)
    assert back.func is est.func and back.inverse_func is est.inverse_func


@pytest.mark.parametrize("validate", [False, True], ids=["plain", "validate"])
@pytest.mark.parametrize("name", NAMES)
def test_every_function_round_trips_to_scikit_learns_outputs(name: str, validate: bool) -> None:
    est = _fit_function(name, validate)
    data = amber.dumps(est)
    back = amber.loads(data)
    _same(est, back)
    assert amber.dumps(back) == data
    X = _x(name, 25, 1)
    assert np.array_equal(back.transform(X), est.transform(X))
    body = _container.read_container(data).manifest.estimator.function_transformer
    assert body.func == _code(name) and body.inverse_func == pb.ELEMENTWISE_FUNCTION_IDENTITY
    assert body.validate is validate
    # The Python reader's arithmetic, from the body alone
    same_values(est.transform(X), _tree.elementwise(body.func, X), name not in _INEXACT)


_INEXACT = {n for n in NAMES if _code(n) in _tree.TRANSCENDENTAL}


@needs_cli
@pytest.mark.parametrize("name", NAMES)
def test_rust_gives_scikit_learns_transform(name: str, tmp_path: Path) -> None:
    est = _fit_function(name, False)
    data = amber.dumps(est)
    for X in (_x(name, 30, 2), _x(name, 1, 3), SPECIAL[:, :3]):
        with np.errstate(all="ignore"):
            want = est.transform(X)
        same_values(want, rust_run(data, X, "transform", tmp_path), name not in _INEXACT, name)


@pytest.mark.parametrize("inverse", ["expm1", "square", "negative", "identity"])
def test_the_inverse_is_what_a_transformed_target_reads(inverse: str) -> None:
    """inverse_transform is no method a caller runs (section 25): the Rust reader applies
    it inside a TransformedTarget; here its scikit-learn value is what the Python reader's
    arithmetic gives."""
    est = _fit_function("log1p", True, inverse)
    back = amber.loads(amber.dumps(est))
    Z = _x("log1p", 20, 4)
    assert np.array_equal(back.inverse_transform(Z), est.inverse_transform(Z))
    body = _container.read_container(amber.dumps(est)).manifest.estimator.function_transformer
    same_values(est.inverse_transform(Z), _tree.elementwise(body.inverse_func, Z), True)


@needs_cli
@pytest.mark.parametrize("validate", [True, False], ids=["validate", "plain"])
def test_validate_refuses_nan_and_infinity_as_scikit_learn_does(
    validate: bool, tmp_path: Path
) -> None:
    est = _fit_function("sqrt", validate)
    data = amber.dumps(est)
    for bad in (np.nan, np.inf):
        X = _x("sqrt", 4, 5)
        X[2, 1] = bad
        if validate:
            with pytest.raises(ValueError, match="Input X contains"):
                est.transform(X)
            assert rust_run(data, X, "transform", tmp_path) == "E_INPUT"
            with pytest.raises(amber.AmberError) as err:
                _tree.elementwise(pb.ELEMENTWISE_FUNCTION_SQRT, X, validate=True)
            assert err.value.code == "E_INPUT" and "row 2, column 1" in err.value.message
        else:
            same_values(est.transform(X), rust_run(data, X, "transform", tmp_path), True)


@needs_cli
def test_a_width_other_than_the_fitted_one_is_e_input(tmp_path: Path) -> None:
    est = _fit_function("square", True)
    with pytest.raises(ValueError, match="features"):
        est.transform(np.ones((2, 4)))
    assert rust_run(amber.dumps(est), np.ones((2, 4)), "transform", tmp_path) == "E_INPUT"


def _frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.RandomState(seed)
    return pd.DataFrame(
        {
            "city": rng.choice(["oslo", "rome", "lima"], n),
            "a": np.abs(rng.normal(size=n)) * 3,
            "b": rng.normal(size=n),
        }
    )


def _target(X: pd.DataFrame) -> np.ndarray:
    return np.log1p(X["a"]) * 2 - X["b"] + (X["city"] == "rome") * 1.5


def _pipelines() -> dict[str, tuple[Any, Any, Any]]:
    """(fitted model, test input, the method to compare) of each composition."""
    rng = np.random.RandomState(7)
    X = np.abs(rng.normal(size=(80, 3))) * 5
    y = np.log1p(X) @ [1.0, -2.0, 0.5]
    test = np.abs(rng.normal(size=(20, 3))) * 5
    frame, frame_test = _frame(120, 8), _frame(30, 9)
    numbers = frame[["a", "b"]]
    return {
        "log1p_ridge": (
            make_pipeline(FunctionTransformer(np.log1p), Ridge()).fit(X, y),
            test,
            "predict",
        ),
        "validated_sqrt_scaler_tree": (
            make_pipeline(
                FunctionTransformer(np.sqrt, validate=True),
                StandardScaler(),
                DecisionTreeRegressor(max_depth=4, random_state=0),
            ).fit(X, y),
            test,
            "predict",
        ),
        "dataframe_cbrt_ridge": (
            Pipeline([("cbrt", FunctionTransformer(np.cbrt)), ("ridge", Ridge())]).fit(
                numbers, _target(frame)
            ),
            frame_test[["a", "b"]],
            "predict",
        ),
        "column_transformer_branch": (
            Pipeline(
                [
                    (
                        "features",
                        ColumnTransformer(
                            [
                                ("log", FunctionTransformer(np.log1p), ["a"]),
                                ("oh", OneHotEncoder(), ["city"]),
                                ("neg", FunctionTransformer(np.negative, validate=True), ["b"]),
                            ]
                        ),
                    ),
                    ("ridge", Ridge()),
                ]
            ).fit(frame, _target(frame)),
            frame_test,
            "predict",
        ),
        "transform_of_a_pipeline": (
            make_pipeline(StandardScaler(), FunctionTransformer(np.arcsinh)).fit(X),
            test,
            "transform",
        ),
    }


PIPELINES = sorted(_pipelines())
#: The compositions whose outputs go through a Ridge (Linear's tolerance) or arcsinh.
_TOLERANT = {"log1p_ridge", "dataframe_cbrt_ridge", "column_transformer_branch"}


@pytest.mark.parametrize("name", PIPELINES)
def test_a_function_transformer_inside_a_composition(name: str, tmp_path: Path) -> None:
    est, X, method = _pipelines()[name]
    data = amber.dumps(est)
    back = amber.loads(data)
    assert_same_estimator(est, back, name)
    assert amber.dumps(back) == data
    want = getattr(est, method)(X)
    assert np.array_equal(getattr(back, method)(X), want)
    if not CLI.exists():
        return
    got = rust_run(data, X, method, tmp_path)
    if name in _TOLERANT:
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    else:
        same_values(want, got, name != "transform_of_a_pipeline", name)


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
def test_feature_names_are_kept_as_fit_made_them() -> None:
    frame = _frame(30, 10)[["a", "b"]]
    for validate in (False, True):
        est = FunctionTransformer(np.log1p, validate=validate).fit(frame)
        back = amber.loads(amber.dumps(est))
        assert list(back.feature_names_in_) == ["a", "b"] and back.n_features_in_ == 2
        out, want = back.transform(frame), est.transform(frame)
        assert type(out) is type(want)  # validate=False hands the DataFrame to np.log1p
        assert np.array_equal(np.asarray(out), np.asarray(want), equal_nan=True)
    est = FunctionTransformer(np.abs).fit(np.ones((3, 2)))
    back = amber.loads(amber.dumps(est))
    assert back.n_features_in_ == 2 and not hasattr(back, "feature_names_in_")


def test_the_other_params_are_kept() -> None:
    est = FunctionTransformer(
        np.exp,
        np.log,
        accept_sparse=True,
        check_inverse=False,
        feature_names_out="one-to-one",
        kw_args={},
        inv_kw_args=None,
    ).fit(np.ones((4, 2)))
    back = amber.loads(amber.dumps(est))
    _same(est, back)
    assert list(back.get_feature_names_out()) == ["x0", "x1"]
    est.set_output(transform="pandas")
    back = amber.loads(amber.dumps(est))
    assert isinstance(back.transform(np.ones((2, 2))), pd.DataFrame)


def test_inspect_describes_the_body() -> None:
    info = amber.inspect(amber.dumps(_fit_function("log1p", True, "expm1")))["estimator"]
    assert info["body"] == "function_transformer"
    assert info["function_transformer"] == {
        "func": "ELEMENTWISE_FUNCTION_LOG1P",
        "inverse_func": "ELEMENTWISE_FUNCTION_EXPM1",
        "validate": True,
    }


# ---------------------------------------------------------------------------- refused at save


def _refusal(est: Any, monkeypatch: Any) -> str:
    def no_pickle(*args: Any, **kw: Any) -> Any:
        raise AssertionError("Amber pickled something")

    monkeypatch.setattr(pickle, "dumps", no_pickle)
    monkeypatch.setattr(pickle, "Pickler", no_pickle)
    with pytest.raises(amber.AmberError) as err:
        amber.dumps(est)
    assert err.value.code == "E_UNSUPPORTED"
    assert "FunctionTransformer" in str(err.value)
    return str(err.value)


def _log_plus_one(x: Any) -> Any:
    return np.log(x + 1)


REFUSALS: dict[str, tuple[Callable[[], Any], str]] = {
    "a lambda": (
        lambda: FunctionTransformer(lambda x: x * 2),
        "<lambda> (function), which is not one of the numpy functions",
    ),
    "a Python function": (
        lambda: FunctionTransformer(np.log1p, _log_plus_one),
        "inverse_func is test_function_transformer._log_plus_one (function)",
    ),
    "a numpy function not on the list": (lambda: FunctionTransformer(np.sin), "func is np.sin"),
    "a partial": (
        lambda: FunctionTransformer(functools.partial(np.round, decimals=1)),
        "func is a partial",
    ),
    "kw_args": (
        lambda: FunctionTransformer(np.clip, kw_args={"a_min": 0, "a_max": 1}),
        "func is np.clip",
    ),
    "kw_args of a listed function": (
        lambda: FunctionTransformer(np.log, kw_args={"where": True}),
        "kw_args is {'where': True}",
    ),
    "inv_kw_args": (
        lambda: FunctionTransformer(np.log, np.exp, inv_kw_args={"casting": "unsafe"}),
        "inv_kw_args",
    ),
    "a callable feature_names_out": (
        lambda: FunctionTransformer(np.log, feature_names_out=lambda t, names: names),
        "feature_names_out",
    ),
}


@pytest.mark.parametrize("name", sorted(REFUSALS))
def test_the_writer_refuses_code_by_name(name: str, monkeypatch: Any) -> None:
    build, says = REFUSALS[name]
    est = build()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(np.abs(np.random.RandomState(0).normal(size=(8, 2))))
    text = _refusal(est, monkeypatch)
    assert says in text, text


def test_an_unfitted_function_transformer_is_refused(monkeypatch: Any) -> None:
    est = FunctionTransformer(np.log1p)
    est.transform(np.ones((2, 2)))  # scikit-learn needs no fit: the width is unknown
    assert "n_features_in_" in _refusal(est, monkeypatch)


def test_a_pipeline_names_the_refused_step(monkeypatch: Any) -> None:
    est = make_pipeline(FunctionTransformer(lambda x: x), Ridge()).fit(np.ones((5, 2)), range(5))
    assert "steps/functiontransformer: " in _refusal(est, monkeypatch)


# ---------------------------------------------------------------------------- body rules


def _mutant(edit: Callable[[pb.Manifest], None], est: Any = None) -> bytes:
    est = est if est is not None else _fit_function("log", True, "exp")
    c = _container.read_container(amber.dumps(est))
    m = pb.Manifest()
    m.CopyFrom(c.manifest)
    edit(m)
    return _container.write_container(m, c.all_tensors())


def _body(m: pb.Manifest) -> pb.FunctionTransformer:
    return m.estimator.function_transformer


BODY_RULES: dict[str, tuple[Callable[[pb.Manifest], None], str]] = {
    "func unspecified": (
        lambda m: setattr(_body(m), "func", pb.ELEMENTWISE_FUNCTION_UNSPECIFIED),
        "function_transformer.func",
    ),
    "inverse_func unknown": (
        lambda m: setattr(_body(m), "inverse_func", 99),
        "function_transformer.inverse_func",
    ),
    "n_features_in 0": (lambda m: setattr(m.estimator, "n_features_in", 0), "n_features_in"),
}


@pytest.mark.parametrize("rule", sorted(BODY_RULES))
def test_a_body_rule_broken_is_e_model(rule: str, tmp_path: Path) -> None:
    edit, says = BODY_RULES[rule]
    data = _mutant(edit)
    for read in (amber.validate, amber.loads):
        with pytest.raises(amber.AmberError) as err:
            read(data)
        assert err.value.code == "E_MODEL" and says in str(err.value), err.value
    if CLI.exists():
        path = tmp_path / "m.amber"
        path.write_bytes(data)
        assert _rust_code(path) == "E_MODEL"


def test_a_pipeline_step_that_reads_another_width_is_e_model(tmp_path: Path) -> None:
    est, _, _ = _pipelines()["log1p_ridge"]

    def edit(m: pb.Manifest) -> None:
        m.estimator.pipeline.steps[0].estimator.n_features_in = 4

    data = _mutant(edit, est)
    with pytest.raises(amber.AmberError) as err:
        amber.validate(data)
    assert err.value.code == "E_MODEL"
    if CLI.exists():
        path = tmp_path / "m.amber"
        path.write_bytes(data)
        assert _rust_code(path) == "E_MODEL"


PROVENANCE = {
    "kw_args with arguments": ("kw_args", {"x": 1}),
    "feature_names_out not one-to-one": ("feature_names_out", "every"),
    "func a param too": ("func", None),
}


@pytest.mark.parametrize("name", sorted(PROVENANCE))
def test_params_the_body_cannot_hold_are_e_provenance(name: str) -> None:
    from amber._sklearn._common import EncodeCtx, encode_value

    param, value = PROVENANCE[name]

    def edit(m: pb.Manifest) -> None:
        p = next((p for p in m.estimator.params if p.name == param), None)
        if p is None:
            p = m.estimator.params.add(name=param)
        p.value.CopyFrom(encode_value(value, param, EncodeCtx()))

    data = _mutant(edit)
    amber.validate(data)  # the body is fine
    with pytest.raises(amber.AmberError) as err:
        amber.loads(data)
    assert err.value.code == "E_PROVENANCE"


@needs_cli
def test_rust_writes_the_same_bytes(tmp_path: Path) -> None:
    for est in (_fit_function("exp2", False), _pipelines()["column_transformer_branch"][0]):
        data = amber.dumps(est)
        assert rust_reencodes(data, tmp_path) == data
