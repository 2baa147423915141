"""Experiment-like protocols on the interface-evolution engine (docs/protocols.md).

A planar Li/LLZO cell supplied by vacancy diffusion alone (creep off) on a two-cell-wide
mesh: below the vacancy limit j_vac the interface does not change, above it pores grow, so
the failure current is known (tests/integration/test_evolution.py::planar_vacancy_ccd) and
every run here takes about a second.

* ``until`` conditions end a step early (contact fraction, voltage), and the next step runs;
* a current staircase shows the staircase in its voltage trace (one voltage plateau per
  step, rising with the current, zero in the rests), and the CCD it reads — the highest
  step carried through, the failing step above it — agrees with the CCD of the bisection
  search within the staircase's step and the bisection's bracket;
* a failure is named by its criterion, and a voltage cut-off of an intact cell is told from
  an interface failure in the CCD outputs (ccd.json, ccd.csv).
"""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
import yaml
from mpi4py import MPI

import lisse
from lisse.solver.config.schema import resolve, validate_case
from lisse.solver.errors import SolverError
from lisse.solver.physics.gap_evolution import InterfaceEvolution
from lisse.solver.studies.ccd import ccd_search
from lisse.solver.studies.model import build_model
from lisse.solver.studies.protocol_ccd import protocol_ccd
from lisse.units import A_M2_PER_MA_CM2, MV_PER_V
from tests.helpers import ROOT, run_lisse
from tests.integration.test_evolution import planar_vacancy_ccd

OMEGA = 1.30e-5  # m³/mol
STEP_MA_CM2 = 0.02
STAIRCASE = (f"Staircase from {STEP_MA_CM2} mA/cm2 by {STEP_MA_CM2} mA/cm2 to 0.3 mA/cm2, "
             "0.2 mAh/cm2 per step, rest 10 min")


def planar(protocol: list, increment_um: float = 0.05, **failure) -> dict:
    return {
        "name": "planar",
        "geometry": {"dimension": "plane", "width_um": 20, "lithium_thickness_um": 10,
                     "electrolyte_thickness_um": 20,
                     "mesh": {"size_um": 10, "interface_size_um": 5, "edge_size_um": 5}},
        "materials": {"electrolyte": "LLZO"},
        "protocol": {"current_density_mA_cm2": 0.1},
        "output": {"fields": False, "plots": False},
        "evolution": {"interface_model": "reduced", "stack_pressure_MPa": 1.0,
                      "supply": {"creep": False, "vacancy": True},
                      "protocol": protocol,
                      "time_step": {"max_s": 1e5, "max_gap_increment_um": increment_um},
                      "failure": failure,
                      "ccd": {"capacity_mAh_cm2": 0.2, "start_mA_cm2": 0.05, "rtol": 0.05}},
    }


def run(data: dict):
    params = resolve(validate_case(data))
    model = build_model(params, MPI.COMM_WORLD, "evolution")
    evo = InterfaceEvolution(params, params.evolution, model.reset(), MPI.COMM_WORLD)
    return params, evo.run()


def by_step(outcome) -> dict[str, list]:
    steps: dict[str, list] = {}
    for rec in outcome.records:
        steps.setdefault(rec.step, []).append(rec)
    return steps


def test_until_conditions_end_the_step():
    strip = "Strip at 0.5 mA/cm2 for 1 mAh/cm2 or until contact fraction 0.6"
    _, outcome = run(planar([strip, "Rest for 10 min", "Strip at 0.5 mA/cm2 until 4.5 mV"]))
    assert not outcome.failed
    steps = by_step(outcome)
    first = steps[strip]
    assert first[-1].contact_fraction <= 0.6 < first[-2].contact_fraction
    assert first[-1].time < 1 * 3.6e4 / 5  # ended before its capacity
    rest = steps["Rest for 10 min"]
    assert rest[-1].time - first[-1].time == pytest.approx(600.0)
    last = steps["Strip at 0.5 mA/cm2 until 4.5 mV"]
    assert abs(last[-1].cell_voltage) * MV_PER_V >= 4.5 > abs(last[-2].cell_voltage) * MV_PER_V
    assert outcome.records[-1] is last[-1]  # the protocol ended with it


def test_staircase_trace_and_ccd_agree_with_bisection(validation):
    params, outcome = run(planar([STAIRCASE], increment_um=0.01))
    assert outcome.failed and outcome.interface_failure
    assert outcome.failure_criterion == "contact_loss"
    # the voltage trace is the staircase: one plateau per step, rising with the current
    steps = by_step(outcome)
    plateaus = [(recs[0].applied_current_density, recs[0].cell_voltage)
                for label, recs in steps.items() if label.startswith("staircase")]
    currents = np.array([j for j, _ in plateaus]) / A_M2_PER_MA_CM2
    assert currents == pytest.approx(STEP_MA_CM2 * np.arange(1, len(currents) + 1))
    volts = np.array([v for _, v in plateaus])
    assert np.all(np.diff(volts) > 0)
    assert all(r.cell_voltage == 0 for label, recs in steps.items() if label.startswith("rest")
               for r in recs)
    # the CCD the staircase reads, against the bisection search on the same cell
    stair = protocol_ccd(outcome)
    assert stair.failed - stair.survived == pytest.approx(STEP_MA_CM2 * A_M2_PER_MA_CM2)
    search = ccd_search(params, MPI.COMM_WORLD)
    low, high = search.bracket
    assert low < stair.failed and stair.survived < high  # the brackets overlap
    step = STEP_MA_CM2 * A_M2_PER_MA_CM2
    assert abs(stair.survived - search.ccd) <= step + (high - low)
    exact = planar_vacancy_ccd(params.evolution.vacancy.limit(params.temperature, OMEGA),
                               params.evolution)
    assert low <= exact <= high
    validation.record(
        "CCD: staircase vs bisection (planar, vacancy route)",
        "brackets overlap; |difference| ≤ step + bisection bracket",
        "docs/protocols.md", f"step {STEP_MA_CM2} mA/cm², rtol 0.05",
        f"staircase {stair.survived / 10:.3g}–{stair.failed / 10:.3g}, bisection "
        f"{low / 10:.3g}–{high / 10:.3g} mA/cm² (pore law {exact / 10:.3g})",
        "plane, 2 cells", True)


def test_cutoff_of_an_intact_cell_is_not_an_interface_failure(tmp_path):
    """With a voltage cut-off below the intact cell's voltage at the trial currents the CCD
    is a cut-off artefact: the outputs say so."""
    case = tmp_path / "case.yaml"
    case.write_text(yaml.safe_dump(planar(["Strip at 0.1 mA/cm2 for 1 h"],
                                          max_voltage_V=5e-4)))
    result = lisse.ccd(case, output=tmp_path / "ccd")
    (row,) = result.summary["results"]
    assert row["failure_criterion"] == "voltage_cutoff" and row["interface_failure"] is False
    assert row["failure_mode"].startswith("voltage cut-off, interface intact")
    with open(tmp_path / "ccd" / "ccd.csv") as fh:
        (line,) = list(csv.DictReader(fh))
    assert (line["failure_criterion"], line["interface_failure"]) == ("voltage_cutoff", "false")
    assert float(line["ccd_mA_cm2"]) == pytest.approx(row["ccd_mA_cm2"])
    # the same cell without that cut-off fails at the interface, by contact loss
    case.write_text(yaml.safe_dump(planar(["Strip at 0.1 mA/cm2 for 1 h"])))
    (row,) = lisse.ccd(case, output=tmp_path / "ccd2").summary["results"]
    assert row["failure_criterion"] == "contact_loss" and row["interface_failure"] is True


def test_run_summary_reads_the_staircase_ccd(tmp_path):
    case = tmp_path / "case.yaml"
    case.write_text(yaml.safe_dump(planar([STAIRCASE])))
    result = lisse.run(case, output=tmp_path / "run")
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert result.summary["failure_criterion"] == "contact_loss"
    assert summary["interface_failure"] is True
    assert (summary["protocol_ccd_failed_mA_cm2"] - summary["protocol_ccd_survived_mA_cm2"]
            == pytest.approx(STEP_MA_CM2))


def test_published_protocol_file_runs(tmp_path):
    """configs/experiments/wang2019_llzo_pressure_ccd.yaml (a few seconds): the cycling
    staircase runs to an interface failure the summary names, with the staircase CCD."""
    result = lisse.run(ROOT / "configs" / "experiments" / "wang2019_llzo_pressure_ccd.yaml",
                       overrides=["output.plots=false", "output.fields=false"],
                       output=tmp_path / "wang")
    summary = result.summary
    assert summary["failed"] and summary["interface_failure"]
    assert summary["failure_criterion"] in ("contact_loss", "voltage_divergence",
                                            "voltage_rate")
    assert summary["max_mass_balance_error"] < 5e-3  # E5
    assert summary["protocol_ccd_survived_mA_cm2"] >= 0.05


@pytest.mark.slow
def test_protocol_run_mpi_matches_serial(tmp_path):
    """``mpirun -n 2`` reads the same staircase CCD, criterion and end time as a serial run
    (until conditions and failure criteria are judged on global records)."""
    case = tmp_path / "case.yaml"
    case.write_text(yaml.safe_dump(planar(
        ["Strip at 0.5 mA/cm2 for 1 mAh/cm2 or until contact fraction 0.6", "Rest for 1 min",
         STAIRCASE])))
    summaries = []
    for n in (1, 2):
        proc = run_lisse(["run", str(case), "-o", str(tmp_path / f"n{n}")], n=n)
        assert proc.returncode == 0, proc.stderr
        summaries.append(json.loads((tmp_path / f"n{n}" / "summary.json").read_text()))
    serial, parallel = summaries
    for key in ("failure_mode", "failure_criterion", "protocol_ccd_survived_mA_cm2",
                "protocol_ccd_failed_mA_cm2", "time_steps"):
        assert parallel[key] == serial[key], key
    assert parallel["time_s"] == pytest.approx(serial["time_s"], rel=1e-12)


def test_lisse_ccd_reads_the_staircase(tmp_path):
    """``evolution.ccd.method: staircase``: ``lisse ccd`` reads the CCD off one run of the
    protocol, the same bracket as the run's summary."""
    data = planar([STAIRCASE])
    data["evolution"]["ccd"]["method"] = "staircase"
    case = tmp_path / "case.yaml"
    case.write_text(yaml.safe_dump(data))
    (row,) = lisse.ccd(case, output=tmp_path / "ccd").summary["results"]
    _, outcome = run(data)
    stair = protocol_ccd(outcome)
    assert row["bracket_mA_cm2"] == pytest.approx(
        [stair.survived / A_M2_PER_MA_CM2, stair.failed / A_M2_PER_MA_CM2], rel=1e-12)
    assert row["ccd_mA_cm2"] == row["bracket_mA_cm2"][0]
    assert row["failure_criterion"] == "contact_loss" and row["trials"] == 1
    data["evolution"]["protocol"] = ["Strip at 0.01 mA/cm2 for 1 min"]
    case.write_text(yaml.safe_dump(data))
    with pytest.raises(SolverError, match="survived the whole protocol"):
        lisse.ccd(case, output=tmp_path / "ccd2")
