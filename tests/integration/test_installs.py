"""Installation routes, packaging metadata and the command line's front door: LICENSE and
CITATION.cff agree with pyproject; the Apptainer definition, the second Dockerfile and the
Spack environment install lisse on the DOLFINx minor version pyproject pins; docs/install.md
covers every route; the SLURM templates set up the environment and the caches;
``lisse --version`` and the "did you mean" error. No container engine or Spack runs here:
the recipes are checked as text (docs/install.md says what was and was not tried)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from tests.helpers import BIN, ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]
PROJECT_DIRS = sorted(set(PYPROJECT["tool"]["setuptools"]["package-dir"].values()))
CONTAINERS = ROOT / "scripts" / "containers"


def pinned_dolfinx_minor() -> str:
    """'0.11' from pyproject's pin of the DOLFINx wheel (dolfinx-solver-real==0.11.0.post0)."""
    pins = [d for d in PROJECT["optional-dependencies"]["fenics"] if d.startswith("dolfinx")]
    (pin,) = pins
    return re.fullmatch(r"dolfinx-solver-real==(\d+\.\d+)\.\d+(?:\.post\d+)?", pin).group(1)


def lisse(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "lisse"), *args], capture_output=True, text=True,
                          timeout=120, cwd=ROOT, env=env)


# --- license and citation ---------------------------------------------------------------

def test_license_is_mit_as_pyproject_says():
    text = (ROOT / "LICENSE").read_text()
    assert PROJECT["license"] == {"text": "MIT"}
    assert text.startswith("MIT License\n")
    assert "Copyright (c) 2026 the lisse developers" in text
    assert "Permission is hereby granted, free of charge" in text
    assert 'THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND' in text


def test_citation_file_matches_the_project():
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert cff["cff-version"] == "1.2.0"
    assert cff["title"].startswith("lisse") and cff["message"]
    assert cff["version"] == PROJECT["version"]
    assert cff["license"] == "MIT"
    assert cff["authors"] == [{"name": "The lisse developers"}]
    assert "solid electrolyte" in cff["abstract"] and len(cff["abstract"].split()) > 40
    assert len(cff["keywords"]) >= 5
    assert "repository-code" not in cff  # not known yet
    readme = (ROOT / "README.md").read_text()
    assert "CITATION.cff" in readme and "Citing" in readme


def test_package_version_matches_pyproject():
    import lisse as package

    assert package.__version__ == PROJECT["version"]


# --- container and Spack recipes ---------------------------------------------------------

def dockerfile(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments), continuation lines joined (as tests/integration/test_docker.py)."""
    text = path.read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    return [tuple(line.split(None, 1)) for line in lines if line and not line.startswith("#")]


def apptainer_sections(path: Path) -> tuple[dict[str, str], dict[str, str]]:
    """Header keywords (Bootstrap, From) and the %sections of a definition file."""
    header, sections, current = {}, {}, None
    for line in path.read_text().splitlines():
        if line.startswith("%"):
            current = line[1:].split()[0]
            sections[current] = ""
        elif current is not None:
            sections[current] += line + "\n"
        elif ":" in line and not line.startswith("#"):
            key, value = line.split(":", 1)
            header[key.strip()] = value.strip()
    return header, sections


IMAGE = re.compile(r"ghcr\.io/fenics/dolfinx/dolfinx:v(\d+\.\d+)\.\d+")


def assert_installs_lisse_alone(commands: str) -> None:
    """pip installs lisse without dependencies, then exactly pyproject's dependencies."""
    commands = " ".join(commands.replace("\\\n", " ").split())
    assert "pip install --no-cache-dir --no-deps ." in commands
    for requirement in PROJECT["dependencies"]:  # the list cannot drift from pyproject
        assert f'"{requirement}"' in commands, requirement
    assert "-c /tmp/keep.txt" in commands  # numpy and mpi4py held at the image's versions
    assert "import numpy, lisse, dolfinx, gmsh" in commands  # the build fails without them
    assert "ScalarType" in commands  # ... or with a complex PETSc
    assert "lisse --version" in commands  # the versions in the build log
    assert "dolfinx-solver" not in commands and "gmsh>=" not in commands  # the image's own


def test_second_dockerfile_installs_lisse_on_the_pinned_dolfinx_image():
    steps = dockerfile(CONTAINERS / "Dockerfile.dolfinx")
    kinds = [k for k, _ in steps]
    base = IMAGE.fullmatch(steps[0][1])
    assert steps[0][0] == "FROM" and base, steps[0]
    assert base.group(1) == pinned_dolfinx_minor()
    run = " ".join(a for k, a in steps if k == "RUN")
    assert_installs_lisse_alone(run)
    copied = " ".join(a for k, a in steps if k == "COPY")
    for needed in ("pyproject.toml", "README.md", *PROJECT_DIRS):
        assert needed in copied, needed
    assert ".venv" not in copied
    users = [a for k, a in steps if k == "USER"]
    assert users and users[-1] not in ("root", "0")
    assert steps[kinds.index("ENTRYPOINT")][1] == '["lisse"]'
    # the top-level Dockerfile stays the make-install image (tests/integration/test_docker.py)
    assert dockerfile(ROOT / "Dockerfile")[0][1].startswith("python:")


def test_apptainer_definition_installs_lisse_on_the_pinned_dolfinx_image():
    header, sections = apptainer_sections(CONTAINERS / "lisse.def")
    assert header["Bootstrap"] == "docker"
    base = IMAGE.fullmatch(header["From"])
    assert base and base.group(1) == pinned_dolfinx_minor(), header
    assert_installs_lisse_alone(sections["post"])
    files = [line.split() for line in sections["files"].splitlines() if line.strip()]
    sources = {src for src, _ in files}
    assert {"pyproject.toml", "README.md", *PROJECT_DIRS} <= sources
    assert all(dest.startswith("/opt/lisse/") for _, dest in files)
    assert "exec lisse" in sections["runscript"]
    assert "import numpy, lisse, dolfinx, gmsh" in sections["test"]
    assert "lisse --version" in sections["test"] and "ScalarType" in sections["test"]


def test_spack_environment_asks_for_the_pinned_dolfinx_and_what_lisse_needs():
    env = yaml.safe_load((CONTAINERS / "spack.yaml").read_text())["spack"]
    specs = env["specs"]
    dolfinx = next(s for s in specs if s.startswith("py-fenics-dolfinx"))
    assert re.fullmatch(rf"py-fenics-dolfinx@{re.escape(pinned_dolfinx_minor())} \+petsc4py",
                        dolfinx)
    assert "petsc +mumps ~complex" in specs  # the solvers ask for MUMPS; real scalars
    assert "gmsh +opencascade" in specs  # the builders use gmsh.model.occ
    assert env["view"] is True and "fenics" in env["repos"]


# --- docs ----------------------------------------------------------------------------------

def test_install_doc_covers_every_route_and_says_what_was_tried():
    doc = (ROOT / "docs" / "install.md").read_text()
    for route in (
        "make install", "dolfinx-solver-real",  # (a) venv + PyPI
        "conda-forge", f'"fenics-dolfinx={pinned_dolfinx_minor()}"', '"petsc=*=real*"',
        "mpich", "python-gmsh", "pip install --no-deps -e .",  # (b)
        "scripts/containers/spack.yaml", f"py-fenics-dolfinx@{pinned_dolfinx_minor()}",  # (c)
        "scripts/containers/lisse.def", "apptainer exec", "srun --mpi=pmi2",  # (d)
        "hybrid", "ABI",
        "scripts/containers/Dockerfile.dolfinx",  # (e)
        "LISSE_VENV", "XDG_CACHE_HOME", "LISSE_CACHE_DIR", "SLURM_TMPDIR",  # SLURM
    ):
        assert route in doc, route
    table = [line for line in doc.splitlines() if line.startswith("| (")]
    assert [row[:5] for row in table] == ["| (a)", "| (b)", "| (c)", "| (d)", "| (e)"]
    assert "tried here?" in doc and all(row.count("|") == 5 for row in table)
    assert "docs/install.md" in (ROOT / "README.md").read_text()


# --- SLURM templates: environment and caches ---------------------------------------------

def fake_scheduler(tmp_path: Path) -> tuple[dict, Path]:
    """A PATH with an ``srun`` that prints what a task would see, and a submit directory
    whose .venv holds a stand-in ``lisse``; no FEM run."""
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    (bin_ / "srun").write_text('#!/bin/bash\necho "lisse=$(command -v lisse)"\n'
                               'echo "XDG_CACHE_HOME=${XDG_CACHE_HOME:-}"\n'
                               'echo "LISSE_CACHE_DIR=${LISSE_CACHE_DIR:-}"\necho "args=$*"\n')
    submit = tmp_path / "submit"
    (submit / ".venv" / "bin").mkdir(parents=True)
    (submit / ".venv" / "bin" / "lisse").write_text("#!/bin/sh\nexit 0\n")
    for exe in (bin_ / "srun", submit / ".venv" / "bin" / "lisse"):
        exe.chmod(0o755)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SLURM_", "LISSE_", "XDG_", "VIRTUAL_ENV"))}
    env.update(PATH=f"{bin_}:/usr/bin:/bin", SLURM_SUBMIT_DIR=str(submit),
               SLURM_TMPDIR=str(tmp_path / "node"), SLURM_ARRAY_TASK_ID="3",
               USER="someone")
    return env, submit


def task_view(script: str, env: dict, *args: str) -> tuple[int, dict, str]:
    proc = subprocess.run(["bash", str(ROOT / "scripts" / "slurm" / script), "S.yaml", *args],
                          capture_output=True, text=True, timeout=60, cwd=ROOT, env=env)
    seen = dict(line.split("=", 1) for line in proc.stdout.splitlines() if "=" in line)
    return proc.returncode, seen, proc.stderr


@pytest.mark.parametrize("script", ["array.sh", "mpi.sh"])
def test_slurm_templates_activate_the_venv_and_use_node_local_caches(tmp_path, script):
    env, submit = fake_scheduler(tmp_path)
    node = tmp_path / "node" / "lisse-someone"
    code, seen, err = task_view(script, env)
    assert code == 0, err
    assert seen["lisse"] == str(submit / ".venv" / "bin" / "lisse")
    assert seen["XDG_CACHE_HOME"] == str(node / "cache")
    assert seen["LISSE_CACHE_DIR"] == str(node / "meshes")
    assert seen["args"].startswith("lisse sweep S.yaml")
    # a cache folder set by the user is kept; on several nodes the JIT cache stays shared
    code, seen, err = task_view(script, {**env, "LISSE_CACHE_DIR": "/shared/meshes",
                                         "SLURM_JOB_NUM_NODES": "2"})
    assert code == 0, err
    assert seen["LISSE_CACHE_DIR"] == "/shared/meshes" and seen["XDG_CACHE_HOME"] == ""
    # without $SLURM_TMPDIR: $TMPDIR
    no_slurm_tmp = {k: v for k, v in env.items() if k != "SLURM_TMPDIR"}
    code, seen, err = task_view(script, {**no_slurm_tmp, "TMPDIR": str(tmp_path / "t")})
    assert code == 0, err
    assert seen["XDG_CACHE_HOME"] == str(tmp_path / "t" / "lisse-someone" / "cache")


def test_slurm_templates_name_a_missing_environment(tmp_path):
    env, submit = fake_scheduler(tmp_path)
    code, _, err = task_view("array.sh", {**env, "LISSE_VENV": str(tmp_path / "nowhere")})
    assert code == 2 and f"LISSE_VENV={tmp_path / 'nowhere'}: no bin/lisse there" in err
    (submit / ".venv" / "bin" / "lisse").unlink()  # no venv, nothing on PATH
    for script in ("array.sh", "mpi.sh", "collect.sh"):
        code, _, err = task_view(script, env)
        assert code == 2 and "lisse not found: set LISSE_VENV" in err, (script, err)


def test_slurm_templates_share_one_environment_file(tmp_path):
    """The set-up lives in scripts/slurm/env.sh only; a copy of a template elsewhere (as
    sbatch runs it, from its spool folder) finds env.sh through LISSE_HOME."""
    slurm = ROOT / "scripts" / "slurm"
    for script in ("array.sh", "mpi.sh", "collect.sh"):
        text = (slurm / script).read_text()
        assert 'source "$here/env.sh"' in text, script
        for setup in ("LISSE_CACHE_DIR=", "XDG_CACHE_HOME=", "VIRTUAL_ENV=", "command -v lisse"):
            assert setup not in text, (script, setup)
    env, submit = fake_scheduler(tmp_path)
    spool = tmp_path / "spool"
    spool.mkdir()
    (spool / "array.sh").write_text((slurm / "array.sh").read_text())
    proc = subprocess.run(["bash", str(spool / "array.sh"), "S.yaml"], capture_output=True,
                          text=True, timeout=60, cwd=tmp_path,
                          env={**env, "LISSE_HOME": str(ROOT)})
    seen = dict(line.split("=", 1) for line in proc.stdout.splitlines() if "=" in line)
    assert proc.returncode == 0, proc.stderr
    assert seen["lisse"] == str(submit / ".venv" / "bin" / "lisse")
    assert seen["LISSE_CACHE_DIR"] == str(tmp_path / "node" / "lisse-someone" / "meshes")


def test_dolfinx_jit_cache_follows_xdg_cache_home(tmp_path):
    """The templates move the JIT cache with XDG_CACHE_HOME: DOLFINx must still honour it."""
    code = ("import lisse, dolfinx.jit; print(dolfinx.jit.get_options()['cache_dir'])")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path,
                          env={**os.environ, "XDG_CACHE_HOME": str(tmp_path)})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(tmp_path / "fenics")


# --- the command line's front door ------------------------------------------------------

def test_version_prints_lisse_and_the_stack_on_one_line():
    import dolfinx
    import gmsh
    from petsc4py import PETSc

    proc = lisse("--version")
    assert proc.returncode == 0, proc.stderr
    petsc = ".".join(str(v) for v in PETSc.Sys.getVersion())
    assert proc.stdout == (f"lisse {PROJECT['version']} (DOLFINx {dolfinx.__version__}, "
                           f"PETSc {petsc}, Gmsh {gmsh.__version__})\n")
    assert dolfinx.__version__.startswith(pinned_dolfinx_minor() + ".")
    assert "--version" in lisse("--help").stdout


@pytest.mark.parametrize("argv, message", [
    (["rnu", "x.yaml"], "unknown command 'rnu' (did you mean 'run'?)"),
    (["swep", "s.yaml"], "unknown command 'swep' (did you mean 'sweep'?)"),
    (["valdiate", "x.yaml"], "unknown command 'valdiate' (did you mean 'validate'?)"),
    (["frobnicate"], "unknown command 'frobnicate' (commands: validate, schema, mesh, run, ccd, "
                     "eis, sweep, report, study)"),
])
def test_misspelt_command_suggests_the_closest(argv, message):
    proc = lisse(*argv)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr == f"lisse: error: {message}\n"


def test_known_commands_and_options_reach_argparse():
    from lisse.solver.cli import main

    with pytest.raises(SystemExit) as exc:  # argparse's own error for a missing argument
        main(["run"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
