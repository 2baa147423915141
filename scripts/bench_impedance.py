"""Benchmark: an impedance spectrum against one real CG + GAMG solve on the same 3D mesh.

The 3D Li | LLZO cell of ``scripts/bench_current.py`` (100 × 100 µm, 100 µm of electrolyte,
four interfacial voids, Butler–Volmer at both electrodes). Measured in the same run, on the
same electrolyte mesh:
1. baseline — one P1 Poisson solve, CG + GAMG to the relative tolerance 1e-8 (assembly,
   preconditioner set-up and solve);
2. spectrum — the small-signal impedance at ``--frequencies`` log-spaced frequencies
   (operator set-up, then per frequency the 2×2 real block system by FGMRES with the PRESB
   preconditioner, ``lisse.solver.physics.impedance``), to the same tolerance.
Printed: unknowns, both wall times, the ratio spectrum / baseline, and the machine's load
average (the machine may be shared: the ratio is the number that travels). Runs under
``mpirun -n N`` as well.

    .venv/bin/python scripts/bench_impedance.py --size 1.18    # 1.04 M block unknowns
    .venv/bin/python scripts/bench_impedance.py --size 12 --frequencies 3   # tiny
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import lisse  # noqa: F401  (DOLFINx wheel set-up)

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_current import KRYLOV_RTOL, case, run_baseline  # noqa: E402

DOUBLE_LAYER_CAPACITANCE = 0.1  # F/m² (10 µF/cm², as configs/examples/llzo_voids_eis.yaml)


def domain_of(size_um: float, comm):
    from lisse.meshes.cache import load_mesh
    from lisse.solver.config.schema import resolve, validate_case
    from lisse.solver.fem.domain import electrolyte_domain

    cell = case(size_um)
    cell["geometry"]["mesh"]["max_cells"] = 50_000_000  # the 1 M-unknown mesh is the point
    params = resolve(validate_case(cell))
    data = load_mesh(params.geometry, comm)
    return params, electrolyte_domain(data.mesh, data.cell_tags, data.facet_tags, False)


def run_spectrum(params, domain, frequencies) -> dict:
    import numpy as np

    from lisse.solver.physics.current import CurrentDistribution
    from lisse.solver.physics.impedance import Impedance

    start = time.perf_counter()
    cd = CurrentDistribution(domain, params.electrolyte.ionic_conductivity, params.working,
                             params.counter, params.temperature, params.numerics)
    eis = Impedance(cd, None, DOUBLE_LAYER_CAPACITANCE)
    setup = time.perf_counter() - start
    z = np.array([eis.solve(f) for f in frequencies])
    return {"spectrum_s": time.perf_counter() - start, "setup_s": setup,
            "outer_iterations": eis.outer_iterations, "inner_iterations": eis.iterations,
            "z_ohm_m2": [[v.real, v.imag] for v in z], "unknowns": 2 * cd.ndofs}


def main(argv=None) -> dict:
    import numpy as np
    from mpi4py import MPI

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=float, default=1.18, help="bulk element size [µm]")
    parser.add_argument("--frequencies", type=int, default=30)
    parser.add_argument("--min-frequency", type=float, default=1e-1, help="[Hz]")
    parser.add_argument("--max-frequency", type=float, default=1e7, help="[Hz]")
    args = parser.parse_args(argv)
    comm = MPI.COMM_WORLD
    params, domain = domain_of(args.size, comm)
    frequencies = np.geomspace(args.min_frequency, args.max_frequency, args.frequencies)
    base = run_baseline(domain)
    ours = run_spectrum(params, domain, frequencies)
    result = {**ours, "baseline_s": base["solve_s"], "baseline_iterations": base["iterations"],
              "dofs": base["unknowns"], "ranks": comm.size,
              "ratio": ours["spectrum_s"] / base["solve_s"],
              "load_average": list(os.getloadavg()), "krylov_rtol": KRYLOV_RTOL}
    if comm.rank == 0:
        print(f"unknowns                 {ours['unknowns']:,} (2 × {base['unknowns']:,} "
              f"real dofs), {comm.size} rank(s)")
        print(f"baseline Poisson solve   {base['solve_s']:.2f} s ({base['iterations']} CG its)")
        print(f"spectrum, {len(frequencies)} frequencies {ours['spectrum_s']:.2f} s (set-up "
              f"{ours['setup_s']:.2f} s; {ours['outer_iterations']} FGMRES, "
              f"{ours['inner_iterations']} inner its)")
        print(f"time ratio               {result['ratio']:.1f}   (target ≤ 40)")
        print("load average             {:.2f} {:.2f} {:.2f}".format(*result["load_average"]))
        print("RESULT", json.dumps(result), flush=True)
    return result


if __name__ == "__main__":
    main()
