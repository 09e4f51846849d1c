"""Seeded structured mutations of the corpus's params and attributes, for the rebuild's
contract (spec/sklearn.md): `amber.loads` raises AmberError or returns an object whose
methods work; nothing else is raised and the interpreter survives.

Run as a script (`python hostile_mutants.py SEED COUNT [CASE_GLOB [BODY_SHARE]]`, BODY_SHARE
the fraction of mutants that change a body field or tensor element instead) it prints one JSON line
per finding (a non-AmberError exception) and a last line of totals, so that the test can run
it in a subprocess: a crash of the interpreter fails the test instead of killing pytest.
"""

from __future__ import annotations

import json
import random
import sys
import traceback
import warnings
from pathlib import Path
from typing import Any, Iterator

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
VALID = ROOT / "tests" / "vectors" / "valid"
sys.path.insert(0, str(ROOT / "python"))

import amber  # noqa: E402
from amber import _container  # noqa: E402
from amber._proto.amber.v1 import amber_pb2 as pb  # noqa: E402

#: The methods exercised on a loaded object (those that work on the unmutated file).
METHODS = (
    "predict",
    "predict_proba",
    "predict_log_proba",
    "decision_function",
    "transform",
    "inverse_transform",
    "score_samples",
    "apply",
    "staged_predict",
    "staged_predict_proba",
    "staged_decision_function",
)

INTS = (0, -1, 1, 2, 3, 255, 256, 2**31, 2**62, -(2**63), 2**63 - 1)
FLOATS = (0.0, -1.0, 0.5, 1e308, float("nan"), float("inf"), float("-inf"))
STRINGS = ("", "x", "deprecated", "auto", "__class__", "sqrt", "log_loss", "\x00", "9" * 50)


def _children(est: pb.Estimator) -> Iterator[pb.Estimator]:
    """The estimators nested in `est`'s body: pipeline steps, ColumnTransformer and
    FeatureUnion branches, Voting and Stacking members, a Stacking's final estimator, a
    Calibration's classifiers' estimators, a Multiclass's members' estimators, a
    MultiOutput's members, a TransformedTarget's regressor and transformer, a
    ThresholdClassifier's estimator, a Bagging's and an AdaBoost's members, a boosting init
    and preprocessor."""
    body = est.WhichOneof("body")
    if body == "pipeline":
        nested = [s.estimator for s in est.pipeline.steps if s.HasField("estimator")]
    elif body in ("column_transformer", "feature_union"):
        branches = getattr(est, body)
        members = branches.branches if body == "column_transformer" else branches.members
        nested = [b.estimator for b in members if b.HasField("estimator")]
    elif body in ("voting", "stacking"):
        nested = [m.estimator for m in getattr(est, body).members if m.HasField("estimator")]
        if body == "stacking":
            nested.append(est.stacking.final_estimator)
    elif body == "calibration":
        nested = [c.estimator for c in est.calibration.classifiers]
    elif body == "multiclass":
        nested = [m.estimator for m in est.multiclass.members if m.HasField("estimator")]
    elif body == "multi_output":
        nested = list(est.multi_output.members)
    elif body == "transformed_target":
        t = est.transformed_target
        nested = [getattr(t, f) for f in ("regressor", "transformer") if t.HasField(f)]
    elif body == "threshold_classifier":
        t = est.threshold_classifier
        nested = [t.estimator] if t.HasField("estimator") else []
    elif body == "bagging":
        nested = [m.estimator for m in est.bagging.members if m.HasField("estimator")]
    elif body == "ada_boost":
        nested = list(est.ada_boost.members)
    elif body == "boosting":
        b = est.boosting
        nested = [
            e for e, f in ((b.init, "init"), (b.preprocessor, "preprocessor")) if b.HasField(f)
        ]
    else:
        nested = []
    yield from nested


def _values(est: pb.Estimator) -> Iterator[tuple[str, pb.Value]]:
    """Every Value of the estimator tree's params and attributes, nested ones too."""

    def walk(where: str, v: pb.Value) -> Iterator[tuple[str, pb.Value]]:
        yield where, v
        kind = v.WhichOneof("kind")
        if kind == "list_value":
            for i, item in enumerate(v.list_value.items):
                yield from walk(f"{where}[{i}]", item)
        elif kind == "dict_value":
            for i, pair in enumerate(v.dict_value.entries):
                yield from walk(f"{where}{{{i}}}", pair.value)

    for p in est.params:
        yield from walk(f"params/{p.name}", p.value)
    for p in est.attributes:
        yield from walk(f"attributes/{p.name}", p.value)
    for child in _children(est):
        yield from _values(child)


def _lists(est: pb.Estimator) -> Iterator[Any]:
    """The repeated Param fields of the estimator tree (for removals and duplicates)."""
    yield est.params
    yield est.attributes
    for child in _children(est):
        yield from _lists(child)


def _set_scalar(v: pb.Value, rng: random.Random) -> str:
    kind = rng.choice(("int", "float", "string", "bool", "none", "list", "dict"))
    if kind == "int":
        v.int_value = rng.choice(INTS)
    elif kind == "float":
        v.float_value = rng.choice(FLOATS)
    elif kind == "string":
        v.string_value = rng.choice(STRINGS)
    elif kind == "bool":
        v.bool_value = rng.random() < 0.5
    elif kind == "none":
        v.none.SetInParent()
    elif kind == "list":
        v.list_value.SetInParent()
        del v.list_value.items[:]
        for _ in range(rng.randrange(3)):
            v.list_value.items.add().int_value = rng.choice(INTS)
    else:
        v.dict_value.SetInParent()
        del v.dict_value.entries[:]
    return kind


def _mutate_value(v: pb.Value, rng: random.Random, tensors: list[str]) -> str:
    kind = v.WhichOneof("kind")
    roll = rng.random()
    if kind == "int_value" and roll < 0.7:
        v.int_value = rng.choice(INTS)
        return "int"
    if kind == "float_value" and roll < 0.7:
        v.float_value = rng.choice(FLOATS)
        return "float"
    if kind == "string_value" and roll < 0.6:
        v.string_value = rng.choice(STRINGS)
        return "string"
    if kind == "list_value" and roll < 0.6:
        items = v.list_value.items
        if len(items) and rng.random() < 0.5:
            del items[rng.randrange(len(items))]
            return "list-drop"
        del items[:]
        return "list-empty"
    if kind == "dict_value" and roll < 0.5:
        entries = v.dict_value.entries
        if len(entries):
            entries[rng.randrange(len(entries))].key.string_value = rng.choice(STRINGS)
            return "dict-key"
    if kind == "tensor" and roll < 0.6 and tensors:
        v.tensor = rng.choice(tensors)
        return "tensor-swap"
    return "retype-" + _set_scalar(v, rng)


def _retensor(
    m: pb.Manifest, arrays: dict[str, np.ndarray], rng: random.Random
) -> tuple[str, dict[str, np.ndarray]]:
    """Replace one tensor that a param or attribute names with another dtype/shape/value."""
    named = sorted({v.tensor for _, v in _values(m.estimator) if v.WhichOneof("kind") == "tensor"})
    if not named:
        return "none", arrays
    name = rng.choice(named)
    arr = arrays[name]
    choice = rng.randrange(6)
    if choice == 0:
        new = arr.reshape(-1)[: max(arr.size - 1, 0)].copy()
    elif choice == 1:
        new = np.concatenate([arr.reshape(-1), arr.reshape(-1)[:1]]) if arr.size else arr
    elif choice == 2:
        new = arr.astype(rng.choice((np.float64, np.int64, np.uint8, np.int32, np.bool_)))
    elif choice == 3:
        new = arr.reshape(-1).copy()
        if new.size:
            fill = {"f": np.nan, "i": -1, "u": 2 ** (8 * new.itemsize) - 1, "b": True}
            new[rng.randrange(new.size)] = fill.get(new.dtype.kind, 0)
    elif choice == 4:
        new = arr.reshape(1, -1).copy() if arr.ndim != 2 else arr.reshape(-1).copy()
    else:
        new = np.zeros((0, *arr.shape[1:]), dtype=arr.dtype)
    out = dict(arrays)
    out[name] = np.ascontiguousarray(new)
    return f"tensor {name} -> {new.dtype}{list(new.shape)}", out


def _bodies(est: pb.Estimator) -> Iterator[Any]:
    """Every body message of the estimator tree, nested messages too."""
    body = est.WhichOneof("body")
    if body is None:
        return
    msg = getattr(est, body)
    yield est
    stack = [msg]
    while stack:
        m = stack.pop()
        yield m
        for field, value in m.ListFields():
            if field.message_type is None:
                continue
            if field.message_type.name == "Estimator":
                items = value if field.is_repeated else [value]
                for e in items:
                    yield from _bodies(e)
            elif field.is_repeated:
                stack.extend(value)
            else:
                stack.append(value)


def _mutate_body(m: pb.Manifest, arrays: dict[str, np.ndarray], rng: random.Random) -> str:
    """A scalar field of some body (or the estimator's n_features_in), or one element of a
    tensor the body names, set to an extreme."""
    msgs = list(_bodies(m.estimator))
    target = rng.choice(msgs)
    # (not n_features_in: the case's input would no longer fit, which is the caller's error)
    scalars = [
        f
        for f in target.DESCRIPTOR.fields
        if f.message_type is None and not f.is_repeated and f.name != "n_features_in"
    ]
    tensors = [
        getattr(target, f.name)
        for f in scalars
        if f.type == f.TYPE_STRING and getattr(target, f.name) in arrays
    ]
    if tensors and rng.random() < 0.5:
        name = rng.choice(tensors)
        arr = arrays[name].copy()
        flat = arr.reshape(-1)
        if flat.size:
            i = rng.randrange(flat.size)
            kind = flat.dtype.kind
            if kind == "f":
                pool: tuple = (np.nan, np.inf, -1.0, 0.0, 1e300)
            elif kind in "iu":
                info = np.iinfo(flat.dtype)
                pool = (0, 1, info.max, info.min, min(2**31, info.max))
            else:
                pool = (True, False)
            flat[i] = np.asarray(rng.choice(pool)).astype(flat.dtype)
            arrays[name] = arr
            return f"body tensor {name}[{i}]"
    numbers = [f for f in scalars if f.type != f.TYPE_STRING]
    if not numbers:
        return "nothing"
    f = rng.choice(numbers)
    if f.type in (f.TYPE_DOUBLE, f.TYPE_FLOAT):
        setattr(target, f.name, rng.choice(FLOATS))
    elif f.type == f.TYPE_BOOL:
        setattr(target, f.name, not getattr(target, f.name))
    elif f.type == f.TYPE_ENUM:
        setattr(target, f.name, rng.choice([v.number for v in f.enum_type.values]))
    elif f.type in (f.TYPE_UINT64, f.TYPE_UINT32):
        setattr(target, f.name, rng.choice((0, 1, 2, 3, 2**20, 2**32 - 1)))
    else:
        setattr(target, f.name, rng.choice((0, 1, 2, -1, 2**31 - 1)))
    return f"body {type(target).__name__}.{f.name} = {getattr(target, f.name)!r}"


def mutate(model: bytes, rng: random.Random, body: float = 0.0) -> tuple[str, bytes]:
    """One structured mutation of `model`'s params/attributes, re-framed with valid sums."""
    c = _container.read_container(model)
    m = pb.Manifest()
    m.CopyFrom(c.manifest)
    arrays = {name: c.array(name) for name in c.tensors}
    values = list(_values(m.estimator))
    lists = [lst for lst in _lists(m.estimator) if len(lst)]
    roll = rng.random()
    if rng.random() < body:
        what = _mutate_body(m, arrays, rng)
    elif roll < 0.15 and any(v.WhichOneof("kind") == "tensor" for _, v in values):
        what, arrays = _retensor(m, arrays, rng)
    elif roll < 0.22 and lists:
        lst = rng.choice(lists)
        i = rng.randrange(len(lst))
        what = f"drop {lst[i].name}"
        del lst[i]
    elif roll < 0.26 and lists:
        lst = rng.choice(lists)
        p = lst[rng.randrange(len(lst))]
        what = f"duplicate {p.name}"
        lst.add().CopyFrom(p)
    elif values:
        where, v = rng.choice(values)
        what = f"{where}: {_mutate_value(v, rng, sorted(arrays))}"
    else:
        return "nothing", model
    tensors = [_container.Tensor.from_array(n, a) for n, a in arrays.items()]
    try:
        return what, _container.write_container(m, tensors)
    except amber.AmberError:
        return what + " (unwritable)", model


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split(".")[:3])


def _ours(case: Path) -> bool:
    """Whether the installed scikit-learn loads this case: written by it or an older one
    (tests/vectors/README.md; newer files are not promised to load in older versions)."""
    import sklearn

    made = json.loads((case / "case.json").read_text("utf-8"))["library_version"]
    if _version(made) > _version(sklearn.__version__):
        return False
    # A body the installed scikit-learn no longer computes (1.3.2's SAMME.R, gone in 1.6)
    # is refused by the rebuild (spec/estimators.md section 29).
    from sklearn.ensemble import AdaBoostClassifier

    if hasattr(AdaBoostClassifier, "_boost_real"):
        return True
    todo = [_container.read_container((case / "model.amber").read_bytes()).manifest.estimator]
    while todo:
        est = todo.pop()
        if (
            est.WhichOneof("body") == "ada_boost"
            and est.ada_boost.algorithm == pb.ADA_BOOST_ALGORITHM_SAMME_R
        ):
            return False
        todo.extend(_children(est))
    return True


def _input(case: Path) -> Any:
    return np.load(case / "input.npy", allow_pickle=False)


def _exercise(est: Any, X: Any, methods: tuple[str, ...]) -> None:
    from sklearn.base import clone

    repr(est)
    est.get_params(deep=True)
    clone(est)
    for name in methods:
        out = getattr(est, name)(X)
        if name.startswith("staged_"):
            for _ in out:
                pass


def working_methods(model: bytes, X: Any) -> tuple[str, ...]:
    est = amber.loads(model)
    ok = []
    for name in METHODS:
        if not hasattr(est, name):
            continue
        try:
            _exercise(est, X, (name,))
        except Exception:
            continue
        ok.append(name)
    return tuple(ok)


def check(model: bytes, X: Any, methods: tuple[str, ...]) -> str | None:
    """None when the contract holds, else the exception's description."""
    try:
        est = amber.loads(model)
    except amber.AmberError as e:
        cause = e.__cause__
        if cause is not None and not isinstance(cause, amber.AmberError):
            # Caught by loads' last net: a check is missing (spec/sklearn.md).
            return f"net: {e.code}: {e}"
        return None
    except BaseException as e:
        return f"loads: {type(e).__name__}: {e}\n{traceback.format_exc(limit=-4)}"
    try:
        # A body mutated into another valid model may lack a method the original had (a
        # soft vote turned hard has no predict_proba, spec/estimators.md section 20): the
        # methods it has must work.
        _exercise(est, X, tuple(m for m in methods if hasattr(est, m)))
    except ValueError as e:
        if str(e).startswith(_INPUT_REFUSALS):
            # A body mutated into a model that refuses this input, as scikit-learn's own
            # would (an imputer whose missing value is no longer NaN sees a NaN): the Rust
            # reader refuses it too (E_INPUT), so the contract holds.
            return None
        return f"method: ValueError: {e}\n{traceback.format_exc(limit=-4)}"
    except BaseException as e:
        return f"method: {type(e).__name__}: {e}\n{traceback.format_exc(limit=-4)}"
    return None


#: scikit-learn's refusals of an input (check_array), not of the model.
_INPUT_REFUSALS = ("Input X contains NaN", "Input contains NaN", "Input X contains infinity")


def run(seed: int, count: int, pattern: str = "*", body: float = 0.0) -> Iterator[dict[str, Any]]:
    """`count` mutants spread over the corpus cases matching `pattern`."""
    # Cases with an array input (a CSV-only case's strings are not mutated here).
    cases = [
        c
        for c in sorted(p.parent for p in VALID.glob(f"{pattern}/model.amber"))
        if _ours(c) and (c / "input.npy").exists()
    ]
    rng = random.Random(seed)
    base = {}
    for case in cases:
        model = (case / "model.amber").read_bytes()
        X = _input(case)
        base[case] = (model, X, working_methods(model, X))
    n = found = 0
    for i in range(count):
        case = cases[i % len(cases)]
        model, X, methods = base[case]
        what, mutant = mutate(model, rng, body)
        n += 1
        problem = check(mutant, X, methods)
        if problem is not None:
            found += 1
            yield {"case": case.name, "mutation": what, "problem": problem, "index": i}
    yield {"total": n, "findings": found}


#: Records are lines with this prefix (an estimator with a verbose param may print too).
PREFIX = "@@hostile "


def main(argv: list[str]) -> None:
    seed, count = int(argv[1]), int(argv[2])
    pattern = argv[3] if len(argv) > 3 else "*"
    body = float(argv[4]) if len(argv) > 4 else 0.0
    warnings.simplefilter("ignore")
    for record in run(seed, count, pattern, body):
        sys.stdout.write(PREFIX + json.dumps(record) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv)
