"""Sweep files without solving: expansion (grid, ranges, zip, random), stable case ids, the
shipped example sweep, and the progress display."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import yaml

from lisse.solver.io.progress import Progress
from lisse.solver.studies.sweep_file import load_sweep
from tests.helpers import ROOT
from tests.integration.test_sweep import BASE


def expand(folder: Path, **sweep) -> list:
    """The cases of a sweep ``{base: BASE, name: tc, **sweep}`` written in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "base.yaml").write_text(yaml.safe_dump(BASE))
    path = folder / "sweep.yaml"
    path.write_text(yaml.safe_dump({"base": "base.yaml", "name": "tc", **sweep}, sort_keys=False))
    return load_sweep(path).cases


def test_grid_ranges_and_zip(tmp_path):
    cases = expand(
        tmp_path,
        grid={
            "temperature_C": {"start": 0, "stop": 60, "num": 4},
            "protocol.current_density_mA_cm2": {"start": 0.1, "stop": 0.5, "step": 0.2},
        },
        zip={"geometry.voids.0.radius_um": [4, 6], "geometry.voids.0.height_um": [1, 1.5]},
    )
    assert len(cases) == 4 * 3 * 2
    assert [c.values["temperature_C"] for c in cases[::6]] == [0, 20, 40, 60]
    assert [c.values["protocol.current_density_mA_cm2"] for c in cases[:6:2]] == [0.1, 0.3, 0.5]
    assert [
        (c.values["geometry.voids.0.radius_um"], c.values["geometry.voids.0.height_um"])
        for c in cases[:2]
    ] == [(4, 1), (6, 1.5)]
    last = cases[-1].case
    assert (last.temperature_C, last.protocol.current_density_mA_cm2) == (60, 0.5)
    assert (last.geometry.voids[0].radius_um, last.geometry.voids[0].height_um) == (6, 1.5)
    assert last.geometry.voids[1].radius_um == 5  # untouched base value


def test_random_samples_are_seeded(tmp_path):
    spec = {
        "samples": 5,
        "seed": 3,
        "values": {
            "interface.exchange_current_density_mA_cm2": {"loguniform": [1, 10]},
            "temperature_C": {"uniform": [0, 60]},
            "materials.electrolyte": {"choice": ["LLZO", "Li6PS5Cl"]},
        },
    }
    first = expand(tmp_path / "a", random=spec)
    again = expand(tmp_path / "b", random=spec)
    other = expand(tmp_path / "c", random={**spec, "seed": 4})
    assert [c.values for c in first] == [c.values for c in again]
    assert [c.case_id for c in first] == [c.case_id for c in again]
    assert [c.values for c in first] != [c.values for c in other]
    for c in first:
        assert 1 <= c.values["interface.exchange_current_density_mA_cm2"] <= 10
        assert 0 <= c.values["temperature_C"] <= 60
        assert c.case.materials.electrolyte.name == c.values["materials.electrolyte"]


def test_case_ids_depend_on_the_case_only(tmp_path):
    grid = {"temperature_C": [0, 25], "protocol.current_density_mA_cm2": [0.5, 1]}
    ids = {tuple(c.values.values()): c.case_id for c in expand(tmp_path / "a", grid=grid)}
    swapped = expand(
        tmp_path / "b",
        grid=dict(reversed(grid.items())),
        name="other",
        output=str(tmp_path / "elsewhere"),
    )
    assert {tuple(reversed(c.values.values())): c.case_id for c in swapped} == ids
    assert len(set(ids.values())) == 4
    # a value written through `set` gives the same case as the base holding it
    fixed = expand(
        tmp_path / "c", grid={"temperature_C": [0]}, set={"protocol.current_density_mA_cm2": 0.5}
    )
    assert fixed[0].case_id == ids[(0, 0.5)]
    case = fixed[0].case
    assert case.name == f"tc-{fixed[0].case_id}"
    assert Path(case.output.directory).parts[-2:] == ("cases", fixed[0].case_id)


@pytest.mark.parametrize(
    "sweep, message",
    [
        ({"grid": {"temperature_C": [0, 0]}}, "cases 0 and 1 are the same case"),
        (
            {"zip": {"temperature_C": [0, 1], "protocol.current_density_mA_cm2": [1]}},
            "zip: the lists must have one length",
        ),
        ({"grid": {"temperature_C": {"start": 0, "stop": 10}}}, "a range needs start, stop and"),
        (
            {"grid": {"temperature_C": {"start": 0, "stop": 10, "step": -1}}},
            "grid.temperature_C.step",
        ),
        (
            {"random": {"samples": 2, "values": {"temperature_C": {"uniform": [0, 1]}}}},
            "random.seed: must be an integer >= 0",
        ),
        (
            {"random": {"samples": 2, "seed": 0, "values": {"temperature_C": {"normal": [0, 1]}}}},
            "random.values.temperature_C: must be one of",
        ),
        ({"grid": {"seed": ["3 um"]}}, "grid.seed: seed has no unit"),
        (
            {"grid": {"temperature_C": 25}},
            "grid.temperature_C: must be a list of values or a range",
        ),
    ],
)
def test_bad_expansions_name_the_field(tmp_path, sweep, message):
    from lisse.solver.errors import ConfigError

    with pytest.raises(ConfigError) as error:
        expand(tmp_path, **sweep)
    assert message in str(error.value)


def test_missing_base_and_file(tmp_path):
    from lisse.solver.errors import ConfigError, UserError

    path = tmp_path / "s.yaml"
    path.write_text("grid: {temperature_C: [0]}\n")
    with pytest.raises(ConfigError, match="base: required"):
        load_sweep(path)
    with pytest.raises(UserError, match="no such sweep file"):
        load_sweep(tmp_path / "none.yaml")
    path.write_text("base: missing.yaml\ngrid: {temperature_C: [0]}\n")
    with pytest.raises(UserError, match="missing.yaml: no such case file"):
        load_sweep(path)


def test_shipped_example_sweep_is_valid():
    sweep = load_sweep(ROOT / "configs/sweeps/demo_current_temperature.yaml")
    assert len(sweep.cases) == 12
    assert sweep.parameters == ["temperature_C", "protocol.current_density_mA_cm2"]


class _Rank:
    def __init__(self, rank: int):
        self.rank = rank


def test_progress_plain_lines_and_rank():
    log = io.StringIO()
    progress = Progress("sweep", total=3, stream=log, log_interval=0.0)
    progress.status(case="0 abc", newton=2)
    progress.advance(message="case 0 done")
    progress.advance()
    progress.close()
    lines = log.getvalue().splitlines()
    assert lines[0].startswith("sweep  0/3  ") and lines[0].endswith("case 0 abc  newton 2")
    assert lines[1] == "sweep: case 0 done"
    assert lines[2].startswith("sweep  2/3  ")
    assert "\r" not in log.getvalue()

    quiet = io.StringIO()
    other = Progress("run", total=2, comm=_Rank(1), stream=quiet)
    other.status(step=1)
    other.advance(message="x")
    other.close()
    Progress.quiet().advance(message="nothing")
    assert quiet.getvalue() == ""


def test_pressure_by_current_grid(tmp_path):
    """The issue's example: stack pressures (MPa) x current densities, units in strings."""
    cases = expand(
        tmp_path,
        grid={
            "mechanics.stack_pressure_MPa": [0.5, "1 MPa", 3, 7],
            "protocol.current_density_mA_cm2": [0.5, 1, "2 mA/cm²"],
        },
    )
    assert len(cases) == 12 and len({c.case_id for c in cases}) == 12
    assert [c.case.mechanics.stack_pressure_MPa for c in cases[::3]] == [0.5, 1, 3, 7]
    assert [c.case.protocol.current_density_mA_cm2 for c in cases[:3]] == [0.5, 1, 2]
