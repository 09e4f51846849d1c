#!/usr/bin/env python3
"""The Python fuzz target (atheris): `amber.loads` and every method of what it returns.

    .venv/bin/python fuzz/atheris_loads.py fuzz/corpus/python -max_total_time=60

The only exception allowed out of `amber.loads` or a method is `amber.AmberError`; anything
else (and a crash of the interpreter) is a finding, which atheris writes as crash-<hash> in
the working directory (scripts/fuzz.sh runs it in fuzz/artifacts/python/).

A custom mutator keeps the checksums valid, like the `model` cargo-fuzz target: it splits the
input into manifest and data section, lets libFuzzer mutate one of them (or uses the
structured strategies of fuzz/mutants.py) and frames the result with correct lengths and
CRCs (fuzz/mutants.py), so that mutations reach the decoder, the tensor table, the estimator
rules and the scikit-learn rebuild.
"""

from __future__ import annotations

import random
import sys
import traceback
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import atheris

with atheris.instrument_imports(include=["amber", "mutants"]):
    import mutants

    import amber
import numpy as np

METHODS = ("predict", "predict_proba", "decision_function", "transform", "score_samples")
MAX_COLUMNS = 256
# Finite: scikit-learn refuses infinities (and, for most estimators, NaN) in its input check.
SPECIAL = [0.0, -0.0, 1e300, -1e300, 1.5, -2.0, 1e-300, 3.0]


def _input(n: int) -> np.ndarray:
    return np.array(
        [[SPECIAL[(r + c) % len(SPECIAL)] for c in range(n)] for r in range(len(SPECIAL))]
    )


def _is_input_check(exc: Exception) -> bool:
    """scikit-learn's own check of the input (sklearn/utils/validation.py): its fault, not
    the file's."""
    frames = traceback.extract_tb(exc.__traceback__)
    return (
        isinstance(exc, ValueError)
        and bool(frames)
        and frames[-1].filename.endswith("sklearn/utils/validation.py")
    )


def test_one(data: bytes) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            model = amber.loads(data)
        except amber.AmberError:
            return
        n = getattr(model, "n_features_in_", None)
        if not isinstance(n, int) or not 0 < n <= MAX_COLUMNS:
            return
        x = _input(n)
        for name in METHODS:
            method = getattr(model, name, None)
            if method is None:
                continue
            try:
                method(x)
            except amber.AmberError:
                pass
            except Exception as exc:
                if not _is_input_check(exc):
                    raise


def custom_mutator(data: bytes, max_size: int, seed: int) -> bytes:
    rng = random.Random(seed)
    parts = mutants.split(data)
    if parts is None or not parts[1] or rng.random() < 0.1:
        return atheris.Mutate(data, max_size)
    manifest, section = parts
    if rng.random() < 0.3:
        out, _ = mutants.mutate(data, rng, [])
    elif rng.random() < 0.7:
        out = mutants.frame(
            atheris.Mutate(manifest, max(max_size - len(section) - 128, 1)), section
        )
    else:
        section = atheris.Mutate(section, len(section)).ljust(len(section), b"\0")
        m = mutants.decode(manifest)
        if m is not None:
            mutants.repair_tensor_crcs(m, section)
            manifest = mutants.encode(m)
        out = mutants.frame(manifest, section)
    return out if len(out) <= max_size else atheris.Mutate(data, max_size)


def main() -> None:
    atheris.Setup(sys.argv, test_one, custom_mutator=custom_mutator)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
