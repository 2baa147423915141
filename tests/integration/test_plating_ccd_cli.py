"""``lisse ccd --plating``: the plating CCD of a case's plating: section through the CLI
(solver.studies.plating_ccd), its outputs, its refusals, serial = mpirun -n 2."""

from __future__ import annotations

import csv
import json
import math
import re

import pytest
import yaml

from lisse.solver.physics.flaw_extrusion import extrusion_ccd, material_slit_flaw
from lisse.units import A_M2_PER_MA_CM2, SECONDS_PER_HOUR
from tests.helpers import TINY, run_lisse


def write(tmp_path, plating: dict, name: str = "case.yaml", **extra) -> str:
    case = {**TINY, "materials": {"electrolyte": "Li6PS5Cl"}, "plating": plating, **extra}
    path = tmp_path / name
    path.write_text(yaml.safe_dump(case))
    return str(path)


@pytest.mark.slow
def test_plating_ccd_single_flaw_outputs(tmp_path):
    """The CLI's CCD equals extrusion_ccd of the same flaw; ccd.json names the flaw; the
    CSV has units in its headers and K_I stays below K_IC at the CCD; the figure exists."""
    case = write(tmp_path, {"flaw_depth_um": 10, "slit_width_um": 0.1, "plating_time_h": 1e-3,
                            "rtol": 1e-6}, output={"fields": False, "plots": True})
    out = tmp_path / "out"
    proc = run_lisse(["ccd", case, "--plating", "-o", str(out)])
    assert proc.returncode == 0, proc.stderr
    assert "plating CCD" in proc.stdout
    result = json.loads((out / "ccd.json").read_text())["results"][0]
    expected = extrusion_ccd(material_slit_flaw("Li6PS5Cl", 10e-6, 0.1e-6),
                             1e-3 * SECONDS_PER_HOUR, 1e-6) / A_M2_PER_MA_CM2
    assert result["ccd_mA_cm2"] == pytest.approx(expected, rel=1e-12)
    assert result["ccd_mA_cm2"] >= result["overpotential_bound_ccd_mA_cm2"]
    assert result["governing_flaw"]["depth_um"] == 10
    with open(out / "plating_pressure.csv", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["time_s", "li_pressure_MPa", "stress_intensity_MPa_m05"]
    k_i = [float(r[2]) for r in rows[1:]]
    assert max(k_i) <= result["fracture_toughness_MPa_m05"] * (1 + 1e-9)
    assert float(rows[-1][0]) == pytest.approx(1e-3 * SECONDS_PER_HOUR)
    assert (out / "plating_pressure.png").exists()
    proc = run_lisse(["report", str(out)])  # the plating folder kind has its own page
    assert proc.returncode == 0, proc.stderr
    page = (out / "report" / "report.html").read_text()
    assert "Plating CCD" in page and "governing_flaw_depth_um" in page
    assert page.count('src="data:image/png;base64,') == 1


def test_plating_ccd_population_governing_flaw(tmp_path):
    """Weibull population: the governing flaw is λ (ln N)^(1/k), N = density × area."""
    population = {"distribution": "weibull", "scale_depth_um": 5, "shape": 2,
                  "density_1_mm2": 10, "electrode_area_mm2": 100}
    case = write(tmp_path, {"flaw_population": population, "slit_width_um": 0.1})
    out = tmp_path / "out"
    proc = run_lisse(["ccd", case, "--plating", "-o", str(out)])
    assert proc.returncode == 0, proc.stderr
    flaw = json.loads((out / "ccd.json").read_text())["results"][0]["governing_flaw"]
    assert flaw["depth_um"] == pytest.approx(5 * math.sqrt(math.log(1000)), rel=1e-12)
    assert "weibull" in flaw["chosen_as"]


@pytest.mark.parametrize("args, plating, message", [
    (["--vary", "temperature_C=25,60"], {"flaw_depth_um": 10, "slit_width_um": 0.1},
     "--vary"),
    ([], {"flaw_depth_um": 10, "slit_width_um": 0.1,
          "flaw_population": {"distribution": "lognormal", "median_depth_um": 1, "shape": 1,
                              "density_1_mm2": 1}}, "exactly one"),
])
def test_plating_ccd_refusals(tmp_path, args, plating, message):
    case = write(tmp_path, plating)
    proc = run_lisse(["ccd", case, "--plating", "-o", str(tmp_path / "out"), *args])
    assert proc.returncode == 2
    assert message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("plating, message", [
    (None, "no plating: section"),
    ({"slit_width_um": 0.1}, "plating.flaw_depth_um: give exactly one"),
    ({"flaw_population": {"distribution": "weibull", "median_depth_um": 1, "shape": 2,
                          "density_1_mm2": 1}, "slit_width_um": 0.1},
     "plating.flaw_population.scale_depth_um: required"),
    ({"flaw_population": {"distribution": "weibull", "scale_depth_um": 1, "shape": 2,
                          "density_1_mm2": 0.001}, "slit_width_um": 0.1},
     "0.1 flaws expected"),
])
def test_plating_case_errors_in_process(tmp_path, plating, message):
    """The same one-line errors without a subprocess (config and study checks)."""
    from lisse.solver.config.schema import load_case
    from lisse.solver.errors import UserError
    from lisse.solver.studies.plating_ccd import check_plating, governing_depth

    with pytest.raises(UserError, match=re.escape(message)):
        case = load_case(write(tmp_path, plating))
        check_plating(case, None, None)
        governing_depth(case)


@pytest.mark.slow
def test_plating_ccd_mpi_equals_serial(tmp_path):
    case = write(tmp_path, {"flaw_depth_um": 10, "slit_width_um": 0.1, "plating_time_h": 1e-3})
    results = []
    for n in (1, 2):
        out = tmp_path / f"out{n}"
        proc = run_lisse(["ccd", case, "--plating", "-o", str(out)], n=n)
        assert proc.returncode == 0, proc.stderr
        results.append(json.loads((out / "ccd.json").read_text())["results"][0])
    assert results[0] == results[1]


def test_lognormal_governing_flaw(tmp_path):
    """Lognormal population: a = a_med exp(σ Φ⁻¹(1 − 1/N)); N = 2 gives the median."""
    from statistics import NormalDist

    from lisse.solver.config.schema import load_case
    from lisse.solver.studies.plating_ccd import governing_depth

    for density, expected in ((0.02, 2e-6), (10, 2e-6 * math.exp(0.5 * NormalDist()
                                                                   .inv_cdf(1 - 1e-3)))):
        population = {"distribution": "lognormal", "median_depth_um": 2, "shape": 0.5,
                      "density_1_mm2": density, "electrode_area_mm2": 100}
        case = load_case(write(tmp_path, {"flaw_population": population,
                                          "slit_width_um": 0.1}))
        assert governing_depth(case)[0] == pytest.approx(expected, rel=1e-12)
