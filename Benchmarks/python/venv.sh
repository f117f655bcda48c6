#!/usr/bin/env bash
# Makes .build/bench/venv with the pinned packages of Benchmarks/python/requirements.txt (again
# when they change) and prints its python. Debian's python3 refuses `pip install` outside a venv.
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=.build/bench/venv
PYTHON=${PYTHON:-python3}
mkdir -p .build/bench
if [ ! -x $VENV/bin/python3 ]; then
  $PYTHON -c 'import ensurepip' 2>/dev/null || { echo "python3-venv is missing: apt-get install -y python3-venv" >&2; exit 1; }
  $PYTHON -m venv $VENV >&2
fi
if ! cmp -s Benchmarks/python/requirements.txt $VENV/.requirements; then
  $VENV/bin/python3 -m pip install -q -r Benchmarks/python/requirements.txt >&2
  cp Benchmarks/python/requirements.txt $VENV/.requirements
fi
echo "$PWD/$VENV/bin/python3"
