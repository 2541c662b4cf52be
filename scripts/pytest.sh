#!/usr/bin/env bash
# Trainer tests with Debian's Python (the python3 on PATH may be a pyenv without numpy/torch).
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${S5_PYTHON:-/usr/bin/python3}
PYTHONPATH=trainer "$PY" -m pytest -q -p no:cacheprovider trainer/tests "$@"
rc=$?
# pytest exits 5 when it collected no test: that is a failure for us, not a pass.
[ $rc -eq 5 ] && echo "pytest collected no tests" >&2
exit $rc
