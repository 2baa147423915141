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
# Environment: the virtual environment $LISSE_VENV (default: .venv in the submit directory,
# as `make install` creates it) goes first on PATH. For conda, Spack or an HPC module
# instead, activate it before sbatch (sbatch passes the submitting environment on) or here
# (`conda activate lisse`, `spack env activate ...`, `module load ...`): a missing default
# .venv is then skipped. docs/install.md has the routes.
venv=${LISSE_VENV:-${SLURM_SUBMIT_DIR:-$PWD}/.venv}
if [[ -x $venv/bin/lisse ]]; then
    export VIRTUAL_ENV=$venv PATH=$venv/bin:$PATH
elif [[ -n ${LISSE_VENV:-} ]]; then
    echo "LISSE_VENV=$LISSE_VENV: no bin/lisse there" >&2; exit 2
fi
command -v lisse >/dev/null || { echo "lisse not found: set LISSE_VENV or activate" \
    "the environment lisse is installed in" >&2; exit 2; }
# Caches on node-local scratch ($SLURM_TMPDIR, else $TMPDIR, else /tmp; or $LISSE_SCRATCH):
# the Gmsh meshes (LISSE_CACHE_DIR, kept if already set) and the DOLFINx/FFCx JIT cache,
# which dolfinx.jit puts in $XDG_CACHE_HOME/fenics (it has no variable of its own). On
# several nodes the JIT cache stays shared: DOLFINx compiles a form on rank 0 and the
# other ranks load it from the cache, so they must see the same folder.
scratch=${LISSE_SCRATCH:-${SLURM_TMPDIR:-${TMPDIR:-/tmp}}/lisse-${USER:-$(id -u)}}
export LISSE_CACHE_DIR=${LISSE_CACHE_DIR:-$scratch/meshes}
if (( ${SLURM_JOB_NUM_NODES:-1} == 1 )); then export XDG_CACHE_HOME=$scratch/cache; fi
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
srun lisse sweep "$sweep" --ranks-per-case "${RANKS_PER_CASE:-1}" "$@"
