#!/usr/bin/env bash
# Build the one abi3 wheel with maturin, install it into a fresh virtual environment
# and run the Python suite against the installed package, from a directory that holds
# only copies of the tests, so nothing can be imported from the source tree.
# The wheel is built with zig as the linker for manylinux2014 (glibc 2.17), so it
# installs on any Linux x86_64 from the last decade; --native builds for this machine's
# glibc instead, without zig.
# Usage: scripts/test_wheel.sh [--native]   (needs python3 and cargo; downloads
# maturin, ziglang and the test extra's packages into the temporary environment)
set -euo pipefail
native=0
[ "${1:-}" = "--native" ] && native=1
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

python3 -m venv "$work/venv"
. "$work/venv/bin/activate"
if [ "$native" = 1 ]; then
    pip install -q maturin
    maturin build --release --quiet --manifest-path "$repo/Cargo.toml" --out "$work/wheels"
else
    pip install -q maturin ziglang
    maturin build --release --quiet --manifest-path "$repo/Cargo.toml" --out "$work/wheels" \
        --zig --compatibility manylinux2014
fi
wheels=("$work"/wheels/*.whl)
if [ "${#wheels[@]}" -ne 1 ] || [[ "${wheels[0]}" != *-abi3-* ]]; then
    echo "expected one abi3 wheel, got: ${wheels[*]}" >&2
    exit 1
fi
echo "built $(basename "${wheels[0]}")"
pip install -q "${wheels[0]}[test]"

# The suite and what it reads (its pytest settings, the examples, the fuzz target),
# and nothing else.
mkdir "$work/run"
cp -r "$repo/tests" "$repo/examples" "$repo/fuzz" "$repo/pyproject.toml" "$work/run/"
cd "$work/run"
python - <<'PY'
import pathlib, sys, lucid
where = pathlib.Path(lucid.__file__).resolve()
assert pathlib.Path(sys.prefix).resolve() in where.parents, f"lucid imported from {where}"
print(f"testing the installed package at {where.parent}")
PY
pytest -q -p no:cacheprovider
