"""ColumnTransformer and FeatureUnion <-> their bodies: branches whose outputs sit side by side.

ColumnTransformer.transform (sklearn/compose/_column_transformer.py) calls each fitted
transformer of `transformers_` on its columns (`_safe_indexing`), skips dropped branches
and empty selections, multiplies an output by its `transformer_weights` entry, and
concatenates in `transformers_` order, the remainder last. The body keeps `transformers_`
as branches: the input column indices each reads (`_transformer_to_input_indices`, so
names, slices, masks and `make_column_selector` are resolved as at fit), the fitted
estimator or passthrough or drop, the weight, and the user's selection (provenance, for
the rebuild's `transformers` param). FeatureUnion (sklearn/pipeline.py) is the same over
the whole input.

The rebuild restores what the installed scikit-learn keeps: `transformers_` (a fitted
identity FunctionTransformer for passthrough where that version keeps one, "passthrough"
and `_name_to_fitted_passthrough` in 1.3), `_columns`, `_remainder`,
`_transformer_to_input_indices`, `output_indices_`, `sparse_output_`.
"""

from __future__ import annotations

import inspect
from functools import lru_cache
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.impute import MissingIndicator
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder

from .. import _tree
from .._errors import UnsupportedError
from .._proto.amber.v1 import amber_pb2 as pb
from ._common import (
    DecodeCtx,
    EncodeCtx,
    allow,
    boolean,
    build,
    check_names,
    decode_estimator,
    decode_value,
    encode_estimator,
    encode_value,
    read_attributes,
    refuse,
    register,
    type_name,
)


def _is_str(v: Any, s: str) -> bool:
    return isinstance(v, str) and v == s


def _selection(cols: Any) -> Any:
    """The user's column selection as a value Amber can store (slices as a dict)."""
    if isinstance(cols, slice):
        return {"slice": [_plain(cols.start), _plain(cols.stop), _plain(cols.step)]}
    if isinstance(cols, np.ndarray) and cols.dtype.kind == "b":
        return cols
    if isinstance(cols, (list, tuple, np.ndarray)):
        return [_plain(c) for c in cols]
    return _plain(cols)


def _plain(v: Any) -> Any:
    if v is None or isinstance(v, bool):
        return v
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, str):
        return str(v)
    raise UnsupportedError(f"a column selection of type {type(v).__name__} cannot be saved")


def _unselection(v: Any) -> Any:
    """The user's selection back from the file: a name, an index, a list of them, a boolean
    mask or a slice; anything else is E_PROVENANCE (it only feeds the `transformers` param)."""
    if isinstance(v, dict) and list(v) == ["slice"]:
        parts = v["slice"]
        if (
            isinstance(parts, list)
            and len(parts) == 3
            and all(p is None or (type(p) is int) for p in parts)
        ):
            return slice(*parts)
    elif _plain_selection(v):
        return v
    raise refuse(type_name(ColumnTransformer), f"a branch's column selection is {type(v).__name__}")


def _resolve(sel: Any, names: list[str] | None, n: int) -> list[int] | None:
    """The input column indices a selection picks (scikit-learn's `_get_column_indices`),
    None when it picks nothing resolvable (a name not among `names`)."""
    position = {name: i for i, name in enumerate(names or [])}

    def one(c: Any) -> int | None:
        if type(c) is str:
            return position.get(c)
        return c + n if c < 0 else c

    if isinstance(sel, np.ndarray):
        return [int(i) for i in np.flatnonzero(sel)] if len(sel) == n else None
    if isinstance(sel, slice):
        if type(sel.start) is str or type(sel.stop) is str:  # label slices include the stop
            start = 0 if sel.start is None else position.get(sel.start)
            stop = n - 1 if sel.stop is None else position.get(sel.stop)
            if start is None or stop is None:
                return None
            return list(range(n))[start : stop + 1 : sel.step]
        return list(range(n))[sel]
    items = sel if isinstance(sel, list) else [sel]
    out = [one(c) for c in items]
    return None if any(i is None for i in out) else out  # type: ignore[return-value]


def _plain_selection(v: Any) -> bool:
    """A boolean mask, a name or index, or a list of names and indices."""
    if isinstance(v, np.ndarray):
        return v.dtype == np.bool_ and v.ndim == 1
    if type(v) in (str, int):
        return True
    return isinstance(v, list) and all(type(c) in (str, int) for c in v)


def _branch(
    out: pb.ColumnBranch, name: str, trans: Any, indices, weight, ctx: EncodeCtx, passthrough: bool
) -> None:
    """One branch; `indices` None for a FeatureUnion member (it reads every column)."""
    out.name = name
    out.columns.extend(int(i) for i in indices or [])
    if _is_str(trans, "drop"):
        out.drop = True
    elif not passthrough:
        if indices is not None and len(indices) == 0:
            raise UnsupportedError(
                f"cannot save the {type_name(trans)} of branch {name!r}: it selects no columns, "
                "so scikit-learn never fitted it; remove the branch or give it columns"
            )
        out.estimator.CopyFrom(encode_estimator(trans, ctx.child(f"{name}/")))
    if weight is not None:
        if float(weight) == 0.0 and np.signbit(float(weight)):
            # BranchWeight.value has no presence: -0.0 is written as absent and reads as +0.0
            # (spec/format.md section 4), which flips the sign of the branch's zeros.
            raise UnsupportedError(f"branch {name!r}: a weight of -0.0 cannot be kept")
        out.weight.value = float(weight)


def column_transformer_to_proto(est: Any, msg: pb.Estimator, ctx: EncodeCtx) -> set[str]:
    if not hasattr(est, "transformers_"):
        raise UnsupportedError(f"cannot save an unfitted {type_name(est)}")
    body = msg.column_transformer
    body.SetInParent()
    user = {name: trans for name, trans, _ in est.transformers}
    user["remainder"] = est.remainder
    weights = est.transformer_weights or {}
    for i, (name, trans, _) in enumerate(est.transformers_):
        indices = est._transformer_to_input_indices.get(name, [])
        b = body.branches.add()
        passthrough = _is_str(user.get(name), "passthrough")
        _branch(b, name, trans, indices, weights.get(name), ctx, passthrough)
        sel = est._columns[i] if i < len(est._columns) and name != "remainder" else list(indices)
        b.selection.CopyFrom(encode_value(_selection(sel), f"{name}/selection", ctx.child("")))
    consumed = {"transformers", "transformers_", "transformer_weights", "output_indices_"}
    if not isinstance(est.remainder, str):
        consumed.add("remainder")  # an estimator: the remainder branch holds it
    return consumed


@lru_cache(maxsize=1)
def _keeps_passthrough_strings() -> bool:
    """Whether this scikit-learn keeps "passthrough" in transformers_ (1.3) rather than a
    fitted FunctionTransformer."""
    from sklearn.compose import _column_transformer as m

    return "_name_to_fitted_passthrough" in inspect.getsource(m)


def _identity(width: int, names: list[str] | None) -> FunctionTransformer:
    """The fitted identity scikit-learn makes of "passthrough" (no code of the file runs:
    func is None)."""
    ft = FunctionTransformer(
        accept_sparse=True, check_inverse=False, feature_names_out="one-to-one"
    )
    if names is not None:
        import pandas as pd

        ft.fit(pd.DataFrame({n: [0.0] for n in names}))
    else:
        ft.fit(np.zeros((1, width)))
    return ft


def _width(child: pb.Estimator, ctx: DecodeCtx) -> int:
    checker = _tree._Checker(ctx.container.tensors, None)
    return int(checker.estimator(child, 1, "") or 0)


def column_transformer_from_proto(msg: pb.Estimator, ctx: DecodeCtx) -> Any:
    # The remainder's branch is scikit-learn's own, named after the param.
    names = [b.name for b in msg.column_transformer.branches]
    check_names(ColumnTransformer, names[:-1] if names[-1:] == ["remainder"] else names)
    names_in = list(msg.feature_names_in) or None
    transformers, fitted, columns, to_indices, out_idx = [], [], [], {}, {}
    passthroughs: dict[str, Any] = {}
    remainder: Any = None
    at = 0
    for b in msg.column_transformer.branches:
        indices = [int(c) for c in b.columns]
        sel = _unselection(decode_value(b.selection, ctx)) if b.HasField("selection") else indices
        if b.name != "remainder" and _resolve(sel, names_in, int(msg.n_features_in)) != indices:
            # scikit-learn's transform of an array selects by these (transformers_ columns):
            # they must be the body's columns, one truth.
            raise refuse(
                type_name(ColumnTransformer),
                f"branch {b.name!r}: its selection does not pick the branch's columns",
            )
        if b.drop:
            spec, trans, width = "drop", "drop", 0
        elif b.HasField("estimator"):
            trans = decode_estimator(b.estimator, ctx)
            spec, width = clone(trans), _width(b.estimator, ctx)
        else:
            spec, width = "passthrough", len(indices)
            ident = _identity(len(indices), [names_in[i] for i in indices] if names_in else None)
            trans = "passthrough" if _keeps_passthrough_strings() else ident
            if indices:
                passthroughs[b.name] = ident
        to_indices[b.name] = indices
        if b.name == "remainder":
            remainder = spec
            fitted.append((b.name, trans, indices))
        else:
            transformers.append((b.name, spec, sel))
            fitted.append((b.name, trans, sel))
            columns.append(sel)
        if width and indices:
            out_idx[b.name] = slice(at, at + width)
            at += width
    params = {p.name for p in msg.params}
    extra: dict[str, Any] = {}
    if "remainder" not in params:
        if remainder is None or isinstance(remainder, str):
            raise refuse(
                type_name(ColumnTransformer),
                "the remainder is neither a param nor an estimator branch",
            )
        extra["remainder"] = remainder
    elif remainder is None:
        remainder = "drop"  # no remaining columns: transformers_ lists no remainder
    for name in [t[0] for t in transformers] + ["remainder"]:
        out_idx.setdefault(name, slice(0, 0))
    weights = {
        b.name: b.weight.value for b in msg.column_transformer.branches if b.HasField("weight")
    }
    attrs = read_attributes(ColumnTransformer, msg, ctx, {})
    if "sparse_output_" not in attrs:
        # transform reads it (dense or sparse output); every scikit-learn version sets it.
        raise refuse(type_name(ColumnTransformer), "the attribute sparse_output_ is missing")
    if attrs["sparse_output_"] and not any(_may_be_sparse(t) for _, t, _ in fitted):
        # fit sets it only when a branch outputs a sparse matrix; scipy's hstack of dense
        # blocks alone raises (sklearn/compose/_column_transformer.py, _hstack).
        raise refuse(
            type_name(ColumnTransformer), "sparse_output_ is True, and no branch is sparse"
        )
    est = build(
        ColumnTransformer,
        msg,
        ctx,
        attrs,
        transformers=transformers,
        transformer_weights=weights or None,
        **extra,
    )
    remainder = est.remainder if "remainder" in params else remainder
    est.transformers_ = fitted
    est._columns = columns
    est._remainder = ("remainder", remainder, to_indices.get("remainder", []))
    est._transformer_to_input_indices = to_indices
    est.output_indices_ = out_idx
    if _keeps_passthrough_strings():
        est._name_to_fitted_passthrough = passthroughs
        est._n_features = int(msg.n_features_in)
    return est


def _may_be_sparse(est: Any) -> bool:
    """Can this fitted transformer's transform return a sparse matrix on a dense input?"""
    if isinstance(est, str) or est is None:
        return False
    if isinstance(est, ColumnTransformer):
        return bool(getattr(est, "sparse_output_", False))
    if isinstance(est, FeatureUnion):
        return any(_may_be_sparse(t) for _, t in est.transformer_list)
    if isinstance(est, Pipeline):
        last = [t for _, t in est.steps if not isinstance(t, str) and t is not None]
        return bool(last) and _may_be_sparse(last[-1])
    if isinstance(est, OneHotEncoder):
        return bool(getattr(est, "sparse_output", getattr(est, "sparse", False)))
    if isinstance(est, MissingIndicator):
        return est.sparse is True
    return False


def _in_place(est: Any) -> bool:
    """Does this member's transform overwrite the array it is given (`copy=False`)? In a
    FeatureUnion every member gets the same array, so the members after it would read what
    it wrote: scikit-learn's output then depends on member order, which the format's pure
    transform (spec/estimators.md section 17) does not reproduce."""
    if isinstance(est, Pipeline):
        first = next((t for _, t in est.steps if not isinstance(t, str) and t is not None), None)
        return first is not None and _in_place(first)
    if isinstance(est, str) or est is None or not hasattr(est, "get_params"):
        return False
    return est.get_params(deep=False).get("copy", True) is False


def _check_union_copies(members: list, fail, *, read_after: bool = False) -> None:
    """No member but the last transforms in place: every one is handed the same array.
    `read_after`: the input is read again after the last member (a Stacking's passthrough
    appends it to the members' outputs), so the last may not either."""
    for name, member in members if read_after else members[:-1]:
        if _in_place(member):
            readers = "the members after it"
            if read_after:
                readers += " and the final estimator (passthrough=True)"
            raise fail(
                f"member {name!r} transforms in place (copy=False), so {readers} read its "
                "output as their input; set copy=True"
            )


def feature_union_to_proto(est: Any, msg: pb.Estimator, ctx: EncodeCtx) -> set[str]:
    if not hasattr(est, "n_features_in_"):
        raise UnsupportedError(f"cannot save an unfitted {type_name(est)}")
    _check_union_copies(
        list(est.transformer_list), lambda why: UnsupportedError(f"{type_name(est)}: {why}")
    )
    body = msg.feature_union
    body.SetInParent()
    weights = est.transformer_weights or {}
    for name, trans in est.transformer_list:
        b = body.members.add()
        # fit replaces "passthrough" by an identity FunctionTransformer (func None).
        passthrough = _is_str(trans, "passthrough") or (
            isinstance(trans, FunctionTransformer)
            and trans.func is None
            and trans.inverse_func is None
        )
        _branch(b, name, trans, None, weights.get(name), ctx, passthrough)
    return {"transformer_list", "transformer_weights"}


def feature_union_from_proto(msg: pb.Estimator, ctx: DecodeCtx) -> Any:
    check_names(FeatureUnion, [b.name for b in msg.feature_union.members])
    members = []
    for b in msg.feature_union.members:
        if b.drop:
            members.append((b.name, "drop"))
        elif b.HasField("estimator"):
            members.append((b.name, decode_estimator(b.estimator, ctx)))
        else:
            names = list(msg.feature_names_in) or None
            members.append((b.name, _identity(int(msg.n_features_in), names)))
    _check_union_copies(members, lambda why: refuse(type_name(FeatureUnion), why))
    weights = {b.name: b.weight.value for b in msg.feature_union.members if b.HasField("weight")}
    attrs = read_attributes(FeatureUnion, msg, ctx, {})
    return build(
        FeatureUnion, msg, ctx, attrs, transformer_list=members, transformer_weights=weights or None
    )


allow(ColumnTransformer, {"sparse_output_": boolean})
register(
    ColumnTransformer,
    "sklearn.compose.ColumnTransformer",
    "column_transformer",
    column_transformer_to_proto,
    column_transformer_from_proto,
)
allow(FeatureUnion, {})
register(
    FeatureUnion,
    "sklearn.pipeline.FeatureUnion",
    "feature_union",
    feature_union_to_proto,
    feature_union_from_proto,
)
