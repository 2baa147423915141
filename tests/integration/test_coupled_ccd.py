"""``lisse ccd`` with the coupled interface model (evolution.interface_model: coupled): each
trial starts from the Li body as built (``Model.reset``), so two trials at the same current
give identical runs, and the bisection brackets a CCD that rises with stack pressure on a
coarse axisymmetric cell (TINY-like, with its void)."""

from __future__ import annotations

import dataclasses
import json

import pytest
import yaml
from mpi4py import MPI

from lisse.units import A_M2_PER_MA_CM2
from tests.helpers import run_lisse
from tests.verification.test_coupled_interface import case

LOW, HIGH = 0.05, 0.1  # stack pressures [MPa] of the CCD test (creep is slow enough there)


def ccd_case(pressure_mpa: float = LOW) -> dict:
    """The coupled test cell, axisymmetric, bulk mesh 10 µm (interface 4 µm, 1 µm at the
    void tips), a CCD search of 0.01 mAh/cm² trials from 0.25 mA/cm² to rtol 0.5, and a 20 V
    cut-off so that the interface (contact loss), not the voltage, ends a trial."""
    c = case("axisymmetric")
    c["geometry"]["mesh"] |= {"size_um": 10}
    c["evolution"] |= {"stack_pressure_MPa": pressure_mpa,
                       "failure": {"max_voltage_V": 20},
                       "ccd": {"capacity_mAh_cm2": 0.01, "start_mA_cm2": 0.25,
                               "max_mA_cm2": 100, "rtol": 0.5}}
    return c


def test_coupled_trials_are_independent():
    """Two successive trials of one model at the same current (4 mA/cm² at 0.05 MPa, which
    loses contact with the default steps; 2 mA/cm² did before the contact band) give
    identical timeseries: the reset restores the Li mesh, its flow and contact state."""
    from lisse.solver.config.schema import resolve, validate_case
    from lisse.solver.studies.model import build_model

    params = resolve(validate_case(ccd_case()))
    model = build_model(params, MPI.COMM_WORLD, "ccd")
    runs = []
    for _ in range(2):
        outcome = _trial(model, 4 * A_M2_PER_MA_CM2)
        runs.append((model.lithium.volume(), outcome))
    (v1, first), (v2, second) = runs
    assert v1 == v2
    assert first.failed and first.failure_criterion == "contact_loss"
    assert second.failure_mode == first.failure_mode
    assert len(first.records) == len(second.records) > 3
    for a, b in zip(first.records, second.records, strict=True):
        assert dataclasses.asdict(a) == dataclasses.asdict(b)


def _trial(model, j: float):
    """One CCD trial of ``model`` at ``j`` [A/m²] (as ``studies.ccd.ccd_search`` runs it)."""
    from lisse.solver.physics.evolution_settings import ProtocolStep
    from lisse.solver.studies.evolution import _engine

    settings = model.params.evolution
    steps = (ProtocolStep(j, settings.ccd.capacity / j, "strip"),)
    return _engine(model, dataclasses.replace(settings, steps=steps)).run()


@pytest.mark.slow
def test_coupled_ccd_rises_with_pressure(tmp_path):
    """``lisse ccd`` at 0.05 MPa brackets a CCD ended by contact loss (an interface failure);
    at 0.1 MPa the interface survives 10 × the failing current of that bracket, so the CCD
    rises with pressure by more than 10 ×."""
    from lisse.solver.config.schema import resolve, validate_case
    from lisse.solver.studies.model import build_model

    (tmp_path / "case.yaml").write_text(yaml.safe_dump(ccd_case(LOW)))
    proc = run_lisse(["ccd", "case.yaml", "-o", "out"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    (row,) = json.loads((tmp_path / "out" / "ccd.json").read_text())["results"]
    survived, failed = row["bracket_mA_cm2"]
    assert survived == row["ccd_mA_cm2"] and 0 < failed / survived - 1 <= 0.5 + 1e-12
    assert row["failure_criterion"] == "contact_loss" and row["interface_failure"]
    model = build_model(resolve(validate_case(ccd_case(HIGH))), MPI.COMM_WORLD, "ccd")
    outcome = _trial(model, 10 * failed * A_M2_PER_MA_CM2)
    assert not outcome.failed, outcome.failure_mode

