"""Corpus cases for OneHotEncoder and OrdinalEncoder (spec/estimators.md section 19), used
by generate.py: `cases(version, g)` builds the valid cases of a scikit-learn version
(written as <case>-sk<version>), `invalid_files(models, g)` one invalid file
per body rule, each derived from a valid case and damaged in exactly that way.

Inputs are pandas DataFrames with string columns (written as input.csv only; the expected
outputs are scikit-learn's on the CSV as a reader reads it, an empty cell NaN) or numeric
arrays.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pandas as pd
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, TargetEncoder

from amber._proto.amber.v1 import amber_pb2 as pb

SEED = 20241204
N_TRAIN, N_TEST = 200, 50
CITIES = ["Paris", "Lyon", "Nice", "Lille", "Brest", "Metz", "Caen"]
#: Category frequencies: Caen and Metz rare (infrequent under min_frequency=8).
CITY_P = [0.30, 0.22, 0.18, 0.14, 0.10, 0.035, 0.025]
PLANS = ["basic", "pro", "team"]
GRADES = [1.0, 2.0, 3.0, 5.0, 8.0]
GRADE_P = [0.4, 0.3, 0.2, 0.07, 0.03]


def _strings(rng: np.random.RandomState, n: int, values, p, missing: float, unknown=(), none=False):
    out: list[Any] = [str(v) for v in rng.choice(values, size=n, p=p)]
    for i in np.flatnonzero(rng.rand(n) < missing):
        out[i] = None if none else np.nan
    for i, u in enumerate(unknown):  # the first rows of a test frame: unseen categories
        out[i] = u
    return out


def _frame(
    seed: int, n: int, missing: float = 0.1, unknown: bool = False, objects: bool = False
) -> pd.DataFrame:
    """city (7 strings, two rare, some missing), plan (3 strings), grade (5 numbers, some
    NaN), n_seats (ints), member (2 strings), vip (ints 0/1). A missing string is NaN (as
    pandas.read_csv makes it; pandas 3 makes str columns), or with `objects` None in object
    columns."""
    rng = np.random.RandomState(seed)
    unseen = ("Oslo", "Zurich") if unknown else ()
    city = _strings(rng, n, CITIES, CITY_P, missing, unseen, none=objects)
    plan = _strings(rng, n, PLANS, None, 0.0, ("enterprise",) if unknown else ())
    grade = rng.choice(GRADES, size=n, p=GRADE_P)
    grade[rng.rand(n) < missing] = np.nan
    if unknown:
        grade[:2] = [4.0, -0.0]  # 4 unseen; -0.0 unseen (0.0 is no category)
    seats = rng.randint(1, 4, size=n) * 10
    member = _strings(rng, n, ["no", "yes"], None, 0.0)
    vip = rng.randint(0, 2, size=n)
    text = (lambda v: pd.Series(v, dtype=object)) if objects else (lambda v: v)
    return pd.DataFrame(
        {
            "city": text(city),
            "plan": text(plan),
            "grade": grade,
            "n_seats": seats,
            "member": text(member),
            "vip": vip,
        }
    )


def _numbers(seed: int, n: int, unknown: bool = False) -> np.ndarray:
    """Three numeric columns: small ints, grades with NaN, -0.0/0.0/1.5."""
    rng = np.random.RandomState(seed)
    a = rng.randint(0, 4, size=n).astype(np.float64)
    b = rng.choice(GRADES, size=n, p=GRADE_P)
    b[rng.rand(n) < 0.1] = np.nan
    c = rng.choice([-0.0, 1.5, 0.0], size=n)
    X = np.column_stack([a, b, c])
    if unknown:
        X[0] = [7.0, 4.0, 2.0]
        X[1] = [-1.0, np.nan, -0.0]
    return X


def _fit(est: Any, train: Any, test: Any):
    return est.fit(train), train, None, test


def _on_frame(est: Any, seed: int, unknown: bool = False, columns=None, objects=False):
    def build():
        train = _frame(seed, N_TRAIN, objects=objects)
        test = _frame(seed + 1, N_TEST, unknown=unknown, objects=objects)
        if columns is not None:
            train, test = train[columns], test[columns]
        return _fit(est, train, test)

    return build


def _on_numbers(est: Any, seed: int, unknown: bool = False):
    return lambda: _fit(est, _numbers(seed, N_TRAIN), _numbers(seed + 1, N_TEST, unknown))


def _target(kind: str, seed: int, n: int) -> np.ndarray:
    """A target for TargetEncoder: continuous, binary or three classes, depending on the
    plan and city so the encodings differ."""
    frame = _frame(seed, n)
    rng = np.random.RandomState(seed + 7)
    score = (frame["plan"] == "pro").to_numpy() * 1.5 + rng.normal(size=n)
    score += (frame["city"] == "Paris").to_numpy()
    if kind == "continuous":
        return score * 10.0 + 3.0
    if kind == "binary":
        return (score > 0.8).astype(np.int64)
    return np.array(["low", "mid", "top"], dtype=object)[np.digitize(score, [0.3, 1.4])]


def _on_frame_y(est: Any, seed: int, kind: str, unknown: bool = True):
    def build():
        train = _frame(seed, N_TRAIN)
        test = _frame(seed + 1, N_TEST, unknown=unknown)
        y = _target(kind, seed, N_TRAIN)
        return est.fit(train, y), train, y, test

    return build


def _version(version: str) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in version.split(".")[:2])
    except ValueError:
        return (0,)


def _one_hot(**params: Any) -> OneHotEncoder:
    return OneHotEncoder(sparse_output=False, **params)


def cases(version: str, g: Any) -> list[Any]:
    """This family's cases for `version`; `g` is the generator module (its Case)."""
    out = encoder_cases(version, g.Case)
    for case in out:
        case.methods = _exact_transform
    return out


def _exact_transform(est: Any, frame: Any) -> dict[str, dict[str, Any]]:
    # Small integers, 0/1 and stored values, rounded once to the output dtype: exact.
    return {"transform": {"exact": True}}


def encoder_cases(version: str, Case: Callable[..., Any]) -> list[Any]:
    """The encoder cases of scikit-learn `version` (both 1.3.2 and 1.9.1 have every option
    used here)."""
    s = SEED
    cases = [
        Case(
            "one_hot_encoder_strings",
            "OneHotEncoder on a DataFrame of two string columns (a missing city is a "
            "category, last), a float and an int column; handle_unknown='error'.",
            _on_frame(_one_hot(), s),
            feature_names=True,
        ),
        Case(
            "one_hot_encoder_ignore",
            "OneHotEncoder(handle_unknown='ignore'): unseen cities, plan, grades (4, -0.0 is "
            "0.0, unseen too) in the first test rows are all-zero outputs.",
            _on_frame(_one_hot(handle_unknown="ignore"), s + 10, unknown=True),
            feature_names=True,
        ),
        Case(
            "one_hot_encoder_numeric",
            "OneHotEncoder(handle_unknown='ignore') on a numeric array: NaN a category, "
            "-0.0 and 0.0 one category, unseen numbers all zeros.",
            _on_numbers(_one_hot(handle_unknown="ignore"), s + 20, unknown=True),
        ),
        Case(
            "one_hot_encoder_drop_first",
            "OneHotEncoder(drop='first', handle_unknown='ignore'): each column's first "
            "category has no output (all zeros, as unknown ones).",
            _on_frame(_one_hot(drop="first", handle_unknown="ignore"), s + 30, unknown=True),
            feature_names=True,
        ),
        Case(
            "one_hot_encoder_drop_if_binary",
            "OneHotEncoder(drop='if_binary'): the two binary columns (member, vip) lose "
            "their first output, the others keep all.",
            _on_frame(_one_hot(drop="if_binary"), s + 40),
            feature_names=True,
        ),
        Case(
            "one_hot_encoder_drop_array",
            "OneHotEncoder(drop=['Lyon', 'team', NaN, 20, 'no', 1]): a named category per "
            "column, the missing grade (NaN) dropped in column 2.",
            _on_frame(_one_hot(drop=["Lyon", "team", np.nan, 20, "no", 1]), s + 50),
            feature_names=True,
        ),
        Case(
            "one_hot_encoder_explicit_categories",
            "OneHotEncoder(categories=[unsorted strings, ascending numbers], "
            "handle_unknown='ignore'): the user's order is the output order.",
            _on_frame(
                _one_hot(
                    categories=[["team", "basic", "pro"], [1.0, 2.0, 3.0, 5.0, 8.0, np.nan]],
                    handle_unknown="ignore",
                ),
                s + 60,
                unknown=True,
                columns=["plan", "grade"],
            ),
            feature_names=True,
        ),
        Case(
            "one_hot_encoder_min_frequency",
            "OneHotEncoder(min_frequency=8, handle_unknown='infrequent_if_exist'): rare "
            "cities and grades share one output, which unseen ones join.",
            _on_frame(
                _one_hot(min_frequency=8, handle_unknown="infrequent_if_exist"),
                s + 70,
                unknown=True,
            ),
            feature_names=True,
        ),
        Case(
            "one_hot_encoder_max_categories_drop",
            "OneHotEncoder(max_categories=3, drop='first', handle_unknown="
            "'infrequent_if_exist'): three outputs per column after grouping, the first "
            "dropped (_drop_idx_after_grouping).",
            _on_frame(
                _one_hot(max_categories=3, drop="first", handle_unknown="infrequent_if_exist"),
                s + 80,
                unknown=True,
            ),
            feature_names=True,
        ),
        Case(
            "one_hot_encoder_max_categories_if_binary",
            "OneHotEncoder(max_categories=2, drop='if_binary', handle_unknown='ignore'): "
            "each column is one frequent category and the group; the frequent one dropped.",
            _on_frame(
                _one_hot(max_categories=2, drop="if_binary", handle_unknown="ignore"),
                s + 90,
                unknown=True,
            ),
            feature_names=True,
        ),
        Case(
            "one_hot_encoder_float32",
            "OneHotEncoder(dtype=np.float32, min_frequency=0.12) on a numeric array: the "
            "missing grade (NaN, about 10%) is infrequent too.",
            _on_numbers(
                _one_hot(dtype=np.float32, min_frequency=0.12, handle_unknown="ignore"),
                s + 100,
                unknown=True,
            ),
        ),
        Case(
            "one_hot_encoder_none_category",
            "OneHotEncoder(handle_unknown='ignore') on object columns holding None: None is "
            "the last string category (x_None); a missing cell is NaN, unknown: all zeros.",
            _on_frame(_one_hot(handle_unknown="ignore"), s + 105, unknown=True, objects=True),
            feature_names=True,
        ),
        Case(
            "ordinal_encoder_none_category",
            "OrdinalEncoder(use_encoded_value, unknown_value=-1) on object columns holding "
            "None: None is an ordinary category; a missing cell is NaN, unknown here.",
            _on_frame(
                OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1),
                s + 106,
                objects=True,
            ),
            feature_names=True,
        ),
        Case(
            "ordinal_encoder_strings",
            "OrdinalEncoder on a DataFrame of strings and numbers: a NaN grade is NaN "
            "(encoded_missing_value default); a missing city is a category of its own when "
            "pandas makes it None, NaN when pandas makes it NaN.",
            _on_frame(OrdinalEncoder(), s + 110),
            feature_names=True,
        ),
        Case(
            "ordinal_encoder_unknown_value",
            "OrdinalEncoder(handle_unknown='use_encoded_value', unknown_value=-1, "
            "encoded_missing_value=-2).",
            _on_frame(
                OrdinalEncoder(
                    handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=-2
                ),
                s + 120,
                unknown=True,
            ),
            feature_names=True,
        ),
        Case(
            "ordinal_encoder_unknown_nan",
            "OrdinalEncoder(handle_unknown='use_encoded_value', unknown_value=NaN) on a "
            "numeric array.",
            _on_numbers(
                OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan),
                s + 130,
                unknown=True,
            ),
        ),
        Case(
            "ordinal_encoder_infrequent",
            "OrdinalEncoder(max_categories=4, handle_unknown='use_encoded_value', "
            "unknown_value=99): rare categories share the last code; NaN is never grouped.",
            _on_frame(
                OrdinalEncoder(
                    max_categories=4, handle_unknown="use_encoded_value", unknown_value=99
                ),
                s + 140,
                unknown=True,
            ),
            feature_names=True,
        ),
        Case(
            "ordinal_encoder_min_frequency",
            "OrdinalEncoder(min_frequency=0.1, encoded_missing_value=-1, unknown -5): codes "
            "of the frequent categories, then the group.",
            _on_frame(
                OrdinalEncoder(
                    min_frequency=0.1,
                    encoded_missing_value=-1,
                    handle_unknown="use_encoded_value",
                    unknown_value=-5,
                ),
                s + 150,
                unknown=True,
            ),
            feature_names=True,
        ),
        Case(
            "ordinal_encoder_explicit_float32",
            "OrdinalEncoder(categories=[unsorted strings, numbers], dtype=np.float32).",
            _on_frame(
                OrdinalEncoder(
                    categories=[["team", "pro", "basic"], [10, 20, 30]], dtype=np.float32
                ),
                s + 160,
                columns=["plan", "n_seats"],
            ),
            feature_names=True,
        ),
    ]
    cases += [
        Case(
            "target_encoder_continuous",
            "TargetEncoder (transform) with a continuous target: each category's encoding, "
            "target_mean_ for unseen ones; the NaN category has its own.",
            _on_frame_y(TargetEncoder(), s + 170, "continuous"),
            feature_names=True,
        ),
        Case(
            "target_encoder_binary_smooth",
            "TargetEncoder(smooth=2.0) with a binary target.",
            _on_frame_y(TargetEncoder(smooth=2.0), s + 180, "binary"),
            feature_names=True,
        ),
    ]
    if _version(version) >= (1, 6):  # handle_unknown="warn": 1.6+
        cases.append(
            Case(
                "one_hot_encoder_warn",
                "OneHotEncoder(handle_unknown='warn', min_frequency=8): transforms as "
                "infrequent_if_exist (and warns); the body says INFREQUENT.",
                _on_frame(_one_hot(handle_unknown="warn", min_frequency=8), s + 75, unknown=True),
                feature_names=True,
            )
        )
    if _version(version) >= (1, 4):  # multiclass targets: 1.4+
        cases.append(
            Case(
                "target_encoder_multiclass",
                "TargetEncoder with a three-class string target: three outputs per column, "
                "in class order.",
                _on_frame_y(TargetEncoder(), s + 190, "multiclass"),
                feature_names=True,
            )
        )
    for case in cases:
        case.name = f"{case.name}-sk{version}"
    return cases


# ---------------------------------------------------------------------------- invalid files


def _first_column(body: str) -> Callable[[pb.Manifest], Any]:
    return lambda m: getattr(m.estimator, body).features[0]


def invalid_files(
    models: dict[str, bytes], g: Any
) -> list[tuple[str, tuple[str, str, str, bytes]]]:
    """(base case, (name, code, description, bytes)): one file per encoder body rule, from
    the cases of the running version (`g.VERSION`; generate.py writes them under the pinned
    one)."""
    version = g.VERSION
    one_hot, ordinal = (
        f"one_hot_encoder_strings-sk{version}",
        f"ordinal_encoder_strings-sk{version}",
    )
    target = f"target_encoder_continuous-sk{version}"
    ohe = _first_column("one_hot_encoder")
    ord_ = _first_column("ordinal_encoder")

    def set_(path: Callable[[pb.Manifest], Any], field: str, value: Any):
        return lambda m: setattr(path(m), field, value)

    def numbers(path, values):
        def edit(m: pb.Manifest) -> None:
            c = path(m).categories
            c.ClearField("strings")
            c.has_none = c.has_nan = False
            c.kind, c.dtype = pb.CATEGORY_KIND_NUMERIC, pb.DTYPE_F64
            c.numbers.extend(values)

        return edit

    def strings(path, values):
        def edit(m: pb.Manifest) -> None:
            c = path(m).categories
            del c.strings[:]
            c.strings.extend(values)

        return edit

    def empty(path):
        def edit(m: pb.Manifest) -> None:
            c = path(m).categories
            c.ClearField("strings")
            c.has_none = c.has_nan = False

        return edit

    def drop_column(m: pb.Manifest) -> None:
        del m.estimator.one_hot_encoder.features[-1]

    def infrequent(path, values):
        def edit(m: pb.Manifest) -> None:
            f = path(m)
            del f.infrequent[:]
            f.infrequent.extend(values)

        return edit

    def ordinal_int_nan(m: pb.Manifest) -> None:
        m.estimator.ordinal_encoder.dtype = pb.DTYPE_I64  # the grade column has a NaN category

    files = [
        (
            one_hot,
            "encoder_categories_kind_unspecified",
            "Categories rule 1: the first column's kind is CATEGORY_KIND_UNSPECIFIED",
            lambda m: setattr(ohe(m).categories, "kind", 0),
        ),
        (
            one_hot,
            "encoder_categories_empty",
            "Categories rule 2: the first column has no category",
            empty(ohe),
        ),
        (
            one_hot,
            "encoder_categories_numbers_not_ascending",
            "Categories rule 3: numeric categories 2.0, 1.0 are not strictly ascending",
            numbers(ohe, [2.0, 1.0]),
        ),
        (
            ordinal,
            "encoder_categories_numbers_infinite",
            "Categories rule 3: a numeric category is infinite",
            numbers(ord_, [1.0, float("inf")]),
        ),
        (
            one_hot,
            "encoder_categories_strings_repeated",
            "Categories rule 4: the string category 'Lyon' is listed twice",
            strings(ohe, ["Lyon", "Lyon"]),
        ),
        (
            one_hot,
            "one_hot_encoder_features_too_few",
            "OneHotEncoder rule 1: 5 columns for n_features_in 6",
            drop_column,
        ),
        (
            one_hot,
            "one_hot_encoder_infrequent_out_of_range",
            "OneHotEncoder rule 3: infrequent index 99 is not a category",
            infrequent(ohe, [99]),
        ),
        (
            one_hot,
            "one_hot_encoder_infrequent_not_ascending",
            "OneHotEncoder rule 3: infrequent indices 2, 1 are not ascending",
            infrequent(ohe, [2, 1]),
        ),
        (
            one_hot,
            "one_hot_encoder_drop_out_of_range",
            "OneHotEncoder rule 4: drop 99 is not an output",
            set_(ohe, "drop", 99),
        ),
        (
            one_hot,
            "one_hot_encoder_unknown_unspecified",
            "OneHotEncoder rule 5: unknown is ONE_HOT_UNKNOWN_UNSPECIFIED",
            lambda m: setattr(m.estimator.one_hot_encoder, "unknown", 0),
        ),
        (
            one_hot,
            "one_hot_encoder_dtype_u8",
            "OneHotEncoder rule 5: the output dtype is u8",
            lambda m: setattr(m.estimator.one_hot_encoder, "dtype", pb.DTYPE_U8),
        ),
        (
            ordinal,
            "ordinal_encoder_infrequent_nan",
            "OrdinalEncoder rule 3: the grade column's infrequent index is its NaN category",
            lambda m: _ordinal_nan_infrequent(m),
        ),
        (
            ordinal,
            "ordinal_encoder_unknown_value_fraction",
            "OrdinalEncoder rule 4: unknown_value 0.5 is not an integer",
            lambda m: _ordinal_unknown(m, 0.5),
        ),
        (
            ordinal,
            "ordinal_encoder_unknown_value_negative_zero",
            "OrdinalEncoder rule 4: unknown_value -0.0 is not an integer scikit-learn holds",
            lambda m: _ordinal_unknown(m, -0.0),
        ),
        (
            ordinal,
            "ordinal_encoder_missing_value_fraction",
            "OrdinalEncoder rule 5: encoded_missing_value 1.5 is not an integer",
            lambda m: setattr(m.estimator.ordinal_encoder, "encoded_missing_value", 1.5),
        ),
        (
            ordinal,
            "ordinal_encoder_int_dtype_nan",
            "OrdinalEncoder rule 6: dtype i64 with a NaN category and encoded_missing_value NaN",
            ordinal_int_nan,
        ),
        (
            target,
            "target_encoder_target_mean_nan",
            "TargetEncoder rule 3: target_mean is NaN",
            _target_mean_nan,
        ),
        (
            target,
            "target_encoder_encodings_short",
            "TargetEncoder rule 4: the first column has one encoding fewer than its categories",
            _target_short,
        ),
    ]
    return g.e_model_files(models, files)


def _ordinal_nan_infrequent(m: pb.Manifest) -> None:
    for f in m.estimator.ordinal_encoder.features:
        if f.categories.has_nan and f.categories.kind == pb.CATEGORY_KIND_NUMERIC:
            del f.infrequent[:]
            f.infrequent.append(len(f.categories.numbers))
            return
    raise AssertionError("no numeric column with a NaN category")


def _ordinal_unknown(m: pb.Manifest, value: float) -> None:
    m.estimator.ordinal_encoder.unknown = pb.ORDINAL_UNKNOWN_VALUE
    m.estimator.ordinal_encoder.unknown_value = value


def _target_mean_nan(m: pb.Manifest) -> None:
    m.estimator.target_encoder.target_mean[0] = float("nan")


def _target_short(m: pb.Manifest) -> None:
    del m.estimator.target_encoder.features[0].encodings[-1]
