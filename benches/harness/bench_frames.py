# Copied verbatim (below the next line) from ../shared/bench_frames.py, the data of the tabular
# models of ../shared/bench-models.md, so the harness runs from a clean clone; that file allows
# copying. compare.py warns when a ../shared/bench_frames.py beside the checkout differs.
# ----------------------------------------------------------------------------------------------
"""Data for the tabular models of bench-models.md: a synthetic, census-like pandas frame.

Deterministic for a given (n_rows, seed): numeric columns with missing values, string
categories of several cardinalities (some missing), a boolean column, and a binary target
that depends on all of them. Used by the benchmark harness and its tests; import it from
../shared (the folder beside the project's checkout) or copy the function into the harness.

    from bench_frames import tabular_frame
    X, y = tabular_frame(20_000, seed=7)   # X: pandas.DataFrame, y: numpy int array
"""

import numpy as np
import pandas as pd

NUMERIC = ["age", "hours", "income", "balance", "tenure", "score"]
CATEGORICAL = {"region": 4, "plan": 8, "device": 20, "city": 60}


def tabular_frame(n_rows: int, seed: int = 7):
    rng = np.random.default_rng(seed)
    cols = {
        "age": rng.integers(18, 90, n_rows).astype(np.float64),
        "hours": np.round(rng.normal(40, 12, n_rows), 1),
        "income": np.round(rng.lognormal(10.5, 0.8, n_rows), 2),
        "balance": np.round(rng.normal(0, 5_000, n_rows), 2),
        "tenure": rng.integers(0, 40, n_rows).astype(np.float64),
        "score": rng.uniform(0, 1, n_rows),
    }
    for name in ("hours", "income", "tenure"):  # about 5 % missing
        cols[name][rng.uniform(size=n_rows) < 0.05] = np.nan
    for name, k in CATEGORICAL.items():
        # Zipf-like frequencies, so rare categories exist (min_frequency, infrequent_if_exist).
        p = 1.0 / np.arange(1, k + 1)
        values = np.array([f"{name}_{i:02d}" for i in range(k)], dtype=object)
        col = values[rng.choice(k, size=n_rows, p=p / p.sum())]
        col[rng.uniform(size=n_rows) < 0.02] = None  # about 2 % missing
        cols[name] = col
    cols["member"] = rng.uniform(size=n_rows) < 0.3
    X = pd.DataFrame(cols)

    logit = (
        0.04 * (X["age"] - 45)
        + 0.03 * (X["hours"].fillna(40) - 40)
        + 0.6 * (np.log(X["income"].fillna(36_000)) - 10.5)
        + 1.5 * (X["score"] - 0.5)
        + 0.8 * X["member"]
        + X["region"].map({"region_00": 0.5, "region_01": -0.4}).fillna(0.0)
        + X["plan"].map(lambda v: (int(v[-2:]) - 3.5) * 0.2 if isinstance(v, str) else 0.0)
    )
    y = (rng.uniform(size=n_rows) < 1.0 / (1.0 + np.exp(-logit.to_numpy()))).astype(np.int64)
    return X, y


def category_dtypes(X: pd.DataFrame) -> pd.DataFrame:
    """The same frame with the string columns as pandas `category` dtype (for
    HistGradientBoosting with categorical_features="from_dtype")."""
    out = X.copy()
    for name in CATEGORICAL:
        out[name] = out[name].astype("category")
    return out
