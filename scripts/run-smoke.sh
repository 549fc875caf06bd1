#!/usr/bin/env bash
# The main job: start the sandbox, run the T-30 smoke phase against it, write the report, stop.
set -uo pipefail
cd "$(dirname "$0")/.."
.venv/bin/golive-sandbox up || exit 1
trap '.venv/bin/golive-sandbox down' EXIT
.venv/bin/pytest -m smoke --golive-env sandbox -p no:cacheprovider \
  --html=reports/smoke.html "$@"
