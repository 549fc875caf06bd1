#!/usr/bin/env bash
# Sandbox stand-in for the team's deploy_phase2_secrets.sh: same flags, prints its plan, changes nothing.
# A file named deploy_phase2_secrets.fail in $GOLIVE_SANDBOX_DIR/faults makes it fail like a broken deploy.
set -euo pipefail
dry_run=false
for arg in "$@"; do
  case "$arg" in
    -d|--dry-run) dry_run=true ;;
    -h|--help) echo "usage: $0 [-d|--dry-run]"; exit 0 ;;
    *) echo "unknown option: $arg" >&2; exit 2 ;;
  esac
done
fault="${GOLIVE_SANDBOX_DIR:-$(dirname "$0")/../../../.sandbox}/faults/deploy_phase2_secrets.fail"
echo "Phase 2 (secrets): $([ "$dry_run" = true ] && echo 'dry run' || echo 'deploying')"
if [ -f "$fault" ]; then
  echo "ERROR: $(cat "$fault")" >&2
  exit 1
fi
echo "Phase 2 (secrets): all steps OK"
