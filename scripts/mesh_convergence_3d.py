"""Mesh convergence of the coupled model's contact history in 3D cells (docs/moving_interface.md,
"Mesh convergence in 3D"): a measurement, not a test.

The cell is the small 12 × 12 µm cell with two quarter voids (radius 5 µm, height 1.5 µm) at
(0, 0) and (12, 12) µm of ``tests/verification/test_coupled_3d.py::small_cell3d`` (bulk mesh
6 µm), with the interface mesh ``interface_um`` and ``edge_um`` at the void edges (the test
mesh 4 and 2 µm; halving h halves both, as the 2D convergence tests do). Cases:

* ``strip``: 1 mA/cm² for ``amount`` mAh/cm² at 0.05 MPa (the 2D convps case; the Li barely
  creeps, the default steps with the li_follow bound);
* ``rest``: the strip–rest of ``tests/integration/test_coupled_3d_run.py`` (1 mA/cm² for
  0.36 s under 2 MPa) with a rest of ``amount`` s.

Per step it prints and stores the contact fraction (the engine's), the share of the
electrolyte interface nodes in contact (Σ w_k [g_k ≤ t] / A, the 3D measure before the
conv3d slice), the void count and, per void (the interface nodes nearer to its centre), the
nodes out of contact and their largest gap. With ``--pockets`` it prints, at the end of every step
(before the Li mesh smoothing, which resets the flow to rest; the time printed is the
step's start), the pocket nodes of the whole cell (``li_pocket_3d.report``: Li bottom
nodes above t, their speed and the σ_eq/p of their cells). The histories go to
``out.json``; ``compare a.json b.json`` prints the metrics of
tests/verification/test_coupled_mesh_convergence.py (time-integrated and pointwise).

    .venv/bin/python scripts/mesh_convergence_3d.py strip|rest interface_um edge_um amount \
        out.json [--pockets]
    .venv/bin/python scripts/mesh_convergence_3d.py compare a.json b.json
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

import lisse  # noqa: F401  (before dolfinx)

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from li_pocket_3d import report  # noqa: E402
from mpi4py import MPI  # noqa: E402

from lisse.solver.physics.gap_evolution import InterfaceEvolution  # noqa: E402
from lisse.units import UM_PER_M  # noqa: E402
from tests.integration.test_coupled_3d_run import _case  # noqa: E402
from tests.verification.test_coupled_3d import small_cell3d  # noqa: E402
from tests.verification.test_coupled_mesh_convergence import compare  # noqa: E402

CENTRES_UM = np.array([(0.0, 0.0), (12.0, 12.0)])
LOW_PRESSURE_MPA = 0.05
POCKET_RADIUS_UM = 20.0  # the whole cell


def case(kind: str, interface_um: float, edge_um: float, amount: float) -> dict:
    """The case of the module docstring."""
    if kind == "strip":
        c = small_cell3d()
        c["evolution"]["stack_pressure_MPa"] = LOW_PRESSURE_MPA
        c["evolution"]["steps"] = [{"current_density_mA_cm2": 1.0, "capacity_mAh_cm2": amount}]
    else:
        c = _case()
        c["evolution"]["steps"] = c["evolution"]["steps"][:1] + [
            {"current_density_mA_cm2": 0.0, "duration_h": amount / 3600}]
    c["output"] = {"fields": False, "plots": False}
    c["geometry"]["mesh"] |= {"interface_size_um": interface_um, "edge_size_um": edge_um}
    return c


def main(kind: str, interface_um: float, edge_um: float, amount: float, out: str,
         pockets: bool) -> None:
    start, wall = time.process_time(), time.time()
    rows = []

    def progress(record, solution, j):
        evo = state["evo"]
        share = evo.contact_share()
        xy = np.concatenate(evo.comm.allgather(evo.x[:, :2])) * UM_PER_M
        gap = np.concatenate(evo.comm.allgather(evo.gap))
        off = np.concatenate(evo.comm.allgather(share <= 0))
        near = np.argmin(np.linalg.norm(xy[:, None] - CENTRES_UM[None], axis=2), axis=1)
        per_void = [(int(np.sum(off & (near == v))),
                     float(gap[off & (near == v)].max(initial=0.0)) * UM_PER_M)
                    for v in range(len(CENTRES_UM))]
        row = {"t": record.time, "f": record.contact_fraction,
               "f_nodes": InterfaceEvolution.contact_fraction(evo), "voids": evo.void_count(),
               "max_gap_um": record.max_gap * UM_PER_M, "per_void": per_void,
               "cpu_s": time.process_time() - start}
        rows.append(row)
        if MPI.COMM_WORLD.rank == 0:
            print(f"t {record.time:9.4f} s  f {row['f']:.5f}  f_nodes {row['f_nodes']:.5f}  "
                  f"voids {row['voids']}  per void (nodes off, max gap µm) {per_void}  "
                  f"CPU {row['cpu_s']:.0f} s", flush=True)

    state = {}
    from lisse.solver.config.schema import resolve, validate_case
    from lisse.solver.studies.evolution import _engine
    from lisse.solver.studies.model import build_model

    params = resolve(validate_case(case(kind, interface_um, edge_um, amount)))
    evo = _engine(build_model(params, MPI.COMM_WORLD, "evolution"), params.evolution)
    state["evo"] = evo
    if pockets and evo.smoother is not None:  # report on the step's flow, before a smoothing
        smooth = evo.smoother                 # resets it to rest

        def report_then_smooth(force: bool = False) -> bool:
            report(evo, POCKET_RADIUS_UM / UM_PER_M)
            return smooth(force)

        evo.smoother = report_then_smooth
    outcome = evo.run(progress)
    summary = {"kind": kind, "interface_um": interface_um, "edge_um": edge_um,
               "amount": amount, "failed": outcome.failed, "failure": outcome.failure_mode,
               "cpu_s": time.process_time() - start, "wall_s": time.time() - wall,
               "rows": rows}
    if MPI.COMM_WORLD.rank == 0:
        Path(out).write_text(json.dumps(summary, indent=1))
        print(f"failed {outcome.failed} {outcome.failure_mode}; {len(rows)} steps; CPU "
              f"{summary['cpu_s']:.1f} s, wall {summary['wall_s']:.1f} s")


def history(path: str, key: str) -> tuple[np.ndarray, np.ndarray]:
    rows = json.loads(Path(path).read_text())["rows"]
    return np.array([r["t"] for r in rows]), np.array([r[key] for r in rows])


def compare_files(a: str, b: str) -> None:
    for key in ("f", "f_nodes"):
        l1, worst, when = compare(history(a, key), history(b, key))
        print(f"{key}: time-integrated {l1:.2e}, largest at one time {worst:.2e} (t = "
              f"{when:.4f} s)")


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["compare"] and len(args) == 3:
        compare_files(*args[1:])
    elif args[:1] in (["strip"], ["rest"]) and len(args) in (5, 6):
        main(args[0], float(args[1]), float(args[2]), float(args[3]), args[4],
             "--pockets" in args)
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
