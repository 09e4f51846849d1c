#!/usr/bin/env bash
# Creates (or refreshes) the project's Python environment in .venv: the pinned development
# requirements and the amber package from ./python. Re-runs pip only when the pins or the
# package metadata changed. Prints the venv's python path on stdout as its last line.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${AMBER_VENV:-$root/.venv}"
stamp="$venv/.amber-stamp"
want="$(cat "$root/python/requirements-dev.txt" "$root/python/pyproject.toml" | sha256sum | cut -d' ' -f1)"
if [ ! -x "$venv/bin/python" ]; then
    echo "==> creating Python venv in $venv" >&2
    python3 -m venv "$venv"
fi
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "==> installing Python requirements (python/requirements-dev.txt) and ./python" >&2
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        -r "$root/python/requirements-dev.txt" >&2
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -e "$root/python" >&2
    echo "$want" > "$stamp"
fi
echo "$venv/bin/python"
