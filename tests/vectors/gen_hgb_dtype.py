"""Corpus cases of HistGradientBoosting on DataFrame categories (spec/estimators.md,
"Boosting", rules 8-10 and "HistGradientBoosting"), imported by generate.py:
`cases(version, g)` builds the valid cases of a scikit-learn version (written as
<case>-sk<version>), `invalid_files(models, g)` one invalid file per preprocessor rule.

scikit-learn >= 1.4 codes categorical columns with its `_preprocessor`, so pandas `category`
columns (`categorical_features="from_dtype"`) and string columns (by name or boolean mask)
are categorical: those cases keep the preprocessor in the body and take string columns
(input.csv only; the expected outputs are scikit-learn's on the CSV as a reader reads it,
checked beforehand to equal its outputs on the frame with `category` columns). 1.3 has no
"from_dtype" and no strings; its cases (and the same ones under 1.9.1) give
categorical_features as names or a mask on a DataFrame of category codes, some of them a
`category` column of integer codes. Every test frame holds unseen categories and missing
cells in the first rows.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline

from amber._proto.amber.v1 import amber_pb2 as pb

SEED = 20241205
N_TRAIN, N_TEST = 400, 60
CITIES = ["Paris", "Lyon", "Nice", "Lille", "Brest", "Metz"]
CITY_P = [0.3, 0.22, 0.18, 0.14, 0.1, 0.06]
PLANS = ["basic", "pro", "team"]
SIZES = [1, 2, 4, 8]


def _frame(seed: int, n: int, test: bool = False) -> pd.DataFrame:
    """age, income (5 % NaN), city (6 strings, 8 % missing), plan (3 strings), size (ints
    1/2/4/8), member (bool). A test frame's first rows hold unseen categories (Oslo, Zurich,
    enterprise, size 3) and missing cells (city, plan, income)."""
    rng = np.random.RandomState(seed)
    age = rng.randint(18, 90, n).astype(np.float64)
    income = np.round(rng.lognormal(10.5, 0.6, n), 2)
    income[rng.rand(n) < 0.05] = np.nan
    city = rng.choice(CITIES, size=n, p=CITY_P).astype(object)
    city[rng.rand(n) < 0.08] = None
    plan = rng.choice(PLANS, size=n).astype(object)
    size = rng.choice(SIZES, size=n)
    member = rng.rand(n) < 0.3
    if test:
        city[:3] = ["Oslo", "Zurich", None]
        plan[3:6] = ["enterprise", None, "pro"]
        size[6] = 3
        income[7] = np.nan
    return pd.DataFrame(
        {
            "age": age,
            "income": income,
            "city": pd.Series(city, dtype=object),
            "plan": pd.Series(plan, dtype=object),
            "size": size,
            "member": member,
        }
    )


def _target(X: pd.DataFrame, seed: int, classes: int) -> np.ndarray:
    rng = np.random.RandomState(seed)
    city = X["city"].map({"Paris": 1.0, "Lyon": -0.5, "Nice": 0.7, "Metz": -1.2}).fillna(0.3)
    plan = X["plan"].map({"basic": -0.6, "pro": 0.4, "team": 0.9}).fillna(0.0)
    z = city + plan + 0.03 * (X["age"] - 50) + 0.2 * np.log(X["size"]) + 0.5 * X["member"]
    z = z.to_numpy() + rng.normal(0, 0.4, len(X))
    if classes == 0:
        return z
    return np.digitize(z, np.quantile(z, np.linspace(0, 1, classes + 1)[1:-1]))


def _categories(X: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    out = X.copy()
    for c in columns:
        out[c] = out[c].astype("category")
    return out


def _fit_strings(est: Any, seed: int, classes: int, dtype_columns: list[str] | None):
    """Fits `est` on the frame (`dtype_columns` as pandas `category`, else object strings)
    and checks that scikit-learn gives the same outputs on the test frame with object
    string columns (what a CSV reads as) as with `category` columns."""

    def build():
        X = _frame(seed, N_TRAIN)
        y = _target(X, seed + 1, classes)
        test = _frame(seed + 2, N_TEST, test=True)
        if dtype_columns is not None:
            X, test = _categories(X, dtype_columns), _categories(test, dtype_columns)
        est.fit(X, y)
        plain = test.astype({c: object for c in dtype_columns or []})
        if dtype_columns is not None:
            # Category columns hold numbers where their categories are numbers.
            for c in dtype_columns:
                if test[c].cat.categories.dtype.kind in "iuf":
                    plain[c] = test[c].astype(np.float64)
        methods = ["predict"] + [
            m for m in ("predict_proba", "decision_function") if hasattr(est, m)
        ]
        for m in methods:
            a, b = getattr(est, m)(test), getattr(est, m)(plain)
            if not np.array_equal(a, b):
                raise SystemExit(f"{m}: category columns and their strings disagree")
        return est, X, y, test

    return build


def _fit_codes(est: Any, seed: int, classes: int, category_codes: bool):
    """Fits `est` on a frame of category codes (city and plan as float codes, NaN missing;
    `category_codes`: plan a pandas `category` column of integer codes). Unseen codes (9,
    -1) and NaN in the first test rows."""

    def build():
        def codes(frame: pd.DataFrame) -> pd.DataFrame:
            out = frame.copy()
            out["city"] = frame["city"].map({c: float(i) for i, c in enumerate(CITIES)})
            out["plan"] = frame["plan"].map({c: i for i, c in enumerate(PLANS)})
            return out

        X0 = _frame(seed, N_TRAIN)
        y = _target(X0, seed + 1, classes)
        X, test = codes(X0), codes(_frame(seed + 2, N_TEST, test=True))
        test.loc[0, "city"], test.loc[1, "city"] = 9.0, -1.0  # unseen codes
        test["plan"] = test["plan"].fillna(7.0)  # an unseen plan code where it was missing
        X["plan"] = X["plan"].astype(np.int64)
        test["plan"] = test["plan"].astype(np.int64)
        if category_codes:
            X["plan"] = X["plan"].astype("category")
            test["plan"] = test["plan"].astype("category")
        X["member"] = X["member"].astype(np.float64)
        test["member"] = test["member"].astype(np.float64)
        est.fit(X, y)
        return est, X, y, test

    return build


def _imputed_pipeline() -> Pipeline:
    """Strings imputed by a ColumnTransformer, then coded by the HistGradientBoosting's own
    preprocessor (categorical_features by index into the ColumnTransformer's output)."""
    ct = ColumnTransformer(
        [
            ("imp", SimpleImputer(strategy="constant", fill_value="unknown"), ["city", "plan"]),
            ("num", "passthrough", ["age", "income", "size", "member"]),
        ]
    )
    hgb = HistGradientBoostingClassifier(categorical_features=[0, 1], max_iter=20, random_state=7)
    return Pipeline([("ct", ct), ("hgb", hgb)])


def cases(version: str, g: Any) -> list[Any]:
    """This family's cases for `version`; `g` is the generator module (its Case)."""
    C, R = HistGradientBoostingClassifier, HistGradientBoostingRegressor
    modern = g._at_least(version, (1, 4))

    def case(name: str, description: str, build, methods=True, **kw) -> Any:
        return g.Case(
            f"{name}-sk{version}",
            description,
            build,
            feature_names=True,
            methods=(lambda est, frame: g._hgb_methods(est, frame)) if methods else None,
            **kw,
        )

    out = [
        case(
            "hgb_dtype_codes_names",
            "HistGradientBoostingRegressor(categorical_features=['city', 'plan']) on a "
            "DataFrame of category codes (NaN missing; unseen codes 9, -1 and 7 in the test "
            "rows), a bool column as numbers",
            _fit_codes(
                R(max_iter=25, categorical_features=["city", "plan"], random_state=1),
                SEED,
                0,
                category_codes=False,
            ),
        ),
        case(
            "hgb_dtype_codes_mask",
            "HistGradientBoostingClassifier(categorical_features=<bool mask>) on a DataFrame "
            "whose plan column is a pandas category of integer codes; input.csv only",
            _fit_codes(
                C(
                    max_iter=20,
                    categorical_features=np.array([False, False, True, True, False, False]),
                    random_state=2,
                ),
                SEED + 10,
                2,
                category_codes=True,
            ),
        ),
    ]
    if not modern:  # no "from_dtype" and no string categories before 1.4
        return out
    return [
        *out,
        case(
            "hgb_dtype_from_dtype",
            "HistGradientBoostingClassifier(categorical_features='from_dtype') on pandas "
            "category columns of strings (city, plan): the body keeps the fitted "
            "_preprocessor; unseen and missing categories in the test rows; input.csv only",
            _fit_strings(
                C(categorical_features="from_dtype", max_iter=30, random_state=3),
                SEED + 20,
                2,
                ["city", "plan"],
            ),
        ),
        case(
            "hgb_dtype_from_dtype_mixed_multiclass",
            "HistGradientBoostingClassifier(categorical_features='from_dtype'), 3 classes: "
            "category columns of strings (city, plan) and of integers (size, read as numbers)",
            _fit_strings(
                C(categorical_features="from_dtype", max_iter=15, random_state=4),
                SEED + 30,
                3,
                ["city", "plan", "size"],
            ),
        ),
        case(
            "hgb_dtype_string_names",
            "HistGradientBoostingRegressor(categorical_features=['plan', 'city']) on object "
            "string columns (missing cells None): the preprocessor codes them",
            _fit_strings(
                R(categorical_features=["plan", "city"], max_iter=25, random_state=5),
                SEED + 40,
                0,
                None,
            ),
        ),
        case(
            "hgb_dtype_string_mask",
            "HistGradientBoostingClassifier(categorical_features=<bool mask>) on object "
            "string columns city and plan, binary",
            _fit_strings(
                C(
                    categorical_features=np.array([False, False, True, True, False, False]),
                    max_iter=20,
                    random_state=6,
                ),
                SEED + 50,
                2,
                None,
            ),
        ),
        g.Case(
            f"hgb_dtype_pipeline_imputed-sk{version}",
            "Pipeline(ColumnTransformer(SimpleImputer(constant 'unknown') on city and plan, "
            "passthrough), HistGradientBoostingClassifier(categorical_features=[0, 1])): the "
            "imputer's strings reach the boosting model's preprocessor; input.csv only",
            _fit_strings(_imputed_pipeline(), SEED + 60, 2, None),
            feature_names=True,
            methods=lambda est, frame: g._hgb_methods(est[-1], est[:-1].transform(frame)),
        ),
        case(
            "hgb_dtype_from_dtype_inference_only",
            "hgb_dtype_from_dtype's model saved with inference_only=True",
            _fit_strings(
                C(categorical_features="from_dtype", max_iter=30, random_state=3),
                SEED + 20,
                2,
                ["city", "plan"],
            ),
            dump_options={"inference_only": True},
        ),
    ]


# ---------------------------------------------------------------------------- invalid files


def _with_init(m: pb.Manifest) -> None:
    b = m.estimator.boosting
    b.init.CopyFrom(b.preprocessor)
    b.init_link = pb.BOOSTING_INIT_LINK_PREDICT


def _with_category_values(m: pb.Manifest) -> None:
    t = m.estimator.boosting.trees
    t.category_values = m.estimator.boosting.baseline  # an f64 tensor that exists
    t.category_value_offsets = t.tree_offsets


def _narrow(m: pb.Manifest) -> None:
    """The preprocessor (a valid one) no longer reads the last column."""
    pre = m.estimator.boosting.preprocessor
    numerical = pre.column_transformer.branches[1]
    last = pre.n_features_in - 1
    assert numerical.columns[-1] == last
    del numerical.columns[-1]
    del pre.feature_names_in[-1]
    pre.n_features_in = last


def _city_numeric(m: pb.Manifest) -> None:
    for c in m.input.columns:
        if c.name == "city":
            c.kind = pb.COLUMN_KIND_NUMERIC


def invalid_files(
    models: dict[str, bytes], g: Any
) -> list[tuple[str, tuple[str, str, str, bytes]]]:
    """(base case, (name, code, description, bytes)): one file per preprocessor rule, from
    hgb_dtype_from_dtype of the running version (generate.py writes them under the pinned
    one)."""
    base = f"hgb_dtype_from_dtype-sk{g.VERSION}"
    if base not in models:
        return []
    files = [
        (
            "boosting_preprocessor_with_init",
            "Boosting rule 8: a preprocessor beside an init estimator",
            _with_init,
        ),
        (
            "boosting_preprocessor_category_values",
            "Boosting rule 8: trees with category_values beside a preprocessor",
            _with_category_values,
        ),
        (
            "boosting_preprocessor_width",
            "Boosting rule 9: the preprocessor reads 5 columns, the model has 6",
            _narrow,
        ),
        (
            "boosting_preprocessor_schema_numeric",
            "Input schema rule 3: the string column city (the preprocessor's encoder reads "
            "strings there) recorded as numeric",
            _city_numeric,
        ),
    ]
    return g.e_model_files(models, [(base, *f) for f in files])
