#!/usr/bin/env python3
"""The differential fuzzer: the same mutants through both readers, any difference a finding.

    .venv/bin/python fuzz/differential.py --mutants 2000            # a campaign
    .venv/bin/python fuzz/differential.py --files tests/hostile/*.amber   # check given files

Each mutant (fuzz/mutants.py: byte, field, tensor and wire-level changes of a corpus file,
checksums repaired) goes to

- Python, in a worker subprocess under a memory limit (RLIMIT_AS) and a time limit:
  `amber.validate` (the spec-level verdict), then `amber.loads` and the source case's methods
  on its input.npy when it validates; `amber.loads` of a rejected file must fail with
  AmberError too;
- Rust, through one long-lived `amber testee` process (crates/amber-conformance/README.md)
  under the same limits: `validate`, then `predict` for each method.

A finding is: a different verdict or error code from the two validators; a different code
from Python's `amber.loads` than from its `amber.validate` on a rejected file; a method that
succeeds in one reader and fails in the other, or fails with different codes; outputs of
different kinds, shapes or values (bitwise, NaN equal to NaN, unless the case's case.json
gives rtol/atol); any Python exception that is not AmberError; a crash or a limit hit in either
reader. `amber.loads` refusing with E_PROVENANCE a file both validators accept is the
rebuilding reader's extra check (spec/sklearn.md): it is counted apart, not a finding.

Findings are minimized (field removal on the decoded manifest, then byte-level delta
debugging of the manifest, each step re-framed with valid checksums) and written to
fuzz/findings/ with a JSON note of what differed. Exit status 1 when there was a finding.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import random
import re
import resource
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

import mutants  # noqa: E402

from amber._tree import children  # noqa: E402

METHODS = (
    "predict",
    "predict_proba",
    "decision_function",
    "transform",
    "score_samples",
)
#: sklearn's own input check (wrong column count) is the input's fault, as Rust's E_INPUT is.
SKLEARN_INPUT_ERROR = re.compile(
    r"X has \d+ features?, but \w+ is expecting \d+ features?"
    # An encoder with handle_unknown="error" refusing a value (sklearn/preprocessing/_encoders.py,
    # _BaseEncoder._transform): the input's fault, E_INPUT in the format.
    r"|Found unknown categories .* in column \d+ during transform"
)
PROVENANCE = "E_PROVENANCE"


# ---------------------------------------------------------------------------------------------
# The corpus


@dataclass
class Method:
    name: str
    outputs: int | None  # None: one array; k: a list of k arrays (multi-output predict_proba)
    rtol: float = 0.0
    atol: float = 0.0
    exact: bool = True


@dataclass
class Case:
    """A seed file, the input its methods run on and how outputs are compared."""

    name: str
    data: bytes
    input: Path | None
    methods: list[Method] = field(default_factory=list)


def _methods(case_json: dict) -> list[Method]:
    out = []
    for name, spec in case_json.get("methods", {}).items():
        expected = spec.get("expected")
        out.append(
            Method(
                name,
                len(expected) if isinstance(expected, list) else None,
                float(spec.get("rtol", 0.0)),
                float(spec.get("atol", 0.0)),
                bool(spec.get("exact", True)),
            )
        )
    return out


def load_corpus(vectors: Path) -> list[Case]:
    """Every valid case, and every invalid file with its source case's input and methods."""
    cases: dict[str, Case] = {}
    for case_json in sorted(vectors.glob("valid/*/case.json")):
        spec = json.loads(case_json.read_text())
        d = case_json.parent
        # An input with strings is input.csv only; both readers read it by the model's input
        # schema (spec/format.md section 7.1), as `amber predict` and the testees do.
        cases[f"valid/{d.name}"] = Case(
            f"valid/{d.name}",
            (d / spec["model"]).read_bytes(),
            d / (spec["input"] or spec["input_csv"]),
            _methods(spec),
        )
    out = list(cases.values())
    for note in sorted(vectors.glob("invalid/*.json")):
        source = cases.get(json.loads(note.read_text()).get("derived_from", ""))
        out.append(
            Case(
                f"invalid/{note.stem}",
                note.with_suffix(".amber").read_bytes(),
                source.input if source else None,
                source.methods if source else [],
            )
        )
    return out


# ---------------------------------------------------------------------------------------------
# The two readers, each a subprocess under limits


def _limits(mem_mb: int):
    def apply() -> None:
        limit = mem_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        os.setsid()

    return apply


class Dead(Exception):
    """The subprocess crashed, hit a limit or did not answer in time."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


class LineProcess:
    """A subprocess answering one JSON line per JSON line, restarted after each death."""

    def __init__(self, argv: list[str], mem_mb: int, timeout: float, log: Path, env=None):
        self.argv, self.mem_mb, self.timeout, self.log, self.env = (
            argv,
            mem_mb,
            timeout,
            log,
            env,
        )
        self.proc: subprocess.Popen | None = None
        self.next_id = 0

    def _start(self) -> subprocess.Popen:
        log = open(self.log, "ab")  # noqa: SIM115 (the child keeps it)
        self.proc = subprocess.Popen(
            self.argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            preexec_fn=_limits(self.mem_mb),
            env=self.env,
        )
        log.close()
        return self.proc

    def request(self, req: dict) -> dict:
        proc = self.proc if self.proc and self.proc.poll() is None else self._start()
        self.next_id += 1
        req = {"id": self.next_id, **req}
        try:
            proc.stdin.write((json.dumps(req) + "\n").encode())
            proc.stdin.flush()
        except (BrokenPipeError, OSError):
            raise Dead(self._death()) from None
        ready, _, _ = select.select([proc.stdout], [], [], self.timeout)
        if not ready:
            self.stop()
            raise Dead(f"no answer in {self.timeout:g} s")
        line = proc.stdout.readline()
        if not line:
            raise Dead(self._death())
        resp = json.loads(line)
        if resp.get("id") != req["id"]:
            self.stop()
            raise Dead(f"answer out of step: {line[:200]!r}")
        return resp

    def _death(self) -> str:
        assert self.proc is not None
        try:
            rc = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.stop()
            return "stopped answering"
        self.proc = None
        if rc < 0:
            return f"killed by {signal.Signals(-rc).name}"
        return f"exited with status {rc}"

    def stop(self) -> None:
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            self.proc = None


def rust_binary(explicit: str | None = None) -> Path:
    """The `amber` binary: --amber, $AMBER_BIN, else target/release/amber."""
    path = Path(explicit or os.environ.get("AMBER_BIN") or ROOT / "target/release/amber")
    if not path.exists():
        sys.exit(f"{path}: not found; build it with `cargo build --release -p amber-cli`")
    return path


# ---------------------------------------------------------------------------------------------
# The Python worker (runs in the subprocess)


def _py_outcome(exc: BaseException, stage: str) -> dict:
    from amber import AmberError

    if isinstance(exc, AmberError):
        return {"code": exc.code, "message": str(exc)[:300]}
    if stage == "method" and isinstance(exc, ValueError) and _input_check(exc):
        return {"code": "E_INPUT", "note": f"sklearn's input check: {exc}"[:300]}
    return {
        "exc": f"{type(exc).__name__}: {exc}"[:500],
        "type": f"{type(exc).__name__} at {_where(exc)}",
    }


def _input_check(exc: BaseException) -> bool:
    """Raised by scikit-learn's own input validation (sklearn/utils/validation.py)?"""
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)
    return SKLEARN_INPUT_ERROR.search(str(exc)) is not None or (
        bool(frames) and frames[-1].filename.endswith("sklearn/utils/validation.py")
    )


def _where(exc: BaseException) -> str:
    """The innermost frame of the traceback in amber or scikit-learn: `file:function`."""
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)
    for frame in reversed(frames):
        for package in ("amber", "sklearn", "numpy"):
            marker = f"/{package}/"
            if marker in frame.filename:
                return f"{package}/{frame.filename.rsplit(marker, 1)[1]}:{frame.name}"
    return f"{frames[-1].name}" if frames else "?"


def _gives_indices(model) -> bool:
    """Whether `model`'s transform keeps scikit-learn's integers, as the format does (i64): a
    hard VotingClassifier's class indices (spec/estimators.md section 20), a Stacking's
    members' integer labels (section 21: i64 exactly when every piece is), or a pipeline
    ending in one."""
    from sklearn.ensemble import StackingClassifier, StackingRegressor, VotingClassifier
    from sklearn.pipeline import Pipeline

    while isinstance(model, Pipeline) and model.steps:
        model = model.steps[-1][1]
    if isinstance(model, (StackingClassifier, StackingRegressor)):
        return True
    return isinstance(model, VotingClassifier) and model.voting == "hard"


def _save(result, path: Path, transform: bool = False, indices: bool = False) -> None:
    """A method's output as .npy; a transform's numbers as float64, as the format returns
    them (a MissingIndicator's bool mask as 1.0/0.0, an int-dtype encoder's codes), except a
    hard vote's class indices (`indices`), i64 in the format too; a sparse matrix as its
    dense values (the format's outputs are dense)."""
    if hasattr(result, "toarray"):
        result = result.toarray()
    arr = np.asarray(result)
    if transform and not indices and arr.dtype.kind in "iub":
        arr = arr.astype(np.float64)
    if arr.dtype.kind in "UOS":
        arr = np.array([str(v) for v in arr.reshape(-1)], dtype=str).reshape(arr.shape)
    elif arr.dtype.kind in "iub":
        arr = arr.astype(np.int64)
    elif arr.dtype.kind == "f":
        arr = arr.astype(np.float64)
    with open(path, "wb") as f:
        np.save(f, arr, allow_pickle=False)


def _py_input(path: str, data: bytes):
    """The case's input as scikit-learn is given it: the `.npy` array, or the CSV read by the
    file's input schema (a DataFrame when the model has names), as `amber.testee` reads it."""
    if not path.lower().endswith(".csv"):
        return np.load(path, allow_pickle=False)
    from amber import AmberError, testee

    try:
        return testee._read_csv(path, data)
    except testee._Fail as fail:
        raise AmberError(fail.code, fail.message) from None


def _sequential(model) -> None:
    """n_jobs=None on every estimator inside `model`, fitted members included (a Voting's
    `estimators_`, a search's `best_estimator_`): each set on the object itself, not through
    `set_params("<step>__n_jobs")`, which scikit-learn cannot parse for a step name ending in
    "_" (a name it accepts)."""
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


def py_run(req: dict) -> dict:
    """validate, then loads and methods: what the worker answers for one file."""
    import warnings

    import amber

    data = Path(req["model"]).read_bytes()
    out: dict = {}
    try:
        amber.validate(data)
        out["validate"] = {"ok": True}
    except Exception as exc:
        out["validate"] = _py_outcome(exc, "validate")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            model = amber.loads(data)
            out["load"] = {"ok": True}
        except Exception as exc:
            out["load"] = _py_outcome(exc, "load")
            return out
        if not out["validate"].get("ok") or not req["methods"]:
            return out
        # A forest with n_jobs > 1 sums its trees' probabilities in whatever order its threads
        # finish (sklearn/ensemble/_forest.py, _accumulate_prediction): scikit-learn itself is
        # not reproducible in the last bit then. Compare with its sequential order, the one
        # the spec prescribes (spec/estimators.md 5.5).
        try:
            _sequential(model)
        except Exception as exc:
            out["load"] = _py_outcome(exc, "load")
            return out
        try:
            x = _py_input(req["input"], data)
        except Exception as exc:
            # The mutant's schema does not fit the case's CSV: every method is refused.
            failed = _py_outcome(exc, "method")
            out["methods"] = {name: failed for name in req["methods"]}
            return out
        names = getattr(model, "feature_names_in_", None)
        if (
            isinstance(x, np.ndarray)
            and names is not None
            and x.ndim == 2
            and x.shape[1] == len(names)
        ):
            # The array's columns are the model's, in order: as the DataFrame it was fitted
            # on (a ColumnTransformer selects columns by name), as the Rust reader reads it.
            import pandas as pd

            x = pd.DataFrame(x, columns=[str(n) for n in names])
        results = {}
        for name in req["methods"]:
            try:
                if not hasattr(model, name):
                    results[name] = {"code": "E_METHOD"}
                    continue
                # A fresh copy each time: a rebuilt StandardScaler(copy=False) scales its input
                # in place, as the original object would, and the next method must not see it.
                result = getattr(model, name)(x.copy())
            except Exception as exc:
                results[name] = _py_outcome(exc, "method")
                continue
            arrays = result if isinstance(result, list) else [result]
            paths = [str(Path(req["out"]) / f"py-{name}.{k}.npy") for k in range(len(arrays))]
            try:
                for a, p in zip(arrays, paths):
                    _save(a, Path(p), name == "transform", _gives_indices(model))
            except Exception as exc:
                results[name] = _py_outcome(exc, "method")
                continue
            results[name] = {"ok": paths, "list": isinstance(result, list)}
            if name == "predict":
                try:
                    undecided = _code_near_ties(model, x.copy())
                except Exception:  # the model's own predict ran: the scores do too
                    undecided = None
                if undecided is not None:
                    at = str(Path(req["out"]) / "py-predict.undecided.npy")
                    np.save(at, undecided)
                    results[name]["undecided"] = at
        out["methods"] = results
    return out


def _code_near_ties(model, x) -> np.ndarray | None:
    """For an OutputCodeClassifier (or a pipeline ending in one): the rows whose squared
    distances to the nearest code word and the nearest other one are within
    `CODE_MARGIN (1 + d)` (or not finite), where the spec does not decide the label
    (spec/estimators.md section 23, Exactness: scikit-learn computes the distances with BLAS
    as |s|^2 - 2 s.c + |c|^2). None for any other model."""
    from sklearn.multiclass import OutputCodeClassifier, _predict_binary
    from sklearn.pipeline import Pipeline

    while isinstance(model, Pipeline) and model.steps:
        x = model[:-1].transform(x) if len(model.steps) > 1 else x
        model = model.steps[-1][1]
    if not isinstance(model, OutputCodeClassifier):
        return None
    s = np.array([_predict_binary(e, x) for e in model.estimators_], dtype=np.float64).T
    book = np.asarray(model.code_book_, dtype=np.float64)
    with np.errstate(all="ignore"):
        d = ((s[:, None, :] - book[None, :, :]) ** 2).sum(axis=2)
    undecided = np.zeros(len(s), dtype=bool)
    for i in range(len(s)):
        if not np.all(np.isfinite(d[i])):
            undecided[i] = True
            continue
        k1 = int(np.argmin(d[i]))
        other = [k for k in range(len(book)) if not np.array_equal(book[k], book[k1])]
        if other:
            d2 = min(d[i, k] for k in other)
            undecided[i] = not d2 - d[i, k1] > CODE_MARGIN * (1 + d2)
    return undecided


#: spec/estimators.md section 23: output-code labels are exact away from a relative tie of
#: the code words' squared distances.
CODE_MARGIN = 1e-9


def worker_main() -> int:
    """Serve py_run over stdin/stdout; anything else printed goes to stderr."""
    protocol = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    import amber  # noqa: F401 (imported once, before the first request)

    for line in sys.stdin:
        req = json.loads(line)
        try:
            resp = py_run(req)
        except Exception as exc:
            resp = {"harness": repr(exc)}
        protocol.write(json.dumps({"id": req["id"], **resp}) + "\n")
        protocol.flush()
    return 0


# ---------------------------------------------------------------------------------------------
# Comparing


@dataclass
class Verdict:
    """What happened to one file in both readers."""

    python_validate: str | None = None  # None: accepted; else a code or "exception"/"crash"
    rust_validate: str | None = None
    provenance: bool = False
    differences: list[str] = field(default_factory=list)
    signature: str | None = None  # the first difference, stable across values
    detail: dict = field(default_factory=dict)

    def differ(self, signature: str, text: str) -> None:
        if self.signature is None:
            self.signature = signature
        self.differences.append(text)


def _code(outcome: dict) -> str | None:
    if outcome.get("ok"):
        return None
    return outcome.get("code") or f"exception {outcome.get('type')}"


def same_output(py: np.ndarray, rust: np.ndarray, m: Method) -> str | None:
    """None when equal by the corpus rule, else what differs."""
    if py.shape != rust.shape:
        return f"shape: python {py.shape}, rust {rust.shape}"
    kinds = ("U" if a.dtype.kind in "US" else a.dtype.kind for a in (py, rust))
    kp, kr = kinds
    if kp != kr:
        return f"kind: python {py.dtype}, rust {rust.dtype}"
    if kp == "U" or kp in "iu":
        bad = py != rust
    else:
        both_nan = np.isnan(py) & np.isnan(rust)
        if m.exact:
            bad = (py.view(np.uint64) != rust.view(np.uint64)) & ~both_nan
        else:
            with np.errstate(all="ignore"):
                close = np.abs(py - rust) <= m.atol + m.rtol * np.abs(py)
            bad = ~(close | both_nan | ((py == rust) & np.isinf(py)))
    if not np.any(bad):
        return None
    where = tuple(int(i) for i in np.argwhere(bad)[0])
    n = int(np.sum(bad))
    return f"values: {n} differ, first at {where}: python {py[where]!r}, rust {rust[where]!r}"


#: The loosest comparison a body's arithmetic can need (spec/estimators.md states each): a
#: mutant may move such a body into a case whose own outputs were exact (a swap from another
#: case), and the case's rule must not then report the spec's own tolerance as a difference.
_BODY_TOLERANCE = {
    "linear": 1e-12,  # BLAS sums in another order (spec/estimators.md, Linear)
    "normalizer/l2": 1e-15,  # numpy's einsum order for the squares (Normalizer)
    "knn_imputer": 1e-12,  # reordered means of k values (KnnImputer, "Tolerance")
    "knn_imputer/distance": 1e-10,  # and the distances' rounding in the 1/d weights
    "ada_boost": 1e-12,  # numpy's exp (probabilities) and SAMME.R's log (AdaBoost, Exactness)
}


def _body_tolerance(data: bytes) -> float:
    """The largest tolerance any body of the file's estimator tree needs, 0 when none does."""
    parts = mutants.split(data)
    m = mutants.decode(parts[0]) if parts else None
    if m is None or not m.HasField("estimator"):
        return 0.0
    worst, todo = 0.0, [m.estimator]
    while todo:
        est = todo.pop()
        body = est.WhichOneof("body")
        key = body
        if body == "normalizer" and est.normalizer.norm == mutants.pb.NORMALIZER_NORM_L2:
            key = "normalizer/l2"
        if body == "knn_imputer" and est.knn_imputer.weights == mutants.pb.KNN_WEIGHTS_DISTANCE:
            key = "knn_imputer/distance"
        worst = max(worst, _BODY_TOLERANCE.get(key or "", 0.0))
        todo.extend(children(est))
    return worst


def _predicting_body(data: bytes):
    """The body whose outputs are the root's: the root, or a pipeline's last step, nested."""
    parts = mutants.split(data)
    m = mutants.decode(parts[0]) if parts else None
    est = m.estimator if m is not None and m.HasField("estimator") else None
    while est is not None and est.WhichOneof("body") == "pipeline":
        steps = est.pipeline.steps
        est = steps[-1].estimator if steps and steps[-1].HasField("estimator") else None
    return est


def _needs_softmax_bound(data: bytes, name: str) -> bool:
    """A 1.3.2 multiclass GradientBoosting body (`LOGSUMEXP`) read by a scikit-learn that
    computes `SOFTMAX` (spec/estimators.md section 7.5): the two formulas differ by up to
    `SOFTMAX_BOUND * eps * (max |R| + log K + 1)` per row, which grows with the scores."""
    est = _predicting_body(data) if name == "predict_proba" else None
    return (
        est is not None
        and est.WhichOneof("body") == "boosting"
        and est.boosting.link == mutants.pb.BOOSTING_LINK_LOGSUMEXP
    )


def _decides_on_probabilities(data: bytes, name: str) -> bool:
    """A 1.3.2 GradientBoosting classifier body (`PROBA_ARGMAX`), whose labels a newer
    scikit-learn decides on the raw scores instead (spec/estimators.md section 7.5): the two
    agree except where the probabilities tie within what they can resolve."""
    est = _predicting_body(data) if name == "predict" else None
    return (
        est is not None
        and est.WhichOneof("body") == "boosting"
        and est.boosting.decision == mutants.pb.BOOSTING_DECISION_PROBA_ARGMAX
    )


def near_ties(proba: np.ndarray, raw: np.ndarray) -> np.ndarray:
    """Rows whose two largest probabilities are within the SOFTMAX bound of each other
    (computed from the raw scores): their argmax is not decided by the arithmetic."""
    if proba.ndim != 2 or proba.shape[1] < 2 or raw.shape[0] != proba.shape[0]:
        return np.zeros(proba.shape[0], dtype=bool)
    raw2 = raw.reshape(raw.shape[0], -1)
    with np.errstate(all="ignore"):
        size = np.max(np.abs(raw2), axis=1) + np.log(proba.shape[1]) + 1.0
        top = np.sort(proba, axis=1)
        gap = top[:, -1] - top[:, -2]
    return ~(gap > SOFTMAX_BOUND * np.finfo(np.float64).eps * size)


#: spec/estimators.md section 7.4: |LOGSUMEXP - SOFTMAX| <= 2 eps (max_k |R_k| + log K + 1)
#: (measured: 0.5 eps on 10^5 rows of 3-20 classes, |R| from 1 to 10^6).
SOFTMAX_BOUND = 2.0


def _softmax_loosened(m: Method, raw: np.ndarray) -> Method:
    """m with the per-row absolute bound of _needs_softmax_bound, from the raw scores R."""
    if raw.ndim != 2 or raw.shape[1] < 2:
        return m
    with np.errstate(all="ignore"):
        size = np.max(np.abs(raw), axis=1, keepdims=True) + np.log(raw.shape[1]) + 1.0
    atol = np.maximum(m.atol, SOFTMAX_BOUND * np.finfo(np.float64).eps * size)
    return Method(m.name, m.outputs, rtol=m.rtol, atol=atol, exact=False)  # type: ignore[arg-type]


def _loosened(m: Method, tol: float) -> Method:
    if tol == 0.0 or (not m.exact and m.rtol >= tol and m.atol >= tol):
        return m
    rtol, atol = (tol, tol) if m.exact else (max(m.rtol, tol), max(m.atol, tol))
    return Method(m.name, m.outputs, rtol=rtol, atol=atol, exact=False)


class Readers:
    """Both readers, with a scratch directory for mutants and outputs."""

    def __init__(
        self,
        amber: Path,
        mem_mb: int = 2048,
        timeout: float = 30.0,
        logs: Path | None = None,
    ):
        self.tmp = Path(tempfile.mkdtemp(prefix="amber-diff-"))
        logs = logs or self.tmp
        env = {
            **os.environ,
            "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
            "RAYON_NUM_THREADS": "1",
        }
        self.python = LineProcess(
            [sys.executable, str(Path(__file__).resolve()), "--worker"],
            mem_mb,
            timeout,
            logs / "python-worker.log",
            env,
        )
        self.rust = LineProcess(
            [str(amber), "testee"], mem_mb, timeout, logs / "rust-testee.log", env
        )

    def close(self) -> None:
        self.python.stop()
        self.rust.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self) -> Readers:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def compare(self, data: bytes, case: Case) -> Verdict:
        model = self.tmp / "mutant.amber"
        model.write_bytes(data)
        for old in [*self.tmp.glob("py-*.npy"), *self.tmp.glob("rust-*.npy")]:
            old.unlink()
        v = Verdict()
        methods = {m.name: m for m in case.methods} if case.input else {}
        try:
            py = self.python.request(
                {
                    "model": str(model),
                    "input": str(case.input),
                    "methods": list(methods),
                    "out": str(self.tmp),
                }
            )
        except Dead as dead:
            v.python_validate = "crash"
            v.differ("python-dead", f"python worker: {dead.what}")
            py = None
        try:
            rv = self.rust.request({"op": "validate", "model": str(model)})
            v.rust_validate = None if rv.get("ok") else rv.get("code")
        except Dead as dead:
            v.rust_validate = "crash"
            v.differ("rust-dead", f"rust testee (validate): {dead.what}")
            return v
        if py is None:
            return v
        if "harness" in py:
            raise RuntimeError(f"the Python worker failed: {py['harness']}")
        v.detail["python"] = py
        v.python_validate = _code(py["validate"])
        if "exc" in py["validate"]:
            v.differ(
                f"python-exception validate {py['validate']['type']}",
                f"amber.validate: {py['validate']['exc']}",
            )
        if "exc" in py["load"]:
            v.differ(
                f"python-exception loads {py['load']['type']}",
                f"amber.loads: {py['load']['exc']}",
            )
        if v.python_validate != v.rust_validate:
            v.differ(
                f"validate python={v.python_validate or 'ok'} rust={v.rust_validate or 'ok'}",
                f"validate: python {v.python_validate or 'accepts'}, "
                f"rust {v.rust_validate or 'accepts'}",
            )
            return v
        load = _code(py["load"])
        if v.python_validate is not None:
            if load is None:
                v.differ(
                    "loads accepts a rejected file",
                    f"amber.loads accepts what validate rejects ({v.python_validate})",
                )
            elif load != v.python_validate and "exc" not in py["load"]:
                v.differ(
                    f"loads {load} validate {v.python_validate}",
                    f"amber.loads says {load}, amber.validate {v.python_validate}",
                )
            return v
        if load == PROVENANCE:
            v.provenance = True
            return v
        if load is not None:
            if "exc" not in py["load"]:
                v.differ(
                    f"loads {load} on a valid file",
                    "amber.loads refuses a file both readers validate: "
                    f"{py['load'].get('message')}",
                )
            return v
        self._methods(v, py.get("methods", {}), methods, model, case)
        return v

    def _methods(
        self, v: Verdict, py: dict, methods: dict[str, Method], model: Path, case: Case
    ) -> None:
        for name, m in methods.items():
            p = py.get(name, {})
            if "exc" in p:
                v.differ(
                    f"python-exception {name} {p['type']}",
                    f"{name}: python raises {p['exc']}",
                )
                continue
            n_out = len(p["ok"]) if p.get("list") else m.outputs
            outs = [str(self.tmp / f"rust-{name}.{k}.npy") for k in range(n_out or 1)]
            try:
                r = self.rust.request(
                    {
                        "op": "predict",
                        "model": str(model),
                        "input": str(case.input),
                        "method": name,
                        "output": outs if n_out is not None else outs[0],
                    }
                )
            except Dead as dead:
                v.differ("rust-dead", f"rust testee ({name}): {dead.what}")
                return
            pc, rc = _code(p), (None if r.get("ok") else r.get("code"))
            if pc != rc:
                v.differ(
                    f"{name} python={pc or 'ok'} rust={rc or 'ok'}",
                    f"{name}: python {pc or 'ok'}, rust {rc or 'ok'} {r.get('message', '')[:200]}",
                )
                continue
            if pc is not None:
                continue
            data = model.read_bytes()
            rule = _loosened(m, _body_tolerance(data))
            if _needs_softmax_bound(data, name):
                raw = self._rust_raw_scores(model, case)
                if raw is not None:
                    rule = _softmax_loosened(rule, raw)
            undecided = None
            if _decides_on_probabilities(data, name):
                undecided = self._rust_near_ties(model, case)
            if p.get("undecided"):
                # an output code's near ties (spec section 23): the label is not decided
                undecided = np.load(p["undecided"], allow_pickle=False)
            for k, (pp, rp) in enumerate(zip(p["ok"], outs)):
                py_out = np.load(pp, allow_pickle=False)
                rust_out = np.load(rp, allow_pickle=False)
                if undecided is not None and undecided.shape[:1] == rust_out.shape[:1]:
                    py_out, rust_out = py_out[~undecided], rust_out[~undecided]
                diff = same_output(py_out, rust_out, rule)
                if diff:
                    v.differ(f"{name} {diff.split(':')[0]}", f"{name} output {k}: {diff}")

    def _rust_near_ties(self, model: Path, case: Case) -> np.ndarray | None:
        """The rows where Rust's probabilities tie within the SOFTMAX bound (near_ties)."""
        raw = self._rust_raw_scores(model, case)
        proba = self._rust_raw_scores(model, case, "predict_proba")
        return None if raw is None or proba is None else near_ties(proba, raw)

    def _rust_raw_scores(
        self, model: Path, case: Case, method: str = "decision_function"
    ) -> np.ndarray | None:
        """Rust's decision_function on the case's input (bit-exact raw scores, section 7.4),
        or another of its methods."""
        out = str(self.tmp / f"rust-raw-{method}.npy")
        try:
            r = self.rust.request(
                {
                    "op": "predict",
                    "model": str(model),
                    "input": str(case.input),
                    "method": method,
                    "output": out,
                }
            )
        except Dead:
            return None
        return np.load(out, allow_pickle=False) if r.get("ok") else None


# ---------------------------------------------------------------------------------------------
# Minimizing


def minimize(readers: Readers, data: bytes, case: Case, signature: str, seconds: float) -> bytes:
    """A smaller file with the same signature: manifest fields removed, then manifest bytes."""
    deadline = time.monotonic() + seconds

    def still(candidate: bytes) -> bool:
        return (
            time.monotonic() < deadline and readers.compare(candidate, case).signature == signature
        )

    data = _minimize_fields(data, still)
    data = _minimize_tensors(data, still)
    return _minimize_bytes(data, still)


def _minimize_tensors(data: bytes, still) -> bytes:
    """Drop tensors one by one, the data section laid out again for the rest."""
    parts = mutants.split(data)
    m = mutants.decode(parts[0]) if parts else None
    if m is None or mutants.arrays_of(m, parts[1]) is None:
        return data
    for i in reversed(range(len(m.tensors))):
        trial = type(m)()
        trial.CopyFrom(m)
        arrays = mutants.arrays_of(trial, parts[1])
        del trial.tensors[i]
        del arrays[i]
        candidate = mutants.frame(mutants.encode(trial), mutants.lay_out(trial, arrays))
        if still(candidate):
            m, data, parts = trial, candidate, mutants.split(candidate)
    return data


def _removals(m) -> list:
    """Edits that each make the manifest smaller: drop one list element, clear one field."""
    out = []
    for site in mutants.sites(m):
        if site.fd.is_repeated and site.index is None:
            n = len(getattr(site.msg, site.fd.name))
            out.extend((site, i) for i in reversed(range(n)))
        elif not site.fd.is_repeated and site.fd.type != site.fd.TYPE_MESSAGE:
            out.append((site, None))
    return out


def _minimize_fields(data: bytes, still) -> bytes:
    parts = mutants.split(data)
    m = mutants.decode(parts[0]) if parts else None
    if m is None or mutants.encode(m) != parts[0]:
        return data  # a file the schema cannot round-trip keeps its bytes
    progress = True
    while progress:
        progress = False
        for site, i in _removals(m):
            trial = type(m)()
            trial.CopyFrom(m)
            # The same site in the copy: found again by path.
            match = next((s for s in mutants.sites(trial) if s.path == site.path), None)
            if match is None:
                continue
            if i is None:
                match.msg.ClearField(match.fd.name)
            else:
                values = getattr(match.msg, match.fd.name)
                if i >= len(values):
                    continue
                del values[i]
            encoded = mutants.encode(trial)
            candidate = mutants.frame(encoded, parts[1])
            # Smaller manifest, not smaller file: the data section is 64-byte aligned.
            if len(encoded) < len(mutants.encode(m)) and still(candidate):
                m, data, progress = trial, candidate, True
                break
    return data


def _minimize_bytes(data: bytes, still) -> bytes:
    """ddmin over the manifest bytes (or the whole file when it has no header)."""
    parts = mutants.split(data)
    blob, rebuild = (
        (parts[0], lambda b: mutants.frame(b, parts[1])) if parts else (data, lambda b: b)
    )
    chunk = max(len(blob) // 2, 1)
    while chunk >= 1:
        i, shrunk = 0, False
        while i < len(blob):
            trial = blob[:i] + blob[i + chunk :]
            if still(rebuild(trial)):
                blob, shrunk = trial, True
            else:
                i += chunk
        if not shrunk:
            chunk //= 2
    return rebuild(blob)


# ---------------------------------------------------------------------------------------------
# The campaign


@dataclass
class Figures:
    mutants: int = 0
    accepted_by_both: int = 0
    rejected_by_both: int = 0
    codes: Counter = field(default_factory=Counter)
    provenance: int = 0
    findings: int = 0
    signatures: Counter = field(default_factory=Counter)

    def add(self, v: Verdict) -> None:
        self.mutants += 1
        if v.signature:
            self.findings += 1
            self.signatures[v.signature] += 1
        if v.python_validate is None and v.rust_validate is None:
            self.accepted_by_both += 1
            self.provenance += v.provenance
        elif v.python_validate == v.rust_validate:
            self.rejected_by_both += 1
            self.codes[v.python_validate] += 1

    def line(self, elapsed: float) -> str:
        return (
            f"{self.mutants} mutants ({self.mutants / max(elapsed, 1e-9):.1f}/s): "
            f"{self.accepted_by_both} accepted by both, {self.rejected_by_both} rejected by both, "
            f"{self.provenance} E_PROVENANCE, {self.findings} disagreements "
            f"({len(self.signatures)} kinds)"
        )

    def as_dict(self) -> dict:
        return {
            "mutants": self.mutants,
            "accepted_by_both": self.accepted_by_both,
            "rejected_by_both": self.rejected_by_both,
            "codes": dict(self.codes.most_common()),
            "e_provenance": self.provenance,
            "disagreements": self.findings,
            "kinds": dict(self.signatures.most_common()),
        }


def _shown(path: Path) -> Path:
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()[:60]


def write_finding(
    out: Path, data: bytes, original: bytes, case: Case, v: Verdict, note: dict
) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    name = f"{_slug(v.signature or 'finding')}-{hashlib.sha256(data).hexdigest()[:8]}"
    (out / f"{name}.amber").write_bytes(data)
    doc = {
        "signature": v.signature,
        "differences": v.differences,
        "case": case.name,
        "bytes": len(data),
        "bytes_before_minimizing": len(original),
        "python": v.detail.get("python"),
        **note,
    }
    (out / f"{name}.json").write_text(json.dumps(doc, indent=2, default=str) + "\n")
    return out / f"{name}.amber"


def campaign(args: argparse.Namespace) -> int:
    if args.jobs > 1:
        return _parallel(args)
    every = load_corpus(Path(args.vectors))
    # Donors (messages swapped in by the field strategy) come from the whole corpus.
    donors = [m for c in every if (p := mutants.split(c.data)) and (m := mutants.decode(p[0]))]
    corpus = [c for c in every if not args.cases or any(k in c.name for k in args.cases)]
    if not corpus:
        print(f"no corpus case matches --cases {' '.join(args.cases)}", file=sys.stderr)
        return 2
    figures, start = Figures(), time.monotonic()
    kept: Counter = Counter()
    with Readers(rust_binary(args.amber), args.mem_mb, args.timeout) as readers:
        shard, shards = (int(x) for x in args.shard.split("/"))
        for i in range(shard, args.mutants, shards):
            rng = random.Random(f"{args.seed}:{i}")
            case = rng.choice(corpus)
            data, what = mutants.mutate(case.data, rng, donors)
            v = readers.compare(data, case)
            figures.add(v)
            if v.signature and kept[v.signature] < args.keep:
                kept[v.signature] += 1
                small = minimize(readers, data, case, v.signature, args.minimize_seconds)
                final = readers.compare(small, case)
                path = write_finding(
                    Path(args.findings),
                    small,
                    data,
                    case,
                    final if final.signature == v.signature else v,
                    {"mutation": what, "seed": args.seed, "index": i},
                )
                print(
                    f"finding {v.signature}: {_shown(path)}",
                    flush=True,
                )
            if figures.mutants % args.progress == 0:
                print(
                    f"[{i + 1}/{args.mutants}] {figures.line(time.monotonic() - start)}",
                    flush=True,
                )
    elapsed = time.monotonic() - start
    print(f"done: {figures.line(elapsed)} in {elapsed:.0f} s")
    print(
        "codes rejected by both: " + ", ".join(f"{c} {n}" for c, n in figures.codes.most_common())
    )
    for sig, n in figures.signatures.most_common():
        print(f"  {n:6d}  {sig}")
    if args.figures:
        Path(args.figures).write_text(
            json.dumps(
                {**figures.as_dict(), "seconds": round(elapsed), "seed": args.seed},
                indent=2,
            )
            + "\n"
        )
    return 1 if figures.findings else 0


# ---------------------------------------------------------------------------------------------
# Given files (the regression mode)


def case_for(path: Path, corpus: dict[str, Case], scratch: Path) -> Case:
    """The case a file runs with: the source case its note names (`case`, `derived_from`),
    else a generic input of special values sized from the root estimator's n_features_in."""
    note = path.with_suffix(".json")
    meta = json.loads(note.read_text()) if note.exists() else {}
    key = meta.get("case") or meta.get("derived_from") or ""
    if not key and (path.parent / "case.json").exists():
        key = f"valid/{path.parent.name}"  # a corpus model: its own case's input
    source = corpus.get(key)
    data = path.read_bytes()
    if source is not None:
        return Case(path.name, data, source.input, source.methods)
    parts = mutants.split(data)
    m = mutants.decode(parts[0]) if parts else None
    n = m.estimator.n_features_in if m is not None else 0
    if not 0 < n <= 256:
        return Case(path.name, data, None, [])
    # Finite: scikit-learn's input check refuses infinities, and NaN for most estimators.
    special = [0.0, -0.0, 1e300, -1e300, 1.5, -2.0, 1e-300, 3.0]
    x = np.array([[special[(r + c) % len(special)] for c in range(n)] for r in range(len(special))])
    inp = scratch / f"{_slug(path.stem)}-input.npy"
    np.save(inp, x)
    return Case(path.name, data, inp, [Method(name, None) for name in METHODS])


def _parallel(args: argparse.Namespace) -> int:
    """`--jobs N`: N copies of this runner, each on every N-th mutant, figures merged."""
    tmp = Path(tempfile.mkdtemp(prefix="amber-diff-jobs-"))
    argv = [a for a in sys.argv[1:]]
    procs = []
    for k in range(args.jobs):
        extra = [
            "--jobs",
            "1",
            "--shard",
            f"{k}/{args.jobs}",
            "--figures",
            str(tmp / f"{k}.json"),
        ]
        procs.append(
            subprocess.Popen([sys.executable, str(Path(__file__).resolve()), *argv, *extra])
        )
    status = max(p.wait() for p in procs)
    merged = Figures()
    for k in range(args.jobs):
        part = json.loads((tmp / f"{k}.json").read_text())
        merged.mutants += part["mutants"]
        merged.accepted_by_both += part["accepted_by_both"]
        merged.rejected_by_both += part["rejected_by_both"]
        merged.provenance += part["e_provenance"]
        merged.findings += part["disagreements"]
        merged.codes.update(part["codes"])
        merged.signatures.update(part["kinds"])
    seconds = max(json.loads((tmp / f"{k}.json").read_text())["seconds"] for k in range(args.jobs))
    print(f"all {args.jobs} jobs done: {merged.line(seconds)} in {seconds} s")
    if args.figures:
        doc = {
            **merged.as_dict(),
            "seconds": seconds,
            "seed": args.seed,
            "jobs": args.jobs,
        }
        Path(args.figures).write_text(json.dumps(doc, indent=2) + "\n")
    shutil.rmtree(tmp, ignore_errors=True)
    return status


def check_files(args: argparse.Namespace) -> int:
    corpus = {c.name: c for c in load_corpus(Path(args.vectors))}
    bad = 0
    with Readers(rust_binary(args.amber), args.mem_mb, args.timeout) as readers:
        for name in args.files:
            path = Path(name)
            case = case_for(path, corpus, readers.tmp)
            v = readers.compare(path.read_bytes(), case)
            status = "FINDING" if v.signature else "same"
            verdict = v.python_validate or "accepted"
            print(f"{status} {path}: {verdict}" + "".join(f"\n    {d}" for d in v.differences))
            bad += bool(v.signature)
    print(f"{len(args.files)} files, {bad} with a difference")
    return 1 if bad else 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--mutants", type=int, default=1000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--files", nargs="+", help="compare these files instead of mutants")
    p.add_argument("--vectors", default=str(ROOT / "tests/vectors"))
    p.add_argument(
        "--cases",
        nargs="+",
        metavar="TEXT",
        help="mutate only the corpus cases whose name contains one of these "
        "(e.g. column_transformer)",
    )
    p.add_argument("--amber", help="the amber binary (default $AMBER_BIN or target/release/amber)")
    p.add_argument("--findings", default=str(ROOT / "fuzz/findings"))
    p.add_argument("--figures", help="write the final figures to this JSON file")
    p.add_argument("--mem-mb", type=int, default=2048, help="address-space limit of each reader")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds per request")
    p.add_argument("--progress", type=int, default=500, help="a progress line every N mutants")
    p.add_argument("--keep", type=int, default=2, help="findings written per kind")
    p.add_argument("--minimize-seconds", type=float, default=60.0)
    p.add_argument("--jobs", type=int, default=1, help="runners in parallel, each on every N-th")
    p.add_argument("--shard", default="0/1", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        return worker_main()
    if args.files:
        return check_files(args)
    return campaign(args)


if __name__ == "__main__":
    sys.exit(main())
