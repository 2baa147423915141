"""lisse.units.column_unit: the unit of a column from its name's suffix (sweep.h5); the
report tables write it as the plots do (``solver.io.report.unit``)."""

import pytest

from lisse.units import column_unit


@pytest.mark.parametrize("name, unit", [
    ("cell_voltage_V", "V"),
    ("protocol.current_density_mA_cm2", "mA/cm^2"),  # a config path: its last key
    ("mean_contact_current_density_A_m2", "A/m^2"),
    ("asr_total_ohm_cm2", "ohm*cm^2"),
    ("geometry.voids.0.radius_um", "um"),
    ("hotspot_location_um.1", "um"),  # a list entry
    ("max_von_mises_li_MPa", "MPa"),
    ("wall_time_s", "s"),
    ("temperature_C", "degC"),
    ("capacity_mAh_cm2", "mAh/cm^2"),
    ("ionic_conductivity_S_cm", "S/cm"),
    ("closure_rate_per_s", "1/s"),  # a rate, not a time
    ("creep_strain_rate_per_s", "1/s"),
    ("hotspot_factor", ""),
    ("contact_fraction", ""),
    ("case_id", ""),
    ("index", ""),
])
def test_column_unit(name, unit):
    assert column_unit(name) == unit


@pytest.mark.parametrize("name, unit", [
    ("hotspot_location_um", "µm"),  # the report's tables showed "um"
    ("asr_total_ohm_cm2", "Ω cm²"),  # and "ohm*cm^2"
    ("current_density_mA_cm2", "mA/cm²"),
    ("temperature_C", "°C"),
    ("fracture_toughness_MPa_m05", "MPa √m"),
    ("hotspot_factor", ""),
])
def test_report_unit(name, unit):
    from lisse.solver.io.report import unit as report_unit

    assert report_unit(name) == unit


def test_report_value_of_a_mapping():
    """A summary value that is a mapping reads as names and numbers, not a Python dict."""
    from lisse.solver.io.report_figures import fmt

    times = {"initial": 0.0, "t1": 103.558928393386, "final": 348.0}
    assert fmt(times) == "initial 0, t1 103.6, final 348"
