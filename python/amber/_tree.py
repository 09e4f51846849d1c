"""The estimator tree: canonical ordering (spec section 4) and check 15 (section 3).

Knows the schema's estimator bodies, but not scikit-learn: whatever the body rules of
spec/estimators.md say can be checked without the producing library lives here.
"""

from __future__ import annotations

import math
import struct
from typing import Callable, Iterator, Mapping

import numpy as np

from . import _schema
from ._errors import AmberError, ModelError
from ._proto.amber.v1 import amber_pb2 as pb

#: Default 32. Stops deeply nested estimators or values from exhausting a recursive
#: reader's stack. The root estimator, and a param's or attribute's own value, are at
#: depth 1.
MAX_DEPTH = 32

#: Body kinds this reader knows, with the body fields (in tag order) that name tensors.
BODY_TENSOR_FIELDS: dict[str, tuple[str, ...]] = {
    "standard_scaler": ("mean", "scale", "var", "n_samples_seen"),
    "feature_affine": ("sub", "div", "mul", "add"),
    "binarizer": (),
    "normalizer": (),
    "one_hot_encoder": (),
    "ordinal_encoder": (),
    "target_encoder": (),
    # The imputers: their own fields, then their indicator's `features`, see tensor_refs.
    "simple_imputer": (),
    "missing_indicator": ("features",),
    "knn_imputer": ("fit_x", "mask_fit_x", "valid_mask"),
    "linear": ("coef", "intercept"),
    "pipeline": (),
    # ColumnTransformer and FeatureUnion: their branches' estimators and selections, see
    # tensor_refs.
    "column_transformer": (),
    "feature_union": (),
    # Voting: its members' estimators; Stacking: its members' then its final estimator, see
    # tensor_refs.
    "voting": (),
    "stacking": (),
    # Calibration: per classifier its estimator's, then its calibrators' thresholds (x, y),
    # see tensor_refs.
    "calibration": (),
    # Multiclass: its members' estimators in order, then its code_book, see tensor_refs.
    "multiclass": (),
    # MultiOutput: its members' estimators in order, see tensor_refs.
    "multi_output": (),
    # TransformedTarget: its regressor's, then its transformer's; ThresholdClassifier: its
    # estimator's, see tensor_refs.
    "transformed_target": (),
    "function_transformer": (),
    "threshold_classifier": (),
    # Bagging: its members' estimators in order; AdaBoost: its members', then its weights,
    # see tensor_refs.
    "bagging": (),
    "ada_boost": (),
    # Boosting and IsolationForest: their `trees` (a TreeEnsemble) first, see tensor_refs.
    "boosting": ("baseline",),
    "isolation_forest": (),
    "tree_ensemble": (
        "nodes",
        "tree_offsets",
        "values",
        "categories",
        "known_categories",
        "categorical_features",
        "category_values",
        "category_value_offsets",
        "impurity",
        "n_node_samples",
        "weighted_n_node_samples",
        "node_ids",
    ),
}

#: A TreeEnsemble node record (spec/estimators.md, "TreeEnsemble"): 16 little-endian bytes.
NODE_RECORD = np.dtype([("threshold", "<f8"), ("feature", "<u4"), ("next", "<u4")])
assert NODE_RECORD.itemsize == 16
#: The feature word of a leaf record.
LEAF = 0xFFFFFFFF
#: Bit 31 of an internal record's feature word: missing values (NaN) go left.
MISSING_LEFT = 1 << 31
#: Bit 30 of an internal record's feature word: a categorical split.
CATEGORICAL = 1 << 30
#: The feature index bits of an internal record's feature word.
FEATURE_BITS = CATEGORICAL - 1
#: A function giving a tensor's elements (little-endian, read-only view) by name.
TensorData = Callable[[str], np.ndarray]
#: Records `_records_pass` checks per step: few enough for its buffers to stay in cache.
_PASS_RECORDS = 1 << 15


def _records_pass(
    records: np.ndarray, offsets: np.ndarray, n_rows: int, feature_bound: int
) -> bool:
    """Whether every TreeEnsemble record obeys rule 6 of spec/estimators.md section 5.2 and
    none is a categorical split (`feature_bound` is min(n_features_in, CATEGORICAL)).

    The common case, decided chunk by chunk with a few numpy operations on contiguous int64
    buffers (no `np.where`, no masked reductions: a mask of -1 for internal records, 0 for
    leaves, is and-ed in). False does not name a failure: the caller then runs its
    record-by-record checks, which find the first one (or none, had this been too strict).
    """
    halves = records.view("<u4").reshape(-1, 4)  # threshold low, high, feature word, next
    n = halves.shape[0]
    ends = offsets[1:].astype(np.int64)
    # A tree's last record is a leaf (an internal one's left child would be outside it).
    if not np.all(records["feature"][ends - 1] == LEAF):
        return False
    chunk = min(n, _PASS_RECORDS)
    word, nxt, inner, tmp = (np.empty(chunk, dtype=np.int64) for _ in range(4))
    steps = np.arange(2, chunk + 2, dtype=np.int64)
    for lo in range(0, n, _PASS_RECORDS):
        hi = min(lo + _PASS_RECORDS, n)
        k = hi - lo
        w, x, m, z = word[:k], nxt[:k], inner[:k], tmp[:k]
        np.copyto(w, halves[lo:hi, 2])
        np.copyto(x, halves[lo:hi, 3])
        np.subtract(w, LEAF, out=z)
        np.right_shift(z, 63, out=m)  # -1 for an internal record, 0 for a leaf
        n_leaves = k - int(np.count_nonzero(m))
        # Internal records: feature (and the categorical bit) below the bound; a leaf's
        # 0x7FFFFFFF never is.
        np.bitwise_and(w, MISSING_LEFT - 1, out=z)
        if np.count_nonzero(z >= feature_bound) != n_leaves:
            return False
        np.bitwise_and(x, m, out=z)  # internal records' next, 0 for leaves
        last_right = int(z.max())
        np.subtract(x, z, out=z)  # leaves' rows, 0 for internal records
        if int(z.max()) >= n_rows:
            return False
        # Internal record i: i + 1 < next < its tree's end.
        np.subtract(x, steps[:k], out=z)
        np.subtract(z, lo, out=z)
        np.bitwise_and(z, m, out=z)  # next - (i + 2), 0 for leaves
        if int(z.min()) < 0:
            return False
        t0 = int(np.searchsorted(ends, lo, side="right"))
        t1 = int(np.searchsorted(ends, hi - 1, side="right"))
        if t0 == t1:  # one tree
            if last_right >= ends[t0]:
                return False
        else:
            bounds = np.clip(offsets[t0 : t1 + 2].astype(np.int64), lo, hi)
            np.bitwise_and(x, m, out=z)
            if np.any(z >= np.repeat(ends[t0 : t1 + 1], np.diff(bounds))):
                return False
    return True


def _sort_params(params) -> None:  # a RepeatedCompositeFieldContainer of Param
    items = []
    for p in params:
        c = pb.Param()
        c.CopyFrom(p)
        items.append(c)
    items.sort(key=lambda p: p.name.encode("utf-8"))
    del params[:]
    params.extend(items)


def canonicalize(manifest: pb.Manifest) -> None:
    """Sort every estimator's params and attributes by name (byte-wise UTF-8), in place."""
    if manifest.HasField("estimator"):
        stack = [manifest.estimator]
        while stack:
            est = stack.pop()
            _sort_params(est.params)
            _sort_params(est.attributes)
            stack.extend(children(est))


def children(est: pb.Estimator) -> Iterator[pb.Estimator]:
    """The estimators nested in `est`'s body, in canonical order."""
    body = est.WhichOneof("body")
    if body == "pipeline":
        yield from (s.estimator for s in est.pipeline.steps if s.HasField("estimator"))
    elif body == "boosting":
        if est.boosting.HasField("init"):
            yield est.boosting.init
        if est.boosting.HasField("preprocessor"):
            yield est.boosting.preprocessor
    elif body in ("column_transformer", "feature_union"):
        yield from (b.estimator for b in _branches(est) if b.HasField("estimator"))
    elif body in ("voting", "stacking"):
        yield from (m.estimator for m in _members(est) if m.HasField("estimator"))
        if body == "stacking":
            yield est.stacking.final_estimator
    elif body == "calibration":
        yield from (c.estimator for c in est.calibration.classifiers)
    elif body == "multiclass":
        yield from _fitted_members(est.multiclass)
    elif body == "multi_output":
        yield from est.multi_output.members
    elif body in ("transformed_target", "threshold_classifier"):
        yield from _nested(est)
    elif body == "bagging":
        yield from (m.estimator for m in est.bagging.members)
    elif body == "ada_boost":
        yield from est.ada_boost.members


def _nested(est: pb.Estimator) -> list[pb.Estimator]:
    """A TransformedTarget's regressor and transformer, a ThresholdClassifier's estimator,
    in order (those present)."""
    body = est.WhichOneof("body")
    msg = getattr(est, body)
    fields = ("regressor", "transformer") if body == "transformed_target" else ("estimator",)
    return [getattr(msg, f) for f in fields if msg.HasField(f)]


def _fitted_members(m: pb.Multiclass) -> list[pb.Estimator]:
    """A Multiclass body's members' estimators, in order (constant members have none)."""
    return [x.estimator for x in m.members if x.HasField("estimator")]


def _members(est: pb.Estimator):
    """The members of a composition over predictions (a Voting or a Stacking body)."""
    return getattr(est, est.WhichOneof("body")).members


def _member_names(est: pb.Estimator, where: str) -> None:
    """A composition with names gives its members DataFrames of named columns, which
    scikit-learn's members check against their own feature_names_in: a pipeline's first
    step gets every column, a ColumnTransformer branch its columns, a FeatureUnion, Voting or
    Stacking member every column. A member that has names must have those (spec/estimators.md
    section 1; section 20, rule 4; section 21, rule 2)."""
    names = list(est.feature_names_in)
    body = est.WhichOneof("body")
    if not names and body == "feature_union":
        # scikit-learn's FeatureUnion.feature_names_in_ is its first member's.
        first = next((b.estimator for b in _branches(est) if b.HasField("estimator")), None)
        names = list(first.feature_names_in) if first is not None else []
    if not names and body in ("voting", "stacking"):
        # scikit-learn's Voting*.feature_names_in_ and Stacking*'s are the last named member's.
        named = [m.estimator for m in _members(est) if m.estimator.feature_names_in]
        names = list(named[-1].feature_names_in) if named else []
    if not names and body == "calibration" and est.calibration.classifiers:
        # scikit-learn's CalibratedClassifierCV.feature_names_in_ is its first classifier's.
        names = list(est.calibration.classifiers[0].estimator.feature_names_in)
    if not names and body == "multiclass":
        # OneVsRest's and OutputCode's feature_names_in_ is their first member's.
        fitted = _fitted_members(est.multiclass)
        names = list(fitted[0].feature_names_in) if fitted else []
    if not names and body == "multi_output" and est.multi_output.members:
        # MultiOutput*'s feature_names_in_ is its first member's (a chain's is its own).
        names = list(est.multi_output.members[0].feature_names_in)
    reader = _whole_input_reader(est)
    if not names and reader is not None:
        # TransformedTargetRegressor's and the threshold classifiers' are their regressor's
        # or estimator's.
        names = list(reader[1].feature_names_in)
    if not names:
        return
    given: list[tuple[str, pb.Estimator, list[str]]] = []
    if body == "pipeline" and est.pipeline.steps:
        first = est.pipeline.steps[0]
        if first.HasField("estimator"):
            given.append((f"step {first.name!r}", first.estimator, names))
    elif body in ("column_transformer", "feature_union"):
        for i, b in enumerate(_branches(est)):
            # A column out of range is the branch rule's to report (section 16, rule 2).
            if b.HasField("estimator") and all(c < len(names) for c in b.columns):
                picked = [names[c] for c in b.columns] if body == "column_transformer" else names
                given.append((f"{body}[{i}]", b.estimator, picked))
    elif body in ("voting", "stacking"):
        for i, m in enumerate(_members(est)):
            if m.HasField("estimator"):
                given.append((f"{body}.members[{i}]", m.estimator, names))
    elif body == "calibration":
        for i, c in enumerate(est.calibration.classifiers):
            given.append((f"calibration.classifiers[{i}].estimator", c.estimator, names))
    elif body == "multiclass":
        for i, m in enumerate(est.multiclass.members):
            if m.HasField("estimator"):
                given.append((f"multiclass.members[{i}].estimator", m.estimator, names))
    elif body == "multi_output" and not is_chain(est.multi_output):
        # A chain's members read arrays, without names (section 24, rule 3).
        for i, e in enumerate(est.multi_output.members):
            given.append((f"multi_output.members[{i}].estimator", e, names))
    elif reader is not None:
        given.append((reader[0], reader[1], names))
    for what, member, want in given:
        if member.feature_names_in and list(member.feature_names_in) != want:
            raise ModelError(
                "E_MODEL",
                f"{where}: {what}: feature_names_in are not the names of the columns the "
                "composition gives it",
            )


def _whole_input_reader(est: pb.Estimator) -> tuple[str, pb.Estimator] | None:
    """The estimator a TransformedTarget (its regressor) or a ThresholdClassifier (its
    estimator) hands its whole input to, with its field; None for other bodies (the
    transformer of a TransformedTarget reads targets, not the input)."""
    body = est.WhichOneof("body")
    if body == "transformed_target" and est.transformed_target.HasField("regressor"):
        return "transformed_target.regressor", est.transformed_target.regressor
    if body == "threshold_classifier" and est.threshold_classifier.HasField("estimator"):
        return "threshold_classifier.estimator", est.threshold_classifier.estimator
    return None


def _branches(est: pb.Estimator):
    if est.WhichOneof("body") == "column_transformer":
        return est.column_transformer.branches
    return est.feature_union.members


def value_refs(value: pb.Value) -> Iterator[str]:
    """Tensor names a Value refers to, depth first."""
    kind = value.WhichOneof("kind")
    if kind == "tensor":
        yield value.tensor
    elif kind == "list_value":
        for item in value.list_value.items:
            yield from value_refs(item)
    elif kind == "dict_value":
        for pair in value.dict_value.entries:
            yield from value_refs(pair.key)
            yield from value_refs(pair.value)


def tensor_refs(est: pb.Estimator) -> Iterator[str]:
    """Tensor names in canonical order: body fields in tag order, params, attributes."""
    body = est.WhichOneof("body")
    if body == "pipeline":
        for step in est.pipeline.steps:
            if step.HasField("estimator"):
                yield from tensor_refs(step.estimator)
    elif body in ("column_transformer", "feature_union"):
        for b in _branches(est):
            if b.HasField("estimator"):
                yield from tensor_refs(b.estimator)
            if b.HasField("selection"):
                yield from value_refs(b.selection)
    elif body in ("voting", "stacking"):
        for m in _members(est):
            if m.HasField("estimator"):
                yield from tensor_refs(m.estimator)
        if body == "stacking":
            yield from tensor_refs(est.stacking.final_estimator)
    elif body == "calibration":
        for c in est.calibration.classifiers:
            yield from tensor_refs(c.estimator)
            for k in c.calibrators:
                if k.WhichOneof("kind") == "isotonic":
                    # Both named even when empty: an isotonic calibrator has both tensors.
                    yield k.isotonic.x_thresholds
                    yield k.isotonic.y_thresholds
    elif body == "multiclass":
        for e in _fitted_members(est.multiclass):
            yield from tensor_refs(e)
        if est.multiclass.code_book:
            yield est.multiclass.code_book
    elif body == "multi_output":
        for e in est.multi_output.members:
            yield from tensor_refs(e)
    elif body in ("transformed_target", "threshold_classifier"):
        for e in _nested(est):
            yield from tensor_refs(e)
    elif body == "bagging":
        for m in est.bagging.members:
            yield from tensor_refs(m.estimator)
    elif body == "ada_boost":
        for e in est.ada_boost.members:
            yield from tensor_refs(e)
        # Named even when empty: the body always has its weights (an empty name refers to
        # no tensor, E_TENSOR_REF, as in the Rust codec).
        yield est.ada_boost.weights
    elif body in ("boosting", "isolation_forest"):
        msg = getattr(est, body)
        yield from _fields(msg.trees, BODY_TENSOR_FIELDS["tree_ensemble"])
        if body == "boosting":
            if msg.baseline:
                yield msg.baseline
            if msg.HasField("init"):
                yield from tensor_refs(msg.init)
            if msg.HasField("preprocessor"):
                yield from tensor_refs(msg.preprocessor)
    elif body in BODY_TENSOR_FIELDS:
        yield from _fields(getattr(est, body), BODY_TENSOR_FIELDS[body])
        if body in ("simple_imputer", "knn_imputer") and getattr(est, body).HasField("indicator"):
            yield from _fields(getattr(est, body).indicator, ("features",))
    for p in est.params:
        yield from value_refs(p.value)
    for p in est.attributes:
        yield from value_refs(p.value)


def _fields(msg, fields: tuple[str, ...]) -> Iterator[str]:
    for field in fields:
        name = getattr(msg, field)
        if name:
            yield name


def _agree(reads, path: str, who: str) -> None:
    """Rule 5 of ColumnTransformer and FeatureUnion, rule 7 of Voting and Stacking: the
    readers of each input column (`reads`: their kinds, per column) never read it as numbers
    and strings."""
    for c, readers in enumerate(reads):
        acc = _schema.UNUSED
        for kind in readers:
            merged = _schema.merge(acc, kind)
            if merged is None:
                raise ModelError(
                    "E_MODEL",
                    f"estimator {path or '<root>'}: input column {c} is read as numbers by one "
                    f"{who} and as strings by another",
                )
            acc = merged


class _Checker:
    def __init__(
        self, tensors: Mapping[str, pb.TensorInfo], data: TensorData | None = None
    ) -> None:
        self.tensors = tensors
        self.data = data
        #: estimator path -> the columns its transform outputs (None: no transform), for
        #: the input schema's derivation (_schema).
        self.widths: dict[str, int | None] = {}

    def tensor(self, name: str, where: str, dtypes: tuple[int, ...], ranks: tuple[int, ...]):
        info = self.tensors[name]
        if info.dtype not in dtypes:
            allowed = "/".join(pb.DType.Name(d) for d in dtypes)
            raise ModelError("E_MODEL", f"{where}: tensor {name!r} must be {allowed}")
        if len(info.shape) not in ranks:
            raise ModelError(
                "E_MODEL", f"{where}: tensor {name!r} has rank {len(info.shape)}, expected {ranks}"
            )
        return tuple(info.shape)

    def estimator(self, est: pb.Estimator, depth: int, path: str) -> int | None:
        """Pass 3 of check 15 (`_estimator`), recording the output width by path."""
        out = self._estimator(est, depth, path)
        self.widths[path] = out if _transforms(est) else None
        return out

    def _estimator(self, est: pb.Estimator, depth: int, path: str) -> int | None:
        """Pass 3 of check 15 for one estimator and its children: the body rules.

        Passes 1 (depth, kinds, known bodies) and 2 (tensor references) have already run
        over the whole tree, so every body here is known and every name resolves.
        """
        where = f"estimator {path or '<root>'}"
        body = est.WhichOneof("body")
        out = None
        if body == "pipeline":
            out = self.pipeline(est, depth, path)
        if body in ("column_transformer", "feature_union"):
            out = self.branches(est, depth, path)
        if body == "voting":
            out = self.voting(est, depth, path)
        if body == "stacking":
            out = self.stacking(est, depth, path)
        if body == "calibration":
            self.calibration(est, depth, path)
        if body == "multiclass":
            self.multiclass(est, depth, path)
        if body == "multi_output":
            self.multi_output(est, depth, path)
        if body == "transformed_target":
            self.transformed_target(est, depth, path)
        if body == "threshold_classifier":
            self.threshold_classifier(est, depth, path)
        if body == "bagging":
            _check_bagging(self, est, depth, path)
        if body == "ada_boost":
            _check_ada_boost(self, est, depth, path)
        # Section 1: empty or exactly n_features_in names (an unset pipeline width, 0,
        # takes none).
        if est.feature_names_in and len(est.feature_names_in) != est.n_features_in:
            raise ModelError(
                "E_MODEL",
                f"{where}: {len(est.feature_names_in)} feature names for "
                f"n_features_in {est.n_features_in}",
            )
        if len(set(est.feature_names_in)) != len(est.feature_names_in):
            raise ModelError("E_MODEL", f"{where}: feature_names_in names a column twice")
        _member_names(est, where)
        if (
            body
            in (
                "linear",
                "standard_scaler",
                "feature_affine",
                "binarizer",
                "normalizer",
                "one_hot_encoder",
                "ordinal_encoder",
                "target_encoder",
                "tree_ensemble",
                "boosting",
                "isolation_forest",
                "column_transformer",
                "feature_union",
                "simple_imputer",
                "missing_indicator",
                "knn_imputer",
                "multiclass",
                "multi_output",
                "transformed_target",
                "function_transformer",
                "threshold_classifier",
                "bagging",
                "ada_boost",
            )
            and est.n_features_in == 0
        ):
            raise ModelError("E_MODEL", f"{where}: n_features_in must be at least 1")
        if (
            body == "pipeline"
            and est.n_features_in == 0
            and not any(step.HasField("estimator") for step in est.pipeline.steps)
        ):
            raise ModelError(
                "E_MODEL", f"{where}: an all-passthrough pipeline must set n_features_in"
            )
        if body == "linear":
            return self.linear(est, where)
        if body == "standard_scaler":
            return self.scaler(est, where)
        if body == "tree_ensemble":
            return self.tree_ensemble(
                est.tree_ensemble, est.n_features_in, f"{where}: tree_ensemble"
            )
        if body == "boosting":
            return self.boosting(est, depth, path)
        if body == "isolation_forest":
            return self.isolation_forest(est, where)
        if body == "feature_affine":
            return self.feature_affine(est, where)
        if body in ("normalizer", "function_transformer"):
            return est.n_features_in
        if body in _ENCODERS:
            return _ENCODERS[body](est, where)
        if body in _IMPUTERS:
            return _IMPUTERS[body](self, est, where)
        if body == "binarizer":
            if not math.isfinite(est.binarizer.threshold):
                raise ModelError("E_MODEL", f"{where}: binarizer.threshold must be finite")
            return est.n_features_in
        return out

    def single_output_regression_trees(self, t: pb.TreeEnsemble, n_features: int, where: str):
        """The trees of a Boosting or IsolationForest body: TreeEnsemble rules, regression
        leaves, one output, one column. Returns (n_trees, values shape)."""
        self.tree_ensemble(t, n_features, where)
        if t.leaf_values != pb.LEAF_VALUES_REGRESSION:
            raise ModelError("E_MODEL", f"{where}.leaf_values must be LEAF_VALUES_REGRESSION")
        shape = self.tensor(t.values, where, (pb.DTYPE_F64,), (3,))
        if shape[1:] != (1, 1):
            raise ModelError(
                "E_MODEL", f"{where}.values has shape {list(shape)}, expected [n_rows, 1, 1]"
            )
        (n_offsets,) = self.tensor(t.tree_offsets, where, (pb.DTYPE_U64,), (1,))
        return n_offsets - 1, shape

    def boosting(self, est: pb.Estimator, depth: int, path: str) -> None:
        """spec/estimators.md, "Boosting": the trees' rules, whole iterations of n_columns
        trees, a finite scale, exactly one of baseline [n_columns] and init, classes and
        decision as the link needs, an init link that fits the model and an init estimator
        that can serve it."""
        where = f"estimator {path or '<root>'}"
        b = est.boosting

        def fail(message: str) -> ModelError:
            return ModelError("E_MODEL", f"{where}: boosting.{message}")

        tree_width = est.n_features_in
        if b.HasField("preprocessor"):
            tree_width = self._boosting_preprocessor(est, depth, path, fail)
        n_trees, _ = self.single_output_regression_trees(
            b.trees, tree_width, f"{where}: boosting.trees"
        )
        k = b.n_columns
        if k < 1:
            raise fail("n_columns must be at least 1")
        if n_trees % k:
            raise fail(f"n_columns: {n_trees} trees are not whole iterations of {k}")
        if not math.isfinite(b.scale):
            raise fail(f"scale must be finite, is {b.scale}")
        regressor = b.link in (pb.BOOSTING_LINK_IDENTITY, pb.BOOSTING_LINK_EXP)
        has_classes = b.HasField("classes")
        if regressor:
            if has_classes:
                raise fail("classes: the regressor links IDENTITY and EXP take no classes")
            if b.decision != pb.BOOSTING_DECISION_UNSPECIFIED:
                raise fail("decision: a regressor has no decision")
            if k != 1:
                raise fail(f"n_columns: a regressor has one raw column, not {k}")
        else:
            if not has_classes:
                raise fail("classes: a classifier link needs classes")
            if b.decision == pb.BOOSTING_DECISION_UNSPECIFIED:
                raise fail("decision: a classifier needs a decision")
            labels = list(getattr(b.classes, b.classes.WhichOneof("kind")).values)
            m = len(labels)
            if b.link in (pb.BOOSTING_LINK_LOGISTIC, pb.BOOSTING_LINK_HALF_LOGISTIC):
                if m != 2 or k != 1:
                    raise fail(f"classes: {m} classes and {k} columns; the link needs 2 and 1")
            elif m < 2 or k != m:
                raise fail(f"classes: {m} classes and {k} columns; the link needs one per class")
            if len(set(labels)) != m:
                raise fail("classes: repeated class labels")
        if bool(b.baseline) == b.HasField("init"):
            raise fail("baseline: exactly one of baseline and init must be present")
        if b.baseline:
            shape = self.tensor(b.baseline, where, (pb.DTYPE_F64,), (1,))
            if shape != (k,):
                raise fail(f"baseline has shape {list(shape)}, expected [{k}] (n_columns)")
            if self.data is not None:
                baseline = self.data(b.baseline)
                if not np.isfinite(baseline).all():
                    raise fail("baseline must be finite")
                self._raw_bound(b, k, n_trees, float(np.abs(baseline).max()), fail)
            return None
        self._raw_bound(b, k, n_trees, 0.0, fail)
        init = b.init
        link = b.init_link
        binary = link in _BINARY_INIT_LINKS
        fits = (
            regressor
            if link == pb.BOOSTING_INIT_LINK_PREDICT
            else (not regressor and (k == 1 if binary else k >= 2))
        )
        if not fits:
            raise fail(f"init_link {pb.BoostingInitLink.Name(link)} does not fit this model")
        if link != pb.BOOSTING_INIT_LINK_PREDICT and not 0.0 <= b.init_eps < 0.5:
            raise fail(f"init_eps must be in [0, 0.5), is {b.init_eps}")
        width = _schema.input_width(init)
        if width and width != est.n_features_in:
            raise ModelError(
                "E_MODEL",
                f"estimator {path}init/: n_features_in {width}, the boosting "
                f"model's is {est.n_features_in}",
            )
        self.estimator(init, depth + 1, f"{path}init/")
        columns = self._output_columns(
            init, PREDICT if link == pb.BOOSTING_INIT_LINK_PREDICT else PREDICT_PROBA
        )
        want = 1 if link == pb.BOOSTING_INIT_LINK_PREDICT else (2 if binary else k)
        if columns != want:
            method = "predict" if link == pb.BOOSTING_INIT_LINK_PREDICT else "predict_proba"
            got = "no such method" if columns is None else f"{columns} columns"
            raise ModelError(
                "E_MODEL",
                f"estimator {path}init/: cannot start the raw scores: its {method} has {got}, "
                f"the init link needs {want}",
            )
        return None

    def _raw_bound(self, b: pb.Boosting, k: int, n_trees: int, start: float, fail) -> None:
        """Boosting rule 4b: no raw score can overflow, |start| + |scale| * (T / K) * max |V|
        <= MAX_RAW_SCORE."""
        if self.data is None:
            return
        values = self.data(b.trees.values)
        top = float(np.abs(values).max()) if values.size else 0.0
        with np.errstate(over="ignore"):
            bound = start + abs(b.scale) * float(n_trees // k) * top
        if not bound <= MAX_RAW_SCORE:
            raise fail(
                f"scale: |baseline| + |scale| * {n_trees // k} trees * max |value| is {bound:g}, "
                f"above MAX_RAW_SCORE ({MAX_RAW_SCORE:g}): a raw score could overflow"
            )

    def _boosting_preprocessor(self, est: pb.Estimator, depth: int, path: str, fail) -> int:
        """Boosting rules 8-10 (spec/estimators.md): no init beside a preprocessor and no
        category values in the trees; it reads the model's input and transforms it into
        numbers. Returns its output width, the columns the trees read."""
        b = est.boosting
        pre = b.preprocessor
        pre_path = f"{path}preprocessor/"
        if b.HasField("init"):
            raise fail("preprocessor: a body with an init has no preprocessor")
        if b.trees.category_values:
            raise fail("trees.category_values: must be absent with a preprocessor")
        width = _schema.input_width(pre)
        if width != est.n_features_in:
            raise ModelError(
                "E_MODEL",
                f"estimator {pre_path}: n_features_in {width}, the boosting model's is "
                f"{est.n_features_in}",
            )
        out = self.estimator(pre, depth + 1, pre_path)
        if not _transforms(pre):
            raise ModelError("E_MODEL", f"estimator {pre_path}: a preprocessor must transform")
        if not out:
            raise ModelError(
                "E_MODEL", f"estimator {pre_path}: outputs no column for the trees to read"
            )
        kinds = output_kinds(pre, self.widths, pre_path)
        if _schema.STRING in kinds:
            j = kinds.index(_schema.STRING)
            raise ModelError(
                "E_MODEL",
                f"estimator {pre_path}: column {j} is string, and the next step reads "
                "numeric values there",
            )
        return int(out)

    def _output_columns(self, est: pb.Estimator, method: str) -> int | None:
        """Columns of what `est`'s `method` (PREDICT, PREDICT_PROBA or DECISION_FUNCTION)
        returns as one array of numbers, a 1-D output counting as one; None without that
        method, or when it gives strings (a classifier's predict) or one array per output (a
        multi-output classifier's predict_proba). Known from the body without running it."""
        body = est.WhichOneof("body")
        if body == "pipeline":
            last = _last_step(est)
            return None if last is None else self._output_columns(last, method)
        if body == "stacking":
            return self._stacking_columns(est, method)
        if body == "multiclass":
            return self._multiclass_columns(est, method)
        if body == "multi_output":
            return self._multi_output_columns(est, method)
        if body == "transformed_target":
            # the inverse keeps the regressor's width (rule 2)
            regressor = est.transformed_target.regressor
            return self._output_columns(regressor, PREDICT) if method == PREDICT else None
        if body == "threshold_classifier":
            # predict gives the estimator's labels; the other methods are the estimator's
            e = est.threshold_classifier.estimator
            if method != PREDICT:
                return self._output_columns(e, method) if _has_method(e, method) else None
            labels = _classes_of(e)
            return None if labels is None or labels.WhichOneof("kind") == "strings" else 1
        if _is_classifier(est):
            return self._classifier_columns(est, method)
        if body == "isolation_forest" and method == DECISION_FUNCTION:
            return 1
        if method != PREDICT:
            return None
        if body == "linear":
            coef = self.tensors[est.linear.coef].shape
            return 1 if len(coef) == 1 else int(coef[0])
        if body == "tree_ensemble":
            return int(self.tensors[est.tree_ensemble.values].shape[1])
        # a boosting regressor, IsolationForest's labels -1 and 1, a MEAN vote, a bagging or
        # AdaBoost regressor: [n]
        one = ("boosting", "isolation_forest", "voting", "bagging", "ada_boost")
        return 1 if body in one else None

    def _classifier_columns(self, est: pb.Estimator, method: str) -> int | None:
        """`_output_columns` of a Linear, TreeEnsemble, Boosting or Voting classifier."""
        body = est.WhichOneof("body")
        if body == "tree_ensemble" and len(est.tree_ensemble.classes) != 1:
            if method != PREDICT:
                return None  # predict_proba is a list of arrays, one per output
            kinds = {c.WhichOneof("kind") for c in est.tree_ensemble.classes}
            numeric = len(kinds) == 1 and "strings" not in kinds
            return int(self.tensors[est.tree_ensemble.values].shape[1]) if numeric else None
        labels = _classes_of(est)
        kind = labels.WhichOneof("kind")
        if method == PREDICT:
            return None if kind == "strings" else 1
        if method == PREDICT_PROBA:
            if body == "voting" and est.voting.rule != pb.VOTING_RULE_SOFT:
                return None  # hard voting has no predict_proba
            return len(getattr(labels, kind).values)
        if body == "linear":
            coef = self.tensors[est.linear.coef].shape
            return 1 if len(coef) == 1 else int(coef[0])
        if body in ("bagging", "ada_boost"):
            return _ensemble_decision_columns(self, est)
        return int(est.boosting.n_columns) if body == "boosting" else None

    def _stacking_columns(self, est: pb.Estimator, method: str) -> int | None:
        """`_output_columns` of a Stacking: a classifier's labels, else the final
        estimator's output (spec/estimators.md section 21)."""
        s = est.stacking
        if not s.HasField("classes"):
            return self._output_columns(s.final_estimator, method) if method == PREDICT else None
        if method == PREDICT:
            return None if s.classes.WhichOneof("kind") == "strings" else 1
        return self._output_columns(s.final_estimator, method)

    def isolation_forest(self, est: pb.Estimator, where: str) -> None:
        """spec/estimators.md, "IsolationForest": the trees' rules, a finite denominator
        >= 0 (0: one training sample) and a finite offset."""
        body = est.isolation_forest
        self.single_output_regression_trees(
            body.trees, est.n_features_in, f"{where}: isolation_forest.trees"
        )
        if not (math.isfinite(body.denominator) and body.denominator >= 0.0):
            raise ModelError(
                "E_MODEL",
                f"{where}: isolation_forest.denominator must be finite and >= 0, is "
                f"{body.denominator}",
            )
        if not math.isfinite(body.offset):
            raise ModelError(
                "E_MODEL", f"{where}: isolation_forest.offset must be finite, is {body.offset}"
            )
        return None

    def feature_affine(self, est: pb.Estimator, where: str) -> int:
        """spec/estimators.md, "FeatureAffine", in the Rust reader's order: each of sub,
        div, mul, add (rule 1) f64 [n_features_in] and (rule 2) finite, div also > 0; then
        (rule 3) a clip range of two finite bounds with lo < hi."""
        a = est.feature_affine
        n = est.n_features_in
        for field in BODY_TENSOR_FIELDS["feature_affine"]:
            name = getattr(a, field)
            if not name:
                continue
            shape = self.tensor(name, where, (pb.DTYPE_F64,), (1,))
            if shape[0] != n:
                raise ModelError(
                    "E_MODEL",
                    f"{where}: feature_affine.{field} has shape {list(shape)}, expected [{n}]",
                )
            if self.data is not None:
                v = self.data(name)
                ok = np.isfinite(v) & (v > 0.0) if field == "div" else np.isfinite(v)
                if not ok.all():
                    need = "finite and > 0" if field == "div" else "finite"
                    raise ModelError("E_MODEL", f"{where}: feature_affine.{field} must be {need}")
        if a.HasField("clip"):
            lo, hi = a.clip.lo, a.clip.hi
            if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
                raise ModelError(
                    "E_MODEL",
                    f"{where}: feature_affine.clip [{lo}, {hi}] must be two finite bounds, lo < hi",
                )
        return n

    def _n_features(self, est: pb.Estimator, n: int, where: str) -> None:
        if est.n_features_in and est.n_features_in != n:
            raise ModelError(
                "E_MODEL", f"{where}: n_features_in {est.n_features_in} but the body has {n}"
            )

    def linear(self, est: pb.Estimator, where: str) -> None:
        lin = est.linear
        if not lin.coef:
            raise ModelError("E_MODEL", f"{where}: linear.coef is absent")
        coef = self.tensor(lin.coef, where, (pb.DTYPE_F64,), (1, 2))
        n_out = 1 if len(coef) == 1 else coef[0]
        if n_out < 1:
            raise ModelError("E_MODEL", f"{where}: a 2-D coef needs at least one row")
        self._n_features(est, coef[-1], where)
        if lin.intercept:
            icpt = self.tensor(lin.intercept, where, (pb.DTYPE_F64,), (0, 1))
            if (len(coef) == 1 and icpt != ()) or (len(coef) == 2 and icpt != (n_out,)):
                raise ModelError(
                    "E_MODEL", f"{where}: intercept shape {list(icpt)} for coef {list(coef)}"
                )
        if self.data is not None:
            # Rule 8 (a NaN or infinite coefficient times a sparse input's skipped zero).
            for field in ("coef", "intercept"):
                name = getattr(lin, field)
                if name and not np.isfinite(self.data(name)).all():
                    raise ModelError("E_MODEL", f"{where}: linear.{field} must be finite")
        if lin.link not in pb.LinearLink.values() or lin.link == pb.LINEAR_LINK_UNSPECIFIED:
            raise ModelError("E_MODEL", f"{where}: linear.link {lin.link} is not a known link")
        kind = lin.classes.WhichOneof("kind") if lin.HasField("classes") else None
        if lin.link == pb.LINEAR_LINK_IDENTITY:
            if kind is not None:
                raise ModelError("E_MODEL", f"{where}: a regression body has classes")
            return None
        if kind is None:
            raise ModelError("E_MODEL", f"{where}: a classifier body has no classes")
        labels = list(getattr(lin.classes, kind).values)
        if len(set(labels)) != len(labels):
            raise ModelError("E_MODEL", f"{where}: repeated class labels")
        if lin.link == pb.LINEAR_LINK_LOGISTIC:
            if len(labels) != 2 or n_out != 1:
                raise ModelError(
                    "E_MODEL",
                    f"{where}: a logistic body needs 2 classes and one score column, "
                    f"got {len(labels)} and {n_out}",
                )
        elif len(labels) < 2 or len(coef) != 2 or n_out != len(labels):
            raise ModelError(
                "E_MODEL",
                f"{where}: {len(labels)} classes need coef [{len(labels)}, n_features], "
                f"got {list(coef)}",
            )
        return None

    def scaler(self, est: pb.Estimator, where: str) -> int | None:
        s = est.standard_scaler
        widths = set()
        for field in ("mean", "scale", "var"):
            name = getattr(s, field)
            if name:
                widths.add(self.tensor(name, where, (pb.DTYPE_F64,), (1,))[0])
        if s.n_samples_seen:
            shape = self.tensor(s.n_samples_seen, where, (pb.DTYPE_I64, pb.DTYPE_F64), (0, 1))
            widths.update(shape)
        if len(widths) > 1:
            raise ModelError("E_MODEL", f"{where}: scaler tensors disagree on the feature count")
        if self.data is not None:
            if s.mean and not np.isfinite(self.data(s.mean)).all():
                raise ModelError("E_MODEL", f"{where}: standard_scaler.mean must be finite")
            scale = self.data(s.scale) if s.scale else np.ones(1)
            if not (np.isfinite(scale) & (scale > 0.0)).all():
                raise ModelError("E_MODEL", f"{where}: standard_scaler.scale must be finite, > 0")
        if est.n_features_in:
            self._n_features(est, next(iter(widths), est.n_features_in), where)
            return est.n_features_in
        return next(iter(widths), None)

    def tree_ensemble(self, t: pb.TreeEnsemble, n_features_in: int, where: str) -> None:
        """The TreeEnsemble rules, vectorised: O(nodes) numpy work, no loop per node.

        `where` names the message, e.g. "estimator <root>: tree_ensemble"."""

        def fail(message: str) -> ModelError:
            return ModelError("E_MODEL", f"{where}.{message}")

        shape = self.tensor(t.nodes, where, (pb.DTYPE_U8,), (2,))
        n_nodes = shape[0]
        if n_nodes < 1 or shape[1] != NODE_RECORD.itemsize:
            raise fail(f"nodes has shape {list(shape)}, expected [n_nodes >= 1, 16]")
        (n_offsets,) = self.tensor(t.tree_offsets, where, (pb.DTYPE_U64,), (1,))
        if n_offsets < 2:
            raise fail(f"tree_offsets has {n_offsets} entries, expected n_trees + 1 >= 2")
        n_rows, n_outputs, n_columns = self.tensor(t.values, where, (pb.DTYPE_F64,), (3,))
        if n_outputs < 1 or n_columns < 1:
            raise fail(f"values has shape {[n_rows, n_outputs, n_columns]}")
        if t.values_for_every_node and n_rows != n_nodes:
            raise fail(f"values has {n_rows} rows for {n_nodes} nodes (values_for_every_node)")
        if t.leaf_values == pb.LEAF_VALUES_REGRESSION:
            if len(t.classes):
                raise fail("classes: a regressor has no classes")
            if n_columns != 1:
                raise fail(f"values: a regressor has 1 column per output, not {n_columns}")
        else:
            if len(t.classes) != n_outputs:
                raise fail(f"classes: {len(t.classes)} lists of classes for {n_outputs} outputs")
            for o, labels in enumerate(t.classes):
                values = list(getattr(labels, labels.WhichOneof("kind")).values)
                if not 1 <= len(values) <= n_columns:
                    raise fail(f"classes: output {o} has {len(values)} classes, values {n_columns}")
                if len(set(values)) != len(values):
                    raise fail(f"classes: output {o} has repeated class labels")
        for field, dtype in (
            ("impurity", pb.DTYPE_F64),
            ("n_node_samples", pb.DTYPE_I64),
            ("weighted_n_node_samples", pb.DTYPE_F64),
            ("node_ids", pb.DTYPE_U32),
        ):
            name = getattr(t, field)
            if name and self.tensor(name, where, (dtype,), (1,)) != (n_nodes,):
                raise fail(f"{field} must have one entry per node ({n_nodes})")
        categorical = (t.categories, t.known_categories, t.categorical_features)
        if any(categorical) and not all(categorical):
            raise fail(
                "categories, known_categories and categorical_features: all present or all absent"
            )
        n_sets = 0
        if (t.category_values or t.category_value_offsets) and not (
            t.categories and t.category_values and t.category_value_offsets
        ):
            raise fail(
                "category_values and category_value_offsets: both present (with categories) "
                "or both absent"
            )
        if t.categories:
            n_sets, words = self.tensor(t.categories, where, (pb.DTYPE_U32,), (2,))
            n_known, known_words = self.tensor(t.known_categories, where, (pb.DTYPE_U32,), (2,))
            (n_cat,) = self.tensor(t.categorical_features, where, (pb.DTYPE_U32,), (1,))
            if words != 8 or known_words != 8 or n_known != n_cat or n_cat < 1:
                raise fail(
                    "categories/known_categories/categorical_features have shapes "
                    f"[{n_sets}, {words}], [{n_known}, {known_words}], [{n_cat}]: expected "
                    "[n_sets, 8], [n, 8], [n] with n >= 1"
                )
        if self.data is None:
            return None
        offsets = self.data(t.tree_offsets)
        if offsets[0] != 0 or offsets[-1] != n_nodes or np.any(offsets[1:] <= offsets[:-1]):
            raise fail(f"tree_offsets must rise strictly from 0 to n_nodes = {n_nodes}")
        sizes = np.diff(offsets).astype(np.int64)
        records = self.data(t.nodes).reshape(-1).view(NODE_RECORD)
        if not t.categories and _records_pass(
            records, offsets, n_rows, min(n_features_in, CATEGORICAL)
        ):
            self._after_records(t, records, offsets, n_rows, fail)
            return None
        word = records["feature"]
        nxt = records["next"].astype(np.int64)
        leaf = word == LEAF
        inner = ~leaf
        bad = np.flatnonzero(leaf & (nxt >= n_rows))
        if bad.size:
            raise fail(f"nodes: leaf record {bad[0]} points at row {nxt[bad[0]]} of {n_rows}")
        feature = word & FEATURE_BITS  # u32, below 2**30: so is the bound compared with
        bad = np.flatnonzero(inner & (feature >= min(n_features_in, CATEGORICAL)))
        if bad.size:
            raise fail(
                f"nodes: record {bad[0]} splits on feature {feature[bad[0]]}, "
                f"n_features_in is {n_features_in}"
            )
        is_cat = inner & ((word & CATEGORICAL) != 0)
        if t.categories:
            cat_features = self.data(t.categorical_features).astype(np.int64)
            if np.any(cat_features >= n_features_in) or np.any(
                cat_features[1:] <= cat_features[:-1]
            ):
                raise fail(
                    "categorical_features must rise strictly and stay below "
                    f"n_features_in {n_features_in}"
                )
            sets = records["threshold"].view("<u8")
            bad = np.flatnonzero(is_cat & (sets >= n_sets))
            if bad.size:
                raise fail(
                    f"nodes: categorical record {bad[0]} names set {sets[bad[0]]} of {n_sets}"
                )
            bad = np.flatnonzero(is_cat & ~np.isin(feature, cat_features))
            if bad.size:
                raise fail(
                    f"nodes: categorical record {bad[0]} splits on feature {feature[bad[0]]}, "
                    "not in categorical_features"
                )
            bad = np.flatnonzero(inner & ~is_cat & np.isin(feature, cat_features))
            if bad.size:
                raise fail(
                    f"nodes: record {bad[0]}: a numeric split on feature {feature[bad[0]]}, "
                    "which is categorical"
                )
            if t.category_values:
                self._category_values(t, len(cat_features), fail)
        elif is_cat.any():
            bad = np.flatnonzero(is_cat)
            raise fail(f"nodes: record {bad[0]} is a categorical split but there are no categories")
        left = np.arange(1, n_nodes + 1, dtype=np.int64)  # record i's left child, i + 1
        end = np.repeat(offsets[1:].astype(np.int64), sizes)
        bad = np.flatnonzero(inner & ((left >= end) | (nxt <= left) | (nxt >= end)))
        if bad.size:
            i = int(bad[0])
            raise fail(
                f"nodes: internal record {i} has children {i + 1} and {nxt[i]} outside "
                f"its tree's records ..{end[i]} (the left child is the next record, the right "
                "one comes after it)"
            )
        self._after_records(t, records, offsets, n_rows, fail)
        return None

    def _after_records(
        self, t: pb.TreeEnsemble, records: np.ndarray, offsets: np.ndarray, n_rows: int, fail
    ) -> None:
        """The rules that follow rule 6 of section 5.2: node_ids (rule 8), the leaves' rows
        (rule 7) and the values (rule 12)."""
        self._node_ids(t, offsets, fail)
        self._leaf_rows(t, records, offsets, n_rows, fail)
        self._values(t, fail)

    def _leaf_rows(
        self, t: pb.TreeEnsemble, records: np.ndarray, offsets: np.ndarray, n_rows: int, fail
    ) -> None:
        """Rule 7: a leaf's row is the one the layout prescribes. With values_for_every_node,
        its tree's first record plus its node id (node_ids, else its position in the tree);
        otherwise its rank among the leaf records, and `values` has one row per leaf."""
        leaf = records["feature"] == LEAF
        nxt = records["next"].astype(np.int64)
        if t.values_for_every_node:
            if t.node_ids:
                sizes = np.diff(offsets).astype(np.int64)
                start = np.repeat(offsets[:-1].astype(np.int64), sizes)
                want = start + self.data(t.node_ids).astype(np.int64)
            else:
                want = np.arange(nxt.shape[0], dtype=np.int64)
        else:
            want = np.cumsum(leaf, dtype=np.int64) - 1
        bad = np.flatnonzero(leaf & (nxt != want))
        if bad.size:
            i = int(bad[0])
            raise fail(
                f"nodes: leaf record {i} points at row {nxt[i]} of values; the layout "
                f"prescribes row {want[i]}"
            )
        n_leaves = int(np.count_nonzero(leaf))
        if not t.values_for_every_node and n_leaves != n_rows:
            raise fail(f"values holds leaves only: it needs {n_leaves} rows, not {n_rows}")

    def _values(self, t: pb.TreeEnsemble, fail) -> None:
        """Rule 12: every value finite; a classifier's >= 0, its padding columns 0."""
        values = self.data(t.values)
        if not np.isfinite(values).all():
            raise fail("values: an element is not finite")
        if t.leaf_values == pb.LEAF_VALUES_REGRESSION:
            return
        if np.any(values < 0.0):
            raise fail("values: a classifier's class weight is negative")
        for o, labels in enumerate(t.classes):
            m = len(getattr(labels, labels.WhichOneof("kind")).values)
            if np.any(values[:, o, m:] != 0.0):
                raise fail(f"values: output {o} has a non-zero padding column (past {m} classes)")

    def _node_ids(self, t: pb.TreeEnsemble, offsets: np.ndarray, fail) -> None:
        """Rule 8's node_ids: within each tree, a permutation of 0..its size, the first
        record's id 0."""
        if not t.node_ids:
            return
        ids = self.data(t.node_ids).astype(np.int64)
        sizes = np.diff(offsets).astype(np.int64)
        start = np.repeat(offsets[:-1].astype(np.int64), sizes)
        # scikit-learn traverses from node 0, this format from a tree's first record.
        if np.any(ids[offsets[:-1].astype(np.int64)] != 0):
            raise fail("node_ids: a tree's first record (its root) must have id 0")
        # In range, and no id twice within a tree.
        if np.any(ids >= np.repeat(sizes, sizes)):
            raise fail("node_ids: an id is not below its tree's size")
        seen = np.zeros(ids.shape[0], dtype=bool)
        seen[start + ids] = True
        if not seen.all():
            raise fail("node_ids: a tree's ids are not a permutation of 0..its size")

    def _category_values(self, t: pb.TreeEnsemble, m: int, fail) -> None:
        (n_values,) = self.tensor(t.category_values, "", (pb.DTYPE_F64,), (1,))
        shape = self.tensor(t.category_value_offsets, "", (pb.DTYPE_U64,), (1,))
        if shape != (m + 1,):
            raise fail(f"category_value_offsets has shape {list(shape)}, expected [{m + 1}]")
        values = self.data(t.category_values)
        offsets = self.data(t.category_value_offsets).astype(np.uint64)
        sizes = np.diff(offsets.astype(np.int64))
        if (
            offsets[0] != 0
            or offsets[-1] != n_values
            or np.any(offsets[1:] < offsets[:-1])
            or np.any(sizes < 1)
            or np.any(sizes > 256)
        ):
            raise fail(
                "category_value_offsets must start at 0, end at the number of values and give "
                "each feature 1 to 256 values"
            )
        if np.isnan(values).any():
            raise fail("category_values: NaN is not a category value")
        # The known codes are exactly 0 .. n_values of each feature (codes are positions).
        known = self.data(t.known_categories).reshape(-1, 8).astype(np.uint64)
        bits = np.arange(256, dtype=np.int64)
        want = (bits[None, :] < sizes[:, None]).reshape(-1, 8, 32)
        have = ((known[:, :, None] >> np.arange(32, dtype=np.uint64)) & 1).astype(bool)
        bad = np.flatnonzero(np.any(have != want, axis=(1, 2)))
        if bad.size:
            raise fail(
                f"known_categories: row {bad[0]} must hold exactly the codes 0..{sizes[bad[0]]} "
                "of its category values"
            )
        step = np.diff(values) > 0
        # Inside each feature (not across a boundary) the values rise strictly.
        inside = np.ones(max(n_values - 1, 0), dtype=bool)
        inside[offsets[1:-1].astype(np.int64) - 1] = False
        if np.any(inside & ~step):
            raise fail("category_values: each feature's values must rise strictly")

    def branches(self, est: pb.Estimator, depth: int, path: str) -> int:
        """ColumnTransformer and FeatureUnion rules 1-5 (spec/estimators.md)."""
        union = est.WhichOneof("body") == "feature_union"
        field = "feature_union.members" if union else "column_transformer.branches"
        n = int(est.n_features_in)
        names: set[str] = set()
        n_out = 0
        for i, b in enumerate(_branches(est)):
            here = f"estimator {path or '<root>'}: {field}[{i}]"
            if not b.name or b.name in names:
                raise ModelError("E_MODEL", f"{here}: branch name {b.name!r} is empty or repeated")
            names.add(b.name)
            if union and b.columns:
                raise ModelError(
                    "E_MODEL", f"{here}.columns: a FeatureUnion member reads every column"
                )
            bad = [c for c in b.columns if c >= n]
            if bad:
                raise ModelError(
                    "E_MODEL", f"{here}.columns: column {bad[0]} is not below n_features_in {n}"
                )
            width = n if union else len(b.columns)
            if b.drop and b.HasField("estimator"):
                raise ModelError("E_MODEL", f"{here}: a dropped branch has no estimator")
            if b.drop and b.HasField("weight"):
                raise ModelError("E_MODEL", f"{here}: a dropped branch has no weight")
            out = 0 if b.drop else width
            if b.HasField("estimator"):
                child = b.estimator
                got = self.estimator(child, depth + 1, f"{path}{b.name}/")
                if not _transforms(child):
                    raise ModelError("E_MODEL", f"{here}.estimator: must transform")
                if _schema.input_width(child) != width:
                    raise ModelError(
                        "E_MODEL",
                        f"{here}.estimator.n_features_in: is {_schema.input_width(child)}, and the "
                        f"branch reads {width} columns",
                    )
                out = got or 0
                if b.HasField("weight") and any(
                    k != _schema.NUMERIC
                    for k in output_kinds(child, self.widths, f"{path}{b.name}/")
                ):
                    raise ModelError(
                        "E_MODEL", f"{here}.weight: a weighted branch must output numbers"
                    )
            if b.HasField("weight") and not math.isfinite(b.weight.value):
                raise ModelError("E_MODEL", f"{here}.weight: must be finite")
            n_out += out if width else 0
        _agree(_schema.branch_reads(est, self.widths, path, None), path, "branch")
        return n_out

    def voting(self, est: pb.Estimator, depth: int, path: str) -> int:
        """Voting rules 1-7 (spec/estimators.md section 20). Returns the width of its
        transform: one column per member that is not dropped (HARD, MEAN), or n_classes per
        member (SOFT; without flatten_transform that transform is [M, n, K], see
        `_transforms`)."""
        v = est.voting
        where = f"estimator {path or '<root>'}"

        def fail(message: str) -> ModelError:
            return ModelError("E_MODEL", f"{where}: voting.{message}")

        active = _active_members(v.members, fail)
        weighted = [m.HasField("weight") for m in v.members]
        if any(weighted) and not all(weighted):
            raise fail("members: every member has a weight or none does")
        for i, m in enumerate(v.members):
            if m.HasField("weight") and not math.isfinite(m.weight.value):
                raise fail(f"members[{i}].weight: must be finite, is {m.weight.value}")
        k = 0
        if v.rule == pb.VOTING_RULE_MEAN:
            if v.HasField("classes"):
                raise fail("classes: MEAN (a regressor) has no classes")
            if v.flatten_transform:
                raise fail("flatten_transform: must be false for MEAN")
        else:
            if not v.HasField("classes"):
                raise fail(f"classes: {pb.VotingRule.Name(v.rule)} needs classes")
            k = _n_classes(v.classes, fail)
        for i, m in active:
            here = f"{where}: voting.members[{i}].estimator"
            self._member(m, est, depth, path, here)
            self._voting_member(m.estimator, v.rule, k, here)
        if all(weighted) and v.rule != pb.VOTING_RULE_HARD:
            w = np.asarray([m.weight.value for _, m in active], dtype=np.float64)
            if float(np.sum(w)) == 0.0:
                raise fail(
                    "members: the weights of the members that are not dropped sum to 0 "
                    "(numpy's average divides by that sum)"
                )
        if _schema.kind_bearing(est):
            _agree(_schema.member_reads(est, self.widths, path), path, "member")
        return len(active) * k if v.rule == pb.VOTING_RULE_SOFT else len(active)

    def _member(self, m, est: pb.Estimator, depth: int, path: str, here: str) -> None:
        """A Voting or Stacking member that is not dropped: its own rules, and it reads the
        composition's whole input (section 20 rule 4, section 21 rule 2)."""
        self.estimator(m.estimator, depth + 1, f"{path}estimators/{m.name}/")
        width = _schema.input_width(m.estimator)
        n = int(est.n_features_in)
        if width != n:
            raise ModelError(
                "E_MODEL",
                f"{here}.n_features_in: is {width}, and the composition's is {n}: every "
                "member reads the whole input",
            )

    def _voting_member(self, member: pb.Estimator, rule: int, k: int, here: str) -> None:
        """Voting rule 5 for one member that is not dropped."""
        if rule == pb.VOTING_RULE_MEAN:
            if _is_classifier(member):
                raise ModelError(
                    "E_MODEL", f"{here}: is a classifier; MEAN averages regressors' predictions"
                )
            if not _is_regressor(member) or not self._one_number_per_row(member):
                raise ModelError(
                    "E_MODEL",
                    f"{here}: is not a regressor whose predict returns one number per row ([n]), "
                    "which MEAN averages",
                )
            return
        if not _has_index_classes(member, k):
            raise ModelError(
                "E_MODEL",
                f"{here}: must be a classifier whose classes are the class indices 0..{k - 1} "
                "(the composition fits its members on them)",
            )
        if rule == pb.VOTING_RULE_SOFT:
            columns = self._output_columns(member, PREDICT_PROBA)
            if columns != k:
                got = "no predict_proba" if columns is None else f"{columns} columns"
                raise ModelError(
                    "E_MODEL", f"{here}: SOFT needs predict_proba with {k} columns, it has {got}"
                )

    def _one_number_per_row(self, est: pb.Estimator) -> bool:
        """Whether the regressor `est`'s predict returns one number per row, shape [n] (not
        a Linear with a 2-D coef nor a TreeEnsemble with several outputs)."""
        body = est.WhichOneof("body")
        if body == "pipeline":
            last = _last_step(est)
            return last is not None and self._one_number_per_row(last)
        if body == "linear":
            return len(self.tensors[est.linear.coef].shape) == 1
        if body == "tree_ensemble":
            return int(self.tensors[est.tree_ensemble.values].shape[1]) == 1
        if body == "stacking":
            return self._one_number_per_row(est.stacking.final_estimator)
        if body == "transformed_target":
            return est.transformed_target.squeeze  # [n] exactly when fitted on a 1-D target
        return body in ("voting", "boosting", "bagging", "ada_boost")

    def stacking(self, est: pb.Estimator, depth: int, path: str) -> int:
        """Stacking rules 1-7 (spec/estimators.md section 21). Returns the width of its
        transform: the members' output widths w_m, plus n_features_in with passthrough."""
        s = est.stacking
        where = f"estimator {path or '<root>'}"

        def fail(message: str) -> ModelError:
            return ModelError("E_MODEL", f"{where}: stacking.{message}")

        active = _active_members(s.members, fail)
        for i, m in enumerate(s.members):
            if not m.HasField("estimator") and m.method != pb.STACK_METHOD_UNSPECIFIED:
                raise fail(f"members[{i}].method: a dropped member's method is UNSPECIFIED")
        k = _n_classes(s.classes, fail) if s.HasField("classes") else 0
        width = 0
        for i, m in active:
            here = f"{where}: stacking.members[{i}]"
            self._member(m, est, depth, path, f"{here}.estimator")
            width += self._stacked_width(m, k, here)
        # Members that read numbers only agree by construction; listing their kinds (one per
        # declared feature, which no tensor need back) could take any amount of memory.
        reads = _schema.member_reads(est, self.widths, path) if _schema.kind_bearing(est) else []
        _agree(reads, path, "stacking member")
        if s.passthrough:
            strings = [c for c, readers in enumerate(reads) if _schema.STRING in readers]
            if strings:
                raise fail(
                    f"passthrough: input column {strings[0]} is read as strings, and "
                    "passthrough gives every input column to the final estimator as a number"
                )
            width += int(est.n_features_in)
        self._final_estimator(s, width, k, depth, f"{path}final_estimator/", fail)
        return width

    def _stacked_width(self, m: pb.StackingMember, k: int, here: str) -> int:
        """Stacking rules 1, 3 and 4 for a member that is not dropped (`k` classes, 0 for a
        regressor): w_m, the columns its method adds to the final estimator's input."""
        method = STACK_METHODS.get(m.method)
        if method is None:
            raise ModelError(
                "E_MODEL",
                f"{here}.method: is UNSPECIFIED; a member is stacked with predict, "
                "predict_proba or decision_function",
            )
        if not k and (method != PREDICT or not _is_regressor(m.estimator)):
            raise ModelError(
                "E_MODEL",
                f"{here}: a regressor's member is a regressor stacked with predict (rule 4)",
            )
        if not _has_method(m.estimator, method):
            raise ModelError("E_MODEL", f"{here}.method: the member has no {method}")
        width = self.stacked_columns(m.estimator, method, k)
        if width is None:
            raise ModelError(
                "E_MODEL",
                f"{here}.method: the member's {method} does not give one array of numbers "
                "(string labels, or one array per output)",
            )
        return width

    def stacked_columns(self, member: pb.Estimator, method: str | None, k: int) -> int | None:
        """Stacking rule 3: w_m, the columns `member`'s `method` adds to the final
        estimator's input in a Stacking of `k` classes (0: a regressor), None when it gives
        no single array of numbers. The drop: a binary classifier's probabilities lose their
        first column."""
        columns = None if method is None else self._output_columns(member, method)
        if columns is not None and method == PREDICT_PROBA and k == 2:
            return columns - 1
        return columns

    def _final_estimator(
        self, s: pb.Stacking, width: int, k: int, depth: int, path: str, fail
    ) -> None:
        """Stacking rule 5: the final estimator reads the `width` numeric columns of the
        members' outputs (and the input), without names, has predict, and predicts the class
        indices (a classifier with `k` classes) or is a regressor."""
        final = s.final_estimator
        if final.feature_names_in:
            raise fail(
                "final_estimator.feature_names_in: must be empty (scikit-learn fits the final "
                "estimator on a numpy array)"
            )
        self.estimator(final, depth + 1, path)
        got = _schema.input_width(final)
        if got != width:
            also = " and the input" if s.passthrough else ""
            raise fail(
                f"final_estimator.n_features_in: is {got}, and the members' outputs{also} are "
                f"{width} columns"
            )
        kinds = _schema.input_kinds(final, self.widths, path, None)
        if _schema.STRING in kinds:
            raise fail(
                f"final_estimator: reads column {kinds.index(_schema.STRING)} as strings, and "
                "it is given numbers"
            )
        if not _has_method(final, PREDICT):
            raise fail("final_estimator: must have predict")
        if k and not _has_index_classes(final, k):
            raise fail(
                f"final_estimator: must be a classifier whose classes are the class indices "
                f"0..{k - 1} (scikit-learn fits it on _label_encoder.transform(y))"
            )
        if not k and not _is_regressor(final):
            raise fail("final_estimator: a regressor's final estimator is a regressor")

    def calibration(self, est: pb.Estimator, depth: int, path: str) -> None:
        """Calibration rules 1-4 (spec/estimators.md section 22). It has no transform."""
        c = est.calibration
        at = f"estimator {path or '<root>'}: calibration"

        def fail(message: str) -> ModelError:
            return ModelError("E_MODEL", f"{at}.{message}")

        k = _n_classes(c.classes, fail)
        if k < 2:
            raise fail("classes: a calibrated classifier has at least two classes")
        if not c.classifiers:
            raise fail("classifiers: there is at least one calibrated classifier")
        n = int(est.n_features_in)
        for i, cc in enumerate(c.classifiers):
            here = f"{at}.classifiers[{i}]"
            self.estimator(cc.estimator, depth + 1, f"{path}classifiers/{i}/")
            width = _schema.input_width(cc.estimator)
            if width != n:
                raise ModelError(
                    "E_MODEL",
                    f"{here}.estimator.n_features_in: is {width}, and the composition's is "
                    f"{n}: every calibrated classifier reads the whole input",
                )
            self._calibrated(cc, k, here)
        if _schema.kind_bearing(est):
            _agree(_schema.classifier_reads(est, self.widths, path), path, "calibrated classifier")

    def _calibrated(self, cc: pb.CalibratedClassifier, k: int, here: str) -> None:
        """Rules 2 (the response method) and 3 (class indices, columns, calibrators) of
        section 22 for one calibrated classifier of `k` classes, then rule 4."""

        def fail(field: str, message: str) -> ModelError:
            return ModelError("E_MODEL", f"{here}.{field}: {message}")

        method = CALIBRATION_RESPONSES[cc.response]  # known: pass 1
        if _classes_of(cc.estimator) is None:
            raise fail("estimator", "must be a classifier (scikit-learn reads its classes_)")
        if not _has_method(cc.estimator, method):
            raise fail("response", f"the estimator has no {method}")
        idx = [int(i) for i in cc.class_indices]
        if any(b <= a for a, b in zip(idx, idx[1:])) or any(i >= k for i in idx):
            raise fail("class_indices", f"must be strictly increasing and below {k}")
        if k == 2:
            if idx != [0, 1]:
                raise fail("class_indices", "must be [0, 1] for two classes")
            want, n_calibrators = (2 if method == PREDICT_PROBA else 1), 1
        else:
            want = n_calibrators = len(idx)
        columns = self._output_columns(cc.estimator, method)
        if columns != want:
            got = "no single array" if columns is None else f"{columns} column(s)"
            raise fail("response", f"the estimator's {method} gives {got}, and needs {want}")
        if len(cc.calibrators) != n_calibrators:
            raise fail(
                "calibrators",
                f"has {len(cc.calibrators)} entries, and needs {n_calibrators} (one per "
                "response column read)",
            )
        for j, cal in enumerate(cc.calibrators):
            self._calibrator(cal, f"{here}.calibrators[{j}]")

    def _calibrator(self, cal: pb.Calibrator, at: str) -> None:
        """Rule 4 of section 22: finite a and b; f64 [m] thresholds, m >= 1, finite, x
        strictly increasing (contents checked given the tensors' data)."""
        if cal.WhichOneof("kind") == "sigmoid":
            a, b = cal.sigmoid.a, cal.sigmoid.b
            if not (math.isfinite(a) and math.isfinite(b)):
                raise ModelError("E_MODEL", f"{at}.sigmoid: a and b must be finite, are {a}, {b}")
            return
        iso = cal.isotonic
        shapes = [
            self.tensor(getattr(iso, f), f"{at}.isotonic.{f}", (pb.DTYPE_F64,), (1,))
            for f in ("x_thresholds", "y_thresholds")
        ]
        if shapes[0][0] < 1 or shapes[0] != shapes[1]:
            raise ModelError(
                "E_MODEL",
                f"{at}.isotonic: x_thresholds and y_thresholds must both be f64 [m], m >= 1, "
                f"are {list(shapes[0])} and {list(shapes[1])}",
            )
        if self.data is None:
            return
        x, y = self.data(iso.x_thresholds), self.data(iso.y_thresholds)
        for f, v in (("x_thresholds", x), ("y_thresholds", y)):
            if not np.all(np.isfinite(v)):
                raise ModelError("E_MODEL", f"{at}.isotonic.{f}: every value must be finite")
        if not np.all(x[1:] > x[:-1]):
            raise ModelError("E_MODEL", f"{at}.isotonic.x_thresholds: must be strictly increasing")

    def multiclass(self, est: pb.Estimator, depth: int, path: str) -> None:
        """Multiclass rules 1-6 (spec/estimators.md section 23), in the Rust reader's order:
        the classes, the strategy's own fields, the member count, the threshold, each member,
        the members' column kinds. It has no transform."""
        m = est.multiclass
        at = f"estimator {path or '<root>'}: multiclass"

        def fail(message: str) -> ModelError:
            return ModelError("E_MODEL", f"{at}.{message}")

        kind = m.classes.WhichOneof("kind")  # set: pass 1
        labels = list(getattr(m.classes, kind).values)
        k = len(labels)
        if k < 2:
            raise fail("classes: a multiclass model has at least two classes")
        if m.multilabel and (kind != "ints" or labels != list(range(k))):
            raise fail("classes: a multilabel model's classes are the label indices 0..n_labels")
        if len(set(labels)) != k:
            raise fail("classes: repeated class labels")
        self._multiclass_fields(m, k, at, fail)
        want = multiclass_member_count(m, k)
        if len(m.members) != want:
            raise fail(
                f"members: has {len(m.members)} members, and this strategy over {k} classes "
                f"has {want}"
            )
        if not math.isfinite(m.threshold):
            raise fail(f"threshold: must be finite, is {m.threshold}")
        output_code = m.strategy == pb.MULTICLASS_STRATEGY_OUTPUT_CODE
        for i, member in enumerate(m.members):
            here = f"{at}.members[{i}]"
            self._multiclass_member(member, output_code, est, depth, f"{path}estimators/{i}/", here)
        if _schema.kind_bearing(est):
            _agree(_schema.multiclass_reads(est, self.widths, path), path, "multiclass member")

    def _multiclass_fields(self, m: pb.Multiclass, k: int, at: str, fail) -> None:
        """Rule 5: multilabel and ties of one-vs-rest only (which has ties), a code book of
        output codes only (which has one): f64 [n_classes, M], M >= 1, every entry finite."""
        ovr = m.strategy == pb.MULTICLASS_STRATEGY_ONE_VS_REST
        code = m.strategy == pb.MULTICLASS_STRATEGY_OUTPUT_CODE
        if not ovr:
            if m.multilabel:
                raise fail("multilabel: only a one-vs-rest model is multilabel")
            if m.ties != pb.MULTICLASS_TIES_UNSPECIFIED:
                raise fail("ties: only a one-vs-rest model has a tie rule")
        if not code and m.code_book:
            raise fail("code_book: only an output-code model has a code book")
        if ovr and m.ties == pb.MULTICLASS_TIES_UNSPECIFIED:
            raise fail("ties: a one-vs-rest model has a tie rule")
        if not code:
            return
        if not m.code_book:
            raise fail("code_book: an output-code model has a code book")
        info = self.tensors[m.code_book]
        if info.dtype != pb.DTYPE_F64:
            raise ModelError("E_MODEL", f"{at}.code_book: tensor {m.code_book!r} must be DTYPE_F64")
        shape = [int(d) for d in info.shape]
        if shape != [k, len(m.members)] or not m.members:
            raise fail(
                f"code_book: tensor {m.code_book!r} has shape {shape}, expected "
                f"[{k}, {len(m.members)}] with at least one column"
            )
        if self.data is not None and not np.all(np.isfinite(self.data(m.code_book))):
            raise fail("code_book: every entry must be finite")

    def _multiclass_member(
        self,
        member: pb.MulticlassMember,
        output_code: bool,
        est: pb.Estimator,
        depth: int,
        child: str,
        here: str,
    ) -> None:
        """Rule 3 for one member: a constant's label, or an estimator that reads the
        composition's input and gives the member's score, one number per row."""
        if member.score == pb.BINARY_SCORE_CONSTANT:  # pass 1: it has no estimator
            c = member.constant
            if not ((-1 if output_code else 0) <= c <= 1):
                raise ModelError(
                    "E_MODEL",
                    f"{here}.constant: is {c}, not a label this strategy fits its members on",
                )
            return
        e = member.estimator
        at = f"{here}.estimator"
        self.estimator(e, depth + 1, child)
        width = _schema.input_width(e)
        n = int(est.n_features_in)
        if width != n:
            raise ModelError(
                "E_MODEL",
                f"{at}.n_features_in: is {width}, and the composition reads {n} columns",
            )

        def bad(why: str) -> ModelError:
            return ModelError("E_MODEL", f"{at}: {why}")

        if member.score == pb.BINARY_SCORE_PREDICT:
            if not (
                _is_regressor(e)
                and self._one_number_per_row(e)
                and self._output_columns(e, PREDICT) == 1
            ):
                raise bad("a PREDICT member is a regressor whose predict is [n]")
            return
        labels = _classes_of(e)
        binary = labels is not None and len(getattr(labels, labels.WhichOneof("kind")).values) == 2
        if not (_has_index_classes(e, 2) or (output_code and binary)):
            raise bad(
                "a classifier member has two classes"
                if output_code
                else "a classifier member's classes are 0 and 1 (scikit-learn fits it on a 0/1 "
                "column)"
            )
        method = MULTICLASS_SCORES[member.score]
        width = 1 if method == DECISION_FUNCTION else 2
        name = "decision_function [n]" if width == 1 else "predict_proba [n, 2]"
        if not _has_method(e, method) or self._output_columns(e, method) != width:
            raise bad(f"the member's score needs its {name}")
        if self._output_columns(e, PREDICT) != 1:
            raise bad("a classifier member predicts numeric labels [n]")

    def _multiclass_columns(self, est: pb.Estimator, method: str) -> int | None:
        """`_output_columns` of a Multiclass: predict gives a label per row (numeric classes)
        or a multilabel indicator [n, L]; predict_proba [n, K]; decision_function [n] with one
        member (one-vs-one: two classes), else [n, K] (section 23, Methods)."""
        m = est.multiclass
        kind = m.classes.WhichOneof("kind")
        k = len(getattr(m.classes, kind).values)
        if method == PREDICT:
            if m.multilabel:
                return k
            return None if kind == "strings" else 1
        if not _multiclass_has(m, method):
            return None
        if method == PREDICT_PROBA:
            return k
        one = k == 2 if m.strategy == pb.MULTICLASS_STRATEGY_ONE_VS_ONE else len(m.members) == 1
        return 1 if one else k

    def multi_output(self, est: pb.Estimator, depth: int, path: str) -> None:
        """MultiOutput rules 1-5 (spec/estimators.md section 24), in the Rust reader's order:
        at least one member, a chain's order and chain method, each member (what it reads,
        then what it is), the members' column kinds. It has no transform."""
        m = est.multi_output
        at = f"estimator {path or '<root>'}: multi_output"

        def fail(message: str) -> ModelError:
            return ModelError("E_MODEL", f"{at}.{message}")

        if not m.members:
            raise fail("members: there is at least one member")
        chain = is_chain(m)
        _multi_output_chain(m, chain, fail)
        n = int(est.n_features_in)
        for i, member in enumerate(m.members):
            here = f"{at}.members[{i}]"
            child = f"{path}estimators/{i}/"
            self.estimator(member, depth + 1, child)
            width = n + i if chain else n  # a chain member also reads the earlier outputs
            got = _schema.input_width(member)
            if got != width:
                raise ModelError(
                    "E_MODEL",
                    f"{here}.n_features_in: is {got}, and the composition reads {width} columns",
                )
            self._multi_output_member(member, m, child, here)
        if not chain and _schema.kind_bearing(est):
            _agree(_schema.multi_output_reads(est, self.widths, path), path, "multi-output member")

    def _multi_output_member(
        self, e: pb.Estimator, m: pb.MultiOutput, child: str, here: str
    ) -> None:
        """Rules 3 (a chain member's input) and 4 (what a member is) of section 24."""

        def bad(why: str) -> ModelError:
            return ModelError("E_MODEL", f"{here}: {why}")

        if is_chain(m):
            if e.feature_names_in:
                raise bad("a chain member has no feature names (it is fitted on an array)")
            if _schema.STRING in _schema.input_kinds(e, self.widths, child, None):
                raise bad("a chain member reads numbers")
        if m.kind in (pb.MULTI_OUTPUT_KIND_REGRESSOR, pb.MULTI_OUTPUT_KIND_REGRESSOR_CHAIN):
            one = self._one_number_per_row(e) and self._output_columns(e, PREDICT) == 1
            if not (_is_regressor(e) and one):
                raise bad("a member is a regressor whose predict is [n]")
            return
        if m.kind == pb.MULTI_OUTPUT_KIND_CLASSIFIER:
            if _classes_of(e) is None:
                raise bad("a member is a classifier whose predict is [n]")
            return
        if _classes_of(e) is None or self._output_columns(e, PREDICT) != 1:
            raise bad("a chain member is a classifier with numeric labels, predict [n]")
        method = CHAIN_METHODS[m.chain_method]
        if method == PREDICT:
            return
        need, width, what = (
            (DECISION_FUNCTION, 1, "decision_function [n]")
            if method == DECISION_FUNCTION
            else (PREDICT_PROBA, 2, "predict_proba [n, 2]")
        )
        if not _has_method(e, need) or self._output_columns(e, need) != width:
            raise bad(f"the chain method needs every member's {what}")

    def _multi_output_columns(self, est: pb.Estimator, method: str) -> int | None:
        """`_output_columns` of a MultiOutput (section 24, Methods): predict [n, M] of numbers
        (not string labels); a chain's predict_proba and decision_function [n, M]; a
        MultiOutputClassifier's predict_proba one array per output, a single array only with
        one member."""
        m = est.multi_output
        k = len(m.members)
        if method == PREDICT:
            return k if multi_output_labels(m) in ("ints", "floats") else None
        if not _multi_output_has(m, method):
            return None
        if method == PREDICT_PROBA and not is_chain(m):
            return self._output_columns(m.members[0], method) if k == 1 else None
        width = 2 if method == PREDICT_PROBA else 1
        return k if all(self._output_columns(e, method) == width for e in m.members) else None

    def transformed_target(self, est: pb.Estimator, depth: int, path: str) -> None:
        """TransformedTarget rules 1-3 (spec/estimators.md section 26), in the Rust reader's
        order: the regressor (what it reads, then what it is), the transformer (an inverse,
        of the regressor's width), the squeeze. It has no transform."""
        t = est.transformed_target
        at = f"estimator {path or '<root>'}: transformed_target"
        regressor = t.regressor  # present: pass 1
        self.estimator(regressor, depth + 1, f"{path}regressor/")
        width, n = _schema.input_width(regressor), int(est.n_features_in)
        if width != n:
            raise ModelError(
                "E_MODEL",
                f"{at}.regressor.n_features_in: is {width}, and the composition reads {n} columns",
            )
        k = self._output_columns(regressor, PREDICT) if _is_regressor(regressor) else None
        if k is None:
            raise ModelError(
                "E_MODEL", f"{at}.regressor: the regressor is a regressor with a numeric predict"
            )
        transformer = t.transformer
        self.estimator(transformer, depth + 1, f"{path}transformer/")
        if not has_inverse(transformer):
            raise ModelError(
                "E_MODEL",
                f"{at}.transformer: the transformer has inverse_transform (a "
                "FunctionTransformer, a scaler, or a pipeline of them)",
            )
        width = _schema.input_width(transformer)
        if width != k:
            raise ModelError(
                "E_MODEL",
                f"{at}.transformer.n_features_in: is {width}, and the regressor predicts {k} "
                "values per row",
            )
        if t.squeeze and k != 1:
            raise ModelError(
                "E_MODEL", f"{at}.squeeze: a target of {k} columns is not squeezed to one"
            )

    def threshold_classifier(self, est: pb.Estimator, depth: int, path: str) -> None:
        """ThresholdClassifier rules 1-3 (spec/estimators.md section 27), in the Rust
        reader's order: the estimator (what it reads, two distinct classes, predict), its
        score method, the positive class and the threshold. It has no transform."""
        t = est.threshold_classifier
        at = f"estimator {path or '<root>'}: threshold_classifier"
        e = t.estimator  # present: pass 1
        self.estimator(e, depth + 1, f"{path}estimator/")
        width, n = _schema.input_width(e), int(est.n_features_in)
        if width != n:
            raise ModelError(
                "E_MODEL",
                f"{at}.estimator.n_features_in: is {width}, and the composition reads {n} columns",
            )
        labels = _classes_of(e)
        values = list(getattr(labels, labels.WhichOneof("kind")).values) if labels else []
        if len(values) != 2:
            raise ModelError(
                "E_MODEL", f"{at}.estimator: the estimator is a binary classifier (two classes)"
            )
        if values[0] == values[1]:
            raise ModelError("E_MODEL", f"{at}.estimator.classes: class {values[0]!r} is twice")
        if not _has_method(e, PREDICT):
            raise ModelError("E_MODEL", f"{at}.estimator: the estimator has predict")
        method = THRESHOLD_SCORES[t.score]  # known: pass 1
        columns = 2 if method == PREDICT_PROBA else 1
        if not _has_method(e, method) or self._output_columns(e, method) != columns:
            shape = "[n, 2]" if columns == 2 else "[n]"
            raise ModelError(
                "E_MODEL", f"{at}.estimator: the score needs the estimator's {method} {shape}"
            )
        if t.positive not in (0, 1):
            raise ModelError(
                "E_MODEL",
                f"{at}.positive: is {t.positive}, not a class index of a binary classifier",
            )
        if math.isnan(t.threshold):
            raise ModelError("E_MODEL", f"{at}.threshold: is NaN (no score is at or above it)")

    def _kinds_chain(self, prev, child: pb.Estimator, child_path: str, where: str, name: str):
        """Pipeline rule 6: a step's output kinds feed the next step (strings never reach a
        step that reads numbers); a passed-through column (ANY) feeds anything."""
        prev_path, prev_est = prev
        if not _transforms(prev_est):
            return
        given = output_kinds(prev_est, self.widths, prev_path)
        wanted = _schema.input_kinds(child, self.widths, child_path, None)
        if len(given) != len(wanted):
            raise ModelError(
                "E_MODEL",
                f"{where}: step {name!r} reads {len(wanted)} columns, the step before gives "
                f"{len(given)}",
            )
        for j, (g, w) in enumerate(zip(given, wanted)):
            fits = g == _schema.ANY or w in (_schema.ANY, _schema.UNUSED) or g == w
            if not fits:
                raise ModelError(
                    "E_MODEL",
                    f"{where}: step {name!r}: column {j} is {_schema.kind_name(g)}, and the "
                    f"step reads {_schema.kind_name(w)} values there",
                )

    def pipeline(self, est: pb.Estimator, depth: int, path: str) -> int | None:
        where = f"estimator {path or '<root>'}"
        steps = est.pipeline.steps
        if not steps:
            raise ModelError("E_MODEL", f"{where}: a pipeline has no steps")
        names: set[str] = set()
        width = est.n_features_in or None
        prev: tuple[str, pb.Estimator] | None = None
        for i, step in enumerate(steps):
            if not step.name or step.name in names:
                raise ModelError(
                    "E_MODEL", f"{where}: step {i} name {step.name!r} empty or repeated"
                )
            names.add(step.name)
            if not step.HasField("estimator"):
                continue
            child = step.estimator
            child_path = f"{path}steps/{step.name}/"
            child_width = _schema.input_width(child)
            if width is not None and child_width and child_width != width:
                raise ModelError(
                    "E_MODEL",
                    f"{where}: step {step.name!r} takes {child_width} features, "
                    f"the previous step gives {width}",
                )
            out = self.estimator(child, depth + 1, child_path)
            if prev is not None:
                self._kinds_chain(prev, child, child_path, where, step.name)
            prev = (child_path, child)
            last = i == len(steps) - 1
            if not last and not _transforms(child):
                raise ModelError(
                    "E_MODEL", f"{where}: step {step.name!r} is not last but does not transform"
                )
            width = out if out is not None else (child.n_features_in or None)
        return width


#: spec/estimators.md, Boosting rule 4b: the largest raw score a file may make possible.
MAX_RAW_SCORE = 1e300

_BINARY_INIT_LINKS = frozenset(
    (
        pb.BOOSTING_INIT_LINK_LOGIT,
        pb.BOOSTING_INIT_LINK_HALF_LOGIT,
        pb.BOOSTING_INIT_LINK_LOGIT_LOG1P,
        pb.BOOSTING_INIT_LINK_HALF_LOGIT_LOG1P,
    )
)


_KNOWN_NORMS = frozenset((pb.NORMALIZER_NORM_L1, pb.NORMALIZER_NORM_L2, pb.NORMALIZER_NORM_MAX))


def output_kinds(est: pb.Estimator, widths: dict[str, int | None], path: str) -> list[int]:
    """The kinds of a transformer's output columns (numbers unless a body says otherwise)."""
    body = est.WhichOneof("body")
    if body in _schema.OUTPUT_KINDS:
        return list(_schema.OUTPUT_KINDS[body](est, widths.get(path) or 0))
    if body == "pipeline":
        for s in reversed(est.pipeline.steps):
            if s.HasField("estimator"):
                return output_kinds(s.estimator, widths, f"{path}steps/{s.name}/")
        return [_schema.ANY] * int(est.n_features_in)
    if body in ("column_transformer", "feature_union"):
        out: list[int] = []
        union = body == "feature_union"
        for b in _branches(est):
            if not _schema.branch_active(est, b):
                continue
            if b.HasField("estimator"):
                out += output_kinds(b.estimator, widths, f"{path}{b.name}/")
            else:
                k = _schema.NUMERIC if b.HasField("weight") else _schema.ANY
                out += [k] * (int(est.n_features_in) if union else len(b.columns))
        return out
    return [_schema.NUMERIC] * (widths.get(path) or 0)


def _transforms(est: pb.Estimator) -> bool:
    """Whether `est` has a transform whose output is a table of columns (what a later step
    or a composition reads)."""
    body = est.WhichOneof("body")
    if body in ("column_transformer", "feature_union", "stacking"):
        return True
    if body == "voting":
        # Soft voting without flatten_transform transforms to [members, n, n_classes]: no
        # table of columns, so nothing can read it.
        v = est.voting
        return v.rule != pb.VOTING_RULE_SOFT or v.flatten_transform
    if body in (
        "standard_scaler",
        "feature_affine",
        "binarizer",
        "normalizer",
        "function_transformer",
        *_ENCODERS,
        *_IMPUTERS,
    ):
        return True
    if body == "pipeline":
        last = est.pipeline.steps[-1]
        return not last.HasField("estimator") or _transforms(last.estimator)
    return False


def _last_step(est: pb.Estimator) -> pb.Estimator | None:
    """A pipeline's last step, None when it is passthrough (or there is none)."""
    steps = est.pipeline.steps
    return steps[-1].estimator if steps and steps[-1].HasField("estimator") else None


#: Bodies with an inverse_transform (spec/estimators.md section 26, rule 2).
_INVERTIBLE = frozenset(("function_transformer", "standard_scaler", "feature_affine"))


def has_inverse(est: pb.Estimator) -> bool:
    """TransformedTarget rule 2: `est` is a FunctionTransformer, a StandardScaler, a
    FeatureAffine, or a pipeline whose every step that is not passthrough has an inverse."""
    body = est.WhichOneof("body")
    if body == "pipeline":
        return all(has_inverse(s.estimator) for s in est.pipeline.steps if s.HasField("estimator"))
    return body in _INVERTIBLE


def regressor_width(est: pb.Estimator, tensors: Mapping[str, pb.TensorInfo]) -> int | None:
    """The numbers per row of a regressor's predict (TransformedTarget rule 1); None when
    `est` is not a regressor or its predict does not give numbers. Its own rules are taken
    to hold."""
    if not _is_regressor(est):
        return None
    return _Checker(tensors, None)._output_columns(est, PREDICT)


#: The methods a Stacking member is stacked with, and a composition asks of its members.
PREDICT, PREDICT_PROBA, DECISION_FUNCTION = "predict", "predict_proba", "decision_function"
STACK_METHODS = {
    pb.STACK_METHOD_PREDICT: PREDICT,
    pb.STACK_METHOD_PREDICT_PROBA: PREDICT_PROBA,
    pb.STACK_METHOD_DECISION_FUNCTION: DECISION_FUNCTION,
}
#: Bodies that predict (spec/estimators.md section 8); a pipeline as its last step.
_PREDICTORS = frozenset(
    (
        "linear",
        "tree_ensemble",
        "boosting",
        "isolation_forest",
        "voting",
        "stacking",
        "calibration",
        "multiclass",
        "transformed_target",
        "threshold_classifier",
        "bagging",
        "ada_boost",
    )
)
#: What a ThresholdClassifier compares with its threshold (spec/estimators.md section 27).
THRESHOLD_SCORES = {
    pb.THRESHOLD_SCORE_PREDICT_PROBA: PREDICT_PROBA,
    pb.THRESHOLD_SCORE_DECISION_FUNCTION: DECISION_FUNCTION,
}
#: What a Calibration's calibrators read (spec/estimators.md section 22).
CALIBRATION_RESPONSES = {
    pb.CALIBRATION_RESPONSE_DECISION_FUNCTION: DECISION_FUNCTION,
    pb.CALIBRATION_RESPONSE_PREDICT_PROBA: PREDICT_PROBA,
}
#: The method a Multiclass member's score reads (spec/estimators.md section 23,
#: `_predict_binary`): its decision_function, column 1 of its predict_proba, or a regressor's
#: predict; a CONSTANT member has none.
MULTICLASS_SCORES = {
    pb.BINARY_SCORE_DECISION_FUNCTION: DECISION_FUNCTION,
    pb.BINARY_SCORE_PROBA: PREDICT_PROBA,
    pb.BINARY_SCORE_PREDICT: PREDICT,
}


def multiclass_member_count(m: pb.Multiclass, k: int) -> int:
    """Rule 2 of section 23: the members a strategy has over `k` classes (an output code's
    are its code book's columns, checked with it)."""
    if m.strategy == pb.MULTICLASS_STRATEGY_ONE_VS_REST:
        return 1 if k == 2 and not m.multilabel else k
    if m.strategy == pb.MULTICLASS_STRATEGY_ONE_VS_ONE:
        return k * (k - 1) // 2
    return len(m.members)


def _multiclass_has(m: pb.Multiclass, method: str) -> bool:
    """Whether a Multiclass offers `method` (section 23, Methods): predict always;
    one-vs-rest predict_proba or decision_function when every member with an estimator has
    it; one-vs-one decision_function; nothing else."""
    if method == PREDICT:
        return True
    if m.strategy == pb.MULTICLASS_STRATEGY_ONE_VS_ONE:
        return method == DECISION_FUNCTION
    if m.strategy != pb.MULTICLASS_STRATEGY_ONE_VS_REST:
        return False
    return all(_has_method(e, method) for e in _fitted_members(m))


#: What a chain member adds to the next members' input (spec/estimators.md section 24): the
#: method read, PREDICT_LOG_PROBA being the log of column 1 of predict_proba.
PREDICT_LOG_PROBA = "predict_log_proba"
CHAIN_METHODS = {
    pb.CHAIN_METHOD_PREDICT: PREDICT,
    pb.CHAIN_METHOD_PREDICT_PROBA: PREDICT_PROBA,
    pb.CHAIN_METHOD_PREDICT_LOG_PROBA: PREDICT_LOG_PROBA,
    pb.CHAIN_METHOD_DECISION_FUNCTION: DECISION_FUNCTION,
}
_CHAINS = frozenset((pb.MULTI_OUTPUT_KIND_CLASSIFIER_CHAIN, pb.MULTI_OUTPUT_KIND_REGRESSOR_CHAIN))
_KNOWN_MULTI_OUTPUT_KINDS = frozenset(
    v for v in pb.MultiOutputKind.values() if v != pb.MULTI_OUTPUT_KIND_UNSPECIFIED
)


def is_chain(m: pb.MultiOutput) -> bool:
    """Whether a MultiOutput body is a ClassifierChain's or a RegressorChain's."""
    return m.kind in _CHAINS


def multi_output_labels(m: pb.MultiOutput) -> str:
    """What a MultiOutput's predict holds (section 24, Methods), as `np.asarray` stacks its
    members' outputs: "ints", "floats" or "strings" when every member's classes are of that
    kind, "floats" when ints meet floats, and "mixed" (no predict) when strings meet
    numbers. A regressor's and a chain's outputs are floats."""
    if m.kind != pb.MULTI_OUTPUT_KIND_CLASSIFIER:
        return "floats"
    kinds = set()
    for e in m.members:
        labels = _classes_of(e)
        kinds.add("floats" if labels is None else labels.WhichOneof("kind"))
    if len(kinds) == 1:
        return kinds.pop()
    return "mixed" if "strings" in kinds else "floats"


def _multi_output_has(m: pb.MultiOutput, method: str) -> bool:
    """Whether a MultiOutput offers `method` (section 24, Methods), whatever its shape:
    predict unless its labels mix strings and numbers; a classifier's (or a classifier
    chain's) predict_proba when every member has it; a classifier chain's
    decision_function when every member has it (`_multi_output_columns` adds the chain's
    widths)."""
    if method == PREDICT:
        return multi_output_labels(m) != "mixed"
    members = list(m.members)
    if method == PREDICT_PROBA:
        classifier = m.kind in (
            pb.MULTI_OUTPUT_KIND_CLASSIFIER,
            pb.MULTI_OUTPUT_KIND_CLASSIFIER_CHAIN,
        )
        return classifier and all(_has_method(e, method) for e in members)
    if method == DECISION_FUNCTION:
        chain = m.kind == pb.MULTI_OUTPUT_KIND_CLASSIFIER_CHAIN
        return chain and all(_has_method(e, method) for e in members)
    return False


def _multi_output_chain(m: pb.MultiOutput, chain: bool, fail) -> None:
    """Rule 2 of section 24: a chain's order is a permutation of its members and it has a
    chain method (PREDICT for a regressor chain); the other kinds have neither."""
    if not chain:
        if m.order or m.chain_method != pb.CHAIN_METHOD_UNSPECIFIED:
            raise fail("order: only a chain has an order and a chain method")
        return
    k = len(m.members)
    seen: set[int] = set()
    for o in m.order:
        if o >= k or o in seen:
            raise fail(f"order: is not a permutation of 0..{k} (at {o})")
        seen.add(o)
    if len(m.order) != k:
        raise fail(f"order: has {len(m.order)} entries for {k} members")
    if m.chain_method == pb.CHAIN_METHOD_UNSPECIFIED:
        raise fail("chain_method: a chain has a chain method")
    if m.kind == pb.MULTI_OUTPUT_KIND_REGRESSOR_CHAIN and m.chain_method != pb.CHAIN_METHOD_PREDICT:
        raise fail("chain_method: a regressor chain's chain method is PREDICT")


def _active_members(members, fail) -> list:
    """Rule 1 of Voting and Stacking: member names are non-empty and distinct, and at least
    one member is not dropped. Returns (index, member) of those that are not dropped."""
    names: set[str] = set()
    for i, m in enumerate(members):
        if not m.name or m.name in names:
            raise fail(f"members[{i}]: member name {m.name!r} is empty or repeated")
        names.add(m.name)
    active = [(i, m) for i, m in enumerate(members) if m.HasField("estimator")]
    if not active:
        raise fail("members: every member is dropped; at least one must predict")
    return active


def _n_classes(labels: pb.Labels, fail) -> int:
    """A composition's classes: at least one, distinct (section 3 rule 7)."""
    values = list(getattr(labels, labels.WhichOneof("kind")).values)
    if not values:
        raise fail("classes: needs at least one class")
    if len(set(values)) != len(values):
        raise fail("classes: repeated class labels")
    return len(values)


def _has_method(est: pb.Estimator, method: str) -> bool:
    """Whether `est`'s body has `method` (PREDICT, PREDICT_PROBA, DECISION_FUNCTION;
    spec/estimators.md section 8), whatever its output's shape."""
    body = est.WhichOneof("body")
    if body == "pipeline":
        last = _last_step(est)
        return last is not None and _has_method(last, method)
    if body == "multi_output":
        return _multi_output_has(est.multi_output, method)
    if method == PREDICT:
        return body in _PREDICTORS
    if body == "threshold_classifier":
        # predict_proba and decision_function are its estimator's, delegated
        return _has_method(est.threshold_classifier.estimator, method)
    if body == "multiclass":
        return _multiclass_has(est.multiclass, method)
    if body == "stacking":
        s = est.stacking
        return s.HasField("classes") and _has_method(s.final_estimator, method)
    if body == "bagging" and method == DECISION_FUNCTION:
        return _bagging_has_decision(est.bagging)
    if method == PREDICT_PROBA:
        hard = body == "voting" and est.voting.rule == pb.VOTING_RULE_HARD
        return _is_classifier(est) and not hard
    return body == "isolation_forest" or (
        _is_classifier(est) and body in ("linear", "boosting", "ada_boost")
    )


def _has_index_classes(est: pb.Estimator, k: int) -> bool:
    """Whether `est` is a classifier whose classes are the integers 0 .. k - 1 in order (what
    the label-encoding compositions fit their members and final estimators on)."""
    labels = _classes_of(est)
    kind = labels.WhichOneof("kind") if labels is not None else None
    return kind == "ints" and list(labels.ints.values) == list(range(k))


def _is_regressor(est: pb.Estimator) -> bool:
    """Whether `est` is a regressor (spec/estimators.md section 20 rule 5, section 21 rule 4):
    a Linear, TreeEnsemble or Boosting without classes, a MEAN Voting, a Stacking without
    classes, or a pipeline whose last step is one."""
    body = est.WhichOneof("body")
    if body == "pipeline":
        last = _last_step(est)
        return last is not None and _is_regressor(last)
    if body == "linear":
        return est.linear.link == pb.LINEAR_LINK_IDENTITY
    if body == "tree_ensemble":
        return est.tree_ensemble.leaf_values == pb.LEAF_VALUES_REGRESSION
    if body == "voting":
        return est.voting.rule == pb.VOTING_RULE_MEAN
    if body in ("boosting", "stacking", "bagging", "ada_boost"):
        return not getattr(est, body).HasField("classes")
    if body == "multi_output":  # as the Rust reader's `is_regressor`
        return est.multi_output.kind in (
            pb.MULTI_OUTPUT_KIND_REGRESSOR,
            pb.MULTI_OUTPUT_KIND_REGRESSOR_CHAIN,
        )
    return body == "transformed_target"


def _is_classifier(est: pb.Estimator) -> bool:
    """Whether `est`'s body is a classifier's (it has classes), a pipeline's its last step's."""
    body = est.WhichOneof("body")
    if body == "pipeline":
        last = _last_step(est)
        return last is not None and _is_classifier(last)
    if body == "linear":
        return est.linear.link != pb.LINEAR_LINK_IDENTITY
    if body == "tree_ensemble":
        return est.tree_ensemble.leaf_values != pb.LEAF_VALUES_REGRESSION
    if body == "boosting":
        return est.boosting.HasField("classes")
    if body == "voting":
        return est.voting.rule != pb.VOTING_RULE_MEAN
    if body in ("stacking", "bagging", "ada_boost"):
        return getattr(est, body).HasField("classes")
    return body in ("calibration", "multiclass", "threshold_classifier")


def _classes_of(est: pb.Estimator) -> pb.Labels | None:
    """A classifier's one list of classes (spec/estimators.md section 20, rule 5): its
    body's (Linear, a TreeEnsemble with one output, Boosting, Voting, Stacking), a
    pipeline's last step's; None for anything else."""
    body = est.WhichOneof("body")
    if body == "pipeline":
        last = _last_step(est)
        return _classes_of(last) if last is not None else None
    if not _is_classifier(est):
        return None
    if body == "tree_ensemble":
        t = est.tree_ensemble
        return t.classes[0] if len(t.classes) == 1 else None
    if body == "multiclass" and est.multiclass.multilabel:
        return None  # predict returns a label indicator matrix, not classes
    if body == "threshold_classifier":
        return _classes_of(est.threshold_classifier.estimator)  # classes_ is delegated
    msg = getattr(est, body)
    return msg.classes if msg.HasField("classes") else None


def stack_widths(est: pb.Estimator, tensors: Mapping[str, pb.TensorInfo]) -> list[int | None]:
    """w_m of each member of a Stacking `est` that is not dropped, in body order (rule 3 of
    spec/estimators.md section 21; scikit-learn's `_n_feature_outs`), None where its method
    gives no single array of numbers. The members' own rules are taken to hold."""
    s = est.stacking
    k = len(getattr(s.classes, s.classes.WhichOneof("kind")).values) if s.HasField("classes") else 0
    checker = _Checker(tensors, None)
    return [
        checker.stacked_columns(m.estimator, STACK_METHODS.get(m.method), k)
        for m in s.members
        if m.HasField("estimator")
    ]


def stacking_transform(body: pb.Stacking, outputs: list[np.ndarray], x: np.ndarray) -> np.ndarray:
    """A Stacking's `transform` (spec/estimators.md section 21; scikit-learn's
    `_BaseStacking._concatenate_predictions`), from its body and `outputs`, the method of
    each member that is not dropped on `x`, in body order: the pieces side by side, a [n]
    output as one column, PREDICT_PROBA without its first column in a classifier of exactly
    two classes, then `x` with passthrough; i64 when every piece is, else f64 (an i64 to the
    nearest f64). The composition's only arithmetic: its other outputs are the final
    estimator's on this (`stacking_predict` maps a classifier's back to its labels)."""
    labels = body.classes
    binary = (
        body.HasField("classes") and len(getattr(labels, labels.WhichOneof("kind")).values) == 2
    )
    active = [m for m in body.members if m.HasField("estimator")]
    pieces = []
    for m, out in zip(active, outputs, strict=True):
        out = np.asarray(out)
        out = out.reshape(-1, 1) if out.ndim == 1 else out
        pieces.append(out[:, 1:] if binary and m.method == pb.STACK_METHOD_PREDICT_PROBA else out)
    if body.passthrough:
        pieces.append(np.asarray(x, dtype=np.float64))
    if all(p.dtype == np.int64 for p in pieces):
        return np.concatenate(pieces, axis=1)
    out = np.empty((len(pieces[0]), sum(p.shape[1] for p in pieces)), dtype=np.float64)
    at = 0
    for p in pieces:
        out[:, at : at + p.shape[1]] = p  # an int64 to the nearest float64, as numpy casts
        at += p.shape[1]
    return out


def stacking_predict(body: pb.Stacking, final: np.ndarray) -> np.ndarray:
    """A Stacking's `predict` from its final estimator's `final`: a classifier's classes at
    those indices (rule 5 makes them the class indices), a regressor's `final` itself."""
    if not body.HasField("classes"):
        return final
    labels = body.classes
    return np.asarray(list(getattr(labels, labels.WhichOneof("kind")).values))[final]


def string_columns(est: pb.Estimator, tensors: Mapping[str, pb.TensorInfo]) -> list[int]:
    """The input columns of a Voting or Stacking `est` that some member reads as strings
    (its members' bodies checked on the way, without tensor contents)."""
    checker = _Checker(tensors, None)
    for m in _members(est):
        if m.HasField("estimator"):
            checker.estimator(m.estimator, 2, f"estimators/{m.name}/")
    reads = _schema.member_reads(est, checker.widths, "")
    return [c for c, readers in enumerate(reads) if _schema.STRING in readers]


def validate(
    manifest: pb.Manifest,
    tensors: Mapping[str, pb.TensorInfo],
    data: TensorData | None = None,
    file_length: int | None = None,
) -> None:
    """Check 15 of spec/format.md: the estimator tree, depth first (and, given the file's
    length, the input schema's MAX_UNBACKED_FEATURES rule before the body rules).

    `data` gives a tensor's elements by name, for the rules that look inside tensors
    (TreeEnsemble node records); without it those rules are skipped.
    """
    if not manifest.HasField("estimator"):
        raise ModelError("E_MODEL", "the manifest has no estimator")
    # Three passes, as spec/format.md check 15 orders them, so that a file with several
    # defects gets the same code from every implementation.
    _structure(manifest.estimator, 1, "")
    # The end of pass 1: the input schema's kinds are enum values like the tree's.
    for j, c in enumerate(manifest.input.columns):
        if c.kind not in (_schema.NUMERIC, _schema.STRING, _schema.ANY, _schema.UNUSED):
            raise ModelError(
                "E_MODEL", f"input.columns[{j}].kind: {c.kind} is unspecified or unknown"
            )
    for name in tensor_refs(manifest.estimator):
        if name not in tensors:
            raise ModelError(
                "E_TENSOR_REF", f"the estimator refers to tensor {name!r}, not in the table"
            )
    if file_length is not None:
        _schema.check_limit(manifest, file_length)
    checker = _Checker(tensors, data)
    checker.estimator(manifest.estimator, 1, "")
    _schema.check(manifest, checker.widths)


def input_schema(
    manifest: pb.Manifest, tensors: Mapping[str, pb.TensorInfo]
) -> pb.InputSchema | None:
    """The schema a writer records for `manifest` (spec/format.md section 5): None when
    every input column is numeric. Runs the body rules (without tensor contents)."""
    checker = _Checker(tensors, None)
    checker.estimator(manifest.estimator, 1, "")
    return _schema.derive(manifest, checker.widths)


_KNOWN_LINKS = frozenset(v for v in pb.LinearLink.values() if v != pb.LINEAR_LINK_UNSPECIFIED)
_KNOWN_TREE_INPUTS = frozenset(v for v in pb.TreeInput.values() if v != pb.TREE_INPUT_UNSPECIFIED)
_KNOWN_LEAF_VALUES = frozenset(v for v in pb.LeafValues.values() if v != pb.LEAF_VALUES_UNSPECIFIED)
_KNOWN_BOOSTING_LINKS = frozenset(
    v for v in pb.BoostingLink.values() if v != pb.BOOSTING_LINK_UNSPECIFIED
)
_KNOWN_INIT_LINKS = frozenset(
    v for v in pb.BoostingInitLink.values() if v != pb.BOOSTING_INIT_LINK_UNSPECIFIED
)
_KNOWN_VOTING_RULES = frozenset(
    v for v in pb.VotingRule.values() if v != pb.VOTING_RULE_UNSPECIFIED
)
#: UNSPECIFIED included: a dropped member's method.
_KNOWNSTACK_METHODS = frozenset(pb.StackMethod.values())


def _value_structure(value: pb.Value, depth: int, where: str) -> None:
    if depth > MAX_DEPTH:
        raise ModelError("E_LIMIT", f"{where}: value nested deeper than MAX_DEPTH {MAX_DEPTH}")
    kind = value.WhichOneof("kind")
    if kind is None:
        raise ModelError("E_MODEL", f"{where}: value has no kind")
    if kind == "list_value":
        for item in value.list_value.items:
            _value_structure(item, depth + 1, where)
    elif kind == "dict_value":
        for pair in value.dict_value.entries:
            _value_structure(pair.key, depth + 1, where)
            _value_structure(pair.value, depth + 1, where)


def _structure(est: pb.Estimator, depth: int, path: str) -> None:
    """Pass 1 of check 15: depth limits, kinds and enum values set, bodies known."""
    where = f"estimator {path or '<root>'}"
    if depth > MAX_DEPTH:
        raise ModelError("E_LIMIT", f"{where}: nested deeper than MAX_DEPTH {MAX_DEPTH}")
    for group in (est.params, est.attributes):
        for p in group:
            _value_structure(p.value, 1, f"{where}, {p.name!r}")
    body = est.WhichOneof("body")
    if body is None:
        raise ModelError(
            "E_UNKNOWN_ESTIMATOR",
            f"{where} ({est.producer_type!r}) has no body this reader knows",
        )
    if body == "linear":
        lin = est.linear
        if lin.link not in _KNOWN_LINKS:
            raise ModelError("E_MODEL", f"{where}: linear.link {lin.link} is not a known link")
        if lin.HasField("classes") and lin.classes.WhichOneof("kind") is None:
            raise ModelError("E_MODEL", f"{where}: linear.classes has no kind")
        if not lin.coef:
            raise ModelError("E_MODEL", f"{where}: linear.coef is absent")
    elif body == "normalizer":
        if est.normalizer.norm not in _KNOWN_NORMS:
            raise ModelError(
                "E_MODEL", f"{where}: normalizer.norm {est.normalizer.norm} is not a known norm"
            )
    elif body in _ENCODERS:
        _encoder_structure(est, body, where)
    elif body == "tree_ensemble":
        _tree_structure(est.tree_ensemble, f"{where}: tree_ensemble")
    elif body in _IMPUTERS:
        _imputer_structure(est, body, where)
    elif body == "pipeline":
        for step in est.pipeline.steps:
            if step.HasField("estimator"):
                _structure(step.estimator, depth + 1, f"{path}steps/{step.name}/")
    elif body in ("column_transformer", "feature_union"):
        # Each branch's estimator, then its selection (a Value, provenance).
        for b in _branches(est):
            if b.HasField("estimator"):
                _structure(b.estimator, depth + 1, f"{path}{b.name}/")
            if b.HasField("selection"):
                _value_structure(b.selection, 1, f"{where}, branch {b.name!r} selection")
    elif body == "voting":
        v = est.voting
        if v.rule not in _KNOWN_VOTING_RULES:
            raise ModelError("E_MODEL", f"{where}: voting.rule {v.rule} is not known")
        if v.HasField("classes") and v.classes.WhichOneof("kind") is None:
            raise ModelError("E_MODEL", f"{where}: voting.classes has no kind")
        for m in v.members:
            if m.HasField("estimator"):
                _structure(m.estimator, depth + 1, f"{path}estimators/{m.name}/")
    elif body == "stacking":
        _stacking_structure(est.stacking, depth, path, where)
    elif body == "calibration":
        _calibration_structure(est.calibration, depth, path, where)
    elif body == "multiclass":
        _multiclass_structure(est.multiclass, depth, path, where)
    elif body == "multi_output":
        _multi_output_structure(est.multi_output, depth, path, where)
    elif body in ("transformed_target", "function_transformer", "threshold_classifier"):
        _target_structure(est, body, depth, path, where)
    elif body in ("bagging", "ada_boost"):
        _ensemble_structure(est, body, depth, path, where)
    elif body in ("boosting", "isolation_forest"):
        msg = getattr(est, body)
        if not msg.HasField("trees"):
            raise ModelError("E_MODEL", f"{where}: {body}.trees is absent")
        _tree_structure(msg.trees, f"{where}: {body}.trees")
        if body == "boosting":
            b = est.boosting
            if b.link not in _KNOWN_BOOSTING_LINKS:
                raise ModelError("E_MODEL", f"{where}: boosting.link {b.link} is not known")
            if b.decision not in pb.BoostingDecision.values():
                raise ModelError("E_MODEL", f"{where}: boosting.decision {b.decision} is not known")
            if b.raw_scores not in pb.BoostingRawScores.values():
                raise ModelError(
                    "E_MODEL", f"{where}: boosting.raw_scores {b.raw_scores} is not known"
                )
            if b.HasField("classes") and b.classes.WhichOneof("kind") is None:
                raise ModelError("E_MODEL", f"{where}: boosting.classes has no kind")
            if b.HasField("init"):
                if b.init_link not in _KNOWN_INIT_LINKS:
                    raise ModelError(
                        "E_MODEL", f"{where}: boosting.init_link {b.init_link} is not known"
                    )
                _structure(b.init, depth + 1, f"{path}init/")
            if b.HasField("preprocessor"):
                _structure(b.preprocessor, depth + 1, f"{path}preprocessor/")


def _stacking_structure(s: pb.Stacking, depth: int, path: str, where: str) -> None:
    """Pass 1 for a Stacking: its methods known, its classes of a kind, a final estimator;
    then its members' and its final estimator's structure."""
    for i, m in enumerate(s.members):
        if m.method not in _KNOWNSTACK_METHODS:
            raise ModelError(
                "E_MODEL", f"{where}: stacking.members[{i}].method {m.method} is not known"
            )
    if s.HasField("classes") and s.classes.WhichOneof("kind") is None:
        raise ModelError("E_MODEL", f"{where}: stacking.classes has no kind")
    if not s.HasField("final_estimator"):
        raise ModelError("E_MODEL", f"{where}: stacking.final_estimator is absent")
    for m in s.members:
        if m.HasField("estimator"):
            _structure(m.estimator, depth + 1, f"{path}estimators/{m.name}/")
    _structure(s.final_estimator, depth + 1, f"{path}final_estimator/")


def _calibration_structure(c: pb.Calibration, depth: int, path: str, where: str) -> None:
    """Pass 1 for a Calibration: classes of a kind, each classifier's estimator present, its
    response known and not UNSPECIFIED (rule 2), each calibrator sigmoid or isotonic; then
    the estimators' structure."""
    at = f"{where}: calibration"
    if not c.HasField("classes") or c.classes.WhichOneof("kind") is None:
        raise ModelError("E_MODEL", f"{at}.classes: a classifier has classes")
    for i, cc in enumerate(c.classifiers):
        here = f"{at}.classifiers[{i}]"
        if not cc.HasField("estimator"):
            raise ModelError("E_MODEL", f"{here}.estimator is absent")
        if cc.response not in CALIBRATION_RESPONSES:
            raise ModelError("E_MODEL", f"{here}.response: {cc.response} is unspecified or unknown")
        for j, cal in enumerate(cc.calibrators):
            kind = cal.WhichOneof("kind")
            if kind is None:
                raise ModelError(
                    "E_MODEL", f"{here}.calibrators[{j}]: a calibrator is sigmoid or isotonic"
                )
        _structure(cc.estimator, depth + 1, f"{path}classifiers/{i}/")


_KNOWN_MULTICLASS_STRATEGIES = frozenset(
    v for v in pb.MulticlassStrategy.values() if v != pb.MULTICLASS_STRATEGY_UNSPECIFIED
)


def _multiclass_structure(m: pb.Multiclass, depth: int, path: str, where: str) -> None:
    """Pass 1 for a Multiclass, in the Rust codec's order: the strategy known and not
    UNSPECIFIED (rule 2), the tie rule known, classes of a kind; then member after member,
    its score known and not UNSPECIFIED, an estimator exactly when it is not CONSTANT (a
    constant only on a CONSTANT member, rule 3), and the estimator's structure."""
    at = f"{where}: multiclass"
    if m.strategy not in _KNOWN_MULTICLASS_STRATEGIES:
        raise ModelError("E_MODEL", f"{at}.strategy: {m.strategy} is unspecified or unknown")
    if m.ties not in pb.MulticlassTies.values():
        raise ModelError("E_MODEL", f"{at}.ties: tie rule {m.ties} is unknown")
    if not m.HasField("classes") or m.classes.WhichOneof("kind") is None:
        raise ModelError("E_MODEL", f"{at}.classes: a classifier has classes")
    for i, member in enumerate(m.members):
        here = f"{at}.members[{i}]"
        constant = member.score == pb.BINARY_SCORE_CONSTANT
        if not constant and member.score not in MULTICLASS_SCORES:
            raise ModelError("E_MODEL", f"{here}.score: {member.score} is unspecified or unknown")
        has = member.HasField("estimator")
        if not constant and has and member.constant != 0:
            raise ModelError("E_MODEL", f"{here}.constant: only a CONSTANT member has a constant")
        if not constant and not has:
            raise ModelError(
                "E_MODEL", f"{here}.estimator: is absent, and only a CONSTANT member has none"
            )
        if constant and has:
            raise ModelError("E_MODEL", f"{here}.estimator: a CONSTANT member has no estimator")
        if has:
            _structure(member.estimator, depth + 1, f"{path}estimators/{i}/")


def _multi_output_structure(m: pb.MultiOutput, depth: int, path: str, where: str) -> None:
    """Pass 1 for a MultiOutput, in the Rust codec's order: the kind known and not
    UNSPECIFIED (rule 1), the chain method known (UNSPECIFIED is the non-chains'); then the
    members' structure."""
    at = f"{where}: multi_output"
    if m.kind not in _KNOWN_MULTI_OUTPUT_KINDS:
        raise ModelError("E_MODEL", f"{at}.kind: kind {m.kind} is unspecified or unknown")
    if m.chain_method not in pb.ChainMethod.values():
        raise ModelError("E_MODEL", f"{at}.chain_method: chain method {m.chain_method} is unknown")
    for i, e in enumerate(m.members):
        _structure(e, depth + 1, f"{path}estimators/{i}/")


# ---------------------------------------------------------------------------- Multiclass
#
# The arithmetic of section 23 from the body alone, given the members' outputs on the input:
# a second implementation of the spec beside scikit-learn's (sklearn/multiclass.py,
# sklearn/utils/multiclass.py `_ovr_decision_function`) and Rust's.


def _labels_of(body: pb.Multiclass) -> np.ndarray:
    return np.asarray(list(getattr(body.classes, body.classes.WhichOneof("kind")).values))


def multiclass_predict(
    body: pb.Multiclass,
    scores: np.ndarray,
    data: TensorData | None = None,
    labels: np.ndarray | None = None,
) -> np.ndarray:
    """`predict` from the members' scores S, f64 [n, M] (a CONSTANT member's column its
    constant); one-vs-one also needs its members' predict, `labels` [n, M]; an output code
    its code book (`data`)."""
    classes = _labels_of(body)
    s = np.asarray(scores, dtype=np.float64)
    if body.strategy == pb.MULTICLASS_STRATEGY_ONE_VS_ONE:
        y = multiclass_ovo_decision(body, labels, s)
        if len(classes) == 2:
            return classes[(y[:, 1] > body.threshold).astype(np.int64)]
        return classes[np.argmax(y, axis=1)]
    if body.strategy == pb.MULTICLASS_STRATEGY_OUTPUT_CODE:
        return classes[_nearest_code(s, data(body.code_book))]
    if body.multilabel:
        return (s > body.threshold).astype(np.int64)
    if s.shape[1] == 1:
        return classes[(s[:, 0] > body.threshold).astype(np.int64)]
    order = range(s.shape[1])
    if body.ties == pb.MULTICLASS_TIES_FIRST:
        order = reversed(order)
    maxima = np.full(len(s), -np.inf)
    winner = np.zeros(len(s), dtype=np.int64)
    for j in order:
        maxima = np.maximum(maxima, s[:, j])  # NaN when either is
        winner[maxima == s[:, j]] = j
    return classes[winner]


def _nearest_code(s: np.ndarray, book: np.ndarray) -> np.ndarray:
    """Per row, the first code word at the least squared distance, summed term by term."""
    best = np.zeros(len(s), dtype=np.int64)
    least = np.full(len(s), np.inf)
    for k in range(book.shape[0]):
        d = np.zeros(len(s))
        for j in range(book.shape[1]):
            d = d + (s[:, j] - book[k, j]) * (s[:, j] - book[k, j])
        closer = d < least
        best[closer], least[closer] = k, d[closer]
    return best


def multiclass_proba(body: pb.Multiclass, positive: np.ndarray) -> np.ndarray:
    """One-vs-rest `predict_proba` from `positive` [n, M], column 1 of each member's
    predict_proba: one member gives [1 - p, p]; unless multilabel, each row divided by its
    sum where that is not 0, the sum taken left to right (numpy_sum for a single row)."""
    y = np.array(positive, dtype=np.float64)
    if y.shape[1] == 1:
        y = np.concatenate([1.0 - y, y], axis=1)
    if body.multilabel:
        return y
    for i in range(len(y)):
        if len(y) == 1:
            d = np.sum(y[i])  # one contiguous row: numpy's pairwise sum (section 5.4)
        else:
            d = y[i, 0]
            for v in y[i, 1:]:
                d = d + v
        if d != 0:
            y[i] = y[i] / d
    return y


def multiclass_ovo_decision(
    body: pb.Multiclass, labels: np.ndarray, scores: np.ndarray
) -> np.ndarray:
    """One-vs-one `decision_function` [n, K] (`_ovr_decision_function`) from the pair
    members' predict `labels` and scores, both [n, M]: votes plus sums / (3 (|sums| + 1))."""
    k = len(_labels_of(body))
    n = len(scores)
    votes, sums = np.zeros((n, k)), np.zeros((n, k))
    m = 0
    for i in range(k):
        for j in range(i + 1, k):
            p, c = np.asarray(labels[:, m], dtype=np.float64), scores[:, m]
            sums[:, i] -= c
            sums[:, j] += c
            votes[p == 0, i] += 1
            votes[p == 1, j] += 1
            m += 1
    return votes + sums / (3 * (np.abs(sums) + 1))


# ---------------------------------------------------------------------------- Calibration
#
# The arithmetic of section 22 from the body alone, given each calibrated classifier's
# response (its estimator's decision_function or predict_proba on the input): a second
# implementation of the spec beside scikit-learn's (sklearn/calibration.py,
# sklearn/isotonic.py) and Rust's.


def calibration_proba(
    body: pb.Calibration, data: TensorData, responses: list[np.ndarray]
) -> np.ndarray:
    """`predict_proba`, f64 [n, K]: 0.0 plus each classifier's probabilities, classifier
    after classifier, divided by their count M."""
    k = len(getattr(body.classes, body.classes.WhichOneof("kind")).values)
    n = np.asarray(responses[0]).shape[0]
    total = np.zeros((n, k), dtype=np.float64)
    for c, r in zip(body.classifiers, responses, strict=True):
        total += _calibrated_proba(c, data, np.asarray(r, dtype=np.float64), k)
    return total / float(len(body.classifiers))


def calibration_predict(body: pb.Calibration, proba: np.ndarray) -> np.ndarray:
    """`predict`: the class of the first largest probability (NaN counts as the largest)."""
    labels = body.classes
    values = np.asarray(list(getattr(labels, labels.WhichOneof("kind")).values))
    return values[np.argmax(proba, axis=1)]


def _calibrated_proba(c: pb.CalibratedClassifier, data: TensorData, r: np.ndarray, k: int):
    """One classifier: each calibrator's values at its class's position (with two classes,
    column 1, the binary estimator's probabilities read in their column 1), then the
    complement (K = 2) or the row normalization, then values in (1, 1 + 1e-5] set to 1."""
    r = r.reshape(r.shape[0], -1)
    if k == 2 and c.response == pb.CALIBRATION_RESPONSE_PREDICT_PROBA:
        r = r[:, 1:]
    targets = [1] if k == 2 else [int(i) for i in c.class_indices]
    proba = np.zeros((r.shape[0], k), dtype=np.float64)
    for j, (cal, target) in enumerate(zip(c.calibrators, targets, strict=True)):
        proba[:, target] = _calibrate(cal, data, r[:, j])
    if k == 2:
        proba[:, 0] = 1.0 - proba[:, 1]
    else:
        d = np.sum(proba, axis=1)[:, np.newaxis]
        proba = np.divide(proba, d, out=np.full_like(proba, 1.0 / k), where=d != 0)
    proba[(proba > 1.0) & (proba <= 1.0 + 1e-5)] = 1.0
    return proba


def _calibrate(cal: pb.Calibrator, data: TensorData, t: np.ndarray) -> np.ndarray:
    """SIGMOID: expit(-(a t + b)) = 1 / (1 + exp(a t + b)). ISOTONIC: np.interp of t clipped
    to the thresholds; a value that is not finite is E_INPUT (scikit-learn's check_array)."""
    if cal.WhichOneof("kind") == "sigmoid":
        with np.errstate(over="ignore"):  # exp overflows to inf: the value is 0.0, as expit's
            return 1.0 / (1.0 + np.exp(cal.sigmoid.a * t + cal.sigmoid.b))
    if not np.all(np.isfinite(t)):
        raise AmberError(
            "E_INPUT",
            "an isotonic calibrator is given a value that is not finite (scikit-learn raises: "
            "Input contains NaN or infinity)",
        )
    x, y = data(cal.isotonic.x_thresholds), data(cal.isotonic.y_thresholds)
    return np.interp(np.clip(t, x[0], x[-1]), x, y)


# ---------------------------------------------------------------------------- Bagging, AdaBoost
#
# Sections 28 and 29: the rules, in the Rust reader's order, and the arithmetic from the body
# alone given the members' outputs: a second implementation of the spec beside
# scikit-learn's (sklearn/ensemble/_bagging.py, _weight_boosting.py) and Rust's.

_KNOWN_ADA_BOOST_ALGORITHMS = frozenset(pb.AdaBoostAlgorithm.values())


def _ensemble_structure(est: pb.Estimator, body: str, depth: int, path: str, where: str) -> None:
    """Pass 1 for a Bagging or an AdaBoost, in the Rust codec's order: classes of a kind, an
    AdaBoost's algorithm known (UNSPECIFIED is a regressor's); then member after member, a
    Bagging member's estimator present, and its structure."""
    msg = getattr(est, body)
    at = f"{where}: {body}"
    if msg.HasField("classes") and msg.classes.WhichOneof("kind") is None:
        raise ModelError("E_MODEL", f"{at}.classes: labels have no kind")
    if body == "ada_boost":
        if msg.algorithm not in _KNOWN_ADA_BOOST_ALGORITHMS:
            raise ModelError("E_MODEL", f"{at}.algorithm: algorithm {msg.algorithm} is unknown")
        for i, e in enumerate(msg.members):
            _structure(e, depth + 1, f"{path}estimators/{i}/")
        return
    for i, m in enumerate(msg.members):
        if not m.HasField("estimator"):
            raise ModelError("E_MODEL", f"{at}.members[{i}].estimator is absent")
        _structure(m.estimator, depth + 1, f"{path}estimators/{i}/")


def _labels_list(labels: pb.Labels | None) -> tuple[str | None, list]:
    if labels is None:
        return None, []
    kind = labels.WhichOneof("kind")
    return kind, list(getattr(labels, kind).values) if kind else []


def _array_member(c: _Checker, e: pb.Estimator, child: str, at: str) -> None:
    """Bagging rule 3 and AdaBoost rule 3: scikit-learn fits the members on the validated
    array of the input (and X[:, features]), so a member has no feature names and reads
    numbers (an estimator that is not kind-bearing reads numbers by construction)."""
    reads_strings = _schema.kind_bearing(e) and _schema.STRING in _schema.input_kinds(
        e, c.widths, child, None
    )
    if e.feature_names_in or reads_strings:
        raise ModelError(
            "E_MODEL",
            f"{at}: a member reads numbers without feature names (it is fitted on an array)",
        )


def _one_regressor_output(c: _Checker, e: pb.Estimator) -> bool:
    """A regressor whose predict is [n] (section 20, rule 5)."""
    return _is_regressor(e) and c._one_number_per_row(e) and c._output_columns(e, PREDICT) == 1


def _check_bagging(c: _Checker, est: pb.Estimator, depth: int, path: str) -> None:
    """Bagging rules 1-4 (spec/estimators.md section 28), in the Rust reader's order: at
    least one member, the classes; then member after member its features, its own rules,
    what it reads, what it is. It has no transform."""
    b = est.bagging
    at = f"estimator {path or '<root>'}: bagging"

    def fail(message: str) -> ModelError:
        return ModelError("E_MODEL", f"{at}.{message}")

    if not b.members:
        raise fail("members: there is at least one member")
    k = _n_classes(b.classes, fail) if b.HasField("classes") else 0
    n = int(est.n_features_in)
    for i, m in enumerate(b.members):
        here = f"{at}.members[{i}]"
        outside = [f for f in m.features if f >= n]
        if outside:
            raise fail(
                f"members[{i}].features: feature {outside[0]} is not below n_features_in {n}"
            )
        e, child = m.estimator, f"{path}estimators/{i}/"
        c.estimator(e, depth + 1, child)
        width = _schema.input_width(e)
        if width != len(m.features):
            raise fail(
                f"members[{i}].estimator.n_features_in: is {width}, and the member reads "
                f"{len(m.features)} columns"
            )
        _array_member(c, e, child, f"{here}.estimator")
        if not k:
            if not _one_regressor_output(c, e):
                raise fail(
                    f"members[{i}].estimator: a BaggingRegressor member is a regressor whose "
                    "predict is [n]"
                )
            continue
        kind, classes = _labels_list(_classes_of(e))
        indices = kind == "ints" and all(0 <= v < k for v in classes)
        if not indices or any(x >= y for x, y in zip(classes, classes[1:])):
            raise fail(
                f"members[{i}].estimator: a member's classes are increasing class indices "
                f"below {k} (scikit-learn fits the members on np.unique(y, "
                "return_inverse=True)'s indices)"
            )
        if _has_method(e, PREDICT_PROBA) and c._output_columns(e, PREDICT_PROBA) != len(classes):
            raise fail(
                f"members[{i}].estimator: a member's predict_proba has one column per class it has"
            )


def _bagging_has_decision(b: pb.Bagging) -> bool:
    """Whether a Bagging classifier has decision_function (section 28, Methods): every member
    has one and every class (its width is checked with the tensors, see
    `_ensemble_decision_columns`)."""
    if not b.HasField("classes"):
        return False
    k = len(_labels_list(b.classes)[1])
    return k > 0 and all(
        _has_method(m.estimator, DECISION_FUNCTION)
        and len(_labels_list(_classes_of(m.estimator))[1]) == k
        for m in b.members
    )


def _ensemble_decision_columns(c: _Checker, est: pb.Estimator) -> int | None:
    """decision_function's columns of a Bagging or AdaBoost classifier of K classes: 1 for
    two, else K; a Bagging's only when every member's decision_function has that width."""
    body = est.WhichOneof("body")
    k = len(_labels_list(getattr(est, body).classes)[1])
    width = 1 if k == 2 else k
    if body == "ada_boost":
        return width
    b = est.bagging
    if not _bagging_has_decision(b):
        return None
    ok = all(c._output_columns(m.estimator, DECISION_FUNCTION) == width for m in b.members)
    return width if ok else None


def _check_ada_boost(c: _Checker, est: pb.Estimator, depth: int, path: str) -> None:
    """AdaBoost rules 1-3 (spec/estimators.md section 29), in the Rust reader's order: at
    least one member, classes and algorithm, the weights; then member after member its own
    rules, what it reads, what it is. It has no transform."""
    a = est.ada_boost
    at = f"estimator {path or '<root>'}: ada_boost"

    def fail(message: str) -> ModelError:
        return ModelError("E_MODEL", f"{at}.{message}")

    if not a.members:
        raise fail("members: there is at least one member")
    has_classes = a.HasField("classes")
    has_algorithm = a.algorithm != pb.ADA_BOOST_ALGORITHM_UNSPECIFIED
    if has_classes != has_algorithm:
        raise fail("algorithm: a classifier has classes and an algorithm, a regressor neither")
    kind, classes = _labels_list(a.classes if has_classes else None)
    if has_classes:
        if len(classes) < 2:
            raise fail("classes: a classifier has at least two classes")
        if len(set(classes)) != len(classes):
            raise fail("classes: repeated class labels")
    k = len(classes)
    shape = c.tensor(a.weights, f"{at}.weights", (pb.DTYPE_F64,), (0, 1, 2, 3, 4, 5, 6, 7, 8))
    if len(shape) != 1 or shape[0] < len(a.members):
        raise fail(
            f"weights: tensor {a.weights!r} has shape {list(shape)}, expected [W] with W >= "
            f"{len(a.members)} members"
        )
    if c.data is not None and not np.all(np.isfinite(c.data(a.weights))):
        raise fail("weights: every weight must be finite")
    n = int(est.n_features_in)
    for i, e in enumerate(a.members):
        here = f"{at}.members[{i}]"
        child = f"{path}estimators/{i}/"
        c.estimator(e, depth + 1, child)
        width = _schema.input_width(e)
        if width != n:
            raise fail(
                f"members[{i}].n_features_in: is {width}, and the composition reads {n} columns"
            )
        _array_member(c, e, child, here)
        if not k:
            if not _one_regressor_output(c, e):
                raise fail(
                    f"members[{i}]: an AdaBoostRegressor member is a regressor whose predict is [n]"
                )
            continue
        if _labels_list(_classes_of(e)) != (kind, classes):
            raise fail(
                f"members[{i}]: an AdaBoostClassifier member is a classifier with the "
                "composition's classes (scikit-learn fits it on the same labels) whose predict "
                "is [n]"
            )
        samme_r = a.algorithm == pb.ADA_BOOST_ALGORITHM_SAMME_R
        if samme_r and not (
            _has_method(e, PREDICT_PROBA) and c._output_columns(e, PREDICT_PROBA) == k
        ):
            raise fail(f"members[{i}]: a SAMME.R member has predict_proba [n, {k}]")


def _classes_array(labels: pb.Labels) -> np.ndarray:
    return np.asarray(_labels_list(labels)[1])


def bagging_proba(body: pb.Bagging, outputs: list[np.ndarray]) -> np.ndarray:
    """A Bagging classifier's `predict_proba`, f64 [n, K], from each member's output on its
    columns `X[:, features]`: its predict_proba [n, k_m] (column j added into column
    `classes_m[j]`) or, for a member without one, its predict (class indices [n]: a vote);
    the sum, from zeros member after member, divided by the member count M."""
    k = len(_labels_list(body.classes)[1])
    n = np.asarray(outputs[0]).shape[0]
    total = np.zeros((n, k), dtype=np.float64)
    for m, out in zip(body.members, outputs, strict=True):
        out = np.asarray(out)
        if out.ndim == 2:
            for j, cls in enumerate(_labels_list(_classes_of(m.estimator))[1]):
                total[:, cls] += out[:, j]
        else:
            for i, cls in enumerate(out):
                total[i, cls] += 1.0
    return total / float(len(body.members))


def bagging_predict(body: pb.Bagging, proba: np.ndarray) -> np.ndarray:
    """A Bagging classifier's `predict`: the class of the first largest probability."""
    return _classes_array(body.classes)[np.argmax(proba, axis=1)]


def bagging_mean(body: pb.Bagging, outputs: list[np.ndarray]) -> np.ndarray:
    """`decision_function`, or a BaggingRegressor's `predict`: 0.0 plus each member's output,
    member after member, divided by M."""
    total = np.zeros_like(np.asarray(outputs[0], dtype=np.float64))
    for out in outputs:
        total = total + np.asarray(out, dtype=np.float64)
    return total / float(len(body.members))


def ada_boost_decision(
    body: pb.AdaBoost, weights: np.ndarray, outputs: list[np.ndarray]
) -> np.ndarray:
    """An AdaBoost classifier's `decision_function` from its members' outputs (SAMME: their
    predict; SAMME_R: their predict_proba) and `weights` [W]: the members' terms from zeros,
    member after member, divided by `numpy_sum(weights)`; two classes `-P[:, 0] + P[:, 1]`."""
    classes = _classes_array(body.classes)
    k = len(classes)
    n = np.asarray(outputs[0]).shape[0]
    pred = np.zeros((n, k), dtype=np.float64)
    for out, w in zip(outputs, weights):  # the first M weights
        if body.algorithm == pb.ADA_BOOST_ALGORITHM_SAMME:
            hit = np.asarray(out)[:, None] == classes[None, :]
            pred = pred + np.where(hit, w, -1 / (k - 1) * w)
        else:
            p = np.array(out, dtype=np.float64)
            p[p < np.finfo(np.float64).eps] = np.finfo(np.float64).eps
            log = np.log(p)
            s = np.array([np.sum(np.ascontiguousarray(r)) for r in log])  # pairwise per row
            pred = pred + (k - 1) * (log - (1.0 / k) * s[:, None])
    pred = pred / np.sum(weights)
    return -pred[:, 0] + pred[:, 1] if k == 2 else pred


def ada_boost_proba(body: pb.AdaBoost, decision: np.ndarray) -> np.ndarray:
    """An AdaBoost classifier's `predict_proba` from its decision: the softmax of
    `[-d / 2, d / 2]` (two classes) or `d / (K - 1)`, each row's exponentials summed left to
    right (SAMME, more than one row) or pairwise (SAMME_R, and a call with one row)."""
    k = len(_labels_list(body.classes)[1])
    d = np.asarray(decision, dtype=np.float64)
    v = np.stack([-d / 2, d / 2], axis=1) if k == 2 else d / (k - 1)
    e = np.exp(v - np.max(v, axis=1)[:, None])
    in_order = body.algorithm == pb.ADA_BOOST_ALGORITHM_SAMME and len(e) > 1
    out = np.empty_like(e)
    for i, row in enumerate(e):
        if in_order:
            t = row[0]
            for x in row[1:]:
                t = t + x
        else:
            t = np.sum(np.ascontiguousarray(row))
        out[i] = row / t
    return out


def ada_boost_predict(body: pb.AdaBoost, decision: np.ndarray) -> np.ndarray:
    """Two classes: `classes[1]` where the decision is > 0; else the first largest's class."""
    classes = _classes_array(body.classes)
    if len(classes) == 2:
        return classes[(np.asarray(decision) > 0).astype(np.int64)]
    return classes[np.argmax(decision, axis=1)]


def ada_boost_median(weights: np.ndarray, predictions: np.ndarray) -> np.ndarray:
    """An AdaBoostRegressor's `predict` from its members' predictions [n, M]: per row, the
    predictions sorted ascending (NaN last, equal ones in member order), the running sum of
    their weights, and the prediction where it first reaches half its total."""
    p = np.asarray(predictions, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)[: p.shape[1]]
    out = np.empty(p.shape[0], dtype=np.float64)
    for i, row in enumerate(p):
        order = np.argsort(row, kind="stable")
        cdf = np.cumsum(w[order])
        out[i] = row[order[int(np.argmax(cdf >= 0.5 * cdf[-1]))]]
    return out


def _missing_structure(m: pb.MissingValue, where: str) -> None:
    kind = m.WhichOneof("kind")
    if kind is None:
        raise ModelError("E_MODEL", f"{where}.missing_values has no kind")
    if kind == "number" and math.isnan(m.number):
        raise ModelError("E_MODEL", f"{where}.missing_values: a NaN number is the nan kind")


def _imputer_structure(est: pb.Estimator, body: str, where: str) -> None:
    """Pass 1 for the imputer bodies: what the Rust codec's conversion checks."""
    msg = getattr(est, body)
    at = f"{where}: {body}"
    _missing_structure(msg.missing_values, at)
    if body != "missing_indicator" and msg.HasField("indicator"):
        _missing_structure(msg.indicator.missing_values, f"{at}.indicator")
    if body == "simple_imputer":
        for j, fill in enumerate(msg.fills):
            if fill.WhichOneof("kind") is None:
                raise ModelError("E_MODEL", f"{at}.fills[{j}]: the fill has no kind")
    if body == "knn_imputer":
        if msg.weights not in _KNOWN_KNN_WEIGHTS:
            raise ModelError("E_MODEL", f"{at}.weights: {msg.weights} is not a known weighting")
        for field in ("fit_x", "mask_fit_x", "valid_mask"):
            if not getattr(msg, field):
                raise ModelError("E_MODEL", f"{at}.{field}: the tensor is absent")


_KNOWN_KNN_WEIGHTS = frozenset(v for v in pb.KnnWeights.values() if v != pb.KNN_WEIGHTS_UNSPECIFIED)


def _same_missing(a: pb.MissingValue, b: pb.MissingValue) -> bool:
    """The same value, a number bit for bit (a writer copies it; -0.0 is not 0.0); unknown
    fields either message carries are not part of the value (spec/format.md section 2)."""
    kind = a.WhichOneof("kind")
    if kind != b.WhichOneof("kind"):
        return False
    if kind == "number":
        return struct.pack("<d", a.number) == struct.pack("<d", b.number)
    if kind in ("integer", "text"):
        return getattr(a, kind) == getattr(b, kind)
    return True


def _check_indicator(
    c: _Checker, m: pb.MissingIndicator, n: int, where: str, parent: pb.MissingValue | None
) -> int:
    """MissingIndicator rules 2-3 (and rule 5/7 of the imputers for a nested one): the
    columns it outputs; returns their count."""
    if parent is not None:
        if not _same_missing(m.missing_values, parent):
            raise ModelError("E_MODEL", f"{where}.missing_values differs from the imputer's")
        if m.error_on_new:
            raise ModelError("E_MODEL", f"{where}.error_on_new: an imputer's indicator has none")
    if not m.features:
        return 0
    (k,) = c.tensor(m.features, where, (pb.DTYPE_I64,), (1,))
    if c.data is not None and k:
        f = c.data(m.features).astype(np.int64)
        if f[0] < 0 or f[-1] >= n or (k > 1 and not np.all(f[1:] > f[:-1])):
            raise ModelError(
                "E_MODEL",
                f"{where}.features must be strictly ascending column indices below {n}",
            )
    return k


def _check_simple_imputer(c: _Checker, est: pb.Estimator, where: str) -> int:
    s = est.simple_imputer
    n = est.n_features_in
    at = f"{where}: simple_imputer"
    if len(s.fills) != n:
        raise ModelError("E_MODEL", f"{at}.fills: {len(s.fills)} fills for {n} columns")
    kept = sum(
        1
        for f in s.fills
        if s.keep_nan_fills or f.WhichOneof("kind") != "number" or not math.isnan(f.number)
    )
    k = 0
    if s.HasField("indicator"):
        k = _check_indicator(c, s.indicator, n, f"{at}.indicator", s.missing_values)
    return kept + k


def _check_missing_indicator(c: _Checker, est: pb.Estimator, where: str) -> int:
    m = est.missing_indicator
    return _check_indicator(c, m, est.n_features_in, f"{where}: missing_indicator", None)


def _check_knn_imputer(c: _Checker, est: pb.Estimator, where: str) -> int:
    kb = est.knn_imputer
    n = est.n_features_in
    at = f"{where}: knn_imputer"
    if kb.missing_values.WhichOneof("kind") not in ("nan", "number", "integer"):
        raise ModelError("E_MODEL", f"{at}.missing_values must be nan, number or integer")
    if kb.n_neighbors < 1:
        raise ModelError("E_MODEL", f"{at}.n_neighbors must be at least 1")
    shape = c.tensor(kb.fit_x, at, (pb.DTYPE_F64,), (2,))
    if shape[1] != n or shape[0] < 1:
        raise ModelError(
            "E_MODEL", f"{at}.fit_x has shape {list(shape)}, expected [n_fit >= 1, {n}]"
        )
    if c.tensor(kb.mask_fit_x, at, (pb.DTYPE_BOOL,), (2,)) != shape:
        raise ModelError("E_MODEL", f"{at}.mask_fit_x must have fit_x's shape {list(shape)}")
    if c.tensor(kb.valid_mask, at, (pb.DTYPE_BOOL,), (1,)) != (n,):
        raise ModelError("E_MODEL", f"{at}.valid_mask must have shape [{n}]")
    if c.data is not None:
        _knn_data(c, kb, at)
    k = 0
    if kb.HasField("indicator"):
        k = _check_indicator(c, kb.indicator, n, f"{at}.indicator", kb.missing_values)
    if c.data is not None and int(np.count_nonzero(c.data(kb.valid_mask))) != kb.n_valid:
        raise ModelError("E_MODEL", f"{at}.n_valid is not valid_mask's count of true values")
    return (n if kb.keep_empty_features else int(kb.n_valid)) + k


def _knn_data(c: _Checker, kb: pb.KnnImputer, at: str) -> None:
    """KnnImputer rules 5 and 6: the masks are fit_x's, its present cells finite."""
    for field in ("mask_fit_x", "valid_mask"):
        if (np.asarray(c.data(getattr(kb, field))).view(np.uint8) > 1).any():
            raise ModelError("E_MODEL", f"{at}.{field}: a bool byte is neither 0 nor 1")
    x = c.data(kb.fit_x)
    kind = kb.missing_values.WhichOneof("kind")
    missing = np.isnan(x) if kind == "nan" else x == getattr(kb.missing_values, kind)
    if not np.array_equal(c.data(kb.mask_fit_x).astype(bool), missing):
        raise ModelError("E_MODEL", f"{at}.mask_fit_x is not fit_x's missing cells")
    if not np.array_equal(c.data(kb.valid_mask).astype(bool), ~missing.all(axis=0)):
        raise ModelError("E_MODEL", f"{at}.valid_mask is not fit_x's columns with a present cell")
    if not np.isfinite(x[~missing]).all():
        raise ModelError("E_MODEL", f"{at}.fit_x: a present cell is not finite")


_IMPUTERS = {
    "simple_imputer": _check_simple_imputer,
    "missing_indicator": _check_missing_indicator,
    "knn_imputer": _check_knn_imputer,
}


_KNOWN_FUNCTIONS = frozenset(
    v for v in pb.ElementwiseFunction.values() if v != pb.ELEMENTWISE_FUNCTION_UNSPECIFIED
)


def _target_structure(est: pb.Estimator, body: str, depth: int, path: str, where: str) -> None:
    """Pass 1 for a TransformedTarget (its regressor present, its structure, then its
    transformer's), a FunctionTransformer (both functions known and not UNSPECIFIED) and a
    ThresholdClassifier (its score known and not UNSPECIFIED, its estimator present), in
    the Rust codec's order."""
    at = f"{where}: {body}"
    msg = getattr(est, body)
    if body == "function_transformer":
        for field in ("func", "inverse_func"):
            if getattr(msg, field) not in _KNOWN_FUNCTIONS:
                raise ModelError(
                    "E_MODEL",
                    f"{at}.{field}: function {getattr(msg, field)} is unspecified or unknown",
                )
        return
    if body == "threshold_classifier" and msg.score not in THRESHOLD_SCORES:
        raise ModelError("E_MODEL", f"{at}.score: score {msg.score} is unspecified or unknown")
    fields = ("regressor", "transformer") if body == "transformed_target" else ("estimator",)
    for field in fields:
        if not msg.HasField(field):
            raise ModelError("E_MODEL", f"{at}.{field}: is absent")
        _structure(getattr(msg, field), depth + 1, f"{path}{field}/")


# ---------------------------------------------------------------------------- sections 25-27
#
# FunctionTransformer, TransformedTarget, ThresholdClassifier: their arithmetic from the body
# alone, given the nested estimators' outputs: a second implementation of the spec beside
# scikit-learn's and Rust's.

#: ElementwiseFunction -> the function of one f64 array (section 25's table), numpy's ufuncs.
ELEMENTWISE: dict[int, Callable[[np.ndarray], np.ndarray]] = {
    pb.ELEMENTWISE_FUNCTION_IDENTITY: lambda x: x,
    pb.ELEMENTWISE_FUNCTION_LOG: np.log,
    pb.ELEMENTWISE_FUNCTION_LOG1P: np.log1p,
    pb.ELEMENTWISE_FUNCTION_LOG2: np.log2,
    pb.ELEMENTWISE_FUNCTION_LOG10: np.log10,
    pb.ELEMENTWISE_FUNCTION_EXP: np.exp,
    pb.ELEMENTWISE_FUNCTION_EXPM1: np.expm1,
    pb.ELEMENTWISE_FUNCTION_EXP2: np.exp2,
    pb.ELEMENTWISE_FUNCTION_SQRT: np.sqrt,
    pb.ELEMENTWISE_FUNCTION_CBRT: np.cbrt,
    pb.ELEMENTWISE_FUNCTION_SQUARE: lambda x: x * x,
    pb.ELEMENTWISE_FUNCTION_RECIPROCAL: lambda x: 1.0 / x,
    pb.ELEMENTWISE_FUNCTION_NEGATIVE: lambda x: -x,
    pb.ELEMENTWISE_FUNCTION_ABSOLUTE: np.abs,
    pb.ELEMENTWISE_FUNCTION_SINH: np.sinh,
    pb.ELEMENTWISE_FUNCTION_ARCSINH: np.arcsinh,
}
#: The functions whose value section 25 states within its tolerance (C's libm), not exactly.
TRANSCENDENTAL = frozenset(
    (
        pb.ELEMENTWISE_FUNCTION_LOG,
        pb.ELEMENTWISE_FUNCTION_LOG1P,
        pb.ELEMENTWISE_FUNCTION_LOG2,
        pb.ELEMENTWISE_FUNCTION_LOG10,
        pb.ELEMENTWISE_FUNCTION_EXP,
        pb.ELEMENTWISE_FUNCTION_EXPM1,
        pb.ELEMENTWISE_FUNCTION_EXP2,
        pb.ELEMENTWISE_FUNCTION_CBRT,
        pb.ELEMENTWISE_FUNCTION_SINH,
        pb.ELEMENTWISE_FUNCTION_ARCSINH,
    )
)


def elementwise(f: int, x: np.ndarray, validate: bool = False) -> np.ndarray:
    """Section 25: `f` of every value of the f64 matrix `x`; with `validate`, E_INPUT at the
    first NaN or infinity in row-major order (scikit-learn's check_array raises)."""
    x = np.asarray(x, dtype=np.float64)
    if validate:
        bad = np.flatnonzero(~np.isfinite(x.reshape(-1)))
        if bad.size:
            row, col = divmod(int(bad[0]), x.shape[1] if x.ndim == 2 else 1)
            raise AmberError(
                "E_INPUT",
                f"input row {row}, column {col} is {x.reshape(-1)[bad[0]]}: a "
                "FunctionTransformer with validate=True refuses NaN and infinity",
            )
    with np.errstate(all="ignore"):
        return ELEMENTWISE[f](x)


def threshold_predict(
    body: pb.ThresholdClassifier, classes: np.ndarray, response: np.ndarray
) -> np.ndarray:
    """Section 27's predict from the estimator's `response` to the body's score method
    (predict_proba [n, 2] or decision_function [n]) and its `classes`: the positive class
    where the score is at or above the threshold (NaN: the other)."""
    r = np.asarray(response, dtype=np.float64)
    if body.score == pb.THRESHOLD_SCORE_PREDICT_PROBA:
        s = r[:, body.positive]
    else:
        s = r if body.positive == 1 else -1 * r
    picks = np.where(s >= body.threshold, body.positive, 1 - body.positive)
    return np.asarray(classes)[picks]


def _tree_structure(t: pb.TreeEnsemble, where: str) -> None:
    """Pass 1 for a TreeEnsemble message; `where` names it."""
    if t.input not in _KNOWN_TREE_INPUTS:
        raise ModelError("E_MODEL", f"{where}.input {t.input} is not known")
    if t.leaf_values not in _KNOWN_LEAF_VALUES:
        raise ModelError("E_MODEL", f"{where}.leaf_values {t.leaf_values} is not known")
    for o, labels in enumerate(t.classes):
        if labels.WhichOneof("kind") is None:
            raise ModelError("E_MODEL", f"{where}.classes[{o}] has no kind")
    for field in ("nodes", "tree_offsets", "values"):
        if not getattr(t, field):
            raise ModelError("E_MODEL", f"{where}.{field} is absent")


# ---------------------------------------------------------------------------- encoders
#
# spec/estimators.md, "Categories", "OneHotEncoder", "OrdinalEncoder".

_EXACT_INT = float(2**53)
#: Output dtypes of the encoder bodies (OneHotEncoder rule 5, OrdinalEncoder rule 6).
_ENCODER_OUTPUTS = {
    pb.DTYPE_F64: None,
    pb.DTYPE_F32: None,
    pb.DTYPE_I64: (-_EXACT_INT, _EXACT_INT),
    pb.DTYPE_I32: (-(2.0**31), 2.0**31 - 1),
}
#: Categories rule 3: the dtype of numeric categories and the values it holds.
_CATEGORY_RANGES = {
    pb.DTYPE_F64: None,
    pb.DTYPE_F32: None,
    pb.DTYPE_I64: (-_EXACT_INT, _EXACT_INT),
    pb.DTYPE_I32: (-(2.0**31), 2.0**31 - 1),
    pb.DTYPE_U8: (0.0, 255.0),
    pb.DTYPE_U32: (0.0, 2.0**32 - 1),
    pb.DTYPE_U64: (0.0, _EXACT_INT),
    pb.DTYPE_BOOL: (0.0, 1.0),
}


def _encoder_structure(est: pb.Estimator, body: str, where: str) -> None:
    """Pass 1 for an encoder body: enum values known, every column's categories present."""
    msg = getattr(est, body)
    if body != "target_encoder":
        unknowns = pb.OneHotUnknown if body == "one_hot_encoder" else pb.OrdinalUnknown
        if msg.unknown not in unknowns.values() or msg.unknown == 0:
            raise ModelError("E_MODEL", f"{where}: {body}.unknown {msg.unknown} is not known")
        if msg.dtype not in pb.DType.values() or msg.dtype == pb.DTYPE_UNSPECIFIED:
            raise ModelError("E_MODEL", f"{where}: {body}.dtype {msg.dtype} is not a known dtype")
    elif msg.HasField("classes") and msg.classes.WhichOneof("kind") is None:
        raise ModelError("E_MODEL", f"{where}: target_encoder.classes has no kind")
    for i, f in enumerate(msg.features):
        at = f"{where}: {body}.features[{i}].categories"
        if not f.HasField("categories"):
            raise ModelError("E_MODEL", f"{at} is absent")
        c = f.categories
        if c.kind not in (pb.CATEGORY_KIND_NUMERIC, pb.CATEGORY_KIND_STRING):
            raise ModelError("E_MODEL", f"{at}.kind {c.kind} is not a known category kind")
        if c.dtype not in pb.DType.values():
            raise ModelError("E_MODEL", f"{at}.dtype {c.dtype} is not a known dtype")


def _categories_rules(c: pb.Categories, at: str) -> int:
    """Categories rules 2-4; returns the number of categories."""
    n = len(c.numbers) + len(c.strings) + c.has_none + c.has_nan
    if n == 0:
        raise ModelError("E_MODEL", f"{at}: has no category")
    if c.kind == pb.CATEGORY_KIND_NUMERIC:
        if c.strings or c.has_none or c.str_width or c.numpy_strings:
            raise ModelError(
                "E_MODEL",
                f"{at}: numeric categories have no strings, has_none, str_width or numpy_strings",
            )
        v = np.asarray(c.numbers, dtype=np.float64)
        if v.size > 1 and not np.all(v[1:] > v[:-1]):
            raise ModelError("E_MODEL", f"{at}.numbers: not strictly ascending")
        if not np.all(np.isfinite(v)):
            raise ModelError("E_MODEL", f"{at}.numbers: holds a value that is not finite")
        if c.dtype == pb.DTYPE_UNSPECIFIED:
            raise ModelError("E_MODEL", f"{at}.dtype: numeric categories need a dtype")
        bounds = _CATEGORY_RANGES[c.dtype]
        fits = np.all(v.astype(np.float32) == v) if c.dtype == pb.DTYPE_F32 else True
        if bounds is not None:
            fits = np.all((v == np.trunc(v)) & (v >= bounds[0]) & (v <= bounds[1]))
            if c.has_nan:
                raise ModelError("E_MODEL", f"{at}.has_nan: integer categories cannot hold NaN")
        if not fits:
            raise ModelError(
                "E_MODEL", f"{at}.numbers: holds a value its dtype {c.dtype} cannot hold"
            )
        return n
    if c.numbers or c.dtype != pb.DTYPE_UNSPECIFIED:
        raise ModelError("E_MODEL", f"{at}: string categories have no numbers or dtype")
    if len(set(c.strings)) != len(c.strings):
        raise ModelError("E_MODEL", f"{at}.strings: a string is listed twice")
    if c.str_width:
        if c.has_none or c.has_nan or c.numpy_strings:
            raise ModelError(
                "E_MODEL",
                f"{at}: fixed-width (str_width > 0) categories are not objects: no None, NaN "
                "or numpy_strings",
            )
        if any(len(s) > c.str_width or s.endswith("\0") for s in c.strings):
            raise ModelError("E_MODEL", f"{at}.strings: a string is not a str{c.str_width} value")
    return n


def _infrequent_rule(infrequent, n: int, at: str) -> int:
    """The infrequent indices: strictly ascending, below n. Returns the grouped count."""
    prev = -1
    for j in infrequent:
        if j <= prev or j >= n:
            why = f"is not below {n}" if j >= n else "does not exceed the index before it"
            raise ModelError("E_MODEL", f"{at}.infrequent: {j} {why}")
        prev = j
    return n - len(infrequent) + (1 if len(infrequent) else 0)


def _encoder_columns(est: pb.Estimator, msg, body: str, where: str) -> None:
    if len(msg.features) != est.n_features_in:
        raise ModelError(
            "E_MODEL",
            f"{where}: {body}.features has {len(msg.features)} columns, n_features_in is "
            f"{est.n_features_in}",
        )
    if msg.dtype not in _ENCODER_OUTPUTS:
        raise ModelError("E_MODEL", f"{where}: {body}.dtype is not f64, f32, i64 or i32")


def _one_hot_rules(est: pb.Estimator, where: str) -> int:
    msg = est.one_hot_encoder
    _encoder_columns(est, msg, "one_hot_encoder", where)
    n_out = 0
    for i, f in enumerate(msg.features):
        at = f"{where}: one_hot_encoder.features[{i}]"
        n = _categories_rules(f.categories, f"{at}.categories")
        grouped = _infrequent_rule(f.infrequent, n, at)
        if f.HasField("drop") and f.drop >= grouped:
            raise ModelError(
                "E_MODEL", f"{at}.drop: {f.drop} is not below the column's {grouped} outputs"
            )
        n_out += grouped - f.HasField("drop")
    return n_out


def _integer_or_nan(v: float) -> bool:
    """NaN or an integer as scikit-learn has it (a Python int: no -0.0), |v| <= 2^53."""
    if math.isnan(v):
        return True
    whole = math.isfinite(v) and v == math.trunc(v) and abs(v) <= _EXACT_INT
    return whole and not (v == 0 and math.copysign(1.0, v) < 0)


def _ordinal_rules(est: pb.Estimator, where: str) -> int:
    msg = est.ordinal_encoder
    _encoder_columns(est, msg, "ordinal_encoder", where)
    for i, f in enumerate(msg.features):
        at = f"{where}: ordinal_encoder.features[{i}]"
        n = _categories_rules(f.categories, f"{at}.categories")
        _infrequent_rule(f.infrequent, n - f.categories.has_nan, at)
    value = msg.unknown == pb.ORDINAL_UNKNOWN_VALUE
    if value and not _integer_or_nan(msg.unknown_value):
        raise ModelError(
            "E_MODEL", f"{where}: ordinal_encoder.unknown_value is not an integer or NaN"
        )
    if not value and (msg.unknown_value != 0 or math.copysign(1, msg.unknown_value) < 0):
        raise ModelError(
            "E_MODEL",
            f"{where}: ordinal_encoder.unknown_value is set without ORDINAL_UNKNOWN_VALUE",
        )
    if not _integer_or_nan(msg.encoded_missing_value):
        raise ModelError(
            "E_MODEL", f"{where}: ordinal_encoder.encoded_missing_value is not an integer or NaN"
        )
    bounds = _ENCODER_OUTPUTS[msg.dtype]
    used = [("unknown_value", msg.unknown_value)] if value else []
    if any(f.categories.has_nan for f in msg.features):
        used.append(("encoded_missing_value", msg.encoded_missing_value))
    for name, v in used:
        if bounds is not None and not (bounds[0] <= v <= bounds[1]):
            raise ModelError(
                "E_MODEL", f"{where}: ordinal_encoder.{name} {v} is not a value of its dtype"
            )
    return est.n_features_in


def _target_rules(est: pb.Estimator, where: str) -> int:
    msg = est.target_encoder
    if len(msg.features) != est.n_features_in:
        raise ModelError(
            "E_MODEL",
            f"{where}: target_encoder.features has {len(msg.features)} columns, n_features_in "
            f"is {est.n_features_in}",
        )
    k = len(msg.target_mean)
    if k == 0 or not all(math.isfinite(v) for v in msg.target_mean):
        raise ModelError(
            "E_MODEL", f"{where}: target_encoder.target_mean must be at least one value, finite"
        )
    for i, f in enumerate(msg.features):
        at = f"{where}: target_encoder.features[{i}]"
        n = _categories_rules(f.categories, f"{at}.categories")
        if len(f.encodings) != n * k or not all(math.isfinite(v) for v in f.encodings):
            raise ModelError(
                "E_MODEL",
                f"{at}.encodings: {len(f.encodings)} values, and {n} categories of {k} "
                "outputs need as many finite ones",
            )
    return est.n_features_in * k


#: Encoder body -> its pass-3 rules (returns the output width).
_ENCODERS: dict[str, Callable[[pb.Estimator, str], int]] = {
    "one_hot_encoder": _one_hot_rules,
    "ordinal_encoder": _ordinal_rules,
    "target_encoder": _target_rules,
}
