"""Trees and forests <-> the `TreeEnsemble` body.

DecisionTreeClassifier/Regressor and ExtraTreeClassifier/Regressor are one tree;
RandomForestClassifier/Regressor and ExtraTreesClassifier/Regressor are `estimators_`, whose
outputs are averaged. What scikit-learn computes (sklearn/tree/_tree.pyx `Tree._apply_dense`,
sklearn/tree/_classes.py `predict`/`predict_proba`, sklearn/ensemble/_forest.py
`_accumulate_prediction`): X is cast to float32, a node sends `x <= threshold` (compared in
float64) left and NaN to the side `missing_go_to_left` says; a tree's output is its leaf's
row of `tree_.value`; a forest adds the trees' outputs in order and divides by their number.

Layout (spec/estimators.md, "TreeEnsemble"). scikit-learn numbers nodes in creation order:
the depth-first builder creates them in preorder (left child = id + 1), the best-first one
(`max_leaf_nodes`) does not. Records are written in preorder; `node_ids` holds each record's
scikit-learn id when some tree's order is not the identity, so that loading rebuilds
`tree_` in scikit-learn's own order. By default `values` and the training statistics have a
row per node in scikit-learn's order (row = tree offset + node id: exactly `tree_.value`,
`tree_.impurity`, ...); `inference_only` keeps the leaves' values only, in preorder.

Leaf values of classifiers: scikit-learn >= 1.4.1 stores weighted class fractions in
`tree_.value`, older versions weighted class counts that `predict_proba` divides by their row
sum. The writer tells which from the data (every node's row summing to 1 is fractions), and
loading COUNTS into a scikit-learn that expects fractions divides each row by its numpy sum
(0 replaced by 1) exactly as the old `predict_proba` did, so outputs stay bit-identical.

A forest's trees are rebuilt by the forest's own `_make_estimator` (its params), with their
random states (`estimators_/random_state`) and the fitted attributes all trees share
(`estimators_/<name>`). Every tree module function works on whole arrays: no Python loop per
node, so a forest of millions of nodes saves and loads in seconds.
"""

from __future__ import annotations

import copy
import re
import sys
import warnings
from typing import Any

import numpy as np
import sklearn
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.ensemble._forest import BaseForest
from sklearn.tree import (
    DecisionTreeClassifier,
    DecisionTreeRegressor,
    ExtraTreeClassifier,
    ExtraTreeRegressor,
)
from sklearn.tree._tree import NODE_DTYPE, Tree

from .._errors import AmberError, AmberWarning, UnsupportedError
from .._proto.amber.v1 import amber_pb2 as pb
from .._tree import LEAF, MISSING_LEFT, NODE_RECORD
from ._common import (
    DecodeCtx,
    EncodeCtx,
    allow,
    array,
    build,
    encode_value,
    integer,
    number,
    one_of,
    optional,
    read_attributes,
    refuse,
    register,
    same,
    sequence,
    type_name,
)
from .linear import _labels

# sklearn.tree._tree: TREE_LEAF (children of a leaf), TREE_UNDEFINED (its feature, threshold).
_TREE_LEAF = -1
_TREE_UNDEFINED = -2

SINGLE: dict[str, type] = {
    "sklearn.tree.DecisionTreeClassifier": DecisionTreeClassifier,
    "sklearn.tree.DecisionTreeRegressor": DecisionTreeRegressor,
    "sklearn.tree.ExtraTreeClassifier": ExtraTreeClassifier,
    "sklearn.tree.ExtraTreeRegressor": ExtraTreeRegressor,
}
FORESTS: dict[str, type] = {
    "sklearn.ensemble.RandomForestClassifier": RandomForestClassifier,
    "sklearn.ensemble.RandomForestRegressor": RandomForestRegressor,
    "sklearn.ensemble.ExtraTreesClassifier": ExtraTreesClassifier,
    "sklearn.ensemble.ExtraTreesRegressor": ExtraTreesRegressor,
}
#: The tree class of each forest (its `estimator_`).
TREE_OF: dict[type, type] = {
    RandomForestClassifier: DecisionTreeClassifier,
    RandomForestRegressor: DecisionTreeRegressor,
    ExtraTreesClassifier: ExtraTreeClassifier,
    ExtraTreesRegressor: ExtraTreeRegressor,
}
#: Private forest attributes that `estimators_samples_` needs (scikit-learn >= 1.4).
_FOREST_PRIVATE = ("_n_samples", "_n_samples_bootstrap", "_sample_weight")
#: Attribute-name prefix of what a forest's trees share, and their random states.
_PER_TREE = "estimators_/"
_RANDOM_STATE = _PER_TREE + "random_state"
_STATS = ("impurity", "n_node_samples", "weighted_n_node_samples")
#: Records that loading works on at once (a few trees of a large forest, a whole small
#: one): enough to spread numpy's per-call cost, few enough to stay in the CPU cache.
_GROUP_RECORDS = 1 << 14
#: The fields of scikit-learn's node record that loading writes.
_NODE_FIELDS = {"left_child", "right_child", "feature", "threshold", "missing_go_to_left", *_STATS}
#: scikit-learn's node record (sklearn/tree/_tree.pxd `Node`) seen as eight little-endian
#: 8-byte words, the last holding missing_go_to_left in its low byte then 7 padding bytes: its
#: layout in 1.3 to 1.9 on 64-bit little-endian hosts. There, loading writes whole columns of
#: records at once (`_fill_records`); anywhere else it takes the field-by-field path.
_NODE_WORDS = np.dtype(
    {
        "names": [
            "left_child",
            "right_child",
            "feature",
            "threshold",
            "impurity",
            "n_node_samples",
            "weighted_n_node_samples",
            "missing_go_to_left",
        ],
        "formats": ["<i8", "<i8", "<i8", "<f8", "<f8", "<i8", "<f8", "u1"],
        "offsets": [0, 8, 16, 24, 32, 40, 48, 56],
        "itemsize": 64,
    }
)
_WORDS_LAYOUT = (
    NODE_DTYPE == _NODE_WORDS
    and sys.byteorder == "little"
    and hasattr(Tree, "compute_node_depths")  # scikit-learn >= 1.3
)
#: Records the word-wise path converts per step: enough to spread numpy's per-call cost,
#: few enough (2 MiB of scikit-learn records) to stay in the CPU cache.
_CHUNK_RECORDS = 1 << 15
#: The bits of a leaf's threshold, float64 TREE_UNDEFINED (-2.0).
_UNDEFINED_BITS = int(np.array(float(_TREE_UNDEFINED), dtype="<f8").view("<i8"))
#: A node's statistics when the file has none: impurity NaN, sample counts 0.
_STAT_FILLS = (np.nan, 0, 0.0)


def _version(text: str) -> tuple[int, int, int]:
    m = re.match(r"(\d+)\.(\d+)(?:\.(\d+))?", text)
    if m is None:
        return (0, 0, 0)
    return (int(m.group(1)), int(m.group(2)), int(m.group(3) or 0))


def stores_fractions(version: str | None = None) -> bool:
    """Whether this scikit-learn's classifier trees hold fractions in `tree_.value` (>= 1.4.1)."""
    return _version(version or sklearn.__version__) >= (1, 4, 1)


# ---------------------------------------------------------------------------- structure


def _levels(left: np.ndarray, right: np.ndarray) -> list[np.ndarray]:
    """The node ids at each depth, from the root (id 0) down; each node listed once."""
    levels = []
    frontier = np.zeros(1, dtype=np.int64)
    while frontier.size:
        levels.append(frontier)
        inner = frontier[left[frontier] != _TREE_LEAF]
        # np.unique: a node reachable along two paths (not a tree) is visited once per level.
        frontier = np.unique(np.concatenate((left[inner], right[inner])))
        if len(levels) > left.shape[0]:
            raise AmberError("E_MODEL", "a tree's links form a cycle")
    return levels


def _tree_levels(
    left: np.ndarray, right: np.ndarray, roots: np.ndarray | None = None
) -> list[np.ndarray] | None:
    """`_levels` of a proper tree, or None unless every node is reached exactly once.

    With `roots`, of a forest whose trees start at those nodes (all at level 0).

    Level by level without `np.unique`, which a proper tree does not need; for anything
    else (shared or unreachable nodes, cycles) `_levels` gives the reference answer.
    """
    n = left.shape[0]
    seen = np.zeros(n, dtype=bool)
    levels = []
    frontier = np.zeros(1, dtype=np.int64) if roots is None else roots
    total = 0
    while frontier.size:
        total += frontier.size
        if total > n:
            return None
        seen[frontier] = True
        levels.append(frontier)
        inner = frontier[left[frontier] != _TREE_LEAF]
        frontier = np.concatenate((left[inner], right[inner]))
    # n visits that reached all n nodes: each node exactly once.
    return levels if total == n and bool(seen.all()) else None


def _depth(left: np.ndarray, right: np.ndarray) -> int:
    """The depth of the tree rooted at node 0, as `len(_levels(left, right)) - 1`."""
    levels = _tree_levels(left, right)
    if levels is None:
        levels = _levels(left, right)
    return len(levels) - 1


def _preorder(
    left: np.ndarray, right: np.ndarray
) -> tuple[np.ndarray | None, np.ndarray | None, int]:
    """(order, pos, depth): order[p] is the id at preorder position p, pos its inverse;
    both None when the ids are already in preorder (what the depth-first builder makes).

    Level by level (a few numpy operations per depth, not per node): subtree sizes bottom
    up, then each left child right after its parent and each right child after the left
    subtree.
    """
    n = left.shape[0]
    levels = _tree_levels(left, right)
    if levels is None:
        levels = _levels(left, right)
        reached = np.zeros(n, dtype=np.int64)
        for lvl in levels:
            reached[lvl] += 1
        if not np.all(reached == 1):
            raise UnsupportedError("a tree_ whose nodes do not form one tree cannot be saved")
    size = np.ones(n, dtype=np.int64)
    for lvl in reversed(levels):
        inner = lvl[left[lvl] != _TREE_LEAF]
        size[inner] += size[left[inner]] + size[right[inner]]
    # The positions below are the ids themselves exactly when every left child is its
    # parent's id + 1 and every right child follows the left subtree (induction from the
    # root): then there is nothing to compute or permute.
    inner = np.flatnonzero(left != _TREE_LEAF)
    if np.array_equal(left[inner], inner + 1) and np.array_equal(
        right[inner], inner + 1 + size[left[inner]]
    ):
        return None, None, len(levels) - 1
    pos = np.zeros(n, dtype=np.int64)
    for lvl in levels:
        inner = lvl[left[lvl] != _TREE_LEAF]
        pos[left[inner]] = pos[inner] + 1
        pos[right[inner]] = pos[inner] + 1 + size[left[inner]]
    order = np.empty(n, dtype=np.int64)
    order[pos] = np.arange(n, dtype=np.int64)
    return order, pos, len(levels) - 1


# ---------------------------------------------------------------------------- saving


def _trees(est: Any) -> list[Any]:
    if isinstance(est, BaseForest):
        trees = list(getattr(est, "estimators_", None) or [])
    else:
        trees = [est] if hasattr(est, "tree_") else []
    if not trees or any(not hasattr(t, "tree_") for t in trees):
        raise UnsupportedError(f"cannot save an unfitted {type_name(est)}")
    return trees


def _class_lists(est: Any) -> list[np.ndarray]:
    classes = est.classes_
    return [np.asarray(classes)] if est.n_outputs_ == 1 else [np.asarray(c) for c in classes]


def _leaf_values_kind(values: list[np.ndarray], n_classes: list[int]) -> int:
    """COUNTS when some non-zero class row does not sum to 1, else FRACTIONS.

    Fractions sum to 1 up to rounding; weighted counts sum to the node's weight, which is
    not 1 somewhere in any real tree. Rows that sum to exactly 1 are the same numbers either
    way, and all-zero rows (internal nodes of an inference-only load) say nothing.
    """
    for vals in values:
        for o, m in enumerate(n_classes):
            sums = vals[:, o, :m].sum(axis=1)
            sums = sums[sums != 0.0]
            if np.any(np.abs(sums - 1.0) > 1e-9):
                return pb.LEAF_VALUES_COUNTS
    return pb.LEAF_VALUES_FRACTIONS


def _write_body(est: Any, trees: list[Any], body: pb.TreeEnsemble, ctx: EncodeCtx) -> None:
    n_features = int(est.n_features_in_)
    if n_features >= MISSING_LEFT:
        raise UnsupportedError(f"{n_features} features do not fit a node record")
    classifier = isinstance(est, ClassifierMixin)
    values, ids, stats = [], [], {f: [] for f in _STATS}
    all_values = []
    # Every tree's records are written in place into the one `nodes` tensor.
    records = np.zeros(sum(int(t.tree_.node_count) for t in trees), dtype=NODE_RECORD)
    offsets = [0]
    identity = True
    leaf_rows = 0
    shape = None
    for t in trees:
        state = t.tree_.__getstate__()
        n = int(state["node_count"])
        nodes, vals = state["nodes"][:n], state["values"][:n]
        if shape is None:
            shape = vals.shape[1:]
        elif vals.shape[1:] != shape:
            raise UnsupportedError(f"the trees of this {type_name(est)} have different outputs")
        left = nodes["left_child"].astype(np.int64)
        right = nodes["right_child"].astype(np.int64)
        order, pos, depth = _preorder(left, right)
        if depth != int(state["max_depth"]):
            raise UnsupportedError(
                f"tree_.max_depth {state['max_depth']} is not the depth of the tree ({depth})"
            )
        start = offsets[-1]
        if order is None:  # already in preorder: nothing to permute
            order = np.arange(n, dtype=np.int64)
            in_order = nodes
            leaf = left == _TREE_LEAF
            right_record = start + np.where(leaf, 0, right)
        else:
            identity = False
            in_order = nodes[order]
            leaf = left[order] == _TREE_LEAF
            right_record = start + pos[np.where(leaf, 0, right[order])]
        rec = records[start : start + n]
        rec["threshold"] = np.where(leaf, 0.0, in_order["threshold"])
        feature = in_order["feature"].astype(np.int64)
        missing_left = in_order["missing_go_to_left"].astype(np.int64) != 0
        rec["feature"] = np.where(leaf, LEAF, feature | (missing_left.astype(np.int64) << 31))
        if ctx.inference_only:
            rows = leaf_rows + np.cumsum(leaf) - 1
            leaf_rows += int(leaf.sum())
            values.append(vals[order[leaf]])
        else:
            rows = start + order
            values.append(vals)
            for f in _STATS:
                stats[f].append(nodes[f])
        rec["next"] = np.where(leaf, rows, right_record)
        ids.append(order)
        all_values.append(vals)
        offsets.append(start + n)
    if offsets[-1] >= LEAF:
        raise UnsupportedError(f"{offsets[-1]} nodes do not fit 32-bit node indices")
    body.nodes = ctx.tensor("nodes", records.view(np.uint8).reshape(-1, 16))
    body.tree_offsets = ctx.tensor("tree_offsets", np.asarray(offsets, dtype=np.uint64))
    body.values = ctx.tensor("values", np.concatenate(values).astype(np.float64, copy=False))
    body.input = pb.TREE_INPUT_F32
    if classifier:
        classes = _class_lists(est)
        n_classes = [len(c) for c in classes]
        body.leaf_values = _leaf_values_kind(all_values, n_classes)
        for c in classes:
            body.classes.append(_labels(c))
    else:
        body.leaf_values = pb.LEAF_VALUES_REGRESSION
    if not ctx.inference_only:
        body.impurity = ctx.tensor("impurity", np.concatenate(stats["impurity"]))
        body.n_node_samples = ctx.tensor(
            "n_node_samples", np.concatenate(stats["n_node_samples"]).astype(np.int64, copy=False)
        )
        body.weighted_n_node_samples = ctx.tensor(
            "weighted_n_node_samples", np.concatenate(stats["weighted_n_node_samples"])
        )
        if not identity:
            body.node_ids = ctx.tensor("node_ids", np.concatenate(ids).astype(np.uint32))
        body.values_for_every_node = True


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (
            isinstance(a, np.ndarray)
            and isinstance(b, np.ndarray)
            and a.dtype == b.dtype
            and a.shape == b.shape
            and bool(np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))
        )
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_equal, a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(_equal(a[k], b[k]) for k in a)
    return type(a) is type(b) and (a == b or (a != a and b != b))


def _fitted(obj: Any) -> dict[str, Any]:
    return {k: v for k, v in vars(obj).items() if k.endswith("_") and not k.startswith("_")}


def tree_random_states(
    est: Any, trees: list[Any], tree_cls: type, expected: dict[str, Any]
) -> list[int]:
    """Each tree's random state, after checking that every tree is a `tree_cls` with the
    `expected` params (random_state aside), so that loading can rebuild them."""
    expected = {k: v for k, v in expected.items() if k != "random_state"}
    states = []
    for i, t in enumerate(trees):
        params = t.get_params(deep=False)
        states.append(params.pop("random_state"))
        if type(t) is not tree_cls or not _equal(params, expected):
            raise UnsupportedError(
                f"tree {i} of this {type_name(est)} is not the forest's {tree_cls.__name__} "
                "(its class or params differ)"
            )
    if not all(type(s) is int for s in states):
        raise UnsupportedError(f"the trees of this {type_name(est)} need int random states")
    return states


def write_shared_tree_attributes(
    est: Any, trees: list[Any], msg: pb.Estimator, ctx: EncodeCtx, *, any_order: bool = False
) -> None:
    """The trees' fitted attributes other than `tree_`, which must be the same in every tree
    (and set in the same order unless `any_order`: a gradient boosting continued with
    warm_start after a load mixes rebuilt and fitted trees), saved once as
    `estimators_/<name>`."""
    shared = {k: v for k, v in _fitted(trees[0]).items() if k != "tree_"}
    key = sorted if any_order else list
    for i, t in enumerate(trees):
        mine = {k: v for k, v in _fitted(t).items() if k != "tree_"}
        if key(mine) != key(shared) or not all(_equal(mine[k], shared[k]) for k in shared):
            raise UnsupportedError(
                f"tree {i} of this {type_name(est)} has fitted attributes that differ from "
                "tree 0's (other than tree_)"
            )
    for name, value in shared.items():
        full = _PER_TREE + name
        msg.attributes.add(name=full, value=encode_value(value, f"attributes/{full}", ctx))


def _forest_extras(est: Any, trees: list[Any], msg: pb.Estimator, ctx: EncodeCtx) -> None:
    """The forest's template, its trees' params, random states and shared attributes."""
    tree_cls = TREE_OF[type(est)]
    template = getattr(est, "estimator_", None)
    if type(template) is not tree_cls or not _equal(
        template.get_params(deep=False), tree_cls().get_params(deep=False)
    ):
        raise UnsupportedError(f"{type_name(est)}.estimator_ must be a default {tree_cls.__name__}")
    expected = est._make_estimator(append=False).get_params(deep=False)
    states = tree_random_states(est, trees, tree_cls, expected)
    msg.attributes.add(
        name=_RANDOM_STATE,
        value=encode_value(np.asarray(states, dtype=np.int64), f"attributes/{_RANDOM_STATE}", ctx),
    )
    write_shared_tree_attributes(est, trees, msg, ctx)
    for name in _FOREST_PRIVATE:
        if name in vars(est):
            value = getattr(est, name)
            msg.attributes.add(name=name, value=encode_value(value, f"attributes/{name}", ctx))


def tree_to_proto(est: Any, msg: pb.Estimator, ctx: EncodeCtx) -> set[str]:
    trees = _trees(est)
    _write_body(est, trees, msg.tree_ensemble, ctx)
    consumed = {"classes_"}
    if isinstance(est, BaseForest):
        _forest_extras(est, trees, msg, ctx)
        consumed |= {"estimators_", "estimator_"}
    else:
        consumed.add("tree_")
    return consumed


# ---------------------------------------------------------------------------- loading


def counts_to_fractions(values: np.ndarray, n_classes: np.ndarray) -> None:
    """Divide each class row by its sum, in place, as scikit-learn < 1.4.1's predict_proba.

    `DecisionTreeClassifier.predict_proba` of 1.3.2 computed, for the rows `proba[:, k,
    :n_classes[k]]` of a C-ordered [n, n_outputs, C] array: `normalizer = proba_k.sum(axis=1)`,
    `normalizer[normalizer == 0.0] = 1.0`, `proba_k /= normalizer[:, None]`. `values` has that
    layout and the same numpy reduction runs on it, so each row's result is bit-identical.
    """
    for o, m in enumerate(n_classes):
        rows = values[:, o, :m]
        normalizer = rows.sum(axis=1)[:, np.newaxis]
        normalizer[normalizer == 0.0] = 1.0
        rows /= normalizer


def _class_for(msg: pb.Estimator, n_trees: int) -> type:
    """The producer's class, which must fit the body (E_PROVENANCE otherwise)."""
    regression = msg.tree_ensemble.leaf_values == pb.LEAF_VALUES_REGRESSION
    cls = SINGLE.get(msg.producer_type) or FORESTS[msg.producer_type]
    if issubclass(cls, ClassifierMixin) == regression:
        raise refuse(
            msg.producer_type,
            f"a {'regressor' if issubclass(cls, RegressorMixin) else 'classifier'} cannot have "
            f"{'regression' if regression else 'class'} leaf values",
        )
    if not issubclass(cls, BaseForest) and n_trees != 1:
        raise refuse(msg.producer_type, f"a single tree cannot have {n_trees} trees")
    return cls


def tree_facts(msg: pb.Estimator, ctx: DecodeCtx, body: pb.TreeEnsemble) -> dict[str, Any]:
    """What a TreeEnsemble body says, for the allow-lists' rules (spec/sklearn.md)."""
    offsets = ctx.view(body.tree_offsets)
    values = ctx.view(body.values)
    n_outputs = int(values.shape[1])
    classifier = body.leaf_values != pb.LEAF_VALUES_REGRESSION
    classes = _classes(body) if classifier else []
    n_classes = [len(c) for c in classes] if classifier else [1] * n_outputs
    if classifier and (len(classes) != n_outputs or min(n_classes, default=0) < 1):
        raise AmberError("E_MODEL", "a tree classifier needs one non-empty label list per output")
    if max(n_classes, default=1) > values.shape[2]:
        raise AmberError("E_MODEL", "the trees' values have fewer columns than classes")
    single = n_outputs == 1
    return {
        "n_features": int(msg.n_features_in),
        "n_trees": int(offsets.shape[0]) - 1,
        "n_nodes": int(offsets[-1]) if offsets.shape[0] else 0,
        "n_outputs": n_outputs,
        "classifier": classifier,
        "classes": classes,
        "n_classes": n_classes,
        # scikit-learn's own forms: a forest's n_classes_ (int or list), a tree's (numpy
        # int or array), and the labels a forest's trees are fitted on (0.0 .. m - 1).
        "forest_n_classes_": n_classes[0] if single else list(n_classes),
        "tree_n_classes_": np.int64(n_classes[0]) if single else np.asarray(n_classes, np.int64),
        "tree_classes_": (
            np.arange(n_classes[0], dtype=np.float64)
            if single
            else [np.arange(m, dtype=np.float64) for m in n_classes]
        ),
    }


def _classes(body: pb.TreeEnsemble) -> list[np.ndarray]:
    """Each output's labels: int64, float64 or str (one common width for string outputs,
    as scikit-learn's np.unique over one 2-D array of labels gives)."""
    out: list[Any] = []
    for labels in body.classes:
        kind = labels.WhichOneof("kind")
        out.append((kind, list(getattr(labels, kind).values)))
    strings = [v for kind, vals in out if kind == "strings" for v in vals]
    width = max((len(s) for s in strings), default=1)
    arrays = []
    for kind, vals in out:
        if kind == "ints":
            arrays.append(np.asarray(vals, dtype=np.int64))
        elif kind == "floats":
            arrays.append(np.asarray(vals, dtype=np.float64))
        else:
            arrays.append(np.asarray(vals, dtype=f"<U{max(width, 1)}"))
    if len(arrays) == 1 and arrays[0].dtype.kind == "U":
        arrays[0] = np.asarray(out[0][1], dtype=str)
    return arrays


def _build_trees(msg: pb.Estimator, ctx: DecodeCtx, n_classes: np.ndarray) -> list[Tree]:
    """Every tree's `tree_`, built from the records with numpy, no loop per node.

    Each tree's node array is built whole and handed to `Tree.__setstate__`, which copies
    it (and the tree's rows of `values`) into the tree's own memory: the one copy of the
    nodes the tree needs. Records in preorder (no `node_ids`) on the usual node layout take
    `_build_preorder_trees`; anything else the field-by-field `_build_trees_by_field`.
    """
    if msg.tree_ensemble.node_ids or not _WORDS_LAYOUT:
        return _build_trees_by_field(msg, ctx, n_classes)
    return _build_preorder_trees(msg, ctx, n_classes)


class _Scratch:
    """Buffers `_build_preorder_trees` reuses from chunk to chunk (no allocation, and their
    memory stays in cache): per chunk record, and per record of a group of trees."""

    def __init__(self, chunk: int, group: int) -> None:
        self.ones = np.arange(1, chunk + 1, dtype=np.int64)
        self.records = np.empty((chunk, 2), dtype="<i8")
        self.word, self.leaf_mask, self.right, self.left, self.tmp = (
            np.empty(chunk, dtype=np.int64) for _ in range(5)
        )
        self.group_right = np.empty(group, dtype=np.int64)  # right child (tree-local) or -1
        self.group_leaf = np.empty(group, dtype=bool)
        self.mark = np.zeros(group + 1, dtype=np.int64)  # see _one_tree


def _fill_records(
    out: np.ndarray,
    records: np.ndarray,
    first: np.ndarray | np.int64,
    stats: list[np.ndarray | None],
    lo: int,
    hi: int,
    base: int,
    sc: _Scratch,
) -> bool:
    """Convert the file's records lo..hi into scikit-learn's, at out[lo - base: hi - base].

    `out` is a `NODE_DTYPE` array (layout `_NODE_WORDS`), `records` the file's records as
    [N, 2] little-endian words (threshold bits, feature word | next << 32), `first` the
    first record of each one's tree (a scalar when they share one). Column by column, each
    a few numpy operations on contiguous buffers, leaves patched with a mask instead of
    branches. Also keeps each record's right child and leaf flag in `sc.group_right/leaf`.
    Returns whether every leaf's row of `values` is its own index (the usual layout).
    """
    k = hi - lo
    a = lo - base
    words = out[a : a + k].view("<i8").reshape(k, 8)
    floats = words.view("<f8")
    rec = sc.records[:k]
    np.copyto(rec, records[lo:hi])  # one pass over the file's records, then from cache
    halves = rec.view("<u4").reshape(k, 4)  # threshold low, high, feature word, next
    word, mask, right, left, tmp = (
        b[:k] for b in (sc.word, sc.leaf_mask, sc.right, sc.left, sc.tmp)
    )
    leaf = sc.group_leaf[a : a + k]
    np.copyto(word, halves[:, 2])
    np.equal(word, LEAF, out=leaf)
    np.negative(leaf.view(np.int8), out=mask, dtype=np.int64)  # -1 for a leaf, else 0
    # left_child: the next record (tree-local), -1 for a leaf (x | -1 == -1).
    np.subtract(sc.ones[:k], first - lo, out=left, dtype=np.int64)
    np.bitwise_or(left, mask, out=words[:, 0])
    # right_child: `next`, tree-local.
    np.subtract(halves[:, 3], first, out=right, dtype=np.int64)
    group_right = sc.group_right[a : a + k]
    np.bitwise_or(right, mask, out=group_right)
    np.copyto(words[:, 1], group_right)
    # Does each leaf's `next` (its row) equal its own index, i.e. right == left - 1?
    np.subtract(right, left, out=tmp)
    np.bitwise_and(tmp, mask, out=tmp)
    rows_in_place = bool(np.array_equal(tmp, mask))
    # feature: bits 0..30 of the word; a leaf's 0x7FFFFFFF becomes (-1) + (-1) = -2.
    np.bitwise_and(word, MISSING_LEFT - 1, out=tmp)
    np.bitwise_or(tmp, mask, out=tmp)
    np.add(tmp, mask, out=words[:, 2])
    # threshold: as stored, -2.0 for a leaf (bits ^ ((bits ^ undefined) & mask)).
    bits = rec[:, 0]
    np.bitwise_xor(bits, _UNDEFINED_BITS, out=tmp)
    np.bitwise_and(tmp, mask, out=tmp)
    np.bitwise_xor(bits, tmp, out=words[:, 3])
    for column, stat, fill in zip((4, 5, 6), stats, _STAT_FILLS):
        dest = words[:, column] if column == 5 else floats[:, column]
        if stat is None:
            dest.fill(fill)
        else:
            np.copyto(dest, stat[lo:hi])
    # missing_go_to_left: bit 31 (a leaf's 1 + (-1) = 0); the word's other bytes are the
    # record's padding, left zero.
    np.right_shift(word, 31, out=tmp)
    np.add(tmp, mask, out=words[:, 7])
    return rows_in_place


def _one_tree(right: np.ndarray, leaf: np.ndarray, mark: np.ndarray, stamp: int) -> bool:
    """Whether a tree's records (tree-local right child or -1, leaf flags) form one tree:
    every record but the root is the child of exactly one record.

    Left children are the records after internal ones, so it is enough that the right
    children are exactly the records after leaves (but the last), each once: as many
    internal records as leaves - 1, and the right children marked (with `stamp`, in a
    `mark` longer than the tree whose last slot takes the leaves' -1) are those records.
    """
    n = right.shape[0]
    if 2 * int(np.count_nonzero(leaf)) != n + 1:
        return False
    mark[right] = stamp
    return bool(np.array_equal(mark[1:n] == stamp, leaf[: n - 1]))


def _build_preorder_trees(msg: pb.Estimator, ctx: DecodeCtx, n_classes: np.ndarray) -> list[Tree]:
    """`_build_trees` for records in preorder on the usual node layout.

    Groups of whole trees (or one large tree) are converted chunk by chunk into one staging
    array of scikit-learn records (`_fill_records`); each tree then hands its slice, and a
    view of its rows of `values` where they are already what scikit-learn holds, to
    `Tree.__setstate__`. A tree's depth is scikit-learn's own `compute_node_depths` (one
    pass in C) once `_one_tree` has shown the records form a tree; anything else is measured
    by `_depth`, like the field-by-field path.
    """
    t = msg.tree_ensemble
    offsets = ctx.view(t.tree_offsets).astype(np.int64)
    records = ctx.view(t.nodes).reshape(-1).view(NODE_RECORD).view("<i8").reshape(-1, 2)
    halves = records.view("<u4").reshape(-1, 4)
    values = ctx.view(t.values)
    n_outputs, n_columns = values.shape[1], values.shape[2]
    width = int(n_classes.max())
    convert = t.leaf_values == pb.LEAF_VALUES_COUNTS and stores_fractions()
    every = bool(t.values_for_every_node)
    # The file's rows are scikit-learn's tree_.value as they are (checked per group below).
    as_stored = every and width == n_columns and not convert
    stats = [ctx.view(getattr(t, f)) if getattr(t, f) else None for f in _STATS]
    n_features = int(msg.n_features_in)
    classes = n_classes.astype(np.intp)
    sizes = np.diff(offsets)
    n_trees = sizes.shape[0]
    groups = []
    k = 0
    while k < n_trees:
        m = int(np.searchsorted(offsets, offsets[k] + _CHUNK_RECORDS, side="right")) - 1
        m = min(max(m, k + 1), n_trees)
        groups.append((k, m))
        k = m
    group_max = max(int(offsets[m] - offsets[k]) for k, m in groups)
    stage = np.empty(group_max, dtype=NODE_DTYPE)
    sc = _Scratch(min(group_max, _CHUNK_RECORDS), group_max)
    out = []
    for k, m in groups:
        gs, ge = int(offsets[k]), int(offsets[m])
        rows_in_place = True
        single = m == k + 1
        firsts = np.int64(gs) if single else np.repeat(offsets[k:m], sizes[k:m])
        for lo in range(gs, ge, _CHUNK_RECORDS):
            hi = min(lo + _CHUNK_RECORDS, ge)
            first = firsts if single else firsts[lo - gs : hi - gs]
            rows_in_place &= _fill_records(stage, records, first, stats, lo, hi, gs, sc)
        _check_group(sc, halves[gs:ge, 2], offsets[k : m + 1] - gs, sizes[k:m], n_features)
        for j in range(k, m):
            s, e = int(offsets[j]), int(offsets[j + 1])
            n = e - s
            a, b = s - gs, e - gs
            nodes = stage[a:b]
            if as_stored and rows_in_place:
                tree_vals = values[s:e]  # a read-only view: __setstate__ copies it
            else:
                leaves = np.flatnonzero(sc.group_leaf[a:b])
                rows = halves[s + leaves, 3].astype(np.intp)
                if every:
                    tree_vals = np.array(values[s:e, :, :width], dtype=np.float64, order="C")
                else:
                    tree_vals = np.zeros((n, n_outputs, width), dtype=np.float64)
                tree_vals[leaves] = values[rows, :, :width]
                if convert:
                    counts_to_fractions(tree_vals, n_classes)
            tree = Tree(n_features, classes, n_outputs)
            tree.__setstate__(
                {"max_depth": 0, "node_count": n, "nodes": nodes, "values": tree_vals}
            )
            if _one_tree(sc.group_right[a:b], sc.group_leaf[a:b], sc.mark, j + 1):
                tree.max_depth = int(tree.compute_node_depths().max()) - 1
            else:
                tree.max_depth = _depth(nodes["left_child"], nodes["right_child"])
            out.append(tree)
    return out


def _build_trees_by_field(msg: pb.Estimator, ctx: DecodeCtx, n_classes: np.ndarray) -> list[Tree]:
    """`_build_trees` for any records and node layout: numpy over each group of trees'
    records (in cache), each column of scikit-learn's node array written by field.
    """
    t = msg.tree_ensemble
    offsets = ctx.view(t.tree_offsets).astype(np.int64)
    records = ctx.view(t.nodes).reshape(-1).view(NODE_RECORD)
    values = ctx.view(t.values)
    n_total = records.shape[0]
    n_outputs, n_columns = values.shape[1], values.shape[2]
    width = int(n_classes.max())
    convert = t.leaf_values == pb.LEAF_VALUES_COUNTS and stores_fractions()
    stats = {f: ctx.view(getattr(t, f)) if getattr(t, f) else None for f in _STATS}
    node_ids = ctx.view(t.node_ids) if t.node_ids else None
    word_all = records["feature"]
    next_all = records["next"]
    leaf_all = word_all == LEAF
    # The rows of `values` in scikit-learn's order: every node's row, as stored, unless
    # some leaf points elsewhere (or only leaves have rows).
    leaf_row = next_all[leaf_all].astype(np.int64)
    if node_ids is None:
        leaf_slot = np.flatnonzero(leaf_all)
    else:
        start = np.repeat(offsets[:-1], np.diff(offsets))
        leaf_slot = start[leaf_all] + node_ids[leaf_all]
    if t.values_for_every_node:
        in_place = bool(np.array_equal(leaf_slot, leaf_row))
        if in_place and width == n_columns and not convert:
            vals = values  # a read-only view: __setstate__ copies it
        else:
            vals = np.array(values[:, :, :width], dtype=np.float64, order="C")
            if not in_place:
                vals[leaf_slot] = values[leaf_row, :, :width]
    else:
        vals = np.zeros((n_total, n_outputs, width), dtype=np.float64)
        vals[leaf_slot] = values[leaf_row, :, :width]
    # One node buffer for every tree (each tree writes all its fields; __setstate__ copies
    # it), which spares a fresh allocation and its page faults per tree.
    buffer = None
    if set(NODE_DTYPE.names) == _NODE_FIELDS:
        buffer = np.zeros(int(np.diff(offsets).max()), dtype=NODE_DTYPE)
    out = []
    n_trees = offsets.shape[0] - 1
    k = 0
    while k < n_trees:
        # Trees k..m-1: a group of consecutive trees whose records are worked on together.
        m = int(np.searchsorted(offsets, offsets[k] + _GROUP_RECORDS, side="right")) - 1
        m = min(max(m, k + 1), n_trees)
        gs, ge = int(offsets[k]), int(offsets[m])
        starts = offsets[k:m] - gs  # group-local first record of each tree
        word, leaf = word_all[gs:ge], leaf_all[gs:ge]
        inner = ~leaf
        index = np.arange(ge - gs, dtype=np.int64)
        first = np.repeat(starts, np.diff(offsets[k : m + 1]))  # per record: its tree's start
        nxt = next_all[gs:ge].astype(np.int64) - gs
        # Children as indices within their tree's records (the left child is the next record).
        left = np.where(inner, index + 1 - first, _TREE_LEAF)
        right = np.where(inner, nxt - first, _TREE_LEAF)
        depths = _group_depths(inner, nxt, starts)
        columns = {
            "feature": np.where(
                inner, (word & (MISSING_LEFT - 1)).astype(np.int64), _TREE_UNDEFINED
            ),
            "threshold": np.where(inner, records["threshold"][gs:ge], float(_TREE_UNDEFINED)),
            "missing_go_to_left": np.where(inner, word >> 31, 0).astype(np.uint8),
        }
        if node_ids is not None:
            ids = node_ids[gs:ge].astype(np.int64)
            last = ids.shape[0] - 1
            columns["left_child"] = np.where(inner, ids[np.minimum(index + 1, last)], _TREE_LEAF)
            columns["right_child"] = np.where(inner, ids[np.where(inner, nxt, 0)], _TREE_LEAF)
        else:
            columns["left_child"], columns["right_child"] = left, right
        for j in range(k, m):
            s, e = int(offsets[j]) - gs, int(offsets[j + 1]) - gs
            n = e - s
            nodes = buffer[:n] if buffer is not None else np.zeros(n, dtype=NODE_DTYPE)
            tree_ids = None if node_ids is None else ids[s:e]
            for f, column in columns.items():
                if tree_ids is None:
                    nodes[f] = column[s:e]
                else:
                    nodes[f][tree_ids] = column[s:e]
            for f, fill in zip(_STATS, (np.nan, 0, 0.0)):
                nodes[f] = stats[f][gs + s : gs + e] if stats[f] is not None else fill
            check_sklearn_nodes(nodes, n, int(msg.n_features_in))
            if tree_ids is not None and tree_ids[0] != 0:
                # The root is not the first record: measure from scikit-learn's node 0.
                depth = _depth(nodes["left_child"], nodes["right_child"])
            elif depths is not None:
                depth = int(depths[j - k])
            else:
                depth = _depth(left[s:e], right[s:e])
            tree_vals = vals[gs + s : gs + e]
            if convert:
                counts_to_fractions(tree_vals, n_classes)
            tree = Tree(int(msg.n_features_in), n_classes.astype(np.intp), n_outputs)
            tree.__setstate__(
                {"max_depth": depth, "node_count": n, "nodes": nodes, "values": tree_vals}
            )
            out.append(tree)
        k = m
    return out


def check_sklearn_nodes(nodes: np.ndarray, size: Any, n_features: int) -> None:
    """What scikit-learn's Cython (`Tree.apply`, `_tree.pyx`) follows without a check:
    every inner node's children inside its own tree (`size`: its tree's node count, per
    record or one for all) and not itself, its feature below n_features; a leaf's children
    both TREE_LEAF. The body's rules (spec/estimators.md) imply it; this is the rebuild's
    own guard on what it derived from them."""
    left = nodes["left_child"]
    right = nodes["right_child"]
    leaf = left == _TREE_LEAF
    inner = ~leaf
    bad = leaf & (right != _TREE_LEAF)
    bad |= inner & ((left < 1) | (left >= size) | (right < 1) | (right >= size))
    feature = nodes["feature"]
    bad |= inner & ((feature < 0) | (feature >= n_features))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise AmberError(
            "E_MODEL",
            f"node {i} of a rebuilt tree has children {int(left[i])}, {int(right[i])} and "
            f"feature {int(feature[i])} outside its tree or the {n_features} features",
        )


def _check_group(
    sc: _Scratch, words: np.ndarray, bounds: np.ndarray, sizes: np.ndarray, n_features: int
) -> None:
    """`check_sklearn_nodes` for a group of preorder trees, on the contiguous arrays
    `_fill_records` left (tree-local right children, leaf flags) and the records' feature
    words: a right child inside its tree, a left child (the next record) too, so no tree
    ends with an inner record, a feature below n_features."""
    n = words.shape[0]
    leaf = sc.group_leaf[:n]
    right = sc.group_right[:n]
    size = sizes[0] if sizes.shape[0] == 1 else np.repeat(sizes, sizes)
    bad = ~leaf & ((right < 1) | (right >= size) | ((words & (MISSING_LEFT - 1)) >= n_features))
    if bad.any() or not leaf[bounds[1:] - 1].all():
        i = int(np.flatnonzero(bad)[0]) if bad.any() else int(bounds[1:][~leaf[bounds[1:] - 1]][0])
        raise AmberError(
            "E_MODEL",
            f"record {i} of a group of rebuilt trees has a child outside its tree or a feature "
            f"outside the {n_features} features",
        )


def _group_depths(inner: np.ndarray, nxt: np.ndarray, starts: np.ndarray) -> np.ndarray | None:
    """The depth of each tree of a group of records (left child i + 1, right child `nxt`,
    indices within the group; tree t starts at `starts[t]`), all trees level by level at
    once; None unless every tree is a proper tree (then `_depth` measures each one).
    """
    index = np.arange(inner.shape[0], dtype=np.int64)
    levels = _tree_levels(
        np.where(inner, index + 1, _TREE_LEAF), np.where(inner, nxt, _TREE_LEAF), starts
    )
    if levels is None:
        return None
    level = np.empty(inner.shape[0], dtype=np.int64)
    for d, lvl in enumerate(levels):
        level[lvl] = d
    return np.maximum.reduceat(level, starts)


def tree_from_proto(msg: pb.Estimator, ctx: DecodeCtx) -> Any:
    body = msg.tree_ensemble
    if body.input != pb.TREE_INPUT_F32:
        raise AmberError(
            "E_PROVENANCE",
            "scikit-learn trees compare float32 inputs; this file's trees compare float64",
        )
    facts = tree_facts(msg, ctx, body)
    cls = _class_for(msg, facts["n_trees"])
    attrs = read_attributes(cls, msg, ctx, facts)
    classifier, n_outputs = facts["classifier"], facts["n_outputs"]
    classes = facts["classes"]
    n_classes = np.asarray(facts["n_classes"], dtype=np.intp)
    trees = _build_trees(msg, ctx, n_classes)
    forest = issubclass(cls, BaseForest)
    est = build(cls, msg, ctx, attrs)
    # What predictions use comes from the body (the file's copies were checked equal to it).
    est.n_outputs_ = n_outputs
    if classifier:
        est.classes_ = classes[0] if n_outputs == 1 else classes
        est.n_classes_ = facts["forest_n_classes_" if forest else "tree_n_classes_"]
    if forest:
        _check_forest_private(cls, attrs)
        for name in _FOREST_PRIVATE:
            if name in attrs:
                setattr(est, name, attrs[name])
        shared = {k[len(_PER_TREE) :]: v for k, v in attrs.items() if k.startswith(_PER_TREE)}
        template = getattr(est, "estimator", None)
        est.estimator_ = template if template is not None else TREE_OF[cls]()
        states = shared.pop("random_state", None)
        est.estimators_ = []
        # The forest's own tree (_make_estimator: a clone with the forest's params), copied
        # once per tree: a deep copy is what clone makes, at a fraction of its cost.
        blank = est._make_estimator(append=False)
        for k, tree in enumerate(trees):
            t = copy.deepcopy(blank)
            if states is not None:
                t.random_state = int(states[k])
            _set_tree_attributes(t, shared, msg, n_classes, n_outputs, classifier)
            t.tree_ = tree
            est.estimators_.append(t)
    else:
        est.tree_ = trees[0]
    missing = [f for f in _STATS if not getattr(body, f)]
    if missing or not body.values_for_every_node:
        what = [f"{f} is {'NaN' if f == 'impurity' else '0'}" for f in missing]
        if not body.values_for_every_node:
            what.append("the values of internal nodes are 0")
        warnings.warn(
            f"{type_name(est)} was saved without training statistics (inference-only): in "
            f"its trees' tree_, {', '.join(what)}, so feature_importances_ and anything else "
            "computed from them is not meaningful; predictions are exact",
            AmberWarning,
            stacklevel=3,
        )
    return est


def _check_forest_private(cls: type, attrs: dict[str, Any]) -> None:
    """The bagging counts that `estimators_samples_` draws from must agree."""
    n = attrs.get("_n_samples")
    boot = attrs.get("_n_samples_bootstrap")
    weight = attrs.get("_sample_weight")
    if boot is not None and (n is None or boot > n):
        raise refuse(type_name(cls), f"_n_samples_bootstrap {boot} exceeds _n_samples {n}")
    if weight is not None and (n is None or weight.shape != (n,)):
        raise refuse(type_name(cls), f"_sample_weight of shape {weight.shape}, _n_samples {n}")


def _set_tree_attributes(
    t: Any, shared: dict, msg: pb.Estimator, n_classes: np.ndarray, n_outputs: int, clf: bool
) -> None:
    """A forest tree's fitted attributes: what a forest gives its trees, then the file's
    shared ones (checked equal to those where predictions read them)."""
    t.n_features_in_ = int(msg.n_features_in)
    t.n_outputs_ = n_outputs
    if clf:
        floats = [np.arange(m, dtype=np.float64) for m in n_classes]
        t.classes_ = floats[0] if n_outputs == 1 else floats
        t.n_classes_ = n_classes[0].astype(np.int64) if n_outputs == 1 else n_classes
    for name, value in shared.items():
        setattr(t, name, copy.deepcopy(value))


# ---------------------------------------------------------------------------- allow-lists

#: A tree's fitted attributes, as a tree or a forest's tree has them (scikit-learn 1.3.2 ..
#: 1.9.1); what predictions read (n_outputs_, n_classes_, n_features_in_) equals the body's.
_TREE_COUNTS = one_of(integer(1, scalar=True), array("iu", ("n_outputs",)))
_TREE_ATTRIBUTES = {
    "max_features_": integer(1, "n_features", scalar=True),
    "n_outputs_": same("n_outputs", integer(1, scalar=True)),
}
_TREE_CLASSIFIER = {"n_classes_": same("tree_n_classes_", _TREE_COUNTS)}
_PER_TREE_RULES = {
    _PER_TREE + "max_features_": integer(1, "n_features", scalar=True),
    _PER_TREE + "n_features_in_": same("n_features", integer(1, scalar=True)),
    _PER_TREE + "n_outputs_": same("n_outputs", integer(1, scalar=True)),
    _RANDOM_STATE: array("i", ("n_trees",)),
}
_PER_TREE_CLASSIFIER = {
    _PER_TREE + "n_classes_": same("tree_n_classes_", _TREE_COUNTS),
    _PER_TREE + "classes_": same(
        "tree_classes_", one_of(array("f", (None,)), sequence(array("f", (None,)), "n_outputs"))
    ),
}
#: A forest's own: its counts, out-of-bag results and bagging state.
_FOREST_ATTRIBUTES = {
    "n_outputs_": same("n_outputs", integer(1, scalar=True)),
    "oob_score_": number(finite=False),
    "_n_samples": integer(1, 1 << 40, scalar=True),
    "_n_samples_bootstrap": optional(integer(1, 1 << 40, scalar=True)),
    "_sample_weight": optional(array("f", (None,))),
}
_FOREST_CLASSIFIER = {
    "n_classes_": same(
        "forest_n_classes_", one_of(integer(1, scalar=True), sequence(integer(1), "n_outputs"))
    ),
    "oob_decision_function_": one_of(array("f", (None, None)), array("f", (None, None, None))),
}
_FOREST_REGRESSOR = {
    "oob_prediction_": one_of(array("f", (None,)), array("f", (None, None))),
}

for _name, _cls in {**SINGLE, **FORESTS}.items():
    register(_cls, _name, "tree_ensemble", tree_to_proto, tree_from_proto)
    _clf = issubclass(_cls, ClassifierMixin)
    if _cls in TREE_OF:
        _rules = {**_FOREST_ATTRIBUTES, **_PER_TREE_RULES}
        _rules.update({**_FOREST_CLASSIFIER, **_PER_TREE_CLASSIFIER} if _clf else _FOREST_REGRESSOR)
    else:
        _rules = {**_TREE_ATTRIBUTES, **(_TREE_CLASSIFIER if _clf else {})}
    allow(_cls, _rules)
