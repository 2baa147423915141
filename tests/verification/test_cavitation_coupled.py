"""The cavity criterion in the coupled interface model (evolution.vacancy.nucleation: cavity;
solver.physics.cavitation, solver.physics.coupled_cavities; issue 13).

On a flat interface without voids the Li's contact pressure is the stack pressure p
everywhere, the current density is uniform and no pore grows below j_vac(p); above it the
pores cover the contact uniformly, and with the share u = 1 − h/h_cover (current density i/u
on the contact) the cover obeys h_cover u̇ = −(Ω/F)(i − u j_vac): a trial at i = j_vac(1 + ε)
loses contact (u = 0.1) after stripping (1 + ε) h_cover ln((0.9 + ε)/ε) of Li. Trials of
0.5 mAh/cm² (2.4 µm, 7.3 h_cover at r_p = 0.5 µm) fail for ε ≳ 1e-3, so the CCD search must
bracket j_vac(p) itself: [ccd, failing trial) ∋ j_vac(p).

Cells: TINY (40 µm plane cell, 10 µm of Li) without its void, interface mesh 4 µm;
ℓ_eff = 0.05 µm (j_vac = 0.32 and 0.65 mA/cm² at 1 and 4 MPa: a test value, not a
calibration), γ = 0.5 J/m², r_p = 0.5 µm (test values set in the case: what is checked here
does not depend on them; the library's values and the table are test_cavity_table.py).
"""

from __future__ import annotations

import copy
import json
import sys
from functools import cache

import pytest
from mpi4py import MPI

from lisse.units import A_M2_PER_MA_CM2, PA_PER_MPA
from tests.helpers import TINY

ELL_UM = 0.05
STRIP = (2.0, 0.6, 0.1)  # the pore-growth run: MPa, mA/cm², mAh/cm² (above j_vac = 0.43)


def case(pressure_mpa: float, current=0.6, capacity=0.1) -> dict:
    c = copy.deepcopy(TINY)
    c["geometry"]["mesh"] |= {"interface_size_um": 4, "edge_size_um": 1}
    c["geometry"]["voids"] = []
    c["evolution"] = {
        "interface_model": "coupled", "stack_pressure_MPa": pressure_mpa,
        "vacancy": {"nucleation": "cavity", "diffusion_length_um": ELL_UM,
                    "pore_radius_um": 0.5, "surface_energy_J_m2": 0.5},
        "steps": [{"current_density_mA_cm2": current, "capacity_mAh_cm2": capacity}],
        "time_step": {"max_gap_increment_um": 0.1},
        "ccd": {"capacity_mAh_cm2": 0.5, "start_mA_cm2": 0.3, "rtol": 0.05}}
    return c


def _params(c: dict):
    from lisse.solver.config.schema import resolve, validate_case

    return resolve(validate_case(c))


@cache
def flat_ccd(pressure_mpa: float):
    """(CcdResult, j_vac(p) [A/m²]) of the flat cell."""
    from lisse.solver.studies.ccd import ccd_search

    params = _params(case(pressure_mpa))
    limit = params.evolution.cavity.limit(pressure_mpa * PA_PER_MPA, params.temperature,
                                          params.electrode.molar_volume)
    return ccd_search(params, MPI.COMM_WORLD), limit


@pytest.mark.parametrize("pressure_mpa", [1.0, 4.0])
def test_flat_ccd_is_the_vacancy_limit(pressure_mpa, validation):
    """The coupled CCD of a flat interface brackets the closed form j_vac(p), ended by
    contact loss (an interface failure), at 1 and 4 MPa."""
    result, limit = flat_ccd(pressure_mpa)
    low, high = result.bracket
    ok = low <= limit < high and result.interface_failure
    mA = A_M2_PER_MA_CM2
    validation.record(
        f"Coupled CCD, flat interface, cavity criterion, {pressure_mpa:g} MPa",
        f"j_vac(p) = {limit / mA:.4g} mA/cm² (closed form)", "solver.physics.cavitation",
        "inside the search bracket (rtol 0.05)",
        f"[{low / mA:.4g}, {high / mA:.4g}) mA/cm²", "TINY without void, interface 4 µm", ok)
    assert result.failure_criterion == "contact_loss"
    assert ok, (result.bracket, limit)


def strip_numbers() -> dict:
    """The pore-growth run (``STRIP``): E5, contact fraction, pore content, void volume."""
    from lisse.solver.studies.evolution import _engine
    from lisse.solver.studies.model import build_model

    params = _params(case(STRIP[0], STRIP[1], STRIP[2]))
    evo = _engine(build_model(params, MPI.COMM_WORLD, "evolution"), params.evolution)
    outcome = evo.run()
    last = outcome.records[-1]
    return {"worst": max(r.mass_balance_error for r in outcome.records),
            "contact": last.contact_fraction, "pores": evo._mean(evo.pores),
            "void": last.void_volume_per_area, "stripped": evo.stripped,
            "steps": len(outcome.records), "failed": outcome.failed,
            "cover": params.evolution.pore_height}


@pytest.fixture(scope="module")
def strip_run() -> dict:
    return strip_numbers()


def test_e5_with_pore_growth(strip_run, validation):
    """E5 through a strip at 0.6 mA/cm² > j_vac(2 MPa) = 0.43 mA/cm² (0.1 mAh/cm²): the
    Li volume falls by (Ω/F)∫ i dt within 0.5 % while the pores cover more than half of
    the contact; the pores (the whole void volume of the flat cell) hold less Li than was
    stripped, and the contact fraction is 1 − h/h_cover."""
    r = strip_run
    ok = r["worst"] < 5e-3
    validation.record("Coupled model E5 with sub-grid vacancy pores (cavity criterion)",
                      "ΔV_Li = (Ω/F)∫ i A dt", "validation.md E5", "0.5 %",
                      f"{r['worst']:.1e}", "TINY without void, 2 MPa", ok)
    assert ok
    assert not r["failed"] and r["contact"] < 0.5
    assert 0 < r["pores"] < r["stripped"]
    assert r["void"] == pytest.approx(r["pores"], rel=1e-9)
    assert r["contact"] == pytest.approx(1 - r["pores"] / r["cover"], abs=1e-9)


def main() -> None:
    """Under mpirun: print the pore-growth run's numbers as JSON on rank 0."""
    numbers = strip_numbers()
    if MPI.COMM_WORLD.rank == 0:
        print(json.dumps(numbers))


@pytest.mark.slow
def test_parallel_equals_serial(strip_run):
    """The pore-growth run under mpirun -n 2 gives the serial numbers (same steps; contact
    fraction, pore content to 1e-9 relative)."""
    from tests.helpers import run_mpi

    script = ("import lisse; from tests.verification.test_cavitation_coupled import main; "
              "main()")
    proc = run_mpi([sys.executable, "-c", script])
    assert proc.returncode == 0, proc.stderr
    parallel = json.loads(proc.stdout.strip().splitlines()[-1])
    assert parallel["steps"] == strip_run["steps"]
    assert parallel["worst"] < 5e-3
    for key in ("contact", "pores", "void"):
        assert parallel[key] == pytest.approx(strip_run[key], rel=1e-9), key
