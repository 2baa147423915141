"""The mechanical contact fraction with a crack at the interface never exceeds 1 (issue 14).

An empty crack opening at the interface leaves the Li face over its mouth free: no
electrolyte lies under it, so it is neither contact nor a closing void roof. Before the fix
it was counted as closed roof (gap 0 ≤ 1 nm) while the interface area excluded the mouth:
contact fraction W/(W − m) = 1.0052 for a 0.1 µm crack in a 20 µm cell.
"""

from __future__ import annotations

import math

import pytest
from mpi4py import MPI

from lisse.solver.config.schema import resolve, validate_case
from lisse.solver.studies.model import build_model

WIDTH, OPENING, ANGLE = 20.0, 0.1, 15.0  # µm, µm, degrees


def _case(filling: str) -> dict:
    return {
        "name": f"crack_contact_{filling}",
        "geometry": {"width_um": WIDTH, "lithium_thickness_um": 5, "electrolyte_thickness_um": 20,
                     "mesh": {"size_um": 4.0, "interface_size_um": 1.0, "edge_size_um": 0.1}},
        "materials": {"electrolyte": "Li6PS5Cl"},
        "protocol": {"current_density_mA_cm2": -1.0},
        "microstructure": {"cracks": [{"start_um": 10, "length_um": 6, "angle_deg": ANGLE,
                                       "opening_um": OPENING, "filling": filling}]},
        "mechanics": {"enabled": True, "duration_s": 0, "li_model": "elastic",
                      "stack_pressure_MPa": 1.0},
        "output": {"plots": False},
    }


@pytest.mark.parametrize("filling", ["empty", "lithium"])
def test_contact_fraction_with_a_crack_at_most_one(filling, validation):
    model = build_model(resolve(validate_case(_case(filling))), MPI.COMM_WORLD, "steady")
    state = model.hold.state
    mouth = OPENING / math.cos(math.radians(ANGLE))  # crack width in the interface plane
    # vertical equilibrium: the load p·W is carried by the bonded area W − mouth
    expected_pressure = 1.0e6 * WIDTH / (WIDTH - mouth)
    passed = state.contact_fraction <= 1 + 1e-12
    if filling == "empty":
        validation.record(
            "Contact fraction with an empty crack at the interface",
            "≤ 1; mean contact pressure p·W/(W − mouth)", "issue 14", "1e-12; 1e-6 rel",
            f"{state.contact_fraction:.12f}; pressure ratio "
            f"{state.mean_contact_pressure / expected_pressure:.8f}",
            "edge 0.1 µm, P2 elastic", passed)
    assert state.contact_fraction == pytest.approx(1.0, abs=1e-12)
    assert state.closed_area == 0.0
    assert state.mean_contact_pressure == pytest.approx(expected_pressure, rel=1e-6)
