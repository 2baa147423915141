# The environment of every lisse SLURM template (array.sh, mpi.sh, collect.sh), sourced by
# them: one place to adapt to a site. Sets PATH to the environment lisse is installed in,
# and puts the mesh and JIT caches on node-local scratch.
#
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
