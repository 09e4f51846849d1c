"""The fast load path of tree models: the word-wise node build against the field-by-field
one, the chunked record checks against the record-by-record ones, and tensor checksums
computed in the background while check 15 and the rebuild run."""

from __future__ import annotations

import random

import numpy as np
import pytest
from sklearn.ensemble import ExtraTreesClassifier, RandomForestRegressor
from sklearn.tree import DecisionTreeClassifier

import amber
from amber import _api, _tree
from amber import _container as c
from amber._errors import ModelError
from amber._proto.amber.v1 import amber_pb2 as pb
from amber._sklearn import tree as sk_tree
from amber._sklearn._common import DecodeCtx
from conftest import VECTORS

LEAF = _tree.LEAF


def _records(rows: list[tuple[float, int, int]]) -> np.ndarray:
    rec = np.zeros(len(rows), dtype=_tree.NODE_RECORD)
    for i, (threshold, word, nxt) in enumerate(rows):
        rec[i] = (threshold, word, nxt)
    return rec.view(np.uint8).reshape(-1, 16)


def _forest_file(
    rows: list[tuple[float, int, int]],
    offsets: list[int],
    values: np.ndarray,
    *,
    every: bool = False,
    stats: bool = True,
) -> bytes:
    """A regression TreeEnsemble of hand-written records (two features)."""
    m = pb.Manifest()
    m.producer.name = "hand"
    e = m.estimator
    e.producer_type = "sklearn.ensemble.RandomForestRegressor"
    e.n_features_in = 2
    t = e.tree_ensemble
    t.nodes, t.tree_offsets, t.values = "nodes", "tree_offsets", "values"
    t.input = pb.TREE_INPUT_F32
    t.leaf_values = pb.LEAF_VALUES_REGRESSION
    t.values_for_every_node = every
    n = len(rows)
    arrays = {
        "nodes": _records(rows),
        "tree_offsets": np.array(offsets, dtype=np.uint64),
        "values": values,
    }
    if stats:
        t.impurity, t.n_node_samples = "impurity", "n_node_samples"
        t.weighted_n_node_samples = "weighted_n_node_samples"
        arrays["impurity"] = np.linspace(0.0, 1.0, n)
        arrays["n_node_samples"] = np.arange(n, dtype=np.int64) + 3
        arrays["weighted_n_node_samples"] = np.arange(n, dtype=np.float64) / 2
    return c.write_container(m, [c.Tensor.from_array(k, v) for k, v in arrays.items()])


def _bodies(est: pb.Estimator):
    body = est.WhichOneof("body")
    if body == "tree_ensemble":
        yield est
    elif body == "pipeline":
        for step in est.pipeline.steps:
            if step.HasField("estimator"):
                yield from _bodies(step.estimator)


def _both_builds(blob: bytes) -> list[tuple[list, list]]:
    """Every TreeEnsemble of a file built both ways: (word-wise, field by field)."""
    container = _api._check(blob)
    out = []
    for est in _bodies(container.manifest.estimator):
        body = est.tree_ensemble
        if body.leaf_values == pb.LEAF_VALUES_REGRESSION:
            n_classes = np.ones(container.view(body.values).shape[1], dtype=np.intp)
        else:
            n_classes = np.array([len(x) for x in sk_tree._classes(body)], dtype=np.intp)
        ctx = DecodeCtx(container)
        out.append(
            (
                sk_tree._build_trees(est, ctx, n_classes),
                sk_tree._build_trees_by_field(est, ctx, n_classes),
            )
        )
    return out


def _assert_same_trees(fast: list, by_field: list) -> None:
    assert len(fast) == len(by_field)
    for a, b in zip(fast, by_field):
        sa, sb = a.__getstate__(), b.__getstate__()
        assert sa["max_depth"] == sb["max_depth"]
        assert sa["node_count"] == sb["node_count"]
        assert sa["nodes"].tobytes() == sb["nodes"].tobytes()  # padding and NaN bits too
        assert sa["values"].tobytes() == sb["values"].tobytes()


TREE_VECTORS = sorted(
    p
    for p in (VECTORS / "valid").glob("*/model.amber")
    if any(k in p.parent.name for k in ("tree", "forest"))
)


@pytest.mark.skipif(not sk_tree._WORDS_LAYOUT, reason="scikit-learn's node layout differs")
@pytest.mark.parametrize("chunk", [sk_tree._CHUNK_RECORDS, 64, 7])
@pytest.mark.parametrize("path", TREE_VECTORS, ids=lambda p: p.parent.name)
def test_word_build_matches_field_build_on_corpus(path, chunk, monkeypatch) -> None:
    """Chunks of 7 and 64 records split trees and group small ones: every boundary case."""
    monkeypatch.setattr(sk_tree, "_CHUNK_RECORDS", chunk)
    for fast, by_field in _both_builds(path.read_bytes()):
        _assert_same_trees(fast, by_field)


def _version_at_least(major: int, minor: int) -> bool:
    import sklearn

    got = tuple(int(part) for part in sklearn.__version__.split(".")[:2])
    return got >= (major, minor)


@pytest.mark.skipif(not sk_tree._WORDS_LAYOUT, reason="scikit-learn's node layout differs")
@pytest.mark.parametrize("inference_only", [False, True])
@pytest.mark.parametrize("chunk", [sk_tree._CHUNK_RECORDS, 50])
def test_word_build_matches_field_build_on_forests(inference_only, chunk, monkeypatch) -> None:
    monkeypatch.setattr(sk_tree, "_CHUNK_RECORDS", chunk)
    rng = np.random.RandomState(0)
    clean = rng.normal(size=(300, 4))
    X = np.where(rng.rand(*clean.shape) < 0.05, np.nan, clean)  # missing values go left/right
    # Forests take missing values from scikit-learn 1.4 on (single trees from 1.3).
    forest_x = X if _version_at_least(1, 4) else clean
    models = [
        RandomForestRegressor(n_estimators=7, random_state=0).fit(forest_x, clean[:, 0] * 3),
        ExtraTreesClassifier(n_estimators=5, random_state=0).fit(
            clean, (clean[:, 1] > 0).astype(int)
        ),
        DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, rng.randint(0, 3, 300)),
    ]
    for model in models:
        blob = amber.dumps(model, inference_only=inference_only)
        for fast, by_field in _both_builds(blob):
            _assert_same_trees(fast, by_field)


def test_records_that_do_not_form_one_tree_load_as_before() -> None:
    """Valid files need not hold proper trees: here records 0 and 1 share right child 3 and
    record 4 is unreachable. Both builds measure the depth by walking from the root."""
    rows = [(0.5, 0, 3), (0.25, 1, 3), (0.0, LEAF, 0), (0.0, LEAF, 1), (0.0, LEAF, 2)]
    blob = _forest_file(rows, [0, 5], np.array([1.0, 2.0, 3.0]).reshape(3, 1, 1))
    for fast, by_field in _both_builds(blob):
        _assert_same_trees(fast, by_field)
        assert fast[0].max_depth == 2
    with pytest.warns(amber.AmberWarning):
        model = amber.loads(blob)
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    assert model.predict(X).tolist() == [1.0, 2.0, 2.0]


def test_leaves_pointing_at_other_rows_are_refused() -> None:
    """values_for_every_node with leaves that point at each other's rows: the layout
    prescribes each leaf's own row (spec/estimators.md, TreeEnsemble rule 7), so both
    readers refuse it and the rebuild never sees it."""
    rows = [
        (0.5, 0, 2),
        (0.0, LEAF, 2),
        (0.0, LEAF, 1),
        (0.5, 1, 5),  # the second tree's leaves point at their own rows
        (0.0, LEAF, 4),
        (0.0, LEAF, 5),
    ]
    values = np.array([10.0, 20.0, 30.0, 40.0, 50.0, 60.0]).reshape(6, 1, 1)
    blob = _forest_file(rows, [0, 3, 6], values, every=True)
    assert _code(amber.validate, blob) == "E_MODEL"
    assert _code(amber.loads, blob) == "E_MODEL"


# ---------------------------------------------------------------------------- record checks


def _random_forest_records(rng: random.Random) -> tuple[list, list[int], int]:
    """Random proper trees in preorder: (rows, offsets, number of value rows)."""
    rows: list[tuple[float, int, int]] = []
    offsets = [0]
    n_rows = 0
    for _ in range(rng.randint(1, 4)):
        start = len(rows)

        def grow(depth: int) -> None:
            nonlocal n_rows
            if depth > 3 or rng.random() < 0.35:
                rows.append((0.0, LEAF, n_rows))
                n_rows += 1
                return
            i = len(rows)
            rows.append((0.5, rng.randint(0, 2) | (rng.getrandbits(1) << 31), 0))
            grow(depth + 1)
            rows[i] = (0.5, rows[i][1], len(rows))
            grow(depth + 1)

        grow(0)
        assert len(rows) > start
        offsets.append(len(rows))
    return rows, offsets, n_rows


def _mutate(rng: random.Random, rows: list, offsets: list[int], n_rows: int) -> list:
    rows = list(rows)
    n = len(rows)
    for _ in range(rng.randint(1, 2)):
        i = rng.randrange(n)
        threshold, word, nxt = rows[i]
        end = next(o for o in offsets[1:] if o > i)
        kind = rng.randrange(6)
        if kind == 0:  # next near its bounds
            nxt = rng.choice([i, i + 1, i + 2, end - 1, end, end + 1, n, n_rows - 1, n_rows, 0])
        elif kind == 1:  # feature near n_features_in (2), or categorical
            word = rng.choice([1, 2, 3, 1 << 30, (1 << 30) | 1, 0x7FFFFFFF, 1 << 31, LEAF])
        elif kind == 2:  # an internal record becomes a leaf, or the other way round
            word = LEAF if word != LEAF else rng.randint(0, 1)
        elif kind == 3:
            nxt = rng.randrange(0, n + 3)
        elif kind == 4:
            word = LEAF - 1
        else:
            nxt = 0xFFFFFFFF
        rows[i] = (threshold, max(0, min(word, LEAF)), max(0, min(nxt, 0xFFFFFFFF)))
    return rows


def _rules_error(container: c.Container, use_pass: bool, monkeypatch) -> str | None:
    if not use_pass:
        monkeypatch.setattr(_tree, "_records_pass", lambda *a: False)
    try:
        _tree.validate(container.manifest, container.tensors, container.view)
    except ModelError as exc:
        return str(exc)
    finally:
        monkeypatch.undo()
    return None


@pytest.mark.parametrize("chunk", [_tree._PASS_RECORDS, 5, 1])
def test_records_pass_agrees_with_record_checks(chunk, monkeypatch) -> None:
    """The chunked pass never accepts records the record-by-record checks reject, and the
    error raised (code and message) is theirs either way."""
    rng = random.Random(chunk)
    rejected = 0
    for case in range(400):
        rows, offsets, n_rows = _random_forest_records(rng)
        if case % 4:
            rows = _mutate(rng, rows, offsets, n_rows)
        blob = _forest_file(rows, offsets, np.zeros((n_rows, 1, 1)), stats=False)
        container = c.read_container(blob)
        expected = _rules_error(container, False, monkeypatch)
        monkeypatch.setattr(_tree, "_PASS_RECORDS", chunk)
        assert _rules_error(container, True, monkeypatch) == expected, rows
        rejected += expected is not None
    assert rejected > 100  # the mutations do reach the rules


# ---------------------------------------------------------------------------- checksums


@pytest.fixture
def background_checksums(monkeypatch):
    """Every file's checksums on a background thread, whatever its size and the machine."""
    monkeypatch.setattr(c, "PARALLEL_CRC_BYTES", 0)
    monkeypatch.setattr(c.os, "cpu_count", lambda: 2)


def _flip(blob: bytes, tensor: str) -> bytes:
    """One bit flipped in a tensor's data: only check 14 can see it."""
    container = c.read_container(blob)
    info = container.tensors[tensor]
    out = bytearray(blob)
    out[container.header.data_offset + info.offset] ^= 1
    return bytes(out)


def _simple_tree(**kwargs) -> bytes:
    rows = [(0.5, 1, 2), (0.0, LEAF, 0), (0.0, LEAF, 1)]
    return _forest_file(rows, [0, 3], np.array([-1.5, 2.0]).reshape(2, 1, 1), **kwargs)


def test_background_checksums_run_beside_the_caller(background_checksums) -> None:
    blob = _simple_tree()
    container, checksums = c.open_container(blob)
    assert checksums._thread is not None
    with checksums:
        _tree.validate(container.manifest, container.tensors, container.view)
    amber.validate(blob)
    with pytest.warns(amber.AmberWarning):
        assert amber.loads(blob).predict(np.array([[0.0, 0.0], [0.0, 1.0]])).tolist() == [-1.5, 2.0]


def test_background_checksum_failure(background_checksums) -> None:
    blob = _flip(_simple_tree(), "values")
    for call in (amber.validate, amber.loads):
        with pytest.raises(amber.AmberError) as info:
            call(blob)
        assert info.value.code == "E_TENSOR_CHECKSUM"
        assert info.value.__context__ is None or info.value.__suppress_context__


def _code(call, blob: bytes) -> str:
    with pytest.raises(amber.AmberError) as info:
        call(blob)
    return info.value.code


@pytest.mark.parametrize("background", [False, True])
def test_checksum_failure_comes_before_model_errors(background, monkeypatch) -> None:
    """Check 14 before check 15 and before anything loading raises, on either path."""
    if background:
        monkeypatch.setattr(c, "PARALLEL_CRC_BYTES", 0)
        monkeypatch.setattr(c.os, "cpu_count", lambda: 2)
    bad_row = [(0.5, 1, 2), (0.0, LEAF, 0), (0.0, LEAF, 5)]  # a leaf past values: E_MODEL
    bad_model = _forest_file(bad_row, [0, 3], np.array([-1.5, 2.0]).reshape(2, 1, 1))
    assert _code(amber.validate, bad_model) == "E_MODEL"
    m = c.read_container(_simple_tree()).manifest
    m.estimator.tree_ensemble.input = pb.TREE_INPUT_F64  # valid, but not a scikit-learn tree
    unsupported = c.write_container(m, c.read_container(_simple_tree()).all_tensors())
    assert _code(amber.loads, unsupported) == "E_PROVENANCE"
    for blob in (bad_model, unsupported):
        flipped = _flip(blob, "impurity")
        for call in (amber.validate, amber.loads):
            assert _code(call, flipped) == "E_TENSOR_CHECKSUM"
