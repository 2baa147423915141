"""The Docker image builds the stack CI tests: no Docker engine here, so check that the
Dockerfile, the Makefile install step, pyproject's pins and the README cannot drift apart."""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import version

from tests.helpers import ROOT

PIN = "dolfinx-solver-real==0.11.0.post0"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    return [tuple(line.split(None, 1)) for line in lines if line and not line.startswith("#")]


def make_rule(target: str) -> tuple[list[str], list[str]]:
    """Prerequisites and recipe lines of a Makefile rule; a rule without a recipe whose one
    prerequisite is a variable (``install: $(STAMP)``) is followed to that rule."""
    text = (ROOT / "Makefile").read_text()
    match = re.search(rf"^{re.escape(target)}:(.*)\n((?:\t.*\n)*)", text, re.M)
    prereqs = match.group(1).split()
    recipe = [line.strip() for line in match.group(2).splitlines()]
    if not recipe and len(prereqs) == 1 and prereqs[0].startswith("$("):
        return make_rule(prereqs[0])
    return prereqs, recipe


def test_dockerfile_runs_the_make_install_step_as_a_non_root_user():
    steps = instructions()
    kinds = [k for k, _ in steps]
    runs = [args for k, args in steps if k == "RUN"]
    assert [r for r in runs if "make install" in r], "the image must install with make install"
    assert not [r for r in runs if "pip install" in r], "install through make install only"
    users = [i for i, (k, _) in enumerate(steps) if k == "USER"]
    install = next(i for i, (k, a) in enumerate(steps) if k == "RUN" and "make install" in a)
    assert users and users[0] < install and steps[users[-1]][1] not in ("root", "0")
    assert steps[kinds.index("ENTRYPOINT")][1] == '["lisse"]'
    workdir = steps[kinds.index("WORKDIR")][1]
    path = next(a for k, a in steps if k == "ENV" and "PATH=" in a)
    assert f"{workdir}/.venv/bin" in path  # the venv make install creates (VENV := .venv)
    assert re.search(r"^VENV := \.venv$", (ROOT / "Makefile").read_text(), re.M)
    apt = next(r for r in runs if "apt-get install" in r)
    assert "build-essential" in apt  # DOLFINx compiles forms just in time


def test_host_environment_is_not_copied_into_the_image():
    # a copied .venv (with its install stamp) would turn make install into a no-op
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ".venv/" in ignored and "results/" in ignored


def test_base_image_python_satisfies_the_project():
    image = next(a for k, a in instructions() if k == "FROM")
    match = re.fullmatch(r"python:(\d+)\.(\d+)(?:-slim)?(?:-\w+)?", image)
    assert match, image
    python = tuple(map(int, match.groups()))
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    low = tuple(map(int, re.fullmatch(r">=(\d+)\.(\d+)", project["requires-python"]).groups()))
    assert python >= low
    assert ".".join(map(str, python)) == (ROOT / ".python-version").read_text().strip()
    install = next(a for k, a in instructions() if k == "RUN" and "make install" in a)
    assert f"PYTHON=python{python[0]}.{python[1]}" in install


def test_make_install_installs_the_pinned_stack_ci_tests():
    _, recipe = make_rule("install")
    pip = [line for line in recipe if "pip install" in line and "--upgrade pip" not in line]
    assert pip and all('".[fenics,dev,fit,drt]"' in line for line in pip), pip
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    assert PIN in extras["fenics"]
    assert version("dolfinx-solver-real") == PIN.split("==")[1]  # this environment too
    for target in ("demo", "test"):  # the README's two commands go through install
        assert "install" in make_rule(target)[0]
    assert "make test" in (ROOT / ".ci/run").read_text()


def test_readme_documents_the_same_install_and_the_image():
    readme = (ROOT / "README.md").read_text()
    assert "make demo" in readme and "make test" in readme
    assert "docker build -t lisse ." in readme
    assert re.search(r"docker run .*-v .*lisse run configs/demo\.yaml", readme)
    assert "make install" in readme
