#!/usr/bin/env bash
# A fuzzing campaign over both readers (FUZZING.md): the four cargo-fuzz targets, the atheris
# target over amber.loads, and the differential runner (Python against the Rust testee).
#
#   scripts/fuzz.sh            bounded: each cargo-fuzz target 30 s, atheris 30 s, 1000 mutants
#   scripts/fuzz.sh --long     the long campaign: 1.25e7 executions per cargo-fuzz target
#                              (5e7 in all), atheris 30 min, 10^6 differential mutants
#   options: --seconds N (per cargo-fuzz target and atheris), --runs N (per cargo-fuzz target,
#            instead of --seconds), --mutants N, --seed N, --only rust|python|differential,
#            --jobs N (differential runners in parallel; default 1)
#
# Single process throughout (the machine is shared). Installs what is missing: cargo-fuzz
# from crates.io, atheris from PyPI into the venv. Artifacts (crashes, logs, figures) go to
# fuzz/artifacts/, the growing corpora to fuzz/corpus/, differential findings to
# fuzz/findings/; none of it is committed until a finding is kept as a regression test
# (tests/hostile/). Exit status 1 when any step found something.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
step() { printf '\n==> %s\n' "$*"; }

seconds=30 runs="" mutants=1000 seed="$(date +%s)" only="" atheris_seconds="" jobs=1
while [ $# -gt 0 ]; do
    case "$1" in
        --long) runs=12500000 mutants=1000000 atheris_seconds=1800 ;;
        --seconds) seconds="$2"; shift ;;
        --runs) runs="$2"; shift ;;
        --mutants) mutants="$2"; shift ;;
        --seed) seed="$2"; shift ;;
        --only) only="$2"; shift ;;
        --jobs) jobs="$2"; shift ;;
        -h|--help) sed -n '2,16p' "$0" | cut -c3-; exit 0 ;;
        *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
atheris_seconds="${atheris_seconds:-$seconds}"
want() { [ -z "$only" ] || [ "$only" = "$1" ]; }

artifacts="$root/fuzz/artifacts"
mkdir -p "$artifacts"
summary="$artifacts/summary.txt"
: > "$summary"
failed=0
note() { printf '%s\n' "$*" | tee -a "$summary"; }

step "Python environment (scripts/venv.sh)"
py="$(scripts/venv.sh | tail -n 1)"

step "seed corpora from tests/vectors, tests/hostile and fuzz/findings (fuzz/seed_corpus.py)"
"$py" fuzz/seed_corpus.py

# The libFuzzer flags of every Rust target: a malloc above 1 GiB, an RSS above 2 GiB or an
# input taking 10 s is a finding, like a panic or an abort.
libfuzzer_flags=(-rss_limit_mb=2048 -malloc_limit_mb=1024 -timeout=10 -max_len=262144 -print_final_stats=1)

if want rust; then
    step "cargo-fuzz (installed from crates.io when missing)"
    command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
    # Stable Rust: cargo-fuzz's -Z flags need RUSTC_BOOTSTRAP. No sanitizer: the readers are
    # safe Rust, and the speed goes to executions (set AMBER_FUZZ_SANITIZER=address for ASan).
    export RUSTC_BOOTSTRAP=1
    sanitizer="${AMBER_FUZZ_SANITIZER:-none}"
    step "build the fuzz targets once (fuzz/, its own workspace and target dir)"
    (cd fuzz && cargo fuzz build -s "$sanitizer")
    for target in container model csv npy; do
        if [ -n "$runs" ]; then budget=(-runs="$runs"); what="$runs executions"
        else budget=(-max_total_time="$seconds"); what="$seconds s"; fi
        step "cargo fuzz run $target ($what; corpus fuzz/corpus/$target)"
        mkdir -p "$artifacts/$target"
        log="$artifacts/$target.log"
        set +e
        (cd fuzz && cargo fuzz run -s "$sanitizer" "$target" "corpus/$target" -- \
            "${libfuzzer_flags[@]}" "${budget[@]}" -artifact_prefix="$artifacts/$target/") \
            > "$log" 2>&1
        status=$?
        set -e
        execs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)"
        if [ "$status" -ne 0 ]; then
            failed=1
            note "$target: FOUND a crash after $execs executions: $(grep -m1 -E 'panicked|ERROR: libFuzzer' "$log" || true)"
            note "    input: $(ls -t "$artifacts/$target" | head -n 1); log: $log"
        else
            note "$target: $execs executions, no crash"
        fi
    done
fi

if want python; then
    step "atheris over amber.loads ($atheris_seconds s; corpus fuzz/corpus/python)"
    "$py" -c 'import atheris' 2>/dev/null || "$py" -m pip install --quiet atheris
    mkdir -p "$artifacts/python"
    log="$artifacts/python.log"
    set +e
    "$py" fuzz/atheris_loads.py "$root/fuzz/corpus/python" -max_total_time="$atheris_seconds" \
        -rss_limit_mb=3072 -timeout=30 -max_len=262144 -print_final_stats=1 \
        -artifact_prefix="$artifacts/python/" > "$log" 2>&1
    status=$?
    set -e
    execs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)"
    if [ "$status" -ne 0 ]; then
        failed=1
        note "python: FOUND after $execs executions: $(grep -m1 -E '^[A-Za-z]*(Error|Exception)|ERROR: libFuzzer' "$log" || true)"
        note "    input: $(ls -t "$artifacts/python" | head -n 1); log: $log"
    else
        note "python: $execs executions, no finding"
    fi
fi

if want differential; then
    step "differential: $mutants mutants, seed $seed (fuzz/differential.py)"
    cargo build --release --quiet -p amber-cli
    set +e
    "$py" fuzz/differential.py --mutants "$mutants" --seed "$seed" --jobs "$jobs" \
        --progress "$(( mutants >= 10000 ? 5000 : 250 ))" \
        --figures "$artifacts/differential.json" 2>&1 | tee "$artifacts/differential.log"
    status=${PIPESTATUS[0]}
    set -e
    if [ "$status" -ne 0 ]; then failed=1; fi
    note "differential: $(grep -E '^(all [0-9]+ jobs )?done:' "$artifacts/differential.log" | tail -n 1 || echo 'did not finish')"
fi

step "summary (also in fuzz/artifacts/summary.txt)"
cat "$summary"
exit "$failed"
