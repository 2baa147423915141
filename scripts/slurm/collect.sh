#!/bin/bash
# Rebuild the sweep table (sweep.csv, sweep.h5) and the report from the case folders after
# a job array (docs/sweeps.md); submit with --dependency=afterany:<array job id>.
#SBATCH --job-name=lisse-collect
#SBATCH --ntasks=1
#SBATCH --time=00:30:00
#SBATCH --output=slurm-%j.out
set -euo pipefail
sweep=${1:?usage: sbatch scripts/slurm/collect.sh SWEEP.yaml}
# The environment and the caches: env.sh beside this template (sbatch runs a copy of the
# template, so env.sh is looked up in $LISSE_HOME/scripts/slurm, default the submit directory,
# when it is not beside it: submit from the repository root or set LISSE_HOME).
here=$(dirname "${BASH_SOURCE[0]}")
[[ -f $here/env.sh ]] || here=${LISSE_HOME:-${SLURM_SUBMIT_DIR:-$PWD}}/scripts/slurm
# shellcheck source=env.sh
source "$here/env.sh"
lisse sweep "$sweep" --collect || true   # exits 1 if some cases failed: report them anyway
lisse report "$sweep"
