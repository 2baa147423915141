"""lisse never destroys what it did not write (issue 11 item 6): every command that writes a
folder (run, mesh, ccd, study, sweep, report) refuses a target that exists and holds no
lisse marker (run.json, sweep.json, report.json), a file, ``.`` and its parents, with one
line ``lisse: error: ...`` and exit code 2, leaving the target untouched; ``--overwrite``
replaces a foreign folder; a folder lisse wrote is replaced atomically; case names and
output folders cannot escape ``results/``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.helpers import ROOT, TINY, run_lisse
from tests.integration.test_sweep import write_sweep

STUDY = str(ROOT / "configs" / "studies" / "debonded_patch.yaml")
SENTINEL = "not lisse's: keep me\n"


@pytest.fixture
def tmp(tmp_path: Path) -> Path:
    (tmp_path / "case.yaml").write_text(yaml.safe_dump(TINY))
    return tmp_path


def foreign(folder: Path) -> Path:
    """A folder lisse did not write, holding a sentinel file; returns the sentinel."""
    folder.mkdir(parents=True, exist_ok=True)
    sentinel = folder / "sentinel.txt"
    sentinel.write_text(SENTINEL)
    return sentinel


def refused(proc, sentinel: Path, *words: str) -> None:
    """Exit code 2, one line on stderr starting ``lisse: error:``, no traceback, the
    sentinel untouched and no staging folder left beside it."""
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lisse: error:"), proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    for word in words:
        assert word in lines[0], lines[0]
    assert sentinel.read_text() == SENTINEL
    assert not [p for p in sentinel.parent.parent.iterdir() if p.name.endswith((".partial",
                                                                               ".old"))]


def case_with(tmp: Path, **changes) -> Path:
    path = tmp / "changed.yaml"
    path.write_text(yaml.safe_dump({**TINY, **changes}))
    return path


@pytest.mark.parametrize("command", ["run", "mesh", "ccd", "study", "sweep", "report"])
def test_every_command_refuses_a_foreign_folder(tmp, command):
    target = tmp / "mine"
    sentinel = foreign(target)
    args = {"run": ["run", str(tmp / "case.yaml")],
            "mesh": ["mesh", str(tmp / "case.yaml")],
            "ccd": ["ccd", str(tmp / "case.yaml")],
            "study": ["study", STUDY],
            "sweep": ["sweep", str(write_sweep(tmp / "sw", {"temperature_C": [0, 25]}))],
            "report": ["report", str(tmp)]}[command]
    proc = run_lisse([*args, "-o", str(target)], cwd=tmp)
    marker = {"sweep": "sweep.json", "report": "report.json"}.get(command, "run.json")
    refused(proc, sentinel, f"-o {target}", "not written by lisse", f"no {marker}",
            "--overwrite")
    assert sorted(p.name for p in target.iterdir()) == ["sentinel.txt"]


@pytest.mark.parametrize("where", ["file", "dot"])
def test_a_file_and_the_current_folder_are_refused(tmp, where):
    work = tmp / "work"
    sentinel = foreign(work)
    target = {"file": str(sentinel), "dot": "."}[where]
    proc = run_lisse(["run", str(tmp / "case.yaml"), "-o", target, "--overwrite"], cwd=work)
    refused(proc, sentinel, f"-o {target}:", "is a file" if where == "file" else "current")


@pytest.mark.parametrize("changes, message", [
    ({"output": {"directory": ""}}, "output.directory: must not be empty"),
    ({"name": ".."}, "name: must be a plain name"),
])
def test_case_folders_cannot_escape_results(tmp, changes, message):
    work = tmp / "work"
    sentinel = foreign(work)
    foreign(work / "x")
    proc = run_lisse(["run", str(case_with(tmp, **changes))], cwd=work)
    refused(proc, sentinel, message)
    assert (work / "x" / "sentinel.txt").read_text() == SENTINEL


@pytest.mark.slow
def test_the_default_report_folder_is_checked(tmp):
    run = tmp / "run"
    assert run_lisse(["run", str(tmp / "case.yaml"), "-o", str(run)], cwd=tmp).returncode == 0
    sentinel = foreign(run / "report")
    refused(run_lisse(["report", str(run)], cwd=tmp), sentinel, "report folder", "report.json")
    # the results folder itself is never the report folder
    proc = run_lisse(["report", str(run), "-o", str(run), "--overwrite"], cwd=tmp)
    assert proc.returncode == 2 and "results folder" in proc.stderr
    assert (run / "summary.json").exists()
    proc = run_lisse(["report", str(run), "-o", str(run / "report"), "--overwrite"], cwd=tmp)
    assert proc.returncode == 0, proc.stderr
    assert not sentinel.exists() and (run / "report" / "report.json").exists()
    again = run_lisse(["report", str(run)], cwd=tmp)  # a report folder lisse wrote
    assert again.returncode == 0, again.stderr


@pytest.mark.slow
def test_overwrite_replaces_a_foreign_folder_and_reruns_replace_lisse_folders(tmp):
    target = tmp / "out"
    sentinel = foreign(target)
    proc = run_lisse(["run", str(tmp / "case.yaml"), "-o", str(target), "--overwrite"], cwd=tmp)
    assert proc.returncode == 0, proc.stderr
    assert not sentinel.exists()
    first = json.loads((target / "run.json").read_text())
    assert "lisse" in first["versions"]
    # re-running into a folder lisse wrote needs no option and swaps the folder atomically
    (target / "summary.json").write_text("{}")
    proc = run_lisse(["run", str(tmp / "case.yaml"), "-o", str(target)], cwd=tmp)
    assert proc.returncode == 0, proc.stderr
    assert "cell_voltage_V" in json.loads((target / "summary.json").read_text())
    # lisse mesh adds its files to a folder lisse wrote
    proc = run_lisse(["mesh", str(tmp / "case.yaml"), "-o", str(target)], cwd=tmp)
    assert proc.returncode == 0, proc.stderr
    assert {"mesh.msh", "summary.json", "run.json"} <= {p.name for p in target.iterdir()}
    assert sorted(p.name for p in tmp.iterdir()) == ["case.yaml", "out"]


def test_sweep_overwrite_and_names(tmp):
    target = tmp / "sweep"
    sentinel = foreign(target)
    path = write_sweep(tmp / "sw", {"temperature_C": [0, 25]})
    proc = run_lisse(["sweep", str(path), "-o", str(target), "--collect", "--overwrite"], cwd=tmp)
    assert proc.returncode == 0, proc.stderr
    assert not sentinel.exists() and (target / "sweep.json").exists()
    again = run_lisse(["sweep", str(path), "-o", str(target), "--collect"], cwd=tmp)
    assert again.returncode == 0, again.stderr  # a sweep folder: resumed, not refused
    escape = write_sweep(tmp / "sw", {"temperature_C": [0, 25]}, name="../x")
    work = tmp / "work"
    sentinel = foreign(work)
    refused(run_lisse(["sweep", str(escape), "--collect"], cwd=work), sentinel,
            "name: must be a plain name")


def test_sweep_into_a_run_folder(tmp):
    """-o naming a run's folder: a sweep neither writes its cases, table and report among
    the run's files nor replaces another kind of lisse folder: refused (exit 2, one line),
    the run intact; with --overwrite it replaces it."""
    target = tmp / "run"
    target.mkdir()
    (target / "run.json").write_text('{"versions": {"lisse": "0.2.0"}}')
    (target / "summary.json").write_text("{}")
    path = write_sweep(tmp / "sw", {"temperature_C": [0, 25]})
    proc = run_lisse(["sweep", str(path), "-o", str(target), "--collect"], cwd=tmp)
    assert proc.returncode == 2 and "holds a lisse run (run.json)" in proc.stderr, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert (target / "summary.json").exists() and not (target / "sweep.json").exists()
    proc = run_lisse(["sweep", str(path), "-o", str(target), "--collect", "--overwrite"],
                     cwd=tmp)
    assert proc.returncode == 0, proc.stderr
    assert (target / "sweep.json").exists()
    assert not (target / "summary.json").exists() and not (target / "run.json").exists()


def test_run_and_report_keep_another_kind_of_lisse_folder(tmp):
    """A run's -o naming a sweep's folder, and a report's -o naming a run's folder, are
    refused (exit 2, one line naming the kind) and leave the folder as it was."""
    sweep = tmp / "sweep"
    sweep.mkdir()
    (sweep / "sweep.json").write_text('{"name": "s", "parameters": [], "cases": []}')
    (sweep / "sweep.csv").write_text("case\n")
    proc = run_lisse(["run", str(tmp / "case.yaml"), "-o", str(sweep)], cwd=tmp)
    assert proc.returncode == 2 and "holds a lisse sweep (sweep.json)" in proc.stderr, \
        proc.stderr
    assert sorted(p.name for p in sweep.iterdir()) == ["sweep.csv", "sweep.json"]
    run = tmp / "done"
    assert run_lisse(["run", str(tmp / "case.yaml"), "-o", str(run)],
                     cwd=tmp).returncode == 0
    before = sorted(p.name for p in run.iterdir())
    proc = run_lisse(["report", str(run), "-o", str(run.with_name("done2"))], cwd=tmp)
    assert proc.returncode == 0, proc.stderr
    proc = run_lisse(["report", str(run.with_name("done2")), "-o", str(run)], cwd=tmp)
    assert proc.returncode == 2 and "holds a lisse run (run.json)" in proc.stderr, proc.stderr
    assert sorted(p.name for p in run.iterdir()) == before


def test_refusal_under_mpi(tmp):
    target = tmp / "mine"
    sentinel = foreign(target)
    proc = run_lisse(["run", str(tmp / "case.yaml"), "-o", str(target)], n=2, cwd=tmp,
                     timeout=120)
    refused(proc, sentinel, f"-o {target}", "not written by lisse")


def test_the_rule_in_one_place(tmp, monkeypatch):
    """solver.io.runfolder.target_problem without a subprocess: parents of the current
    folder, the home folder and / are refused even with overwrite; markers are recognised;
    names that would leave results/ are invalid."""
    from lisse.solver.config.schema import validate_case
    from lisse.solver.errors import ConfigError
    from lisse.solver.io.runfolder import target_problem

    work = tmp / "a" / "b"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    monkeypatch.setenv("HOME", str(tmp / "home"))
    (tmp / "home").mkdir()
    for target in ("..", str(tmp), str(tmp / "home"), "/"):
        assert "never replaces" in target_problem(target, overwrite=True), target
    assert target_problem(tmp / "new") is None
    assert target_problem(tmp / "a") is not None  # a parent of the current folder
    for name, text in (("run.json", '{"versions": {"lisse": "0.2.0"}}'),
                       ("sweep.json", '{"name": "s", "parameters": [], "cases": []}'),
                       ("report.json", '{"lisse": "0.2.0"}')):
        folder = tmp / name
        folder.mkdir()
        (folder / name).write_text(text)
        assert target_problem(folder, marker=name) is None, name  # the same kind
        for other in {"run.json", "sweep.json", "report.json"} - {name}:  # another kind
            assert "choose another folder" in target_problem(folder, marker=other), other
            assert target_problem(folder, overwrite=True, marker=other) is None
    own = tmp / "other-run-json"  # another program's run.json is not lisse's marker
    own.mkdir()
    (own / "run.json").write_text('{"job": 1}')
    assert "not written by lisse" in target_problem(own)
    assert target_problem(own, overwrite=True) is None
    for name in ("../x", "a/b", ".", ""):
        with pytest.raises(ConfigError, match="name"):
            validate_case({**TINY, "name": name})
