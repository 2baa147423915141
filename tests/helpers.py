"""Shared test utilities: small tagged rectangle meshes and MPI subprocess runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np

import lisse  # noqa: F401  (sets up the DOLFINx wheel's PETSc)

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
# a small 2D cell with one void: quick to mesh and solve (CLI and hostile-input tests)
# a small plane cell (16 µm wide, one void) for runs that repeat many solves: CCD
# searches, reports, the run-kind table
SMALL_VOID_CELL = {
    "geometry": {
        "width_um": 16, "lithium_thickness_um": 8, "electrolyte_thickness_um": 12,
        "voids": [{"center_um": 0, "radius_um": 4, "height_um": 2}],
        "mesh": {"size_um": 3, "interface_size_um": 1, "edge_size_um": 0.5},
    },
    "protocol": {"current_density_mA_cm2": 0.5},
}


TINY = {
    "name": "tiny",
    "geometry": {
        "dimension": "plane", "width_um": 40, "lithium_thickness_um": 10,
        "electrolyte_thickness_um": 40,
        "voids": [{"center_um": 0, "radius_um": 8, "height_um": 2}],
        "mesh": {"size_um": 8, "interface_size_um": 2, "edge_size_um": 0.5},
    },
    "interface": {"kinetics": "butler_volmer"},
    "counter_electrode": {"kinetics": "butler_volmer"},
    "protocol": {"mode": "galvanostatic", "current_density_mA_cm2": 1.0},
    "output": {"fields": False, "plots": False},
}


def rectangle_domain(comm, width: float, thickness: float, nx: int, ny: int,
                     axisymmetric: bool = False, diagonal: str = "right"):
    """Electrolyte rectangle [0, width] x [-thickness, 0]; top tagged contact (11), bottom
    counter (14)."""
    from dolfinx import mesh as dm

    from lisse.meshes.geometry import FACET_TAGS
    from lisse.solver.fem.domain import Domain

    diag = dm.DiagonalType.crossed if diagonal == "crossed" else dm.DiagonalType.right
    msh = dm.create_rectangle(comm, [[0.0, -thickness], [width, 0.0]], [nx, ny],
                              diagonal=diag)
    msh.topology.create_connectivity(1, 2)
    top = dm.locate_entities_boundary(msh, 1, lambda x: np.isclose(x[1], 0.0))
    bottom = dm.locate_entities_boundary(msh, 1, lambda x: np.isclose(x[1], -thickness))
    idx = np.concatenate([top, bottom])
    val = np.concatenate([np.full(len(top), FACET_TAGS["contact"]),
                          np.full(len(bottom), FACET_TAGS["counter"])]).astype(np.int32)
    order = np.argsort(idx)
    return Domain(msh, dm.meshtags(msh, 1, idx[order], val[order]), axisymmetric)


def figure_folders() -> list[Path]:
    """Where a test writes its figures: build/, and docs/figures/ too with LISSE_WRITE_DOCS=1
    (created)."""
    folders = [ROOT / "build"]
    if os.environ.get("LISSE_WRITE_DOCS") == "1":
        folders.append(ROOT / "docs" / "figures")
    for folder in folders:
        folder.mkdir(exist_ok=True)
    return folders


def run_mpi(args: list[str], n: int = 2, timeout: float = 600,
            cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run ``args`` under ``mpirun -n n`` from the venv; returns the completed process."""
    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", "1")
    return subprocess.run([str(BIN / "mpirun"), "-n", str(n), *args], capture_output=True,
                          text=True, timeout=timeout, cwd=cwd or ROOT, env=env)


def print_numbers(numbers: dict) -> None:
    """The parallel entry of a test module (its ``main``): print ``numbers`` as one JSON line
    on rank 0, for :func:`mpi_numbers`."""
    import json

    from mpi4py import MPI

    if MPI.COMM_WORLD.rank == 0:
        print(json.dumps(numbers))


def mpi_numbers(module: str, n: int = 2) -> dict:
    """Run ``module.main()`` (which calls :func:`print_numbers`) under ``mpirun -n n`` and
    return the numbers it printed."""
    import json

    proc = run_mpi([sys.executable, "-c", f"import lisse; from {module} import main; main()"],
                   n=n)
    assert proc.returncode == 0, proc.stderr
    return json.loads(next(line for line in reversed(proc.stdout.splitlines())
                           if line.startswith("{")))


def run_lisse(args: list[str], n: int = 1, timeout: float = 600,
              cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run the ``lisse`` console script, serially or under mpirun."""
    cmd = [str(BIN / "lisse"), *args]
    if n > 1:
        return run_mpi(cmd, n=n, timeout=timeout, cwd=cwd)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                          cwd=cwd or ROOT)


def run_timeseries(tmp_path: Path, case: dict, out: str, n: int = 1
                   ) -> tuple[Path, list[str], np.ndarray]:
    """Write ``case`` to ``tmp_path/case.yaml``, ``lisse run`` it into ``tmp_path/out``
    (serially or under ``mpirun -n n``) and return (folder, header, table) of its
    timeseries.csv (the table two-dimensional even for one row)."""
    import yaml

    (tmp_path / "case.yaml").write_text(yaml.safe_dump(case))
    proc = run_lisse(["run", "case.yaml", "-o", out], n=n, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    folder = tmp_path / out
    header = (folder / "timeseries.csv").read_text().splitlines()[0].split(",")
    table = np.loadtxt(folder / "timeseries.csv", delimiter=",", skiprows=1, ndmin=2)
    return folder, header, table


def assert_same_timeseries(header: list[str], serial: np.ndarray,
                           parallel: np.ndarray) -> float:
    """Assert that an ``mpirun`` timeseries equals the serial one: every column to 1e-6
    relative (1e-9 absolute) except ``mass_balance_error``, a round-off-level residual
    compared to 1e-6 absolutely; returns the largest relative difference of those columns."""
    assert parallel.shape == serial.shape
    balance = header.index("mass_balance_error")
    others = [k for k in range(len(header)) if k != balance]
    np.testing.assert_allclose(parallel[:, others], serial[:, others], rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(parallel[:, balance], serial[:, balance], rtol=0, atol=1e-6)
    return float(np.max(np.abs(parallel - serial)[:, others]
                        / (np.abs(serial[:, others]) + 1e-9)))


def solve_case(case: dict, comm=None):
    """Validate, resolve and solve a case given as a dict; returns (solution, summary,
    resolved parameters)."""
    from mpi4py import MPI

    from lisse.solver.config.schema import resolve, validate_case
    from lisse.solver.studies.model import build_model
    from lisse.solver.studies.observables import summary
    from lisse.solver.studies.steady import solve_model

    comm = comm or MPI.COMM_WORLD
    params = resolve(validate_case(case))
    sol = solve_model(build_model(params, comm, "steady"))
    return sol, summary(sol, params, comm), params
