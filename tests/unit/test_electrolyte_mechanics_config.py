"""``evolution.electrolyte_mechanics`` (rigid | elastic): rigid by default; elastic is the
coupled model's option in evolution runs (plane strain, axisymmetric and 3D cells), refused in
one line naming the field (exit 2) with the reduced model and in CCD searches; an unknown value
is a config error."""

from __future__ import annotations

import copy

import pytest
import yaml

from lisse.solver.config.schema import resolve, validate_case
from lisse.solver.errors import ConfigError, UserError
from lisse.solver.studies.model import check_supported
from tests.helpers import TINY, run_lisse

STEPS = [{"current_density_mA_cm2": 1.0, "capacity_mAh_cm2": 0.01}]


def _case(**evolution) -> dict:
    return copy.deepcopy(TINY) | {"evolution": {"steps": STEPS, **evolution}}


def test_default_is_rigid_and_elastic_runs_in_2d():
    assert resolve(validate_case(_case())).evolution.electrolyte_mechanics == "rigid"
    for dimension in ("plane", "axisymmetric"):
        case = _case(electrolyte_mechanics="elastic")
        case["geometry"]["dimension"] = dimension
        params = resolve(validate_case(case))
        assert params.evolution.electrolyte_mechanics == "elastic"
        check_supported(params, "evolution")


@pytest.mark.parametrize(("evolution", "kind", "message"), [
    ({"interface_model": "reduced"}, "evolution", "elastic loads the electrolyte"),
    ({}, "ccd", "elastic is an output of evolution runs"),
])
def test_elastic_refused(evolution, kind, message):
    params = resolve(validate_case(_case(electrolyte_mechanics="elastic", **evolution)))
    with pytest.raises(UserError, match=rf"^evolution\.electrolyte_mechanics: {message}"):
        check_supported(params, kind)


@pytest.mark.parametrize("model", [None, "coupled"])
def test_elastic_runs_in_3d(model):
    named = {} if model is None else {"interface_model": model}
    case = _case(electrolyte_mechanics="elastic", **named)
    case["geometry"] |= {"dimension": "3d", "depth_um": 40,
                         "voids": [{"center_um": [0, 0], "radius_um": 8, "height_um": 2}]}
    params = resolve(validate_case(case))
    assert params.evolution.interface_model == "coupled"
    check_supported(params, "evolution")


def test_unknown_value_is_a_config_error():
    with pytest.raises(ConfigError, match="electrolyte_mechanics"):
        validate_case(_case(electrolyte_mechanics="plastic"))


def test_cli_refuses_reduced_elastic_with_one_line_and_exit_2(tmp_path):
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump(_case(electrolyte_mechanics="elastic",
                                         interface_model="reduced")))
    proc = run_lisse(["run", str(path), "-o", str(tmp_path / "out")])
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr
    assert lines[0].count("evolution.electrolyte_mechanics") == 1
    assert not (tmp_path / "out").exists()
