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
#SBATCH --job-name=lisse-sweep
#SBATCH --ntasks=8
#SBATCH --cpus-per-task=1
#SBATCH --time=04:00:00
#SBATCH --output=slurm-%j.out
set -euo pipefail
sweep=${1:?usage: sbatch --ntasks=N scripts/slurm/mpi.sh SWEEP.yaml [lisse sweep options]}
shift
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
srun lisse sweep "$sweep" --ranks-per-case "${RANKS_PER_CASE:-1}" "$@"
