"""Li bookkeeping (validation E5) of a 3D coupled run per step, with and without the volume
correction through the collector face (solver/physics/coupled_3d.py; docs/moving_interface.md,
"The coupled model in 3D cells"): a measurement, not a test.

Cases (tests/verification/test_coupled_3d.py): ``big``, the 20 × 20 µm cell, 8 µm Li on
10 µm electrolyte, one quarter void of radius 8 µm and height 2 µm, stripping 0.002 mAh/cm²
at 1 mA/cm² with a 0.5 µm gap increment; ``small``, ``small_cell3d()`` (12 × 12 µm, two
quarter voids), stripping 0.0001 mAh/cm² at 1 mA/cm². Each is run twice: with the
correction (the code as it is) and without it (``_conserve`` replaced by a no-op). Per step
it prints the time, Δt, the step's volume defect of the run without the correction
((V_start − V_end)/A − (Ω/F) i Δt over the step's throughput (Ω/F)|i|Δt), E5 (the
cumulative ``mass_balance_error``) of both runs, the correction δ [m] and the largest node
motion of the step [m]; then the largest differences between the two runs' contact
histories (contact fraction, largest gap, mean contact pressure, void count) and the CPU
time of each run.

    .venv/bin/python scripts/li_bookkeeping_3d.py [big|small]   (default big; ~35 s CPU each)
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

import lisse  # noqa: F401  (before dolfinx)

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mpi4py import MPI  # noqa: E402

from lisse.solver.config.schema import resolve, validate_case  # noqa: E402
from lisse.solver.studies.evolution import _engine  # noqa: E402
from lisse.solver.studies.model import build_model  # noqa: E402
from lisse.units import FARADAY  # noqa: E402
from tests.verification.test_coupled_3d import case3d, small_cell3d  # noqa: E402

HISTORY = ("contact_fraction", "max_gap", "mean_contact_pressure", "void_count")


def measure(case: dict, correct: bool):
    """(per-step rows (t, Δt, step defect, E5, δ, motion), records, CPU s) of one run."""
    start = time.process_time()
    params = resolve(validate_case(case))
    evo = _engine(build_model(params, MPI.COMM_WORLD, "evolution"), params.evolution)
    if not correct:
        evo._conserve = lambda target: setattr(evo, "volume_correction", 0.0)
    rows, advance = [], evo.advance

    def step(applied, dt):
        v0, x0 = evo.body.volume(), evo.body.msh.geometry.x.copy()
        dt, sol, j = advance(applied, dt)
        throughput = params.electrode.molar_volume / FARADAY * applied * dt
        defect = (v0 - evo.body.volume()) / evo.area - throughput
        motion = float(np.max(np.abs(evo.body.msh.geometry.x - x0)))
        rows.append([evo.time, dt, defect / abs(throughput) if throughput else defect,
                     0.0, evo.volume_correction, motion])
        return dt, sol, j

    evo.advance = step
    records = evo.run().records
    for row, rec in zip(rows, records, strict=True):
        row[3] = rec.mass_balance_error
    return np.array(rows), records, time.process_time() - start


def main(which: str = "big") -> None:
    case = small_cell3d() if which == "small" else case3d(voids=[(0, 0)], increment_um=0.5)
    fixed, rec_fixed, cpu_fixed = measure(case, True)
    raw, rec_raw, cpu_raw = measure(case, False)
    print(f"{which}: {len(fixed)} steps (with) / {len(raw)} (without); CPU {cpu_fixed:.1f} s"
          f" / {cpu_raw:.1f} s")
    print("t (s)    dt (s)   defect/step (without)  E5 without  E5 with    δ (m)      motion (m)")
    for a, b in zip(fixed, raw, strict=False):
        print(f"{a[0]:<8.4g} {a[1]:<8.3g} {b[2]:<+22.2e} {b[3]:<11.2e} {a[3]:<10.2e} "
              f"{a[4]:<+10.2e} {a[5]:.2e}")
    if len(rec_fixed) == len(rec_raw):
        for name in HISTORY:
            x = np.array([getattr(r, name) for r in rec_fixed], dtype=float)
            y = np.array([getattr(r, name) for r in rec_raw], dtype=float)
            print(f"{name}: largest difference {np.max(np.abs(x - y)):.2e} "
                  f"(relative {np.max(np.abs(x - y) / np.maximum(np.abs(y), 1e-300)):.2e})")


if __name__ == "__main__":
    main(*sys.argv[1:])
