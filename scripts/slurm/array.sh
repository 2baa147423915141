#!/bin/bash
# One case of a lisse sweep per SLURM array task (docs/sweeps.md).
#
#   n=$(lisse sweep SWEEP.yaml --count)                            # validates every case
#   job=$(sbatch --parsable --array=0-$((n - 1)) scripts/slurm/array.sh SWEEP.yaml)
#   sbatch --dependency=afterany:$job scripts/slurm/collect.sh SWEEP.yaml
#
# Each task runs case $SLURM_ARRAY_TASK_ID on its --ntasks ranks (srun), writes
# RESULTS/cases/<id>/ atomically and skips a case that is already done, so requeued or
# resubmitted tasks are harmless. Extra arguments go to `lisse sweep` (-o, --retry-failed).
# Cap concurrent tasks with --array=0-999%50; split arrays above MaxArraySize with
# LISSE_INDEX_OFFSET (the case index is SLURM_ARRAY_TASK_ID + LISSE_INDEX_OFFSET).
# SIGTERM to the lisse tasks (srun job steps; not the B: form, which would signal only this
# shell) 120 s before the time limit: evolution cases write a checkpoint and stay pending
# (exit code 3); resubmitting resumes them (docs/reliability.md, "Clusters (SLURM)")
#SBATCH --job-name=lisse-case
#SBATCH --ntasks=1
#SBATCH --cpus-per-task=1
#SBATCH --signal=TERM@120
#SBATCH --time=01:00:00
#SBATCH --output=slurm-%A_%a.out
set -euo pipefail
sweep=${1:?usage: sbatch --array=0-N scripts/slurm/array.sh SWEEP.yaml [lisse sweep options]}
shift
task=${SLURM_ARRAY_TASK_ID:?not a job-array task (submit with sbatch --array)}
# The environment and the caches: env.sh beside this template (sbatch runs a copy of the
# template, so env.sh is looked up in $LISSE_HOME/scripts/slurm, default the submit directory,
# when it is not beside it: submit from the repository root or set LISSE_HOME).
here=$(dirname "${BASH_SOURCE[0]}")
[[ -f $here/env.sh ]] || here=${LISSE_HOME:-${SLURM_SUBMIT_DIR:-$PWD}}/scripts/slurm
# shellcheck source=env.sh
source "$here/env.sh"
srun lisse sweep "$sweep" --case-index $((task + ${LISSE_INDEX_OFFSET:-0})) "$@"
