"""The Python API (docs/api.md): load, run and read results without the shell."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import lisse
from lisse.solver.errors import ConfigError
from tests.helpers import ROOT

SMALL = ["geometry.mesh.size_um=30", "geometry.mesh.interface_size_um=4",
         "geometry.mesh.edge_size_um=0.5"]


def test_run_from_a_file_and_a_dict_give_the_same_numbers(tmp_path):
    from_file = lisse.run(ROOT / "configs" / "demo.yaml", overrides=SMALL, output=tmp_path / "a")
    case = lisse.load_case(ROOT / "configs" / "demo.yaml", SMALL)
    from_dict = lisse.run(case.model_dump(mode="json"), output=tmp_path / "b")
    assert from_file.kind == "steady"
    assert from_file.summary["cell_voltage_V"] == from_dict.summary["cell_voltage_V"]
    assert from_file.folder == tmp_path / "a"
    assert (tmp_path / "a" / "summary.json").exists()
    assert {p.name for p in from_file.figures} >= {"interface_current.png",
                                                   "interface_current.pdf"}
    assert "interface.csv" in from_file.tables


def test_evolution_result_has_the_timeseries(tmp_path):
    case = lisse.load_case(ROOT / "configs" / "demo.yaml", [
        *SMALL, "evolution.steps=[{current_density_mA_cm2: 0.5, duration_h: 0.002}]",
        "evolution.interface_model=reduced",  # the API is tested, not the model: the fast one
        "output.fields=false"])
    result = lisse.run(case, output=tmp_path / "evo")
    assert result.kind == "evolution"
    t = result.timeseries["time_s"]
    assert t[-1] == pytest.approx(7.2) and np.all(np.diff(t) > 0)
    assert set(result.timeseries) >= {"cell_voltage_V", "contact_fraction"}


def test_bad_override_is_a_config_error():
    with pytest.raises(ConfigError, match="geometry.width_um"):
        lisse.load_case(ROOT / "configs" / "demo.yaml", ["geometry.width_um=-1"])


@pytest.mark.slow
def test_the_example_script_runs(tmp_path):
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "examples" /
                                                "api_current_sweep.py"), str(tmp_path)],
                          capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    rows = proc.stdout.strip().splitlines()[1:]
    voltages = [float(r.split()[1]) for r in rows]
    assert len(voltages) == 3 and voltages[0] < voltages[1] < voltages[2]


def test_readme_one_liner(tmp_path):
    """The issue's one-liner, from the repository (the demo folder goes to results/)."""
    code = ("import lisse; r = lisse.run('configs/demo.yaml', output=" + repr(str(tmp_path / "d"))
            + "); print(r.summary['cell_voltage_V'])")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=600, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert 0 < float(proc.stdout.strip().splitlines()[-1]) < 1
