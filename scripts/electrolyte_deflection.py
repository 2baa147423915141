"""How far the electrolyte surface under the Li contact deflects: the rigid-electrolyte
approximation of the coupled interface model measured on the void-growth map's cell
(``lisse.solver.studies.void_map.cell``: axisymmetric, 20 µm radius, 6 µm Li on 12 µm of
electrolyte, a 4 µm × 1 µm void on the axis) with ``evolution.electrolyte_mechanics: elastic``
(``solver.physics.electrolyte_elastic``; docs/moving_interface.md, "The electrolyte: rigid
against elastic").

Each point runs the map point (i, p) as ``void_map.run_point`` does (same stop rules) and
prints, over its records, the largest differential deflection max w − min w over the contact
[nm] (against the 1 nm contact tolerance and the 1 µm void height) and over the whole
interface (contact and void floor: the gap change the rigid plane leaves out), the largest
|Δw| between neighbouring interface nodes one in and one out of contact (the gap change a
two-way obstacle would make at the contact edge, where the contact band acts), the largest
electrolyte max principal stress [MPa], at the first record and overall, with the CPU time
(serial: the whole-interface range reads the rank's own nodes).

    .venv/bin/python scripts/electrolyte_deflection.py [--electrolytes Li6PS5Cl,LLZO]
        [--pressures 2,0.1] [--current 1.58] [--interface-um 2]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from mpi4py import MPI

import lisse  # noqa: F401  (DOLFINx wheel set-up)
from lisse.meshes.geometry import CELL_TAGS
from lisse.solver.config.schema import resolve, validate_case
from lisse.solver.studies.evolution import _engine
from lisse.solver.studies.model import build_model
from lisse.solver.studies.void_map import CLOSED, MAX_STEPS, cell
from lisse.units import NM_PER_M, PA_PER_MPA


def _sorted(x: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(x, kind="stable")
    return x[order], values[order]


def point(electrolyte: str, current: float, pressure: float, interface_um: float = 2.0) -> dict:
    """The deflection and stress numbers of one map point with the elastic electrolyte
    (``interface_um``: the map cell's interface mesh size, 2 µm in the map)."""
    case = cell(electrolyte, current, pressure, interface_um=interface_um)
    case["evolution"]["electrolyte_mechanics"] = "elastic"
    params = resolve(validate_case(case))
    cpu = time.process_time()
    evo = _engine(build_model(params, MPI.COMM_WORLD, "evolution"), params.evolution)

    whole = []  # max w − min w over the whole interface (contact and void floor) [m]
    edge = [0.0]  # largest |Δw| between neighbouring interface nodes in and out of contact [m]

    def pause(control, outcome) -> bool:
        response = evo.electrolyte.response  # of this record (serial: every node)
        w = response.deflection
        whole.append(float(w.max() - w.min()))
        order = np.argsort(response.x[:, 0])
        x, w = response.x[order, 0], w[order]
        touching = np.interp(x, *_sorted(evo.x[:, 0], evo.contact_share())) > 0
        change = touching[1:] != touching[:-1]
        edge.append(float(np.max(np.abs(np.diff(w))[change], initial=edge[-1])))
        return (outcome.records[-1].void_volume_per_area < CLOSED * evo.void0
                or len(outcome.records) >= MAX_STEPS)

    outcome = evo.run(pause=pause)
    records = outcome.records
    spread = np.array([r.interface_deflection_range for r in records]) * NM_PER_M
    stress = np.array([r.max_principal_stress_sse for r in records]) / PA_PER_MPA
    k = int(np.argmax(spread))
    material = evo.electrolyte.electrolyte.regions[CELL_TAGS["electrolyte"]]
    return {"electrolyte": electrolyte, "E_GPa": material.youngs_modulus / 1e9,
            "nu": material.poisson_ratio, "p_MPa": pressure, "i_mA_cm2": current,
            "records": len(records), "first_range_nm": spread[0],
            "max_range_nm": spread[k], "at_s": records[k].time,
            "contact_at_max": records[k].contact_fraction,
            "mean_contact_pressure_MPa_at_max": records[k].mean_contact_pressure / PA_PER_MPA,
            "first_sigma1_MPa": stress[0], "max_sigma1_MPa": stress.max(),
            "max_whole_range_nm": max(whole) * NM_PER_M,
            "max_edge_step_nm": edge[-1] * NM_PER_M,
            "final_contact": records[-1].contact_fraction,
            "end": outcome.failure_criterion or "capacity/stop",
            "cpu_s": time.process_time() - cpu}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--electrolytes", default="Li6PS5Cl,LLZO")
    parser.add_argument("--pressures", default="2,0.1")
    parser.add_argument("--current", type=float, default=1.58)
    parser.add_argument("--interface-um", type=float, default=2.0)
    args = parser.parse_args()
    for electrolyte in args.electrolytes.split(","):
        for pressure in (float(p) for p in args.pressures.split(",")):
            row = point(electrolyte, args.current, pressure, args.interface_um)
            if MPI.COMM_WORLD.rank == 0:
                print(", ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}"
                                for k, v in row.items()), flush=True)


if __name__ == "__main__":
    main()
