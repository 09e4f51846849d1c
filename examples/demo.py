"""The README demo: train in scikit-learn, save with amber, predict with the Rust CLI, compare.

python examples/demo.py train OUT_DIR     # fit, amber.dump, write the test rows as CSV
python examples/demo.py compare OUT_DIR   # compare the CLI's outputs with scikit-learn's

The model is the most common production shape: a pandas DataFrame with numeric columns (some
missing) and string categories (some missing, some unseen in training) through a
ColumnTransformer of imputers, a scaler and a one-hot encoder into a LogisticRegression.
"""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import amber

NUMERIC = ["age", "income", "tenure"]
STRINGS = ["plan", "city"]


def frame(n: int, seed: int, unseen: bool = False) -> tuple[pd.DataFrame, np.ndarray]:
    """A synthetic customer table and whether each customer churned."""
    rng = np.random.default_rng(seed)
    plans = np.array(["basic", "plus", "pro", "team"], dtype=object)
    cities = np.array(["Lyon", "Oslo", "Porto", "Kraków", "São Paulo", "New York, NY"])
    x = pd.DataFrame(
        {
            "age": rng.integers(18, 80, n).astype(float),
            "income": np.round(rng.lognormal(10.4, 0.6, n), 2),
            "tenure": rng.integers(0, 30, n).astype(float),
            "plan": plans[rng.integers(0, 4, n)],
            "city": cities.astype(object)[rng.integers(0, len(cities), n)],
            "member": rng.uniform(size=n) < 0.3,
        }
    )
    for name in ("income", "tenure"):
        x.loc[rng.uniform(size=n) < 0.08, name] = np.nan
    for name in STRINGS:
        x.loc[rng.uniform(size=n) < 0.05, name] = None
    if unseen:
        x.loc[:4, "city"] = "Reykjavík"  # never seen in training: ignored by the encoder
    logit = (x["age"] - 45) / 15 + 0.9 * x["member"] - 0.6 * (x["plan"] == "basic")
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit.to_numpy()))).astype(int)
    return x, y


def model():
    numbers = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
    strings = make_pipeline(
        SimpleImputer(strategy="constant", fill_value="missing"),
        OneHotEncoder(handle_unknown="ignore"),
    )
    columns = ColumnTransformer(
        [("num", numbers, NUMERIC), ("cat", strings, STRINGS), ("flag", "passthrough", ["member"])]
    )
    return make_pipeline(columns, LogisticRegression(max_iter=1000))


def train(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    x_train, y_train = frame(2_000, seed=1)
    x_test, _ = frame(100, seed=2, unseen=True)
    fitted = model().fit(x_train, y_train)
    amber.dump(fitted, out / "model.amber")
    # Columns shuffled on purpose: the CLI matches CSV headers to the model's columns by name.
    x_test[x_test.columns[::-1]].to_csv(out / "input.csv", index=False)
    # scikit-learn's own outputs, from the fitted object itself: on the CSV as pandas reads
    # it (what the CLI reads too), and on the DataFrame (for amber.load).
    x_csv = pd.read_csv(out / "input.csv")
    np.save(out / "sklearn_predict.npy", fitted.predict(x_csv))
    np.save(out / "sklearn_predict_proba.npy", fitted.predict_proba(x_csv))
    np.save(out / "sklearn_frame_proba.npy", fitted.predict_proba(x_test))
    print(f"trained a ColumnTransformer + LogisticRegression pipeline on {len(x_train)} rows")
    print(f"saved   {out / 'model.amber'} ({(out / 'model.amber').stat().st_size} bytes)")
    print(f"wrote   {out / 'input.csv'} ({len(x_test)} rows with strings and missing cells)")


def compare(out: Path) -> int:
    want_labels = np.load(out / "sklearn_predict.npy")
    want_proba = np.load(out / "sklearn_predict_proba.npy")
    got_labels = pd.read_csv(out / "predict.csv", header=None).to_numpy().ravel()
    got_proba = pd.read_csv(out / "predict_proba.csv", header=None).to_numpy()
    same = int(np.sum(got_labels == want_labels))
    diff = float(np.max(np.abs(got_proba - want_proba)))
    print(f"labels:        {same}/{len(want_labels)} identical to scikit-learn's")
    print(f"probabilities: max abs difference {diff:.3g} (tolerance 1e-12)")
    # And back into scikit-learn: amber.load rebuilds the fitted object, DataFrame in.
    reloaded = amber.load(out / "model.amber")
    x_test, _ = frame(100, seed=2, unseen=True)
    same_python = np.array_equal(
        reloaded.predict_proba(x_test), np.load(out / "sklearn_frame_proba.npy")
    )
    print(f"amber.load:    predict_proba {'identical' if same_python else 'DIFFERENT'}")
    ok = same == len(want_labels) and diff <= 1e-12 and same_python
    print("OK: the Rust CLI reproduces scikit-learn" if ok else "MISMATCH")
    return 0 if ok else 1


if __name__ == "__main__":
    command, folder = sys.argv[1], Path(sys.argv[2])
    if command == "train":
        train(folder)
    else:
        sys.exit(compare(folder))
