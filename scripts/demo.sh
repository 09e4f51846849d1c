#!/usr/bin/env bash
# The README demo: train a scikit-learn pipeline on a DataFrame with string columns (imputers,
# scaler, one-hot encoder, logistic regression), save it with amber, predict a CSV with the
# Rust CLI, and show that the outputs match scikit-learn's. Needs only cargo and python3.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
py="$(scripts/venv.sh | tail -n 1)"
echo "==> building the amber CLI (cargo build --release; the first build compiles every crate, a few minutes on 2 cores)"
cargo build --release -p amber-cli
amber="$root/target/release/amber"
out="$root/target/demo"
echo "==> training in scikit-learn and saving with amber.dump"
"$py" examples/demo.py train "$out"
echo "==> amber inspect $out/model.amber"
"$amber" inspect "$out/model.amber"
echo "==> amber validate $out/model.amber"
"$amber" validate "$out/model.amber"
echo "==> amber predict (labels, then probabilities) from the CSV, in Rust"
"$amber" predict "$out/model.amber" --input "$out/input.csv" --output "$out/predict.csv"
"$amber" predict "$out/model.amber" --input "$out/input.csv" --method predict_proba \
    --output "$out/predict_proba.csv"
head -n 3 "$out/predict_proba.csv"
echo "==> comparing with scikit-learn"
"$py" examples/demo.py compare "$out"
