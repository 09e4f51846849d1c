"""What the compositions over predictions share (VotingClassifier/Regressor in `voting`,
StackingClassifier/Regressor in `stacking`): the `estimators` param of named members, some
`"drop"`ped, fitted into `estimators_` and `named_estimators_`
(sklearn/ensemble/_base.py `_BaseHeterogeneousEnsemble`; `_voting.py` and `_stacking.py`
fit them alike), and the refusals and rebuilds around them.
"""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np
from sklearn.base import clone
from sklearn.utils import Bunch

from .._errors import UnsupportedError
from ._common import DecodeCtx, decode_estimator, type_name


def is_drop(est: Any) -> bool:
    return isinstance(est, str) and est == "drop"


def refuse_save(est: Any, what: str) -> UnsupportedError:
    return UnsupportedError(f"cannot save this {type_name(est)}: {what}")


def fitted_members(est: Any) -> list[tuple[str, Any]]:
    """(name, fitted estimator or "drop") per entry of the `estimators` param, checked to be
    what fit made of it: predictions read `estimators_` beside the current params, so an
    `estimators` param changed after fit (set_params) would pair them wrongly."""
    if not hasattr(est, "estimators_"):
        raise refuse_save(est, "it is not fitted; fit it first")
    spec = list(est.estimators)
    fitted = iter(est.estimators_)
    named = getattr(est, "named_estimators_", {})
    out = []
    for name, member in spec:
        got = named.get(name) if isinstance(name, str) else None
        if is_drop(member):
            if not is_drop(got):
                raise changed_after_fit(est, "estimators", f"member {name!r}")
            out.append((name, "drop"))
            continue
        fit = next(fitted, None)
        if fit is None or got is not fit or type(member) is not type(fit):
            raise changed_after_fit(est, "estimators", f"member {name!r}")
        out.append((name, fit))
    if next(fitted, None) is not None or list(named) != [n for n, _ in spec]:
        raise changed_after_fit(est, "estimators", None)
    return out


def changed_after_fit(est: Any, param: str, which: str | None) -> UnsupportedError:
    """The refusal of a param that no longer matches the fitted attributes."""
    where = f" ({which})" if which is not None else ""
    return refuse_save(
        est,
        f"its {param} param does not match what fit made of it{where}: it was changed after "
        "fit (set_params); fit it again",
    )


def rebuild_members(
    members: Iterable[Any], ctx: DecodeCtx
) -> tuple[list[tuple[str, Any]], list[Any], Bunch]:
    """From a body's members (each a `name` and an `estimator`, absent when dropped): the
    `estimators` param (unfitted clones, `"drop"` kept), `estimators_` (the fitted members
    that are not dropped, in order) and `named_estimators_` (a Bunch, `"drop"` included)."""
    estimators: list[tuple[str, Any]] = []
    fitted: list[Any] = []
    named = Bunch()
    for m in members:
        if m.HasField("estimator"):
            member = decode_estimator(m.estimator, ctx)
            estimators.append((m.name, clone(member)))
            fitted.append(member)
            named[m.name] = member
        else:
            estimators.append((m.name, "drop"))
            named[m.name] = "drop"
    return estimators, fitted, named


def restore_feature_names(est: Any, names: Iterable[str]) -> None:
    """`feature_names_in_`, which fit sets from the last member that has names (the
    compositions' `n_features_in_` is a property, the first member's)."""
    names = list(names)
    if names:
        est.feature_names_in_ = np.asarray(names, dtype=object)
