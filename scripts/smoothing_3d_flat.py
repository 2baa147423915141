"""The flat 3D cell with and without the Li mesh smoothing (solver/physics/li_smoothing_3d.py;
docs/moving_interface.md "Li mesh smoothing in 3D", docs/ccd_validation.md "In 3D cells"):
a measurement, not a test.

Cell: ``case_3d()`` of tests/verification/test_cavitation_coupled_3d.py (12 × 12 µm, 5 µm Li
on 6 µm electrolyte, no void, 2 MPa, interface mesh 4 µm).

* ``strip I Q [nosmooth]``: the cavity criterion off, stripped at I mA/cm² to Q mAh/cm²
  (``initial_s`` 1, ``max_gap_increment_um`` 0.25); prints (rank 0, JSON) the steps, end
  time, Li stripped [µm], collector recession [µm], largest E5, the relocations and the
  smallest quality (last, initial), the stop criterion, the step times and the CPU time.
  ``nosmooth``: ``CoupledEvolution3D.smoother_model = None`` (the code before the slice).
  ``voids``: instead the small cell with two quarter voids (``small_cell3d()`` of
  tests/verification/test_coupled_3d.py, its own time steps: 0.04 s, 0.5 µm increment).
  ``remesh=R``: ``evolution.remesh_quality`` R (default: the config's); adds the remeshings,
  the follow flag (``li_follow``) and the smallest step after the first remeshing.
* ``ccd Q``: the cavity criterion on (the test's pore law), the CCD search with Q mAh/cm²
  trials from 0.3 mA/cm² (rtol 0.05); prints the bracket, the trials and the closed forms:
  j_vac(p) and j*(Q), the current whose contact-loss time t_loss = ln((r − 0.1)/(r − 1))/κ
  (r = j/j_vac, κ = (Ω/F) j_vac/h_cover) equals the trial's duration Q/j (a trial above j*
  loses contact before it ends; j* → j_vac as Q grows).

    .venv/bin/python scripts/smoothing_3d_flat.py strip 0.3 0.5          (~5 s CPU)
    .venv/bin/mpirun -n 2 .venv/bin/python scripts/smoothing_3d_flat.py strip 0.3 0.5
    .venv/bin/python scripts/smoothing_3d_flat.py strip 0.3 0.5 voids    (~50 s CPU)
    .venv/bin/python scripts/smoothing_3d_flat.py strip 0.3 0.5 voids remesh=0.6
    .venv/bin/python scripts/smoothing_3d_flat.py ccd 0.2                (~7 s CPU)
"""

from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path

import lisse  # noqa: F401  (before dolfinx)

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mpi4py import MPI  # noqa: E402
from scipy.optimize import brentq  # noqa: E402

from lisse.solver.config.schema import resolve, validate_case  # noqa: E402
from lisse.solver.physics.coupled_3d import CoupledEvolution3D  # noqa: E402
from lisse.solver.studies.ccd import ccd_search  # noqa: E402
from lisse.solver.studies.evolution import _engine  # noqa: E402
from lisse.solver.studies.model import build_model  # noqa: E402
from lisse.units import A_M2_PER_MA_CM2, FARADAY, PA_PER_MPA  # noqa: E402
from tests.verification.test_cavitation_coupled_3d import PRESSURE_MPA, case_3d  # noqa: E402
from tests.verification.test_coupled_3d import small_cell3d  # noqa: E402


def strip(current: float, capacity: float, voids: bool, remesh: float | None) -> dict:
    c = small_cell3d() if voids else case_3d()
    ev = c["evolution"]
    if remesh is not None:
        ev["remesh_quality"] = remesh
    if not voids:
        ev.pop("vacancy")
        ev["time_step"] = {"max_gap_increment_um": 0.25, "initial_s": 1.0}
    ev["steps"] = [{"current_density_mA_cm2": current, "capacity_mAh_cm2": capacity}]
    params = resolve(validate_case(c))
    evo = _engine(build_model(params, MPI.COMM_WORLD, "evolution"), params.evolution)
    out = evo.run()
    r, smoother = out.records, evo.smoother
    return {"steps": len(r), "time_s": r[-1].time, "stripped_um": evo.stripped * 1e6,
            "recession_um": r[-1].collector_recession * 1e6,
            "e5_max": max(x.mass_balance_error for x in r),
            "min_contact": min(x.contact_fraction for x in r),
            "void_count_first_last": [r[0].void_count, r[-1].void_count],
            "smoothings": None if smoother is None else smoother.smoothings,
            "quality_last_initial": None if smoother is None else [smoother.last_quality,
                                                                   smoother.q0],
            "criterion": out.failure_criterion, "times": [x.time for x in r],
            "remeshes": evo.remeshes, "follow": evo.follow,
            "smallest_step_s": min((b.time - a.time for a, b in zip(r, r[1:], strict=False)),
                                   default=None)}


def ccd(capacity: float) -> dict:
    c = case_3d()
    c["evolution"]["ccd"] = {"capacity_mAh_cm2": capacity, "start_mA_cm2": 0.3, "rtol": 0.05}
    params = resolve(validate_case(c))
    omega, mA = params.electrode.molar_volume, A_M2_PER_MA_CM2
    j_vac = params.evolution.cavity.limit(PRESSURE_MPA * PA_PER_MPA, params.temperature, omega)
    kappa = omega / FARADAY * j_vac / params.evolution.pore_height
    charge = capacity * mA * 3600  # C/m²
    r = brentq(lambda r: math.log((r - 0.1) / (r - 1)) / kappa - charge / (r * j_vac),
               1 + 1e-12, 100)
    res = ccd_search(params, MPI.COMM_WORLD)
    return {"j_vac": j_vac / mA, "j_star": r * j_vac / mA,
            "bracket": [b / mA for b in res.bracket], "criterion": res.failure_criterion,
            "trials": [[t.current_density / mA, t.survived, t.failure_criterion, t.steps]
                       for t in res.trials]}


def main() -> None:
    kind = sys.argv[1]
    if "nosmooth" in sys.argv[2:]:
        CoupledEvolution3D.smoother_model = None
    cpu = time.process_time()
    remesh = [float(a.split("=")[1]) for a in sys.argv[4:] if a.startswith("remesh=")]
    out = (strip(float(sys.argv[2]), float(sys.argv[3]), "voids" in sys.argv[4:],
                 remesh[0] if remesh else None)
           if kind == "strip"
           else ccd(float(sys.argv[2])))
    out |= {"cpu_s": time.process_time() - cpu, "ranks": MPI.COMM_WORLD.size}
    if MPI.COMM_WORLD.rank == 0:
        print(json.dumps(out))


if __name__ == "__main__":
    main()
