"""Where the 3D stress shift Δp goes after a void's touchdown (docs/moving_interface.md,
"Stress coupling after the touchdown"): a measurement, not a test (the 2D law is
tests/verification/test_stress_coupling_rest.py).

The cell is ``small_cell3d()`` (tests/verification/test_coupled_3d.py: 12 × 12 µm, two
quarter voids of radius 5 µm and height 1.5 µm, 2 MPa) with ``stress_coupling: true``,
stripped at 1 mA/cm² for 0.36 s, then at rest for ``rest`` seconds; ``fine`` halves the
interface mesh (2 µm, 1 µm at the void edges). Per step k it prints a JSON line: the time
at the step's end, the void count, the Li bottom nodes above the contact tolerance t and
the highest bottom node at the step's end, the largest and median |Δp|/p on the contact
in step k (its shift, from step k − 1's flow) and ``dp_next``, the largest |Δp|/p of the
engine's ``stress_excess`` after step k (the shift of step k + 1, taken from step k's flow
before a Li mesh smoothing), and where the largest sits (x, y in
µm). 139 s wall, 40 s CPU for a 160 s rest at load average ~5.

    .venv/bin/python scripts/stress_rest_3d.py [rest_s] [fine]   (default 160)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

import lisse  # noqa: F401  (before dolfinx)

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mpi4py import MPI  # noqa: E402

from lisse.solver.config.schema import resolve, validate_case  # noqa: E402
from lisse.solver.physics.li_follow import bottom_heights  # noqa: E402
from lisse.solver.studies.evolution import _engine  # noqa: E402
from lisse.solver.studies.model import build_model  # noqa: E402
from lisse.units import SECONDS_PER_HOUR, UM_PER_M  # noqa: E402
from tests.verification.test_coupled_3d import small_cell3d  # noqa: E402
from tests.verification.test_stress_coupling_3d import excess  # noqa: E402

REST_S = 160.0
FINE_MESH_UM = {"interface_size_um": 2, "edge_size_um": 1}  # h/2 at the interface
ROUND_M = 1e-12  # node coordinates rounded to this [m] to count each node once


def case(rest: float, fine: bool) -> dict:
    c = small_cell3d()
    c["evolution"] |= {"steps": [{"current_density_mA_cm2": 1.0, "capacity_mAh_cm2": 1e-4},
                                 {"current_density_mA_cm2": 0.0,
                                  "duration_h": rest / SECONDS_PER_HOUR}],
                       "stress_coupling": True, "field_snapshots": 0}
    if fine:
        c["geometry"]["mesh"] |= FINE_MESH_UM
    return c


def main(rest: float, fine: bool) -> None:
    params = resolve(validate_case(case(rest, fine)))
    evo = _engine(build_model(params, MPI.COMM_WORLD, "evolution"), params.evolution)
    p = evo.settings.stack_pressure

    def watch(rec, sol, j) -> None:
        heights = bottom_heights(evo)
        t = evo.body.touching_height(evo.size)
        points = evo.body.msh.geometry.x[np.unique(evo.bottom.nodes)][heights > t]
        above = np.unique(np.round(np.concatenate(evo.comm.allgather(points)) / ROUND_M),
                          axis=0)  # ghost nodes counted once
        xy, dp, share = excess(evo)
        on = share > 0
        top = int(np.argmax(np.abs(np.where(on, dp, 0.0))))
        after = evo.stress_excess  # taken from step k's flow before any smoothing
        row = {"t_s": rec.time, "voids": rec.void_count,
               "above_t": len(above),
               "highest_um": evo.comm.allreduce(float(np.max(heights, initial=0.0)),
                                                op=MPI.MAX) * UM_PER_M,
               "dp_max": float(np.max(np.abs(dp[on]), initial=0.0)) / p,
               "dp_median": float(np.median(np.abs(dp[on]))) / p,
               "dp_next": evo.comm.allreduce(float(np.max(np.abs(after), initial=0.0)),
                                             op=MPI.MAX) / p,
               "at_um": (xy[top] * UM_PER_M).round(2).tolist()}
        if evo.comm.rank == 0:
            print(json.dumps(row), flush=True)

    assert not evo.run(watch).failed


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else REST_S, "fine" in sys.argv[2:])
