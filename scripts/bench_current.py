"""Benchmark: 3D current distribution against a plain Poisson solve on the same mesh.

Runs two child processes on the same cached mesh (so each reports its own peak memory):
1. baseline — one P1 Poisson solve, CG + GAMG, on the electrolyte mesh;
2. lisse — the galvanostatic Butler–Volmer current distribution (Newton, CG + GAMG).
Prints the solve times, their ratio, the peak resident memory of each process and its ratio.

    .venv/bin/python scripts/bench_current.py            # about 1 M unknowns
    .venv/bin/python scripts/bench_current.py --size 8   # smaller, for a quick look
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import solver  # noqa: F401  (DOLFINx wheel set-up)

KRYLOV_RTOL = 1e-8


def case(size_um: float) -> dict:
    """A 3D Li | LLZO cell, 100 x 100 µm, with four interfacial voids."""
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
                     "edge_size_um": size_um / 4, "growth_rate": 0.3},
        },
        "materials": {"electrolyte": "LLZO"},
        "interface": {"kinetics": "butler_volmer"},
        "counter_electrode": {"kinetics": "butler_volmer"},
        "protocol": {"current_density_mA_cm2": 1.0},
        "numerics": {"linear_solver": "iterative", "krylov_rtol": KRYLOV_RTOL},
    }


def _domain(size_um: float):
    from mpi4py import MPI

    from meshes.cache import load_mesh
    from solver.config import resolve, validate_case
    from solver.domain import electrolyte_domain

    params = resolve(validate_case(case(size_um)))
    data = load_mesh(params.geometry, MPI.COMM_WORLD)
    return params, electrolyte_domain(data.mesh, data.cell_tags, data.facet_tags, False)


def run_baseline(size_um: float) -> dict:
    import ufl
    from dolfinx import fem
    from dolfinx.fem import petsc as fem_petsc
    from petsc4py import PETSc

    from meshes.geometry import FACET_TAGS

    _, domain = _domain(size_um)
    start = time.perf_counter()
    space = fem.functionspace(domain.mesh, ("Lagrange", 1))
    u, v = ufl.TrialFunction(space), ufl.TestFunction(space)
    dofs = fem.locate_dofs_topological(space, 2, domain.facets("counter"))
    bc = fem.dirichletbc(0.0, dofs, space)
    a = fem.form(ufl.inner(ufl.grad(u), ufl.grad(v)) * ufl.dx)
    L = fem.form(v * ufl.dx)
    A = fem_petsc.assemble_matrix(a, bcs=[bc])
    A.assemble()
    b = fem_petsc.assemble_vector(L)
    fem_petsc.apply_lifting(b, [a], [[bc]])
    b.ghostUpdate(PETSc.InsertMode.ADD, PETSc.ScatterMode.REVERSE)
    fem_petsc.set_bc(b, [bc])
    ksp = PETSc.KSP().create(domain.mesh.comm)
    ksp.setOperators(A)
    ksp.setType("cg")
    ksp.getPC().setType("gamg")
    ksp.setTolerances(rtol=KRYLOV_RTOL)
    x = A.createVecRight()
    ksp.solve(b, x)
    return {"solve_s": time.perf_counter() - start, "iterations": ksp.getIterationNumber(),
            "unknowns": space.dofmap.index_map.size_global}


def run_lisse(size_um: float) -> dict:
    from solver.electrochem import CurrentDistribution

    params, domain = _domain(size_um)
    start = time.perf_counter()
    cd = CurrentDistribution(domain, params.electrolyte.ionic_conductivity, params.working,
                             params.counter, params.temperature, params.numerics)
    sol = cd.solve("galvanostatic", params.protocol.current_density)
    return {"solve_s": time.perf_counter() - start, "newton": sol.newton_iterations,
            "krylov": sol.krylov_iterations, "unknowns": cd.ndofs + 1,
            "cell_voltage_V": sol.cell_voltage}


def child(kind: str, size_um: float) -> None:
    result = (run_baseline if kind == "baseline" else run_lisse)(size_um)
    result["peak_rss_MB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("RESULT", json.dumps(result), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=float, default=2.2, help="bulk element size [µm]")
    parser.add_argument("--child", choices=["baseline", "lisse"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.size)
        return
    _domain(args.size)  # build and cache the mesh once, outside the measurements
    results = {}
    for kind in ("baseline", "lisse"):
        proc = subprocess.run([sys.executable, __file__, "--child", kind, "--size",
                               str(args.size)], capture_output=True, text=True, check=True)
        results[kind] = json.loads(proc.stdout.split("RESULT")[1])
    base, ours = results["baseline"], results["lisse"]
    print(f"unknowns                 {ours['unknowns']:,}")
    print(f"baseline Poisson solve   {base['solve_s']:.2f} s ({base['iterations']} CG its), "
          f"peak {base['peak_rss_MB']:.0f} MB")
    print(f"lisse current solve      {ours['solve_s']:.2f} s ({ours['newton']} Newton, "
          f"{ours['krylov']} CG its), peak {ours['peak_rss_MB']:.0f} MB")
    print(f"time ratio               {ours['solve_s'] / base['solve_s']:.2f}")
    print(f"peak memory ratio        {ours['peak_rss_MB'] / base['peak_rss_MB']:.2f}")


if __name__ == "__main__":
    main()
