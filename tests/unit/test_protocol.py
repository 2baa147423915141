"""Protocol lines (solver.config.protocol) and the failure criteria (solver.physics.failure):
parsing into the structured steps, one-line errors, the until fields, and the judgement
of a record (interface failure or voltage cut-off of an intact interface)."""

from __future__ import annotations

import copy

import pytest

from lisse.solver.config.evolution import protocol_steps
from lisse.solver.config.protocol import ProtocolError, parse_protocol
from lisse.solver.config.schema import load_case, validate_case
from lisse.solver.errors import ConfigError
from lisse.solver.physics.evolution_settings import Record
from lisse.solver.physics.failure import FailureCriteria, judge, step_start
from lisse.units import A_M2_PER_MA_CM2, C_M2_PER_MAH_CM2, SECONDS_PER_HOUR
from tests.helpers import ROOT, TINY


def steps_of(evolution: dict):
    data = copy.deepcopy(TINY)
    data["evolution"] = evolution
    return protocol_steps(validate_case(data).evolution)


def only(line: str) -> dict:
    (step,) = parse_protocol([line])
    step.pop("where")
    return step


@pytest.mark.parametrize(("line", "expected"), [
    ("Strip at 0.2 mA/cm2 for 1 h", {"current_density_mA_cm2": 0.2, "duration_h": 1.0}),
    ("strip AT 0.2 mA/cm²  for 90 min.", {"current_density_mA_cm2": 0.2, "duration_h": 1.5}),
    ("Plate at 100 uA/cm2 for 0.5 mAh/cm2",
     {"current_density_mA_cm2": -0.1, "capacity_mAh_cm2": 0.5}),
    ("Rest for 36 s", {"current_density_mA_cm2": 0.0, "duration_h": 0.01}),
    ("Strip at 0.5 mA cm-2 until 50 mV",
     {"current_density_mA_cm2": 0.5, "until_voltage_V": 0.05}),
    ("Strip at 1 mA/cm2 for 2 mAh/cm2 or until 1 V",
     {"current_density_mA_cm2": 1.0, "capacity_mAh_cm2": 2.0, "until_voltage_V": 1.0}),
    ("Strip at 1 mA/cm2 for 1 h or until contact fraction 0.5 or 0.8 V",
     {"current_density_mA_cm2": 1.0, "duration_h": 1.0, "until_contact_fraction": 0.5,
      "until_voltage_V": 0.8}),
    ("Strip at 1 mA/cm2 until 500 uAh/cm2",
     {"current_density_mA_cm2": 1.0, "capacity_mAh_cm2": 0.5}),
])
def test_lines(line, expected):
    step = only(line)
    assert step.pop("label") == " ".join(line.split()).rstrip(".")
    assert step == pytest.approx(expected, rel=1e-12)


def test_staircase_and_repeat_unroll():
    steps = parse_protocol([
        "Staircase from 0.1 mA/cm2 by 0.1 mA/cm2 to 0.3 mA/cm2, 0.5 mAh/cm2 per step, "
        "rest 5 min",
        "Repeat 2 times: [Strip at 0.2 mA/cm2 for 1 h, Rest for 10 min, "
        "Plate at 0.2 mA/cm2 for 1 h]",
        {"Repeat 3 times": ["Strip at 1 mA/cm2 for 1 s", "Plate at 1 mA/cm2 for 1 s"]},
    ])
    currents = [s["current_density_mA_cm2"] for s in steps]
    assert currents == pytest.approx([0.1, 0, 0.2, 0, 0.3, 0] + [0.2, 0, -0.2] * 2
                                     + [1, -1] * 3)
    assert [s["where"] for s in steps] == ["0"] * 6 + ["1.0", "1.1", "1.2"] * 2 + [
        "2.0", "2.1"] * 3
    assert steps[1]["duration_h"] == pytest.approx(5 / 60)
    assert steps[6]["label"].endswith("(cycle 1)") and steps[9]["label"].endswith("(cycle 2)")


def flat(steps) -> list[float]:
    return [x for s in steps for x in (s.current_density, s.duration)]


def test_staircase_with_plating_back():
    """Symmetric-cell CCD cycling: each stripping step plated back at the same current."""
    steps = parse_protocol(["Staircase from 0.1 mA/cm2 by 0.1 mA/cm2 to 0.2 mA/cm2, "
                            "0.5 mAh/cm2 per step, plate back, rest 1 min"])
    assert [s["current_density_mA_cm2"] for s in steps] == pytest.approx(
        [0.1, 0, -0.1, 0, 0.2, 0, -0.2, 0])
    assert all(s["capacity_mAh_cm2"] == 0.5 for s in steps[::2])
    with pytest.raises(ProtocolError, match="unknown staircase option 'plate forward'"):
        parse_protocol(["Staircase from 0.1 mA/cm2 by 0.1 mA/cm2 to 0.2 mA/cm2, 1 h per step, "
                        "plate forward"])


def test_lines_give_the_structured_steps():
    """A protocol written as lines and the same one written as steps (or a staircase) give
    identical SI steps."""
    lines = steps_of({"protocol": ["Strip at 0.2 mA/cm2 for 1 h", "Rest for 10 min",
                                   "Plate at 0.1 mA/cm2 for 0.5 mAh/cm2"], "cycles": 2})
    structured = steps_of({"steps": [
        {"current_density_mA_cm2": 0.2, "duration_h": 1},
        {"current_density_mA_cm2": 0, "duration_h": 1 / 6},
        {"current_density_mA_cm2": -0.1, "capacity_mAh_cm2": 0.5}], "cycles": 2})
    assert flat(lines) == pytest.approx(flat(structured), rel=1e-12)
    assert lines[2].duration == pytest.approx(0.5 * C_M2_PER_MAH_CM2 / (0.1 * A_M2_PER_MA_CM2))
    stair = steps_of({"protocol": ["Staircase from 0.05 mA/cm2 by 0.05 mA/cm2 to 0.2 "
                                   "mA/cm2, 0.5 mAh/cm2 per step, rest 6 min"]})
    stair2 = steps_of({"staircase": {"start_mA_cm2": 0.05, "step_mA_cm2": 0.05,
                                     "stop_mA_cm2": 0.2, "step_capacity_mAh_cm2": 0.5,
                                     "rest_h": 0.1}})
    assert flat(stair) == pytest.approx(flat(stair2), rel=1e-12)
    assert len(stair) == 8


def test_until_fields_reach_the_engine():
    (step,) = steps_of({"protocol": ["Strip at 0.5 mA/cm2 until 50 mV"], "until_max_h": 2})
    assert step.until_voltage == pytest.approx(0.05)
    assert step.duration == pytest.approx(2 * SECONDS_PER_HOUR)
    (step,) = steps_of({"steps": [{"current_density_mA_cm2": 1, "duration_h": 1,
                                   "until_contact_fraction": 0.3}]})
    assert step.until_contact_fraction == 0.3 and step.until_voltage is None


@pytest.mark.parametrize(("lines", "message"), [
    (["Rest for 1 h", "Strp at 0.2 mA/cm2 for 1 h"],
     r"^evolution\.protocol\.1: 'Strp at 0\.2 mA/cm2 for 1 h': unknown verb 'Strp'; "
     r"did you mean 'Strip'\? \(verbs: Strip, Plate, Rest, Staircase, Repeat\)$"),
    (["Dischrge at 1 mA/cm2 for 1 h"], r"protocol\.0: .*unknown verb 'Dischrge'"),
    (["Strip at 0.2 mA/cm for 1 h"],
     r"protocol\.0: .*unknown current density unit 'mA/cm'; did you mean 'mA/cm2'\?"),
    (["Strip at 0.2 mA/cm2 for 1 hz"], r"unknown time or capacity unit 'hz'; did you mean 'h'"),
    (["Strip at 0.2 mA/cm2"], r"give the step's length .* or an 'until' condition"),
    (["Rest for 0.5 mAh/cm2"], r"a rest passes no charge: give a time"),
    (["Strip at 0 mA/cm2 for 1 h"], r"the current density must be > 0"),
    (["Strip at 2000 mA/cm2 for 1 h"], r"protocol\.0: .*less than or equal to 1000"),
    (["Strip at 1 mA/cm2 for 1 h or until contact fraction 1.5"], r"must lie in \(0, 1\)"),
    (["Strip at 1 mA/cm2 for 1 h or until soon"], r"cannot read the condition 'soon'"),
    ([{"Repeat 2 times": ["Rest for 1 h", "Rest for 1 parsec"]}],
     r"protocol\.0\.1: 'Rest for 1 parsec': unknown time or capacity unit"),
    (["Repeat 20000 times: [Rest for 1 h]"], r"exceed the limit of 10000"),
    (["Staircase from 1 mA/cm2 by 1 mA/cm2 to 0.5 mA/cm2, 1 h per step"],
     r"ends \(0\.5 mA/cm²\) below its start"),
    (["Staircase from 1 mA/cm2 to 2 mA/cm2"], r"expected 'Staircase from <j0> by <dj>"),
    ([{"Repeat twice": ["Rest for 1 h"]}], r"expected 'Repeat <n> times'"),
])
def test_errors_name_the_line_and_the_cause(lines, message):
    data = copy.deepcopy(TINY)
    data["evolution"] = {"protocol": lines}
    with pytest.raises(ConfigError, match=message) as err:
        validate_case(data)
    assert "\n" not in str(err.value)


def test_protocol_and_steps_exclude_each_other():
    data = copy.deepcopy(TINY)
    data["evolution"] = {"protocol": ["Rest for 1 h"],
                         "steps": [{"current_density_mA_cm2": 0, "duration_h": 1}]}
    with pytest.raises(ConfigError, match="evolution.protocol: give protocol lines or steps"):
        validate_case(data)
    data["evolution"] = {"steps": [{"current_density_mA_cm2": 0, "duration_h": 1,
                                    "until_voltage_V": 0.1}]}
    with pytest.raises(ConfigError, match="a rest passes no current"):
        validate_case(data)


def test_parser_alone_reports_where():
    with pytest.raises(ProtocolError) as err:
        parse_protocol(["Rest for 1 h", {"Repeat 2 times": ["Plate at x mA/cm2 for 1 h"]}])
    assert err.value.where == "1.0"


def record(t: float, volts: float, contact: float = 1.0, current: float = 10.0,
           void: float = 0.0) -> Record:
    return Record(time=t, applied_current_density=current, cell_voltage=volts,
                  contact_fraction=contact, void_volume_per_area=void, max_gap=0.0,
                  hotspot_factor=1.0, max_local_current_density=current, li_stripped=0.0,
                  collector_recession=0.0, mass_balance_error=0.0)


def test_failure_criteria():
    limits = FailureCriteria(min_contact_fraction=0.1, max_voltage=1.0, max_void_volume=1e-5,
                             max_voltage_rate=1e-3, max_voltage_rise=5.0)
    first = record(0.0, 0.3)
    assert judge(record(10.0, 0.305), first, first, limits) is None
    lost = judge(record(10.0, 0.4, contact=0.05), first, first, limits)
    assert (lost.criterion, lost.interface) == ("contact_loss", True)
    assert lost.message.startswith("interface failure (contact loss): contact fraction 0.050")
    rate = judge(record(10.0, 0.35), first, record(9.0, 0.3), limits)  # 50 mV/s
    assert (rate.criterion, rate.interface) == ("voltage_rate", True)
    assert "|dV/dt| 50 mV/s beyond 1 mV/s" in rate.message
    low = record(0.0, 0.1)
    diverged = judge(record(10.0, 0.6), low, None, limits)
    assert (diverged.criterion, diverged.interface) == ("voltage_divergence", True)
    # the voltage cut-off: an intact cell at the cut-off, or an interface that failed
    intact = judge(record(0.0, 1.2), record(0.0, 1.2), None, limits)
    assert (intact.criterion, intact.interface) == ("voltage_cutoff", False)
    assert intact.message.startswith("voltage cut-off, interface intact: cell voltage 1.200 V")
    no_divergence = FailureCriteria(max_voltage=1.0)
    failed = judge(record(10.0, 1.2), record(0.0, 0.5), None, no_divergence)
    assert (failed.criterion, failed.interface) == ("voltage_cutoff", True)
    assert "after rising ×2.4 in the step" in failed.message
    voids = judge(record(10.0, 0.3, void=2e-5), first, first, limits)
    assert (voids.criterion, voids.interface) == ("void_runaway", True)
    rest = judge(record(10.0, 0.0, contact=0.0, current=0.0), first, first, limits)
    assert rest is None  # no current: no contact criterion, no voltage


def test_step_start():
    records = [record(t, 0.1) for t in (1.0, 2.0, 3.0, 4.0)]
    assert step_start(records, 2.0) == 2
    assert step_start(records, 4.0) == 4
    assert step_start(records, 0.0) == 0


@pytest.mark.parametrize("path", sorted((ROOT / "configs" / "experiments").glob("*.yaml")),
                         ids=lambda p: p.stem)
def test_experiment_protocol_files(path):
    """The protocol files that mirror published CCD experiments cite their source (a DOI)
    and unroll to a rising stripping staircase."""
    text = path.read_text()
    assert "doi:10." in text
    steps = protocol_steps(load_case(path).evolution)
    strips = [s.current_density for s in steps if s.current_density > 0]
    assert len(strips) > 5 and strips == sorted(strips)
