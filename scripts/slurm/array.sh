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
srun lisse sweep "$sweep" --case-index $((task + ${LISSE_INDEX_OFFSET:-0})) "$@"
