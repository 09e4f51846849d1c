#!/usr/bin/env python3
"""Seeds the fuzz corpora from the conformance corpus (FUZZING.md).

    .venv/bin/python fuzz/seed_corpus.py [OUT]        # default fuzz/corpus

Writes, into OUT/<target>/ (files named by content hash, so re-running adds nothing twice):
- container, model, python: every model file of tests/vectors (valid and invalid),
  tests/hostile and fuzz/findings;
- npy: every input.npy and expected/*.npy of tests/vectors (floats, integers, strings);
- csv: every input.csv, prefixed with the four bytes the csv target reads first (the model's
  column count, whether it has names, and each column's kind from its input schema), with
  its columns renamed `a`, `b`, ... as the target names them.
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


#: The csv target's two bits per column (fuzz/fuzz_targets/csv.rs, `kind`).
_KIND_BITS = {"numeric": 0, "string": 1, "any": 2, "unused": 3}


def csv_seed(csv: Path) -> bytes | None:
    """The prefix the csv target reads, then the file with its header renamed `a`, `b`, ...
    (the target's names); None for a model wider than the target's 8 columns."""
    import amber

    info = amber.inspect(csv.with_name("model.amber"))
    schema = info.get("input", {}).get("columns")
    if schema is None:
        n = int(info["estimator"]["n_features_in"]) or int(
            np.load(csv.with_name("input.npy")).shape[1]
        )
        kinds = ["numeric"] * n
    else:
        kinds = [c["kind"] for c in schema]
    if len(kinds) > 8:
        return None
    bits = sum(_KIND_BITS[k] << (2 * j) for j, k in enumerate(kinds))
    text = csv.read_bytes()
    first, _, rest = text.partition(b"\n")
    names = [chr(ord("a") + j) for j in range(len(kinds))]
    fields = first.split(b",")

    def number(cell: bytes) -> bool:
        try:
            float(cell)
        except ValueError:
            return False
        return True

    if len(fields) == len(kinds) and not all(number(c) for c in fields):  # a header
        text = ",".join(names).encode() + b"\n" + rest
    return bytes([len(kinds), 1]) + bits.to_bytes(2, "little") + text


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
        seed = csv_seed(csv)
        if seed is not None:
            added["csv"] = added.get("csv", 0) + _put(out / "csv", seed)
    for target, n in sorted(added.items()):
        print(f"seed corpus {out.name}/{target}: {n} new files")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
