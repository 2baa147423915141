"""The CCD trial log (solver/studies/ccd_checkpoint.py) on a synthetic search (no FEM): a
stop after any trial keeps the finished trials; a resume replays them in order and ends
with the uninterrupted search's trials and CCD; a log that does not match the search is
refused."""

from __future__ import annotations

import json
import math

import pytest
from mpi4py import MPI

from lisse.solver.errors import UserError
from lisse.solver.io.checkpoint import Interrupted, StopRequests
from lisse.solver.io.runfolder import RunFolder
from lisse.solver.studies.ccd_checkpoint import NAME, TABLE, TrialLog
from lisse.solver.studies.ccd_search import Trial, find_ccd

LIMIT = 123.456  # A/m²: the synthetic interface fails above it
CONFIG = [{"name": "a", "geometry": {"width_um": 10.0}}]


def synthetic(j: float) -> Trial:
    if j <= LIMIT:
        return Trial(j, True, "", math.nan)
    return Trial(j, False, "contact lost", 100.0 * LIMIT / j)


def search(folder, stops: StopRequests, resume=None, config=CONFIG):
    """The search with its trial log in ``folder``'s staging folder; returns the log and
    the result."""
    log = TrialLog(MPI.COMM_WORLD, config, ["key"], stops)
    if resume is not None:
        log.load(resume)
    run = RunFolder(folder, MPI.COMM_WORLD)
    log.attach(run)
    result = find_ccd(log.case(0).replay(synthetic), 1.0, 1000.0, 0.01)
    return log, run, result


def key(t: Trial) -> tuple:
    return t.current_density, t.survived, t.failure_mode, repr(t.failure_time)


class StopAfter(StopRequests):
    def __init__(self, trials: int):
        super().__init__()
        self.checks = 0
        self.trials = trials

    @property
    def requested(self) -> bool:
        self.checks += 1
        return self.checks >= self.trials

    @requested.setter
    def requested(self, value) -> None:
        pass


def test_stop_and_resume_replays_the_finished_trials(tmp_path):
    _, _, whole = search(tmp_path / "whole", StopRequests())
    assert len(whole.trials) > 8
    for stop in (1, 5, len(whole.trials) - 1):
        target = tmp_path / f"part{stop}"
        with pytest.raises(Interrupted, match=rf"after the CCD trial .*\({stop} finished"):
            search(target, StopAfter(stop))
        stage = tmp_path / f".part{stop}.partial"
        data = json.loads((stage / NAME).read_text())
        assert len(data["cases"][0]) == stop
        calls = []

        def counted(j, calls=calls):
            calls.append(j)
            return synthetic(j)

        log = TrialLog(MPI.COMM_WORLD, CONFIG, ["key"], StopRequests())
        log.load(target)
        log.attach(RunFolder(target, MPI.COMM_WORLD))
        result = find_ccd(log.case(0).replay(counted), 1.0, 1000.0, 0.01)
        assert (result.ccd, result.bracket) == (whole.ccd, whole.bracket)
        assert [key(t) for t in result.trials] == [key(t) for t in whole.trials]  # exact
        assert calls == [t.current_density for t in whole.trials[stop:]]  # only the rest ran
        log.finish(["case"], None)
        assert not (stage / NAME).exists()
        rows = (stage / TABLE).read_text().splitlines()
        assert rows[0] == ("case,trial,current_density_mA_cm2,survived,failure_mode,"
                           "failure_time_s")
        assert len(rows) == len(whole.trials) + 1


def test_refused_resumes(tmp_path):
    with pytest.raises(Interrupted):
        search(tmp_path / "part", StopAfter(3))
    other = [{"name": "b", "geometry": {"width_um": 11.0}}]
    with pytest.raises(UserError, match=r"the case differs from the checkpointed one "
                                        r"\(geometry.width_um\)"):
        search(tmp_path / "x", StopRequests(), resume=tmp_path / "part", config=other)
    renamed = [{"name": "b", "geometry": {"width_um": 10.0}}]  # the name does not count
    search(tmp_path / "y", StopRequests(), resume=tmp_path / "part", config=renamed)
    log = tmp_path / ".part.partial" / NAME
    data = json.loads(log.read_text())
    data["cases"][0][1]["current_density_A_m2"] *= 1.5  # not the trial the search asks for
    log.write_text(json.dumps(data))
    with pytest.raises(UserError, match="the trial log does not match the search"):
        search(tmp_path / "z", StopRequests(), resume=tmp_path / "part")
    log.write_text(json.dumps(data)[:40])
    with pytest.raises(UserError, match=r"cannot read trials.json"):
        search(tmp_path / "z", StopRequests(), resume=tmp_path / "part")
