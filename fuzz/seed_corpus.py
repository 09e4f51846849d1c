#!/usr/bin/env python3
"""Seeds the fuzz corpora from the conformance corpus (FUZZING.md).

    .venv/bin/python fuzz/seed_corpus.py [OUT]        # default fuzz/corpus

Writes, into OUT/<target>/ (files named by content hash, so re-running adds nothing twice):
- container, model, python: every model file of tests/vectors (valid and invalid),
  tests/hostile and fuzz/findings;
- npy: every input.npy and expected/*.npy of tests/vectors (floats, integers, strings);
- csv: every input.csv, prefixed with the two bytes the csv target reads first (the model's
  feature count and whether it has feature names).
Nothing here is committed: the seeds are derived from the corpus on each run.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
VECTORS = ROOT / "tests" / "vectors"


def _put(directory: Path, data: bytes) -> bool:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / hashlib.sha1(data).hexdigest()
    if path.exists():
        return False
    path.write_bytes(data)
    return True


def models() -> list[Path]:
    return sorted(
        [
            *VECTORS.glob("valid/*/model.amber"),
            *VECTORS.glob("invalid/*.amber"),
            *(ROOT / "tests" / "hostile").glob("*.amber"),
            *(ROOT / "fuzz" / "findings").glob("*.amber"),
        ]
    )


def csv_seed(csv: Path) -> bytes:
    width = int(np.load(csv.with_name("input.npy")).shape[1])
    return bytes([width % 9, 1]) + csv.read_bytes()


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else ROOT / "fuzz" / "corpus"
    added: dict[str, int] = {}
    for path in models():
        data = path.read_bytes()
        for target in ("container", "model", "python"):
            added[target] = added.get(target, 0) + _put(out / target, data)
    for npy in sorted(
        [*VECTORS.glob("valid/*/input.npy"), *VECTORS.glob("valid/*/expected/*.npy")]
    ):
        added["npy"] = added.get("npy", 0) + _put(out / "npy", npy.read_bytes())
    for csv in sorted(VECTORS.glob("valid/*/input.csv")):
        added["csv"] = added.get("csv", 0) + _put(out / "csv", csv_seed(csv))
    for target, n in sorted(added.items()):
        print(f"seed corpus {out.name}/{target}: {n} new files")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
