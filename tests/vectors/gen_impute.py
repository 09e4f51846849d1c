"""Corpus cases of SimpleImputer, MissingIndicator and KNNImputer (spec/estimators.md
section 18), imported by generate.py (FAMILY_MODULES): `cases(version, g)` builds the
valid cases of a scikit-learn version (written as <case>-sk<version>).

Run as a script under the pinned scikit-learn, after generate.py, it writes the invalid
files of the imputer body rules, each derived from one of these valid cases and damaged in
exactly one way:

    .venv/bin/python tests/vectors/gen_impute.py            # writes tests/vectors/invalid/

Numeric inputs hold NaN in the middle of rows (imputed, never refused). String inputs are
pandas DataFrames whose object columns hold NaN for a missing cell (what pandas reads from
an empty CSV cell), written as input.csv; their imputers feed an encoder, so the expected
output is numbers.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.impute import KNNImputer, MissingIndicator, SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder

SEED = 20241205
N_TRAIN, N_TEST = 80, 40
NAMES = ["age", "income", "score", "empty", "rate"]

#: KNNImputer tolerances (spec/estimators.md section 18.4): uniform means of k saved values
#: in another order; distance weights also carry the distances' BLAS rounding.
KNN_UNIFORM_RTOL = 1e-12
KNN_DISTANCE_RTOL = 1e-10


#: Column scales and offsets: far apart for the imputers that copy values, close for KNN,
#: whose nan_euclidean distance loses every digit in scikit-learn itself when a row's present
#: cells are tiny next to the other row's absent ones (spec/estimators.md section 18.4).
WIDE = ([12.0, 3000.0, 0.5, 1.0, 0.01], [40.0, 5e4, 0.0, 0.0, 0.2])
CLOSE = ([1.0, 2.0, 0.5, 1.0, 1.5], [3.0, -1.0, 0.0, 0.0, 0.5])


def _numbers(seed: int, n: int, p_missing: float = 0.2, scales=WIDE) -> np.ndarray:
    """Five columns, NaN anywhere, column 3 all NaN."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 5)) * scales[0] + scales[1]
    X[rng.rand(n, 5) < p_missing] = np.nan
    X[:, 3] = np.nan
    return X


def _train_test(seed: int, scales=WIDE) -> tuple[np.ndarray, np.ndarray]:
    train = _numbers(seed, N_TRAIN, scales=scales)
    test = _numbers(seed + 1, N_TEST, p_missing=0.3, scales=scales)
    test[0] = np.nan  # a row with nothing present
    test[1] = train[0]  # a training row, bit for bit
    test[2, :] = -0.0
    return train, test


def _close(seed: int) -> tuple[np.ndarray, np.ndarray]:
    return _train_test(seed, scales=CLOSE)


def _minus_one_continuous(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Continuous values in [0, 5) with -1 for missing (no ties among distances)."""
    rng = np.random.RandomState(seed)

    def make(n: int) -> np.ndarray:
        X = rng.uniform(0.0, 5.0, size=(n, 4))
        X[rng.rand(n, 4) < 0.25] = -1.0
        return X

    return make(N_TRAIN), make(N_TEST)


def _rounded(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Few distinct values, so most_frequent has ties (the smallest wins)."""
    train, test = _train_test(seed)
    return np.round(train / [12.0, 3000.0, 0.5, 1.0, 0.01]), test


def _fit(est: Any, train: Any, test: Any):
    return est.fit(train), train, None, test


def _simple(seed: int, data=_train_test, frame: bool = False, **params: Any):
    def build():
        train, test = data(seed)
        if frame:
            train = pd.DataFrame(train, columns=NAMES)
        return _fit(SimpleImputer(**params), train, test)

    return build


def _minus_one(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Integer-valued floats with -1 for missing and no NaN (scikit-learn refuses NaN when
    missing_values is a number)."""
    rng = np.random.RandomState(seed)

    def make(n: int) -> np.ndarray:
        X = rng.randint(0, 6, size=(n, 4)).astype(np.float64)
        X[rng.rand(n, 4) < 0.25] = -1.0
        return X

    train, test = make(N_TRAIN), make(N_TEST)
    train[:, 2] = -1.0  # all missing in training
    return train, test


def _indicator(seed: int, data=_train_test, **params: Any):
    def build():
        train, test = data(seed)
        if data is _train_test:
            train[:, 4] = np.abs(train[:, 4])  # no missing in fit: not in features_
            test[5, 4] = np.nan  # missing at transform: no column (error_on_new=False)
        return _fit(MissingIndicator(**params), train, test)

    return build


def _knn(seed: int, data=_close, **params: Any):
    def build():
        train, test = data(seed)
        return _fit(KNNImputer(**params), train, test)

    return build


def _knn_methods(est: Any, X: Any) -> dict[str, dict[str, Any]]:
    rtol = KNN_DISTANCE_RTOL if est.weights == "distance" else KNN_UNIFORM_RTOL
    # Outputs near 0 (a column centred at 0): absolute error relative to the column's scale.
    scale = float(np.nanmax(np.abs(est._fit_X))) if np.isfinite(est._fit_X).any() else 1.0
    return {"transform": {"exact": False, "rtol": rtol, "atol": rtol * scale}}


def _exact(est: Any, X: Any) -> dict[str, dict[str, Any]]:
    return {"transform": {"exact": True}}


def _mask(est: Any, X: Any) -> dict[str, dict[str, Any]]:
    """scikit-learn's bool mask, expected as f64 1.0 / 0.0 (spec/estimators.md 18.3)."""
    return {"transform": {"exact": True, "as_f64": True}}


# ---------------------------------------------------------------------------- string tables

CITIES = ["Paris", "Lyon", "Nice", "Lille", "Brest"]
PLANS = ["basic", "pro", "team"]


def _strings_frame(seed: int, n: int, unknown: bool = False) -> pd.DataFrame:
    rng = np.random.RandomState(seed)

    def col(values: list[str], p_missing: float) -> pd.Series:
        out: list[Any] = list(rng.choice(values, size=n, p=None))
        for i in np.flatnonzero(rng.rand(n) < p_missing):
            out[i] = np.nan
        return pd.Series(out, dtype=object)

    frame = pd.DataFrame({"city": col(CITIES, 0.2), "plan": col(PLANS, 0.1)})
    frame.loc[0, "plan"] = np.nan  # a missing plan in every frame
    if unknown:
        frame.loc[1, "city"] = np.nan
        frame.loc[1, "plan"] = np.nan
    return frame


def _string_pipeline(seed: int, imputer: SimpleImputer, encoder: Any):
    def build():
        train = _strings_frame(seed, N_TRAIN)
        test = _strings_frame(seed + 1, N_TEST, unknown=True)
        est = Pipeline([("impute", imputer), ("encode", encoder)]).fit(train)
        return est, train, None, test

    return build


# ---------------------------------------------------------------------------- cases


def cases(version: str, g: Any) -> list[Any]:
    """This family's cases for `version`; `g` is the generator module (its Case)."""

    def case(
        name: str,
        description: str,
        build: Callable,
        methods=_exact,
        names: bool = False,
    ) -> Any:
        return g.Case(
            f"{name}-sk{version}",
            description,
            build,
            feature_names=names,
            methods=methods,
        )

    s = SEED
    return [
        case(
            "simple_imputer_mean",
            "SimpleImputer() on NaN anywhere; column 3 all-missing in fit is dropped",
            _simple(s),
        ),
        case(
            "simple_imputer_median_indicator",
            "SimpleImputer(strategy='median', "
            "add_indicator=True): indicator columns for the training columns with NaN",
            _simple(s + 1, strategy="median", add_indicator=True),
        ),
        case(
            "simple_imputer_most_frequent",
            "SimpleImputer(strategy='most_frequent') on rounded values: ties go to the smallest",
            _simple(s + 2, _rounded, strategy="most_frequent"),
        ),
        case(
            "simple_imputer_constant",
            "SimpleImputer(strategy='constant'): fill 0; the "
            "all-missing column dropped (1.9.1) or kept (1.3.2)",
            _simple(s + 3, strategy="constant"),
        ),
        case(
            "simple_imputer_constant_keep_empty",
            "SimpleImputer(strategy='constant', fill_value=-7.25, keep_empty_features=True)",
            _simple(s + 4, strategy="constant", fill_value=-7.25, keep_empty_features=True),
        ),
        case(
            "simple_imputer_mean_keep_empty",
            "SimpleImputer(keep_empty_features=True): the all-missing column is filled with 0",
            _simple(s + 5, keep_empty_features=True),
        ),
        case(
            "simple_imputer_missing_minus_one",
            "SimpleImputer(missing_values=-1, "
            "strategy='median', add_indicator=True) on integer-valued floats",
            _simple(
                s + 6,
                _minus_one,
                missing_values=-1,
                strategy="median",
                add_indicator=True,
            ),
        ),
        case(
            "simple_imputer_dataframe",
            "SimpleImputer(strategy='most_frequent') fitted on "
            "a numeric DataFrame (feature names saved)",
            _simple(s + 7, _rounded, frame=True, strategy="most_frequent"),
            names=True,
        ),
        case(
            "missing_indicator_missing_only",
            "MissingIndicator(error_on_new=False): column 4 "
            "has no NaN in fit, one at transform, and is not output",
            _indicator(s + 8, error_on_new=False),
            _mask,
        ),
        case(
            "missing_indicator_all",
            "MissingIndicator(features='all')",
            _indicator(s + 9, features="all"),
            _mask,
        ),
        case(
            "missing_indicator_minus_one",
            "MissingIndicator(missing_values=-1, features='all', error_on_new=False)",
            _indicator(
                s + 10,
                _minus_one,
                missing_values=-1,
                features="all",
                error_on_new=False,
            ),
            _mask,
        ),
        case(
            "knn_imputer_uniform",
            "KNNImputer() (5 neighbours, uniform): nan_euclidean "
            "distances, the all-missing column dropped",
            _knn(s + 11),
            _knn_methods,
        ),
        case(
            "knn_imputer_distance_indicator",
            "KNNImputer(n_neighbors=3, weights='distance', add_indicator=True)",
            _knn(s + 12, n_neighbors=3, weights="distance", add_indicator=True),
            _knn_methods,
        ),
        case(
            "knn_imputer_keep_empty",
            "KNNImputer(n_neighbors=2, keep_empty_features=True): the all-missing column is 0",
            _knn(s + 13, n_neighbors=2, keep_empty_features=True),
            _knn_methods,
        ),
        case(
            "knn_imputer_many_neighbors",
            "KNNImputer(n_neighbors=79): donors at a NaN "
            "distance weigh 0 (UNIFORM, 1.9.1) or 1 (UNIFORM_ALL, 1.3.2)",
            _knn(s + 14, n_neighbors=79),
            _knn_methods,
        ),
        case(
            "knn_imputer_missing_minus_one",
            "KNNImputer(missing_values=-1, n_neighbors=4, "
            "weights='distance') on integer-valued floats",
            _knn(
                s + 15,
                _minus_one_continuous,
                missing_values=-1,
                n_neighbors=4,
                weights="distance",
            ),
            _knn_methods,
        ),
        case(
            "simple_imputer_strings_most_frequent",
            "Pipeline(SimpleImputer(strategy='most_frequent'), "
            "OneHotEncoder(sparse_output=False)) on string columns with missing cells; "
            "input.csv only",
            _string_pipeline(
                s + 16,
                SimpleImputer(strategy="most_frequent"),
                OneHotEncoder(handle_unknown="ignore", sparse_output=False),
            ),
            names=True,
        ),
        case(
            "simple_imputer_strings_constant",
            "Pipeline(SimpleImputer(strategy='constant', "
            "fill_value='unknown'), OrdinalEncoder()): the fill is a category",
            _string_pipeline(
                s + 17,
                SimpleImputer(strategy="constant", fill_value="unknown"),
                OrdinalEncoder(),
            ),
            names=True,
        ),
    ]


# ---------------------------------------------------------------------------- invalid files

HERE = Path(__file__).resolve().parent


def _invalid(pb: Any) -> list[tuple[str, str, str, str, Callable[[Any], None]]]:
    """(name, base case, code, description, edit of the manifest)."""

    def simple(edit):
        return lambda m: edit(m.estimator.simple_imputer)

    def knn(edit):
        return lambda m: edit(m.estimator.knn_imputer)

    def drop_fill(s):
        del s.fills[-1]

    def no_kind(s):
        s.fills[0].Clear()

    def nan_number(s):
        s.missing_values.number = math.nan

    def indicator_missing(s):
        s.indicator.missing_values.number = 5.0

    def indicator_error(s):
        s.indicator.error_on_new = True

    def text_knn(k):
        k.missing_values.text = "?"

    def zero_k(k):
        k.n_neighbors = 0

    def weights(k):
        k.weights = pb.KNN_WEIGHTS_UNSPECIFIED

    def n_valid(k):
        k.n_valid += 1

    return [
        (
            "simple_imputer_fills_count",
            "simple_imputer_mean",
            "E_MODEL",
            "SimpleImputer rule 3: one fill fewer than n_features_in",
            simple(drop_fill),
        ),
        (
            "simple_imputer_fill_no_kind",
            "simple_imputer_mean",
            "E_MODEL",
            "SimpleImputer rule 2: a fill without a kind",
            simple(no_kind),
        ),
        (
            "simple_imputer_missing_nan_number",
            "simple_imputer_mean",
            "E_MODEL",
            "SimpleImputer rule 1: missing_values is a NaN number, not the nan kind",
            simple(nan_number),
        ),
        (
            "simple_imputer_indicator_missing_values",
            "simple_imputer_median_indicator",
            "E_MODEL",
            "SimpleImputer rule 5: the indicator's missing_values is not the imputer's",
            simple(indicator_missing),
        ),
        (
            "simple_imputer_indicator_error_on_new",
            "simple_imputer_median_indicator",
            "E_MODEL",
            "SimpleImputer rule 5: the indicator has error_on_new",
            simple(indicator_error),
        ),
        (
            "knn_imputer_missing_text",
            "knn_imputer_uniform",
            "E_MODEL",
            "KnnImputer rule 1: a string missing value",
            knn(text_knn),
        ),
        (
            "knn_imputer_n_neighbors_zero",
            "knn_imputer_uniform",
            "E_MODEL",
            "KnnImputer rule 3: n_neighbors 0",
            knn(zero_k),
        ),
        (
            "knn_imputer_n_valid_wrong",
            "knn_imputer_uniform",
            "E_MODEL",
            "KnnImputer rule 5: n_valid is one more than valid_mask's true values",
            knn(n_valid),
        ),
        (
            "knn_imputer_weights_unspecified",
            "knn_imputer_uniform",
            "E_MODEL",
            "KnnImputer rule 2: weights UNSPECIFIED",
            knn(weights),
        ),
    ]


def _tensor_edits(pb: Any, container: Any):
    """Invalid files that change a tensor's bytes: (name, base, code, description, f(model))."""

    def rewrite(model: bytes, est_path: Callable[[Any], Any], field: str, fn) -> bytes:
        c = container.read_container(model)
        m = c.manifest
        name = getattr(est_path(m), field)
        tensors = []
        for t in c.all_tensors():
            if t.name == name:
                arr = fn(np.array(c.array(name)))
                t = container.Tensor.from_array(name, arr)
            tensors.append(t)
        return container.write_container(m, tensors)

    def ind(m: Any) -> Any:
        return m.estimator.missing_indicator

    def kn(m: Any) -> Any:
        return m.estimator.knn_imputer

    def descending(a):
        return a[::-1].copy()

    def out_of_range(a):
        a = a.copy()
        a[-1] = 99
        return a

    def flip_mask(a):
        a = a.copy()
        a[0, 0] = not a[0, 0]
        return a

    def flip_valid(a):
        a = a.copy()
        a[3] = True
        return a

    def infinite(a):
        a = a.copy()
        idx = np.argwhere(~np.isnan(a))[0]
        a[tuple(idx)] = np.inf
        return a

    def bool_byte_two(model: bytes) -> bytes:
        c = container.read_container(model)
        m = c.manifest
        name = m.estimator.knn_imputer.mask_fit_x
        tensors = []
        for t in c.all_tensors():
            if t.name == name:
                raw = np.array(c.array(name)).view(np.uint8).copy()
                raw[np.flatnonzero(raw == 1)[0]] = 2  # a missing cell's True, as the byte 2
                t = container.Tensor(t.name, t.dtype, t.shape, memoryview(raw.reshape(-1)))
            tensors.append(t)
        return container.write_container(m, tensors)

    return [
        (
            "knn_imputer_mask_bool_byte_two",
            "knn_imputer_uniform",
            "E_MODEL",
            "KnnImputer rule 4: a byte of the bool tensor mask_fit_x is 2 (where a True belongs)",
            bool_byte_two,
        ),
        (
            "missing_indicator_features_descending",
            "missing_indicator_all",
            "E_MODEL",
            "MissingIndicator rule 3: features not ascending",
            lambda b: rewrite(b, ind, "features", descending),
        ),
        (
            "missing_indicator_feature_out_of_range",
            "missing_indicator_all",
            "E_MODEL",
            "MissingIndicator rule 3: a feature index >= n_features_in",
            lambda b: rewrite(b, ind, "features", out_of_range),
        ),
        (
            "knn_imputer_mask_not_fit_x",
            "knn_imputer_uniform",
            "E_MODEL",
            "KnnImputer rule 5: mask_fit_x[0, 0] is not whether fit_x[0, 0] is missing",
            lambda b: rewrite(b, kn, "mask_fit_x", flip_mask),
        ),
        (
            "knn_imputer_valid_mask_wrong",
            "knn_imputer_uniform",
            "E_MODEL",
            "KnnImputer rule 5: valid_mask says the all-missing column 3 has a present cell",
            lambda b: rewrite(b, kn, "valid_mask", flip_valid),
        ),
        (
            "knn_imputer_fit_x_infinite",
            "knn_imputer_uniform",
            "E_MODEL",
            "KnnImputer rule 6: a present cell of fit_x is infinite",
            lambda b: rewrite(b, kn, "fit_x", infinite),
        ),
    ]


def invalid_files(
    models: dict[str, bytes], g: Any
) -> list[tuple[str, tuple[str, str, str, bytes]]]:
    """(base case, (name, code, description, bytes)) of this family's invalid files, derived
    from the pinned version's cases in `models` (generate.py's invalid_cases calls it)."""
    from amber import _container
    from amber._proto.amber.v1 import amber_pb2 as pb

    version = f"-sk{g.PINNED}"
    out = []
    for name, base, code, description, edit in _invalid(pb):
        c = _container.read_container(models[base + version])
        m = c.manifest
        edit(m)
        blob = _container.write_container(m, c.all_tensors())
        out.append((base + version, (name, code, description, blob)))
    for name, base, code, description, fn in _tensor_edits(pb, _container):
        out.append((base + version, (name, code, description, fn(models[base + version]))))
    return out


def write_invalid() -> None:
    """Writes this family's invalid files from the corpus's valid models (as generate.py's
    write_invalid does for all of them)."""
    sys.path.insert(0, str(HERE))
    import generate as g

    models = {
        p.name: (p / "model.amber").read_bytes()
        for p in (HERE / "valid").iterdir()
        if p.name.endswith(f"-sk{g.PINNED}")
    }
    files = invalid_files(models, g)
    w = g.Writer(HERE)
    for base, (name, code, description, blob) in files:
        try:
            g.amber.validate(blob)
        except g.amber.AmberError as exc:
            if exc.code != code:
                raise SystemExit(f"invalid/{name}: expected {code}, got {exc}") from None
        else:
            raise SystemExit(f"invalid/{name}: expected {code}, the reader accepts it")
        w.write(f"invalid/{name}.amber", blob)
        meta = {
            "code": code,
            "description": description,
            "derived_from": f"valid/{base}",
        }
        w.write(f"invalid/{name}.json", g._json(meta).encode())


if __name__ == "__main__":
    write_invalid()
