"""A coupled ``lisse run`` with ``evolution.contact: sticking`` (TINY cell with its void,
2 MPa, plane strain): strip 0.002 mAh/cm² at 1 mA/cm², rest 1.8 s. It runs, the void closes
(contact fraction 1, no void left), summary.json names the contact, the Li bookkeeping holds
(E5, 0.5 %), and ``mpirun -n 2`` writes serial's timeseries (the contact history)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.helpers import assert_same_timeseries, run_timeseries
from tests.verification.test_coupled_interface import case

STEPS = [{"current_density_mA_cm2": 1.0, "capacity_mAh_cm2": 0.002},
         {"current_density_mA_cm2": 0.0, "duration_h": 0.0005}]


def _run(tmp_path, n: int) -> tuple[list[str], np.ndarray, dict]:
    c = case(steps=STEPS)
    c["evolution"] |= {"contact": "sticking", "checkpoint_interval_s": 0}
    c["output"] = {"fields": False, "plots": False}
    folder, header, table = run_timeseries(tmp_path, c, f"out{n}", n)
    return header, table, json.loads((folder / "summary.json").read_text())


@pytest.mark.slow
def test_sticking_lisse_run_serial_and_mpi(tmp_path):
    header, serial, summary = _run(tmp_path, 1)
    assert summary["interface_model"] == "coupled" and summary["contact"] == "sticking"
    column = {name: k for k, name in enumerate(header)}
    contact = serial[:, column["contact_fraction"]]
    assert contact[0] < 0.85 and contact[-1] == pytest.approx(1.0, abs=1e-12)  # void closed
    assert serial[-1, column["void_count"]] == 0
    assert np.max(serial[:, column["mass_balance_error"]]) < 5e-3  # E5
    # at rest in full contact the Li carries the stack pressure
    assert serial[-1, column["mean_contact_pressure_MPa"]] == pytest.approx(2.0, rel=1e-6)
    _, parallel, _ = _run(tmp_path, 2)
    assert_same_timeseries(header, serial, parallel)
