"""Benchmark: a five-point CCD-versus-stack-pressure curve of an axisymmetric Li/LLZO cell.

Prints the wall time of the whole curve (target: under 10 minutes on a 2-core machine),
the number of simulations it took, and its ratio to one steady current-distribution solve
on the same mesh measured in the same run. ``--closure creep_field`` measures the closure
rate on the cell's creep field at each pressure (one mechanics solve per point).

    .venv/bin/python scripts/bench_ccd.py [--closure isolated_void|creep_field]
    .venv/bin/mpirun -n 2 .venv/bin/python scripts/bench_ccd.py --pressures 2   # one point
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import lisse  # noqa: F401  (DOLFINx wheel set-up)
from lisse.solver.config.schema import load_case, resolve
from lisse.solver.studies.ccd import ccd_search
from lisse.solver.studies.model import build_model

CASE = Path(__file__).resolve().parents[1] / "configs/studies/ccd_llzo_axisymmetric.yaml"
PRESSURES_MPA = (1.0, 1.5, 2.0, 3.0, 4.0)


def main() -> None:
    from mpi4py import MPI

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--closure", choices=("isolated_void", "creep_field"),
                        default="isolated_void")
    parser.add_argument("--pressures", type=float, nargs="+", default=PRESSURES_MPA,
                        help="stack pressures of the curve [MPa]")
    args = parser.parse_args()
    closure = f"evolution.supply.creep_closure={args.closure}"
    comm = MPI.COMM_WORLD
    params = resolve(load_case(CASE))
    cd = build_model(params, comm, "ccd").current  # the mesh is built outside the timing
    start = time.perf_counter()
    cd.solve("galvanostatic", params.protocol.current_density)
    baseline = time.perf_counter() - start
    start = time.perf_counter()
    rows, trials = [], 0
    for p in args.pressures:
        case = load_case(CASE, [f"evolution.stack_pressure_MPa={p}", closure])
        result = ccd_search(resolve(case), comm)
        trials += len(result.trials)
        rows.append((p, result.ccd / 10, result.bracket[1] / 10))
    total = time.perf_counter() - start
    if comm.rank == 0:
        for p, ccd, high in rows:
            print(f"  p = {p:4.1f} MPa   CCD {ccd:9.4g} mA/cm²  (limit below {high:.4g})")
        print(f"curve of {len(rows)} points: {total:.1f} s, {trials} simulations "
              f"(target < 600 s)")
        print(f"one steady current solve: {baseline:.3f} s; ratio {total / baseline:.0f}")


if __name__ == "__main__":
    main()
