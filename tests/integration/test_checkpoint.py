"""Checkpoint and restart of evolution runs (docs/reliability.md): a run stopped by SIGTERM
writes a checkpoint, exits 3 with the command that resumes it, and the resumed run ends
identical to an uninterrupted one (every number of timeseries.csv, summary.json and
interface.csv but the wall time, to 1e-10), serially and under mpirun -n 2 (also resumed on
another number of ranks); a resume of a changed case is refused (exit 2); a local sweep
stopped by Ctrl-C records no failure for its cases in flight and completes when run again."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

from tests.helpers import BIN, ROOT, run_lisse

# a 2D plane cell stripped and rested twice (strip → rest → strip → rest: a resumed run
# crosses a cycle boundary): ~255 adaptive steps of a few ms each
CASE = {
    "name": "ckpt",
    "temperature_C": 25,
    "geometry": {
        "dimension": "plane", "width_um": 100, "lithium_thickness_um": 30,
        "electrolyte_thickness_um": 100,
        "voids": [{"center_um": 0, "radius_um": 20, "height_um": 2},
                  {"center_um": 70, "radius_um": 12, "height_um": 1}],
        "mesh": {"size_um": 30, "interface_size_um": 4, "edge_size_um": 0.5},
    },
    "interface": {"kinetics": "butler_volmer"},
    "counter_electrode": {"kinetics": "butler_volmer"},
    "protocol": {"mode": "galvanostatic", "current_density_mA_cm2": 0.5},
    "evolution": {
        "interface_model": "reduced",
        "steps": [{"current_density_mA_cm2": 0.1, "duration_h": 0.05, "label": "strip"},
                  {"current_density_mA_cm2": 0, "duration_h": 0.02, "label": "rest"}],
        "cycles": 2,
        "time_step": {"initial_s": 0.5, "max_s": 2},
        "checkpoint_every_steps": 1,
    },
    "output": {"directory": "ckpt", "fields": False, "plots": False},
}
TOL = 1e-10


def write_case(folder: Path, case: dict = CASE) -> Path:
    path = folder / "case.yaml"
    path.write_text(yaml.safe_dump(case, sort_keys=False))
    return path


def numbers(folder: Path) -> tuple[np.ndarray, dict, np.ndarray]:
    """timeseries.csv, summary.json without the wall time, interface.csv."""
    series = np.loadtxt(folder / "timeseries.csv", delimiter=",", skiprows=1)
    summary = json.loads((folder / "summary.json").read_text())
    summary.pop("wall_time_s")
    profiles = np.loadtxt(folder / "interface.csv", delimiter=",", skiprows=1)
    return series, summary, profiles


def assert_same_run(a: Path, b: Path) -> None:
    (sa, ja, pa), (sb, jb, pb) = numbers(a), numbers(b)
    assert sa.shape == sb.shape and len(sa) > 10
    np.testing.assert_allclose(sb, sa, rtol=TOL, atol=TOL)
    np.testing.assert_allclose(pb, pa, rtol=TOL, atol=TOL)
    assert ja.keys() == jb.keys()
    for key, value in ja.items():
        if isinstance(value, float):
            assert jb[key] == pytest.approx(value, rel=TOL, abs=TOL), key
        else:
            assert jb[key] == value, key


_REFERENCE: dict[str, Path] = {}


@pytest.fixture(scope="session")
def reference(tmp_path_factory) -> Path:
    """The uninterrupted serial run, once per session: test_checkpoint_searches.py imports
    this fixture (a fixture of its own to pytest), and both take the run kept here."""
    if "full" not in _REFERENCE:
        folder = tmp_path_factory.mktemp("reference")
        write_case(folder)
        proc = run_lisse(["run", "case.yaml", "-o", "full", "--set",  # no checkpoints: faster
                          "evolution.checkpoint_every_steps=0"], cwd=folder)
        assert proc.returncode == 0, proc.stderr
        _REFERENCE["full"] = folder / "full"
    return _REFERENCE["full"]


def start(args: list[str], cwd: Path, n: int = 1) -> subprocess.Popen:
    cmd = [str(BIN / "lisse"), *args]
    if n > 1:
        cmd = [str(BIN / "mpirun"), "-n", str(n), *cmd]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


def wait_for(pattern: str, folder: Path, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not list(folder.glob(pattern)):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, f"no {pattern} in {timeout} s"
        time.sleep(0.02)


def interrupt(folder: Path, n: int = 1) -> subprocess.CompletedProcess:
    """Start ``lisse run case.yaml -o part`` (under mpirun -n n), send SIGTERM (to mpirun,
    which forwards it to the ranks) once the first checkpoint exists; returns the result."""
    proc = start(["run", "case.yaml", "-o", "part"], folder, n)
    wait_for(".part.partial/checkpoint.npz", folder, proc)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@pytest.mark.slow
def test_sigterm_checkpoint_resume_is_the_uninterrupted_run(tmp_path, reference):
    write_case(tmp_path)
    stopped = interrupt(tmp_path)
    assert stopped.returncode == 3, stopped.stderr
    last = stopped.stderr.strip().splitlines()[-1]
    assert last.startswith("lisse: interrupted at t = ")
    assert last.endswith("s; resume with: lisse run case.yaml --resume part")
    assert not (tmp_path / "part").exists()
    assert (tmp_path / ".part.partial" / "checkpoint.npz").is_file()

    changed = run_lisse(["run", "case.yaml", "--set", "geometry.width_um=90", "--resume",
                         "part"], cwd=tmp_path)
    assert changed.returncode == 2
    assert changed.stderr.strip() == ("lisse: error: --resume part: the case differs from "
                                      "the checkpointed one (geometry.width_um)")
    assert (tmp_path / ".part.partial" / "checkpoint.npz").is_file()  # kept

    resumed = run_lisse(["run", "case.yaml", "--resume", "part"], cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert_same_run(reference, tmp_path / "part")
    assert not (tmp_path / "part" / "checkpoint.npz").exists()
    assert not (tmp_path / ".part.partial").exists()


def test_resume_without_a_checkpoint_is_refused(tmp_path):
    write_case(tmp_path)
    proc = run_lisse(["run", "case.yaml", "--resume", "nothing"], cwd=tmp_path)
    assert proc.returncode == 2
    assert "--resume nothing: no checkpoint.npz in it or in its staging folder" in proc.stderr


def test_resume_restores_the_step_controller(tmp_path, monkeypatch):
    """A stop right after a step, then a failing solve in the first step after the resume:
    the cut-back needs the state before the last step and the halving bookkeeping from the
    checkpoint, and the resumed run ends as the uninterrupted one with the same failure."""
    from mpi4py import MPI

    from lisse.solver.config.schema import resolve, resolved_dict, validate_case
    from lisse.solver.errors import SolverError
    from lisse.solver.io.checkpoint import Interrupted, StopRequests
    from lisse.solver.physics.current import CurrentDistribution
    from lisse.solver.studies import evolution

    data = {**CASE, "evolution": {**CASE["evolution"], "cycles": 1, "steps": [
        {"current_density_mA_cm2": 0.1, "duration_h": 0.01, "label": "strip"}]}}
    case = validate_case(data)
    params, config = resolve(case), resolved_dict(case)
    original, calls = CurrentDistribution.solve, {"n": 0}

    def solve(self, mode, value):  # the 8th solve fails (counted over the resume too)
        calls["n"] += 1
        if calls["n"] == 8:
            raise SolverError("Newton diverged (injected)")
        return original(self, mode, value)

    class StopAfterSeven(StopRequests):  # as a SIGTERM during the 7th step
        @property
        def requested(self):
            return calls["n"] >= 7

        @requested.setter
        def requested(self, value):
            pass

    monkeypatch.setattr(CurrentDistribution, "solve", solve)
    whole = evolution.run_evolution(params, tmp_path / "whole", MPI.COMM_WORLD, config)
    calls["n"] = 0
    monkeypatch.setattr(evolution, "StopRequests", StopAfterSeven)
    with pytest.raises(Interrupted, match="interrupted at t = "):
        evolution.run_evolution(params, tmp_path / "part", MPI.COMM_WORLD, config)
    monkeypatch.setattr(evolution, "StopRequests", StopRequests)
    resumed = evolution.run_evolution(params, tmp_path / "part", MPI.COMM_WORLD, config,
                                      resume=tmp_path / "part")
    assert calls["n"] > 8  # the failure happened after the resume
    assert resumed["time_steps"] == whole["time_steps"]
    assert_same_run(tmp_path / "whole", tmp_path / "part")


@pytest.mark.slow
def test_mpi_sigterm_resume_on_two_and_one_ranks(tmp_path, reference):
    """Under mpirun -n 2 the ranks stop together; the checkpoint (gathered with the node
    coordinates) resumes on 2 ranks and on 1, both ending as the serial uninterrupted run."""
    write_case(tmp_path)
    stopped = interrupt(tmp_path, n=2)
    assert stopped.returncode == 3, stopped.stderr
    assert "lisse: interrupted at t = " in stopped.stderr
    shutil.copytree(tmp_path / ".part.partial", tmp_path / "copy")
    two = run_lisse(["run", "case.yaml", "--resume", "part"], n=2, cwd=tmp_path)
    assert two.returncode == 0, two.stderr
    one = run_lisse(["run", "case.yaml", "--resume", "copy", "-o", "serial"], cwd=tmp_path)
    assert one.returncode == 0, one.stderr
    assert_same_run(reference, tmp_path / "part")
    assert_same_run(reference, tmp_path / "serial")


@pytest.mark.slow
def test_interrupted_sweep_records_no_failure_and_completes(tmp_path, reference):
    """Ctrl-C (SIGINT to the process group) in a local pool of two evolution cases: exit 3,
    no failure.json, the cases in flight pending with a checkpoint (written by the wall-time
    interval); the re-run resumes them and the 25 °C case is the uninterrupted run."""
    base = {**CASE, "evolution": {**CASE["evolution"], "checkpoint_every_steps": 0,
                                  "checkpoint_interval_s": 0.05}}
    (tmp_path / "base.yaml").write_text(yaml.safe_dump(base, sort_keys=False))
    (tmp_path / "sweep.yaml").write_text(yaml.safe_dump(
        {"base": "base.yaml", "name": "ck", "grid": {"temperature_C": [25, 40]}}))
    args = ["sweep", "sweep.yaml", "-o", "sw", "--jobs", "2"]
    proc = start(args, tmp_path)
    wait_for("sw/cases/.*.partial/checkpoint.npz", tmp_path, proc)
    os.killpg(proc.pid, signal.SIGINT)  # as Ctrl-C: the pool and its workers
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 3, err
    assert "interrupted" in err
    assert not list((tmp_path / "sw" / "cases").glob("*/failure.json"))
    assert list((tmp_path / "sw" / "cases").glob(".*.partial/checkpoint.npz"))
    again = run_lisse(args, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "2 done, 0 failed, 0 pending" in again.stdout
    table = (tmp_path / "sw" / "sweep.csv").read_text().splitlines()
    case25 = next(line.split(",")[1] for line in table[1:] if ",25" in line)
    assert_same_run(reference, tmp_path / "sw" / "cases" / case25)


def test_checkpoint_keys_are_documented():
    text = (ROOT / "docs" / "reliability.md").read_text()
    for word in ("checkpoint_interval_s", "checkpoint_every_steps", "--resume",
                 "--signal=TERM@", "exit code 3"):
        assert word in text
