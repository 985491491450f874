#!/usr/bin/env bash
# Pipeline step: one of two independent fetches that run at the same time.
set -euo pipefail
echo "fetch: started at $(date -u +%H:%M:%S.%N) for ${HYPERPLANE_JOB_PARAMETER_SOURCE:-default}"
sleep "${HYPERPLANE_JOB_PARAMETER_WORK_SECONDS:-0.3}"
echo "fetch: finished"
