#!/usr/bin/env bash
# Runs every check CI runs: formatting, lints, generated-code drift, the Rust and Python test
# suites, and the conformance corpus against every implementation (Rust in-process, Rust
# through the testee protocol, Python through the testee protocol).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
step() { printf '\n==> %s\n' "$*"; }

step "Python environment"
py="$(scripts/venv.sh | tail -n 1)"
venv_bin="$(dirname "$py")"

step "cargo fmt --check"
cargo fmt --all --check
step "cargo clippy (all targets, -D warnings)"
cargo clippy --workspace --all-targets --quiet -- -D warnings
step "generated code is fresh (scripts/gen_proto.py --check)"
"$py" scripts/gen_proto.py --check
step "ruff (lint + format)"
"$venv_bin/ruff" check --config python/pyproject.toml python scripts tests/vectors examples fuzz
"$venv_bin/ruff" format --check --config python/pyproject.toml python scripts tests/vectors examples fuzz
"$venv_bin/ruff" check benches/harness && "$venv_bin/ruff" format --check benches/harness

step "cargo test"
cargo test --workspace --quiet
step "release build of the CLI, the conformance runner and the bench probe (pytest's CLI tests use it; the harness smoke test reuses it)"
cargo build --release -p amber-cli -p amber-conformance -p amber-bench-probe
step "pytest (two worker processes: pytest-xdist -n 2)"
"$py" -m pytest -q -n 2 python/tests

step "cross-version matrix slice (scikit-learn 1.3.2 and 1.9.1 load each other's files; the first run creates the 1.3.2 venv; all seven versions: tests/matrix/run.py)"
"$py" tests/matrix/run.py --versions 1.3.2,1.9.1 --out target/matrix-slice --doc target/matrix-slice/RESULTS.md \
    --only '^(logistic_binary|logistic_multiclass|pipeline_scaler_logistic_dataframe|ridgecv|gb_classifier_init_tree_binary|gb_regressor_squared_error|hgb_dtype_string_mask|hgb_categorical_dataframe|column_transformer_tabular|one_hot_encoder_none_category|random_forest_nan|classifier_chain_logistic|stacking_tabular)(-sk.*)?$'

step "benchmark harness smoke test (--quick on an array model, a forest and both table models; proves the harness runs, asserts no speed)"
# Four models keep the test command within its time: an array input (linear), a tree family
# (rf_clf), and the table path with strings (tabular, tabular_hgb, the big-CSV step
# included). `benches/harness/run.sh` alone runs every model.
benches/harness/run.sh --quick --models linear,rf_clf,tabular,tabular_hgb --out target/bench-smoke

step "conformance: Rust, in-process"
target/release/amber-conformance --vectors tests/vectors
step "conformance: Rust, through the testee protocol (amber testee)"
target/release/amber-conformance --vectors tests/vectors --testee "$root/target/release/amber testee"
step "conformance: Python, through the testee protocol (python -m amber.testee)"
# Last, so that the run's closing line is the runner's "N passed, N failed".
target/release/amber-conformance --vectors tests/vectors --testee "$py -m amber.testee"
