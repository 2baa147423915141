"""Solver honesty (issue 17 item 3): a Newton solve of the current distribution is a result
only when its residual (a nodal current imbalance) is below max(atol, rtol·I), I the cell
current; divergence, stagnation and tolerances below rounding are SolverErrors.

Potentiostatic runs at |V| ≥ 2 V used to "converge" to 10⁷–10⁷⁴ mA/cm² (the residual was
measured against a first residual of order exp(αF·V/RT)); on the planar cell of E1
(validation.md: φ is linear, so P1 is exact) the current they give must satisfy
V = jL/κ + η_w(j) − η_c(−j) to 1e-8 relative.
"""

from __future__ import annotations

import numpy as np
import pytest
from mpi4py import MPI

from lisse.solver.config.params import Kinetics, Numerics
from lisse.solver.errors import SolverError
from lisse.solver.fem.bordered import BorderedNewton
from lisse.solver.physics.current import CurrentDistribution
from lisse.solver.physics.kinetics import planar_cell_voltage
from tests.helpers import rectangle_domain

T = 298.15
KAPPA = 0.04  # S/m (0.4 mS/cm, LLZO)
L, W = 100e-6, 40e-6
# LLZO | Li, no film (a film caps the current at Δφ/R_f and hides the problem)
WORKING = Kinetics("butler_volmer", exchange_current_density=128.0, alpha_a=0.3, alpha_c=0.7)
COUNTER = Kinetics("butler_volmer", exchange_current_density=128.0)


@pytest.fixture(scope="module")
def cell():
    domain = rectangle_domain(MPI.COMM_WORLD, W, L, 6, 12)
    return CurrentDistribution(domain, KAPPA, WORKING, COUNTER, T, Numerics())


@pytest.mark.parametrize("voltage", [2.0, 5.0, -3.0, 10.0])
def test_potentiostatic_high_voltage_is_exact(cell, voltage):
    """|V| = 2..10 V: the planar current, not 10⁷ mA/cm² (ohmic bound |V|κ/L = 800-4000
    A/m² here)."""
    sol = cell.solve("potentiostatic", voltage)
    j = sol.current_density
    assert abs(j) < abs(voltage) * KAPPA / L  # kinetics only add resistance
    exact = planar_cell_voltage(j, L, KAPPA, WORKING, COUNTER, T)
    assert exact == pytest.approx(voltage, rel=1e-8)
    assert sol.newton_iterations <= 15


def _newton(cell, voltage=2.0, current=1.0, rtol=1e-10):
    cell.numerics = Numerics(newton_rtol=rtol)
    newton = BorderedNewton(cell, "potentiostatic", voltage)
    newton.current = current
    return newton


@pytest.mark.parametrize(("reason", "history", "words"), [
    (3, [1.0, np.nan], "diverged after 1 iterations (non-finite current"),
    (4, [1e3, 2e2, 1e2], "stagnated after 2 iterations (residual 1.0e+02 of the cell current"),
    (-6, [1e3, 5e2, 4e2], "did not converge after 2 iterations"),
    (-5, [1.0, 1e-9, 1.4e-13, 2e-13, 1.5e-13],
     "numerics.newton_rtol 1e-14 cannot be reached in double precision for this problem (the "
     "residual stalls at 1.5e-13 of the cell current); use >= 1e-11"),
])
def test_failures_are_errors(cell, reason, history, words):
    newton = _newton(cell, rtol=1e-14)
    with pytest.raises(SolverError, match=None) as info:
        newton.check(reason, len(history) - 1, np.array(history), atol=1e-30)
    assert words in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize(("reason", "history"), [
    (3, [1e6, 1e-11]),  # the residual below rtol·I
    (4, [1.0, 1e-3, 1e-9]),  # a step-size stop at rounding level (≤ 1e-6·I)
])
def test_converged_accepted(cell, reason, history):
    _newton(cell).check(reason, len(history) - 1, np.array(history), atol=1e-30)


def test_unfinished_solve_is_an_error(cell):
    """50 A/m² × 1000 with one Newton step allowed: an error, not a current."""
    cell.numerics = Numerics(newton_max_iterations=1)
    with pytest.raises(SolverError, match="did not converge after 1 iterations"):
        cell.solve("galvanostatic", 5e4)
    cell.numerics = Numerics()


@pytest.mark.slow
def test_potentiostatic_2v_mpi_equals_serial(tmp_path):
    """The tiny voided cell at 2 V (it "converged" to 3.1e7 mA/cm²): a physical current
    below the ohmic bound V·κ/L, the same under mpirun -n 2 to 1e-8."""
    import json

    import yaml

    from tests.helpers import run_lisse
    from tests.integration.test_hostile_inputs import TINY

    (tmp_path / "case.yaml").write_text(yaml.safe_dump(TINY))
    sets = ["--set", "protocol.mode=potentiostatic", "--set",
            "protocol.current_density_mA_cm2=null", "--set", "protocol.voltage_V=2"]
    currents = []
    for n in (1, 2):
        out = tmp_path / f"np{n}"
        proc = run_lisse(["run", "case.yaml", "-o", str(out), *sets], n=n, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        currents.append(json.loads((out / "summary.json").read_text())["current_density_A_m2"])
    ohmic = 2.0 * 0.04 / 40e-6  # V κ / L [A/m²], LLZO 0.4 mS/cm
    assert 0 < currents[0] < ohmic
    assert currents[1] == pytest.approx(currents[0], rel=1e-8)
