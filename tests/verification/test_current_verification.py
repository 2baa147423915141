"""Verification of the current-distribution solver against exact solutions.

E1: planar cell with two Butler–Volmer interfaces (../shared/validation.md): the discrete
solution is exact (φ linear in y), so the voltage matches to 1e-8 relative.
MMS: a manufactured solution with a nonlinear Butler–Volmer contact converges at second
order in L2 (P1 elements), plane and axisymmetric.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest
import ufl
from dolfinx import fem
from mpi4py import MPI

from lisse.solver.config.params import FARADAY, GAS_CONSTANT, Kinetics, Numerics
from lisse.solver.physics.current import CurrentDistribution
from lisse.solver.physics.kinetics import planar_cell_voltage
from tests.helpers import rectangle_domain, run_mpi

T = 298.15
KAPPA = 0.04  # S/m (0.4 mS/cm, LLZO)
L, W = 100e-6, 40e-6

WORKING = Kinetics("butler_volmer", exchange_current_density=5.0, alpha_a=0.3, alpha_c=0.7,
                   film_resistance=2e-4)
COUNTER = Kinetics("butler_volmer", exchange_current_density=20.0)


@pytest.mark.parametrize("axisymmetric", [False, True])
@pytest.mark.parametrize("solver_kind", ["direct", "iterative"])
def test_e1_planar_cell_voltage(axisymmetric, solver_kind, validation):
    domain = rectangle_domain(MPI.COMM_WORLD, W, L, 6, 12, axisymmetric)
    cd = CurrentDistribution(domain, KAPPA, WORKING, COUNTER, T,
                             Numerics(linear_solver=solver_kind))
    for j in (10.0, -25.0, 500.0):  # A/m²: 1, -2.5 and 50 mA/cm²
        sol = cd.solve("galvanostatic", j)
        exact = planar_cell_voltage(j, L, KAPPA, WORKING, COUNTER, T)
        err = abs(sol.cell_voltage / exact - 1)
        assert err < 1e-8, (j, sol.cell_voltage, exact)
        assert sol.current_density == pytest.approx(j, rel=1e-9)
    validation.record(f"E1 planar BV cell ({'axi' if axisymmetric else 'plane'}, "
                      f"{solver_kind})", "V = jL/κ + η_w(j) − η_c(−j)", "validation.md E1",
                      "1e-8 rel", f"{err:.1e} rel at 50 mA/cm²", "6×12 P1", err < 1e-8)


def test_e1_potentiostatic_inverts_galvanostatic():
    domain = rectangle_domain(MPI.COMM_WORLD, W, L, 4, 8)
    cd = CurrentDistribution(domain, KAPPA, WORKING, COUNTER, T, Numerics())
    voltage = planar_cell_voltage(30.0, L, KAPPA, WORKING, COUNTER, T)
    sol = cd.solve("potentiostatic", voltage)
    assert sol.current_density == pytest.approx(30.0, rel=1e-8)


def test_e1_symmetric_overpotential_formula():
    """For αa = αc = 1/2 the overpotential is (2RT/F) asinh(j / 2 i0)."""
    kin = Kinetics("butler_volmer", exchange_current_density=3.0)
    ideal = Kinetics("ideal")
    j = 40.0
    expected = j * L / KAPPA + 2 * GAS_CONSTANT * T / FARADAY * np.arcsinh(j / 6.0)
    assert planar_cell_voltage(j, L, KAPPA, kin, ideal, T) == pytest.approx(expected,
                                                                             rel=1e-12)
    domain = rectangle_domain(MPI.COMM_WORLD, W, L, 4, 8)
    sol = CurrentDistribution(domain, KAPPA, kin, ideal, T, Numerics()).solve(
        "galvanostatic", j)
    assert sol.cell_voltage == pytest.approx(expected, rel=1e-8)


def _mms_error(n: int, axisymmetric: bool) -> float:
    """L2 error of a manufactured solution on the unit square (non-dimensional units)."""
    domain = rectangle_domain(MPI.COMM_WORLD, 1.0, 1.0, n, n, axisymmetric, "crossed")
    msh = domain.mesh
    x = ufl.SpatialCoordinate(msh)
    kappa, i0, voltage = 1.0, 1.0, 0.1
    f = FARADAY / (GAS_CONSTANT * T)
    phi_exact = 0.05 * (x[1] + 1.0) * (1.0 + 0.5 * ufl.cos(ufl.pi * x[0])) \
        * ufl.exp(0.5 * x[1])
    wr = domain.radius_weight
    v = ufl.TestFunction(fem.functionspace(msh, ("Lagrange", 1)))
    flux_exact = kappa * phi_exact.dx(1)  # κ ∂φ/∂n on the top face (n = +y)
    bv = 2 * i0 * ufl.sinh(0.5 * f * (voltage - phi_exact))
    ds = domain.ds()
    source = (-ufl.div(wr * kappa * ufl.grad(phi_exact)) * v * ufl.dx
              + (flux_exact - bv) * v * wr * ds(11))
    kin = Kinetics("butler_volmer", exchange_current_density=i0)
    cd = CurrentDistribution(domain, kappa, kin, Kinetics("ideal"), T,
                             Numerics(linear_solver="direct"), source=source)
    sol = cd.solve("potentiostatic", voltage)
    err = fem.assemble_scalar(fem.form((sol.potential - phi_exact) ** 2 * wr * ufl.dx))
    return float(np.sqrt(msh.comm.allreduce(err)))


@pytest.mark.parametrize("axisymmetric", [False, True])
def test_mms_second_order_convergence(axisymmetric, validation):
    sizes = [8, 16, 32, 64]
    errors = [_mms_error(n, axisymmetric) for n in sizes]
    rates = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    assert np.all(rates > 1.9), (errors, rates)
    validation.record(f"MMS BV contact ({'axi' if axisymmetric else 'plane'})",
                      "L2 error order 2 (P1)", "manufactured solution", "rate > 1.9",
                      ", ".join(f"{r:.2f}" for r in rates), "8–64 crossed", True)


MPI_SCRIPT = """
import lisse
import sys

import numpy as np
from mpi4py import MPI
from tests.helpers import rectangle_domain
from tests.verification.test_current_verification import WORKING, COUNTER, KAPPA, L, W, T
from lisse.solver.physics.current import CurrentDistribution
from lisse.solver.config.params import Numerics
domain = rectangle_domain(MPI.COMM_WORLD, W, L, 6, 12)
sol = CurrentDistribution(domain, KAPPA, WORKING, COUNTER, T,
                          Numerics(linear_solver="iterative")).solve("galvanostatic", 10.0)
if MPI.COMM_WORLD.rank == 0:
    print("VOLTAGE", repr(sol.cell_voltage))
"""


@pytest.mark.slow
def test_e1_mpi_matches_serial():
    proc = run_mpi([sys.executable, "-c", MPI_SCRIPT])
    assert proc.returncode == 0, proc.stderr
    voltage = float(proc.stdout.split("VOLTAGE")[1].split()[0])
    exact = planar_cell_voltage(10.0, L, KAPPA, WORKING, COUNTER, T)
    assert voltage == pytest.approx(exact, rel=1e-8)
