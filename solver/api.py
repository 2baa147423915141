"""The Python API; the ``lisse`` command line is a thin shell over it (docs/api.md).

    import lisse
    case = lisse.load_case("configs/demo.yaml", overrides=["temperature_C=60"])
    result = lisse.run(case, output="results/demo-60C")
    result.summary["cell_voltage_V"], result.folder, result.figures

Every function validates its input first (one-line ``lisse.solver.errors.UserError``
naming the field), writes one results folder atomically and returns a ``Result``.
Under ``mpirun`` call them on every rank (the default communicator is MPI.COMM_WORLD).
"""

from __future__ import annotations

import csv
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lisse.solver.config.schema import (
    Case,
    apply_overrides,
    resolve,
    resolved_dict,
    validate_case,
)
from lisse.solver.config.schema import (
    load_case as _load_file,
)
from lisse.solver.errors import ConfigError
from lisse.solver.io.runfolder import claim


@dataclass
class Result:
    """A finished run: its folder, ``summary`` (summary.json), ``timeseries`` (the columns
    of timeseries.csv as arrays, keyed by their header with units; empty for steady runs),
    ``spectrum`` (the columns of impedance.csv for eis runs), ``tables`` (CSV files by
    name), ``fields`` (ParaView files: ``fields.xdmf``, ``mesh.xdmf``) and ``figures``
    (every figure file: the PNG and the vector formats of ``output.figure_formats``)."""

    kind: str
    folder: Path
    summary: dict = field(default_factory=dict)
    timeseries: dict[str, np.ndarray] = field(default_factory=dict)
    spectrum: dict[str, np.ndarray] = field(default_factory=dict)
    tables: dict[str, Path] = field(default_factory=dict)
    fields: list[Path] = field(default_factory=list)
    figures: list[Path] = field(default_factory=list)

    @classmethod
    def from_folder(cls, folder: str | Path, kind: str = "run") -> Result:
        """Read a results folder written by lisse."""
        folder = Path(folder)
        summary = {}
        for name in ("summary.json", "ccd.json", "patch_study.json"):
            if (folder / name).exists():
                summary = json.loads((folder / name).read_text())
                break
        series, spectrum = _columns(folder / "timeseries.csv"), _columns(folder / "impedance.csv")
        from lisse.plotstyle import SUPPORTED_FORMATS

        figures = sorted(p for fmt in SUPPORTED_FORMATS for p in folder.glob(f"*.{fmt}"))
        return cls(kind, folder, summary, series, spectrum,
                   {p.name: p for p in sorted(folder.glob("*.csv"))},
                   sorted(folder.glob("*.xdmf")), figures)


def _columns(path: Path) -> dict[str, np.ndarray]:
    """The columns of a CSV table written by lisse, keyed by their headers (with units)."""
    if not path.exists():
        return {}
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))
    values = np.array(rows[1:], dtype=float).reshape(-1, len(rows[0]))
    return {name: values[:, k] for k, name in enumerate(rows[0])}


def load_case(source: str | Path | dict | Case, overrides: list[str] | tuple = ()) -> Case:
    """A validated case from a YAML file, a mapping (the YAML's structure) or a Case,
    with ``--set``-style overrides ``"section.key=value"`` applied."""
    if isinstance(source, Case):
        source = source.model_dump(mode="json")
    if isinstance(source, dict):
        data = apply_overrides(source, list(overrides))
        data.setdefault("name", "case")
        return validate_case(data)
    if isinstance(source, str | Path):
        return _load_file(source, list(overrides))
    raise ConfigError(f"a case is a file path, a mapping or a Case (got {type(source).__name__})")


def _comm(comm):
    if comm is None:
        from mpi4py import MPI

        return MPI.COMM_WORLD
    return comm


def run(case: str | Path | dict | Case, overrides: list[str] | tuple = (),
        output: str | Path | None = None, comm=None, overwrite: bool = False,
        label: str | None = None, resume: str | Path | None = None) -> Result:
    """Run a case — steady, or its evolution protocol if it has one — into ``output``
    (default: the case's output.directory). An existing folder that lisse did not write
    is refused unless ``overwrite`` (docs/api.md); ``label`` names the output in errors.

    ``resume``: a folder of an evolution run stopped with a checkpoint (its target, or its
    staging folder ``.NAME.partial``); the run goes on from there into ``output`` (default:
    that folder) and ends as the uninterrupted run would (docs/reliability.md). A stopped
    run raises ``lisse.solver.io.checkpoint.Interrupted`` (exit code 3)."""
    from lisse.solver.studies.dispatch import run_case, run_kind

    case = load_case(case, overrides)
    params = resolve(case)
    comm = _comm(comm)
    if resume is not None and output is None:
        output = _resume_target(Path(resume))
    out = claim(Path(output or params.output.directory), comm, overwrite,
                label or ("output" if output else "output.directory"))
    run_case(params, out, comm, resolved_dict(case), argv=sys.argv, resume=resume)
    return Result.from_folder(out, run_kind(params))


def _resume_target(folder: Path) -> Path:
    """The run folder a resume writes into by default: ``folder``, or the target of a
    staging folder ``.NAME.partial``."""
    name = folder.resolve().name
    if name.startswith(".") and name.endswith(".partial"):
        return folder.resolve().with_name(name[1:-len(".partial")])
    return folder


def ccd(case: str | Path, overrides: list[str] | tuple = (), vary: str | None = None,
        output: str | Path | None = None, comm=None, overwrite: bool = False,
        label: str | None = None, measurements: str | Path | None = None,
        resume: str | Path | None = None) -> Result:
    """The stripping critical current density of a case file, optionally for each value
    of one config path (``vary="evolution.stack_pressure_MPa=1,2,4"``), into ``output``
    (default: results/ccd); ``measurements``: a CSV file of measured CCDs drawn beside the
    simulated ones (``lisse.solver.io.measurements``).

    ``resume``: the folder of a search stopped by SIGTERM or SIGINT (its target, or its
    staging folder ``.NAME.partial``); the search goes on from its trial log into
    ``output`` (default: that folder) and ends as the uninterrupted search would
    (docs/reliability.md). A stopped search raises ``Interrupted`` (exit code 3)."""
    from lisse.solver.studies.ccd import run_ccd_study

    comm = _comm(comm)
    if output is None:
        output = "results/ccd" if resume is None else _resume_target(Path(resume))
    out = claim(Path(output), comm, overwrite, label or "output folder")
    run_ccd_study(str(case), list(overrides), vary, out, comm, argv=sys.argv,
                  measurements=measurements, resume=resume)
    return Result.from_folder(output, "ccd")


def eis(case: str | Path | dict | Case, overrides: list[str] | tuple = (),
        output: str | Path | None = None, comm=None, overwrite: bool = False,
        label: str | None = None) -> Result:
    """The impedance spectrum of a case (its ``impedance`` section) into ``output``
    (default: the case's output.directory)."""
    from lisse.solver.studies.eis import run_eis

    case = load_case(case, overrides)
    params = resolve(case)
    comm = _comm(comm)
    out = claim(Path(output or params.output.directory), comm, overwrite,
                label or ("output" if output else "output.directory"))
    run_eis(params, out, comm, resolved_dict(case), argv=sys.argv)
    return Result.from_folder(out, "eis")


def study(path: str | Path, overrides: list[str] | tuple = (),
          output: str | Path | None = None, comm=None, overwrite: bool = False,
          resume: str | Path | None = None) -> Result:
    """Run a study file (the debonded-patch study, docs/patch_study.md). ``resume``: the
    folder of a study stopped by SIGTERM or SIGINT; it goes on from the points finished
    there into ``output`` (default: that folder)."""
    from lisse.solver.studies.patch import load_study, run_study

    spec = load_study(path, list(overrides))
    comm = _comm(comm)
    if resume is not None and output is None:
        output = _resume_target(Path(resume))
    out = claim(Path(output or spec.output.directory), comm, overwrite,
                "output" if output else "output.directory")
    run_study(spec, out, comm, argv=sys.argv, resume=resume)
    return Result.from_folder(out, "study")


__all__ = ["Result", "ccd", "eis", "load_case", "run", "study"]
