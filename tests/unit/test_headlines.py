"""Console headlines (``lisse.solver.io.headlines``): meaningful digits, no numerical noise
(−3.8e-14), a negative constriction ASR and a hotspot factor below 1 explained, a block per
physics."""

from __future__ import annotations

from pathlib import Path

from lisse.solver.io.headlines import (
    ccd_lines,
    eis_lines,
    evolution_lines,
    number,
    steady_lines,
)

STEADY = {
    "cell_voltage_V": 0.0123456789, "current_density_mA_cm2": 1.0,
    "asr_total_ohm_cm2": 12.3456789, "asr_constriction_ohm_cm2": 2.3456789,
    "contact_fraction": 0.812345, "hotspot_factor": 3.4567891,
    "hotspot_location_um": [-3.8e-14, 12.50000004], "newton_iterations": 3,
}


def _line(lines: list[str], name: str) -> str:
    return next(line for line in lines if line.strip().startswith(name))


def test_digits_and_noise():
    lines = steady_lines(STEADY)
    assert _line(lines, "cell voltage").endswith(" 12.35 mV")
    assert _line(lines, "ASR total").endswith(" 12.35 Ω cm²")
    assert _line(lines, "ASR constriction").endswith(" 2.346 Ω cm²")
    assert _line(lines, "hotspot factor").endswith(" 3.457 at 0, 12.5 µm")
    assert "e-" not in "\n".join(lines)
    assert number(-0.0) == "0" and number(-1e-20, 4) != "-0"
    # no exponent below 10⁶ (a 36 V cell printed "3.61e+04 mV")
    assert number(36106.3) == "36110" and number(-12345.0) == "-12340"
    assert number(2.5e6) == "2.5e+06" and number(9999.4) == "9999"


def test_constriction_noise_is_zero_and_negative_is_explained():
    noisy = STEADY | {"asr_constriction_ohm_cm2": -3.8e-14}
    line = _line(steady_lines(noisy), "ASR constriction")
    assert "e-14" not in line and " 0 Ω cm²" in line and "precision" in line
    negative = STEADY | {"asr_constriction_ohm_cm2": -0.05}
    line = _line(steady_lines(negative), "ASR constriction")
    assert "-0.05 Ω cm² (negative:" in line and "discretisation error" in line


def test_hotspot_factor_of_one_and_below_one():
    line = _line(steady_lines(STEADY | {"hotspot_factor": 1.0 - 2e-12}), "hotspot factor")
    assert " 1 at" in line and "uniform" in line
    line = _line(steady_lines(STEADY | {"hotspot_factor": 0.97}), "hotspot factor")
    assert "0.97" in line and "below 1:" in line


def test_mechanics_block_and_evolution_and_ccd():
    mech = STEADY | {"stack_pressure_MPa": 1.0, "mechanics_hold_s": 3600.0,
                     "contact_fraction_mechanical": 0.9, "mean_contact_pressure_MPa": 1.1111111,
                     "max_von_mises_li_MPa": 0.80000001, "max_principal_stress_sse_MPa": 55.5555}
    lines = steady_lines(mech)
    assert "  mechanics" in lines
    assert _line(lines, "max von Mises, Li").endswith(" 0.8 MPa")
    evo = evolution_lines({"failed": True, "failure_time_s": 1234.5678,
                           "interface_failure": True,
                           "failure_mode": "contact fraction 0.08 fell below 0.1",
                           "time_s": 1234.5678, "time_steps": 40,
                           "final_contact_fraction": 0.08, "li_stripped_um": -0.0,
                           "max_mass_balance_error": 1.2e-15})
    assert _line(evo, "interface").endswith("FAILED at 1235 s: contact fraction 0.08 fell "
                                            "below 0.1")
    assert _line(evo, "Li stripped").endswith(" 0 µm")
    used_up = evolution_lines({"failed": True, "failure_time_s": 13716.5,
                               "interface_failure": False,
                               "failure_mode": "lithium exhausted at r = 24.34 µm",
                               "time_s": 13716.5, "time_steps": 184,
                               "final_contact_fraction": 1.0, "li_stripped_um": 9.24,
                               "max_mass_balance_error": 3.1e-4})
    assert _line(used_up, "cell").endswith("STOPPED at 13720 s: lithium exhausted at "
                                           "r = 24.34 µm")
    assert not any("interface" in line for line in used_up)
    (ccd,) = ccd_lines([{"parameter": "evolution.stack_pressure_MPa", "value": "3",
                         "ccd_mA_cm2": 1.2345678, "bracket_mA_cm2": [1.2345678, 1.2962962],
                         "failure_mode": "void growth ran away"}])
    assert ccd == ("  evolution.stack_pressure_MPa = 3: CCD 1.235 mA/cm² (limit in "
                   "[1.235, 1.296) mA/cm²; fails by void growth ran away)")


def test_eis_lines_drop_an_imaginary_part_below_the_precision_of_z():
    lines = eis_lines({"frequencies": 71, "min_frequency_Hz": 0.01, "max_frequency_Hz": 1e6,
                       "z_low_frequency_ohm_cm2": [62.3456, -3.8e-9],
                       "z_high_frequency_ohm_cm2": [20.00001, -0.4567]})
    assert lines[0] == "  71 frequencies, 0.01–1e+06 Hz"
    assert lines[1].endswith("62.35 + 0i Ω cm²") and "e-" not in lines[1]
    assert lines[2].endswith("20 − 0.4567i Ω cm²")


def test_patch_study_summary_columns_line_up():
    """lisse study's table: the R rows' numbers under the ā and k_J columns (they sat one
    character left)."""
    from types import SimpleNamespace

    from lisse.solver.studies.patch import summary_lines

    results = [SimpleNamespace(abar=a, k_J=1.376, contact=c, n=n, v_ratio=1.1531, opens=False)
               for a in (1, 10) for c in ("sticking", "frictionless") for n in (1, 20)]
    table = summary_lines(results, Path("out"))[1:-1]
    assert len({len(line) for line in table}) == 1, table
    assert table[2].endswith("  1.1531   1.1531"), table
