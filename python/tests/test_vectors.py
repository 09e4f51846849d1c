"""The conformance corpus: every valid case through the testee, every invalid file's code,
the testee protocol end to end, and the generator's determinism."""

from __future__ import annotations

import json
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
        assert np.all(np.abs(got - exp) <= spec["atol"] + spec["rtol"] * np.abs(exp))


def test_corpus_is_complete() -> None:
    assert {p.name for p in VALID} == {c.name for c in GENERATOR.CASES}
    names = {p.stem for p in INVALID}
    base = json.loads(INVALID[0].read_text("utf-8"))["derived_from"]
    model = (VECTORS / base / "model.amber").read_bytes()
    assert {name for name, *_ in GENERATOR.invalid_files(model)} == names


@pytest.mark.parametrize("case_dir", VALID, ids=[p.name for p in VALID])
def test_valid_case(case_dir: Path, tmp_path: Path) -> None:
    case = json.loads((case_dir / "case.json").read_text("utf-8"))
    model = str(case_dir / case["model"])
    assert testee.handle({"id": 1, "op": "validate", "model": model}) == {"id": 1, "ok": True}
    out = tmp_path / "re.amber"
    resp = testee.handle({"id": 2, "op": "reencode", "model": model, "output": str(out)})
    assert resp["ok"] and out.read_bytes() == Path(model).read_bytes()
    for method, spec in case["methods"].items():
        exp = case_dir / spec["expected"]
        got = tmp_path / f"{method}{exp.suffix}"
        req = {
            "id": 3,
            "op": "predict",
            "model": model,
            "input": str(case_dir / case["input"]),
            "method": method,
            "output": str(got),
        }
        assert testee.handle(req) == {"id": 3, "ok": True}
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

    first, second = run(tmp_path / "a"), run(tmp_path / "b")
    assert first == second
    committed = json.loads((VECTORS / "valid/ridge/case.json").read_text("utf-8"))
    if committed["library_version"] != sklearn.__version__:
        pytest.skip("the committed corpus was generated with another scikit-learn")
    stale = [rel for rel, data in first.items() if (VECTORS / rel).read_bytes() != data]
    assert not stale, f"tests/vectors is stale, run tests/vectors/generate.py: {stale}"
