"""``output.interface_picture_times_h``: bad values are refused in one line naming the field
(``lisse validate`` exits 2); good ones resolve to seconds, increasing, each once."""

from __future__ import annotations

import copy
import math

import pytest
import yaml

from lisse.solver.config.schema import resolve, validate_case
from lisse.solver.errors import ConfigError
from tests.helpers import TINY, run_lisse

FIELD = "output.interface_picture_times_h"


def case(times, **evolution) -> dict:
    """TINY with the coupled model stripping 0.01 mAh/cm² at 1 mA/cm² (36 s = 0.01 h)."""
    c = copy.deepcopy(TINY)
    c["evolution"] = {"interface_model": "coupled", "stack_pressure_MPa": 2,
                      "steps": [{"current_density_mA_cm2": 1.0, "capacity_mAh_cm2": 0.01}]}
    c["evolution"] |= evolution
    c["output"] = c["output"] | {"interface_picture_times_h": times}
    return c


@pytest.mark.parametrize(("times", "message"), [
    ([0, -1], rf"^{FIELD}\.1: must be >= 0 \(got -1\)$"),
    ([math.nan], rf"^{FIELD}\.0: must be finite \(got nan\)$"),
    (0.005, rf"^{FIELD}: Input should be a valid list"),
    ([0, 0.02], rf"^{FIELD}\.1: 0\.02 h is after the end of the protocol \(0\.01 h\)$"),
    ([0] * 7, rf"^{FIELD}: .*at most 6"),
])
def test_bad_times_are_refused_in_one_line(times, message):
    with pytest.raises(ConfigError, match=message) as info:
        validate_case(case(times))
    assert "\n" not in str(info.value)


def test_refused_without_the_coupled_model():
    with pytest.raises(ConfigError, match=rf"^{FIELD}: .*interface_model: coupled"):
        validate_case(case([0], interface_model="reduced", supply={"creep": False}))
    no_evolution = case([0])
    del no_evolution["evolution"]
    with pytest.raises(ConfigError, match=rf"^{FIELD}: needs an evolution section"):
        validate_case(no_evolution)


def test_accepted_in_3d_cells():
    """3D cells draw maps of the interface plane (solver.io.interface_maps): the key is
    accepted and resolves as in 2D."""
    cube = case([0.01, 0])
    cube["geometry"] |= {"dimension": "3d", "voids": [], "depth_um": 40}
    assert resolve(validate_case(cube)).output.interface_picture_times == (0.0, 36.0)


def test_times_resolve_to_seconds_sorted_once():
    params = resolve(validate_case(case([0.01, 0, 0.005, 0.01])))
    assert params.output.interface_picture_times == (0.0, 18.0, 36.0)
    assert resolve(validate_case(case([]))).output.interface_picture_times == ()


def test_cli_exits_2_with_one_line(tmp_path):
    (tmp_path / "case.yaml").write_text(yaml.safe_dump(case([-0.5])))
    proc = run_lisse(["validate", "case.yaml"], cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"lisse: error: {FIELD}.0: must be >= 0 (got -0.5)"]
