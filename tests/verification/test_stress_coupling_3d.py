"""Stress-coupled kinetics of the coupled model in 3D cells (``evolution.stress_coupling``;
solver.physics.li_interface_pressure): U = −Ω Δp/F, f_i0 = exp((1 − αa) Ω Δp/RT) at the
interface nodes, Δp = p_h − p, p_h the Li's pressure interpolated over the plane (x, y).

* flat cell (``small_cell3d`` without its voids: 12 × 12 µm, 5 µm Li on 6 µm electrolyte,
  2 MPa, 1 mA/cm², 4 steps): the Li on a flat contact is at the stack pressure, so Δp = 0 at
  every interface node (1e-6 p; measured 7e-9) and the records are those of the uncoupled
  run and of the 2D run of the same flat cell (cell voltage to 1e-9 relative, measured
  8e-12 and 8e-12; time, contact fraction, Li stripped, collector recession and contact
  pressures to 1e-7, measured ≤ 1.7e-8, the largest contact pressure's);
* with the two quarter voids of ``small_cell3d`` (radius 5 µm, contact fraction 0.82), after
  two steps (the second's shift from the Li pressure after the first): Δp is finite and
  nonzero near the voids: its largest |Δp| on the contact, Δp = +0.81 p (the Li pressed
  harder beside a void, as in 2D), lies 1.5 µm outside a rim (asserted > 0.5 p, within
  2 µm: the mesh size at the void edges), falling to 0.10 p beyond 5 µm from the rims
  (asserted < half the largest); the coupled cell voltage of the second step is 1.1 % below
  the first's (asserted > 0.1 %; without the coupling it stays the same to the last bit,
  measured); ``mpirun -n 2`` gives serial's Δp (1e-9 of the largest; measured 7e-12) and
  records (1e-9 relative; measured 9e-13). Two 3D steps with voids: slow (~5 s of CPU
  serially, ~9 s of CPU for the two ranks).
"""

from __future__ import annotations

import numpy as np
import pytest

from lisse.units import FARADAY
from tests.helpers import print_numbers
from tests.verification.test_coupled_3d import run, small_cell3d

RADIUS_UM, SIDE_UM = 5.0, 12.0  # the quarter voids of small_cell3d at (0, 0) and (12, 12) µm
KEYS = ("time", "cell_voltage", "contact_fraction", "li_stripped", "collector_recession",
        "mean_contact_pressure", "max_contact_pressure")


def excess(evo) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x, y) [m], Δp [Pa] (from the kinetics shift: Δp = −F U/Ω) and the contact share of
    every interface node, gathered in (x, y) order (coordinates rounded to 1e-12 m)."""
    dp = -evo.cd.interface.shift[evo.nodes] * FARADAY / evo.params.electrode.molar_volume
    xy, dp, share = (np.concatenate(evo.comm.allgather(a))
                     for a in (evo.x[:, :2], dp, evo.contact_share()))
    key = np.round(xy / 1e-12)
    order = np.lexsort((key[:, 1], key[:, 0]))
    return xy[order], dp[order], share[order]


def flat(coupled: bool, dimension: str = "3d") -> dict:
    """The flat cell's records (KEYS) and, in 3D, the largest |Δp|/p at the end."""
    c = small_cell3d()
    c["geometry"]["voids"] = []
    c["evolution"]["stress_coupling"] = coupled
    if dimension == "plane":
        c["geometry"]["dimension"] = "plane"
        c["geometry"].pop("depth_um")
    evo, outcome = run(c)
    assert not outcome.failed
    out = {k: [getattr(r, k) for r in outcome.records] for k in KEYS}
    if dimension == "3d":
        out["dp"] = float(np.max(np.abs(excess(evo)[1]))) / evo.settings.stack_pressure
    return out


def voids_steps() -> dict:
    """Two steps of 0.04 s at 1 mA/cm² on ``small_cell3d`` with stress coupling: Δp [Pa], the
    contact share and (x, y) of the interface nodes, and the records (KEYS)."""
    c = small_cell3d()
    c["evolution"]["stress_coupling"] = True
    c["evolution"]["steps"][0]["capacity_mAh_cm2"] = 2e-5  # two steps
    evo, outcome = run(c)
    xy, dp, share = excess(evo)
    return {"xy": xy.tolist(), "dp": dp.tolist(), "share": share.tolist(),
            "p": evo.settings.stack_pressure,
            "records": {k: [getattr(r, k) for r in outcome.records] for k in KEYS}}


def _largest(a: dict, b: dict) -> float:
    return max(abs(x / y - 1) if y else abs(x) for k in KEYS
               for x, y in zip(a[k], b[k], strict=True))


@pytest.mark.slow
def test_3d_flat_stress_coupling_is_neutral(validation):
    """Flat 3D cell: Δp = 0 and the records of the uncoupled and the 2D run (module
    docstring)."""
    off, on, two = flat(False), flat(True), flat(True, "plane")
    assert on["dp"] < 1e-6
    assert len(on["time"]) == len(off["time"]) == len(two["time"]) > 2
    volts = max(abs(a / b - 1) for other in (off, two)
                for a, b in zip(on["cell_voltage"], other["cell_voltage"], strict=True))
    rest = max(_largest(on, off), _largest(on, two))
    validation.record("Coupled model 3D stress coupling, planar contact at 2 MPa",
                      "Δp = 0: records of the uncoupled and of the 2D run",
                      "closed form; 2D run", "Δp 1e-6 p; voltage 1e-9; records 1e-7",
                      f"Δp ≤ {on['dp']:.0e} p; voltage {volts:.0e}; records {rest:.0e}",
                      "3D 12 × 12 µm, no void, h = 4 µm", True)
    assert volts < 1e-9, volts
    assert rest < 1e-7, rest


@pytest.fixture(scope="module")
def voids() -> dict:
    return voids_steps()


@pytest.mark.slow
def test_3d_stress_shift_near_voids(voids):
    """With voids: Δp finite, largest on the contact near a rim, smaller far from the rims,
    and the coupled voltage moves (module docstring)."""
    xy, dp, share = (np.array(voids[k]) for k in ("xy", "dp", "share"))
    p, volts = voids["p"], voids["records"]["cell_voltage"]
    assert len(volts) == 2
    assert np.all(np.isfinite(dp)) and np.max(np.abs(dp)) < 10 * p
    on = share > 0
    rim = np.minimum(np.hypot(*xy.T), np.hypot(*(xy - SIDE_UM * 1e-6).T)) * 1e6 - RADIUS_UM
    near = np.abs(np.where(on, dp, 0.0))
    top = np.argmax(near)
    assert dp[top] > 0.5 * p and 0 <= rim[top] < 2.0, (dp[top] / p, rim[top])  # Li pressed
    assert np.max(near[rim > 5.0]) < 0.5 * near[top]
    assert abs(volts[1] / volts[0] - 1) > 1e-3


def main() -> None:
    """Under mpirun: ``voids_steps`` as JSON on rank 0."""
    print_numbers(voids_steps())


@pytest.mark.slow
def test_3d_stress_coupling_parallel_equals_serial(voids):
    """``mpirun -n 2``: serial's Δp at every interface node (1e-9 of the largest) and
    records (1e-9 relative)."""
    from tests.helpers import mpi_numbers

    parallel = mpi_numbers("tests.verification.test_stress_coupling_3d")
    np.testing.assert_allclose(parallel["xy"], voids["xy"], rtol=0, atol=1e-15)
    dp = np.array(voids["dp"])
    np.testing.assert_allclose(parallel["dp"], dp, rtol=0, atol=1e-9 * np.max(np.abs(dp)))
    for k in KEYS:
        np.testing.assert_allclose(parallel["records"][k], voids["records"][k], rtol=1e-9,
                                   atol=0)
