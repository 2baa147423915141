#!/bin/bash
# Rebuild the sweep table (sweep.csv, sweep.h5) and the report from the case folders after
# a job array (docs/sweeps.md); submit with --dependency=afterany:<array job id>.
#SBATCH --job-name=lisse-collect
#SBATCH --ntasks=1
#SBATCH --time=00:30:00
#SBATCH --output=slurm-%j.out
set -euo pipefail
sweep=${1:?usage: sbatch scripts/slurm/collect.sh SWEEP.yaml}
lisse sweep "$sweep" --collect || true   # exits 1 if some cases failed: report them anyway
lisse report "$sweep"
