"""Checkpoints of an evolution run: the state of the interface, the step controller, the
records and the snapshots (with the coupled interface model also its Li body:
``coupled_checkpoint``), written to the run's staging folder and read back on resume
(``lisse.solver.io.checkpoint`` holds the file format and the stop requests)."""

from __future__ import annotations

import dataclasses
import time

import numpy as np
from mpi4py import MPI

from lisse.meshes.cache import geometry_key
from lisse.solver.config.params import Resolved
from lisse.solver.errors import UserError
from lisse.solver.io import checkpoint
from lisse.solver.io.checkpoint import StopRequests
from lisse.solver.io.runfolder import RunFolder
from lisse.solver.physics.coupled_interface import CoupledEvolution, CoupledRecord
from lisse.solver.physics.evolution_settings import Outcome, Record, StepControl
from lisse.solver.physics.gap_evolution import InterfaceEvolution
from lisse.solver.studies import coupled_checkpoint


class Checkpoints:
    """``pause`` of ``InterfaceEvolution.run``: after every step, write a checkpoint when
    one is due (every ``checkpoint_steps`` steps, every ``checkpoint_interval`` [s] of wall
    time by rank 0's clock) or a stop was requested on any rank; all ranks decide together
    (one allreduce per step). Returns True (stop) after a requested stop."""

    def __init__(self, settings, stops: StopRequests, save, comm):
        self.every, self.interval = settings.checkpoint_steps, settings.checkpoint_interval
        self.stops, self.save, self.comm = stops, save, comm
        self.steps, self.last = 0, time.perf_counter()

    def __call__(self, control, outcome) -> bool:
        self.steps += 1
        due = 2 if self.stops.requested else 0  # 2: stop, 1: periodic checkpoint
        if self.comm.rank == 0 and not due:
            due = int(bool(self.every and self.steps % self.every == 0) or (
                self.interval > 0 and time.perf_counter() - self.last >= self.interval))
        due = self.comm.allreduce(due, op=MPI.MAX)
        if due:
            self.save(control, outcome)
            self.last = time.perf_counter()
        return due == 2


_NODE_STATE = ("recession", "pores", "gap", "film")
_SNAPSHOT = ("gap", "pores", "share")


def write_checkpoint(folder: RunFolder, evo: InterfaceEvolution, control: StepControl,
                      outcome: Outcome, snapshots: list[dict], wall: float,
                      resolved_config: dict) -> None:
    """The run's state after a step: the interface (per node), the time-step controller
    with the state before the last step (for a cut-back), the records, the interface
    profiles so far, the wall time [s], the resolved config and the mesh cache key."""
    columns = {k: getattr(evo, k) for k in _NODE_STATE}
    scalars = {k: float(getattr(evo, k)) for k in evo._STATE if k not in _NODE_STATE}
    previous = None
    if control.previous is not None:
        state, length = control.previous
        columns |= {f"previous_{k}": state[k] for k in _NODE_STATE}
        # the scalars (the coupled model's Li arrays: coupled_checkpoint, per rank)
        previous = {"length": length, **{k: float(v) for k, v in state.items()
                                         if k not in _NODE_STATE and np.ndim(v) == 0}}
    ranked, coupled = None, None
    if isinstance(evo, CoupledEvolution):
        ranked, coupled = coupled_checkpoint.save(
            evo, None if control.previous is None else control.previous[0])
    for n, snap in enumerate(snapshots):
        columns |= {f"snapshot{n}_{k}": snap[k] for k in _SNAPSHOT}
    meta = {
        "config": resolved_config, "mesh_key": geometry_key(evo.params.geometry),
        "scalars": scalars, "previous": previous, "wall_time_s": wall,
        "control": {"index": control.index, "end": control.end, "dt": control.dt,
                    "cutbacks": control.cutbacks, "halved": control.halved},
        "records": [dataclasses.asdict(r) for r in outcome.records],
        "cutbacks": outcome.cutbacks,
        "snapshots": [{"label": s["label"], "time": s["time"]} for s in snapshots],
        "coupled": coupled,
    }
    checkpoint.write(folder.path(checkpoint.NAME), evo.comm, evo.x, columns, meta, ranked)


def load_checkpoint(params: Resolved, resume, comm, resolved_config: dict):
    """The checkpoint of ``resume`` (metadata, node coordinates, table), refused if the case
    is not the checkpointed one; None without ``resume``."""
    if resume is None:
        return None
    where = f"--resume {resume}"
    path = comm.bcast(checkpoint.location(resume) if comm.rank == 0 else None, root=0)
    if path is None:
        raise UserError(f"{where}: no {checkpoint.NAME} in it or in its staging folder "
                        f"(an evolution run writes one there when stopped)")
    meta, coords, table, ranked = checkpoint.load(path, comm, where)
    differs = checkpoint.config_difference(meta["config"], resolved_config)
    if differs is None and meta["mesh_key"] != geometry_key(params.geometry):
        differs = "the mesh"
    if differs:
        raise UserError(f"{where}: the case differs from the checkpointed one ({differs})")
    return meta, coords, table, ranked


def restore(evo: InterfaceEvolution, restart, resume):
    """Put the checkpointed state into ``evo``; returns the interface profiles, the
    time-step controller, the outcome so far and the wall time [s] spent before."""
    meta, coords, table, ranked = restart
    where = f"--resume {resume}"
    columns = checkpoint.local_columns(meta, coords, table, evo.x, evo.comm, where)
    li, li_previous = {}, {}  # the coupled model's Li body
    if isinstance(evo, CoupledEvolution):
        body_time, pieces = coupled_checkpoint.restore(evo, ranked, meta.get("coupled"),
                                                       where, meta["previous"])
        li = {"body_time": body_time, **coupled_checkpoint.body_state(ranked)}
        if meta["previous"] is not None:
            li_previous = coupled_checkpoint.body_state(ranked, "previous_") | pieces
    evo._restore({**meta["scalars"], **{k: columns[k] for k in _NODE_STATE}, **li})
    control = StepControl(**meta["control"])
    if meta["previous"] is not None:
        state = {k: v for k, v in meta["previous"].items() if k != "length"}
        state |= {k: columns[f"previous_{k}"] for k in _NODE_STATE} | li_previous
        control.previous = (state, meta["previous"]["length"])
    row = CoupledRecord if isinstance(evo, CoupledEvolution) else Record
    outcome = Outcome(records=[row(**r) for r in meta["records"]],
                      cutbacks=meta["cutbacks"])
    snapshots = [{**s, **{k: columns[f"snapshot{n}_{k}"] for k in _SNAPSHOT}}
                 for n, s in enumerate(meta["snapshots"])]
    return snapshots, control, outcome, meta["wall_time_s"]
