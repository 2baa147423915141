"""Checkpoint and restart of the debonded-patch study (``lisse study``): the point log.

A point of the study is one contact condition and one patch size ā: its exponent sweep
(``lisse.solver.physics.patch_flow.exponent_sweep``) starts from rest, so it does not depend
on the other points. The point log ``points.json`` in the study's staging folder
``.NAME.partial`` holds the results of every finished point and is rewritten after each one
(under a temporary name, then ``os.replace``); JSON writes floats as their shortest exact
representation, so a resumed study (``lisse study FILE --resume DIR``) takes the logged
points as they were and solves the others: its tables equal an uninterrupted study's.

Stops: SIGTERM and SIGINT set a flag (``lisse.solver.io.checkpoint.StopRequests``) that the
study checks after every point (all ranks together): the point in flight finishes, is
logged, and the study stops with ``Interrupted`` (exit code 3). A finished study's folder
holds no point log.
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

from mpi4py import MPI

from lisse.solver.errors import UserError
from lisse.solver.io import checkpoint
from lisse.solver.io.checkpoint import Interrupted, StopRequests
from lisse.solver.io.runfolder import RunFolder
from lisse.solver.physics.patch_flow import PatchResult

NAME = "points.json"
FORMAT = 1


class PointLog:
    """The finished points (contact, ā) of a study; ``config``: the study's resolved
    config (a resume of another study is refused); ``total``: the number of points."""

    def __init__(self, comm, config: dict, total: int, stops: StopRequests):
        self.comm, self.config, self.total, self.stops = comm, config, total, stops
        self.done: dict[tuple[str, float], list[PatchResult]] = {}
        self.folder: RunFolder | None = None

    def load(self, resume) -> None:
        """Take the points logged in ``resume`` (a study's output folder or its staging
        folder); refused (one line, exit 2) if there is none, it is unreadable or it belongs
        to another study (collective)."""
        where, comm = f"--resume {resume}", self.comm
        path = comm.bcast(checkpoint.location(resume, NAME) if comm.rank == 0 else None,
                          root=0)
        if path is None:
            raise UserError(f"{where}: no {NAME} in it or in its staging folder (a study "
                            "writes one there after every point)")
        done, error = None, None
        if comm.rank == 0:
            try:
                data = json.loads(Path(path).read_text())
                done = {(p["contact"], float(p["abar"])): [PatchResult(**r) for r in p["results"]]
                        for p in data["points"]}
                if data.get("format") != FORMAT:
                    error = (f"{where}: written by another version of lisse (point log "
                             f"format {data.get('format')})")
                differs = checkpoint.config_difference(data["config"], self.config)
                if not error and differs:
                    error = f"{where}: the study differs from the checkpointed one ({differs})"
            except (OSError, ValueError, KeyError, TypeError) as exc:
                error = f"{where}: cannot read {NAME} ({type(exc).__name__}: {exc})"
        error = comm.bcast(error, root=0)
        if error:
            raise UserError(error)
        self.done = comm.bcast(done, root=0)

    def attach(self, folder: RunFolder) -> None:
        """Write the log (the points taken so far) into ``folder``'s staging folder."""
        self.folder = folder
        self._write()

    def after(self, contact: str, abar: float, results: list[PatchResult]) -> None:
        """``after`` of ``patch_cases``: log the point; stop on a request (any rank)."""
        self.done[contact, abar] = results
        self._write()
        if self.comm.allreduce(int(self.stops.requested), op=MPI.MAX):
            raise Interrupted(math.nan, self.folder.stage, what=(
                f"after {len(self.done)} of {self.total} study points (contact, ā) "
                f"(finished points kept)"))

    def _write(self) -> None:
        if self.comm.rank != 0 or self.folder is None:
            return
        points = [{"contact": c, "abar": a, "results": [dataclasses.asdict(r) for r in rs]}
                  for (c, a), rs in self.done.items()]
        checkpoint.write_json(self.folder.path(NAME), {"format": FORMAT, "config": self.config,
                                                       "points": points})

    def finish(self) -> None:
        """The study is complete: remove the log."""
        if self.comm.rank == 0:
            self.folder.path(NAME).unlink(missing_ok=True)
