"""Scalar observables of a current distribution: cell voltage, area-specific resistances,
contact fraction and current hotspots. Pure post-processing; MPI-collective."""

from __future__ import annotations

import numpy as np

from lisse.solver.config.params import Resolved
from lisse.solver.physics.current import CurrentSolution
from lisse.solver.physics.kinetics import planar_cell_voltage
from lisse.units import A_M2_PER_MA_CM2, OHM_CM2_PER_OHM_M2, UM_PER_M


def interface_profile(sol: CurrentSolution, comm) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All interface nodes gathered on every rank: coordinates [m], local current density
    [A/m²] and contact flag, sorted by position."""
    x = np.concatenate(comm.allgather(sol.nodes_x))
    j = np.concatenate(comm.allgather(sol.nodes_j))
    contact = np.concatenate(comm.allgather(sol.nodes_contact))
    order = np.lexsort(tuple(x[:, k] for k in reversed(range(x.shape[1]))))
    return x[order], j[order], contact[order]


def summary(sol: CurrentSolution, params: Resolved, comm) -> dict:
    """The headline numbers of a run (``summary.json``), SI units named in the keys.

    asr_constriction is the extra area-specific resistance against the same cell in full
    contact at the same mean current density, whose voltage is exact (validation E1):
    ASR_c = (V − V_full(j)) / j.
    """
    j = sol.current_density
    v_full = planar_cell_voltage(j, params.geometry.electrolyte_thickness,
                                 params.electrolyte.ionic_conductivity, params.working,
                                 params.counter, params.temperature)
    x, jl, contact = interface_profile(sol, comm)
    mean_contact = sol.current / sol.contact_area
    k = int(np.argmax(np.where(contact, jl * np.sign(j or 1.0), -np.inf)))
    gdim = params.geometry.gdim
    return {
        "cell_voltage_V": sol.cell_voltage,
        "current_density_A_m2": j,
        "current_density_mA_cm2": j / A_M2_PER_MA_CM2,
        "asr_total_ohm_cm2": sol.cell_voltage / j * OHM_CM2_PER_OHM_M2,
        "asr_full_contact_ohm_cm2": v_full / j * OHM_CM2_PER_OHM_M2,
        "asr_constriction_ohm_cm2": (sol.cell_voltage - v_full) / j * OHM_CM2_PER_OHM_M2,
        "contact_fraction": sol.contact_area / sol.interface_area,
        "mean_contact_current_density_A_m2": mean_contact,
        "max_interface_current_density_A_m2": float(jl[k]),
        "hotspot_factor": float(jl[k] / mean_contact),
        "hotspot_location_um": [round(float(c) * UM_PER_M, 6) + 0.0 for c in x[k, :gdim]],
        "newton_iterations": sol.newton_iterations,
        "krylov_iterations": sol.krylov_iterations,
    }
