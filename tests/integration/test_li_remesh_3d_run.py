"""A 3D coupled run that remeshes its Li (solver.physics.li_remesh_3d; docs/moving_interface.md
"Li remeshing in 3D"): the small 3D cell (``small_cell3d``: 12 × 12 µm, two quarter voids,
stripping 1 mA/cm² under 2 MPa, 5 time steps) with ``evolution.remesh_quality: 0.9``, which
remeshes the Li before the 3rd step (smallest q below 0.9 × the initial 0.257 after the 2nd
step's smoothing): the run completes with the Li bookkeeping (E5) within 0.5 % at every step
(measured ≤ 2e-10; 2e-2 before the 3D volume correction followed the new mesh's collector
nodes), its Li fields after the remeshing in li_remesh1.xdmf; a run stopped at its 3rd step,
after the remeshing, and resumed ends as the uninterrupted one, exactly; ``mpirun -n 2`` gives
serial's timeseries."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.helpers import assert_same_timeseries, run_timeseries
from tests.integration.test_coupled_3d_run import _series
from tests.integration.test_coupled_resume import STOP, assert_same_run, run_pair
from tests.verification.test_coupled_3d import small_cell3d

REMESH_QUALITY = 0.9  # the trigger: this × the initial mesh's smallest cell quality


def _case() -> dict:
    c = small_cell3d()
    c["evolution"] |= {"remesh_quality": REMESH_QUALITY, "field_snapshots": 1}
    c["output"] = {"fields": True, "plots": False}
    return c


@pytest.fixture(scope="module")
def serial_runs(tmp_path_factory):
    """(folder of the uninterrupted serial run, folder of the stopped and resumed one)."""
    folder = tmp_path_factory.mktemp("remesh3d")
    run_pair(folder, STOP, c=_case())
    return folder / "whole", folder / "part"


@pytest.mark.slow
def test_3d_run_remeshes_with_li_bookkeeping(serial_runs, validation):
    """At least one remeshing (summary ``li_remeshes``, the file li_remesh1.xdmf), all 5
    steps done, E5 ≤ 0.5 % at every step."""
    whole = serial_runs[0]
    summary = json.loads((whole / "summary.json").read_text())
    header, series = _series(whole)
    e5 = series[:, header.index("mass_balance_error")]
    assert summary["li_remeshes"] >= 1 and (whole / "li_remesh1.xdmf").exists()
    assert len(series) == 5 and np.max(e5) < 5e-3, e5
    validation.record("Coupled model E5 through a Li remeshing (3D, every step)",
                      "ΔV_Li = (Ω/F)∫ i A dt", "validation.md E5", "0.5 %",
                      f"largest E5 {np.max(e5):.0e} in {len(series)} steps, "
                      f"{summary['li_remeshes']} remeshing(s)",
                      "3D 12 × 12 µm, two quarter voids, remesh_quality 0.9", True)


@pytest.mark.slow
def test_3d_resume_after_a_remeshing(serial_runs):
    """Stopped at the 3rd step (the Li remeshed before it) and resumed = uninterrupted,
    exactly (``coupled_checkpoint`` rebuilds the remeshed Li; no Li point data in
    fields.xdmf after a remeshing)."""
    assert_same_run(*serial_runs, li_points=False)


@pytest.mark.long  # ~17 s: beyond the suite budget (make test-long)
def test_3d_remeshing_serial_and_mpi(serial_runs, tmp_path, validation):
    """mpirun -n 2: serial's timeseries (contact, voids, pressures, E5) to 1e-6."""
    header, serial = _series(serial_runs[0])
    _, header2, parallel = run_timeseries(tmp_path, _case(), "out2", 2)
    assert header2 == header
    diff = assert_same_timeseries(header, serial, parallel)
    summary = json.loads((tmp_path / "out2" / "summary.json").read_text())
    assert summary["li_remeshes"] >= 1
    validation.record("Coupled model 3D with a Li remeshing: mpirun -n 2 vs serial",
                      "serial timeseries", "parallel consistency", "1e-6",
                      f"{diff:.0e}; {summary['li_remeshes']} remeshing(s) on 2 ranks",
                      "3D 12 × 12 µm, two quarter voids, remesh_quality 0.9", True)
