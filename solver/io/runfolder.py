"""The run folder: resolved config, versions, seeds, tables, fields and plots.

Everything is written into a staging folder next to the target and moved into place only
when the run succeeds, so a failed run never leaves a partial ``summary.json`` and never
touches the outputs of an earlier run. Only rank 0 writes files (field writers are
collective).

Output-folder rule (one place, ``target_problem``): a target may be replaced only if it does
not exist, is an empty folder, or is a folder lisse wrote of the same kind — it holds the
marker: ``run.json`` (runs, evolution runs, CCD and patch studies, mesh folders, sweep case
folders), ``sweep.json`` (sweep folders) or ``report.json`` (report folders); a run does not
replace a sweep's folder, nor a report a run's. A foreign folder, or a lisse folder of
another kind, is replaced only when the user passes ``--overwrite`` (``claim``); a file,
``/``, the home folder, the current directory and its parents are never replaced.

The staging folder ``.NAME.partial`` and the old copy ``.NAME.old`` beside a target are
lisse's names, but a folder of that name that lisse did not write is not removed either
(``clear_leftover``): a staging folder holds the marker ``.lisse-stage`` from its creation
until it becomes the target.
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

MARKERS = ("run.json", "sweep.json", "report.json")
STAGE_MARKER = ".lisse-stage"  # in a staging folder, from its creation to its commit


def lisse_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("lisse")
    except PackageNotFoundError:
        return "unknown"


def _read_json(path: Path):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def read_json(path: Path, what: str = "results file") -> dict:
    """The JSON object in ``path`` (a file lisse wrote earlier); a missing, truncated,
    binary or non-object file raises a one-line UserError naming it."""
    try:
        data = json.loads(Path(path).read_bytes().decode("utf-8"))
    except FileNotFoundError:
        raise UserError(f"{path}: missing ({what})") from None
    except IsADirectoryError:
        raise UserError(f"{path}: is a folder, not a {what}") from None
    except OSError as exc:
        raise UserError(f"{path}: cannot be read ({exc.strerror})") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise UserError(f"{path}: corrupt {what} (truncated or not JSON: "
                        f"{str(exc).splitlines()[0][:80]}); run it again") from None
    if not isinstance(data, dict):
        kind = {list: "array", str: "string", bool: "boolean", type(None): "null"}.get(
            type(data), "number")
        raise UserError(f"{path}: corrupt {what} (a JSON {kind}, not an object); run it again")
    return data


KINDS = {"run.json": "run", "sweep.json": "sweep", "report.json": "report"}


def lisse_kind(path: Path) -> str | None:
    """The marker of the folder lisse wrote at ``path`` (``MARKERS``: a run's, a sweep's or a
    report's), or None if lisse did not write it."""
    run = _read_json(path / "run.json")
    if isinstance(run, dict) and (isinstance(run.get("versions"), dict)
                                  and "lisse" in run["versions"] or "lisse" in run):
        return "run.json"
    sweep = _read_json(path / "sweep.json")
    if isinstance(sweep, dict) and {"name", "parameters", "cases"} <= set(sweep):
        return "sweep.json"
    report = _read_json(path / "report.json")
    if isinstance(report, dict) and "lisse" in report:
        return "report.json"
    failure = _read_json(path / "failure.json")  # sweep case folders of earlier versions
    return "run.json" if isinstance(failure, dict) and failure.get("status") == "failed" \
        else None


def is_lisse_folder(path: Path) -> bool:
    """Whether ``path`` is a folder lisse wrote: it holds a marker that lisse writes."""
    return lisse_kind(path) is not None


def target_problem(target: str | os.PathLike, overwrite: bool = False,
                   marker: str = "run.json") -> str | None:
    """Why ``target`` may not be replaced (or written into) by an output of the kind
    ``marker``, or None if it may: it does not exist, is an empty folder or a folder lisse
    wrote of the same kind (a run does not replace a sweep); with ``overwrite`` any other
    folder too, but never a file, ``/``, the home folder or the current folder or its
    parents."""
    path = Path(target).resolve()
    cwd = Path.cwd().resolve()
    if path == Path(path.anchor) or path == Path.home().resolve() or path == cwd \
            or path in cwd.parents:
        where = ("the root folder" if path == Path(path.anchor) else "the home folder"
                 if path == Path.home().resolve() else "the current folder or one of its "
                 "parents")
        return f"is {where}; lisse never replaces it, choose a new folder"
    if not path.exists():
        return None
    if not path.is_dir():
        return "exists and is a file; choose a folder"
    try:
        kind = lisse_kind(path) if any(path.iterdir()) else marker
    except OSError as exc:
        return f"cannot read it ({exc.strerror or exc})"
    if kind == marker or overwrite:
        return None
    if kind:
        return (f"holds a lisse {KINDS[kind]} ({kind}), not a {KINDS[marker]}'s output; "
                "choose another folder or pass --overwrite")
    return (f"exists and was not written by lisse (no {marker}); choose another folder "
            "or pass --overwrite")


def clear_leftover(path: Path) -> str | None:
    """Remove ``path``, a staging folder or old copy left beside a target by an earlier
    run, if lisse wrote it (it holds the staging marker or a lisse marker, or is empty);
    otherwise (or for a file or a symbolic link) say why not, and leave it. Rank 0 only."""
    if not path.exists() and not path.is_symlink():
        return None
    try:
        ours = (path.is_dir() and not path.is_symlink()
                and ((path / STAGE_MARKER).is_file() or not any(path.iterdir())
                     or is_lisse_folder(path)))
        if ours:
            shutil.rmtree(path)
            return None
    except OSError as exc:
        return f"{path} cannot be removed ({exc.strerror or exc})"
    return (f"{path} exists and was not written by lisse (lisse keeps its staging folders "
            "there); remove or rename it")


_CLAIMED: set[Path] = set()  # folders the user allowed to be replaced (--overwrite)


def claim(target: str | os.PathLike, comm, overwrite: bool = False,
          label: str = "output.directory", marker: str = "run.json") -> Path:
    """Check ``target`` against the output-folder rule before any work (decided on rank 0,
    broadcast); raises a one-line UserError ``<label> <target>: <cause>``. A foreign folder
    allowed by ``overwrite`` is remembered so that ``RunFolder`` may replace it."""
    problem = target_problem(target, overwrite, marker) if comm.rank == 0 else None
    problem = comm.bcast(problem, root=0)
    if problem:
        raise UserError(f"{label} {target}: {problem}")
    path = Path(target).resolve()
    if overwrite:
        _CLAIMED.add(path)
    return Path(target)


def replace_with_empty(target: str | os.PathLike) -> None:
    """Swap a foreign folder (allowed by --overwrite) for an empty one: stage, then swap
    (rank 0 only; for folders filled in place, such as sweep folders)."""
    path = Path(target).resolve()
    stage = path.with_name(f".{path.name}.partial")
    old = path.with_name(f".{path.name}.old")
    for tmp in (stage, old):
        if problem := clear_leftover(tmp):
            raise OSError(problem)
    stage.mkdir(parents=True)
    if path.exists():
        path.rename(old)
    stage.rename(path)
    if old.exists():
        shutil.rmtree(old)


def versions() -> dict:
    """Versions of lisse and of the numerical stack."""
    import dolfinx
    import gmsh
    from petsc4py import PETSc

    return {
        "lisse": lisse_version(),
        "dolfinx": dolfinx.__version__,
        "petsc": ".".join(str(v) for v in PETSc.Sys.getVersion()),
        "gmsh": gmsh.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
    }


class RunFolder:
    """A staging folder that becomes ``target`` on ``commit``. The target must pass the
    output-folder rule (``target_problem``; a foreign folder only if ``claim``-ed with
    overwrite); a committed folder always holds a marker (``run.json`` if none was written).
    """

    def __init__(self, target: str | os.PathLike, comm, marker: str = "run.json"):
        self.comm, self.marker = comm, marker  # the kind of folder it becomes (MARKERS)
        self.target = Path(target).resolve()
        self.stage = self.target.with_name(f".{self.target.name}.partial")
        error = None
        if comm.rank == 0:
            problem = target_problem(self.target, self.target in _CLAIMED, self.marker)
            if problem:
                error = f"output folder {target}: {problem}"
        if comm.rank == 0 and not error:
            error = clear_leftover(self.stage) or clear_leftover(
                self.target.with_name(f".{self.target.name}.old"))
            error = error and f"output folder {target}: {error}"
        if comm.rank == 0 and not error:
            try:
                self.stage.mkdir(parents=True)
                (self.stage / STAGE_MARKER).touch()
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
        problem = None
        if self.comm.rank == 0:
            if not any((self.stage / m).exists() for m in MARKERS):
                (self.stage / "run.json").write_text(
                    json.dumps({"versions": {"lisse": lisse_version()}}, indent=2) + "\n")
            problem = (target_problem(self.target, self.target in _CLAIMED, self.marker)
                       or clear_leftover(self.target.with_name(f".{self.target.name}.old")))
        problem = self.comm.bcast(problem, root=0)
        if problem:  # the target changed during the run: the results stay beside it
            raise UserError(f"output folder {self.target}: {problem} (the results are in "
                            f"{self.stage})")
        if self.comm.rank == 0:
            old = self.target.with_name(f".{self.target.name}.old")
            (self.stage / STAGE_MARKER).unlink(missing_ok=True)
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


def current_density(potential, conductivity):
    """The ionic current density i = −κ∇φ [A/m²] of a P1 potential φ [V] with κ [S/m]
    (a number or a DG0 field), cell-wise constant (DG0 vector)."""
    import ufl
    from dolfinx import fem

    msh = potential.function_space.mesh
    space = fem.functionspace(msh, ("DG", 0, (msh.geometry.dim,)))
    current = fem.Function(space, name="current_density_A_m2")
    expr = fem.Expression(-conductivity * ufl.grad(potential), space.element.interpolation_points)
    current.interpolate(expr)
    return current


def write_fields(folder: RunFolder, model, sol, maps=()) -> None:
    """ParaView output of a steady run (``lisse.solver.io.dataset``): ``mesh.xdmf`` (the
    full cell mesh with region and facet tags) and ``fields.xdmf``, one dataset on the full
    cell mesh with ``region``, the electrolyte potential φ [V] and the current density
    i = −κ∇φ [A/m²] (0 in the Li), the mechanics fields when the hold ran (displacement [m],
    von Mises stress and hydrostatic pressure [Pa], creep strain [-], at the end of the
    hold) and the microstructure / leakage ``maps`` by their names. Collective."""
    from lisse.solver.io.dataset import CellDataset, FieldWriter

    dataset = CellDataset(model.mesh)
    dataset.write_mesh(folder.path("mesh.xdmf"))
    fields = {"electrolyte_potential_V": sol.potential,
              "current_density_A_m2": current_density(sol.potential, sol.conductivity)}
    time = 0.0
    if model.hold is not None:
        mech = model.hold.mechanics
        fields["displacement_m"] = mech.u
        fields.update({f.name: f for f in mech.cell_fields()})
        time = model.hold.state.time
    fields.update({f.name: f for f in maps})
    writer = FieldWriter(dataset, folder.path("fields.xdmf"))
    writer.write(time, fields)
    writer.close()


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
