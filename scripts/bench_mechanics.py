"""Benchmark: one 3D elastic–creep step of the cell mechanics against one AMG linear-elastic
solve on the same mesh, in the same run.

    .venv/bin/python scripts/bench_mechanics.py [--size-um 1.2] [--dt 1.0]
    .venv/bin/mpirun -n 2 .venv/bin/python scripts/bench_mechanics.py

The cell: 40 × 40 µm, 20 µm Li over 20 µm LLZO, a quarter void (radius 8 µm, height 2 µm)
at the origin corner; P2 displacement, CG + GAMG with the rigid-body near-null space.
Steps: (1) baseline: assemble the elastic operator and solve it once (traction load);
(2) the stack pressure through the rigid collector, applied elastically (t = 0);
(3) one backward-Euler creep step of length dt (Newton with the consistent tangent).
Prints times, iterations, the ratio (3)/(1) of wall times and of CPU times (the latter is
steadier when other work shares the machine), the peak resident memory per rank, and the
memory each case adds to the loaded mesh: the peak resident set while the baseline's
operator is built and solved (1), and while the creep case's is built, loaded and stepped
((2) and (3)), minus the resident set at its start, summed over the ranks (before each,
glibc's malloc_trim returns the heap's free pages and /proc/self/clear_refs resets the
peak, so memory an earlier phase freed is counted when reused), and their ratio.
"""

from __future__ import annotations

import argparse
import resource
import time

import lisse  # noqa: F401  (before dolfinx)
from lisse.meshes.cache import load_mesh
from lisse.meshes.geometry import CellGeometry, MeshSizes, Void
from lisse.solver.config.params import Numerics
from lisse.solver.physics.creep import LinearElastic, PowerLawCreep
from lisse.solver.physics.mechanics import Mechanics

UM = 1e-6


def start_phase() -> float:
    """Return the heap's free pages to the system, reset the peak resident set (Linux);
    returns the resident set now [MB]."""
    import ctypes
    import gc

    gc.collect()
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")
    return _status_mb("VmRSS")


def _status_mb(field: str) -> float:
    """VmRSS or VmHWM (peak) of this process [MB]."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field):
                return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    from dolfinx.fem import petsc as fem_petsc
    from mpi4py import MPI
    from petsc4py import PETSc

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-um", type=float, default=1.2, help="bulk element size [µm]")
    parser.add_argument("--dt", type=float, default=1.0, help="creep step [s]")
    parser.add_argument("--refinements", type=int, default=0,
                        help="Gmsh meshes at 2^n times the sizes, then every cell is split n "
                             "times (geometry.mesh.refinements)")
    args = parser.parse_args()
    comm = MPI.COMM_WORLD

    def say(text):
        if comm.rank == 0:
            print(text, flush=True)

    h = args.size_um * UM
    geom = CellGeometry(
        "3d",
        40 * UM,
        20 * UM,
        20 * UM,
        MeshSizes(h, h / 2, h / 4, 0.3, refinements=args.refinements),
        depth=40 * UM,
        voids=(Void((0.0, 0.0), 8 * UM, 2 * UM),),
    )
    t0 = time.perf_counter()
    data = load_mesh(geom, comm)
    say(
        f"mesh: {data.mesh.topology.index_map(3).size_global} tetrahedra "
        f"({time.perf_counter() - t0:.1f} s, cached after the first run)"
    )
    numerics = Numerics(linear_solver="iterative", krylov_rtol=1e-8, newton_rtol=1e-8)

    def li():
        return PowerLawCreep(7.8e9, 0.38, 4.25e4, 37e3, 0.95e6, 6.67, 298.15)

    llzo = LinearElastic(150e9, 0.26)
    # (1) baseline: one linear-elastic AMG solve on the same mesh
    rss = start_phase()
    base = Mechanics(
        data.mesh, data.cell_tags, data.facet_tags, "3d", li(), llzo, "traction", 1e6, numerics
    )
    say(f"unknowns: {base.ndofs}, ranks: {comm.size}")
    comm.barrier()
    t, c = time.perf_counter(), time.process_time()
    base._update_material(0.0)
    res = base._residual()
    fem_petsc.set_bc(res, base.bcs, alpha=0.0)
    base.A.zeroEntries()
    fem_petsc.assemble_matrix(base.A, base.J_form, bcs=base.bcs)
    base.A.assemble()
    base.ksp.setOperators(base.A)
    res.scale(-1.0)
    base._solve(res)
    comm.barrier()
    t_base, c_base = time.perf_counter() - t, time.process_time() - c
    say(f"(1) linear-elastic AMG solve: {t_base:.2f} s, {base.krylov_iterations} CG iterations")
    added_base = comm.allreduce(_status_mb("VmHWM") - rss)
    del base
    # (2) and (3): the cell under the rigid collector, then one creep step
    rss = start_phase()
    mech = Mechanics(
        data.mesh, data.cell_tags, data.facet_tags, "3d", li(), llzo, "collector", 1e6, numerics
    )
    t = time.perf_counter()
    its = mech.step(0.0)
    t_load = time.perf_counter() - t
    say(
        f"(2) elastic loading (collector): {t_load:.2f} s, {its} Newton, "
        f"{mech.krylov_iterations} CG iterations"
    )
    k0 = mech.krylov_iterations
    t, c = time.perf_counter(), time.process_time()
    its = mech.step(args.dt)
    comm.barrier()
    t_creep, c_creep = time.perf_counter() - t, time.process_time() - c
    say(
        f"(3) creep step dt = {args.dt:g} s: {t_creep:.2f} s, {its} Newton, "
        f"{mech.krylov_iterations - k0} CG iterations"
    )
    added_creep = comm.allreduce(_status_mb("VmHWM") - rss)
    state = mech.state()
    say(
        f"    contact fraction {state.contact_fraction:.4f}, max von Mises Li "
        f"{state.max_von_mises_li / 1e6:.3f} MPa"
    )
    peak = comm.allreduce(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, op=MPI.MAX)
    say(f"ratio creep step / linear-elastic solve: {t_creep / t_base:.2f}")
    c_base, c_creep = (comm.allreduce(c, op=MPI.MAX) for c in (c_base, c_creep))
    say(f"CPU time (max over ranks): (1) {c_base:.2f} s, (3) {c_creep:.2f} s")
    say(f"CPU-time ratio (max over ranks; steadier on a shared machine): "
        f"{c_creep / c_base:.2f}")
    say(f"peak resident memory: {peak / 1024**2:.2f} GB per rank (max over ranks)")
    say(f"memory added: baseline {added_base:.0f} MB, creep case {added_creep:.0f} MB "
        f"(sum over ranks); ratio {added_creep / added_base:.2f}")
    say(f"PETSc {'.'.join(map(str, PETSc.Sys.getVersion()))}")


if __name__ == "__main__":
    main()
