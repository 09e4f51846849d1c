"""The README demo: train in scikit-learn, save with amber, predict with the Rust CLI, compare.

python examples/demo.py train OUT_DIR     # fit, amber.dump, write the test rows as CSV
python examples/demo.py compare OUT_DIR   # compare the CLI's outputs with scikit-learn's
"""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import amber


def data():
    frame = load_breast_cancer(as_frame=True)
    x_train, x_test, y_train, _ = train_test_split(
        frame.data, frame.target, test_size=100, random_state=0
    )
    return x_train, x_test, y_train


def train(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    x_train, x_test, y_train = data()
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    model.fit(x_train, y_train)
    amber.dump(model, out / "model.amber")
    # scikit-learn's own outputs, from the fitted object itself, to compare against later.
    np.save(out / "sklearn_predict.npy", model.predict(x_test))
    np.save(out / "sklearn_predict_proba.npy", model.predict_proba(x_test))
    # Columns shuffled on purpose: the CLI matches CSV headers to the model's feature names.
    shuffled = x_test[x_test.columns[::-1]]
    shuffled.to_csv(out / "input.csv", index=False, float_format=lambda v: repr(float(v)))
    print(f"trained {type(model).__name__} on {len(x_train)} rows of breast_cancer")
    print(f"saved   {out / 'model.amber'} ({(out / 'model.amber').stat().st_size} bytes)")
    print(f"wrote   {out / 'input.csv'} ({len(x_test)} rows, columns in reverse order)")


def compare(out: Path) -> int:
    want_labels = np.load(out / "sklearn_predict.npy")
    want_proba = np.load(out / "sklearn_predict_proba.npy")
    got_labels = pd.read_csv(out / "predict.csv", header=None).to_numpy().ravel()
    got_proba = pd.read_csv(out / "predict_proba.csv", header=None).to_numpy()
    same = int(np.sum(got_labels == want_labels))
    diff = float(np.max(np.abs(got_proba - want_proba)))
    print(f"labels:        {same}/{len(want_labels)} identical to scikit-learn's")
    print(f"probabilities: max abs difference {diff:.3g} (tolerance 1e-12)")
    # And back into scikit-learn: amber.load rebuilds the fitted object.
    x_test = data()[1]
    reloaded = amber.load(out / "model.amber")
    same_python = np.array_equal(reloaded.predict_proba(x_test), want_proba)
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
