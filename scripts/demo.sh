#!/usr/bin/env bash
# Main job on the embedded default: synthetic demo data -> ingest -> panel -> train -> MLflow -> serve.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec .venv/bin/threatcast demo "$@"
