"""The coupled interface model in 3D by ``lisse run``: ``mpirun -n 2`` gives serial's
timeseries (contact history, void count, contact pressures, Li bookkeeping: E5 within 0.5 %
at every step in both) and Li fields on a 12 × 12 µm cell with two quarter voids, stripping
at 1 mA/cm² under 2 MPa (a coarse mesh, 6 µm with 4 µm at the interface and 2 µm at the void
edges, and time steps from 0.04 s with a 0.5 µm gap increment: 5 steps, in which the contact
fraction falls and rises again)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import assert_same_timeseries, run_timeseries
from tests.integration.test_coupled_resume import STOP, assert_same_run, run_pair
from tests.integration.test_coupled_run import _li_fields
from tests.verification.test_coupled_3d import small_cell3d


def _run(tmp_path, n: int):
    c = small_cell3d()
    c["evolution"]["field_snapshots"] = 1
    c["output"] = {"fields": True, "plots": False}
    folder, header, table = run_timeseries(tmp_path, c, f"out{n}", n)
    return header, table, _li_fields(folder)


@pytest.mark.slow
def test_coupled_3d_serial_and_mpi(tmp_path, validation):
    header, serial, fields = _run(tmp_path, 1)
    voids = serial[:, header.index("void_count")]
    assert voids[0] == 2
    header2, parallel, fields2 = _run(tmp_path, 2)
    assert header2 == header
    diff = assert_same_timeseries(header, serial, parallel)
    balance = header.index("mass_balance_error")  # E5 at every step, serial and parallel
    e5 = max(np.max(serial[:, balance]), np.max(parallel[:, balance]))
    assert e5 < 5e-3
    for name, values in fields.items():
        np.testing.assert_allclose(fields2[name], values, rtol=1e-6,
                                   atol=1e-6 * np.max(np.abs(values)))
    contact = serial[:, header.index("contact_fraction")]
    validation.record("Coupled model 3D by lisse run: mpirun -n 2 vs serial",
                      "serial timeseries and Li fields", "parallel consistency", "1e-6",
                      f"{diff:.0e}; contact {contact[0]:.3f}, min {contact.min():.3f}, "
                      f"end {contact[-1]:.3f}; E5 ≤ {e5:.0e} at every step",
                      "3D 12 × 12 µm, two quarter voids, h = 4 µm", True)


@pytest.mark.slow
def test_coupled_3d_resume_serial(tmp_path):
    """3D ``--resume`` (studies/coupled_checkpoint.py): ``small_cell3d()`` stopped at the 3rd
    of its 5 time steps (the void roofs still falling) and resumed ends as the uninterrupted
    run, exactly: every column of timeseries.csv, interface.csv, summary.json (but the wall
    time) and the last snapshot of fields.xdmf (electrolyte and Li fields)."""
    c = small_cell3d()
    c["evolution"]["field_snapshots"] = 1
    c["output"] = {"fields": True, "plots": False}
    run_pair(tmp_path, STOP, c=c)
    series = np.loadtxt(tmp_path / "whole" / "timeseries.csv", delimiter=",", skiprows=1)
    assert len(series) == 5
    assert_same_run(tmp_path / "whole", tmp_path / "part")
