"""Checkpoints of evolution runs and the stop requests (SIGTERM, SIGINT) that write them.

A checkpoint is one file, ``checkpoint.npz``, in the run's staging folder
(``.NAME.partial`` beside the target, ``solver.io.runfolder.RunFolder``). The interface
nodes are distributed over the MPI ranks: their values are gathered to rank 0 together with
the node coordinates, and a resume gives every rank the values of its own nodes by their
coordinates, so a run may be resumed on another number of ranks (the mesh, hence the
coordinates, is the same: the case, mesh cache key included, must be the checkpointed one).

The file holds the arrays ``x`` (node coordinates [m], shape (n, 3)) and ``nodes`` (one
column per node array, named in the metadata), optionally per-rank arrays ``rank{r}_{name}``
(state that lives on each rank's part of a mesh, e.g. the coupled model's Li body; such a
checkpoint resumes only on the number of ranks that wrote it: ``meta["ranks"]``), and
``meta``: JSON text with the scalars,
the time-step controller, the records, the resolved config and the mesh cache key. JSON
writes floats as their shortest exact representation, so a resume is exact to the last bit.
The file is written under a temporary name and moved into place (``os.replace``): a run
killed while writing leaves the previous checkpoint intact.

Stop requests: ``StopRequests`` turns SIGTERM and SIGINT into a flag (the handler does no
I/O and no MPI); the run checks it between time steps, all ranks together (an allreduce),
writes a checkpoint and stops with ``Interrupted`` (exit code 3).
"""

from __future__ import annotations

import json
import os
import signal
import threading
from pathlib import Path

import numpy as np

from lisse.solver.errors import LisseError, UserError

NAME = "checkpoint.npz"
FORMAT = 1
# config sections that do not change the numbers of a run: a resume may change them
RESOLUTION = 1e-12  # [m] node coordinates are matched to this
IGNORED = ("name", "output", "evolution.checkpoint_interval_s",
           "evolution.checkpoint_every_steps")


class Interrupted(LisseError):
    """The run was stopped by SIGTERM or SIGINT after writing a checkpoint: resumable
    (exit code 3). ``time`` [s]: the simulated time reached (nan for a CCD search or a
    study); ``folder``: where the checkpoint is; ``what``: where it stopped ("at t = 12 s",
    "during the CCD trial at ...")."""

    exit_code = 3

    def __init__(self, time: float, folder: Path, what: str | None = None):
        self.what = what or f"at t = {time:.6g} s"
        super().__init__(f"interrupted {self.what}; the checkpoint is in {folder}")
        self.time, self.folder = time, folder


class StopRequests:
    """SIGTERM and SIGINT set ``requested`` instead of ending the process (context manager;
    the previous handlers come back on exit; PETSc is started first). Only the main thread
    may install handlers: elsewhere (a Python API call from a thread) the signals keep their
    own behaviour."""

    SIGNALS = (signal.SIGTERM, signal.SIGINT)

    def __init__(self):
        self.requested = False
        self._old: dict = {}

    def _handler(self, signum, frame) -> None:  # no I/O, no MPI: only the flag
        self.requested = True

    def __enter__(self) -> StopRequests:
        # PETSc installs its own SIGTERM handler (an MPI_Abort) when it starts: start it
        # first, so that a model built inside this context leaves these handlers in force
        from petsc4py import PETSc  # noqa: F401

        if threading.current_thread() is threading.main_thread():
            for sig in self.SIGNALS:
                self._old[sig] = signal.signal(sig, self._handler)
        return self

    def __exit__(self, *exc) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)
        self._old.clear()


def location(folder: str | os.PathLike, name: str = NAME) -> Path | None:
    """The checkpoint file ``name`` of ``folder``: in the folder itself (a staging folder,
    or a folder holding one), else in its staging folder ``.NAME.partial``; None if there
    is none."""
    path = Path(folder).resolve()
    for candidate in (path / name, path.with_name(f".{path.name}.partial") / name):
        if candidate.is_file():
            return candidate
    return None


def write(path: Path, comm, x: np.ndarray, columns: dict[str, np.ndarray], meta: dict,
          ranked: dict[str, np.ndarray] | None = None) -> None:
    """Write a checkpoint (collective): node coordinates ``x`` [m] and per-node ``columns``
    of this rank, gathered to rank 0, ``meta`` (JSON types; rank 0's is written) and the
    per-rank arrays ``ranked`` (the same names on every rank), stored rank by rank."""
    names = list(columns)
    local = np.column_stack([columns[k] for k in names]) if names else np.zeros((len(x), 0))
    parts = comm.gather((np.asarray(x, dtype=float), local, ranked or {}), root=0)
    if comm.rank != 0:
        return
    coords = np.concatenate([p[0] for p in parts])
    table = np.concatenate([p[1] for p in parts]).reshape(len(coords), len(names))
    meta = {**meta, "format": FORMAT, "columns": names}
    arrays = {}
    if ranked:
        meta |= {"ranks": len(parts), "ranked": list(ranked)}
        arrays = {f"rank{r}_{k}": np.asarray(v) for r, p in enumerate(parts)
                  for k, v in p[2].items()}
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as fh:
        np.savez(fh, x=coords, nodes=table, meta=np.array(json.dumps(meta)), **arrays)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def write_json(path: Path, data: dict) -> None:
    """Write ``data`` as JSON to ``path`` under a temporary name, then move it into place
    (a kill while writing keeps the previous file). Call on one rank."""
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w") as fh:
        fh.write(json.dumps(data, indent=1) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def load(path: Path, comm, where: str) -> tuple[dict, np.ndarray, np.ndarray, dict]:
    """Read a checkpoint on rank 0 and give it to every rank: its metadata, the node
    coordinates [m], the per-node table and this rank's per-rank arrays ({} if none; a
    checkpoint with per-rank arrays written on another number of ranks is refused).
    ``where`` names the checkpoint in errors."""
    error, data, ranked = None, None, [{}] * comm.size
    if comm.rank == 0:
        try:
            with np.load(path, allow_pickle=False) as f:
                data = (json.loads(str(f["meta"])), f["x"], f["nodes"])
                ranks = data[0].get("ranks", comm.size)
                if data[0].get("ranked") and ranks == comm.size:
                    ranked = [{k: f[f"rank{r}_{k}"] for k in data[0]["ranked"]}
                              for r in range(ranks)]
            if data[0].get("format") != FORMAT:
                error = (f"{where}: written by another version of lisse (checkpoint format "
                         f"{data[0].get('format')})")
            elif ranks != comm.size:
                error = (f"{where}: the checkpoint was written on {ranks} MPI rank(s); resume "
                         f"it on {ranks} (this run has {comm.size})")
        except (OSError, ValueError, KeyError) as exc:
            error = f"{where}: cannot read the checkpoint ({exc})"
    error = comm.bcast(error, root=0)
    if error:
        raise UserError(error)
    return (*comm.bcast(data, root=0), comm.scatter(ranked, root=0))


def read_meta(path: Path) -> dict | None:
    """The metadata of the checkpoint ``path``, None if it cannot be read (one rank)."""
    try:
        with np.load(path, allow_pickle=False) as f:
            return json.loads(str(f["meta"]))
    except (OSError, ValueError, KeyError):
        return None


def local_columns(meta: dict, coords: np.ndarray, table: np.ndarray, x: np.ndarray, comm,
                  where: str) -> dict[str, np.ndarray]:
    """This rank's per-node columns of a loaded checkpoint, matched to its node coordinates
    ``x`` [m] (collective)."""
    index = {_key(p): k for k, p in enumerate(coords)}
    rows = [index.get(_key(p)) for p in np.asarray(x, dtype=float)]
    missing = comm.allreduce(sum(r is None for r in rows))
    if missing or comm.allreduce(len(rows)) != len(coords):
        raise UserError(f"{where}: the interface nodes of the mesh do not match the "
                        "checkpoint's")
    mine = table[np.array(rows, dtype=int)].reshape(len(rows), table.shape[1])
    return {name: mine[:, k].copy() for k, name in enumerate(meta["columns"])}


def _key(point: np.ndarray) -> tuple:
    """A node's coordinates [m] to ``RESOLUTION`` (the same mesh gives the same
    coordinates)."""
    return tuple(np.round(point / RESOLUTION).astype(np.int64))


def config_difference(saved: dict, current: dict, prefix: str = "") -> str | None:
    """The first config path at which ``current`` differs from ``saved`` (the sections of
    ``IGNORED`` aside), or None."""
    for key in sorted(set(saved) | set(current)):
        path = f"{prefix}{key}"
        if path in IGNORED:
            continue
        a, b = saved.get(key), current.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            found = config_difference(a, b, f"{path}.")
            if found:
                return found
        elif a != b:
            return path
    return None
