#!/usr/bin/env bash
# Run one runbook phase in the cluster from CI and gate on golive's exit code:
#   deploy/recipes/run-phase.sh smoke [ACCEPT_FINDINGS=1]
# Creates a Job from the phase's CronJob template (deploy/base/phases.yaml), waits for it, prints its
# log (the verdict summary ends it) and exits with the container's exit code: 0 GO, 10 GO WITH
# FINDINGS (accepted only with ACCEPT_FINDINGS=1), anything else NO-GO / could not run. The reports
# are in S3 (the log's last line names the prefix).
set -euo pipefail
phase="${1:?usage: run-phase.sh PHASE (smoke, t-minus-2h, ...)}"
ns="${GOLIVE_NAMESPACE:-golive}"
job="golive-${phase}-$(date -u +%Y%m%d%H%M%S)"
kubectl -n "$ns" create job "$job" --from="cronjob/golive-${phase}"
# Complete or Failed, whichever comes first (backoffLimit 0: one pod, one verdict).
kubectl -n "$ns" wait "job/$job" --for=jsonpath='{.status.conditions[?(@.status=="True")].type}' \
  --timeout="${GOLIVE_WAIT:-1800s}" >/dev/null || true
kubectl -n "$ns" logs "job/$job" --tail=-1 || true
code="$(kubectl -n "$ns" get pods -l "job-name=$job" \
  -o jsonpath='{.items[0].status.containerStatuses[0].state.terminated.exitCode}')"
echo "golive job $job exited ${code:-<none: still running or never started>}"
[ "${code:-1}" = 10 ] && [ "${ACCEPT_FINDINGS:-0}" = 1 ] && exit 0
exit "${code:-1}"
