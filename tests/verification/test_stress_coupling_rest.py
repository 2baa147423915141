"""The stress shift at rest after a void's touchdown (issue 12; docs/moving_interface.md
"Stress coupling after the touchdown"): Δp = p_h − p (solver.physics.li_interface_pressure)
is the pressure of the Li's flow, and the Li is a memoryless power-law viscous body
(solver.physics.lithium_body: elastic strain neglected), so it holds no residual stress:
with no current and the whole Li bottom on the plane nothing drives a flow (v = 0 solves
the step) and the Li is at the stack pressure, q = p. Δp is therefore not a relaxing
residual but follows the flow:

* Δp = 0 (round-off; asserted ≤ 1e-9 p) in every step whose shift comes from a rest step
  that began with every Li bottom node on the plane (height ≤ 1e-12 of the cell size, the
  Li body's own test; measured: 2.9e-14 p plane strain, 1.7e-12 p axisymmetric, 3.5e-14 p
  3D), from the second rest step after the last node landed on;
* Δp ≠ 0 (asserted > 0.1 p) from a rest step in which a roof node was still coming down
  (measured: up to 0.86 p axisymmetric, the void touching down 1.8 s into the rest; 3D
  0.32–0.91 p while the last roof nodes close their last 3–7 nm, 2 to 31 s into the rest).

The cell is test_coupled_interface's axisymmetric one (40 × 10 µm Li on 40 µm electrolyte,
a void of radius 8 µm and height 2 µm on the axis, interface mesh 4 µm, 1 µm at the void
tips, 2 MPa) with the stress coupling, stripped at 1 mA/cm² for 0.36 s and held at rest for
30 s (~4 s; the plane cell's void lands while stripping, its rest is
test_stress_coupling_axisymmetric.py's
``test_stress_coupling_neutral_at_rest_after_the_void_closed``). 3D (marked long: ~90–140 s
wall, 40 s CPU): ``small_cell3d``
(test_coupled_3d.py: 12 × 12 µm, two quarter voids) through the same strip and a 600 s rest
(``scripts/stress_rest_3d.py`` prints the steps).
"""

from __future__ import annotations

import numpy as np
import pytest
from mpi4py import MPI

from lisse.units import FARADAY, SECONDS_PER_HOUR
from tests.verification.test_coupled_3d import small_cell3d
from tests.verification.test_coupled_interface import case

REST_S = 30.0
REST_3D_S = 600.0  # the last roof nodes land ~31 s into the rest, Δp = 0 from ~63 s
STRIP = {"current_density_mA_cm2": 1.0, "capacity_mAh_cm2": 0.0001}  # 0.36 s
ROUND_OFF = 1e-9  # of p: Δp at rest on a landed bottom
ACTING = 0.1  # of p: Δp from a rest step with a roof still coming down
ON_PLANE = 1e-12  # of the cell size: a node on the plane (LithiumBody.step's test)


def rest_case(dimension: str) -> dict:
    """The strip and the rest on the 2D void cell (``dimension`` plane or axisymmetric), or
    the small 3D cell ("3d"), stress-coupled."""
    if dimension == "3d":
        c, rest = small_cell3d(), REST_3D_S
        c["evolution"]["field_snapshots"] = 0
    else:
        c, rest = case(dimension), REST_S
    c["evolution"] |= {"stress_coupling": True, "steps": [
        STRIP, {"current_density_mA_cm2": 0.0, "duration_h": rest / SECONDS_PER_HOUR}]}
    return c


def rest_history(dimension: str) -> dict:
    """Per step k: the applied current, the Li bottom nodes above the plane at its start and
    the largest |Δp|/p on the contact of the NEXT step (the shift computed from step k's
    flow, read from the kinetics as test_stress_coupling_3d.excess does)."""
    from lisse.solver.config.schema import resolve, validate_case
    from lisse.solver.physics.li_follow import bottom_heights
    from lisse.solver.studies.evolution import _engine
    from lisse.solver.studies.model import build_model

    params = resolve(validate_case(rest_case(dimension)))
    evo = _engine(build_model(params, MPI.COMM_WORLD, "evolution"), params.evolution)
    p, omega = evo.settings.stack_pressure, evo.params.electrode.molar_volume

    def above() -> int:  # Li bottom nodes above the plane (the Li body's 1e-12 of the size)
        plane = ON_PLANE * evo.size
        return evo.comm.allreduce(int(np.sum(bottom_heights(evo) > plane)), op=MPI.SUM)

    starts, current, shift = [above()], [], []

    def watch(rec, sol, j) -> None:
        dp = -evo.cd.interface.shift[evo.nodes] * FARADAY / omega
        on = evo.contact_share() > 0
        shift.append(evo.comm.allreduce(float(np.max(np.abs(dp[on]), initial=0.0)),
                                        op=MPI.MAX) / p)
        current.append(rec.applied_current_density)
        starts.append(above())

    outcome = evo.run(watch)
    assert not outcome.failed
    return {"current": current, "above": starts[:-1], "next_dp": shift[1:],
            "voids": [r.void_count for r in outcome.records]}


@pytest.mark.parametrize("dimension", ["axisymmetric", pytest.param("3d", marks=pytest.mark.long)])
def test_stress_shift_at_rest_follows_the_flow(dimension, validation):
    """Δp = 0 after a rest step on a landed bottom, ≠ 0 while a roof comes down (module
    docstring)."""
    h = rest_history(dimension)
    rest = np.array(h["current"][:-1]) == 0.0  # step k at rest (its Δp is in step k + 1)
    landed = np.array(h["above"][:-1]) == 0
    dp = np.array(h["next_dp"])
    assert h["voids"][0] == (2 if dimension == "3d" else 1) and h["voids"][-1] == 0
    quiet = dp[rest & landed]
    assert quiet.size >= 3, quiet  # the law is tested on several steps
    validation.record(f"Coupled model stress coupling at rest after touchdown ({dimension})",
                      "Δp = 0 after a rest step on a landed Li bottom",
                      "memoryless creeping Li: no flow, q = p", f"{ROUND_OFF:.0e} p",
                      f"≤ {np.max(quiet):.0e} p ({quiet.size} steps)",
                      "3D 12 × 12 µm, two quarter voids, h = 4 µm" if dimension == "3d"
                      else f"{dimension}, 40 µm, void r = 8 µm, h = 4 µm",
                      bool(np.max(quiet) <= ROUND_OFF))
    assert np.max(quiet) <= ROUND_OFF
    closing = dp[rest & ~landed]  # the roofs land at rest
    assert closing.size and np.max(closing) > ACTING, closing
