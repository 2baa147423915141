"""The cavity criterion (sub-grid pores, solver.physics.coupled_cavities) in 3D coupled cells,
with the contact pressure from the 3D transfer (solver.physics.contact_transfer_3d).

Flat cell (no void): 12 × 12 µm, 5 µm of Li on 6 µm of electrolyte (mesh 6 µm, interface
4 µm), 2 MPa, ℓ_eff = 0.05 µm, r_p = 0.5 µm, γ = 0.5 J/m² (the test values of
test_cavitation_coupled.py: j_vac(2 MPa) = 0.433 mA/cm²), stripped at i = 5 j_vac until the
contact is lost. The pores cover the contact uniformly and the share u = 1 − h/h_cover obeys
h_cover u̇ = −(Ω/F)(i − u j_vac): u = r − (r − 1) e^{κt}, r = i/j_vac, κ = (Ω/F) j_vac/h_cover,
and the contact fraction reaches 0.1 (contact_loss) at t_loss = ln((r − 0.1)/(r − 1))/κ
= 116.0 s. Checked:

* the transferred contact pressure is the stack pressure at every node (1e-10) and carries
  the Li's contact force (1e-12);
* the loss time (the linear interpolation of the records' contact fraction to 0.1) is the
  closed form's within 2 %: the explicit pore update is late by ≈ PORE_STEP/2 = 1 %
  (coupled_cavities; measured +0.95 %);
* every record (time, contact fraction, pore content) is that of the 2D run of the same flat
  cell (TINY without void) to 1e-9 relative (measured 3.5e-12): same steps, same loss;
* ``mpirun -n 2`` gives serial's records (1e-9; measured 3e-13), and with voids serial's
  λ_k (1e-9 of the largest; measured 1.5e-12).

The voids step runs with ``evolution.electrolyte_mechanics: elastic`` (one-way: its λ_k are
those of the rigid electrolyte) and also checks the 3D elastic electrolyte on it
(tests/verification/test_electrolyte_elastic_3d.py, (2)), so that one Li step serves both.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from mpi4py import MPI

from lisse.units import A_M2_PER_MA_CM2, FARADAY, PA_PER_MPA
from tests.helpers import print_numbers
from tests.verification.test_cavitation_coupled import ELL_UM
from tests.verification.test_cavitation_coupled import case as case2d
from tests.verification.test_coupled_3d import case3d, small_cell3d
from tests.verification.test_electrolyte_elastic_3d import (
    check_parallel,
    check_voids,
    elastic_numbers,
)

PRESSURE_MPA = 2.0
RATIO = 5.0  # i / j_vac: 11 steps of κΔt ≤ PORE_STEP to the loss
J_VAC = 4.3282350613352794  # A/m² at 2 MPa (asserted against the criterion below)
VACANCY = {"nucleation": "cavity", "diffusion_length_um": ELL_UM, "pore_radius_um": 0.5,
           "surface_energy_J_m2": 0.5}


def _strip(c: dict) -> dict:
    """The strip at RATIO j_vac to three times the loss time, from 5.7 s steps."""
    i = RATIO * J_VAC / A_M2_PER_MA_CM2
    ev = c["evolution"]
    ev["steps"] = [{"current_density_mA_cm2": i, "capacity_mAh_cm2": i * 350 / 3600}]
    ev["time_step"] = {"max_gap_increment_um": 0.25, "initial_s": 5.7}
    return c


def flat_case_3d(pressure_mpa: float) -> dict:
    """The flat 3D cell of the module docstring with the cavity criterion at
    ``pressure_mpa`` (case3d's protocol; also test_pore_healing.py's 3D cell)."""
    c = case3d()
    c["geometry"] |= {"width_um": 12, "depth_um": 12, "lithium_thickness_um": 5,
                      "electrolyte_thickness_um": 6}
    c["evolution"].pop("supply")
    c["evolution"] |= {"vacancy": VACANCY, "stack_pressure_MPa": pressure_mpa}
    return c


def case_3d() -> dict:
    return _strip(flat_case_3d(PRESSURE_MPA))


def case_2d() -> dict:
    c = case2d(PRESSURE_MPA)
    c["evolution"].pop("ccd")
    return _strip(c)


def numbers(c: dict) -> dict:
    """The run's records and, at its end, the transferred contact pressure's spread and
    its force against the Li's."""
    from lisse.solver.config.schema import resolve, validate_case
    from lisse.solver.physics.coupled_cavities import SubgridPores
    from lisse.solver.studies.evolution import _engine
    from lisse.solver.studies.model import build_model

    params = resolve(validate_case(c))
    evo = _engine(build_model(params, MPI.COMM_WORLD, "evolution"), params.evolution)
    outcome = evo.run()
    lam = SubgridPores.contact_pressure(evo)
    spread = evo._max(np.abs(lam / (PRESSURE_MPA * PA_PER_MPA) - 1))
    force = evo.comm.allreduce(float(lam @ evo.weights)) / evo.last.contact_force
    r = outcome.records
    return {"time": [x.time for x in r], "contact": [x.contact_fraction for x in r],
            "void": [x.void_volume_per_area for x in r], "failed": outcome.failed,
            "criterion": outcome.failure_criterion, "spread": spread, "force": force}


@pytest.fixture(scope="module")
def flat3d() -> dict:
    return numbers(case_3d())


def loss_time(run: dict) -> float:
    """Time [s] at which the records' contact fraction falls to 0.1 (linear in between)."""
    t, u = run["time"][-2:], run["contact"][-2:]
    assert u[0] >= 0.1 > u[1]
    return t[0] + (u[0] - 0.1) / (u[0] - u[1]) * (t[1] - t[0])


@pytest.mark.slow
def test_3d_flat_pore_loss_matches_closed_form_and_2d(flat3d, validation):
    from lisse.solver.config.schema import resolve, validate_case
    from lisse.solver.studies.model import check_supported

    params = resolve(validate_case(case_3d()))
    for kind in ("evolution", "ccd"):  # no longer refused in 3D cells
        check_supported(params, kind)
    omega, cover = params.electrode.molar_volume, params.evolution.pore_height
    j_vac = params.evolution.cavity.limit(PRESSURE_MPA * PA_PER_MPA, params.temperature, omega)
    assert j_vac == pytest.approx(J_VAC, rel=1e-12)
    kappa = omega / FARADAY * j_vac / cover
    closed = math.log((RATIO - 0.1) / (RATIO - 1)) / kappa
    run = flat3d
    assert run["failed"] and run["criterion"] == "contact_loss"
    assert run["spread"] < 1e-10 and abs(run["force"] - 1) < 1e-12
    ratio = loss_time(run) / closed
    two = numbers(case_2d())
    assert len(two["time"]) == len(run["time"])
    diff = max(abs(a / b - 1) for key in ("time", "contact", "void")
               for a, b in zip(run[key], two[key], strict=True) if b != 0)
    ok = abs(ratio - 1) < 0.02 and diff < 1e-9
    validation.record("Coupled model 3D, cavity criterion: flat contact loss at 5 j_vac, 2 MPa",
                      f"t_loss = ln((r − 0.1)/(r − 1))/κ = {closed:.4g} s (closed form); the 2D "
                      "run of the same flat cell", "solver.physics.coupled_cavities", "2 %; 1e-9",
                      f"{loss_time(run):.4g} s ({ratio - 1:+.2%}); 2D records to {diff:.0e}",
                      "3D 12 × 12 µm, no void, interface 4 µm", ok)
    assert abs(ratio - 1) < 0.02, ratio
    assert diff < 1e-9, diff


def voids_step() -> dict:
    """One 0.04 s step at 1 mA/cm² with the cavity criterion on the small 3D cell with two
    quarter voids (``small_cell3d``): the transferred λ_k [Pa] at all interface nodes in
    (x, y) order (coordinates rounded to 1e-12 m: the ranks' round-off must not reorder
    them), their force against the Li's, the void count and the records; with the elastic
    electrolyte on (one-way), its numbers (test_electrolyte_elastic_3d.elastic_numbers)."""
    from lisse.solver.config.schema import resolve, validate_case
    from lisse.solver.physics.coupled_cavities import SubgridPores
    from lisse.solver.studies.evolution import _engine
    from lisse.solver.studies.model import build_model

    c = small_cell3d()
    c["evolution"].pop("supply")
    c["evolution"]["vacancy"] = VACANCY
    c["evolution"]["steps"][0]["capacity_mAh_cm2"] = 1e-5  # one step
    c["evolution"]["electrolyte_mechanics"] = "elastic"  # one-way: λ_k unchanged
    params = resolve(validate_case(c))
    evo = _engine(build_model(params, MPI.COMM_WORLD, "evolution"), params.evolution)
    records = evo.run().records
    lam = SubgridPores.contact_pressure(evo)
    force = evo.comm.allreduce(float(lam @ evo.weights)) / evo.last.contact_force
    xy = np.concatenate(evo.comm.allgather(evo.x[:, :2]))
    key = np.round(xy / 1e-12)
    order = np.lexsort((key[:, 1], key[:, 0]))
    return {"lam": np.concatenate(evo.comm.allgather(lam))[order].tolist(),
            "xy": xy[order].tolist(), "force": force, "voids": evo.void_count(),
            "steps": len(records), "elastic": elastic_numbers(evo)}


@pytest.fixture(scope="module")
def voids() -> dict:
    return voids_step()


@pytest.mark.slow
def test_3d_transfer_with_voids_carries_the_contact_force(voids):
    """On the small 3D cell with two quarter voids after one step (``voids_step``), the
    transferred λ_k carry the Li's contact force to 1e-12 (measured 0 to 4e-16), are ≥ 0, vanish
    at the voids' centres and exceed p at their rims (measured max 1.54 p; contact fraction
    0.82)."""
    assert voids["steps"] == 1 and voids["voids"] == 2
    assert abs(voids["force"] - 1) < 1e-12
    lam, xy = np.array(voids["lam"]), np.array(voids["xy"])
    assert lam.min() == 0.0
    centres = np.all(np.isclose(xy, 0, atol=1e-12) | np.isclose(xy, 12e-6, atol=1e-12), axis=1)
    centres &= np.isclose(xy[:, 0], xy[:, 1], atol=1e-12)  # the corners (0, 0) and (12, 12) µm
    assert centres.sum() == 2 and np.all(lam[centres] == 0)
    assert lam.max() > 1.2 * PRESSURE_MPA * PA_PER_MPA


@pytest.mark.slow
def test_3d_elastic_electrolyte_with_voids(voids, validation):
    """The elastic electrolyte loaded by that step's Li (test_electrolyte_elastic_3d.py, (2)):
    force balance, p_k = λ_k, tension under the voids."""
    check_voids(voids["elastic"], np.array(voids["lam"]), validation)


def main() -> None:
    """Under mpirun: the flat 3D run's numbers and the voids step's as JSON on rank 0 (two
    models in one process: ``build_model`` releases the first one's PETSc objects on both
    ranks at once, ``fem.linear.release_unreferenced``; without it the second build hung)."""
    flat = numbers(case_3d())
    print_numbers({"flat": flat, "voids": voids_step()})


@pytest.mark.slow
def test_3d_pores_parallel_equals_serial(flat3d, voids):
    """``mpirun -n 2``: the flat run's records and the voids step's λ_k are serial's (1e-9
    relative; λ_k to 1e-9 of the largest: measured 3e-13 and 1.5e-12), and so are its
    elastic electrolyte's p_k, deflections and σ_1 (test_electrolyte_elastic_3d.py)."""
    from tests.helpers import mpi_numbers

    parallel = mpi_numbers("tests.verification.test_cavitation_coupled_3d")
    flat = parallel["flat"]
    assert len(flat["time"]) == len(flat3d["time"]) and flat["criterion"] == "contact_loss"
    for key in ("time", "contact", "void"):
        np.testing.assert_allclose(flat[key], flat3d[key], rtol=1e-9, atol=0)
    lam = np.array(voids["lam"])
    np.testing.assert_allclose(parallel["voids"]["lam"], lam, rtol=0, atol=1e-9 * lam.max())
    np.testing.assert_allclose(parallel["voids"]["xy"], voids["xy"], rtol=0, atol=1e-15)
    check_parallel(parallel["voids"]["elastic"], voids["elastic"])  # the elastic electrolyte
