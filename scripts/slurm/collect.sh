#!/bin/bash
# Rebuild the sweep table (sweep.csv, sweep.h5) and the report from the case folders after
# a job array (docs/sweeps.md); submit with --dependency=afterany:<array job id>.
#SBATCH --job-name=lisse-collect
#SBATCH --ntasks=1
#SBATCH --time=00:30:00
#SBATCH --output=slurm-%j.out
set -euo pipefail
sweep=${1:?usage: sbatch scripts/slurm/collect.sh SWEEP.yaml}
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
lisse sweep "$sweep" --collect || true   # exits 1 if some cases failed: report them anyway
lisse report "$sweep"
