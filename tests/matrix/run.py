"""The cross-version matrix: every scikit-learn version Amber supports saves every corpus
model, every version loads every file, and every output is compared with the saver's.

    .venv/bin/python tests/matrix/run.py                      # all seven versions (~1 hour)
    .venv/bin/python tests/matrix/run.py --versions 1.3.2,1.9.1 --only 'logistic|gb_'

Each version gets a venv under target/matrix/venvs (pins below; created on first use). For
each saver version, tests/matrix/worker.py fits the corpus's models (tests/vectors/generate.py
and its family modules, as that version builds them), dumps each with amber.dump and records
its outputs on the test rows and on the test rows with NaN, and whether `clone(m).fit` and a
`warm_start` fit work. Each loader version then `amber.load`s every file and compares.

A cell is one (saver, loader, model, method, input) and one of:
  identical   the same values, dtype and shape, bit for bit
  close       within rtol 1e-12: the loader's scikit-learn computes the same object with its
              own code (another BLAS call or summation order)
  both_raise  both versions raise on that input (NaN where the class refuses it)
  nan_rule    one version raises on NaN (in the NaN rows, or in test or training data that
              hold NaN) and the other computes: the class's missing-value support changed
              between them (each follows its own rule)
  refused     amber.load refuses the file in the loader, with the error code and why
  DIFFERENT   anything else: a silent difference, which fails the run
The results go to tests/matrix/RESULTS.md (--doc) and target/matrix/results.jsonl; the exit
status is 1 when any cell is DIFFERENT.
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WORKER = ROOT / "tests" / "matrix" / "worker.py"

#: scikit-learn version -> the packages its venv pins (numpy it was built for, scipy, pandas).
PINS = {
    "1.3.2": ["numpy==1.26.4", "scipy==1.11.4", "pandas==2.2.3"],
    "1.4.2": ["numpy==1.26.4", "scipy==1.11.4", "pandas==2.2.3"],
    "1.5.2": ["numpy==2.0.2", "scipy==1.14.1", "pandas==2.2.3"],
    "1.6.1": ["numpy==2.1.3", "scipy==1.14.1", "pandas==2.2.3"],
    "1.7.2": ["numpy==2.2.6", "scipy==1.15.3", "pandas==2.2.3"],
    "1.8.0": ["numpy==2.3.5", "scipy==1.16.3", "pandas==2.2.3"],
    "1.9.1": ["numpy==2.4.6", "scipy==1.17.1", "pandas==3.1.1"],
}
PROTOBUF = "protobuf==7.36.2"
ALLOWED = ("identical", "close", "both_raise", "nan_rule")


def say(msg: str) -> None:
    print(f"==> [{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def venv(version: str, root: Path) -> Path:
    """The venv's python for `version`, created (and amber installed, editable) on first use;
    the running python when its scikit-learn is `version` (the project's .venv for 1.9.1)."""
    try:
        import sklearn

        if sklearn.__version__ == version:
            return Path(sys.executable)
    except ImportError:
        pass
    d = root / "venvs" / f"sk{version}"
    py = d / "bin" / "python"
    stamp = d / ".matrix-stamp"
    want = " ".join([f"scikit-learn=={version}", *PINS[version], PROTOBUF])
    if py.exists() and stamp.exists() and stamp.read_text() == want:
        return py
    say(f"creating the scikit-learn {version} venv in {d} (pip, a minute or two)")
    subprocess.run([sys.executable, "-m", "venv", str(d)], check=True)
    pip = [str(py), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, *want.split()], check=True)
    subprocess.run([*pip, "--no-deps", "-e", str(ROOT / "python")], check=True)
    stamp.write_text(want)
    return py


def save(version: str, py: Path, files: Path, only: str | None) -> Path:
    out = files / f"sk{version}"
    say(f"scikit-learn {version}: fitting and saving the corpus models into {out}")
    env_only = ["--only", only] if only else []
    subprocess.run([str(py), str(WORKER), "save", str(out), *env_only], check=True)
    return out


def load(version: str, py: Path, saved: list[Path]) -> list[dict]:
    say(f"scikit-learn {version}: loading {len(saved)} versions' files and comparing")
    done = subprocess.run(
        [str(py), str(WORKER), "load", *map(str, saved)],
        check=True,
        capture_output=True,
        text=True,
    )
    rows = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    say(f"scikit-learn {version}: {len(rows)} models loaded")
    return rows


def verdicts(row: dict) -> list[tuple[str, str, str]]:
    """(cell, verdict, detail) for each compared output of one loaded model."""
    if row["load"] != "ok":
        code = row["load"].split(":")[0]
        verdict = "refused" if code.startswith("E_") else "DIFFERENT"
        return [("load", verdict, row["load"])]
    out = []
    for cell, (verdict, detail) in row["outputs"].items():
        if verdict == "different":
            text = str(detail)
            # One version refuses NaN (on the NaN rows, or in data that holds NaN) where
            # the other takes it: each follows its own missing-value support.
            nan = "contains NaN" in text or (cell.startswith("nan/") and "NaN" in text)
            verdict = "nan_rule" if nan else "DIFFERENT"
        out.append((cell, verdict, str(detail)))
    return out


def _read_rows(out: Path) -> list[dict]:
    lines = (out / "results.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def write_doc(
    path: Path, rows: list[dict], versions: list[str], seconds: float, rerun: list[str] = ()
) -> int:
    counts: dict[tuple[str, str], collections.Counter] = collections.defaultdict(
        collections.Counter
    )
    notes: dict[str, list[str]] = collections.defaultdict(list)
    for r in rows:
        for cell, verdict, detail in verdicts(r):
            counts[(r["saver"], r["loader"])][verdict] += 1
            if verdict not in ("identical", "both_raise"):
                notes[verdict].append(
                    f"| {r['saver']} | {r['loader']} | `{r['name']}` ({r['class']}) | `{cell}` | "
                    f"{detail[:160].replace('|', '/').replace(chr(10), ' ')} |"
                )
    lines = [
        "# Cross-version matrix",
        "",
        "Generated by `.venv/bin/python tests/matrix/run.py` (see its docstring for the cell",
        "verdicts): every corpus model, saved by each scikit-learn version below and",
        "`amber.load`ed into each, every method on the test rows and on the test rows with NaN,",
        "`clone(model).fit` and a `warm_start` fit compared with what the saving version does.",
        f"{len(rows)} loads" + (f" in {seconds / 60:.0f} minutes." if seconds else "."),
        *(
            [
                "Re-run after a fix (`--only`, merged with `--report --merge`): "
                + ", ".join(f"`{n}`" for n in rerun)
                + "."
            ]
            if rerun
            else []
        ),
        "",
        "Cells per saver (rows) and loader (columns): identical / close / both raise / NaN rule"
        " / refused / **DIFFERENT**.",
        "",
        "| saver \\ loader | " + " | ".join(versions) + " |",
        "|---|" + "---|" * len(versions),
    ]
    for s in versions:
        cells = []
        for ld in versions:
            c = counts.get((s, ld))
            if not c:
                cells.append("")
                continue
            cells.append(
                f"{c['identical']} / {c['close']} / {c['both_raise']} / {c['nan_rule']} / "
                f"{c['refused']} / **{c['DIFFERENT']}**"
            )
        lines.append(f"| {s} | " + " | ".join(cells) + " |")
    titles = {
        "DIFFERENT": "Silent differences (each one fails the run)",
        "refused": "Refused loads (E_UNSUPPORTED / E_PROVENANCE, with the reason)",
        "nan_rule": "NaN input: the versions' own missing-value rules differ",
        "close": "Close (within rtol 1e-12): the loader's arithmetic",
    }
    for verdict, title in titles.items():
        lines += ["", f"## {title}", ""]
        if not notes[verdict]:
            lines.append("None.")
            continue
        lines += ["| saver | loader | model | cell | detail |", "|---|---|---|---|---|"]
        lines += sorted(set(notes[verdict]))
    path.write_text("\n".join(lines) + "\n")
    return sum(c["DIFFERENT"] for c in counts.values())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--versions", default=",".join(PINS), help="comma-separated")
    parser.add_argument("--only", help="a regular expression on corpus case names")
    parser.add_argument("--out", type=Path, default=ROOT / "target" / "matrix")
    parser.add_argument("--doc", type=Path, default=ROOT / "tests" / "matrix" / "RESULTS.md")
    parser.add_argument("--jobs", type=int, default=2, help="loader versions run at once")
    parser.add_argument(
        "--report", action="store_true", help="rewrite --doc from OUT/results.jsonl, run nothing"
    )
    parser.add_argument(
        "--merge",
        type=Path,
        nargs="*",
        default=[],
        help="with --report: the results of these OUT dirs (a run with --only after a fix) "
        "replace OUT's rows of the same models",
    )
    args = parser.parse_args(argv)
    if args.report:
        rows = _read_rows(args.out)
        for other in args.merge:
            newer = _read_rows(other)
            names = {r["name"] for r in newer}
            rows = [r for r in rows if r["name"] not in names] + newer
        seen = {r["loader"] for r in rows}
        order = [v for v in PINS if v in seen]
        rerun = sorted({r["name"].split("-sk")[0] for o in args.merge for r in _read_rows(o)})
        return 1 if write_doc(args.doc, rows, order, 0.0, rerun) else 0
    versions = [v.strip() for v in args.versions.split(",") if v.strip()]
    unknown = [v for v in versions if v not in PINS]
    if unknown:
        parser.error(f"no pins for scikit-learn {unknown}; known: {', '.join(PINS)}")
    if args.only:
        re.compile(args.only)
    start = time.time()
    pythons = {v: venv(v, args.out) for v in versions}
    files = args.out / "files"
    with ThreadPoolExecutor(args.jobs) as pool:
        saved = list(pool.map(lambda v: save(v, pythons[v], files, args.only), versions))
        results = list(pool.map(lambda v: load(v, pythons[v], saved), versions))
    rows = [r for rs in results for r in rs]
    (args.out / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    different = write_doc(args.doc, rows, versions, time.time() - start)
    say(f"{len(rows)} loads, {different} silent differences: {args.doc}")
    return 1 if different else 0


if __name__ == "__main__":
    sys.exit(main())
