"""The conformance corpus: every valid case through the testee, every invalid file's code,
the testee protocol end to end, and the generator's determinism."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import sklearn

from amber import testee
from conftest import GENERATOR, VECTORS

VALID = sorted(p.parent for p in (VECTORS / "valid").glob("*/case.json"))
INVALID = sorted((VECTORS / "invalid").glob("*.json"))


def _compare(got_path: Path, exp_path: Path, spec: dict) -> None:
    """The comparison rule of tests/vectors/README.md."""
    if exp_path.suffix == ".json":
        assert json.loads(got_path.read_text("utf-8")) == json.loads(exp_path.read_text("utf-8"))
        return
    got, exp = np.load(got_path), np.load(exp_path)
    assert got.shape == exp.shape and got.dtype == exp.dtype
    if spec["exact"]:
        assert got.tobytes() == exp.tobytes() or np.array_equal(got, exp, equal_nan=True)
    else:
        # NaN equals NaN, an infinity only itself (a FunctionTransformer's log of a negative)
        assert np.array_equal(np.isnan(got), np.isnan(exp))
        finite = np.isfinite(exp)
        assert np.array_equal(got[~finite & ~np.isnan(exp)], exp[~finite & ~np.isnan(exp)])
        diff = np.abs(got[finite] - exp[finite])
        assert np.all(diff <= spec["atol"] + spec["rtol"] * np.abs(exp[finite]))


def _older(a: str, b: str) -> bool:
    def key(v: str) -> tuple[int, ...]:
        return tuple(int(p) for p in v.split(".")[:3])

    return key(a) < key(b)


def test_corpus_is_complete() -> None:
    if sklearn.__version__ != GENERATOR.PINNED:
        # The invalid files derive from the pinned version's cases, which only its
        # scikit-learn can build (1.3.2's MaxAbsScaler has no clip, for one).
        pytest.skip(f"the corpus list is scikit-learn {GENERATOR.PINNED}'s generator's")
    want = {c.name for c in GENERATOR.LINEAR_CASES}
    for version in GENERATOR.CORPUS_VERSIONS:
        want |= set(GENERATOR.tree_case_names(version))
    assert {p.name for p in VALID} == want
    # The invalid files are what the generator derives from the pinned version's cases, each
    # from the base its JSON names, byte for byte.
    version = f"-sk{GENERATOR.PINNED}"
    models = {
        p.name: (p / "model.amber").read_bytes()
        for p in VALID
        if p.name.endswith(version) or "-sk" not in p.name
    }
    made = {name: (base, blob) for base, (name, _, _, blob) in GENERATOR.invalid_cases(models)}
    assert set(made) == {p.stem for p in INVALID}
    for p in INVALID:
        base, blob = made[p.stem]
        assert json.loads(p.read_text("utf-8"))["derived_from"] == f"valid/{base}", p.name
        assert p.with_suffix(".amber").read_bytes() == blob, p.name


@pytest.mark.parametrize("case_dir", VALID, ids=[p.name for p in VALID])
def test_valid_case(case_dir: Path, tmp_path: Path) -> None:
    case = json.loads((case_dir / "case.json").read_text("utf-8"))
    model = str(case_dir / case["model"])
    assert testee.handle({"id": 1, "op": "validate", "model": model}) == {"id": 1, "ok": True}
    out = tmp_path / "re.amber"
    resp = testee.handle({"id": 2, "op": "reencode", "model": model, "output": str(out)})
    assert resp["ok"] and out.read_bytes() == Path(model).read_bytes()
    if _older(sklearn.__version__, case["library_version"]):
        # An older scikit-learn re-normalises a newer one's leaf fractions (not bitwise) and
        # refuses NaN inputs that newer versions accept (python/README.md, version notes).
        pytest.skip(f"predictions of a scikit-learn {case['library_version']} case")
    for method, spec in case["methods"].items():
        # `expected` is one path, or a list of paths for a list of arrays (one per output).
        many = isinstance(spec["expected"], list)
        exps = [case_dir / e for e in spec["expected"]] if many else [case_dir / spec["expected"]]
        gots = [tmp_path / f"{method}.{i}{e.suffix}" for i, e in enumerate(exps)]
        req = {
            "id": 3,
            "op": "predict",
            "model": model,
            # A case whose input holds strings has input.csv only (README, "Table inputs").
            "input": str(case_dir / (case["input"] or case["input_csv"])),
            "method": method,
            "output": [str(g) for g in gots] if many else str(gots[0]),
        }
        assert testee.handle(req) == {"id": 3, "ok": True}
        for got, exp in zip(gots, exps):
            _compare(got, exp, spec)


@pytest.mark.parametrize("meta", INVALID, ids=[p.stem for p in INVALID])
def test_invalid_file(meta: Path) -> None:
    code = json.loads(meta.read_text("utf-8"))["code"]
    model = str(meta.with_suffix(".amber"))
    resp = testee.handle({"id": 7, "op": "validate", "model": model})
    assert resp["ok"] is False and resp["code"] == code, resp["message"]
    assert code in resp["message"] or resp["code"] == code


def test_testee_protocol(tmp_path: Path) -> None:
    case = VECTORS / "valid" / "linear_regression"
    requests = [
        {"id": 1, "op": "validate", "model": str(case / "model.amber")},
        {
            "id": 2,
            "op": "predict",
            "model": str(case / "model.amber"),
            "input": str(case / "input.npy"),
            "method": "predict_proba",
            "output": str(tmp_path / "p.npy"),
        },
        {"id": 3, "op": "validate", "model": str(VECTORS / "invalid" / "bad_magic.amber")},
        {
            "id": 4,
            "op": "predict",
            "model": str(case / "model.amber"),
            "input": str(VECTORS / "valid" / "standard_scaler" / "model.amber"),
            "method": "predict",
            "output": str(tmp_path / "x.npy"),
        },
        {"id": 5, "op": "frobnicate"},
    ]
    stdin = "".join(json.dumps(r) + "\n" for r in requests) + "not json\n"
    out = subprocess.run(
        [sys.executable, "-m", "amber.testee"],
        input=stdin,
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(testee.__file__).parents[1],
    )
    resp = [json.loads(line) for line in out.stdout.splitlines()]
    assert [(r["id"], r["ok"], r.get("code")) for r in resp] == [
        (1, True, None),
        (2, False, "E_METHOD"),
        (3, False, "E_MAGIC"),
        (4, False, "E_INPUT"),
        (5, False, "E_REQUEST"),
        (None, False, "E_REQUEST"),
    ]


def test_generator_is_deterministic(tmp_path: Path) -> None:
    def run(out: Path) -> dict[str, bytes]:
        GENERATOR.main(["--out", str(out)])
        return {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()}

    if not GENERATOR.CASES:
        pytest.skip(f"scikit-learn {sklearn.__version__} writes no corpus cases")
    first, second = run(tmp_path / "a"), run(tmp_path / "b")
    assert first == second
    # Only the cases of the running scikit-learn: the others come from another venv. Every
    # file must be there with the same case.json; the bytes of fitted models and outputs
    # are compared only where asked (AMBER_CORPUS_BYTES=1): fitting and numpy's exp/log
    # differ in the last bits between CPUs (AVX-512 or not), so a corpus written on one
    # machine regenerates bit for bit only on the same kind of machine.
    exact = os.environ.get("AMBER_CORPUS_BYTES") == "1"
    stale = [
        rel
        for rel, data in first.items()
        if not (VECTORS / rel).is_file()
        or ((exact or rel.endswith(".json")) and (VECTORS / rel).read_bytes() != data)
    ]
    assert not stale, f"tests/vectors is stale, run tests/vectors/generate.py: {stale}"


def test_testee_output_lists(tmp_path: Path) -> None:
    """A list of outputs for a multi-output predict_proba; one path for a list of arrays is
    E_METHOD, a list of another length E_REQUEST (tests/vectors/README.md, "Testee
    protocol", as the Rust testee answers)."""
    case = sorted((VECTORS / "valid").glob("random_forest_multi_output_classifier-sk*"))[0]
    base = {"op": "predict", "model": str(case / "model.amber"), "input": str(case / "input.npy")}
    paths = [str(tmp_path / "p.0.npy"), str(tmp_path / "p.1.npy")]
    ok = testee.handle({"id": 1, **base, "method": "predict_proba", "output": paths})
    assert ok == {"id": 1, "ok": True}
    assert [np.load(p).shape[1] for p in paths] == [3, 2]
    one = testee.handle({"id": 2, **base, "method": "predict_proba", "output": paths[0]})
    assert one["code"] == "E_METHOD"
    many = testee.handle({"id": 3, **base, "method": "predict", "output": paths})
    assert many["code"] == "E_REQUEST"
