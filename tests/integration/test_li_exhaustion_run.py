"""A coupled run that runs out of Li stops cleanly (solver.physics.li_exhaustion;
docs/moving_interface.md "Running out of Li"): 2 µm of Li (0.4123 mAh/cm²) stripped
uniformly at 1 mA/cm² for 0.412 mAh/cm² stops, as a failure that is not the interface's,
at the first time step that leaves the collector face within 10 nm (10 contact tolerances)
of the electrolyte — instead of time steps that shrink by the strip limit's 3/4 for ever —
with summary.json, timeseries.csv and the field files written and exit code 0; a CCD trial
that runs out of Li counts as failed, with that criterion in the CCD's report."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from mpi4py import MPI

from lisse.units import A_M2_PER_MA_CM2, NM_PER_UM
from tests.helpers import run_timeseries
from tests.verification.test_coupled_interface import case

THICKNESS_UM = 2.0
LIMIT_NM = 10.0  # EXHAUSTED_TOLERANCES × the 1 nm contact tolerance


def thin(capacity: float = 0.412) -> dict:
    """The TINY cell (40 µm radius, no void, 2 MPa), 2 µm of Li, one stripping step."""
    c = case("axisymmetric", void=False,
             steps=[{"current_density_mA_cm2": 1.0, "capacity_mAh_cm2": capacity}])
    c["geometry"]["lithium_thickness_um"] = THICKNESS_UM
    return c


@pytest.mark.slow
def test_lisse_run_stops_when_the_li_is_used_up(tmp_path, validation):
    c = thin()
    c["evolution"] |= {"field_snapshots": 2, "checkpoint_interval_s": 0}
    c["output"] = {"fields": True, "plots": False}
    folder, header, table = run_timeseries(tmp_path, c, "out")
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["failed"] and summary["failure_criterion"] == "lithium_exhausted"
    assert summary["interface_failure"] is False
    assert summary["failure_mode"].startswith("lithium exhausted: the collector face at r = ")
    assert summary["failure_time_s"] == pytest.approx(table[-1, header.index("time_s")],
                                                      rel=1e-12)
    left = THICKNESS_UM - table[:, header.index("collector_recession_um")]  # Li left [µm]
    # the first step at or below the limit (the collector face is flat: its nodes agree
    # with the mean to 1e-3 nm)
    before, after = left[-2] * NM_PER_UM, left[-1] * NM_PER_UM
    assert after <= LIMIT_NM + 1e-3 and before > LIMIT_NM - 1e-3
    assert len(table) < 40  # the strip limit's steps: 3/4 of the last cell each
    stripped = table[-1, header.index("li_stripped_um")]
    assert stripped == pytest.approx(table[-1, header.index("collector_recession_um")],
                                     rel=1e-9)
    assert (folder / "fields.xdmf").exists() and (folder / "li.xdmf").exists()
    validation.record("Coupled run out of Li: stop at the exhaustion limit",
                      "Li left at the stop ≤ 10 nm < Li left a step before",
                      "li_exhaustion", "first step",
                      f"{before:.2f} → {after:.2f} nm",
                      "TINY axisym., 2 µm Li, 0.412 mAh/cm² at 1 mA/cm²",
                      after <= LIMIT_NM + 1e-3 < before + 2e-3)


def test_ccd_trial_out_of_li(monkeypatch):
    """A CCD trial (bisection) that runs out of Li is a failed trial with the criterion
    lithium_exhausted and no interface failure, and the CCD's headline names it. Only the
    trial at the start current is solved; the others are taken as survived."""
    from lisse.solver.config.schema import resolve, validate_case
    from lisse.solver.io.evolution_plots import failure_class
    from lisse.solver.io.headlines import ccd_lines
    from lisse.solver.studies import ccd
    from lisse.solver.studies.ccd_search import Trial, find_ccd

    def one_trial(trial, start, maximum, rtol):
        return find_ccd(lambda j: trial(j) if j == start else Trial(j, True, "", math.nan),
                        start, maximum, 0.9)

    monkeypatch.setattr(ccd, "find_ccd", one_trial)
    c = thin()
    c["evolution"]["ccd"] = {"capacity_mAh_cm2": 0.412, "start_mA_cm2": 1.0}
    result = ccd.ccd_search(resolve(validate_case(c)), MPI.COMM_WORLD)
    failed = [t for t in result.trials if not t.survived]
    assert len(failed) == 1 and failed[0].failure_criterion == "lithium_exhausted"
    assert not failed[0].interface_failure and result.failure_criterion == "lithium_exhausted"
    assert failure_class(result.failure_mode) == "lithium exhausted"
    row = {"parameter": None, "ccd_mA_cm2": result.ccd / A_M2_PER_MA_CM2, "failure_mode":
           result.failure_mode, "bracket_mA_cm2": [b / A_M2_PER_MA_CM2 for b in result.bracket]}
    assert "fails by lithium exhausted: the collector face" in ccd_lines([row])[0]
    assert np.isfinite(failed[0].failure_time) and failed[0].failure_time > 0
