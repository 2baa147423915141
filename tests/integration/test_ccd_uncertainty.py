"""scripts/ccd_uncertainty.py (the CCD band from the library's stated ranges) at a small
size: its ranges hold the library values, its sensitivity study and ensemble run, and at
zero stack pressure, where the reduced model's CCD is the vacancy limit j_vac ∝ D*, the
sensitivity to the Li self-diffusivity is the ×10 of its range."""

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
    for electrolyte, ranges in module.RANGES.items():
        assert electrolyte in module.STUDY
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
    sens = module.sensitivity("LLZO", 0.0, 25.0, MPI.COMM_WORLD, extra, ranges=diffusivity)
    (row,) = sens
    width = diffusivity[0].high / diffusivity[0].low
    # two searches, each within a factor (1 + rtol) below the true limit
    assert row["reaches"] and abs(row["S"] - math.log(width)) <= math.log(1 + RTOL), row
    rows = module.band("LLZO", [(0.0, 25.0)], diffusivity, MPI.COMM_WORLD, extra)
    assert rows[0]["low"] <= rows[0]["nominal"] <= rows[0]["high"]
    assert rows[0]["high"] / rows[0]["low"] == pytest.approx(row["ccd_high"] / row["ccd_low"])
    module.figure(tmp_path / "band.png", rows, [(0.0, 0.1, "a measurement")], "test")
    assert (tmp_path / "band.png").stat().st_size > 0
