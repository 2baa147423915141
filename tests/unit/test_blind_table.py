"""The blind CCD table's renderer (tests/validation_table.py): the cavity row with a recorded
coupled bracket and the superseded reduced CCD, and a row the coupled model refuses."""

from __future__ import annotations

from tests.validation_table import BLIND, BLIND_COLUMNS, render


def _row(pressure_MPa: float, coupled: dict) -> dict:
    row = {"cell": "Li/LLZO", "pressure_MPa": pressure_MPa, "temperature_C": 25.0,
           "protocol": "p", "measured_mA_cm2": 0.4, "source": "s", "role": "blind",
           "closed_form_mA_cm2": 0.5, "coupled": coupled, "assumptions": "none"}
    assert set(row) == set(BLIND)
    return row


def test_blind_rows_render_every_column():
    searched = _row(2.0, {"ccd_mA_cm2": 0.3891, "failing_mA_cm2": 0.4243, "note": ""})
    refused = _row(0.0, {"ccd_mA_cm2": None, "failing_mA_cm2": None,
                         "note": "refused (zero stack pressure)"})
    reduced = [{"cell": "Li/LLZO", "pressure_MPa": 2.0, "temperature_C": 25.0,
                "reduced_mA_cm2": 0.104}]
    lines = render([], [], [searched, refused], reduced).splitlines()
    zero, two = (line.split(" | ") for line in lines[-2:])
    assert len(zero) == len(two) == len(BLIND_COLUMNS)
    assert two[7:] == ["0.5", "1.25", "0.3891 [0.3891, 0.4243)", "0.973", "none", "0.104",
                       "0.26 |"]
    assert zero[7:] == ["0.5", "1.25", "refused (zero stack pressure)", "—", "none",
                        "not run", "— |"]
