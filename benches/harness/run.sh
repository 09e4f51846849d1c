#!/usr/bin/env bash
# The comparison harness, in one command:
#
#   benches/harness/run.sh [--quick] [--out DIR] [--models linear,rf_clf] [--only pickle,amber_rust]
#
# Creates its own Python venv (target/bench-venv, or $AMBER_BENCH_VENV) with the pins of
# benches/harness/requirements.txt plus ./python, builds the release `amber` CLI and the
# in-process probe (benches/probe), then runs benches/harness/compare.py, which fits the models
# of bench-models.md and measures every peer and Amber in the same run. Writes results.md,
# results.json and chart.png to DIR (default: bench-out/). Progress goes to stderr.
# --quick: smaller models and fewer repeats, a smoke test that finishes in under 3 minutes.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
out="bench-out"
args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --out) out="$2"; shift 2 ;;
        --out=*) out="${1#--out=}"; shift ;;
        -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) args+=("$1"); shift ;;
    esac
done
command_line="benches/harness/run.sh"
for a in "${args[@]+"${args[@]}"}"; do command_line+=" $a"; done
[ "$out" != "bench-out" ] && command_line+=" --out $out"
start=$(date +%s)
say() { printf '==> [%4ss] %s\n' "$(( $(date +%s) - start ))" "$*" >&2; }

# 1. The venv: re-run pip only when the pins or the amber package's metadata changed.
venv="${AMBER_BENCH_VENV:-$root/target/bench-venv}"
stamp="$venv/.bench-stamp"
want="$( (cat benches/harness/requirements.txt python/pyproject.toml
          find python/amber -name '*.py' -print0 | sort -z | xargs -0 cat) | sha256sum | cut -d' ' -f1)"
if [ ! -x "$venv/bin/python" ]; then
    say "creating the venv $venv"
    python3 -m venv "$venv"
fi
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    say "installing benches/harness/requirements.txt and ./python into $venv (first run: a few minutes)"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r benches/harness/requirements.txt >&2
    # ./python is installed (not editable) as a user would; its dependencies come from the pins.
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps ./python >&2
    echo "$want" > "$stamp"
fi

# 2. The Rust binaries (release, with the workspace's profile).
# The same package set as scripts/test.sh's release build, so that cargo's feature unification
# is the same and a test run builds the release profile once, not twice.
say "building the amber CLI, amber-conformance and amber-bench-probe (cargo build --release)"
cargo build --release --quiet -p amber-cli -p amber-conformance -p amber-bench-probe >&2
target_dir="$(cargo metadata --format-version 1 --no-deps 2>/dev/null | "$venv/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"

# 3. The comparison. OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are left as the machine sets them and
# recorded in the results.
say "running benches/harness/compare.py"
mkdir -p "$out"
"$venv/bin/python" benches/harness/compare.py --out "$out" \
    --probe "$target_dir/release/amber-bench-probe" --cli "$target_dir/release/amber" \
    --command "$command_line" "${args[@]+"${args[@]}"}"
say "done in $(( $(date +%s) - start ))s: $out/results.md, $out/results.json, $out/chart.png"
