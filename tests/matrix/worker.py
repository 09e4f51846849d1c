"""One scikit-learn version's half of the cross-version matrix (tests/matrix/run.py).

    python worker.py save DIR [--only RE]  fit every corpus model this version can fit, dump it with
                                  amber.dump, and record its outputs (on the test rows and on
                                  the test rows with NaN) and its training data under DIR
    python worker.py load DIR...  amber.load every saved model of each DIR in this version,
                                  compare every output with the saver's, refit a clone and a
                                  warm start; one JSON line per model on stdout

The models are the conformance corpus's cases (tests/vectors/generate.py and its family
modules), built for this version: every family Amber saves, in the variants the corpus pins.
Arrays, labels and DataFrames travel as .npy and JSON (never pickle): this file reads what
another version wrote.
"""

from __future__ import annotations

import json
import math
import sys
import time
import traceback
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sklearn

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "vectors"))
sys.path.insert(0, str(ROOT / "python"))

import amber  # noqa: E402

METHODS = ("predict", "predict_proba", "decision_function", "transform", "score_samples")
#: What "close" means: the loader's scikit-learn computes the same object's outputs with its
#: own code, which may sum in another order (a different BLAS call, a rewritten softmax).
CLOSE_RTOL = 1e-12


# ---------------------------------------------------------------------- data files


def _encode_column(s: pd.Series) -> dict[str, Any]:
    dtype = str(s.dtype)
    if dtype == "category":
        cats = s.cat.categories
        return {
            "dtype": "category",
            "categories": _encode_values(np.asarray(cats, dtype=object)),
            "codes": s.cat.codes.astype(int).tolist(),
        }
    return {"dtype": dtype, "values": _encode_values(s.to_numpy(dtype=object))}


def _encode_values(values: np.ndarray) -> list[Any]:
    out: list[Any] = []
    for v in values.tolist():
        if v is None or v is pd.NA:
            out.append(None)
        elif isinstance(v, float) and math.isnan(v):
            out.append({"f": "nan"})
        elif isinstance(v, float):
            out.append({"f": repr(v)})
        elif isinstance(v, (bool, np.bool_)):
            out.append({"b": bool(v)})
        elif isinstance(v, (int, np.integer)):
            out.append({"i": int(v)})
        else:
            out.append(str(v))
    return out


def _decode_values(values: list[Any]) -> list[Any]:
    out: list[Any] = []
    for v in values:
        if isinstance(v, dict):
            ((kind, x),) = v.items()
            out.append(float(x) if kind == "f" else bool(x) if kind == "b" else int(x))
        else:
            out.append(v)
    return out


def _ext(path: Path, ext: str) -> Path:
    return path.with_name(path.name + ext)


def write_data(path: Path, data: Any) -> None:
    """An array, a label list or a DataFrame, losslessly: .npy for numeric arrays, JSON else."""
    if isinstance(data, pd.DataFrame):
        doc = {
            "frame": [[str(c), _encode_column(data[c])] for c in data.columns],
            "index": len(data),
        }
        _ext(path, ".json").write_text(json.dumps(doc))
        return
    if isinstance(data, pd.Series):
        data = data.to_numpy()
    if isinstance(data, list):  # a multi-output predict_proba: one array per output
        for i, part in enumerate(data):
            write_data(path.with_name(f"{path.name}_{i}"), part)
        _ext(path, ".parts").write_text(str(len(data)))
        return
    arr = np.asarray(data)
    if arr.dtype.kind in "biufc":
        np.save(_ext(path, ".npy"), arr, allow_pickle=False)
    else:
        doc = {"dtype": str(arr.dtype), "shape": list(arr.shape)}
        doc["values"] = _encode_values(arr.reshape(-1).astype(object))
        _ext(path, ".json").write_text(json.dumps(doc))


def read_data(path: Path) -> Any:
    if _ext(path, ".parts").exists():
        n = int(_ext(path, ".parts").read_text())
        return [read_data(path.with_name(f"{path.name}_{i}")) for i in range(n)]
    if _ext(path, ".npy").exists():
        return np.load(_ext(path, ".npy"), allow_pickle=False)
    doc = json.loads(_ext(path, ".json").read_text())
    if "frame" in doc:
        cols = {}
        for name, col in doc["frame"]:
            if col["dtype"] == "category":
                cats = _decode_values(col["categories"])
                cols[name] = pd.Categorical.from_codes(col["codes"], categories=cats)
            else:
                values = _decode_values(col["values"])
                dtype = col["dtype"]
                if dtype == "object" or (dtype == "str" and int(pd.__version__.split(".")[0]) < 3):
                    # pandas 3's default string dtype is object strings to pandas 2
                    cols[name] = pd.Series(values, dtype=object)
                else:
                    cols[name] = pd.Series(values, dtype=object).astype(dtype)
        return pd.DataFrame(cols)
    values = np.empty(len(doc["values"]), dtype=object)
    values[:] = _decode_values(doc["values"])
    dtype = doc["dtype"]
    arr = values if dtype == "object" else values.astype(dtype)
    return arr.reshape(doc["shape"])


# ---------------------------------------------------------------------- save


def _with_nan(test: Any) -> Any | None:
    """The test rows with NaN in their first numeric column (every third row)."""
    if isinstance(test, pd.DataFrame):
        out = test.copy()
        for c in out.columns:
            if out[c].dtype.kind == "f":
                out.loc[out.index[::3], c] = np.nan
                return out
        return None
    arr = np.array(test, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] == 0:
        return None
    arr[::3, 0] = np.nan
    return arr


def _outputs(est: Any, X: Any) -> dict[str, Any]:
    """Each method's output, or the exception it raised ({"error": ...})."""
    out: dict[str, Any] = {}
    for m in METHODS:
        if not _has_method(est, m):
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out[m] = getattr(est, m)(X)
        except Exception as e:
            out[m] = {"error": f"{type(e).__name__}: {str(e)[:200]}"}
    return out


def _has_method(est: Any, name: str) -> bool:
    try:
        return callable(getattr(est, name, None))
    except Exception:
        return False


def save(out: Path, only: str | None = None) -> None:
    import re

    import generate

    version = sklearn.__version__
    cases = generate.LINEAR_CASES + generate._tree_cases(version) + generate._family_cases(version)
    if only:
        cases = [c for c in cases if re.search(only, c.name)]
    out.mkdir(parents=True, exist_ok=True)
    index = []
    refitted: set[str] = set()
    for case in cases:
        start = time.perf_counter()
        d = out / case.name
        tmp = out / f"{case.name}.tmp.amber"
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                est, X, y, test = case.build()
                amber.dump(est, tmp, **(case.dump_options or {}))
        except Exception as e:
            index.append({"name": case.name, "skipped": f"{type(e).__name__}: {str(e)[:200]}"})
            continue
        d.mkdir(exist_ok=True)
        tmp.rename(d / "model.amber")
        names = list(getattr(est, "feature_names_in_", []))
        if names and not isinstance(test, pd.DataFrame):
            test = pd.DataFrame(np.asarray(test), columns=names)
        write_data(d / "X", X)
        write_data(d / "y", y)
        write_data(d / "test", test)
        nan = _with_nan(test)
        recorded = {}
        for tag, inputs in (("test", test), ("nan", nan)):
            if inputs is None:
                continue
            if tag == "nan":
                write_data(d / "test_nan", inputs)
            for m, value in _outputs(est, inputs).items():
                if isinstance(value, dict):
                    recorded[f"{tag}/{m}"] = value
                else:
                    write_data(d / f"{tag}__{m}", value)
                    recorded[f"{tag}/{m}"] = "ok"
        if type(est).__name__ not in refitted and not (case.dump_options or {}):
            refitted.add(type(est).__name__)
            import copy

            recorded.update({f"refit/{k}": v for k, v in _refit(copy.deepcopy(est), X, y).items()})
        (d / "outputs.json").write_text(json.dumps(recorded, indent=1))
        index.append(
            {
                "name": case.name,
                "class": type(est).__name__,
                "seconds": round(time.perf_counter() - start, 3),
            }
        )
        print(f"  saved {case.name}", file=sys.stderr, flush=True)
    (out / "index.json").write_text(
        json.dumps({"version": version, "numpy": np.__version__, "models": index}, indent=1)
    )


# ---------------------------------------------------------------------- load


def _compare(expected: Any, got: Any) -> tuple[str, Any]:
    """("identical" | "close" | "different", the largest relative difference or why)."""
    if isinstance(expected, list) or isinstance(got, list):
        if not (isinstance(expected, list) and isinstance(got, list)) or len(expected) != len(got):
            return "different", math.inf
        parts = [_compare(e, g) for e, g in zip(expected, got)]
        order = {"identical": 0, "close": 1, "different": 2}
        worst = max(parts, key=lambda p: (order[p[0]], str(p[1])))
        return worst

    e, g = np.asarray(expected), np.asarray(got)
    if e.shape != g.shape:
        return "different", math.inf
    if e.dtype.kind in "biufc" and g.dtype.kind in "biufc":
        if e.dtype != g.dtype and not (e.dtype.kind == g.dtype.kind == "f"):
            return "different", math.inf
        if e.dtype == g.dtype and np.array_equal(e, g, equal_nan=e.dtype.kind in "fc"):
            return "identical", 0.0
        ef, gf = e.astype(np.float64), g.astype(np.float64)
        if not np.array_equal(np.isnan(ef), np.isnan(gf)):
            return "different", math.inf
        ok = ~np.isnan(ef)
        diff = np.abs(ef[ok] - gf[ok])
        scale = np.maximum(np.abs(ef[ok]), np.abs(gf[ok]))
        rel = float(
            np.max(np.where(scale > 0, diff / np.where(scale > 0, scale, 1), diff), initial=0)
        )
        if e.dtype != g.dtype:
            return "different", rel
        return ("close" if rel <= CLOSE_RTOL else "different"), rel
    if e.tolist() == g.tolist() and e.dtype != g.dtype:
        return "different", f"the same labels as dtype {g.dtype}, not {e.dtype}"
    same = e.dtype == g.dtype and e.tolist() == g.tolist()
    return ("identical" if same else "different"), 0.0 if same else math.inf


def _refit(model: Any, X: Any, y: Any) -> dict[str, str]:
    from sklearn.base import clone

    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            clone(model).fit(X, y)
            out["clone_fit"] = "ok"
        except Exception as e:
            out["clone_fit"] = f"{type(e).__name__}: {str(e)[:300]}"
        if "warm_start" in model.get_params(deep=False):
            try:
                model.set_params(warm_start=True)
                model.fit(X, y)
                out["warm_start_fit"] = "ok"
            except Exception as e:
                out["warm_start_fit"] = f"{type(e).__name__}: {str(e)[:300]}"
    return out


def load_one(d: Path) -> dict[str, Any]:
    row: dict[str, Any] = {"name": d.name}
    start = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = amber.load(d / "model.amber")
    except amber.AmberError as e:
        row["load"] = f"{e.code}: {str(e)[:300]}"
        return row
    except Exception as e:
        row["load"] = f"crash {type(e).__name__}: {str(e)[:300]}"
        return row
    row["load"] = "ok"
    recorded = json.loads((d / "outputs.json").read_text())
    inputs = {"test": read_data(d / "test")}
    if any(k.startswith("nan/") for k in recorded):
        inputs["nan"] = read_data(d / "test_nan")
    got = {tag: _outputs(model, x) for tag, x in inputs.items()}
    results = {}
    for key, saved in recorded.items():
        tag, method = key.split("/")
        if tag == "refit":
            continue
        mine = got[tag].get(method)
        if mine is None:
            results[key] = ["different", "the reloaded model has no such method"]
        elif isinstance(saved, dict) and isinstance(mine, dict):
            results[key] = ["both_raise", saved["error"]]
        elif isinstance(saved, dict):
            results[key] = ["different", f"the saver raised {saved['error']}; this predicts"]
        elif isinstance(mine, dict):
            results[key] = ["different", f"the saver predicted; this raises {mine['error']}"]
        else:
            verdict, rel = _compare(read_data(d / f"{tag}__{method}"), mine)
            results[key] = [verdict, rel]
    for method in got["test"]:
        if f"test/{method}" not in recorded:
            results[f"test/{method}"] = ["different", "a method the saved model did not have"]
    row["outputs"] = results
    row["seconds_outputs"] = round(time.perf_counter() - start, 3)
    refits = {k.split("/")[1]: v for k, v in recorded.items() if k.startswith("refit/")}
    if refits:
        mine = _refit(model, read_data(d / "X"), read_data(d / "y"))
        for k, saved in refits.items():
            got_k = mine.get(k, "the loaded model has no warm_start")
            same = (saved == "ok") == (got_k == "ok")
            results[f"refit/{k}"] = [
                "identical" if same else "different",
                got_k if not same else saved,
            ]
    row["seconds"] = round(time.perf_counter() - start, 3)
    return row


def load(dirs: list[Path]) -> None:
    for saver in dirs:
        index = json.loads((saver / "index.json").read_text())
        for entry in index["models"]:
            if "skipped" in entry:
                continue
            try:
                row = load_one(saver / entry["name"])
            except Exception:
                row = {"name": entry["name"], "load": "crash " + traceback.format_exc()[-300:]}
            row["saver"] = index["version"]
            row["loader"] = sklearn.__version__
            row["class"] = entry["class"]
            print(json.dumps(row), flush=True)


def main(argv: list[str]) -> int:
    if len(argv) in (2, 4) and argv[0] == "save":
        only = argv[3] if len(argv) == 4 and argv[2] == "--only" else None
        save(Path(argv[1]), only)
        return 0
    if len(argv) >= 2 and argv[0] == "load":
        load([Path(a) for a in argv[1:]])
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
