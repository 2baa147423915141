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
#SBATCH --job-name=lisse-case
#SBATCH --ntasks=1
#SBATCH --cpus-per-task=1
#SBATCH --time=01:00:00
#SBATCH --output=slurm-%A_%a.out
set -euo pipefail
sweep=${1:?usage: sbatch --array=0-N scripts/slurm/array.sh SWEEP.yaml [lisse sweep options]}
shift
task=${SLURM_ARRAY_TASK_ID:?not a job-array task (submit with sbatch --array)}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
srun lisse sweep "$sweep" --case-index $((task + ${LISSE_INDEX_OFFSET:-0})) "$@"
