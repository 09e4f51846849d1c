#!/usr/bin/env python3
"""Generate the conformance corpus in tests/vectors/ (see README.md there).

    python tests/vectors/generate.py [--out DIR]

Trains every case with fixed seeds, saves it with the Python writer, and records the
outputs scikit-learn itself computes. Derives the invalid files from a valid one, each
damaged in exactly one way (every other checksum recomputed, so the intended check is
the one that fires), and checks each file against the Python reader before writing it.
Deterministic: two runs on the same versions give identical bytes. Prints what it writes.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent / "python"))

import pandas as pd  # noqa: E402
import sklearn  # noqa: E402
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import amber  # noqa: E402
from amber import _container  # noqa: E402
from amber._proto.amber.v1 import amber_pb2 as pb  # noqa: E402

SEED = 20240601
N_TRAIN, N_TEST, N_FEATURES = 200, 50, 4
RTOL = 1e-12
METHODS = ("predict", "predict_proba", "decision_function", "transform")
FEATURE_NAMES = ["age", "income", "height_cm", "score"]


def _json(obj: Any) -> str:
    return json.dumps(obj, indent=2, sort_keys=False) + "\n"


# ---------------------------------------------------------------------------- data


def _data(seed: int, wide: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Train and test matrices; the first test rows are chosen values (see _special_rows).

    `wide` features span scales 0.1 to 100 and offsets up to 1000 (regression, scalers);
    the others are moderate, so that lbfgs converges on unscaled classification data.
    """
    rng = np.random.RandomState(seed)
    if wide:
        scales, offsets = np.array([1.0, 10.0, 0.1, 100.0]), np.array([0.5, -20.0, 3.0, 1000.0])
    else:
        scales, offsets = np.array([1.0, 3.0, 0.5, 2.0]), np.array([0.5, -2.0, 1.0, 0.0])
    n_features = len(scales)
    train = rng.randn(N_TRAIN, n_features) * scales + offsets
    test = rng.randn(N_TEST, n_features) * scales + offsets
    test[:6] = _special_rows(train)
    return train, test


def _special_rows(train: np.ndarray) -> np.ndarray:
    n = train.shape[1]
    return np.array(
        [
            np.zeros(n),  # all zero: scores are the intercepts
            np.full(n, -0.0),  # negative zero
            train[0],  # a training row, bit for bit
            train.mean(axis=0),  # the column means: a scaler maps these to (about) 0
            np.full(n, 1e-300),  # tiny values
            np.linspace(-3.0, 3.0, n) * 7.0,  # moderate round values
        ]
    )


# ---------------------------------------------------------------------------- cases


@dataclass
class Case:
    name: str
    description: str
    build: Callable[[], tuple[Any, Any, Any, np.ndarray]]  # -> (estimator, X, y, X_test)
    feature_names: bool = False


def _xy_regression(seed: int, n_targets: int = 1, frame: bool = False):
    train, test = _data(seed)
    rng = np.random.RandomState(seed + 1)
    w = rng.randn(N_FEATURES, n_targets)
    y = train @ w + 2.5 + 0.1 * rng.randn(N_TRAIN, n_targets)
    y = y[:, 0] if n_targets == 1 else y
    X = pd.DataFrame(train, columns=FEATURE_NAMES) if frame else train
    return X, y, test


def _xy_classes(seed: int, labels: list[Any], frame: bool = False):
    train, test = _data(seed, wide=False)
    rng = np.random.RandomState(seed + 2)
    z = (train - train.mean(axis=0)) / train.std(axis=0)
    w = rng.randn(N_FEATURES, len(labels))
    idx = np.argmax(z @ w + 0.8 * rng.randn(N_TRAIN, len(labels)), axis=1)
    y = np.asarray(labels)[idx]
    X = pd.DataFrame(train, columns=FEATURE_NAMES) if frame else train
    return X, y, test


def _scaler_data(seed: int):
    train, test = _data(seed)
    train[:, 2] = 7.0  # a constant feature: variance 0, scale_ replaced by 1
    return train, test


def _fit(est, X, y, test):
    return est.fit(X, y) if y is not None else est.fit(X), X, y, test


def _case_scaler(name, description, **params):
    def build():
        train, test = _scaler_data(SEED + 1)
        return _fit(StandardScaler(**params), train, None, test)

    return Case(name, description, build)


CASES = [
    _case_scaler(
        "standard_scaler",
        "StandardScaler, default params; feature 2 is constant in training (scale_ 1).",
    ),
    _case_scaler(
        "standard_scaler_no_mean",
        "StandardScaler(with_mean=False): divides only; mean_ is kept as an attribute.",
        with_mean=False,
    ),
    _case_scaler(
        "standard_scaler_no_std",
        "StandardScaler(with_std=False): subtracts only; no scale_.",
        with_std=False,
    ),
    Case(
        "linear_regression",
        "LinearRegression, one target: coef_ [n_features], intercept_ [].",
        lambda: _fit(LinearRegression(), *_xy_regression(SEED + 10)),
    ),
    Case(
        "linear_regression_two_targets",
        "LinearRegression, two targets: coef_ [2, n_features], intercept_ [2].",
        lambda: _fit(LinearRegression(), *_xy_regression(SEED + 11, n_targets=2)),
    ),
    Case(
        "linear_regression_no_intercept",
        "LinearRegression(fit_intercept=False): the intercept tensor is absent (zero).",
        lambda: _fit(LinearRegression(fit_intercept=False), *_xy_regression(SEED + 12)),
    ),
    Case(
        "ridge",
        "Ridge(alpha=0.5), one target.",
        lambda: _fit(Ridge(alpha=0.5), *_xy_regression(SEED + 20)),
    ),
    Case(
        "ridge_array_alpha",
        "Ridge with one alpha per target (a tensor param), two targets.",
        lambda: _fit(Ridge(alpha=np.array([0.1, 10.0])), *_xy_regression(SEED + 21, 2)),
    ),
    Case(
        "ridge_dataframe",
        "Ridge fitted on a pandas DataFrame: feature_names_in_ is set.",
        lambda: _fit(Ridge(alpha=2.0), *_xy_regression(SEED + 22, frame=True)),
        feature_names=True,
    ),
    Case(
        "logistic_binary",
        "LogisticRegression, binary, int labels {0, 1}: LOGISTIC link.",
        lambda: _fit(LogisticRegression(), *_xy_classes(SEED + 30, [0, 1])),
    ),
    Case(
        "logistic_multiclass",
        "LogisticRegression, 4 int classes {-1, 2, 5, 7}: SOFTMAX (multinomial) link.",
        lambda: _fit(LogisticRegression(C=0.5), *_xy_classes(SEED + 31, [-1, 2, 5, 7])),
    ),
    Case(
        "logistic_string_labels",
        "LogisticRegression, 3 string classes: predict gives strings (expected as JSON).",
        lambda: _fit(
            LogisticRegression(),
            *_xy_classes(SEED + 32, ["cat", "dog", "émeu"]),
        ),
    ),
    Case(
        "logistic_float_labels",
        "LogisticRegression, 3 float classes {-1.0, 0.0, 2.0}: predict gives float64.",
        lambda: _fit(LogisticRegression(), *_xy_classes(SEED + 33, [-1.0, 0.0, 2.0])),
    ),
    Case(
        "pipeline_scaler_logistic_dataframe",
        "Pipeline(StandardScaler, LogisticRegression multiclass) fitted on a DataFrame.",
        lambda: _fit(
            Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression())]),
            *_xy_classes(SEED + 40, [0, 1, 2], frame=True),
        ),
        feature_names=True,
    ),
    Case(
        "pipeline_passthrough",
        "Pipeline(scaler, 'passthrough', None, LogisticRegression binary): identity steps.",
        lambda: _fit(
            Pipeline(
                [
                    ("scale", StandardScaler()),
                    ("skip", "passthrough"),
                    ("nothing", None),
                    ("clf", LogisticRegression(class_weight={0: 1.0, 1: 2.0})),
                ]
            ),
            *_xy_classes(SEED + 41, [0, 1]),
        ),
    ),
]


# ---------------------------------------------------------------------------- tolerances


def _pow10_ceil(x: float) -> float:
    """The smallest power of ten >= x (so a stated tolerance is at most 10x loose)."""
    return float(f"1e{math.ceil(math.log10(x))}") if x > 0 else 0.0


def _linear_step(est) -> tuple[Any, Any]:
    """(the linear estimator, a function mapping the raw input to its input)."""
    if isinstance(est, Pipeline):
        head = est[:-1]
        return est.steps[-1][1], lambda X: head.transform(X)
    return est, lambda X: X


def _score_atol(est, X: np.ndarray) -> float:
    """1e-12 x the largest sum of |terms| of any score: x_j * w_kj and the intercept.

    A sum of m terms computed in another order differs by at most about m * eps * sum|terms|
    (eps = 2.2e-16); 1e-12 leaves a margin of > 100x for these small models.
    """
    lin, head = _linear_step(est)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # a plain array into a named model
        Z = np.asarray(head(X), dtype=np.float64)
    coef = np.atleast_2d(lin.coef_)
    intercept = np.broadcast_to(np.asarray(lin.intercept_, dtype=np.float64), coef.shape[:1])
    terms = np.abs(Z) @ np.abs(coef).T + np.abs(intercept)
    return _pow10_ceil(1e-12 * float(terms.max()))


def _check_label_margins(est, X: np.ndarray, atol: float) -> None:
    """Labels are compared exactly: refuse test rows whose top two scores nearly tie."""
    lin, head = _linear_step(est)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        scores = np.asarray(lin.decision_function(head(X)))
    if scores.ndim == 1:
        margin = np.abs(scores)
    else:
        top = np.sort(scores, axis=1)
        margin = top[:, -1] - top[:, -2]
    worst = margin.min()
    slack = 4 * (atol + RTOL * np.abs(scores).max())
    if worst <= slack:
        raise SystemExit(f"a test row's label is within {worst} of a tie (need > {slack})")


def _methods(est, X: np.ndarray) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for method in METHODS:
        if not hasattr(est, method):
            continue
        if method == "transform":
            out[method] = {"exact": True}  # (x - mean) / scale: two IEEE operations
            continue
        atol = _score_atol(est, X)
        is_classifier = hasattr(est, "classes_")
        if method == "predict" and is_classifier:
            _check_label_margins(est, X, atol)
            out[method] = {"exact": True}
        elif method == "predict_proba":
            # |d proba| <= 2 max |d score| for the logistic and softmax links.
            out[method] = {"exact": False, "rtol": RTOL, "atol": _pow10_ceil(2 * atol)}
        else:
            out[method] = {"exact": False, "rtol": RTOL, "atol": atol}
    return out


# ---------------------------------------------------------------------------- writing


class Writer:
    def __init__(self, root: Path) -> None:
        self.root = root

    def write(self, rel: str, data: bytes) -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        print(f"wrote {path}")

    def npy(self, rel: str, arr: np.ndarray) -> None:
        import io

        buf = io.BytesIO()
        np.save(buf, arr, allow_pickle=False)
        self.write(rel, buf.getvalue())


def _expected(arr: Any) -> tuple[str, bytes | np.ndarray]:
    arr = np.asarray(arr)
    if arr.dtype.kind in "UO":
        return ".json", (json.dumps([str(v) for v in arr.tolist()], ensure_ascii=False) + "\n")
    if arr.dtype.kind in "iub":
        return ".npy", arr.astype(np.int64)
    return ".npy", arr.astype(np.float64)


def _csv(names: list[str], X: np.ndarray, seed: int) -> bytes:
    order = np.random.RandomState(seed).permutation(len(names))
    if list(order) == list(range(len(names))):
        order = order[::-1]
    lines = [",".join(names[i] for i in order)]
    lines += [",".join(repr(float(row[i])) for i in order) for row in X]
    return ("\n".join(lines) + "\n").encode()


def write_case(w: Writer, case: Case) -> bytes:
    est, _, _, test = case.build()
    X = np.ascontiguousarray(test, dtype=np.float64)
    base = f"valid/{case.name}"
    model = amber.dumps(est)
    assert amber.dumps(amber.loads(model)) == model, case.name
    w.write(f"{base}/model.amber", model)
    w.npy(f"{base}/input.npy", X)
    names = list(getattr(est, "feature_names_in_", [])) if case.feature_names else []
    if names:
        w.write(f"{base}/input.csv", _csv(names, X, SEED))
    Xin = pd.DataFrame(X, columns=names) if names else X
    methods = _methods(est, X)
    for method, spec in methods.items():
        ext, value = _expected(getattr(est, method)(Xin))
        rel = f"expected/{method}{ext}"
        if ext == ".json":
            w.write(f"{base}/{rel}", value.encode())  # type: ignore[union-attr]
        else:
            w.npy(f"{base}/{rel}", value)  # type: ignore[arg-type]
        methods[method] = {"expected": rel, **spec}
    meta = {
        "name": case.name,
        "description": case.description,
        "producer_type": amber.inspect(model)["estimator"]["producer_type"],
        "library": "scikit-learn",
        "library_version": sklearn.__version__,
        "format_version": "1.0",
        "model": "model.amber",
        "input": "input.npy",
        "input_csv": "input.csv" if names else None,
        "methods": methods,
    }
    w.write(f"{base}/case.json", _json(meta).encode())
    return model


# ---------------------------------------------------------------------------- invalid files


def _parts(model: bytes) -> tuple[_container.Header, pb.Manifest, bytes]:
    c = _container.read_container(model)
    return c.header, c.manifest, bytes(c.data)


def _reframe(manifest: pb.Manifest, data: bytes, **header: Any) -> bytes:
    return _container.frame(manifest.SerializeToString(deterministic=True), data, **header)


def _edit_manifest(model: bytes, edit: Callable[[pb.Manifest], None]) -> bytes:
    _, m, data = _parts(model)
    edit(m)
    return _reframe(m, data)


def _edit_header(model: bytes, **fields: Any) -> bytes:
    h, _, _ = _parts(model)
    values = {k: v for k, v in h.__dict__.items() if k != "header_crc32"}
    values.update(fields)
    return _container.pack_header(**values) + model[64:]


def _flip(data: bytes, at: int, bit: int = 0) -> bytes:
    out = bytearray(data)
    out[at] ^= 1 << bit
    return bytes(out)


def _set_attr(path: str, value: Any) -> Callable[[pb.Manifest], None]:
    def edit(m: pb.Manifest) -> None:
        obj: Any = m
        *parents, last = path.split(".")
        for p in parents:
            obj = obj[int(p)] if p.isdigit() else getattr(obj, p)
        if isinstance(obj, pb.TensorInfo) and last == "shape":
            del obj.shape[:]
            obj.shape.extend(value)
        else:
            setattr(obj, last, value)

    return edit


#: Cases an invalid file may be derived from, in order of preference.
INVALID_BASES = ("logistic_binary", "logistic_float_labels", "logistic_multiclass")


def _usable_base(model: bytes) -> bool:
    """A linear body, >= 3 tensors and manifest padding (not every manifest length has it)."""
    h, m, _ = _parts(model)
    return (
        m.estimator.WhichOneof("body") == "linear"
        and len(m.tensors) >= 3
        and (64 + h.manifest_length) % 64 != 0
    )


def invalid_base(models: dict[str, bytes]) -> str:
    for name in INVALID_BASES:
        if _usable_base(models[name]):
            return name
    raise SystemExit(f"none of {INVALID_BASES} can serve as the base of the invalid files")


def invalid_files(model: bytes) -> list[tuple[str, str, str, bytes]]:
    """(name, code, description, bytes) for each invalid file, derived from `model`.

    `model` is a LogisticRegression (tensors coef_, intercept_ and attributes/n_iter_)
    whose manifest is followed by padding: see `_usable_base`.
    """
    h, m, data = _parts(model)
    assert _usable_base(model)
    first = m.tensors[0]
    pad_at = 64 + h.manifest_length  # first manifest padding byte
    gap_at = h.data_offset + first.offset + first.length  # first data padding byte
    wrong_magic = b"\x89AMX\r\n\x1a\n"
    out = [
        (
            "bad_magic",
            "E_MAGIC",
            "byte 3 of the magic changed (header CRC recomputed)",
            _edit_header(model, magic=wrong_magic),
        ),
        (
            "text_mode_crlf",
            "E_MAGIC",
            "every LF turned into CRLF, as a text-mode transfer does",
            model.replace(b"\n", b"\r\n"),
        ),
        ("empty_file", "E_TRUNCATED", "zero bytes (a prefix of the magic)", b""),
        ("truncated_header", "E_TRUNCATED", "only the first 40 bytes of the header", model[:40]),
        (
            "truncated_data",
            "E_TRUNCATED",
            "the last 5 bytes of the data section removed",
            model[:-5],
        ),
        ("trailing_bytes", "E_TRAILING_BYTES", "one zero byte appended", model + b"\0"),
        (
            "header_bit_flip",
            "E_HEADER_CHECKSUM",
            "one bit of data_length flipped, CRC kept",
            _flip(model, 32, 3),
        ),
        (
            "unknown_major",
            "E_VERSION",
            "major version 2 (header CRC recomputed)",
            _edit_header(model, major=2),
        ),
        (
            "reserved_flags",
            "E_HEADER",
            "flags = 1 (header CRC recomputed)",
            _edit_header(model, flags=1),
        ),
        (
            "reserved_header_bytes",
            "E_HEADER",
            "reserved bytes 52..60 not zero (CRC recomputed)",
            _edit_header(model, reserved=b"\0\0\0\0\0\0\0\x01"),
        ),
        (
            "bad_data_offset",
            "E_HEADER",
            "data_offset + 64, file_length to match (CRC recomputed)",
            _edit_header(model, data_offset=h.data_offset + 64, file_length=h.file_length + 64),
        ),
        (
            "manifest_bit_flip",
            "E_MANIFEST_CHECKSUM",
            "one bit of the manifest flipped",
            _flip(model, 64 + h.manifest_length // 2, 1),
        ),
        (
            "nonzero_padding",
            "E_PADDING",
            "the first padding byte after the manifest is 1",
            _flip(model, pad_at),
        ),
        (
            "manifest_not_protobuf",
            "E_MANIFEST_DECODE",
            "the manifest is a length-delimited field cut short (manifest CRC valid)",
            _container.frame(b"\x0a\x10not protobuf", data),
        ),
        (
            "unknown_required_feature",
            "E_FEATURE",
            "required_features lists x-unknown-feature",
            _edit_manifest(model, lambda m: m.required_features.append("x-unknown-feature")),
        ),
        (
            "empty_tensor_name",
            "E_TENSOR_NAME",
            "tensor 1 has an empty name",
            _edit_manifest(model, _set_attr("tensors.1.name", "")),
        ),
        (
            "duplicate_tensor_name",
            "E_TENSOR_NAME",
            "tensor 1 has the name of tensor 0",
            _edit_manifest(model, _set_attr("tensors.1.name", first.name)),
        ),
        (
            "unknown_dtype",
            "E_DTYPE",
            "tensor 0 has dtype 99",
            _edit_manifest(model, _set_attr("tensors.0.dtype", 99)),
        ),
        (
            "rank_too_high",
            "E_LIMIT",
            "tensor 1 has shape [1]*9 (rank 9 > MAX_RANK 8)",
            _edit_manifest(model, _set_attr("tensors.1.shape", [1] * 9)),
        ),
        (
            "bad_tensor_length",
            "E_SHAPE",
            "tensor 0's length is 8 more than its shape needs",
            _edit_manifest(model, _set_attr("tensors.0.length", first.length + 8)),
        ),
        (
            "misaligned_tensor_offset",
            "E_TENSOR_LAYOUT",
            "tensor 1's offset moved by 8 bytes",
            _edit_manifest(model, _set_attr("tensors.1.offset", m.tensors[1].offset + 8)),
        ),
        (
            "bad_data_length",
            "E_TENSOR_LAYOUT",
            "64 zero bytes after the last tensor, inside data_length",
            _container.frame(m.SerializeToString(deterministic=True), data + bytes(64)),
        ),
        (
            "nonzero_data_padding",
            "E_PADDING",
            "the first padding byte after tensor 0 is 1",
            _flip(model, gap_at),
        ),
        (
            "tensor_bit_flip",
            "E_TENSOR_CHECKSUM",
            "one bit of tensor 0 flipped",
            _flip(model, h.data_offset + 3, 6),
        ),
        (
            "no_estimator",
            "E_MODEL",
            "the manifest has no estimator",
            _edit_manifest(model, lambda m: m.ClearField("estimator")),
        ),
        (
            "no_estimator_body",
            "E_UNKNOWN_ESTIMATOR",
            "the estimator has no body",
            _edit_manifest(model, lambda m: m.estimator.ClearField("linear")),
        ),
        (
            "missing_tensor_ref",
            "E_TENSOR_REF",
            "linear.coef names a tensor not in the table",
            _edit_manifest(model, _set_attr("estimator.linear.coef", "no_such_tensor")),
        ),
        (
            "unspecified_link",
            "E_MODEL",
            "linear.link is LINEAR_LINK_UNSPECIFIED",
            _edit_manifest(model, _set_attr("estimator.linear.link", 0)),
        ),
    ]
    return [(name, code, desc, blob) for name, code, desc, blob in out]


def write_invalid(w: Writer, models: dict[str, bytes]) -> None:
    base = invalid_base(models)
    for name, code, description, blob in invalid_files(models[base]):
        try:
            amber.validate(blob)
        except amber.AmberError as exc:
            if exc.code != code:
                raise SystemExit(f"invalid/{name}: expected {code}, got {exc}") from None
        else:
            raise SystemExit(f"invalid/{name}: expected {code}, the reader accepts it")
        w.write(f"invalid/{name}.amber", blob)
        meta = {"code": code, "description": description, "derived_from": f"valid/{base}"}
        w.write(f"invalid/{name}.json", _json(meta).encode())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate tests/vectors/")
    parser.add_argument("--out", type=Path, default=HERE, help="output root (default: here)")
    args = parser.parse_args(argv)
    w = Writer(args.out.resolve())
    models = {case.name: write_case(w, case) for case in CASES}
    write_invalid(w, models)
    return 0


if __name__ == "__main__":
    sys.exit(main())
