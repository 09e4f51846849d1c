"""OneHotEncoder and OrdinalEncoder (spec/estimators.md section 19, spec/sklearn.md): fit
with scikit-learn, dump, load, and compare what the rebuilt estimator gives on every input
(transform bit for bit with its dtype and sparse type, get_feature_names_out,
infrequent_categories_, drop_idx_, inverse_transform); the Rust CLI's transform on the same
inputs (npy for numbers, CSV for string columns); the refusals at save (E_UNSUPPORTED) and
at rebuild (E_PROVENANCE); the body rules in both readers (E_MODEL).

The Rust half runs when the release CLI is built (`cargo build --release -p amber-cli`).
"""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable

import numpy as np
import pandas as pd
import pytest
import sklearn
from scipy import sparse
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, TargetEncoder

import amber
from amber._container import read_container, write_container
from amber._proto.amber.v1 import amber_pb2 as pb

ROOT = Path(__file__).resolve().parents[2]
CLI = ROOT / "target" / "release" / "amber"
needs_cli = pytest.mark.skipif(not CLI.exists(), reason="release CLI not built")
sys.path.insert(0, str(ROOT / "tests" / "vectors"))
import gen_encoders  # noqa: E402

from conftest import GENERATOR  # noqa: E402

TARGETS = ["continuous", "binary"] + (
    ["multiclass"] if "classes_" in TargetEncoder.__doc__.split("Attributes")[1] else []
)
HAS_WARN = "warn" in str(OneHotEncoder._parameter_constraints["handle_unknown"])


def _frame(seed: int, n: int = 120, **kw: Any) -> pd.DataFrame:
    return gen_encoders._frame(seed, n, **kw)


def _quiet(f: Callable[[], Any]) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # unknown categories found
        return f()


def _dense(a: Any) -> np.ndarray:
    return a.toarray() if sparse.issparse(a) else np.asarray(a)


def _same_output(want: Any, got: Any) -> None:
    assert type(want) is type(got)
    assert want.dtype == got.dtype
    w, g = _dense(want), _dense(got)
    assert w.shape == g.shape
    assert w.tobytes() == g.tobytes()


def _same_categories(a: list, b: list) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert x.dtype == y.dtype
        assert len(x) == len(y)
        for u, v in zip(x, y):
            nan = isinstance(u, float) and u != u
            assert (nan and isinstance(v, float) and v != v) or (type(u) is type(v) and u == v)


def _check_round_trip(est: Any, test: Any) -> Any:
    blob = amber.dumps(est)
    back = amber.loads(blob)
    assert type(back) is type(est)
    assert amber.dumps(back) == blob  # canonical bytes
    _same_output(_quiet(lambda: est.transform(test)), _quiet(lambda: back.transform(test)))
    assert list(est.get_feature_names_out()) == list(back.get_feature_names_out())
    _same_categories(est.categories_, back.categories_)
    if est._infrequent_enabled:
        for a, b in zip(est.infrequent_categories_, back.infrequent_categories_):
            assert (a is None and b is None) or list(map(str, a)) == list(map(str, b))
    if isinstance(est, OneHotEncoder):
        a, b = est.drop_idx_, back.drop_idx_
        assert (a is None and b is None) or [None if v is None else int(v) for v in a] == [
            None if v is None else int(v) for v in b
        ]
        assert est._n_features_outs == back._n_features_outs
    else:
        assert est._missing_indices == back._missing_indices
    z = _dense(_quiet(lambda: est.transform(test)))
    inv_a, inv_b = (
        _outcome(lambda: est.inverse_transform(z)),
        _outcome(lambda: back.inverse_transform(z)),
    )
    if isinstance(inv_a, str):  # scikit-learn's own inverse fails on some of these
        assert inv_a == inv_b
    else:
        assert pd.DataFrame(inv_a).equals(pd.DataFrame(inv_b))
    return back


def _outcome(f: Callable[[], Any]) -> Any:
    """What `f` returns, or its exception as text."""
    try:
        return _quiet(f)
    except Exception as e:  # compared, not handled
        return f"{type(e).__name__}: {e}"


ONE_HOT = [
    dict(),
    dict(sparse_output=False),
    dict(handle_unknown="ignore"),
    dict(handle_unknown="ignore", drop="first", sparse_output=False),
    dict(drop="if_binary", sparse_output=False),
    dict(drop=["Lyon", "team", np.nan, 20, "no", 1], sparse_output=False),
    dict(min_frequency=8, handle_unknown="infrequent_if_exist"),
    dict(min_frequency=0.2, handle_unknown="infrequent_if_exist", drop="first"),
    dict(max_categories=3, handle_unknown="infrequent_if_exist", sparse_output=False),
    dict(max_categories=2, drop="if_binary", handle_unknown="ignore"),
    dict(max_categories=1, handle_unknown="infrequent_if_exist", sparse_output=False),
    dict(max_categories=3, min_frequency=4, handle_unknown="ignore", dtype=np.float32),
    dict(dtype=np.int64, handle_unknown="ignore", sparse_output=False),
    dict(dtype=np.int32, max_categories=4, handle_unknown="infrequent_if_exist"),
]
if HAS_WARN:
    ONE_HOT.append(dict(handle_unknown="warn", min_frequency=8, sparse_output=False))

ORDINAL = [
    dict(),
    dict(encoded_missing_value=-1),
    dict(handle_unknown="use_encoded_value", unknown_value=-1),
    dict(handle_unknown="use_encoded_value", unknown_value=np.nan),
    dict(handle_unknown="use_encoded_value", unknown_value=50, encoded_missing_value=-7),
    dict(max_categories=3, handle_unknown="use_encoded_value", unknown_value=-1),
    dict(min_frequency=0.1),
    dict(min_frequency=9, dtype=np.float32, encoded_missing_value=-1),
    dict(
        dtype=np.int64,
        encoded_missing_value=-1,
        handle_unknown="use_encoded_value",
        unknown_value=-2,
    ),
    dict(dtype=np.int32, encoded_missing_value=-1),
]


def _unknown_ok(params: dict) -> bool:
    return params.get("handle_unknown", "error") != "error"


@pytest.mark.parametrize("objects", [False, True], ids=["default_dtypes", "object_columns"])
@pytest.mark.parametrize("params", ONE_HOT, ids=repr)
def test_one_hot_round_trip(params: dict, objects: bool) -> None:
    est = OneHotEncoder(**params).fit(_frame(1, 400, objects=objects))
    test = _frame(2, unknown=_unknown_ok(params), objects=objects)
    back = _check_round_trip(est, test)
    assert back.get_params() == est.get_params() or "drop" in params


@pytest.mark.parametrize("objects", [False, True], ids=["default_dtypes", "object_columns"])
@pytest.mark.parametrize("params", ORDINAL, ids=repr)
def test_ordinal_round_trip(params: dict, objects: bool) -> None:
    est = OrdinalEncoder(**params).fit(_frame(3, 400, objects=objects))
    test = _frame(4, unknown=_unknown_ok(params), objects=objects)
    back = _check_round_trip(est, test)
    assert back.get_params() == est.get_params()


@pytest.mark.parametrize("cls", [OneHotEncoder, OrdinalEncoder])
def test_numpy_inputs_numbers_and_fixed_width_strings(cls: type) -> None:
    X = gen_encoders._numbers(5, 150)
    est = cls(handle_unknown="ignore" if cls is OneHotEncoder else "error").fit(X)
    _check_round_trip(est, gen_encoders._numbers(6, 40, unknown=cls is OneHotEncoder))
    ints = np.random.RandomState(0).randint(0, 5, size=(80, 2)).astype(np.int32)
    _check_round_trip(cls().fit(ints), ints[:10])
    words = np.array([["a", "bb"], ["ccc", "a"], ["a", "a"]])  # '<U3': categories stay <U3
    est = cls().fit(words)
    assert est.categories_[0].dtype == np.dtype("<U3")
    back = _check_round_trip(est, words)
    assert back.categories_[0].dtype == np.dtype("<U3")


def test_explicit_categories_and_array_params() -> None:
    train = _frame(7)[["plan", "grade"]]
    cats = [np.array(["team", "basic", "pro"], dtype=object), [1.0, 2.0, 3.0, 5.0, 8.0, np.nan]]
    est = OneHotEncoder(categories=cats, handle_unknown="ignore").fit(train)
    back = _check_round_trip(est, _frame(8, unknown=True)[["plan", "grade"]])
    assert back.categories[0] == ["team", "basic", "pro"]
    assert back.categories[1][:5] == [1.0, 2.0, 3.0, 5.0, 8.0] and np.isnan(back.categories[1][5])
    est = OneHotEncoder(drop=np.array(["pro", 3.0], dtype=object)).fit(train)
    assert amber.loads(amber.dumps(est)).drop == ["pro", 3.0]


def test_pipeline_with_an_encoder_round_trips() -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    train = _frame(9).fillna({"grade": 0.0})
    y = (train["plan"] == "pro").to_numpy().astype(int)
    pipe = make_pipeline(
        OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=5), LogisticRegression()
    )
    pipe.fit(train, y)
    test = _frame(10, unknown=True).fillna({"grade": 0.0})
    back = amber.loads(amber.dumps(pipe))
    assert (
        _quiet(lambda: back.predict_proba(test)).tobytes()
        == _quiet(lambda: pipe.predict_proba(test)).tobytes()
    )


def test_body_holds_what_transform_reads() -> None:
    est = OneHotEncoder(max_categories=3, drop="first", dtype=np.float32).fit(_frame(11, 400))
    m = read_container(amber.dumps(est)).manifest
    body = m.estimator.one_hot_encoder
    assert [p.name for p in m.estimator.params] == sorted(
        set(OneHotEncoder().get_params()) - {"dtype"}
    )
    assert not m.estimator.attributes
    assert body.dtype == pb.DTYPE_F32
    city = body.features[0]
    assert city.categories.kind == pb.CATEGORY_KIND_STRING
    assert list(city.infrequent) == list(est._infrequent_indices[0])
    assert city.drop == est._drop_idx_after_grouping[0]
    grade = body.features[2].categories
    assert grade.kind == pb.CATEGORY_KIND_NUMERIC and grade.has_nan
    assert list(grade.numbers) == [1.0, 2.0, 3.0, 5.0, 8.0]
    assert [c.kind for c in m.input.columns] == [
        pb.COLUMN_KIND_STRING,
        pb.COLUMN_KIND_STRING,
        pb.COLUMN_KIND_NUMERIC,
        pb.COLUMN_KIND_NUMERIC,
        pb.COLUMN_KIND_STRING,
        pb.COLUMN_KIND_NUMERIC,
    ]
    m = read_container(
        amber.dumps(
            OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-3).fit(
                _frame(12, 400)
            )
        )
    ).manifest
    o = m.estimator.ordinal_encoder
    assert (o.unknown, o.unknown_value) == (pb.ORDINAL_UNKNOWN_VALUE, -3.0)
    assert o.encoded_missing_value != o.encoded_missing_value  # NaN
    assert {p.name for p in m.estimator.params} == {"categories", "max_categories", "min_frequency"}


class _C:
    """What the corpus cases need of generate.py's Case."""

    def __init__(self, name, description, build, feature_names=False, methods=None):
        self.name, self.description, self.build = name, description, build


CORPUS = gen_encoders.encoder_cases(sklearn.__version__, _C)


@pytest.mark.parametrize("case", CORPUS, ids=[c.name for c in CORPUS])
def test_corpus_cases_round_trip(case) -> None:
    est, _, _, test = case.build()
    if not isinstance(est, TargetEncoder):
        _check_round_trip(est, test)
        return
    back = amber.loads(amber.dumps(est))
    _same_output(est.transform(test), back.transform(test))
    assert list(est.get_feature_names_out()) == list(back.get_feature_names_out())


# ---------------------------------------------------------------------------- TargetEncoder


def _target_fit(kind: str, seed: int, **params: Any) -> TargetEncoder:
    return TargetEncoder(**params).fit(_frame(seed, 400), gen_encoders._target(kind, seed, 400))


@pytest.mark.parametrize("params", [{}, {"smooth": 0.5}, {"categories": "auto", "cv": 3}])
@pytest.mark.parametrize("kind", TARGETS)
def test_target_encoder_round_trip(kind: str, params: dict) -> None:
    est = _target_fit(kind, 41, **params)
    test = _frame(42, unknown=True)
    blob = amber.dumps(est)
    back = amber.loads(blob)
    assert amber.dumps(back) == blob
    assert back.get_params() == est.get_params()
    _same_output(est.transform(test), back.transform(test))
    assert list(est.get_feature_names_out()) == list(back.get_feature_names_out())
    _same_categories(est.categories_, back.categories_)
    assert back.target_type_ == est.target_type_
    assert np.asarray(back.target_mean_).tobytes() == np.asarray(est.target_mean_).tobytes()
    assert type(back.target_mean_) is type(est.target_mean_)
    for a, b in zip(est.encodings_, back.encodings_):
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes()
    if hasattr(est, "classes_") and est.classes_ is not None:
        assert list(back.classes_) == list(est.classes_)


def test_target_encoder_numeric_array_and_refusals() -> None:
    X = gen_encoders._numbers(43, 200)
    y = np.nan_to_num(X[:, 1]) + X[:, 0] + np.linspace(0.01, 0.37, len(X))
    est = TargetEncoder().fit(X, y)
    test = gen_encoders._numbers(44, 30, unknown=True)
    assert amber.loads(amber.dumps(est)).transform(test).tobytes() == est.transform(test).tobytes()
    rng = TargetEncoder(random_state=np.random.RandomState(0)).fit(X, y)
    if isinstance(rng.random_state, np.random.RandomState):  # "deprecated" in 1.9.1
        assert "cannot be saved" in _unsupported(rng)


@needs_cli
@pytest.mark.parametrize("kind", TARGETS)
def test_target_encoder_in_rust(kind: str, tmp_path: Path) -> None:
    est = _target_fit(kind, 45)
    test = _as_read(est, _frame(46, unknown=True), tmp_path)
    want = est.transform(test)
    assert _rust_transform(amber.dumps(est), test, tmp_path).tobytes() == want.tobytes()


# ---------------------------------------------------------------------------- the Rust CLI


def _rust(model: bytes, test: Any, tmp_path: Path) -> subprocess.CompletedProcess:
    (tmp_path / "m.amber").write_bytes(model)
    if isinstance(test, pd.DataFrame):
        inp = tmp_path / "x.csv"
        test.to_csv(inp, index=False, na_rep="")
    else:
        inp = tmp_path / "x.npy"
        np.save(inp, test)
    return subprocess.run(
        [
            *(str(CLI), "predict", str(tmp_path / "m.amber"), "--input", str(inp)),
            *("--method", "transform", "--output", str(tmp_path / "z.npy")),
        ],
        capture_output=True,
        text=True,
    )


def _as_read(est: Any, test: pd.DataFrame, tmp_path: Path) -> pd.DataFrame:
    """`test` as a reader reads its CSV (tests/vectors/README.md, "Table inputs"): strings
    where the model reads strings, numbers elsewhere, an empty cell NaN."""
    path = tmp_path / "x.csv"
    test.to_csv(path, index=False, na_rep="")
    kinds = [c.kind for c in read_container(amber.dumps(est)).manifest.input.columns]
    strings = {n: object for n, k in zip(test.columns, kinds) if k == pb.COLUMN_KIND_STRING}
    return pd.read_csv(path, dtype=strings, keep_default_na=False, na_values=[""])


def _rust_transform(model: bytes, test: Any, tmp_path: Path) -> np.ndarray:
    done = _rust(model, test, tmp_path)
    assert done.returncode == 0, done.stderr
    return np.load(tmp_path / "z.npy")


@needs_cli
@pytest.mark.parametrize("params", ONE_HOT, ids=repr)
def test_one_hot_in_rust(params: dict, tmp_path: Path) -> None:
    est = OneHotEncoder(**params).fit(_frame(21, 400))
    test = _as_read(est, _frame(22, unknown=_unknown_ok(params)), tmp_path)
    want = _dense(_quiet(lambda: est.transform(test))).astype(np.float64)
    assert _rust_transform(amber.dumps(est), test, tmp_path).tobytes() == want.tobytes()


@needs_cli
@pytest.mark.parametrize("params", ORDINAL, ids=repr)
def test_ordinal_in_rust(params: dict, tmp_path: Path) -> None:
    est = OrdinalEncoder(**params).fit(_frame(23, 400))
    test = _as_read(est, _frame(24, unknown=_unknown_ok(params)), tmp_path)
    want = np.asarray(_quiet(lambda: est.transform(test))).astype(np.float64)
    assert _rust_transform(amber.dumps(est), test, tmp_path).tobytes() == want.tobytes()


@needs_cli
@pytest.mark.parametrize("cls", [OneHotEncoder, OrdinalEncoder])
def test_numeric_array_in_rust(cls: type, tmp_path: Path) -> None:
    est = cls(handle_unknown="ignore" if cls is OneHotEncoder else "error").fit(
        gen_encoders._numbers(25, 150)
    )
    test = gen_encoders._numbers(26, 40, unknown=cls is OneHotEncoder)
    want = _dense(est.transform(test)).astype(np.float64)
    assert _rust_transform(amber.dumps(est), test, tmp_path).tobytes() == want.tobytes()


@needs_cli
def test_unknown_category_is_e_input_naming_column_row_and_value(tmp_path: Path) -> None:
    est = OneHotEncoder().fit(_frame(27, 400))
    test = _frame(28)
    test.loc[3, "plan"] = "enterprise"
    with pytest.raises(ValueError, match="unknown categories"):
        est.transform(test)
    done = _rust(amber.dumps(est), test, tmp_path)
    assert done.returncode != 0
    assert "E_INPUT" in done.stderr and '"plan"' in done.stderr, done.stderr
    assert "row 3" in done.stderr and '"enterprise"' in done.stderr, done.stderr
    num = OrdinalEncoder().fit(gen_encoders._numbers(29, 100))
    done = _rust(amber.dumps(num), np.array([[1.0, 2.0, 1.5], [2.0, 6.0, 0.0]]), tmp_path)
    assert "E_INPUT" in done.stderr and "row 1" in done.stderr and "6" in done.stderr


# ---------------------------------------------------------------------------- refusals


def _unsupported(est: Any) -> str:
    with pytest.raises(amber.AmberError) as info:
        amber.dumps(est)
    assert info.value.code == "E_UNSUPPORTED", info.value
    return str(info.value)


def test_what_a_body_cannot_hold_is_e_unsupported() -> None:
    mixed = [["Male", 1], ["Female", 3], ["Female", 2]]  # object ints in column 1
    assert "object column" in _unsupported(OneHotEncoder().fit(mixed))
    assert "dtype" in _unsupported(OneHotEncoder(dtype=np.float16).fit(_frame(30, 400)))
    assert "dtype" in _unsupported(
        OrdinalEncoder(dtype=np.int8, encoded_missing_value=-1).fit(_frame(30, 400))
    )
    combiner = OneHotEncoder(feature_name_combiner=lambda f, c: f"{f}={c}").fit(_frame(30, 400))
    assert "cannot be saved" in _unsupported(combiner)
    assert "unfitted" in _unsupported(OneHotEncoder())
    big = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=2**60).fit(
        _frame(30, 400)
    )
    assert "2^53" in _unsupported(big)


def _edited(est: Any, edit: Callable[[pb.Manifest], None]) -> bytes:
    c = read_container(amber.dumps(est))
    edit(c.manifest)
    return write_container(c.manifest, c.all_tensors())


def _provenance(blob: bytes) -> str:
    with pytest.raises(amber.AmberError) as info:
        amber.loads(blob)
    assert info.value.code == "E_PROVENANCE", info.value
    return str(info.value)


def _param(m: pb.Manifest, name: str) -> pb.Value:
    return next(p for p in m.estimator.params if p.name == name).value


def test_rebuild_refuses_params_that_contradict_the_body() -> None:
    ohe = OneHotEncoder(drop="first")

    def no_drop(m: pb.Manifest) -> None:
        _param(m, "drop").none.SetInParent()

    assert "drop" in _provenance(_edited(ohe.fit(_frame(31, 400)), no_drop))

    def unknown_ignore(m: pb.Manifest) -> None:
        _param(m, "handle_unknown").string_value = "ignore"

    assert "handle_unknown" in _provenance(
        _edited(OneHotEncoder().fit(_frame(31, 400)), unknown_ignore)
    )

    def no_infrequent_params(m: pb.Manifest) -> None:
        _param(m, "max_categories").none.SetInParent()

    grouped = OrdinalEncoder(max_categories=3).fit(_frame(31, 400))
    assert "infrequent" in _provenance(_edited(grouped, no_infrequent_params))

    def dtype_param(m: pb.Manifest) -> None:
        m.estimator.params.add(name="dtype").value.string_value = "float32"

    assert "dtype" in _provenance(_edited(OrdinalEncoder().fit(_frame(31, 400)), dtype_param))


def test_body_unknown_rule_decides_without_a_param() -> None:
    def drop_param(m: pb.Manifest) -> None:
        keep = [p for p in m.estimator.params if p.name != "handle_unknown"]
        del m.estimator.params[:]
        m.estimator.params.extend(keep)

    est = amber.loads(
        _edited(OneHotEncoder(handle_unknown="ignore").fit(_frame(32, 400)), drop_param)
    )
    assert est.handle_unknown == "ignore"


# ---------------------------------------------------------------------------- body rules


def _invalid_files() -> list:
    models = {}
    cases = gen_encoders.encoder_cases("x", _C)
    for c in cases:
        bases = ("one_hot_encoder_strings", "ordinal_encoder_strings", "target_encoder_continuous")
        if c.name[: -len("-skx")] in bases:
            models[c.name] = amber.dumps(c.build()[0])
    g = SimpleNamespace(VERSION="x", e_model_files=GENERATOR.e_model_files)
    return gen_encoders.invalid_files(models, g)


INVALID = _invalid_files()


@pytest.mark.parametrize("entry", INVALID, ids=[f[1][0] for f in INVALID])
def test_body_rules_are_e_model_in_both_readers(entry, tmp_path: Path) -> None:
    _, (_name, code, _description, blob) = entry
    with pytest.raises(amber.AmberError) as info:
        amber.validate(blob)
    assert info.value.code == code, info.value
    if CLI.exists():
        (tmp_path / "m.amber").write_bytes(blob)
        done = subprocess.run(
            [str(CLI), "validate", str(tmp_path / "m.amber")], capture_output=True, text=True
        )
        assert done.returncode != 0 and code in done.stderr + done.stdout, done.stderr
