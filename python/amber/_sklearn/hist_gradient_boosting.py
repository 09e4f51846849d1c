"""HistGradientBoostingClassifier/Regressor <-> the `Boosting` body.

What scikit-learn computes (sklearn/ensemble/_hist_gradient_boosting/gradient_boosting.py
`_raw_predict`/`_predict_iterations`, predictor.py, _predictor.pyx
`_predict_one_from_raw_data`, sklearn/_loss/link.py): raw scores start as `0.0 +
_baseline_prediction` (one column per tree of an iteration, `n_trees_per_iteration_`), every
`TreePredictor` of `_predictors[i][k]` adds its leaf's `value` (learning rate included) to
column k, iteration after iteration; the loss's link turns raw scores into predictions.

Layout (spec/estimators.md, "HistGradientBoosting"): the trees are one `TreeEnsemble` with
`TREE_INPUT_F64` (`x <= num_threshold` in float64, NaN to `missing_go_to_left`), tree t being
`_predictors[t // K][t % K]`; `scale` is 1. A TreePredictor's nodes are already in preorder
(grower.py `_fill_predictor_arrays`); `node_ids` is written only for a predictor that is not.
Categorical splits (bit 30) point at a row of `categories`, the predictors'
`raw_left_cat_bitsets` one after another; `known_categories`/`categorical_features` come
from `_bin_mapper.make_known_categories_bitsets()`.

Feature spaces. scikit-learn 1.3 feeds the raw columns to the trees, which cast a
categorical value to uint8. scikit-learn >= 1.4 fits a `_preprocessor` whenever some feature
is categorical: a ColumnTransformer whose OrdinalEncoder codes each categorical column (0..
n_categories - 1, unknown values and NaN -> NaN) and that puts the categorical columns first.
The trees then split on those positions and codes. The writer maps the positions back to
input columns (records name input columns) and writes the encoder's categories as
`category_values`, so that a reader codes values as the encoder does; categories that are
not numbers (strings from a pandas categorical dtype) cannot be, and are refused.

Rebuilding. Loading makes the object scikit-learn's fit would have made: `_predictors`
(TreePredictor objects with every node field), `_baseline_prediction`, `_loss` (from
`_get_loss`), `_bin_mapper`, `_n_features`, and on scikit-learn >= 1.4 `_preprocessor` (by
scikit-learn's own `_preprocess_X` on a small frame holding exactly the saved categories),
`_is_categorical_remapped`, `_feature_subsample_rng`; `n_iter_` is `len(_predictors)`.
Training statistics (`count`, `gain`, `bin_threshold`, `binned_left_cat_bitsets`, the values
of internal nodes) and the private state used only to continue training (`_bin_mapper`'s
fitted binning, random states) are kept unless `inference_only`.
"""

from __future__ import annotations

import inspect
import warnings
from typing import Any

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.ensemble._hist_gradient_boosting.binning import _BinMapper
from sklearn.ensemble._hist_gradient_boosting.common import PREDICTOR_RECORD_DTYPE
from sklearn.ensemble._hist_gradient_boosting.predictor import TreePredictor

from .._errors import AmberError, AmberWarning, ProvenanceError, UnsupportedError
from .._proto.amber.v1 import amber_pb2 as pb
from .._tree import CATEGORICAL, LEAF, NODE_RECORD
from ._common import (
    Bad,
    DecodeCtx,
    EncodeCtx,
    allow,
    array,
    boolean,
    build,
    decode_estimator,
    described,
    encode_estimator,
    encode_value,
    integer,
    mapping,
    optional,
    read_attributes,
    refuse,
    register,
    same,
    sequence,
    string,
    type_name,
)
from .linear import _classes, _labels
from .tree import _preorder

CLASSIFIER = "sklearn.ensemble.HistGradientBoostingClassifier"
REGRESSOR = "sklearn.ensemble.HistGradientBoostingRegressor"

#: A node record whose first 8 bytes are read as the u64 row of a categorical split's set.
_RECORD_BITS = np.dtype([("set", "<u8"), ("feature", "<u4"), ("next", "<u4")])
assert _RECORD_BITS.itemsize == NODE_RECORD.itemsize

#: The class name of each loss link -> the body's link.
_LINKS = {
    "IdentityLink": pb.BOOSTING_LINK_IDENTITY,
    "LogLink": pb.BOOSTING_LINK_EXP,
    "LogitLink": pb.BOOSTING_LINK_LOGISTIC,
    "MultinomialLogit": pb.BOOSTING_LINK_SOFTMAX,
}
#: The regressor's `loss` param that gives each link, when a file's producer is unknown.
_FALLBACK_LOSS = {pb.BOOSTING_LINK_IDENTITY: "squared_error", pb.BOOSTING_LINK_EXP: "poisson"}

# Private attributes the writer adds (split off before `build` sets the public ones).
_GAIN = "_predictors/gain"
_BIN_THRESHOLD = "_predictors/bin_threshold"
_BINNED_SETS = "_predictors/binned_left_cat_bitsets"
_BIN_MAPPER = "_bin_mapper/"
_CATEGORIES_DTYPE = "_preprocessor/categories_dtype"
_CONSTANT_HESSIAN = "_loss/constant_hessian"
_RNG_STATE = "_feature_subsample_rng/state"
#: Private attributes kept as they are (plain values), when the estimator has them.
_PLAIN_PRIVATE = ("_random_seed", "_use_validation_data", "_fitted_with_sw")
#: The fitted `_BinMapper` attributes predictions and a warm start read (binning.py).
_BIN_MAPPER_NEEDS = (
    "bin_thresholds_",
    "is_categorical_",
    "missing_values_bin_idx_",
    "n_bins_non_missing_",
    "n_bins",
)
#: `_BinMapper` attributes not saved: the thread count of the machine that fitted it.
_BIN_MAPPER_SKIP = ("n_threads",)


# ---------------------------------------------------------------------------- saving


def _predictors(est: Any) -> tuple[list[Any], int]:
    """Every TreePredictor, iteration after iteration, and K (trees per iteration)."""
    iterations = getattr(est, "_predictors", None)
    if not iterations:
        raise UnsupportedError(f"cannot save an unfitted {type_name(est)}")
    k = int(est.n_trees_per_iteration_)
    flat = []
    for i, trees in enumerate(iterations):
        if len(trees) != k:
            raise UnsupportedError(
                f"iteration {i} of this {type_name(est)} has {len(trees)} trees, "
                f"n_trees_per_iteration_ is {k}"
            )
        for t in trees:
            if type(t) is not TreePredictor or t.nodes.dtype != PREDICTOR_RECORD_DTYPE:
                raise UnsupportedError(f"{type_name(est)}._predictors holds a {type_name(t)}")
            flat.append(t)
    return flat, k


def _preprocessor_layout(
    est: Any,
) -> tuple[np.ndarray, list[np.ndarray] | None, list[str], Any]:
    """(perm, categories, dtypes, encoder): perm[j] is the input column of the trees' feature
    j; with a `_preprocessor` (scikit-learn >= 1.4) whose categories are all numbers, each
    categorical column's encoder categories (NaN removed) as float64, and their original
    dtypes. When some categorical feature's categories are not numbers (strings), the
    fitted OrdinalEncoder instead (the body keeps the preprocessor; the trees' features
    stay its output columns, perm the identity)."""
    n = int(est.n_features_in_)
    identity = np.arange(n, dtype=np.int64)
    pre = getattr(est, "_preprocessor", None)
    if pre is None:
        return identity, None, [], None
    is_cat, enc = _fitted_preprocessor(est, pre)
    if not all(_numbers(np.asarray(c)) for c in enc.categories_):
        return identity, None, [], enc
    cat_cols, num_cols = np.flatnonzero(is_cat), np.flatnonzero(~is_cat)
    categories, dtypes = [], []
    for j, cats in zip(cat_cols, enc.categories_):
        cats = np.asarray(cats)
        if cats.dtype.kind == "O":
            cats = cats.astype(np.float64)
        dtypes.append(cats.dtype.str)
        values = cats.astype(np.float64)
        if values.size and np.isnan(values[-1]):
            values = values[:-1]  # the encoder lists NaN last; it is the missing value
        if not values.size:
            raise UnsupportedError(
                f"categorical feature {_feature_name(est, j)} has no category (it was missing "
                "in every training row): an Amber feature needs 1 to 256 categories"
            )
        if np.any(values.astype(cats.dtype) != cats[: values.size]) or np.any(np.diff(values) <= 0):
            raise UnsupportedError(
                f"categorical feature {_feature_name(est, j)}: its categories are not exactly "
                "float64 numbers in increasing order"
            )
        categories.append(values)
    return np.concatenate([cat_cols, num_cols]).astype(np.int64), categories, dtypes, None


def _numbers(cats: np.ndarray) -> bool:
    """Whether an encoder's categories are numbers (NaN included) that float64 holds."""
    if cats.dtype.kind in "iuf":
        return True
    if cats.dtype.kind != "O":
        return False
    return all(
        isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
        for v in cats.tolist()
    )


def _fitted_preprocessor(est: Any, pre: Any) -> tuple[np.ndarray, Any]:
    """(is_categorical_, the OrdinalEncoder) of the `_preprocessor` fit makes, refusing any
    other."""
    n = int(est.n_features_in_)
    is_cat = np.asarray(est.is_categorical_, dtype=bool)
    expected = [("encoder", is_cat), ("numerical", ~is_cat)]
    transformers = getattr(pre, "transformers_", [])
    names = [name for name, _, _ in transformers]
    if names[:2] != ["encoder", "numerical"] or any(
        not np.array_equal(np.asarray(cols), mask)
        for (_, _, cols), (_, mask) in zip(transformers, expected)
    ):
        raise UnsupportedError(
            f"{type_name(est)}._preprocessor is not the ColumnTransformer that fit makes"
        )
    enc = pre.named_transformers_["encoder"]
    enc_params = enc.get_params()
    if (
        enc_params.get("categories") != "auto"
        or enc_params.get("handle_unknown") != "use_encoded_value"
        or not _is_nan(enc_params.get("unknown_value"))
        or not _is_nan(enc_params.get("encoded_missing_value"))
        or enc_params.get("max_categories") is not None
        or enc_params.get("min_frequency") is not None
    ):
        raise UnsupportedError(
            f"{type_name(est)}._preprocessor's OrdinalEncoder is not the one fit makes"
        )
    slices = pre.output_indices_
    n_cat = int(is_cat.sum())
    if slices["encoder"] != slice(0, n_cat) or slices["numerical"] != slice(n_cat, n):
        raise UnsupportedError(f"{type_name(est)}._preprocessor's output order is not known")
    return is_cat, enc


def _preprocessor_to_proto(est: Any, enc: Any, ctx: EncodeCtx) -> pb.Estimator:
    """The fitted `_preprocessor` as a ColumnTransformer body: branch "encoder" (the
    OrdinalEncoder, on the categorical columns) then "numerical" (passthrough: its
    FunctionTransformer is `check_array(dtype=float64)`, the numbers as they are)."""
    is_cat = np.asarray(est.is_categorical_, dtype=bool)
    msg = pb.Estimator(producer_type="sklearn.compose.ColumnTransformer")
    msg.n_features_in = int(est.n_features_in_)
    names = getattr(est, "feature_names_in_", None)
    if names is not None:
        msg.feature_names_in.extend(str(v) for v in names)
    body = msg.column_transformer
    encoder = body.branches.add(name="encoder", columns=np.flatnonzero(is_cat).tolist())
    encoder.estimator.CopyFrom(encode_estimator(enc, ctx.child("preprocessor/encoder/")))
    body.branches.add(name="numerical", columns=np.flatnonzero(~is_cat).tolist())
    return msg


def _is_nan(v: Any) -> bool:
    return isinstance(v, (float, np.floating)) and v != v


def enc_categories(enc: Any) -> list[list[Any]]:
    """An OrdinalEncoder's categories_, each as a list of Python values."""
    return [np.asarray(c).tolist() for c in enc.categories_]


def _feature_name(est: Any, j: int) -> str:
    names = getattr(est, "feature_names_in_", None)
    return repr(str(names[j])) if names is not None else f"at index {j}"


def _categorical(
    est: Any, perm: np.ndarray, categories: list[np.ndarray] | None
) -> tuple[np.ndarray, np.ndarray] | None:
    """(known_categories [M, 8] u32, categorical_features [M] u32) in input columns."""
    mapper = getattr(est, "_bin_mapper", None)
    if mapper is None:
        raise UnsupportedError(f"{type_name(est)} has no _bin_mapper")
    mask = np.asarray(mapper.is_categorical_, dtype=bool)
    if not mask.any():
        if categories:
            raise UnsupportedError(f"{type_name(est)}: the encoder and the binning disagree")
        return None
    known, f_idx_map = mapper.make_known_categories_bitsets()
    tree_features = np.flatnonzero(mask)
    if not np.array_equal(f_idx_map[tree_features], np.arange(tree_features.size)):
        raise UnsupportedError(f"{type_name(est)}: unexpected categorical feature map")
    columns = perm[tree_features]
    if np.any(np.diff(columns) <= 0):
        raise UnsupportedError(f"{type_name(est)}: categorical features out of order")
    if categories is not None:
        # The trees see codes 0..n-1: the known codes must be exactly those.
        if len(categories) != tree_features.size:
            raise UnsupportedError(f"{type_name(est)}: the encoder and the binning disagree")
        for row, values in zip(known, categories):
            if not np.array_equal(_bits(row), np.arange(values.size)):
                raise UnsupportedError(
                    f"{type_name(est)}: the known codes of a categorical feature are not "
                    "0..n_categories - 1"
                )
    return np.ascontiguousarray(known, dtype=np.uint32), columns.astype(np.uint32)


def _bits(row: np.ndarray) -> np.ndarray:
    """The members (0..255) of one 256-bit set held as 8 u32 words, increasing."""
    bits = np.unpackbits(np.asarray(row, dtype="<u4").view(np.uint8), bitorder="little")
    return np.flatnonzero(bits)


def _write_trees(
    est: Any, trees: list[Any], perm: np.ndarray, body: pb.TreeEnsemble, ctx: EncodeCtx
) -> dict[str, np.ndarray]:
    """Fill `body` (the trees) and return the per-node extras kept as attributes."""
    n_features = int(est.n_features_in_)
    if n_features >= CATEGORICAL:
        raise UnsupportedError(f"{n_features} features do not fit a node record")
    sizes = [int(t.nodes.shape[0]) for t in trees]
    total = sum(sizes)
    if total >= LEAF:
        raise UnsupportedError(f"{total} nodes do not fit 32-bit node indices")
    records = np.zeros(total, dtype=NODE_RECORD)
    as_bits = records.view(_RECORD_BITS)
    values, counts, gains, bins, ids = [], [], [], [], []
    raw_sets, binned_sets = [], []
    offsets = [0]
    identity = True
    leaf_rows = 0
    n_sets = 0
    for t in trees:
        nodes = t.nodes
        n = nodes.shape[0]
        start = offsets[-1]
        leaf_sk = nodes["is_leaf"] != 0
        left_sk = np.where(leaf_sk, -1, nodes["left"].astype(np.int64))
        right_sk = np.where(leaf_sk, -1, nodes["right"].astype(np.int64))
        inner_sk = ~leaf_sk
        if np.any(inner_sk & ((left_sk >= n) | (right_sk >= n) | (left_sk < 1) | (right_sk < 1))):
            raise UnsupportedError("a TreePredictor's children are outside its nodes")
        order, pos, _ = _preorder(left_sk, right_sk)
        if order is None:
            order = np.arange(n, dtype=np.int64)
            pos = order
        else:
            identity = False
        depth = _node_depths(left_sk, right_sk)
        if not np.array_equal(depth, nodes["depth"].astype(np.int64)):
            raise UnsupportedError("a TreePredictor's depth field is not the depth of its nodes")
        srt = nodes[order]  # in preorder
        leaf = srt["is_leaf"] != 0
        cat = ~leaf & (srt["is_categorical"] != 0)
        feature = srt["feature_idx"].astype(np.int64)
        if np.any(~leaf & ((feature < 0) | (feature >= perm.size))):
            raise UnsupportedError("a TreePredictor splits on a feature the estimator lacks")
        raw = np.asarray(t.raw_left_cat_bitsets, dtype=np.uint32).reshape(-1, 8)
        binned = np.asarray(t.binned_left_cat_bitsets, dtype=np.uint32).reshape(-1, 8)
        set_idx = srt["bitset_idx"].astype(np.int64)
        if np.any(cat & ((set_idx >= raw.shape[0]) | (srt["num_threshold"] != 0.0))):
            # grower.py gives a categorical split on the last bin (only possible for a
            # feature with one category) no bitset, and the traversal reads past the end.
            raise UnsupportedError(
                "a categorical split of this TreePredictor has no category set (a feature "
                "with a single category)"
            )
        if binned.shape != raw.shape:
            raise UnsupportedError("a TreePredictor's binned and raw bitsets differ in number")
        if not np.array_equal(set_idx[cat], np.arange(raw.shape[0])):
            # What the grower makes, and what lets a tree's sets be found again on loading.
            raise UnsupportedError(
                "a TreePredictor's categorical splits do not use its bitsets in preorder"
            )
        word = perm[np.where(leaf, 0, feature)]
        word = word | ((srt["missing_go_to_left"] != 0).astype(np.int64) << 31)
        word = word | (cat.astype(np.int64) << 30)
        rec = records[start : start + n]
        rec_bits = as_bits[start : start + n]
        rec["threshold"] = np.where(leaf | cat, 0.0, srt["num_threshold"])
        rec_bits["set"][cat] = (n_sets + set_idx[cat]).astype(np.uint64)
        rec["feature"] = np.where(leaf, LEAF, word)
        right_record = start + pos[np.where(leaf, 0, right_sk[order])]
        if ctx.inference_only:
            rows = leaf_rows + np.cumsum(leaf) - 1
            leaf_rows += int(leaf.sum())
            values.append(srt["value"][leaf])
        else:
            rows = start + order
            values.append(nodes["value"])
            counts.append(nodes["count"].astype(np.int64))
            gains.append(nodes["gain"])
            bins.append(nodes["bin_threshold"])
            binned_sets.append(binned)
        rec["next"] = np.where(leaf, rows, right_record)
        raw_sets.append(raw)
        n_sets += raw.shape[0]
        ids.append(order)
        offsets.append(start + n)
    body.nodes = ctx.tensor("nodes", records.view(np.uint8).reshape(-1, 16))
    body.tree_offsets = ctx.tensor("tree_offsets", np.asarray(offsets, dtype=np.uint64))
    vals = np.concatenate(values).astype(np.float64).reshape(-1, 1, 1)
    body.values = ctx.tensor("values", vals)
    body.input = pb.TREE_INPUT_F64
    body.leaf_values = pb.LEAF_VALUES_REGRESSION
    extras: dict[str, np.ndarray] = {"sets": np.concatenate(raw_sets).reshape(-1, 8)}
    if not ctx.inference_only:
        body.n_node_samples = ctx.tensor("n_node_samples", np.concatenate(counts))
        if not identity:
            body.node_ids = ctx.tensor("node_ids", np.concatenate(ids).astype(np.uint32))
        body.values_for_every_node = True
        extras[_GAIN] = np.concatenate(gains).astype(np.float64)
        extras[_BIN_THRESHOLD] = np.concatenate(bins).astype(np.uint8)
        extras[_BINNED_SETS] = np.concatenate(binned_sets).reshape(-1, 8)
    return extras


def _node_depths(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """The depth of every node of one tree (root 0), level by level."""
    depth = np.zeros(left.shape[0], dtype=np.int64)
    frontier = np.zeros(1, dtype=np.int64)
    d = 0
    while frontier.size:
        depth[frontier] = d
        inner = frontier[left[frontier] >= 0]
        frontier = np.concatenate((left[inner], right[inner]))
        d += 1
        if d > left.shape[0]:
            raise UnsupportedError("a TreePredictor's links form a cycle")
    return depth


def _decision(est: Any) -> int:
    """How this scikit-learn's `predict` picks a label: from its own source.

    scikit-learn 1.3 takes `argmax(predict_proba(X))`; later versions compare raw scores
    (`raw > 0`, `argmax(raw)`), which differs where rounding makes two probabilities equal.
    """
    try:
        source = inspect.getsource(type(est).predict)
    except (OSError, TypeError):
        source = ""
    if "self.predict_proba(" in source:
        return pb.BOOSTING_DECISION_PROBA_ARGMAX
    if "raw_predictions" in source:
        return pb.BOOSTING_DECISION_RAW_ABOVE_ZERO
    raise UnsupportedError(
        f"cannot tell how this scikit-learn's {type_name(est)}.predict picks a label"
    )


def _link(est: Any, classes: np.ndarray | None, k: int) -> int:
    loss = getattr(est, "_loss", None)
    link = _LINKS.get(type(getattr(loss, "link", None)).__name__)
    if link is None:
        raise UnsupportedError(f"{type_name(est)}'s loss {type_name(loss)} has no Amber link")
    if classes is None:
        ok = link in (pb.BOOSTING_LINK_IDENTITY, pb.BOOSTING_LINK_EXP) and k == 1
    elif link == pb.BOOSTING_LINK_LOGISTIC:
        ok = k == 1 and len(classes) == 2
    else:
        ok = link == pb.BOOSTING_LINK_SOFTMAX and k == len(classes) >= 3
    if not ok:
        n = "no" if classes is None else len(classes)
        raise UnsupportedError(
            f"{type_name(est)}: loss {type_name(loss)} with {n} classes and {k} trees per "
            "iteration (a classifier needs at least two classes)"
        )
    return link


def _add(msg: pb.Estimator, name: str, value: Any, ctx: EncodeCtx) -> None:
    msg.attributes.add(name=name, value=encode_value(value, f"attributes/{name}", ctx))


def hgb_to_proto(est: Any, msg: pb.Estimator, ctx: EncodeCtx) -> set[str]:
    if not isinstance(est.loss, str):
        raise UnsupportedError(
            f"{type_name(est)} with loss={type_name(est.loss)}: only losses named by a string "
            "can be saved"
        )
    trees, k = _predictors(est)
    perm, categories, dtypes, encoder = _preprocessor_layout(est)
    body = msg.boosting
    extras = _write_trees(est, trees, perm, body.trees, ctx)
    codes = categories
    if encoder is not None:
        # The trees read the encoder's codes 0..n - 1 (NaN, the missing category, removed).
        codes = [np.arange(len(c) - int(_is_nan(c[-1]))) for c in enc_categories(encoder)]
        body.preprocessor.CopyFrom(_preprocessor_to_proto(est, encoder, ctx))
    categorical = _categorical(est, perm, codes)
    sets = extras.pop("sets")
    t = body.trees
    if categorical is not None:
        known, columns = categorical
        t.categories = ctx.tensor("categories", sets)
        t.known_categories = ctx.tensor("known_categories", known)
        t.categorical_features = ctx.tensor("categorical_features", columns)
        if categories is not None and encoder is None:
            t.category_values = ctx.tensor("category_values", np.concatenate(categories))
            offsets = np.cumsum([0] + [c.size for c in categories]).astype(np.uint64)
            t.category_value_offsets = ctx.tensor("category_value_offsets", offsets)
    elif sets.shape[0]:
        raise UnsupportedError(f"{type_name(est)} has categorical splits but no categories")
    body.n_columns = k
    body.scale = 1.0
    # An F-ordered raw array of zeros plus the baseline, rows summed left to right (spec 7.2).
    body.raw_scores = pb.BOOSTING_RAW_SCORES_HISTOGRAM
    baseline = np.asarray(est._baseline_prediction, dtype=np.float64)
    if baseline.shape != (1, k):
        raise UnsupportedError(f"{type_name(est)}._baseline_prediction has shape {baseline.shape}")
    body.baseline = ctx.tensor("baseline", baseline.reshape(k))
    classes = np.asarray(est.classes_) if hasattr(est, "classes_") else None
    body.link = _link(est, classes, k)
    if classes is not None:
        body.classes.CopyFrom(_labels(classes))
        body.decision = _decision(est)
    if not ctx.inference_only:
        for name, value in extras.items():
            _add(msg, name, value, ctx)
        if categories is not None and encoder is None:
            _add(msg, _CATEGORIES_DTYPE, dtypes, ctx)
        for name, value in vars(est._bin_mapper).items():
            if name not in _BIN_MAPPER_SKIP:
                _add(msg, _BIN_MAPPER + name, value, ctx)
        for name in _PLAIN_PRIVATE:
            if name in vars(est):
                _add(msg, name, getattr(est, name), ctx)
        _add(msg, _CONSTANT_HESSIAN, bool(est._loss.constant_hessian), ctx)
        rng = getattr(est, "_feature_subsample_rng", None)
        if rng is not None:
            _add(msg, _RNG_STATE, _rng_state(rng), ctx)
    return {"classes_", "n_trees_per_iteration_"}


def _rng_state(rng: np.random.Generator) -> dict[str, Any]:
    """A Generator's bit generator state, its integers (128-bit for PCG64) as decimal text."""

    def text(v: Any) -> Any:
        if isinstance(v, dict):
            return {k: text(x) for k, x in v.items()}
        if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
            return str(int(v))
        return v

    return text(rng.bit_generator.state)


# ---------------------------------------------------------------------------- loading


def _class_for(msg: pb.Estimator) -> type:
    """The producer's class, which must fit the body (E_PROVENANCE otherwise)."""
    classifier = msg.boosting.HasField("classes")
    own = {CLASSIFIER: HistGradientBoostingClassifier, REGRESSOR: HistGradientBoostingRegressor}
    cls = own[msg.producer_type]
    if (cls is HistGradientBoostingClassifier) != classifier:
        raise refuse(
            msg.producer_type,
            "a regressor cannot have a body with classes"
            if classifier
            else "a classifier needs a body with classes",
        )
    return cls


def _preprocessor_branches(msg: pb.Estimator) -> tuple[np.ndarray, pb.Estimator] | None:
    """With a preprocessor: (is_categorical_, in input columns; the OrdinalEncoder's record),
    refusing one that is not the ColumnTransformer HistGradientBoosting's fit makes (branch
    "encoder", an OrdinalEncoder on some columns, then "numerical", passthrough of the
    others, both in increasing order)."""
    b = msg.boosting
    if not b.HasField("preprocessor"):
        return None
    pre = b.preprocessor
    n = int(msg.n_features_in)
    is_ct = pre.WhichOneof("body") == "column_transformer"
    branches = list(pre.column_transformer.branches) if is_ct else []
    ok = (
        [x.name for x in branches] == ["encoder", "numerical"]
        and branches[0].estimator.WhichOneof("body") == "ordinal_encoder"
        and not branches[1].HasField("estimator")
        and not any(x.drop or x.HasField("weight") for x in branches)
    )
    if ok:
        cat = [int(c) for c in branches[0].columns]
        num = [int(c) for c in branches[1].columns]
        ok = bool(cat) and cat == sorted(set(cat)) and num == sorted(set(num))
        ok = ok and sorted(cat + num) == list(range(n))
    if not ok:
        raise AmberError(
            "E_PROVENANCE",
            "this Boosting body's preprocessor is not the ColumnTransformer that "
            "HistGradientBoosting's fit makes (an OrdinalEncoder branch then a passthrough one)",
        )
    mask = np.zeros(n, dtype=bool)
    mask[cat] = True
    return mask, branches[0].estimator


def _facts(msg: pb.Estimator, ctx: DecodeCtx) -> dict[str, Any]:
    """What the body says, for the allow-list's rules."""
    t = msg.boosting.trees
    n = int(msg.n_features_in)
    mask = np.zeros(n, dtype=bool)
    pre = _preprocessor_branches(msg)
    if pre is not None:
        mask = pre[0]
    elif t.categorical_features:
        columns = ctx.view(t.categorical_features).astype(np.int64)
        if columns.size and (columns.min() < 0 or columns.max() >= n):
            raise AmberError("E_MODEL", "a categorical feature is not an input column")
        mask[columns] = True
    offsets = ctx.view(t.tree_offsets)
    return {
        "n_features": n,
        "n_nodes": int(offsets[-1]) if offsets.shape[0] else 0,
        "n_sets": int(ctx.view(t.categories).shape[0]) if t.categories else 0,
        "n_categorical": int(mask.sum()),
        "is_categorical_": mask if mask.any() else None,
    }


def _set_members(rows: np.ndarray) -> list[np.ndarray]:
    """The members of each 256-bit set (a row of 8 u32 words), increasing."""
    return [_bits(r) for r in np.asarray(rows).reshape(-1, 8)]


def hgb_from_proto(msg: pb.Estimator, ctx: DecodeCtx) -> Any:
    b = msg.boosting
    t = b.trees
    if t.input != pb.TREE_INPUT_F64 or t.leaf_values != pb.LEAF_VALUES_REGRESSION:
        raise AmberError(
            "E_PROVENANCE", "HistGradientBoosting trees compare float64 inputs and hold raw values"
        )
    if b.HasField("init") or b.scale != 1.0 or b.raw_scores == pb.BOOSTING_RAW_SCORES_STAGED:
        # raw_scores UNSPECIFIED: a file written before the field, whose readers computed
        # GradientBoosting's sums (within the corpus tolerance of HistGradientBoosting's).
        raise AmberError(
            "E_PROVENANCE",
            "this Boosting body (an init estimator, scale != 1 or raw_scores STAGED) is not a "
            "HistGradientBoosting",
        )
    cls = _class_for(msg)
    k = int(b.n_columns)
    facts = _facts(msg, ctx)
    attrs = read_attributes(cls, msg, ctx, facts)
    private = {name: v for name, v in attrs.items() if name.startswith("_")}
    est = build(cls, msg, ctx, attrs)
    if est.loss == "quantile" and est.quantile is None:
        # fit's own check (gradient_boosting.py, _get_loss): the quantile loss needs one.
        raise refuse(type_name(est), "loss='quantile' needs the quantile param")
    est.is_categorical_ = facts["is_categorical_"]
    n = int(msg.n_features_in)
    classifier = cls is HistGradientBoostingClassifier
    if classifier:
        est.classes_ = _classes(b.classes)
    est.n_trees_per_iteration_ = k
    baseline = ctx.array(b.baseline) if b.baseline else np.zeros(k)
    est._baseline_prediction = np.asarray(baseline, dtype=np.float64).reshape(1, k).copy()
    est._n_features = n

    # Categorical layout: the trees' feature space and each categorical feature's codes.
    columns = ctx.array(t.categorical_features).astype(np.int64) if t.categorical_features else None
    known = ctx.array(t.known_categories) if t.known_categories else None
    coded = bool(t.category_values)
    pre = _preprocessor_branches(msg)
    modern = hasattr(est, "_preprocess_X")  # scikit-learn >= 1.4
    if (coded or pre is not None) and not modern:
        raise ProvenanceError(
            "this file's categorical features are ordinal-encoded as scikit-learn >= 1.4 does; "
            "the installed scikit-learn cannot rebuild that encoder"
        )
    is_cat = np.zeros(n, dtype=bool)
    if columns is not None:
        is_cat[columns] = True
    if pre is not None:
        # The trees read the preprocessor's output: codes first, in the encoder's order.
        perm = np.arange(n, dtype=np.int64)
        is_cat, enc_msg = pre
        m = int(is_cat.sum())
        if columns is None or not np.array_equal(columns, np.arange(m)):
            raise AmberError(
                "E_PROVENANCE",
                "the trees' categorical features are not the preprocessor's coded columns",
            )
        encoder = decode_estimator(enc_msg, ctx)
        categories = [_without_nan(c) for c in encoder.categories_]
        _rebuild_preprocessor(est, is_cat, categories, None)
        _use_encoder(est, encoder)
        codes = [np.arange(c.size, dtype=np.float64) for c in categories]
        # scikit-learn's known categories are the encoder's codes; Rust reads the body's.
        given = _set_members(known) if known is not None else []
        if len(given) != len(codes) or any(
            not np.array_equal(g.astype(np.float64), c) for g, c in zip(given, codes)
        ):
            raise AmberError(
                "E_PROVENANCE",
                "known_categories are not the codes 0 .. n-1 of the preprocessor's encoder",
            )
    elif coded:
        perm = np.concatenate([np.flatnonzero(is_cat), np.flatnonzero(~is_cat)])
        values = ctx.array(t.category_values)
        offs = ctx.array(t.category_value_offsets).astype(np.int64)
        categories = [values[offs[i] : offs[i + 1]] for i in range(offs.size - 1)]
        _rebuild_preprocessor(est, is_cat, categories, private.get(_CATEGORIES_DTYPE))
        codes = [np.arange(c.size, dtype=np.float64) for c in categories]
    else:
        perm = np.arange(n, dtype=np.int64)
        codes = [m.astype(np.float64) for m in _set_members(known)] if known is not None else []
        if modern:
            est._preprocessor = None
            est._is_categorical_remapped = None
    tree_of = np.empty(n, dtype=np.int64)
    tree_of[perm] = np.arange(n, dtype=np.int64)
    tree_cat = np.zeros(n, dtype=bool)
    if columns is not None:
        tree_cat[tree_of[columns]] = True

    est._bin_mapper = _bin_mapper(est, private, tree_cat, codes)
    _check_bin_mapper(est, tree_cat, codes)
    est._predictors = _build_predictors(msg, ctx, private, tree_of, k, codes, tree_cat)
    loss_sw = None if private.get(_CONSTANT_HESSIAN, True) else np.ones(1)
    est._loss = est._get_loss(sample_weight=loss_sw)
    link = _LINKS.get(type(est._loss.link).__name__)
    if link != b.link:
        raise AmberError(
            "E_PROVENANCE",
            f"the file's link {pb.BoostingLink.Name(b.link)} is not the link of "
            f"{type_name(est)}(loss={est.loss!r})",
        )
    for name in ("_random_seed", "_use_validation_data", "_fitted_with_sw"):
        if name in private:
            setattr(est, name, private[name])
    if "_random_seed" not in private:
        est._random_seed = np.uint64(0)
    if "_use_validation_data" not in private:
        est._use_validation_data = est.validation_fraction is not None
    if "max_features" in est.get_params(deep=False):  # scikit-learn >= 1.4
        est._feature_subsample_rng = _rng(private.get(_RNG_STATE), est._random_seed)
    est._scorer = None
    if getattr(est, "do_early_stopping_", False) and est.scoring != "loss":
        from sklearn.metrics import check_scoring

        try:
            est._scorer = check_scoring(est, est.scoring)
        except ValueError as e:
            raise refuse(type_name(est), f"scoring {est.scoring!r} is not a scorer: {e}") from None
    if classifier and hasattr(cls, "_encode_y_val"):  # scikit-learn >= 1.7 keeps it
        from sklearn.preprocessing import LabelEncoder

        le = LabelEncoder()
        le.classes_ = est.classes_
        est._label_encoder = le
    if _GAIN not in private:
        warnings.warn(
            f"{type_name(est)} was saved without training statistics (inference-only): its "
            "TreePredictors' count is 0, gain NaN (-1 at leaves), bin_threshold 0, the values "
            "of internal nodes 0, and its _bin_mapper holds only the categories, so partial "
            "dependence by recursion and further training are not meaningful; predictions "
            "are exact",
            AmberWarning,
            stacklevel=3,
        )
    return est


def _rng(state: dict | None, seed: Any) -> np.random.Generator:
    if state is None:
        # Not saved (inference-only, or written by scikit-learn 1.3): a generator seeded
        # from _random_seed, so that warm_start can run (features are drawn differently).
        return np.random.default_rng(int(seed))

    def number(v: Any) -> Any:
        if isinstance(v, dict):
            return {k: number(x) for k, x in v.items()}
        if isinstance(v, str) and v.lstrip("-").isdigit():
            return int(v)
        return v

    state = number(state)
    name = state.get("bit_generator")
    if name != "PCG64":
        raise AmberError("E_PROVENANCE", f"bit generator {name!r} is not supported")
    bitgen = np.random.PCG64()
    bitgen.state = state
    return np.random.Generator(bitgen)


def _rebuild_preprocessor(
    est: Any, is_cat: np.ndarray, categories: list[np.ndarray], dtypes: list[str] | None
) -> None:
    """scikit-learn's own `_preprocess_X(reset=True)` on a frame of the saved categories.

    One row per category of the longest list (shorter ones repeat their last value),
    numerical columns 0: the encoder learns exactly these categories, in this dtype.
    """
    import pandas as pd

    n = is_cat.size
    rows = max(c.size for c in categories)
    names = getattr(est, "feature_names_in_", None)
    from_dtype = isinstance(est.categorical_features, str)
    objects = any(c.dtype.kind == "O" for c in categories)
    data = {}
    cat_iter = iter(zip(categories, dtypes or [None] * len(categories)))
    for j in range(n):
        if is_cat[j]:
            values, dtype = next(cat_iter)
            col = np.concatenate([values, np.repeat(values[-1:], rows - values.size)])
            if dtype is not None:
                col = col.astype(np.dtype(dtype))
            if from_dtype:
                data[j] = pd.Categorical(col)
            else:
                data[j] = pd.Series(col, dtype=object) if col.dtype.kind == "O" else col
        else:
            data[j] = np.zeros(rows)
    frame = pd.DataFrame(data)
    if names is not None:
        frame.columns = [str(s) for s in names]
    if names is not None or from_dtype:
        X = frame
    else:
        X = frame.to_numpy(dtype=object if objects else np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            est._preprocess_X(X, reset=True)
        except (ValueError, TypeError) as e:
            # scikit-learn's own checks of the params against the saved categories.
            raise refuse(
                type_name(est), f"its params do not fit the body's categories: {e}"
            ) from None
    if est._preprocessor is None:
        raise refuse(
            type_name(est), "its categorical_features param names no feature the body codes"
        )
    enc = est._preprocessor.named_transformers_["encoder"]
    got = [_without_nan(c) for c in enc.categories_]
    if (
        not np.array_equal(np.asarray(est.is_categorical_, dtype=bool), is_cat)
        or len(got) != len(categories)
        or any(g.tolist() != np.asarray(c).tolist() for g, c in zip(got, categories))
    ):
        raise AmberError("E_PROVENANCE", "the categorical encoder could not be rebuilt")


def _without_nan(cats: Any) -> np.ndarray:
    """An encoder's categories without the missing-value category NaN (listed last)."""
    cats = np.asarray(cats)
    if cats.size and _is_nan(cats[-1]):
        return cats[:-1]
    return cats


def _use_encoder(est: Any, encoder: Any) -> None:
    """Puts the saved OrdinalEncoder (categories_ of the exact types fit saw) in place of the
    one the rebuild fitted on the stand-in frame, whose categories were checked equal."""
    pre = est._preprocessor
    pre.transformers_ = [
        (name, encoder if name == "encoder" else trans, cols)
        for name, trans, cols in pre.transformers_
    ]


def _bin_mapper(
    est: Any, private: dict, tree_cat: np.ndarray, codes: list[np.ndarray]
) -> _BinMapper:
    saved = {k[len(_BIN_MAPPER) :]: v for k, v in private.items() if k.startswith(_BIN_MAPPER)}
    mapper = _BinMapper()
    missing = [n for n in _BIN_MAPPER_NEEDS if n not in saved]
    if saved and missing:
        raise refuse(
            type_name(est),
            f"the saved _bin_mapper lacks {', '.join(_BIN_MAPPER + n for n in missing)}",
        )
    if saved:
        for name, value in saved.items():
            setattr(mapper, name, value)
        return mapper
    # Inference-only: what prediction reads (make_known_categories_bitsets).
    n_bins = int(est.max_bins) + 1
    any_cat = bool(tree_cat.any())
    known: list[Any] = [None] * tree_cat.size
    for f, c in zip(np.flatnonzero(tree_cat), codes):
        known[f] = c
    mapper.set_params(
        n_bins=n_bins,
        is_categorical=tree_cat if any_cat else None,
        known_categories=known if any_cat else None,
    )
    mapper.is_categorical_ = tree_cat.astype(np.uint8)
    mapper.missing_values_bin_idx_ = n_bins - 1
    mapper.bin_thresholds_ = [c if c is not None else np.zeros(0, dtype=np.float64) for c in known]
    return mapper


def _build_predictors(
    msg: pb.Estimator,
    ctx: DecodeCtx,
    private: dict,
    tree_of: np.ndarray,
    k: int,
    codes: list[np.ndarray],
    tree_cat: np.ndarray,
) -> list[list[TreePredictor]]:
    """Every TreePredictor, its nodes in scikit-learn's order (node_ids), all fields set."""
    t = msg.boosting.trees
    offsets = ctx.array(t.tree_offsets).astype(np.int64)
    records = ctx.view(t.nodes).reshape(-1).view(NODE_RECORD)
    set_rows = records.view(_RECORD_BITS)["set"]
    values = ctx.view(t.values).reshape(-1)
    n_total = records.shape[0]
    n_trees = offsets.size - 1
    if n_trees % k:
        raise AmberError("E_MODEL", f"{n_trees} trees are not whole iterations of {k}")
    node_ids = ctx.array(t.node_ids).astype(np.int64) if t.node_ids else None
    word = records["feature"]
    nxt = records["next"].astype(np.int64)
    leaf = word == LEAF
    inner = ~leaf
    cat = inner & ((word & CATEGORICAL) != 0)
    index = np.arange(n_total, dtype=np.int64)
    tree_start = np.repeat(offsets[:-1], np.diff(offsets))
    local = index - tree_start
    ids = local if node_ids is None else node_ids
    # Node fields in record (preorder) order, ids within each tree.
    left_id = np.where(inner, ids[np.minimum(index + 1, n_total - 1)], 0)
    right_id = np.where(inner, ids[np.where(inner, nxt, 0)], 0)
    sets = ctx.array(t.categories).reshape(-1, 8) if t.categories else np.zeros((0, 8), np.uint32)
    # Each tree's sets are a block of rows, in the order of its categorical records.
    gain = private.get(_GAIN)
    counts = ctx.array(t.n_node_samples) if t.n_node_samples else None
    bin_threshold = private.get(_BIN_THRESHOLD)
    binned = private.get(_BINNED_SETS)
    if t.values_for_every_node:
        node_value = None  # the row of a node is tree start + its id
    else:
        node_value = np.where(leaf, values[np.where(leaf, nxt, 0)], 0.0)
    depth = _record_depths(inner, nxt, offsets)
    feature = tree_of[np.where(inner, word & (CATEGORICAL - 1), 0).astype(np.int64)]
    feature[leaf] = 0
    out: list[list[TreePredictor]] = []
    set_base = 0
    for j in range(n_trees):
        s, e = int(offsets[j]), int(offsets[j + 1])
        n = e - s
        tid = ids[s:e]
        nodes = np.zeros(n, dtype=PREDICTOR_RECORD_DTYPE)
        sl = slice(s, e)
        c = cat[sl]
        rows = set_rows[sl][c].astype(np.int64)
        n_sets = rows.size
        if n_sets and not np.array_equal(rows, set_base + np.arange(n_sets)):
            raise AmberError(
                "E_PROVENANCE",
                "a tree's category sets are not its own consecutive rows, in preorder",
            )
        by_id = nodes  # filled through tid: nodes[tid[p]] is record s + p
        by_id["is_leaf"][tid] = leaf[sl]
        by_id["feature_idx"][tid] = feature[sl]
        by_id["num_threshold"][tid] = np.where(inner[sl] & ~c, records["threshold"][sl], 0.0)
        by_id["missing_go_to_left"][tid] = np.where(inner[sl], word[sl] >> 31, 0)
        by_id["is_categorical"][tid] = c
        bitset_idx = np.zeros(n, dtype=np.int64)
        bitset_idx[c] = np.arange(n_sets)
        by_id["bitset_idx"][tid] = bitset_idx
        by_id["left"][tid] = left_id[sl]
        by_id["right"][tid] = right_id[sl]
        by_id["depth"][tid] = depth[sl]
        if node_value is None:
            nodes["value"] = values[s:e]
        else:
            by_id["value"][tid] = node_value[sl]
        if counts is not None:
            nodes["count"] = counts[s:e]
        if gain is not None:
            nodes["gain"] = gain[s:e]
        else:
            by_id["gain"][tid] = np.where(leaf[sl], -1.0, np.nan)
        if bin_threshold is not None:
            nodes["bin_threshold"] = bin_threshold[s:e]
        raw = np.ascontiguousarray(sets[set_base : set_base + n_sets], dtype=np.uint32)
        if binned is not None:
            bset = np.ascontiguousarray(binned[set_base : set_base + n_sets], dtype=np.uint32)
        else:
            bset = _binned_from_raw(raw, nodes["feature_idx"][tid][c], tree_cat, codes)
        set_base += n_sets
        _check_predictor_nodes(nodes, n_sets, tree_of.shape[0])
        if j % k == 0:
            out.append([])
        out[-1].append(TreePredictor(nodes, bset, raw))
    return out


def _check_predictor_nodes(nodes: np.ndarray, n_sets: int, n_features: int) -> None:
    """What scikit-learn's Cython (`_predictor.pyx`) follows without a check: an inner
    node's children inside the tree and not the root, its feature below n_features, a
    categorical split's bitset row below the tree's number of sets."""
    n = nodes.shape[0]
    inner = nodes["is_leaf"] == 0
    left, right = nodes["left"].astype(np.int64), nodes["right"].astype(np.int64)
    bad = inner & ((left < 1) | (left >= n) | (right < 1) | (right >= n))
    bad |= inner & (nodes["feature_idx"].astype(np.int64) >= n_features)
    cat = inner & (nodes["is_categorical"] != 0)
    bad |= cat & (nodes["bitset_idx"].astype(np.int64) >= n_sets)
    if bad.any():
        raise AmberError(
            "E_MODEL",
            f"node {int(np.flatnonzero(bad)[0])} of a rebuilt TreePredictor points "
            "outside its tree, its features or its category sets",
        )


def _binned_from_raw(
    raw: np.ndarray, feats: np.ndarray, tree_cat: np.ndarray, codes: list[np.ndarray]
) -> np.ndarray:
    """Inference-only: the binned bitsets of a tree's categorical splits (`feats`, their
    features in preorder), bin i standing for category code `codes[feature][i]`."""
    out = np.zeros_like(raw)
    cat_rank = np.cumsum(tree_cat) - 1
    for r, f in enumerate(feats):
        members = set(_bits(raw[r]).tolist())
        for i, code in enumerate(codes[cat_rank[f]]):
            if int(code) in members:
                out[r, i // 32] |= np.uint32(1 << (i % 32))
    return out


def _record_depths(inner: np.ndarray, nxt: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """The depth of every record (roots 0), all trees level by level at once."""
    depth = np.zeros(inner.shape[0], dtype=np.int64)
    frontier = offsets[:-1].copy()
    d = 0
    while frontier.size:
        depth[frontier] = d
        f = frontier[inner[frontier]]
        frontier = np.concatenate((f + 1, nxt[f]))
        d += 1
    return depth


def _check_bin_mapper(est: Any, tree_cat: np.ndarray, codes: list[np.ndarray]) -> None:
    """One truth for the categories: the `_bin_mapper` that predict builds its known-category
    bitsets from (`make_known_categories_bitsets`, which sets bit `int(value)` of a 256-bit
    set for each of a categorical feature's `bin_thresholds_`, unchecked, in Cython) says
    exactly what the body says: the same categorical features and the same codes."""
    mapper = est._bin_mapper
    mask = np.asarray(mapper.is_categorical_).astype(bool)
    if not np.array_equal(mask, tree_cat):
        raise refuse(
            type_name(est),
            "_bin_mapper/is_categorical_ does not name the body's categorical features",
        )
    thresholds = mapper.bin_thresholds_
    for f, want in zip(np.flatnonzero(tree_cat), codes):
        got = np.asarray(thresholds[f], dtype=np.float64)
        if not np.array_equal(got, want):
            raise refuse(
                type_name(est),
                f"_bin_mapper/bin_thresholds_[{f}] are not the body's categories of that feature",
            )


# ---------------------------------------------------------------------------- allow-lists


def _decimal(bits: int) -> Any:
    """A non-negative integer below 2**bits written in decimal (a bit generator's state)."""

    def rule(v: Any, facts: dict) -> None:
        if type(v) is not str or not v.isdigit() or len(v) > 40 or int(v) >= 1 << bits:
            raise Bad(f"is {v!r:.60}, not a decimal integer below 2**{bits}")

    return described(f"decimal string of an int in [0, 2^{bits})")(rule)


#: The numpy dtypes a categorical feature's categories may have had (numbers only).
_NUMERIC_DTYPES = tuple(
    f"{order}{kind}{size}" for order in "<>|" for kind in "iuf" for size in "1248"
)
_PER_FEATURE = ("n_features",)
#: What the writer leaves as attributes (scikit-learn 1.3.2 .. 1.9.1): training
#: diagnostics, the trees' training statistics, the binning state (`_bin_mapper/...`, in
#: the trees' feature space, whose categorical part must equal the body's), the
#: preprocessor's dtypes, the loss, random state and private flags.
_HGB_ATTRIBUTES = {
    "do_early_stopping_": boolean,
    "is_categorical_": same("is_categorical_", optional(array("b", _PER_FEATURE))),
    "train_score_": array("f", (None,)),
    "validation_score_": array("f", (None,)),
    _GAIN: array("f", ("n_nodes",)),
    _BIN_THRESHOLD: array("u", ("n_nodes",)),
    _BINNED_SETS: array("u", ("n_sets", 8)),
    _BIN_MAPPER + "bin_thresholds_": sequence(array("f", (None,)), "n_features"),
    _BIN_MAPPER + "is_categorical": optional(array("b", _PER_FEATURE)),
    _BIN_MAPPER + "is_categorical_": array("ub", _PER_FEATURE),
    _BIN_MAPPER + "known_categories": optional(
        sequence(optional(array("f", (None,))), "n_features")
    ),
    _BIN_MAPPER + "missing_values_bin_idx_": integer(1, 255, scalar=True),
    _BIN_MAPPER + "n_bins": integer(3, 256, scalar=True),
    _BIN_MAPPER + "n_bins_non_missing_": array("u", _PER_FEATURE),
    _BIN_MAPPER + "random_state": optional(integer(0, (1 << 64) - 1, scalar=True)),
    _BIN_MAPPER + "subsample": optional(integer(1, scalar=True)),
    _CATEGORIES_DTYPE: sequence(string(*_NUMERIC_DTYPES), "n_categorical"),
    _CONSTANT_HESSIAN: boolean,
    _RNG_STATE: mapping(
        {
            "bit_generator": string("PCG64"),
            "state": mapping({"state": _decimal(128), "inc": _decimal(128)}),
            "has_uint32": _decimal(1),
            "uinteger": _decimal(32),
        }
    ),
    "_random_seed": integer(0, (1 << 64) - 1, scalar=True),
    "_use_validation_data": boolean,
    "_fitted_with_sw": boolean,
}

register(HistGradientBoostingClassifier, CLASSIFIER, "boosting", hgb_to_proto, hgb_from_proto)
register(HistGradientBoostingRegressor, REGRESSOR, "boosting", hgb_to_proto, hgb_from_proto)
for _cls in (HistGradientBoostingClassifier, HistGradientBoostingRegressor):
    allow(_cls, _HGB_ATTRIBUTES)
