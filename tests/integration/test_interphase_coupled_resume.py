"""Checkpoint and resume of a coupled run with a growing interphase (solver.physics.
coupled_interphase; the film's per-node thickness and its volume grown are engine state,
``evolution_checkpoint``): stopped at the 3rd time step and resumed, the run ends as the
uninterrupted one, exactly (every column of timeseries.csv, among them the cell voltage,
which holds the film's resistance, and li_interphase_um; interface.csv, summary.json, the
last field snapshot)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.integration.test_coupled_resume import STOP, assert_same_run, case, run_pair


@pytest.mark.slow
def test_coupled_resume_with_interphase(tmp_path):
    """TINY plane cell with its void, 2 MPa, 0.18 s of stripping at 1 mA/cm², a film of
    L0 = 2 nm growing at k_p = 5 nm²/s on the contact (Li6PS5Cl library c_Li)."""
    c = case() | {"materials": {"electrolyte": "Li6PS5Cl"},
                  "interphase": {"rate_constant_nm2_s": 5.0, "initial_thickness_nm": 2.0}}
    run_pair(tmp_path, STOP, c=c)
    assert_same_run(tmp_path / "whole", tmp_path / "part")
    with open(tmp_path / "whole" / "timeseries.csv") as f:
        header = f.readline().strip().split(",")
    table = np.loadtxt(tmp_path / "whole" / "timeseries.csv", delimiter=",", skiprows=1)
    assert len(table) > STOP + 1
    assert table[-1, header.index("li_interphase_um")] > 0  # the film grew and bound Li
