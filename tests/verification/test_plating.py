"""The plating criterion of a Li-filled surface flaw (solver.physics.plating): its own
analytic limit and its consistency with the finite-element K_I of the flaw."""

from __future__ import annotations

import numpy as np
import pytest

from lisse.meshes.crack import CrackMesh
from lisse.solver.physics.fracture import EDGE_CRACK_FACTOR, solve_crack
from lisse.solver.physics.plating import (
    critical_overpotential,
    li_pressure_bound,
    material_plating_ccd,
    plating_ccd,
    plating_ccd_large_flaw,
)
from lisse.units import A_M2_PER_MA_CM2, FARADAY, PA_PER_MPA, kelvin

K_IC = 1.25 * PA_PER_MPA  # LLZO [Pa m^0.5]
I0 = 12.8 * A_M2_PER_MA_CM2  # [A/m²]
OMEGA = 1.30e-5  # Li molar volume [m³/mol]
T = kelvin(25.0)


def test_plating_ccd_falls_as_the_analytic_limit(validation):
    """i_CCD falls monotonically with flaw depth and approaches i0 Ω K_IC/(RT Y sqrt(π a)),
    slope −1/2 on log–log axes, for large flaws."""
    a = np.geomspace(1e-7, 1e-2, 60)
    ccd = plating_ccd(a, K_IC, I0, T, OMEGA)
    limit = plating_ccd_large_flaw(a, K_IC, I0, T, OMEGA)
    assert np.all(np.diff(ccd) < 0)
    assert np.all(ccd >= limit)  # sinh x ≥ x: small flaws are protected more
    slope = np.diff(np.log(ccd)) / np.diff(np.log(a))
    ratio = ccd[-1] / limit[-1]
    passed = abs(slope[-1] + 0.5) < 1e-3 and abs(ratio - 1) < 1e-3
    validation.record(
        "Plating CCD of a Li-filled edge flaw, large-flaw limit",
        "i_CCD → i0 Ω K_IC/(RT Y sqrt(π a)), slope −1/2",
        "docs/fracture.md (own analytic limit)", "1e-3",
        f"slope {slope[-1]:.5f}, ratio {ratio:.6f} at a = 10 mm", "none (closed form)", passed)
    assert slope[-1] == pytest.approx(-0.5, abs=1e-3)
    assert ratio == pytest.approx(1.0, abs=1e-3)
    # doubling K_IC doubles the large-flaw CCD; focusing f divides it
    assert plating_ccd(1e-2, 2 * K_IC, I0, T, OMEGA) == pytest.approx(2 * ccd[-1], rel=2e-3)
    assert plating_ccd(1e-2, K_IC, I0, T, OMEGA, focusing=4) == pytest.approx(ccd[-1] / 4)


def test_li_pressure_at_the_ccd_reaches_k_ic_in_the_finite_element_flaw():
    """At the critical overpotential the Li pressure F η_c/Ω on the faces of the meshed edge
    flaw gives K_I = K_IC (finite-element J-integral, 2 %)."""
    a = 10e-6
    p_li = li_pressure_bound(critical_overpotential(a, K_IC, OMEGA), OMEGA)
    sol = solve_crack(CrackMesh("edge", a, 50, tip_size=a / 32), 150e9, 0.26, p_li)
    assert sol.stress_intensity == pytest.approx(K_IC, rel=0.02)
    assert p_li == pytest.approx(K_IC / (EDGE_CRACK_FACTOR * np.sqrt(np.pi * a)))


def test_library_plating_ccds():
    """Library values: LLZO (K_IC 1.25 MPa√m, i0 12.8 mA/cm²) at a = 10 µm gives
    η_c = 26.8 mV and 14.0 mA/cm²; Li6PS5Cl (0.23, 2.57) 0.49 mA/cm²."""
    assert critical_overpotential(10e-6, K_IC, OMEGA) == pytest.approx(26.79e-3, rel=1e-3)
    llzo = material_plating_ccd("LLZO", 10e-6, 25.0) / A_M2_PER_MA_CM2
    lpscl = material_plating_ccd("Li6PS5Cl", 10e-6, 25.0) / A_M2_PER_MA_CM2
    assert llzo == pytest.approx(13.96, rel=1e-3)
    assert lpscl == pytest.approx(0.4939, rel=1e-3)


def test_bad_arguments_refused():
    with pytest.raises(ValueError, match="flaw_depth"):
        plating_ccd(0.0, K_IC, I0, T, OMEGA)
    with pytest.raises(ValueError, match="focusing"):
        plating_ccd(1e-5, K_IC, I0, T, OMEGA, focusing=0.5)


def test_example_script_writes_the_figure(tmp_path):
    """scripts/examples/plating_ccd.py: the library CCDs and the figure."""
    import runpy
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "scripts" / "examples" / "plating_ccd.py"
    ccd = runpy.run_path(str(script))["main"](tmp_path)
    assert (tmp_path / "plating_ccd.png").stat().st_size > 1000
    assert set(ccd) == {"LLZO", "Li6PS5Cl"}
    assert all(np.all(np.diff(v) < 0) for v in ccd.values())


def test_stack_pressure_and_temperature():
    """Stack pressure p_s loads the flaw faces by p_s (1 − c): η_c falls by Ω p_s (1 − c)/F and
    the CCD is 0 once p_s (1 − c) reaches p_c; a rigid die (c = ν/(1 − ν)) carries part of it.
    Warmer cells have a larger i0 (library E_a) and a larger RT: at 60 °C the large-flaw CCD
    is i0(60 °C)/i0(25 °C) × (298.15/333.15) of the 25 °C one."""
    a = 10e-6
    eta0 = critical_overpotential(a, K_IC, OMEGA)
    p_s = 5 * PA_PER_MPA
    assert critical_overpotential(a, K_IC, OMEGA, stack_pressure=p_s) == pytest.approx(
        eta0 - OMEGA * p_s / FARADAY, rel=1e-12)
    base = plating_ccd(a, K_IC, I0, T, OMEGA)
    pressed = plating_ccd(a, K_IC, I0, T, OMEGA, stack_pressure=p_s)
    die = plating_ccd(a, K_IC, I0, T, OMEGA, stack_pressure=p_s, lateral_stress_ratio=0.35)
    assert pressed < die < base
    p_c = K_IC / (EDGE_CRACK_FACTOR * np.sqrt(np.pi * a))
    assert plating_ccd(a, K_IC, I0, T, OMEGA, stack_pressure=1.01 * p_c) == 0.0
    with pytest.raises(ValueError, match="lateral_stress_ratio"):
        plating_ccd(a, K_IC, I0, T, OMEGA, stack_pressure=p_s, lateral_stress_ratio=1.0)
    from lisse.solver.config.materials import material_value
    from lisse.solver.config.resolve import arrhenius

    e_a = material_value("LLZO", "li_exchange_current_density_activation_energy_kJ_mol")
    big = 1e-2  # large-flaw limit: CCD ∝ i0 / T
    ratio = material_plating_ccd("LLZO", big, 60.0) / material_plating_ccd("LLZO", big, 25.0)
    assert ratio == pytest.approx(arrhenius(e_a, 60.0, 25.0) * kelvin(25.0) / kelvin(60.0),
                                  rel=2e-3)
