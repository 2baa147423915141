"""``lisse ccd`` with the coupled interface model (evolution.interface_model: coupled): each
trial starts from the Li body as built (``Model.reset``), so two trials at the same current
give identical runs, and at 0.05 MPa on a coarse axisymmetric cell (TINY-like, with its
void) no trial loses contact: the Li that cannot follow the crowded current floats in the
contact band (li_follow bound, li_contact_band), so the search stops at its maximum."""

from __future__ import annotations

import dataclasses

import pytest
import yaml
from mpi4py import MPI

from lisse.units import A_M2_PER_MA_CM2
from tests.helpers import run_lisse
from tests.verification.test_coupled_interface import case

LOW = 0.05  # stack pressure [MPa] of the CCD test (the Li barely creeps there)
MESHED_CONTACT = 1 - (8 / 40) ** 2  # axisymmetric: void radius 8 µm in a 40 µm cell


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


@pytest.mark.slow
def test_coupled_trials_are_independent():
    """Two successive trials of one model at the same current (4 mA/cm² at 0.05 MPa, in
    which the li_follow bound takes over after the first steps: ~70 steps) give identical
    timeseries: the reset restores the Li mesh, its flow and contact state, and each trial's
    engine starts without the bound. (Before the bound this trial lost contact, a step
    artefact.)"""
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
    assert not first.failed and not second.failed
    assert min(r.contact_fraction for r in first.records) > MESHED_CONTACT - 1e-4
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
def test_coupled_ccd_keeps_contact_at_low_pressure(tmp_path):
    """``lisse ccd`` at 0.05 MPa (0.01 mAh/cm² trials from 0.25 mA/cm², doubling, with
    max_mA_cm2 = 20 to keep the test at 7 trials): every trial up to 16 mA/cm² keeps its
    contact (the Li the crowded current at the void edge would lift floats in the contact
    band; measured: so do 32 and 64 mA/cm²), so the search stops at max_mA_cm2 with exit
    code 1 and says so. Before the li_follow bound the default steps collapsed the
    contact and this test asserted a contact-loss bracket there and a CCD rising with
    pressure (artefacts of the step, docs/moving_interface.md "The default step")."""
    c = ccd_case(LOW)
    c["evolution"]["ccd"]["max_mA_cm2"] = 20
    (tmp_path / "case.yaml").write_text(yaml.safe_dump(c))
    proc = run_lisse(["ccd", "case.yaml", "-o", "out"], cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert ("the interface survives 16 mA/cm² and the search stops at "
            "evolution.ccd.max_mA_cm2 = 20") in proc.stderr
