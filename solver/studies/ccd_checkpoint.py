"""Checkpoint and restart of CCD searches (``lisse ccd``): the trial log.

The search (``lisse.solver.studies.ccd_search.find_ccd``) is deterministic: given the
outcomes of its first k trials it asks for the same (k+1)-th current density. The trial log
``trials.json`` in the search's staging folder ``.NAME.partial`` holds every finished trial
of every searched case (current density j [A/m²], survived, failure mode, failure time
[s]) and is rewritten after each one (under a temporary name, then ``os.replace``: a kill
while writing keeps the previous log). JSON writes floats as their shortest exact
representation, so a replayed trial is the logged one to the last bit.

A resumed search (``lisse ccd CASE --resume DIR``) replays the logged trials in order — each
must be the trial the search asks for, else the log is refused — and runs the rest: it ends
with the same CCD and the same trial table (``ccd_trials.csv``) as an uninterrupted search.

Stops: SIGTERM and SIGINT only set a flag (``lisse.solver.io.checkpoint.StopRequests``); the
trial in flight checks it after every time step (all ranks together, one allreduce per
step), is dropped (it runs again on resume) and the search stops with ``Interrupted``
(exit code 3). A finished search's folder holds no trial log.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path

from mpi4py import MPI

from lisse.solver.errors import UserError
from lisse.solver.io import checkpoint
from lisse.solver.io.checkpoint import Interrupted, StopRequests
from lisse.solver.io.runfolder import RunFolder
from lisse.solver.studies.ccd_search import Trial
from lisse.units import A_M2_PER_MA_CM2

NAME = "trials.json"
FORMAT = 1
TABLE = "ccd_trials.csv"


class TrialLog:
    """The finished trials of the searches of one ``lisse ccd`` (one list per searched case,
    in the order of ``--vary``), written to the staging folder after every trial.

    ``configs``: the resolved config of each case; ``mesh_keys``: their mesh cache keys (a
    resume of another case or mesh is refused); ``stops``: the stop requests of the search.
    """

    def __init__(self, comm, configs: list[dict], mesh_keys: list[str],
                 stops: StopRequests):
        self.comm, self.stops = comm, stops
        self.header = {"format": FORMAT, "configs": configs, "mesh_keys": mesh_keys}
        self.trials: list[list[Trial]] = [[] for _ in configs]
        self.logged: list[list[Trial]] = [[] for _ in configs]
        self.folder: RunFolder | None = None
        self.where = ""

    def load(self, resume) -> None:
        """Take the trials of the log in ``resume`` (a search's output folder or its staging
        folder) for replay; refused (one line, exit 2) if there is none, it is unreadable or
        it belongs to another case (collective)."""
        self.where = where = f"--resume {resume}"
        comm = self.comm
        path = comm.bcast(checkpoint.location(resume, NAME) if comm.rank == 0 else None,
                          root=0)
        if path is None:
            raise UserError(f"{where}: no {NAME} in it or in its staging folder (a CCD "
                            "search writes one there after every trial)")
        data, error = None, None
        if comm.rank == 0:
            try:
                data = json.loads(Path(path).read_text())
                cases = [[_trial(t) for t in case] for case in data["cases"]]
                if data.get("format") != FORMAT:
                    error = (f"{where}: written by another version of lisse (trial log "
                             f"format {data.get('format')})")
            except (OSError, ValueError, KeyError, TypeError) as exc:
                error = f"{where}: cannot read {NAME} ({type(exc).__name__}: {exc})"
            if not error:
                error = self._difference(data, where)
                data = cases
        error = comm.bcast(error, root=0)
        if error:
            raise UserError(error)
        self.logged = comm.bcast(data, root=0)

    def _difference(self, data: dict, where: str) -> str | None:
        configs, saved = self.header["configs"], data.get("configs", [])
        differs = None
        if len(saved) != len(configs) or len(data["cases"]) != len(configs):
            differs = "--vary"
        for old, new, key, old_key in zip(saved, configs, self.header["mesh_keys"],
                                          data.get("mesh_keys", []), strict=False):
            differs = differs or checkpoint.config_difference(old, new) or (
                "the mesh" if key != old_key else None)
        if differs:
            return f"{where}: the case differs from the checkpointed one ({differs})"
        return None

    def attach(self, folder: RunFolder) -> None:
        """Write the log (the replayed trials so far: none) into ``folder``'s staging
        folder; from now on after every trial."""
        self.folder = folder
        self._write()

    def replay(self, index: int, trial: Callable[[float], Trial]) -> Callable[[float], Trial]:
        """``trial`` of case ``index`` with the logged trials replayed first (each must be
        the one asked for) and every finished trial logged; after each trial a stop request
        on any rank ends the search (``Interrupted``)."""
        done, logged = self.trials[index], self.logged[index]

        def run(j: float) -> Trial:
            if len(done) < len(logged):
                result = logged[len(done)]
                if result.current_density != j:
                    raise UserError(
                        f"{self.where}: the trial log does not match the search (trial "
                        f"{len(done) + 1} at {result.current_density / A_M2_PER_MA_CM2:g} "
                        f"mA/cm², the search asks for {j / A_M2_PER_MA_CM2:g})")
            else:
                result = trial(j)
            done.append(result)
            stop = self.requested()  # before the log shows the trial: a stop that comes
            self._write()  # later is one during the next trial, whatever the scheduling
            if stop:
                raise self.interrupted(j, during=False)
            return result

        return run

    def case(self, index: int) -> CaseLog:
        return CaseLog(self, index)

    def requested(self) -> bool:
        """Whether a stop was requested on any rank (collective)."""
        return bool(self.comm.allreduce(int(self.stops.requested), op=MPI.MAX))

    def pause(self, control, outcome) -> bool:
        """``pause`` of ``InterfaceEvolution.run`` for a trial: stop on a request."""
        return self.requested()

    def interrupted(self, j: float, during: bool = True) -> Interrupted:
        """The stop of the search in (or after) the trial at ``j`` [A/m²]."""
        kept = sum(len(t) for t in self.trials)
        what = (f"{'during' if during else 'after'} the CCD trial at "
                f"{j / A_M2_PER_MA_CM2:.4g} mA/cm² ({kept} finished trial(s) kept)")
        return Interrupted(math.nan, self.folder.stage, what=what)

    def _write(self) -> None:
        if self.comm.rank != 0 or self.folder is None:
            return
        checkpoint.write_json(self.folder.path(NAME), {
            **self.header, "cases": [[_record(t) for t in case] for case in self.trials]})

    def finish(self, names: list[str], parameter: str | None) -> None:
        """Write the trial table ``ccd_trials.csv`` (one row per trial of each case, in the
        order run) and remove the log: the search is complete."""
        if self.comm.rank != 0:
            return
        lines = [f"{parameter or 'case'},trial,current_density_mA_cm2,survived,"
                 "failure_mode,failure_time_s"]
        for name, trials in zip(names, self.trials, strict=True):
            for k, t in enumerate(trials, start=1):
                mode = t.failure_mode.replace('"', "'")
                time = "" if t.survived else repr(t.failure_time)
                lines.append(f"{name},{k},{t.current_density / A_M2_PER_MA_CM2!r},"
                             f"{int(t.survived)},\"{mode}\",{time}")
        self.folder.write_text(TABLE, "\n".join(lines) + "\n")
        self.folder.path(NAME).unlink(missing_ok=True)


class CaseLog:
    """The trial log of one searched case (``TrialLog.case``): what ``ccd_search`` uses."""

    def __init__(self, log: TrialLog, index: int):
        self.log, self.index = log, index
        self.pause, self.interrupted = log.pause, log.interrupted

    def replay(self, trial: Callable[[float], Trial]) -> Callable[[float], Trial]:
        return self.log.replay(self.index, trial)


def _record(t: Trial) -> dict:
    return {"current_density_A_m2": t.current_density, "survived": t.survived,
            "failure_mode": t.failure_mode,
            "failure_time_s": None if math.isnan(t.failure_time) else t.failure_time}


def _trial(d: dict) -> Trial:
    time = d["failure_time_s"]
    return Trial(float(d["current_density_A_m2"]), bool(d["survived"]), str(d["failure_mode"]),
                 math.nan if time is None else float(time))
