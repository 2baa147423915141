"""The void-growth map with the coupled interface model (solver/studies/void_map.py,
docs/void_growth_map.md): the analytic boundary i*(p) = F a ε̇(p)/Ω against a hand
evaluation, and a 2 × 2 map of the Li/LLZO cell with the physics signs (low current and high
pressure close the void; high current and low pressure grow it)."""

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
    """2 × 2 map of the Li/LLZO cell (0.05 and 5 mA/cm² × 0.1 and 4 MPa, 0.05 mAh/cm²):
    0.05 mA/cm² at 4 MPa closes the void, 5 mA/cm² at 0.1 MPa grows it (the contact opens
    at the void edge where the current concentrates). (At 0.25 MPa, 5 mA/cm² grew only on
    folded cells before the strip limit: docs/void_growth_map.md.)"""
    from lisse.solver.studies.void_map import run_map

    points = run_map("LLZO", [0.05, 5.0], [0.1, 4.0], MPI.COMM_WORLD)
    sign = {(p.current_density_mA_cm2, p.stack_pressure_MPa): p for p in points}
    closes, grows = sign[0.05, 4.0], sign[5.0, 0.1]
    validation.record(
        "void map: Li/LLZO, 0.05 mA/cm² at 4 MPa and 5 mA/cm² at 0.1 MPa (coupled model)",
        "void closes at low current and high pressure, grows at high current and low pressure",
        "physics sign (creep supply vs concentrated stripping flux)", "sign",
        f"V/V0 = {closes.void_ratio:.3g} and {grows.void_ratio:.3g}",
        "axisymmetric 20 µm cell, void a = 4 µm, h = 1 µm, interface mesh 2 µm",
        closes.sign == -1 and grows.sign == 1)
    assert closes.sign == -1 and closes.void_ratio < 0.5
    assert grows.sign == 1 and grows.void_ratio > 1.1
    assert grows.contact_fraction < closes.contact_fraction
    # at each current the higher pressure never grows the void more
    for i in (0.05, 5.0):
        assert sign[i, 4.0].void_ratio <= sign[i, 0.1].void_ratio


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
