#!/usr/bin/env bash
# Runs lint, type checks and the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
.venv/bin/ruff check models training service cli tests bench
.venv/bin/mypy
exec .venv/bin/python -m pytest -n 2 "$@"
