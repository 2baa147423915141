"""Benchmark: 3D current distribution against a plain Poisson solve on the same mesh.

Builds (or reuses) the cached mesh of a 3D Li | LLZO cell with four voids, loads it over
the ranks and takes its electrolyte part; then measures, in the same processes, one phase
after the other:
1. baseline — one P1 Poisson solve, CG + GAMG, on the electrolyte mesh (assembly included);
2. lisse — the galvanostatic Butler–Volmer current distribution (operator set-up, Newton,
   CG + GAMG).
3. write — the run's ParaView output (``mesh.xdmf`` and ``fields.xdmf`` with φ and the
   current density, lisse.solver.io.runfolder.write_fields) into a temporary folder.
Reported: wall time of each phase, and the memory it adds (peak resident set during the
phase minus the resident set at its start, summed over the ranks; before each phase the
heap's free pages are returned to the system with glibc's malloc_trim and the peak is
reset through /proc/self/clear_refs); then the ratios lisse / baseline. Also
printed: the time Gmsh took (0 if the mesh was cached; with ``--refinements n`` Gmsh
meshes at 2^n times the sizes), the time of making the ``.lmesh`` file every rank reads
(the companion of Gmsh's mesh, lisse.meshes.mesh_arrays, and the refinements,
lisse.meshes.refine; 0 if it existed), the load of that file, and the end-to-end ratios:
of a run on a cached mesh, (load + electrolyte domain + lisse solve + write) over the
baseline and over the lisse solve, and of a first run, (Gmsh + .lmesh file + load +
domain + solve + write) over the lisse solve — issue 16's "end to end". Last, DOLFINx's
own pipeline on the same file with no lisse code (``run_bare``: create_mesh, the Poisson
solve, an XDMF write) and its ratio to its solve.

    .venv/bin/python scripts/bench_current.py --size 0.9 --refinements 2   # 1.4 M unknowns
    .venv/bin/python scripts/bench_current.py --size 8    # small, for a quick look
    .venv/bin/mpirun -n 2 .venv/bin/python scripts/bench_current.py --size 8
"""

from __future__ import annotations

import argparse
import gc
import pathlib
import time

import lisse  # noqa: F401  (DOLFINx wheel set-up)

KRYLOV_RTOL = 1e-8


def case(size_um: float, refinements: int = 0) -> dict:
    """A 3D Li | LLZO cell, 100 x 100 µm, with four interfacial voids; with
    ``refinements`` Gmsh meshes it coarser and DOLFINx's mesh is that one refined
    (lisse.meshes.refine) to the same sizes."""
    return {
        "name": "bench_current",
        "geometry": {
            "dimension": "3d", "width_um": 100, "lithium_thickness_um": 10,
            "electrolyte_thickness_um": 100,
            "voids": [
                {"center_um": [0, 0], "radius_um": 20, "height_um": 4},
                {"center_um": [60, 30], "radius_um": 15, "height_um": 4},
                {"center_um": [30, 75], "radius_um": 12, "height_um": 3, "shape": "cap"},
                {"center_um": [80, 80], "radius_um": 10, "height_um": 3},
            ],
            "mesh": {"size_um": size_um, "interface_size_um": size_um / 2,
                     "edge_size_um": size_um / 4, "growth_rate": 0.3,
                     "refinements": refinements, "max_cells": 30_000_000},
        },
        "materials": {"electrolyte": "LLZO"},
        "interface": {"kinetics": "butler_volmer"},
        "counter_electrode": {"kinetics": "butler_volmer"},
        "protocol": {"current_density_mA_cm2": 1.0},
        "numerics": {"linear_solver": "iterative", "krylov_rtol": KRYLOV_RTOL},
    }


def _params(size_um: float, refinements: int = 0):
    from lisse.solver.config.schema import resolve, validate_case

    return resolve(validate_case(case(size_um, refinements)))


def load_domain(params, comm):
    """Build or reuse the cached mesh, load it over ``comm`` as a steady run does (its
    conducting cells only); returns the mesh data, the electrolyte domain and the times [s]
    of Gmsh (about zero if the mesh was cached; the coarse mesh with refinements), of
    making the ``.lmesh`` file every rank reads (the companion of Gmsh's mesh and the
    refinements; zero if it existed), of the load and of the electrolyte domain (the mesh
    itself, or a submesh if the cache could not leave the Li out)."""
    from lisse.meshes.cache import arrays_file, entry_path, load_mesh, mesh_file
    from lisse.meshes.refine import coarse_geometry
    from lisse.solver.fem.domain import conducting_tags, electrolyte_domain

    geom = params.geometry
    times, companion = {"mesh_s": 0.0, "prepare_s": 0.0, "prepare_cpu_s": 0.0}, None
    if comm.rank == 0:
        times["gmsh_cached"] = entry_path(coarse_geometry(geom)).exists()
        start = time.perf_counter()
        mesh_file(coarse_geometry(geom))  # Gmsh, once: cached for later runs
        times["mesh_s"] = time.perf_counter() - start
        start, cpu = time.perf_counter(), time.process_time()
        companion = arrays_file(geom)  # the companion and the refinements, once
        times["prepare_s"] = time.perf_counter() - start
        times["prepare_cpu_s"] = time.process_time() - cpu
    times = comm.bcast(times, root=0)
    comm.barrier()
    start, cpu = time.perf_counter(), time.process_time()
    data = load_mesh(geom, comm, regions=conducting_tags())  # as a steady run: no Li cells
    comm.barrier()
    seconds, cpu = time.perf_counter() - start, comm.allreduce(time.process_time() - cpu)
    start, sub_cpu = time.perf_counter(), time.process_time()
    domain = electrolyte_domain(data.mesh, data.cell_tags, data.facet_tags, False)
    comm.barrier()
    sub, sub_cpu = time.perf_counter() - start, comm.allreduce(time.process_time() - sub_cpu)
    return data, domain, {**times, "load_s": seconds, "load_cpu_s": cpu,
                          "domain_s": sub, "domain_cpu_s": sub_cpu,
                          "companion": comm.bcast(str(companion), root=0)}


def poisson(msh, counter_facets, keep: bool = False) -> dict:
    """One P1 Poisson solve, −Δu = 1 with u = 0 on ``counter_facets``, CG + GAMG to
    ``KRYLOV_RTOL`` (assembly included); with ``keep`` the solution is returned as
    ``"u"`` (a dolfinx Function)."""
    import ufl
    from dolfinx import fem
    from dolfinx.fem import petsc as fem_petsc
    from petsc4py import PETSc

    start = time.perf_counter()
    space = fem.functionspace(msh, ("Lagrange", 1))
    u, v = ufl.TrialFunction(space), ufl.TestFunction(space)
    dofs = fem.locate_dofs_topological(space, msh.topology.dim - 1, counter_facets)
    bc = fem.dirichletbc(0.0, dofs, space)
    a = fem.form(ufl.inner(ufl.grad(u), ufl.grad(v)) * ufl.dx)
    L = fem.form(v * ufl.dx)
    A = fem_petsc.assemble_matrix(a, bcs=[bc])
    A.assemble()
    b = fem_petsc.assemble_vector(L)
    fem_petsc.apply_lifting(b, [a], [[bc]])
    b.ghostUpdate(PETSc.InsertMode.ADD, PETSc.ScatterMode.REVERSE)
    fem_petsc.set_bc(b, [bc])
    ksp = PETSc.KSP().create(msh.comm)
    ksp.setOperators(A)
    ksp.setType("cg")
    ksp.getPC().setType("gamg")
    ksp.setTolerances(rtol=KRYLOV_RTOL)
    solution = fem.Function(space, name="u")
    ksp.solve(b, solution.x.petsc_vec)
    solution.x.scatter_forward()
    iterations = ksp.getIterationNumber()
    for obj in (ksp, A, b):
        obj.destroy()
    result = {"solve_s": time.perf_counter() - start, "iterations": iterations,
              "unknowns": space.dofmap.index_map.size_global}
    if keep:
        result["u"] = solution
    return result


def run_baseline(domain) -> dict:
    return poisson(domain.mesh, domain.facets("counter"))


def run_bare(companion: str, comm) -> dict:
    """DOLFINx's own pipeline, no lisse code: ``dolfinx.mesh.create_mesh`` from the
    electrolyte cells of the cache entry's ``.lmesh`` companion (each rank its block of the
    file, read through lisse's memory maps; DOLFINx's default partitioner under MPI), the
    Poisson solve of the baseline (u = 0 on the bottom face z = min z, the counter electrode) and
    ``dolfinx.io.XDMFFile`` writing the mesh and u (HDF5) into a temporary folder; then the
    same u written by ``dolfinx.io.VTXWriter`` (ADIOS2, BP4), timed apart; before all that,
    ``create_mesh`` of the whole cell (Li included, as lisse loads it), timed. Returns the
    wall time [s] of each step (slowest rank) and its CPU time [s] (summed over ranks)."""
    import tempfile

    import basix.ufl
    import numpy as np
    import ufl
    from dolfinx import io
    from dolfinx.mesh import create_mesh, locate_entities_boundary
    from mpi4py import MPI

    from lisse.meshes.mesh_arrays import _array, read_header  # the file's memory maps only

    times, path = {}, pathlib.Path(companion)

    def step(name, work):
        comm.barrier()
        start, cpu = time.perf_counter(), time.process_time()
        out = work()
        comm.barrier()
        times[name] = (comm.allreduce(time.perf_counter() - start, op=MPI.MAX),
                       comm.allreduce(time.process_time() - cpu))
        return out

    def read(electrolyte_only: bool):
        header = read_header(path)
        cells, x = _array(path, header, "cells"), _array(path, header, "x")
        block = slice(len(cells) * comm.rank // comm.size,
                      len(cells) * (comm.rank + 1) // comm.size)
        mine = np.asarray(cells[block])
        if electrolyte_only:
            mine = mine[np.asarray(_array(path, header, "cell_values")[block]) == 1]
        nodes = slice(len(x) * comm.rank // comm.size, len(x) * (comm.rank + 1) // comm.size)
        element = basix.ufl.element("Lagrange", "tetrahedron", 1, shape=(3,))
        return create_mesh(comm, mine, ufl.Mesh(element), np.array(x[nodes]))

    step("mesh_full", lambda: read(False))  # the whole cell, Li included, as lisse loads it
    gc.collect()
    msh = step("mesh", lambda: read(True))

    def solve():
        bottom = comm.allreduce(msh.geometry.x[:, 2].min(initial=np.inf), op=MPI.MIN)
        facets = locate_entities_boundary(msh, 2, lambda p: np.isclose(p[2], bottom))
        return poisson(msh, facets, keep=True)

    result = step("solve", solve)
    folder = comm.bcast(tempfile.mkdtemp(prefix="bench_bare_") if comm.rank == 0 else None)

    def write_xdmf():
        with io.XDMFFile(comm, f"{folder}/fields.xdmf", "w") as xdmf:
            xdmf.write_mesh(msh)
            xdmf.write_function(result["u"], 0.0)

    def write_vtx():
        with io.VTXWriter(comm, f"{folder}/fields.bp", [result["u"]], engine="BP4") as vtx:
            vtx.write(0.0)

    step("write", write_xdmf)
    step("vtx", write_vtx)
    comm.barrier()
    if comm.rank == 0:
        import shutil

        shutil.rmtree(folder)
    return {"times": times, "iterations": result["iterations"],
            "unknowns": result["unknowns"], "cells": msh.topology.index_map(3).size_global}


def run_lisse(params, domain) -> dict:
    from lisse.solver.physics.current import CurrentDistribution

    start = time.perf_counter()
    cd = CurrentDistribution(domain, params.electrolyte.ionic_conductivity, params.working,
                             params.counter, params.temperature, params.numerics)
    sol = cd.solve("galvanostatic", params.protocol.current_density)
    return {"solve_s": time.perf_counter() - start, "newton": sol.newton_iterations,
            "krylov": sol.krylov_iterations, "unknowns": cd.ndofs + 1,
            "cell_voltage_V": sol.cell_voltage, "solution": sol}


def run_write(data, sol) -> dict:
    """The run's ParaView output (mesh.xdmf, fields.xdmf) into a temporary folder."""
    import tempfile
    from types import SimpleNamespace

    from lisse.solver.io.runfolder import write_fields

    comm = data.mesh.comm
    start = time.perf_counter()
    folder = tempfile.mkdtemp(prefix="bench_current_") if comm.rank == 0 else None
    folder = comm.bcast(folder, root=0)
    out = SimpleNamespace(path=lambda name: f"{folder}/{name}")
    write_fields(out, SimpleNamespace(mesh=data, hold=None), sol)
    comm.barrier()
    if comm.rank == 0:
        import shutil

        shutil.rmtree(folder)
    return {"solve_s": time.perf_counter() - start}


def _rss_mb(field: str) -> float:
    """VmRSS or VmHWM (peak) of this process [MB]."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field):
                return int(line.split()[1]) / 1024
    return float("nan")


def _reset_peak() -> None:
    """Return the heap's free pages to the system (glibc ``malloc_trim``: else a phase reuses
    memory an earlier one freed, and its peak minus its start undercounts what it needs),
    then reset this process's peak resident set (VmHWM) to its current one (Linux)."""
    import ctypes

    ctypes.CDLL("libc.so.6").malloc_trim(0)
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")


def measure(kind: str, params, domain, data=None, sol=None) -> dict:
    """Run one phase; adds its memory (peak minus start, summed over the ranks) [MB] and
    its CPU time (user + system, summed over the ranks) [s]."""
    from mpi4py import MPI

    comm = domain.mesh.comm
    gc.collect()
    _reset_peak()
    base = _rss_mb("VmRSS")
    comm.barrier()
    cpu = time.process_time()
    if kind == "baseline":
        result = run_baseline(domain)
    elif kind == "write":
        result = run_write(data, sol)
    else:
        result = run_lisse(params, domain)
    comm.barrier()
    result["cpu_s"] = comm.allreduce(time.process_time() - cpu)
    result["solve_s"] = comm.allreduce(result["solve_s"], op=MPI.MAX)
    result["added_MB"] = comm.allreduce(_rss_mb("VmHWM") - base)
    return result


def main() -> None:
    from mpi4py import MPI

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=float, default=0.9, help="bulk element size [µm]")
    parser.add_argument("--refinements", type=int, default=0,
                        help="Gmsh meshes at 2^n times the sizes, then every cell is split n "
                             "times (geometry.mesh.refinements)")
    args = parser.parse_args()
    comm = MPI.COMM_WORLD
    params = _params(args.size, args.refinements)
    data, domain, times = load_domain(params, comm)
    results = {kind: measure(kind, params, domain) for kind in ("baseline", "lisse")}
    results["write"] = measure("write", params, domain, data, results["lisse"]["solution"])
    del results["lisse"]["solution"]
    gc.collect()
    bare = run_bare(times["companion"], comm)
    if comm.rank:
        return
    base, ours, write = results["baseline"], results["lisse"], results["write"]
    cpu = f"CPU {{:.2f}} s (sum over {comm.size} rank{'s' if comm.size > 1 else ''})"
    print(f"ranks                    {comm.size}")
    print(f"unknowns                 {ours['unknowns']:,}")
    print(f"refinements              {args.refinements}")
    print(f"Gmsh (0 if cached)       {times['mesh_s']:.2f} s (rank 0)")
    print(f".lmesh file (+ refining) {times['prepare_s']:.2f} s (rank 0; 0 if it existed), "
          f"CPU {times['prepare_cpu_s']:.2f} s")
    print(f"load of the mesh file    {times['load_s']:.2f} s, " + cpu.format(times["load_cpu_s"]))
    print(f"electrolyte submesh      {times['domain_s']:.2f} s, "
          + cpu.format(times["domain_cpu_s"]))
    print(f"baseline Poisson solve   {base['solve_s']:.2f} s ({base['iterations']} CG its), "
          f"+{base['added_MB']:.0f} MB, " + cpu.format(base["cpu_s"]))
    print(f"lisse current solve      {ours['solve_s']:.2f} s ({ours['newton']} Newton, "
          f"{ours['krylov']} CG its), +{ours['added_MB']:.0f} MB, " + cpu.format(ours["cpu_s"]))
    print(f"write fields (XDMF)      {write['solve_s']:.2f} s, " + cpu.format(write["cpu_s"]))
    print(f"time ratio               {ours['solve_s'] / base['solve_s']:.2f} "
          f"(CPU {ours['cpu_s'] / base['cpu_s']:.2f})")
    print(f"memory ratio             {ours['added_MB'] / base['added_MB']:.2f}")
    end_to_end = times["load_s"] + times["domain_s"] + ours["solve_s"] + write["solve_s"]
    end_to_end_cpu = (times["load_cpu_s"] + times["domain_cpu_s"] + ours["cpu_s"]
                      + write["cpu_s"])
    print(f"end-to-end ratio         {end_to_end / base['solve_s']:.2f} "
          f"(CPU {end_to_end_cpu / base['cpu_s']:.2f}; (load + submesh + solve + write) / "
          "baseline, mesh cached)")
    print(f"end to end / lisse solve {end_to_end / ours['solve_s']:.2f} "
          f"(CPU {end_to_end_cpu / ours['cpu_s']:.2f}; the same over lisse's own current "
          "solve, mesh cached)")
    first = times["mesh_s"] + times["prepare_s"] + end_to_end
    print(f"first run / lisse solve  {first / ours['solve_s']:.2f} ((Gmsh + .lmesh file + load "
          "+ submesh + solve + write) / lisse's current solve, wall; the issue's 'end to end'"
          f"{', but the Gmsh mesh was cached' if times['gmsh_cached'] else ''})")
    steps = bare["times"]
    print(f"bare DOLFINx create_mesh, whole cell  {steps['mesh_full'][0]:.2f} s, "
          + cpu.format(steps["mesh_full"][1]))
    print(f"bare DOLFINx create_mesh, electrolyte {steps['mesh'][0]:.2f} s, "
          + cpu.format(steps["mesh"][1]) + f", {bare['cells']:,} cells")
    print(f"bare DOLFINx Poisson solve            {steps['solve'][0]:.2f} s "
          f"({bare['iterations']} CG its, {bare['unknowns']:,} unknowns), "
          + cpu.format(steps["solve"][1]))
    print(f"bare DOLFINx XDMFFile write           {steps['write'][0]:.2f} s, "
          + cpu.format(steps["write"][1]))
    print(f"bare DOLFINx VTXWriter write          {steps['vtx'][0]:.2f} s, "
          + cpu.format(steps["vtx"][1]))
    bare_wall = sum(steps[k][0] for k in ("mesh", "solve", "write"))
    bare_cpu = sum(steps[k][1] for k in ("mesh", "solve", "write"))
    print(f"bare DOLFINx pipeline    {bare_wall / steps['solve'][0]:.2f} "
          f"(CPU {bare_cpu / steps['solve'][1]:.2f}; (create_mesh + solve + XDMF write) / "
          "its solve)")
    print(f"lisse / bare pipeline    {end_to_end / bare_wall:.2f} "
          f"(CPU {end_to_end_cpu / bare_cpu:.2f}; lisse's end to end / bare DOLFINx's)")


if __name__ == "__main__":
    main()
