#!/usr/bin/env bash
# Sandbox stand-in for the team's deploy_phaseN_<part>.sh (each is a link to this file, named as the
# real script): same flags, prints its plan, changes nothing. A file named <script name>.fail in
# $GOLIVE_SANDBOX_DIR/faults makes it fail like a broken deploy, with that file's text as the error.
set -euo pipefail
name="$(basename "$0" .sh)"            # e.g. deploy_phase1_infrastructure
phase="${name#deploy_phase}"           # 1_infrastructure
dry_run=false
for arg in "$@"; do
  case "$arg" in
    -d|--dry-run) dry_run=true ;;
    -h|--help) echo "usage: $0 [-d|--dry-run]"; exit 0 ;;
    *) echo "unknown option: $arg" >&2; exit 2 ;;
  esac
done
fault="${GOLIVE_SANDBOX_DIR:-$(dirname "$0")/../../../.sandbox}/faults/$name.fail"
echo "Phase ${phase%%_*} (${phase#*_}): $([ "$dry_run" = true ] && echo 'dry run' || echo 'deploying')"
if [ -f "$fault" ]; then
  echo "ERROR: $(cat "$fault")" >&2
  exit 1
fi
echo "Phase ${phase%%_*} (${phase#*_}): all steps OK"
