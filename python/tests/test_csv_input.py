"""CSV input (spec/format.md section 7.1) as `pandas.read_csv` reads it, on both readers.

The expected values come from pandas and scikit-learn themselves: a model fitted on a frame
that `pd.read_csv` read, then given `pd.read_csv(path)` (or `header=None`, `sep=...`), is
what `amber predict` (the Rust reader) and the Python testee's CSV reading must match:
pandas' default missing strings (`NA`, `null`, `NaN`, the empty cell, ...) missing in
numeric and string columns, quoted header names keeping their spaces, blank lines skipped,
`--delimiter`, headerless files (no row lost), and zero rows refused.

The CLI checks run when a built CLI exists (target/release/amber, else target/debug/amber).
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import amber
from amber import testee

_ROOT = Path(__file__).resolve().parents[2]
CLI = next(
    (p for p in (_ROOT / "target" / d / "amber" for d in ("release", "debug")) if p.exists()),
    _ROOT / "target" / "release" / "amber",
)
needs_cli = pytest.mark.skipif(not CLI.exists(), reason="no built amber CLI")

# Training data with pandas' missing strings in both kinds of column, read by pandas.
_TRAIN = (
    "city,age,note\n"
    "Lyon,41,a\nParis,NA,b\nNA,3,c\nnull,7,d\nLyon,,e\nParis,12,f\n"
    "Nice,5,g\nLyon,33,h\n<NA>,20,i\nParis,18,j\n"
)


def _put(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


def _strings_model(tmp_path: Path) -> tuple[ColumnTransformer, Path]:
    """A ColumnTransformer over a string and a numeric column, fitted on `pd.read_csv`."""
    X = pd.read_csv(_put(tmp_path, "train.csv", _TRAIN))
    ct = ColumnTransformer(
        [
            ("oh", OneHotEncoder(handle_unknown="ignore"), ["city"]),
            ("num", SimpleImputer(), ["age"]),
        ]
    ).fit(X)
    path = tmp_path / "ct.amber"
    amber.dump(ct, path)
    return ct, path


def _numeric_model(tmp_path: Path) -> tuple[Any, Path]:
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(40, 3)), columns=["a", "b", "c"])
    y = (X["a"] + X["b"] > 0).astype(int)
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    path = tmp_path / "num.amber"
    amber.dump(model, path)
    return model, path


def _cli(model: Path, data: Path, method: str, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(CLI), "predict", str(model), "-i", str(data), "-m", method, *extra],
        capture_output=True,
        text=True,
        check=False,
    )


def _cli_matrix(model: Path, data: Path, method: str, *extra: str) -> np.ndarray:
    done = _cli(model, data, method, *extra)
    assert done.returncode == 0, done.stderr
    rows = [line.split(",") for line in done.stdout.splitlines()]
    return np.array([[float(v) for v in row] for row in rows])


def _same(got: np.ndarray, want: np.ndarray) -> None:
    want = np.asarray(want, dtype=np.float64)
    assert got.shape == want.shape
    assert np.array_equal(got, want, equal_nan=True), (got, want)


# The prediction file: every missing spelling pandas knows, quoted or not, text kept as text.
_MISSING = (
    "note,age,city\n"
    "x,NA,Lyon\n"
    'x,"null",NaN\n'
    "x,,\n"
    "x,N/A,None\n"
    "x,#N/A,n/a\n"
    "x,nan,NULL\n"
    "x,-1.#IND,<NA>\n"
    'x,1.5,"Paris"\n'
    "x,2,Rome\n"
)


@needs_cli
def test_pandas_missing_strings_are_missing_in_numeric_and_string_columns(
    tmp_path: Path,
) -> None:
    ct, model = _strings_model(tmp_path)
    data = _put(tmp_path, "x.csv", _MISSING)
    want = ct.transform(pd.read_csv(data))
    _same(_cli_matrix(model, data, "transform"), want)
    # The missing category (nan among the encoder's categories) is what those cells hit.
    assert want[:7, 3].tolist() == [0, 1, 1, 1, 1, 1, 1], want


@needs_cli
def test_headerless_numeric_files_lose_no_row(tmp_path: Path) -> None:
    model, path = _numeric_model(tmp_path)
    data = _put(tmp_path, "bare.csv", "0.5,-1,2\n1,2,3\n-3,0.25,1e-3\n")
    want = model.predict_proba(pd.read_csv(data, header=None, names=["a", "b", "c"]))
    _same(_cli_matrix(path, data, "predict_proba"), want)
    # --no-header reads the same file the same way.
    _same(_cli_matrix(path, data, "predict_proba", "--no-header"), want)


@needs_cli
def test_headerless_files_for_a_string_model_are_refused_or_read_with_no_header(
    tmp_path: Path,
) -> None:
    ct, model = _strings_model(tmp_path)
    text = "Lyon,41,x\nParis,3,y\n"
    data = _put(tmp_path, "bare.csv", text)
    done = _cli(model, data, "transform")
    assert done.returncode == 1
    assert "E_INPUT" in done.stderr, done.stderr
    # "note" is read by no step (the remainder is dropped): it is not asked for.
    assert 'no column "city", "age";' in done.stderr, done.stderr
    assert "--no-header" in done.stderr, done.stderr
    # The columns the model was fitted on, in their order: positional with --no-header.
    names = list(ct.feature_names_in_)
    want = ct.transform(pd.read_csv(data, header=None, names=names))
    _same(_cli_matrix(model, data, "transform", "--no-header"), want)
    # The Python testee refuses it too.
    with pytest.raises(testee._Fail) as info:
        testee._read_csv(str(data), model.read_bytes())
    assert info.value.code == "E_INPUT"


@needs_cli
def test_a_quoted_header_keeps_its_spaces(tmp_path: Path) -> None:
    X = pd.DataFrame({" space ": [1.0, 2.0, 4.0], "b": [0.0, 1.0, 5.0]})
    scaler = StandardScaler().fit(X)
    model = tmp_path / "s.amber"
    amber.dump(scaler, model)
    for header in ['" space ",b', " space ,b", 'b," space "']:
        data = _put(tmp_path, "x.csv", f"{header}\n3,4\n")
        frame = pd.read_csv(data)
        assert sorted(frame.columns) == [" space ", "b"], frame.columns
        want = scaler.transform(frame[[" space ", "b"]])  # the CLI matches names in any order
        _same(_cli_matrix(model, data, "transform"), want)
    # A model fitted on "space" does not read " space ": scikit-learn refuses the frame.
    plain = StandardScaler().fit(X.rename(columns={" space ": "space"}))
    amber.dump(plain, model)
    data = _put(tmp_path, "x.csv", '" space ",b\n3,4\n')
    with pytest.raises(ValueError, match="feature names"):
        plain.transform(pd.read_csv(data))
    done = _cli(model, data, "transform")
    assert done.returncode == 1 and "E_INPUT" in done.stderr, done.stderr
    assert '" space " is not "space"' in done.stderr, done.stderr


@needs_cli
@pytest.mark.parametrize(("flag", "sep"), [(";", ";"), ("\\t", "\t"), ("\t", "\t"), ("|", "|")])
def test_delimiters(tmp_path: Path, flag: str, sep: str) -> None:
    ct, model = _strings_model(tmp_path)
    text = _MISSING.replace(",", sep) + f'"Lyon{sep}x"{sep}4{sep}Nice\n'
    data = _put(tmp_path, "x.csv", text)
    want = ct.transform(pd.read_csv(data, sep=sep))
    _same(_cli_matrix(model, data, "transform", "--delimiter", flag), want)


@needs_cli
def test_a_bad_delimiter_is_a_usage_error_or_e_input(tmp_path: Path) -> None:
    _, model = _numeric_model(tmp_path)
    data = _put(tmp_path, "x.csv", "a,b,c\n1,2,3\n")
    assert _cli(model, data, "predict", "--delimiter", ";;").returncode == 2
    done = _cli(model, data, "predict", "--delimiter", '"')
    assert done.returncode == 1 and "E_INPUT" in done.stderr, done.stderr


@needs_cli
def test_blank_lines_are_skipped_as_pandas_skips_them(tmp_path: Path) -> None:
    ct, model = _strings_model(tmp_path)
    text = 'city,age,note\n  \nLyon,1,x\n\t\n" ",2,"a\n  \nb"\n \t \nParis,3,z\n'
    data = _put(tmp_path, "x.csv", text)
    frame = pd.read_csv(data)
    assert len(frame) == 3
    _same(_cli_matrix(model, data, "transform"), ct.transform(frame))


@needs_cli
def test_zero_rows_are_e_input(tmp_path: Path) -> None:
    _, numeric = _numeric_model(tmp_path)
    _, strings = _strings_model(tmp_path)
    for model, header in [(numeric, "a,b,c"), (strings, "city,age,note")]:
        for text in ["", "\n \n", f"{header}\n", f"{header}\n\n  \n"]:
            data = _put(tmp_path, "x.csv", text)
            done = _cli(model, data, "predict" if model == numeric else "transform")
            assert done.returncode == 1, text
            assert "E_INPUT" in done.stderr and "no data rows" in done.stderr, done.stderr
            with pytest.raises(testee._Fail) as info:
                testee._read_csv(str(data), model.read_bytes())
            assert info.value.code == "E_INPUT"


def _expected(path: Path, kinds: dict[str, str], **kw: Any) -> dict[str, list[Any]]:
    """`pd.read_csv(path)` with its defaults, each column as scikit-learn converts it: a
    numeric one by float() per cell (check_array), a string one as is."""
    frame = pd.read_csv(path, **kw)
    out = {}
    for name, kind in kinds.items():
        cells = frame[name].tolist()
        if kind == "numeric":
            out[name] = [float(c) for c in cells]
        else:
            out[name] = [None if isinstance(c, float) and np.isnan(c) else c for c in cells]
    return out


def _read(path: Path, model: Path, kinds: dict[str, str]) -> dict[str, list[Any]]:
    X = testee._read_csv(str(path), model.read_bytes())
    out = {}
    for name, kind in kinds.items():
        cells = X[name].tolist()
        if kind == "numeric":
            out[name] = [float(c) for c in cells]
        else:
            out[name] = [None if isinstance(c, float) and np.isnan(c) else c for c in cells]
    return out


def _equal(a: dict[str, list[Any]], b: dict[str, list[Any]]) -> bool:
    def key(v: Any) -> Any:
        return "NaN" if isinstance(v, float) and np.isnan(v) else v

    return {k: [key(v) for v in vs] for k, vs in a.items()} == {
        k: [key(v) for v in vs] for k, vs in b.items()
    }


@pytest.mark.parametrize(
    "text",
    [
        _MISSING,
        'city,age,note\n" NA ",1,x\nNA ,2,y\n"",,z\n',  # spaces: text, not missing
        'age,city,note,extra\n1,Lyon,x,9\n\n  \n2,"Par\nis",y,9\n',
        'city,age,note\n"a, ""b""",1e3,x\nNice, 4 ,y\n',
    ],
)
def test_the_python_testee_reads_what_pandas_reads(tmp_path: Path, text: str) -> None:
    _, model = _strings_model(tmp_path)
    data = _put(tmp_path, "x.csv", text)
    kinds = {"city": "string", "age": "numeric"}
    got, want = _read(data, model, kinds), _expected(data, kinds)
    assert _equal(got, want), (got, want)


@needs_cli
def test_without_names_a_first_line_that_could_be_either_is_refused(tmp_path: Path) -> None:
    from sklearn.preprocessing import OrdinalEncoder

    X = np.array([["Lyon", "a"], ["Paris", "b"], ["Nice", "a"]], dtype=object)
    enc = OrdinalEncoder().fit(X)
    model = tmp_path / "o.amber"
    amber.dump(enc, model)
    data = _put(tmp_path, "x.csv", "Lyon,b\nNice,a\n")
    done = _cli(model, data, "transform")
    assert done.returncode == 1 and "E_INPUT" in done.stderr, done.stderr
    assert "--header or --no-header" in done.stderr, done.stderr
    with pytest.raises(testee._Fail) as info:
        testee._read_csv(str(data), model.read_bytes())
    assert info.value.code == "E_INPUT"
    bare = pd.read_csv(data, header=None).to_numpy(dtype=object)
    _same(_cli_matrix(model, data, "transform", "--no-header"), enc.transform(bare))
    headed = pd.read_csv(data).to_numpy(dtype=object)
    _same(_cli_matrix(model, data, "transform", "--header"), enc.transform(headed))
