"""Electronic leakage (../shared/validation.md G2) and the Li nucleation-risk criterion.

G2: a mixed-conductor slab between two Li electrodes carries the electronic current
j_e = σ_e V / L beside the ionic one (exact for P1: φ_e is linear). The risk region
(U = φ_e − φ < 0 with |j_e| ≥ j_nuc) appears for LLZO-like σ_e at a plating current where it
does not for LiPON-like σ_e, all else equal.
"""

from __future__ import annotations

import json
import sys

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
J_NUC = 2.06e-3  # A/m², the default nucleation current density
LLZO = materials.material_value("LLZO", "electronic_conductivity_S_cm") * S_CM
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
        domain, sigma_e, sol.potential, sol.cell_voltage, sol.interface_area, J_NUC, Numerics()
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


def test_g2_nucleation_risk_llzo_not_lipon(validation):
    """Plating at 10 mA/cm²: U < 0 in the half of the slab next to the plating electrode
    (equal kinetics at both electrodes), and only LLZO's electrons arrive fast enough."""
    domain, cd = _slab()
    sol = cd.solve("galvanostatic", -100.0)
    risk = {}
    for name, sigma_e in (("LLZO", LLZO), ("LiPON", LIPON)):
        leak = solve_leakage(
            domain, sigma_e, sol.potential, sol.cell_voltage, sol.interface_area, J_NUC, Numerics()
        )
        risk[name] = leak
        assert leak.min_li_potential < 0  # thermodynamics alone does not tell them apart
    assert risk["LLZO"].risk_fraction == pytest.approx(0.5, abs=1e-12)
    assert risk["LLZO"].risk_location[1] == pytest.approx(-L / 4, rel=1e-9)  # upper half
    assert risk["LiPON"].risk_fraction == 0.0
    # at a tenth of the current LLZO's electron supply is below j_nuc too
    low = cd.solve("galvanostatic", -10.0)
    quiet = solve_leakage(
        domain, LLZO, low.potential, low.cell_voltage, low.interface_area, J_NUC, Numerics()
    )
    assert quiet.risk_fraction == 0.0
    validation.record(
        "G2 nucleation risk, plating 10 mA/cm²",
        "risk for LLZO σ_e, none for LiPON σ_e",
        "validation.md G2; seeds 002-004",
        "exact (0.5 / 0)",
        f"LLZO {risk['LLZO'].risk_fraction:.3f}, LiPON {risk['LiPON'].risk_fraction:.3f}",
        "4×20 P1",
        True,
    )


def test_risk_fraction_mesh_converged():
    """The risk region is the upper half of the slab on any mesh with a node at mid-depth."""
    fractions = []
    for ny in (20, 40):
        domain, cd = _slab(ny)
        sol = cd.solve("galvanostatic", -100.0)
        fractions.append(
            solve_leakage(
                domain, LLZO, sol.potential, sol.cell_voltage, sol.interface_area, J_NUC, Numerics()
            ).risk_fraction
        )
    assert fractions == pytest.approx([0.5, 0.5], abs=1e-12)


MPI_SCRIPT = """
import lisse
from mpi4py import MPI
from tests.verification.test_leakage import _slab, LLZO, J_NUC, L
from lisse.solver.physics.leakage import solve_leakage
from lisse.solver.config.params import Numerics
domain, cd = _slab()
sol = cd.solve("galvanostatic", -100.0)
leak = solve_leakage(domain, LLZO, sol.potential, sol.cell_voltage, sol.interface_area, J_NUC,
                     Numerics(linear_solver="iterative"))
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
    assert fraction == pytest.approx(0.5, abs=1e-12)


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
