"""GridSearchCV, RandomizedSearchCV and the halving searches <-> a `Pipeline` body of one step,
`best_estimator_` (spec/sklearn.md, "Searches").

A fitted search predicts with its refitted `best_estimator_` (sklearn/model_selection/
_search.py, `BaseSearchCV.predict` and the other methods delegate to it), and a pipeline of
one step adds no arithmetic (spec/estimators.md section 4): so the body is that pipeline and
every reader predicts with the best estimator. The rest is the search's provenance, rebuilt
by `amber.load` into a search that answers `best_params_`, `best_score_`, `cv_results_`,
`score` and `get_params` as the original does:

- params as usual, but `estimator` (the unfitted template: the best estimator's params with
  the searched ones set back to the template's values, kept in the attribute
  `estimator/params`) and a `cv` splitter (its class from a closed list and its params, in
  `cv/splitter`; an int or None stays a param);
- `cv_results_` column by column in `cv_results_/columns`: arrays as tensors, the masked
  `param_*` columns as their values and mask, `params` as a list of dicts;
- `scorer_` is not saved: it is what `fit` makes of `scoring` (`_get_scorers`), made again.

Refused on save, each by name: `refit=False` (no fitted estimator to predict with), a
callable `scoring` or `refit`, a grid over estimators, scipy distributions in
`param_distributions`, a splitter outside the closed list or one holding a RandomState.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import (
    GridSearchCV,
    GroupKFold,
    KFold,
    LeaveOneOut,
    RandomizedSearchCV,
    RepeatedKFold,
    RepeatedStratifiedKFold,
    ShuffleSplit,
    StratifiedKFold,
    StratifiedShuffleSplit,
    TimeSeriesSplit,
)
from sklearn.model_selection._search_successive_halving import (
    HalvingGridSearchCV,
    HalvingRandomSearchCV,
)

from .._errors import UnsupportedError
from .._proto.amber.v1 import amber_pb2 as pb
from ._common import (
    Bad,
    DecodeCtx,
    EncodeCtx,
    allow,
    boolean,
    build,
    check_param,
    decode_estimator,
    described,
    encode_estimator,
    encode_value,
    integer,
    number,
    read_attributes,
    refuse,
    register,
    type_name,
)

#: The one step's name.
STEP = "best_estimator_"
#: The attribute holding a `cv` splitter.
SPLITTER = "cv/splitter"

#: Splitters a `cv` param may hold, by class name (their params are ints, floats, bools,
#: None: a RandomState instance is refused).
SPLITTERS = {
    cls.__name__: cls
    for cls in (
        KFold,
        StratifiedKFold,
        GroupKFold,
        ShuffleSplit,
        StratifiedShuffleSplit,
        RepeatedKFold,
        RepeatedStratifiedKFold,
        TimeSeriesSplit,
        LeaveOneOut,
    )
}

_SCALARS = (type(None), bool, int, float, str)


def _grid_param(est: Any) -> str:
    return "param_grid" if hasattr(est, "param_grid") else "param_distributions"


def _grids(est: Any) -> list[dict]:
    grid = getattr(est, _grid_param(est))
    return list(grid) if isinstance(grid, (list, tuple)) else [grid]


# ---------------------------------------------------------------------------- saving


def _refuse_save(est: Any, what: str) -> UnsupportedError:
    return UnsupportedError(f"cannot save {type_name(est)}: {what}")


def _check_savable(est: Any) -> None:
    if not hasattr(est, "best_estimator_"):
        raise _refuse_save(
            est,
            "it has no best_estimator_ (refit=False, or not fitted): nothing predicts; fit it "
            "with refit=True (or the name of the metric to refit on)",
        )
    for name in ("scoring", "refit"):
        value = getattr(est, name)
        if callable(value) or (
            isinstance(value, dict) and any(callable(v) for v in value.values())
        ):
            raise _refuse_save(
                est,
                f"{name} is a callable; Amber saves scorers by name (a string, or a list or "
                "dict of names), never code",
            )
    for grid in _grids(est):
        for key, values in grid.items():
            if hasattr(values, "rvs"):
                raise _refuse_save(
                    est,
                    f"{_grid_param(est)}[{key!r}] is a scipy distribution "
                    f"({type_name(values)}); Amber saves lists of candidate values only",
                )
            if any(hasattr(v, "get_params") for v in values):
                raise _refuse_save(
                    est,
                    f"{_grid_param(est)}[{key!r}] lists estimators; a search over "
                    "estimators cannot be saved (save its best_estimator_ instead)",
                )


def _template_params(est: Any) -> dict[str, Any]:
    """The template's values of the searched params (what best_params_ replaced)."""
    params = est.estimator.get_params(deep=True)
    searched = {k for grid in _grids(est) for k in grid}
    if getattr(est, "resource", "n_samples") != "n_samples":
        searched.add(est.resource)  # halving on a param: best_params_ holds its last value
    out = {}
    for key in sorted(searched):
        value = params.get(key)
        if hasattr(value, "get_params"):
            raise _refuse_save(est, f"the searched param {key!r} holds an estimator")
        out[key] = value
    return out


def _splitter(est: Any, cv: Any) -> dict[str, Any]:
    cls = SPLITTERS.get(type(cv).__name__)
    if cls is None or type(cv) is not cls:
        raise _refuse_save(
            est,
            f"cv is a {type_name(cv)}; Amber saves an int, None or one of "
            f"{', '.join(sorted(SPLITTERS))}",
        )
    params = {}
    for name in inspect.signature(cls.__init__).parameters:
        if name == "self":
            continue
        value = getattr(cv, name, None)
        if value is None and hasattr(cv, "cvargs"):
            value = cv.cvargs.get(name)  # the repeated splitters keep n_splits there
        if not isinstance(value, _SCALARS):
            raise _refuse_save(est, f"cv {cls.__name__}.{name} is a {type_name(value)}")
        params[name] = value
    return {"class": cls.__name__, "params": params}


def _results(est: Any, ctx: EncodeCtx) -> pb.Value:
    """cv_results_ as a dict Value: arrays as tensors, masked columns as {values, mask}."""
    columns: dict[str, Any] = {}
    for key, column in est.cv_results_.items():
        if isinstance(column, np.ma.MaskedArray):
            data = np.ma.getdata(column)
            values = data.tolist() if data.dtype.kind == "O" else data
            columns[key] = {
                "values": values,
                "mask": np.ma.getmaskarray(column).astype(bool),
                "dtype": str(data.dtype),
            }
        else:
            columns[key] = column
    try:
        return encode_value(columns, "attributes/cv_results_", ctx)
    except UnsupportedError as e:
        raise _refuse_save(est, f"cv_results_: {e.message}") from None


def search_to_proto(est: Any, msg: pb.Estimator, ctx: EncodeCtx) -> set[str]:
    _check_savable(est)
    step = msg.pipeline.steps.add(name=STEP)
    step.estimator.CopyFrom(encode_estimator(est.best_estimator_, ctx.child(f"{STEP}/")))
    msg.attributes.add(
        name="estimator/params",
        value=encode_value(_template_params(est), "attributes/estimator/params", ctx),
    )
    consumed = {"estimator", "best_estimator_", "cv_results_", "scorer_"}
    consumed |= encode_splitter(est, msg, ctx)
    msg.attributes.add(name="cv_results_/columns", value=_results(est, ctx))
    return consumed


def encode_splitter(est: Any, msg: pb.Estimator, ctx: EncodeCtx) -> set[str]:
    """A `cv` splitter as the attribute `cv/splitter` (a search's, a stacking's); an int,
    None or a string (a stacking's "prefit") stays a param. Returns the names it consumed."""
    cv = est.cv
    if cv is None or type(cv) in (int, str):
        return set()
    msg.attributes.add(name=SPLITTER, value=encode_value(_splitter(est, cv), "cv", ctx))
    return {"cv"}


# ---------------------------------------------------------------------------- loading


@described("dict of str keys and None, bool, int, float or str values")
def _flat_dict(v: Any, facts: dict) -> None:
    if type(v) is not dict or not all(type(k) is str for k in v):
        raise Bad(f"is {type(v).__name__}, not a dict with str keys")
    for k, x in v.items():
        if not isinstance(x, _SCALARS) and not (isinstance(x, np.generic)):
            raise Bad(f"[{k!r}] is a {type(x).__name__}")


@described("{'class': a splitter's name, 'params': a dict of its params}")
def splitter_rule(v: Any, facts: dict) -> None:
    if (
        type(v) is not dict
        or set(v) != {"class", "params"}
        or type(v["class"]) is not str
        or v["class"] not in SPLITTERS
    ):
        raise Bad(f"is {str(v)[:80]}, not a splitter Amber rebuilds")
    _flat_dict(v["params"], facts)
    known = set(inspect.signature(SPLITTERS[v["class"]].__init__).parameters) - {"self"}
    if not set(v["params"]) <= known:
        raise Bad(f"names params {sorted(set(v['params']) - known)} {v['class']} does not take")


#: The dtypes of the masked columns scikit-learn builds (`param_*`: the params' values,
#: object when they mix types): a dtype string is one of these names, never parsed freely.
_MASKED_DTYPES = frozenset(
    {"object", "bool"}
    | {f"{kind}{bits}" for kind in ("int", "uint") for bits in (8, 16, 32, 64)}
    | {"float16", "float32", "float64"}
)


@described("dict of columns: arrays, {values, mask, dtype} masked columns, params")
def _columns_rule(v: Any, facts: dict) -> None:
    if type(v) is not dict or not all(type(k) is str for k in v):
        raise Bad("is not a dict of named columns")
    lengths = set()
    for key, column in v.items():
        if key == "params":
            if type(column) is not list or not all(type(p) is dict for p in column):
                raise Bad("['params'] is not a list of dicts")
            for p in column:
                _flat_dict(p, facts)
            lengths.add(len(column))
        elif type(column) is dict:
            if set(column) != {"values", "mask", "dtype"} or type(column["dtype"]) is not str:
                raise Bad(f"[{key!r}] is not a masked column")
            if column["dtype"] not in _MASKED_DTYPES:
                raise Bad(f"[{key!r}] has dtype {column['dtype'][:40]!r}, not a numpy name")
            numeric = column["dtype"] != "object"
            values, mask = column["values"], column["mask"]
            if not isinstance(mask, np.ndarray) or mask.dtype != bool or mask.ndim != 1:
                raise Bad(f"[{key!r}] mask is not a 1-D bool array")
            if isinstance(values, np.ndarray):
                if values.shape != mask.shape or values.dtype.kind not in "biuf":
                    raise Bad(f"[{key!r}] values do not match its mask")
            elif type(values) is not list or len(values) != mask.size:
                raise Bad(f"[{key!r}] values do not match its mask")
            elif not all(isinstance(x, _SCALARS) for x in values):
                raise Bad(f"[{key!r}] holds values that are not scalars")
            elif numeric and not all(isinstance(x, (bool, int, float)) for x in values):
                raise Bad(f"[{key!r}] holds values that are not numbers of its dtype")
            lengths.add(mask.size)
        elif isinstance(column, np.ndarray) and column.ndim == 1 and column.dtype.kind in "biuf":
            lengths.add(column.size)
        else:
            raise Bad(f"[{key!r}] is a {type(column).__name__}")
    if len(lengths) > 1 or "params" not in v:
        raise Bad("columns of different lengths, or no params column")
    facts["n_candidates"] = lengths.pop() if lengths else 0


def _masked(column: dict) -> np.ma.MaskedArray:
    dtype = np.dtype(column["dtype"]) if column["dtype"] != "object" else object
    if dtype is not object and np.dtype(dtype).kind not in "biuf":
        raise refuse("cv_results_", f"a masked column of dtype {column['dtype']!r}")
    data = np.asarray(column["values"], dtype=dtype) if dtype is not object else None
    if data is None:
        data = np.empty(len(column["values"]), dtype=object)
        data[:] = column["values"]
    return np.ma.MaskedArray(data, mask=column["mask"])


def _scorers(est: Any) -> tuple[Any, bool]:
    """What fit makes of `scoring` (BaseSearchCV._get_scorers, or its 1.3 inline form)."""
    from sklearn.metrics import check_scoring
    from sklearn.metrics._scorer import _check_multimetric_scoring

    if est.scoring is None or isinstance(est.scoring, str):
        return check_scoring(est.estimator, est.scoring), False
    return _check_multimetric_scoring(est.estimator, est.scoring), True


def _one_truth(est: Any, name: str) -> None:
    """best_params_ is the candidate best_index_ names, and the refitted estimator has them."""
    params = est.cv_results_["params"]
    if not 0 <= est.best_index_ < len(params) or params[est.best_index_] != est.best_params_:
        raise refuse(name, "best_params_ are not cv_results_['params'][best_index_]")
    have = est.best_estimator_.get_params(deep=True)
    for key, value in est.best_params_.items():
        if key not in have or not _equal(have[key], value):
            raise refuse(name, f"best_estimator_ does not have best_params_[{key!r}]")


def _check_refit(est: Any, multimetric: bool, name: str) -> None:
    """The file's best_estimator_ is one fit could have made: refit is not False, and with
    several metrics it names one of them (BaseSearchCV._check_refit_for_multimetric)."""
    if est.refit is False:
        raise refuse(name, "refit is False, so fit makes no best_estimator_, but the file has one")
    if multimetric and not (isinstance(est.refit, str) and est.refit in est.scorer_):
        raise refuse(name, f"refit {est.refit!r} does not name one of the search's metrics")


def _equal(a: Any, b: Any) -> bool:
    try:
        return bool(a == b) or (a != a and b != b)
    except (TypeError, ValueError):
        return False


def _check_template_params(template: Any, params: dict[str, Any], name: str) -> None:
    """Each searched param names a param of the template (`step__param` of a nested one) and
    holds a value its owner's constraints accept, before set_params sees it."""
    known = template.get_params(deep=True)
    for key, value in params.items():
        owner_path, _, param = key.rpartition("__")
        owner = known.get(owner_path) if owner_path else template
        if key not in known or not hasattr(owner, "get_params"):
            raise refuse(name, f"estimator/params: {key[:80]!r} is not a param of the estimator")
        try:
            check_param(type(owner), param, value)
        except Bad as e:
            raise refuse(name, f"estimator/params[{key!r}] {e}") from None


def decode_splitter(name: str, attrs: dict[str, Any]) -> dict[str, Any]:
    """{"cv": the splitter} rebuilt from the checked attribute `cv/splitter`, {} without."""
    if SPLITTER not in attrs:
        return {}
    spec = attrs[SPLITTER]
    try:
        return {"cv": SPLITTERS[spec["class"]](**spec["params"])}
    except (TypeError, ValueError) as e:
        raise refuse(name, f"{SPLITTER}: {e}") from None


def search_from_proto(msg: pb.Estimator, ctx: DecodeCtx, cls: type) -> Any:
    name = type_name(cls)
    steps = msg.pipeline.steps
    if len(steps) != 1 or steps[0].name != STEP or not steps[0].HasField("estimator"):
        raise refuse(name, f"the body is not a pipeline of one step {STEP!r}")
    best = decode_estimator(steps[0].estimator, ctx)
    attrs = read_attributes(cls, msg, ctx, {})
    for needed in ("estimator/params", "cv_results_/columns", "best_index_", "best_params_"):
        if needed not in attrs:
            raise refuse(name, f"the attribute {needed!r} is missing")
    template = clone(best)
    _check_template_params(template, attrs["estimator/params"], name)
    template.set_params(**attrs["estimator/params"])
    extra: dict[str, Any] = {"estimator": template}
    extra.update(decode_splitter(name, attrs))
    est = build(cls, msg, ctx, attrs, **extra)
    est.best_estimator_ = best
    columns = attrs["cv_results_/columns"]
    est.cv_results_ = {
        k: _masked(v) if type(v) is dict and k != "params" else v for k, v in columns.items()
    }
    _one_truth(est, name)
    try:
        est.scorer_, multimetric = _scorers(est)
    except (ValueError, TypeError, AttributeError) as e:
        raise refuse(name, f"scoring {est.scoring!r}: {e}") from None
    if attrs.get("multimetric_", multimetric) != multimetric:
        raise refuse(name, "multimetric_ does not match scoring")
    _check_refit(est, multimetric, name)
    names = getattr(best, "feature_names_in_", None)
    if names is not None:
        est.feature_names_in_ = names
    return est


_SEARCH_ATTRIBUTES = {
    "estimator/params": _flat_dict,
    SPLITTER: splitter_rule,
    "cv_results_/columns": _columns_rule,
    "best_index_": integer(0, scalar=True),
    "best_score_": number(finite=False),
    "best_params_": _flat_dict,
    "n_splits_": integer(1, scalar=True),
    "refit_time_": number(0.0),
    "multimetric_": boolean,
}


@described("list of ints >= 0")
def _int_list(v: Any, facts: dict) -> None:
    if type(v) is not list or not all(type(x) is int and x >= 0 for x in v):
        raise Bad(f"is {str(v)[:80]}, not a list of ints >= 0")


#: What successive halving adds (sklearn/model_selection/_search_successive_halving.py,
#: `BaseSuccessiveHalving._run_search` and `fit`): the resources and candidates of each
#: iteration.
_HALVING_ATTRIBUTES = {
    "n_resources_": _int_list,
    "n_candidates_": _int_list,
    "n_remaining_candidates_": integer(0, scalar=True),
    "min_resources_": integer(0, scalar=True),
    "max_resources_": integer(0, scalar=True),
    "n_required_iterations_": integer(0, scalar=True),
    "n_possible_iterations_": integer(0, scalar=True),
    "n_iterations_": integer(0, scalar=True),
}


def _register(cls: type, producer: str, extra: dict[str, Any] | None = None) -> None:
    allow(cls, {**_SEARCH_ATTRIBUTES, **(extra or {})})
    register(
        cls,
        producer,
        "pipeline",
        search_to_proto,
        lambda msg, ctx: search_from_proto(msg, ctx, cls),
    )


_register(GridSearchCV, "sklearn.model_selection.GridSearchCV")
_register(RandomizedSearchCV, "sklearn.model_selection.RandomizedSearchCV")
# The halving searches are experimental: their module is importable without
# `sklearn.experimental.enable_halving_search_cv`, which amber does not import for the user.
_register(HalvingGridSearchCV, "sklearn.model_selection.HalvingGridSearchCV", _HALVING_ATTRIBUTES)
_register(
    HalvingRandomSearchCV,
    "sklearn.model_selection.HalvingRandomSearchCV",
    _HALVING_ATTRIBUTES,
)
