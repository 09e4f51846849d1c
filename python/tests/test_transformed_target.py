"""TransformedTargetRegressor through the `TransformedTarget` body (spec/estimators.md
section 26): func/inverse_func pairs of the closed list, the default identity, every
transformer with an inverse (the scalers, FunctionTransformer, pipelines of them), regressors
of every family (a pipeline over a DataFrame with string columns too), 1-D and 2-D targets;
round trips that give scikit-learn's own predictions, the Python reader's arithmetic and the
Rust CLI's against scikit-learn's, the writer's refusals and every body rule broken.

Expected values come from scikit-learn: the fitted originals' predict, and their
transformer_'s inverse_transform of their regressor_'s predict.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.base import clone
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.ensemble import (
    HistGradientBoostingRegressor,
    RandomForestRegressor,
    StackingRegressor,
    VotingRegressor,
)
from sklearn.linear_model import Ridge
from sklearn.multioutput import MultiOutputRegressor, RegressorChain
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    MaxAbsScaler,
    MinMaxScaler,
    Normalizer,
    OneHotEncoder,
    QuantileTransformer,
    RobustScaler,
    StandardScaler,
)
from sklearn.tree import DecisionTreeRegressor
from sklearn.utils.fixes import parse_version
from test_body_rules import CLI, _rust_code
from test_function_transformer import rust_reencodes, rust_run, same_values
from test_roundtrip import assert_same_estimator

import amber
from amber import _container, _tree
from amber._proto.amber.v1 import amber_pb2 as pb

SK = parse_version(sklearn.__version__)
needs_cli = pytest.mark.skipif(not CLI.exists(), reason="the release CLI is not built")

X_TRAIN = np.random.RandomState(0).normal(size=(160, 4))
X_TEST = np.concatenate([np.random.RandomState(1).normal(size=(40, 4)), X_TRAIN[:3]])
#: A positive target (for the logs), one of two columns.
Y = np.exp(0.4 * X_TRAIN[:, 0] - 0.3 * X_TRAIN[:, 1]) + 0.5
Y2 = np.c_[Y, 3.0 + X_TRAIN[:, 2] ** 2]


def _tree_model() -> DecisionTreeRegressor:
    return DecisionTreeRegressor(max_depth=4, random_state=0)


def _ttr(y: np.ndarray, **params: Any) -> Callable[[], tuple[Any, Any]]:
    def build() -> tuple[Any, Any]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # check_inverse's "not strictly inverse"
            return TransformedTargetRegressor(**params).fit(X_TRAIN, y), X_TEST

    return build


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
    X = _frame(200, 3)
    y = np.exp(X["a"] * 0.5 + (X["city"] == "rome") * 0.8)
    features = ColumnTransformer(
        [
            ("city", OneHotEncoder(handle_unknown="ignore"), ["city"]),
            ("num", StandardScaler(), ["a", "b"]),
        ]
    )
    est = TransformedTargetRegressor(
        Pipeline([("f", features), ("ridge", Ridge())]), func=np.log, inverse_func=np.exp
    )
    return est.fit(X, y), _frame(40, 4)


def _nested() -> tuple[Any, Any]:
    inner = TransformedTargetRegressor(_tree_model(), transformer=StandardScaler())
    return TransformedTargetRegressor(inner, func=np.sqrt, inverse_func=np.square).fit(
        X_TRAIN, Y
    ), X_TEST


CASES: dict[str, Callable[[], tuple[Any, Any]]] = {
    "log_exp_ridge": _ttr(Y, regressor=Ridge(), func=np.log, inverse_func=np.exp),
    "log1p_expm1_tree": _ttr(Y, regressor=_tree_model(), func=np.log1p, inverse_func=np.expm1),
    "sqrt_square_forest": _ttr(
        Y,
        regressor=RandomForestRegressor(n_estimators=4, max_depth=4, random_state=0),
        func=np.sqrt,
        inverse_func=np.square,
    ),
    "log2_exp2_hgb": _ttr(
        Y,
        regressor=HistGradientBoostingRegressor(max_iter=10, random_state=0),
        func=np.log2,
        inverse_func=np.exp2,
    ),
    "arcsinh_sinh_tree": _ttr(Y, regressor=_tree_model(), func=np.arcsinh, inverse_func=np.sinh),
    "reciprocal_tree": _ttr(
        Y, regressor=_tree_model(), func=np.reciprocal, inverse_func=np.reciprocal
    ),
    "negative_linear_default": _ttr(Y, func=np.negative, inverse_func=np.negative),
    "cbrt_not_inverse_tree": _ttr(
        Y,
        regressor=_tree_model(),
        func=np.cbrt,
        inverse_func=np.absolute,
        check_inverse=False,
    ),
    "identity_default": _ttr(Y),
    "identity_two_targets_tree": _ttr(Y2, regressor=_tree_model()),
    "log_two_targets_ridge": _ttr(Y2, regressor=Ridge(), func=np.log, inverse_func=np.exp),
    "log_column_target_tree": _ttr(
        Y[:, None], regressor=_tree_model(), func=np.log, inverse_func=np.exp
    ),
    "standard_scaler_ridge": _ttr(Y, regressor=Ridge(), transformer=StandardScaler()),
    "standard_scaler_no_mean_tree": _ttr(
        Y2, regressor=_tree_model(), transformer=StandardScaler(with_mean=False)
    ),
    "minmax_clip_tree": _ttr(
        Y, regressor=_tree_model(), transformer=MinMaxScaler((-1, 2), clip=True)
    ),
    "maxabs_forest_two_targets": _ttr(
        Y2,
        regressor=RandomForestRegressor(n_estimators=3, max_depth=3, random_state=0),
        transformer=MaxAbsScaler(),
    ),
    "robust_tree": _ttr(Y, regressor=_tree_model(), transformer=RobustScaler()),
    "function_transformer_given": _ttr(
        Y,
        regressor=_tree_model(),
        transformer=FunctionTransformer(np.log, np.exp, validate=True),
    ),
    "pipeline_transformer": _ttr(
        Y,
        regressor=_tree_model(),
        transformer=make_pipeline(
            FunctionTransformer(np.log1p, np.expm1), "passthrough", StandardScaler()
        ),
    ),
    "passthrough_pipeline_transformer": _ttr(
        Y, regressor=_tree_model(), transformer=Pipeline([("nothing", "passthrough")])
    ),
    "dataframe_pipeline": _dataframe,
    "nested": _nested,
    "multi_output_regressor": _ttr(
        Y2, regressor=MultiOutputRegressor(_tree_model()), transformer=StandardScaler()
    ),
    "regressor_chain": _ttr(
        Y2, regressor=RegressorChain(_tree_model()), func=np.sqrt, inverse_func=np.square
    ),
}
#: The cases whose regressor is a linear model: their predictions carry Linear's tolerance
#: (spec/estimators.md section 3.1) through the inverse.
LINEAR = {
    "log_exp_ridge",
    "negative_linear_default",
    "identity_default",
    "log_two_targets_ridge",
    "standard_scaler_ridge",
    "dataframe_pipeline",
}
#: The cases whose inverse goes through the C library's functions (section 25's tolerance).
INEXACT = {
    "log_exp_ridge",
    "log1p_expm1_tree",
    "log2_exp2_hgb",
    "arcsinh_sinh_tree",
    "log_two_targets_ridge",
    "log_column_target_tree",
    "function_transformer_given",
    "pipeline_transformer",
    "dataframe_pipeline",
}
if parse_version("1.5") > SK:
    # scikit-learn before 1.5 takes an inverse_func without a func (the identity for it)
    CASES["inverse_only_tree"] = _ttr(Y, regressor=_tree_model(), inverse_func=np.exp)
    INEXACT.add("inverse_only_tree")


def _close(name: str, want: np.ndarray, got: np.ndarray, where: str) -> None:
    """scikit-learn's output, bit for bit where the arithmetic is exact; else within the
    functions' rtol, and for a linear regressor Linear's tolerance through the inverse."""
    assert np.asarray(got).shape == want.shape, where
    if name in LINEAR:
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12, err_msg=where)
    else:
        same_values(want, got, name not in INEXACT, where)


def _same(est: Any, back: Any, name: str) -> None:
    assert_same_estimator(est, back, name)
    assert back._training_dim == est._training_dim
    assert back.func is est.func and back.inverse_func is est.inverse_func
    assert_same_estimator(est.transformer_, back.transformer_, f"{name}.transformer_")
    assert vars(back.transformer_).get("_sklearn_output_config") == vars(est.transformer_).get(
        "_sklearn_output_config"
    )


@pytest.mark.parametrize("name", sorted(CASES))
def test_round_trip_gives_scikit_learns_predictions(name: str) -> None:
    est, X = CASES[name]()
    data = amber.dumps(est)
    back = amber.loads(data)
    _same(est, back, name)
    assert amber.dumps(back) == data
    amber.validate(data)
    assert np.array_equal(back.predict(X), est.predict(X))
    assert back.n_features_in_ == est.n_features_in_
    assert list(getattr(back, "feature_names_in_", [])) == list(
        getattr(est, "feature_names_in_", [])
    )


def _inverse(body: pb.Estimator, z: np.ndarray, array: Callable[[str], np.ndarray]) -> np.ndarray:
    """The transformer's inverse from its body (spec/estimators.md section 26, rule 2), as
    written there: a FunctionTransformer's function, `x * scale + mean`, `((x - add) / mul) *
    div + sub` (each when present), a pipeline's steps last first."""
    kind = body.WhichOneof("body")
    if kind == "pipeline":
        for step in reversed(body.pipeline.steps):
            if step.HasField("estimator"):
                z = _inverse(step.estimator, z, array)
        return z
    if kind == "function_transformer":
        f = body.function_transformer
        return _tree.elementwise(f.inverse_func, z, f.validate)
    z = z.copy()
    if kind == "standard_scaler":
        s = body.standard_scaler
        if s.scale:
            z = z * array(s.scale)
        if s.mean:
            z = z + array(s.mean)
        return z
    a = body.feature_affine
    for field, op in (("add", np.subtract), ("mul", np.divide), ("div", np.multiply)):
        if getattr(a, field):
            z = op(z, array(getattr(a, field)))
    return z + array(a.sub) if a.sub else z


@pytest.mark.parametrize("name", sorted(n for n in CASES if n != "nested"))
def test_the_python_reader_gives_scikit_learns_inverse(name: str) -> None:
    est, X = CASES[name]()
    c = _container.read_container(amber.dumps(est))
    body = c.manifest.estimator.transformed_target
    p = np.asarray(est.regressor_.predict(X), dtype=np.float64)
    z = _inverse(body.transformer, p.reshape(len(X), -1), c.array)
    out = z[:, 0] if body.squeeze else z
    same_values(est.predict(X), out, name not in INEXACT, name)


@needs_cli
@pytest.mark.parametrize("name", sorted(CASES))
def test_rust_gives_scikit_learns_predictions(name: str, tmp_path: Path) -> None:
    est, X = CASES[name]()
    data = amber.dumps(est)
    rows = X.iloc[:1] if isinstance(X, pd.DataFrame) else X[:1]
    for inp in (X, rows):
        want = est.predict(inp)
        _close(name, want, rust_run(data, inp, "predict", tmp_path), f"{len(inp)} rows")
    assert rust_run(data, X, "predict_proba", tmp_path) == "E_METHOD"


@needs_cli
@pytest.mark.parametrize("name", sorted(CASES))
def test_rust_writes_the_same_bytes(name: str, tmp_path: Path) -> None:
    est, _ = CASES[name]()
    data = amber.dumps(est)
    assert rust_reencodes(data, tmp_path) == data


@needs_cli
@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning")
def test_a_validated_function_refuses_infinite_predictions_as_scikit_learn_does(
    tmp_path: Path,
) -> None:
    """A linear regressor whose score overflows on a finite input: scikit-learn's
    FunctionTransformer(validate=True).inverse_transform raises on the infinity, and the Rust
    reader gives E_INPUT."""
    est, _ = CASES["log_exp_ridge"]()
    est.regressor_.coef_ = np.full(4, 1e300)
    X = np.full((3, 4), 1e10)
    with pytest.raises(ValueError, match="Input contains infinity"):
        est.predict(X)
    assert rust_run(amber.dumps(est), X, "predict", tmp_path) == "E_INPUT"


def test_the_body_and_its_tensors() -> None:
    est, _ = CASES["standard_scaler_ridge"]()
    data = amber.dumps(est)
    info = amber.inspect(data)
    body = info["estimator"]["transformed_target"]
    assert body["squeeze"] is True
    assert body["regressor"]["producer_type"] == "sklearn.linear_model.Ridge"
    assert body["transformer"]["body"] == "standard_scaler"
    names = [t["name"] for t in info["tensors"]]
    # the regressor's tensors, then the transformer's (spec/format.md section 4)
    assert names == [
        "regressor/coef_",
        "regressor/intercept_",
        "transformer/mean_",
        "transformer/scale_",
        "transformer/var_",
        "transformer/n_samples_seen_",
    ]
    two, _ = CASES["identity_two_targets_tree"]()
    assert amber.inspect(amber.dumps(two))["estimator"]["transformed_target"]["squeeze"] is False
    column, _ = CASES["log_column_target_tree"]()
    assert column._training_dim == 2 and column.predict(X_TEST).shape == (len(X_TEST), 1)


def test_the_input_schema_is_the_regressors() -> None:
    est, _ = CASES["dataframe_pipeline"]()
    columns = amber.inspect(amber.dumps(est))["input"]["columns"]
    assert columns == [
        {"name": "city", "kind": "string"},
        {"name": "a", "kind": "numeric"},
        {"name": "b", "kind": "numeric"},
    ]


def test_a_transformed_target_inside_other_compositions(tmp_path: Path) -> None:
    ttr = TransformedTargetRegressor(_tree_model(), func=np.log, inverse_func=np.exp)
    for est in (
        make_pipeline(StandardScaler(), clone(ttr)),
        VotingRegressor([("ttr", clone(ttr)), ("ridge", Ridge())]),
        StackingRegressor([("ttr", clone(ttr)), ("tree", _tree_model())], cv=3),
    ):
        est.fit(X_TRAIN, Y)
        data = amber.dumps(est)
        back = amber.loads(data)
        assert amber.dumps(back) == data
        assert np.array_equal(back.predict(X_TEST), est.predict(X_TEST))
        if CLI.exists():
            got = rust_run(data, X_TEST, "predict", tmp_path)
            np.testing.assert_allclose(got, est.predict(X_TEST), rtol=1e-10)


# ---------------------------------------------------------------------------- refused at save


def _refusal(est: Any) -> str:
    with pytest.raises(amber.AmberError) as err:
        amber.dumps(est)
    assert err.value.code == "E_UNSUPPORTED"
    assert "TransformedTargetRegressor" in str(err.value)
    return str(err.value)


def _fitted(**params: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return TransformedTargetRegressor(**params).fit(X_TRAIN, Y)


def test_a_function_not_on_the_list_is_refused_by_name() -> None:
    text = _refusal(_fitted(func=lambda y: y * 2, inverse_func=lambda y: y / 2))
    assert "its func is" in text and "<lambda>" in text and "never saves code" in text
    text = _refusal(_fitted(func=np.log, inverse_func=np.tanh, check_inverse=False))
    assert "its inverse_func is" in text


def test_a_transformer_without_an_inverse_is_refused() -> None:
    text = _refusal(_fitted(regressor=Ridge(), transformer=Normalizer(), check_inverse=False))
    assert "Normalizer, which Amber saves without an inverse_transform" in text
    text = _refusal(_fitted(transformer=QuantileTransformer(n_quantiles=20)))
    assert "transformer: sklearn.preprocessing.QuantileTransformer is not supported" in text


def test_params_changed_after_fit_are_refused() -> None:
    est = _fitted(func=np.log, inverse_func=np.exp)
    est.set_params(func=np.sqrt, inverse_func=np.square)
    assert "changed after fit" in _refusal(est)
    est = _fitted(transformer=StandardScaler())
    est.set_params(transformer=MinMaxScaler())
    assert "changed after fit" in _refusal(est)
    est = _fitted(regressor=Ridge())
    est.set_params(regressor=None)
    assert "changed after fit" in _refusal(est)


def test_an_unfitted_model_is_refused() -> None:
    assert "not fitted" in _refusal(TransformedTargetRegressor(Ridge()))


def test_a_regressor_amber_cannot_save_is_named() -> None:
    from sklearn.svm import SVR

    text = _refusal(_fitted(regressor=SVR(), func=np.log, inverse_func=np.exp))
    assert "regressor: sklearn.svm.SVR is not supported" in text


# ---------------------------------------------------------------------------- body rules


def _mutant(name: str, edit: Callable[[pb.Manifest], None]) -> bytes:
    est, _ = CASES[name]()
    c = _container.read_container(amber.dumps(est))
    m = pb.Manifest()
    m.CopyFrom(c.manifest)
    edit(m)
    return _container.write_container(m, c.all_tensors())


def _body(m: pb.Manifest) -> pb.TransformedTarget:
    return m.estimator.transformed_target


def _regressor_becomes_the_transformer(m: pb.Manifest) -> None:
    _body(m).regressor.CopyFrom(_body(m).transformer)


def _transformer_becomes_a_binarizer(m: pb.Manifest) -> None:
    t = _body(m).transformer
    t.producer_type = "sklearn.preprocessing.Binarizer"
    t.binarizer.SetInParent()
    del t.params[:]


BODY_RULES: dict[str, tuple[str, Callable[[pb.Manifest], None], str]] = {
    "no regressor": (
        "log_exp_ridge",
        lambda m: _body(m).ClearField("regressor"),
        "transformed_target.regressor",
    ),
    "no transformer": (
        "log_exp_ridge",
        lambda m: _body(m).ClearField("transformer"),
        "transformed_target.transformer",
    ),
    "rule 1: the regressor reads another width": (
        "log1p_expm1_tree",
        lambda m: setattr(m.estimator, "n_features_in", 5),
        "n_features_in",
    ),
    "rule 1: the regressor is no regressor": (
        "identity_default",
        _regressor_becomes_the_transformer,
        "transformed_target.regressor",
    ),
    "rule 2: the transformer has no inverse": (
        "identity_default",
        _transformer_becomes_a_binarizer,
        "transformed_target.transformer",
    ),
    "rule 2: the transformer reads another width": (
        "log1p_expm1_tree",
        lambda m: setattr(_body(m).transformer, "n_features_in", 2),
        "transformed_target.transformer.n_features_in",
    ),
    "rule 2: a pipeline step without an inverse": (
        "pipeline_transformer",
        lambda m: _transformer_becomes_a_binarizer_step(m),
        "transformed_target.transformer",
    ),
    "rule 3: two targets squeezed": (
        "identity_two_targets_tree",
        lambda m: setattr(_body(m), "squeeze", True),
        "transformed_target.squeeze",
    ),
}


def _transformer_becomes_a_binarizer_step(m: pb.Manifest) -> None:
    step = _body(m).transformer.pipeline.steps[0].estimator
    step.producer_type = "sklearn.preprocessing.Binarizer"
    step.binarizer.SetInParent()
    del step.params[:]


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
    "a transformer that is not fit's FunctionTransformer": (
        "log_exp_ridge",
        lambda m: setattr(_body(m).transformer.function_transformer, "validate", False),
        "transformer is None",
    ),
    "check_inverse not the transformer's": (
        "log_exp_ridge",
        lambda m: setattr(_param(m, "check_inverse"), "bool_value", False),
        "transformer is None",
    ),
    "regressor None with a Ridge": (
        "log_exp_ridge",
        lambda m: _param(m, "regressor").none.SetInParent(),
        "regressor is None",
    ),
    "func a param too": (
        "log_exp_ridge",
        lambda m: _param(m, "func").none.SetInParent(),
        "'func' is in the body",
    ),
    "transformer None with a scaler": (
        "standard_scaler_ridge",
        lambda m: _param(m, "transformer").none.SetInParent(),
        "transformer is None",
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
