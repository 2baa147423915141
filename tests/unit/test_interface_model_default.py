"""The default interface model (docs/interface_models.md): an evolution case runs the coupled
model unless it names ``evolution.interface_model: reduced``; the supply defaults follow the
model; an option only the reduced model has, asked for without naming the model, is refused
with one line naming the field and the way out; every shipped config with an evolution
section passes the refusals (those that need the reduced model name it, with a comment)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from lisse.solver.config.schema import load_case, resolve, resolved_dict, validate_case
from lisse.solver.errors import UserError
from lisse.solver.studies.model import check_supported
from tests.helpers import ROOT, TINY, run_lisse

STEPS = [{"current_density_mA_cm2": 1.0, "capacity_mAh_cm2": 0.01}]
HINT = "set evolution.interface_model: reduced"


def _case(evolution: dict, **sections) -> dict:
    return copy.deepcopy(TINY) | {"evolution": {"steps": STEPS, **evolution}} | sections


def test_plain_evolution_runs_coupled_with_creep_and_no_vacancy_route():
    case = validate_case(_case({}))
    assert case.evolution.interface_model == "coupled"
    assert case.evolution.supply.creep is True and case.evolution.supply.vacancy is False
    params = resolve(case)
    assert params.evolution.creep is not None and params.evolution.vacancy is None
    for kind in ("evolution", "ccd"):
        check_supported(params, kind)
    # config_resolved.yaml names the model and the supply it used
    data = resolved_dict(case)["evolution"]
    assert data["interface_model"] == "coupled"
    assert data["supply"]["creep"] is True and data["supply"]["vacancy"] is False


def test_named_reduced_keeps_its_defaults():
    case = validate_case(_case({"interface_model": "reduced"}))
    assert case.evolution.supply.creep is False and case.evolution.supply.vacancy is True
    check_supported(resolve(case), "evolution")


@pytest.mark.parametrize("evolution,sections,field", [
    ({"supply": {"vacancy": True}}, {}, "evolution.supply.vacancy"),
    ({"supply": {"creep_closure": "creep_field"}}, {}, "evolution.supply.creep_closure"),
    ({"stack_pressure_MPa": 0}, {}, "evolution.stack_pressure_MPa"),
    ({}, {"mechanics": {"enabled": True, "stack_pressure_MPa": 2}}, "mechanics.enabled"),
    ({}, {"microstructure": {"interlayer": {"thickness_um": 1,
                                            "ionic_conductivity_S_cm": 1e-5}}},
     "microstructure.interlayer"),
], ids=["vacancy", "creep-field", "no-pressure", "mechanics", "interlayer"])
def test_reduced_only_option_without_a_named_model_is_refused(evolution, sections, field):
    params = resolve(validate_case(_case(evolution, **sections)))
    for kind in ("evolution", "ccd"):
        with pytest.raises(UserError) as info:
            check_supported(params, kind)
        message = str(info.value)
        assert message.startswith(f"{field}: not supported by the coupled interface model, "
                                  "the default"), message
        assert HINT in message and "\n" not in message
    # named, the reduced model runs it; named coupled, the refusal has no hint
    named = _case(evolution, **sections)
    named["evolution"]["interface_model"] = "reduced"
    check_supported(resolve(validate_case(named)), "evolution")
    named["evolution"]["interface_model"] = "coupled"
    with pytest.raises(UserError) as info:
        check_supported(resolve(validate_case(named)), "evolution")
    assert HINT not in str(info.value)


def test_3d_remeshing_trigger_runs_with_the_default_model():
    """A Li remeshing trigger in 3D (formerly refused, with no hint: the reduced model has
    no Li mesh either) runs with the default coupled model (``li_remesh_3d``)."""
    case = _case({"remesh_quality": 0.5})
    case["geometry"] |= {"dimension": "3d", "depth_um": 40,
                         "voids": [{"center_um": [0, 0], "radius_um": 8, "height_um": 2}]}
    check_supported(resolve(validate_case(case)), "evolution")


def test_cli_refuses_with_one_line_and_exit_2(tmp_path):
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump(_case({"supply": {"vacancy": True}})))
    proc = run_lisse(["run", str(path), "-o", str(tmp_path / "out")])
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr
    assert "evolution.supply.vacancy" in lines[0] and HINT in lines[0]
    assert not (tmp_path / "out").exists()


SHIPPED = sorted(p for p in (ROOT / "configs").rglob("*.yaml")
                 if "evolution" in (yaml.safe_load(p.read_text()) or {}))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT / "configs")))
def test_shipped_evolution_configs_pass_the_model_refusals(path: Path):
    """Each shipped case with an evolution section is accepted by `lisse run` and `lisse ccd`;
    one that needs the reduced model names it, with a comment line saying why; one with the
    elastic electrolyte (an output of `lisse run` only) has a comment line "# lisse run only:"
    right above it and is refused by `lisse ccd` naming that field."""
    params = resolve(load_case(path))
    check_supported(params, "evolution")
    lines = path.read_text().splitlines()
    if params.evolution.electrolyte_mechanics == "elastic":
        k = next(i for i, line in enumerate(lines) if "electrolyte_mechanics: elastic" in line)
        assert lines[k - 1].strip().startswith("# lisse run only:"), path
        with pytest.raises(UserError, match="^evolution.electrolyte_mechanics: elastic"):
            check_supported(params, "ccd")
    else:
        check_supported(params, "ccd")
    if params.evolution.interface_model == "reduced":
        k = next(i for i, line in enumerate(lines) if "interface_model: reduced" in line)
        assert lines[k - 1].strip().startswith("# reduced:"), path
    assert SHIPPED, "no shipped evolution configs found"


def test_interrupted_sweep_case_resumes_coupled_only_from_its_li_state(monkeypatch, tmp_path):
    """A sweep case with a checkpoint goes on from it: a reduced one always, a coupled one if
    the checkpoint holds the Li body state (studies/coupled_checkpoint.py) written on this
    number of ranks; otherwise (written by an earlier lisse, or on other ranks) it starts
    over instead of failing on the refused --resume."""
    import json
    from types import SimpleNamespace

    import numpy as np
    from mpi4py import MPI

    from lisse.solver.io import checkpoint
    from lisse.solver.studies import dispatch, sweep

    comm, seen = MPI.COMM_WORLD, {}
    metas = {"reduced": {}, "coupled": {"coupled": {"body_time": 0.1}, "ranks": comm.size},
             "coupled_other_ranks": {"coupled": {"body_time": 0.1}, "ranks": comm.size + 1},
             "coupled_earlier": {}}

    def run_case(params, folder, comm, config, argv, resume=None):
        seen[folder.name] = resume
        return {}

    monkeypatch.setattr(checkpoint, "location", lambda folder: folder / checkpoint.NAME)
    monkeypatch.setattr(dispatch, "run_case", run_case)
    for name, meta in metas.items():
        (tmp_path / name).mkdir()
        np.savez(tmp_path / name / checkpoint.NAME, meta=np.array(json.dumps(meta)))
        model = name.split("_")[0]
        case = SimpleNamespace(case=validate_case(_case({"interface_model": model})))
        folders = SimpleNamespace(case_dir=lambda c, m=name: tmp_path / m)
        assert sweep.run_one(folders, case, comm)["status"] == "done"
    assert seen == {"reduced": tmp_path / "reduced", "coupled": tmp_path / "coupled",
                    "coupled_other_ranks": None, "coupled_earlier": None}
