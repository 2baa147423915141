"""Electronic leakage (../shared/validation.md G2) and the Li nucleation-risk criterion.

G2: a mixed-conductor slab between two Li electrodes carries the electronic current
j_e = σ_e V / L beside the ionic one (exact for P1: φ_e is linear). The risk region
(U = φ_e − φ < 0 with |U| |j_e| t ≥ 8γ/9, the critical-nucleus barrier) appears for
LLZO-like σ_e at a plating current where it does not for LiPON-like σ_e, all else equal, and
grows monotonically with σ_e as its closed form in the slab says.
"""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest
from mpi4py import MPI

from lisse.solver.config import materials
from lisse.solver.config.params import Kinetics, Numerics
from lisse.solver.physics.current import CurrentDistribution
from lisse.solver.physics.leakage import solve_leakage
from tests.helpers import ROOT, rectangle_domain, run_lisse, run_mpi

T = 298.15
KAPPA = 0.04  # S/m
L, W = 100e-6, 20e-6
S_CM = 100.0
GAMMA, T_PLATE = 0.5, 3600.0  # nucleus interface energy [J/m²], plating time [s] (defaults)
# LLZO at the upper end of its electronic conductivity range (1e-7 S/cm; seed 004)
LLZO = 1e-7 * S_CM
LIPON = materials.material_value("LiPON", "electronic_conductivity_S_cm") * S_CM
BV = Kinetics("butler_volmer", exchange_current_density=128.0)


def _slab(ny: int = 20):
    domain = rectangle_domain(MPI.COMM_WORLD, W, L, 4, ny)
    return domain, CurrentDistribution(domain, KAPPA, BV, BV, T, Numerics())


@pytest.mark.parametrize("sigma_e", [LLZO, LIPON, 1e-5])
@pytest.mark.parametrize("j", [10.0, -100.0])
def test_g2_electronic_current_of_a_slab(sigma_e, j, validation):
    domain, cd = _slab()
    sol = cd.solve("galvanostatic", j)
    leak = solve_leakage(
        domain, sigma_e, sol.potential, sol.cell_voltage, sol.interface_area, GAMMA, T_PLATE,
        Numerics()
    )
    exact = sigma_e * sol.cell_voltage / L
    err = abs(leak.current_density / exact - 1)
    assert err < 1e-6, (leak.current_density, exact)
    validation.record(
        f"G2 slab σ_e = {sigma_e / S_CM:.0e} S/cm, j = {j / 10:g} mA/cm²",
        "j_e = σ_e V / L",
        "validation.md G2",
        "1e-6 rel",
        f"{err:.1e}",
        "4×20 P1",
        err < 1e-6,
    )


def _slab_u(sol):
    """U = φ_e − φ at the top (plating Li, y = 0) and bottom (y = −L) faces of the slab: φ_e
    is V on the top and 0 on the bottom; φ is read at the nodes."""
    x = sol.potential.function_space.tabulate_dof_coordinates()
    phi = sol.potential.x.array
    top, bottom = phi[np.isclose(x[:, 1], 0.0)].mean(), phi[np.isclose(x[:, 1], -L)].mean()
    return sol.cell_voltage - top, -bottom


def _closed_form_risk(sol, sigma_e: float) -> float:
    """Risk fraction of the slab: U is linear in depth, so the part with U ≤ −8γ/(9 j_e t)."""
    u_top, u_bottom = _slab_u(sol)
    u_crit = 8 * GAMMA / (9 * abs(sigma_e * sol.cell_voltage / L) * T_PLATE)
    return float(np.clip((-u_crit - u_top) / (u_bottom - u_top), 0.0, 1.0))


def test_g2_nucleation_risk_llzo_not_lipon(validation):
    """Plating at 10 mA/cm²: U < 0 in the half of the slab next to the plating electrode
    (equal kinetics at both electrodes), and only LLZO's electrons grow critical nuclei in
    part of it; LiPON's do not."""
    domain, cd = _slab(40)
    sol = cd.solve("galvanostatic", -100.0)
    risk = {}
    for name, sigma_e in (("LLZO", LLZO), ("LiPON", LIPON)):
        leak = solve_leakage(
            domain, sigma_e, sol.potential, sol.cell_voltage, sol.interface_area, GAMMA, T_PLATE,
            Numerics()
        )
        risk[name] = leak
        assert leak.min_li_potential < 0  # thermodynamics alone does not tell them apart
    exact = _closed_form_risk(sol, LLZO)
    assert 0.3 < exact < 0.5
    assert risk["LLZO"].risk_fraction == pytest.approx(exact, abs=1 / 40)
    assert risk["LLZO"].risk_location[1] > -L / 4  # next to the plating electrode
    assert risk["LiPON"].risk_fraction == 0.0
    # at a tenth of the current LLZO's electrons grow no critical nucleus either
    low = cd.solve("galvanostatic", -10.0)
    quiet = solve_leakage(
        domain, LLZO, low.potential, low.cell_voltage, low.interface_area, GAMMA, T_PLATE,
        Numerics()
    )
    assert quiet.risk_fraction == 0.0
    validation.record(
        "G2 nucleation risk, plating 10 mA/cm² (critical-nucleus barrier)",
        "risk for LLZO σ_e = closed form (linear U), none for LiPON σ_e",
        "validation.md G2; seeds 002-004; Pei et al. 2017 (r*)",
        "one cell layer (1/40)",
        f"LLZO {risk['LLZO'].risk_fraction:.3f} (closed form {exact:.3f}), "
        f"LiPON {risk['LiPON'].risk_fraction:.3f}",
        "4×40 P1",
        True,
    )


def test_risk_monotonic_over_four_decades_of_electronic_conductivity(validation):
    """σ_e from 1e-9 to 1e-5 S/cm in half decades at 10 mA/cm²: the risk fraction follows the
    closed form (one cell layer) and never falls; it starts at 0 and approaches 1/2."""
    ny = 80
    domain, cd = _slab(ny)
    sol = cd.solve("galvanostatic", -100.0)
    sigmas = np.logspace(-9, -5, 9) * S_CM
    fractions, exact = [], []
    for sigma_e in sigmas:
        fractions.append(solve_leakage(
            domain, sigma_e, sol.potential, sol.cell_voltage, sol.interface_area, GAMMA,
            T_PLATE, Numerics()).risk_fraction)
        exact.append(_closed_form_risk(sol, sigma_e))
    assert np.all(np.diff(fractions) >= 0), fractions
    assert fractions[0] == 0.0 and fractions[-1] > 0.45
    assert len(set(fractions)) >= 5, fractions
    assert np.allclose(fractions, exact, atol=1 / ny), (fractions, exact)
    validation.record(
        "Nucleation risk over σ_e = 1e-9…1e-5 S/cm, 10 mA/cm²",
        "monotonic; closed form (linear U) at each σ_e",
        "issue 14; Pei et al. 2017 (r*)", "one cell layer (1/80)",
        ", ".join(f"{f:.3f}" for f in fractions), f"4×{ny} P1", True)


def test_risk_fraction_mesh_converged():
    """The discrete risk fraction approaches the closed form on refinement."""
    errors = []
    for ny in (20, 80):
        domain, cd = _slab(ny)
        sol = cd.solve("galvanostatic", -100.0)
        errors.append(abs(
            solve_leakage(
                domain, LLZO, sol.potential, sol.cell_voltage, sol.interface_area, GAMMA,
                T_PLATE, Numerics()
            ).risk_fraction - _closed_form_risk(sol, LLZO)))
    assert errors[1] <= 1 / 80 and errors[0] <= 1 / 20, errors


MPI_SCRIPT = """
import lisse
from mpi4py import MPI
from tests.verification.test_leakage import _slab, LLZO, GAMMA, T_PLATE, L
from lisse.solver.physics.leakage import solve_leakage
from lisse.solver.config.params import Numerics
domain, cd = _slab()
sol = cd.solve("galvanostatic", -100.0)
leak = solve_leakage(domain, LLZO, sol.potential, sol.cell_voltage, sol.interface_area, GAMMA,
                     T_PLATE, Numerics(linear_solver="iterative"))
if MPI.COMM_WORLD.rank == 0:
    print("LEAK", repr(leak.current_density), repr(leak.risk_fraction),
          repr(LLZO * sol.cell_voltage / L))
"""


@pytest.mark.slow
def test_g2_mpi_matches_serial():
    proc = run_mpi([sys.executable, "-c", MPI_SCRIPT])
    assert proc.returncode == 0, proc.stderr
    current, fraction, exact = map(float, proc.stdout.split("LEAK")[1].split()[:3])
    assert current == pytest.approx(exact, rel=1e-6)
    domain, cd = _slab()
    sol = cd.solve("galvanostatic", -100.0)
    serial = solve_leakage(domain, LLZO, sol.potential, sol.cell_voltage, sol.interface_area,
                           GAMMA, T_PLATE, Numerics()).risk_fraction
    assert fraction == pytest.approx(serial, abs=1e-12)


@pytest.mark.slow
def test_llzo_vs_lipon_example_configs(tmp_path):
    """The shipped example: same cell, LLZO-like vs LiPON-like σ_e, via the CLI."""
    out = {}
    for name in ("leakage_llzo", "leakage_lipon"):
        proc = run_lisse(
            ["run", str(ROOT / "configs" / "examples" / f"{name}.yaml"), "-o", str(tmp_path / name)]
        )
        assert proc.returncode == 0, proc.stderr
        out[name] = json.loads((tmp_path / name / "summary.json").read_text())
        assert 'Attribute Name="li_potential"' in (tmp_path / name / "fields.xdmf").read_text()
    assert out["leakage_llzo"]["li_nucleation_risk_fraction"] > 0.1
    assert out["leakage_lipon"]["li_nucleation_risk_fraction"] == 0.0
    ratio = (
        out["leakage_llzo"]["electronic_current_density_A_m2"]
        / out["leakage_lipon"]["electronic_current_density_A_m2"]
    )
    assert ratio == pytest.approx(1e-7 / 3e-14, rel=1e-6)
