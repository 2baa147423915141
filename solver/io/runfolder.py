"""The run folder: resolved config, versions, seeds, tables, fields and plots.

Everything is written into a staging folder next to the target and moved into place only
when the run succeeds, so a failed run never leaves a partial ``summary.json`` and never
touches the outputs of an earlier run. Only rank 0 writes files (field writers are
collective).
"""

from __future__ import annotations

import csv
import json
import os
import platform
import shutil
import sys
from pathlib import Path

import numpy as np

from lisse.solver.errors import SolverError, UserError


def versions() -> dict:
    """Versions of lisse and of the numerical stack."""
    from importlib.metadata import PackageNotFoundError, version

    import dolfinx
    import gmsh
    from petsc4py import PETSc

    try:
        lisse = version("lisse")
    except PackageNotFoundError:
        lisse = "unknown"
    return {
        "lisse": lisse,
        "dolfinx": dolfinx.__version__,
        "petsc": ".".join(str(v) for v in PETSc.Sys.getVersion()),
        "gmsh": gmsh.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
    }


class RunFolder:
    """A staging folder that becomes ``target`` on ``commit``."""

    def __init__(self, target: str | os.PathLike, comm):
        self.comm = comm
        self.target = Path(target).resolve()
        self.stage = self.target.with_name(f".{self.target.name}.partial")
        error = None
        if comm.rank == 0:
            try:
                if self.stage.exists():
                    shutil.rmtree(self.stage)
                self.stage.mkdir(parents=True)
            except OSError as exc:
                error = (f"output.directory: cannot write to '{self.target}' "
                         f"({exc.strerror or exc})")
        error = comm.bcast(error, root=0)
        if error:
            raise UserError(error)

    def path(self, name: str) -> Path:
        return self.stage / name

    def write_json(self, name: str, data: dict) -> None:
        if self.comm.rank == 0:
            _check_finite(data, name)
            self.path(name).write_text(json.dumps(data, indent=2) + "\n")

    def write_text(self, name: str, text: str) -> None:
        if self.comm.rank == 0:
            self.path(name).write_text(text)

    def write_csv(self, name: str, header: list[str], rows: np.ndarray) -> None:
        if self.comm.rank == 0:
            if not np.all(np.isfinite(rows)):
                raise SolverError(f"refusing to write non-finite values to {name}")
            with open(self.path(name), "w", newline="") as fh:
                writer = csv.writer(fh)
                writer.writerow(header)
                writer.writerows(rows.tolist())

    def commit(self) -> Path:
        """Move the staging folder to the target, replacing an earlier run's folder."""
        self.comm.barrier()
        if self.comm.rank == 0:
            old = self.target.with_name(f".{self.target.name}.old")
            if old.exists():
                shutil.rmtree(old)
            if self.target.exists():
                self.target.rename(old)
            self.stage.rename(self.target)
            if old.exists():
                shutil.rmtree(old)
        self.comm.barrier()
        return self.target

    def discard(self) -> None:
        if self.comm.rank == 0 and self.stage.exists():
            shutil.rmtree(self.stage, ignore_errors=True)


def write_fields(folder: RunFolder, potential, conductivity: float) -> None:
    """ParaView fields (VTX): the electrolyte potential φ [V] (P1) and the ionic current
    density i = −κ∇φ [A/m²] (cell-wise constant)."""
    import ufl
    from dolfinx import fem
    from dolfinx.io import VTXWriter

    msh = potential.function_space.mesh
    space = fem.functionspace(msh, ("DG", 0, (msh.geometry.dim,)))
    current = fem.Function(space, name="current_density")
    expr = fem.Expression(-conductivity * ufl.grad(potential), space.element.interpolation_points)
    current.interpolate(expr)
    for name, func in (("potential.bp", potential), ("current_density.bp", current)):
        with VTXWriter(msh.comm, folder.path(name), [func], engine="BP4") as writer:
            writer.write(0.0)


def write_field(folder: RunFolder, func) -> None:
    """One more ParaView field (VTX), ``<name>.bp``."""
    from dolfinx.io import VTXWriter

    with VTXWriter(func.function_space.mesh.comm, folder.path(f"{func.name}.bp"), [func],
                   engine="BP4") as writer:
        writer.write(0.0)


def run_record(params, argv: list[str] | None = None, comm=None) -> dict:
    """Provenance of a run: versions, seeds, command line, MPI size."""
    return {
        "versions": versions(),
        "seeds": {"geometry": params.seed},
        "command": argv if argv is not None else sys.argv,
        "mpi_ranks": comm.size if comm is not None else 1,
    }


def _check_finite(data, where: str) -> None:
    if isinstance(data, dict):
        for value in data.values():
            _check_finite(value, where)
    elif isinstance(data, list | tuple):
        for value in data:
            _check_finite(value, where)
    elif isinstance(data, float) and not np.isfinite(data):
        raise SolverError(f"refusing to write a non-finite value to {where}")
