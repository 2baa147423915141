"""The installed package, not the source tree: build a (non-editable) wheel of a copy of the
repository, install it into a fresh virtual environment and use it from another folder.

The new environment gets the dependencies (DOLFINx, Gmsh, NumPy, ...) of the test's own
environment through a ``.pth`` file holding the path of its site-packages: a plain path line,
so the ``.pth`` hooks in there (among them the editable install of lisse pointing at this
repository) are not processed, and ``lisse`` can only come from the wheel. The shared
libraries that the MPICH and Gmsh wheels put in the environment's lib/ (where mpi4py and
gmsh look for them) are linked into the new environment's lib/.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from tests.helpers import ROOT

DATA = ROOT / "solver" / "config" / "data"
SKIP = shutil.ignore_patterns(".git", ".venv", "build", "results", "*.egg-info", "__pycache__",
                              ".pytest_cache", ".ruff_cache", "*.msh", "out")


def _run(cmd: list, cwd: Path, env: dict, timeout: float = 600) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=timeout)
    assert proc.returncode == 0, f"{cmd}\n{proc.stdout}\n{proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(venv folder, its python, a working folder outside the repository, environment)."""
    tmp = tmp_path_factory.mktemp("wheel")
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    # build from a copy, so setuptools' build/ and *.egg-info never land in the repository
    source = tmp / "source"
    shutil.copytree(ROOT, source, ignore=SKIP)
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
          "--no-index", source, "-w", tmp / "dist"], tmp, env)
    (wheel,) = (tmp / "dist").glob("lisse-*.whl")
    venv = tmp / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv], tmp, env)
    python = venv / "bin" / "python"
    purelib = _run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                   tmp, env).stdout.strip()
    ours = dict.fromkeys(sysconfig.get_paths()[k] for k in ("purelib", "platlib"))
    (Path(purelib) / "lisse_test_dependencies.pth").write_text("\n".join(ours) + "\n")
    for lib in (Path(sys.prefix) / "lib").iterdir():  # libmpi, libgmsh: found in prefix/lib
        if not lib.name.startswith("python") and not (venv / "lib" / lib.name).exists():
            (venv / "lib" / lib.name).symlink_to(lib)
    _run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index",
          wheel], tmp, env)
    work = tmp / "work"
    work.mkdir()
    return venv, python, work, env, wheel


@pytest.mark.slow
def test_wheel_holds_the_packages_and_the_materials_library(installed):
    *_, wheel = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "lisse/solver/config/data/materials.yaml" in names
    for path in DATA.glob("*.yaml"):  # every data file the package declares
        assert f"lisse/solver/config/data/{path.name}" in names
    for module in ("lisse/__init__.py", "lisse/solver/cli.py", "lisse/meshes/build.py"):
        assert module in names
    assert not any(name.startswith(("tests/", "solver/", "meshes/")) for name in names)


@pytest.mark.slow
def test_installed_package_is_imported_from_the_new_venv(installed):
    venv, python, work, env, _ = installed
    code = ("import lisse.solver, lisse.meshes, importlib.resources as r; "
            "print(lisse.solver.__file__); print(lisse.meshes.__file__); "
            "print(r.files('lisse.solver.config').joinpath('data/materials.yaml').is_file())")
    lines = _run([python, "-c", code], work, env).stdout.split()
    for path in lines[:2]:
        assert Path(path).resolve().is_relative_to(venv.resolve()), path
        assert not Path(path).resolve().is_relative_to(ROOT), path
    assert lines[2] == "True"


@pytest.mark.slow
def test_installed_lisse_runs_the_demo(installed, tmp_path):
    venv, _, work, env, _ = installed
    out = tmp_path / "demo"
    _run([venv / "bin" / "lisse", "run", ROOT / "configs" / "demo.yaml", "-o", out], work, env)
    summary = json.loads((out / "summary.json").read_text())
    assert math.isfinite(summary["cell_voltage_V"])


@pytest.mark.slow
def test_installed_python_api_runs_the_demo(installed, tmp_path):
    """The issue's one-liner through the installed wheel's API."""
    _, python, work, env, _ = installed
    code = (f"import lisse; r = lisse.run({str(ROOT / 'configs' / 'demo.yaml')!r}, "
            f"output={str(tmp_path / 'api')!r}); print(r.summary['cell_voltage_V'])")
    voltage = float(_run([python, "-c", code], work, env).stdout.split()[-1])
    assert math.isfinite(voltage) and 0 < voltage < 1
