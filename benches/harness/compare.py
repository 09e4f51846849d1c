"""The comparison harness: Amber against every peer, on the models of bench-models.md.

Run it through `benches/harness/run.sh [--quick] [--out DIR]`, which creates the venv, builds
the Rust binaries and passes their paths here. For each model it fits the estimator exactly as
`../shared/bench-models.md` says (scikit-learn's generators, fixed seeds), then measures, in
this one process and on this one machine, every peer and Amber on that same fitted object:

    file size; save (best of 3); load (best of 5); cold start (a fresh process that loads the
    file and predicts one row, median of 3); single-row latency (median of 1,000 calls after a
    warm-up); batch throughput on 10,000 rows (best of 3); fidelity against scikit-learn's own
    outputs on those rows (label mismatches, max abs difference of probabilities / values).

Prediction is single-threaded everywhere (BLAS/OpenMP limited to 1 thread, ONNX Runtime
intra/inter-op 1, treelite nthread=1, the Amber probe and CLI with RAYON_NUM_THREADS=1), so the rows
compare implementations, not core counts. Writes results.md, results.json and chart.png to the
output folder; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import importlib.metadata
import json
import os
import pickle
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

T0 = time.perf_counter()
SINGLE_THREAD_ENV = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    # Amber's Rust crates may parallelise with rayon: held to one thread like every peer.
    "RAYON_NUM_THREADS": "1",
}


def log(msg: str) -> None:
    print(f"[{time.perf_counter() - T0:7.1f}s] {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# The model set (../shared/bench-models.md). `quick` shrinks n_samples and the ensembles.
# --------------------------------------------------------------------------------------------


@dataclass
class ModelSpec:
    name: str
    generator: str  # make_classification | make_regression | tabular_frame (bench_frames.py)
    data: dict[str, Any]
    estimator: str  # the constructor, as written in bench-models.md
    build: Callable[[bool], Any]
    trees: bool = False
    forest: bool = False
    # Rows of the CSV that `amber predict` and pandas.read_csv + predict both read (issue #9's
    # CLI target); 0: no such figure. `--quick` divides it by 10.
    big_csv_rows: int = 0

    @property
    def frame(self) -> bool:
        """The data is a pandas DataFrame (named columns, strings, missing values)."""
        return self.generator == "tabular_frame"


def _specs() -> list[ModelSpec]:
    from sklearn.ensemble import (
        GradientBoostingRegressor,
        HistGradientBoostingClassifier,
        RandomForestClassifier,
        RandomForestRegressor,
    )
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    from bench_frames import CATEGORICAL, NUMERIC

    def n_est(full: int, quick: bool) -> int:
        return 10 if quick else full

    return [
        ModelSpec(
            "linear",
            "make_classification",
            dict(n_samples=10_000, n_features=100, n_informative=20, n_classes=10, random_state=0),
            "Pipeline([StandardScaler(), LogisticRegression(max_iter=1000)])",
            lambda q: make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)),
        ),
        ModelSpec(
            "rf_clf",
            "make_classification",
            dict(n_samples=20_000, n_features=20, n_informative=10, n_classes=2, random_state=1),
            "RandomForestClassifier(n_estimators=100, random_state=0)",
            lambda q: RandomForestClassifier(n_estimators=n_est(100, q), random_state=0, n_jobs=-1),
            trees=True,
            forest=True,
        ),
        ModelSpec(
            "rf_big",
            "make_regression",
            dict(n_samples=40_000, n_features=20, n_informative=10, noise=10.0, random_state=2),
            "RandomForestRegressor(n_estimators=100, random_state=0)",
            lambda q: RandomForestRegressor(n_estimators=n_est(100, q), random_state=0, n_jobs=-1),
            trees=True,
            forest=True,
        ),
        ModelSpec(
            "hgb",
            "make_classification",
            dict(n_samples=20_000, n_features=20, n_informative=10, n_classes=2, random_state=3),
            "HistGradientBoostingClassifier(max_iter=200, random_state=0)",
            lambda q: HistGradientBoostingClassifier(max_iter=20 if q else 200, random_state=0),
            trees=True,
        ),
        ModelSpec(
            "gbr",
            "make_regression",
            dict(n_samples=10_000, n_features=20, n_informative=10, noise=10.0, random_state=4),
            "GradientBoostingRegressor(n_estimators=200, random_state=0)",
            lambda q: GradientBoostingRegressor(n_estimators=20 if q else 200, random_state=0),
            trees=True,
        ),
        ModelSpec(
            "knn",
            "make_classification",
            dict(n_samples=10_000, n_features=20, n_informative=10, n_classes=2, random_state=5),
            "KNeighborsClassifier()",
            lambda q: KNeighborsClassifier(),
        ),
        ModelSpec(
            "svc",
            "make_classification",
            dict(n_samples=5_000, n_features=20, n_informative=10, n_classes=2, random_state=6),
            'SVC(kernel="rbf")',
            lambda q: SVC(kernel="rbf"),
        ),
        ModelSpec(
            "tabular",
            "tabular_frame",
            dict(n_rows=20_000, seed=7),
            'Pipeline([ColumnTransformer([("num", Pipeline([SimpleImputer(strategy="median"), '
            'StandardScaler()]), NUMERIC), ("cat", Pipeline([SimpleImputer(strategy="constant", '
            'fill_value="missing"), OneHotEncoder(handle_unknown="ignore")]), list(CATEGORICAL)), '
            '("flag", "passthrough", ["member"])]), LogisticRegression(max_iter=1000)])',
            lambda q: _tabular_pipeline(NUMERIC, list(CATEGORICAL)),
            big_csv_rows=1_000_000,
        ),
        ModelSpec(
            "tabular_hgb",
            "tabular_frame",
            dict(n_rows=20_000, seed=7, category_dtypes=True),
            'HistGradientBoostingClassifier(max_iter=200, categorical_features="from_dtype", '
            "random_state=0)",
            lambda q: HistGradientBoostingClassifier(
                max_iter=20 if q else 200, categorical_features="from_dtype", random_state=0
            ),
            trees=True,
        ),
        ModelSpec(
            "stacking",
            "make_classification",
            dict(n_samples=20_000, n_features=20, n_informative=10, n_classes=2, random_state=1),
            'StackingClassifier([("rf", RandomForestClassifier(n_estimators=50, random_state=0)), '
            '("hgb", HistGradientBoostingClassifier(max_iter=100, random_state=0)), '
            '("lr", Pipeline([StandardScaler(), LogisticRegression()]))], '
            "final_estimator=LogisticRegression())",
            lambda q: _stacking(n_est(50, q), 10 if q else 100),
            forest=True,
        ),
    ]


def _stacking(n_trees: int, max_iter: int) -> Any:
    """The `stacking` model of bench-models.md: forest, booster and scaled logistic members."""
    from sklearn.ensemble import (
        HistGradientBoostingClassifier,
        RandomForestClassifier,
        StackingClassifier,
    )
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    members = [
        ("rf", RandomForestClassifier(n_estimators=n_trees, random_state=0, n_jobs=-1)),
        ("hgb", HistGradientBoostingClassifier(max_iter=max_iter, random_state=0)),
        ("lr", make_pipeline(StandardScaler(), LogisticRegression())),
    ]
    return StackingClassifier(members, final_estimator=LogisticRegression())


def _tabular_pipeline(numeric: list[str], categorical: list[str]) -> Any:
    """The `tabular` model of bench-models.md, step for step."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    num = Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())])
    cat = Pipeline(
        [
            ("impute", SimpleImputer(strategy="constant", fill_value="missing")),
            ("onehot", OneHotEncoder(handle_unknown="ignore")),
        ]
    )
    columns = ColumnTransformer(
        [("num", num, numeric), ("cat", cat, categorical), ("flag", "passthrough", ["member"])]
    )
    return Pipeline([("columns", columns), ("classifier", LogisticRegression(max_iter=1000))])


@dataclass
class Config:
    quick: bool
    saves: int
    loads: int
    colds: int
    calls: int
    warmup: int
    batches: int
    eval_rows: int
    sample_divisor: int


def config(quick: bool) -> Config:
    if quick:
        return Config(True, 1, 2, 1, 200, 20, 2, 2_000, 10)
    return Config(False, 3, 5, 3, 1_000, 50, 3, 10_000, 1)


# --------------------------------------------------------------------------------------------
# Timing helpers
# --------------------------------------------------------------------------------------------


def timed(fn: Callable[[], Any], repeats: int) -> tuple[list[float], Any]:
    times, result = [], None
    for _ in range(repeats):
        result = None
        gc.collect()
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return times, result


def single_row(fn: Callable[[Any], Any], x: Any, calls: int, warmup: int) -> list[float]:
    """Latency of fn on one row; call i uses row i % n (as the Rust probe does)."""
    n = len(x)
    rows = [x[i % n : i % n + 1] for i in range(max(calls, warmup))]
    for r in rows[:warmup]:
        fn(r)
    times = []
    perf = time.perf_counter
    for r in rows[:calls]:
        start = perf()
        fn(r)
        times.append(perf() - start)
    return times


def cold_start(cmd: list[str], repeats: int) -> list[float]:
    env = {**os.environ, **SINGLE_THREAD_ENV}
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
        elapsed = time.perf_counter() - start
        if proc.returncode != 0:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            raise RuntimeError(f"exit {proc.returncode}: {' | '.join(tail)}")
        times.append(elapsed)
    return times


def describe(exc: BaseException) -> str:
    """`Type: first line` of an exception and of up to two of its causes, root cause last.

    Converters put whole attribute dumps in their messages (skl2onnx's is 300 kB), so only the
    first line of each is kept.
    """
    parts: list[str] = []
    e: BaseException | None = exc
    while e is not None and len(parts) < 3:
        text = str(e).strip()
        first = text.splitlines()[0] if text else ""
        first = first if len(first) <= 300 else first[:299] + "…"
        parts.append(f"{type(e).__name__}: {first}")
        e = e.__cause__ or (None if e.__suppress_context__ else e.__context__)
    return " <- ".join(parts)


class StepFailure(Exception):
    """A peer failed at one step; the row shows it from that column on."""

    def __init__(self, step: str, error: BaseException | str) -> None:
        self.step = step
        self.error = error if isinstance(error, str) else describe(error)
        super().__init__(f"{step}: {self.error}")


# --------------------------------------------------------------------------------------------
# Implementations. Each measures itself and fills a result dict; a failing step raises
# StepFailure and the figures measured before it are kept.
# --------------------------------------------------------------------------------------------


@dataclass
class Ctx:
    spec: ModelSpec
    model: Any  # the fitted scikit-learn estimator
    x_eval: Any  # float64 C-contiguous ndarray, or the frame's rows (DataFrame); eval_rows rows
    x_eval_path: Path  # what the Rust probe reads: x_eval.npy, or x_eval.csv (X.to_csv)
    x_one_path: Path  # one row, for the Python cold starts: x_one.npy, or x_one.pkl (DataFrame)
    x_one_cli: Path  # one row, for the `amber predict` cold start: x_one.npy or x_one.csv
    work: Path
    cfg: Config
    is_classifier: bool
    score_method: str | None  # predict_proba / decision_function / None (regressor)
    reference: dict[str, np.ndarray]
    python: str
    probe: Path | None
    cli: Path | None
    frame: bool = False  # x_eval is a DataFrame
    amber_file: Path | None = None  # written by amber.dump, read by the Rust rows
    amber_status: str | None = None  # None = fine, else "not supported yet" / "fails"
    amber_error: str = "did not run"
    results: dict[str, Any] = field(default_factory=dict)


def _step(name: str, fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except StepFailure:
        raise
    except BaseException as exc:  # a peer may raise anything, even SystemExit-like errors
        if isinstance(exc, KeyboardInterrupt):
            raise
        raise StepFailure(name, exc) from exc


def read_one(ctx: Ctx) -> tuple[str, str]:
    """(import line, expression) reading the one-row input at sys.argv[2] in a cold start."""
    if ctx.frame:
        return "import pandas as pd", "pd.read_pickle(sys.argv[2])"
    return "import numpy as np", "np.load(sys.argv[2])"


def sklearn_outputs(est: Any, ctx: Ctx) -> dict[str, np.ndarray]:
    out = {"predict": np.asarray(est.predict(ctx.x_eval))}
    if ctx.score_method:
        out[ctx.score_method] = np.asarray(getattr(est, ctx.score_method)(ctx.x_eval))
    return out


def measure_predict(r: dict[str, Any], ctx: Ctx, fn: Callable[[Any], Any], x: np.ndarray) -> None:
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        r["single_row_s"] = _step(
            "single row", lambda: single_row(fn, x, ctx.cfg.calls, ctx.cfg.warmup)
        )
        r["single_row_median_s"] = statistics.median(r["single_row_s"])
        r["batch_s"], _ = _step("batch", lambda: timed(lambda: fn(x), ctx.cfg.batches))
        r["batch_rows"] = len(x)
        r["batch_rows_per_s"] = len(x) / min(r["batch_s"])


def file_peer(
    r: dict[str, Any],
    ctx: Ctx,
    path: Path,
    save: Callable[[], Any],
    load: Callable[[], Any],
    cold_code: str,
) -> Any:
    """The common flow of a peer that saves a file and loads a scikit-learn object."""
    r["save_s"], _ = _step("save", lambda: timed(save, ctx.cfg.saves))
    r["file_bytes"] = path.stat().st_size
    r["load_s"], est = _step("load", lambda: timed(load, ctx.cfg.loads))
    r["cold_start_s"] = _step(
        "cold start",
        lambda: cold_start(
            [ctx.python, "-c", cold_code, str(path), str(ctx.x_one_path)], ctx.cfg.colds
        ),
    )
    measure_predict(r, ctx, est.predict, ctx.x_eval)
    r["outputs"] = _step("outputs", lambda: sklearn_outputs(est, ctx))
    return est


def run_pickle(r: dict[str, Any], ctx: Ctx) -> None:
    path = ctx.work / "model.pkl"

    def save() -> None:
        with open(path, "wb") as f:
            pickle.dump(ctx.model, f, protocol=5)

    def load() -> Any:
        with open(path, "rb") as f:
            return pickle.load(f)

    imp, one = read_one(ctx)
    code = f"import sys, pickle\n{imp}\nm = pickle.load(open(sys.argv[1], 'rb'))\nm.predict({one})"
    file_peer(r, ctx, path, save, load, code)


def run_joblib(r: dict[str, Any], ctx: Ctx, compress: int) -> None:
    import joblib

    path = ctx.work / f"model-c{compress}.joblib"
    imp, one = read_one(ctx)
    code = f"import sys, joblib\n{imp}\nm = joblib.load(sys.argv[1])\nm.predict({one})"
    file_peer(
        r,
        ctx,
        path,
        lambda: joblib.dump(ctx.model, path, compress=compress),
        lambda: joblib.load(path),
        code,
    )


def run_skops(r: dict[str, Any], ctx: Ctx) -> None:
    import skops.io as sio

    path = ctx.work / "model.skops"

    def load() -> Any:
        # What a careful user does: list the file's types, then trust exactly those.
        return sio.load(path, trusted=sio.get_untrusted_types(file=path))

    imp, one = read_one(ctx)
    code = (
        f"import sys, skops.io as sio\n{imp}\n"
        "m = sio.load(sys.argv[1], trusted=sio.get_untrusted_types(file=sys.argv[1]))\n"
        f"m.predict({one})"
    )
    file_peer(r, ctx, path, lambda: sio.dump(ctx.model, path), load, code)


def _ort_session(path: Path) -> Any:
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


class Columns:
    """A frame as ONNX Runtime inputs: one `[n, 1]` tensor per column, sliced by rows."""

    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        self.arrays = arrays

    def __len__(self) -> int:
        return len(next(iter(self.arrays.values())))

    def __getitem__(self, rows: slice) -> Columns:
        return Columns({k: v[rows] for k, v in self.arrays.items()})


def is_text(series: Any) -> bool:
    """A pandas column of strings (object, str or category dtype)."""
    return series.dtype.kind in "OUT" or str(series.dtype) in ("category", "str", "string")


def onnx_frame(ctx: Ctx, dtype: type) -> tuple[list[tuple[str, Any]], Columns]:
    """skl2onnx's initial types for a frame (a string tensor per string column, `dtype` for
    numbers and booleans) and its rows as those tensors. ONNX string tensors cannot hold a
    missing value, so a missing string is fed as "" (converted once, untimed)."""
    from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType, StringTensorType

    number = FloatTensorType if dtype is np.float32 else DoubleTensorType
    types, arrays = [], {}
    for name in ctx.x_eval.columns:
        col = ctx.x_eval[name]
        if is_text(col):
            types.append((name, StringTensorType([None, 1])))
            cells = [v if isinstance(v, str) else "" for v in col.astype(object)]
            arrays[name] = np.array(cells, dtype=object).reshape(-1, 1)
        else:
            types.append((name, number([None, 1])))
            arrays[name] = np.ascontiguousarray(col.to_numpy().astype(dtype).reshape(-1, 1))
    return types, Columns(arrays)


def run_onnx(r: dict[str, Any], ctx: Ctx, dtype: type) -> None:
    from skl2onnx import to_onnx

    path = ctx.work / f"model-{np.dtype(dtype).name}.onnx"
    options = {"zipmap": False} if ctx.is_classifier else None
    if ctx.frame:
        types, x = onnx_frame(ctx, dtype)
        sample: dict[str, Any] = {"initial_types": types}
    else:
        # Inputs are converted to the model's dtype once, outside the timed calls.
        x = np.ascontiguousarray(ctx.x_eval.astype(dtype))
        sample = {"X": x[:1]}

    def save() -> None:
        # Saving to ONNX means converting, then writing the protobuf.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # scikit-learn deprecations the converter trips
            onx = to_onnx(ctx.model, options=options, **sample)
        path.write_bytes(onx.SerializeToString())

    r["save_s"], _ = _step("save", lambda: timed(save, ctx.cfg.saves))
    r["file_bytes"] = path.stat().st_size
    r["load_s"], sess = _step("load", lambda: timed(lambda: _ort_session(path), ctx.cfg.loads))
    name = sess.get_inputs()[0].name
    dtype_name = np.dtype(dtype).name
    head = (
        "import sys, numpy as np, onnxruntime as ort\n"
        "so = ort.SessionOptions(); so.intra_op_num_threads = 1; so.inter_op_num_threads = 1\n"
        "s = ort.InferenceSession(sys.argv[1], so, providers=['CPUExecutionProvider'])\n"
    )
    if isinstance(x, Columns):
        one_path = ctx.work / f"x_one-{dtype_name}.npz"
        # Strings saved as numpy unicode (no pickle), back to object arrays for the session.
        np.savez(
            one_path,
            **{k: v.astype(str) if v.dtype == object else v for k, v in x[0:1].arrays.items()},
        )
        code = head + (
            "f = np.load(sys.argv[2])\n"
            "s.run(None, {k: f[k].astype(object) if f[k].dtype.kind == 'U' else f[k] for k in f})"
        )

        def run(rows: Columns) -> Any:
            return sess.run(None, rows.arrays)
    else:
        one_path = ctx.x_one_path
        code = head + (
            f"s.run(None, {{s.get_inputs()[0].name: np.load(sys.argv[2]).astype(np.{dtype_name})}})"
        )

        def run(rows: np.ndarray) -> Any:
            return sess.run(None, {name: rows})

    r["cold_start_s"] = _step(
        "cold start",
        lambda: cold_start([ctx.python, "-c", code, str(path), str(one_path)], ctx.cfg.colds),
    )
    measure_predict(r, ctx, run, x)
    # The same batch on every core: a session with ONNX Runtime's default thread pools.
    import onnxruntime as ort

    every_core = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    feed = x.arrays if isinstance(x, Columns) else {name: x}
    r["batch_all_cores_s"], _ = _step(
        "batch", lambda: timed(lambda: every_core.run(None, feed), ctx.cfg.batches)
    )
    r["batch_all_cores_rows_per_s"] = len(x) / min(r["batch_all_cores_s"])

    def outputs() -> dict[str, np.ndarray]:
        res = run(x)
        if not ctx.is_classifier:
            return {"predict": np.asarray(res[0]).reshape(len(x), -1).squeeze(-1)}
        out = {"predict": np.asarray(res[0])}
        if ctx.score_method and len(res) > 1:
            out[ctx.score_method] = np.asarray(res[1])
        return out

    r["outputs"] = _step("outputs", outputs)


def category_codes(frame: Any) -> np.ndarray:
    """A frame as the float64 matrix a numeric-only runtime takes: each category column as its
    pandas category codes (the category's position in the dtype's sorted categories, which is
    what HistGradientBoosting's `from_dtype` encoder assigns), missing as NaN; booleans 0/1."""
    cols = []
    for name in frame.columns:
        col = frame[name]
        if str(col.dtype) == "category":
            codes = col.cat.codes.to_numpy().astype(np.float64)
            codes[codes < 0] = np.nan
            cols.append(codes)
        else:
            cols.append(col.to_numpy().astype(np.float64))
    return np.ascontiguousarray(np.column_stack(cols))


def run_treelite(r: dict[str, Any], ctx: Ctx) -> None:
    import treelite
    import treelite.gtil
    import treelite.sklearn

    path = ctx.work / "model.treelite"
    # treelite reads numbers only: a frame's categories go in as their codes.
    x = category_codes(ctx.x_eval) if ctx.frame else ctx.x_eval
    one_path = ctx.work / "x_one-codes.npy" if ctx.frame else ctx.x_one_path
    if ctx.frame:
        np.save(one_path, x[:1])

    def save() -> None:
        treelite.sklearn.import_model(ctx.model).serialize(str(path))

    r["save_s"], _ = _step("save", lambda: timed(save, ctx.cfg.saves))
    r["file_bytes"] = path.stat().st_size
    r["load_s"], tl = _step(
        "load", lambda: timed(lambda: treelite.Model.deserialize(str(path)), ctx.cfg.loads)
    )
    code = (
        "import sys, numpy as np, treelite, treelite.gtil\n"
        "m = treelite.Model.deserialize(sys.argv[1])\n"
        "treelite.gtil.predict(m, np.load(sys.argv[2]), nthread=1)"
    )
    r["cold_start_s"] = _step(
        "cold start",
        lambda: cold_start([ctx.python, "-c", code, str(path), str(one_path)], ctx.cfg.colds),
    )

    def predict(rows: np.ndarray) -> np.ndarray:
        return treelite.gtil.predict(tl, rows, nthread=1)

    measure_predict(r, ctx, predict, x)

    def outputs() -> dict[str, np.ndarray]:
        raw = np.asarray(predict(x)).reshape(len(x), -1)
        if not ctx.is_classifier:
            return {"predict": raw[:, 0]}
        # GTIL gives P(class 1) alone for binary boosting, every column for forests.
        proba = np.column_stack([1 - raw[:, 0], raw[:, 0]]) if raw.shape[1] == 1 else raw
        labels = ctx.model.classes_[np.argmax(proba, axis=1)]
        return {"predict": labels, "predict_proba": proba}

    r["outputs"] = _step("outputs", outputs)


def run_amber_python(r: dict[str, Any], ctx: Ctx) -> None:
    import amber

    path = ctx.work / "model.amber"

    def save() -> None:
        try:
            amber.dump(ctx.model, path)
        except amber.AmberError as exc:
            if exc.code == "E_UNSUPPORTED":
                raise NotSupported(str(exc)) from exc
            raise

    try:
        r["save_s"], _ = timed(save, ctx.cfg.saves)
    except NotSupported as exc:
        ctx.amber_status = "not supported yet"
        ctx.amber_error = str(exc)
        raise
    except Exception as exc:
        ctx.amber_status = "fails"
        ctx.amber_error = describe(exc)
        raise StepFailure("save", exc) from exc
    ctx.amber_file = path
    r["file_bytes"] = path.stat().st_size
    small = ctx.work / "model-inference-only.amber"
    _step("save", lambda: amber.dump(ctx.model, small, inference_only=True))
    r["inference_only_bytes"] = small.stat().st_size
    small.unlink()
    r["load_s"], est = _step("load", lambda: timed(lambda: amber.load(path), ctx.cfg.loads))
    imp, one = read_one(ctx)
    code = f"import sys, amber\n{imp}\nm = amber.load(sys.argv[1])\nm.predict({one})"
    r["cold_start_s"] = _step(
        "cold start",
        lambda: cold_start([ctx.python, "-c", code, str(path), str(ctx.x_one_path)], ctx.cfg.colds),
    )
    measure_predict(r, ctx, est.predict, ctx.x_eval)
    r["outputs"] = _step("outputs", lambda: sklearn_outputs(est, ctx))


def cli_cold_start(r: dict[str, Any], ctx: Ctx, path: Path) -> None:
    """The `amber predict` CLI on the one-row input, as a fresh process."""
    if ctx.cli is None or not ctx.cli.exists():
        r["cold_start_error"] = "the amber CLI is not built"
        return
    cmd = [str(ctx.cli), "predict", str(path), "--input", str(ctx.x_one_cli)]
    cmd += ["--output", str(ctx.work / "cli-out.npy")]
    try:
        r["cold_start_s"] = cold_start(cmd, ctx.cfg.colds)
    except Exception as exc:  # the in-process figures still stand
        r["cold_start_error"] = f"{type(exc).__name__}: {exc}"


def run_amber_rust(r: dict[str, Any], ctx: Ctx, mimalloc: bool = False) -> None:
    """The Rust library in the probe (system allocator, or mimalloc as the CLI links it);
    the CLI's cold start goes in the system-allocator row only (the CLI is one binary)."""
    if ctx.amber_file is None:
        if ctx.amber_status == "not supported yet":
            raise NotSupported(ctx.amber_error)
        raise StepFailure("save", f"no .amber file: amber.dump failed: {ctx.amber_error}")
    path = ctx.amber_file
    r["file_bytes"] = path.stat().st_size
    probe_path = ctx.probe
    if mimalloc and probe_path is not None:
        probe_path = probe_path.with_name(probe_path.name + "-mimalloc")
    if probe_path is None or not probe_path.exists():
        raise StepFailure("load", f"{probe_path or 'amber-bench-probe'} is not built")
    out_dir = ctx.work / "probe-out"
    methods = ["predict"] + ([ctx.score_method] if ctx.score_method else [])
    cmd = [
        str(probe_path),
        str(path),
        str(ctx.x_eval_path),
        "--out-dir",
        str(out_dir),
        "--methods",
        ",".join(methods),
        "--loads",
        str(ctx.cfg.loads),
        "--warmup",
        str(ctx.cfg.warmup),
        "--calls",
        str(ctx.cfg.calls),
        "--batches",
        str(ctx.cfg.batches),
    ]
    env = {**os.environ, **SINGLE_THREAD_ENV}
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
    try:
        probe = json.loads(proc.stdout.strip().splitlines()[-1])
    except (json.JSONDecodeError, IndexError):
        raise StepFailure(
            "load", f"probe exit {proc.returncode}: {proc.stderr.strip()[-300:]}"
        ) from None
    if "error" in probe:
        if probe.get("code") in ("E_UNKNOWN_ESTIMATOR", "E_UNSUPPORTED"):
            raise NotSupported(f"Rust: {probe['error']}")
        raise StepFailure("load", str(probe["error"]))
    r["load_s"] = probe["load_s"]
    r["open_first_s"] = probe["open_first_s"]
    r["batch_all_cores_s"] = probe["batch_all_cores_s"]
    r["batch_all_cores_rows_per_s"] = probe["batch_all_cores_rows_per_s"]
    r["probe"] = {k: v for k, v in probe.items() if k not in ("load_s", "single_row_s")}
    if not mimalloc:
        cli_cold_start(r, ctx, path)
    r["single_row_s"] = probe["single_row_s"]
    r["single_row_median_s"] = probe["single_row_median_s"]
    r["batch_s"] = probe["batch_s"]
    r["batch_rows"] = probe["batch_rows"]
    r["batch_rows_per_s"] = probe["batch_rows_per_s"]
    outputs = {}
    for m, v in probe.get("outputs", {}).items():
        if isinstance(v, str):
            outputs[m] = np.load(v)
        elif isinstance(v, dict) and "error" in v:
            raise StepFailure("outputs", f"{m}: {v['error']}")
    r["outputs"] = outputs


class NotSupported(Exception):
    """Amber cannot represent this model yet (E_UNSUPPORTED): shown as such, not a failure."""


# --------------------------------------------------------------------------------------------
# The big CSV (issue #9): a whole file through the `amber predict` CLI against a Python
# process doing pandas.read_csv + scikit-learn's predict on the same file.
# --------------------------------------------------------------------------------------------

PANDAS_PREDICT = """\
import json, sys, time
t0 = time.perf_counter()
import pickle
import numpy as np, pandas as pd, sklearn
t1 = time.perf_counter()
m = pickle.load(open(sys.argv[1], "rb"))
t2 = time.perf_counter()
x = pd.read_csv(sys.argv[2])
t3 = time.perf_counter()
y = m.predict(x)
t4 = time.perf_counter()
np.save(sys.argv[3], y)
t5 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "load_s": t2 - t1, "read_csv_s": t3 - t2,
                  "predict_s": t4 - t3, "save_s": t5 - t4}))
"""


GNU_TIME = Path("/usr/bin/time")


def measured_run(cmd: list[str], env: dict[str, str], log_to: Path) -> dict[str, Any]:
    """Wall time, CPU time and peak RSS of one fresh process, and its stdout.

    The peak RSS comes from GNU time (`%M`), which forks the command from its own small
    process. Without it, from wait4's rusage of a direct child, which on Linux also counts
    the pages of this (large) harness process that the child had before its exec: then the
    figure is only an upper bound and says so."""
    err_path = log_to.with_suffix(".err")
    timing = log_to.with_suffix(".time")
    gnu = GNU_TIME.exists()
    full = [str(GNU_TIME), "-f", "%U %S %M", "-o", str(timing), *cmd] if gnu else cmd
    with open(log_to, "w") as out, open(err_path, "w") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(full, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        tail = err_path.read_text().strip().splitlines()[-3:]
        raise RuntimeError(f"{Path(cmd[0]).name} exit {proc.returncode}: {' | '.join(tail)}")
    if gnu:
        user, sys_, rss_kib = timing.read_text().split()[-3:]
        cpu, rss, how = float(user) + float(sys_), int(rss_kib) * 1024, "GNU time %M"
    else:
        cpu = usage.ru_utime + usage.ru_stime
        rss, how = usage.ru_maxrss * 1024, "wait4 ru_maxrss (upper bound: counts the harness)"
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "peak_rss_bytes": rss,
        "rss_from": how,
        "stdout": log_to.read_text(),
    }


def run_big_csv(spec: ModelSpec, ctx: Ctx) -> dict[str, Any]:
    """`amber predict` (one thread, then every core) and pickle.load + pandas.read_csv +
    predict + np.save (one thread), interleaved, `colds` times each, on one CSV of
    `tabular_frame(big_csv_rows, seed=7)` written by `X.to_csv(index=False)`."""
    from bench_frames import tabular_frame

    if ctx.amber_file is None or ctx.cli is None or not ctx.cli.exists():
        raise RuntimeError(f"no .amber file or no CLI ({ctx.amber_error})")
    rows = spec.big_csv_rows // ctx.cfg.sample_divisor
    csv = ctx.work / "big.csv"
    start = time.perf_counter()
    x, _ = tabular_frame(rows, seed=spec.data["seed"])
    x.to_csv(csv, index=False)
    del x
    out: dict[str, Any] = {"rows": rows, "csv_bytes": csv.stat().st_size}
    out["write_s"] = time.perf_counter() - start
    csv.read_bytes()  # into the page cache, so that no run pays for the disk
    pkl = ctx.work / "big-model.pkl"
    with open(pkl, "wb") as f:
        pickle.dump(ctx.model, f, protocol=5)
    one = {**os.environ, **SINGLE_THREAD_ENV}
    every = {k: v for k, v in one.items() if k != "RAYON_NUM_THREADS"}
    cli = [str(ctx.cli), "predict", str(ctx.amber_file), "--input", str(csv), "--output"]
    runners = {
        "amber_cli": ("`amber predict` CLI, 1 thread", [*cli, str(ctx.work / "a1.npy")], one),
        "amber_cli_all_cores": (
            "`amber predict` CLI, all cores",
            [*cli, str(ctx.work / "a2.npy")],
            every,
        ),
        "pandas_sklearn": (
            "Python: `pickle.load` + `pandas.read_csv` + `predict` + `np.save`, 1 thread",
            [ctx.python, "-c", PANDAS_PREDICT, str(pkl), str(csv), str(ctx.work / "p.npy")],
            one,
        ),
    }
    runs: dict[str, Any] = {
        k: {"label": v[0], "wall_s": [], "cpu_s": [], "peak_rss_bytes": []}
        for k, v in runners.items()
    }
    for i in range(ctx.cfg.colds):
        for key, (_label, cmd, env) in runners.items():
            m = measured_run(cmd, env, ctx.work / f"big-{key}.log")
            for k in ("wall_s", "cpu_s", "peak_rss_bytes"):
                runs[key][k].append(m[k])
            runs[key]["rss_from"] = m["rss_from"]
            if key == "pandas_sklearn":
                runs[key].setdefault("phases", []).append(json.loads(m["stdout"].strip()))
            log(
                f"{spec.name} / big CSV run {i + 1}: {key} {m['wall_s']:.2f}s wall, "
                f"{m['cpu_s']:.2f}s CPU, {m['peak_rss_bytes'] / 1e6:.0f} MB"
            )
    amber_labels = np.load(ctx.work / "a1.npy")
    sk_labels = np.load(ctx.work / "p.npy")
    out["label_mismatches"] = int(np.sum(amber_labels.reshape(-1) != sk_labels.reshape(-1)))
    out["label_mismatches_all_cores"] = int(
        np.sum(np.load(ctx.work / "a2.npy").reshape(-1) != sk_labels.reshape(-1))
    )
    out["runs"] = runs
    csv.unlink()
    return out


@dataclass
class Impl:
    key: str
    label: str
    run: Callable[[dict[str, Any], Ctx], None]
    amber: bool = False
    trees_only: bool = False


def implementations(treelite_version: str) -> list[Impl]:
    return [
        Impl("pickle", "pickle (protocol 5)", run_pickle),
        Impl("joblib", "joblib", lambda r, c: run_joblib(r, c, 0)),
        Impl("joblib_c3", "joblib compress=3", lambda r, c: run_joblib(r, c, 3)),
        Impl("skops", "skops.io", run_skops),
        Impl(
            "onnx_f32",
            "ONNX float32 (skl2onnx + onnxruntime)",
            lambda r, c: run_onnx(r, c, np.float32),
        ),
        Impl(
            "onnx_f64",
            "ONNX double (skl2onnx + onnxruntime)",
            lambda r, c: run_onnx(r, c, np.float64),
        ),
        Impl("treelite", f"treelite {treelite_version} (GTIL)", run_treelite, trees_only=True),
        Impl(
            "amber_python",
            "**Amber, Python** (`amber.load` into scikit-learn)",
            run_amber_python,
            amber=True,
        ),
        Impl(
            "amber_rust",
            "**Amber, Rust** (library in-process; cold start = `amber predict` CLI)",
            run_amber_rust,
            amber=True,
        ),
        Impl(
            "amber_rust_mimalloc",
            "**Amber, Rust + mimalloc** (the same, with the allocator the CLI links)",
            lambda r, c: run_amber_rust(r, c, mimalloc=True),
            amber=True,
        ),
    ]


# --------------------------------------------------------------------------------------------
# Fidelity
# --------------------------------------------------------------------------------------------


def fidelity(ref: dict[str, np.ndarray], got: dict[str, np.ndarray], ctx: Ctx) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if ctx.is_classifier and "predict" in got:
        labels = np.asarray(got["predict"]).reshape(-1)
        out["label_mismatches"] = int(np.sum(labels != ref["predict"].reshape(-1)))
    key = ctx.score_method or "predict"
    if key in got:
        a = np.asarray(ref[key], dtype=np.float64)
        b = np.asarray(got[key], dtype=np.float64)
        if a.shape == b.shape:
            out["max_abs_diff"] = float(np.max(np.abs(a - b))) if a.size else 0.0
        elif a.size == b.size:
            out["max_abs_diff"] = float(np.max(np.abs(a.reshape(-1) - b.reshape(-1))))
        elif a.ndim == 1 and b.ndim == 2 and b.shape[0] == a.shape[0]:
            # A binary decision function against a peer's two score columns (ONNX writes
            # [score, -score]): compare with the column that is that score.
            diffs = [float(np.max(np.abs(a - b[:, j]))) for j in range(b.shape[1])]
            out["max_abs_diff"] = min(diffs)
            out["note"] = "binary scores compared with the matching column"
        else:
            out["max_abs_diff_error"] = f"shape {b.shape} vs scikit-learn's {a.shape}"
    out["compared"] = key
    return out


# --------------------------------------------------------------------------------------------
# Machine and versions
# --------------------------------------------------------------------------------------------


PACKAGES = [
    "numpy",
    "scipy",
    "scikit-learn",
    "joblib",
    "threadpoolctl",
    "skops",
    "skl2onnx",
    "onnx",
    "onnxruntime",
    "treelite",
    "matplotlib",
    "pandas",
    "protobuf",
    "amber",
]


def bench_frames_check() -> str:
    """Whether bench_frames.py (a copy, below its header) still matches
    ../shared/bench_frames.py beside the checkout, when that file is there."""
    here = Path(__file__).resolve().parent / "bench_frames.py"
    shared = Path(__file__).resolve().parents[3] / "shared" / "bench_frames.py"
    if not shared.exists():
        return "no ../shared/bench_frames.py beside the checkout: the copy is used as it is"
    marker = "# " + "-" * 94 + "\n"
    copy = here.read_text().split(marker, 1)[-1]
    if copy == shared.read_text():
        return "the copy matches ../shared/bench_frames.py"
    log(f"WARNING: {here} differs from {shared}: the tabular data may not be bench-models.md's")
    return "the copy DIFFERS from ../shared/bench_frames.py"


def machine_info(args: argparse.Namespace) -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    versions = {}
    for p in PACKAGES:
        try:
            versions[p] = importlib.metadata.version(p)
        except importlib.metadata.PackageNotFoundError:
            versions[p] = None

    def cmd(*c: str) -> str | None:
        try:
            return subprocess.run(c, capture_output=True, text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return None

    root = Path(__file__).resolve().parents[2]
    try:
        from threadpoolctl import threadpool_info

        pools = [
            {
                k: v
                for k, v in p.items()
                if k in ("internal_api", "version", "architecture", "num_threads")
            }
            for p in threadpool_info()
        ]
    except Exception as exc:  # informational only
        pools = [f"threadpoolctl failed: {exc}"]
    return {
        "date_utc": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cores": os.cpu_count(),
        "cpu_model": cpu,
        "memory": mem,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "rustc": cmd("rustc", "--version"),
        "git_commit": cmd("git", "-C", str(root), "rev-parse", "--short", "HEAD"),
        "git_dirty": bool(
            cmd("git", "-C", str(root), "status", "--porcelain", "--untracked-files=no")
        ),
        "packages": versions,
        "env": {
            k: os.environ.get(k)
            for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", *SINGLE_THREAD_ENV)
        },
        "threadpools_at_start": pools,
        "load_average_at_start": os.getloadavg(),
        "command": args.command or " ".join([sys.argv[0], *sys.argv[1:]]),
    }


# --------------------------------------------------------------------------------------------
# One model
# --------------------------------------------------------------------------------------------


def make_data(spec: ModelSpec, cfg: Config) -> tuple[Any, np.ndarray, dict[str, Any]]:
    import sklearn.datasets

    data = dict(spec.data)
    if spec.frame:
        from bench_frames import category_dtypes, tabular_frame

        data["n_rows"] = max(500, data["n_rows"] // cfg.sample_divisor)
        x, y = tabular_frame(data["n_rows"], seed=data["seed"])
        return (category_dtypes(x) if data.get("category_dtypes") else x), y, data
    data["n_samples"] = max(500, data["n_samples"] // cfg.sample_divisor)
    x, y = getattr(sklearn.datasets, spec.generator)(**data)
    return np.ascontiguousarray(x, dtype=np.float64), y, data


def sequential(model: Any) -> None:
    """n_jobs=None on every estimator inside `model`, fitted members included (a stacking's
    `estimators_` are clones of its `estimators` param, which set_params would reach)."""
    seen: set[int] = set()
    stack = [model]
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, (list, tuple)):
            stack.extend(obj)
        elif isinstance(obj, dict):
            stack.extend(obj.values())
        elif hasattr(obj, "get_params") and not isinstance(obj, type):
            if "n_jobs" in obj.get_params(deep=False):
                obj.set_params(n_jobs=None)
            stack.extend(vars(obj).values())


def run_model(spec: ModelSpec, args: argparse.Namespace, cfg: Config, impls: list[Impl]) -> dict:
    log(f"{spec.name}: fitting {spec.estimator}" + (" (quick: smaller)" if cfg.quick else ""))
    x, y, data = make_data(spec, cfg)
    model = spec.build(cfg.quick)
    fit_start = time.perf_counter()
    model.fit(x, y)
    fit_s = time.perf_counter() - fit_start
    if spec.forest:
        sequential(model)  # predict single-job (bench-models.md)
    log(f"{spec.name}: fitted in {fit_s:.1f}s")

    # The evaluation rows: the training rows, repeated when there are fewer than eval_rows.
    idx = np.arange(cfg.eval_rows) % len(x)
    work = args.out / "work" / spec.name
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    if spec.frame:
        # The frame's own rows, strings and missing values included; Rust reads them from
        # the CSV pandas writes (bench-models.md: `X.to_csv(index=False)`).
        x_eval = x.iloc[idx].reset_index(drop=True)
        x_eval_path, x_one_path = work / "x_eval.csv", work / "x_one.pkl"
        x_one_cli = work / "x_one.csv"
        x_eval.to_csv(x_eval_path, index=False)
        x_eval.iloc[:1].to_csv(x_one_cli, index=False)
        x_eval.iloc[:1].to_pickle(x_one_path)
    else:
        x_eval = np.ascontiguousarray(x[idx])
        x_eval_path, x_one_path = work / "x_eval.npy", work / "x_one.npy"
        x_one_cli = x_one_path
        np.save(x_eval_path, x_eval)
        np.save(x_one_path, x_eval[:1])
    from sklearn.base import is_classifier

    clf = is_classifier(model)
    score = None
    if clf:
        score = "predict_proba" if hasattr(model, "predict_proba") else "decision_function"
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        reference = {"predict": np.asarray(model.predict(x_eval))}
        if score:
            reference[score] = np.asarray(getattr(model, score)(x_eval))
    ctx = Ctx(
        spec=spec,
        model=model,
        x_eval=x_eval,
        x_eval_path=x_eval_path,
        x_one_path=x_one_path,
        x_one_cli=x_one_cli,
        frame=spec.frame,
        work=work,
        cfg=cfg,
        is_classifier=clf,
        score_method=score,
        reference=reference,
        python=sys.executable,
        probe=args.probe,
        cli=args.cli,
    )
    rows: dict[str, Any] = {}
    for impl in impls:
        if args.only and impl.key not in args.only:
            continue
        if impl.trees_only and not spec.trees:
            continue
        r: dict[str, Any] = {"label": impl.label, "amber": impl.amber}
        log(f"{spec.name} / {impl.key}: measuring")
        start = time.perf_counter()
        try:
            impl.run(r, ctx)
            r["status"] = "ok"
        except NotSupported as exc:
            r["status"] = "not supported yet"
            r["error"] = str(exc)
        except StepFailure as exc:
            r["status"] = "fails"
            r["failed_step"] = exc.step
            r["error"] = exc.error
        except Exception as exc:  # a harness bug must not hide the other peers
            r["status"] = "fails"
            r["failed_step"] = "harness"
            r["error"] = describe(exc)
            r["traceback"] = traceback.format_exc()
        outputs = r.pop("outputs", None)
        if outputs:
            r["fidelity"] = fidelity(reference, outputs, ctx)
        r["elapsed_s"] = time.perf_counter() - start
        extra = f" ({r.get('error', '')[:100]})" if r["status"] != "ok" else ""
        log(f"{spec.name} / {impl.key}: {r['status']} in {r['elapsed_s']:.1f}s{extra}")
        rows[impl.key] = r
        gc.collect()
    big = None
    if spec.big_csv_rows and (not args.only or "big_csv" in args.only):
        log(f"{spec.name} / big CSV: {spec.big_csv_rows // cfg.sample_divisor:,} rows")
        start = time.perf_counter()
        try:
            big = run_big_csv(spec, ctx)
        except Exception as exc:  # the model's table above still stands
            big = {"error": describe(exc), "traceback": traceback.format_exc()}
        big["elapsed_s"] = time.perf_counter() - start
        log(f"{spec.name} / big CSV: done in {big['elapsed_s']:.1f}s {big.get('error', '')}")
    if not args.keep_files:
        shutil.rmtree(work, ignore_errors=True)
    return {
        "data": {"generator": spec.generator, **data},
        "estimator": spec.estimator
        + ("" if not cfg.quick else " (quick: " + _quick_note(spec, model) + ")"),
        "fit_s": fit_s,
        "eval_rows": cfg.eval_rows,
        "classifier": clf,
        "score_method": score,
        "implementations": rows,
        **({"big_csv": big} if big else {}),
    }


def _quick_note(spec: ModelSpec, model: Any) -> str:
    params = model.get_params()
    for k in ("n_estimators", "max_iter"):
        if k in params and spec.trees:
            return f"{k}={params[k]}"
    return "fewer samples"


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------


def fmt_load(v: Any) -> str:
    return "/".join(f"{x:.2f}" for x in v) if v else "?"


def fmt_time(s: float | None) -> str:
    if s is None:
        return "–"
    if s < 1e-3:
        return f"{s * 1e6:.3g} µs"
    if s < 1:
        return f"{s * 1e3:.3g} ms"
    return f"{s:.3g} s"


def fmt_size(b: float | None) -> str:
    if b is None:
        return "–"
    for unit, div in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if b >= div:
            return f"{b / div:.3g} {unit}"
    return f"{int(b)} B"


def fmt_rate(v: float | None) -> str:
    if v is None:
        return "–"
    for unit, div in (("M", 1e6), ("k", 1e3)):
        if v >= div:
            return f"{v / div:.3g} {unit}"
    return f"{v:.3g}"


# Columns: key, title, how to get the value from a row, formatter, whether lower is better.
COLUMNS: list[tuple[str, str, Callable[[dict], float | None], Callable[[Any], str], bool]] = [
    ("file_bytes", "file size", lambda r: r.get("file_bytes"), fmt_size, True),
    ("save", "save", lambda r: min(r["save_s"]) if r.get("save_s") else None, fmt_time, True),
    ("load", "load", lambda r: min(r["load_s"]) if r.get("load_s") else None, fmt_time, True),
    (
        "cold",
        "cold start",
        lambda r: statistics.median(r["cold_start_s"]) if r.get("cold_start_s") else None,
        fmt_time,
        True,
    ),
    ("single", "single row", lambda r: r.get("single_row_median_s"), fmt_time, True),
    ("batch", "batch rows/s", lambda r: r.get("batch_rows_per_s"), fmt_rate, False),
    (
        "open_first",
        "load + 1st row",
        lambda r: min(r["open_first_s"]) if r.get("open_first_s") else None,
        fmt_time,
        True,
    ),
    (
        "batch_all",
        "batch rows/s, all cores",
        lambda r: r.get("batch_all_cores_rows_per_s"),
        fmt_rate,
        False,
    ),
    (
        "labels",
        "label mismatches",
        lambda r: r.get("fidelity", {}).get("label_mismatches"),
        lambda v: str(v),
        True,
    ),
    (
        "diff",
        "max abs diff",
        lambda r: r.get("fidelity", {}).get("max_abs_diff"),
        lambda v: f"{v:.2g}",
        True,
    ),
]
STEP_COLUMN = {
    "save": "save",
    "load": "load",
    "cold start": "cold",
    "single row": "single",
    "batch": "batch",
    "outputs": "labels",
    "harness": "file_bytes",
}
RATIO_COLUMNS = {"file_bytes", "save", "load", "cold", "single", "batch", "batch_all"}


def short_error(err: str, n: int = 90) -> str:
    """The root cause, without the noise ONNX Runtime puts in front of it."""
    line = " ".join(str(err).split(" <- ")[-1].split())
    line = re.sub(r"\[ONNXRuntimeError\] : \d+ : \w+ : ", "", line)
    line = re.sub(r"Load model from \S+ failed:", "", line)
    line = line.replace("|", "/")
    return line if len(line) <= n else line[: n - 1] + "…"


def full_error(err: str, n: int = 400) -> str:
    """The whole cause chain, on one line, for the list of failures under a table."""
    line = " ".join(str(err).split()).replace("|", "/").replace("`", "'")
    line = re.sub(r"\[ONNXRuntimeError\] : \d+ : \w+ : ", "", line)
    return line if len(line) <= n else line[: n - 1] + "…"


def row_cells(r: dict) -> list[str]:
    status = r.get("status")
    if status == "not supported yet":
        return ["not supported yet"] + ["–"] * (len(COLUMNS) - 1)
    failed_col = STEP_COLUMN.get(r.get("failed_step", "")) if status == "fails" else None
    cells, failed = [], False
    for key, _title, get, fmt, _low in COLUMNS:
        if key == failed_col:
            cells.append(f"fails: {short_error(r.get('error', ''))}")
            failed = True
            continue
        v = get(r)
        if key == "cold" and v is None and r.get("cold_start_error"):
            cells.append(f"fails: {short_error(r['cold_start_error'])}")
        elif key == "save" and v is None and r.get("amber") and r.get("status") == "ok":
            cells.append("– (written by Python)")
        else:
            cells.append("–" if v is None or (failed and key != "file_bytes") else fmt(v))
    return cells


def ratio_cells(rows: dict[str, dict]) -> tuple[list[str], dict[str, Any]]:
    """Amber's best row against the best peer, per column. >1 means Amber is better."""
    cells, raw = [], {}
    for key, _title, get, fmt, low in COLUMNS:
        amber_vals = [
            (get(r), r["label"])
            for r in rows.values()
            if r.get("amber") and get(r) is not None and r.get("status") == "ok"
        ]
        peer_vals = [
            (get(r), k)
            for k, r in rows.items()
            if not r.get("amber") and get(r) is not None and r.get("status") == "ok"
        ]
        if not amber_vals or not peer_vals:
            cells.append("–")
            continue
        pick = min if low else max
        a, a_label = pick(amber_vals, key=lambda t: t[0])
        p, p_key = pick(peer_vals, key=lambda t: t[0])
        who = "Python"
        if "Rust" in a_label:
            who = "Rust+mimalloc" if "mimalloc" in a_label else "Rust"
        if key in RATIO_COLUMNS and a > 0 and p > 0:
            factor = (p / a) if low else (a / p)
            cells.append(f"**{factor:.2g}×** ({who} vs {p_key})")
            raw[key] = {
                "factor": factor,
                "amber": a,
                "amber_row": who,
                "peer": p,
                "peer_row": p_key,
            }
        else:
            cells.append(f"{fmt(a)} vs {fmt(p)} ({p_key})")
            raw[key] = {"amber": a, "amber_row": who, "peer": p, "peer_row": p_key}
    return cells, raw


def render_markdown(results: dict) -> str:
    m = results["machine"]
    lines = [
        "# Amber vs peers: comparison harness results",
        "",
        f"- date: {m['date_utc']}",
        f"- command: `{m['command']}`"
        + (" (quick mode: smaller models, fewer repeats)" if results["config"]["quick"] else ""),
        f"- machine: {m['cores']} cores, {m['cpu_model']}, {m['memory']}, {m['platform']}",
        f"- Python {m['python']}, {m['rustc']}, git {m['git_commit']}"
        + (" (with uncommitted changes)" if m["git_dirty"] else ""),
        f"- load average (1/5/15 min) at start {fmt_load(m['load_average_at_start'])}, at end "
        f"{fmt_load(m.get('load_average_at_end'))}; harness time {m.get('total_s', 0):.0f} s",
        "- packages: " + ", ".join(f"{k} {v}" for k, v in m["packages"].items() if v),
        *(
            [f"- tabular data (bench_frames.py): {m['bench_frames']}"]
            if "bench_frames" in m
            else []
        ),
        "- environment: "
        + ", ".join(f"{k}={v if v is not None else '(unset)'}" for k, v in m["env"].items())
        + " in the harness process; prediction single-threaded everywhere (threadpoolctl "
        "limit 1 in-process, those variables set to 1 for child processes, ONNX Runtime "
        "intra/inter-op 1, treelite nthread=1, Amber's probe and CLI with RAYON_NUM_THREADS=1)",
        "",
        "Columns: file size; save = best of "
        f"{results['config']['saves']}; load = best of {results['config']['loads']} "
        "(in-process, file in page cache); cold start = median of "
        f"{results['config']['colds']} fresh processes that load the file and predict one row; "
        f"single row = median of {results['config']['calls']} `predict` calls on one row; batch = "
        f"rows/s of `predict` on {results['config']['eval_rows']:,} rows, best of "
        f"{results['config']['batches']}; load + 1st row = Amber Rust's `Model::open` plus its "
        "first one-row prediction, from a fresh open each time, best of "
        f"{results['config']['loads']}; batch rows/s, all cores = the same batch with every "
        "core (Amber: a rayon pool of all cores; ONNX Runtime: its default thread pools); "
        "label mismatches and max abs diff against "
        "scikit-learn's own outputs on those rows (probabilities for classifiers with "
        "`predict_proba`, `decision_function` for SVC, values for regressors). pickle, joblib, "
        "skops and Amber-Python rows predict with scikit-learn itself. Ratio row: Amber's best "
        "row against the best peer in that column, as a factor where **>1 means Amber is "
        "better** (faster, smaller, more rows/s); fidelity shows both values.",
        "",
    ]
    summary = [
        "## Summary: Amber vs the best peer",
        "",
        "| model | " + " | ".join(t for k, t, *_ in COLUMNS if k in RATIO_COLUMNS) + " |",
        "|---" * (1 + len(RATIO_COLUMNS)) + "|",
    ]
    body = []
    for name, model in results["models"].items():
        rows = model["implementations"]
        body += [
            f"## {name}",
            "",
            f"`{data_call(model['data'])}`, "
            f"`{model['estimator']}`; fitted in {model['fit_s']:.1f} s.",
            "",
            "| implementation | " + " | ".join(t for _, t, *_ in COLUMNS) + " |",
            "|---" * (len(COLUMNS) + 1) + "|",
        ]
        for r in rows.values():
            body.append(f"| {r['label']} | " + " | ".join(row_cells(r)) + " |")
        cells, raw = ratio_cells(rows)
        model["ratios"] = raw
        amber_rows = [r for r in rows.values() if r.get("amber")]
        if amber_rows and all(r.get("status") == "not supported yet" for r in amber_rows):
            body.append(
                "| **Amber vs best peer** | Amber: not supported yet | "
                + " | ".join(["–"] * (len(COLUMNS) - 1))
                + " |"
            )
            summary.append(
                f"| {name} | "
                + " | ".join(["not supported yet"] + ["–"] * (len(RATIO_COLUMNS) - 1))
                + " |"
            )
        else:
            body.append("| **Amber vs best peer** | " + " | ".join(cells) + " |")
            summary.append(
                f"| {name} | "
                + " | ".join(
                    c for (k, *_), c in zip(COLUMNS, cells, strict=False) if k in RATIO_COLUMNS
                )
                + " |"
            )
        failures = [
            (k, r)
            for k, r in rows.items()
            if r.get("status") == "fails" or r.get("cold_start_error")
        ]
        if failures:
            body.append("")
            body.append("Failures:")
            for k, r in failures:
                err = r.get("error") or r.get("cold_start_error")
                body.append(f"- {k} at {r.get('failed_step', 'cold start')}: `{full_error(err)}`")
        unsupported = [r for r in amber_rows if r.get("status") == "not supported yet"]
        if unsupported:
            body.append("")
            body.append(f"Amber: not supported yet: `{short_error(unsupported[0]['error'], 300)}`")
        notes = [
            (k, r["fidelity"]["note"]) for k, r in rows.items() if r.get("fidelity", {}).get("note")
        ]
        if notes:
            body.append("")
            body.append("Notes:")
        for k, note in notes:
            body.append(f"- {k}: {note}")
        body.append("")
        body += big_csv_section(model.get("big_csv"))
    targets = targets_section(results) + targets_issue9(results) + targets_issue12(results)
    return "\n".join(lines + summary + [""] + targets + body)


def data_call(d: dict[str, Any]) -> str:
    """The data's generator call, as bench-models.md writes it."""
    if d["generator"] == "tabular_frame":
        call = f"tabular_frame({d['n_rows']}, seed={d['seed']})"
        return f"category_dtypes({call})" if d.get("category_dtypes") else call
    args = ", ".join(f"{k}={v}" for k, v in d.items() if k != "generator")
    return f"{d['generator']}({args})"


def big_csv_section(big: dict | None) -> list[str]:
    """The big-CSV table under a model (issue #9's CLI target)."""
    if not big:
        return []
    title = "### A big CSV: `amber predict` vs `pandas.read_csv` + scikit-learn's `predict`"
    if "error" in big:
        return [title, "", f"fails: `{full_error(big['error'])}`", ""]
    runs = big["runs"]
    n = len(runs["amber_cli"]["wall_s"])
    out = [
        title,
        "",
        f"`tabular_frame({big['rows']}, seed=7).to_csv(index=False)`: {big['rows']:,} rows, "
        f"{fmt_size(big['csv_bytes'])}, in the page cache. Each command is a fresh process, "
        f"run {n} times, interleaved; wall and CPU (user + system) time = median, peak RSS = "
        f"the largest ({runs['amber_cli'].get('rss_from', 'wait4 ru_maxrss')}). Both write the "
        "labels to a .npy file. Label mismatches between the two: "
        f"{big['label_mismatches']} (all cores: {big['label_mismatches_all_cores']}).",
        "",
        "| run | wall time | CPU time | peak RSS | phases (median wall time) |",
        "|---|---|---|---|---|",
    ]
    for r in runs.values():
        phases = "the whole process: read, parse, predict, write"
        if r.get("phases"):
            med = {k: statistics.median(p[k] for p in r["phases"]) for k in r["phases"][0]}
            phases = ", ".join(f"{k.removesuffix('_s')} {fmt_time(v)}" for k, v in med.items())
        out.append(
            f"| {r['label']} | {fmt_time(statistics.median(r['wall_s']))} | "
            f"{fmt_time(statistics.median(r['cpu_s'])) if r.get('cpu_s') else '–'} | "
            f"{fmt_size(max(r['peak_rss_bytes']))} | {phases} |"
        )
    a, p = big_csv_times(big)
    amber_rss = max(runs["amber_cli"]["peak_rss_bytes"])
    pandas_rss = max(runs["pandas_sklearn"]["peak_rss_bytes"])
    whole = statistics.median(runs["pandas_sklearn"]["wall_s"])
    cpus = [runs[k].get("cpu_s") for k in ("pandas_sklearn", "amber_cli")]
    cpu_ratio = (
        f"**{statistics.median(cpus[0]) / statistics.median(cpus[1]):.2g}×** (whole processes)"
        if all(cpus)
        else ""
    )
    out.append(
        f"| **Amber (1 thread) vs Python** | **{whole / a:.2g}×** "
        f"(whole processes); **{p / a:.2g}×** against `read_csv` + `predict` alone | "
        f"{cpu_ratio} | **{pandas_rss / amber_rss:.2g}×** less | |"
    )
    return [*out, ""]


def big_csv_times(big: dict) -> tuple[float, float]:
    """(amber predict's median wall time on one thread, pandas' read_csv + predict median)."""
    runs = big["runs"]
    phases = runs["pandas_sklearn"]["phases"]
    return (
        statistics.median(runs["amber_cli"]["wall_s"]),
        statistics.median(p["read_csv_s"] + p["predict_s"] for p in phases),
    )


def targets_issue9(results: dict) -> list[str]:
    """The speed targets of issue #9 on the tabular models, each as measured in this run."""
    rows = []
    for m in ("tabular", "tabular_hgb"):
        model = results["models"].get(m)
        if not model:
            continue
        impls = model["implementations"]
        rust = impls.get("amber_rust")
        if rust and rust.get("status") == "not supported yet":
            rows.append(("every target (Amber: not supported yet)", m, None, None, "time", None))
            continue
        single = _best(rust, "single_row_median_s")
        sk = _best(impls.get("pickle"), "single_row_median_s")
        rows.append(
            (
                "single row ≥ 10× faster than scikit-learn",
                m,
                single,
                sk,
                "time",
                None if single is None or sk is None else sk >= 10 * single,
            )
        )
        onnx = [
            v
            for k in ("onnx_f32", "onnx_f64")
            if (v := _best(impls.get(k), "single_row_median_s")) is not None
        ]
        o = min(onnx) if onnx else None
        rows.append(
            (
                "single row faster than ONNX Runtime",
                m,
                single,
                o,
                "time",
                None if single is None or o is None else single < o,
            )
        )
        mim = impls.get("amber_rust_mimalloc")
        peers = [
            (v, k)
            for k, r in impls.items()
            if not r.get("amber")
            if (v := _best(r, "batch_rows_per_s")) is not None
        ]
        best = max(peers) if peers else None
        for row, how in ((rust, "system allocator"), (mim, "mimalloc")):
            if row is None:
                continue
            batch = _best(row, "batch_rows_per_s")
            rows.append(
                (
                    f"batch rows/s (1 thread, {how}) ≥ the best peer's "
                    f"({best[1] if best else '–'})",
                    m,
                    batch,
                    best[0] if best else None,
                    "rate",
                    None if batch is None or best is None else batch >= best[0],
                )
            )
        big = model.get("big_csv")
        if big and "runs" in big:
            a, p = big_csv_times(big)
            rows.append(
                (
                    f"{big['rows']:,}-row CSV: `amber predict` (whole process, 1 thread) "
                    "faster than `pandas.read_csv` + `predict`",
                    m,
                    a,
                    p,
                    "time",
                    a < p,
                )
            )
    if not rows:
        return []
    fmts = {"time": fmt_time, "rate": fmt_rate}
    out = [
        "## Targets of issue #9, measured in this run",
        "",
        "| target | model | Amber | peer | met |",
        "|---|---|---|---|---|",
    ]
    for target, model, a, p, kind, ok in rows:
        f = fmts[kind]
        met = "–" if ok is None else ("yes" if ok else "**no**")
        out.append(
            f"| {target} | {model} | {'–' if a is None else f(a)} | "
            f"{'–' if p is None else f(p)} | {met} |"
        )
    return [*out, ""]


def targets_issue12(results: dict) -> list[str]:
    """The speed targets of issue #12 on the `stacking` model, measured in this run: single
    row and batch faster than every peer (ONNX Runtime included)."""
    model = results["models"].get("stacking")
    if not model:
        return []
    impls = model["implementations"]
    rust = impls.get("amber_rust")
    out = [
        "## Targets of issue #12, measured in this run",
        "",
        "| target | model | Amber | best peer | met |",
        "|---|---|---|---|---|",
    ]
    for key, what, fmt, lower in (
        ("single_row_median_s", "single row faster than every peer", fmt_time, True),
        ("batch_rows_per_s", "batch rows/s (1 thread) above every peer's", fmt_rate, False),
    ):
        peers = [
            (v, k)
            for k, r in impls.items()
            if not r.get("amber")
            if (v := _best(r, key)) is not None
        ]
        best = (min if lower else max)(peers) if peers else None
        a = _best(rust, key)
        ok = None if a is None or best is None else (a < best[0] if lower else a > best[0])
        met = "–" if ok is None else ("yes" if ok else "**no**")
        peer = "–" if best is None else f"{fmt(best[0])} ({best[1]})"
        out.append(f"| {what} | stacking | {'–' if a is None else fmt(a)} | {peer} | {met} |")
    return [*out, ""]


TREE_MODELS = ("rf_clf", "rf_big", "gbr", "hgb")


def _best(r: dict | None, key: str) -> float | None:
    if not r or r.get("status") != "ok" or not r.get(key):
        return None
    v = r[key]
    return min(v) if isinstance(v, list) else v


def targets_section(results: dict) -> list[str]:
    """The speed and size targets of issue #4, each as measured in this run."""
    rows: list[tuple[str, str, float | None, float | None, str, bool | None]] = []
    models = results["models"]

    def impl(model: str, key: str) -> dict | None:
        return models.get(model, {}).get("implementations", {}).get(key)

    def add(target: str, model: str, a: float | None, p: float | None, fmt, ok) -> None:
        rows.append((target, model, a, p, fmt, None if a is None or p is None else ok(a, p)))

    rust = lambda m: impl(m, "amber_rust")  # noqa: E731
    if "rf_big" in models:
        of = _best(rust("rf_big"), "open_first_s")
        add(
            "open + 1st row (Rust) ≥ 20× faster than joblib.load",
            "rf_big",
            of,
            _best(impl("rf_big", "joblib"), "load_s"),
            "time",
            lambda a, p: p >= 20 * a,
        )
        add(
            "open + 1st row (Rust) faster than treelite's load",
            "rf_big",
            of,
            _best(impl("rf_big", "treelite"), "load_s"),
            "time",
            lambda a, p: a < p,
        )
        cold = rust("rf_big") or {}
        c = statistics.median(cold["cold_start_s"]) if cold.get("cold_start_s") else None
        add("CLI cold start under 50 ms", "rf_big", c, 0.050, "time", lambda a, p: a < p)
        add(
            "`amber.load` no slower than `pickle.load`",
            "rf_big",
            _best(impl("rf_big", "amber_python"), "load_s"),
            _best(impl("rf_big", "pickle"), "load_s"),
            "time",
            lambda a, p: a <= p,
        )
    for m in TREE_MODELS:
        if m not in models:
            continue
        single = _best(rust(m), "single_row_median_s")
        add(
            "single row ≥ 10× faster than scikit-learn",
            m,
            single,
            _best(impl(m, "pickle"), "single_row_median_s"),
            "time",
            lambda a, p: p >= 10 * a,
        )
        onnx = [
            v
            for k in ("onnx_f32", "onnx_f64")
            if (v := _best(impl(m, k), "single_row_median_s")) is not None
        ]
        add(
            "single row faster than ONNX Runtime",
            m,
            single,
            min(onnx) if onnx else None,
            "time",
            lambda a, p: a < p,
        )
        onnx_b = [
            v
            for k in ("onnx_f32", "onnx_f64")
            if (v := _best(impl(m, k), "batch_all_cores_rows_per_s")) is not None
        ]
        add(
            "batch rows/s on all cores ≥ ONNX Runtime's",
            m,
            _best(rust(m), "batch_all_cores_rows_per_s"),
            max(onnx_b) if onnx_b else None,
            "rate",
            lambda a, p: a >= p,
        )
        pick = _best(impl(m, "pickle"), "file_bytes")
        add(
            "file size (default) ≤ pickle",
            m,
            _best(impl(m, "amber_python"), "file_bytes"),
            pick,
            "size",
            lambda a, p: a <= p,
        )
        add(
            "file size (inference-only) ≤ 0.4× pickle",
            m,
            _best(impl(m, "amber_python"), "inference_only_bytes"),
            pick,
            "size",
            lambda a, p: a <= 0.4 * p,
        )
    if not rows:
        return []
    fmts = {"time": fmt_time, "rate": fmt_rate, "size": fmt_size}
    out = [
        "## Targets of issue #4, measured in this run",
        "",
        "| target | model | Amber | peer / bound | met |",
        "|---|---|---|---|---|",
    ]
    for target, model, a, p, kind, ok in rows:
        f = fmts[kind]
        met = "–" if ok is None else ("yes" if ok else "**no**")
        out.append(
            f"| {target} | {model} | {'–' if a is None else f(a)} | "
            f"{'–' if p is None else f(p)} | {met} |"
        )
    return [*out, ""]


# Fixed colours (and legend order) per implementation, so charts of different runs compare.
CHART_COLORS = {
    "pickle": "#9e9e9e",
    "joblib": "#6d8fb3",
    "joblib_c3": "#3d5f86",
    "skops": "#b39ddb",
    "onnx_f32": "#ffb74d",
    "onnx_f64": "#e65100",
    "treelite": "#81c784",
    "amber_python": "#f06292",
    "amber_rust": "#c2185b",
    "amber_rust_mimalloc": "#880e4f",
}


def render_chart(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    models = list(results["models"])
    present = {k for m in results["models"].values() for k in m["implementations"]}
    keys = [k for k in CHART_COLORS if k in present]
    labels: dict[str, str] = {}
    for model in results["models"].values():
        for k, r in model["implementations"].items():
            labels[k] = r["label"].replace("**", "").split(" (")[0]
    fig, axes = plt.subplots(2, 1, figsize=(max(8, 1.6 * len(models) + 3), 9))
    width = 0.8 / max(1, len(keys))
    getters = [
        ("in-process load time (s, log)", lambda r: min(r["load_s"]) if r.get("load_s") else None),
        ("single-row predict latency (s, log)", lambda r: r.get("single_row_median_s")),
    ]
    for ax, (title, get) in zip(axes, getters, strict=False):
        for i, k in enumerate(keys):
            xs, ys = [], []
            for j, name in enumerate(models):
                r = results["models"][name]["implementations"].get(k)
                v = get(r) if r and r.get("status") == "ok" else None
                if v:
                    xs.append(j + (i - (len(keys) - 1) / 2) * width)
                    ys.append(v)
            ax.bar(
                xs,
                ys,
                width=width,
                label=labels[k],
                color=CHART_COLORS[k],
                edgecolor="black" if k.startswith("amber") else None,
                hatch="//" if k.startswith("amber") else None,
            )
        ax.set_yscale("log")
        # Mark what was tried and has no bar: "×" = fails, "n" = Amber: not supported yet.
        bottom = ax.get_ylim()[0]
        for i, k in enumerate(keys):
            for j, name in enumerate(models):
                r = results["models"][name]["implementations"].get(k)
                if r and r.get("status") != "ok":
                    mark = "n" if r.get("status") == "not supported yet" else "×"
                    x = j + (i - (len(keys) - 1) / 2) * width
                    ax.text(x, bottom, mark, ha="center", va="bottom", fontsize=7, color="#555")
        ax.set_xticks(range(len(models)))
        ax.set_xticklabels(models)
        ax.set_title(title)
        ax.grid(axis="y", which="both", alpha=0.3)
    axes[0].legend(fontsize=8, ncol=3, loc="upper left")
    m = results["machine"]
    fig.suptitle(
        f"Amber vs peers ({m['cores']} cores, {m['cpu_model']}; "
        "× = fails, n = Amber: not supported yet)",
        fontsize=10,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# --------------------------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="smaller models, fewer repeats")
    ap.add_argument("--out", type=Path, default=Path("bench-out"))
    ap.add_argument("--probe", type=Path, help="the amber-bench-probe binary")
    ap.add_argument("--cli", type=Path, help="the amber CLI binary")
    ap.add_argument("--models", help="comma-separated subset of the model names")
    ap.add_argument("--only", help="comma-separated subset of the implementation keys")
    ap.add_argument("--keep-files", action="store_true", help="keep the saved model files")
    ap.add_argument("--command", help="the command line to record (run.sh passes its own)")
    ap.add_argument(
        "--render",
        type=Path,
        metavar="RESULTS_JSON",
        help="measure nothing: re-render results.md and chart.png from a results.json",
    )
    args = ap.parse_args()
    if args.render:
        results = json.loads(args.render.read_text())
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "results.md").write_text(render_markdown(results))
        render_chart(results, args.out / "chart.png")
        log(f"rendered {args.out / 'results.md'} and chart.png from {args.render}")
        return 0
    args.only = set(args.only.split(",")) if args.only else None
    args.out.mkdir(parents=True, exist_ok=True)
    cfg = config(args.quick)
    specs = _specs()
    if args.models:
        wanted = args.models.split(",")
        unknown = set(wanted) - {s.name for s in specs}
        if unknown:
            ap.error(f"unknown models: {sorted(unknown)}")
        specs = [s for s in specs if s.name in wanted]

    machine = machine_info(args)
    machine["bench_frames"] = bench_frames_check()
    # One untimed start of each interpreter stack first, so the first peer's cold start does
    # not also pay for reading Python's own modules from disk.
    for code in ("import sklearn, skops.io, joblib", "import onnxruntime", "import treelite"):
        subprocess.run([sys.executable, "-c", code], capture_output=True, check=False)
    log(f"machine: {machine['cores']} cores, {machine['cpu_model']}; out: {args.out}")
    impls = implementations(machine["packages"].get("treelite") or "?")
    results: dict[str, Any] = {
        "machine": machine,
        "config": cfg.__dict__,
        "models": {},
    }
    for spec in specs:
        results["models"][spec.name] = run_model(spec, args, cfg, impls)
        # Write as we go, so an interrupted run still leaves every finished model.
        (args.out / "results.json").write_text(json.dumps(results, indent=1, default=str))
    results["machine"]["load_average_at_end"] = os.getloadavg()
    results["machine"]["total_s"] = time.perf_counter() - T0
    md = render_markdown(results)
    (args.out / "results.md").write_text(md)
    (args.out / "results.json").write_text(json.dumps(results, indent=1, default=str))
    try:
        render_chart(results, args.out / "chart.png")
    except Exception as exc:  # the tables matter more than the picture
        log(f"chart failed: {exc}")
    shutil.rmtree(args.out / "work", ignore_errors=True) if not args.keep_files else None
    log(f"done: {args.out / 'results.md'}, results.json, chart.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
