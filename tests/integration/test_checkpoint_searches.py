"""Checkpoint and restart of CCD searches and studies (docs/reliability.md): a search
stopped during a trial keeps its finished trials (``trials.json`` in the staging folder),
exits 3 with the command that resumes it, and ``lisse ccd --resume`` ends with the same CCD
and the same trial table as an uninterrupted search (to 1e-10), serially and under
``mpirun -n 2``; a study stopped between its points keeps them (``points.json``) and
``lisse study --resume`` ends with the uninterrupted study's tables; a resume of another case
is refused (exit 2) and leaves the log as it was."""

from __future__ import annotations

import csv
import json
import signal
import time
from pathlib import Path

import pytest
import yaml

import lisse
from lisse.solver.errors import UserError
from lisse.solver.io.checkpoint import Interrupted, StopRequests
from tests.helpers import ROOT, SMALL_VOID_CELL, run_lisse
from tests.integration.test_checkpoint import (  # noqa: F401  (reference: a fixture)
    CASE,
    assert_same_run,
    reference,
    start,
)

TOL = 1e-10
# a small plane cell with one void; 12 trials of a few hundred time steps each
CCD_CASE = {
    "name": "cell",
    **SMALL_VOID_CELL,
    "output": {"fields": False, "plots": False},
    "evolution": {
        "interface_model": "reduced",
        "supply": {"creep": False, "vacancy": True},
        "ccd": {"capacity_mAh_cm2": 0.05, "start_mA_cm2": 0.5, "max_mA_cm2": 1000,
                "rtol": 0.3},
    },
}
VARY = "evolution.stack_pressure_MPa=0,2"
# for the signal tests: time steps of at most 0.5 s, so that the trials last long enough
# for a signal to arrive during one (the second trial, at 4 mA/cm², is 90 steps); the
# search starts at 2 mA/cm² (10 trials, the same bracket as from 0.5 mA/cm² on the same
# doubling grid, without the 0.5 and 1 mA/cm² trials' 1080 steps): about 3 s serially
SLOW_CASE = {**CCD_CASE, "evolution": {
    **CCD_CASE["evolution"], "time_step": {"initial_s": 0.5, "max_s": 0.5},
    "ccd": {**CCD_CASE["evolution"]["ccd"], "start_mA_cm2": 2}}}
STUDY = ROOT / "configs" / "studies" / "debonded_patch.yaml"
STUDY_SET = [  # two points (sticking contact, ā = 0.3 and 3) on a small cell
    "sweep.abar=[0.3,3]", "sweep.creep_exponents=[5]", "sweep.contacts=[sticking]",
    "cell.width_ratio=5", "cell.lithium_thickness_ratio=5", "cell.electrolyte_thickness_ratio=5",
    "mesh.interface_size_ratio=0.1", "mesh.edge_size_ratio=0.004", "mesh.flow_mesh_scale=1",
]


def ccd_numbers(folder: Path) -> tuple[list[dict], list[list[str]]]:
    """ccd.json's results and the rows of ccd_trials.csv."""
    results = json.loads((folder / "ccd.json").read_text())["results"]
    with open(folder / "ccd_trials.csv", newline="") as fh:
        rows = list(csv.reader(fh))
    return results, rows


def assert_same_search(a: Path, b: Path) -> None:
    """The same CCDs, brackets and trial tables (numbers to 1e-10, the rest equal)."""
    (ra, ta), (rb, tb) = ccd_numbers(a), ccd_numbers(b)
    assert len(ra) == len(rb) and len(ta) == len(tb) > 3
    for x, y in zip(ra, rb, strict=True):
        assert y["ccd_mA_cm2"] == pytest.approx(x["ccd_mA_cm2"], rel=TOL)
        assert y["bracket_mA_cm2"] == pytest.approx(x["bracket_mA_cm2"], rel=TOL)
        assert (y["failure_mode"], y["trials"], y["value"]) == \
            (x["failure_mode"], x["trials"], x["value"])
    assert ta[0] == tb[0]
    assert ta[0][1:] == ["trial", "current_density_mA_cm2", "survived", "failure_mode",
                         "failure_time_s"]
    for x, y in zip(ta[1:], tb[1:], strict=True):
        assert (y[0], y[1], y[3], y[4]) == (x[0], x[1], x[3], x[4])
        assert float(y[2]) == pytest.approx(float(x[2]), rel=TOL)
        assert (y[5] == "") == (x[5] == "")
        if x[5]:
            assert float(y[5]) == pytest.approx(float(x[5]), rel=TOL)


def logged(folder: Path, name: str = "trials.json") -> dict:
    return json.loads((folder / name).read_text())


@pytest.fixture(scope="module")
def signal_reference(tmp_path_factory) -> Path:
    """The uninterrupted search of SLOW_CASE, in-process."""
    folder = tmp_path_factory.mktemp("ccd")
    (folder / "case.yaml").write_text(yaml.safe_dump(SLOW_CASE))
    lisse.ccd(folder / "case.yaml", output=folder / "full")
    return folder / "full"


class StopAt(StopRequests):
    """A stop request at the ``at``-th check (as a SIGTERM then): ``at`` counts the checks
    of all instances (the time steps of the trials and the ends of the trials or points)."""

    at, reads = 0, 0

    @property
    def requested(self) -> bool:
        StopAt.reads += 1
        return StopAt.reads >= StopAt.at

    @requested.setter
    def requested(self, value) -> None:
        pass


@pytest.mark.slow
def test_ccd_stop_during_a_trial_then_resume(tmp_path, monkeypatch):
    """A stop request in the middle of a trial of the second case of --vary: the finished
    trials are kept and the one in flight dropped; the resumed search is the uninterrupted
    one; a resume with another case is refused and keeps the log."""
    from lisse.solver.studies import ccd

    (tmp_path / "case.yaml").write_text(yaml.safe_dump(CCD_CASE))
    StopAt.reads, StopAt.at = 0, 10**9
    monkeypatch.setattr(ccd, "StopRequests", StopAt)
    lisse.ccd(tmp_path / "case.yaml", vary=VARY, output=tmp_path / "full")
    results, table = ccd_numbers(tmp_path / "full")
    first = results[0]["trials"]
    StopAt.at, StopAt.reads = StopAt.reads * 3 // 4, 0  # in the second case's search
    with pytest.raises(Interrupted, match=r"interrupted during the CCD trial at .* mA/cm² "
                                          r"\(\d+ finished trial\(s\) kept\)"):
        lisse.ccd(tmp_path / "case.yaml", vary=VARY, output=tmp_path / "part")
    monkeypatch.setattr(ccd, "StopRequests", StopRequests)
    stage = tmp_path / ".part.partial"
    log = logged(stage)
    assert not (tmp_path / "part").exists()
    assert len(log["cases"][0]) == first and 0 < len(log["cases"][1]) < results[1]["trials"]
    with pytest.raises(UserError, match=r"--resume .*part: the case differs from the "
                                        r"checkpointed one \(evolution.ccd.rtol\)"):
        lisse.ccd(tmp_path / "case.yaml", ["evolution.ccd.rtol=0.2"], vary=VARY,
                  resume=tmp_path / "part")
    with pytest.raises(UserError, match=r"\(--vary\)"):
        lisse.ccd(tmp_path / "case.yaml", vary="evolution.stack_pressure_MPa=0,2,4",
                  resume=tmp_path / "part")
    assert logged(stage) == log  # kept as it was
    result = lisse.ccd(tmp_path / "case.yaml", vary=VARY, resume=tmp_path / "part")
    assert result.folder == tmp_path / "part"
    assert_same_search(tmp_path / "full", tmp_path / "part")
    assert not (tmp_path / "part" / "trials.json").exists()
    assert not stage.exists()


def test_ccd_resume_without_a_log_is_refused(tmp_path, monkeypatch, capsys):
    from lisse.solver.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "case.yaml").write_text(yaml.safe_dump(CCD_CASE))
    (tmp_path / "done").mkdir()
    assert main(["ccd", "case.yaml", "--resume", "done"]) == 2
    assert capsys.readouterr().err.strip() == ("lisse: error: --resume done: no trials.json "
                                   "in it or in its staging folder (a CCD search writes one "
                                   "there after every trial)")


def interrupt_ccd(folder: Path, sig: int, n: int = 1):
    """``lisse ccd case.yaml -o part`` of SLOW_CASE (under mpirun -n n), stopped by ``sig``
    once the first trial is logged; returns (exit code, stderr)."""
    (folder / "case.yaml").write_text(yaml.safe_dump(SLOW_CASE))
    proc = start(["ccd", "case.yaml", "-o", "part"], folder, n)
    log, deadline = folder / ".part.partial" / "trials.json", time.monotonic() + 600
    while True:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "no finished trial in 600 s"
        try:
            if logged(log.parent)["cases"][0]:
                break
        except (OSError, ValueError):
            pass
        time.sleep(0.02)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    return proc.returncode, err


@pytest.mark.slow
def test_ccd_sigint_serial_resume_is_the_uninterrupted_search(tmp_path, signal_reference):
    """Ctrl-C (SIGINT) while a trial runs: exit 3, one line with the resume command, the
    finished trials in the log; ``lisse ccd --resume`` ends as the uninterrupted search."""
    code, err = interrupt_ccd(tmp_path, signal.SIGINT)
    assert code == 3, err
    last = err.strip().splitlines()[-1]
    assert last.startswith("lisse: interrupted during the CCD trial at "), err
    assert last.endswith("resume with: lisse ccd case.yaml --resume part")
    assert logged(tmp_path / ".part.partial")["cases"][0]
    resumed = run_lisse(["ccd", "case.yaml", "--resume", "part"], cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert_same_search(signal_reference, tmp_path / "part")


@pytest.mark.slow
def test_ccd_mpi_sigterm_resume_is_the_uninterrupted_search(tmp_path, signal_reference):
    """SIGTERM to ``mpirun -n 2`` during a trial: the ranks stop together (exit 3); resumed
    under ``mpirun -n 2`` the search ends as the serial uninterrupted one (to 1e-10)."""
    code, err = interrupt_ccd(tmp_path, signal.SIGTERM, n=2)
    assert code == 3, err
    assert "lisse: interrupted during the CCD trial at " in err
    resumed = run_lisse(["ccd", "case.yaml", "--resume", "part"], n=2, cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert_same_search(signal_reference, tmp_path / "part")


@pytest.mark.slow
def test_study_stop_between_points_then_resume(tmp_path, monkeypatch):
    """A stop request during the study: the point in flight finishes and is logged, the
    study stops (Interrupted); the resumed study solves only the other point and its tables
    equal the uninterrupted study's; a resume of another study is refused."""
    from lisse.solver.io import checkpoint
    from lisse.solver.physics import patch_flow

    lisse.study(STUDY, STUDY_SET, output=tmp_path / "full")
    monkeypatch.setattr(checkpoint, "StopRequests", StopAt)
    StopAt.reads, StopAt.at = 0, 1
    with pytest.raises(Interrupted, match=r"interrupted after 1 of 2 study points"):
        lisse.study(STUDY, STUDY_SET, output=tmp_path / "part")
    monkeypatch.setattr(checkpoint, "StopRequests", StopRequests)
    stage = tmp_path / ".part.partial"
    assert [p["abar"] for p in logged(stage, "points.json")["points"]] == [0.3]
    with pytest.raises(UserError, match=r"the study differs from the checkpointed one "
                                        r"\(sweep.abar\)"):
        lisse.study(STUDY, [*STUDY_SET, "sweep.abar=[0.3,4]"], resume=tmp_path / "part")
    solved = []
    original = patch_flow.exponent_sweep

    def counted(flow, flux, *args):
        solved.append(flux.abar)
        return original(flow, flux, *args)

    monkeypatch.setattr(patch_flow, "exponent_sweep", counted)
    lisse.study(STUDY, STUDY_SET, resume=tmp_path / "part")
    assert solved == [3.0]  # the logged point is taken, not solved again
    full, part = tmp_path / "full", tmp_path / "part"
    assert (part / "patch_study.csv").read_text() == (full / "patch_study.csv").read_text()
    a, b = (json.loads((f / "patch_study.json").read_text()) for f in (full, part))
    assert a == b
    assert not (part / "points.json").exists() and not stage.exists()


@pytest.mark.slow
def test_mpi_sweep_groups_sigterm_leaves_cases_pending(tmp_path, reference):  # noqa: F811
    """SIGTERM to ``mpirun -n 2 lisse sweep`` (two groups, one evolution case each, both in
    their time loops): exit 3 with one line, no failure recorded, both cases pending with
    their checkpoints; the same command again completes them, the 25 °C case equal to the
    uninterrupted run (to 1e-10)."""
    base = {**CASE, "evolution": {**CASE["evolution"], "checkpoint_every_steps": 0,
                                  "checkpoint_interval_s": 0.05}}
    (tmp_path / "base.yaml").write_text(yaml.safe_dump(base, sort_keys=False))
    (tmp_path / "sweep.yaml").write_text(yaml.safe_dump(
        {"base": "base.yaml", "name": "ck", "grid": {"temperature_C": [25, 40]}}))
    args = ["sweep", "sweep.yaml", "-o", "sw"]
    proc = start(args, tmp_path, n=2)
    cases = tmp_path / "sw" / "cases"
    deadline = time.monotonic() + 120
    while len(list(cases.glob(".*.partial/checkpoint.npz"))) < 2:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "no checkpoints in 120 s"
        time.sleep(0.02)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 3, err
    assert err.strip().splitlines()[-1].startswith("lisse: error: sweep ck interrupted (at t = ")
    assert not list(cases.glob("*/failure.json")) and not list(cases.glob("[!.]*"))
    assert len(list(cases.glob(".*.partial/checkpoint.npz"))) == 2
    again = run_lisse(args, n=2, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "2 done, 0 failed, 0 pending" in again.stdout
    table = (tmp_path / "sw" / "sweep.csv").read_text().splitlines()
    case25 = next(line.split(",")[1] for line in table[1:] if ",25" in line)
    assert_same_run(reference, cases / case25)


@pytest.mark.parametrize("script", ["array.sh", "mpi.sh"])
def test_slurm_templates_ask_for_the_early_sigterm(script):
    """The SLURM templates ask for SIGTERM to their job steps before the wall time
    (``#SBATCH --signal=TERM@<s>`` in the header, before the first command) and start lisse
    with srun (a job step, which that option reaches); docs/reliability.md says why."""
    import re
    import subprocess

    path = ROOT / "scripts" / "slurm" / script
    lines = path.read_text().splitlines()
    header = lines[: next(k for k, line in enumerate(lines)
                         if line.strip() and not line.startswith("#"))]
    seconds = [int(m.group(1)) for line in header
               if (m := re.fullmatch(r"#SBATCH --signal=TERM@(\d+)", line))]
    assert len(seconds) == 1 and seconds[0] >= 60
    assert re.search(r"^srun lisse ", path.read_text(), re.MULTILINE)
    assert subprocess.run(["bash", "-n", str(path)]).returncode == 0
    docs = (ROOT / "docs" / "reliability.md").read_text()
    assert "#SBATCH --signal=TERM@120" in docs and "--signal=B:TERM@120" in docs


def test_study_resume_without_a_log_is_refused(tmp_path, monkeypatch, capsys):
    from lisse.solver.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "done").mkdir()
    assert main(["study", str(STUDY), "--resume", "done"]) == 2
    assert capsys.readouterr().err.strip() == (
        "lisse: error: --resume done: no points.json in it or in its staging folder (a study "
        "writes one there after every point)")
    assert not (tmp_path / ".done.partial").exists()
