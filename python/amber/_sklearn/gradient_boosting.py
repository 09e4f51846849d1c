"""GradientBoostingClassifier/Regressor <-> the `Boosting` body.

What scikit-learn computes (sklearn/ensemble/_gb.py `_raw_predict`, and
_gradient_boosting.pyx `predict_stages`, in 1.3.2 and 1.9.1 alike): X is cast to float32;
`raw` starts from the init estimator's output on that float32 X (`_raw_predict_init`), or
zeros for `init='zero'`; then for every stage i and column k in order, `raw[:, k] +=
learning_rate * tree_value`, where tree `estimators_[i, k]` (a DecisionTreeRegressor)
compares the float32 input with its float64 thresholds. What follows depends on the loss
object and the version:

- 1.9.1 (`_loss`, a `sklearn._loss.loss` object): predict is `raw >= 0` (binary) or the
  argmax of raw; predict_proba is `_loss.predict_proba(raw)` (expit, expit(2 raw), numpy
  softmax); the init's output becomes raw by `_init_raw_predictions`: probabilities clipped
  to [eps64, 1 - eps64], then `_loss.link.link` (scipy's logit, half of it, or
  `log(p / gmean(p))`).
- 1.3.2 (`_loss`, a `_gb_losses` object): predict is `_raw_prediction_to_decision` (argmax
  of the probabilities, `raw >= 0` for the exponential loss); predict_proba is
  `_raw_prediction_to_proba` (expit, expit(2 raw), `exp(raw - logsumexp(raw))`);
  `get_init_raw_predictions` clips to [eps32, 1 - eps32], then `log(p / (1 - p))`, half of
  it, or `log(p)`.

The body says which of these a reader computes (spec/estimators.md, "Boosting"). The
default init (a DummyClassifier/DummyRegressor fitted by `fit`) predicts a constant: its
raw values are computed here by scikit-learn itself and stored as `baseline`, and the
dummy's params and fitted attributes are kept as `init_/...` attributes to rebuild it. A
custom init estimator is stored as `init` when Amber can save it and run it exactly as
scikit-learn does on float32 input (linear models with float64 coefficients, trees,
forests, boosting, pipelines of those without transforming steps).

Loading rebuilds an object of the installed scikit-learn, whose own rules then decide
labels and probabilities. Where its init arithmetic would differ from the file's (a 1.3.2
file in 1.9.1: another clip bound, `log(p)` instead of `log(p / gmean(p))`), the loaded
object's loss computes the file's (`_FixedBaselineLink`, `_ProducerInitLink`, `_OldLossInit`),
so decision_function stays the file's.

What else scikit-learn needs to rebuild an identical object: the trees' shared params
(`estimators_/params`) and fitted attributes (`estimators_/<name>`), the state of `_rng` (the
RandomState every tree shares, which warm_start continues from). `inference_only` drops the
training statistics: the trees' node statistics, `train_score_`, `oob_*` and `_rng`.
"""

from __future__ import annotations

import copy
import functools
import math
import warnings
from typing import Any

import numpy as np
import sklearn
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.ensemble import GradientBoostingClassifier, GradientBoostingRegressor
from sklearn.tree import DecisionTreeRegressor

from .._errors import AmberError, AmberWarning, UnsupportedError
from .._proto.amber.v1 import amber_pb2 as pb
from ._common import (
    DecodeCtx,
    EncodeCtx,
    allow,
    array,
    boolean,
    build,
    decode_estimator,
    encode_estimator,
    encode_value,
    integer,
    number,
    params_of,
    read_attributes,
    record,
    refuse,
    register,
    same,
    string,
    type_name,
)
from .linear import _classes, _labels
from .tree import (
    _build_trees,
    _equal,
    _write_body,
    write_shared_tree_attributes,
)

PRODUCERS = {
    "sklearn.ensemble.GradientBoostingClassifier": GradientBoostingClassifier,
    "sklearn.ensemble.GradientBoostingRegressor": GradientBoostingRegressor,
}
_DUMMIES = {
    "sklearn.dummy.DummyClassifier": DummyClassifier,
    "sklearn.dummy.DummyRegressor": DummyRegressor,
}
#: Attribute-name prefixes: what the trees share (as for forests), the default init.
_PER_TREE = "estimators_/"
_TREE_PARAMS = _PER_TREE + "params"
_INIT = "init_/"
_INIT_TYPE = _INIT + "producer_type"
_INIT_PARAMS = _INIT + "params"
#: The RandomState the trees share (`_rng`), as `RandomState.get_state()`.
_RNG = "_rng"
#: Training statistics, left out of inference-only files.
_TRAINING = ("train_score_", "oob_improvement_", "oob_scores_", "oob_score_")
#: The clip bounds of the init links: scikit-learn >= 1.4 and < 1.4.
EPS64 = float(np.finfo(np.float64).eps)
EPS32 = float(np.finfo(np.float32).eps)
_PROBA_INIT_LINKS = {
    pb.BOOSTING_INIT_LINK_LOGIT,
    pb.BOOSTING_INIT_LINK_HALF_LOGIT,
    pb.BOOSTING_INIT_LINK_LOG,
    pb.BOOSTING_INIT_LINK_SYMMETRIC_LOG,
    pb.BOOSTING_INIT_LINK_LOGIT_LOG1P,
    pb.BOOSTING_INIT_LINK_HALF_LOGIT_LOG1P,
}
_BINARY_INIT_LINKS = {
    pb.BOOSTING_INIT_LINK_LOGIT,
    pb.BOOSTING_INIT_LINK_HALF_LOGIT,
    pb.BOOSTING_INIT_LINK_LOGIT_LOG1P,
    pb.BOOSTING_INIT_LINK_HALF_LOGIT_LOG1P,
}


# ---------------------------------------------------------------------------- the math


def _logit_log1p(q: float) -> float:
    """scipy >= 1.15's `special.logit` (xsf `logit`), with the C library's log and log1p."""
    if not 0.0 < q < 1.0:  # scipy: logit(0) = -inf, logit(1) = inf, NaN outside [0, 1]
        return -math.inf if q == 0.0 else math.inf if q == 1.0 else math.nan
    if q < 0.3 or q > 0.65:
        return math.log(q / (1 - q))
    s = 2 * (q - 0.5)
    return math.log1p(s) - math.log1p(-s)


@functools.lru_cache(maxsize=1)
def _scipy_logit() -> int | None:
    """The init link scipy's `special.logit` computes: LOGIT_LOG1P (scipy >= 1.15), LOGIT
    (older: `log(q / (1 - q))`), or None when it computes neither bit for bit."""
    from scipy.special import logit

    qs = np.concatenate(
        (np.linspace(0.29, 0.66, 3701), [1e-12, 0.01, 0.1, 0.2, 0.7, 0.9, 0.99, 1 - 1e-12])
    )
    got = logit(qs)
    log1p = np.array([_logit_log1p(q) for q in qs])
    plain = np.array([math.log(q / (1 - q)) for q in qs])
    if np.array_equal(got, log1p):
        return pb.BOOSTING_INIT_LINK_LOGIT_LOG1P
    if np.array_equal(got, plain):
        return pb.BOOSTING_INIT_LINK_LOGIT
    return None


def init_raw(init_link: int, eps: float, output: np.ndarray) -> np.ndarray:
    """The raw values [n, K] that `init_link` makes of an init estimator's output, with
    numpy, as the producing scikit-learn does (spec/estimators.md, "Boosting")."""
    if init_link == pb.BOOSTING_INIT_LINK_PREDICT:
        return np.asarray(output).astype(np.float64).reshape(output.shape[0], -1)
    p = np.asarray(output, dtype=np.float64)
    if init_link in _BINARY_INIT_LINKS:
        p = p[:, 1]
    q = np.clip(p, eps, 1 - eps)
    if init_link in (pb.BOOSTING_INIT_LINK_LOGIT, pb.BOOSTING_INIT_LINK_HALF_LOGIT):
        raw = np.log(q / (1 - q))
    elif init_link in (pb.BOOSTING_INIT_LINK_LOGIT_LOG1P, pb.BOOSTING_INIT_LINK_HALF_LOGIT_LOG1P):
        raw = np.array([_logit_log1p(float(v)) for v in q], dtype=np.float64)
    elif init_link == pb.BOOSTING_INIT_LINK_LOG:
        return np.log(q)
    elif init_link == pb.BOOSTING_INIT_LINK_SYMMETRIC_LOG:
        gmean = np.exp(np.mean(np.log(q), axis=1))
        return np.log(q / gmean[:, None])
    else:
        raise AmberError("E_MODEL", f"unknown init_link {init_link}")
    if init_link in (pb.BOOSTING_INIT_LINK_HALF_LOGIT, pb.BOOSTING_INIT_LINK_HALF_LOGIT_LOG1P):
        raw = 0.5 * raw
    return raw.reshape(-1, 1)


# ---------------------------------------------------------------------------- loss objects


def _new_loss_module():
    """`sklearn._loss.loss` when GradientBoosting uses it (scikit-learn >= 1.4), else None."""
    try:
        from sklearn.ensemble import _gb
    except ImportError:  # pragma: no cover
        return None
    if not hasattr(_gb, "_init_raw_predictions"):
        return None
    from sklearn._loss import loss

    return loss


def _old_loss_module():
    try:
        from sklearn.ensemble import _gb_losses
    except ImportError:
        return None
    return _gb_losses


def _unwrap(loss: Any) -> Any:
    return loss.inner if isinstance(loss, _OldLossInit) else loss


@functools.cache
def _preclip_bound() -> float:
    """The bound the installed `_init_raw_predictions` (ensemble/_gb.py, 1.4+) clips an init's
    probabilities to before any link: float32's epsilon in 1.4 to 1.7, float64's from 1.8.
    Measured by calling it on an init whose probability is 0."""
    from sklearn.ensemble import _gb

    class _Zero:
        def predict_proba(self, X: Any) -> np.ndarray:
            return np.array([[1.0, 0.0]])

    class _Identity:
        is_multiclass = False

        class link:
            @staticmethod
            def link(p: Any) -> np.ndarray:
                return np.asarray(p, dtype=np.float64)

    return float(_gb._init_raw_predictions(np.zeros((1, 1)), _Zero(), _Identity(), True)[0, 0])


def _semantics(est: Any) -> tuple[int, int, int, float]:
    """(link, decision, the init link of a custom init, its clip bound) of `est`'s loss."""
    loss = _unwrap(getattr(est, "_loss", None))
    new, old = _new_loss_module(), _old_loss_module()
    regression = (pb.BOOSTING_LINK_IDENTITY, pb.BOOSTING_DECISION_UNSPECIFIED)
    if new is not None and isinstance(loss, new.BaseLoss):
        link: tuple[int, int]
        if type(loss) in (new.HalfSquaredError, new.AbsoluteError, new.PinballLoss, new.HuberLoss):
            link, init = regression, pb.BOOSTING_INIT_LINK_PREDICT
        elif type(loss) is new.HalfBinomialLoss:
            link = (pb.BOOSTING_LINK_LOGISTIC, pb.BOOSTING_DECISION_RAW_AT_LEAST_ZERO)
            init = _scipy_logit() or pb.BOOSTING_INIT_LINK_UNSPECIFIED
        elif type(loss) is new.ExponentialLoss:
            link = (pb.BOOSTING_LINK_HALF_LOGISTIC, pb.BOOSTING_DECISION_RAW_AT_LEAST_ZERO)
            half = {
                pb.BOOSTING_INIT_LINK_LOGIT: pb.BOOSTING_INIT_LINK_HALF_LOGIT,
                pb.BOOSTING_INIT_LINK_LOGIT_LOG1P: pb.BOOSTING_INIT_LINK_HALF_LOGIT_LOG1P,
            }
            init = half.get(_scipy_logit() or 0, pb.BOOSTING_INIT_LINK_UNSPECIFIED)
        elif type(loss) is new.HalfMultinomialLoss:
            link = (pb.BOOSTING_LINK_SOFTMAX, pb.BOOSTING_DECISION_RAW_AT_LEAST_ZERO)
            init = pb.BOOSTING_INIT_LINK_SYMMETRIC_LOG
        else:
            raise UnsupportedError(f"cannot save a {type_name(est)} with loss {type(loss)}")
        eps = _preclip_bound() if init != pb.BOOSTING_INIT_LINK_PREDICT else 0.0
        override = getattr(loss.link, "amber_init", None)
        if override is not None:
            init, eps = override
        return (*link, init, eps)
    if old is not None and isinstance(loss, old.LossFunction):
        table = {
            old.LeastSquaresError: (*regression, pb.BOOSTING_INIT_LINK_PREDICT),
            old.LeastAbsoluteError: (*regression, pb.BOOSTING_INIT_LINK_PREDICT),
            old.HuberLossFunction: (*regression, pb.BOOSTING_INIT_LINK_PREDICT),
            old.QuantileLossFunction: (*regression, pb.BOOSTING_INIT_LINK_PREDICT),
            old.BinomialDeviance: (
                pb.BOOSTING_LINK_LOGISTIC,
                pb.BOOSTING_DECISION_PROBA_ARGMAX,
                pb.BOOSTING_INIT_LINK_LOGIT,
            ),
            old.ExponentialLoss: (
                pb.BOOSTING_LINK_HALF_LOGISTIC,
                pb.BOOSTING_DECISION_RAW_AT_LEAST_ZERO,
                pb.BOOSTING_INIT_LINK_HALF_LOGIT,
            ),
            old.MultinomialDeviance: (
                pb.BOOSTING_LINK_LOGSUMEXP,
                pb.BOOSTING_DECISION_PROBA_ARGMAX,
                pb.BOOSTING_INIT_LINK_LOG,
            ),
        }
        entry = table.get(type(loss))
        if entry is None:
            raise UnsupportedError(f"cannot save a {type_name(est)} with loss {type(loss)}")
        eps = EPS32 if entry[2] != pb.BOOSTING_INIT_LINK_PREDICT else 0.0
        wrapper = getattr(est, "_loss", None)
        if isinstance(wrapper, _OldLossInit) and wrapper.amber_init is not None:
            return (entry[0], entry[1], *wrapper.amber_init)
        return (*entry, eps)
    raise UnsupportedError(f"cannot save a {type_name(est)} without a fitted loss (_loss)")


class _FixedBaselineLink:
    """A link whose `link` gives a stored baseline: installed at load on a model whose init
    is a constant dummy when the installed scikit-learn would compute other raw values from
    it than the producing one did (another clip bound or formula). Everything else is the
    wrapped link's."""

    def __init__(self, inner: Any, baseline: np.ndarray) -> None:
        self.inner = inner
        self.amber_baseline = np.array(baseline, dtype=np.float64)

    def link(self, y_pred: Any) -> np.ndarray:
        y_pred = np.asarray(y_pred)
        out = np.empty(y_pred.shape, dtype=np.float64)
        out[...] = self.amber_baseline if y_pred.ndim == 2 else self.amber_baseline[0]
        return out

    def __getattr__(self, name: str) -> Any:
        if name == "inner":  # not set yet (copy, pickle): no recursion
            raise AttributeError(name)
        return getattr(self.inner, name)


class _ProducerInitLink:
    """A link whose `link` is the file's init link (`init_raw`), installed at load when the
    installed scikit-learn's would differ. Everything else is the wrapped link's."""

    def __init__(self, inner: Any, init_link: int, eps: float) -> None:
        self.inner = inner
        self.amber_init = (init_link, eps)

    def link(self, y_pred: Any) -> np.ndarray:
        init_link, eps = self.amber_init
        y_pred = np.asarray(y_pred, dtype=np.float64)
        # `_init_raw_predictions` has taken column 1 of a binary init's probabilities and
        # clipped them to [eps64, 1 - eps64], which a wider bound makes no difference to.
        if init_link in _BINARY_INIT_LINKS:
            return init_raw(init_link, eps, np.column_stack([1 - y_pred, y_pred])).ravel()
        return init_raw(init_link, eps, y_pred)

    def __getattr__(self, name: str) -> Any:
        if name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)


class _OldLossInit:
    """A scikit-learn < 1.4 loss (`_gb_losses`) whose `get_init_raw_predictions` gives a
    stored baseline or computes the file's init link; everything else is the wrapped loss's."""

    def __init__(self, inner: Any, baseline: np.ndarray | None, init: tuple | None) -> None:
        self.inner = inner
        self.amber_baseline = None if baseline is None else np.array(baseline, np.float64)
        self.amber_init = init

    def get_init_raw_predictions(self, X: Any, estimator: Any) -> np.ndarray:
        if self.amber_baseline is not None:
            return np.tile(self.amber_baseline, (X.shape[0], 1))
        init_link, eps = self.amber_init  # type: ignore[misc]
        if init_link == pb.BOOSTING_INIT_LINK_PREDICT:
            return init_raw(init_link, eps, estimator.predict(X))
        return init_raw(init_link, eps, estimator.predict_proba(X))

    def __getattr__(self, name: str) -> Any:
        if name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)


def _stock_loss(est: Any) -> Any:
    """The loss object the installed scikit-learn's `fit` gives `est`."""
    if _new_loss_module() is not None:
        # `fit` passes `_check_sample_weight(...)`, an array even without weights (which
        # makes `constant_hessian` False).
        return est._get_loss(sample_weight=np.ones(1))
    old = _old_loss_module()
    classifier = isinstance(est, GradientBoostingClassifier)
    if est.loss == "log_loss":
        cls = old.MultinomialDeviance if est.n_classes_ > 2 else old.BinomialDeviance
    else:
        cls = old.LOSS_FUNCTIONS[est.loss]
    if classifier:
        return cls(est.n_classes_)
    if est.loss in ("huber", "quantile"):
        return cls(est.alpha)
    return cls()


# ---------------------------------------------------------------------------- saving


def _zero_row(est: Any) -> np.ndarray:
    return np.zeros((1, int(est.n_features_in_)), dtype=np.float32)


def _baseline(est: Any) -> np.ndarray:
    """The raw values of a constant init, as the producing scikit-learn computes them."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        raw = est._raw_predict_init(_zero_row(est))
    return np.array(raw[0], dtype=np.float64)


def _constant_dummy(init: Any) -> bool:
    if type(init) is DummyRegressor:
        return True
    return type(init) is DummyClassifier and init.strategy != "stratified"


def _check_init_body(est: Any, init: Any, child: pb.Estimator) -> None:
    """Refuse init estimators whose outputs on float32 input a body cannot reproduce."""
    body = child.WhichOneof("body")
    if body == "pipeline":
        steps = child.pipeline.steps
        if any(s.HasField("estimator") for s in steps[:-1]):
            raise UnsupportedError(
                f"cannot save this {type_name(est)}: its init estimator {type_name(init)} is a "
                "pipeline with transforming steps, which scikit-learn runs on float32 input "
                "and whose float32 outputs a Boosting body cannot reproduce"
            )
        if steps and steps[-1].HasField("estimator"):
            _check_init_body(est, init, steps[-1].estimator)
        return
    if body not in ("linear", "tree_ensemble", "boosting"):
        raise UnsupportedError(
            f"cannot save this {type_name(est)}: its init estimator {type_name(init)} "
            f"({body} body) cannot be run on float32 input as scikit-learn runs it"
        )


def _encode_init(est: Any, init: Any, ctx: EncodeCtx) -> pb.Estimator:
    before = len(ctx.refusals)
    child = encode_estimator(init, ctx.child("init/"))
    if len(ctx.refusals) > before:
        # The init's own refusals, said once as this estimator's (with why it happens).
        reasons = [why for _, why in ctx.refusals[before:]]
        del ctx.refusals[before:]
        hint = ""
        coef = getattr(init, "coef_", None)
        if isinstance(coef, np.ndarray) and coef.dtype == np.float32:
            hint = (
                " (GradientBoosting fits its init on float32 input, so this linear model "
                "has float32 coefficients and computes in float32)"
            )
        raise UnsupportedError(
            f"cannot save this {type_name(est)}: its init estimator {type_name(init)} cannot "
            f"be saved{hint}: {'; '.join(reasons)}"
        )
    _check_init_body(est, init, child)
    return child


def _tree_extras(est: Any, trees: list[Any], msg: pb.Estimator, ctx: EncodeCtx) -> None:
    """The trees' shared params and fitted attributes, and their shared RandomState."""
    first = trees[0].get_params(deep=False)
    rng = first.pop("random_state")
    for i, t in enumerate(trees):
        params = t.get_params(deep=False)
        state = params.pop("random_state")
        if type(t) is not DecisionTreeRegressor or not _equal(params, first):
            raise UnsupportedError(
                f"tree {i} of this {type_name(est)} is not a DecisionTreeRegressor with the "
                "params of the others"
            )
        if state is not rng:
            raise UnsupportedError(
                f"the trees of this {type_name(est)} do not share one random state (_rng)"
            )
    msg.attributes.add(
        name=_TREE_PARAMS, value=encode_value(first, f"attributes/{_TREE_PARAMS}", ctx)
    )
    write_shared_tree_attributes(est, trees, msg, ctx, any_order=True)
    if not ctx.inference_only and isinstance(rng, np.random.RandomState):
        msg.attributes.add(
            name=_RNG, value=encode_value(rng.get_state(), f"attributes/{_RNG}", ctx)
        )


def _dummy_extras(init: Any, msg: pb.Estimator, ctx: EncodeCtx) -> None:
    """The default init's class, params and every attribute (`init_/...`) to rebuild it."""
    msg.attributes.add(name=_INIT_TYPE, value=encode_value(type_name(init), _INIT_TYPE, ctx))
    params = init.get_params(deep=False)
    msg.attributes.add(
        name=_INIT_PARAMS, value=encode_value(params, f"attributes/{_INIT_PARAMS}", ctx)
    )
    for name, value in sorted(vars(init).items()):
        if name not in params:
            full = _INIT + name
            msg.attributes.add(name=full, value=encode_value(value, f"attributes/{full}", ctx))


def gb_to_proto(est: Any, msg: pb.Estimator, ctx: EncodeCtx) -> set[str]:
    estimators = getattr(est, "estimators_", None)
    if not isinstance(estimators, np.ndarray) or estimators.ndim != 2 or estimators.size == 0:
        raise UnsupportedError(f"cannot save an unfitted {type_name(est)}")
    trees = list(estimators.ravel())  # stage after stage, each stage's columns in order
    if any(type(t) is not DecisionTreeRegressor or not hasattr(t, "tree_") for t in trees):
        raise UnsupportedError(f"the estimators_ of this {type_name(est)} are not fitted trees")
    body = msg.boosting
    _write_body(trees[0], trees, body.trees, ctx)
    k = estimators.shape[1]
    body.n_columns = k
    body.scale = float(est.learning_rate)
    link, decision, init_link, eps = _semantics(est)
    body.link = link
    body.decision = decision
    # A C-ordered raw array started from the baseline, rows summed pairwise (spec 7.2).
    body.raw_scores = pb.BOOSTING_RAW_SCORES_STAGED
    consumed = {"estimators_", "init_", "init", "classes_"}
    if isinstance(est, GradientBoostingClassifier):
        body.classes.CopyFrom(_labels(est.classes_))
    init, param = est.init_, est.init
    if isinstance(init, str):
        if init != "zero":
            raise UnsupportedError(f"cannot save a {type_name(est)} with init_ {init!r}")
        body.baseline = ctx.tensor("baseline", np.zeros(k, dtype=np.float64))
    elif _constant_dummy(init):
        body.baseline = ctx.tensor("baseline", _baseline(est))
        _dummy_extras(init, msg, ctx)
    else:
        if init_link == pb.BOOSTING_INIT_LINK_UNSPECIFIED:
            raise UnsupportedError(
                f"cannot save this {type_name(est)} with a custom init: this SciPy's "
                "special.logit computes neither formula the format knows"
            )
        body.init.CopyFrom(_encode_init(est, init, ctx))
        body.init_link = init_link
        body.init_eps = eps
    # The `init` param: None or 'zero' as a param; an estimator is init_ itself (fit sets
    # `init_ = init`), restored from the body or the init_/ attributes.
    if param is None or isinstance(param, str):
        msg.params.add(name="init", value=encode_value(param, "params/init", ctx))
    elif param is not init:
        raise UnsupportedError(f"this {type_name(est)}'s init_ is not its init param")
    _tree_extras(est, trees, msg, ctx)
    if ctx.inference_only:
        consumed.update(_TRAINING)
    return consumed


# ---------------------------------------------------------------------------- loading


def _class_for(msg: pb.Estimator, classifier: bool) -> type:
    """The producer's class, which must fit the body (E_PROVENANCE otherwise)."""
    cls = PRODUCERS[msg.producer_type]
    if (cls is GradientBoostingClassifier) != classifier:
        raise refuse(
            msg.producer_type,
            "a regressor cannot have a body with classes"
            if classifier
            else "a classifier needs a body with classes",
        )
    return cls


def _facts(msg: pb.Estimator, ctx: DecodeCtx, classifier: bool) -> dict[str, Any]:
    b = msg.boosting
    k = int(b.n_columns)
    n_trees = int(ctx.view(b.trees.tree_offsets).shape[0]) - 1
    n_classes = len(_classes(b.classes)) if classifier else 0
    return {
        "n_features": int(msg.n_features_in),
        "k": k,
        "n_stages": n_trees // max(k, 1),
        "n_outputs": 1,
        "n_classes": n_classes,
        "dummy": "sklearn.dummy.DummyClassifier" if classifier else "sklearn.dummy.DummyRegressor",
    }


#: The fitted attributes a constant dummy's predict/predict_proba read (sklearn/dummy.py).
_DUMMY_NEEDS = {
    DummyClassifier: ("_strategy", "classes_", "n_classes_", "class_prior_", "n_outputs_"),
    DummyRegressor: ("constant_", "n_outputs_"),
}


def _dummy(special: dict[str, Any]) -> Any:
    """The default init (a constant dummy) from its checked `init_/...` attributes."""
    cls = _DUMMIES[special[_INIT_TYPE]]
    missing = [n for n in _DUMMY_NEEDS[cls] if _INIT + n not in special]
    if missing:
        raise refuse(
            special[_INIT_TYPE], f"the init_ dummy lacks {', '.join(_INIT + n for n in missing)}"
        )
    dummy = cls(**(special.get(_INIT_PARAMS) or {}))
    for name, value in special.items():
        if name.startswith(_INIT) and name not in (_INIT_TYPE, _INIT_PARAMS):
            setattr(dummy, name[len(_INIT) :], value)
    return dummy


def _foreign_dummy(est: Any, k: int) -> Any:
    """A constant init for a body without the dummy's attributes (another producer): its
    output is replaced by the baseline anyway (`_FixedBaselineLink`)."""
    n = int(est.n_features_in_)
    if isinstance(est, GradientBoostingClassifier):
        m = len(est.classes_)
        dummy = DummyClassifier(strategy="prior")
        dummy.classes_ = np.arange(m, dtype=np.float64)
        dummy.n_classes_ = m
        dummy.class_prior_ = np.full(m, 1.0 / m)
        dummy._strategy = "prior"
        dummy.sparse_output_ = False
    else:
        dummy = DummyRegressor(strategy="mean")
        dummy.constant_ = np.zeros((1, 1))
    dummy.n_outputs_ = 1
    dummy.n_features_in_ = n
    return dummy


def _rebuild_trees(
    est: Any, msg: pb.Estimator, ctx: DecodeCtx, special: dict[str, Any], k: int
) -> np.ndarray:
    body = msg.boosting
    fake = pb.Estimator(n_features_in=msg.n_features_in)
    fake.tree_ensemble.CopyFrom(body.trees)
    trees = _build_trees(fake, ctx, np.ones(1, dtype=np.intp))
    if len(trees) % k:
        raise AmberError("E_MODEL", f"{len(trees)} trees do not fill stages of {k}")
    params = {
        name: value
        for name, value in (special.get(_TREE_PARAMS) or {}).items()
        if name != "random_state" and name in _TREE_PARAM_NAMES  # (not other versions')
    }
    with warnings.catch_warnings():
        # A file from scikit-learn < 1.4 names criterion 'friedman_mse', which later versions
        # map to 'squared_error' (the same splits) with a FutureWarning.
        warnings.simplefilter("ignore", FutureWarning)
        blank = DecisionTreeRegressor(**params)
    state = special.get(_RNG)
    seed = est.random_state if isinstance(est.random_state, int) else None
    rng = np.random.RandomState(seed)
    if state is not None:
        rng.set_state(state)
    est._rng = rng
    # What GradientBoosting's trees hold, then the file's (checked: n_features_in_ and
    # n_outputs_ equal the body's).
    shared = {"n_features_in_": int(msg.n_features_in), "n_outputs_": 1}
    shared.update(
        (name[len(_PER_TREE) :], value)
        for name, value in special.items()
        if name.startswith(_PER_TREE) and name != _TREE_PARAMS
    )
    # Each tree's attributes: the blank's params (shared objects, as `_fit_stage` passes the
    # same param values to every tree), the shared RandomState, the fitted attributes (a
    # copy each) and its tree_. Filling __dict__ costs a fraction of a deepcopy per tree.
    state = {**vars(blank), "random_state": rng}
    out = np.empty((len(trees) // k, k), dtype=object)
    for t, tree in enumerate(trees):
        r = DecisionTreeRegressor.__new__(DecisionTreeRegressor)
        r.__dict__.update(state)
        for name, value in shared.items():
            setattr(r, name, copy.deepcopy(value))
        r.tree_ = tree
        out[t // k, t % k] = r
    return out


def _match_init(est: Any, body: pb.Boosting, ctx: DecodeCtx) -> None:
    """Give `est` the installed scikit-learn's loss, computing the file's init arithmetic."""
    est._loss = _stock_loss(est)
    new = _new_loss_module() is not None
    if body.baseline:
        want = np.array(ctx.array(body.baseline), dtype=np.float64)
        if isinstance(est.init_, str):
            if np.any(want != 0.0) or np.any(np.signbit(want)):
                raise AmberError("E_PROVENANCE", "init='zero' with a non-zero baseline")
            return
        got = _baseline(est)
        if got.tobytes() == want.tobytes():
            return
        if new:
            est._loss.link = _FixedBaselineLink(est._loss.link, want)
        else:
            est._loss = _OldLossInit(est._loss, want, None)
        return
    link, _, stock, eps = _semantics(est)
    if (stock, eps) == (body.init_link, body.init_eps):
        return
    regression = link == pb.BOOSTING_LINK_IDENTITY
    if regression != (body.init_link == pb.BOOSTING_INIT_LINK_PREDICT):
        raise AmberError(
            "E_PROVENANCE",
            f"init_link {pb.BoostingInitLink.Name(body.init_link)} does not fit this model",
        )
    if new:
        bound = _preclip_bound()
        if body.init_link != pb.BOOSTING_INIT_LINK_PREDICT and body.init_eps < EPS64:
            # No scikit-learn clips narrower than float64's epsilon.
            raise refuse(
                type_name(est),
                f"the body's init_eps {body.init_eps!r} is below the bound {EPS64!r} that every "
                "scikit-learn clips the init's probabilities to first",
            )
        if (
            body.init_link != pb.BOOSTING_INIT_LINK_PREDICT
            and body.init_eps < bound
            and not _tree_init_inside(est.init_, bound)
        ):
            # `_init_raw_predictions` (_gb.py) clips the init's probabilities to [bound,
            # 1 - bound] before any link sees them: a narrower bound cannot be computed.
            raise AmberError(
                "E_UNSUPPORTED",
                f"{type_name(est)}: its init's probabilities were clipped to "
                f"[{body.init_eps!r}, 1 - {body.init_eps!r}] by the scikit-learn that saved it; "
                f"this scikit-learn ({sklearn.__version__}) clips them to [{bound!r}, 1 - "
                f"{bound!r}] first, so where the init predicts a probability outside that "
                "range the reloaded model would differ. Load it with scikit-learn >= 1.8, or "
                "predict from the file with the Rust reader (amber predict), which computes "
                "the saver's bound",
            )
        est._loss.link = _ProducerInitLink(est._loss.link, body.init_link, body.init_eps)
    else:
        est._loss = _OldLossInit(est._loss, None, (body.init_link, body.init_eps))


def _tree_init_inside(init: Any, bound: float) -> bool:
    """Whether `init` is a DecisionTreeClassifier every leaf of which predicts probabilities
    inside [bound, 1 - bound]: then no clip to `bound` or below changes its output."""
    from sklearn.tree import DecisionTreeClassifier

    if type(init) is not DecisionTreeClassifier:
        return False
    tree = init.tree_
    values = np.asarray(tree.value, dtype=np.float64)[tree.children_left == -1]
    totals = values.sum(axis=-1, keepdims=True)
    proba = np.divide(values, totals, out=np.zeros_like(values), where=totals > 0)
    return bool(np.all((proba >= bound) & (proba <= 1 - bound)))


_LOSS_OF_LINK = {
    pb.BOOSTING_LINK_LOGISTIC: "log_loss",
    pb.BOOSTING_LINK_SOFTMAX: "log_loss",
    pb.BOOSTING_LINK_LOGSUMEXP: "log_loss",
    pb.BOOSTING_LINK_HALF_LOGISTIC: "exponential",
}


def gb_from_proto(msg: pb.Estimator, ctx: DecodeCtx) -> Any:
    body = msg.boosting
    if body.trees.input != pb.TREE_INPUT_F32 or body.trees.categories:
        raise AmberError(
            "E_PROVENANCE",
            "GradientBoosting trees compare float32 inputs and have no categorical splits",
        )
    if body.raw_scores == pb.BOOSTING_RAW_SCORES_HISTOGRAM:
        # UNSPECIFIED (files before the field) and STAGED are GradientBoosting's arithmetic.
        raise AmberError(
            "E_PROVENANCE",
            "raw_scores HISTOGRAM is HistGradientBoosting's arithmetic, not GradientBoosting's",
        )
    classifier = body.HasField("classes")
    if body.link not in _LOSS_OF_LINK and not (
        body.link == pb.BOOSTING_LINK_IDENTITY and not classifier
    ):
        raise AmberError(
            "E_PROVENANCE",
            f"GradientBoosting has no link {pb.BoostingLink.Name(body.link)}",
        )
    cls = _class_for(msg, classifier)
    k = int(body.n_columns)
    special = read_attributes(cls, msg, ctx, _facts(msg, ctx, classifier))
    init_est = decode_estimator(body.init, ctx) if body.HasField("init") else None
    dummy = _dummy(special) if _INIT_TYPE in special else None
    if dummy is not None and init_est is not None:
        raise refuse(type_name(cls), "the file has both an init estimator and init_ attributes")
    extra = {}
    if not any(p.name == "init" for p in msg.params):
        extra["init"] = init_est if init_est is not None else dummy
    est = build(cls, msg, ctx, special, **extra)
    if float(est.learning_rate) != body.scale:
        est.learning_rate = body.scale
    if classifier:
        est.classes_ = _classes(body.classes)
        est.n_classes_ = len(est.classes_)
        if est.loss != _LOSS_OF_LINK[body.link]:
            est.loss = _LOSS_OF_LINK[body.link]
        if _new_loss_module() is None:
            est._n_classes = est.n_classes_
    est.estimators_ = _rebuild_trees(est, msg, ctx, special, k)
    est.n_estimators_ = est.estimators_.shape[0]
    if _new_loss_module() is not None:
        est.n_trees_per_iteration_ = k
    if not hasattr(est, "max_features_"):
        est.max_features_ = int(msg.n_features_in)
    if init_est is not None:
        est.init_ = init_est
    elif dummy is not None:
        est.init_ = dummy
    elif est.init == "zero":
        est.init_ = "zero"
    else:
        est.init_ = _foreign_dummy(est, k)
    _match_init(est, body, ctx)
    _check_init_output(est, k)
    t = body.trees
    missing = [
        f for f in ("impurity", "n_node_samples", "weighted_n_node_samples") if not getattr(t, f)
    ]
    if missing or not t.values_for_every_node or _RNG not in special:
        warnings.warn(
            f"{type_name(est)} was saved without training statistics (inference-only): its "
            "trees' node statistics are 0 or NaN, and train_score_, oob_* and the random "
            "state of a warm start are not restored; predictions are exact",
            AmberWarning,
            stacklevel=3,
        )
    return est


def _check_init_output(est: Any, k: int) -> None:
    """One truth for the raw scores' width: scikit-learn's `predict_stages` (Cython) adds
    each stage's k trees into an [n, k] array that the init estimator's output makes; any
    other shape would be written out of bounds."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = est._raw_predict_init(_zero_row(est))
    if not isinstance(raw, np.ndarray) or raw.shape != (1, k) or raw.dtype != np.float64:
        raise refuse(
            type_name(est),
            f"its init estimator starts raw scores of shape {np.shape(raw)}, the body has {k} "
            "columns",
        )


# ---------------------------------------------------------------------------- allow-lists

_RNG_RULE = record(
    string("MT19937"),
    array("u", (624,)),
    integer(0, 624),
    integer(0, 1),
    number(),
)
_PER_STAGE = array("f", ("n_stages",))
_TREE_PARAM_NAMES = frozenset(DecisionTreeRegressor._get_param_names())
#: What the writer leaves as attributes (scikit-learn 1.3.2 .. 1.9.1): training
#: diagnostics, the counts predictions read (equal to the body's), the trees' shared params
#: and attributes, their RandomState, and the default init's class, params and attributes.
_GB_ATTRIBUTES = {
    "max_features_": integer(1, "n_features"),
    "n_estimators_": same("n_stages", integer(1)),
    "n_trees_per_iteration_": same("k", integer(1)),
    "train_score_": _PER_STAGE,
    "oob_improvement_": _PER_STAGE,
    "oob_scores_": _PER_STAGE,
    "oob_score_": number(finite=False),
    _RNG: _RNG_RULE,
    # scikit-learn < 1.4 fitted its trees with criterion "friedman_mse", which later versions
    # no longer list (and map to "squared_error", the same splits).
    _TREE_PARAMS: params_of(DecisionTreeRegressor, {"criterion": string("friedman_mse")}),
    _PER_TREE + "max_features_": integer(1, "n_features", scalar=True),
    _PER_TREE + "n_features_in_": same("n_features", integer(1, scalar=True)),
    _PER_TREE + "n_outputs_": same("n_outputs", integer(1, scalar=True)),
    _INIT_TYPE: same("dummy", string(*_DUMMIES)),
    _INIT + "n_features_in_": same("n_features", integer(1, scalar=True)),
    _INIT + "n_outputs_": same("n_outputs", integer(1, scalar=True)),
}
_GB_CLASSIFIER = {
    "n_classes_": same("n_classes", integer(2)),
    _INIT_PARAMS: params_of(DummyClassifier),
    # The constant strategies (fit's default init is "prior"; the writer refuses stratified).
    _INIT + "_strategy": string("prior", "most_frequent", "uniform", "constant"),
    _INIT + "class_prior_": array("f", ("n_classes",), finite=True),
    _INIT + "classes_": array("iuf", ("n_classes",)),
    _INIT + "n_classes_": same("n_classes", integer(2, scalar=True)),
    _INIT + "sparse_output_": boolean,
    _INIT + "output_2d_": boolean,
}
_GB_REGRESSOR = {
    _INIT_PARAMS: params_of(DummyRegressor),
    _INIT + "constant_": array("f", (1, 1), finite=True),
}

for _name, _cls in PRODUCERS.items():
    register(_cls, _name, "boosting", gb_to_proto, gb_from_proto)
    _clf = _cls is GradientBoostingClassifier
    allow(_cls, {**_GB_ATTRIBUTES, **(_GB_CLASSIFIER if _clf else _GB_REGRESSOR)})
