#!/bin/bash
# A whole lisse sweep in one MPI allocation (docs/sweeps.md): the --ntasks ranks are split
# into groups of RANKS_PER_CASE ranks, each group running its share of the cases.
#
#   sbatch --ntasks=64 scripts/slurm/mpi.sh SWEEP.yaml               # 64 cases at a time
#   RANKS_PER_CASE=4 sbatch --ntasks=64 scripts/slurm/mpi.sh SWEEP.yaml  # 16 groups of 4
#
# Resubmitting the same command after a time-out finishes the sweep: finished cases are
# skipped. Extra arguments go to `lisse sweep` (-o, --retry-failed). Without srun (no
# SLURM), use `mpirun -n N lisse sweep SWEEP.yaml --ranks-per-case K` directly.
# SIGTERM to the lisse tasks (srun job steps; not the B: form, which would signal only this
# shell) 120 s before the time limit: evolution cases write a checkpoint and stay pending
# (exit code 3); resubmitting resumes them (docs/reliability.md, "Clusters (SLURM)")
#SBATCH --job-name=lisse-sweep
#SBATCH --ntasks=8
#SBATCH --cpus-per-task=1
#SBATCH --signal=TERM@120
#SBATCH --time=04:00:00
#SBATCH --output=slurm-%j.out
set -euo pipefail
sweep=${1:?usage: sbatch --ntasks=N scripts/slurm/mpi.sh SWEEP.yaml [lisse sweep options]}
shift
# The environment and the caches: env.sh beside this template (sbatch runs a copy of the
# template, so env.sh is looked up in $LISSE_HOME/scripts/slurm, default the submit directory,
# when it is not beside it: submit from the repository root or set LISSE_HOME).
here=$(dirname "${BASH_SOURCE[0]}")
[[ -f $here/env.sh ]] || here=${LISSE_HOME:-${SLURM_SUBMIT_DIR:-$PWD}}/scripts/slurm
# shellcheck source=env.sh
source "$here/env.sh"
srun lisse sweep "$sweep" --ranks-per-case "${RANKS_PER_CASE:-1}" "$@"
