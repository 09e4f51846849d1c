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
step "release build of the CLI and the conformance runner (the CLI tests in pytest use it)"
cargo build --release --quiet -p amber-cli -p amber-conformance
step "pytest"
"$py" -m pytest -q python/tests

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
