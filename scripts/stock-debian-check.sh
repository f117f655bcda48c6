#!/usr/bin/env bash
# Shows that the README's commands need no pip outside a virtual environment on a stock Debian 12:
# with Debian's own /usr/bin/python3 first on the PATH (it refuses `pip install` outside a venv,
# PEP 668), `make dev` installs no Python at all, and `make test`'s Python packages go into .venv,
# which that python3 creates. Run from the checkout: scripts/stock-debian-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/bin:$PATH"
python=$(command -v python3)
echo "python3 first on the PATH: $python ($($python --version 2>&1))"

if [ -f "$($python -c 'import sysconfig; print(sysconfig.get_path("stdlib"))')/EXTERNALLY-MANAGED" ]; then
  if $python -m pip install --dry-run --quiet six >/dev/null 2>&1; then
    echo "unexpected: $python installs packages outside a virtual environment"; exit 1
  fi
  echo "as on a stock Debian 12, $python refuses pip install outside a virtual environment (PEP 668)"
fi

# `make dev` (dry run): the only install it does is librdkafka from apt, never pip.
if make -n dev | grep -E 'pip|venv'; then echo "make dev would install Python packages"; exit 1; fi
echo "make dev installs no Python packages"

# `make setup-python`: a virtual environment made by this python3, the packages inside it.
make setup-python PYTHON="$python"
.venv/bin/python3 -c 'import stripe, standardwebhooks, confluent_kafka; print("the interop packages import from .venv:", stripe.__file__)'
case "$(.venv/bin/python3 -c 'import sys; print(sys.prefix)')" in
  "$PWD/.venv") echo "the tests' python3 is the virtual environment's ($PWD/.venv)" ;;
  *) echo "the virtual environment is not in $PWD/.venv"; exit 1 ;;
esac
echo "ok: make dev needs no Python; make test's Python packages live in .venv"
