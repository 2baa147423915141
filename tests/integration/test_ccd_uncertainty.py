"""scripts/ccd_uncertainty.py (the CCD band from the library's stated ranges) at a small
size: its ranges hold the library values, its sensitivity study and ensemble run, and at
zero stack pressure, where the reduced model's CCD is the vacancy limit j_vac ∝ D*, the
sensitivity to the Li self-diffusivity is the ×10 of its range.

Cavity criterion (``--model cavity``, closed form, no run): the sensitivity ordering with
ℓ_eff fitted again (r_p > γ, D* cancels) and held fixed (D* = ln 10 > r_p > γ), the band
holds the nominal prediction, which is test_cavity_table.py's, and its ends at Li/Li6PS5Cl
7 MPa, 25 °C equal the closed form computed here by hand:

    CCD = 0.4 mA/cm² · (D*/D*_nom) · s(7 MPa, 2γ/r_p) / s(2 MPa, 2γ'/r_p'),
    s(p, c) = exp[(p + c) Ω/(R T)] − 1

(γ', r_p' those of the calibration: the sample's with ℓ_eff fitted again, the library's with
ℓ_eff fixed).
"""

from __future__ import annotations

import importlib.util
import math
import sys

import pytest
from mpi4py import MPI

from tests.helpers import ROOT

RTOL = 0.5  # bisection precision of the small run


def script():
    spec = importlib.util.spec_from_file_location("ccd_uncertainty",
                                                  ROOT / "scripts" / "ccd_uncertainty.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_ranges_hold_the_library_values():
    module = script()
    for electrolyte, ranges in [*module.RANGES.items(), ("cavity", module.CAVITY_RANGES)]:
        assert electrolyte in (*module.STUDY, "cavity")
        for r in ranges:
            assert r.low < r.high, r
            assert r.low <= module.nominal(r) <= r.high, (r, module.nominal(r))


def test_measurements_file_is_the_validation_table():
    """configs/experiments/ccd_measurements.csv (drawn by the script) holds the measured
    CCDs of the blind table (tests/verification/test_ccd_validation.py), no more, no less."""
    from tests.verification.test_ccd_validation import MEASURED
    module = script()
    rows = {(e, p, c, t) for e in ("LLZO", "Li6PS5Cl")
            for p, c, t in module.measured(module.MEASURED, e, "stack_pressure_MPa")}
    table = {(m.electrolyte, m.pressure_MPa, m.ccd_mA_cm2, f"{m.label}, {m.temperature_C:g} °C")
             for m in MEASURED}
    assert rows == table


@pytest.mark.slow  # 5 CCD searches: 15-60 s depending on the machine's load
def test_sensitivity_band_and_figure(tmp_path):
    module = script()
    diffusivity = [r for r in module.RANGES["LLZO"] if r.key == "self_diffusivity_m2_s"]
    extra = (f"evolution.ccd.rtol={RTOL}",)
    model = module.reduced(MPI.COMM_WORLD)
    sens = module.sensitivity("LLZO", 0.0, 25.0, model, extra, ranges=diffusivity)
    (row,) = sens
    width = diffusivity[0].high / diffusivity[0].low
    # two searches, each within a factor (1 + rtol) below the true limit
    assert row["reaches"] and abs(row["S"] - math.log(width)) <= math.log(1 + RTOL), row
    rows = module.band("LLZO", [(0.0, 25.0)], diffusivity, model, extra)
    assert rows[0]["low"] <= rows[0]["nominal"] <= rows[0]["high"]
    assert rows[0]["high"] / rows[0]["low"] == pytest.approx(row["ccd_high"] / row["ccd_low"])
    module.figure(tmp_path / "band.png", rows, [(0.0, 0.1, "a measurement")], "test")
    assert (tmp_path / "band.png").stat().st_size > 0


def _s(pressure_MPa: float, capillary_MPa: float) -> float:
    """s = exp[(p + 2γ/r_p) Ω/(R T)] − 1 at 25 °C, Ω = 1.30e-5 m³/mol (library), by hand."""
    return math.expm1((pressure_MPa + capillary_MPa) * 1e6 * 1.30e-5 / (8.314462618 * 298.15))


def test_cavity_sensitivity_band_and_closed_form(validation, tmp_path):
    module = script()
    point = ("Li6PS5Cl", 7.0, 25.0)
    fitted, fixed = module.cavity(recalibrate=True), module.cavity(recalibrate=False)
    ranges = module.CAVITY_RANGES
    keys = [[row["input"].split()[1] for row in module.sensitivity(*point, m)]
            for m in (fitted, fixed)]
    assert keys == [["pore_radius_um", "surface_energy_J_m2", "self_diffusivity_m2_s"],
                    ["self_diffusivity_m2_s", "pore_radius_um", "surface_energy_J_m2"]]
    (d_fitted,) = [r for r in module.sensitivity(*point, fitted) if "diffusivity" in r["input"]]
    (d_fixed,) = [r for r in module.sensitivity(*point, fixed) if "diffusivity" in r["input"]]
    assert d_fitted["S"] < 1e-12 and d_fixed["S"] == pytest.approx(math.log(10), rel=1e-12)
    top = module.ranked([module.sensitivity(*point, fitted)], ranges, top=3)
    assert [r.key for r in top] == ["pore_radius_um", "surface_energy_J_m2"]  # D* cancels
    conditions = [(3.0, 25.0), (7.0, 25.0), (3.0, 60.0)]
    rows = module.band("Li6PS5Cl", conditions, top, fitted)
    wide = module.band("Li6PS5Cl", conditions, list(ranges), fixed)
    for row in rows + wide:
        assert row["low"] <= row["nominal"] <= row["high"]
    # the nominal prediction is the blind table's (one path)
    from tests.verification.test_cavity_table import prediction
    mA = 10.0  # A/m² per mA/cm²
    assert rows[1]["nominal"] == pytest.approx(prediction(point) / mA, rel=1e-12)
    # the band's ends at 7 MPa by hand, 2γ/r_p [MPa] of the corners (largest: γ 0.441,
    # r_p 0.25 µm; smallest: γ 0.396, r_p 1 µm) and of the library (γ 0.396, r_p 0.5 µm).
    # ℓ_eff fitted again: CCD = 0.4 s(7, c)/s(2, c), falling with c at p > 2 MPa; ℓ_eff fixed:
    # CCD ∝ D* s(7, c), largest at D* = 1e-14 and the largest c.
    largest, smallest, library = 2 * 0.441 / 0.25, 2 * 0.396 / 1.0, 2 * 0.396 / 0.5
    hand = {"low": 0.4 * _s(7, largest) / _s(2, largest),
            "high": 0.4 * _s(7, smallest) / _s(2, smallest)}
    hand_fixed = 0.4 * 10 * _s(7, largest) / _s(2, library)
    assert rows[1]["low"] == pytest.approx(hand["low"], rel=1e-12)
    assert rows[1]["high"] == pytest.approx(hand["high"], rel=1e-12)
    assert wide[1]["high"] == pytest.approx(hand_fixed, rel=1e-12)
    module.figure(tmp_path / "cavity.png", rows[:2], [(3.0, 0.2, "a measurement")], "test",
                  wide=wide[:2], calibration=(2.0, 0.4))
    assert (tmp_path / "cavity.png").stat().st_size > 0
    error = max(abs(rows[1]["low"] / hand["low"] - 1), abs(rows[1]["high"] / hand["high"] - 1),
                abs(wide[1]["high"] / hand_fixed - 1))
    validation.record(
        "CCD band, cavity criterion, Li/Li6PS5Cl 7 MPa 25 °C (corners of r_p 0.25–1 µm, "
        "γ 0.396–0.441 J/m², D* 1e-15–1e-14 m²/s)",
        f"ℓ_eff fitted again: {hand['low']:.4g}–{hand['high']:.4g}; ℓ_eff fixed: upper end "
        f"{hand_fixed:.4g} mA/cm²", "closed form by hand: 0.4 mA/cm² × (D*/D*_nom) × "
        "s(7 MPa)/s(2 MPa)", "1e-12 rel.", f"{error:.1e}",
        "closed form (scripts/ccd_uncertainty.py --model cavity)", error <= 1e-12)
