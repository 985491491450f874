#!/usr/bin/env bash
# Pipeline step: a bash task sees the same parameters as the Python ones.
set -euo pipefail
echo "report: job ${HYPERPLANE_JOB_ID:-?} learning rate ${HYPERPLANE_JOB_PARAMETER_LEARNING_RATE:-unset}"
