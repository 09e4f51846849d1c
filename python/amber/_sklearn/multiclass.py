"""OneVsRestClassifier, OneVsOneClassifier and OutputCodeClassifier <-> the `Multiclass`
body: binary members, one score per row each, combined by the strategy
(spec/estimators.md section 23).

Mirrors sklearn/multiclass.py (1.9.1; 1.3.2 keeps the same attributes): `fit` clones the
`estimator` param once per binary problem (`_fit_binary`: a `_ConstantPredictor` fitted on
the one value of a column that holds a single one), one per class (one-vs-rest, on the
columns of `label_binarizer_`, a `LabelBinarizer(sparse_output=True)`; a multilabel model's
columns are its indicator's), per pair of classes (one-vs-one, on the rows of the two, class
`i` as 0 and `j` as 1, `estimators_` a tuple) or per column of a random `code_book_` (output
code: -1/1 columns when the `estimator` param has decision_function, else 0/1). Every
prediction reads `_predict_binary`: a regressor's predict, else decision_function, else
column 1 of predict_proba; `_threshold_for_binary_predict(estimators_[0])` is 0.0 for a
classifier with decision_function and 0.5 otherwise. scikit-learn 1.8 reversed the loop of
`OneVsRestClassifier.predict`, so that equal scores go to the first member instead of the
last: the body's `ties` records which version wrote it.

The body keeps the strategy, `classes_`, per member its score and estimator (or a constant's
label), the multilabel flag, the threshold, the tie rule and the code book. The rebuild
restores `estimator` (an unfitted clone of the first member with an estimator), the other
params, and the fitted `estimators_` (a constant member a `_ConstantPredictor` with `y_`,
`n_features_in_` and the composition's `feature_names_in_`), `classes_`, `n_features_in_`,
`feature_names_in_`, and one-vs-rest's `label_binarizer_` (fitted on the classes, or on an
identity indicator of `L` columns for a multilabel model: its `y_type_`, `sparse_input_` and
`classes_` are those fit made), one-vs-one's `pairwise_indices_` (None) and output code's
`code_book_`. A constant member of a model whose composition has no feature names (its first
member records none, as a pipeline starting with "passthrough") comes back without names,
where the original's had the DataFrame's: its predictions are the same.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sklearn
from sklearn.base import clone, is_regressor
from sklearn.multiclass import (
    OneVsOneClassifier,
    OneVsRestClassifier,
    OutputCodeClassifier,
    _ConstantPredictor,
    _threshold_for_binary_predict,
)
from sklearn.preprocessing import LabelBinarizer

from .. import _schema, _tree
from .._errors import ModelError
from .._proto.amber.v1 import amber_pb2 as pb
from ._common import (
    DecodeCtx,
    EncodeCtx,
    allow,
    build,
    decode_estimator,
    encode_estimator,
    read_attributes,
    refuse,
    register,
    type_name,
)
from .compose import _in_place
from .linear import _classes, _labels
from .members import changed_after_fit, refuse_save

_STRATEGIES = {
    OneVsRestClassifier: pb.MULTICLASS_STRATEGY_ONE_VS_REST,
    OneVsOneClassifier: pb.MULTICLASS_STRATEGY_ONE_VS_ONE,
    OutputCodeClassifier: pb.MULTICLASS_STRATEGY_OUTPUT_CODE,
}
#: The one-vs-rest tie rule of the running scikit-learn: 1.8 iterates the members in reverse
#: so that the first of equal scores wins (np.argmax's rule); before, the last won.
_VERSION = tuple(int(p) for p in sklearn.__version__.split(".")[:2])
TIES = pb.MULTICLASS_TIES_FIRST if _VERSION >= (1, 8) else pb.MULTICLASS_TIES_LAST
#: The params and fitted attributes the body holds (the rest are params or refused).
_CONSUMED = frozenset(
    ("estimator", "estimators_", "classes_", "label_binarizer_", "code_book_", "pairwise_indices_")
)
#: The one-vs-rest label types this body describes (`label_binarizer_.y_type_`).
_Y_TYPES = ("binary", "multiclass", "multilabel-indicator")


def _score(member: Any) -> int:
    """What `_predict_binary` reads from a fitted member."""
    if type(member) is _ConstantPredictor:
        return pb.BINARY_SCORE_CONSTANT
    if is_regressor(member):
        return pb.BINARY_SCORE_PREDICT
    if hasattr(member, "decision_function"):
        return pb.BINARY_SCORE_DECISION_FUNCTION
    return pb.BINARY_SCORE_PROBA


# ---------------------------------------------------------------------------- saving


def _check_fitted(est: Any) -> list[Any]:
    """The fitted members, after the refusals of what the body does not describe."""
    if not hasattr(est, "estimators_"):
        raise refuse_save(est, "it is not fitted; fit it first")
    members = list(est.estimators_)
    if isinstance(est, OneVsRestClassifier):
        lb = est.label_binarizer_
        if getattr(lb, "sparse_input_", False):
            raise refuse_save(
                est,
                "it was fitted on a sparse label matrix, so its predict returns a sparse "
                "matrix, which the Multiclass body does not describe; fit it on a dense "
                "label indicator (y.toarray())",
            )
        if len(est.classes_) < 2:
            raise refuse_save(
                est,
                "it was fitted on a single class (its one member is a constant), which the "
                "Multiclass body does not describe; a model that always predicts that class "
                "needs no classifier",
            )
        if lb.y_type_ not in _Y_TYPES:
            raise refuse_save(est, f"its label_binarizer_.y_type_ is {lb.y_type_!r}; fit it again")
    if isinstance(est, OneVsOneClassifier) and est.pairwise_indices_ is not None:
        raise refuse_save(
            est,
            "its estimator reads a precomputed kernel (pairwise_indices_ is set: each member "
            "reads the columns of its pair's rows), which the Multiclass body does not "
            "describe",
        )
    fitted = [m for m in members if type(m) is not _ConstantPredictor]
    if not fitted:
        raise refuse_save(
            est,
            "every member is a constant (each label held one value in training), so the "
            "estimator param cannot be rebuilt from the body; fit it on data where a label "
            "varies",
        )
    for i, m in enumerate(members):
        # fit clones the estimator param for every member: the rebuild clones a member back
        if type(m) is not _ConstantPredictor and type(m) is not type(est.estimator):
            raise changed_after_fit(est, "estimator", f"estimators_[{i}]")
    _check_in_place(est, members, lambda why: refuse_save(est, why))
    return members


def _check_in_place(est: Any, members: list[Any], fail) -> None:
    """Every member reads the same X, one-vs-one's each twice (predict, then its score): a
    member that transforms X in place changes what the next reads (one member of a binary
    one-vs-rest model excepted)."""
    if isinstance(est, OneVsRestClassifier) and len(members) == 1:
        return
    for i, m in enumerate(members):
        if type(m) is not _ConstantPredictor and _in_place(m):
            raise fail(
                f"estimators_[{i}] transforms its input in place (copy=False), and every "
                "member reads the same array; set copy=True"
            )


def _constant(est: Any, member: Any, i: int) -> int:
    """A `_ConstantPredictor`'s label: `y_[0]`, a value its strategy fits members on."""
    y = getattr(member, "y_", None)
    allowed = (-1, 0, 1) if isinstance(est, OutputCodeClassifier) else (0, 1)
    if (
        not isinstance(y, np.ndarray)
        or y.shape != (1,)
        or y.dtype.kind not in "iub"
        or int(y[0]) not in allowed
    ):
        raise refuse_save(
            est,
            f"estimators_[{i}] is a _ConstantPredictor whose y_ is {y!r}, not one label of "
            f"{allowed}; fit it again",
        )
    return int(y[0])


def multiclass_to_proto(est: Any, msg: pb.Estimator, ctx: EncodeCtx) -> set[str]:
    members = _check_fitted(est)
    body = msg.multiclass
    body.strategy = _STRATEGIES[type(est)]
    body.classes.CopyFrom(_labels(est.classes_))
    refused = len(ctx.refusals)
    for i, member in enumerate(members):
        out = body.members.add()
        out.score = _score(member)
        if out.score == pb.BINARY_SCORE_CONSTANT:
            out.constant = _constant(est, member, i)
        else:
            out.estimator.CopyFrom(encode_estimator(member, ctx.child(f"estimators/{i}/")))
    if isinstance(est, OneVsRestClassifier):
        body.multilabel = est.label_binarizer_.y_type_ == "multilabel-indicator"
        body.ties = TIES
    if isinstance(est, OutputCodeClassifier):
        book = np.asarray(est.code_book_)
        if book.dtype != np.float64 or book.shape != (len(est.classes_), len(members)):
            raise refuse_save(
                est,
                f"its code_book_ is {book.dtype} {book.shape}, not float64 [n_classes, "
                f"n_estimators] ({len(est.classes_)}, {len(members)}); fit it again",
            )
        body.code_book = ctx.tensor("code_book", np.ascontiguousarray(book))
    else:
        body.threshold = float(_threshold_for_binary_predict(members[0]))
    # scikit-learn's n_features_in_ is one-vs-one's own, the other two's the first member's
    # (absent when that one has none); the body's is what every member reads.
    first = next(m.estimator for m in body.members if m.HasField("estimator"))
    width = _schema.input_width(first) or int(getattr(members[0], "n_features_in_", 0))
    msg.n_features_in = width
    if len(ctx.refusals) == refused:  # else the refused parts are placeholders
        _check_body(est, msg, ctx)
    return set(_CONSUMED)


def _check_body(est: Any, msg: pb.Estimator, ctx: EncodeCtx) -> None:
    """Rules 1-6 of section 23 on the fitted model, refused by name: a member whose score
    is not one number per row (a hard VotingClassifier has neither decision_function nor
    predict_proba, so scikit-learn's predict fails too), or whose classes are not the 0/1 it
    was fitted on."""
    infos = {t.name: pb.TensorInfo(name=t.name, dtype=t.dtype, shape=t.shape) for t in ctx.tensors}
    for i, m in enumerate(msg.multiclass.members):
        if m.score == pb.BINARY_SCORE_PROBA and not _tree._has_method(
            m.estimator, _tree.PREDICT_PROBA
        ):
            member = est.estimators_[i]
            raise refuse_save(
                est,
                f"estimators_[{i}] ({type_name(member)}) has neither decision_function nor "
                "predict_proba, one of which scikit-learn reads as a member's score (its "
                "predict fails too); use another estimator",
            )
    try:
        _tree._Checker(infos, None).estimator(msg, 1, "")
    except ModelError as e:
        raise refuse_save(est, f"the Multiclass body cannot hold it: {e.message}") from None


# ---------------------------------------------------------------------------- loading


def _constant_member(value: int, msg: pb.Estimator, names: bool) -> _ConstantPredictor:
    """What `_ConstantPredictor().fit(X, [value])` leaves: `y_`, `n_features_in_` and, for
    a composition fitted on named columns (whose members see them), `feature_names_in_`."""
    c = _ConstantPredictor()
    c.y_ = np.asarray([value], dtype=np.int64)
    c.n_features_in_ = int(msg.n_features_in)
    if names and msg.feature_names_in:
        c.feature_names_in_ = np.asarray(list(msg.feature_names_in), dtype=object)
    return c


def _label_binarizer(body: pb.Multiclass, classes: np.ndarray, name: str) -> LabelBinarizer:
    """`label_binarizer_` as fit leaves it: `LabelBinarizer(sparse_output=True)` fitted on
    the labels (a multilabel model's: an indicator of `L` columns). Its classes must be the
    body's: scikit-learn's are sorted, and `classes_` is them."""
    lb = LabelBinarizer(sparse_output=True)
    try:
        lb.fit(np.eye(len(classes), dtype=np.int64) if body.multilabel else classes)
    except ValueError as e:
        raise refuse(name, f"its classes are not labels a LabelBinarizer fits ({e})") from None
    if not (
        lb.classes_.shape == classes.shape
        and lb.classes_.dtype.kind == classes.dtype.kind
        and np.array_equal(lb.classes_, classes)
    ):
        raise refuse(
            name,
            f"its classes {classes.tolist()[:8]} are not sorted as the LabelBinarizer fit "
            "sorts them, which its classes_ are",
        )
    return lb


def _check_scores(body: pb.Multiclass, members: list[Any], name: str) -> None:
    """What scikit-learn derives from the rebuilt members is the body's: each member's score
    (`_predict_binary` asks it at every call) and, where a prediction thresholds, the
    threshold of `estimators_[0]`."""
    for i, (m, member) in enumerate(zip(body.members, members)):
        if _score(member) != m.score:
            raise refuse(
                name,
                f"members[{i}].score is {pb.BinaryScore.Name(m.score)}, and scikit-learn reads "
                f"{pb.BinaryScore.Name(_score(member))} of a {type_name(member)}",
            )
    if body.strategy != pb.MULTICLASS_STRATEGY_OUTPUT_CODE:
        want = float(_threshold_for_binary_predict(members[0]))
        if want != body.threshold:
            raise refuse(
                name,
                f"threshold is {body.threshold}, and scikit-learn thresholds estimators_[0] "
                f"({type_name(members[0])}) at {want}",
            )


def multiclass_from_proto(msg: pb.Estimator, ctx: DecodeCtx, cls: type) -> Any:
    body = msg.multiclass
    name = type_name(cls)
    if body.strategy != _STRATEGIES[cls]:
        raise refuse(
            name,
            f"its body's strategy is {pb.MulticlassStrategy.Name(body.strategy)}, not "
            f"{pb.MulticlassStrategy.Name(_STRATEGIES[cls])}",
        )
    # One-vs-one hands its members the validated numpy array: they have no names.
    names = cls is not OneVsOneClassifier
    members = [
        decode_estimator(m.estimator, ctx)
        if m.HasField("estimator")
        else _constant_member(int(m.constant), msg, names)
        for m in body.members
    ]
    fitted = [m for m in members if type(m) is not _ConstantPredictor]
    if not fitted:
        raise refuse(name, "every member is a constant, so the estimator param cannot be rebuilt")
    attrs = read_attributes(cls, msg, ctx, {})
    est = build(cls, msg, ctx, attrs, estimator=clone(fitted[0]))
    _check_scores(body, members, name)
    _check_in_place(est, members, lambda why: refuse(name, why))
    classes = _classes(body.classes)
    if cls is OneVsRestClassifier:
        est.label_binarizer_ = _label_binarizer(body, classes, name)
        est.classes_ = est.label_binarizer_.classes_
        est.estimators_ = members
    elif cls is OneVsOneClassifier:
        est.classes_ = classes
        est.estimators_ = tuple(members)
        est.pairwise_indices_ = None
    else:
        est.classes_ = classes
        est.estimators_ = members
        est.code_book_ = ctx.array(body.code_book)
    return est


# Every fitted attribute comes from the body: none is an attribute of the file.
for _cls, _producer in (
    (OneVsRestClassifier, "sklearn.multiclass.OneVsRestClassifier"),
    (OneVsOneClassifier, "sklearn.multiclass.OneVsOneClassifier"),
    (OutputCodeClassifier, "sklearn.multiclass.OutputCodeClassifier"),
):
    allow(_cls, {})
    register(
        _cls,
        _producer,
        "multiclass",
        multiclass_to_proto,
        lambda msg, ctx, cls=_cls: multiclass_from_proto(msg, ctx, cls),
    )
