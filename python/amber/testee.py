"""The conformance testee: `python -m amber.testee`. The protocol is described once, in
tests/vectors/README.md ("Testee protocol"); in short:

One JSON request per stdin line, one JSON response per line on stdout, flushed each:

    {"id": 1, "op": "predict", "model": M, "input": X.npy, "method": "predict", "output": O}
    (X may be a .csv, read by the model's input schema: spec/format.md section 7.1)
    (O is a list of paths for a method that gives a list of arrays: a multi-output
    classifier's predict_proba, one array per output)
    {"id": 2, "op": "validate", "model": M}
    {"id": 3, "op": "reencode", "model": M, "output": O}

Responses are {"id": N, "ok": true} or {"id": N, "ok": false, "code": "E_...",
"message": "..."}.
"""

from __future__ import annotations

import json
import sys
import warnings
from typing import Any

import numpy as np

from . import _api, _container
from ._errors import AmberError

METHODS = ("predict", "predict_proba", "decision_function", "transform", "score_samples")


class _Fail(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _write_output(result: Any, path: str) -> None:
    arr = np.asarray(result)
    try:
        if arr.dtype.kind in "UO":
            with open(path, "w", encoding="utf-8") as f:
                # Nested lists for more than one axis (a multi-output classifier's labels).
                labels = np.vectorize(str, otypes=[object])(arr).tolist()
                json.dump(labels if arr.ndim > 1 else [str(v) for v in arr.tolist()], f)
            return
        if arr.dtype.kind in "iub":
            arr = arr.astype(np.int64)
        elif arr.dtype.kind == "f":
            arr = arr.astype(np.float64)
        else:
            raise _Fail("E_INPUT", f"output of dtype {arr.dtype} cannot be written")
        with open(path, "wb") as f:  # a file object: np.save must not append ".npy"
            np.save(f, arr, allow_pickle=False)
    except OSError as exc:
        raise _Fail("E_IO", f"cannot write {path}: {exc}") from exc


_TRUE, _FALSE = ("True", "TRUE", "true"), ("False", "FALSE", "false")


def _na_values() -> frozenset[str]:
    """pandas' default missing-value strings (`STR_NA_VALUES`, which `pandas.read_csv` reads
    as missing by default): spec/format.md section 7.1 names the same 19."""
    from pandas._libs.parsers import STR_NA_VALUES

    return frozenset(STR_NA_VALUES)


def _number(cell: Any, na: frozenset[str]) -> float | None:
    """A numeric cell by spec/format.md section 7.1 (None: not one): pandas' missing strings
    are NaN, else float()'s syntax with ASCII digits (a blank cell is not a number), and
    pandas' bool spellings are 1 and 0."""
    if cell in na:
        return float("nan")
    text = cell.strip()
    if text in _TRUE:
        return 1.0
    if text in _FALSE:
        return 0.0
    if not text or any(c.isdigit() and not c.isascii() for c in text):
        return None  # float() takes other Unicode digits; the spec does not
    try:
        return float(text)
    except ValueError:
        return None


def _numbers(cells: list[str], column: Any, na: frozenset[str]) -> list[float]:
    out = []
    for row, cell in enumerate(cells):
        x = _number(cell, na)
        if x is None:
            raise _Fail("E_INPUT", f"row {row}, column {column!r}: {cell!r}: not a number")
        out.append(x)
    return out


def _is_header(first: list[str], columns: list[tuple[str, int]], na: frozenset[str]) -> bool:
    """spec/format.md section 7.1, "Header" (what `Header::Detect` decides in Rust)."""
    from . import _schema

    def number(cell: str) -> bool:
        return _number(cell, na) is not None

    if any(name for name, _ in columns):
        read = [name for name, kind in columns if kind != _schema.UNUSED]
        return (bool(read) and all(n in first for n in read)) or not all(map(number, first))
    undecided = False
    for (_, kind), cell in zip(columns, first):
        if kind == _schema.NUMERIC and not number(cell):
            return True
        if kind == _schema.STRING or (kind == _schema.ANY and not number(cell)):
            undecided = True
    if undecided:
        raise _Fail("E_INPUT", "the first line could be a header or data (a model without names)")
    return False


def _check_widths(path: str, width: int) -> None:
    """E_INPUT for a line with fewer fields than the first: pandas pads it with missing cells
    (and refuses a longer one itself), where spec/format.md section 7.1 refuses it. The csv
    module splits the same RFC 4180 records; a record of one field of spaces and tabs is
    a line pandas skips as blank (or a quoted blank cell, of a one-field line either way)."""
    import csv

    with open(path, encoding="utf-8-sig", newline="") as f:
        for row in csv.reader(f):
            blank = len(row) == 1 and not row[0].strip(" \t")
            if row and not blank and len(row) != width:
                raise _Fail("E_INPUT", f"a line has {len(row)} fields, expected {width}")


def _read_csv(path: str, model_bytes: Any) -> Any:
    """A CSV input as scikit-learn is given it (spec/format.md section 7.1): every cell read
    as text by pandas (blank lines skipped, quotes removed), pandas' default missing strings
    missing, then each column by the model's schema: numbers for NUMERIC (and ANY when every
    cell is one), the text for STRING. A DataFrame when the model has names, else an array."""
    import pandas as pd

    from . import _schema

    manifest = _container.read_container(model_bytes).manifest
    if manifest.HasField("input"):
        columns = [(c.name, c.kind) for c in manifest.input.columns]
    else:
        names = _schema.feature_names(manifest.estimator)
        n = int(manifest.estimator.n_features_in)
        columns = [(name, _schema.NUMERIC) for name in (names or [""] * n)]
    na = _na_values()
    try:
        raw = pd.read_csv(path, dtype=object, na_filter=False, header=None)
    except pd.errors.EmptyDataError:
        raise _Fail("E_INPUT", "the input has no data rows") from None
    except pd.errors.ParserError as exc:
        raise _Fail("E_INPUT", f"malformed CSV: {exc}") from None
    _check_widths(path, raw.shape[1])
    first = raw.iloc[0].tolist()
    header = _is_header(first, columns, na)
    named = any(name for name, _ in columns)
    if header:
        raw = raw.iloc[1:].reset_index(drop=True)
    if not (header and named):
        if raw.shape[1] != len(columns):
            raise _Fail("E_INPUT", f"{raw.shape[1]} columns, the model expects {len(columns)}")
        raw.columns = [name or i for i, (name, _) in enumerate(columns)]
        columns = [(name or i, kind) for i, (name, kind) in enumerate(columns)]
    else:
        raw.columns = range(raw.shape[1])
        where = {}
        for i, name in enumerate(first):
            where.setdefault(name, []).append(i)
        missing = [n for n, k in columns if n not in where and k != _schema.UNUSED]
        if missing:
            raise _Fail("E_INPUT", f"the header has no column {', '.join(map(repr, missing))}")
        if any(len(where.get(n, [])) > 1 for n, _ in columns):
            raise _Fail("E_INPUT", "a column the model reads appears more than once")
        raw = pd.DataFrame({n: raw[where[n][0]] for n, _ in columns if n in where}, index=raw.index)
    if not len(raw):
        raise _Fail("E_INPUT", "the input has no data rows")
    frame = {}
    for name, kind in columns:
        if kind == _schema.UNUSED or name not in raw.columns:
            frame[name] = np.full(len(raw), np.nan)
            continue
        cells = raw[name].tolist()
        if kind == _schema.STRING or (
            kind == _schema.ANY and any(_number(c, na) is None for c in cells)
        ):
            frame[name] = pd.Series([np.nan if c in na else c for c in cells], dtype=object)
        else:
            frame[name] = _numbers(cells, name, na)
    X = pd.DataFrame(frame, index=range(len(raw)))
    return X if named else X.to_numpy()


class _SammeR:
    """An AdaBoostClassifier(algorithm="SAMME.R") body predicted from the body alone
    (spec/estimators.md section 29), its members rebuilt one by one: scikit-learn 1.6+ no
    longer computes SAMME.R, so `amber.load` refuses such a file (E_PROVENANCE) where a
    reader that predicts from the body, as this testee must, still can."""

    def __init__(self, body: Any, weights: np.ndarray, members: list[Any]) -> None:
        self.body, self.weights, self.members = body, weights, members

    def decision_function(self, X: Any) -> np.ndarray:
        from . import _tree

        outputs = [m.predict_proba(X) for m in self.members]
        return _tree.ada_boost_decision(self.body, self.weights, outputs)

    def predict_proba(self, X: Any) -> np.ndarray:
        from . import _tree

        return _tree.ada_boost_proba(self.body, self.decision_function(X))

    def predict(self, X: Any) -> np.ndarray:
        from . import _tree

        return _tree.ada_boost_predict(self.body, self.decision_function(X))


def _load(path: str) -> Any:
    """`amber.load`, or for a root SAMME.R body the installed scikit-learn refuses, the body
    predicted by the spec's arithmetic over its rebuilt members."""
    try:
        return _api.load(path)
    except AmberError as exc:
        if exc.code != "E_PROVENANCE":
            raise
        from ._proto.amber.v1 import amber_pb2 as pb
        from ._sklearn import decode_estimator
        from ._sklearn._common import DecodeCtx

        container = _container.read_container(_api._read_bytes(path))
        est = container.manifest.estimator
        if not (
            est.WhichOneof("body") == "ada_boost"
            and est.ada_boost.algorithm == pb.ADA_BOOST_ALGORITHM_SAMME_R
        ):
            raise
        ctx = DecodeCtx(container)
        members = [decode_estimator(m, ctx) for m in est.ada_boost.members]
        return _SammeR(est.ada_boost, container.array(est.ada_boost.weights), members)


def _predict(req: dict[str, Any]) -> None:
    method = req.get("method", "predict")
    model = _load(req["model"])
    if method not in METHODS or not hasattr(model, method):
        raise _Fail("E_METHOD", f"{type(model).__name__} has no method {method!r}")
    try:
        if str(req["input"]).lower().endswith(".csv"):
            X = _read_csv(req["input"], _api._read_bytes(req["model"]))
        else:
            X = np.load(req["input"], allow_pickle=False)
            names = getattr(model, "feature_names_in_", None)
            if names is not None and X.ndim == 2 and X.shape[1] == len(names):
                # The array's columns are the model's, in order: as the DataFrame it was
                # fitted on (a ColumnTransformer selects columns by name).
                import pandas as pd

                X = pd.DataFrame(X, columns=list(names))
    except OSError as exc:
        raise _Fail("E_IO", f"cannot read {req['input']}: {exc}") from exc
    except ValueError as exc:
        raise _Fail("E_INPUT", f"cannot read {req['input']}: {exc}") from exc
    try:
        with warnings.catch_warnings():
            # Models fitted with feature names warn on a plain array; that is expected.
            warnings.simplefilter("ignore", UserWarning)
            result = getattr(model, method)(X)
    except (ValueError, TypeError) as exc:
        raise _Fail("E_INPUT", str(exc)) from exc
    out = req["output"]
    # A multi-output classifier's predict_proba is a list of arrays, one per output; the
    # request then names a list of paths, one per output.
    # One path takes one array (a list of arrays is E_METHOD); a list of k paths takes the
    # method's k arrays, one array counting as a list of one (else E_REQUEST): the protocol
    # of tests/vectors/README.md, "Testee protocol".
    arrays = result if isinstance(result, list) else [result]
    paths = out if isinstance(out, list) else [out]
    if isinstance(result, list) and not isinstance(out, list):
        raise _Fail(
            "E_METHOD",
            f"{method} gives {len(arrays)} arrays (one per output); the request names one path",
        )
    if len(arrays) != len(paths):
        raise _Fail(
            "E_REQUEST",
            f"output lists {len(paths)} paths, the model's {method} has {len(arrays)} outputs",
        )
    for array, path in zip(arrays, paths):
        if method == "transform" and getattr(array, "dtype", None) == np.bool_:
            # A mask (MissingIndicator) is 1.0/0.0 in the format (spec/estimators.md §18.3).
            array = np.asarray(array, dtype=np.float64)
        _write_output(array, path)


def _reencode(req: dict[str, Any]) -> None:
    data = _api._read_bytes(req["model"])
    container = _container.read_container(data)
    out = _container.reencode(container)
    try:
        with open(req["output"], "wb") as f:
            f.write(out)
    except OSError as exc:
        raise _Fail("E_IO", f"cannot write {req['output']}: {exc}") from exc


def handle(req: dict[str, Any]) -> dict[str, Any]:
    """Run one request and return its response; warnings go to stderr, never stdout."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        resp = _handle(req)
    for w in caught:
        print(f"warning: request {req.get('id')}: {w.message}", file=sys.stderr)
    return resp


def _handle(req: dict[str, Any]) -> dict[str, Any]:
    rid = req.get("id")
    try:
        op = req.get("op")
        if op == "predict":
            _predict(req)
        elif op == "validate":
            _api.validate(req["model"])
        elif op == "reencode":
            _reencode(req)
        else:
            raise _Fail("E_REQUEST", f"unknown op {op!r}")
    except (AmberError, _Fail) as exc:
        return {"id": rid, "ok": False, "code": exc.code, "message": exc.message}
    except KeyError as exc:
        return {"id": rid, "ok": False, "code": "E_REQUEST", "message": f"missing field {exc}"}
    except Exception as exc:  # a testee bug; report it rather than dying mid-run
        return {"id": rid, "ok": False, "code": "E_INTERNAL", "message": repr(exc)}
    return {"id": rid, "ok": True}


def main() -> int:
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            req = json.loads(line)
            if not isinstance(req, dict):
                raise ValueError("a request is a JSON object")
        except ValueError as exc:
            resp = {"id": None, "ok": False, "code": "E_REQUEST", "message": str(exc)}
        else:
            resp = handle(req)
        sys.stdout.write(json.dumps(resp) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
