"""``evolution.contact`` (frictionless | sticking): the default is frictionless; sticking is
the coupled model's option in 2D and 3D cells, refused in one line naming the field (exit 2)
with the reduced model; an unknown value is a config error."""

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


def _three_d(case: dict) -> dict:
    case["geometry"] |= {"dimension": "3d", "depth_um": 40,
                         "voids": [{"center_um": [0, 0], "radius_um": 8, "height_um": 2}]}
    return case


def test_default_is_frictionless_and_sticking_is_supported_in_2d_and_3d():
    assert resolve(validate_case(_case())).evolution.contact == "frictionless"
    for dimension in ("plane", "axisymmetric"):
        case = _case(contact="sticking")
        case["geometry"]["dimension"] = dimension
        params = resolve(validate_case(case))
        assert params.evolution.contact == "sticking"
        for kind in ("evolution", "ccd"):
            check_supported(params, kind)


@pytest.mark.parametrize("model", [None, "coupled"])
def test_sticking_supported_in_3d(model):
    """3D cells stick too (formerly refused), with the Li remeshing too (formerly refused:
    ``li_remesh_3d``)."""
    named = {} if model is None else {"interface_model": model}
    params = resolve(validate_case(_three_d(_case(contact="sticking", **named))))
    assert params.evolution.contact == "sticking" and params.geometry.dimension == "3d"
    for kind in ("evolution", "ccd"):
        check_supported(params, kind)
    coupled = resolve(validate_case(_three_d(_case(contact="sticking", stress_coupling=True,
                                                   **named))))
    check_supported(coupled, "evolution")  # stress coupling too (formerly refused in 3D)
    elastic = resolve(validate_case(_three_d(_case(
        contact="sticking", electrolyte_mechanics="elastic", **named))))
    check_supported(elastic, "evolution")  # the elastic electrolyte too (formerly refused)
    remeshed = resolve(validate_case(_three_d(_case(
        contact="sticking", remesh_quality=0.5, **named))))
    check_supported(remeshed, "evolution")


def test_sticking_refused_with_the_reduced_model():
    params = resolve(validate_case(_case(contact="sticking", interface_model="reduced")))
    for kind in ("evolution", "ccd"):
        with pytest.raises(UserError, match=r"^evolution\.contact: sticking is the coupled"):
            check_supported(params, kind)


def test_unknown_contact_is_a_config_error():
    with pytest.raises(ConfigError, match="contact"):
        validate_case(_case(contact="glued"))


def test_cli_refuses_reduced_sticking_with_one_line_and_exit_2(tmp_path):
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump(_case(contact="sticking", interface_model="reduced")))
    proc = run_lisse(["run", str(path), "-o", str(tmp_path / "out")])
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr
    assert lines[0].count("evolution.contact") == 1
    assert not (tmp_path / "out").exists()
