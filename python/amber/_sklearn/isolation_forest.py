"""IsolationForest <-> the `IsolationForest` body.

What scikit-learn computes (sklearn/ensemble/_iforest.py, 1.3.2 and 1.9.1 alike,
`_compute_score_samples`): each tree of `estimators_` (an ExtraTreeRegressor fitted on the
columns `estimators_features_[t]` when `_max_features != n_features_in_`, else on all of
them) sends the float32-cast row to a leaf; `depths`, zeros, gets `+= d[leaf] + a[leaf] -
1.0` tree after tree, where `d = _decision_path_lengths[t]` (`tree_.compute_node_depths()`,
the root at depth 1) and `a = _average_path_length_per_tree[t]` (`_average_path_length` of
`tree_.n_node_samples`); then `score_samples = -(2 ** -(depths / denominator))`, with
`denominator = len(estimators_) * _average_path_length([_max_samples])` (`depths / 0` is
replaced by 1), `decision_function = score_samples - offset_`, and `predict` is -1 where
`decision_function < 0`, else 1.

The body holds what a reader needs for that (spec/estimators.md, "IsolationForest"): the
trees as a TreeEnsemble whose split features are input columns (each tree's subset
resolved) and whose `values` are the per-leaf contributions `d + a - 1.0`, computed here with
the producing scikit-learn's own arrays and float operations so that a reader's sum is
bit-identical; the denominator, computed here the same way; and `offset_`.

What else scikit-learn needs to rebuild an identical object is kept as attributes: the trees'
own `tree_.value` (`estimators_/tree_.value`, f64 [n_nodes, 1, 1], in each tree's node order),
`_average_path_length_per_tree` (f64 [n_nodes]), `estimators_features_` (i64
[n_trees, _max_features]), the trees' random states and shared fitted attributes
(`estimators_/...`, as for forests), and the private `_max_samples`, `_max_features`,
`_n_samples`, `_seeds` and (scikit-learn >= 1.4) `_sample_weight`. `_decision_path_lengths`
is recomputed at load (integers, exact). `inference_only` drops `tree_.value`,
`_average_path_length_per_tree` and the training statistics; loading then finds, leaf by
leaf, an `_average_path_length_per_tree` entry that reproduces the stored contribution
exactly, so predictions stay bit-identical.
"""

from __future__ import annotations

import copy
import inspect
import warnings
from typing import Any

import numpy as np
from sklearn.ensemble import IsolationForest, _bagging
from sklearn.ensemble._iforest import _average_path_length
from sklearn.tree import ExtraTreeRegressor

from .._container import DTYPES
from .._errors import AmberError, AmberWarning, UnsupportedError
from .._proto.amber.v1 import amber_pb2 as pb
from .._tree import FEATURE_BITS, LEAF, MISSING_LEFT, NODE_RECORD
from ._common import (
    DecodeCtx,
    EncodeCtx,
    allow,
    array,
    build,
    encode_value,
    integer,
    optional,
    read_attributes,
    refuse,
    register,
    same,
    type_name,
)
from .tree import (
    _build_trees,
    _equal,
    _write_body,
    tree_random_states,
    write_shared_tree_attributes,
)

PRODUCER = "sklearn.ensemble.IsolationForest"
#: Attribute-name prefix of what the trees share, as for forests (tree.py).
_PER_TREE = "estimators_/"
_RANDOM_STATE = _PER_TREE + "random_state"
_TREE_VALUE = _PER_TREE + "tree_.value"
_FEATURES = "estimators_features_"
_APL = "_average_path_length_per_tree"
#: BaseBagging's private attributes (estimators_samples_ and score_samples need them).
_PRIVATE = ("_max_samples", "_max_features", "_n_samples", "_seeds", "_sample_weight")
_STATS = ("impurity", "n_node_samples", "weighted_n_node_samples", "node_ids")
_IMMUTABLE = (bool, int, float, str, type(None))


# ---------------------------------------------------------------------------- saving


def _template(est: Any) -> Any:
    """The tree template (`estimator_`) of a fitted `est` as its own `fit` makes it:
    `_get_estimator()` (1.9.1) or the `estimator` param set in `__init__` (1.3.2), validated,
    with `max_depth = ceil(log2(max(max_samples_, 2)))`."""
    if hasattr(est, "_get_estimator"):
        est._validate_estimator(est._get_estimator())
    else:
        est._validate_estimator()
    est.estimator_.max_depth = int(np.ceil(np.log2(max(int(est.max_samples_), 2))))
    return est.estimator_


def _check_trees(est: Any, trees: list[Any]) -> list[int]:
    """That the trees are what `fit` makes (so loading can rebuild them); their random states."""
    fresh = type(est)(**est.get_params(deep=False))
    fresh.max_samples_ = est.max_samples_
    expected = _template(fresh).get_params(deep=False)
    mine = getattr(est, "estimator_", None)
    if type(mine) is not ExtraTreeRegressor or not _equal(mine.get_params(deep=False), expected):
        raise UnsupportedError(
            f"{type_name(est)}.estimator_ is not the ExtraTreeRegressor its fit makes"
        )
    return tree_random_states(est, trees, ExtraTreeRegressor, expected)


def _feature_table(est: Any, n_trees: int) -> tuple[np.ndarray, bool]:
    """(estimators_features_ as i64 [n_trees, _max_features], whether scikit-learn indexes
    the input with it: `_max_features != n_features_in_`, as `_compute_chunked_score_samples`
    decides)."""
    n_in, width = int(est.n_features_in_), int(est._max_features)
    features = list(getattr(est, _FEATURES, None) or [])
    if len(features) != n_trees:
        raise UnsupportedError(
            f"{type_name(est)} has {len(features)} feature sets for {n_trees} trees"
        )
    try:
        table = np.array([np.asarray(f, dtype=np.int64) for f in features], dtype=np.int64)
    except ValueError:
        raise UnsupportedError(f"{type_name(est)}: feature sets of different sizes") from None
    if table.shape != (n_trees, width) or np.any(table < 0) or np.any(table >= n_in):
        raise UnsupportedError(
            f"{type_name(est)}: estimators_features_ is not {n_trees} sets of {width} of the "
            f"{n_in} input columns"
        )
    subsample = width != n_in
    if subsample and any(np.unique(row).shape[0] != width for row in table):
        raise UnsupportedError(f"{type_name(est)}: a tree's feature set repeats a column")
    return table, subsample


def _contributions(est: Any, trees: list[Any]) -> tuple[np.ndarray, np.ndarray]:
    """(every node's `d + a - 1.0`, and `a`), tree after tree, each in its node order: the
    producing scikit-learn's own arrays and float operations (`_compute_score_samples`)."""
    lengths = getattr(est, "_decision_path_lengths", None)
    averages = getattr(est, _APL, None)
    out_v, out_a = [], []
    for k, t in enumerate(trees):
        depths = t.tree_.compute_node_depths()
        if lengths is not None and not np.array_equal(lengths[k], depths):
            raise UnsupportedError(
                f"{type_name(est)}._decision_path_lengths[{k}] is not tree {k}'s node depths"
            )
        a = averages[k] if averages is not None else _average_path_length(t.tree_.n_node_samples)
        d = lengths[k] if lengths is not None else depths
        if np.shape(a) != np.shape(d):
            raise UnsupportedError(f"{type_name(est)}.{_APL}[{k}] has the wrong shape")
        out_v.append(d + a - 1.0)
        out_a.append(np.asarray(a, dtype=np.float64))
    return np.concatenate(out_v).astype(np.float64, copy=False), np.concatenate(out_a)


def _arrays(tensors: list[Any]) -> dict[str, np.ndarray]:
    return {t.name: np.frombuffer(t.data, dtype=DTYPES[t.dtype]).reshape(t.shape) for t in tensors}


def isolation_forest_to_proto(est: Any, msg: pb.Estimator, ctx: EncodeCtx) -> set[str]:
    trees = list(getattr(est, "estimators_", None) or [])
    if not trees or any(not hasattr(t, "tree_") for t in trees):
        raise UnsupportedError(f"cannot save an unfitted {type_name(est)}")
    states = _check_trees(est, trees)
    table, subsample = _feature_table(est, len(trees))
    for i, t in enumerate(trees):
        if int(t.tree_.n_features) != int(est._max_features):
            raise UnsupportedError(f"tree {i} does not take _max_features columns")

    # The trees as scikit-learn's own TreeEnsemble writer lays them out (every node, its
    # values, statistics and ids), then rewritten for this body.
    scratch = EncodeCtx(prefix=ctx.prefix + "trees/")
    written = pb.TreeEnsemble()
    _write_body(est, trees, written, scratch)
    arrays = _arrays(scratch.tensors)
    records = arrays[written.nodes].reshape(-1).view(NODE_RECORD).copy()
    offsets = arrays[written.tree_offsets]
    word = records["feature"].astype(np.int64)
    leaf = word == LEAF
    if subsample:
        # Tree-local feature j of tree t is input column estimators_features_[t][j].
        tree_of = np.repeat(np.arange(len(trees)), np.diff(offsets).astype(np.int64))
        local = np.where(leaf, 0, word & FEATURE_BITS)
        column = table[tree_of, local]
        records["feature"] = np.where(leaf, LEAF, (word & MISSING_LEFT) | column)
    contributions, averages = _contributions(est, trees)

    body = msg.isolation_forest
    out = body.trees
    sub = ctx.child("trees/")
    if ctx.inference_only:
        # Leaves only, in record order: leaf records point at their node's row so far.
        rows = records["next"][leaf].astype(np.int64)
        records["next"][leaf] = np.arange(rows.shape[0], dtype=np.uint32)
        values = contributions[rows]
    else:
        values = contributions
    out.nodes = sub.tensor("nodes", records.view(np.uint8).reshape(-1, 16))
    out.tree_offsets = sub.tensor("tree_offsets", offsets)
    out.values = sub.tensor("values", values.reshape(-1, 1, 1))
    out.input = written.input
    out.leaf_values = pb.LEAF_VALUES_REGRESSION
    if not ctx.inference_only:
        for field in _STATS:
            name = getattr(written, field)
            if name:
                setattr(out, field, sub.tensor(field, arrays[name]))
        out.values_for_every_node = True
    body.denominator = float(len(est.estimators_) * _average_path_length([est._max_samples])[0])
    body.offset = float(est.offset_)

    def attribute(name: str, value: Any) -> None:
        msg.attributes.add(name=name, value=encode_value(value, f"attributes/{name}", ctx))

    attribute(_RANDOM_STATE, np.asarray(states, dtype=np.int64))
    attribute(_FEATURES, table)
    if not ctx.inference_only:
        attribute(_TREE_VALUE, arrays[written.values])
        attribute(_APL, averages)
    write_shared_tree_attributes(est, trees, msg, ctx)
    for name in _PRIVATE:
        if name in vars(est):
            attribute(name, getattr(est, name))
    return {"estimators_", "estimator_", _FEATURES, "offset_"}


# ---------------------------------------------------------------------------- loading


class _Overlay(DecodeCtx):
    """A DecodeCtx whose tensors `arrays` replace (or add to) the container's."""

    def __init__(self, base: DecodeCtx, arrays: dict[str, np.ndarray]) -> None:
        super().__init__(base.container)
        self.arrays = arrays

    def view(self, name: str) -> np.ndarray:
        return self.arrays[name] if name in self.arrays else super().view(name)

    def array(self, name: str) -> np.ndarray:
        return self.arrays[name].copy() if name in self.arrays else super().array(name)


def _fit_addend(d: np.ndarray, v: np.ndarray) -> np.ndarray:
    """For each element, an `a` with `(d + a) - 1.0 == v` bit for bit (d: integer depths).

    Such an `a` exists for every value a scikit-learn leaf holds (`v` was computed that
    way, with `v + 1 >= d`): the sum `s = d + a` is one of the float64 values nearest to
    `v + 1.0` whose `s - 1.0` rounds to `v`, and `a = s - d` is then exact.
    """
    d = d.astype(np.float64)
    out = np.full(v.shape, np.nan)
    todo = np.ones(v.shape, dtype=bool)
    base = v + 1.0
    for step in (0, 1, -1, 2, -2, 3, -3):
        s = base.copy()
        for _ in range(abs(step)):
            s = np.nextafter(s, np.inf if step > 0 else -np.inf)
        a = s - d
        ok = todo & ((d + a) - 1.0 == v)
        out[ok] = a[ok]
        todo &= ~ok
        if not todo.any():
            return out
    raise refuse(
        PRODUCER,
        "a leaf's contribution is not depth + a - 1.0 for any a: scikit-learn cannot score it",
    )


def _leaf_contributions(body: pb.TreeEnsemble, ctx: DecodeCtx, n_nodes: int) -> np.ndarray:
    """Each node's stored contribution in the producer's node order (NaN for internal nodes
    of an inference-only file)."""
    records = ctx.view(body.nodes).reshape(-1).view(NODE_RECORD)
    offsets = ctx.view(body.tree_offsets).astype(np.int64)
    values = ctx.view(body.values).reshape(-1)
    leaf = records["feature"] == LEAF
    start = np.repeat(offsets[:-1], np.diff(offsets))
    ids = (
        ctx.view(body.node_ids).astype(np.int64)
        if body.node_ids
        else np.arange(n_nodes, dtype=np.int64) - start
    )
    out = np.full(n_nodes, np.nan)
    out[(start + ids)[leaf]] = values[records["next"][leaf].astype(np.int64)]
    return out


def _sample_weight_needed() -> bool:
    """Whether this scikit-learn's bagging reads `_sample_weight` (>= 1.4)."""
    gen = getattr(_bagging, "_generate_bagging_indices", None)
    return gen is not None and "sample_weight" in inspect.signature(gen).parameters


def _facts(msg: pb.Estimator, ctx: DecodeCtx) -> dict[str, Any]:
    t = msg.isolation_forest.trees
    offsets = ctx.view(t.tree_offsets)
    return {
        "n_features": int(msg.n_features_in),
        "n_trees": int(offsets.shape[0]) - 1,
        "n_nodes": int(offsets[-1]) if offsets.shape[0] else 0,
        "n_rows": int(ctx.view(t.values).shape[0]),
        "n_outputs": 1,
    }


def _check_private(est: Any, attrs: dict[str, Any], n_in: int) -> int:
    """The bagging state score_samples reads, consistent with itself and the body; the
    width (`_max_features`) of every tree."""
    name = type_name(est)
    if "_max_samples" not in attrs:
        raise refuse(name, "_max_samples (the score's denominator) is missing")
    max_samples = int(attrs["_max_samples"])
    if int(attrs.get("max_samples_", max_samples)) != max_samples:
        raise refuse(
            name, f"max_samples_ {attrs['max_samples_']} is not _max_samples {max_samples}"
        )
    n_samples = attrs.get("_n_samples")
    if n_samples is not None and max_samples > n_samples:
        raise refuse(name, f"_max_samples {max_samples} exceeds _n_samples {n_samples}")
    weight = attrs.get("_sample_weight")
    if weight is not None and (n_samples is None or weight.shape != (n_samples,)):
        raise refuse(name, f"_sample_weight of shape {weight.shape}, _n_samples {n_samples}")
    width = int(attrs.get("_max_features", n_in))
    per_tree = attrs.get(_PER_TREE + "n_features_in_")
    if per_tree is not None and int(per_tree) != width:
        raise refuse(name, f"estimators_/n_features_in_ {per_tree} is not _max_features {width}")
    return width


def _check_denominator(name: str, n_trees: int, max_samples: int, body: pb.IsolationForest) -> None:
    """One truth: scikit-learn computes the score's denominator as `len(estimators_) *
    _average_path_length([_max_samples])` (_iforest.py `_compute_score_samples`); a reader
    of the body uses `denominator`. They must be the same number."""
    mine = float(n_trees * _average_path_length([max_samples])[0])
    if mine != body.denominator:
        raise refuse(
            name,
            f"scikit-learn's denominator from _max_samples {max_samples} and {n_trees} trees is "
            f"{mine!r}, the body's is {body.denominator!r}",
        )


def _feature_sets(name: str, table: np.ndarray | None, n_trees: int, width: int, n_in: int):
    """estimators_features_ as scikit-learn holds it (one array per tree), checked: width
    distinct input columns per tree when the trees take a subset."""
    if table is None:
        if width != n_in:
            raise refuse(name, f"estimators_features_ is missing, _max_features {width} < {n_in}")
        every = np.arange(n_in, dtype=np.int64)
        every.flags.writeable = False
        return [every] * n_trees  # one array: no per-tree copy of n_in columns
    if table.shape != (n_trees, width) or (table.size and (table.min() < 0 or table.max() >= n_in)):
        raise refuse(
            name,
            f"estimators_features_ of shape {table.shape} is not {n_trees} sets of {width} of "
            f"the {n_in} input columns",
        )
    if width != n_in and width > 1:
        ordered = np.sort(table, axis=1)
        if np.any(ordered[:, 1:] == ordered[:, :-1]):
            raise refuse(name, "a tree's estimators_features_ repeats a column")
    return [np.array(row, dtype=np.int64) for row in table]


def _local_features(
    records: np.ndarray, offsets: np.ndarray, table: np.ndarray, leaf: np.ndarray
) -> np.ndarray:
    """Each split record's tree-local feature: its input column's position in its tree's
    feature set (-1 if not there), tree by tree (nothing sized n_trees x n_features)."""
    word = records["feature"].astype(np.int64)
    out = np.zeros(word.shape[0], dtype=np.int64)
    order = np.argsort(table, axis=1, kind="stable")
    for t in range(table.shape[0]):
        s, e = int(offsets[t]), int(offsets[t + 1])
        row = table[t][order[t]]
        column = np.where(leaf[s:e], row[0] if row.size else 0, word[s:e] & FEATURE_BITS)
        pos = np.minimum(np.searchsorted(row, column), max(row.size - 1, 0))
        found = row[pos] == column if row.size else np.zeros(e - s, dtype=bool)
        out[s:e] = np.where(found, order[t][pos], -1)
    return out


def isolation_forest_from_proto(msg: pb.Estimator, ctx: DecodeCtx) -> Any:
    body = msg.isolation_forest
    t = body.trees
    if t.input != pb.TREE_INPUT_F32:
        raise AmberError(
            "E_PROVENANCE",
            "scikit-learn trees compare float32 inputs; this file's trees compare float64",
        )
    facts = _facts(msg, ctx)
    attrs = read_attributes(IsolationForest, msg, ctx, facts)
    shared = {k[len(_PER_TREE) :]: v for k, v in attrs.items() if k.startswith(_PER_TREE)}
    est = build(IsolationForest, msg, ctx, attrs)
    name = type_name(est)
    n_in = int(msg.n_features_in)
    offsets = ctx.view(t.tree_offsets).astype(np.int64)
    n_trees, n_nodes = offsets.shape[0] - 1, int(offsets[-1])
    width = _check_private(est, attrs, n_in)
    _check_denominator(name, n_trees, int(attrs["_max_samples"]), body)
    for private in ("_max_samples", "_n_samples", "_seeds", "_sample_weight"):
        if private in attrs:
            setattr(est, private, attrs[private])
    est.max_samples_ = int(attrs["_max_samples"])
    table = attrs.get(_FEATURES)
    est._max_features = width
    est.estimators_features_ = _feature_sets(name, table, n_trees, width, n_in)
    if "_sample_weight" not in vars(est) and _sample_weight_needed():
        est._sample_weight = None

    # Undo the feature remapping: tree-local index of each input column.
    records = ctx.view(t.nodes).reshape(-1).view(NODE_RECORD).copy()
    word = records["feature"].astype(np.int64)
    leaf = word == LEAF
    if width != n_in:
        j = _local_features(records, offsets, table, leaf)
        if np.any(~leaf & (j < 0)):
            raise refuse(
                name, "a tree splits on a column that is not in its estimators_features_ set"
            )
        records["feature"] = np.where(leaf, LEAF, (word & MISSING_LEFT) | j)

    # The trees' own tree_.value: the attribute, or zeros (inference-only files).
    n_rows = ctx.view(t.values).shape[0]
    tree_value = shared.pop("tree_.value", None)
    no_value = tree_value is None
    if no_value:
        tree_value = np.zeros((n_rows, 1, 1))
    scratch = pb.Estimator(n_features_in=width)
    scratch.tree_ensemble.CopyFrom(t)
    scratch.tree_ensemble.nodes = "\0nodes"
    scratch.tree_ensemble.values = "\0values"
    overlay = _Overlay(ctx, {"\0nodes": records.view(np.uint8), "\0values": tree_value})
    built = _build_trees(scratch, overlay, np.array([1], dtype=np.intp))

    template = _template(est)
    states = shared.pop("random_state", None)
    blank = est._make_estimator(append=False)
    # A tree's params are ints, floats, strings and None (checked when saving): a shallow
    # copy of the template is a clone, at a fraction of deepcopy's cost per tree.
    immutable = all(isinstance(v, _IMMUTABLE) for v in vars(blank).values())
    est.estimators_ = []
    for k, tree in enumerate(built):
        e = copy.copy(blank) if immutable else copy.deepcopy(blank)
        if states is not None:
            e.random_state = int(states[k])
        e.n_features_in_, e.n_outputs_, e.max_features_ = width, 1, template.max_features
        for attr, value in shared.items():  # checked: n_features_in_ is width, n_outputs_ 1
            setattr(e, attr, value if isinstance(value, _IMMUTABLE) else copy.deepcopy(value))
        e.tree_ = tree
        est.estimators_.append(e)

    # _decision_path_lengths and _average_path_length_per_tree: the stored averages, else
    # recomputed; any leaf whose d + a - 1.0 is not the file's value (none, for a file of
    # this writer with its statistics) gets an `a` that gives exactly that value.
    stored = attrs.get(_APL)
    target = _leaf_contributions(t, ctx, n_nodes)
    lengths, averages = [], []
    for k, e in enumerate(est.estimators_):
        s, end = int(offsets[k]), int(offsets[k + 1])
        d = e.tree_.compute_node_depths()
        a = (
            # float64 whatever the file's dtype: the addends fitted below must hold exactly.
            np.array(stored[s:end], dtype=np.float64)
            if stored is not None
            else _average_path_length(e.tree_.n_node_samples)
        )
        v = target[s:end]
        is_leaf = ~np.isnan(v)
        bad = is_leaf & ((d + a - 1.0) != v)
        if bad.any():
            a[bad] = _fit_addend(d[bad], v[bad])
        lengths.append(d)
        averages.append(a)
    est._decision_path_lengths = tuple(lengths)
    est._average_path_length_per_tree = tuple(averages)

    contamination = getattr(est, "contamination", None)
    est.offset_ = (
        -0.5 if contamination == "auto" and body.offset == -0.5 else np.float64(body.offset)
    )
    missing = [
        f for f in ("impurity", "n_node_samples", "weighted_n_node_samples") if not getattr(t, f)
    ]
    if missing or no_value:
        what = ["value is 0"] if no_value else []
        what += [f"{f} is {'NaN' if f == 'impurity' else '0'}" for f in missing]
        warnings.warn(
            f"{type_name(est)} was saved without training statistics (inference-only): in "
            f"its trees' tree_, {', '.join(what)}, so "
            "feature_importances_ and anything else computed from them is not meaningful; "
            "predictions are exact",
            AmberWarning,
            stacklevel=3,
        )
    return est


# What the writer leaves as attributes (scikit-learn 1.3.2 .. 1.9.1): the bagging state
# score_samples and estimators_samples_ read (checked against each other and the body's
# denominator), the trees' own values, path lengths, feature sets, random states and
# shared fitted attributes.
allow(
    IsolationForest,
    {
        "max_samples_": integer(1, 1 << 40, scalar=True),
        _FEATURES: array("i", ("n_trees", None)),
        _APL: array("f", ("n_nodes",), finite=True),
        "_max_samples": integer(1, 1 << 40, scalar=True),
        "_max_features": integer(1, "n_features", scalar=True),
        "_n_samples": integer(1, 1 << 40, scalar=True),
        "_seeds": array("i", ("n_trees",)),
        "_sample_weight": optional(array("f", (None,))),
        _RANDOM_STATE: array("i", ("n_trees",)),
        _TREE_VALUE: array("f", ("n_rows", 1, 1)),
        _PER_TREE + "max_features_": integer(1, "n_features", scalar=True),
        _PER_TREE + "n_features_in_": integer(1, "n_features", scalar=True),
        _PER_TREE + "n_outputs_": same("n_outputs", integer(1, scalar=True)),
    },
)
register(
    IsolationForest,
    PRODUCER,
    "isolation_forest",
    isolation_forest_to_proto,
    isolation_forest_from_proto,
)
