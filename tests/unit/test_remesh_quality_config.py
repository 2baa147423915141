"""``evolution.remesh_quality`` (docs/config.md; solver.physics.li_remesh): the Li remeshing
trigger of the coupled model, dimensionless, default 0.25, 0 switches remeshing off; a value
outside [0, 1) is refused in one line naming the field (exit 2 from the CLI); a value other
than the default is refused with the reduced model (no Li mesh), the default is not; 3D cells
remesh too (``li_remesh_3d``; formerly refused)."""

from __future__ import annotations

import copy

import pytest
import yaml

from lisse.solver.config.schema import resolve, validate_case
from lisse.solver.errors import ConfigError, UserError
from lisse.solver.studies.model import check_supported
from tests.helpers import TINY, run_lisse

STEPS = [{"current_density_mA_cm2": 1.0, "capacity_mAh_cm2": 0.01}]


def _case(dimension: str = "plane", **evolution) -> dict:
    case = copy.deepcopy(TINY) | {"evolution": {"steps": STEPS, **evolution}}
    case["geometry"]["dimension"] = dimension
    if dimension == "3d":
        case["geometry"] |= {"depth_um": 40,
                             "voids": [{"center_um": [0, 0], "radius_um": 8, "height_um": 2}]}
    return case


def test_default_and_off():
    assert resolve(validate_case(_case())).evolution.remesh_quality == 0.25
    for value in (0, 0.5):
        params = resolve(validate_case(_case("axisymmetric", remesh_quality=value)))
        assert params.evolution.remesh_quality == value
        check_supported(params, "evolution")
    for value in (0, 0.25, 0.5):
        check_supported(resolve(validate_case(_case("3d", remesh_quality=value))), "evolution")


@pytest.mark.parametrize(("value", "message"), [(-0.1, ">= 0"), (1, "< 1"), (1.5, "< 1")])
def test_outside_the_range_is_a_config_error(value, message):
    with pytest.raises(ConfigError, match=rf"^evolution\.remesh_quality: must be {message} "
                       rf"\(got {value:g}\)$") as err:
        validate_case(_case(remesh_quality=value))
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(("dimension", "model", "message"), [
    ("plane", "reduced", "remeshes the coupled interface model's Li mesh"),
])
def test_refused_where_there_is_no_remeshing(dimension, model, message):
    params = resolve(validate_case(_case(dimension, remesh_quality=0.5, interface_model=model)))
    with pytest.raises(UserError, match=rf"^evolution\.remesh_quality: {message}") as err:
        check_supported(params, "evolution")
    assert "\n" not in str(err.value)


def test_cli_refuses_with_one_line_and_exit_2(tmp_path):
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump(_case(remesh_quality=1.0)))
    proc = run_lisse(["run", str(path), "-o", str(tmp_path / "out")])
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr
    assert "evolution.remesh_quality" in lines[0]
    assert not (tmp_path / "out").exists()
