"""The void-growth map with the coupled interface model (solver/studies/void_map.py,
docs/void_growth_map.md): the analytic boundary i*(p) = F a ε̇(p)/Ω against a hand
evaluation, and a 2 × 2 map of the Li/LLZO cell (high pressure closes the void; at low
pressure the near-rigid Li descends by the Li consumed on its contact and the void thins)."""

from __future__ import annotations

import math

import pytest
from mpi4py import MPI

from lisse.units import A_M2_PER_MA_CM2, FARADAY, GAS_CONSTANT, PA_PER_MPA


def test_analytic_boundary_is_creep_supply_over_stripping_flux():
    """i*(p) = F a A exp(−Q/RT) (p/S)ⁿ / Ω with the library Li (A 4.25e4 /s, Q 37 kJ/mol,
    S 0.95 MPa, n 6.67, Ω 1.3e-5 m³/mol) at 25 °C, a = 4 µm; slope n on log axes."""
    from lisse.solver.config.schema import resolve, validate_case
    from lisse.solver.studies.void_map import analytic_boundary, cell

    params = resolve(validate_case(cell("LLZO", 1.0, 1.0)))
    e, temperature = params.electrode, params.temperature
    radius = params.geometry.voids[0].radius
    rate = 4.25e4 * math.exp(-37e3 / (GAS_CONSTANT * 298.15)) * (1 / 0.95) ** 6.67
    expected = FARADAY * 4e-6 * rate / e.molar_volume
    assert radius == pytest.approx(4e-6, rel=1e-12)
    assert temperature == pytest.approx(298.15, rel=1e-12)
    at_1 = analytic_boundary(PA_PER_MPA, e, temperature, radius)
    assert at_1 == pytest.approx(expected, rel=1e-9)
    at_2 = analytic_boundary(2 * PA_PER_MPA, e, temperature, radius)
    assert math.log(at_2 / at_1) / math.log(2) == pytest.approx(e.creep_stress_exponent,
                                                                  rel=1e-12)
    # 1 MPa: about 58 mA/cm² for a 4 µm void (the map's cell)
    assert 40 < at_1 / A_M2_PER_MA_CM2 < 80


@pytest.mark.slow
def test_small_map_signs_llzo(validation):
    """2 × 2 map of the Li/LLZO cell (0.05 and 5 mA/cm² × 0.1 and 4 MPa), stripping
    0.005 mAh/cm² (δ = 24 nm of Li; a tenth of the map's capacity, so that a point takes
    ≤ 40 steps with the li_follow bound). At 4 MPa creep closes the void. At 0.1 MPa the Li
    hardly creeps (ε̇ ~ 4e-9 /s) and does not follow the crowded current: it floats in the
    contact band where it is most consumed and descends as a rigid body by the Li consumed on
    its contact, d = δ/f_c (f_c the contact fraction), so the void thins (closed form for the
    half-ellipsoid void of height h: V/V0 = 1 − (3/2)(d/h) + (1/2)(d/h)³, to 1 % for the
    node-interpolated void measure) and its apex comes down by d (R = d/δ = 1/f_c, to within
    twice the contact tolerance t = 1 nm, the height of the Li floating in the band), and the
    contact stays. (Before the li_follow bound the default steps collapsed the contact at
    0.1 MPa and the map called the point "grows": a step artefact, docs/void_growth_map.md.)"""
    from lisse.solver.config.schema import resolve, validate_case
    from lisse.solver.studies.void_map import cell, run_map
    from lisse.units import C_M2_PER_MAH_CM2

    capacity, height, tol = 0.005, 1e-6, 1e-9
    points = run_map("LLZO", [0.05, 5.0], [0.1, 4.0], MPI.COMM_WORLD,
                     capacity_mAh_cm2=capacity)
    sign = {(p.current_density_mA_cm2, p.stack_pressure_MPa): p for p in points}
    omega = resolve(validate_case(cell("LLZO", 1.0, 1.0))).electrode.molar_volume
    delta = omega * capacity * C_M2_PER_MAH_CM2 / FARADAY  # Ω Q/F [m]
    misses = []
    for i in (0.05, 5.0):
        point = sign[i, 0.1]
        d = delta / point.contact_fraction
        expected = 1 - 1.5 * d / height + 0.5 * (d / height) ** 3
        misses.append((point.void_ratio / expected - 1, (point.closure_ratio - 1
                                                         / point.contact_fraction) * delta))
        assert point.sign == -1 and not point.contact_lost and point.stopped == ""
        assert point.contact_fraction > 0.96 - 1e-4  # the meshed contact, 1 − (a/W)²
        assert point.void_ratio == pytest.approx(expected, rel=1e-2)
        assert abs(misses[-1][1]) <= 2 * tol
        closes = sign[i, 4.0]
        assert closes.sign == -1 and closes.stopped == "closed" and closes.void_ratio < 1e-2
        assert closes.void_ratio <= point.void_ratio  # higher pressure never grows it more
    validation.record(
        "void map: Li/LLZO, 0.05 and 5 mA/cm² at 0.1 and 4 MPa, 0.005 mAh/cm² (coupled model)",
        "4 MPa: the void closes; 0.1 MPa: rigid descent d = δ/f_c, "
        "V/V0 = 1 − (3/2)(d/h) + (1/2)(d/h)³, apex descent d",
        "closed form (rigid Li resting on its contact)", "V/V0 1 %, apex 2t = 2 nm",
        "V/V0 off by " + ", ".join(f"{m[0]:+.1e}" for m in misses) + "; apex descent off by "
        + ", ".join(f"{m[1] * 1e9:+.2f} nm" for m in misses) + "; 4 MPa closes",
        "axisymmetric 20 µm cell, void a = 4 µm, h = 1 µm, interface mesh 2 µm", True)


@pytest.mark.slow
def test_map_figure_from_the_committed_tables(tmp_path):
    """scripts/void_growth_map.py --plot-only redraws docs/figures/void_growth_map.png from
    the committed tables (both electrolytes, 30 points each, every point decided)."""
    import shutil
    import subprocess
    import sys

    from tests.helpers import ROOT

    for name in ("Li6PS5Cl", "LLZO"):
        table = ROOT / "docs" / f"void_growth_map_{name}.csv"
        assert len(table.read_text().splitlines()) == 31
        shutil.copy(table, tmp_path)
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "void_growth_map.py"),
                           "--plot-only", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (tmp_path / "figures" / "void_growth_map.png").stat().st_size > 10_000
