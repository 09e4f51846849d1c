"""The input schema (spec/format.md section 7): what each input column holds.

Derived from the estimator bodies, the same way in every reader: an encoder or imputer
whose fitted values are strings reads strings in its columns (each family registers how,
`register_kinds`); every other body reads numbers; a pipeline's input is its first step's,
given what the later steps read; a ColumnTransformer's column is what its branches read
there (a passed-through column: what reads the output position it lands in, `ANY` when
nothing does; a column no branch outputs from: `UNUSED`); a Voting's or a Stacking's column
is what its members read there (each reads every column), and with a Stacking's
passthrough every column is numeric (the final estimator reads it as a number); a
Calibration's column is what its classifiers' estimators read there, a Multiclass's what its
members with an estimator read there, a MultiOutput*'s what its members read there (a
chain's is numeric), a TransformedTarget's what its regressor reads, a ThresholdClassifier's
what its estimator reads; a Bagging's and an AdaBoost's columns are numeric (their members
read an array of numbers). A writer records the derived schema when some column
is not numeric; a reader checks that a recorded schema is the derived one (rules 1-3) and
that without one every column is numeric (rule 4).
"""

from __future__ import annotations

from typing import Callable

from ._errors import ModelError
from ._proto.amber.v1 import amber_pb2 as pb

NUMERIC, STRING, ANY, UNUSED = (
    pb.COLUMN_KIND_NUMERIC,
    pb.COLUMN_KIND_STRING,
    pb.COLUMN_KIND_ANY,
    pb.COLUMN_KIND_UNUSED,
)
_NAMES = {NUMERIC: "numeric", STRING: "string", ANY: "any", UNUSED: "unused"}

#: body name -> the kinds of its input columns (bodies that read strings).
_KINDS: dict[str, Callable[[pb.Estimator], list[int]]] = {}


#: body name -> the kinds of its output columns given its output width (bodies whose output
#: can hold strings); every other transformer outputs numbers.
OUTPUT_KINDS: dict[str, Callable[[pb.Estimator, int], list[int]]] = {}


def register_kinds(body: str, kinds: Callable[[pb.Estimator], list[int]]) -> None:
    _KINDS[body] = kinds


def register_output_kinds(body: str, kinds: Callable[[pb.Estimator, int], list[int]]) -> None:
    OUTPUT_KINDS[body] = kinds


def kind_name(kind: int) -> str:
    return _NAMES.get(kind, str(kind))


def merge(a: int, b: int) -> int | None:
    """Two readers' kinds of one column; None when numbers meet strings."""
    if a in (UNUSED, ANY):
        return b
    if b in (UNUSED, ANY):
        return a
    return a if a == b else None


def input_kinds(
    est: pb.Estimator,
    widths: dict[str, int | None],
    path: str = "",
    demand: list[int] | None = None,
) -> list[int]:
    """The kinds of `est`'s input columns, given what reads its transform output."""
    body = est.WhichOneof("body")
    if body == "pipeline":
        steps = [(s.name, s.estimator) for s in est.pipeline.steps if s.HasField("estimator")]
        for name, step in reversed(steps):
            demand = input_kinds(step, widths, f"{path}steps/{name}/", demand)
        if demand is None:
            demand = [ANY] * int(est.n_features_in)
        return demand
    if body in ("column_transformer", "feature_union"):
        return [_fold(r) for r in branch_reads(est, widths, path, demand)]
    if body == "voting":
        return [_fold(r) for r in member_reads(est, widths, path)]
    if body == "stacking":
        if est.stacking.passthrough:
            # Rule 6 of section 21 holds: no member reads a column as strings.
            return [NUMERIC] * int(est.n_features_in)
        return [_fold(r) for r in member_reads(est, widths, path)]
    if body == "calibration":
        return [_fold(r) for r in classifier_reads(est, widths, path)]
    if body == "multiclass":
        return [_fold(r) for r in multiclass_reads(est, widths, path)]
    if body == "multi_output":
        if est.multi_output.kind in (
            pb.MULTI_OUTPUT_KIND_CLASSIFIER_CHAIN,
            pb.MULTI_OUTPUT_KIND_REGRESSOR_CHAIN,
        ):
            # A chain reads numbers (validate_data), its members the input and earlier
            # outputs (spec/estimators.md section 24, rule 3).
            return [NUMERIC] * int(est.n_features_in)
        return [_fold(r) for r in multi_output_reads(est, widths, path)]
    if body == "transformed_target":
        # Its regressor reads the input (its transformer reads targets).
        child = f"{path}regressor/"
        return input_kinds(est.transformed_target.regressor, widths, child, None)
    if body == "threshold_classifier":
        child = f"{path}estimator/"
        return input_kinds(est.threshold_classifier.estimator, widths, child, None)
    if body == "boosting" and est.boosting.HasField("preprocessor"):
        # The trees read the preprocessor's output, as numbers.
        child = f"{path}preprocessor/"
        numeric = [NUMERIC] * (widths.get(child) or 0)
        return input_kinds(est.boosting.preprocessor, widths, child, numeric)
    if body in _KINDS:
        return list(_KINDS[body](est))
    return [NUMERIC] * int(est.n_features_in)


def _fold(readers: list[int]) -> int:
    out = UNUSED
    for k in readers:
        m = merge(out, k)
        out = out if m is None else m
    return out


def branches(est: pb.Estimator):
    body = est.WhichOneof("body")
    return (
        est.column_transformer.branches
        if body == "column_transformer"
        else (est.feature_union.members)
    )


def branch_active(est: pb.Estimator, b: pb.ColumnBranch) -> bool:
    union = est.WhichOneof("body") == "feature_union"
    return not b.drop and (union or len(b.columns) > 0)


def branch_reads(
    est: pb.Estimator, widths: dict[str, int | None], path: str, demand: list[int] | None
) -> list[list[int]]:
    """For each input column, what each active branch reading it reads there."""
    n = int(est.n_features_in)
    union = est.WhichOneof("body") == "feature_union"
    reads: list[list[int]] = [[] for _ in range(n)]
    at = 0
    for b in branches(est):
        if not branch_active(est, b):
            continue
        cols = list(range(n)) if union else [int(c) for c in b.columns]
        if not b.HasField("estimator"):
            kinds = [
                NUMERIC
                if b.HasField("weight")
                else (demand[at + i] if demand is not None and at + i < len(demand) else ANY)
                for i in range(len(cols))
            ]
            width = len(cols)
        else:
            child = f"{path}{b.name}/"
            width = widths.get(child) or 0
            inner = demand[at : at + width] if demand is not None else None
            kinds = input_kinds(b.estimator, widths, child, inner)
        at += width
        for c, k in zip(cols, kinds):
            reads[c].append(k)
    return reads


def member_reads(est: pb.Estimator, widths: dict[str, int | None], path: str) -> list[list[int]]:
    """For each input column of a Voting or a Stacking, what each member that is not dropped
    reads there: every member reads every column (spec/estimators.md sections 20, 21). Its
    output holds predictions, not input columns, so no demand reaches the members."""
    n = int(est.n_features_in)
    reads: list[list[int]] = [[] for _ in range(n)]
    for m in getattr(est, est.WhichOneof("body")).members:
        if m.HasField("estimator"):
            kinds = input_kinds(m.estimator, widths, f"{path}estimators/{m.name}/", None)
            for c, k in zip(range(n), kinds):
                reads[c].append(k)
    return reads


def classifier_reads(
    est: pb.Estimator, widths: dict[str, int | None], path: str
) -> list[list[int]]:
    """For each input column of a Calibration, what each calibrated classifier's estimator
    reads there: each reads every column (spec/estimators.md section 22), as a Voting's
    members do."""
    n = int(est.n_features_in)
    reads: list[list[int]] = [[] for _ in range(n)]
    for i, c in enumerate(est.calibration.classifiers):
        kinds = input_kinds(c.estimator, widths, f"{path}classifiers/{i}/", None)
        for col, k in zip(range(n), kinds):
            reads[col].append(k)
    return reads


def multiclass_reads(
    est: pb.Estimator, widths: dict[str, int | None], path: str
) -> list[list[int]]:
    """For each input column of a Multiclass, what each member with an estimator reads there
    (constant members read nothing): each reads every column (spec/estimators.md section
    23), as a Voting's members do."""
    n = int(est.n_features_in)
    reads: list[list[int]] = [[] for _ in range(n)]
    for i, m in enumerate(est.multiclass.members):
        if m.HasField("estimator"):
            kinds = input_kinds(m.estimator, widths, f"{path}estimators/{i}/", None)
            for col, k in zip(range(n), kinds):
                reads[col].append(k)
    return reads


def multi_output_reads(
    est: pb.Estimator, widths: dict[str, int | None], path: str
) -> list[list[int]]:
    """For each input column of a MultiOutputClassifier or MultiOutputRegressor, what each
    member reads there: each reads every column (spec/estimators.md section 24), as a
    Voting's members do."""
    n = int(est.n_features_in)
    reads: list[list[int]] = [[] for _ in range(n)]
    for i, e in enumerate(est.multi_output.members):
        kinds = input_kinds(e, widths, f"{path}estimators/{i}/", None)
        for col, k in zip(range(n), kinds):
            reads[col].append(k)
    return reads


def input_width(est: pb.Estimator) -> int:
    """The input width of `est` (spec/estimators.md section 1): its n_features_in, or for a
    pipeline that leaves it unset, its first non-passthrough step's; 0 when nothing sets it."""
    while not est.n_features_in and est.WhichOneof("body") == "pipeline":
        steps = [s.estimator for s in est.pipeline.steps if s.HasField("estimator")]
        if not steps:
            return 0
        est = steps[0]
    return int(est.n_features_in)


def feature_names(est: pb.Estimator) -> list[str] | None:
    while True:
        if est.feature_names_in:
            return list(est.feature_names_in)
        if est.WhichOneof("body") != "pipeline":
            return None
        steps = [s.estimator for s in est.pipeline.steps if s.HasField("estimator")]
        if not steps:
            return None
        est = steps[0]


#: Bodies whose input kinds are not simply "every column numeric" (spec/format.md §7).
KIND_BEARING = frozenset(
    (
        "column_transformer",
        "feature_union",
        "one_hot_encoder",
        "ordinal_encoder",
        "target_encoder",
        "simple_imputer",
        "missing_indicator",
        "knn_imputer",
    )
)


def _children(est: pb.Estimator):
    body = est.WhichOneof("body")
    if body == "pipeline":
        return [s.estimator for s in est.pipeline.steps if s.HasField("estimator")]
    if body in ("column_transformer", "feature_union"):
        return [b.estimator for b in branches(est) if b.HasField("estimator")]
    if body in ("voting", "stacking"):
        members = getattr(est, body).members
        out = [m.estimator for m in members if m.HasField("estimator")]
        return [*out, est.stacking.final_estimator] if body == "stacking" else out
    if body == "calibration":
        return [c.estimator for c in est.calibration.classifiers]
    if body == "multiclass":
        return [m.estimator for m in est.multiclass.members if m.HasField("estimator")]
    if body == "multi_output":
        return list(est.multi_output.members)
    if body == "transformed_target":
        t = est.transformed_target
        return [getattr(t, f) for f in ("regressor", "transformer") if t.HasField(f)]
    if body == "threshold_classifier":
        t = est.threshold_classifier
        return [t.estimator] if t.HasField("estimator") else []
    if body == "bagging":
        return [m.estimator for m in est.bagging.members if m.HasField("estimator")]
    if body == "ada_boost":
        return list(est.ada_boost.members)
    if body == "boosting":
        b = est.boosting
        out = [b.init] if b.HasField("init") else []
        if b.HasField("preprocessor"):
            out.append(b.preprocessor)
        return out
    return []


def kind_bearing(est: pb.Estimator) -> bool:
    """Whether `est` or an estimator inside it reads columns by kind."""
    body = est.WhichOneof("body")
    if body in KIND_BEARING or (body == "boosting" and est.boosting.HasField("preprocessor")):
        return True
    return any(kind_bearing(c) for c in _children(est))


def max_unbacked_features(file_length: int) -> int:
    """MAX_UNBACKED_FEATURES of spec/format.md §7: max(2^20, 16 * file_length)."""
    return max(1 << 20, 16 * int(file_length))


def check_limit(manifest: pb.Manifest, file_length: int) -> None:
    """Schema rule 5 (E_LIMIT): in a model with a schema or a kind-bearing body, no
    estimator declares more than MAX_UNBACKED_FEATURES input features."""
    if not manifest.HasField("input") and not kind_bearing(manifest.estimator):
        return
    limit = max_unbacked_features(file_length)
    stack = [manifest.estimator]
    while stack:
        est = stack.pop()
        if est.n_features_in > limit:
            raise ModelError(
                "E_LIMIT",
                f"n_features_in {est.n_features_in} of a model with an input schema exceeds "
                f"MAX_UNBACKED_FEATURES ({limit})",
            )
        stack.extend(_children(est))


def derive(manifest: pb.Manifest, widths: dict[str, int | None]) -> pb.InputSchema | None:
    """The schema a writer records: None when every column is numeric."""
    if not kind_bearing(manifest.estimator):
        return None
    kinds = input_kinds(manifest.estimator, widths)
    if all(k == NUMERIC for k in kinds):
        return None
    names = feature_names(manifest.estimator) or [""] * len(kinds)
    return pb.InputSchema(columns=[pb.InputColumn(name=n, kind=k) for n, k in zip(names, kinds)])


def check(manifest: pb.Manifest, widths: dict[str, int | None]) -> None:
    """Schema rules 1-4 of spec/format.md section 7 (E_MODEL); rule 5 ran before."""
    bearing = kind_bearing(manifest.estimator)
    if not manifest.HasField("input") and not bearing:
        return
    if manifest.HasField("input") and len(manifest.input.columns) != input_width(
        manifest.estimator
    ):
        raise ModelError(
            "E_MODEL",
            f"input.columns: has {len(manifest.input.columns)} columns, and the model reads "
            f"{input_width(manifest.estimator)}",
        )
    if bearing:
        kinds = input_kinds(manifest.estimator, widths)
    else:
        kinds = [NUMERIC] * len(manifest.input.columns)
    if not manifest.HasField("input"):
        for j, k in enumerate(kinds):
            if k != NUMERIC:
                raise ModelError(
                    "E_MODEL",
                    f"input: is absent, so every column is numeric, and the model reads "
                    f"{kind_name(k)} values in column {j}",
                )
        return
    cols = manifest.input.columns
    if len(cols) != len(kinds):
        raise ModelError(
            "E_MODEL", f"input.columns: has {len(cols)} columns, and the model reads {len(kinds)}"
        )
    names = feature_names(manifest.estimator)
    for j, (c, k) in enumerate(zip(cols, kinds)):
        want = names[j] if names else ""
        if c.name != want:
            raise ModelError(
                "E_MODEL",
                f"input.columns[{j}].name: is {c.name!r}, and the model's feature name there "
                f"is {want!r}",
            )
        if c.kind != k:
            raise ModelError(
                "E_MODEL",
                f"input.columns[{j}].kind: is {kind_name(c.kind)}, and the model reads "
                f"{kind_name(k)} values there",
            )


def _encoder_kinds(est: pb.Estimator) -> list[int]:
    """OneHotEncoder, OrdinalEncoder, TargetEncoder: a column reads strings where its
    categories are strings (spec/estimators.md, "Categories")."""
    body = getattr(est, est.WhichOneof("body"))
    return [
        STRING if f.categories.kind == pb.CATEGORY_KIND_STRING else NUMERIC for f in body.features
    ]


def _simple_imputer_kinds(msg: pb.Estimator) -> list[int]:
    """A text fill reads a text column; every other column is numeric (spec/estimators.md,
    "SimpleImputer", Input columns)."""
    return [STRING if f.WhichOneof("kind") == "text" else NUMERIC for f in msg.simple_imputer.fills]


def _simple_imputer_output(msg: pb.Estimator, width: int) -> list[int]:
    """The kept columns' kinds (text fills give text), then the indicator's numbers."""
    b = msg.simple_imputer
    kept = [
        STRING if f.WhichOneof("kind") == "text" else NUMERIC
        for f in b.fills
        if b.keep_nan_fills or not (f.WhichOneof("kind") == "number" and f.number != f.number)
    ]
    return kept + [NUMERIC] * max(width - len(kept), 0)


def _missing_indicator_kinds(msg: pb.Estimator) -> list[int]:
    """NaN matches a NaN number or a missing text cell (any column); a number, numbers; a
    string or None, text cells (spec/estimators.md, "MissingIndicator")."""
    kind = msg.missing_indicator.missing_values.WhichOneof("kind")
    k = {"nan": ANY, "number": NUMERIC, "integer": NUMERIC}
    return [k.get(kind, STRING)] * int(msg.n_features_in)


register_kinds("simple_imputer", _simple_imputer_kinds)
register_output_kinds("simple_imputer", _simple_imputer_output)
register_kinds("missing_indicator", _missing_indicator_kinds)
register_kinds("one_hot_encoder", _encoder_kinds)
register_kinds("ordinal_encoder", _encoder_kinds)
register_kinds("target_encoder", _encoder_kinds)
